// Per-call overhead of plugin calls from Node.js through nanoproc's napi-rs addon.
//
//   bash sdks/node/bench/run.sh            # builds the addon, runs the Rust API bench and this
//   node sdks/node/bench/bench.mjs [--quick] [--batches N] [--batch-ms 2] [--no-async]
//
// Four cases on examples/plugins/bin/echo.wasm, a pooling engine, the default policy (the
// same as sdks/go/bench/main.go and benches/sdk):
//
//   warm_noop       instance.callSync('noop'): empty in, empty out, in a kept sandbox
//   warm_echo_64k   instance.callSync('echo') with 64 KiB (64 KiB back)
//   fresh_noop      plugin.callSync('noop'): a fresh sandbox per call
//   fresh_echo_64k  plugin.callSync('echo') with 64 KiB in a fresh sandbox
//
// and the same four through the Promise path (`await ....call()`, one call in flight at a
// time: the worker-thread hand-off is the cost), reported as `node:async`.
//
// Calls run in batches of a calibrated size (about 2 ms each); each batch gives a mean per call;
// the report shows the median and the 99th percentile of those means in nanoseconds (the
// garbage collector runs as in any Node program). Besides the table it prints one machine line
// per case, `RESULT node <case> <median_ns> <p99_ns>` (and `RESULT node:async ...`).
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import os from 'node:os'

const require = createRequire(import.meta.url)
const nanoproc = require('../index.js')

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const ECHO = path.join(REPO, 'examples', 'plugins', 'bin', 'echo.wasm')
const CASES = ['warm_noop', 'warm_echo_64k', 'fresh_noop', 'fresh_echo_64k']

const args = process.argv.slice(2)
const flag = (name) => args.includes(name)
const value = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : dflt
}
const quick = flag('--quick')
const batches = value('--batches', quick ? 20 : 200)
const batchNs = value('--batch-ms', quick ? 1 : 2) * 1e6

const now = () => process.hrtime.bigint()

/** Median and p99 (ns per call) of `batches` batch means; a batch takes about `batchNs`. */
async function measure(loop) {
  await loop(1)
  let n = 1
  let elapsed
  for (;;) {
    const t = now()
    await loop(n)
    elapsed = Number(now() - t)
    if (elapsed >= batchNs / 4 || n >= 1 << 24) break
    n *= 2
  }
  const perCall = Math.max(elapsed / n, 1)
  const size = Math.max(1, Math.floor(batchNs / perCall))
  await loop(size) // warm-up batch
  const means = []
  for (let b = 0; b < batches; b++) {
    const t = now()
    await loop(size)
    means.push(Number(now() - t) / size)
  }
  means.sort((a, b) => a - b)
  const mid = means.length >> 1
  const median = means.length % 2 ? means[mid] : (means[mid - 1] + means[mid]) / 2
  const p99 = means[Math.min(means.length - 1, Math.round(0.99 * (means.length - 1)))]
  return [median, p99]
}

const engine = new nanoproc.Engine({ pooling: true })
const plugin = new nanoproc.Plugin(ECHO, { engine })
const inst = plugin.instance()
const payload = Buffer.alloc(64 << 10)
for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff
const empty = Buffer.alloc(0)

// Check once that the calls do what they should before timing them.
if (!inst.callSync('echo', payload).equals(payload) || !plugin.callSync('echo', payload).equals(payload)) {
  throw new Error('echo check failed')
}
if (!(await inst.call('echo', payload)).equals(payload) || (await plugin.call('noop')).length !== 0) {
  throw new Error('async echo check failed')
}

const sync = {
  warm_noop: (n) => {
    for (let i = 0; i < n; i++) inst.callSync('noop', empty)
  },
  warm_echo_64k: (n) => {
    for (let i = 0; i < n; i++) inst.callSync('echo', payload)
  },
  fresh_noop: (n) => {
    for (let i = 0; i < n; i++) plugin.callSync('noop', empty)
  },
  fresh_echo_64k: (n) => {
    for (let i = 0; i < n; i++) plugin.callSync('echo', payload)
  },
}
const promised = {
  warm_noop: async (n) => {
    for (let i = 0; i < n; i++) await inst.call('noop', empty)
  },
  warm_echo_64k: async (n) => {
    for (let i = 0; i < n; i++) await inst.call('echo', payload)
  },
  fresh_noop: async (n) => {
    for (let i = 0; i < n; i++) await plugin.call('noop', empty)
  },
  fresh_echo_64k: async (n) => {
    for (let i = 0; i < n; i++) await plugin.call('echo', payload)
  },
}

const results = []
for (const c of CASES) results.push(['node', c, ...(await measure(sync[c]))])
if (!flag('--no-async')) {
  for (const c of CASES) results.push(['node:async', c, ...(await measure(promised[c]))])
}
inst.close()
plugin.close()

console.log(
  `nanoproc ${nanoproc.version} from Node.js ${process.version} (${process.platform}/${process.arch}, ${os.cpus().length} CPUs), echo.wasm, pooling engine`,
)
console.log(`${batches} batches of ~${batchNs / 1e6} ms per case\n`)
console.log(`${'contender'.padEnd(11)} ${'case'.padEnd(16)} ${'median ns/call'.padStart(14)} ${'p99 ns/call'.padStart(14)}`)
for (const [who, c, med, p99] of results) {
  console.log(`${who.padEnd(11)} ${c.padEnd(16)} ${med.toFixed(0).padStart(14)} ${p99.toFixed(0).padStart(14)}`)
}
console.log()
for (const [who, c, med, p99] of results) console.log(`RESULT ${who} ${c} ${med.toFixed(0)} ${p99.toFixed(0)}`)
