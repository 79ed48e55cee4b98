"""`nanoproc.Plugin`: calls, isolation modes, errors, limits, closing."""

from __future__ import annotations

import json
import struct
import threading

import pytest

import nanoproc
from conftest import COUNTER_WAT, PLUGINS


def test_echo_functions(echo):
    assert echo.name == "echo"
    assert echo.functions == ["echo", "fail", "grow", "log", "noop", "spin", "trap"]
    assert not echo.is_component
    assert echo.call("echo", b"hello") == b"hello"
    assert echo.call("echo") == b""
    assert echo.call("noop", b"ignored") == b""
    assert echo.call("log", b"a log line") == b""
    big = bytes(range(256)) * 4096
    assert echo.call("echo", big) == big


def test_input_buffers(echo):
    assert echo.call("echo", bytearray(b"ba")) == b"ba"
    assert echo.call("echo", memoryview(b"xmvx")[1:3]) == b"mv"
    out = echo.call("echo", b"bytes")
    assert type(out) is bytes
    with pytest.raises(TypeError, match="encode text"):
        echo.call("echo", "text")
    with pytest.raises(TypeError):
        echo.call("echo", 42)


def test_fail_is_a_plugin_error(echo):
    with pytest.raises(nanoproc.PluginError) as raised:
        echo.call("fail")
    e = raised.value
    assert str(e) == "plugin error: failing on purpose"
    assert (e.kind, e.detail, e.exit_code) == ("plugin error", "failing on purpose", 1)
    assert isinstance(e, nanoproc.NanoprocError)


def test_trap_is_a_trap(echo):
    with pytest.raises(nanoproc.Trap, match="^guest trap: .*unreachable") as raised:
        echo.call("trap")
    assert raised.value.exit_code == 123
    # The plugin is still usable: each call has its own sandbox.
    assert echo.call("echo", b"after") == b"after"


def test_unknown_function_is_an_abi_violation(echo):
    with pytest.raises(nanoproc.AbiViolation, match="has no function `nope`; it exports: echo, fail"):
        echo.call("nope")


def test_count_vowels_with_config():
    with nanoproc.Plugin(PLUGINS / "count_vowels.wasm") as p:
        assert json.loads(p.call("count_vowels", b"Hello, World")) == {"count": 3, "total": 12, "vowels": "aeiouAEIOU"}
    with nanoproc.Plugin(PLUGINS / "count_vowels.wasm", config={"vowels": "lo"}) as p:
        assert json.loads(p.call("count_vowels", b"Hello, World")) == {"count": 5, "total": 12, "vowels": "lo"}


def test_fresh_sandbox_per_call_but_state_persists_in_an_instance():
    with nanoproc.Plugin(COUNTER_WAT, name="counter") as p:
        assert p.functions == ["count", "fail", "trap"]
        count = lambda target: struct.unpack("<i", target.call("count"))[0]  # noqa: E731
        assert [count(p) for _ in range(3)] == [1, 1, 1]
        with p.instance() as inst:
            assert [count(inst) for _ in range(3)] == [1, 2, 3]
            # A plugin-reported failure keeps the instance...
            with pytest.raises(nanoproc.PluginError, match="failing on purpose"):
                inst.call("fail")
            assert count(inst) == 4
            # ...a trap replaces it with a fresh one.
            with pytest.raises(nanoproc.Trap):
                inst.call("trap")
            assert count(inst) == 1
            assert count(inst) == 2
        # Instances are independent of each other.
        a, b = p.instance(), p.instance()
        assert (count(a), count(a), count(b)) == (1, 2, 1)


def test_instance_of_a_real_plugin(echo):
    inst = echo.instance()
    assert inst.name == "echo"
    assert inst.call("echo", b"x" * 70_000) == b"x" * 70_000
    with pytest.raises(nanoproc.TimeLimit):
        inst.call("spin", timeout=0.1)
    assert inst.call("echo", b"still works") == b"still works"


def test_closed_plugin_raises_a_clear_error():
    p = nanoproc.Plugin(PLUGINS / "echo.wasm")
    inst = p.instance()
    p.close()
    assert p.closed
    with pytest.raises(ValueError, match="plugin `echo` is closed"):
        p.call("echo", b"x")
    with pytest.raises(ValueError, match="is closed"):
        p.instance()
    p.close()  # closing twice is fine
    # The instance made before is independent, until it is closed too.
    assert inst.call("echo", b"y") == b"y"
    inst.close()
    assert inst.closed
    with pytest.raises(ValueError, match="instance of plugin `echo` is closed"):
        inst.call("echo", b"y")


def test_context_manager_closes():
    with nanoproc.Plugin(PLUGINS / "echo.wasm") as p:
        with p.instance() as inst:
            inst.call("noop")
        assert inst.closed
    assert p.closed
    assert "closed" in repr(p)


def test_timeout_stops_a_spinning_call(echo):
    with pytest.raises(nanoproc.TimeLimit) as raised:
        echo.call("spin", timeout=0.1)
    assert str(raised.value) == (
        "time limit: the call ran longer than 100ms; raise the limit with --timeout or limits.timeout"
    )
    events = echo.audit_events()
    assert any(e.kind == "limit.timeout" and e.decision == "denied" for e in events)


def test_policy_timeout_applies_to_every_call():
    with nanoproc.Plugin(PLUGINS / "echo.wasm", policy=nanoproc.Policy(timeout="50ms")) as p:
        with pytest.raises(nanoproc.TimeLimit, match="50ms"):
            p.call("spin")
        # A per-call option overrides it.
        with pytest.raises(nanoproc.TimeLimit, match="120ms"):
            p.call("spin", timeout=0.12)


def test_memory_limit_stops_a_growing_call(echo):
    with pytest.raises(nanoproc.MemoryLimit, match="16 MiB") as raised:
        echo.call("grow", max_memory="16MiB")
    assert raised.value.exit_code == 121
    policy = nanoproc.Policy(max_memory=8 << 20)
    with nanoproc.Plugin(PLUGINS / "echo.wasm", policy=policy) as p:
        with pytest.raises(nanoproc.MemoryLimit):
            p.call("grow")
        assert any(e.kind == "limit.memory" for e in p.audit_events())


def test_fuel_limit(fuel_engine):
    with nanoproc.Plugin(PLUGINS / "echo.wasm", engine=fuel_engine, policy=nanoproc.Policy(fuel=1_000_000)) as p:
        assert p.call("echo", b"fits") == b"fits"
        with pytest.raises(nanoproc.FuelLimit, match="1000000 units of fuel"):
            p.call("spin")
        # A per-call budget overrides the policy's: too little for what passes above.
        assert p.call("echo", b"x" * 1000) == b"x" * 1000
        with pytest.raises(nanoproc.FuelLimit):
            p.call("echo", b"x" * 1000, fuel=100)


def test_per_call_fuel_needs_a_fuel_engine(echo):
    with pytest.raises(nanoproc.PolicyError, match="fuel metering"):
        echo.call("noop", fuel=1000)


def test_bad_call_options(echo):
    with pytest.raises(nanoproc.PolicyError, match="timeout must be greater than zero"):
        echo.call("noop", timeout=0)
    with pytest.raises(nanoproc.PolicyError, match="max_memory"):
        echo.call("noop", max_memory="lots")
    with pytest.raises(nanoproc.PolicyError, match="fuel"):
        echo.call("noop", fuel=-1)


def test_invalid_plugin_bytes():
    with pytest.raises(nanoproc.InvalidModule):
        nanoproc.Plugin(b"\x00asm\x01\x00\x00\x00\xff")
    with pytest.raises(nanoproc.InvalidModule, match="not a nanoproc plugin"):
        nanoproc.Plugin(b"(module)")


def test_missing_plugin_file_is_an_io_error(tmp_path):
    with pytest.raises(nanoproc.IoError, match="nope.wasm") as raised:
        nanoproc.Plugin(tmp_path / "nope.wasm")
    assert raised.value.kind == "io error"


def test_plugin_from_bytes_and_name():
    code = (PLUGINS / "echo.wasm").read_bytes()
    with nanoproc.Plugin(code, name="mine") as p:
        assert p.name == "mine"
        assert p.call("echo", b"b") == b"b"
        with pytest.raises(nanoproc.PluginError, match="failing"):
            p.call("fail")


def test_cancel_from_another_thread(echo):
    result = {}

    def spin():
        try:
            echo.call("spin", timeout=30)
        except nanoproc.NanoprocError as e:
            result["error"] = e

    t = threading.Thread(target=spin)
    t.start()
    # Cancel until the call in flight sees it (a cancel before it starts does not count).
    while t.is_alive():
        echo.cancel()
        t.join(0.01)
    e = result["error"]
    assert isinstance(e, nanoproc.Cancelled), e
    assert str(e) == "cancelled: the call was cancelled by the host"
    assert e.exit_code == 124
    # Later calls run normally.
    assert echo.call("echo", b"x") == b"x"


def test_cancel_reaches_instances_too(echo):
    inst = echo.instance()
    result = {}

    def spin():
        try:
            inst.call("spin", timeout=30)
        except nanoproc.NanoprocError as e:
            result["error"] = e

    t = threading.Thread(target=spin)
    t.start()
    while t.is_alive():
        echo.cancel()
        t.join(0.01)
    assert isinstance(result["error"], nanoproc.Cancelled)
    assert inst.call("echo", b"z") == b"z"


def test_gil_is_released_while_the_guest_runs(echo):
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        before = len(ticks)
        with pytest.raises(nanoproc.TimeLimit):
            echo.call("spin", timeout=0.5)
        during = len(ticks) - before
    finally:
        stop.set()
        t.join()
    # With the GIL held for 0.5 s the ticker could not have run at all meanwhile.
    assert during >= 20, during


def test_concurrent_calls_from_many_threads(echo):
    errors, results = [], {}

    def worker(i):
        try:
            for j in range(50):
                data = f"{i}-{j}".encode()
                assert echo.call("echo", data) == data
            results[i] = True
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 8


def test_instance_used_from_two_threads_serialises():
    with nanoproc.Plugin(COUNTER_WAT) as p:
        inst = p.instance()

        def worker():
            for _ in range(200):
                inst.call("count")

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert struct.unpack("<i", inst.call("count"))[0] == 801


def test_audit_false_keeps_no_trail():
    with nanoproc.Plugin(PLUGINS / "echo.wasm", audit=False) as p:
        with pytest.raises(ValueError, match="audit=False"):
            p.audit_events()


def test_repr(echo):
    assert repr(echo) == "Plugin(name='echo', functions=['echo', 'fail', 'grow', 'log', 'noop', 'spin', 'trap'])"
    assert repr(echo.instance()) == "PluginInstance(name='echo')"
    policy = nanoproc.Policy(max_memory="64MiB", timeout=2, allow_host_fns=["host::greet"])
    assert repr(policy) == "Policy(allow_host_fns=['host::greet'], max_memory='64 MiB', timeout='2s')"


def test_a_full_pool_is_host_exhausted():
    engine = nanoproc.Engine(pooling=1)
    with nanoproc.Plugin(PLUGINS / "echo.wasm", engine=engine) as p:
        inst = p.instance()  # holds the only slot
        with pytest.raises(nanoproc.HostExhausted, match="pool") as raised:
            p.call("noop")
        assert raised.value.exit_code == 120
        assert raised.value.kind == "host resources exhausted"
        inst.close()  # frees the slot
        assert p.call("echo", b"ok") == b"ok"


def test_the_audit_trail_is_bounded():
    hits = nanoproc.MAX_AUDIT_EVENTS + 5
    with nanoproc.Plugin(
        PLUGINS / "call_host.wasm",
        policy=nanoproc.Policy(allow_host_fns=["host::greet"]),
        host_functions={"host::greet": lambda b: b},
    ) as p:
        with p.instance() as inst:
            for _ in range(hits):
                inst.call("call_host", b"x")
        assert p.audit_dropped == 5
        assert len(p.audit_events()) == nanoproc.MAX_AUDIT_EVENTS
        assert p.audit_events() == []
