//! The shipped library: every policy and catalog parses and checks cleanly, the catalogs hold
//! what they promise, the policies cover every coverage target, the policy tests pass with full
//! control coverage, and the example repository gives its documented outcome.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use mrm::eval::Status;

fn cli(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["mrm"];
    argv.extend_from_slice(args);
    let code = mrm::cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn embedded_library_and_catalogs_are_clean() {
    let set = mrm::library::embedded();
    let diags = set.all_diagnostics();
    assert!(diags.is_empty(), "{diags:#?}");
    assert!(set.checked.program.controls.len() >= 50);
}

#[test]
fn catalogs_hold_the_expected_counts() {
    let (c, d) = mrm::framework::Catalogs::embedded();
    assert!(d.is_empty(), "{d:#?}");
    let count = |fw: &str, kind: &str| {
        c.get(fw)
            .unwrap()
            .clauses
            .iter()
            .filter(|x| x.kind == kind)
            .count()
    };
    assert_eq!(count("nist-ai-rmf", "function"), 4);
    assert_eq!(count("nist-ai-rmf", "category"), 19);
    assert_eq!(count("nist-ai-rmf", "subcategory"), 72);
    let iso_annex_a = c
        .get("iso-42001")
        .unwrap()
        .clauses
        .iter()
        .filter(|x| x.kind == "control" && x.id.starts_with("A."))
        .count();
    assert_eq!(iso_annex_a, 38);
    let sr = c.get("sr-11-7").unwrap();
    assert_eq!(sr.meta.superseded_by.as_deref(), Some("sr-26-2"));
    assert_eq!(
        sr.meta.superseded_on.map(|d| d.to_string()).as_deref(),
        Some("2026-04-17")
    );
    // Application dates as amended by Regulation (EU) 2026/1744.
    let eu = c.get("eu-ai-act").unwrap();
    assert_eq!(eu.applies_from("Art 10(2)(f)").to_string(), "2027-12-02");
    assert_eq!(eu.applies_from("Art 50").to_string(), "2026-08-02");
    // Every crosswalk row resolves in both catalogs.
    for m in &c.mappings {
        let cw = c.crosswalks.iter().find(|x| x.id == m.crosswalk).unwrap();
        assert!(
            c.get(&cw.from_framework).unwrap().contains(&m.from),
            "{}",
            m.from
        );
        for t in &m.to {
            assert!(c.get(&cw.to_framework).unwrap().contains(t), "{t}");
        }
    }
}

#[test]
fn every_mapping_resolves_and_every_target_is_covered() {
    let set = mrm::library::embedded();
    for ctl in &set.checked.program.controls {
        for m in &ctl.ast.maps {
            let fw = set.catalogs.get(&m.framework.node).unwrap();
            assert!(
                fw.contains(&m.clause.node),
                "{} maps {} {}",
                ctl.id(),
                m.framework.node,
                m.clause.node
            );
        }
    }
    let coverage = mrm::cli::frameworks::coverage(&set.catalogs, &set.checked.program);
    for c in &coverage {
        assert!(
            c.neither.is_empty(),
            "{}: not covered: {:?}",
            c.framework,
            c.neither
        );
        assert_eq!(
            c.targets,
            c.mapped.len() + c.firm_level.len() + c.out_of_scope.len(),
            "{}",
            c.framework
        );
    }
    let (code, out, _) = cli(&["frameworks", "coverage", "--strict"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn policy_tests_pass_with_full_coverage() {
    let policies = root().join("policies");
    let (code, out, err) = cli(&["test", policies.to_str().unwrap(), "--min-coverage", "100"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn lint_is_clean_on_the_shipped_policies() {
    let (code, out, _) = cli(&["lint", root().join("policies").to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no problems found"), "{out}");
}

/// The example repository tells the story its README documents.
#[test]
fn example_repository_outcome() {
    let req = mrm::engine::Request {
        repo: root().join("examples/acme-bank"),
        policies: Vec::new(),
        with_default: false,
        as_of: "2026-11-27".parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    };
    let run = mrm::engine::run(&req).unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let r = &run.report;
    assert!(r.models.len() >= 8);
    let status = |m: &str, c: &str| {
        r.model(m)
            .unwrap_or_else(|| panic!("no model {m}"))
            .controls
            .iter()
            .find(|x| x.id == c)
            .unwrap_or_else(|| panic!("no control {c}"))
            .status
    };
    let tier = |m: &str| r.model(m).unwrap().tier.clone().unwrap().tier;
    assert_eq!(tier("retail-credit-scoring"), "high");
    assert_eq!(status("retail-credit-scoring", "DR-FAIR-01"), Status::Fail);
    assert_eq!(tier("recruitment-screener"), "high");
    assert_eq!(tier("marketing-propensity"), "low");
    assert_eq!(r.model("marketing-propensity").unwrap().blocking, 0);
    assert_eq!(status("mortgage-prepayment", "MR-PERF-01"), Status::Waived);
    assert_eq!(status("sme-loan-pricing", "MR-VAL-03"), Status::Fail);
    assert!(r.is_blocking());
    // A snapshot of the per-model outcome: tier, blocking count, and every non-passing control.
    let mut lines = Vec::new();
    for m in &r.models {
        lines.push(format!(
            "{} tier={} blocking={} kri={}",
            m.id,
            m.tier.as_ref().map_or("-", |t| t.tier.as_str()),
            m.blocking,
            m.kri_level().as_str()
        ));
        for c in m
            .controls
            .iter()
            .filter(|c| !matches!(c.status, Status::Pass | Status::NotApplicable))
        {
            lines.push(format!(
                "  {} {}{}",
                c.id,
                c.status.as_str(),
                if c.blocking { " (blocking)" } else { "" }
            ));
        }
    }
    for w in &r.waivers {
        lines.push(format!(
            "waiver {} {} {} {:?}",
            w.ticket, w.model, w.control, w.state
        ));
    }
    insta::assert_snapshot!(lines.join("\n"));
    // And the exit code of the README's main command.
    let (code, _, _) = cli(&[
        "check",
        root().join("examples/acme-bank").to_str().unwrap(),
        "--as-of",
        "2026-11-27",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn shipped_policies_are_in_canonical_layout() {
    let (code, out, err) = cli(&["fmt", "--check", root().join("policies").to_str().unwrap()]);
    assert_eq!(code, 0, "run `mrm fmt policies`:\n{out}\n{err}");
}
