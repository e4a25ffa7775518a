// The admin panel in a real browser: Debian's headless Chromium, driven by playwright-core,
// against the built daemon (dist/hotspotd.js serving dist/admin/ at /admin/ on its LAN listener,
// 127.0.0.1 here). What the issue asks: sign in (by keyboard), turn GET off and see /api/ refuse a
// GET with the seed's message, regenerate the key and see the old one refused, create a batch and
// find it in the list and in get_voucher_users, a print sheet whose QR codes decode (jsQR, from
// the pixels the browser draws) to the portal links, remove a voucher, CSV matching the API, the session ending. Each page is photographed
// at phone (390x844) and desktop (1366x900) width into docs/screenshots/, which the README links.
// openNDS is played by the fake ndsctl: its real `ndsctl json` output (a signed-in guest and a
// waiting one) until the panel disconnects the guest (`ndsctl deauth`), then an empty list.
import t, { type Test } from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import jsQR from 'jsqr'
import { bundleProblem, runBundle } from '../fixtures/bundle'
import { fakeNdsctl, FIXTURES } from '../fixtures/fake-ndsctl'
import { freePort } from '../fixtures/ports'
import { apiBase, apiCall, http, uci } from '../fixtures/reliability'
import { hashPassword } from '../../src/config/password'
import { qrSvg } from '../../src/admin/ui/qr'

const CHROMIUM = '/usr/bin/chromium'
/** The flags Debian's Chromium needs here: no sandbox (root, containers), no GPU, and no traffic of its own. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const KEY = 'admin-browser-key-0123456789abcdef'
const PASSWORD = 'panel-password-1'
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true }
const DESKTOP = { viewport: { width: 1366, height: 900 } }
const SHOTS = resolve('docs/screenshots')
/** Twenty: on two A4 pages only if at least ten cards fit a page. */
const BATCH = 20

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

/** What the page's globals look like to the few functions run in it (the project's tsconfig has no DOM lib). */
interface InPage {
  innerWidth: number
  document: {
    documentElement: { scrollWidth: number }
    activeElement: { id: string } | null
    querySelectorAll: (selectors: string) => Iterable<{ tagName: string; id: string; textContent: string | null; getBoundingClientRect: () => { width: number; height: number } }>
  }
}

type Json = Record<string, unknown>
interface Voucher { username: string; password: string; valid_for: string; download_limit: number }

/** Records console errors and page errors of a context's pages; a refused request's "Failed to load resource" is the server's answer, checked on its own. */
const watch = (context: BrowserContext): string[] => {
  const errors: string[] = []
  context.on('page', (page) => {
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()) })
    page.on('pageerror', (err) => { errors.push(err.message) })
  })
  return errors
}

/** A PNG of the page (the whole of it, or the screen's worth where the page is long) for the README's readers. */
const shot = async (page: Page, name: string, width: 'phone' | 'desktop', fullPage = true): Promise<void> => {
  await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage })
}

/** WCAG 2.5.5's (and Apple's) smallest comfortable tap target, in CSS px. */
const MIN_TAP = 44

/** No sideways scrolling of the page itself (tables scroll inside their own box); on a phone, every visible button, link and field a comfortable tap target. */
const fits = async (t: Test, page: Page, what: string, phone = true): Promise<void> => {
  const m = await page.evaluate(() => {
    const g = globalThis as unknown as InPage
    const small = [...g.document.querySelectorAll('button, a[href], input:not([type=checkbox]):not([type=hidden]), select')]
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && r.height > 0 && r.height < 44)
      .map(({ e, r }) => `${e.tagName.toLowerCase()}#${e.id} "${(e.textContent ?? '').trim()}" ${r.height}px`)
    return { inner: g.innerWidth, scroll: g.document.documentElement.scrollWidth, small }
  })
  t.ok(m.scroll <= m.inner, `${what}: nothing scrolls sideways (${m.scroll} <= ${m.inner})`)
  if (phone) t.same(m.small, [], `${what}: every button, link and field is at least ${MIN_TAP} CSS px tall`)
}

/**
 * openNDS with a signed-in guest and a waiting one (its real output) until a `deauth`, then none.
 * The sessions are not hotspotd's own (custom "none"), so the enforcer leaves them be: only the
 * panel's Disconnect ends one.
 */
const OPENNDS = String.raw`case "$1" in
  json)
    if [ -f "$d/gone" ]; then echo '{"client_list_length":"0","clients":{}}'
    else sed 's/"custom":"[^"]*"/"custom":"none"/' '${join(FIXTURES, 'ndsctl-json-authed.json')}'; fi ;;
  deauth)
    touch "$d/gone"; echo "Client $2 deauthenticated." ;;
esac`

/**
 * Run in the page (as source text: the project's tsconfig has no DOM types): every voucher card's
 * QR code drawn on a canvas, 4 px a module, and its RGBA pixels in base64.
 */
const DRAW_QR_CODES = `(async () => {
  const out = []
  for (const svg of document.querySelectorAll('.voucher-card .qr svg')) {
    const img = new Image()
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg.outerHTML)
    await img.decode()
    const side = Number(svg.viewBox.baseVal.width) * 4
    const canvas = document.createElement('canvas')
    canvas.width = canvas.height = side
    const ctx = canvas.getContext('2d')
    ctx.imageSmoothingEnabled = false
    ctx.drawImage(img, 0, 0, side, side)
    const rgba = ctx.getImageData(0, 0, side, side).data
    let bin = ''
    for (let i = 0; i < rgba.length; i += 8192) bin += String.fromCharCode(...rgba.subarray(i, i + 8192))
    out.push({ side, pixels: btoa(bin) })
  }
  return out
})()`

const status = (page: Page): Promise<string> => page.locator('#status').innerText()

t.test('the admin panel in headless Chromium', { skip: problem ?? false }, async (t) => {
  const missing = bundleProblem() ?? (existsSync('dist/admin/app.js') ? null : 'dist/admin/app.js is missing: run make build')
  if (missing !== null) throw new Error(missing)
  const { chromium } = loaded as Playwright
  const dir = mkdtempSync(join(tmpdir(), 'hotspotd-admin-browser-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  mkdirSync(SHOTS, { recursive: true })
  const fake = fakeNdsctl(t, [], OPENNDS)
  const portalPort = await freePort()
  const cfg = join(dir, 'hotspotd.config')
  writeFileSync(cfg, uci({
    main: ['hotspotd', { backend: 'opennds', default_valid_for: '1 day' }],
    api: ['api', { enabled: '1', get: '1', post: '1', key: KEY }],
    ubus: ['ubus', { socket: join(dir, 'no-ubusd.sock'), jsonrpc: '0' }],
    admin: ['admin', { password_hash: await hashPassword(PASSWORD) }],
    opennds: ['opennds', { ndsctl: fake.path, poll_interval: 3600 }],
    portal: ['portal', { guest_interface: ['lo'], port: portalPort, path: '/portal/' }],
  }))
  const daemon = await runBundle(t, ['--config', cfg, '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'])
  const base = apiBase(daemon)
  const panel = `${base}/admin/`
  let key = KEY
  const api = async (params: Record<string, string>, k = key): Promise<Json> => (await apiCall(base, k, params)).json as Json
  const vouchersOverApi = async (): Promise<Voucher[]> => (await api({ action: 'get_voucher_users' })).users as Voucher[]

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 })
  t.teardown(() => browser.close())
  t.comment(`Chromium ${browser.version()}`)
  const context = await browser.newContext({ ...DESKTOP, acceptDownloads: true })
  const errors = watch(context)
  const page = await context.newPage()
  page.on('dialog', (d) => { void d.accept() })

  await t.test('sign-in: a wrong password is shown, the right one typed by keyboard gets in', async (t) => {
    const shown = await page.goto(panel)
    t.equal(shown?.status(), 200)
    t.match(shown?.headers()['content-security-policy'], /script-src 'self'/, 'under the panel\'s CSP')
    await page.locator('#password').waitFor()
    t.equal(await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.id), 'username', 'the username field has the focus')
    await shot(page, 'sign-in', 'desktop')
    await page.locator('#username').fill('admin')
    await page.locator('#password').fill('not-the-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('#sign-in-error:not(:empty)').waitFor()
    t.equal(await page.locator('#sign-in-error').innerText(), 'Wrong username or password', 'the server\'s refusal, as it says it')
    t.equal(await page.locator('#password').getAttribute('aria-invalid'), 'true')
    t.equal(await page.locator('#sign-in-error').getAttribute('role'), 'alert')

    // Keyboard only: from the username, Tab to the password, type it, Enter.
    await page.locator('#username').focus()
    await page.keyboard.press('Tab')
    t.equal(await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.id), 'password', 'Tab moves to the password')
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press('Enter')
    await page.locator('#api-docs').waitFor()
    t.equal(new URL(page.url()).hash, '#/api', 'signed in: the API Access page')
    t.equal(await page.locator('.who').innerText(), 'admin')
  })

  await t.test('API Access: every element of the seed\'s page', async (t) => {
    for (const name of ['Enable API', 'Enable API POST Method', 'Enable API GET Method']) {
      t.equal(await page.getByRole('switch', { name, exact: true }).isChecked(), true, `${name}: on`)
    }
    t.equal(await page.locator('#endpoint-0').inputValue(), `${base}/api/`, 'Current API Endpoint: where the daemon listens')
    t.match(await page.locator('#cloud').innerText(), /Cloud API Endpoint[\s\S]*Off/, 'Cloud API Endpoint: off, as configured')
    t.equal(await page.locator('#api-key').inputValue(), KEY, 'the API Key')
    const get = await page.locator('#doc-create_voucher pre[data-method=get]').innerText()
    t.equal(get, `GET ${base}/api/?api-key=${KEY}&action=create_voucher&username=user123&passcode=pass123&fullname=John%20Doe&valid_for=1%20day&valid_from=2025-01-17%2010:00:00&download_limit=1024&upload_limit=512`,
      'the documentation\'s GET example is the seed\'s, for this router and its key')
    t.match(await page.locator('#doc-create_voucher pre[data-method=post]').innerText(), `POST ${base}/api/\nContent-Type: application/json\nBody:\n{\n  "api-key": "${KEY}",\n  "action": "create_voucher",`)
    t.ok(await page.locator('#doc-get_active_guests').isVisible(), 'every /api/ action is documented')
    t.equal(await page.locator('#doc-rotate_api_key').count(), 0, 'admin actions are not (/api/ does not serve them)')
    t.match(await page.locator('#api-docs .messages').innerText(), /API is not enabled\s+API does not accept requests because it is disabled/, 'the seed\'s API Messages')
    await fits(t, page, 'api-access (desktop)', false)
    await shot(page, 'api-access', 'desktop', false)
    await page.locator('#doc-create_voucher').screenshot({ path: join(SHOTS, 'api-docs-desktop.png') })
  })

  await t.test('GET off: /api/ refuses a GET with the seed\'s message', async (t) => {
    const ok = await http(`${base}/api/?api-key=${key}&action=get_voucher_users`)
    t.equal(ok.status, 200, 'a GET works while GET is on')
    await page.getByText('Enable API GET Method', { exact: true }).click()
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector: (s: string) => { textContent: string } | null } }).document.querySelector('#status')?.textContent === 'Enable API GET Method: Off. Saved.')
    t.equal(await page.getByRole('switch', { name: 'Enable API GET Method' }).isChecked(), false, 'the saved state is shown')
    const refused = await http(`${base}/api/?api-key=${key}&action=get_voucher_users`)
    t.same(refused.json, { message: 'API Key not set or method not allowed', error: true }, 'the seed\'s refusal')
    t.equal(await page.locator('#doc-create_voucher pre[data-method=get]').count(), 0, 'the docs no longer offer GET examples')
    t.match(await api({ action: 'get_voucher_users' }), { users: [] }, 'POST still works')
    await page.reload()
    await page.locator('#api-docs').waitFor()
    t.equal(await page.getByRole('switch', { name: 'Enable API GET Method' }).isChecked(), false, 'and it stays off after a reload')
  })

  await t.test('Regenerate: the old key is refused, the new one works', async (t) => {
    await page.getByRole('button', { name: 'Regenerate' }).click()
    await page.waitForFunction((old) => {
      const doc = (globalThis as unknown as { document: { querySelector: (s: string) => { value: string } | null } }).document
      const v = doc.querySelector('#api-key')?.value
      return v !== undefined && v !== old
    }, KEY)
    key = await page.locator('#api-key').inputValue()
    t.not(key, KEY, 'a new key is shown')
    t.match(await status(page), 'A new API key was generated')
    t.same(await api({ action: 'get_voucher_users' }, KEY), { message: 'API Key is incorrect', error: true }, 'the old key: the seed\'s refusal')
    t.match(await api({ action: 'get_voucher_users' }), { users: [] }, 'the new key works')
    t.match(await page.locator('#doc-create_voucher pre[data-method=post]').innerText(), `"api-key": "${key}"`, 'the docs show the new key')
  })

  const created: string[] = []
  await t.test('Vouchers: a batch, found in the list and over /api/; search and sort', async (t) => {
    await page.getByRole('link', { name: 'Vouchers' }).click()
    await page.locator('#create').waitFor()
    t.equal(await page.locator('#create').getAttribute('open'), '', 'no vouchers yet: the form is open')
    t.match(await page.locator('#voucher-table').innerText(), 'Nothing here yet.')
    await page.getByLabel('How many').fill(String(BATCH))
    await page.getByLabel('Username prefix').fill('batch-')
    await page.getByLabel('Valid for').selectOption('2 hours')
    await page.getByLabel('Download limit (MB)').fill('100')
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    await page.locator('#print-created').waitFor()
    t.equal(await status(page), `${BATCH} vouchers created.`)
    await page.locator('#voucher-table table').waitFor()
    t.equal(await page.locator('#page-info').innerText(), `1–${BATCH} of ${BATCH}`)
    const listed = await page.locator('#voucher-table tbody th').allInnerTexts()
    t.equal(listed.length, BATCH)
    t.ok(listed.every((u) => u.startsWith('batch-')), 'every username has the prefix')
    const overApi = await vouchersOverApi()
    t.same(overApi.map((v) => v.username).sort(), [...listed].sort(), 'get_voucher_users over /api/ has the same vouchers')
    t.ok(overApi.every((v) => v.valid_for === '2 hours' && v.download_limit === 100), 'with the shared settings')
    created.push(...listed)

    // Sort by username, ascending (by keyboard: the header is a button) then descending: the server's order.
    await page.getByRole('button', { name: 'Sort by Username' }).focus()
    await page.keyboard.press('Enter')
    await page.locator('th[aria-sort=ascending] #sort-username').waitFor()
    t.same(await page.locator('#voucher-table tbody th').allInnerTexts(), [...listed].sort(), 'ascending')
    await page.getByRole('button', { name: 'Sort by Username' }).click()
    await page.locator('th[aria-sort=descending] #sort-username').waitFor()
    t.same(await page.locator('#voucher-table tbody th').allInnerTexts(), [...listed].sort().reverse(), 'descending')
    t.match(new URL(page.url()).hash, /sort=username&order=desc/, 'the view is kept in the address')

    // Search for one of them.
    const one = listed[3] as string
    await page.getByLabel('Search', { exact: true }).fill(one)
    await page.locator('#page-info', { hasText: '1–1 of 1' }).waitFor()
    t.same(await page.locator('#voucher-table tbody th').allInnerTexts(), [one], 'the search finds it alone')
    await page.getByLabel('Search', { exact: true }).fill('')
    await page.locator('#page-info', { hasText: `of ${BATCH}` }).waitFor()
    await fits(t, page, 'vouchers (desktop)', false)
    await shot(page, 'vouchers', 'desktop')
  })

  await t.test('the print sheet: a card and a QR code per voucher, the portal link in each', async (t) => {
    await page.getByLabel('Select all on this page').check()
    t.equal(await page.locator('#selected-count').innerText(), `${BATCH} selected`)
    await page.getByRole('button', { name: 'Print selected' }).click()
    await page.locator('#sheet').waitFor()
    const cards = page.locator('.voucher-card')
    t.equal(await cards.count(), BATCH, 'one card per selected voucher')
    const vouchers = new Map((await vouchersOverApi()).map((v) => [v.username, v]))
    const qrs = await page.locator('.voucher-card .qr').evaluateAll((els) => els.map((e) => {
      const el = e as unknown as { getAttribute: (n: string) => string; querySelector: (s: string) => { getAttribute: (n: string) => string } }
      return { url: el.getAttribute('data-url'), modules: el.querySelector('svg').getAttribute('data-modules'), d: el.querySelector('path').getAttribute('d') }
    }))
    t.equal(qrs.length, BATCH, 'a QR code on every card')
    for (const q of qrs) {
      const link = new URL(q.url)
      t.equal(`${link.origin}${link.pathname}`, `http://127.0.0.1:${portalPort}/portal/`, 'the QR code opens the portal')
      const username = link.searchParams.get('code') ?? ''
      t.ok(vouchers.has(username), `${username}: with the voucher's code filled in`)
      const want = qrSvg(q.url, '')
      t.equal(Number(q.modules), want.size, `${username}: ${want.size} modules a side`)
      t.equal(q.d, want.path, `${username}: the SVG draws the link's QR code`)
    }
    // Decoded independently: each SVG drawn on a canvas in the page, its pixels read by jsQR.
    const drawn = await page.evaluate(DRAW_QR_CODES) as Array<{ side: number; pixels: string }>
    t.same(drawn.map(({ side, pixels }) => jsQR(new Uint8ClampedArray(Buffer.from(pixels, 'base64')), side, side)?.data), qrs.map((q) => q.url),
      'every QR code, as pixels, decodes to its card\'s portal link')
    const first = cards.first()
    const username = await first.getAttribute('data-username') as string
    t.match(await first.innerText(), new RegExp(`Code\\s+${username}\\s+Passcode\\s+${vouchers.get(username)?.password as string}\\s+Valid for\\s+2 hours[\\s\\S]*Download\\s+100 MB\\s+Upload\\s+Unlimited`),
      'the card: code, passcode, validity and limits')
    await fits(t, page, 'print (desktop)', false)
    await shot(page, 'print', 'desktop')
    // On paper: the panel around the sheet is hidden, ten cards to an A4 page (eight would take three pages).
    const pdf = (await page.pdf({ format: 'A4', printBackground: true })).toString('latin1')
    const pages = pdf.match(/\/Type\s*\/Page[^s]/g)?.length ?? 0
    t.equal(pages, Math.ceil(BATCH / 10), `${BATCH} cards print on ${Math.ceil(BATCH / 10)} A4 pages`)
    // And at paper width (A4's 190 mm between the margins), nothing on a card is cut off.
    await page.setViewportSize({ width: 718, height: 1047 })
    await page.emulateMedia({ media: 'print' })
    const cut = await cards.evaluateAll((els) => els.flatMap((e) => {
      type Box = { getBoundingClientRect: () => { bottom: number; right: number }; querySelectorAll: (s: string) => Iterable<Box> }
      const card = e as unknown as Box
      const edge = card.getBoundingClientRect()
      return [...card.querySelectorAll('h2, dt, dd, svg')].map((c) => c.getBoundingClientRect()).filter((r) => r.bottom > edge.bottom + 0.5 || r.right > edge.right + 0.5).length
    }))
    t.same(cut.filter((n) => n > 0), [], 'every line and QR code inside its card')
    t.equal(await page.locator('header.top').isVisible(), false, 'the panel around the sheet is not printed')
    await page.emulateMedia({ media: 'screen' })
    await page.setViewportSize(DESKTOP.viewport)
  })

  await t.test('remove a voucher, with a confirmation', async (t) => {
    await page.getByRole('link', { name: 'Back to the list' }).click()
    await page.locator('#voucher-table table').waitFor()
    const gone = (await page.locator('#voucher-table tbody th').first().innerText())
    await page.getByRole('button', { name: `Remove ${gone}` }).click()
    await page.locator('#page-info', { hasText: `of ${BATCH - 1}` }).waitFor()
    t.equal(await status(page), `Voucher ${gone} removed.`)
    const left = (await vouchersOverApi()).map((v) => v.username)
    t.equal(left.length, BATCH - 1)
    t.notOk(left.includes(gone), 'get_voucher_users no longer has it')
  })

  await t.test('create one voucher; the server\'s refusal of a second with its name is shown', async (t) => {
    await page.locator('#create summary').click()
    await page.getByLabel('How many').fill('1')
    await page.getByLabel('Username', { exact: true }).fill('front-desk')
    await page.getByLabel('Passcode', { exact: true }).fill('pass-1234')
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    await page.locator('#page-info', { hasText: `of ${BATCH}` }).waitFor()
    t.equal(await status(page), 'Voucher front-desk created.')
    t.match((await vouchersOverApi()).find((v) => v.username === 'front-desk'), { password: 'pass-1234', valid_for: '1 day' }, 'over /api/ too, with the preset validity')
    await page.getByLabel('Username', { exact: true }).fill('front-desk')
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    await page.locator('#status.error').waitFor()
    t.equal(await status(page), 'Username already exists', 'the seed\'s message, in an alert')
    t.equal(await page.locator('#status').getAttribute('role'), 'alert')
  })

  await t.test('CSV export: the vouchers and the user lists, as the API answers them', async (t) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export Vouchers as CSV' }).click()])
    const csv = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/)
    const header = (csv[0] as string).split(',')
    t.equal(header[1], 'username')
    const overApi = await vouchersOverApi()
    const rows = csv.slice(1).map((l) => l.split(','))
    t.same(rows.map((r) => r[1]), overApi.map((v) => v.username), 'one row per voucher, in the API\'s order')
    t.same(rows.map((r) => r[header.indexOf('password')]), overApi.map((v) => v.password), 'with their passcodes')

    await page.getByRole('link', { name: 'Users and logins' }).click()
    await page.locator('#export-csv').waitFor()
    for (const [list, action, label] of [['email_users', 'get_email_users', 'E-mail users'], ['logins', 'get_logins', 'Login log']] as const) {
      await page.getByRole('link', { name: label, exact: true }).click()
      await page.locator('#list-h', { hasText: label }).waitFor()
      t.equal(await page.locator('#export-csv').getAttribute('href'), `/admin/api/export/${list}.csv`)
      const answer = await context.request.get(`${base}/admin/api/export/${list}.csv`)
      t.equal(answer.status(), 200)
      const lines = (await answer.text()).trim().split(/\r?\n/)
      t.equal(lines.length - 1, ((await api({ action })).users as unknown[]).length, `${list}: as many rows as ${action} has`)
    }
    await fits(t, page, 'users (desktop)', false)
    await shot(page, 'users', 'desktop')
  })

  await t.test('Guests: live lists, refreshed every few seconds', async (t) => {
    let polls = 0
    page.on('request', (r) => { if (r.url().endsWith('/admin/api/call') && (r.postData() ?? '').includes('"get_active_guests"')) polls++ })
    await page.getByRole('link', { name: 'Guests' }).click()
    await page.locator('#active-guests').waitFor()
    await page.locator('#active-guests table').waitFor()
    const rows = page.locator('#active-guests tbody tr')
    t.equal(await rows.count(), 1, 'the guest openNDS holds as Authenticated (the other one waits at the portal)')
    t.match(await rows.first().innerText(), /10\.77\.0\.11\s+02:77:00:00:00:11/, 'with address and MAC')
    t.match(await page.locator('#active-guests thead').innerText(), /Uptime\s+Idle\s+Downloaded\s+Uploaded/, 'uptime, idle time and bytes')
    t.match(await rows.first().innerText(), /\d+(\.\d)? (B|KB|MB|GB)/, 'bytes made readable')
    await page.waitForFunction(() => /Updated \d\d:\d\d:\d\d/.test((globalThis as unknown as { document: { querySelector: (s: string) => { textContent: string } | null } }).document.querySelector('#updated')?.textContent ?? ''))
    const before = polls
    await page.waitForTimeout(5_600)
    t.ok(polls > before, `polled again within 5.6 s (${before} then ${polls})`)
    await fits(t, page, 'guests (desktop)', false)
    await shot(page, 'guests', 'desktop')
    await page.getByRole('button', { name: 'Disconnect 02:77:00:00:00:11' }).click()
    await page.locator('#active-guests', { hasText: 'No guest is connected.' }).waitFor()
    t.equal(await status(page), '02:77:00:00:00:11 disconnected.')
    t.ok(fake.argv().some((l) => /^ndsctl deauth 02:77:00:00:00:11/i.test(l)), 'openNDS was asked to deauth the device')
    rmSync(join(dirname(fake.path), 'gone')) // the guest signs in again, for the phone's pictures
  })

  await t.test('a session that ends leads back to sign-in', async (t) => {
    await context.clearCookies()
    await page.getByRole('link', { name: 'Vouchers' }).click()
    await page.locator('#password').waitFor()
    t.equal(await status(page), 'Your session has ended. Please sign in again.')
    await page.locator('#username').fill('admin')
    await page.locator('#password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('#voucher-table').waitFor()
    t.match(new URL(page.url()).hash, /^#\/vouchers/, 'signed in again, back where it was')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.locator('#password').waitFor()
    t.equal((await context.request.get(`${base}/admin/api/session`)).status(), 401, 'signed out: no session')
  })

  await t.test('on a phone: every page fits the screen', async (t) => {
    const phone = await browser.newContext(PHONE)
    t.teardown(() => phone.close())
    const phoneErrors = watch(phone)
    const p = await phone.newPage()
    await p.goto(panel)
    await p.locator('#password').waitFor()
    await fits(t, p, 'sign-in')
    await shot(p, 'sign-in', 'phone')
    await p.locator('#username').fill('admin')
    await p.locator('#password').fill(PASSWORD)
    await p.getByRole('button', { name: 'Sign in' }).tap()
    await p.locator('#api-docs').waitFor()
    for (const [name, hash, ready] of [['api-access', '#/api', '#api-docs'], ['vouchers', '#/vouchers', '#voucher-table table'], ['guests', '#/guests', '#active-guests'], ['users', '#/users', '#export-csv']] as const) {
      await p.goto(`${panel}${hash}`)
      await p.locator(ready).waitFor()
      await fits(t, p, name)
      await shot(p, name, 'phone', name !== 'api-access')
    }
    await p.goto(`${panel}#/vouchers`)
    await p.getByLabel('Select all on this page').check()
    await p.getByRole('button', { name: 'Print selected' }).tap()
    await p.locator('.voucher-card svg').first().waitFor()
    await fits(t, p, 'print')
    await shot(p, 'print', 'phone')
    t.same(phoneErrors, [], 'no console or page errors')
  })

  await t.test('too many failed sign-ins: the 429 is shown', async (t) => {
    const c = await browser.newContext(DESKTOP)
    t.teardown(() => c.close())
    const p = await c.newPage()
    await p.goto(panel)
    let said = ''
    for (let i = 0; i < 30 && !/Too many/.test(said); i++) {
      await p.locator('#username').fill('admin')
      await p.locator('#password').fill(`wrong-${i}`)
      await p.getByRole('button', { name: 'Sign in' }).click()
      await p.locator('#sign-in-error:not(:empty)').waitFor()
      said = await p.locator('#sign-in-error').innerText()
      await p.locator('button[type=submit]:not([disabled])').waitFor()
    }
    t.match(said, /^Too many/, `the lockout is said: ${said}`)
  })

  t.same(errors, [], 'no console or page errors')
})
