/**
 * @module admin/ui/main
 * The panel's entry point: the page shell (skip link, header, navigation, status line, sign-out),
 * the hash router, and the session: no session, or one that ends, leads to the sign-in page.
 */
import { Client } from './api'
import { h, put, say } from './dom'
import { parseRoute, routeHash, type Page, type Route } from './route'
import { S } from './strings'
import { signInPage } from './pages/sign-in'
import { apiAccessPage } from './pages/api-access'
import { vouchersPage } from './pages/vouchers'
import { printPage } from './pages/print'
import { guestsPage } from './pages/guests'
import { usersPage } from './pages/users'

/** What every page gets; a page returns a function that stops its timers when it is left. */
export interface PageContext {
  client: Client
  route: Route
  main: HTMLElement
  go: (hash: string) => void
}
export type PageView = (ctx: PageContext) => Promise<(() => void) | void>

const PAGES: Record<Exclude<Page, 'signin'>, PageView> = {
  api: apiAccessPage, vouchers: vouchersPage, print: printPage, guests: guestsPage, users: usersPage,
}
const NAV: Array<[Page, string]> = [['api', S.navApi], ['vouchers', S.navVouchers], ['guests', S.navGuests], ['users', S.navUsers]]

const client = new Client()
const main = h('main', { id: 'main', tabindex: -1 })
const nav = h('nav', { 'aria-label': S.navMain })
const who = h('span', { className: 'who' })
const header = h('header', { className: 'top' },
  h('a', { className: 'skip', href: '#main' }, S.skip),
  h('span', { className: 'brand' }, S.product),
  nav,
  h('span', { className: 'account' }, who, h('button', { type: 'button', id: 'sign-out', onclick: () => { void signOut() } }, S.signOut)))
const status = h('p', { id: 'status', className: 'status', role: 'status', 'aria-live': 'polite' })

let leave: (() => void) | void
let rendering = 0

const go = (hash: string): void => {
  if (location.hash === hash) void render()
  else location.hash = hash
}

const signOut = async (): Promise<void> => {
  await client.logout()
  go(routeHash('signin'))
  say(S.signedOut)
}

const render = async (): Promise<void> => {
  const n = ++rendering
  if (leave !== undefined) leave()
  leave = undefined
  const route = parseRoute(location.hash)
  const signedIn = client.session !== null
  document.body.classList.toggle('signed-in', signedIn)
  if (!signedIn || route.page === 'signin') {
    if (signedIn) return go(routeHash('api'))
    put(nav)
    put(who)
    return signInPage({ client, route, main, go })
  }
  put(who, client.session?.username ?? '')
  put(nav, NAV.map(([page, label]) => h('a', {
    href: routeHash(page),
    'aria-current': route.page === page || (page === 'vouchers' && route.page === 'print') ? 'page' : null,
  }, label)))
  put(main, h('p', { className: 'muted' }, S.loading))
  try {
    const view = route.page === null ? null : PAGES[route.page]
    if (view === null) {
      put(main, h('h1', null, S.notFound))
      return
    }
    const stop = await view({ client, route, main, go })
    if (n !== rendering) { if (stop !== undefined) stop() } else leave = stop
  } catch (err) {
    // A call that found the session gone has already said so and gone to sign-in.
    if (n === rendering && client.session !== null) say((err as Error).message, 'error')
  }
}

client.onExpired = () => {
  go(routeHash('signin', '', { next: location.hash.replace(/^#/, '') }))
  say(S.sessionExpired, 'error')
}

const start = async (): Promise<void> => {
  document.title = S.title
  document.body.append(header, status, main)
  window.addEventListener('hashchange', () => { void render() })
  try {
    await client.resume()
  } catch (err) {
    say((err as Error).message, 'error')
  }
  await render()
}

void start()
