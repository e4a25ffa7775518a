/**
 * @module domain/durations
 * Durations as the seed's live data shows them ("9h12m45s", "12h05m30s").
 */

const pad = (n: number): string => String(n).padStart(2, '0')

/**
 * "9h12m45s" for 33165 seconds: hours unpadded and unbounded (days are counted in hours),
 * minutes and seconds in two digits once a larger unit is shown. Negative input counts as 0.
 */
export const formatUptime = (seconds: number): string => {
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (h > 0) return `${h}h${pad(m)}m${pad(sec)}s`
  if (m > 0) return `${m}m${pad(sec)}s`
  return `${sec}s`
}
