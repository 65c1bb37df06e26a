//! A synthetic model repository for benchmarks, built from the example repository
//! (`examples/acme-bank`): `generate(root, n)` writes `n` models under `root/models/`, each a copy
//! of one of the example models (in turn) with its evidence files, renamed `<example>-<i>`, and a
//! `waivers.toml` with the example waivers repeated for every copy. The portfolio therefore looks
//! like a real one — most controls pass, some models carry blocking gaps, waivers apply, expire
//! or are rejected — at any size. The same `n` always gives the same files.

use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/acme-bank")
}

/// One file of an example model: its path inside the model folder and its bytes.
type Template = (PathBuf, Vec<u8>);

/// Every file under `dir`, relative to it, sorted.
fn files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes `n` models copied from the example repository, and their waivers, under `root`.
pub fn generate(root: &Path, n: usize) -> std::io::Result<()> {
    let models_dir = example().join("models");
    let mut templates: Vec<(String, Vec<Template>)> = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(&models_dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    for name in names {
        let dir = models_dir.join(&name);
        let mut contents = Vec::new();
        for rel in files(&dir)? {
            contents.push((rel.clone(), std::fs::read(dir.join(&rel))?));
        }
        templates.push((name, contents));
    }
    let waivers = std::fs::read_to_string(example().join("waivers.toml")).unwrap_or_default();
    let blocks: Vec<&str> = waivers.split("[[waiver]]").skip(1).collect();
    let mut register = String::new();
    for i in 0..n {
        let (name, contents) = &templates[i % templates.len()];
        let id = format!("{name}-{i:05}");
        let dir = root.join("models").join(&id);
        for (rel, bytes) in contents {
            let target = dir.join(rel);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let is_metadata = rel.parent().is_none_or(|p| p.as_os_str().is_empty())
                && rel
                    .file_name()
                    .is_some_and(|f| f.to_string_lossy().starts_with("model."));
            if is_metadata {
                let text = String::from_utf8_lossy(bytes)
                    .replace(&format!("\"{name}\""), &format!("\"{id}\""));
                std::fs::write(target, text)?;
            } else {
                std::fs::write(target, bytes)?;
            }
        }
        for b in &blocks {
            if b.contains(&format!("model = \"{name}\"")) {
                register.push_str("[[waiver]]");
                register.push_str(&b.replace(&format!("\"{name}\""), &format!("\"{id}\"")));
            }
        }
    }
    std::fs::write(root.join("waivers.toml"), register)?;
    Ok(())
}
