/**
 * @module test/config/uci
 * The UCI parser against OpenWrt-style files and libuci's quoting rules, the `uci commit` text it
 * writes back, section lookup and edits, and atomic file writes in a scratch directory.
 */
import t from 'tap'
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import {
  parseUci,
  readUciFile,
  section,
  serializeUci,
  setOption,
  UciSyntaxError,
  writeUciFile,
  type UciPackage,
  type UciSection,
} from '../../src/config/uci'

type Options = Record<string, string | string[]>

/** An expected section; options in the object's key order. */
const sec = (type: string, name: string, index: number, options: Options = {}, anonymous = false): UciSection => ({
  type,
  name,
  anonymous,
  index,
  options: new Map(Object.entries(options)),
})
const anon = (type: string, name: string, index: number, options: Options = {}): UciSection =>
  sec(type, name, index, options, true)

/** Sections with options as ordered entries, so comparisons also check option order. */
const view = (sections: UciSection[]) => sections.map((s) => ({ ...s, options: [...s.options] }))

/** Generated names below were computed independently with libuci's 32-bit djbhash over the type. */
const PARSE_CASES: Array<[string, string, UciSection[]]> = [
  [
    'a typical /etc/config/network',
    `
config interface 'loopback'
\toption device 'lo'
\toption proto 'static'
\toption ipaddr '127.0.0.1'
\toption netmask '255.0.0.0'

config globals 'globals'
\toption ula_prefix 'fd12:3456:789a::/48'

config device
\toption name 'br-lan'
\toption type 'bridge'
\tlist ports 'lan1'
\tlist ports 'lan2'

config interface 'lan'
\toption device 'br-lan'
\toption proto 'static'
\toption ipaddr '192.168.1.1'
\toption netmask '255.255.255.0'
\toption ip6assign '60'
\tlist dns '1.1.1.1'
\tlist dns '9.9.9.9'

config interface 'wan'
\toption device 'wan'
\toption proto 'dhcp'
`,
    [
      sec('interface', 'loopback', 0, { device: 'lo', proto: 'static', ipaddr: '127.0.0.1', netmask: '255.0.0.0' }),
      sec('globals', 'globals', 0, { ula_prefix: 'fd12:3456:789a::/48' }),
      anon('device', 'cfg040f15', 0, { name: 'br-lan', type: 'bridge', ports: ['lan1', 'lan2'] }),
      sec('interface', 'lan', 1, {
        device: 'br-lan',
        proto: 'static',
        ipaddr: '192.168.1.1',
        netmask: '255.255.255.0',
        ip6assign: '60',
        dns: ['1.1.1.1', '9.9.9.9'],
      }),
      sec('interface', 'wan', 2, { device: 'wan', proto: 'dhcp' }),
    ],
  ],
  [
    // `uci show -X system` names this section system.cfg02e48a on OpenWrt devices
    'a typical /etc/config/system, anonymous first section named like libuci',
    `package system

config system
\toption hostname 'OpenWrt'
\toption timezone 'UTC'
\toption ttylogin '0'

config timeserver 'ntp'
\toption enabled '1'
\tlist server '0.openwrt.pool.ntp.org'
\tlist server '1.openwrt.pool.ntp.org'
`,
    [
      anon('system', 'cfg02e48a', 0, { hostname: 'OpenWrt', timezone: 'UTC', ttylogin: '0' }),
      sec('timeserver', 'ntp', 0, { enabled: '1', server: ['0.openwrt.pool.ntp.org', '1.openwrt.pool.ntp.org'] }),
    ],
  ],
  [
    // dnsmasq's instance config is /var/etc/dnsmasq.conf.cfg02411c on OpenWrt devices
    'a typical /etc/config/dhcp with unquoted values',
    `config dnsmasq
\toption domainneeded 1
\toption local /lan/
\toption leasefile /tmp/dhcp.leases

config dhcp lan
\toption interface lan
\toption start 100
\toption leasetime 12h
`,
    [
      anon('dnsmasq', 'cfg02411c', 0, { domainneeded: '1', local: '/lan/', leasefile: '/tmp/dhcp.leases' }),
      sec('dhcp', 'lan', 0, { interface: 'lan', start: '100', leasetime: '12h' }),
    ],
  ],
  [
    'comments on their own lines, indented, and after values',
    `# hotspotd configuration
config hotspotd 'main' # the only section
\t# how often usage is written
\toption flush_interval '60s'   # seconds
\toption db_path "/var/lib/hotspotd.db"\t#tab first
\toption note '#not a comment'
\toption tight b#comment right after a word
\toption mixed "x#y"
# trailing comment without newline`,
    [
      sec('hotspotd', 'main', 0, {
        flush_interval: '60s',
        db_path: '/var/lib/hotspotd.db',
        note: '#not a comment',
        tight: 'b',
        mixed: 'x#y',
      }),
    ],
  ],
  [
    'quoting forms, concatenation and escapes',
    `config t 'n'
\toption bare word
\toption single 'two words'
\toption double "two words"
\toption concat 'a'"b"c
\toption raw 'x\\y\\'
\toption escaped "say \\"hi\\" \\\\ ok"
\toption unquoted b\\ c\\#d
\toption apostrophe 'it'\\''s'
\toption quoted_name "x" # quotes may wrap any argument
\t'option' "list" 'v'
`,
    [
      sec('t', 'n', 0, {
        bare: 'word',
        single: 'two words',
        double: 'two words',
        concat: 'abc',
        raw: 'x\\y\\',
        escaped: 'say "hi" \\ ok',
        unquoted: 'b c#d',
        apostrophe: "it's",
        quoted_name: 'x',
        list: 'v',
      }),
    ],
  ],
  [
    'line continuation and multi-line quoted values',
    `config t 'n'
\toption joined foo\\
bar
\toption joined_dq "foo\\
bar"
\toption single 'line1
line2'
\toption double "line1
line2"
\toption after 'x' \\
\t# continued into a comment
\toption last 'y'`,
    [
      sec('t', 'n', 0, {
        joined: 'foobar',
        joined_dq: 'foobar',
        single: 'line1\nline2',
        double: 'line1\nline2',
        after: 'x',
        last: 'y',
      }),
    ],
  ],
  [
    'empty values, CRLF line ends, blanks, and a dangling backslash at the end',
    "\r\n  \t\r\nconfig t 'n'\r\n\toption empty ''\r\n\toption empty_dq \"\"\r\n\tlist items ''\r\n\toption v   val  \r\n\toption end b\\",
    [sec('t', 'n', 0, { empty: '', empty_dq: '', items: [''], v: 'val', end: 'b' })],
  ],
  [
    "libuci's one-letter keywords, `config TYPE ''` as anonymous, and types with '-' or quotes",
    `p network
c wifi-iface 'default_radio0'
o mode ap
l maclist 'aa:bb:cc:dd:ee:ff'
config wifi-iface ''
option mode sta
config 'a#b'
`,
    [
      sec('wifi-iface', 'default_radio0', 0, { mode: 'ap', maclist: ['aa:bb:cc:dd:ee:ff'] }),
      anon('wifi-iface', 'cfg033579', 1, { mode: 'sta' }),
      anon('a#b', 'cfg05546b', 0),
    ],
  ],
  [
    'a repeated option: the last wins and moves to the end, an unchanged one stays',
    `config t 'n'
\toption a 1
\toption b 2
\toption c 3
\toption a 4
\toption c 3
`,
    [sec('t', 'n', 0, { b: '2', c: '3', a: '4' })],
  ],
  [
    'list appends; a list after an option converts it, an option after a list replaces it',
    `config t 'n'
\toption x 1
\toption y 2
\tlist x 3
\tlist z 1
\tlist z 2
\toption z 3
\toption same v
\tlist same v
`,
    [sec('t', 'n', 0, { y: '2', x: ['1', '3'], z: '3', same: ['v', 'v'] })],
  ],
  [
    'a repeated named section merges into the first and allocates no new name',
    `config interface 'lan'
\toption proto 'static'
\toption ifname 'eth0'
config interface 'wan'
\toption proto 'dhcp'
config interface 'lan'
\toption ipaddr '192.168.1.1'
\toption proto 'dhcp'
config interface
\toption proto 'none'
`,
    [
      sec('interface', 'lan', 0, { ifname: 'eth0', ipaddr: '192.168.1.1', proto: 'dhcp' }),
      sec('interface', 'wan', 1, { proto: 'dhcp' }),
      anon('interface', 'cfg046d96', 2, { proto: 'none' }),
    ],
  ],
  [
    'anonymous sections among named ones, indexed per type',
    `config rule
\toption name 'a'
config zone 'lan'
config rule
\toption name 'b'
config rule
\toption name 'c'
`,
    [
      anon('rule', 'cfg0292bd', 0, { name: 'a' }),
      sec('zone', 'lan', 0),
      anon('rule', 'cfg0592bd', 1, { name: 'b' }),
      anon('rule', 'cfg0792bd', 2, { name: 'c' }),
    ],
  ],
  ['an empty file', '', []],
  ['only comments and blank lines', '# nothing\n\n   \n\t# here\n', []],
]

t.test('parses OpenWrt-style files and the quoting rules of libuci', async (t) => {
  for (const [name, text, expected] of PARSE_CASES) {
    t.strictSame(view(parseUci(text).sections), view(expected), name)
  }
})

/** [case, text, line, reason] for `/etc/config/hotspotd:LINE: reason`. */
const ERROR_CASES: Array<[string, string, number, string]> = [
  ['unterminated single quote', "config t 'n'\n\toption a 'b\n\n", 2, 'unterminated quote'],
  ['an escaped quote does not close', 'config t\n\toption a "b\\"\n', 2, 'unterminated quote'],
  ['double quote ending in a backslash', 'config t\noption a "b\\', 2, 'unterminated quote'],
  ['unterminated quote in a type', "\n\nconfig 'interface\n", 3, 'unterminated quote'],
  ['unknown keyword', 'config t\n\toptions a b', 2, 'unknown keyword "options"'],
  ['quoted unknown keyword', '"conf ig" t', 1, 'unknown keyword "conf ig"'],
  ['option before any config', '# header\n\noption a b\n', 3, 'option before the first config section'],
  ['list before any config', 'list a b', 1, 'list before the first config section'],
  ['missing value', 'config t\noption a', 2, 'missing value'],
  ['missing list value before a comment', 'config t\nlist a # none', 2, 'missing value'],
  ['missing option name', 'config t\nlist', 2, 'missing option name'],
  ['missing section type', 'config', 1, 'missing section type'],
  ['missing section type before a comment', 'config # nothing', 1, 'missing section type'],
  ['missing package name', 'package', 1, 'missing package name'],
  ['extra token after a section name', 'config t n extra', 1, 'too many arguments'],
  ['extra token after a value', "config t\n\toption a 'b' c # note", 2, 'too many arguments'],
  ['extra token after a package name', 'package a b', 1, 'too many arguments'],
  ['invalid section name', "config t 'lan-1'", 1, 'invalid section name "lan-1"'],
  ['invalid section type', "config 'a b'", 1, 'invalid section type "a b"'],
  ['non-ASCII section type', 'config tÿpe', 1, 'invalid section type "tÿpe"'],
  ['invalid option name', "config t\noption 'a.b' c", 2, 'invalid option name "a.b"'],
  ['invalid list name', 'config t\nlist a-b c', 2, 'invalid option name "a-b"'],
  ['invalid package name', "package 'a.b'", 1, 'invalid package name "a.b"'],
  [
    'a named section repeated with another type',
    "config interface 'lan'\nconfig device 'lan'",
    2,
    'section "lan" redefined as "device" (was "interface")',
  ],
  ['line counted past a multi-line value', "config t\noption a 'x\ny'\noption b", 4, 'missing value'],
  ['statement spanning lines reports its first line', "config t\noption a 'x\ny' z", 2, 'too many arguments'],
]

const thrownBy = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}

t.test('rejects malformed files with the file, line and reason', async (t) => {
  const file = '/etc/config/hotspotd'
  for (const [name, text, line, reason] of ERROR_CASES) {
    const err = thrownBy(() => parseUci(text, file))
    t.ok(err instanceof UciSyntaxError, `${name}: a UciSyntaxError`)
    const got = err as UciSyntaxError
    const expected = { code: 'UCI_SYNTAX', file, line, message: `${file}:${line}: ${reason}` }
    t.strictSame({ code: got.code, file: got.file, line: got.line, message: got.message }, expected, name)
  }
})

t.test('names <uci> as the source when no file is given', async (t) => {
  t.throws(() => parseUci('bogus'), { name: 'UciSyntaxError', file: '<uci>', line: 1 })
  t.equal((thrownBy(() => parseUci('bogus')) as Error).message, '<uci>:1: unknown keyword "bogus"')
})

t.test('finds sections by name and by @type[index] like uci', async (t) => {
  const pkg = parseUci(PARSE_CASES.find(([name]) => name.startsWith('anonymous sections'))?.[1] ?? '')
  const nameOf = (ref: string) => section(pkg, ref)?.options.get('name') ?? section(pkg, ref)?.name
  t.equal(nameOf('@rule[0]'), 'a', '@rule[0] is the first rule')
  t.equal(nameOf('@rule[1]'), 'b', '@rule[1] skips sections of other types')
  t.equal(nameOf('@rule[-1]'), 'c', '@rule[-1] is the last rule')
  t.equal(nameOf('@rule[-3]'), 'a', '@rule[-3] counts back to the first')
  t.equal(nameOf('@zone[0]'), 'lan', '@zone[0] is the named zone')
  t.equal(nameOf('@[1]'), 'lan', '@[1] counts sections of any type')
  t.equal(nameOf('cfg0592bd'), 'b', 'a generated name finds its anonymous section')
  t.equal(nameOf('lan'), 'lan', 'an explicit name')
  t.equal(section(pkg, '@rule[3]'), undefined, 'past the end')
  t.equal(section(pkg, '@rule[-4]'), undefined, 'before the start')
  t.equal(section(pkg, '@nope[0]'), undefined, 'a type with no sections')
  t.equal(section(pkg, 'nope'), undefined, 'an unknown name')
  t.equal(section(pkg, '@rule[x]'), undefined, 'a malformed index is looked up as a name')
})

t.test('serializes the way uci commit writes', async (t) => {
  const pkg = parseUci(`config hotspotd 'main'
  option enabled 1
  list lan_ifname br-lan
  list lan_ifname "guest"
config rule
  option name "it's"
  option empty ''
`)
  const body =
    "\nconfig hotspotd 'main'\n\toption enabled '1'\n\tlist lan_ifname 'br-lan'\n\tlist lan_ifname 'guest'\n" +
    "\nconfig rule\n\toption name 'it'\\''s'\n\toption empty ''\n\n"
  t.equal(serializeUci(pkg), body, 'sections, options, lists, anonymous section, escaped quote')
  t.equal(serializeUci(pkg, 'hotspotd'), `package hotspotd\n${body}`, 'with a package line as uci export writes')
  t.equal(serializeUci({ sections: [] }), '\n', 'an empty package')
})

t.test('escapes quotes so values and odd types survive a round trip', async (t) => {
  const value = "a'b''c '\\' \"q\" #h\nnext"
  const pkg: UciPackage = { sections: [sec('a#b', 'cfg02546b', 0, { v: value, l: [value, "'"] }, true)] }
  const text = serializeUci(pkg)
  t.match(text, "\nconfig 'a#b'\n\toption v 'a'\\''b'\\'''\\''c '\\''\\'\\'' \"q\" #h\nnext'\n", 'quoted type and value')
  t.strictSame(view(parseUci(text).sections), view(pkg.sections), 'parses back to the same package')
})

t.test('writes nothing for an empty list', async (t) => {
  const pkg: UciPackage = { sections: [sec('t', 'n', 0, { gone: [], kept: 'x' })] }
  t.equal(serializeUci(pkg), "\nconfig t 'n'\n\toption kept 'x'\n\n")
})

t.test('round-trips every parse fixture', async (t) => {
  for (const [name, text] of PARSE_CASES) {
    const pkg = parseUci(text)
    t.strictSame(view(parseUci(serializeUci(pkg)).sections), view(pkg.sections), name)
  }
})

t.test('refuses to serialize names the parser would reject', async (t) => {
  const bad: Array<[string, UciPackage, string | undefined, string]> = [
    ['section type', { sections: [sec('a b', 'n', 0)] }, undefined, 'invalid section type "a b"'],
    ['section name', { sections: [sec('t', 'n.1', 0)] }, undefined, 'invalid section name "n.1"'],
    ['option name', { sections: [sec('t', 'n', 0, { 'a-b': 'x' })] }, undefined, 'invalid option name "a-b"'],
    ['list name', { sections: [sec('t', 'n', 0, { '': ['x'] })] }, undefined, 'invalid option name ""'],
    ['package name', { sections: [] }, 'a.b', 'invalid package name "a.b"'],
  ]
  for (const [name, pkg, packageName, message] of bad) {
    t.throws(() => serializeUci(pkg, packageName), { code: 'UCI_INVALID', message }, name)
  }
  const generated: UciPackage = { sections: [sec('t', '', 0, {}, true)] }
  t.equal(serializeUci(generated), '\nconfig t\n\n', 'an anonymous section needs no valid name')
})

t.test('setOption edits and creates sections', async (t) => {
  const pkg = parseUci("config hotspotd 'main'\n\toption enabled '0'\n\toption port '8080'\nconfig rule\nconfig rule\n")
  setOption(pkg, 'main', 'hotspotd', 'enabled', '1')
  t.strictSame([...(section(pkg, 'main')?.options ?? [])], [['enabled', '1'], ['port', '8080']], 'changed in place')

  const ifnames = ['br-lan', 'guest']
  setOption(pkg, 'main', 'hotspotd', 'lan_ifname', ifnames)
  ifnames.push('later')
  t.strictSame(section(pkg, 'main')?.options.get('lan_ifname'), ['br-lan', 'guest'], 'a list, copied')
  setOption(pkg, 'main', 'hotspotd', 'port', [])
  t.equal(section(pkg, 'main')?.options.has('port'), false, 'an empty list removes the option')

  setOption(pkg, '@rule[-1]', 'rule', 'name', 'last')
  t.equal(pkg.sections[2]?.options.get('name'), 'last', 'addressed as @rule[-1]')

  setOption(pkg, 'guest', 'hotspotd', 'enabled', '1')
  setOption(pkg, 'other', 'zone', 'name', 'wan')
  t.strictSame(view(pkg.sections.slice(3)), view([
    sec('hotspotd', 'guest', 1, { enabled: '1' }),
    sec('zone', 'other', 0, { name: 'wan' }),
  ]), 'new named sections at the end, indexed per type')
})

t.test('setOption rejects invalid names and a type clash', async (t) => {
  const pkg = parseUci("config hotspotd 'main'\n")
  const cases: Array<[string, () => void, string]> = [
    ['option name', () => setOption(pkg, 'main', 'hotspotd', 'a.b', 'x'), 'invalid option name "a.b"'],
    ['section name', () => setOption(pkg, '@hotspotd[3]', 'hotspotd', 'a', 'x'), 'invalid section name "@hotspotd[3]"'],
    ['section type', () => setOption(pkg, 'new', 'a b', 'a', 'x'), 'invalid section type "a b"'],
    ['type clash', () => setOption(pkg, 'main', 'rule', 'a', 'x'), 'section "main" is a "hotspotd"'],
  ]
  for (const [name, fn, message] of cases) t.throws(fn, { code: 'UCI_INVALID', message }, name)
  t.equal(pkg.sections.length, 1, 'nothing was created')
  t.equal(pkg.sections[0]?.options.size, 0, 'nothing was set')
})

t.test('writes files atomically and reads them back', async (t) => {
  const dir = t.testdir()
  const path = `${dir}/hotspotd`
  const pkg = parseUci(PARSE_CASES[0]?.[1] ?? '')

  writeUciFile(path, pkg)
  t.equal(statSync(path).mode & 0o777, 0o600, 'a new file gets 0600')
  t.equal(readFileSync(path, 'utf8'), serializeUci(pkg), 'the file holds the serialized text')
  t.strictSame(view(readUciFile(path).sections), view(pkg.sections), 'reads back the same package')

  chmodSync(path, 0o640)
  setOption(pkg, 'lan', 'interface', 'proto', 'dhcp')
  writeUciFile(path, pkg)
  t.equal(statSync(path).mode & 0o777, 0o640, 'an existing file keeps its mode')
  t.equal(section(readUciFile(path), 'lan')?.options.get('proto'), 'dhcp', 'the new content replaced the old')
  t.strictSame(readdirSync(dir), ['hotspotd'], 'no temp file is left behind')
})

t.test('file errors propagate unchanged', async (t) => {
  const dir = t.testdir()
  t.throws(() => readUciFile(`${dir}/missing`), { code: 'ENOENT' }, 'reading a missing file')

  writeFileSync(`${dir}/broken`, 'config t\noption a\n')
  t.throws(() => readUciFile(`${dir}/broken`), { code: 'UCI_SYNTAX', file: `${dir}/broken`, line: 2 }, 'a syntax error names the path')

  mkdirSync(`${dir}/taken`)
  t.throws(() => writeUciFile(`${dir}/taken`, { sections: [] }), { code: 'EISDIR' }, 'renaming over a directory')
  t.strictSame(readdirSync(dir).sort(), ['broken', 'taken'], 'the failed write left no temp file')
})
