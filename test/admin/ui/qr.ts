// The voucher sheet's QR codes: the SVG holds exactly the encoder's dark modules, in a quiet zone.
import t from 'tap'
import { encode } from 'uqr'
import { modulePath, qrSvg, QUIET } from '../../../src/admin/ui/qr'

t.test('modulePath draws each dark module once, offset by the quiet zone', async (t) => {
  t.equal(modulePath([[true, false], [false, true]]), `M${QUIET} ${QUIET}h1v1h-1zM${QUIET + 1} ${QUIET + 1}h1v1h-1z`)
  t.equal(modulePath([]), '')
})

t.test('qrSvg', async (t) => {
  const url = 'http://10.0.0.1:2080/portal/?username=AB12CD&passcode=123456'
  const q = qrSvg(url, 'QR code for voucher "AB12CD" <&>')
  const reference = encode(url, { ecc: 'M', border: 0 })
  t.equal(q.size, reference.size, 'as many modules as the encoder made')
  t.equal(q.size, 17 + 4 * reference.version, 'the size of its version')
  const dark = reference.data.flat().filter(Boolean).length
  t.equal(q.path.split('z').length - 1, dark, 'one square per dark module')
  const side = q.size + 2 * QUIET
  t.match(q.svg, new RegExp(`^<svg [^>]*viewBox="0 0 ${side} ${side}"`), 'the viewBox holds the quiet zone')
  t.match(q.svg, `data-modules="${q.size}"`)
  t.match(q.svg, 'aria-label="QR code for voucher &#34;AB12CD&#34; &#60;&#38;&#62;"', 'the label is escaped')
  t.match(q.svg, `<path d="${q.path}"`)
  // The three finder patterns: the top-left 7x7 has a dark border.
  for (let i = 0; i < 7; i++) t.ok(reference.data[0]?.[i] === true && reference.data[i]?.[0] === true, `finder row/column ${i}`)
  t.ok(qrSvg('x'.repeat(300), 'long').size > q.size, 'longer text, a larger version')
})
