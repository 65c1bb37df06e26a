//! Hostile repositories: what the author of a change could commit to make a model look compliant,
//! hide it, stall the check or act on whoever reads its reports.
//!
//! Each case starts from [`Repo::new`], a repository whose one model (`credit`) passes every
//! control of a small policy (so the baseline exits 0), changes one thing the way an attacker
//! would, runs the real binary (with a time limit: a case that hangs fails instead of stalling
//! the suite) and asserts the exit code, the located diagnostic, and that no model is reported
//! passing when it was not evaluated. `docs/security.md` maps each promise to these cases.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const AS_OF: &str = "2026-11-27";

/// Every control is `high`, so any of them failing or erroring blocks.
const POLICY: &str = r#"policy "adversarial" version "1.0.0"

schema {
  model.id: string
  model.name: string
  roles.owner: string
  roles.developers: list<string>?
  fairness: list<{ group: string, disparate_impact: number }>?
  groups: list<string>?
  validation.report: string?
}

tiers {
  high otherwise
}

control GV-OWN "Owner named" {
  pillar    governance
  severity  high
  maps      sr-26-2 "VI.3"
  assert    len(roles.owner) > 0
  remediate "Name an owner."
}

control DR-FAIR "No disparate impact" {
  pillar    data
  severity  high
  maps      nist-ai-rmf "MEASURE 2.11"
  applies   when exists(fairness)
  assert    all g in fairness: g.disparate_impact >= 0.8
  explain   "Group {g.group} has disparate impact {g.disparate_impact}"
  remediate "Mitigate and re-validate."
}

control MR-REP "Validation report on file" {
  pillar    model
  severity  high
  maps      sr-26-2 "V"
  evidence  validation.report
  assert    true
  remediate "File the validation report."
}

control DR-GROUPS "Group labels are consistent" {
  pillar    data
  severity  high
  maps      nist-ai-rmf "MEASURE 2.11"
  applies   when exists(groups)
  assert    all a in groups: all b in groups: a == b or a != b
  remediate "Fix the group labels."
}
"#;

const MRM_TOML: &str = "[policy]\npaths = [\"policies\"]\n";

const CREDIT: &str = r#"[model]
id = "credit"
name = "Credit scoring"

[roles]
owner = "owner@bank.example"
developers = ["dev@bank.example"]

[[fairness]]
group = "female"
disparate_impact = 0.9

[validation]
report = "validation/report.md"
"#;

const REPORT: &str = "# Validation report\n\nApproved.\n";

/// A repository in a temporary directory.
struct Repo {
    dir: tempfile::TempDir,
}

/// What one run of the binary produced.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }

    /// Both streams, for "this text is never shown" checks.
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl Repo {
    /// The baseline: policy, configuration and one passing model with its evidence.
    fn new() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.write("mrm.toml", MRM_TOML);
        repo.write("policies/policy.mrm", POLICY);
        repo.write("models/credit/model.toml", CREDIT);
        repo.write("models/credit/validation/report.md", REPORT);
        repo
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    fn append(&self, rel: &str, text: &str) {
        let mut s = std::fs::read_to_string(self.path(rel)).unwrap();
        s.push_str(text);
        self.write(rel, s);
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).unwrap();
    }

    /// Replaces `rel` with a named pipe: reading it would wait for a writer forever.
    fn fifo(&self, rel: &str) {
        let p = self.path(rel);
        let _ = std::fs::remove_file(&p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let status = Command::new("mkfifo").arg(&p).status().unwrap();
        assert!(status.success(), "mkfifo {}", p.display());
    }

    /// Replaces `rel` with a sparse file of `size` bytes (no disk space, no time to write).
    fn sparse(&self, rel: &str, size: u64) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::File::create(&p).unwrap().set_len(size).unwrap();
    }

    /// Replaces `rel` with a symbolic link to `target`.
    fn link(&self, target: &Path, rel: &str) {
        let p = self.path(rel);
        let _ = std::fs::remove_file(&p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
    }

    /// Runs `mrm COMMAND REPO --as-of … EXTRA…`.
    fn mrm(&self, command: &str, extra: &[&str]) -> Out {
        let mut args: Vec<&str> = vec![command, self.root().to_str().unwrap(), "--as-of", AS_OF];
        args.extend_from_slice(extra);
        run(&args)
    }

    fn check(&self, extra: &[&str]) -> Out {
        self.mrm("check", extra)
    }

    fn check_json(&self) -> (i32, Value) {
        let out = self.check(&["--format", "json"]);
        (out.code, out.json())
    }
}

/// Runs the binary with a time limit: a hang is a failure, not a stalled suite.
fn run(args: &[&str]) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mrm"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        stdout.read_to_end(&mut s).unwrap();
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        stderr.read_to_end(&mut s).unwrap();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("`mrm {}` did not finish: it hangs", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Out {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
    }
}

fn model<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no model `{id}` in {report:#}"))
}

fn models_with_id<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["id"] == id)
        .collect()
}

/// `file:line:col` of a diagnostic's primary label (`file` when no line is known).
fn located(d: &Value) -> String {
    let l = d["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["primary"] == true)
        .unwrap_or_else(|| panic!("no primary label: {d:#}"));
    if l["line"] == 0 {
        l["file"].as_str().unwrap().to_string()
    } else {
        format!(
            "{}:{}:{}",
            l["file"].as_str().unwrap(),
            l["line"],
            l["column"]
        )
    }
}

/// The model's diagnostic with `code`.
fn diagnostic<'a>(m: &'a Value, code: &str) -> &'a Value {
    m["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("no `{code}` on model {}: {m:#}", m["id"]))
}

fn control<'a>(m: &'a Value, id: &str) -> &'a Value {
    m["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control `{id}` on {}: {m:#}", m["id"]))
}

/// The model was not evaluated, blocks, and reports no passing control.
fn assert_unread_and_blocking(m: &Value) {
    assert_eq!(m["evaluated"], false, "{m:#}");
    assert!(m["blocking"].as_u64().unwrap() >= 1, "{m:#}");
    assert_eq!(m["controls"], serde_json::json!([]), "{m:#}");
    assert!(m["counts"].get("pass").is_none(), "{m:#}");
}

/// The common shape of an unreadable-metadata case: exit 1, the model blocks with a diagnostic
/// `code` whose location starts with `at`, and nothing about it passes. Returns the diagnostic.
fn assert_blocks_unread(repo: &Repo, id: &str, code: &str, at: &str) -> Value {
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1, "{report:#}");
    let m = model(&report, id);
    assert_unread_and_blocking(m);
    let d = diagnostic(m, code);
    assert!(located(d).starts_with(at), "{} vs {at}", located(d));
    d.clone()
}

/// A model's metadata file of 1-based line count.
fn lines(repo: &Repo, rel: &str) -> usize {
    std::fs::read_to_string(repo.path(rel))
        .unwrap()
        .lines()
        .count()
}

// ---- the baseline ---------------------------------------------------------------------------

/// Every case below must turn this exit 0 into a blocking finding or a configuration error.
#[test]
fn the_baseline_repository_passes() {
    let repo = Repo::new();
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 0, "{report:#}");
    let m = model(&report, "credit");
    assert_eq!(m["evaluated"], true);
    assert_eq!(m["blocking"], 0);
    assert_eq!(m["counts"]["pass"], 3);
}

// ---- 1. unreadable metadata blocks its model --------------------------------------------------

#[test]
fn a_toml_syntax_error_blocks_the_model_and_is_located() {
    let repo = Repo::new();
    repo.append("models/credit/model.toml", "garbage = = =\n");
    let line = lines(&repo, "models/credit/model.toml");
    let d = assert_blocks_unread(
        &repo,
        "credit",
        "model/parse-error",
        &format!("models/credit/model.toml:{line}:11"),
    );
    assert!(d["message"].as_str().unwrap().contains("invalid TOML"));
    // The text report says so too, with the excerpt, and does not claim a pass.
    let text = repo.check(&[]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("not evaluated"), "{}", text.stdout);
    assert!(text.stdout.contains("garbage = = ="), "{}", text.stdout);
    assert!(!text.stdout.contains("no blocking gaps"), "{}", text.stdout);
}

#[test]
fn invalid_utf8_metadata_blocks_the_model() {
    let repo = Repo::new();
    let mut bytes = CREDIT.as_bytes().to_vec();
    bytes.extend_from_slice(b"# \xff\xfe\n");
    repo.write("models/credit/model.toml", bytes);
    assert_blocks_unread(
        &repo,
        "credit",
        "io/invalid-utf8",
        "models/credit/model.toml",
    );
}

#[test]
fn oversized_metadata_is_refused_from_its_size_and_blocks() {
    let repo = Repo::new();
    repo.sparse("models/credit/model.toml", 5 << 20);
    let d = assert_blocks_unread(
        &repo,
        "credit",
        "io/file-too-large",
        "models/credit/model.toml",
    );
    assert!(
        d["message"].as_str().unwrap().contains("5242880 bytes"),
        "{d:#}"
    );
}

#[test]
fn duplicate_toml_keys_block_the_model() {
    let repo = Repo::new();
    repo.write(
        "models/credit/model.toml",
        CREDIT.replace(
            "name = \"Credit scoring\"\n",
            "name = \"Credit scoring\"\nname = \"Something else\"\n",
        ),
    );
    let d = assert_blocks_unread(
        &repo,
        "credit",
        "model/parse-error",
        "models/credit/model.toml:4:1",
    );
    assert!(d["message"].as_str().unwrap().contains("duplicate key"));
}

/// JSON parsers keep the last of two equal keys: a reviewer reads one value, the engine another.
#[test]
fn duplicate_json_keys_block_the_model() {
    let repo = Repo::new();
    repo.remove("models/credit/model.toml");
    repo.write(
        "models/credit/model.json",
        "{\"model\": {\"id\": \"credit\", \"name\": \"Credit\"},\n \"roles\": {\"owner\": \"\",\n  \"owner\": \"owner@bank.example\"},\n \"validation\": {\"report\": \"validation/report.md\"}}\n",
    );
    let d = assert_blocks_unread(
        &repo,
        "credit",
        "model/parse-error",
        "models/credit/model.json:3:",
    );
    assert_eq!(d["message"], "invalid JSON: duplicate key `owner`");
}

#[test]
fn duplicate_yaml_keys_block_the_model() {
    let repo = Repo::new();
    repo.remove("models/credit/model.toml");
    repo.write(
        "models/credit/model.yaml",
        "model:\n  id: credit\n  name: Credit\nroles:\n  owner: \"\"\n  owner: owner@bank.example\nvalidation:\n  report: validation/report.md\n",
    );
    let d = assert_blocks_unread(
        &repo,
        "credit",
        "model/parse-error",
        "models/credit/model.yaml:6:",
    );
    assert_eq!(d["message"], "invalid YAML: duplicate key `owner`");
}

#[test]
fn a_fifo_as_metadata_blocks_the_model_without_hanging() {
    let repo = Repo::new();
    repo.fifo("models/credit/model.toml");
    let d = assert_blocks_unread(&repo, "credit", "io/not-a-file", "models/credit/model.toml");
    assert!(d["message"].as_str().unwrap().contains("a FIFO"), "{d:#}");
}

#[test]
fn a_socket_as_metadata_blocks_the_model() {
    let repo = Repo::new();
    repo.remove("models/credit/model.toml");
    let _socket =
        std::os::unix::net::UnixListener::bind(repo.path("models/credit/model.toml")).unwrap();
    let d = assert_blocks_unread(&repo, "credit", "io/not-a-file", "models/credit/model.toml");
    assert!(d["message"].as_str().unwrap().contains("a socket"), "{d:#}");
}

#[test]
fn a_folder_named_like_metadata_blocks_the_model() {
    let repo = Repo::new();
    repo.remove("models/credit/model.toml");
    std::fs::create_dir(repo.path("models/credit/model.toml")).unwrap();
    let d = assert_blocks_unread(&repo, "credit", "io/not-a-file", "models/credit/model.toml");
    assert!(
        d["message"].as_str().unwrap().contains("a directory"),
        "{d:#}"
    );
}

#[test]
fn an_empty_metadata_file_blocks_the_model() {
    let repo = Repo::new();
    repo.write("models/credit/model.toml", "\n");
    assert_blocks_unread(
        &repo,
        "credit",
        "model/empty",
        "models/credit/model.toml:1:1",
    );
}

#[test]
fn metadata_linking_outside_the_repository_is_not_read_and_blocks() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("model.toml");
    std::fs::write(&secret, CREDIT.replace("Credit scoring", "OUTSIDE-SECRET")).unwrap();
    let repo = Repo::new();
    repo.link(&secret, "models/credit/model.toml");
    let d = assert_blocks_unread(&repo, "credit", "io/unreadable", "models/credit/model.toml");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("resolves outside the repository")
    );
    assert!(!repo.check(&[]).all().contains("OUTSIDE-SECRET"));
}

#[test]
fn a_folder_name_that_is_not_utf8_blocks_its_model() {
    use std::os::unix::ffi::OsStrExt;
    let repo = Repo::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let dir = repo.path("models").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("model.toml"),
        CREDIT.replace("\"credit\"", "\"cafe\""),
    )
    .unwrap();
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1, "{report:#}");
    let m = model(&report, "caf\u{FFFD}");
    assert_unread_and_blocking(m);
    let d = diagnostic(m, "io/path-not-utf8");
    assert_eq!(located(d), "models/caf\u{FFFD}/model.toml");
}

/// A file read into the model's metadata beside `model.toml` counts as its metadata: with it
/// unread, a control could pass or not apply for want of its fields.
#[test]
fn a_broken_adapter_file_blocks_its_model() {
    let repo = Repo::new();
    repo.write(
        "models/credit/MLmodel",
        "artifact_path: model\nflavors: [unclosed\n",
    );
    assert_blocks_unread(
        &repo,
        "credit",
        "model/parse-error",
        "models/credit/MLmodel:",
    );
}

#[test]
fn a_repository_without_models_is_a_configuration_error() {
    let repo = Repo::new();
    std::fs::remove_dir_all(repo.path("models")).unwrap();
    let out = repo.check(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("model/none-found"), "{}", out.stderr);
    assert!(out.stderr.contains("no model found in"), "{}", out.stderr);
    assert!(!out.all().contains("no blocking gaps"));
}

#[test]
fn an_unreadable_model_is_a_blocking_error_result_in_sarif() {
    let repo = Repo::new();
    repo.append("models/credit/model.toml", "garbage = = =\n");
    let out = repo.check(&["--format", "sarif"]);
    assert_eq!(out.code, 1);
    let log = out.json();
    let r = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "model/parse-error")
        .unwrap_or_else(|| panic!("no result: {log:#}"));
    assert_eq!(r["level"], "error");
    assert_eq!(r["properties"]["blocking"], true);
    assert_eq!(r["properties"]["model"], "credit");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "models/credit/model.toml");
    assert_eq!(
        loc["region"]["startLine"],
        lines(&repo, "models/credit/model.toml")
    );
}

#[test]
fn an_unreadable_model_is_a_failing_junit_case() {
    let repo = Repo::new();
    repo.append("models/credit/model.toml", "garbage = = =\n");
    let out = repo.check(&["--format", "junit"]);
    assert_eq!(out.code, 1);
    let case = out
        .stdout
        .split("<testcase")
        .find(|c| c.contains("classname=\"credit.metadata\""))
        .unwrap_or_else(|| panic!("no metadata case: {}", out.stdout));
    assert!(case.contains("<error"), "{case}");
    assert!(case.contains("invalid TOML"), "{case}");
    assert!(out.stdout.contains("errors=\"1\""), "{}", out.stdout);
}

#[test]
fn an_unreadable_model_is_counted_on_the_dashboard_and_in_markdown() {
    let repo = Repo::new();
    repo.append("models/credit/model.toml", "garbage = = =\n");
    let html = repo.check(&["--format", "html"]);
    assert_eq!(html.code, 1);
    assert!(
        html.stdout
            .contains(r#"<div class="l">Unreadable models</div><div class="n">1</div>"#),
        "no unreadable card"
    );
    assert!(html.stdout.contains("not-evaluated"));
    let md = repo.check(&["--format", "markdown"]);
    assert_eq!(md.code, 1);
    assert!(md.stdout.contains("**1 blocking gap**"), "{}", md.stdout);
    assert!(md.stdout.contains("| 0 | 1 |\n"), "{}", md.stdout);
    assert!(
        md.stdout.contains("the metadata could not be read"),
        "{}",
        md.stdout
    );
}

#[test]
fn an_unreadable_model_blocks_gaps_and_shows_in_inventory_and_oscal() {
    let repo = Repo::new();
    repo.append("models/credit/model.toml", "garbage = = =\n");
    let gaps = repo.mrm("gaps", &["--format", "json"]);
    assert_eq!(gaps.code, 1, "{}", gaps.all());
    let g = gaps.json();
    assert_eq!(g["not_evaluated"], serde_json::json!(["credit"]));
    assert_eq!(g["blocked_models"], serde_json::json!(["credit"]));
    let text = repo.mrm("gaps", &[]);
    assert!(
        text.stdout
            .contains("not evaluated (unreadable metadata): credit"),
        "{}",
        text.stdout
    );
    let inventory = repo.mrm("inventory", &["--format", "json"]);
    assert_eq!(inventory.json()[0]["blocking"], 1);
    let oscal = repo.check(&["--format", "oscal"]);
    assert_eq!(oscal.code, 1);
    let doc = oscal.json();
    let o = doc["assessment-results"]["results"][0]["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["title"] == "credit: model/parse-error")
        .unwrap_or_else(|| panic!("{doc:#}"));
    let props = o["props"].to_string();
    assert!(
        props.contains("not-evaluated") && props.contains("blocking"),
        "{props}"
    );
}

/// A control of a model that was never evaluated is an `error`, never a silent `not-applicable`.
#[test]
fn why_says_error_not_not_applicable_for_an_unreadable_model() {
    let repo = Repo::new();
    repo.append("models/credit/model.toml", "garbage = = =\n");
    let out = run(&[
        "why",
        "credit",
        "DR-FAIR",
        repo.root().to_str().unwrap(),
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("status:   error\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("blocks:   [model/parse-error]"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("not-applicable"), "{}", out.stdout);
}

// ---- 4. duplicate model ids -------------------------------------------------------------------

#[test]
fn duplicate_ids_block_every_model_involved() {
    let repo = Repo::new();
    repo.write("models/credit-copy/model.toml", CREDIT);
    repo.write("models/credit-copy/validation/report.md", REPORT);
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1, "{report:#}");
    let both = models_with_id(&report, "credit");
    assert_eq!(both.len(), 2);
    for (m, other) in both.iter().zip(["models/credit-copy", "models/credit/"]) {
        assert_eq!(m["blocking"], 1, "{m:#}");
        let d = diagnostic(m, "model/duplicate-id");
        assert!(located(d).ends_with("model.toml:2:6"), "{}", located(d));
        assert!(d["message"].as_str().unwrap().contains(other), "{d:#}");
    }
}

#[test]
fn no_waiver_applies_while_model_ids_are_shared() {
    let repo = Repo::new();
    let biased = CREDIT.replace("disparate_impact = 0.9", "disparate_impact = 0.5");
    repo.write("models/credit/model.toml", &biased);
    repo.write("models/other/model.toml", &biased);
    repo.write("models/other/validation/report.md", REPORT);
    repo.write(
        "waivers.toml",
        "[[waiver]]\nmodel = \"credit\"\ncontrol = \"DR-FAIR\"\njustification = \"Remediation planned\"\napprover = \"mro@bank.example\"\nticket = \"MRM-1\"\nexpires = 2027-01-31\n",
    );
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1);
    for m in models_with_id(&report, "credit") {
        let c = control(m, "DR-FAIR");
        assert_eq!(c["status"], "fail", "{c:#}");
        assert!(c.get("waiver").is_none());
    }
    assert_eq!(report["waivers"][0]["state"], "ambiguous-model");
    let d = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "waiver/ambiguous-model")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(located(d), "waivers.toml:1:1");
}

/// Ids are compared as a reader sees them.
#[test]
fn ids_differing_in_case_or_invisible_characters_collide() {
    let repo = Repo::new();
    repo.write(
        "models/upper/model.toml",
        CREDIT.replace("id = \"credit\"", "id = \"Credit\""),
    );
    repo.write(
        "models/hidden/model.toml",
        CREDIT.replace("id = \"credit\"", "id = \"credit\u{200B}\""),
    );
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1);
    for id in ["credit", "Credit", "credit\u{200B}"] {
        let m = model(&report, id);
        diagnostic(m, "model/duplicate-id");
        assert!(m["blocking"].as_u64().unwrap() >= 1);
    }
}

// ---- 7. bounded resources ---------------------------------------------------------------------

#[test]
fn a_fifo_as_mrm_toml_is_refused_without_hanging() {
    let repo = Repo::new();
    repo.fifo("mrm.toml");
    let out = repo.check(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("io/not-a-file"), "{}", out.stderr);
    assert!(
        out.stderr.contains("`mrm.toml` is a FIFO"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_fifo_as_waivers_toml_is_refused_without_hanging() {
    let repo = Repo::new();
    repo.fifo("waivers.toml");
    let out = repo.check(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("`waivers.toml` is a FIFO"),
        "{}",
        out.stderr
    );
}

/// A policy file replaced by a FIFO must not silently drop out of the policy set either.
#[test]
fn a_fifo_as_a_policy_file_is_refused_without_hanging() {
    let repo = Repo::new();
    repo.fifo("policies/extra.mrm");
    let out = repo.check(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("io/not-a-file"), "{}", out.stderr);
    assert!(out.stderr.contains("extra.mrm"), "{}", out.stderr);
}

#[test]
fn a_fifo_as_evidence_is_an_error_not_a_hang() {
    let repo = Repo::new();
    repo.fifo("models/credit/validation/report.md");
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1);
    let c = control(model(&report, "credit"), "MR-REP");
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(c["error"].as_str().unwrap().contains("a FIFO"), "{c:#}");
    assert_eq!(c["location"]["file"], "models/credit/validation/report.md");
}

#[test]
fn a_fifo_beside_the_metadata_blocks_its_model() {
    let repo = Repo::new();
    repo.fifo("models/credit/README.md");
    assert_blocks_unread(&repo, "credit", "io/not-a-file", "models/credit/README.md");
}

#[test]
fn an_oversized_mrm_toml_is_refused_from_its_size() {
    let repo = Repo::new();
    repo.sparse("mrm.toml", 1 << 31);
    let out = repo.check(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("io/file-too-large"), "{}", out.stderr);
    assert!(out.stderr.contains("2147483648 bytes"), "{}", out.stderr);
}

/// 2,000 labels make the pairwise assertion 4,000,000 steps: it stops at the default budget of
/// 1,000,000 with an error located at the list, instead of running for as long as the data
/// dictates.
#[test]
fn a_quadratic_assertion_stops_at_the_step_budget_with_a_located_error() {
    let repo = Repo::new();
    let labels: Vec<String> = (0..2000).map(|i| format!("\"g{i}\"")).collect();
    repo.write(
        "models/credit/model.toml",
        format!("groups = [{}]\n{CREDIT}", labels.join(", ")),
    );
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1);
    let m = model(&report, "credit");
    let c = control(m, "DR-GROUPS");
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        c["error"]
            .as_str()
            .unwrap()
            .starts_with("`groups` is too large to evaluate within the step budget"),
        "{c:#}"
    );
    assert_eq!(c["location"]["file"], "models/credit/model.toml");
    assert_eq!(c["location"]["line"], 1);
    assert_eq!(c["blocking"], true);
}

#[test]
fn the_step_budget_is_set_in_mrm_toml() {
    let repo = Repo::new();
    let labels: Vec<String> = (0..50).map(|i| format!("\"g{i}\"")).collect();
    repo.write(
        "models/credit/model.toml",
        format!("groups = [{}]\n{CREDIT}", labels.join(", ")),
    );
    // 2,500 steps fit the default budget…
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 0, "{report:#}");
    // …not a budget of 100.
    repo.append("mrm.toml", "[limits]\nmax_steps = 100\n");
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1);
    let c = control(model(&report, "credit"), "DR-GROUPS");
    assert_eq!(c["status"], "error");
    assert!(c["error"].as_str().unwrap().contains("after 100 steps"));
    // A budget of nothing is a configuration error.
    repo.write("mrm.toml", format!("{MRM_TOML}[limits]\nmax_steps = 0\n"));
    let out = repo.check(&[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("mrm.toml:4:1"), "{}", out.stderr);
}

// ---- 8. paths stay inside the repository ------------------------------------------------------

/// The file a hostile `mrm.toml` points at, outside the repository, with text that must never
/// be printed.
fn outside_policy() -> (tempfile::TempDir, PathBuf) {
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("secret.mrm");
    std::fs::write(&file, "OUTSIDE-SECRET = not a policy\n").unwrap();
    (outside, file)
}

#[test]
fn an_absolute_policy_path_in_mrm_toml_is_refused() {
    let (_outside, file) = outside_policy();
    let repo = Repo::new();
    repo.write(
        "mrm.toml",
        format!("[policy]\npaths = [{:?}]\n", file.to_str().unwrap()),
    );
    let out = repo.check(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("config/path-outside-repository"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("mrm.toml:2:10"), "{}", out.stderr);
    assert!(!out.all().contains("OUTSIDE-SECRET"));
}

#[test]
fn a_dotdot_policy_path_in_mrm_toml_is_refused() {
    let repo = Repo::new();
    repo.write(
        "mrm.toml",
        "[policy]\npaths = [\"policies/../../elsewhere\"]\n",
    );
    let out = repo.check(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("config/path-outside-repository"));
    assert!(out.stderr.contains("mrm.toml:2:10"), "{}", out.stderr);
}

#[test]
fn a_policy_folder_linking_outside_is_refused_and_not_printed() {
    let (outside, _file) = outside_policy();
    let repo = Repo::new();
    std::fs::remove_dir_all(repo.path("policies")).unwrap();
    repo.link(outside.path(), "policies");
    let out = repo.check(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("config/path-outside-repository"));
    assert!(out.stderr.contains("through a link"), "{}", out.stderr);
    assert!(!out.all().contains("OUTSIDE-SECRET"));
}

#[test]
fn a_policy_file_linking_outside_is_refused_and_not_printed() {
    let (_outside, file) = outside_policy();
    let repo = Repo::new();
    repo.link(&file, "policies/zz.mrm");
    let out = repo.check(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("config/path-outside-repository"));
    assert!(out.stderr.contains("zz.mrm"), "{}", out.stderr);
    assert!(!out.all().contains("OUTSIDE-SECRET"));
}

/// Only the command line, which the person running mrm writes, may name policies elsewhere.
#[test]
fn a_policy_named_on_the_command_line_may_live_elsewhere() {
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("policy.mrm");
    std::fs::write(&file, POLICY).unwrap();
    let repo = Repo::new();
    std::fs::remove_dir_all(repo.path("policies")).unwrap();
    repo.write("mrm.toml", "");
    let out = repo.check(&["--policy", file.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.all());
}

#[test]
fn an_absolute_evidence_path_is_refused_not_re_rooted() {
    let repo = Repo::new();
    // Re-rooted under the model folder, the path would find this file.
    repo.write("models/credit/etc/hostname", "looks like evidence\n");
    repo.write(
        "models/credit/model.toml",
        CREDIT.replace("validation/report.md", "/etc/hostname"),
    );
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1);
    let c = control(model(&report, "credit"), "MR-REP");
    assert_eq!(c["status"], "error", "{c:#}");
    assert!(
        c["error"]
            .as_str()
            .unwrap()
            .starts_with("evidence path `/etc/hostname` leaves the repository"),
        "{c:#}"
    );
    assert!(c.get("evidence").is_none(), "{c:#}");
}

#[test]
fn evidence_linking_outside_is_refused_and_never_printed() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.md");
    std::fs::write(&secret, "OUTSIDE-SECRET evidence\n").unwrap();
    let repo = Repo::new();
    repo.link(&secret, "models/credit/validation/report.md");
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1);
    let c = control(model(&report, "credit"), "MR-REP");
    assert_eq!(c["status"], "error");
    assert!(c["error"].as_str().unwrap().contains("through a link"));
    for format in [
        "text", "json", "markdown", "html", "sarif", "junit", "oscal",
    ] {
        let out = repo.check(&["--format", format]);
        assert!(!out.all().contains("OUTSIDE-SECRET"), "{format}");
    }
}

#[test]
fn an_empty_evidence_file_is_not_evidence() {
    let repo = Repo::new();
    repo.write("models/credit/validation/report.md", "");
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1);
    let c = control(model(&report, "credit"), "MR-REP");
    assert_eq!(c["status"], "fail", "{c:#}");
    let w = &c["findings"][0]["witnesses"][0];
    assert_eq!(
        w["text"],
        "evidence file `models/credit/validation/report.md` is empty, and an empty file is not \
         evidence: commit the document itself"
    );
    assert_eq!(w["location"]["file"], "models/credit/validation/report.md");
}

#[test]
fn a_git_lfs_pointer_is_not_evidence() {
    let repo = Repo::new();
    repo.write(
        "models/credit/validation/report.md",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    let (exit, report) = repo.check_json();
    assert_eq!(exit, 1);
    let c = control(model(&report, "credit"), "MR-REP");
    assert_eq!(c["status"], "fail", "{c:#}");
    let text = c["findings"][0]["witnesses"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("is a Git LFS pointer, not the file"),
        "{text}"
    );
    assert!(text.contains("git lfs pull"), "{text}");
}

/// A metadata file reached through a link inside the repository is read, but its text is not
/// quoted: diagnostics name the file, line and column only.
#[test]
fn the_text_of_linked_metadata_is_not_quoted() {
    let repo = Repo::new();
    repo.write("shared/credit.toml", format!("{CREDIT}LINKED-TEXT = = =\n"));
    repo.link(
        Path::new("../../shared/credit.toml"),
        "models/credit/model.toml",
    );
    let line = lines(&repo, "shared/credit.toml");
    let out = repo.check(&[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stdout.contains("model/parse-error"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("models/credit/model.toml:{line}:15")),
        "{}",
        out.stdout
    );
    assert!(!out.all().contains("LINKED-TEXT"), "{}", out.stdout);
}

// ---- 11. rendered output is inert -------------------------------------------------------------

#[test]
fn markdown_does_not_render_links_or_images_from_metadata() {
    let repo = Repo::new();
    repo.write(
        "models/credit/model.toml",
        CREDIT
            .replace(
                "name = \"Credit scoring\"",
                "name = \"[Approved](https://evil.example) ![x](https://evil.example/p.png) <img src=x>\"",
            )
            .replace("disparate_impact = 0.9", "disparate_impact = 0.5")
            .replace("group = \"female\"", "group = \"[see](https://evil.example)\""),
    );
    let out = repo.check(&["--format", "markdown"]);
    assert_eq!(out.code, 1);
    // Every `]` before a target is escaped: no link or image can form.
    assert!(
        out.stdout.matches("](https://evil").count()
            == out.stdout.matches("\\](https://evil").count(),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("<img"), "{}", out.stdout);
    assert!(
        out.stdout.contains(r"\[Approved\](https://evil.example)"),
        "{}",
        out.stdout
    );
}

#[test]
fn text_output_shows_control_characters_from_metadata_instead_of_obeying_them() {
    let repo = Repo::new();
    repo.write(
        "models/credit/model.toml",
        CREDIT
            .replace(
                "name = \"Credit scoring\"",
                "name = \"x\\u001b[2J\\u001b]0;owned\\u0007\\u202e\"",
            )
            .replace(
                "owner = \"owner@bank.example\"",
                "owner = \"o@b\\nno blocking gaps (failing on critical, high)\"",
            ),
    );
    // A broken second model puts an escape character into a quoted source line too.
    repo.write(
        "models/broken/model.toml",
        "[model]\nid = \"broken\"\nname = \"\u{1b}[8mhidden\" = =\n",
    );
    let out = repo.check(&[]);
    assert_eq!(out.code, 1, "{}", out.all());
    for c in ['\u{1b}', '\u{7}', '\u{202e}', '\u{9b}'] {
        assert!(!out.all().contains(c), "{c:?} in {}", out.stdout);
    }
    assert!(out.stdout.contains(r"x\u{1b}[2J"), "{}", out.stdout);
    assert!(
        !out.stdout
            .lines()
            .any(|l| l.starts_with("no blocking gaps")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("?[8mhidden"), "{}", out.stdout);
}

#[test]
fn csv_cells_from_metadata_cannot_be_formulas() {
    let repo = Repo::new();
    repo.write(
        "models/credit/model.toml",
        CREDIT
            .replace(
                "id = \"credit\"",
                "id = \"=HYPERLINK(\\\"https://evil.example\\\")\"",
            )
            .replace("owner = \"owner@bank.example\"", "owner = \"@SUM(1+1)\""),
    );
    let inventory = repo.mrm("inventory", &["--format", "csv"]);
    assert_eq!(inventory.code, 0, "{}", inventory.all());
    let row = inventory.stdout.lines().nth(1).unwrap();
    assert!(
        row.starts_with("\"'=HYPERLINK(\"\"https://evil.example\"\")\""),
        "{row}"
    );
    assert!(row.contains(",'@SUM(1+1),"), "{row}");
    let gaps = repo.mrm("gaps", &["--format", "csv"]);
    assert!(gaps.stdout.contains(",\"'=HYPERLINK("), "{}", gaps.stdout);
    assert!(!gaps.stdout.contains(",=HYPERLINK"), "{}", gaps.stdout);
}
