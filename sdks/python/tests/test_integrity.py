"""Integrity: trusted keys, sha256 pins and signed run receipts, from Python."""

from __future__ import annotations

import pytest

import nanoproc

from conftest import GUESTS, PLUGINS, ROOT

INTEGRITY = ROOT / "examples" / "integrity"
PUBLISHER = INTEGRITY / "keys" / "publisher.pub"
SIGNED_HELLO = INTEGRITY / "bin" / "hello.signed.wasm"


def trusting(**kw: object) -> nanoproc.Policy:
    return nanoproc.Policy(trust_keys=[PUBLISHER], **kw)  # type: ignore[arg-type]


def test_unsigned_is_refused_with_exit_code_126() -> None:
    with pytest.raises(nanoproc.IntegrityError) as err:
        nanoproc.run(GUESTS / "hello.wasm", policy=trusting())
    assert err.value.exit_code == 126
    assert err.value.kind == "integrity"
    assert str(err.value).startswith("integrity: ")
    assert "is not signed" in str(err.value)


def test_signed_runs_and_tampered_is_refused() -> None:
    out = nanoproc.run(SIGNED_HELLO, policy=trusting())
    assert out.stdout == b"hello from a nano-process\n"
    tampered = bytearray(SIGNED_HELLO.read_bytes())
    tampered[-300] ^= 1
    with pytest.raises(nanoproc.IntegrityError, match="was modified after it was signed"):
        nanoproc.run(bytes(tampered), policy=trusting())
    with pytest.raises(nanoproc.IntegrityError, match="was modified after it was signed"):
        nanoproc.Program(bytes(tampered), policy=trusting())


def test_pins_and_requirements() -> None:
    with pytest.raises(nanoproc.IntegrityError, match="does not pin"):
        nanoproc.run(GUESTS / "hello.wasm", policy=nanoproc.Policy(pin_sha256=["0" * 64]))
    with pytest.raises(nanoproc.PolicyError, match="needs at least one trusted key"):
        nanoproc.Policy(require_signature="all")
    with pytest.raises(nanoproc.PolicyError, match="require_signature"):
        nanoproc.Policy(trust_keys=[PUBLISHER], require_signature="most")  # type: ignore[arg-type]
    with pytest.raises(nanoproc.PolicyError, match="secret key"):
        nanoproc.Policy(trust_keys=[INTEGRITY / "keys" / "publisher.key"])


def test_plugins() -> None:
    with pytest.raises(nanoproc.IntegrityError, match="is not signed"):
        nanoproc.Plugin(PLUGINS / "echo.wasm", policy=trusting())
    with nanoproc.Plugin(INTEGRITY / "bin" / "echo.signed.wasm", policy=trusting()) as p:
        assert p.call("echo", b"signed") == b"signed"


def test_receipts() -> None:
    out = nanoproc.run(SIGNED_HELLO, policy=trusting(), receipt_key=INTEGRITY / "keys" / "host.key")
    assert out.receipt is not None and b'"format": "nanoproc-receipt/1"' in out.receipt
    assert nanoproc.run(SIGNED_HELLO, policy=trusting()).receipt is None
    nanoproc.verify_receipt(out.receipt, INTEGRITY / "keys" / "host.pub")
    with pytest.raises(nanoproc.IntegrityError, match="not by a trusted host key"):
        nanoproc.verify_receipt(out.receipt, PUBLISHER)
    edited = out.receipt.replace(b'"exit_code": 0', b'"exit_code": 7', 1)
    with pytest.raises(nanoproc.IntegrityError, match="was modified after it was signed"):
        nanoproc.verify_receipt(edited, INTEGRITY / "keys" / "host.pub")
