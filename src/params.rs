//! Policy parameters and the firm's calibration of them.
//!
//! A policy declares `param NAME = VALUE "what it is"`; tier rules, KRIs and controls read it by
//! name. A firm sets its own value in `mrm.toml`:
//!
//! ```toml
//! [params]
//! high_exposure = 75_000_000
//! cycle_medium_days = 540
//! ```
//!
//! [`apply`] replaces the declared values with the firm's before evaluation, checking that each
//! override names a declared parameter and has its type. The program keeps the declared value
//! beside the one in force, so reports can show both.

use std::collections::BTreeMap;

use crate::check::{Program, types::Ty};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::source::{Location, SourceMap};
use crate::value::Value;

/// Applies the firm's overrides; every problem is a configuration error, located in `mrm.toml`
/// when its text is among `sources`.
pub fn apply(
    program: &mut Program,
    overrides: &BTreeMap<String, toml::Value>,
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let locate = |name: &str| {
        sources
            .by_name("mrm.toml")
            .and_then(|f| {
                f.text
                    .find(&format!("{name} ="))
                    .or_else(|| f.text.find(name))
                    .map(|at| f.locate(at, at + name.len()))
            })
            .unwrap_or_else(|| Location::file("mrm.toml"))
    };
    for (name, raw) in overrides {
        let Some(i) = program.params.iter().position(|p| &p.name == name) else {
            let mut d = Diagnostic::new(
                Code::ConfigInvalid,
                format!("unknown param `{name}` in `[params]`"),
            )
            .at(locate(name), "no policy declares it");
            d = match did_you_mean(name, program.params.iter().map(|p| p.name.as_str())) {
                Some(h) => d.help(h),
                None => d.help(format!(
                    "declared params: {}",
                    program
                        .params
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            out.push(d);
            continue;
        };
        let Some(param) = program.params.get_mut(i) else {
            continue;
        };
        let value = match (&param.ty, raw) {
            (Ty::Number, toml::Value::Integer(n)) => Some(Value::Number(*n as f64)),
            (Ty::Number, toml::Value::Float(n)) if n.is_finite() => Some(Value::Number(*n)),
            (Ty::String, toml::Value::String(s)) => Some(Value::String(s.clone())),
            (Ty::Bool, toml::Value::Boolean(b)) => Some(Value::Bool(*b)),
            (Ty::Date, toml::Value::Datetime(d)) => d
                .date
                .and_then(|d| {
                    jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok()
                })
                .map(Value::Date),
            (Ty::Duration, toml::Value::Integer(n)) => Some(Value::Duration(*n)),
            _ => None,
        };
        match value {
            Some(v) => param.value = v,
            None => out.push(
                Diagnostic::new(
                    Code::ConfigInvalid,
                    format!(
                        "`[params] {name}` must be {}, like its declared value {}",
                        match param.ty {
                            Ty::Number => "a number",
                            Ty::String => "a string",
                            Ty::Bool => "true or false",
                            Ty::Date => "a date",
                            Ty::Duration => "a whole number of days",
                            _ => "a literal",
                        },
                        param.declared
                    ),
                )
                .at(locate(name), "here"),
            ),
        }
    }
    out
}
