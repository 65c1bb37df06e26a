//! The canonical layout of policy files.
//!
//! [`format`] prints a parsed [`PolicyFile`] back as text: two-space indentation, one blank line
//! between top-level items, the clauses of a control and of a KRI in a fixed order with their
//! values aligned at a fixed column, tier names padded to the longest, expressions with the fewest
//! parentheses that keep their meaning, numbers, dates and durations as written (`10_000_000`
//! stays), strings re-escaped. Blank lines inside a block are kept (several become one).
//!
//! Comments are kept. Each comment that stands on its own line goes with the next item, clause,
//! field or rule and moves with it; a comment after code stays at the end of that line, at the
//! column where it was written if the code still leaves room. A comment written inside a
//! multi-line clause moves above the clause.
//!
//! Formatting never changes meaning: [`format_source`] parses the result again and refuses to
//! hand it on unless the tree is the same (spans aside). Reading and writing files is the CLI's
//! job (`mrm fmt`); this module only maps trees to text.

use std::collections::BTreeMap;

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, SourceId, SourceMap, Span};
use crate::syntax;

/// Indentation of one block level.
const INDENT: usize = 2;
/// Where a control clause's value starts: after `remediate `, the longest keyword.
pub const CONTROL_COLUMN: usize = 10;
/// Where a KRI clause's value starts: after `yellow `.
pub const KRI_COLUMN: usize = 7;
/// A schema field whose record type would make its line longer than this gets one line per field.
pub const MAX_WIDTH: usize = 100;

/// What formatting one file came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The canonical text, which may equal the input.
    Formatted(String),
    /// The file does not parse, or parses only with errors that drop part of it (an unknown
    /// escape, a clause given twice); it must be left as it is.
    Invalid(Vec<Diagnostic>),
    /// The formatted text would not parse to the same tree: a formatter bug. Never write it.
    Unsafe(String),
}

/// Parses file `id` of `sources`, formats it, and checks that the result means the same.
pub fn format_source(sources: &SourceMap, id: SourceId) -> Outcome {
    let parsed = syntax::parse(sources, id);
    let lossy = parsed
        .diagnostics
        .iter()
        .any(|d| d.is_error() && d.code != Code::MissingClause);
    let file = match parsed.file {
        Some(file) if !lossy => file,
        _ => return Outcome::Invalid(parsed.diagnostics),
    };
    let text = format(&file, sources);
    let name = sources.file(id).map_or("", |f| &*f.name);
    let mut scratch = SourceMap::new();
    let again = scratch.add(SourceFile::new(name, text.as_str()));
    match syntax::parse(&scratch, again).file {
        Some(reparsed) if same_meaning(&file, &reparsed) => Outcome::Formatted(text),
        _ => Outcome::Unsafe(text),
    }
}

/// Whether two parsed files hold the same items and the same comments, spans and layout aside.
pub fn same_meaning(a: &PolicyFile, b: &PolicyFile) -> bool {
    without_spans(&a.items) == without_spans(&b.items) && comment_texts(a) == comment_texts(b)
}

/// A copy of `items` with the spans of blocks, clauses and types cleared: `Spanned` values
/// compare without their spans, but these `span` fields take part in equality.
fn without_spans(items: &[Item]) -> Vec<Item> {
    fn ty(t: &mut TypeExpr) {
        t.span = Span::default();
        match &mut t.kind {
            TypeKind::List(inner) => ty(inner),
            TypeKind::Record(fields) => fields.iter_mut().for_each(|(_, t)| ty(t)),
            TypeKind::String
            | TypeKind::Number
            | TypeKind::Bool
            | TypeKind::Date
            | TypeKind::Duration
            | TypeKind::Any => {}
        }
    }
    let mut items = items.to_vec();
    for item in &mut items {
        match item {
            Item::Policy(h) => h.span = Span::default(),
            Item::Schema(s) => {
                s.span = Span::default();
                for f in &mut s.fields {
                    f.span = Span::default();
                    ty(&mut f.ty);
                }
            }
            Item::Tiers(t) => {
                t.span = Span::default();
                t.rules.iter_mut().for_each(|r| r.span = Span::default());
            }
            Item::Kri(k) => k.span = Span::default(),
            Item::Control(c) => {
                c.span = Span::default();
                c.maps.iter_mut().for_each(|m| m.span = Span::default());
            }
            Item::Scope(s) => {
                s.span = Span::default();
                s.excludes.iter_mut().for_each(|e| e.span = Span::default());
            }
            Item::Test(t) => t.span = Span::default(),
        }
    }
    items
}

fn comment_texts(f: &PolicyFile) -> Vec<&str> {
    let mut v: Vec<&str> = f.comments.iter().map(|c| c.text.as_str()).collect();
    v.sort_unstable();
    v
}

/// Prints `file` in the canonical layout. `sources` must hold the text it was parsed from: number
/// literals and comments are taken from it.
pub fn format(file: &PolicyFile, sources: &SourceMap) -> String {
    let src = sources.file(file.source).map_or("", |f| &*f.text);
    let mut layout = Layout {
        src,
        sources,
        comment_ends: file
            .comments
            .iter()
            .map(|c| (c.span.end as usize, c.span.start as usize))
            .collect(),
        lines: Vec::new(),
    };
    for item in &file.items {
        layout.item(item);
    }
    layout.push(Role::End, 0, (src.len(), src.len()), String::new());
    let mut lines = layout.lines;
    attach(&mut lines, &file.comments, src);
    print(&lines, &file.comments, src)
}

// ---- layout: the lines to print, each with the source range it came from ---------------------

/// Where a line sits, which decides the blank lines before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The first line of a top-level item.
    Item,
    /// A clause, field or rule inside a block.
    Member,
    /// The `}` closing a block.
    Close,
    /// The end of the file, where comments after the last item go.
    End,
}

#[derive(Debug)]
struct Line {
    role: Role,
    indent: usize,
    /// Byte range of the source the line prints; comments attach by it.
    start: usize,
    end: usize,
    /// May hold several physical lines; continuation lines carry their own indentation.
    text: String,
    /// Comments on their own lines before this one, as indices into `PolicyFile::comments`.
    leading: Vec<usize>,
    /// The comment ending this line.
    trailing: Option<usize>,
    /// A blank line preceded the code in the source.
    blank_before: bool,
}

struct Layout<'a> {
    src: &'a str,
    sources: &'a SourceMap,
    /// Start of each comment, by its end.
    comment_ends: BTreeMap<usize, usize>,
    lines: Vec<Line>,
}

fn range(span: Span) -> (usize, usize) {
    (span.start as usize, span.end as usize)
}

fn pad(keyword: &str, column: usize) -> String {
    format!("{keyword:<column$}")
}

impl Layout<'_> {
    fn push(&mut self, role: Role, indent: usize, (start, end): (usize, usize), text: String) {
        let end = self.code_end(start, end);
        self.lines.push(Line {
            role,
            indent,
            start,
            end,
            text,
            leading: Vec::new(),
            trailing: None,
            blank_before: false,
        });
    }

    /// Where the code of a range ends. Some spans run on over the whitespace and comments after
    /// their last token (the parser skips them while looking for an optional `?` or `version`);
    /// a comment there ends the line rather than sitting inside it.
    fn code_end(&self, start: usize, end: usize) -> usize {
        let bytes = self.src.as_bytes();
        let mut end = end;
        while end > start {
            match bytes.get(end - 1) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => end -= 1,
                _ => match self.comment_ends.get(&end) {
                    Some(&comment_start) if comment_start >= start => end = comment_start,
                    _ => break,
                },
            }
        }
        end.max(start)
    }

    fn member(&mut self, range: (usize, usize), text: String) {
        self.push(Role::Member, INDENT, range, text);
    }

    /// The first line of a block: from the keyword to just after the `{` that follows `after`.
    fn open(&mut self, span: Span, after: usize, text: String) {
        let brace = skip_trivia(self.src, after);
        let end = if self.src.as_bytes().get(brace) == Some(&b'{') {
            brace + 1
        } else {
            after
        };
        self.push(
            Role::Item,
            0,
            (span.start as usize, end),
            format!("{text} {{"),
        );
    }

    fn close(&mut self, span: Span) {
        let end = span.end as usize;
        let start = if end > 0 && self.src.as_bytes().get(end - 1) == Some(&b'}') {
            end - 1
        } else {
            end
        };
        self.push(Role::Close, 0, (start, end), "}".to_string());
    }

    fn expr(&self, e: &Expr) -> String {
        expr(e, self.sources)
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Policy(h) => {
                let mut text = format!("policy {}", quote(&h.name.node));
                if let Some(v) = &h.version {
                    text.push_str(" version ");
                    text.push_str(&quote(&v.node));
                }
                self.push(Role::Item, 0, range(h.span), text);
            }
            Item::Schema(s) => {
                self.open(
                    s.span,
                    s.span.start as usize + "schema".len(),
                    "schema".into(),
                );
                for f in &s.fields {
                    let path = f.dotted();
                    let used = INDENT + path.chars().count() + 2;
                    let ty = type_fit(&f.ty, INDENT, used);
                    self.member(range(f.span), format!("{path}: {ty}"));
                }
                self.close(s.span);
            }
            Item::Tiers(t) => {
                self.open(
                    t.span,
                    t.span.start as usize + "tiers".len(),
                    "tiers".into(),
                );
                let width = t
                    .rules
                    .iter()
                    .map(|r| r.tier.node.chars().count())
                    .max()
                    .unwrap_or(0);
                for r in &t.rules {
                    let mut text = format!("{:<width$} ", r.tier.node);
                    if let Some(label) = &r.label {
                        text.push_str(&quote(&label.node));
                        text.push(' ');
                    }
                    match &r.condition {
                        Some(c) => {
                            text.push_str("when ");
                            text.push_str(&self.expr(c));
                        }
                        None => text.push_str("otherwise"),
                    }
                    self.member(range(r.span), text);
                }
                self.close(t.span);
            }
            Item::Kri(k) => {
                let head = format!("kri {} {}", k.name.node, quote(&k.title.node));
                self.open(k.span, k.title.span.end as usize, head);
                if let Some(v) = &k.value {
                    self.member(range(v.span), pad("value", KRI_COLUMN) + &self.expr(v));
                }
                for (word, e) in [("yellow", &k.yellow), ("red", &k.red)] {
                    if let Some(e) = e {
                        let text = format!("{}when {}", pad(word, KRI_COLUMN), self.expr(e));
                        self.member(range(e.span), text);
                    }
                }
                if let Some(u) = &k.unit {
                    self.member(range(u.span), pad("unit", KRI_COLUMN) + &quote(&u.node));
                }
                self.close(k.span);
            }
            Item::Control(c) => self.control(c),
            Item::Scope(s) => {
                let head = format!("scope {}", s.framework.node);
                self.open(s.span, s.framework.span.end as usize, head);
                for ex in &s.excludes {
                    let text = format!(
                        "exclude {} because {}",
                        quote(&ex.clause.node),
                        quote(&ex.reason.node)
                    );
                    self.member(range(ex.span), text);
                }
                self.close(s.span);
            }
            Item::Test(t) => self.test(t),
        }
    }

    fn control(&mut self, c: &Control) {
        let head = format!("control {} {}", c.id.node, quote(&c.title.node));
        self.open(c.span, c.title.span.end as usize, head);
        let clause = |word: &str, value: String| pad(word, CONTROL_COLUMN) + &value;
        for (word, name) in [("pillar", &c.pillar), ("stage", &c.stage)] {
            if let Some(n) = name {
                self.member(range(n.span), clause(word, n.node.clone()));
            }
        }
        if let (Some(first), Some(last)) = (c.tiers.first(), c.tiers.last()) {
            let names: Vec<&str> = c.tiers.iter().map(|t| t.node.as_str()).collect();
            let r = (first.span.start as usize, last.span.end as usize);
            self.member(r, clause("tiers", names.join(", ")));
        }
        if let Some(s) = &c.severity {
            self.member(range(s.span), clause("severity", s.node.clone()));
        }
        if let (Some(first), Some(last)) = (c.maps.first(), c.maps.last()) {
            let maps: Vec<String> = c
                .maps
                .iter()
                .map(|m| format!("{} {}", m.framework.node, quote(&m.clause.node)))
                .collect();
            let r = (first.span.start as usize, last.span.end as usize);
            self.member(r, clause("maps", maps.join(", ")));
        }
        if let (Some(first), Some(last)) = (c.requires.first(), c.requires.last()) {
            let names: Vec<&str> = c.requires.iter().map(|t| t.node.as_str()).collect();
            let r = (first.span.start as usize, last.span.end as usize);
            self.member(r, clause("requires", names.join(", ")));
        }
        if let (Some(first), Some(last)) = (c.evidence.first(), c.evidence.last()) {
            let items: Vec<String> = c
                .evidence
                .iter()
                .map(|e| match e {
                    Evidence::File(path) => quote(&path.node),
                    Evidence::Field(path) => self.expr(path),
                })
                .collect();
            let r = (first.span().start as usize, last.span().end as usize);
            self.member(r, clause("evidence", items.join(", ")));
        }
        if let Some(e) = &c.applies {
            let text = clause("applies", format!("when {}", self.expr(e)));
            self.member(range(e.span), text);
        }
        if let Some(e) = &c.assert {
            let text = clause("assert", self.expr(e));
            self.member(range(e.span), text);
        }
        if let Some(t) = &c.explain {
            let text = clause("explain", template(t, self.sources));
            self.member(range(t.raw.span), text);
        }
        if let Some(r) = &c.remediate {
            self.member(range(r.span), clause("remediate", quote(&r.node)));
        }
        self.close(c.span);
    }

    fn test(&mut self, t: &TestCase) {
        self.open(
            t.span,
            t.name.span.end as usize,
            format!("test {}", quote(&t.name.node)),
        );
        if let Some(m) = &t.model {
            self.member(range(m.span), format!("model {}", quote(&m.node)));
        }
        if let Some(m) = &t.metadata {
            // The span covers the body; the range takes in the `"""` on both sides.
            let (start, end) = range(m.span);
            let r = (start.saturating_sub(3), end + 3);
            self.member(r, format!("metadata \"\"\"{}\"\"\"", m.node));
        }
        if let Some(d) = &t.as_of {
            let written = self.sources.snippet(d.span);
            let text = if written.parse::<jiff::civil::Date>().ok() == Some(d.node) {
                written.to_string()
            } else {
                d.node.to_string()
            };
            self.member(range(d.span), format!("as_of {text}"));
        }
        for e in &t.expects {
            let (r, text) = match e {
                Expectation::Tier(name) => (range(name.span), format!("expect tier {}", name.node)),
                Expectation::Kri { name, level } => (
                    (name.span.start as usize, level.span.end as usize),
                    format!("expect kri {} {}", name.node, level.node),
                ),
                Expectation::Control { id, status } => (
                    (id.span.start as usize, status.span.end as usize),
                    format!("expect {} {}", id.node, status.node),
                ),
            };
            self.member(r, text);
        }
        self.close(t.span);
    }
}

// ---- comments ------------------------------------------------------------------------------

/// The offset of the first byte at or after `pos` that is neither whitespace nor in a comment.
fn skip_trivia(src: &str, mut pos: usize) -> usize {
    let bytes = src.as_bytes();
    loop {
        match bytes.get(pos) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => pos += 1,
            Some(b'/') if bytes.get(pos + 1) == Some(&b'/') => {
                while bytes.get(pos).is_some_and(|b| *b != b'\n') {
                    pos += 1;
                }
            }
            _ => return pos,
        }
    }
}

/// Whether a blank line separates `pos` from whatever precedes it.
fn blank_line_before(src: &str, pos: usize) -> bool {
    let mut newlines = 0;
    for b in src.as_bytes().get(..pos).unwrap_or_default().iter().rev() {
        match b {
            b'\n' => newlines += 1,
            b' ' | b'\t' | b'\r' => {}
            _ => break,
        }
    }
    newlines >= 2
}

/// The column (in characters, from 0) at which `pos` stands on its line.
fn column(src: &str, pos: usize) -> usize {
    let before = src.get(..pos).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    before.get(line_start..).map_or(0, |s| s.chars().count())
}

/// Gives each comment to a line and records where the source had blank lines.
fn attach(lines: &mut [Line], comments: &[Comment], src: &str) {
    // Lines in source order; their ranges do not overlap, so their ends are ordered too.
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| lines.get(i).map_or(0, |l| l.start));
    let mut prev_end = 0;
    for &i in &order {
        if let Some(line) = lines.get_mut(i) {
            let code_start = skip_trivia(src, prev_end).min(line.start);
            line.blank_before = blank_line_before(src, code_start);
            prev_end = line.end;
        }
    }
    for (ci, c) in comments.iter().enumerate() {
        let pos = c.span.start as usize;
        let after = order.partition_point(|&i| lines.get(i).is_some_and(|l| l.end <= pos));
        if c.trailing
            && let Some(prev) = after.checked_sub(1).and_then(|k| order.get(k))
            && let Some(line) = lines.get_mut(*prev)
            && line.trailing.is_none()
            && src
                .get(line.end..pos)
                .is_some_and(|gap| !gap.contains('\n'))
        {
            line.trailing = Some(ci);
            continue;
        }
        let next = order.get(after).or(order.last()).copied();
        if let Some(line) = next.and_then(|i| lines.get_mut(i)) {
            line.leading.push(ci);
        }
    }
}

// ---- printing ------------------------------------------------------------------------------

struct Printer {
    out: String,
    /// The last line opened a block: no blank line may follow.
    after_open: bool,
}

impl Printer {
    fn blank(&mut self) {
        if !self.out.is_empty() && !self.after_open && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn indent(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    fn comment(&mut self, indent: usize, text: &str) {
        self.indent(indent);
        self.out.push_str(text);
        self.out.push('\n');
        self.after_open = false;
    }

    fn line(&mut self, indent: usize, text: &str, trailing: Option<(&Comment, usize)>) {
        self.indent(indent);
        self.out.push_str(text);
        if let Some((comment, written_at)) = trailing {
            let width = match text.rfind('\n') {
                Some(i) => text.get(i + 1..).map_or(0, |s| s.chars().count()),
                None => indent + text.chars().count(),
            };
            let at = written_at.max(width + 1);
            self.indent(at - width);
            self.out.push_str(&comment.text);
        }
        self.out.push('\n');
        self.after_open = text.ends_with('{');
    }
}

fn print(lines: &[Line], comments: &[Comment], src: &str) -> String {
    let mut p = Printer {
        out: String::new(),
        after_open: false,
    };
    let trailing = |ci: Option<usize>| {
        ci.and_then(|i| comments.get(i))
            .map(|c| (c, column(src, c.span.start as usize)))
    };
    let mut items = 0;
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        i += 1;
        let indent = match line.role {
            Role::Item | Role::End => line.indent,
            Role::Member | Role::Close => line.indent.max(INDENT),
        };
        let forced = matches!(line.role, Role::Item | Role::End) && items > 0;
        let mut first = true;
        for c in line.leading.iter().filter_map(|&ci| comments.get(ci)) {
            let blank = if first {
                forced || (!matches!(line.role, Role::Item | Role::End) && c_blank(src, c))
            } else {
                c_blank(src, c)
            };
            if blank {
                p.blank();
            }
            p.comment(indent, &c.text);
            first = false;
        }
        match line.role {
            Role::End => {}
            Role::Close => p.line(0, &line.text, trailing(line.trailing)),
            Role::Item | Role::Member => {
                let blank = if first {
                    forced || (line.role == Role::Member && line.blank_before)
                } else {
                    line.blank_before
                };
                if blank {
                    p.blank();
                }
                // An empty block with nothing inside to keep prints as `name {}`.
                let next = lines.get(i);
                let empty = line.text.ends_with('{')
                    && line.trailing.is_none()
                    && next.is_some_and(|n| n.role == Role::Close && n.leading.is_empty());
                if let (true, Some(close)) = (empty, next) {
                    let text = format!("{}}}", line.text);
                    p.line(line.indent, &text, trailing(close.trailing));
                    i += 1;
                } else {
                    p.line(line.indent, &line.text, trailing(line.trailing));
                }
            }
        }
        if line.role == Role::Item {
            items += 1;
        }
    }
    let mut out = p.out;
    let trimmed = out.trim_end_matches('\n').len();
    out.truncate(trimmed);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn c_blank(src: &str, c: &Comment) -> bool {
    blank_line_before(src, c.span.start as usize)
}

// ---- types ---------------------------------------------------------------------------------

fn type_inline(t: &TypeExpr) -> String {
    let mut s = match &t.kind {
        TypeKind::String => "string".to_string(),
        TypeKind::Number => "number".to_string(),
        TypeKind::Bool => "bool".to_string(),
        TypeKind::Date => "date".to_string(),
        TypeKind::Duration => "duration".to_string(),
        TypeKind::Any => "any".to_string(),
        TypeKind::List(inner) => format!("list<{}>", type_inline(inner)),
        TypeKind::Record(fields) if fields.is_empty() => "{}".to_string(),
        TypeKind::Record(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(name, ty)| format!("{}: {}", name.node, type_inline(ty)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
    };
    if t.optional {
        s.push('?');
    }
    s
}

/// A type that starts at column `used` of a line indented by `indent`: inline if it fits, else
/// with its records one field per line.
fn type_fit(t: &TypeExpr, indent: usize, used: usize) -> String {
    let inline = type_inline(t);
    if used + inline.chars().count() <= MAX_WIDTH {
        return inline;
    }
    let mut s = match &t.kind {
        TypeKind::Record(fields) if !fields.is_empty() => {
            let inner = indent + INDENT;
            let mut s = String::from("{\n");
            for (i, (name, ty)) in fields.iter().enumerate() {
                let last = i + 1 == fields.len();
                let used = inner + name.node.chars().count() + 2 + usize::from(!last);
                s.extend(std::iter::repeat_n(' ', inner));
                s.push_str(&name.node);
                s.push_str(": ");
                s.push_str(&type_fit(ty, inner, used));
                if !last {
                    s.push(',');
                }
                s.push('\n');
            }
            s.extend(std::iter::repeat_n(' ', indent));
            s.push('}');
            s
        }
        TypeKind::List(inner) => format!("list<{}>", type_fit(inner, indent, used + 5)),
        _ => return inline,
    };
    if t.optional {
        s.push('?');
    }
    s
}

// ---- strings -------------------------------------------------------------------------------

/// A string literal: quoted, with `"`, `\` and control characters escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    escape_into(&mut out, s, false);
    out.push('"');
    out
}

fn escape_into(out: &mut String, s: &str, braces: bool) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '{' if braces => out.push_str("\\{"),
            '}' if braces => out.push_str("\\}"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
}

/// An `explain` text. It is printed as written: its `raw` form keeps the placeholders' source
/// text, which re-printing the expressions could change. Without a usable source it is rebuilt.
fn template(t: &Template, sources: &SourceMap) -> String {
    let written = sources.snippet(t.raw.span);
    if written.len() >= 2 && written.starts_with('"') && written.ends_with('"') {
        return written.to_string();
    }
    let mut out = String::from("\"");
    for part in &t.parts {
        match part {
            TemplatePart::Text(s) => escape_into(&mut out, s, true),
            TemplatePart::Expr(e) => {
                out.push('{');
                out.push_str(&expr(e, sources));
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}

// ---- expressions ---------------------------------------------------------------------------

/// Binding strength of `not`, between `and` and the comparisons.
const PREC_NOT: u8 = 3;
/// Operands of a comparison bind at least as tightly as `+`: comparisons do not chain.
const PREC_ADD: u8 = 5;
/// Unary minus.
const PREC_NEG: u8 = 7;
/// Literals, paths, calls, lists, quantifiers, `.field` and `[index]`.
const PREC_ATOM: u8 = 8;

fn precedence(e: &Expr) -> u8 {
    match &e.node {
        ExprKind::Binary(op, ..) => op.precedence(),
        ExprKind::Unary(UnaryOp::Not, _) => PREC_NOT,
        ExprKind::Unary(UnaryOp::Neg, _) => PREC_NEG,
        ExprKind::Literal(_)
        | ExprKind::Path(_)
        | ExprKind::Field(..)
        | ExprKind::Index(..)
        | ExprKind::List(_)
        | ExprKind::Call(_)
        | ExprKind::Quantifier(_) => PREC_ATOM,
    }
}

/// Prints an expression with the fewest parentheses that parse back to the same tree.
pub fn expr(e: &Expr, sources: &SourceMap) -> String {
    let mut out = String::new();
    write_expr(&mut out, e, 0, true, sources);
    out
}

/// Writes `e` where the grammar wants something binding at least as tightly as `min`. `tail` says
/// whether `e` ends its bracket or clause: `all x in xs: body` takes everything after the `:`, so
/// a quantifier anywhere else needs parentheses.
fn write_expr(out: &mut String, e: &Expr, min: u8, tail: bool, sources: &SourceMap) {
    let open_ended = matches!(&e.node, ExprKind::Quantifier(q) if q.kind != QuantifierKind::Count);
    if precedence(e) < min || (open_ended && !tail) {
        out.push('(');
        write_expr(out, e, 0, true, sources);
        out.push(')');
        return;
    }
    match &e.node {
        ExprKind::Literal(l) => literal(out, l, e.span, sources),
        ExprKind::Path(segments) => out.push_str(&join_path(segments)),
        ExprKind::Field(base, name) => {
            // `(a.b).c` is a field of a value, `a.b.c` a longer path: keep the brackets.
            if matches!(base.node, ExprKind::Path(_)) {
                out.push('(');
                write_expr(out, base, 0, true, sources);
                out.push(')');
            } else {
                write_expr(out, base, PREC_ATOM, false, sources);
            }
            out.push('.');
            out.push_str(&name.node);
        }
        ExprKind::Index(base, index) => {
            write_expr(out, base, PREC_ATOM, false, sources);
            out.push('[');
            write_expr(out, index, 0, true, sources);
            out.push(']');
        }
        ExprKind::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(out, item, 0, true, sources);
            }
            out.push(']');
        }
        ExprKind::Unary(UnaryOp::Not, operand) => {
            out.push_str("not ");
            write_expr(out, operand, PREC_NOT, tail, sources);
        }
        ExprKind::Unary(UnaryOp::Neg, operand) => {
            out.push('-');
            write_expr(out, operand, PREC_NEG, tail, sources);
        }
        ExprKind::Binary(op, lhs, rhs) => {
            let p = op.precedence();
            // Left-associative: a right operand of the same strength needs brackets.
            let (left, right) = if op.is_comparison() {
                (PREC_ADD, PREC_ADD)
            } else {
                (p, p + 1)
            };
            write_expr(out, lhs, left, false, sources);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            write_expr(out, rhs, right, tail, sources);
        }
        ExprKind::Call(call) => {
            out.push_str(&call.name.node);
            out.push('(');
            for (i, arg) in call.args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(out, arg, 0, true, sources);
            }
            out.push(')');
        }
        ExprKind::Quantifier(q) => {
            let count = q.kind == QuantifierKind::Count;
            out.push_str(q.kind.as_str());
            out.push(if count { '(' } else { ' ' });
            out.push_str(&q.var.node);
            out.push_str(" in ");
            write_expr(out, &q.list, PREC_ADD, false, sources);
            out.push_str(": ");
            write_expr(out, &q.body, 0, tail || count, sources);
            if count {
                out.push(')');
            }
        }
    }
}

fn literal(out: &mut String, l: &Literal, span: Span, sources: &SourceMap) {
    let written = sources.snippet(span);
    match l {
        Literal::Number(n) => {
            if number_as_written(written, *n) {
                out.push_str(written);
            } else if n.is_finite() {
                out.push_str(&n.to_string());
            } else {
                out.push('0');
            }
        }
        Literal::String(s) => out.push_str(&quote(s)),
        Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Date(d) => {
            if written.len() == 10 && written.parse::<jiff::civil::Date>().ok() == Some(*d) {
                out.push_str(written);
            } else {
                out.push_str(&d.to_string());
            }
        }
        Literal::Duration(days) => {
            if duration_as_written(written, *days) {
                out.push_str(written);
            } else {
                out.push_str(&format!("{days}d"));
            }
        }
        Literal::None => out.push_str("none"),
    }
}

/// Whether `written` is a number literal (`10_000_000`, `0.25`, `1e-3`) with value `n`.
fn number_as_written(written: &str, n: f64) -> bool {
    written.starts_with(|c: char| c.is_ascii_digit())
        && written
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '_' | '.' | 'e' | 'E' | '+' | '-'))
        && written.replace('_', "").parse::<f64>().ok() == Some(n)
}

/// Whether `written` is a duration literal (`365d`, `2w`) of `days` days.
fn duration_as_written(written: &str, days: i64) -> bool {
    let (digits, unit) = written.split_at(written.len().saturating_sub(1));
    let factor = match unit {
        "d" => 1,
        "w" => 7,
        _ => return false,
    };
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(factor))
            == Some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (PolicyFile, SourceMap) {
        let mut sources = SourceMap::new();
        let id = sources.add(SourceFile::new("t.mrm", text));
        let parsed = syntax::parse(&sources, id);
        let file = parsed.file.expect("parses");
        (file, sources)
    }

    /// The assertion of a one-control file, re-printed.
    fn reprint(assertion: &str) -> String {
        let (file, sources) = parse(&format!(
            "control A \"t\" {{ severity low assert {assertion} }}"
        ));
        let Some(Item::Control(c)) = file.items.first() else {
            panic!("no control");
        };
        expr(c.assert.as_ref().expect("assert"), &sources)
    }

    #[test]
    fn parentheses_are_kept_only_where_needed() {
        for (input, expected) in [
            ("((a or b)) and c", "(a or b) and c"),
            ("a or (b and c)", "a or b and c"),
            ("(a or b) or c", "a or b or c"),
            ("a or (b or c)", "a or (b or c)"),
            ("a - (b - c)", "a - (b - c)"),
            ("(a - b) - c", "a - b - c"),
            ("(a * b) + c", "a * b + c"),
            ("a * (b + c)", "a * (b + c)"),
            ("-(a + b)", "-(a + b)"),
            ("- a.b", "-a.b"),
            ("not (a and b)", "not (a and b)"),
            ("(not a) == b", "(not a) == b"),
            ("not (a == b)", "not a == b"),
            ("(a == b) == c", "(a == b) == c"),
            ("a  not   in  [1,2]", "a not in [1, 2]"),
            ("(all x in xs: x > 1) and b", "(all x in xs: x > 1) and b"),
            ("b and (all x in xs: x > 1)", "b and all x in xs: x > 1"),
            ("(b and all x in xs: x) or c", "b and (all x in xs: x) or c"),
            ("count(x in (xs): x)", "count(x in xs: x)"),
            ("all x in (a or b): x", "all x in (a or b): x"),
            ("(a.b).c", "(a.b).c"),
            ("(f(a)).c[0]", "f(a).c[0]"),
            ("10_000_000 + 1e3 + 0.10", "10_000_000 + 1e3 + 0.10"),
            ("2w + 365d", "2w + 365d"),
            ("\"a\\u{41}\\\"\\t\" == none", "\"aA\\\"\\t\" == none"),
        ] {
            assert_eq!(reprint(input), expected, "{input}");
        }
    }

    #[test]
    fn trailing_comments_keep_their_column() {
        let text = "schema {\n  a: number     // one\n  bb: string // two\n}\n";
        let (file, sources) = parse(text);
        assert_eq!(format(&file, &sources), text);
    }
}
