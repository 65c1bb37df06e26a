//! The result of evaluating a repository: one serializable, deterministically ordered tree that
//! every reporter renders and every pack stores. Field names are a contract (`schema_version`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::Status;
use crate::check::Severity;
use crate::diagnostic::Diagnostic;
use crate::source::Location;
use crate::value::Value;

/// Version of the JSON result format.
pub const SCHEMA_VERSION: &str = "2";

/// A framework clause a control maps to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ClauseRef {
    pub framework: String,
    pub clause: String,
    /// Whether the clause binds at the evaluation date.
    pub in_force: bool,
}

/// One value that made an assertion fail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Witness {
    /// The metadata path, with list indices (`fairness[0].disparate_impact`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub actual: Value,
    /// What was expected, e.g. `>= 0.8`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// A sentence: "`fairness[0].disparate_impact` = 0.72, expected >= 0.8".
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// Why a control failed: the author's explanation for one failing case and its witnesses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub witnesses: Vec<Witness>,
}

/// An evidence file a control references.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EvidenceRef {
    /// Repository-relative path.
    pub path: String,
    pub present: bool,
    /// SHA-256 of the file's bytes (lowercase hex), when it was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// How a waiver was applied to a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaiverRef {
    pub ticket: String,
    pub approver: String,
    pub expires: String,
    pub justification: String,
}

/// What a control is: everything about it that does not depend on the model. Built once per run
/// and shared by every model's outcome of the control; the JSON result lists it once, under
/// `controls`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pillar: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The tiers the control applies to.
    pub tiers: Vec<String>,
    /// The framework clauses the control maps to, and whether each is in force at the evaluation
    /// date.
    pub maps: Vec<ClauseRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

/// One control's result for one model.
///
/// An outcome reads as its control too: `outcome.title` and `outcome.maps` are the control's (see
/// [`ControlInfo`]). Only the controls of a model's tier have outcomes; the others are counted as
/// `not-applicable` in [`ModelOutcome::counts`] (see [`ModelOutcome::status_of`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlOutcome {
    /// The control, serialized as its id.
    #[serde(rename = "id", serialize_with = "control_id")]
    pub control: Arc<ControlInfo>,
    pub status: Status,
    /// Whether this outcome blocks the run (status and severity against the threshold).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blocking: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// For `blocked`: the prerequisite chain down to the root cause (last).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<String>,
    /// For `error`: what could not be evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For `not-applicable`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Box<WaiverRef>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceRef>,
    /// Where to look: the first witness's field, else the metadata file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Box<Location>>,
    /// Further facts, e.g. a waiver that exists but was rejected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

fn control_id<S: serde::Serializer>(c: &Arc<ControlInfo>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&c.id)
}

impl std::ops::Deref for ControlOutcome {
    type Target = ControlInfo;

    fn deref(&self) -> &ControlInfo {
        &self.control
    }
}

impl ControlOutcome {
    /// An outcome of `control` with `status` and nothing else recorded.
    pub fn new(control: Arc<ControlInfo>, status: Status) -> Self {
        ControlOutcome {
            control,
            status,
            blocking: false,
            findings: Vec::new(),
            blocked_by: Vec::new(),
            error: None,
            reason: None,
            waiver: None,
            evidence: Vec::new(),
            location: None,
            notes: Vec::new(),
        }
    }

    /// The remediation to show: the control's, except for controls that do not apply.
    pub fn remediation(&self) -> Option<&str> {
        match self.status {
            Status::NotApplicable => None,
            _ => self.control.remediation.as_deref(),
        }
    }
}

/// A KRI's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KriLevel {
    Green,
    Yellow,
    Red,
    Unknown,
}

impl KriLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            KriLevel::Green => "green",
            KriLevel::Yellow => "yellow",
            KriLevel::Red => "red",
            KriLevel::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KriOutcome {
    pub name: String,
    pub title: String,
    pub value: Value,
    pub level: KriLevel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The thresholds as written: `value >= 0.10`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yellow: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub red: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The tier a model was assigned and the rule that assigned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierOutcome {
    pub tier: String,
    /// 1-based position of the rule in the `tiers` block.
    pub rule: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The rule's condition as written, or `otherwise`.
    pub condition: String,
    /// Set when the rule could not be evaluated and the tier was assigned to fail safe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Counts of control statuses.
pub type StatusCounts = BTreeMap<Status, usize>;

/// One model's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelOutcome {
    pub id: String,
    pub name: String,
    pub dir: String,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_validation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<TierOutcome>,
    /// False when the metadata could not be read: the model is reported, not evaluated.
    pub evaluated: bool,
    /// The model's blocking findings: its blocking control outcomes, and each diagnostic that
    /// blocks the model whatever its controls say (metadata that could not be read, an id another
    /// model shares; see [`ModelOutcome::count_blocking`]).
    pub blocking: usize,
    /// Control statuses, counting the controls of other tiers as `not-applicable`.
    pub counts: StatusCounts,
    /// The outcomes of the controls of the model's tier, by control id.
    pub controls: Vec<ControlOutcome>,
    pub kris: Vec<KriOutcome>,
    pub diagnostics: Vec<Diagnostic>,
    /// Whether each class of clauses applies to the model and why ([`RunReport::law`] lists the
    /// clauses of each class).
    pub law: crate::applicability::ModelLaw,
}

impl ModelOutcome {
    /// Counts the model's blocking findings into [`ModelOutcome::blocking`]: the one place that
    /// decides that a model whose metadata could not be read, or whose id is not unique, blocks
    /// the run. Summaries, exit codes and every report follow from this count.
    pub fn count_blocking(&mut self) {
        self.blocking =
            self.controls.iter().filter(|c| c.blocking).count() + self.model_findings().count();
    }

    /// The diagnostics that block the model whatever its controls say.
    pub fn model_findings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.code.blocks_model())
    }

    /// Controls that did not pass and apply (fail, blocked, error, upcoming, waived).
    pub fn open(&self) -> impl Iterator<Item = &ControlOutcome> {
        self.controls.iter().filter(|c| {
            matches!(
                c.status,
                Status::Fail | Status::Blocked | Status::Error | Status::Upcoming | Status::Waived
            )
        })
    }

    /// The outcome of control `id`, when it applies to the model's tier.
    pub fn control(&self, id: &str) -> Option<&ControlOutcome> {
        self.controls
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()
            .and_then(|i| self.controls.get(i))
    }

    /// The status of control `id`: its outcome's, `not-applicable` when the control is not one
    /// of the model's tier, and `error` for every control when the model could not be read (what
    /// was not evaluated cannot be said not to apply).
    pub fn status_of(&self, id: &str) -> Status {
        if !self.evaluated {
            return Status::Error;
        }
        self.control(id).map_or(Status::NotApplicable, |c| c.status)
    }

    /// Why a control without an outcome does not apply.
    pub fn not_in_tier(&self) -> String {
        match &self.tier {
            Some(t) => format!("does not apply to tier `{}`", t.tier),
            None => "the model has no tier".to_string(),
        }
    }

    pub fn kri_level(&self) -> KriLevel {
        self.kris
            .iter()
            .map(|k| k.level)
            .filter(|l| *l != KriLevel::Unknown)
            .max()
            .unwrap_or(KriLevel::Unknown)
    }
}

/// What happened to one waiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverState {
    Applied,
    Expired,
    SelfApproved,
    Unused,
    UnknownTarget,
    /// The waiver names a model id several models share: it applies to none of them.
    AmbiguousModel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaiverOutcome {
    pub model: String,
    pub control: String,
    pub ticket: String,
    pub approver: String,
    pub expires: String,
    pub state: WaiverState,
    pub location: Location,
    pub justification: String,
}

/// The policy set a run used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyInfo {
    pub name: String,
    pub version: String,
    pub origin: String,
    /// SHA-256 over the policy and catalog sources.
    pub digest: String,
    pub controls: usize,
    /// The parameters the rules read, with the values in force (the firm's, where `mrm.toml`
    /// sets them).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameworkInfo {
    pub id: String,
    pub name: String,
    pub version: String,
    pub status: String,
    /// Set from the date another framework superseded it: every report marks it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded: Option<crate::applicability::Superseded>,
}

/// Portfolio totals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Summary {
    pub models: usize,
    pub models_with_errors: usize,
    pub blocking: usize,
    pub blocking_models: usize,
    pub by_tier: BTreeMap<String, usize>,
    pub by_status: StatusCounts,
    pub kris: BTreeMap<String, usize>,
    pub fail_on: Vec<Severity>,
}

/// The whole result of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub schema_version: &'static str,
    pub mrm_version: &'static str,
    pub as_of: String,
    pub repository: String,
    pub policy: PolicyInfo,
    pub frameworks: Vec<FrameworkInfo>,
    /// Every control of the policy set, as the model outcomes refer to them by id.
    pub controls: Vec<Arc<ControlInfo>>,
    pub summary: Summary,
    pub models: Vec<ModelOutcome>,
    pub waivers: Vec<WaiverOutcome>,
    /// Repository-level diagnostics (configuration, waivers, discovery).
    pub diagnostics: Vec<Diagnostic>,
    /// The classes of catalog clauses whose applicability each model's `law` decides.
    pub law: Arc<crate::applicability::Law>,
}

impl RunReport {
    /// Whether any blocking gap was found.
    pub fn is_blocking(&self) -> bool {
        self.summary.blocking > 0
    }

    pub fn model(&self, id: &str) -> Option<&ModelOutcome> {
        self.models.iter().find(|m| m.id == id)
    }

    /// Control `id`, when the policy set has it.
    pub fn control(&self, id: &str) -> Option<&Arc<ControlInfo>> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// Whether a clause applies to model `m`, and why; `None` for a clause no catalog holds.
    pub fn decision<'r>(
        &'r self,
        m: &'r ModelOutcome,
        framework: &str,
        clause: &str,
    ) -> Option<&'r crate::applicability::Decision> {
        m.law.clause(&self.law, framework, clause)
    }

    /// Model `m`'s outcome of control `id`: the recorded one, a `not-applicable` one when the
    /// control belongs to other tiers, or an `error` when the model could not be read. `None` when
    /// the policy set has no such control.
    pub fn outcome<'r>(
        &'r self,
        m: &'r ModelOutcome,
        id: &str,
    ) -> Option<std::borrow::Cow<'r, ControlOutcome>> {
        if let Some(c) = m.control(id) {
            return Some(std::borrow::Cow::Borrowed(c));
        }
        let info = self.control(id)?.clone();
        if !m.evaluated {
            let mut c = ControlOutcome::new(info, Status::Error);
            c.error = Some(format!(
                "`{}` could not be read, so nothing about the model was evaluated",
                m.file
            ));
            c.location = Some(Box::new(Location::file(m.file.clone())));
            return Some(std::borrow::Cow::Owned(c));
        }
        let mut c = ControlOutcome::new(info, Status::NotApplicable);
        c.reason = Some(m.not_in_tier());
        Some(std::borrow::Cow::Owned(c))
    }
}
