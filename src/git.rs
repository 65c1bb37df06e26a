//! Git repositories: model repositories read straight from git objects, their history as
//! evidence, and the pre-merge comparison of two revisions.
//!
//! This module owns everything that touches libgit2 (through `git2`): opening a repository,
//! resolving revisions, reading a revision's tree as a [`repo::Tree`](crate::repo::Tree)
//! ([`GitTree`]), indexing commit history for the `git.*` builtins ([`GitHistory`]), diffing two
//! revisions and comparing their outcomes ([`merge`]), and the gap trend over first-parent
//! history ([`trend`]). It never checks anything out and never runs the `git` program. It hands
//! trees and histories to the engine and finished [`merge::MergeReport`]s and
//! [`trend::TrendReport`]s to the CLI; it does not render anything.

mod history;
pub mod merge;
mod tree;
pub mod trend;

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

pub use history::{FixtureHistory, GitHistory, WithHistory, discover_history};
pub use tree::GitTree;

/// Commit history of a repository, as the `git.*` builtins see it.
///
/// Paths are repository-relative and `/`-separated; `""` is the repository root and a folder
/// stands for every file below it. Times are commit (committer) times in seconds since the Unix
/// epoch. Errors are messages for the control that asked.
pub trait History: Sync {
    /// Time of the last commit that changed the path, or `None` when no commit touches it.
    fn last_change(&self, path: &str) -> Result<Option<i64>, String>;
    /// Author emails of the non-merge commits that changed the path at or after `since` and
    /// before `until` (when given), sorted and without duplicates.
    fn authors_between(
        &self,
        path: &str,
        since: i64,
        until: Option<i64>,
    ) -> Result<Vec<String>, String>;
}

/// An operational failure with git: the repository or a revision cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("`{path}` is not in a git repository")]
    NotARepository { path: String },
    #[error("unknown revision `{rev}`: {message}")]
    UnknownRevision { rev: String, message: String },
    #[error("revision `{rev}` does not name a commit")]
    NotACommit { rev: String },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("cannot open `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl GitError {
    /// A hint for the user, when there is one.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            GitError::NotARepository { .. } => Some(
                "`--base` compares two revisions of a git repository; run it inside a clone, \
                 or drop `--base` to check the directory as it is",
            ),
            GitError::UnknownRevision { .. } => Some(
                "name a branch, tag or commit that exists in this clone; in CI fetch the base \
                 branch first (for example `git fetch origin main` or `fetch-depth: 0`)",
            ),
            GitError::NotACommit { .. } => Some("name a branch, tag or commit"),
            GitError::Git(_) | GitError::Io { .. } => None,
        }
    }
}

/// A resolved commit: its id and a short name for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// What the user wrote (`origin/main`, `HEAD`).
    pub spec: String,
    pub oid: Oid,
}

impl Revision {
    /// `origin/main (1a2b3c4)`.
    pub fn label(&self) -> String {
        let short: String = self.oid.to_string().chars().take(7).collect();
        format!("{} ({short})", self.spec)
    }
}

/// A git repository holding a model repository, possibly in a sub-folder (`prefix`).
pub struct GitRepo {
    repo: Repository,
    /// The model repository's folder relative to the git work tree, `/`-separated; `""` at the root.
    prefix: String,
}

impl GitRepo {
    /// Finds the git repository that holds `dir` (the directory itself or a parent).
    pub fn discover(dir: &Path) -> Result<GitRepo, GitError> {
        let display = crate::library::display_path(dir);
        let canonical = dir.canonicalize().map_err(|source| GitError::Io {
            path: display.clone(),
            source,
        })?;
        let repo = Repository::discover(&canonical).map_err(|e| match e.code() {
            git2::ErrorCode::NotFound => GitError::NotARepository {
                path: display.clone(),
            },
            _ => GitError::Git(e),
        })?;
        let prefix = match repo.workdir().and_then(|w| w.canonicalize().ok()) {
            Some(work) => canonical
                .strip_prefix(&work)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default(),
            None => String::new(),
        };
        Ok(GitRepo { repo, prefix })
    }

    /// The git directory (`.git`), for opening more handles.
    pub fn git_dir(&self) -> PathBuf {
        self.repo.path().to_path_buf()
    }

    /// The model repository's folder inside the work tree (`""` at the root).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn repository(&self) -> &Repository {
        &self.repo
    }

    /// Resolves a revision (`main`, `origin/main`, `HEAD~2`, a commit id) to a commit.
    pub fn resolve(&self, spec: &str) -> Result<Revision, GitError> {
        let object = self
            .repo
            .revparse_single(spec)
            .map_err(|e| GitError::UnknownRevision {
                rev: spec.to_string(),
                message: e.message().trim_end_matches('.').to_string(),
            })?;
        let commit = object.peel_to_commit().map_err(|_| GitError::NotACommit {
            rev: spec.to_string(),
        })?;
        Ok(Revision {
            spec: spec.to_string(),
            oid: commit.id(),
        })
    }

    /// The model repository as it is at a revision.
    pub fn tree(&self, rev: &Revision) -> Result<GitTree, GitError> {
        GitTree::new(self, rev)
    }

    /// The history reachable from a revision (indexed lazily, once).
    pub fn history(&self, rev: &Revision) -> GitHistory {
        GitHistory::new(self.git_dir(), rev.oid, self.prefix.clone())
    }

    /// Paths (relative to the model repository) that differ between two revisions: files added,
    /// deleted or modified, found by comparing tree ids and descending only where they differ.
    pub fn changed_paths(&self, base: &Revision, head: &Revision) -> Result<Vec<String>, GitError> {
        let root = |rev: &Revision| -> Result<Option<Oid>, GitError> {
            let tree = self.repo.find_commit(rev.oid)?.tree()?;
            if self.prefix.is_empty() {
                return Ok(Some(tree.id()));
            }
            match tree.get_path(Path::new(&self.prefix)) {
                Ok(e) if e.kind() == Some(git2::ObjectType::Tree) => Ok(Some(e.id())),
                Ok(_) => Ok(None),
                Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            }
        };
        let mut out = Vec::new();
        self.compare_trees(root(base)?, root(head)?, "", &mut out)?;
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn compare_trees(
        &self,
        old: Option<Oid>,
        new: Option<Oid>,
        dir: &str,
        out: &mut Vec<String>,
    ) -> Result<(), GitError> {
        if old == new {
            return Ok(());
        }
        let entries =
            |oid: Option<Oid>| -> Result<std::collections::HashMap<String, (Oid, bool)>, GitError> {
                let mut map = std::collections::HashMap::new();
                if let Some(oid) = oid {
                    for e in self.repo.find_tree(oid)?.iter() {
                        if let Ok(name) = e.name() {
                            map.insert(
                                name.to_string(),
                                (e.id(), e.kind() == Some(git2::ObjectType::Tree)),
                            );
                        }
                    }
                }
                Ok(map)
            };
        let (a, b) = (entries(old)?, entries(new)?);
        let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let (x, y) = (a.get(name), b.get(name));
            if x.map(|e| e.0) == y.map(|e| e.0) && x.map(|e| e.1) == y.map(|e| e.1) {
                continue;
            }
            let path = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            let sub = |e: Option<&(Oid, bool)>| e.filter(|e| e.1).map(|e| e.0);
            let file = |e: Option<&(Oid, bool)>| e.is_some_and(|e| !e.1);
            if file(x) || file(y) {
                out.push(path.clone());
            }
            if sub(x).is_some() || sub(y).is_some() {
                self.compare_trees(sub(x), sub(y), &path, out)?;
            }
        }
        Ok(())
    }
}

/// `path` relative to `prefix` (a folder), when it lies inside it.
pub(crate) fn strip_prefix<'p>(path: &'p str, prefix: &str) -> Option<&'p str> {
    if prefix.is_empty() {
        return Some(path);
    }
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

/// The UTC calendar date of a commit time.
pub fn date_of(time: i64) -> Option<jiff::civil::Date> {
    jiff::Timestamp::from_second(time)
        .ok()
        .map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
}

/// The first second (UTC) of a calendar date.
pub fn start_of(date: jiff::civil::Date) -> i64 {
    date.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_second())
        .unwrap_or(i64::MIN)
}
