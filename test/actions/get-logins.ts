import t from 'tap'
import { dispatch } from '../../src/actions/dispatch'
import { getLogins } from '../../src/actions/get-logins'
import { parseLocal } from '../../src/domain/local-time'
import { materialize, testContext } from '../fixtures/context'

t.test('lists every attempt, oldest first, in hotspotd\'s login log fields', async (t) => {
  const { ctx } = testContext(t)
  const time = parseLocal('2025-02-05 12:25:43') as number
  ctx.store.logins.record({ time, method: 'voucher', identity: 'user123', mac: '74:D2:46:AC:EE:11', address: '192.168.0.200', result: 'wrong_passcode' })
  ctx.store.logins.record({ time: time + 5, method: 'voucher', identity: 'user123', mac: '74:D2:46:AC:EE:11', address: '192.168.0.200', result: 'success' })
  const { users } = materialize(await dispatch([getLogins], 'get_logins', {}, ctx)) as { users: unknown[] }
  t.same(users, [
    { id: 1, time: '2025-02-05 12:25:43', method: 'voucher', identity: 'user123', MAC: '74:D2:46:AC:EE:11', address: '192.168.0.200', result: 'wrong_passcode' },
    { id: 2, time: '2025-02-05 12:25:48', method: 'voucher', identity: 'user123', MAC: '74:D2:46:AC:EE:11', address: '192.168.0.200', result: 'success' },
  ])
})
