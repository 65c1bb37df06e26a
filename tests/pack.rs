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

/// One file read back from an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Member {
    path: String,
    bytes: Vec<u8>,
}

/// The entries of a `.tar.gz`, in archive order.
fn entries(file: &Path) -> Vec<Member> {
    let gz = flate2::read::MultiGzDecoder::new(fs::File::open(file).unwrap());
    let mut ar = tar::Archive::new(gz);
    ar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            Member { path, bytes }
        })
        .collect()
}

fn rewrite(file: &Path, members: &[Member]) {
    let entries: Vec<Entry> = members
        .iter()
        .map(|m| Entry::new(m.path.clone(), m.bytes.clone()))
        .collect();
    let bytes = pack::write(&entries, 0, None, Vec::new()).unwrap();
    fs::write(file, bytes).unwrap();
}

fn manifest(file: &Path) -> Manifest {
    let e = entries(file);
    serde_json::from_slice(&e[0].bytes).unwrap()
}

fn entry<'a>(entries: &'a [Member], path: &str) -> Option<&'a Member> {
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
fn tampered(change: impl FnOnce(&mut Vec<Member>)) -> (u8, String, String) {
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
        l.push(Member {
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
        &[Member {
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
            .any(|e| e.path == "evidence/models/a/model-card.md")
    );
    let out = dir.path().join("p.tar.gz");
    pack::save(&out, false, &contents, Some(&tree)).unwrap();
    assert!(!contains(&all_bytes(&out), b"SWAPPED-SECRET"));
}

/// Evidence is copied against the hash it was evaluated with: a file changed after evaluation
/// (same size, other bytes; or another size) or swapped for an outside link after the pack was
/// assembled fails the write, and neither the pack nor a temporary file is left.
#[cfg(unix)]
#[test]
fn evidence_changed_after_evaluation_fails_the_pack_and_leaves_nothing() {
    type Change = fn(&tempfile::TempDir);
    let changes: [(&str, Change); 3] = [
        ("its SHA-256 is now", |d| {
            write(&root(d).join("models/a/model-card.md"), "# ALPHA\n")
        }),
        ("it is now 12 bytes, it was 8 bytes", |d| {
            write(&root(d).join("models/a/model-card.md"), "# Alpha v2\n\n")
        }),
        (
            "it now resolves outside the repository",
            swap_card_for_outside_link,
        ),
    ];
    for (why, change) in changes {
        let dir = repo();
        let req = request(&dir);
        let tree = mrm::repo::DigestOnce::new(WorkTree::new(root(&dir)).unwrap());
        let run = engine::run_in(&req, &tree).unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
        let contents = pack_through(&run, &tree);
        assert!(contents.refused.is_empty(), "{:#?}", contents.refused);
        change(&dir);

        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("p.tar.gz");
        let err = pack::save(&target, false, &contents, Some(&tree))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("evidence `models/a/model-card.md` changed after it was evaluated: ")
                && err.contains(why),
            "{err}"
        );
        assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0, "{why}");
    }
}

/// The pack's evidence is the bytes that were evaluated: each copy hashes to the SHA-256 in the
/// results and the manifest.
#[test]
fn packed_evidence_hashes_to_what_was_evaluated() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let list = entries(&file);
    let r = results(&file);
    let mut evaluated = std::collections::BTreeMap::new();
    for m in r["models"].as_array().unwrap() {
        for c in m["controls"].as_array().unwrap() {
            for e in c["evidence"].as_array().into_iter().flatten() {
                if let Some(h) = e["sha256"].as_str() {
                    evaluated.insert(e["path"].as_str().unwrap().to_string(), h.to_string());
                }
            }
        }
    }
    assert_eq!(evaluated.len(), 2, "{evaluated:?}");
    for (path, hash) in &evaluated {
        let packed = entry(&list, &format!("evidence/{path}")).expect("packed");
        assert_eq!(&pack::sha256(&packed.bytes), hash, "{path}");
    }
    assert_eq!(
        entry(&list, "evidence/models/a/model-card.md")
            .unwrap()
            .bytes,
        b"# Alpha\n"
    );
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

fn contents_of(dir: &tempfile::TempDir) -> (pack::Contents<'static>, WorkTree) {
    let req = request(dir);
    let run = engine::run(&req).unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let tree = WorkTree::new(root(dir)).unwrap();
    let contents = pack_through(&run, &tree).into_owned();
    (contents, tree)
}

#[test]
fn a_pack_interrupted_midway_leaves_no_file_at_the_target() {
    let dir = repo();
    let (contents, tree) = contents_of(&dir);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("p.tar.gz");
    let err = pack::save_with(&target, false, &contents, Some(&tree), |f| FailAfter {
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
    pack::save_with(&target, true, &contents, Some(&tree), |f| FailAfter {
        inner: f,
        left: 100,
    })
    .unwrap_err();
    assert_eq!(fs::read(&target).unwrap(), b"previous pack");
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);

    // The same writer, not failing, gives a pack that verifies.
    pack::save(&target, true, &contents, Some(&tree)).unwrap();
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
    assert!(out.contains(&format!("(public key {PUBLIC})")), "{out}");
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
    assert!(err.contains("not an Ed25519 private key"), "{err}");
    assert!(err.contains("PKCS#8"), "{err}");
    assert!(!dir.path().join("t.tar.gz").exists());
}

/// `verify` names the signature state on every run: "unsigned" for an unsigned pack (which
/// still verifies unless a signature is required), and the signer's fingerprint for a signed one.
#[test]
fn verify_says_unsigned_or_names_the_signer_and_can_require_a_signature() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let (code, out, _) = verify(&file);
    assert_eq!(code, 0, "{out}");
    assert!(out.lines().any(|l| l == "signature: unsigned"), "{out}");
    let (code, out, _) = mrm(&["verify", file.to_str().unwrap(), "--require-signature"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("signature: unsigned, but a signature is required"),
        "{out}"
    );

    let secret = dir.path().join("key");
    fs::write(&secret, format!("{SEED}\n")).unwrap();
    let signed = dir.path().join("s.tar.gz");
    let (code, _, err) = pack_cli(
        &root(&dir),
        &signed,
        &["--sign-key", secret.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let fingerprint = format!(
        "sha256:{}",
        pack::sha256(
            &[
                &[
                    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
                ][..],
                &hex(PUBLIC)
            ]
            .concat()
        )
    );
    for extra in [&[][..], &["--require-signature"][..]] {
        let mut args = vec!["verify", signed.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (code, out, _) = mrm(&args);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!(
                "signature: valid, by key {fingerprint} (public key {PUBLIC})"
            )),
            "{out}"
        );
    }
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Runs a tool that the test needs; it must be installed (CI installs it).
fn tool(program: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("`{program}` is needed by this test: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `mrm keygen` writes a PKCS#8 private key (mode 0600) and its public key, which OpenSSL reads
/// and agrees with; it never overwrites an existing file.
#[test]
fn keygen_writes_a_key_pair_that_openssl_reads_and_never_overwrites() {
    let dir = repo();
    let key = dir.path().join("signing.pem");
    let (code, out, err) = mrm(&["keygen", key.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let public = dir.path().join("signing.pem.pub");
    let private_text = fs::read_to_string(&key).unwrap();
    let public_text = fs::read_to_string(&public).unwrap();
    assert!(private_text.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(public_text.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // OpenSSL derives the same public key from the private key, and the same fingerprint.
    let derived = tool(
        "openssl",
        &["pkey", "-in", "signing.pem", "-pubout"],
        dir.path(),
    );
    assert_eq!(derived, public_text);
    let der = Command::new("openssl")
        .args([
            "pkey",
            "-pubin",
            "-in",
            "signing.pem.pub",
            "-outform",
            "DER",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap()
        .stdout;
    let fingerprint = format!("sha256:{}", pack::sha256(&der));
    assert!(out.contains(&format!("fingerprint {fingerprint}")), "{out}");

    // The pair signs and verifies a pack.
    let file = dir.path().join("p.tar.gz");
    let (code, out, err) = pack_cli(&root(&dir), &file, &["--sign-key", key.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("signed with key {fingerprint}")),
        "{out}"
    );
    let (code, out, _) = verify_with_key(&file, &public);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("signature: valid, by the given key {fingerprint}")),
        "{out}"
    );
    // The private key given where the public key is expected is refused with the fix.
    let (code, _, err) = verify_with_key(&file, &key);
    assert_eq!(code, 2);
    assert!(
        err.contains("this is a private key; pass its public key"),
        "{err}"
    );

    // Never overwritten: neither an existing private key nor an existing public key.
    let (code, _, err) = mrm(&["keygen", key.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("already exists; keys are never overwritten"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&key).unwrap(), private_text);
    let other = dir.path().join("other.pem");
    fs::write(dir.path().join("other.pem.pub"), "keep me").unwrap();
    let (code, _, err) = mrm(&["keygen", other.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(!other.exists());
    assert_eq!(
        fs::read_to_string(dir.path().join("other.pem.pub")).unwrap(),
        "keep me"
    );
}

/// A key made by `openssl genpkey -algorithm ed25519` signs a pack, and the public key that
/// `openssl pkey -pubout` writes verifies it.
#[test]
fn openssl_keys_sign_and_verify_packs() {
    let dir = repo();
    tool(
        "openssl",
        &["genpkey", "-algorithm", "ed25519", "-out", "ossl.pem"],
        dir.path(),
    );
    tool(
        "openssl",
        &["pkey", "-in", "ossl.pem", "-pubout", "-out", "ossl.pub"],
        dir.path(),
    );
    let file = dir.path().join("p.tar.gz");
    let key = dir.path().join("ossl.pem");
    let (code, _, err) = pack_cli(&root(&dir), &file, &["--sign-key", key.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = verify_with_key(&file, &dir.path().join("ossl.pub"));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("signature: valid, by the given key sha256:"),
        "{out}"
    );

    // Another OpenSSL key is not the signer.
    tool(
        "openssl",
        &["genpkey", "-algorithm", "ed25519", "-out", "other.pem"],
        dir.path(),
    );
    tool(
        "openssl",
        &["pkey", "-in", "other.pem", "-pubout", "-out", "other.pub"],
        dir.path(),
    );
    let (code, out, _) = verify_with_key(&file, &dir.path().join("other.pub"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(", not by the given key sha256:"), "{out}");
}

/// `--out` is only ever a new path or a regular file: a directory, a symbolic link (even to a
/// regular file) or a FIFO is refused before anything is evaluated, with or without `--force`,
/// and left as it was.
#[cfg(unix)]
#[test]
fn pack_refuses_an_out_path_that_is_not_a_regular_file_even_with_force() {
    let dir = repo();
    let folder = dir.path().join("folder.tar.gz");
    fs::create_dir(&folder).unwrap();
    let real = dir.path().join("real.tar.gz");
    fs::write(&real, b"an older pack").unwrap();
    let link = dir.path().join("link.tar.gz");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let fifo = dir.path().join("fifo.tar.gz");
    tool("mkfifo", &[fifo.to_str().unwrap()], dir.path());
    for (target, kind) in [
        (&folder, "a directory"),
        (&link, "a symbolic link"),
        (&fifo, "a FIFO"),
    ] {
        for extra in [&[][..], &["--force"][..]] {
            let (code, _, err) = pack_cli(&root(&dir), target, extra);
            assert_eq!(code, 2, "{kind} {extra:?}: {err}");
            assert!(
                err.contains(&format!("is {kind}, not a regular file")),
                "{kind}: {err}"
            );
        }
    }
    assert!(folder.is_dir());
    assert_eq!(fs::read_link(&link).unwrap(), real);
    assert_eq!(fs::read(&real).unwrap(), b"an older pack");
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // The library refuses too, even if the CLI's early check was skipped.
    let err = pack::check_target(&link, true).unwrap_err().to_string();
    assert!(err.contains("is a symbolic link"), "{err}");
}

/// A pack stopped by SIGINT or SIGTERM while it is being written leaves neither the pack nor its
/// temporary file behind. Large evidence keeps the write going long enough to interrupt.
#[cfg(unix)]
#[test]
fn a_pack_stopped_by_a_signal_leaves_no_temporary_file() {
    let dir = repo();
    // 16 MiB of text-like evidence: the write lasts long enough to be caught.
    let mut big = Vec::with_capacity(16 << 20);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while big.len() < 16 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        big.extend_from_slice(format!("{x:x} ").as_bytes());
    }
    fs::write(root(&dir).join("models/a/reports/validation.pdf"), &big).unwrap();
    for signal in ["INT", "TERM"] {
        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("p.tar.gz");
        let mut child = Command::new(env!("CARGO_BIN_EXE_mrm"))
            .args(["pack", root(&dir).to_str().unwrap(), "--policy"])
            .arg(policy())
            .args(["--as-of", AS_OF, "--out"])
            .arg(&target)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let seen = loop {
            let tmp = fs::read_dir(out.path())
                .unwrap()
                .filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"));
            if tmp || started.elapsed() > std::time::Duration::from_secs(120) {
                break tmp;
            }
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert!(seen, "SIG{signal}: the temporary file was never seen");
        tool(
            "kill",
            &[&format!("-{signal}"), &child.id().to_string()],
            out.path(),
        );
        let status = child.wait().unwrap();
        assert!(!status.success(), "SIG{signal}: the pack finished first");
        let left: Vec<_> = fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "SIG{signal}: left {left:?}");
    }
}

/// Extracts a pack with `tar` into `dir/name` and returns that folder.
fn extract(file: &Path, dir: &Path, name: &str) -> PathBuf {
    let x = dir.join(name);
    fs::create_dir(&x).unwrap();
    tool(
        "tar",
        &["-xzf", file.to_str().unwrap(), "-C", x.to_str().unwrap()],
        dir,
    );
    x
}

/// `verify DIR` checks the folder a pack was extracted into like the archive: intact as
/// extracted; then every altered, missing, extra or non-regular file is named, and a FIFO is not
/// opened (the check does not hang).
#[cfg(unix)]
#[test]
fn verify_checks_an_extracted_pack() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let x = extract(&file, dir.path(), "x");
    let (code, out, _) = mrm(&["verify", x.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: "), "{out}");
    assert!(!out.contains("re-packed"), "{out}");
    // Re-evaluation works from the folder too.
    let (code, out, err) = mrm(&[
        "verify",
        x.to_str().unwrap(),
        "--repo",
        root(&dir).to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("results match"), "{out}");

    fs::write(x.join("report.txt"), "edited").unwrap();
    fs::remove_file(x.join("inventory.csv")).unwrap();
    fs::write(x.join("evidence/planted.txt"), "planted").unwrap();
    let card = x.join("evidence/models/a/model-card.md");
    fs::remove_file(&card).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", &card).unwrap();
    tool(
        "mkfifo",
        &[x.join("gaps/pipe").to_str().unwrap()],
        dir.path(),
    );
    let (code, out, _) = mrm(&["verify", x.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    for line in [
        "altered    report.txt (size 6 bytes, manifest says ",
        "missing    inventory.csv",
        "extra      evidence/planted.txt (not in the manifest)",
        "not a file evidence/models/a/model-card.md (symbolic link)",
        "not a file gaps/pipe (not a regular file)",
        "not intact: ",
    ] {
        assert!(out.lines().any(|l| l.starts_with(line)), "{line}:\n{out}");
    }
    // The link is reported once, not also as missing.
    assert!(
        !out.contains("missing    evidence/models/a/model-card.md"),
        "{out}"
    );

    let (code, _, err) = mrm(&["verify", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no `manifest.json` at its top"), "{err}");
}

/// A pack extracted and archived again by `tar` (directory entries, `./` names, or one top
/// folder) verifies, with a note on the layout; a change made in between is still named.
#[test]
fn a_pack_re_tarred_by_tar_verifies_and_names_what_changed() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let x = extract(&file, dir.path(), "x");
    let dotted = dir.path().join("dotted.tar.gz");
    tool(
        "tar",
        &[
            "-czf",
            dotted.to_str().unwrap(),
            "-C",
            x.to_str().unwrap(),
            ".",
        ],
        dir.path(),
    );
    let (code, out, _) = verify(&dotted);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: "), "{out}");
    assert!(!out.contains("not a file"), "{out}");
    assert!(
        out.contains("note: re-packed: ")
            && out.contains("directory entries ignored, `./` prefixes ignored"),
        "{out}"
    );
    let folder = dir.path().join("folder.tar.gz");
    tool("tar", &["-czf", folder.to_str().unwrap(), "x"], dir.path());
    let (code, out, _) = verify(&folder);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("the pack is under the folder `x/`"), "{out}");

    fs::write(x.join("traceability.csv"), "forged").unwrap();
    tool(
        "tar",
        &[
            "-czf",
            dotted.to_str().unwrap(),
            "-C",
            x.to_str().unwrap(),
            ".",
        ],
        dir.path(),
    );
    let (code, out, _) = verify(&dotted);
    assert_eq!(code, 1, "{out}");
    let problems: Vec<&str> = out
        .lines()
        .filter(|l| {
            !l.starts_with("note:") && !l.starts_with("not intact") && !l.starts_with("signature")
        })
        .collect();
    assert_eq!(problems.len(), 1, "{out}");
    assert!(
        problems[0].starts_with("altered    traceability.csv "),
        "{out}"
    );
}

/// Writes raw tar members (already built headers and data) as a gzipped archive.
fn raw_tar(file: &Path, build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) {
    let mut b = tar::Builder::new(Vec::new());
    build(&mut b);
    let bytes = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    fs::write(file, gz.finish().unwrap()).unwrap();
}

fn header(kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h
}

/// Hostile archives: members that are links or whose names leave the pack are reported and never
/// followed; a manifest that lies about a size or lists a path outside the pack is named.
#[test]
fn hostile_members_and_a_lying_manifest_are_named() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let list = entries(&file);
    let mut manifest: serde_json::Value = serde_json::from_slice(&list[0].bytes).unwrap();
    let files = manifest["files"].as_array_mut().unwrap();
    let card = files
        .iter_mut()
        .find(|f| f["path"] == "evidence/models/a/model-card.md")
        .unwrap();
    card["size"] = serde_json::json!(4_294_967_296u64);
    files.push(serde_json::json!({"path": "../outside", "sha256": "00", "size": 1}));
    let manifest = serde_json::to_vec_pretty(&manifest).unwrap();

    let hostile = dir.path().join("hostile.tar.gz");
    raw_tar(&hostile, |b| {
        b.append_data(
            &mut header(tar::EntryType::Regular, manifest.len() as u64),
            "manifest.json",
            manifest.as_slice(),
        )
        .unwrap();
        for m in &list[1..] {
            if m.path == "report.txt" {
                // A link where a listed file belongs.
                let mut h = header(tar::EntryType::Symlink, 0);
                h.set_link_name("/etc/passwd").unwrap();
                b.append_data(&mut h, "report.txt", io::empty()).unwrap();
            } else {
                b.append_data(
                    &mut header(tar::EntryType::Regular, m.bytes.len() as u64),
                    &m.path,
                    m.bytes.as_slice(),
                )
                .unwrap();
            }
        }
        // Names that leave the pack, written into the header by hand (the builder refuses them).
        for name in ["../evil.txt", "/etc/cron.d/evil"] {
            let mut h = header(tar::EntryType::Regular, 4);
            h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, &b"evil"[..]).unwrap();
        }
        let mut h = header(tar::EntryType::Link, 0);
        h.set_link_name("results.json").unwrap();
        b.append_data(&mut h, "evidence/hard-link", io::empty())
            .unwrap();
    });
    let (code, out, _) = verify(&hostile);
    assert_eq!(code, 1, "{out}");
    for line in [
        "altered    evidence/models/a/model-card.md (size 8 bytes, manifest says 4294967296)",
        "not a file report.txt (symbolic link)",
        "not a file evidence/hard-link (hard link)",
        "unsafe     ../evil.txt ",
        "unsafe     /etc/cron.d/evil ",
        "unsafe     ../outside ",
    ] {
        assert!(out.lines().any(|l| l.starts_with(line)), "{line}:\n{out}");
    }
}

/// A long-name header that claims a gigabyte is refused at once, without reading or allocating
/// it; so is a manifest larger than the limit.
#[test]
fn a_header_that_claims_gigabytes_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bomb.tar.gz");
    raw_tar(&file, |b| {
        let mut h = header(tar::EntryType::GNULongName, 1 << 30);
        h.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
        h.set_cksum();
        // The header alone, and some of its claimed data.
        b.get_mut().extend_from_slice(h.as_bytes());
        b.get_mut().extend_from_slice(&[b'a'; 4096]);
    });
    let (code, _, err) = verify(&file);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("an archive header extension (long name or PAX) of 1073741824 bytes"),
        "{err}"
    );

    let big = dir.path().join("big.tar.gz");
    raw_tar(&big, |b| {
        let h = header(tar::EntryType::Regular, pack::verify::MAX_MANIFEST + 1);
        let mut h = h;
        h.set_path("manifest.json").unwrap();
        h.set_cksum();
        b.get_mut().extend_from_slice(h.as_bytes());
    });
    let (code, _, err) = verify(&big);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`manifest.json` is 67108865 bytes, more than the"),
        "{err}"
    );
}

/// Thousands of planted entries give a bounded report: the first differences one per line, then a
/// count.
#[test]
fn a_flood_of_extra_entries_is_counted_not_listed() {
    let dir = repo();
    let file = dir.path().join("p.tar.gz");
    pack_ok(&root(&dir), &file);
    let mut list = entries(&file);
    let n = pack::verify::MAX_PROBLEMS + 500;
    for i in 0..n {
        list.push(Member {
            path: format!("evidence/flood/{i:05}"),
            bytes: Vec::new(),
        });
    }
    rewrite(&file, &list);
    let (code, out, _) = verify(&file);
    assert_eq!(code, 1);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("extra ")).count(),
        pack::verify::MAX_PROBLEMS
    );
    assert!(
        out.contains("... and 500 more differences not listed"),
        "{out}"
    );
    assert!(
        out.contains(&format!("differs from its manifest in {n} places")),
        "{out}"
    );
}
