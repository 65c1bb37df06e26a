//! Benchmark: `mrm check` with the embedded policy library on synthetic repositories of several
//! sizes, against the floor of discovering, reading and parsing the same files, with the peak
//! memory of each.
//!
//! ```text
//! cargo bench --bench check                                  # 1,000 and 10,000 light models
//! MRM_BENCH_MODELS=1000,10000,100000 MRM_BENCH_HEAVY=heavy cargo bench --bench check
//! cargo bench --bench check -- --models 2000 --heavy 5,6 --rounds 1
//! ```
//!
//! Sizes and heaviness are read as `benches/support/model.rs` describes. For each size the
//! repository is generated once; then the floor and the check run three times each (`--rounds`),
//! alternately, each in a fresh child process (this benchmark re-executed with `--child`) that
//! reports its wall-clock time and its peak resident memory (`VmHWM`), so one size's memory never
//! hides another's. Prints the best time of each, the time per model (constant when time is linear in
//! models), the ratio check/floor, the peak memory of both, and the load average at the time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/model.rs"]
mod model;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rayon::prelude::*;

/// Writes `n` models of `shape` under `root/models/`, in parallel.
fn generate(root: &Path, n: usize, shape: &model::Shape) -> std::io::Result<()> {
    (0..n)
        .into_par_iter()
        .try_for_each(|i| model::write_model(root, i, model::disparate_impact(i), shape))
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The floor: discover, read and parse every metadata file, in parallel as check does.
fn floor(dir: &Path) -> usize {
    let tree = mrm::repo::WorkTree::new(dir).expect("tree");
    let (found, _) = mrm::repo::discover(&tree).expect("discover");
    found
        .par_iter()
        .map(|(_, file)| {
            use mrm::repo::Tree as _;
            let bytes = tree.read(file).expect("read");
            let text = String::from_utf8(bytes).expect("utf8");
            let src = mrm::source::SourceFile::new(file.as_str(), text);
            usize::from(mrm::repo::parse_metadata(&src).is_ok())
        })
        .sum()
}

/// The check: one full run with the embedded library. Returns the models and blocking gaps.
fn check(dir: &Path) -> (usize, usize) {
    let req = mrm::engine::Request {
        repo: dir.to_path_buf(),
        policies: Vec::new(),
        with_default: false,
        as_of: "2026-11-27".parse().expect("date"),
        frameworks: Vec::new(),
        fail_on: None,
    };
    let run = mrm::engine::run(&req).expect("check");
    (run.report.models.len(), run.report.summary.blocking)
}

/// In the child: runs one measurement and prints `seconds peak_kib models blocking`.
fn child(what: &str, dir: &Path) {
    let t = Instant::now();
    let (models, blocking) = match what {
        "floor" => (floor(dir), 0),
        "check" => check(dir),
        other => panic!("unknown measurement {other}"),
    };
    let secs = t.elapsed().as_secs_f64();
    println!("{secs} {} {models} {blocking}", peak_rss_kib());
}

struct Measured {
    time: Duration,
    peak_kib: u64,
    models: usize,
    blocking: usize,
}

fn measure(what: &str, dir: &Path) -> Measured {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe)
        .arg("--child")
        .arg(what)
        .arg(dir)
        .output()
        .expect("run child");
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    Measured {
        time: Duration::from_secs_f64(f[0].parse().expect("seconds")),
        peak_kib: f[1].parse().expect("peak"),
        models: f[2].parse().expect("models"),
        blocking: f[3].parse().expect("blocking"),
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }
    let settings = match model::Settings::read(&[1_000, 10_000], &args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let shape = settings.shape;
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    println!(
        "mrm check, embedded library, as of 2026-11-27; heaviness {} (records per list, evidence files per model); {} threads",
        shape.spec(),
        rayon::current_num_threads()
    );
    let mut rows = Vec::new();
    for &n in &settings.models {
        let dir = tempfile::tempdir().expect("temp dir");
        let t = Instant::now();
        generate(dir.path(), n, &shape).expect("generate");
        println!("generated {n} models in {:.2?}", t.elapsed());
        // Warm the page cache so every measurement reads from memory.
        let _ = measure("floor", dir.path());
        let load_before = load_average();
        let (mut floors, mut checks) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            floors.push(measure("floor", dir.path()));
            checks.push(measure("check", dir.path()));
        }
        let load_after = load_average();
        for m in floors.iter().chain(&checks) {
            assert_eq!(m.models, n, "every model is read");
        }
        let floor = floors.iter().map(|m| m.time).min().unwrap_or_default();
        let check = checks.iter().map(|m| m.time).min().unwrap_or_default();
        let floor_peak = floors.iter().map(|m| m.peak_kib).max().unwrap_or(0);
        let check_peak = checks.iter().map(|m| m.peak_kib).max().unwrap_or(0);
        let blocking = checks[0].blocking;
        println!(
            "  floor {floor:.2?}, check {check:.2?} (best of {rounds}; {blocking} blocking gaps), ratio {:.2}, peak {:.0} MiB; load {load_before} -> {load_after}",
            check.as_secs_f64() / floor.as_secs_f64().max(1e-9),
            mib(check_peak)
        );
        rows.push((
            n,
            floor,
            check,
            floor_peak,
            check_peak,
            format!("{load_before} -> {load_after}"),
        ));
    }
    println!();
    println!(
        "| models | floor | check | check/floor | floor µs/model | check µs/model | floor peak | check peak | load (1/5/15 min) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (n, floor, check, floor_peak, check_peak, load) in rows {
        println!(
            "| {n} | {:.3} s | {:.3} s | {:.2}× | {:.1} | {:.1} | {:.0} MiB | {:.0} MiB | {load} |",
            floor.as_secs_f64(),
            check.as_secs_f64(),
            check.as_secs_f64() / floor.as_secs_f64().max(1e-9),
            floor.as_secs_f64() * 1e6 / n as f64,
            check.as_secs_f64() * 1e6 / n as f64,
            mib(floor_peak),
            mib(check_peak),
        );
    }
}
