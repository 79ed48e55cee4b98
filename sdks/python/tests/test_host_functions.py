"""Host functions in Python: grants, failures, the audit trail, the GIL inside callbacks."""

from __future__ import annotations

import threading

import pytest

import nanoproc
from conftest import PLUGINS

CALL_HOST = PLUGINS / "call_host.wasm"
GRANT = nanoproc.Policy(allow_host_fns=["host::greet"])


def greet(name: bytes) -> bytes:
    return b"hello, " + name


def test_granted_host_function_is_called():
    with nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions={"host::greet": greet}) as p:
        assert p.call("call_host", b"world") == b"plugin got: hello, world"
        events = p.audit_events()
        assert [(e.kind, e.target, e.decision, e.detail) for e in events] == [
            ("host_fn", "host::greet", "allowed", "granted; returned")
        ]
        # Draining empties the trail; clear=False keeps it.
        assert p.audit_events() == []
        p.call("call_host", b"again")
        assert len(p.audit_events(clear=False)) == 1
        assert len(p.audit_events()) == 1


def test_namespace_wildcard_grant():
    policy = nanoproc.Policy(allow_host_fns=["host::*"])
    with nanoproc.Plugin(CALL_HOST, policy=policy, host_functions={"host::greet": greet}) as p:
        assert p.call("call_host", b"x") == b"plugin got: hello, x"


def test_ungranted_host_function_is_denied_at_load():
    with pytest.raises(nanoproc.Denied) as raised:
        nanoproc.Plugin(CALL_HOST, host_functions={"host::greet": greet})
    e = raised.value
    assert e.kind == "denied" and e.exit_code == 125
    assert "imports host function `host::greet`, which its policy does not grant" in str(e)
    assert 'host_functions = ["host::greet"]' in str(e)
    # Granting another function does not grant this one.
    with pytest.raises(nanoproc.Denied, match="does not grant"):
        nanoproc.Plugin(
            CALL_HOST,
            policy=nanoproc.Policy(allow_host_fns=["host::other"]),
            host_functions={"host::greet": greet},
        )


def test_granted_but_not_provided_is_denied_at_load():
    with pytest.raises(nanoproc.Denied, match="which this host does not provide"):
        nanoproc.Plugin(CALL_HOST, policy=GRANT)


def test_python_exception_becomes_a_host_function_error():
    def broken(_: bytes) -> bytes:
        raise KeyError("no such user")

    with nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions={"host::greet": broken}) as p:
        with pytest.raises(nanoproc.HostFunctionError) as raised:
            p.call("call_host", b"x")
        e = raised.value
        assert str(e) == "host function error: `host::greet`: KeyError: 'no such user'"
        assert e.exit_code == 123
        assert isinstance(e.__cause__, KeyError)
        assert e.__cause__.args == ("no such user",)
        events = p.audit_events()
        assert [(ev.kind, ev.detail) for ev in events] == [("host_fn", "granted; failed")]
        # The plugin keeps working.
        with pytest.raises(nanoproc.HostFunctionError):
            p.call("call_host", b"y")


def test_host_function_returning_the_wrong_type():
    with nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions={"host::greet": lambda _: 42}) as p:
        with pytest.raises(nanoproc.HostFunctionError, match="returned int; host functions return bytes"):
            p.call("call_host", b"x")


@pytest.mark.parametrize(
    "result, expected",
    [(b"b", b"b"), (bytearray(b"ba"), b"ba"), (memoryview(b"mv"), b"mv"), ("text \u00e9", "text \u00e9".encode()), (None, b"")],
)
def test_host_function_results(result, expected):
    with nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions={"host::greet": lambda _: result}) as p:
        assert p.call("call_host", b"x") == b"plugin got: " + expected


def test_host_functions_registry_decorator():
    hf = nanoproc.HostFunctions()

    @hf.register("host::greet")
    def shout(name: bytes) -> bytes:
        return name.upper()

    assert shout(b"a") == b"A"  # returned unchanged
    with nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions=hf) as p:
        assert p.call("call_host", b"quiet") == b"plugin got: QUIET"
    with pytest.raises(ValueError, match="namespace::name"):
        hf.register("greet")


def test_bad_host_function_arguments():
    with pytest.raises(ValueError, match="namespace::name"):
        nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions={"greet": greet})
    with pytest.raises(TypeError, match="must be callable"):
        nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions={"host::greet": b"not callable"})
    with pytest.raises(TypeError, match="host_functions takes a dict"):
        nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions=[greet])


def test_host_function_runs_with_the_gil_while_other_threads_run():
    seen = []

    def record(name: bytes) -> bytes:
        seen.append(threading.current_thread().name)
        return name

    with nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions={"host::greet": record}) as p:
        threads = [threading.Thread(target=p.call, args=("call_host", b"t"), name=f"t{i}") for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(seen) == ["t0", "t1", "t2", "t3"]


def test_host_function_may_call_another_plugin():
    with nanoproc.Plugin(PLUGINS / "echo.wasm") as echo:

        def via_echo(name: bytes) -> bytes:
            return echo.call("echo", b"echoed " + name)

        with nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions={"host::greet": via_echo}) as p:
            assert p.call("call_host", b"x") == b"plugin got: echoed x"


def test_instance_reentry_from_a_host_function_is_refused():
    holder = {}

    def reenter(_: bytes) -> bytes:
        return holder["inst"].call("call_host", b"inner")

    with nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions={"host::greet": reenter}) as p:
        holder["inst"] = p.instance()
        with pytest.raises(nanoproc.HostFunctionError, match="RuntimeError: an instance of plugin `call_host` was used from inside one of its own calls") as raised:
            holder["inst"].call("call_host", b"outer")
        assert isinstance(raised.value.__cause__, RuntimeError)


def test_cancel_while_in_a_host_function():
    started = threading.Event()
    release = threading.Event()

    def slow(name: bytes) -> bytes:
        started.set()
        release.wait(5)
        return name

    with nanoproc.Plugin(CALL_HOST, policy=GRANT, host_functions={"host::greet": slow}) as p:
        result = {}

        def call():
            try:
                result["out"] = p.call("call_host", b"x")
            except nanoproc.NanoprocError as e:
                result["error"] = e

        t = threading.Thread(target=call)
        t.start()
        assert started.wait(5)
        p.cancel()
        release.set()
        t.join()
        assert isinstance(result.get("error"), nanoproc.Cancelled), result
