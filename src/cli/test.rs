//! `mrm test`: run the `test` blocks of the policies.
//!
//! Each test names a fixture model folder (relative to its policy file) or inline metadata, an
//! optional evaluation date, and expected tier, KRI levels and control statuses. A test passes
//! when every expectation holds. Coverage counts the controls that some passing test observed
//! both passing and failing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{EXIT_ERROR, EXIT_GAPS, EXIT_OK, TestArgs, today};
use crate::ast::Expectation;
use crate::check::TestDef;
use crate::diagnostic::render;
use crate::eval::{self, Inputs, Options, PolicyInfo, Status};
use crate::framework::Catalogs;
use crate::library::{self, PolicySet, PolicySource};
use crate::repo::{self, Model, Tree, WorkTree};
use crate::source::SourceMap;

/// The outcome of one test.
struct TestResult {
    name: String,
    failures: Vec<String>,
    observed: Vec<(String, Status)>,
}

pub fn run(args: &TestArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let (catalogs, cat_diags) = Catalogs::embedded();
    let sources: Vec<PolicySource> = if !args.paths.is_empty() {
        args.paths.iter().cloned().map(PolicySource::Path).collect()
    } else if Path::new("policies").is_dir() {
        vec![PolicySource::Path(PathBuf::from("policies"))]
    } else {
        vec![PolicySource::Embedded]
    };
    let mut set = library::load(&sources, catalogs);
    set.diagnostics.extend(cat_diags);
    if set.has_errors() {
        write!(
            err,
            "{}",
            render::text_all(&set.all_diagnostics(), &set.sources, args.color.enabled())
        )?;
        return Ok(EXIT_ERROR);
    }
    let tests: Vec<&TestDef> = set
        .checked
        .program
        .tests
        .iter()
        .filter(|t| {
            args.filter
                .as_ref()
                .is_none_or(|f| t.case.name.node.contains(f.as_str()))
        })
        .collect();
    writeln!(
        out,
        "running {} test{}",
        tests.len(),
        if tests.len() == 1 { "" } else { "s" }
    )?;
    let mut results = Vec::new();
    for t in &tests {
        let r = run_one(&set, t, args.as_of);
        writeln!(
            out,
            "test {} ... {}",
            r.name,
            if r.failures.is_empty() {
                "ok"
            } else {
                "FAILED"
            }
        )?;
        results.push(r);
    }
    let failed: Vec<&TestResult> = results.iter().filter(|r| !r.failures.is_empty()).collect();
    if !failed.is_empty() {
        writeln!(out, "\nfailures:")?;
        for r in &failed {
            writeln!(out, "\n---- {} ----", r.name)?;
            for f in &r.failures {
                writeln!(out, "  {f}")?;
            }
        }
    }
    // Coverage: controls seen passing and failing in passing tests.
    let mut seen: BTreeMap<&str, BTreeSet<Status>> = BTreeMap::new();
    for r in results.iter().filter(|r| r.failures.is_empty()) {
        for (id, s) in &r.observed {
            seen.entry(id.as_str()).or_default().insert(*s);
        }
    }
    let controls: Vec<&str> = set
        .checked
        .program
        .controls
        .iter()
        .map(|c| c.id())
        .collect();
    let covered: Vec<&str> = controls
        .iter()
        .copied()
        .filter(|c| {
            seen.get(c).is_some_and(|s| {
                s.contains(&Status::Pass)
                    && (s.contains(&Status::Fail) || s.contains(&Status::Upcoming))
            })
        })
        .collect();
    let pct = if controls.is_empty() {
        100.0
    } else {
        covered.len() as f64 * 100.0 / controls.len() as f64
    };
    writeln!(
        out,
        "\ncoverage: {}/{} controls have a passing and a failing fixture ({:.1}%)",
        covered.len(),
        controls.len(),
        pct
    )?;
    let uncovered: Vec<&str> = controls
        .iter()
        .copied()
        .filter(|c| !covered.contains(c))
        .collect();
    if !uncovered.is_empty() && args.min_coverage.is_some() {
        writeln!(out, "not covered: {}", uncovered.join(", "))?;
    }
    writeln!(
        out,
        "\n{} passed, {} failed",
        results.len() - failed.len(),
        failed.len()
    )?;
    let below = args.min_coverage.is_some_and(|m| pct + 1e-9 < m);
    if below {
        writeln!(
            out,
            "coverage {pct:.1}% is below the required {:.1}%",
            args.min_coverage.unwrap_or(0.0)
        )?;
    }
    Ok(if failed.is_empty() && !below {
        EXIT_OK
    } else {
        EXIT_GAPS
    })
}

fn run_one(set: &PolicySet, t: &TestDef, as_of: Option<jiff::civil::Date>) -> TestResult {
    let case = &t.case;
    let name = case.name.node.clone();
    let mut result = TestResult {
        name: name.clone(),
        failures: Vec::new(),
        observed: Vec::new(),
    };
    let program = &set.checked.program;
    let date = case
        .as_of
        .as_ref()
        .map(|d| d.node)
        .or(as_of)
        .unwrap_or_else(today);
    // The model, its tree and its waivers.
    let (model, tree, waivers): (Model, Box<dyn Tree>, Vec<crate::waiver::Waiver>) =
        if let Some(meta) = &case.metadata {
            let m = repo::model_from_text("model.toml", "", &meta.node, program);
            (m, Box::new(NoFiles), Vec::new())
        } else if let Some(path) = &case.model {
            let base = Path::new(&t.file).parent().unwrap_or(Path::new("."));
            let dir = base.join(&path.node);
            let tree = match WorkTree::new(&dir) {
                Ok(t) => t,
                Err(e) => {
                    result
                        .failures
                        .push(format!("fixture `{}` cannot be opened: {e}", dir.display()));
                    return result;
                }
            };
            let found = match repo::discover(&tree) {
                Ok((f, _)) => f,
                Err(e) => {
                    result
                        .failures
                        .push(format!("fixture `{}`: {e}", dir.display()));
                    return result;
                }
            };
            let Some(first) = found.iter().find(|(d, _)| d.is_empty()).or(found.first()) else {
                result
                    .failures
                    .push(format!("fixture `{}` holds no model.toml", dir.display()));
                return result;
            };
            let mut models = repo::load_all(&tree, std::slice::from_ref(first), program);
            let Some(m) = models.pop() else {
                return result;
            };
            let mut sources = SourceMap::new();
            let waivers = match crate::engine::read_repo_files(&tree, &mut sources) {
                Ok((_, w)) => w,
                Err(d) => {
                    result.failures.extend(d.iter().map(|d| d.message.clone()));
                    return result;
                }
            };
            // `history.toml` in the fixture stands in for commit history (`git.*` builtins).
            let history: Option<Box<dyn crate::git::History>> =
                match crate::git::FixtureHistory::load(&dir) {
                    None => None,
                    Some(Ok(h)) => Some(Box::new(h)),
                    Some(Err(e)) => {
                        result.failures.push(e);
                        return result;
                    }
                };
            (
                m,
                Box::new(crate::git::WithHistory { tree, history }),
                waivers,
            )
        } else {
            result.failures.push("the test names no model".to_string());
            return result;
        };
    let options = Options {
        as_of: date,
        fail_on: vec![
            crate::check::Severity::Critical,
            crate::check::Severity::High,
        ],
        frameworks: Vec::new(),
        max_steps: crate::eval::DEFAULT_MAX_STEPS,
        law: crate::applicability::Settings::default(),
    };
    let inputs = Inputs {
        program,
        catalogs: &set.catalogs,
        tree: tree.as_ref(),
        waivers: &waivers,
        options: &options,
    };
    let info = PolicyInfo {
        name: String::new(),
        version: String::new(),
        origin: String::new(),
        digest: String::new(),
        controls: 0,
        params: Default::default(),
    };
    let report = eval::evaluate(
        &inputs,
        &set.sources,
        std::slice::from_ref(&model),
        String::new(),
        info,
        Vec::new(),
    );
    let Some(m) = report.models.first() else {
        result
            .failures
            .push("the model was not evaluated".to_string());
        return result;
    };
    for d in m.diagnostics.iter().filter(|d| d.is_error()) {
        result
            .failures
            .push(format!("model diagnostic: {} [{}]", d.message, d.code));
    }
    for e in &case.expects {
        match e {
            Expectation::Tier(tier) => {
                let got = m.tier.as_ref().map_or("(none)", |t| t.tier.as_str());
                if got != tier.node {
                    result
                        .failures
                        .push(format!("expected tier `{}`, got `{got}`", tier.node));
                }
            }
            Expectation::Kri { name, level } => {
                // A KRI whose `applies when` excludes the model is not computed for it.
                let got = m
                    .kris
                    .iter()
                    .find(|k| k.name == name.node)
                    .map_or("not-applicable", |k| k.level.as_str());
                if got != level.node {
                    result.failures.push(format!(
                        "expected KRI `{}` {}, got {got}",
                        name.node, level.node
                    ));
                }
            }
            Expectation::Control { id, status } => {
                let Some(c) = report.outcome(m, &id.node) else {
                    result
                        .failures
                        .push(format!("control `{}` was not evaluated", id.node));
                    continue;
                };
                if c.status.as_str() != status.node {
                    let mut why = Vec::new();
                    for f in &c.findings {
                        why.extend(f.message.iter().cloned());
                        why.extend(f.witnesses.iter().map(|w| w.text.clone()));
                    }
                    why.extend(c.error.iter().cloned());
                    if !c.blocked_by.is_empty() {
                        why.push(format!("blocked by {}", c.blocked_by.join(" ← ")));
                    }
                    why.extend(c.reason.iter().cloned());
                    result.failures.push(format!(
                        "expected `{}` {}, got {}{}",
                        id.node,
                        status.node,
                        c.status.as_str(),
                        if why.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", why.join("; "))
                        }
                    ));
                } else {
                    result.observed.push((c.id.clone(), c.status));
                }
            }
        }
    }
    result
}

/// A tree with no files: inline metadata has no evidence.
struct NoFiles;

impl Tree for NoFiles {
    fn metadata_files(&self) -> io::Result<Vec<String>> {
        Ok(Vec::new())
    }
    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        Err(io::Error::new(io::ErrorKind::NotFound, path.to_string()))
    }
    fn evidence(&self, path: &str) -> repo::EvidenceState {
        if repo::is_contained(path) {
            repo::EvidenceState::Missing
        } else {
            repo::EvidenceState::Escapes
        }
    }
    fn describe(&self) -> String {
        "(inline)".to_string()
    }
}
