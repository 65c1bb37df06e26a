//! The gap trend: the portfolio's open gaps per framework at each commit of the first-parent
//! history, oldest first, for charts and for the `trend` command.
//!
//! Each commit is evaluated as a gate would have judged it that day: with the policies,
//! configuration and waivers it holds, as of its commit date (UTC), with its own history for the
//! `git.*` builtins. A commit whose policies do not load is kept as a point with its error. The
//! policy digest of each point lets a chart mark where the rules changed.

use std::collections::BTreeMap;

use git2::Sort;
use serde::Serialize;

use super::{GitError, GitRepo, Revision, WithHistory};
use crate::engine::{self, Request};
use crate::source::SourceMap;

/// Version of the JSON trend format.
pub const SCHEMA_VERSION: &str = "1";

/// Which commits to include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Commits on or after this date (UTC).
    Since(jiff::civil::Date),
    /// The last N commits.
    Commits(usize),
}

/// The gap counts at one commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendPoint {
    pub commit: String,
    /// Commit date (UTC), also the evaluation date.
    pub date: String,
    /// First line of the commit message.
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_digest: Option<String>,
    pub models: usize,
    /// (model, control) pairs whose status is fail, blocked or error.
    pub gaps: usize,
    pub blocking: usize,
    /// Gaps per framework id: a gap counts once for every framework its control maps to.
    pub frameworks: BTreeMap<String, usize>,
    /// Why the commit could not be evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The trend over a range of first-parent history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendReport {
    pub schema_version: &'static str,
    pub mrm_version: &'static str,
    pub repository: String,
    pub head: String,
    /// Every framework that appears in any point, sorted.
    pub frameworks: Vec<String>,
    /// Oldest first.
    pub points: Vec<TrendPoint>,
}

/// Computes the trend from `HEAD` of the repository holding `req.repo`.
pub fn trend(req: &Request, range: Range) -> Result<TrendReport, GitError> {
    let repo = GitRepo::discover(&req.repo)?;
    let head = repo.resolve("HEAD")?;
    let git = repo.repository();
    let mut walk = git.revwalk()?;
    walk.simplify_first_parent()?;
    walk.set_sorting(Sort::NONE)?;
    walk.push(head.oid)?;
    let mut commits = Vec::new();
    for oid in walk {
        let oid = oid?;
        let commit = git.find_commit(oid)?;
        let time = commit.time().seconds();
        let Some(date) = super::date_of(time) else {
            continue;
        };
        match range {
            Range::Since(since) if date < since => break,
            Range::Commits(n) if commits.len() >= n => break,
            _ => {}
        }
        let subject = commit.summary().ok().flatten().unwrap_or("").to_string();
        commits.push((oid, date, subject));
    }
    commits.reverse();
    let mut points = Vec::with_capacity(commits.len());
    for (oid, date, subject) in commits {
        let rev = Revision {
            spec: oid.to_string(),
            oid,
        };
        points.push(point(&repo, req, &rev, date, subject)?);
    }
    let mut frameworks: Vec<String> = points
        .iter()
        .flat_map(|p| p.frameworks.keys().cloned())
        .collect();
    frameworks.sort();
    frameworks.dedup();
    Ok(TrendReport {
        schema_version: SCHEMA_VERSION,
        mrm_version: env!("CARGO_PKG_VERSION"),
        repository: crate::library::display_path(&req.repo),
        head: head.oid.to_string(),
        frameworks,
        points,
    })
}

fn point(
    repo: &GitRepo,
    req: &Request,
    rev: &Revision,
    date: jiff::civil::Date,
    subject: String,
) -> Result<TrendPoint, GitError> {
    let mut out = TrendPoint {
        commit: rev.oid.to_string(),
        date: date.to_string(),
        subject,
        policy_digest: None,
        models: 0,
        gaps: 0,
        blocking: 0,
        frameworks: BTreeMap::new(),
        error: None,
    };
    let tree = WithHistory {
        tree: repo.tree(rev)?,
        history: Some(Box::new(repo.history(rev))),
    };
    let req = Request {
        as_of: date,
        ..req.clone()
    };
    let mut sources = SourceMap::new();
    let (config, waivers) = match engine::read_repo_files(&tree, &mut sources) {
        Ok(x) => x,
        Err(d) => {
            out.error = Some(first_message(&d));
            return Ok(out);
        }
    };
    let policy = match super::merge::trusted_policy(&req, &config, &tree.tree, rev) {
        Ok((p, _)) => p,
        Err(d) => {
            out.error = Some(first_message(&d));
            return Ok(out);
        }
    };
    let run = match engine::run_tree(&req, &tree, policy, config, waivers, sources) {
        Ok(r) => r,
        Err(f) => {
            out.error = Some(first_message(&f.diagnostics));
            return Ok(out);
        }
    };
    out.policy_digest = Some(run.report.policy.digest.clone());
    out.models = run.report.models.len();
    for m in &run.report.models {
        for c in m.controls.iter().filter(|c| c.status.is_gap()) {
            out.gaps += 1;
            if c.blocking {
                out.blocking += 1;
            }
            let mut fws: Vec<&str> = c.maps.iter().map(|r| r.framework.as_str()).collect();
            fws.sort_unstable();
            fws.dedup();
            for f in fws {
                *out.frameworks.entry(f.to_string()).or_default() += 1;
            }
        }
    }
    Ok(out)
}

fn first_message(d: &[crate::diagnostic::Diagnostic]) -> String {
    d.first()
        .map_or_else(|| "cannot evaluate".to_string(), |d| d.message.clone())
}
