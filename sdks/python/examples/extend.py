"""Extend: the host copies a file through a WebAssembly plugin.

    python sdks/python/examples/extend.py

The plugin (examples/plugins/bin/copy_file.wasm, Rust on WASI) takes
{"from": "/in/a.txt", "to": "/out/b.txt"} and copies with plain file I/O. It sees exactly two
directories: the input one read-only at /in and the output one writable at /out. Nothing else
of the host exists for it, and a fuel budget bounds how much work it may do.
"""

from __future__ import annotations

import json
import pathlib
import tempfile

import nanoproc

REPO = pathlib.Path(__file__).resolve().parents[3]
COPY_FILE = REPO / "examples" / "plugins" / "bin" / "copy_file.wasm"

# Copying needs about 8,000 units of fuel (measured: the plugin's JSON and path handling and its
# copy loop; the bytes themselves move in host calls, so the size of the file hardly matters).
FUEL = 30_000
TOO_LITTLE_FUEL = 5_000


def request(src: str, dst: str) -> bytes:
    return json.dumps({"from": src, "to": dst}).encode()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = pathlib.Path(tmp, "in"), pathlib.Path(tmp, "out")
        inp.mkdir()
        out.mkdir()
        (inp / "a.txt").write_text("the host's data, copied by a sandboxed plugin\n" * 20)

        # One engine with fuel metering; pooling keeps fresh sandboxes cheap.
        engine = nanoproc.Engine(fuel=True)
        policy = nanoproc.Policy(
            dirs=[nanoproc.Dir(inp, "/in"), nanoproc.Dir(out, "/out", writable=True)],
            fuel=FUEL,
            max_memory="16MiB",
            timeout=5,
        )
        with nanoproc.Plugin(COPY_FILE, policy=policy, engine=engine) as plugin:
            result = json.loads(plugin.call("copy_file", request("/in/a.txt", "/out/b.txt")))
            same = (out / "b.txt").read_bytes() == (inp / "a.txt").read_bytes()
            print(f"copied {result['bytes']} bytes with a budget of {FUEL} fuel; identical: {same}")

            # The input directory is read-only: the plugin's write fails, nothing is written.
            try:
                plugin.call("copy_file", request("/in/a.txt", "/in/c.txt"))
            except nanoproc.PluginError as e:
                print(f"write into the read-only dir refused: {e}")
            print(f"file created in the input dir: {(inp / 'c.txt').exists()}")

            # Nothing outside the two directories exists for it.
            try:
                plugin.call("copy_file", request("/etc/passwd", "/out/passwd"))
            except nanoproc.PluginError as e:
                print(f"read outside the grants refused: {e}")

            # Every sandbox records its two grants (fs.mount); then what the plugin did.
            events = plugin.audit_events()
            mounts = sum(e.kind == "fs.mount" for e in events)
            print(f"audit trail ({mounts} fs.mount events: the two grants, once per sandbox):")
            for event in events:
                if event.kind != "fs.mount":
                    print(f"  {event.decision:7} {event.kind:9} {event.target}")

        # The same copy with too little fuel is stopped, however the plugin is written.
        stingy = nanoproc.Policy(
            dirs=[nanoproc.Dir(inp, "/in"), nanoproc.Dir(out, "/out", writable=True)], fuel=TOO_LITTLE_FUEL
        )
        with nanoproc.Plugin(COPY_FILE, policy=stingy, engine=engine) as plugin:
            try:
                plugin.call("copy_file", request("/in/a.txt", "/out/d.txt"))
            except nanoproc.FuelLimit as e:
                print(f"with a budget of {TOO_LITTLE_FUEL} fuel: {e}")


if __name__ == "__main__":
    main()
