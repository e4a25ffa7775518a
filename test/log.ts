import t from 'tap'
import { createLogger, type Level } from '../src/log'

t.test('writes level-prefixed lines at or above the minimum', async (t) => {
  const lines: string[] = []
  const log = createLogger((l) => { lines.push(l) }, 'warn')
  log.debug('d'); log.info('i'); log.warn('w'); log.error('e')
  t.same(lines, ['warn: w', 'error: e'])
})

t.test('info is the default minimum', async (t) => {
  const lines: string[] = []
  const log = createLogger((l) => { lines.push(l) })
  log.debug('d'); log.info('i')
  t.same(lines, ['info: i'])
})

t.test('a minimum given as a function is read at each line', async (t) => {
  const lines: string[] = []
  let level: Level = 'error'
  const log = createLogger((l) => { lines.push(l) }, () => level)
  log.info('hidden')
  level = 'debug'
  log.debug('shown')
  t.same(lines, ['debug: shown'])
})
