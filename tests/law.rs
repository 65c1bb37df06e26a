//! The law as data: whom each catalog clause binds, which systems it reaches and from when, and
//! the decisions the engine takes from that data for a model at a date.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mrm::framework::Catalogs;

fn catalogs() -> Catalogs {
    let (c, d) = Catalogs::embedded();
    assert!(d.is_empty(), "{d:#?}");
    c
}

/// Every clause of every shipped catalog states, itself, whom it binds and which systems it
/// reaches; nothing is left to a default.
#[test]
fn every_catalog_clause_says_whom_it_binds_and_what_it_reaches() {
    let c = catalogs();
    for fw in c.frameworks.values() {
        for clause in &fw.clauses {
            assert!(
                clause.binds.is_some() && clause.reaches.is_some(),
                "{} {} lacks binds or reaches",
                fw.meta.id,
                clause.id
            );
        }
    }
    let eu = c.get("eu-ai-act").unwrap();
    let binds = |id: &str| eu.clause(id).unwrap().binds.clone().unwrap();
    let reaches = |id: &str| eu.clause(id).unwrap().reaches.clone().unwrap();
    // The actor leaks of the old library: Art 19(1) is the provider's, Art 26(6) the deployer's.
    assert_eq!(binds("Art 19(1)"), ["provider"]);
    assert_eq!(binds("Art 26(6)"), ["deployer"]);
    assert_eq!(binds("Art 43(4)"), ["provider"]);
    assert_eq!(binds("Art 17(1)(a)"), ["provider"]);
    assert_eq!(binds("Art 86(1)"), ["deployer"]);
    assert_eq!(binds("Art 4"), ["provider", "deployer"]);
    assert_eq!(reaches("Art 4"), ["ai-system"]);
    assert_eq!(reaches("Art 49(1)"), ["annex-iii"]);
    assert_eq!(reaches("Art 49(2)"), ["annex-iii-derogation"]);
    assert_eq!(reaches("Art 6(1)"), ["annex-i"]);
    assert_eq!(reaches("Art 50(2)"), ["synthetic-content"]);
    for fw in ["sr-11-7", "sr-26-2"] {
        assert!(
            c.get(fw)
                .unwrap()
                .clauses
                .iter()
                .all(|x| x.binds.as_deref() == Some(&["firm".to_string()][..]))
        );
    }
}

/// The route dates, transitional rules and lifecycle of the duties the issue names.
#[test]
fn eu_duties_carry_their_route_dates_transitional_rules_and_lifecycle() {
    let c = catalogs();
    let eu = c.get("eu-ai-act").unwrap();
    let date = |id: &str| eu.application_date(id).unwrap().date.to_string();
    for id in [
        "Art 43",
        "Art 49(1)",
        "Art 72(1)",
        "Art 73(2)",
        "Art 86(1)",
        "Art 9(1)",
    ] {
        let clause = eu.inherited(id, |c| c.from_annex_iii.clone()).unwrap();
        assert_eq!(date(&clause), "2027-12-02", "{id}");
        if id != "Art 49(1)" && id != "Art 86(1)" {
            let clause = eu.inherited(id, |c| c.from_annex_i.clone()).unwrap();
            assert_eq!(date(&clause), "2028-08-02", "{id}");
        }
    }
    // The formal date of Art 43 stays the general date; the route date is derived and says so.
    assert_eq!(eu.applies_from("Art 43").to_string(), "2026-08-02");
    assert_eq!(eu.clause("Art 43").unwrap().route_verified, Some(false));
    assert_eq!(eu.clause("Art 9").unwrap().route_verified, Some(true));
    assert_eq!(eu.clause("Art 9(1)").unwrap().transitional, ["art-111-2"]);
    assert_eq!(eu.clause("Art 50(2)").unwrap().transitional, ["art-111-4"]);
    assert!(eu.clause("Art 5(1)(a)").unwrap().transitional.is_empty());
    let rule = eu.transitional_rule("art-111-2").unwrap();
    assert_eq!(rule.rule, "legacy-high-risk");
    assert_eq!(
        date(rule.cutoff_annex_iii.as_deref().unwrap()),
        "2027-12-02"
    );
    assert_eq!(
        date(rule.deadline_public_authority.as_deref().unwrap()),
        "2030-08-02"
    );
    let grace = eu.transitional_rule("art-111-4").unwrap();
    assert_eq!(date(grace.applies_from.as_deref().unwrap()), "2026-12-02");
    assert_eq!(
        eu.clause("Art 72(1)").unwrap().lifecycle.as_deref(),
        Some("in-service")
    );
    assert_eq!(
        eu.clause("Art 49(1)").unwrap().lifecycle.as_deref(),
        Some("placing")
    );
    assert_eq!(
        eu.clause("Art 19(1)").unwrap().lifecycle.as_deref(),
        Some("retention")
    );
    // The prohibitions added by Regulation (EU) 2026/1744 apply from 2026-12-02.
    assert_eq!(eu.applies_from("Art 5(1)(ba)").to_string(), "2026-12-02");
    assert_eq!(eu.applies_from("Art 5(1)(a)").to_string(), "2025-02-02");
    // SR 26-2 states its own scope.
    let sr = c.get("sr-26-2").unwrap();
    let rules: Vec<&str> = sr.scope_rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        rules,
        ["generative-agentic", "not-a-model", "asset-threshold"]
    );
    assert_eq!(sr.scope_rules[2].threshold_usd, Some(30_000_000_000));
}

/// The Annex III points a classification may name are the catalog's, not a pattern.
#[test]
fn annex_iii_points_are_the_real_list() {
    let c = catalogs();
    let points = mrm::applicability::annex_iii_points(c.get("eu-ai-act").unwrap());
    assert_eq!(points.len(), 25);
    assert!(points.contains(&"2".to_string()) && points.contains(&"5(b)".to_string()));
    assert!(!points.contains(&"2(a)".to_string()) && !points.contains(&"5(h)".to_string()));
}

fn run(as_of: &str) -> mrm::engine::Run {
    let req = mrm::engine::Request {
        repo: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/acme-bank"),
        policies: Vec::new(),
        with_default: false,
        as_of: as_of.parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    };
    mrm::engine::run(&req).unwrap_or_else(|f| panic!("{:#?}", f.diagnostics))
}

/// The contradictions a report must never hold, for every model of a run:
/// - a control that is a gap (fail, blocked, error) maps a clause that binds the model now (in
///   force, or undecided: a fact the decision needs is missing);
/// - an upcoming control maps no clause in force for the model, and at least one upcoming;
/// - a control never maps, in one framework, one clause in force and another upcoming (the
///   duty-imposing provision and the duty agree);
/// - a clause of the gap analysis is a gap only when it binds the model, and upcoming only when
///   the law says so.
fn assert_consistent(run: &mrm::engine::Run) {
    use mrm::applicability::Verdict;
    use mrm::eval::Status;
    let report = &run.report;
    let catalogs = &run.policy.catalogs;
    let mut checked = 0;
    for m in &report.models {
        for c in &m.controls {
            let decisions: Vec<(&str, &str, Verdict)> = c
                .maps
                .iter()
                .filter(|x| {
                    // A clause mapped together with one of its sub-clauses is claimed through them.
                    let fw = catalogs.get(&x.framework).unwrap();
                    !c.maps.iter().any(|y| {
                        y.framework == x.framework
                            && fw.ancestors(&y.clause).iter().any(|a| a.id == x.clause)
                    })
                })
                .map(|x| {
                    let d = report.decision(m, &x.framework, &x.clause).unwrap();
                    (x.framework.as_str(), x.clause.as_str(), d.verdict)
                })
                .collect();
            if decisions.is_empty() {
                continue;
            }
            checked += 1;
            let any = |v: Verdict| decisions.iter().any(|d| d.2 == v);
            let what = format!("{} {} {:?}: {decisions:?}", m.id, c.id, c.status);
            if c.status.is_gap() {
                assert!(any(Verdict::InForce) || any(Verdict::Undecided), "{what}");
            }
            if c.status == Status::Upcoming {
                assert!(!any(Verdict::InForce) && any(Verdict::Upcoming), "{what}");
            }
            for (fw, _, v) in &decisions {
                if *v == Verdict::InForce {
                    assert!(
                        !decisions
                            .iter()
                            .any(|(g, _, w)| g == fw && *w == Verdict::Upcoming),
                        "{what}"
                    );
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} outcomes checked");
    let gaps = mrm::gaps::analyze(report, catalogs, &run.policy.checked.program);
    for fw in &gaps.frameworks {
        for clause in &fw.clauses {
            for mc in &clause.models {
                let m = report.model(&mc.model).unwrap();
                let v = report.decision(m, &fw.id, &clause.id).unwrap().verdict;
                match mc.status {
                    mrm::gaps::ClauseStatus::Gap => assert!(
                        v == Verdict::InForce || v == Verdict::Undecided,
                        "{} {} {}: gap while {v:?}",
                        mc.model,
                        fw.id,
                        clause.id
                    ),
                    mrm::gaps::ClauseStatus::Upcoming => assert_eq!(v, Verdict::Upcoming),
                    _ => {}
                }
            }
        }
    }
}

/// At the example's date no control contradicts the clauses it maps, for any model.
#[test]
fn example_statuses_never_contradict_their_clauses() {
    for date in ["2026-11-27", "2027-12-02", "2028-08-02"] {
        assert_consistent(&run(date));
    }
}

/// The recruitment screener is an Annex III 4(a) system still in validation: its Annex III duties
/// are upcoming at the example's date and in force from 2027-12-02, while registration and
/// post-market duties wait for it to be placed on the market.
#[test]
fn recruitment_screener_annex_iii_duties_bind_from_2027_12_02() {
    use mrm::eval::Status;
    let before = run("2026-11-27");
    let after = run("2027-12-02");
    let status = |r: &mrm::engine::Run, c: &str| {
        r.report
            .model("recruitment-screener")
            .unwrap()
            .control(c)
            .unwrap()
            .status
    };
    for c in ["AI-ART9-01", "AI-ART13-01", "AI-ART14-01", "AI-ART17-01"] {
        assert_eq!(status(&before, c), Status::Upcoming, "{c}");
        assert_eq!(status(&after, c), Status::Fail, "{c}");
    }
    for c in ["AI-ART49-01", "AI-ART72-02", "AI-ART26-01"] {
        assert_eq!(status(&before, c), Status::Upcoming, "{c}");
        assert_eq!(status(&after, c), Status::Upcoming, "{c}");
    }
    let m = after.report.model("recruitment-screener").unwrap();
    let d = after.report.decision(m, "eu-ai-act", "Art 9(1)").unwrap();
    assert_eq!(d.verdict, mrm::applicability::Verdict::InForce);
    assert!(d.reason.contains("2027-12-02"), "{}", d.reason);
}

/// The production credit and life underwriting models were placed on the market before
/// 2027-12-02 and have had no significant change since: the Act's high-risk duties never attach to
/// them as they stand (Art 111(2)), and the reports say so rather than "upcoming".
#[test]
fn legacy_annex_iii_models_are_outside_the_act_with_the_reason() {
    let r = run("2028-01-15");
    for id in ["retail-credit-scoring", "life-insurance-underwriting"] {
        let m = r.report.model(id).unwrap();
        let d = r.report.decision(m, "eu-ai-act", "Art 10(2)(f)").unwrap();
        assert_eq!(
            d.verdict,
            mrm::applicability::Verdict::NotApplicable,
            "{id}"
        );
        assert!(
            d.reason.starts_with("Art 111(2): placed on the market "),
            "{}",
            d.reason
        );
        assert!(
            d.reason
                .ends_with("with no significant change in design since"),
            "{}",
            d.reason
        );
        let c = m.control("AI-ART10-01").unwrap();
        assert_eq!(c.status, mrm::eval::Status::NotApplicable);
        assert!(c.reason.as_deref().unwrap_or("").contains("Art 111(2)"));
    }
}

fn render(run: &mrm::engine::Run, format: mrm::report::Format) -> String {
    let cx = mrm::report::Context {
        sources: &run.sources,
        color: false,
        quiet: false,
    };
    let mut buf = Vec::new();
    mrm::report::render(format, &run.report, &cx, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn render_gaps(run: &mrm::engine::Run, format: mrm::report::GapFormat) -> String {
    let g = mrm::gaps::analyze(
        &run.report,
        &run.policy.catalogs,
        &run.policy.checked.program,
    );
    let cx = mrm::report::Context {
        sources: &run.sources,
        color: false,
        quiet: false,
    };
    let mut buf = Vec::new();
    mrm::report::render_gaps(format, &g, &cx, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

const SUPERSEDED: &str = "SR 11-7 is superseded by SR 26-2 on 2026-04-17";
const CROSSWALK: &str = "mrm frameworks crosswalk sr-11-7 sr-26-2";

/// SR 11-7 is marked superseded in every output, with the command that compares it with SR 26-2,
/// and none of its gaps blocks by default, although the example has SR 11-7 gaps.
#[test]
fn sr_11_7_is_marked_superseded_everywhere_and_does_not_block_by_default() {
    use mrm::report::{Format, GapFormat};
    let r = run("2026-11-27");
    for format in [Format::Text, Format::Markdown, Format::Html] {
        let out = render(&r, format);
        assert!(out.contains(SUPERSEDED), "{format:?}");
        assert!(out.contains(CROSSWALK), "{format:?}");
    }
    let text = render(&r, Format::Text);
    assert!(text.contains("sr-11-7 V.2 (superseded)"), "{text}");
    for format in [GapFormat::Text, GapFormat::Markdown] {
        let out = render_gaps(&r, format);
        assert!(
            out.contains(SUPERSEDED) && out.contains(CROSSWALK),
            "{format:?}"
        );
    }
    let oscal: serde_json::Value = serde_json::from_str(&render(&r, Format::Oscal)).unwrap();
    let findings = oscal["assessment-results"]["results"][0]["findings"]
        .as_array()
        .unwrap();
    let sr11: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| {
            f["props"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "framework" && p["value"] == "sr-11-7")
        })
        .collect();
    assert!(!sr11.is_empty());
    for f in &sr11 {
        let props = f["props"].as_array().unwrap();
        assert!(
            props
                .iter()
                .any(|p| p["name"] == "framework-status" && p["value"] == "superseded"),
            "{f}"
        );
        assert!(
            f["target"]["status"]["remarks"]
                .as_str()
                .unwrap()
                .contains(CROSSWALK),
            "{f}"
        );
    }
    let g = mrm::gaps::analyze(&r.report, &r.policy.catalogs, &r.policy.checked.program);
    let sr = g.frameworks.iter().find(|f| f.id == "sr-11-7").unwrap();
    assert!(sr.superseded.is_some());
    assert!(sr.gaps > 0, "the example has SR 11-7 gaps");
    assert_eq!(sr.blocking, 0);
    assert!(
        sr.clauses
            .iter()
            .all(|c| c.models.iter().all(|m| !m.blocking))
    );
    // SR 26-2, which maps the same controls, still blocks.
    assert!(
        g.frameworks
            .iter()
            .find(|f| f.id == "sr-26-2")
            .unwrap()
            .blocking
            > 0
    );
}

/// A firm that still answers to SR 11-7 lists it in `[frameworks] legacy`: its gaps block again.
#[test]
fn legacy_opt_in_makes_superseded_gaps_block() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/acme-bank");
    copy_dir(&root, dir.path());
    let config = std::fs::read_to_string(dir.path().join("mrm.toml")).unwrap();
    std::fs::write(
        dir.path().join("mrm.toml"),
        format!("{config}\n[frameworks]\nlegacy = [\"sr-11-7\"]\n"),
    )
    .unwrap();
    let req = mrm::engine::Request {
        repo: dir.path().to_path_buf(),
        policies: Vec::new(),
        with_default: false,
        as_of: "2026-11-27".parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    };
    let r = mrm::engine::run(&req).unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let g = mrm::gaps::analyze(&r.report, &r.policy.catalogs, &r.policy.checked.program);
    let sr = g.frameworks.iter().find(|f| f.id == "sr-11-7").unwrap();
    assert!(sr.superseded.as_ref().unwrap().blocking);
    assert!(sr.blocking > 0);
    let text = render(&r, mrm::report::Format::Text);
    assert!(text.contains("its gaps still block"), "{text}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// SR 26-2 applies per model: generative and agentic AI are outside it (footnote 3), and a firm at
/// or below USD 30bn of total assets leaves it to its own tailoring unless it opts in.
#[test]
fn sr_26_2_scope_is_decided_per_model_and_per_firm() {
    use mrm::applicability::Verdict;
    let r = run("2026-11-27");
    let decision = |r: &mrm::engine::Run, model: &str| {
        let m = r.report.model(model).unwrap();
        r.report.decision(m, "sr-26-2", "V.1").unwrap().clone()
    };
    let chatbot = decision(&r, "customer-service-chatbot");
    assert_eq!(chatbot.verdict, Verdict::NotApplicable);
    assert!(chatbot.reason.starts_with("SR 26-2 FN3: generative AI and agentic AI models are outside the guidance; the model is generative"), "{}", chatbot.reason);
    assert_eq!(
        decision(&r, "retail-credit-scoring").verdict,
        Verdict::InForce
    );
    // The gap analysis shows the chatbot's SR 26-2 clauses as not applicable.
    let g = mrm::gaps::analyze(&r.report, &r.policy.catalogs, &r.policy.checked.program);
    let sr = g.frameworks.iter().find(|f| f.id == "sr-26-2").unwrap();
    assert!(sr.clauses.iter().all(|c| {
        c.models
            .iter()
            .all(|m| &*m.model != "customer-service-chatbot")
    }));

    let with_config = |extra: &str| {
        let dir = tempfile::tempdir().unwrap();
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/acme-bank");
        copy_dir(&root, dir.path());
        let config = std::fs::read_to_string(dir.path().join("mrm.toml")).unwrap();
        let config = config
            .replace("[firm]\n", "")
            .replace("total_assets_usd = 48_000_000_000", "");
        std::fs::write(dir.path().join("mrm.toml"), format!("{config}\n{extra}\n")).unwrap();
        let req = mrm::engine::Request {
            repo: dir.path().to_path_buf(),
            policies: Vec::new(),
            with_default: false,
            as_of: "2026-11-27".parse().unwrap(),
            frameworks: Vec::new(),
            fail_on: None,
        };
        let run = mrm::engine::run(&req).unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
        (dir, run)
    };
    let (_d, small) = with_config("[firm]\ntotal_assets_usd = 12_000_000_000");
    let d = decision(&small, "retail-credit-scoring");
    assert_eq!(d.verdict, Verdict::NotApplicable);
    assert!(
        d.reason.contains("(USD 12bn) do not exceed USD 30bn"),
        "{}",
        d.reason
    );
    let (_d, opted) = with_config(
        "[firm]\ntotal_assets_usd = 12_000_000_000\n[frameworks]\napply_below_threshold = [\"sr-26-2\"]",
    );
    assert_eq!(
        decision(&opted, "retail-credit-scoring").verdict,
        Verdict::InForce
    );
}

/// Firm-level duties are reported as evidenced at firm level with their owner, not as excluded,
/// and a repository that does not name an owner is told so.
#[test]
fn firm_level_duties_name_their_owner() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = mrm::cli::run(vec!["mrm", "frameworks", "coverage"], &mut out, &mut err);
    assert_eq!(code, 0);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("eu-ai-act — evidenced at firm level:"),
        "{text}"
    );
    assert!(
        text.contains("Art 4 (owner: ai-governance): AI literacy"),
        "{text}"
    );
    let r = run("2026-11-27");
    assert!(
        !r.report
            .diagnostics
            .iter()
            .any(|d| d.code == mrm::diagnostic::Code::FirmOwnerMissing),
        "the example names every owner"
    );
    let g = mrm::gaps::analyze(&r.report, &r.policy.catalogs, &r.policy.checked.program);
    let eu = g.frameworks.iter().find(|f| f.id == "eu-ai-act").unwrap();
    let art4 = eu.out_of_scope.iter().find(|c| c.id == "Art 4").unwrap();
    assert_eq!(art4.owner.as_deref(), Some("ai-governance"));

    let dir = tempfile::tempdir().unwrap();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/acme-bank");
    copy_dir(&root, dir.path());
    let config = std::fs::read_to_string(dir.path().join("mrm.toml")).unwrap();
    let config = config.replace("ai-governance = \"ai.governance@acme.example\"\n", "");
    std::fs::write(dir.path().join("mrm.toml"), config).unwrap();
    let req = mrm::engine::Request {
        repo: dir.path().to_path_buf(),
        policies: Vec::new(),
        with_default: false,
        as_of: "2026-11-27".parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    };
    let r = mrm::engine::run(&req).unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let missing: Vec<&mrm::diagnostic::Diagnostic> = r
        .report
        .diagnostics
        .iter()
        .filter(|d| d.code == mrm::diagnostic::Code::FirmOwnerMissing)
        .collect();
    assert_eq!(missing.len(), 1, "{missing:#?}");
    assert!(
        missing[0].message.contains("`ai-governance`")
            && missing[0].message.contains("EU AI Act Art 4")
    );
}

/// Coverage is counted at the finest level the catalog has: an article counts as mapped at the
/// target level when one paragraph is, but each paragraph counts on its own.
#[test]
fn coverage_counts_paragraphs_and_points() {
    let set = mrm::library::embedded();
    let cov = mrm::coverage::coverage(&set.catalogs, &set.checked.program);
    let eu = cov.iter().find(|c| c.framework == "eu-ai-act").unwrap();
    assert!(eu.mapped.contains_key("Art 26"));
    let l = &eu.leaves;
    for p in [
        "Art 26(1)",
        "Art 26(2)",
        "Art 26(6)",
        "Art 26(7)",
        "Art 19(1)",
        "Art 86(1)",
    ] {
        assert!(l.mapped.iter().any(|x| x == p), "{p}");
    }
    for p in ["Art 26(3)", "Art 26(10)", "Art 9(3)"] {
        assert!(l.neither.iter().any(|x| x == p), "{p}");
    }
    // Duties of the Commission and deleted provisions are not counted against the library.
    for p in ["Art 6(5)", "Art 27(5)", "Art 10(5)"] {
        assert!(l.not_firm_duties.iter().any(|x| x == p), "{p}");
    }
    assert!(l.firm_level.iter().any(|x| x == "Art 4"));
    assert_eq!(
        l.total,
        l.mapped.len() + l.firm_level.len() + l.out_of_scope.len() + l.neither.len()
    );
    assert!(
        l.mapped_share() < 0.5,
        "paragraph-level coverage is what it is"
    );
    // frameworks/README.md reports these figures.
    let readme = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("frameworks/README.md"),
    )
    .unwrap();
    let row = format!(
        "| after | {} | {} ({:.1}%) | {} | {} | {} |",
        l.total,
        l.mapped.len(),
        l.mapped_share() * 100.0,
        l.firm_level.len(),
        l.out_of_scope.len(),
        l.neither.len()
    );
    assert!(
        readme.contains(&row),
        "frameworks/README.md should report {row}"
    );
}

fn run_with_config(extra: &str, as_of: &str) -> Result<mrm::engine::Run, mrm::engine::Failure> {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/acme-bank");
    copy_dir(&root, dir.path());
    let config = std::fs::read_to_string(dir.path().join("mrm.toml")).unwrap();
    std::fs::write(dir.path().join("mrm.toml"), format!("{config}\n{extra}\n")).unwrap();
    let req = mrm::engine::Request {
        repo: dir.path().to_path_buf(),
        policies: Vec::new(),
        with_default: false,
        as_of: as_of.parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    };
    mrm::engine::run(&req)
}

/// A firm calibrates the library's thresholds in mrm.toml: the tier cycles and KRI bands follow,
/// the JSON result shows the values in force, and a parameter no policy declares, or of the wrong
/// type, is a configuration error.
#[test]
fn firm_calibration_overrides_the_library_parameters() {
    use mrm::eval::Status;
    let shipped = run("2026-11-27");
    let sme = |r: &mrm::engine::Run| {
        r.report
            .model("sme-loan-pricing")
            .unwrap()
            .control("MR-VAL-03")
            .unwrap()
            .status
    };
    assert_eq!(
        sme(&shipped),
        Status::Fail,
        "773 days against the shipped 365"
    );
    assert_eq!(
        shipped.report.policy.params.get("cycle_high_days"),
        Some(&mrm::value::Value::Number(365.0))
    );
    let calibrated = run_with_config(
        "[params]\ncycle_high_days = 800\ndrift_red = 0.35",
        "2026-11-27",
    )
    .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    assert_eq!(sme(&calibrated), Status::Pass);
    let fraud = calibrated.report.model("card-fraud-detection").unwrap();
    let psi = fraud.kris.iter().find(|k| k.name == "PSI").unwrap();
    assert_eq!(
        psi.level,
        mrm::eval::KriLevel::Yellow,
        "0.31 is below the firm's red of 0.35"
    );
    assert_eq!(
        calibrated.report.policy.params.get("cycle_high_days"),
        Some(&mrm::value::Value::Number(800.0))
    );
    let unknown = run_with_config("[params]\ncycle_high_dayz = 800", "2026-11-27").unwrap_err();
    assert!(
        unknown.diagnostics[0]
            .message
            .contains("unknown param `cycle_high_dayz`")
    );
    assert!(format!("{:?}", unknown.diagnostics[0]).contains("cycle_high_days"));
    let wrong =
        run_with_config("[params]\ncycle_high_days = \"a year\"", "2026-11-27").unwrap_err();
    assert!(
        wrong.diagnostics[0].message.contains("must be a number"),
        "{:?}",
        wrong.diagnostics
    );
}

/// The table of EU AI Act duties in frameworks/README.md is the catalog's and the library's own
/// data: this test computes it (controls that map only to the Act, whom their clauses bind, the
/// date for each route, the transitional rules and lifecycle) and finds, for each row, a pair of
/// policy tests of the same model on both sides of a boundary date: upcoming or not applicable
/// before, a failure (or a blocked or erroring control) from the date on. The README must hold
/// exactly this table; when the data changes, the message gives the new one.
#[test]
fn readme_duty_table_is_the_catalog_and_every_row_is_tested_across_its_boundary() {
    use std::collections::BTreeSet;
    let set = mrm::library::embedded();
    let program = &set.checked.program;
    let eu = set.catalogs.get("eu-ai-act").unwrap();
    let date = |id: &Option<String>| id.as_deref().map(|i| eu.application_date(i).unwrap().date);
    // Each test's model (its id) and date, and what it expects of each control.
    struct Case {
        name: String,
        model: String,
        as_of: jiff::civil::Date,
        expects: std::collections::BTreeMap<String, String>,
    }
    let cases: Vec<Case> = program
        .tests
        .iter()
        .filter_map(|t| {
            let model = match (&t.case.metadata, &t.case.model) {
                (Some(m), _) => {
                    let v: toml::Value = toml::from_str(&m.node).ok()?;
                    v.get("model")?.get("id")?.as_str()?.to_string()
                }
                (None, Some(path)) => path.node.clone(),
                (None, None) => return None,
            };
            Some(Case {
                name: t.case.name.node.clone(),
                model,
                as_of: t.case.as_of.as_ref()?.node,
                expects: t
                    .case
                    .expects
                    .iter()
                    .filter_map(|e| match e {
                        mrm::ast::Expectation::Control { id, status } => {
                            Some((id.node.clone(), status.node.clone()))
                        }
                        _ => None,
                    })
                    .collect(),
            })
        })
        .collect();
    let mut rows = vec![
        "| duty | control | binds | Annex III route | Annex I route | Art 5 / Art 50 / any system | GPAI | transitional rule | attaches | tested on both sides by |".to_string(),
        "|---|---|---|---|---|---|---|---|---|---|".to_string(),
    ];
    for c in &program.controls {
        let maps: Vec<&str> = c
            .ast
            .maps
            .iter()
            .filter(|m| m.framework.node == "eu-ai-act")
            .map(|m| m.clause.node.as_str())
            .collect();
        if maps.is_empty() || maps.len() != c.ast.maps.len() {
            continue;
        }
        let clauses: Vec<&mrm::framework::Clause> = maps
            .iter()
            .filter(|x| {
                !maps
                    .iter()
                    .any(|y| eu.ancestors(y).iter().any(|a| a.id == **x))
            })
            .map(|x| eu.clause(x).unwrap())
            .collect();
        let mut binds: Vec<String> = Vec::new();
        // Per route: the dates, and whether every clause's date for it is derived.
        let mut annex_iii: (BTreeSet<jiff::civil::Date>, bool) = (BTreeSet::new(), true);
        let mut annex_i: (BTreeSet<jiff::civil::Date>, bool) = (BTreeSet::new(), true);
        let mut other = BTreeSet::new();
        let mut transitional = BTreeSet::new();
        let mut lifecycle = BTreeSet::new();
        for cl in &clauses {
            for a in cl.binds.clone().unwrap() {
                if !binds.contains(&a) {
                    binds.push(a);
                }
            }
            let r = cl.reaches.clone().unwrap();
            let derived = cl.route_verified == Some(false);
            if r.iter().any(|x| x.starts_with("annex-iii")) {
                annex_iii.0.insert(date(&cl.from_annex_iii).unwrap());
                annex_iii.1 &= derived;
            }
            if r.iter().any(|x| x == "annex-i") {
                annex_i.0.insert(date(&cl.from_annex_i).unwrap());
                annex_i.1 &= derived;
            }
            if r.iter().any(|x| !x.starts_with("annex-i")) {
                other.insert(eu.applies_from(&cl.id).to_string());
            }
            for t in &cl.transitional {
                transitional.insert(
                    eu.transitional_rule(t)
                        .unwrap()
                        .legal_basis
                        .split(',')
                        .next()
                        .unwrap()
                        .to_string(),
                );
            }
            lifecycle.insert(
                cl.lifecycle
                    .clone()
                    .unwrap_or_else(|| "by date".to_string()),
            );
        }
        binds.sort_by_key(|a| mrm::applicability::ACTORS.iter().position(|x| x == a));
        let route = |(dates, derived): &(BTreeSet<jiff::civil::Date>, bool)| {
            let d: Vec<String> = dates.iter().map(ToString::to_string).collect();
            match (d.is_empty(), derived) {
                (true, _) => "—".to_string(),
                (false, true) => format!("{} (derived)", d.join(", ")),
                (false, false) => d.join(", "),
            }
        };
        let join = |s: &BTreeSet<String>| {
            if s.is_empty() {
                "—".to_string()
            } else {
                s.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        };
        // Boundary dates of the row: its route dates and its transitional dates.
        let mut boundaries: BTreeSet<jiff::civil::Date> = BTreeSet::new();
        boundaries.extend(annex_iii.0.iter().chain(&annex_i.0).copied());
        for s in &other {
            boundaries.insert(s.parse().unwrap());
        }
        if transitional.iter().any(|t| t.starts_with("Art 111(4)")) {
            boundaries.insert("2026-12-02".parse().unwrap());
        }
        let id = c.id();
        let before = ["upcoming", "not-applicable"];
        let after = ["fail", "blocked", "error"];
        let mut pair = None;
        'found: for a in cases.iter().filter(|k| {
            k.expects
                .get(id)
                .is_some_and(|s| before.contains(&s.as_str()))
        }) {
            for b in cases.iter().filter(|k| {
                k.model == a.model
                    && k.as_of > a.as_of
                    && k.expects
                        .get(id)
                        .is_some_and(|s| after.contains(&s.as_str()))
            }) {
                if boundaries.iter().any(|d| a.as_of < *d && *d <= b.as_of) {
                    pair = Some(format!("\"{}\" / \"{}\"", a.name, b.name));
                    break 'found;
                }
            }
        }
        let pair = pair
            .unwrap_or_else(|| panic!("{id}: no pair of tests on both sides of {boundaries:?}"));
        rows.push(format!(
            "| {} | `{id}` | {} | {} | {} | {} | — | {} | {} | {pair} |",
            c.ast.title.node.replace('|', "\\|"),
            binds.join(", "),
            route(&annex_iii),
            route(&annex_i),
            join(&other),
            join(&transitional),
            join(&lifecycle),
        ));
    }
    let table = rows.join("\n");
    let readme = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("frameworks/README.md"),
    )
    .unwrap();
    let (start, end) = ("<!-- eu-duties:begin -->\n", "\n<!-- eu-duties:end -->");
    let found = readme
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(t, _)| t)
        .unwrap_or("");
    assert_eq!(
        found, table,
        "frameworks/README.md must hold this table:\n{table}"
    );
}
