//! Integrity: signatures embedded in modules and components, trusted keys, sha256 pins, the
//! refusal of anything unsigned, tampered or wrongly signed, and signed run receipts.

use super::plugins::{plugin_path, pool_engine};
use super::*;
use nanoproc::integrity::{self, KeyPair, SignatureRequirement};
use nanoproc::plugin::Plugin;
use nanoproc::{Error, MemorySink};
use std::sync::Arc;

fn hello() -> Vec<u8> {
    std::fs::read(guest("hello.wasm")).expect("hello.wasm")
}

/// `bytes` with a custom section `note` appended (a custom section the signature must cover).
fn with_custom_section(mut bytes: Vec<u8>) -> Vec<u8> {
    let name = b"note";
    let data = b"release 1.0";
    bytes.push(0);
    bytes.push((1 + name.len() + data.len()) as u8);
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(data);
    bytes
}

/// Where the signature section (the first section) ends.
fn signature_section_end(bytes: &[u8]) -> usize {
    assert_eq!(bytes[8], 0, "the first section is a custom section");
    let (mut size, mut shift, mut i) = (0usize, 0, 9);
    loop {
        let b = bytes[i];
        size |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    i + size
}

fn policy_trusting(keys: &[&KeyPair], require: SignatureRequirement) -> Policy {
    let mut b = captured();
    for k in keys {
        b.trust_key(k.public.clone());
    }
    b.require_signature(require);
    b.build().expect("policy")
}

/// Runs `bytes` as a command under `policy` (`Prepared::new` makes the integrity check).
fn run_bytes(bytes: &[u8], policy: Policy) -> nanoproc::Result<Outcome> {
    let loaded = loader::load_bytes(engine(), bytes, "hello.wasm")?;
    Prepared::new(engine(), &loaded, policy)?.run(vec![])
}

#[track_caller]
fn assert_refused(result: nanoproc::Result<Outcome>, phrase: &str) {
    match result {
        Err(e @ Error::Integrity(_)) => {
            assert_eq!(e.exit_code(), 126);
            assert_eq!(e.kind_name(), "integrity");
            let line = e.to_string();
            assert!(line.contains(phrase), "`{phrase}` missing from: {line}");
            assert!(!line.contains('\n'), "{line}");
        }
        Err(e) => panic!("expected an integrity refusal, got {e:?}"),
        Ok(o) => panic!("expected an integrity refusal, but it ran: {:?}", o.status),
    }
}

#[test]
fn a_signed_module_runs_and_still_runs_without_nanoproc() {
    let alice = KeyPair::generate();
    let signed = integrity::sign(&hello(), &alice.secret, "hello.wasm").expect("signs");
    // Still a valid module for any runtime: plain Wasmtime compiles it.
    wasmtime::Module::new(&wasmtime::Engine::default(), &signed).expect("plain wasmtime");
    let o = run_bytes(
        &signed,
        policy_trusting(&[&alice], SignatureRequirement::Any),
    )
    .expect("runs");
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "hello from a nano-process\n");
    let info = integrity::signature_info(&signed, "hello.wasm").expect("info");
    assert_eq!(info.key_ids, vec![alice.public.fingerprint()]);
}

#[test]
fn unsigned_stripped_and_wrongly_signed_modules_are_refused() {
    let alice = KeyPair::generate();
    let eve = KeyPair::generate();
    let trust_alice = || policy_trusting(&[&alice], SignatureRequirement::Any);
    assert_refused(run_bytes(&hello(), trust_alice()), "is not signed");
    let by_eve = integrity::sign(&hello(), &eve.secret, "hello.wasm").expect("signs");
    assert_refused(
        run_bytes(&by_eve, trust_alice()),
        &format!("is signed by {}", eve.public.fingerprint()),
    );
    let signed = integrity::sign(&hello(), &alice.secret, "hello.wasm").expect("signs");
    let end = signature_section_end(&signed);
    let stripped = [&signed[..8], &signed[end..]].concat();
    assert_eq!(stripped, hello(), "stripping gives back the original");
    assert_refused(run_bytes(&stripped, trust_alice()), "is not signed");
    assert_host_healthy();
}

#[test]
fn one_changed_byte_anywhere_is_refused() {
    let alice = KeyPair::generate();
    let original = with_custom_section(hello());
    let signed = integrity::sign(&original, &alice.secret, "hello.wasm").expect("signs");
    let trust = || policy_trusting(&[&alice], SignatureRequirement::Any);
    run_bytes(&signed, trust()).expect("the untouched binary runs");
    let end = signature_section_end(&signed);
    let code = signed
        .windows(4)
        .rposition(|w| w == b"hell")
        .expect("the greeting is in the data");
    let custom = signed.len() - 1;
    let signature = end - 1;
    for (what, at) in [
        ("code/data", code),
        ("custom section", custom),
        ("signature", signature),
    ] {
        let mut tampered = signed.clone();
        tampered[at] ^= 0x01;
        assert_refused(
            run_bytes(&tampered, trust()),
            "was modified after it was signed",
        );
        let _ = what;
    }
    // A section added after signing.
    let appended = with_custom_section(signed.clone());
    assert_refused(
        run_bytes(&appended, trust()),
        "was modified after it was signed",
    );
    assert_host_healthy();
}

#[test]
fn any_or_all_of_several_keys() {
    let alice = KeyPair::generate();
    let bob = KeyPair::generate();
    let by_alice = integrity::sign(&hello(), &alice.secret, "h").expect("signs");
    let by_both = integrity::sign(&by_alice, &bob.secret, "h").expect("signs twice");
    assert_eq!(
        integrity::signature_info(&by_both, "h")
            .expect("info")
            .key_ids
            .len(),
        2
    );
    run_bytes(
        &by_alice,
        policy_trusting(&[&alice, &bob], SignatureRequirement::Any),
    )
    .expect("any: alice is enough");
    assert_refused(
        run_bytes(
            &by_alice,
            policy_trusting(&[&alice, &bob], SignatureRequirement::All),
        ),
        &bob.public.fingerprint(),
    );
    run_bytes(
        &by_both,
        policy_trusting(&[&alice, &bob], SignatureRequirement::All),
    )
    .expect("all: both signed");
    let err = integrity::sign(&by_both, &bob.secret, "h").expect_err("twice by bob");
    assert!(err.to_string().contains("already signed"), "{err}");
}

#[test]
fn sha256_pins() {
    let digest = hex_sha256(&hello());
    let mut b = captured();
    b.pin_sha256(&format!("sha256:{digest}")).expect("pin");
    run_bytes(&hello(), b.build().expect("policy")).expect("pinned binary runs");
    let mut b = captured();
    b.pin_sha256(&"0".repeat(64)).expect("pin");
    assert_refused(
        run_bytes(&hello(), b.build().expect("policy")),
        &format!("has sha256 {digest}, which the policy does not pin"),
    );
    let err = Policy::builder()
        .pin_sha256("abc")
        .expect_err("not a digest");
    assert!(matches!(err, Error::InvalidPolicy(_)), "{err:?}");
}

fn hex_sha256(b: &[u8]) -> String {
    nanoproc::receipt::sha256_hex(b)
}

#[test]
fn a_requirement_without_keys_is_an_invalid_policy() {
    let err = Policy::builder()
        .require_signature(SignatureRequirement::Any)
        .build()
        .expect_err("no keys");
    assert!(matches!(err, Error::InvalidPolicy(_)), "{err:?}");
    assert!(err.to_string().contains("--trust-key"), "{err}");
}

#[test]
fn plugins_are_refused_before_compiling_and_the_refusal_is_audited() {
    let alice = KeyPair::generate();
    let echo = std::fs::read(plugin_path("echo.wasm")).expect("echo.wasm");
    let sink = Arc::new(MemorySink::new());
    let mut b = Policy::builder();
    b.trust_key(alice.public.clone());
    let err = Plugin::builder(pool_engine())
        .wasm_bytes(echo.clone())
        .name("echo")
        .policy(b.build().expect("policy"))
        .audit_sink(sink.clone())
        .build()
        .err()
        .expect("unsigned plugin refused");
    assert!(matches!(err, Error::Integrity(_)), "{err:?}");
    let events = sink.events();
    assert!(
        events
            .iter()
            .any(|e| e.what == "integrity" && e.decision == nanoproc::Decision::Denied),
        "{events:?}"
    );
    let signed = integrity::sign(&echo, &alice.secret, "echo.wasm").expect("signs");
    let plugin = Plugin::builder(pool_engine())
        .wasm_bytes(signed)
        .policy(b.build().expect("policy"))
        .build()
        .expect("signed plugin builds");
    assert_eq!(plugin.call("echo", b"hi").expect("call"), b"hi");
}

#[test]
fn components_can_be_signed() {
    let alice = KeyPair::generate();
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/components/bin/types.wasm");
    let bytes = std::fs::read(path).expect("component");
    let signed = integrity::sign(&bytes, &alice.secret, "types.wasm").expect("signs");
    let mut b = Policy::builder();
    b.trust_key(alice.public.clone());
    nanoproc::component::Component::builder(engine())
        .wasm_bytes(signed.clone())
        .policy(b.build().expect("policy"))
        .build()
        .expect("signed component builds");
    let mut tampered = signed;
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let err = nanoproc::component::Component::builder(engine())
        .wasm_bytes(tampered)
        .policy(b.build().expect("policy"))
        .build()
        .err()
        .expect("tampered component refused");
    assert!(matches!(err, Error::Integrity(_)), "{err:?}");
}

#[test]
fn receipts_verify_and_any_edit_is_caught() {
    let host = KeyPair::generate();
    let other = KeyPair::generate();
    let alice = KeyPair::generate();
    let signed = integrity::sign(&hello(), &alice.secret, "hello.wasm").expect("signs");
    let policy = policy_trusting(&[&alice], SignatureRequirement::Any);
    let loaded = loader::load_bytes(engine(), &signed, "hello.wasm").expect("loads");
    let started = std::time::SystemTime::now();
    let outcome = Prepared::new(engine(), &loaded, policy.clone())
        .expect("prepared")
        .run(vec![])
        .expect("runs");
    let record = nanoproc::receipt::RunRecord {
        module: &loaded,
        policy: &policy,
        outcome: &outcome,
        started,
        ended: std::time::SystemTime::now(),
    };
    let receipt =
        nanoproc::receipt::sign(nanoproc::receipt::build(&record), &host.secret).expect("signs");
    assert_eq!(receipt["module"]["sha256"], hex_sha256(&signed));
    assert_eq!(receipt["module"]["signers"][0], alice.public.fingerprint());
    assert_eq!(receipt["outcome"]["exit_code"], 0);
    assert!(
        receipt["policy"]["digest"]
            .as_str()
            .unwrap_or("")
            .starts_with("sha256:")
    );
    let text = serde_json::to_string_pretty(&receipt).expect("json");
    let ok =
        nanoproc::receipt::verify(&text, std::slice::from_ref(&host.public)).expect("verifies");
    assert_eq!(ok.signer, host.public.fingerprint());
    // Reformatting does not matter; content does.
    let compact = serde_json::to_string(&receipt).expect("json");
    nanoproc::receipt::verify(&compact, std::slice::from_ref(&host.public)).expect("compact");
    let edited = text.replacen("\"exit_code\": 0", "\"exit_code\": 1", 1);
    assert_ne!(edited, text);
    let err =
        nanoproc::receipt::verify(&edited, std::slice::from_ref(&host.public)).expect_err("edited");
    assert!(
        err.to_string().contains("was modified after it was signed"),
        "{err}"
    );
    let err = nanoproc::receipt::verify(&text, std::slice::from_ref(&other.public))
        .expect_err("another host key");
    assert!(
        err.to_string().contains("not by a trusted host key"),
        "{err}"
    );
    let mut unsigned = receipt.clone();
    unsigned
        .as_object_mut()
        .expect("object")
        .remove("signature");
    let err = nanoproc::receipt::verify(&unsigned.to_string(), std::slice::from_ref(&host.public))
        .expect_err("unsigned");
    assert!(err.to_string().contains("is not signed"), "{err}");
}

#[test]
fn policy_files_take_an_integrity_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = KeyPair::generate();
    let (_, public) = alice.write(&dir.path().join("alice")).expect("writes keys");
    assert_eq!(
        std::fs::metadata(dir.path().join("alice.key"))
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
            .expect("key file"),
        0o600
    );
    let text = format!(
        "[integrity]\ntrusted_keys = [\"{}\"]\nrequire_signature = \"all\"\nsha256 = [\"{}\"]\n",
        public.file_name().and_then(|n| n.to_str()).expect("name"),
        "ab".repeat(32)
    );
    let file = nanoproc::PolicyFile::parse(&text, "p.toml").expect("parses");
    let mut b = Policy::builder();
    b.apply_file(&file, dir.path()).expect("applies");
    let p = b.build().expect("builds");
    assert_eq!(p.integrity().trusted_keys, vec![alice.public.clone()]);
    assert_eq!(p.integrity().require, SignatureRequirement::All);
    assert_eq!(p.integrity().sha256.len(), 1);
    let bad = nanoproc::PolicyFile::parse("[integrity]\nrequire_signature = \"most\"\n", "p.toml")
        .expect("parses");
    let err = Policy::builder()
        .apply_file(&bad, dir.path())
        .expect_err("bad choice");
    assert!(
        err.to_string().contains("integrity.require_signature"),
        "{err}"
    );
    // A secret key where a public key belongs is named as such.
    let secret =
        nanoproc::PolicyFile::parse("[integrity]\ntrusted_keys = [\"alice.key\"]\n", "p.toml")
            .expect("parses");
    let err = Policy::builder()
        .apply_file(&secret, dir.path())
        .expect_err("secret key refused");
    assert!(err.to_string().contains("secret key"), "{err}");
}

fn integrity_example(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/integrity")
        .join(path)
}

/// The committed signed examples still match their sources signed with the committed test
/// key (signatures are deterministic; `examples/integrity/build.sh` rewrites them).
#[test]
fn signed_examples_match_their_sources() {
    let key = integrity::SecretKey::from_file(&integrity_example("keys/publisher.key"))
        .expect("publisher key");
    let public = integrity::PublicKey::from_file(&integrity_example("keys/publisher.pub"))
        .expect("publisher public key");
    assert_eq!(key.public_key(), public);
    for (source, signed) in [
        (guest("hello.wasm"), "bin/hello.signed.wasm"),
        (plugin_path("echo.wasm"), "bin/echo.signed.wasm"),
    ] {
        let fresh =
            integrity::sign(&std::fs::read(&source).expect("source"), &key, signed).expect("signs");
        let committed = std::fs::read(integrity_example(signed)).expect("signed example");
        assert!(
            fresh == committed,
            "examples/integrity/{signed} is stale: run `bash examples/integrity/build.sh`"
        );
    }
}
