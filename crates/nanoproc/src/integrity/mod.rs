//! Module integrity: Ed25519 signatures embedded in a module or component (the WebAssembly
//! module-signatures format, through the `wasmsign2` crate), sha256 pins, and the policy part
//! that requires them ([`IntegrityPolicy`]). See `docs/integrity.md`.
//!
//! A signature lives in a custom section (`signature`) at the start of the binary, so a signed
//! module still runs in any runtime. It covers every other byte of the binary, custom sections
//! included: changing one byte anywhere, adding or removing a section, or editing the signature
//! itself makes it fail. One binary may carry several signatures (one per key).

mod keys;
mod verify;

pub use keys::{KeyPair, PublicKey, SecretKey};
pub use verify::{SignatureInfo, Verified, check, sign, signature_info, signers};

/// How many of the trusted keys must have signed a module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureRequirement {
    /// No signature is required (the default).
    #[default]
    None,
    /// A valid signature by at least one trusted key.
    Any,
    /// A valid signature by every trusted key.
    All,
}

/// What a policy requires of a binary before it may run: signatures by trusted keys and/or an
/// exact sha256. Empty (the default) requires nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrityPolicy {
    /// The keys whose signatures count.
    pub trusted_keys: Vec<PublicKey>,
    /// How many of them must have signed.
    pub require: SignatureRequirement,
    /// If not empty, the binary's sha256 must be one of these.
    pub sha256: Vec<[u8; 32]>,
}

impl IntegrityPolicy {
    /// Whether this policy checks anything at all.
    pub fn is_active(&self) -> bool {
        self.require != SignatureRequirement::None || !self.sha256.is_empty()
    }

    /// The policy as JSON, for descriptions and run receipts.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "require_signature": self.require,
            "trusted_keys": self.trusted_keys.iter().map(PublicKey::fingerprint).collect::<Vec<_>>(),
            "sha256": self.sha256.iter().map(hex::encode).collect::<Vec<_>>(),
        })
    }
}

/// Parses a sha256 pin: 64 hex digits, optionally prefixed with `sha256:`.
pub fn parse_sha256(text: &str) -> Result<[u8; 32], String> {
    let hex_part = text.trim().strip_prefix("sha256:").unwrap_or(text.trim());
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut out).map_err(|_| {
        format!(
            "`{}` is not a sha256 digest (64 hex digits; `nanoproc inspect FILE` prints a module's)",
            crate::error::escape_controls(text)
        )
    })?;
    Ok(out)
}
