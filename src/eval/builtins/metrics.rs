//! Fairness metrics computed from counts recorded in model metadata.
//!
//! Two sign conventions are offered, each under its reference library's name:
//!
//! - Fairlearn (`demographic_parity_difference`, `demographic_parity_ratio`,
//!   `equalized_odds_difference`, `equalized_odds_ratio`, `true_positive_rate_difference`) take a
//!   list of per-group records and report the spread between groups: the largest rate minus the
//!   smallest (never negative), or the smallest over the largest (at most 1).
//! - AIF360 (`statistical_parity_difference`, `disparate_impact`, `equal_opportunity_difference`,
//!   `average_odds_difference`) compare one unprivileged group with the privileged group: the
//!   unprivileged rate minus (or over) the privileged rate, so a disadvantage is negative (or
//!   below 1).
//!
//! Every function is total: an empty list, a single group, a group without members, a rate with a
//! zero denominator or a negative count is an error message, never NaN or infinity. This module
//! computes; the registry in the parent module names, checks and documents.

use std::collections::BTreeMap;

use crate::check::types::{Field, Ty};
use crate::value::Value;

/// Fields of a per-group selection record.
pub const SELECTION_FIELDS: &[&str] = &["selected", "total"];
/// Fields of a per-group confusion record.
pub const CONFUSION_FIELDS: &[&str] = &["tp", "fp", "tn", "fn"];

/// Type check for a list of records that must carry numeric `fields`.
pub fn check_group_list(arg: Option<&Ty>, fields: &[&str]) -> Result<(), String> {
    match arg {
        None | Some(Ty::Any) => Ok(()),
        Some(Ty::List(inner)) => check_record(inner, fields),
        Some(t) => Err(format!(
            "expects a list of records with {}, found {t}",
            field_list(fields)
        )),
    }
}

/// Type check for one record that must carry numeric `fields`.
pub fn check_record(t: &Ty, fields: &[&str]) -> Result<(), String> {
    match t {
        Ty::Any => Ok(()),
        Ty::Record(have) => {
            for f in fields {
                match have.get(*f) {
                    None => {
                        return Err(format!(
                            "expects records with {}; these records have no `{f}`",
                            field_list(fields)
                        ));
                    }
                    Some(Field { ty, .. }) if !ty.is(&Ty::Number) => {
                        return Err(format!("`{f}` must be a number, found {ty}"));
                    }
                    Some(_) => {}
                }
            }
            Ok(())
        }
        other => Err(format!(
            "expects records with {}, found {other}",
            field_list(fields)
        )),
    }
}

fn field_list(fields: &[&str]) -> String {
    let quoted: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    quoted.join(", ")
}

/// One group's counts, read from a record.
struct Group<'a> {
    name: String,
    record: &'a BTreeMap<String, Value>,
}

impl Group<'_> {
    fn count(&self, field: &str) -> Result<f64, String> {
        match self.record.get(field) {
            Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => Ok(*n),
            Some(Value::Number(n)) => Err(format!(
                "{}: `{field}` is {n}; counts must be non-negative numbers",
                self.name
            )),
            None | Some(Value::None) => Err(format!("{} has no `{field}`", self.name)),
            Some(v) => Err(format!(
                "{}: `{field}` must be a number, found {}",
                self.name,
                v.type_name()
            )),
        }
    }

    /// `num / den`, an error naming the group and the rate when `den` is zero.
    fn rate(&self, num: f64, den: f64, what: &str, den_text: &str) -> Result<f64, String> {
        if den <= 0.0 {
            return Err(format!(
                "{} has no {den_text}: its {what} is undefined",
                self.name
            ));
        }
        Ok(num / den)
    }

    fn selection_rate(&self) -> Result<f64, String> {
        let (s, t) = (self.count("selected")?, self.count("total")?);
        if s > t {
            return Err(format!(
                "{}: `selected` ({}) is more than `total` ({})",
                self.name,
                crate::value::format_number(s),
                crate::value::format_number(t)
            ));
        }
        self.rate(s, t, "selection rate", "members (`total` is 0)")
    }

    fn tpr(&self) -> Result<f64, String> {
        let (tp, fn_) = (self.count("tp")?, self.count("fn")?);
        self.rate(
            tp,
            tp + fn_,
            "true positive rate",
            "actual positives (`tp` + `fn` is 0)",
        )
    }

    fn fpr(&self) -> Result<f64, String> {
        let (fp, tn) = (self.count("fp")?, self.count("tn")?);
        self.rate(
            fp,
            fp + tn,
            "false positive rate",
            "actual negatives (`fp` + `tn` is 0)",
        )
    }
}

fn group(v: &Value, i: usize) -> Result<Group<'_>, String> {
    match v {
        Value::Map(record) => Ok(Group {
            name: match record.get("group") {
                Some(Value::String(s)) => format!("group `{s}`"),
                Some(other) => format!("group {other}"),
                None => format!("group {}", i + 1),
            },
            record,
        }),
        other => Err(format!(
            "expected a record for each group, found {}",
            other.type_name()
        )),
    }
}

/// The groups of a list argument: at least two, with distinct names.
fn groups(arg: Option<&Value>) -> Result<Vec<Group<'_>>, String> {
    let items = match arg {
        Some(Value::List(items)) => items,
        Some(v) => {
            return Err(format!(
                "expected a list of groups, found {}",
                v.type_name()
            ));
        }
        None => return Err("missing argument".to_string()),
    };
    if items.len() < 2 {
        return Err(format!(
            "a comparison between groups needs at least two groups, found {}",
            items.len()
        ));
    }
    let out: Vec<Group<'_>> = items
        .iter()
        .enumerate()
        .map(|(i, v)| group(v, i))
        .collect::<Result<_, _>>()?;
    // Not pairwise: a long list must cost its length, not its square.
    let mut seen = std::collections::BTreeSet::new();
    for g in &out {
        if !seen.insert(g.name.as_str()) {
            return Err(format!("{} appears more than once", g.name));
        }
    }
    Ok(out)
}

fn one<'a>(arg: Option<&'a Value>, role: &str) -> Result<Group<'a>, String> {
    match arg {
        Some(Value::Map(record)) => Ok(Group {
            name: match record.get("group") {
                Some(Value::String(s)) => format!("group `{s}`"),
                _ => format!("the {role} group"),
            },
            record,
        }),
        Some(v) => Err(format!(
            "the {role} group must be a record, found {}",
            v.type_name()
        )),
        None => Err("missing argument".to_string()),
    }
}

/// Smallest and largest of per-group rates.
fn spread(rates: &[f64]) -> (f64, f64) {
    rates
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
            (lo.min(*r), hi.max(*r))
        })
}

fn rates<'a>(
    gs: &[Group<'a>],
    rate: impl Fn(&Group<'a>) -> Result<f64, String>,
) -> Result<Vec<f64>, String> {
    gs.iter().map(rate).collect()
}

fn ratio_of(lo: f64, hi: f64, what: &str) -> Result<f64, String> {
    if hi <= 0.0 {
        return Err(format!(
            "every group has a {what} of 0: the ratio is undefined"
        ));
    }
    Ok(lo / hi)
}

/// Fairlearn `demographic_parity_difference`: largest selection rate minus smallest.
pub fn demographic_parity_difference(arg: Option<&Value>) -> Result<f64, String> {
    let (lo, hi) = spread(&rates(&groups(arg)?, Group::selection_rate)?);
    Ok(hi - lo)
}

/// Fairlearn `demographic_parity_ratio`: smallest selection rate over largest.
pub fn demographic_parity_ratio(arg: Option<&Value>) -> Result<f64, String> {
    let (lo, hi) = spread(&rates(&groups(arg)?, Group::selection_rate)?);
    ratio_of(lo, hi, "selection rate")
}

/// Fairlearn `true_positive_rate_difference` (also Fairlearn's `equal_opportunity_difference`).
pub fn true_positive_rate_difference(arg: Option<&Value>) -> Result<f64, String> {
    let (lo, hi) = spread(&rates(&groups(arg)?, Group::tpr)?);
    Ok(hi - lo)
}

/// Fairlearn `equalized_odds_difference` (`agg="worst_case"`): the larger of the true positive
/// rate spread and the false positive rate spread.
pub fn equalized_odds_difference(arg: Option<&Value>) -> Result<f64, String> {
    let gs = groups(arg)?;
    let (tlo, thi) = spread(&rates(&gs, Group::tpr)?);
    let (flo, fhi) = spread(&rates(&gs, Group::fpr)?);
    Ok((thi - tlo).max(fhi - flo))
}

/// Fairlearn `equalized_odds_ratio` (`agg="worst_case"`): the smaller of the true positive rate
/// ratio and the false positive rate ratio.
pub fn equalized_odds_ratio(arg: Option<&Value>) -> Result<f64, String> {
    let gs = groups(arg)?;
    let (tlo, thi) = spread(&rates(&gs, Group::tpr)?);
    let (flo, fhi) = spread(&rates(&gs, Group::fpr)?);
    Ok(ratio_of(tlo, thi, "true positive rate")?.min(ratio_of(flo, fhi, "false positive rate")?))
}

/// AIF360 `equal_opportunity_difference`: TPR(unprivileged) − TPR(privileged).
pub fn equal_opportunity_difference(
    unprivileged: Option<&Value>,
    privileged: Option<&Value>,
) -> Result<f64, String> {
    let (u, p) = (
        one(unprivileged, "unprivileged")?,
        one(privileged, "privileged")?,
    );
    Ok(u.tpr()? - p.tpr()?)
}

/// AIF360 `average_odds_difference`: ½ [(FPR_u − FPR_p) + (TPR_u − TPR_p)].
pub fn average_odds_difference(
    unprivileged: Option<&Value>,
    privileged: Option<&Value>,
) -> Result<f64, String> {
    let (u, p) = (
        one(unprivileged, "unprivileged")?,
        one(privileged, "privileged")?,
    );
    Ok(0.5 * ((u.fpr()? - p.fpr()?) + (u.tpr()? - p.tpr()?)))
}

/// Selection rates of the unprivileged and privileged groups from four counts.
fn selection_pair(su: f64, tu: f64, sp: f64, tp: f64) -> Result<(f64, f64), String> {
    let counts = [su, tu, sp, tp];
    if counts.iter().any(|c| !c.is_finite() || *c < 0.0) {
        return Err("counts must be non-negative numbers".to_string());
    }
    if tu <= 0.0 {
        return Err("the unprivileged group has no members (its total is 0)".to_string());
    }
    if tp <= 0.0 {
        return Err("the privileged group has no members (its total is 0)".to_string());
    }
    if su > tu || sp > tp {
        return Err("a group has more selected than members".to_string());
    }
    Ok((su / tu, sp / tp))
}

/// AIF360 `statistical_parity_difference`: selection rate(unprivileged) − selection
/// rate(privileged).
pub fn statistical_parity_difference(su: f64, tu: f64, sp: f64, tp: f64) -> Result<f64, String> {
    let (ru, rp) = selection_pair(su, tu, sp, tp)?;
    Ok(ru - rp)
}
