//! Embeds the shipped policy library and framework catalogs: every `policies/**/*.mrm` and
//! `frameworks/*.toml` is listed here at build time, so adding a file needs no code change.

use std::fmt::Write as _;
use std::path::Path;

fn collect(dir: &Path, ext: &str, recursive: bool, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if recursive {
                collect(&path, ext, recursive, out);
            }
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = Path::new(&root);
    let mut code = String::new();
    for (name, dir, ext, recursive) in [
        ("POLICIES", "policies", "mrm", false),
        ("FRAMEWORKS", "frameworks", "toml", false),
    ] {
        println!("cargo:rerun-if-changed={dir}");
        let mut files = Vec::new();
        collect(&root.join(dir), ext, recursive, &mut files);
        let _ = writeln!(code, "pub const {name}: &[(&str, &str)] = &[");
        for f in &files {
            let rel = Path::new(f)
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_else(|_| f.clone());
            println!("cargo:rerun-if-changed={f}");
            let _ = writeln!(code, "    ({rel:?}, include_str!({f:?})),");
        }
        let _ = writeln!(code, "];");
    }
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    let _ = std::fs::write(Path::new(&out).join("embedded.rs"), code);
}
