//! The command-line interface: argument parsing and one function per command.
//!
//! Commands write to the `&mut dyn Write` they are given and return an exit code, so tests run
//! them in-process. Exit codes are a contract: 0 no blocking gap, 1 blocking gaps (or a failed
//! verification), 2 usage, policy or configuration errors.

mod check;
mod explain;
mod fmt;
pub mod frameworks;
mod gaps;
pub mod init;
pub mod inventory;
mod keygen;
mod lint;
mod pack;
mod test;
mod trend;
mod verify;
mod why;

pub use pack::PackArgs;
pub use verify::VerifyArgs;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use fmt::FmtArgs;

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
    /// Evaluate a model repository against the policies and report gaps
    Check(CheckArgs),
    /// Gap analysis per framework clause: met, gap, partial, waived, upcoming, not covered
    Gaps(gaps::GapsArgs),
    /// Check policy files for errors without evaluating any model
    Lint(LintArgs),
    /// The model inventory: owner, validator, tier, lifecycle, last validation, open gaps
    Inventory(InventoryArgs),
    /// Explain one control's outcome for one model
    Why(WhyArgs),
    /// Run the `test` blocks of the policies and report coverage
    Test(TestArgs),
    /// List frameworks, show clauses, coverage of the policies, crosswalks
    Frameworks(FrameworksArgs),
    /// Start a model repository: mrm.toml, waivers.toml and a model.toml template
    Init(InitArgs),
    /// Gap counts per framework over the first-parent git history
    Trend(TrendArgs),
    /// Explain a diagnostic code: what it means, an example, how to fix it
    Explain(ExplainArgs),
    /// Evaluate a repository and write a deterministic evidence pack (.tar.gz)
    Pack(PackArgs),
    /// Check a pack (or an extracted pack) against its manifest and signature, and optionally its
    /// results against a repository
    Verify(VerifyArgs),
    /// Write a new Ed25519 key pair for signing packs (FILE and FILE.pub)
    Keygen(keygen::KeygenArgs),
    /// Rewrite policy files in the canonical layout (`--check`: show the diff, write nothing)
    Fmt(FmtArgs),
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

/// Arguments shared by commands that evaluate a repository.
#[derive(Debug, Clone, Args)]
pub struct RepoArgs {
    /// The model repository (a directory)
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Evaluation date (YYYY-MM-DD); default today. Same inputs and date give the same output
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<jiff::civil::Date>,
    /// Limit reporting to these frameworks (repeatable)
    #[arg(long = "framework", value_name = "ID")]
    pub frameworks: Vec<String>,
    /// Severities whose gaps fail the run, comma-separated (default: mrm.toml, else critical,high)
    #[arg(long, value_delimiter = ',', value_name = "SEVERITIES")]
    pub fail_on: Option<Vec<String>>,
    /// When to use colour
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

impl RepoArgs {
    pub fn request(&self) -> crate::engine::Request {
        crate::engine::Request {
            repo: self.repo.clone(),
            policies: self.policy.policy.clone(),
            with_default: self.policy.with_default,
            as_of: self.as_of.unwrap_or_else(today),
            frameworks: self.frameworks.clone(),
            fail_on: self.fail_on.clone(),
        }
    }
}

impl RepoArgs {
    /// Runs the engine; on failure prints the diagnostics to `err` and returns `None` (exit 2).
    pub fn evaluate(
        &self,
        progress: bool,
        err: &mut dyn Write,
    ) -> io::Result<Option<crate::engine::Run>> {
        match crate::engine::run_with_progress(&self.request(), progress) {
            Ok(run) => Ok(Some(run)),
            Err(f) => {
                let text = crate::diagnostic::render::text_all(
                    &f.diagnostics,
                    &f.sources,
                    self.color.enabled(),
                );
                err.write_all(text.as_bytes())?;
                Ok(None)
            }
        }
    }
}

/// Today's date in UTC: the default `--as-of`.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    s.parse::<jiff::civil::Date>()
        .map_err(|_| format!("`{s}` is not a date; write YYYY-MM-DD"))
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: RepoArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: crate::report::Format,
    /// Write the report to a file instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only blocking gaps and the summary
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Pre-merge check: compare with this revision (policies, configuration and waivers are read
    /// from it) and fail only on blocking gaps that are new in head
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The revision to check against --base
    #[arg(long, value_name = "REV", requires = "base", default_value = "HEAD")]
    pub head: String,
    /// With --base: fail on any blocking gap at head, not only on new ones
    #[arg(long, requires = "base")]
    pub strict: bool,
}

/// Writes `bytes` to `path` atomically (temporary file, then rename), or to `out`.
pub fn write_output(
    path: Option<&std::path::Path>,
    bytes: &[u8],
    out: &mut dyn Write,
) -> io::Result<()> {
    match path {
        Some(p) => {
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, p).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })
        }
        None => out.write_all(bytes),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum InventoryFormat {
    #[default]
    Text,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub common: RepoArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: InventoryFormat,
    /// Write to a file instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// Model id
    pub model: String,
    /// Control id
    pub control: String,
    #[command(flatten)]
    pub common: RepoArgs,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Policy files or directories (default: `policies/` if present, else the embedded library)
    pub paths: Vec<PathBuf>,
    /// Fail unless this percentage of controls has a passing and a failing fixture
    #[arg(long, value_name = "PERCENT")]
    pub min_coverage: Option<f64>,
    /// Only run tests whose name contains this text
    #[arg(long)]
    pub filter: Option<String>,
    /// Evaluation date for tests without `as_of` (default today)
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<jiff::civil::Date>,
    /// When to use colour
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct FrameworksArgs {
    #[command(subcommand)]
    pub command: Option<FrameworksCommand>,
    /// Policy files or directories to measure coverage of (default: the embedded library)
    #[arg(long, global = true, value_name = "PATH")]
    pub policy: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum FrameworksCommand {
    /// List the frameworks (the default)
    List,
    /// Show a framework's clause tree, or one clause and the controls mapping to it
    Show { id: String, clause: Option<String> },
    /// Which coverage-target clauses are mapped, declared out of scope, or neither
    Coverage {
        /// Only this framework
        #[arg(long)]
        framework: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: DiagFormat,
        /// Exit 1 when a clause is neither mapped nor out of scope
        #[arg(long)]
        strict: bool,
    },
    /// How two frameworks meet through shared controls and published crosswalks
    Crosswalk { from: String, to: String },
}

/// Output formats of `trend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TrendFormat {
    /// A table: one row per commit, one column per framework
    #[default]
    Text,
    /// The trend data, versioned (`schema_version`)
    Json,
}

#[derive(Debug, Args)]
pub struct TrendArgs {
    /// The model repository (a directory inside a git clone)
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    /// Commits on or after this date (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", value_parser = parse_date, conflicts_with = "commits")]
    pub since: Option<jiff::civil::Date>,
    /// The last N commits (default 10)
    #[arg(long, value_name = "N")]
    pub commits: Option<usize>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: TrendFormat,
    /// Write the result to a file instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to initialise
    #[arg(default_value = ".")]
    pub dir: PathBuf,
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
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
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
        Command::Check(a) => check::run(&a, out, err),
        Command::Gaps(a) => gaps::run(&a, out, err),
        Command::Lint(a) => lint::run(&a, out, err),
        Command::Inventory(a) => inventory::run(&a, out, err),
        Command::Why(a) => why::run(&a, out, err),
        Command::Test(a) => test::run(&a, out, err),
        Command::Frameworks(a) => frameworks::run(&a, out, err),
        Command::Init(a) => init::run(&a, out, err),
        Command::Trend(a) => trend::run(&a, out, err),
        Command::Explain(a) => explain::run(&a, out, err),
        Command::Pack(a) => pack::run(&a, &args, out, err),
        Command::Verify(a) => verify::run(&a, out, err),
        Command::Keygen(a) => keygen::run(&a, out, err),
        Command::Fmt(a) => fmt::run(&a, out, err),
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
