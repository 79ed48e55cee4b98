"""`nanoproc.Policy`: keyword arguments and TOML onto the library's policy; invalid values."""

from __future__ import annotations

import pathlib

import pytest

import nanoproc
from conftest import GUESTS


def test_defaults_deny_everything():
    p = nanoproc.Policy()
    assert p.dirs == [] and p.files == [] and p.env == {} and p.inherit_env == []
    assert p.args == [] and p.allow_host_fns == []
    assert p.capture_output
    assert p.max_memory == 1 << 30
    assert (p.fuel, p.timeout, p.max_output, p.disk_quota) == (None, None, None, None)


def test_values_are_converted(tmp_path: pathlib.Path):
    p = nanoproc.Policy(
        dirs=[(str(tmp_path), "/a"), (tmp_path, "/b", "rw"), nanoproc.Dir(tmp_path, "/c", writable=True)],
        env={"A": "1"},
        inherit_env=["HOME"],
        args=["x", "y"],
        allow_host_fns=["host::greet", "kv::*"],
        max_memory="64MiB",
        fuel=123,
        timeout="1.5s",
        max_output=1000,
        disk_quota="1KiB",
    )
    real = str(tmp_path.resolve())
    assert p.dirs == [(real, "/a", False), (real, "/b", True), (real, "/c", True)]
    assert p.env == {"A": "1"} and p.inherit_env == ["HOME"] and p.args == ["x", "y"]
    assert p.allow_host_fns == ["host::greet", "kv::*"]
    assert (p.max_memory, p.fuel, p.timeout, p.max_output, p.disk_quota) == (64 << 20, 123, 1.5, 1000, 1024)
    assert nanoproc.Policy(timeout=2).timeout == 2.0
    assert nanoproc.Policy(timeout=0.25).timeout == 0.25


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(dirs=[("/definitely/not/here", "/x")]), "cannot mount `/definitely/not/here`"),
        (dict(dirs=[("/tmp", "/x", "rwx")]), 'mode `rwx` of `/tmp` is not "rw" or "ro"'),
        (dict(dirs=[("/tmp", "/a/../b")]), "must not contain `..`"),
        (dict(env={"A=B": "c"}), "`A=B` is not a valid environment variable name"),
        (dict(max_memory="64 potatoes"), "max_memory: "),
        (dict(max_memory=0), "max_memory must be greater than zero"),
        (dict(max_memory=-1), "max_memory: -1 is not a size in bytes"),
        (dict(timeout=0), "timeout must be greater than zero"),
        (dict(timeout=-1.0), "timeout: -1 is not a valid number of seconds"),
        (dict(timeout="soon"), "timeout: "),
        (dict(fuel=-5), "fuel: -5 is not a whole number"),
        (dict(allow_net=["not a pattern"]), "allow_net: "),
        (dict(allow_http=["ftp://x"]), "allow_http: "),
        (dict(allow_host_fns=["greet"]), "host function grant `greet` must be `namespace::name`"),
        (dict(deny_wasi=["teleport"]), "unknown WASI interface group `teleport`"),
        (dict(clocks="sundial"), 'clocks: `sundial` is not one of "host", "frozen"'),
        (dict(files=[("/definitely/not/here.txt", "/etc/x")]), "cannot grant file"),
    ],
)
def test_invalid_values_raise_policy_error(kwargs, message):
    with pytest.raises(nanoproc.PolicyError) as raised:
        nanoproc.Policy(**kwargs)
    e = raised.value
    assert e.kind == "invalid policy" and e.exit_code == 125
    assert str(e).startswith("invalid policy: ")
    assert message in str(e), str(e)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(args="one string"),
        dict(allow_host_fns="host::greet"),
        dict(dirs="/tmp"),
        dict(dirs=[("/tmp",)]),
        dict(env=["A"]),
        dict(max_memory=1.5),
        dict(max_memory=True),
        dict(timeout=[1]),
        dict(stdin="text"),
        dict(fuel=1.0),
    ],
)
def test_wrong_types_raise_type_error(kwargs):
    with pytest.raises(TypeError):
        nanoproc.Policy(**kwargs)


def test_from_toml_text_and_file(tmp_path: pathlib.Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("from toml\n")
    text = """
dirs = [{ host = "data", guest = "/data" }]
environment = { LANG = "C" }
host_functions = ["host::greet"]
[limits]
max_memory = "64MiB"
timeout = "2s"
"""
    f = tmp_path / "policy.toml"
    f.write_text(text)
    for p in (nanoproc.Policy.from_toml(f), nanoproc.Policy.from_toml(str(f)), nanoproc.Policy.from_toml(text, base_dir=tmp_path)):
        assert p.dirs == [(str((tmp_path / "data").resolve()), "/data", False)]
        assert p.env == {"LANG": "C"} and p.allow_host_fns == ["host::greet"]
        assert (p.max_memory, p.timeout) == (64 << 20, 2.0)
        assert p.capture_output
        out = nanoproc.run(GUESTS / "cat.wasm", policy=p, args=["/data/a.txt"])
        assert out.stdout == b"from toml\n"


def test_from_toml_errors(tmp_path: pathlib.Path):
    with pytest.raises(nanoproc.PolicyError, match="max_memry") as raised:
        nanoproc.Policy.from_toml("[limits]\nmax_memry = 1")
    assert "max_memory" in str(raised.value)  # the suggestion
    with pytest.raises(nanoproc.IoError, match="cannot read policy file"):
        nanoproc.Policy.from_toml(tmp_path / "missing.toml")
    (tmp_path / "p.toml").write_text('dirs = [{ host = "nope", guest = "/x" }]\n')
    with pytest.raises(nanoproc.PolicyError, match="cannot mount"):
        nanoproc.Policy.from_toml(tmp_path / "p.toml")


def test_from_toml_stdio_overrides_capture(tmp_path, capfd):
    p = nanoproc.Policy.from_toml('[stdio]\nstdout = "inherit"\n')
    assert not p.capture_output
    out = nanoproc.run(GUESTS / "hello.wasm", policy=p)
    assert out.stdout == b""
    assert "hello from a nano-process" in capfd.readouterr().out


def test_frozen_clocks_and_seed_are_accepted():
    p = nanoproc.Policy(clocks="frozen", random_seed=42, allow_symlinks=True, max_fds=16, allow_dns=True)
    assert nanoproc.run(GUESTS / "hello.wasm", policy=p).ok


def test_policy_is_reusable_across_runs_and_plugins(tmp_path):
    p = nanoproc.Policy(env={"X": "1"})
    assert nanoproc.run(GUESTS / "env.wasm", policy=p).stdout == b"X=1\n"
    assert nanoproc.run(GUESTS / "env.wasm", policy=p).stdout == b"X=1\n"


def test_engine_options(tmp_path):
    e = nanoproc.Engine(fuel=True, pooling=False, cache_dir=None)
    assert (e.fuel, e.pooling, e.cache_dir) == (True, None, None)
    e = nanoproc.Engine(pooling=4, cache_dir=tmp_path)
    assert (e.fuel, e.pooling, e.cache_dir) == (False, 4, str(tmp_path))
    assert nanoproc.run(GUESTS / "hello.wasm", engine=e).ok
    assert any(tmp_path.iterdir())  # the compiled code was cached there
    assert nanoproc.Engine(cache_dir=False, pooling=2).cache_dir is None
    assert nanoproc.Engine(cache_dir=True, pooling=2).cache_dir == nanoproc.Engine.default().cache_dir
    with pytest.raises(TypeError, match="cache_dir takes a path"):
        nanoproc.Engine(cache_dir=3)
    assert nanoproc.Engine.default() is nanoproc.Engine.default()
    assert nanoproc.Engine.default(fuel=True).fuel
    assert not nanoproc.Engine.default().fuel
    assert nanoproc.Engine.default().pooling == 1000
    with pytest.raises(ValueError, match="at least 1 slot"):
        nanoproc.Engine(pooling=0)
    with pytest.raises(ValueError, match="from 1 to"):
        nanoproc.Engine(pooling=-1)
    assert nanoproc.Engine(pooling=True, cache_dir=None).pooling == 1000
    with pytest.raises(TypeError):
        nanoproc.Engine(pooling="many")
