//! The peer benchmark: the same controls evaluated by mrm and by regorus, a Rego engine, on the
//! same generated repository, with the floor of walking, reading and parsing the same files, all
//! in one run.
//!
//! ```text
//! cargo build --release                                     # the mrm binary it times
//! cargo run --release --manifest-path benches/peer/Cargo.toml -- --models 10000 --heavy light
//! ```
//!
//! One run, for each model count:
//!
//! 1. generates the repository with `benches/support/model.rs` (the generator of the `check`
//!    benchmark; `MRM_BENCH_MODELS`, `MRM_BENCH_HEAVY`, `--models`, `--heavy`);
//! 2. builds the mrm policy of the ported controls from the shipped files (`policies/schema.mrm`,
//!    the tiers of `policies/core.mrm` and, verbatim, every control that `policy/mrm.rego` ports);
//! 3. checks that both engines agree: on a sample of the generated models and on the models of
//!    `examples/acme-bank`, mrm (`check --format json` with the ported policy) and regorus give
//!    the same tier and the same status for every ported control, and prints the agreement;
//! 4. times, in rounds, each as its own process with the same number of threads (rayon's
//!    default, `RAYON_NUM_THREADS` for all): the floor, `mrm check --quiet` with the shipped
//!    library, `mrm check --quiet` with the ported controls, and regorus on the ported controls
//!    (its compiled RVM mode, and its interpreter with `--interpreter`); prints the best wall
//!    time of each, its peak resident memory (`ru_maxrss` from `wait4`, taken by a small
//!    `measure` process that spawns the run), and the ratios.
//!
//! The floor is what any engine must do: find the metadata files (the same walk as mrm: hidden
//! directories, `target` and `node_modules` skipped), read them and parse them with the parser
//! mrm uses (`toml::de::DeTable`; JSON with `serde_json`). The regorus side does the same walk
//! plus the list of files in each model folder (its evidence check), parses each metadata file
//! into a `toml::Table`, converts it to a regorus value and evaluates `data.mrm.result`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use regorus::Value;

#[path = "../../support/model.rs"]
mod model;

const POLICY: &str = include_str!("../policy/mrm.rego");
const ENTRY: &str = "data.mrm.result";
const AS_OF: &str = "2026-11-27";
/// The evaluation date in nanoseconds since the epoch (2026-11-27T00:00:00Z).
const AS_OF_NS: i64 = 1_795_737_600_000_000_000;
const METADATA_FILES: [&str; 4] = ["model.toml", "model.json", "model.yaml", "model.yml"];
const STATUSES: [&str; 4] = ["pass", "fail", "blocked", "not-applicable"];

type Error = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, Error>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("floor") => child_floor(&args[1..]),
        Some("regorus") => child_regorus(&args[1..]),
        Some("results") => print_results(&args[1..]),
        Some("generate") => child_generate(&args[1..]),
        Some("measure") => child_measure(&args[1..]),
        _ => compare(&args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

// ---- The repository ---------------------------------------------------------------------------

/// A model folder found by the walk.
struct ModelDir {
    /// Repository-relative folder, `/`-separated (`models/m00042`).
    dir: String,
    /// The metadata file's name (`model.toml`).
    meta: String,
    /// The files of the folder, relative to it, when asked for.
    files: Vec<String>,
}

/// Finds the model folders under `root` as mrm's discovery does: a folder with a metadata file
/// (the first of [`METADATA_FILES`]), hidden directories, `target` and `node_modules` skipped.
/// With `with_files`, also lists each model folder's files (those under a nested model folder
/// belong to that one).
fn walk(root: &Path, with_files: bool) -> Result<Vec<ModelDir>> {
    let mut all = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || {
                let name = e.file_name().to_string_lossy();
                !(e.file_type().is_dir()
                    && (name.starts_with('.') || name == "target" || name == "node_modules"))
            }
        });
    for entry in walker {
        let entry = entry?;
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if with_files || METADATA_FILES.contains(&name.as_ref()) {
            let rel = entry.path().strip_prefix(root)?;
            all.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    let mut models: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for f in &all {
        let (dir, name) = f.rsplit_once('/').unwrap_or(("", f.as_str()));
        if let Some(rank) = METADATA_FILES.iter().position(|m| *m == name) {
            let slot = models
                .entry(dir.to_string())
                .or_insert((usize::MAX, String::new()));
            if rank < slot.0 {
                *slot = (rank, name.to_string());
            }
        }
    }
    let mut files: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    if with_files {
        for f in &all {
            let mut dir = f.as_str();
            while let Some((parent, _)) = dir.rsplit_once('/') {
                if let Some((key, _)) = models.get_key_value(parent) {
                    let rel = f.get(parent.len() + 1..).unwrap_or_default();
                    files.entry(key.as_str()).or_default().push(rel.to_string());
                    break;
                }
                dir = parent;
            }
        }
    }
    Ok(models
        .iter()
        .map(|(dir, (_, meta))| ModelDir {
            dir: dir.clone(),
            meta: meta.clone(),
            files: files.remove(dir.as_str()).unwrap_or_default(),
        })
        .collect())
}

fn metadata_path(root: &Path, m: &ModelDir) -> PathBuf {
    if m.dir.is_empty() {
        root.join(&m.meta)
    } else {
        root.join(&m.dir).join(&m.meta)
    }
}

/// Writes `n` models of `shape` under `root`, as the `check` benchmark does.
fn generate(root: &Path, n: usize, shape: &model::Shape) -> Result<()> {
    (0..n)
        .into_par_iter()
        .try_for_each(|i| model::write_model(root, i, model::disparate_impact(i), shape))?;
    Ok(())
}

/// `generate DIR [--models N] [--heavy SPEC]`: writes the repository the benchmark evaluates, to
/// profile or time one side alone.
fn child_generate(args: &[String]) -> Result<()> {
    let root = PathBuf::from(args.first().ok_or("generate DIR")?);
    let settings = model::Settings::read(&[10_000], &args[1..])?;
    let n = settings.models[0];
    generate(&root, n, &settings.shape)?;
    println!(
        "wrote {n} models of heaviness {} under {}",
        settings.shape.spec(),
        root.display()
    );
    Ok(())
}

/// Copies the folder `from` to `to`, recursively.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

// ---- The floor ---------------------------------------------------------------------------------

/// `floor DIR`: walk, read and parse every metadata file; prints the number parsed.
fn child_floor(args: &[String]) -> Result<()> {
    let root = PathBuf::from(args.first().ok_or("floor DIR")?);
    let models = walk(&root, false)?;
    let parsed: usize = models
        .par_iter()
        .map(|m| -> Result<usize> {
            let text = fs::read_to_string(metadata_path(&root, m))?;
            let ok = if m.meta.ends_with(".json") {
                serde_json::from_str::<serde_json::Value>(&text).is_ok()
            } else {
                toml::de::DeTable::parse(&text).is_ok()
            };
            Ok(usize::from(ok))
        })
        .sum::<Result<usize>>()?;
    println!("{parsed}");
    Ok(())
}

// ---- regorus -----------------------------------------------------------------------------------

/// How regorus evaluates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The policy compiled to RVM bytecode, one virtual machine per thread.
    Rvm,
    /// The tree-walking interpreter on the compiled policy.
    Interpreter,
}

/// The policy, compiled once and shared by the threads.
struct Compiled {
    policy: regorus::CompiledPolicy,
    program: std::sync::Arc<regorus::rvm::program::Program>,
    data: Value,
}

fn compile() -> Result<Compiled> {
    let mut engine = regorus::Engine::new();
    // MRM_PEER_POLICY: another Rego file to evaluate (for working on the port).
    let policy = match std::env::var_os("MRM_PEER_POLICY") {
        Some(path) => fs::read_to_string(path)?,
        None => POLICY.to_string(),
    };
    engine.add_policy("mrm.rego".to_string(), policy)?;
    let mut data = BTreeMap::new();
    data.insert(Value::from("as_of_ns"), Value::from(AS_OF_NS));
    let data = Value::from(data);
    engine.add_data(data.clone())?;
    let entry: regorus::Rc<str> = ENTRY.into();
    let policy = engine.compile_with_entrypoint(&entry)?;
    let program =
        regorus::languages::rego::compiler::Compiler::compile_from_policy(&policy, &[ENTRY])?;
    Ok(Compiled {
        policy,
        program,
        data,
    })
}

/// A TOML value as a regorus value; dates and times as their TOML text (`2026-01-15`).
fn toml_value(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::from(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::from(b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(a) => Value::from(a.into_iter().map(toml_value).collect::<Vec<_>>()),
        toml::Value::Table(t) => toml_table(t),
    }
}

fn toml_table(t: toml::Table) -> Value {
    Value::from(
        t.into_iter()
            .map(|(k, v)| (Value::from(k), toml_value(v)))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// The input document of one model: its metadata and the files of its folder.
fn input(root: &Path, m: &ModelDir) -> Result<Value> {
    let text = fs::read_to_string(metadata_path(root, m))?;
    let meta = if m.meta.ends_with(".json") {
        Value::from_json_str(&text)?
    } else if m.meta.ends_with(".toml") {
        toml_table(toml::from_str::<toml::Table>(&text)?)
    } else {
        return Err(format!("{}: only TOML and JSON metadata are ported", m.dir).into());
    };
    let files: BTreeMap<Value, Value> = m
        .files
        .iter()
        .map(|f| (Value::from(f.as_str()), Value::from(true)))
        .collect();
    let mut doc = BTreeMap::new();
    doc.insert(Value::from("m"), meta);
    doc.insert(Value::from("files"), Value::from(files));
    Ok(Value::from(doc))
}

/// One thread's evaluator.
enum Evaluator<'a> {
    Rvm(Box<regorus::rvm::vm::RegoVM>),
    Interpreter(&'a regorus::CompiledPolicy),
}

impl<'a> Evaluator<'a> {
    fn new(mode: Mode, c: &'a Compiled) -> Result<Self> {
        Ok(match mode {
            Mode::Rvm => {
                let mut vm = regorus::rvm::vm::RegoVM::new();
                vm.load_program(c.program.clone());
                vm.set_data(c.data.clone())?;
                Evaluator::Rvm(Box::new(vm))
            }
            Mode::Interpreter => Evaluator::Interpreter(&c.policy),
        })
    }

    fn eval(&mut self, input: Value) -> Result<Value> {
        Ok(match self {
            Evaluator::Rvm(vm) => {
                vm.set_input(input);
                vm.execute()?
            }
            Evaluator::Interpreter(policy) => policy.eval_with_input(input)?,
        })
    }
}

/// The tier and the statuses of one model's result.
fn statuses(result: &Value) -> Result<(String, BTreeMap<String, String>)> {
    let tier = result["tier"].as_string()?.to_string();
    let mut out = BTreeMap::new();
    for (k, v) in result["status"].as_object()?.iter() {
        out.insert(k.as_string()?.to_string(), v.as_string()?.to_string());
    }
    Ok((tier, out))
}

/// Counts of each status over the models, without copying them out of the results.
#[derive(Default)]
struct Tally {
    models: usize,
    by_status: [usize; STATUSES.len()],
}

impl Tally {
    fn add(mut self, result: &Value) -> Result<Self> {
        self.models += 1;
        for v in result["status"].as_object()?.values() {
            let s = v.as_string()?;
            let i = STATUSES
                .iter()
                .position(|x| *x == s.as_ref())
                .ok_or_else(|| format!("unexpected status {s}"))?;
            self.by_status[i] += 1;
        }
        Ok(self)
    }

    fn merge(mut self, other: Tally) -> Self {
        self.models += other.models;
        for (a, b) in self.by_status.iter_mut().zip(other.by_status) {
            *a += b;
        }
        self
    }
}

/// Evaluates every model under `root` in parallel and folds the results.
fn evaluate<T: Send>(
    root: &Path,
    mode: Mode,
    init: impl Fn() -> T + Sync + Send,
    fold: impl Fn(T, &ModelDir, Value) -> Result<T> + Sync + Send,
    reduce: impl Fn(T, T) -> T + Sync + Send,
) -> Result<T> {
    let compiled = compile()?;
    let models = walk(root, true)?;
    models
        .par_iter()
        .map_init(
            || Evaluator::new(mode, &compiled),
            |ev, m| -> Result<(&ModelDir, Value)> {
                let ev = ev.as_mut().map_err(|e| Error::from(e.to_string()))?;
                Ok((m, ev.eval(input(root, m)?)?))
            },
        )
        .try_fold(&init, |acc, r| {
            let (m, result) = r?;
            fold(acc, m, result)
        })
        .try_reduce(&init, |a, b| Ok(reduce(a, b)))
}

/// `regorus DIR [--interpreter]`: evaluates every model; prints the status counts.
fn child_regorus(args: &[String]) -> Result<()> {
    let root = PathBuf::from(args.first().ok_or("regorus DIR")?);
    let mode = if args.iter().any(|a| a == "--interpreter") {
        Mode::Interpreter
    } else {
        Mode::Rvm
    };
    let tally = evaluate(
        &root,
        mode,
        Tally::default,
        |t, _, r| t.add(&r),
        Tally::merge,
    )?;
    print!("{}", tally.models);
    for (s, n) in STATUSES.iter().zip(tally.by_status) {
        print!(" {s}={n}");
    }
    println!();
    Ok(())
}

/// `results DIR [--interpreter]`: prints regorus's result for every model, one JSON line each.
fn print_results(args: &[String]) -> Result<()> {
    let root = PathBuf::from(args.first().ok_or("results DIR")?);
    let mode = if args.iter().any(|a| a == "--interpreter") {
        Mode::Interpreter
    } else {
        Mode::Rvm
    };
    let lines = evaluate(
        &root,
        mode,
        BTreeMap::new,
        |mut d, m, r| {
            d.insert(m.dir.clone(), r.to_json_str()?);
            Ok(d)
        },
        |mut a, b| {
            a.extend(b);
            a
        },
    )?;
    for (dir, json) in lines {
        println!("{{\"dir\": {dir:?}, \"result\": {json}}}");
    }
    Ok(())
}

/// Every model's tier and statuses, by folder.
type Decisions = BTreeMap<String, (String, BTreeMap<String, String>)>;

fn regorus_decisions(root: &Path) -> Result<Decisions> {
    evaluate(
        root,
        Mode::Rvm,
        Decisions::new,
        |mut d, m, r| {
            d.insert(m.dir.clone(), statuses(&r)?);
            Ok(d)
        },
        |mut a, b| {
            a.extend(b);
            a
        },
    )
}

// ---- mrm ---------------------------------------------------------------------------------------

/// The control ids the Rego policy ports, in its order: each status rule names its control on
/// its first line (`id := "MR-VAL-01"`).
fn ported_ids() -> Vec<String> {
    POLICY
        .lines()
        .filter_map(|l| l.strip_prefix("\tid := \""))
        .filter_map(|rest| rest.split_once('"'))
        .map(|(id, _)| id.to_string())
        .collect()
}

/// The mrm policy of the ported controls, from the shipped files: the schema, the parameters, the
/// tiers and each ported control's block, verbatim.
fn ported_policy(ids: &[String]) -> Result<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut out = fs::read_to_string(dir.join("schema.mrm"))?;
    let core = fs::read_to_string(dir.join("core.mrm"))?;
    out.push('\n');
    // The library's parameters (thresholds, cycles) the tiers and controls read.
    for l in core.lines().filter(|l| l.starts_with("param ")) {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&block(&core, |l| l.starts_with("tiers {")).ok_or("no tiers in core.mrm")?);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mrm"))
        .collect();
    files.sort();
    let mut found = BTreeSet::new();
    for f in files {
        let text = fs::read_to_string(&f)?;
        for id in ids {
            let head = format!("control {id} ");
            if let Some(b) = block(&text, |l| l.starts_with(&head)) {
                out.push('\n');
                out.push_str(&b);
                found.insert(id.clone());
            }
        }
    }
    let missing: Vec<&String> = ids.iter().filter(|id| !found.contains(*id)).collect();
    if !missing.is_empty() {
        return Err(format!("controls not found in policies/: {missing:?}").into());
    }
    Ok(out)
}

/// The block that starts at the first line matching `start` and ends at the next `}` line.
fn block(text: &str, start: impl Fn(&str) -> bool) -> Option<String> {
    let mut lines = text.lines().skip_while(|l| !start(l));
    let first = lines.next()?;
    let mut out = format!("{first}\n");
    for l in lines {
        out.push_str(l);
        out.push('\n');
        if l == "}" {
            return Some(out);
        }
    }
    None
}

/// mrm's tier and statuses of the ported controls for every model, from `check --format json`.
fn mrm_decisions(
    mrm: &Path,
    root: &Path,
    policy: &Path,
    out: &Path,
    ids: &[String],
) -> Result<Decisions> {
    let run = Command::new(mrm)
        .arg("check")
        .arg(root)
        .args(["--as-of", AS_OF, "--format", "json", "--output"])
        .arg(out)
        .arg("--policy")
        .arg(policy)
        .output()?;
    if !matches!(run.status.code(), Some(0 | 1)) {
        return Err(format!(
            "mrm check failed on {}: {}\n{}",
            root.display(),
            run.status,
            String::from_utf8_lossy(&run.stderr)
        )
        .into());
    }
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(out)?)?;
    let known: BTreeSet<&str> = json["controls"]
        .as_array()
        .ok_or("no controls in mrm's result")?
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    let wanted: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    if known != wanted {
        return Err(format!(
            "mrm evaluated other controls than the port: {:?}",
            known.symmetric_difference(&wanted).collect::<Vec<_>>()
        )
        .into());
    }
    let mut decisions = Decisions::new();
    for m in json["models"]
        .as_array()
        .ok_or("no models in mrm's result")?
    {
        let dir = m["dir"].as_str().ok_or("model without dir")?.to_string();
        let tier = m["tier"]["tier"].as_str().unwrap_or("?").to_string();
        let mut st = BTreeMap::new();
        for c in m["controls"].as_array().into_iter().flatten() {
            if let (Some(id), Some(s)) = (c["id"].as_str(), c["status"].as_str()) {
                st.insert(id.to_string(), s.to_string());
            }
        }
        decisions.insert(dir, (tier, st));
    }
    Ok(decisions)
}

/// Compares the two engines' decisions; prints the agreement and returns (agreeing, compared).
fn agreement(name: &str, ids: &[String], mrm: &Decisions, rego: &Decisions) -> (usize, usize) {
    let (mut same, mut total, mut tiers) = (0, 0, 0);
    let mut differences = Vec::new();
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for (dir, (tier, st)) in mrm {
        let Some((rtier, rst)) = rego.get(dir) else {
            differences.push(format!("{dir}: not evaluated by regorus"));
            continue;
        };
        if tier == rtier {
            tiers += 1;
        } else {
            differences.push(format!("{dir}: tier {tier} (mrm) vs {rtier} (regorus)"));
        }
        for id in ids {
            // A control outside the model's tier has no status in either result.
            let a = st.get(id).map_or("-", String::as_str);
            let b = rst.get(id).map_or("-", String::as_str);
            total += 1;
            if a == b {
                same += 1;
                *by_status.entry(a).or_default() += 1;
            } else {
                differences.push(format!("{dir} {id}: {a} (mrm) vs {b} (regorus)"));
            }
        }
    }
    let split: Vec<String> = by_status
        .iter()
        .map(|(s, n)| format!("{} {n}", if *s == "-" { "other tier" } else { s }))
        .collect();
    println!(
        "agreement on {name}: {same} of {total} (model, control) decisions and {tiers} of {} tiers ({})",
        mrm.len(),
        split.join(", ")
    );
    for d in differences.iter().take(20) {
        println!("  differs: {d}");
    }
    if differences.len() > 20 {
        println!("  ... and {} more", differences.len() - 20);
    }
    (same, total)
}

// ---- Timing ------------------------------------------------------------------------------------

/// One finished process: wall time from spawn to exit and peak resident memory.
struct Measured {
    wall: Duration,
    peak_kib: u64,
    stdout: String,
}

/// `measure OUT PROGRAM ARGS...`: runs the program with its standard output to `OUT`, waits for it
/// with `wait4` and prints `seconds peak_kib exit_code`.
///
/// The benchmark measures every run through this small process rather than directly: Linux
/// carries the peak memory of the process that spawns a child into the child's `ru_maxrss` (the
/// spawner's address space is the one replaced at `exec`), so a child of the benchmark itself,
/// which has held hundreds of MiB by then, would report at least that.
fn child_measure(args: &[String]) -> Result<()> {
    let [out, program, rest @ ..] = args else {
        return Err("measure OUT PROGRAM ARGS...".into());
    };
    let mut cmd = Command::new(program);
    cmd.args(rest)
        .stdout(fs::File::create(out)?)
        .stderr(Stdio::null())
        .stdin(Stdio::null());
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = libc::pid_t::try_from(child.id())?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data that `wait4` fills in; `child` is ours and not waited for
    // elsewhere (a `Child` that is dropped is neither waited for nor killed).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    drop(child);
    if r != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()).into());
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // ru_maxrss is in KiB on Linux.
    println!("{} {} {code}", wall.as_secs_f64(), usage.ru_maxrss);
    Ok(())
}

/// Runs `cmd` to completion through `measure`, its output to the file `out`.
fn measure(cmd: &Command, out: &Path, ok_codes: &[i32]) -> Result<Measured> {
    let run = Command::new(std::env::current_exe()?)
        .arg("measure")
        .arg(out)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .output()?;
    if !run.status.success() {
        return Err(format!(
            "measuring {cmd:?} failed: {}",
            String::from_utf8_lossy(&run.stderr)
        )
        .into());
    }
    let text = String::from_utf8(run.stdout)?;
    let f: Vec<&str> = text.split_whitespace().collect();
    let [secs, kib, code] = f.as_slice() else {
        return Err(format!("measure printed {text:?}").into());
    };
    let code: i32 = code.parse()?;
    if !ok_codes.contains(&code) {
        return Err(format!("{cmd:?} exited with {code}").into());
    }
    Ok(Measured {
        wall: Duration::from_secs_f64(secs.parse()?),
        peak_kib: kib.parse()?,
        stdout: fs::read_to_string(out)?,
    })
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The benchmark's own options beside the generator's.
struct Options {
    settings: model::Settings,
    mrm: PathBuf,
    rounds: usize,
    interpreter: bool,
    sample: usize,
}

fn options(args: &[String]) -> Result<Options> {
    let settings = model::Settings::read(&[10_000], args)?;
    let default_mrm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/mrm");
    let mut o = Options {
        settings,
        mrm: std::env::var_os("MRM_BIN").map_or(default_mrm, PathBuf::from),
        rounds: 3,
        interpreter: false,
        sample: 200,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--mrm" => o.mrm = PathBuf::from(it.next().ok_or("--mrm PATH")?),
            "--rounds" => o.rounds = it.next().ok_or("--rounds N")?.parse()?,
            "--sample" => o.sample = it.next().ok_or("--sample N")?.parse()?,
            "--interpreter" => o.interpreter = true,
            _ => {}
        }
    }
    if !o.mrm.is_file() {
        return Err(format!(
            "no mrm binary at {}: run `cargo build --release` at the top of the repository, or pass --mrm PATH",
            o.mrm.display()
        )
        .into());
    }
    o.rounds = o.rounds.max(1);
    Ok(o)
}

/// One line of the result table.
struct Row {
    name: &'static str,
    runs: Vec<Measured>,
}

impl Row {
    fn best(&self) -> Duration {
        self.runs.iter().map(|m| m.wall).min().unwrap_or_default()
    }
    fn peak_mib(&self) -> f64 {
        self.runs.iter().map(|m| m.peak_kib).max().unwrap_or(0) as f64 / 1024.0
    }
}

fn compare(args: &[String]) -> Result<()> {
    let o = options(args)?;
    let exe = std::env::current_exe()?;
    let shape = o.settings.shape;
    let tmp = tempfile::tempdir()?;
    let ids = ported_ids();
    let policy = tmp.path().join("ported.mrm");
    fs::write(&policy, ported_policy(&ids)?)?;
    println!(
        "peer benchmark: {} ported controls and the tier rules; as of {AS_OF}; heaviness {} (records per list, evidence files per model); {} threads; mrm {}",
        ids.len(),
        shape.spec(),
        rayon::current_num_threads(),
        o.mrm.display()
    );

    // Agreement on the example repository (without its waivers and local policies).
    let acme = tmp.path().join("acme");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/acme-bank/models"),
        &acme.join("models"),
    )?;
    let out = tmp.path().join("mrm.json");
    agreement(
        "examples/acme-bank",
        &ids,
        &mrm_decisions(&o.mrm, &acme, &policy, &out, &ids)?,
        &regorus_decisions(&acme)?,
    );

    for &n in &o.settings.models {
        // Agreement on a sample of the models the timed run evaluates, generated alike.
        let sample = tmp.path().join(format!("sample-{n}"));
        let step = (n / o.sample.max(1)).max(1);
        (0..n)
            .step_by(step)
            .try_for_each(|i| model::write_model(&sample, i, model::disparate_impact(i), &shape))?;
        agreement(
            &format!("a sample of {} of the {n} models", n.div_ceil(step)),
            &ids,
            &mrm_decisions(&o.mrm, &sample, &policy, &out, &ids)?,
            &regorus_decisions(&sample)?,
        );

        let repo = tmp.path().join(format!("repo-{n}"));
        let t = Instant::now();
        generate(&repo, n, &shape)?;
        println!("generated {n} models in {:.2?}", t.elapsed());
        let log = tmp.path().join("out.txt");
        let floor_cmd = || {
            let mut c = Command::new(&exe);
            c.arg("floor").arg(&repo);
            c
        };
        let mrm_cmd = |ported: bool| {
            let mut c = Command::new(&o.mrm);
            c.arg("check")
                .arg(&repo)
                .args(["--as-of", AS_OF, "--quiet"]);
            if ported {
                c.arg("--policy").arg(&policy);
            }
            c
        };
        let regorus_cmd = |interpreter: bool| {
            let mut c = Command::new(&exe);
            c.arg("regorus").arg(&repo);
            if interpreter {
                c.arg("--interpreter");
            }
            c
        };
        // Warm the page cache and check what each side counts.
        let floor_count = measure(&floor_cmd(), &log, &[0])?.stdout;
        if floor_count.trim() != n.to_string() {
            return Err(format!("the floor parsed {floor_count} models, not {n}").into());
        }
        let counts = measure(&regorus_cmd(false), &log, &[0])?.stdout;
        println!("regorus counts: {}", counts.trim());

        let mut rows = vec![
            Row {
                name: "floor: walk, read, parse",
                runs: Vec::new(),
            },
            Row {
                name: "mrm check, shipped library",
                runs: Vec::new(),
            },
            Row {
                name: "mrm check, ported controls",
                runs: Vec::new(),
            },
            Row {
                name: "regorus (RVM), ported controls",
                runs: Vec::new(),
            },
        ];
        if o.interpreter {
            rows.push(Row {
                name: "regorus (interpreter), ported controls",
                runs: Vec::new(),
            });
        }
        let load_before = load_average();
        for _ in 0..o.rounds {
            rows[0].runs.push(measure(&floor_cmd(), &log, &[0])?);
            rows[1].runs.push(measure(&mrm_cmd(false), &log, &[0, 1])?);
            rows[2].runs.push(measure(&mrm_cmd(true), &log, &[0, 1])?);
            rows[3].runs.push(measure(&regorus_cmd(false), &log, &[0])?);
            if o.interpreter {
                rows[4].runs.push(measure(&regorus_cmd(true), &log, &[0])?);
            }
        }
        let load_after = load_average();
        let floor = rows[0].best().as_secs_f64();
        println!();
        println!(
            "{n} models, heaviness {}, best of {} rounds, load average {load_before} -> {load_after}",
            shape.spec(),
            o.rounds
        );
        println!("| run | time | µs/model | × floor | peak RSS |");
        println!("|---|---:|---:|---:|---:|");
        for r in &rows {
            let t = r.best().as_secs_f64();
            println!(
                "| {} | {:.3} s | {:.1} | {:.2} | {:.0} MiB |",
                r.name,
                t,
                t * 1e6 / n as f64,
                t / floor,
                r.peak_mib()
            );
        }
        let ported = rows[2].best().as_secs_f64();
        let shipped = rows[1].best().as_secs_f64();
        let rvm = rows[3].best().as_secs_f64();
        println!();
        let speed = if rvm >= ported {
            format!("mrm is {:.2}× faster", rvm / ported)
        } else {
            format!("mrm is {:.2}× slower", ported / rvm)
        };
        println!(
            "regorus (RVM) / mrm on the ported controls: {:.2} ({speed}; the target is at least 4× faster)",
            rvm / ported
        );
        println!(
            "regorus (RVM) / mrm with the shipped library: {:.2}",
            rvm / shipped
        );
        if o.interpreter {
            let interp = rows[4].best().as_secs_f64();
            println!("regorus interpreter / RVM: {:.2}", interp / rvm);
        }
        println!();
        std::io::stdout().flush()?;
        fs::remove_dir_all(&repo)?;
        fs::remove_dir_all(&sample)?;
    }
    Ok(())
}
