//! The typed syntax tree of the policy language.
//!
//! Produced by `syntax::parse`, consumed by `check`, `fmt` and (through `check::Program`) by the
//! evaluator. Every node that a diagnostic may point at carries a [`Span`]; equality ignores spans,
//! so formatting can be shown to preserve meaning by comparing trees.

use crate::source::{SourceId, Span, Spanned};

pub type Ident = Spanned<String>;

/// One parsed `.mrm` file.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFile {
    pub source: SourceId,
    pub items: Vec<Item>,
    /// `//` comments with their spans, for the formatter.
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub text: String,
    pub span: Span,
    /// True when code precedes the comment on its line.
    pub trailing: bool,
}

impl PartialEq for Comment {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Policy(PolicyHeader),
    Param(Param),
    Schema(SchemaBlock),
    Tiers(TiersBlock),
    Kri(Kri),
    Control(Control),
    Scope(ScopeBlock),
    Test(TestCase),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Policy(x) => x.span,
            Item::Param(x) => x.span,
            Item::Schema(x) => x.span,
            Item::Tiers(x) => x.span,
            Item::Kri(x) => x.span,
            Item::Control(x) => x.span,
            Item::Scope(x) => x.span,
            Item::Test(x) => x.span,
        }
    }
}

/// `policy "name" version "1.0.0"`
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyHeader {
    pub name: Spanned<String>,
    pub version: Option<Spanned<String>>,
    pub span: Span,
}

/// `param high_exposure = 50_000_000 "Exposure that makes a model high tier on its own"`: a named
/// literal the rules read, which a firm may override in `mrm.toml` under `[params]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    /// Checked to be a literal (a number may be negative).
    pub value: Expr,
    pub description: Option<Spanned<String>>,
    pub span: Span,
}

/// `schema { path: type ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaBlock {
    pub fields: Vec<SchemaField>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SchemaField {
    /// Dotted path segments: `impact.financial_exposure`.
    pub path: Vec<Ident>,
    pub ty: TypeExpr,
    pub span: Span,
}

impl SchemaField {
    pub fn dotted(&self) -> String {
        join_path(&self.path)
    }
}

pub fn join_path(segments: &[Ident]) -> String {
    let mut s = String::new();
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        s.push_str(&seg.node);
    }
    s
}

/// A declared type, with `?` for optional.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub optional: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    String,
    Number,
    Bool,
    Date,
    Duration,
    Any,
    List(Box<TypeExpr>),
    Record(Vec<(Ident, TypeExpr)>),
}

/// `tiers { high when … medium when … low otherwise }`
#[derive(Debug, Clone, PartialEq)]
pub struct TiersBlock {
    pub rules: Vec<TierRule>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TierRule {
    pub tier: Ident,
    /// Optional description reported with the tier: `high "EU AI Act Annex III" when …`.
    pub label: Option<Spanned<String>>,
    /// `None` for `otherwise`.
    pub condition: Option<Expr>,
    pub span: Span,
}

/// `kri PSI "Population stability index" { value … yellow when … red when … }`
#[derive(Debug, Clone, PartialEq)]
pub struct Kri {
    pub name: Ident,
    pub title: Spanned<String>,
    /// `applies when …`: outside it the KRI is not computed for the model.
    pub applies: Option<Expr>,
    pub value: Option<Expr>,
    pub yellow: Option<Expr>,
    pub red: Option<Expr>,
    pub unit: Option<Spanned<String>>,
    pub span: Span,
}

/// A control: one testable governance requirement.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub id: Ident,
    pub title: Spanned<String>,
    pub pillar: Option<Ident>,
    pub stage: Option<Ident>,
    /// Empty means every tier.
    pub tiers: Vec<Ident>,
    pub severity: Option<Ident>,
    pub maps: Vec<Mapping>,
    pub requires: Vec<Ident>,
    pub evidence: Vec<Evidence>,
    /// `applies when …`: outside it the control is not applicable.
    pub applies: Option<Expr>,
    pub assert: Option<Expr>,
    pub explain: Option<Template>,
    pub remediate: Option<Spanned<String>>,
    pub span: Span,
}

/// `eu-ai-act "Art 10(2)(f)"`
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub framework: Ident,
    pub clause: Spanned<String>,
    pub span: Span,
}

/// An evidence file: a literal path relative to the model folder, or a metadata path whose
/// string value is such a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Evidence {
    File(Spanned<String>),
    Field(Expr),
}

impl Evidence {
    pub fn span(&self) -> Span {
        match self {
            Evidence::File(s) => s.span,
            Evidence::Field(e) => e.span,
        }
    }
}

/// An `explain` text with `{expr}` placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The string as written (unescaped), for the formatter.
    pub raw: Spanned<String>,
    pub parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Text(String),
    Expr(Expr),
}

/// `scope eu-ai-act { exclude "Art 43" because "…" }`
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeBlock {
    pub framework: Ident,
    pub excludes: Vec<ScopeExclude>,
    pub span: Span,
}

/// `exclude "4.1" because "…"`, or `firm "Art 4" owner "ai-governance" because "…"`: a duty
/// of the firm as a whole, evidenced at firm level by the named owner rather than per model.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeExclude {
    pub clause: Spanned<String>,
    /// For a firm-level duty: the role that owns its evidence (named in `mrm.toml`
    /// `[roles.firm_level]`).
    pub owner: Option<Spanned<String>>,
    pub reason: Spanned<String>,
    pub span: Span,
}

/// `test "name" { model "path" expect tier high expect DR-FAIR-01 fail }`
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub name: Spanned<String>,
    pub model: Option<Spanned<String>>,
    pub metadata: Option<Spanned<String>>,
    pub as_of: Option<Spanned<jiff::civil::Date>>,
    pub expects: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Tier(Ident),
    Kri { name: Ident, level: Ident },
    Control { id: Ident, status: Ident },
}

// ---- expressions -------------------------------------------------------------------------------

pub type Expr = Spanned<ExprKind>;

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// `impact.financial_exposure`, `g.group`: the first segment may be a bound variable.
    Path(Vec<Ident>),
    /// `expr.field` on something that is not a plain path (a call result, an index).
    Field(Box<Expr>, Ident),
    /// `expr[index]`
    Index(Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Call),
    Quantifier(Box<Quantifier>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(f64),
    String(String),
    Bool(bool),
    Date(jiff::civil::Date),
    /// Whole days.
    Duration(i64),
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    /// Binding strength; higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In
            | BinaryOp::NotIn => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Dotted: `git.last_change`.
    pub name: Ident,
    pub args: Vec<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantifierKind {
    All,
    Any,
    Count,
}

impl QuantifierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuantifierKind::All => "all",
            QuantifierKind::Any => "any",
            QuantifierKind::Count => "count",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Quantifier {
    pub kind: QuantifierKind,
    pub var: Ident,
    pub list: Expr,
    pub body: Expr,
}
