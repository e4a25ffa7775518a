/**
 * @module test/portal/pages
 * The portal pages as a browser and an attacker see them: document structure (doctype, lang, one
 * h1, balanced elements, unique ids, a label for every input), the forms (POST, action, hidden sid
 * and method, field attributes), only the enabled methods, the error region and the fields it
 * marks, escaping of hostile gateway names, values, session ids, actions, error values and landing
 * URLs, the size budget in every language, no external references, the security headers and the
 * inline stylesheet's hash.
 */
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import {
  connectedPage,
  escapeHtml,
  messagePage,
  type PageBase,
  SECURITY_HEADERS,
  splashPage,
  type SplashOptions,
  STYLE_HASH,
} from '../../src/portal/pages'
import { LANGS, STRINGS, type StringKey } from '../../src/portal/strings'

const BASE: PageBase = { lang: 'en', gatewayName: 'Café Rosa', sid: 'c0ffee42', action: '/portal/login' }
/** The form methods of the first portal; mobile and Facebook have tests of their own. */
const ALL = { voucher: true, email: true, mobile: false, facebook: false, free: true }
const EVERY = { voucher: true, email: true, mobile: true, facebook: true, free: true }
const HOSTILE = `<script>alert("x")</script> & 'y'`
const HOSTILE_ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;'
const BUDGET = 6 * 1024

const splash = (over: Partial<SplashOptions> = {}): string => splashPage({ ...BASE, methods: ALL, ...over })

/** An element's start tag: its name and attributes (values unescaped only of nothing: as written). */
interface Tag {
  name: string
  attrs: Record<string, string>
}

/** Every start tag named `name` (all when omitted), outside the stylesheet. */
const tags = (html: string, name?: string): Tag[] =>
  [...withoutStyle(html).matchAll(/<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z-]+(?:="[^"]*")?)*)\s*>/g)]
    .map((m) => ({
      name: (m[1] as string).toLowerCase(),
      attrs: Object.fromEntries([...(m[2] as string).matchAll(/([a-zA-Z-]+)(?:="([^"]*)")?/g)].map((a) => [a[1] as string, a[2] ?? ''])),
    }))
    .filter((tag) => name === undefined || tag.name === name)

const withoutStyle = (html: string): string => html.replace(/<style>[^<]*<\/style>/, '<style></style>')
const styleOf = (html: string): string => /<style>([^<]*)<\/style>/.exec(html)?.[1] as string
const textOf = (html: string, name: string): string[] =>
  [...html.matchAll(new RegExp(`<${name}\\b[^>]*>([^<]*)</${name}>`, 'g'))].map((m) => m[1] as string)

const VOID = new Set(['meta', 'input', 'br', 'link'])

/** Structural checks every page must pass. */
const wellFormed = (t: Test, html: string, lang: string): void => {
  t.ok(html.startsWith(`<!DOCTYPE html>\n<html lang="${lang}">\n<head>\n<meta charset="utf-8">\n`), 'doctype, lang, charset first')
  t.ok(html.endsWith('</html>\n'), 'ends with </html>')
  t.match(html, /<meta name="viewport" content="width=device-width,initial-scale=1">/, 'viewport meta')
  t.match(html, /<meta name="referrer" content="no-referrer">/, 'no referrer')
  t.equal(tags(html, 'h1').length, 1, 'one h1')
  t.equal(tags(html, 'title').length, 1, 'one title')
  t.equal(tags(html, 'main').length, 1, 'one main landmark')
  // Balanced, properly nested elements.
  const stack: string[] = []
  let balanced = true
  for (const m of withoutStyle(html).matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>/g)) {
    const name = (m[2] as string).toLowerCase()
    if (VOID.has(name)) continue
    if (m[1] === '') stack.push(name)
    else if (stack.pop() !== name) balanced = false
  }
  t.ok(balanced && stack.length === 0, 'elements are balanced and nested')
  t.notMatch(withoutStyle(html).replace(/<[^>]*>/g, ''), /[<>]/, 'no stray < or > in text')
  // Unique ids, every visible input labelled.
  const ids = tags(html).map((tag) => tag.attrs.id).filter((id) => id !== undefined)
  t.equal(new Set(ids).size, ids.length, 'ids are unique')
  const labels = tags(html, 'label').map((l) => l.attrs.for)
  for (const input of tags(html, 'input').filter((i) => i.attrs.type !== 'hidden')) {
    t.ok(input.attrs.id !== undefined && labels.filter((f) => f === input.attrs.id).length === 1, `input ${input.attrs.name} has one label`)
  }
  for (const f of labels) t.ok(f !== undefined && ids.includes(f), `label for=${f} names an element`)
  // Forms post to the action with the sid.
  for (const form of tags(html, 'form')) {
    t.equal(form.attrs.method, 'post', 'form method is post')
    t.ok((form.attrs.action ?? '') !== '', 'form has an action')
  }
  // Nothing loads from anywhere.
  const loading = tags(html).filter((tag) => ['script', 'link', 'img', 'iframe', 'object', 'embed', 'svg'].includes(tag.name))
  t.same(loading, [], 'no scripts, links, images, frames')
  const attrs = tags(html).flatMap((tag) => Object.keys(tag.attrs)).filter((a) => a === 'src' || a === 'style' || a.startsWith('on'))
  t.same(attrs, [], 'no src, style or event handler attributes')
  t.notMatch(styleOf(html), /@import|url\(/i, 'the stylesheet loads nothing')
  t.ok(Buffer.byteLength(html, 'utf8') < BUDGET, `under ${BUDGET} bytes (${Buffer.byteLength(html, 'utf8')})`)
}

/** The forms of a page, each with its hidden fields and the inputs inside it. */
const forms = (html: string): Array<{ form: Tag; inputs: Tag[]; html: string }> =>
  [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((m) => ({
    form: tags(m[0], 'form')[0] as Tag,
    inputs: tags(m[0], 'input'),
    html: m[0],
  }))

const hidden = (inputs: Tag[], name: string): string | undefined =>
  inputs.find((i) => i.attrs.type === 'hidden' && i.attrs.name === name)?.attrs.value

t.test('escapeHtml', async (t) => {
  t.equal(escapeHtml(''), '')
  t.equal(escapeHtml('plain Café'), 'plain Café')
  t.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;')
  t.equal(escapeHtml(HOSTILE), HOSTILE_ESCAPED)
})

t.test('splash page with every method', async (t) => {
  const html = splash()
  wellFormed(t, html, 'en')
  t.equal(textOf(html, 'title')[0], 'Café Rosa – Wi-Fi login')
  t.equal(textOf(html, 'h1')[0], 'Welcome to Café Rosa')
  t.same(textOf(html, 'h2'), ['I have a voucher', 'Connect with your e-mail address', 'Free Wi-Fi'])
  for (const section of tags(html, 'section')) {
    t.ok(tags(html, 'h2').some((h) => h.attrs.id === section.attrs['aria-labelledby']), 'section labelled by its heading')
  }
  const fs = forms(html)
  t.same(fs.map((f) => hidden(f.inputs, 'method')), ['voucher', 'email', 'free'])
  for (const f of fs) {
    t.equal(f.form.attrs.action, '/portal/login')
    t.equal(hidden(f.inputs, 'sid'), 'c0ffee42', 'hidden sid')
    t.equal(tags(f.html, 'button').length, 1, 'one submit button')
    t.equal(tags(f.html, 'button')[0]?.attrs.type, 'submit')
  }
  const [voucher, email, free] = fs as [(typeof fs)[0], (typeof fs)[0], (typeof fs)[0]]
  const visible = (f: (typeof fs)[0]): Tag[] => f.inputs.filter((i) => i.attrs.type !== 'hidden')
  t.same(visible(voucher).map((i) => i.attrs.name), ['username', 'passcode'])
  for (const i of visible(voucher)) {
    t.match(i.attrs, { type: 'text', autocomplete: 'off', autocapitalize: 'none', autocorrect: 'off', spellcheck: 'false', required: '' })
    t.notOk('value' in i.attrs, 'no value without previous input')
  }
  t.same(visible(email).map((i) => [i.attrs.name, i.attrs.type]), [['email', 'email'], ['marketing', 'checkbox']])
  t.match(visible(email)[0]?.attrs, { autocomplete: 'email', required: '' })
  const marketing = visible(email)[1] as Tag
  t.notOk('checked' in marketing.attrs, 'marketing consent unchecked by default')
  t.notOk('required' in marketing.attrs, 'marketing consent optional')
  t.match(email.html, `<label for="${marketing.attrs.id as string}">${escapeHtml(STRINGS.en.marketing)}</label>`, 'explicit marketing label')
  t.same(visible(free).map((i) => [i.attrs.name, i.attrs.type, i.attrs.value]), [['terms', 'checkbox', '1']])
  t.ok('required' in (visible(free)[0] as Tag).attrs, 'terms box required')
  t.notOk('checked' in (visible(free)[0] as Tag).attrs, 'terms box unchecked')
  t.match(free.html, `>${STRINGS.en.freeButton}</button>`)
  t.notMatch(html, /checked/, 'nothing is pre-ticked')
  t.notMatch(html, /role="alert"|aria-invalid/, 'no error region without an error')
  t.notMatch(html, /class="h"/, 'no hint unless asked')
})

t.test('only enabled methods appear', async (t) => {
  for (const voucher of [false, true]) {
    for (const email of [false, true]) {
      for (const free of [false, true]) {
        const html = splash({ methods: { voucher, email, mobile: false, facebook: false, free } })
        const name = `voucher=${voucher} email=${email} free=${free}`
        wellFormed(t, html, 'en')
        const want = [voucher && 'voucher', email && 'email', free && 'free'].filter((m) => m !== false)
        t.same(forms(html).map((f) => hidden(f.inputs, 'method')), want, name)
        t.equal(html.includes('name="username"'), voucher, `${name}: voucher fields`)
        t.equal(html.includes('name="email"'), email, `${name}: email field`)
        t.equal(html.includes('name="terms"'), free, `${name}: terms box`)
        t.equal(html.includes(STRINGS.en.portal_unavailable), want.length === 0, `${name}: unavailable only without methods`)
      }
    }
  }
})

t.test('mobile: the number, then the code', async (t) => {
  const ask = splash({ methods: { ...ALL, voucher: false, email: false, free: false, mobile: true }, values: { phone: '+44 7700' } })
  wellFormed(t, ask, 'en')
  t.same(textOf(ask, 'h2'), [STRINGS.en.mobileHeading])
  const [number] = forms(ask)
  t.equal(hidden(number?.inputs ?? [], 'method'), 'mobile')
  t.same(number?.inputs.filter((i) => i.attrs.type !== 'hidden').map((i) => i.attrs),
    [{ type: 'tel', id: 'm-phone', name: 'phone', value: '+44 7700', required: '', maxlength: '32', autocomplete: 'tel' }], 'the number typed is put back')
  t.match(number?.html, `>${STRINGS.en.sendCode}</button>`)
  const code = splash({ methods: { ...ALL, voucher: false, email: false, free: false, mobile: true }, codeSentTo: '+447700900123', error: { key: 'wrong_code' } })
  wellFormed(t, code, 'en')
  t.match(code, `<p>${escapeHtml(STRINGS.en.codeSent.replace('{phone}', '+447700900123'))}</p>`)
  const [enter, resend] = forms(code)
  t.same(enter?.inputs.map((i) => [i.attrs.name, i.attrs.type, i.attrs.value]),
    [['sid', 'hidden', 'c0ffee42'], ['method', 'hidden', 'mobile'], ['phone', 'hidden', '+447700900123'], ['code', 'text', undefined], ['marketing', 'checkbox', '1']])
  t.match(tags(enter?.html ?? '', 'input')[3]?.attrs, { inputmode: 'numeric', autocomplete: 'one-time-code', 'aria-invalid': 'true', 'aria-describedby': 'err' })
  t.same(resend?.inputs.map((i) => [i.attrs.name, i.attrs.value]), [['sid', 'c0ffee42'], ['method', 'mobile'], ['phone', '+447700900123']], 'a new code: no code field')
  t.match(resend?.html, `<button type="submit" class="s">${STRINGS.en.newCode}</button>`)
  t.equal(tags(code, 'section').length, 1, 'both forms in the one mobile section')
})

t.test('facebook: a link to start, shown only with the method on and a link to give', async (t) => {
  const on = splash({ methods: { ...ALL, facebook: true }, facebookHref: '/portal/facebook?sid=c0ffee42&x="y"' })
  wellFormed(t, on, 'en')
  t.match(on, `<section aria-labelledby="h-facebook">\n<h2 id="h-facebook">${STRINGS.en.facebookHeading}</h2>\n` +
    `<a class="b" href="/portal/facebook?sid=c0ffee42&amp;x=&quot;y&quot;">${STRINGS.en.facebookButton}</a>\n</section>`)
  t.notMatch(splash({ methods: { ...ALL, facebook: true } }), 'h-facebook', 'no link, no section')
  t.notMatch(splash({ facebookHref: '/portal/facebook?sid=1' }), 'h-facebook', 'off')
  const only = splash({ methods: { voucher: false, email: false, mobile: false, facebook: true, free: false }, facebookHref: '/f' })
  t.notMatch(only, STRINGS.en.portal_unavailable, 'Facebook alone is a way in')
})

t.test('error region', async (t) => {
  const region = (html: string): Tag | undefined => tags(html, 'p').find((p) => p.attrs.role === 'alert')
  const invalid = (html: string): string[] =>
    tags(html, 'input').filter((i) => i.attrs['aria-invalid'] === 'true').map((i) => i.attrs.id as string)

  const html = splash({ error: { key: 'too_many_attempts', vars: { minutes: 5 } } })
  wellFormed(t, html, 'en')
  t.match(region(html)?.attrs, { id: 'err', role: 'alert', 'aria-live': 'assertive' })
  t.match(html, '>Too many attempts. Please wait 5 minutes and try again.</p>')
  t.ok(html.indexOf('role="alert"') < html.indexOf('<form'), 'the error comes before the forms')
  t.same(invalid(html), [], 'a rate limit marks no field')

  const fields: Array<[StringKey, string[]]> = [
    ['wrong_credentials', ['v-user', 'v-pass']],
    ['bad_email', ['e-mail']],
    ['terms_required', ['f-terms']],
    ['expired', []],
    ['other_device', []],
  ]
  for (const [key, ids] of fields) {
    const page = splash({ error: { key } })
    wellFormed(t, page, 'en')
    t.match(page, `>${escapeHtml(STRINGS.en[key])}</p>`, `${key} text`)
    t.same(invalid(page), ids, `${key} marks ${ids.join(', ') || 'nothing'}`)
    for (const input of tags(page, 'input').filter((i) => ids.includes(i.attrs.id as string))) {
      t.equal(input.attrs['aria-describedby'], 'err', `${input.attrs.id as string} points at the error`)
    }
  }
  // A field of a method that is off is not there to mark.
  t.same(invalid(splash({ methods: { ...ALL, voucher: false, email: false }, error: { key: 'wrong_credentials' } })), [])
  // In another language.
  const de = splash({ lang: 'de', error: { key: 'not_yet_valid', vars: { date: '01.03.2026 08:00' } } })
  t.match(de, '>Dieser Gutschein ist noch nicht gültig. Er gilt ab 01.03.2026 08:00.</p>')
})

t.test('private address hint', async (t) => {
  const html = splash({ hint: true, error: { key: 'other_device' } })
  wellFormed(t, html, 'en')
  t.match(html, `<p class="h">${escapeHtml(STRINGS.en.privateAddressHint)}</p>`)
  t.ok(html.indexOf('role="alert"') < html.indexOf('class="h"'), 'the hint follows the error')
  t.notMatch(splash({ hint: false }), /class="h"/)
})

t.test('previous input is put back, the passcode never', async (t) => {
  const html = splash({ values: { username: 'guest7', email: 'ann@example.org' } })
  wellFormed(t, html, 'en')
  const inputs = tags(html, 'input')
  t.equal(inputs.find((i) => i.attrs.name === 'username')?.attrs.value, 'guest7')
  t.equal(inputs.find((i) => i.attrs.name === 'email')?.attrs.value, 'ann@example.org')
  t.notOk('value' in (inputs.find((i) => i.attrs.name === 'passcode') as Tag).attrs, 'no passcode value')
  const empty = tags(splash({ values: { username: '', email: '' } }), 'input')
  t.notOk('value' in (empty.find((i) => i.attrs.name === 'username') as Tag).attrs, 'an empty username is left out')
  t.notOk('value' in (empty.find((i) => i.attrs.name === 'email') as Tag).attrs, 'an empty email is left out')
  t.notMatch(splash({ values: {} }), /name="(?:username|email)" value=/, 'no values given')
})

t.test('hostile values are escaped everywhere', async (t) => {
  const o: Partial<SplashOptions> = {
    gatewayName: HOSTILE,
    sid: `"><script>x</script>`,
    action: `/portal/login?a=1&b="2"`,
    values: { username: HOSTILE, email: `"onfocus="alert(1)` },
    error: { key: 'not_yet_valid', vars: { date: '<img src=x onerror=alert(1)>' } },
    hint: true,
  }
  const pages = {
    splash: splash(o),
    connected: connectedPage({ ...BASE, ...o, minutes: 30, landing: `http://example.net/"><script>alert(1)</script>&x='1'` }),
    message: messagePage({ ...BASE, ...o, key: 'not_yet_valid', vars: { date: HOSTILE } }),
  }
  for (const [name, html] of Object.entries(pages)) {
    t.test(name, async (t) => {
      wellFormed(t, html, 'en')
      t.notMatch(html, /<script|<img/i, 'no markup got through')
      t.same(tags(html).map((tag) => tag.name).filter((n) => n === 'script' || n === 'img'), [], 'no elements got through')
      t.match(textOf(html, 'title')[0], `${HOSTILE_ESCAPED} – Wi-Fi login`, 'title escaped')
    })
  }
  const splashHtml = pages.splash
  t.match(textOf(splashHtml, 'h1')[0], `Welcome to ${HOSTILE_ESCAPED}`)
  const form = forms(splashHtml)[0] as ReturnType<typeof forms>[0]
  t.equal(form.form.attrs.action, '/portal/login?a=1&amp;b=&quot;2&quot;', 'action escaped')
  t.equal(hidden(form.inputs, 'sid'), '&quot;&gt;&lt;script&gt;x&lt;/script&gt;', 'sid escaped')
  t.equal(form.inputs.find((i) => i.attrs.name === 'username')?.attrs.value, HOSTILE_ESCAPED, 'username escaped')
  t.match(splashHtml, 'value="&quot;onfocus=&quot;alert(1)"', 'email escaped')
  t.match(splashHtml, 'It starts on &lt;img src=x onerror=alert(1)&gt;.', 'error values escaped')
  t.match(pages.connected, `<p>Welcome to ${HOSTILE_ESCAPED}</p>`)
  t.match(
    pages.connected,
    '<a class="b" href="http://example.net/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;x=&#39;1&#39;" rel="noreferrer noopener">',
    'landing escaped',
  )
  t.match(pages.message, `It starts on ${HOSTILE_ESCAPED}.`)
})

t.test('gateway name missing or blank', async (t) => {
  for (const gatewayName of [null, '', '   ']) {
    const s = splash({ gatewayName })
    wellFormed(t, s, 'en')
    t.equal(textOf(s, 'title')[0], 'Wi-Fi login')
    t.equal(textOf(s, 'h1')[0], 'Wi-Fi login')
    const m = messagePage({ ...BASE, gatewayName, key: 'portal_unavailable' })
    t.equal(textOf(m, 'h1')[0], 'Wi-Fi login')
    const c = connectedPage({ ...BASE, gatewayName })
    t.same(textOf(c, 'p'), [], 'connected page without a welcome line')
  }
  t.equal(textOf(splash({ gatewayName: '  Café  ' }), 'h1')[0], 'Welcome to Café', 'trimmed')
})

t.test('connected page', async (t) => {
  const html = connectedPage({ ...BASE, minutes: 90, landing: 'https://example.com/news?a=1&b=2' })
  wellFormed(t, html, 'en')
  t.equal(textOf(html, 'h1')[0], 'You are connected')
  t.same(textOf(html, 'p'), ['Welcome to Café Rosa', 'Your access is valid for 1 hour 30 minutes.'])
  t.same(tags(html, 'a'), [{ name: 'a', attrs: { class: 'b', href: 'https://example.com/news?a=1&amp;b=2', rel: 'noreferrer noopener' } }])
  t.equal(textOf(html, 'a')[0], 'Continue')
  t.same(tags(html, 'form'), [], 'no form')

  const already = connectedPage({ ...BASE, already: true })
  wellFormed(t, already, 'en')
  t.equal(textOf(already, 'h1')[0], 'You are already connected')
  t.equal(textOf(connectedPage({ ...BASE, already: false }), 'h1')[0], 'You are connected')

  for (const minutes of [undefined, 0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.notMatch(connectedPage({ ...BASE, ...(minutes === undefined ? {} : { minutes }) }), /valid for/, `no duration for ${minutes}`)
  }
  t.match(connectedPage({ ...BASE, lang: 'fr', minutes: 1440 }), '<p>Votre accès est valable pendant 1 jour.</p>')

  const links: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['http://10.77.0.1/', true],
    ['HTTPS://EXAMPLE.COM/', true],
    ['javascript:alert(1)', false],
    ['JavaScript:alert(1)//http://x', false],
    ['data:text/html,<script>alert(1)</script>', false],
    ['/relative', false],
    ['//example.com/', false],
    ['http:// example.com', false],
    ['', false],
  ]
  for (const [landing, linked] of links) {
    const page = connectedPage({ ...BASE, ...(landing === undefined ? {} : { landing }) })
    wellFormed(t, page, 'en')
    t.equal(tags(page, 'a').length, linked ? 1 : 0, `landing ${JSON.stringify(landing)} ${linked ? 'linked' : 'not linked'}`)
  }
})

t.test('message page', async (t) => {
  for (const key of ['sessionExpired', 'portal_unavailable', 'already_connected'] as StringKey[]) {
    const html = messagePage({ ...BASE, key })
    wellFormed(t, html, 'en')
    t.equal(textOf(html, 'h1')[0], 'Welcome to Café Rosa')
    t.same(textOf(html, 'p'), [escapeHtml(STRINGS.en[key])])
    t.same(tags(html, 'form'), [])
  }
  t.match(messagePage({ ...BASE, lang: 'nl', key: 'too_many_attempts', vars: { minutes: 1 } }), 'Wacht 1 minuut en probeer het opnieuw.')
})

t.test('every language within budget and without external references', async (t) => {
  // The largest pages: every method, the longest error, the hint, previous input, a long name.
  const longest = (lang: (typeof LANGS)[number]): StringKey =>
    (['wrong_credentials', 'portal_unavailable', 'download_exhausted', 'sessionExpired', 'method_off'] as StringKey[]).reduce((a, b) =>
      STRINGS[lang][a].length >= STRINGS[lang][b].length ? a : b)
  const sizes: Record<string, number[]> = {}
  for (const lang of LANGS) {
    const base = { ...BASE, lang, gatewayName: `Café & Bar "Zur Sonne" <${'x'.repeat(60)}>` }
    const landing = 'http://www.example.com/some/long/path/of/the/original/page?with=query&and=more'
    const pages = [
      splashPage({
        ...base, methods: EVERY, error: { key: longest(lang), vars: { minutes: 15, date: '2026-03-01 08:00' } }, hint: true,
        values: { username: 'guest-0001', email: 'someone.long@example.org' }, codeSentTo: '+447700900123', facebookHref: '/portal/facebook?sid=c0ffee42',
      }),
      connectedPage({ ...base, minutes: 1500, landing }),
      messagePage({ ...base, key: 'sessionExpired' }),
    ]
    sizes[lang] = pages.map((p) => Buffer.byteLength(p, 'utf8'))
    for (const page of pages) {
      wellFormed(t, page, lang)
      const external = [...page.matchAll(/https?:\/\/[^"\s<]*/gi)].map((m) => m[0])
      t.same(external, page === pages[1] ? [escapeHtml(landing)] : [], `${lang}: no external reference but the landing link`)
    }
  }
  t.comment(`page sizes (splash, connected, message) in bytes: ${JSON.stringify(sizes)}`)
})

t.test('security headers', async (t) => {
  t.ok(Object.isFrozen(SECURITY_HEADERS), 'frozen')
  t.same(Object.keys(SECURITY_HEADERS).sort(), [
    'Cache-Control',
    'Content-Security-Policy',
    'Content-Type',
    'Referrer-Policy',
    'X-Content-Type-Options',
    'X-Frame-Options',
  ])
  t.equal(SECURITY_HEADERS['Content-Type'], 'text/html; charset=utf-8')
  t.equal(SECURITY_HEADERS['X-Content-Type-Options'], 'nosniff')
  t.equal(SECURITY_HEADERS['X-Frame-Options'], 'DENY')
  t.equal(SECURITY_HEADERS['Referrer-Policy'], 'no-referrer')
  t.equal(SECURITY_HEADERS['Cache-Control'], 'no-store')
  const csp = new Map(
    (SECURITY_HEADERS['Content-Security-Policy'] as string).split(';').map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/)
      return [name as string, sources]
    }),
  )
  t.same([...csp.keys()].sort(), ['base-uri', 'default-src', 'form-action', 'frame-ancestors', 'style-src'])
  t.same(csp.get('default-src'), ["'none'"])
  t.same(csp.get('style-src'), [STYLE_HASH, "'unsafe-inline'"], 'the stylesheet by hash, unsafe-inline only for CSP 1 browsers')
  t.same(csp.get('form-action'), ["'self'"])
  t.same(csp.get('base-uri'), ["'none'"])
  t.same(csp.get('frame-ancestors'), ["'none'"])
  t.notMatch(SECURITY_HEADERS['Content-Security-Policy'], /script-src|\*|http/, 'no script or remote source anywhere')
})

t.test('the style hash matches the stylesheet of every page', async (t) => {
  t.match(STYLE_HASH, /^'sha256-[A-Za-z0-9+/]{43}='$/)
  const pages = [splash(), splash({ lang: 'fr', hint: true }), connectedPage(BASE), messagePage({ ...BASE, key: 'sessionExpired' })]
  for (const html of pages) {
    t.equal((html.match(/<style>/g) ?? []).length, 1, 'one style element')
    t.notMatch(withoutStyle(html), /\sstyle=/, 'no style attributes (a hash does not allow them)')
    const css = styleOf(html)
    t.equal(`'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`, STYLE_HASH)
  }
  const css = styleOf(splash())
  t.match(css, /prefers-color-scheme:dark/, 'a dark scheme')
  t.match(css, /:focus\{outline:3px/, 'focus rings')
  t.match(css, /min-height:3rem/, 'large tap targets')
  t.match(css, /font:1\.0625rem/, 'inputs at 17px: iOS does not zoom on focus')
})
