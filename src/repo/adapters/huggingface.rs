//! Hugging Face model cards: the YAML front matter of a model's `README.md`.
//!
//! The whole front matter goes under `huggingface.*` (top-level keys with `-` renamed to `_`, so
//! `model-index` is `huggingface.model_index`). Mapped into the schema: `model.name` from the
//! first `model-index` entry's `name`, and one `performance[]` record per numeric metric of every
//! `model-index` result (`metric` = the metric's `type`, `dataset` = the dataset's `name`, else its
//! `type`).

use super::super::load::{Locations, parse_yaml};
use super::{Builder, Fragment, number, shape_error, string};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::SourceFile;
use crate::value::Value;

/// Top-level keys that mark front matter as a Hugging Face model card.
const CARD_KEYS: &[&str] = &[
    "license",
    "model-index",
    "base_model",
    "datasets",
    "library_name",
    "pipeline_tag",
    "language",
    "metrics",
];

/// The front matter: the text between an opening `---` line and the next `---` line, as a byte
/// range of the whole file, or `None` when the file does not open with `---`.
fn front_matter(text: &str) -> Option<Result<std::ops::Range<usize>, usize>> {
    let first = text.lines().next()?;
    if first.trim_end() != "---" {
        return None;
    }
    let start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = start;
    for line in text.get(start..).unwrap_or("").split_inclusive('\n') {
        if line.trim_end() == "---" || line.trim_end() == "..." {
            return Some(Ok(start..offset));
        }
        offset += line.len();
    }
    Some(Err(start))
}

/// Whether the README's front matter has a model-card key at the top level. Read line by line so
/// that a card with broken YAML still counts and gets its diagnostic.
pub(super) fn looks_like_model_card(text: &str) -> bool {
    let range = match front_matter(text) {
        Some(Ok(r)) => r,
        Some(Err(start)) => start..text.len(),
        None => return false,
    };
    text.get(range).unwrap_or("").lines().any(|line| {
        CARD_KEYS.iter().any(|k| {
            line.strip_prefix(k)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
    })
}

pub(super) fn read(source: &SourceFile) -> Result<Fragment, Diagnostic> {
    let range = match front_matter(&source.text) {
        Some(Ok(r)) => r,
        Some(Err(start)) => {
            return Err(
                Diagnostic::new(Code::ModelParse, "model card front matter is not closed")
                    .at(source.locate(0, start.saturating_sub(1)), "opened here")
                    .help("end the front matter with a line holding only `---`"),
            );
        }
        None => {
            return Err(shape_error(
                source,
                "a Hugging Face model card",
                "open the README with YAML front matter between `---` lines",
            ));
        }
    };
    // Parse the file cut just before the closing `---`: offsets, lines and columns stay those of
    // the README, and the opening `---` is a YAML document marker.
    let cut = SourceFile::new(&*source.name, source.text.get(..range.end).unwrap_or(""));
    let (raw, locations) = parse_yaml(&cut).map_err(|d| {
        Diagnostic {
            message: d
                .message
                .replacen("invalid YAML", "invalid model card front matter", 1),
            ..d
        }
        .help("the front matter between the `---` lines must be valid YAML")
    })?;
    let raw = match raw {
        Value::Map(_) => raw,
        Value::None => Value::Map(Default::default()),
        _ => {
            return Err(shape_error(
                source,
                "a Hugging Face model card",
                "the front matter must be a mapping of keys (license, model-index, ...)",
            ));
        }
    };
    Ok(map(&raw, &locations))
}

fn map(raw: &Value, locations: &Locations) -> Fragment {
    let mut b = Builder::new(locations);
    b.graft("huggingface", raw, |k| k.replace('-', "_"));
    let index = raw
        .get("model-index")
        .and_then(Value::as_list)
        .unwrap_or(&[]);
    if let Some(name) = index.first().and_then(|e| string(e.get("name"))) {
        b.put("model.name", Value::String(name), "model-index[0].name");
    }
    let mut performance = Vec::new();
    let mut spans = Vec::new();
    for (i, entry) in index.iter().enumerate() {
        let results = entry.get("results").and_then(Value::as_list).unwrap_or(&[]);
        for (j, result) in results.iter().enumerate() {
            let dataset = result.get("dataset");
            let dataset_name = string(dataset.and_then(|d| d.get("name")))
                .or_else(|| string(dataset.and_then(|d| d.get("type"))));
            let metrics = result
                .get("metrics")
                .and_then(Value::as_list)
                .unwrap_or(&[]);
            for (k, m) in metrics.iter().enumerate() {
                let (Some(metric), Some(value)) = (
                    string(m.get("type")).or_else(|| string(m.get("name"))),
                    number(m.get("value")),
                ) else {
                    continue;
                };
                let from = format!("model-index[{i}].results[{j}].metrics[{k}]");
                let mut rec = std::collections::BTreeMap::new();
                rec.insert("metric".to_string(), Value::String(metric));
                rec.insert("value".to_string(), Value::Number(value));
                if let Some(d) = &dataset_name {
                    rec.insert("dataset".to_string(), Value::String(d.clone()));
                }
                performance.push(Value::Map(rec));
                spans.push((from, format!("model-index[{i}].results[{j}].dataset")));
            }
        }
    }
    if !performance.is_empty() {
        b.put("performance", Value::List(performance), "model-index");
        for (i, (from, dataset)) in spans.iter().enumerate() {
            let to = format!("performance[{i}]");
            b.locate(&to, from);
            b.locate(&format!("{to}.metric"), &format!("{from}.type"));
            b.locate(&format!("{to}.value"), &format!("{from}.value"));
            b.locate(&format!("{to}.dataset"), dataset);
        }
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_front_matter_with_card_keys_is_a_model_card() {
        assert!(looks_like_model_card("---\nlicense: mit\n---\n# Model\n"));
        assert!(looks_like_model_card("---\nmodel-index: [\n"));
        assert!(!looks_like_model_card(
            "---\ntitle: Docs\nlayout: page\n---\n"
        ));
        assert!(!looks_like_model_card("# A README\nlicense: mit\n"));
        assert!(!looks_like_model_card(
            "---\nauthor: x\n---\nlicense: mit\n"
        ));
    }

    #[test]
    fn front_matter_ends_at_the_closing_marker() {
        let text = "---\na: 1\n---\nbody\n";
        assert_eq!(front_matter(text), Some(Ok(4..9)));
        assert_eq!(front_matter("---\na: 1\n"), Some(Err(4)));
        assert_eq!(front_matter("no front matter"), None);
    }
}
