//! `mrm keygen FILE`: a new Ed25519 key pair for signing packs.
//!
//! The private key goes to `FILE` as PKCS#8 PEM, readable by its owner only (mode 0600 from the
//! moment it exists); the public key goes to `FILE.pub` as SubjectPublicKeyInfo PEM. Both are
//! the forms `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write, so either
//! tool reads the other's keys. Existing files are never overwritten, and an interrupted run
//! leaves no partial key: each file is written under a temporary name and linked into place.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::{EXIT_ERROR, EXIT_OK};
use crate::pack::sign;

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the private key; the public key goes to the same path with `.pub` added
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// The public key's path: the private key's with `.pub` appended.
pub fn public_path(private: &Path) -> PathBuf {
    let mut name = private.as_os_str().to_os_string();
    name.push(".pub");
    PathBuf::from(name)
}

pub fn run(args: &KeygenArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let private = &args.file;
    let public = public_path(private);
    for path in [private, &public] {
        if std::fs::symlink_metadata(path).is_ok() {
            writeln!(
                err,
                "error: `{}` already exists; keys are never overwritten (choose another name, or \
                 remove it if it is no longer needed)",
                path.display()
            )?;
            return Ok(EXIT_ERROR);
        }
    }
    let key = match sign::generate() {
        Ok(k) => k,
        Err(e) => {
            writeln!(
                err,
                "error: cannot get random bytes from the operating system: {e}"
            )?;
            return Ok(EXIT_ERROR);
        }
    };
    let verifying = key.verifying_key();
    let (private_pem, public_pem) = match (sign::private_pem(&key), sign::public_pem(&verifying)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            writeln!(err, "error: cannot encode the key: {e}")?;
            return Ok(EXIT_ERROR);
        }
    };
    if let Err(e) = write_new(private, private_pem.as_bytes(), 0o600) {
        writeln!(err, "error: cannot write `{}`: {e}", private.display())?;
        return Ok(EXIT_ERROR);
    }
    if let Err(e) = write_new(&public, public_pem.as_bytes(), 0o644) {
        // A private key without its public half is of no use: take it back.
        let _ = std::fs::remove_file(private);
        writeln!(err, "error: cannot write `{}`: {e}", public.display())?;
        return Ok(EXIT_ERROR);
    }
    writeln!(
        out,
        "wrote private key {} (keep it secret: it signs packs)\nwrote public key {} (give it to \
         whoever verifies packs: mrm verify PACK --key {})\nfingerprint {}",
        private.display(),
        public.display(),
        public.display(),
        sign::fingerprint(&verifying)
    )?;
    Ok(EXIT_OK)
}

/// Writes a new file atomically with `mode`: a temporary file in the same directory (created
/// 0600), synced, given its mode, then linked to `path` only if nothing is there.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".mrm-key.")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.persist_noclobber(path).map(|_| ()).map_err(|e| e.error)
}
