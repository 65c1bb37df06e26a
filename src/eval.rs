//! Evaluating models against a checked program.

pub mod builtins;

use serde::Serialize;

/// The status of one control for one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Blocked,
    Waived,
    NotApplicable,
    Error,
    Upcoming,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Pass,
        Status::Fail,
        Status::Blocked,
        Status::Waived,
        Status::NotApplicable,
        Status::Error,
        Status::Upcoming,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Blocked => "blocked",
            Status::Waived => "waived",
            Status::NotApplicable => "not-applicable",
            Status::Error => "error",
            Status::Upcoming => "upcoming",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}
