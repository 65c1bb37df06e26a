//! Views of a [`GapReport`]: terminal text, JSON, Markdown and CSV.
//!
//! Text and Markdown show, per framework, the roll-up by article (or equivalent) and tier, the
//! clauses with a gap and the models and controls behind each, and the policy's uncovered
//! coverage targets. CSV is one flat table: one row per framework, clause and model (plus one row
//! per uncovered clause, with an empty model), for spreadsheets and packs.

use std::io::{self, Write};

use super::Context;
use crate::gaps::{ClauseCounts, ClauseGap, ClauseStatus, FrameworkGaps, GapReport};

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn count(c: &ClauseCounts, s: ClauseStatus) -> usize {
    c.get(&s).copied().unwrap_or(0)
}

fn counts_line(c: &ClauseCounts) -> String {
    let parts: Vec<String> = ClauseStatus::ALL
        .iter()
        .filter(|s| count(c, **s) > 0)
        .map(|s| format!("{} {}", s.as_str(), count(c, *s)))
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

fn paint(on: bool, code: &str, s: &str) -> String {
    if on {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn status_color(s: ClauseStatus) -> &'static str {
    match s {
        ClauseStatus::Gap | ClauseStatus::NotCovered => "31",
        ClauseStatus::Waived | ClauseStatus::Partial | ClauseStatus::Upcoming => "33",
        ClauseStatus::Met => "32",
        ClauseStatus::NotApplicable => "2",
    }
}

/// Tiers in the order they appear across the framework's roll-ups.
fn tiers(f: &FrameworkGaps) -> Vec<String> {
    f.by_tier.keys().cloned().collect()
}

fn gap_models(c: &ClauseGap) -> Vec<String> {
    c.models
        .iter()
        .filter(|m| m.status == ClauseStatus::Gap)
        .map(|m| {
            let failing: Vec<&str> = m
                .controls
                .iter()
                .filter(|x| x.status.is_gap())
                .map(|x| x.id.as_str())
                .collect();
            format!(
                "{}{} ({})",
                m.model,
                if m.blocking { " [blocking]" } else { "" },
                failing.join(", ")
            )
        })
        .collect()
}

pub fn text(report: &GapReport, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
    let on = cx.color;
    writeln!(
        out,
        "{} {} as of {} with policy {} {}",
        paint(on, "1", "mrm gaps"),
        report.repository,
        report.as_of,
        report.policy,
        report.policy_version
    )?;
    for f in &report.frameworks {
        writeln!(out)?;
        writeln!(
            out,
            "{}{}  {} clauses: {}",
            paint(on, "1", &f.name),
            if f.superseded.is_some() {
                " (superseded)"
            } else {
                ""
            },
            f.clauses.len(),
            counts_line(&f.counts)
        )?;
        if let Some(x) = &f.superseded {
            writeln!(
                out,
                "  {} {} is {}",
                paint(on, "33", "note:"),
                f.name,
                x.note()
            )?;
        }
        let tiers = tiers(f);
        if !f.groups.is_empty() && !tiers.is_empty() {
            writeln!(out, "  models with a gap, by tier:")?;
            for g in &f.groups {
                if cx.quiet && g.status != ClauseStatus::Gap {
                    continue;
                }
                let cells: Vec<String> = tiers
                    .iter()
                    .filter_map(|t| {
                        let c = g.by_tier.get(t);
                        let gaps = c.map_or(0, |c| count(c, ClauseStatus::Gap));
                        let total: usize = c.map_or(0, |c| {
                            c.iter()
                                .filter(|(s, _)| **s != ClauseStatus::NotApplicable)
                                .map(|(_, n)| n)
                                .sum()
                        });
                        // Tiers the clause does not apply to are left out.
                        (total > 0).then(|| format!("{t} {gaps}/{total}"))
                    })
                    .collect();
                writeln!(
                    out,
                    "    {:<18} {:<14} {}",
                    g.id,
                    paint(on, status_color(g.status), g.status.as_str()),
                    cells.join("  ")
                )?;
            }
        }
        for c in &f.clauses {
            if cx.quiet && c.status != ClauseStatus::Gap {
                continue;
            }
            let controls: Vec<&str> = c.controls.iter().map(|x| x.id.as_str()).collect();
            writeln!(
                out,
                "  {} {} — {}  {}",
                paint(on, status_color(c.status), c.status.as_str()),
                paint(on, "1", &c.id),
                c.title,
                paint(on, "2", &format!("[{}]", controls.join(", ")))
            )?;
            if !c.in_force {
                writeln!(out, "      applies from {}", c.applies_from)?;
            }
            for m in gap_models(c) {
                writeln!(out, "      gap: {m}")?;
            }
        }
        if !f.not_covered.is_empty() {
            writeln!(
                out,
                "  {} of {} coverage targets not covered by any control:",
                f.not_covered.len(),
                f.coverage_targets
            )?;
            let ids: Vec<&str> = f.not_covered.iter().map(|c| c.id.as_str()).collect();
            for chunk in ids.chunks(8) {
                writeln!(out, "    {}", chunk.join(", "))?;
            }
        }
        let firm = f.out_of_scope.iter().filter(|c| c.owner.is_some()).count();
        if firm > 0 {
            writeln!(out, "  {firm} evidenced at firm level")?;
        }
        if f.out_of_scope.len() > firm {
            writeln!(
                out,
                "  {} out of scope by policy",
                f.out_of_scope.len() - firm
            )?;
        }
    }
    let s = &report.summary;
    writeln!(out)?;
    writeln!(
        out,
        "{}, {}: {}",
        plural(s.frameworks, "framework"),
        plural(s.clauses, "clause"),
        counts_line(&s.counts)
    )?;
    writeln!(
        out,
        "{} in {} of {}; {} not covered",
        plural(s.gaps, "clause gap"),
        s.models_with_gaps,
        plural(s.models, "model"),
        plural(s.not_covered, "coverage target")
    )?;
    if !report.not_evaluated.is_empty() {
        writeln!(
            out,
            "not evaluated (unreadable metadata): {}",
            report.not_evaluated.join(", ")
        )?;
    }
    if s.blocking > 0 {
        writeln!(
            out,
            "{}",
            paint(
                on,
                "31;1",
                &format!(
                    "{} in {}",
                    plural(s.blocking, "blocking clause gap"),
                    plural(s.models_with_blocking_gaps, "model")
                )
            )
        )
    } else {
        writeln!(out, "{}", paint(on, "32;1", "no blocking gaps"))
    }
}

pub fn json(report: &GapReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}

fn md(s: &str) -> String {
    s.replace('<', "&lt;")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

pub fn markdown(report: &GapReport, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(out, "# Gap analysis: {}", md(&report.repository))?;
    writeln!(out)?;
    writeln!(
        out,
        "As of **{}** · policy **{} {}** · {} · {}",
        report.as_of,
        md(&report.policy),
        md(&report.policy_version),
        plural(s.models, "model"),
        plural(s.frameworks, "framework")
    )?;
    writeln!(out)?;
    if s.blocking > 0 {
        writeln!(
            out,
            "> **{}** in {}; {} in all.",
            plural(s.blocking, "blocking clause gap"),
            plural(s.models_with_blocking_gaps, "model"),
            plural(s.gaps, "clause gap")
        )?;
    } else {
        writeln!(
            out,
            "> **No blocking gaps**; {} in all.",
            plural(s.gaps, "clause gap")
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "| framework | clauses | gap | waived | partial | upcoming | met | not applicable | coverage targets not covered |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    for f in &report.frameworks {
        writeln!(
            out,
            "| [{}](#{}){} | {} | {} | {} | {} | {} | {} | {} | {} of {} |",
            md(&f.name),
            f.id,
            if f.superseded.is_some() {
                " (superseded)"
            } else {
                ""
            },
            f.clauses.len(),
            count(&f.counts, ClauseStatus::Gap),
            count(&f.counts, ClauseStatus::Waived),
            count(&f.counts, ClauseStatus::Partial),
            count(&f.counts, ClauseStatus::Upcoming),
            count(&f.counts, ClauseStatus::Met),
            count(&f.counts, ClauseStatus::NotApplicable),
            f.not_covered.len(),
            f.coverage_targets
        )?;
    }
    for f in &report.frameworks {
        writeln!(out)?;
        writeln!(out, "## <a id=\"{}\"></a>{}", f.id, md(&f.name))?;
        writeln!(out)?;
        if let Some(x) = &f.superseded {
            writeln!(out, "> {} is {}", md(&f.name), md(&x.note()))?;
            writeln!(out)?;
        }
        let tiers = tiers(f);
        if !f.groups.is_empty() && !tiers.is_empty() {
            writeln!(
                out,
                "Models with a gap per tier (of those the clause applies to):"
            )?;
            writeln!(out)?;
            let head: Vec<String> = tiers.iter().map(|t| md(t)).collect();
            writeln!(out, "| clause | title | status | {} |", head.join(" | "))?;
            writeln!(
                out,
                "|---|---|---|{}",
                tiers.iter().map(|_| "---:|").collect::<String>()
            )?;
            for g in &f.groups {
                let cells: Vec<String> = tiers
                    .iter()
                    .map(|t| {
                        let c = g.by_tier.get(t);
                        let gaps = c.map_or(0, |c| count(c, ClauseStatus::Gap));
                        let total: usize = c.map_or(0, |c| {
                            c.iter()
                                .filter(|(s, _)| **s != ClauseStatus::NotApplicable)
                                .map(|(_, n)| n)
                                .sum()
                        });
                        if total == 0 {
                            "–".to_string()
                        } else {
                            format!("{gaps} / {total}")
                        }
                    })
                    .collect();
                writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    md(&g.id),
                    md(&g.title),
                    g.status.as_str(),
                    cells.join(" | ")
                )?;
            }
            writeln!(out)?;
        }
        if !f.clauses.is_empty() {
            writeln!(
                out,
                "| clause | status | in force | controls | models with a gap |"
            )?;
            writeln!(out, "|---|---|---|---|---|")?;
            for c in &f.clauses {
                let controls: Vec<String> = c
                    .controls
                    .iter()
                    .map(|x| format!("`{}`", md(&x.id)))
                    .collect();
                writeln!(
                    out,
                    "| **{}** {} | {} | {} | {} | {} |",
                    md(&c.id),
                    md(&c.title),
                    if c.blocking > 0 {
                        format!("**{}** ({} blocking)", c.status.as_str(), c.blocking)
                    } else {
                        c.status.as_str().to_string()
                    },
                    if c.in_force {
                        "yes".to_string()
                    } else {
                        format!("from {}", c.applies_from)
                    },
                    controls.join(", "),
                    md(&gap_models(c).join("; "))
                )?;
            }
            writeln!(out)?;
        }
        if !f.not_covered.is_empty() {
            let ids: Vec<String> = f
                .not_covered
                .iter()
                .map(|c| format!("`{}`", md(&c.id)))
                .collect();
            writeln!(
                out,
                "**Not covered by the policy** ({} of {} coverage targets): {}",
                f.not_covered.len(),
                f.coverage_targets,
                ids.join(", ")
            )?;
            writeln!(out)?;
        }
        if f.out_of_scope.iter().any(|c| c.owner.is_some()) {
            writeln!(out, "Evidenced at firm level:")?;
            writeln!(out)?;
            for c in f.out_of_scope.iter().filter(|c| c.owner.is_some()) {
                writeln!(
                    out,
                    "- `{}` {} (owner: {}): {}",
                    md(&c.id),
                    md(&c.title),
                    md(c.owner.as_deref().unwrap_or_default()),
                    md(&c.reason)
                )?;
            }
            writeln!(out)?;
        }
        if f.out_of_scope.iter().any(|c| c.owner.is_none()) {
            writeln!(out, "Out of scope by policy:")?;
            writeln!(out)?;
            for c in f.out_of_scope.iter().filter(|c| c.owner.is_none()) {
                writeln!(out, "- `{}` {}: {}", md(&c.id), md(&c.title), md(&c.reason))?;
            }
            writeln!(out)?;
        }
    }
    if !report.not_evaluated.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Not evaluated (unreadable metadata): {}",
            report
                .not_evaluated
                .iter()
                .map(|m| format!("`{}`", md(m)))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    Ok(())
}

/// One row per framework clause and model it applies to (and per clause the policy does not
/// cover); `controls` lists the controls behind the clause that did not pass for the model.
pub fn csv(report: &GapReport, out: &mut dyn Write) -> io::Result<()> {
    let mut w = super::Csv::to(out);
    w.write_record([
        "framework",
        "clause",
        "group",
        "title",
        "in_force",
        "model",
        "tier",
        "status",
        "blocking",
        "controls",
    ])?;
    let tiers: std::collections::BTreeMap<&str, &str> = report
        .models
        .iter()
        .map(|m| (m.id.as_str(), m.tier.as_deref().unwrap_or("")))
        .collect();
    let mut controls = String::new();
    for f in &report.frameworks {
        for c in &f.clauses {
            let in_force = if c.in_force { "true" } else { "false" };
            for m in &c.models {
                controls.clear();
                for (i, x) in m.controls.iter().enumerate() {
                    if i > 0 {
                        controls.push(' ');
                    }
                    controls.push_str(&x.id);
                    controls.push('=');
                    controls.push_str(x.status.as_str());
                }
                w.write_record([
                    f.id.as_str(),
                    &c.id,
                    &c.group,
                    &c.title,
                    in_force,
                    &m.model,
                    tiers.get(&*m.model).copied().unwrap_or(""),
                    m.status.as_str(),
                    if m.blocking { "true" } else { "false" },
                    &controls,
                ])?;
            }
        }
        for c in &f.not_covered {
            w.write_record([
                f.id.as_str(),
                &c.id,
                &c.group,
                &c.title,
                "",
                "",
                "",
                ClauseStatus::NotCovered.as_str(),
                "false",
                "",
            ])?;
        }
    }
    w.flush()
}
