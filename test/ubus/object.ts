import t from 'tap'
import { STATUS_TEXT, UbusStatus } from '../../src/ubus/object'

// The ubus CLI's words for each status (libubus' ubus_strerror), as ubus-protocol-notes.md §7 lists them.
const CLI: Record<keyof typeof UbusStatus, [number, string]> = {
  OK: [0, 'Success'],
  INVALID_COMMAND: [1, 'Invalid command'],
  INVALID_ARGUMENT: [2, 'Invalid argument'],
  METHOD_NOT_FOUND: [3, 'Method not found'],
  NOT_FOUND: [4, 'Not found'],
  NO_DATA: [5, 'No response'],
  PERMISSION_DENIED: [6, 'Permission denied'],
  TIMEOUT: [7, 'Request timed out'],
  NOT_SUPPORTED: [8, 'Operation not supported'],
  UNKNOWN_ERROR: [9, 'Unknown error'],
  CONNECTION_FAILED: [10, 'Connection failed'],
  NO_MEMORY: [11, 'Out of memory'],
  PARSE_ERROR: [12, 'Parsing message data failed'],
  SYSTEM_ERROR: [13, 'System error'],
}

t.test('every status has its number and the CLI\'s text', async (t) => {
  t.same(Object.keys(UbusStatus), Object.keys(CLI))
  for (const [name, [number, text]] of Object.entries(CLI)) {
    t.equal(UbusStatus[name as keyof typeof UbusStatus], number, name)
    t.equal(STATUS_TEXT[number], text, `${name} text`)
  }
  t.equal(STATUS_TEXT.length, 14)
})
