//! One synthetic model folder for the benchmarks that need many similar models (`check`,
//! `premerge`, and the regorus comparison in `benches/peer/`): a `model.toml` following the
//! default schema and the evidence files it references.
//!
//! How many models and how heavy each is come from the environment or the command line (see
//! [`Settings`]):
//!
//! - `MRM_BENCH_MODELS` — the model count, or a comma-separated list of counts
//!   (`1000,10000,100000`) for the benchmarks that run at several sizes.
//! - `MRM_BENCH_HEAVY` — the heaviness: `light` (the default, `1,1`), `heavy` (`10,12`) or
//!   `RECORDS,EVIDENCE`. `RECORDS` is the number of entries in each list the policies quantify
//!   over: `performance`, `fairness` and, from 2, the periodic monitoring results in
//!   `performance_stability`. `EVIDENCE` is the number of evidence files written per model: the
//!   first 20 are referenced from the metadata (validation report, model documentation, data
//!   provenance, monitoring plan, ...), any further ones are attachments nothing references.
//!
//! `--models N[,N...]` and `--heavy SPEC` on the command line override the environment; a bare
//! number that is not another option's value is read as `--models` (`cargo bench --bench check --
//! 2000`).
//!
//! The same model index and shape always give the same bytes. Most controls pass; fixed fractions
//! of the models fail fairness, performance, stability or evidence controls, so evaluation
//! explains failures as well as passes.

#![allow(
    dead_code,
    reason = "included by several benchmarks, each of which uses part of it"
)]

use std::fmt::Write as _;
use std::path::Path;

/// How heavy one synthetic model is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Entries in `performance`, `fairness` and (from 2) `performance_stability`.
    pub records: usize,
    /// Evidence files per model (at least 1, the validation report).
    pub evidence: usize,
}

impl Shape {
    /// One record per list, one evidence file: the shape the benchmarks have always used.
    pub const LIGHT: Shape = Shape {
        records: 1,
        evidence: 1,
    };
    /// Ten records per list and twelve evidence files.
    pub const HEAVY: Shape = Shape {
        records: 10,
        evidence: 12,
    };

    /// Reads `light`, `heavy`, `RECORDS` or `RECORDS,EVIDENCE`.
    pub fn parse(spec: &str) -> Result<Shape, String> {
        let spec = spec.trim();
        match spec {
            "light" => return Ok(Shape::LIGHT),
            "heavy" => return Ok(Shape::HEAVY),
            _ => {}
        }
        let bad =
            || format!("heaviness `{spec}`: expected light, heavy, RECORDS or RECORDS,EVIDENCE");
        let mut parts = spec.split(',').map(|p| p.trim().parse::<usize>());
        let records = parts.next().and_then(Result::ok).ok_or_else(bad)?;
        let evidence = match parts.next() {
            Some(p) => p.map_err(|_| bad())?,
            None => Shape::LIGHT.evidence,
        };
        if parts.next().is_some() || records == 0 || evidence == 0 {
            return Err(bad());
        }
        Ok(Shape { records, evidence })
    }

    /// `records,evidence`, as [`Shape::parse`] reads it.
    pub fn spec(&self) -> String {
        format!("{},{}", self.records, self.evidence)
    }
}

/// Model counts and shape for one benchmark run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub models: Vec<usize>,
    pub shape: Shape,
}

impl Settings {
    /// Reads `MRM_BENCH_MODELS` and `MRM_BENCH_HEAVY`, then `--models`, `--heavy` and bare numbers
    /// from `args` (which override the environment). Other arguments are left to the caller.
    pub fn read(default_models: &[usize], args: &[String]) -> Result<Settings, String> {
        let mut models = match std::env::var("MRM_BENCH_MODELS") {
            Ok(v) if !v.trim().is_empty() => counts(&v)?,
            _ => default_models.to_vec(),
        };
        let mut shape = match std::env::var("MRM_BENCH_HEAVY") {
            Ok(v) if !v.trim().is_empty() => Shape::parse(&v)?,
            _ => Shape::LIGHT,
        };
        let mut it = args.iter();
        let mut prev: Option<&String> = None;
        while let Some(a) = it.next() {
            // A number right after another option is that option's value (`--rounds 3`).
            let after_option = prev.is_some_and(|p| p.starts_with("--") && p != "--bench");
            prev = Some(a);
            if let Some(v) = a.strip_prefix("--models=") {
                models = counts(v)?;
            } else if a == "--models" {
                models = counts(it.next().ok_or("--models needs a value")?)?;
            } else if let Some(v) = a.strip_prefix("--heavy=") {
                shape = Shape::parse(v)?;
            } else if a == "--heavy" {
                shape = Shape::parse(it.next().ok_or("--heavy needs a value")?)?;
            } else if !after_option
                && a.chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == '_')
                && a.chars().any(|c| c.is_ascii_digit())
            {
                models = counts(a)?;
            }
        }
        if models.is_empty() {
            return Err("no model count".to_string());
        }
        Ok(Settings { models, shape })
    }
}

/// `1000,10_000` → `[1000, 10000]`.
fn counts(s: &str) -> Result<Vec<usize>, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            p.trim()
                .replace('_', "")
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("model count `{p}` is not a positive number"))
        })
        .collect()
}

/// Evidence files in the order they are added: metadata section, key, file inside the model folder.
/// The first three keys are always in the metadata (the validation report, the documentation and
/// the data provenance), so a light model references two files it does not have.
const EVIDENCE: [(&str, &str, &str); 20] = [
    ("validation", "report", "validation/report.md"),
    ("model", "documentation", "docs/model.md"),
    ("data", "provenance", "data/provenance.md"),
    ("monitoring", "plan", "monitoring/plan.md"),
    (
        "validation",
        "conceptual_soundness",
        "validation/conceptual-soundness.md",
    ),
    (
        "validation",
        "outcomes_analysis",
        "validation/outcomes-analysis.md",
    ),
    ("validation", "backtest", "validation/backtest.md"),
    ("validation", "benchmark", "validation/benchmark.md"),
    (
        "validation",
        "sensitivity_analysis",
        "validation/sensitivity.md",
    ),
    (
        "validation",
        "explainability",
        "validation/explainability.md",
    ),
    ("validation", "robustness", "validation/robustness.md"),
    ("security", "threat_model", "security/threat-model.md"),
    ("monitoring", "rollback", "runbooks/rollback.md"),
    ("incidents", "process", "runbooks/incidents.md"),
    ("monitoring", "human_oversight", "runbooks/oversight.md"),
    ("risk", "assessment", "risk/assessment.md"),
    ("impact", "assessment", "risk/impact-assessment.md"),
    ("data", "quality_report", "data/quality.md"),
    ("data", "leakage_check", "data/leakage.md"),
    ("model", "resources", "docs/resources.md"),
];

/// Metrics of the performance records after the first; those after `brier` are errors, where
/// lower is better.
const METRICS: [&str; 10] = [
    "auc",
    "gini",
    "ks",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "brier",
    "log_loss",
    "rmse",
];

/// Age bands compared with the reference band `36-50`.
const AGE_BANDS: [&str; 4] = ["18-25", "26-35", "51-65", "65+"];

/// The metadata keys of `section` that reference evidence in a model of `shape`, as TOML lines.
fn evidence_lines(section: &str, shape: &Shape) -> String {
    let mut out = String::new();
    for (k, (sec, key, file)) in EVIDENCE.iter().enumerate() {
        // The first three are written where the light model always had them.
        if k >= 3 && k < shape.evidence && *sec == section {
            let _ = writeln!(out, "{key} = \"{file}\"");
        }
    }
    out
}

/// The disparate impact of model `i` in a repository of the `check` benchmark and the peer
/// comparison: 0.70 to 0.99 in turn, so a third of the models fail the four-fifths rule.
pub fn disparate_impact(i: usize) -> f64 {
    0.70 + (i % 30) as f64 / 100.0
}

/// Writes model `i` of `shape` with disparate impact `di` under `root/models/m{i:05}/`.
pub fn write_model(root: &Path, i: usize, di: f64, shape: &Shape) -> std::io::Result<()> {
    let dir = root.join(format!("models/m{i:05}"));
    std::fs::create_dir_all(dir.join("validation"))?;
    let annex = if i.is_multiple_of(7) {
        "annex_iii = \"5(b)\"\n"
    } else {
        ""
    };
    let psi = (i % 40) as f64 / 100.0;
    let ev = |section: &str| evidence_lines(section, shape);
    let mut text = format!(
        r#"[model]
id = "m{i:05}"
name = "Synthetic model {i}"
version = "1.{v}.0"
status = "production"
purpose = "Synthetic benchmark model"
type = "classification"
documentation = "docs/model.md"
{model_ev}
[roles]
owner = "owner{o}@bank.example"
developers = ["dev{i}@bank.example"]
validator = "validation@bank.example"

[impact]
financial_exposure = {exp}
customers_affected = {cust}
automated_decision = {auto}
{impact_ev}
[eu_ai_act]
{annex}roles = ["provider", "deployer"]

[data]
protected_attributes = ["sex", "age_band"]
provenance = "data/provenance.md"
training_end = 2025-12-31
label_date_max = 2025-12-01
{data_ev}
[[performance]]
metric = "auc"
value = 0.81
dataset = "holdout"
threshold = 0.7
"#,
        v = i % 9,
        o = i % 50,
        exp = (i % 100) * 250_000,
        cust = (i % 60) * 500,
        auto = i.is_multiple_of(2),
        model_ev = ev("model"),
        impact_ev = ev("impact"),
        data_ev = ev("data"),
    );
    for k in 1..shape.records {
        let metric = METRICS[k % METRICS.len()];
        let lower = metric == "brier" || metric == "log_loss" || metric == "rmse";
        // One model in 13 misses the threshold of its second metric.
        let miss = k == 1 && i.is_multiple_of(13);
        let (value, threshold) = match (lower, miss) {
            (false, false) => (0.75 + (k % 5) as f64 / 100.0, 0.6),
            (false, true) => (0.55, 0.6),
            (true, _) => (0.12 + (k % 3) as f64 / 100.0, 0.2),
        };
        let _ = write!(
            text,
            "\n[[performance]]\nmetric = \"{metric}\"\nvalue = {value:.2}\ndataset = \"{dataset}\"\nthreshold = {threshold}\n{lib}",
            dataset = if k % 2 == 0 { "holdout" } else { "out-of-time" },
            lib = if lower {
                "lower_is_better = true\n"
            } else {
                ""
            },
        );
    }
    let _ = write!(
        text,
        r#"
[[fairness]]
attribute = "sex"
group = "female"
reference = "male"
disparate_impact = {di}
demographic_parity_difference = 0.04
equalized_odds_difference = 0.03
"#
    );
    for k in 1..shape.records {
        let (attribute, group, reference) = if k % 2 == 1 {
            ("age_band", AGE_BANDS[(k / 2) % AGE_BANDS.len()], "36-50")
        } else {
            ("sex", "non-binary", "male")
        };
        let _ = write!(
            text,
            "\n[[fairness]]\nattribute = \"{attribute}\"\ngroup = \"{group}\"\nreference = \"{reference}\"\n\
             disparate_impact = {gdi:.2}\ndemographic_parity_difference = {dpd:.2}\nequalized_odds_difference = 0.05\n",
            gdi = 0.84 + ((i + k) % 15) as f64 / 100.0,
            dpd = 0.02 + ((i + k) % 5) as f64 / 100.0,
        );
    }
    if shape.records >= 2 {
        // One model in 17 moves by more than 0.05 between two periods.
        for k in 0..shape.records {
            let jump = if k == shape.records - 1 && i.is_multiple_of(17) {
                0.07
            } else {
                0.0
            };
            let _ = write!(
                text,
                "\n[[performance_stability]]\nperiod = \"{year}Q{q}\"\nmetric = \"auc\"\nvalue = {value:.2}\n",
                year = 2020 + k / 4,
                q = 1 + k % 4,
                value = 0.80 + (k % 3) as f64 / 100.0 - jump,
            );
        }
    }
    let _ = write!(
        text,
        r#"
[validation]
date = 2026-0{month}-15
validator = "validation@bank.example"
independent = true
report = "validation/report.md"
outcome = "approved"
{validation_ev}
[monitoring]
psi = {psi}
prediction_drift = 0.02
feature_drift_max = 0.05
fairness_di_min = {di}
latency_p95_ms = 120
flag_rate_change = 0.1
fallback = "rules-v1"
last_review = 2026-10-01
{monitoring_ev}"#,
        month = 1 + i % 9,
        validation_ev = ev("validation"),
        monitoring_ev = ev("monitoring"),
    );
    for section in ["security", "incidents", "risk"] {
        let lines = ev(section);
        if !lines.is_empty() {
            let _ = write!(text, "\n[{section}]\n{lines}");
        }
    }
    std::fs::write(dir.join("model.toml"), text)?;
    std::fs::write(
        dir.join("validation/report.md"),
        format!("# Validation report m{i:05}\n"),
    )?;
    for k in 1..shape.evidence {
        let file = match EVIDENCE.get(k) {
            Some((_, _, file)) => (*file).to_string(),
            None => format!("attachments/a{k:02}.md"),
        };
        // One model in 11 lacks its last evidence file.
        if k == shape.evidence - 1 && i.is_multiple_of(11) {
            continue;
        }
        let path = dir.join(&file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(
            path,
            format!("# {file} for m{i:05}\n\nSynthetic evidence.\n"),
        )?;
    }
    Ok(())
}
