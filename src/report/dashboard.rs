//! The dashboard view model shared by the HTML and Markdown reports: a [`RunReport`] arranged for
//! a model risk committee — verdict, alerts, a framework × model heat map, one section per model
//! (KRIs, open controls with why and how to fix, evidence), waivers and repository diagnostics.
//! Templates read this and nothing else; it is computed from the report alone.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;

use crate::check::Severity;
use crate::diagnostic::Diagnostic;
use crate::eval::{ControlOutcome, KriLevel, ModelOutcome, RunReport, Status, WaiverState};

#[derive(Debug, Serialize)]
pub struct Dashboard {
    pub as_of: String,
    pub repository: String,
    pub mrm_version: String,
    pub policy: Policy,
    pub frameworks: Vec<FrameworkCol>,
    pub summary: Totals,
    pub alerts: Vec<Alert>,
    pub heatmap: Vec<HeatRow>,
    pub models: Vec<ModelView>,
    pub waivers: Vec<WaiverView>,
    pub diagnostics: Vec<DiagView>,
}

#[derive(Debug, Serialize)]
pub struct Policy {
    pub name: String,
    pub version: String,
    pub digest: String,
    pub controls: usize,
}

#[derive(Debug, Serialize)]
pub struct FrameworkCol {
    pub id: String,
    pub name: String,
    /// For a superseded framework: the sentence that says so and how to compare it with its
    /// successor.
    pub superseded: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Count {
    pub name: String,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct Totals {
    pub models: usize,
    pub blocking: usize,
    pub blocking_models: usize,
    pub models_with_errors: usize,
    pub open: usize,
    pub waived: usize,
    pub fail_on: String,
    /// `blocking` or `clear`.
    pub verdict: &'static str,
    pub by_tier: Vec<Count>,
    pub by_status: Vec<Count>,
    pub kris: Vec<Count>,
    pub waivers_applied: usize,
    pub waivers_rejected: usize,
}

/// One open control of one model, for the alert list.
#[derive(Debug, Serialize)]
pub struct Alert {
    pub model: String,
    pub model_name: String,
    pub anchor: String,
    pub control: String,
    pub title: String,
    pub severity: &'static str,
    pub status: &'static str,
    pub blocking: bool,
    pub summary: String,
    pub tier: String,
}

#[derive(Debug, Serialize)]
pub struct HeatCell {
    /// `gap`, `blocking`, `waived`, `upcoming`, `clear` or `none` (nothing applies).
    pub level: &'static str,
    pub gaps: usize,
    pub clauses: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct HeatRow {
    pub model: String,
    pub anchor: String,
    pub tier: String,
    pub cells: Vec<HeatCell>,
}

#[derive(Debug, Serialize)]
pub struct KriView {
    pub name: String,
    pub title: String,
    pub value: String,
    pub level: &'static str,
    pub yellow: String,
    pub red: String,
    pub unit: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct WitnessView {
    pub text: String,
    pub location: String,
}

#[derive(Debug, Serialize)]
pub struct FindingView {
    pub message: String,
    pub witnesses: Vec<WitnessView>,
}

#[derive(Debug, Serialize)]
pub struct ControlView {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub status: &'static str,
    pub severity: &'static str,
    pub blocking: bool,
    pub pillar: String,
    pub stage: String,
    pub maps: Vec<String>,
    pub findings: Vec<FindingView>,
    pub blocked_by: String,
    pub error: String,
    pub waiver: String,
    pub remediation: String,
    pub location: String,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct EvidenceView {
    pub path: String,
    pub present: bool,
    pub sha256: String,
    pub controls: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DiagView {
    pub code: String,
    pub severity: &'static str,
    pub message: String,
    pub location: String,
    pub help: String,
}

#[derive(Debug, Serialize)]
pub struct ModelView {
    pub id: String,
    pub anchor: String,
    pub name: String,
    pub tier: String,
    pub tier_reason: String,
    pub owner: String,
    pub validator: String,
    pub lifecycle: String,
    pub last_validation: String,
    pub vendor: String,
    pub file: String,
    /// `blocking`, `open`, `clear` or `not-evaluated`.
    pub verdict: &'static str,
    pub blocking: usize,
    pub kri_level: &'static str,
    pub kris: Vec<KriView>,
    pub open: Vec<ControlView>,
    pub passed: Vec<String>,
    pub not_applicable: usize,
    pub counts: Vec<Count>,
    pub evidence: Vec<EvidenceView>,
    pub evidence_missing: usize,
    /// KRIs per level (`red`, `yellow`, `green`, `unknown`).
    pub kri_counts: BTreeMap<&'static str, usize>,
    pub diagnostics: Vec<DiagView>,
}

#[derive(Debug, Serialize)]
pub struct WaiverView {
    pub model: String,
    pub anchor: String,
    pub control: String,
    pub ticket: String,
    pub approver: String,
    pub expires: String,
    pub state: &'static str,
    pub justification: String,
}

/// A fragment id for a model: `model-` and the id with anything but `[A-Za-z0-9_-]` replaced.
pub fn anchor(prefix: &str, id: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + id.len() + 1);
    s.push_str(prefix);
    s.push('-');
    for ch in id.chars() {
        if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
            s.push(ch);
        } else {
            s.push('_');
        }
    }
    s
}

fn severity_str(s: Severity) -> &'static str {
    s.as_str()
}

fn waiver_state(s: WaiverState) -> &'static str {
    match s {
        WaiverState::Applied => "applied",
        WaiverState::Expired => "expired",
        WaiverState::SelfApproved => "self-approved",
        WaiverState::Unused => "unused",
        WaiverState::UnknownTarget => "unknown-target",
        WaiverState::AmbiguousModel => "ambiguous-model",
    }
}

fn diag(d: &Diagnostic) -> DiagView {
    DiagView {
        code: d.code.as_str().to_string(),
        severity: d.severity.as_str(),
        message: d.message.clone(),
        location: d.location().map(|l| l.to_string()).unwrap_or_default(),
        help: d.help.clone().unwrap_or_default(),
    }
}

/// A one-line reason for an open control.
pub fn summary_line(c: &ControlOutcome) -> String {
    match c.status {
        Status::Blocked => format!("blocked by {}", c.blocked_by.join(" ← ")),
        Status::Error => c.error.clone().unwrap_or_default(),
        Status::Waived => c.waiver.as_ref().map_or_else(String::new, |w| {
            format!(
                "waived by {} ({}) until {}",
                w.approver, w.ticket, w.expires
            )
        }),
        Status::Pass | Status::Fail | Status::NotApplicable | Status::Upcoming => {
            let f = c.findings.first();
            let msg = f.and_then(|f| f.message.clone());
            let wit = f.and_then(|f| f.witnesses.first()).map(|w| w.text.clone());
            match (msg, wit) {
                (Some(m), _) => m,
                (None, Some(w)) => w,
                (None, None) => c.title.clone(),
            }
        }
    }
}

fn control_view(m: &ModelOutcome, c: &ControlOutcome) -> ControlView {
    ControlView {
        id: c.id.clone(),
        anchor: anchor(&anchor("c", &m.id), &c.id),
        title: c.title.clone(),
        status: c.status.as_str(),
        severity: severity_str(c.severity),
        blocking: c.blocking,
        pillar: c.pillar.clone().unwrap_or_default(),
        stage: c.stage.clone().unwrap_or_default(),
        maps: c
            .maps
            .iter()
            .map(|r| format!("{} {}", r.framework, r.clause))
            .collect(),
        findings: c
            .findings
            .iter()
            .map(|f| FindingView {
                message: f.message.clone().unwrap_or_default(),
                witnesses: f
                    .witnesses
                    .iter()
                    .map(|w| {
                        // "evidence file `x` is missing" already names the place.
                        let location = w
                            .location
                            .as_ref()
                            .map(|l| l.to_string())
                            .filter(|l| !w.text.contains(l.as_str()))
                            .unwrap_or_default();
                        WitnessView {
                            text: w.text.clone(),
                            location,
                        }
                    })
                    .collect(),
            })
            .collect(),
        blocked_by: c.blocked_by.join(" ← "),
        error: c.error.clone().unwrap_or_default(),
        waiver: c.waiver.as_ref().map_or_else(String::new, |w| {
            format!(
                "waived by {} ({}) until {}: {}",
                w.approver, w.ticket, w.expires, w.justification
            )
        }),
        remediation: c.remediation().unwrap_or_default().to_string(),
        location: c
            .location
            .as_ref()
            .map(|l| l.to_string())
            .unwrap_or_default(),
        notes: c.notes.clone(),
    }
}

fn verdict(m: &ModelOutcome) -> &'static str {
    if !m.evaluated {
        "not-evaluated"
    } else if m.blocking > 0 {
        "blocking"
    } else if m.open().any(|c| c.status != Status::Upcoming) {
        "open"
    } else {
        "clear"
    }
}

fn open_sorted(m: &ModelOutcome) -> Vec<&ControlOutcome> {
    let mut open: Vec<&ControlOutcome> = m.open().collect();
    open.sort_by(|a, b| (!a.blocking, a.severity, &a.id).cmp(&(!b.blocking, b.severity, &b.id)));
    open
}

/// One model's cell for one framework: the clauses the law binds the model to (in force, or
/// undecided) behind a failing control. A superseded framework's gaps never make it `blocking`
/// unless the firm opted in.
fn heat_cell(report: &RunReport, m: &ModelOutcome, framework: &str) -> HeatCell {
    use crate::applicability::Verdict;
    let mut gaps = BTreeSet::new();
    let mut blocking = false;
    let mut waived = false;
    let mut upcoming = false;
    let mut applies = false;
    for c in &m.controls {
        if c.status == Status::NotApplicable {
            continue;
        }
        for r in c.maps.iter().filter(|r| r.framework == framework) {
            let law = report.decision(m, &r.framework, &r.clause);
            let binds = law.map_or(r.in_force, |d| {
                matches!(d.verdict, Verdict::InForce | Verdict::Undecided)
            });
            if law.is_some_and(|d| d.verdict == Verdict::NotApplicable) {
                continue;
            }
            applies = true;
            match c.status {
                Status::Fail | Status::Blocked | Status::Error if binds => {
                    gaps.insert(r.clause.clone());
                    blocking |= c.blocking && !law.is_some_and(|d| d.legacy);
                }
                Status::Waived => waived = true,
                Status::Upcoming => upcoming = true,
                Status::Fail | Status::Blocked | Status::Error => upcoming = true,
                Status::Pass | Status::NotApplicable => {}
            }
        }
    }
    let level = if blocking {
        "blocking"
    } else if !gaps.is_empty() {
        "gap"
    } else if waived {
        "waived"
    } else if upcoming {
        "upcoming"
    } else if applies {
        "clear"
    } else {
        "none"
    };
    HeatCell {
        level,
        gaps: gaps.len(),
        clauses: gaps.into_iter().collect(),
    }
}

fn model_view(m: &ModelOutcome) -> ModelView {
    let open = open_sorted(m);
    let mut evidence: BTreeMap<String, EvidenceView> = BTreeMap::new();
    for c in &m.controls {
        for e in &c.evidence {
            let v = evidence
                .entry(e.path.clone())
                .or_insert_with(|| EvidenceView {
                    path: e.path.clone(),
                    present: e.present,
                    sha256: e.sha256.clone().unwrap_or_default(),
                    controls: Vec::new(),
                });
            if !v.controls.contains(&c.id) {
                v.controls.push(c.id.clone());
            }
        }
    }
    ModelView {
        id: m.id.clone(),
        anchor: anchor("model", &m.id),
        name: m.name.clone(),
        tier: m.tier.as_ref().map(|t| t.tier.clone()).unwrap_or_default(),
        tier_reason: m
            .tier
            .as_ref()
            .map(|t| t.label.clone().unwrap_or_else(|| t.condition.clone()))
            .unwrap_or_default(),
        owner: m.owner.clone().unwrap_or_default(),
        validator: m.validator.clone().unwrap_or_default(),
        lifecycle: m.lifecycle.clone().unwrap_or_default(),
        last_validation: m.last_validation.clone().unwrap_or_default(),
        vendor: m.vendor.clone().unwrap_or_default(),
        file: m.file.clone(),
        verdict: verdict(m),
        blocking: m.blocking,
        kri_level: m.kri_level().as_str(),
        kris: m
            .kris
            .iter()
            .map(|k| KriView {
                name: k.name.clone(),
                title: k.title.clone(),
                value: if k.value.is_none() {
                    String::new()
                } else {
                    k.value.to_string()
                },
                level: k.level.as_str(),
                yellow: k.yellow.clone().unwrap_or_default(),
                red: k.red.clone().unwrap_or_default(),
                unit: k.unit.clone().unwrap_or_default(),
                error: k.error.clone().unwrap_or_default(),
            })
            .collect(),
        open: open.iter().map(|c| control_view(m, c)).collect(),
        passed: m
            .controls
            .iter()
            .filter(|c| c.status == Status::Pass)
            .map(|c| c.id.clone())
            .collect(),
        not_applicable: m.counts.get(&Status::NotApplicable).copied().unwrap_or(0),
        counts: m
            .counts
            .iter()
            .map(|(s, n)| Count {
                name: s.as_str().to_string(),
                count: *n,
            })
            .collect(),
        evidence_missing: evidence.values().filter(|e| !e.present).count(),
        evidence: evidence.into_values().collect(),
        kri_counts: [
            KriLevel::Red,
            KriLevel::Yellow,
            KriLevel::Green,
            KriLevel::Unknown,
        ]
        .iter()
        .map(|l| (l.as_str(), m.kris.iter().filter(|k| k.level == *l).count()))
        .collect(),
        diagnostics: m.diagnostics.iter().map(diag).collect(),
    }
}

/// Builds the view model.
pub fn build(report: &RunReport) -> Dashboard {
    let s = &report.summary;
    let mut alerts = Vec::new();
    for m in &report.models {
        let tier = m.tier.as_ref().map(|t| t.tier.clone()).unwrap_or_default();
        for c in open_sorted(m) {
            if matches!(c.status, Status::Upcoming) {
                continue;
            }
            alerts.push(Alert {
                model: m.id.clone(),
                model_name: m.name.clone(),
                anchor: anchor(&anchor("c", &m.id), &c.id),
                control: c.id.clone(),
                title: c.title.clone(),
                severity: severity_str(c.severity),
                status: c.status.as_str(),
                blocking: c.blocking,
                summary: summary_line(c),
                tier: tier.clone(),
            });
        }
    }
    alerts.sort_by(|a, b| {
        (
            !a.blocking,
            a.status == "waived",
            a.severity_rank(),
            &a.model,
            &a.control,
        )
            .cmp(&(
                !b.blocking,
                b.status == "waived",
                b.severity_rank(),
                &b.model,
                &b.control,
            ))
    });
    let count = |state: WaiverState| report.waivers.iter().filter(|w| w.state == state).count();
    let open: usize = report.models.iter().map(|m| m.open().count()).sum();
    Dashboard {
        as_of: report.as_of.clone(),
        repository: report.repository.clone(),
        mrm_version: report.mrm_version.to_string(),
        policy: Policy {
            name: report.policy.name.clone(),
            version: report.policy.version.clone(),
            digest: report.policy.digest.clone(),
            controls: report.policy.controls,
        },
        frameworks: report
            .frameworks
            .iter()
            .map(|f| FrameworkCol {
                id: f.id.clone(),
                name: f.name.clone(),
                superseded: f
                    .superseded
                    .as_ref()
                    .map(|x| format!("{} is {}", f.name, x.note())),
            })
            .collect(),
        summary: Totals {
            models: s.models,
            blocking: s.blocking,
            blocking_models: s.blocking_models,
            models_with_errors: s.models_with_errors,
            open,
            waived: s.by_status.get(&Status::Waived).copied().unwrap_or(0),
            fail_on: s
                .fail_on
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            verdict: if s.blocking > 0 { "blocking" } else { "clear" },
            by_tier: s
                .by_tier
                .iter()
                .map(|(k, n)| Count {
                    name: k.clone(),
                    count: *n,
                })
                .collect(),
            by_status: Status::ALL
                .iter()
                .map(|st| Count {
                    name: st.as_str().to_string(),
                    count: s.by_status.get(st).copied().unwrap_or(0),
                })
                .collect(),
            kris: [
                KriLevel::Red,
                KriLevel::Yellow,
                KriLevel::Green,
                KriLevel::Unknown,
            ]
            .iter()
            .map(|l| Count {
                name: l.as_str().to_string(),
                count: s.kris.get(l.as_str()).copied().unwrap_or(0),
            })
            .collect(),
            waivers_applied: count(WaiverState::Applied),
            waivers_rejected: count(WaiverState::Expired)
                + count(WaiverState::SelfApproved)
                + count(WaiverState::AmbiguousModel),
        },
        alerts,
        heatmap: report
            .models
            .iter()
            .map(|m| HeatRow {
                model: m.id.clone(),
                anchor: anchor("model", &m.id),
                tier: m.tier.as_ref().map(|t| t.tier.clone()).unwrap_or_default(),
                cells: report
                    .frameworks
                    .iter()
                    .map(|f| {
                        if m.evaluated {
                            heat_cell(report, m, &f.id)
                        } else {
                            HeatCell {
                                level: "error",
                                gaps: 0,
                                clauses: Vec::new(),
                            }
                        }
                    })
                    .collect(),
            })
            .collect(),
        models: report.models.iter().map(model_view).collect(),
        waivers: report
            .waivers
            .iter()
            .map(|w| WaiverView {
                model: w.model.clone(),
                anchor: anchor("model", &w.model),
                control: w.control.clone(),
                ticket: w.ticket.clone(),
                approver: w.approver.clone(),
                expires: w.expires.clone(),
                state: waiver_state(w.state),
                justification: w.justification.clone(),
            })
            .collect(),
        diagnostics: report.diagnostics.iter().map(diag).collect(),
    }
}

impl Alert {
    fn severity_rank(&self) -> usize {
        Severity::ALL
            .iter()
            .position(|s| s.as_str() == self.severity)
            .unwrap_or(usize::MAX)
    }
}

/// A template environment with strict undefined behaviour and the templates of `templates/`.
/// Auto-escaping follows the template name (`.html` escapes, `.md` does not).
pub fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.add_filter("md", md_escape);
    env.add_filter("cell", md_cell);
    env.add_filter("code", md_code);
    env.add_filter("plural", plural);
    env.add_filter("ticks", ticks);
    env.add_template("dashboard.html", include_str!("templates/dashboard.html"))?;
    env.add_template("heat-row.html", include_str!("templates/heat-row.html"))?;
    env.add_template("model-row.html", include_str!("templates/model-row.html"))?;
    env.add_template(
        "model-detail.html",
        include_str!("templates/model-detail.html"),
    )?;
    env.add_template("style.css", include_str!("templates/style.css"))?;
    env.add_template("dashboard.md", include_str!("templates/dashboard.md"))?;
    env.add_template("heat-row.md", include_str!("templates/heat-row.md"))?;
    env.add_template("model-row.md", include_str!("templates/model-row.md"))?;
    env.add_template("model-detail.md", include_str!("templates/model-detail.md"))?;
    Ok(env)
}

/// The per-model parts of a page, rendered from `heat-row`, `model-row` and `model-detail`.
#[derive(Debug, Default)]
struct Parts {
    heat: Vec<Value>,
    rows: Vec<Value>,
    details: Vec<Value>,
}

/// Renders a template of [`environment`] (`dashboard.html` or `dashboard.md`) with the dashboard
/// of `report`. The per-model parts (heat map row, inventory row, details) are rendered first,
/// one model at a time and in parallel, and the page places them in model order.
pub fn render(template: &str, report: &RunReport) -> std::io::Result<String> {
    use rayon::prelude::*;
    let err = std::io::Error::other;
    let env = environment().map_err(err)?;
    let ext = template.rsplit('.').next().unwrap_or("html");
    let page = env.get_template(template).map_err(err)?;
    let part = |name: &str| env.get_template(&format!("{name}.{ext}")).map_err(err);
    let (heat_row, model_row, model_detail) =
        (part("heat-row")?, part("model-row")?, part("model-detail")?);
    let mut view = build(report);
    let models = std::mem::take(&mut view.models);
    let heatmap = std::mem::take(&mut view.heatmap);
    let as_of = view.as_of.as_str();
    let rendered: Vec<Result<[Value; 3], minijinja::Error>> = models
        .par_iter()
        .zip(heatmap.par_iter())
        .map(|(m, r)| {
            let m = Value::from(minijinja::value::Serde(m));
            let r = Value::from(minijinja::value::Serde(r));
            Ok([
                Value::from_safe_string(heat_row.render(minijinja::context! { r })?),
                Value::from_safe_string(model_row.render(minijinja::context! { m => m.clone() })?),
                Value::from_safe_string(model_detail.render(minijinja::context! { m, as_of })?),
            ])
        })
        .collect();
    let mut parts = Parts::default();
    for r in rendered {
        let [heat, row, detail] = r.map_err(err)?;
        parts.heat.push(heat);
        parts.rows.push(row);
        parts.details.push(detail);
    }
    page.render(minijinja::context! {
        d => Value::from(minijinja::value::Serde(&view)),
        parts => minijinja::context! {
            heat => Value::from(parts.heat),
            rows => Value::from(parts.rows),
            details => Value::from(parts.details),
        },
    })
    .map_err(err)
}

/// Markdown text: `<` as an entity so user text cannot open HTML; lines joined.
/// Markdown prose: repository text cannot open a link, image, raw HTML or block (see
/// [`crate::inert::markdown_ticks`]); backtick-quoted parts stay code spans.
fn md_escape(s: String) -> String {
    crate::inert::markdown_ticks(&s, false)
}

/// A Markdown table cell: also escapes `|` inside code spans.
fn md_cell(s: String) -> String {
    crate::inert::markdown_ticks(&s, true)
}

/// A Markdown code span holding repository text, fenced so that the text cannot close it.
fn md_code(s: String) -> String {
    crate::inert::markdown_code(&s)
}

/// HTML text with `code` spans: the text is escaped, then each pair of backticks becomes
/// `<code>…</code>` (engine messages quote metadata paths and values in backticks).
fn ticks(s: String) -> Value {
    let mut out = String::with_capacity(s.len() + 16);
    for (i, part) in s.split('`').enumerate() {
        let odd = i % 2 == 1;
        if odd {
            out.push_str("<code>");
        }
        for ch in part.chars() {
            match ch {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#x27;"),
                other => out.push(other),
            }
        }
        if odd {
            out.push_str("</code>");
        }
    }
    // An unpaired backtick left a `<code>` open: close it.
    if s.split('`').count().is_multiple_of(2) {
        out.push_str("</code>");
    }
    Value::from_safe_string(out)
}

/// `n word` or `n words`.
fn plural(n: usize, word: String) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
