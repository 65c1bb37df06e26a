//! `mrm check [REPO]`: evaluate a model repository and report gaps; with `--base`, compare two
//! git revisions and fail only on gaps the change introduces.

use std::io::{self, IsTerminal, Write};

use super::{CheckArgs, EXIT_ERROR, EXIT_GAPS, EXIT_OK, write_output};
use crate::diagnostic::render;
use crate::git::merge::{self, MergeFailure, MergeRequest};
use crate::report::{self, Context, Format};

pub fn run(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    if let Some(base) = &args.base {
        return run_merge(args, base, out, err);
    }
    let progress = std::io::stderr().is_terminal() && !args.quiet;
    let Some(run) = args.common.evaluate(progress, err)? else {
        return Ok(EXIT_ERROR);
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
    } else if args.format == Format::Sarif {
        // SARIF carries each head result's state against the base revision.
        let mut log = report::sarif::log(&outcome.head);
        for run in &mut log.runs {
            for r in &mut run.results {
                let Some(model) = r.properties.model.as_deref() else {
                    continue;
                };
                r.baseline_state = match outcome.report.baseline(model, &r.rule_id) {
                    Some(merge::BaselineState::New) => Some(report::sarif::BaselineState::New),
                    Some(merge::BaselineState::Unchanged) => {
                        Some(report::sarif::BaselineState::Unchanged)
                    }
                    Some(merge::BaselineState::Absent) => {
                        Some(report::sarif::BaselineState::Absent)
                    }
                    // A head result that is not a gap at either revision (a diagnostic, a
                    // waived control) is carried over from base unchanged.
                    None => Some(report::sarif::BaselineState::Unchanged),
                };
            }
        }
        serde_json::to_writer_pretty(&mut buf, &log).map_err(io::Error::other)?;
        writeln!(buf)?;
    } else {
        // Other whole-run formats render the head result (every head model, reused or
        // re-evaluated).
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
