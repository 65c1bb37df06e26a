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
