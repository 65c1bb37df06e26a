//! Every report format, snapshot-tested on the same three runs of `tests/fixtures/report`: an
//! empty repository, a repository where every control passes, and one model with failures of
//! every severity (plus a model whose metadata cannot be read). SARIF is validated against the
//! SARIF 2.1.0 schema and OSCAL against the structure the assessment-results model requires.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use mrm::engine::{self, Request, Run};
use mrm::eval::{RunReport, Status};
use mrm::gaps::{self, ClauseStatus};
use mrm::report::{self, Context, Format, GapFormat};
use serde_json::Value as Json;

const CASES: [&str; 2] = ["all-pass", "mixed"];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report")
}

/// Runs a case at the fixture date, with the parts that vary between checkouts pinned: the
/// repository is named by its case, and the policy digest (which covers the shipped catalogs) is
/// replaced so catalog updates do not churn every snapshot.
fn run(case: &str) -> Run {
    let req = Request {
        repo: fixtures().join(case),
        // Shared by the cases, so named here: a repository's `mrm.toml` may not reach outside it.
        policies: vec![fixtures().join("policy.mrm")],
        with_default: false,
        as_of: "2026-11-27".parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    };
    let mut run = engine::run(&req).unwrap_or_else(|f| panic!("run failed: {:#?}", f.diagnostics));
    run.report.repository = format!("fixtures/{case}");
    run.report.policy.digest = "0".repeat(64);
    run
}

fn render(run: &Run, format: Format) -> String {
    let cx = Context {
        sources: &run.sources,
        color: false,
        quiet: false,
    };
    let mut buf = Vec::new();
    report::render(format, &run.report, &cx, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn render_gaps(run: &Run, format: GapFormat) -> String {
    let analysis = gaps::analyze(
        &run.report,
        &run.policy.catalogs,
        &run.policy.checked.program,
    );
    let cx = Context {
        sources: &run.sources,
        color: false,
        quiet: false,
    };
    let mut buf = Vec::new();
    report::render_gaps(format, &analysis, &cx, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn snapshot_all(format: Format, ext: &str) {
    for case in CASES {
        let r = run(case);
        let out = render(&r, format);
        // Same run, same bytes.
        assert_eq!(
            out,
            render(&run(case), format),
            "{case} {ext} is not deterministic"
        );
        insta::assert_snapshot!(format!("{ext}-{case}"), out);
    }
}

#[test]
fn text_snapshots() {
    snapshot_all(Format::Text, "txt");
}

#[test]
fn json_snapshots() {
    snapshot_all(Format::Json, "json");
}

/// The JSON result lists each control once; model outcomes name it by id, and only the controls
/// of the model's tier have outcomes (the others are counted).
#[test]
fn json_controls_are_listed_once_and_referenced_by_id() {
    let r = run("mixed");
    let doc: Json = serde_json::from_str(&render(&r, Format::Json)).unwrap();
    assert_eq!(doc["schema_version"], "2");
    let controls = doc["controls"].as_array().unwrap();
    let ids: BTreeSet<&str> = controls.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), controls.len());
    assert_eq!(controls.len(), r.policy.checked.program.controls.len());
    for c in controls {
        assert!(c["title"].is_string() && c["severity"].is_string() && c["tiers"].is_array());
    }
    let mut outcomes = 0;
    for m in doc["models"].as_array().unwrap() {
        let Some(tier) = m["tier"]["tier"].as_str() else {
            continue;
        };
        let counted: u64 = m["counts"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(counted as usize, controls.len());
        for o in m["controls"].as_array().unwrap() {
            outcomes += 1;
            let id = o["id"].as_str().unwrap();
            let c = controls.iter().find(|c| c["id"] == id).unwrap();
            assert!(
                c["tiers"].as_array().unwrap().iter().any(|t| t == tier),
                "{id} has an outcome for tier {tier}"
            );
            assert!(o.get("title").is_none() && o.get("maps").is_none());
        }
    }
    assert!(outcomes > 0);
}

#[test]
fn markdown_snapshots() {
    snapshot_all(Format::Markdown, "md");
}

#[test]
fn html_snapshots() {
    snapshot_all(Format::Html, "html");
}

#[test]
fn sarif_snapshots() {
    snapshot_all(Format::Sarif, "sarif");
}

#[test]
fn junit_snapshots() {
    snapshot_all(Format::Junit, "junit");
}

#[test]
fn oscal_snapshots() {
    snapshot_all(Format::Oscal, "oscal");
}

#[test]
fn gaps_snapshots() {
    for case in CASES {
        let r = run(case);
        for (format, ext) in [
            (GapFormat::Text, "txt"),
            (GapFormat::Markdown, "md"),
            (GapFormat::Csv, "csv"),
            (GapFormat::Json, "json"),
        ] {
            insta::assert_snapshot!(format!("gaps-{ext}-{case}"), render_gaps(&r, format));
        }
    }
}

// ---- SARIF --------------------------------------------------------------------------------------

#[test]
fn sarif_is_valid_against_the_2_1_0_schema() {
    let schema: Json = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    for case in CASES {
        let log: Json = serde_json::from_str(&render(&run(case), Format::Sarif)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{case}: {errors:#?}");
    }
    // The validator does reject what the schema forbids.
    let mut bad: Json = serde_json::from_str(&render(&run("mixed"), Format::Sarif)).unwrap();
    bad["runs"][0]["results"][0]["level"] = Json::from("fatal");
    bad["runs"][0]["columnKind"] = Json::from("bytes");
    assert_eq!(validator.iter_errors(&bad).count(), 2);
}

#[test]
fn sarif_results_follow_the_severity_and_point_at_the_failing_field() {
    let log: Json = serde_json::from_str(&render(&run("mixed"), Format::Sarif)).unwrap();
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let results = run["results"].as_array().unwrap();
    let find = |rule: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule && r["properties"]["model"] == "card-fraud")
            .unwrap_or_else(|| panic!("no result for {rule}"))
    };
    let fair = find("DR-FAIR");
    assert_eq!(fair["level"], "error");
    let loc = &fair["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "models/card-fraud/model.toml"
    );
    assert_eq!(loc["region"]["startLine"], 22);
    assert_eq!(loc["region"]["startColumn"], 20);
    assert_eq!(find("MV-REP")["level"], "warning");
    assert_eq!(find("SEC-TM")["level"], "note");
    assert_eq!(find("MV-VAL")["properties"]["status"], "blocked");
    assert_eq!(find("DQ-SCORE")["properties"]["status"], "error");
    assert_eq!(find("DOC-LIM")["suppressions"][0]["status"], "accepted");
    // Not yet in force: not a result.
    assert!(!results.iter().any(|r| r["ruleId"] == "AI-BIAS"));
    // The broken model is reported through its diagnostic code.
    let parse = results
        .iter()
        .find(|r| r["ruleId"] == "model/parse-error")
        .unwrap();
    assert_eq!(parse["level"], "error");
    // Every result names its rule by index, and rules carry clause tags and the fix.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(r.get("baselineState").is_none());
    }
    let rule = rules.iter().find(|r| r["id"] == "DR-FAIR").unwrap();
    let tags: Vec<&str> = rule["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tags.contains(&"nist-ai-rmf MEASURE 2.11"), "{tags:?}");
    assert!(
        rule["help"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Investigate")
    );
}

// ---- OSCAL --------------------------------------------------------------------------------------

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
        && b[14] == b'5'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

fn is_token(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn require<'a>(v: &'a Json, key: &str, at: &str) -> &'a Json {
    v.get(key)
        .unwrap_or_else(|| panic!("`{key}` is required in {at}: {v:#}"))
}

fn non_empty_array<'a>(v: &'a Json, key: &str, at: &str) -> &'a Vec<Json> {
    let a = require(v, key, at)
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` in {at} is not an array"));
    assert!(
        !a.is_empty(),
        "`{key}` in {at} must not be empty (minItems 1)"
    );
    a
}

/// Every array in an OSCAL document has at least one item, every `uuid` is unique, every prop
/// value is trimmed text.
fn walk(v: &Json, uuids: &mut BTreeSet<String>, path: &str) {
    match v {
        Json::Array(items) => {
            assert!(!items.is_empty(), "empty array at {path}");
            for (i, x) in items.iter().enumerate() {
                walk(x, uuids, &format!("{path}[{i}]"));
            }
        }
        Json::Object(map) => {
            if let Some(Json::String(u)) = map.get("uuid") {
                assert!(is_uuid(u), "bad uuid {u} at {path}");
                assert!(uuids.insert(u.clone()), "duplicate uuid {u} at {path}");
            }
            for (k, x) in map {
                walk(x, uuids, &format!("{path}.{k}"));
            }
        }
        Json::String(_) | Json::Number(_) | Json::Bool(_) | Json::Null => {}
    }
}

fn check_oscal(doc: &Json, report: &RunReport, case: &str) {
    let ar = require(doc, "assessment-results", case);
    for key in ["uuid", "metadata", "import-ap", "results"] {
        require(ar, key, "assessment-results");
    }
    let md = &ar["metadata"];
    for key in ["title", "last-modified", "version", "oscal-version"] {
        require(md, key, "metadata");
    }
    assert_eq!(md["oscal-version"], "1.1.2");
    assert_eq!(md["last-modified"], "2026-11-27T00:00:00Z");
    require(&ar["import-ap"], "href", "import-ap");
    let mut uuids = BTreeSet::new();
    walk(doc, &mut uuids, case);
    let resources: BTreeSet<String> = ar
        .get("back-matter")
        .map(|b| {
            non_empty_array(b, "resources", "back-matter")
                .iter()
                .map(|r| {
                    for l in non_empty_array(r, "rlinks", "resource") {
                        require(l, "href", "rlink");
                        for h in l
                            .get("hashes")
                            .and_then(Json::as_array)
                            .into_iter()
                            .flatten()
                        {
                            assert_eq!(h["algorithm"], "SHA-256");
                            assert_eq!(h["value"].as_str().unwrap().len(), 64);
                        }
                    }
                    format!("#{}", r["uuid"].as_str().unwrap())
                })
                .collect()
        })
        .unwrap_or_default();
    for result in non_empty_array(ar, "results", "assessment-results") {
        for key in ["uuid", "title", "description", "start", "reviewed-controls"] {
            require(result, key, "result");
        }
        let selections = non_empty_array(
            &result["reviewed-controls"],
            "control-selections",
            "reviewed-controls",
        );
        let mut selected = BTreeSet::new();
        for s in selections {
            for c in s
                .get("include-controls")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let id = require(c, "control-id", "include-controls")
                    .as_str()
                    .unwrap();
                assert!(is_token(id), "control-id `{id}` is not a token");
                selected.insert(id.to_string());
            }
        }
        let subjects: BTreeSet<&str> = result
            .get("local-definitions")
            .map(|l| {
                non_empty_array(l, "inventory-items", "local-definitions")
                    .iter()
                    .map(|i| {
                        require(i, "description", "inventory-item");
                        i["uuid"].as_str().unwrap()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut observations = BTreeSet::new();
        for o in result
            .get("observations")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            for key in ["uuid", "description", "methods", "collected"] {
                require(o, key, "observation");
            }
            assert_eq!(o["methods"], serde_json::json!(["TEST"]));
            for s in non_empty_array(o, "subjects", "observation") {
                assert_eq!(s["type"], "inventory-item");
                assert!(subjects.contains(s["subject-uuid"].as_str().unwrap()));
            }
            for e in o
                .get("relevant-evidence")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                require(e, "description", "relevant-evidence");
                assert!(resources.contains(e["href"].as_str().unwrap()));
            }
            observations.insert(o["uuid"].as_str().unwrap().to_string());
        }
        for f in result
            .get("findings")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            for key in ["uuid", "title", "description", "target"] {
                require(f, key, "finding");
            }
            let t = &f["target"];
            assert_eq!(t["type"], "objective-id");
            let id = t["target-id"].as_str().unwrap();
            assert!(
                selected.contains(id),
                "finding target `{id}` is not a reviewed control"
            );
            assert!(matches!(
                t["status"]["state"].as_str(),
                Some("satisfied" | "not-satisfied")
            ));
            for r in non_empty_array(f, "related-observations", "finding") {
                assert!(observations.contains(r["observation-uuid"].as_str().unwrap()));
            }
        }
    }
    check_oscal_observations(doc, report, case);
}

/// The value of the `urn:mrm` prop `name` of an OSCAL object.
fn oscal_prop<'a>(v: &'a Json, name: &str) -> Option<&'a str> {
    v.get("props")?
        .as_array()?
        .iter()
        .find(|p| p["name"] == name && p["ns"] == "urn:mrm")?["value"]
        .as_str()
}

/// The observations and findings say what the run found: a control that passes for some models
/// has one observation naming exactly those models; every open outcome has its own observation
/// naming its model, explaining itself and linking its evidence; outcomes that do not apply have
/// none; and each finding relates exactly the observations of the controls mapped to its clause.
fn check_oscal_observations(doc: &Json, report: &RunReport, case: &str) {
    let ar = &doc["assessment-results"];
    let result = &ar["results"][0];
    let resources: BTreeMap<String, &str> = ar["back-matter"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                format!("#{}", r["uuid"].as_str().unwrap()),
                r["rlinks"][0]["href"].as_str().unwrap(),
            )
        })
        .collect();
    let items = result["local-definitions"]["inventory-items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let item_of: BTreeMap<&str, &str> = items
        .iter()
        .map(|i| {
            (
                oscal_prop(i, "model-id").unwrap(),
                i["uuid"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        item_of.len(),
        report.models.len(),
        "{case}: inventory items"
    );

    // What the run found.
    let mut passed: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut open = BTreeMap::new();
    for m in &report.models {
        let item = item_of[m.id.as_str()];
        for c in &m.controls {
            if c.status == Status::Pass {
                passed.entry(c.id.as_str()).or_default().insert(item);
            }
        }
        for c in m.open() {
            open.insert((item, c.id.as_str()), (m, c));
        }
    }

    // What the document says.
    let observations = result
        .get("observations")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut grouped: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut own = BTreeSet::new();
    let mut control_of: BTreeMap<&str, &str> = BTreeMap::new();
    let model_findings: usize = report
        .models
        .iter()
        .map(|m| m.model_findings().count())
        .sum();
    let mut model_level = 0;
    for o in observations {
        let at = format!("{case}: observation {}", o["title"]);
        // A model that blocks on its own (unreadable metadata, a shared id): no control.
        if let Some(code) = oscal_prop(o, "diagnostic") {
            let m = report
                .models
                .iter()
                .find(|m| o["subjects"][0]["title"] == m.id.as_str())
                .unwrap_or_else(|| panic!("{at}: no such model"));
            assert!(
                m.model_findings().any(|d| d.code.as_str() == code),
                "{at}: not a finding of the model"
            );
            assert_eq!(oscal_prop(o, "blocking"), Some("true"), "{at}");
            model_level += 1;
            continue;
        }
        let control = oscal_prop(o, "control").unwrap_or_else(|| panic!("{at}: no control"));
        let status = oscal_prop(o, "status").unwrap_or_else(|| panic!("{at}: no status"));
        control_of.insert(o["uuid"].as_str().unwrap(), control);
        let subjects: Vec<&str> = o["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["subject-uuid"].as_str().unwrap())
            .collect();
        if status == "pass" {
            let set: BTreeSet<&str> = subjects.iter().copied().collect();
            assert_eq!(set.len(), subjects.len(), "{at}: a model is listed twice");
            assert!(
                grouped.insert(control, set).is_none(),
                "{at}: a second pass observation of {control}"
            );
            continue;
        }
        assert_eq!(subjects.len(), 1, "{at}: an open outcome has one subject");
        let key = (subjects[0], control);
        let (m, c) = open
            .get(&key)
            .unwrap_or_else(|| panic!("{at}: not an open outcome of the run"));
        assert!(own.insert(key), "{at}: observed twice");
        assert_eq!(status, c.status.as_str(), "{at}");
        assert_eq!(o["subjects"][0]["title"], m.id.as_str(), "{at}");
        assert_eq!(oscal_prop(o, "blocking").is_some(), c.blocking, "{at}");
        let description = o["description"].as_str().unwrap();
        let why: Vec<&str> = match c.status {
            Status::Blocked => c.blocked_by.iter().map(String::as_str).collect(),
            Status::Error => c.error.as_deref().into_iter().collect(),
            Status::Waived => c.waiver.iter().map(|w| w.ticket.as_str()).collect(),
            _ => c
                .findings
                .first()
                .and_then(|f| {
                    f.message
                        .as_deref()
                        .or(f.witnesses.first().map(|w| w.text.as_str()))
                })
                .into_iter()
                .collect(),
        };
        for w in why {
            assert!(description.contains(w), "{at}: `{description}` omits `{w}`");
        }
        let linked: BTreeSet<&str> = o
            .get("relevant-evidence")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .map(|e| {
                let path = resources[e["href"].as_str().unwrap()];
                assert_eq!(e["description"], path, "{at}");
                path
            })
            .collect();
        let present: BTreeSet<&str> = c
            .evidence
            .iter()
            .filter(|e| e.present)
            .map(|e| e.path.as_str())
            .collect();
        assert_eq!(linked, present, "{at}: relevant evidence");
    }
    assert_eq!(
        grouped, passed,
        "{case}: pass observations and passing models"
    );
    assert_eq!(
        own,
        open.keys().copied().collect(),
        "{case}: open outcomes without an observation"
    );
    assert_eq!(model_level, model_findings, "{case}: model findings");
    assert_eq!(
        observations.len(),
        passed.len() + open.len() + model_findings,
        "{case}: observations"
    );

    // Every evidence file present is a resource.
    for e in report
        .models
        .iter()
        .flat_map(|m| &m.controls)
        .flat_map(|c| &c.evidence)
        .filter(|e| e.present)
    {
        assert!(
            resources.values().any(|p| *p == e.path),
            "{case}: {} is not in the back-matter",
            e.path
        );
    }

    // Findings relate the observations of the controls mapped to their clause.
    for f in result
        .get("findings")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let (framework, clause) = (
            oscal_prop(f, "framework").unwrap(),
            oscal_prop(f, "clause").unwrap(),
        );
        let related: BTreeSet<&str> = f["related-observations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["observation-uuid"].as_str().unwrap())
            .collect();
        let behind: BTreeSet<&str> = control_of
            .iter()
            .filter(|(_, control)| {
                report
                    .control(control)
                    .unwrap()
                    .maps
                    .iter()
                    .any(|r| r.framework == framework && r.clause == clause)
            })
            .map(|(uuid, _)| *uuid)
            .collect();
        assert_eq!(related, behind, "{case}: {framework} {clause}");
    }
}

#[test]
fn oscal_has_the_structure_the_model_requires() {
    for case in CASES {
        let r = run(case);
        let doc: Json = serde_json::from_str(&render(&r, Format::Oscal)).unwrap();
        check_oscal(&doc, &r.report, case);
    }
}

/// One portfolio mixing both repositories: the controls that pass for card-fraud also pass for
/// the all-pass models, and their observations name all of them; card-fraud's open outcomes keep
/// their own, and so does an outcome with evidence on file made to fail.
#[test]
fn oscal_groups_passes_across_models_and_keeps_open_outcomes_apart() {
    let mut r = run("mixed");
    let other = run("all-pass");
    r.report.models.extend(other.report.models);
    r.report.models.sort_by(|a, b| a.id.cmp(&b.id));
    let credit = r.report.models.iter_mut().find(|m| m.id == "credit-pd");
    let op_mon = credit
        .unwrap()
        .controls
        .iter_mut()
        .find(|c| c.id == "OP-MON")
        .unwrap();
    assert!(op_mon.evidence.iter().any(|e| e.present));
    op_mon.status = Status::Fail;
    let doc: Json = serde_json::from_str(&render(&r, Format::Oscal)).unwrap();
    check_oscal(&doc, &r.report, "mixed and all-pass");
    let observations = doc["assessment-results"]["results"][0]["observations"]
        .as_array()
        .unwrap();
    let of = |control: &str, status: &str| {
        observations
            .iter()
            .filter(|o| {
                oscal_prop(o, "control") == Some(control) && oscal_prop(o, "status") == Some(status)
            })
            .map(|o| {
                o["subjects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["title"].as_str().unwrap())
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of("GV-OWN", "pass"),
        vec![vec!["branch-footfall", "card-fraud", "credit-pd"]]
    );
    assert_eq!(of("DR-FAIR", "pass"), vec![vec!["credit-pd"]]);
    assert_eq!(of("DR-FAIR", "fail"), vec![vec!["card-fraud"]]);
    assert_eq!(
        of("OP-MON", "pass"),
        vec![vec!["branch-footfall", "card-fraud"]]
    );
    assert_eq!(of("OP-MON", "fail"), vec![vec!["credit-pd"]]);
}

#[test]
fn oscal_findings_follow_the_gap_status() {
    let doc: Json = serde_json::from_str(&render(&run("mixed"), Format::Oscal)).unwrap();
    let findings = doc["assessment-results"]["results"][0]["findings"]
        .as_array()
        .unwrap();
    let state = |target: &str| {
        findings
            .iter()
            .find(|f| f["target"]["target-id"] == target)
            .map(|f| f["target"]["status"]["state"].as_str().unwrap().to_string())
    };
    assert_eq!(
        state("nist-ai-rmf_measure-2-11").as_deref(),
        Some("not-satisfied")
    );
    assert_eq!(state("sr-11-7_vi-3").as_deref(), Some("satisfied"));
    // Art 10(2)(f) is not in force at the fixture date: reviewed, but no finding.
    assert_eq!(state("eu-ai-act_art-10-2-f"), None);
    // Evidence files carry their hashes.
    let resources = doc["assessment-results"]["back-matter"]["resources"]
        .as_array()
        .unwrap();
    assert!(
        resources
            .iter()
            .any(|r| r["title"] == "models/card-fraud/monitoring/plan.md"
                && r["rlinks"][0]["hashes"][0]["value"].as_str().is_some())
    );
}

// ---- JUnit and HTML -----------------------------------------------------------------------------

#[test]
fn junit_has_one_suite_per_model_and_skips_what_does_not_bind() {
    let xml = render(&run("mixed"), Format::Junit);
    assert_eq!(xml.matches("<testsuite ").count(), 2);
    // card-fraud: 9 applicable controls; 2 pass, 5 fail (fail, blocked, error), 2 skipped.
    assert!(
        xml.contains(
            r#"<testsuite name="card-fraud" tests="9" skipped="2" errors="0" failures="5">"#
        ),
        "{xml}"
    );
}

#[test]
fn html_is_self_contained_and_escapes_user_text() {
    let html = render(&run("mixed"), Format::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in ["<link", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(external), "external asset: {external}");
    }
    assert!(html.contains("Card fraud &lt;detection&gt; | real-time"));
    assert!(!html.contains("<detection>"));
    assert!(html.contains("Sentinel &amp; Co"));
    assert!(html.contains(r#"id="model-card-fraud""#));
    assert!(html.contains(r##"href="#c-card-fraud-DR-FAIR""##));
    assert!(html.contains("@media print"));
    // Backticked paths in engine messages become code spans; the rest stays escaped.
    assert!(html.contains("<code>fairness[1].disparate_impact</code> = 0.74, expected &gt;= 0.8"));
}

// ---- gaps ---------------------------------------------------------------------------------------

#[test]
fn gap_statuses_follow_the_documented_rules() {
    let r = run("mixed");
    let g = gaps::analyze(&r.report, &r.policy.catalogs, &r.policy.checked.program);
    let status = |fw: &str, clause: &str| {
        let f = g.frameworks.iter().find(|f| f.id == fw).unwrap();
        let c = f
            .clauses
            .iter()
            .find(|c| c.id == clause)
            .unwrap_or_else(|| panic!("no clause {fw} {clause}"));
        let m = c.models.iter().find(|m| &*m.model == "card-fraud");
        (c.status, m.map(|m| (m.status, m.blocking)))
    };
    // DR-FAIR fails (critical): a blocking gap.
    assert_eq!(
        status("nist-ai-rmf", "MEASURE 2.11").1,
        Some((ClauseStatus::Gap, true))
    );
    // GV-OWN passes.
    assert_eq!(
        status("sr-11-7", "VI.3").1,
        Some((ClauseStatus::Met, false))
    );
    // DOC-LIM is waived.
    assert_eq!(
        status("iso-42001", "A.6.2.7").1,
        Some((ClauseStatus::Waived, false))
    );
    // Not in force at the fixture date.
    assert_eq!(
        status("eu-ai-act", "Art 10(2)(f)").1,
        Some((ClauseStatus::Upcoming, false))
    );
    // A medium error is a gap that does not block.
    assert_eq!(
        status("nist-ai-rmf", "MEASURE 2.4").1,
        Some((ClauseStatus::Gap, false))
    );
    // `V` is behind MV-REP (medium, fails) and, through `V.periodic-review`, MV-VAL (high,
    // blocked): a gap, but SR 11-7 is superseded by SR 26-2 since 2026-04-17, so by default its
    // gaps do not block.
    assert_eq!(status("sr-11-7", "V").1, Some((ClauseStatus::Gap, false)));
    // LOW-REV does not apply to a high-tier model.
    assert_eq!(
        status("sr-26-2", "III.proportionality"),
        (ClauseStatus::NotApplicable, None)
    );
    // The excluded article is out of scope, not uncovered.
    let eu = g.frameworks.iter().find(|f| f.id == "eu-ai-act").unwrap();
    assert!(eu.out_of_scope.iter().any(|c| c.id == "Art 5"));
    assert!(!eu.not_covered.iter().any(|c| c.id == "Art 5"));
    assert!(eu.not_covered.iter().any(|c| c.id == "Art 9"));
    // Roll-up: Art 10 gathers its points; the high tier has one model under it.
    let art10 = eu.groups.iter().find(|x| x.id == "Art 10").unwrap();
    assert_eq!(art10.by_tier["high"][&ClauseStatus::Upcoming], 1);
    assert_eq!(g.not_evaluated, vec!["broken".to_string()]);
    assert!(g.is_blocking());
}

#[test]
fn partial_means_some_controls_pass_and_the_rest_do_not_apply() {
    // sr-11-7 `V` is behind MV-REP (all tiers) and, through `V.periodic-review`, MV-VAL (high
    // only): for the low-tier model only MV-REP applies and passes.
    let r = run("all-pass");
    let g = gaps::analyze(&r.report, &r.policy.catalogs, &r.policy.checked.program);
    let sr = g.frameworks.iter().find(|f| f.id == "sr-11-7").unwrap();
    let v = sr.clauses.iter().find(|c| c.id == "V").unwrap();
    let of = |m: &str| v.models.iter().find(|x| &*x.model == m).unwrap().status;
    assert_eq!(of("credit-pd"), ClauseStatus::Met);
    assert_eq!(of("branch-footfall"), ClauseStatus::Partial);
    assert_eq!(v.status, ClauseStatus::Partial);
    assert!(!g.is_blocking());
}

#[test]
fn gaps_exit_code_follows_blocking_gaps() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = |case: &str, out: &mut Vec<u8>, err: &mut Vec<u8>| {
        let repo = fixtures().join(case);
        mrm::cli::run(
            [
                "mrm",
                "gaps",
                repo.to_str().unwrap(),
                "--as-of",
                "2026-11-27",
                "--format",
                "json",
                "--policy",
                fixtures().join("policy.mrm").to_str().unwrap(),
            ],
            out,
            err,
        )
    };
    assert_eq!(code("mixed", &mut out, &mut err), 1);
    assert_eq!(code("all-pass", &mut out, &mut err), 0);
    // A repository without models is a configuration error, never a pass.
    assert_eq!(code("empty", &mut out, &mut err), 2);
    assert!(
        String::from_utf8_lossy(&err).contains("model/none-found"),
        "{}",
        String::from_utf8_lossy(&err)
    );
}
