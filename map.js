// tap coverage map: each test file covers exactly the source module it is named after
// (test/x/y.ts -> src/x/y.ts), so coverage cannot leak in from other tests.
// Tests under test/integration/ drive the built daemon and cover no single module; those under
// test/openwrt/ check the package's shell scripts and build script, which are not TypeScript.
'use strict'
module.exports = (testFile) => {
  const rel = testFile.replace(/\\/g, '/').replace(/^test\//, '')
  if (rel.startsWith('integration/') || rel.startsWith('fixtures/') || rel.startsWith('openwrt/')) return null
  return `src/${rel}`
}
