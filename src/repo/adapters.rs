//! Adapters: metadata and evidence in formats teams already produce, read into the same [`Value`]
//! tree as `model.toml`.
//!
//! Each adapter reads one file in a model folder, keeps the file's own content under a namespace
//! (`huggingface.*`, `mlflow.*`, `model_card.*`, `data_quality.great_expectations.*`,
//! `monitoring.evidently.*`) and maps the fields whose meaning is plain into the schema
//! (`model.name`, `performance[]`, ...). Every field keeps the location of the text it was read
//! from, in its own file. Values merge field by field: `model.toml` (or its JSON/YAML twin) wins
//! over every adapter, and adapters win over each other in the order of [`ADAPTERS`].
//!
//! This module decides which adapter files make a folder a model ([`makes_model`]), parses them
//! and merges them into a [`Model`]; it does not evaluate anything. A broken adapter file is a
//! located diagnostic on its model only.

mod evidently;
mod great_expectations;
mod huggingface;
mod mlflow;
mod model_card;

use std::collections::BTreeMap;

use super::load::Locations;
use super::{Model, Tree, join};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{Location, SourceFile};
use crate::value::Value;

/// An MLflow model directory's descriptor.
pub const MLMODEL: &str = "MLmodel";
/// A Google Model Card Toolkit card.
pub const MODEL_CARD: &str = "model_card.json";
/// A Hugging Face model card: YAML front matter in the README.
pub const HF_README: &str = "README.md";
/// An MLflow registered-model export (the `registered-models/get` response).
pub const MLFLOW_REGISTERED: &str = "registered-model.json";
/// A Great Expectations validation result.
pub const GX_VALIDATION: &str = "gx-validation.json";
/// An Evidently report saved as JSON.
pub const EVIDENTLY_REPORT: &str = "evidently-report.json";

/// Where adapters keep each file's own content. Fields under these paths are read from tool
/// output rather than written by hand (a `model.toml` template can leave them out).
pub const NAMESPACES: &[&str] = &[
    "huggingface",
    "mlflow",
    "model_card",
    "data_quality.great_expectations",
    "monitoring.evidently",
];

/// One adapter: the file it reads, what to call it in messages, whether the file alone makes its
/// folder a model, and how it maps the parsed file.
pub struct Adapter {
    pub file: &'static str,
    pub format: &'static str,
    pub primary: bool,
    read: fn(&SourceFile) -> Result<Fragment, Diagnostic>,
}

/// Adapters in order of precedence (after the metadata file).
pub const ADAPTERS: &[Adapter] = &[
    Adapter {
        file: MLMODEL,
        format: "MLflow `MLmodel`",
        primary: true,
        read: mlflow::read_mlmodel,
    },
    Adapter {
        file: MODEL_CARD,
        format: "Model Card Toolkit `model_card.json`",
        primary: true,
        read: model_card::read,
    },
    Adapter {
        file: HF_README,
        format: "Hugging Face model card (`README.md` front matter)",
        primary: true,
        read: huggingface::read,
    },
    Adapter {
        file: MLFLOW_REGISTERED,
        format: "MLflow registered-model export",
        primary: false,
        read: mlflow::read_registered,
    },
    Adapter {
        file: GX_VALIDATION,
        format: "Great Expectations validation result",
        primary: false,
        read: great_expectations::read,
    },
    Adapter {
        file: EVIDENTLY_REPORT,
        format: "Evidently report",
        primary: false,
        read: evidently::read,
    },
];

/// The adapter for a file name.
pub fn adapter(file_name: &str) -> Option<&'static Adapter> {
    ADAPTERS.iter().find(|a| a.file == file_name)
}

/// Whether a file name may make its folder a model on its own (the caller then asks
/// [`makes_model`]).
pub fn is_primary_name(file_name: &str) -> bool {
    adapter(file_name).is_some_and(|a| a.primary)
}

/// Whether an adapter file makes its folder a model: `MLmodel` and `model_card.json` always; a
/// `README.md` when its front matter names a Hugging Face model-card key, and, failing closed,
/// when it is there but cannot be read (a FIFO, too large): loading the model then says why.
pub fn makes_model(tree: &dyn Tree, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name {
        MLMODEL | MODEL_CARD => true,
        HF_README => match tree.read_capped(path, super::MAX_METADATA_SIZE as u64) {
            Ok(read) => huggingface::looks_like_model_card(&String::from_utf8_lossy(&read.bytes)),
            // Documentation linking outside the repository is not read, nor a model.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => !matches!(super::Refusal::of(&e), Some(super::Refusal::Escapes)),
        },
        _ => false,
    }
}

/// A parsed adapter file: values and their spans in that file.
pub(super) struct Fragment {
    pub value: Value,
    pub locations: Locations,
}

/// Parses the model's own file when it is an adapter file (an adapter-only model).
pub(super) fn parse_primary(source: &SourceFile) -> Option<Result<(Value, Locations), Diagnostic>> {
    let name = source.name.rsplit('/').next().unwrap_or(&source.name);
    let a = adapter(name)?;
    Some((a.read)(source).map(|f| (f.value, f.locations)))
}

/// Reads every other adapter file in the model's folder and merges it under what the model
/// already holds. Missing files are skipped; unreadable or malformed ones are diagnostics.
pub(super) fn attach(tree: &dyn Tree, model: &mut Model) {
    for a in ADAPTERS {
        let path = join(&model.dir, a.file);
        if path == model.file {
            continue;
        }
        let read = match tree.read_capped(&path, super::MAX_METADATA_SIZE as u64) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                model.diagnostics.push(super::read::diagnostic(&path, &e));
                continue;
            }
        };
        let via_link = read.via_link;
        let Ok(text) = String::from_utf8(read.bytes) else {
            model.diagnostics.push(
                Diagnostic::new(Code::InvalidUtf8, format!("`{path}` is not valid UTF-8"))
                    .at(Location::file(path.clone()), "")
                    .help("re-save the file as UTF-8"),
            );
            continue;
        };
        // A README without model-card front matter is documentation, not metadata.
        if a.file == HF_README && !huggingface::looks_like_model_card(&text) {
            continue;
        }
        let mut source = SourceFile::new(path.as_str(), text);
        if via_link {
            source = source.hide();
        }
        match (a.read)(&source) {
            Ok(fragment) => {
                let index = model.extra_sources.len();
                model.extra_sources.push(source);
                merge_under(model, fragment, index);
            }
            Err(d) => {
                // Kept so that the diagnostic renders with the file's text.
                model.extra_sources.push(source);
                model
                    .diagnostics
                    .push(d.note(format!("while reading the {}", a.format)));
            }
        }
    }
}

/// Notes on schema diagnostics of a model read from an adapter file alone: which adapter produced
/// it and where the missing fields can go.
pub(super) fn annotate(model: &mut Model) {
    let name = model.file.rsplit('/').next().unwrap_or(&model.file);
    let Some(a) = adapter(name) else { return };
    let metadata = join(&model.dir, "model.toml");
    for d in &mut model.diagnostics {
        if d.code == Code::MissingField || d.code == Code::WrongType {
            d.notes.push(format!(
                "this model was read from its {} alone; fields that file does not hold go in \
                 `{metadata}`, which wins over it field by field",
                a.format
            ));
        }
    }
}

/// Merges `fragment` beneath the model's value: existing fields win; the fragment fills the gaps.
fn merge_under(model: &mut Model, fragment: Fragment, index: usize) {
    let mut merged = fragment.value;
    let mut replaced = Vec::new();
    merge(
        &mut merged,
        std::mem::take(&mut model.value),
        "",
        &mut replaced,
    );
    model.value = merged;
    for (path, span) in fragment.locations {
        let shadowed = model.locations.contains_key(&path)
            || replaced.iter().any(|r| {
                path == *r
                    || path
                        .strip_prefix(r.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            });
        if !shadowed {
            model.locations.insert(path.clone(), span);
            model.field_sources.insert(path, index);
        }
    }
}

/// Deep merge: maps merge key by key; any other value in `over` replaces the one in `base`, and
/// its path is recorded in `replaced`.
pub(super) fn merge(base: &mut Value, over: Value, prefix: &str, replaced: &mut Vec<String>) {
    match (base, over) {
        (Value::Map(b), Value::Map(o)) => {
            for (k, v) in o {
                let path = child(prefix, &k);
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v, &path, replaced),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (_, Value::None) => {}
        (b, o) => {
            *b = o;
            replaced.push(prefix.to_string());
        }
    }
}

fn child(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Builds an adapter's output tree, carrying each field's span over from the parsed file.
struct Builder<'a> {
    raw: &'a Locations,
    value: Value,
    locations: Locations,
}

impl<'a> Builder<'a> {
    fn new(raw: &'a Locations) -> Self {
        Builder {
            raw,
            value: Value::Map(BTreeMap::new()),
            locations: Locations::new(),
        }
    }

    /// The span of a raw path, or of its nearest located ancestor.
    fn span(&self, from: &str) -> Option<(usize, usize)> {
        let mut p = from.to_string();
        loop {
            if let Some(s) = self.raw.get(&p) {
                return Some(*s);
            }
            p.truncate(p.rfind(['.', '['])?);
        }
    }

    /// Records that `path` was read from the raw path `from`.
    fn locate(&mut self, path: &str, from: &str) {
        if let Some(s) = self.span(from) {
            self.locations.insert(path.to_string(), s);
        }
    }

    /// Sets a dotted path (keys only), creating maps on the way; located at `from`.
    fn put(&mut self, path: &str, v: Value, from: &str) {
        if v.is_none() {
            return;
        }
        set(&mut self.value, path, v);
        let mut prefix = String::new();
        for seg in path.split('.') {
            prefix = child(&prefix, seg);
            if !self.locations.contains_key(&prefix) {
                self.locate(&prefix, from);
            }
        }
    }

    /// Copies a whole parsed tree under `prefix`, with every span; top-level keys renamed by
    /// `rename` (`model-index` → `model_index`: the policy language has no `-` in paths).
    fn graft(&mut self, prefix: &str, raw: &Value, rename: fn(&str) -> String) {
        let Value::Map(m) = raw else { return };
        for (k, v) in m {
            let to = child(prefix, &rename(k));
            self.put(&to, v.clone(), k);
            let from_prefix = k.clone();
            let spans: Vec<(String, (usize, usize))> = self
                .raw
                .range(from_prefix.clone()..)
                .take_while(|(p, _)| p.starts_with(&from_prefix))
                .filter_map(|(p, s)| {
                    let rest = p.strip_prefix(&from_prefix)?;
                    (rest.starts_with('.') || rest.starts_with('['))
                        .then(|| (format!("{to}{rest}"), *s))
                })
                .collect();
            self.locations.extend(spans);
        }
    }

    fn finish(self) -> Fragment {
        Fragment {
            value: self.value,
            locations: self.locations,
        }
    }
}

fn set(v: &mut Value, path: &str, new: Value) {
    let mut cur = v;
    let mut segs = path.split('.').peekable();
    while let Some(seg) = segs.next() {
        if !matches!(cur, Value::Map(_)) {
            *cur = Value::Map(BTreeMap::new());
        }
        let Value::Map(m) = cur else { return };
        if segs.peek().is_none() {
            m.insert(seg.to_string(), new);
            return;
        }
        cur = m
            .entry(seg.to_string())
            .or_insert_with(|| Value::Map(BTreeMap::new()));
    }
}

fn keep(k: &str) -> String {
    k.to_string()
}

/// A number, or a string holding one (Model Card Toolkit writes metric values as strings).
fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) if n.is_finite() => Some(*n),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A diagnostic for a file that parsed but is not the expected shape.
fn shape_error(source: &SourceFile, what: &str, help: &str) -> Diagnostic {
    Diagnostic::new(Code::ModelParse, format!("`{}` is not {what}", source.name))
        .at(source.locate(0, 0), "in this file")
        .help(help.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_the_overriding_value_field_by_field() {
        let mut base = crate::value::from_json(&serde_json::json!({
            "model": { "name": "card", "version": "1" },
            "performance": [1, 2, 3]
        }));
        let over = crate::value::from_json(&serde_json::json!({
            "model": { "name": "toml" },
            "performance": [9]
        }));
        let mut replaced = Vec::new();
        merge(&mut base, over, "", &mut replaced);
        assert_eq!(
            base,
            crate::value::from_json(&serde_json::json!({
                "model": { "name": "toml", "version": "1" },
                "performance": [9]
            }))
        );
        assert_eq!(replaced, vec!["model.name", "performance"]);
    }
}
