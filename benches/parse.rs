//! Parsing and checking a large policy: 1,000 generated controls with `requires` chains, framework
//! mappings, quantifiers and `explain` placeholders.
//!
//! `cargo bench --bench parse` prints, for the fastest of several runs, the time to read the file
//! and run the pest parser alone (the baseline: what any pest-based front end pays), to read and
//! parse it into the AST, and to read, parse and check it; each in total and per control, and as a
//! ratio to the baseline measured in the same run.

use std::error::Error;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use mrm::framework::Catalogs;
use mrm::source::{SourceFile, SourceMap};
use pest::Parser as _;

/// The grammar alone, derived here so that the baseline runs exactly the parser mrm runs.
#[derive(pest_derive::Parser)]
#[grammar = "grammar/mrm.pest"]
struct Grammar;

const CONTROLS: usize = 1_000;
const RUNS: usize = 20;

fn main() -> Result<(), Box<dyn Error>> {
    let text = generate(CONTROLS);
    let dir = std::env::temp_dir().join(format!("mrm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("generated.mrm");
    std::fs::write(&path, &text)?;
    let (catalogs, _) = Catalogs::embedded();

    // The generated policy must be clean, or the benchmark measures error paths.
    let (sources, id) = source(std::fs::read_to_string(&path)?);
    let parsed = mrm::syntax::parse(&sources, id);
    let files: Vec<_> = parsed.file.into_iter().collect();
    let checked = mrm::check::check(&files, &sources, &catalogs);
    let problems: Vec<String> = parsed
        .diagnostics
        .iter()
        .chain(&checked.diagnostics)
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    if !problems.is_empty() || checked.program.controls.len() != CONTROLS {
        return Err(format!("the generated policy is not clean: {problems:?}").into());
    }

    let baseline = || {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let pairs = Grammar::parse(Rule::file, &text).map(|p| p.flatten().count());
        black_box(pairs.is_ok());
    };
    let parse = || {
        let (sources, id) = source(std::fs::read_to_string(&path).unwrap_or_default());
        black_box(mrm::syntax::parse(&sources, id).file.is_some());
    };
    let full = || {
        let (sources, id) = source(std::fs::read_to_string(&path).unwrap_or_default());
        let files: Vec<_> = mrm::syntax::parse(&sources, id).file.into_iter().collect();
        black_box(mrm::check::check(&files, &sources, &catalogs).has_errors());
    };
    let [baseline, parse, full] = fastest([&baseline, &parse, &full]);
    std::fs::remove_dir_all(&dir)?;

    let mut out = String::new();
    writeln!(
        out,
        "{CONTROLS} controls, {} bytes, fastest of {RUNS} runs",
        text.len()
    )?;
    for (what, d) in [
        ("read + pest parser alone (baseline)", baseline),
        ("read + syntax::parse (AST)", parse),
        ("read + syntax::parse + check::check", full),
    ] {
        writeln!(
            out,
            "  {what:<38} {:>9.3} ms {:>9} ns/control {:>6.2}x baseline",
            d.as_secs_f64() * 1e3,
            d.as_nanos() / CONTROLS as u128,
            d.as_secs_f64() / baseline.as_secs_f64()
        )?;
    }
    print!("{out}");
    Ok(())
}

fn source(text: String) -> (SourceMap, mrm::source::SourceId) {
    let mut sources = SourceMap::new();
    let id = sources.add(SourceFile::new("generated.mrm", text));
    (sources, id)
}

/// The fastest of `RUNS` runs of each measurement, after two to warm up. The runs are interleaved
/// so that a busy machine slows every measurement alike, and the fastest run is the one least
/// disturbed by the rest of the machine.
fn fastest<const N: usize>(fs: [&dyn Fn(); N]) -> [Duration; N] {
    for f in fs {
        f();
        f();
    }
    let mut best = [Duration::MAX; N];
    for _ in 0..RUNS {
        for (f, best) in fs.iter().zip(&mut best) {
            let started = Instant::now();
            f();
            *best = (*best).min(started.elapsed());
        }
    }
    best
}

/// A policy with a schema, tiers, a KRI and `n` controls. Each control requires the one before it
/// and the one seven before it, maps to four frameworks, and asserts with quantifiers.
fn generate(n: usize) -> String {
    const PILLARS: [&str; 4] = ["model", "data", "operational", "governance"];
    const STAGES: [&str; 5] = [
        "development",
        "validation",
        "deployment",
        "monitoring",
        "change",
    ];
    const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];
    let mut s = String::from(
        r#"policy "generated" version "1.0.0"

schema {
  model.id: string
  impact.financial_exposure: number
  impact.customers_affected: number
  eu_ai_act.annex_iii: string?
  validation.date: date?
  roles.developers: list<string>?
  fairness: list<{ attribute: string, group: string, disparate_impact: number }>?
  performance: list<{ metric: string, value: number, threshold: number? }>?
  monitoring.psi: number?
}

tiers {
  high   when eu_ai_act.annex_iii != none or impact.financial_exposure >= 10_000_000
  medium when impact.financial_exposure >= 1_000_000 or impact.customers_affected >= 10_000
  low    otherwise
}

kri PSI "Population stability index" {
  value  monitoring.psi
  yellow when value >= 0.10
  red    when value >= 0.25
}
"#,
    );
    for i in 0..n {
        let mut requires = Vec::new();
        if i >= 1 {
            requires.push(format!("C-{:04}", i - 1));
        }
        if i >= 7 {
            requires.push(format!("C-{:04}", i - 7));
        }
        let _ = write!(
            s,
            r#"
control C-{i:04} "Generated control {i}" {{
  pillar    {pillar}
  stage     {stage}
  severity  {severity}
  maps      eu-ai-act "Art 10(2)(f)", nist-ai-rmf "MEASURE 2.11", iso-42001 "A.7.4", sr-11-7 "VI.3"
"#,
            pillar = PILLARS.get(i % 4).copied().unwrap_or("data"),
            stage = STAGES.get(i % 5).copied().unwrap_or("validation"),
            severity = SEVERITIES.get(i % 5).copied().unwrap_or("low"),
        );
        if !requires.is_empty() {
            let _ = writeln!(s, "  requires  {}", requires.join(", "));
        }
        let _ = write!(
            s,
            r#"  evidence  "validation/report-{i}.pdf", model.id
  applies   when impact.financial_exposure >= {exposure} or eu_ai_act.annex_iii != none
  assert    all g in fairness: g.disparate_impact >= 0.8 and count(p in performance: p.value < 0.{floor}) == 0
  explain   "Group {{g.group}} on {{g.attribute}} has disparate impact {{g.disparate_impact}}"
  remediate "Investigate control {i}, mitigate, and re-validate."
}}
"#,
            exposure = i * 1_000,
            floor = 50 + i % 40,
        );
    }
    s
}
