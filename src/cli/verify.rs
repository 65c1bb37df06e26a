//! `mrm verify PACK [--repo DIR] [--key PUBFILE | --require-signature]`: check a pack (a
//! `.tar.gz`, or the directory it was extracted into) against its manifest and its signature and,
//! with `--repo`, its results against a fresh evaluation.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;

use super::{ColorChoice, EXIT_ERROR, EXIT_GAPS, EXIT_OK};
use crate::diagnostic::render;
use crate::pack::sign::{self, SignatureCheck};
use crate::pack::verify::{self, ReevalError};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The pack to check: a `.tar.gz`, or the directory it was extracted into
    pub pack: PathBuf,
    /// Also re-evaluate this repository with the pack's policies and date, and compare results
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Require a valid Ed25519 signature by this public key (PEM, as `mrm keygen` or
    /// `openssl pkey -pubout` write it)
    #[arg(long, value_name = "PUBFILE")]
    pub key: Option<PathBuf>,
    /// Require a valid signature, by any key (the signer's fingerprint is printed)
    #[arg(long)]
    pub require_signature: bool,
    /// When to use colour
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

pub fn run(args: &VerifyArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let name = args.pack.display();
    let key = match &args.key {
        Some(path) => match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| sign::verifying_key(&b).map_err(|e| e.to_string()))
        {
            Ok(k) => Some(k),
            Err(e) => {
                writeln!(
                    err,
                    "error: cannot use `{}` as a public key: {e}",
                    path.display()
                )?;
                return Ok(EXIT_ERROR);
            }
        },
        None => None,
    };
    let options = verify::Options {
        keep_sources: args.repo.is_some(),
    };
    let v = match verify::check(&args.pack, options) {
        Ok(v) => v,
        Err(e) => {
            writeln!(err, "error: `{name}` is not a readable pack: {e}")?;
            return Ok(EXIT_ERROR);
        }
    };
    let mut ok = v.is_intact();
    for p in &v.problems {
        writeln!(out, "{p}")?;
    }
    if v.unlisted > 0 {
        writeln!(
            out,
            "... and {} more difference{} not listed",
            v.unlisted,
            if v.unlisted == 1 { "" } else { "s" }
        )?;
    }
    if !v.layout.is_empty() {
        writeln!(
            out,
            "note: re-packed: {}; only file contents are compared",
            v.layout.join(", ")
        )?;
    }
    if ok {
        writeln!(
            out,
            "intact: {name} matches its manifest ({} files)",
            v.entries
        )?;
    } else {
        writeln!(
            out,
            "not intact: {name} differs from its manifest in {} place{}",
            v.problems.len() + v.unlisted,
            if v.problems.len() + v.unlisted == 1 {
                ""
            } else {
                "s"
            }
        )?;
    }
    if !signature_holds(&v.signature(key.as_ref()), key.as_ref(), args, out)? {
        ok = false;
    }
    if let Some(repo) = &args.repo {
        match verify::reevaluate(&v, repo) {
            Ok(r) if r.differences.is_empty() => writeln!(
                out,
                "results match a fresh evaluation of {} as of {}",
                repo.display(),
                v.manifest.as_of
            )?,
            Ok(r) => {
                ok = false;
                for d in &r.differences {
                    writeln!(out, "changed    {d}")?;
                }
                writeln!(
                    out,
                    "results differ from a fresh evaluation of {} as of {}",
                    repo.display(),
                    v.manifest.as_of
                )?;
            }
            Err(ReevalError::Pack(msg)) => {
                writeln!(err, "error: cannot re-evaluate `{name}`: {msg}")?;
                return Ok(EXIT_ERROR);
            }
            Err(ReevalError::Run(f)) => {
                write!(
                    err,
                    "{}",
                    render::text_all(&f.diagnostics, &f.sources, args.color.enabled())
                )?;
                return Ok(EXIT_ERROR);
            }
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_GAPS })
}

/// Reports the signature check; whether it holds. An unsigned pack holds unless a signature is
/// required (`--require-signature` or `--key`); an invalid signature never holds.
fn signature_holds(
    check: &SignatureCheck,
    expected: Option<&ed25519_dalek::VerifyingKey>,
    args: &VerifyArgs,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let required = args.require_signature || expected.is_some();
    let named = |key: &ed25519_dalek::VerifyingKey| {
        format!(
            "key {} (public key {})",
            sign::fingerprint(key),
            sign::public_hex(key)
        )
    };
    match check {
        SignatureCheck::Unsigned if required => {
            writeln!(out, "signature: unsigned, but a signature is required")?;
            Ok(false)
        }
        SignatureCheck::Unsigned => {
            writeln!(out, "signature: unsigned")?;
            Ok(true)
        }
        SignatureCheck::Valid { key } if expected.is_some() => {
            writeln!(out, "signature: valid, by the given {}", named(key))?;
            Ok(true)
        }
        SignatureCheck::Valid { key } => {
            writeln!(out, "signature: valid, by {}", named(key))?;
            Ok(true)
        }
        SignatureCheck::OtherKey { key } => {
            let given = expected.map(sign::fingerprint).unwrap_or_default();
            writeln!(
                out,
                "signature: by {}, not by the given key {given}",
                named(key)
            )?;
            Ok(false)
        }
        SignatureCheck::Invalid { reason } => {
            writeln!(out, "signature: invalid: {reason}")?;
            Ok(false)
        }
    }
}
