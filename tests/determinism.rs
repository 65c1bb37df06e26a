//! Outputs depend on the inputs and `--as-of`, never on the wall clock or the time zone.
//!
//! Every command and output format is run in separate processes of the real binary under three
//! environments: the real clock in UTC; a clock faked to 2031-07-15 in UTC+14; a clock faked to
//! 2019-01-01 in UTC-12 with `SOURCE_DATE_EPOCH` set. The clock is faked with `faketime` (Debian
//! package `faketime`, installed by `.ci/run`); without it these tests fail, they never skip.
//! Each output must be byte-identical across them, at two evaluation dates whose verdicts differ
//! (so `--as-of` is shown to be read, not ignored). The JSON report of the example repository,
//! the trend and the packs are compared across all three; the other outputs under the real clock
//! and one faked clock per date.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly; the lints guard library code"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Two evaluation dates: before and on the application date of EU AI Act Annex III duties, and on
/// and after the date the boundary fixture's `GV-TODAY` asserts.
const DATES: [&str; 2] = ["2026-11-27", "2027-12-02"];

/// One process environment.
struct Env {
    name: &'static str,
    /// A POSIX `TZ` (no time zone database needed).
    tz: &'static str,
    /// The faked wall clock, local to `tz`; `None` keeps the real clock.
    clock: Option<&'static str>,
    source_date_epoch: Option<&'static str>,
}

const ENVS: [Env; 3] = [
    Env {
        name: "real clock, UTC",
        tz: "UTC0",
        clock: None,
        source_date_epoch: None,
    },
    Env {
        name: "clock 2031-07-15 23:30, UTC+14",
        tz: "<+14>-14",
        clock: Some("2031-07-15 23:30:00"),
        source_date_epoch: None,
    },
    Env {
        name: "clock 2019-01-01 00:30, UTC-12, SOURCE_DATE_EPOCH=0",
        tz: "<-12>+12",
        clock: Some("2019-01-01 00:30:00"),
        source_date_epoch: Some("0"),
    },
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn boundaries() -> PathBuf {
    root().join("tests/fixtures/boundaries")
}

/// `faketime`, or a failure saying how to install it.
fn faketime() -> &'static str {
    let ok = Command::new("faketime")
        .args(["2020-01-01 00:00:00", "true"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "`faketime` is not installed: the clock-independence tests need it \
         (`.ci/run` installs it; or `apt-get install faketime`)"
    );
    "faketime"
}

/// Runs the binary with `args` in `env`, from `dir`.
fn run_in(env: &Env, dir: &Path, args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_mrm");
    let mut cmd = match env.clock {
        Some(clock) => {
            let mut c = Command::new(faketime());
            c.arg(clock).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    cmd.args(args).current_dir(dir).env("TZ", env.tz);
    cmd.env_remove("SOURCE_DATE_EPOCH");
    if let Some(e) = env.source_date_epoch {
        cmd.env("SOURCE_DATE_EPOCH", e);
    }
    cmd.output().expect("run mrm")
}

/// Runs `args` in every environment and returns the output, failing unless the exit codes and
/// standard outputs are identical.
fn same_everywhere(dir: &Path, args: &[&str]) -> Output {
    same_in(&[&ENVS[0], &ENVS[1], &ENVS[2]], dir, args)
}

/// Runs `args` in each of `envs` and returns the output, failing unless the exit codes and
/// standard outputs are identical.
fn same_in(envs: &[&Env], dir: &Path, args: &[&str]) -> Output {
    let mut first: Option<Output> = None;
    for env in envs {
        let out = run_in(env, dir, args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "`mrm {}` ({}) failed: {}",
            args.join(" "),
            env.name,
            String::from_utf8_lossy(&out.stderr)
        );
        match &first {
            None => first = Some(out),
            Some(f) => {
                assert_eq!(
                    out.status.code(),
                    f.status.code(),
                    "`mrm {}`: exit code differs under {}",
                    args.join(" "),
                    env.name
                );
                assert!(
                    out.stdout == f.stdout,
                    "`mrm {}`: output differs under {} from {}:\n{}",
                    args.join(" "),
                    env.name,
                    envs[0].name,
                    first_difference(&f.stdout, &out.stdout)
                );
            }
        }
    }
    first.expect("at least one environment")
}

/// The first differing line of two outputs, for the failure message.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let line = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.lines().count().min(b.lines().count()));
    format!(
        "line {}:\n  {}\n  {}",
        line + 1,
        a.lines().nth(line).unwrap_or("(end)"),
        b.lines().nth(line).unwrap_or("(end)")
    )
}

/// Runs `args` plus `--as-of D` for both dates; each date's output is the same under the real
/// clock and under one faked clock (the first date under 2031 in UTC+14, the second under 2019 in
/// UTC-12, so every environment is used at a third of the cost), and the two dates give
/// different outputs.
fn per_date(dir: &Path, args: &[&str]) -> Vec<Vec<u8>> {
    let outs: Vec<Vec<u8>> = DATES
        .iter()
        .zip([&ENVS[1], &ENVS[2]])
        .map(|(d, faked)| {
            let mut a = args.to_vec();
            a.extend(["--as-of", d]);
            same_in(&[&ENVS[0], faked], dir, &a).stdout
        })
        .collect();
    assert_ne!(
        outs[0],
        outs[1],
        "`mrm {}` gives the same output at {} and {}: the date is not read",
        args.join(" "),
        DATES[0],
        DATES[1]
    );
    outs
}

fn status(report: &Value, model: &str, control: &str) -> String {
    report["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["id"] == model)
        .and_then(|m| m["controls"].as_array())
        .and_then(|cs| cs.iter().find(|c| c["id"] == control))
        .and_then(|c| c["status"].as_str())
        .unwrap_or_else(|| panic!("no {control} for {model}"))
        .to_string()
}

#[test]
fn the_fake_clock_reaches_the_binary() {
    // Without `--as-of` the evaluation date is today's, in UTC: the faked clock must show, or the
    // other tests here would prove nothing.
    let dir = boundaries();
    for (env, year) in ENVS.iter().skip(1).zip(["2031-", "2019-"]) {
        let out = run_in(
            env,
            &dir,
            &[
                "check",
                "one-blocking",
                "--policy",
                "policy.mrm",
                "--format",
                "json",
            ],
        );
        let report: Value = serde_json::from_slice(&out.stdout).expect("json");
        let as_of = report["as_of"].as_str().expect("as_of");
        assert!(as_of.starts_with(year), "{}: as_of {as_of}", env.name);
    }
}

#[test]
fn check_reports_in_every_format_do_not_depend_on_the_clock_or_time_zone() {
    let dir = boundaries();
    for format in [
        "text", "json", "markdown", "html", "sarif", "junit", "oscal",
    ] {
        let outs = per_date(
            &dir,
            &[
                "check",
                "repo",
                "--policy",
                "policy.mrm",
                "--color",
                "never",
                "--format",
                format,
            ],
        );
        if format == "json" {
            // The verdicts that read the date follow `--as-of` under every clock.
            let a: Value = serde_json::from_slice(&outs[0]).expect("json");
            let b: Value = serde_json::from_slice(&outs[1]).expect("json");
            assert_eq!(status(&a, "today", "GV-TODAY"), "pass");
            assert_eq!(status(&b, "today", "GV-TODAY"), "fail");
            assert_eq!(status(&a, "annex", "AI-ART10"), "upcoming");
            assert_eq!(status(&b, "annex", "AI-ART10"), "fail");
            assert_eq!(status(&a, "waiver-expiry", "MR-VAL"), "waived");
            assert_eq!(status(&b, "waiver-expiry", "MR-VAL"), "fail");
        }
    }
}

#[test]
fn gaps_inventory_and_why_do_not_depend_on_the_clock_or_time_zone() {
    let dir = boundaries();
    for format in ["text", "json", "markdown", "csv"] {
        per_date(
            &dir,
            &[
                "gaps",
                "repo",
                "--policy",
                "policy.mrm",
                "--framework",
                "eu-ai-act",
                "--format",
                format,
            ],
        );
    }
    for format in ["text", "json", "csv"] {
        // The inventory lists the last validation and open gaps: both depend on the date.
        per_date(
            &dir,
            &[
                "inventory",
                "repo",
                "--policy",
                "policy.mrm",
                "--format",
                format,
            ],
        );
    }
    per_date(
        &dir,
        &[
            "why",
            "annex",
            "AI-ART10",
            "repo",
            "--policy",
            "policy.mrm",
            "--color",
            "never",
        ],
    );
}

#[test]
fn the_shipped_library_on_the_example_does_not_depend_on_the_clock_or_time_zone() {
    let dir = root();
    let out = same_everywhere(
        &dir,
        &[
            "check",
            "examples/acme-bank",
            "--as-of",
            "2026-11-27",
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["as_of"], "2026-11-27");
}

#[test]
fn packs_are_byte_identical_across_clocks_and_time_zones() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = boundaries();
    let mut per_date = Vec::new();
    for date in DATES {
        let mut first: Option<Vec<u8>> = None;
        for (i, env) in ENVS.iter().enumerate() {
            let file = tmp.path().join(format!("{date}-{i}.tar.gz"));
            let out = run_in(
                env,
                &dir,
                &[
                    "pack",
                    "repo",
                    "--policy",
                    "policy.mrm",
                    "--as-of",
                    date,
                    "--out",
                    file.to_str().expect("path"),
                ],
            );
            assert!(
                out.status.code().is_some_and(|c| c <= 1),
                "pack ({}) failed: {}",
                env.name,
                String::from_utf8_lossy(&out.stderr)
            );
            let bytes = std::fs::read(&file).expect("pack written");
            match &first {
                None => first = Some(bytes),
                Some(f) => assert!(
                    *f == bytes,
                    "the pack as of {date} differs under {} from {}",
                    env.name,
                    ENVS[0].name
                ),
            }
        }
        per_date.push(first.expect("a pack"));
    }
    assert_ne!(per_date[0], per_date[1], "packs ignore the evaluation date");
}

/// A git repository with the boundary fixture at its first commit and a change to one model at
/// its second, both with fixed authors and times.
fn git_repo() -> (tempfile::TempDir, String) {
    use git2::{Repository, Signature, Time};
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = boundaries();
    let copy = |from: &Path, to: &Path| {
        for e in walk(from) {
            let rel = e.strip_prefix(from).expect("prefix");
            let dest = to.join(rel);
            std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
            std::fs::copy(&e, &dest).expect("copy");
        }
    };
    copy(&src.join("repo"), tmp.path());
    std::fs::create_dir_all(tmp.path().join("policies")).expect("mkdir");
    std::fs::copy(
        src.join("policy.mrm"),
        tmp.path().join("policies/policy.mrm"),
    )
    .expect("copy policy");
    std::fs::write(
        tmp.path().join("mrm.toml"),
        "[policy]\npaths = [\"policies\"]\n",
    )
    .expect("mrm.toml");
    let repo = Repository::init(tmp.path()).expect("init");
    let commit = |time: i64, msg: &str| {
        let mut index = repo.index().expect("index");
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.write().expect("write index");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let sig = Signature::new("dev", "dev@acme.example", &Time::new(time, 0)).expect("sig");
        let parents: Vec<git2::Commit<'_>> = repo
            .head()
            .ok()
            .map(|h| h.peel_to_commit().expect("commit"))
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, msg, &tree, &parents)
            .expect("commit")
    };
    // 2026-01-01T12:00:00Z, then a day later.
    let base = commit(1_767_268_800, "initial");
    let path = tmp.path().join("models/annex/model.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("0.75", "0.7")).expect("write");
    commit(1_767_268_800 + 86_400, "retrain annex");
    (tmp, base.to_string())
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn the_gate_and_the_trend_do_not_depend_on_the_clock_or_time_zone() {
    let (tmp, base) = git_repo();
    let dir = tmp.path();
    for format in ["text", "json", "sarif"] {
        per_date(
            dir,
            &[
                "check", ".", "--base", &base, "--color", "never", "--format", format,
            ],
        );
    }
    // The trend evaluates each commit as of its own date.
    same_everywhere(dir, &["trend", ".", "--commits", "2", "--format", "json"]);
    same_everywhere(dir, &["trend", ".", "--commits", "2"]);
}
