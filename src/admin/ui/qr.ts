/**
 * @module admin/ui/qr
 * QR codes as inline SVG for the voucher sheet: uqr's encoder (MIT, tree-shaken to its encode,
 * about 4 KB gzipped) and a renderer of our own that draws every dark module in one path, with
 * the standard four-module quiet zone. Pure: it returns SVG text, which prints sharp at any size.
 */
import { encode } from 'uqr'

/** Modules of white border the QR standard asks for around the symbol. */
export const QUIET = 4

export interface QrSvg {
  /** Modules per side of the symbol, without the quiet zone (21 for version 1, +4 per version). */
  size: number
  /** The path's `d`: one `M x y h1v1h-1z` square per dark module, in quiet-zone coordinates. */
  path: string
  svg: string
}

/** `M x y` squares of every dark module of `data` (rows of booleans), offset by the quiet zone. */
export const modulePath = (data: readonly (readonly boolean[])[]): string => {
  let d = ''
  data.forEach((row, y) => {
    row.forEach((dark, x) => { if (dark) d += `M${x + QUIET} ${y + QUIET}h1v1h-1z` })
  })
  return d
}

const escapeXml = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** `text` as a QR code (error correction M: survives a crease or a smudge) in an SVG with `label` as its accessible name. */
export const qrSvg = (text: string, label: string): QrSvg => {
  const qr = encode(text, { ecc: 'M', border: 0 })
  const path = modulePath(qr.data)
  const side = qr.size + 2 * QUIET
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" role="img" aria-label="${escapeXml(label)}" data-modules="${qr.size}" shape-rendering="crispEdges">` +
    `<rect width="${side}" height="${side}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`
  return { size: qr.size, path, svg }
}
