//! The pre-merge gate's verdict at its boundaries: which severities of new and unchanged gaps fail
//! `mrm check --base` (with and without `--strict`), and which SARIF results it marks `new`.
//!
//! Each test builds a git repository in a temporary directory (fixed authors and times) holding
//! `tests/fixtures/gate/policy.mrm`: `GT-HIGH` (high, blocking by default) and `GT-MEDIUM`
//! (medium, not blocking) read separate fields, so a commit can open a gap of one severity alone.
//! The real binary is run on it.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly; the lints guard library code"
)]

use std::path::Path;
use std::process::Command;

use git2::{Oid, Repository, Signature, Time};
use serde_json::Value;

const POLICY: &str = include_str!("fixtures/gate/policy.mrm");
const AS_OF: &str = "2026-11-27";
/// 2026-01-01T12:00:00Z.
const JAN_1: i64 = 1_767_268_800;
const DAY: i64 = 86_400;

/// A model with a validation date (`GT-HIGH` holds) and a change ticket (`GT-MEDIUM` holds) unless
/// left out.
fn model(id: &str, date: bool, ticket: bool) -> String {
    let mut s = format!(
        "[model]\nid = \"{id}\"\nname = \"Model {id}\"\n\n[roles]\nowner = \"owner-{id}@acme.example\"\n\n[impact]\nfinancial_exposure = 1_000\n"
    );
    if date {
        s.push_str("\n[validation]\ndate = 2026-06-01\n");
    }
    if ticket {
        s.push_str("\n[change]\nticket = \"CHG-1\"\n");
    }
    s
}

struct TestRepo {
    dir: tempfile::TempDir,
    repo: Repository,
    time: std::cell::Cell<i64>,
}

impl TestRepo {
    fn new() -> TestRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(dir.path()).expect("init");
        TestRepo {
            dir,
            repo,
            time: std::cell::Cell::new(JAN_1),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes, or deletes (`None`), files and commits them, a day after the previous commit.
    fn commit(&self, files: &[(&str, Option<&str>)]) -> String {
        let mut index = self.repo.index().expect("index");
        for (path, content) in files {
            let full = self.path().join(path);
            match content {
                Some(c) => {
                    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
                    std::fs::write(&full, c).expect("write");
                    index.add_path(Path::new(path)).expect("add");
                }
                None => {
                    std::fs::remove_file(&full).expect("remove file");
                    index.remove_path(Path::new(path)).expect("remove");
                }
            }
        }
        index.write().expect("write index");
        let tree = self
            .repo
            .find_tree(index.write_tree().expect("write tree"))
            .expect("tree");
        let time = self.time.get();
        self.time.set(time + DAY);
        let sig = Signature::new("dev", "dev@acme.example", &Time::new(time, 0)).expect("sig");
        let parents: Vec<git2::Commit<'_>> = match self.repo.head() {
            Ok(h) => vec![h.peel_to_commit().expect("head commit")],
            Err(_) => Vec::new(),
        };
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let oid: Oid = self
            .repo
            .commit(Some("HEAD"), &sig, &sig, "change", &tree, &parents)
            .expect("commit");
        oid.to_string()
    }

    /// The first commit: the fixture policy, `mrm.toml` and `files`.
    fn initial(&self, files: &[(&str, &str)]) -> String {
        let mut all: Vec<(&str, Option<&str>)> = vec![
            ("mrm.toml", Some("[policy]\npaths = [\"policies\"]\n")),
            ("policies/policy.mrm", Some(POLICY)),
        ];
        all.extend(files.iter().map(|(p, c)| (*p, Some(*c))));
        self.commit(&all)
    }

    /// `mrm check REPO --base BASE --head HEAD --as-of AS_OF --format FORMAT` plus `extra`:
    /// (exit code, output as JSON).
    fn gate(&self, base: &str, head: &str, format: &str, extra: &[&str]) -> (i32, Value) {
        let out = Command::new(env!("CARGO_BIN_EXE_mrm"))
            .arg("check")
            .arg(self.path())
            .args(["--base", base, "--head", head, "--as-of", AS_OF])
            .args(["--format", format])
            .args(extra)
            .output()
            .expect("run mrm");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {stdout}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().expect("exit code"), json)
    }
}

/// (model, control, severity, blocking) of each gap in a list of the JSON gate report.
fn gaps(report: &Value, list: &str) -> Vec<(String, String, String, bool)> {
    report[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list}: {report:#}"))
        .iter()
        .map(|g| {
            (
                g["model"].as_str().expect("model").to_string(),
                g["control"].as_str().expect("control").to_string(),
                g["severity"].as_str().expect("severity").to_string(),
                g["blocking"].as_bool().expect("blocking"),
            )
        })
        .collect()
}

fn gap(
    model: &str,
    control: &str,
    severity: &str,
    blocking: bool,
) -> (String, String, String, bool) {
    (
        model.to_string(),
        control.to_string(),
        severity.to_string(),
        blocking,
    )
}

#[test]
fn a_new_high_gap_fails_the_gate_and_a_new_medium_gap_does_not() {
    let t = TestRepo::new();
    let a = model("a", true, true);
    let b = model("b", true, true);
    let base = t.initial(&[("models/a/model.toml", &a), ("models/b/model.toml", &b)]);
    // A change that opens one medium gap.
    let no_ticket = model("a", true, false);
    let medium = t.commit(&[("models/a/model.toml", Some(&no_ticket))]);
    // The next change opens one high gap.
    let no_date = model("b", false, true);
    let high = t.commit(&[("models/b/model.toml", Some(&no_date))]);

    let (code, r) = t.gate(&base, &medium, "json", &[]);
    assert_eq!(
        gaps(&r, "new_gaps"),
        vec![gap("a", "GT-MEDIUM", "medium", false)]
    );
    assert_eq!(r["summary"]["new_blocking"], 0);
    assert_eq!(r["summary"]["failed"], false);
    assert_eq!(code, 0, "{r:#}");

    let (code, r) = t.gate(&medium, &high, "json", &[]);
    assert_eq!(
        gaps(&r, "new_gaps"),
        vec![gap("b", "GT-HIGH", "high", true)]
    );
    assert_eq!(r["summary"]["new_blocking"], 1);
    assert_eq!(r["summary"]["failed"], true);
    assert_eq!(code, 1, "{r:#}");
}

#[test]
fn strict_fails_on_an_unchanged_high_gap_but_not_on_an_unchanged_medium_gap() {
    let t = TestRepo::new();
    let m = model("m", true, false);
    let n = model("n", true, true);
    let c0 = t.initial(&[("models/m/model.toml", &m), ("models/n/model.toml", &n)]);
    let c1 = t.commit(&[("models/n/notes.md", Some("notes\n"))]);
    // Only an unchanged medium gap: strict or not, the gate passes.
    for strict in [false, true] {
        let extra: &[&str] = if strict { &["--strict"] } else { &[] };
        let (code, r) = t.gate(&c0, &c1, "json", extra);
        assert_eq!(code, 0, "strict {strict}: {r:#}");
        assert!(gaps(&r, "new_gaps").is_empty(), "{r:#}");
        if strict {
            assert_eq!(
                gaps(&r, "unchanged_gaps"),
                vec![gap("m", "GT-MEDIUM", "medium", false)]
            );
        }
    }
    // Add a model with a high gap, then change something else: the high gap is unchanged.
    let h = model("h", false, true);
    let c2 = t.commit(&[("models/h/model.toml", Some(&h))]);
    let c3 = t.commit(&[("models/n/notes.md", Some("more notes\n"))]);
    let (code, r) = t.gate(&c2, &c3, "json", &[]);
    assert_eq!(code, 0, "{r:#}");
    let (code, r) = t.gate(&c2, &c3, "json", &["--strict"]);
    assert_eq!(
        gaps(&r, "unchanged_gaps"),
        vec![
            gap("h", "GT-HIGH", "high", true),
            gap("m", "GT-MEDIUM", "medium", false)
        ]
    );
    assert!(gaps(&r, "new_gaps").is_empty(), "{r:#}");
    assert_eq!(r["summary"]["unchanged_blocking"], 1);
    assert_eq!(code, 1, "{r:#}");
}

#[test]
fn gate_sarif_never_marks_a_waived_result_or_a_diagnostic_as_new() {
    let t = TestRepo::new();
    let a = model("a", true, true);
    let b = model("b", true, true);
    // The base revision's waiver for `a`, which only applies once `a` fails.
    let waivers = "[[waiver]]\nmodel = \"a\"\ncontrol = \"GT-HIGH\"\njustification = \"Re-validation booked\"\napprover = \"mro@acme.example\"\nticket = \"RISK-7\"\nexpires = 2027-01-31\n";
    let base = t.initial(&[
        ("models/a/model.toml", &a),
        ("models/b/model.toml", &b),
        ("waivers.toml", waivers),
    ]);
    // `a` fails GT-HIGH, which the base waiver excuses, and gains a model diagnostic (a version
    // of the wrong type, read by no control) and a repository warning (a shadowed model.json).
    let a_failing = model("a", false, true).replace("[roles]", "version = 3\n\n[roles]");
    let b_failing = model("b", true, false);
    let head = t.commit(&[
        ("models/a/model.toml", Some(&a_failing)),
        ("models/a/model.json", Some("{}")),
        // `b` opens a real new gap.
        ("models/b/model.toml", Some(&b_failing)),
    ]);
    let (code, log) = t.gate(&base, &head, "sarif", &[]);
    assert_eq!(code, 0, "{log:#}");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let find = |model: &str, rule: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule && r["properties"]["model"] == model)
            .unwrap_or_else(|| panic!("no {rule} result for {model}: {log:#}"))
    };
    // The gap the change opened is new: the log does mark results `new`.
    assert_eq!(find("b", "GT-MEDIUM")["baselineState"], "new");
    // The waived result is suppressed and not new.
    let waived = find("a", "GT-HIGH");
    assert_eq!(waived["properties"]["status"], "waived");
    assert_eq!(waived["suppressions"][0]["status"], "accepted");
    assert_ne!(waived["baselineState"], "new", "{waived:#}");
    // Diagnostics are not new gaps: the model's own…
    let d = find("a", "model/wrong-type");
    assert_ne!(d["baselineState"], "new", "{d:#}");
    // …and the repository's.
    let shadowed = results
        .iter()
        .find(|r| {
            r["ruleId"] == "model/shadowed-metadata"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    == "models/a/model.json"
        })
        .unwrap_or_else(|| panic!("no shadowed-metadata result for a: {log:#}"));
    assert_ne!(shadowed["baselineState"], "new", "{shadowed:#}");
    // Nothing but a gap is ever new.
    for r in results {
        let gap = matches!(
            r["properties"]["status"].as_str(),
            Some("fail" | "blocked" | "error")
        );
        assert!(gap || r["baselineState"] != "new", "{r:#}");
    }
}
