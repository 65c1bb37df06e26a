//! Benchmark: `mrm pack` against `mrm check` on the same synthetic repository, in one process.
//!
//! Run with `cargo bench --bench pack` (1,000 models, 16 KiB of evidence per model) or
//! `cargo bench --bench pack -- MODELS EVIDENCE_BYTES`. Both commands run in-process through
//! `mrm::cli::run` with the policy in `tests/fixtures/pack/`, which references two evidence files
//! per model; the pack is written to a file each time (`--force`). Prints the best of five for
//! each, the ratio pack/check, and where the pack's time goes.

#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a benchmark: a failure should stop it loudly"
)]

use std::path::Path;
use std::time::{Duration, Instant};

/// Writes `n` models under `root/models/`, each with a model card and a validation report whose
/// sizes add up to about `evidence` bytes.
fn generate(root: &Path, n: usize, evidence: usize) -> std::io::Result<()> {
    let card = evidence / 4;
    for i in 0..n {
        let dir = root.join(format!("models/m{i:05}"));
        std::fs::create_dir_all(dir.join("reports"))?;
        let owner = if i % 10 == 0 {
            String::new()
        } else {
            format!("owner{}", i % 50)
        };
        std::fs::write(
            dir.join("model.toml"),
            format!(
                "[model]\nid = \"m{i:05}\"\nname = \"Synthetic model {i}\"\nstatus = \"production\"\n\
                 [roles]\nowner = \"{owner}\"\nvalidator = \"validation\"\n\
                 [impact]\nfinancial_exposure = {exp}\n\
                 [validation]\ndate = 2026-0{month}-15\nreport = \"reports/validation.md\"\n",
                exp = (i % 100) * 250_000,
                month = 1 + i % 9,
            ),
        )?;
        std::fs::write(dir.join("model-card.md"), text(i, card))?;
        std::fs::write(
            dir.join("reports/validation.md"),
            text(i + 7919, evidence - card),
        )?;
    }
    Ok(())
}

/// `len` bytes of report-like text that differs between models (so it compresses like prose,
/// not like one repeated block).
fn text(seed: usize, len: usize) -> String {
    const WORDS: [&str; 16] = [
        "model",
        "validation",
        "the",
        "of",
        "performance",
        "sample",
        "was",
        "observed",
        "holdout",
        "drift",
        "threshold",
        "and",
        "population",
        "approved",
        "risk",
        "data",
    ];
    let mut s = String::with_capacity(len + 16);
    let mut x = seed as u64 ^ 0x9e37_79b9_7f4a_7c15;
    while s.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push_str(WORDS[(x % 16) as usize]);
        s.push(if x.is_multiple_of(11) { '\n' } else { ' ' });
    }
    s.truncate(len);
    s
}

fn best_of<F: FnMut() -> u8>(runs: usize, mut f: F) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            let code = f();
            assert!(code <= 1, "command failed with exit code {code}");
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = nums.first().copied().unwrap_or(1_000);
    let evidence = nums.get(1).copied().unwrap_or(16 << 10);
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path().join("repo");
    let t = Instant::now();
    generate(&repo, n, evidence).expect("generate");
    println!(
        "generated {n} models with {} KiB of evidence each in {:.2?}",
        evidence >> 10,
        t.elapsed()
    );

    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pack/policy.mrm");
    let out = dir.path().join("pack.tar.gz");
    let (repo_s, policy_s, out_s) = (
        repo.to_string_lossy().into_owned(),
        policy.to_string_lossy().into_owned(),
        out.to_string_lossy().into_owned(),
    );
    let common = ["--policy", &policy_s, "--as-of", "2026-11-27"];
    let check_args: Vec<&str> = ["mrm", "check", &repo_s]
        .into_iter()
        .chain(common)
        .collect();
    let pack_args: Vec<&str> = ["mrm", "pack", &repo_s]
        .into_iter()
        .chain(common)
        .chain(["--out", &out_s, "--force"])
        .collect();

    // Warm the page cache so both commands read from memory.
    mrm::cli::run(
        check_args.clone(),
        &mut std::io::sink(),
        &mut std::io::sink(),
    );

    let check = best_of(5, || {
        mrm::cli::run(
            check_args.clone(),
            &mut std::io::sink(),
            &mut std::io::sink(),
        )
    });
    let pack = best_of(5, || {
        mrm::cli::run(
            pack_args.clone(),
            &mut std::io::sink(),
            &mut std::io::sink(),
        )
    });
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);

    // Where the pack's time goes.
    let req = mrm::engine::Request {
        repo: repo.clone(),
        policies: vec![policy.clone()],
        with_default: false,
        as_of: "2026-11-27".parse().expect("date"),
        frameworks: Vec::new(),
        fail_on: None,
    };
    let t = Instant::now();
    let run = mrm::engine::run(&req).expect("run");
    let evaluate = t.elapsed();
    let tree = mrm::repo::WorkTree::new(&repo).expect("tree");
    let t = Instant::now();
    let contents = mrm::pack::contents(
        &run,
        &mrm::pack::PackOptions {
            tree: &tree,
            models: Vec::new(),
            command: Vec::new(),
            git: None,
        },
    )
    .expect("contents");
    let assemble = t.elapsed();
    let raw: u64 = contents.entries.iter().map(mrm::pack::Entry::size).sum();
    let t = Instant::now();
    let bytes = mrm::pack::write(&contents.entries, contents.mtime(), Some(&tree), Vec::new())
        .expect("write");
    let archive = t.elapsed();

    println!("models:             {n}");
    println!("check:              {check:.2?} (best of 5)");
    println!(
        "pack:               {pack:.2?} (best of 5; {} entries, {:.1} MiB raw, {:.1} MiB packed)",
        contents.entries.len(),
        raw as f64 / (1 << 20) as f64,
        size as f64 / (1 << 20) as f64
    );
    println!(
        "ratio pack/check:   {:.2}",
        pack.as_secs_f64() / check.as_secs_f64().max(1e-9)
    );
    println!(
        "pack breakdown:     evaluate {evaluate:.2?}, assemble + hash {assemble:.2?}, tar + gzip {archive:.2?} ({} bytes)",
        bytes.len()
    );
}
