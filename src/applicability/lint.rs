//! Checks of a policy set against the law's data: facts compared with values the law does not
//! know (an Annex III point that does not exist), and clauses a policy both maps and declares out
//! of scope. Run by the checker after it has resolved names and types.

use std::collections::BTreeMap;

use super::facts::{self, NOT_LISTED};
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::framework::Catalogs;
use crate::source::{SourceMap, Span};

/// Every problem of `files` against the catalogs.
pub fn lint(files: &[PolicyFile], sources: &SourceMap, catalogs: &Catalogs) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(eu) = catalogs.get("eu-ai-act") {
        let points = super::annex_iii_points(eu);
        if !points.is_empty() {
            let mut check = |e: &Expr| annex_iii_literals(e, &points, sources, &mut out);
            for_each_expr(files, &mut check);
        }
    }
    mapped_and_excluded(files, sources, catalogs, &mut out);
    out
}

/// Calls `f` on every expression of the policy set: tier rules, KRIs, controls.
fn for_each_expr(files: &[PolicyFile], f: &mut dyn FnMut(&Expr)) {
    for file in files {
        for item in &file.items {
            match item {
                Item::Tiers(t) => t
                    .rules
                    .iter()
                    .filter_map(|r| r.condition.as_ref())
                    .for_each(&mut *f),
                Item::Kri(k) => [&k.applies, &k.value, &k.yellow, &k.red]
                    .into_iter()
                    .flatten()
                    .for_each(&mut *f),
                Item::Control(c) => [&c.applies, &c.assert]
                    .into_iter()
                    .flatten()
                    .for_each(&mut *f),
                Item::Policy(_)
                | Item::Param(_)
                | Item::Schema(_)
                | Item::Scope(_)
                | Item::Test(_) => {}
            }
        }
    }
}

fn is_annex_iii(e: &Expr) -> bool {
    matches!(&e.node, ExprKind::Path(p) if join_path(p) == facts::path::ANNEX_III)
}

/// String literals compared with `eu_ai_act.annex_iii` (`==`, `!=`, `in`, `not in`) must be points
/// of Annex III, or `not-listed`.
fn annex_iii_literals(e: &Expr, points: &[String], sources: &SourceMap, out: &mut Vec<Diagnostic>) {
    let mut literals: Vec<(&str, Span)> = Vec::new();
    match &e.node {
        ExprKind::Binary(op, l, r) => {
            let (fact, other) = if is_annex_iii(l) {
                (true, r)
            } else if is_annex_iii(r) {
                (true, l)
            } else {
                (false, r)
            };
            if fact {
                match (op, &other.node) {
                    (BinaryOp::Eq | BinaryOp::Ne, ExprKind::Literal(Literal::String(s))) => {
                        literals.push((s, other.span))
                    }
                    (BinaryOp::In | BinaryOp::NotIn, ExprKind::List(items)) => {
                        for i in items {
                            if let ExprKind::Literal(Literal::String(s)) = &i.node {
                                literals.push((s, i.span));
                            }
                        }
                    }
                    _ => {}
                }
            }
            annex_iii_literals(l, points, sources, out);
            annex_iii_literals(r, points, sources, out);
        }
        ExprKind::Unary(_, x) | ExprKind::Field(x, _) => {
            annex_iii_literals(x, points, sources, out)
        }
        ExprKind::Index(a, b) => {
            annex_iii_literals(a, points, sources, out);
            annex_iii_literals(b, points, sources, out);
        }
        ExprKind::List(items) => items
            .iter()
            .for_each(|i| annex_iii_literals(i, points, sources, out)),
        ExprKind::Call(c) => c
            .args
            .iter()
            .for_each(|a| annex_iii_literals(a, points, sources, out)),
        ExprKind::Quantifier(q) => {
            annex_iii_literals(&q.list, points, sources, out);
            annex_iii_literals(&q.body, points, sources, out);
        }
        ExprKind::Literal(_) | ExprKind::Path(_) => {}
    }
    for (s, span) in literals {
        if s != NOT_LISTED && !points.iter().any(|p| p == s) {
            out.push(
                Diagnostic::new(
                    Code::UnknownAnnexIiiPoint,
                    format!("`{s}` is not a point of Annex III"),
                )
                .at_span(sources, span, "compared with `eu_ai_act.annex_iii`")
                .help(format!(
                    "Annex III points: {}; `{NOT_LISTED}` records a screening that found none",
                    points.join(", ")
                )),
            );
        }
    }
}

/// A clause a control maps (itself or through a sub-clause) must not also be declared out of
/// scope, nor lie under a clause declared out of scope: the coverage report would count it twice
/// and an auditor could not tell which statement holds.
fn mapped_and_excluded(
    files: &[PolicyFile],
    sources: &SourceMap,
    catalogs: &Catalogs,
    out: &mut Vec<Diagnostic>,
) {
    // (framework, clause) → span of the exclusion, and whether it is a firm-level duty
    let mut excluded: BTreeMap<(&str, &str), (Span, bool)> = BTreeMap::new();
    for file in files {
        for item in &file.items {
            if let Item::Scope(s) = item {
                for x in &s.excludes {
                    excluded
                        .entry((s.framework.node.as_str(), x.clause.node.as_str()))
                        .or_insert((x.clause.span, x.owner.is_some()));
                }
            }
        }
    }
    if excluded.is_empty() {
        return;
    }
    for file in files {
        for item in &file.items {
            let Item::Control(c) = item else { continue };
            for m in &c.maps {
                let fw_id = m.framework.node.as_str();
                let Some(fw) = catalogs.get(fw_id) else {
                    continue;
                };
                let clause = m.clause.node.as_str();
                let hit = fw.lineage(clause).into_iter().find_map(|a| {
                    excluded
                        .get(&(fw_id, a.id.as_str()))
                        .map(|s| (a.id.clone(), *s))
                });
                let Some((by, (span, firm))) = hit else {
                    continue;
                };
                let declared = if firm {
                    "evidenced at firm level"
                } else {
                    "declared out of scope"
                };
                let what = if by == clause {
                    format!("`{clause}` of `{fw_id}` is both mapped and {declared}")
                } else {
                    format!(
                        "`{clause}` of `{fw_id}` is mapped, but `{by}`, which contains it, is {declared}"
                    )
                };
                out.push(
                    Diagnostic::new(Code::MappedAndExcluded, what)
                        .at_span(sources, m.clause.span, format!("mapped by `{}`", c.id.node))
                        .also_span(sources, span, format!("{declared} here"))
                        .help("remove the mapping, or the exclusion: a clause is either covered by a control or out of scope"),
                );
            }
        }
    }
}
