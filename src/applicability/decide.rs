//! Deciding, for one model at one date, whether each clause applies, and why.
//!
//! [`Law::new`] reads every clause of every catalog into a small set of *classes*: clauses whose
//! applicability data is the same (same framework, actors, systems reached, dates, transitional
//! rules, lifecycle) always get the same decision, so a model is decided once per class, not once
//! per clause. [`Law::decide`] takes a model's [`Facts`] and the evaluation date and returns a
//! [`ModelLaw`]: one [`Decision`] per class, each with its reason. [`Law::control`] combines the
//! decisions of the clauses a control maps into the control's own ([`ControlLaw`]), which is what
//! makes control and clause statuses agree: a control can only be a gap when one of its clauses is
//! in force for the model.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Serialize, Serializer};

use super::FIRM_ACTORS;
use super::facts::{AnnexIii, Facts, path};
use crate::framework::{Catalogs, Framework, ScopeRule};

/// Firm-level settings, from `mrm.toml`, that decisions depend on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// The firm's total assets in USD (`[firm] total_assets_usd`), for size thresholds.
    pub total_assets_usd: Option<f64>,
    /// Frameworks the firm applies even below their size threshold.
    pub apply_below_threshold: Vec<String>,
    /// Superseded frameworks whose gaps still block (`[frameworks] legacy`).
    pub legacy: Vec<String>,
}

/// Whether a clause applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    InForce,
    Upcoming,
    NotApplicable,
    /// A fact it depends on is missing or invalid, and the answer matters at this date.
    Undecided,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::InForce => "in force",
            Verdict::Upcoming => "upcoming",
            Verdict::NotApplicable => "not applicable",
            Verdict::Undecided => "undecided",
        }
    }
}

/// The decision for one clause (class) and one model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub verdict: Verdict,
    /// In force: since when. Upcoming: from when; `None` when it attaches at placing on the
    /// market rather than on a date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// Why, in a sentence that cites the rule: "Art 111(2): placed on the market 2024-03-01,
    /// before 2027-12-02, with no significant change in design since".
    pub reason: String,
    /// The framework is superseded and the firm has not opted in: the clause is shown, its gaps
    /// do not block.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub legacy: bool,
}

impl Decision {
    fn new(verdict: Verdict, date: Option<Date>, reason: impl Into<String>) -> Decision {
        Decision {
            verdict,
            date,
            reason: reason.into(),
            legacy: false,
        }
    }

    /// The status word and the reason, for reports: "upcoming (2027-12-02): …".
    pub fn describe(&self) -> String {
        match (self.verdict, self.date) {
            (Verdict::Upcoming, Some(d)) => format!("upcoming ({d}): {}", self.reason),
            (v, _) => format!("{}: {}", v.as_str(), self.reason),
        }
    }
}

/// Index of a class in [`Law::classes`] and [`ModelLaw::decisions`].
pub type ClassId = usize;

/// What decides a clause: its applicability data, resolved (inherited values filled in, dates
/// read from the catalog's application dates).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Profile {
    framework: String,
    binds: Vec<String>,
    reaches: Vec<String>,
    applies_from: Date,
    /// The citation of `applies_from`: "Art 113(3)(c)(i)", or the framework's name.
    cite: String,
    from_annex_iii: Option<(Date, String)>,
    from_annex_i: Option<(Date, String)>,
    route_derived: bool,
    only_points: Vec<String>,
    except_points: Vec<String>,
    transitional: Vec<String>,
    lifecycle: Option<String>,
    deleted_by: Option<String>,
}

/// A framework's own facts: its name, supersession, scope rules and transitional rules.
#[derive(Debug, Clone)]
struct FrameworkLaw {
    name: String,
    superseded: Option<(String, Date)>,
    scope_rules: Vec<ScopeRule>,
    /// Transitional rule id → (kind, dates by key).
    transitional: BTreeMap<String, Transitional>,
    annex_iii_points: Vec<String>,
}

#[derive(Debug, Clone)]
struct Transitional {
    rule: String,
    legal_basis: String,
    dates: BTreeMap<&'static str, (Date, String)>,
}

/// The clauses of one class, for reports and the JSON result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassInfo {
    pub id: ClassId,
    pub framework: String,
    pub clauses: Vec<String>,
}

/// The law of every loaded catalog, ready to decide models.
#[derive(Debug, Clone)]
pub struct Law {
    classes: Vec<Profile>,
    members: Vec<Vec<(String, String)>>,
    /// The classes decided for each model: those of the clauses a policy maps and their
    /// ancestors (the rest are never read). All, until [`Law::restrict`] is called.
    relevant: Vec<bool>,
    by_clause: BTreeMap<(String, String), ClassId>,
    frameworks: BTreeMap<String, FrameworkLaw>,
    settings: Settings,
}

impl PartialEq for Law {
    fn eq(&self, other: &Self) -> bool {
        self.classes == other.classes
            && self.members == other.members
            && self.settings == other.settings
    }
}

impl Serialize for Law {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let classes: Vec<ClassInfo> = self
            .members
            .iter()
            .enumerate()
            .filter(|(id, _)| self.relevant.get(*id).copied().unwrap_or(false))
            .map(|(id, clauses)| ClassInfo {
                id,
                framework: clauses.first().map(|c| c.0.clone()).unwrap_or_default(),
                clauses: clauses.iter().map(|c| c.1.clone()).collect(),
            })
            .collect();
        classes.serialize(s)
    }
}

/// One model's decisions: for each class of [`Law`] that is decided, one of a few distinct
/// decisions (most classes of a model share theirs, so each is kept once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelLaw {
    /// Per class, the index of its decision in `distinct`; [`NOT_DECIDED`] for the others.
    slots: Vec<u16>,
    distinct: Vec<Decision>,
}

const NOT_DECIDED: u16 = u16::MAX;

impl ModelLaw {
    /// The decision for a class, when it was decided.
    pub fn get(&self, class: ClassId) -> Option<&Decision> {
        let slot = *self.slots.get(class)?;
        self.distinct.get(usize::from(slot))
    }

    /// The decision for a clause, when the law decided it.
    pub fn clause(&self, law: &Law, framework: &str, clause: &str) -> Option<&Decision> {
        law.class_of(framework, clause).and_then(|c| self.get(c))
    }

    /// Each distinct decision with the classes it holds for.
    pub fn decisions(&self) -> impl Iterator<Item = (Vec<ClassId>, &Decision)> {
        self.distinct.iter().enumerate().map(|(i, d)| {
            let classes = self
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| usize::from(**s) == i)
                .map(|(c, _)| c)
                .collect();
            (classes, d)
        })
    }
}

/// One decision of a model with the classes it holds for, as the JSON result lists it.
#[derive(Serialize)]
struct DecisionEntry<'a> {
    classes: Vec<ClassId>,
    #[serde(flatten)]
    decision: &'a Decision,
}

impl Serialize for ModelLaw {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries: Vec<DecisionEntry<'_>> = self
            .decisions()
            .map(|(classes, decision)| DecisionEntry { classes, decision })
            .collect();
        entries.serialize(s)
    }
}

/// A control's decision, from the decisions of the clauses it maps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlLaw {
    pub verdict: Verdict,
    pub date: Option<Date>,
    pub reason: Option<String>,
    /// An in-force clause of a framework whose gaps block: the control may block.
    pub blocking: bool,
}

impl ControlLaw {
    /// A control that maps no clause: always in force, always able to block.
    pub fn unmapped() -> ControlLaw {
        ControlLaw {
            verdict: Verdict::InForce,
            date: None,
            reason: None,
            blocking: true,
        }
    }
}

fn resolve(fw: &Framework, key: Option<String>) -> Option<(Date, String)> {
    let key = key?;
    let a = fw.application_date(&key)?;
    let cite = if a.cite.is_empty() {
        a.legal_basis.clone()
    } else {
        a.cite.clone()
    };
    Some((a.date, cite))
}

impl Law {
    /// Reads every clause of every catalog.
    pub fn new(catalogs: &Catalogs, settings: &Settings) -> Law {
        let mut law = Law {
            classes: Vec::new(),
            members: Vec::new(),
            relevant: Vec::new(),
            by_clause: BTreeMap::new(),
            frameworks: BTreeMap::new(),
            settings: settings.clone(),
        };
        let mut index: BTreeMap<Profile, ClassId> = BTreeMap::new();
        for fw in catalogs.frameworks.values() {
            let fid = fw.meta.id.clone();
            let mut transitional = BTreeMap::new();
            for t in &fw.transitional {
                let mut dates = BTreeMap::new();
                for (k, v) in [
                    ("cutoff_annex_iii", &t.cutoff_annex_iii),
                    ("cutoff_annex_i", &t.cutoff_annex_i),
                    ("deadline_public_authority", &t.deadline_public_authority),
                    ("cutoff", &t.cutoff),
                    ("applies_from", &t.applies_from),
                ] {
                    if let Some(d) = resolve(fw, v.clone()) {
                        dates.insert(k, d);
                    }
                }
                transitional.insert(
                    t.id.clone(),
                    Transitional {
                        rule: t.rule.clone(),
                        legal_basis: t.legal_basis.clone(),
                        dates,
                    },
                );
            }
            law.frameworks.insert(
                fid.clone(),
                FrameworkLaw {
                    name: fw.meta.name.clone(),
                    superseded: fw.meta.superseded_by.clone().zip(fw.meta.superseded_on),
                    scope_rules: fw.scope_rules.clone(),
                    transitional,
                    annex_iii_points: super::annex_iii_points(fw),
                },
            );
            for c in &fw.clauses {
                let applies_from_key = fw.inherited(&c.id, |x| x.applies_from.clone());
                let (applies_from, cite) = resolve(fw, applies_from_key)
                    .unwrap_or((fw.meta.effective, fw.meta.name.clone()));
                let profile = Profile {
                    framework: fid.clone(),
                    binds: fw.inherited(&c.id, |x| x.binds.clone()).unwrap_or_default(),
                    reaches: fw
                        .inherited(&c.id, |x| x.reaches.clone())
                        .unwrap_or_else(|| vec!["any".to_string()]),
                    applies_from,
                    cite,
                    from_annex_iii: resolve(fw, fw.inherited(&c.id, |x| x.from_annex_iii.clone())),
                    from_annex_i: resolve(fw, fw.inherited(&c.id, |x| x.from_annex_i.clone())),
                    route_derived: fw.inherited(&c.id, |x| x.route_verified) == Some(false),
                    only_points: fw
                        .lineage(&c.id)
                        .into_iter()
                        .find(|x| !x.only_points.is_empty())
                        .map(|x| x.only_points.clone())
                        .unwrap_or_default(),
                    except_points: fw
                        .lineage(&c.id)
                        .into_iter()
                        .find(|x| !x.except_points.is_empty())
                        .map(|x| x.except_points.clone())
                        .unwrap_or_default(),
                    transitional: fw
                        .lineage(&c.id)
                        .into_iter()
                        .find(|x| !x.transitional.is_empty())
                        .map(|x| x.transitional.clone())
                        .unwrap_or_default(),
                    lifecycle: fw.inherited(&c.id, |x| x.lifecycle.clone()),
                    deleted_by: fw.inherited(&c.id, |x| x.deleted_by.clone()),
                };
                let next = law.classes.len();
                let id = *index.entry(profile.clone()).or_insert(next);
                if id == next {
                    law.classes.push(profile);
                    law.members.push(Vec::new());
                    law.relevant.push(true);
                }
                if let Some(m) = law.members.get_mut(id) {
                    m.push((fid.clone(), c.id.clone()));
                }
                law.by_clause.insert((fid.clone(), c.id.clone()), id);
            }
        }
        law
    }

    /// The class of a clause.
    pub fn class_of(&self, framework: &str, clause: &str) -> Option<ClassId> {
        self.by_clause
            .get(&(framework.to_string(), clause.to_string()))
            .copied()
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes.len()
    }

    /// The clauses of a class.
    pub fn members(&self, class: ClassId) -> &[(String, String)] {
        self.members.get(class).map_or(&[], Vec::as_slice)
    }

    /// The Annex III points of the EU AI Act catalog, when loaded.
    pub fn annex_iii_points(&self) -> Option<&[String]> {
        self.frameworks
            .get("eu-ai-act")
            .map(|f| f.annex_iii_points.as_slice())
            .filter(|p| !p.is_empty())
    }

    /// Whether a framework is superseded at `as_of` and its gaps do not block.
    pub fn legacy(&self, framework: &str, as_of: Date) -> bool {
        self.frameworks
            .get(framework)
            .and_then(|f| f.superseded.as_ref())
            .is_some_and(|(_, on)| *on <= as_of)
            && !self.settings.legacy.iter().any(|l| l == framework)
    }

    /// Decides, from now on, only the classes of the given clauses and of their ancestors: the
    /// only ones a run reads (controls' mappings, and the gap analysis of their ancestors).
    pub fn restrict<'a>(
        &mut self,
        catalogs: &Catalogs,
        clauses: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) {
        let mut relevant = vec![false; self.classes.len()];
        for (fw, clause) in clauses {
            let mut ids = vec![clause.to_string()];
            if let Some(f) = catalogs.get(fw) {
                ids.extend(f.ancestors(clause).iter().map(|a| a.id.clone()));
            }
            for id in ids {
                if let Some(slot) = self.class_of(fw, &id).and_then(|c| relevant.get_mut(c)) {
                    *slot = true;
                }
            }
        }
        self.relevant = relevant;
    }

    /// Every relevant class decided for one model.
    pub fn decide(&self, facts: &Facts, as_of: Date) -> ModelLaw {
        let mut law = ModelLaw {
            slots: vec![NOT_DECIDED; self.classes.len()],
            distinct: Vec::new(),
        };
        for (i, p) in self.classes.iter().enumerate() {
            if !self.relevant.get(i).copied().unwrap_or(false) {
                continue;
            }
            let d = self.decide_profile(p, facts, as_of);
            let slot = match law.distinct.iter().position(|x| *x == d) {
                Some(k) => k,
                None => {
                    law.distinct.push(d);
                    law.distinct.len() - 1
                }
            };
            if let (Some(s), Ok(k)) = (law.slots.get_mut(i), u16::try_from(slot)) {
                *s = k;
            }
        }
        law
    }

    /// The classes of the clauses a control maps (`framework`, `clause`), for [`Law::control`].
    ///
    /// A control that maps an article and some of its paragraphs claims the article through those
    /// paragraphs (`Art 49`, `Art 49(1)`): the paragraphs decide, so a mapped clause that is an
    /// ancestor of another mapped clause of the same framework is left out. Clauses the catalogs
    /// do not hold are left out too.
    pub fn classes_of<'a>(
        &self,
        catalogs: &Catalogs,
        maps: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<ClassId> {
        let maps: Vec<(&str, &str)> = maps.into_iter().collect();
        let is_ancestor_of_another = |fw: &str, clause: &str| {
            catalogs.get(fw).is_some_and(|f| {
                maps.iter()
                    .any(|(g, other)| *g == fw && f.ancestors(other).iter().any(|a| a.id == clause))
            })
        };
        let mut out: Vec<ClassId> = maps
            .iter()
            .filter(|(fw, clause)| !is_ancestor_of_another(fw, clause))
            .filter_map(|(fw, clause)| self.class_of(fw, clause))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// A control's decision from the classes of the clauses it maps.
    pub fn control(&self, classes: &[ClassId], model: &ModelLaw) -> ControlLaw {
        let mut decided: Vec<(&str, &Decision)> = Vec::new();
        for &c in classes {
            if let (Some(p), Some(d)) = (self.classes.get(c), model.get(c)) {
                decided.push((p.framework.as_str(), d));
            }
        }
        if decided.is_empty() {
            return ControlLaw::unmapped();
        }
        let name = |fw: &str| {
            self.frameworks
                .get(fw)
                .map_or_else(|| fw.to_string(), |f| f.name.clone())
        };
        if decided.iter().any(|(_, d)| d.verdict == Verdict::InForce) {
            return ControlLaw {
                verdict: Verdict::InForce,
                date: None,
                reason: None,
                blocking: decided
                    .iter()
                    .any(|(_, d)| d.verdict == Verdict::InForce && !d.legacy),
            };
        }
        let reasons = |v: Verdict| {
            let mut out: Vec<String> = Vec::new();
            for (fw, d) in decided.iter().filter(|(_, d)| d.verdict == v) {
                let r = format!("{}: {}", name(fw), d.reason);
                if !out.contains(&r) {
                    out.push(r);
                }
            }
            out.join("; ")
        };
        if decided.iter().any(|(_, d)| d.verdict == Verdict::Undecided) {
            return ControlLaw {
                verdict: Verdict::Undecided,
                date: None,
                reason: Some(reasons(Verdict::Undecided)),
                blocking: true,
            };
        }
        let upcoming = decided
            .iter()
            .filter(|(_, d)| d.verdict == Verdict::Upcoming)
            .min_by_key(|(_, d)| (d.date.is_none(), d.date));
        if let Some((fw, d)) = upcoming {
            return ControlLaw {
                verdict: Verdict::Upcoming,
                date: d.date,
                reason: Some(format!("{}: {}", name(fw), d.reason)),
                blocking: false,
            };
        }
        ControlLaw {
            verdict: Verdict::NotApplicable,
            date: None,
            reason: Some(reasons(Verdict::NotApplicable)),
            blocking: false,
        }
    }

    fn decide_profile(&self, p: &Profile, facts: &Facts, as_of: Date) -> Decision {
        let fw = self.frameworks.get(&p.framework);
        let mut d = self.decide_inner(p, fw, facts, as_of);
        if d.verdict == Verdict::InForce
            && let Some((by, on)) = fw.and_then(|f| f.superseded.as_ref())
            && *on <= as_of
        {
            d.legacy = self.legacy(&p.framework, as_of);
            let by = self
                .frameworks
                .get(by)
                .map_or_else(|| by.clone(), |f| f.name.clone());
            d.reason = format!(
                "superseded by {by} on {on}; {}",
                if d.legacy {
                    "shown for reference, its gaps do not block"
                } else {
                    "its gaps still block ([frameworks] legacy in mrm.toml)"
                }
            );
        }
        d
    }

    fn decide_inner(
        &self,
        p: &Profile,
        fw: Option<&FrameworkLaw>,
        facts: &Facts,
        as_of: Date,
    ) -> Decision {
        use Verdict::*;
        if let Some(act) = &p.deleted_by {
            return Decision::new(NotApplicable, None, format!("deleted by {act}"));
        }
        // The framework's own scope.
        for rule in fw.map_or(&[][..], |f| f.scope_rules.as_slice()) {
            if let Some(reason) = self.scope_rule(rule, &p.framework, fw, facts) {
                return Decision::new(NotApplicable, None, reason);
            }
        }
        let operators: Vec<&String> = p
            .binds
            .iter()
            .filter(|a| !FIRM_ACTORS.contains(&a.as_str()))
            .collect();
        let eu = !operators.is_empty() || p.reaches.iter().any(|r| r != "any");
        if eu && facts.ai_system == Some(false) {
            return Decision::new(
                NotApplicable,
                None,
                format!(
                    "not an AI system under Art 3(1) (screening{})",
                    facts
                        .screened
                        .map(|d| format!(" of {d}"))
                        .unwrap_or_default()
                ),
            );
        }
        // Whom it binds.
        let mut unknown: Vec<String> = Vec::new();
        let mut role_note = None;
        if p.binds.is_empty() {
            return Decision::new(
                NotApplicable,
                None,
                "binds no one itself: it sets dates or rules for other provisions",
            );
        }
        if !p.binds.iter().any(|a| FIRM_ACTORS.contains(&a.as_str())) {
            if p.binds.iter().all(|a| a == "commission") {
                return Decision::new(
                    NotApplicable,
                    None,
                    "a duty of the Commission or the AI Office, not of the firm",
                );
            }
            match facts.effective_roles() {
                Some(roles) => {
                    let held: Vec<&String> = roles.iter().filter(|r| p.binds.contains(r)).collect();
                    if held.is_empty() {
                        return Decision::new(
                            NotApplicable,
                            None,
                            format!(
                                "binds the {}; the firm is the {} of this system (`{}`)",
                                join_or(&p.binds),
                                join_and(&roles),
                                path::ROLES
                            ),
                        );
                    }
                    if let Some(by) = &facts.provider_by
                        && held.iter().any(|r| *r == "provider")
                        && !facts
                            .roles
                            .as_ref()
                            .is_some_and(|r| r.iter().any(|x| x == "provider"))
                    {
                        role_note = Some(format!("the firm is the provider under Art {by}"));
                    }
                }
                None => {
                    let covers_both = p.binds.iter().any(|a| a == "provider")
                        && p.binds.iter().any(|a| a == "deployer");
                    if !covers_both {
                        unknown.push(format!(
                            "the firm's role for this system is not recorded (`{}`)",
                            path::ROLES
                        ));
                    }
                }
            }
        }
        // Which systems it reaches, and through which route.
        let reach = reach(p, facts);
        let routes: Vec<Route> = match reach {
            Reach::No(reason) => return Decision::new(NotApplicable, None, reason),
            Reach::Yes(routes) => routes,
            Reach::Unknown(reason, routes) => {
                unknown.push(reason);
                routes
            }
        };
        // The date for the earliest route that reaches the system.
        let mut candidates: Vec<(Date, String, Route)> = routes
            .iter()
            .map(|r| {
                let (date, cite) = match r {
                    Route::AnnexIii => p.from_annex_iii.clone(),
                    Route::AnnexI => p.from_annex_i.clone(),
                    Route::Other => None,
                }
                .unwrap_or_else(|| (p.applies_from, p.cite.clone()));
                (date, cite, *r)
            })
            .collect();
        candidates.sort();
        let Some((mut date, cite, route)) = candidates.into_iter().next() else {
            return Decision::new(NotApplicable, None, "reaches no system of this kind");
        };
        let mut basis = match route {
            Route::AnnexIii => {
                format!("applies to Annex III high-risk systems from {date} ({cite}")
            }
            Route::AnnexI => format!("applies to Annex I high-risk systems from {date} ({cite}"),
            Route::Other => format!("applies from {date} ({cite}"),
        };
        if p.route_derived && route != Route::Other {
            basis.push_str("; derived: the duty binds once the Art 6 classification does");
        }
        basis.push(')');
        if !unknown.is_empty() {
            return pending(date, as_of, &basis, &unknown);
        }
        // Transitional rules.
        for t in &p.transitional {
            let Some(rule) = fw.and_then(|f| f.transitional.get(t)) else {
                continue;
            };
            match transitional(rule, route, facts, date, as_of) {
                Transition::None => {}
                Transition::From(d, why) => {
                    date = d;
                    basis = why;
                }
                Transition::NotApplicable(why) => return Decision::new(NotApplicable, None, why),
                Transition::Unknown(why) => return pending(date, as_of, &basis, &[why]),
            }
        }
        if let Some(note) = role_note {
            basis = format!("{basis}; {note}");
        }
        if date > as_of {
            return Decision::new(Upcoming, Some(date), basis);
        }
        // When over the system's life it attaches.
        let status = facts.status.as_deref().unwrap_or("unknown");
        match p.lifecycle.as_deref() {
            Some("in-service") if facts.retired() => {
                return Decision::new(
                    NotApplicable,
                    None,
                    format!(
                        "applies while the system is in service; it is withdrawn (`{}` = {status})",
                        path::STATUS
                    ),
                );
            }
            Some(l @ ("placing" | "in-service" | "retention")) if !facts.placed_by(as_of) => {
                let when = if l == "placing" {
                    "due when the system is placed on the market or put into service"
                } else {
                    "applies once the system is placed on the market or put into service"
                };
                return Decision::new(
                    Upcoming,
                    None,
                    format!("{when}; it is not yet (`{}` = {status})", path::STATUS),
                );
            }
            _ => {}
        }
        let basis = basis
            .replacen("applies to", "in force for", 1)
            .replacen(" from ", " since ", 1)
            .replacen("applies since", "in force since", 1);
        Decision::new(InForce, Some(date), basis)
    }

    fn scope_rule(
        &self,
        rule: &ScopeRule,
        framework: &str,
        fw: Option<&FrameworkLaw>,
        facts: &Facts,
    ) -> Option<String> {
        let name = fw.map_or("", |f| f.name.as_str());
        match rule.rule.as_str() {
            "exclude-kinds" => {
                let kind = facts
                    .kinds
                    .iter()
                    .find(|k| rule.kinds.iter().any(|r| r == *k))?;
                let from = match *kind {
                    "generative" => format!("`{}` or `{}`", path::GENERATES, path::TYPE),
                    "agentic" => format!("`{}` or `{}`", path::AGENTIC, path::TYPE),
                    _ => format!("`{}`", path::TYPE),
                };
                Some(format!(
                    "{name} {}: {}; the model is {kind} ({from})",
                    rule.legal_basis,
                    lower_first(&rule.title)
                ))
            }
            "firm-threshold" => {
                let threshold = rule.threshold_usd? as f64;
                let assets = self.settings.total_assets_usd?;
                let opted_in = self
                    .settings
                    .apply_below_threshold
                    .iter()
                    .any(|x| x == framework);
                (assets <= threshold && !opted_in).then(|| {
                    format!(
                        "{name} {}: the firm's total assets (USD {}) do not exceed USD {}, so the \
                         guidance is left to the firm's tailoring (`[firm] total_assets_usd`; list \
                         it in `[frameworks] apply_below_threshold` to apply it)",
                        rule.legal_basis,
                        usd(assets),
                        usd(threshold)
                    )
                })
            }
            _ => None,
        }
    }
}

fn usd(n: f64) -> String {
    if n >= 1e9 {
        format!(
            "{}bn",
            crate::value::format_number((n / 1e8).round() / 10.0)
        )
    } else {
        crate::value::format_number(n)
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn join_with(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} {word} {last}", rest.join(", ")),
    }
}

fn join_or(items: &[String]) -> String {
    join_with(items, "or")
}

fn join_and(items: &[String]) -> String {
    join_with(items, "and")
}

/// A decision that waits on a missing fact: upcoming while its date is ahead, undecided once it
/// is not.
fn pending(date: Date, as_of: Date, basis: &str, unknown: &[String]) -> Decision {
    if date > as_of {
        Decision::new(
            Verdict::Upcoming,
            Some(date),
            format!("{basis}, if it reaches this system: {}", unknown.join("; ")),
        )
    } else {
        Decision::new(Verdict::Undecided, None, unknown.join("; "))
    }
}

/// The way a clause reaches a system, for the date that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    AnnexIii,
    AnnexI,
    Other,
}

enum Reach {
    Yes(Vec<Route>),
    No(String),
    /// Not known; the routes it would come through.
    Unknown(String, Vec<Route>),
}

/// Whether an Annex III `point` is within `patterns` (a point, or an area standing for its points).
fn point_in(point: &str, patterns: &[String]) -> bool {
    patterns
        .iter()
        .any(|p| point == p || point.starts_with(&format!("{p}(")))
}

fn reach(p: &Profile, facts: &Facts) -> Reach {
    let mut yes: Vec<Route> = Vec::new();
    let mut unknown: Option<String> = None;
    let mut unknown_routes: Vec<Route> = Vec::new();
    let mut no: Vec<String> = Vec::new();
    let mut art50_not: Vec<&str> = Vec::new();
    let mut art50_facts: Vec<&str> = Vec::new();
    let screening = facts
        .screened
        .map(|d| format!("the screening of {d}"))
        .unwrap_or_else(|| "the screening".to_string());
    let annex_iii = p.reaches.iter().any(|r| r == "annex-iii");
    let derogation = p.reaches.iter().any(|r| r == "annex-iii-derogation");
    if annex_iii || derogation {
        match &facts.annex_iii {
            AnnexIii::Unknown => {
                unknown.get_or_insert_with(|| {
                    format!("no Annex III screening is recorded (`{}`)", path::ANNEX_III)
                });
                unknown_routes.push(Route::AnnexIii);
            }
            AnnexIii::Invalid(why) => {
                unknown.get_or_insert_with(|| why.clone());
                unknown_routes.push(Route::AnnexIii);
            }
            AnnexIii::NotListed => no.push(format!("{screening} found no Annex III use")),
            AnnexIii::Point(point) => {
                let derogated = facts.derogation.as_deref();
                if !p.only_points.is_empty() && !point_in(point, &p.only_points) {
                    no.push(format!(
                        "reaches Annex III {} systems only; this one is Annex III {point}",
                        join_or(&p.only_points)
                    ));
                } else if point_in(point, &p.except_points) {
                    no.push(format!(
                        "leaves out Annex III {} systems; this one is Annex III {point}",
                        join_or(&p.except_points)
                    ));
                } else {
                    match (derogated, annex_iii, derogation) {
                        (None, true, _) | (Some(_), _, true) => yes.push(Route::AnnexIii),
                        (Some(d), _, false) => no.push(format!(
                            "the Annex III {point} system is not high-risk: it relies on the Art {d} derogation"
                        )),
                        (None, false, _) => no.push(format!(
                            "reaches Annex III systems that rely on the Art 6(3) derogation; this Annex III {point} system does not"
                        )),
                    }
                }
            }
        }
    }
    for category in &p.reaches {
        match category.as_str() {
            "any" | "ai-system" => yes.push(Route::Other),
            "annex-iii" | "annex-iii-derogation" => {}
            "annex-i" => match facts.screened_answer(facts.annex_i) {
                Some(true) => yes.push(Route::AnnexI),
                Some(false) => no.push(format!("{screening} found no Annex I product")),
                None => {
                    unknown.get_or_insert_with(|| {
                        format!("no Annex I screening is recorded (`{}`)", path::ANNEX_I)
                    });
                    unknown_routes.push(Route::AnnexI);
                }
            },
            c => {
                let (value, what, fact) = match c {
                    "interaction" => (
                        facts.interacts,
                        "interact directly with people",
                        path::INTERACTS,
                    ),
                    "synthetic-content" => (
                        facts.generates,
                        "generate synthetic audio, image, video or text",
                        path::GENERATES,
                    ),
                    "emotion-biometric" => (
                        facts.emotion,
                        "recognise emotions or categorise people biometrically",
                        path::EMOTION,
                    ),
                    "deep-fake" => (
                        facts.deep_fake,
                        "produce deep fakes or public-interest text",
                        path::DEEP_FAKE,
                    ),
                    _ => (None, "are of an unknown category", ""),
                };
                match facts.screened_answer(value) {
                    Some(true) => yes.push(Route::Other),
                    Some(false) => {
                        art50_not.push(what);
                        art50_facts.push(fact);
                    }
                    None => {
                        unknown.get_or_insert_with(|| {
                            format!("the screening does not record whether it does (`{fact}`)")
                        });
                        unknown_routes.push(Route::Other);
                    }
                }
            }
        }
    }
    if !art50_not.is_empty() {
        let what: Vec<String> = art50_not.iter().map(|s| s.to_string()).collect();
        let facts_list: Vec<String> = art50_facts.iter().map(|f| format!("`{f}`")).collect();
        no.push(format!(
            "reaches systems that {}; {screening} records that this one does not ({})",
            join_or(&what),
            facts_list.join(", ")
        ));
    }
    if !yes.is_empty() {
        yes.sort();
        yes.dedup();
        return Reach::Yes(yes);
    }
    if let Some(u) = unknown {
        unknown_routes.sort();
        unknown_routes.dedup();
        return Reach::Unknown(u, unknown_routes);
    }
    no.dedup();
    Reach::No(if no.is_empty() {
        "reaches no system of this kind".to_string()
    } else {
        no.join("; ")
    })
}

enum Transition {
    None,
    From(Date, String),
    NotApplicable(String),
    Unknown(String),
}

fn transitional(
    rule: &Transitional,
    route: Route,
    facts: &Facts,
    date: Date,
    as_of: Date,
) -> Transition {
    let basis = &rule.legal_basis;
    let short = basis.split(',').next().unwrap_or(basis).trim();
    match rule.rule.as_str() {
        "legacy-high-risk" => {
            let key = match route {
                Route::AnnexIii => "cutoff_annex_iii",
                Route::AnnexI => "cutoff_annex_i",
                Route::Other => return Transition::None,
            };
            let Some((cutoff, _)) = rule.dates.get(key) else {
                return Transition::None;
            };
            let cutoff = *cutoff;
            let placed = match facts.placed {
                Some(p) => p,
                None if facts.in_use_status() => {
                    return Transition::Unknown(format!(
                        "{short} cannot be decided: the system is in use but `{}` is not recorded",
                        path::PLACED
                    ));
                }
                // Not yet placed: it will be placed after the cut-off, or the rule will say so
                // once the date is recorded.
                None => return Transition::None,
            };
            if placed >= cutoff {
                return Transition::None;
            }
            let public = facts.public_authority == Some(true);
            let deadline = rule.dates.get("deadline_public_authority").map(|(d, _)| *d);
            match facts.significant_change {
                Some(c) if c >= cutoff => {
                    let from = date.max(c);
                    let from = match (public, deadline) {
                        (true, Some(dl)) => from.min(dl.max(date)),
                        _ => from,
                    };
                    let why = if c > as_of {
                        format!(
                            "{short}: placed on the market {placed}, before {cutoff}; applies from the significant change in design planned for {c}"
                        )
                    } else {
                        format!(
                            "{short}: placed on the market {placed}, before {cutoff}; applies since the significant change in design of {c}"
                        )
                    };
                    Transition::From(from, why)
                }
                change => {
                    if let (true, Some(dl)) = (public, deadline) {
                        return Transition::From(
                            dl.max(date),
                            format!(
                                "{short}: placed on the market {placed}, before {cutoff}; intended for public authorities, so it applies from {dl}"
                            ),
                        );
                    }
                    Transition::NotApplicable(match change {
                        Some(c) => format!(
                            "{short}: placed on the market {placed}, before {cutoff}; its last significant change in design ({c}) predates that date"
                        ),
                        None => format!(
                            "{short}: placed on the market {placed}, before {cutoff}, with no significant change in design since"
                        ),
                    })
                }
            }
        }
        "legacy-generative" => {
            let (Some((cutoff, _)), Some((from, cite))) =
                (rule.dates.get("cutoff"), rule.dates.get("applies_from"))
            else {
                return Transition::None;
            };
            match facts.placed {
                Some(p) if p < *cutoff => Transition::From(
                    date.max(*from),
                    format!(
                        "{cite}: placed on the market {p}, before {cutoff}, so it applies from {from}"
                    ),
                ),
                _ => Transition::None,
            }
        }
        _ => Transition::None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn law() -> Law {
        let (c, d) = Catalogs::embedded();
        assert!(d.is_empty(), "{d:?}");
        Law::new(&c, &Settings::default())
    }

    fn facts(toml: &str, law: &Law) -> Facts {
        let src = crate::source::SourceFile::new("model.toml", toml);
        let v: Value = crate::repo::parse_metadata(&src).unwrap().0;
        let f = Facts::read(&v, law.annex_iii_points());
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        f
    }

    fn decide(law: &Law, f: &Facts, as_of: &str, fw: &str, clause: &str) -> Decision {
        let m = law.decide(f, as_of.parse().unwrap());
        m.clause(law, fw, clause).unwrap().clone()
    }

    const CREDIT: &str = "[model]\nstatus = \"production\"\n[eu_ai_act]\nscreened = 2026-01-10\nannex_iii = \"5(b)\"\nroles = [\"provider\", \"deployer\"]\nplaced_on_market = 2024-03-01\n";

    #[test]
    fn art_111_2_exempts_legacy_annex_iii_systems_until_a_significant_change() {
        let law = law();
        let f = facts(CREDIT, &law);
        let d = decide(&law, &f, "2028-01-15", "eu-ai-act", "Art 9(1)");
        assert_eq!(d.verdict, Verdict::NotApplicable);
        assert_eq!(
            d.reason,
            "Art 111(2): placed on the market 2024-03-01, before 2027-12-02, with no significant change in design since"
        );
        let changed = facts(&format!("{CREDIT}significant_change = 2028-03-01\n"), &law);
        let before = decide(&law, &changed, "2028-01-15", "eu-ai-act", "Art 9(1)");
        assert_eq!(
            (before.verdict, before.date.map(|d| d.to_string())),
            (Verdict::Upcoming, Some("2028-03-01".into()))
        );
        let after = decide(&law, &changed, "2028-03-01", "eu-ai-act", "Art 9(1)");
        assert_eq!(after.verdict, Verdict::InForce, "{}", after.reason);
    }

    #[test]
    fn roles_route_and_lifecycle_decide_with_a_reason() {
        let law = law();
        let deployer = facts(
            "[model]\nstatus = \"validation\"\n[eu_ai_act]\nscreened = 2026-01-10\nannex_iii = \"4(a)\"\nroles = [\"deployer\"]\n",
            &law,
        );
        let d = decide(&law, &deployer, "2028-01-15", "eu-ai-act", "Art 19(1)");
        assert_eq!(d.verdict, Verdict::NotApplicable);
        assert!(
            d.reason
                .starts_with("binds the provider; the firm is the deployer"),
            "{}",
            d.reason
        );
        let d = decide(&law, &deployer, "2026-11-27", "eu-ai-act", "Art 26(2)");
        assert_eq!(d.verdict, Verdict::Upcoming);
        assert_eq!(d.date.map(|d| d.to_string()).as_deref(), Some("2027-12-02"));
        // In validation: the post-market duty waits for placing on the market.
        let d = decide(&law, &deployer, "2028-01-15", "eu-ai-act", "Art 26(5)");
        assert_eq!(
            (d.verdict, d.date),
            (Verdict::Upcoming, None),
            "{}",
            d.reason
        );
        // Art 27(1) reaches 5(b) and 5(c) systems only.
        let d = decide(&law, &deployer, "2028-01-15", "eu-ai-act", "Art 27(1)");
        assert_eq!(d.verdict, Verdict::NotApplicable, "{}", d.reason);
        // No screening: upcoming while the route date is ahead, undecided after.
        let none = facts("[model]\nstatus = \"development\"\n", &law);
        assert_eq!(
            decide(&law, &none, "2026-11-27", "eu-ai-act", "Art 9(1)").verdict,
            Verdict::Upcoming
        );
        assert_eq!(
            decide(&law, &none, "2028-09-01", "eu-ai-act", "Art 9(1)").verdict,
            Verdict::Undecided
        );
    }

    #[test]
    fn sr_26_2_leaves_out_generative_models_and_sr_11_7_is_legacy() {
        let law = law();
        let llm = facts("[model]\ntype = \"llm\"\n", &law);
        let d = decide(&law, &llm, "2026-11-27", "sr-26-2", "V.1");
        assert_eq!(d.verdict, Verdict::NotApplicable);
        assert!(d.reason.contains("FN3"), "{}", d.reason);
        let d = decide(&law, &llm, "2026-11-27", "sr-11-7", "V.1");
        assert_eq!(
            (d.verdict, d.legacy),
            (Verdict::InForce, true),
            "{}",
            d.reason
        );
        let d = decide(&law, &llm, "2026-04-16", "sr-11-7", "V.1");
        assert!(!d.legacy);
    }
}
