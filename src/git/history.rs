//! Commit history as evidence: one walk over the commits reachable from a revision, indexed by
//! path (every file and every folder above it), built the first time a `git.*` builtin asks and
//! shared by every model of the run.
//!
//! A commit changes a path when the path differs from the commit's first parent (for a root
//! commit: when the path exists). Merge commits count for [`History::last_change`] (the change
//! landed when it was merged) but not for authorship: the authors of a change are the authors of
//! the commits that made it, not whoever merged it.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;
use std::sync::OnceLock;

use git2::{Oid, Repository, Sort};

use super::{GitRepo, History};
use crate::repo::{EvidenceState, Tree};

/// One commit touching one path.
#[derive(Debug, Clone, Copy)]
struct Touch {
    time: i64,
    author: u32,
    merge: bool,
}

#[derive(Debug, Default)]
struct Index {
    paths: HashMap<String, Vec<Touch>>,
    authors: Vec<String>,
}

/// The history reachable from one commit, for the paths of one model repository.
pub struct GitHistory {
    git_dir: PathBuf,
    head: Option<Oid>,
    prefix: String,
    /// Model folders the questions will be about; `None` for the whole repository. A narrow
    /// scope walks the same commits but compares only those folders' subtrees.
    scope: Option<Vec<String>>,
    /// Why there is no history, when there is none.
    unavailable: Option<String>,
    index: OnceLock<Result<Index, String>>,
}

impl GitHistory {
    pub(super) fn new(git_dir: PathBuf, head: Oid, prefix: String) -> Self {
        GitHistory {
            git_dir,
            head: Some(head),
            prefix,
            scope: None,
            unavailable: None,
            index: OnceLock::new(),
        }
    }

    /// Limits the history to some model folders (relative to the model repository): questions
    /// about other paths find no commits.
    pub fn scoped(mut self, dirs: impl IntoIterator<Item = String>) -> Self {
        self.scope = Some(dirs.into_iter().collect());
        self
    }

    /// A history that answers every question with the reason it is not available.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        GitHistory {
            git_dir: PathBuf::new(),
            head: None,
            prefix: String::new(),
            scope: None,
            unavailable: Some(reason.into()),
            index: OnceLock::new(),
        }
    }

    fn index(&self) -> Result<&Index, String> {
        if let Some(reason) = &self.unavailable {
            return Err(format!("history is not available: {reason}"));
        }
        self.index
            .get_or_init(|| {
                let Some(head) = self.head else {
                    return Err("history is not available".to_string());
                };
                build(&self.git_dir, head, &self.prefix, self.scope.as_deref())
                    .map_err(|e| format!("cannot read the history: {}", e.message()))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Builds the index now (for timing it, or to fail early).
    pub fn load(&self) -> Result<(), String> {
        self.index().map(|_| ())
    }
}

fn build(
    git_dir: &std::path::Path,
    head: Oid,
    prefix: &str,
    scope: Option<&[String]>,
) -> Result<Index, git2::Error> {
    let repo = Repository::open(git_dir)?;
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    walk.push(head)?;
    let mut index = Index::default();
    let mut author_ids: HashMap<String, u32> = HashMap::new();
    // Folders to compare, relative to the work tree, with their path in the model repository.
    let folders: Vec<(String, String)> = match scope {
        Some(dirs) => dirs.iter().map(|d| (join(prefix, d), d.clone())).collect(),
        None => vec![(prefix.to_string(), String::new())],
    };
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        let tree = commit.tree()?;
        let parent = match commit.parent_count() {
            0 => None,
            _ => Some(commit.parent(0)?.tree()?),
        };
        let mut touched: HashSet<String> = HashSet::new();
        for (full, rel) in &folders {
            let new = subtree(&repo, &tree, full)?;
            let old = match &parent {
                Some(p) => subtree(&repo, p, full)?,
                None => None,
            };
            if new.as_ref().map(git2::Tree::id) == old.as_ref().map(git2::Tree::id) {
                continue;
            }
            let diff = repo.diff_tree_to_tree(old.as_ref(), new.as_ref(), None)?;
            for delta in diff.deltas() {
                for file in [delta.old_file(), delta.new_file()] {
                    let Some(p) = file.path() else { continue };
                    let p = join(rel, &p.to_string_lossy().replace('\\', "/"));
                    let mut cur = p.as_str();
                    loop {
                        if !touched.insert(cur.to_string()) {
                            break;
                        }
                        match cur.rfind('/') {
                            Some(i) => cur = cur.get(..i).unwrap_or(""),
                            None if cur.is_empty() => break,
                            None => cur = "",
                        }
                    }
                }
            }
        }
        if touched.is_empty() {
            continue;
        }
        let email = commit.author().email().unwrap_or("").trim().to_lowercase();
        let next = author_ids.len() as u32;
        let author = *author_ids.entry(email.clone()).or_insert_with(|| {
            index.authors.push(email);
            next
        });
        let touch = Touch {
            time: commit.time().seconds(),
            author,
            merge: commit.parent_count() > 1,
        };
        for p in touched {
            index.paths.entry(p).or_default().push(touch);
        }
    }
    Ok(index)
}

impl Index {
    fn last_change(&self, path: &str) -> Option<i64> {
        self.paths
            .get(path)
            .and_then(|t| t.iter().map(|t| t.time).max())
    }

    fn authors_between(&self, path: &str, since: i64, until: Option<i64>) -> Vec<String> {
        let mut out: Vec<String> = self
            .paths
            .get(path)
            .map(|touches| {
                touches
                    .iter()
                    .filter(|t| !t.merge && t.time >= since && until.is_none_or(|u| t.time < u))
                    .filter_map(|t| self.authors.get(t.author as usize).cloned())
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out.dedup();
        out.retain(|a| !a.is_empty());
        out
    }
}

/// `a/b` from a folder and a relative path; either may be empty.
fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// The tree at a folder of a commit's tree (`""` is the tree itself); `None` when absent.
fn subtree<'r>(
    repo: &'r Repository,
    tree: &git2::Tree<'r>,
    path: &str,
) -> Result<Option<git2::Tree<'r>>, git2::Error> {
    if path.is_empty() {
        return Ok(Some(tree.clone()));
    }
    match tree.get_path(std::path::Path::new(path)) {
        Ok(e) if e.kind() == Some(git2::ObjectType::Tree) => repo.find_tree(e.id()).map(Some),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl History for GitHistory {
    fn last_change(&self, path: &str) -> Result<Option<i64>, String> {
        Ok(self.index()?.last_change(path))
    }

    fn authors_between(
        &self,
        path: &str,
        since: i64,
        until: Option<i64>,
    ) -> Result<Vec<String>, String> {
        Ok(self.index()?.authors_between(path, since, until))
    }
}

/// The history of the git repository holding a directory, at `HEAD`; `None` when the directory
/// is not in a git repository.
pub fn discover_history(dir: &std::path::Path) -> Option<GitHistory> {
    let repo = GitRepo::discover(dir).ok()?;
    // Only a repository whose root is the model repository: a folder inside a larger project
    // (an example shipped with a tool, a vendored copy) does not have that project's history.
    if !repo.prefix().is_empty() {
        return None;
    }
    Some(match repo.resolve("HEAD") {
        Ok(head) => repo.history(&head),
        Err(_) => GitHistory::unavailable("the repository has no commits"),
    })
}

/// A tree paired with the history of the repository it came from.
pub struct WithHistory<T> {
    pub tree: T,
    pub history: Option<Box<dyn History>>,
}

impl<T: Tree> WithHistory<T> {
    /// A working directory with the history of the git repository holding it, if any.
    pub fn discover(tree: T, dir: &std::path::Path) -> Self {
        WithHistory {
            tree,
            history: discover_history(dir).map(|h| Box::new(h) as Box<dyn History>),
        }
    }
}

/// A history written down for policy tests: `history.toml` in a fixture folder lists commits,
/// oldest first, so `mrm test` can exercise the `git.*` builtins without a repository.
///
/// ```toml
/// [[commit]]
/// date = 2026-01-10            # commit date (UTC); commits on one day keep their order
/// author = "dev@acme.example"
/// paths = ["model.toml"]       # files changed, relative to the fixture folder
/// ```
pub struct FixtureHistory {
    index: Index,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    #[serde(default)]
    commit: Vec<FixtureCommit>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureCommit {
    #[serde(deserialize_with = "crate::value::serde_date::deserialize")]
    date: jiff::civil::Date,
    author: String,
    paths: Vec<String>,
    #[serde(default)]
    merge: bool,
}

impl FixtureHistory {
    /// Reads `history.toml` from a fixture folder: `None` when there is none.
    pub fn load(dir: &std::path::Path) -> Option<Result<FixtureHistory, String>> {
        let path = dir.join("history.toml");
        let text = std::fs::read_to_string(&path).ok()?;
        let parsed: Result<FixtureFile, _> = toml::from_str(&text);
        Some(match parsed {
            Ok(file) => Ok(FixtureHistory::from_commits(file.commit)),
            Err(e) => Err(format!(
                "invalid `{}`: {}",
                crate::library::display_path(&path),
                e.message().trim().trim_end_matches('.')
            )),
        })
    }

    fn from_commits(commits: Vec<FixtureCommit>) -> Self {
        let mut index = Index::default();
        let mut ids: HashMap<String, u32> = HashMap::new();
        for (i, c) in commits.into_iter().enumerate() {
            // Noon, plus the position in the file so same-day commits keep their order.
            let time = super::start_of(c.date) + 12 * 3600 + i as i64;
            let email = c.author.trim().to_lowercase();
            let next = ids.len() as u32;
            let author = *ids.entry(email.clone()).or_insert_with(|| {
                index.authors.push(email);
                next
            });
            let touch = Touch {
                time,
                author,
                merge: c.merge,
            };
            let mut touched = HashSet::new();
            for p in &c.paths {
                let mut cur = p.trim_start_matches("./").trim_end_matches('/');
                loop {
                    if !touched.insert(cur.to_string()) {
                        break;
                    }
                    match cur.rfind('/') {
                        Some(i) => cur = cur.get(..i).unwrap_or(""),
                        None if cur.is_empty() => break,
                        None => cur = "",
                    }
                }
            }
            for p in touched {
                index.paths.entry(p).or_default().push(touch);
            }
        }
        FixtureHistory { index }
    }
}

impl History for FixtureHistory {
    fn last_change(&self, path: &str) -> Result<Option<i64>, String> {
        Ok(self.index.last_change(path))
    }

    fn authors_between(
        &self,
        path: &str,
        since: i64,
        until: Option<i64>,
    ) -> Result<Vec<String>, String> {
        Ok(self.index.authors_between(path, since, until))
    }
}

impl<T: Tree> Tree for WithHistory<T> {
    fn metadata_files(&self) -> io::Result<Vec<String>> {
        self.tree.metadata_files()
    }
    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        self.tree.read(path)
    }
    fn evidence(&self, path: &str) -> EvidenceState {
        self.tree.evidence(path)
    }
    fn evidence_bytes(&self, path: &str) -> (EvidenceState, Option<io::Result<Vec<u8>>>) {
        self.tree.evidence_bytes(path)
    }
    fn evidence_digest(&self, path: &str) -> (EvidenceState, Option<io::Result<String>>) {
        self.tree.evidence_digest(path)
    }
    fn open_evidence(
        &self,
        path: &str,
    ) -> (EvidenceState, Option<io::Result<crate::repo::EvidenceFile>>) {
        self.tree.open_evidence(path)
    }
    fn describe(&self) -> String {
        self.tree.describe()
    }
    fn history(&self) -> Option<&dyn History> {
        self.history.as_deref()
    }
}
