/**
 * @module admin/ui/docs
 * The API documentation as the panel shows it: `get_api_docs`' answer read defensively into one
 * shape, and the seed's request examples (POST JSON body, GET query string) written for this
 * router's endpoint and key. Pure.
 */

export interface DocParam { name: string; type: string; required: boolean; doc: string }
export interface DocAction {
  name: string
  summary: string
  params: DocParam[]
  /** The seed's example values of the parameters (the api-key and action aside). */
  example: Record<string, unknown>
  /** The seed's example answer, when it has one. */
  response?: unknown
}
export interface DocMessage { message: string; meaning: string }
export interface Docs { actions: DocAction[]; messages: DocMessage[] }

type Loose = Record<string, unknown>
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v)
const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v))

const param = (name: string, p: unknown): DocParam => {
  const o = isObject(p) ? p : {}
  return { name: text(o.name ?? name), type: text(o.type), required: o.required !== undefined && o.required !== false, doc: text(o.doc ?? o.summary) }
}

const action = (raw: unknown): DocAction | null => {
  if (!isObject(raw) || typeof raw.name !== 'string' || raw.admin === true) return null
  const params = Array.isArray(raw.params)
    ? raw.params.map((p) => param('', p))
    : isObject(raw.params) ? Object.entries(raw.params).map(([k, p]) => param(k, p)) : []
  // The example is `{params, response}` (get_api_docs), or the parameters' values themselves.
  const given = isObject(raw.example) ? raw.example : isObject(raw.examples) ? raw.examples : {}
  const nested = isObject(given.params)
  const example = nested ? given.params as Loose : given
  const out: DocAction = { name: raw.name, summary: text(raw.summary), params, example }
  const response = nested ? given.response : raw.response ?? raw.response_example
  if (response !== undefined) out.response = response
  return out
}

/**
 * The actions (admin ones left out: /api/ does not serve them) and messages of a `get_api_docs`
 * answer: `{data: {actions, messages?}}` (what the admin door answers), `{data: [...]}` or
 * `{actions: [...]}`; params as an array of `{name, type, required, doc}` or an object keyed by
 * name; each example as `{params, response?}` or as the parameters' values.
 */
export const readDocs = (answer: unknown): Docs => {
  const root = isObject(answer) ? answer : {}
  const data = isObject(root.data) ? root.data : root
  const list = Array.isArray(root.data) ? root.data : Array.isArray(data.actions) ? data.actions : []
  const messages = (Array.isArray(data.messages) ? data.messages : Array.isArray(root.messages) ? root.messages : [])
    .map((m): DocMessage => isObject(m) ? { message: text(m.message), meaning: text(m.meaning ?? m.doc ?? m.description) } : { message: text(m), meaning: '' })
  return { actions: list.map(action).filter((a): a is DocAction => a !== null), messages }
}

/** The fields of a request: the key, the action, then the example's values in order. */
const fields = (key: string, a: DocAction): Loose => ({ 'api-key': key, action: a.name, ...a.example })

/** The seed's POST example: request line, header and JSON body. */
export const postExample = (endpoint: string, key: string, a: DocAction): string =>
  `POST ${endpoint}\nContent-Type: application/json\nBody:\n${JSON.stringify(fields(key, a), null, 2)}`

/** A query-string value as the seed writes it: percent-encoded, but `:` left readable. */
const encode = (v: unknown): string => encodeURIComponent(text(v)).replace(/%3A/gi, ':')

/** The seed's GET example: one URL with every field in the query string. */
export const getExample = (endpoint: string, key: string, a: DocAction): string =>
  `GET ${endpoint}?${Object.entries(fields(key, a)).map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`
