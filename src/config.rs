//! Repository configuration: `mrm.toml` at the repository root (optional).
//!
//! ```toml
//! [policy]
//! paths = ["policies"]        # policy files or folders, relative to the repository
//! include_default = false     # keep the embedded library as well
//!
//! [frameworks]
//! in_scope = ["sr-26-2", "eu-ai-act"]   # default: every catalog
//!
//! [check]
//! fail_on = ["critical", "high"]        # severities whose open gaps fail the run
//!
//! [roles]
//! model_risk_officer = "mro@acme.example"
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
}

impl Config {
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
