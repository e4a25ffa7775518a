import t from 'tap'
import { readFileSync } from 'node:fs'
import { apiActions } from '../../src/actions/index'
import { dispatch } from '../../src/actions/dispatch'
import { apiDocsAction, EXAMPLES, SEED_MESSAGES } from '../../src/actions/get-api-docs'
import { parseParams } from '../../src/actions/spec'
import { testContext } from '../fixtures/context'

interface Doc { name: string; summary: string; access: string; params: Array<{ name: string; type: string; required: boolean; doc: string }>; example: { params: Record<string, unknown>; response?: unknown } }

t.test('documents every /api/ action from its spec', async (t) => {
  const { ctx } = testContext(t)
  const action = apiDocsAction(() => apiActions)
  t.match(action, { name: 'get_api_docs', access: 'read', admin: true })
  const { data } = await dispatch([action], 'get_api_docs', {}, ctx) as { data: { path: string; key_param: string; action_param: string; actions: Doc[] } }
  t.match(data, { path: '/api/', key_param: 'api-key', action_param: 'action', methods: ['POST', 'GET'] })
  t.same(data.actions.map((a) => a.name), apiActions.map((a) => a.name), 'every /api/ action, in table order, and no admin one')
  const create = data.actions.find((a) => a.name === 'create_voucher') as Doc
  t.same(create.params[0], { name: 'username', type: 'string', required: false, doc: 'The username to create. If empty, a random username will be generated.' })
  t.match(data.actions.find((a) => a.name === 'remove_voucher')?.params, [{ name: 'username', required: true }], 'a required parameter says so')
  t.same(data.actions.find((a) => a.name === 'get_logins')?.example, { params: {} }, 'an action without a seed example gets empty parameters')
})

t.test('every example\'s parameters are accepted by its action\'s spec', async (t) => {
  for (const [name, example] of Object.entries(EXAMPLES)) {
    const action = apiActions.find((a) => a.name === name)
    t.ok(action, `${name} is an /api/ action`)
    t.doesNotThrow(() => parseParams(action!.params, example.params), name)
  }
})

t.test('the example responses are the seed\'s, value for value', async (t) => {
  const seed = readFileSync('test/fixtures/seeds/000_6849fed9a2e3a031.txt', 'utf8')
  // Each "Response Example:" is followed by one JSON object.
  const blocks = seed.split('Response Example:').slice(1).map((part) => {
    const start = part.indexOf('{')
    let depth = 0
    let end = start
    do {
      if (part[end] === '{') depth++
      if (part[end] === '}') depth--
      end++
    } while (depth > 0)
    return JSON.parse(part.slice(start, end)) as unknown
  })
  const responses = Object.values(EXAMPLES).filter((e) => e.response !== undefined).map((e) => e.response)
  t.same(responses, blocks, 'in the seed\'s order')
})

t.test('the seed\'s API messages, with the seed\'s meanings, in its order', async (t) => {
  const { ctx } = testContext(t)
  const { data } = await dispatch([apiDocsAction(() => apiActions)], 'get_api_docs', {}, ctx) as { data: { messages: unknown } }
  t.equal(data.messages, SEED_MESSAGES)
  const seed = readFileSync('test/fixtures/seeds/000_6849fed9a2e3a031.txt', 'utf8')
  const section = seed.slice(seed.indexOf('4. API Messages'), seed.indexOf('API Usage Examples'))
  // The seed writes some spaces as no-break spaces; the catalog's text has plain ones.
  const lines = section.split('\n').filter((l) => /\S\s+- /.test(l)).map((l) => l.trim().replace(/\u00a0/g, ' '))
  t.same(SEED_MESSAGES.map((m) => `${m.message} - ${m.meaning}`), lines.map((l) => l.replace(/\s+- /, ' - ')))
})
