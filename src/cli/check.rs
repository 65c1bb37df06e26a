//! `mrm check [REPO]`: evaluate a model repository and report gaps; with `--base`, compare two
//! git revisions and fail only on gaps the change introduces.

use std::io::{self, IsTerminal, Write};

use super::{CheckArgs, EXIT_ERROR, EXIT_GAPS, EXIT_OK, write_output};
use crate::diagnostic::render;
use crate::engine;
use crate::git::merge::{self, MergeFailure, MergeRequest};
use crate::report::{self, Context, Format};

pub fn run(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    if let Some(base) = &args.base {
        return run_merge(args, base, out, err);
    }
    let req = args.common.request();
    let progress = std::io::stderr().is_terminal() && !args.quiet;
    let run = match engine::run_with_progress(&req, progress) {
        Ok(r) => r,
        Err(f) => {
            write!(
                err,
                "{}",
                render::text_all(&f.diagnostics, &f.sources, args.common.color.enabled())
            )?;
            return Ok(EXIT_ERROR);
        }
    };
    let color = args.output.is_none() && args.common.color.enabled();
    let cx = Context {
        sources: &run.sources,
        color,
        quiet: args.quiet,
    };
    let mut buf = Vec::new();
    report::render(args.format, &run.report, &cx, &mut buf)?;
    write_output(args.output.as_deref(), &buf, out)?;
    if let Some(path) = &args.output {
        writeln!(err, "wrote {}", path.display())?;
    }
    Ok(if run.report.is_blocking() {
        EXIT_GAPS
    } else {
        EXIT_OK
    })
}

/// `mrm check --base REV [--head REV] [--strict]`.
fn run_merge(
    args: &CheckArgs,
    base: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    let mr = MergeRequest {
        request: args.common.request(),
        base: base.to_string(),
        head: args.head.clone(),
        strict: args.strict,
        // Whole-run formats need every model's outcome at head.
        complete: args.format != Format::Text && args.format != Format::Json,
    };
    let outcome = match merge::check(&mr) {
        Ok(o) => o,
        Err(MergeFailure::Git(e)) => {
            writeln!(err, "error: {e}")?;
            if let Some(h) = e.help() {
                writeln!(err, "help: {h}")?;
            }
            return Ok(EXIT_ERROR);
        }
        Err(MergeFailure::Invalid(f)) => {
            write!(
                err,
                "{}",
                render::text_all(&f.diagnostics, &f.sources, args.common.color.enabled())
            )?;
            return Ok(EXIT_ERROR);
        }
    };
    let color = args.output.is_none() && args.common.color.enabled();
    let mut buf = Vec::new();
    if args.format == Format::Json {
        serde_json::to_writer_pretty(&mut buf, &outcome.report).map_err(io::Error::other)?;
        writeln!(buf)?;
    } else if args.format == Format::Text {
        merge::render_text(&outcome.report, color, args.quiet, &mut buf)?;
    } else {
        // Whole-run formats render the head result (every head model, reused or re-evaluated);
        // `MergeReport::baseline` tells each gap's baseline state.
        let cx = Context {
            sources: &outcome.sources,
            color,
            quiet: args.quiet,
        };
        report::render(args.format, &outcome.head, &cx, &mut buf)?;
    }
    write_output(args.output.as_deref(), &buf, out)?;
    if let Some(path) = &args.output {
        writeln!(err, "wrote {}", path.display())?;
    }
    Ok(if outcome.report.summary.failed {
        EXIT_GAPS
    } else {
        EXIT_OK
    })
}
