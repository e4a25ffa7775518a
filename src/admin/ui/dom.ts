/**
 * @module admin/ui/dom
 * A few lines instead of a framework: `h(tag, props, ...children)` builds an element (text
 * children become text nodes, so nothing from the server is ever parsed as HTML), and the
 * panel's shared pieces: the status line read out by screen readers, tables that scroll on
 * a phone, and copying to the clipboard on a plain-HTTP router.
 */
import { S } from './strings'

export type Child = Node | string | number | null | undefined | false | Child[]
type Props = Record<string, string | number | boolean | null | undefined | EventListener>

export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === null || v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v)
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v)
    else if (k === 'checked') (el as HTMLInputElement).checked = v === true
    else el.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

const append = (el: Node, children: Child[]): void => {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)))
  }
}

/** Replaces the children of `el`. */
export const put = (el: Element, ...children: Child[]): void => {
  el.textContent = ''
  append(el, children)
}

let statusTimer: number | undefined
/** Says `text` in the status line (role=status, read out politely); errors go in as alerts. */
export const say = (text: string, kind: 'ok' | 'error' = 'ok'): void => {
  const el = document.getElementById('status')
  if (el === null) return
  window.clearTimeout(statusTimer)
  el.className = `status ${kind}`
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status')
  el.textContent = text
  if (kind === 'ok') statusTimer = window.setTimeout(() => { el.textContent = ''; el.className = 'status' }, 6000)
}

/**
 * A table in a box that scrolls sideways on a narrow screen (the page itself never does). With
 * `reflow`, each row becomes a card of "label: value" lines on a phone instead (the stylesheet
 * shows each cell's `data-label`, copied here from its column's header).
 */
export const scrollTable = (label: string, head: Child[], rows: Child[], reflow = false): HTMLElement => {
  const thead = h('thead', null, h('tr', null, head))
  const tbody = h('tbody', null, rows)
  if (reflow) {
    const labels = [...thead.querySelectorAll('th')].map((th) => (th.textContent ?? '').replace(/[▲▼]/g, '').trim())
    for (const tr of [...tbody.rows]) [...tr.cells].forEach((cell, i) => { if (labels[i] !== '') cell.setAttribute('data-label', labels[i] ?? '') })
  }
  return h('div', { className: reflow ? 'scroll reflow' : 'scroll', role: 'region', 'aria-label': label, tabindex: 0 }, h('table', null, thead, tbody))
}

/** Copies `text`: the Clipboard API where the page is a secure context, else a selected textarea and execCommand (plain-HTTP routers). */
export const copyText = async (text: string): Promise<void> => {
  try {
    if (window.isSecureContext && navigator.clipboard !== undefined) {
      await navigator.clipboard.writeText(text)
      say(S.copied)
      return
    }
  } catch {}
  const area = h('textarea', { className: 'offscreen', readonly: true, 'aria-hidden': 'true' }, text)
  document.body.appendChild(area)
  area.select()
  const done = document.execCommand('copy')
  area.remove()
  say(done ? S.copied : S.copyFailed, done ? 'ok' : 'error')
}

/** A button that runs `fn`, disabled while it runs; a failure is said in the status line. */
export const button = (label: string, fn: () => Promise<void> | void, props: Props = {}): HTMLButtonElement => {
  const b = h('button', { type: 'button', ...props }, label)
  b.addEventListener('click', () => {
    b.disabled = true
    Promise.resolve().then(fn).catch((err: Error) => { say(err.message, 'error') }).finally(() => { b.disabled = false })
  })
  return b
}
