//! The terminal view of a [`MergeReport`]: new gaps in full, fixed gaps, a count of unchanged
//! ones, model changes and the policy changes that need approval. Formats only; decides nothing.

use std::io::{self, Write};

use super::{ChangeKind, Gap, InputKind, MergeReport};

fn paint(on: bool, code: &str, s: &str) -> String {
    if on {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn gap_line(g: &Gap, color: bool, out: &mut dyn Write, detail: bool) -> io::Result<()> {
    let blocking = if g.blocking { ", blocking" } else { "" };
    writeln!(
        out,
        "  {}  {}  {} [{}{blocking}]  {}",
        paint(color, "1", &g.model),
        g.control,
        g.status.as_str(),
        g.severity.as_str(),
        g.title
    )?;
    if !detail {
        return Ok(());
    }
    if let Some(m) = &g.message {
        writeln!(out, "      why: {m}")?;
    }
    let at = g
        .location
        .as_ref()
        .map_or_else(|| g.file.clone(), ToString::to_string);
    writeln!(out, "      at:  {at}")?;
    if !g.maps.is_empty() {
        writeln!(out, "      maps: {}", g.maps.join(", "))?;
    }
    if let Some(r) = &g.remediation {
        writeln!(out, "      fix: {r}")?;
    }
    Ok(())
}

/// Renders the report as text.
pub fn render(r: &MergeReport, color: bool, quiet: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} {} -> {} in {} as of {}",
        paint(color, "1", "pre-merge check"),
        r.base.spec,
        r.head.spec,
        r.repository,
        r.as_of
    )?;
    writeln!(
        out,
        "base {}, head {}; policy {} {} from the base revision",
        short(&r.base.commit),
        short(&r.head.commit),
        r.policy.name,
        r.policy.version
    )?;
    let at_head = r
        .summary
        .models
        .map_or_else(String::new, |n| format!("{n} at head; "));
    writeln!(
        out,
        "models: {at_head}{} added, {} removed, {} changed; {} evaluated at head",
        r.models.added.len(),
        r.models.removed.len(),
        r.models.changed.len(),
        r.summary.evaluated_at_head
    )?;
    if !quiet {
        for (label, ids) in [
            ("added", &r.models.added),
            ("removed", &r.models.removed),
            ("changed", &r.models.changed),
        ] {
            if !ids.is_empty() {
                writeln!(out, "  {label}: {}", ids.join(", "))?;
            }
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        paint(
            color,
            if r.summary.new_blocking > 0 {
                "31"
            } else {
                "1"
            },
            &format!("new gaps ({})", r.new_gaps.len())
        )
    )?;
    if r.new_gaps.is_empty() {
        writeln!(out, "  none")?;
    }
    for g in &r.new_gaps {
        gap_line(g, color, out, true)?;
    }
    if !quiet || !r.fixed_gaps.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            paint(color, "32", &format!("fixed gaps ({})", r.fixed_gaps.len()))
        )?;
        if r.fixed_gaps.is_empty() {
            writeln!(out, "  none")?;
        }
        for g in &r.fixed_gaps {
            gap_line(g, color, out, false)?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "unchanged gaps{}: {} ({} blocking){}",
        if r.summary.complete {
            ""
        } else {
            " in the changed models"
        },
        r.unchanged_gaps.len(),
        r.summary.unchanged_blocking,
        if r.strict {
            "; --strict: they fail the check"
        } else {
            "; they do not fail a pre-merge check (use --strict)"
        }
    )?;
    if r.strict || !quiet {
        for g in r.unchanged_gaps.iter().filter(|g| g.blocking || !quiet) {
            gap_line(g, color, out, r.strict)?;
        }
    }
    if !r.policy_changes.is_empty() {
        writeln!(out)?;
        let owners = if r.policy_owners.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.policy_owners.join(", "))
        };
        writeln!(
            out,
            "{}",
            paint(
                color,
                "33",
                &format!(
                    "policy changes: {} requiring approval by the policy owners{owners}; not applied",
                    plural(r.policy_changes.len(), "file")
                )
            )
        )?;
        for c in &r.policy_changes {
            let change = match c.change {
                ChangeKind::Added => "added",
                ChangeKind::Modified => "modified",
                ChangeKind::Deleted => "deleted",
            };
            let kind = match c.kind {
                InputKind::Policy => "policy",
                InputKind::Configuration => "configuration",
                InputKind::Waivers => "waivers",
            };
            writeln!(out, "  {change:<9} {} ({kind})", c.path)?;
        }
    }
    writeln!(out)?;
    let verdict = if r.summary.failed {
        paint(
            color,
            "31",
            &if r.strict && r.summary.new_blocking == 0 {
                format!(
                    "failed: {} (--strict)",
                    plural(r.summary.unchanged_blocking, "blocking gap")
                )
            } else {
                format!(
                    "failed: {}",
                    plural(r.summary.new_blocking, "new blocking gap")
                )
            },
        )
    } else {
        paint(color, "32", "passed: no new blocking gap")
    };
    writeln!(
        out,
        "{verdict} ({} new, {} fixed, {} unchanged)",
        r.summary.new, r.summary.fixed, r.summary.unchanged
    )
}

fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}
