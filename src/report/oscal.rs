//! OSCAL 1.1.2 assessment results (JSON).
//!
//! The document grows with what needs attention rather than with the portfolio: outcomes that pass
//! are grouped into one observation per control, and only open outcomes get an observation of
//! their own.
//!
//! - `metadata`: title, `last-modified` = the evaluation date at 00:00:00Z, the policy version,
//!   `oscal-version` 1.1.2, props `policy`, `policy-digest`, `mrm-version`.
//! - `import-ap`: a placeholder reference to the assessment plan (`#assessment-plan`).
//! - one result (`start` = `end` = the evaluation date):
//!   - `local-definitions`: one inventory item per model (props `model-id`, `tier`, `owner`); every
//!     observation subject is one of them (`type` `inventory-item`, titled with the model id).
//!   - `reviewed-controls`: per framework, the clauses mapped by a control that has an observation.
//!   - `observations`, all with method `TEST` and `collected` = the evaluation date:
//!     - first, for each control (in policy order) that passes for at least one model, one
//!       observation with props `control`, `status` = `pass`, `severity`, whose subjects are every
//!       model the control passes for (in model order). It lists no `relevant-evidence`: the files
//!       behind the passes are all back-matter resources with their SHA-256, and the JSON result
//!       lists them per model and control.
//!     - then, for each model (in order) and each of its open outcomes (`fail`, `blocked`, `error`,
//!       `waived`, `upcoming`; controls in policy order), one observation with the model as its only
//!       subject, a description of why (the failing case, the blocked-by chain, the error, the
//!       waiver, missing evidence files), props `control`, `status`, `severity` and, when it
//!       blocks, `blocking`, and the outcome's evidence files as `relevant-evidence` pointing at
//!       their back-matter resources.
//!     - Controls of other tiers, and outcomes `not-applicable` because a control's `applies`
//!       condition excludes the model, have no observation.
//!     - last, for each model that blocks on its own (metadata that could not be read, an id
//!       another model shares), one observation per such diagnostic, with props `diagnostic`,
//!       `status` (`not-evaluated` when nothing about the model was evaluated) and `blocking`.
//!   - `findings`: one per framework clause in force that has an observation behind it,
//!     `satisfied` when every model's controls behind it pass (see [`crate::gaps`]) and
//!     `not-satisfied` otherwise; its `related-observations` are the observations (grouped and
//!     open) of the controls that map to the clause.
//! - `back-matter`: one resource per evidence file present, with its SHA-256 when the run hashed it.
//!
//! OSCAL control ids are tokens, so clause ids are written `framework_clause-token`
//! (`eu-ai-act_art-10-2-f`); the clause id as written is kept in a property. UUIDs are derived from
//! a SHA-256 of stable content and formatted as version-5 UUIDs: no randomness, no clock. A model's
//! inventory item, an open observation (model and control), a grouped observation (control and
//! status), a finding (clause) and a resource (path and hash) keep their UUID from one run to the
//! next; the document and the result take theirs from a digest of everything assessed.
//!
//! Rendering works out each control's clauses once per run, scans the models in parallel, borrows
//! the report's strings wherever it can, and streams the JSON, in serde_json's pretty layout,
//! through a buffer.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufWriter, Write};

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::eval::{ControlOutcome, EvidenceRef, ModelOutcome, RunReport, Status};
use crate::gaps::{self, ClauseStatus};

/// Namespace of the properties this report defines.
const NS: &str = "urn:mrm";

/// How every observation was made.
const METHODS: &[&str] = &["TEST"];

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "assessment-results")]
    assessment_results: AssessmentResults<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResults<'a> {
    uuid: Uuid,
    metadata: Metadata<'a>,
    import_ap: ImportAp,
    results: [ResultItem<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    back_matter: Option<BackMatter<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata<'a> {
    title: String,
    last_modified: &'a str,
    version: &'a str,
    oscal_version: &'static str,
    props: Vec<Prop<'a>>,
}

#[derive(Serialize)]
struct ImportAp {
    href: &'static str,
}

#[derive(Serialize)]
struct Prop<'a> {
    name: &'static str,
    ns: &'static str,
    value: Cow<'a, str>,
}

fn prop<'a>(name: &'static str, value: impl Into<Cow<'a, str>>) -> Prop<'a> {
    Prop {
        name,
        ns: NS,
        value: value.into(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ResultItem<'a> {
    uuid: Uuid,
    title: String,
    description: String,
    start: &'a str,
    end: &'a str,
    props: Vec<Prop<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    local_definitions: Option<LocalDefinitions<'a>>,
    reviewed_controls: ReviewedControls,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    observations: &'a [Observation<'a>],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings: Vec<Finding<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct LocalDefinitions<'a> {
    inventory_items: Vec<InventoryItem<'a>>,
}

#[derive(Serialize)]
struct InventoryItem<'a> {
    uuid: Uuid,
    description: String,
    props: Vec<Prop<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ReviewedControls {
    control_selections: Vec<ControlSelection>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ControlSelection {
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    include_controls: Vec<SelectControl>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SelectControl {
    control_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Observation<'a> {
    uuid: Uuid,
    title: String,
    description: String,
    props: Vec<Prop<'a>>,
    methods: &'static [&'static str],
    subjects: Vec<SubjectReference<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    relevant_evidence: Vec<RelevantEvidence<'a>>,
    collected: &'a str,
    /// The index of the observed control in the report's controls.
    #[serde(skip)]
    control: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SubjectReference<'a> {
    subject_uuid: Uuid,
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
}

#[derive(Serialize)]
struct RelevantEvidence<'a> {
    /// `#` and the resource's UUID.
    href: String,
    description: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Finding<'a> {
    uuid: Uuid,
    title: String,
    description: String,
    props: Vec<Prop<'a>>,
    target: FindingTarget,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_observations: Vec<RelatedObservation>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct FindingTarget {
    #[serde(rename = "type")]
    kind: &'static str,
    target_id: String,
    status: ObjectiveStatus,
}

#[derive(Serialize)]
struct ObjectiveStatus {
    state: &'static str,
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<Cow<'static, str>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RelatedObservation {
    observation_uuid: Uuid,
}

#[derive(Serialize)]
struct BackMatter<'a> {
    resources: &'a [Resource<'a>],
}

#[derive(Serialize)]
struct Resource<'a> {
    uuid: Uuid,
    title: &'a str,
    rlinks: [Rlink<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Rlink<'a> {
    href: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hashes: Option<[Hash<'a>; 1]>,
}

#[derive(Serialize)]
struct Hash<'a> {
    algorithm: &'static str,
    value: &'a str,
}

/// A UUID in its textual form, kept inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Uuid([u8; 36]);

impl Uuid {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for Uuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Uuid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A version-5-style UUID from the SHA-256 of `parts`.
pub fn uuid(parts: &[&str]) -> Uuid {
    let mut h = Sha256::new();
    h.update(b"mrm-oscal");
    for p in parts {
        h.update([0]);
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    for (dst, src) in b.iter_mut().zip(d.iter()) {
        *dst = *src;
    }
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = [b'-'; 36];
    let mut at = out.iter_mut();
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            at.next();
        }
        for nibble in [byte >> 4, byte & 0x0f] {
            if let Some(slot) = at.next() {
                *slot = b"0123456789abcdef"
                    .get(usize::from(nibble))
                    .copied()
                    .unwrap_or(b'0');
            }
        }
    }
    Uuid(out)
}

/// An OSCAL token for a framework clause: `eu-ai-act_art-10-2-f`.
pub fn control_id(framework: &str, clause: &str) -> String {
    let mut out = String::new();
    for ch in framework.chars().chain(std::iter::once('_')) {
        out.push(ch.to_ascii_lowercase());
    }
    let mut dash = false;
    for ch in clause.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
            dash = false;
        } else if !dash {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

fn describe(c: &ControlOutcome) -> String {
    let mut out = format!(
        "{} ({}): {}",
        c.title,
        c.severity.as_str(),
        c.status.as_str()
    );
    let why = super::dashboard::summary_line(c);
    if c.status != Status::Pass && !why.is_empty() && why != c.title {
        out.push_str(". ");
        out.push_str(&why);
    }
    for e in c.evidence.iter().filter(|e| !e.present) {
        out.push_str(". evidence file ");
        out.push_str(&e.path);
        out.push_str(" is missing");
    }
    out
}

/// A framework clause some control maps to, and the controls (indices into the report's
/// controls) that map to it.
struct Clause<'r> {
    framework: &'r str,
    clause: &'r str,
    in_force: bool,
    /// The clause's class in the report's law, whose per-model decision says whether it binds.
    class: Option<crate::applicability::ClassId>,
    controls: Vec<usize>,
}

/// What the document needs to know about one model, gathered in one pass over its outcomes.
struct ModelScan<'r> {
    uuid: Uuid,
    /// A digest of its assessment: identity, tier, each outcome's status and evidence hashes.
    digest: [u8; 32],
    /// The controls (indices) it passes.
    passing: Vec<usize>,
    /// Its open outcomes and their controls' indices, in policy order.
    open: Vec<(usize, &'r ControlOutcome)>,
    /// Its status on each clause, by index in [`Scan::clauses`].
    statuses: Vec<ClauseStatus>,
    /// The evidence files present, by path, each once (its first reference).
    evidence: Vec<&'r EvidenceRef>,
}

/// Everything the document is built from, computed once per run.
struct Scan<'r> {
    report: &'r RunReport,
    /// The evaluation date as a timestamp.
    at: String,
    clauses: Vec<Clause<'r>>,
    models: Vec<ModelScan<'r>>,
    /// One per evidence file present, by path.
    resources: Vec<Resource<'r>>,
}

/// The sentence that marks a superseded framework, when it is one at the report's date.
fn superseded_note(report: &RunReport, framework: &str) -> Option<String> {
    report
        .frameworks
        .iter()
        .find(|f| f.id == framework)
        .and_then(|f| {
            f.superseded
                .as_ref()
                .map(|x| format!("{} is {}", f.name, x.note()))
        })
}

/// Appends a field to the bytes to digest.
fn field(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(s.as_bytes());
    buf.push(0);
}

fn scan_model<'r>(
    controls: &HashMap<&str, usize>,
    clauses: &[Clause<'r>],
    m: &'r ModelOutcome,
) -> ModelScan<'r> {
    // The model's outcome of each control, by index.
    let mut outcomes: Vec<Option<&ControlOutcome>> = vec![None; controls.len()];
    let mut passing = Vec::new();
    for c in &m.controls {
        if let Some(&i) = controls.get(c.id.as_str())
            && let Some(slot) = outcomes.get_mut(i)
        {
            *slot = Some(c);
            if c.status == Status::Pass {
                passing.push(i);
            }
        }
    }
    passing.sort_unstable();
    let mut open: Vec<(usize, &ControlOutcome)> = m
        .open()
        .filter_map(|c| controls.get(c.id.as_str()).map(|&i| (i, c)))
        .collect();
    open.sort_unstable_by_key(|&(i, _)| i);
    let mut behind = Vec::new();
    let statuses = clauses
        .iter()
        .map(|cl| {
            behind.clear();
            behind.extend(
                cl.controls
                    .iter()
                    .map(|&i| outcomes.get(i).copied().flatten()),
            );
            let law = cl.class.and_then(|c| m.law.get(c)).map_or(
                if cl.in_force {
                    crate::applicability::Verdict::InForce
                } else {
                    crate::applicability::Verdict::Upcoming
                },
                |d| d.verdict,
            );
            gaps::model_status(law, &behind)
        })
        .collect();
    let mut evidence: Vec<&EvidenceRef> = m
        .controls
        .iter()
        .flat_map(|c| c.evidence.iter().filter(|e| e.present))
        .collect();
    // Stable: the first reference to a path stays first.
    evidence.sort_by(|a, b| a.path.cmp(&b.path));
    evidence.dedup_by(|a, b| a.path == b.path);

    // Hashed at once: far faster than a call per field.
    let mut buf = Vec::with_capacity(4096);
    field(&mut buf, &m.id);
    field(&mut buf, if m.evaluated { "evaluated" } else { "unread" });
    field(&mut buf, m.tier.as_ref().map_or("", |t| t.tier.as_str()));
    for c in &m.controls {
        field(&mut buf, &c.id);
        field(&mut buf, c.status.as_str());
        for e in &c.evidence {
            field(&mut buf, &e.path);
            field(&mut buf, e.sha256.as_deref().unwrap_or(""));
        }
    }
    ModelScan {
        uuid: uuid(&["model", &m.id]),
        digest: Sha256::digest(&buf).into(),
        passing,
        open,
        statuses,
        evidence,
    }
}

impl<'r> Scan<'r> {
    fn new(report: &'r RunReport) -> Self {
        // Each control's clauses, once per run.
        let mut by_clause: BTreeMap<(&str, &str), (bool, Vec<usize>)> = BTreeMap::new();
        for (i, info) in report.controls.iter().enumerate() {
            for r in &info.maps {
                let (_, controls) = by_clause
                    .entry((r.framework.as_str(), r.clause.as_str()))
                    .or_insert_with(|| (r.in_force, Vec::new()));
                if controls.last() != Some(&i) {
                    controls.push(i);
                }
            }
        }
        let clauses: Vec<Clause<'_>> = by_clause
            .into_iter()
            .map(|((framework, clause), (in_force, controls))| Clause {
                framework,
                clause,
                in_force,
                class: report.law.class_of(framework, clause),
                controls,
            })
            .collect();
        let index: HashMap<&str, usize> = report
            .controls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let models: Vec<ModelScan<'_>> = report
            .models
            .par_iter()
            .map(|m| scan_model(&index, &clauses, m))
            .collect();
        // Evidence files by path; the first model to reference one gives its hash (the sort is
        // stable).
        let mut files: Vec<&EvidenceRef> = models
            .iter()
            .flat_map(|s| s.evidence.iter().copied())
            .collect();
        files.par_sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);
        let resources = files
            .par_iter()
            .map(|e| {
                let (path, sha) = (e.path.as_str(), e.sha256.as_deref());
                Resource {
                    uuid: uuid(&["evidence", path, sha.unwrap_or("")]),
                    title: path,
                    rlinks: [Rlink {
                        href: path,
                        hashes: sha.map(|value| {
                            [Hash {
                                algorithm: "SHA-256",
                                value,
                            }]
                        }),
                    }],
                }
            })
            .collect();
        Scan {
            report,
            at: format!("{}T00:00:00Z", report.as_of),
            clauses,
            models,
            resources,
        }
    }

    /// A digest of what the assessment found: the run's identity (date, repository, policy) and,
    /// per model, each control's status and each evidence file's hash. The document's UUID
    /// derives from it, so it changes exactly when the results do.
    fn digest(&self) -> String {
        let r = self.report;
        let mut buf = Vec::new();
        for s in [
            r.schema_version,
            r.mrm_version,
            &r.as_of,
            &r.repository,
            &r.policy.digest,
        ] {
            field(&mut buf, s);
        }
        for m in &self.models {
            buf.extend_from_slice(&m.digest);
        }
        let h = Sha256::digest(&buf);
        base16ct::lower::encode_string(&h)
    }

    /// The link to an evidence file's resource.
    fn resource_href(&self, path: &str) -> Option<String> {
        self.resources
            .binary_search_by(|r| r.title.cmp(path))
            .ok()
            .and_then(|i| self.resources.get(i))
            .map(|r| format!("#{}", r.uuid.as_str()))
    }

    /// The observations: per control, one for the models it passes for, then per model one for
    /// each open outcome.
    fn observations(&self) -> Vec<Observation<'_>> {
        let report = self.report;
        let mut passed: Vec<Vec<SubjectReference<'_>>> =
            report.controls.iter().map(|_| Vec::new()).collect();
        for (m, s) in report.models.iter().zip(&self.models) {
            for &i in &s.passing {
                if let Some(subjects) = passed.get_mut(i) {
                    subjects.push(SubjectReference {
                        subject_uuid: s.uuid,
                        kind: "inventory-item",
                        title: &m.id,
                    });
                }
            }
        }
        let mut out: Vec<Observation<'_>> = report
            .controls
            .iter()
            .zip(passed)
            .enumerate()
            .filter(|(_, (_, subjects))| !subjects.is_empty())
            .map(|(i, (c, subjects))| {
                let status = Status::Pass.as_str();
                let n = subjects.len();
                let (models, listed) = if n == 1 {
                    ("model", "listed as the subject")
                } else {
                    ("models", "each listed as a subject")
                };
                Observation {
                    uuid: uuid(&["observation-group", &c.id, status]),
                    title: format!("{} on {n} {models}: {status}", c.id),
                    description: format!(
                        "{} ({}): {status} for {n} {models}, {listed}.",
                        c.title,
                        c.severity.as_str()
                    ),
                    props: vec![
                        prop("control", c.id.as_str()),
                        prop("status", status),
                        prop("severity", c.severity.as_str()),
                    ],
                    methods: METHODS,
                    subjects,
                    relevant_evidence: Vec::new(),
                    collected: &self.at,
                    control: i,
                }
            })
            .collect();
        let open: Vec<Vec<Observation<'_>>> = report
            .models
            .par_iter()
            .zip(&self.models)
            .map(|(m, s)| {
                s.open
                    .iter()
                    .map(|&(i, c)| self.open_observation(m, s, i, c))
                    .collect()
            })
            .collect();
        out.extend(open.into_iter().flatten());
        // A model that blocks on its own (unreadable metadata, a shared id) is observed too,
        // though no control speaks to it.
        for (m, s) in report.models.iter().zip(&self.models) {
            for d in m.model_findings() {
                let at = d.location().map(|l| format!(" at {l}")).unwrap_or_default();
                out.push(Observation {
                    uuid: uuid(&["observation-model", &m.id, d.code.as_str(), &d.message]),
                    title: format!("{}: {}", m.id, d.code.as_str()),
                    description: format!("{}{at}.", d.message),
                    props: vec![
                        prop("diagnostic", d.code.as_str()),
                        prop(
                            "status",
                            if m.evaluated {
                                "evaluated"
                            } else {
                                "not-evaluated"
                            },
                        ),
                        prop("blocking", "true"),
                    ],
                    methods: METHODS,
                    subjects: vec![SubjectReference {
                        subject_uuid: s.uuid,
                        kind: "inventory-item",
                        title: &m.id,
                    }],
                    relevant_evidence: Vec::new(),
                    collected: &self.at,
                    // No control: the observation backs no clause's finding.
                    control: usize::MAX,
                });
            }
        }
        out
    }

    fn open_observation(
        &self,
        m: &'r ModelOutcome,
        s: &'r ModelScan<'r>,
        control: usize,
        c: &'r ControlOutcome,
    ) -> Observation<'_> {
        let mut props = vec![
            prop("control", c.id.as_str()),
            prop("status", c.status.as_str()),
            prop("severity", c.severity.as_str()),
        ];
        if c.blocking {
            props.push(prop("blocking", "true"));
        }
        Observation {
            uuid: uuid(&["observation", &m.id, &c.id]),
            title: format!("{} on {}: {}", c.id, m.id, c.status.as_str()),
            description: describe(c),
            props,
            methods: METHODS,
            subjects: vec![SubjectReference {
                subject_uuid: s.uuid,
                kind: "inventory-item",
                title: &m.id,
            }],
            relevant_evidence: c
                .evidence
                .iter()
                .filter_map(|e| {
                    self.resource_href(&e.path).map(|href| RelevantEvidence {
                        href,
                        description: &e.path,
                    })
                })
                .collect(),
            collected: &self.at,
            control,
        }
    }

    fn document<'a>(&'a self, observations: &'a [Observation<'a>]) -> Document<'a> {
        let report = self.report;
        let digest = self.digest();

        // The observations behind each control, then each clause's findings.
        let mut by_control: Vec<Vec<Uuid>> = report.controls.iter().map(|_| Vec::new()).collect();
        for o in observations {
            if let Some(v) = by_control.get_mut(o.control) {
                v.push(o.uuid);
            }
        }
        let mut findings = Vec::new();
        let mut selections: BTreeMap<&str, Vec<SelectControl>> = BTreeMap::new();
        for (k, cl) in self.clauses.iter().enumerate() {
            let related: Vec<RelatedObservation> = cl
                .controls
                .iter()
                .filter_map(|&i| by_control.get(i))
                .flatten()
                .map(|&observation_uuid| RelatedObservation { observation_uuid })
                .collect();
            if related.is_empty() {
                continue;
            }
            let (framework, clause) = (cl.framework, cl.clause);
            let cid = control_id(framework, clause);
            selections
                .entry(framework)
                .or_default()
                .push(SelectControl {
                    control_id: cid.clone(),
                });
            if !cl.in_force {
                continue;
            }
            let status = gaps::combine(
                self.models
                    .iter()
                    .filter_map(|s| s.statuses.get(k).copied()),
            );
            let superseded = superseded_note(report, framework);
            let (state, reason, remarks) = match status {
                ClauseStatus::Met | ClauseStatus::Partial => {
                    ("satisfied", "pass", superseded.clone().map(Cow::Owned))
                }
                ClauseStatus::Gap => ("not-satisfied", "fail", superseded.clone().map(Cow::Owned)),
                ClauseStatus::Waived => (
                    "not-satisfied",
                    "other",
                    Some(Cow::Borrowed(
                        "a failing control is excused by a waiver (risk accepted)",
                    )),
                ),
                ClauseStatus::Upcoming | ClauseStatus::NotApplicable | ClauseStatus::NotCovered => {
                    continue;
                }
            };
            let mut props = vec![
                prop("framework", framework),
                prop("clause", clause),
                prop("gap-status", status.as_str()),
            ];
            if let Some(x) = report
                .frameworks
                .iter()
                .find(|f| f.id == framework)
                .and_then(|f| f.superseded.as_ref())
            {
                props.push(prop("framework-status", "superseded"));
                props.push(prop("superseded-by", x.by.clone()));
                props.push(prop(
                    "blocking-counted",
                    if x.blocking { "true" } else { "false" },
                ));
            }
            findings.push(Finding {
                uuid: uuid(&["finding", framework, clause]),
                title: format!("{framework} {clause}"),
                description: format!(
                    "{framework} {clause} is {} across the models evaluated against it ({}).",
                    status.as_str(),
                    state
                ),
                props,
                target: FindingTarget {
                    kind: "objective-id",
                    target_id: cid,
                    status: ObjectiveStatus {
                        state,
                        reason,
                        remarks,
                    },
                },
                related_observations: related,
            });
        }
        let mut control_selections: Vec<ControlSelection> = selections
            .into_iter()
            .map(|(fw, include_controls)| ControlSelection {
                description: match superseded_note(report, fw) {
                    Some(note) => format!("{fw} clauses mapped by the policy's controls; {note}"),
                    None => format!("{fw} clauses mapped by the policy's controls"),
                },
                include_controls,
            })
            .collect();
        if control_selections.is_empty() {
            control_selections.push(ControlSelection {
                description: "no control was evaluated".to_string(),
                include_controls: Vec::new(),
            });
        }

        let inventory_items: Vec<InventoryItem<'_>> = report
            .models
            .iter()
            .zip(&self.models)
            .map(|(m, s)| {
                let mut props = vec![prop("model-id", m.id.as_str())];
                if let Some(t) = &m.tier {
                    props.push(prop("tier", t.tier.as_str()));
                }
                if let Some(o) = m.owner.as_deref().filter(|o| !o.trim().is_empty()) {
                    props.push(prop("owner", o.trim()));
                }
                InventoryItem {
                    uuid: s.uuid,
                    description: format!("{} ({})", m.name, m.file),
                    props,
                }
            })
            .collect();

        Document {
            assessment_results: AssessmentResults {
                uuid: uuid(&["assessment-results", &digest]),
                metadata: Metadata {
                    title: format!(
                        "Model risk assessment of {} as of {}",
                        report.repository, report.as_of
                    ),
                    last_modified: &self.at,
                    version: &report.policy.version,
                    oscal_version: "1.1.2",
                    props: vec![
                        prop("policy", report.policy.name.as_str()),
                        prop("policy-digest", report.policy.digest.as_str()),
                        prop("mrm-version", report.mrm_version),
                    ],
                },
                import_ap: ImportAp {
                    href: "#assessment-plan",
                },
                results: [ResultItem {
                    uuid: uuid(&["result", &digest]),
                    title: format!("mrm check as of {}", report.as_of),
                    description: format!(
                        "{} models evaluated against policy {} {}; {} blocking gaps.",
                        report.summary.models,
                        report.policy.name,
                        report.policy.version,
                        report.summary.blocking
                    ),
                    start: &self.at,
                    end: &self.at,
                    props: vec![prop("blocking-gaps", report.summary.blocking.to_string())],
                    local_definitions: (!inventory_items.is_empty())
                        .then_some(LocalDefinitions { inventory_items }),
                    reviewed_controls: ReviewedControls { control_selections },
                    observations,
                    findings,
                }],
                back_matter: (!self.resources.is_empty()).then_some(BackMatter {
                    resources: &self.resources,
                }),
            },
        }
    }
}

/// A comma, a line break and 32 levels of indentation: every break of [`Pretty`] is a slice of it.
const BREAK: &[u8; 66] = b",\n                                                                ";

/// serde_json's pretty layout (two spaces per level, `": "` after keys), with each line break
/// and its indentation written at once rather than one level at a time.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    fn break_line<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        let start = usize::from(!comma);
        match BREAK.get(start..2 + 2 * self.depth) {
            Some(s) => w.write_all(s),
            None => {
                w.write_all(BREAK.get(start..).unwrap_or_default())?;
                for _ in 32..self.depth {
                    w.write_all(b"  ")?;
                }
                Ok(())
            }
        }
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            self.break_line(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.break_line(w, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.break_line(w, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

pub fn render(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
    let scan = Scan::new(report);
    let observations = scan.observations();
    let doc = scan.document(&observations);
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut json = serde_json::Serializer::with_formatter(&mut out, Pretty::default());
    doc.serialize(&mut json).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_deterministic_version_5() {
        let a = uuid(&["model", "credit"]);
        assert_eq!(a, uuid(&["model", "credit"]));
        assert_ne!(a, uuid(&["model", "credit2"]));
        let a = a.as_str();
        assert!(
            a.chars()
                .all(|c| c == '-' || c.is_ascii_digit() || matches!(c, 'a'..='f'))
        );
        assert_eq!(
            a.char_indices()
                .filter(|(_, c)| *c == '-')
                .map(|(i, _)| i)
                .collect::<Vec<_>>(),
            [8, 13, 18, 23]
        );
        assert_eq!(a.len(), 36);
        assert_eq!(a.chars().nth(14), Some('5'));
        assert!(matches!(a.chars().nth(19), Some('8' | '9' | 'a' | 'b')));
    }

    #[test]
    fn pretty_lays_out_json_as_serde_json_does() {
        let mut deep = serde_json::json!({"leaf": [1, "two", null, {}, []]});
        for i in 0..40 {
            deep = if i % 2 == 0 {
                serde_json::json!([deep, {"k": i}, [], "s\"q"])
            } else {
                serde_json::json!({"a": deep, "b": {}, "c": [true, false]})
            };
        }
        for v in [serde_json::json!({}), serde_json::json!([]), deep] {
            let mut ours = Vec::new();
            v.serialize(&mut serde_json::Serializer::with_formatter(
                &mut ours,
                Pretty::default(),
            ))
            .unwrap_or_else(|e| panic!("{e}"));
            let theirs = serde_json::to_string_pretty(&v).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(String::from_utf8_lossy(&ours), theirs);
        }
    }

    #[test]
    fn clause_ids_become_tokens() {
        assert_eq!(
            control_id("eu-ai-act", "Art 10(2)(f)"),
            "eu-ai-act_art-10-2-f"
        );
        assert_eq!(
            control_id("nist-ai-rmf", "MEASURE 2.11"),
            "nist-ai-rmf_measure-2-11"
        );
        assert_eq!(control_id("iso-42001", "A.7.4"), "iso-42001_a-7-4");
    }
}
