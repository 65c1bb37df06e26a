//! The terminal summary: per model its tier, KRIs and open controls with why and how to fix.

use std::io::{self, Write};

use super::Context;
use crate::diagnostic::render as diag;
use crate::eval::{ControlOutcome, KriLevel, ModelOutcome, RunReport, Status, WaiverState};
// Repository text (ids, names, paths, values, waivers) is made inert before it is printed: it
// cannot move the cursor, recolour, hide or forge a line.
use crate::inert::line as inert;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn status(&self, s: Status) -> String {
        let code = match s {
            Status::Pass => "32",
            Status::Fail | Status::Error => "31",
            Status::Blocked => "35",
            Status::Waived | Status::Upcoming => "33",
            Status::NotApplicable => "2",
        };
        self.paint(code, s.as_str())
    }
    fn kri(&self, l: KriLevel) -> String {
        let code = match l {
            KriLevel::Green => "32",
            KriLevel::Yellow => "33",
            KriLevel::Red => "31",
            KriLevel::Unknown => "2",
        };
        self.paint(code, l.as_str())
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub fn render(report: &RunReport, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
    let st = Style { on: cx.color };
    writeln!(
        out,
        "{} {} as of {} with policy {} {} ({})",
        st.bold("mrm check"),
        inert(&report.repository),
        report.as_of,
        report.policy.name,
        report.policy.version,
        plural(report.policy.controls, "control")
    )?;
    let superseded: Vec<&str> = report
        .frameworks
        .iter()
        .filter(|f| f.superseded.is_some())
        .map(|f| f.id.as_str())
        .collect();
    for f in &report.frameworks {
        if let Some(s) = &f.superseded {
            writeln!(
                out,
                "{} {} is {}",
                st.paint("33", "note:"),
                f.name,
                s.note()
            )?;
        }
    }
    for d in &report.diagnostics {
        writeln!(out)?;
        write!(out, "{}", diag::text(d, cx.sources, cx.color))?;
        writeln!(out)?;
    }
    for m in &report.models {
        if cx.quiet && m.blocking == 0 && m.diagnostics.is_empty() {
            continue;
        }
        writeln!(out)?;
        model(m, cx, &st, &superseded, out)?;
    }
    writeln!(out)?;
    summary(report, &st, out)
}

fn model(
    m: &ModelOutcome,
    cx: &Context<'_>,
    st: &Style,
    superseded: &[&str],
    out: &mut dyn Write,
) -> io::Result<()> {
    let tier = match &m.tier {
        Some(t) => {
            let why = t.label.clone().unwrap_or_else(|| t.condition.clone());
            format!("tier {} ({why})", st.bold(&t.tier))
        }
        None => "no tier".to_string(),
    };
    let verdict = if !m.evaluated {
        st.paint("31", "not evaluated")
    } else if m.blocking > 0 {
        st.paint("31", &format!("{} blocking", m.blocking))
    } else {
        st.paint("32", "ok")
    };
    writeln!(
        out,
        "{}  {}  {tier}  {verdict}",
        st.bold(&inert(&m.id)),
        inert(&m.name)
    )?;
    let mut facts = Vec::new();
    if let Some(o) = &m.owner {
        facts.push(format!("owner {}", inert(o)));
    }
    if let Some(l) = &m.lifecycle {
        facts.push(inert(l).into_owned());
    }
    if let Some(v) = &m.vendor {
        facts.push(format!("vendor {}", inert(v)));
    }
    facts.push(inert(&m.file).into_owned());
    writeln!(out, "  {}", st.dim(&facts.join(" · ")))?;
    for d in &m.diagnostics {
        for line in diag::text(d, cx.sources, cx.color).lines() {
            writeln!(out, "  {line}")?;
        }
    }
    let kris: Vec<String> = m
        .kris
        .iter()
        .filter(|k| k.level != KriLevel::Unknown)
        .map(|k| {
            let value = k.value.to_string();
            format!("{} {} ({})", k.name, st.kri(k.level), inert(&value))
        })
        .collect();
    if !kris.is_empty() {
        writeln!(out, "  KRIs: {}", kris.join(" · "))?;
    }
    let mut open: Vec<&ControlOutcome> = m.open().collect();
    open.sort_by(|a, b| (!a.blocking, a.severity, &a.id).cmp(&(!b.blocking, b.severity, &b.id)));
    for c in open {
        if cx.quiet && !c.blocking {
            continue;
        }
        control(c, st, superseded, out)?;
    }
    let passed = m.counts.get(&Status::Pass).copied().unwrap_or(0);
    writeln!(
        out,
        "  {}",
        st.dim(&format!(
            "{} passed, {} not applicable",
            passed,
            m.counts.get(&Status::NotApplicable).copied().unwrap_or(0)
        ))
    )
}

fn control(
    c: &ControlOutcome,
    st: &Style,
    superseded: &[&str],
    out: &mut dyn Write,
) -> io::Result<()> {
    let marker = if c.blocking {
        st.paint("31", "✗")
    } else {
        st.paint("33", "!")
    };
    writeln!(
        out,
        "  {marker} {} [{}] {} — {}{}",
        st.bold(&c.id),
        c.severity.as_str(),
        c.title,
        st.status(c.status),
        if c.blocking { ", blocking" } else { "" }
    )?;
    for f in &c.findings {
        if let Some(msg) = &f.message {
            writeln!(out, "      {}", inert(msg))?;
        }
        for w in &f.witnesses {
            let text = inert(&w.text);
            match &w.location {
                Some(l) if l.line > 0 => {
                    let at = format!("at {}", inert(&l.to_string()));
                    writeln!(out, "        {text} {}", st.dim(&at))?
                }
                _ => writeln!(out, "        {text}")?,
            }
        }
    }
    if !c.blocked_by.is_empty() {
        writeln!(out, "      blocked by {}", c.blocked_by.join(" ← "))?;
    }
    if let Some(e) = &c.error {
        writeln!(out, "      error: {}", inert(e))?;
    }
    if let Some(w) = &c.waiver {
        writeln!(
            out,
            "      waived by {} ({}) until {}: {}",
            inert(&w.approver),
            inert(&w.ticket),
            w.expires,
            inert(&w.justification)
        )?;
    }
    for n in &c.notes {
        writeln!(out, "      note: {}", inert(n))?;
    }
    if c.status == Status::Upcoming {
        match &c.reason {
            Some(r) => writeln!(out, "      not yet in force for this model: {r}")?,
            None => writeln!(out, "      not yet in force at this date")?,
        }
    }
    if !c.maps.is_empty() {
        let maps: Vec<String> = c
            .maps
            .iter()
            .map(|m| {
                if superseded.contains(&m.framework.as_str()) {
                    format!("{} {} (superseded)", m.framework, m.clause)
                } else {
                    format!("{} {}", m.framework, m.clause)
                }
            })
            .collect();
        writeln!(
            out,
            "      {}",
            st.dim(&format!("maps {}", maps.join(" · ")))
        )?;
    }
    if let Some(r) = c.remediation()
        && matches!(c.status, Status::Fail | Status::Upcoming | Status::Error)
    {
        writeln!(out, "      fix: {r}")?;
    }
    Ok(())
}

fn summary(report: &RunReport, st: &Style, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let tiers: Vec<String> = s.by_tier.iter().map(|(t, n)| format!("{t} {n}")).collect();
    writeln!(out, "{} ({})", plural(s.models, "model"), tiers.join(", "))?;
    let statuses: Vec<String> = s
        .by_status
        .iter()
        .filter(|(k, _)| **k != Status::NotApplicable)
        .map(|(k, n)| format!("{} {n}", k.as_str()))
        .collect();
    writeln!(out, "controls: {}", statuses.join(", "))?;
    let kris: Vec<String> = s.kris.iter().map(|(k, n)| format!("{k} {n}")).collect();
    if !kris.is_empty() {
        writeln!(out, "KRIs (worst per model): {}", kris.join(", "))?;
    }
    let waivers = &report.waivers;
    if !waivers.is_empty() {
        let count = |state: WaiverState| waivers.iter().filter(|w| w.state == state).count();
        writeln!(
            out,
            "waivers: {} applied, {} expired, {} self-approved (rejected), {} unused, {} unknown",
            count(WaiverState::Applied),
            count(WaiverState::Expired),
            count(WaiverState::SelfApproved),
            count(WaiverState::Unused),
            count(WaiverState::UnknownTarget)
        )?;
    }
    let fail_on: Vec<&str> = s.fail_on.iter().map(|x| x.as_str()).collect();
    if s.blocking > 0 {
        writeln!(
            out,
            "{}",
            st.paint(
                "31;1",
                &format!(
                    "{} in {} (failing on {})",
                    plural(s.blocking, "blocking gap"),
                    plural(s.blocking_models, "model"),
                    fail_on.join(", ")
                )
            )
        )
    } else {
        writeln!(
            out,
            "{}",
            st.paint(
                "32;1",
                &format!("no blocking gaps (failing on {})", fail_on.join(", "))
            )
        )
    }
}
