//! Model repositories: finding models, reading their metadata, and reading evidence safely.
//!
//! A repository is any directory (or, through `git`, a tree at a revision): every folder holding a
//! `model.toml` (or a `model.json` / `model.yaml` twin) is one model, and so is a folder with only
//! an MLflow `MLmodel`, a `model_card.json` or a Hugging Face model-card `README.md` (see
//! `adapters`, which also reads those files and tool reports beside `model.toml`). This module
//! discovers model folders, loads each metadata file into a [`Value`] with the byte span of every
//! field (so diagnostics and findings can cite `model.toml:14:1`), checks it against the policy
//! schema, and answers whether an evidence path exists without ever reading outside the
//! repository. A broken model file yields diagnostics for that model only.

mod adapters;
mod load;

use std::collections::BTreeMap;
use std::io::{self, Read as _};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::check::Program;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{Location, SourceFile};
use crate::value::Value;

pub use adapters::{
    ADAPTERS, Adapter, NAMESPACES as ADAPTER_NAMESPACES, is_primary_name, makes_model,
};
pub use load::{conform, model_from_text, parse_metadata};

/// Metadata file names, in order of precedence.
pub const METADATA_FILES: [&str; 4] = ["model.toml", "model.json", "model.yaml", "model.yml"];

/// Whether a file name is one discovery looks at: a metadata file, or an adapter file that can
/// make its folder a model (`MLmodel`, `model_card.json`, `README.md`).
pub fn is_model_file(name: &str) -> bool {
    METADATA_FILES.contains(&name) || adapters::is_primary_name(name)
}

/// Default limit on one metadata file's size.
pub const MAX_METADATA_SIZE: usize = 4 << 20;

/// What an evidence path resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceState {
    Present,
    Missing,
    /// The path leaves the repository (`..`, absolute, or a symlink pointing outside).
    Escapes,
}

/// Read access to a repository's files by repository-relative, `/`-separated paths.
pub trait Tree: Sync {
    /// Every file path in the repository whose name passes [`is_model_file`], sorted.
    fn metadata_files(&self) -> io::Result<Vec<String>>;
    /// Reads a file.
    fn read(&self, path: &str) -> io::Result<Vec<u8>>;
    /// Whether an evidence path is present, missing, or escapes the repository.
    fn evidence(&self, path: &str) -> EvidenceState;
    /// An evidence path's state and, when it is present, its bytes: [`Tree::evidence`], then
    /// [`Tree::read`]. A tree may resolve the path once for both.
    fn evidence_bytes(&self, path: &str) -> (EvidenceState, Option<io::Result<Vec<u8>>>) {
        let state = self.evidence(path);
        let bytes = (state == EvidenceState::Present).then(|| self.read(path));
        (state, bytes)
    }
    /// An evidence path's state and, when it is present, the file opened for reading with its
    /// size, so that it can be hashed or copied without being held in memory. A tree may resolve
    /// the path once for both.
    fn open_evidence(&self, path: &str) -> (EvidenceState, Option<io::Result<EvidenceFile>>) {
        let (state, bytes) = self.evidence_bytes(path);
        (state, bytes.map(|b| b.map(EvidenceFile::from_bytes)))
    }
    /// An evidence path's state and, when it is present, the SHA-256 of its bytes (lowercase hex),
    /// read in pieces.
    fn evidence_digest(&self, path: &str) -> (EvidenceState, Option<io::Result<String>>) {
        let (state, file) = self.open_evidence(path);
        (state, file.map(|f| f.and_then(|f| sha256_reader(f.reader))))
    }
    /// A name for reports: the directory, or `rev:dir`.
    fn describe(&self) -> String;
    /// The commit history behind the tree, for the `git.*` builtins; `None` outside git.
    fn history(&self) -> Option<&dyn crate::git::History> {
        None
    }
}

/// An evidence file opened for reading.
pub struct EvidenceFile {
    pub reader: Box<dyn io::Read + Send>,
    /// The size when it was opened.
    pub size: u64,
}

impl EvidenceFile {
    /// A file already in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        EvidenceFile {
            size: bytes.len() as u64,
            reader: Box::new(io::Cursor::new(bytes)),
        }
    }
}

/// The SHA-256 of everything `reader` yields, in lowercase hex, read 64 KiB at a time.
pub fn sha256_reader(mut reader: impl io::Read) -> io::Result<String> {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(base16ct::lower::encode_string(&hasher.finalize()))
}

/// Opens a file only if it is a regular file, without blocking on a FIFO or a device and without
/// following a symbolic link in its last component. Returns the file and its size.
pub fn open_regular(path: &Path) -> io::Result<(std::fs::File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` is not a regular file", path.display()),
        ));
    }
    Ok((file, meta.len()))
}

/// The SHA-256 of `bytes`, in lowercase hex (as `sha256sum` writes it).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    base16ct::lower::encode_string(&sha2::Sha256::digest(bytes))
}

/// Whether a relative path stays inside its root lexically: no `..`, no root, no prefix.
pub fn is_contained(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.starts_with('\\')
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        && !path.split(['/', '\\']).any(|s| s == "..")
        && !path.contains(':')
}

/// Joins a model folder and a relative path with `/`.
pub fn join(dir: &str, rel: &str) -> String {
    let rel = rel.trim_start_matches("./");
    if dir.is_empty() || dir == "." {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

/// A repository in a directory on disk.
#[derive(Debug, Clone)]
pub struct WorkTree {
    pub root: PathBuf,
    canonical: PathBuf,
}

impl WorkTree {
    pub fn new(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        let canonical = root.canonicalize()?;
        if !canonical.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", root.display()),
            ));
        }
        Ok(WorkTree { root, canonical })
    }
}

impl Tree for WorkTree {
    fn metadata_files(&self) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        let walker = walkdir::WalkDir::new(&self.root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0 || {
                    let name = e.file_name().to_string_lossy();
                    !(e.file_type().is_dir()
                        && (name.starts_with('.') || name == "target" || name == "node_modules"))
                }
            });
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) if e.depth() > 0 => continue,
                Err(e) => return Err(io::Error::other(e)),
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if is_model_file(name.as_ref())
                && let Ok(rel) = entry.path().strip_prefix(&self.root)
            {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
        out.sort();
        Ok(out)
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        if !is_contained(path) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("`{path}` leaves the repository"),
            ));
        }
        let full = self.root.join(path);
        let canonical = full.canonicalize()?;
        if !canonical.starts_with(&self.canonical) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("`{path}` resolves outside the repository"),
            ));
        }
        std::fs::read(canonical)
    }

    fn evidence(&self, path: &str) -> EvidenceState {
        if !is_contained(path) {
            return EvidenceState::Escapes;
        }
        let full = self.root.join(path);
        if std::fs::symlink_metadata(&full).is_err() {
            return EvidenceState::Missing;
        }
        match full.canonicalize() {
            Ok(c) if !c.starts_with(&self.canonical) => EvidenceState::Escapes,
            Ok(c) if c.is_file() => EvidenceState::Present,
            Ok(_) => EvidenceState::Missing,
            // A dangling link: treat a link target we cannot resolve as missing.
            Err(_) => EvidenceState::Missing,
        }
    }

    fn evidence_bytes(&self, path: &str) -> (EvidenceState, Option<io::Result<Vec<u8>>>) {
        let (state, file) = self.open_evidence(path);
        let bytes = file.map(|f| {
            f.and_then(|mut f| {
                let mut bytes = Vec::with_capacity(usize::try_from(f.size).unwrap_or(0));
                f.reader.read_to_end(&mut bytes).map(|_| bytes)
            })
        });
        (state, bytes)
    }

    fn open_evidence(&self, path: &str) -> (EvidenceState, Option<io::Result<EvidenceFile>>) {
        if !is_contained(path) {
            return (EvidenceState::Escapes, None);
        }
        // One resolution for both questions; a dangling link or a missing file does not resolve.
        let Ok(canonical) = self.root.join(path).canonicalize() else {
            return (EvidenceState::Missing, None);
        };
        if !canonical.starts_with(&self.canonical) {
            return (EvidenceState::Escapes, None);
        }
        // Only regular files are evidence (and reading a FIFO would block).
        if !std::fs::metadata(&canonical).is_ok_and(|m| m.is_file()) {
            return (EvidenceState::Missing, None);
        }
        let opened = open_regular(&canonical).map(|(file, size)| EvidenceFile {
            reader: Box::new(file),
            size,
        });
        (EvidenceState::Present, Some(opened))
    }

    fn describe(&self) -> String {
        crate::library::display_path(&self.root)
    }
}

/// What [`DigestOnce`] remembers of one evidence path: its state and, when present, its SHA-256.
type Kept = (EvidenceState, Option<String>);

/// A tree that hashes each evidence file once per run: every model and control that cites a file
/// sees the same state and SHA-256, even if the file changes while the run goes on. A pack copies
/// evidence against those hashes, so what it holds is what was evaluated. Read errors are not
/// kept. Only digests are kept, never contents, so memory does not grow with the evidence.
pub struct DigestOnce<T> {
    inner: T,
    kept: std::sync::Mutex<std::collections::HashMap<String, Kept>>,
}

impl<T: Tree> DigestOnce<T> {
    pub fn new(inner: T) -> Self {
        DigestOnce {
            inner,
            kept: std::sync::Mutex::default(),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Kept>> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<T: Tree> Tree for DigestOnce<T> {
    fn metadata_files(&self) -> io::Result<Vec<String>> {
        self.inner.metadata_files()
    }
    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        self.inner.read(path)
    }
    fn evidence(&self, path: &str) -> EvidenceState {
        if let Some((state, _)) = self.kept().get(path) {
            return *state;
        }
        self.inner.evidence(path)
    }
    fn evidence_bytes(&self, path: &str) -> (EvidenceState, Option<io::Result<Vec<u8>>>) {
        self.inner.evidence_bytes(path)
    }
    fn open_evidence(&self, path: &str) -> (EvidenceState, Option<io::Result<EvidenceFile>>) {
        self.inner.open_evidence(path)
    }
    fn evidence_digest(&self, path: &str) -> (EvidenceState, Option<io::Result<String>>) {
        if let Some((state, kept)) = self.kept().get(path) {
            return (*state, kept.clone().map(Ok));
        }
        match self.inner.evidence_digest(path) {
            (state, Some(Ok(hash))) => {
                self.kept()
                    .insert(path.to_string(), (state, Some(hash.clone())));
                (state, Some(Ok(hash)))
            }
            (state, None) => {
                self.kept().insert(path.to_string(), (state, None));
                (state, None)
            }
            (state, Some(Err(e))) => (state, Some(Err(e))),
        }
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn history(&self) -> Option<&dyn crate::git::History> {
        self.inner.history()
    }
}

/// One model: its folder, metadata and where every field was read from.
#[derive(Debug, Clone)]
pub struct Model {
    /// `model.id`, or the folder name when the metadata has none.
    pub id: String,
    /// Repository-relative folder (`models/retail-credit-scoring`).
    pub dir: String,
    /// Repository-relative metadata file.
    pub file: String,
    pub value: Value,
    /// Byte span of each field, by path (`fairness[0].disparate_impact`).
    pub locations: BTreeMap<String, (usize, usize)>,
    /// The metadata text, for locating fields and rendering diagnostics.
    pub source: Option<SourceFile>,
    /// Files read by adapters besides `file` (model cards, `MLmodel`, tool reports), including
    /// ones that failed to parse, so their diagnostics render with their text.
    pub extra_sources: Vec<SourceFile>,
    /// For fields read from one of `extra_sources`, its index there.
    pub field_sources: BTreeMap<String, usize>,
    pub diagnostics: Vec<Diagnostic>,
    /// False when the metadata could not be parsed at all: the model is reported, not evaluated.
    pub parsed: bool,
}

impl Model {
    /// Where a field was read from; the file itself when unknown.
    pub fn locate(&self, path: &str) -> Location {
        let source = match self.field_sources.get(path) {
            Some(&i) => self.extra_sources.get(i),
            None => self.source.as_ref(),
        };
        match (source, self.locations.get(path)) {
            (Some(src), Some(&(s, e))) => src.locate(s, e),
            _ => Location::file(self.file.clone()),
        }
    }

    /// Location of the nearest recorded ancestor of `path` (for missing fields).
    pub fn locate_nearest(&self, path: &str) -> Location {
        let mut p = path.to_string();
        loop {
            if self.locations.contains_key(&p) {
                return self.locate(&p);
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => break,
            }
        }
        match &self.source {
            Some(src) => src.locate(0, 0),
            None => Location::file(self.file.clone()),
        }
    }

    pub fn str_at(&self, path: &str) -> Option<&str> {
        self.value.path(path).and_then(Value::as_str)
    }
}

/// Finds model folders. Where a folder has several metadata files, the first of
/// [`METADATA_FILES`] wins and the others are reported.
/// A discovered model: its folder and its metadata file, repository-relative.
pub type Found = (String, String);

pub fn discover(tree: &dyn Tree) -> io::Result<(Vec<Found>, Vec<Diagnostic>)> {
    let files = tree.metadata_files()?;
    let mut by_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files {
        let dir = match f.rfind('/') {
            Some(i) => f.get(..i).unwrap_or("").to_string(),
            None => String::new(),
        };
        by_dir.entry(dir).or_default().push(f);
    }
    let mut models = Vec::new();
    let mut diagnostics = Vec::new();
    for (dir, files) in by_dir {
        // Adapter files make a model only where there is no metadata file.
        let (mut files, adapter_files): (Vec<String>, Vec<String>) = files
            .into_iter()
            .partition(|f| METADATA_FILES.contains(&f.rsplit('/').next().unwrap_or("")));
        if files.is_empty() {
            let primary = adapters::ADAPTERS
                .iter()
                .filter(|a| a.primary)
                .filter_map(|a| {
                    adapter_files
                        .iter()
                        .find(|f| f.rsplit('/').next() == Some(a.file))
                })
                .find(|f| adapters::makes_model(tree, f));
            if let Some(f) = primary {
                models.push((dir, f.clone()));
            }
            continue;
        }
        files.sort_by_key(|f| {
            let name = f.rsplit('/').next().unwrap_or("");
            METADATA_FILES
                .iter()
                .position(|m| *m == name)
                .unwrap_or(usize::MAX)
        });
        let mut it = files.into_iter();
        let Some(first) = it.next() else { continue };
        for shadowed in it {
            diagnostics.push(
                Diagnostic::new(
                    Code::ShadowedMetadata,
                    format!("`{shadowed}` is ignored because `{first}` exists"),
                )
                .at(Location::file(shadowed.clone()), "ignored"),
            );
        }
        models.push((dir, first));
    }
    Ok((models, diagnostics))
}

/// Loads and schema-checks every model, in parallel; results in folder order.
pub fn load_all(tree: &dyn Tree, found: &[(String, String)], program: &Program) -> Vec<Model> {
    let mut models: Vec<Model> = found
        .par_iter()
        .map(|(dir, file)| load::load(tree, dir, file, program))
        .collect();
    // Duplicate ids: every model keeps its diagnostics; later ones are flagged.
    let mut first: BTreeMap<String, String> = BTreeMap::new();
    for m in &mut models {
        if let Some(prev) = first.get(&m.id) {
            let loc = m.locate("model.id");
            m.diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateModel,
                    format!("model id `{}` is also used by `{prev}`", m.id),
                )
                .at(loc, "duplicate id")
                .also(Location::file(prev.clone()), "first used here")
                .help("give each model a unique `model.id`"),
            );
        } else {
            first.insert(m.id.clone(), m.file.clone());
        }
    }
    models
}
