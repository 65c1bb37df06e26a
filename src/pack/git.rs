//! The git state recorded in a manifest: the commit checked out and whether the evaluated
//! directory had uncommitted changes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A repository's commit and whether its working tree differed from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitState {
    /// The commit `HEAD` points at; absent before the first commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether any file under the evaluated directory was modified, staged, deleted or untracked
    /// (ignored files do not count).
    pub dirty: bool,
}

/// The git state of the working tree holding `repo`, or `None` when it is not in one.
///
/// Only changes under `repo` count (it may be a folder of a larger repository). Paths in `ignore`
/// — the pack being written and any earlier pack at the same place — do not make the tree dirty,
/// so packing twice into the repository gives the same manifest.
pub fn git_state(repo: &Path, ignore: &[PathBuf]) -> Option<GitState> {
    let git = git2::Repository::discover(repo).ok()?;
    let workdir = git.workdir()?.canonicalize().ok()?;
    let commit = git
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id().to_string());
    let sub = repo
        .canonicalize()
        .ok()?
        .strip_prefix(&workdir)
        .ok()?
        .to_path_buf();
    let ignored: Vec<String> = ignore
        .iter()
        .filter_map(|p| relative_to(&workdir, p))
        .collect();
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    if !sub.as_os_str().is_empty() {
        opts.pathspec(&sub);
    }
    let statuses = git.statuses(Some(&mut opts)).ok()?;
    let dirty = statuses.iter().any(|s| {
        s.status() != git2::Status::CURRENT
            && !s
                .path()
                .ok()
                .is_some_and(|p| ignored.iter().any(|i| i.as_str() == p))
    });
    Some(GitState { commit, dirty })
}

/// `path` relative to `root`, `/`-separated, resolving the parent directory (the file itself may
/// not exist yet).
fn relative_to(root: &Path, path: &Path) -> Option<String> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.canonicalize().ok()?,
        _ => std::env::current_dir().ok()?.canonicalize().ok()?,
    };
    let full = parent.join(path.file_name()?);
    let rel = full.strip_prefix(root).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}
