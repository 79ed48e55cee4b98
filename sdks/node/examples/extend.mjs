// Extend: the host copies a file through a WebAssembly plugin.
//
//   node sdks/node/examples/extend.mjs
//
// The plugin (examples/plugins/bin/copy_file.wasm, Rust on WASI) takes
// {"from": "/in/a.txt", "to": "/out/b.txt"} and copies with plain file I/O. It sees exactly two
// directories: the input one read-only at /in and the output one writable at /out. Nothing else
// of the host exists for it, and a fuel budget bounds how much work it may do.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const require = createRequire(import.meta.url)
const nanoproc = require('../index.js') // in an application: require('nanoproc')

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const COPY_FILE = path.join(REPO, 'examples', 'plugins', 'bin', 'copy_file.wasm')

// Copying needs about 8,000 units of fuel (the plugin's start-up and its copy loop; the bytes
// themselves move in host calls, so the size of the file hardly matters). The same budgets as
// the C, Go and Python extend examples.
const FUEL = 30_000
const TOO_LITTLE_FUEL = 5_000

const request = (from, to) => Buffer.from(JSON.stringify({ from, to }))

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoproc-extend-'))
try {
  const inDir = path.join(tmp, 'in')
  const outDir = path.join(tmp, 'out')
  fs.mkdirSync(inDir)
  fs.mkdirSync(outDir)
  const data = "the host's data, copied by a sandboxed plugin\n".repeat(20)
  fs.writeFileSync(path.join(inDir, 'a.txt'), data)

  // One engine that meters fuel; pooling keeps fresh sandboxes cheap.
  const engine = new nanoproc.Engine({ fuel: true })
  const dirs = [
    { host: inDir, guest: '/in' },
    { host: outDir, guest: '/out', writable: true },
  ]
  const plugin = new nanoproc.Plugin(COPY_FILE, {
    engine,
    policy: { dirs, fuel: FUEL, maxMemory: '16MiB', timeoutMs: 5000 },
  })

  // An async call: the copy runs on a worker thread, the event loop stays free.
  const result = JSON.parse(await plugin.call('copy_file', request('/in/a.txt', '/out/b.txt')))
  const same = fs.readFileSync(path.join(outDir, 'b.txt'), 'utf8') === data
  console.log(`copied ${result.bytes} bytes with a budget of ${FUEL} fuel; identical: ${same}`)

  // The input directory is read-only: the plugin's write fails, nothing is written.
  try {
    plugin.callSync('copy_file', request('/in/a.txt', '/in/c.txt'))
  } catch (e) {
    if (!(e instanceof nanoproc.PluginError)) throw e
    console.log(`write into the read-only dir refused: ${e.message}`)
  }
  console.log(`file created in the input dir: ${fs.existsSync(path.join(inDir, 'c.txt'))}`)

  // Nothing outside the two directories exists for it.
  try {
    plugin.callSync('copy_file', request('/etc/passwd', '/out/passwd'))
  } catch (e) {
    if (!(e instanceof nanoproc.PluginError)) throw e
    console.log(`read outside the grants refused: ${e.message}`)
  }

  // Every sandbox records its two grants (fs.mount); then what the plugin did.
  const events = plugin.auditEvents()
  const mounts = events.filter((e) => e.kind === 'fs.mount').length
  console.log(`audit trail (${mounts} fs.mount events: the two grants, once per sandbox):`)
  for (const e of events) {
    if (e.kind !== 'fs.mount') console.log(`  ${e.decision.padEnd(7)} ${e.kind.padEnd(9)} ${e.target}`)
  }
  plugin.close()

  // The same copy with too little fuel is stopped, however the plugin is written.
  const stingy = new nanoproc.Plugin(COPY_FILE, { engine, policy: { dirs, fuel: TOO_LITTLE_FUEL } })
  try {
    stingy.callSync('copy_file', request('/in/a.txt', '/out/d.txt'))
    throw new Error('the copy should have run out of fuel')
  } catch (e) {
    if (!(e instanceof nanoproc.FuelLimitError)) throw e
    console.log(`with a budget of ${TOO_LITTLE_FUEL} fuel: ${e.message}`)
  }
  stingy.close()
} finally {
  fs.rmSync(tmp, { recursive: true, force: true })
}
