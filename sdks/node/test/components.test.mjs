// Plugins written as components (`nanoproc:plugin` world) behind the same Plugin API.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { nanoproc, ROOT } from './helpers.mjs'

const { Plugin } = nanoproc
const COMPONENTS = path.join(ROOT, 'examples', 'components', 'bin')
const COUNT_VOWELS = path.join(COMPONENTS, 'count_vowels.wasm')

test('a component plugin: calls, sync and async, errors', async () => {
  const p = new Plugin(COUNT_VOWELS)
  assert.equal(p.isComponent, true)
  assert.equal(p.name, 'count_vowels')
  assert.deepEqual(p.functions, ['call_host', 'count_vowels', 'echo', 'fail', 'log'])
  assert.deepEqual(JSON.parse(p.callSync('count_vowels', Buffer.from('Hello, World'))), { count: 3, total: 12, vowels: 'aeiouAEIOU' })
  assert.deepEqual(await p.call('echo', Buffer.from([0, 0xff])), Buffer.from([0, 0xff]))
  assert.throws(() => p.callSync('fail'), { name: 'PluginError', message: /failing on purpose/ })
  await assert.rejects(p.call('nope'), { name: 'AbiViolationError', message: /has no function `nope`/ })
  p.close()
})

test('a component plugin: config, instance, memory limit', () => {
  const p = new Plugin(COUNT_VOWELS, { config: { vowels: 'lo' } })
  assert.equal(JSON.parse(p.callSync('count_vowels', Buffer.from('Hello, World'))).count, 5)
  const inst = p.instance()
  for (let i = 0; i < 3; i++) assert.equal(inst.callSync('echo', Buffer.from('again')).toString(), 'again')
  inst.close()
  assert.throws(() => p.callSync('echo', Buffer.from('x'), { maxMemory: 64 << 10 }), nanoproc.MemoryLimitError)
  p.close()
})

test('a component host function: granted (sync and async), and refused at call time without the grant', async () => {
  const calls = []
  const greet = (name) => {
    calls.push(name.toString())
    return Buffer.concat([Buffer.from('hi '), name])
  }
  const p = new Plugin(COUNT_VOWELS, { policy: { allowHostFns: ['host::greet'] }, hostFunctions: { 'host::greet': greet } })
  assert.equal(p.callSync('call_host', Buffer.from('js')).toString(), 'plugin got: hi js')
  assert.equal((await p.call('call_host', Buffer.from('async'))).toString(), 'plugin got: hi async')
  assert.deepEqual(p.auditEvents().map((e) => [e.kind, e.target, e.decision]), [
    ['host_fn', 'host::greet', 'allowed'],
    ['host_fn', 'host::greet', 'allowed'],
  ])
  p.close()
  // A component asks for host functions by name at run time: without the grant the call is
  // refused (the plugin sees the refusal as its error) and the refusal is audited.
  const q = new Plugin(COUNT_VOWELS, { hostFunctions: { 'host::greet': greet } })
  assert.throws(() => q.callSync('call_host', Buffer.from('js')), { name: 'PluginError', message: /may not call host function `host::greet`/ })
  const denied = q.auditEvents().filter((e) => e.decision === 'denied')
  assert.deepEqual(denied.map((e) => [e.kind, e.target]), [['host_fn', 'host::greet']])
  assert.match(denied[0].detail, /--allow-host-fn host::greet/)
  q.close()
  assert.deepEqual(calls, ['js', 'async'])
})

test('a component that is not a plugin is refused: InvalidModuleError', () => {
  assert.throws(() => new Plugin(path.join(COMPONENTS, 'types.wasm')), { name: 'InvalidModuleError', message: /`types` is a component but not a nanoproc plugin/ })
})

test('synchronous component calls serve JavaScript host functions (nested, instances, failures)', async () => {
  // A component's guest code runs on a fiber stack, where V8 cannot run: the SDK runs such a
  // call on a helper thread while the JavaScript thread serves its host functions.
  const grant = { allowHostFns: ['host::greet'] }
  const inner = new Plugin(COUNT_VOWELS, { policy: grant, hostFunctions: { 'host::greet': (b) => Buffer.concat([Buffer.from('inner '), b]) } })
  const outer = new Plugin(COUNT_VOWELS, { policy: grant, hostFunctions: { 'host::greet': (b) => inner.callSync('call_host', b) } })
  assert.equal(outer.callSync('call_host', Buffer.from('x')).toString(), 'plugin got: plugin got: inner x')
  const inst = outer.instance()
  assert.equal(inst.callSync('call_host', Buffer.from('i')).toString(), 'plugin got: plugin got: inner i')
  inst.close()
  // A component sees a host function's failure as its own error.
  const nope = new Error('nope')
  const boom = new Plugin(COUNT_VOWELS, { policy: grant, hostFunctions: { 'host::greet': () => { throw nope } } })
  assert.throws(() => boom.callSync('call_host', Buffer.from('x')), (e) => e instanceof nanoproc.PluginError && e.message === 'plugin error: Error: nope' && e.cause === nope)
  await assert.rejects(boom.call('call_host', Buffer.from('x')), { name: 'PluginError', message: 'plugin error: Error: nope' })
  // A timeout still stops a call waiting in a slow host function (when the function returns).
  const slow = new Plugin(COUNT_VOWELS, { policy: grant, hostFunctions: { 'host::greet': (b) => { const end = Date.now() + 100; while (Date.now() < end); return b } } })
  assert.throws(() => slow.callSync('call_host', Buffer.from('x'), { timeoutMs: 20 }), nanoproc.TimeLimitError)
  for (const p of [inner, outer, boom, slow]) p.close()
})
