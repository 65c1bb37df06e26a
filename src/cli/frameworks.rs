//! `mrm frameworks`: the catalogs, and how the policies cover them.
//!
//! - `mrm frameworks` lists the frameworks;
//! - `mrm frameworks show ID [CLAUSE]` prints a framework's clause tree, or one clause with the
//!   controls that map to it;
//! - `mrm frameworks coverage` shows, per framework, which coverage-target clauses are mapped by at
//!   least one control, which are declared out of scope (with the reason), and which are neither;
//! - `mrm frameworks crosswalk A B` shows how two frameworks meet through shared controls and
//!   through the published crosswalks.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use super::{DiagFormat, EXIT_ERROR, EXIT_GAPS, EXIT_OK, FrameworksArgs, FrameworksCommand};
use crate::diagnostic::{did_you_mean, render};
use crate::framework::{Catalogs, Framework};
use crate::library::{self, PolicySource};

pub use crate::coverage::{Coverage, FirmLevel, coverage};

pub fn run(args: &FrameworksArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let (catalogs, cat_diags) = Catalogs::embedded();
    let sources: Vec<PolicySource> = if args.policy.is_empty() {
        vec![PolicySource::Embedded]
    } else {
        args.policy
            .iter()
            .cloned()
            .map(PolicySource::Path)
            .collect()
    };
    let mut set = library::load(&sources, catalogs);
    set.diagnostics.extend(cat_diags);
    if set.has_errors() {
        write!(
            err,
            "{}",
            render::text_all(&set.all_diagnostics(), &set.sources, false)
        )?;
        return Ok(EXIT_ERROR);
    }
    let catalogs = &set.catalogs;
    let program = &set.checked.program;
    let find = |id: &str, err: &mut dyn Write| -> io::Result<Option<&Framework>> {
        match catalogs.get(id) {
            Some(f) => Ok(Some(f)),
            None => {
                write!(err, "error: unknown framework `{id}`")?;
                match did_you_mean(id, catalogs.ids()) {
                    Some(h) => writeln!(err, "\nhelp: {h}")?,
                    None => writeln!(
                        err,
                        "\nhelp: known frameworks: {}",
                        catalogs.ids().collect::<Vec<_>>().join(", ")
                    )?,
                }
                Ok(None)
            }
        }
    };
    match &args.command {
        None | Some(FrameworksCommand::List) => {
            writeln!(
                out,
                "{:<12} {:<20} {:<11} {:>8} {:>8}  effective",
                "id", "name", "status", "clauses", "targets"
            )?;
            for fw in catalogs.frameworks.values() {
                writeln!(
                    out,
                    "{:<12} {:<20} {:<11} {:>8} {:>8}  {}{}",
                    fw.meta.id,
                    fw.meta.name,
                    fw.meta.status,
                    fw.clauses.len(),
                    fw.clauses.iter().filter(|c| c.coverage_target).count(),
                    fw.meta.effective,
                    fw.meta
                        .superseded_by
                        .as_ref()
                        .map(|s| format!(
                            " (superseded by {s}{}; compare: mrm frameworks crosswalk {} {s})",
                            fw.meta
                                .superseded_on
                                .map(|d| format!(" on {d}"))
                                .unwrap_or_default(),
                            fw.meta.id
                        ))
                        .unwrap_or_default()
                )?;
            }
            Ok(EXIT_OK)
        }
        Some(FrameworksCommand::Show { id, clause }) => {
            let Some(fw) = find(id, err)? else {
                return Ok(EXIT_ERROR);
            };
            match clause {
                None => {
                    writeln!(out, "{} — {}", fw.meta.name, fw.meta.title)?;
                    writeln!(
                        out,
                        "version: {}\nsource: {}\nstatus: {}{}\n",
                        fw.meta.version,
                        fw.meta.source,
                        fw.meta.status,
                        match (&fw.meta.superseded_by, fw.meta.superseded_on) {
                            (Some(by), Some(on)) => format!(
                                " (by {by} on {on}; compare: mrm frameworks crosswalk {} {by})",
                                fw.meta.id
                            ),
                            _ => String::new(),
                        }
                    )?;
                    writeln!(
                        out,
                        "(* marks clauses a complete policy library must cover)\n"
                    )?;
                    print_tree(fw, None, 0, out)?;
                    Ok(EXIT_OK)
                }
                Some(cid) => {
                    let Some(c) = fw.clause(cid) else {
                        write!(err, "error: `{cid}` is not a clause of `{id}`")?;
                        if let Some(h) = did_you_mean(cid, fw.clause_ids()) {
                            write!(err, "\nhelp: {h}")?;
                        }
                        writeln!(err)?;
                        return Ok(EXIT_ERROR);
                    };
                    writeln!(out, "{} {} — {}", fw.meta.name, c.id, c.title)?;
                    writeln!(out, "kind: {} ({})", c.kind, c.title_kind)?;
                    if let Some(p) = &c.parent {
                        writeln!(out, "parent: {p}")?;
                    }
                    writeln!(out, "applies from: {}", fw.applies_from(&c.id))?;
                    writeln!(out, "verified: {} ({})", c.verified, c.basis)?;
                    if let Some(n) = &c.notes {
                        writeln!(out, "notes: {n}")?;
                    }
                    let controls: Vec<String> = program
                        .controls
                        .iter()
                        .filter(|ctl| {
                            ctl.ast.maps.iter().any(|m| {
                                m.framework.node == fw.meta.id
                                    && (m.clause.node == c.id
                                        || fw
                                            .ancestors(&m.clause.node)
                                            .iter()
                                            .any(|a| a.id == c.id))
                            })
                        })
                        .map(|ctl| format!("{} {}", ctl.id(), ctl.ast.title.node))
                        .collect();
                    writeln!(
                        out,
                        "controls mapping to it: {}",
                        if controls.is_empty() {
                            "none".to_string()
                        } else {
                            String::new()
                        }
                    )?;
                    for c in controls {
                        writeln!(out, "  {c}")?;
                    }
                    Ok(EXIT_OK)
                }
            }
        }
        Some(FrameworksCommand::Coverage {
            framework,
            format,
            strict,
        }) => {
            let mut cov = coverage(catalogs, program);
            if let Some(f) = framework {
                if find(f, err)?.is_none() {
                    return Ok(EXIT_ERROR);
                }
                cov.retain(|c| &c.framework == f);
            }
            match format {
                DiagFormat::Json => {
                    serde_json::to_writer_pretty(&mut *out, &cov).map_err(io::Error::other)?;
                    writeln!(out)?;
                }
                DiagFormat::Text => {
                    writeln!(
                        out,
                        "coverage targets (a target counts when a control maps it or a sub-clause):"
                    )?;
                    writeln!(
                        out,
                        "{:<12} {:>8} {:>8} {:>11} {:>13} {:>8}",
                        "framework", "targets", "mapped", "firm level", "out of scope", "neither"
                    )?;
                    for c in &cov {
                        writeln!(
                            out,
                            "{:<12} {:>8} {:>8} {:>11} {:>13} {:>8}",
                            c.framework,
                            c.targets,
                            c.mapped.len(),
                            c.firm_level.len(),
                            c.out_of_scope.len(),
                            c.neither.len()
                        )?;
                    }
                    writeln!(
                        out,
                        "\nparagraphs and points under the targets (a leaf counts only when a control maps it):"
                    )?;
                    writeln!(
                        out,
                        "{:<12} {:>8} {:>8} {:>11} {:>13} {:>8} {:>9}  not the firm's",
                        "framework",
                        "leaves",
                        "mapped",
                        "firm level",
                        "out of scope",
                        "neither",
                        "mapped %"
                    )?;
                    for c in &cov {
                        let l = &c.leaves;
                        writeln!(
                            out,
                            "{:<12} {:>8} {:>8} {:>11} {:>13} {:>8} {:>8.1}%  {}",
                            c.framework,
                            l.total,
                            l.mapped.len(),
                            l.firm_level.len(),
                            l.out_of_scope.len(),
                            l.neither.len(),
                            l.mapped_share() * 100.0,
                            l.not_firm_duties.len()
                        )?;
                    }
                    for c in &cov {
                        if !c.firm_level.is_empty() {
                            writeln!(out, "\n{} — evidenced at firm level:", c.framework)?;
                            for (k, f) in &c.firm_level {
                                writeln!(out, "  {k} (owner: {}): {}", f.owner, f.reason)?;
                            }
                        }
                        if !c.out_of_scope.is_empty() {
                            writeln!(out, "\n{} — declared out of scope:", c.framework)?;
                            for (k, r) in &c.out_of_scope {
                                writeln!(out, "  {k}: {r}")?;
                            }
                        }
                        if !c.neither.is_empty() {
                            writeln!(out, "\n{} — neither mapped nor out of scope:", c.framework)?;
                            for k in &c.neither {
                                let title = catalogs
                                    .get(&c.framework)
                                    .and_then(|f| f.clause(k))
                                    .map(|x| x.title.as_str())
                                    .unwrap_or("");
                                writeln!(out, "  {k}  {title}")?;
                            }
                        }
                        if !c.leaves.neither.is_empty() {
                            writeln!(
                                out,
                                "\n{} — paragraphs and points no control maps ({}):",
                                c.framework,
                                c.leaves.neither.len()
                            )?;
                            for chunk in c.leaves.neither.chunks(8) {
                                writeln!(out, "  {}", chunk.join(", "))?;
                            }
                        }
                    }
                }
            }
            let gaps = cov.iter().any(|c| !c.neither.is_empty());
            Ok(if *strict && gaps { EXIT_GAPS } else { EXIT_OK })
        }
        Some(FrameworksCommand::Crosswalk { from, to }) => {
            let (Some(a), Some(b)) = (find(from, err)?, find(to, err)?) else {
                return Ok(EXIT_ERROR);
            };
            writeln!(
                out,
                "{} ↔ {} through shared controls:",
                a.meta.name, b.meta.name
            )?;
            let mut pairs: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
            for c in &program.controls {
                let xs: Vec<&str> = c
                    .ast
                    .maps
                    .iter()
                    .filter(|m| m.framework.node == a.meta.id)
                    .map(|m| m.clause.node.as_str())
                    .collect();
                let ys: Vec<&str> = c
                    .ast
                    .maps
                    .iter()
                    .filter(|m| m.framework.node == b.meta.id)
                    .map(|m| m.clause.node.as_str())
                    .collect();
                for x in &xs {
                    for y in &ys {
                        pairs
                            .entry(((*x).to_string(), (*y).to_string()))
                            .or_default()
                            .insert(c.id().to_string());
                    }
                }
            }
            if pairs.is_empty() {
                writeln!(out, "  (no control maps to both)")?;
            }
            for ((x, y), ctrls) in &pairs {
                writeln!(
                    out,
                    "  {x:<16} ↔ {y:<16} via {}",
                    ctrls.iter().cloned().collect::<Vec<_>>().join(", ")
                )?;
            }
            let published: Vec<_> = catalogs
                .crosswalks
                .iter()
                .filter(|cw| {
                    (cw.from_framework == a.meta.id && cw.to_framework == b.meta.id)
                        || (cw.from_framework == b.meta.id && cw.to_framework == a.meta.id)
                })
                .collect();
            for cw in published {
                writeln!(out, "\npublished crosswalk: {} ({})", cw.title, cw.provider)?;
                for m in catalogs.mappings.iter().filter(|m| m.crosswalk == cw.id) {
                    writeln!(
                        out,
                        "  {:<16} → {}{}",
                        m.from,
                        if m.to.is_empty() {
                            "(no counterpart)".to_string()
                        } else {
                            m.to.join(", ")
                        },
                        m.relation
                            .as_ref()
                            .map(|r| format!("  [{r}]"))
                            .unwrap_or_default()
                    )?;
                }
            }
            Ok(EXIT_OK)
        }
    }
}

fn print_tree(
    fw: &Framework,
    parent: Option<&str>,
    depth: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    if depth > 16 {
        return Ok(());
    }
    for c in fw.children(parent) {
        writeln!(
            out,
            "{}{}{}  {}",
            "  ".repeat(depth),
            if c.coverage_target { "* " } else { "" },
            c.id,
            c.title
        )?;
        print_tree(fw, Some(&c.id), depth + 1, out)?;
    }
    Ok(())
}
