//! Reporters: one finished [`RunReport`], many views.
//!
//! Each format is one file and one arm of [`Format`]. Reporters only format a finished,
//! deterministically sorted result; they never evaluate anything. The HTML dashboard and the
//! Markdown report share one view model ([`dashboard`]) and are rendered with minijinja templates
//! from `templates/`. The gap analysis ([`crate::gaps::GapReport`]) has its own formats
//! ([`GapFormat`], rendered by [`render_gaps`]). [`sarif::log`] is public so that a comparison
//! with a base revision can set each result's `baselineState` before writing it.

mod dashboard;
mod gaps;
mod html;
pub mod inventory;
mod json;
mod junit;
mod markdown;
mod oscal;
pub mod sarif;
mod text;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::eval::RunReport;
use crate::gaps::GapReport;
use crate::source::SourceMap;

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Human-readable summary (colour on a terminal)
    #[default]
    Text,
    /// The full result, versioned (`schema_version`)
    Json,
    /// The dashboard as Markdown, for pull-request comments and wikis
    Markdown,
    /// A self-contained HTML dashboard for a model risk committee
    Html,
    /// SARIF 2.1.0 for code-scanning tools
    Sarif,
    /// JUnit XML: one test suite per model, one test case per applicable control
    Junit,
    /// OSCAL 1.1.2 assessment results (JSON)
    Oscal,
}

/// Output formats of `gaps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum GapFormat {
    /// Human-readable per-framework summary
    #[default]
    Text,
    /// The full gap analysis, versioned (`schema_version`)
    Json,
    /// Tables per framework, for pull-request comments and wikis
    Markdown,
    /// One row per framework, clause and model
    Csv,
}

/// A CSV writer: RFC 4180 quoting (only where needed), `\n` line ends, and every cell that a
/// spreadsheet would run as a formula neutralised (see [`crate::inert::csv_cell`]). Every CSV mrm
/// writes goes through it.
pub(crate) struct Csv<W: Write>(csv::Writer<W>);

impl<W: Write> Csv<W> {
    pub(crate) fn to(out: W) -> Self {
        Csv(csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(out))
    }

    /// Writes one record, each cell made inert.
    pub(crate) fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(
            record
                .into_iter()
                .map(|cell| crate::inert::csv_cell(cell.as_ref()).into_owned()),
        )
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// A CSV writer into memory (see [`Csv`]).
pub(crate) fn csv_writer() -> Csv<Vec<u8>> {
    Csv::to(Vec::new())
}

/// The text a [`csv_writer`] wrote.
pub(crate) fn csv_string(w: Csv<Vec<u8>>) -> String {
    String::from_utf8(w.0.into_inner().unwrap_or_default()).unwrap_or_default()
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
        Format::Markdown => markdown::render(report, out),
        Format::Html => html::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Junit => junit::render(report, out),
        Format::Oscal => oscal::render(report, out),
    }
}

/// Renders a gap analysis in `format`.
pub fn render_gaps(
    format: GapFormat,
    report: &GapReport,
    cx: &Context<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        GapFormat::Text => gaps::text(report, cx, out),
        GapFormat::Json => gaps::json(report, out),
        GapFormat::Markdown => gaps::markdown(report, out),
        GapFormat::Csv => gaps::csv(report, out),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_with_separators_are_quoted() {
        let mut w = super::csv_writer();
        w.write_record(["a", "b,c", "say \"hi\"", "x\ny", ""])
            .unwrap();
        assert_eq!(
            super::csv_string(w),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\",\n"
        );
    }

    #[test]
    fn csv_cells_cannot_be_formulas() {
        let mut w = super::csv_writer();
        w.write_record(["=1+1", "@cmd", "-2", "ok"]).unwrap();
        assert_eq!(super::csv_string(w), "'=1+1,'@cmd,-2,ok\n");
    }
}
