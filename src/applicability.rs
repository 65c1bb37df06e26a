//! Applicability: whether a framework clause applies to a model, at a date, in the firm's role,
//! and why.
//!
//! The law lives in the catalogs as data: whom each clause binds (`binds`), which systems it
//! reaches (`reaches`, `only_points`, `except_points`), from when for each route into the EU AI
//! Act's high-risk rules (`applies_from`, `from_annex_iii`, `from_annex_i`), the transitional
//! rules that govern it (`transitional`, evaluated from the catalog's `[[transitional]]` table),
//! when over the system's life it attaches (`lifecycle`), and the framework's own scope rules
//! (`[[scope_rule]]`) and supersession. The facts the decision depends on are read from the
//! model's metadata ([`facts`]). This module owns the vocabulary of that data and checks catalogs
//! against it; it reads no policy and evaluates no control.

mod decide;
pub mod facts;
pub mod lint;

pub use decide::{ClassId, ClassInfo, ControlLaw, Decision, Law, ModelLaw, Settings, Verdict};
pub use facts::Facts;

use crate::diagnostic::{Code, Diagnostic};
use crate::framework::Framework;
use crate::source::Location;

/// Whom a clause may bind: the operators of the EU AI Act (Art 3(8)), the Commission (duties of
/// the Commission or the AI Office), and the firm or organisation as a whole (supervisory guidance,
/// management-system standards).
pub const ACTORS: [&str; 8] = [
    "provider",
    "deployer",
    "importer",
    "distributor",
    "authorised-representative",
    "commission",
    "firm",
    "organization",
];

/// Actors that are the firm itself, whatever its role for a system.
pub const FIRM_ACTORS: [&str; 2] = ["firm", "organization"];

/// Which systems a clause may reach.
pub const CATEGORIES: [&str; 9] = [
    "any",
    "ai-system",
    "annex-iii",
    "annex-iii-derogation",
    "annex-i",
    "interaction",
    "synthetic-content",
    "emotion-biometric",
    "deep-fake",
];

/// When over a system's life a duty attaches.
pub const LIFECYCLES: [&str; 3] = ["placing", "in-service", "retention"];

/// The transitional rule kinds the engine evaluates.
pub const TRANSITIONAL_RULES: [&str; 2] = ["legacy-high-risk", "legacy-generative"];

/// The scope rule kinds the engine evaluates.
pub const SCOPE_RULES: [&str; 2] = ["exclude-kinds", "firm-threshold"];

/// Model kinds a scope rule may exclude (see [`facts::Facts::kinds`]).
pub const MODEL_KINDS: [&str; 4] = ["generative", "agentic", "calculation", "rules"];

/// Checks a catalog's applicability data against the vocabulary: an unknown actor, category,
/// lifecycle, rule kind or date reference would otherwise decide nothing, silently.
pub fn check_catalog(fw: &Framework) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut bad = |what: String| {
        out.push(
            Diagnostic::new(
                Code::CatalogApplicability,
                format!("catalog `{}`: {what}", fw.meta.id),
            )
            .at(Location::file(fw.file.clone()), "")
            .help("see the applicability keys in frameworks/README.md"),
        );
    };
    let date_ids: Vec<&str> = fw.application_dates.iter().map(|a| a.id.as_str()).collect();
    let points: Vec<String> = annex_iii_points(fw);
    for c in &fw.clauses {
        for a in c.binds.iter().flatten() {
            if !ACTORS.contains(&a.as_str()) {
                bad(format!(
                    "clause `{}` binds unknown actor `{a}` (actors: {})",
                    c.id,
                    ACTORS.join(", ")
                ));
            }
        }
        for r in c.reaches.iter().flatten() {
            if !CATEGORIES.contains(&r.as_str()) {
                bad(format!(
                    "clause `{}` reaches unknown category `{r}` (categories: {})",
                    c.id,
                    CATEGORIES.join(", ")
                ));
            }
        }
        for (key, d) in [
            ("applies_from", &c.applies_from),
            ("from_annex_iii", &c.from_annex_iii),
            ("from_annex_i", &c.from_annex_i),
        ] {
            if let Some(d) = d
                && !date_ids.contains(&d.as_str())
            {
                bad(format!(
                    "clause `{}`: `{key}` names no [[application_date]] `{d}`",
                    c.id
                ));
            }
        }
        if let Some(l) = &c.lifecycle
            && !LIFECYCLES.contains(&l.as_str())
        {
            bad(format!(
                "clause `{}` has unknown lifecycle `{l}` ({})",
                c.id,
                LIFECYCLES.join(", ")
            ));
        }
        for t in &c.transitional {
            if fw.transitional_rule(t).is_none() {
                bad(format!(
                    "clause `{}` names unknown transitional rule `{t}`",
                    c.id
                ));
            }
        }
        for p in c.only_points.iter().chain(&c.except_points) {
            if !points
                .iter()
                .any(|x| x == p || x.starts_with(&format!("{p}(")))
            {
                bad(format!(
                    "clause `{}` names `{p}`, which is not an Annex III point",
                    c.id
                ));
            }
        }
    }
    for t in &fw.transitional {
        if !TRANSITIONAL_RULES.contains(&t.rule.as_str()) {
            bad(format!(
                "transitional rule `{}` has unknown kind `{}` ({})",
                t.id,
                t.rule,
                TRANSITIONAL_RULES.join(", ")
            ));
        }
        let needed: &[(&str, &Option<String>)] = match t.rule.as_str() {
            "legacy-high-risk" => &[
                ("cutoff_annex_iii", &t.cutoff_annex_iii),
                ("cutoff_annex_i", &t.cutoff_annex_i),
                ("deadline_public_authority", &t.deadline_public_authority),
            ],
            "legacy-generative" => &[("cutoff", &t.cutoff), ("applies_from", &t.applies_from)],
            _ => &[],
        };
        for (key, v) in needed {
            match v {
                Some(d) if date_ids.contains(&d.as_str()) => {}
                Some(d) => bad(format!(
                    "transitional rule `{}`: `{key}` names no [[application_date]] `{d}`",
                    t.id
                )),
                None => bad(format!("transitional rule `{}` lacks `{key}`", t.id)),
            }
        }
    }
    for r in &fw.scope_rules {
        match r.rule.as_str() {
            "exclude-kinds" => {
                for k in &r.kinds {
                    if !MODEL_KINDS.contains(&k.as_str()) {
                        bad(format!(
                            "scope rule `{}` names unknown model kind `{k}` ({})",
                            r.id,
                            MODEL_KINDS.join(", ")
                        ));
                    }
                }
            }
            "firm-threshold" if r.threshold_usd.is_none() => {
                bad(format!("scope rule `{}` lacks `threshold_usd`", r.id));
            }
            "firm-threshold" => {}
            other => bad(format!(
                "scope rule `{}` has unknown kind `{other}` ({})",
                r.id,
                SCOPE_RULES.join(", ")
            )),
        }
        if !r.legal_basis.is_empty() && !fw.contains(&r.legal_basis) {
            bad(format!(
                "scope rule `{}` cites `{}`, which is not a clause of the catalog",
                r.id, r.legal_basis
            ));
        }
    }
    out
}

/// A framework another one superseded, as every report marks it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Superseded {
    /// The successor's id and name.
    pub by: String,
    pub by_name: String,
    pub on: jiff::civil::Date,
    /// Whether its gaps still block: the firm lists it in `[frameworks] legacy`.
    pub blocking: bool,
    /// The command that compares it with its successor.
    pub crosswalk: String,
}

impl Superseded {
    /// The supersession of `fw` at `as_of`, when it has happened.
    pub fn of(
        fw: &Framework,
        catalogs: &crate::framework::Catalogs,
        as_of: jiff::civil::Date,
        settings: &Settings,
    ) -> Option<Superseded> {
        let by = fw.meta.superseded_by.clone()?;
        let on = fw.meta.superseded_on?;
        (on <= as_of).then(|| Superseded {
            by_name: catalogs
                .get(&by)
                .map_or_else(|| by.clone(), |f| f.meta.name.clone()),
            crosswalk: format!("mrm frameworks crosswalk {} {by}", fw.meta.id),
            by,
            on,
            blocking: settings.legacy.contains(&fw.meta.id),
        })
    }

    /// One sentence for reports: "superseded by SR 26-2 on 2026-04-17; its gaps do not block
    /// (`[frameworks] legacy` in mrm.toml makes them block); compare: mrm frameworks crosswalk …".
    pub fn note(&self) -> String {
        format!(
            "superseded by {} on {}; {}; compare: {}",
            self.by_name,
            self.on,
            if self.blocking {
                "its gaps still block ([frameworks] legacy in mrm.toml)"
            } else {
                "its gaps are shown but do not block ([frameworks] legacy in mrm.toml makes them block)"
            },
            self.crosswalk
        )
    }
}

/// The points of Annex III a classification may name: every point without sub-points, in catalog
/// order (`1(a)`, `1(b)`, `1(c)`, `2`, `3(a)`, ...). Empty for a catalog without Annex III.
pub fn annex_iii_points(fw: &Framework) -> Vec<String> {
    const PREFIX: &str = "Annex III ";
    fw.clauses
        .iter()
        .filter(|c| c.id.starts_with(PREFIX))
        .filter(|c| {
            !fw.clauses
                .iter()
                .any(|k| k.parent.as_deref() == Some(&c.id))
        })
        .filter_map(|c| c.id.strip_prefix(PREFIX).map(str::to_string))
        .collect()
}
