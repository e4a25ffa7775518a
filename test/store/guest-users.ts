import t from 'tap'
import type { GuestKind, SignIn } from '../../src/store/guest-users'
import { eachDriver, freshStore } from '../fixtures/store'

interface KindCase {
  kind: GuestKind
  /** The identity column of the kind's table. */
  column: string
  identity: string
  /** The columns list() gives, in the API's order, spelled out so the source cannot drift. */
  listColumns: string[]
  hasVerified: boolean
}

const MAC1 = 'AA:BB:CC:00:00:01'
const MAC2 = 'AA:BB:CC:00:00:02'

const kinds: readonly KindCase[] = [
  {
    kind: 'email',
    column: 'email',
    identity: 'ann@example.com',
    listColumns: ['id', 'email', 'created_at', 'last_login', 'mac', 'visits', 'comments', 'comments1', 'comments2',
      'last_modified', 'marketing', 'verified'],
    hasVerified: true,
  },
  {
    kind: 'facebook',
    column: 'facebook_id',
    identity: '100004123456789',
    listColumns: ['id', 'facebook_id', 'name', 'email', 'created_at', 'last_login', 'mac', 'visits', 'comments',
      'comments1', 'comments2', 'last_modified', 'marketing'],
    hasVerified: false,
  },
  {
    kind: 'mobile',
    column: 'mobile',
    identity: '+447700900123',
    listColumns: ['id', 'mobile', 'created_at', 'last_login', 'mac', 'visits', 'comments', 'comments1', 'comments2',
      'last_modified', 'marketing', 'verified'],
    hasVerified: true,
  },
  {
    kind: 'free',
    column: 'mac',
    identity: MAC1,
    listColumns: ['id', 'mac', 'created_at', 'last_login', 'visits', 'comments', 'comments1', 'comments2',
      'last_modified', 'marketing'],
    hasVerified: false,
  },
]

eachDriver(t, (t, driver) => {
  t.test('list gives the columns in the API order for each kind', (t) => {
    for (const { kind, identity, listColumns } of kinds) {
      t.test(kind, (t) => {
        const { guestUsers } = freshStore(t, driver)
        guestUsers.recordSignIn(kind, { identity, mac: MAC1, time: 100 })
        const rows = [...guestUsers.list(kind)]
        t.equal(rows.length, 1, `${kind}: one row`)
        t.same(Object.keys(rows[0] ?? {}), listColumns, `${kind}: ${listColumns.join(', ')}`)
        t.end()
      })
    }
    t.end()
  })

  t.test('identityOf gives the identity of a row of each kind', (t) => {
    for (const { kind, identity } of kinds) {
      const { guestUsers } = freshStore(t, driver)
      const row = guestUsers.recordSignIn(kind, { identity, mac: MAC1, time: 1_700_000_000 })
      t.equal(guestUsers.identityOf(kind, row.id), identity, kind)
      t.equal(guestUsers.identityOf(kind, row.id + 1), undefined, `${kind}: no such row`)
    }
    t.end()
  })

  t.test('a first sign-in creates the person with one visit', (t) => {
    for (const { kind, column, identity, listColumns, hasVerified } of kinds) {
      t.test(kind, (t) => {
        const { guestUsers } = freshStore(t, driver)
        const row = guestUsers.recordSignIn(kind, { identity, mac: MAC1, time: 1_700_000_000 })
        t.match(row, {
          id: 1,
          [column]: identity,
          mac: MAC1,
          visits: 1,
          created_at: 1_700_000_000,
          last_login: 1_700_000_000,
          last_modified: 1_700_000_000,
          comments: null,
          comments1: null,
          comments2: null,
          marketing: 0,
        }, `${kind}: identity, device, one visit, every time equal to the sign-in time`)
        if (hasVerified) t.equal(row.verified, 0, `${kind}: not verified unless said so`)
        t.same([...guestUsers.list(kind)], [Object.fromEntries(listColumns.map((c) => [c, row[c]]))],
          `${kind}: list shows the values that were returned`)
        t.end()
      })
    }
    t.end()
  })

  t.test('a second sign-in counts a visit and updates login, device, consent', (t) => {
    for (const { kind, column, identity, hasVerified } of kinds) {
      t.test(kind, (t) => {
        const { guestUsers } = freshStore(t, driver)
        // Free users are known by their device, so for them the device cannot change.
        const mac2 = kind === 'free' ? MAC1 : MAC2
        guestUsers.recordSignIn(kind, { identity, mac: MAC1, time: 100, marketing: true })
        const second = guestUsers.recordSignIn(kind, { identity, mac: mac2, time: 200, marketing: false, verified: true })
        t.match(second, { id: 1, [column]: identity, visits: 2, created_at: 100, last_login: 200, last_modified: 200, mac: mac2, marketing: 0 },
          `${kind}: same person, two visits, login and device updated, marketing withdrawn`)
        if (hasVerified) t.equal(second.verified, 1, `${kind}: now verified`)
        const third = guestUsers.recordSignIn(kind, { identity, mac: mac2, time: 300, marketing: true })
        t.match(third, { id: 1, visits: 3, created_at: 100, last_login: 300, marketing: 1 }, `${kind}: third visit, marketing given`)
        if (hasVerified) t.equal(third.verified, 0, `${kind}: verified is what the latest sign-in says`)
        t.equal([...guestUsers.list(kind)].length, 1, `${kind}: still one person`)
        t.end()
      })
    }
    t.end()
  })

  t.test('omitted custom fields keep the stored ones, given ones replace them', (t) => {
    for (const { kind, identity } of kinds) {
      t.test(kind, (t) => {
        const { guestUsers } = freshStore(t, driver)
        guestUsers.recordSignIn(kind, { identity, mac: MAC1, time: 100, comments: 'room 12', comments1: 'conference', comments2: 'vegan' })
        const row = guestUsers.recordSignIn(kind, { identity, mac: MAC1, time: 200, comments1: 'holiday' })
        t.match(row, { comments: 'room 12', comments1: 'holiday', comments2: 'vegan' },
          `${kind}: comments and comments2 kept, comments1 replaced`)
        t.end()
      })
    }
    t.end()
  })

  t.test('a Facebook sign-in keeps the stored name and e-mail unless it gives new ones', (t) => {
    const { guestUsers } = freshStore(t, driver)
    const first = guestUsers.recordSignIn('facebook', { identity: '1001', mac: MAC1, time: 100, name: 'Ann Lee', email: 'ann@example.com' })
    t.match(first, { name: 'Ann Lee', email: 'ann@example.com' }, 'first sign-in stores name and e-mail')
    const second = guestUsers.recordSignIn('facebook', { identity: '1001', mac: MAC1, time: 200 })
    t.match(second, { visits: 2, name: 'Ann Lee', email: 'ann@example.com' }, 'omitted name and e-mail are kept')
    const third = guestUsers.recordSignIn('facebook', { identity: '1001', mac: MAC1, time: 300, name: 'Ann Lee-Smith', email: 'ann@lee.example' })
    t.match(third, { visits: 3, name: 'Ann Lee-Smith', email: 'ann@lee.example' }, 'given name and e-mail replace')
    const other = guestUsers.recordSignIn('facebook', { identity: '1002', mac: MAC2, time: 400 })
    t.match(other, { name: null, email: null, visits: 1 }, 'a person who gave neither has nulls')
    t.not(other.id, first.id, 'a different person has a different id')
    t.end()
  })

  t.test('an e-mail address identifies the same person regardless of case', (t) => {
    const { guestUsers } = freshStore(t, driver)
    guestUsers.recordSignIn('email', { identity: 'Ann@Example.com', mac: MAC1, time: 100 })
    const again = guestUsers.recordSignIn('email', { identity: 'ann@EXAMPLE.COM', mac: MAC2, time: 200 })
    t.match(again, { id: 1, visits: 2, email: 'Ann@Example.com' }, 'same row, the address as first given')
    t.equal([...guestUsers.list('email')].length, 1, 'one e-mail user')
    t.end()
  })

  t.test('different identities are different people, listed in id order', (t) => {
    for (const { kind, column } of kinds) {
      t.test(kind, (t) => {
        const { guestUsers } = freshStore(t, driver)
        const ids = kind === 'free' ? [MAC2, MAC1, 'AA:BB:CC:00:00:03'] : ['c-3', 'a-1', 'b-2']
        ids.forEach((identity, i) => guestUsers.recordSignIn(kind, { identity, mac: identity, time: 100 + i }))
        guestUsers.recordSignIn(kind, { identity: ids[0] as string, mac: ids[0] as string, time: 500 })
        const rows = [...guestUsers.list(kind)]
        t.same(rows.map((r) => [r.id, r[column], r.visits]), [[1, ids[0], 2], [2, ids[1], 1], [3, ids[2], 1]],
          `${kind}: three people in order of first sign-in, the first with two visits`)
        t.end()
      })
    }
    t.end()
  })

  t.test('each kind is kept apart', (t) => {
    const { guestUsers } = freshStore(t, driver)
    const s: SignIn = { identity: 'shared-1', mac: MAC1, time: 100 }
    guestUsers.recordSignIn('email', s)
    guestUsers.recordSignIn('mobile', s)
    t.equal([...guestUsers.list('email')].length, 1, 'one e-mail user')
    t.equal([...guestUsers.list('mobile')].length, 1, 'one mobile user, not counted as a second visit')
    t.match([...guestUsers.list('mobile')][0], { visits: 1 }, 'mobile user has one visit')
    t.same([...guestUsers.list('facebook')], [], 'no Facebook users')
    t.same([...guestUsers.list('free')], [], 'no free users')
    t.end()
  })
})
