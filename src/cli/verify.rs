//! `mrm verify FILE.tar.gz [--repo DIR]`: check a pack against its manifest and, with `--repo`,
//! its results against a fresh evaluation.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;

use super::{ColorChoice, EXIT_ERROR, EXIT_GAPS, EXIT_OK};
use crate::diagnostic::render;
use crate::pack::verify::{self, ReevalError};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The pack to check
    pub pack: PathBuf,
    /// Also re-evaluate this repository with the pack's policies and date, and compare results
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// When to use colour
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

pub fn run(args: &VerifyArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let name = args.pack.display();
    let v = match verify::check_file(&args.pack) {
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
            v.problems.len(),
            if v.problems.len() == 1 { "" } else { "s" }
        )?;
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
