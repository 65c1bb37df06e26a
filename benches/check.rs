//! Benchmark: `mrm check` on a synthetic repository of N models against the embedded policy
//! library, compared with the floor of discovering, reading and parsing the same files.
//!
//! Run with `cargo bench --bench check` (N = 10,000) or `cargo bench --bench check -- 2000`.
//! Prints wall-clock times, the ratio check/floor, and peak memory (VmHWM) after the run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/model.rs"]
mod model;

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

/// Writes `n` models with evidence files under `root/models/`.
fn generate(root: &Path, n: usize) -> std::io::Result<()> {
    for i in 0..n {
        model::write_model(root, i, 0.70 + (i % 30) as f64 / 100.0)?;
    }
    Ok(())
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    generate(dir.path(), n).expect("generate");
    println!("generated {n} models in {:.2?}", t.elapsed());

    let tree = mrm::repo::WorkTree::new(dir.path()).expect("tree");
    let as_of: jiff::civil::Date = "2026-11-27".parse().expect("date");

    // Warm the page cache once so both measurements read from memory.
    let _ = mrm::repo::discover(&tree);

    let mut floors = Vec::new();
    let mut checks = Vec::new();
    let mut blocking = 0;
    for _ in 0..3 {
        // Floor: discover, read and parse every metadata file (in parallel, as check does).
        let t = Instant::now();
        let (found, _) = mrm::repo::discover(&tree).expect("discover");
        let parsed: usize = found
            .par_iter()
            .map(|(_, file)| {
                use mrm::repo::Tree as _;
                let bytes = tree.read(file).expect("read");
                let text = String::from_utf8(bytes).expect("utf8");
                let src = mrm::source::SourceFile::new(file.as_str(), text);
                usize::from(mrm::repo::parse_metadata(&src).is_ok())
            })
            .sum();
        assert_eq!(parsed, n);
        floors.push(t.elapsed());

        // Full check with the embedded policy library.
        let t = Instant::now();
        let req = mrm::engine::Request {
            repo: dir.path().to_path_buf(),
            policies: Vec::new(),
            with_default: false,
            as_of,
            frameworks: Vec::new(),
            fail_on: None,
        };
        let run = mrm::engine::run(&req).expect("check");
        checks.push(t.elapsed());
        blocking = run.report.summary.blocking;
        assert_eq!(run.report.models.len(), n);
    }
    let floor = floors.iter().min().copied().unwrap_or_default();
    let check = checks.iter().min().copied().unwrap_or_default();
    println!("models:            {n}");
    println!("floor (read+parse): {floor:.2?} (best of 3)");
    println!("full check:         {check:.2?} (best of 3; {blocking} blocking gaps)");
    println!(
        "ratio check/floor:  {:.2}",
        check.as_secs_f64() / floor.as_secs_f64().max(1e-9)
    );
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory:        {mib:.0} MiB");
    }
}
