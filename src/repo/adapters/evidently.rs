//! Evidently reports saved as JSON (`evidently-report.json` in the model folder).
//!
//! Reads the `metrics` list of a report (`Report.save_json` / `Report.json()`): the
//! `DatasetDriftMetric` / `DataDriftTable` results and any `ColumnDriftMetric`. Into
//! `monitoring.evidently.*`: `dataset_drift` (bool), `drift_share` (share of drifted columns),
//! `drift_share_threshold` (the share at which Evidently declares dataset drift),
//! `drifted_columns`, `columns_checked`, `columns` (one `{ column, stattest, score, threshold,
//! drift_detected }` record per column) and `psi_max`, the largest score among columns tested
//! with PSI. Mapped: `monitoring.feature_drift_max` = `psi_max` (the schema's feature drift is on
//! the PSI scale, so other tests' scores are not mapped).

use std::collections::BTreeMap;

use super::super::load::parse_json;
use super::{Builder, Fragment, number, shape_error, string};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::value::Value;

const BASE: &str = "monitoring.evidently";

pub(super) fn read(source: &SourceFile) -> Result<Fragment, Diagnostic> {
    let (raw, locations) = parse_json(source)?;
    let Some(metrics) = raw.get("metrics").and_then(Value::as_list) else {
        return Err(shape_error(
            source,
            "an Evidently report",
            "save the report with `Report.save_json` (a `metrics` list of `{ metric, result }`)",
        ));
    };
    let mut b = Builder::new(&locations);
    let mut columns: Vec<(Value, String)> = Vec::new();
    let mut psi_max: Option<(f64, String)> = None;
    let mut column = |result: &Value, from: String, out: &mut Vec<(Value, String)>| {
        let (Some(name), Some(score)) = (
            string(result.get("column_name")),
            number(result.get("drift_score")),
        ) else {
            return;
        };
        let stattest = string(result.get("stattest_name"));
        let mut rec = BTreeMap::new();
        rec.insert("column".to_string(), Value::String(name));
        rec.insert("score".to_string(), Value::Number(score));
        if let Some(t) = number(result.get("stattest_threshold")) {
            rec.insert("threshold".to_string(), Value::Number(t));
        }
        if let Some(Value::Bool(d)) = result.get("drift_detected") {
            rec.insert("drift_detected".to_string(), Value::Bool(*d));
        }
        if let Some(s) = &stattest {
            rec.insert("stattest".to_string(), Value::String(s.clone()));
            let is_psi = s.to_ascii_lowercase().contains("psi")
                || s.to_ascii_lowercase().contains("population stability");
            if is_psi && psi_max.as_ref().is_none_or(|(m, _)| score > *m) {
                psi_max = Some((score, format!("{from}.drift_score")));
            }
        }
        out.push((Value::Map(rec), from));
    };
    for (i, m) in metrics.iter().enumerate() {
        let kind = string(m.get("metric")).unwrap_or_default();
        let Some(result) = m.get("result") else {
            continue;
        };
        let from = format!("metrics[{i}].result");
        match kind.as_str() {
            "DatasetDriftMetric" | "DataDriftTable" => {
                for (key, to) in [
                    ("dataset_drift", "dataset_drift"),
                    ("share_of_drifted_columns", "drift_share"),
                    ("drift_share", "drift_share_threshold"),
                    ("number_of_drifted_columns", "drifted_columns"),
                    ("number_of_columns", "columns_checked"),
                ] {
                    if let Some(v @ (Value::Bool(_) | Value::Number(_))) = result.get(key) {
                        b.put(&format!("{BASE}.{to}"), v.clone(), &format!("{from}.{key}"));
                    }
                }
                if let Some(Value::Map(by)) = result.get("drift_by_columns") {
                    for (name, r) in by {
                        column(r, format!("{from}.drift_by_columns.{name}"), &mut columns);
                    }
                }
            }
            "ColumnDriftMetric" => column(result, from, &mut columns),
            _ => {}
        }
    }
    if !columns.is_empty() {
        let (values, spans): (Vec<Value>, Vec<String>) = columns.into_iter().unzip();
        b.put(&format!("{BASE}.columns"), Value::List(values), "metrics");
        for (i, from) in spans.iter().enumerate() {
            let to = format!("{BASE}.columns[{i}]");
            b.locate(&to, from);
            b.locate(&format!("{to}.score"), &format!("{from}.drift_score"));
        }
    }
    if let Some((psi, from)) = psi_max {
        b.put(&format!("{BASE}.psi_max"), Value::Number(psi), &from);
        b.put("monitoring.feature_drift_max", Value::Number(psi), &from);
    }
    Ok(b.finish())
}
