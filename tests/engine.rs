//! End-to-end evaluation of the fixture repository in `tests/fixtures/engine/repo`: every control
//! status, every waiver case, broken model files, KRIs, determinism and exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use mrm::engine::{self, Request, Run};
use mrm::eval::{KriLevel, ModelOutcome, Status, WaiverState};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/engine/repo")
}

fn request(as_of: &str) -> Request {
    Request {
        repo: fixture(),
        policies: Vec::new(),
        with_default: false,
        as_of: as_of.parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    }
}

fn run(as_of: &str) -> Run {
    engine::run(&request(as_of)).unwrap_or_else(|f| panic!("run failed: {:#?}", f.diagnostics))
}

fn model<'a>(run: &'a Run, id: &str) -> &'a ModelOutcome {
    run.report
        .model(id)
        .unwrap_or_else(|| panic!("no model {id}"))
}

fn status(run: &Run, model_id: &str, control: &str) -> Status {
    run.report
        .outcome(model(run, model_id), control)
        .unwrap_or_else(|| panic!("no control {control}"))
        .status
}

#[test]
fn controls_of_other_tiers_are_counted_not_stored() {
    let r = run("2026-11-27");
    let low = model(&r, "low");
    let tier = low.tier.as_ref().unwrap().tier.clone();
    // Every stored outcome is of a control of the model's tier.
    assert!(!low.controls.is_empty());
    for c in &low.controls {
        assert!(c.tiers.contains(&tier), "{} stored for tier {tier}", c.id);
    }
    // The others are counted as not applicable, so the counts still cover every control.
    let counted: usize = low.counts.values().sum();
    assert_eq!(counted, r.report.controls.len());
    let other: Vec<_> = r
        .report
        .controls
        .iter()
        .filter(|c| !c.tiers.contains(&tier))
        .collect();
    assert!(!other.is_empty());
    for c in other {
        assert!(low.control(&c.id).is_none());
        let o = r.report.outcome(low, &c.id).unwrap();
        assert_eq!(o.status, Status::NotApplicable);
        assert_eq!(
            o.reason.as_deref(),
            Some(format!("does not apply to tier `{tier}`").as_str())
        );
        assert_eq!(o.remediation(), None);
    }
    assert!(r.report.outcome(low, "NO-SUCH-CONTROL").is_none());
}

#[test]
fn every_status_is_reached() {
    let r = run("2026-11-27");
    assert_eq!(status(&r, "good", "DR-FAIR"), Status::Pass);
    assert_eq!(status(&r, "good", "MR-VAL"), Status::Pass);
    assert_eq!(status(&r, "biased", "DR-FAIR"), Status::Fail);
    assert_eq!(status(&r, "stale", "MR-VAL"), Status::Fail);
    assert_eq!(status(&r, "waived", "MR-VAL"), Status::Waived);
    assert_eq!(status(&r, "low", "DR-FAIR"), Status::NotApplicable);
    assert_eq!(status(&r, "annex", "AI-ART10"), Status::Upcoming);
    assert_eq!(status(&r, "wrongtype", "DR-FAIR"), Status::Error);
}

#[test]
fn blocked_names_the_root_cause() {
    let r = run("2026-11-27");
    let c = model(&r, "biased")
        .controls
        .iter()
        .find(|c| c.id == "MR-VAL")
        .unwrap();
    assert_eq!(c.status, Status::Blocked);
    assert_eq!(c.blocked_by, vec!["DR-FAIR".to_string()]);
}

#[test]
fn an_error_prerequisite_blocks_its_dependents() {
    let r = run("2026-11-27");
    let m = model(&r, "wrongtype");
    let root = m.controls.iter().find(|c| c.id == "DR-FAIR").unwrap();
    assert_eq!(root.status, Status::Error);
    assert!(root.error.is_some());
    let c = m.controls.iter().find(|c| c.id == "MR-VAL").unwrap();
    assert_eq!(c.status, Status::Blocked);
    assert_eq!(c.blocked_by, vec!["DR-FAIR".to_string()]);
    assert!(c.blocking);
}

#[test]
fn a_failure_explains_the_values_and_where_they_are() {
    let r = run("2026-11-27");
    let c = model(&r, "biased")
        .controls
        .iter()
        .find(|c| c.id == "DR-FAIR")
        .unwrap();
    let f = &c.findings[0];
    assert_eq!(
        f.message.as_deref(),
        Some("Group female has disparate impact 0.72")
    );
    let w = &f.witnesses[0];
    assert_eq!(w.path.as_deref(), Some("fairness[0].disparate_impact"));
    assert_eq!(
        w.text,
        "`fairness[0].disparate_impact` = 0.72, expected >= 0.8"
    );
    let loc = w.location.as_ref().unwrap();
    assert_eq!(loc.file, "models/biased/model.toml");
    assert_eq!((loc.line, loc.column), (14, 20));
    assert_eq!(c.remediation.as_deref(), Some("Mitigate and re-validate."));
    assert!(c.blocking);
}

#[test]
fn upcoming_obligations_bind_once_in_force() {
    // `Art 10(2)(f)` applies from 2027-12-02: upcoming the day before, binding on the day.
    assert_eq!(
        status(&run("2027-12-01"), "annex", "AI-ART10"),
        Status::Upcoming
    );
    assert_eq!(
        status(&run("2027-12-02"), "annex", "AI-ART10"),
        Status::Fail
    );
}

#[test]
fn waivers_cover_valid_expired_self_approved_and_unused() {
    let r = run("2026-11-27");
    let state = |ticket: &str| {
        r.report
            .waivers
            .iter()
            .find(|w| w.ticket == ticket)
            .unwrap()
            .state
    };
    assert_eq!(state("MRM-1"), WaiverState::Applied);
    assert_eq!(state("MRM-2"), WaiverState::Expired);
    assert_eq!(state("MRM-3"), WaiverState::SelfApproved);
    assert_eq!(state("MRM-4"), WaiverState::Unused);
    assert_eq!(status(&r, "expired", "MR-VAL"), Status::Fail);
    assert_eq!(status(&r, "selfwaived", "MR-VAL"), Status::Fail);
    let codes: Vec<&str> = r
        .report
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert!(codes.contains(&"waiver/expired"), "{codes:?}");
    assert!(codes.contains(&"waiver/self-approved"), "{codes:?}");
    assert!(codes.contains(&"waiver/unused"), "{codes:?}");
}

#[test]
fn broken_model_files_are_located_and_do_not_stop_the_others() {
    let r = run("2026-11-27");
    let broken = model(&r, "broken");
    assert!(!broken.evaluated);
    let d = &broken.diagnostics[0];
    assert_eq!(d.code.as_str(), "model/parse-error");
    let loc = d.location().unwrap();
    assert_eq!(loc.file, "models/broken/model.toml");
    assert!(loc.line >= 3, "{loc:?}");

    let empty = model(&r, "empty");
    assert_eq!(empty.diagnostics[0].code.as_str(), "model/empty");

    let wrong = model(&r, "wrongtype");
    let d = wrong
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "model/wrong-type")
        .unwrap();
    assert_eq!(
        d.message,
        "`impact.exposure` must be number, found string `\"a lot\"`"
    );
    assert_eq!(d.location().unwrap().line, 9);
    // The tier rule could not read the exposure: the stricter tier is assigned to fail safe.
    assert_eq!(wrong.tier.as_ref().unwrap().tier, "high");
    assert!(wrong.tier.as_ref().unwrap().error.is_some());
    // Every other model was still evaluated.
    assert_eq!(model(&r, "good").counts.get(&Status::Pass), Some(&4));
}

#[test]
fn evidence_must_exist() {
    let r = run("2026-11-27");
    let c = model(&r, "low")
        .controls
        .iter()
        .find(|c| c.id == "MR-REP")
        .unwrap();
    assert_eq!(c.status, Status::Fail);
    assert_eq!(c.evidence[0].path, "models/low/validation/report.md");
    assert!(!c.evidence[0].present);
    assert!(!c.blocking, "medium severity does not block");
    let ok = model(&r, "good")
        .controls
        .iter()
        .find(|c| c.id == "MR-REP")
        .unwrap();
    assert!(ok.evidence[0].present);
}

#[test]
fn kris_are_graded() {
    let r = run("2026-11-27");
    let k = &model(&r, "low").kris[0];
    assert_eq!(k.level, KriLevel::Red);
    assert_eq!(model(&r, "good").kris[0].level, KriLevel::Unknown);
    // Each level at, just below and above its threshold (`yellow when value >= 0.1`,
    // `red when value >= 0.25`), in the boundary fixture.
    let boundaries = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/boundaries");
    let mut req = request("2026-11-27");
    req.repo = boundaries.join("repo");
    req.policies = vec![boundaries.join("policy.mrm")];
    let r = engine::run(&req).unwrap();
    let level = |id: &str| {
        let k = model(&r, id).kris.iter().find(|k| k.name == "PSI").unwrap();
        (k.value.as_f64(), k.level)
    };
    assert_eq!(level("kri-green"), (Some(0.0999), KriLevel::Green));
    assert_eq!(
        level("kri-yellow-at-threshold"),
        (Some(0.1), KriLevel::Yellow)
    );
    assert_eq!(level("kri-yellow"), (Some(0.2499), KriLevel::Yellow));
    assert_eq!(level("kri-red-at-threshold"), (Some(0.25), KriLevel::Red));
    assert_eq!(level("kri-red"), (Some(0.4), KriLevel::Red));
    assert_eq!(level("today"), (None, KriLevel::Unknown));
}

#[test]
fn tiers_name_the_rule() {
    let r = run("2026-11-27");
    let t = model(&r, "annex").tier.clone().unwrap();
    assert_eq!(
        (t.tier.as_str(), t.rule, t.label.as_deref()),
        ("high", 1, Some("Annex III"))
    );
    let t = model(&r, "low").tier.clone().unwrap();
    assert_eq!(
        (t.tier.as_str(), t.rule, t.condition.as_str()),
        ("low", 3, "otherwise")
    );
}

#[test]
fn same_inputs_same_output() {
    let a = serde_json::to_string(&run("2026-11-27").report).unwrap();
    let b = serde_json::to_string(&run("2026-11-27").report).unwrap();
    assert_eq!(a, b);
}

#[test]
fn text_report_snapshot() {
    let r = run("2026-11-27");
    let cx = mrm::report::Context {
        sources: &r.sources,
        color: false,
        quiet: false,
    };
    let mut out = Vec::new();
    mrm::report::render(mrm::report::Format::Text, &r.report, &cx, &mut out).unwrap();
    let text = String::from_utf8(out)
        .unwrap()
        .replace(&fixture().display().to_string(), "[repo]");
    insta::assert_snapshot!(text);
}

#[cfg(unix)]
#[test]
fn symlinked_evidence_leaving_the_repository_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.md"), "secret").unwrap();
    let m = dir.path().join("models/x/validation");
    std::fs::create_dir_all(&m).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.md"), m.join("report.md")).unwrap();
    std::fs::write(
        dir.path().join("models/x/model.toml"),
        "[model]\nid = \"x\"\nname = \"X\"\n[roles]\nowner = \"o@a\"\n[impact]\nexposure = 1\n[validation]\nreport = \"validation/report.md\"\n",
    )
    .unwrap();
    let escape = dir.path().join("models/y");
    std::fs::create_dir_all(&escape).unwrap();
    std::fs::write(
        escape.join("model.toml"),
        "[model]\nid = \"y\"\nname = \"Y\"\n[roles]\nowner = \"o@a\"\n[impact]\nexposure = 1\n[validation]\nreport = \"../../../etc/passwd\"\n",
    )
    .unwrap();
    let mut req = request("2026-11-27");
    req.repo = dir.path().to_path_buf();
    req.policies = vec![fixture().join("policy.mrm")];
    let r = engine::run(&req).unwrap();
    for id in ["x", "y"] {
        let c = model(&r, id)
            .controls
            .iter()
            .find(|c| c.id == "MR-REP")
            .unwrap();
        assert_eq!(c.status, Status::Error, "{id}");
        assert!(
            c.error.as_ref().unwrap().contains("leaves the repository"),
            "{id}"
        );
    }
}

#[test]
fn cycles_are_reported_with_every_edge() {
    let text = r#"
policy "p"
schema { x: number }
tiers { low otherwise }
control A "a" { severity low requires B assert x > 0 }
control B "b" { severity low requires C assert x > 0 }
control C "c" { severity low requires A assert x > 0 }
"#;
    let (catalogs, _) = mrm::framework::Catalogs::embedded();
    let set = mrm::library::load(
        &[mrm::library::PolicySource::Text(
            "cycle.mrm".into(),
            text.into(),
        )],
        catalogs,
    );
    let d: Vec<_> = set
        .all_diagnostics()
        .into_iter()
        .filter(|d| d.code.as_str() == "check/cycle")
        .collect();
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].message,
        "controls require each other in a cycle: A → B → C"
    );
    let labels: Vec<&str> = d[0].labels.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(
        labels,
        vec!["`A` requires `B`", "`B` requires `C`", "`C` requires `A`"]
    );
    assert!(set.checked.program.graph.cyclic);
}

#[test]
fn exit_codes_are_a_contract() {
    let repo = fixture();
    let run_cli = |args: &[&str]| {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut argv = vec!["mrm"];
        argv.extend_from_slice(args);
        let code = mrm::cli::run(argv, &mut out, &mut err);
        (
            code,
            String::from_utf8_lossy(&out).to_string(),
            String::from_utf8_lossy(&err).to_string(),
        )
    };
    let repo = repo.to_str().unwrap();
    assert_eq!(run_cli(&["check", repo, "--as-of", "2026-11-27"]).0, 1);
    // No severity threshold lets the fixture's unreadable models pass: nothing about them was
    // evaluated.
    assert_eq!(
        run_cli(&["check", repo, "--as-of", "2026-11-27", "--fail-on", "info"]).0,
        1
    );
    assert_eq!(
        run_cli(&["check", repo, "--as-of", "2026-11-27", "--fail-on", "bogus"]).0,
        2
    );
    // Exactly one blocking gap fails the run: the boundary fixture's only model has one from its
    // 366th day since validation.
    let boundaries = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/boundaries");
    let one = boundaries.join("one-blocking");
    let policy = boundaries.join("policy.mrm");
    let (one, policy) = (one.to_str().unwrap(), policy.to_str().unwrap());
    for (as_of, code) in [("2026-11-27", 0), ("2026-11-28", 1)] {
        assert_eq!(
            run_cli(&["check", one, "--policy", policy, "--as-of", as_of]).0,
            code,
            "as of {as_of}"
        );
    }
    assert_eq!(run_cli(&["check", "/nonexistent/repo"]).0, 2);
    assert_eq!(run_cli(&["check", repo, "--as-of", "2026-02-30"]).0, 2);
    assert_eq!(run_cli(&["frobnicate"]).0, 2);
}

#[test]
fn json_and_yaml_twins_load_into_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[model]\nid = \"t\"\nname = \"T\"\n[roles]\nowner = \"o@a\"\n[impact]\nexposure = 2000000\n[[fairness]]\ngroup = \"f\"\ndisparate_impact = 0.7\n[validation]\ndate = 2026-06-01\n";
    let json = r#"{"model": {"id": "j", "name": "J"}, "roles": {"owner": "o@a"}, "impact": {"exposure": 2000000},
  "fairness": [{"group": "f", "disparate_impact": 0.7}], "validation": {"date": "2026-06-01"}}"#;
    let yaml = "model:\n  id: y\n  name: Y\nroles:\n  owner: o@a\nimpact:\n  exposure: 2000000\nfairness:\n  - group: f\n    disparate_impact: 0.7\nvalidation:\n  date: 2026-06-01\n";
    for (dir_name, file, text) in [
        ("t", "model.toml", toml),
        ("j", "model.json", json),
        ("y", "model.yaml", yaml),
    ] {
        let d = dir.path().join(dir_name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(file), text).unwrap();
    }
    let mut req = request("2026-11-27");
    req.repo = dir.path().to_path_buf();
    req.policies = vec![fixture().join("policy.mrm")];
    let r = engine::run(&req).unwrap();
    let summary = |id: &str| {
        let m = model(&r, id);
        assert!(m.diagnostics.is_empty(), "{id}: {:#?}", m.diagnostics);
        (
            m.tier.as_ref().unwrap().tier.clone(),
            m.last_validation.clone(),
            status(&r, id, "DR-FAIR"),
            status(&r, id, "MR-VAL"),
        )
    };
    let t = summary("t");
    assert_eq!(t, summary("j"));
    assert_eq!(t, summary("y"));
    assert_eq!(t.2, Status::Fail);
    // Locations point into each file.
    let w = |id: &str| {
        model(&r, id)
            .controls
            .iter()
            .find(|c| c.id == "DR-FAIR")
            .unwrap()
            .findings[0]
            .witnesses[0]
            .location
            .clone()
            .unwrap()
    };
    assert_eq!(w("j").file, "j/model.json");
    assert_eq!(w("j").line, 2);
    assert_eq!(w("y").file, "y/model.yaml");
    assert_eq!(w("y").line, 10);
}

#[test]
fn controls_and_kris_can_read_the_tier() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.mrm");
    let base = std::fs::read_to_string(fixture().join("policy.mrm")).unwrap();
    std::fs::write(
        &policy,
        format!(
            "{base}\ncontrol GV-TIER \"High-tier models are validated\" {{\n  severity low\n  applies when tier == \"high\"\n  assert exists(validation.date)\n}}\n\nkri AGE \"Validation age\" {{\n  value days_since(validation.date)\n  red when (tier == \"high\" and value > 365) or value > 730\n}}\n"
        ),
    )
    .unwrap();
    let mut req = request("2026-11-27");
    req.policies = vec![policy];
    let r = engine::run(&req).unwrap();
    assert_eq!(status(&r, "good", "GV-TIER"), Status::Pass);
    assert_eq!(status(&r, "low", "GV-TIER"), Status::NotApplicable);
    let age = |id: &str| {
        model(&r, id)
            .kris
            .iter()
            .find(|k| k.name == "AGE")
            .unwrap()
            .level
    };
    assert_eq!(age("stale"), KriLevel::Red); // high tier, 1047 days
    assert_eq!(age("good"), KriLevel::Green);
}

#[test]
fn init_writes_a_repository_that_checks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    assert_eq!(mrm::cli::run(["mrm", "init", d], &mut out, &mut err), 0);
    // A second run keeps the files.
    assert_eq!(mrm::cli::run(["mrm", "init", d], &mut out, &mut err), 0);
    assert!(String::from_utf8_lossy(&out).contains("kept"));
    let mut req = request("2026-11-27");
    req.repo = dir.path().to_path_buf();
    let r = engine::run(&req).unwrap();
    let m = model(&r, "my-model");
    assert!(m.evaluated);
    assert!(m.diagnostics.is_empty(), "{:#?}", m.diagnostics);
    // An optional record is left out with all its fields, even those it requires once present.
    let toml = std::fs::read_to_string(dir.path().join("models/my-model/model.toml")).unwrap();
    assert!(toml.contains("\n# fria.path = "), "{toml}");
    assert!(!toml.contains("\nfria.path = "), "{toml}");
}
