/**
 * @module test/portal/strings
 * The portal texts: every language has exactly English's keys, with the same placeholders and
 * well-formed plural forms; every login refusal of the enforcement rules has a text; placeholders
 * fill (singular and plural by language, missing values left visible, inherited properties
 * ignored); durations in words; and Accept-Language negotiation (q-values, ties, region and script
 * fallback, wildcards and refusals, case, whitespace, garbage).
 */
import t, { type Test } from 'tap'
import {
  formatDuration,
  LANGS,
  type Lang,
  pickLang,
  type StringKey,
  STRINGS,
  t as text,
} from '../../src/portal/strings'
import type { LoginRefusal } from '../../src/domain/enforcement'

const keysOf = (lang: Lang): StringKey[] => Object.keys(STRINGS[lang]).sort() as StringKey[]
const EN_KEYS = keysOf('en')

/** The placeholders of a template, as `name` or `name:plural`, sorted. */
const placeholders = (s: string): string[] =>
  [...s.matchAll(/\{(\w+)(:[^{}]*)?\}/g)].map((m) => (m[2] === undefined ? (m[1] as string) : `${m[1] as string}:plural`)).sort()

t.test('every language has exactly the English keys', async (t) => {
  t.same(Object.keys(STRINGS).sort(), [...LANGS].sort(), 'STRINGS holds every language of LANGS')
  t.equal(LANGS[0], 'en', 'English comes first')
  t.ok(EN_KEYS.length >= 30, 'English has the full set')
  for (const lang of LANGS) t.same(keysOf(lang), EN_KEYS, `${lang}: no key missing, none extra`)
})

t.test('translations carry the placeholders of English', async (t) => {
  for (const lang of LANGS) {
    for (const key of EN_KEYS) {
      t.same(placeholders(STRINGS[lang][key]), placeholders(STRINGS.en[key]), `${lang}.${key}`)
    }
  }
})

t.test('texts are well formed', async (t) => {
  const check = (t: Test, lang: Lang, key: StringKey): void => {
    const s = STRINGS[lang][key]
    t.ok(s.length > 0 && s === s.trim() && !s.includes('  '), `${lang}.${key} is trimmed, without double spaces`)
    // Every brace belongs to a placeholder; plural placeholders have two non-empty forms.
    const braces = (s.match(/[{}]/g) ?? []).length
    const all = [...s.matchAll(/\{(\w+)(?::([^{}|]+)\|([^{}|]+))?\}/g)]
    t.equal(braces, all.length * 2, `${lang}.${key}: no stray braces, no malformed plural`)
    t.notMatch(s, /[<>]/, `${lang}.${key} holds no markup`)
  }
  for (const lang of LANGS) for (const key of EN_KEYS) check(t, lang, key)
})

t.test('the tables are frozen', async (t) => {
  t.ok(Object.isFrozen(STRINGS), 'STRINGS')
  t.ok(Object.isFrozen(LANGS), 'LANGS')
  for (const lang of LANGS) t.ok(Object.isFrozen(STRINGS[lang]), lang)
})

t.test('every login refusal has a kind, actionable text', async (t) => {
  // A compile-time check: each reason decideLogin can give is a StringKey.
  const asKey = (r: LoginRefusal): StringKey => r
  const refusals: LoginRefusal[] = ['not_yet_valid', 'expired', 'download_exhausted', 'upload_exhausted', 'other_device', 'clock_unset']
  for (const r of refusals) t.ok(STRINGS.en[asKey(r)].endsWith('.'), `${r} is a sentence`)
  t.equal(STRINGS.en.expired, 'This voucher has expired. Please ask at the counter for a new one.')
  t.equal(text('en', 'too_many_attempts', { minutes: 5 }), 'Too many attempts. Please wait 5 minutes and try again.')
  t.equal(text('en', 'other_device'), 'This voucher is already in use on another device. Please ask at the counter for help.')
  t.equal(text('en', 'clock_unset'), "The router's clock is not set yet. Please try again in a minute.")
  t.equal(text('en', 'not_yet_valid', { date: '2026-03-01 08:00' }), 'This voucher is not valid yet. It starts on 2026-03-01 08:00.')
  t.match(STRINGS.en.privateAddressHint, /tied to this device/)
  t.match(STRINGS.en.privateAddressHint, /Private Wi-Fi Address/)
  t.match(STRINGS.en.privateAddressHint, /randomized MAC/)
})

t.test('t fills placeholders', async (t) => {
  t.equal(text('en', 'welcome', { name: 'Café Rosa' }), 'Welcome to Café Rosa')
  t.equal(text('de', 'welcome', { name: 'Café Rosa' }), 'Willkommen bei Café Rosa')
  t.equal(text('en', 'title'), 'Wi-Fi login', 'a text without placeholders')
  t.equal(text('en', 'title', { name: 'x' }), 'Wi-Fi login', 'extra values are ignored')
  t.equal(text('en', 'welcome'), 'Welcome to {name}', 'no values: the placeholder stays visible')
  t.equal(text('en', 'welcome', {}), 'Welcome to {name}', 'a missing value: the placeholder stays visible')
  t.equal(text('en', 'welcome', Object.create({ name: 'inherited' }) as Record<string, string>), 'Welcome to {name}', 'inherited values are not used')
  t.equal(text('en', 'welcome', { name: '{name} <b>&' }), 'Welcome to {name} <b>&', 'values are inserted as they are, once')
  t.equal(text('en', 'welcome', { name: 42 }), 'Welcome to 42', 'numbers become text')
})

t.test('plural forms by language', async (t) => {
  const wait = (lang: Lang, minutes: string | number | undefined): string =>
    text(lang, 'too_many_attempts', minutes === undefined ? {} : { minutes })
  t.match(wait('en', 1), /wait 1 minute and/)
  t.match(wait('en', 2), /wait 2 minutes and/)
  t.match(wait('en', 0), /wait 0 minutes and/)
  t.match(wait('en', '1'), /wait 1 minute and/, 'a numeric string counts as its number')
  t.match(wait('en', 'soon'), /wait soon minutes and/, 'not a number: plural')
  t.match(wait('en', undefined), /wait \{minutes\} minutes and/, 'missing: visible placeholder, plural')
  t.match(wait('de', 1), /warten Sie 1 Minute und/)
  t.match(wait('de', 3), /warten Sie 3 Minuten und/)
  t.match(wait('fr', 0), /patienter 0 minute avant/, 'French: 0 is singular')
  t.match(wait('fr', 1), /patienter 1 minute avant/)
  t.match(wait('fr', 2), /patienter 2 minutes avant/)
  t.match(wait('pt', 1), /Aguarde 1 minuto e/)
  t.match(wait('pt', 2), /Aguarde 2 minutos e/)
  t.match(wait('nl', 1), /Wacht 1 minuut en/)
  t.match(wait('nl', 10), /Wacht 10 minuten en/)
  t.match(wait('it', 1), /Attendi 1 minuto e/)
  t.match(wait('es', 15), /Espere 15 minutos e/)
})

t.test('formatDuration', async (t) => {
  const cases: Array<[Lang, number, string]> = [
    ['en', 1, '1 minute'],
    ['en', 0, '1 minute'],
    ['en', 0.4, '1 minute'],
    ['en', -5, '1 minute'],
    ['en', 2, '2 minutes'],
    ['en', 59, '59 minutes'],
    ['en', 60, '1 hour'],
    ['en', 61, '1 hour 1 minute'],
    ['en', 90, '1 hour 30 minutes'],
    ['en', 120, '2 hours'],
    ['en', 1440, '1 day'],
    ['en', 1441, '1 day 1 minute'],
    ['en', 1500, '1 day 1 hour'],
    ['en', 2 * 1440 + 3 * 60 + 5, '2 days 3 hours'],
    ['de', 90, '1 Stunde 30 Minuten'],
    ['de', 2880, '2 Tage'],
    ['fr', 1440 + 120, '1 jour 2 heures'],
    ['es', 1, '1 minuto'],
    ['it', 180, '3 ore'],
    ['nl', 60, '1 uur'],
    ['nl', 120, '2 uur'],
    ['pt', 1440, '1 dia'],
  ]
  for (const [lang, minutes, want] of cases) t.equal(formatDuration(lang, minutes), want, `${lang} ${minutes} min`)
  t.equal(text('en', 'connectedFor', { duration: formatDuration('en', 90) }), 'Your access is valid for 1 hour 30 minutes.')
})

t.test('pickLang', async (t) => {
  const cases: Array<[string | undefined, Lang, string]> = [
    [undefined, 'en', 'no header'],
    ['', 'en', 'empty'],
    ['de', 'de', 'one language'],
    ['fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5', 'fr', 'a typical browser header'],
    ['de-AT', 'de', 'region fallback'],
    ['pt-BR,pt;q=0.9', 'pt', 'Brazilian Portuguese'],
    ['zh-Hant-TW, nl;q=0.5', 'nl', 'an unsupported language with a script subtag is skipped'],
    ['en-US,en;q=0.9,de;q=0.8', 'en', 'English first'],
    ['DE-de', 'de', 'case-insensitive'],
    ['  es-MX ;  q=0.8 , it;q=0.7', 'es', 'whitespace around ranges and parameters'],
    ['en;q=0.5, de;q=0.9', 'de', 'the highest weight wins, not the first'],
    ['it;q=0.8, nl;q=0.8', 'it', 'equal weights keep the header order'],
    ['nl;q=1.000, de', 'nl', 'q=1.000 is 1'],
    ['ja, ko;q=0.9', 'en', 'nothing supported'],
    ['de;q=0', 'en', 'a refused language is never picked'],
    ['de;q=0.0, fr;q=0.001', 'fr', 'q=0.0 refuses, the smallest positive weight still counts'],
    ['*', 'en', 'wildcard alone: English'],
    ['ja, *;q=0.1', 'en', 'wildcard after an unsupported language'],
    ['en;q=0, *', 'de', 'wildcard with English refused: the next language'],
    ['en;q=0, de;q=0, *', 'fr', 'wildcard skips every refused language'],
    ['en;q=0,de;q=0,fr;q=0,es;q=0,it;q=0,nl;q=0,pt;q=0,*', 'en', 'wildcard with all refused: English anyway'],
    ['es;q=0.2, *;q=0.5', 'en', 'a heavier wildcard beats a lighter language'],
    ['de;q=1.5, fr', 'fr', 'a weight above 1 makes its range invalid'],
    ['de;q=0.1234, fr', 'fr', 'more than three decimals is invalid'],
    ['de;q=, fr', 'fr', 'an empty weight is invalid'],
    ['de;q=abc, it', 'it', 'a non-numeric weight is invalid'],
    ['de;Q=0.5, it;q=0.4', 'de', 'the q is case-insensitive'],
    ['de;level=1, it;q=0.4', 'de', 'other parameters are ignored'],
    ['d3, e_n, toolongtag, fr', 'fr', 'malformed ranges are skipped'],
    ['<script>', 'en', 'garbage'],
    [';;;,,,', 'en', 'only separators'],
    ['de-', 'en', 'a dangling hyphen'],
    [`${'ja,'.repeat(40)}de`, 'en', 'ranges after the first 32 are not read'],
    ['x'.repeat(10000), 'en', 'one huge token'],
  ]
  for (const [header, want, why] of cases) t.equal(pickLang(header), want, `${why}: ${JSON.stringify(header?.slice(0, 60))}`)
})
