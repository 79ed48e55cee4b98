//! Getting code past a policy that trusts only signed, unmodified binaries: unsigned, edited
//! after signing (code, custom sections, the signature), stripped, moved or spoofed
//! signatures, hostile signature sections, unpinned bytes. Every one must be refused before
//! the guest runs, with `Error::Integrity` (exit 126).

use crate::cases::module::binary::{leb, section};
use crate::env::captured;
use crate::expect::ErrorKind::Integrity;
use crate::{Case, Category, Ctx, Expect, Got};
use nanoproc::integrity::{self, KeyPair};
use nanoproc::{PolicyBuilder, policy::OutputMode};
use std::sync::LazyLock;

/// The publisher the policy trusts, and another key.
static ALICE: LazyLock<KeyPair> = LazyLock::new(KeyPair::generate);
static EVE: LazyLock<KeyPair> = LazyLock::new(KeyPair::generate);

/// The integrity cases.
pub fn cases() -> Vec<Case> {
    let case = |id, attack, defence, phrase, f| {
        Case::new(
            id,
            Category::Integrity,
            attack,
            defence,
            Expect::Error(Integrity, phrase),
            f,
        )
    };
    vec![
        case(
            "integrity.unsigned",
            "an unsigned `hello.wasm` run under a policy trusting one key",
            "a trusted key makes a signature mandatory; checked before compiling",
            "is not signed",
            unsigned,
        ),
        case(
            "integrity.code_byte_flipped",
            "a signed `hello.wasm` with one byte of its data segment changed",
            "the signature covers the SHA-256 of every byte after the signature section",
            "was modified after it was signed",
            code_byte_flipped,
        ),
        case(
            "integrity.custom_section_appended",
            "a custom section appended to a signed binary (metadata smuggled in after signing)",
            "custom sections are covered like code; nothing may be added after signing",
            "was modified after it was signed",
            custom_section_appended,
        ),
        case(
            "integrity.signature_byte_flipped",
            "one byte of the Ed25519 signature itself changed",
            "the signature is checked against the trusted public key",
            "was modified after it was signed",
            signature_byte_flipped,
        ),
        case(
            "integrity.signature_stripped",
            "the signature section cut out of a signed binary",
            "without its section the binary is simply unsigned",
            "is not signed",
            signature_stripped,
        ),
        case(
            "integrity.signature_moved_last",
            "a valid signature section moved from the front to the end of the binary",
            "only a `signature` section placed first counts (the format's rule)",
            "is not signed",
            signature_moved_last,
        ),
        case(
            "integrity.key_id_spoofed",
            "a binary signed by an untrusted key whose signature claims the trusted key's id",
            "key ids are hints: the signature must verify under the trusted key itself",
            "was modified after it was signed",
            key_id_spoofed,
        ),
        case(
            "integrity.wrong_key",
            "a binary correctly signed, but by a key the policy does not trust",
            "only the policy's keys count; the message names the signer and the trusted keys",
            "not by one of 1 trusted keys",
            wrong_key,
        ),
        case(
            "integrity.garbage_signature_section",
            "a `signature` section first, holding random bytes",
            "a signature section that does not parse is refused, never half-trusted",
            "signature section that cannot be parsed",
            garbage_signature_section,
        ),
        case(
            "integrity.signature_count_bomb",
            "a `signature` section declaring 4 billion signed hash sets",
            "the parser's bounds (64 hash sets, 256 signatures) refuse it before allocating",
            "signature section that cannot be parsed",
            signature_count_bomb,
        ),
        case(
            "integrity.plugin_unsigned",
            "an unsigned plugin given to the plugin builder under a policy trusting one key",
            "plugins are checked like commands, before compiling",
            "is not signed",
            plugin_unsigned,
        ),
        case(
            "integrity.pin_mismatch",
            "a binary whose sha256 is not among the policy's pins",
            "with pins, only those exact bytes run",
            "which the policy does not pin",
            pin_mismatch,
        ),
    ]
}

fn trusting_alice() -> PolicyBuilder {
    let mut b = captured();
    b.trust_key(ALICE.public.clone());
    b
}

fn hello(cx: &Ctx) -> Result<Vec<u8>, String> {
    std::fs::read(cx.env.guest_path("hello.wasm")).map_err(|e| format!("hello.wasm: {e}"))
}

fn signed_by(bytes: &[u8], key: &KeyPair) -> Result<Vec<u8>, String> {
    integrity::sign(bytes, &key.secret, "attack.wasm").map_err(|e| e.to_string())
}

/// Where the first section (the signature section of a signed binary) ends.
fn first_section_end(bytes: &[u8]) -> usize {
    let (mut size, mut shift, mut i) = (0usize, 0, 9);
    while let Some(&b) = bytes.get(i) {
        size |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    i + size
}

fn run(cx: &Ctx, bytes: &[u8], mut policy: PolicyBuilder) -> Got {
    cx.env.run_bytes(bytes, &[], &mut policy)
}

fn unsigned(cx: &Ctx) -> Result<Got, String> {
    Ok(run(cx, &hello(cx)?, trusting_alice()))
}

fn code_byte_flipped(cx: &Ctx) -> Result<Got, String> {
    let mut signed = signed_by(&hello(cx)?, &ALICE)?;
    let at = signed
        .windows(5)
        .rposition(|w| w == b"hello")
        .ok_or("no greeting in hello.wasm")?;
    signed[at] = b'j';
    Ok(run(cx, &signed, trusting_alice()))
}

fn custom_section_appended(cx: &Ctx) -> Result<Got, String> {
    let mut signed = signed_by(&hello(cx)?, &ALICE)?;
    let mut payload = leb(4);
    payload.extend_from_slice(b"note");
    payload.extend_from_slice(b"run with --allow-net *:*");
    signed.extend(section(0, &payload));
    Ok(run(cx, &signed, trusting_alice()))
}

fn signature_byte_flipped(cx: &Ctx) -> Result<Got, String> {
    let mut signed = signed_by(&hello(cx)?, &ALICE)?;
    let last = first_section_end(&signed) - 1;
    signed[last] ^= 0x80;
    Ok(run(cx, &signed, trusting_alice()))
}

fn signature_stripped(cx: &Ctx) -> Result<Got, String> {
    let signed = signed_by(&hello(cx)?, &ALICE)?;
    let end = first_section_end(&signed);
    Ok(run(
        cx,
        &[&signed[..8], &signed[end..]].concat(),
        trusting_alice(),
    ))
}

fn signature_moved_last(cx: &Ctx) -> Result<Got, String> {
    let signed = signed_by(&hello(cx)?, &ALICE)?;
    let end = first_section_end(&signed);
    Ok(run(
        cx,
        &[&signed[..8], &signed[end..], &signed[8..end]].concat(),
        trusting_alice(),
    ))
}

fn key_id_spoofed(cx: &Ctx) -> Result<Got, String> {
    let mut signed = signed_by(&hello(cx)?, &EVE)?;
    let eve_id = hex_bytes(&EVE.public.fingerprint())?;
    let alice_id = hex_bytes(&ALICE.public.fingerprint())?;
    let end = first_section_end(&signed);
    let at = signed[..end]
        .windows(eve_id.len())
        .position(|w| w == eve_id.as_slice())
        .ok_or("no key id in the signature section")?;
    signed[at..at + alice_id.len()].copy_from_slice(&alice_id);
    Ok(run(cx, &signed, trusting_alice()))
}

fn hex_bytes(fingerprint: &str) -> Result<Vec<u8>, String> {
    let hex = fingerprint.trim_start_matches("ed25519:");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

fn wrong_key(cx: &Ctx) -> Result<Got, String> {
    Ok(run(cx, &signed_by(&hello(cx)?, &EVE)?, trusting_alice()))
}

/// `hello.wasm` with a first custom section named `signature` holding `payload`.
fn with_signature_section(cx: &Ctx, payload: &[u8]) -> Result<Vec<u8>, String> {
    let bytes = hello(cx)?;
    let mut content = leb(9);
    content.extend_from_slice(b"signature");
    content.extend_from_slice(payload);
    Ok([&bytes[..8], &section(0, &content), &bytes[8..]].concat())
}

fn garbage_signature_section(cx: &Ctx) -> Result<Got, String> {
    let noise: Vec<u8> = (0..200u32)
        .map(|i| (i.wrapping_mul(151) % 251) as u8)
        .collect();
    Ok(run(
        cx,
        &with_signature_section(cx, &noise)?,
        trusting_alice(),
    ))
}

fn signature_count_bomb(cx: &Ctx) -> Result<Got, String> {
    // Version 1, content type 1, SHA-256, then 0xffffffff hash sets.
    let mut payload = vec![1, 1, 1];
    payload.extend(leb(u32::MAX as u64));
    Ok(run(
        cx,
        &with_signature_section(cx, &payload)?,
        trusting_alice(),
    ))
}

fn plugin_unsigned(cx: &Ctx) -> Result<Got, String> {
    let mut b = trusting_alice();
    b.stdout(OutputMode::Inherit).stderr(OutputMode::Inherit);
    let policy = b.build().map_err(|e| e.to_string())?;
    Ok(match cx.env.plugin_file("echo.wasm", policy) {
        Ok(p) => Got::call(p.call("echo", b"unsigned")),
        Err(e) => Got::failed(e),
    })
}

fn pin_mismatch(cx: &Ctx) -> Result<Got, String> {
    let mut b = captured();
    b.pin_sha256(&"ab".repeat(32)).map_err(|e| e.to_string())?;
    Ok(run(cx, &hello(cx)?, b))
}
