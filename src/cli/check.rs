//! `mrm check [REPO]`: evaluate a model repository and report gaps.

use std::io::{self, IsTerminal, Write};

use super::{CheckArgs, EXIT_ERROR, EXIT_GAPS, EXIT_OK, write_output};
use crate::diagnostic::render;
use crate::engine;
use crate::report::{self, Context};

pub fn run(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
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
