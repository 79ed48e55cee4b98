'use strict'
/**
 * nanoproc for Node.js: run untrusted WebAssembly as deny-by-default nano-processes.
 *
 * Each plugin call or program run gets its own sandbox (a Wasm instance with its own memory)
 * with only the capabilities its Policy grants, hard limits on memory, CPU (fuel), wall time
 * and output that interrupt it, and an audit trail of everything it was allowed or denied.
 *
 * The engine is Rust (the `nanoproc` crate on Wasmtime); this file is a thin layer over the
 * native addon (napi-rs): it checks and normalises arguments, defines the error classes, and
 * turns AbortSignals and JavaScript host functions into what the addon takes. Synchronous
 * calls (`callSync`, `run`) run the guest on the calling thread; `call` and `runAsync` run it
 * on a libuv worker thread and return a Promise, so the event loop stays free.
 */

const fs = require('node:fs')
const path = require('node:path')
const { fileURLToPath } = require('node:url')

function loadNative() {
  // nanoproc.node: what build.sh builds; the platform names are what `napi build --platform`
  // and prebuilt packages use.
  const candidates = [
    'nanoproc.node',
    `nanoproc.${process.platform}-${process.arch}-gnu.node`,
    `nanoproc.${process.platform}-${process.arch}-musl.node`,
    `nanoproc.${process.platform}-${process.arch}.node`,
  ]
  for (const name of candidates) {
    const file = path.join(__dirname, name)
    if (fs.existsSync(file)) return require(file)
  }
  throw new Error(
    `nanoproc: no native addon for ${process.platform}-${process.arch} in ${__dirname}; build it with \`bash build.sh\``,
  )
}

const native = loadNative()

// ---------------------------------------------------------------------------------------------
// Errors

/** Base of every nanoproc error: `kind` names the kind (as the CLI prints it), `detail` says
 * what happened and how to allow it, `exitCode` is the code the `nanoproc` CLI exits with for
 * it; `message` is `kind: detail`. */
class NanoprocError extends Error {
  constructor(message, info = {}, options) {
    super(message, options)
    this.name = new.target.name
    this.kind = info.kind ?? 'error'
    this.detail = info.detail ?? message
    this.exitCode = info.exitCode ?? 1
    this.code = 'ERR_NANOPROC_' + this.kind.toUpperCase().replace(/[^A-Z]+/g, '_')
  }
}
/** The policy (options, TOML or per-call limits) is invalid. */
class PolicyError extends NanoprocError {}
/** The bytes are not a valid module or component, or not of the kind needed. */
class InvalidModuleError extends NanoprocError {}
/** The guest needs a capability its policy does not grant; `detail` names the grant. */
class DeniedError extends NanoprocError {}
/** The guest trapped (unreachable, out-of-bounds access, stack overflow, ...). */
class TrapError extends NanoprocError {}
/** The guest hit one of its limits and was stopped. */
class LimitExceededError extends NanoprocError {}
/** The guest ran longer than its timeout. */
class TimeLimitError extends LimitExceededError {}
/** The guest asked for more memory (all memories and tables) than its budget. */
class MemoryLimitError extends LimitExceededError {}
/** The guest used all of its fuel. */
class FuelLimitError extends LimitExceededError {}
/** The guest wrote more than its output cap. */
class OutputLimitError extends LimitExceededError {}
/** The plugin reported a failure itself. */
class PluginError extends NanoprocError {}
/** A host function failed (a JavaScript exception in it is the `cause`); the call stopped. */
class HostFunctionError extends NanoprocError {}
/** The call was cancelled (an AbortSignal, or `plugin.cancel()`). Its `name` is
 * `AbortError`, as for every cancelled Node.js operation; `cause` is the signal's reason. */
class CancelledError extends NanoprocError {
  constructor(message, info, options) {
    super(message, info, options)
    this.name = 'AbortError'
    this.code = 'ABORT_ERR'
  }
}
/** The plugin broke the plugin ABI, or has no function of that name. */
class AbiViolationError extends NanoprocError {}
/** A value for a typed (component) call does not match its WIT type. */
class InvalidInputError extends NanoprocError {}
/** The host ran short of something no sandbox limit covers (pool slots, mappings). */
class HostExhaustedError extends NanoprocError {}
/** A host-side I/O failure: reading the module or a policy file, opening a granted dir. */
class IoError extends NanoprocError {}
/** The binary failed its policy's integrity check (not signed, signed by no trusted key,
 * modified after it was signed, sha256 not pinned) and did not run; or a run receipt did not
 * verify. */
class IntegrityError extends NanoprocError {}
/** A bug or an unexpected engine failure. Please report it. */
class InternalError extends NanoprocError {}

const ERROR_CLASSES = {
  NanoprocError,
  PolicyError,
  InvalidModuleError,
  DeniedError,
  TrapError,
  LimitExceededError,
  TimeLimitError,
  MemoryLimitError,
  FuelLimitError,
  OutputLimitError,
  PluginError,
  HostFunctionError,
  CancelledError,
  AbiViolationError,
  InvalidInputError,
  HostExhaustedError,
  IoError,
  IntegrityError,
  InternalError,
}

// JavaScript exceptions thrown by host functions, kept (bounded) until the call that failed
// because of them rejects: its HostFunctionError gets the exception as `cause`.
const MAX_KEPT_HOST_ERRORS = 16
const keptHostErrors = []

function keepHostError(fn, message, error) {
  if (keptHostErrors.length >= MAX_KEPT_HOST_ERRORS) keptHostErrors.shift()
  keptHostErrors.push({ fn, message, error })
}

function takeHostError(fn, message) {
  const i = keptHostErrors.findIndex((k) => k.fn === fn && k.message === message)
  return i < 0 ? undefined : keptHostErrors.splice(i, 1)[0].error
}

function makeError(className, kind, detail, exitCode, hostFn, hostMessage) {
  if (className === 'TypeError') {
    const e = new TypeError(detail)
    e.code = 'ERR_INVALID_ARG_TYPE'
    return e
  }
  if (className === 'ClosedError' || className === 'BusyError') {
    const e = new Error(detail)
    e.code = className === 'ClosedError' ? 'ERR_NANOPROC_CLOSED' : 'ERR_NANOPROC_BUSY'
    return e
  }
  const Class = ERROR_CLASSES[className] ?? NanoprocError
  let options
  if (hostFn !== undefined) {
    const cause = takeHostError(hostFn, hostMessage)
    if (cause !== undefined) options = { cause }
  } else if (className === 'PluginError') {
    // A component sees a host function's failure as its own error, with the same text.
    const i = keptHostErrors.findIndex((k) => k.message === detail)
    if (i >= 0) options = { cause: keptHostErrors.splice(i, 1)[0].error }
  }
  return new Class(`${kind}: ${detail}`, { kind, detail, exitCode }, options)
}

native.setErrorFactory(makeError)

// ---------------------------------------------------------------------------------------------
// Argument checks and normalisation

function typeName(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (Buffer.isBuffer(v)) return 'a Buffer'
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'Object'})`
  return `a ${typeof v}`
}

function argError(message) {
  const e = new TypeError(message)
  e.code = 'ERR_INVALID_ARG_TYPE'
  return e
}

function isBytes(v) {
  return v instanceof Uint8Array
}

/** Bytes as a Uint8Array view (no copy); `undefined`/`null` are empty. */
function bytesOf(what, v) {
  if (v === undefined || v === null) return EMPTY
  if (v instanceof Uint8Array) return v
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  if (v instanceof ArrayBuffer) return new Uint8Array(v)
  if (typeof v === 'string') {
    throw argError(`${what} takes a Buffer or Uint8Array, not a string (encode text with Buffer.from(text))`)
  }
  throw argError(`${what} takes a Buffer or Uint8Array, not ${typeName(v)}`)
}
const EMPTY = Buffer.alloc(0)

/** A size: a whole number of bytes (number or bigint) or a string with a unit ("64MiB"). */
function sizeText(key, v) {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string') return v
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new PolicyError(`invalid policy: ${key}: ${v} is not a whole number of bytes`, {
        kind: 'invalid policy',
        detail: `${key}: ${v} is not a whole number of bytes`,
        exitCode: 125,
      })
    }
    return String(v)
  }
  throw argError(`${key} takes a size in bytes (number or bigint) or a string such as "64MiB", not ${typeName(v)}`)
}

/** A count (fuel, descriptors, a seed): a whole number (number or bigint). */
function countText(key, v) {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) return String(v) // the native side names the problem
    return String(v)
  }
  throw argError(`${key} takes a whole number (number or bigint), not ${typeName(v)}`)
}

function millis(key, v) {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number') throw argError(`${key} takes a number of milliseconds, not ${typeName(v)}`)
  return v
}

function stringList(key, v) {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    throw argError(`${key} takes an array of strings, not ${typeName(v)}`)
  }
  return v
}

function pathOf(key, v) {
  if (typeof v === 'string') return v
  if (v instanceof URL) return fileURLToPath(v)
  throw argError(`${key} takes a path (string or file: URL), not ${typeName(v)}`)
}

function pathList(key, v) {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw argError(`${key} takes an array of paths, not ${typeName(v)}`)
  return v.map((p) => pathOf(key, p))
}

function requirement(v) {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw argError(`requireSignature takes "any", "all" or "none", not ${typeName(v)}`)
  return v // the native side names a bad value (PolicyError)
}

function outputMode(key, v) {
  if (v === undefined || v === null) return 'capture'
  if (v === 'capture' || v === 'inherit' || v === 'null') return v
  throw argError(`${key} takes "capture", "inherit" or "null", not ${typeof v === 'string' ? JSON.stringify(v) : typeName(v)}`)
}

const POLICY_KEYS = new Set([
  'dirs', 'files', 'env', 'inheritEnv', 'args', 'stdin', 'stdout', 'stderr', 'allowNet',
  'allowDns', 'allowHttp', 'allowHostFns', 'allowSymlinks', 'denyWasi', 'maxMemory', 'fuel',
  'timeoutMs', 'maxOutput', 'diskQuota', 'maxFds', 'httpTimeoutMs', 'maxHttpResponse',
  'clocks', 'randomSeed', 'trustKeys', 'requireSignature', 'pinSha256',
])

function closestKey(key, keys) {
  let best
  let bestScore = Infinity
  for (const k of keys) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase())
    if (d < bestScore) {
      best = k
      bestScore = d
    }
  }
  return bestScore <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined
}

function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]
}

function policyInit(o) {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw argError(`a policy takes an options object, not ${typeName(o)}`)
  }
  for (const key of Object.keys(o)) {
    if (!POLICY_KEYS.has(key)) {
      const near = closestKey(key, POLICY_KEYS)
      const detail = `unknown policy option \`${key}\`${near ? `; did you mean \`${near}\`?` : ''}`
      throw new PolicyError(`invalid policy: ${detail}`, { kind: 'invalid policy', detail, exitCode: 125 })
    }
  }
  const dirs = (o.dirs ?? []).map((d) => {
    if (Array.isArray(d)) {
      const [host, guest, mode] = d
      if (mode !== undefined && mode !== 'ro' && mode !== 'rw' && typeof mode !== 'boolean') {
        throw argError(`dirs entries' third element is "ro", "rw" or a boolean (writable), not ${JSON.stringify(mode)}`)
      }
      return { host: pathOf('dirs host', host), guest: String(guest), writable: mode === 'rw' || mode === true }
    }
    if (d && typeof d === 'object') {
      return { host: pathOf('dirs host', d.host), guest: String(d.guest), writable: d.writable === true }
    }
    throw argError(`dirs entries are {host, guest, writable?} or [host, guest, "ro"|"rw"], not ${typeName(d)}`)
  })
  if (!Array.isArray(o.dirs ?? [])) throw argError(`dirs takes an array, not ${typeName(o.dirs)}`)
  const files = (o.files ?? []).map((f) => {
    if (Array.isArray(f)) return { host: pathOf('files host', f[0]), guest: String(f[1]) }
    if (f && typeof f === 'object') return { host: pathOf('files host', f.host), guest: String(f.guest) }
    throw argError(`files entries are {host, guest} or [host, guest], not ${typeName(f)}`)
  })
  const env = []
  if (o.env !== undefined && o.env !== null) {
    if (typeof o.env !== 'object' || Array.isArray(o.env)) {
      throw argError(`env takes an object of name -> value, not ${typeName(o.env)}`)
    }
    for (const [name, value] of Object.entries(o.env)) {
      if (typeof value !== 'string') throw argError(`env values must be strings (env.${name} is ${typeName(value)})`)
      env.push({ name, value })
    }
  }
  let stdin = 'null'
  let stdinData
  if (o.stdin === 'inherit' || o.stdin === 'null') stdin = o.stdin
  else if (o.stdin !== undefined && o.stdin !== null) {
    if (!isBytes(o.stdin) && !ArrayBuffer.isView(o.stdin)) {
      throw argError(`stdin takes "null", "inherit" or the input bytes (a Buffer or Uint8Array), not ${typeName(o.stdin)}`)
    }
    stdin = 'bytes'
    stdinData = Buffer.from(bytesOf('stdin', o.stdin))
  }
  return {
    dirs,
    files,
    env,
    inheritEnv: stringList('inheritEnv', o.inheritEnv),
    args: stringList('args', o.args),
    stdin,
    stdinData,
    stdout: outputMode('stdout', o.stdout),
    stderr: outputMode('stderr', o.stderr),
    allowNet: stringList('allowNet', o.allowNet),
    allowDns: o.allowDns === true,
    allowHttp: stringList('allowHttp', o.allowHttp),
    allowHostFns: stringList('allowHostFns', o.allowHostFns),
    allowSymlinks: o.allowSymlinks === true,
    denyWasi: stringList('denyWasi', o.denyWasi),
    maxMemory: sizeText('maxMemory', o.maxMemory),
    fuel: countText('fuel', o.fuel),
    timeoutMs: millis('timeoutMs', o.timeoutMs),
    maxOutput: sizeText('maxOutput', o.maxOutput),
    diskQuota: sizeText('diskQuota', o.diskQuota),
    maxFds: countText('maxFds', o.maxFds),
    httpTimeoutMs: millis('httpTimeoutMs', o.httpTimeoutMs),
    maxHttpResponse: sizeText('maxHttpResponse', o.maxHttpResponse),
    clocks: o.clocks ?? undefined,
    randomSeed: countText('randomSeed', o.randomSeed),
    trustKeys: pathList('trustKeys', o.trustKeys),
    requireSignature: requirement(o.requireSignature),
    pinSha256: stringList('pinSha256', o.pinSha256),
  }
}

// ---------------------------------------------------------------------------------------------
// Engine and Policy

const kNative = Symbol('nanoproc.native')
// The handle of the fast synchronous call path (native.callSyncFast).
const kHandle = Symbol('nanoproc.handle')
const callSyncFast = native.callSyncFast

/** A configured engine: compiled code, the instance pool, the compile cache and the epoch
 * ticker. Share one per process; plugins and runs use a process-wide default when given none. */
class Engine {
  constructor(options = {}) {
    const { fuel = false, pooling = true, cache = true, ...rest } = options ?? {}
    const unknown = Object.keys(rest)
    if (unknown.length) throw argError(`Engine takes {fuel, pooling, cache}, not \`${unknown[0]}\``)
    if (typeof fuel !== 'boolean') throw argError(`fuel takes a boolean, not ${typeName(fuel)}`)
    let slots
    if (pooling === true) slots = undefined
    else if (pooling === false) slots = 0
    else if (Number.isInteger(pooling) && pooling >= 1 && pooling <= 0xffffffff) slots = pooling
    else throw argError(`pooling takes true, false or a number of slots (1 or more), not ${JSON.stringify(pooling)}`)
    let cacheDir
    if (cache === true) cacheDir = 'default'
    else if (cache === false || cache === null) cacheDir = 'off'
    else cacheDir = pathOf('cache', cache)
    this[kNative] = new native.NativeEngine(fuel, slots, cacheDir)
  }
  /** Whether fuel metering is on (needed by policies and calls that set `fuel`). */
  get fuel() {
    return this[kNative].fuel
  }
  /** Pooled sandbox slots, or 0 without pooling. */
  get pooling() {
    return this[kNative].pooling
  }
  /** The compile cache directory, or null when caching is off. */
  get cacheDir() {
    return this[kNative].cacheDir ?? null
  }
}

function engineOf(e) {
  if (e === undefined || e === null) return undefined
  if (!(e instanceof Engine)) throw argError(`engine takes an Engine, not ${typeName(e)}`)
  return e[kNative]
}

/** What a sandbox may do; everything not granted is denied. Invalid values throw
 * `PolicyError` here, not when the policy is used. */
class Policy {
  constructor(options = {}) {
    if (options instanceof Policy) {
      this[kNative] = options[kNative]
      return
    }
    this[kNative] = new native.NativePolicy(policyInit(options ?? {}))
  }
  /** A policy from TOML (the format of `nanoproc run --policy FILE`): a path to a policy file,
   * or the TOML text itself (a string containing a newline or `=`). */
  static fromToml(source, options = {}) {
    const isText = typeof source === 'string' && (source.includes('\n') || source.includes('='))
    const text = isText ? source : pathOf('fromToml', source)
    const base = options.baseDir === undefined ? undefined : pathOf('baseDir', options.baseDir)
    const p = Object.create(Policy.prototype)
    p[kNative] = native.NativePolicy.fromToml(text, isText, base)
    return p
  }
  /** What the policy grants and limits, as plain values (host paths canonical). */
  describe() {
    const s = this[kNative].summary()
    return { ...s, fuel: s.fuel === null || s.fuel === undefined ? null : BigInt(s.fuel) }
  }
}

function policyOf(p) {
  if (p === undefined || p === null) return undefined
  if (p instanceof Policy) return p[kNative]
  return new Policy(p)[kNative]
}

// ---------------------------------------------------------------------------------------------
// Plugins

function callInit(options) {
  if (options === undefined || options === null) return undefined
  if (typeof options !== 'object') throw argError(`call options are an object, not ${typeName(options)}`)
  const { fuel, timeoutMs, maxMemory } = options
  if (fuel === undefined && timeoutMs === undefined && maxMemory === undefined) return undefined
  return {
    fuel: countText('fuel', fuel),
    timeoutMs: millis('timeoutMs', timeoutMs),
    maxMemory: sizeText('maxMemory', maxMemory),
  }
}

function functionName(name) {
  if (typeof name !== 'string') throw argError(`the function name is a string, not ${typeName(name)}`)
  return name
}

function describeThrown(e) {
  if (e instanceof Error) return e.message ? `${e.name}: ${e.message}` : e.name
  return `${typeof e === 'string' ? 'thrown string' : 'thrown value'}: ${String(e)}`
}

/** The dispatcher the addon calls for host function `i`: never throws; returns the output
 * bytes or a string with the failure. */
function makeDispatcher(names, fns) {
  return (i, input) => {
    let out
    try {
      out = fns[i](input)
    } catch (e) {
      const message = describeThrown(e)
      keepHostError(names[i], message, e)
      return message
    }
    if (out instanceof Uint8Array) return out
    if (typeof out === 'string') return Buffer.from(out)
    if (out === undefined || out === null) return EMPTY
    if (ArrayBuffer.isView(out)) return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
    if (out instanceof ArrayBuffer) return new Uint8Array(out)
    if (typeof out?.then === 'function') {
      return 'returned a Promise; host functions are synchronous and return a Buffer or Uint8Array'
    }
    return `returned ${typeName(out)}; host functions return a Buffer or Uint8Array (or a string, sent as UTF-8)`
  }
}

/** Wires an AbortSignal to a native cancel token for one async call. */
function withSignal(signal, start) {
  if (signal === undefined || signal === null) return start(undefined)
  if (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    return Promise.reject(argError(`signal takes an AbortSignal, not ${typeName(signal)}`))
  }
  const token = new native.CancelToken()
  const reason = () => signal.reason
  if (signal.aborted) token.cancel()
  const onAbort = () => token.cancel()
  signal.addEventListener('abort', onAbort, { once: true })
  let promise
  try {
    promise = start(token)
  } catch (e) {
    signal.removeEventListener('abort', onAbort)
    throw e
  }
  return promise.then(
    (out) => {
      signal.removeEventListener('abort', onAbort)
      return out
    },
    (e) => {
      signal.removeEventListener('abort', onAbort)
      if (e instanceof CancelledError && signal.aborted && e.cause === undefined) {
        Object.defineProperty(e, 'cause', { value: reason(), configurable: true, writable: true })
      }
      throw e
    },
  )
}

/** A plugin: a WebAssembly module (plugin ABI) or component (`nanoproc:plugin` world) whose
 * functions take bytes and return bytes. Every call runs in a fresh sandbox. */
class Plugin {
  constructor(wasm, options = {}) {
    const {
      policy,
      hostFunctions,
      config,
      name,
      engine,
      audit = true,
      ...rest
    } = options ?? {}
    const unknown = Object.keys(rest)
    if (unknown.length) {
      throw argError(`Plugin options are {policy, hostFunctions, config, name, engine, audit}, not \`${unknown[0]}\``)
    }
    let wasmPath
    let wasmBytes
    if (typeof wasm === 'string' || wasm instanceof URL) wasmPath = pathOf('wasm', wasm)
    else if (wasm instanceof Uint8Array || ArrayBuffer.isView(wasm) || wasm instanceof ArrayBuffer) {
      wasmBytes = bytesOf('wasm', wasm)
    } else {
      throw argError(`a plugin's wasm is a path (string or file: URL) or the module bytes, not ${typeName(wasm)}`)
    }
    const names = []
    const fns = []
    if (hostFunctions !== undefined && hostFunctions !== null) {
      const entries = hostFunctions instanceof Map ? [...hostFunctions] : Object.entries(hostFunctions)
      for (const [full, f] of entries) {
        if (typeof f !== 'function') throw argError(`host function \`${full}\` must be a function, not ${typeName(f)}`)
        names.push(full)
        fns.push(f)
      }
    }
    const configList = []
    if (config !== undefined && config !== null) {
      for (const [k, v] of Object.entries(config)) {
        if (typeof v !== 'string') throw argError(`config values must be strings (config.${k} is ${typeName(v)})`)
        configList.push({ name: k, value: v })
      }
    }
    if (name !== undefined && typeof name !== 'string') throw argError(`name takes a string, not ${typeName(name)}`)
    this[kNative] = new native.NativePlugin(
      wasmPath,
      wasmBytes,
      policyOf(policy),
      names,
      names.length ? makeDispatcher(names, fns) : undefined,
      configList,
      name,
      engineOf(engine),
      audit !== false,
    )
    this[kHandle] = this[kNative].handle()
  }

  /** Calls `fn` with `input` in a fresh sandbox on this thread and returns its output. */
  callSync(fn, input, options) {
    if (typeof fn !== 'string') throw argError(`the function name is a string, not ${typeName(fn)}`)
    const data = input instanceof Uint8Array ? input : bytesOf('input', input)
    if (options === undefined) return callSyncFast(this[kHandle], fn, data)
    return this[kNative].callSync(fn, data, callInit(options))
  }

  /** Calls `fn` with `input` (copied) in a fresh sandbox on a worker thread. `signal`
   * cancels the guest (the Promise rejects with a CancelledError, name `AbortError`). */
  call(fn, input, options) {
    try {
      const n = this[kNative]
      const f = functionName(fn)
      const data = bytesOf('input', input)
      const init = callInit(options)
      return withSignal(options?.signal, (token) => n.call(f, data, init, token))
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** A sandbox kept alive between calls (state persists); after a trap or limit hit it is
   * replaced by a fresh one on the next call. */
  instance() {
    const inst = Object.create(PluginInstance.prototype)
    inst[kNative] = this[kNative].instance()
    inst[kHandle] = inst[kNative].handle()
    return inst
  }

  /** Cancels every call of this plugin in flight; calls started afterwards run normally. */
  cancel() {
    this[kNative].cancel()
  }

  /** The audit trail kept since the last drain, oldest first; `clear` (default) empties it. */
  auditEvents(options = {}) {
    return this[kNative].auditEvents(options?.clear !== false)
  }

  /** Audit events dropped because more than `MAX_AUDIT_EVENTS` were kept. */
  get auditDropped() {
    return this[kNative].auditDropped
  }
  /** The plugin's name. */
  get name() {
    return this[kNative].name
  }
  /** The functions it exports, sorted. */
  get functions() {
    return this[kNative].functions
  }
  /** Whether it is a component rather than a core module. */
  get isComponent() {
    return this[kNative].isComponent
  }
  /** Whether `close()` was called. */
  get closed() {
    return this[kNative].closed
  }
  /** Frees the plugin. Calls in flight finish; later calls throw. Idempotent. Instances made
   * with `instance()` stay usable until closed. */
  close() {
    this[kNative].close()
  }
}

/** A plugin sandbox kept alive between calls (from `plugin.instance()`). */
class PluginInstance {
  constructor() {
    throw argError('a PluginInstance comes from plugin.instance()')
  }
  /** Calls `fn` in this instance on this thread. Throws (code `ERR_NANOPROC_BUSY`) if an
   * async call is in flight on it. */
  callSync(fn, input, options) {
    if (typeof fn !== 'string') throw argError(`the function name is a string, not ${typeName(fn)}`)
    const data = input instanceof Uint8Array ? input : bytesOf('input', input)
    if (options === undefined) return callSyncFast(this[kHandle], fn, data)
    return this[kNative].callSync(fn, data, callInit(options))
  }
  /** Calls `fn` in this instance on a worker thread (after any call in flight on it). */
  call(fn, input, options) {
    try {
      const n = this[kNative]
      const f = functionName(fn)
      const data = bytesOf('input', input)
      const init = callInit(options)
      return withSignal(options?.signal, (token) => n.call(f, data, init, token))
    } catch (e) {
      return Promise.reject(e)
    }
  }
  /** The plugin's name. */
  get name() {
    return this[kNative].name
  }
  /** Whether `close()` was called. */
  get closed() {
    return this[kNative].closed
  }
  /** Frees the sandbox (after the call in flight, if any); later calls throw. Idempotent. */
  close() {
    this[kNative].close()
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Plugin.prototype[Symbol.dispose] = Plugin.prototype.close
  PluginInstance.prototype[Symbol.dispose] = PluginInstance.prototype.close
}

// ---------------------------------------------------------------------------------------------
// run

/** What a run produced: how it ended, captured output, resources used, the audit trail. */
class Outcome {
  constructor(raw) {
    /** `"exited"` (the guest exited on its own) or `"stopped"` (a limit or a trap). */
    this.status = raw.stopped ? 'stopped' : 'exited'
    /** The guest's exit status, or the CLI's exit code for the error that stopped it. */
    this.exitCode = raw.exitCode
    /** Captured stdout. */
    this.stdout = raw.stdout
    /** Captured stderr. */
    this.stderr = raw.stderr
    /** Resources used. */
    this.usage = raw.usage
    /** The audit events, in order. */
    this.events = raw.events
    /** Events left out because the cap was reached. */
    this.eventsDropped = raw.eventsDropped
    /** The error that stopped the guest, or null. */
    this.error = raw.error
      ? makeError(raw.error.className, raw.error.kind, raw.error.detail, raw.error.exitCode)
      : null
    /** The signed run receipt (JSON bytes) when the run was given `receiptKey`; check it with
     * `verifyReceipt` or `nanoproc verify-receipt`. */
    this.receipt = raw.receipt ?? undefined
    Object.defineProperty(this, 'json', { value: raw.json, enumerable: false })
  }
  /** True when the guest exited with status 0. */
  get ok() {
    return this.status === 'exited' && this.exitCode === 0
  }
  /** The events whose decision was "denied". */
  get denials() {
    return this.events.filter((e) => e.decision === 'denied')
  }
  /** Throws `error` if the guest was stopped; returns the outcome otherwise. */
  check() {
    if (this.error) throw this.error
    return this
  }
  /** The outcome as `nanoproc run --json` prints it. */
  toJSON() {
    return JSON.parse(this.json)
  }
}

function runArgs(wasm, policy, options) {
  const { args, stdin, engine, check = false, receiptKey, ...rest } = options ?? {}
  const unknown = Object.keys(rest)
  if (unknown.length) throw argError(`run options are {args, stdin, engine, check, receiptKey}, not \`${unknown[0]}\``)
  let wasmPath
  let wasmBytes
  if (typeof wasm === 'string' || wasm instanceof URL) wasmPath = pathOf('wasm', wasm)
  else wasmBytes = bytesOf('wasm', wasm)
  return {
    check,
    argv: [
      wasmPath,
      wasmBytes,
      policyOf(policy),
      args === undefined ? undefined : stringList('args', args),
      stdin === undefined || stdin === null ? undefined : bytesOf('stdin', stdin),
      engineOf(engine),
      receiptKey === undefined || receiptKey === null ? undefined : pathOf('receiptKey', receiptKey),
    ],
  }
}

/** Runs a WASI program (a preview 1 module or preview 2 component; path or bytes) in a fresh
 * sandbox on this thread and returns its Outcome. */
function run(wasm, policy, options) {
  const { check, argv } = runArgs(wasm, policy, options)
  const outcome = new Outcome(native.runSync(...argv))
  return check ? outcome.check() : outcome
}

/** `run` on a worker thread: a Promise of the Outcome. */
function runAsync(wasm, policy, options) {
  try {
    const { check, argv } = runArgs(wasm, policy, options)
    return native.runAsync(...argv).then((raw) => {
      const outcome = new Outcome(raw)
      return check ? outcome.check() : outcome
    })
  } catch (e) {
    return Promise.reject(e)
  }
}

/** A WASI program loaded and linked once, to run many times (each run in a fresh sandbox):
 * what `run` does in one go, without reading and linking the module again every time.
 * Refusals (an invalid module, a denied import, a bad policy) throw here. */
class Program {
  constructor(wasm, policy, options = {}) {
    const { engine, ...rest } = options ?? {}
    const unknown = Object.keys(rest)
    if (unknown.length) throw argError(`Program options are {engine}, not \`${unknown[0]}\``)
    let wasmPath
    let wasmBytes
    if (typeof wasm === 'string' || wasm instanceof URL) wasmPath = pathOf('wasm', wasm)
    else wasmBytes = bytesOf('wasm', wasm)
    this[kNative] = new native.NativeProgram(wasmPath, wasmBytes, policyOf(policy), engineOf(engine))
  }
  /** Runs it once on this thread; `args` and `stdin` replace the policy's for this run. */
  run(options) {
    const { check, args, stdin } = programArgs(options)
    const outcome = new Outcome(this[kNative].runSync(args, stdin))
    return check ? outcome.check() : outcome
  }
  /** Runs it once on a worker thread. */
  runAsync(options) {
    try {
      const { check, args, stdin } = programArgs(options)
      return this[kNative].run(args, stdin).then((raw) => {
        const outcome = new Outcome(raw)
        return check ? outcome.check() : outcome
      })
    } catch (e) {
      return Promise.reject(e)
    }
  }
  /** Its file name, or `module` for bytes. */
  get name() {
    return this[kNative].name
  }
  /** `"module"` (WASI preview 1) or `"component"` (preview 2). */
  get kind() {
    return this[kNative].kind
  }
  /** The SHA-256 of the binary, in hex. */
  get sha256() {
    return this[kNative].sha256
  }
}

function programArgs(options) {
  const { args, stdin, check = false, ...rest } = options ?? {}
  const unknown = Object.keys(rest)
  if (unknown.length) throw argError(`run options of a Program are {args, stdin, check}, not \`${unknown[0]}\``)
  return {
    check,
    args: args === undefined ? undefined : stringList('args', args),
    stdin: stdin === undefined || stdin === null ? undefined : bytesOf('stdin', stdin),
  }
}

/** Checks a run receipt (from `run(..., {receiptKey})` or `nanoproc run --receipt`) against
 * the host's public key file: returns if that key signed it and nothing changed since; throws
 * IntegrityError saying why otherwise. */
function verifyReceipt(receipt, hostPubKey) {
  native.verifyReceipt(bytesOf('receipt', receipt), pathOf('hostPubKey', hostPubKey))
}

const version = native.version()
const MAX_AUDIT_EVENTS = native.maxAuditEvents()

module.exports = {
  Engine,
  Policy,
  Plugin,
  PluginInstance,
  Outcome,
  Program,
  run,
  runAsync,
  verifyReceipt,
  version,
  MAX_AUDIT_EVENTS,
  NanoprocError,
  PolicyError,
  InvalidModuleError,
  DeniedError,
  TrapError,
  LimitExceededError,
  TimeLimitError,
  MemoryLimitError,
  FuelLimitError,
  OutputLimitError,
  PluginError,
  HostFunctionError,
  CancelledError,
  AbiViolationError,
  InvalidInputError,
  HostExhaustedError,
  IoError,
  IntegrityError,
  InternalError,
}
