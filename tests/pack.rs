//! Evidence packs end to end: determinism, tamper detection, evidence containment, atomic writes,
//! `--force`, model selection, git state, re-evaluation, and standard tools reading the result.
//!
//! Every test builds a small repository in a temporary directory and evaluates it with the policy
//! in `tests/fixtures/pack/policy.mrm`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use mrm::engine::{self, Request};
use mrm::pack::{self, Entry, Manifest, PackOptions};
use mrm::repo::WorkTree;

const AS_OF: &str = "2026-11-27";

fn policy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pack/policy.mrm")
}

/// A repository with two models: `a` passes with two evidence files, `b` fails.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(
        &root.join("models/a/model.toml"),
        r#"[model]
id = "a"
name = "Alpha, the scorer"
status = "production"
[roles]
owner = "ann"
validator = "vic"
[impact]
financial_exposure = 20_000_000
[validation]
date = 2026-06-01
report = "reports/validation.pdf"
"#,
    );
    write(&root.join("models/a/model-card.md"), "# Alpha\n");
    write(
        &root.join("models/a/reports/validation.pdf"),
        "%PDF-1.4 validation of a\n",
    );
    write(
        &root.join("models/b/model.toml"),
        r#"[model]
id = "b"
name = "Beta"
[roles]
owner = ""
[impact]
financial_exposure = 5
"#,
    );
    dir
}

fn root(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("repo")
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Runs the CLI in-process: (exit code, stdout, stderr).
fn mrm(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["mrm"];
    argv.extend_from_slice(args);
    let code = mrm::cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// `mrm pack REPO --policy FIXTURE --as-of AS_OF --out OUT` plus `extra`.
fn pack_cli(repo: &Path, out: &Path, extra: &[&str]) -> (u8, String, String) {
    let (repo, out, policy) = (
        repo.to_str().unwrap(),
        out.to_str().unwrap(),
        policy().to_str().unwrap().to_string(),
    );
    let mut args = vec![
        "pack", repo, "--policy", &policy, "--as-of", AS_OF, "--out", out,
    ];
    args.extend_from_slice(extra);
    mrm(&args)
}

fn pack_ok(repo: &Path, out: &Path) {
    let (code, stdout, stderr) = pack_cli(repo, out, &[]);
    assert_eq!(code, 0, "pack failed:\n{stdout}\n{stderr}");
}

fn verify(file: &Path) -> (u8, String, String) {
    mrm(&["verify", file.to_str().unwrap()])
}

/// The entries of a `.tar.gz`, in archive order.
fn entries(file: &Path) -> Vec<Entry> {
    let gz = flate2::read::MultiGzDecoder::new(fs::File::open(file).unwrap());
    let mut ar = tar::Archive::new(gz);
    ar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            Entry { path, bytes }
        })
        .collect()
}

fn rewrite(file: &Path, entries: &[Entry]) {
    let bytes = pack::write(entries, 0, Vec::new()).unwrap();
    fs::write(file, bytes).unwrap();
}

fn manifest(file: &Path) -> Manifest {
    let e = entries(file);
    serde_json::from_slice(&e[0].bytes).unwrap()
}

fn entry<'a>(entries: &'a [Entry], path: &str) -> Option<&'a Entry> {
    entries.iter().find(|e| e.path == path)
}

fn results(file: &Path) -> serde_json::Value {
    serde_json::from_slice(&entry(&entries(file), "results.json").unwrap().bytes).unwrap()
}

fn control_status(results: &serde_json::Value, model: &str, control: &str) -> String {
    let m = results["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == model)
        .unwrap();
    let c = m["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == control)
        .unwrap();
    c["status"].as_str().unwrap().to_string()
}

#[test]
fn two_packs_of_the_same_inputs_are_byte_identical() {
    let dir = repo();
    let (one, two) = (dir.path().join("one.tar.gz"), dir.path().join("two.tar.gz"));
    pack_ok(&root(&dir), &one);
    pack_ok(&root(&dir), &two);
    assert_eq!(fs::read(&one).unwrap(), fs::read(&two).unwrap());
    // A different evaluation date is a different pack.
    let three = dir.path().join("three.tar.gz");
    let (code, ..) = mrm(&[
        "pack",
        root(&dir).to_str().unwrap(),
        "--policy",
        policy().to_str().unwrap(),
        "--as-of",
        "2026-11-28",
        "--out",
        three.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_ne!(fs::read(&one).unwrap(), fs::read(&three).unwrap());
}

#[test]
fn the_layout_is_sorted_with_the_manifest_first_and_fixed_headers() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let list = entries(&file);
    let paths: Vec<&str> = list.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths[0], "manifest.json");
    let mut sorted = paths[1..].to_vec();
    sorted.sort();
    assert_eq!(paths[1..], sorted[..]);
    for p in [
        "SHA256SUMS",
        "evidence/models/a/model-card.md",
        "evidence/models/a/reports/validation.pdf",
        "frameworks/sr-11-7.toml",
        "inventory.csv",
        "report.txt",
        "repository/models/a/model.toml",
        "repository/models/b/model.toml",
        "results.json",
        "traceability.csv",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("policies/") && p.ends_with("policy.mrm")),
        "{paths:?}"
    );

    // Headers: regular files, 0644, root-owned with no names, midnight of the evaluation date.
    let gz = flate2::read::MultiGzDecoder::new(fs::File::open(&file).unwrap());
    let mut ar = tar::Archive::new(gz);
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert_eq!(h.entry_type(), tar::EntryType::Regular);
        assert_eq!(h.mode().unwrap(), 0o644);
        assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
        assert_eq!(h.username().unwrap(), Some(""));
        assert_eq!(h.groupname().unwrap(), Some(""));
        assert_eq!(h.mtime().unwrap(), 1_795_737_600); // 2026-11-27T00:00:00Z
    }
    // The gzip header carries no time.
    let raw = fs::read(&file).unwrap();
    assert_eq!(&raw[4..8], &[0, 0, 0, 0]);
    assert_eq!(raw[9], 255);
}

#[test]
fn the_manifest_lists_every_other_file_with_its_hash() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let list = entries(&file);
    let m = manifest(&file);
    assert_eq!(m.files.len(), list.len() - 1);
    for (rec, e) in m.files.iter().zip(&list[1..]) {
        assert_eq!(rec.path, e.path);
        assert_eq!(rec.size, e.bytes.len() as u64);
        assert_eq!(rec.sha256, pack::sha256(&e.bytes));
    }
    assert_eq!(m.as_of, AS_OF);
    assert_eq!(m.mrm_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(m.policy.name, "pack-fixture");
    assert_eq!(m.policy.digest.len(), 64);
    assert_eq!(m.policy.catalogs_digest.len(), 64);
    // The command line as given, without the output options.
    assert_eq!(m.command[..2], ["mrm", "pack"]);
    assert!(m.command.contains(&"--as-of".to_string()));
    assert!(
        !m.command
            .iter()
            .any(|a| a == "--out" || a.ends_with("p.tar.gz"))
    );
    // Not a git repository: no git state.
    assert_eq!(m.repository.git, None);
}

#[test]
fn the_tables_trace_controls_to_clauses_and_evidence_hashes() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let list = entries(&file);
    let trace = String::from_utf8(entry(&list, "traceability.csv").unwrap().bytes.clone()).unwrap();
    let card_hash = pack::sha256(b"# Alpha\n");
    assert!(
        trace.starts_with(
            "model,control,severity,framework,clause,in_force,status,evidence,sha256\n"
        )
    );
    assert!(
        trace.contains(&format!(
            "a,DOC-CARD-01,medium,iso-42001,A.3.2,true,pass,models/a/model-card.md,{card_hash}\n"
        )),
        "{trace}"
    );
    assert!(
        trace.contains("b,GOV-OWN-01,high,sr-11-7,VI.3,true,fail,,\n"),
        "{trace}"
    );
    let inventory =
        String::from_utf8(entry(&list, "inventory.csv").unwrap().bytes.clone()).unwrap();
    assert!(
        inventory.contains("a,\"Alpha, the scorer\",ann,vic,high,production"),
        "{inventory}"
    );
}

/// Rebuilds the pack with `change` applied to its entries, then verifies it.
fn tampered(change: impl FnOnce(&mut Vec<Entry>)) -> (u8, String, String) {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let mut list = entries(&file);
    change(&mut list);
    rewrite(&file, &list);
    verify(&file)
}

#[test]
fn an_intact_pack_verifies() {
    let (code, out, _) = tampered(|_| {});
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact"), "{out}");
}

#[test]
fn changing_one_byte_of_any_entry_fails_naming_the_file() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let list = entries(&file);
    // Every entry but the manifest, which only a signature can protect.
    for i in 1..list.len() {
        let mut changed = list.clone();
        let path = changed[i].path.clone();
        let mid = changed[i].bytes.len() / 2;
        changed[i].bytes[mid] ^= 0x01;
        rewrite(&file, &changed);
        let (code, out, _) = verify(&file);
        assert_eq!(code, 1, "{path}: {out}");
        assert!(
            out.lines()
                .any(|l| l.starts_with("altered") && l.contains(&format!(" {path} "))),
            "{path}: {out}"
        );
        assert!(out.contains("not intact"), "{out}");
    }
}

#[test]
fn deleting_an_entry_fails_naming_the_file() {
    let (code, out, _) = tampered(|l| l.retain(|e| e.path != "evidence/models/a/model-card.md"));
    assert_eq!(code, 1);
    assert!(
        out.contains("missing    evidence/models/a/model-card.md"),
        "{out}"
    );
}

#[test]
fn adding_an_entry_fails_naming_the_file() {
    let (code, out, _) = tampered(|l| {
        l.push(Entry {
            path: "evidence/models/a/extra.txt".into(),
            bytes: b"planted".to_vec(),
        });
    });
    assert_eq!(code, 1);
    assert!(
        out.contains("extra      evidence/models/a/extra.txt"),
        "{out}"
    );
}

#[test]
fn a_duplicated_entry_is_reported() {
    let (code, out, _) = tampered(|l| {
        let dup = l[3].clone();
        l.push(dup);
    });
    assert_eq!(code, 1);
    assert!(out.contains("duplicate"), "{out}");
}

#[test]
fn a_file_that_is_not_a_pack_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.tar.gz");
    fs::write(&junk, b"not gzip at all").unwrap();
    let (code, _, err) = verify(&junk);
    assert_eq!(code, 2);
    assert!(err.contains("not a readable pack"), "{err}");

    // A valid archive without a manifest.
    let bare = dir.path().join("bare.tar.gz");
    rewrite(
        &bare,
        &[Entry {
            path: "results.json".into(),
            bytes: b"{}".to_vec(),
        }],
    );
    let (code, _, err) = verify(&bare);
    assert_eq!(code, 2);
    assert!(err.contains("manifest.json"), "{err}");

    let (code, _, err) = verify(&dir.path().join("absent.tar.gz"));
    assert_eq!(code, 2, "{err}");
}

/// Every byte of every entry of a pack, concatenated.
fn all_bytes(file: &Path) -> Vec<u8> {
    entries(file).into_iter().flat_map(|e| e.bytes).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_file_outside_the_repository_is_refused_and_not_copied() {
    let dir = repo();
    let secret = dir.path().join("secret.txt");
    fs::write(&secret, "TOP-SECRET-OUTSIDE").unwrap();
    let card = root(&dir).join("models/a/model-card.md");
    fs::remove_file(&card).unwrap();
    std::os::unix::fs::symlink(&secret, &card).unwrap();

    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let bytes = all_bytes(&file);
    assert!(!contains(&bytes, b"TOP-SECRET-OUTSIDE"));
    let list = entries(&file);
    assert!(entry(&list, "evidence/models/a/model-card.md").is_none());
    let r = results(&file);
    assert_eq!(control_status(&r, "a", "DOC-CARD-01"), "error");
    assert!(contains(&bytes, b"leaves the repository"));
}

#[test]
fn a_metadata_evidence_path_with_dotdot_is_refused_and_not_copied() {
    let dir = repo();
    fs::write(dir.path().join("outside.txt"), "OUTSIDE-BY-DOTDOT").unwrap();
    let model = root(&dir).join("models/a/model.toml");
    let text = fs::read_to_string(&model)
        .unwrap()
        .replace("reports/validation.pdf", "../../../outside.txt");
    fs::write(&model, text).unwrap();

    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    assert!(!contains(&all_bytes(&file), b"OUTSIDE-BY-DOTDOT"));
    let list = entries(&file);
    assert!(!list.iter().any(|e| e.path.contains("..")));
    assert!(!list.iter().any(|e| e.path.contains("outside")));
    let r = results(&file);
    assert_eq!(control_status(&r, "a", "VAL-REP-01"), "error");
}

/// A request to evaluate the test repository with the test policy.
fn request(dir: &tempfile::TempDir) -> Request {
    Request {
        repo: root(dir),
        policies: vec![policy()],
        with_default: false,
        as_of: AS_OF.parse().unwrap(),
        frameworks: Vec::new(),
        fail_on: None,
    }
}

/// The contents of a pack of `run`, reading evidence through `tree`.
fn pack_through<'r>(run: &'r engine::Run, tree: &dyn mrm::repo::Tree) -> pack::Contents<'r> {
    let opts = PackOptions {
        tree,
        models: Vec::new(),
        command: vec!["mrm".into()],
        git: None,
    };
    pack::contents(run, &opts).unwrap()
}

/// Replaces model `a`'s card with a link to a file outside the repository.
#[cfg(unix)]
fn swap_card_for_outside_link(dir: &tempfile::TempDir) {
    let secret = dir.path().join("secret.txt");
    fs::write(&secret, "SWAPPED-SECRET").unwrap();
    let card = root(dir).join("models/a/model-card.md");
    fs::remove_file(&card).unwrap();
    std::os::unix::fs::symlink(&secret, &card).unwrap();
}

/// Regression: evidence is checked again when it is copied, so a file swapped for a link after
/// evaluation is not followed out of the repository.
#[cfg(unix)]
#[test]
fn evidence_swapped_for_an_outside_link_after_evaluation_is_refused() {
    let dir = repo();
    let req = request(&dir);
    let run = engine::run(&req).unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    swap_card_for_outside_link(&dir);

    let tree = WorkTree::new(root(&dir)).unwrap();
    let contents = pack_through(&run, &tree);
    assert_eq!(contents.refused.len(), 1, "{:#?}", contents.refused);
    let d = &contents.refused[0];
    assert_eq!(d.code.as_str(), "model/path-escape");
    assert_eq!(
        d.message,
        "evidence `models/a/model-card.md` resolves outside the repository and was not copied"
    );
    assert!(
        !contents
            .entries
            .iter()
            .any(|e| contains(&e.bytes, b"SWAPPED-SECRET"))
    );
}

/// Evidence kept from evaluation is what is packed: a file swapped for an outside link after
/// evaluation is neither followed nor re-read, and the packed bytes hash to what was evaluated.
#[cfg(unix)]
#[test]
fn kept_evidence_is_packed_as_it_was_evaluated() {
    let dir = repo();
    let req = request(&dir);
    let tree = mrm::repo::KeepEvidence::new(WorkTree::new(root(&dir)).unwrap());
    let run = engine::run_in(&req, &tree).unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    swap_card_for_outside_link(&dir);

    let contents = pack_through(&run, &tree);
    assert!(contents.refused.is_empty(), "{:#?}", contents.refused);
    assert!(
        !contents
            .entries
            .iter()
            .any(|e| contains(&e.bytes, b"SWAPPED-SECRET"))
    );
    let packed = contents
        .entries
        .iter()
        .find(|e| e.path == "evidence/models/a/model-card.md")
        .expect("the card is packed");
    assert_eq!(packed.bytes, b"# Alpha\n");
    let evaluated = run
        .report
        .models
        .iter()
        .flat_map(|m| m.controls.iter())
        .flat_map(|c| c.evidence.iter())
        .find(|e| e.path == "models/a/model-card.md")
        .and_then(|e| e.sha256.clone())
        .expect("the card was hashed");
    assert_eq!(pack::sha256(&packed.bytes), evaluated);
}

/// A writer that fails after `left` bytes, like a full disk or a killed process.
struct FailAfter<W> {
    inner: W,
    left: usize,
}

impl<W: Write> Write for FailAfter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("injected failure"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        self.inner.write(&buf[..n])
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn contents_of(dir: &tempfile::TempDir) -> pack::Contents<'static> {
    let req = request(dir);
    let run = engine::run(&req).unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let tree = WorkTree::new(root(dir)).unwrap();
    pack_through(&run, &tree).into_owned()
}

#[test]
fn a_pack_interrupted_midway_leaves_no_file_at_the_target() {
    let dir = repo();
    let contents = contents_of(&dir);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("p.tar.gz");
    let err = pack::save_with(&target, false, &contents, |f| FailAfter {
        inner: f,
        left: 4096,
    })
    .unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert!(!target.exists());
    // Nor a temporary file beside it.
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);

    // An existing pack survives a failed overwrite untouched.
    fs::write(&target, b"previous pack").unwrap();
    pack::save_with(&target, true, &contents, |f| FailAfter {
        inner: f,
        left: 100,
    })
    .unwrap_err();
    assert_eq!(fs::read(&target).unwrap(), b"previous pack");
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);

    // The same writer, not failing, gives the same bytes as the CLI.
    pack::save(&target, true, &contents).unwrap();
    let (code, out_text, _) = verify(&target);
    assert_eq!(code, 0, "{out_text}");
}

#[test]
fn an_existing_pack_is_kept_unless_forced() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    fs::write(&file, b"an older pack").unwrap();
    let (code, _, err) = pack_cli(&root(&dir), &file, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists; pass --force"), "{err}");
    assert_eq!(fs::read(&file).unwrap(), b"an older pack");

    let (code, out, err) = pack_cli(&root(&dir), &file, &["--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 models"), "{out}");
    assert!(out.contains("2 blocking gaps"), "{out}");
    assert_eq!(verify(&file).0, 0);
}

#[test]
fn selected_models_restrict_results_evidence_and_totals() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    let (code, out, err) = pack_cli(&root(&dir), &file, &["--model", "b"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 model,"), "{out}");
    let r = results(&file);
    assert_eq!(r["models"].as_array().unwrap().len(), 1);
    assert_eq!(r["summary"]["models"], 1);
    assert_eq!(r["summary"]["blocking"], 2);
    assert!(
        !entries(&file)
            .iter()
            .any(|e| e.path.starts_with("evidence/"))
    );
    assert_eq!(manifest(&file).selection.models, ["b"]);

    let other = dir.path().join("q.tar.gz");
    let (code, _, err) = pack_cli(&root(&dir), &other, &["--model", "c"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown model `c`"), "{err}");
    assert!(!other.exists());
}

#[test]
fn verify_with_a_repository_re_evaluates_the_recorded_policies() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let repo = root(&dir);
    let (code, out, err) = mrm(&[
        "verify",
        file.to_str().unwrap(),
        "--repo",
        repo.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("results match"), "{out}");

    // Fix `b`'s owner: its results no longer match the pack.
    let model = repo.join("models/b/model.toml");
    let text = fs::read_to_string(&model)
        .unwrap()
        .replace("owner = \"\"", "owner = \"bo\"");
    fs::write(&model, text).unwrap();
    let (code, out, _) = mrm(&[
        "verify",
        file.to_str().unwrap(),
        "--repo",
        repo.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("model `b`: `GOV-OWN-01` fail → pass"), "{out}");
    assert!(out.contains("results differ"), "{out}");
}

#[test]
fn a_framework_selection_limits_the_traceability_and_is_re_evaluated() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    let (code, _, err) = pack_cli(&root(&dir), &file, &["--framework", "sr-11-7"]);
    assert_eq!(code, 0, "{err}");
    let list = entries(&file);
    let trace = String::from_utf8(entry(&list, "traceability.csv").unwrap().bytes.clone()).unwrap();
    assert!(trace.contains(",sr-11-7,"), "{trace}");
    assert!(!trace.contains(",iso-42001,"), "{trace}");
    // A control that maps to no selected framework still has its row.
    assert!(
        trace.contains("a,DOC-CARD-01,medium,,,,pass,models/a/model-card.md,"),
        "{trace}"
    );
    assert_eq!(manifest(&file).selection.frameworks, ["sr-11-7"]);
    let (code, out, err) = mrm(&[
        "verify",
        file.to_str().unwrap(),
        "--repo",
        root(&dir).to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

fn git_commit_all(repo: &git2::Repository) {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::new("t", "t@example.com", &git2::Time::new(0, 0)).unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, "fixture", &tree, &parents)
        .unwrap();
}

#[test]
fn the_git_commit_and_dirtiness_are_recorded() {
    let dir = repo();
    let git = git2::Repository::init(root(&dir)).unwrap();
    git_commit_all(&git);
    let head = git
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();

    // Written into the repository itself: the pack does not make its own worktree dirty.
    let file = root(&dir).join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let first = fs::read(&file).unwrap();
    let state = manifest(&file).repository.git.unwrap();
    assert_eq!(state.commit.as_deref(), Some(head.as_str()));
    assert!(!state.dirty);
    let (code, ..) = pack_cli(&root(&dir), &file, &["--force"]);
    assert_eq!(code, 0);
    assert_eq!(fs::read(&file).unwrap(), first);

    fs::write(root(&dir).join("models/a/notes.txt"), "uncommitted").unwrap();
    let (code, ..) = pack_cli(&root(&dir), &file, &["--force"]);
    assert_eq!(code, 0);
    assert!(manifest(&file).repository.git.unwrap().dirty);
}

#[test]
fn a_pack_opens_with_tar_and_checks_with_sha256sum() {
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    // Never skipped: `.ci/run` installs the tools where they are missing.
    for tool in ["tar", "sha256sum"] {
        assert!(
            have(tool),
            "`{tool}` is not installed: this test needs it (`.ci/run` installs it, or \
             `apt-get install tar coreutils`)"
        );
    }
    let dir = repo();
    // Evidence larger than one compressed piece, so the pack holds several gzip members.
    let mut big = String::new();
    let mut i: u64 = 0;
    while big.len() < 3 * pack::archive::PIECE {
        i += 1;
        big.push_str(&format!(
            "line {i} checksum {:x}\n",
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ));
    }
    write(&root(&dir).join("models/a/reports/validation.pdf"), &big);
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let mut first = Vec::new();
    let _ = flate2::read::GzDecoder::new(fs::File::open(&file).unwrap()).read_to_end(&mut first);
    let mut all = Vec::new();
    flate2::read::MultiGzDecoder::new(fs::File::open(&file).unwrap())
        .read_to_end(&mut all)
        .unwrap();
    assert!(first.len() < all.len(), "expected several gzip members");
    let listed = Command::new("tar").arg("-tzf").arg(&file).output().unwrap();
    assert!(listed.status.success());
    let listed = String::from_utf8(listed.stdout).unwrap();
    let ours: Vec<String> = entries(&file).into_iter().map(|e| e.path).collect();
    assert_eq!(listed.lines().collect::<Vec<_>>(), ours);

    let x = dir.path().join("x");
    fs::create_dir(&x).unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&file)
        .arg("-C")
        .arg(&x)
        .status()
        .unwrap();
    assert!(status.success());
    let checked = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(&x)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stdout)
    );
    // Every file the manifest lists is in SHA256SUMS, with the same hash.
    let sums = fs::read_to_string(x.join("SHA256SUMS")).unwrap();
    for rec in manifest(&file)
        .files
        .iter()
        .filter(|r| r.path != "SHA256SUMS")
    {
        assert!(
            sums.contains(&format!("{}  {}\n", rec.sha256, rec.path)),
            "{}",
            rec.path
        );
    }
}

const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// The public key of `SEED` (RFC 8032, test 1).
const PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn verify_with_key(file: &Path, key: &Path) -> (u8, String, String) {
    mrm(&[
        "verify",
        file.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ])
}

#[test]
fn a_signed_pack_verifies_with_its_public_key_and_fails_when_the_manifest_changes() {
    let dir = repo();
    let (secret, public) = (dir.path().join("key"), dir.path().join("key.pub"));
    fs::write(&secret, format!("{SEED}\n")).unwrap();
    fs::write(&public, PUBLIC).unwrap();
    let file = dir.path().join("p.tar.gz");
    let key_arg = secret.to_str().unwrap().to_string();
    let (code, out, err) = pack_cli(&root(&dir), &file, &["--sign-key", &key_arg]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("signed with public key {PUBLIC}")),
        "{out}"
    );
    let list = entries(&file);
    assert_eq!(list[1].path, "manifest.sig");
    assert!(
        !manifest(&file)
            .files
            .iter()
            .any(|f| f.path == "manifest.sig")
    );
    assert!(
        !manifest(&file)
            .command
            .iter()
            .any(|a| a == "--sign-key" || a == &key_arg)
    );

    // Signatures are deterministic: a second signed pack is identical.
    let again = dir.path().join("q.tar.gz");
    pack_cli(&root(&dir), &again, &["--sign-key", &key_arg]);
    assert_eq!(fs::read(&file).unwrap(), fs::read(&again).unwrap());

    let (code, out, _) = verify_with_key(&file, &public);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("signature: valid"), "{out}");

    // The manifest is what the signature protects: change one byte of it.
    let mut changed = list.clone();
    let text = String::from_utf8(changed[0].bytes.clone()).unwrap();
    changed[0].bytes = text.replacen(AS_OF, "2026-11-26", 1).into_bytes();
    rewrite(&file, &changed);
    let (code, out, _) = verify_with_key(&file, &public);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("signature: invalid: the signature does not match `manifest.json`"),
        "{out}"
    );
    // Without --key a broken signature still fails.
    assert_eq!(verify(&file).0, 1);
}

#[test]
fn a_required_signature_must_be_there_and_by_the_given_key() {
    let dir = repo();
    let public = dir.path().join("key.pub");
    fs::write(&public, PUBLIC).unwrap();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let (code, out, _) = verify_with_key(&file, &public);
    assert_eq!(code, 1);
    assert!(out.contains("unsigned"), "{out}");

    let other = dir.path().join("other");
    fs::write(&other, [7u8; 32]).unwrap();
    let signed = dir.path().join("s.tar.gz");
    let (code, ..) = pack_cli(
        &root(&dir),
        &signed,
        &["--sign-key", other.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    let (code, out, _) = verify_with_key(&signed, &public);
    assert_eq!(code, 1);
    assert!(out.contains("not by the given key"), "{out}");

    let bad = dir.path().join("bad");
    fs::write(&bad, "not a key").unwrap();
    let (code, _, err) = pack_cli(
        &root(&dir),
        &dir.path().join("t.tar.gz"),
        &["--sign-key", bad.to_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(err.contains("32 bytes"), "{err}");
    assert!(!dir.path().join("t.tar.gz").exists());
}
