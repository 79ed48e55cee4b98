// Plugin: calls, isolation modes (fresh sandbox per call, reused instance), errors, limits,
// closing, the audit trail.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { nanoproc, PLUGINS, COUNTER_WAT, count, fuelEngineOnce, tempDir } from './helpers.mjs'

const require = createRequire(import.meta.url)

const { Plugin, Policy, Engine } = nanoproc
const ECHO = path.join(PLUGINS, 'echo.wasm')

function echoPlugin(t, options) {
  const p = new Plugin(ECHO, options)
  t.after(() => p.close())
  return p
}

test('echo plugin: functions and calls, Buffer and Uint8Array in, Buffer out', (t) => {
  const p = echoPlugin(t)
  assert.equal(p.name, 'echo')
  assert.deepEqual(p.functions, ['echo', 'fail', 'grow', 'log', 'noop', 'spin', 'trap'])
  assert.equal(p.isComponent, false)
  const out = p.callSync('echo', Buffer.from('hello'))
  assert.ok(Buffer.isBuffer(out))
  assert.equal(out.toString(), 'hello')
  assert.deepEqual(p.callSync('echo', new Uint8Array([1, 2, 3])), Buffer.from([1, 2, 3]))
  assert.deepEqual(p.callSync('echo', new Uint8Array([9, 1, 2, 9]).subarray(1, 3)), Buffer.from([1, 2]))
  assert.deepEqual(p.callSync('echo', new Uint16Array([0x0201])), Buffer.from([1, 2]))
  assert.deepEqual(p.callSync('echo'), Buffer.alloc(0))
  assert.deepEqual(p.callSync('noop', Buffer.from('ignored')), Buffer.alloc(0))
  assert.deepEqual(p.callSync('log', Buffer.from('a log line')), Buffer.alloc(0))
  const big = Buffer.alloc(1 << 20, 7)
  assert.deepEqual(p.callSync('echo', big), big)
})

test('wrong argument types throw TypeError', (t) => {
  const p = echoPlugin(t)
  assert.throws(() => p.callSync('echo', 'text'), { name: 'TypeError', message: /encode text with Buffer.from/ })
  assert.throws(() => p.callSync('echo', 42), TypeError)
  assert.throws(() => p.callSync(42, Buffer.alloc(0)), TypeError)
  assert.throws(() => new Plugin(42), TypeError)
  assert.throws(() => new Plugin(ECHO, { nope: 1 }), { name: 'TypeError', message: /not `nope`/ })
  assert.throws(() => new Plugin(ECHO, { config: { a: 1 } }), TypeError)
})

test('a plugin failure is a PluginError with kind, detail and exitCode', (t) => {
  const p = echoPlugin(t)
  assert.throws(
    () => p.callSync('fail'),
    (e) => {
      assert.ok(e instanceof nanoproc.PluginError)
      assert.ok(e instanceof nanoproc.NanoprocError)
      assert.ok(e instanceof Error)
      assert.equal(e.message, 'plugin error: failing on purpose')
      assert.equal(e.kind, 'plugin error')
      assert.equal(e.detail, 'failing on purpose')
      assert.equal(e.exitCode, 1)
      assert.equal(e.name, 'PluginError')
      return true
    },
  )
})

test('a trap is a TrapError and the next call is unaffected', (t) => {
  const p = echoPlugin(t)
  assert.throws(() => p.callSync('trap'), (e) => e instanceof nanoproc.TrapError && /^guest trap: .*unreachable/.test(e.message) && e.exitCode === 123)
  assert.equal(p.callSync('echo', Buffer.from('after')).toString(), 'after')
})

test('an unknown function is an AbiViolationError', (t) => {
  const p = echoPlugin(t)
  assert.throws(() => p.callSync('nope'), { name: 'AbiViolationError', message: /has no function `nope`; it exports: echo, fail/ })
})

test('config reaches the plugin', () => {
  const cv = path.join(PLUGINS, 'count_vowels.wasm')
  const a = new Plugin(cv)
  assert.deepEqual(JSON.parse(a.callSync('count_vowels', Buffer.from('Hello, World'))), { count: 3, total: 12, vowels: 'aeiouAEIOU' })
  a.close()
  const b = new Plugin(cv, { config: { vowels: 'lo' } })
  assert.deepEqual(JSON.parse(b.callSync('count_vowels', Buffer.from('Hello, World'))), { count: 5, total: 12, vowels: 'lo' })
  b.close()
})

test('fresh sandbox per call, state persists in an instance', () => {
  const p = new Plugin(COUNTER_WAT, { name: 'counter' })
  assert.deepEqual(p.functions, ['count', 'fail', 'trap'])
  assert.deepEqual([count(p), count(p), count(p)], [1, 1, 1])
  const inst = p.instance()
  assert.equal(inst.name, 'counter')
  assert.deepEqual([count(inst), count(inst), count(inst)], [1, 2, 3])
  // A plugin-reported failure keeps the instance...
  assert.throws(() => inst.callSync('fail'), nanoproc.PluginError)
  assert.equal(count(inst), 4)
  // ...a trap replaces it with a fresh one.
  assert.throws(() => inst.callSync('trap'), nanoproc.TrapError)
  assert.equal(count(inst), 1)
  // Instances are independent of each other.
  const a = p.instance()
  const b = p.instance()
  assert.deepEqual([count(a), count(a), count(b)], [1, 2, 1])
  for (const x of [inst, a, b, p]) x.close()
})

test('an instance of a real plugin recovers after a limit hit', (t) => {
  const p = echoPlugin(t)
  const inst = p.instance()
  const big = Buffer.alloc(70_000, 'x')
  assert.deepEqual(inst.callSync('echo', big), big)
  assert.throws(() => inst.callSync('spin', null, { timeoutMs: 100 }), nanoproc.TimeLimitError)
  assert.equal(inst.callSync('echo', Buffer.from('still works')).toString(), 'still works')
  inst.close()
})

test('close: idempotent, and use after close throws', () => {
  const p = new Plugin(ECHO)
  const inst = p.instance()
  p.close()
  assert.equal(p.closed, true)
  assert.throws(() => p.callSync('echo', Buffer.from('x')), { code: 'ERR_NANOPROC_CLOSED', message: 'plugin `echo` is closed; create a new one to call it again' })
  assert.throws(() => p.instance(), { code: 'ERR_NANOPROC_CLOSED' })
  p.close() // closing twice is fine
  // The instance made before stays usable until it is closed too.
  assert.equal(inst.callSync('echo', Buffer.from('y')).toString(), 'y')
  inst.close()
  inst.close()
  assert.equal(inst.closed, true)
  assert.throws(() => inst.callSync('echo', Buffer.from('y')), { code: 'ERR_NANOPROC_CLOSED', message: /instance of plugin `echo` is closed/ })
})

test('close: async calls after close reject, a call in flight finishes', async () => {
  const p = new Plugin(ECHO)
  const inflight = p.call('echo', Buffer.from('in flight'))
  p.close()
  assert.equal((await inflight).toString(), 'in flight')
  await assert.rejects(p.call('echo', Buffer.from('x')), { code: 'ERR_NANOPROC_CLOSED' })
  const q = new Plugin(ECHO)
  const inst = q.instance()
  const running = inst.call('spin', null, { timeoutMs: 200 })
  inst.close() // frees the sandbox when the call in flight ends
  await assert.rejects(running, nanoproc.TimeLimitError)
  await assert.rejects(inst.call('noop'), { code: 'ERR_NANOPROC_CLOSED' })
  q.close()
})

test('Symbol.dispose closes', { skip: typeof Symbol.dispose !== 'symbol' }, () => {
  const p = new Plugin(ECHO)
  p[Symbol.dispose]()
  assert.equal(p.closed, true)
})

test('a timeout stops a spinning call: TimeLimitError with the library wording', (t) => {
  const p = echoPlugin(t)
  assert.throws(() => p.callSync('spin', null, { timeoutMs: 100 }), (e) => {
    assert.ok(e instanceof nanoproc.TimeLimitError)
    assert.ok(e instanceof nanoproc.LimitExceededError)
    assert.equal(e.message, 'time limit: the call ran longer than 100ms; raise the limit with --timeout or limits.timeout')
    assert.equal(e.exitCode, 124)
    return true
  })
  const events = p.auditEvents()
  assert.ok(events.some((e) => e.kind === 'limit.timeout' && e.decision === 'denied'))
})

test("the policy's timeout applies to every call; a per-call one overrides it", () => {
  const p = new Plugin(ECHO, { policy: new Policy({ timeoutMs: 50 }) })
  assert.throws(() => p.callSync('spin'), { name: 'TimeLimitError', message: /50ms/ })
  assert.throws(() => p.callSync('spin', null, { timeoutMs: 120 }), { name: 'TimeLimitError', message: /120ms/ })
  p.close()
})

test('a memory limit stops a growing call: MemoryLimitError', (t) => {
  const p = echoPlugin(t)
  assert.throws(() => p.callSync('grow', null, { maxMemory: '16MiB' }), (e) => e instanceof nanoproc.MemoryLimitError && /16 MiB/.test(e.message) && e.exitCode === 121)
  const q = new Plugin(ECHO, { policy: { maxMemory: 8 << 20 } })
  assert.throws(() => q.callSync('grow'), nanoproc.MemoryLimitError)
  assert.ok(q.auditEvents().some((e) => e.kind === 'limit.memory'))
  q.close()
})

test('a fuel limit: FuelLimitError; per-call fuel overrides the policy', () => {
  const p = new Plugin(ECHO, { engine: fuelEngineOnce(), policy: { fuel: 1_000_000 } })
  assert.equal(p.callSync('echo', Buffer.from('fits')).toString(), 'fits')
  assert.throws(() => p.callSync('spin'), { name: 'FuelLimitError', message: /1000000 units of fuel/ })
  const x = Buffer.alloc(1000, 'x')
  assert.deepEqual(p.callSync('echo', x), x)
  assert.throws(() => p.callSync('echo', x, { fuel: 100 }), nanoproc.FuelLimitError)
  assert.throws(() => p.callSync('echo', x, { fuel: 100n }), nanoproc.FuelLimitError)
  p.close()
})

test('per-call fuel needs a fuel engine; bad call options are PolicyErrors', (t) => {
  const p = echoPlugin(t)
  assert.throws(() => p.callSync('noop', null, { fuel: 1000 }), { name: 'PolicyError', message: /fuel metering/ })
  assert.throws(() => p.callSync('noop', null, { timeoutMs: 0 }), { name: 'PolicyError', message: /timeoutMs must be a number of milliseconds greater than zero/ })
  assert.throws(() => p.callSync('noop', null, { maxMemory: 'lots' }), { name: 'PolicyError', message: /maxMemory/ })
  assert.throws(() => p.callSync('noop', null, { fuel: -1 }), { name: 'PolicyError', message: /fuel/ })
  assert.throws(() => p.callSync('noop', null, { fuel: '10' }), TypeError)
})

test('invalid plugin bytes are InvalidModuleError; a missing file is IoError', (t) => {
  assert.throws(() => new Plugin(Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff])), nanoproc.InvalidModuleError)
  assert.throws(() => new Plugin(Buffer.from('(module)')), { name: 'InvalidModuleError', message: /not a nanoproc plugin/ })
  const dir = tempDir(t)
  assert.throws(() => new Plugin(path.join(dir, 'nope.wasm')), (e) => e instanceof nanoproc.IoError && e.kind === 'io error' && /nope\.wasm/.test(e.message))
})

test('a plugin from bytes, with a name; from a file: URL', () => {
  const p = new Plugin(fs.readFileSync(ECHO), { name: 'mine' })
  assert.equal(p.name, 'mine')
  assert.equal(p.callSync('echo', Buffer.from('b')).toString(), 'b')
  assert.throws(() => p.callSync('fail'), nanoproc.PluginError)
  p.close()
  const u = new Plugin(new URL(`file://${ECHO}`))
  assert.equal(u.callSync('echo', Buffer.from('u')).toString(), 'u')
  u.close()
})

test('audit: false keeps no trail', () => {
  const p = new Plugin(ECHO, { audit: false })
  assert.throws(() => p.auditEvents(), { message: /audit: false/ })
  p.close()
})

test('a full pool is HostExhaustedError', () => {
  const engine = new Engine({ pooling: 1 })
  assert.equal(engine.pooling, 1)
  const p = new Plugin(ECHO, { engine })
  const inst = p.instance() // holds the only slot
  assert.throws(() => p.callSync('noop'), (e) => e instanceof nanoproc.HostExhaustedError && /pool/.test(e.message) && e.exitCode === 120 && e.kind === 'host resources exhausted')
  inst.close() // frees the slot
  assert.equal(p.callSync('echo', Buffer.from('ok')).toString(), 'ok')
  p.close()
})

test('engine options', (t) => {
  const dir = tempDir(t)
  const e = new Engine({ fuel: true, pooling: false, cache: dir })
  assert.equal(e.fuel, true)
  assert.equal(e.pooling, 0)
  assert.equal(e.cacheDir, dir)
  assert.equal(new Engine({ cache: false, pooling: 2 }).cacheDir, null)
  assert.throws(() => new Engine({ pooling: 0 }), TypeError)
  assert.throws(() => new Engine({ fuel: 1 }), TypeError)
  assert.throws(() => new Engine({ nope: true }), TypeError)
})

test('the audit trail is bounded', () => {
  const hits = nanoproc.MAX_AUDIT_EVENTS + 5
  const p = new Plugin(path.join(PLUGINS, 'call_host.wasm'), {
    policy: { allowHostFns: ['host::greet'] },
    hostFunctions: { 'host::greet': (b) => b },
  })
  const inst = p.instance()
  for (let i = 0; i < hits; i++) inst.callSync('call_host', Buffer.from('x'))
  inst.close()
  assert.equal(p.auditDropped, 5)
  assert.equal(p.auditEvents().length, nanoproc.MAX_AUDIT_EVENTS)
  assert.deepEqual(p.auditEvents(), [])
  p.close()
})

test('the fast call path refuses anything but its own handles; long names are read whole', (t) => {
  const native = require('../nanoproc.node')
  const p = echoPlugin(t)
  for (const forged of [{}, null, 42, Buffer.alloc(8), native.callSyncFast]) {
    assert.throws(() => native.callSyncFast(forged, 'noop', Buffer.alloc(0)), { name: 'TypeError', message: /not a call handle/ })
  }
  assert.throws(() => native.callSyncFast(), { name: 'TypeError', message: /takes \(handle, function, input\)/ })
  const long = 'f'.repeat(300) + 'é'
  assert.throws(() => p.callSync(long), (e) => e instanceof nanoproc.AbiViolationError && e.message.includes(`\`${long}\``))
  // Empty outputs are zero-length Buffers.
  const a = p.callSync('noop')
  assert.ok(Buffer.isBuffer(a) && a.length === 0)
})
