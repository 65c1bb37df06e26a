//! Diagnostics: findings about the user's policies, catalogs, configuration and model files.
//!
//! A [`Diagnostic`] is data — a stable [`Code`], a severity, a one-line message, labelled
//! locations and an optional help line — never a pre-rendered string. Rendering (rustc-style text
//! via `annotate-snippets`, or JSON) happens at the edge, in [`render`]. Operational failures
//! (I/O, git) are not diagnostics; they are `crate::Error`.

mod code;

use std::fmt::Write as _;

use serde::Serialize;

pub use code::{Code, CodeInfo};

use crate::source::{Location, SourceMap, Span};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A labelled location. The primary label marks where the problem is; secondary labels mark the
/// other end of a relationship ("first defined here").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
    pub primary: bool,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic at the code's default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.info().severity,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Adds the primary label.
    pub fn at(mut self, location: Location, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            location,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Adds the primary label at a span of `sources`.
    pub fn at_span(self, sources: &SourceMap, span: Span, message: impl Into<String>) -> Self {
        self.at(sources.locate(span), message)
    }

    /// Adds a secondary label.
    pub fn also(mut self, location: Location, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            location,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn also_span(self, sources: &SourceMap, span: Span, message: impl Into<String>) -> Self {
        self.also(sources.locate(span), message)
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary location, if any.
    pub fn location(&self) -> Option<&Location> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or_else(|| self.labels.first())
            .map(|l| &l.location)
    }

    /// Sort key: file, line, column, code, message — deterministic output order.
    pub fn sort_key(&self) -> (String, usize, usize, &'static str, &str) {
        let (file, line, column) = self.location().map_or((String::new(), 0, 0), |l| {
            (l.file.clone(), l.line, l.column)
        });
        (file, line, column, self.code.as_str(), &self.message)
    }
}

/// Sorts diagnostics into their stable output order and removes exact duplicates.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
}

/// "did you mean `x`?" — the closest candidate by edit distance, if close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// Rendering of diagnostics for people (rustc-style) and machines (JSON).
pub mod render {
    use super::*;
    use annotate_snippets::{Level, Renderer, Snippet};

    fn level(severity: Severity) -> Level {
        match severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Note => Level::Note,
        }
    }

    /// A file shown in a diagnostic: the file, its text made inert, and its name.
    type Excerpt<'a> = (
        &'a crate::source::SourceFile,
        std::borrow::Cow<'a, str>,
        std::borrow::Cow<'a, str>,
    );

    /// Renders one diagnostic with source excerpts, carets under each span, and the help line.
    /// Labels in files the source map does not hold are printed as `--> file:line:col` notes.
    /// Messages, labels and excerpts quote repository text: it is made inert first (see
    /// [`crate::inert`]), so that it cannot act on the terminal.
    pub fn text(diagnostic: &Diagnostic, sources: &SourceMap, color: bool) -> String {
        use crate::inert::{excerpt, line};
        use std::borrow::Cow;
        let lvl = level(diagnostic.severity);
        let code = diagnostic.code.as_str();
        // Group labels by file, preserving the order of first appearance (primary first).
        let mut files: Vec<&str> = Vec::new();
        let mut ordered: Vec<&Label> = diagnostic.labels.iter().filter(|l| l.primary).collect();
        ordered.extend(diagnostic.labels.iter().filter(|l| !l.primary));
        for label in &ordered {
            if !files.contains(&label.location.file.as_str()) {
                files.push(&label.location.file);
            }
        }
        // Everything quoted, made inert before the message borrows it.
        let title = line(&diagnostic.message);
        let label_messages: Vec<Cow<'_, str>> = ordered.iter().map(|l| line(&l.message)).collect();
        // A file whose text must not be quoted is named with its line and column only.
        let excerpts: Vec<Option<Excerpt<'_>>> = files
            .iter()
            .map(|file| {
                sources
                    .by_name(file)
                    .filter(|s| s.is_shown())
                    .map(|s| (s, excerpt(&s.text), line(&s.name)))
            })
            .collect();
        let mut missing: Vec<String> = Vec::new();
        for (file, shown) in files.iter().zip(&excerpts) {
            if shown.is_none() {
                for (label, m) in ordered.iter().zip(&label_messages) {
                    if label.location.file != *file {
                        continue;
                    }
                    let at = line(&label.location.to_string()).into_owned();
                    missing.push(if m.is_empty() {
                        format!("at {at}")
                    } else {
                        format!("{at}: {m}")
                    });
                }
            }
        }
        let notes: Vec<Cow<'_, str>> = diagnostic.notes.iter().map(|n| line(n)).collect();
        let help = diagnostic.help.as_deref().map(line);

        let mut message = lvl.title(&title).id(code);
        for (file, shown) in files.iter().zip(&excerpts) {
            let Some((source, text, origin)) = shown else {
                continue;
            };
            let mut snippet = Snippet::source(text)
                .line_start(1)
                .origin(origin)
                .fold(true);
            for (label, label_message) in ordered
                .iter()
                .zip(&label_messages)
                .filter(|(l, _)| l.location.file == *file)
            {
                let len = source.text.len();
                let start = label.location.start.min(len);
                let mut end = label.location.end.min(len);
                if end == start && end < len {
                    // Point at one character for an empty span.
                    end = source
                        .text
                        .get(start..)
                        .and_then(|s| s.chars().next())
                        .map_or(start, |c| start + c.len_utf8());
                }
                let lv = if label.primary { lvl } else { Level::Info };
                snippet = snippet.annotation(lv.span(start..end).label(label_message));
            }
            message = message.snippet(snippet);
        }
        for m in &missing {
            message = message.footer(Level::Note.title(m));
        }
        for n in &notes {
            message = message.footer(Level::Note.title(n));
        }
        if let Some(help) = &help {
            message = message.footer(Level::Help.title(help));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(message).to_string()
    }

    /// Renders every diagnostic followed by a summary line (`2 errors, 1 warning`).
    pub fn text_all(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
        let mut out = String::new();
        for d in diagnostics {
            out.push_str(&text(d, sources, color));
            out.push_str("\n\n");
        }
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let warnings = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        if errors + warnings > 0 {
            let _ = writeln!(
                out,
                "{} {}, {} {}",
                errors,
                if errors == 1 { "error" } else { "errors" },
                warnings,
                if warnings == 1 { "warning" } else { "warnings" }
            );
        }
        out
    }

    /// The JSON form: an array of diagnostics with resolved locations.
    pub fn json(diagnostics: &[Diagnostic]) -> String {
        serde_json::to_string_pretty(diagnostics).unwrap_or_else(|_| "[]".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_close_names() {
        assert_eq!(
            did_you_mean("DR-PROV-1", ["DR-PROV-01", "MR-PERF-01"]),
            Some("did you mean `DR-PROV-01`?".to_string())
        );
        assert_eq!(did_you_mean("zzz", ["DR-PROV-01"]), None);
    }
}
