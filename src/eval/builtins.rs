//! The builtin function library, registered in one table.
//!
//! The checker validates calls against the same table (arity and argument types) that the
//! evaluator runs, so a call that checks cleanly cannot meet an unknown function at run time.
//! Every builtin is total: bad input gives an error value, never a panic, NaN or infinity.

use jiff::civil::Date;

use crate::check::types::Ty;
use crate::git::History;
use crate::value::Value;

/// What a builtin may see besides its arguments.
#[derive(Clone, Copy)]
pub struct CallContext<'a> {
    pub as_of: Date,
    /// The repository's commit history, when it has one (`git.*` builtins).
    pub history: Option<&'a dyn History>,
    /// The folder of the model being evaluated, repository-relative (`""` at the root).
    pub dir: &'a str,
}

pub type CheckFn = fn(&[Ty]) -> Result<Ty, String>;
pub type EvalFn = fn(&CallContext<'_>, &[Value]) -> Result<Value, String>;

/// One builtin: its name, its arity, how to type-check a call, and how to run it.
pub struct Builtin {
    pub name: &'static str,
    pub signature: &'static str,
    pub summary: &'static str,
    pub min_args: usize,
    pub max_args: usize,
    pub check: CheckFn,
    pub eval: EvalFn,
}

/// The registry.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "len",
        signature: "len(list | string) -> number",
        summary: "number of items in a list, or characters in a string",
        min_args: 1,
        max_args: 1,
        check: |args| match args.first() {
            Some(Ty::List(_) | Ty::String | Ty::Any) => Ok(Ty::Number),
            Some(t) => Err(format!("`len` takes a list or a string, not {t}")),
            None => Ok(Ty::Number),
        },
        eval: |_, args| match args.first() {
            Some(Value::List(l)) => Ok(Value::Number(l.len() as f64)),
            Some(Value::String(s)) => Ok(Value::Number(s.chars().count() as f64)),
            Some(Value::None) | None => Ok(Value::Number(0.0)),
            Some(v) => Err(format!(
                "`len` takes a list or a string, not {}",
                v.type_name()
            )),
        },
    },
    Builtin {
        name: "exists",
        signature: "exists(value) -> bool",
        summary: "true when the metadata has the value (it is not `none`)",
        min_args: 1,
        max_args: 1,
        check: |_| Ok(Ty::Bool),
        eval: |_, args| Ok(Value::Bool(args.first().is_some_and(|v| !v.is_none()))),
    },
    Builtin {
        name: "days_since",
        signature: "days_since(date) -> number",
        summary: "whole days from the date to the evaluation date (`--as-of`)",
        min_args: 1,
        max_args: 1,
        check: |args| expect(args, &[Ty::Date], Ty::Number),
        eval: |cx, args| {
            let d = date_arg(args, 0)?;
            Ok(Value::Number(days_between(d, cx.as_of) as f64))
        },
    },
    Builtin {
        name: "days_until",
        signature: "days_until(date) -> number",
        summary: "whole days from the evaluation date to the date (negative when past)",
        min_args: 1,
        max_args: 1,
        check: |args| expect(args, &[Ty::Date], Ty::Number),
        eval: |cx, args| {
            let d = date_arg(args, 0)?;
            Ok(Value::Number(days_between(cx.as_of, d) as f64))
        },
    },
    Builtin {
        name: "today",
        signature: "today() -> date",
        summary: "the evaluation date (`--as-of`), never the wall clock",
        min_args: 0,
        max_args: 0,
        check: |_| Ok(Ty::Date),
        eval: |cx, _| Ok(Value::Date(cx.as_of)),
    },
    Builtin {
        name: "matches",
        signature: "matches(string, pattern) -> bool",
        summary: "whether the string matches the regular expression (anywhere; anchor with ^…$)",
        min_args: 2,
        max_args: 2,
        check: |args| expect(args, &[Ty::String, Ty::String], Ty::Bool),
        eval: |_, args| {
            let s = str_arg(args, 0)?;
            let p = str_arg(args, 1)?;
            let re = regex::RegexBuilder::new(p)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("invalid pattern: {e}"))?;
            Ok(Value::Bool(re.is_match(s)))
        },
    },
    Builtin {
        name: "lower",
        signature: "lower(string) -> string",
        summary: "the string in lower case",
        min_args: 1,
        max_args: 1,
        check: |args| expect(args, &[Ty::String], Ty::String),
        eval: |_, args| Ok(Value::String(str_arg(args, 0)?.to_lowercase())),
    },
    Builtin {
        name: "abs",
        signature: "abs(number) -> number",
        summary: "absolute value",
        min_args: 1,
        max_args: 1,
        check: |args| expect(args, &[Ty::Number], Ty::Number),
        eval: |_, args| Ok(Value::Number(num_arg(args, 0)?.abs())),
    },
    Builtin {
        name: "min",
        signature: "min(list<number>) -> number",
        summary: "smallest number in a non-empty list",
        min_args: 1,
        max_args: 1,
        check: |args| expect(args, &[Ty::List(Box::new(Ty::Number))], Ty::Number),
        eval: |_, args| fold_numbers(args, f64::min, "min"),
    },
    Builtin {
        name: "max",
        signature: "max(list<number>) -> number",
        summary: "largest number in a non-empty list",
        min_args: 1,
        max_args: 1,
        check: |args| expect(args, &[Ty::List(Box::new(Ty::Number))], Ty::Number),
        eval: |_, args| fold_numbers(args, f64::max, "max"),
    },
    Builtin {
        name: "sum",
        signature: "sum(list<number>) -> number",
        summary: "sum of a list of numbers (0 for an empty list)",
        min_args: 1,
        max_args: 1,
        check: |args| expect(args, &[Ty::List(Box::new(Ty::Number))], Ty::Number),
        eval: |_, args| {
            let xs = numbers(args.first())?;
            finite(xs.iter().sum())
        },
    },
    Builtin {
        name: "ratio",
        signature: "ratio(number, number) -> number",
        summary: "a / b, an error when b is zero",
        min_args: 2,
        max_args: 2,
        check: |args| expect(args, &[Ty::Number, Ty::Number], Ty::Number),
        eval: |_, args| {
            let (a, b) = (num_arg(args, 0)?, num_arg(args, 1)?);
            if b == 0.0 {
                return Err("ratio with a zero denominator".to_string());
            }
            finite(a / b)
        },
    },
    Builtin {
        name: "psi",
        signature: "psi(expected: list<number>, actual: list<number>) -> number",
        summary: "population stability index of two binned distributions (counts or shares; \
                  each bin's share floored at 0.0001)",
        min_args: 2,
        max_args: 2,
        check: |args| {
            expect(
                args,
                &[
                    Ty::List(Box::new(Ty::Number)),
                    Ty::List(Box::new(Ty::Number)),
                ],
                Ty::Number,
            )
        },
        eval: |_, args| {
            let e = numbers(args.first())?;
            let a = numbers(args.get(1))?;
            psi(&e, &a)
        },
    },
    // ---- Fairness metrics from recorded counts (see `metrics`) --------------------------------
    // Fairlearn convention: a list of per-group records, the spread between groups.
    Builtin {
        name: "demographic_parity_difference",
        signature: "demographic_parity_difference(groups: list<{ group, selected, total }>) -> number",
        summary: "Fairlearn: largest selection rate minus smallest over the groups, in [0, 1]",
        min_args: 1,
        max_args: 1,
        check: |args| group_list(args, metrics::SELECTION_FIELDS),
        eval: |_, args| finite(metrics::demographic_parity_difference(args.first())?),
    },
    Builtin {
        name: "demographic_parity_ratio",
        signature: "demographic_parity_ratio(groups: list<{ group, selected, total }>) -> number",
        summary: "Fairlearn: smallest selection rate over largest (the disparate impact ratio of \
                  the worst-off group), in [0, 1]",
        min_args: 1,
        max_args: 1,
        check: |args| group_list(args, metrics::SELECTION_FIELDS),
        eval: |_, args| finite(metrics::demographic_parity_ratio(args.first())?),
    },
    Builtin {
        name: "true_positive_rate_difference",
        signature: "true_positive_rate_difference(groups: list<{ group, tp, fp, tn, fn }>) -> number",
        summary: "Fairlearn: largest true positive rate minus smallest over the groups (what \
                  Fairlearn also calls equal_opportunity_difference)",
        min_args: 1,
        max_args: 1,
        check: |args| group_list(args, metrics::CONFUSION_FIELDS),
        eval: |_, args| finite(metrics::true_positive_rate_difference(args.first())?),
    },
    Builtin {
        name: "equalized_odds_difference",
        signature: "equalized_odds_difference(groups: list<{ group, tp, fp, tn, fn }>) -> number",
        summary: "Fairlearn: the larger of the true and false positive rate spreads over the \
                  groups, in [0, 1]",
        min_args: 1,
        max_args: 1,
        check: |args| group_list(args, metrics::CONFUSION_FIELDS),
        eval: |_, args| finite(metrics::equalized_odds_difference(args.first())?),
    },
    Builtin {
        name: "equalized_odds_ratio",
        signature: "equalized_odds_ratio(groups: list<{ group, tp, fp, tn, fn }>) -> number",
        summary: "Fairlearn: the smaller of the true and false positive rate ratios (smallest \
                  over largest), in [0, 1]",
        min_args: 1,
        max_args: 1,
        check: |args| group_list(args, metrics::CONFUSION_FIELDS),
        eval: |_, args| finite(metrics::equalized_odds_ratio(args.first())?),
    },
    // AIF360 convention: the unprivileged group compared with the privileged group.
    Builtin {
        name: "statistical_parity_difference",
        signature: "statistical_parity_difference(selected_unprivileged, total_unprivileged, selected_privileged, total_privileged) -> number",
        summary: "AIF360: selection rate of the unprivileged group minus that of the privileged \
                  group (negative: the unprivileged group is selected less often)",
        min_args: 4,
        max_args: 4,
        check: |args| {
            expect(
                args,
                &[Ty::Number, Ty::Number, Ty::Number, Ty::Number],
                Ty::Number,
            )
        },
        eval: |_, args| {
            finite(metrics::statistical_parity_difference(
                num_arg(args, 0)?,
                num_arg(args, 1)?,
                num_arg(args, 2)?,
                num_arg(args, 3)?,
            )?)
        },
    },
    Builtin {
        name: "equal_opportunity_difference",
        signature: "equal_opportunity_difference(unprivileged: { tp, fn }, privileged: { tp, fn }) -> number",
        summary: "AIF360: true positive rate of the unprivileged group minus that of the \
                  privileged group",
        min_args: 2,
        max_args: 2,
        check: |args| group_pair(args, &["tp", "fn"]),
        eval: |_, args| {
            finite(metrics::equal_opportunity_difference(
                args.first(),
                args.get(1),
            )?)
        },
    },
    Builtin {
        name: "average_odds_difference",
        signature: "average_odds_difference(unprivileged: { tp, fp, tn, fn }, privileged: { tp, fp, tn, fn }) -> number",
        summary: "AIF360: mean of the false and true positive rate differences, unprivileged \
                  minus privileged",
        min_args: 2,
        max_args: 2,
        check: |args| group_pair(args, metrics::CONFUSION_FIELDS),
        eval: |_, args| finite(metrics::average_odds_difference(args.first(), args.get(1))?),
    },
    // ---- end of fairness metrics ------------------------------------------------------------
    Builtin {
        name: "disparate_impact",
        signature: "disparate_impact(selected_unprivileged, total_unprivileged, selected_privileged, total_privileged) -> number",
        summary: "selection rate of the unprivileged group divided by that of the privileged group \
                  (four-fifths rule: flag below 0.8)",
        min_args: 4,
        max_args: 4,
        check: |args| {
            expect(
                args,
                &[Ty::Number, Ty::Number, Ty::Number, Ty::Number],
                Ty::Number,
            )
        },
        eval: |_, args| {
            let (su, tu, sp, tp) = (
                num_arg(args, 0)?,
                num_arg(args, 1)?,
                num_arg(args, 2)?,
                num_arg(args, 3)?,
            );
            if tu <= 0.0 || tp <= 0.0 {
                return Err("a group has no members".to_string());
            }
            let rp = sp / tp;
            if rp == 0.0 {
                return Err("the privileged group has a selection rate of zero".to_string());
            }
            finite((su / tu) / rp)
        },
    },
    Builtin {
        name: "git.available",
        signature: "git.available() -> bool",
        summary: "whether commit history is available (the repository is the root of a git \
                  clone with commits); use it in `applies when` for history controls",
        min_args: 0,
        max_args: 0,
        check: |_| Ok(Ty::Bool),
        eval: |cx, _| {
            Ok(Value::Bool(
                cx.history.is_some_and(|h| h.last_change(".").is_ok()),
            ))
        },
    },
    Builtin {
        name: "git.last_change",
        signature: "git.last_change(path: string) -> date",
        summary: "date (UTC) of the last commit that changed the path, relative to the model \
                  folder (`.` is the folder itself); needs git history",
        min_args: 1,
        max_args: 1,
        check: |args| expect(args, &[Ty::String], Ty::Date),
        eval: |cx, args| {
            let (history, path) = history_path(cx, args, 0)?;
            let time = last_change(history, &path)?;
            crate::git::date_of(time)
                .map(Value::Date)
                .ok_or_else(|| "the commit date is out of range".to_string())
        },
    },
    Builtin {
        name: "git.authors_since",
        signature: "git.authors_since(path: string, since: date, until: date?) -> list<string>",
        summary: "author emails of the commits that changed the path (relative to the model \
                  folder) on or after `since` and, when given, before `until`; merges excluded",
        min_args: 2,
        max_args: 3,
        check: |args| {
            expect(
                args,
                &[Ty::String, Ty::Date, Ty::Date],
                Ty::List(Box::new(Ty::String)),
            )
        },
        eval: |cx, args| {
            let (history, path) = history_path(cx, args, 0)?;
            let since = crate::git::start_of(date_arg(args, 1)?);
            let until = match args.get(2) {
                Some(_) => Some(crate::git::start_of(date_arg(args, 2)?)),
                None => None,
            };
            let authors = history.authors_between(&path, since, until)?;
            Ok(Value::List(
                authors.into_iter().map(Value::String).collect(),
            ))
        },
    },
    Builtin {
        name: "git.changed_after",
        signature: "git.changed_after(a: string, b: string) -> bool",
        summary: "whether the last commit that changed `a` is later than the last commit that \
                  changed `b` (paths relative to the model folder); false when `a` never changed",
        min_args: 2,
        max_args: 2,
        check: |args| expect(args, &[Ty::String, Ty::String], Ty::Bool),
        eval: |cx, args| {
            let (history, a) = history_path(cx, args, 0)?;
            let (_, b) = history_path(cx, args, 1)?;
            let tb = last_change(history, &b)?;
            let ta = history.last_change(&a)?;
            Ok(Value::Bool(ta.is_some_and(|ta| ta > tb)))
        },
    },
];

/// The history and the repository-relative path named by argument `i` of a `git.*` builtin.
/// Paths are relative to the model folder and must stay inside it, so that a model's history
/// results depend only on its own files.
fn history_path<'a>(
    cx: &CallContext<'a>,
    args: &[Value],
    i: usize,
) -> Result<(&'a dyn History, String), String> {
    let rel = str_arg(args, i)?;
    let history = cx.history.ok_or_else(|| {
        "history is not available: the repository is not a git repository".to_string()
    })?;
    let parts: Vec<&str> = rel
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if rel.starts_with('/') || rel.contains('\\') || parts.contains(&"..") {
        return Err(format!("`{rel}` leaves the model folder"));
    }
    let mut path = cx.dir.trim_end_matches('/').to_string();
    for p in parts {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(p);
    }
    Ok((history, path))
}

fn last_change(history: &dyn History, path: &str) -> Result<i64, String> {
    history.last_change(path)?.ok_or_else(|| {
        let shown = if path.is_empty() { "." } else { path };
        format!("no commit changes `{shown}` (is it committed?)")
    })
}

/// Finds a builtin by (dotted) name.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

fn expect(args: &[Ty], params: &[Ty], result: Ty) -> Result<Ty, String> {
    for (i, (a, p)) in args.iter().zip(params).enumerate() {
        if !a.is(p) {
            return Err(format!("argument {} must be {p}, found {a}", i + 1));
        }
    }
    Ok(result)
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    from.until((jiff::Unit::Day, to))
        .map_or(0, |span| i64::from(span.get_days()))
}

fn date_arg(args: &[Value], i: usize) -> Result<Date, String> {
    match args.get(i) {
        Some(Value::Date(d)) => Ok(*d),
        Some(v) => Err(format!("expected a date, found {}", v.type_name())),
        None => Err("missing argument".to_string()),
    }
}

fn str_arg(args: &[Value], i: usize) -> Result<&str, String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(format!("expected a string, found {}", v.type_name())),
        None => Err("missing argument".to_string()),
    }
}

fn num_arg(args: &[Value], i: usize) -> Result<f64, String> {
    match args.get(i) {
        Some(Value::Number(n)) => Ok(*n),
        Some(v) => Err(format!("expected a number, found {}", v.type_name())),
        None => Err("missing argument".to_string()),
    }
}

fn numbers(v: Option<&Value>) -> Result<Vec<f64>, String> {
    match v {
        Some(Value::List(items)) => items
            .iter()
            .map(|x| {
                x.as_f64()
                    .ok_or_else(|| format!("expected numbers, found {}", x.type_name()))
            })
            .collect(),
        Some(v) => Err(format!(
            "expected a list of numbers, found {}",
            v.type_name()
        )),
        None => Err("missing argument".to_string()),
    }
}

fn fold_numbers(args: &[Value], f: fn(f64, f64) -> f64, name: &str) -> Result<Value, String> {
    let xs = numbers(args.first())?;
    let mut it = xs.into_iter();
    let first = it
        .next()
        .ok_or_else(|| format!("`{name}` of an empty list"))?;
    finite(it.fold(first, f))
}

fn finite(x: f64) -> Result<Value, String> {
    if x.is_finite() {
        Ok(Value::Number(x))
    } else {
        Err("the result is not a finite number".to_string())
    }
}

mod metrics;

/// Type check of a metric over a list of per-group records.
fn group_list(args: &[Ty], fields: &[&str]) -> Result<Ty, String> {
    metrics::check_group_list(args.first(), fields)?;
    Ok(Ty::Number)
}

/// Type check of an AIF360-style metric over an unprivileged and a privileged record.
fn group_pair(args: &[Ty], fields: &[&str]) -> Result<Ty, String> {
    for (i, t) in args.iter().enumerate() {
        metrics::check_record(t, fields).map_err(|m| format!("argument {}: {m}", i + 1))?;
    }
    Ok(Ty::Number)
}

/// Floor for empty bins in [`psi`], applied to each bin's share after normalising.
pub const PSI_EPSILON: f64 = 1e-4;

/// Population stability index: Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over bin shares, with empty bins floored
/// at [`PSI_EPSILON`].
pub fn psi(expected: &[f64], actual: &[f64]) -> Result<Value, String> {
    if expected.len() != actual.len() {
        return Err(format!(
            "the distributions have {} and {} bins",
            expected.len(),
            actual.len()
        ));
    }
    if expected.len() < 2 {
        return Err("PSI needs at least two bins".to_string());
    }
    if expected.iter().chain(actual).any(|x| *x < 0.0) {
        return Err("bins must not be negative".to_string());
    }
    let (se, sa): (f64, f64) = (expected.iter().sum(), actual.iter().sum());
    if se <= 0.0 || sa <= 0.0 {
        return Err("a distribution is empty".to_string());
    }
    let mut total = 0.0;
    for (e, a) in expected.iter().zip(actual) {
        let e = (e / se).max(PSI_EPSILON);
        let a = (a / sa).max(PSI_EPSILON);
        total += (a - e) * (a / e).ln();
    }
    finite(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_are_unique() {
        let mut names: Vec<_> = BUILTINS.iter().map(|b| b.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn days_between_counts_calendar_days() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(days_between(d("2024-01-15"), d("2026-11-27")), 1047);
        assert_eq!(days_between(d("2026-11-27"), d("2026-11-20")), -7);
    }

    #[test]
    fn psi_of_identical_distributions_is_zero() {
        assert_eq!(
            psi(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]),
            Ok(Value::Number(0.0))
        );
        assert!(psi(&[1.0], &[1.0]).is_err());
        assert!(psi(&[0.0, 0.0], &[1.0, 1.0]).is_err());
    }
}
