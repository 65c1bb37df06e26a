//! Checking parsed policies: names, types, framework references and the control graph.
//!
//! `check::check` takes every parsed policy file and the framework catalogs and returns a
//! [`Program`] — the evaluable form of the policy set — together with every diagnostic it found.
//! It never stops at the first problem. Evaluation must not start when any diagnostic is an error.

pub mod types;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::eval::builtins;
use crate::framework::Catalogs;
use crate::graph::{self, ControlGraph};
use crate::source::{SourceMap, Span, Spanned};
use types::{Field, Ty};

/// How severe a control's failure is. Ordered from most to least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The risk pillar a control belongs to.
pub const PILLARS: [&str; 4] = ["model", "data", "operational", "governance"];
/// The lifecycle stage a control is checked at.
pub const STAGES: [&str; 5] = [
    "development",
    "validation",
    "deployment",
    "monitoring",
    "change",
];

/// A checked control.
#[derive(Debug, Clone)]
pub struct ControlDef {
    pub ast: Control,
    pub severity: Severity,
    /// Tiers it applies to; empty means every tier.
    pub tiers: Vec<String>,
}

impl ControlDef {
    pub fn id(&self) -> &str {
        &self.ast.id.node
    }

    pub fn applies_to(&self, tier: &str) -> bool {
        self.tiers.is_empty() || self.tiers.iter().any(|t| t == tier)
    }
}

/// A clause a policy declares out of scope, or evidenced at firm level by a named owner.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeExclusion {
    pub framework: String,
    pub clause: String,
    pub reason: String,
    /// For a firm-level duty: the role that owns its evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// A policy parameter: its name, value (the declared one, or the firm's override) and type.
#[derive(Debug, Clone)]
pub struct ParamDef {
    pub name: String,
    pub value: crate::value::Value,
    pub ty: Ty,
    pub description: Option<String>,
    /// The value as declared in the policy, before any override.
    pub declared: crate::value::Value,
    pub span: Span,
}

/// A test block and the file it came from.
#[derive(Debug, Clone)]
pub struct TestDef {
    pub case: TestCase,
    /// Name of the policy file, for resolving `model "path"`.
    pub file: String,
}

/// The checked, evaluable policy set.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub name: String,
    pub version: String,
    /// Declared metadata fields, nested.
    pub schema: BTreeMap<String, Field>,
    /// Declared metadata paths, flat (`impact.financial_exposure`), in declaration order.
    pub schema_paths: Vec<(String, Field)>,
    pub tiers: Vec<TierRule>,
    /// Tier names in order of strictness (first rule first).
    pub tier_names: Vec<String>,
    pub kris: Vec<Kri>,
    pub controls: Vec<ControlDef>,
    pub control_index: BTreeMap<String, usize>,
    pub graph: ControlGraph,
    pub scopes: Vec<ScopeExclusion>,
    pub tests: Vec<TestDef>,
    /// Parameters the rules read by name, in declaration order.
    pub params: Vec<ParamDef>,
}

impl Program {
    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn control(&self, id: &str) -> Option<&ControlDef> {
        self.control_index
            .get(id)
            .and_then(|&i| self.controls.get(i))
    }
}

/// Names every control and KRI expression may read besides metadata: `tier`, the model's tier.
/// (Tier rules cannot read it: they decide it.)
pub const TIER_VARIABLE: &str = "tier";

fn tier_env() -> Vec<(String, Ty)> {
    vec![(TIER_VARIABLE.to_string(), Ty::String)]
}

/// The checker's result.
#[derive(Debug)]
pub struct Checked {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks a policy set.
pub fn check(files: &[PolicyFile], sources: &SourceMap, catalogs: &Catalogs) -> Checked {
    let mut cx = Checker {
        sources,
        catalogs,
        diagnostics: Vec::new(),
        program: Program::default(),
    };
    cx.collect(files);
    cx.check_controls();
    cx.check_kris();
    cx.check_tests();
    let graph = graph::build(&cx.program, sources, &mut cx.diagnostics);
    cx.program.graph = graph;
    cx.diagnostics
        .extend(crate::applicability::lint::lint(files, sources, catalogs));
    let mut diagnostics = cx.diagnostics;
    crate::diagnostic::sort(&mut diagnostics);
    Checked {
        program: cx.program,
        diagnostics,
    }
}

struct Checker<'a> {
    sources: &'a SourceMap,
    catalogs: &'a Catalogs,
    diagnostics: Vec<Diagnostic>,
    program: Program,
}

impl Checker<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// The names an expression may read besides metadata: the parameters, and `tier` outside the
    /// tier rules.
    fn env(&self, with_tier: bool) -> Vec<(String, Ty)> {
        let mut env: Vec<(String, Ty)> = self
            .program
            .params
            .iter()
            .map(|p| (p.name.clone(), p.ty.clone()))
            .collect();
        if with_tier {
            env.extend(tier_env());
        }
        env
    }

    /// Declares a parameter: its value must be a literal, its name unique and unlike any metadata
    /// root or the names `tier` and `value`.
    fn param(&mut self, p: &Param) {
        use crate::value::Value;
        let value = match &p.value.node {
            ExprKind::Literal(l) => match l {
                Literal::Number(n) => Some(Value::Number(*n)),
                Literal::String(s) => Some(Value::String(s.clone())),
                Literal::Bool(b) => Some(Value::Bool(*b)),
                Literal::Date(d) => Some(Value::Date(*d)),
                Literal::Duration(d) => Some(Value::Duration(*d)),
                Literal::None => None,
            },
            ExprKind::Unary(UnaryOp::Neg, inner) => match &inner.node {
                ExprKind::Literal(Literal::Number(n)) => Some(Value::Number(-n)),
                _ => None,
            },
            _ => None,
        };
        let Some(value) = value else {
            let d = Diagnostic::new(
                Code::InvalidParam,
                format!("param `{}` must be a literal value", p.name.node),
            )
            .at_span(self.sources, p.value.span, "not a literal")
            .help("write a number, string, boolean, date or duration; a firm overrides it in mrm.toml [params]");
            self.push(d);
            return;
        };
        let name = &p.name.node;
        if let Some(first) = self.program.params.iter().find(|x| &x.name == name) {
            let d = Diagnostic::new(
                Code::InvalidParam,
                format!("param `{name}` is declared twice"),
            )
            .at_span(self.sources, p.name.span, "declared again here")
            .also_span(self.sources, first.span, "first declared here");
            self.push(d);
            return;
        }
        if name == TIER_VARIABLE || name == "value" || self.program.schema.contains_key(name) {
            let d = Diagnostic::new(
                Code::InvalidParam,
                format!("param `{name}` has the name of a metadata root or of `tier` or `value`"),
            )
            .at_span(self.sources, p.name.span, "this name is taken")
            .help("give the parameter another name");
            self.push(d);
            return;
        }
        let ty = match &value {
            Value::Number(_) => Ty::Number,
            Value::String(_) => Ty::String,
            Value::Bool(_) => Ty::Bool,
            Value::Date(_) => Ty::Date,
            Value::Duration(_) => Ty::Duration,
            Value::None | Value::List(_) | Value::Map(_) => Ty::Any,
        };
        self.program.params.push(ParamDef {
            name: name.clone(),
            declared: value.clone(),
            value,
            ty,
            description: p.description.as_ref().map(|d| d.node.clone()),
            span: p.name.span,
        });
    }

    /// Gathers declarations from every file and reports duplicates.
    fn collect(&mut self, files: &[PolicyFile]) {
        let mut tiers_span: Option<Span> = None;
        let mut kri_spans: BTreeMap<String, Span> = BTreeMap::new();
        let mut test_spans: BTreeMap<String, Span> = BTreeMap::new();
        let mut any_tiers = false;
        // Schemas first: expressions anywhere may read paths declared in any file. Then the
        // parameters, which may not take a metadata root's name.
        for file in files {
            for item in &file.items {
                if let Item::Schema(s) = item {
                    for f in &s.fields {
                        self.declare(f);
                    }
                }
            }
        }
        for file in files {
            for item in &file.items {
                if let Item::Param(p) = item {
                    self.param(p);
                }
            }
        }
        for file in files {
            let file_name = self
                .sources
                .file(file.source)
                .map(|f| f.name.to_string())
                .unwrap_or_default();
            for item in &file.items {
                match item {
                    Item::Policy(h) => {
                        if self.program.name.is_empty() {
                            self.program.name = h.name.node.clone();
                            self.program.version = h
                                .version
                                .as_ref()
                                .map(|v| v.node.clone())
                                .unwrap_or_default();
                        }
                    }
                    Item::Schema(_) | Item::Param(_) => {}
                    Item::Tiers(t) => {
                        any_tiers = true;
                        if let Some(first) = tiers_span {
                            let d = Diagnostic::new(Code::DuplicateTiers, "a second `tiers` block")
                                .at_span(self.sources, t.span, "second block")
                                .also_span(self.sources, first, "first block here")
                                .help("merge the rules into one block; first match wins");
                            self.push(d);
                        } else {
                            tiers_span = Some(t.span);
                            self.tiers(t);
                        }
                    }
                    Item::Kri(k) => {
                        if let Some(first) = kri_spans.get(&k.name.node) {
                            let d = Diagnostic::new(
                                Code::DuplicateKri,
                                format!("KRI `{}` is defined twice", k.name.node),
                            )
                            .at_span(self.sources, k.name.span, "defined again here")
                            .also_span(
                                self.sources,
                                *first,
                                "first defined here",
                            );
                            self.push(d);
                        } else {
                            kri_spans.insert(k.name.node.clone(), k.name.span);
                            self.program.kris.push(k.clone());
                        }
                    }
                    Item::Control(c) => {
                        if let Some(&i) = self.program.control_index.get(&c.id.node) {
                            let first = self
                                .program
                                .controls
                                .get(i)
                                .map_or(c.id.span, |x| x.ast.id.span);
                            let d = Diagnostic::new(
                                Code::DuplicateControl,
                                format!("control `{}` is defined twice", c.id.node),
                            )
                            .at_span(self.sources, c.id.span, "defined again here")
                            .also_span(self.sources, first, "first defined here")
                            .help("control ids must be unique across all policy files");
                            self.push(d);
                        } else {
                            let severity = c
                                .severity
                                .as_ref()
                                .and_then(|s| Severity::parse(&s.node))
                                .unwrap_or(Severity::Medium);
                            self.program
                                .control_index
                                .insert(c.id.node.clone(), self.program.controls.len());
                            self.program.controls.push(ControlDef {
                                ast: c.clone(),
                                severity,
                                tiers: c.tiers.iter().map(|t| t.node.clone()).collect(),
                            });
                        }
                    }
                    Item::Scope(s) => self.scope(s),
                    Item::Test(t) => {
                        if let Some(first) = test_spans.get(&t.name.node) {
                            let d = Diagnostic::new(
                                Code::DuplicateTest,
                                format!("test `{}` is defined twice", t.name.node),
                            )
                            .at_span(self.sources, t.name.span, "defined again here")
                            .also_span(
                                self.sources,
                                *first,
                                "first defined here",
                            );
                            self.push(d);
                        } else {
                            test_spans.insert(t.name.node.clone(), t.name.span);
                            self.program.tests.push(TestDef {
                                case: t.clone(),
                                file: file_name.clone(),
                            });
                        }
                    }
                }
            }
        }
        if !any_tiers && !files.is_empty() {
            let mut d = Diagnostic::new(Code::NoTiers, "the policy set has no `tiers` block")
                .help("add `tiers { low otherwise }` or a real classification");
            if let Some(f) = files.first() {
                d = d.at_span(
                    self.sources,
                    Span::new(f.source, 0, 0),
                    "in this policy set",
                );
            }
            self.push(d);
        }
    }

    fn declare(&mut self, f: &SchemaField) {
        let dotted = f.dotted();
        let field = Field {
            ty: Ty::from_ast(&f.ty),
            optional: f.ty.optional,
            span: Some(f.span),
        };
        if let Some((_, existing)) = self.program.schema_paths.iter().find(|(p, _)| *p == dotted) {
            if existing.ty != field.ty || existing.optional != field.optional {
                let mut d = Diagnostic::new(
                    Code::DuplicateSchemaField,
                    format!(
                        "`{dotted}` is declared as `{}{}` and as `{}{}`",
                        existing.ty,
                        if existing.optional { "?" } else { "" },
                        field.ty,
                        if field.optional { "?" } else { "" }
                    ),
                )
                .at_span(self.sources, f.span, "declared again here");
                if let Some(s) = existing.span {
                    d = d.also_span(self.sources, s, "first declared here");
                }
                self.push(d);
            }
            return;
        }
        // Insert into the nested record, creating intermediate records.
        let mut map = &mut self.program.schema;
        let segments: Vec<&str> = dotted.split('.').collect();
        let mut conflict = false;
        for (i, seg) in segments.iter().enumerate() {
            if i + 1 == segments.len() {
                if map.contains_key(*seg) {
                    conflict = true;
                } else {
                    map.insert((*seg).to_string(), field.clone());
                }
                break;
            }
            let entry = map.entry((*seg).to_string()).or_insert_with(|| Field {
                ty: Ty::Record(BTreeMap::new()),
                optional: false,
                span: None,
            });
            match &mut entry.ty {
                Ty::Record(m) => map = m,
                _ => {
                    conflict = true;
                    break;
                }
            }
        }
        if conflict {
            let d = Diagnostic::new(
                Code::DuplicateSchemaField,
                format!("`{dotted}` conflicts with another schema declaration"),
            )
            .at_span(self.sources, f.span, "declared here")
            .help("a path cannot be both a value and a record of fields");
            self.push(d);
            return;
        }
        self.program.schema_paths.push((dotted, field));
    }

    fn tiers(&mut self, block: &TiersBlock) {
        let mut otherwise: Option<Span> = None;
        for rule in &block.rules {
            if let Some(o) = otherwise {
                let d = Diagnostic::new(
                    Code::UnreachableTier,
                    format!("tier rule `{}` can never match", rule.tier.node),
                )
                .at_span(self.sources, rule.span, "unreachable")
                .also_span(self.sources, o, "`otherwise` always matches first")
                .help("move `otherwise` to the last rule");
                self.push(d);
            }
            match &rule.condition {
                Some(cond) => {
                    let mut env = self.env(false);
                    let t = self.expr(cond, &mut env, &mut Vec::new());
                    self.expect_bool(&t, cond.span, "a tier rule");
                }
                None => otherwise = otherwise.or(Some(rule.span)),
            }
            if !self.program.tier_names.contains(&rule.tier.node) {
                self.program.tier_names.push(rule.tier.node.clone());
            }
        }
        if otherwise.is_none() {
            let d = Diagnostic::new(
                Code::MissingOtherwise,
                "the tier rules do not end with `otherwise`",
            )
            .at_span(
                self.sources,
                block.span,
                "these rules may leave a model without a tier",
            )
            .help("add a last rule such as `low otherwise`");
            self.push(d);
        }
        self.program.tiers = block.rules.clone();
    }

    fn scope(&mut self, block: &ScopeBlock) {
        let fw_id = &block.framework.node;
        let Some(fw) = self.catalogs.get(fw_id) else {
            let mut d = Diagnostic::new(
                Code::UnknownFramework,
                format!("unknown framework `{fw_id}`"),
            )
            .at_span(self.sources, block.framework.span, "no catalog has this id");
            if let Some(h) = did_you_mean(fw_id, self.catalogs.ids()) {
                d = d.help(h);
            }
            self.push(d);
            return;
        };
        for ex in &block.excludes {
            if !fw.contains(&ex.clause.node) {
                let mut d = Diagnostic::new(
                    Code::OutOfScopeUnknown,
                    format!("`{}` is not a clause of `{fw_id}`", ex.clause.node),
                )
                .at_span(self.sources, ex.clause.span, "unknown clause");
                if let Some(h) = did_you_mean(&ex.clause.node, fw.clause_ids()) {
                    d = d.help(h);
                }
                self.push(d);
                continue;
            }
            self.program.scopes.push(ScopeExclusion {
                framework: fw_id.clone(),
                clause: ex.clause.node.clone(),
                reason: ex.reason.node.clone(),
                owner: ex.owner.as_ref().map(|o| o.node.clone()),
            });
        }
    }

    fn unknown_name(&mut self, what: &str, value: &Ident, allowed: &[&str]) {
        let mut d = Diagnostic::new(
            Code::UnknownName,
            format!("unknown {what} `{}`", value.node),
        )
        .at_span(self.sources, value.span, format!("not a {what}"));
        d = match did_you_mean(&value.node, allowed.iter().copied()) {
            Some(h) => d.help(format!("{h} ({what} is one of {})", allowed.join(", "))),
            None => d.help(format!("{what} is one of {}", allowed.join(", "))),
        };
        self.push(d);
    }

    fn check_controls(&mut self) {
        let controls = self.program.controls.clone();
        let tier_names = self.program.tier_names.clone();
        let has_tiers = !tier_names.is_empty();
        for c in &controls {
            let ast = &c.ast;
            if let Some(p) = &ast.pillar
                && !PILLARS.contains(&p.node.as_str())
            {
                self.unknown_name("pillar", p, &PILLARS);
            }
            if let Some(s) = &ast.stage
                && !STAGES.contains(&s.node.as_str())
            {
                self.unknown_name("stage", s, &STAGES);
            }
            if let Some(s) = &ast.severity
                && Severity::parse(&s.node).is_none()
            {
                let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
                self.unknown_name("severity", s, &names);
            }
            if has_tiers {
                for t in &ast.tiers {
                    if !tier_names.contains(&t.node) {
                        let mut d = Diagnostic::new(
                            Code::UnknownTier,
                            format!(
                                "control `{}` lists undeclared tier `{}`",
                                ast.id.node, t.node
                            ),
                        )
                        .at_span(
                            self.sources,
                            t.span,
                            "no tier rule assigns this tier",
                        );
                        d = match did_you_mean(&t.node, tier_names.iter().map(String::as_str)) {
                            Some(h) => d.help(h),
                            None => d.help(format!("declared tiers: {}", tier_names.join(", "))),
                        };
                        self.push(d);
                    }
                }
            }
            for r in &ast.requires {
                if !self.program.control_index.contains_key(&r.node) {
                    let mut d = Diagnostic::new(
                        Code::UnknownControl,
                        format!(
                            "control `{}` requires unknown control `{}`",
                            ast.id.node, r.node
                        ),
                    )
                    .at_span(self.sources, r.span, "no control has this id");
                    if let Some(h) = did_you_mean(
                        &r.node,
                        self.program.control_index.keys().map(String::as_str),
                    ) {
                        d = d.help(h);
                    }
                    self.push(d);
                }
            }
            for m in &ast.maps {
                self.mapping(m);
            }
            for e in &ast.evidence {
                match e {
                    Evidence::File(path) => self.evidence_path(path),
                    Evidence::Field(expr) => {
                        let t = self.expr(expr, &mut self.env(true), &mut Vec::new());
                        if !t.is(&Ty::String) && !matches!(t, Ty::List(_)) {
                            self.type_error(
                                expr.span,
                                format!("an evidence field must be a string path, found {t}"),
                            );
                        }
                    }
                }
            }
            if let Some(applies) = &ast.applies {
                let t = self.expr(applies, &mut self.env(true), &mut Vec::new());
                self.expect_bool(&t, applies.span, "`applies when`");
            }
            let mut witnesses = self.env(true);
            if let Some(assert) = &ast.assert {
                let t = self.expr(assert, &mut self.env(true), &mut witnesses);
                self.expect_bool(&t, assert.span, "`assert`");
            }
            if let Some(explain) = &ast.explain {
                for part in &explain.parts {
                    if let TemplatePart::Expr(e) = part {
                        let mut env = witnesses.clone();
                        self.expr(e, &mut env, &mut Vec::new());
                    }
                }
            }
        }
    }

    fn evidence_path(&mut self, path: &Spanned<String>) {
        let p = &path.node;
        let bad = p.is_empty()
            || p.starts_with('/')
            || p.starts_with('\\')
            || p.get(1..2) == Some(":")
            || p.split(['/', '\\']).any(|seg| seg == "..");
        if bad {
            let d = Diagnostic::new(
                Code::InvalidEvidencePath,
                format!("evidence path `{p}` leaves the model folder"),
            )
            .at_span(
                self.sources,
                path.span,
                "not a relative path inside the repository",
            )
            .help("write the path relative to the model folder, without `..`");
            self.push(d);
        }
    }

    fn mapping(&mut self, m: &Mapping) {
        let fw_id = &m.framework.node;
        let Some(fw) = self.catalogs.get(fw_id) else {
            let mut d = Diagnostic::new(
                Code::UnknownFramework,
                format!("unknown framework `{fw_id}`"),
            )
            .at_span(self.sources, m.framework.span, "no catalog has this id");
            d = match did_you_mean(fw_id, self.catalogs.ids()) {
                Some(h) => d.help(h),
                None => d.help(format!(
                    "known frameworks: {}",
                    self.catalogs.ids().collect::<Vec<_>>().join(", ")
                )),
            };
            self.push(d);
            return;
        };
        if !fw.contains(&m.clause.node) {
            let mut d = Diagnostic::new(
                Code::UnknownClause,
                format!("`{}` is not a clause of `{fw_id}`", m.clause.node),
            )
            .at_span(self.sources, m.clause.span, "unknown clause");
            if let Some(h) = did_you_mean(&m.clause.node, fw.clause_ids()) {
                d = d.help(h);
            } else {
                d = d.help(format!("`mrm frameworks show {fw_id}` lists its clauses"));
            }
            self.push(d);
        }
    }

    fn check_kris(&mut self) {
        let kris = self.program.kris.clone();
        for k in &kris {
            if let Some(applies) = &k.applies {
                let t = self.expr(applies, &mut self.env(true), &mut Vec::new());
                self.expect_bool(&t, applies.span, "`applies when`");
            }
            let vt = match &k.value {
                Some(v) => self.expr(v, &mut self.env(true), &mut Vec::new()),
                None => Ty::Any,
            };
            for threshold in [&k.yellow, &k.red].into_iter().flatten() {
                let mut env = self.env(true);
                env.push(("value".to_string(), vt.clone()));
                let t = self.expr(threshold, &mut env, &mut Vec::new());
                self.expect_bool(&t, threshold.span, "a KRI threshold");
            }
        }
    }

    fn check_tests(&mut self) {
        let tests = self.program.tests.clone();
        for t in &tests {
            for e in &t.case.expects {
                match e {
                    Expectation::Tier(name) => {
                        if !self.program.tier_names.is_empty()
                            && !self.program.tier_names.contains(&name.node)
                        {
                            let mut d = Diagnostic::new(
                                Code::UnknownTier,
                                format!("test expects undeclared tier `{}`", name.node),
                            )
                            .at_span(
                                self.sources,
                                name.span,
                                "no tier rule assigns this tier",
                            );
                            if let Some(h) = did_you_mean(
                                &name.node,
                                self.program.tier_names.iter().map(String::as_str),
                            ) {
                                d = d.help(h);
                            }
                            self.push(d);
                        }
                    }
                    Expectation::Kri { name, level } => {
                        if !self.program.kris.iter().any(|k| k.name.node == name.node) {
                            let d = Diagnostic::new(
                                Code::UnknownKri,
                                format!("test expects unknown KRI `{}`", name.node),
                            )
                            .at_span(
                                self.sources,
                                name.span,
                                "no KRI has this name",
                            );
                            self.push(d);
                        }
                        const LEVELS: [&str; 5] =
                            ["green", "yellow", "red", "unknown", "not-applicable"];
                        if !LEVELS.contains(&level.node.as_str()) {
                            self.unknown_name("KRI level", level, &LEVELS);
                        }
                    }
                    Expectation::Control { id, status } => {
                        if !self.program.control_index.contains_key(&id.node) {
                            let mut d = Diagnostic::new(
                                Code::UnknownControl,
                                format!("test expects unknown control `{}`", id.node),
                            )
                            .at_span(
                                self.sources,
                                id.span,
                                "no control has this id",
                            );
                            if let Some(h) = did_you_mean(
                                &id.node,
                                self.program.control_index.keys().map(String::as_str),
                            ) {
                                d = d.help(h);
                            }
                            self.push(d);
                        }
                        if crate::eval::Status::parse(&status.node).is_none() {
                            let names: Vec<&str> = crate::eval::Status::ALL
                                .iter()
                                .map(|s| s.as_str())
                                .collect();
                            self.unknown_name("status", status, &names);
                        }
                    }
                }
            }
        }
    }

    // ---- expressions ---------------------------------------------------------------------------

    fn type_error(&mut self, span: Span, message: String) {
        let d = Diagnostic::new(Code::TypeMismatch, message).at_span(self.sources, span, "here");
        self.push(d);
    }

    fn expect_bool(&mut self, t: &Ty, span: Span, what: &str) {
        if !t.is(&Ty::Bool) {
            let d = Diagnostic::new(
                Code::TypeMismatch,
                format!("{what} must be a condition (bool), found {t}"),
            )
            .at_span(self.sources, span, format!("this is {t}"))
            .help("compare the value, e.g. `x >= 0.8` or `x != none`");
            self.push(d);
        }
    }

    /// Infers the type of `e`. `env` holds bound variables; `witnesses` collects quantifier
    /// variables (for `explain` placeholders).
    fn expr(
        &mut self,
        e: &Expr,
        env: &mut Vec<(String, Ty)>,
        witnesses: &mut Vec<(String, Ty)>,
    ) -> Ty {
        match &e.node {
            ExprKind::Literal(l) => match l {
                Literal::Number(_) => Ty::Number,
                Literal::String(_) => Ty::String,
                Literal::Bool(_) => Ty::Bool,
                Literal::Date(_) => Ty::Date,
                Literal::Duration(_) => Ty::Duration,
                Literal::None => Ty::None,
            },
            ExprKind::Path(segments) => self.path(segments, env, e.span),
            ExprKind::Field(base, name) => {
                let t = self.expr(base, env, witnesses);
                self.field(&t, name, self.sources.snippet(base.span))
            }
            ExprKind::Index(base, index) => {
                let t = self.expr(base, env, witnesses);
                let it = self.expr(index, env, witnesses);
                if !it.is(&Ty::Number) {
                    self.type_error(
                        index.span,
                        format!("a list index must be a number, found {it}"),
                    );
                }
                match t {
                    Ty::List(inner) => *inner,
                    Ty::Any => Ty::Any,
                    other => {
                        let d =
                            Diagnostic::new(Code::NotAList, format!("cannot index into {other}"))
                                .at_span(
                                    self.sources,
                                    base.span,
                                    format!("this is {other}, not a list"),
                                );
                        self.push(d);
                        Ty::Any
                    }
                }
            }
            ExprKind::List(items) => {
                let mut elem = Ty::Any;
                for (i, item) in items.iter().enumerate() {
                    let t = self.expr(item, env, witnesses);
                    if i == 0 {
                        elem = t;
                    } else if !t.compatible(&elem) {
                        self.type_error(
                            item.span,
                            format!("list items must have one type: {elem} and {t}"),
                        );
                    }
                }
                Ty::List(Box::new(elem))
            }
            ExprKind::Unary(op, operand) => {
                let t = self.expr(operand, env, witnesses);
                match op {
                    UnaryOp::Not => {
                        self.expect_bool(&t, operand.span, "the operand of `not`");
                        Ty::Bool
                    }
                    UnaryOp::Neg => {
                        if !t.is(&Ty::Number) {
                            self.type_error(operand.span, format!("cannot negate {t}"));
                        }
                        Ty::Number
                    }
                }
            }
            ExprKind::Binary(op, lhs, rhs) => {
                let lt = self.expr(lhs, env, witnesses);
                let rt = self.expr(rhs, env, witnesses);
                self.binary(*op, &lt, &rt, lhs, rhs)
            }
            ExprKind::Call(call) => {
                let args: Vec<Ty> = call
                    .args
                    .iter()
                    .map(|a| self.expr(a, env, witnesses))
                    .collect();
                self.call(call, &args, e.span)
            }
            ExprKind::Quantifier(q) => {
                let lt = self.expr(&q.list, env, witnesses);
                let elem = match lt {
                    Ty::List(inner) => *inner,
                    Ty::Any => Ty::Any,
                    other => {
                        let d = Diagnostic::new(
                            Code::NotAList,
                            format!("`{}` needs a list, found {other}", q.kind.as_str()),
                        )
                        .at_span(self.sources, q.list.span, format!("this is {other}"))
                        .help("quantify over a field declared as `list<…>`");
                        self.push(d);
                        Ty::Any
                    }
                };
                env.push((q.var.node.clone(), elem.clone()));
                witnesses.push((q.var.node.clone(), elem));
                let bt = self.expr(&q.body, env, witnesses);
                env.pop();
                self.expect_bool(&bt, q.body.span, "a quantifier body");
                match q.kind {
                    QuantifierKind::Count => Ty::Number,
                    QuantifierKind::All | QuantifierKind::Any => Ty::Bool,
                }
            }
        }
    }

    fn path(&mut self, segments: &[Ident], env: &[(String, Ty)], span: Span) -> Ty {
        let Some(first) = segments.first() else {
            return Ty::Any;
        };
        // A bound variable shadows schema roots.
        if let Some((_, t)) = env.iter().rev().find(|(n, _)| *n == first.node) {
            let mut t = t.clone();
            let mut prefix = first.node.clone();
            for seg in segments.iter().skip(1) {
                t = self.field(&t, seg, &prefix);
                prefix.push('.');
                prefix.push_str(&seg.node);
            }
            return t;
        }
        let mut map = &self.program.schema;
        let mut walked = String::new();
        for (i, seg) in segments.iter().enumerate() {
            let Some(field) = map.get(&seg.node) else {
                let full = join_path(segments);
                let mut candidates: Vec<&str> = self
                    .program
                    .schema_paths
                    .iter()
                    .map(|(p, _)| p.as_str())
                    .collect();
                candidates.extend(env.iter().map(|(n, _)| n.as_str()));
                let mut d = Diagnostic::new(
                    Code::UnknownPath,
                    format!("`{full}` is not declared in the schema"),
                )
                .at_span(self.sources, span, "undeclared metadata path");
                d = match did_you_mean(&full, candidates) {
                    Some(h) => d.help(h),
                    None => d.help("declare it in a `schema` block, e.g. `path.to.field: number`"),
                };
                self.push(d);
                return Ty::Any;
            };
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(&seg.node);
            if i + 1 == segments.len() {
                return field.ty.clone();
            }
            match &field.ty {
                Ty::Record(m) => map = m,
                Ty::Any => return Ty::Any,
                other => {
                    let other = other.clone();
                    let d = Diagnostic::new(
                        Code::UnknownPath,
                        format!(
                            "`{walked}` is {other}, it has no field `{}`",
                            segments.get(i + 1).map_or("", |s| s.node.as_str())
                        ),
                    )
                    .at_span(self.sources, span, "no such field")
                    .help(if matches!(other, Ty::List(_)) {
                        "to test every item use `all x in list: x.field …`"
                    } else {
                        "only records have fields"
                    });
                    self.push(d);
                    return Ty::Any;
                }
            }
        }
        Ty::Any
    }

    fn field(&mut self, t: &Ty, name: &Ident, base: &str) -> Ty {
        match t {
            Ty::Record(fields) => match fields.get(&name.node) {
                Some(f) => f.ty.clone(),
                None => {
                    let mut d = Diagnostic::new(
                        Code::UnknownPath,
                        format!("`{base}` has no field `{}`", name.node),
                    )
                    .at_span(self.sources, name.span, "unknown field");
                    if let Some(h) = did_you_mean(&name.node, fields.keys().map(String::as_str)) {
                        d = d.help(h);
                    }
                    self.push(d);
                    Ty::Any
                }
            },
            Ty::Any => Ty::Any,
            other => {
                let d = Diagnostic::new(
                    Code::UnknownPath,
                    format!("`{base}` is {other}, it has no field `{}`", name.node),
                )
                .at_span(self.sources, name.span, "no such field");
                self.push(d);
                Ty::Any
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, lt: &Ty, rt: &Ty, lhs: &Expr, rhs: &Expr) -> Ty {
        let mismatch = |me: &mut Self, msg: String| {
            let d = Diagnostic::new(Code::TypeMismatch, msg)
                .at_span(me.sources, lhs.span, format!("this is {lt}"))
                .also_span(me.sources, rhs.span, format!("this is {rt}"));
            me.push(d);
        };
        match op {
            BinaryOp::And | BinaryOp::Or => {
                self.expect_bool(
                    lt,
                    lhs.span,
                    &format!("the left operand of `{}`", op.as_str()),
                );
                self.expect_bool(
                    rt,
                    rhs.span,
                    &format!("the right operand of `{}`", op.as_str()),
                );
                Ty::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                if !lt.compatible(rt) {
                    mismatch(self, format!("cannot compare {lt} with {rt}"));
                }
                Ty::Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                if matches!(lt, Ty::None) || matches!(rt, Ty::None) {
                    mismatch(self, format!("`{}` cannot order `none`", op.as_str()));
                } else if !lt.is_ordered() || !rt.is_ordered() || !lt.compatible(rt) {
                    mismatch(
                        self,
                        format!("cannot compare {lt} with {rt} using `{}`", op.as_str()),
                    );
                }
                Ty::Bool
            }
            BinaryOp::In | BinaryOp::NotIn => {
                match rt {
                    Ty::List(inner) => {
                        if !lt.compatible(inner) {
                            mismatch(self, format!("cannot look for {lt} in {rt}"));
                        }
                    }
                    Ty::String => {
                        if !lt.is(&Ty::String) {
                            mismatch(self, format!("cannot look for {lt} in a string"));
                        }
                    }
                    Ty::Any => {}
                    other => {
                        let d = Diagnostic::new(
                            Code::NotAList,
                            format!(
                                "`{}` needs a list or a string on its right, found {other}",
                                op.as_str()
                            ),
                        )
                        .at_span(
                            self.sources,
                            rhs.span,
                            format!("this is {other}"),
                        );
                        self.push(d);
                    }
                }
                Ty::Bool
            }
            BinaryOp::Add | BinaryOp::Sub => match (lt, rt) {
                (Ty::Any, _) | (_, Ty::Any) => Ty::Any,
                (Ty::Number, Ty::Number) => Ty::Number,
                (Ty::Duration, Ty::Duration) => Ty::Duration,
                (Ty::Date, Ty::Duration) => Ty::Date,
                (Ty::Date, Ty::Date) if op == BinaryOp::Sub => Ty::Duration,
                _ => {
                    mismatch(
                        self,
                        format!("cannot apply `{}` to {lt} and {rt}", op.as_str()),
                    );
                    Ty::Any
                }
            },
            BinaryOp::Mul | BinaryOp::Div => {
                if !lt.is(&Ty::Number) || !rt.is(&Ty::Number) {
                    mismatch(
                        self,
                        format!("cannot apply `{}` to {lt} and {rt}", op.as_str()),
                    );
                }
                Ty::Number
            }
        }
    }

    fn call(&mut self, call: &Call, args: &[Ty], span: Span) -> Ty {
        let name = &call.name.node;
        let Some(b) = builtins::lookup(name) else {
            let mut d =
                Diagnostic::new(Code::UnknownFunction, format!("unknown function `{name}`"))
                    .at_span(self.sources, call.name.span, "not a builtin");
            d = match did_you_mean(name, builtins::BUILTINS.iter().map(|b| b.name)) {
                Some(h) => d.help(h),
                None => d.help("`mrm explain check/unknown-function` lists the builtins"),
            };
            self.push(d);
            return Ty::Any;
        };
        if args.len() < b.min_args || args.len() > b.max_args {
            let expected = if b.min_args == b.max_args {
                format!("{}", b.min_args)
            } else {
                format!("{} to {}", b.min_args, b.max_args)
            };
            let d = Diagnostic::new(
                Code::WrongArity,
                format!(
                    "`{name}` takes {expected} argument{}, but {} {} given",
                    if b.max_args == 1 { "" } else { "s" },
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
            )
            .at_span(self.sources, span, "wrong number of arguments")
            .help(format!("signature: {}", b.signature));
            self.push(d);
            return Ty::Any;
        }
        if name == "matches"
            && let Some(Spanned {
                node: ExprKind::Literal(Literal::String(p)),
                span,
            }) = call.args.get(1)
            && let Err(e) = regex::Regex::new(p)
        {
            let first = e
                .to_string()
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_string();
            let d = Diagnostic::new(
                Code::InvalidRegex,
                format!(
                    "invalid regular expression: {}",
                    first.trim_start_matches("error: ")
                ),
            )
            .at_span(self.sources, *span, "this pattern");
            self.push(d);
        }
        match (b.check)(args) {
            Ok(t) => t,
            Err(msg) => {
                let d = Diagnostic::new(Code::TypeMismatch, format!("`{name}`: {msg}"))
                    .at_span(self.sources, span, "in this call")
                    .help(format!("signature: {}", b.signature));
                self.push(d);
                Ty::Any
            }
        }
    }
}
