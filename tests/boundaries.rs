//! Verdicts at their boundaries: the day before, the day of and the day after a date rule; the
//! threshold value itself and its nearest neighbours; the smallest count that changes an exit code.
//! Each test is named for the behaviour it pins, and fails when that behaviour is changed by one
//! comparison operator or one dropped line.
//!
//! The tests drive the real binary against the fixture folders in `tests/fixtures/boundaries`
//! (`policy.mrm` with `repo/` and `one-blocking/`, and `shipped/` under the embedded library) and
//! read the JSON report, whose field names are a versioned contract.
//!
//! Waiver expiry rule: a waiver with `expires = D` applies on every evaluation date up to and
//! including D, and no longer from D + 1 on.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly; the lints guard library code"
)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/boundaries")
}

/// Runs the binary: (exit code, stdout, stderr).
fn mrm(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mrm"))
        .args(args)
        .output()
        .expect("run mrm");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf8"),
        String::from_utf8(out.stderr).expect("utf8"),
    )
}

/// `mrm check FIXTURE --as-of DATE --format json` (with the fixture policy unless `shipped`):
/// (exit code, report).
fn check(repo: &str, as_of: &str) -> (i32, Value) {
    let dir = fixtures().join(repo);
    let policy = fixtures().join("policy.mrm");
    let dir = dir.to_str().expect("path");
    let policy = policy.to_str().expect("path");
    let mut args = vec!["check", dir, "--as-of", as_of, "--format", "json"];
    if repo != "shipped" {
        args.extend(["--policy", policy]);
    }
    let (code, out, err) = mrm(&args);
    let report = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    (code, report)
}

fn repo(as_of: &str) -> Value {
    check("repo", as_of).1
}

fn model<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no model {id}"))
}

fn control<'a>(report: &'a Value, model_id: &str, id: &str) -> &'a Value {
    model(report, model_id)["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id} for {model_id}"))
}

fn status(report: &Value, model_id: &str, id: &str) -> String {
    control(report, model_id, id)["status"]
        .as_str()
        .expect("status")
        .to_string()
}

/// A control as the report lists it once, with its framework clauses.
fn catalog_entry<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id} in the report"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

fn waiver_state(report: &Value, ticket: &str) -> String {
    report["waivers"]
        .as_array()
        .expect("waivers")
        .iter()
        .find(|w| w["ticket"] == ticket)
        .unwrap_or_else(|| panic!("no waiver {ticket}"))["state"]
        .as_str()
        .expect("state")
        .to_string()
}

fn codes(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().expect("code").to_string())
        .collect()
}

// ---- waivers ------------------------------------------------------------------------------------

#[test]
fn a_waiver_approved_by_a_developer_is_rejected() {
    let r = repo("2026-11-27");
    assert_eq!(status(&r, "waiver-developer", "MR-VAL"), "fail");
    assert!(control(&r, "waiver-developer", "MR-VAL")["waiver"].is_null());
    assert_eq!(waiver_state(&r, "B-DEV"), "self-approved");
    // The independent approver of the same kind of waiver is accepted: the rejection is the
    // approver's role, not the waiver.
    assert_eq!(status(&r, "waiver-expiry", "MR-VAL"), "waived");
}

#[test]
fn a_waiver_approved_by_the_owner_in_other_case_and_spacing_is_rejected() {
    let r = repo("2026-11-27");
    assert_eq!(status(&r, "waiver-owner-case", "MR-VAL"), "fail");
    assert_eq!(waiver_state(&r, "B-OWNER-CASE"), "self-approved");
}

#[test]
fn a_waiver_approved_by_a_developer_in_other_case_is_rejected() {
    let r = repo("2026-11-27");
    assert_eq!(status(&r, "waiver-developer-case", "MR-VAL"), "fail");
    assert_eq!(waiver_state(&r, "B-DEV-CASE"), "self-approved");
}

#[test]
fn a_waiver_applies_through_its_expiry_date_and_not_after() {
    // expires = 2027-01-31: the day before and the day itself are covered, the day after is not.
    for (as_of, want, state) in [
        ("2027-01-30", "waived", "applied"),
        ("2027-01-31", "waived", "applied"),
        ("2027-02-01", "fail", "expired"),
    ] {
        let r = repo(as_of);
        assert_eq!(status(&r, "waiver-expiry", "MR-VAL"), want, "as of {as_of}");
        assert_eq!(waiver_state(&r, "B-EXPIRY"), state, "as of {as_of}");
        let expired = codes(&r).iter().any(|c| c == "waiver/expired");
        // Every waiver of the fixture expires on 2027-01-31.
        assert_eq!(expired, want == "fail", "as of {as_of}: {:?}", codes(&r));
    }
}

#[test]
fn a_waiver_never_turns_a_blocked_control_into_waived() {
    let r = repo("2026-11-27");
    let c = control(&r, "waiver-blocked", "MR-VAL");
    assert_eq!(c["status"], "blocked");
    assert!(c["waiver"].is_null());
    assert_eq!(strings(&c["blocked_by"]), vec!["DR-FAIR"]);
    assert_ne!(waiver_state(&r, "B-BLOCKED"), "applied");
}

#[test]
fn a_waiver_never_turns_an_error_into_waived() {
    let r = repo("2026-11-27");
    let c = control(&r, "waiver-error", "DR-FAIR");
    assert_eq!(c["status"], "error");
    assert!(c["waiver"].is_null());
    assert_ne!(waiver_state(&r, "B-ERROR"), "applied");
    // Still a blocking gap: an error the waiver could not excuse keeps the run failing.
    assert_eq!(c["blocking"], true);
}

// ---- blocked chains -----------------------------------------------------------------------------

#[test]
fn blocked_by_keeps_the_whole_chain_of_a_failing_root() {
    let r = repo("2026-11-27");
    assert_eq!(status(&r, "chain-fail", "GV-OWN"), "fail");
    let fair = control(&r, "chain-fail", "DR-FAIR");
    assert_eq!(fair["status"], "blocked");
    assert_eq!(strings(&fair["blocked_by"]), vec!["GV-OWN"]);
    let val = control(&r, "chain-fail", "MR-VAL");
    assert_eq!(val["status"], "blocked");
    // Nearest prerequisite first, root cause last.
    assert_eq!(strings(&val["blocked_by"]), vec!["DR-FAIR", "GV-OWN"]);
}

#[test]
fn an_error_prerequisite_blocks_every_level_above_it() {
    let r = repo("2026-11-27");
    let root = control(&r, "chain-error", "GV-OWN");
    assert_eq!(root["status"], "error");
    assert!(
        root["error"].as_str().expect("error").contains("len"),
        "{root:#}"
    );
    let fair = control(&r, "chain-error", "DR-FAIR");
    assert_eq!(fair["status"], "blocked");
    assert_eq!(strings(&fair["blocked_by"]), vec!["GV-OWN"]);
    let val = control(&r, "chain-error", "MR-VAL");
    assert_eq!(val["status"], "blocked");
    assert_eq!(strings(&val["blocked_by"]), vec!["DR-FAIR", "GV-OWN"]);
    // The error at the root and everything it blocks are blocking gaps.
    assert_eq!(model(&r, "chain-error")["blocking"], 3);
}

// ---- clause application dates -------------------------------------------------------------------

#[test]
fn a_failing_control_with_no_framework_mapping_fails_at_once() {
    for as_of in ["2026-11-27", "2027-12-01"] {
        let r = repo(as_of);
        let info = catalog_entry(&r, "GV-UNMAPPED");
        assert!(
            info["maps"].as_array().is_none_or(Vec::is_empty),
            "{info:#}"
        );
        assert_eq!(
            status(&r, "unmapped", "GV-UNMAPPED"),
            "fail",
            "as of {as_of}"
        );
    }
}

#[test]
fn a_failing_control_mapped_to_a_current_and_a_future_clause_fails() {
    let r = repo("2027-12-01");
    assert_eq!(status(&r, "unmapped", "GV-MIXED"), "fail");
}

/// Whether `Art 10(2)(f)` is listed as in force in the run's control catalog.
fn art10_in_force(report: &Value) -> bool {
    let c = catalog_entry(report, "AI-ART10");
    c["maps"][0]["clause"]
        .as_str()
        .filter(|&s| s == "Art 10(2)(f)")
        .expect("mapped clause");
    c["maps"][0]["in_force"].as_bool().expect("in_force")
}

#[test]
fn a_clause_applying_from_2027_12_02_is_in_force_on_that_day() {
    for (as_of, in_force, want) in [
        ("2027-12-01", false, "upcoming"),
        ("2027-12-02", true, "fail"),
        ("2027-12-03", true, "fail"),
    ] {
        let r = repo(as_of);
        assert_eq!(art10_in_force(&r), in_force, "as of {as_of}");
        assert_eq!(status(&r, "annex", "AI-ART10"), want, "as of {as_of}");
        // An obligation in force is blocking; an upcoming one is not.
        assert_eq!(
            control(&r, "annex", "AI-ART10")["blocking"] == true,
            in_force,
            "as of {as_of}"
        );
    }
}

#[test]
fn the_gap_analysis_counts_the_clause_as_a_gap_from_its_application_date() {
    let clause_status = |as_of: &str| {
        let dir = fixtures().join("repo");
        let policy = fixtures().join("policy.mrm");
        let (_, out, err) = mrm(&[
            "gaps",
            dir.to_str().expect("path"),
            "--policy",
            policy.to_str().expect("path"),
            "--as-of",
            as_of,
            "--framework",
            "eu-ai-act",
            "--format",
            "json",
        ]);
        let g: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        let clause = g["frameworks"][0]["clauses"]
            .as_array()
            .expect("clauses")
            .iter()
            .find(|c| c["id"] == "Art 10")
            .unwrap_or_else(|| panic!("no Art 10: {g:#}"))
            .clone();
        (
            clause["in_force"].as_bool().expect("in_force"),
            clause["status"].as_str().expect("status").to_string(),
        )
    };
    assert_eq!(clause_status("2027-12-01"), (false, "upcoming".to_string()));
    assert_eq!(clause_status("2027-12-02"), (true, "gap".to_string()));
    assert_eq!(clause_status("2027-12-03"), (true, "gap".to_string()));
}

// ---- the evaluation date ------------------------------------------------------------------------

#[test]
fn today_is_the_as_of_date_not_the_clock() {
    // GV-TODAY asserts today() == 2026-11-27, days_since(2026-11-20) == 7 and
    // days_until(2026-12-04) == 7. The determinism tests run it again under a faked clock.
    for (as_of, want) in [
        ("2026-11-26", "fail"),
        ("2026-11-27", "pass"),
        ("2026-11-28", "fail"),
    ] {
        assert_eq!(
            status(&repo(as_of), "today", "GV-TODAY"),
            want,
            "as of {as_of}"
        );
    }
}

// ---- exit codes ---------------------------------------------------------------------------------

#[test]
fn exactly_one_blocking_gap_exits_1() {
    // MR-VAL holds on its 365th day and fails on the 366th; GV-UNMAPPED (medium) fails on both.
    let (code, r) = check("one-blocking", "2026-11-27");
    assert_eq!(r["summary"]["blocking"], 0, "{:#}", r["summary"]);
    assert_eq!(status(&r, "only", "GV-UNMAPPED"), "fail");
    assert_eq!(code, 0);
    let (code, r) = check("one-blocking", "2026-11-28");
    assert_eq!(r["summary"]["blocking"], 1, "{:#}", r["summary"]);
    assert_eq!(status(&r, "only", "MR-VAL"), "fail");
    assert_eq!(code, 1);
}

#[test]
fn gaps_exits_1_on_exactly_one_blocking_gap() {
    let dir = fixtures().join("one-blocking");
    let policy = fixtures().join("policy.mrm");
    let run = |as_of: &str| {
        mrm(&[
            "gaps",
            dir.to_str().expect("path"),
            "--policy",
            policy.to_str().expect("path"),
            "--as-of",
            as_of,
            "--format",
            "json",
        ])
        .0
    };
    assert_eq!(run("2026-11-27"), 0);
    assert_eq!(run("2026-11-28"), 1);
}

// ---- the shipped library ------------------------------------------------------------------------

#[test]
fn the_shipped_fairness_control_passes_at_0_8_and_fails_below() {
    let (_, r) = check("shipped", "2026-11-27");
    assert_eq!(status(&r, "fairness-at-threshold", "DR-FAIR-01"), "pass");
    assert_eq!(status(&r, "fairness-below-threshold", "DR-FAIR-01"), "fail");
}

#[test]
fn the_shipped_validation_age_control_passes_at_365_days_and_fails_at_366() {
    // Validated on 2025-11-27: 364, 365 and 366 days later.
    for (as_of, want) in [
        ("2026-11-26", "pass"),
        ("2026-11-27", "pass"),
        ("2026-11-28", "fail"),
    ] {
        let (_, r) = check("shipped", as_of);
        assert_eq!(
            status(&r, "validated-2025-11-27", "MR-VAL-03"),
            want,
            "as of {as_of}"
        );
    }
}
