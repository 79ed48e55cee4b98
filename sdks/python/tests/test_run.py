"""`nanoproc.run`: WASI programs under a policy, their Outcome, limits and denials."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib

import pytest

import nanoproc
from conftest import CAT_STDIN_WAT, GUESTS


def test_hello_runs_and_output_is_captured():
    out = nanoproc.run(GUESTS / "hello.wasm")
    assert out.status == "exited"
    assert out.exit_code == 0 and out.ok
    assert out.stdout == b"hello from a nano-process\n"
    assert out.stderr == b""
    assert out.error is None
    assert out.check() is out
    assert out.usage.stdout_bytes == len(out.stdout)
    assert out.usage.peak_memory_bytes > 0
    assert out.usage.wall_time > 0
    assert out.usage.fuel_consumed is None
    assert [e.kind for e in out.events][-1] == "exit"


def test_preview2_component_runs():
    out = nanoproc.run(str(GUESTS / "hello_p2.wasm"))
    assert (out.exit_code, out.stdout) == (0, b"hello from a nano-process\n")


def test_output_goes_to_the_host_streams_without_capture(capfd):
    out = nanoproc.run(GUESTS / "hello.wasm", policy=nanoproc.Policy(capture_output=False))
    assert out.stdout == b""
    assert "hello from a nano-process" in capfd.readouterr().out


def test_stdin_bytes_reach_the_guest():
    out = nanoproc.run(CAT_STDIN_WAT, stdin=b"piped in\x00\xff")
    assert out.stdout == b"piped in\x00\xff"
    policy = nanoproc.Policy(stdin=bytearray(b"from the policy"))
    assert nanoproc.run(CAT_STDIN_WAT, policy=policy).stdout == b"from the policy"
    # Default: stdin is empty.
    assert nanoproc.run(CAT_STDIN_WAT).stdout == b""


def test_cat_reads_only_granted_dirs(tmp_path: pathlib.Path):
    (tmp_path / "a.txt").write_bytes(b"granted text\n")
    denied = nanoproc.run(GUESTS / "cat.wasm", args=["/data/a.txt"])
    assert denied.exit_code == 1
    assert b"No such file or directory" in denied.stderr
    assert denied.stdout == b""
    policy = nanoproc.Policy(dirs=[(tmp_path, "/data")])
    out = nanoproc.run(GUESTS / "cat.wasm", policy=policy, args=["/data/a.txt"])
    assert (out.exit_code, out.stdout) == (0, b"granted text\n")
    assert any(e.kind == "fs.mount" and e.decision == "allowed" for e in out.events)


def test_copy_with_a_read_only_and_a_writable_dir(tmp_path: pathlib.Path):
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    dst.mkdir()
    (src / "a.txt").write_bytes(b"x" * 100_000)
    policy = nanoproc.Policy(dirs=[nanoproc.Dir(src, "/in"), nanoproc.Dir(dst, "/out", writable=True)])
    out = nanoproc.run(GUESTS / "copy.wasm", policy=policy, args=["/in/a.txt", "/out/b.txt"])
    assert out.exit_code == 0, out.stderr
    assert (dst / "b.txt").read_bytes() == b"x" * 100_000
    # The same copy into the read-only dir fails, and writes nothing.
    out = nanoproc.run(GUESTS / "copy.wasm", policy=policy, args=["/in/a.txt", "/in/c.txt"])
    assert out.exit_code == 1
    assert b"copy: /in/c.txt" in out.stderr
    assert not (src / "c.txt").exists()


@pytest.mark.parametrize("mode", ["ro", False, None])
def test_writing_to_a_read_only_dir_is_refused(tmp_path: pathlib.Path, mode):
    entry = (tmp_path, "/sb") if mode is None else (tmp_path, "/sb", mode)
    out = nanoproc.run(
        GUESTS / "fs.wasm", policy=nanoproc.Policy(dirs=[entry]), args=["write", "/sb/new.txt", "data"]
    )
    assert out.exit_code == 1
    assert out.stdout.splitlines()[-1].startswith(b"error: ")
    assert not (tmp_path / "new.txt").exists()


@pytest.mark.parametrize("mode", ["rw", True])
def test_writing_to_a_writable_dir_works(tmp_path: pathlib.Path, mode):
    out = nanoproc.run(
        GUESTS / "fs.wasm",
        policy=nanoproc.Policy(dirs=[(tmp_path, "/sb", mode)]),
        args=["write", "/sb/new.txt", "data"],
    )
    assert out.exit_code == 0, out.stdout
    assert (tmp_path / "new.txt").read_bytes() == b"data"


def test_escaping_a_dir_is_refused(tmp_path: pathlib.Path):
    out = nanoproc.run(
        GUESTS / "fs.wasm", policy=nanoproc.Policy(dirs=[(tmp_path, "/sb")]), args=["read", "/sb/../etc/passwd"]
    )
    assert out.exit_code == 1
    assert b"root:" not in out.stdout


def test_environment_is_denied_by_default(monkeypatch):
    monkeypatch.setenv("NANOPROC_PY_SECRET", "hunter2")
    assert nanoproc.run(GUESTS / "env.wasm").stdout == b""
    out = nanoproc.run(GUESTS / "env.wasm", policy=nanoproc.Policy(env={"LANG": "C"}))
    assert out.stdout == b"LANG=C\n"
    out = nanoproc.run(GUESTS / "env.wasm", policy=nanoproc.Policy(inherit_env=["NANOPROC_PY_SECRET"]))
    assert out.stdout == b"NANOPROC_PY_SECRET=hunter2\n"


def test_args_of_run_replace_the_policys():
    policy = nanoproc.Policy(args=["3"])
    assert nanoproc.run(GUESTS / "exit.wasm", policy=policy).exit_code == 3
    assert nanoproc.run(GUESTS / "exit.wasm", policy=policy, args=["7"]).exit_code == 7
    assert policy.args == ["3"]


def test_output_limit_stops_a_flood():
    out = nanoproc.run(GUESTS / "flood.wasm", policy=nanoproc.Policy(max_output="64KiB"))
    assert out.status == "stopped"
    assert isinstance(out.error, nanoproc.OutputLimit)
    assert out.exit_code == 122 == out.error.exit_code
    assert out.error.kind == "output limit"
    assert str(out.error).startswith("output limit: ")
    assert "--max-output" in str(out.error)
    assert len(out.stdout) <= 64 * 1024
    assert any(e.kind == "limit.output" for e in out.denials)
    with pytest.raises(nanoproc.OutputLimit):
        out.check()
    with pytest.raises(nanoproc.OutputLimit) as raised:
        nanoproc.run(GUESTS / "flood.wasm", policy=nanoproc.Policy(max_output=65536), check=True)
    assert isinstance(raised.value, nanoproc.LimitExceeded)


def test_timeout_stops_a_spinning_program():
    out = nanoproc.run(GUESTS / "spin.wasm", policy=nanoproc.Policy(timeout=0.2))
    assert isinstance(out.error, nanoproc.TimeLimit)
    assert out.exit_code == 124
    assert str(out.error) == "time limit: the guest ran longer than 200ms; raise the limit with --timeout or limits.timeout"


def test_memory_limit_stops_a_memory_hog():
    out = nanoproc.run(GUESTS / "memhog.wasm", policy=nanoproc.Policy(max_memory="32MiB"))
    assert isinstance(out.error, nanoproc.MemoryLimit)
    assert out.exit_code == 121
    assert out.usage.peak_memory_bytes <= 32 << 20
    assert any(e.kind == "limit.memory" for e in out.denials)


def test_fuel_limit_with_a_fuel_engine(fuel_engine):
    out = nanoproc.run(GUESTS / "spin.wasm", policy=nanoproc.Policy(fuel=100_000), engine=fuel_engine)
    assert isinstance(out.error, nanoproc.FuelLimit)
    assert out.usage.fuel_consumed == 100_000
    # A policy with fuel and no engine gets the default engine with fuel metering.
    out = nanoproc.run(GUESTS / "hello.wasm", policy=nanoproc.Policy(fuel=10_000_000))
    assert out.ok and 0 < out.usage.fuel_consumed < 10_000_000


def test_fuel_needs_a_fuel_engine():
    with pytest.raises(nanoproc.PolicyError, match="fuel"):
        nanoproc.run(GUESTS / "hello.wasm", policy=nanoproc.Policy(fuel=1000), engine=nanoproc.Engine.default())


def test_invalid_module_bytes():
    with pytest.raises(nanoproc.InvalidModule) as raised:
        nanoproc.run(b"\x00asm\x01\x00\x00\x00garbage")
    e = raised.value
    assert e.kind == "invalid module" and e.exit_code == 125
    assert str(e) == f"invalid module: {e.detail}"
    with pytest.raises(nanoproc.InvalidModule, match="not a WASI command"):
        nanoproc.run(b"(module)")


def test_missing_module_file_is_an_io_error(tmp_path):
    with pytest.raises(nanoproc.IoError, match="missing.wasm"):
        nanoproc.run(tmp_path / "missing.wasm")


def test_outcome_json_matches_the_cli_format():
    out = nanoproc.run(GUESTS / "exit.wasm", args=["5"])
    data = json.loads(out.to_json())
    assert data["status"] == "exited" and data["exit_code"] == 5
    assert data["error"] is None
    assert out.events[0].to_dict().keys() == {"kind", "target", "decision", "detail", "time"}


def test_events_have_times_and_reprs():
    out = nanoproc.run(GUESTS / "hello.wasm")
    e = out.events[-1]
    assert e.time > 1_600_000_000
    assert repr(e).startswith("AuditEvent(kind='exit'")
    assert "exited" in repr(out)


def test_a_guest_exit_status_is_not_an_error():
    out = nanoproc.run(GUESTS / "exit.wasm", args=["7"], check=True)
    assert (out.status, out.exit_code, out.ok, out.error) == ("exited", 7, False, None)


def test_components_denied_wasi_interfaces_refused_at_load():
    with pytest.raises(nanoproc.Denied, match="stdio"):
        nanoproc.run(GUESTS / "hello_p2.wasm", policy=nanoproc.Policy(deny_wasi=["stdio"]))


def test_run_accepts_path_like_and_str(tmp_path):
    assert nanoproc.run(str(GUESTS / "hello.wasm")).ok
    assert nanoproc.run(os.fspath(GUESTS / "hello.wasm")).ok
    assert nanoproc.run((GUESTS / "hello.wasm").read_bytes()).ok



def test_program_loads_once_and_runs_many_times(tmp_path: pathlib.Path):
    (tmp_path / "a.txt").write_bytes(b"A")
    (tmp_path / "b.txt").write_bytes(b"B")
    prog = nanoproc.Program(GUESTS / "cat.wasm", policy=nanoproc.Policy(dirs=[(tmp_path, "/d")], args=["/d/a.txt"]))
    assert (prog.name, prog.kind) == ("cat.wasm", "module")
    assert prog.sha256 == hashlib.sha256((GUESTS / "cat.wasm").read_bytes()).hexdigest()
    assert prog.run().stdout == b"A"
    assert prog.run(args=["/d/b.txt"]).stdout == b"B"
    assert prog.run().stdout == b"A"  # the override was for one run
    assert prog.run(args=["/d/missing"]).exit_code == 1
    assert nanoproc.Program(GUESTS / "hello_p2.wasm").kind == "component"
    echo = nanoproc.Program(CAT_STDIN_WAT)
    assert [echo.run(stdin=s).stdout for s in (b"1", b"22", b"")] == [b"1", b"22", b""]
    spin = nanoproc.Program(GUESTS / "spin.wasm", policy=nanoproc.Policy(timeout=0.05))
    assert isinstance(spin.run().error, nanoproc.TimeLimit)
    with pytest.raises(nanoproc.TimeLimit):
        spin.run(check=True)
    assert repr(prog) == "Program(name='cat.wasm', kind='module')"


def test_program_refusals_happen_at_load():
    with pytest.raises(nanoproc.Denied, match="stdio"):
        nanoproc.Program(GUESTS / "hello_p2.wasm", policy=nanoproc.Policy(deny_wasi=["stdio"]))
    with pytest.raises(nanoproc.InvalidModule):
        nanoproc.Program(b"(module)")
