// Promise-returning calls: the guest runs on a worker thread, so the event loop stays free;
// AbortSignal cancels the guest; many calls at once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { nanoproc, PLUGINS, COUNTER_WAT, GUESTS } from './helpers.mjs'

const { Plugin } = nanoproc
const ECHO = path.join(PLUGINS, 'echo.wasm')

function echoPlugin(t) {
  const p = new Plugin(ECHO)
  t.after(() => p.close())
  return p
}

test('call resolves to a Buffer; failures reject with their error class', async (t) => {
  const p = echoPlugin(t)
  const out = await p.call('echo', Buffer.from('hi'))
  assert.ok(Buffer.isBuffer(out))
  assert.equal(out.toString(), 'hi')
  assert.deepEqual(await p.call('noop'), Buffer.alloc(0))
  await assert.rejects(p.call('fail'), { name: 'PluginError', message: 'plugin error: failing on purpose' })
  await assert.rejects(p.call('trap'), nanoproc.TrapError)
  await assert.rejects(p.call('nope'), nanoproc.AbiViolationError)
  await assert.rejects(p.call('grow', null, { maxMemory: '16MiB' }), nanoproc.MemoryLimitError)
  await assert.rejects(p.call('spin', null, { timeoutMs: 50 }), nanoproc.TimeLimitError)
  // Argument errors reject too (an async function never throws synchronously).
  await assert.rejects(p.call('echo', 'text'), TypeError)
  await assert.rejects(p.call('noop', null, { timeoutMs: -1 }), nanoproc.PolicyError)
})

test('the input is copied: changing it after the call starts does not change the call', async (t) => {
  const p = echoPlugin(t)
  const input = Buffer.from('original')
  const pending = p.call('echo', input)
  input.fill(0)
  assert.equal((await pending).toString(), 'original')
})

test('the event loop stays free while a guest spins on a worker thread', async (t) => {
  const p = echoPlugin(t)
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  try {
    await assert.rejects(p.call('spin', null, { timeoutMs: 500 }), nanoproc.TimeLimitError)
  } finally {
    clearInterval(timer)
  }
  // Had the guest run on the event loop's thread, no tick could have happened meanwhile.
  assert.ok(ticks >= 10, `only ${ticks} ticks`)
})

test('AbortSignal cancels a spinning guest: CancelledError, AbortError-compatible', async (t) => {
  const p = echoPlugin(t)
  const ac = new AbortController()
  const pending = p.call('spin', null, { signal: ac.signal, timeoutMs: 30_000 })
  setTimeout(() => ac.abort(), 50)
  await assert.rejects(pending, (e) => {
    assert.ok(e instanceof nanoproc.CancelledError)
    assert.ok(e instanceof nanoproc.NanoprocError)
    assert.equal(e.name, 'AbortError')
    assert.equal(e.code, 'ABORT_ERR')
    assert.equal(e.message, 'cancelled: the call was cancelled by the host')
    assert.equal(e.exitCode, 124)
    assert.equal(e.cause.name, 'AbortError') // the signal's reason
    return true
  })
  // The plugin keeps working; the signal cancels only its own calls.
  assert.equal((await p.call('echo', Buffer.from('x'))).toString(), 'x')
})

test('an already aborted signal rejects at once; other calls are unaffected', async (t) => {
  const p = echoPlugin(t)
  const other = p.call('echo', Buffer.from('other'))
  await assert.rejects(p.call('spin', null, { signal: AbortSignal.abort('no') }), (e) => e instanceof nanoproc.CancelledError && e.cause === 'no')
  assert.equal((await other).toString(), 'other')
  await assert.rejects(p.call('noop', null, { signal: {} }), TypeError)
})

test('AbortSignal.timeout and an instance call', async (t) => {
  const p = echoPlugin(t)
  const inst = p.instance()
  await assert.rejects(inst.call('spin', null, { signal: AbortSignal.timeout(50) }), nanoproc.CancelledError)
  assert.equal((await inst.call('echo', Buffer.from('after'))).toString(), 'after')
  inst.close()
})

test('plugin.cancel() cancels every call in flight; later calls run normally', async (t) => {
  const p = echoPlugin(t)
  const calls = [p.call('spin', null, { timeoutMs: 60_000 }), p.call('spin', null, { timeoutMs: 60_000 })]
  // cancel() stops the calls running when it is called; repeat it until both have started.
  const timer = setInterval(() => p.cancel(), 10)
  const results = await Promise.allSettled(calls)
  clearInterval(timer)
  for (const r of results) {
    assert.equal(r.status, 'rejected')
    assert.ok(r.reason instanceof nanoproc.CancelledError, String(r.reason))
  }
  assert.equal(p.callSync('echo', Buffer.from('z')).toString(), 'z')
})

test('many async calls at once (more than the libuv pool has threads)', async (t) => {
  const p = echoPlugin(t)
  const n = 200
  const outs = await Promise.all(Array.from({ length: n }, (_, i) => p.call('echo', Buffer.from(`call ${i}`))))
  assert.deepEqual(outs.map(String), Array.from({ length: n }, (_, i) => `call ${i}`))
  // Mixed with failures and limits, each settles with its own result.
  const mixed = await Promise.allSettled([p.call('trap'), p.call('echo', Buffer.from('ok')), p.call('spin', null, { timeoutMs: 30 }), p.call('fail')])
  assert.deepEqual(
    mixed.map((r) => (r.status === 'fulfilled' ? r.value.toString() : r.reason.name)),
    ['TrapError', 'ok', 'TimeLimitError', 'PluginError'],
  )
})

test('async calls on one instance run one after the other, state kept', async () => {
  const p = new Plugin(COUNTER_WAT)
  const inst = p.instance()
  const outs = await Promise.all(Array.from({ length: 50 }, () => inst.call('count')))
  assert.deepEqual(outs.map((b) => b.readInt32LE(0)).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1))
  assert.equal(inst.callSync('count').readInt32LE(0), 51)
  inst.close()
  p.close()
})

test('runAsync runs a program on a worker thread while the event loop ticks', async () => {
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  let out
  try {
    out = await nanoproc.runAsync(path.join(GUESTS, 'spin.wasm'), { timeoutMs: 300 })
  } finally {
    clearInterval(timer)
  }
  assert.ok(out.error instanceof nanoproc.TimeLimitError)
  assert.ok(ticks >= 10, `only ${ticks} ticks`)
  const hello = await nanoproc.runAsync(path.join(GUESTS, 'hello.wasm'))
  assert.equal(hello.stdout.toString(), 'hello from a nano-process\n')
  await assert.rejects(nanoproc.runAsync(Buffer.from('(module)')), nanoproc.InvalidModuleError)
  await assert.rejects(nanoproc.runAsync(path.join(GUESTS, 'spin.wasm'), { timeoutMs: 20 }, { check: true }), nanoproc.TimeLimitError)
})

test('terminating a worker while its async calls wait on host functions leaves the thread pool working', async () => {
  const { Worker } = await import('node:worker_threads')
  const index = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'index.js')
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const n = require(workerData.index)
    const slow = (b) => { const end = Date.now() + 200; while (Date.now() < end); return b }
    const p = new n.Plugin(workerData.wasm, { policy: { allowHostFns: ['host::greet'] }, hostFunctions: { 'host::greet': slow } })
    for (let i = 0; i < 4; i++) p.call('call_host', Buffer.from('x')).then(() => {}, () => {})
    parentPort.postMessage('started')
  `
  for (let round = 0; round < 2; round++) {
    const w = new Worker(code, { eval: true, workerData: { index, wasm: path.join(PLUGINS, 'call_host.wasm') } })
    await new Promise((resolve) => w.once('message', resolve))
    await new Promise((resolve) => setTimeout(resolve, 30))
    await w.terminate()
  }
  // Every libuv pool thread is free again: calls on this thread complete.
  const p = new Plugin(ECHO)
  const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => p.call('echo', Buffer.from(`after ${i}`))))
  assert.deepEqual(outs.map(String), Array.from({ length: 8 }, (_, i) => `after ${i}`))
  p.close()
})
