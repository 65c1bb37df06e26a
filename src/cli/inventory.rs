//! `mrm inventory [REPO]`: the model inventory (SR 11-7 VI, SR 26-2): every model with its owner,
//! validator, tier, lifecycle status, last validation and open gaps. Text, JSON or CSV.

use std::io::{self, Write};

use super::{EXIT_ERROR, EXIT_OK, InventoryArgs, InventoryFormat, write_output};
use crate::report::inventory::{csv, rows};

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
                    // Cells quote metadata: made inert for the terminal.
                    .map(|c| crate::inert::line(&c).into_owned())
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
