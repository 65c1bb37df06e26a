//! MLflow: a model directory's `MLmodel` descriptor and a registered-model export.
//!
//! `MLmodel` (YAML) goes under `mlflow.*` as written (`artifact_path`, `flavors`, `run_id`,
//! `model_uuid`, `utc_time_created`, `mlflow_version`, `signature`, ...), except that the
//! signature's `inputs`, `outputs` and `params`, which MLflow stores as JSON text, are parsed into
//! lists of records. `mlflow.flavor_names` lists the flavors. Nothing is mapped into the schema:
//! the descriptor records how a model was packaged, not what it is for.
//!
//! `registered-model.json` (the `registered-models/get` response, with or without its
//! `registered_model` wrapper) goes under `mlflow.registered_model.*`: `name`, `description`,
//! `versions` (from `latest_versions` or `versions`), `aliases` as a map alias → version, `tags`
//! as a map key → value. Mapped: `model.name` from the registered name, and `model.version` from
//! the version the `champion` alias (else `production`) points to.

use std::collections::BTreeMap;

use super::super::load::{parse_json, parse_yaml};
use super::{Builder, Fragment, keep, shape_error, string};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::value::{self, Value};

pub(super) fn read_mlmodel(source: &SourceFile) -> Result<Fragment, Diagnostic> {
    let (raw, locations) = parse_yaml(source).map_err(|d| {
        Diagnostic {
            message: d.message.replacen("invalid YAML", "invalid `MLmodel`", 1),
            ..d
        }
        .help("`MLmodel` is YAML written by MLflow; restore it from the run's artifacts")
    })?;
    let Value::Map(top) = &raw else {
        return Err(shape_error(
            source,
            "an MLflow model descriptor",
            "`MLmodel` must be a mapping with `flavors` and, usually, `run_id` and `model_uuid`",
        ));
    };
    let mut b = Builder::new(&locations);
    b.graft("mlflow", &raw, keep);
    if let Some(Value::Map(flavors)) = top.get("flavors") {
        let names = flavors.keys().cloned().map(Value::String).collect();
        b.put("mlflow.flavor_names", Value::List(names), "flavors");
    }
    if let Some(Value::Map(sig)) = top.get("signature") {
        for part in ["inputs", "outputs", "params"] {
            if let Some(Value::String(text)) = sig.get(part)
                && let Ok(json) = serde_json::from_str::<serde_json::Value>(text)
            {
                let path = format!("mlflow.signature.{part}");
                b.put(&path, value::from_json(&json), &format!("signature.{part}"));
            }
        }
    }
    Ok(b.finish())
}

pub(super) fn read_registered(source: &SourceFile) -> Result<Fragment, Diagnostic> {
    let (raw, locations) = parse_json(source)?;
    let (model, prefix) = match raw.get("registered_model") {
        Some(m @ Value::Map(_)) => (m, "registered_model."),
        _ => (&raw, ""),
    };
    let Value::Map(m) = model else {
        return Err(shape_error(
            source,
            "an MLflow registered-model export",
            "save the response of `GET /api/2.0/mlflow/registered-models/get` as JSON",
        ));
    };
    let from = |k: &str| format!("{prefix}{k}");
    let mut b = Builder::new(&locations);
    let base = "mlflow.registered_model";
    for key in [
        "name",
        "description",
        "creation_timestamp",
        "last_updated_timestamp",
    ] {
        if let Some(v) = m.get(key) {
            b.put(&format!("{base}.{key}"), v.clone(), &from(key));
        }
    }
    let versions_key = if m.contains_key("versions") {
        "versions"
    } else {
        "latest_versions"
    };
    if let Some(v @ Value::List(_)) = m.get(versions_key) {
        b.put(&format!("{base}.versions"), v.clone(), &from(versions_key));
    }
    let mut aliases = BTreeMap::new();
    for a in m.get("aliases").and_then(Value::as_list).unwrap_or(&[]) {
        if let (Some(alias), Some(version)) = (string(a.get("alias")), a.get("version")) {
            aliases.insert(alias, Value::String(version.display()));
        }
    }
    let mut tags = BTreeMap::new();
    for t in m.get("tags").and_then(Value::as_list).unwrap_or(&[]) {
        if let (Some(k), Some(v)) = (string(t.get("key")), t.get("value")) {
            tags.insert(k, v.clone());
        }
    }
    let champion = ["champion", "production"]
        .iter()
        .find_map(|a| aliases.get(*a).cloned());
    if !aliases.is_empty() {
        b.put(
            &format!("{base}.aliases"),
            Value::Map(aliases),
            &from("aliases"),
        );
    }
    if !tags.is_empty() {
        b.put(&format!("{base}.tags"), Value::Map(tags), &from("tags"));
    }
    if let Some(name) = string(m.get("name")) {
        b.put("model.name", Value::String(name), &from("name"));
    }
    if let Some(v) = champion {
        b.put("model.version", v, &from("aliases"));
    }
    Ok(b.finish())
}
