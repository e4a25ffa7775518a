/**
 * @module admin/ui/format
 * How the panel writes numbers, byte counts, durations and dates: pure functions (no DOM, no
 * Intl, which OpenWrt's browsers have but the tests need not rely on).
 */
import { S } from './strings'

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB']

/** 1234567 → "1,234,567". */
export const formatCount = (n: number): string => String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')

/**
 * A byte count in the largest unit that keeps it at 1 or more (1024-based, as routers count):
 * "0 B", "999 B", "1.5 KB", "12.3 MB", "1 GB". Accepts the seed's strings ("1056738924");
 * anything that is not a number is shown as it is.
 */
export const formatBytes = (value: number | string | null | undefined): string => {
  if (value === null || value === undefined || value === '') return ''
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isFinite(n)) return String(value)
  let v = Math.max(0, n)
  let unit = 0
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024
    unit++
  }
  const text = unit === 0 || v >= 100 ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, '')
  return `${text} ${UNITS[unit] as string}`
}

/** A limit in MB as the seed stores it (0: unlimited) → "1 GB", "512 MB", "Unlimited". */
export const formatLimitMb = (mb: number | string | null | undefined): string => {
  const n = Number(mb ?? 0)
  return !Number.isFinite(n) || n <= 0 ? S.unlimited : formatBytes(n * 1024 * 1024)
}

/** The seed's live durations ("9h12m45s", "12h05m30s", "45s", "2d3h") → seconds; null when not one. */
export const parseDuration = (text: string | null | undefined): number | null => {
  if (text === null || text === undefined) return null
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim())
  if (m === null || text.trim() === '') return null
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0)) as [number, number, number, number]
  return ((d * 24 + h) * 60 + min) * 60 + s
}

/** Seconds → "3 d 4 h", "2 h 5 min", "5 min 3 s", "45 s": the two largest units, for reading at a glance. */
export const formatDuration = (seconds: number): string => {
  const s = Math.max(0, Math.floor(seconds))
  const parts: Array<[number, string]> = [[Math.floor(s / 86400), 'd'], [Math.floor((s % 86400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'min'], [s % 60, 's']]
  const first = parts.findIndex(([n]) => n > 0)
  if (first === -1) return '0 s'
  return parts.slice(first, first + 2).filter(([n]) => n > 0).map(([n, u]) => `${n} ${u}`).join(' ')
}

/** A seed duration string made readable ("9h12m45s" → "9 h 12 min"); other text unchanged. */
export const readableDuration = (text: string | null | undefined): string => {
  const s = parseDuration(text)
  return s === null ? String(text ?? '') : formatDuration(s)
}

/** An `<input type="datetime-local">` value ("2025-01-17T10:00") → the seed's "2025-01-17 10:00:00"; "" stays "". */
export const seedDateTime = (local: string): string => {
  if (local === '') return ''
  const [date, time = '00:00'] = local.split('T') as [string, string?]
  return `${date} ${time.length === 5 ? `${time}:00` : time}`
}

/** A clock time of `d` as "HH:MM:SS" (the browser's local time). */
export const clockTime = (d: Date): string =>
  [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')
