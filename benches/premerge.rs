//! Benchmark: `mrm check --base` on a synthetic git repository of N models where the change
//! touches 3 of them, compared with a full `mrm check` of the same working directory, both with
//! the embedded policy library (including the history controls) and in the same process.
//!
//! Run with `cargo bench --bench premerge` (N = 10,000) or `cargo bench --bench premerge -- 2000`;
//! `MRM_BENCH_HEAVY` (or `--heavy`) sets the heaviness of the models (see `support/model.rs`).
//! Times the default pre-merge check (only the changed models are evaluated, at both revisions)
//! and `--strict` (every model evaluated at base, the changed ones again at head).
//! The repository is built with git2 (one commit of every model, then one commit changing 3);
//! objects stay loose, as after a fresh clone's checkout they would be packed (faster to read).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/model.rs"]
mod model;

use std::path::Path;
use std::time::{Duration, Instant};

use git2::{IndexAddOption, Repository, Signature, Time};

fn di(i: usize) -> f64 {
    0.80 + (i % 20) as f64 / 100.0
}

fn commit_all(repo: &Repository, time: i64, msg: &str) {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"].iter(), IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::new("dev", "dev@bank.example", &Time::new(time, 0)).unwrap();
    let parent = repo.head().ok().map(|h| h.peel_to_commit().unwrap());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, msg, &tree, &parents)
        .unwrap();
}

fn generate(root: &Path, n: usize, shape: &model::Shape) -> Repository {
    let repo = Repository::init(root).unwrap();
    for i in 0..n {
        model::write_model(root, i, di(i), shape).unwrap();
    }
    commit_all(&repo, 1_767_268_800, "models");
    repo
}

fn best(v: &[Duration]) -> Duration {
    v.iter().min().copied().unwrap_or_default()
}

fn median(v: &[Duration]) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    s.get(s.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings = model::Settings::read(&[10_000], &args).unwrap_or_else(|e| panic!("{e}"));
    let (n, shape) = (settings.models[0], settings.shape);
    let dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let repo = generate(dir.path(), n, &shape);
    let base = repo
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();
    // The change: three models fail fairness.
    for i in [1, n / 2, n - 1] {
        model::write_model(dir.path(), i, 0.55, &shape).unwrap();
    }
    commit_all(&repo, 1_767_268_800 + 86_400, "retrain three models");
    println!("generated and committed {n} models in {:.2?}", t.elapsed());

    let as_of: jiff::civil::Date = "2026-11-27".parse().expect("date");
    let req = mrm::engine::Request {
        repo: dir.path().to_path_buf(),
        policies: Vec::new(),
        with_default: false,
        as_of,
        frameworks: Vec::new(),
        fail_on: None,
    };
    let mr = mrm::git::merge::MergeRequest {
        request: req.clone(),
        base,
        head: "HEAD".to_string(),
        strict: false,
        complete: false,
    };
    let strict = mrm::git::merge::MergeRequest {
        strict: true,
        complete: true,
        ..mr.clone()
    };
    // Warm the page cache once.
    let _ = mrm::engine::run(&req).expect("check");

    let (mut fulls, mut merges, mut stricts) = (Vec::new(), Vec::new(), Vec::new());
    let (mut new_gaps, mut evaluated, mut blocking) = (0, 0, 0);
    for _ in 0..5 {
        let t = Instant::now();
        let run = mrm::engine::run(&req).expect("check");
        fulls.push(t.elapsed());
        assert_eq!(run.report.models.len(), n);
        blocking = run.report.summary.blocking;

        let t = Instant::now();
        let outcome = mrm::git::merge::check(&mr).expect("pre-merge check");
        merges.push(t.elapsed());
        assert_eq!(outcome.head.models.len(), 3);
        new_gaps = outcome.report.summary.new;
        evaluated = outcome.report.summary.evaluated_at_head;

        let t = Instant::now();
        let outcome = mrm::git::merge::check(&strict).expect("strict pre-merge check");
        stricts.push(t.elapsed());
        assert_eq!(outcome.head.models.len(), n);
        assert_eq!(outcome.report.summary.new, new_gaps);
    }
    let (full, merge, strict) = (best(&fulls), best(&merges), best(&stricts));
    println!(
        "models:                 {n} (3 changed), heaviness {}",
        shape.spec()
    );
    println!(
        "full check (head):      {full:.2?} best, {:.2?} median of 5 ({blocking} blocking gaps)",
        median(&fulls)
    );
    println!(
        "check --base:           {merge:.2?} best, {:.2?} median of 5 ({new_gaps} new gaps, {evaluated} models evaluated at head)",
        median(&merges)
    );
    println!(
        "check --base --strict:  {strict:.2?} best, {:.2?} median of 5 (every model evaluated at base)",
        median(&stricts)
    );
    println!(
        "ratio pre-merge/full:   {:.3}",
        merge.as_secs_f64() / full.as_secs_f64().max(1e-9)
    );
    println!(
        "ratio strict/full:      {:.2}",
        strict.as_secs_f64() / full.as_secs_f64().max(1e-9)
    );
}
