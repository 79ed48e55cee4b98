// Policy: options, validation (PolicyError / TypeError), TOML, reuse.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { nanoproc, GUESTS, PLUGINS, tempDir } from './helpers.mjs'

const { Policy, run, Plugin } = nanoproc

test('the default policy denies everything and captures output', () => {
  const d = new Policy().describe()
  assert.deepEqual([d.dirs, d.files, d.env, d.inheritEnv, d.args, d.allowHostFns], [[], [], [], [], [], []])
  assert.equal(d.maxMemory, 1 << 30)
  assert.equal(d.fuel, null)
  assert.equal(d.timeoutMs ?? null, null)
  assert.equal(d.stdout, 'capture')
})

test('values are converted', (t) => {
  const dir = tempDir(t)
  const p = new Policy({
    dirs: [[dir, '/a'], [dir, '/b', 'rw'], { host: dir, guest: '/c', writable: true }],
    env: { LANG: 'C' },
    inheritEnv: ['HOME'],
    args: ['x'],
    allowHostFns: ['host::greet'],
    maxMemory: '64MiB',
    fuel: 10n ** 12n,
    timeoutMs: 1500,
    maxOutput: 1024,
    diskQuota: '1MiB',
    maxFds: 16,
    clocks: 'frozen',
    randomSeed: 42,
  })
  const d = p.describe()
  const real = fs.realpathSync(dir)
  assert.deepEqual(d.dirs, [
    { host: real, guest: '/a', writable: false },
    { host: real, guest: '/b', writable: true },
    { host: real, guest: '/c', writable: true },
  ])
  assert.deepEqual(d.env, [{ name: 'LANG', value: 'C' }])
  assert.deepEqual(d.inheritEnv, ['HOME'])
  assert.deepEqual(d.allowHostFns, ['host::greet'])
  assert.equal(d.maxMemory, 64 << 20)
  assert.equal(d.fuel, 10n ** 12n)
  assert.equal(d.timeoutMs, 1500)
  assert.equal(d.maxOutput, 1024)
  assert.equal(d.diskQuota, 1 << 20)
})

const invalid = [
  [{ maxMemory: 'lots' }, /^invalid policy: maxMemory: /],
  [{ maxMemory: -1 }, /maxMemory: -1 is not a whole number of bytes/],
  [{ maxMemory: 1.5 }, /maxMemory: 1.5 is not a whole number of bytes/],
  [{ timeoutMs: 0 }, /timeoutMs must be a number of milliseconds greater than zero/],
  [{ timeoutMs: Number.NaN }, /timeoutMs must be/],
  [{ fuel: -5 }, /fuel: `-5` is not a whole number/],
  [{ maxFds: 2 ** 40 }, /maxFds: .* is over/],
  [{ clocks: 'slow' }, /clocks: `slow` is not one of "host", "frozen"/],
  [{ denyWasi: ['telepathy'] }, /denyWasi: unknown WASI interface group `telepathy`; known: /],
  [{ allowHttp: ['not a url'] }, /allowHttp: /],
  [{ dirs: [['/definitely/not/here', '/x']] }, /definitely\/not\/here/],
  [{ timeout: 5 }, /unknown policy option `timeout`; did you mean `timeoutMs`\?/],
  [{ maxMemroy: 5 }, /did you mean `maxMemory`\?/],
]
for (const [options, message] of invalid) {
  test(`invalid: ${JSON.stringify(options)} is a PolicyError`, () => {
    assert.throws(() => new Policy(options), (e) => {
      assert.ok(e instanceof nanoproc.PolicyError, `${e}`)
      assert.equal(e.kind, 'invalid policy')
      assert.equal(e.exitCode, 125)
      assert.match(e.message, message)
      return true
    })
  })
}

const wrongTypes = [{ dirs: 'x' }, { dirs: [42] }, { env: { A: 1 } }, { env: ['A=1'] }, { args: 'x' }, { maxMemory: {} }, { fuel: '5' }, { timeoutMs: '5s' }, { stdin: 5 }, { allowNet: 'x' }]
for (const options of wrongTypes) {
  test(`wrong type: ${JSON.stringify(options)} is a TypeError`, () => {
    assert.throws(() => new Policy(options), TypeError)
  })
}

test('fromToml: text and file, unknown keys named', (t) => {
  const dir = tempDir(t)
  fs.mkdirSync(path.join(dir, 'data'))
  fs.writeFileSync(path.join(dir, 'data', 'a.txt'), 'from toml\n')
  const text = 'dirs = [{ host = "data", guest = "/data" }]\n[limits]\nmax_memory = "32MiB"\ntimeout = "2s"\n'
  const file = path.join(dir, 'policy.toml')
  fs.writeFileSync(file, text)
  for (const p of [Policy.fromToml(file), Policy.fromToml(text, { baseDir: dir })]) {
    const d = p.describe()
    assert.equal(d.maxMemory, 32 << 20)
    assert.equal(d.timeoutMs, 2000)
    assert.equal(run(path.join(GUESTS, 'cat.wasm'), p, { args: ['/data/a.txt'] }).stdout.toString(), 'from toml\n')
  }
  assert.throws(() => Policy.fromToml('[limits]\nmax_memroy = "1MiB"\n'), { name: 'PolicyError', message: /max_memory/ })
  assert.throws(() => Policy.fromToml(path.join(dir, 'missing.toml')), nanoproc.IoError)
})

test('a policy is reusable across runs and plugins', () => {
  const p = new Policy({ maxMemory: '16MiB', allowHostFns: ['host::greet'] })
  assert.ok(run(path.join(GUESTS, 'hello.wasm'), p).ok)
  assert.ok(run(path.join(GUESTS, 'hello.wasm'), p).ok)
  const plugin = new Plugin(path.join(PLUGINS, 'call_host.wasm'), { policy: p, hostFunctions: { 'host::greet': (b) => b } })
  assert.equal(plugin.callSync('call_host', Buffer.from('x')).toString(), 'plugin got: x')
  plugin.close()
  assert.ok(new Policy(p) instanceof Policy)
})
