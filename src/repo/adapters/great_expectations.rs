//! Great Expectations validation results (`gx-validation.json` in the model folder).
//!
//! Read into `data_quality.great_expectations.*`: `success`, `statistics` (`evaluated_expectations`,
//! `successful_expectations`, `unsuccessful_expectations`, `success_percent`), `suite` (the
//! expectation suite's name) and `failed`, one `{ expectation, column }` record per unsuccessful
//! expectation. Both the 0.x (`expectation_type`, `meta.expectation_suite_name`) and the 1.x
//! (`type`, `suite_name`) layouts are read. Mapped: `data.quality_score` = `success_percent / 100`.

use std::collections::BTreeMap;

use super::super::load::parse_json;
use super::{Builder, Fragment, number, shape_error, string};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::value::Value;

const BASE: &str = "data_quality.great_expectations";
const STATISTICS: [&str; 4] = [
    "evaluated_expectations",
    "successful_expectations",
    "unsuccessful_expectations",
    "success_percent",
];

pub(super) fn read(source: &SourceFile) -> Result<Fragment, Diagnostic> {
    let (raw, locations) = parse_json(source)?;
    let Some(Value::Bool(success)) = raw.get("success") else {
        return Err(shape_error(
            source,
            "a Great Expectations validation result",
            "save the validation result (with `success`, `statistics` and `results`) as JSON",
        ));
    };
    let mut b = Builder::new(&locations);
    b.put(&format!("{BASE}.success"), Value::Bool(*success), "success");
    for key in STATISTICS {
        if let Some(n) = number(raw.get("statistics").and_then(|s| s.get(key))) {
            b.put(
                &format!("{BASE}.statistics.{key}"),
                Value::Number(n),
                &format!("statistics.{key}"),
            );
        }
    }
    let suite = string(raw.get("suite_name"))
        .map(|s| (s, "suite_name"))
        .or_else(|| {
            string(
                raw.get("meta")
                    .and_then(|m| m.get("expectation_suite_name")),
            )
            .map(|s| (s, "meta.expectation_suite_name"))
        });
    if let Some((suite, from)) = suite {
        b.put(&format!("{BASE}.suite"), Value::String(suite), from);
    }
    let mut failed = Vec::new();
    let mut spans = Vec::new();
    for (i, r) in raw
        .get("results")
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        if r.get("success") != Some(&Value::Bool(false)) {
            continue;
        }
        let config = r.get("expectation_config");
        let kind = string(config.and_then(|c| c.get("expectation_type")))
            .or_else(|| string(config.and_then(|c| c.get("type"))))
            .unwrap_or_else(|| "(unnamed expectation)".to_string());
        let mut rec = BTreeMap::new();
        rec.insert("expectation".to_string(), Value::String(kind));
        if let Some(column) = string(
            config
                .and_then(|c| c.get("kwargs"))
                .and_then(|k| k.get("column")),
        ) {
            rec.insert("column".to_string(), Value::String(column));
        }
        failed.push(Value::Map(rec));
        spans.push(format!("results[{i}]"));
    }
    b.put(&format!("{BASE}.failed"), Value::List(failed), "results");
    for (i, from) in spans.iter().enumerate() {
        b.locate(&format!("{BASE}.failed[{i}]"), from);
    }
    if let Some(pct) = number(raw.get("statistics").and_then(|s| s.get("success_percent"))) {
        b.put(
            "data.quality_score",
            Value::Number(pct / 100.0),
            "statistics.success_percent",
        );
    }
    Ok(b.finish())
}
