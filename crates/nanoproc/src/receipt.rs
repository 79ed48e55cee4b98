//! Signed run receipts: a JSON record of what ran (the binary's sha256 and signers), under
//! which policy (digest and the policy itself), with which versions and limits, what it used
//! and was refused, how it ended and when, signed with a host key. See `docs/integrity.md`.
//!
//! The signature covers the receipt's canonical form: the JSON without its `signature`
//! member, object keys sorted by their UTF-8 bytes at every level, no whitespace, prefixed with
//! [`SIGNING_CONTEXT`]. Any edit to any member after signing makes [`verify`] fail.

use crate::audit::Decision;
use crate::error::{Error, Result};
use crate::integrity::{self, PublicKey, SecretKey};
use crate::loader::Loaded;
use crate::outcome::{Outcome, Status};
use crate::policy::Policy;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// The receipt format, recorded in its `format` member.
pub const FORMAT: &str = "nanoproc-receipt/1";

/// Bytes signed before the canonical JSON, so a receipt signature can never be replayed as a
/// signature over anything else made with the same key.
pub const SIGNING_CONTEXT: &[u8] = b"nanoproc-receipt/1\0";

/// The version of Wasmtime nanoproc runs on.
pub const WASMTIME_VERSION: &str = "48.0.8";

/// What a receipt describes: one run of `module` under `policy`.
pub struct RunRecord<'a> {
    /// The binary that ran.
    pub module: &'a Loaded,
    /// The policy it ran under.
    pub policy: &'a Policy,
    /// How it ended, with its audit events.
    pub outcome: &'a Outcome,
    /// When the run started.
    pub started: SystemTime,
    /// When it ended.
    pub ended: SystemTime,
}

/// Builds the unsigned receipt of `run`.
pub fn build(run: &RunRecord<'_>) -> Value {
    let trusted = &run.policy.integrity().trusted_keys;
    let signers = integrity::signers(run.module.bytes(), trusted, &run.module.name)
        .map(|keys| keys.iter().map(PublicKey::fingerprint).collect::<Vec<_>>())
        .unwrap_or_default();
    let signatures = integrity::signature_info(run.module.bytes(), &run.module.name)
        .map(|i| i.key_ids)
        .unwrap_or_default();
    let policy_json = run.policy.to_json();
    let mut used: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut denied: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for e in &run.outcome.events {
        match e.decision {
            Decision::Allowed => *used.entry((e.what.clone(), e.target.clone())).or_default() += 1,
            Decision::Denied => {
                *denied
                    .entry((e.what.clone(), e.target.clone(), e.rule.clone()))
                    .or_default() += 1
            }
        }
    }
    let (status, error) = match &run.outcome.status {
        Status::Exited(_) => ("exited", Value::Null),
        Status::Stopped(e) => (
            "stopped",
            json!({"kind": e.kind_name(), "message": e.to_string()}),
        ),
    };
    json!({
        "format": FORMAT,
        "module": {
            "name": run.module.name,
            "kind": run.module.kind,
            "size": run.module.size,
            "sha256": run.module.sha256_hex(),
            "signers": signers,
            "signatures": signatures,
        },
        "policy": {
            "digest": format!("sha256:{}", hex::encode(Sha256::digest(canonical(&policy_json)))),
            "policy": policy_json,
        },
        "versions": {"nanoproc": env!("CARGO_PKG_VERSION"), "wasmtime": WASMTIME_VERSION},
        "limits": run.policy.limits().to_json(),
        "capabilities_used": used.into_iter().map(|((what, target), count)| {
            json!({"what": what, "target": target, "count": count})
        }).collect::<Vec<_>>(),
        "denials": denied.into_iter().map(|((what, target, rule), count)| {
            json!({"what": what, "target": target, "rule": rule, "count": count})
        }).collect::<Vec<_>>(),
        "events_dropped": run.outcome.events_dropped,
        "outcome": {
            "status": status,
            "exit_code": run.outcome.exit_code(),
            "error": error,
            "usage": run.outcome.usage,
        },
        "started_at": humantime::format_rfc3339_millis(run.started).to_string(),
        "ended_at": humantime::format_rfc3339_millis(run.ended).to_string(),
    })
}

/// Signs `receipt` with the host key: adds its `signature` member (replacing any).
pub fn sign(mut receipt: Value, key: &SecretKey) -> Result<Value> {
    let Value::Object(map) = &mut receipt else {
        return Err(Error::Internal("a receipt must be a JSON object".into()));
    };
    map.remove("signature");
    let public = key.public_key();
    let signature = key.sign_detached(&signed_bytes(map));
    map.insert(
        "signature".into(),
        json!({
            "algorithm": "ed25519",
            "key": public.fingerprint(),
            "public_key": hex::encode(public.as_bytes()),
            "value": hex::encode(signature),
        }),
    );
    Ok(receipt)
}

/// What [`verify`] established.
#[derive(Debug, Clone)]
pub struct VerifiedReceipt {
    /// Fingerprint of the host key that signed it.
    pub signer: String,
    /// The receipt.
    pub receipt: Value,
}

/// Checks a receipt's signature against the trusted host keys. Fails with
/// [`Error::Integrity`] if it is not a receipt, is not signed, was signed by another key, or
/// was edited after signing.
pub fn verify(text: &str, trusted: &[PublicKey]) -> Result<VerifiedReceipt> {
    let bad = |why: String| Error::Integrity(format!("the receipt {why}"));
    let mut receipt: Value =
        serde_json::from_str(text).map_err(|e| bad(format!("is not JSON ({e})")))?;
    let Value::Object(map) = &mut receipt else {
        return Err(bad("is not a JSON object".into()));
    };
    if map.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(bad(format!("is not a `{FORMAT}` receipt")));
    }
    let Some(Value::Object(sig)) = map.remove("signature") else {
        return Err(bad("is not signed (no `signature` member)".into()));
    };
    let field = |k: &str| sig.get(k).and_then(Value::as_str).unwrap_or_default();
    if field("algorithm") != "ed25519" {
        return Err(bad("is signed with an algorithm other than ed25519".into()));
    }
    let key_bytes = hex::decode(field("public_key"))
        .map_err(|_| bad("names a signing key that is not hex".into()))?;
    let Some(key) = trusted
        .iter()
        .find(|k| k.as_bytes() == key_bytes.as_slice())
    else {
        let names: Vec<String> = trusted.iter().map(PublicKey::fingerprint).collect();
        let claimed = PublicKey::from_bytes(&ed25519_raw(&key_bytes))
            .map(|k| k.fingerprint())
            .unwrap_or_else(|_| "an unreadable key".into());
        return Err(bad(format!(
            "was signed by {claimed}, not by a trusted host key ({})",
            names.join(", ")
        )));
    };
    let signature = hex::decode(field("value")).unwrap_or_default();
    if !key.verify_detached(&signed_bytes(map), &signature) {
        return Err(bad(format!(
            "was modified after it was signed: the signature by {} does not match its content",
            key.fingerprint()
        )));
    }
    map.insert("signature".into(), Value::Object(sig));
    Ok(VerifiedReceipt {
        signer: key.fingerprint(),
        receipt,
    })
}

/// wasmsign2's raw public key form: a type byte, then the 32 key bytes.
fn ed25519_raw(key: &[u8]) -> Vec<u8> {
    let mut raw = vec![0x01];
    raw.extend_from_slice(key);
    raw
}

fn signed_bytes(map: &Map<String, Value>) -> Vec<u8> {
    let mut out = SIGNING_CONTEXT.to_vec();
    out.extend(canonical(&Value::Object(map.clone())));
    out
}

/// `value` as canonical JSON: object keys sorted at every level, no whitespace.
pub fn canonical(value: &Value) -> Vec<u8> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&m[k]));
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sorted(value)).unwrap_or_default()
}

/// sha256 of `bytes` as lowercase hex, as receipts record a module's.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
