// The API documentation's data read from get_api_docs' answer, and the seed's examples rebuilt.
import t from 'tap'
import { getExample, postExample, readDocs, type DocAction } from '../../../src/admin/ui/docs'

const create: DocAction = {
  name: 'create_voucher',
  summary: 'Create a new voucher',
  params: [{ name: 'username', type: 'string', required: false, doc: 'The username to create.' }],
  example: { username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day', valid_from: '2025-01-17 10:00:00', download_limit: 1024, upload_limit: 512 },
}

t.test('the seed\'s create example, for this router', async (t) => {
  t.equal(getExample('http://192.168.10.1/api/', 'your-api-key', create),
    'GET http://192.168.10.1/api/?api-key=your-api-key&action=create_voucher&username=user123&passcode=pass123&fullname=John%20Doe&valid_for=1%20day&valid_from=2025-01-17%2010:00:00&download_limit=1024&upload_limit=512',
    'the GET request is the seed\'s, byte for byte')
  t.equal(postExample('http://10.0.0.1:8080/api/', 'k3y', create), [
    'POST http://10.0.0.1:8080/api/', 'Content-Type: application/json', 'Body:', '{', '  "api-key": "k3y",', '  "action": "create_voucher",',
    '  "username": "user123",', '  "passcode": "pass123",', '  "fullname": "John Doe",', '  "valid_for": "1 day",',
    '  "valid_from": "2025-01-17 10:00:00",', '  "download_limit": 1024,', '  "upload_limit": 512', '}',
  ].join('\n'), 'the POST request is the seed\'s, with this router\'s endpoint and key')
  t.equal(getExample('http://h/api/', 'a&b', { ...create, example: {} }), 'GET http://h/api/?api-key=a%26b&action=create_voucher', 'values are encoded')
})

t.test('readDocs accepts the shapes get_api_docs may answer in', async (t) => {
  const params = { username: { type: 'string', required: true, doc: 'The username to delete.' } }
  const list = [
    { name: 'remove_voucher', summary: 'Remove an existing voucher', params, example: { username: 'user123' }, response: { message: 'User removed successfully', error: false } },
    { name: 'rotate_api_key', summary: 'admin', admin: true, params: {} },
    { name: 'get_logins', summary: 'Fetch Login log list', params: [{ name: 'x', type: 'integer', summary: 'an x' }], examples: { x: 1 } },
    { summary: 'no name' },
    'junk',
  ]
  const want = [
    { name: 'remove_voucher', summary: 'Remove an existing voucher', params: [{ name: 'username', type: 'string', required: true, doc: 'The username to delete.' }], example: { username: 'user123' }, response: { message: 'User removed successfully', error: false } },
    { name: 'get_logins', summary: 'Fetch Login log list', params: [{ name: 'x', type: 'integer', required: false, doc: 'an x' }], example: { x: 1 } },
  ]
  t.same(readDocs({ data: list }).actions, want, '{data: [...]}, admin actions and junk left out')
  t.same(readDocs({ actions: list }).actions, want, '{actions: [...]}')
  const messages = [{ message: 'API is not enabled', meaning: 'API does not accept requests because it is disabled' }, { message: 'An error occurred', doc: 'unknown' }, 'Plain']
  const both = readDocs({ data: { actions: list, messages } })
  t.same(both.actions, want, '{data: {actions, messages}}')
  t.same(both.messages, [
    { message: 'API is not enabled', meaning: 'API does not accept requests because it is disabled' },
    { message: 'An error occurred', meaning: 'unknown' },
    { message: 'Plain', meaning: '' },
  ])
  t.same(readDocs({ actions: [], messages: [{ message: 'M', description: 'd' }] }).messages, [{ message: 'M', meaning: 'd' }], 'messages beside actions')
  const served = readDocs({ data: { path: '/api/', actions: [{ name: 'remove_voucher', summary: 'Remove', access: 'write', params: [], example: { params: { username: 'user123' }, response: { message: 'User removed successfully', error: false } } }, { name: 'get_logins', summary: 'Logins', params: [], example: { params: {} } }] } })
  t.same(served.actions, [
    { name: 'remove_voucher', summary: 'Remove', params: [], example: { username: 'user123' }, response: { message: 'User removed successfully', error: false } },
    { name: 'get_logins', summary: 'Logins', params: [], example: {} },
  ], 'the admin door\'s shape: example {params, response}')
  t.same(readDocs({ data: { actions: [] }, messages: ['Outer'] }).messages, [{ message: 'Outer', meaning: '' }], 'messages beside a data object')
  t.same(readDocs({ data: [], messages: ['Top'] }).messages, [{ message: 'Top', meaning: '' }], 'messages beside a data list')
  t.same(readDocs(null), { actions: [], messages: [] }, 'nothing usable: empty')
  t.same(readDocs({ data: [{ name: 'a', params: 'x', response_example: 1 }] }).actions, [{ name: 'a', summary: '', params: [], example: {}, response: 1 }])
  t.same(readDocs({ data: [{ name: 'a', params: [null] }] }).actions[0]?.params, [{ name: '', type: '', required: false, doc: '' }])
})
