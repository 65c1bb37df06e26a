//! OSCAL 1.1.2 assessment results (JSON).
//!
//! - `metadata`: title, `last-modified` = the evaluation date at 00:00:00Z, the policy version,
//!   `oscal-version` 1.1.2.
//! - `import-ap`: a placeholder reference to the assessment plan (`#assessment-plan`).
//! - one result: models as `local-definitions` inventory items; `reviewed-controls` selecting the
//!   framework clauses the controls map to; one observation per control evaluated for a model
//!   (methods `TEST`, the model as subject, evidence files as relevant evidence); one finding per
//!   framework clause in force that some model is evaluated against, `satisfied` when every
//!   model's controls behind it pass (see [`crate::gaps`]) and `not-satisfied` otherwise.
//! - `back-matter`: one resource per evidence file, with its SHA-256 when the run hashed it.
//!
//! OSCAL control ids are tokens, so clause ids are written `framework_clause-token`
//! (`eu-ai-act_art-10-2-f`); the clause id as written is kept in a property. UUIDs are derived from
//! a SHA-256 of stable content and formatted as version-5 UUIDs: no randomness, no clock.

use std::collections::BTreeMap;
use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::eval::{ControlOutcome, RunReport, Status};
use crate::gaps::{self, ClauseStatus};

/// Namespace of the properties this report defines.
const NS: &str = "urn:mrm";

#[derive(Debug, Serialize)]
pub struct Document {
    #[serde(rename = "assessment-results")]
    pub assessment_results: AssessmentResults,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AssessmentResults {
    pub uuid: String,
    pub metadata: Metadata,
    pub import_ap: ImportAp,
    pub results: Vec<ResultItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub back_matter: Option<BackMatter>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Metadata {
    pub title: String,
    pub last_modified: String,
    pub version: String,
    pub oscal_version: &'static str,
    pub props: Vec<Prop>,
}

#[derive(Debug, Serialize)]
pub struct ImportAp {
    pub href: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Prop {
    pub name: String,
    pub ns: &'static str,
    pub value: String,
}

fn prop(name: &str, value: impl Into<String>) -> Prop {
    Prop {
        name: name.to_string(),
        ns: NS,
        value: value.into(),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ResultItem {
    pub uuid: String,
    pub title: String,
    pub description: String,
    pub start: String,
    pub end: String,
    pub props: Vec<Prop>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_definitions: Option<LocalDefinitions>,
    pub reviewed_controls: ReviewedControls,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub observations: Vec<Observation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct LocalDefinitions {
    pub inventory_items: Vec<InventoryItem>,
}

#[derive(Debug, Serialize)]
pub struct InventoryItem {
    pub uuid: String,
    pub description: String,
    pub props: Vec<Prop>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReviewedControls {
    pub control_selections: Vec<ControlSelection>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ControlSelection {
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include_controls: Vec<SelectControl>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SelectControl {
    pub control_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Observation {
    pub uuid: String,
    pub title: String,
    pub description: String,
    pub props: Vec<Prop>,
    pub methods: Vec<&'static str>,
    pub subjects: Vec<SubjectReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relevant_evidence: Vec<RelevantEvidence>,
    pub collected: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SubjectReference {
    pub subject_uuid: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct RelevantEvidence {
    pub href: String,
    pub description: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Finding {
    pub uuid: String,
    pub title: String,
    pub description: String,
    pub props: Vec<Prop>,
    pub target: FindingTarget,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_observations: Vec<RelatedObservation>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct FindingTarget {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub target_id: String,
    pub status: ObjectiveStatus,
}

#[derive(Debug, Serialize)]
pub struct ObjectiveStatus {
    pub state: &'static str,
    pub reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RelatedObservation {
    pub observation_uuid: String,
}

#[derive(Debug, Serialize)]
pub struct BackMatter {
    pub resources: Vec<Resource>,
}

#[derive(Debug, Serialize)]
pub struct Resource {
    pub uuid: String,
    pub title: String,
    pub rlinks: Vec<Rlink>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Rlink {
    pub href: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
}

#[derive(Debug, Serialize)]
pub struct Hash {
    pub algorithm: &'static str,
    pub value: String,
}

/// A digest of what the assessment found: the run's identity (date, repository, policy) and, per
/// model, each control's status and each evidence file's hash. The document's UUID derives from
/// it, so it changes exactly when the results do.
fn content_digest(report: &RunReport) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update(s.as_bytes());
        h.update([0]);
    };
    for s in [
        report.schema_version,
        report.mrm_version,
        &report.as_of,
        &report.repository,
        &report.policy.digest,
    ] {
        field(s);
    }
    for m in &report.models {
        field(&m.id);
        field(if m.evaluated { "evaluated" } else { "unread" });
        field(m.tier.as_ref().map_or("", |t| t.tier.as_str()));
        for c in &m.controls {
            field(&c.id);
            field(c.status.as_str());
            for e in &c.evidence {
                field(&e.path);
                field(e.sha256.as_deref().unwrap_or(""));
            }
        }
    }
    base16ct::lower::encode_string(&h.finalize())
}

/// A version-5-style UUID from the SHA-256 of `parts`.
pub fn uuid(parts: &[&str]) -> String {
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
    let hex = base16ct::lower::encode_string(&b);
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    )
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
    let mut parts = vec![format!(
        "{} ({}): {}",
        c.title,
        c.severity.as_str(),
        c.status.as_str()
    )];
    let why = super::dashboard::summary_line(c);
    if c.status != Status::Pass && !why.is_empty() && why != c.title {
        parts.push(why);
    }
    for e in c.evidence.iter().filter(|e| !e.present) {
        parts.push(format!("evidence file {} is missing", e.path));
    }
    parts.join(". ")
}

/// Builds the OSCAL document.
pub fn build(report: &RunReport) -> Document {
    let digest = content_digest(report);
    let at = format!("{}T00:00:00Z", report.as_of);
    let model_uuid = |id: &str| uuid(&["model", id]);

    // Evidence resources, by path.
    let mut resources: BTreeMap<String, Resource> = BTreeMap::new();
    for m in &report.models {
        for c in &m.controls {
            for e in c.evidence.iter().filter(|e| e.present) {
                resources.entry(e.path.clone()).or_insert_with(|| Resource {
                    uuid: uuid(&["evidence", &e.path, e.sha256.as_deref().unwrap_or("")]),
                    title: e.path.clone(),
                    rlinks: vec![Rlink {
                        href: e.path.clone(),
                        hashes: e
                            .sha256
                            .iter()
                            .map(|v| Hash {
                                algorithm: "SHA-256",
                                value: v.clone(),
                            })
                            .collect(),
                    }],
                });
            }
        }
    }

    // Observations, and per clause the outcomes and observations behind it. Models are
    // independent: each is described in parallel, then gathered in model order.
    type ClauseKey<'r> = (&'r str, &'r str);
    struct Part<'r> {
        observations: Vec<Observation>,
        /// Clause, whether it is in force, and the observation behind it.
        links: Vec<(ClauseKey<'r>, bool, String)>,
        statuses: Vec<(ClauseKey<'r>, ClauseStatus)>,
    }
    let parts: Vec<Part<'_>> = report
        .models
        .par_iter()
        .map(|m| {
            let subject = model_uuid(&m.id);
            let mut part = Part {
                observations: Vec::new(),
                links: Vec::new(),
                statuses: Vec::new(),
            };
            let mut by_clause: BTreeMap<ClauseKey<'_>, (bool, Vec<Option<&ControlOutcome>>)> =
                BTreeMap::new();
            for info in &report.controls {
                let c = m.control(&info.id);
                for r in &info.maps {
                    by_clause
                        .entry((r.framework.as_str(), r.clause.as_str()))
                        .or_insert((r.in_force, Vec::new()))
                        .1
                        .push(c);
                }
            }
            for c in &m.controls {
                if c.status == Status::NotApplicable {
                    continue;
                }
                let ouuid = uuid(&["observation", &m.id, &c.id]);
                for r in c.maps.iter() {
                    part.links.push((
                        (r.framework.as_str(), r.clause.as_str()),
                        r.in_force,
                        ouuid.clone(),
                    ));
                }
                let mut props = vec![
                    prop("control", c.id.as_str()),
                    prop("status", c.status.as_str()),
                    prop("severity", c.severity.as_str()),
                ];
                if c.blocking {
                    props.push(prop("blocking", "true"));
                }
                part.observations.push(Observation {
                    uuid: ouuid,
                    title: format!("{} on {}: {}", c.id, m.id, c.status.as_str()),
                    description: describe(c),
                    props,
                    methods: vec!["TEST"],
                    subjects: vec![SubjectReference {
                        subject_uuid: subject.clone(),
                        kind: "inventory-item",
                        title: m.id.clone(),
                    }],
                    relevant_evidence: c
                        .evidence
                        .iter()
                        .filter_map(|e| {
                            resources.get(&e.path).map(|r| RelevantEvidence {
                                href: format!("#{}", r.uuid),
                                description: e.path.clone(),
                            })
                        })
                        .collect(),
                    collected: at.clone(),
                });
            }
            for (key, (in_force, outcomes)) in by_clause {
                part.statuses
                    .push((key, gaps::model_status(in_force, &outcomes)));
            }
            part
        })
        .collect();
    let mut observations = Vec::new();
    let mut clauses: BTreeMap<ClauseKey<'_>, (bool, Vec<String>)> = BTreeMap::new();
    let mut per_model: BTreeMap<ClauseKey<'_>, Vec<ClauseStatus>> = BTreeMap::new();
    for part in parts {
        observations.extend(part.observations);
        for (key, in_force, ouuid) in part.links {
            clauses
                .entry(key)
                .or_insert_with(|| (in_force, Vec::new()))
                .1
                .push(ouuid);
        }
        for (key, status) in part.statuses {
            per_model.entry(key).or_default().push(status);
        }
    }

    let mut findings = Vec::new();
    let mut selections: BTreeMap<String, Vec<SelectControl>> = BTreeMap::new();
    for (&(framework, clause), (in_force, related)) in &clauses {
        let cid = control_id(framework, clause);
        selections
            .entry(framework.to_string())
            .or_default()
            .push(SelectControl {
                control_id: cid.clone(),
            });
        if !in_force {
            continue;
        }
        let status = gaps::combine(
            per_model
                .get(&(framework, clause))
                .into_iter()
                .flatten()
                .copied(),
        );
        let (state, reason, remarks) = match status {
            ClauseStatus::Met | ClauseStatus::Partial => ("satisfied", "pass", None),
            ClauseStatus::Gap => ("not-satisfied", "fail", None),
            ClauseStatus::Waived => (
                "not-satisfied",
                "other",
                Some("a failing control is excused by a waiver (risk accepted)".to_string()),
            ),
            ClauseStatus::Upcoming | ClauseStatus::NotApplicable | ClauseStatus::NotCovered => {
                continue;
            }
        };
        findings.push(Finding {
            uuid: uuid(&["finding", framework, clause]),
            title: format!("{framework} {clause}"),
            description: format!(
                "{framework} {clause} is {} across the models evaluated against it ({}).",
                status.as_str(),
                state
            ),
            props: vec![
                prop("framework", framework),
                prop("clause", clause),
                prop("gap-status", status.as_str()),
            ],
            target: FindingTarget {
                kind: "objective-id",
                target_id: cid,
                status: ObjectiveStatus {
                    state,
                    reason,
                    remarks,
                },
            },
            related_observations: related
                .iter()
                .map(|u| RelatedObservation {
                    observation_uuid: u.clone(),
                })
                .collect(),
        });
    }
    let mut control_selections: Vec<ControlSelection> = selections
        .into_iter()
        .map(|(fw, include_controls)| ControlSelection {
            description: format!("{fw} clauses mapped by the policy's controls"),
            include_controls,
        })
        .collect();
    if control_selections.is_empty() {
        control_selections.push(ControlSelection {
            description: "no control was evaluated".to_string(),
            include_controls: Vec::new(),
        });
    }

    let inventory_items: Vec<InventoryItem> = report
        .models
        .iter()
        .map(|m| {
            let mut props = vec![prop("model-id", m.id.as_str())];
            if let Some(t) = &m.tier {
                props.push(prop("tier", t.tier.as_str()));
            }
            if let Some(o) = m.owner.as_deref().filter(|o| !o.trim().is_empty()) {
                props.push(prop("owner", o.trim()));
            }
            InventoryItem {
                uuid: model_uuid(&m.id),
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
                last_modified: at.clone(),
                version: report.policy.version.clone(),
                oscal_version: "1.1.2",
                props: vec![
                    prop("policy", report.policy.name.as_str()),
                    prop("policy-digest", report.policy.digest.as_str()),
                    prop("mrm-version", report.mrm_version),
                ],
            },
            import_ap: ImportAp {
                href: "#assessment-plan".to_string(),
            },
            results: vec![ResultItem {
                uuid: uuid(&["result", &digest]),
                title: format!("mrm check as of {}", report.as_of),
                description: format!(
                    "{} models evaluated against policy {} {}; {} blocking gaps.",
                    report.summary.models,
                    report.policy.name,
                    report.policy.version,
                    report.summary.blocking
                ),
                start: at.clone(),
                end: at,
                props: vec![prop("blocking-gaps", report.summary.blocking.to_string())],
                local_definitions: (!inventory_items.is_empty())
                    .then_some(LocalDefinitions { inventory_items }),
                reviewed_controls: ReviewedControls { control_selections },
                observations,
                findings,
            }],
            back_matter: (!resources.is_empty()).then(|| BackMatter {
                resources: resources.into_values().collect(),
            }),
        },
    }
}

pub fn render(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &build(report)).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_deterministic_version_5() {
        let a = uuid(&["model", "credit"]);
        assert_eq!(a, uuid(&["model", "credit"]));
        assert_ne!(a, uuid(&["model", "credit2"]));
        assert_eq!(a.len(), 36);
        assert_eq!(a.chars().nth(14), Some('5'));
        assert!(matches!(a.chars().nth(19), Some('8' | '9' | 'a' | 'b')));
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
