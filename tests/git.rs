//! Pre-merge checks and history builtins on real git repositories built in temporary
//! directories. Every commit has a fixed author, committer and time, so results are
//! deterministic.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly; the lints guard library code"
)]

use std::path::Path;

use git2::{Oid, Repository, Signature, Time};
use mrm::git::{GitRepo, History};
use mrm::repo::{EvidenceState, Tree};
use serde_json::Value;

const POLICY: &str = include_str!("fixtures/git/policy.mrm");
const HISTORY_POLICY: &str = include_str!("../policies/change-history.mrm");
const AS_OF: &str = "2026-11-27";
const DAY: i64 = 86_400;
/// 2026-01-01T12:00:00Z.
const JAN_1: i64 = 1_767_268_800;

struct TestRepo {
    dir: tempfile::TempDir,
    repo: Repository,
}

fn model(id: &str, di: f64, extra: &str) -> String {
    format!(
        r#"[model]
id = "{id}"
name = "Model {id}"
status = "production"

[roles]
owner = "owner@acme.example"

[impact]
financial_exposure = 50_000_000

[[fairness]]
attribute = "sex"
group = "female"
disparate_impact = {di}
{extra}"#
    )
}

impl TestRepo {
    /// A repository whose first commit holds the fixture policy, `mrm.toml` and `files`.
    fn new(files: &[(&str, &str)]) -> TestRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(dir.path()).expect("init");
        let t = TestRepo { dir, repo };
        let mut all: Vec<(&str, Option<&str>)> = vec![
            (
                "mrm.toml",
                Some(
                    "[policy]\npaths = [\"policies\"]\n\n[roles]\npolicy_owners = [\"mro@acme.example\"]\n",
                ),
            ),
            ("policies/policy.mrm", Some(POLICY)),
        ];
        all.extend(files.iter().map(|(p, c)| (*p, Some(*c))));
        t.commit(&all, "dev@acme.example", JAN_1, "initial");
        t
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes, or deletes (`None`), files and commits them on the current branch.
    fn commit(&self, files: &[(&str, Option<&str>)], author: &str, time: i64, msg: &str) -> Oid {
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
                    let _ = std::fs::remove_file(&full);
                    index.remove_path(Path::new(path)).expect("remove");
                }
            }
        }
        self.commit_index(&mut index, author, time, msg)
    }

    fn commit_index(&self, index: &mut git2::Index, author: &str, time: i64, msg: &str) -> Oid {
        index.write().expect("write index");
        let tree_id = index.write_tree().expect("write tree");
        let tree = self.repo.find_tree(tree_id).expect("tree");
        let sig = Signature::new(author, author, &Time::new(time, 0)).expect("signature");
        let parents: Vec<git2::Commit<'_>> = match self.repo.head() {
            Ok(h) => vec![h.peel_to_commit().expect("head commit")],
            Err(_) => Vec::new(),
        };
        let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, msg, &tree, &parent_refs)
            .expect("commit")
    }

    fn head(&self) -> Oid {
        self.repo
            .head()
            .expect("head")
            .peel_to_commit()
            .expect("commit")
            .id()
    }
}

/// Runs the CLI in-process: (exit code, stdout, stderr).
fn mrm(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut all = vec!["mrm"];
    all.extend_from_slice(args);
    let code = mrm::cli::run(all, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).expect("utf8"),
        String::from_utf8(err).expect("utf8"),
    )
}

/// `mrm check --base BASE --format json` on the repository: (exit code, report).
fn merge_check(repo: &TestRepo, base: &str, extra: &[&str]) -> (u8, Value) {
    let path = repo.path().to_string_lossy().to_string();
    let mut args = vec![
        "check", &path, "--base", base, "--as-of", AS_OF, "--format", "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = mrm(&args);
    let json: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    (code, json)
}

fn gap_keys(report: &Value, list: &str) -> Vec<(String, String)> {
    report[list]
        .as_array()
        .expect("gap list")
        .iter()
        .map(|g| {
            (
                g["model"].as_str().expect("model").to_string(),
                g["control"].as_str().expect("control").to_string(),
            )
        })
        .collect()
}

fn key(model: &str, control: &str) -> (String, String) {
    (model.to_string(), control.to_string())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn a_change_that_breaks_one_model_reports_one_new_gap_and_fails() {
    let base_models = [
        ("models/a/model.toml", model("a", 0.9, "")),
        ("models/b/model.toml", model("b", 0.9, "")),
        ("models/c/model.toml", model("c", 0.95, "")),
    ];
    let files: Vec<(&str, &str)> = base_models.iter().map(|(p, c)| (*p, c.as_str())).collect();
    let repo = TestRepo::new(&files);
    let base = repo.head().to_string();
    let broken = model("b", 0.72, "");
    repo.commit(
        &[("models/b/model.toml", Some(&broken))],
        "dev@acme.example",
        JAN_1 + DAY,
        "retrain b",
    );
    let (code, report) = merge_check(&repo, &base, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(gap_keys(&report, "new_gaps"), vec![key("b", "FX-FAIR-01")]);
    assert!(gap_keys(&report, "fixed_gaps").is_empty());
    assert!(gap_keys(&report, "unchanged_gaps").is_empty());
    let gap = &report["new_gaps"][0];
    assert_eq!(gap["baseline"], "new");
    assert_eq!(gap["blocking"], true);
    assert_eq!(gap["status"], "fail");
    assert_eq!(
        gap["message"],
        "Group female on sex has disparate impact 0.72"
    );
    assert_eq!(strings(&report["models"]["changed"]), vec!["b"]);
    assert_eq!(report["summary"]["evaluated_at_head"], 1);
    // Untouched models are not evaluated, nor counted, unless the check is complete.
    assert!(report["summary"].get("models").is_none());
    assert!(
        report["policy_changes"]
            .as_array()
            .expect("list")
            .is_empty()
    );
}

#[test]
fn a_change_that_fixes_a_gap_reports_it_fixed_and_passes() {
    let a = model("a", 0.6, "");
    let b = model("b", 0.9, "");
    let repo = TestRepo::new(&[("models/a/model.toml", &a), ("models/b/model.toml", &b)]);
    let base = repo.head().to_string();
    let fixed = model("a", 0.85, "");
    repo.commit(
        &[("models/a/model.toml", Some(&fixed))],
        "dev@acme.example",
        JAN_1 + DAY,
        "mitigate a",
    );
    let (code, report) = merge_check(&repo, &base, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        gap_keys(&report, "fixed_gaps"),
        vec![key("a", "FX-FAIR-01")]
    );
    assert_eq!(report["fixed_gaps"][0]["baseline"], "absent");
    assert!(gap_keys(&report, "new_gaps").is_empty());
    assert_eq!(report["summary"]["failed"], false);

    let (code, text, _) = mrm(&[
        "check",
        &repo.path().to_string_lossy(),
        "--base",
        &base,
        "--as-of",
        AS_OF,
        "--color",
        "never",
    ]);
    assert_eq!(code, 0);
    assert!(text.contains("fixed gaps (1)"), "{text}");
    assert!(text.contains("passed: no new blocking gap"), "{text}");
}

#[test]
fn a_policy_edit_in_head_is_listed_and_not_applied() {
    let a = model("a", 0.9, "");
    let repo = TestRepo::new(&[("models/a/model.toml", &a)]);
    let base = repo.head().to_string();
    let weakened = POLICY.replace("disparate_impact >= 0.8", "disparate_impact >= 0.5");
    assert_ne!(weakened, POLICY);
    let broken = model("a", 0.7, "");
    repo.commit(
        &[
            ("policies/policy.mrm", Some(&weakened)),
            ("models/a/model.toml", Some(&broken)),
        ],
        "dev@acme.example",
        JAN_1 + DAY,
        "relax fairness",
    );
    let (code, report) = merge_check(&repo, &base, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(gap_keys(&report, "new_gaps"), vec![key("a", "FX-FAIR-01")]);
    assert_eq!(
        report["policy_changes"],
        serde_json::json!([
            { "path": "policies/policy.mrm", "kind": "policy", "change": "modified" }
        ])
    );
    assert_eq!(strings(&report["policy_owners"]), vec!["mro@acme.example"]);
    // The base policy was applied to head.
    assert!(
        report["policy"]["origin"]
            .as_str()
            .expect("origin")
            .contains(&base[..7])
    );
}

#[test]
fn a_waiver_added_with_the_failure_does_not_apply() {
    let a = model("a", 0.9, "");
    let repo = TestRepo::new(&[("models/a/model.toml", &a)]);
    let base = repo.head().to_string();
    let broken = model("a", 0.7, "");
    let waivers = r#"[[waiver]]
model = "a"
control = "FX-FAIR-01"
justification = "temporary"
approver = "someone@acme.example"
ticket = "RISK-1"
expires = 2027-01-01
"#;
    repo.commit(
        &[
            ("models/a/model.toml", Some(&broken)),
            ("waivers.toml", Some(waivers)),
        ],
        "dev@acme.example",
        JAN_1 + DAY,
        "waive it",
    );
    let (code, report) = merge_check(&repo, &base, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(gap_keys(&report, "new_gaps"), vec![key("a", "FX-FAIR-01")]);
    assert_eq!(report["new_gaps"][0]["status"], "fail");
    assert_eq!(
        report["policy_changes"],
        serde_json::json!([{ "path": "waivers.toml", "kind": "waivers", "change": "added" }])
    );
}

#[test]
fn unchanged_gaps_pass_unless_strict() {
    let a = model("a", 0.6, "");
    let b = model("b", 0.9, "");
    let repo = TestRepo::new(&[("models/a/model.toml", &a), ("models/b/model.toml", &b)]);
    let base = repo.head().to_string();
    repo.commit(
        &[("models/b/notes.md", Some("notes\n"))],
        "dev@acme.example",
        JAN_1 + DAY,
        "notes",
    );
    let (code, report) = merge_check(&repo, &base, &[]);
    assert_eq!(code, 0, "{report:#}");
    // `a` is untouched: it was not evaluated, and its gap cannot be new.
    assert!(gap_keys(&report, "unchanged_gaps").is_empty());
    assert_eq!(report["summary"]["complete"], false);
    assert_eq!(report["summary"]["evaluated_at_head"], 1);
    assert_eq!(strings(&report["models"]["changed"]), vec!["b"]);
    let (code, report) = merge_check(&repo, &base, &["--strict"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["summary"]["complete"], true);
    assert_eq!(report["summary"]["models"], 2);
    assert_eq!(report["summary"]["failed"], true);
    assert_eq!(
        gap_keys(&report, "unchanged_gaps"),
        vec![key("a", "FX-FAIR-01")]
    );
    assert_eq!(report["unchanged_gaps"][0]["baseline"], "unchanged");
    assert_eq!(report["summary"]["evaluated_at_head"], 1);
    assert!(gap_keys(&report, "new_gaps").is_empty());
}

#[test]
fn added_and_removed_models_are_reported() {
    let a = model("a", 0.9, "");
    let b = model("b", 0.6, "");
    let repo = TestRepo::new(&[("models/a/model.toml", &a), ("models/b/model.toml", &b)]);
    let base = repo.head().to_string();
    let c = model("c", 0.5, "");
    repo.commit(
        &[
            ("models/b/model.toml", None),
            ("models/c/model.toml", Some(&c)),
        ],
        "dev@acme.example",
        JAN_1 + DAY,
        "replace b with c",
    );
    let (code, report) = merge_check(&repo, &base, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(strings(&report["models"]["added"]), vec!["c"]);
    assert_eq!(strings(&report["models"]["removed"]), vec!["b"]);
    assert_eq!(gap_keys(&report, "new_gaps"), vec![key("c", "FX-FAIR-01")]);
    // A removed model's gaps leave with it: they are not fixes.
    assert!(gap_keys(&report, "fixed_gaps").is_empty());
}

#[test]
fn detached_head_works() {
    let a = model("a", 0.9, "");
    let repo = TestRepo::new(&[("models/a/model.toml", &a)]);
    let base = repo.head().to_string();
    let broken = model("a", 0.7, "");
    let head = repo.commit(
        &[("models/a/model.toml", Some(&broken))],
        "dev@acme.example",
        JAN_1 + DAY,
        "break a",
    );
    repo.repo.set_head_detached(head).expect("detach");
    assert!(repo.repo.head_detached().expect("state"));
    let (code, report) = merge_check(&repo, &base, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["head"]["spec"], "HEAD");
    assert_eq!(report["head"]["commit"], head.to_string());
    assert_eq!(gap_keys(&report, "new_gaps"), vec![key("a", "FX-FAIR-01")]);
    // An explicit --head at the base shows no change.
    let (code, report) = merge_check(&repo, &base, &["--head", &base]);
    assert_eq!(code, 0, "{report:#}");
    assert!(gap_keys(&report, "new_gaps").is_empty());
}

#[test]
fn an_unknown_revision_is_a_usage_error() {
    let a = model("a", 0.9, "");
    let repo = TestRepo::new(&[("models/a/model.toml", &a)]);
    let (code, out, err) = mrm(&[
        "check",
        &repo.path().to_string_lossy(),
        "--base",
        "origin/nope",
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.starts_with("error: unknown revision `origin/nope`: "),
        "{err}"
    );
    assert!(err.contains("help: name a branch, tag or commit"), "{err}");
}

#[test]
fn a_directory_outside_git_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = model("a", 0.9, "");
    std::fs::create_dir_all(dir.path().join("m")).expect("mkdir");
    std::fs::write(dir.path().join("m/model.toml"), a).expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mrm"))
        .args(["check", "--base", "main"])
        .arg(dir.path())
        .output()
        .expect("run mrm");
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("is not in a git repository"), "{err}");
    assert!(
        err.contains("help: `--base` compares two revisions"),
        "{err}"
    );
}

/// The shipped history controls on a repository with a developer and a validator.
fn history_repo() -> TestRepo {
    let ok = model("ok", 0.9, "");
    let stale = model("stale", 0.9, "");
    let selfv = model("self", 0.9, "");
    let repo = TestRepo::new(&[
        ("policies/change-history.mrm", HISTORY_POLICY),
        ("models/ok/model.toml", &ok),
        ("models/stale/model.toml", &stale),
        ("models/self/model.toml", &selfv),
    ]);
    let validated = |id: &str, validator: &str| {
        model(
            id,
            0.9,
            &format!(
                "\n[validation]\ndate = 2026-02-01\nvalidator = \"{validator}\"\nreport = \"validation/report.md\"\n"
            ),
        )
    };
    let (ok_v, stale_v, self_v) = (
        validated("ok", "val@acme.example"),
        validated("stale", "val@acme.example"),
        validated("self", "dev@acme.example"),
    );
    // The validator records the validations, report and metadata together.
    repo.commit(
        &[
            ("models/ok/model.toml", Some(&ok_v)),
            ("models/ok/validation/report.md", Some("approved\n")),
            ("models/stale/model.toml", Some(&stale_v)),
            ("models/stale/validation/report.md", Some("approved\n")),
            ("models/self/model.toml", Some(&self_v)),
            ("models/self/validation/report.md", Some("approved\n")),
        ],
        "val@acme.example",
        JAN_1 + 31 * DAY,
        "validations",
    );
    // A later change to `stale` without re-validation.
    let changed = stale_v.replace("Model stale", "Model stale v2");
    repo.commit(
        &[("models/stale/model.toml", Some(&changed))],
        "dev@acme.example",
        JAN_1 + 60 * DAY,
        "rename stale",
    );
    repo
}

fn status(report: &Value, model: &str, control: &str) -> String {
    let m = report["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["id"] == model)
        .unwrap_or_else(|| panic!("no model {model}"));
    let c = m["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == control)
        .unwrap_or_else(|| panic!("no control {control}"));
    c["status"].as_str().expect("status").to_string()
}

#[test]
fn history_controls_pass_and_fail_on_a_working_directory() {
    let repo = history_repo();
    let (code, out, err) = mrm(&[
        "check",
        &repo.path().to_string_lossy(),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(code, 1);
    assert_eq!(status(&report, "ok", "CH-VAL-01"), "pass");
    assert_eq!(status(&report, "ok", "CH-VAL-02"), "pass");
    assert_eq!(status(&report, "ok", "CH-CHG-01"), "pass");
    assert_eq!(status(&report, "stale", "CH-VAL-01"), "fail");
    assert_eq!(status(&report, "stale", "CH-VAL-02"), "pass");
    assert_eq!(status(&report, "stale", "CH-CHG-01"), "fail");
    assert_eq!(status(&report, "self", "CH-VAL-01"), "pass");
    assert_eq!(status(&report, "self", "CH-VAL-02"), "fail");
}

#[test]
fn history_controls_follow_the_head_revision_in_a_pre_merge_check() {
    let repo = history_repo();
    let base = repo.head().to_string();
    // Recording a change ticket fixes the change-ticket gap; the validation is still stale.
    let stale = std::fs::read_to_string(repo.path().join("models/stale/model.toml")).expect("read")
        + "\n[change]\nticket = \"CHG-42\"\n";
    repo.commit(
        &[("models/stale/model.toml", Some(&stale))],
        "dev@acme.example",
        JAN_1 + 70 * DAY,
        "ticket",
    );
    let (code, report) = merge_check(&repo, &base, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        gap_keys(&report, "fixed_gaps"),
        vec![key("stale", "CH-CHG-01")]
    );
    assert!(gap_keys(&report, "new_gaps").is_empty());
    assert!(
        gap_keys(&report, "unchanged_gaps").contains(&key("stale", "CH-VAL-01")),
        "{report:#}"
    );
}

#[test]
fn history_is_indexed_per_path_and_folder() {
    let repo = history_repo();
    let git = GitRepo::discover(repo.path()).expect("repo");
    let head = git.resolve("HEAD").expect("head");
    let history = git.history(&head);
    assert_eq!(
        history.last_change("models/stale/model.toml"),
        Ok(Some(JAN_1 + 60 * DAY))
    );
    assert_eq!(history.last_change("models/ok"), Ok(Some(JAN_1 + 31 * DAY)));
    assert_eq!(history.last_change(""), Ok(Some(JAN_1 + 60 * DAY)));
    assert_eq!(history.last_change("models/nope"), Ok(None));
    assert_eq!(
        history.authors_between("models/stale", 0, None),
        Ok(vec![
            "dev@acme.example".to_string(),
            "val@acme.example".to_string()
        ])
    );
    assert_eq!(
        history.authors_between("models/stale", JAN_1 + 40 * DAY, None),
        Ok(vec!["dev@acme.example".to_string()])
    );
    assert_eq!(
        history.authors_between("models/stale", 0, Some(JAN_1 + DAY)),
        Ok(vec!["dev@acme.example".to_string()])
    );
}

#[test]
fn history_is_unavailable_in_a_plain_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |p: &str, c: &str| {
        let full = dir.path().join(p);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, c).expect("write");
    };
    write("mrm.toml", "[policy]\npaths = [\"policies\"]\n");
    write("policies/policy.mrm", POLICY);
    write("policies/change-history.mrm", HISTORY_POLICY);
    write(
        "models/a/model.toml",
        &model(
            "a",
            0.9,
            "\n[validation]\ndate = 2026-02-01\nvalidator = \"v@acme.example\"\nreport = \"r.md\"\n",
        ),
    );
    let (code, out, _) = mrm(&[
        "check",
        &dir.path().to_string_lossy(),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    // The shipped history controls do not apply without history…
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).expect("json");
    let controls = report["models"][0]["controls"]
        .as_array()
        .expect("controls");
    let c = controls
        .iter()
        .find(|c| c["id"] == "CH-VAL-02")
        .expect("CH-VAL-02");
    assert_eq!(c["status"], "not-applicable");
    assert_eq!(
        c["reason"],
        "`git.available() and exists(validation.validator) and exists(validation.date)` is false"
    );
    // …and a control that reads history unguarded says why it cannot be evaluated.
    write(
        "policies/unguarded.mrm",
        "control CH-RAW \"Unguarded\" {\n  severity low\n  assert git.last_change(\"model.toml\") <= today()\n}\n",
    );
    let (_, out, _) = mrm(&[
        "check",
        &dir.path().to_string_lossy(),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&out).expect("json");
    let c = report["models"][0]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == "CH-RAW")
        .expect("CH-RAW")
        .clone();
    assert_eq!(c["status"], "error");
    assert!(
        c["error"]
            .as_str()
            .expect("error")
            .ends_with("history is not available: the repository is not a git repository"),
        "{c:#}"
    );
}

#[cfg(unix)]
#[test]
fn evidence_links_leaving_the_repository_escape() {
    let a = model("a", 0.9, "");
    let repo = TestRepo::new(&[("models/a/model.toml", &a)]);
    let root = repo.path();
    std::os::unix::fs::symlink("../../../outside.md", root.join("models/a/out.md")).expect("ln");
    std::os::unix::fs::symlink("/etc/passwd", root.join("models/a/abs.md")).expect("ln");
    std::os::unix::fs::symlink("model.toml", root.join("models/a/in.md")).expect("ln");
    std::os::unix::fs::symlink("../a", root.join("models/a/self")).expect("ln");
    let mut index = repo.repo.index().expect("index");
    for p in ["out.md", "abs.md", "in.md", "self"] {
        index
            .add_path(Path::new(&format!("models/a/{p}")))
            .expect("add");
    }
    repo.commit_index(&mut index, "dev@acme.example", JAN_1 + DAY, "links");
    let git = GitRepo::discover(root).expect("repo");
    let tree = git.tree(&git.resolve("HEAD").expect("head")).expect("tree");
    assert_eq!(tree.evidence("models/a/out.md"), EvidenceState::Escapes);
    assert_eq!(tree.evidence("models/a/abs.md"), EvidenceState::Escapes);
    assert_eq!(tree.evidence("models/a/in.md"), EvidenceState::Present);
    assert_eq!(tree.evidence("models/a/self/in.md"), EvidenceState::Present);
    assert_eq!(tree.evidence("models/a/missing.md"), EvidenceState::Missing);
    assert_eq!(tree.evidence("../x"), EvidenceState::Escapes);
    assert_eq!(tree.evidence("models"), EvidenceState::Missing);
    assert_eq!(
        tree.metadata_files().expect("list"),
        vec!["models/a/model.toml".to_string()]
    );
    assert!(tree.read("models/a/out.md").is_err());
    assert_eq!(
        tree.read("models/a/in.md").expect("read"),
        a.as_bytes().to_vec()
    );
}

#[test]
fn a_model_repository_in_a_sub_folder_is_read_relative_to_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Repository::init(dir.path()).expect("init");
    let t = TestRepo { dir, repo };
    let a = model("a", 0.9, "");
    t.commit(
        &[
            ("ml/mrm.toml", Some("[policy]\npaths = [\"policies\"]\n")),
            ("ml/policies/policy.mrm", Some(POLICY)),
            ("ml/models/a/model.toml", Some(&a)),
            ("other/model.toml", Some("not a model of ml/")),
        ],
        "dev@acme.example",
        JAN_1,
        "initial",
    );
    let base = t.head().to_string();
    let broken = model("a", 0.7, "");
    t.commit(
        &[("ml/models/a/model.toml", Some(&broken))],
        "dev@acme.example",
        JAN_1 + DAY,
        "break",
    );
    let sub = t.path().join("ml");
    let (code, out, err) = mrm(&[
        "check",
        &sub.to_string_lossy(),
        "--base",
        &base,
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(code, 1);
    assert_eq!(gap_keys(&report, "new_gaps"), vec![key("a", "FX-FAIR-01")]);
    assert_eq!(report["new_gaps"][0]["file"], "models/a/model.toml");
}

#[test]
fn the_trend_counts_gaps_per_framework_over_first_parent_history() {
    let a = model("a", 0.9, "");
    let b = model("b", 0.9, "");
    let repo = TestRepo::new(&[("models/a/model.toml", &a), ("models/b/model.toml", &b)]);
    let broken = model("b", 0.7, "");
    repo.commit(
        &[("models/b/model.toml", Some(&broken))],
        "dev@acme.example",
        JAN_1 + 10 * DAY,
        "break b",
    );
    let fixed = model("b", 0.85, "");
    let last = repo.commit(
        &[("models/b/model.toml", Some(&fixed))],
        "dev@acme.example",
        JAN_1 + 20 * DAY,
        "fix b",
    );
    let path = repo.path().to_string_lossy().to_string();
    let (code, out, err) = mrm(&["trend", &path, "--commits", "3", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["head"], last.to_string());
    assert_eq!(
        strings(&report["frameworks"]),
        vec!["iso-42001", "nist-ai-rmf"]
    );
    let points = report["points"].as_array().expect("points");
    let summary: Vec<(String, u64, u64)> = points
        .iter()
        .map(|p| {
            (
                p["date"].as_str().expect("date").to_string(),
                p["gaps"].as_u64().expect("gaps"),
                p["frameworks"]["nist-ai-rmf"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("2026-01-01".to_string(), 0, 0),
            ("2026-01-11".to_string(), 1, 1),
            ("2026-01-21".to_string(), 0, 0),
        ]
    );
    assert_eq!(points[1]["subject"], "break b");

    // --since keeps the commits on or after the date.
    let (code, out, _) = mrm(&["trend", &path, "--since", "2026-01-05"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("gap trend in "), "{out}");
    assert!(
        out.contains("2 commits of the first-parent history"),
        "{out}"
    );
    assert!(out.contains("iso-42001  nist-ai-rmf"), "{out}");
}
