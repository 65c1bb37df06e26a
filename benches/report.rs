//! Benchmark: rendering every report format for a synthetic repository of N models, against the
//! time to evaluate the same repository, measured in the same process.
//!
//! Run with `cargo bench --bench report` (N = 10,000) or `cargo bench --bench report -- 2000`.
//! Prints, per format, the best of three wall-clock times, the output size and the ratio to the
//! evaluation time (`mrm::engine::run`: discovery, loading, evaluation of the embedded library).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/synthetic.rs"]
mod synthetic;

use std::time::{Duration, Instant};

use mrm::report::{self, Context, Format, GapFormat};

fn best<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        let out = f();
        best = best.min(t.elapsed());
        last = Some(out);
    }
    (best, last.expect("ran"))
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    synthetic::generate(dir.path(), n).expect("generate");
    println!("generated {n} models in {:.2?}", t.elapsed());

    let req = mrm::engine::Request {
        repo: dir.path().to_path_buf(),
        policies: Vec::new(),
        with_default: false,
        as_of: "2026-11-27".parse().expect("date"),
        frameworks: Vec::new(),
        fail_on: None,
    };
    // Warm the page cache.
    let _ = mrm::engine::run(&req).expect("check");
    let (eval, run) = best(|| mrm::engine::run(&req).expect("check"));
    let r = &run.report;
    assert_eq!(r.models.len(), n);
    let open: usize = r.models.iter().map(|m| m.open().count()).sum();
    println!(
        "evaluation:   {eval:>9.2?}  ({} controls, {open} open outcomes, {} blocking)",
        r.policy.controls, r.summary.blocking
    );
    let cx = Context {
        sources: &run.sources,
        color: false,
        quiet: false,
    };
    let ratio = |d: Duration| d.as_secs_f64() / eval.as_secs_f64().max(1e-9);
    println!(
        "{:<14} {:>10} {:>10} {:>8}",
        "format", "time", "size", "÷ eval"
    );
    let mut total = Duration::ZERO;
    for (name, format) in [
        ("text", Format::Text),
        ("json", Format::Json),
        ("markdown", Format::Markdown),
        ("html", Format::Html),
        ("sarif", Format::Sarif),
        ("junit", Format::Junit),
        ("oscal", Format::Oscal),
    ] {
        let (d, size) = best(|| {
            let mut buf = Vec::new();
            report::render(format, r, &cx, &mut buf).expect("render");
            buf.len()
        });
        total += d;
        println!(
            "{name:<14} {:>10.2?} {:>8.1}MB {:>8.3}",
            d,
            size as f64 / 1e6,
            ratio(d)
        );
    }
    let (d, gaps) =
        best(|| mrm::gaps::analyze(r, &run.policy.catalogs, &run.policy.checked.program));
    total += d;
    println!(
        "{:<14} {:>10.2?} {:>10} {:>8.3}",
        "gaps analyze",
        d,
        "",
        ratio(d)
    );
    for (name, format) in [
        ("gaps text", GapFormat::Text),
        ("gaps json", GapFormat::Json),
        ("gaps markdown", GapFormat::Markdown),
        ("gaps csv", GapFormat::Csv),
    ] {
        let (d, size) = best(|| {
            let mut buf = Vec::new();
            report::render_gaps(format, &gaps, &cx, &mut buf).expect("render");
            buf.len()
        });
        total += d;
        println!(
            "{name:<14} {:>10.2?} {:>8.1}MB {:>8.3}",
            d,
            size as f64 / 1e6,
            ratio(d)
        );
    }
    println!(
        "{:<14} {:>10.2?} {:>10} {:>8.3}",
        "all formats",
        total,
        "",
        ratio(total)
    );
}
