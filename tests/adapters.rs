//! Adapters over `tests/fixtures/adapters/repo`: discovery of adapter-only models, the Value tree
//! each format loads into (asserted whole), `model.toml` precedence field by field, locations in
//! the right file, and located diagnostics for broken cards and descriptors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use mrm::eval::Status;
use mrm::repo::{self, Model, WorkTree};
use serde_json::json;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/adapters/repo")
}

fn models() -> Vec<Model> {
    let tree = WorkTree::new(fixture()).unwrap();
    let (found, diagnostics) = repo::discover(&tree).unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let set = mrm::library::embedded();
    repo::load_all(&tree, &found, &set.checked.program)
}

fn model<'a>(models: &'a [Model], dir: &str) -> &'a Model {
    models
        .iter()
        .find(|m| m.dir == dir)
        .unwrap_or_else(|| panic!("no model in {dir}"))
}

fn tree(m: &Model) -> serde_json::Value {
    serde_json::to_value(&m.value).unwrap()
}

fn at(m: &Model, path: &str) -> String {
    m.locate(path).to_string()
}

fn codes(m: &Model) -> Vec<(&str, &str)> {
    m.diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.message.as_str()))
        .collect()
}

#[test]
fn discovery_takes_mlmodel_model_cards_and_hugging_face_readmes() {
    let tree = WorkTree::new(fixture()).unwrap();
    let (found, _) = repo::discover(&tree).unwrap();
    assert_eq!(
        found,
        vec![
            ("broken-card".into(), "broken-card/README.md".into()),
            ("broken-mlmodel".into(), "broken-mlmodel/model.toml".into()),
            ("combined".into(), "combined/model.toml".into()),
            ("hf-sentiment".into(), "hf-sentiment/README.md".into()),
            ("mct-toxicity".into(), "mct-toxicity/model_card.json".into()),
            ("mlflow-churn".into(), "mlflow-churn/MLmodel".into()),
        ],
        "the root README (no front matter) and docs/README.md (front matter without \
         model-card keys) are not models"
    );
}

#[test]
fn hugging_face_card_loads_into_huggingface_model_and_performance() {
    let ms = models();
    let m = model(&ms, "hf-sentiment");
    assert!(m.parsed);
    let index = json!([{
        "name": "complaint-sentiment",
        "results": [
            {
                "task": { "type": "text-classification", "name": "Text Classification" },
                "dataset": { "name": "SST-2", "type": "stanfordnlp/sst2", "split": "validation" },
                "metrics": [
                    { "type": "accuracy", "value": 0.9106, "name": "Accuracy" },
                    { "type": "f1", "value": 0.9121 }
                ]
            },
            {
                "task": { "type": "text-classification" },
                "dataset": { "type": "internal/complaints-2026q3" },
                "metrics": [{ "type": "accuracy", "value": 0.874 }]
            }
        ]
    }]);
    assert_eq!(
        tree(m),
        json!({
            "huggingface": {
                "language": ["en"],
                "license": "apache-2.0",
                "base_model": "distilbert/distilbert-base-uncased",
                "datasets": ["stanfordnlp/sst2"],
                "library_name": "transformers",
                "pipeline_tag": "text-classification",
                "model_index": index
            },
            "model": { "name": "complaint-sentiment" },
            "performance": [
                { "metric": "accuracy", "value": 0.9106, "dataset": "SST-2" },
                { "metric": "f1", "value": 0.9121, "dataset": "SST-2" },
                { "metric": "accuracy", "value": 0.874, "dataset": "internal/complaints-2026q3" }
            ]
        })
    );
    assert_eq!(at(m, "huggingface.license"), "hf-sentiment/README.md:4:1");
    assert_eq!(at(m, "model.name"), "hf-sentiment/README.md:11:3");
    assert_eq!(at(m, "performance[1].value"), "hf-sentiment/README.md:25:7");
    assert_eq!(
        at(m, "performance[2].dataset"),
        "hf-sentiment/README.md:28:5"
    );
}

#[test]
fn mlflow_model_and_registered_model_load_into_mlflow() {
    let ms = models();
    let m = model(&ms, "mlflow-churn");
    let v = tree(m);
    assert_eq!(
        v["model"],
        json!({ "name": "retail-churn", "version": "7" })
    );
    let mlflow = &v["mlflow"];
    assert_eq!(mlflow["run_id"], "8c2b7e91d0f34a6b9e1c2d3f4a5b6c7d");
    assert_eq!(mlflow["model_uuid"], "4f6d2c1e9b8a4e0f8a7b6c5d4e3f2a1b");
    assert_eq!(mlflow["utc_time_created"], "2026-10-02 14:31:07.512344");
    assert_eq!(
        mlflow["flavor_names"],
        json!(["python_function", "sklearn"])
    );
    assert_eq!(mlflow["flavors"]["sklearn"]["sklearn_version"], "1.5.2");
    assert_eq!(
        mlflow["signature"],
        json!({
            "inputs": [
                { "type": "double", "name": "tenure_months", "required": true },
                { "type": "long", "name": "products_held", "required": true }
            ],
            "outputs": [{ "type": "tensor", "tensor-spec": { "dtype": "int64", "shape": [-1] } }],
            "params": null
        })
    );
    assert_eq!(
        mlflow["registered_model"],
        json!({
            "name": "retail-churn",
            "description": "Monthly churn propensity for retail current accounts",
            "creation_timestamp": 1727780000000_i64,
            "last_updated_timestamp": 1759415467000_i64,
            "versions": [{
                "name": "retail-churn",
                "version": "7",
                "current_stage": "None",
                "run_id": "8c2b7e91d0f34a6b9e1c2d3f4a5b6c7d",
                "status": "READY",
                "source": "models:/m-4f6d2c1e9b8a4e0f"
            }],
            "aliases": { "champion": "7", "challenger": "8" },
            "tags": {
                "owner": "crm-analytics@bank.example",
                "validation_status": "approved"
            }
        })
    );
    assert_eq!(at(m, "mlflow.run_id"), "mlflow-churn/MLmodel:19:1");
    assert_eq!(
        at(m, "model.name"),
        "mlflow-churn/registered-model.json:3:5"
    );
    assert_eq!(
        at(m, "model.version"),
        "mlflow-churn/registered-model.json:21:5"
    );
}

#[test]
fn model_card_toolkit_card_loads_into_model_card_and_the_schema() {
    let ms = models();
    let m = model(&ms, "mct-toxicity");
    let v = tree(m);
    assert_eq!(
        v["model"],
        json!({
            "name": "Chat toxicity filter",
            "version": "2.3.0",
            "intended_use": "Screening inbound chat messages in English and Welsh.",
            "limitations": "Not evaluated on code-switched messages.\nSarcasm is often missed."
        })
    );
    assert_eq!(v["roles"], json!({ "owner": "chat-ai@bank.example" }));
    assert_eq!(
        v["performance"],
        json!([
            { "metric": "precision", "value": 0.93, "dataset": "overall" },
            { "metric": "recall", "value": 0.88, "dataset": "messages in Welsh" }
        ])
    );
    let card: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture().join("mct-toxicity/model_card.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(v["model_card"], card, "the card is kept whole");
    assert_eq!(at(m, "roles.owner"), "mct-toxicity/model_card.json:6:5");
    assert_eq!(
        at(m, "performance[1].value"),
        "mct-toxicity/model_card.json:14:27"
    );
}

#[test]
fn adapter_only_models_say_which_adapter_produced_them() {
    let ms = models();
    let m = model(&ms, "mct-toxicity");
    let missing: Vec<&str> = m
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "model/missing-field")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        missing,
        vec![
            "`impact` is required but missing",
            "`model.id` is required but missing",
            "`model.purpose` is required but missing",
            "`model.status` is required but missing",
        ]
    );
    for d in &m.diagnostics {
        assert_eq!(
            d.notes,
            vec![
                "this model was read from its Model Card Toolkit `model_card.json` alone; fields \
                 that file does not hold go in `mct-toxicity/model.toml`, which wins over it \
                 field by field"
                    .to_string()
            ]
        );
    }
    assert_eq!(at(m, "model.id"), "mct-toxicity/model_card.json");
    let m = model(&ms, "mct-toxicity");
    assert_eq!(
        m.locate_nearest("model.id").to_string(),
        "mct-toxicity/model_card.json:3:5"
    );
}

#[test]
fn model_toml_wins_field_by_field_and_tools_fill_the_rest() {
    let ms = models();
    let m = model(&ms, "combined");
    assert!(m.diagnostics.is_empty(), "{:#?}", m.diagnostics);
    let v = tree(m);
    // model.toml over the model card (9.9.9) and the HF card's model-index name.
    assert_eq!(
        v["model"],
        json!({
            "id": "combined",
            "name": "Mortgage affordability scorer",
            "version": "3.1.0",
            "status": "production",
            "purpose": "Score mortgage affordability"
        })
    );
    assert_eq!(v["roles"], json!({ "owner": "mortgages@bank.example" }));
    assert_eq!(
        v["performance"],
        json!([{ "metric": "auc", "value": 0.81, "dataset": "holdout-2026" }])
    );
    assert_eq!(v["model_card"]["model_details"]["version"]["name"], "9.9.9");
    assert_eq!(
        v["mlflow"],
        json!({ "flavors": { "xgboost": { "xgb_version": "2.1.1" } }, "flavor_names": ["xgboost"], "run_id": "1d2c3b4a" })
    );
    assert_eq!(
        v["data_quality"],
        json!({ "great_expectations": {
            "success": false,
            "suite": "affordability_inputs",
            "statistics": {
                "evaluated_expectations": 4,
                "successful_expectations": 3,
                "unsuccessful_expectations": 1,
                "success_percent": 75
            },
            "failed": [{ "expectation": "expect_column_values_to_be_between", "column": "loan_to_value" }]
        }})
    );
    assert_eq!(v["data"], json!({ "quality_score": 0.75 }));
    assert_eq!(
        v["monitoring"],
        json!({
            "feature_drift_max": 0.02,
            "evidently": {
                "dataset_drift": false,
                "drift_share": 0.3333333333333333,
                "drift_share_threshold": 0.5,
                "drifted_columns": 1,
                "columns_checked": 3,
                "psi_max": 0.173,
                "columns": [
                    { "column": "income", "stattest": "PSI", "score": 0.041, "threshold": 0.1, "drift_detected": false },
                    { "column": "loan_to_value", "stattest": "PSI", "score": 0.173, "threshold": 0.1, "drift_detected": true },
                    { "column": "region", "stattest": "Jensen-Shannon distance", "score": 0.052, "threshold": 0.1, "drift_detected": false }
                ]
            }
        })
    );
    // Each field is located in the file it came from.
    assert_eq!(at(m, "model.name"), "combined/model.toml:3:8");
    assert_eq!(at(m, "model.version"), "combined/model.toml:4:11");
    assert_eq!(
        at(m, "monitoring.feature_drift_max"),
        "combined/model.toml:17:21"
    );
    assert_eq!(at(m, "performance[0].value"), "combined/README.md:10:7");
    assert_eq!(at(m, "mlflow.run_id"), "combined/MLmodel:4:1");
    assert_eq!(
        at(
            m,
            "data_quality.great_expectations.statistics.success_percent"
        ),
        "combined/gx-validation.json:7:5"
    );
    assert_eq!(
        at(m, "monitoring.evidently.psi_max"),
        "combined/evidently-report.json:34:13"
    );
    assert_eq!(
        at(m, "model_card.model_details.version.name"),
        "combined/model_card.json:4:18"
    );
}

#[test]
fn malformed_front_matter_is_a_located_diagnostic_for_that_model() {
    let ms = models();
    let m = model(&ms, "broken-card");
    assert!(!m.parsed);
    assert_eq!(
        codes(m),
        vec![(
            "model/parse-error",
            "invalid model card front matter: unclosed bracket '['"
        )]
    );
    let d = &m.diagnostics[0];
    assert_eq!(
        d.labels[0].location.to_string(),
        "broken-card/README.md:5:12"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("the front matter between the `---` lines must be valid YAML")
    );
}

#[test]
fn malformed_mlmodel_is_a_located_diagnostic_and_the_model_is_not_evaluated() {
    let ms = models();
    let m = model(&ms, "broken-mlmodel");
    // Fail closed: with part of its metadata unread, a control could pass or not apply for want
    // of the fields that file holds.
    assert!(!m.parsed);
    assert_eq!(
        codes(m),
        vec![(
            "model/parse-error",
            "invalid `MLmodel`: illegal placement of ':' indicator"
        )]
    );
    let d = &m.diagnostics[0];
    assert_eq!(
        d.labels[0].location.to_string(),
        "broken-mlmodel/MLmodel:5:11"
    );
    assert_eq!(
        d.notes,
        vec!["while reading the MLflow `MLmodel`".to_string()]
    );
    assert_eq!(tree(m)["model"]["name"], "Model with a damaged MLmodel");
    assert!(tree(m).get("mlflow").is_none());
    // Other models are unaffected.
    assert!(model(&ms, "combined").diagnostics.is_empty());
}

#[test]
fn unclosed_front_matter_is_located_at_its_opening() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("m")).unwrap();
    std::fs::write(
        dir.path().join("m/README.md"),
        "---\nlicense: mit\nmodel-index: []\n",
    )
    .unwrap();
    let tree = WorkTree::new(dir.path()).unwrap();
    let (found, _) = repo::discover(&tree).unwrap();
    let set = mrm::library::embedded();
    let ms = repo::load_all(&tree, &found, &set.checked.program);
    assert_eq!(
        codes(&ms[0]),
        vec![("model/parse-error", "model card front matter is not closed")]
    );
    assert_eq!(
        ms[0].diagnostics[0].labels[0].location.to_string(),
        "m/README.md:1:1"
    );
}

#[test]
fn adapter_evidence_is_evaluated_by_the_shipped_controls() {
    let run = mrm::engine::run(&mrm::engine::Request {
        repo: fixture(),
        policies: Vec::new(),
        with_default: false,
        as_of: "2026-11-27".parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    })
    .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let combined = run.report.model("combined").unwrap();
    let status = |id: &str| {
        combined
            .controls
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no control {id}"))
            .status
    };
    assert_eq!(status("MT-GX-01"), Status::Fail);
    assert_eq!(status("MT-EVID-01"), Status::Pass);
    let gx = combined
        .controls
        .iter()
        .find(|c| c.id == "MT-GX-01")
        .unwrap();
    let finding = &gx.findings[0];
    assert!(
        finding.message.as_deref().unwrap().contains("1 of 4"),
        "{}",
        finding.message.as_deref().unwrap()
    );
}

/// A temporary repository with one model folder holding `files`.
fn load_one(files: &[(&str, &str)]) -> Model {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    std::fs::create_dir(&m).unwrap();
    for (name, text) in files {
        std::fs::write(m.join(name), text).unwrap();
    }
    let tree = WorkTree::new(dir.path()).unwrap();
    let (found, _) = repo::discover(&tree).unwrap();
    let set = mrm::library::embedded();
    let mut ms = repo::load_all(&tree, &found, &set.checked.program);
    assert_eq!(ms.len(), 1);
    ms.pop().unwrap()
}

const MINIMAL_TOML: &str = r#"
[model]
id = "m"
name = "m"
version = "1"
status = "development"
purpose = "p"
[roles]
owner = "o@bank.example"
[impact]
financial_exposure = 0
customers_affected = 0
automated_decision = false
"#;

#[test]
fn other_layouts_of_the_tool_reports_are_read() {
    let m = load_one(&[
        ("model.toml", MINIMAL_TOML),
        (
            "gx-validation.json",
            r#"{ "success": true, "suite_name": "inputs_v1",
                 "statistics": { "evaluated_expectations": 2, "successful_expectations": 2,
                                 "unsuccessful_expectations": 0, "success_percent": 100.0 },
                 "results": [ { "success": true, "expectation_config": { "type": "expect_column_to_exist", "kwargs": { "column": "x" } } } ] }"#,
        ),
        (
            "evidently-report.json",
            r#"{ "metrics": [ { "metric": "ColumnDriftMetric",
                 "result": { "column_name": "score", "stattest_name": "Population Stability Index",
                             "drift_score": 0.12, "drift_detected": true } } ] }"#,
        ),
        (
            "registered-model.json",
            r#"{ "name": "m-registered", "versions": [ { "version": "3" } ],
                 "aliases": [ { "alias": "production", "version": "3" } ] }"#,
        ),
    ]);
    assert!(m.diagnostics.is_empty(), "{:#?}", m.diagnostics);
    let v = tree(&m);
    assert_eq!(
        v["data_quality"]["great_expectations"],
        json!({
            "success": true,
            "suite": "inputs_v1",
            "statistics": {
                "evaluated_expectations": 2,
                "successful_expectations": 2,
                "unsuccessful_expectations": 0,
                "success_percent": 100
            },
            "failed": []
        })
    );
    assert_eq!(
        v["monitoring"]["evidently"],
        json!({
            "columns": [{ "column": "score", "stattest": "Population Stability Index", "score": 0.12, "drift_detected": true }],
            "psi_max": 0.12
        })
    );
    assert_eq!(v["monitoring"]["feature_drift_max"], 0.12);
    // model.toml keeps its name and version over the registry's.
    assert_eq!(v["model"]["name"], "m");
    assert_eq!(v["model"]["version"], "1");
    assert_eq!(
        v["mlflow"]["registered_model"],
        json!({ "name": "m-registered", "versions": [{ "version": "3" }], "aliases": { "production": "3" } })
    );
}

#[test]
fn a_report_of_the_wrong_shape_is_a_diagnostic_naming_the_format() {
    let m = load_one(&[
        ("model.toml", MINIMAL_TOML),
        ("evidently-report.json", r#"{ "timestamp": "2026-11-01" }"#),
        ("gx-validation.json", "{ \"success\": tru }"),
    ]);
    assert!(!m.parsed);
    let found: Vec<(String, String, Vec<String>)> = m
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.message.clone(),
                d.labels[0].location.to_string(),
                d.notes.clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "invalid JSON: expected ident".to_string(),
                "m/gx-validation.json:1:17".to_string(),
                vec!["while reading the Great Expectations validation result".to_string()]
            ),
            (
                "`m/evidently-report.json` is not an Evidently report".to_string(),
                "m/evidently-report.json:1:1".to_string(),
                vec!["while reading the Evidently report".to_string()]
            ),
        ]
    );
}

#[test]
fn a_readme_beside_model_toml_without_card_keys_is_ignored() {
    let m = load_one(&[
        ("model.toml", MINIMAL_TOML),
        ("README.md", "---\ntitle: Scorecard\n---\n\n# Scorecard\n"),
    ]);
    assert!(m.diagnostics.is_empty(), "{:#?}", m.diagnostics);
    assert!(tree(&m).get("huggingface").is_none());
    assert!(m.extra_sources.is_empty());
}

#[cfg(unix)]
#[test]
fn an_adapter_file_linking_outside_the_repository_is_not_read() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("report.json");
    std::fs::write(&secret, r#"{ "metrics": [] }"#).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(m.join("model.toml"), MINIMAL_TOML).unwrap();
    std::os::unix::fs::symlink(&secret, m.join("evidently-report.json")).unwrap();
    let repo_tree = WorkTree::new(dir.path()).unwrap();
    let (found, _) = repo::discover(&repo_tree).unwrap();
    let set = mrm::library::embedded();
    let ms = repo::load_all(&repo_tree, &found, &set.checked.program);
    assert_eq!(
        codes(&ms[0]),
        vec![(
            "io/unreadable",
            "cannot read `m/evidently-report.json`: it resolves outside the repository"
        )]
    );
    assert!(tree(&ms[0]).get("monitoring").is_none());
}
