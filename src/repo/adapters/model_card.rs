//! Google Model Card Toolkit cards (`model_card.json`).
//!
//! The card goes under `model_card.*` as written. Mapped into the schema: `model.name` and
//! `model.version` (`model_details.version.name`), `roles.owner` (the first owner's `contact`,
//! else `name`), `model.intended_use` and `model.limitations` (the `considerations.use_cases` and
//! `considerations.limitations` descriptions joined), and one `performance[]` record per
//! `quantitative_analysis.performance_metrics` entry with a numeric value (`metric` = `type`,
//! `dataset` = `slice`, or `overall` when the metric is not sliced). The toolkit's `threshold` is
//! a decision threshold, not an acceptance threshold, so it is not mapped.

use std::collections::BTreeMap;

use super::super::load::parse_json;
use super::{Builder, Fragment, keep, number, shape_error, string};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::value::Value;

pub(super) fn read(source: &SourceFile) -> Result<Fragment, Diagnostic> {
    let (raw, locations) = parse_json(source)?;
    if !matches!(raw, Value::Map(_)) {
        return Err(shape_error(
            source,
            "a Model Card Toolkit card",
            "the card is a JSON object with `model_details`, `quantitative_analysis` and `considerations`",
        ));
    }
    let mut b = Builder::new(&locations);
    b.graft("model_card", &raw, keep);
    let details = raw.get("model_details");
    if let Some(name) = string(details.and_then(|d| d.get("name"))) {
        b.put("model.name", Value::String(name), "model_details.name");
    }
    if let Some(version) = string(
        details
            .and_then(|d| d.get("version"))
            .and_then(|v| v.get("name")),
    ) {
        b.put(
            "model.version",
            Value::String(version),
            "model_details.version.name",
        );
    }
    let owners = details
        .and_then(|d| d.get("owners"))
        .and_then(Value::as_list)
        .unwrap_or(&[]);
    if let Some(owner) = owners
        .first()
        .and_then(|o| string(o.get("contact")).or_else(|| string(o.get("name"))))
    {
        b.put(
            "roles.owner",
            Value::String(owner),
            "model_details.owners[0]",
        );
    }
    let considerations = raw.get("considerations");
    for (from, to) in [
        ("use_cases", "model.intended_use"),
        ("limitations", "model.limitations"),
    ] {
        let items = considerations
            .and_then(|c| c.get(from))
            .and_then(Value::as_list)
            .unwrap_or(&[]);
        let text: Vec<String> = items
            .iter()
            .filter_map(|i| string(i.get("description")))
            .collect();
        if !text.is_empty() {
            b.put(
                to,
                Value::String(text.join("\n")),
                &format!("considerations.{from}"),
            );
        }
    }
    let metrics = raw
        .get("quantitative_analysis")
        .and_then(|q| q.get("performance_metrics"))
        .and_then(Value::as_list)
        .unwrap_or(&[]);
    let mut performance = Vec::new();
    let mut spans = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        let (Some(metric), Some(value)) = (string(m.get("type")), number(m.get("value"))) else {
            continue;
        };
        let mut rec = BTreeMap::new();
        rec.insert("metric".to_string(), Value::String(metric));
        rec.insert("value".to_string(), Value::Number(value));
        rec.insert(
            "dataset".to_string(),
            Value::String(string(m.get("slice")).unwrap_or_else(|| "overall".to_string())),
        );
        performance.push(Value::Map(rec));
        spans.push(format!("quantitative_analysis.performance_metrics[{i}]"));
    }
    if !performance.is_empty() {
        b.put(
            "performance",
            Value::List(performance),
            "quantitative_analysis.performance_metrics",
        );
        for (i, from) in spans.iter().enumerate() {
            let to = format!("performance[{i}]");
            b.locate(&to, from);
            b.locate(&format!("{to}.metric"), &format!("{from}.type"));
            b.locate(&format!("{to}.value"), &format!("{from}.value"));
            b.locate(&format!("{to}.dataset"), &format!("{from}.slice"));
        }
    }
    Ok(b.finish())
}
