/**
 * @module actions/get-api-docs
 * The seed's "API Documentation" as data, for the panel's Integrations > API Access page: every
 * action the /api/ door serves, with its parameters from the one spec, and the seed's example
 * request and response where the seed gives one, and the seed's API messages with their
 * meanings. The panel fills in this router's endpoint
 * and key, so the examples can be pasted as they are.
 */
import { defineAction, type Action } from './spec'
import {
  API_DISABLED, KEY_INCORRECT, KEY_NOT_SET, NO_USERNAME, UNKNOWN_ERROR, USER_ADDED, USER_REMOVED, USERNAME_EXISTS, USERNAME_MISSING,
} from '../errors'

/** The seed's section 4, "API Messages": each message (from the catalog) with the seed's meaning. */
export const SEED_MESSAGES: ReadonlyArray<{ message: string; meaning: string }> = [
  { message: API_DISABLED, meaning: 'API does not accept requests because it is disabled' },
  { message: KEY_INCORRECT, meaning: 'API Key provided does not match the one set' },
  { message: KEY_NOT_SET, meaning: 'API key is not provided in the requested method' },
  { message: USERNAME_EXISTS, meaning: 'User with the same username already exists in the database' },
  { message: USER_ADDED, meaning: 'User creation confirmation. It will return an array with the following data: username, passcode, fullname, valid_for, and valid_from values' },
  { message: USERNAME_MISSING, meaning: "Username selected for deletion doesn't exist" },
  { message: NO_USERNAME, meaning: 'No username set for deletion' },
  { message: USER_REMOVED, meaning: 'User was successfully removed' },
  { message: UNKNOWN_ERROR, meaning: 'An unknown error occurred' },
]

/** The seed's "API Usage Examples" (and its parameter values for the lists without one). */
export const EXAMPLES: Readonly<Record<string, { params: Record<string, unknown>; response?: unknown }>> = {
  create_voucher: {
    params: { username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day', valid_from: '2025-01-17 10:00:00', download_limit: 1024, upload_limit: 512 },
    response: {
      message: 'User added successfully',
      user: { id: 43, username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day', valid_from: '2025-01-17 10:00:00', download_limit: '1024', upload_limit: '512' },
      error: false,
    },
  },
  remove_voucher: { params: { username: 'user123' }, response: { message: 'User removed successfully', error: false } },
  get_voucher_users: {
    params: {},
    response: {
      users: [
        { id: 45, username: 'user1234', password: 'pass1234', fullname: 'John Doe2', created_at: '2025-02-21 02:31:30', last_modified: '2025-02-21 02:31:30', first_login: null, last_login: null, valid_for: '1 day', valid_from: '2025-01-17 10:00:00', MAC: null, download_limit: 1024, upload_limit: 512 },
        { id: 46, username: 'user12345', password: 'pass12345', fullname: 'John Doe3', created_at: '2025-02-21 02:32:12', last_modified: '2025-02-21 02:32:12', first_login: null, last_login: null, valid_for: '5 days', valid_from: '2025-01-18 10:00:00', MAC: null, download_limit: 0, upload_limit: 0 },
      ],
    },
  },
  get_email_users: {
    params: {},
    response: {
      users: [
        { id: 1, email: 'john.doe@gmail.com', created_at: '2025-01-14 08:38:10', last_login: '2025-01-16 09:41:27', MAC: '98:01:A7:CB:BB:00', visits: 7, comments: 'John', comments1: 'New York', comments2: 'Male', last_modified: '2025-01-16 09:41:27', marketing: 0, verified: 1 },
        { id: 2, email: 'jane.smith@yahoo.com', created_at: '2025-02-01 10:15:30', last_login: '2025-02-05 12:25:43', MAC: '74:D2:46:AC:EE:11', visits: 3, comments: 'Jane', comments1: 'Los Angeles', comments2: 'Female', last_modified: '2025-02-05 12:25:43', marketing: 1, verified: 0 },
      ],
    },
  },
  get_active_guests: {
    params: {},
    response: {
      data: [
        { logins: 'user1@example.com', address: '192.168.0.200', 'mac-address': 'A1:B2:C3:D4:E5:F6', uptime: '9h12m45s', 'idle-time': '2h30m10s', 'bytes-out': '1056738924', 'bytes-in': '87456321' },
        { logins: '15559876543', address: '192.168.0.201', 'mac-address': 'F6:E5:D4:C3:B2:A1', uptime: '12h05m30s', 'idle-time': '1h15m20s', 'bytes-out': '2098475632', 'bytes-in': '156483920' },
      ],
    },
  },
  list_vouchers: { params: { search: 'user', sort: 'created_at', order: 'desc', offset: 0, limit: 50 } },
  create_vouchers: { params: { count: 10, prefix: 'cafe-', valid_for: '1 day', download_limit: 1024 } },
  disconnect_guest: { params: { mac: 'A1:B2:C3:D4:E5:F6' } },
}

/** One action's documentation: what the README's Actions table and the seed's parameter tables say. */
export const docOf = (a: Action): Record<string, unknown> => ({
  name: a.name,
  summary: a.summary,
  access: a.access,
  params: Object.entries(a.params).map(([name, p]) => ({ name, type: p.type, required: p.required !== undefined && p.required !== false, doc: p.doc })),
  example: EXAMPLES[a.name] ?? { params: {} },
})

/** get_api_docs over `table()`: the actions /api/ serves (asked lazily, since the table holds this action). */
export const apiDocsAction = (table: () => readonly Action[]): Action => defineAction({
  name: 'get_api_docs',
  summary: 'The API documentation: every /api/ action, its parameters and the seed\'s examples (admin)',
  access: 'read',
  admin: true,
  params: {},
  handler: () => ({
    data: {
      path: '/api/',
      methods: ['POST', 'GET'],
      key_param: 'api-key',
      action_param: 'action',
      actions: table().map(docOf),
      messages: SEED_MESSAGES,
    },
  }),
})
