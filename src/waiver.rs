//! Waivers: time-limited, approved exceptions to a control for one model (`waivers.toml`).
//!
//! A malformed file is a configuration error (the run stops with exit 2). Whether a waiver applies
//! is decided during evaluation: it must name a failing control of an existing model, must not
//! have expired at the evaluation date, and must not be approved by the model's owner or one of its
//! developers (segregation of duties).

use jiff::civil::Date;
use serde::Deserialize;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{Location, SourceFile};

/// One waiver as written.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub model: String,
    pub control: String,
    pub justification: String,
    pub approver: String,
    pub ticket: String,
    pub expires: Date,
    pub location: Location,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    model: String,
    control: String,
    justification: String,
    approver: String,
    ticket: String,
    #[serde(deserialize_with = "crate::value::serde_date::deserialize")]
    expires: Date,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    waiver: Vec<toml::Spanned<RawWaiver>>,
}

/// Parses `waivers.toml`.
pub fn parse(file: &SourceFile) -> Result<Vec<Waiver>, Diagnostic> {
    let raw: RawFile = toml::from_str(&file.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        Diagnostic::new(
            Code::WaiverInvalidFile,
            format!(
                "invalid waiver file: {}",
                e.message().trim().trim_end_matches('.')
            ),
        )
        .at(file.locate(span.start, span.end), "here")
        .help("each [[waiver]] needs model, control, justification, approver, ticket and expires (a date)")
    })?;
    let mut out = Vec::new();
    for w in raw.waiver {
        let span = w.span();
        let w = w.into_inner();
        for (field, value) in [
            ("justification", &w.justification),
            ("approver", &w.approver),
            ("ticket", &w.ticket),
        ] {
            if value.trim().is_empty() {
                return Err(Diagnostic::new(
                    Code::WaiverInvalidFile,
                    format!(
                        "waiver for `{}` / `{}` has an empty `{field}`",
                        w.model, w.control
                    ),
                )
                .at(file.locate(span.start, span.end), "this waiver")
                .help("every waiver needs a justification, an approver and a ticket"));
            }
        }
        out.push(Waiver {
            model: w.model,
            control: w.control,
            justification: w.justification,
            approver: w.approver,
            ticket: w.ticket,
            expires: w.expires,
            location: file.locate(span.start, span.end),
        });
    }
    Ok(out)
}
