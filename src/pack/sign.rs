//! Ed25519 signatures over a pack's manifest, and the key files that make them.
//!
//! The manifest holds the hash of every other file, so signing its exact bytes covers the whole
//! pack. The signature goes in `manifest.sig`, the second entry, which the manifest does not list:
//! a small JSON object naming the algorithm, the public key and the signature, in hex. Ed25519
//! signatures are deterministic, so a signed pack is as reproducible as an unsigned one.
//!
//! Keys are read in the forms other tools write: a private key as PKCS#8 (PEM, as `mrm keygen`
//! and `openssl genpkey -algorithm ed25519` write it, or DER), a public key as a
//! SubjectPublicKeyInfo (PEM, as `openssl pkey -pubout` writes it, or DER). The bare 32 bytes,
//! raw or as 64 hex digits, are accepted too. A key is named by its [`fingerprint`]: the SHA-256
//! of its SubjectPublicKeyInfo DER, which
//! `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum` prints as well.

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey, KeypairBytes};
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

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "not an Ed25519 private key: expected PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, as \
         `mrm keygen` or `openssl genpkey -algorithm ed25519` write it), PKCS#8 DER, or 32 bytes \
         raw or as 64 hex digits"
    )]
    PrivateFormat,
    #[error(
        "not an Ed25519 public key: expected PEM (`-----BEGIN PUBLIC KEY-----`, as `mrm keygen` \
         or `openssl pkey -pubout` write it), DER, or 32 bytes raw or as 64 hex digits"
    )]
    PublicFormat,
    #[error("`{0}` is not an Ed25519 key: {1}")]
    Decode(String, String),
    #[error(
        "the private key is encrypted; write it decrypted with `openssl pkey -in KEY -out PLAIN` \
         and keep that file private"
    )]
    Encrypted,
    #[error("this is a public key; signing needs the private key")]
    NotPrivate,
    #[error(
        "this is a private key; pass its public key instead (`mrm keygen` writes it beside the \
         private key as `.pub`; `openssl pkey -in KEY -pubout` prints it)"
    )]
    NotPublic,
    #[error("`{0}` keys are not supported; use an Ed25519 key in PKCS#8 form")]
    Label(String),
    #[error("the 32 bytes are not a valid Ed25519 public key")]
    PublicKey,
}

/// The outcome of checking a pack's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The pack has no `manifest.sig`.
    Unsigned,
    /// Signed by `key` and the signature matches the manifest.
    Valid { key: VerifyingKey },
    /// A valid signature, but by another key than the one expected.
    OtherKey { key: VerifyingKey },
    /// The signature does not match the manifest (or `manifest.sig` is malformed).
    Invalid { reason: String },
}

/// The label of the first PEM block in `text`, if it has one.
fn pem_label(text: &str) -> Option<&str> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = text.get(start..)?;
    rest.get(..rest.find("-----")?)
}

/// The bare 32 bytes, raw or as 64 hex digits.
fn bare_key(bytes: &[u8]) -> Option<[u8; 32]> {
    if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
        return Some(raw);
    }
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let mut out = [0u8; 32];
    base16ct::mixed::decode(text, &mut out)
        .ok()
        .filter(|d| d.len() == 32)?;
    Some(out)
}

/// Reads a signing (private) key from a key file's bytes.
pub fn signing_key(bytes: &[u8]) -> Result<SigningKey, KeyError> {
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Some(label) = pem_label(text)
    {
        return match label {
            "PRIVATE KEY" => SigningKey::from_pkcs8_pem(text)
                .map_err(|e| KeyError::Decode(label.to_string(), e.to_string())),
            "ENCRYPTED PRIVATE KEY" => Err(KeyError::Encrypted),
            "PUBLIC KEY" => Err(KeyError::NotPrivate),
            other => Err(KeyError::Label(other.to_string())),
        };
    }
    if let Some(seed) = bare_key(bytes) {
        return Ok(SigningKey::from_bytes(&seed));
    }
    if VerifyingKey::from_public_key_der(bytes).is_ok() {
        return Err(KeyError::NotPrivate);
    }
    SigningKey::from_pkcs8_der(bytes).map_err(|_| KeyError::PrivateFormat)
}

/// Reads a verifying (public) key from a key file's bytes.
pub fn verifying_key(bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Some(label) = pem_label(text)
    {
        return match label {
            "PUBLIC KEY" => VerifyingKey::from_public_key_pem(text)
                .map_err(|e| KeyError::Decode(label.to_string(), e.to_string())),
            "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => Err(KeyError::NotPublic),
            other => Err(KeyError::Label(other.to_string())),
        };
    }
    if let Some(raw) = bare_key(bytes) {
        return VerifyingKey::from_bytes(&raw).map_err(|_| KeyError::PublicKey);
    }
    if SigningKey::from_pkcs8_der(bytes).is_ok() {
        return Err(KeyError::NotPublic);
    }
    VerifyingKey::from_public_key_der(bytes).map_err(|_| KeyError::PublicFormat)
}

/// A new signing key from the operating system's random source.
pub fn generate() -> Result<SigningKey, getrandom::Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)?;
    let key = SigningKey::from_bytes(&seed);
    zeroize::Zeroize::zeroize(&mut seed);
    Ok(key)
}

/// The private key as PKCS#8 v1 PEM, the form `openssl genpkey -algorithm ed25519` writes (the
/// public key is not embedded, so every PKCS#8 reader accepts it).
pub fn private_pem(key: &SigningKey) -> Result<zeroize::Zeroizing<String>, KeyError> {
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    let bare = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    bare.to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| KeyError::PrivateFormat)
}

/// The public key as SubjectPublicKeyInfo PEM, the form `openssl pkey -pubout` writes.
pub fn public_pem(key: &VerifyingKey) -> Result<String, KeyError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|_| KeyError::PublicKey)
}

/// A key's fingerprint: `sha256:` and the SHA-256 of its SubjectPublicKeyInfo DER, in hex.
pub fn fingerprint(key: &VerifyingKey) -> String {
    match key.to_public_key_der() {
        Ok(der) => format!("sha256:{}", super::sha256(der.as_bytes())),
        // Encoding 32 bytes under a fixed algorithm identifier does not fail; should it, the
        // key is still named unambiguously.
        Err(_) => format!("ed25519:{}", public_hex(key)),
    }
}

/// Hex of a public key.
pub fn public_hex(key: &VerifyingKey) -> String {
    base16ct::lower::encode_string(key.as_bytes())
}

/// Signs the manifest and inserts `manifest.sig` right after it.
pub fn sign(contents: &mut Contents, key: &SigningKey) {
    let Some(manifest) = contents
        .entries
        .first()
        .filter(|e| e.path == MANIFEST)
        .and_then(Entry::bytes)
    else {
        return;
    };
    let signature = key.sign(manifest);
    let file = SignatureFile {
        algorithm: "ed25519".to_string(),
        public_key: public_hex(&key.verifying_key()),
        signature: base16ct::lower::encode_string(&signature.to_bytes()),
    };
    let mut bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
    bytes.push(b'\n');
    contents.entries.retain(|e| e.path != SIGNATURE);
    contents.entries.insert(1, Entry::new(SIGNATURE, bytes));
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
    let Some(key) = bare_key(file.public_key.as_bytes())
        .filter(|_| file.public_key.len() == 64)
        .and_then(|raw| VerifyingKey::from_bytes(&raw).ok())
    else {
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
    if key
        .verify_strict(manifest, &Signature::from_bytes(&sig))
        .is_err()
    {
        return invalid("the signature does not match `manifest.json`");
    }
    match expected {
        Some(e) if e != &key => SignatureCheck::OtherKey { key },
        _ => SignatureCheck::Valid { key },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    /// RFC 8032 test 1's key as `openssl pkey` writes it (RFC 8410, section 10.3, is the same
    /// structure).
    const PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
        -----END PRIVATE KEY-----\n";
    const PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----\n\
        MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n\
        -----END PUBLIC KEY-----\n";

    #[test]
    fn keys_are_read_as_pkcs8_raw_or_hex() {
        let from_hex = signing_key(format!("{SEED}\n").as_bytes()).unwrap();
        let raw = from_hex.to_bytes();
        assert_eq!(signing_key(&raw).unwrap().to_bytes(), raw);
        assert_eq!(signing_key(PEM.as_bytes()).unwrap().to_bytes(), raw);
        // RFC 8032, test 1.
        assert_eq!(
            public_hex(&from_hex.verifying_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            verifying_key(PUBLIC_PEM.as_bytes()).unwrap(),
            from_hex.verifying_key()
        );
        assert_eq!(private_pem(&from_hex).unwrap().as_str(), PEM);
        assert_eq!(public_pem(&from_hex.verifying_key()).unwrap(), PUBLIC_PEM);
        assert_eq!(signing_key(b"abc").unwrap_err(), KeyError::PrivateFormat);
        assert_eq!(
            signing_key(&[0u8; 31]).unwrap_err(),
            KeyError::PrivateFormat
        );
    }

    #[test]
    fn a_key_of_the_wrong_kind_says_which_file_to_pass() {
        assert_eq!(
            signing_key(PUBLIC_PEM.as_bytes()).unwrap_err(),
            KeyError::NotPrivate
        );
        assert_eq!(
            verifying_key(PEM.as_bytes()).unwrap_err(),
            KeyError::NotPublic
        );
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert_eq!(
            signing_key(encrypted.as_bytes()).unwrap_err(),
            KeyError::Encrypted
        );
        let rsa = "-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(
            signing_key(rsa.as_bytes()).unwrap_err(),
            KeyError::Label("RSA PRIVATE KEY".into())
        );
        // A PKCS#8 key of another algorithm (P-256) is refused, not misread.
        let p256 = "-----BEGIN PRIVATE KEY-----\n\
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4MncKkCKcuJI0HBr\n\
            MxkQmueiGhXJ0sRr35PjI+BN8P2hRANCAARayxxmpNxrz4aBend/zISorwz7ReYw\n\
            kSiYXIMk8Rr3YL65B2a+28d1SCpDtxFsSv4eUVW6X8HSoR/d+jdor80s\n\
            -----END PRIVATE KEY-----\n";
        assert!(matches!(
            signing_key(p256.as_bytes()).unwrap_err(),
            KeyError::Decode(..)
        ));
    }

    #[test]
    fn the_fingerprint_is_the_sha256_of_the_public_key_der() {
        let key = verifying_key(PUBLIC_PEM.as_bytes()).unwrap();
        let der = base64_der(PUBLIC_PEM);
        assert_eq!(
            fingerprint(&key),
            format!("sha256:{}", super::super::sha256(&der))
        );
    }

    /// The DER inside a one-block PEM, decoded by hand so the test does not share the code under
    /// test.
    fn base64_der(pem: &str) -> Vec<u8> {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let mut bits = 0u32;
        let mut n = 0;
        let mut out = Vec::new();
        for c in body.bytes().filter(|c| *c != b'=') {
            let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
            bits = (bits << 6) | v;
            n += 6;
            if n >= 8 {
                n -= 8;
                out.push((bits >> n) as u8);
                bits &= (1 << n) - 1;
            }
        }
        out
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
        assert_eq!(
            check(b"manifest", Some(&sig), Some(&public)),
            SignatureCheck::Valid { key: public }
        );
        assert!(matches!(
            check(b"manifesT", Some(&sig), Some(&public)),
            SignatureCheck::Invalid { .. }
        ));
        let other = signing_key(&[7u8; 32]).unwrap().verifying_key();
        assert_eq!(
            check(b"manifest", Some(&sig), Some(&other)),
            SignatureCheck::OtherKey { key: public }
        );
        assert_eq!(check(b"manifest", None, None), SignatureCheck::Unsigned);
    }
}
