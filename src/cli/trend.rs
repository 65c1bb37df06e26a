//! `mrm trend [REPO] --since DATE | --commits N`: gap counts per framework over the first-parent
//! history, as a table or as JSON (the data behind a trend chart).

use std::io::{self, Write};

use super::{EXIT_ERROR, EXIT_OK, TrendArgs, TrendFormat, write_output};
use crate::git::trend::{self, Range, TrendReport};

pub fn run(args: &TrendArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let range = match (args.since, args.commits) {
        (Some(d), _) => Range::Since(d),
        (None, Some(n)) => Range::Commits(n),
        (None, None) => Range::Commits(10),
    };
    let req = crate::engine::Request {
        repo: args.repo.clone(),
        policies: Vec::new(),
        with_default: false,
        as_of: super::today(),
        frameworks: Vec::new(),
        fail_on: None,
    };
    let report = match trend::trend(&req, range) {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            if let Some(h) = e.help() {
                writeln!(err, "help: {h}")?;
            }
            return Ok(EXIT_ERROR);
        }
    };
    let mut buf = Vec::new();
    match args.format {
        TrendFormat::Json => {
            serde_json::to_writer_pretty(&mut buf, &report).map_err(io::Error::other)?;
            writeln!(buf)?;
        }
        TrendFormat::Text => render(&report, &mut buf)?,
    }
    write_output(args.output.as_deref(), &buf, out)?;
    if let Some(path) = &args.output {
        writeln!(err, "wrote {}", path.display())?;
    }
    Ok(EXIT_OK)
}

fn render(r: &TrendReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "gap trend in {}: {} commit{} of the first-parent history of HEAD",
        r.repository,
        r.points.len(),
        if r.points.len() == 1 { "" } else { "s" }
    )?;
    write!(
        out,
        "{:<10}  {:<7}  {:>6}  {:>6}  {:>8}",
        "date", "commit", "models", "gaps", "blocking"
    )?;
    for f in &r.frameworks {
        write!(out, "  {f:>w$}", w = f.len().max(4))?;
    }
    writeln!(out)?;
    for p in &r.points {
        let short = p.commit.get(..7).unwrap_or(&p.commit);
        if let Some(e) = &p.error {
            writeln!(out, "{:<10}  {short:<7}  cannot evaluate: {e}", p.date)?;
            continue;
        }
        write!(
            out,
            "{:<10}  {short:<7}  {:>6}  {:>6}  {:>8}",
            p.date, p.models, p.gaps, p.blocking
        )?;
        for f in &r.frameworks {
            let n = p.frameworks.get(f).copied().unwrap_or(0);
            write!(out, "  {n:>w$}", w = f.len().max(4))?;
        }
        writeln!(out)?;
    }
    Ok(())
}
