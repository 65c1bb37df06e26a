//! How a policy set covers a framework: per coverage-target clause (the level the catalogs mark),
//! and, honestly, at the finest level the catalog has (paragraphs and points).
//!
//! A coverage target counts as mapped when a control maps it or one of its sub-clauses. That is
//! the level policy libraries are commonly written at, and it flatters: an article with twelve
//! paragraphs counts as covered when one of them is mapped. So [`coverage`] also counts the
//! *leaves* under each coverage target — the clauses with no sub-clauses — and a leaf counts as
//! mapped only when a control maps that leaf itself. Leaves that bind no one the firm can be (duties
//! of the Commission, provisions that only set dates) and deleted provisions are set apart: no
//! policy could cover them. Each leaf is then mapped, evidenced at firm level, declared out of
//! scope (itself or through an ancestor), or neither.
//!
//! This module owns the coverage figures; `mrm frameworks coverage` and the shipped tests render
//! them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::check::{Program, ScopeExclusion};
use crate::framework::{Catalogs, Framework};

/// Coverage of one framework.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub framework: String,
    /// Coverage-target clauses.
    pub targets: usize,
    /// Target → controls mapping it (directly or through a descendant clause).
    pub mapped: BTreeMap<String, Vec<String>>,
    /// Target → reason.
    pub out_of_scope: BTreeMap<String, String>,
    /// Target → the owner and reason of a duty evidenced at firm level.
    pub firm_level: BTreeMap<String, FirmLevel>,
    pub neither: Vec<String>,
    /// The same at the finest level the catalog has.
    pub leaves: Leaves,
}

/// A duty the policy declares evidenced at firm level.
#[derive(Debug, Clone, Serialize)]
pub struct FirmLevel {
    pub owner: String,
    pub reason: String,
}

/// Coverage of the leaves under the coverage targets: each leaf is in exactly one list.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Leaves {
    /// Leaves that can bind the firm: the denominator.
    pub total: usize,
    /// Mapped by a control, itself.
    pub mapped: Vec<String>,
    pub firm_level: Vec<String>,
    pub out_of_scope: Vec<String>,
    pub neither: Vec<String>,
    /// Leaves no policy could cover: they bind only the Commission or no one, or were deleted.
    pub not_firm_duties: Vec<String>,
}

impl Leaves {
    /// Mapped, as a share of the leaves that can bind the firm.
    pub fn mapped_share(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.mapped.len() as f64 / self.total as f64
        }
    }
}

/// Actors a firm using mrm can be.
const FIRM_CAN_BE: [&str; 7] = [
    "provider",
    "deployer",
    "importer",
    "distributor",
    "authorised-representative",
    "firm",
    "organization",
];

/// Whether a clause can bind the firm: a catalog without `binds` data binds whoever reads it.
fn binds_firm(fw: &Framework, id: &str) -> bool {
    match fw.inherited(id, |c| c.binds.clone()) {
        Some(actors) => actors.iter().any(|a| FIRM_CAN_BE.contains(&a.as_str())),
        None => true,
    }
}

/// Coverage of every framework by a program.
pub fn coverage(catalogs: &Catalogs, program: &Program) -> Vec<Coverage> {
    let mut out = Vec::new();
    for fw in catalogs.frameworks.values() {
        let mut direct: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut own: BTreeSet<&str> = BTreeSet::new();
        for c in &program.controls {
            for m in c.ast.maps.iter().filter(|m| m.framework.node == fw.meta.id) {
                own.insert(m.clause.node.as_str());
                direct
                    .entry(m.clause.node.as_str())
                    .or_default()
                    .insert(c.id());
                // A mapping to a sub-clause also covers its ancestors, at the target level.
                for a in fw.ancestors(&m.clause.node) {
                    direct.entry(a.id.as_str()).or_default().insert(c.id());
                }
            }
        }
        let declared: BTreeMap<&str, &ScopeExclusion> = program
            .scopes
            .iter()
            .filter(|s| s.framework == fw.meta.id)
            .map(|s| (s.clause.as_str(), s))
            .collect();
        let declared_for = |id: &str| {
            fw.lineage(id)
                .into_iter()
                .find_map(|a| declared.get(a.id.as_str()).copied())
        };
        let mut cov = Coverage {
            framework: fw.meta.id.clone(),
            targets: 0,
            mapped: BTreeMap::new(),
            out_of_scope: BTreeMap::new(),
            firm_level: BTreeMap::new(),
            neither: Vec::new(),
            leaves: Leaves::default(),
        };
        let parents: BTreeSet<&str> = fw
            .clauses
            .iter()
            .filter_map(|c| c.parent.as_deref())
            .collect();
        let mut leaves: BTreeSet<&str> = BTreeSet::new();
        for clause in fw.clauses.iter().filter(|c| c.coverage_target) {
            cov.targets += 1;
            // The leaves under this target (or the target itself, when it has no sub-clauses).
            for c in &fw.clauses {
                let under =
                    c.id == clause.id || fw.ancestors(&c.id).iter().any(|a| a.id == clause.id);
                if under && !parents.contains(c.id.as_str()) {
                    leaves.insert(c.id.as_str());
                }
            }
            if let Some(ctrls) = direct.get(clause.id.as_str()) {
                cov.mapped.insert(
                    clause.id.clone(),
                    ctrls.iter().map(|s| s.to_string()).collect(),
                );
                continue;
            }
            match declared_for(&clause.id) {
                Some(x) => match &x.owner {
                    Some(owner) => {
                        cov.firm_level.insert(
                            clause.id.clone(),
                            FirmLevel {
                                owner: owner.clone(),
                                reason: x.reason.clone(),
                            },
                        );
                    }
                    None => {
                        cov.out_of_scope.insert(clause.id.clone(), x.reason.clone());
                    }
                },
                None => cov.neither.push(clause.id.clone()),
            }
        }
        // In catalog order.
        for c in fw.clauses.iter().filter(|c| leaves.contains(c.id.as_str())) {
            let id = c.id.clone();
            let deleted = fw.inherited(&c.id, |x| x.deleted_by.clone()).is_some();
            if deleted || !binds_firm(fw, &c.id) {
                cov.leaves.not_firm_duties.push(id);
                continue;
            }
            cov.leaves.total += 1;
            if own.contains(c.id.as_str()) {
                cov.leaves.mapped.push(id);
                continue;
            }
            match declared_for(&c.id).map(|x| x.owner.is_some()) {
                Some(true) => cov.leaves.firm_level.push(id),
                Some(false) => cov.leaves.out_of_scope.push(id),
                None => cov.leaves.neither.push(id),
            }
        }
        out.push(cov);
    }
    out
}
