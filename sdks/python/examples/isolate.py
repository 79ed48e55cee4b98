"""Isolate: every call of untrusted code in a fresh sandbox, with a host callback in Python.

    python sdks/python/examples/isolate.py

call_host.wasm calls back into the host (`host::greet`, implemented below in Python, granted by
the policy); echo.wasm has functions that trap, spin forever and eat memory. Each call runs in
its own sandbox with its own memory and limits, so a call that misbehaves is stopped and
leaves nothing behind for the next one; the audit trail records what was allowed and denied.
"""

from __future__ import annotations

import pathlib

import nanoproc

REPO = pathlib.Path(__file__).resolve().parents[3]
PLUGINS = REPO / "examples" / "plugins" / "bin"

host = nanoproc.HostFunctions()


@host.register("host::greet")
def greet(name: bytes) -> bytes:
    """The host's side: runs in this Python process, with the GIL, when the plugin calls it."""
    if name == b"mallory":
        raise PermissionError("mallory is not welcome")
    return b"hello, " + name


def attempt(label: str, call) -> None:
    try:
        print(f"{label:28} -> {call()!r}")
    except nanoproc.NanoprocError as e:
        cause = f" (caused by {e.__cause__!r})" if e.__cause__ else ""
        print(f"{label:28} -> {type(e).__name__}: {e}{cause}")


def main() -> None:
    policy = nanoproc.Policy(allow_host_fns=["host::greet"], max_memory="16MiB", timeout=1)
    with nanoproc.Plugin(PLUGINS / "call_host.wasm", policy=policy, host_functions=host) as plugin:
        for name in (b"alice", b"mallory", b"bob"):
            attempt(f"call_host({name.decode()})", lambda: plugin.call("call_host", name))
        print("audit trail of call_host:")
        for event in plugin.audit_events():
            print(f"  {event.decision:7} {event.kind:8} {event.target}: {event.detail}")

    with nanoproc.Plugin(PLUGINS / "echo.wasm", policy=nanoproc.Policy(max_memory="16MiB")) as plugin:
        attempt("echo(before)", lambda: plugin.call("echo", b"before"))
        attempt("trap()", lambda: plugin.call("trap"))
        attempt("spin() with timeout=0.2", lambda: plugin.call("spin", timeout=0.2))
        attempt("grow() within 16 MiB", lambda: plugin.call("grow"))
        attempt("echo(after)", lambda: plugin.call("echo", b"after"))
        print("audit trail of echo:")
        for event in plugin.audit_events():
            print(f"  {event.decision:7} {event.kind:13} {event.target}")

    # A plugin importing a host function its policy does not grant never loads.
    try:
        nanoproc.Plugin(PLUGINS / "ungranted_host.wasm", host_functions={"host::launch_missiles": lambda b: b""})
    except nanoproc.Denied as e:
        print(f"ungranted_host.wasm refused at load: {e}")


if __name__ == "__main__":
    main()
