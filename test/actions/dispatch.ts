import t from 'tap'
import { dispatch } from '../../src/actions/dispatch'
import { defineAction } from '../../src/actions/spec'
import { ApiError } from '../../src/errors'
import { testContext } from '../fixtures/context'

const table = [
  defineAction({ name: 'echo', summary: '', access: 'read', params: { x: { type: 'integer', doc: '' } }, handler: (p) => ({ x: p.x }) }),
  defineAction({ name: 'async_echo', summary: '', access: 'read', params: {}, handler: async () => ({ ok: true }) }),
  defineAction({ name: 'conflict', summary: '', access: 'write', params: {}, handler: () => { throw new ApiError('conflict', 'Username already exists') } }),
  defineAction({ name: 'bug', summary: '', access: 'write', params: {}, handler: () => { throw new TypeError('secret internals') } }),
  defineAction({ name: 'async_bug', summary: '', access: 'write', params: {}, handler: async () => { throw new Error('later') } }),
]

t.test('runs the named action with parsed parameters', async (t) => {
  const { ctx } = testContext(t)
  t.same(await dispatch(table, 'echo', { x: '5' }, ctx), { x: 5 })
  t.same(await dispatch(table, 'async_echo', {}, ctx), { ok: true })
})

t.test('refuses a missing or unknown action', async (t) => {
  const { ctx } = testContext(t)
  await t.rejects(dispatch(table, undefined, {}, ctx), { kind: 'invalid', message: 'No action set' })
  await t.rejects(dispatch(table, '', {}, ctx), { kind: 'invalid', message: 'No action set' })
  await t.rejects(dispatch(table, 'ECHO', {}, ctx), { kind: 'invalid', message: 'Unknown action' })
})

t.test('refuses bad parameters before the handler runs', async (t) => {
  const { ctx } = testContext(t)
  await t.rejects(dispatch(table, 'echo', { x: 'five' }, ctx), { kind: 'invalid', message: 'Invalid x: expected an integer' })
})

t.test('passes ApiErrors through unchanged', async (t) => {
  const { ctx, lines } = testContext(t)
  await t.rejects(dispatch(table, 'conflict', {}, ctx), { kind: 'conflict', message: 'Username already exists' })
  t.same(lines.filter((l) => l.startsWith('error')), [], 'an expected error is not logged')
})

t.test('answers anything else with the seed\'s generic message and logs the stack', async (t) => {
  const { ctx, lines } = testContext(t)
  for (const name of ['bug', 'async_bug']) {
    const err = await dispatch(table, name, {}, ctx).catch((e: unknown) => e)
    t.match(err, { kind: 'internal', message: 'An error occurred' }, `${name}: generic message`)
    t.notMatch((err as Error).message, /secret|later/, `${name}: no internals in the message`)
  }
  t.match(lines.join('\n'), /error: action bug failed: TypeError: secret internals\n\s+at /, 'stack logged')
  t.match(lines.join('\n'), /error: action async_bug failed: Error: later/)
})

t.test('a thrown non-Error is logged as text', async (t) => {
  const { ctx, lines } = testContext(t)
  const odd = [defineAction({ name: 'odd', summary: '', access: 'read', params: {}, handler: () => { throw 'plain string' as unknown as Error } })]
  await t.rejects(dispatch(odd, 'odd', {}, ctx), { kind: 'internal', message: 'An error occurred' })
  t.match(lines.join('\n'), /action odd failed: plain string/)
})
