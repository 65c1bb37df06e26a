//! The pest-derived parser. Nothing outside `syntax` sees these types.

use pest::Parser as _;
use pest::iterators::Pairs;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "../grammar/mrm.pest"]
pub(super) struct MrmParser;

pub(super) type PestError = pest::error::Error<Rule>;

pub(super) fn parse_file(text: &str) -> Result<Pairs<'_, Rule>, Box<PestError>> {
    MrmParser::parse(Rule::file, text).map_err(Box::new)
}

pub(super) fn parse_placeholder(text: &str) -> Result<Pairs<'_, Rule>, Box<PestError>> {
    MrmParser::parse(Rule::placeholder, text).map_err(Box::new)
}
