//! `mrm fmt`: rewrite policy files in the canonical layout, or with `--check` show what would
//! change.
//!
//! Each file is formatted on its own by [`crate::fmt::format_source`], which refuses files that do
//! not parse and any result that would parse differently. Files are replaced through a temporary
//! file in the same directory, so a crash never leaves half a policy behind.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::{ColorChoice, EXIT_ERROR, EXIT_GAPS, EXIT_OK};
use crate::diagnostic::render;
use crate::fmt::{Outcome, format_source};
use crate::library::{display_path, policy_files_in, read_text};
use crate::source::{SourceFile, SourceMap};
use crate::syntax;

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Policy files or directories [default: policies/]
    pub paths: Vec<PathBuf>,
    /// Write nothing: show the changes as a diff and exit with 1 if any file would change
    #[arg(long)]
    pub check: bool,
    /// When to use colour in diagnostics
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

pub fn run(args: &FmtArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from("policies")]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    let mut failed = 0usize;
    for root in &roots {
        match policy_files_in(root) {
            Ok(found) => files.extend(found),
            Err(e) => {
                writeln!(err, "error: cannot read `{}`: {e}", display_path(root))?;
                failed += 1;
            }
        }
    }
    let mut changed = 0usize;
    for path in &files {
        let name = display_path(path);
        let text = match read_text(path, &name, syntax::Limits::default().max_file_size) {
            Ok(text) => text,
            Err(d) => {
                let sources = SourceMap::new();
                write!(err, "{}", render::text_all(&[d], &sources, false))?;
                failed += 1;
                continue;
            }
        };
        let mut sources = SourceMap::new();
        let id = sources.add(SourceFile::new(name.as_str(), text.as_str()));
        let formatted = match format_source(&sources, id) {
            Outcome::Formatted(formatted) => formatted,
            Outcome::Invalid(diagnostics) => {
                let color = args.color.enabled();
                write!(err, "{}", render::text_all(&diagnostics, &sources, color))?;
                writeln!(err, "error: `{name}` does not parse; left unchanged")?;
                failed += 1;
                continue;
            }
            Outcome::Unsafe(_) => {
                writeln!(
                    err,
                    "error: formatting `{name}` would change its meaning; left unchanged \
                     (this is a bug in `mrm fmt`, please report it with the file)"
                )?;
                failed += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if args.check {
            writeln!(out, "would reformat {name}")?;
            write!(out, "{}", unified_diff(&text, &formatted, &name))?;
        } else if let Err(e) = replace(path, &formatted) {
            writeln!(err, "error: cannot write `{name}`: {e}")?;
            failed += 1;
        } else {
            writeln!(out, "reformatted {name}")?;
        }
    }
    let verb = if args.check {
        "would be reformatted"
    } else {
        "reformatted"
    };
    let unchanged = files.len().saturating_sub(changed + failed);
    writeln!(
        err,
        "{changed} file{} {verb}, {unchanged} already formatted{}",
        if changed == 1 { "" } else { "s" },
        if failed > 0 {
            format!(", {failed} with errors")
        } else {
            String::new()
        }
    )?;
    Ok(if failed > 0 {
        EXIT_ERROR
    } else if args.check && changed > 0 {
        EXIT_GAPS
    } else {
        EXIT_OK
    })
}

/// Replaces `path` with `text`: written to a temporary file in the same directory, given the
/// original's permissions, then renamed over it.
fn replace(path: &Path, text: &str) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path.file_name().map_or_else(
        || "policy".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = dir.join(format!(".{file_name}.{}.fmt-tmp", std::process::id()));
    let result = (|| {
        std::fs::write(&tmp, text)?;
        let permissions = std::fs::metadata(path)?.permissions();
        std::fs::set_permissions(&tmp, permissions)?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Lines of context around each change.
const CONTEXT: usize = 3;
/// Beyond this many line pairs the middle of a diff is shown as one replacement.
const MAX_DIFF_CELLS: usize = 4_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Removed,
    Added,
}

/// A unified diff (`---`/`+++`, `@@` hunks with three lines of context) from `old` to `new`.
pub fn unified_diff(old: &str, new: &str, name: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = diff_lines(&a, &b);
    // Positions (in `a` and `b`) before each op.
    let mut pos = Vec::with_capacity(ops.len() + 1);
    let (mut i, mut j) = (0, 0);
    for op in &ops {
        pos.push((i, j));
        match op {
            Op::Same => {
                i += 1;
                j += 1;
            }
            Op::Removed => i += 1,
            Op::Added => j += 1,
        }
    }
    pos.push((i, j));
    let mut out = format!("--- {name}\n+++ {name} (formatted)\n");
    let changes: Vec<usize> = (0..ops.len())
        .filter(|&k| ops.get(k) != Some(&Op::Same))
        .collect();
    let mut k = 0;
    while let Some(&first) = changes.get(k) {
        // Extend the hunk while the next change is within twice the context.
        let mut last = first;
        k += 1;
        while let Some(&next) = changes.get(k) {
            if next > last + 2 * CONTEXT {
                break;
            }
            last = next;
            k += 1;
        }
        let from = first.saturating_sub(CONTEXT);
        let to = (last + 1 + CONTEXT).min(ops.len());
        let (a0, b0) = pos.get(from).copied().unwrap_or((0, 0));
        let (a1, b1) = pos.get(to).copied().unwrap_or((a.len(), b.len()));
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            a0 + usize::from(a1 > a0),
            a1 - a0,
            b0 + usize::from(b1 > b0),
            b1 - b0
        ));
        for idx in from..to {
            let (ai, bj) = pos.get(idx).copied().unwrap_or((0, 0));
            let (sign, line) = match ops.get(idx) {
                Some(Op::Same) => (' ', a.get(ai)),
                Some(Op::Removed) => ('-', a.get(ai)),
                Some(Op::Added) => ('+', b.get(bj)),
                None => continue,
            };
            out.push(sign);
            out.push_str(line.copied().unwrap_or(""));
            out.push('\n');
        }
    }
    out
}

/// A shortest edit script between two line lists: common prefix and suffix, then a longest
/// common subsequence over the middle (or, when that would be too large, the whole middle
/// replaced).
fn diff_lines(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(a.len().min(b.len()) - prefix)
        .take_while(|(x, y)| x == y)
        .count();
    let am = a.get(prefix..a.len() - suffix).unwrap_or_default();
    let bm = b.get(prefix..b.len() - suffix).unwrap_or_default();
    let mut ops = vec![Op::Same; prefix];
    let (n, m) = (am.len(), bm.len());
    if n.saturating_mul(m) > MAX_DIFF_CELLS {
        ops.extend(std::iter::repeat_n(Op::Removed, n));
        ops.extend(std::iter::repeat_n(Op::Added, m));
    } else {
        // lcs[i][j]: length of the LCS of am[i..] and bm[j..], stored row by row.
        let width = m + 1;
        let mut lcs = vec![0u32; (n + 1) * width];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                let v = if am.get(i) == bm.get(j) {
                    lcs.get((i + 1) * width + j + 1).copied().unwrap_or(0) + 1
                } else {
                    let down = lcs.get((i + 1) * width + j).copied().unwrap_or(0);
                    let right = lcs.get(i * width + j + 1).copied().unwrap_or(0);
                    down.max(right)
                };
                if let Some(cell) = lcs.get_mut(i * width + j) {
                    *cell = v;
                }
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && am.get(i) == bm.get(j) {
                ops.push(Op::Same);
                i += 1;
                j += 1;
            } else if i < n
                && (j == m
                    || lcs.get((i + 1) * width + j).copied().unwrap_or(0)
                        >= lcs.get(i * width + j + 1).copied().unwrap_or(0))
            {
                ops.push(Op::Removed);
                i += 1;
            } else {
                ops.push(Op::Added);
                j += 1;
            }
        }
    }
    ops.extend(std::iter::repeat_n(Op::Same, suffix));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\n";
        let diff = unified_diff(old, new, "x.mrm");
        assert_eq!(
            diff,
            "--- x.mrm\n+++ x.mrm (formatted)\n@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n"
        );
        assert_eq!(
            unified_diff("a\n", "a\n", "x"),
            "--- x\n+++ x (formatted)\n"
        );
        let added = unified_diff("", "x\n", "y");
        assert!(added.ends_with("@@ -0,0 +1,1 @@\n+x\n"), "{added}");
    }
}
