"""Plugins written as components (`nanoproc:plugin` world) behind the same Plugin API."""

from __future__ import annotations

import json

import pytest

import nanoproc
from conftest import COMPONENTS

COUNT_VOWELS = COMPONENTS / "count_vowels.wasm"


def test_component_plugin_calls():
    with nanoproc.Plugin(COUNT_VOWELS) as p:
        assert p.is_component
        assert p.name == "count_vowels"
        assert p.functions == ["call_host", "count_vowels", "echo", "fail", "log"]
        assert json.loads(p.call("count_vowels", b"Hello, World")) == {"count": 3, "total": 12, "vowels": "aeiouAEIOU"}
        assert p.call("echo", b"\x00\xff") == b"\x00\xff"
        with pytest.raises(nanoproc.PluginError, match="failing on purpose"):
            p.call("fail")
        with pytest.raises(nanoproc.AbiViolation, match="has no function `nope`"):
            p.call("nope")


def test_component_config():
    with nanoproc.Plugin(COUNT_VOWELS, config={"vowels": "lo"}) as p:
        assert json.loads(p.call("count_vowels", b"Hello, World"))["count"] == 5


def test_component_instance_and_limits():
    with nanoproc.Plugin(COUNT_VOWELS) as p:
        with p.instance() as inst:
            for _ in range(3):
                assert inst.call("echo", b"again") == b"again"
        with pytest.raises(nanoproc.MemoryLimit):
            p.call("echo", b"x", max_memory=64 << 10)


def test_component_host_function_granted_and_denied():
    calls = []

    def greet(name: bytes) -> bytes:
        calls.append(name)
        return b"hi " + name

    granted = nanoproc.Policy(allow_host_fns=["host::greet"])
    with nanoproc.Plugin(COUNT_VOWELS, policy=granted, host_functions={"host::greet": greet}) as p:
        assert p.call("call_host", b"py") == b"plugin got: hi py"
        assert calls == [b"py"]
        assert [(e.kind, e.target, e.decision) for e in p.audit_events()] == [("host_fn", "host::greet", "allowed")]
    # A component asks for host functions by name at run time: without the grant, the call is
    # refused (the plugin sees the refusal as its error) and the refusal is audited.
    with nanoproc.Plugin(COUNT_VOWELS, host_functions={"host::greet": greet}) as p:
        with pytest.raises(nanoproc.PluginError, match="may not call host function `host::greet`"):
            p.call("call_host", b"py")
        denied = [e for e in p.audit_events() if e.denied]
        assert [(e.kind, e.target) for e in denied] == [("host_fn", "host::greet")]
        assert "--allow-host-fn host::greet" in denied[0].detail
    assert calls == [b"py"]


def test_a_component_that_is_not_a_plugin_is_refused():
    with pytest.raises(nanoproc.InvalidModule, match="`types` is a component but not a nanoproc plugin"):
        nanoproc.Plugin(COMPONENTS / "types.wasm")
