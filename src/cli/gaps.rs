//! `mrm gaps [REPO]`: gap analysis per framework clause, for validators and auditors.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;

use super::{EXIT_ERROR, EXIT_GAPS, EXIT_OK, RepoArgs, write_output};
use crate::gaps;
use crate::report::{self, Context, GapFormat};

#[derive(Debug, Args)]
pub struct GapsArgs {
    #[command(flatten)]
    pub common: RepoArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: GapFormat,
    /// Write the report to a file instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only clauses with a gap and the summary
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(args: &GapsArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let _req = args.common.request();
    let Some(run) = args.common.evaluate(false, err)? else {
        return Ok(EXIT_ERROR);
    };
    let analysis = gaps::analyze(
        &run.report,
        &run.policy.catalogs,
        &run.policy.checked.program,
    );
    let cx = Context {
        sources: &run.sources,
        color: args.output.is_none() && args.common.color.enabled(),
        quiet: args.quiet,
    };
    let mut buf = Vec::new();
    report::render_gaps(args.format, &analysis, &cx, &mut buf)?;
    write_output(args.output.as_deref(), &buf, out)?;
    if let Some(path) = &args.output {
        writeln!(err, "wrote {}", path.display())?;
    }
    Ok(if analysis.is_blocking() {
        EXIT_GAPS
    } else {
        EXIT_OK
    })
}
