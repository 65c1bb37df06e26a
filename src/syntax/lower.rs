//! Lowering pest pairs into the typed AST, in one place.
//!
//! The grammar guarantees the shape of each pair; where a shape is still unexpected (it cannot be
//! for input the grammar accepted) the lowerer records nothing and skips the node rather than
//! panicking. Semantic problems visible without context — a clause given twice, a date that does
//! not exist, an unknown escape — become diagnostics here.

use std::collections::BTreeMap;

use pest::iterators::{Pair, Pairs};

use super::grammar::Rule;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceId, SourceMap, Span, Spanned};

pub(super) struct Lowerer<'s> {
    sources: &'s SourceMap,
    id: SourceId,
    base: usize,
    diagnostics: Vec<Diagnostic>,
    /// Where each comment starts, by where it ends (offsets in the file).
    comment_ends: BTreeMap<usize, usize>,
}

impl<'s> Lowerer<'s> {
    pub(super) fn new(sources: &'s SourceMap, id: SourceId, base: usize) -> Self {
        Lowerer {
            sources,
            id,
            base,
            diagnostics: Vec::new(),
            comment_ends: BTreeMap::new(),
        }
    }

    pub(super) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    /// The span of a pair without the whitespace and comments pest's implicit skipping may
    /// leave at its end.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(
            self.id,
            self.base + s.start(),
            self.base + self.code_end(pair),
        )
    }

    /// Where a pair's last token ends. A pair that ends in an optional or repeated part that did
    /// not match (a type without `?`, a header without `version`) also covers the whitespace and
    /// comments the parser skipped while looking for it; a span should not.
    fn code_end(&self, pair: &Pair<'_, Rule>) -> usize {
        let span = pair.as_span();
        if matches!(pair.as_rule(), Rule::string_text | Rule::text_body) {
            return span.end();
        }
        let bytes = span.get_input().as_bytes();
        let mut end = span.end();
        loop {
            while end > span.start() && bytes.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
                end -= 1;
            }
            match self.comment_ends.get(&(self.base + end)) {
                Some(&start) if start >= self.base + span.start() => end = start - self.base,
                _ => return end,
            }
        }
    }

    /// Lowers the expression of a clause. `(None, true)`: it had an error, already reported.
    fn clause_expr(&mut self, pair: &Pair<'_, Rule>) -> (Option<Expr>, bool) {
        let before = self.diagnostics.len();
        let e = pair
            .clone()
            .into_inner()
            .find(|p| p.as_rule() == Rule::expr)
            .and_then(|e| self.expr(e));
        let failed = e.is_none() && self.diagnostics.len() > before;
        (e, failed)
    }

    fn error(&mut self, code: Code, message: impl Into<String>, span: Span, label: &str) {
        let d = Diagnostic::new(code, message).at_span(self.sources, span, label);
        self.diagnostics.push(d);
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Spanned::new(pair.as_str().to_string(), self.span(pair))
    }

    pub(super) fn file(
        &mut self,
        mut pairs: Pairs<'_, Rule>,
        comments: Vec<Comment>,
    ) -> PolicyFile {
        self.comment_ends = comments
            .iter()
            .map(|c| (c.span.end as usize, c.span.start as usize))
            .collect();
        let mut items = Vec::new();
        if let Some(file) = pairs.next() {
            for pair in file.into_inner() {
                if let Some(item) = self.item(pair) {
                    items.push(item);
                }
            }
        }
        PolicyFile {
            source: self.id,
            items,
            comments,
        }
    }

    pub(super) fn placeholder(&mut self, mut pairs: Pairs<'_, Rule>) -> Option<Expr> {
        let top = pairs.next()?;
        let expr = top.into_inner().find(|p| p.as_rule() == Rule::expr)?;
        self.expr(expr)
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        Some(match pair.as_rule() {
            Rule::policy_decl => Item::Policy(self.policy(pair)),
            Rule::param_decl => Item::Param(self.param(pair)?),
            Rule::schema_block => Item::Schema(self.schema(pair)),
            Rule::tiers_block => Item::Tiers(self.tiers(pair)),
            Rule::kri_block => Item::Kri(self.kri(pair)?),
            Rule::control_block => Item::Control(self.control(pair)?),
            Rule::scope_block => Item::Scope(self.scope(pair)?),
            Rule::test_block => Item::Test(self.test(pair)?),
            _ => return None,
        })
    }

    fn param(&mut self, pair: Pair<'_, Rule>) -> Option<Param> {
        let span = self.span(&pair);
        let mut name = None;
        let mut value = None;
        let mut description = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(&p)),
                Rule::expr => value = self.expr(p),
                Rule::string => description = Some(self.string(p)),
                _ => {}
            }
        }
        Some(Param {
            name: name?,
            value: value?,
            description,
            span,
        })
    }

    fn policy(&mut self, pair: Pair<'_, Rule>) -> PolicyHeader {
        let span = self.span(&pair);
        let mut strings = pair.into_inner().filter(|p| p.as_rule() == Rule::string);
        let name = strings
            .next()
            .map(|p| self.string(p))
            .unwrap_or_else(|| Spanned::new(String::new(), span));
        let version = strings.next().map(|p| self.string(p));
        PolicyHeader {
            name,
            version,
            span,
        }
    }

    // ---- strings -------------------------------------------------------------------------------

    fn string(&mut self, pair: Pair<'_, Rule>) -> Spanned<String> {
        let span = self.span(&pair);
        let mut out = String::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::string_text => out.push_str(part.as_str()),
                Rule::escape => match unescape(part.as_str()) {
                    Some(c) => out.push(c),
                    None => {
                        let s = self.span(&part);
                        self.error(
                            Code::InvalidEscape,
                            format!("unknown escape sequence `{}`", part.as_str()),
                            s,
                            "not a valid escape",
                        );
                    }
                },
                _ => {}
            }
        }
        Spanned::new(out, span)
    }

    /// An `explain` string: text with `{expr}` placeholders. `\{` and `\}` are literal braces.
    fn template(&mut self, pair: Pair<'_, Rule>) -> Template {
        let span = self.span(&pair);
        // (char, byte offset in the file, escaped?)
        let mut chars: Vec<(char, usize, bool)> = Vec::new();
        for part in pair.clone().into_inner() {
            let start = self.base + part.as_span().start();
            match part.as_rule() {
                Rule::string_text => {
                    for (i, c) in part.as_str().char_indices() {
                        chars.push((c, start + i, false));
                    }
                }
                Rule::escape => {
                    if let Some(c) = unescape(part.as_str()) {
                        chars.push((c, start, true));
                    }
                }
                _ => {}
            }
        }
        let raw = self.string(pair);
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while let Some(&(c, offset, escaped)) = chars.get(i) {
            if c == '{' && !escaped {
                let close = chars
                    .iter()
                    .skip(i + 1)
                    .position(|&(c, _, e)| c == '}' && !e)
                    .map(|p| p + i + 1);
                let Some(close) = close else {
                    self.error(
                        Code::InvalidPlaceholder,
                        "unclosed `{` in explain text",
                        Span::new(self.id, offset, offset + 1),
                        "placeholder opened here",
                    );
                    text.push(c);
                    i += 1;
                    continue;
                };
                let start = offset + 1;
                let end = chars.get(close).map_or(start, |x| x.1);
                let src = self
                    .sources
                    .file(self.id)
                    .and_then(|f| f.text.get(start..end))
                    .unwrap_or("")
                    .to_string();
                match super::parse_placeholder(self.sources, self.id, start, &src) {
                    Ok(expr) => {
                        if !text.is_empty() {
                            parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                        }
                        parts.push(TemplatePart::Expr(expr));
                    }
                    Err(d) => self.diagnostics.push(d),
                }
                i = close + 1;
                continue;
            }
            text.push(c);
            i += 1;
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Template {
            raw: Spanned::new(raw.node, span),
            parts,
        }
    }

    // ---- schema --------------------------------------------------------------------------------

    fn schema(&mut self, pair: Pair<'_, Rule>) -> SchemaBlock {
        let span = self.span(&pair);
        let mut fields = Vec::new();
        for p in pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::schema_field)
        {
            let fspan = self.span(&p);
            let mut inner = p.into_inner();
            let (Some(path), Some(ty)) =
                (inner.next(), inner.find(|p| p.as_rule() == Rule::type_expr))
            else {
                continue;
            };
            let path = path
                .into_inner()
                .filter(|p| p.as_rule() == Rule::ident)
                .map(|p| self.ident(&p))
                .collect();
            fields.push(SchemaField {
                path,
                ty: self.type_expr(ty),
                span: fspan,
            });
        }
        SchemaBlock { fields, span }
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut kind = TypeKind::Any;
        let mut optional = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::type_name => {
                    kind = match p.as_str() {
                        "string" => TypeKind::String,
                        "number" => TypeKind::Number,
                        "bool" => TypeKind::Bool,
                        "date" => TypeKind::Date,
                        "duration" => TypeKind::Duration,
                        _ => TypeKind::Any,
                    }
                }
                Rule::list_type => {
                    if let Some(inner) = p.into_inner().find(|p| p.as_rule() == Rule::type_expr) {
                        kind = TypeKind::List(Box::new(self.type_expr(inner)));
                    }
                }
                Rule::record_type => {
                    let mut fields = Vec::new();
                    for f in p.into_inner().filter(|p| p.as_rule() == Rule::record_field) {
                        let mut fi = f.into_inner();
                        if let (Some(name), Some(ty)) =
                            (fi.next(), fi.find(|p| p.as_rule() == Rule::type_expr))
                        {
                            fields.push((self.ident(&name), self.type_expr(ty)));
                        }
                    }
                    kind = TypeKind::Record(fields);
                }
                Rule::qmark => optional = true,
                _ => {}
            }
        }
        TypeExpr {
            kind,
            optional,
            span,
        }
    }

    // ---- tiers and KRIs ------------------------------------------------------------------------

    fn tiers(&mut self, pair: Pair<'_, Rule>) -> TiersBlock {
        let span = self.span(&pair);
        let mut rules = Vec::new();
        for r in pair.into_inner().filter(|p| p.as_rule() == Rule::tier_rule) {
            let rspan = self.span(&r);
            let mut tier = None;
            let mut label = None;
            let mut condition = None;
            for p in r.into_inner() {
                match p.as_rule() {
                    Rule::name => tier = Some(self.ident(&p)),
                    Rule::string => label = Some(self.string(p)),
                    Rule::tier_when => {
                        condition = match self.clause_expr(&p) {
                            (_, true) => Some(failed_condition(self.span(&p))),
                            (e, false) => e,
                        };
                    }
                    _ => {}
                }
            }
            if let Some(tier) = tier {
                rules.push(TierRule {
                    tier,
                    label,
                    condition,
                    span: rspan,
                });
            }
        }
        TiersBlock { rules, span }
    }

    fn duplicate(&mut self, what: &str, block: &str, span: Span) {
        self.error(
            Code::DuplicateClause,
            format!("`{what}` given twice in this {block}"),
            span,
            "second occurrence",
        );
    }

    fn kri(&mut self, pair: Pair<'_, Rule>) -> Option<Kri> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(&inner.next()?);
        let title = self.string(inner.next()?);
        let mut kri = Kri {
            name,
            title,
            applies: None,
            value: None,
            yellow: None,
            red: None,
            unit: None,
            span,
        };
        let mut value_failed = false;
        for p in inner {
            let pspan = self.span(&p);
            let rule = p.as_rule();
            match rule {
                Rule::kri_applies | Rule::kri_value | Rule::kri_yellow | Rule::kri_red => {
                    let e = match self.clause_expr(&p) {
                        (_, true) if rule == Rule::kri_value => {
                            value_failed = true;
                            None
                        }
                        (_, true) => Some(failed_condition(pspan)),
                        (e, false) => e,
                    };
                    let (slot, word) = match rule {
                        Rule::kri_applies => (&mut kri.applies, "applies"),
                        Rule::kri_value => (&mut kri.value, "value"),
                        Rule::kri_yellow => (&mut kri.yellow, "yellow"),
                        _ => (&mut kri.red, "red"),
                    };
                    if slot.is_some() {
                        self.duplicate(word, "KRI", pspan);
                    } else {
                        *slot = e;
                    }
                }
                Rule::kri_unit => {
                    if kri.unit.is_some() {
                        self.duplicate("unit", "KRI", pspan);
                    } else if let Some(s) = p.into_inner().next() {
                        kri.unit = Some(self.string(s));
                    }
                }
                _ => {}
            }
        }
        if kri.value.is_none() && !value_failed {
            self.error(
                Code::MissingClause,
                format!("KRI `{}` has no `value`", kri.name.node),
                kri.name.span,
                "this KRI",
            );
        }
        if kri.yellow.is_none() && kri.red.is_none() {
            self.error(
                Code::MissingClause,
                format!(
                    "KRI `{}` has neither a `yellow` nor a `red` threshold",
                    kri.name.node
                ),
                kri.name.span,
                "this KRI",
            );
        }
        Some(kri)
    }

    // ---- controls ------------------------------------------------------------------------------

    fn control(&mut self, pair: Pair<'_, Rule>) -> Option<Control> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let id = self.ident(&inner.next()?);
        let title = self.string(inner.next()?);
        let mut c = Control {
            id,
            title,
            pillar: None,
            stage: None,
            tiers: Vec::new(),
            severity: None,
            maps: Vec::new(),
            requires: Vec::new(),
            evidence: Vec::new(),
            applies: None,
            assert: None,
            explain: None,
            remediate: None,
            span,
        };
        let mut seen_tiers = false;
        let mut seen_maps = false;
        let mut seen_requires = false;
        let mut seen_evidence = false;
        for p in inner {
            let pspan = self.span(&p);
            match p.as_rule() {
                Rule::c_pillar | Rule::c_stage | Rule::c_severity => {
                    let (slot, word) = match p.as_rule() {
                        Rule::c_pillar => (&mut c.pillar, "pillar"),
                        Rule::c_stage => (&mut c.stage, "stage"),
                        _ => (&mut c.severity, "severity"),
                    };
                    let value = p.into_inner().next().map(|n| self.ident(&n));
                    if slot.is_some() {
                        self.duplicate(word, "control", pspan);
                    } else {
                        *slot = value;
                    }
                }
                Rule::c_tiers | Rule::c_requires => {
                    let is_tiers = p.as_rule() == Rule::c_tiers;
                    let names: Vec<Ident> = p
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::name)
                        .map(|n| self.ident(&n))
                        .collect();
                    let (seen, list, word) = if is_tiers {
                        (&mut seen_tiers, &mut c.tiers, "tiers")
                    } else {
                        (&mut seen_requires, &mut c.requires, "requires")
                    };
                    if *seen {
                        self.duplicate(word, "control", pspan);
                    } else {
                        *seen = true;
                        *list = names;
                    }
                }
                Rule::c_maps => {
                    if seen_maps {
                        self.duplicate("maps", "control", pspan);
                        continue;
                    }
                    seen_maps = true;
                    for m in p.into_inner().filter(|p| p.as_rule() == Rule::mapping) {
                        let mspan = self.span(&m);
                        let mut mi = m.into_inner();
                        if let (Some(fw), Some(clause)) = (mi.next(), mi.next()) {
                            c.maps.push(Mapping {
                                framework: self.ident(&fw),
                                clause: self.string(clause),
                                span: mspan,
                            });
                        }
                    }
                }
                Rule::c_evidence => {
                    if seen_evidence {
                        self.duplicate("evidence", "control", pspan);
                        continue;
                    }
                    seen_evidence = true;
                    for e in p
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::evidence_item)
                    {
                        let Some(x) = e.into_inner().next() else {
                            continue;
                        };
                        if x.as_rule() == Rule::string {
                            c.evidence.push(Evidence::File(self.string(x)));
                        } else if let Some(path) = self.path(x) {
                            c.evidence.push(Evidence::Field(path));
                        }
                    }
                }
                Rule::c_applies | Rule::c_assert => {
                    let is_assert = p.as_rule() == Rule::c_assert;
                    let e = match self.clause_expr(&p) {
                        (_, true) => Some(failed_condition(pspan)),
                        (e, false) => e,
                    };
                    let (slot, word) = if is_assert {
                        (&mut c.assert, "assert")
                    } else {
                        (&mut c.applies, "applies")
                    };
                    if slot.is_some() {
                        self.duplicate(word, "control", pspan);
                    } else {
                        *slot = e;
                    }
                }
                Rule::c_explain => {
                    if c.explain.is_some() {
                        self.duplicate("explain", "control", pspan);
                    } else if let Some(s) = p.into_inner().next() {
                        c.explain = Some(self.template(s));
                    }
                }
                Rule::c_remediate => {
                    if c.remediate.is_some() {
                        self.duplicate("remediate", "control", pspan);
                    } else if let Some(s) = p.into_inner().next() {
                        c.remediate = Some(self.string(s));
                    }
                }
                _ => {}
            }
        }
        if c.severity.is_none() {
            self.error(
                Code::MissingClause,
                format!("control `{}` has no `severity`", c.id.node),
                c.id.span,
                "this control",
            );
        }
        if c.assert.is_none() {
            self.error(
                Code::MissingClause,
                format!("control `{}` has no `assert`", c.id.node),
                c.id.span,
                "this control",
            );
        }
        Some(c)
    }

    fn scope(&mut self, pair: Pair<'_, Rule>) -> Option<ScopeBlock> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let framework = self.ident(&inner.next()?);
        let mut excludes = Vec::new();
        for e in inner {
            let espan = self.span(&e);
            let firm = match e.as_rule() {
                Rule::scope_exclude => false,
                Rule::scope_firm => true,
                _ => continue,
            };
            let mut ei = e.into_inner();
            let clause = ei.next();
            let owner = if firm { ei.next() } else { None };
            if let (Some(clause), Some(reason)) = (clause, ei.next()) {
                excludes.push(ScopeExclude {
                    clause: self.string(clause),
                    owner: owner.map(|o| self.string(o)),
                    reason: self.string(reason),
                    span: espan,
                });
            }
        }
        Some(ScopeBlock {
            framework,
            excludes,
            span,
        })
    }

    fn test(&mut self, pair: Pair<'_, Rule>) -> Option<TestCase> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.string(inner.next()?);
        let mut t = TestCase {
            name,
            model: None,
            metadata: None,
            as_of: None,
            expects: Vec::new(),
            span,
        };
        for p in inner {
            let pspan = self.span(&p);
            match p.as_rule() {
                Rule::t_model => {
                    if t.model.is_some() || t.metadata.is_some() {
                        self.duplicate("model", "test", pspan);
                    } else if let Some(s) = p.into_inner().next() {
                        t.model = Some(self.string(s));
                    }
                }
                Rule::t_inline => {
                    if t.model.is_some() || t.metadata.is_some() {
                        self.duplicate("metadata", "test", pspan);
                    } else if let Some(body) =
                        p.into_inner().next().and_then(|b| b.into_inner().next())
                    {
                        t.metadata =
                            Some(Spanned::new(body.as_str().to_string(), self.span(&body)));
                    }
                }
                Rule::t_as_of => {
                    if let Some(d) = p.into_inner().next()
                        && let Some(date) = self.date(&d)
                    {
                        t.as_of = Some(Spanned::new(date, self.span(&d)));
                    }
                }
                Rule::t_expect_tier => {
                    if let Some(n) = p.into_inner().next() {
                        t.expects.push(Expectation::Tier(self.ident(&n)));
                    }
                }
                Rule::t_expect_kri | Rule::t_expect_control => {
                    let is_kri = p.as_rule() == Rule::t_expect_kri;
                    let mut ni = p.into_inner();
                    if let (Some(a), Some(b)) = (ni.next(), ni.next()) {
                        let (a, b) = (self.ident(&a), self.ident(&b));
                        t.expects.push(if is_kri {
                            Expectation::Kri { name: a, level: b }
                        } else {
                            Expectation::Control { id: a, status: b }
                        });
                    }
                }
                _ => {}
            }
        }
        if t.model.is_none() && t.metadata.is_none() {
            self.error(
                Code::MissingClause,
                format!("test `{}` has neither `model` nor `metadata`", t.name.node),
                t.name.span,
                "this test",
            );
        }
        Some(t)
    }

    // ---- expressions ---------------------------------------------------------------------------

    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let pair = operand(pair);
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::paren => {
                let inner = pair
                    .into_inner()
                    .find(|p| !matches!(p.as_rule(), Rule::lparen | Rule::rparen))?;
                let e = self.expr(inner)?;
                Some(e)
            }
            Rule::or_expr | Rule::and_expr | Rule::add_expr | Rule::mul_expr | Rule::cmp_expr => {
                let mut inner = pair.into_inner();
                let mut lhs = self.expr(inner.next()?)?;
                while let Some(op) = inner.next() {
                    let rhs = self.expr(inner.next()?)?;
                    let op = binary_op(op.as_str())?;
                    let s = lhs.span.to(rhs.span);
                    lhs = Spanned::new(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), s);
                }
                Some(lhs)
            }
            Rule::not_expr | Rule::unary => {
                let mut inner = pair.into_inner();
                let first = inner.next()?;
                match first.as_rule() {
                    Rule::not_op | Rule::neg_op => {
                        let op = if first.as_rule() == Rule::not_op {
                            UnaryOp::Not
                        } else {
                            UnaryOp::Neg
                        };
                        let operand = self.expr(inner.next()?)?;
                        Some(Spanned::new(ExprKind::Unary(op, Box::new(operand)), span))
                    }
                    _ => self.expr(first),
                }
            }
            Rule::postfix => {
                let mut inner = pair.into_inner();
                let mut e = self.expr(inner.next()?)?;
                for p in inner {
                    let pspan = self.span(&p);
                    match p.as_rule() {
                        Rule::field_access => {
                            let name = p.into_inner().find(|p| p.as_rule() == Rule::ident)?;
                            let name = self.ident(&name);
                            let s = e.span.to(pspan);
                            e = Spanned::new(ExprKind::Field(Box::new(e), name), s);
                        }
                        Rule::index => {
                            let ix = p.into_inner().find(|p| p.as_rule() == Rule::expr)?;
                            let ix = self.expr(ix)?;
                            let s = e.span.to(pspan);
                            e = Spanned::new(ExprKind::Index(Box::new(e), Box::new(ix)), s);
                        }
                        _ => {}
                    }
                }
                Some(e)
            }
            Rule::path_expr => self.path(pair),
            Rule::list_lit => {
                let items = pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::expr)
                    .filter_map(|p| self.expr(p))
                    .collect();
                Some(Spanned::new(ExprKind::List(items), span))
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let name = self.ident(&inner.next()?);
                let args = inner
                    .filter(|p| p.as_rule() == Rule::expr)
                    .filter_map(|p| self.expr(p))
                    .collect();
                Some(Spanned::new(ExprKind::Call(Call { name, args }), span))
            }
            Rule::quantifier | Rule::count_expr => {
                let is_count = pair.as_rule() == Rule::count_expr;
                let mut kind = QuantifierKind::Count;
                let mut var = None;
                let mut exprs = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::quant_kind => {
                            kind = if p.as_str() == "all" {
                                QuantifierKind::All
                            } else {
                                QuantifierKind::Any
                            }
                        }
                        Rule::ident => var = Some(self.ident(&p)),
                        Rule::add_expr | Rule::expr => exprs.push(p),
                        _ => {}
                    }
                }
                if is_count {
                    kind = QuantifierKind::Count;
                }
                let mut exprs = exprs.into_iter();
                let list = self.expr(exprs.next()?)?;
                let body = self.expr(exprs.next()?)?;
                Some(Spanned::new(
                    ExprKind::Quantifier(Box::new(Quantifier {
                        kind,
                        var: var?,
                        list,
                        body,
                    })),
                    span,
                ))
            }
            Rule::number => {
                let cleaned: String = pair.as_str().chars().filter(|c| *c != '_').collect();
                match cleaned.parse::<f64>() {
                    Ok(n) if n.is_finite() => {
                        Some(Spanned::new(ExprKind::Literal(Literal::Number(n)), span))
                    }
                    _ => {
                        self.error(
                            Code::InvalidNumber,
                            format!("`{}` is not a finite number", pair.as_str()),
                            span,
                            "number out of range",
                        );
                        Some(Spanned::new(ExprKind::Literal(Literal::Number(0.0)), span))
                    }
                }
            }
            Rule::string => {
                let s = self.string(pair);
                Some(Spanned::new(
                    ExprKind::Literal(Literal::String(s.node)),
                    span,
                ))
            }
            Rule::boolean => Some(Spanned::new(
                ExprKind::Literal(Literal::Bool(pair.as_str() == "true")),
                span,
            )),
            Rule::none_lit => Some(Spanned::new(ExprKind::Literal(Literal::None), span)),
            Rule::date => {
                let d = self.date(&pair)?;
                Some(Spanned::new(ExprKind::Literal(Literal::Date(d)), span))
            }
            Rule::duration => {
                let s = pair.as_str();
                let (n, unit) = s.split_at(s.len().saturating_sub(1));
                let days = n.parse::<i64>().ok().and_then(|n| match unit {
                    "w" => n.checked_mul(7),
                    _ => Some(n),
                });
                match days {
                    Some(d) if d <= 1_000_000 => {
                        Some(Spanned::new(ExprKind::Literal(Literal::Duration(d)), span))
                    }
                    _ => {
                        self.error(
                            Code::InvalidNumber,
                            format!("duration `{s}` is too long"),
                            span,
                            "at most 1000000 days",
                        );
                        Some(Spanned::new(ExprKind::Literal(Literal::Duration(0)), span))
                    }
                }
            }
            _ => None,
        }
    }

    fn path(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        let segments: Vec<Ident> = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.ident(&p))
            .collect();
        if segments.is_empty() {
            return None;
        }
        Some(Spanned::new(ExprKind::Path(segments), span))
    }

    fn date(&mut self, pair: &Pair<'_, Rule>) -> Option<jiff::civil::Date> {
        match pair.as_str().parse::<jiff::civil::Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                let span = self.span(pair);
                self.error(
                    Code::InvalidDate,
                    format!("`{}` is not a calendar date", pair.as_str()),
                    span,
                    "no such day",
                );
                None
            }
        }
    }
}

/// Steps down the precedence ladder (`expr`, `or_expr`, …, `postfix`) and through brackets
/// without recursing, to the first level that has an operator or is an operand: a bracketed
/// expression then costs one level of the lowerer's recursion instead of a dozen.
fn operand(mut pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
    loop {
        let mut inner = pair.clone().into_inner();
        let next = match pair.as_rule() {
            Rule::expr
            | Rule::or_expr
            | Rule::and_expr
            | Rule::not_expr
            | Rule::cmp_expr
            | Rule::add_expr
            | Rule::mul_expr
            | Rule::unary
            | Rule::postfix => match (inner.next(), inner.next()) {
                (Some(only), None) => only,
                _ => return pair,
            },
            Rule::paren => match inner.find(|p| p.as_rule() == Rule::expr) {
                Some(e) => e,
                None => return pair,
            },
            _ => return pair,
        };
        pair = next;
    }
}

/// Stands in for a condition whose error is already reported, so that the clause does not also
/// read as missing (nor a tier rule as `otherwise`). The file has an error: it is never evaluated.
fn failed_condition(span: Span) -> Expr {
    Spanned::new(ExprKind::Literal(Literal::Bool(false)), span)
}

fn binary_op(s: &str) -> Option<BinaryOp> {
    Some(match s {
        "or" => BinaryOp::Or,
        "and" => BinaryOp::And,
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::Ne,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::Le,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::Ge,
        "in" => BinaryOp::In,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        other if other.starts_with("not") => BinaryOp::NotIn,
        _ => return None,
    })
}

fn unescape(s: &str) -> Option<char> {
    match s {
        "\\\"" => Some('"'),
        "\\\\" => Some('\\'),
        "\\n" => Some('\n'),
        "\\t" => Some('\t'),
        "\\r" => Some('\r'),
        "\\{" => Some('{'),
        "\\}" => Some('}'),
        _ => {
            let hex = s.strip_prefix("\\u{")?.strip_suffix('}')?;
            char::from_u32(u32::from_str_radix(hex, 16).ok()?)
        }
    }
}
