//! Diagnostics of broken policies, fixture by fixture.
//!
//! Every `tests/fixtures/diagnostics/*.mrm` is linted in-process against the embedded framework
//! catalogs, and everything a user would read — the rendered text (no colour) and the JSON with
//! codes, messages and locations — is compared with its snapshot in `tests/snapshots/`. A new case
//! is a new fixture file (then `INSTA_UPDATE=always cargo test --test diagnostics`, and read the
//! new snapshot before committing it). A fixture whose first line is
//! `// with: policies/schema.mrm` is checked together with the shipped schema.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mrm::diagnostic::{Code, Diagnostic, render};
use mrm::framework::Catalogs;
use mrm::library::{PolicySet, PolicySource, load};

const WITH_SCHEMA: &str = "// with: policies/schema.mrm";

#[cfg(test)]
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The embedded catalogs, read once: every fixture is checked against them.
#[cfg(test)]
fn catalogs() -> Catalogs {
    static CATALOGS: OnceLock<Catalogs> = OnceLock::new();
    CATALOGS
        .get_or_init(|| {
            let (catalogs, diagnostics) = Catalogs::embedded();
            assert!(diagnostics.is_empty(), "{diagnostics:?}");
            catalogs
        })
        .clone()
}

/// Lints one fixture the way `mrm lint` does, under a stable repository-relative name.
#[cfg(test)]
fn lint(path: &Path) -> PolicySet {
    let file_name = path.file_name().unwrap().to_string_lossy();
    let name = format!("tests/fixtures/diagnostics/{file_name}");
    let text = std::fs::read_to_string(path).unwrap();
    let mut sources = Vec::new();
    if text.starts_with(WITH_SCHEMA) {
        let schema = std::fs::read_to_string(root().join("policies/schema.mrm")).unwrap();
        sources.push(PolicySource::Text("policies/schema.mrm".into(), schema));
    }
    sources.push(PolicySource::Text(name, text));
    load(&sources, catalogs())
}

#[cfg(test)]
fn fixtures() -> Vec<PathBuf> {
    let dir = root().join("tests/fixtures/diagnostics");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mrm"))
        .collect();
    v.sort();
    v
}

#[cfg(test)]
fn location(d: &Diagnostic) -> String {
    d.location().map(ToString::to_string).unwrap_or_default()
}

#[test]
fn diagnostics_match_snapshots() {
    insta::glob!("fixtures/diagnostics/*.mrm", |path| {
        let set = lint(path);
        let diagnostics = set.all_diagnostics();
        let text = render::text_all(&diagnostics, &set.sources, false);
        let json = render::json(&diagnostics);
        insta::assert_snapshot!(format!("{text}\n---- json\n{json}"));
    });
}

/// Collect, don't bail: independent mistakes in one file are all reported, each where it is.
#[test]
fn three_independent_mistakes_are_all_reported_with_file_line_col() {
    let set = lint(&root().join("tests/fixtures/diagnostics/three-mistakes.mrm"));
    let found: Vec<(&str, String)> = set
        .all_diagnostics()
        .iter()
        .map(|d| (d.code.as_str(), location(d)))
        .collect();
    let file = "tests/fixtures/diagnostics/three-mistakes.mrm";
    assert_eq!(
        found,
        vec![
            ("check/unknown-path", format!("{file}:10:12")),
            ("check/unknown-tier", format!("{file}:14:12")),
            ("check/invalid-evidence-path", format!("{file}:21:12")),
        ]
    );
}

/// Every code the parser or the checker can emit for a policy file is shown by some fixture.
#[test]
fn every_syntax_and_check_code_has_a_fixture() {
    let mut seen = BTreeSet::new();
    for path in fixtures() {
        for d in lint(&path).all_diagnostics() {
            seen.insert(d.code);
        }
    }
    // Emitted by `mrm test` when it resolves fixtures, not by parsing or checking.
    let elsewhere = [Code::MissingFixture];
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| c.as_str().starts_with("syntax/") || c.as_str().starts_with("check/"))
        .filter(|c| !seen.contains(*c) && !elsewhere.contains(*c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "no fixture shows {missing:?}");
}

#[test]
fn the_clean_fixture_has_no_diagnostics() {
    let set = lint(&root().join("tests/fixtures/diagnostics/clean.mrm"));
    assert_eq!(set.all_diagnostics(), Vec::new());
}

#[test]
fn a_policy_that_is_not_utf8_is_reported_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.mrm");
    // `"Café"` saved as Latin-1: 0xE9 is not UTF-8 on its own (24 + 14 bytes precede it).
    let mut bytes = b"tiers { low otherwise }\ncontrol A \"Caf".to_vec();
    bytes.extend([0xE9, b'"']);
    std::fs::write(&path, &bytes).unwrap();
    let set = load(&[PolicySource::Path(path.clone())], catalogs());
    let diagnostics = set.all_diagnostics();
    let d = diagnostics
        .iter()
        .find(|d| d.code == Code::InvalidUtf8)
        .unwrap_or_else(|| panic!("no io/invalid-utf8 in {diagnostics:?}"));
    let name = mrm::library::display_path(&path);
    assert_eq!(
        d.message,
        format!("`{name}` is not valid UTF-8 (invalid byte at offset 38)")
    );
    assert_eq!(location(d), name);
    assert_eq!(d.help.as_deref(), Some("re-save the file as UTF-8"));
}

#[test]
fn a_policy_larger_than_the_limit_is_refused() {
    let text = format!("tiers {{ low otherwise }}\n{}", " ".repeat(1 << 20));
    let set = load(&[PolicySource::Text("big.mrm".into(), text)], catalogs());
    let codes: Vec<Code> = set.all_diagnostics().iter().map(|d| d.code).collect();
    assert!(codes.contains(&Code::FileTooLarge), "{codes:?}");
}
