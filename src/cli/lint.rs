//! `mrm lint`: parse and check policies, print every diagnostic.

use std::io::{self, Write};

use super::{DiagFormat, EXIT_ERROR, EXIT_OK, LintArgs};
use crate::diagnostic::render;
use crate::framework::Catalogs;
use crate::library::{self, PolicySource};

pub fn run(args: &LintArgs, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<u8> {
    let (catalogs, cat_diags) = Catalogs::embedded();
    let sources: Vec<PolicySource> = if args.paths.is_empty() {
        vec![PolicySource::Embedded]
    } else {
        args.paths.iter().cloned().map(PolicySource::Path).collect()
    };
    let mut set = library::load(&sources, catalogs);
    set.diagnostics.extend(cat_diags);
    let diagnostics = set.all_diagnostics();
    match args.format {
        DiagFormat::Json => {
            writeln!(out, "{}", render::json(&diagnostics))?;
        }
        DiagFormat::Text => {
            if diagnostics.is_empty() {
                let controls = set.checked.program.controls.len();
                writeln!(
                    out,
                    "{} policy file{} checked: {} control{}, {} KRI{}, {} test{}; no problems found",
                    set.files.len(),
                    plural(set.files.len()),
                    controls,
                    plural(controls),
                    set.checked.program.kris.len(),
                    plural(set.checked.program.kris.len()),
                    set.checked.program.tests.len(),
                    plural(set.checked.program.tests.len()),
                )?;
            } else {
                write!(
                    out,
                    "{}",
                    render::text_all(&diagnostics, &set.sources, args.color.enabled())
                )?;
            }
        }
    }
    Ok(if set.has_errors() {
        EXIT_ERROR
    } else {
        EXIT_OK
    })
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
