//! Evidence packs: one deterministic archive an auditor can check without `mrm`.
//!
//! [`contents`] turns a finished [`Run`] into a sorted list of `(path, bytes)` [`Entry`]s — the
//! results, the reports, the traceability matrix and inventory, the exact policy and catalog
//! sources, the evaluated repository files (configuration, waivers, model metadata), copies of
//! every evidence file the evaluated controls reference, and a `manifest.json` that records the
//! SHA-256 and size of every other file:
//!
//! ```text
//! manifest.json                 first; lists every other file with sha256 and size
//! manifest.sig                  with --sign-key: Ed25519 signature over manifest.json
//! SHA256SUMS                    the same hashes for `sha256sum -c`
//! results.json                  the RunReport, restricted to the selected models
//! report.txt  report.html       the summary and the dashboard
//! oscal-assessment-results.json the OSCAL assessment results
//! gaps/<framework>.md|.csv      the gap analysis (see `gap_entries`)
//! traceability.csv              model → control → clause → status → evidence → sha256
//! inventory.csv                 one row per model
//! policies/…  frameworks/…      the policy and catalog sources used
//! repository/…                  mrm.toml, waivers.toml, the models' metadata files
//! evidence/<repository path>    every evidence file referenced
//! ```
//! Evidence entries are not read here: each records where the file is, its size and the SHA-256
//! it was evaluated with (from the results), and [`archive`] streams it from the tree when it
//! writes the entries as a gzipped tar with fixed headers (same entries, same bytes), refusing a
//! file that no longer has that hash, and saves the archive atomically. Memory therefore does not
//! grow with the evidence. [`verify`] re-hashes a pack (or an extracted one) against its manifest
//! and re-evaluates it against a repository.
//!
//! This module never evaluates anything itself and never touches the filesystem for evidence:
//! evidence is read through the [`Tree`], which refuses any path that leaves the repository.

pub mod archive;
mod git;
pub mod sign;
mod tables;
pub mod verify;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diagnostic::{Code, Diagnostic};
use crate::engine::Run;
use crate::eval::RunReport;
use crate::repo::{self, EvidenceState, Tree};
use crate::report::{self, Context, Format};
use crate::source::Location;

pub use archive::{SaveError, WriteError, check_target, save, save_with, write};
pub use git::{GitState, git_state};

/// Version of the pack layout and manifest format.
pub const PACK_VERSION: &str = "1";

/// The manifest's path inside a pack. It is the first entry; it lists every other entry but
/// itself and its signature.
pub const MANIFEST: &str = "manifest.json";

/// The results' path inside a pack.
pub const RESULTS: &str = "results.json";

/// The checksum list inside a pack, in `sha256sum` format (every file but the manifest and
/// itself).
pub const SUMS: &str = "SHA256SUMS";

/// One file in a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `/`-separated, relative, never containing `..`.
    pub path: String,
    pub body: Body,
}

/// What a pack file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Bytes the pack made: the manifest, reports, tables, sources.
    Bytes(Vec<u8>),
    /// An evidence file, streamed from the repository when the archive is written.
    Evidence(EvidenceCopy),
}

/// An evidence file to copy: where it is in the repository, and the size and SHA-256 it was
/// evaluated with, which the copy must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceCopy {
    pub source: String,
    pub size: u64,
    pub sha256: String,
}

impl Entry {
    /// A file the pack made.
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Entry {
            path: path.into(),
            body: Body::Bytes(bytes.into()),
        }
    }

    /// The bytes, for a file the pack made.
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Bytes(b) => Some(b),
            Body::Evidence(_) => None,
        }
    }

    /// The size in bytes.
    pub fn size(&self) -> u64 {
        match &self.body {
            Body::Bytes(b) => b.len() as u64,
            Body::Evidence(e) => e.size,
        }
    }
}

/// What to put in a pack besides the run itself.
pub struct PackOptions<'a> {
    /// The repository the run evaluated; evidence is copied through it.
    pub tree: &'a dyn Tree,
    /// Models to include (empty: all).
    pub models: Vec<String>,
    /// The command line to record (see [`command_line`]).
    pub command: Vec<String>,
    /// The repository's git state, when it is a git repository.
    pub git: Option<GitState>,
}

/// A pack's contents before they are archived.
#[derive(Debug)]
pub struct Contents<'r> {
    /// `manifest.json` first, then every other entry in path order.
    pub entries: Vec<Entry>,
    pub manifest: Manifest,
    /// The report restricted to the selected models, as stored in `results.json`.
    pub report: Cow<'r, RunReport>,
    /// Evidence that was referenced but not copied, and why.
    pub refused: Vec<Diagnostic>,
}

impl Contents<'_> {
    /// The modification time written into every archive header: midnight UTC of the evaluation
    /// date, so extracted files carry a meaningful date that does not depend on the clock.
    pub fn mtime(&self) -> u64 {
        self.manifest
            .as_of
            .parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok())
            .map_or(0, |z| u64::try_from(z.timestamp().as_second()).unwrap_or(0))
    }

    /// The same contents, owning their report.
    pub fn into_owned(self) -> Contents<'static> {
        Contents {
            entries: self.entries,
            manifest: self.manifest,
            report: Cow::Owned(self.report.into_owned()),
            refused: self.refused,
        }
    }
}

/// `manifest.json`: what was evaluated, how, and the hash of every other file in the pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub pack_version: String,
    pub mrm_version: String,
    /// The evaluation date (`--as-of`).
    pub as_of: String,
    /// The command line as given, without output-only options.
    pub command: Vec<String>,
    pub repository: RepositoryInfo,
    pub policy: PolicyRecord,
    pub selection: Selection,
    /// Every other file in the pack, in path order.
    pub files: Vec<FileRecord>,
}

/// The evaluated repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryInfo {
    /// The path as given on the command line.
    pub path: String,
    /// Absent when the repository is not inside a git working tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitState>,
}

/// The policy set and catalogs a run used, and where their sources are in the pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub name: String,
    pub version: String,
    /// SHA-256 over the policy and catalog sources (the run's policy digest).
    pub digest: String,
    /// SHA-256 over the catalog sources alone, computed the same way.
    pub catalogs_digest: String,
    /// Policy sources in load order.
    pub sources: Vec<SourceRecord>,
    /// Catalog sources in load order.
    pub catalogs: Vec<SourceRecord>,
}

/// A source file: the name it was loaded under (which the digest covers) and its pack path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub name: String,
    pub path: String,
}

/// What the pack was restricted to, so a re-evaluation can ask the same question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// Selected model ids (empty: every model).
    pub models: Vec<String>,
    /// Frameworks reported on (empty: all).
    pub frameworks: Vec<String>,
    /// The blocking severities.
    pub fail_on: Vec<String>,
}

/// One file listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// Why a pack could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown model `{id}`{}", .suggestion.as_ref().map(|s| format!("; {s}")).unwrap_or_default())]
    UnknownModel {
        id: String,
        suggestion: Option<String>,
    },
    #[error("cannot render {what}: {source}")]
    Render {
        what: String,
        source: std::io::Error,
    },
}

/// Lower-case hex SHA-256 of `bytes`.
pub use crate::repo::sha256_hex as sha256;

/// The pack file a report format is stored under, or `None` to leave the format out.
///
/// Every variant of [`Format`] is rendered into the pack through this match, so a new format is
/// added here with one arm; the match is exhaustive and will not compile until it is. The formats
/// for CI and reviews (SARIF, JUnit, and Markdown for pull-request comments) are left out: they
/// are not audit evidence, and the HTML dashboard carries the Markdown report's content.
fn report_file(format: Format) -> Option<&'static str> {
    match format {
        Format::Text => Some("report.txt"),
        Format::Json => Some(RESULTS),
        Format::Html => Some("report.html"),
        Format::Oscal => Some("oscal-assessment-results.json"),
        Format::Markdown | Format::Sarif | Format::Junit => None,
    }
}

/// Renders one pack file with a reporter.
fn rendered(
    path: String,
    render: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<Entry, Error> {
    let mut bytes = Vec::new();
    match render(&mut bytes) {
        Ok(()) => Ok(Entry::new(path, bytes)),
        Err(source) => Err(Error::Render { what: path, source }),
    }
}

/// The gap analysis: `gaps/<framework>.md` and `gaps/<framework>.csv` for every framework the
/// report covers, each analysed on its own so its totals are that framework's.
fn gap_entries(run: &Run, report: &RunReport, cx: &Context<'_>) -> Result<Vec<Entry>, Error> {
    use rayon::prelude::*;
    // One analysis per framework, in parallel; the pack sorts its files by path afterwards.
    let per_framework: Vec<Vec<Entry>> = report
        .frameworks
        .par_iter()
        .map(|fw| {
            let gaps = crate::gaps::analyze_framework(
                report,
                &run.policy.catalogs,
                &run.policy.checked.program,
                &fw.id,
            );
            Ok(vec![
                rendered(format!("gaps/{}.md", fw.id), |w| {
                    report::render_gaps(report::GapFormat::Markdown, &gaps, cx, w)
                })?,
                rendered(format!("gaps/{}.csv", fw.id), |w| {
                    report::render_gaps(report::GapFormat::Csv, &gaps, cx, w)
                })?,
            ])
        })
        .collect::<Result<_, Error>>()?;
    Ok(per_framework.into_iter().flatten().collect())
}

/// The pack's files by path with their SHA-256: files added with [`Files::add`] are hashed
/// together, in parallel, by [`Files::hash`]; evidence comes with the hash it was evaluated with.
#[derive(Default)]
struct Files {
    hashed: BTreeMap<String, (Body, String)>,
    pending: Vec<(String, Vec<u8>)>,
}

impl Files {
    fn add(&mut self, path: String, bytes: Vec<u8>) {
        self.pending.push((path, bytes));
    }

    fn add_evidence(&mut self, path: String, copy: EvidenceCopy) {
        let hash = copy.sha256.clone();
        self.hashed.insert(path, (Body::Evidence(copy), hash));
    }

    /// Hashes the pending files and returns every file by path.
    fn hash(&mut self) -> &BTreeMap<String, (Body, String)> {
        let pending = std::mem::take(&mut self.pending);
        let hashed: Vec<(String, (Body, String))> = pending
            .into_par_iter()
            .map(|(path, bytes)| {
                let hash = sha256(&bytes);
                (path, (Body::Bytes(bytes), hash))
            })
            .collect();
        self.hashed.extend(hashed);
        &self.hashed
    }
}

/// Assembles a pack from a finished run.
pub fn contents<'r>(run: &'r Run, opts: &PackOptions<'_>) -> Result<Contents<'r>, Error> {
    let report = select(&run.report, &opts.models)?;
    let cx = Context {
        sources: &run.sources,
        color: false,
        quiet: false,
    };

    let mut files = Files::default();
    // The reports are independent renderings of one result: render them in parallel.
    let formats: Vec<(Format, &str)> = <Format as clap::ValueEnum>::value_variants()
        .iter()
        .filter_map(|f| report_file(*f).map(|path| (*f, path)))
        .collect();
    // Evidence is located (through the tree) meanwhile; it is read when the archive is written.
    let ((reports, gaps), (evidence, refused)) = rayon::join(
        || {
            rayon::join(
                || {
                    formats
                        .par_iter()
                        .map(|(format, path)| {
                            rendered((*path).to_string(), |w| {
                                report::render(*format, &report, &cx, w)
                            })
                        })
                        .collect::<Result<Vec<Entry>, Error>>()
                },
                || gap_entries(run, &report, &cx),
            )
        },
        || locate_evidence(&report, opts.tree),
    );
    for e in reports?.into_iter().chain(gaps?) {
        if let Body::Bytes(bytes) = e.body {
            files.add(e.path, bytes);
        }
    }

    // Policy and catalog sources, exactly as loaded.
    let mut taken = BTreeSet::new();
    let mut policy_records = Vec::new();
    for (name, text) in run.policy.policy_sources() {
        let path = source_path("policies", &name, &mut taken);
        files.add(path.clone(), text.into_bytes());
        policy_records.push(SourceRecord { name, path });
    }
    let mut catalog_records = Vec::new();
    for (name, text) in &run.policy.catalogs.sources {
        let path = source_path("frameworks", name, &mut taken);
        files.add(path.clone(), text.clone().into_bytes());
        catalog_records.push(SourceRecord {
            name: name.clone(),
            path,
        });
    }

    // The repository files that were evaluated: configuration, waivers and the selected models'
    // metadata, exactly as read.
    for name in ["mrm.toml", "waivers.toml"] {
        if let Some(f) = run.sources.by_name(name) {
            files.add(format!("repository/{name}"), f.text.as_bytes().to_vec());
        }
    }
    let selected_files: BTreeSet<&str> = report.models.iter().map(|o| o.file.as_str()).collect();
    for m in &run.models {
        if let Some(src) = &m.source
            && selected_files.contains(m.file.as_str())
            && repo::is_contained(&m.file)
        {
            files.add(
                format!("repository/{}", m.file),
                src.text.as_bytes().to_vec(),
            );
        }
    }

    let mut evidence_hashes = BTreeMap::new();
    for (path, copy) in evidence {
        evidence_hashes.insert(path.clone(), copy.sha256.clone());
        files.add_evidence(format!("evidence/{path}"), copy);
    }

    let frameworks: Vec<&str> = report.frameworks.iter().map(|f| f.id.as_str()).collect();
    files.add(
        "traceability.csv".to_string(),
        tables::traceability(&report, &frameworks, &evidence_hashes).into_bytes(),
    );
    files.add(
        "inventory.csv".to_string(),
        report::inventory::csv(&report::inventory::rows(&report)).into_bytes(),
    );
    // The same hashes in the form `sha256sum -c` reads, for checking without any JSON tooling.
    let sums: String = files
        .hash()
        .iter()
        .map(|(path, (_, hash))| sums_line(path, hash))
        .collect();
    files.add(SUMS.to_string(), sums.into_bytes());
    files.hash();
    let files = files.hashed;

    let mut selected = opts.models.clone();
    selected.sort();
    selected.dedup();
    let manifest = Manifest {
        pack_version: PACK_VERSION.to_string(),
        mrm_version: env!("CARGO_PKG_VERSION").to_string(),
        as_of: report.as_of.clone(),
        command: opts.command.clone(),
        repository: RepositoryInfo {
            path: report.repository.clone(),
            git: opts.git.clone(),
        },
        policy: PolicyRecord {
            name: report.policy.name.clone(),
            version: report.policy.version.clone(),
            digest: report.policy.digest.clone(),
            catalogs_digest: sources_digest(&run.policy.catalogs.sources),
            sources: policy_records,
            catalogs: catalog_records,
        },
        selection: Selection {
            models: selected,
            frameworks: run_frameworks(run),
            fail_on: report
                .summary
                .fail_on
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
        },
        files: files
            .iter()
            .map(|(path, (body, hash))| FileRecord {
                path: path.clone(),
                sha256: hash.clone(),
                size: match body {
                    Body::Bytes(b) => b.len() as u64,
                    Body::Evidence(e) => e.size,
                },
            })
            .collect(),
    };
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Render {
        what: MANIFEST.to_string(),
        source: std::io::Error::other(e),
    })?;
    manifest_bytes.push(b'\n');

    let mut entries = Vec::with_capacity(files.len() + 1);
    entries.push(Entry::new(MANIFEST, manifest_bytes));
    entries.extend(
        files
            .into_iter()
            .map(|(path, (body, _))| Entry { path, body }),
    );
    Ok(Contents {
        entries,
        manifest,
        report,
        refused,
    })
}

/// The frameworks a run was restricted to: every framework it reports on when that is a proper
/// subset of the catalogs, else none (meaning all).
fn run_frameworks(run: &Run) -> Vec<String> {
    let reported: Vec<String> = run.report.frameworks.iter().map(|f| f.id.clone()).collect();
    if reported.len() == run.policy.catalogs.frameworks.len() {
        Vec::new()
    } else {
        reported
    }
}

/// The digest [`crate::library`] computes, over one list of sources.
fn sources_digest(sources: &[(String, String)]) -> String {
    let mut all: Vec<&(String, String)> = sources.iter().collect();
    all.sort();
    let mut hasher = Sha256::new();
    for (name, text) in all {
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    base16ct::lower::encode_string(&hasher.finalize())
}

/// Where a source loaded under `name` goes in the pack: under `dir/`, with any root, drive or
/// `..` dropped and a leading `dir/` not repeated; a numeric suffix keeps paths unique.
fn source_path(dir: &str, name: &str, taken: &mut BTreeSet<String>) -> String {
    let parts: Vec<&str> = name
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != "." && *p != ".." && !p.contains(':'))
        .collect();
    let parts = match parts.split_first() {
        Some((first, rest)) if *first == dir && !rest.is_empty() => rest,
        _ => parts.as_slice(),
    };
    let base = if parts.is_empty() {
        format!("{dir}/source")
    } else {
        format!("{dir}/{}", parts.join("/"))
    };
    let mut path = base.clone();
    let mut n = 2;
    while taken.contains(&path) {
        path = format!("{base}.{n}");
        n += 1;
    }
    taken.insert(path.clone());
    path
}

/// One line of `SHA256SUMS`. As `sha256sum` writes it, a name holding a backslash or a newline
/// starts its line with a backslash and has those characters escaped.
fn sums_line(path: &str, hash: &str) -> String {
    if path.contains(['\\', '\n']) {
        let escaped = path.replace('\\', "\\\\").replace('\n', "\\n");
        format!("\\{hash}  {escaped}\n")
    } else {
        format!("{hash}  {path}\n")
    }
}

/// Restricts a report to some models, recomputing the totals. Empty `models` keeps them all.
pub fn select<'r>(report: &'r RunReport, models: &[String]) -> Result<Cow<'r, RunReport>, Error> {
    if models.is_empty() {
        return Ok(Cow::Borrowed(report));
    }
    for id in models {
        if report.model(id).is_none() {
            return Err(Error::UnknownModel {
                id: id.clone(),
                suggestion: crate::diagnostic::did_you_mean(
                    id,
                    report.models.iter().map(|m| m.id.as_str()),
                ),
            });
        }
    }
    let mut out = report.clone();
    out.models.retain(|m| models.contains(&m.id));
    out.waivers.retain(|w| models.contains(&w.model));
    let s = &mut out.summary;
    s.models = out.models.len();
    s.models_with_errors = 0;
    s.blocking = 0;
    s.blocking_models = 0;
    s.by_tier.clear();
    s.by_status.clear();
    s.kris.clear();
    for m in &out.models {
        if m.diagnostics.iter().any(Diagnostic::is_error) || !m.evaluated {
            s.models_with_errors += 1;
        }
        s.blocking += m.blocking;
        if m.blocking > 0 {
            s.blocking_models += 1;
        }
        let tier = m.tier.as_ref().map_or("(none)", |t| t.tier.as_str());
        *s.by_tier.entry(tier.to_string()).or_default() += 1;
        for (status, n) in &m.counts {
            *s.by_status.entry(*status).or_default() += n;
        }
        *s.kris
            .entry(m.kri_level().as_str().to_string())
            .or_default() += 1;
    }
    Ok(Cow::Owned(out))
}

/// Locates every present evidence file the report's controls reference, once each and in
/// parallel, through the tree, and records the size and the SHA-256 it was evaluated with; the
/// bytes are read only when the archive is written, and must then hash to the same value.
///
/// A path that is not contained, or that resolves outside the repository by now (a file swapped
/// for a symbolic link after evaluation), is refused with a diagnostic and not copied; so is a
/// file that was not hashed when it was evaluated, or that was evaluated with two contents.
fn locate_evidence(
    report: &RunReport,
    tree: &dyn Tree,
) -> (BTreeMap<String, EvidenceCopy>, Vec<Diagnostic>) {
    let mut evaluated: BTreeMap<&str, BTreeSet<Option<&str>>> = BTreeMap::new();
    for e in report
        .models
        .iter()
        .flat_map(|m| m.controls.iter())
        .flat_map(|c| c.evidence.iter())
        .filter(|e| e.present)
    {
        evaluated
            .entry(e.path.as_str())
            .or_default()
            .insert(e.sha256.as_deref());
    }
    let evaluated: Vec<(&str, BTreeSet<Option<&str>>)> = evaluated.into_iter().collect();
    let located: Vec<(&str, Result<EvidenceCopy, Diagnostic>)> = evaluated
        .par_iter()
        .map(|(path, hashes)| (*path, locate_one(tree, path, hashes)))
        .collect();
    let mut copied = BTreeMap::new();
    let mut refused = Vec::new();
    for (path, result) in located {
        match result {
            Ok(copy) => {
                copied.insert(path.to_string(), copy);
            }
            Err(d) => refused.push(d),
        }
    }
    (copied, refused)
}

fn locate_one(
    tree: &dyn Tree,
    path: &str,
    hashes: &BTreeSet<Option<&str>>,
) -> Result<EvidenceCopy, Diagnostic> {
    let escape = || {
        Diagnostic::new(
            Code::PathEscape,
            format!("evidence `{path}` resolves outside the repository and was not copied"),
        )
        .at(Location::file(path), "refused")
    };
    let unreadable = |why: String| {
        Diagnostic::new(Code::Unreadable, format!("evidence `{path}` {why}"))
            .at(Location::file(path), "")
    };
    if !repo::is_contained(path) {
        return Err(escape());
    }
    let sha256 = match hashes.iter().collect::<Vec<_>>().as_slice() {
        [Some(hash)] => (*hash).to_string(),
        [None] => {
            return Err(unreadable(
                "could not be read when it was evaluated and was not copied".to_string(),
            ));
        }
        _ => {
            return Err(unreadable(
                "was evaluated with different contents for different models and was not copied"
                    .to_string(),
            ));
        }
    };
    match tree.open_evidence(path) {
        (EvidenceState::Present, Some(Ok(file))) => Ok(EvidenceCopy {
            source: path.to_string(),
            size: file.size,
            sha256,
        }),
        (EvidenceState::Escapes, _) => Err(escape()),
        (EvidenceState::Present, Some(Err(e)))
            if e.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            Err(escape())
        }
        (EvidenceState::Present, Some(Err(e))) => Err(unreadable(format!(
            "cannot be read and was not copied: {e}"
        ))),
        (EvidenceState::Missing | EvidenceState::Present, _) => Err(unreadable(
            "disappeared after evaluation and was not copied".to_string(),
        )),
    }
}

/// The command line to record in a manifest: the arguments as given, with the program reduced to
/// `mrm` and the options that only say where and how to write (`--out`, `--force`, `--color`,
/// `--sign-key`) left out, so the same inputs give the same manifest wherever the pack goes.
pub fn command_line(args: &[std::ffi::OsString]) -> Vec<String> {
    const WITH_VALUE: [&str; 4] = ["--out", "-o", "--color", "--sign-key"];
    const FLAGS: [&str; 1] = ["--force"];
    let mut out = vec!["mrm".to_string()];
    let mut skip_next = false;
    for arg in args.iter().skip(1) {
        let arg = arg.to_string_lossy();
        if skip_next {
            skip_next = false;
            continue;
        }
        if WITH_VALUE.contains(&arg.as_ref()) {
            skip_next = true;
            continue;
        }
        let inline = WITH_VALUE
            .iter()
            .any(|o| arg.starts_with(&format!("{o}=")) || (*o == "-o" && arg.starts_with("-o")));
        if inline || FLAGS.contains(&arg.as_ref()) {
            continue;
        }
        out.push(arg.into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_paths_stay_inside_their_folder_and_are_unique() {
        let mut taken = BTreeSet::new();
        assert_eq!(
            source_path("policies", "policies/core.mrm", &mut taken),
            "policies/core.mrm"
        );
        assert_eq!(
            source_path("policies", "../x/policies/core.mrm", &mut taken),
            "policies/x/policies/core.mrm"
        );
        assert_eq!(
            source_path("policies", "/abs/p.mrm", &mut taken),
            "policies/abs/p.mrm"
        );
        assert_eq!(
            source_path("policies", "policies/core.mrm", &mut taken),
            "policies/core.mrm.2"
        );
        assert_eq!(
            source_path("frameworks", "C:\\cat\\a.toml", &mut taken),
            "frameworks/cat/a.toml"
        );
    }

    #[test]
    fn command_line_drops_output_options() {
        let args: Vec<std::ffi::OsString> = [
            "/usr/bin/mrm",
            "pack",
            "repo",
            "--out",
            "/tmp/a.tar.gz",
            "--force",
            "--as-of",
            "2026-01-01",
            "-o=b",
            "--color=never",
        ]
        .iter()
        .map(Into::into)
        .collect();
        assert_eq!(
            command_line(&args),
            ["mrm", "pack", "repo", "--as-of", "2026-01-01"]
        );
    }

    #[test]
    fn sums_lines_escape_like_sha256sum() {
        assert_eq!(sums_line("a/b.txt", "00"), "00  a/b.txt\n");
        assert_eq!(sums_line("a\\b\nc", "00"), "\\00  a\\\\b\\nc\n");
    }

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
