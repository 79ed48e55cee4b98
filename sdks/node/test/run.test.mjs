// run(): WASI programs under a policy, their Outcome, limits and denials.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { nanoproc, GUESTS, CAT_STDIN_WAT, fuelEngineOnce, tempDir } from './helpers.mjs'

const { run, Policy } = nanoproc
const G = (name) => path.join(GUESTS, name)

test('hello runs and its output is captured', () => {
  const out = run(G('hello.wasm'))
  assert.equal(out.status, 'exited')
  assert.equal(out.exitCode, 0)
  assert.equal(out.ok, true)
  assert.ok(Buffer.isBuffer(out.stdout))
  assert.equal(out.stdout.toString(), 'hello from a nano-process\n')
  assert.equal(out.stderr.length, 0)
  assert.equal(out.error, null)
  assert.equal(out.check(), out)
  assert.equal(out.usage.stdoutBytes, out.stdout.length)
  assert.ok(out.usage.peakMemoryBytes > 0)
  assert.ok(out.usage.wallTimeMs > 0)
  assert.equal(out.usage.fuelConsumed ?? null, null)
  assert.equal(out.events.at(-1).kind, 'exit')
})

test('a preview 2 component runs; bytes and file: URLs work as well as paths', () => {
  assert.equal(run(G('hello_p2.wasm')).stdout.toString(), 'hello from a nano-process\n')
  assert.ok(run(fs.readFileSync(G('hello.wasm'))).ok)
  assert.ok(run(new URL(`file://${G('hello.wasm')}`)).ok)
})

test('stdin bytes reach the guest; the default is empty', () => {
  assert.deepEqual(run(CAT_STDIN_WAT, null, { stdin: Buffer.from([0x70, 0, 0xff]) }).stdout, Buffer.from([0x70, 0, 0xff]))
  assert.equal(run(CAT_STDIN_WAT, { stdin: new Uint8Array([0x61, 0x62]) }).stdout.toString(), 'ab')
  assert.equal(run(CAT_STDIN_WAT).stdout.length, 0)
  assert.throws(() => new Policy({ stdin: 'text' }), TypeError)
})

test('stdout "null" discards; "inherit" passes it to this process', () => {
  const out = run(G('hello.wasm'), { stdout: 'null' })
  assert.equal(out.stdout.length, 0)
  assert.ok(out.usage.stdoutBytes > 0)
  assert.throws(() => new Policy({ stdout: 'file' }), TypeError)
})

test('cat reads only granted dirs', (t) => {
  const dir = tempDir(t)
  fs.writeFileSync(path.join(dir, 'a.txt'), 'granted text\n')
  const denied = run(G('cat.wasm'), null, { args: ['/data/a.txt'] })
  assert.equal(denied.exitCode, 1)
  assert.match(denied.stderr.toString(), /No such file or directory/)
  assert.equal(denied.stdout.length, 0)
  const out = run(G('cat.wasm'), { dirs: [[dir, '/data']] }, { args: ['/data/a.txt'] })
  assert.equal(out.exitCode, 0)
  assert.equal(out.stdout.toString(), 'granted text\n')
  assert.ok(out.events.some((e) => e.kind === 'fs.mount' && e.decision === 'allowed'))
})

test('a single file grant is readable, and nothing beside it', (t) => {
  const dir = tempDir(t)
  fs.writeFileSync(path.join(dir, 'app.toml'), 'x = 1\n')
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret\n')
  const policy = { files: [{ host: path.join(dir, 'app.toml'), guest: '/etc/app.toml' }] }
  assert.equal(run(G('cat.wasm'), policy, { args: ['/etc/app.toml'] }).stdout.toString(), 'x = 1\n')
  assert.equal(run(G('cat.wasm'), policy, { args: ['/etc/secret.txt'] }).exitCode, 1)
})

test('copy with a read-only and a writable dir; writes into the read-only one are refused', (t) => {
  const dir = tempDir(t)
  const src = path.join(dir, 'in')
  const dst = path.join(dir, 'out')
  fs.mkdirSync(src)
  fs.mkdirSync(dst)
  fs.writeFileSync(path.join(src, 'a.txt'), Buffer.alloc(100_000, 'x'))
  const policy = new Policy({ dirs: [{ host: src, guest: '/in' }, { host: dst, guest: '/out', writable: true }] })
  const out = run(G('copy.wasm'), policy, { args: ['/in/a.txt', '/out/b.txt'] })
  assert.equal(out.exitCode, 0, out.stderr.toString())
  assert.deepEqual(fs.readFileSync(path.join(dst, 'b.txt')), Buffer.alloc(100_000, 'x'))
  const refused = run(G('copy.wasm'), policy, { args: ['/in/a.txt', '/in/c.txt'] })
  assert.equal(refused.exitCode, 1)
  assert.match(refused.stderr.toString(), /copy: \/in\/c\.txt/)
  assert.equal(fs.existsSync(path.join(src, 'c.txt')), false)
})

for (const mode of ['ro', false, undefined]) {
  test(`writing to a read-only dir is refused (mode ${String(mode)})`, (t) => {
    const dir = tempDir(t)
    const entry = mode === undefined ? [dir, '/sb'] : [dir, '/sb', mode]
    const out = run(G('fs.wasm'), { dirs: [entry] }, { args: ['write', '/sb/new.txt', 'data'] })
    assert.equal(out.exitCode, 1)
    assert.match(out.stdout.toString().trim().split('\n').at(-1), /^error: /)
    assert.equal(fs.existsSync(path.join(dir, 'new.txt')), false)
  })
}

for (const mode of ['rw', true]) {
  test(`writing to a writable dir works (mode ${mode})`, (t) => {
    const dir = tempDir(t)
    const out = run(G('fs.wasm'), { dirs: [[dir, '/sb', mode]] }, { args: ['write', '/sb/new.txt', 'data'] })
    assert.equal(out.exitCode, 0, out.stdout.toString())
    assert.equal(fs.readFileSync(path.join(dir, 'new.txt'), 'utf8'), 'data')
  })
}

test('escaping a dir with .. is refused', (t) => {
  const dir = tempDir(t)
  const out = run(G('fs.wasm'), { dirs: [[dir, '/sb']] }, { args: ['read', '/sb/../etc/passwd'] })
  assert.equal(out.exitCode, 1)
  assert.doesNotMatch(out.stdout.toString(), /root:/)
})

test('the environment is denied by default', () => {
  process.env.NANOPROC_NODE_SECRET = 'hunter2'
  try {
    assert.equal(run(G('env.wasm')).stdout.length, 0)
    assert.equal(run(G('env.wasm'), { env: { LANG: 'C' } }).stdout.toString(), 'LANG=C\n')
    assert.equal(run(G('env.wasm'), { inheritEnv: ['NANOPROC_NODE_SECRET'] }).stdout.toString(), 'NANOPROC_NODE_SECRET=hunter2\n')
  } finally {
    delete process.env.NANOPROC_NODE_SECRET
  }
})

test("run's args replace the policy's", () => {
  const policy = new Policy({ args: ['3'] })
  assert.equal(run(G('exit.wasm'), policy).exitCode, 3)
  assert.equal(run(G('exit.wasm'), policy, { args: ['7'] }).exitCode, 7)
  assert.deepEqual(policy.describe().args, ['3'])
})

test('an output limit stops a flood: OutputLimitError in the outcome, or thrown with check', () => {
  const out = run(G('flood.wasm'), { maxOutput: '64KiB' })
  assert.equal(out.status, 'stopped')
  assert.ok(out.error instanceof nanoproc.OutputLimitError)
  assert.ok(out.error instanceof nanoproc.LimitExceededError)
  assert.equal(out.exitCode, 122)
  assert.equal(out.error.exitCode, 122)
  assert.equal(out.error.kind, 'output limit')
  assert.match(out.error.message, /^output limit: .*--max-output/)
  assert.ok(out.stdout.length <= 64 * 1024)
  assert.ok(out.denials.some((e) => e.kind === 'limit.output'))
  assert.throws(() => out.check(), nanoproc.OutputLimitError)
  assert.throws(() => run(G('flood.wasm'), { maxOutput: 65536 }, { check: true }), nanoproc.OutputLimitError)
})

test('a timeout stops a spinning program: TimeLimitError', () => {
  const out = run(G('spin.wasm'), { timeoutMs: 200 })
  assert.ok(out.error instanceof nanoproc.TimeLimitError)
  assert.equal(out.exitCode, 124)
  assert.equal(out.error.message, 'time limit: the guest ran longer than 200ms; raise the limit with --timeout or limits.timeout')
})

test('a memory limit stops a memory hog: MemoryLimitError', () => {
  const out = run(G('memhog.wasm'), { maxMemory: '32MiB' })
  assert.ok(out.error instanceof nanoproc.MemoryLimitError)
  assert.equal(out.exitCode, 121)
  assert.ok(out.usage.peakMemoryBytes <= 32 << 20)
  assert.ok(out.denials.some((e) => e.kind === 'limit.memory'))
})

test('a fuel limit with a fuel engine: FuelLimitError; the default engine for a fuel policy meters', () => {
  const out = run(G('spin.wasm'), { fuel: 100_000 }, { engine: fuelEngineOnce() })
  assert.ok(out.error instanceof nanoproc.FuelLimitError)
  assert.equal(out.usage.fuelConsumed, 100_000)
  const hello = run(G('hello.wasm'), { fuel: 10_000_000n })
  assert.ok(hello.ok)
  assert.ok(hello.usage.fuelConsumed > 0 && hello.usage.fuelConsumed < 10_000_000)
})

test('fuel needs a fuel engine', () => {
  assert.throws(() => run(G('hello.wasm'), { fuel: 1000 }, { engine: new nanoproc.Engine({ pooling: 2 }) }), { name: 'PolicyError', message: /fuel/ })
})

test('invalid module bytes: InvalidModuleError; a missing file: IoError', (t) => {
  assert.throws(
    () => run(Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), Buffer.from('garbage')])),
    (e) => e instanceof nanoproc.InvalidModuleError && e.kind === 'invalid module' && e.exitCode === 125 && e.message === `invalid module: ${e.detail}`,
  )
  assert.throws(() => run(Buffer.from('(module)')), { name: 'InvalidModuleError', message: /not a WASI command/ })
  assert.throws(() => run(path.join(tempDir(t), 'missing.wasm')), { name: 'IoError', message: /missing\.wasm/ })
})

test("the outcome's JSON is the CLI's", () => {
  const out = run(G('exit.wasm'), null, { args: ['5'] })
  const data = JSON.parse(JSON.stringify(out))
  assert.equal(data.status, 'exited')
  assert.equal(data.exit_code, 5)
  assert.equal(data.error, null)
  assert.deepEqual(Object.keys(out.events[0]).sort(), ['decision', 'detail', 'kind', 'target', 'timeMs'])
})

test("a guest's own exit status is not an error", () => {
  const out = run(G('exit.wasm'), null, { args: ['7'], check: true })
  assert.deepEqual([out.status, out.exitCode, out.ok, out.error], ['exited', 7, false, null])
})

test("a component's denied WASI interfaces are refused at load: DeniedError", () => {
  assert.throws(() => run(G('hello_p2.wasm'), { denyWasi: ['stdio'] }), { name: 'DeniedError', message: /stdio/ })
})

test('networking is denied unless granted: allowNet', async (t) => {
  const server = net.createServer((socket) => socket.end())
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const target = `127.0.0.1:${server.address().port}`
  const denied = await nanoproc.runAsync(G('net_p2.wasm'), null, { args: [target] })
  assert.equal(denied.exitCode, 1)
  assert.match(denied.stderr.toString(), /connect failed/)
  assert.ok(denied.denials.some((e) => e.kind.startsWith('net')), JSON.stringify(denied.events))
  const allowed = await nanoproc.runAsync(G('net_p2.wasm'), { allowNet: [target] }, { args: [target] })
  assert.equal(allowed.exitCode, 0, allowed.stderr.toString())
  assert.equal(allowed.stdout.toString().trim(), 'connected')
  assert.throws(() => new Policy({ allowNet: ['not a pattern'] }), { name: 'PolicyError', message: /^invalid policy: allowNet: / })
})

test('a Program loads once and runs many times, sync and async', async (t) => {
  const dir = tempDir(t)
  fs.writeFileSync(path.join(dir, 'a.txt'), 'A')
  fs.writeFileSync(path.join(dir, 'b.txt'), 'B')
  const prog = new nanoproc.Program(G('cat.wasm'), { dirs: [[dir, '/d']], args: ['/d/a.txt'] })
  assert.deepEqual([prog.name, prog.kind], ['cat.wasm', 'module'])
  const crypto = await import('node:crypto')
  assert.equal(prog.sha256, crypto.createHash('sha256').update(fs.readFileSync(G('cat.wasm'))).digest('hex'))
  assert.equal(prog.run().stdout.toString(), 'A')
  assert.equal(prog.run({ args: ['/d/b.txt'] }).stdout.toString(), 'B')
  assert.equal((await prog.runAsync()).stdout.toString(), 'A') // the override was for one run
  assert.equal(prog.run({ args: ['/d/missing'] }).exitCode, 1)
  assert.equal(new nanoproc.Program(G('hello_p2.wasm')).kind, 'component')
  const echo = new nanoproc.Program(CAT_STDIN_WAT)
  assert.deepEqual(['1', '22', ''].map((s) => echo.run({ stdin: Buffer.from(s) }).stdout.toString()), ['1', '22', ''])
  const spin = new nanoproc.Program(G('spin.wasm'), { timeoutMs: 50 })
  assert.ok(spin.run().error instanceof nanoproc.TimeLimitError)
  assert.throws(() => spin.run({ check: true }), nanoproc.TimeLimitError)
  await assert.rejects(spin.runAsync({ check: true }), nanoproc.TimeLimitError)
})

test('a Program refuses at load', () => {
  assert.throws(() => new nanoproc.Program(G('hello_p2.wasm'), { denyWasi: ['stdio'] }), { name: 'DeniedError', message: /stdio/ })
  assert.throws(() => new nanoproc.Program(Buffer.from('(module)')), nanoproc.InvalidModuleError)
  assert.throws(() => new nanoproc.Program(G('hello.wasm'), null, { nope: 1 }), TypeError)
})
