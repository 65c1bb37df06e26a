//! Gap analysis: a finished [`RunReport`] seen per framework clause.
//!
//! [`analyze`] takes the report, the catalogs and the program that produced it and returns a
//! [`GapReport`]: for every framework in scope, every clause a control maps to (and every
//! `coverage_target` clause covered through a sub-clause), its status for the portfolio and for
//! each model, the controls behind it, roll-ups by tier and by article (or the framework's
//! equivalent level), and the policy's own blind spots (`not-covered`). It reads outcomes; it
//! never evaluates a control.
//!
//! # Statuses
//!
//! The controls *behind* a clause are the controls that map to it or to one of its sub-clauses
//! (a mapping to `Art 10(2)(f)` also speaks to `Art 10(2)` and `Art 10`). For one model and one
//! clause, checked in this order:
//!
//! | status | when |
//! |---|---|
//! | `not-applicable` | the law does not bind the firm for this model (role, route, transitional rule, withdrawal: [`crate::applicability`]), or none of the controls behind the clause applies to the model (tier or `applies`) |
//! | `upcoming` | the clause is not yet in force for this model (its route's date, or placing on the market, is ahead) |
//! | `gap` | a control behind it fails, is blocked or cannot be evaluated (`error`), or whether the clause binds cannot be decided (a fact it depends on is missing) |
//! | `waived` | no gap, and a failing control is excused by a waiver |
//! | `met` | every control behind it passes for the model |
//! | `partial` | no gap or waiver, some controls pass, and the rest are not applicable to the model or not yet in force: the obligation is only partly evidenced for this model |
//! | `upcoming` | otherwise: every applicable control maps only to obligations not yet in force |
//!
//! A gap is *blocking* when one of the failing controls is blocking (its severity is in
//! `fail_on`). Several statuses (the models of a clause, the clauses of an article) combine into
//! one with [`combine`]: `gap` if any is a gap, else `waived` if any is waived, else
//! `not-applicable` if all are, else (ignoring the not-applicable ones) `met` if all are met,
//! `upcoming` if all are upcoming, and `partial` otherwise.
//!
//! A `coverage_target` clause that no control maps (directly or through a sub-clause) and that no
//! `scope` block excludes (itself or an ancestor) is `not-covered`: a gap in the policy itself,
//! reported apart from the model results. Models whose metadata could not be read are listed as
//! not evaluated and left out of the clause statuses.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::Serialize;

use crate::applicability::Verdict;
use crate::check::{Program, Severity};
use crate::eval::{ControlOutcome, ModelOutcome, RunReport, Status};
use crate::framework::{Catalogs, Framework};

/// Version of the JSON gap report format.
pub const SCHEMA_VERSION: &str = "2";

/// Clause kinds that roll-ups stop at: an EU AI Act article or Annex III point, a NIST AI RMF
/// category, an ISO/IEC 42001 subclause or Annex A control objective, an SR section.
pub const ROLLUP_KINDS: &[&str] = &[
    "article",
    "annex_point",
    "category",
    "subclause",
    "control_objective",
    "section",
];

/// The status of a clause, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClauseStatus {
    Gap,
    Waived,
    Partial,
    Upcoming,
    Met,
    NotApplicable,
    NotCovered,
}

impl ClauseStatus {
    pub const ALL: [ClauseStatus; 7] = [
        ClauseStatus::Gap,
        ClauseStatus::Waived,
        ClauseStatus::Partial,
        ClauseStatus::Upcoming,
        ClauseStatus::Met,
        ClauseStatus::NotApplicable,
        ClauseStatus::NotCovered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClauseStatus::Gap => "gap",
            ClauseStatus::Waived => "waived",
            ClauseStatus::Partial => "partial",
            ClauseStatus::Upcoming => "upcoming",
            ClauseStatus::Met => "met",
            ClauseStatus::NotApplicable => "not-applicable",
            ClauseStatus::NotCovered => "not-covered",
        }
    }
}

/// Counts of clause statuses.
pub type ClauseCounts = BTreeMap<ClauseStatus, usize>;

/// A control behind a clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlLink {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// The clauses of this framework the control maps to under this one (itself or sub-clauses).
    pub maps: Vec<String>,
}

/// A control's status for one model under one clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlState {
    pub id: String,
    pub status: Status,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blocking: bool,
}

/// One model's status on one clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelClause {
    pub model: std::sync::Arc<str>,
    pub status: ClauseStatus,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blocking: bool,
    /// The applicable controls behind the clause that did not pass, and their statuses (none
    /// when the clause is met: every control behind it passed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<ControlState>,
}

/// One clause of a framework.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClauseGap {
    pub id: String,
    pub title: String,
    pub kind: String,
    /// The roll-up clause (article or equivalent) it belongs to.
    pub group: String,
    pub in_force: bool,
    pub applies_from: String,
    pub coverage_target: bool,
    /// The portfolio status: the models' statuses combined.
    pub status: ClauseStatus,
    /// Number of models per status.
    pub counts: ClauseCounts,
    pub blocking: usize,
    pub controls: Vec<ControlLink>,
    /// Models for which the clause applies (not-applicable ones are only counted).
    pub models: Vec<ModelClause>,
}

/// A roll-up clause (article or equivalent) and its status per tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupGap {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub status: ClauseStatus,
    /// The analysed clauses under it.
    pub clauses: Vec<String>,
    /// Number of models per combined status.
    pub counts: ClauseCounts,
    /// Per tier, number of models per combined status.
    pub by_tier: BTreeMap<String, ClauseCounts>,
    /// Models with a gap under it.
    pub gap_models: Vec<String>,
}

/// A framework's totals for one tier.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TierGaps {
    pub models: usize,
    pub models_with_gaps: usize,
    pub models_with_blocking_gaps: usize,
    /// Model × clause gaps.
    pub gaps: usize,
}

/// A coverage-target clause the policy does not address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UncoveredClause {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub group: String,
}

/// A coverage-target clause the policy declares out of scope, or evidenced at firm level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExcludedClause {
    pub id: String,
    pub title: String,
    /// The clause named by the `scope` block (itself or an ancestor).
    pub excluded_by: String,
    pub reason: String,
    /// For a duty evidenced at firm level (`firm` in a `scope` block): the role that owns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// The gap analysis of one framework.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameworkGaps {
    pub id: String,
    pub name: String,
    pub version: String,
    /// Set when another framework superseded it: its gaps are shown, and block only when the firm
    /// opted in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded: Option<crate::applicability::Superseded>,
    /// Clauses per portfolio status.
    pub counts: ClauseCounts,
    pub gaps: usize,
    pub blocking: usize,
    pub clauses: Vec<ClauseGap>,
    pub groups: Vec<GroupGap>,
    pub by_tier: BTreeMap<String, TierGaps>,
    pub coverage_targets: usize,
    pub not_covered: Vec<UncoveredClause>,
    pub out_of_scope: Vec<ExcludedClause>,
}

/// One model's gaps across frameworks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelGaps {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Per framework, clauses per status (not-applicable ones left out).
    pub frameworks: BTreeMap<String, ClauseCounts>,
    pub gaps: usize,
    pub blocking: usize,
}

/// Totals over every framework.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GapSummary {
    pub frameworks: usize,
    pub clauses: usize,
    /// Clauses per portfolio status.
    pub counts: ClauseCounts,
    /// Model × clause gaps, and those that block.
    pub gaps: usize,
    pub blocking: usize,
    pub models: usize,
    pub models_with_gaps: usize,
    pub models_with_blocking_gaps: usize,
    pub not_covered: usize,
}

/// The whole gap analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapReport {
    pub schema_version: &'static str,
    pub mrm_version: &'static str,
    pub as_of: String,
    pub repository: String,
    pub policy: String,
    pub policy_version: String,
    pub summary: GapSummary,
    pub frameworks: Vec<FrameworkGaps>,
    pub models: Vec<ModelGaps>,
    /// Models whose metadata could not be read.
    pub not_evaluated: Vec<String>,
    /// Models that block on their own, whatever their clauses say: metadata that could not be
    /// read, or an id another model shares (see [`ModelOutcome::model_findings`]).
    pub blocked_models: Vec<String>,
}

impl GapReport {
    /// Whether any blocking gap was found.
    pub fn is_blocking(&self) -> bool {
        self.summary.blocking > 0 || !self.blocked_models.is_empty()
    }
}

/// The roll-up clause of `id`: the nearest ancestor-or-self whose kind is in [`ROLLUP_KINDS`],
/// else the top-most ancestor, else the clause itself.
pub fn rollup<'a>(fw: &'a Framework, id: &'a str) -> &'a str {
    if let Some(c) = fw.clause(id)
        && ROLLUP_KINDS.contains(&c.kind.as_str())
    {
        return &c.id;
    }
    let ancestors = fw.ancestors(id);
    if let Some(a) = ancestors
        .iter()
        .find(|a| ROLLUP_KINDS.contains(&a.kind.as_str()))
    {
        return &a.id;
    }
    ancestors.last().map_or(id, |a| a.id.as_str())
}

/// One model's status on a clause from the law's decision for the model and the outcomes of the
/// controls behind it, `None` for a control of another tier (see the module docs for the order of
/// the rules).
pub fn model_status(law: Verdict, outcomes: &[Option<&ControlOutcome>]) -> ClauseStatus {
    if law == Verdict::NotApplicable {
        return ClauseStatus::NotApplicable;
    }
    let applicable: Vec<&ControlOutcome> = outcomes
        .iter()
        .flatten()
        .filter(|c| c.status != Status::NotApplicable)
        .copied()
        .collect();
    if applicable.is_empty() {
        return ClauseStatus::NotApplicable;
    }
    match law {
        Verdict::Upcoming => return ClauseStatus::Upcoming,
        Verdict::Undecided => return ClauseStatus::Gap,
        Verdict::InForce | Verdict::NotApplicable => {}
    }
    if applicable.iter().any(|c| c.status.is_gap()) {
        return ClauseStatus::Gap;
    }
    if applicable.iter().any(|c| c.status == Status::Waived) {
        return ClauseStatus::Waived;
    }
    if outcomes
        .iter()
        .all(|c| c.is_some_and(|c| c.status == Status::Pass))
    {
        return ClauseStatus::Met;
    }
    if applicable.iter().any(|c| c.status == Status::Pass) {
        return ClauseStatus::Partial;
    }
    ClauseStatus::Upcoming
}

/// Several statuses combined into one (see the module docs).
pub fn combine(statuses: impl IntoIterator<Item = ClauseStatus>) -> ClauseStatus {
    let mut seen = BTreeSet::new();
    for s in statuses {
        seen.insert(s);
    }
    if seen.contains(&ClauseStatus::Gap) {
        return ClauseStatus::Gap;
    }
    if seen.contains(&ClauseStatus::Waived) {
        return ClauseStatus::Waived;
    }
    seen.remove(&ClauseStatus::NotApplicable);
    let mut it = seen.iter();
    match (it.next(), it.next()) {
        (None, _) => ClauseStatus::NotApplicable,
        (Some(s), None) => *s,
        (Some(_), Some(_)) => ClauseStatus::Partial,
    }
}

/// The controls behind each clause of a framework: mapped to it or to a sub-clause.
/// Values: control index → the clauses of `fw` it maps under the key.
fn behind(fw: &Framework, program: &Program) -> BTreeMap<String, BTreeMap<usize, Vec<String>>> {
    let mut out: BTreeMap<String, BTreeMap<usize, Vec<String>>> = BTreeMap::new();
    for (i, c) in program.controls.iter().enumerate() {
        for m in c.ast.maps.iter().filter(|m| m.framework.node == fw.meta.id) {
            let clause = &m.clause.node;
            let mut keys = vec![clause.clone()];
            keys.extend(fw.ancestors(clause).iter().map(|a| a.id.clone()));
            for k in keys {
                let maps = out.entry(k).or_default().entry(i).or_default();
                if !maps.contains(clause) {
                    maps.push(clause.clone());
                }
            }
        }
    }
    out
}

/// Analyses a finished run per framework clause, for every framework the report covers.
pub fn analyze(report: &RunReport, catalogs: &Catalogs, program: &Program) -> GapReport {
    analyze_frameworks(report, catalogs, program, None)
}

/// Analyses a finished run for one of the frameworks it covers, with that framework's totals.
pub fn analyze_framework(
    report: &RunReport,
    catalogs: &Catalogs,
    program: &Program,
    framework: &str,
) -> GapReport {
    analyze_frameworks(report, catalogs, program, Some(framework))
}

fn analyze_frameworks(
    report: &RunReport,
    catalogs: &Catalogs,
    program: &Program,
    only: Option<&str>,
) -> GapReport {
    let as_of: Option<jiff::civil::Date> = report.as_of.parse().ok();
    let evaluated: Vec<&ModelOutcome> = report.models.iter().filter(|m| m.evaluated).collect();
    // Per model: its outcome of each control, by position in the program (none for the controls
    // of other tiers), and its id, shared by the model's clause entries.
    let position: BTreeMap<&str, usize> = program
        .controls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id(), i))
        .collect();
    let outcomes_of: Vec<Vec<Option<&ControlOutcome>>> = evaluated
        .par_iter()
        .map(|m| {
            let mut v = vec![None; program.controls.len()];
            for c in &m.controls {
                if let Some(slot) = position.get(c.id.as_str()).and_then(|&i| v.get_mut(i)) {
                    *slot = Some(c);
                }
            }
            v
        })
        .collect();
    let ids: Vec<std::sync::Arc<str>> = evaluated.iter().map(|m| m.id.as_str().into()).collect();
    let tier_of = |m: &ModelOutcome| m.tier.as_ref().map(|t| t.tier.clone());
    let tier_key = |m: &ModelOutcome| {
        m.tier
            .as_ref()
            .map_or_else(|| "(none)".to_string(), |t| t.tier.clone())
    };

    let mut frameworks = Vec::new();
    let mut model_gaps: Vec<ModelGaps> = evaluated
        .iter()
        .map(|m| ModelGaps {
            id: m.id.clone(),
            name: m.name.clone(),
            tier: tier_of(m),
            owner: m.owner.clone(),
            frameworks: BTreeMap::new(),
            gaps: 0,
            blocking: 0,
        })
        .collect();

    for info in report
        .frameworks
        .iter()
        .filter(|f| only.is_none_or(|id| f.id == id))
    {
        let Some(fw) = catalogs.get(&info.id) else {
            continue;
        };
        let behind = behind(fw, program);
        let direct: BTreeSet<&str> = program
            .controls
            .iter()
            .flat_map(|c| c.ast.maps.iter())
            .filter(|m| m.framework.node == fw.meta.id)
            .map(|m| m.clause.node.as_str())
            .collect();
        let in_force = |id: &str| as_of.is_none_or(|d| fw.in_force(id, d));

        let mut clauses = Vec::new();
        // Per model (index into `evaluated`): clause id → status, for the roll-ups.
        // Per model (index into `evaluated`): per analysed clause (index into `clauses`), the
        // status and whether it blocks.
        let mut per_model: Vec<Vec<(ClauseStatus, bool)>> = vec![Vec::new(); evaluated.len()];
        for clause in &fw.clauses {
            let Some(ctrls) = behind.get(&clause.id) else {
                continue;
            };
            if !direct.contains(clause.id.as_str()) && !clause.coverage_target {
                continue;
            }
            let force = in_force(&clause.id);
            let positions: Vec<usize> = ctrls.keys().copied().collect();
            let links: Vec<ControlLink> = ctrls
                .iter()
                .filter_map(|(&i, maps)| {
                    program.controls.get(i).map(|c| ControlLink {
                        id: c.id().to_string(),
                        title: c.ast.title.node.clone(),
                        severity: c.severity,
                        maps: maps.clone(),
                    })
                })
                .collect();
            // The law's decision for this clause, per model (its class in the report's law).
            let class = report.law.class_of(&fw.meta.id, &clause.id);
            // Models are independent: decide them in parallel, then gather in order.
            let decided: Vec<(ClauseStatus, bool, Option<ModelClause>)> = outcomes_of
                .par_iter()
                .zip(ids.par_iter())
                .zip(evaluated.par_iter())
                .map(|((by_position, id), m)| {
                    let outcomes: Vec<Option<&ControlOutcome>> = positions
                        .iter()
                        .map(|&i| by_position.get(i).copied().flatten())
                        .collect();
                    let decision = class.and_then(|c| m.law.get(c));
                    let law = decision.map_or(
                        if force {
                            Verdict::InForce
                        } else {
                            Verdict::Upcoming
                        },
                        |d| d.verdict,
                    );
                    let status = model_status(law, &outcomes);
                    // A superseded framework's gaps do not block unless the firm opts in.
                    let counts = decision.is_none_or(|d| !d.legacy);
                    let is_blocking = status == ClauseStatus::Gap
                        && counts
                        && (law == Verdict::Undecided
                            || outcomes
                                .iter()
                                .flatten()
                                .any(|c| c.blocking && c.status.is_gap()));
                    let entry = (status != ClauseStatus::NotApplicable).then(|| ModelClause {
                        model: id.clone(),
                        status,
                        blocking: is_blocking,
                        controls: outcomes
                            .iter()
                            .flatten()
                            .filter(|c| !matches!(c.status, Status::NotApplicable | Status::Pass))
                            .map(|c| ControlState {
                                id: c.id.clone(),
                                status: c.status,
                                blocking: c.blocking,
                            })
                            .collect(),
                    });
                    (status, is_blocking, entry)
                })
                .collect();
            let mut counts = ClauseCounts::new();
            let mut models = Vec::new();
            let mut blocking = 0;
            for (pm, (status, is_blocking, entry)) in per_model.iter_mut().zip(decided) {
                *counts.entry(status).or_default() += 1;
                pm.push((status, is_blocking));
                if is_blocking {
                    blocking += 1;
                }
                models.extend(entry);
            }
            let status = combine(models.iter().map(|m| m.status));
            clauses.push(ClauseGap {
                id: clause.id.clone(),
                title: clause.title.clone(),
                kind: clause.kind.clone(),
                group: rollup(fw, &clause.id).to_string(),
                in_force: force,
                applies_from: fw.applies_from(&clause.id).to_string(),
                coverage_target: clause.coverage_target,
                status,
                counts,
                blocking,
                controls: links,
                models,
            });
        }

        // Roll-ups by article (or equivalent), per tier.
        let mut group_ids: Vec<String> = Vec::new();
        for c in &clauses {
            if !group_ids.contains(&c.group) {
                group_ids.push(c.group.clone());
            }
        }
        let order: BTreeMap<&str, usize> = fw
            .clauses
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        group_ids.sort_by_key(|g| order.get(g.as_str()).copied().unwrap_or(usize::MAX));
        let mut groups = Vec::new();
        for g in group_ids {
            let rows: Vec<usize> = (0..clauses.len())
                .filter(|&i| clauses.get(i).is_some_and(|c| c.group == g))
                .collect();
            let members: Vec<String> = rows
                .iter()
                .filter_map(|&i| clauses.get(i).map(|c| c.id.clone()))
                .collect();
            let mut counts = ClauseCounts::new();
            let mut by_tier: BTreeMap<String, ClauseCounts> = BTreeMap::new();
            let mut gap_models = Vec::new();
            let mut statuses = Vec::new();
            for (mi, m) in evaluated.iter().enumerate() {
                let s = combine(rows.iter().map(|&r| {
                    per_model
                        .get(mi)
                        .and_then(|pm| pm.get(r))
                        .map_or(ClauseStatus::NotApplicable, |x| x.0)
                }));
                *counts.entry(s).or_default() += 1;
                *by_tier
                    .entry(tier_key(m))
                    .or_default()
                    .entry(s)
                    .or_default() += 1;
                if s == ClauseStatus::Gap {
                    gap_models.push(m.id.clone());
                }
                statuses.push(s);
            }
            let (title, kind) = fw
                .clause(&g)
                .map(|c| (c.title.clone(), c.kind.clone()))
                .unwrap_or_default();
            groups.push(GroupGap {
                id: g,
                title,
                kind,
                status: combine(statuses),
                clauses: members,
                counts,
                by_tier,
                gap_models,
            });
        }

        // Per tier and per model.
        let mut by_tier: BTreeMap<String, TierGaps> = BTreeMap::new();
        for (mi, m) in evaluated.iter().enumerate() {
            let t = by_tier.entry(tier_key(m)).or_default();
            t.models += 1;
            let mut gaps = 0;
            let mut blocking = 0;
            let mut counts = ClauseCounts::new();
            for &(status, is_blocking) in per_model.get(mi).into_iter().flat_map(|pm| pm.iter()) {
                if status == ClauseStatus::NotApplicable {
                    continue;
                }
                *counts.entry(status).or_default() += 1;
                if status == ClauseStatus::Gap {
                    gaps += 1;
                }
                if is_blocking {
                    blocking += 1;
                }
            }
            t.gaps += gaps;
            if gaps > 0 {
                t.models_with_gaps += 1;
            }
            if blocking > 0 {
                t.models_with_blocking_gaps += 1;
            }
            if let Some(mg) = model_gaps.get_mut(mi) {
                mg.gaps += gaps;
                mg.blocking += blocking;
                mg.frameworks.insert(fw.meta.id.clone(), counts);
            }
        }

        // The policy's own blind spots.
        let excluded: BTreeMap<&str, &crate::check::ScopeExclusion> = program
            .scopes
            .iter()
            .filter(|s| s.framework == fw.meta.id)
            .map(|s| (s.clause.as_str(), s))
            .collect();
        let mut not_covered = Vec::new();
        let mut out_of_scope = Vec::new();
        let mut coverage_targets = 0;
        for clause in fw.clauses.iter().filter(|c| c.coverage_target) {
            coverage_targets += 1;
            if behind.contains_key(&clause.id) {
                continue;
            }
            let exclusion = fw
                .lineage(&clause.id)
                .into_iter()
                .find_map(|a| excluded.get(a.id.as_str()).map(|x| (a.id.clone(), *x)));
            match exclusion {
                Some((by, x)) => out_of_scope.push(ExcludedClause {
                    id: clause.id.clone(),
                    title: clause.title.clone(),
                    excluded_by: by,
                    reason: x.reason.clone(),
                    owner: x.owner.clone(),
                }),
                None => not_covered.push(UncoveredClause {
                    id: clause.id.clone(),
                    title: clause.title.clone(),
                    kind: clause.kind.clone(),
                    group: rollup(fw, &clause.id).to_string(),
                }),
            }
        }

        let mut counts = ClauseCounts::new();
        for c in &clauses {
            *counts.entry(c.status).or_default() += 1;
        }
        frameworks.push(FrameworkGaps {
            id: fw.meta.id.clone(),
            name: fw.meta.name.clone(),
            version: info.version.clone(),
            superseded: info.superseded.clone(),
            counts,
            gaps: clauses
                .iter()
                .map(|c| c.counts.get(&ClauseStatus::Gap).copied().unwrap_or(0))
                .sum(),
            blocking: clauses.iter().map(|c| c.blocking).sum(),
            clauses,
            groups,
            by_tier,
            coverage_targets,
            not_covered,
            out_of_scope,
        });
    }

    let mut summary = GapSummary {
        frameworks: frameworks.len(),
        models: evaluated.len(),
        ..GapSummary::default()
    };
    for f in &frameworks {
        summary.clauses += f.clauses.len();
        for (s, n) in &f.counts {
            *summary.counts.entry(*s).or_default() += n;
        }
        summary.gaps += f.gaps;
        summary.blocking += f.blocking;
        summary.not_covered += f.not_covered.len();
    }
    summary.models_with_gaps = model_gaps.iter().filter(|m| m.gaps > 0).count();
    summary.models_with_blocking_gaps = model_gaps.iter().filter(|m| m.blocking > 0).count();

    GapReport {
        schema_version: SCHEMA_VERSION,
        mrm_version: env!("CARGO_PKG_VERSION"),
        as_of: report.as_of.clone(),
        repository: report.repository.clone(),
        policy: report.policy.name.clone(),
        policy_version: report.policy.version.clone(),
        summary,
        frameworks,
        models: model_gaps,
        not_evaluated: report
            .models
            .iter()
            .filter(|m| !m.evaluated)
            .map(|m| m.id.clone())
            .collect(),
        blocked_models: report
            .models
            .iter()
            .filter(|m| m.model_findings().next().is_some())
            .map(|m| m.id.clone())
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::ClauseStatus::*;
    use super::*;

    #[test]
    fn leaf_clauses_roll_up_to_their_article_or_equivalent() {
        let (catalogs, diags) = Catalogs::embedded();
        assert!(diags.is_empty(), "{diags:?}");
        let up = |fw: &str, id: &'static str| {
            let f = catalogs.get(fw).unwrap_or_else(|| panic!("no {fw}"));
            rollup(f, id).to_string()
        };
        assert_eq!(up("eu-ai-act", "Art 10(2)(f)"), "Art 10");
        assert_eq!(up("eu-ai-act", "Art 10"), "Art 10");
        assert_eq!(up("eu-ai-act", "Annex III 5(b)"), "Annex III 5");
        assert_eq!(up("nist-ai-rmf", "MEASURE 2.11"), "MEASURE 2");
        assert_eq!(up("iso-42001", "A.7.4"), "A.7");
        assert_eq!(up("iso-42001", "6.1.2"), "6.1");
        assert_eq!(up("sr-11-7", "V.periodic-review"), "V");
        assert_eq!(up("sr-11-7", "V.1.sensitivity-stress"), "V");
    }

    #[test]
    fn combine_takes_the_worst_and_ignores_not_applicable() {
        assert_eq!(combine([]), NotApplicable);
        assert_eq!(combine([Met, NotApplicable]), Met);
        assert_eq!(combine([Met, Gap, Waived]), Gap);
        assert_eq!(combine([Met, Waived]), Waived);
        assert_eq!(combine([Met, Upcoming]), Partial);
        assert_eq!(combine([Upcoming, NotApplicable]), Upcoming);
        assert_eq!(combine([NotApplicable, NotApplicable]), NotApplicable);
    }
}
