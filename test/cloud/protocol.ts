import t from 'tap'
import { endpointUrl, isEnrollment, isWelcome } from '../../src/cloud/protocol'

t.test('the endpoint URL leaves out the default port', async (t) => {
  t.equal(endpointUrl('2b080b3af6', 'w-router.com', 443), 'https://2b080b3af6.w-router.com/api/', "the seed's example")
  t.equal(endpointUrl('2b080b3af6', 'relay.localhost', 8443), 'https://2b080b3af6.relay.localhost:8443/api/')
})

t.test('welcome and enrollment messages are recognised by their fields', async (t) => {
  t.ok(isWelcome({ type: 'welcome', id: 'a', endpoint: 'b' }))
  for (const v of [null, 1, 'welcome', {}, { type: 'hello', id: 'a', endpoint: 'b' }, { type: 'welcome', id: 1, endpoint: 'b' }, { type: 'welcome', id: 'a' }]) {
    t.notOk(isWelcome(v), JSON.stringify(v))
  }
  t.ok(isEnrollment({ id: 'a', credential: 'c', endpoint: 'e' }))
  for (const v of [null, 'x', {}, { id: 'a', credential: 'c' }, { id: 'a', credential: 1, endpoint: 'e' }, { id: 2, credential: 'c', endpoint: 'e' }]) {
    t.notOk(isEnrollment(v), JSON.stringify(v))
  }
})
