//! Printing expressions, literals and strings, on one line or broken over several.
//!
//! Parentheses are the fewest that parse back to the same tree, with two kept for the reader:
//! around an `and` inside an `or` (`(a and b) or c`) and around a comparison under `not`
//! (`not (x in xs)`). A long expression breaks before `and` and `or`, where the author broke it
//! and wherever a line would pass [`MAX_WIDTH`]; a quantifier's body moves to its own line two
//! columns in; continuation lines line up with the first operand, inside brackets one column past
//! the bracket.

use crate::ast::*;
use crate::source::{SourceMap, Span};

use super::MAX_WIDTH;

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

/// Whether `e`, written where the grammar wants something binding at least as tightly as `min`,
/// needs brackets. `tail` says whether `e` ends its bracket or clause: `all x in xs: body` takes
/// everything after the `:`, so a quantifier anywhere else needs them.
fn bracketed(e: &Expr, min: u8, tail: bool) -> bool {
    let open_ended = matches!(&e.node, ExprKind::Quantifier(q) if q.kind != QuantifierKind::Count);
    precedence(e) < min || (open_ended && !tail)
}

/// The binding strength each operand of `op` must have. Left-associative: a right operand as
/// strong as the operator needs brackets; comparisons do not chain. An `and` inside an `or` keeps
/// its brackets for the reader.
fn operand_strength(op: BinaryOp, lhs: &Expr) -> (u8, u8) {
    let and = BinaryOp::And.precedence() + 1;
    match op {
        BinaryOp::Or => {
            let left_is_or = matches!(lhs.node, ExprKind::Binary(BinaryOp::Or, ..));
            (if left_is_or { op.precedence() } else { and }, and)
        }
        _ if op.is_comparison() => (PREC_ADD, PREC_ADD),
        _ => (op.precedence(), op.precedence() + 1),
    }
}

/// The binding strength the operand of `not` must have: a comparison keeps its brackets for the
/// reader (`not (x in xs)`); `not not x` needs none.
fn not_operand(operand: &Expr) -> u8 {
    match &operand.node {
        ExprKind::Binary(op, ..) if op.is_comparison() => PREC_ADD,
        _ => PREC_NOT,
    }
}

/// Prints an expression on one line.
pub fn flat(e: &Expr, sources: &SourceMap) -> String {
    let mut out = String::new();
    write(&mut out, e, 0, true, sources);
    out
}

fn write(out: &mut String, e: &Expr, min: u8, tail: bool, sources: &SourceMap) {
    if bracketed(e, min, tail) {
        out.push('(');
        write(out, e, 0, true, sources);
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
                write(out, base, 0, true, sources);
                out.push(')');
            } else {
                write(out, base, PREC_ATOM, false, sources);
            }
            out.push('.');
            out.push_str(&name.node);
        }
        ExprKind::Index(base, index) => {
            write(out, base, PREC_ATOM, false, sources);
            out.push('[');
            write(out, index, 0, true, sources);
            out.push(']');
        }
        ExprKind::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, item, 0, true, sources);
            }
            out.push(']');
        }
        ExprKind::Unary(UnaryOp::Not, operand) => {
            out.push_str("not ");
            write(out, operand, not_operand(operand), tail, sources);
        }
        ExprKind::Unary(UnaryOp::Neg, operand) => {
            out.push('-');
            write(out, operand, PREC_NEG, tail, sources);
        }
        ExprKind::Binary(op, lhs, rhs) => {
            let (left, right) = operand_strength(*op, lhs);
            write(out, lhs, left, false, sources);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            write(out, rhs, right, tail, sources);
        }
        ExprKind::Call(call) => {
            out.push_str(&call.name.node);
            out.push('(');
            for (i, arg) in call.args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, arg, 0, true, sources);
            }
            out.push(')');
        }
        ExprKind::Quantifier(q) => {
            let count = q.kind == QuantifierKind::Count;
            out.push_str(q.kind.as_str());
            out.push(if count { '(' } else { ' ' });
            out.push_str(&q.var.node);
            out.push_str(" in ");
            write(out, &q.list, PREC_ADD, false, sources);
            out.push_str(": ");
            write(out, &q.body, 0, tail || count, sources);
            if count {
                out.push(')');
            }
        }
    }
}

// ---- breaking long expressions -------------------------------------------------------------

/// Width in characters.
pub fn width(s: &str) -> usize {
    s.chars().count()
}

/// The column after the last character of `text`, which starts at column `col`; continuation
/// lines of `text` carry their own indentation.
pub fn end_column(text: &str, col: usize) -> usize {
    match text.rfind('\n') {
        Some(i) => text.get(i + 1..).map_or(0, width),
        None => col + width(text),
    }
}

fn first_line(text: &str) -> &str {
    text.split('\n').next().unwrap_or("")
}

/// Lays expressions out over lines; the source tells where the author broke them.
pub struct Breaker<'a> {
    pub sources: &'a SourceMap,
    pub src: &'a str,
}

impl Breaker<'_> {
    /// Whether the source has a line break between two offsets.
    pub fn broken(&self, from: usize, to: usize) -> bool {
        self.src.get(from..to).is_some_and(|gap| gap.contains('\n'))
    }

    /// An expression that starts at column `col`.
    pub fn expr(&self, e: &Expr, col: usize) -> String {
        self.layout(e, 0, true, col)
    }

    fn layout(&self, e: &Expr, min: u8, tail: bool, col: usize) -> String {
        let mut one_line = String::new();
        write(&mut one_line, e, min, tail, self.sources);
        let written_on_one_line = !self.broken(e.span.start as usize, e.span.end as usize);
        if written_on_one_line && col + width(&one_line) <= MAX_WIDTH {
            return one_line;
        }
        if bracketed(e, min, tail) {
            return format!("({})", self.layout(e, 0, true, col + 1));
        }
        match &e.node {
            ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), ..) => {
                self.chain(e, *op, tail, col)
            }
            ExprKind::Unary(UnaryOp::Not, operand) => {
                format!(
                    "not {}",
                    self.layout(operand, not_operand(operand), tail, col + 4)
                )
            }
            ExprKind::Quantifier(q) if q.kind != QuantifierKind::Count => {
                self.quantifier(q, tail, col, col + 2)
            }
            ExprKind::Literal(_)
            | ExprKind::Path(_)
            | ExprKind::Field(..)
            | ExprKind::Index(..)
            | ExprKind::List(_)
            | ExprKind::Unary(UnaryOp::Neg, _)
            | ExprKind::Binary(..)
            | ExprKind::Call(_)
            | ExprKind::Quantifier(_) => one_line,
        }
    }

    /// `a and b and c`: each operand after the first goes on the current line if the author did
    /// not break before it and it fits there whole (a quantifier may break after its head), else
    /// on a new line under the first operand: the chain breaks before its operands do.
    fn chain(&self, e: &Expr, op: BinaryOp, tail: bool, col: usize) -> String {
        // The left spine `((a op b) op c)` holds the operands in order.
        let mut rights = Vec::new();
        let mut first = e;
        while let ExprKind::Binary(o, lhs, rhs) = &first.node {
            if *o != op {
                break;
            }
            rights.push(rhs.as_ref());
            first = lhs.as_ref();
        }
        rights.reverse();
        let (left_min, right_min) = operand_strength(op, first);
        let mut out = self.layout(first, left_min, false, col);
        let mut prev = first;
        let word = op.as_str();
        let n = rights.len();
        for (i, operand) in rights.into_iter().enumerate() {
            let t = tail && i + 1 == n;
            let at = end_column(&out, col);
            let author_broke = self.broken(prev.span.end as usize, operand.span.start as usize);
            let quantifier = matches!(&operand.node, ExprKind::Quantifier(q)
                if q.kind != QuantifierKind::Count && !bracketed(operand, right_min, t));
            let appended = (!author_broke)
                .then(|| self.layout(operand, right_min, t, at + word.len() + 2))
                .filter(|s| {
                    at + word.len() + 2 + width(first_line(s)) <= MAX_WIDTH
                        && (quantifier || !s.contains('\n'))
                });
            match appended {
                Some(s) => {
                    out.push(' ');
                    out.push_str(word);
                    out.push(' ');
                    out.push_str(&s);
                }
                None => {
                    let s = self.layout(operand, right_min, t, col + word.len() + 1);
                    out.push('\n');
                    out.extend(std::iter::repeat_n(' ', col));
                    out.push_str(word);
                    out.push(' ');
                    out.push_str(&s);
                }
            }
            prev = operand;
        }
        out
    }

    /// `all x in xs: body`, with the body on the same line if the author kept it there and it
    /// fits, else on the next line at `body_col`: two columns in from the first of the
    /// quantifiers that share its line (`all a in xs: all b in ys:`).
    fn quantifier(&self, q: &Quantifier, tail: bool, col: usize, body_col: usize) -> String {
        let mut head = format!("{} {} in ", q.kind.as_str(), q.var.node);
        write(&mut head, &q.list, PREC_ADD, false, self.sources);
        head.push(':');
        let inline = col + width(&head) + 1;
        let author_broke = self.broken(q.list.span.end as usize, q.body.span.start as usize);
        if !author_broke {
            let body = match &q.body.node {
                ExprKind::Quantifier(inner)
                    if inner.kind != QuantifierKind::Count
                        && !self.fits_on_one_line(&q.body, inline) =>
                {
                    self.quantifier(inner, tail, inline, body_col)
                }
                _ => self.layout(&q.body, 0, tail, inline),
            };
            if inline + width(first_line(&body)) <= MAX_WIDTH {
                return format!("{head} {body}");
            }
        }
        let body = self.layout(&q.body, 0, tail, body_col);
        format!("{head}\n{}{body}", " ".repeat(body_col))
    }

    /// Whether `e` was written on one line and fits on one from column `col`.
    fn fits_on_one_line(&self, e: &Expr, col: usize) -> bool {
        !self.broken(e.span.start as usize, e.span.end as usize)
            && col + width(&flat(e, self.sources)) <= MAX_WIDTH
    }

    /// Items separated by commas, starting at column `col`: a new line under the first item where
    /// the author started one or the line would pass [`MAX_WIDTH`].
    pub fn list(&self, items: &[(String, Span)], col: usize) -> String {
        let mut out = String::new();
        let mut prev: Option<Span> = None;
        for (i, (text, span)) in items.iter().enumerate() {
            let comma = if i + 1 < items.len() { "," } else { "" };
            if let Some(p) = prev {
                let at = end_column(&out, col);
                let author_broke = self.broken(p.end as usize, span.start as usize);
                if author_broke || at + 1 + width(text) + comma.len() > MAX_WIDTH {
                    out.push('\n');
                    out.extend(std::iter::repeat_n(' ', col));
                } else {
                    out.push(' ');
                }
            }
            out.push_str(text);
            out.push_str(comma);
            prev = Some(*span);
        }
        out
    }
}

// ---- literals and strings ------------------------------------------------------------------

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
        Literal::Date(d) => out.push_str(&date(*d, written)),
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

/// A date as written, if `written` is it.
pub fn date(d: jiff::civil::Date, written: &str) -> String {
    if written.len() == 10 && written.parse::<jiff::civil::Date>().ok() == Some(d) {
        written.to_string()
    } else {
        d.to_string()
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

/// A string literal: quoted, with `"`, `\` and control characters escaped.
pub fn quote(s: &str) -> String {
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
pub fn template(t: &Template, sources: &SourceMap) -> String {
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
                out.push_str(&flat(e, sources));
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}
