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

[check]
# Severities whose open gaps fail `mrm check` (exit 1).
fail_on = ["critical", "high"]

[roles]
# model_risk_officer = "mro@example.com"
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
                flatten(name, "", fields, &mut lines);
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

fn flatten(table: &str, prefix: &str, fields: &BTreeMap<String, Field>, out: &mut Vec<String>) {
    for (k, f) in fields {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let path = format!("{table}.{key}");
        match &f.ty {
            Ty::Record(inner) => flatten(table, &key, inner, out),
            other => out.push(line(&key, &path, other, f.optional)),
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
