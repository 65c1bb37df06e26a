//! Reading one metadata file (TOML, JSON or YAML) into a [`Value`] with field locations, and
//! conforming it to the policy schema.

use std::collections::BTreeMap;

use toml::de::{DeTable, DeValue};

use super::{MAX_METADATA_SIZE, Model, Tree};
use crate::check::Program;
use crate::check::types::{Field, Ty};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{Location, SourceFile};
use crate::value::{self, Value};

pub(super) type Locations = BTreeMap<String, (usize, usize)>;

pub(super) fn load(tree: &dyn Tree, dir: &str, file: &str, program: &Program) -> Model {
    let folder_name = dir.rsplit('/').next().unwrap_or(dir).to_string();
    let mut model = Model {
        id: if folder_name.is_empty() {
            "(root)".to_string()
        } else {
            folder_name
        },
        dir: dir.to_string(),
        file: file.to_string(),
        value: Value::Map(BTreeMap::new()),
        locations: BTreeMap::new(),
        source: None,
        extra_sources: Vec::new(),
        field_sources: BTreeMap::new(),
        diagnostics: Vec::new(),
        parsed: false,
    };
    let read = match tree.read_capped(file, MAX_METADATA_SIZE as u64) {
        Ok(r) => r,
        Err(e) => {
            model.diagnostics.push(super::read::diagnostic(file, &e));
            return model;
        }
    };
    let text = match String::from_utf8(read.bytes) {
        Ok(t) => t,
        Err(e) => {
            model.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidUtf8,
                    format!(
                        "`{file}` is not valid UTF-8 (invalid byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                )
                .at(Location::file(file), "")
                .help("re-save the file as UTF-8"),
            );
            return model;
        }
    };
    let mut source = SourceFile::new(file, text);
    if read.via_link {
        source = source.hide();
    }
    if source.text.trim().is_empty() {
        model.diagnostics.push(
            Diagnostic::new(Code::ModelEmpty, format!("`{file}` is empty"))
                .at(source.locate(0, 0), "empty file")
                .help("fill in at least the `[model]` table with `id` and `name`"),
        );
        model.source = Some(source);
        return model;
    }
    match super::adapters::parse_primary(&source).unwrap_or_else(|| parse_metadata(&source)) {
        Ok((value, locations)) => {
            model.value = value;
            model.locations = locations;
            model.parsed = true;
        }
        Err(d) => {
            model.diagnostics.push(d);
            model.source = Some(source);
            return model;
        }
    }
    model.source = Some(source);
    super::adapters::attach(tree, &mut model);
    if let Some(id) = model.value.path("model.id").and_then(Value::as_str)
        && !id.is_empty()
    {
        model.id = id.to_string();
    }
    // Fail closed: a model is evaluated only when every file its metadata is read from was read.
    // An adapter file that could not be would leave fields out, and a control reading them could
    // then pass or not apply.
    if model.diagnostics.iter().any(|d| d.code.blocks_model()) {
        model.parsed = false;
        return model;
    }
    conform(&mut model, program);
    super::adapters::annotate(&mut model);
    model
}

/// Parses metadata by file extension.
pub fn parse_metadata(source: &SourceFile) -> Result<(Value, Locations), Diagnostic> {
    let name = &*source.name;
    if name.ends_with(".json") {
        parse_json(source)
    } else if name.ends_with(".yaml") || name.ends_with(".yml") {
        parse_yaml(source)
    } else {
        parse_toml(source)
    }
}

/// Parses JSON; keys are located by searching the text.
pub(super) fn parse_json(source: &SourceFile) -> Result<(Value, Locations), Diagnostic> {
    let json: serde_json::Value = serde_json::from_str::<Strict>(&source.text)
        .map(|s| s.0)
        .map_err(|e| {
            let (line, col) = (e.line(), e.column());
            let offset = offset_of(source, line, col);
            Diagnostic::new(
                Code::ModelParse,
                format!("invalid JSON: {}", strip_position(&e.to_string())),
            )
            .at(source.locate(offset, offset), "here")
        })?;
    let value = value::from_json(&json);
    let mut locations = Locations::new();
    locate_by_search(source, &value, "", 0, &mut locations, KeyStyle::Json);
    Ok((value, locations))
}

/// Parses YAML; keys are located by searching the text.
pub(super) fn parse_yaml(source: &SourceFile) -> Result<(Value, Locations), Diagnostic> {
    // YAML 1.2 booleans only: `y`, `no`, `on` stay strings (model ids, country codes).
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    let json: serde_json::Value =
        serde_saphyr::from_str_with_options::<Strict>(&source.text, options)
            .map(|s| s.0)
            .map_err(|e| {
                let msg = e.to_string();
                let (line, col) = yaml_position(&msg).unwrap_or((1, 1));
                let offset = offset_of(source, line, col);
                Diagnostic::new(
                    Code::ModelParse,
                    format!("invalid YAML: {}", yaml_message(&msg)),
                )
                .at(source.locate(offset, offset), "here")
            })?;
    let value = value::from_json(&json);
    let mut locations = Locations::new();
    locate_by_search(source, &value, "", 0, &mut locations, KeyStyle::Yaml);
    Ok((value, locations))
}

/// A JSON or YAML document read into a `serde_json::Value`, refusing a key that a mapping holds
/// twice. Parsers keep the last of two equal keys, so a reviewer reading the first would be shown
/// one value while the engine evaluates another.
struct Strict(serde_json::Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v)
            .map_or(serde_json::Value::Null, serde_json::Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(serde_json::Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(serde_json::Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(serde_json::Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate key `{key}`"
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(serde_json::Value::Object(out))
    }
}

fn parse_toml(source: &SourceFile) -> Result<(Value, Locations), Diagnostic> {
    let table = DeTable::parse(&source.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let msg = e.message().trim().trim_end_matches('.').to_string();
        Diagnostic::new(Code::ModelParse, format!("invalid TOML: {msg}"))
            .at(source.locate(span.start, span.end), "here")
            .help(
                "check the TOML syntax at this line (quotes, brackets, `=` between key and value)",
            )
    })?;
    let mut locations = Locations::new();
    let value = from_de_table(table.get_ref(), "", &mut locations);
    Ok((value, locations))
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_string(),
        None => msg.to_string(),
    }
}

/// The parser's first line without its `error: line N column M:` prefix (the label has the
/// position).
fn yaml_message(msg: &str) -> String {
    let first = msg.lines().next().unwrap_or("").trim();
    if let Some(key) = first
        .split_once("duplicate mapping key: ")
        .and_then(|(_, rest)| rest.split(", set DuplicateKeyPolicy").next())
    {
        return format!("duplicate key `{key}`");
    }
    let rest = first.strip_prefix("error:").unwrap_or(first).trim_start();
    match rest.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((position, tail)) if position.contains("column") => tail.trim().to_string(),
        _ => rest.to_string(),
    }
}

fn yaml_position(msg: &str) -> Option<(usize, usize)> {
    let i = msg.find("line ")?;
    let rest = msg.get(i + 5..)?;
    let line: usize = rest
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let col = rest
        .find("column ")
        .and_then(|j| rest.get(j + 7..))
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|c| c.parse().ok())
        .unwrap_or(1);
    Some((line, col))
}

fn offset_of(source: &SourceFile, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, l) in source.text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset
                + l.char_indices()
                    .nth(col.saturating_sub(1))
                    .map_or(0, |(b, _)| b);
        }
        offset += l.len();
    }
    source.text.len()
}

fn child_path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn from_de_table(table: &DeTable<'_>, prefix: &str, locations: &mut Locations) -> Value {
    let mut map = BTreeMap::new();
    for (k, v) in table.iter() {
        let path = child_path(prefix, k.get_ref());
        let span = v.span();
        locations.insert(path.clone(), (span.start, span.end));
        map.insert(
            k.get_ref().to_string(),
            from_de_value(v.get_ref(), &path, locations),
        );
    }
    Value::Map(map)
}

fn from_de_value(v: &DeValue<'_>, path: &str, locations: &mut Locations) -> Value {
    match v {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => {
            let raw: String = i.as_str().chars().filter(|c| *c != '_').collect();
            let n = i64::from_str_radix(raw.trim_start_matches('+'), i.radix())
                .map(|n| n as f64)
                .unwrap_or(f64::NAN);
            Value::Number(n)
        }
        DeValue::Float(f) => {
            let raw: String = f.as_str().chars().filter(|c| *c != '_').collect();
            Value::Number(raw.parse::<f64>().unwrap_or(f64::NAN))
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(dt) => match (dt.date, dt.time) {
            (Some(d), None) => jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8)
                .map_or_else(|_| Value::String(dt.to_string()), Value::Date),
            _ => Value::String(dt.to_string()),
        },
        DeValue::Array(items) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let p = format!("{path}[{i}]");
                    let span = item.span();
                    locations.insert(p.clone(), (span.start, span.end));
                    from_de_value(item.get_ref(), &p, locations)
                })
                .collect(),
        ),
        DeValue::Table(t) => from_de_table(t, path, locations),
    }
}

#[derive(Clone, Copy)]
enum KeyStyle {
    Json,
    Yaml,
}

/// JSON and YAML parsers here keep no spans: locate each key by searching for it after its
/// parent's position. Good to the line for ordinary files.
fn locate_by_search(
    source: &SourceFile,
    v: &Value,
    prefix: &str,
    from: usize,
    locations: &mut Locations,
    style: KeyStyle,
) {
    match v {
        Value::Map(m) => {
            for (k, child) in m {
                let needle = match style {
                    KeyStyle::Json => format!("\"{k}\""),
                    KeyStyle::Yaml => format!("{k}:"),
                };
                let at = source
                    .text
                    .get(from..)
                    .and_then(|rest| rest.find(&needle))
                    .map_or(from, |i| from + i);
                let path = child_path(prefix, k);
                locations.insert(path.clone(), (at, at + needle.len()));
                locate_by_search(source, child, &path, at, locations, style);
            }
        }
        Value::List(items) => {
            // Each item is searched for after the text the previous item's keys were found in.
            let mut cursor = from;
            for (i, item) in items.iter().enumerate() {
                let path = format!("{prefix}[{i}]");
                locations.insert(path.clone(), (cursor, cursor));
                let mut inner = Locations::new();
                locate_by_search(source, item, &path, cursor, &mut inner, style);
                cursor = inner
                    .values()
                    .map(|&(_, e)| e)
                    .max()
                    .unwrap_or(cursor)
                    .max(cursor);
                locations.extend(inner);
            }
        }
        _ => {}
    }
}

/// Checks a model against the schema: required fields present, types right. Date strings
/// (JSON/YAML) become dates. Each problem is a diagnostic on the model.
pub fn conform(model: &mut Model, program: &Program) {
    let mut diags = Vec::new();
    let mut value = std::mem::take(&mut model.value);
    conform_record(&mut value, &program.schema, "", model, &mut diags);
    model.value = value;
    model.diagnostics.extend(diags);
}

fn conform_record(
    v: &mut Value,
    fields: &BTreeMap<String, Field>,
    prefix: &str,
    model: &Model,
    diags: &mut Vec<Diagnostic>,
) {
    let Value::Map(map) = v else { return };
    for (name, field) in fields {
        let path = child_path(prefix, name);
        match map.get_mut(name) {
            None | Some(Value::None) => {
                if !field.optional && !record_all_optional(&field.ty) {
                    diags.push(
                        Diagnostic::new(
                            Code::MissingField,
                            format!("`{path}` is required but missing"),
                        )
                        .at(
                            model.locate_nearest(&path),
                            format!("`{path}` expected here"),
                        )
                        .help(format!("add `{path}` ({})", field.ty)),
                    );
                }
            }
            Some(child) => conform_value(child, &field.ty, &path, model, diags),
        }
    }
}

/// A record whose fields are all optional may be absent entirely.
fn record_all_optional(t: &Ty) -> bool {
    match t {
        Ty::Record(fields) => fields
            .values()
            .all(|f| f.optional || record_all_optional(&f.ty)),
        _ => false,
    }
}

fn conform_value(v: &mut Value, ty: &Ty, path: &str, model: &Model, diags: &mut Vec<Diagnostic>) {
    let ok = match (ty, &*v) {
        (Ty::Any, _) => true,
        (Ty::Number, Value::Number(n)) => n.is_finite(),
        (Ty::String, Value::String(_)) => true,
        (Ty::Bool, Value::Bool(_)) => true,
        (Ty::Date, Value::Date(_)) => true,
        (Ty::Date, Value::String(s)) => match s.parse::<jiff::civil::Date>() {
            Ok(d) => {
                *v = Value::Date(d);
                true
            }
            Err(_) => false,
        },
        (Ty::Duration, Value::Duration(_)) => true,
        (Ty::Duration, Value::Number(n)) if n.fract() == 0.0 => {
            *v = Value::Duration(*n as i64);
            true
        }
        (Ty::List(inner), Value::List(_)) => {
            if let Value::List(items) = v {
                for (i, item) in items.iter_mut().enumerate() {
                    conform_value(item, inner, &format!("{path}[{i}]"), model, diags);
                }
            }
            true
        }
        (Ty::Record(fields), Value::Map(_)) => {
            conform_record(v, fields, path, model, diags);
            true
        }
        _ => false,
    };
    if !ok {
        let found = match &*v {
            Value::Number(n) if !n.is_finite() => "a number out of range".to_string(),
            other => format!("{} `{}`", other.type_name(), truncate(&other.to_string())),
        };
        diags.push(
            Diagnostic::new(
                Code::WrongType,
                format!("`{path}` must be {ty}, found {found}"),
            )
            .at(model.locate(path), format!("expected {ty}"))
            .help(match ty {
                Ty::Date => "write dates as YYYY-MM-DD (in TOML without quotes)".to_string(),
                Ty::Number => "write numbers without quotes or units".to_string(),
                other => format!("write a value of type {other}"),
            }),
        );
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        let t: String = s.chars().take(40).collect();
        format!("{t}…")
    } else {
        s.to_string()
    }
}

/// Builds an in-memory model from metadata text (tests, inline fixtures).
pub fn model_from_text(name: &str, dir: &str, text: &str, program: &Program) -> Model {
    struct One<'a>(&'a str, &'a str);
    impl Tree for One<'_> {
        fn metadata_files(&self) -> std::io::Result<Vec<String>> {
            Ok(vec![self.0.to_string()])
        }
        fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
            if path == self.0 {
                Ok(self.1.as_bytes().to_vec())
            } else {
                Err(std::io::ErrorKind::NotFound.into())
            }
        }
        fn evidence(&self, _: &str) -> super::EvidenceState {
            super::EvidenceState::Missing
        }
        fn describe(&self) -> String {
            "(inline)".to_string()
        }
    }
    load(&One(name, text), dir, name, program)
}
