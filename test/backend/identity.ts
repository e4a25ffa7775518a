import t from 'tap'
import { decodeIdentity, encodeIdentity, type IdentityKind } from '../../src/backend/identity'
import { isNdsTarget } from '../../src/backend/ndsctl'

t.test('every kind round-trips, in a form ndsctl accepts as a custom string', async (t) => {
  const kinds: IdentityKind[] = ['voucher', 'email', 'facebook', 'mobile', 'free']
  for (const kind of kinds) {
    for (const id of [1, 42, Number.MAX_SAFE_INTEGER]) {
      const custom = encodeIdentity({ kind, id })
      t.match(custom, /^hs-[a-z]\d+$/, custom)
      t.same(decodeIdentity(custom), { kind, id }, `${kind} ${id}`)
    }
  }
  t.equal(encodeIdentity({ kind: 'voucher', id: 42 }), 'hs-v42')
  t.notOk(isNdsTarget('hs-v42'), 'and it can never be mistaken for a client target')
})

t.test('anything else is a session hotspotd did not authorize', async (t) => {
  for (const custom of [null, '', 'none', 'voucher=RIG-0001', 'hs-', 'hs-v', 'hs-v0', 'hs-v01', 'hs-x1', 'hs-v1a', 'HS-v1', 'hs-v9007199254740992', 'hs-v12345678901234567']) {
    t.equal(decodeIdentity(custom), undefined, String(custom))
  }
})

t.test('ids must be positive whole numbers', async (t) => {
  for (const id of [0, -1, 1.5, NaN, 2 ** 53]) t.throws(() => encodeIdentity({ kind: 'voucher', id }), RangeError, String(id))
})
