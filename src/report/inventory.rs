//! The model inventory (SR 11-7 VI, SR 26-2): every model with its owner, validator, tier,
//! lifecycle status, last validation and open gaps, as rows for `mrm inventory` and packs.

use serde::Serialize;

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

/// Renders rows as CSV (RFC 4180 quoting).
pub fn csv(rows: &[Row]) -> String {
    let mut w = super::csv_writer();
    // Writing to memory cannot fail.
    let _ = w.write_record([
        "id",
        "name",
        "owner",
        "validator",
        "tier",
        "lifecycle",
        "vendor",
        "last_validation",
        "open_gaps",
        "blocking",
        "kri",
        "file",
    ]);
    for r in rows {
        let _ = w.write_record([
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
        ]);
    }
    super::csv_string(w)
}
