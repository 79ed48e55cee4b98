"""Run untrusted WebAssembly as deny-by-default nano-processes.

Each plugin call or program run gets its own sandbox (a Wasm instance with its own
memory) with only the capabilities its :class:`Policy` grants, hard limits on memory, CPU
(fuel), wall time and output that interrupt it, and an audit trail of everything it was
allowed or denied.

Extend an application with plugins::

    import nanoproc

    with nanoproc.Plugin("count_vowels.wasm") as p:
        p.call("count_vowels", b"Hello, World")   # a fresh sandbox per call

Run a WASI program::

    out = nanoproc.run("cat.wasm", args=["/data/a.txt"],
                       policy=nanoproc.Policy(dirs=[("./data", "/data")]))
    out.stdout, out.exit_code, out.denials

The engine is Rust (the ``nanoproc`` crate on Wasmtime); this package is a thin PyO3 skin
over it. The GIL is released while guest code runs.
"""

from __future__ import annotations

import os
from typing import Callable, Dict, NamedTuple, TypeVar, Union

from ._nanoproc import (
    MAX_AUDIT_EVENTS,
    AbiViolation,
    AuditEvent,
    Cancelled,
    Denied,
    Engine,
    FuelLimit,
    HostExhausted,
    HostFunctionError,
    IntegrityError,
    InternalError,
    InvalidInput,
    InvalidModule,
    IoError,
    LimitExceeded,
    MemoryLimit,
    NanoprocError,
    Outcome,
    OutputLimit,
    Plugin,
    PluginError,
    PluginInstance,
    Policy,
    PolicyError,
    Program,
    TimeLimit,
    Trap,
    Usage,
    __version__,
    run,
    verify_receipt,
)

__all__ = [
    "MAX_AUDIT_EVENTS",
    "AbiViolation",
    "AuditEvent",
    "Cancelled",
    "Denied",
    "Dir",
    "Engine",
    "FuelLimit",
    "HostExhausted",
    "HostFunction",
    "HostFunctionError",
    "HostFunctions",
    "IntegrityError",
    "InternalError",
    "InvalidInput",
    "InvalidModule",
    "IoError",
    "LimitExceeded",
    "MemoryLimit",
    "NanoprocError",
    "Outcome",
    "OutputLimit",
    "Plugin",
    "PluginError",
    "PluginInstance",
    "Policy",
    "PolicyError",
    "Program",
    "TimeLimit",
    "Trap",
    "Usage",
    "__version__",
    "run",
    "verify_receipt",
]


class Dir(NamedTuple):
    """A host directory granted to the guest at ``guest``; read-only unless ``writable``.

    ``Policy(dirs=[Dir("./out", "/out", writable=True)])`` is the same as
    ``Policy(dirs=[("./out", "/out", "rw")])``.
    """

    host: Union[str, "os.PathLike[str]"]
    """The directory on the host."""
    guest: str
    """Where the guest sees it, e.g. ``/data``."""
    writable: bool = False
    """Whether the guest may create, modify and delete entries."""


HostFunction = Callable[[bytes], Union[bytes, bytearray, memoryview, str, None]]
"""A host function: called with the plugin's input bytes, returns the output (``bytes``;
``str`` is encoded as UTF-8, ``None`` is empty). An exception it raises fails the plugin's
call with :class:`HostFunctionError` (the exception is its ``__cause__``)."""

_F = TypeVar("_F", bound=HostFunction)


class HostFunctions(Dict[str, HostFunction]):
    """Host functions a plugin may import, by ``"namespace::name"``: a ``dict`` with a
    decorator to fill it. Pass it as ``Plugin(..., host_functions=hf)``; each must also be
    granted by the policy (``Policy(allow_host_fns=["host::greet"])``).

    ::

        hf = nanoproc.HostFunctions()

        @hf.register("host::greet")
        def greet(name: bytes) -> bytes:
            return b"hello, " + name
    """

    def register(self, name: str) -> Callable[[_F], _F]:
        """A decorator registering the function as host function ``name``
        (``"namespace::name"``); it returns the function unchanged."""
        namespace, sep, func = name.partition("::")
        if not sep or not namespace or not func or "::" in func:
            raise ValueError(f"host function name `{name}` must be `namespace::name`")

        def decorate(f: _F) -> _F:
            if not callable(f):
                raise TypeError(f"host function `{name}` must be callable")
            self[name] = f
            return f

        return decorate
