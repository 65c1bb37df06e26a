//! `mrm init [DIR]`: start a model repository — an `mrm.toml`, an empty `waivers.toml`, and a
//! first model folder whose `model.toml` lists every field of the policy schema (required fields
//! filled with placeholders, optional ones commented out). Existing files are never overwritten.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use super::{EXIT_ERROR, EXIT_OK, InitArgs};
use crate::check::types::{Field, Ty};
use crate::library;

const CONFIG: &str = r#"# mrm repository configuration. Every key is optional.

[policy]
# Policy files or folders, relative to this file. Empty: the library embedded in mrm.
paths = []
# With paths: keep the embedded library as well.
include_default = false

[frameworks]
# Frameworks to report on. Empty: all (sr-11-7, sr-26-2, eu-ai-act, nist-ai-rmf, iso-42001).
in_scope = []
# Superseded frameworks whose gaps still block (SR 11-7 was superseded by SR 26-2 on 2026-04-17).
# legacy = ["sr-11-7"]

[firm]
# Consolidated total assets in USD: SR 26-2 is most relevant above USD 30bn (see
# `apply_below_threshold` under [frameworks] to apply it in full below).
# total_assets_usd = 0

[check]
# Severities whose open gaps fail `mrm check` (exit 1).
fail_on = ["critical", "high"]

[roles]
# model_risk_officer = "mro@example.com"

[roles.firm_level]
# Who keeps the evidence of the duties of the firm as a whole (`mrm frameworks coverage` lists
# them with their owner role): ai-governance, company-secretary, human-resources, internal-audit,
# model-risk-officer, records-management, third-party-risk.
# ai-governance = "ai.governance@example.com"

[params]
# The firm's calibration of the library's parameters (tier thresholds, validation cycles, KRI
# thresholds; `mrm check --format json` lists them with the values in force).
# high_exposure = 50_000_000
"#;

const WAIVERS: &str = r#"# Approved, time-limited exceptions. The approver must not be the model's owner or developer.
#
# [[waiver]]
# model = "my-model"
# control = "MR-VAL-03"
# justification = "Why the gap is accepted, and until when"
# approver = "mro@example.com"
# ticket = "MRM-1"
# expires = 2027-06-30
"#;

fn placeholder(path: &str, ty: &Ty) -> String {
    match ty {
        Ty::String => match path {
            "model.id" => "\"my-model\"".to_string(),
            "model.status" => "\"development\"".to_string(),
            p if p.starts_with("roles.") => "\"someone@example.com\"".to_string(),
            _ => "\"TODO\"".to_string(),
        },
        Ty::Number => "0".to_string(),
        Ty::Bool => "false".to_string(),
        Ty::Date => "2026-01-01".to_string(),
        Ty::Duration => "0".to_string(),
        Ty::List(inner) if matches!(**inner, Ty::String) => "[]".to_string(),
        Ty::List(_) => "[]".to_string(),
        Ty::Any | Ty::None | Ty::Record(_) => "\"\"".to_string(),
    }
}

/// A `model.toml` template for a schema: one table per top-level record.
pub fn template(schema: &BTreeMap<String, Field>) -> String {
    let mut out = String::from(
        "# Model metadata. Required fields are filled with placeholders; optional ones are commented out.\n",
    );
    let mut tables: Vec<(String, Vec<String>)> = Vec::new();
    let mut arrays: Vec<String> = Vec::new();
    for (name, field) in schema {
        // Filled from tool outputs (model cards, MLflow, Great Expectations…), not written by hand.
        if crate::repo::ADAPTER_NAMESPACES.contains(&name.as_str()) {
            continue;
        }
        match &field.ty {
            Ty::Record(fields) => {
                let mut lines = Vec::new();
                flatten(name, "", fields, field.optional, &mut lines);
                tables.push((name.clone(), lines));
            }
            Ty::List(inner) if matches!(**inner, Ty::Record(_)) => {
                if let Ty::Record(fields) = &**inner {
                    let mut s = format!(
                        "\n# [[{name}]]  ({})\n",
                        if field.optional {
                            "optional"
                        } else {
                            "required"
                        }
                    );
                    for (k, f) in fields {
                        s.push_str(&format!(
                            "# {k} = {}{}\n",
                            placeholder(k, &f.ty),
                            if f.optional { "   # optional" } else { "" }
                        ));
                    }
                    arrays.push(s);
                }
            }
            other => tables.push((String::new(), vec![line(name, name, other, field.optional)])),
        }
    }
    // Identity first, as people read it.
    let rank = |n: &str| {
        ["", "model", "roles", "impact"]
            .iter()
            .position(|x| *x == n)
            .unwrap_or(4)
    };
    tables.sort_by_key(|(n, _)| rank(n));
    for (name, lines) in tables {
        if !name.is_empty() {
            out.push_str(&format!("\n[{name}]\n"));
        }
        for l in lines {
            out.push_str(&l);
        }
    }
    for a in arrays {
        out.push_str(&a);
    }
    out
}

fn line(key: &str, path: &str, ty: &Ty, optional: bool) -> String {
    let value = placeholder(path, ty);
    if optional {
        format!("# {key} = {value}\n")
    } else {
        format!("{key} = {value}\n")
    }
}

/// The lines of a record's fields; those of an optional record (`eu_ai_act.fria: {...}?`) are
/// commented out with it, even the ones it requires.
fn flatten(
    table: &str,
    prefix: &str,
    fields: &BTreeMap<String, Field>,
    optional: bool,
    out: &mut Vec<String>,
) {
    for (k, f) in fields {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let path = format!("{table}.{key}");
        match &f.ty {
            Ty::Record(inner) => flatten(table, &key, inner, optional || f.optional, out),
            other => out.push(line(&key, &path, other, optional || f.optional)),
        }
    }
}

fn create(path: &Path, text: &str, out: &mut dyn Write) -> io::Result<()> {
    if path.exists() {
        writeln!(out, "kept     {} (exists)", path.display())?;
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)?;
    writeln!(out, "created  {}", path.display())
}

pub fn run(args: &InitArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let set = library::embedded();
    if set.has_errors() {
        writeln!(
            err,
            "error: the embedded policy library does not check cleanly"
        )?;
        return Ok(EXIT_ERROR);
    }
    let dir = &args.dir;
    create(&dir.join("mrm.toml"), CONFIG, out)?;
    create(&dir.join("waivers.toml"), WAIVERS, out)?;
    let model = template(&set.checked.program.schema);
    create(&dir.join("models/my-model/model.toml"), &model, out)?;
    writeln!(
        out,
        "\nnext: fill in models/my-model/model.toml, then run `mrm check {}`",
        dir.display()
    )?;
    Ok(EXIT_OK)
}
