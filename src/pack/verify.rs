//! Checking a pack: every file re-hashed against the manifest, the signature checked, and
//! optionally the recorded results compared with a fresh evaluation of the pack's own policies
//! against a repository.
//!
//! A pack is read as it was written (a `.tar.gz`) or as it was extracted (a directory). Archives
//! re-made by other tools are accepted: directory entries are ignored, `./` prefixes dropped, and
//! a pack kept under one top folder (`tar czf pack.tar.gz pack/`) is read from that folder; only
//! file contents are compared, never modes, owners or times.
//!
//! Memory and time are bounded by the pack, never by what a header claims: entries stream
//! through the hasher and are never held whole; only the manifest, the signature and (when
//! re-evaluating) the policy, catalog and result files are kept, each under a limit. An entry
//! that the manifest does not list, or whose size differs from the listed one, is reported
//! without being read; long-name and PAX headers are read only up to [`MAX_EXTENSION`] bytes;
//! links, devices and FIFOs are reported, never followed or opened. Nothing is extracted.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use super::sign::{self, SIGNATURE, SignatureCheck};
use super::{MANIFEST, Manifest, RESULTS};
use crate::engine::{self, Failure, Request};
use crate::framework;
use crate::library::{self, PolicySource};
use crate::repo::{self, WorkTree};
use crate::source::{SourceFile, SourceMap};

/// Largest manifest read into memory.
pub const MAX_MANIFEST: u64 = 64 << 20;
/// Largest signature file read into memory.
const MAX_SIGNATURE: u64 = 64 << 10;
/// Largest total of the files kept for re-evaluation (results, policy and catalog sources).
pub const MAX_KEPT: u64 = 256 << 20;
/// Largest GNU long-name or PAX extended header.
pub const MAX_EXTENSION: u64 = 64 << 10;
/// Most differences listed one by one; the rest are counted.
pub const MAX_PROBLEMS: usize = 1_000;

/// One way a pack differs from its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file's bytes do not hash to the recorded value.
    Altered {
        path: String,
        expected: String,
        actual: String,
    },
    /// The file's size is not the recorded one (it is not read).
    Resized {
        path: String,
        expected: u64,
        actual: u64,
    },
    /// Listed in the manifest, absent from the pack.
    Missing { path: String },
    /// In the pack, not listed in the manifest (it is not read).
    Extra { path: String },
    /// In the pack more than once.
    Duplicate { path: String },
    /// Not a regular file: a link, a device, a FIFO.
    NotAFile { path: String, kind: &'static str },
    /// A name that would leave the pack when extracted (absolute, or with `..`), in the archive
    /// or in the manifest.
    Unsafe { path: String },
    /// A file of an extracted pack that cannot be read.
    Unreadable { path: String, error: String },
}

impl Problem {
    pub fn path(&self) -> &str {
        match self {
            Problem::Altered { path, .. }
            | Problem::Resized { path, .. }
            | Problem::Missing { path }
            | Problem::Extra { path }
            | Problem::Duplicate { path }
            | Problem::NotAFile { path, .. }
            | Problem::Unsafe { path }
            | Problem::Unreadable { path, .. } => path,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Altered {
                path,
                expected,
                actual,
            } => write!(
                f,
                "altered    {path} (sha256 {actual}, manifest says {expected})"
            ),
            Problem::Resized {
                path,
                expected,
                actual,
            } => write!(
                f,
                "altered    {path} (size {actual} bytes, manifest says {expected})"
            ),
            Problem::Missing { path } => write!(f, "missing    {path}"),
            Problem::Extra { path } => write!(f, "extra      {path} (not in the manifest)"),
            Problem::Duplicate { path } => write!(f, "duplicate  {path} (appears more than once)"),
            Problem::NotAFile { path, kind } => write!(f, "not a file {path} ({kind})"),
            Problem::Unsafe { path } => write!(
                f,
                "unsafe     {path} (absolute or with `..`: it would leave the pack)"
            ),
            Problem::Unreadable { path, error } => write!(f, "unreadable {path} ({error})"),
        }
    }
}

/// Why something is not a readable pack.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not a gzip-compressed tar archive (nor a directory)")]
    NotGzip,
    #[error("cannot read the archive: {0}")]
    Archive(io::Error),
    #[error("cannot read it: {0}")]
    Io(io::Error),
    #[error(
        "no `manifest.json` at its top (nor under one top folder); is it an mrm pack, or the \
         folder a pack was extracted into?"
    )]
    NoManifest,
    #[error("`manifest.json` is not a pack manifest: {0}")]
    Manifest(serde_json::Error),
    #[error("`{path}` is {size} bytes, more than the {limit} bytes a pack's {what} may have")]
    TooLarge {
        path: String,
        size: u64,
        limit: u64,
        what: &'static str,
    },
    #[error(
        "an archive header extension (long name or PAX) of {0} bytes, more than {MAX_EXTENSION}: \
         not a pack"
    )]
    Extension(u64),
    #[error(
        "an archive entry whose PAX size ({pax}) differs from its header ({header}) is not supported"
    )]
    PaxSize { pax: u64, header: u64 },
}

/// What to keep besides the manifest and the signature.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Keep the results and the policy and catalog sources, for [`reevaluate`].
    pub keep_sources: bool,
}

/// The result of checking a pack against its manifest.
#[derive(Debug)]
pub struct Verification {
    pub manifest: Manifest,
    /// Regular files in the pack, the manifest included.
    pub entries: usize,
    /// Differences from the manifest, in path order (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// Differences found beyond [`MAX_PROBLEMS`], not listed.
    pub unlisted: usize,
    /// How the archive's layout differs from the one `mrm pack` writes, without its contents
    /// differing (directory entries, `./` prefixes, a top folder).
    pub layout: Vec<String>,
    manifest_bytes: Vec<u8>,
    signature_bytes: Option<Vec<u8>>,
    /// Files kept for re-evaluation: results, policy and catalog sources.
    kept: BTreeMap<String, Vec<u8>>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty() && self.unlisted == 0
    }

    /// Checks `manifest.sig`, if the pack has one, against the manifest; with `expected`, the
    /// signer must be that key.
    pub fn signature(&self, expected: Option<&ed25519_dalek::VerifyingKey>) -> SignatureCheck {
        sign::check(
            &self.manifest_bytes,
            self.signature_bytes.as_deref(),
            expected,
        )
    }
}

fn kept_for_reevaluation(path: &str) -> bool {
    path == RESULTS || path.starts_with("policies/") || path.starts_with("frameworks/")
}

/// What a member of a pack is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Directory,
    Other(&'static str),
}

/// A member's name inside the pack: `./` and empty components dropped; `None` when it is
/// absolute or holds `..`.
fn normalize(raw: &str) -> Option<String> {
    if raw.starts_with('/') {
        return None;
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Reads at most `limit` bytes of a member whose size is `size`.
fn read_bounded(
    data: &mut dyn Read,
    path: &str,
    size: u64,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>, ReadError> {
    if size > limit {
        return Err(ReadError::TooLarge {
            path: path.to_string(),
            size,
            limit,
            what,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    data.take(limit)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    Ok(bytes)
}

/// Compares the members of a pack, one at a time, with its manifest.
struct Checker<'m> {
    files: &'m [super::FileRecord],
    /// Listed path → index in `files`.
    listed: HashMap<&'m str, usize>,
    seen: Vec<bool>,
    manifest_seen: bool,
    signature: Option<Vec<u8>>,
    options: Options,
    kept: BTreeMap<String, Vec<u8>>,
    kept_total: u64,
    entries: usize,
    problems: Vec<Problem>,
    unlisted: usize,
    /// The top folder the pack is under, with its `/`; empty for none.
    prefix: String,
    directories: usize,
    dotted: bool,
}

impl<'m> Checker<'m> {
    fn new(manifest: &'m Manifest, prefix: String, options: Options) -> Self {
        let mut checker = Checker {
            files: &manifest.files,
            listed: HashMap::with_capacity(manifest.files.len()),
            seen: vec![false; manifest.files.len()],
            manifest_seen: false,
            signature: None,
            options,
            kept: BTreeMap::new(),
            kept_total: 0,
            entries: 0,
            problems: Vec::new(),
            unlisted: 0,
            prefix,
            directories: 0,
            dotted: false,
        };
        for (i, rec) in manifest.files.iter().enumerate() {
            if normalize(&rec.path).as_deref() != Some(rec.path.as_str()) || rec.path.is_empty() {
                checker.report(Problem::Unsafe {
                    path: rec.path.clone(),
                });
                if let Some(seen) = checker.seen.get_mut(i) {
                    *seen = true;
                }
            } else if checker.listed.insert(rec.path.as_str(), i).is_some() {
                checker.report(Problem::Duplicate {
                    path: rec.path.clone(),
                });
            }
        }
        checker
    }

    fn report(&mut self, problem: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.unlisted += 1;
        }
    }

    /// Checks one member. Only listed files of the listed size are read.
    fn member(
        &mut self,
        raw: &str,
        kind: Kind,
        size: u64,
        data: &mut dyn Read,
    ) -> Result<(), ReadError> {
        let Some(path) = normalize(raw) else {
            self.report(Problem::Unsafe {
                path: raw.to_string(),
            });
            return Ok(());
        };
        if raw.starts_with("./") || raw.contains("//") {
            self.dotted = true;
        }
        let path = if self.prefix.is_empty() {
            path
        } else if let Some(inner) = path.strip_prefix(&self.prefix) {
            inner.to_string()
        } else if path.is_empty() || format!("{path}/") == self.prefix {
            String::new()
        } else {
            self.report(Problem::Extra { path });
            return Ok(());
        };
        match kind {
            Kind::Directory => {
                self.directories += 1;
                return Ok(());
            }
            _ if path.is_empty() => return Ok(()),
            Kind::Other(kind) => {
                if let Some(&i) = self.listed.get(path.as_str())
                    && let Some(seen) = self.seen.get_mut(i)
                {
                    *seen = true;
                }
                self.report(Problem::NotAFile { path, kind });
                return Ok(());
            }
            Kind::File => {}
        }
        self.entries += 1;
        if path == MANIFEST {
            if self.manifest_seen {
                self.report(Problem::Duplicate { path });
            }
            self.manifest_seen = true;
            return Ok(());
        }
        if path == SIGNATURE {
            if self.signature.is_some() {
                self.report(Problem::Duplicate { path });
                return Ok(());
            }
            self.signature = Some(read_bounded(data, &path, size, MAX_SIGNATURE, "signature")?);
            return Ok(());
        }
        let Some(&i) = self.listed.get(path.as_str()) else {
            self.report(Problem::Extra { path });
            return Ok(());
        };
        let (Some(rec), Some(seen)) = (self.files.get(i), self.seen.get_mut(i)) else {
            return Ok(());
        };
        if std::mem::replace(seen, true) {
            self.report(Problem::Duplicate { path });
            return Ok(());
        }
        if size != rec.size {
            let expected = rec.size;
            self.report(Problem::Resized {
                path,
                expected,
                actual: size,
            });
            return Ok(());
        }
        let keep = self.options.keep_sources && kept_for_reevaluation(&path);
        if keep && self.kept_total.saturating_add(size) > MAX_KEPT {
            return Err(ReadError::TooLarge {
                path,
                size,
                limit: MAX_KEPT.saturating_sub(self.kept_total),
                what: "results and sources together",
            });
        }
        let mut hasher = Sha256::new();
        let mut bytes = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        let mut limited = data.take(size);
        loop {
            let n = match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ReadError::Io(e)),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            hasher.update(chunk);
            if keep {
                bytes.extend_from_slice(chunk);
            }
        }
        let actual = base16ct::lower::encode_string(&hasher.finalize());
        if actual != rec.sha256 {
            let expected = rec.sha256.clone();
            self.report(Problem::Altered {
                path,
                expected,
                actual,
            });
        } else if keep {
            self.kept_total += size;
            self.kept.insert(path, bytes);
        }
        Ok(())
    }

    /// Everything found, owned, so the manifest can move into the [`Verification`].
    fn finish(mut self) -> Found {
        let missing: Vec<String> = self
            .files
            .iter()
            .zip(&self.seen)
            .filter(|(_, seen)| !**seen)
            .map(|(rec, _)| rec.path.clone())
            .collect();
        for path in missing {
            self.report(Problem::Missing { path });
        }
        self.problems.sort_by(|a, b| a.path().cmp(b.path()));
        let mut layout = Vec::new();
        if !self.prefix.is_empty() {
            layout.push(format!("the pack is under the folder `{}`", self.prefix));
        }
        if self.directories > 0 {
            layout.push(format!(
                "{} directory entr{} ignored",
                self.directories,
                if self.directories == 1 { "y" } else { "ies" }
            ));
        }
        if self.dotted {
            layout.push("`./` prefixes ignored".to_string());
        }
        Found {
            entries: self.entries,
            problems: self.problems,
            unlisted: self.unlisted,
            layout,
            signature_bytes: self.signature,
            kept: self.kept,
        }
    }
}

/// What a [`Checker`] found, without its borrow of the manifest.
struct Found {
    entries: usize,
    problems: Vec<Problem>,
    unlisted: usize,
    layout: Vec<String>,
    signature_bytes: Option<Vec<u8>>,
    kept: BTreeMap<String, Vec<u8>>,
}

impl Found {
    fn into_verification(self, manifest: Manifest, manifest_bytes: Vec<u8>) -> Verification {
        Verification {
            manifest,
            entries: self.entries,
            problems: self.problems,
            unlisted: self.unlisted,
            layout: self.layout,
            manifest_bytes,
            signature_bytes: self.signature_bytes,
            kept: self.kept,
        }
    }
}

/// A member's kind from its tar entry type.
fn tar_kind(t: tar::EntryType) -> Kind {
    use tar::EntryType as T;
    match t {
        T::Regular | T::Continuous => Kind::File,
        T::Directory => Kind::Directory,
        T::Symlink => Kind::Other("symbolic link"),
        T::Link => Kind::Other("hard link"),
        T::Char | T::Block => Kind::Other("device"),
        T::Fifo => Kind::Other("FIFO"),
        T::GNUSparse => Kind::Other("sparse file"),
        _ => Kind::Other("unknown entry type"),
    }
}

/// Walks the members of a `.tar.gz` in order, handing each to `visit` until it returns `false`.
///
/// Entries are read raw, so that long-name and PAX headers are read here under
/// [`MAX_EXTENSION`] rather than whole, whatever size they claim.
fn walk_tar(
    path: &Path,
    mut visit: impl FnMut(&str, Kind, u64, &mut dyn Read) -> Result<bool, ReadError>,
) -> Result<(), ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut file = io::BufReader::new(file);
    let mut magic = [0u8; 2];
    if file.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] {
        return Err(ReadError::NotGzip);
    }
    let file = io::Cursor::new(magic).chain(file);
    let mut archive = tar::Archive::new(MultiGzDecoder::new(file));
    let entries = archive.entries().map_err(ReadError::Archive)?.raw(true);
    let mut long_name: Option<Vec<u8>> = None;
    let mut pax_path: Option<Vec<u8>> = None;
    for entry in entries {
        let mut entry = entry.map_err(ReadError::Archive)?;
        let header_type = entry.header().entry_type();
        let size = entry.header().entry_size().map_err(ReadError::Archive)?;
        let extension = |entry: &mut dyn Read| -> Result<Vec<u8>, ReadError> {
            if size > MAX_EXTENSION {
                return Err(ReadError::Extension(size));
            }
            let mut bytes = Vec::new();
            entry
                .take(MAX_EXTENSION)
                .read_to_end(&mut bytes)
                .map_err(ReadError::Archive)?;
            Ok(bytes)
        };
        match header_type {
            tar::EntryType::GNULongName => {
                let mut name = extension(&mut entry)?;
                if let Some(end) = name.iter().position(|b| *b == 0) {
                    name.truncate(end);
                }
                long_name = Some(name);
                continue;
            }
            tar::EntryType::XHeader => {
                let bytes = extension(&mut entry)?;
                for ext in tar::PaxExtensions::new(&bytes).flatten() {
                    match ext.key() {
                        Ok("path") => pax_path = Some(ext.value_bytes().to_vec()),
                        Ok("size") => {
                            let pax = ext.value().ok().and_then(|v| v.parse::<u64>().ok());
                            let header = entry.header().size().unwrap_or(0);
                            if let Some(pax) = pax.filter(|p| *p != header) {
                                return Err(ReadError::PaxSize { pax, header });
                            }
                        }
                        _ => {}
                    }
                }
                continue;
            }
            tar::EntryType::GNULongLink | tar::EntryType::XGlobalHeader => {
                extension(&mut entry)?;
                continue;
            }
            _ => {}
        }
        let raw = pax_path
            .take()
            .or_else(|| long_name.take())
            .unwrap_or_else(|| entry.path_bytes().into_owned());
        long_name = None;
        let name = String::from_utf8_lossy(&raw).into_owned();
        if !visit(&name, tar_kind(header_type), size, &mut entry)? {
            return Ok(());
        }
    }
    Ok(())
}

/// Where a pack's manifest is: its bytes and the top folder it is under (empty for none).
fn find_manifest(path: &Path) -> Result<(Vec<u8>, String), ReadError> {
    let mut found: Option<(Vec<u8>, String)> = None;
    walk_tar(path, |raw, kind, size, data| {
        if kind != Kind::File {
            return Ok(true);
        }
        let Some(name) = normalize(raw) else {
            return Ok(true);
        };
        if name == MANIFEST {
            found = Some((
                read_bounded(data, &name, size, MAX_MANIFEST, "manifest")?,
                String::new(),
            ));
            return Ok(false);
        }
        if found.is_none()
            && let Some((top, MANIFEST)) = name.split_once('/')
        {
            found = Some((
                read_bounded(data, &name, size, MAX_MANIFEST, "manifest")?,
                format!("{top}/"),
            ));
        }
        Ok(true)
    })?;
    found.ok_or(ReadError::NoManifest)
}

fn parse_manifest(bytes: &[u8]) -> Result<Manifest, ReadError> {
    serde_json::from_slice(bytes).map_err(ReadError::Manifest)
}

/// Checks a pack: a `.tar.gz` file, or a directory a pack was extracted into.
pub fn check(path: &Path, options: Options) -> Result<Verification, ReadError> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        check_dir(path, options)
    } else {
        check_file(path, options)
    }
}

/// Checks a `.tar.gz` pack: the manifest is found first (it is the first entry of a pack `mrm`
/// wrote, so this reads one entry), then every member is checked against it in a second pass.
pub fn check_file(path: &Path, options: Options) -> Result<Verification, ReadError> {
    let (manifest_bytes, prefix) = find_manifest(path)?;
    let manifest = parse_manifest(&manifest_bytes)?;
    let mut checker = Checker::new(&manifest, prefix, options);
    walk_tar(path, |raw, kind, size, data| {
        checker.member(raw, kind, size, data).map(|()| true)
    })?;
    let found = checker.finish();
    Ok(found.into_verification(manifest, manifest_bytes))
}

/// Checks a directory a pack was extracted into. Symbolic links, FIFOs, devices and sockets are
/// reported and never opened; files are opened without following links or blocking.
pub fn check_dir(dir: &Path, options: Options) -> Result<Verification, ReadError> {
    let manifest_path = dir.join(MANIFEST);
    let (file, size) = match repo::open_regular(&manifest_path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::NoManifest),
        Err(e) => return Err(ReadError::Io(e)),
    };
    let manifest_bytes = read_bounded(
        &mut io::BufReader::new(file),
        MANIFEST,
        size,
        MAX_MANIFEST,
        "manifest",
    )?;
    let manifest = parse_manifest(&manifest_bytes)?;
    let mut checker = Checker::new(&manifest, String::new(), options);
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1);
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .and_then(|p| p.strip_prefix(dir).ok())
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                checker.report(Problem::Unreadable {
                    path,
                    error: e.to_string(),
                });
                continue;
            }
        };
        let rel = entry
            .path()
            .strip_prefix(dir)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        if !file_type.is_file() {
            let kind = if file_type.is_symlink() {
                "symbolic link"
            } else {
                "not a regular file"
            };
            checker.member(&rel, Kind::Other(kind), 0, &mut io::empty())?;
            continue;
        }
        match repo::open_regular(entry.path()) {
            Ok((file, size)) => {
                checker.member(&rel, Kind::File, size, &mut io::BufReader::new(file))?;
            }
            Err(e) => checker.report(Problem::Unreadable {
                path: rel,
                error: e.to_string(),
            }),
        }
    }
    let found = checker.finish();
    Ok(found.into_verification(manifest, manifest_bytes))
}

/// Why a pack could not be re-evaluated.
#[derive(Debug)]
pub enum ReevalError {
    /// The pack lacks something re-evaluation needs.
    Pack(String),
    /// The evaluation itself failed (configuration, policies, repository).
    Run(Failure),
}

/// How the recorded results compare with a fresh evaluation.
#[derive(Debug, Default)]
pub struct Reevaluation {
    /// What differs, one line each (`model `x``, `summary`…); empty when the results match.
    pub differences: Vec<String>,
}

fn text_of(v: &Verification, path: &str) -> Result<String, ReevalError> {
    let bytes = v
        .kept
        .get(path)
        .ok_or_else(|| ReevalError::Pack(format!("`{path}` is missing from the pack")))?;
    String::from_utf8(bytes.clone())
        .map_err(|_| ReevalError::Pack(format!("`{path}` is not valid UTF-8")))
}

/// Re-evaluates the repository at `repo` with the policies and catalogs stored in the pack, the
/// recorded evaluation date and selection, and compares the result with `results.json`.
///
/// The repository path and the policies' origin are not compared: the same policies loaded from
/// the pack rather than from where they first came are the same policies.
pub fn reevaluate(v: &Verification, repo: &Path) -> Result<Reevaluation, ReevalError> {
    let m = &v.manifest;
    let mut sources = Vec::new();
    for rec in &m.policy.sources {
        sources.push(PolicySource::Text(rec.name.clone(), text_of(v, &rec.path)?));
    }
    let mut catalog_files = Vec::new();
    for rec in &m.policy.catalogs {
        catalog_files.push(SourceFile::new(rec.name.as_str(), text_of(v, &rec.path)?));
    }
    let recorded: serde_json::Value = serde_json::from_str(&text_of(v, RESULTS)?)
        .map_err(|e| ReevalError::Pack(format!("`{RESULTS}` is not JSON: {e}")))?;
    let as_of = m
        .as_of
        .parse::<jiff::civil::Date>()
        .map_err(|_| ReevalError::Pack(format!("the manifest's date `{}` is invalid", m.as_of)))?;

    let (catalogs, catalog_diags) = framework::load(&catalog_files);
    let mut policy = library::load(&sources, catalogs);
    policy.diagnostics.extend(catalog_diags);
    let req = Request {
        repo: repo.to_path_buf(),
        policies: Vec::new(),
        with_default: false,
        as_of,
        frameworks: m.selection.frameworks.clone(),
        fail_on: Some(m.selection.fail_on.clone()),
    };
    let tree = WorkTree::new(repo).map_err(|e| {
        ReevalError::Run(Failure {
            diagnostics: vec![crate::diagnostic::Diagnostic::new(
                crate::diagnostic::Code::Unreadable,
                format!("cannot open repository `{}`: {e}", repo.display()),
            )],
            sources: SourceMap::new(),
        })
    })?;
    let mut repo_sources = SourceMap::new();
    let (config, waivers) =
        engine::read_repo_files(&tree, &mut repo_sources).map_err(|diagnostics| {
            ReevalError::Run(Failure {
                diagnostics,
                sources: repo_sources.clone(),
            })
        })?;
    let run = engine::run_tree(&req, &tree, policy, config, waivers, repo_sources)
        .map_err(ReevalError::Run)?;

    let mut out = Reevaluation::default();
    let report = match super::select(&run.report, &m.selection.models) {
        Ok(r) => r,
        Err(e) => {
            out.differences.push(e.to_string());
            return Ok(out);
        }
    };
    let mut fresh = serde_json::to_value(&report)
        .map_err(|e| ReevalError::Pack(format!("cannot serialize the results: {e}")))?;
    for pointer in ["/repository", "/policy/origin"] {
        if let (Some(slot), Some(old)) = (fresh.pointer_mut(pointer), recorded.pointer(pointer)) {
            *slot = old.clone();
        }
    }
    out.differences = compare(&recorded, &fresh);
    Ok(out)
}

/// Names the parts of two results that differ: top-level fields, and models by id.
fn compare(recorded: &serde_json::Value, fresh: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let (Value::Object(a), Value::Object(b)) = (recorded, fresh) else {
        return vec!["the results are not a JSON object".to_string()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let (x, y) = (a.get(key), b.get(key));
        if x == y {
            continue;
        }
        if key == "models"
            && let (Some(Value::Array(x)), Some(Value::Array(y))) = (x, y)
        {
            let by_id = |list: &[Value]| -> BTreeMap<String, Value> {
                list.iter()
                    .map(|m| {
                        let id = m.get("id").and_then(Value::as_str).unwrap_or("");
                        (id.to_string(), m.clone())
                    })
                    .collect()
            };
            let (x, y) = (by_id(x), by_id(y));
            let mut ids: Vec<&String> = x.keys().chain(y.keys()).collect();
            ids.sort();
            ids.dedup();
            for id in ids {
                match (x.get(id), y.get(id)) {
                    (Some(_), None) => out.push(format!("model `{id}` is no longer evaluated")),
                    (None, Some(_)) => out.push(format!("model `{id}` is new")),
                    (Some(p), Some(q)) if p != q => {
                        let changed = status_changes(p, q);
                        if changed.is_empty() {
                            out.push(format!("model `{id}` has different results"));
                        } else {
                            out.push(format!("model `{id}`: {}", changed.join(", ")));
                        }
                    }
                    _ => {}
                }
            }
            continue;
        }
        out.push(format!("`{key}` differs"));
    }
    out
}

/// Controls whose status changed between two model results: "`GOV-OWN-01` fail → pass".
fn status_changes(recorded: &serde_json::Value, fresh: &serde_json::Value) -> Vec<String> {
    let statuses = |m: &serde_json::Value| -> BTreeMap<String, String> {
        m.get("controls")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| {
                let field = |k: &str| {
                    c.get(k)
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                (field("id"), field("status"))
            })
            .collect()
    };
    let (a, b) = (statuses(recorded), statuses(fresh));
    let mut ids: Vec<&String> = a.keys().chain(b.keys()).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let (x, y) = (a.get(id), b.get(id));
            (x != y).then(|| {
                format!(
                    "`{id}` {} → {}",
                    x.map_or("absent", String::as_str),
                    y.map_or("absent", String::as_str)
                )
            })
        })
        .collect()
}
