//! The pack's traceability matrix (the inventory is `mrm inventory`'s CSV).
//!
//! It is rendered from a finished report in its order (models by folder, controls in
//! evaluation order), quoted as RFC 4180 asks, with `\n` line ends.

use std::collections::BTreeMap;

use crate::eval::RunReport;

/// `traceability.csv`: one row per model, control, framework clause and evidence file.
///
/// Clauses are limited to `frameworks`; a control with no clause there, or with no evidence, still
/// has a row with those columns empty, so every evaluated control appears. `sha256` is the hash of
/// the copy in the pack (empty when the file is missing or was not copied).
pub fn traceability(
    report: &RunReport,
    frameworks: &[&str],
    evidence: &BTreeMap<String, String>,
) -> String {
    let mut w = crate::report::csv_writer();
    // Writing to memory cannot fail.
    let _ = w.write_record([
        "model",
        "control",
        "severity",
        "framework",
        "clause",
        "in_force",
        "status",
        "evidence",
        "sha256",
    ]);
    for m in &report.models {
        for c in &m.controls {
            let clauses: Vec<(&str, &str, &str)> = c
                .maps
                .iter()
                .filter(|k| frameworks.contains(&k.framework.as_str()))
                .map(|k| {
                    (
                        k.framework.as_str(),
                        k.clause.as_str(),
                        if k.in_force { "true" } else { "false" },
                    )
                })
                .collect();
            let clauses = if clauses.is_empty() {
                vec![("", "", "")]
            } else {
                clauses
            };
            let files: Vec<(&str, &str)> = if c.evidence.is_empty() {
                vec![("", "")]
            } else {
                c.evidence
                    .iter()
                    .map(|e| {
                        (
                            e.path.as_str(),
                            evidence.get(&e.path).map_or("", String::as_str),
                        )
                    })
                    .collect()
            };
            for (framework, clause, in_force) in &clauses {
                for (file, hash) in &files {
                    let _ = w.write_record([
                        m.id.as_str(),
                        &c.id,
                        c.severity.as_str(),
                        framework,
                        clause,
                        in_force,
                        c.status.as_str(),
                        file,
                        hash,
                    ]);
                }
            }
        }
    }
    crate::report::csv_string(w)
}
