//! A revision's tree as a model repository: entries looked up on demand (the full listing walked
//! once when discovery needs it), blobs read through a small pool of repository handles (a
//! libgit2 handle must not be shared between threads, and models are loaded in parallel).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use super::{GitError, GitRepo, Revision};
use crate::repo::{EvidenceState, Tree, is_contained};

/// Git file modes.
const MODE_LINK: i32 = 0o120000;
const MODE_TREE: i32 = 0o040000;
const MODE_COMMIT: i32 = 0o160000;

/// Symbolic links followed before giving up (as the kernel does).
const MAX_LINKS: usize = 40;

#[derive(Debug, Clone, Copy)]
struct Entry {
    oid: Oid,
    mode: i32,
}

/// Repository handles, one per thread that needs one at a time.
pub(crate) struct Pool {
    git_dir: PathBuf,
    handles: Mutex<Vec<Repository>>,
}

impl Pool {
    pub(crate) fn new(git_dir: PathBuf) -> Self {
        Pool {
            git_dir,
            handles: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&Repository) -> R) -> Result<R, git2::Error> {
        let taken = self
            .handles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let repo = match taken {
            Some(r) => r,
            None => Repository::open(&self.git_dir)?,
        };
        let r = f(&repo);
        self.handles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(repo);
        Ok(r)
    }
}

/// The model repository at one revision, read from git objects.
///
/// Paths are looked up in the revision's tree as they are asked for; the full listing (model
/// discovery, policy folders) is walked once, the first time it is needed.
pub struct GitTree {
    pool: Pool,
    /// The tree of the model repository's folder at the revision; `None` when it does not exist.
    root: Option<Oid>,
    entries: OnceLock<Result<BTreeMap<String, Entry>, String>>,
    /// Folder listings read so far, by folder path (`""` is the root). Large trees are not kept
    /// by libgit2's object cache, so each is parsed once here.
    dirs: Mutex<HashMap<String, Listing>>,
    label: String,
}

type Listing = Arc<HashMap<String, Entry>>;

/// What a path resolves to inside the tree.
enum Resolved {
    Entry(Entry),
    Missing,
    Escapes,
}

impl GitTree {
    pub(super) fn new(repo: &GitRepo, rev: &Revision) -> Result<GitTree, GitError> {
        let git = repo.repository();
        let commit = git.find_commit(rev.oid)?;
        let tree = commit.tree()?;
        let root = if repo.prefix().is_empty() {
            Some(tree.id())
        } else {
            match tree.get_path(std::path::Path::new(repo.prefix())) {
                Ok(e) if e.kind() == Some(ObjectType::Tree) => Some(e.id()),
                Ok(_) => None,
                Err(e) if e.code() == git2::ErrorCode::NotFound => None,
                Err(e) => return Err(e.into()),
            }
        };
        let label = if repo.prefix().is_empty() {
            rev.label()
        } else {
            format!("{}:{}", rev.label(), repo.prefix())
        };
        Ok(GitTree {
            pool: Pool::new(repo.git_dir()),
            root,
            entries: OnceLock::new(),
            dirs: Mutex::new(HashMap::new()),
            label,
        })
    }

    /// Every entry below the root, walked once.
    fn entries(&self) -> io::Result<&BTreeMap<String, Entry>> {
        self.entries
            .get_or_init(|| {
                let mut entries = BTreeMap::new();
                let Some(root) = self.root else {
                    return Ok(entries);
                };
                self.pool
                    .with(|r| -> Result<(), git2::Error> {
                        let tree = r.find_tree(root)?;
                        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
                            if let Ok(name) = entry.name() {
                                entries.insert(
                                    format!("{dir}{name}"),
                                    Entry {
                                        oid: entry.id(),
                                        mode: entry.filemode(),
                                    },
                                );
                            }
                            TreeWalkResult::Ok
                        })
                    })
                    .and_then(|r| r)
                    .map_err(|e| e.message().to_string())?;
                Ok(entries)
            })
            .as_ref()
            .map_err(|e| io::Error::other(e.clone()))
    }

    /// One entry, from the full listing when it has been walked, else from its folder's listing.
    fn lookup(&self, path: &str) -> Option<Entry> {
        if let Some(Ok(map)) = self.entries.get() {
            return map.get(path).copied();
        }
        let (dir, name) = match path.rfind('/') {
            Some(i) => (path.get(..i)?, path.get(i + 1..)?),
            None => ("", path),
        };
        self.listing(dir)?.get(name).copied()
    }

    /// The entries of one folder, read once.
    fn listing(&self, dir: &str) -> Option<Listing> {
        if let Some(l) = self
            .dirs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(dir)
        {
            return Some(l.clone());
        }
        let oid = if dir.is_empty() {
            self.root?
        } else {
            let entry = self.lookup(dir)?;
            if entry.mode != MODE_TREE {
                return None;
            }
            entry.oid
        };
        let listing: HashMap<String, Entry> = self
            .pool
            .with(|r| {
                r.find_tree(oid).ok().map(|t| {
                    t.iter()
                        .filter_map(|e| {
                            let name = e.name().ok()?.to_string();
                            Some((
                                name,
                                Entry {
                                    oid: e.id(),
                                    mode: e.filemode(),
                                },
                            ))
                        })
                        .collect()
                })
            })
            .ok()
            .flatten()?;
        let listing = Arc::new(listing);
        self.dirs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(dir.to_string(), listing.clone());
        Some(listing)
    }

    /// Every file path in the tree, sorted (for policy folders).
    pub fn files_under(&self, dir: &str) -> Vec<String> {
        let dir = dir.trim_end_matches('/');
        let Ok(entries) = self.entries() else {
            return Vec::new();
        };
        entries
            .iter()
            .filter(|(p, e)| {
                e.mode != MODE_TREE
                    && (dir.is_empty() || dir == "." || super::strip_prefix(p, dir).is_some())
            })
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// The blob id of a file (not followed through links), to tell whether it changed.
    pub fn blob_id(&self, path: &str) -> Option<Oid> {
        self.lookup(path.trim_start_matches("./"))
            .filter(|e| e.mode != MODE_TREE)
            .map(|e| e.oid)
    }

    /// Whether the tree holds any symbolic link (walks the whole tree).
    pub fn has_links(&self) -> bool {
        self.entries()
            .is_ok_and(|m| m.values().any(|e| e.mode == MODE_LINK))
    }

    /// Whether the path names a folder.
    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.resolve(path), Resolved::Entry(e) if e.mode == MODE_TREE)
    }

    fn read_blob(&self, oid: Oid) -> io::Result<Vec<u8>> {
        self.pool
            .with(|r| r.find_blob(oid).map(|b| b.content().to_vec()))
            .and_then(|r| r)
            .map_err(io::Error::other)
    }

    /// Follows the path component by component, resolving symbolic links inside the tree.
    fn resolve(&self, path: &str) -> Resolved {
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .rev()
            .map(str::to_string)
            .collect();
        let mut current: Vec<String> = Vec::new();
        let mut links = 0;
        let mut last = None;
        while let Some(part) = pending.pop() {
            if part == ".." {
                if current.pop().is_none() {
                    return Resolved::Escapes;
                }
                last = None;
                continue;
            }
            current.push(part);
            let joined = current.join("/");
            let Some(entry) = self.lookup(&joined) else {
                return Resolved::Missing;
            };
            if entry.mode == MODE_LINK {
                links += 1;
                if links > MAX_LINKS {
                    return Resolved::Missing;
                }
                let Ok(target) = self.read_blob(entry.oid) else {
                    return Resolved::Missing;
                };
                let target = String::from_utf8_lossy(&target).to_string();
                if target.starts_with('/') || target.starts_with('\\') || target.contains(':') {
                    return Resolved::Escapes;
                }
                current.pop();
                for seg in target.split(['/', '\\']).rev() {
                    if !seg.is_empty() && seg != "." {
                        pending.push(seg.to_string());
                    }
                }
                last = None;
                continue;
            }
            if !pending.is_empty() && entry.mode != MODE_TREE {
                return Resolved::Missing;
            }
            last = Some(entry);
        }
        match last {
            Some(e) => Resolved::Entry(e),
            // The root itself, or a path that ends where a link pointed at the root.
            None if current.is_empty() => Resolved::Entry(Entry {
                oid: Oid::ZERO_SHA1,
                mode: MODE_TREE,
            }),
            None => match self.lookup(&current.join("/")) {
                Some(e) => Resolved::Entry(e),
                None => Resolved::Missing,
            },
        }
    }
}

impl Tree for GitTree {
    fn metadata_files(&self) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        for (path, entry) in self.entries()? {
            if entry.mode == MODE_TREE || entry.mode == MODE_COMMIT || entry.mode == MODE_LINK {
                continue;
            }
            let mut parts: Vec<&str> = path.split('/').collect();
            let Some(name) = parts.pop() else { continue };
            // The same folders a working-directory walk skips.
            if parts
                .iter()
                .any(|d| d.starts_with('.') || *d == "target" || *d == "node_modules")
            {
                continue;
            }
            if crate::repo::is_model_file(name) {
                out.push(path.clone());
            }
        }
        Ok(out)
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        if !is_contained(path) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("`{path}` leaves the repository"),
            ));
        }
        match self.resolve(path) {
            Resolved::Entry(e) if e.mode != MODE_TREE && e.mode != MODE_COMMIT => {
                self.read_blob(e.oid)
            }
            Resolved::Entry(_) | Resolved::Missing => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("`{path}` does not exist at {}", self.label),
            )),
            Resolved::Escapes => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("`{path}` resolves outside the repository"),
            )),
        }
    }

    fn evidence(&self, path: &str) -> EvidenceState {
        if !is_contained(path) {
            return EvidenceState::Escapes;
        }
        match self.resolve(path) {
            Resolved::Entry(e) if e.mode != MODE_TREE && e.mode != MODE_COMMIT => {
                EvidenceState::Present
            }
            Resolved::Entry(_) | Resolved::Missing => EvidenceState::Missing,
            Resolved::Escapes => EvidenceState::Escapes,
        }
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}
