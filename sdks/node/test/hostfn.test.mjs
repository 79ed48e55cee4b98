// Host functions in JavaScript: grants, denials, failures, results, sync and async calls.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { nanoproc, PLUGINS } from './helpers.mjs'

const { Plugin, Policy } = nanoproc
const CALL_HOST = path.join(PLUGINS, 'call_host.wasm')
const GRANT = new Policy({ allowHostFns: ['host::greet'] })
const greet = (name) => Buffer.concat([Buffer.from('hello, '), name])

function withHost(t, fn, policy = GRANT) {
  const p = new Plugin(CALL_HOST, { policy, hostFunctions: { 'host::greet': fn } })
  t.after(() => p.close())
  return p
}

test('a granted host function is called, from sync and async calls; the audit trail', async (t) => {
  const p = withHost(t, greet)
  assert.equal(p.callSync('call_host', Buffer.from('world')).toString(), 'plugin got: hello, world')
  assert.deepEqual(
    p.auditEvents().map((e) => [e.kind, e.target, e.decision, e.detail]),
    [['host_fn', 'host::greet', 'allowed', 'granted; returned']],
  )
  assert.deepEqual(p.auditEvents(), [])
  assert.equal((await p.call('call_host', Buffer.from('async'))).toString(), 'plugin got: hello, async')
  assert.equal(p.auditEvents({ clear: false }).length, 1)
  const [event] = p.auditEvents()
  assert.ok(event.timeMs > 1_600_000_000_000)
  const inst = p.instance()
  assert.equal(inst.callSync('call_host', Buffer.from('i')).toString(), 'plugin got: hello, i')
  assert.equal((await inst.call('call_host', Buffer.from('ia'))).toString(), 'plugin got: hello, ia')
  inst.close()
})

test('the host function gets a Buffer; a Map of host functions works too', (t) => {
  let seen
  const p = new Plugin(CALL_HOST, {
    policy: GRANT,
    hostFunctions: new Map([['host::greet', (b) => { seen = b; return b }]]),
  })
  t.after(() => p.close())
  p.callSync('call_host', Buffer.from('x'))
  assert.ok(Buffer.isBuffer(seen))
  assert.equal(seen.toString(), 'x')
})

test('a namespace wildcard grant', (t) => {
  const p = withHost(t, greet, { allowHostFns: ['host::*'] })
  assert.equal(p.callSync('call_host', Buffer.from('x')).toString(), 'plugin got: hello, x')
})

test('an ungranted host function is denied at load: DeniedError', () => {
  assert.throws(
    () => new Plugin(CALL_HOST, { hostFunctions: { 'host::greet': greet } }),
    (e) => {
      assert.ok(e instanceof nanoproc.DeniedError)
      assert.equal(e.kind, 'denied')
      assert.equal(e.exitCode, 125)
      assert.match(e.message, /imports host function `host::greet`, which its policy does not grant/)
      assert.match(e.message, /host_functions = \["host::greet"\]/)
      return true
    },
  )
  assert.throws(
    () => new Plugin(CALL_HOST, { policy: { allowHostFns: ['host::other'] }, hostFunctions: { 'host::greet': greet } }),
    { name: 'DeniedError', message: /does not grant/ },
  )
  // Granted but not provided by this host.
  assert.throws(() => new Plugin(CALL_HOST, { policy: GRANT }), { name: 'DeniedError', message: /which this host does not provide/ })
  // ungranted_host.wasm imports host::launch_missiles.
  assert.throws(
    () => new Plugin(path.join(PLUGINS, 'ungranted_host.wasm'), { hostFunctions: { 'host::launch_missiles': () => Buffer.alloc(0) } }),
    nanoproc.DeniedError,
  )
})

test('a JavaScript exception becomes a HostFunctionError with the exception as cause (sync)', (t) => {
  const boom = new RangeError('no such user')
  const p = withHost(t, () => {
    throw boom
  })
  assert.throws(
    () => p.callSync('call_host', Buffer.from('x')),
    (e) => {
      assert.ok(e instanceof nanoproc.HostFunctionError)
      assert.equal(e.message, 'host function error: `host::greet`: RangeError: no such user')
      assert.equal(e.exitCode, 123)
      assert.equal(e.cause, boom)
      return true
    },
  )
  assert.deepEqual(p.auditEvents().map((e) => [e.kind, e.detail]), [['host_fn', 'granted; failed']])
  // The plugin keeps working.
  assert.throws(() => p.callSync('call_host', Buffer.from('y')), nanoproc.HostFunctionError)
})

test('a JavaScript exception in a host function fails an async call too', async (t) => {
  const p = withHost(t, () => {
    throw new TypeError('async boom')
  })
  await assert.rejects(p.call('call_host', Buffer.from('x')), (e) => {
    assert.ok(e instanceof nanoproc.HostFunctionError)
    assert.match(e.message, /TypeError: async boom/)
    assert.ok(e.cause instanceof TypeError)
    return true
  })
  // Thrown non-Errors are described too.
  const q = withHost(t, () => {
    throw 'just a string' // eslint-disable-line no-throw-literal
  })
  await assert.rejects(q.call('call_host', Buffer.from('x')), { name: 'HostFunctionError', message: /just a string/ })
})

test('host function results: Buffer, Uint8Array, other views, string, nothing', async (t) => {
  const cases = [
    [Buffer.from('b'), 'b'],
    [new Uint8Array([0x75, 0x38]), 'u8'],
    [new DataView(new Uint8Array([0x64, 0x76]).buffer), 'dv'],
    [new Uint8Array([0x61, 0x62]).buffer, 'ab'],
    ['text é', 'text é'],
    [undefined, ''],
    [null, ''],
  ]
  for (const [result, expected] of cases) {
    const p = withHost(t, () => result)
    assert.equal(p.callSync('call_host', Buffer.from('x')).toString(), `plugin got: ${expected}`)
    assert.equal((await p.call('call_host', Buffer.from('x'))).toString(), `plugin got: ${expected}`)
  }
})

test('a host function returning the wrong type fails the call', async (t) => {
  const p = withHost(t, () => 42)
  assert.throws(() => p.callSync('call_host', Buffer.from('x')), { name: 'HostFunctionError', message: /returned a number; host functions return a Buffer or Uint8Array/ })
  const q = withHost(t, async () => Buffer.from('late'))
  await assert.rejects(q.call('call_host', Buffer.from('x')), { name: 'HostFunctionError', message: /returned a Promise/ })
})

test('bad host function arguments', () => {
  assert.throws(() => new Plugin(CALL_HOST, { policy: GRANT, hostFunctions: { greet } }), { name: 'TypeError', message: /namespace::name/ })
  assert.throws(() => new Plugin(CALL_HOST, { policy: GRANT, hostFunctions: { 'host::greet': 'not a function' } }), { name: 'TypeError', message: /must be a function/ })
})

test('a host function may call another plugin, sync and async', async (t) => {
  const echo = new Plugin(path.join(PLUGINS, 'echo.wasm'))
  t.after(() => echo.close())
  const p = withHost(t, (name) => echo.callSync('echo', Buffer.concat([Buffer.from('echoed '), name])))
  assert.equal(p.callSync('call_host', Buffer.from('x')).toString(), 'plugin got: echoed x')
  assert.equal((await p.call('call_host', Buffer.from('y'))).toString(), 'plugin got: echoed y')
})

test('re-entering an instance from its own host function is refused, not a deadlock', (t) => {
  let inst
  const p = withHost(t, () => inst.callSync('call_host', Buffer.from('inner')))
  inst = p.instance()
  assert.throws(() => inst.callSync('call_host', Buffer.from('outer')), (e) => {
    assert.ok(e instanceof nanoproc.HostFunctionError)
    assert.match(e.message, /Error: an instance of plugin `call_host` is busy in another call/)
    assert.equal(e.cause.code, 'ERR_NANOPROC_BUSY')
    return true
  })
  inst.close()
})

test('callSync on an instance busy with an async call throws instead of deadlocking', async (t) => {
  // The async call holds the instance on a worker thread while its host function runs here.
  let inst
  let seen
  const p = withHost(t, (b) => {
    try {
      inst.callSync('call_host', b)
    } catch (e) {
      seen = e
    }
    return b
  })
  inst = p.instance()
  assert.equal((await inst.call('call_host', Buffer.from('x'))).toString(), 'plugin got: x')
  assert.equal(seen?.code, 'ERR_NANOPROC_BUSY')
  assert.match(seen.message, /an instance of plugin `call_host` is busy in another call/)
  // Free again once the async call is over.
  assert.equal(inst.callSync('call_host', Buffer.from('y')).toString(), 'plugin got: y')
  inst.close()
})

test('many async calls with host functions at once complete', async (t) => {
  let calls = 0
  const p = withHost(t, (b) => {
    calls++
    return b
  })
  const outs = await Promise.all(Array.from({ length: 64 }, (_, i) => p.call('call_host', Buffer.from(`n${i}`))))
  assert.deepEqual(outs.map(String), Array.from({ length: 64 }, (_, i) => `plugin got: n${i}`))
  assert.equal(calls, 64)
})

test('an async call waiting on a host function is cancelled by its AbortSignal', async (t) => {
  // The host function's answer is held back: the call waits on the worker thread for the
  // JavaScript thread, which is free; the abort stops the wait.
  const ac = new AbortController()
  const p = withHost(t, (b) => {
    ac.abort(new Error('user gave up'))
    return b
  })
  await assert.rejects(p.call('call_host', Buffer.from('x'), { signal: ac.signal }), (e) => {
    assert.ok(e instanceof nanoproc.CancelledError)
    assert.equal(e.name, 'AbortError')
    assert.equal(e.cause.message, 'user gave up')
    return true
  })
})

test('closing an instance from inside its own host function: the call finishes, later ones throw', (t) => {
  let inst
  const p = withHost(t, (b) => {
    inst.close()
    return b
  })
  inst = p.instance()
  assert.equal(inst.callSync('call_host', Buffer.from('last')).toString(), 'plugin got: last')
  assert.equal(inst.closed, true)
  assert.throws(() => inst.callSync('call_host', Buffer.from('x')), { code: 'ERR_NANOPROC_CLOSED' })
})

test('the addon works in a worker thread, host functions included', async () => {
  const { Worker } = await import('node:worker_threads')
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const nanoproc = require(workerData.index)
    const p = new nanoproc.Plugin(workerData.wasm, {
      policy: { allowHostFns: ['host::greet'] },
      hostFunctions: { 'host::greet': (b) => Buffer.concat([Buffer.from('worker '), b]) },
    })
    const sync = p.callSync('call_host', Buffer.from('sync')).toString()
    let denied
    try {
      new nanoproc.Plugin(workerData.wasm, { hostFunctions: { 'host::greet': (b) => b } })
    } catch (e) {
      denied = e instanceof nanoproc.DeniedError
    }
    p.call('call_host', Buffer.from('async')).then(
      (out) => parentPort.postMessage([sync, out.toString(), denied]),
      (e) => parentPort.postMessage(['error', String(e)]),
    )
  `
  const index = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'index.js')
  const worker = new Worker(code, { eval: true, workerData: { index, wasm: CALL_HOST } })
  const message = await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  assert.deepEqual(message, ['plugin got: worker sync', 'plugin got: worker async', true])
  await worker.terminate()
})
