// The captive portal's voucher sign-in in a real browser: Debian's headless Chromium, driven by
// playwright-core, against the built daemon (dist/hotspotd.js) serving its portal on 127.0.0.1
// ('lo' as the guest interface), with openNDS played by the fake ndsctl from test/fixtures (it
// answers with the real `ndsctl json` output, turned Authenticated by `auth` as openNDS does).
// On a phone-sized screen, with JavaScript and without: the redirect openNDS makes, a wrong
// passcode, the right one, and what the admin side sees afterwards. Nothing may leave the
// portal's origin, the console stays clean (no CSP violation), nothing scrolls sideways, and
// every tap target is at least 44 CSS px tall.
import t, { type Test } from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { bundleProblem, runBundle, until } from '../fixtures/bundle'
import { fakeNdsctl, fixture, type Fake } from '../fixtures/fake-ndsctl'
import { freePort } from '../fixtures/ports'

const CHROMIUM = '/usr/bin/chromium'
const KEY = 'browser-api-key-0123456789abcdef'
/** The flags Debian's Chromium needs here: no sandbox (root, containers), no GPU, and no traffic of its own. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
/** A small phone. */
const PHONE = { viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
/** WCAG 2.5.5's (and Apple's) smallest comfortable tap target, in CSS px. */
const MIN_TAP = 44
const GATEWAY_NAME = 'Café-Bellevue-Gästehaus-Terrassen-Lounge' // long: the heading must wrap
const ORIGIN_URL = 'http://example.com/news' // where the guest was going; linked, never fetched
/** A directory to save a full-page PNG of every page in, for a person to look at; unset: none. */
const SCREENSHOTS = process.env.PORTAL_SCREENSHOTS ?? ''

t.setTimeout(120_000)

type Playwright = typeof import('playwright-core')
const loaded = ((): Playwright | string => {
  try {
    return require('playwright-core') as Playwright
  } catch (err) {
    return `playwright-core cannot be loaded (${(err as Error).message.split('\n')[0]}): run npm ci`
  }
})()
const problem = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing: install Debian's chromium (make test does, as root)`
  : typeof loaded === 'string' ? loaded : null

/** `text` with `from` replaced once; throws when it is not there, so a changed fixture cannot go unnoticed. */
const replaceOnce = (text: string, from: string, to: string): string => {
  if (!text.includes(from)) throw new Error(`fixture changed: ${JSON.stringify(from)} not found`)
  return text.replace(from, to)
}

/** The device openNDS holds at 127.0.0.1: the real `ndsctl json 10.77.0.11` output of a waiting guest, moved to lo. */
const waitingGuest = (mac: string): string => [
  ['"mac":"02:77:00:00:00:11"', `"mac":"${mac}"`],
  ['"ip":"10.77.0.11"', '"ip":"127.0.0.1"'],
  ['"clientif":"guest0"', '"clientif":"lo"'],
  ['"gatewayaddress":"10.77.0.1:2050"', '"gatewayaddress":"127.0.0.1:2050"'],
].reduce((json, [from, to]) => replaceOnce(json, from as string, to as string), fixture('ndsctl-json-preauth-client-by-ip.json'))

/**
 * The query openNDS (security level 1) sends the guest to the portal with: the real one from
 * fas/redirect-chain.txt, its payload moved to 127.0.0.1 and to `mac`, with a long gateway name
 * and an origin URL of the guest's own. The base64 stays unencoded, as openNDS sends it.
 */
const redirectQuery = (mac: string, gatewayName: string): string => {
  const real = /Location: http:\/\/10\.77\.0\.1:2080\/portal\/\?fas=(\S+)/.exec(fixture('fas/redirect-chain.txt'))?.[1]
  if (real === undefined) throw new Error('fixture changed: no level-1 redirect in fas/redirect-chain.txt')
  const payload = [
    ['clientip=10.77.0.11', 'clientip=127.0.0.1'],
    ['clientmac=02:77:00:00:00:11', `clientmac=${mac}`],
    ['gatewayname=ndsrig', `gatewayname=${encodeURIComponent(gatewayName)}`],
    ['gatewayurl=http%3a%2f%2f10.77.0.1', 'gatewayurl=http%3a%2f%2f127.0.0.1'],
    ['gatewayaddress=10.77.0.1:2050', 'gatewayaddress=127.0.0.1:2050'],
    ['originurl=http%3a%2f%2f10.77.0.1%3a2050%2f', `originurl=${encodeURIComponent(ORIGIN_URL).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())}`],
    ['clientif=guest0', 'clientif=lo'],
  ].reduce((p, [from, to]) => replaceOnce(p, from as string, to as string), Buffer.from(real, 'base64').toString('latin1'))
  return `fas=${Buffer.from(payload, 'latin1').toString('base64')}`
}

/**
 * openNDS as the fake ndsctl plays it, for the one device in `$d/client.json`: `json` lists it,
 * `json <its ip or mac>` shows it, `auth` turns it Authenticated with the grant's session end and
 * custom (as openNDS 9.10 does) or, when it is not waiting, fails as openNDS does; the rest exit 0.
 */
const OPENNDS = String.raw`c="$d/client.json"
mac=$(sed -n 's/^ *"mac":"\([^"]*\)".*/\1/p' "$c")
case "$1" in
  json)
    if [ "$#" -eq 1 ]; then printf '{"client_list_length":"1","clients":{"%s":' "$mac"; cat "$c"; printf '}}\n'
    elif [ "$2" = 127.0.0.1 ] || [ "$2" = "$mac" ]; then cat "$c"
    else echo '{}'; fi ;;
  auth)
    said=$(shift; IFS=,; echo "$*")
    if [ "$2" = 127.0.0.1 ] && grep -q '"state":"Preauthenticated"' "$c"; then
      custom=none; [ "$#" -ge 8 ] && eval "custom=\${$#}"
      now=$(date +%s)
      sed -e 's/"state":"Preauthenticated"/"state":"Authenticated"/' -e "s/\"custom\":\"none\"/\"custom\":\"$custom\"/" \
        -e "s/\"session_start\":\"0\"/\"session_start\":\"$now\"/" -e "s/\"session_end\":\"null\"/\"session_end\":\"$((now + $3 * 60))\"/" "$c" > "$c.new"
      mv "$c.new" "$c"
      echo "Client $said authenticated."; exit 0
    fi
    echo "Failed to authenticate client $said."; exit 1 ;;
esac`

/**
 * The little of the DOM that the functions run in the page use, typed here because the project's
 * tsconfig has no DOM lib. Those functions are sent to the browser as their source: they reach the
 * page's globals through `globalThis` (the casts vanish when compiled) and nothing of this file.
 */
interface InPage {
  innerWidth: number
  document: {
    documentElement: { scrollWidth: number }
    body: { scrollWidth: number; append: (node: unknown) => void }
    querySelectorAll: (selectors: string) => Iterable<InPageElement>
    createElement: (tag: 'img') => { src: string }
    addEventListener: (type: 'securitypolicyviolation', fn: (e: { violatedDirective: string; blockedURI: string }) => void) => void
  }
  getComputedStyle: (e: InPageElement) => { backgroundColor: string }
  /** The binding {@link watch} exposes. */
  __hotspotdCspViolation: (violation: string) => Promise<void>
}
interface InPageElement { tagName: string; id: string; textContent: string | null; getBoundingClientRect: () => { height: number; width: number; right: number } }

/** What one browser context did that it must not: requests off the portal, console errors and warnings, page errors, CSP violations. */
interface Watch { outside: string[]; requests: string[]; console: string[]; pageErrors: string[]; csp: string[] }

/** Records and aborts every request that is not to `origin`, and collects what the pages of `context` report. */
const watch = async (context: BrowserContext, origin: string): Promise<Watch> => {
  const w: Watch = { outside: [], requests: [], console: [], pageErrors: [], csp: [] }
  await context.route('**/*', async (route) => {
    const request = route.request()
    let same = false
    try {
      same = new URL(request.url()).origin === origin
    } catch {}
    if (same) {
      w.requests.push(`${request.method()} ${request.resourceType()} ${request.url().slice(origin.length)}`)
      await route.continue()
    } else {
      w.outside.push(`${request.method()} ${request.resourceType()} ${request.url()}`)
      await route.abort('blockedbyclient')
    }
  })
  // Pages with JavaScript report CSP violations through this; Chromium also logs each to the console (with or without JavaScript).
  await context.exposeBinding('__hotspotdCspViolation', (_source, v: string) => { w.csp.push(v) })
  await context.addInitScript(() => {
    const page = globalThis as unknown as InPage
    page.document.addEventListener('securitypolicyviolation', (e) => {
      void page.__hotspotdCspViolation(`${e.violatedDirective} ${e.blockedURI}`)
    })
  })
  context.on('page', (page) => {
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') w.console.push(`${m.type()}: ${m.text()}`) })
    page.on('pageerror', (err) => { w.pageErrors.push(err.message) })
  })
  return w
}

/** Checks the layout at the phone's width: no sideways scrolling, every control a comfortable tap target, the page's style applied. */
const checkLayout = async (t: Test, page: Page, what: string): Promise<void> => {
  const m = await page.evaluate(() => {
    const { innerWidth, document, getComputedStyle } = globalThis as unknown as InPage
    return {
      innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      bodyScrollWidth: document.body.scrollWidth,
      targets: [...document.querySelectorAll('button, input:not([type=hidden]), a[href], select, textarea')].map((e) => {
        const r = e.getBoundingClientRect()
        const text = (e.textContent ?? '').trim()
        return { what: `${e.tagName.toLowerCase()}${e.id === '' ? '' : `#${e.id}`}${text === '' ? '' : ` "${text}"`}`, height: r.height, width: r.width, right: r.right }
      }),
      buttonBackground: [...document.querySelectorAll('button, a.b')].map((e) => getComputedStyle(e).backgroundColor),
    }
  })
  // A mobile browser widens the layout viewport to content that does not fit (innerWidth grows
  // past the screen): both are compared with the screen's width, not with each other.
  const width = PHONE.viewport.width
  t.equal(m.innerWidth, width, `${what}: laid out at the phone's width (viewport meta, nothing too wide)`)
  t.ok(m.scrollWidth <= width && m.bodyScrollWidth <= width, `${what}: no horizontal scrolling (scrollWidth ${m.scrollWidth}, body ${m.bodyScrollWidth}, screen ${width})`)
  t.ok(m.targets.length > 0, `${what}: has controls`)
  for (const target of m.targets) {
    t.ok(target.height >= MIN_TAP && target.width >= MIN_TAP, `${what}: ${target.what} is ${target.width}x${target.height} CSS px (>= ${MIN_TAP})`)
    t.ok(target.right <= width, `${what}: ${target.what} fits in the screen`)
  }
  t.same([...new Set(m.buttonBackground)], ['rgb(11, 87, 208)'], `${what}: the inline stylesheet applied under the CSP`)
}

/** The voucher form's fields and what the page says, as a guest (and a screen reader) gets them. */
const form = async (page: Page): Promise<{ heading: string; alert: string[]; username: { value: string; invalid: string | null; describedBy: string | null }; passcode: { value: string; invalid: string | null; describedBy: string | null } }> => {
  const field = async (label: string): Promise<{ value: string; invalid: string | null; describedBy: string | null }> => {
    const input = page.getByLabel(label, { exact: true })
    return { value: await input.inputValue(), invalid: await input.getAttribute('aria-invalid'), describedBy: await input.getAttribute('aria-describedby') }
  }
  return {
    heading: (await page.getByRole('heading', { level: 1 }).textContent() ?? '').trim(),
    alert: (await page.getByRole('alert').allTextContents()).map((s) => s.trim()),
    username: await field('Username'),
    passcode: await field('Passcode'),
  }
}

const WRONG = 'The username or passcode is not right. Please check your voucher and try again.'
const HINT = /^Your voucher is tied to this device\. /

t.test('the voucher sign-in in headless Chromium on a phone, with and without JavaScript', { skip: problem ?? false }, async (t) => {
  const missing = bundleProblem()
  if (missing !== null) throw new Error(missing)
  const { chromium } = loaded as Playwright
  const fake: Fake = fakeNdsctl(t, [], OPENNDS)
  const dir = dirname(fake.path)
  const device = (mac: string): void => { writeFileSync(join(dir, 'client.json'), waitingGuest(mac)) }
  device('00:1a:2b:3c:4d:5e') // a phone with its own (universal) MAC
  const port = await freePort()
  const cfg = join(dir, 'hotspotd.config')
  writeFileSync(cfg, `config hotspotd 'main'
	option backend 'opennds'
config api 'api'
	option enabled '1'
	option key '${KEY}'
config ubus 'ubus'
	option socket '${join(dir, 'no-ubusd.sock')}'
	option jsonrpc '0'
config opennds 'opennds'
	option ndsctl '${fake.path}'
config portal 'portal'
	list guest_interface 'lo'
	option port '${port}'
	option path '/portal/'
`)

  const { child: daemon, lines, started, exited } = await runBundle(t, ['--config', cfg, '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'])
  t.match(started, new RegExp(`; backend opennds; .*; portal on 127\\.0\\.0\\.1:${port}$`), 'the portal listens on lo')
  const apiUrl = `http://127.0.0.1:${/ on 127\.0\.0\.1:(\d+)/.exec(started)?.[1] as string}/api/`
  const api = async (params: Record<string, string>): Promise<Record<string, unknown>> =>
    await (await fetch(apiUrl, { method: 'POST', body: new URLSearchParams({ 'api-key': KEY, ...params }) })).json() as Record<string, unknown>
  const auths = (): string[] => fake.argv().filter((l) => l.startsWith('ndsctl auth '))

  // 2 hours, 100 MB down and 20 MB up: openNDS gets 120 minutes and the quotas in KiB.
  for (const [username, passcode] of [['room1', 'pass1111'], ['room2', 'pass2222'], ['room3', 'pass3333']] as const) {
    t.match(await api({ action: 'create_voucher', username, passcode, valid_for: '2 hours', download_limit: '100', upload_limit: '20' }), { message: 'User added successfully' })
  }

  const origin = `http://127.0.0.1:${port}`
  const entry = (mac: string, gatewayName = GATEWAY_NAME): string => `${origin}/portal/?${redirectQuery(mac, gatewayName)}`
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 })
  t.teardown(() => browser.close())
  t.comment(`Chromium ${browser.version()}`)

  /** A guest's whole sign-in in a fresh context: the redirect, a wrong passcode, the right one. */
  const signIn = async (t: Test, o: { javaScript: boolean; mac: string; hint: boolean; username: string; passcode: string; id: number }): Promise<{ page: Page; w: Watch }> => {
    const context = await browser.newContext({ ...PHONE, javaScriptEnabled: o.javaScript, locale: 'en-US' })
    t.teardown(() => context.close())
    const w = await watch(context, origin)
    const page = await context.newPage()
    const shot = async (name: string): Promise<void> => {
      if (SCREENSHOTS !== '') await page.screenshot({ path: join(SCREENSHOTS, `${o.javaScript ? 'js' : 'nojs'}-${name}.png`), fullPage: true })
    }

    // openNDS redirects the captured guest to the portal.
    const shown = await page.goto(entry(o.mac))
    t.equal(shown?.status(), 200, 'the redirect opens the sign-in page')
    t.match(shown?.headers()['content-security-policy'], /^default-src 'none'; /, 'under the portal\'s CSP')
    t.same(await form(page), {
      heading: `Welcome to ${GATEWAY_NAME}`,
      alert: [],
      username: { value: '', invalid: null, describedBy: null },
      passcode: { value: '', invalid: null, describedBy: null },
    }, 'the splash page: the gateway\'s name, an empty voucher form, no error')
    t.equal(await page.getByRole('heading', { level: 2 }).textContent(), 'I have a voucher')
    t.equal(await page.getByText(HINT).count(), o.hint ? 1 : 0, o.hint ? 'a private (randomized) MAC: the hint about it' : 'no hint about private addresses')
    await checkLayout(t, page, 'sign-in page')
    await shot('1-sign-in')

    // A wrong passcode: refused, said in the alert region, both fields marked; the username stays, the passcode does not.
    await page.getByLabel('Username', { exact: true }).fill(o.username)
    await page.getByLabel('Passcode', { exact: true }).fill('nope-1234')
    const refused = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Connect' }).tap()]).then(([r]) => r)
    t.equal(refused?.status(), 200)
    t.equal(new URL(page.url()).pathname, '/portal/login', 'the form was POSTed to the portal')
    t.same(await form(page), {
      heading: `Welcome to ${GATEWAY_NAME}`,
      alert: [WRONG],
      username: { value: o.username, invalid: 'true', describedBy: 'err' },
      passcode: { value: '', invalid: 'true', describedBy: 'err' },
    }, 'a wrong passcode: the error in role=alert, the fields aria-invalid, the username kept, the passcode not')
    t.equal(await page.locator('#err').getAttribute('aria-live'), 'assertive')
    await checkLayout(t, page, 'refusal page')
    await shot('2-refused')
    t.same(auths().filter((l) => l.endsWith(`hs-v${o.id}`)), [], 'openNDS was not asked')

    // The right passcode: through.
    await page.getByLabel('Passcode', { exact: true }).fill(o.passcode)
    const through = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Connect' }).tap()]).then(([r]) => r)
    t.equal(through?.status(), 200)
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'You are connected')
    t.ok(await page.getByText(`Welcome to ${GATEWAY_NAME}`).isVisible(), 'with the gateway\'s welcome')
    t.ok(await page.getByText('Your access is valid for 2 hours.').isVisible(), 'and how long the access lasts')
    t.equal(await page.getByRole('link', { name: 'Continue' }).getAttribute('href'), ORIGIN_URL, 'Continue leads to the page the guest wanted')
    t.same(await page.getByRole('alert').count(), 0)
    await checkLayout(t, page, 'connected page')
    await shot('3-connected')
    t.same(auths().filter((l) => l.endsWith(`hs-v${o.id}`)), [`ndsctl auth 127.0.0.1 120 0 0 20480 102400 hs-v${o.id}`],
      'openNDS was asked once, for the client at 127.0.0.1, with the voucher\'s grant and identity')
    return { page, w }
  }

  /** What must hold for a whole context: nothing off the portal, nothing but pages, a clean console. */
  const clean = (t: Test, w: Watch): void => {
    t.same(w.outside, [], 'no request left the portal\'s origin')
    t.same(w.requests.filter((r) => !/^(GET document \/portal\/\?fas=|POST document \/portal\/login$)/.test(r)), [], 'the pages load nothing but themselves')
    t.same(w.console, [], 'no console errors or warnings')
    t.same(w.pageErrors, [], 'no page errors')
    t.same(w.csp, [], 'no CSP violations')
  }

  await t.test('with JavaScript', async (t) => {
    const { page, w } = await signIn(t, { javaScript: true, mac: '00:1a:2b:3c:4d:5e', hint: false, username: 'room1', passcode: 'pass1111', id: 1 })
    t.match(await api({ action: 'get_active_guests' }), { data: [{ logins: 'room1', address: '127.0.0.1', 'mac-address': '00:1A:2B:3C:4D:5E' }] },
      'get_active_guests shows the guest under its voucher')
    t.same(((await api({ action: 'get_logins' })).users as Array<Record<string, string>>).map((l) => [l.identity, l.result]),
      [['room1', 'wrong_credentials'], ['room1', 'success']], 'the login log has both attempts')
    t.match(await api({ action: 'get_voucher_users' }), { users: [{ username: 'room1', MAC: '00:1A:2B:3C:4D:5E', first_login: String }, { username: 'room2', MAC: null, first_login: null }, { username: 'room3' }] },
      'the voucher is started and bound to the device')

    // openNDS sends the guest to the portal once more (a captive-portal check): it is told it is through.
    await page.goto(entry('00:1a:2b:3c:4d:5e'))
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'You are already connected')
    t.equal(auths().length, 1, 'without asking openNDS again')
    clean(t, w)
    t.ok(w.requests.length >= 4, `every page load went through the watch (${w.requests.length})`)

    // The watch itself: a CSP violation is seen (a same-origin image, which default-src 'none' blocks before any request).
    await page.evaluate(() => {
      const { document } = globalThis as unknown as InPage
      const img = document.createElement('img')
      img.src = '/portal/probe.png'
      document.body.append(img)
    })
    await until(() => w.csp.length > 0 && w.console.length > 0, 5_000, () => `the probe violation was not seen: ${JSON.stringify(w)}`)
    t.match(w.csp, [/^img-src .*\/portal\/probe\.png$/], 'the violation listener works')
    t.match(w.console, [/Content Security Policy/], 'and so does the console listener')
  })

  await t.test('with JavaScript disabled', async (t) => {
    // The next device at 127.0.0.1 has a private (randomized) MAC: the page adds its hint.
    device('02:5e:00:00:00:21')
    const { w } = await signIn(t, { javaScript: false, mac: '02:5e:00:00:00:21', hint: true, username: 'room2', passcode: 'pass2222', id: 2 })
    t.match(await api({ action: 'get_active_guests' }), { data: [{ logins: 'room2', address: '127.0.0.1', 'mac-address': '02:5E:00:00:00:21' }] })
    t.same(((await api({ action: 'get_logins' })).users as Array<Record<string, string>>).map((l) => [l.identity, l.result]),
      [['room1', 'wrong_credentials'], ['room1', 'success'], ['room2', 'wrong_credentials'], ['room2', 'success']])
    clean(t, w)
  })

  // openNDS' gatewayname is the operator's: it may have no place to break a line at all.
  await t.test('a gateway name with no break opportunity still fits the phone', async (t) => {
    const name = 'CaféBellevueGästehausTerrassenLoungeWLAN'
    device('00:1a:2b:3c:4d:6f')
    const context = await browser.newContext({ ...PHONE, locale: 'en-US' })
    t.teardown(() => context.close())
    const w = await watch(context, origin)
    const page = await context.newPage()
    await page.goto(entry('00:1a:2b:3c:4d:6f', name))
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), `Welcome to ${name}`)
    await checkLayout(t, page, 'sign-in page')
    await page.getByLabel('Username', { exact: true }).fill('room3')
    await page.getByLabel('Passcode', { exact: true }).fill('pass3333')
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Connect' }).tap()])
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'You are connected')
    await checkLayout(t, page, 'connected page')
    clean(t, w)
  })

  daemon.kill('SIGTERM')
  t.equal(await exited, 0, 'the daemon stops cleanly')
  t.same(lines.filter((l) => /^(error|warn): /.test(l)), [], 'the daemon logged no errors or warnings')
  t.ok(lines.includes('info: hotspotd stopped'))
})
