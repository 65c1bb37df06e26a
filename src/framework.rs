//! Framework catalogs: SR 11-7, SR 26-2, the EU AI Act, NIST AI RMF, ISO/IEC 42001 and any
//! catalog a user adds.
//!
//! A catalog is a TOML file (`frameworks/*.toml`) with a `[framework]` table, `[[clause]]`
//! entries forming a hierarchy, and optional `[[application_date]]` entries that say from when a
//! clause binds. Clauses also say whom they bind and which systems they reach, and the catalog may
//! hold the transitional rules (`[[transitional]]`) and scope rules (`[[scope_rule]]`) that decide
//! whether they apply to a given model; [`crate::applicability`] evaluates them. Crosswalks
//! between frameworks live in `crosswalks.toml`. This module loads, checks and indexes them; it
//! does not know about policies. The shipped catalogs are embedded in the binary.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{Location, SourceFile};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FrameworkMeta {
    pub id: String,
    pub name: String,
    pub title: String,
    pub version: String,
    pub publisher: String,
    pub source: String,
    pub source_checked: String,
    pub status: String,
    #[serde(deserialize_with = "crate::value::serde_date::deserialize")]
    pub effective: Date,
    #[serde(default)]
    pub superseded_by: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::value::serde_date::option::deserialize"
    )]
    pub superseded_on: Option<Date>,
    #[serde(default)]
    pub status_verified: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ApplicationDate {
    pub id: String,
    #[serde(deserialize_with = "crate::value::serde_date::deserialize")]
    pub date: Date,
    /// A short citation (`Art 113(3)(c)(i)`) for the reasons the engine gives.
    #[serde(default)]
    pub cite: String,
    #[serde(default)]
    pub applies: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub verified: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Clause {
    pub id: String,
    #[serde(default)]
    pub parent: Option<String>,
    pub title: String,
    pub kind: String,
    #[serde(default)]
    pub title_kind: String,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub applies_from: Option<String>,
    #[serde(default)]
    pub coverage_target: bool,
    /// Whom the clause binds (`provider`, `deployer`, `firm`, ...); `None`: as its parent, and at
    /// the top the framework's whole audience (any actor).
    #[serde(default)]
    pub binds: Option<Vec<String>>,
    /// Which systems it reaches (`any`, `ai-system`, `annex-iii`, ...); `None`: as its parent, and
    /// at the top any system.
    #[serde(default)]
    pub reaches: Option<Vec<String>>,
    /// The `[[application_date]]` from which it applies to Annex III (resp. Annex I) high-risk
    /// systems, when that differs by route.
    #[serde(default)]
    pub from_annex_iii: Option<String>,
    #[serde(default)]
    pub from_annex_i: Option<String>,
    /// Whether the route dates are stated in the text (`true`) or derived (`false`).
    #[serde(default)]
    pub route_verified: Option<bool>,
    #[serde(default)]
    pub route_basis: Option<String>,
    /// Annex III points (or areas) the clause is limited to, or leaves out.
    #[serde(default)]
    pub only_points: Vec<String>,
    #[serde(default)]
    pub except_points: Vec<String>,
    /// Ids of `[[transitional]]` rules that govern it.
    #[serde(default)]
    pub transitional: Vec<String>,
    /// When over the system's life the duty attaches: `placing`, `in-service`, `retention`.
    #[serde(default)]
    pub lifecycle: Option<String>,
    /// The act that deleted the provision; a deleted provision never applies.
    #[serde(default)]
    pub deleted_by: Option<String>,
}

/// A transitional rule of a catalog (EU AI Act Art 111): which rule kind it is and its dates, as
/// ids of `[[application_date]]` entries.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Transitional {
    pub id: String,
    pub rule: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub cutoff_annex_iii: Option<String>,
    #[serde(default)]
    pub cutoff_annex_i: Option<String>,
    #[serde(default)]
    pub deadline_public_authority: Option<String>,
    #[serde(default)]
    pub cutoff: Option<String>,
    #[serde(default)]
    pub applies_from: Option<String>,
    #[serde(default)]
    pub effect: String,
}

/// A scope rule of a catalog (SR 26-2): which models or firms the whole framework reaches.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ScopeRule {
    pub id: String,
    pub rule: String,
    #[serde(default)]
    pub title: String,
    /// The clause of the catalog that states the rule.
    #[serde(default)]
    pub legal_basis: String,
    /// `exclude-kinds`: the model kinds left out.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// `firm-threshold`: the total assets (USD) above which the framework applies in full.
    #[serde(default)]
    pub threshold_usd: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct CatalogFile {
    framework: FrameworkMeta,
    #[serde(default)]
    application_date: Vec<ApplicationDate>,
    #[serde(default)]
    clause: Vec<Clause>,
    #[serde(default)]
    transitional: Vec<Transitional>,
    #[serde(default)]
    scope_rule: Vec<ScopeRule>,
}

/// One framework, indexed.
#[derive(Debug, Clone)]
pub struct Framework {
    pub meta: FrameworkMeta,
    pub application_dates: Vec<ApplicationDate>,
    pub transitional: Vec<Transitional>,
    pub scope_rules: Vec<ScopeRule>,
    /// Clauses in catalog order.
    pub clauses: Vec<Clause>,
    index: BTreeMap<String, usize>,
    /// The file the catalog was read from.
    pub file: String,
}

impl Framework {
    pub fn id(&self) -> &str {
        &self.meta.id
    }

    pub fn clause(&self, id: &str) -> Option<&Clause> {
        self.index.get(id).and_then(|&i| self.clauses.get(i))
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// The date from which a clause binds: its own `applies_from`, else its nearest ancestor's,
    /// else the framework's effective date.
    pub fn applies_from(&self, clause_id: &str) -> Date {
        let mut cur = self.clause(clause_id);
        let mut guard = 0;
        while let Some(c) = cur {
            if let Some(app) = &c.applies_from
                && let Some(d) = self.application_dates.iter().find(|a| &a.id == app)
            {
                return d.date;
            }
            guard += 1;
            if guard > 64 {
                break;
            }
            cur = c.parent.as_deref().and_then(|p| self.clause(p));
        }
        self.meta.effective
    }

    /// Whether a clause binds at `as_of` by its catalog date alone. Whether it applies to a given
    /// model (role, route, transitional rules, lifecycle) is [`crate::applicability`]'s decision.
    pub fn in_force(&self, clause_id: &str, as_of: Date) -> bool {
        self.applies_from(clause_id) <= as_of
    }

    /// An application date by id.
    pub fn application_date(&self, id: &str) -> Option<&ApplicationDate> {
        self.application_dates.iter().find(|a| a.id == id)
    }

    /// A transitional rule by id.
    pub fn transitional_rule(&self, id: &str) -> Option<&Transitional> {
        self.transitional.iter().find(|t| t.id == id)
    }

    /// The clause itself and its ancestors, nearest first.
    pub fn lineage<'a>(&'a self, id: &str) -> Vec<&'a Clause> {
        let mut out: Vec<&Clause> = self.clause(id).into_iter().collect();
        out.extend(self.ancestors(id));
        out
    }

    /// A clause's first own-or-inherited value of `field`.
    pub fn inherited<'a, T>(
        &'a self,
        id: &str,
        field: impl Fn(&'a Clause) -> Option<T>,
    ) -> Option<T> {
        self.lineage(id).into_iter().find_map(field)
    }

    /// Whether the framework has been superseded at `as_of`.
    pub fn superseded_at(&self, as_of: Date) -> bool {
        self.meta.superseded_by.is_some() && self.meta.superseded_on.is_some_and(|d| d <= as_of)
    }

    /// Clause ids similar to `id`, for "did you mean".
    pub fn clause_ids(&self) -> impl Iterator<Item = &str> {
        self.clauses.iter().map(|c| c.id.as_str())
    }

    /// Children of a clause (or top-level clauses for `None`), in catalog order.
    pub fn children<'a>(
        &'a self,
        parent: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Clause> + 'a {
        self.clauses
            .iter()
            .filter(move |c| c.parent.as_deref() == parent)
    }

    /// Ancestors of a clause, nearest first.
    pub fn ancestors(&self, id: &str) -> Vec<&Clause> {
        let mut out = Vec::new();
        let mut cur = self.clause(id).and_then(|c| c.parent.as_deref());
        while let Some(p) = cur {
            let Some(c) = self.clause(p) else { break };
            if out.len() > 64 {
                break;
            }
            out.push(c);
            cur = c.parent.as_deref();
        }
        out
    }
}

/// A crosswalk between two frameworks.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Crosswalk {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub provider: String,
    pub from_framework: String,
    pub to_framework: String,
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CrosswalkMapping {
    pub crosswalk: String,
    pub from: String,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub relation: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CrosswalkFile {
    #[serde(default)]
    crosswalk: Vec<Crosswalk>,
    #[serde(default)]
    mapping: Vec<CrosswalkMapping>,
}

/// Every loaded framework, by id.
#[derive(Debug, Clone, Default)]
pub struct Catalogs {
    pub frameworks: BTreeMap<String, Framework>,
    pub crosswalks: Vec<Crosswalk>,
    pub mappings: Vec<CrosswalkMapping>,
    /// Raw sources, for packs and digests: (name, text).
    pub sources: Vec<(String, String)>,
}

impl Catalogs {
    /// The embedded catalogs. Diagnostics here mean the shipped data is broken.
    pub fn embedded() -> (Catalogs, Vec<Diagnostic>) {
        let files: Vec<SourceFile> = crate::library::FRAMEWORKS
            .iter()
            .map(|(name, text)| SourceFile::new(*name, *text))
            .collect();
        load(&files)
    }

    pub fn get(&self, id: &str) -> Option<&Framework> {
        self.frameworks.get(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.frameworks.keys().map(String::as_str)
    }
}

fn toml_diagnostic(code: Code, file: &SourceFile, err: &toml::de::Error) -> Diagnostic {
    let location = match err.span() {
        Some(r) => file.locate(r.start, r.end),
        None => Location::file(file.name.to_string()),
    };
    let message = err
        .message()
        .lines()
        .next()
        .unwrap_or("invalid TOML")
        .to_string();
    Diagnostic::new(code, message.trim_end_matches('.').to_string()).at(location, "here")
}

/// Loads catalogs (files named `crosswalks.toml` are read as crosswalks).
pub fn load(files: &[SourceFile]) -> (Catalogs, Vec<Diagnostic>) {
    let mut catalogs = Catalogs::default();
    let mut diagnostics = Vec::new();
    for file in files {
        catalogs
            .sources
            .push((file.name.to_string(), file.text.to_string()));
        if file.name.ends_with("crosswalks.toml") {
            match toml::from_str::<CrosswalkFile>(&file.text) {
                Ok(cw) => {
                    catalogs.crosswalks.extend(cw.crosswalk);
                    catalogs.mappings.extend(cw.mapping);
                }
                Err(e) => diagnostics.push(toml_diagnostic(Code::CatalogInvalid, file, &e)),
            }
            continue;
        }
        let parsed: CatalogFile = match toml::from_str(&file.text) {
            Ok(c) => c,
            Err(e) => {
                diagnostics.push(toml_diagnostic(Code::CatalogInvalid, file, &e));
                continue;
            }
        };
        let mut index = BTreeMap::new();
        for (i, c) in parsed.clause.iter().enumerate() {
            if index.insert(c.id.clone(), i).is_some() {
                diagnostics.push(
                    Diagnostic::new(
                        Code::CatalogDuplicate,
                        format!("clause `{}` is declared twice", c.id),
                    )
                    .at(Location::file(file.name.to_string()), ""),
                );
            }
        }
        for c in &parsed.clause {
            if let Some(p) = &c.parent
                && !index.contains_key(p)
            {
                diagnostics.push(
                    Diagnostic::new(
                        Code::CatalogUnknownParent,
                        format!("clause `{}` names unknown parent `{p}`", c.id),
                    )
                    .at(Location::file(file.name.to_string()), ""),
                );
            }
        }
        let fw = Framework {
            meta: parsed.framework,
            application_dates: parsed.application_date,
            transitional: parsed.transitional,
            scope_rules: parsed.scope_rule,
            clauses: parsed.clause,
            index,
            file: file.name.to_string(),
        };
        diagnostics.extend(crate::applicability::check_catalog(&fw));
        catalogs.frameworks.insert(fw.meta.id.clone(), fw);
    }
    (catalogs, diagnostics)
}
