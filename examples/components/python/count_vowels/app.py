"""count_vowels: a plugin component (world nanoproc:plugin/plugin, wit/plugin.wit at the
repository root) in Python, built by componentize-py. Same functions and output as the Rust
one (examples/components/rust/count_vowels):

- count_vowels: text -> {"count":N,"total":M,"vowels":"aeiouAEIOU"}: N characters of the input
  in the vowel set (invalid UTF-8 counts as non-vowels), M input bytes; config key `vowels`
  replaces the vowel set.
- echo: returns its input.
- fail: fails with "failing on purpose".
- log: logs its input (lossy UTF-8) at info level, returns empty output.
- call_host: returns b"plugin got: " + the output of host function host::greet called with the
  input; the host's error, if any, is this call's error.
"""

import json
from typing import List

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import host

DEFAULT_VOWELS = "aeiouAEIOU"
FUNCTIONS = ["count_vowels", "echo", "fail", "log", "call_host"]


def count_vowels(data: bytes) -> bytes:
    vowels = host.config_get("vowels")
    if vowels is None:
        vowels = DEFAULT_VOWELS
    text = data.decode("utf-8", errors="replace")
    count = sum(1 for c in text if c in vowels)
    # The same bytes as Rust's serde_json: no spaces, non-ASCII characters unescaped.
    out = {"count": count, "total": len(data), "vowels": vowels}
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Handler(exports.Handler):
    def functions(self) -> List[str]:
        return list(FUNCTIONS)

    def call(self, name: str, input: bytes) -> bytes:
        if name == "count_vowels":
            return count_vowels(input)
        if name == "echo":
            return input
        if name == "fail":
            raise Err("failing on purpose")
        if name == "log":
            host.log(host.Level.INFO, input.decode("utf-8", errors="replace"))
            return b""
        if name == "call_host":
            # An Err raised by the host call is this call's error, unchanged.
            return b"plugin got: " + host.call_host("host::greet", input)
        raise Err(f"no function `{name}` in this plugin (it has: {', '.join(FUNCTIONS)})")
