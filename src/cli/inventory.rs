//! `mrm inventory [REPO]`: the model inventory (SR 11-7 VI, SR 26-2): every model with its owner,
//! validator, tier, lifecycle status, last validation and open gaps. Text, JSON or CSV.

use std::io::{self, Write};

use serde::Serialize;

use super::{EXIT_ERROR, EXIT_OK, InventoryArgs, InventoryFormat, write_output};
use crate::eval::{RunReport, Status};

/// One inventory row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub validator: String,
    pub tier: String,
    pub lifecycle: String,
    pub vendor: String,
    pub last_validation: String,
    pub open_gaps: usize,
    pub blocking: usize,
    pub kri: String,
    pub file: String,
}

/// The inventory rows of a report, in model order.
pub fn rows(report: &RunReport) -> Vec<Row> {
    report
        .models
        .iter()
        .map(|m| Row {
            id: m.id.clone(),
            name: m.name.clone(),
            owner: m.owner.clone().unwrap_or_default(),
            validator: m.validator.clone().unwrap_or_default(),
            tier: m.tier.as_ref().map(|t| t.tier.clone()).unwrap_or_default(),
            lifecycle: m.lifecycle.clone().unwrap_or_default(),
            vendor: m.vendor.clone().unwrap_or_default(),
            last_validation: m.last_validation.clone().unwrap_or_default(),
            open_gaps: m
                .controls
                .iter()
                .filter(|c| c.status.is_gap() || c.status == Status::Upcoming)
                .count(),
            blocking: m.blocking,
            kri: m.kri_level().as_str().to_string(),
            file: m.file.clone(),
        })
        .collect()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Renders rows as CSV (RFC 4180 quoting).
pub fn csv(rows: &[Row]) -> String {
    let mut s = String::from(
        "id,name,owner,validator,tier,lifecycle,vendor,last_validation,open_gaps,blocking,kri,file\n",
    );
    for r in rows {
        let fields = [
            r.id.as_str(),
            &r.name,
            &r.owner,
            &r.validator,
            &r.tier,
            &r.lifecycle,
            &r.vendor,
            &r.last_validation,
            &r.open_gaps.to_string(),
            &r.blocking.to_string(),
            &r.kri,
            &r.file,
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        s.push_str(&line.join(","));
        s.push('\n');
    }
    s
}

pub fn run(args: &InventoryArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let Some(run) = args.common.evaluate(false, err)? else {
        return Ok(EXIT_ERROR);
    };
    let rows = rows(&run.report);
    let bytes = match args.format {
        InventoryFormat::Csv => csv(&rows).into_bytes(),
        InventoryFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&rows).map_err(io::Error::other)?;
            v.push(b'\n');
            v
        }
        InventoryFormat::Text => {
            let mut s = String::new();
            let header = [
                "model",
                "tier",
                "lifecycle",
                "owner",
                "validator",
                "validated",
                "gaps",
                "KRI",
            ];
            let table: Vec<[String; 8]> = rows
                .iter()
                .map(|r| {
                    [
                        r.id.clone(),
                        r.tier.clone(),
                        r.lifecycle.clone(),
                        r.owner.clone(),
                        r.validator.clone(),
                        r.last_validation.clone(),
                        format!(
                            "{}{}",
                            r.open_gaps,
                            if r.blocking > 0 {
                                format!(" ({} blocking)", r.blocking)
                            } else {
                                String::new()
                            }
                        ),
                        r.kri.clone(),
                    ]
                })
                .collect();
            let mut widths = header.map(str::len);
            for row in &table {
                for (w, cell) in widths.iter_mut().zip(row.iter()) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            let line = |cells: &[String]| -> String {
                cells
                    .iter()
                    .zip(widths.iter())
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            s.push_str(&line(&header.map(str::to_string)));
            s.push('\n');
            for row in &table {
                s.push_str(&line(row));
                s.push('\n');
            }
            s.push_str(&format!(
                "{} models as of {}\n",
                rows.len(),
                run.report.as_of
            ));
            s.into_bytes()
        }
    };
    write_output(args.output.as_deref(), &bytes, out)?;
    Ok(EXIT_OK)
}
