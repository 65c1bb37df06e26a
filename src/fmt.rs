//! The canonical layout of policy files.
//!
//! [`format()`] prints a parsed [`PolicyFile`] back as text: two-space indentation, one blank line
//! between top-level items, the clauses of a control in one order (`pillar`, `stage`, `tiers`,
//! `severity`, `maps`, `requires`, `applies`, `evidence`, `assert`, `explain`, `remediate`) with
//! their values at column 12, a KRI's at column 9, tier names padded when every rule fits on one
//! line, scope exclusions lined up like a table, numbers, dates and durations as written
//! (`10_000_000` stays), strings re-escaped, and expressions with the fewest parentheses that keep
//! their meaning, plus two kept for the reader (the `expr` submodule says which). Blank lines
//! inside a block are kept (several become one).
//!
//! Long clauses break over lines where the author broke them and wherever a line would pass
//! [`MAX_WIDTH`] columns: expressions before `and`/`or` and after a quantifier's `:`, lists of
//! mappings, names and evidence after a comma, a tier rule before `when`, a schema record one field
//! per line. Continuation lines line up under the value they continue.
//!
//! Comments are kept. Each comment that stands on its own line goes with the next item, clause,
//! field or rule and moves with it; a comment after code stays at the end of that line, at the
//! column where it was written if the code still leaves room, and so do the comment lines lined up
//! under it. A comment written inside a multi-line clause moves above the clause.
//!
//! Formatting never changes meaning: [`format_source`] parses the result again and refuses to
//! hand it on unless the tree is the same (spans aside). Reading and writing files is the CLI's
//! job (`mrm fmt`); this module only maps trees to text.

mod expr;

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, SourceId, SourceMap, Span};
use crate::syntax;
use expr::{Breaker, quote, template, width};

/// Indentation of one block level.
const INDENT: usize = 2;
/// Where a control clause's value starts: after `remediate `, the longest keyword.
pub const CONTROL_COLUMN: usize = 10;
/// Where a KRI clause's value starts: after `yellow `.
pub const KRI_COLUMN: usize = 7;
/// Lines longer than this are broken where the language allows it; a long string, or a comparison
/// that cannot be split, may still pass it.
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
            Item::Param(p) => {
                p.span = Span::default();
                p.name.span = Span::default();
            }
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
        breaker: Breaker { sources, src },
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
    /// A one-line top-level declaration (`param`): consecutive ones stay together, keeping the
    /// blank lines the author put between them.
    Decl,
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
    /// The comment ending this line, and the comment lines lined up under it.
    trailing: Vec<usize>,
    /// A blank line preceded the code in the source.
    blank_before: bool,
}

struct Layout<'a> {
    src: &'a str,
    sources: &'a SourceMap,
    breaker: Breaker<'a>,
    lines: Vec<Line>,
}

fn range(span: Span) -> (usize, usize) {
    (span.start as usize, span.end as usize)
}

fn pad(keyword: &str, column: usize) -> String {
    format!("{keyword:<column$}")
}

impl Layout<'_> {
    /// A line printing the source range `start..end`. The parser's spans end at the last token,
    /// so a comment after the range is outside it and can end the line.
    fn push(&mut self, role: Role, indent: usize, (start, end): (usize, usize), text: String) {
        self.lines.push(Line {
            role,
            indent,
            start,
            end: end.max(start),
            text,
            leading: Vec::new(),
            trailing: Vec::new(),
            blank_before: false,
        });
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

    /// An expression whose first character is at column `col`.
    fn expr(&self, e: &Expr, col: usize) -> String {
        self.breaker.expr(e, col)
    }

    /// A comma-separated list at column `col`.
    fn list<T>(&self, items: &[T], col: usize, item: impl Fn(&T) -> (String, Span)) -> String {
        let items: Vec<(String, Span)> = items.iter().map(item).collect();
        self.breaker.list(&items, col)
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
            Item::Param(p) => {
                let mut text = format!(
                    "param {} = {}",
                    p.name.node,
                    self.expr(&p.value, "param ".len() + p.name.node.len() + 3)
                );
                if let Some(d) = &p.description {
                    text.push(' ');
                    text.push_str(&quote(&d.node));
                }
                self.push(Role::Decl, 0, range(p.span), text);
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
                let name_width = t
                    .rules
                    .iter()
                    .map(|r| r.tier.node.chars().count())
                    .max()
                    .unwrap_or(0);
                // One rule a line, names padded so that the rest lines up, unless a rule needs
                // its `when` on a line of its own: then none is padded.
                let tabular = t
                    .rules
                    .iter()
                    .all(|r| self.tier_rule(r, name_width).is_some());
                for r in &t.rules {
                    let text = match self.tier_rule(r, if tabular { name_width } else { 0 }) {
                        Some(text) => text,
                        None => self.tier_rule_broken(r),
                    };
                    self.member(range(r.span), text);
                }
                self.close(t.span);
            }
            Item::Kri(k) => {
                let head = format!("kri {} {}", k.name.node, quote(&k.title.node));
                self.open(k.span, k.title.span.end as usize, head);
                if let Some(a) = &k.applies {
                    let cond = self.expr(a, INDENT + "applies when ".len());
                    self.member(range(a.span), format!("applies when {cond}"));
                }
                if let Some(v) = &k.value {
                    let value = self.expr(v, INDENT + KRI_COLUMN);
                    self.member(range(v.span), pad("value", KRI_COLUMN) + &value);
                }
                for (word, e) in [("yellow", &k.yellow), ("red", &k.red)] {
                    if let Some(e) = e {
                        let cond = self.expr(e, INDENT + KRI_COLUMN + "when ".len());
                        let text = format!("{}when {cond}", pad(word, KRI_COLUMN));
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
                // The reasons line up, like a table.
                let clauses: Vec<String> = s
                    .excludes
                    .iter()
                    .map(|e| match &e.owner {
                        Some(o) => format!("{} owner {}", quote(&e.clause.node), quote(&o.node)),
                        None => quote(&e.clause.node),
                    })
                    .collect();
                let column = clauses.iter().map(|c| width(c)).max().unwrap_or(0);
                for (ex, clause) in s.excludes.iter().zip(clauses) {
                    let word = if ex.owner.is_some() {
                        "firm   "
                    } else {
                        "exclude"
                    };
                    let text = format!(
                        "{word} {clause:<column$} because {}",
                        quote(&ex.reason.node)
                    );
                    self.member(range(ex.span), text);
                }
                self.close(s.span);
            }
            Item::Test(t) => self.test(t),
        }
    }

    /// `name "label" when condition` on one line, the name padded to `pad` columns; `None` where
    /// the author put `when` on its own line or the rule does not fit on one line.
    fn tier_rule(&self, r: &TierRule, pad: usize) -> Option<String> {
        let mut text = format!("{:<pad$}", r.tier.node);
        if let Some(label) = &r.label {
            text.push(' ');
            text.push_str(&quote(&label.node));
        }
        let Some(c) = &r.condition else {
            return Some(text + " otherwise");
        };
        let before = r.label.as_ref().map_or(r.tier.span.end, |l| l.span.end);
        if self.breaker.broken(before as usize, c.span.start as usize) {
            return None;
        }
        text.push_str(" when ");
        let col = INDENT + width(&text);
        let cond = self.expr(c, col);
        (!cond.contains('\n') && col + width(&cond) <= MAX_WIDTH).then(|| text + &cond)
    }

    /// A tier rule with `when` on the next line.
    fn tier_rule_broken(&self, r: &TierRule) -> String {
        let mut text = r.tier.node.clone();
        if let Some(label) = &r.label {
            text.push(' ');
            text.push_str(&quote(&label.node));
        }
        if let Some(c) = &r.condition {
            let indent = 2 * INDENT;
            let cond = self.expr(c, indent + "when ".len());
            text.push_str(&format!("\n{}when {cond}", " ".repeat(indent)));
        } else {
            text.push_str(" otherwise");
        }
        text
    }

    fn control(&mut self, c: &Control) {
        let head = format!("control {} {}", c.id.node, quote(&c.title.node));
        self.open(c.span, c.title.span.end as usize, head);
        let clause = |word: &str, value: String| pad(word, CONTROL_COLUMN) + &value;
        let col = INDENT + CONTROL_COLUMN;
        let name = |n: &Ident| (n.node.clone(), n.span);
        for (word, value) in [("pillar", &c.pillar), ("stage", &c.stage)] {
            if let Some(n) = value {
                self.member(range(n.span), clause(word, n.node.clone()));
            }
        }
        if let (Some(first), Some(last)) = (c.tiers.first(), c.tiers.last()) {
            let r = (first.span.start as usize, last.span.end as usize);
            self.member(r, clause("tiers", self.list(&c.tiers, col, name)));
        }
        if let Some(s) = &c.severity {
            self.member(range(s.span), clause("severity", s.node.clone()));
        }
        if let (Some(first), Some(last)) = (c.maps.first(), c.maps.last()) {
            let maps = self.list(&c.maps, col, |m| {
                (
                    format!("{} {}", m.framework.node, quote(&m.clause.node)),
                    m.span,
                )
            });
            let r = (first.span.start as usize, last.span.end as usize);
            self.member(r, clause("maps", maps));
        }
        if let (Some(first), Some(last)) = (c.requires.first(), c.requires.last()) {
            let r = (first.span.start as usize, last.span.end as usize);
            self.member(r, clause("requires", self.list(&c.requires, col, name)));
        }
        if let Some(e) = &c.applies {
            let text = clause("applies", format!("when {}", self.expr(e, col + 5)));
            self.member(range(e.span), text);
        }
        if let (Some(first), Some(last)) = (c.evidence.first(), c.evidence.last()) {
            let items = self.list(&c.evidence, col, |e| match e {
                Evidence::File(path) => (quote(&path.node), path.span),
                Evidence::Field(path) => (expr::flat(path, self.sources), path.span),
            });
            let r = (first.span().start as usize, last.span().end as usize);
            self.member(r, clause("evidence", items));
        }
        if let Some(e) = &c.assert {
            let text = clause("assert", self.expr(e, col));
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
            let text = expr::date(d.node, self.sources.snippet(d.span));
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
    // The line whose trailing comment the last comment ended, and that comment's column.
    let mut trailing_run: Option<(usize, usize)> = None;
    let mut prev_comment_end = 0;
    for (ci, c) in comments.iter().enumerate() {
        let pos = c.span.start as usize;
        let after = order.partition_point(|&i| lines.get(i).is_some_and(|l| l.end <= pos));
        let run = trailing_run.take();
        if c.trailing
            && let Some(&prev) = after.checked_sub(1).and_then(|k| order.get(k))
            && let Some(line) = lines.get_mut(prev)
            && line.trailing.is_empty()
            && src
                .get(line.end..pos)
                .is_some_and(|gap| !gap.contains('\n'))
        {
            line.trailing.push(ci);
            trailing_run = Some((prev, column(src, pos)));
        } else if let Some((line_index, col)) = run
            && column(src, pos) == col
            && src
                .get(prev_comment_end..pos)
                .is_some_and(|gap| gap.trim().is_empty() && gap.matches('\n').count() == 1)
            && let Some(line) = lines.get_mut(line_index)
        {
            // A comment lined up under a trailing comment continues it.
            line.trailing.push(ci);
            trailing_run = Some((line_index, col));
        } else {
            let next = order.get(after).or(order.last()).copied();
            if let Some(line) = next.and_then(|i| lines.get_mut(i)) {
                line.leading.push(ci);
            }
        }
        prev_comment_end = c.span.end as usize;
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

    /// A line of code, then its trailing comment at the column it was written at (or one space
    /// after the code, if that is further right) and the comment lines that continue it.
    fn line(&mut self, indent: usize, text: &str, trailing: &[&Comment], written_at: usize) {
        self.indent(indent);
        self.out.push_str(text);
        let code_end = expr::end_column(text, indent);
        let at = written_at.max(code_end + 1);
        for (i, comment) in trailing.iter().enumerate() {
            if i == 0 {
                self.indent(at - code_end);
            } else {
                self.out.push('\n');
                self.indent(at);
            }
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
    let trailing = |indices: &[usize]| {
        let found: Vec<&Comment> = indices.iter().filter_map(|&i| comments.get(i)).collect();
        let at = found
            .first()
            .map_or(0, |c| column(src, c.span.start as usize));
        (found, at)
    };
    let mut items = 0;
    let mut i = 0;
    let mut after_decl = false;
    while let Some(line) = lines.get(i) {
        i += 1;
        let indent = match line.role {
            Role::Item | Role::Decl | Role::End => line.indent,
            Role::Member | Role::Close => line.indent.max(INDENT),
        };
        let forced = matches!(line.role, Role::Item | Role::Decl | Role::End)
            && items > 0
            && !(line.role == Role::Decl && after_decl);
        after_decl = line.role == Role::Decl;
        let mut first = true;
        for c in line.leading.iter().filter_map(|&ci| comments.get(ci)) {
            let blank = if first {
                forced
                    || (!matches!(line.role, Role::Item | Role::Decl | Role::End)
                        && c_blank(src, c))
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
            Role::Close => {
                let (comments, at) = trailing(&line.trailing);
                p.line(0, &line.text, &comments, at);
            }
            Role::Item | Role::Decl | Role::Member => {
                let blank = if first {
                    forced || (matches!(line.role, Role::Member | Role::Decl) && line.blank_before)
                } else {
                    line.blank_before
                };
                if blank {
                    p.blank();
                }
                // An empty block with nothing inside to keep prints as `name {}`.
                let next = lines.get(i);
                let empty = line.text.ends_with('{')
                    && line.trailing.is_empty()
                    && next.is_some_and(|n| n.role == Role::Close && n.leading.is_empty());
                if let (true, Some(close)) = (empty, next) {
                    let text = format!("{}}}", line.text);
                    let (comments, at) = trailing(&close.trailing);
                    p.line(line.indent, &text, &comments, at);
                    i += 1;
                } else {
                    let (comments, at) = trailing(&line.trailing);
                    p.line(line.indent, &line.text, &comments, at);
                }
            }
        }
        if matches!(line.role, Role::Item | Role::Decl) {
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
        expr::flat(c.assert.as_ref().expect("assert"), &sources)
    }

    #[test]
    fn parentheses_are_kept_only_where_needed() {
        for (input, expected) in [
            ("((a or b)) and c", "(a or b) and c"),
            // An `and` inside an `or` keeps its brackets for the reader.
            ("a or (b and c)", "a or (b and c)"),
            ("a and b or c", "(a and b) or c"),
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
            // So does a comparison under `not`.
            ("not (a == b)", "not (a == b)"),
            ("not x in xs", "not (x in xs)"),
            ("not f(a)", "not f(a)"),
            ("not not a", "not not a"),
            ("(a == b) == c", "(a == b) == c"),
            ("a  not   in  [1,2]", "a not in [1, 2]"),
            ("(all x in xs: x > 1) and b", "(all x in xs: x > 1) and b"),
            ("b and (all x in xs: x > 1)", "b and all x in xs: x > 1"),
            ("(b and all x in xs: x) or c", "(b and all x in xs: x) or c"),
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
