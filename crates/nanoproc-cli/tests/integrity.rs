//! `keygen`, `sign`, `verify`, `verify-receipt`, `inspect`'s signers, and `run`/`call`
//! refusing what the policy's integrity section does not accept (exit 126, one line, audited).

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use support::{assert_code, example, guest, nanoproc, own_lines, text};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[track_caller]
fn assert_refused(o: &Output, phrase: &str) {
    assert_code(o, 126);
    let lines = own_lines(o);
    assert_eq!(lines.len(), 1, "one line: {lines:?}");
    assert!(
        lines[0].starts_with("nanoproc: integrity: "),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(phrase),
        "`{phrase}` missing: {}",
        lines[0]
    );
}

/// A temp dir with keys `alice` and `bob` and a copy of hello.wasm.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    for who in ["alice", "bob", "host"] {
        let o = nanoproc(&["keygen", "--out", s(&dir.path().join(who))]);
        assert_code(&o, 0);
        assert!(
            text(&o.stdout).contains("fingerprint: ed25519:"),
            "{}",
            text(&o.stdout)
        );
    }
    let wasm = dir.path().join("hello.wasm");
    std::fs::copy(guest("hello.wasm"), &wasm).expect("copy");
    (dir, wasm)
}

#[test]
fn keygen_never_overwrites() {
    let (dir, _) = setup();
    let o = nanoproc(&["keygen", "--out", s(&dir.path().join("alice"))]);
    assert_code(&o, 125);
    assert!(
        own_lines(&o)[0].contains("already exists"),
        "{:?}",
        own_lines(&o)
    );
}

#[test]
fn sign_verify_inspect_and_run() {
    let (dir, wasm) = setup();
    let key = |n: &str| dir.path().join(n);
    assert_code(
        &nanoproc(&["sign", "--key", s(&key("alice.key")), s(&wasm)]),
        0,
    );
    assert_code(
        &nanoproc(&["sign", "--key", s(&key("bob.key")), s(&wasm)]),
        0,
    );
    let o = nanoproc(&["inspect", s(&wasm)]);
    assert_code(&o, 0);
    assert!(
        text(&o.stdout).contains("signed:  2 signatures by ed25519:"),
        "{}",
        text(&o.stdout)
    );
    let o = nanoproc(&["inspect", "--json", s(&wasm)]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(json["signatures"].as_array().map(Vec::len), Some(2));
    let o = nanoproc(&["verify", "--pubkey", s(&key("alice.pub")), s(&wasm)]);
    assert_code(&o, 0);
    assert!(text(&o.stdout).contains("verified"), "{}", text(&o.stdout));
    let (a, b) = (key("alice.pub"), key("bob.pub"));
    let both = [
        "verify",
        "--all",
        "--pubkey",
        s(&a),
        "--pubkey",
        s(&b),
        s(&wasm),
    ];
    assert_code(&nanoproc(&both), 0);
    let o = nanoproc(&["run", "--trust-key", s(&key("alice.pub")), s(&wasm)]);
    assert_code(&o, 0);
    assert_eq!(text(&o.stdout), "hello from a nano-process\n");
    // A secret key where a public key belongs, and the reverse.
    let o = nanoproc(&["verify", "--pubkey", s(&key("alice.key")), s(&wasm)]);
    assert_code(&o, 125);
    assert!(
        own_lines(&o)[0].contains("secret key"),
        "{:?}",
        own_lines(&o)
    );
    let o = nanoproc(&["sign", "--key", s(&key("alice.pub")), s(&wasm)]);
    assert_code(&o, 125);
    assert!(
        own_lines(&o)[0].contains("public key"),
        "{:?}",
        own_lines(&o)
    );
}

#[test]
fn run_and_call_refuse_with_126_and_audit_it() {
    let (dir, wasm) = setup();
    let key = |n: &str| dir.path().join(n);
    let audit = dir.path().join("audit.jsonl");
    let o = nanoproc(&[
        "run",
        "--trust-key",
        s(&key("alice.pub")),
        "--audit",
        s(&audit),
        s(&wasm),
    ]);
    assert_refused(&o, "is not signed");
    assert!(text(&o.stdout).is_empty(), "nothing ran");
    let events = std::fs::read_to_string(&audit).expect("audit file");
    assert!(
        events.contains("\"what\":\"integrity\"") && events.contains("\"decision\":\"denied\""),
        "{events}"
    );
    // Signed by bob, alice trusted.
    assert_code(
        &nanoproc(&["sign", "--key", s(&key("bob.key")), s(&wasm)]),
        0,
    );
    assert_refused(
        &nanoproc(&["run", "--trust-key", s(&key("alice.pub")), s(&wasm)]),
        "not by one of 1 trusted keys",
    );
    // One flipped byte of code.
    let mut bytes = std::fs::read(&wasm).expect("read");
    let at = bytes.len() - 200;
    bytes[at] ^= 1;
    let tampered = dir.path().join("tampered.wasm");
    std::fs::write(&tampered, &bytes).expect("write");
    assert_refused(
        &nanoproc(&["run", "--trust-key", s(&key("bob.pub")), s(&tampered)]),
        "was modified after it was signed",
    );
    assert_refused(
        &nanoproc(&["verify", "--pubkey", s(&key("bob.pub")), s(&tampered)]),
        "was modified after it was signed",
    );
    // sha256 pins.
    assert_refused(
        &nanoproc(&["run", "--sha256", &"0".repeat(64), s(&wasm)]),
        "which the policy does not pin",
    );
    // Plugins through `call`.
    let echo = example("plugins", "echo.wasm");
    let o = nanoproc(&[
        "call",
        "--trust-key",
        s(&key("alice.pub")),
        &echo,
        "echo",
        "--input",
        "hi",
    ]);
    assert_refused(&o, "is not signed");
    let signed = example("integrity", "echo.signed.wasm");
    let publisher = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/integrity/keys/publisher.pub");
    let o = nanoproc(&[
        "call",
        "--trust-key",
        s(&publisher),
        &signed,
        "echo",
        "--input",
        "hi",
    ]);
    assert_code(&o, 0);
    assert_eq!(text(&o.stdout), "hi");
}

#[test]
fn policy_files_and_the_flag_for_all_keys() {
    let (dir, wasm) = setup();
    let key = |n: &str| dir.path().join(n);
    assert_code(
        &nanoproc(&["sign", "--key", s(&key("alice.key")), s(&wasm)]),
        0,
    );
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[integrity]\ntrusted_keys = [\"alice.pub\", \"bob.pub\"]\nrequire_signature = \"all\"\n",
    )
    .expect("policy");
    assert_refused(
        &nanoproc(&["run", "--policy", s(&policy), s(&wasm)]),
        "not by all 2 trusted keys",
    );
    assert_code(
        &nanoproc(&["sign", "--key", s(&key("bob.key")), s(&wasm)]),
        0,
    );
    assert_code(&nanoproc(&["run", "--policy", s(&policy), s(&wasm)]), 0);
    let o = nanoproc(&["run", "--require-signature", "all", s(&wasm)]);
    assert_code(&o, 125);
    assert!(
        own_lines(&o)[0].contains("needs at least one trusted key"),
        "{:?}",
        own_lines(&o)
    );
}

#[test]
fn receipts_are_signed_and_edits_are_caught() {
    let (dir, wasm) = setup();
    let key = |n: &str| dir.path().join(n);
    assert_code(
        &nanoproc(&["sign", "--key", s(&key("alice.key")), s(&wasm)]),
        0,
    );
    let receipt = dir.path().join("receipt.json");
    let o = nanoproc(&[
        "run",
        "--trust-key",
        s(&key("alice.pub")),
        "--env",
        "TOKEN=secret-value",
        "--receipt",
        s(&receipt),
        "--receipt-key",
        s(&key("host.key")),
        s(&wasm),
    ]);
    assert_code(&o, 0);
    let text_r = std::fs::read_to_string(&receipt).expect("receipt written");
    assert!(
        !text_r.contains("secret-value"),
        "env values are hashed: {text_r}"
    );
    let json: serde_json::Value = serde_json::from_str(&text_r).expect("json");
    assert_eq!(json["format"], "nanoproc-receipt/1");
    assert_eq!(json["outcome"]["exit_code"], 0);
    assert_eq!(json["module"]["signers"].as_array().map(Vec::len), Some(1));
    assert!(json["versions"]["wasmtime"].is_string());
    let o = nanoproc(&[
        "verify-receipt",
        "--pubkey",
        s(&key("host.pub")),
        "--module",
        s(&wasm),
        s(&receipt),
    ]);
    assert_code(&o, 0);
    assert!(
        text(&o.stdout).starts_with("receipt verified"),
        "{}",
        text(&o.stdout)
    );
    // Another binary, another host key, an edited receipt.
    assert_refused(
        &nanoproc(&[
            "verify-receipt",
            "--pubkey",
            s(&key("host.pub")),
            "--module",
            &guest("exit.wasm"),
            s(&receipt),
        ]),
        "the receipt is about sha256",
    );
    assert_refused(
        &nanoproc(&[
            "verify-receipt",
            "--pubkey",
            s(&key("bob.pub")),
            s(&receipt),
        ]),
        "not by a trusted host key",
    );
    std::fs::write(
        &receipt,
        text_r.replacen("\"exit_code\": 0", "\"exit_code\": 3", 1),
    )
    .expect("edit");
    assert_refused(
        &nanoproc(&[
            "verify-receipt",
            "--pubkey",
            s(&key("host.pub")),
            s(&receipt),
        ]),
        "was modified after it was signed",
    );
    // --receipt needs a key.
    let o = nanoproc(&["run", "--receipt", s(&receipt), s(&wasm)]);
    assert_code(&o, 125);
}
