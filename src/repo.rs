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
pub mod evidence;
mod load;
pub mod read;

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
pub use read::{Content as EvidenceContent, Digest as EvidenceDigest, Refusal};

/// Metadata file names, in order of precedence.
pub const METADATA_FILES: [&str; 4] = ["model.toml", "model.json", "model.yaml", "model.yml"];

/// Whether a file name is one discovery looks at: a metadata file, or an adapter file that can
/// make its folder a model (`MLmodel`, `model_card.json`, `README.md`).
pub fn is_model_file(name: &str) -> bool {
    METADATA_FILES.contains(&name) || adapters::is_primary_name(name)
}

/// Limit on the size of one metadata file, adapter file, `mrm.toml` or `waivers.toml`.
pub const MAX_METADATA_SIZE: usize = 4 << 20;

/// A file's bytes, and whether a symbolic link was followed to reach them. Reports never show
/// the text of a file reached through a link (see [`crate::source::SourceFile::hide`]).
#[derive(Debug, Clone, Default)]
pub struct FileRead {
    pub bytes: Vec<u8>,
    pub via_link: bool,
}

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
    /// Reads a file of at most `limit` bytes. A tree on disk checks the file's type and size
    /// before reading it (see [`read`]); a larger file is refused with [`Refusal::TooLarge`].
    fn read_capped(&self, path: &str, limit: u64) -> io::Result<FileRead> {
        let bytes = self.read(path)?;
        let size = bytes.len() as u64;
        if size > limit {
            return Err(Refusal::TooLarge { size, limit }.into_io());
        }
        Ok(FileRead {
            bytes,
            via_link: false,
        })
    }
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
    /// An evidence path's state and, when it is present, the digest of its bytes (SHA-256, size,
    /// and whether they can stand as evidence) or why they could not be read; read in pieces.
    fn evidence_digest(&self, path: &str) -> (EvidenceState, Option<io::Result<EvidenceDigest>>) {
        let (state, file) = self.open_evidence(path);
        (
            state,
            file.map(|f| f.and_then(|f| read::digest_reader(f.reader))),
        )
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
/// following a symbolic link in its last component. Returns the file and its size. See [`read`].
pub fn open_regular(path: &Path) -> io::Result<(std::fs::File, u64)> {
    read::open_regular(path, u64::MAX)
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

impl WorkTree {
    /// Resolves a repository path to the file it names, following links only as long as they stay
    /// inside the repository. Also says whether a link was followed.
    fn resolve(&self, path: &str) -> io::Result<(PathBuf, bool)> {
        if !is_contained(path) {
            return Err(Refusal::Escapes.into_io());
        }
        let full = self.root.join(path);
        let canonical = match full.canonicalize() {
            Ok(c) => c,
            // Discovery names a file whose path is not UTF-8 by its lossy form, which does not
            // exist: say why it cannot be read rather than that it is missing.
            Err(e) if e.kind() == io::ErrorKind::NotFound && path.contains('\u{FFFD}') => {
                return Err(Refusal::PathNotUtf8.into_io());
            }
            Err(e) => return Err(e),
        };
        if !canonical.starts_with(&self.canonical) {
            return Err(Refusal::Escapes.into_io());
        }
        let direct = path
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .fold(self.canonical.clone(), |p, s| p.join(s));
        let via_link = canonical != direct;
        Ok((canonical, via_link))
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
            if entry.depth() == 0 {
                continue;
            }
            // Whatever stands under a metadata name is listed, links, FIFOs and folders included:
            // reading it says what it is, so that a model cannot disappear by becoming one.
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
        self.read_capped(path, u64::MAX).map(|r| r.bytes)
    }

    fn read_capped(&self, path: &str, limit: u64) -> io::Result<FileRead> {
        let (canonical, via_link) = self.resolve(path)?;
        Ok(FileRead {
            bytes: read::read_regular(&canonical, limit)?,
            via_link,
        })
    }

    fn evidence(&self, path: &str) -> EvidenceState {
        evidence_state(self.resolve(path)).0
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
        // One resolution for the state and the file; the file's type is checked before it is
        // opened, and again on the handle (see [`read`]).
        let (state, file) = evidence_state(self.resolve(path));
        let opened = file.map(|f| {
            f.and_then(|f| read::open_regular(&f, u64::MAX))
                .map(|(file, size)| EvidenceFile {
                    reader: Box::new(file),
                    size,
                })
        });
        (state, opened)
    }

    fn describe(&self) -> String {
        crate::library::display_path(&self.root)
    }
}

/// An evidence path's state from its resolution, and the file to read when it is present. A
/// dangling link and a folder are missing; a FIFO, socket or device is present, and reading it
/// is refused (the control cannot be decided, so it is an error, never a pass).
fn evidence_state(
    resolved: io::Result<(PathBuf, bool)>,
) -> (EvidenceState, Option<io::Result<PathBuf>>) {
    match resolved {
        Ok((canonical, _)) if canonical.is_dir() => (EvidenceState::Missing, None),
        Ok((canonical, _)) => (EvidenceState::Present, Some(Ok(canonical))),
        Err(e) if matches!(Refusal::of(&e), Some(Refusal::Escapes)) => {
            (EvidenceState::Escapes, None)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => (EvidenceState::Missing, None),
        // There, but not resolvable (permissions, a name that is not UTF-8): reading says why.
        Err(e) => (EvidenceState::Present, Some(Err(e))),
    }
}

/// What [`DigestOnce`] remembers of one evidence path: its state and, when present, its digest.
type Kept = (EvidenceState, Option<EvidenceDigest>);

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
    fn read_capped(&self, path: &str, limit: u64) -> io::Result<FileRead> {
        self.inner.read_capped(path, limit)
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
    fn evidence_digest(&self, path: &str) -> (EvidenceState, Option<io::Result<EvidenceDigest>>) {
        if let Some((state, kept)) = self.kept().get(path) {
            return (*state, kept.clone().map(Ok));
        }
        match self.inner.evidence_digest(path) {
            (state, Some(Ok(digest))) => {
                self.kept()
                    .insert(path.to_string(), (state, Some(digest.clone())));
                (state, Some(Ok(digest)))
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

/// The diagnostic for a repository in which discovery found no model.
pub fn no_models(repository: &str) -> Diagnostic {
    Diagnostic::new(Code::NoModels, format!("no model found in `{repository}`")).help(
        "a model is a folder holding a `model.toml` (or `model.json`, `model.yaml`, an MLflow \
         `MLmodel`, a `model_card.json` or a Hugging Face model card); check the path, or start \
         one with `mrm init`",
    )
}

/// Loads and schema-checks every model, in parallel; results in folder order.
pub fn load_all(tree: &dyn Tree, found: &[(String, String)], program: &Program) -> Vec<Model> {
    let mut models: Vec<Model> = found
        .par_iter()
        .map(|(dir, file)| load::load(tree, dir, file, program))
        .collect();
    flag_duplicate_ids(&mut models);
    models
}

/// Flags every model whose id another model shares: each of them is a blocking finding (see
/// [`Code::blocks_model`]), and no waiver applies to any of them while the ids collide. Ids are
/// compared as a reader sees them: letter case, surrounding white space and invisible characters
/// aside, so `Credit` and `credit\u{200B}` collide with `credit`.
fn flag_duplicate_ids(models: &mut [Model]) {
    let mut by_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, m) in models.iter().enumerate() {
        by_id.entry(id_key(&m.id)).or_default().push(i);
    }
    for shared in by_id.values().filter(|v| v.len() > 1) {
        let others: Vec<(usize, String, String)> = shared
            .iter()
            .filter_map(|&i| models.get(i).map(|m| (i, m.id.clone(), m.file.clone())))
            .collect();
        for &i in shared {
            let Some(m) = models.get_mut(i) else { continue };
            let loc = m.locate("model.id");
            let mut d = Diagnostic::new(
                Code::DuplicateModel,
                format!(
                    "model id `{}` is also used by {}",
                    m.id,
                    others
                        .iter()
                        .filter(|(j, _, _)| *j != i)
                        .map(|(_, _, file)| format!("`{file}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .at(loc, "duplicate id");
            for (j, id, file) in &others {
                if *j != i {
                    d = d.also(Location::file(file.clone()), format!("`{id}` used here"));
                }
            }
            m.diagnostics.push(d.help(
                "give each model a unique `model.id`; until then no waiver applies to any of them",
            ));
        }
    }
}

/// An id as a reader compares it: lower case, without surrounding white space or invisible
/// (format) characters.
pub fn id_key(id: &str) -> String {
    id.trim()
        .chars()
        .filter(|c| !is_invisible(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Characters that take no space when shown: zero-width spaces and joiners, direction marks and
/// overrides, the byte-order mark, soft hyphens and other format characters.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}
