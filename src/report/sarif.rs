//! SARIF 2.1.0 for code-scanning tools, from small hand-written serde structs.
//!
//! One result per model and control that fails, is blocked or cannot be evaluated (`ruleId` = the
//! control id, `level` from the severity: critical and high → `error`, medium → `warning`, low and
//! info → `note`), located in the model's metadata file at the field that failed. Waived controls
//! are reported as suppressed results, so auditors see the exception and scanners hide it. Model
//! and repository diagnostics are results too, with rules from the diagnostic code registry.
//! Columns count Unicode code points (`columnKind`), as the engine's locations do.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::check::Severity;
use crate::diagnostic::{self, Code, Diagnostic};
use crate::eval::{ControlInfo, ControlOutcome, ModelOutcome, RunReport, Status};
use crate::source::Location;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// How a result compares with a baseline run (set by a comparison with a base revision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BaselineState {
    New,
    Unchanged,
    Updated,
    Absent,
}

#[derive(Debug, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    pub column_kind: &'static str,
    pub results: Vec<SarifResult>,
    pub properties: RunProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunProperties {
    pub as_of: String,
    pub policy: String,
    pub policy_version: String,
    pub policy_digest: String,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub driver: Driver,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: String,
    pub semantic_version: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Serialize)]
pub struct Text {
    pub text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub short_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_description: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    pub default_configuration: Configuration,
    pub properties: RuleProperties,
}

#[derive(Debug, Serialize)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Debug, Serialize)]
pub struct RuleProperties {
    /// Framework clauses (`eu-ai-act Art 10(2)(f)`), pillar and stage, or the code's stage.
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    pub rule_index: usize,
    pub level: &'static str,
    pub message: Text,
    pub locations: Vec<ResultLocation>,
    pub partial_fingerprints: BTreeMap<String, String>,
    /// Filled by a comparison with a base revision; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<BaselineState>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    pub properties: ResultProperties,
}

#[derive(Debug, Serialize)]
pub struct Suppression {
    pub kind: &'static str,
    pub status: &'static str,
    pub justification: String,
}

#[derive(Debug, Serialize)]
pub struct ResultProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
    pub blocking: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultLocation {
    pub physical_location: PhysicalLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    /// Relative to the repository root.
    pub uri: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: usize,
    pub start_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<usize>,
}

/// SARIF level of a control severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn diag_level(s: diagnostic::Severity) -> &'static str {
    match s {
        diagnostic::Severity::Error => "error",
        diagnostic::Severity::Warning => "warning",
        diagnostic::Severity::Note => "note",
    }
}

/// A relative URI reference for a repository path: `/`-separated, with characters outside the
/// unreserved and path sets percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(loc: Option<&Location>, fallback: &str) -> ResultLocation {
    let (file, region) = match loc {
        Some(l) if !l.file.is_empty() => {
            let region = (l.line > 0).then(|| Region {
                start_line: l.line,
                start_column: l.column.max(1),
                end_line: (l.end_line >= l.line).then_some(l.end_line),
                end_column: (l.end_line >= l.line && l.end_column > 0).then_some(l.end_column),
            });
            (l.file.as_str(), region)
        }
        _ => (fallback, None),
    };
    ResultLocation {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri: uri(file) },
            region,
        },
    }
}

fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    base16ct::lower::encode_string(&h.finalize())
}

fn message(m: &ModelOutcome, c: &ControlOutcome) -> String {
    let mut parts = vec![format!("{} `{}`: {}", m.id, c.id, c.title)];
    match c.status {
        Status::Blocked => parts.push(format!("blocked by {}", c.blocked_by.join(" <- "))),
        Status::Error => parts.push(format!(
            "could not be evaluated: {}",
            c.error.clone().unwrap_or_default()
        )),
        Status::Pass | Status::Fail | Status::Waived | Status::NotApplicable | Status::Upcoming => {
            for f in &c.findings {
                if let Some(msg) = &f.message {
                    parts.push(msg.clone());
                }
                parts.extend(f.witnesses.iter().map(|w| w.text.clone()));
            }
        }
    }
    parts.join(". ")
}

struct Rules {
    rules: Vec<Rule>,
    index: BTreeMap<String, usize>,
}

impl Rules {
    fn add(&mut self, id: &str, make: impl FnOnce() -> Rule) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.rules.len();
        self.rules.push(make());
        self.index.insert(id.to_string(), i);
        i
    }
}

fn control_rule(c: &ControlInfo) -> Rule {
    let mut tags: Vec<String> = c
        .maps
        .iter()
        .map(|r| format!("{} {}", r.framework, r.clause))
        .collect();
    tags.extend(c.pillar.iter().map(|p| format!("pillar:{p}")));
    tags.extend(c.stage.iter().map(|s| format!("stage:{s}")));
    Rule {
        id: c.id.clone(),
        name: None,
        short_description: Text {
            text: c.title.clone(),
        },
        full_description: None,
        help: c.remediation.clone().map(|text| Text { text }),
        default_configuration: Configuration {
            level: level(c.severity),
        },
        properties: RuleProperties {
            tags,
            severity: Some(c.severity.as_str()),
        },
    }
}

fn code_rule(code: Code) -> Rule {
    let info = code.info();
    Rule {
        id: info.name.to_string(),
        name: None,
        short_description: Text {
            text: info.summary.to_string(),
        },
        full_description: None,
        help: Some(Text {
            text: info.docs.to_string(),
        }),
        default_configuration: Configuration {
            level: diag_level(info.severity),
        },
        properties: RuleProperties {
            tags: vec![info.name.split('/').next().unwrap_or(info.name).to_string()],
            severity: None,
        },
    }
}

fn diag_result(d: &Diagnostic, rule_index: usize, model: Option<&ModelOutcome>) -> SarifResult {
    let fallback = model.map_or("mrm.toml", |m| m.file.as_str());
    let mut text = d.message.clone();
    if let Some(h) = &d.help {
        text.push_str("; ");
        text.push_str(h);
    }
    SarifResult {
        rule_id: d.code.as_str().to_string(),
        rule_index,
        level: diag_level(d.severity),
        message: Text { text },
        locations: vec![location(d.location(), fallback)],
        partial_fingerprints: BTreeMap::from([(
            "mrmDiagnostic/v1".to_string(),
            fingerprint(&[
                model.map_or("", |m| m.id.as_str()),
                d.code.as_str(),
                &d.message,
            ]),
        )]),
        baseline_state: None,
        suppressions: Vec::new(),
        properties: ResultProperties {
            model: model.map(|m| m.id.clone()),
            status: None,
            severity: None,
            // A model's metadata that could not be read, or an id it shares, blocks the run.
            blocking: model.is_some() && d.code.blocks_model(),
            remediation: None,
        },
    }
}

/// Builds the SARIF log. Results carry `properties.model` and `ruleId` (the control or the
/// diagnostic code), which a baseline comparison matches on before setting `baseline_state`.
pub fn log(report: &RunReport) -> Log {
    let mut rules = Rules {
        rules: Vec::new(),
        index: BTreeMap::new(),
    };
    // Rules in a stable order: controls by id, then diagnostic codes by name.
    let controls: BTreeMap<&str, &ControlInfo> = report
        .controls
        .iter()
        .map(|c| (c.id.as_str(), &**c))
        .collect();
    for (id, c) in &controls {
        rules.add(id, || control_rule(c));
    }
    let mut codes: Vec<Code> = report
        .diagnostics
        .iter()
        .chain(report.models.iter().flat_map(|m| m.diagnostics.iter()))
        .map(|d| d.code)
        .collect();
    codes.sort_by_key(|c| c.as_str());
    codes.dedup();
    for code in codes {
        rules.add(code.as_str(), || code_rule(code));
    }

    let mut results = Vec::new();
    for d in &report.diagnostics {
        let i = rules.add(d.code.as_str(), || code_rule(d.code));
        results.push(diag_result(d, i, None));
    }
    for m in &report.models {
        for d in &m.diagnostics {
            let i = rules.add(d.code.as_str(), || code_rule(d.code));
            results.push(diag_result(d, i, Some(m)));
        }
        for c in &m.controls {
            let suppression = match c.status {
                Status::Fail | Status::Blocked | Status::Error => None,
                Status::Waived => Some(Suppression {
                    kind: "external",
                    status: "accepted",
                    justification: c.waiver.as_ref().map_or_else(String::new, |w| {
                        format!(
                            "{} (approved by {}, {} until {})",
                            w.justification, w.approver, w.ticket, w.expires
                        )
                    }),
                }),
                Status::Pass | Status::NotApplicable | Status::Upcoming => continue,
            };
            let i = rules.add(&c.id, || control_rule(c));
            results.push(SarifResult {
                rule_id: c.id.clone(),
                rule_index: i,
                level: level(c.severity),
                message: Text {
                    text: message(m, c),
                },
                locations: vec![location(c.location.as_deref(), &m.file)],
                partial_fingerprints: BTreeMap::from([(
                    "mrmModelControl/v1".to_string(),
                    fingerprint(&[&m.id, &c.id]),
                )]),
                baseline_state: None,
                suppressions: suppression.into_iter().collect(),
                properties: ResultProperties {
                    model: Some(m.id.clone()),
                    status: Some(c.status.as_str()),
                    severity: Some(c.severity.as_str()),
                    blocking: c.blocking,
                    remediation: c.remediation().map(str::to_string),
                },
            });
        }
    }
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "mrm",
                    version: report.mrm_version.to_string(),
                    semantic_version: report.mrm_version.to_string(),
                    rules: rules.rules,
                },
            },
            column_kind: "unicodeCodePoints",
            results,
            properties: RunProperties {
                as_of: report.as_of.clone(),
                policy: report.policy.name.clone(),
                policy_version: report.policy.version.clone(),
                policy_digest: report.policy.digest.clone(),
            },
        }],
    }
}

pub fn render(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report)).map_err(io::Error::other)?;
    writeln!(out)
}
