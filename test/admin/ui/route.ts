// The panel's hash routes and the voucher list's server-side paging parameters.
import t from 'tap'
import {
  lastPage, listParams, parseRoute, portalLink, routeHash, sortBy, viewQuery, voucherView, type VoucherView,
} from '../../../src/admin/ui/route'

t.test('parseRoute', async (t) => {
  t.same(parseRoute(''), { page: 'api', sub: '', query: {} }, 'no hash is the API Access page')
  t.same(parseRoute('#/'), { page: 'api', sub: '', query: {} })
  t.same(parseRoute('#/vouchers?q=ab%20c&page=2'), { page: 'vouchers', sub: '', query: { q: 'ab c', page: '2' } })
  t.same(parseRoute('#/users/logins'), { page: 'users', sub: 'logins', query: {} })
  t.same(parseRoute('#signin?next=/guests'), { page: 'signin', sub: '', query: { next: '/guests' } })
  t.same(parseRoute('#/nowhere').page, null, 'an unknown page is null')
})

t.test('routeHash', async (t) => {
  t.equal(routeHash('api'), '#/api')
  t.equal(routeHash('users', 'fb_users'), '#/users/fb_users')
  t.equal(routeHash('vouchers', '', { q: 'a b', sort: '', page: '3' }), '#/vouchers?q=a+b&page=3', 'empty values are left out')
  const hash = routeHash('vouchers', '', { q: 'x&y', page: '2' })
  t.same(parseRoute(hash).query, { q: 'x&y', page: '2' }, 'a hash parses back to its query')
})

t.test('voucherView and viewQuery', async (t) => {
  const defaults: VoucherView = { search: '', sort: 'created_at', order: 'desc', page: 1, limit: 50 }
  t.same(voucherView({}), defaults, 'defaults: newest first, 50 a page')
  t.same(viewQuery(defaults), { q: '', sort: '', order: '', page: '', limit: '' }, 'defaults leave the hash empty')
  const rows: Array<[Record<string, string>, Partial<VoucherView>, string]> = [
    [{ sort: 'username' }, { sort: 'username', order: 'asc' }, 'another column starts ascending'],
    [{ sort: 'username', order: 'desc' }, { sort: 'username', order: 'desc' }, 'an order is kept'],
    [{ sort: 'password' }, { sort: 'created_at' }, 'an unsortable column falls back'],
    [{ order: 'sideways' }, { order: 'desc' }, 'a bad order falls back'],
    [{ page: '0' }, { page: 1 }, 'page 0 is page 1'],
    [{ page: '-3' }, { page: 1 }, 'a negative page is page 1'],
    [{ page: 'x' }, { page: 1 }, 'a page that is no number is page 1'],
    [{ page: '7.9' }, { page: 7 }, 'pages are whole'],
    [{ limit: '100' }, { limit: 100 }, 'an offered page size'],
    [{ limit: '100000' }, { limit: 50 }, 'a page size not offered falls back'],
    [{ q: 'café' }, { search: 'café' }, 'the search'],
  ]
  for (const [query, want, what] of rows) {
    const v = voucherView(query)
    t.same(v, { ...defaults, ...want }, what)
    t.same(voucherView(Object.fromEntries(Object.entries(viewQuery(v)).filter(([, x]) => x !== ''))), v, `${what}: survives the hash`)
  }
})

t.test('listParams: the server pages', async (t) => {
  t.same(listParams({ search: '', sort: 'created_at', order: 'desc', page: 1, limit: 50 }), { sort: 'created_at', order: 'desc', offset: 0, limit: 50 })
  t.same(listParams({ search: '  ab ', sort: 'username', order: 'asc', page: 2000, limit: 50 }), { search: 'ab', sort: 'username', order: 'asc', offset: 99950, limit: 50 },
    'page 2000 of 100,000 vouchers is one request for 50 rows')
})

t.test('sortBy', async (t) => {
  const v: VoucherView = { search: 'a', sort: 'created_at', order: 'desc', page: 4, limit: 25 }
  t.same(sortBy(v, 'username'), { ...v, sort: 'username', order: 'asc', page: 1 }, 'a new column: ascending, from page 1')
  t.same(sortBy({ ...v, sort: 'username', order: 'asc' }, 'username'), { ...v, sort: 'username', order: 'desc', page: 1 }, 'the same column flips')
  t.same(sortBy({ ...v, sort: 'username', order: 'desc' }, 'username').order, 'asc', 'and flips back')
})

t.test('lastPage', async (t) => {
  t.equal(lastPage(0, 50), 1)
  t.equal(lastPage(50, 50), 1)
  t.equal(lastPage(51, 50), 2)
  t.equal(lastPage(100000, 50), 2000)
})

t.test('portalLink', async (t) => {
  t.equal(portalLink('http://10.0.0.1:2080/portal/', 'AB12', 'p w&'), 'http://10.0.0.1:2080/portal/?username=AB12&passcode=p+w%26')
  t.equal(portalLink('http://10.0.0.1:2080/portal/?x=1', 'AB12', '99'), 'http://10.0.0.1:2080/portal/?x=1&username=AB12&passcode=99')
  t.equal(portalLink('http://h/p?u={username}&c={passcode}', 'a b', '1/2'), 'http://h/p?u=a%20b&c=1%2F2', 'a template is filled in')
})
