//! The control graph: controls and their `requires` edges.
//!
//! Built once per policy set with petgraph. Cycles are reported with every edge labelled (Tarjan's
//! strongly connected components); for each tier the applicable controls are put in topological
//! order once, so evaluation walks a precomputed list and prerequisites are always decided first.

use std::collections::BTreeMap;

use petgraph::Direction;
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::check::Program;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::SourceMap;

/// Controls as nodes (weights are indices into `Program::controls`); an edge runs from a
/// prerequisite to the control that requires it.
#[derive(Debug, Clone, Default)]
pub struct ControlGraph {
    pub graph: DiGraph<usize, ()>,
    /// For each tier, the indices of the controls that apply to it, prerequisites first.
    pub order: BTreeMap<String, Vec<usize>>,
    /// Set when the graph has a cycle: no evaluation order exists.
    pub cyclic: bool,
}

impl ControlGraph {
    /// Direct prerequisites of control `i`.
    pub fn prerequisites(&self, i: usize) -> Vec<usize> {
        let node = NodeIndex::new(i);
        if i >= self.graph.node_count() {
            return Vec::new();
        }
        let mut v: Vec<usize> = self
            .graph
            .neighbors_directed(node, Direction::Incoming)
            .filter_map(|n| self.graph.node_weight(n).copied())
            .collect();
        v.sort_unstable();
        v
    }

    /// Direct dependents of control `i`.
    pub fn dependents(&self, i: usize) -> Vec<usize> {
        if i >= self.graph.node_count() {
            return Vec::new();
        }
        let mut v: Vec<usize> = self
            .graph
            .neighbors_directed(NodeIndex::new(i), Direction::Outgoing)
            .filter_map(|n| self.graph.node_weight(n).copied())
            .collect();
        v.sort_unstable();
        v
    }

    /// Graphviz DOT of the whole graph.
    pub fn dot(&self, program: &Program) -> String {
        let mut out = String::from("digraph controls {\n  rankdir=LR;\n");
        for c in &program.controls {
            out.push_str(&format!(
                "  \"{}\" [label=\"{}\\n{}\"];\n",
                c.id(),
                c.id(),
                c.severity.as_str()
            ));
        }
        for e in self.graph.edge_indices() {
            if let Some((a, b)) = self.graph.edge_endpoints(e) {
                let (Some(a), Some(b)) = (
                    self.graph
                        .node_weight(a)
                        .and_then(|&i| program.controls.get(i)),
                    self.graph
                        .node_weight(b)
                        .and_then(|&i| program.controls.get(i)),
                ) else {
                    continue;
                };
                out.push_str(&format!("  \"{}\" -> \"{}\";\n", a.id(), b.id()));
            }
        }
        out.push_str("}\n");
        out
    }
}

/// Builds the graph, reports cycles and prerequisites that do not cover their dependents' tiers,
/// and computes each tier's evaluation order.
pub fn build(
    program: &Program,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> ControlGraph {
    let mut graph = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..program.controls.len())
        .map(|i| graph.add_node(i))
        .collect();
    for (i, c) in program.controls.iter().enumerate() {
        for r in &c.ast.requires {
            if let (Some(&j), Some(&to)) = (program.control_index.get(&r.node), nodes.get(i))
                && let Some(&from) = nodes.get(j)
            {
                graph.update_edge(from, to, ());
            }
        }
    }

    let mut cyclic = false;
    for scc in tarjan_scc(&graph) {
        let self_loop = scc.len() == 1
            && scc
                .first()
                .is_some_and(|&n| graph.find_edge(n, n).is_some());
        if scc.len() < 2 && !self_loop {
            continue;
        }
        cyclic = true;
        let mut members: Vec<usize> = scc
            .iter()
            .filter_map(|n| graph.node_weight(*n).copied())
            .collect();
        members.sort_unstable();
        let names: Vec<&str> = members
            .iter()
            .filter_map(|&i| program.controls.get(i).map(|c| c.id()))
            .collect();
        let mut d = Diagnostic::new(
            Code::Cycle,
            format!(
                "controls require each other in a cycle: {}",
                names.join(" → ")
            ),
        );
        let mut first = true;
        for &i in &members {
            let Some(c) = program.controls.get(i) else {
                continue;
            };
            for r in &c.ast.requires {
                let in_cycle = program
                    .control_index
                    .get(&r.node)
                    .is_some_and(|j| members.contains(j));
                if in_cycle {
                    let label = format!("`{}` requires `{}`", c.id(), r.node);
                    d = if first {
                        d.at_span(sources, r.span, label)
                    } else {
                        d.also_span(sources, r.span, label)
                    };
                    first = false;
                }
            }
        }
        diagnostics.push(d.help("remove one of the labelled `requires` edges"));
    }

    // Prerequisites that do not apply where their dependent does.
    for c in &program.controls {
        for r in &c.ast.requires {
            let Some(p) = program.control(&r.node) else {
                continue;
            };
            let uncovered: Vec<&str> = program
                .tier_names
                .iter()
                .filter(|t| c.applies_to(t) && !p.applies_to(t))
                .map(String::as_str)
                .collect();
            if !uncovered.is_empty() {
                diagnostics.push(
                    Diagnostic::new(
                        Code::RequiresOutsideTier,
                        format!(
                            "`{}` requires `{}`, which does not apply to tier{} {}",
                            c.id(),
                            p.id(),
                            if uncovered.len() == 1 { "" } else { "s" },
                            uncovered
                                .iter()
                                .map(|t| format!("`{t}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .at_span(sources, r.span, "required here")
                    .also_span(sources, p.ast.id.span, "prerequisite defined here")
                    .help("in those tiers the requirement is ignored"),
                );
            }
        }
    }

    let mut order = BTreeMap::new();
    if !cyclic {
        let sorted: Vec<usize> = match toposort(&graph, None) {
            Ok(v) => v
                .into_iter()
                .filter_map(|n| graph.node_weight(n).copied())
                .collect(),
            Err(_) => Vec::new(),
        };
        for tier in &program.tier_names {
            let list: Vec<usize> = sorted
                .iter()
                .copied()
                .filter(|&i| program.controls.get(i).is_some_and(|c| c.applies_to(tier)))
                .collect();
            order.insert(tier.clone(), list);
        }
    }
    ControlGraph {
        graph,
        order,
        cyclic,
    }
}
