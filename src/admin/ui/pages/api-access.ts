/**
 * @module admin/ui/pages/api-access
 * The seed's "Integrations > API Access" page, element by element: Enable API, Enable API POST
 * Method and Enable API GET Method (applied at once, the saved state shown), the Current API
 * Endpoint (the real listen addresses), the Cloud API Endpoint with its tunnel's state, the API
 * Key with copy and regenerate, and the API Documentation from `get_api_docs` with the seed's
 * examples written for this router.
 */
import { button, copyText, h, put, say, scrollTable } from '../dom'
import { getExample, postExample, readDocs, type DocAction, type Docs } from '../docs'
import type { PageContext } from '../main'
import { S, fill } from '../strings'

type Switch = 'enabled' | 'post' | 'get'
interface Settings { enabled: boolean; post: boolean; get: boolean; endpoints: string[]; key_set?: boolean }
interface Cloud { enabled?: boolean; state?: string; endpoint?: string | null; error?: string | null }

const SWITCHES: Array<[Switch, string, string]> = [
  ['enabled', S.enableApi, S.enableApiHelp], ['post', S.enablePost, S.enablePostHelp], ['get', S.enableGet, S.enableGetHelp],
]

/** The endpoint the examples use: a LAN address rather than loopback, else this page's own. */
const exampleEndpoint = (endpoints: string[]): string =>
  endpoints.find((e) => !/^http:\/\/(127\.|\[::1\]|localhost)/.test(e)) ?? endpoints[0] ?? `${location.origin}/api/`

/** A read-only value with a Copy button, as the seed's page shows endpoints and the key. */
const copyField = (id: string, label: string, value: string): HTMLElement =>
  h('div', { className: 'copy-field' },
    h('input', { id, readonly: true, value, 'aria-label': label, spellcheck: 'false' }),
    button(S.copy, () => copyText(value), { 'aria-label': fill(S.copyWhat, { what: label }) }))

const actionDoc = (a: DocAction, i: number, endpoint: string, key: string, s: Settings): HTMLElement => {
  const params: Array<[string, boolean, string, string]> = [
    ['api-key', true, 'string', S.paramKey],
    ['action', true, 'string', `'${a.name}'`],
    ...a.params.map((p): [string, boolean, string, string] => [p.name, p.required, p.type, p.doc]),
  ]
  const rows = params.map(([name, req, type, doc]) => h('tr', null, h('td', null, h('code', null, name)), h('td', null, req === true ? S.yes : S.no), h('td', null, type), h('td', null, doc)))
  return h('section', { className: 'doc', id: `doc-${a.name}`, 'aria-labelledby': `doc-${a.name}-h` },
    h('h3', { id: `doc-${a.name}-h` }, `${i + 1}. ${a.summary === '' ? a.name : a.summary} `, h('code', null, a.name)),
    scrollTable(fill('{a}: {p}', { a: a.name, p: S.param }), [S.param, S.required, S.type, S.value].map((t) => h('th', { scope: 'col' }, t)), rows),
    s.post && [h('p', { className: 'label' }, S.postRequest), h('pre', { className: 'example', 'data-method': 'post' }, postExample(endpoint, key, a))],
    s.get && [h('p', { className: 'label' }, s.post ? S.getRequest : S.getRequest.replace(/^or /, '')), h('pre', { className: 'example', 'data-method': 'get' }, getExample(endpoint, key, a))],
    a.response !== undefined && [h('p', { className: 'label' }, S.responseExample), h('pre', { className: 'example' }, JSON.stringify(a.response, null, 2))])
}

const docsSection = (docs: Docs, s: Settings, key: string): HTMLElement => {
  const endpoint = exampleEndpoint(s.endpoints)
  const methods = [s.post && 'POST', s.get && 'GET'].filter(Boolean).join(', ')
  return h('section', { className: 'card', 'aria-labelledby': 'docs-h', id: 'api-docs' },
    h('h2', { id: 'docs-h' }, S.docsHeading),
    h('p', null, S.docsLead),
    h('p', { className: 'muted' }, fill(S.docsMethods, { methods: methods === '' ? S.docsNoMethods : methods })),
    docs.actions.map((a, i) => actionDoc(a, i, endpoint, key === '' ? 'your-api-key' : key, s)),
    docs.messages.length > 0 && [
      h('h3', null, S.messagesHeading),
      h('dl', { className: 'messages' }, docs.messages.map((m) => [h('dt', null, m.message), h('dd', null, m.meaning)])),
    ],
    h('h3', null, S.notesHeading),
    h('ol', null, [S.note1, S.note2, S.note3, S.note4].map((n) => h('li', null, n))))
}

export const apiAccessPage = async ({ client, main }: PageContext): Promise<void> => {
  const [settings, status, keyAnswer, docsAnswer] = await Promise.all([
    client.call<{ data: Settings }>('get_api_settings'),
    client.call<{ data: { cloud?: Cloud } }>('get_status').catch(() => ({ data: {} as { cloud?: Cloud } })),
    client.may('show_api_key') ? client.call<{ key: string }>('show_api_key') : Promise.resolve({ key: '' }),
    client.call('get_api_docs').catch(() => ({})),
  ])
  let s = settings.data
  let key = keyAnswer.key
  const docs = readDocs(docsAnswer)
  const docsHolder = h('div')
  const keyHolder = h('div')
  const renderDocs = (): void => { put(docsHolder, docsSection(docs, s, key)) }
  const renderKey = (): void => {
    put(keyHolder, key === '' ? h('p', { className: 'warn' }, S.noKey) : copyField('api-key', S.apiKey, key),
      client.may('rotate_api_key') && button(S.regenerate, async () => {
        if (!window.confirm(S.regenerateConfirm)) return
        const answer = await client.call<{ key: string }>('rotate_api_key')
        key = answer.key
        renderKey()
        renderDocs()
        say(S.regenerated)
        document.getElementById('api-key')?.focus()
      }, { id: 'regenerate-key', className: 'danger' }))
  }

  const boxes = new Map<Switch, HTMLInputElement>()
  const switchRow = ([name, label, help]: [Switch, string, string]): HTMLElement => {
    const box = h('input', { type: 'checkbox', role: 'switch', id: `switch-${name}`, checked: s[name], 'aria-describedby': `switch-${name}-help`, disabled: !client.may('set_api_settings') })
    boxes.set(name, box)
    box.addEventListener('change', () => {
      const wanted = box.checked
      for (const b of boxes.values()) b.disabled = true
      say(S.saving)
      client.call<{ data: Settings }>('set_api_settings', { [name]: wanted }).then((answer) => {
        s = { ...s, ...answer.data }
        say(fill(S.saved, { setting: label, state: s[name] ? S.on : S.off }))
      }, (err: Error) => {
        say(err.message, 'error')
      }).finally(() => {
        for (const [n, b] of boxes) { b.checked = s[n]; b.disabled = false }
        renderDocs()
      })
    })
    return h('div', { className: 'switch' },
      box, h('label', { for: `switch-${name}` }, label),
      h('p', { id: `switch-${name}-help`, className: 'muted' }, help))
  }

  const cloud = status.data.cloud
  const state = cloud?.state ?? 'off'
  renderKey()
  renderDocs()
  put(main,
    h('p', { className: 'crumb' }, S.navApiGroup, ' › ', S.navApi),
    h('h1', null, S.apiHeading),
    h('p', null, S.apiLead),
    h('aside', { className: 'notice', 'aria-labelledby': 'notice-h' },
      h('h2', { id: 'notice-h' }, S.securityHeading),
      h('ul', null, [S.security1, S.security2, S.security3].map((t) => h('li', null, t)))),
    h('section', { className: 'card', 'aria-label': S.apiHeading }, SWITCHES.map(switchRow)),
    h('section', { className: 'card', 'aria-labelledby': 'endpoint-h' },
      h('h2', { id: 'endpoint-h' }, S.currentEndpoint),
      h('p', { className: 'muted' }, S.currentEndpointHelp),
      s.endpoints.length === 0 ? h('p', null, S.noEndpoint) : s.endpoints.map((e, i) => copyField(`endpoint-${i}`, S.currentEndpoint, e))),
    h('section', { className: 'card', 'aria-labelledby': 'cloud-h', id: 'cloud' },
      h('h2', { id: 'cloud-h' }, S.cloudEndpoint),
      h('p', { className: 'muted' }, S.cloudEndpointHelp),
      cloud === undefined || cloud.enabled === false
        ? h('p', null, S.cloudOff)
        : [
            typeof cloud.endpoint === 'string' ? copyField('cloud-endpoint', S.cloudEndpoint, cloud.endpoint) : h('p', null, S.cloudNone),
            h('p', null, `${S.tunnelState}: `, h('span', { className: `pill ${state}`, id: 'tunnel-state' }, S.tunnelStates[state] ?? state)),
            typeof cloud.error === 'string' && cloud.error !== '' && h('p', { className: 'warn' }, `${S.tunnelError}: ${cloud.error}`),
          ]),
    h('section', { className: 'card', 'aria-labelledby': 'key-h' },
      h('h2', { id: 'key-h' }, S.apiKey),
      h('p', { className: 'muted' }, S.apiKeyHelp),
      keyHolder),
    docsHolder)
}
