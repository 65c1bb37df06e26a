//! `mrm fmt`: the canonical layout is stable, keeps meaning and comments, on every shipped policy
//! and every fixture that parses; a golden file pins the layout itself; the command rewrites,
//! checks and refuses as documented.

use std::path::{Path, PathBuf};

use mrm::fmt::{Outcome, format_source};
use mrm::library::policy_files_in;
use mrm::source::{SourceFile, SourceMap};

#[cfg(test)]
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[cfg(test)]
fn format_text(name: &str, text: &str) -> Outcome {
    let mut sources = SourceMap::new();
    let id = sources.add(SourceFile::new(name, text));
    format_source(&sources, id)
}

/// Every `.mrm` file shipped or used as a fixture, with its text.
#[cfg(test)]
fn all_policy_texts() -> Vec<(String, String)> {
    let mut files = policy_files_in(&root().join("policies")).unwrap();
    files.extend(policy_files_in(&root().join("tests/fixtures")).unwrap());
    assert!(files.len() >= 5, "fixtures not found");
    files
        .into_iter()
        // Fixtures that are not UTF-8 on purpose are read by their own tests.
        .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
        .collect()
}

#[cfg(test)]
fn run(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["mrm"];
    argv.extend(args);
    let code = mrm::cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn formatting_is_idempotent_and_keeps_meaning_and_comments() {
    for (name, text) in all_policy_texts() {
        let once = match format_text(&name, &text) {
            Outcome::Formatted(t) => t,
            // Files that do not parse are the diagnostics fixtures' business.
            Outcome::Invalid(d) => {
                let must_parse = ["policies/", "fixtures/fmt/"];
                assert!(
                    !must_parse.iter().any(|p| name.contains(p)),
                    "{name}: {d:?}"
                );
                continue;
            }
            // `format_source` parsed the output again and found a different tree or lost comments.
            Outcome::Unsafe(t) => panic!("formatting {name} changes its meaning:\n{t}"),
        };
        match format_text(&name, &once) {
            Outcome::Formatted(twice) => assert_eq!(twice, once, "{name}: not idempotent"),
            other => panic!("{name}: formatted text does not format again: {other:?}"),
        }
    }
}

/// Each `tests/fixtures/fmt/NAME.mrm` formats to `NAME.formatted.mrm`, which formats to itself.
#[test]
fn golden_layouts() {
    let dir = root().join("tests/fixtures/fmt");
    let mut pairs = 0;
    for path in policy_files_in(&dir).unwrap() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".formatted.mrm") else {
            continue;
        };
        let input = std::fs::read_to_string(dir.join(format!("{stem}.mrm"))).unwrap();
        let expected = std::fs::read_to_string(&path).unwrap();
        assert_ne!(input, expected, "{stem}");
        assert_eq!(
            format_text(stem, &input),
            Outcome::Formatted(expected.clone()),
            "{stem}"
        );
        assert_eq!(
            format_text(&name, &expected),
            Outcome::Formatted(expected),
            "{name}"
        );
        pairs += 1;
    }
    assert!(pairs >= 2);
}

#[test]
fn comments_go_with_the_next_clause_and_trailing_ones_stay_on_their_line() {
    let input = std::fs::read_to_string(root().join("tests/fixtures/fmt/comments.mrm")).unwrap();
    let expected = r#"// Header comment for the file.

// Attached to the policy line.
policy "comments" // trailing on the policy line

schema { // after the brace
  // before a field
  a: number // trailing on a field
  // inside a record
  b: list<{ x: number, y: string }>

  // after a blank line
  c: bool
  // before the closing brace
} // after the closing brace

tiers {
  // big
  high
    when a > 1
         or c // inside a multi-line condition
  low otherwise
}

control A "a" {
  // before severity, which moves up with it
  severity  high
  assert    c   // trailing on assert
}

control B "empty" {}

// at the very end
"#;
    assert_eq!(
        format_text("comments.mrm", &input),
        Outcome::Formatted(expected.to_string())
    );
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format_text("e.mrm", ""), Outcome::Formatted(String::new()));
    assert_eq!(
        format_text("e.mrm", "\n\n  // only this\n\n"),
        Outcome::Formatted("// only this\n".to_string())
    );
}

#[test]
fn a_file_that_loses_part_of_itself_when_parsed_is_not_formatted() {
    // An unknown escape is dropped from the string and a repeated clause from the control:
    // printing the tree would silently delete them.
    for text in [
        "control A \"bad \\q escape\" { severity low assert true }",
        "control A \"t\" { severity low severity high assert true }",
        "control A \"t\" { severity low assert true explain \"{1 +}\" }",
    ] {
        assert!(
            matches!(format_text("x.mrm", text), Outcome::Invalid(d) if !d.is_empty()),
            "{text}"
        );
    }
    // A missing clause loses nothing, so the file is still formatted.
    assert!(matches!(
        format_text("x.mrm", "control A \"t\" { assert true }"),
        Outcome::Formatted(_)
    ));
}

#[cfg(test)]
fn temp_policies(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[cfg(test)]
fn path_arg(dir: &Path) -> String {
    dir.display().to_string()
}

#[test]
fn check_shows_a_diff_writes_nothing_and_exits_1() {
    let messy = "control A \"t\" {assert true severity low}\n";
    let clean = "tiers {\n  low otherwise\n}\n";
    let dir = temp_policies(&[("a.mrm", messy), ("b.mrm", clean)]);
    let (code, out, err) = run(&["fmt", "--check", &path_arg(dir.path())]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("would reformat ") && out.contains("a.mrm"),
        "{out}"
    );
    assert!(!out.contains("b.mrm"), "{out}");
    assert!(
        out.contains("-control A \"t\" {assert true severity low}"),
        "{out}"
    );
    assert!(out.contains("+  severity  low"), "{out}");
    assert!(
        err.contains("1 file would be reformatted, 1 already formatted"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.mrm")).unwrap(),
        messy
    );
}

#[test]
fn fmt_rewrites_in_place_and_a_second_run_changes_nothing() {
    let dir = temp_policies(&[("a.mrm", "control A \"t\" {assert true severity low}\n")]);
    let (code, out, _) = run(&["fmt", &path_arg(dir.path())]);
    assert_eq!(code, 0);
    assert!(out.contains("reformatted "), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.mrm")).unwrap(),
        "control A \"t\" {\n  severity  low\n  assert    true\n}\n"
    );
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let (code, out, err) = run(&["fmt", "--check", &path_arg(dir.path())]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_left_untouched() {
    let broken = "control A \"t\" {\n  severity low\n  assert all g in fairness g.x\n}\n";
    let messy = "tiers {low otherwise}\n";
    let dir = temp_policies(&[("a.mrm", broken), ("b.mrm", messy)]);
    let (code, out, err) = run(&["fmt", &path_arg(dir.path())]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("error[syntax/unexpected-token]"), "{err}");
    assert!(err.contains("a.mrm:3:"), "{err}");
    assert!(err.contains("does not parse; left unchanged"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.mrm")).unwrap(),
        broken
    );
    // The other file is still formatted.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.mrm")).unwrap(),
        "tiers {\n  low otherwise\n}\n"
    );
}

#[cfg(test)]
fn shipped_texts() -> Vec<String> {
    policy_files_in(&root().join("policies"))
        .unwrap()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn without_paths_fmt_checks_the_policies_directory() {
    // Tests run in the package root, where `policies/` is; `--check` writes nothing.
    let before = shipped_texts();
    let (code, out, err) = run(&["fmt", "--check"]);
    let files = before.len();
    assert!(code == 0 || code == 1, "{err}");
    assert!(
        code == 0 || out.contains("would reformat policies/"),
        "{out}"
    );
    assert!(err.contains("already formatted"), "{err}");
    let after = shipped_texts();
    assert_eq!(after.len(), files);
    assert!(before == after, "`mrm fmt --check` changed a file");
}
