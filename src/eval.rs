//! Evaluating models against a checked program.
//!
//! [`evaluate`] takes a [`Program`], the loaded models and the waivers, and produces a
//! [`RunReport`]. Per model: assign the tier (first matching rule), walk that tier's controls in
//! the precomputed topological order, decide each control's status, explain failures with the
//! values that caused them, apply waivers, and compute KRIs. The evaluator borrows everything and
//! keeps no mutable state, so models are evaluated in parallel.

mod budget;
pub mod builtins;
pub mod outcome;

use std::borrow::Cow;
use std::collections::BTreeMap;

use jiff::civil::Date;
use rayon::prelude::*;
use serde::Serialize;

use crate::ast::*;
use crate::check::{ControlDef, Program, Severity};
use crate::diagnostic::{Code, Diagnostic};
use crate::framework::Catalogs;
use crate::repo::evidence::Verdict;
use crate::repo::{self, Model, Tree};
use crate::source::SourceMap;
use crate::value::{Value, format_number};
use crate::waiver::Waiver;
pub use budget::DEFAULT_MAX_STEPS;
use budget::Env;
use builtins::CallContext;
pub use outcome::*;

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

    /// Statuses that leave an obligation unmet.
    pub fn is_gap(self) -> bool {
        matches!(self, Status::Fail | Status::Blocked | Status::Error)
    }
}

/// Options of one evaluation.
#[derive(Debug, Clone)]
pub struct Options {
    pub as_of: Date,
    pub fail_on: Vec<Severity>,
    /// Frameworks in scope (empty: all).
    pub frameworks: Vec<String>,
    /// The step budget of each evaluation (see [`budget`]).
    pub max_steps: u64,
    /// The firm's settings the law's application depends on (`mrm.toml`).
    pub law: crate::applicability::Settings,
}

/// What a run needs besides the program.
pub struct Inputs<'a> {
    pub program: &'a Program,
    pub catalogs: &'a Catalogs,
    pub tree: &'a dyn Tree,
    pub waivers: &'a [Waiver],
    pub options: &'a Options,
}

/// An evaluation error inside an expression.
#[derive(Debug, Clone)]
struct EvalError {
    message: String,
}

impl EvalError {
    fn new(message: impl Into<String>) -> Self {
        EvalError {
            message: message.into(),
        }
    }
}

type EvalResult<'m> = Result<Cow<'m, Value>, EvalError>;

/// A variable bound by a quantifier (or `value` in a KRI), with the metadata path it came from.
#[derive(Debug, Clone)]
struct Binding<'m> {
    name: String,
    value: Cow<'m, Value>,
    origin: Option<String>,
}

/// Evaluates one model.
pub struct Evaluator<'a> {
    inputs: &'a Inputs<'a>,
    sources: &'a SourceMap,
    cx: CallContext<'a>,
    /// Each control (by index in the program), built once and shared by every model's outcome.
    controls: Vec<std::sync::Arc<ControlInfo>>,
    /// Whether each catalog clause applies to a model, decided per model (see `applicability`).
    law: std::sync::Arc<crate::applicability::Law>,
    /// The law's classes of the clauses each control maps, by index in the program.
    control_classes: Vec<Vec<crate::applicability::ClassId>>,
}

impl<'a> Evaluator<'a> {
    pub fn new(inputs: &'a Inputs<'a>, sources: &'a SourceMap) -> Self {
        let mut law = crate::applicability::Law::new(inputs.catalogs, &inputs.options.law);
        law.restrict(
            inputs.catalogs,
            inputs
                .program
                .controls
                .iter()
                .flat_map(|c| c.ast.maps.iter())
                .map(|m| (m.framework.node.as_str(), m.clause.node.as_str())),
        );
        let control_classes = inputs
            .program
            .controls
            .iter()
            .map(|c| {
                law.classes_of(
                    inputs.catalogs,
                    c.ast
                        .maps
                        .iter()
                        .map(|m| (m.framework.node.as_str(), m.clause.node.as_str())),
                )
            })
            .collect();
        Evaluator {
            law: std::sync::Arc::new(law),
            control_classes,
            inputs,
            sources,
            cx: CallContext {
                as_of: inputs.options.as_of,
                history: inputs.tree.history(),
                dir: "",
            },
            controls: inputs
                .program
                .controls
                .iter()
                .enumerate()
                .map(|(i, c)| std::sync::Arc::new(control_info(inputs, i, c)))
                .collect(),
        }
    }

    fn text(&self, e: &Expr) -> String {
        let s = self.sources.snippet(e.span);
        let mut out = String::new();
        for (i, part) in s.split_whitespace().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(part);
        }
        out
    }

    // ---- expressions ---------------------------------------------------------------------------

    fn eval<'m>(&self, e: &Expr, model: &'m Model, env: &mut Env<'m>) -> EvalResult<'m> {
        match &e.node {
            ExprKind::Literal(l) => Ok(Cow::Owned(match l {
                Literal::Number(n) => Value::Number(*n),
                Literal::String(s) => Value::String(s.clone()),
                Literal::Bool(b) => Value::Bool(*b),
                Literal::Date(d) => Value::Date(*d),
                Literal::Duration(d) => Value::Duration(*d),
                Literal::None => Value::None,
            })),
            ExprKind::Path(segments) => Ok(self.path(segments, model, env)),
            ExprKind::Field(base, name) => {
                let b = self.eval(base, model, env)?;
                Ok(match b {
                    Cow::Borrowed(v) => v
                        .get(&name.node)
                        .map_or(Cow::Owned(Value::None), Cow::Borrowed),
                    Cow::Owned(v) => Cow::Owned(v.get(&name.node).cloned().unwrap_or_default()),
                })
            }
            ExprKind::Index(base, index) => {
                let b = self.eval(base, model, env)?;
                let i = self.eval(index, model, env)?;
                let Some(n) = i.as_f64() else {
                    return Err(EvalError::new(format!(
                        "`{}` is not a number",
                        self.text(index)
                    )));
                };
                if n < 0.0 || n.fract() != 0.0 {
                    return Ok(Cow::Owned(Value::None));
                }
                let n = n as usize;
                Ok(match b {
                    Cow::Borrowed(Value::List(l)) => {
                        l.get(n).map_or(Cow::Owned(Value::None), Cow::Borrowed)
                    }
                    Cow::Owned(Value::List(l)) => {
                        Cow::Owned(l.into_iter().nth(n).unwrap_or_default())
                    }
                    other if other.is_none() => Cow::Owned(Value::None),
                    other => {
                        return Err(EvalError::new(format!(
                            "`{}` is {}, not a list",
                            self.text(base),
                            other.type_name()
                        )));
                    }
                })
            }
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.eval(item, model, env)?.into_owned());
                }
                Ok(Cow::Owned(Value::List(out)))
            }
            ExprKind::Unary(op, operand) => {
                let v = self.eval(operand, model, env)?;
                match (op, &*v) {
                    (UnaryOp::Not, Value::Bool(b)) => Ok(Cow::Owned(Value::Bool(!b))),
                    (UnaryOp::Neg, Value::Number(n)) => Ok(Cow::Owned(Value::Number(-n))),
                    (_, v) => Err(self.operand_error(operand, v, model, env)),
                }
            }
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, model, env),
            ExprKind::Call(call) => {
                let Some(b) = builtins::lookup(&call.name.node) else {
                    return Err(EvalError::new(format!(
                        "unknown function `{}`",
                        call.name.node
                    )));
                };
                let mut args = Vec::with_capacity(call.args.len());
                for a in &call.args {
                    let v = self.eval(a, model, env)?;
                    // Only `exists` may look at a missing value.
                    if v.is_none() && b.name != "exists" && b.name != "len" {
                        return Err(self.missing(a, model, env));
                    }
                    args.push(v.into_owned());
                }
                if let Err(x) = env.spend(budget::call_cost(&args)) {
                    let first = call.args.first().unwrap_or(e);
                    return Err(self.exhausted(x, first, env));
                }
                let cx = CallContext {
                    dir: &model.dir,
                    ..self.cx
                };
                (b.eval)(&cx, &args)
                    .map(Cow::Owned)
                    .map_err(|m| EvalError::new(format!("`{}`: {m}", self.text(e))))
            }
            ExprKind::Quantifier(q) => {
                let list = self.eval(&q.list, model, env)?;
                let origin = self.origin(&q.list, env);
                let items: Vec<Cow<'m, Value>> = match list {
                    Cow::Borrowed(Value::List(l)) => l.iter().map(Cow::Borrowed).collect(),
                    Cow::Owned(Value::List(l)) => l.into_iter().map(Cow::Owned).collect(),
                    v if v.is_none() => return Err(self.missing(&q.list, model, env)),
                    v => {
                        return Err(EvalError::new(format!(
                            "`{}` is {}, not a list",
                            self.text(&q.list),
                            v.type_name()
                        )));
                    }
                };
                let mut count = 0usize;
                for (i, item) in items.into_iter().enumerate() {
                    if let Err(x) = env.spend(1) {
                        return Err(self.exhausted(x, &q.list, env));
                    }
                    env.push(Binding {
                        name: q.var.node.clone(),
                        value: item,
                        origin: origin.as_ref().map(|o| format!("{o}[{i}]")),
                    });
                    let r = self.eval(&q.body, model, env);
                    env.pop();
                    let holds = match r?.as_ref() {
                        Value::Bool(b) => *b,
                        other => {
                            return Err(EvalError::new(format!(
                                "`{}` is {}, not a condition",
                                self.text(&q.body),
                                other.type_name()
                            )));
                        }
                    };
                    match (q.kind, holds) {
                        (QuantifierKind::All, false) => return Ok(Cow::Owned(Value::Bool(false))),
                        (QuantifierKind::Any, true) => return Ok(Cow::Owned(Value::Bool(true))),
                        (QuantifierKind::Count, true) => count += 1,
                        _ => {}
                    }
                }
                Ok(Cow::Owned(match q.kind {
                    QuantifierKind::All => Value::Bool(true),
                    QuantifierKind::Any => Value::Bool(false),
                    QuantifierKind::Count => Value::Number(count as f64),
                }))
            }
        }
    }

    fn path<'m>(
        &self,
        segments: &[Ident],
        model: &'m Model,
        env: &[Binding<'m>],
    ) -> Cow<'m, Value> {
        let Some(first) = segments.first() else {
            return Cow::Owned(Value::None);
        };
        let rest = segments.get(1..).unwrap_or(&[]);
        if let Some(b) = env.iter().rev().find(|b| b.name == first.node) {
            return match &b.value {
                Cow::Borrowed(v) => {
                    let mut cur: &'m Value = v;
                    for s in rest {
                        match cur.get(&s.node) {
                            Some(x) => cur = x,
                            None => return Cow::Owned(Value::None),
                        }
                    }
                    Cow::Borrowed(cur)
                }
                Cow::Owned(v) => {
                    let mut cur: &Value = v;
                    for s in rest {
                        match cur.get(&s.node) {
                            Some(x) => cur = x,
                            None => return Cow::Owned(Value::None),
                        }
                    }
                    Cow::Owned(cur.clone())
                }
            };
        }
        // A single name no quantifier binds is a policy parameter (the checker keeps parameter
        // names apart from metadata roots).
        if rest.is_empty()
            && let Some(p) = self.inputs.program.param(&first.node)
        {
            return Cow::Owned(p.value.clone());
        }
        let mut cur: &'m Value = &model.value;
        for s in segments {
            match cur.get(&s.node) {
                Some(x) => cur = x,
                None => return Cow::Owned(Value::None),
            }
        }
        Cow::Borrowed(cur)
    }

    /// The concrete metadata path an expression reads (`fairness[0].disparate_impact`).
    fn origin(&self, e: &Expr, env: &[Binding<'_>]) -> Option<String> {
        match &e.node {
            ExprKind::Path(segments) => {
                let first = segments.first()?;
                // A parameter is not metadata: it has no path in the model.
                if segments.len() == 1
                    && !env.iter().any(|b| b.name == first.node)
                    && self.inputs.program.param(&first.node).is_some()
                {
                    return None;
                }
                let rest: Vec<&str> = segments.iter().skip(1).map(|s| s.node.as_str()).collect();
                let base = match env.iter().rev().find(|b| b.name == first.node) {
                    Some(b) => b.origin.clone()?,
                    None => first.node.clone(),
                };
                Some(if rest.is_empty() {
                    base
                } else {
                    format!("{base}.{}", rest.join("."))
                })
            }
            ExprKind::Field(base, name) => {
                Some(format!("{}.{}", self.origin(base, env)?, name.node))
            }
            ExprKind::Index(base, index) => match &index.node {
                ExprKind::Literal(Literal::Number(n)) => Some(format!(
                    "{}[{}]",
                    self.origin(base, env)?,
                    format_number(*n)
                )),
                _ => None,
            },
            _ => None,
        }
    }

    /// The first metadata path read anywhere inside `e` (for locating computed values).
    fn first_origin(&self, e: &Expr, env: &[Binding<'_>]) -> Option<String> {
        if let Some(o) = self.origin(e, env) {
            return Some(o);
        }
        match &e.node {
            ExprKind::Call(c) => c.args.iter().find_map(|a| self.first_origin(a, env)),
            ExprKind::Unary(_, x) => self.first_origin(x, env),
            ExprKind::Binary(_, a, b) => self
                .first_origin(a, env)
                .or_else(|| self.first_origin(b, env)),
            ExprKind::Field(b, _) | ExprKind::Index(b, _) => self.first_origin(b, env),
            _ => None,
        }
    }

    fn missing(&self, e: &Expr, _model: &Model, env: &[Binding<'_>]) -> EvalError {
        match self.origin(e, env) {
            Some(p) => EvalError::new(format!("`{p}` is missing")),
            None => EvalError::new(format!("`{}` has no value", self.text(e))),
        }
    }

    /// The step budget ran out while `e` (a list being iterated or scanned) was evaluated.
    fn exhausted(&self, x: budget::Exhausted, e: &Expr, env: &[Binding<'_>]) -> EvalError {
        let what = self.origin(e, env).unwrap_or_else(|| self.text(e));
        EvalError::new(format!(
            "`{what}` is too large to evaluate within the step budget: evaluation stopped after \
             {} steps (`[limits] max_steps` in `mrm.toml`)",
            x.limit
        ))
    }

    fn operand_error(&self, e: &Expr, v: &Value, model: &Model, env: &[Binding<'_>]) -> EvalError {
        if v.is_none() {
            return self.missing(e, model, env);
        }
        let what = self.origin(e, env).unwrap_or_else(|| self.text(e));
        EvalError::new(format!("`{what}` has the wrong type ({})", v.type_name()))
    }

    fn binary<'m>(
        &self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        model: &'m Model,
        env: &mut Env<'m>,
    ) -> EvalResult<'m> {
        let boolean = |me: &Self, e: &Expr, env: &mut Env<'m>| -> Result<bool, EvalError> {
            let v = me.eval(e, model, env)?;
            match &*v {
                Value::Bool(b) => Ok(*b),
                other => Err(me.operand_error(e, other, model, env)),
            }
        };
        match op {
            BinaryOp::And => {
                if !boolean(self, lhs, env)? {
                    return Ok(Cow::Owned(Value::Bool(false)));
                }
                Ok(Cow::Owned(Value::Bool(boolean(self, rhs, env)?)))
            }
            BinaryOp::Or => {
                if boolean(self, lhs, env)? {
                    return Ok(Cow::Owned(Value::Bool(true)));
                }
                Ok(Cow::Owned(Value::Bool(boolean(self, rhs, env)?)))
            }
            _ => {
                let l = self.eval(lhs, model, env)?;
                let r = self.eval(rhs, model, env)?;
                if matches!(op, BinaryOp::In | BinaryOp::NotIn) {
                    let scanned = match &*r {
                        Value::List(items) => items.len() as u64,
                        Value::String(s) => s.len() as u64 / 64,
                        _ => 0,
                    };
                    if let Err(x) = env.spend(scanned.max(1)) {
                        return Err(self.exhausted(x, rhs, env));
                    }
                }
                self.apply(op, &l, &r, lhs, rhs, model, env).map(Cow::Owned)
            }
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "operands and their expressions for messages"
    )]
    fn apply(
        &self,
        op: BinaryOp,
        l: &Value,
        r: &Value,
        lhs: &Expr,
        rhs: &Expr,
        model: &Model,
        env: &[Binding<'_>],
    ) -> Result<Value, EvalError> {
        let need = |v: &Value, e: &Expr| -> Result<(), EvalError> {
            if v.is_none() {
                Err(self.missing(e, model, env))
            } else {
                Ok(())
            }
        };
        let mismatch = || {
            EvalError::new(format!(
                "cannot apply `{}` to {} and {}",
                op.as_str(),
                l.type_name(),
                r.type_name()
            ))
        };
        match op {
            BinaryOp::Eq => Ok(Value::Bool(values_equal(l, r))),
            BinaryOp::Ne => Ok(Value::Bool(!values_equal(l, r))),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                need(l, lhs)?;
                need(r, rhs)?;
                let ord = match (l, r) {
                    (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
                    (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
                    (Value::Duration(a), Value::Duration(b)) => Some(a.cmp(b)),
                    (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
                    _ => None,
                }
                .ok_or_else(mismatch)?;
                use std::cmp::Ordering::*;
                Ok(Value::Bool(match op {
                    BinaryOp::Lt => ord == Less,
                    BinaryOp::Le => ord != Greater,
                    BinaryOp::Gt => ord == Greater,
                    _ => ord != Less,
                }))
            }
            BinaryOp::In | BinaryOp::NotIn => {
                need(r, rhs)?;
                let found = match r {
                    Value::List(items) => items.iter().any(|x| values_equal(l, x)),
                    Value::String(s) => match l {
                        Value::String(sub) => s.contains(sub.as_str()),
                        _ => return Err(mismatch()),
                    },
                    _ => return Err(mismatch()),
                };
                Ok(Value::Bool(if op == BinaryOp::In { found } else { !found }))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                need(l, lhs)?;
                need(r, rhs)?;
                let v = match (op, l, r) {
                    (BinaryOp::Add, Value::Number(a), Value::Number(b)) => Value::Number(a + b),
                    (BinaryOp::Sub, Value::Number(a), Value::Number(b)) => Value::Number(a - b),
                    (BinaryOp::Mul, Value::Number(a), Value::Number(b)) => Value::Number(a * b),
                    (BinaryOp::Div, Value::Number(_), Value::Number(b)) if *b == 0.0 => {
                        return Err(EvalError::new(format!(
                            "division by zero: `{}` is 0",
                            self.origin(rhs, env).unwrap_or_else(|| self.text(rhs))
                        )));
                    }
                    (BinaryOp::Div, Value::Number(a), Value::Number(b)) => Value::Number(a / b),
                    (BinaryOp::Add, Value::Duration(a), Value::Duration(b)) => {
                        Value::Duration(a.saturating_add(*b))
                    }
                    (BinaryOp::Sub, Value::Duration(a), Value::Duration(b)) => {
                        Value::Duration(a.saturating_sub(*b))
                    }
                    (BinaryOp::Add | BinaryOp::Sub, Value::Date(d), Value::Duration(n)) => {
                        let n = if op == BinaryOp::Add { *n } else { -n };
                        d.checked_add(jiff::Span::new().days(n))
                            .map(Value::Date)
                            .map_err(|_| EvalError::new("date out of range"))?
                    }
                    (BinaryOp::Sub, Value::Date(a), Value::Date(b)) => {
                        Value::Duration(builtins::days_between(*b, *a))
                    }
                    _ => return Err(mismatch()),
                };
                if let Value::Number(n) = v
                    && !n.is_finite()
                {
                    return Err(EvalError::new("the result is not a finite number"));
                }
                Ok(v)
            }
            BinaryOp::And | BinaryOp::Or => Err(mismatch()),
        }
    }

    fn holds<'m>(&self, e: &Expr, model: &'m Model, env: &mut Env<'m>) -> Result<bool, EvalError> {
        match self.eval(e, model, env)?.as_ref() {
            Value::Bool(b) => Ok(*b),
            other => Err(self.operand_error(e, other, model, env)),
        }
    }

    // ---- explanations --------------------------------------------------------------------------

    /// Why `e` evaluated to false: one violation per failing case, with the bindings in force.
    fn why<'m>(
        &self,
        e: &Expr,
        model: &'m Model,
        env: &mut Env<'m>,
        out: &mut Vec<(Vec<Binding<'m>>, Witness)>,
    ) {
        if out.len() >= 50 {
            return;
        }
        match &e.node {
            // `and` stops at its first false operand, so only that one is the reason.
            ExprKind::Binary(BinaryOp::And, l, r) => {
                if let Ok(false) = self.holds(l, model, env) {
                    self.why(l, model, env, out);
                } else if let Ok(false) = self.holds(r, model, env) {
                    self.why(r, model, env, out);
                }
            }
            ExprKind::Binary(BinaryOp::Or, l, r) => {
                for side in [l, r] {
                    if let Ok(false) = self.holds(side, model, env) {
                        self.why(side, model, env, out);
                    }
                }
            }
            ExprKind::Binary(op, l, r) => {
                let (Ok(lv), Ok(rv)) = (self.eval(l, model, env), self.eval(r, model, env)) else {
                    return;
                };
                let lo = self.origin(l, env);
                let ro = self.origin(r, env);
                let (path, actual, expected, text) = match (&lo, &ro) {
                    (Some(p), _) => {
                        let expected = format!("{} {}", op.as_str(), show(&rv, r, self));
                        (
                            Some(p.clone()),
                            lv.clone().into_owned(),
                            Some(expected.clone()),
                            format!("`{p}` = {}, expected {expected}", show_value(&lv)),
                        )
                    }
                    (None, Some(p)) => {
                        let expected = format!("{} {} this", show(&lv, l, self), op.as_str());
                        (
                            Some(p.clone()),
                            rv.clone().into_owned(),
                            Some(expected.clone()),
                            format!("`{p}` = {}, expected {expected}", show_value(&rv)),
                        )
                    }
                    (None, None) => {
                        // A computed value such as `days_since(validation.date)`: name the
                        // expression and point at the metadata it reads.
                        let expected = format!("{} {}", op.as_str(), show(&rv, r, self));
                        (
                            None,
                            lv.clone().into_owned(),
                            Some(expected.clone()),
                            format!(
                                "`{}` = {}, expected {expected}",
                                self.text(l),
                                show_value(&lv)
                            ),
                        )
                    }
                };
                let location = path
                    .as_ref()
                    .or(self.first_origin(l, env).as_ref())
                    .map(|p| model.locate(p));
                out.push((
                    env.to_vec(),
                    Witness {
                        path,
                        actual,
                        expected,
                        text,
                        location,
                    },
                ));
            }
            ExprKind::Quantifier(q) => {
                let Ok(list) = self.eval(&q.list, model, env) else {
                    return;
                };
                let origin = self.origin(&q.list, env);
                let items: Vec<Value> = list.as_list().map(<[Value]>::to_vec).unwrap_or_default();
                match q.kind {
                    QuantifierKind::All => {
                        for (i, item) in items.into_iter().enumerate() {
                            env.push(Binding {
                                name: q.var.node.clone(),
                                value: Cow::Owned(item),
                                origin: origin.as_ref().map(|o| format!("{o}[{i}]")),
                            });
                            if let Ok(false) = self.holds(&q.body, model, env) {
                                self.why(&q.body, model, env, out);
                            }
                            env.pop();
                        }
                    }
                    QuantifierKind::Any | QuantifierKind::Count => {
                        let p = origin.clone().unwrap_or_else(|| self.text(&q.list));
                        let text = if items.is_empty() {
                            format!("`{p}` is empty")
                        } else {
                            format!("no item of `{p}` satisfies `{}`", self.text(&q.body))
                        };
                        out.push((
                            env.to_vec(),
                            Witness {
                                location: origin.as_ref().map(|o| model.locate(o)),
                                path: origin,
                                actual: Value::Number(items.len() as f64),
                                expected: None,
                                text,
                            },
                        ));
                    }
                }
            }
            ExprKind::Call(call) if call.name.node == "exists" => {
                let arg = call.args.first();
                let p = arg.and_then(|a| self.origin(a, env));
                let text = match &p {
                    Some(p) => format!("`{p}` is missing"),
                    None => format!("`{}` is false", self.text(e)),
                };
                out.push((
                    env.to_vec(),
                    Witness {
                        location: p.as_ref().map(|p| model.locate_nearest(p)),
                        path: p,
                        actual: Value::None,
                        expected: Some("a value".to_string()),
                        text,
                    },
                ));
            }
            _ => {
                let p = self.origin(e, env);
                let actual = self
                    .eval(e, model, env)
                    .map(Cow::into_owned)
                    .unwrap_or_default();
                out.push((
                    env.to_vec(),
                    Witness {
                        location: p.as_ref().map(|p| model.locate(p)),
                        text: match &p {
                            Some(p) => format!("`{p}` is {}", show_value(&actual)),
                            None => format!("`{}` is false", self.text(e)),
                        },
                        path: p,
                        actual,
                        expected: None,
                    },
                ));
            }
        }
    }

    fn render_template<'m>(&self, t: &Template, model: &'m Model, env: &mut Env<'m>) -> String {
        let mut s = String::new();
        for part in &t.parts {
            match part {
                TemplatePart::Text(x) => s.push_str(x),
                TemplatePart::Expr(e) => match self.eval(e, model, env) {
                    Ok(v) if !v.is_none() => s.push_str(&v.display()),
                    _ => s.push('?'),
                },
            }
        }
        s
    }

    // ---- models --------------------------------------------------------------------------------

    fn tier(&self, model: &Model, diagnostics: &mut Vec<Diagnostic>) -> Option<TierOutcome> {
        let mut env = Env::new(Vec::new(), self.inputs.options.max_steps);
        for (i, rule) in self.inputs.program.tiers.iter().enumerate() {
            let (matched, error) = match &rule.condition {
                None => (true, None),
                Some(cond) => match self.holds(cond, model, &mut env) {
                    Ok(b) => (b, None),
                    Err(e) => (true, Some(e.message)),
                },
            };
            if matched {
                if let Some(err) = &error {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::TierRuleError,
                            format!(
                                "tier rule {} (`{}`) could not be evaluated: {err}; tier `{}` assigned to fail safe",
                                i + 1,
                                rule.tier.node,
                                rule.tier.node
                            ),
                        )
                        .at(model.locate_nearest("model"), "in this model")
                        .help("provide the metadata the tier rules read"),
                    );
                }
                return Some(TierOutcome {
                    tier: rule.tier.node.clone(),
                    rule: i + 1,
                    label: rule.label.as_ref().map(|l| l.node.clone()),
                    condition: rule
                        .condition
                        .as_ref()
                        .map_or_else(|| "otherwise".to_string(), |c| self.text(c)),
                    error,
                });
            }
        }
        None
    }

    fn kris<'m>(&self, model: &'m Model, tier: &'m Value) -> Vec<KriOutcome> {
        let mut out = Vec::new();
        for k in &self.inputs.program.kris {
            let mut env = Env::new(vec![tier_binding(tier)], self.inputs.options.max_steps);
            // A KRI whose `applies when` excludes the model is not computed for it; one whose
            // condition cannot be evaluated is reported with the error.
            let mut applies_error = None;
            if let Some(applies) = &k.applies {
                match self.holds(applies, model, &mut env) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => applies_error = Some(e.message),
                }
            }
            let mut outcome = KriOutcome {
                name: k.name.node.clone(),
                title: k.title.node.clone(),
                value: Value::None,
                level: KriLevel::Unknown,
                unit: k.unit.as_ref().map(|u| u.node.clone()),
                yellow: k.yellow.as_ref().map(|e| self.text(e)),
                red: k.red.as_ref().map(|e| self.text(e)),
                error: None,
            };
            if let Some(e) = applies_error {
                outcome.error = Some(e);
                out.push(outcome);
                continue;
            }
            let Some(value_expr) = &k.value else {
                out.push(outcome);
                continue;
            };
            match self.eval(value_expr, model, &mut env) {
                Ok(v) if v.is_none() => {}
                Ok(v) => {
                    let v = v.into_owned();
                    outcome.value = v.clone();
                    let origin = self.origin(value_expr, &env);
                    env.push(Binding {
                        name: "value".to_string(),
                        value: Cow::Owned(v),
                        origin,
                    });
                    let red = k.red.as_ref().map(|e| self.holds(e, model, &mut env));
                    let yellow = k.yellow.as_ref().map(|e| self.holds(e, model, &mut env));
                    outcome.level = match (red, yellow) {
                        (Some(Err(e)), _) | (_, Some(Err(e))) => {
                            outcome.error = Some(e.message);
                            KriLevel::Unknown
                        }
                        (Some(Ok(true)), _) => KriLevel::Red,
                        (_, Some(Ok(true))) => KriLevel::Yellow,
                        _ => KriLevel::Green,
                    };
                }
                Err(e) => outcome.error = Some(e.message),
            }
            out.push(outcome);
        }
        out
    }

    fn base_outcome(&self, index: usize, c: &ControlDef, status: Status) -> ControlOutcome {
        let info = match self.controls.get(index) {
            Some(info) => info.clone(),
            None => std::sync::Arc::new(control_info(self.inputs, index, c)),
        };
        ControlOutcome::new(info, status)
    }

    /// Evaluates one control whose prerequisites are decided, under the law's decision for the
    /// clauses it maps.
    #[expect(
        clippy::too_many_arguments,
        reason = "the model, its tier and law, and the per-model caches"
    )]
    fn control<'m>(
        &self,
        c: &ControlDef,
        model: &'m Model,
        tier: &'m Value,
        law: &crate::applicability::ControlLaw,
        done: &BTreeMap<usize, ControlOutcome>,
        index: usize,
        evidence_cache: &mut BTreeMap<String, Verdict>,
    ) -> ControlOutcome {
        use crate::applicability::Verdict as Law;
        let mut out = self.base_outcome(index, c, Status::Pass);
        let mut env = Env::new(vec![tier_binding(tier)], self.inputs.options.max_steps);
        // The law first: a duty that does not bind the firm for this model, at this date, does
        // not apply, and one that cannot be decided is an error.
        match law.verdict {
            Law::NotApplicable => {
                out.status = Status::NotApplicable;
                out.reason = law.reason.clone();
                return out;
            }
            Law::Undecided => {
                // A control the policy does not apply to this model needs no decision of the law.
                if let Some(applies) = &c.ast.applies
                    && let Ok(false) = self.holds(applies, model, &mut env)
                {
                    out.status = Status::NotApplicable;
                    out.reason = Some(format!("`{}` is false", self.text(applies)));
                    return out;
                }
                out.status = Status::Error;
                out.error = law.reason.clone();
                out.location = Some(Box::new(model.locate_nearest("eu_ai_act")));
                return out;
            }
            Law::InForce | Law::Upcoming => {}
        }
        let mut out = self.control_in_force(c, model, &mut env, done, index, evidence_cache, out);
        // A duty not yet in force for this model is never a gap: what would fail, be blocked or
        // not be evaluable is reported as upcoming, with the date and the reason.
        if law.verdict == Law::Upcoming
            && matches!(out.status, Status::Fail | Status::Blocked | Status::Error)
        {
            out.status = Status::Upcoming;
            out.reason = law.reason.clone();
        }
        out
    }

    /// Evaluates a control the law does not rule out: `applies`, prerequisites, assertion and
    /// evidence.
    #[expect(
        clippy::too_many_arguments,
        reason = "the model, its bindings and the per-model caches"
    )]
    fn control_in_force<'m>(
        &self,
        c: &ControlDef,
        model: &'m Model,
        env: &mut Env<'m>,
        done: &BTreeMap<usize, ControlOutcome>,
        index: usize,
        evidence_cache: &mut BTreeMap<String, Verdict>,
        mut out: ControlOutcome,
    ) -> ControlOutcome {
        let program = self.inputs.program;
        // Applicability first: a control that does not apply is never blocked.
        if let Some(applies) = &c.ast.applies {
            match self.holds(applies, model, env) {
                Ok(true) => {}
                Ok(false) => {
                    out.status = Status::NotApplicable;
                    out.reason = Some(format!("`{}` is false", self.text(applies)));
                    return out;
                }
                Err(e) => {
                    out.status = Status::Error;
                    out.error = Some(e.message);
                    out.location = Some(Box::new(model.locate_nearest("")));
                    return out;
                }
            }
        }
        // Then prerequisites.
        for p in program.graph.prerequisites(index) {
            let Some(po) = done.get(&p) else { continue };
            if po.status.is_gap() {
                out.status = Status::Blocked;
                out.blocked_by.push(po.id.clone());
                out.blocked_by.extend(po.blocked_by.iter().cloned());
                out.location = po.location.clone();
                return out;
            }
        }
        // The assertion.
        if let Some(assert) = &c.ast.assert {
            match self.holds(assert, model, env) {
                Ok(true) => {}
                Ok(false) => {
                    out.status = Status::Fail;
                    let mut raw = Vec::new();
                    self.why(assert, model, env, &mut raw);
                    out.findings = self.group_findings(c, model, raw);
                }
                Err(e) => {
                    out.status = Status::Error;
                    out.location = Some(Box::new(
                        model.locate_nearest(e.message.split('`').nth(1).unwrap_or("")),
                    ));
                    out.error = Some(e.message);
                    return out;
                }
            }
        }
        // Evidence.
        let mut missing = Vec::new();
        for ev in &c.ast.evidence {
            let paths: Vec<String> = match ev {
                Evidence::File(p) => vec![p.node.clone()],
                Evidence::Field(e) => match self.eval(e, model, env) {
                    Ok(v) => match v.as_ref() {
                        Value::String(s) => vec![s.clone()],
                        Value::List(l) => l
                            .iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect(),
                        Value::None => {
                            let p = self.origin(e, env).unwrap_or_else(|| self.text(e));
                            missing.push(Witness {
                                location: Some(model.locate_nearest(&p)),
                                text: format!("evidence `{p}` is not recorded in the metadata"),
                                path: Some(p),
                                actual: Value::None,
                                expected: Some("a path to an evidence file".to_string()),
                            });
                            continue;
                        }
                        _ => continue,
                    },
                    Err(_) => continue,
                },
            };
            for rel in paths {
                let full = match repo::evidence::resolve(&model.dir, &rel) {
                    Ok(full) => full,
                    Err(why) => return undecided(out, why, model.locate_nearest("")),
                };
                // Several controls often cite the same file: judge it once per model.
                let verdict = evidence_cache
                    .entry(full.clone())
                    .or_insert_with(|| repo::evidence::judge(self.inputs.tree, &full))
                    .clone();
                let (sha256, why) = match verdict {
                    Verdict::Evidence { sha256 } => (Some(sha256), None),
                    Verdict::Unusable { sha256, why } => (Some(sha256), Some(why)),
                    Verdict::Missing { why } => (None, Some(why)),
                    Verdict::Undecided { why } => {
                        let at = crate::source::Location::file(full);
                        return undecided(out, why, at);
                    }
                };
                out.evidence.push(EvidenceRef {
                    path: full.clone(),
                    present: sha256.is_some(),
                    sha256,
                });
                if let Some(why) = why {
                    missing.push(Witness {
                        path: None,
                        actual: Value::String(full.clone()),
                        expected: Some("an existing file".to_string()),
                        text: why,
                        location: Some(crate::source::Location::file(full)),
                    });
                }
            }
        }
        if !missing.is_empty() {
            out.status = Status::Fail;
            out.findings.push(Finding {
                message: Some("required evidence is missing".to_string()),
                witnesses: missing,
            });
        }
        if out.status == Status::Fail {
            out.location = out
                .findings
                .iter()
                .flat_map(|f| f.witnesses.iter())
                .find_map(|w| w.location.clone())
                .or_else(|| Some(model.locate_nearest("")))
                .map(Box::new);
        }
        out
    }

    fn group_findings<'m>(
        &self,
        c: &ControlDef,
        model: &'m Model,
        raw: Vec<(Vec<Binding<'m>>, Witness)>,
    ) -> Vec<Finding> {
        let mut findings: Vec<Finding> = Vec::new();
        for (bindings, w) in raw {
            let mut env = Env::new(bindings, self.inputs.options.max_steps);
            let message = c
                .ast
                .explain
                .as_ref()
                .map(|t| self.render_template(t, model, &mut env));
            match findings.iter_mut().find(|f| f.message == message) {
                Some(f) => {
                    if !f.witnesses.contains(&w) {
                        f.witnesses.push(w);
                    }
                }
                None => findings.push(Finding {
                    message,
                    witnesses: vec![w],
                }),
            }
        }
        if findings.is_empty() {
            findings.push(Finding {
                message: c.ast.explain.as_ref().map(|t| t.raw.node.clone()),
                witnesses: Vec::new(),
            });
        }
        findings
    }

    /// Evaluates one model completely.
    pub fn model(&self, model: &Model) -> ModelOutcome {
        let program = self.inputs.program;
        let mut diagnostics = model.diagnostics.clone();
        let str_at = |p: &str| {
            model
                .str_at(p)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let mut outcome = ModelOutcome {
            id: model.id.clone(),
            name: str_at("model.name").unwrap_or_else(|| model.id.clone()),
            dir: model.dir.clone(),
            file: model.file.clone(),
            owner: str_at("roles.owner"),
            validator: str_at("roles.validator"),
            lifecycle: str_at("model.status"),
            last_validation: model
                .value
                .path("validation.date")
                .and_then(Value::as_date)
                .map(|d| d.to_string()),
            vendor: str_at("model.vendor"),
            tier: None,
            evaluated: model.parsed,
            blocking: 0,
            counts: BTreeMap::new(),
            controls: Vec::new(),
            kris: Vec::new(),
            diagnostics: Vec::new(),
            law: crate::applicability::ModelLaw::default(),
        };
        if !model.parsed {
            outcome.diagnostics = diagnostics;
            outcome.count_blocking();
            return outcome;
        }
        let tier = self.tier(model, &mut diagnostics);
        let tier_value = Value::String(tier.as_ref().map(|t| t.tier.clone()).unwrap_or_default());
        // Whether each clause binds the firm for this model at this date, and why.
        let facts = crate::applicability::Facts::read(&model.value, self.law.annex_iii_points());
        for (path, problem) in &facts.problems {
            diagnostics.push(
                Diagnostic::new(Code::InvalidLegalFact, problem.clone())
                    .at(model.locate_nearest(path), "here")
                    .help(
                        "the duties that depend on it cannot be decided; see policies/schema.mrm",
                    ),
            );
        }
        let law = self.law.decide(&facts, self.inputs.options.as_of);
        let mut control_law: BTreeMap<usize, crate::applicability::ControlLaw> = BTreeMap::new();
        let mut done: BTreeMap<usize, ControlOutcome> = BTreeMap::new();
        let mut evidence_cache = BTreeMap::new();
        if let Some(t) = &tier
            && let Some(order) = program.graph.order.get(&t.tier)
        {
            for &i in order {
                let Some(c) = program.controls.get(i) else {
                    continue;
                };
                let cl = self.law.control(
                    self.control_classes.get(i).map_or(&[][..], Vec::as_slice),
                    &law,
                );
                let mut o = self.control(c, model, &tier_value, &cl, &done, i, &mut evidence_cache);
                self.apply_waiver(&mut o, model);
                control_law.insert(i, cl);
                done.insert(i, o);
            }
        }
        // The controls of other tiers are only counted.
        let other_tiers = program.controls.len().saturating_sub(done.len());
        if other_tiers > 0 {
            outcome.counts.insert(Status::NotApplicable, other_tiers);
        }
        // A gap blocks when its severity is one the run fails on and a clause it maps is in
        // force for the model in a framework whose gaps block (not a superseded one).
        for (i, c) in done.iter_mut() {
            c.blocking = c.status.is_gap()
                && self.inputs.options.fail_on.contains(&c.severity)
                && control_law.get(i).is_none_or(|l| l.blocking);
        }
        let mut controls: Vec<ControlOutcome> = done.into_values().collect();
        controls.sort_by(|a, b| a.id.cmp(&b.id));
        for c in &controls {
            *outcome.counts.entry(c.status).or_default() += 1;
        }
        outcome.controls = controls;
        outcome.kris = self.kris(model, &tier_value);
        outcome.tier = tier;
        outcome.law = law;
        crate::diagnostic::sort(&mut diagnostics);
        outcome.diagnostics = diagnostics;
        outcome.count_blocking();
        outcome
    }

    fn apply_waiver(&self, o: &mut ControlOutcome, model: &Model) {
        if o.status != Status::Fail {
            return;
        }
        let Some(w) = self
            .inputs
            .waivers
            .iter()
            .find(|w| w.model == model.id && w.control == o.id)
        else {
            return;
        };
        // A waiver binds to one model: while the id is shared, it binds to none.
        if shares_id(model) {
            o.notes.push(format!(
                "waiver {} not applied: model id `{}` is not unique",
                w.ticket, model.id
            ));
            return;
        }
        if w.expires < self.inputs.options.as_of {
            o.notes
                .push(format!("waiver {} expired on {}", w.ticket, w.expires));
            return;
        }
        if approver_conflict(w, model) {
            o.notes.push(format!(
                "waiver {} rejected: approver `{}` owns or develops this model",
                w.ticket, w.approver
            ));
            return;
        }
        o.status = Status::Waived;
        o.waiver = Some(Box::new(WaiverRef {
            ticket: w.ticket.clone(),
            approver: w.approver.clone(),
            expires: w.expires.to_string(),
            justification: w.justification.clone(),
        }));
    }
}

/// A control that cannot be decided: `error`, with why and where.
fn undecided(mut out: ControlOutcome, why: String, at: crate::source::Location) -> ControlOutcome {
    out.status = Status::Error;
    out.error = Some(why);
    out.location = Some(Box::new(at));
    out
}

fn tier_binding(tier: &Value) -> Binding<'_> {
    Binding {
        name: crate::check::TIER_VARIABLE.to_string(),
        value: Cow::Borrowed(tier),
        origin: None,
    }
}

/// Whether another model shares this model's id (see [`repo::load_all`]).
fn shares_id(model: &Model) -> bool {
    model
        .diagnostics
        .iter()
        .any(|d| d.code == Code::DuplicateModel)
}

/// Whether a waiver's approver is the model's owner or one of its developers.
fn approver_conflict(w: &Waiver, model: &Model) -> bool {
    let approver = w.approver.trim().to_lowercase();
    let owner = model.str_at("roles.owner").map(|s| s.trim().to_lowercase());
    let devs: Vec<String> = model
        .value
        .path("roles.developers")
        .and_then(Value::as_list)
        .map(|l| {
            l.iter()
                .filter_map(|v| v.as_str().map(|s| s.trim().to_lowercase()))
                .collect()
        })
        .unwrap_or_default();
    owner.as_deref() == Some(approver.as_str()) || devs.contains(&approver)
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y,
        _ => a == b,
    }
}

fn show_value(v: &Value) -> String {
    v.to_string()
}

fn show(v: &Value, e: &Expr, ev: &Evaluator<'_>) -> String {
    match &e.node {
        ExprKind::Literal(_) => show_value(v),
        _ => format!("{} (`{}`)", show_value(v), ev.text(e)),
    }
}

/// Evaluates every model and assembles the report.
pub fn evaluate(
    inputs: &Inputs<'_>,
    sources: &SourceMap,
    models: &[Model],
    repository: String,
    policy: PolicyInfo,
    mut diagnostics: Vec<Diagnostic>,
) -> RunReport {
    let evaluator = Evaluator::new(inputs, sources);
    let outcomes: Vec<ModelOutcome> = models.par_iter().map(|m| evaluator.model(m)).collect();

    // Waiver states.
    let as_of = inputs.options.as_of;
    let mut waivers = Vec::new();
    for w in inputs.waivers {
        let model = models.iter().find(|m| m.id == w.model);
        let control_exists = inputs.program.control(&w.control).is_some();
        let outcome = outcomes
            .iter()
            .find(|m| m.id == w.model)
            .and_then(|m| m.control(&w.control));
        let state = match (model, outcome) {
            _ if !control_exists => WaiverState::UnknownTarget,
            (None, _) | (_, None) => WaiverState::UnknownTarget,
            (Some(m), Some(_)) if shares_id(m) => WaiverState::AmbiguousModel,
            (Some(_), Some(o)) if o.status == Status::Waived => WaiverState::Applied,
            (Some(m), Some(o)) => {
                if w.expires < as_of {
                    WaiverState::Expired
                } else if approver_conflict(w, m) && o.status == Status::Fail {
                    WaiverState::SelfApproved
                } else {
                    WaiverState::Unused
                }
            }
        };
        let d = match state {
            WaiverState::Applied => None,
            WaiverState::Expired => Some(
                Diagnostic::new(
                    Code::WaiverExpired,
                    format!(
                        "waiver {} for `{}` on `{}` expired on {}",
                        w.ticket, w.control, w.model, w.expires
                    ),
                )
                .help("remediate the control, or renew the waiver with a new approval"),
            ),
            WaiverState::SelfApproved => Some(
                Diagnostic::new(
                    Code::WaiverSelfApproved,
                    format!(
                        "waiver {} is approved by `{}`, who owns or develops `{}`",
                        w.ticket, w.approver, w.model
                    ),
                )
                .help("segregation of duties: an independent approver must sign off"),
            ),
            WaiverState::Unused => Some(
                Diagnostic::new(
                    Code::WaiverUnused,
                    format!(
                        "waiver {} excuses nothing: `{}` does not fail for `{}`",
                        w.ticket, w.control, w.model
                    ),
                )
                .help("delete the waiver"),
            ),
            WaiverState::AmbiguousModel => Some(
                Diagnostic::new(
                    Code::WaiverAmbiguous,
                    format!(
                        "waiver {} names model `{}`, an id several models share; it applies to \
                         none of them",
                        w.ticket, w.model
                    ),
                )
                .help("give each model a unique `model.id`, then name the one the waiver is for"),
            ),
            WaiverState::UnknownTarget => Some(Diagnostic::new(
                Code::WaiverUnknown,
                format!(
                    "waiver {} names {}",
                    w.ticket,
                    if control_exists {
                        format!("unknown model `{}`", w.model)
                    } else {
                        format!("unknown control `{}`", w.control)
                    }
                ),
            )),
        };
        if let Some(d) = d {
            diagnostics.push(d.at(w.location.clone(), "this waiver"));
        }
        waivers.push(WaiverOutcome {
            model: w.model.clone(),
            control: w.control.clone(),
            ticket: w.ticket.clone(),
            approver: w.approver.clone(),
            expires: w.expires.to_string(),
            state,
            location: w.location.clone(),
            justification: w.justification.clone(),
        });
    }

    let mut summary = Summary {
        models: outcomes.len(),
        fail_on: inputs.options.fail_on.clone(),
        ..Summary::default()
    };
    for m in &outcomes {
        if m.diagnostics.iter().any(Diagnostic::is_error) || !m.evaluated {
            summary.models_with_errors += 1;
        }
        summary.blocking += m.blocking;
        if m.blocking > 0 {
            summary.blocking_models += 1;
        }
        let tier = m.tier.as_ref().map_or("(none)", |t| t.tier.as_str());
        *summary.by_tier.entry(tier.to_string()).or_default() += 1;
        for (s, n) in &m.counts {
            *summary.by_status.entry(*s).or_default() += n;
        }
        *summary
            .kris
            .entry(m.kri_level().as_str().to_string())
            .or_default() += 1;
    }
    let frameworks = inputs
        .catalogs
        .frameworks
        .values()
        .filter(|f| {
            inputs.options.frameworks.is_empty() || inputs.options.frameworks.contains(&f.meta.id)
        })
        .map(|f| FrameworkInfo {
            id: f.meta.id.clone(),
            name: f.meta.name.clone(),
            version: f.meta.version.clone(),
            status: f.meta.status.clone(),
            superseded: crate::applicability::Superseded::of(
                f,
                inputs.catalogs,
                as_of,
                &inputs.options.law,
            ),
        })
        .collect();
    crate::diagnostic::sort(&mut diagnostics);
    RunReport {
        schema_version: SCHEMA_VERSION,
        mrm_version: env!("CARGO_PKG_VERSION"),
        as_of: as_of.to_string(),
        repository,
        policy,
        frameworks,
        controls: evaluator.controls,
        law: evaluator.law,
        summary,
        models: outcomes,
        waivers,
        diagnostics,
    }
}

/// What control `c` (at `index` in the program) is, for the outcomes that share it.
fn control_info(inputs: &Inputs<'_>, index: usize, c: &ControlDef) -> ControlInfo {
    ControlInfo {
        id: c.id().to_string(),
        title: c.ast.title.node.clone(),
        severity: c.severity,
        pillar: c.ast.pillar.as_ref().map(|p| p.node.clone()),
        stage: c.ast.stage.as_ref().map(|p| p.node.clone()),
        tiers: inputs
            .program
            .graph
            .order
            .iter()
            .filter(|(_, order)| order.contains(&index))
            .map(|(tier, _)| tier.clone())
            .collect(),
        maps: clause_refs(inputs, c),
        remediation: c.ast.remediate.as_ref().map(|r| r.node.clone()),
    }
}

/// The clauses a control maps to, each with whether it binds at the evaluation date.
fn clause_refs(inputs: &Inputs<'_>, c: &ControlDef) -> Vec<ClauseRef> {
    c.ast
        .maps
        .iter()
        .map(|m| ClauseRef {
            framework: m.framework.node.clone(),
            clause: m.clause.node.clone(),
            in_force: inputs
                .catalogs
                .get(&m.framework.node)
                .is_none_or(|fw| fw.in_force(&m.clause.node, inputs.options.as_of)),
        })
        .collect()
}
