//! Metric builtins against reference values: `tests/fixtures/metrics/golden.json` was produced by
//! `golden.py` beside it (Fairlearn for the between-group spreads, AIF360's definitions over
//! Fairlearn's per-group rates, numpy for PSI). Python is not needed to run these tests.
//! Edge cases must give an error message, never NaN or infinity, and a control that meets one
//! reports `error` with that message.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mrm::check::types::{Field, Ty};
use mrm::eval::Status;
use mrm::eval::builtins::{self, CallContext};
use mrm::value::{self, Value};

const TOLERANCE: f64 = 1e-9;

fn golden() -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metrics/golden.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    let b = builtins::lookup(name).unwrap_or_else(|| panic!("no builtin {name}"));
    assert!(args.len() >= b.min_args && args.len() <= b.max_args);
    let cx = CallContext {
        as_of: "2026-11-27".parse().unwrap(),
        history: None,
        dir: "",
    };
    (b.eval)(&cx, args)
}

fn number(name: &str, args: &[Value]) -> f64 {
    match call(name, args) {
        Ok(Value::Number(n)) => n,
        other => panic!("{name}: {other:?}"),
    }
}

fn close(what: &str, got: f64, want: &serde_json::Value) {
    let want = want.as_f64().unwrap();
    assert!(
        (got - want).abs() <= TOLERANCE,
        "{what}: got {got}, reference {want}"
    );
}

fn group<'a>(groups: &'a [Value], name: &str) -> &'a Value {
    groups
        .iter()
        .find(|g| g.get("group").and_then(Value::as_str) == Some(name))
        .unwrap()
}

fn count(g: &Value, field: &str) -> Value {
    g.get(field).cloned().unwrap()
}

#[test]
fn selection_metrics_match_the_reference() {
    let g = golden();
    let cases = g["selection"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let groups = value::from_json(&case["groups"]);
        for metric in ["demographic_parity_difference", "demographic_parity_ratio"] {
            let got = number(metric, std::slice::from_ref(&groups));
            close(&format!("{name}: {metric}"), got, &case[metric]);
        }
        let list = groups.as_list().unwrap();
        let p = group(list, case["privileged"].as_str().unwrap());
        for pair in case["aif360"].as_array().unwrap() {
            let u = group(list, pair["unprivileged"].as_str().unwrap());
            let args = [
                count(u, "selected"),
                count(u, "total"),
                count(p, "selected"),
                count(p, "total"),
            ];
            let got = number("statistical_parity_difference", &args);
            close(
                &format!("{name}: statistical_parity_difference"),
                got,
                &pair["statistical_parity_difference"],
            );
            match pair.get("disparate_impact") {
                Some(want) => close(
                    &format!("{name}: disparate_impact"),
                    number("disparate_impact", &args),
                    want,
                ),
                None => assert!(call("disparate_impact", &args).is_err()),
            }
        }
    }
}

#[test]
fn confusion_metrics_match_the_reference() {
    let g = golden();
    let cases = g["confusion"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let groups = value::from_json(&case["groups"]);
        for metric in [
            "equalized_odds_difference",
            "equalized_odds_ratio",
            "true_positive_rate_difference",
        ] {
            let got = number(metric, std::slice::from_ref(&groups));
            close(&format!("{name}: {metric}"), got, &case[metric]);
        }
        let list = groups.as_list().unwrap();
        let p = group(list, case["privileged"].as_str().unwrap());
        for pair in case["aif360"].as_array().unwrap() {
            let u = group(list, pair["unprivileged"].as_str().unwrap());
            for metric in ["equal_opportunity_difference", "average_odds_difference"] {
                let got = number(metric, &[u.clone(), p.clone()]);
                close(&format!("{name}: {metric}"), got, &pair[metric]);
            }
        }
    }
}

#[test]
fn psi_matches_the_reference() {
    let g = golden();
    assert_eq!(g["psi_epsilon"].as_f64(), Some(builtins::PSI_EPSILON));
    let cases = g["psi"].as_array().unwrap();
    // The floor is exercised on both sides: an empty expected bin and an empty actual bin.
    let has_empty = |side: &str| {
        cases
            .iter()
            .any(|c| c[side].as_array().unwrap().iter().any(|x| x == 0))
    };
    assert!(has_empty("expected") && has_empty("actual"));
    for case in cases {
        let args = [
            value::from_json(&case["expected"]),
            value::from_json(&case["actual"]),
        ];
        let got = number("psi", &args);
        close(case["name"].as_str().unwrap(), got, &case["psi"]);
    }
}

fn record(fields: &[(&str, Value)]) -> Value {
    Value::Map(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect(),
    )
}

fn sel(name: &str, selected: f64, total: f64) -> Value {
    record(&[
        ("group", Value::String(name.into())),
        ("selected", Value::Number(selected)),
        ("total", Value::Number(total)),
    ])
}

fn conf(name: &str, tp: f64, fp: f64, tn: f64, fn_: f64) -> Value {
    record(&[
        ("group", Value::String(name.into())),
        ("tp", Value::Number(tp)),
        ("fp", Value::Number(fp)),
        ("tn", Value::Number(tn)),
        ("fn", Value::Number(fn_)),
    ])
}

#[test]
fn edge_cases_are_errors_not_nan() {
    let list = |v: Vec<Value>| Value::List(v);
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        (
            "demographic_parity_difference",
            vec![list(vec![])],
            "a comparison between groups needs at least two groups, found 0",
        ),
        (
            "demographic_parity_difference",
            vec![list(vec![sel("a", 3.0, 10.0)])],
            "a comparison between groups needs at least two groups, found 1",
        ),
        (
            "demographic_parity_difference",
            vec![list(vec![sel("a", 3.0, 10.0), sel("b", 0.0, 0.0)])],
            "group `b` has no members (`total` is 0): its selection rate is undefined",
        ),
        (
            "demographic_parity_ratio",
            vec![list(vec![sel("a", 0.0, 10.0), sel("b", 0.0, 5.0)])],
            "every group has a selection rate of 0: the ratio is undefined",
        ),
        (
            "demographic_parity_difference",
            vec![list(vec![sel("a", 12.0, 10.0), sel("b", 1.0, 5.0)])],
            "group `a`: `selected` (12) is more than `total` (10)",
        ),
        (
            "demographic_parity_difference",
            vec![list(vec![sel("a", 1.0, 10.0), sel("a", 1.0, 5.0)])],
            "group `a` appears more than once",
        ),
        (
            "demographic_parity_difference",
            vec![list(vec![sel("a", -1.0, 10.0), sel("b", 1.0, 5.0)])],
            "group `a`: `selected` is -1; counts must be non-negative numbers",
        ),
        (
            "equalized_odds_difference",
            vec![list(vec![
                conf("a", 0.0, 3.0, 7.0, 0.0),
                conf("b", 5.0, 1.0, 4.0, 2.0),
            ])],
            "group `a` has no actual positives (`tp` + `fn` is 0): its true positive rate is undefined",
        ),
        (
            "equalized_odds_ratio",
            vec![list(vec![
                conf("a", 4.0, 0.0, 0.0, 1.0),
                conf("b", 5.0, 1.0, 4.0, 2.0),
            ])],
            "group `a` has no actual negatives (`fp` + `tn` is 0): its false positive rate is undefined",
        ),
        (
            "equalized_odds_difference",
            vec![list(vec![
                record(&[("group", Value::String("a".into()))]),
                conf("b", 5.0, 1.0, 4.0, 2.0),
            ])],
            "group `a` has no `tp`",
        ),
        (
            "equal_opportunity_difference",
            vec![conf("u", 0.0, 1.0, 1.0, 0.0), conf("p", 1.0, 1.0, 1.0, 1.0)],
            "group `u` has no actual positives (`tp` + `fn` is 0): its true positive rate is undefined",
        ),
        (
            "statistical_parity_difference",
            vec![
                Value::Number(0.0),
                Value::Number(0.0),
                Value::Number(3.0),
                Value::Number(9.0),
            ],
            "the unprivileged group has no members (its total is 0)",
        ),
        (
            "disparate_impact",
            vec![
                Value::Number(3.0),
                Value::Number(9.0),
                Value::Number(0.0),
                Value::Number(9.0),
            ],
            "the privileged group has a selection rate of zero",
        ),
        (
            "psi",
            vec![
                list(vec![Value::Number(1.0)]),
                list(vec![Value::Number(1.0)]),
            ],
            "PSI needs at least two bins",
        ),
        (
            "psi",
            vec![
                list(vec![Value::Number(0.0), Value::Number(0.0)]),
                list(vec![Value::Number(1.0), Value::Number(1.0)]),
            ],
            "a distribution is empty",
        ),
    ];
    for (name, args, want) in cases {
        assert_eq!(call(name, &args), Err(want.to_string()), "{name}");
    }
}

fn record_ty(fields: &[(&str, Ty)]) -> Ty {
    Ty::Record(
        fields
            .iter()
            .map(|(k, t)| {
                (
                    (*k).to_string(),
                    Field {
                        ty: t.clone(),
                        optional: false,
                        span: None,
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
    )
}

#[test]
fn group_records_are_type_checked() {
    let check = |name: &str, args: &[Ty]| (builtins::lookup(name).unwrap().check)(args);
    let selection = Ty::List(Box::new(record_ty(&[
        ("group", Ty::String),
        ("selected", Ty::Number),
        ("total", Ty::Number),
    ])));
    assert_eq!(
        check(
            "demographic_parity_difference",
            std::slice::from_ref(&selection)
        ),
        Ok(Ty::Number)
    );
    assert_eq!(
        check("equalized_odds_difference", &[selection]),
        Err("expects records with `tp`, `fp`, `tn`, `fn`; these records have no `tp`".into())
    );
    let texty = Ty::List(Box::new(record_ty(&[
        ("selected", Ty::String),
        ("total", Ty::Number),
    ])));
    assert_eq!(
        check("demographic_parity_ratio", &[texty]),
        Err("`selected` must be a number, found string".into())
    );
    assert_eq!(
        check("demographic_parity_ratio", &[Ty::Number]),
        Err("expects a list of records with `selected`, `total`, found number".into())
    );
    let tp_fn = record_ty(&[("tp", Ty::Number), ("fn", Ty::Number)]);
    assert_eq!(
        check(
            "equal_opportunity_difference",
            &[tp_fn.clone(), tp_fn.clone()]
        ),
        Ok(Ty::Number)
    );
    assert_eq!(
        check("average_odds_difference", &[tp_fn.clone(), tp_fn]),
        Err(
            "argument 1: expects records with `tp`, `fp`, `tn`, `fn`; these records have no `fp`"
                .into()
        )
    );
}

#[test]
fn a_call_on_the_wrong_records_is_a_check_error() {
    let text = r#"
policy "p"
schema {
  model.id: string
  counts: list<{ group: string, selected: number, total: number }>?
}
tiers { low otherwise }
control F "f" { severity low assert equalized_odds_difference(counts) <= 0.1 }
"#;
    let (catalogs, _) = mrm::framework::Catalogs::embedded();
    let set = mrm::library::load(
        &[mrm::library::PolicySource::Text(
            "f.mrm".into(),
            text.into(),
        )],
        catalogs,
    );
    let d: Vec<_> = set
        .all_diagnostics()
        .into_iter()
        .filter(|d| d.code.as_str() == "check/type-mismatch")
        .collect();
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(
        d[0].message,
        "`equalized_odds_difference`: expects records with `tp`, `fp`, `tn`, `fn`; these records have no `tp`"
    );
}

#[test]
fn a_control_meeting_an_edge_case_reports_error_with_the_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.mrm"),
        r#"
policy "p"
schema {
  model.id: string
  counts: list<{ group: string, selected: number, total: number }>?
}
tiers { low otherwise }
control F "selection rates are close" {
  severity low
  assert demographic_parity_difference(counts) <= 0.1
}
"#,
    )
    .unwrap();
    let m = dir.path().join("repo/m");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(
        m.join("model.toml"),
        r#"
[model]
id = "m"
[[counts]]
group = "a"
selected = 4
total = 10
[[counts]]
group = "b"
selected = 0
total = 0
"#,
    )
    .unwrap();
    let run = mrm::engine::run(&mrm::engine::Request {
        repo: dir.path().join("repo"),
        policies: vec![dir.path().join("policy.mrm")],
        with_default: false,
        as_of: "2026-11-27".parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    })
    .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let c = &run.report.model("m").unwrap().controls[0];
    assert_eq!(c.status, Status::Error);
    let msg = c.error.as_deref().unwrap();
    assert!(
        msg.contains("group `b` has no members (`total` is 0): its selection rate is undefined"),
        "{msg}"
    );
}

#[test]
fn the_example_repository_recomputes_its_reported_figures() {
    let run = mrm::engine::run(&mrm::engine::Request {
        repo: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/acme-bank"),
        policies: Vec::new(),
        with_default: false,
        as_of: "2026-11-27".parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    })
    .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let status = |m: &str, c: &str| {
        run.report
            .model(m)
            .unwrap()
            .controls
            .iter()
            .find(|x| x.id == c)
            .unwrap()
            .status
    };
    // Selection counts back the reported disparate impact (0.72, 0.86) and parity gaps.
    assert_eq!(status("retail-credit-scoring", "MT-FAIR-01"), Status::Pass);
    assert_eq!(status("retail-credit-scoring", "MT-FAIR-02"), Status::Pass);
    // PSI bins back the reported PSI, shifted (0.31) or not (0.06).
    assert_eq!(status("card-fraud-detection", "MT-PSI-01"), Status::Pass);
    assert_eq!(status("retail-credit-scoring", "MT-PSI-01"), Status::Pass);
    assert_eq!(
        status("customer-service-chatbot", "MT-PSI-01"),
        Status::NotApplicable
    );
}
