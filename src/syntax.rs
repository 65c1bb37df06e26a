//! Parsing policy text into the typed AST.
//!
//! `syntax::parse` is the only entry point. pest is an implementation detail of this module: the
//! derived parser lives in `grammar`, `lower` turns pest pairs into [`crate::ast`] nodes, and
//! `error` turns pest failures into diagnostics that name tokens (`` `{` ``), not grammar rules.
//! Nothing here looks at names across files or at types; that is `check`'s job.

mod error;
mod grammar;
mod lower;

use crate::ast::PolicyFile;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceId, SourceMap, Span};

/// Limits that keep parsing bounded on any input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum nesting of brackets, `not`, unary minus and quantifiers in one expression.
    pub max_depth: usize,
    /// Maximum size of one policy file in bytes.
    pub max_file_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_file_size: 1 << 20,
        }
    }
}

/// The result of parsing one file: the AST if the file parsed, and every diagnostic found.
#[derive(Debug)]
pub struct Parsed {
    pub file: Option<PolicyFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one policy file already registered in `sources`.
pub fn parse(sources: &SourceMap, id: SourceId) -> Parsed {
    parse_with(sources, id, Limits::default())
}

pub fn parse_with(sources: &SourceMap, id: SourceId, limits: Limits) -> Parsed {
    let Some(file) = sources.file(id) else {
        return Parsed {
            file: None,
            diagnostics: Vec::new(),
        };
    };
    let text: &str = &file.text;
    if text.len() > limits.max_file_size {
        let d = Diagnostic::new(
            Code::FileTooLarge,
            format!(
                "policy file is {} bytes, more than the limit of {} bytes",
                text.len(),
                limits.max_file_size
            ),
        )
        .at_span(sources, Span::new(id, 0, 0), "file starts here");
        return Parsed {
            file: None,
            diagnostics: vec![d],
        };
    }
    if let Some((offset, depth)) = nesting_violation(text, limits.max_depth) {
        let d = Diagnostic::new(
            Code::TooDeep,
            format!(
                "expression nesting exceeds the limit of {}",
                limits.max_depth
            ),
        )
        .at_span(
            sources,
            Span::new(id, offset, offset + 1),
            format!("nesting reaches depth {depth} here"),
        )
        .help("flatten the expression or split it into several controls");
        return Parsed {
            file: None,
            diagnostics: vec![d],
        };
    }
    match grammar::parse_file(text) {
        Ok(pairs) => {
            let mut lowerer = lower::Lowerer::new(sources, id, 0);
            let file = lowerer.file(pairs, comments(text, id));
            Parsed {
                file: Some(file),
                diagnostics: lowerer.into_diagnostics(),
            }
        }
        Err(e) => Parsed {
            file: None,
            diagnostics: vec![error::convert(&e, sources, id, 0)],
        },
    }
}

/// Parses the source of a `{…}` placeholder that starts at byte `base` of file `id`.
pub(crate) fn parse_placeholder(
    sources: &SourceMap,
    id: SourceId,
    base: usize,
    text: &str,
) -> Result<crate::ast::Expr, Diagnostic> {
    if nesting_violation(text, Limits::default().max_depth).is_some() {
        return Err(
            Diagnostic::new(Code::TooDeep, "placeholder expression is nested too deeply").at_span(
                sources,
                Span::new(id, base, base + text.len()),
                "here",
            ),
        );
    }
    match grammar::parse_placeholder(text) {
        Ok(pairs) => {
            let mut lowerer = lower::Lowerer::new(sources, id, base);
            let expr = lowerer.placeholder(pairs);
            match lowerer.into_diagnostics().into_iter().next() {
                Some(d) => Err(d),
                None => expr.ok_or_else(|| {
                    Diagnostic::new(Code::InvalidPlaceholder, "empty placeholder").at_span(
                        sources,
                        Span::new(id, base, base + text.len()),
                        "here",
                    )
                }),
            }
        }
        Err(e) => {
            let mut d = error::convert(&e, sources, id, base);
            d.code = Code::InvalidPlaceholder;
            Err(d)
        }
    }
}

/// A conservative lexical bound on expression nesting, checked before the recursive-descent
/// parser runs so that no input can exhaust the stack. Brackets open a level; `not`, unary `-`
/// and quantifier heads add a level that lasts until the enclosing bracket closes. Returns the
/// offset and depth of the first violation.
fn nesting_violation(text: &str, max_depth: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut frames: Vec<usize> = vec![0]; // prefix operators counted per open bracket
    let mut i = 0;
    let mut prev_significant: u8 = b'{';
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                // Skip strings (and triple-quoted blocks).
                if bytes.get(i..i + 3) == Some(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && bytes.get(i..i + 3) != Some(b"\"\"\"") {
                        i += 1;
                    }
                    i += 3;
                } else {
                    i += 1;
                    while let Some(&c) = bytes.get(i) {
                        if c == b'\\' {
                            i += 2;
                            continue;
                        }
                        if c == b'"' || c == b'\n' {
                            break;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                prev_significant = b'"';
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes.get(i) != Some(&b'\n') {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => frames.push(0),
            b')' | b']' | b'}' if frames.len() > 1 => {
                frames.pop();
            }
            b'-' if !(prev_significant.is_ascii_alphanumeric()
                || prev_significant == b'_'
                || prev_significant == b')'
                || prev_significant == b']') =>
            {
                if let Some(f) = frames.last_mut() {
                    *f += 1;
                }
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                let word = text.get(start..i).unwrap_or("");
                if matches!(word, "not" | "all" | "any" | "count")
                    && let Some(f) = frames.last_mut()
                {
                    *f += 1;
                }
                prev_significant = b'a';
                let depth = frames.len() + frames.iter().sum::<usize>();
                if depth > max_depth {
                    return Some((start, depth));
                }
                continue;
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            prev_significant = b;
        }
        let depth = frames.len() + frames.iter().sum::<usize>();
        if depth > max_depth {
            return Some((i, depth));
        }
        i += 1;
    }
    None
}

/// Finds `//` comments outside strings.
fn comments(text: &str, id: SourceId) -> Vec<crate::ast::Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_has_code = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => {
                line_has_code = false;
                i += 1;
            }
            b'"' => {
                line_has_code = true;
                if bytes.get(i..i + 3) == Some(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && bytes.get(i..i + 3) != Some(b"\"\"\"") {
                        i += 1;
                    }
                    i += 3;
                } else {
                    i += 1;
                    while let Some(&c) = bytes.get(i) {
                        if c == b'\\' {
                            i += 2;
                            continue;
                        }
                        if c == b'"' || c == b'\n' {
                            break;
                        }
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let start = i;
                while i < bytes.len() && bytes.get(i) != Some(&b'\n') {
                    i += 1;
                }
                let raw = text.get(start..i).unwrap_or("").trim_end();
                out.push(crate::ast::Comment {
                    text: raw.to_string(),
                    span: Span::new(id, start, start + raw.len()),
                    trailing: line_has_code,
                });
            }
            c => {
                if !c.is_ascii_whitespace() {
                    line_has_code = true;
                }
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_and_prefix_operators() {
        assert!(nesting_violation("assert (((a)))", 8).is_none());
        let deep = format!("assert {}a{}", "(".repeat(100), ")".repeat(100));
        assert!(nesting_violation(&deep, 64).is_some());
        let nots = format!("assert {} a", "not ".repeat(100));
        assert!(nesting_violation(&nots, 64).is_some());
        // Strings and comments do not count.
        assert!(nesting_violation("explain \"((((((((((\" // ((((((((", 4).is_none());
    }

    #[test]
    fn comments_skip_strings() {
        let c = comments("a \"//x\" // one\n// two\n", SourceId(0));
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].text, "// one");
        assert!(c[0].trailing);
        assert!(!c[1].trailing);
    }
}
