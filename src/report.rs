//! Reporters: one finished [`RunReport`], many views.
//!
//! Each format is one file and one arm of [`Format`]. Reporters only format a finished,
//! deterministically sorted result; they never evaluate anything.

mod json;
mod text;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::eval::RunReport;
use crate::source::SourceMap;

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Human-readable summary (colour on a terminal)
    #[default]
    Text,
    /// The full result, versioned (`schema_version`)
    Json,
}

/// What reporters may use besides the report.
pub struct Context<'a> {
    pub sources: &'a SourceMap,
    pub color: bool,
    /// Only failures and the summary.
    pub quiet: bool,
}

/// Renders `report` in `format`.
pub fn render(
    format: Format,
    report: &RunReport,
    cx: &Context<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::render(report, cx, out),
        Format::Json => json::render(report, out),
    }
}
