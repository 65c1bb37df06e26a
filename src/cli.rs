//! The command-line interface: argument parsing and one function per command.
//!
//! Commands write to the `&mut dyn Write` they are given and return an exit code, so tests run
//! them in-process. Exit codes are a contract: 0 no blocking gap, 1 blocking gaps (or a failed
//! verification), 2 usage, policy or configuration errors.

mod explain;
mod lint;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit code: success, no blocking gap.
pub const EXIT_OK: u8 = 0;
/// Exit code: blocking gaps found, tests failed, or a pack did not verify.
pub const EXIT_GAPS: u8 = 1;
/// Exit code: usage, policy or configuration error.
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "mrm",
    version,
    about = "Policy-as-code governance for AI/ML model risk management",
    long_about = "mrm evaluates a repository of model metadata against risk-tiered controls mapped to \
SR 11-7, SR 26-2, the EU AI Act, NIST AI RMF and ISO/IEC 42001, and reports gaps, \
KRIs and audit evidence.\n\nExit codes: 0 no blocking gap, 1 blocking gaps found, \
2 usage, policy or configuration error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check policy files for errors without evaluating any model
    Lint(LintArgs),
    /// Explain a diagnostic code: what it means, an example, how to fix it
    Explain(ExplainArgs),
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
                    && std::env::var_os("CI").is_none()
            }
        }
    }
}

/// Where policies come from (shared by commands that load policies).
#[derive(Debug, Clone, Args, Default)]
pub struct PolicyArgs {
    /// Policy file or directory; repeatable. Replaces the embedded library unless --with-default
    #[arg(long = "policy", value_name = "PATH")]
    pub policy: Vec<PathBuf>,
    /// Keep the embedded library when --policy is given
    #[arg(long)]
    pub with_default: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DiagFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Policy files or directories (default: the policies in use)
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: DiagFormat,
    /// When to use colour
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A diagnostic code such as `check/unknown-control`; omit to list every code
    pub code: Option<String>,
}

/// Runs the CLI. Returns the exit code.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let rendered = e.render().to_string();
            let target: &mut dyn Write = if e.use_stderr() { err } else { out };
            let _ = target.write_all(rendered.as_bytes());
            return code;
        }
    };
    let result = match cli.command {
        Command::Lint(a) => lint::run(&a, out, err),
        Command::Explain(a) => explain::run(&a, out, err),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            EXIT_ERROR
        }
    }
}
