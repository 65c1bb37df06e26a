#![doc = include_str!("../README.md")]
//! `SourceFile → syntax::parse → ast → check → Program (+ control graph) → evaluate(model) → RunReport → report / pack`

pub mod applicability;
pub mod ast;
pub mod check;
pub mod cli;
pub mod config;
pub mod coverage;
pub mod diagnostic;
pub mod engine;
pub mod eval;
pub mod fmt;
pub mod framework;
pub mod gaps;
pub mod git;
pub mod graph;
pub mod inert;
pub mod library;
pub mod pack;
pub mod params;
pub mod repo;
pub mod report;
pub mod source;
pub mod syntax;
pub mod value;
pub mod waiver;
