/**
 * @module config/uci
 * OpenWrt UCI files (/etc/config/<package>) parsed and written directly, following libuci's file.c
 * (its default strict mode) and the text `uci commit` / `uci export` write.
 */
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * One `config TYPE ['NAME']` block. `name` is the explicit name, or libuci's generated `cfgNNHHHH`
 * when `anonymous`; `index` is its position among the package's sections of the same type (the `i`
 * of `@type[i]`); `options` keep file order, and a `list` option holds an array of its items.
 */
export interface UciSection {
  type: string
  name: string
  anonymous: boolean
  index: number
  options: Map<string, string | string[]>
}

/** A parsed file. A `package NAME` line is checked but not kept, as libuci does when it loads a file. */
export interface UciPackage { sections: UciSection[] }

/** A malformed UCI file: `FILE:LINE: reason`, LINE being where the statement (or the open quote) began. */
export class UciSyntaxError extends Error {
  readonly code = 'UCI_SYNTAX' as const
  constructor(readonly file: string, readonly line: number, reason: string) {
    super(`${file}:${line}: ${reason}`)
    this.name = 'UciSyntaxError'
  }
}

type Fail = (reason: string) => Error

/** libuci's uci_validate_str: names are [A-Za-z0-9_], package names add '-', types any printable ASCII. */
const RULES = {
  'package name': /^[A-Za-z0-9_-]+$/,
  'section type': /^[\x21-\x7e]+$/,
  'section name': /^[A-Za-z0-9_]+$/,
  'option name': /^[A-Za-z0-9_]+$/,
}
const assertValid = (kind: keyof typeof RULES, value: string, fail: Fail): void => {
  if (!RULES[kind].test(value)) throw fail(`invalid ${kind} ${JSON.stringify(value)}`)
}
/** Misuse of the API (not a file's syntax) fails with code UCI_INVALID. */
const invalid: Fail = (reason) => Object.assign(new Error(reason), { code: 'UCI_INVALID' })

/** Lexer position. A statement is one line, longer when a quote or a backslash spans newlines. */
interface Cursor { text: string; pos: number; file: string }
const syntaxError = (cur: Cursor, at: number, reason: string): UciSyntaxError =>
  new UciSyntaxError(cur.file, cur.text.slice(0, at).split('\n').length, reason)

/** Blanks (C isspace() but the newline, which ends a statement) and comments, skipped between words. */
const SKIP = /(?:[ \t\r\f\v]+|#[^\n]*)*/y
/** An unquoted run also stops at '#': a comment starts there, as in libuci's parse_str. */
const WORD_END = /[ \t\r\f\v\n#]/

/** A backslash takes the next character literally; before a newline it joins the two lines. */
const readEscape = (cur: Cursor): string => {
  const next = cur.text.charAt(cur.pos + 1)
  cur.pos = Math.min(cur.pos + 2, cur.text.length) // a sticky regex restarts at 0 past the end
  return next === '\n' ? '' : next
}

/** 'single quoted' (no escapes) or "double quoted" (backslash escapes); both may span lines. */
const readQuoted = (cur: Cursor): string => {
  const quote = cur.text.charAt(cur.pos)
  const start = cur.pos++
  let out = ''
  for (let c = cur.text.charAt(cur.pos); c !== quote; c = cur.text.charAt(cur.pos)) {
    if (c === '') throw syntaxError(cur, start, 'unterminated quote')
    out += c === '\\' && quote === '"' ? readEscape(cur) : cur.text.charAt(cur.pos++)
  }
  cur.pos++
  return out
}

/** One argument, adjacent unquoted and quoted pieces concatenated; undefined when empty and unquoted. */
const readWord = (cur: Cursor): string | undefined => {
  let word = ''
  let quoted = false
  for (let c = cur.text.charAt(cur.pos); c !== '' && !WORD_END.test(c); c = cur.text.charAt(cur.pos)) {
    if (c === "'" || c === '"') {
      word += readQuoted(cur)
      quoted = true
    } else word += c === '\\' ? readEscape(cur) : cur.text.charAt(cur.pos++)
  }
  return quoted || word !== '' ? word : undefined
}

/** The words of the next statement, comments dropped; the cursor ends past its newline. */
const readStatement = (cur: Cursor): string[] => {
  const words: string[] = []
  for (;;) {
    SKIP.lastIndex = cur.pos
    SKIP.test(cur.text)
    cur.pos = SKIP.lastIndex
    if (/^\n?$/.test(cur.text.charAt(cur.pos))) break // end of line or of text
    const word = readWord(cur)
    if (word !== undefined) words.push(word)
  }
  cur.pos++
  return words
}

/** `allocated` is libuci's n_section: +1 per named section, +2 per anonymous one (alloc, then fixup). */
interface ParseState { pkg: UciPackage; current: UciSection | undefined; allocated: number }
type Statement = (st: ParseState, args: string[], fail: Fail) => void

const arity = (args: string[], required: string[], optional: number, fail: Fail): void => {
  if (args.length < required.length) throw fail(`missing ${required[args.length]}`)
  if (args.length > required.length + optional) throw fail('too many arguments')
}

const addSection = (pkg: UciPackage, type: string, name: string, anonymous: boolean): UciSection => {
  const index = pkg.sections.filter((s) => s.type === type).length
  const created: UciSection = { type, name, anonymous, index, options: new Map() }
  pkg.sections.push(created)
  return created
}

/** libuci's uci_fixup_section name: `cfg`, the counter in 2+ hex digits, djbhash(type) mod 2^16 in 4. */
const anonymousName = (counter: number, type: string): string => {
  let hash = 5381
  for (let i = 0; i < type.length; i++) hash = (hash * 33 + type.charCodeAt(i)) % 0x10000
  return `cfg${counter.toString(16).padStart(2, '0')}${hash.toString(16).padStart(4, '0')}`
}

const onPackage: Statement = (_st, args, fail) => {
  arity(args, ['package name'], 0, fail)
  assertValid('package name', args[0] as string, fail)
}

const onConfig: Statement = (st, args, fail) => {
  arity(args, ['section type'], 1, fail)
  const [type, name] = args as [string, string | undefined]
  assertValid('section type', type, fail)
  if (!name) {
    st.allocated += 2
    st.current = addSection(st.pkg, type, anonymousName(st.allocated, type), true)
    return
  }
  assertValid('section name', name, fail)
  const existing = st.pkg.sections.find((s) => s.name === name)
  if (existing !== undefined && existing.type !== type) {
    throw fail(`section ${JSON.stringify(name)} redefined as ${JSON.stringify(type)} (was ${JSON.stringify(existing.type)})`)
  }
  st.allocated += existing === undefined ? 1 : 0
  st.current = existing ?? addSection(st.pkg, type, name, false)
}

/**
 * `option` and `list`, as libuci's uci_set and uci_add_list: a changed option is re-added at the end; a
 * list item is appended, and a plain option before it becomes the first item of a list re-added at the end.
 */
const onValue = (keyword: 'option' | 'list'): Statement => (st, args, fail) => {
  const sec = st.current
  if (sec === undefined) throw fail(`${keyword} before the first config section`)
  arity(args, ['option name', 'value'], 0, fail)
  const [key, value] = args as [string, string]
  assertValid('option name', key, fail)
  const prev = sec.options.get(key)
  if (keyword === 'list' && Array.isArray(prev)) prev.push(value)
  else if (keyword === 'list' || prev !== value) {
    sec.options.delete(key)
    sec.options.set(key, keyword === 'option' ? value : prev === undefined ? [value] : [prev as string, value])
  }
}

/** Keywords, each also in libuci's one-letter form (`p`, `c`, `o`, `l`). */
const STATEMENTS = new Map<string, Statement>()
const KEYWORDS = { package: onPackage, config: onConfig, option: onValue('option'), list: onValue('list') }
for (const [word, run] of Object.entries(KEYWORDS)) STATEMENTS.set(word, run).set(word.charAt(0), run)

/**
 * Parse UCI text (pure; `file` only names the source in errors). As in libuci: a later `option` replaces
 * an earlier option or list of that name; `list` appends, turning an earlier plain option into its first
 * item; a repeated `config TYPE 'NAME'` merges into the first (another TYPE is an error); `config TYPE ''`
 * is anonymous. Unlike libuci, `option x ''` keeps the empty string (libuci drops the option), and `;`
 * is an ordinary character rather than a statement separator.
 * @throws UciSyntaxError for an unterminated quote, an unknown keyword, option/list before any config,
 *   a missing or extra argument, or an invalid name.
 */
export function parseUci(text: string, file = '<uci>'): UciPackage {
  const cur: Cursor = { text, pos: 0, file }
  const st: ParseState = { pkg: { sections: [] }, current: undefined, allocated: 0 }
  while (cur.pos < text.length) {
    const start = cur.pos
    const [keyword, ...args] = readStatement(cur)
    if (keyword === undefined) continue
    const fail: Fail = (reason) => syntaxError(cur, start, reason)
    const run = STATEMENTS.get(keyword)
    if (run === undefined) throw fail(`unknown keyword ${JSON.stringify(keyword)}`)
    run(st, args, fail)
  }
  return st.pkg
}

/** Single-quoted as uci_export writes it: a quote inside becomes '\''. */
const quote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`

const serializeSection = (s: UciSection): string => {
  assertValid('section type', s.type, invalid)
  if (!s.anonymous) assertValid('section name', s.name, invalid)
  const type = /['"\\#]/.test(s.type) ? quote(s.type) : s.type
  const lines = [`config ${type}${s.anonymous ? '' : ` ${quote(s.name)}`}`]
  for (const [key, value] of s.options) {
    assertValid('option name', key, invalid)
    if (typeof value === 'string') lines.push(`\toption ${key} ${quote(value)}`)
    else for (const item of value) lines.push(`\tlist ${key} ${quote(item)}`)
  }
  return `\n${lines.join('\n')}\n`
}

/**
 * The text `uci commit` writes: a blank line before each `config`, values single-quoted, anonymous
 * sections unnamed, a final newline; with `packageName`, first a `package NAME` line as `uci export`
 * writes. Comments are not kept, and an empty list writes nothing (the option disappears).
 * @throws Error with code UCI_INVALID for a name or type the parser would reject.
 */
export function serializeUci(pkg: UciPackage, packageName?: string): string {
  if (packageName !== undefined) assertValid('package name', packageName, invalid)
  const head = packageName === undefined ? '' : `package ${packageName}\n`
  return `${head}${pkg.sections.map(serializeSection).join('')}\n`
}

/** A section by name, or by `@type[i]` (`@[i]`: any type); a negative i counts from the end, as in uci. */
export function section(pkg: UciPackage, name: string): UciSection | undefined {
  const m = /^@([^[\]]*)\[(-?\d+)\]$/.exec(name)
  if (m === null) return pkg.sections.find((s) => s.name === name)
  const matching = m[1] === '' ? pkg.sections : pkg.sections.filter((s) => s.type === m[1])
  return matching.at(Number(m[2]))
}

/**
 * Set `key` in the section found as {@link section} finds it, first creating the named section with
 * `type` when missing. A string sets an option, an array a list (copied); an empty array removes `key`.
 * @throws Error with code UCI_INVALID for an invalid name or type, or an existing section of another type.
 */
export function setOption(pkg: UciPackage, sectionName: string, type: string, key: string, value: string | string[]): void {
  assertValid('option name', key, invalid)
  let target = section(pkg, sectionName)
  if (target === undefined) {
    assertValid('section name', sectionName, invalid)
    assertValid('section type', type, invalid)
    target = addSection(pkg, type, sectionName, false)
  }
  if (target.type !== type) throw invalid(`section ${JSON.stringify(sectionName)} is a ${JSON.stringify(target.type)}`)
  if (typeof value === 'string') target.options.set(key, value)
  else if (value.length > 0) target.options.set(key, [...value])
  else target.options.delete(key)
}

/** Read and parse a UCI file; I/O errors (ENOENT, EACCES, …) propagate unchanged. */
export function readUciFile(path: string): UciPackage {
  return parseUci(readFileSync(path, 'utf8'), path)
}

/** Open, optionally write, fsync and close: the file's data, or a directory's new entry. */
const syncPath = (path: string, flags: string, write?: (fd: number) => void): void => {
  const fd = openSync(path, flags, 0o600)
  try {
    write?.(fd)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Write atomically, as uci commit does: `${path}.tmp-<pid>` with the existing file's mode (0600 if new),
 * fsync, rename over `path`, fsync the directory. A failed write removes the temp file and rethrows.
 */
export function writeUciFile(path: string, pkg: UciPackage): void {
  const text = serializeUci(pkg)
  const mode = (statSync(path, { throwIfNoEntry: false })?.mode ?? 0o600) & 0o7777
  const tmp = `${path}.tmp-${process.pid}`
  try {
    syncPath(tmp, 'w', (fd) => {
      fchmodSync(fd, mode) // the umask must not change it
      writeFileSync(fd, text)
    })
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  syncPath(dirname(path), 'r')
}
