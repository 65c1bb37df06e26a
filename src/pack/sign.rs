//! Ed25519 signatures over a pack's manifest.
//!
//! The manifest holds the hash of every other file, so signing its exact bytes covers the whole
//! pack. The signature goes in `manifest.sig`, the second entry, which the manifest does not list:
//! a small JSON object naming the algorithm, the public key and the signature, in hex. Ed25519
//! signatures are deterministic, so a signed pack is as reproducible as an unsigned one.
//!
//! Keys are files holding 32 bytes, raw or as 64 hex digits: a signing key is the secret seed
//! (`openssl rand -hex 32`), a verifying key the public key that `mrm pack` prints and records.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::{Contents, Entry, MANIFEST};

/// The signature's path inside a pack.
pub const SIGNATURE: &str = "manifest.sig";

/// `manifest.sig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureFile {
    pub algorithm: String,
    /// The public key, hex.
    pub public_key: String,
    /// The signature over the bytes of `manifest.json`, hex.
    pub signature: String,
}

/// Why a key or a signature could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("a key file must hold 32 bytes, raw or as 64 hex digits")]
    Format,
    #[error("not a valid Ed25519 public key")]
    PublicKey,
}

/// The outcome of checking a pack's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The pack has no `manifest.sig`.
    Unsigned,
    /// Signed by `public_key` and the signature matches the manifest.
    Valid { public_key: String },
    /// Signed by a different key than the one expected.
    OtherKey { public_key: String },
    /// The signature does not match the manifest (or `manifest.sig` is malformed).
    Invalid { reason: String },
}

fn key_bytes(bytes: &[u8]) -> Result<[u8; 32], KeyError> {
    if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
        return Ok(raw);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| KeyError::Format)?
        .trim();
    let mut out = [0u8; 32];
    base16ct::mixed::decode(text, &mut out)
        .ok()
        .filter(|d| d.len() == 32)
        .ok_or(KeyError::Format)?;
    Ok(out)
}

/// Reads a signing key (the 32-byte secret seed) from a key file's bytes.
pub fn signing_key(bytes: &[u8]) -> Result<SigningKey, KeyError> {
    Ok(SigningKey::from_bytes(&key_bytes(bytes)?))
}

/// Reads a verifying (public) key from a key file's bytes.
pub fn verifying_key(bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_bytes(&key_bytes(bytes)?).map_err(|_| KeyError::PublicKey)
}

/// Hex of a public key.
pub fn public_hex(key: &VerifyingKey) -> String {
    base16ct::lower::encode_string(key.as_bytes())
}

/// Signs the manifest and inserts `manifest.sig` right after it.
pub fn sign(contents: &mut Contents, key: &SigningKey) {
    let Some(manifest) = contents.entries.first().filter(|e| e.path == MANIFEST) else {
        return;
    };
    let signature = key.sign(&manifest.bytes);
    let file = SignatureFile {
        algorithm: "ed25519".to_string(),
        public_key: public_hex(&key.verifying_key()),
        signature: base16ct::lower::encode_string(&signature.to_bytes()),
    };
    let mut bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
    bytes.push(b'\n');
    contents.entries.retain(|e| e.path != SIGNATURE);
    contents.entries.insert(
        1,
        Entry {
            path: SIGNATURE.to_string(),
            bytes,
        },
    );
}

/// Checks `manifest.sig` (if any) against the manifest's bytes. With `expected`, the signature
/// must also be by that key.
pub fn check(
    manifest: &[u8],
    signature: Option<&[u8]>,
    expected: Option<&VerifyingKey>,
) -> SignatureCheck {
    let Some(signature) = signature else {
        return SignatureCheck::Unsigned;
    };
    let invalid = |reason: &str| SignatureCheck::Invalid {
        reason: reason.to_string(),
    };
    let Ok(file) = serde_json::from_slice::<SignatureFile>(signature) else {
        return invalid("`manifest.sig` is not a signature file");
    };
    if file.algorithm != "ed25519" {
        return invalid("`manifest.sig` names an unknown algorithm");
    }
    let Ok(key) = verifying_key(file.public_key.as_bytes()) else {
        return invalid("`manifest.sig` holds no valid public key");
    };
    let mut sig = [0u8; 64];
    if base16ct::mixed::decode(file.signature.trim(), &mut sig)
        .ok()
        .filter(|d| d.len() == 64)
        .is_none()
    {
        return invalid("`manifest.sig` holds no valid signature");
    }
    let public_key = public_hex(&key);
    if key
        .verify_strict(manifest, &Signature::from_bytes(&sig))
        .is_err()
    {
        return invalid("the signature does not match `manifest.json`");
    }
    match expected {
        Some(e) if e != &key => SignatureCheck::OtherKey { public_key },
        _ => SignatureCheck::Valid { public_key },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

    #[test]
    fn keys_are_read_raw_or_hex() {
        let from_hex = signing_key(format!("{SEED}\n").as_bytes()).unwrap();
        let raw = from_hex.to_bytes();
        assert_eq!(signing_key(&raw).unwrap().to_bytes(), raw);
        // RFC 8032, test 1.
        assert_eq!(
            public_hex(&from_hex.verifying_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(signing_key(b"abc").unwrap_err(), KeyError::Format);
        assert_eq!(signing_key(&[0u8; 31]).unwrap_err(), KeyError::Format);
    }

    #[test]
    fn a_signature_covers_the_manifest_bytes() {
        let key = signing_key(SEED.as_bytes()).unwrap();
        let public = key.verifying_key();
        let signature = key.sign(b"manifest");
        let file = SignatureFile {
            algorithm: "ed25519".into(),
            public_key: public_hex(&public),
            signature: base16ct::lower::encode_string(&signature.to_bytes()),
        };
        let sig = serde_json::to_vec(&file).unwrap();
        assert!(matches!(
            check(b"manifest", Some(&sig), Some(&public)),
            SignatureCheck::Valid { .. }
        ));
        assert!(matches!(
            check(b"manifesT", Some(&sig), Some(&public)),
            SignatureCheck::Invalid { .. }
        ));
        let other = signing_key(&[7u8; 32]).unwrap().verifying_key();
        assert!(matches!(
            check(b"manifest", Some(&sig), Some(&other)),
            SignatureCheck::OtherKey { .. }
        ));
        assert_eq!(check(b"manifest", None, None), SignatureCheck::Unsigned);
    }
}
