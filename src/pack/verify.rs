//! Checking a pack: every entry re-hashed against the manifest, and optionally the recorded
//! results compared with a fresh evaluation of the pack's own policies against a repository.
//!
//! Entries are hashed as they stream out of the archive; only the manifest, the results and the
//! policy and catalog sources are kept in memory. Nothing is extracted to disk.

use std::collections::BTreeMap;
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
use crate::repo::WorkTree;
use crate::source::{SourceFile, SourceMap};

/// Largest entry kept in memory for re-evaluation (manifest, results, sources).
const MAX_KEPT: u64 = 256 << 20;

/// One way a pack differs from its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The entry's bytes do not hash to the recorded value.
    Altered {
        path: String,
        expected: String,
        actual: String,
    },
    /// Listed in the manifest, absent from the archive.
    Missing { path: String },
    /// In the archive, not listed in the manifest.
    Extra { path: String },
    /// In the archive more than once.
    Duplicate { path: String },
    /// Not a regular file (a link, a directory, a device).
    NotAFile { path: String },
}

impl Problem {
    pub fn path(&self) -> &str {
        match self {
            Problem::Altered { path, .. }
            | Problem::Missing { path }
            | Problem::Extra { path }
            | Problem::Duplicate { path }
            | Problem::NotAFile { path } => path,
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
            Problem::Missing { path } => write!(f, "missing    {path}"),
            Problem::Extra { path } => write!(f, "extra      {path} (not in the manifest)"),
            Problem::Duplicate { path } => write!(f, "duplicate  {path} (appears more than once)"),
            Problem::NotAFile { path } => write!(f, "not a file {path}"),
        }
    }
}

/// Why a file is not a readable pack.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not a gzip-compressed tar archive: {0}")]
    Archive(io::Error),
    #[error("the archive has no `manifest.json`")]
    NoManifest,
    #[error("`manifest.json` is not a pack manifest: {0}")]
    Manifest(serde_json::Error),
    #[error("`{0}` is larger than {MAX_KEPT} bytes")]
    TooLarge(String),
}

/// The result of checking a pack against its manifest.
#[derive(Debug)]
pub struct Verification {
    pub manifest: Manifest,
    /// Regular entries in the archive, the manifest included.
    pub entries: usize,
    /// Every difference from the manifest, in path order.
    pub problems: Vec<Problem>,
    /// Entries kept for signatures and re-evaluation: manifest, signature, results, sources.
    kept: BTreeMap<String, Vec<u8>>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// Checks `manifest.sig`, if the pack has one, against the manifest; with `expected`, the
    /// signer must be that key.
    pub fn signature(&self, expected: Option<&ed25519_dalek::VerifyingKey>) -> SignatureCheck {
        let manifest = self.kept.get(MANIFEST).map_or(&[][..], Vec::as_slice);
        sign::check(
            manifest,
            self.kept.get(SIGNATURE).map(Vec::as_slice),
            expected,
        )
    }
}

fn keep(path: &str) -> bool {
    path == MANIFEST
        || path == SIGNATURE
        || path == RESULTS
        || path.starts_with("policies/")
        || path.starts_with("frameworks/")
}

/// Reads a `.tar.gz` pack and checks every entry against its manifest.
pub fn check<R: Read>(reader: R) -> Result<Verification, ReadError> {
    let mut archive = tar::Archive::new(MultiGzDecoder::new(reader));
    let mut found: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut kept = BTreeMap::new();
    let mut problems = Vec::new();
    let mut entries = 0;
    for entry in archive.entries().map_err(ReadError::Archive)? {
        let mut entry = entry.map_err(ReadError::Archive)?;
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if !entry.header().entry_type().is_file() {
            problems.push(Problem::NotAFile { path });
            continue;
        }
        entries += 1;
        let keep_it = keep(&path);
        if keep_it && entry.size() > MAX_KEPT {
            return Err(ReadError::TooLarge(path));
        }
        let mut hasher = Sha256::new();
        let mut bytes = Vec::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = entry.read(&mut buf).map_err(ReadError::Archive)?;
            let Some(chunk) = buf.get(..n) else { break };
            if n == 0 {
                break;
            }
            hasher.update(chunk);
            size += n as u64;
            if keep_it {
                bytes.extend_from_slice(chunk);
            }
        }
        let hash = base16ct::lower::encode_string(&hasher.finalize());
        if found.insert(path.clone(), (hash, size)).is_some() {
            problems.push(Problem::Duplicate { path: path.clone() });
        }
        if keep_it {
            kept.insert(path, bytes);
        }
    }
    let manifest_bytes = kept.get(MANIFEST).ok_or(ReadError::NoManifest)?;
    let manifest: Manifest = serde_json::from_slice(manifest_bytes).map_err(ReadError::Manifest)?;
    let mut listed = BTreeMap::new();
    for rec in &manifest.files {
        listed.insert(rec.path.as_str(), rec);
        match found.get(&rec.path) {
            None => problems.push(Problem::Missing {
                path: rec.path.clone(),
            }),
            Some((hash, size)) if *hash != rec.sha256 || *size != rec.size => {
                problems.push(Problem::Altered {
                    path: rec.path.clone(),
                    expected: rec.sha256.clone(),
                    actual: hash.clone(),
                });
            }
            Some(_) => {}
        }
    }
    for path in found.keys() {
        if path != MANIFEST && path != SIGNATURE && !listed.contains_key(path.as_str()) {
            problems.push(Problem::Extra { path: path.clone() });
        }
    }
    problems.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(Verification {
        manifest,
        entries,
        problems,
        kept,
    })
}

/// Reads a pack file and checks it.
pub fn check_file(path: &Path) -> Result<Verification, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Archive)?;
    check(io::BufReader::new(file))
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
