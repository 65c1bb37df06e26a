//! One synthetic model folder for the benchmarks that need many similar models (`check`,
//! `premerge`): a `model.toml` following the default schema and its validation report.

use std::path::Path;

/// Writes model `i` with disparate impact `di` under `root/models/m{i:05}/`.
pub fn write_model(root: &Path, i: usize, di: f64) -> std::io::Result<()> {
    let dir = root.join(format!("models/m{i:05}"));
    std::fs::create_dir_all(dir.join("validation"))?;
    let annex = if i.is_multiple_of(7) {
        "annex_iii = \"5(b)\"\n"
    } else {
        ""
    };
    let psi = (i % 40) as f64 / 100.0;
    let text = format!(
        r#"[model]
id = "m{i:05}"
name = "Synthetic model {i}"
version = "1.{v}.0"
status = "production"
purpose = "Synthetic benchmark model"
type = "classification"
documentation = "docs/model.md"

[roles]
owner = "owner{o}@bank.example"
developers = ["dev{i}@bank.example"]
validator = "validation@bank.example"

[impact]
financial_exposure = {exp}
customers_affected = {cust}
automated_decision = {auto}

[eu_ai_act]
{annex}roles = ["provider", "deployer"]

[data]
protected_attributes = ["sex", "age_band"]
provenance = "data/provenance.md"
training_end = 2025-12-31
label_date_max = 2025-12-01

[[performance]]
metric = "auc"
value = 0.81
dataset = "holdout"
threshold = 0.7

[[fairness]]
attribute = "sex"
group = "female"
reference = "male"
disparate_impact = {di}
demographic_parity_difference = 0.04
equalized_odds_difference = 0.03

[validation]
date = 2026-0{month}-15
validator = "validation@bank.example"
independent = true
report = "validation/report.md"
outcome = "approved"

[monitoring]
psi = {psi}
prediction_drift = 0.02
feature_drift_max = 0.05
fairness_di_min = {di}
latency_p95_ms = 120
flag_rate_change = 0.1
fallback = "rules-v1"
last_review = 2026-10-01
"#,
        v = i % 9,
        o = i % 50,
        exp = (i % 100) * 250_000,
        cust = (i % 60) * 500,
        auto = i.is_multiple_of(2),
        month = 1 + i % 9,
    );
    std::fs::write(dir.join("model.toml"), text)?;
    std::fs::write(
        dir.join("validation/report.md"),
        format!("# Validation report m{i:05}\n"),
    )
}
