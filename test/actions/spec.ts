import t from 'tap'
import { defineAction, parseParams, toBlobmsgPolicy, type ParamsSpec } from '../../src/actions/spec'

const spec = {
  name: { type: 'string', maxLength: 5, doc: 'a name' },
  count: { type: 'integer', doc: 'a count' },
  loose: { type: 'integer', lenient: true, doc: 'lenient' },
  flag: { type: 'boolean', doc: 'a flag' },
  opts: { type: 'table', doc: 'a table' },
  items: { type: 'array', doc: 'an array' },
  must: { type: 'string', required: true, doc: 'required' },
  who: { type: 'string', required: 'No username set', doc: 'required with a message' },
} as const satisfies ParamsSpec

const base = { must: 'm', who: 'w' }

const ok: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['strings are trimmed', { name: ' ab ' }, { name: 'ab' }],
  ['numbers become strings', { name: 12 }, { name: '12' }],
  ['length counts characters, not bytes', { name: 'ééééé' }, { name: 'ééééé' }],
  ['blank strings are absent', { name: '   ', count: '' }, {}],
  ['null is absent', { name: null }, {}],
  ['integer from a number', { count: 7 }, { count: 7 }],
  ['integer from a string', { count: ' -42 ' }, { count: -42 }],
  ['integer with a plus sign', { count: '+3' }, { count: 3 }],
  ['lenient integer that does not parse is absent', { loose: 'lots' }, {}],
  ['lenient integer that parses is kept', { loose: '1024' }, { loose: 1024 }],
  ['boolean true forms', { flag: 'Yes' }, { flag: true }],
  ['boolean false forms', { flag: 0 }, { flag: false }],
  ['boolean from JSON', { flag: true }, { flag: true }],
  ['table', { opts: { a: 1 } }, { opts: { a: 1 } }],
  ['array', { items: [1, 2] }, { items: [1, 2] }],
]
for (const [name, raw, want] of ok) {
  t.same(parseParams(spec, { ...base, ...raw }), { ...base, ...want }, name)
}

const bad: Array<[string, Record<string, unknown>, string]> = [
  ['unknown parameter', { nope: 1 }, 'Unknown parameter: nope'],
  ['string too long', { name: 'abcdef' }, 'Invalid name: longer than 5 characters'],
  ['object for a string', { name: { a: 1 } }, 'Invalid name: expected a string'],
  ['NaN for a string', { name: Number.NaN }, 'Invalid name: expected a string'],
  ['decimal for an integer', { count: '1.5' }, 'Invalid count: expected an integer'],
  ['unsafe integer', { count: '99999999999999999999' }, 'Invalid count: expected an integer'],
  ['boolean word', { flag: 'maybe' }, 'Invalid flag: expected a boolean'],
  ['object for a boolean', { flag: {} }, 'Invalid flag: expected a boolean'],
  ['string for a table', { opts: 'x' }, 'Invalid opts: expected an object'],
  ['array for a table', { opts: [] }, 'Invalid opts: expected an object'],
  ['string for an array', { items: 'x' }, 'Invalid items: expected an array'],
]
for (const [name, raw, message] of bad) {
  t.throws(() => parseParams(spec, { ...base, ...raw }), { kind: 'invalid', message }, name)
}

t.test('required parameters', async (t) => {
  t.throws(() => parseParams(spec, { who: 'w' }), { kind: 'invalid', message: 'Invalid must: required' }, 'generic message')
  t.throws(() => parseParams(spec, { must: 'm', who: ' ' }), { kind: 'invalid', message: 'No username set' }, 'the catalog message given by the spec')
})

t.test('parameters are own properties only', async (t) => {
  t.throws(() => parseParams({}, JSON.parse('{"__proto__": 1}') as Record<string, unknown>),
    { message: 'Unknown parameter: __proto__' })
  t.same(parseParams({ toString: { type: 'string' as const, doc: '' } }, {}), {}, 'inherited names are not taken as given')
})

t.test('defineAction keeps the action as declared', async (t) => {
  const a = defineAction({ name: 'x', summary: 's', access: 'read', params: {}, handler: () => ({ ok: 1 }) })
  t.equal(a.name, 'x')
  t.same(await a.handler({}, {} as never), { ok: 1 })
})

t.test('the ubus policy comes from the same spec', async (t) => {
  t.same(toBlobmsgPolicy(spec), { name: 3, count: 5, loose: 5, flag: 7, opts: 2, items: 1, must: 3, who: 3 })
  t.same(Object.keys(toBlobmsgPolicy(spec)), Object.keys(spec), 'in declaration order')
  t.same(toBlobmsgPolicy({}), {})
})
