//! One run, end to end: read the repository's configuration, load the policies and catalogs,
//! read waivers, discover and load models, evaluate. Commands call [`run`]; reporters and packs
//! take the [`Run`] it returns.
//!
//! Problems with configuration, policies or the waiver file stop the run (exit 2) and come back as
//! diagnostics in [`Failure`]; problems with individual models are part of the report.

use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::config::{self, Config};
use crate::diagnostic::{Code, Diagnostic};
use crate::eval::{self, Inputs, Options, PolicyInfo, RunReport};
use crate::framework::Catalogs;
use crate::library::{self, PolicySet, PolicySource};
use crate::repo::{self, Tree, WorkTree};
use crate::source::{Location, SourceFile, SourceMap};
use crate::waiver::{self, Waiver};

/// What to run.
#[derive(Debug, Clone)]
pub struct Request {
    pub repo: PathBuf,
    /// Explicit policy sources; empty means the repository's `mrm.toml`, else the embedded library.
    pub policies: Vec<PathBuf>,
    /// Keep the embedded library when explicit policies are given.
    pub with_default: bool,
    pub as_of: Date,
    /// Frameworks to report on (empty: the configuration's, else all).
    pub frameworks: Vec<String>,
    /// Override of the blocking severities.
    pub fail_on: Option<Vec<String>>,
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    pub report: RunReport,
    pub policy: PolicySet,
    /// Every file that diagnostics may point into: policies, catalogs, configuration, waivers,
    /// model metadata.
    pub sources: SourceMap,
    pub config: Config,
    pub models: Vec<repo::Model>,
}

/// Why a run could not produce a report.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

fn read_optional(tree: &dyn Tree, name: &str) -> Result<Option<SourceFile>, Diagnostic> {
    match tree.read_capped(name, repo::MAX_METADATA_SIZE as u64) {
        Ok(read) => match String::from_utf8(read.bytes) {
            Ok(text) => {
                let file = SourceFile::new(name, text);
                Ok(Some(if read.via_link { file.hide() } else { file }))
            }
            Err(_) => Err(Diagnostic::new(
                Code::InvalidUtf8,
                format!("`{name}` is not valid UTF-8"),
            )
            .at(Location::file(name), "")),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(repo::read::diagnostic(name, &e)),
    }
}

/// Reads configuration and waivers from a tree. Used for working directories and git revisions.
pub fn read_repo_files(
    tree: &dyn Tree,
    sources: &mut SourceMap,
) -> Result<(Config, Vec<Waiver>), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut config = Config::default();
    match read_optional(tree, "mrm.toml") {
        Ok(Some(f)) => {
            match config::parse(&f) {
                Ok(c) => config = c,
                Err(d) => diags.push(d),
            }
            sources.add(f);
        }
        Ok(None) => {}
        Err(d) => diags.push(d),
    }
    let mut waivers = Vec::new();
    match read_optional(tree, "waivers.toml") {
        Ok(Some(f)) => {
            match waiver::parse(&f) {
                Ok(w) => waivers = w,
                Err(d) => diags.push(d),
            }
            sources.add(f);
        }
        Ok(None) => {}
        Err(d) => diags.push(d),
    }
    if diags.is_empty() {
        Ok((config, waivers))
    } else {
        Err(diags)
    }
}

/// Loads the policies a request asks for.
pub fn load_policies(req: &Request, config: &Config, repo_root: &Path) -> PolicySet {
    let (catalogs, cat_diags) = Catalogs::embedded();
    let mut sources = Vec::new();
    if !req.policies.is_empty() {
        if req.with_default {
            sources.push(PolicySource::Embedded);
        }
        sources.extend(req.policies.iter().cloned().map(PolicySource::Path));
    } else if !config.policy.paths.is_empty() {
        if config.policy.include_default {
            sources.push(PolicySource::Embedded);
        }
        sources.extend(
            config
                .policy
                .paths
                .iter()
                .map(|p| PolicySource::InRepository {
                    root: repo_root.to_path_buf(),
                    path: p.clone(),
                }),
        );
    } else {
        sources.push(PolicySource::Embedded);
    }
    let mut set = library::load(&sources, catalogs);
    set.diagnostics.extend(cat_diags);
    set
}

/// Runs a check on a working directory, showing a spinner on standard error while it works when
/// `progress` is set (the CLI sets it when standard error is a terminal).
pub fn run_with_progress(req: &Request, progress: bool) -> Result<Run, Failure> {
    if !progress {
        return run(req);
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("checking {}", req.repo.display()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    let result = run(req);
    spinner.finish_and_clear();
    result
}

/// Runs a check on a working directory.
pub fn run(req: &Request) -> Result<Run, Failure> {
    run_in(req, &open(req)?)
}

/// The working directory of a request as a tree, with its git history when it is a clone.
pub fn open(req: &Request) -> Result<crate::git::WithHistory<WorkTree>, Failure> {
    let tree = WorkTree::new(&req.repo).map_err(|e| Failure {
        diagnostics: vec![
            Diagnostic::new(
                Code::Unreadable,
                format!("cannot open repository `{}`: {e}", req.repo.display()),
            )
            .at(Location::file(req.repo.display().to_string()), ""),
        ],
        sources: SourceMap::new(),
    })?;
    // History is evidence for the `git.*` builtins when the directory is inside a clone.
    Ok(crate::git::WithHistory::discover(tree, &req.repo))
}

/// Runs a check on the working directory of a request, read through `tree` (see [`open`]).
pub fn run_in(req: &Request, tree: &dyn Tree) -> Result<Run, Failure> {
    let mut repo_sources = SourceMap::new();
    let (config, waivers) = read_repo_files(tree, &mut repo_sources).map_err(|d| Failure {
        diagnostics: d,
        sources: repo_sources.clone(),
    })?;
    let policy = load_policies(req, &config, &req.repo);
    let run = run_tree(req, tree, policy, config, waivers, repo_sources)?;
    // A check that finds nothing to check would pass whatever the repository holds.
    if run.models.is_empty() {
        return Err(Failure {
            diagnostics: vec![repo::no_models(&tree.describe())],
            sources: run.sources,
        });
    }
    Ok(run)
}

/// One warning per owner role of firm-level duties that `mrm.toml` does not name.
fn firm_owners_missing(
    program: &crate::check::Program,
    config: &Config,
    catalogs: &Catalogs,
) -> Vec<Diagnostic> {
    let mut by_role: std::collections::BTreeMap<&str, Vec<String>> =
        std::collections::BTreeMap::new();
    for s in &program.scopes {
        if let Some(owner) = &s.owner
            && !config.roles.firm_level.contains_key(owner)
        {
            let name = catalogs
                .get(&s.framework)
                .map_or(s.framework.as_str(), |f| f.meta.name.as_str());
            by_role
                .entry(owner.as_str())
                .or_default()
                .push(format!("{name} {}", s.clause));
        }
    }
    by_role
        .into_iter()
        .map(|(role, clauses)| {
            Diagnostic::new(
                Code::FirmOwnerMissing,
                format!(
                    "the firm-level duties owned by `{role}` ({}) have no named owner",
                    clauses.join(", ")
                ),
            )
            .at(Location::file("mrm.toml"), "")
            .help(format!(
                "name who keeps their evidence: `{role} = \"…\"` under `[roles.firm_level]` in mrm.toml"
            ))
        })
        .collect()
}

/// Runs a check on any tree with already-loaded policies, configuration and waivers.
pub fn run_tree(
    req: &Request,
    tree: &dyn Tree,
    policy: PolicySet,
    config: Config,
    waivers: Vec<Waiver>,
    repo_sources: SourceMap,
) -> Result<Run, Failure> {
    let mut policy = policy;
    let mut sources = policy.sources.clone();
    for (_, f) in repo_sources.files() {
        sources.add(f.clone());
    }
    if policy.has_errors() {
        return Err(Failure {
            diagnostics: policy.all_diagnostics(),
            sources,
        });
    }
    // The firm's calibration of the policies' parameters.
    let overrides =
        crate::params::apply(&mut policy.checked.program, &config.params, &repo_sources);
    if !overrides.is_empty() {
        return Err(Failure {
            diagnostics: overrides,
            sources,
        });
    }
    let mut frameworks = if req.frameworks.is_empty() {
        config.frameworks.in_scope.clone()
    } else {
        req.frameworks.clone()
    };
    frameworks.sort();
    frameworks.dedup();
    let unknown: Vec<Diagnostic> = frameworks
        .iter()
        .filter(|f| policy.catalogs.get(f).is_none())
        .map(|f| {
            let mut d = Diagnostic::new(Code::ConfigInvalid, format!("unknown framework `{f}`"));
            if let Some(h) = crate::diagnostic::did_you_mean(f, policy.catalogs.ids()) {
                d = d.help(h);
            }
            d.at(Location::file("mrm.toml"), "")
        })
        .collect();
    if !unknown.is_empty() {
        return Err(Failure {
            diagnostics: unknown,
            sources,
        });
    }
    let fail_on = match &req.fail_on {
        Some(list) => {
            let mut v = Vec::new();
            for s in list {
                match crate::check::Severity::parse(s) {
                    Some(x) => v.push(x),
                    None => {
                        return Err(Failure {
                            diagnostics: vec![
                                Diagnostic::new(
                                    Code::ConfigInvalid,
                                    format!("unknown severity `{s}` in --fail-on"),
                                )
                                .help("use critical, high, medium, low or info"),
                            ],
                            sources,
                        });
                    }
                }
            }
            v
        }
        None => config.fail_on(),
    };
    let options = Options {
        as_of: req.as_of,
        fail_on,
        frameworks,
        max_steps: config.limits.max_steps,
        law: config.law_settings(),
    };
    let (found, mut diagnostics) = repo::discover(tree).map_err(|e| Failure {
        diagnostics: vec![Diagnostic::new(
            Code::Unreadable,
            format!("cannot list the repository: {e}"),
        )],
        sources: sources.clone(),
    })?;
    let program = &policy.checked.program;
    diagnostics.extend(firm_owners_missing(program, &config, &policy.catalogs));
    let models = repo::load_all(tree, &found, program);
    for m in &models {
        if let Some(src) = &m.source {
            sources.add(src.clone());
        }
        for src in &m.extra_sources {
            sources.add(src.clone());
        }
    }
    let inputs = Inputs {
        program,
        catalogs: &policy.catalogs,
        tree,
        waivers: &waivers,
        options: &options,
    };
    let info = PolicyInfo {
        name: program.name.clone(),
        version: program.version.clone(),
        origin: policy.origin.clone(),
        digest: policy.digest.clone(),
        controls: program.controls.len(),
        params: program
            .params
            .iter()
            .map(|p| (p.name.clone(), p.value.clone()))
            .collect(),
    };
    let report = eval::evaluate(
        &inputs,
        &sources,
        &models,
        tree.describe(),
        info,
        std::mem::take(&mut diagnostics),
    );
    Ok(Run {
        report,
        policy,
        sources,
        config,
        models,
    })
}
