//! JUnit XML through `quick-junit`: one test suite per model, one test case per control that
//! applies to the model's tier. Failing, blocked and unevaluable controls are failures carrying the
//! explanation and the fix; waived and not-yet-in-force controls are skipped with the reason.
//! Cases that did not pass carry their severity and exact status as properties; passing cases are
//! bare, which keeps a 10,000-model report small.
//! A model whose metadata could not be read is one errored test case. No timestamps or durations
//! are written, so the output is deterministic.

use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use rayon::prelude::*;

use crate::eval::{ControlOutcome, ModelOutcome, RunReport, Status};

fn description(m: &ModelOutcome, c: &ControlOutcome) -> String {
    let mut lines = vec![format!("{} [{}] {}", c.id, c.severity.as_str(), c.title)];
    for f in &c.findings {
        if let Some(msg) = &f.message {
            lines.push(msg.clone());
        }
        for w in &f.witnesses {
            match &w.location {
                Some(l) if l.line > 0 => lines.push(format!("  {} at {l}", w.text)),
                _ => lines.push(format!("  {}", w.text)),
            }
        }
    }
    if !c.blocked_by.is_empty() {
        lines.push(format!("blocked by {}", c.blocked_by.join(" <- ")));
    }
    if let Some(e) = &c.error {
        lines.push(format!("error: {e}"));
    }
    lines.extend(c.notes.iter().map(|n| format!("note: {n}")));
    if let Some(l) = &c.location {
        lines.push(format!("location: {l}"));
    } else {
        lines.push(format!("location: {}", m.file));
    }
    if let Some(r) = c.remediation() {
        lines.push(format!("fix: {r}"));
    }
    if !c.maps.is_empty() {
        let maps: Vec<String> = c
            .maps
            .iter()
            .map(|r| format!("{} {}", r.framework, r.clause))
            .collect();
        lines.push(format!("maps: {}", maps.join(", ")));
    }
    lines.join("\n")
}

fn case(m: &ModelOutcome, c: &ControlOutcome) -> Option<TestCase> {
    let status = match c.status {
        Status::NotApplicable => return None,
        Status::Pass => TestCaseStatus::success(),
        Status::Fail | Status::Blocked | Status::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(c.status.as_str());
            s.set_message(format!(
                "{}{}: {}",
                c.status.as_str(),
                if c.blocking { ", blocking" } else { "" },
                super::dashboard::summary_line(c)
            ));
            s.set_description(description(m, c));
            s
        }
        Status::Waived => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(c.waiver.as_ref().map_or_else(
                || "waived".to_string(),
                |w| {
                    format!(
                        "waived by {} ({}) until {}: {}",
                        w.approver, w.ticket, w.expires, w.justification
                    )
                },
            ));
            s
        }
        Status::Upcoming => {
            let mut s = TestCaseStatus::skipped();
            s.set_message("upcoming: the mapped obligations are not yet in force");
            s
        }
    };
    let mut tc = TestCase::new(format!("{}: {}", c.id, c.title), status);
    tc.set_classname(format!("{}.{}", m.id, c.id));
    // A passing case says so by itself; the others carry their severity and exact status.
    if c.status != Status::Pass {
        tc.add_property(Property::new("severity", c.severity.as_str()));
        tc.add_property(Property::new("status", c.status.as_str()));
    }
    Some(tc)
}

/// Builds the JUnit report.
pub fn build(report: &RunReport) -> Report {
    let mut r = Report::new(format!("mrm {}", report.repository));
    // Models are independent: build their suites in parallel, then add them in model order.
    let suites: Vec<TestSuite> = report.models.par_iter().map(|m| suite(report, m)).collect();
    r.add_test_suites(suites);
    r
}

fn suite(report: &RunReport, m: &ModelOutcome) -> TestSuite {
    let mut suite = TestSuite::new(m.id.clone());
    if let Some(t) = &m.tier {
        suite.add_property(Property::new("tier", t.tier.as_str()));
    }
    suite.add_property(Property::new("file", m.file.as_str()));
    suite.add_property(Property::new("as_of", report.as_of.as_str()));
    if !m.evaluated {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_message("the model's metadata could not be read");
        let text: Vec<String> = m.diagnostics.iter().map(|d| d.message.clone()).collect();
        s.set_description(text.join("\n"));
        let mut tc = TestCase::new("metadata", s);
        tc.set_classname(format!("{}.metadata", m.id));
        suite.add_test_case(tc);
    }
    suite.add_test_cases(m.controls.iter().filter_map(|c| case(m, c)));
    suite
}

pub fn render(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
    build(report)
        .serialize(&mut *out)
        .map_err(io::Error::other)?;
    writeln!(out)
}
