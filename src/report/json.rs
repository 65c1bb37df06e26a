//! The JSON result: the [`RunReport`] as it is, pretty-printed with stable key order.

use std::io::{self, Write};

use crate::eval::RunReport;

pub fn render(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}
