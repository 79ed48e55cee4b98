"""Type stubs of the nanoproc extension module (Rust, PyO3). Re-exported by ``nanoproc``."""

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, Optional, Tuple, Union, final

from typing_extensions import Self, TypeAlias

_Path: TypeAlias = Union[str, "os.PathLike[str]"]
_Buffer: TypeAlias = Union[bytes, bytearray, memoryview]
_Size: TypeAlias = Union[int, str]
_Seconds: TypeAlias = Union[int, float, str]
_DirEntry: TypeAlias = Union[
    Tuple[_Path, str], Tuple[_Path, str, Union[bool, Literal["rw", "ro"]]]
]
_HostFunction: TypeAlias = Callable[[bytes], Union[bytes, bytearray, memoryview, str, None]]

__version__: str
MAX_AUDIT_EVENTS: int

@final
class Engine:
    """A configured WebAssembly engine: compiled code, the instance pool, the compile cache
    and the epoch ticker. Share one per process; thread-safe."""

    def __new__(
        cls,
        *,
        fuel: bool = False,
        pooling: Union[bool, int] = True,
        cache_dir: Union[_Path, bool, None] = True,
    ) -> Engine: ...
    @property
    def fuel(self) -> bool:
        """Whether fuel metering is on."""
    @property
    def pooling(self) -> Optional[int]:
        """Pooled sandbox slots, or None without pooling."""
    @property
    def cache_dir(self) -> Optional[str]:
        """The compile cache directory, or None when caching is off."""
    @staticmethod
    def default(*, fuel: bool = False) -> Engine:
        """The process-wide default engine (pooling on; fuel metering if ``fuel``)."""

@final
class Policy:
    """What a sandbox may do; everything not granted is denied."""

    def __new__(
        cls,
        *,
        dirs: Optional[Iterable[_DirEntry]] = None,
        files: Optional[Iterable[Tuple[_Path, str]]] = None,
        env: Optional[Mapping[str, str]] = None,
        inherit_env: Optional[Sequence[str]] = None,
        args: Optional[Sequence[str]] = None,
        stdin: Optional[_Buffer] = None,
        capture_output: bool = True,
        allow_net: Optional[Sequence[str]] = None,
        allow_dns: bool = False,
        allow_http: Optional[Sequence[str]] = None,
        allow_host_fns: Optional[Sequence[str]] = None,
        allow_symlinks: bool = False,
        deny_wasi: Optional[Sequence[str]] = None,
        max_memory: Optional[_Size] = None,
        fuel: Optional[int] = None,
        timeout: Optional[_Seconds] = None,
        max_output: Optional[_Size] = None,
        disk_quota: Optional[_Size] = None,
        max_fds: Optional[int] = None,
        http_timeout: Optional[_Seconds] = None,
        max_http_response: Optional[_Size] = None,
        clocks: Optional[Literal["host", "frozen"]] = None,
        random_seed: Optional[int] = None,
        trust_keys: Optional[Sequence[_Path]] = None,
        require_signature: Optional[Literal["any", "all", "none"]] = None,
        pin_sha256: Optional[Sequence[str]] = None,
    ) -> Policy: ...
    @staticmethod
    def from_toml(source: _Path, *, base_dir: Optional[_Path] = None) -> Policy:
        """A policy from a TOML policy file (path) or TOML text."""
    @property
    def dirs(self) -> list[Tuple[str, str, bool]]:
        """Mounted directories as (host, guest, writable)."""
    @property
    def files(self) -> list[Tuple[str, str]]:
        """Single-file grants as (host, guest)."""
    @property
    def env(self) -> dict[str, str]:
        """Environment variables set for the guest."""
    @property
    def inherit_env(self) -> list[str]:
        """Host environment variables passed through."""
    @property
    def args(self) -> list[str]:
        """Arguments after argv[0]."""
    @property
    def allow_host_fns(self) -> list[str]:
        """Granted host functions."""
    @property
    def capture_output(self) -> bool:
        """Whether stdout and stderr are captured."""
    @property
    def max_memory(self) -> int:
        """The memory budget in bytes."""
    @property
    def fuel(self) -> Optional[int]:
        """The fuel budget, or None."""
    @property
    def timeout(self) -> Optional[float]:
        """The wall-clock limit in seconds, or None."""
    @property
    def max_output(self) -> Optional[int]:
        """The per-stream output cap in bytes, or None."""
    @property
    def disk_quota(self) -> Optional[int]:
        """The disk quota in bytes, or None."""

@final
class Plugin:
    """A plugin (core module speaking the plugin ABI, or a ``nanoproc:plugin`` component)
    whose functions take bytes and return bytes."""

    def __new__(
        cls,
        wasm: Union[_Path, _Buffer],
        *,
        policy: Optional[Policy] = None,
        host_functions: Optional[Mapping[str, _HostFunction]] = None,
        config: Optional[Mapping[str, str]] = None,
        name: Optional[str] = None,
        engine: Optional[Engine] = None,
        audit: bool = True,
    ) -> Plugin: ...
    def call(
        self,
        function: str,
        data: Optional[_Buffer] = None,
        *,
        fuel: Optional[int] = None,
        timeout: Optional[_Seconds] = None,
        max_memory: Optional[_Size] = None,
    ) -> bytes:
        """Calls ``function`` with ``data`` in a fresh sandbox and returns its output."""
    def instance(self) -> PluginInstance:
        """A sandbox kept alive between calls (state persists)."""
    def cancel(self) -> None:
        """Cancels every call of this plugin in flight (thread-safe)."""
    def audit_events(self, *, clear: bool = True) -> list[AuditEvent]:
        """The audit trail since the last drain, oldest first."""
    @property
    def audit_dropped(self) -> int:
        """Audit events dropped because more than MAX_AUDIT_EVENTS were kept."""
    @property
    def name(self) -> str:
        """The plugin's name."""
    @property
    def functions(self) -> list[str]:
        """The functions it exports, sorted."""
    @property
    def is_component(self) -> bool:
        """Whether it is a component rather than a core module."""
    @property
    def closed(self) -> bool:
        """Whether close() was called."""
    def close(self) -> None:
        """Frees the plugin; later calls raise ValueError."""
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class PluginInstance:
    """A plugin sandbox kept alive between calls (from ``Plugin.instance()``)."""

    def call(
        self,
        function: str,
        data: Optional[_Buffer] = None,
        *,
        fuel: Optional[int] = None,
        timeout: Optional[_Seconds] = None,
        max_memory: Optional[_Size] = None,
    ) -> bytes:
        """Calls ``function`` with ``data`` in this instance and returns its output."""
    @property
    def name(self) -> str:
        """The plugin's name."""
    @property
    def closed(self) -> bool:
        """Whether close() was called."""
    def close(self) -> None:
        """Frees the sandbox; later calls raise ValueError."""
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class Program:
    """A WASI program loaded and linked once, to run many times (each run in a fresh sandbox)."""

    def __new__(
        cls,
        wasm: Union[_Path, _Buffer],
        *,
        policy: Optional[Policy] = None,
        engine: Optional[Engine] = None,
    ) -> Program: ...
    def run(
        self,
        *,
        args: Optional[Sequence[str]] = None,
        stdin: Optional[_Buffer] = None,
        check: bool = False,
    ) -> Outcome:
        """Runs the program once in a fresh sandbox and returns its Outcome."""
    @property
    def name(self) -> str:
        """The program's name."""
    @property
    def kind(self) -> Literal["module", "component"]:
        """WASI preview 1 module or preview 2 component."""
    @property
    def sha256(self) -> str:
        """The SHA-256 of the binary, in hex."""

@final
class Usage:
    """Resources a run used."""

    @property
    def fuel_consumed(self) -> Optional[int]:
        """Fuel consumed, when the engine meters fuel."""
    @property
    def peak_memory_bytes(self) -> int:
        """Peak bytes of all memories and tables together."""
    @property
    def wall_time(self) -> float:
        """Wall-clock time from instantiation to exit, in seconds."""
    @property
    def stdout_bytes(self) -> int:
        """Bytes written to stdout."""
    @property
    def stderr_bytes(self) -> int:
        """Bytes written to stderr."""
    @property
    def disk_bytes_added(self) -> Optional[int]:
        """Bytes added to files in writable dirs, when the policy has a disk quota."""
    @property
    def peak_fds(self) -> int:
        """The most descriptors the guest held open at once."""

@final
class Outcome:
    """What a run produced."""

    @property
    def status(self) -> Literal["exited", "stopped"]:
        """How it ended."""
    @property
    def exit_code(self) -> int:
        """The guest's exit status, or the CLI's code for the error that stopped it."""
    @property
    def ok(self) -> bool:
        """True when the guest exited with status 0."""
    @property
    def stdout(self) -> bytes:
        """Captured stdout."""
    @property
    def stderr(self) -> bytes:
        """Captured stderr."""
    @property
    def usage(self) -> Usage:
        """Resources used."""
    @property
    def events(self) -> list[AuditEvent]:
        """The audit events of the run."""
    @property
    def denials(self) -> list[AuditEvent]:
        """The denied events."""
    @property
    def events_dropped(self) -> int:
        """Events left out because the cap was reached."""
    @property
    def error(self) -> Optional[NanoprocError]:
        """The exception that stopped the guest, or None."""
    @property
    def receipt(self) -> Optional[bytes]:
        """The signed run receipt (JSON) when run() was given receipt_key, else None."""
    def check(self) -> Self:
        """Raises ``error`` if the guest was stopped; returns the outcome otherwise."""
    def to_json(self) -> str:
        """The outcome as ``nanoproc run --json`` prints it."""

@final
class AuditEvent:
    """One thing that happened at the sandbox boundary."""

    @property
    def kind(self) -> str:
        """``fs.mount``, ``env``, ``host_fn``, ``limit.timeout``, ..."""
    @property
    def target(self) -> str:
        """A path, a variable name, a host function, a limit value."""
    @property
    def decision(self) -> Literal["allowed", "denied"]:
        """Allowed or denied."""
    @property
    def denied(self) -> bool:
        """True when the decision was denied."""
    @property
    def detail(self) -> str:
        """The rule that decided it, or how to change the decision."""
    @property
    def time(self) -> float:
        """Seconds since the Unix epoch."""
    def to_dict(self) -> dict[str, Any]:
        """The event as a dict (kind, target, decision, detail, time)."""

def run(
    wasm: Union[_Path, _Buffer],
    *,
    policy: Optional[Policy] = None,
    args: Optional[Sequence[str]] = None,
    stdin: Optional[_Buffer] = None,
    engine: Optional[Engine] = None,
    check: bool = False,
    receipt_key: Optional[_Path] = None,
) -> Outcome:
    """Runs a WASI program in a fresh sandbox and returns its Outcome."""

def verify_receipt(receipt: bytes, host_pubkey: _Path) -> None:
    """Checks a run receipt's signature; raises IntegrityError if it does not verify."""

class NanoprocError(Exception):
    """Base of every nanoproc error."""

    kind: str
    detail: str
    exit_code: int

class PolicyError(NanoprocError):
    """The policy is invalid."""

class InvalidModule(NanoprocError):
    """The bytes are not a valid module of the kind needed."""

class Denied(NanoprocError):
    """The guest needs a capability its policy does not grant."""

class Trap(NanoprocError):
    """The guest trapped."""

class LimitExceeded(NanoprocError):
    """The guest hit a resource limit."""

class TimeLimit(LimitExceeded):
    """The guest ran longer than its timeout."""

class MemoryLimit(LimitExceeded):
    """The guest asked for more memory than its budget."""

class FuelLimit(LimitExceeded):
    """The guest used all of its fuel."""

class OutputLimit(LimitExceeded):
    """The guest wrote more than its output cap."""

class PluginError(NanoprocError):
    """The plugin reported a failure itself."""

class HostFunctionError(NanoprocError):
    """A host function failed."""

class Cancelled(NanoprocError):
    """The call was cancelled."""

class AbiViolation(NanoprocError):
    """The plugin broke the plugin ABI, or has no such function."""

class InvalidInput(NanoprocError):
    """A typed-call value does not match its WIT type."""

class HostExhausted(NanoprocError):
    """The host ran short of resources no sandbox limit covers."""

class IoError(NanoprocError):
    """A host-side I/O failure."""

class IntegrityError(NanoprocError):
    """The binary failed its integrity check, or a receipt did not verify."""

class InternalError(NanoprocError):
    """A bug or an unexpected engine failure."""
