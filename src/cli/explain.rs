//! `mrm explain CODE`: the long documentation of a diagnostic code.

use std::io::{self, Write};

use super::{EXIT_ERROR, EXIT_OK, ExplainArgs};
use crate::diagnostic::{Code, did_you_mean};
use crate::eval::builtins::BUILTINS;

pub fn run(args: &ExplainArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let Some(name) = &args.code else {
        for code in Code::ALL {
            let info = code.info();
            writeln!(out, "{:<32} {}", info.name, info.summary)?;
        }
        return Ok(EXIT_OK);
    };
    let Some(code) = Code::from_name(name) else {
        write!(err, "error: unknown diagnostic code `{name}`")?;
        match did_you_mean(name, Code::ALL.iter().map(|c| c.as_str())) {
            Some(h) => writeln!(err, "\nhelp: {h}")?,
            None => writeln!(err, "\nhelp: `mrm explain` lists every code")?,
        }
        return Ok(EXIT_ERROR);
    };
    let info = code.info();
    writeln!(out, "{} ({})\n", info.name, info.severity.as_str())?;
    writeln!(out, "{}\n", info.summary)?;
    writeln!(out, "{}", info.docs)?;
    if code == Code::UnknownFunction || code == Code::WrongArity {
        writeln!(out, "\nBuiltin functions:")?;
        for b in BUILTINS {
            writeln!(out, "  {:<60} {}", b.signature, b.summary)?;
        }
    }
    Ok(EXIT_OK)
}
