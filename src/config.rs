//! Repository configuration: `mrm.toml` at the repository root (optional).
//!
//! ```toml
//! [policy]
//! paths = ["policies"]        # policy files or folders, relative to the repository
//! include_default = false     # keep the embedded library as well
//!
//! [frameworks]
//! in_scope = ["sr-26-2", "eu-ai-act"]   # default: every catalog
//! legacy = ["sr-11-7"]                  # superseded frameworks whose gaps still block
//! apply_below_threshold = ["sr-26-2"]   # apply a framework below its firm-size threshold
//!
//! [firm]
//! total_assets_usd = 48_000_000_000     # for size thresholds (SR 26-2: USD 30bn)
//!
//! [params]                              # the firm's calibration of the policies' parameters
//! high_exposure = 75_000_000
//!
//! [check]
//! fail_on = ["critical", "high"]        # severities whose open gaps fail the run
//!
//! [roles]
//! model_risk_officer = "mro@acme.example"
//!
//! [roles.firm_level]                    # who evidences the duties of the firm as a whole
//! ai-governance = "ai.governance@acme.example"
//!
//! [limits]
//! max_steps = 1_000_000                 # step budget of each evaluation (quantifier items, …)
//! ```

use serde::Deserialize;

use crate::check::Severity;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::SourceFile;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub frameworks: FrameworksConfig,
    #[serde(default)]
    pub check: CheckConfig,
    #[serde(default)]
    pub roles: RolesConfig,
    #[serde(default)]
    pub firm: FirmConfig,
    /// The firm's values for the policies' parameters (`param NAME = …`).
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub limits: LimitsConfig,
}

/// Bounds on the work one run may do on hostile input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// The step budget of each evaluation (a control, a tier rule, a KRI): quantifier items,
    /// list items scanned by `in` and handed to builtins. An evaluation that runs out is an
    /// `error`, located at the list it was iterating.
    #[serde(default = "default_max_steps")]
    pub max_steps: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_steps: default_max_steps(),
        }
    }
}

fn default_max_steps() -> u64 {
    crate::eval::DEFAULT_MAX_STEPS
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub include_default: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworksConfig {
    #[serde(default)]
    pub in_scope: Vec<String>,
    /// Superseded frameworks whose gaps still count as blocking.
    #[serde(default)]
    pub legacy: Vec<String>,
    /// Frameworks the firm applies even below their firm-size threshold.
    #[serde(default)]
    pub apply_below_threshold: Vec<String>,
}

/// Facts about the firm that the law's application depends on.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmConfig {
    /// Total assets in USD, for size thresholds such as SR 26-2's USD 30bn.
    #[serde(default)]
    pub total_assets_usd: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    #[serde(default = "default_fail_on")]
    pub fail_on: Vec<String>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            fail_on: default_fail_on(),
        }
    }
}

fn default_fail_on() -> Vec<String> {
    vec!["critical".to_string(), "high".to_string()]
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesConfig {
    #[serde(default)]
    pub model_risk_officer: Option<String>,
    #[serde(default)]
    pub policy_owners: Vec<String>,
    /// Who keeps the evidence of each firm-level duty, by the owner role the policies name
    /// (`firm "Art 4" owner "ai-governance" …`).
    #[serde(default)]
    pub firm_level: std::collections::BTreeMap<String, String>,
}

impl Config {
    /// The settings the applicability rules read.
    pub fn law_settings(&self) -> crate::applicability::Settings {
        crate::applicability::Settings {
            total_assets_usd: self.firm.total_assets_usd,
            apply_below_threshold: self.frameworks.apply_below_threshold.clone(),
            legacy: self.frameworks.legacy.clone(),
        }
    }

    /// The blocking severities, validated.
    pub fn fail_on(&self) -> Vec<Severity> {
        let mut v: Vec<Severity> = self
            .check
            .fail_on
            .iter()
            .filter_map(|s| Severity::parse(s))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Parses `mrm.toml`.
pub fn parse(file: &SourceFile) -> Result<Config, Diagnostic> {
    let config: Config = toml::from_str(&file.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        Diagnostic::new(
            Code::ConfigInvalid,
            format!(
                "invalid configuration: {}",
                e.message().trim().trim_end_matches('.')
            ),
        )
        .at(file.locate(span.start, span.end), "here")
    })?;
    for s in &config.check.fail_on {
        if Severity::parse(s).is_none() {
            let at = file.text.find(&format!("\"{s}\"")).unwrap_or(0);
            return Err(Diagnostic::new(
                Code::ConfigInvalid,
                format!("unknown severity `{s}` in `check.fail_on`"),
            )
            .at(file.locate(at, at + s.len() + 2), "not a severity")
            .help("use critical, high, medium, low or info"));
        }
    }
    if config.limits.max_steps == 0 {
        let at = file.text.find("max_steps").unwrap_or(0);
        return Err(Diagnostic::new(
            Code::ConfigInvalid,
            "`limits.max_steps` must be at least 1".to_string(),
        )
        .at(file.locate(at, at + "max_steps".len()), "here")
        .help("leave it out for the default of 1,000,000 steps"));
    }
    // `mrm.toml` is part of the repository under review: its policy paths stay inside it.
    for p in &config.policy.paths {
        if !crate::library::is_relative_inside(p) {
            let at = locate_string(file, p);
            return Err(Diagnostic::new(
                Code::PathOutside,
                format!("policy path `{p}` leaves the repository"),
            )
            .at(at, "absolute, or holds `..`")
            .help(
                "name policies relative to the repository root, inside it; `--policy PATH` may \
                 name policies elsewhere",
            ));
        }
    }
    Ok(config)
}

/// The location of a string value in the file (the first occurrence of it quoted), or the
/// file's start.
fn locate_string(file: &SourceFile, value: &str) -> crate::source::Location {
    let quoted = toml::Value::String(value.to_string()).to_string();
    for needle in [quoted, format!("'{value}'")] {
        if let Some(at) = file.text.find(&needle) {
            return file.locate(at, at + needle.len());
        }
    }
    file.locate(0, 0)
}
