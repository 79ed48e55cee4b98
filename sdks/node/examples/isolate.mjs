// Isolate: every call of untrusted code in a fresh sandbox, with a host callback in JavaScript.
//
//   node sdks/node/examples/isolate.mjs
//
// call_host.wasm calls back into the host (`host::greet`, implemented below in JavaScript,
// granted by the policy); echo.wasm has functions that trap, spin forever and eat memory. Each
// call runs in its own sandbox with its own memory and limits, so a call that misbehaves is
// stopped and leaves nothing behind for the next one; the audit trail records what was allowed
// and denied.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const require = createRequire(import.meta.url)
const nanoproc = require('../index.js') // in an application: require('nanoproc')

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const PLUGINS = path.join(REPO, 'examples', 'plugins', 'bin')

/** The host's side: runs on the JavaScript thread when the plugin calls it. */
function greet(name) {
  if (name.toString() === 'mallory') throw new Error('mallory is not welcome')
  return Buffer.concat([Buffer.from('hello, '), name])
}

async function attempt(label, call) {
  try {
    const out = await call()
    console.log(`${label.padEnd(30)} -> ${JSON.stringify(out.toString())}`)
  } catch (e) {
    if (!(e instanceof nanoproc.NanoprocError)) throw e
    const cause = e.cause ? ` (caused by ${e.cause})` : ''
    console.log(`${label.padEnd(30)} -> ${e.constructor.name}: ${e.message}${cause}`)
  }
}

const policy = new nanoproc.Policy({ allowHostFns: ['host::greet'], maxMemory: '16MiB', timeoutMs: 1000 })
const callHost = new nanoproc.Plugin(path.join(PLUGINS, 'call_host.wasm'), {
  policy,
  hostFunctions: { 'host::greet': greet },
})
for (const name of ['alice', 'mallory', 'bob']) {
  // Async calls: the guest runs on a worker thread and waits for the callback on this one.
  await attempt(`call_host(${name})`, () => callHost.call('call_host', Buffer.from(name)))
}
console.log('audit trail of call_host:')
for (const e of callHost.auditEvents()) {
  console.log(`  ${e.decision.padEnd(7)} ${e.kind.padEnd(8)} ${e.target}: ${e.detail}`)
}
callHost.close()

const echo = new nanoproc.Plugin(path.join(PLUGINS, 'echo.wasm'), { policy: { maxMemory: '16MiB' } })
await attempt('echo(before)', () => echo.callSync('echo', Buffer.from('before')))
await attempt('trap()', () => echo.callSync('trap'))
await attempt('spin() with timeoutMs 200', () => echo.call('spin', null, { timeoutMs: 200 }))
await attempt('spin() aborted after 100 ms', () => echo.call('spin', null, { signal: AbortSignal.timeout(100) }))
await attempt('grow() within 16 MiB', () => echo.callSync('grow'))
await attempt('echo(after)', () => echo.callSync('echo', Buffer.from('after')))
console.log('audit trail of echo:')
for (const e of echo.auditEvents()) {
  console.log(`  ${e.decision.padEnd(7)} ${e.kind.padEnd(13)} ${e.target}`)
}
echo.close()

// A plugin importing a host function its policy does not grant never loads.
try {
  new nanoproc.Plugin(path.join(PLUGINS, 'ungranted_host.wasm'), {
    hostFunctions: { 'host::launch_missiles': () => Buffer.alloc(0) },
  })
} catch (e) {
  if (!(e instanceof nanoproc.DeniedError)) throw e
  console.log(`ungranted_host.wasm refused at load: ${e.message}`)
}
