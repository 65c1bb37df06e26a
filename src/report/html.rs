//! The HTML dashboard: one self-contained page (inline CSS, a few lines of optional inline script
//! for filtering, no external assets) for a model risk committee, rendered from
//! `templates/dashboard.html` with auto-escaping and strict undefined behaviour. The only date on
//! the page is the evaluation date, so the same run gives the same bytes.

use std::io::{self, Write};

use super::dashboard;
use crate::eval::RunReport;

pub fn render(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
    let html = dashboard::render("dashboard.html", report)?;
    out.write_all(html.as_bytes())
}
