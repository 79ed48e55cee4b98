"""The type stubs (_nanoproc.pyi) describe exactly what the extension module has."""

from __future__ import annotations

import ast
import inspect
import os
import pathlib
import subprocess
import sys

import pytest

import nanoproc
from nanoproc import _nanoproc

STUBS = pathlib.Path(nanoproc.__file__).with_name("_nanoproc.pyi")


def stub_tree() -> ast.Module:
    return ast.parse(STUBS.read_text())


def public(name: str) -> bool:
    return not name.startswith("_") or name in ("__version__",)


def stub_names(tree: ast.Module) -> dict[str, ast.AST]:
    names: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return {n: v for n, v in names.items() if public(n)}


def stub_members(cls: ast.ClassDef) -> set[str]:
    members = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            members.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            members.add(node.target.id)
    return {m for m in members if not m.startswith("__") or m in ("__enter__", "__exit__")} - {"__new__"}


def runtime_members(cls: type) -> set[str]:
    own = set()
    for klass in cls.__mro__:
        if klass in (object, BaseException, Exception):
            break
        own.update(vars(klass))
    return {m for m in own if not m.startswith("__") or m in ("__enter__", "__exit__")}


def test_every_module_name_has_a_stub_and_back():
    runtime = {n for n in dir(_nanoproc) if public(n)}
    stubs = set(stub_names(stub_tree()))
    assert stubs == runtime


def test_every_class_member_has_a_stub_and_back():
    for name, node in stub_names(stub_tree()).items():
        if not isinstance(node, ast.ClassDef):
            continue
        obj = getattr(_nanoproc, name)
        expected = runtime_members(obj)
        if issubclass(obj, BaseException):
            # Exception classes: the attributes every nanoproc error carries.
            expected = {"kind", "detail", "exit_code"}
            declared = set()
            for klass in obj.__mro__:
                stub = stub_names(stub_tree()).get(klass.__name__)
                if isinstance(stub, ast.ClassDef):
                    declared |= stub_members(stub)
            assert declared == expected, name
            continue
        assert stub_members(node) == expected, name


def test_stub_signatures_match_the_runtime():
    tree = stub_tree()
    for name, node in stub_names(tree).items():
        obj = getattr(_nanoproc, name)
        pairs = []
        if isinstance(node, ast.FunctionDef):
            pairs.append((node, obj))
        elif isinstance(node, ast.ClassDef) and not issubclass(obj, BaseException):
            for item in node.body:
                if not isinstance(item, ast.FunctionDef) or item.name.startswith("__") and item.name not in ("__new__",):
                    continue
                if any(isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list):
                    continue
                if item.name == "__new__" and sys.version_info < (3, 10):
                    # The limited C API of 3.9 has no way to give a class a signature.
                    continue
                target = obj if item.name == "__new__" else getattr(obj, item.name)
                pairs.append((item, target))
        for stub, runtime in pairs:
            try:
                sig = inspect.signature(runtime)
            except (TypeError, ValueError):
                pytest.fail(f"{name}.{stub.name} has no runtime signature")
            args = stub.args
            stub_params = [a.arg for a in args.posonlyargs + args.args if a.arg not in ("self", "cls")]
            stub_params += ["*" + args.vararg.arg] if args.vararg else []
            stub_params += [a.arg for a in args.kwonlyargs]
            runtime_params = [
                ("*" + p.name if p.kind is p.VAR_POSITIONAL else p.name)
                for p in sig.parameters.values()
                if p.name not in ("self", "cls", "$self", "$cls")
            ]
            assert stub_params == runtime_params, f"{name}.{stub.name}"
            kwonly_stub = {a.arg for a in args.kwonlyargs}
            kwonly_runtime = {p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY}
            assert kwonly_stub == kwonly_runtime, f"{name}.{stub.name}"


def test_package_exports():
    for name in nanoproc.__all__:
        assert hasattr(nanoproc, name), name
    missing = {n for n in dir(_nanoproc) if public(n)} - set(nanoproc.__all__)
    assert not missing


def test_every_public_item_has_a_docstring():
    for name in dir(_nanoproc):
        if not public(name) or name in ("__version__", "MAX_AUDIT_EVENTS"):
            continue
        obj = getattr(_nanoproc, name)
        assert (obj.__doc__ or "").strip(), name
        if isinstance(obj, type) and not issubclass(obj, BaseException):
            for member, value in vars(obj).items():
                if member.startswith("_"):
                    continue
                assert (getattr(value, "__doc__", None) or "").strip(), f"{name}.{member}"


def test_mypy_stubtest_agrees(tmp_path):
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "nanoproc._nanoproc", "--ignore-missing-stub"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_typed_package_type_checks(tmp_path):
    pytest.importorskip("mypy")
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import nanoproc\n"
        "p: nanoproc.Policy = nanoproc.Policy(dirs=[('.', '/x', 'rw')], max_memory='1MiB', timeout=1.5)\n"
        "with nanoproc.Plugin('x.wasm', policy=p, host_functions={'h::f': lambda b: b}) as pl:\n"
        "    out: bytes = pl.call('f', b'')\n"
        "o: nanoproc.Outcome = nanoproc.run(b'', args=['a'])\n"
        "code: int = o.exit_code\n"
        "bad: str = o.exit_code\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(sample)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    # Exactly the one deliberate error.
    assert "sample.py:7: error: Incompatible types in assignment" in result.stdout, result.stdout
    assert result.stdout.count("error:") == 1, result.stdout


def test_version_is_the_crate_version():
    from importlib.metadata import version

    assert nanoproc.__version__ == version("nanoproc")
    assert nanoproc.__version__.count(".") == 2
