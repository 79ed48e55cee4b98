// The examples run as a user would run them, and print what they promise.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { SDK } from './helpers.mjs'

function runExample(name) {
  return execFileSync(process.execPath, [path.join(SDK, 'examples', name)], { encoding: 'utf8', timeout: 120_000 })
}

test('examples/extend.mjs', () => {
  const out = runExample('extend.mjs')
  assert.match(out, /^copied 920 bytes with a budget of \d+ fuel; identical: true$/m)
  assert.match(out, /^write into the read-only dir refused: plugin error: \/in\/c\.txt: Operation not permitted/m)
  assert.match(out, /^file created in the input dir: false$/m)
  assert.match(out, /^read outside the grants refused: plugin error: \/etc\/passwd: No such file or directory/m)
  assert.match(out, /^ {2}denied {2}fs\.open {3}\/in\/c\.txt$/m)
  assert.match(out, /^with a budget of \d+ fuel: fuel limit: the guest used all \d+ units of fuel/m)
})

test('examples/isolate.mjs', () => {
  const lines = runExample('isolate.mjs').split('\n')
  const has = (prefix) => assert.ok(lines.some((l) => l.startsWith(prefix)), `no line starting with ${JSON.stringify(prefix)} in:\n${lines.join('\n')}`)
  has('call_host(alice)               -> "plugin got: hello, alice"')
  has('call_host(mallory)             -> HostFunctionError: host function error: `host::greet`: Error: mallory is not welcome (caused by Error: mallory is not welcome)')
  has('call_host(bob)                 -> "plugin got: hello, bob"')
  has('  allowed host_fn  host::greet: granted; failed')
  has('echo(before)                   -> "before"')
  has('trap()                         -> TrapError: guest trap: ')
  has('spin() with timeoutMs 200      -> TimeLimitError: time limit: the call ran longer than 200ms')
  has('spin() aborted after 100 ms    -> CancelledError: cancelled: the call was cancelled by the host')
  has('grow() within 16 MiB           -> MemoryLimitError: memory limit: ')
  has('echo(after)                    -> "after"')
  has('  denied  limit.timeout echo')
  has('ungranted_host.wasm refused at load: denied: plugin `ungranted_host` imports host function `host::launch_missiles`')
})
