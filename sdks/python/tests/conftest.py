"""Shared fixtures: paths of the prebuilt example guests, plugins and components, and engines."""

from __future__ import annotations

import pathlib

import pytest

import nanoproc

ROOT = pathlib.Path(__file__).resolve().parents[3]
GUESTS = ROOT / "examples" / "guests" / "bin"
PLUGINS = ROOT / "examples" / "plugins" / "bin"
COMPONENTS = ROOT / "examples" / "components" / "bin"
SDK = ROOT / "sdks" / "python"

# A WASI command that copies stdin to stdout (none of the example guests reads stdin).
CAT_STDIN_WAT = b"""
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
"""

# A plugin (docs/abi.md) with state: `count` returns how often it was called in this
# instance (4 bytes, little-endian); `trap` traps; `fail` fails through `nanoproc::fail`.
COUNTER_WAT = b"""
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
"""


@pytest.fixture(scope="session")
def fuel_engine() -> nanoproc.Engine:
    """One engine with fuel metering for the whole session (engines reserve address space)."""
    return nanoproc.Engine(fuel=True, pooling=16)


@pytest.fixture
def echo() -> nanoproc.Plugin:
    """The echo plugin with the default policy, closed after the test."""
    with nanoproc.Plugin(PLUGINS / "echo.wasm") as p:
        yield p
