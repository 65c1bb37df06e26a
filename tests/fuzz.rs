//! Robustness: on any input, parsing, checking and formatting terminate without panicking, on a
//! thread with the 2 MiB stack that tests (and `std::thread::spawn`) get by default.
//!
//! Inputs are the shipped policies and the fixtures, mutated (byte slices deleted, inserted and
//! duplicated; lines deleted, duplicated and swapped; whitespace and comments added between
//! tokens), random bytes, token soup, and deliberately deep nesting. For every input that parses,
//! the formatter's output must parse to the same tree and be stable under formatting again. The
//! case counts keep the file to a few seconds in a debug build; longer fuzzing runs belong in a
//! `cargo fuzz` target, not in CI.

use std::path::PathBuf;
use std::sync::OnceLock;

use mrm::diagnostic::Code;
use mrm::fmt::{Outcome, format_source};
use mrm::framework::Catalogs;
use mrm::source::{SourceFile, SourceMap};
use mrm::syntax;
use proptest::prelude::*;

/// The stack of a spawned thread when `RUST_MIN_STACK` is not set.
const STACK: usize = 2 << 20;

#[cfg(test)]
fn catalogs() -> &'static Catalogs {
    static CATALOGS: OnceLock<Catalogs> = OnceLock::new();
    CATALOGS.get_or_init(|| Catalogs::embedded().0)
}

/// Shipped policies and fixtures: the seeds that mutations start from.
#[cfg(test)]
fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut files = mrm::library::policy_files_in(&root.join("policies")).unwrap();
        files.extend(mrm::library::policy_files_in(&root.join("tests/fixtures")).unwrap());
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    })
}

/// Whether a seed parses, decided once per seed.
#[cfg(test)]
fn parses(seed: &str) -> bool {
    static PARSES: OnceLock<Vec<(String, bool)>> = OnceLock::new();
    let known = PARSES.get_or_init(|| {
        corpus()
            .iter()
            .map(|text| {
                let mut sources = SourceMap::new();
                let id = sources.add(SourceFile::new("seed.mrm", text.as_str()));
                (text.clone(), syntax::parse(&sources, id).file.is_some())
            })
            .collect()
    });
    known.iter().any(|(text, parsed)| text == seed && *parsed)
}

/// What became of one input.
#[derive(Debug, Default)]
struct Run {
    parsed: bool,
    codes: Vec<Code>,
}

/// Parses, checks and formats `text` on a fresh 2 MiB thread. A panic fails the test with the
/// input in the message; a stack overflow aborts the test binary, which fails it too.
#[cfg(test)]
fn pipeline(text: String) -> Run {
    let shown: String = text.chars().take(300).collect();
    let handle = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let mut sources = SourceMap::new();
            let id = sources.add(SourceFile::new("fuzz.mrm", text.as_str()));
            let parsed = syntax::parse(&sources, id);
            let mut run = Run {
                parsed: parsed.file.is_some(),
                codes: parsed.diagnostics.iter().map(|d| d.code).collect(),
            };
            if let Some(file) = parsed.file {
                let checked = mrm::check::check(std::slice::from_ref(&file), &sources, catalogs());
                run.codes.extend(checked.diagnostics.iter().map(|d| d.code));
                match format_source(&sources, id) {
                    Outcome::Formatted(once) => {
                        let mut again = SourceMap::new();
                        let id = again.add(SourceFile::new("fuzz.mrm", once.as_str()));
                        match format_source(&again, id) {
                            Outcome::Formatted(twice) => {
                                assert_eq!(twice, once, "formatting is not idempotent")
                            }
                            other => panic!("formatted text does not format: {other:?}"),
                        }
                    }
                    Outcome::Invalid(_) => {}
                    Outcome::Unsafe(t) => panic!("formatting changes the meaning:\n{t}"),
                }
            }
            run
        })
        .unwrap();
    match handle.join() {
        Ok(run) => run,
        Err(_) => panic!("the pipeline panicked on:\n{shown}"),
    }
}

/// One edit of a byte string; positions are taken modulo its length.
#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Duplicate { from: usize, len: usize, to: usize },
}

/// Fragments that take the parser and the checker down their less travelled paths.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "\\",
    "//",
    "\n",
    ":",
    ",",
    ".",
    "?",
    "<",
    ">",
    "-",
    "not ",
    " and ",
    " or ",
    " in ",
    "all x in y: ",
    "count(",
    "list<",
    "\"\"\"",
    "1e999",
    "2026-02-30",
    "10_000",
    "365d",
    "{g.group}",
    "\\u{D800}",
    "é",
    "\u{0}",
    "control A \"t\" {",
    "requires A",
    "tiers { low otherwise }",
    "when",
    "otherwise",
    "none",
];

/// Layout that separates tokens without changing what they mean.
const LAYOUT: &[&str] = &[
    " ",
    "\n",
    "\n\n",
    "\t",
    "\r\n",
    "// note\n",
    "// a note, then a blank line\n\n",
    "\n// note\n",
    " // note\n",
];

/// Offsets just after whitespace that lies outside strings and comments.
#[cfg(test)]
fn token_gaps(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut gaps = Vec::new();
    let (mut in_string, mut in_block, mut in_comment) = (false, false, false);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if in_comment {
            in_comment = b != b'\n';
        } else if in_block {
            if bytes.get(i..i + 3) == Some(b"\"\"\"") {
                in_block = false;
                i += 2;
            }
        } else if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
        } else if bytes.get(i..i + 3) == Some(b"\"\"\"") {
            in_block = true;
            i += 2;
        } else if b == b'"' {
            in_string = true;
        } else if bytes.get(i..i + 2) == Some(b"//") {
            in_comment = true;
        } else if b.is_ascii_whitespace() {
            gaps.push(i + 1);
        }
        i += 1;
    }
    gaps
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), proptest::sample::select(TOKENS)).prop_map(|(at, t)| Mutation::Insert {
            at,
            bytes: t.as_bytes().to_vec()
        }),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1..200usize, any::<usize>())
            .prop_map(|(from, len, to)| Mutation::Duplicate { from, len, to }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> String {
    for m in mutations {
        let n = bytes.len().max(1);
        match m {
            Mutation::Delete { at, len } => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Mutation::Insert { at, bytes: new } => {
                let at = (at % n).min(bytes.len());
                bytes.splice(at..at, new.iter().copied());
            }
            Mutation::Duplicate { from, len, to } => {
                let from = (from % n).min(bytes.len());
                let end = (from + len).min(bytes.len());
                let slice: Vec<u8> = bytes.get(from..end).unwrap_or_default().to_vec();
                let to = (to % n).min(bytes.len());
                bytes.splice(to..to, slice);
            }
        }
    }
    // The reader refuses bytes that are not UTF-8 before the parser sees them.
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_policies_never_panic(
        seed in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let text = seed.get(corpus).as_bytes().to_vec();
        pipeline(apply(text, &mutations));
    }

    #[test]
    fn line_edits_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((0..3u8, any::<usize>(), any::<usize>()), 1..6),
    ) {
        let corpus = corpus();
        let mut lines: Vec<&str> = seed.get(corpus).lines().collect();
        for (op, a, b) in edits {
            let n = lines.len().max(1);
            let (a, b) = (a % n, b % n);
            match op {
                0 if a < lines.len() => { lines.remove(a); }
                1 if a < lines.len() => { let l = lines[a]; lines.insert(b.min(lines.len()), l); }
                _ if a < lines.len() && b < lines.len() => lines.swap(a, b),
                _ => {}
            }
        }
        pipeline(lines.join("\n"));
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        pipeline(String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..200)) {
        pipeline(tokens.concat());
    }
}

proptest! {
    // Every case formats a whole policy file several times over: fewer cases, bigger inputs.
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Whitespace and comments added between tokens: every seed still parses, and the formatter
    /// must place each comment somewhere stable without changing the tree.
    #[test]
    fn relaid_policies_still_parse_and_format_stably(
        seed in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), proptest::sample::select(LAYOUT)), 1..16),
    ) {
        let corpus = corpus();
        let original = seed.get(corpus);
        let mut text = original.clone();
        for (at, insert) in edits {
            // Only after whitespace outside strings, so that the insertion separates tokens.
            let gaps = token_gaps(&text);
            if let Some(&pos) = gaps.get(at.index(gaps.len().max(1))) {
                text.insert_str(pos, insert);
            }
        }
        let after = pipeline(text);
        prop_assert_eq!(parses(original), after.parsed);
    }
}

/// Pathological nesting of every kind the grammar allows, `n` deep, inside a control.
#[cfg(test)]
fn deep(kind: &str, n: usize) -> String {
    let head = "schema {\n  a: number\n  b: bool\n  l: list<number>\n}\ntiers { low otherwise }\n";
    let control = |assert: String| {
        format!("{head}control A \"t\" {{\n  severity low\n  assert {assert}\n}}\n")
    };
    match kind {
        "parens" => control(format!("{}a{} > 0", "(".repeat(n), ")".repeat(n))),
        "lists" => control(format!("1 in {}1{}", "[".repeat(n), "]".repeat(n))),
        "calls" => control(format!("{}a{} > 0", "abs(".repeat(n), ")".repeat(n))),
        "not" => control(format!("{}b", "not ".repeat(n))),
        "neg" => control(format!("{}a > 0", "-".repeat(n))),
        "quantifiers" => control(format!("{}b", "all x in l: ".repeat(n))),
        "counts" => control(format!(
            "{}1{} > 0",
            "count(x in l: ".repeat(n),
            " > 0)".repeat(n)
        )),
        "sum" => control(format!("{}a > 0", "a + ".repeat(n))),
        "and" => control(format!("{}b", "b and ".repeat(n))),
        "product" => control(format!("{}a > 0", "a * ".repeat(n))),
        "fields" => control(format!("(a){} > 0", ".x".repeat(n))),
        "index" => control(format!("l{} > 0", "[0]".repeat(n))),
        "placeholder" => {
            let c = control("b".into());
            c.replace(
                "severity low",
                &format!(
                    "severity low\n  explain \"{{{}a{}}}\"",
                    "(".repeat(n),
                    ")".repeat(n)
                ),
            )
        }
        "list-types" => format!(
            "schema {{ x: {}number{} }}\ntiers {{ low otherwise }}\n",
            "list<".repeat(n),
            ">".repeat(n)
        ),
        "records" => format!(
            "schema {{ x: {}number{} }}\ntiers {{ low otherwise }}\n",
            "{ a: ".repeat(n),
            " }".repeat(n)
        ),
        "braces" => "{".repeat(n),
        other => panic!("unknown kind {other}"),
    }
}

const KINDS: &[&str] = &[
    "parens",
    "lists",
    "calls",
    "not",
    "neg",
    "quantifiers",
    "counts",
    "sum",
    "and",
    "product",
    "fields",
    "index",
    "placeholder",
    "list-types",
    "records",
    "braces",
];

/// Ten thousand levels of anything are refused with `syntax/too-deep`, quickly.
#[test]
fn deep_nesting_is_refused() {
    for kind in KINDS {
        let started = std::time::Instant::now();
        let run = pipeline(deep(kind, 10_000));
        let refused =
            run.codes.contains(&Code::TooDeep) || run.codes.contains(&Code::InvalidPlaceholder);
        // Ten thousand `{` is not deep: it is a syntax error at the first one.
        assert!(refused || *kind == "braces", "{kind}: {:?}", run.codes);
        assert!(
            started.elapsed().as_secs() < 5,
            "{kind} took {:?}",
            started.elapsed()
        );
    }
}

/// The deepest input of each kind that the limit still accepts goes through parsing, checking and
/// formatting on a 2 MiB stack: the limit is low enough for a debug build.
#[test]
fn the_deepest_accepted_inputs_fit_in_the_stack() {
    for kind in KINDS.iter().filter(|k| **k != "braces") {
        let mut deepest = None;
        for n in 1..200 {
            let mut sources = SourceMap::new();
            let id = sources.add(SourceFile::new("deep.mrm", deep(kind, n)));
            let parsed = syntax::parse(&sources, id);
            let too_deep = parsed
                .diagnostics
                .iter()
                .any(|d| matches!(d.code, Code::TooDeep | Code::InvalidPlaceholder));
            if too_deep {
                break;
            }
            deepest = Some(n);
        }
        let n = deepest.unwrap_or_else(|| panic!("{kind}: even depth 1 is refused"));
        assert!(n < 199, "{kind}: never refused");
        let run = pipeline(deep(kind, n));
        assert!(run.parsed, "{kind} at depth {n}: {:?}", run.codes);
    }
}

/// Long but flat inputs: a list of 5,000 items, 1,000 controls (all with one id), a title of
/// 128 KiB. (Kept small enough for a debug build; the benchmark measures speed.)
#[test]
fn long_flat_inputs_terminate() {
    let long_list = format!(
        "tiers {{ low otherwise }}\ncontrol A \"t\" {{ severity low assert 1 in [{}1] }}\n",
        "1, ".repeat(5_000)
    );
    let many_controls = "control A \"t\" { severity low assert true }\n".repeat(1_000);
    let long_string = format!("control A \"{}\" {{}}", "x".repeat(1 << 17));
    for text in [long_list, many_controls, long_string] {
        pipeline(text);
    }
}
