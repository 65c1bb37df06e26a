//! The shipped library: the policy files in `policies/` and the framework catalogs in
//! `frameworks/`, embedded in the binary at build time so `mrm check` works with no configuration.
//! Also the one place that turns a set of policy sources into a checked program.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ast::PolicyFile;
use crate::check::{self, Checked};
use crate::diagnostic::{Code, Diagnostic};
use crate::framework::Catalogs;
use crate::source::{Location, SourceFile, SourceMap};
use crate::syntax;

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Policy sources, parsed and checked.
#[derive(Debug)]
pub struct PolicySet {
    pub sources: SourceMap,
    pub files: Vec<PolicyFile>,
    pub catalogs: Catalogs,
    pub checked: Checked,
    /// Diagnostics from reading and parsing (the checker's are in `checked`).
    pub diagnostics: Vec<Diagnostic>,
    /// SHA-256 over the policy and catalog sources, in name order.
    pub digest: String,
    /// Where the policies came from, for reports.
    pub origin: String,
}

impl PolicySet {
    /// All diagnostics, sorted.
    pub fn all_diagnostics(&self) -> Vec<Diagnostic> {
        let mut v = self.diagnostics.clone();
        v.extend(self.checked.diagnostics.iter().cloned());
        crate::diagnostic::sort(&mut v);
        v
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error) || self.checked.has_errors()
    }

    /// The policy files' sources (name, text), for packs.
    pub fn policy_sources(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .filter_map(|f| self.sources.file(f.source))
            .map(|f| (f.name.to_string(), f.text.to_string()))
            .collect()
    }
}

/// Where policies come from.
#[derive(Debug, Clone)]
pub enum PolicySource {
    /// The embedded library.
    Embedded,
    /// A `.mrm` file or a directory searched recursively for them, named on the command line:
    /// it may lie anywhere.
    Path(PathBuf),
    /// A policy path named by a repository's `mrm.toml` (`root` is the repository): the path and
    /// every file found under it must stay inside the repository, links included.
    InRepository { root: PathBuf, path: String },
    /// Text already in memory (git revisions, tests): (name, text).
    Text(String, String),
}

/// Reads `.mrm` files under a path, sorted by name. Entries named `*.mrm` that are not regular
/// files (links, FIFOs) are listed too: reading them says what they are, so a policy file cannot
/// drop out of the set by being replaced with one.
pub fn policy_files_in(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !path.exists() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} does not exist", path.display()),
        ));
    }
    if !path.is_dir() {
        // A FIFO or other special file named as a policy: reading it refuses it.
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
    {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_dir() && entry.path().extension().is_some_and(|e| e == "mrm") {
            out.push(entry.path().to_path_buf());
        }
    }
    Ok(out)
}

/// Whether a repository-relative path stays inside the repository as written: not absolute, no
/// drive, no `..`.
pub fn is_relative_inside(path: &str) -> bool {
    let p = path.trim_start_matches("./");
    p.is_empty() || p == "." || crate::repo::is_contained(p)
}

/// The policy files a repository's `mrm.toml` names with `path`, each checked to resolve inside
/// `root` once links are followed.
fn policy_files_in_repository(root: &Path, path: &str) -> Result<Vec<PathBuf>, Diagnostic> {
    let outside = |what: String| {
        Diagnostic::new(
            Code::PathOutside,
            format!("policy path `{path}` in `mrm.toml` {what} and was not read"),
        )
        .at(Location::file("mrm.toml"), "")
        .help(
            "name policies relative to the repository root, inside it; `--policy PATH` may name \
             policies elsewhere",
        )
    };
    if !is_relative_inside(path) {
        return Err(outside("leaves the repository".to_string()));
    }
    let missing = |e: std::io::Error| {
        Diagnostic::new(
            Code::PolicySourceMissing,
            format!("cannot read policies from `{path}`: {e}"),
        )
        .at(Location::file("mrm.toml"), "")
    };
    let canonical_root = root.canonicalize().map_err(missing)?;
    let full = root.join(path.trim_start_matches("./"));
    let target = full.canonicalize().map_err(missing)?;
    if !target.starts_with(&canonical_root) {
        return Err(outside(
            "resolves outside the repository through a link".to_string(),
        ));
    }
    let files = policy_files_in(&target).map_err(missing)?;
    for f in &files {
        // A link under the policy folder may lead anywhere: follow it to check.
        if let Ok(c) = f.canonicalize()
            && !c.starts_with(&canonical_root)
        {
            return Err(outside(format!(
                "holds `{}`, which resolves outside the repository through a link,",
                display_path(f)
            )));
        }
    }
    Ok(files)
}

/// Display name of a path: relative to the current directory when possible, `/`-separated.
pub fn display_path(path: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let shown = rel.to_string_lossy().replace('\\', "/");
    // The current directory itself.
    if shown.is_empty() {
        ".".to_string()
    } else {
        shown
    }
}

/// Reads a file as UTF-8 text, or explains why not. Links are followed (a policy named on the
/// command line may be one); the file's type and size are checked before it is read (see
/// [`crate::repo::read`]).
pub fn read_text(path: &Path, name: &str, limit: usize) -> Result<String, Diagnostic> {
    let resolved = path
        .canonicalize()
        .map_err(|e| crate::repo::read::diagnostic(name, &e))?;
    let bytes = crate::repo::read::read_regular(&resolved, limit as u64)
        .map_err(|e| crate::repo::read::diagnostic(name, &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        Diagnostic::new(
            Code::InvalidUtf8,
            format!("`{name}` is not valid UTF-8 (invalid byte at offset {offset})"),
        )
        .at(Location::file(name), "")
        .help("re-save the file as UTF-8")
    })
}

/// Loads, parses and checks policies from the given sources against the catalogs.
pub fn load(sources_in: &[PolicySource], catalogs: Catalogs) -> PolicySet {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let mut origin = Vec::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    for s in sources_in {
        match s {
            PolicySource::Embedded => {
                origin.push("embedded".to_string());
                for (name, text) in POLICIES {
                    texts.push(((*name).to_string(), (*text).to_string()));
                }
            }
            PolicySource::Text(name, text) => {
                origin.push(name.clone());
                texts.push((name.clone(), text.clone()));
            }
            PolicySource::Path(p) => {
                origin.push(display_path(p));
                match policy_files_in(p) {
                    Ok(files) => read_all(&files, &mut texts, &mut diagnostics),
                    Err(e) => diagnostics.push(
                        Diagnostic::new(
                            Code::PolicySourceMissing,
                            format!("cannot read policies from `{}`: {e}", display_path(p)),
                        )
                        .at(Location::file(display_path(p)), ""),
                    ),
                }
            }
            PolicySource::InRepository { root, path } => {
                origin.push(display_path(&root.join(path)));
                match policy_files_in_repository(root, path) {
                    Ok(files) => read_all(&files, &mut texts, &mut diagnostics),
                    Err(d) => diagnostics.push(d),
                }
            }
        }
    }
    let mut files = Vec::new();
    for (name, text) in &texts {
        let id = sources.add(SourceFile::new(name.as_str(), text.as_str()));
        let parsed = syntax::parse(&sources, id);
        diagnostics.extend(parsed.diagnostics);
        if let Some(f) = parsed.file {
            files.push(f);
        }
    }
    for (name, text) in &catalogs.sources {
        if sources.by_name(name).is_none() {
            sources.add(SourceFile::new(name.as_str(), text.as_str()));
        }
    }
    let checked = check::check(&files, &sources, &catalogs);
    let mut hasher = Sha256::new();
    let mut all: Vec<&(String, String)> = texts.iter().chain(catalogs.sources.iter()).collect();
    all.sort();
    for (name, text) in all {
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    let digest = base16ct::lower::encode_string(&hasher.finalize());
    crate::diagnostic::sort(&mut diagnostics);
    PolicySet {
        sources,
        files,
        catalogs,
        checked,
        diagnostics,
        digest,
        origin: origin.join(", "),
    }
}

/// Reads policy files as text into `texts`, or says why each could not be read.
fn read_all(files: &[PathBuf], texts: &mut Vec<(String, String)>, diags: &mut Vec<Diagnostic>) {
    for f in files {
        let name = display_path(f);
        match read_text(f, &name, syntax::Limits::default().max_file_size) {
            Ok(t) => texts.push((name, t)),
            Err(d) => diags.push(d),
        }
    }
}

/// The embedded catalogs and policies, checked.
pub fn embedded() -> PolicySet {
    let (catalogs, mut cat_diags) = Catalogs::embedded();
    let mut set = load(&[PolicySource::Embedded], catalogs);
    set.diagnostics.append(&mut cat_diags);
    set
}
