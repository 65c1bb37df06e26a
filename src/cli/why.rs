//! `mrm why MODEL CONTROL [REPO]`: everything about one control for one model — status, the tier
//! that made it apply, the assertion, the values that decided it, prerequisites, evidence,
//! waivers, each framework clause with whether it binds the firm for this model at this date and
//! why (role, route, date, transitional rule, lifecycle), and how to fix it.

use std::io::{self, Write};

use super::{EXIT_ERROR, EXIT_OK, WhyArgs};
use crate::diagnostic::did_you_mean;
// Repository text is made inert before it reaches the terminal.
use crate::inert::line as inert;

pub fn run(args: &WhyArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let Some(run) = args.common.evaluate(false, err)? else {
        return Ok(EXIT_ERROR);
    };
    let Some(m) = run.report.model(&args.model) else {
        write!(
            err,
            "error: no model `{}` in {}",
            args.model, run.report.repository
        )?;
        if let Some(h) = did_you_mean(&args.model, run.report.models.iter().map(|m| m.id.as_str()))
        {
            write!(err, "\nhelp: {h}")?;
        }
        writeln!(err)?;
        return Ok(EXIT_ERROR);
    };
    let program = &run.policy.checked.program;
    let (Some(c), Some(def)) = (
        run.report.outcome(m, &args.control),
        program.control(&args.control),
    ) else {
        write!(err, "error: no control `{}` in the policies", args.control)?;
        if let Some(h) = did_you_mean(&args.control, program.controls.iter().map(|c| c.id())) {
            write!(err, "\nhelp: {h}")?;
        }
        writeln!(err)?;
        return Ok(EXIT_ERROR);
    };
    writeln!(out, "{} — {}", c.id, c.title)?;
    writeln!(
        out,
        "model:    {} ({}), {}",
        inert(&m.id),
        inert(&m.name),
        inert(&m.file)
    )?;
    for d in m.model_findings() {
        let at = d.location().map(|l| format!(" at {l}")).unwrap_or_default();
        writeln!(
            out,
            "blocks:   [{}] {}",
            d.code.as_str(),
            inert(&format!("{}{at}", d.message))
        )?;
    }
    match &m.tier {
        Some(t) => writeln!(
            out,
            "tier:     {} by rule {} ({}){}",
            t.tier,
            t.rule,
            t.label.clone().unwrap_or_else(|| t.condition.clone()),
            t.error
                .as_ref()
                .map(|e| format!(" — assigned to fail safe: {e}"))
                .unwrap_or_default()
        )?,
        None => writeln!(out, "tier:     none")?,
    }
    writeln!(
        out,
        "status:   {}{}",
        c.status.as_str(),
        if c.blocking { " (blocking)" } else { "" }
    )?;
    writeln!(out, "severity: {}", c.severity.as_str())?;
    if !def.tiers.is_empty() {
        writeln!(out, "applies:  tiers {}", def.tiers.join(", "))?;
    }
    if let Some(a) = &def.ast.applies {
        writeln!(out, "          when {}", run.sources.snippet(a.span))?;
    }
    if let Some(a) = &def.ast.assert {
        writeln!(out, "assert:   {}", run.sources.snippet(a.span))?;
    }
    if let Some(r) = &c.reason {
        writeln!(out, "reason:   {}", inert(r))?;
    }
    for f in &c.findings {
        if let Some(msg) = &f.message {
            writeln!(out, "finding:  {}", inert(msg))?;
        }
        for w in &f.witnesses {
            let text = inert(&w.text);
            match &w.location {
                Some(l) if l.line > 0 => {
                    writeln!(out, "          {text} (at {})", inert(&l.to_string()))?
                }
                _ => writeln!(out, "          {text}")?,
            }
        }
    }
    if let Some(e) = &c.error {
        writeln!(out, "error:    {}", inert(e))?;
    }
    let prereqs: Vec<String> = def
        .ast
        .requires
        .iter()
        .map(|r| {
            let status = m.status_of(&r.node).as_str();
            format!("{} ({status})", r.node)
        })
        .collect();
    if !prereqs.is_empty() {
        writeln!(out, "requires: {}", prereqs.join(", "))?;
    }
    if !c.blocked_by.is_empty() {
        writeln!(
            out,
            "blocked:  by {} (root cause last)",
            c.blocked_by.join(" ← ")
        )?;
    }
    for e in &c.evidence {
        writeln!(
            out,
            "evidence: {} ({})",
            inert(&e.path),
            if e.present { "present" } else { "missing" }
        )?;
    }
    if let Some(w) = &c.waiver {
        writeln!(
            out,
            "waiver:   {} approved by {} until {}: {}",
            inert(&w.ticket),
            inert(&w.approver),
            w.expires,
            inert(&w.justification)
        )?;
    }
    // Each clause, with whether it binds the firm for this model at this date, and why.
    for mref in c.maps.iter() {
        let title = run
            .policy
            .catalogs
            .get(&mref.framework)
            .and_then(|f| f.clause(&mref.clause))
            .map(|c| c.title.clone())
            .unwrap_or_default();
        writeln!(
            out,
            "maps:     {} {} — {title}",
            mref.framework, mref.clause
        )?;
        match run.report.decision(m, &mref.framework, &mref.clause) {
            Some(d) => writeln!(out, "          {}", d.describe())?,
            None => writeln!(out, "          not in the catalogs")?,
        }
    }
    if let Some(r) = &def.ast.remediate {
        writeln!(out, "fix:      {}", r.node)?;
    }
    Ok(EXIT_OK)
}
