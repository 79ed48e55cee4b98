//! Signing and checking binaries, and the one-line reasons a check fails.

use super::{IntegrityPolicy, PublicKey, SecretKey, SignatureRequirement};
use crate::error::{Error, Result, escape_controls};
use sha2::{Digest, Sha256};

/// What a successful check established about a binary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    /// sha256 of the binary, lowercase hex.
    pub sha256: String,
    /// Fingerprints of the trusted keys whose signatures verified (empty if none were
    /// trusted or required).
    pub signers: Vec<String>,
}

/// The signatures a binary carries, as its signature section lists them (not verified).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SignatureInfo {
    /// The key id stored with each signature, as a fingerprint (`ed25519:…`), or
    /// `(no key id)`.
    pub key_ids: Vec<String>,
}

/// Adds a signature by `key` to `binary` (a module or component, signed or not) and returns
/// the signed binary. Existing signatures by other keys stay valid.
pub fn sign(binary: &[u8], key: &SecretKey, name: &str) -> Result<Vec<u8>> {
    let module = parse(binary, name)?;
    let public = key.public_key();
    let (signed, _) = key
        .inner
        .sign_multi(module, Some(&public.key_id()), false, false)
        .map_err(|e| match e {
            wasmsign2::WSError::DuplicateSignature => Error::InvalidModule(format!(
                "`{name}` is already signed by {}",
                public.fingerprint()
            )),
            wasmsign2::WSError::IncompatibleSignatureVersion => Error::InvalidModule(format!(
                "`{name}` carries a signature section of another format version; strip it first"
            )),
            other => Error::InvalidModule(format!("cannot sign `{name}`: {other}")),
        })?;
    let mut out = Vec::with_capacity(binary.len() + 256);
    signed
        .serialize(&mut out)
        .map_err(|e| Error::Internal(format!("cannot write the signed `{name}`: {e}")))?;
    Ok(out)
}

/// Lists the signatures `binary` carries, without verifying them.
pub fn signature_info(binary: &[u8], name: &str) -> Result<SignatureInfo> {
    let module = parse(binary, name)?;
    let Some(wasmsign2::Section::Custom(header)) = module.sections.first() else {
        return Ok(SignatureInfo::default());
    };
    if !header.is_signature_header() {
        return Ok(SignatureInfo::default());
    }
    let data = header.signature_data().map_err(|_| {
        Error::Integrity(format!(
            "`{name}` has a signature section that cannot be parsed (corrupted or tampered with)"
        ))
    })?;
    let key_ids = data
        .signed_hashes_set
        .iter()
        .flat_map(|set| set.signatures.iter())
        .map(|sig| match &sig.key_id {
            Some(id) => format!("ed25519:{}", hex::encode(id)),
            None => "(no key id)".to_string(),
        })
        .collect();
    Ok(SignatureInfo { key_ids })
}

/// The keys among `keys` whose signatures on `binary` verify: each signature covers the
/// hash of every byte after the signature section, so any change since signing (code, a
/// custom section, an added or removed section) fails it. Unsigned or tampered binaries give
/// an empty list.
pub fn signers(binary: &[u8], keys: &[PublicKey], name: &str) -> Result<Vec<PublicKey>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    parse(binary, name)?;
    let mut valid = Vec::new();
    for key in keys {
        // The whole-module check (`PublicKey::verify`) hashes everything after the signature
        // section. (`PublicKeySet::verify_matrix` compares hashes only at signature
        // delimiters, which a module signed as a whole has none of.)
        match key.inner.verify(&mut &binary[..], None) {
            Ok(()) => valid.push(key.clone()),
            Err(
                wasmsign2::WSError::NoSignatures
                | wasmsign2::WSError::VerificationFailed
                | wasmsign2::WSError::VerificationFailedForPredicates
                | wasmsign2::WSError::CryptoError(_),
            ) => {}
            Err(_) => {
                return Err(Error::Integrity(format!(
                    "`{name}` has a signature section that cannot be parsed (corrupted or \
                     tampered with)"
                )));
            }
        }
    }
    Ok(valid)
}

/// Checks `binary` against `policy`: its sha256 against the pins, its signatures against the
/// trusted keys. Fails with [`Error::Integrity`] and one line naming the reason: not pinned,
/// not signed, signed by no trusted key, or modified after signing.
pub fn check(binary: &[u8], name: &str, policy: &IntegrityPolicy) -> Result<Verified> {
    let sha256: [u8; 32] = Sha256::digest(binary).into();
    let name = escape_controls(name);
    if !policy.sha256.is_empty() && !policy.sha256.contains(&sha256) {
        let pinned: Vec<String> = policy.sha256.iter().map(short_hex).collect();
        return Err(Error::Integrity(format!(
            "`{name}` has sha256 {}, which the policy does not pin (pinned: {}); if you trust \
             this binary, pin it with `--sha256 {}` or `sha256 = [\"{}\"]` under [integrity]",
            hex::encode(sha256),
            pinned.join(", "),
            hex::encode(sha256),
            hex::encode(sha256)
        )));
    }
    let valid = signers(binary, &policy.trusted_keys, &name)?;
    let verified = Verified {
        sha256: hex::encode(sha256),
        signers: valid.iter().map(PublicKey::fingerprint).collect(),
    };
    let required: Vec<&PublicKey> = match policy.require {
        SignatureRequirement::None => return Ok(verified),
        SignatureRequirement::Any if !valid.is_empty() => return Ok(verified),
        SignatureRequirement::Any => policy.trusted_keys.iter().collect(),
        SignatureRequirement::All => policy
            .trusted_keys
            .iter()
            .filter(|k| !valid.contains(k))
            .collect(),
    };
    if required.is_empty() {
        return Ok(verified);
    }
    let info = signature_info(binary, &name)?;
    let how_many = match policy.require {
        SignatureRequirement::All => format!("all {} trusted keys", policy.trusted_keys.len()),
        _ => format!("one of {} trusted keys", policy.trusted_keys.len()),
    };
    if info.key_ids.is_empty() {
        return Err(Error::Integrity(format!(
            "`{name}` is not signed, and the policy requires a signature by {how_many} \
             (sign it: nanoproc sign --key KEY {name})"
        )));
    }
    // A signature whose key id names a required key, yet did not verify: the bytes (code,
    // a custom section, or the signature itself) changed after signing.
    if let Some(key) = required
        .iter()
        .find(|k| info.key_ids.contains(&k.fingerprint()))
    {
        return Err(Error::Integrity(format!(
            "`{name}` was modified after it was signed: the signature by {} does not match its \
             content (re-sign the binary you trust)",
            key.fingerprint()
        )));
    }
    let missing: Vec<String> = required.iter().map(|k| k.fingerprint()).collect();
    Err(Error::Integrity(format!(
        "`{name}` is signed by {}, not by {} ({}) as the policy requires; trust the signer's \
         public key with `--trust-key FILE` or `trusted_keys` under [integrity]",
        info.key_ids.join(", "),
        how_many,
        missing.join(", ")
    )))
}

fn parse(binary: &[u8], name: &str) -> Result<wasmsign2::Module> {
    wasmsign2::Module::deserialize(&mut &binary[..]).map_err(|e| {
        Error::InvalidModule(format!(
            "`{}` is not a WebAssembly module or component ({e})",
            escape_controls(name)
        ))
    })
}

fn short_hex(h: &[u8; 32]) -> String {
    format!("{}…", &hex::encode(h)[..16])
}
