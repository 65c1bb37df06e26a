//! Pre-merge comparison: evaluate the base and the head revisions straight from git objects and
//! report the gaps a change introduces, fixes or leaves alone.
//!
//! Trust comes from the base revision: policies, `mrm.toml` and `waivers.toml` are read from it
//! and applied to both revisions, so a change cannot weaken its own gate. Edits to them in head
//! are listed as needing the policy owners' approval and are not applied.
//!
//! Only models whose files changed between the revisions are evaluated at head (every model when
//! policy inputs changed, though they are not applied, to keep the rule simple); untouched
//! models keep their base outcome, which is exact because their inputs are identical: evaluation
//! reads metadata and evidence inside the model's folder, and history builtins only read paths
//! inside it. By default untouched models are not evaluated at all (they can neither gain nor
//! lose a gap); `complete` evaluates them once, at base, for `--strict` and whole-run reports.

mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{GitError, GitRepo, GitTree, Revision, WithHistory};
use crate::check::Severity;
use crate::config::{self, Config};
use crate::diagnostic::{Code, Diagnostic};
use crate::engine::{self, Failure, Request, Run};
use crate::eval::{ControlOutcome, ModelOutcome, RunReport, Status, Summary};
use crate::framework::Catalogs;
use crate::library::{self, PolicySet, PolicySource};
use crate::repo::{self, EvidenceState, Tree};
use crate::source::{Location, SourceFile, SourceMap};

pub use text::render as render_text;

/// Version of the JSON merge report format.
pub const SCHEMA_VERSION: &str = "1";

/// What to compare.
#[derive(Debug, Clone)]
pub struct MergeRequest {
    /// The evaluation request; `repo` is a directory inside the git work tree.
    pub request: Request,
    /// The base revision (`origin/main`).
    pub base: String,
    /// The head revision (`HEAD`).
    pub head: String,
    /// Fail on any blocking gap at head, not only on new ones.
    pub strict: bool,
    /// Evaluate every model (at base; untouched models reuse the base outcome at head), so the
    /// head result and the unchanged gaps cover the whole repository. Otherwise only the models
    /// whose files changed are evaluated, at both revisions: untouched models have identical
    /// inputs, so they can neither gain nor lose a gap.
    pub complete: bool,
}

/// A revision as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionInfo {
    /// As given (`origin/main`).
    pub spec: String,
    pub commit: String,
}

/// Whether a head gap existed at base, in SARIF `baselineState` terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not a gap at base.
    New,
    /// A gap at both revisions.
    Unchanged,
    /// A gap at base only: fixed in head.
    Absent,
}

/// One gap: a (model, control) whose status is fail, blocked or error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub model: String,
    pub control: String,
    pub title: String,
    pub severity: Severity,
    /// The status at head (at base for fixed gaps).
    pub status: Status,
    /// Whether it blocks the run under the base configuration's thresholds.
    pub blocking: bool,
    pub baseline: BaselineState,
    /// The metadata file of the model.
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Why: the first finding's message, the error, or the blocking prerequisite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Framework clauses, `framework clause`.
    pub maps: Vec<String>,
}

/// What kind of trusted input a changed file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    Policy,
    Configuration,
    Waivers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

/// A change to a policy input in head: listed, not applied.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PolicyChange {
    pub path: String,
    pub kind: InputKind,
    pub change: ChangeKind,
}

/// Models by what happened to them between the revisions (model ids, sorted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModelChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Present at both revisions with changed files.
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergeSummary {
    pub new: usize,
    pub new_blocking: usize,
    pub fixed: usize,
    pub unchanged: usize,
    pub unchanged_blocking: usize,
    /// Models at head, when every model was listed (`complete`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<usize>,
    /// Models evaluated at head: those whose files changed (every model when policy inputs
    /// changed); removed models are not counted.
    pub evaluated_at_head: usize,
    /// Whether every model was evaluated (at base at least), so that `unchanged_gaps` covers the
    /// whole repository; otherwise it covers the changed models only. Complete with `--strict`,
    /// when policy inputs changed, and for whole-run output formats.
    pub complete: bool,
    /// Whether the run fails (exit 1).
    pub failed: bool,
}

/// The result of a pre-merge check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeReport {
    pub schema_version: &'static str,
    pub mrm_version: &'static str,
    pub as_of: String,
    pub repository: String,
    pub base: RevisionInfo,
    pub head: RevisionInfo,
    /// The policy applied to both revisions (read from base).
    pub policy: crate::eval::PolicyInfo,
    pub strict: bool,
    pub summary: MergeSummary,
    pub new_gaps: Vec<Gap>,
    pub fixed_gaps: Vec<Gap>,
    pub unchanged_gaps: Vec<Gap>,
    pub models: ModelChanges,
    /// Edits to policies, configuration or waivers in head: they need approval and were not
    /// applied.
    pub policy_changes: Vec<PolicyChange>,
    /// Who approves policy changes (`roles.policy_owners` in the base `mrm.toml`).
    pub policy_owners: Vec<String>,
}

impl MergeReport {
    /// The baseline state of a head gap, for reporters (SARIF `baselineState`).
    pub fn baseline(&self, model: &str, control: &str) -> Option<BaselineState> {
        self.new_gaps
            .iter()
            .chain(&self.unchanged_gaps)
            .chain(&self.fixed_gaps)
            .find(|g| g.model == model && g.control == control)
            .map(|g| g.baseline)
    }
}

/// Everything a pre-merge check produced: the comparison, and both runs' results for reporters
/// that render a whole run (when complete, the head result holds every head model, reused or
/// re-evaluated; otherwise the changed models only).
#[derive(Debug)]
pub struct MergeOutcome {
    pub report: MergeReport,
    pub base: RunReport,
    pub head: RunReport,
    /// Every file diagnostics and findings may point into, at both revisions.
    pub sources: SourceMap,
}

/// Why a pre-merge check could not run.
#[derive(Debug)]
pub enum MergeFailure {
    /// The repository or a revision cannot be used.
    Git(GitError),
    /// The base revision's policies or configuration are broken.
    Invalid(Failure),
}

impl From<GitError> for MergeFailure {
    fn from(e: GitError) -> Self {
        MergeFailure::Git(e)
    }
}

/// Compares two revisions.
pub fn check(mr: &MergeRequest) -> Result<MergeOutcome, MergeFailure> {
    let req = &mr.request;
    let repo = GitRepo::discover(&req.repo)?;
    let base = repo.resolve(&mr.base)?;
    let head = repo.resolve(&mr.head)?;
    // Histories are attached once it is known which folders they will be asked about.
    let mut base_tree = WithHistory {
        tree: repo.tree(&base)?,
        history: None,
    };
    let mut head_tree = WithHistory {
        tree: repo.tree(&head)?,
        history: None,
    };

    // Trusted inputs, from base.
    let mut repo_sources = SourceMap::new();
    let (config, waivers) = engine::read_repo_files(&base_tree, &mut repo_sources)
        .map_err(|d| invalid(d, repo_sources.clone()))?;
    let (policy, policy_files) = trusted_policy(req, &config, &base_tree.tree, &base)
        .map_err(|d| invalid(d, repo_sources.clone()))?;

    // What changed, and which model folders it touches (at either revision).
    let changed = repo.changed_paths(&base, &head)?;
    let policy_changes = policy_changes(&config, &policy_files, &base_tree.tree, &head_tree.tree);
    // A model folder is touched when a changed path lies in it at either revision; the folders
    // are found from the changed paths, without listing the whole tree.
    let mut affected: BTreeSet<String> = BTreeSet::new();
    for tree in [&base_tree.tree, &head_tree.tree] {
        for p in &changed {
            let mut dir = p.as_str();
            while let Some(i) = dir.rfind('/') {
                dir = dir.get(..i).unwrap_or("");
                if !skipped(dir) && has_metadata(tree, dir) {
                    affected.insert(dir.to_string());
                }
            }
            if has_metadata(tree, "") {
                affected.insert(String::new());
            }
        }
    }
    // Evaluation reads evidence only for presence, and only inside the repository; a link can
    // make a model's evidence depend on a file elsewhere, so when files come or go and the tree
    // holds links, every model is evaluated.
    let files_come_or_go = changed
        .iter()
        .any(|p| base_tree.tree.blob_id(p).is_none() || head_tree.tree.blob_id(p).is_none());
    let links_matter =
        files_come_or_go && (base_tree.tree.has_links() || head_tree.tree.has_links());
    let complete = mr.complete || mr.strict || !policy_changes.is_empty() || links_matter;
    let (base_found, head_found) = if complete {
        (list(&base_tree, &base)?, list(&head_tree, &head)?)
    } else {
        (Vec::new(), Vec::new())
    };
    if complete && !policy_changes.is_empty() {
        // Policy inputs changed: re-evaluate every model at head.
        affected.extend(head_found.iter().cloned());
    }
    base_tree.history = Some(Box::new(if complete {
        repo.history(&base)
    } else {
        repo.history(&base).scoped(affected.iter().cloned())
    }));

    // Base: every model when the result must be complete, else the touched folders only.
    let all_base: BTreeSet<String> = base_found.iter().cloned().collect();
    let base_run = engine::run_tree(
        req,
        &Restricted {
            inner: &base_tree,
            dirs: if complete { &all_base } else { &affected },
            listed: complete,
        },
        policy,
        config.clone(),
        waivers.clone(),
        repo_sources.clone(),
    )
    .map_err(MergeFailure::Invalid)?;
    let Run {
        report: base_report,
        policy,
        sources: base_sources,
        ..
    } = base_run;
    if complete {
        for m in &base_report.models {
            if evidence_changed(m, &changed) {
                affected.insert(m.dir.clone());
            }
        }
    }
    head_tree.history = Some(Box::new(
        repo.history(&head).scoped(affected.iter().cloned()),
    ));

    // Head: the touched models, under the base policy.
    let head_run = engine::run_tree(
        req,
        &Restricted {
            inner: &head_tree,
            dirs: &affected,
            listed: complete,
        },
        policy,
        config.clone(),
        waivers,
        repo_sources,
    )
    .map_err(MergeFailure::Invalid)?;
    // Head files first: where a file differs, findings at head point into its head text.
    let mut sources = head_run.sources.clone();
    let at_head: std::collections::HashSet<String> =
        sources.files().map(|(_, f)| f.name.to_string()).collect();
    for (_, f) in base_sources.files() {
        if !at_head.contains(&*f.name) {
            sources.add(f.clone());
        }
    }
    let mut head_report = head_run.report;
    let evaluated_at_head = head_report.models.len();
    if complete {
        // Untouched models keep their base outcome: their inputs are identical.
        let base_by_dir: BTreeMap<&str, &ModelOutcome> = base_report
            .models
            .iter()
            .map(|m| (m.dir.as_str(), m))
            .collect();
        let mut evaluated: BTreeMap<String, ModelOutcome> = std::mem::take(&mut head_report.models)
            .into_iter()
            .map(|m| (m.dir.clone(), m))
            .collect();
        let mut models = Vec::with_capacity(head_found.len());
        for dir in &head_found {
            if let Some(m) = evaluated.remove(dir) {
                models.push(m);
            } else if let Some(m) = base_by_dir.get(dir.as_str()) {
                models.push((*m).clone());
            }
        }
        head_report.summary = summarise(&models, &base_report.summary.fail_on);
        head_report.models = models;
        head_report.waivers = base_report.waivers.clone();
    }

    let report = compare(
        mr,
        &base,
        &head,
        &base_report,
        &head_report,
        Counts {
            models: complete.then_some(head_found.len()),
            evaluated_at_head,
            complete,
        },
        &changed,
        policy_changes,
        config.roles.policy_owners.clone(),
    );
    Ok(MergeOutcome {
        report,
        base: base_report,
        head: head_report,
        sources,
    })
}

/// The model folders of a tree.
fn list(tree: &dyn Tree, rev: &Revision) -> Result<Vec<String>, MergeFailure> {
    repo::discover(tree)
        .map(|(found, _)| found.into_iter().map(|(dir, _)| dir).collect())
        .map_err(|e| {
            invalid(
                vec![Diagnostic::new(
                    Code::Unreadable,
                    format!("cannot list the repository at {}: {e}", rev.label()),
                )],
                SourceMap::new(),
            )
        })
}

/// Sizes for the summary.
struct Counts {
    models: Option<usize>,
    evaluated_at_head: usize,
    complete: bool,
}

fn invalid(diagnostics: Vec<Diagnostic>, sources: SourceMap) -> MergeFailure {
    MergeFailure::Invalid(Failure {
        diagnostics,
        sources,
    })
}

/// Whether a changed path lies in a model folder.
fn touches(path: &str, dir: &str) -> bool {
    super::strip_prefix(path, dir).is_some()
}

fn evidence_changed(m: &ModelOutcome, changed: &[String]) -> bool {
    m.controls
        .iter()
        .flat_map(|c| &c.evidence)
        .any(|e| changed.binary_search(&e.path).is_ok())
}

/// Folders that model discovery skips (as a working-directory walk does).
fn skipped(dir: &str) -> bool {
    dir.split('/')
        .any(|d| d.starts_with('.') || d == "target" || d == "node_modules")
}

/// Whether a folder of a tree holds a metadata file.
fn has_metadata(tree: &GitTree, dir: &str) -> bool {
    repo::METADATA_FILES
        .iter()
        .any(|name| tree.blob_id(&repo::join(dir, name)).is_some())
}

/// A tree that shows only the models in some folders.
struct Restricted<'a> {
    inner: &'a WithHistory<GitTree>,
    dirs: &'a BTreeSet<String>,
    /// Filter the full listing (walked anyway), rather than looking in each folder.
    listed: bool,
}

impl Tree for Restricted<'_> {
    fn metadata_files(&self) -> io::Result<Vec<String>> {
        let in_dirs = |f: &String| {
            let dir = f.rfind('/').and_then(|i| f.get(..i)).unwrap_or("");
            self.dirs.contains(dir)
        };
        if self.listed {
            return Ok(self
                .inner
                .metadata_files()?
                .into_iter()
                .filter(in_dirs)
                .collect());
        }
        let mut out: Vec<String> = self
            .dirs
            .iter()
            .flat_map(|d| repo::METADATA_FILES.iter().map(move |n| repo::join(d, n)))
            .filter(|f| self.inner.tree.blob_id(f).is_some())
            .collect();
        out.sort();
        Ok(out)
    }
    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        self.inner.read(path)
    }
    fn evidence(&self, path: &str) -> EvidenceState {
        self.inner.evidence(path)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn history(&self) -> Option<&dyn super::History> {
        self.inner.history()
    }
}

/// The policy named by the request and the base configuration, read from the base revision.
/// Returns the set and the repository paths of the policy files read from base.
pub(super) fn trusted_policy(
    req: &Request,
    config: &Config,
    base: &GitTree,
    rev: &Revision,
) -> Result<(PolicySet, Vec<String>), Vec<Diagnostic>> {
    let (catalogs, cat_diags) = Catalogs::embedded();
    let repo_root = req.repo.canonicalize().unwrap_or_else(|_| req.repo.clone());
    let mut sources = Vec::new();
    let mut from_base: Vec<String> = Vec::new();
    let mut diags = Vec::new();
    let mut add_from_base = |rel: &str, sources: &mut Vec<PolicySource>| {
        let rel = rel.trim_start_matches("./").trim_end_matches('/');
        let files: Vec<String> = if base.is_dir(rel) {
            base.files_under(rel)
                .into_iter()
                .filter(|f| f.ends_with(".mrm"))
                .collect()
        } else {
            vec![rel.to_string()]
        };
        for f in files {
            match base.read(&f) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => {
                        from_base.push(f.clone());
                        sources.push(PolicySource::Text(f, text));
                    }
                    Err(_) => diags.push(
                        Diagnostic::new(Code::InvalidUtf8, format!("`{f}` is not valid UTF-8"))
                            .at(Location::file(f), ""),
                    ),
                },
                Err(e) => diags.push(
                    Diagnostic::new(
                        Code::PolicySourceMissing,
                        format!(
                            "cannot read policies from `{f}` at the base revision {}: {e}",
                            rev.label()
                        ),
                    )
                    .at(Location::file(f.clone()), "")
                    .help("policies are read from the base revision: commit them there first"),
                ),
            }
        }
    };
    if !req.policies.is_empty() {
        if req.with_default {
            sources.push(PolicySource::Embedded);
        }
        for p in &req.policies {
            match inside(&repo_root, p) {
                Some(rel) => add_from_base(&rel, &mut sources),
                None => sources.push(PolicySource::Path(p.clone())),
            }
        }
    } else if !config.policy.paths.is_empty() {
        if config.policy.include_default {
            sources.push(PolicySource::Embedded);
        }
        for p in &config.policy.paths {
            add_from_base(p, &mut sources);
        }
    } else {
        sources.push(PolicySource::Embedded);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut set = library::load(&sources, catalogs);
    set.diagnostics.extend(cat_diags);
    set.origin = format!("{} at {}", set.origin, rev.label());
    Ok((set, from_base))
}

/// A path given on the command line, relative to the model repository when it lies inside it.
fn inside(root: &Path, p: &Path) -> Option<String> {
    let abs: PathBuf = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(p)
    };
    let abs = abs.canonicalize().unwrap_or(abs);
    let rel = abs.strip_prefix(root).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// Policy inputs that differ between base and head: the policy files (under the base and the
/// head configuration's paths), `mrm.toml` and `waivers.toml`.
fn policy_changes(
    base_config: &Config,
    base_files: &[String],
    base: &GitTree,
    head: &GitTree,
) -> Vec<PolicyChange> {
    let mut candidates: BTreeMap<String, InputKind> = BTreeMap::new();
    candidates.insert("mrm.toml".to_string(), InputKind::Configuration);
    candidates.insert("waivers.toml".to_string(), InputKind::Waivers);
    for f in base_files {
        candidates.insert(f.clone(), InputKind::Policy);
    }
    let head_config = head
        .read("mrm.toml")
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| config::parse(&SourceFile::new("mrm.toml", t)).ok());
    let mut dirs: Vec<&str> = base_config
        .policy
        .paths
        .iter()
        .map(String::as_str)
        .collect();
    if let Some(c) = &head_config {
        dirs.extend(c.policy.paths.iter().map(String::as_str));
    }
    for d in dirs {
        let d = d.trim_start_matches("./").trim_end_matches('/');
        for tree in [base, head] {
            let files = if tree.is_dir(d) {
                tree.files_under(d)
            } else {
                vec![d.to_string()]
            };
            for f in files.into_iter().filter(|f| f.ends_with(".mrm")) {
                candidates.insert(f, InputKind::Policy);
            }
        }
    }
    let mut out = Vec::new();
    for (path, kind) in candidates {
        let change = match (base.blob_id(&path), head.blob_id(&path)) {
            (None, None) => continue,
            (None, Some(_)) => ChangeKind::Added,
            (Some(_), None) => ChangeKind::Deleted,
            (Some(a), Some(b)) if a == b => continue,
            (Some(_), Some(_)) => ChangeKind::Modified,
        };
        out.push(PolicyChange { path, kind, change });
    }
    out
}

/// Portfolio totals over a set of model outcomes (the head result mixes reused and re-evaluated
/// models, so it is summed here).
fn summarise(models: &[ModelOutcome], fail_on: &[Severity]) -> Summary {
    let mut s = Summary {
        models: models.len(),
        fail_on: fail_on.to_vec(),
        ..Summary::default()
    };
    for m in models {
        if m.diagnostics.iter().any(Diagnostic::is_error) || !m.evaluated {
            s.models_with_errors += 1;
        }
        s.blocking += m.blocking;
        if m.blocking > 0 {
            s.blocking_models += 1;
        }
        let tier = m.tier.as_ref().map_or("(none)", |t| t.tier.as_str());
        *s.by_tier.entry(tier.to_string()).or_default() += 1;
        for (st, n) in &m.counts {
            *s.by_status.entry(*st).or_default() += n;
        }
        *s.kris
            .entry(m.kri_level().as_str().to_string())
            .or_default() += 1;
    }
    s
}

fn gaps(report: &RunReport) -> BTreeMap<(String, String), (&ModelOutcome, &ControlOutcome)> {
    let mut out = BTreeMap::new();
    for m in &report.models {
        for c in m.controls.iter().filter(|c| c.status.is_gap()) {
            out.entry((m.id.clone(), c.id.clone())).or_insert((m, c));
        }
    }
    out
}

fn gap(m: &ModelOutcome, c: &ControlOutcome, baseline: BaselineState) -> Gap {
    let message = c
        .findings
        .iter()
        .find_map(|f| {
            f.message
                .clone()
                .or_else(|| f.witnesses.first().map(|w| w.text.clone()))
        })
        .or_else(|| c.error.clone())
        .or_else(|| {
            c.blocked_by
                .last()
                .map(|root| format!("blocked by `{root}`"))
        });
    Gap {
        model: m.id.clone(),
        control: c.id.clone(),
        title: c.title.clone(),
        severity: c.severity,
        status: c.status,
        blocking: c.blocking,
        baseline,
        file: m.file.clone(),
        location: c.location.as_deref().cloned(),
        message,
        remediation: c.remediation().map(str::to_string),
        maps: c
            .maps
            .iter()
            .map(|r| format!("{} {}", r.framework, r.clause))
            .collect(),
    }
}

#[expect(clippy::too_many_arguments, reason = "the parts of one report")]
fn compare(
    mr: &MergeRequest,
    base: &Revision,
    head: &Revision,
    base_report: &RunReport,
    head_report: &RunReport,
    counts: Counts,
    changed: &[String],
    policy_changes: Vec<PolicyChange>,
    policy_owners: Vec<String>,
) -> MergeReport {
    let base_ids: BTreeSet<&str> = base_report.models.iter().map(|m| m.id.as_str()).collect();
    let head_ids: BTreeSet<&str> = head_report.models.iter().map(|m| m.id.as_str()).collect();
    let mut models = ModelChanges {
        added: head_ids
            .difference(&base_ids)
            .map(|s| s.to_string())
            .collect(),
        removed: base_ids
            .difference(&head_ids)
            .map(|s| s.to_string())
            .collect(),
        changed: Vec::new(),
    };
    let base_by_id: BTreeMap<&str, &ModelOutcome> = base_report
        .models
        .iter()
        .map(|m| (m.id.as_str(), m))
        .collect();
    for m in &head_report.models {
        if let Some(b) = base_by_id.get(m.id.as_str())
            && (b.dir != m.dir
                || changed.iter().any(|p| touches(p, &m.dir))
                || evidence_changed(b, changed))
        {
            models.changed.push(m.id.clone());
        }
    }
    models.changed.sort();
    models.changed.dedup();

    let before = gaps(base_report);
    let after = gaps(head_report);
    let removed: BTreeSet<String> = models.removed.iter().cloned().collect();
    let mut report = MergeReport {
        schema_version: SCHEMA_VERSION,
        mrm_version: env!("CARGO_PKG_VERSION"),
        as_of: base_report.as_of.clone(),
        repository: crate::library::display_path(&mr.request.repo),
        base: RevisionInfo {
            spec: base.spec.clone(),
            commit: base.oid.to_string(),
        },
        head: RevisionInfo {
            spec: head.spec.clone(),
            commit: head.oid.to_string(),
        },
        policy: base_report.policy.clone(),
        strict: mr.strict,
        summary: MergeSummary::default(),
        new_gaps: Vec::new(),
        fixed_gaps: Vec::new(),
        unchanged_gaps: Vec::new(),
        models,
        policy_changes,
        policy_owners,
    };
    for (key, (m, c)) in &after {
        if before.contains_key(key) {
            report
                .unchanged_gaps
                .push(gap(m, c, BaselineState::Unchanged));
        } else {
            report.new_gaps.push(gap(m, c, BaselineState::New));
        }
    }
    for (key, (m, c)) in &before {
        // A removed model's gaps go with it; they are not fixes.
        if !after.contains_key(key) && !removed.contains(&key.0) {
            report.fixed_gaps.push(gap(m, c, BaselineState::Absent));
        }
    }
    let s = &mut report.summary;
    s.new = report.new_gaps.len();
    s.new_blocking = report.new_gaps.iter().filter(|g| g.blocking).count();
    s.fixed = report.fixed_gaps.len();
    s.unchanged = report.unchanged_gaps.len();
    s.unchanged_blocking = report.unchanged_gaps.iter().filter(|g| g.blocking).count();
    s.models = counts.models;
    s.evaluated_at_head = counts.evaluated_at_head;
    s.complete = counts.complete;
    s.failed = s.new_blocking > 0 || (mr.strict && s.unchanged_blocking > 0);
    report
}
