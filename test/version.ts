import t from 'tap'
import { readFileSync } from 'node:fs'
import { VERSION } from '../src/version'

t.equal(VERSION, (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version, 'the package\'s version')
t.match(VERSION, /^\d+\.\d+\.\d+/)
