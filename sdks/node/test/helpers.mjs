// Shared by the tests: paths of the prebuilt example guests and plugins, small WAT modules,
// and one fuel-metering engine (engines reserve address space; share them).
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import fs from 'node:fs'
import os from 'node:os'

const require = createRequire(import.meta.url)
/** The package under test (index.js over the built addon). */
export const nanoproc = require('../index.js')

export const SDK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const ROOT = path.resolve(SDK, '..', '..')
export const GUESTS = path.join(ROOT, 'examples', 'guests', 'bin')
export const PLUGINS = path.join(ROOT, 'examples', 'plugins', 'bin')

/** A WASI command that copies stdin to stdout. */
export const CAT_STDIN_WAT = Buffer.from(`
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $n i32)
    (loop $again
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (i32.const 4096))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)) (then (return)))
      (local.set $n (i32.load (i32.const 16)))
      (if (i32.eqz (local.get $n)) (then (return)))
      (i32.store (i32.const 8) (i32.const 64))
      (i32.store (i32.const 12) (local.get $n))
      (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 20)))
      (br $again))))
`)

/** A plugin with state: \`count\` returns how often it was called in this instance (4 bytes,
 * little-endian); \`trap\` traps; \`fail\` fails through \`nanoproc::fail\`. */
export const COUNTER_WAT = Buffer.from(`
(module
  (import "nanoproc" "fail" (func $fail (param i32 i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "failing on purpose")
  (func (export "nanoproc_abi_version") (result i32) (i32.const 1))
  (func (export "nanoproc_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $p))
  (func (export "count") (param i32 i32) (result i64)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $count))
    (i64.const 4))
  (func (export "trap") (param i32 i32) (result i64) (unreachable))
  (func (export "fail") (param i32 i32) (result i64)
    (call $fail (i32.const 16) (i32.const 18))
    (i64.const 0)))
`)

let fuelEngine
/** One engine with fuel metering for all tests of a file. */
export function fuelEngineOnce() {
  fuelEngine ??= new nanoproc.Engine({ fuel: true, pooling: 16 })
  return fuelEngine
}

/** A fresh temporary directory, removed by the caller's `t.after`. */
export function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoproc-node-test-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The little-endian i32 the counter plugin returns. */
export function count(target) {
  return target.callSync('count').readInt32LE(0)
}
