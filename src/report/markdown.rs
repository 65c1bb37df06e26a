//! The Markdown report: the dashboard's content (verdict, alerts, heat map, models with why and how
//! to fix, waivers) for pull-request comments and wikis, rendered from `templates/dashboard.md`.
//! User text is escaped for tables (`|`) and cannot open raw HTML (`<`).

use std::io::{self, Write};

use super::dashboard;
use crate::eval::RunReport;

pub fn render(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
    let md = dashboard::render("dashboard.md", report)?;
    out.write_all(md.as_bytes())
}
