"""Per-call overhead of plugin calls from Python: nanoproc vs wasmtime-py vs Extism.

    bash sdks/python/bench/run.sh            # installs what it needs, then runs this
    python sdks/python/bench/bench.py [--quick] [--extism-guest PATH]

Four cases, the same guest logic in each contender:

  warm_noop       call `noop` (empty in, empty out) in an instance kept alive
  warm_echo_64k   call `echo` with 64 KiB in an instance kept alive (64 KiB back)
  fresh_noop      a fresh sandbox (new instance, new memory) per call, then `noop`
  fresh_echo_64k  a fresh sandbox per call, then `echo` with 64 KiB

Contenders:

  python              nanoproc (this package): PluginInstance.call (warm), Plugin.call (fresh),
                      on examples/plugins/bin/echo.wasm
  python:wasmtime-py  PyPI `wasmtime`, the same echo.wasm, the plugin ABI done in Python:
                      nanoproc_alloc, copy in, call, unpack (ptr << 32) | len, copy out; fresh =
                      a new Store + Instance per call
  python:extism       PyPI `extism`, the Extism twin of echo (benches/plugins/extism-guest);
                      warm = one Plugin, fresh = Plugin(CompiledPlugin) per call

Timing is timeit-style: calls run in batches of a calibrated size (~2 ms each), garbage
collection off; each batch gives a mean per call, and the report shows the median and the
99th percentile of those means, in nanoseconds. Besides the table it prints one machine line
per measurement, `RESULT <contender> <case> <median_ns> <p99_ns>`, and the goal checks.
"""

from __future__ import annotations

import argparse
import gc
import os
import pathlib
import platform
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

REPO = pathlib.Path(__file__).resolve().parents[3]
ECHO = REPO / "examples" / "plugins" / "bin" / "echo.wasm"
PAYLOAD = bytes(range(256)) * 256  # 64 KiB
CASES = ["warm_noop", "warm_echo_64k", "fresh_noop", "fresh_echo_64k"]
GOALS = {"warm_noop": 500, "fresh_noop": 10_000}  # ns, nanoproc from Python

Loop = Callable[[int], None]


def measure(loop: Loop, batches: int, batch_seconds: float) -> Tuple[float, float]:
    """Median and p99 (ns per call) of `batches` batch means; the batch size is calibrated so
    that one batch takes about `batch_seconds`."""
    loop(1)
    n = 1
    while True:
        t = time.perf_counter_ns()
        loop(n)
        elapsed = time.perf_counter_ns() - t
        if elapsed >= batch_seconds * 1e9 / 4 or n >= 1 << 24:
            break
        n *= 2
    per_call = max(elapsed / n, 1.0)
    size = max(1, int(batch_seconds * 1e9 / per_call))
    means: List[float] = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        loop(size)  # warm-up batch
        for _ in range(batches):
            t = time.perf_counter_ns()
            loop(size)
            means.append((time.perf_counter_ns() - t) / size)
    finally:
        if enabled:
            gc.enable()
    means.sort()
    p99 = means[min(len(means) - 1, int(round(0.99 * (len(means) - 1))))]
    return statistics.median(means), p99


# -- nanoproc ------------------------------------------------------------------------------


def nanoproc_loops() -> Dict[str, Loop]:
    import nanoproc

    plugin = nanoproc.Plugin(ECHO)
    inst = plugin.instance()
    data = PAYLOAD
    assert inst.call("echo", data) == data and plugin.call("echo", data) == data
    assert inst.call("noop") == b"" and plugin.call("noop") == b""
    warm, fresh = inst.call, plugin.call

    def warm_noop(n: int) -> None:
        for _ in range(n):
            warm("noop")

    def warm_echo(n: int) -> None:
        for _ in range(n):
            warm("echo", data)

    def fresh_noop(n: int) -> None:
        for _ in range(n):
            fresh("noop")

    def fresh_echo(n: int) -> None:
        for _ in range(n):
            fresh("echo", data)

    return {"warm_noop": warm_noop, "warm_echo_64k": warm_echo, "fresh_noop": fresh_noop, "fresh_echo_64k": fresh_echo}


# -- wasmtime-py ---------------------------------------------------------------------------


def wasmtime_loops() -> Dict[str, Loop]:
    import wasmtime

    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, str(ECHO))
    linker = wasmtime.Linker(engine)
    i32 = wasmtime.ValType.i32()

    class GuestFailed(Exception):
        pass

    # The two imports echo.wasm has (docs/abi.md): `fail` and `log`; the bench calls neither.
    linker.define_func(
        "nanoproc", "fail", wasmtime.FuncType([i32, i32], []), lambda ptr, length: None
    )
    linker.define_func(
        "nanoproc", "log", wasmtime.FuncType([i32, i32, i32], []), lambda level, ptr, length: None
    )

    class Sandbox:
        """One Store + Instance, with the plugin ABI's host side."""

        def __init__(self) -> None:
            self.store = wasmtime.Store(engine)
            instance = linker.instantiate(self.store, module)
            exports = instance.exports(self.store)
            self.memory = exports["memory"]
            self.alloc = exports["nanoproc_alloc"]
            self.funcs = {"noop": exports["noop"], "echo": exports["echo"]}

        def call(self, name: str, data: bytes = b"") -> bytes:
            store = self.store
            ptr = 0
            if data:
                ptr = self.alloc(store, len(data))
                if ptr == 0:
                    raise GuestFailed("nanoproc_alloc returned 0")
                self.memory.write(store, data, ptr)
            packed = self.funcs[name](store, ptr, len(data)) & 0xFFFF_FFFF_FFFF_FFFF
            out_ptr, out_len = packed >> 32, packed & 0xFFFF_FFFF
            if out_len == 0:
                return b""
            return self.memory.read(store, out_ptr, out_ptr + out_len)

    warm = Sandbox()
    data = PAYLOAD
    assert warm.call("echo", data) == data and warm.call("noop") == b""
    assert Sandbox().call("echo", data) == data
    wcall = warm.call

    def warm_noop(n: int) -> None:
        for _ in range(n):
            wcall("noop")

    def warm_echo(n: int) -> None:
        for _ in range(n):
            wcall("echo", data)

    def fresh_noop(n: int) -> None:
        for _ in range(n):
            Sandbox().call("noop")

    def fresh_echo(n: int) -> None:
        for _ in range(n):
            Sandbox().call("echo", data)

    return {"warm_noop": warm_noop, "warm_echo_64k": warm_echo, "fresh_noop": fresh_noop, "fresh_echo_64k": fresh_echo}


# -- Extism --------------------------------------------------------------------------------


def extism_loops(guest: pathlib.Path) -> Dict[str, Loop]:
    import extism
    from extism.extism import CompiledPlugin  # not re-exported by extism 1.1.1's __init__

    compiled = CompiledPlugin(guest.read_bytes(), wasi=False, functions=[])
    warm = extism.Plugin(compiled)
    data = PAYLOAD
    assert warm.call("echo", data) == data and warm.call("noop", b"") == b""
    assert extism.Plugin(compiled).call("echo", data) == data
    wcall, Plugin = warm.call, extism.Plugin

    def warm_noop(n: int) -> None:
        for _ in range(n):
            wcall("noop", b"")

    def warm_echo(n: int) -> None:
        for _ in range(n):
            wcall("echo", data)

    def fresh_noop(n: int) -> None:
        for _ in range(n):
            Plugin(compiled).call("noop", b"")

    def fresh_echo(n: int) -> None:
        for _ in range(n):
            Plugin(compiled).call("echo", data)

    return {"warm_noop": warm_noop, "warm_echo_64k": warm_echo, "fresh_noop": fresh_noop, "fresh_echo_64k": fresh_echo}


def version(dist: str) -> str:
    try:
        from importlib.metadata import version as v

        return v(dist)
    except Exception:
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer, shorter batches (a smoke run)")
    ap.add_argument("--batches", type=int, default=None, help="batches per measurement (default 200, quick 20)")
    ap.add_argument("--extism-guest", type=pathlib.Path, default=None, help="the Extism echo guest (.wasm)")
    ap.add_argument("--only", default=None, help="comma-separated contenders to run")
    args = ap.parse_args()
    batches = args.batches or (20 if args.quick else 200)
    batch_seconds = 0.001 if args.quick else 0.002

    contenders: List[Tuple[str, Callable[[], Dict[str, Loop]]]] = [
        ("python", nanoproc_loops),
        ("python:wasmtime-py", wasmtime_loops),
    ]
    if args.extism_guest is not None and args.extism_guest.is_file():
        guest = args.extism_guest
        contenders.append(("python:extism", lambda: extism_loops(guest)))
    else:
        print(f"SKIP python:extism: no Extism guest ({args.extism_guest or 'pass --extism-guest PATH'})")
    if args.only:
        keep = set(args.only.split(","))
        contenders = [c for c in contenders if c[0] in keep]

    print(
        f"# Python plugin-call overhead ({platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs; nanoproc {version('nanoproc')}, "
        f"wasmtime-py {version('wasmtime')}, extism {version('extism')}; {batches} batches of ~{batch_seconds * 1e3:g} ms)"
    )
    results: Dict[Tuple[str, str], Tuple[float, float]] = {}
    for name, make in contenders:
        try:
            loops = make()
        except Exception as e:  # a contender that cannot run is reported, the rest go on
            print(f"SKIP {name}: {type(e).__name__}: {e}")
            continue
        for case in CASES:
            med, p99 = measure(loops[case], batches, batch_seconds)
            results[(name, case)] = (med, p99)
            print(f"RESULT {name} {case} {med:.0f} {p99:.0f}", flush=True)

    names = [n for n, _ in contenders if any((n, c) in results for c in CASES)]
    print()
    print("| case | " + " | ".join(f"{n} median / p99 (ns)" for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for case in CASES:
        cells = []
        for n in names:
            r = results.get((n, case))
            cells.append("-" if r is None else f"{r[0]:,.0f} / {r[1]:,.0f}")
        print(f"| {case} | " + " | ".join(cells) + " |")
    print()
    for case, goal in GOALS.items():
        r = results.get(("python", case))
        if r is None:
            print(f"GOAL python {case} <= {goal} ns: not measured")
        else:
            print(f"GOAL python {case} <= {goal} ns: {'yes' if r[0] <= goal else 'no'} (median {r[0]:,.0f} ns)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
