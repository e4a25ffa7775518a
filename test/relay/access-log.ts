import t from 'tap'
import { formatAccess, redactQuery, type AccessEntry } from '../../src/relay/access-log'

t.test('the api-key\'s value is replaced, however the name is written', async (t) => {
  const cases: Array<[string, string]> = [
    ['/api/', '/api/'],
    ['/api/?action=get_logins', '/api/?action=get_logins'],
    ['/api/?api-key=s3cret&action=x', '/api/?api-key=[redacted]&action=x'],
    ['/api/?action=x&api-key=s3cret', '/api/?action=x&api-key=[redacted]'],
    ['/api/?api-key=a&api-key=b', '/api/?api-key=[redacted]&api-key=[redacted]'],
    ['/api/?api%2Dkey=s3cret', '/api/?api%2Dkey=[redacted]'],
    ['/api/?API-KEY=s3cret', '/api/?API-KEY=[redacted]'],
    ['/api/?api-key', '/api/?api-key=[redacted]'],
    ['/api/?api-key=', '/api/?api-key=[redacted]'],
    ['/api/?api-key=a=b=c', '/api/?api-key=[redacted]'],
    ['/api/?+api-key+=s3cret', '/api/?+api-key+=[redacted]'],
    ['/api/?api-keys=kept&xapi-key=kept', '/api/?api-keys=kept&xapi-key=kept'],
    ['/api/?username=api-key', '/api/?username=api-key'],
    ['/api/?a=%zz&api-key=s', '/api/?a=%zz&api-key=[redacted]'],
    ['/api/?', '/api/?'],
  ]
  for (const [path, logged] of cases) t.equal(redactQuery(path), logged, path)
})

const entry: AccessEntry = {
  at: new Date('2025-01-17T10:00:00.123Z'), client: '203.0.113.5', id: '2b080b3af6', method: 'POST',
  path: '/api/?api-key=s3cret&action=create_voucher', status: 200, bytes: 345, ms: 12.4, cut: false,
}

t.test('one line: time, client, id, method, path, status, bytes, ms', async (t) => {
  t.equal(formatAccess(entry), 'access 2025-01-17T10:00:00.123Z 203.0.113.5 2b080b3af6 POST /api/?api-key=[redacted]&action=create_voucher 200 345 12ms')
  t.equal(formatAccess({ ...entry, id: undefined, status: 0, cut: true, path: '/' }), 'access 2025-01-17T10:00:00.123Z 203.0.113.5 - POST / 0 345 12ms cut', 'no id; cut before any status')
})

t.test('what could break the line or fool a reader is percent-encoded', async (t) => {
  t.equal(formatAccess({ ...entry, path: '/api/ x\n\tinfo: forged\u00e9' }), 'access 2025-01-17T10:00:00.123Z 203.0.113.5 2b080b3af6 POST /api/%20x%0A%09info:%20forged%C3%A9 200 345 12ms')
  t.equal(formatAccess({ ...entry, method: 'GE T' }).split(' ')[4], 'GE%20T')
})
