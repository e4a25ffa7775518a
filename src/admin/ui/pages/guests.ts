/**
 * @module admin/ui/pages/guests
 * Live data: the active guests (polled every few seconds while the page is shown and the tab is
 * visible), with a Disconnect button each, and the hosts on the guest network. Every field the
 * actions answer is shown, byte counts and durations made readable.
 */
import { button, h, put, say, scrollTable } from '../dom'
import { clockTime, formatBytes, parseDuration, readableDuration } from '../format'
import type { PageContext } from '../main'
import { S, fill } from '../strings'

/** Seconds between two refreshes. */
export const POLL_SECONDS = 5

type Row = Record<string, unknown>

const ACTIVE = ['logins', 'address', 'mac-address', 'uptime', 'idle-time', 'bytes-out', 'bytes-in']
const HOSTS = ['host-name', 'address', 'mac-address', 'interface', 'authorized', 'found-by', 'uptime']

/** The known columns first, then whatever else the answer carries (remaining quota, validity, ...). */
const columnsOf = (rows: Row[], known: string[]): string[] =>
  [...new Set([...known, ...rows.flatMap((r) => Object.keys(r))])].filter((c) => rows.length === 0 ? known.includes(c) : rows.some((r) => c in r))

const show = (key: string, value: unknown): string => {
  if (value === null || value === undefined) return ''
  if (typeof value === 'boolean') return value ? S.yes : S.no
  const text = String(value)
  if (/bytes|quota|remaining-(down|up)/.test(key) && /^\d+$/.test(text)) return formatBytes(text)
  if (parseDuration(text) !== null && /\D/.test(text)) return readableDuration(text)
  return text
}

const table = (label: string, rows: Row[], columns: string[], extra?: (r: Row) => Node | false): HTMLElement => {
  const head = [columns.map((c) => h('th', { scope: 'col' }, S.guest[c] ?? c)), extra !== undefined && h('th', { scope: 'col' }, S.actions)]
  const body = rows.map((r) => h('tr', null, columns.map((c, i) => h(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : { className: /mac|address/.test(c) ? 'mono' : null }, show(c, r[c]))),
    extra !== undefined && h('td', null, extra(r))))
  return scrollTable(label, head, body, true)
}

export const guestsPage = async ({ client, main }: PageContext): Promise<() => void> => {
  const active = h('div', { id: 'active-guests' })
  const hosts = h('div', { id: 'guest-hosts' })
  const updated = h('p', { className: 'muted', id: 'updated' })
  let timer: number | undefined
  let stopped = false

  const disconnect = (r: Row): Node | false => {
    const mac = String(r['mac-address'] ?? '')
    return mac !== '' && client.may('disconnect_guest') && button(S.disconnect, async () => {
      await client.call('disconnect_guest', { mac })
      say(fill(S.disconnected, { mac }))
      await refresh()
    }, { className: 'danger small', id: `disconnect-${mac.replace(/:/g, '')}`, 'aria-label': fill(S.disconnectWhat, { mac }) })
  }

  const refresh = async (): Promise<void> => {
    const [a, g] = await Promise.all([
      client.call<{ data: Row[] }>('get_active_guests'),
      client.call<{ data: Row[] }>('get_guest_hosts'),
    ])
    if (stopped) return
    const focused = document.activeElement?.id ?? ''
    put(active, a.data.length === 0 ? h('p', { className: 'empty' }, S.noGuests) : table(S.activeHeading, a.data, columnsOf(a.data, ACTIVE), disconnect))
    put(hosts, g.data.length === 0 ? h('p', { className: 'empty' }, S.noHosts) : table(S.hostsHeading, g.data, columnsOf(g.data, HOSTS)))
    updated.textContent = fill(S.updated, { time: clockTime(new Date()) })
    if (focused !== '') document.getElementById(focused)?.focus()
  }

  const tick = (): void => {
    timer = window.setTimeout(() => {
      const run = document.hidden ? Promise.resolve() : refresh().catch((err: Error) => { say(err.message, 'error') })
      void run.then(() => { if (!stopped) tick() })
    }, POLL_SECONDS * 1000)
  }

  await refresh()
  put(main,
    h('h1', null, S.guestsHeading),
    h('section', { className: 'card', 'aria-labelledby': 'active-h' },
      h('h2', { id: 'active-h' }, S.activeHeading),
      h('p', { className: 'muted' }, fill(S.activeLead, { s: POLL_SECONDS }), ' ', updated),
      active),
    h('section', { className: 'card', 'aria-labelledby': 'hosts-h' },
      h('h2', { id: 'hosts-h' }, S.hostsHeading),
      hosts))
  tick()
  return () => {
    stopped = true
    window.clearTimeout(timer)
  }
}
