// A typed usage sample: test.sh runs `tsc --strict --noEmit` on it against index.d.ts, so the
// hand-written types stay in step with the API the tests exercise. It is not executed.
import {
  Engine,
  Plugin,
  PluginInstance,
  Policy,
  Outcome,
  Program,
  run,
  runAsync,
  NanoprocError,
  TimeLimitError,
  LimitExceededError,
  HostFunctionError,
  CancelledError,
  DeniedError,
  IntegrityError,
  InternalError,
  verifyReceipt,
  MAX_AUDIT_EVENTS,
  version,
  type AuditEvent,
  type HostFunction,
  type PolicyOptions,
} from '../index.js'

const engine = new Engine({ fuel: true, pooling: 16, cache: null })
const fuelOn: boolean = engine.fuel
const slots: number = engine.pooling

const options: PolicyOptions = {
  dirs: [{ host: '/data', guest: '/data' }, ['/out', '/out', 'rw'], [new URL('file:///tmp'), '/tmp']],
  files: [['/etc/app.toml', '/etc/app.toml']],
  env: { LANG: 'C' },
  inheritEnv: ['HOME'],
  args: ['a'],
  stdin: Buffer.from('in'),
  stdout: 'capture',
  stderr: 'inherit',
  allowNet: ['127.0.0.1:8080'],
  allowHostFns: ['host::greet'],
  maxMemory: '64MiB',
  fuel: 1_000_000n,
  timeoutMs: 2000,
  maxOutput: 1 << 20,
  clocks: 'frozen',
}
const policy = new Policy(options)
const fromFile: Policy = Policy.fromToml('policy.toml', { baseDir: '.' })
const maxMemory: number = policy.describe().maxMemory

const greet: HostFunction = (name) => Buffer.concat([Buffer.from('hello, '), name])
const plugin = new Plugin('call_host.wasm', {
  policy,
  engine,
  hostFunctions: { 'host::greet': greet, 'host::text': () => 'text', 'host::none': () => undefined },
  config: { key: 'value' },
  name: 'greeter',
  audit: true,
})
const out: Buffer = plugin.callSync('call_host', Buffer.from('world'), { fuel: 1000, timeoutMs: 50, maxMemory: '1MiB' })
const fromU8: Buffer = plugin.callSync('call_host', new Uint8Array([1, 2]))
const nothing: Buffer = plugin.callSync('noop')
const inst: PluginInstance = plugin.instance()
const warm: Buffer = inst.callSync('noop', null)
const events: AuditEvent[] = plugin.auditEvents({ clear: false })
const names: string[] = plugin.functions
const decision: 'allowed' | 'denied' = events[0].decision

async function asyncUse(): Promise<number> {
  const ac = new AbortController()
  const a: Buffer = await plugin.call('call_host', Buffer.from('x'), { signal: ac.signal, fuel: 10n, timeoutMs: 5 })
  const b: Buffer = await inst.call('noop')
  const o: Outcome = await runAsync('hello.wasm', null, { args: ['x'], engine })
  try {
    await plugin.call('spin', undefined, { signal: AbortSignal.timeout(10) })
  } catch (e) {
    if (e instanceof CancelledError) return e.exitCode
    if (e instanceof TimeLimitError || e instanceof LimitExceededError) return 124
    if (e instanceof HostFunctionError) console.log(e.cause)
    if (e instanceof NanoprocError) console.log(e.kind, e.detail, e.code)
  }
  return a.length + b.length + o.exitCode
}

const outcome: Outcome = run(new Uint8Array([0, 97, 115, 109]), { maxMemory: 1 << 24 }, { stdin: Buffer.from('x'), check: false })
const status: 'exited' | 'stopped' = outcome.status
const prog = new Program('cat.wasm', { dirs: [['/d', '/d']] }, { engine })
const again: Outcome = prog.run({ args: ['/d/a.txt'], check: true })
const kind: 'module' | 'component' = prog.kind
const later: Promise<Outcome> = prog.runAsync({ stdin: new Uint8Array(1) })
const stdout: Buffer = outcome.stdout
const peak: number = outcome.usage.peakMemoryBytes
const err: NanoprocError | null = outcome.error
const denied: AuditEvent[] = outcome.denials
try {
  new Plugin('ungranted_host.wasm')
} catch (e) {
  if (e instanceof DeniedError) console.log(e.message)
}
const trusted: PolicyOptions = {
  trustKeys: ['keys/publisher.pub', new URL('file:///keys/auditor.pub')],
  requireSignature: 'all',
  pinSha256: ['sha256:' + '0'.repeat(64)],
}
const signedRun: Outcome = run('app.signed.wasm', new Policy(trusted), { receiptKey: 'keys/host.key' })
const receipt: Buffer | undefined = signedRun.receipt
try {
  if (receipt !== undefined) verifyReceipt(receipt, 'keys/host.pub')
  verifyReceipt(new Uint8Array(0), new URL('file:///keys/host.pub'))
} catch (e) {
  if (e instanceof IntegrityError) console.log(e.exitCode, e.detail)
  if (e instanceof InternalError) console.log(e.exitCode)
}
const laterRun: Promise<Outcome> = runAsync('app.signed.wasm', { requireSignature: 'none' }, { receiptKey: new URL('file:///host.key') })

plugin.close()
inst.close()

console.log(again, kind, later, fuelOn, slots, fromFile, maxMemory, out, fromU8, nothing, warm, names, decision, asyncUse, status, stdout, peak, err, denied, MAX_AUDIT_EVENTS, version, laterRun)
