//! Static types of metadata paths and expressions.

use std::collections::BTreeMap;
use std::fmt;

use crate::ast::{TypeExpr, TypeKind};
use crate::source::Span;

/// The type of an expression or a declared metadata field.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// Unknown or deliberately untyped: compatible with everything.
    Any,
    None,
    Bool,
    Number,
    String,
    Date,
    Duration,
    List(Box<Ty>),
    Record(BTreeMap<String, Field>),
}

/// A declared field: its type, whether it may be absent, and where it was declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub ty: Ty,
    pub optional: bool,
    pub span: Option<Span>,
}

impl Ty {
    pub fn from_ast(t: &TypeExpr) -> Ty {
        match &t.kind {
            TypeKind::String => Ty::String,
            TypeKind::Number => Ty::Number,
            TypeKind::Bool => Ty::Bool,
            TypeKind::Date => Ty::Date,
            TypeKind::Duration => Ty::Duration,
            TypeKind::Any => Ty::Any,
            TypeKind::List(inner) => Ty::List(Box::new(Ty::from_ast(inner))),
            TypeKind::Record(fields) => Ty::Record(
                fields
                    .iter()
                    .map(|(name, ty)| {
                        (
                            name.node.clone(),
                            Field {
                                ty: Ty::from_ast(ty),
                                optional: ty.optional,
                                span: Some(name.span),
                            },
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// Whether a value of type `self` can be compared for equality with one of type `other`.
    pub fn compatible(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Any, _) | (_, Ty::Any) | (Ty::None, _) | (_, Ty::None) => true,
            (Ty::List(a), Ty::List(b)) => a.compatible(b),
            (Ty::Record(_), Ty::Record(_)) => true,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }

    pub fn is(&self, other: &Ty) -> bool {
        matches!(self, Ty::Any) || self.compatible(other) && !matches!(self, Ty::None)
    }

    pub fn is_ordered(&self) -> bool {
        matches!(
            self,
            Ty::Any | Ty::Number | Ty::Date | Ty::Duration | Ty::String
        )
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Any => f.write_str("any"),
            Ty::None => f.write_str("none"),
            Ty::Bool => f.write_str("bool"),
            Ty::Number => f.write_str("number"),
            Ty::String => f.write_str("string"),
            Ty::Date => f.write_str("date"),
            Ty::Duration => f.write_str("duration"),
            Ty::List(t) => write!(f, "list<{t}>"),
            Ty::Record(fields) => {
                f.write_str("{ ")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {}{}", v.ty, if v.optional { "?" } else { "" })?;
                }
                f.write_str(" }")
            }
        }
    }
}
