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

/// A conservative lexical bound on the depth of the syntax tree, checked before the
/// recursive-descent parser runs so that no input can exhaust the stack, neither while parsing nor
/// in the passes that later walk the tree recursively (checking, formatting, evaluation, `Drop`).
///
/// Brackets (and `list<…>`) open a level. Inside one bracket, `not`, unary `-` and quantifier
/// heads each add a level until the expression ends, and so does every binary operator in the
/// longest run of operators of one precedence (`a + b + c` is a tree two deep, `a * b + c * d`
/// too) and every `.field` or `[index]` after a bracket: the tree is that deep, and the checker,
/// the formatter and the evaluator walk it recursively. A bracket that closes hands its depth on to
/// the enclosing level. An expression ends where the next one starts without an operator in between
/// (a clause keyword), or at a comma. Returns the offset and depth of the first violation.
///
/// Measured on a 2 MiB thread of a debug build, parsing and checking survive about 180 nested
/// brackets, 160 nested `not`s or a chain of 590 operators; the default limit of 64 leaves room.
fn nesting_violation(text: &str, max_depth: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut scan = DepthScan::default();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let mut after_list = false;
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes.get(i) != Some(&b'\n') {
                    i += 1;
                }
                continue;
            }
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
                scan.operand();
            }
            b'(' | b'[' | b'{' => {
                if b == b'[' && scan.operand_end {
                    scan.top().binary(POSTFIX);
                }
                scan.open(b);
                i += 1;
            }
            b')' => {
                scan.close(b'(');
                i += 1;
            }
            b']' => {
                scan.close(b'[');
                i += 1;
            }
            b'}' => {
                scan.close(b'{');
                i += 1;
            }
            b'<' if scan.after_list => {
                scan.open(b'<');
                i += 1;
            }
            b'>' if scan.top_opener() == b'<' => {
                scan.close(b'<');
                i += 1;
            }
            b'=' | b'!' | b'<' | b'>' => {
                i += 1;
                if bytes.get(i) == Some(&b'=') {
                    i += 1;
                }
                scan.binary(CMP);
            }
            b'+' => {
                scan.binary(ADD);
                i += 1;
            }
            b'*' | b'/' => {
                scan.binary(MUL);
                i += 1;
            }
            b'-' => {
                if scan.operand_end {
                    scan.binary(ADD);
                } else {
                    scan.prefix();
                }
                i += 1;
            }
            b'.' => {
                let field = scan.after_bracket;
                if field {
                    scan.top().binary(POSTFIX);
                }
                scan.operator();
                scan.field_name = field;
                i += 1;
            }
            b',' => {
                scan.top().reset();
                scan.operator();
                i += 1;
            }
            b':' => {
                scan.operator();
                i += 1;
            }
            b'?' => {
                scan.operator();
                scan.operand_end = true;
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                match text.get(start..i).unwrap_or("") {
                    "and" => scan.binary(AND),
                    "or" => scan.binary(OR),
                    "in" => scan.binary(CMP),
                    "not" if scan.operand_end => scan.binary(CMP), // `not in`
                    "not" | "all" | "any" | "count" => scan.prefix(),
                    word => {
                        scan.operand();
                        after_list = word == "list";
                    }
                }
            }
            _ => i += 1,
        }
        scan.after_list = after_list;
        let depth = scan.depth();
        if depth > max_depth {
            return Some((start, depth));
        }
    }
    None
}

/// Precedence levels of binary operators, loosest first, then postfix `.field` and `[index]`.
const OR: usize = 0;
const AND: usize = 1;
const CMP: usize = 2;
const ADD: usize = 3;
const MUL: usize = 4;
const POSTFIX: usize = 5;
const LEVELS: usize = 6;

/// One open bracket (or the whole file) while scanning for [`nesting_violation`].
#[derive(Debug, Default, Clone, Copy)]
struct Frame {
    opener: u8,
    /// Prefix operators in the current expression.
    prefix: usize,
    /// Operators of each level in the current run (reset by a looser operator).
    run: [usize; LEVELS],
    /// The longest run of each level in the current expression: a bound on the tree's depth.
    longest: [usize; LEVELS],
    /// The deepest bracket closed inside the current expression.
    child: usize,
}

impl Frame {
    fn depth(&self) -> usize {
        1 + self.prefix + self.longest.iter().sum::<usize>() + self.child
    }

    fn binary(&mut self, level: usize) {
        for (l, (run, longest)) in self.run.iter_mut().zip(&mut self.longest).enumerate() {
            if l == level {
                *run += 1;
                *longest = (*longest).max(*run);
            } else if l > level {
                *run = 0;
            }
        }
    }

    /// A new expression starts.
    fn reset(&mut self) {
        *self = Frame {
            opener: self.opener,
            ..Frame::default()
        };
    }
}

#[derive(Debug, Default)]
struct DepthScan {
    /// The file itself, outside any bracket.
    root: Frame,
    /// Open brackets, innermost last.
    frames: Vec<Frame>,
    /// Sum of the depths of the root and every open frame below the innermost one.
    outer: usize,
    /// The last token ended an operand, so an operand now starts a new expression.
    operand_end: bool,
    /// The last token was `)` or `]`, or a field name after them, so `.` is a field access
    /// (after a plain name it would extend a path, which adds no depth).
    after_bracket: bool,
    /// The last token was a `.` that accesses a field.
    field_name: bool,
    /// The last token was the word `list`, so `<` opens a type argument.
    after_list: bool,
}

impl DepthScan {
    fn top(&mut self) -> &mut Frame {
        match self.frames.last_mut() {
            Some(f) => f,
            None => &mut self.root,
        }
    }

    fn top_opener(&self) -> u8 {
        self.frames.last().map_or(0, |f| f.opener)
    }

    fn depth(&self) -> usize {
        self.outer + self.frames.last().unwrap_or(&self.root).depth()
    }

    fn operand(&mut self) {
        if self.operand_end {
            self.top().reset();
        }
        self.operand_end = true;
        self.after_bracket = self.field_name;
        self.field_name = false;
    }

    fn operator(&mut self) {
        self.operand_end = false;
        self.after_bracket = false;
        self.field_name = false;
    }

    fn binary(&mut self, level: usize) {
        self.top().binary(level);
        self.operator();
    }

    fn prefix(&mut self) {
        if self.operand_end {
            self.top().reset();
        }
        self.top().prefix += 1;
        self.operator();
    }

    fn open(&mut self, opener: u8) {
        let below = self.top().depth();
        self.outer = self.outer.saturating_add(below);
        self.frames.push(Frame {
            opener,
            ..Frame::default()
        });
        self.operator();
    }

    /// Closes frames up to and including the innermost one opened by `opener`, handing each
    /// one's depth to its parent.
    fn close(&mut self, opener: u8) {
        while let Some(closed) = self.frames.pop() {
            let parent = self.top();
            let parent_depth = parent.depth();
            parent.child = parent.child.max(closed.depth());
            self.outer = self.outer.saturating_sub(parent_depth);
            if closed.opener == opener {
                break;
            }
        }
        self.operand_end = true;
        self.after_bracket = opener == b'(' || opener == b'[';
        self.field_name = false;
    }
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
        assert!(nesting_violation("assert (((a)))", 4).is_none());
        assert!(nesting_violation("assert (((a)))", 3).is_some());
        assert!(nesting_violation("assert all x in l: any y in x: y", 3).is_some());
        let deep = format!("assert {}a{}", "(".repeat(100), ")".repeat(100));
        assert!(nesting_violation(&deep, 64).is_some());
        let nots = format!("assert {} a", "not ".repeat(100));
        assert!(nesting_violation(&nots, 64).is_some());
        // Strings and comments do not count.
        assert!(nesting_violation("explain \"((((((((((\" // ((((((((", 4).is_none());
    }

    #[test]
    fn nesting_counts_operator_chains() {
        // A chain of n operators is a tree n deep: `1 + 1 + 1` is `(1 + 1) + 1`.
        let chain = |op: &str, n: usize| format!("assert a{}", format!(" {op} a").repeat(n));
        assert!(nesting_violation(&chain("+", 40), 64).is_none());
        for op in ["+", "*", "and", "or", "==", "in"] {
            assert!(nesting_violation(&chain(op, 100), 64).is_some(), "{op}");
        }
        let fields = format!("assert (a){}", ".b".repeat(100));
        assert!(nesting_violation(&fields, 64).is_some());
        let index = format!("assert a{}", "[0]".repeat(100));
        assert!(nesting_violation(&index, 64).is_some());
        let types = format!(
            "schema {{ a: {}number{} }}",
            "list<".repeat(100),
            ">".repeat(100)
        );
        assert!(nesting_violation(&types, 64).is_some());
    }

    #[test]
    fn nesting_counts_only_the_longest_run_of_each_precedence() {
        // `a.b >= 1 or …` twenty times: an `or` chain 19 deep over comparisons.
        let terms = vec!["x.y >= 1_000_000.5"; 20].join(" or ");
        let text = format!("tiers {{ high when {terms} low otherwise }}");
        assert_eq!(nesting_violation(&text, 24), None);
        assert!(nesting_violation(&text, 20).is_some());
        // Paths, decimals, dates and dashed names add nothing that lasts past their clause.
        let many = "control A-B-C \"t\" { maps sr-11-7 \"VI.3\" requires X-Y-1 assert not a.b \
                    explain \"x\" }\n"
            .repeat(200);
        let tiers = "tiers {\n".to_string() + &"t when not a and b or c\n".repeat(200) + "}";
        assert_eq!(nesting_violation(&(many + &tiers), 8), None);
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
