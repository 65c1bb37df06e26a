//! The step budget: a bound on the work one evaluation may do over a model's data.
//!
//! The policy language is total, but a quantifier's cost grows with the lists it ranges over, and
//! nested quantifiers multiply: `all u in c.selection: all p in c.selection: …` over a list of
//! 100,000 groups (a few MiB of metadata) is 10^10 steps. Each evaluation (a control's
//! applicability, assertion, evidence and explanation; a tier rule; a KRI) therefore carries a
//! budget of steps, spent on what grows with the data: one per quantifier item, one per list item
//! scanned by `in`, one per list item (or 64 characters of text) handed to a builtin. Work that
//! only grows with the policy's size is not counted: the policy is trusted and its nesting
//! depth is capped. When the budget runs out the evaluation stops with an `error` naming the
//! list it was iterating, never a pass.

use super::Binding;

/// Steps one evaluation may take unless `[limits] max_steps` in `mrm.toml` says otherwise.
pub const DEFAULT_MAX_STEPS: u64 = 1_000_000;

/// The bindings in force during one evaluation, and what is left of its step budget.
#[derive(Debug)]
pub(super) struct Env<'m> {
    bindings: Vec<Binding<'m>>,
    left: u64,
    limit: u64,
}

/// The budget ran out.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exhausted {
    pub limit: u64,
}

impl<'m> Env<'m> {
    pub fn new(bindings: Vec<Binding<'m>>, limit: u64) -> Self {
        Env {
            bindings,
            left: limit,
            limit,
        }
    }

    /// Spends `steps`, or says the budget is exhausted (and stays so).
    pub fn spend(&mut self, steps: u64) -> Result<(), Exhausted> {
        match self.left.checked_sub(steps) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => {
                self.left = 0;
                Err(Exhausted { limit: self.limit })
            }
        }
    }
}

/// The steps a builtin call costs: what its arguments hold.
pub(super) fn call_cost(args: &[crate::value::Value]) -> u64 {
    use crate::value::Value;
    args.iter()
        .map(|a| match a {
            Value::List(l) => l.len() as u64,
            Value::Map(m) => m.len() as u64,
            Value::String(s) => s.len() as u64 / 64,
            _ => 0,
        })
        .sum::<u64>()
        .max(1)
}

impl<'m> std::ops::Deref for Env<'m> {
    type Target = Vec<Binding<'m>>;
    fn deref(&self) -> &Self::Target {
        &self.bindings
    }
}

impl std::ops::DerefMut for Env<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.bindings
    }
}
