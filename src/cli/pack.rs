//! `mrm pack [REPO] --out FILE.tar.gz`: evaluate a repository and write an evidence pack.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;

use super::{EXIT_ERROR, EXIT_OK, RepoArgs};
use crate::diagnostic::render;
use crate::engine;
use crate::pack::{self, PackOptions};
use crate::repo::DigestOnce;

#[derive(Debug, Args)]
pub struct PackArgs {
    #[command(flatten)]
    pub common: RepoArgs,
    /// Where to write the pack (a `.tar.gz` file)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: PathBuf,
    /// Only these models (repeatable; default: every model)
    #[arg(long = "model", value_name = "ID")]
    pub models: Vec<String>,
    /// Overwrite the output file if it exists (only a regular file is ever replaced)
    #[arg(long)]
    pub force: bool,
    /// Sign the manifest into manifest.sig with this Ed25519 private key (PKCS#8 PEM, as
    /// `mrm keygen` or `openssl genpkey -algorithm ed25519` write it)
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,
}

pub fn run(
    args: &PackArgs,
    argv: &[std::ffi::OsString],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    let color = args.common.color.enabled();
    // Fail before evaluating anything when the answer is already no.
    if let Err(e) = pack::check_target(&args.out, args.force) {
        writeln!(err, "error: {e}")?;
        return Ok(EXIT_ERROR);
    }
    let key = match &args.sign_key {
        Some(path) => match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| pack::sign::signing_key(&b).map_err(|e| e.to_string()))
        {
            Ok(k) => Some(k),
            Err(e) => {
                writeln!(
                    err,
                    "error: cannot use `{}` as a signing key: {e}",
                    path.display()
                )?;
                return Ok(EXIT_ERROR);
            }
        },
        None => None,
    };
    let req = args.common.request();
    // Each evidence file is hashed once, and packed only if it still has that hash.
    let run_and_tree = engine::open(&req).and_then(|tree| {
        let tree = DigestOnce::new(tree);
        engine::run_in(&req, &tree).map(|run| (run, tree))
    });
    let (run, tree) = match run_and_tree {
        Ok(r) => r,
        Err(f) => {
            write!(
                err,
                "{}",
                render::text_all(&f.diagnostics, &f.sources, color)
            )?;
            return Ok(EXIT_ERROR);
        }
    };
    let opts = PackOptions {
        tree: &tree,
        models: args.models.clone(),
        command: pack::command_line(argv),
        git: pack::git_state(&req.repo, std::slice::from_ref(&args.out)),
    };
    let mut contents = match pack::contents(&run, &opts) {
        Ok(c) => c,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(EXIT_ERROR);
        }
    };
    if let Some(key) = &key {
        pack::sign::sign(&mut contents, key);
    }
    if !contents.refused.is_empty() {
        write!(
            err,
            "{}",
            render::text_all(&contents.refused, &run.sources, color)
        )?;
    }
    remove_unfinished_on_signal();
    if let Err(e) = pack::save(&args.out, args.force, &contents, Some(&tree)) {
        writeln!(err, "error: {e}")?;
        return Ok(EXIT_ERROR);
    }
    let s = &contents.report.summary;
    writeln!(
        out,
        "wrote {}: {} model{}, {} file{}, {} blocking gap{}{}",
        args.out.display(),
        s.models,
        plural(s.models),
        contents.entries.len(),
        plural(contents.entries.len()),
        s.blocking,
        plural(s.blocking),
        if contents.refused.is_empty() {
            String::new()
        } else {
            format!(
                ", {} evidence file{} refused",
                contents.refused.len(),
                plural(contents.refused.len())
            )
        }
    )?;
    if let Some(key) = &key {
        writeln!(
            out,
            "signed with key {} (public key {})",
            pack::sign::fingerprint(&key.verifying_key()),
            pack::sign::public_hex(&key.verifying_key())
        )?;
    }
    Ok(EXIT_OK)
}

/// Makes SIGINT, SIGTERM and SIGHUP remove the temporary file of a pack being written before the
/// process ends as the signal would end it. Installed once per process, when a pack is about to
/// be written; a failure to install leaves the default behaviour.
fn remove_unfinished_on_signal() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            else {
                return;
            };
            let _ = std::thread::Builder::new()
                .name("mrm-signals".into())
                .spawn(move || {
                    if let Some(signal) = signals.forever().next() {
                        pack::archive::remove_unfinished();
                        signal_hook::low_level::emulate_default_handler(signal).ok();
                        std::process::exit(128 + signal);
                    }
                });
        });
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
