// Types of the nanoproc package (hand-written; checked by `tsc --strict --noEmit` against
// test/types.ts in test.sh).

/// <reference types="node" />

/** Bytes in: a Buffer or any Uint8Array (other typed arrays and ArrayBuffers are viewed as bytes). */
export type Bytes = Uint8Array | ArrayBufferView | ArrayBuffer

/** A size in bytes: a whole number, a bigint, or a string with a unit such as `"64MiB"`. */
export type Size = number | bigint | string

/** Where a standard output stream goes: collected in the Outcome, this process's own, or nowhere. */
export type OutputMode = 'capture' | 'inherit' | 'null'

/** A host directory granted to the guest; read-only unless `writable`. */
export interface DirGrant {
  /** The directory on the host. */
  host: string | URL
  /** Where the guest sees it, e.g. `/data`. */
  guest: string
  /** Whether the guest may create, modify and delete entries (default false). */
  writable?: boolean
}

/** What a sandbox may do; everything not given is denied. */
export interface PolicyOptions {
  /** Directories: `{host, guest, writable?}` or `[host, guest, "ro" | "rw"]`; read-only by default. */
  dirs?: Array<DirGrant | [string | URL, string] | [string | URL, string, 'ro' | 'rw' | boolean]>
  /** Single read-only files: `{host, guest}` or `[host, guest]`. */
  files?: Array<{ host: string | URL; guest: string } | [string | URL, string]>
  /** Environment variables to set. */
  env?: Record<string, string>
  /** Host environment variables to pass through. */
  inheritEnv?: string[]
  /** Program arguments after argv[0] (for `run`). */
  args?: string[]
  /** Standard input for `run`: the bytes, `"inherit"` (this process's), or `"null"` (default: end of file). */
  stdin?: Bytes | 'inherit' | 'null'
  /** Where stdout goes (default `"capture"`). */
  stdout?: OutputMode
  /** Where stderr goes (default `"capture"`). */
  stderr?: OutputMode
  /** Outbound connections, `"HOST:PORT"` patterns (`"127.0.0.1:8080"`, `"*:443"`). */
  allowNet?: string[]
  /** Whether name lookups are allowed. */
  allowDns?: boolean
  /** Origins for outgoing `wasi:http` requests. */
  allowHttp?: string[]
  /** Host functions the plugin may import: `"ns::name"` or `"ns::*"`. */
  allowHostFns?: string[]
  /** Whether symlinks inside granted directories are followed. */
  allowSymlinks?: boolean
  /** WASI interface groups a component may not import (`"sockets"`, `"http"`, ...). */
  denyWasi?: string[]
  /** Memory budget of all memories and tables together (default 1 GiB). */
  maxMemory?: Size
  /** Instruction budget (needs an engine with fuel metering; the default engine for such a policy has it). */
  fuel?: number | bigint
  /** Wall-clock limit in milliseconds. */
  timeoutMs?: number
  /** Cap on each output stream. */
  maxOutput?: Size
  /** Bytes the guest may add to files in writable dirs. */
  diskQuota?: Size
  /** Most descriptors the guest may hold open. */
  maxFds?: number | bigint
  /** Timeout of outgoing HTTP requests in milliseconds. */
  httpTimeoutMs?: number
  /** Cap on an HTTP response body. */
  maxHttpResponse?: Size
  /** The clocks the guest sees. */
  clocks?: 'host' | 'frozen'
  /** Seed of the guest's random numbers (deterministic runs). */
  randomSeed?: number | bigint
  /** Ed25519 public key files (PEM, from `nanoproc keygen`) whose signatures count; trusting a
   * key requires a signature by one of them (`requireSignature: "any"`) unless set otherwise. */
  trustKeys?: Array<string | URL>
  /** How many trusted keys must have signed the binary (a requirement needs `trustKeys`). */
  requireSignature?: 'any' | 'all' | 'none'
  /** SHA-256 digests (64 hex digits, `sha256:` prefix allowed) of the binaries allowed to run. */
  pinSha256?: string[]
}

/** What a policy grants and limits, as plain values. */
export interface PolicyDescription {
  dirs: Array<{ host: string; guest: string; writable: boolean }>
  files: Array<{ host: string; guest: string }>
  env: Array<{ name: string; value: string }>
  inheritEnv: string[]
  args: string[]
  allowHostFns: string[]
  maxMemory: number
  fuel: bigint | null
  timeoutMs?: number | null
  maxOutput?: number | null
  diskQuota?: number | null
  stdout: OutputMode
  stderr: OutputMode
}

/** A validated policy. Invalid values throw `PolicyError` in the constructor. */
export class Policy {
  constructor(options?: PolicyOptions | Policy)
  /** A policy from TOML: a path to a policy file, or the TOML text (a string with a newline or `=`). */
  static fromToml(source: string | URL, options?: { baseDir?: string | URL }): Policy
  /** What the policy grants and limits. */
  describe(): PolicyDescription
}

/** Engine options. */
export interface EngineOptions {
  /** Meter instructions, so policies and calls may set `fuel` (costs some speed). Default false. */
  fuel?: boolean
  /** Preallocate sandbox slots (true: 1,000; a number: that many; false: allocate on demand). Default true. */
  pooling?: boolean | number
  /** The compile cache: true (default location), false/null (off), or a directory. */
  cache?: boolean | string | URL | null
}

/** A configured WebAssembly engine; share one per process. */
export class Engine {
  constructor(options?: EngineOptions)
  readonly fuel: boolean
  readonly pooling: number
  readonly cacheDir: string | null
}

/** A host function: gets the plugin's input, returns the output (a string is sent as UTF-8,
 * `undefined` as empty). A thrown exception fails the plugin's call with HostFunctionError. */
export type HostFunction = (input: Buffer) => Uint8Array | ArrayBufferView | ArrayBuffer | string | undefined | null | void

/** Plugin options. */
export interface PluginOptions {
  /** What its sandboxes may do (default: nothing). */
  policy?: Policy | PolicyOptions
  /** Host functions by `"namespace::name"`; each must also be granted by `policy.allowHostFns`. */
  hostFunctions?: Record<string, HostFunction> | Map<string, HostFunction>
  /** Strings the plugin reads with `config_get`. */
  config?: Record<string, string>
  /** Its name in errors (default: the file name). */
  name?: string
  /** The engine (default: the process-wide one, with fuel metering if the policy sets fuel). */
  engine?: Engine
  /** Keep the audit trail for `auditEvents()` (default true). */
  audit?: boolean
}

/** Per-call limits, overriding the policy's. */
export interface CallOptions {
  fuel?: number | bigint
  timeoutMs?: number
  maxMemory?: Size
}

/** Options of an async call. */
export interface AsyncCallOptions extends CallOptions {
  /** Cancels the guest; the Promise rejects with a CancelledError (name `AbortError`). */
  signal?: AbortSignal
}

/** One thing that happened at the sandbox boundary. */
export interface AuditEvent {
  /** `fs.mount`, `fs.open`, `env`, `net.connect`, `host_fn`, `limit.memory`, `limit.timeout`, `limit.fuel`, `limit.output`, `exit`, `trap`, ... */
  kind: string
  /** A path, a variable name, a host function, a limit value. */
  target: string
  decision: 'allowed' | 'denied'
  /** The rule that decided it, or how to change the decision. */
  detail: string
  /** Milliseconds since the Unix epoch. */
  timeMs: number
}

/** A plugin; every `call`/`callSync` runs in a fresh sandbox. */
export class Plugin {
  constructor(wasm: string | URL | Bytes, options?: PluginOptions)
  /** Calls `fn` in a fresh sandbox on this thread. */
  callSync(fn: string, input?: Bytes | null, options?: CallOptions): Buffer
  /** Calls `fn` in a fresh sandbox on a worker thread. */
  call(fn: string, input?: Bytes | null, options?: AsyncCallOptions): Promise<Buffer>
  /** A sandbox kept alive between calls. */
  instance(): PluginInstance
  /** Cancels every call of this plugin in flight. */
  cancel(): void
  /** The audit trail since the last drain; `clear` (default true) empties it. */
  auditEvents(options?: { clear?: boolean }): AuditEvent[]
  readonly auditDropped: number
  readonly name: string
  readonly functions: string[]
  readonly isComponent: boolean
  readonly closed: boolean
  /** Frees the plugin; later calls throw. Idempotent. */
  close(): void
}

/** A plugin sandbox kept alive between calls (state persists). */
export class PluginInstance {
  private constructor()
  callSync(fn: string, input?: Bytes | null, options?: CallOptions): Buffer
  call(fn: string, input?: Bytes | null, options?: AsyncCallOptions): Promise<Buffer>
  readonly name: string
  readonly closed: boolean
  close(): void
}

/** Resources a run used. */
export interface Usage {
  fuelConsumed?: number | null
  peakMemoryBytes: number
  wallTimeMs: number
  stdoutBytes: number
  stderrBytes: number
  diskBytesAdded?: number | null
  peakFds: number
}

/** What a run produced. */
export class Outcome {
  private constructor()
  readonly status: 'exited' | 'stopped'
  readonly exitCode: number
  readonly ok: boolean
  readonly stdout: Buffer
  readonly stderr: Buffer
  readonly usage: Usage
  readonly events: AuditEvent[]
  readonly denials: AuditEvent[]
  readonly eventsDropped: number
  /** The error that stopped the guest, or null if it exited on its own. */
  readonly error: NanoprocError | null
  /** The signed run receipt (JSON bytes) when the run was given `receiptKey`. */
  readonly receipt: Buffer | undefined
  /** Throws `error` if the guest was stopped. */
  check(): this
  toJSON(): unknown
}

/** Options of `run` and `runAsync`. */
export interface RunOptions {
  /** Replace the policy's arguments. */
  args?: string[]
  /** Replace the policy's standard input. */
  stdin?: Bytes
  engine?: Engine
  /** Throw the error that stopped the guest instead of returning it in the outcome. */
  check?: boolean
  /** The host's Ed25519 secret key file: the outcome gets a signed run `receipt`. */
  receiptKey?: string | URL
}

/** Runs a WASI program in a fresh sandbox on this thread. */
export function run(wasm: string | URL | Bytes, policy?: Policy | PolicyOptions | null, options?: RunOptions): Outcome
/** Runs a WASI program in a fresh sandbox on a worker thread. */
export function runAsync(
  wasm: string | URL | Bytes,
  policy?: Policy | PolicyOptions | null,
  options?: RunOptions,
): Promise<Outcome>

/** A WASI program loaded and linked once, to run many times (each run in a fresh sandbox). */
export class Program {
  /** Refusals (an invalid module, a denied import, a bad policy) throw here. */
  constructor(wasm: string | URL | Bytes, policy?: Policy | PolicyOptions | null, options?: { engine?: Engine })
  /** Runs it once on this thread; `args` and `stdin` replace the policy's for this run. */
  run(options?: { args?: string[]; stdin?: Bytes; check?: boolean }): Outcome
  /** Runs it once on a worker thread. */
  runAsync(options?: { args?: string[]; stdin?: Bytes; check?: boolean }): Promise<Outcome>
  readonly name: string
  readonly kind: 'module' | 'component'
  readonly sha256: string
}

/** Checks a run receipt against the host's public key file; throws IntegrityError if that key
 * did not sign it or it changed since. */
export function verifyReceipt(receipt: Uint8Array, hostPubKey: string | URL): void

export const version: string
export const MAX_AUDIT_EVENTS: number

/** Base of every nanoproc error; `message` is `kind: detail`. */
export class NanoprocError extends Error {
  readonly kind: string
  readonly detail: string
  readonly exitCode: number
  readonly code: string
}
export class PolicyError extends NanoprocError {}
export class InvalidModuleError extends NanoprocError {}
export class DeniedError extends NanoprocError {}
export class TrapError extends NanoprocError {}
export class LimitExceededError extends NanoprocError {}
export class TimeLimitError extends LimitExceededError {}
export class MemoryLimitError extends LimitExceededError {}
export class FuelLimitError extends LimitExceededError {}
export class OutputLimitError extends LimitExceededError {}
export class PluginError extends NanoprocError {}
export class HostFunctionError extends NanoprocError {}
/** name `AbortError`, code `ABORT_ERR`. */
export class CancelledError extends NanoprocError {}
export class AbiViolationError extends NanoprocError {}
export class InvalidInputError extends NanoprocError {}
export class HostExhaustedError extends NanoprocError {}
export class IoError extends NanoprocError {}
/** Not signed by a trusted key, modified after signing, not pinned; a receipt that does not verify. Exit code 126. */
export class IntegrityError extends NanoprocError {}
/** Exit code 127. */
export class InternalError extends NanoprocError {}
