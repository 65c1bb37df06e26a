//! The facts about a model that the law's application depends on, read from its metadata.
//!
//! The paths are part of the metadata contract (`policies/schema.mrm`, "EU AI Act: the screening
//! and the facts the Act's application depends on"). A fact that is present but invalid (an Annex
//! III point that does not exist, an unknown role, a date that is not a date) is recorded as a
//! problem: the decisions that depend on it are undecided, never guessed.

use jiff::civil::Date;

use crate::value::Value;

/// Metadata paths of the facts.
pub mod path {
    pub const SCREENED: &str = "eu_ai_act.screened";
    pub const AI_SYSTEM: &str = "eu_ai_act.ai_system";
    pub const ANNEX_III: &str = "eu_ai_act.annex_iii";
    pub const ANNEX_I: &str = "eu_ai_act.annex_i";
    pub const DEROGATION: &str = "eu_ai_act.derogation";
    pub const PROFILING: &str = "eu_ai_act.profiling";
    pub const ROLES: &str = "eu_ai_act.roles";
    pub const PROVIDER_BY: &str = "eu_ai_act.provider_by";
    pub const PLACED: &str = "eu_ai_act.placed_on_market";
    pub const SIGNIFICANT_CHANGE: &str = "eu_ai_act.significant_change";
    pub const PUBLIC_AUTHORITY: &str = "eu_ai_act.public_authority";
    pub const INTERACTS: &str = "eu_ai_act.interacts_with_persons";
    pub const GENERATES: &str = "eu_ai_act.generates_content";
    pub const EMOTION: &str = "eu_ai_act.emotion_recognition";
    pub const DEEP_FAKE: &str = "eu_ai_act.deep_fake";
    pub const STATUS: &str = "model.status";
    pub const TYPE: &str = "model.type";
    pub const AGENTIC: &str = "model.agentic";
}

/// The value of `eu_ai_act.annex_iii` that records a screening that found no Annex III use.
pub const NOT_LISTED: &str = "not-listed";

/// The Art 6(3) conditions a derogation may rely on.
pub const DEROGATIONS: [&str; 4] = ["6(3)(a)", "6(3)(b)", "6(3)(c)", "6(3)(d)"];

/// The Art 25(1) points that make a deployer, importer or distributor the provider.
pub const PROVIDER_BY: [&str; 3] = ["25(1)(a)", "25(1)(b)", "25(1)(c)"];

/// Roles the firm may hold for a system (`eu_ai_act.roles`).
pub const ROLES: [&str; 5] = [
    "provider",
    "deployer",
    "importer",
    "distributor",
    "authorised-representative",
];

/// The model's Annex III classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnnexIii {
    /// Not recorded: the system has not been screened.
    Unknown,
    /// Screened: no Annex III use.
    NotListed,
    /// The point (`5(b)`, `2`), checked against the catalog by the caller.
    Point(String),
    /// Recorded, but not a point of Annex III: the sentence that says so.
    Invalid(String),
}

/// The facts of one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub screened: Option<Date>,
    pub ai_system: Option<bool>,
    pub annex_iii: AnnexIii,
    pub annex_i: Option<bool>,
    pub derogation: Option<String>,
    /// The roles recorded, in recorded order; `None` when not recorded.
    pub roles: Option<Vec<String>>,
    pub provider_by: Option<String>,
    pub placed: Option<Date>,
    pub significant_change: Option<Date>,
    pub public_authority: Option<bool>,
    pub status: Option<String>,
    pub interacts: Option<bool>,
    pub generates: Option<bool>,
    pub emotion: Option<bool>,
    pub deep_fake: Option<bool>,
    /// Model kinds the US guidance distinguishes: `generative`, `agentic`, `calculation`, `rules`.
    pub kinds: Vec<&'static str>,
    /// Facts present but invalid: the path and a sentence naming it.
    pub problems: Vec<(&'static str, String)>,
}

fn date(v: &Value) -> Option<Option<Date>> {
    match v {
        Value::None => Some(None),
        Value::Date(d) => Some(Some(*d)),
        Value::String(s) => s.parse::<Date>().ok().map(Some),
        _ => None,
    }
}

impl Facts {
    /// Reads the facts from a model's metadata. `annex_iii_points` are the points the catalog
    /// knows (`1(a)`, `2`, ...); `None` skips the check (no EU catalog loaded).
    pub fn read(value: &Value, annex_iii_points: Option<&[String]>) -> Facts {
        let mut problems = Vec::new();
        let get = |p: &str| value.path(p).unwrap_or(&Value::None);
        let boolean = |p: &'static str, problems: &mut Vec<(&'static str, String)>| match get(p) {
            Value::None => None,
            Value::Bool(b) => Some(*b),
            other => {
                problems.push((
                    p,
                    format!("`{p}` is {}, not true or false", other.type_name()),
                ));
                None
            }
        };
        let interacts = boolean(path::INTERACTS, &mut problems);
        let generates = boolean(path::GENERATES, &mut problems);
        let emotion = boolean(path::EMOTION, &mut problems);
        let deep_fake = boolean(path::DEEP_FAKE, &mut problems);
        let ai_system = boolean(path::AI_SYSTEM, &mut problems);
        let annex_i = boolean(path::ANNEX_I, &mut problems);
        let public_authority = boolean(path::PUBLIC_AUTHORITY, &mut problems);
        let agentic = boolean(path::AGENTIC, &mut problems);
        let profiling = boolean(path::PROFILING, &mut problems);
        let day = |p: &'static str, problems: &mut Vec<(&'static str, String)>| match date(get(p)) {
            Some(d) => d,
            None => {
                problems.push((p, format!("`{p}` is not a date (YYYY-MM-DD)")));
                None
            }
        };
        let screened = day(path::SCREENED, &mut problems);
        let placed = day(path::PLACED, &mut problems);
        let significant_change = day(path::SIGNIFICANT_CHANGE, &mut problems);
        let string = |p: &'static str, problems: &mut Vec<(&'static str, String)>| match get(p) {
            Value::None => None,
            Value::String(s) => Some(s.trim().to_string()),
            other => {
                problems.push((p, format!("`{p}` is {}, not a string", other.type_name())));
                None
            }
        };
        let annex_iii = match string(path::ANNEX_III, &mut problems) {
            None => AnnexIii::Unknown,
            Some(s) if s == NOT_LISTED => AnnexIii::NotListed,
            Some(s) => match annex_iii_points {
                Some(points) if !points.contains(&s) => {
                    problems.push((path::ANNEX_III, annex_iii_problem(&s, points)));
                    AnnexIii::Invalid(format!(
                        "`{}` is `{s}`, which is not a point of Annex III",
                        path::ANNEX_III
                    ))
                }
                _ => AnnexIii::Point(s),
            },
        };
        let derogation = string(path::DEROGATION, &mut problems);
        if let Some(d) = &derogation
            && !DEROGATIONS.contains(&d.as_str())
        {
            problems.push((
                path::DEROGATION,
                format!(
                    "`{}` is `{d}`, not an Art 6(3) condition ({})",
                    path::DEROGATION,
                    DEROGATIONS.join(", ")
                ),
            ));
        }
        // Art 6(3), third subparagraph: an Annex III system that profiles natural persons is
        // always high-risk, whatever condition the derogation relies on.
        let derogation = match derogation {
            Some(d) if profiling == Some(true) => {
                problems.push((
                    path::DEROGATION,
                    format!(
                        "`{}` is `{d}`, but the system profiles natural persons (`{}`): an Annex III \
                         system that profiles is always high-risk (Art 6(3), third subparagraph), \
                         so the derogation is not applied",
                        path::DEROGATION,
                        path::PROFILING
                    ),
                ));
                None
            }
            d => d,
        };
        let provider_by = string(path::PROVIDER_BY, &mut problems);
        if let Some(p) = &provider_by
            && !PROVIDER_BY.contains(&p.as_str())
        {
            problems.push((
                path::PROVIDER_BY,
                format!(
                    "`{}` is `{p}`, not an Art 25(1) point ({})",
                    path::PROVIDER_BY,
                    PROVIDER_BY.join(", ")
                ),
            ));
        }
        let roles = match get(path::ROLES) {
            Value::None => None,
            Value::List(items) => {
                let mut roles = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(r) if ROLES.contains(&r) => {
                            if !roles.iter().any(|x: &String| x == r) {
                                roles.push(r.to_string());
                            }
                        }
                        Some(r) => problems.push((
                            path::ROLES,
                            format!(
                                "`{}` holds `{r}`, not a role ({})",
                                path::ROLES,
                                ROLES.join(", ")
                            ),
                        )),
                        None => problems.push((
                            path::ROLES,
                            format!("`{}` holds {}, not a role", path::ROLES, item.type_name()),
                        )),
                    }
                }
                if roles.is_empty() { None } else { Some(roles) }
            }
            other => {
                problems.push((
                    path::ROLES,
                    format!(
                        "`{}` is {}, not a list of roles",
                        path::ROLES,
                        other.type_name()
                    ),
                ));
                None
            }
        };
        let status = get(path::STATUS).as_str().map(str::to_string);
        let model_type = get(path::TYPE).as_str().map(|s| s.trim().to_lowercase());
        let mut kinds = Vec::new();
        if generates == Some(true) || matches!(model_type.as_deref(), Some("llm" | "generative")) {
            kinds.push("generative");
        }
        if agentic == Some(true) || model_type.as_deref() == Some("agent") {
            kinds.push("agentic");
        }
        match model_type.as_deref() {
            Some("calculation") => kinds.push("calculation"),
            Some("rules") => kinds.push("rules"),
            _ => {}
        }
        Facts {
            screened,
            ai_system,
            annex_iii,
            annex_i,
            derogation,
            roles,
            provider_by,
            placed,
            significant_change,
            public_authority,
            status,
            interacts,
            generates,
            emotion,
            deep_fake,
            kinds,
            problems,
        }
    }

    /// The firm's roles, with the provider role that Art 25(1) adds.
    pub fn effective_roles(&self) -> Option<Vec<String>> {
        let mut roles = self.roles.clone();
        if self.provider_by.is_some() {
            let r = roles.get_or_insert_with(Vec::new);
            if !r.iter().any(|x| x == "provider") {
                r.push("provider".to_string());
            }
        }
        roles
    }

    /// Whether the system is on the market or in service at `as_of`: placed on or before that
    /// date, or recorded as in production (or retired after use).
    pub fn placed_by(&self, as_of: Date) -> bool {
        self.placed.is_some_and(|d| d <= as_of) || self.in_use_status()
    }

    /// Whether `model.status` says the system is or was in use.
    pub fn in_use_status(&self) -> bool {
        matches!(self.status.as_deref(), Some("production" | "retired"))
    }

    pub fn retired(&self) -> bool {
        self.status.as_deref() == Some("retired")
    }

    /// A boolean screening answer: recorded, else `false` once a screening is recorded, else
    /// unknown.
    pub fn screened_answer(&self, v: Option<bool>) -> Option<bool> {
        v.or(self.screened.map(|_| false))
    }
}

/// The sentence for an Annex III value that is not a point.
pub fn annex_iii_problem(value: &str, points: &[String]) -> String {
    format!(
        "`{}` is `{value}`, which is not a point of Annex III; use one of {} or `{NOT_LISTED}`",
        path::ANNEX_III,
        points.join(", ")
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn value(toml: &str) -> Value {
        let src = crate::source::SourceFile::new("model.toml", toml);
        crate::repo::parse_metadata(&src).unwrap().0
    }

    fn points() -> Vec<String> {
        ["1(a)", "2", "4(a)", "5(b)"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn reads_the_screening_and_rejects_points_that_do_not_exist() {
        let v = value(
            "[eu_ai_act]\nannex_iii = \"5(h)\"\nroles = [\"provider\", \"owner\"]\nplaced_on_market = 2024-03-01\n",
        );
        let f = Facts::read(&v, Some(&points()));
        assert!(matches!(f.annex_iii, AnnexIii::Invalid(_)));
        assert_eq!(f.roles, Some(vec!["provider".to_string()]));
        assert_eq!(
            f.placed.map(|d| d.to_string()).as_deref(),
            Some("2024-03-01")
        );
        assert_eq!(f.problems.len(), 2, "{:?}", f.problems);
        assert!(f.problems[0].1.contains("`5(h)`"), "{:?}", f.problems);
        assert!(f.problems[1].1.contains("`owner`"), "{:?}", f.problems);
        let ok = Facts::read(&value("[eu_ai_act]\nannex_iii = \"2\"\n"), Some(&points()));
        assert_eq!(ok.annex_iii, AnnexIii::Point("2".to_string()));
        let none = Facts::read(&value("[eu_ai_act]\nannex_iii = \"not-listed\"\n"), None);
        assert_eq!(none.annex_iii, AnnexIii::NotListed);
    }

    #[test]
    fn art_25_adds_the_provider_role_and_kinds_follow_the_type() {
        let v = value(
            "[model]\ntype = \"llm\"\nstatus = \"validation\"\n[eu_ai_act]\nroles = [\"deployer\"]\nprovider_by = \"25(1)(b)\"\n",
        );
        let f = Facts::read(&v, None);
        assert_eq!(
            f.effective_roles(),
            Some(vec!["deployer".to_string(), "provider".to_string()])
        );
        assert_eq!(f.kinds, vec!["generative"]);
        assert!(!f.placed_by("2030-01-01".parse().unwrap()));
        assert!(f.problems.is_empty());
    }

    #[test]
    fn a_derogation_does_not_hold_for_a_system_that_profiles() {
        let derogated = "[eu_ai_act]\nannex_iii = \"4(a)\"\nderogation = \"6(3)(d)\"\n";
        let f = Facts::read(&value(derogated), Some(&points()));
        assert_eq!(f.derogation.as_deref(), Some("6(3)(d)"));
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let profiles = format!("{derogated}profiling = true\n");
        let f = Facts::read(&value(&profiles), Some(&points()));
        assert_eq!(f.derogation, None);
        assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
        assert!(f.problems[0].1.contains("Art 6(3), third subparagraph"));
    }
}
