"""The examples run as a user would run them, and print what they promise."""

from __future__ import annotations

import subprocess
import sys

from conftest import SDK


def run_example(name: str) -> str:
    result = subprocess.run(
        [sys.executable, str(SDK / "examples" / name)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_extend():
    out = run_example("extend.py")
    assert "copied 920 bytes with a budget of 30000 fuel; identical: True" in out
    assert "write into the read-only dir refused: plugin error: /in/c.txt: Operation not permitted" in out
    assert "file created in the input dir: False" in out
    assert "read outside the grants refused: plugin error: /etc/passwd: No such file or directory" in out
    assert "  denied  fs.open   /in/c.txt" in out
    assert "with a budget of 5000 fuel: fuel limit: the guest used all 5000 units of fuel" in out


def test_isolate():
    out = run_example("isolate.py").splitlines()
    assert "call_host(alice)             -> b'plugin got: hello, alice'" in out
    assert any(
        line.startswith("call_host(mallory)           -> HostFunctionError: host function error: `host::greet`: "
                        "PermissionError: mallory is not welcome (caused by PermissionError(")
        for line in out
    )
    assert "call_host(bob)               -> b'plugin got: hello, bob'" in out
    assert "  allowed host_fn  host::greet: granted; failed" in out
    assert any(line.startswith("trap()                       -> Trap: guest trap: ") for line in out)
    assert any(line.startswith("spin() with timeout=0.2      -> TimeLimit: time limit: the call ran longer than 200ms") for line in out)
    assert any(line.startswith("grow() within 16 MiB         -> MemoryLimit: memory limit: ") for line in out)
    assert "echo(after)                  -> b'after'" in out
    assert "  denied  limit.timeout echo" in out
    assert any(line.startswith("ungranted_host.wasm refused at load: denied: plugin `ungranted_host` imports host function `host::launch_missiles`") for line in out)
