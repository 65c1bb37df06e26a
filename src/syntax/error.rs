//! Turning pest failures into diagnostics that speak of tokens, not grammar rules.

use pest::error::{ErrorVariant, InputLocation};

use super::grammar::{PestError, Rule};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceId, SourceMap, Span};

/// What a user should read for a rule the parser expected.
fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::langle => "`<`",
        Rule::rangle => "`>`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::qmark => "`?`",
        Rule::dot => "`.`",
        Rule::EOI => "end of file",
        Rule::ident | Rule::field_path | Rule::path_expr | Rule::call_name => "a name",
        Rule::name => "a name",
        Rule::framework_id => "a framework id",
        Rule::string | Rule::string_part | Rule::string_text => "a string",
        Rule::escape => "an escape sequence",
        Rule::text_block | Rule::text_body => "a `\"\"\"` text block",
        Rule::date => "a date",
        Rule::duration => "a duration",
        Rule::number => "a number",
        Rule::boolean => "`true` or `false`",
        Rule::none_lit => "`none`",
        Rule::policy_decl => "`policy`",
        Rule::param_decl => "`param`",
        Rule::assign => "`=`",
        Rule::schema_block => "`schema`",
        Rule::tiers_block => "`tiers`",
        Rule::kri_block => "`kri`",
        Rule::control_block => "`control`",
        Rule::scope_block => "`scope`",
        Rule::test_block => "`test`",
        Rule::file | Rule::placeholder => "a policy item",
        Rule::schema_field => "a schema field",
        Rule::type_expr | Rule::type_name | Rule::list_type | Rule::record_type => "a type",
        Rule::record_field => "a record field",
        Rule::tier_rule => "a tier rule",
        Rule::tier_when => "`when`",
        Rule::tier_otherwise => "`otherwise`",
        Rule::kri_applies => "`applies`",
        Rule::scope_firm => "`firm`",
        Rule::kri_value => "`value`",
        Rule::kri_yellow => "`yellow`",
        Rule::kri_red => "`red`",
        Rule::kri_unit => "`unit`",
        Rule::c_pillar => "`pillar`",
        Rule::c_stage => "`stage`",
        Rule::c_tiers => "`tiers`",
        Rule::c_severity => "`severity`",
        Rule::c_maps => "`maps`",
        Rule::mapping => "a framework mapping",
        Rule::c_requires => "`requires`",
        Rule::c_evidence => "`evidence`",
        Rule::evidence_item => "an evidence path",
        Rule::c_applies => "`applies`",
        Rule::c_assert => "`assert`",
        Rule::c_explain => "`explain`",
        Rule::c_remediate => "`remediate`",
        Rule::scope_exclude => "`exclude`",
        Rule::t_model => "`model`",
        Rule::t_inline => "`metadata`",
        Rule::t_as_of => "`as_of`",
        Rule::t_expect_tier | Rule::t_expect_kri | Rule::t_expect_control => "`expect`",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::add_expr
        | Rule::mul_expr
        | Rule::unary
        | Rule::postfix
        | Rule::paren
        | Rule::list_lit
        | Rule::call
        | Rule::quantifier
        | Rule::count_expr => "an expression",
        Rule::field_access => "`.`",
        Rule::index => "`[`",
        Rule::quant_kind => "`all` or `any`",
        Rule::or_op => "`or`",
        Rule::and_op => "`and`",
        Rule::not_op => "`not`",
        Rule::neg_op => "`-`",
        Rule::cmp_op => "a comparison operator",
        Rule::add_op => "`+` or `-`",
        Rule::mul_op => "`*` or `/`",
        Rule::keyword => "a keyword",
        Rule::item => "a policy item",
        Rule::control_clause => "a control clause",
        Rule::kri_clause => "a KRI clause",
        Rule::test_clause => "a test clause",
        Rule::type_base => "a type",
        Rule::primary => "an expression",
        Rule::ident_char | Rule::digits => "a character",
        Rule::WHITESPACE | Rule::COMMENT => "whitespace",
    }
}

/// The token found at `offset`, for "found `x`".
fn found_at(text: &str, offset: usize) -> String {
    let rest = text.get(offset..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return "end of file".to_string();
    };
    if first.is_alphanumeric() || first == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .take(32)
            .collect();
        format!("`{word}`")
    } else if first == '"' {
        "a string".to_string()
    } else if first == '\n' || first == '\r' {
        "end of line".to_string()
    } else {
        format!("`{first}`")
    }
}

fn join_alternatives(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// Converts a pest error at byte offset `base` of file `id` into a diagnostic.
pub(super) fn convert(
    err: &PestError,
    sources: &SourceMap,
    id: SourceId,
    base: usize,
) -> Diagnostic {
    let text = sources
        .file(id)
        .map(|f| f.text.get(base..).unwrap_or(""))
        .unwrap_or("");
    let (start, end) = match err.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    let found = found_at(text, start);
    // At the end of the input, point just after the last token rather than at an empty last line.
    let code_len = text.trim_end().len();
    let (start, end) = if start >= code_len && start > 0 {
        (code_len, code_len)
    } else {
        (start, end)
    };
    if let ErrorVariant::ParsingError { positives, .. } = &err.variant
        && positives.contains(&Rule::escape)
        && let Some(d) = unknown_escape(text, start, sources, id, base)
    {
        return d;
    }
    let message = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut expected: Vec<&str> = positives
                .iter()
                .map(|r| describe(*r))
                .filter(|d| *d != "whitespace")
                .collect();
            expected.sort_unstable();
            expected.dedup();
            if expected.is_empty() {
                format!("unexpected {found}")
            } else {
                format!("expected {}, found {found}", join_alternatives(&expected))
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let mut end = end;
    if end == start {
        // Underline the offending token.
        let token_len = text
            .get(start..)
            .map(|rest| {
                let word: usize = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
                    .map(char::len_utf8)
                    .sum();
                if word > 0 {
                    word
                } else {
                    rest.chars().next().map_or(0, char::len_utf8)
                }
            })
            .unwrap_or(0);
        end = start + token_len;
    }
    let help = if message.contains("`:`") {
        Some("quantifiers are written `all x in list: condition`")
    } else if message.contains("found a string") && message.contains("a name") {
        Some("names are written without quotes")
    } else {
        None
    };
    let d = Diagnostic::new(Code::UnexpectedToken, message).at_span(
        sources,
        Span::new(id, base + start, base + end),
        "unexpected here",
    );
    match help {
        Some(h) => d.help(h),
        None => d,
    }
}

/// A backslash inside a string that starts no escape the grammar knows (`"C:\data"`): reported
/// as an unknown escape rather than as an unexpected `\`.
fn unknown_escape(
    text: &str,
    start: usize,
    sources: &SourceMap,
    id: SourceId,
    base: usize,
) -> Option<Diagnostic> {
    let rest = text.get(start..)?.strip_prefix('\\')?;
    let next = rest.chars().next().filter(|c| !c.is_control());
    let sequence = next.map_or_else(|| "\\".to_string(), |c| format!("\\{c}"));
    let end = start + 1 + next.map_or(0, char::len_utf8);
    Some(
        Diagnostic::new(
            Code::InvalidEscape,
            format!("unknown escape sequence `{sequence}`"),
        )
        .at_span(
            sources,
            Span::new(id, base + start, base + end),
            "not a valid escape",
        )
        .help(
            "write a backslash as `\\\\`; the escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, \
             `\\{`, `\\}` and `\\u{…}`",
        ),
    )
}
