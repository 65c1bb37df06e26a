//! Making text from a repository inert before it is shown.
//!
//! Model metadata, file names, waivers and configuration are written by the author of a change,
//! who is not trusted. Reports quote them, so a quoted value must not act on the medium it is
//! shown in: a terminal escape sequence that clears the screen, hides a line or rewrites the
//! verdict; a new line that forges a report line; a bidirectional override that makes text read
//! differently from what it is; a Markdown link that disguises its target; a CSV cell that a
//! spreadsheet runs as a formula. Each function here neutralises one medium and is applied where
//! repository text meets that medium; text mrm writes itself (verdicts, colours, labels) is left
//! alone. JSON, SARIF, JUnit, OSCAL and HTML are escaped by their serialisers.

use std::borrow::Cow;

/// Whether a character must not reach a terminal as itself: control characters (new lines and
/// tabs included, C1 controls such as the one-character CSI), line and paragraph separators, and
/// invisible or direction-changing characters (see [`crate::repo::is_invisible`]).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || crate::repo::is_invisible(c)
}

/// One line of repository text for a terminal: every unsafe character is written as its escape
/// (`\u{1b}`), so that it is seen rather than obeyed.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A file's text for a source excerpt: unsafe characters other than line breaks and tabs become
/// `?`, one per byte, so that byte offsets into the text (the spans of a diagnostic) still hold.
pub fn excerpt(s: &str) -> Cow<'_, str> {
    let keep = |c: char, next: Option<char>| {
        c == '\n' || c == '\t' || (c == '\r' && next == Some('\n')) || !is_unsafe(c)
    };
    let mut chars = s.chars().peekable();
    let mut clean = true;
    while let Some(c) = chars.next() {
        if !keep(c, chars.peek().copied()) {
            clean = false;
            break;
        }
    }
    if clean {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if keep(c, chars.peek().copied()) {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        }
    }
    Cow::Owned(out)
}

/// Repository text for Markdown prose and table cells: Markdown syntax characters are
/// backslash-escaped, so no link, image, emphasis, strike-through, code span or table cell can be
/// opened (without `[`, `(` and `!` open nothing), `<` and
/// `&` are written as entities, so no raw HTML or character reference is, and line breaks and
/// unsafe characters are written as escapes, so no block can be started.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c if is_unsafe(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// Text that quotes paths and values in backticks (engine messages and findings) for Markdown:
/// each backtick-quoted part becomes a code span, whose content Markdown does not interpret, and
/// the rest is escaped as by [`markdown`]. An unpaired backtick is escaped. In a table cell
/// (`cell`), `|` inside code spans is escaped too, as GitHub-flavoured tables require.
pub fn markdown_ticks(s: &str, cell: bool) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    // With an even number of parts the last backtick is unpaired: its part is prose.
    let paired = parts.len() % 2 == 1;
    let mut out = String::with_capacity(s.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if i % 2 == 1 && (paired || !last) {
            out.push('`');
            let code = line(part);
            if cell {
                out.push_str(&code.replace('|', "\\|"));
            } else {
                out.push_str(&code);
            }
            out.push('`');
        } else {
            if i % 2 == 1 {
                out.push_str("\\`");
            }
            out.push_str(&markdown(part));
        }
    }
    out
}

/// Repository text as a Markdown code span, fenced with more backticks than it holds so that it
/// cannot close the span early; `|` is escaped so that a table cell holding it stays one cell.
pub fn markdown_code(s: &str) -> String {
    let body: String = line(s).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    // A space on each side when the text starts or ends with a backtick, as CommonMark strips.
    if body.starts_with('`') || body.ends_with('`') {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

/// A CSV cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return) is prefixed with `'`, which spreadsheets show as text. Numbers keep
/// their sign.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && s.parse::<f64>().is_err() {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_shows_escapes_instead_of_obeying_them() {
        assert_eq!(line("plain"), "plain");
        assert_eq!(
            line("a\u{1b}[2Jb\nc\u{202e}d\u{9b}"),
            "a\\u{1b}[2Jb\\u{a}c\\u{202e}d\\u{9b}"
        );
    }

    #[test]
    fn excerpts_keep_their_byte_offsets() {
        let s = "x = \"\u{1b}[8m\u{202e}\"\r\ny\r\tz\n";
        let e = excerpt(s);
        assert_eq!(e.len(), s.len());
        assert_eq!(e, "x = \"?[8m???\"\r\ny?\tz\n");
    }

    #[test]
    fn markdown_cannot_open_links_images_or_html() {
        assert_eq!(
            markdown("![x](http://e) [ok](javascript:1) <b>&amp;"),
            r"!\[x\](http://e) \[ok\](javascript:1) &lt;b>&amp;amp;"
        );
        assert_eq!(
            markdown_ticks("`a[0]` = \"[x](y)\"", false),
            r#"`a[0]` = "\[x\](y)""#
        );
        assert_eq!(markdown_ticks("odd ` [x]", true), r"odd \` \[x\]");
        assert_eq!(markdown_ticks("`a|b`", true), r"`a\|b`");
        assert_eq!(markdown_code("a`b|c"), "``a`b\\|c``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
    }

    #[test]
    fn csv_formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("+1+1"), "'+1+1");
        assert_eq!(csv_cell("-0.5"), "-0.5");
        assert_eq!(csv_cell("model"), "model");
    }
}
