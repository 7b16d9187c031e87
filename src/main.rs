//! Thin front end: parse arguments, call the library, map outcomes to exit codes
//! (0 success, 1 runtime failure such as an unwritable output, or a `sample-size` search that
//! did not reach its target, 2 bad input).

mod cli;

use clap::Parser;
use cli::{
    CheckArgs, Cli, Command, ExplainArgs, MergeArgs, PlotArgs, RunArgs, SampleSizeArgs, ScenarioArgs, SimulationArgs,
    ValidateArgs,
};
use mgtrial::checkpoint::{self, Checkpoint, SavedPoint};
use mgtrial::engine::{Runner, check_precision};
use mgtrial::error::ScenarioError;
use mgtrial::output::{self, Destination};
use mgtrial::provenance::{self, Provenance};
use mgtrial::scenario::{Override, Source};
use mgtrial::search::{self, Criterion, SearchSpec};
use mgtrial::study::{self, RepsRule};
use mgtrial::sweep::{self, Study};
use mgtrial::{explain, export, plan::Plan, plot};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

/// Most worker threads `--threads` accepts.
const MAX_THREADS: usize = 1024;

enum Failure {
    BadInput(String),
    Runtime(String),
    /// A search that did not reach its target at some design point: its output is written and
    /// states the power at the end of the range; exit 1, like grep when nothing matches.
    NotReached,
    /// A check found drift, a mismatch or a missing row: its report is printed; exit 1.
    Drift,
    /// A run stopped by a signal after writing its checkpoint: exit 128 + the signal.
    Interrupted(i32),
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Failure {
        Failure::BadInput(e.to_string())
    }
}

fn main() -> ExitCode {
    output::install_interrupt_handler();
    output::set_notes(true);
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let outcome = match cli.command {
        Command::Run(args) => run(args),
        Command::SampleSize(args) => sample_size(args),
        Command::Plot(args) => plot_cmd(args),
        Command::Explain(args) => explain_cmd(args),
        Command::Check(args) => check_cmd(args),
        Command::Validate(args) => validate_cmd(args),
        Command::Merge(args) => merge_cmd(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
        Err(Failure::NotReached | Failure::Drift) => ExitCode::from(1),
        Err(Failure::Interrupted(signal)) => ExitCode::from((128 + signal) as u8),
    }
}

/// Prints to stdout; a closed pipe (e.g. `| head`) is not an error.
fn print(text: &str) -> Result<(), Failure> {
    match std::io::stdout().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Runtime(e.to_string())),
        _ => Ok(()),
    }
}

/// Checks an output path before any work, so an unwritable one fails at once (exit 1).
fn destination(path: &Path) -> Result<Destination, Failure> {
    Destination::prepare(path).map_err(|e| Failure::Runtime(e.to_string()))
}

/// Writes `text` and, unless it went to stdout, says where.
fn write_file(dest: &Destination, data: impl AsRef<[u8]>) -> Result<(), Failure> {
    dest.write(data.as_ref()).map_err(|e| Failure::Runtime(e.to_string()))?;
    if dest.is_stdout() { Ok(()) } else { print(&format!("wrote {}\n", dest.path().display())) }
}

/// `--set`, then `--reps` and `--seed`, as overrides.
fn base_overrides(args: &ScenarioArgs, reps: Option<u32>, seed: Option<u64>) -> Result<Vec<Override>, Failure> {
    let mut o: Vec<Override> = args.set.iter().map(|s| Override::parse(s)).collect::<Result<_, _>>()?;
    if let Some(r) = reps {
        o.push(Override { path: "design.reps".into(), value: toml::Value::Integer(i64::from(r)) });
    }
    if let Some(s) = seed {
        o.push(Override { path: "design.seed".into(), value: toml::Value::Integer(s as i64) });
    }
    Ok(o)
}

/// What the command line asks for, resolved before anything is simulated: the scenario, its
/// `--set`/`--reps`/`--seed` overrides, the study of its sweep and the command line's, and
/// every point's plan.
struct Loaded {
    source: Source,
    base: Vec<Override>,
    study: Study,
    plans: Vec<Plan>,
}

/// The values of the command line that feed the scenario.
struct Request<'a> {
    scenario: &'a ScenarioArgs,
    reps: Option<u32>,
    seed: Option<u64>,
    sweep: &'a [String],
}

impl<'a> Request<'a> {
    fn of(sim: &'a SimulationArgs) -> Request<'a> {
        Request { scenario: &sim.scenario, reps: sim.reps, seed: sim.seed, sweep: &sim.sweep }
    }
}

/// Loads the study `request` describes, refusing values that it would silently lose. A swept
/// field named `solved` is left out of the study (`sample-size` solves for it). `run`,
/// `sample-size` and `explain` all load through here, so they accept the same studies.
fn load_study(request: &Request, solved: Option<&str>) -> Result<Loaded, Failure> {
    let source = Source::read(&request.scenario.scenario)?;
    let base = base_overrides(request.scenario, request.reps, request.seed)?;
    let scenario = source.resolve(&base, None)?;
    let cli_axes = request.sweep.iter().map(|a| sweep::parse_cli_axis(a)).collect::<Result<Vec<_>, _>>()?;
    let canonical = |p: &str| source.canonical_path(&base, p);
    let mut study = Study::with_paths(scenario.sweep.as_ref(), cli_axes, canonical)?;
    refuse_lost_overrides(&source, &base, request, &study, solved)?;
    if let Some(path) = solved {
        study = study.without_axis(&canonical(path));
    }
    let plans = study::plans(&source, &base, &study)?;
    Ok(Loaded { source, base, study, plans })
}

/// Options of `run` and `sample-size` that need no scenario, checked first.
fn check_simulation_options(sim: &SimulationArgs) -> Result<(), Failure> {
    if let Some(h) = sim.precision {
        if let Some(r) = sim.reps {
            return Err(Failure::BadInput(format!(
                "--reps {r} and --precision {h}: under --precision each design point adds replicates until its CI \
                 half-width is {h} (at most --max-reps {}), so --reps would be ignored; give one of them",
                sim.max_reps
            )));
        }
        check_precision(h, sim.max_reps).map_err(Failure::BadInput)?;
    }
    if sim.threads > MAX_THREADS {
        return Err(Failure::BadInput(format!(
            "--threads {}: allowed values are 0 (one per core) to {MAX_THREADS}",
            sim.threads
        )));
    }
    // Work done outside the engine's runner (solving `max_effect` while the plans are built)
    // runs on rayon's global pool: it gets the same number of threads, so that `--threads 1`
    // never uses a second core. Built once per process; a second call finds it built.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(sim.threads).build_global();
    Ok(())
}

/// A `--set`, `--reps` or `--seed` on a field that a sweep also sets (or that `sample-size`
/// solves for) would be replaced at every design point: that is an error naming both places.
fn refuse_lost_overrides(
    source: &Source,
    base: &[Override],
    request: &Request,
    study: &Study,
    solved: Option<&str>,
) -> Result<(), Failure> {
    let canonical = |p: &str| source.canonical_path(base, p);
    let mut given: Vec<(String, String)> = Vec::new();
    for s in &request.scenario.set {
        let o = Override::parse(s)?;
        given.push((o.path.clone(), format!("--set {}", o.display())));
    }
    if let Some(r) = request.reps {
        given.push(("design.reps".into(), format!("--reps {r}")));
    }
    if let Some(seed) = request.seed {
        given.push(("design.seed".into(), format!("--seed {seed}")));
    }
    let mut elsewhere = study.set_paths();
    if let Some(path) = solved {
        let here = canonical(path);
        // The file's grid over the solved field is dropped (the search replaces it); a
        // --sweep or a series that sets it would be lost.
        if let Some((_, where_)) = elsewhere
            .iter()
            .find(|(p, w)| sweep::same_field(&here, p) && (w.starts_with("--sweep") || w.starts_with("series")))
        {
            return Err(Failure::BadInput(format!(
                "sample-size solves for {path}, which {where_} also sets; the search would replace it: remove it there"
            )));
        }
        if study::CALIBRATION_FIELDS.iter().any(|f| sweep::same_field(f, &here)) {
            return Err(Failure::BadInput(format!(
                "--solve-for {path}: the effect is not a design choice; solve for a design field (design.n_per_arm, \
                 selection.threshold, design.duration_weeks, a dose)"
            )));
        }
        // What sets the solved field is the search alone (the file's grid over it is dropped).
        elsewhere.retain(|(p, _)| !sweep::same_field(&here, p));
        elsewhere.push((path.to_string(), format!("the search (sample-size solves for {path})")));
    }
    for (path, origin) in &given {
        let here = canonical(path);
        if let Some((other, where_)) = elsewhere.iter().find(|(p, _)| sweep::same_field(&here, &canonical(p))) {
            let hint = if where_.starts_with("the search") {
                "remove it, or search a range with --min and --max".to_string()
            } else if where_.contains("series") {
                "remove it, or change the series' value in the file".to_string()
            } else {
                format!("remove it, or give the values with --sweep {other}=V1,V2,... (it replaces the grid's)")
            };
            return Err(Failure::BadInput(format!(
                "{origin}: {path} is also set by {where_}, which replaces it at every design point, so the value \
                 would be lost; {hint}"
            )));
        }
    }
    Ok(())
}

/// The file a path names, symlinks followed to their final target (also one that does not
/// exist yet, which writing would create); `None` for stdout, devices and FIFOs, which can
/// take several outputs without harm.
fn file_identity(path: &Path) -> Option<std::path::PathBuf> {
    if path.as_os_str() == "-" || std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return None;
    }
    output::final_target(path).ok()
}

/// Refuses outputs that would overwrite the scenario, each other, or each other's provenance
/// sidecars: `outputs` are (option, path) pairs such as ("--out", results.csv).
fn refuse_clobbering(scenario: &Path, outputs: &[(&str, &Path)]) -> Result<(), Failure> {
    let mut taken: Vec<(String, std::path::PathBuf)> = Vec::new();
    if let Some(id) = file_identity(scenario) {
        taken.push(("the scenario file".into(), id));
    }
    for (option, path) in outputs {
        let mine: Vec<(String, std::path::PathBuf)> = [
            (format!("{option} {}", path.display()), file_identity(path)),
            (format!("the provenance of {option} {}", path.display()), file_identity(&provenance::sidecar_path(path))),
        ]
        .into_iter()
        .filter_map(|(what, id)| id.map(|id| (what, id)))
        .collect();
        for (what, id) in &mine {
            if let Some((other, _)) = taken.iter().find(|(_, t)| t == id) {
                return Err(Failure::BadInput(format!(
                    "{what} would overwrite {other}: give each output its own file name"
                )));
            }
        }
        taken.extend(mine);
    }
    Ok(())
}

/// An output and, when it is a regular file, its provenance sidecar: both checked before any
/// work, so an unwritable or clobbering path fails at once.
struct Output {
    file: Destination,
    sidecar: Option<Destination>,
    /// Held from before the run until its files are written, so that two runs given this
    /// output cannot interleave their files.
    _lock: Option<output::WriteLock>,
}

/// Refuses clobbering among `outputs` ((option, path) pairs) and the scenario, then prepares
/// each output and its sidecar.
fn prepare_outputs(scenario: &Path, outputs: &[(&str, &Path)]) -> Result<Vec<Output>, Failure> {
    refuse_clobbering(scenario, outputs)?;
    outputs
        .iter()
        .map(|(_, path)| {
            let file = destination(path)?;
            let sidecar = if file.is_file() { Some(destination(&provenance::sidecar_path(path))?) } else { None };
            let lock = output::WriteLock::take(&file).map_err(|e| Failure::Runtime(e.to_string()))?;
            Ok(Output { file, sidecar, _lock: lock })
        })
        .collect()
}

/// The provenance record of a run or search (its `output_sha256` is filled in per file, and
/// its `reproduce` completed by [`reproducing`]). `search` holds a search's options as they
/// reproduce it; `None` for `run`.
fn provenance_of(sim: &SimulationArgs, loaded: &Loaded, search: Option<&str>) -> Result<Provenance, Failure> {
    let Loaded { source, base, study, plans } = loaded;
    let first = &plans[0];
    let scenario = provenance::scenario_text(source, base, study, first.calibration.as_ref())?;
    // The base design with every default and preset written out, as `explain` shows it.
    let resolved = if study.is_single() {
        Some(first.clone())
    } else {
        study::plan_with(source, base, None, first.calibration.as_ref()).ok()
    }
    .map(|plan| explain::resolved_text(&plan));
    Ok(Provenance {
        tool: env!("CARGO_PKG_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command: std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect(),
        scenario_file: source.file.clone(),
        set: sim.scenario.set.clone(),
        sweep: sim.sweep.clone(),
        seed: first.scenario.design.seed,
        reps: (search.is_none() && sim.precision.is_none()).then_some(first.scenario.design.reps),
        reproduce: {
            // sample-size always uses --max-reps; run only under --precision.
            let precision = match (sim.precision, search.is_some()) {
                (Some(h), _) => format!(" --precision {h} --max-reps {}", sim.max_reps),
                (None, true) => format!(" --max-reps {}", sim.max_reps),
                (None, false) => String::new(),
            };
            match search {
                None => format!("mgtrial run SCENARIO.toml{precision}"),
                Some(options) => format!("mgtrial sample-size SCENARIO.toml {options}{precision}"),
            }
        },
        precision: sim.precision,
        max_reps: (sim.precision.is_some() || search.is_some()).then_some(sim.max_reps),
        calibration: first.calibration.clone(),
        scenario_sha256: provenance::sha256_hex(scenario.as_bytes()),
        output_sha256: String::new(),
        plotted_from: None,
        plot_command: None,
        scenario,
        resolved_scenario_sha256: resolved.as_ref().map(|r| provenance::sha256_hex(r.as_bytes())),
        resolved_scenario: resolved,
    })
}

/// `record` with its `reproduce` command completed by the option that writes `output`
/// (e.g. `--out results.csv`, `--plot power.svg --target 0.8`).
fn reproducing(record: &Provenance, option: &str, output: &Path, more: &str) -> Provenance {
    let name = output.file_name().map_or_else(|| output.display().to_string(), |n| n.to_string_lossy().into_owned());
    Provenance { reproduce: format!("{} {option} {}{more}", record.reproduce, shell_word(&name)), ..record.clone() }
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A run expected to take over [`LONG_RUN_SECONDS`] says so on stderr before it starts, with
/// the participants it simulates and its memory: `left[i]` replicates of `plans[i]`, the rest
/// of the run when it `resumed`. Under precision control the replicates are not known ahead:
/// `left` holds the cap of every point still to run, so the estimate is an upper bound.
fn announce_long_run(runner: &Runner, plans: &[Plan], left: &[u32], rule: RepsRule, resumed: bool, keep_all: bool) {
    let bound = if matches!(rule, RepsRule::Precision { .. }) { "at most " } else { "" };
    let e = runner.estimate(plans, left, LONG_RUN_SECONDS, keep_all);
    if e.seconds > LONG_RUN_SECONDS || e.memory_bytes > LARGE_MEMORY_BYTES {
        let time = if e.pilot_trials > 0 {
            format!("{bound}{} (from a timed pilot of {} trials)", format_duration(e.seconds), e.pilot_trials)
        } else {
            "under a minute".to_string()
        };
        eprintln!(
            "note: {} simulates {bound}{:.3e} participants over {} design point(s); expected time {time}, peak memory \
             about {:.0} MB",
            if resumed { "the rest of this run" } else { "this run" },
            e.participants as f64,
            left.iter().filter(|&&r| r > 0).count(),
            e.memory_bytes as f64 / 1e6
        );
    }
}

/// What a resumed run continues from: the checkpoint, the design points it had completed and
/// where the point it was on had got to.
fn resumed_note(path: &Path, study: &Study, plans: &[Plan], saved: &[mgtrial::engine::PointResults]) -> String {
    let complete = saved.iter().zip(plans).take_while(|(r, p)| r.reps >= p.scenario.design.reps).count();
    let mut note =
        format!("resumed from {}: {complete} of {} design point(s) already complete", path.display(), plans.len());
    if let Some(r) = saved.get(complete).filter(|r| r.reps > 0) {
        let point = study.describe(&study.points[complete]);
        note += &format!(
            "; point {}{} continues after {} of {} replicates",
            complete + 1,
            if point.is_empty() { String::new() } else { format!(" ({point})") },
            r.reps,
            plans[complete].scenario.design.reps
        );
    }
    note
}

/// Runs expected to take longer than this many seconds are announced.
const LONG_RUN_SECONDS: f64 = 60.0;

/// Runs expected to use more memory than this are announced, however quick.
const LARGE_MEMORY_BYTES: u64 = 1_000_000_000;

/// `95 s` as "1 min 35 s".
fn format_duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

fn reps_rule(sim: &SimulationArgs) -> RepsRule {
    match sim.precision {
        Some(half_width) => RepsRule::Precision { half_width, cap: sim.max_reps },
        None => RepsRule::FromScenario,
    }
}

fn show_progress(sim: &SimulationArgs) -> bool {
    !sim.quiet && std::io::stderr().is_terminal()
}

/// Writes the results, each file with its provenance sidecar, as one unit (see
/// [`output::write_together`]), and the table: on stdout, or on stderr when a result goes to
/// stdout. `files` holds each output, its bytes and the record that produced it (its
/// `output_sha256` is filled in here).
fn finish(table: &str, files: &[(&Output, &[u8], Option<&Provenance>)]) -> Result<(), Failure> {
    let to_stdout = files.iter().any(|(o, ..)| o.file.is_stdout());
    if to_stdout {
        eprint!("{table}");
    }
    let sidecars: Vec<Option<Vec<u8>>> = files
        .iter()
        .map(|(o, bytes, record)| {
            let record = Provenance { output_sha256: provenance::sha256_hex(bytes), ..(*record)?.clone() };
            o.sidecar.as_ref().map(|_| record.to_toml(o.file.path()).into_bytes())
        })
        .collect();
    let mut unit: Vec<(&Destination, &[u8])> = Vec::new();
    for ((o, bytes, _), sidecar) in files.iter().zip(&sidecars) {
        if let (Some(dest), Some(text)) = (&o.sidecar, sidecar) {
            unit.push((dest, text));
        }
        unit.push((&o.file, bytes));
    }
    output::write_together(&unit).map_err(|e| Failure::Runtime(e.to_string()))?;
    if !to_stdout {
        print(table)?;
    }
    for ((o, ..), sidecar) in files.iter().zip(&sidecars) {
        if !o.file.is_stdout() {
            print(&format!("wrote {}\n", o.file.path().display()))?;
        }
        if let (Some(dest), Some(_)) = (&o.sidecar, sidecar) {
            print(&format!("wrote {} (what produced {})\n", dest.path().display(), o.file.path().display()))?;
        }
    }
    Ok(())
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let sim = &args.sim;
    check_simulation_options(sim)?;
    if let Some(spec) = &args.shard {
        return run_shard(&args, spec);
    }
    let plot_format = match &args.plot {
        Some(path) => Some(plot::Format::from_path(path).map_err(|e| Failure::BadInput(e.to_string()))?),
        None => None,
    };
    // Outputs are checked before the scenario is loaded (a calibration simulates).
    let mut outputs: Vec<(&str, &Path)> = Vec::new();
    outputs.extend(sim.out.as_deref().map(|p| ("--out", p)));
    outputs.extend(args.plot.as_deref().map(|p| ("--plot", p)));
    let mut prepared = prepare_outputs(&sim.scenario.scenario, &outputs)?.into_iter();
    let out = sim.out.as_ref().and_then(|_| prepared.next());
    let plot_out = args.plot.as_ref().and_then(|_| prepared.next());
    let loaded = load_study(&Request::of(sim), None)?;
    let (study, plans) = (&loaded.study, &loaded.plans);
    // What to plot is settled before simulating, so a bad --plot costs no run.
    let plot_spec = match plot_format {
        Some(format) => {
            let mut spec = plot::study_spec(study, plans).ok_or_else(|| {
                Failure::BadInput("--plot needs a swept field for the x axis (a [sweep] grid or --sweep)".into())
            })?;
            spec.target = Some(args.target);
            spec.title = args.title.clone().or(spec.title);
            spec.metadata = Some(plot::provenance(std::env::args_os().skip(1)));
            Some((format, spec))
        }
        None => None,
    };
    let record = provenance_of(sim, &loaded, None)?;
    let rule = reps_rule(sim);
    let runner = Runner::new(sim.threads, show_progress(sim));
    // A run writing a CSV file keeps its work when interrupted (see `checkpoint.rs`).
    let checkpoint_path = out.as_ref().filter(|o| o.file.is_file()).map(|o| checkpoint::path_of(o.file.path()));
    let identity = Checkpoint {
        mark: checkpoint::MARK.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_file: record.scenario_file.clone(),
        scenario_sha256: record.scenario_sha256.clone(),
        set: sim.scenario.set.clone(),
        sweep: sim.sweep.clone(),
        cli_reps: sim.reps,
        cli_seed: sim.seed,
        precision: sim.precision,
        max_reps: sim.max_reps,
        points: Vec::new(),
    };
    let saved = match (&checkpoint_path, args.resume) {
        (Some(path), true) => resume_from(path, &identity, plans)?,
        (None, true) => return Err(Failure::BadInput("--resume needs --out FILE.csv, a regular file".into())),
        _ => Vec::new(),
    };
    if let (Some(path), Some(scenario)) = (&checkpoint_path, file_identity(&sim.scenario.scenario))
        && file_identity(path).is_some_and(|id| id == scenario)
    {
        return Err(Failure::BadInput(format!(
            "the checkpoint of --out would be {}, the scenario file itself: give the output another name",
            path.display()
        )));
    }
    if let Some(path) = checkpoint_path.as_ref().filter(|_| !saved.is_empty()) {
        eprintln!("{}", resumed_note(path, study, plans, &saved));
    }
    // The progress bar and the long-run note count only the work left.
    let left: Vec<u32> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| match (rule, saved.get(i)) {
            (RepsRule::FromScenario, done) => p.scenario.design.reps - done.map_or(0, |d| d.reps),
            // A saved point under precision control is complete (see `checkpoint.rs`).
            (RepsRule::Precision { .. }, Some(_)) => 0,
            (RepsRule::Precision { cap, .. }, None) => cap,
        })
        .collect();
    if rule == RepsRule::FromScenario {
        runner.schedule(plans.iter().zip(&left).map(|(p, &r)| u64::from(r) * u64::from(p.total_enrolled())).sum());
    }
    announce_long_run(&runner, plans, &left, rule, !saved.is_empty(), checkpoint_path.is_some());
    output::set_graceful(checkpoint_path.is_some());
    // Without a checkpoint to write, the run keeps only the previous point's results.
    let progress = if checkpoint_path.is_some() {
        study::run_resumable(study, plans, &runner, rule, saved)
    } else {
        study::Progress::Done(study::run(study, plans, &runner, rule))
    };
    let outcomes = match progress {
        study::Progress::Done(outcomes) => outcomes,
        study::Progress::Stopped { signal, mut points } => {
            runner.bar.finish_and_clear();
            // Under precision control the point in progress starts again on resume.
            if rule != RepsRule::FromScenario {
                points.pop();
            }
            let path = checkpoint_path.expect("only a checkpointing run stops gracefully");
            let complete = points.iter().zip(plans).filter(|(r, p)| r.reps >= p.scenario.design.reps).count();
            let file = Checkpoint { points: points.iter().map(SavedPoint::of).collect(), ..identity };
            destination(&path)?.write(file.to_text().as_bytes()).map_err(|e| Failure::Runtime(e.to_string()))?;
            eprintln!(
                "interrupted: {complete} of {} design points complete; the work so far is in {}; continue with the same \
                 command and --resume",
                plans.len(),
                path.display()
            );
            return Err(Failure::Interrupted(signal));
        }
    };
    output::set_graceful(false);
    runner.bar.finish_and_clear();
    if let RepsRule::Precision { half_width, cap } = rule {
        let short = outcomes
            .iter()
            .filter(|o| o.rows.iter().any(|r| (r.power_ci_high - r.power_ci_low) / 2.0 > half_width))
            .count();
        if short > 0 {
            eprintln!(
                "warning: {short} of {} design points stopped at --max-reps {cap} before reaching a CI half-width \
                 of {half_width}; their reps column says how many they took",
                outcomes.len()
            );
        }
    }
    let csv = export::study_csv(study, &outcomes, &record.scenario_sha256);
    let table = export::effect_header(&loaded.plans) + &export::study_table(study, &outcomes);
    // The plot is made before anything is written, so bad plot input leaves no files.
    let figure = match &plot_spec {
        Some((format, spec)) => {
            Some(plot::render_as(&csv, spec, *format).map_err(|e| Failure::BadInput(e.to_string()))?)
        }
        None => None,
    };
    let csv_record = out.as_ref().map(|o| reproducing(&record, "--out", o.file.path(), ""));
    let plot_record = plot_out.as_ref().map(|o| {
        let mut more = format!(" --target {}", args.target);
        if let Some(title) = &args.title {
            more += &format!(" --title {}", shell_word(title));
        }
        reproducing(&record, "--plot", o.file.path(), &more)
    });
    let mut files: Vec<(&Output, &[u8], Option<&Provenance>)> = Vec::new();
    if let Some(o) = &out {
        files.push((o, csv.as_bytes(), csv_record.as_ref()));
    }
    if let (Some(o), Some(figure)) = (&plot_out, &figure) {
        files.push((o, figure, plot_record.as_ref()));
    }
    // A stop asked for once the simulation was done is honoured before anything is written.
    if let Some(signal) = output::stop_requested() {
        return Err(Failure::Interrupted(signal));
    }
    finish(&table, &files)?;
    // The run is complete: a checkpoint of an earlier interrupted run is spent (only a file
    // marked as one is removed).
    if let Some(path) = &checkpoint_path
        && std::fs::read_to_string(path).is_ok_and(|t| t.starts_with(&format!("# {}", checkpoint::MARK)))
    {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

fn sample_size(args: SampleSizeArgs) -> Result<(), Failure> {
    let sim = &args.sim;
    if sim.reps.is_some() {
        return Err(Failure::BadInput(
            "sample-size chooses the replicates of each evaluation itself: use --precision and --max-reps, not --reps"
                .into(),
        ));
    }
    check_simulation_options(sim)?;
    let outputs: Vec<(&str, &Path)> = sim.out.as_deref().map(|p| ("--out", p)).into_iter().collect();
    let out = prepare_outputs(&sim.scenario.scenario, &outputs)?.into_iter().next();
    let loaded = load_study(&Request::of(sim), Some(args.solve_for.as_deref().unwrap_or("design.n_per_arm")))?;
    let Loaded { source, base, study, plans } = &loaded;
    let mut options = format!(
        "--target {} --criterion {}",
        args.target,
        match args.criterion {
            cli::Criterion::Estimate => "estimate",
            cli::Criterion::Lower => "lower",
        }
    );
    if let Some(path) = &args.solve_for {
        options += &format!(" --solve-for {path}");
    }
    for (flag, v) in [("--min", args.min), ("--max", args.max), ("--tolerance", args.tolerance)] {
        if let Some(v) = v {
            options += &format!(" {flag} {v}");
        }
    }
    let record = provenance_of(sim, &loaded, Some(&options))?;
    let integer = match (&args.solve_for, args.min) {
        (Some(path), Some(min)) => source.is_integer_field(base, path, min),
        _ => false,
    };
    let spec = SearchSpec::new(
        args.solve_for.as_deref(),
        integer,
        args.min,
        args.max,
        args.tolerance,
        args.target,
        match args.criterion {
            cli::Criterion::Estimate => Criterion::Estimate,
            cli::Criterion::Lower => Criterion::Lower,
        },
        sim.precision.unwrap_or(0.01),
        sim.max_reps,
    )?;
    let runner = Runner::new(sim.threads, show_progress(sim));
    let mut results = Vec::with_capacity(study.points.len());
    for (i, (point, plan)) in study.points.iter().zip(plans).enumerate() {
        runner.bar.set_message(format!("search {}/{}: {}", i + 1, plans.len(), study.describe(point)));
        let mut overrides = base.clone();
        overrides.extend(study.overrides(point));
        results.push(search::search(source, &overrides, plan, &spec, &runner)?);
    }
    runner.bar.finish_and_clear();
    let csv = search::results_csv(study, &spec, &results, &record.scenario_sha256);
    let table = export::effect_header(plans) + &search::results_table(study, &spec, &results);
    let csv_record = out.as_ref().map(|o| reproducing(&record, "--out", o.file.path(), ""));
    match &out {
        Some(o) => finish(&table, &[(o, csv.as_bytes(), csv_record.as_ref())])?,
        None => print(&table)?,
    }
    // Every point's row is written; a point that did not reach the target makes the exit 1.
    if results.iter().any(|r| r.value.is_none()) { Err(Failure::NotReached) } else { Ok(()) }
}

fn plot_cmd(args: PlotArgs) -> Result<(), Failure> {
    let bad = |e: plot::PlotError| Failure::BadInput(e.to_string());
    let format = plot::Format::from_path(&args.out).map_err(bad)?;
    let csv = output::read_result_text(&args.csv).map_err(|e| Failure::BadInput(e.to_string()))?;
    let spec = plot::PlotSpec {
        series: args.series.map(|s| s.split(',').map(|c| c.trim().to_string()).collect()).unwrap_or_default(),
        y: args.y,
        target: Some(args.target),
        title: args.title,
        caption: args.caption,
        x_label: args.x_label,
        y_label: args.y_label,
        screening_panel: match args.screening_panel {
            cli::ScreeningPanel::Auto => plot::ScreeningPanel::Auto,
            cli::ScreeningPanel::Always => plot::ScreeningPanel::Always,
            cli::ScreeningPanel::Never => plot::ScreeningPanel::Never,
        },
        size: args.size,
        png_scale: args.scale,
        metadata: Some(plot::provenance(std::env::args_os().skip(1))),
        ..plot::PlotSpec::new(args.x)
    };
    let out = prepare_outputs(&args.csv, &[("--out", &args.out)])?.remove(0);
    // Titled and captioned as `run --plot` does it, from the scenario in the provenance.
    let record = Provenance::read(&args.csv);
    let spec = match &record {
        Ok(r) => plot::with_provenance(spec, &csv, r),
        Err(_) => spec,
    };
    let figure =
        plot::render_as(&csv, &spec, format).map_err(|e| Failure::BadInput(format!("{}: {e}", args.csv.display())))?;
    // A figure of a CSV with provenance carries it on, with how it was drawn.
    let record = match record {
        Ok(record) if record.output_sha256 != provenance::sha256_hex(csv.as_bytes()) => {
            eprintln!(
                "warning: {} has changed since mgtrial wrote it, so its provenance is not carried to {}",
                args.csv.display(),
                args.out.display()
            );
            None
        }
        Ok(record) => {
            let command: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
            // Both files by their names alone, as the CSV's own command writes it.
            let file_name =
                |p: &Path| p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
            let (csv_given, out_given) = (args.csv.display().to_string(), args.out.display().to_string());
            let mut replot: Vec<String> = Vec::new();
            for (i, word) in command.iter().enumerate().skip(1) {
                let after_out = i > 1 && command[i - 1] == "--out";
                let word = if after_out && *word == out_given {
                    file_name(&args.out)
                } else if word.strip_prefix("--out=") == Some(out_given.as_str()) {
                    format!("--out={}", file_name(&args.out))
                } else if !after_out && *word == csv_given {
                    file_name(&args.csv)
                } else {
                    word.clone()
                };
                replot.push(shell_word(&word));
            }
            Some(Provenance {
                plotted_from: Some(args.csv.display().to_string()),
                // The CSV's own command, then this plot's.
                reproduce: format!("{}, then: mgtrial {}", record.reproduce, replot.join(" ")),
                plot_command: Some(command),
                ..record
            })
        }
        Err(_) => None,
    };
    finish("", &[(&out, &figure, record.as_ref())])
}

fn explain_cmd(args: ExplainArgs) -> Result<(), Failure> {
    if let Some(result) = &args.from {
        let record = Provenance::read(result).map_err(Failure::BadInput)?;
        let bytes = std::fs::read(result).ok();
        // The sidecar and its output are one unit: a sidecar beside another output (a run
        // that failed between them, or an edit) describes something else, and is refused.
        if let Some(bytes) = &bytes
            && provenance::sha256_hex(bytes) != record.output_sha256
        {
            return Err(Failure::BadInput(format!(
                "{} is not the output its provenance {} describes (their SHA-256 differ): it was edited or replaced \
                 after the sidecar was written, so the sidecar's command and scenario did not produce it",
                result.display(),
                provenance::sidecar_path(result).display()
            )));
        }
        return print(&record.describe(result, bytes.as_deref()));
    }
    let args = ScenarioArgs {
        scenario: args
            .scenario
            .ok_or_else(|| Failure::BadInput("explain needs a SCENARIO file, or --from RESULT".into()))?,
        set: args.set,
    };
    // The same loading as `run`, so `explain` accepts exactly the studies `run` accepts.
    let loaded = load_study(&Request { scenario: &args, reps: None, seed: None, sweep: &[] }, None)?;
    let Loaded { source, base, study, plans } = &loaded;
    let mut text = String::new();
    let plan = if study.is_single() {
        plans[0].clone()
    } else {
        text += &format!(
            "# This scenario has a sweep of {} design points ({}); shown here is its base design, without the \
             sweep's values. `mgtrial run` simulates every point.\n",
            study.points.len(),
            study.summary()
        );
        study::plan_with(source, base, None, plans[0].calibration.as_ref())?
    };
    text += &explain::explain(&plan);
    print(&text)
}

/// `mgtrial check`: re-runs each scenario with its baseline's `--set`, `--sweep`, seed and
/// replicates (from the baseline's provenance sidecar), compares every row (see `check.rs`),
/// prints the rows that failed, and exits 1 if any did (0 with `--update`, which rewrites the
/// baselines).
fn check_cmd(args: CheckArgs) -> Result<(), Failure> {
    use mgtrial::check::{self, CheckOptions};
    if !(args.alpha > 0.0 && args.alpha <= 0.5) {
        return Err(Failure::BadInput(format!("--alpha {}: allowed values are above 0 and at most 0.5", args.alpha)));
    }
    if !(0.0..1.0).contains(&args.min_change) {
        return Err(Failure::BadInput(format!("--min-change {}: allowed values are 0 to below 1", args.min_change)));
    }
    if args.threads > MAX_THREADS {
        return Err(Failure::BadInput(format!(
            "--threads {}: allowed values are 0 (one per core) to {MAX_THREADS}",
            args.threads
        )));
    }
    let _ = rayon::ThreadPoolBuilder::new().num_threads(args.threads).build_global();
    let directory = args.baseline.is_dir();
    if !directory && args.scenarios.len() > 1 {
        return Err(Failure::BadInput(format!(
            "--baseline {} is one file, for one scenario; for {} scenarios give a directory holding SCENARIO_STEM.csv \
             for each",
            args.baseline.display(),
            args.scenarios.len()
        )));
    }
    let junit = args.junit.as_deref().map(destination).transpose()?;
    let options = CheckOptions { alpha: args.alpha, min_change: args.min_change };
    let runner = Runner::new(args.threads, false);
    let (mut rows, mut updates) = (Vec::new(), Vec::new());
    // What each scenario assumes of the effect heads the report.
    let mut effects = String::new();
    for scenario in &args.scenarios {
        let baseline = if directory {
            let stem = scenario.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            args.baseline.join(format!("{stem}.csv"))
        } else {
            args.baseline.clone()
        };
        let unreadable = |e: String| {
            Failure::BadInput(format!(
                "baseline {}: {e} (write one with `mgtrial run {} --out {}`)",
                baseline.display(),
                scenario.display(),
                baseline.display()
            ))
        };
        let text = std::fs::read_to_string(&baseline).map_err(|e| unreadable(e.to_string()))?;
        let record = Provenance::read(&baseline).map_err(unreadable)?;
        let reps = record.reps.ok_or_else(|| {
            unreadable(
                "it was made under --precision or by sample-size; check re-runs a fixed number of replicates".into(),
            )
        })?;
        // The baseline's replicates and seed are given as overrides only where the file (with
        // the baseline's --set) does not already have them, so that an unchanged scenario
        // resolves to the very text the baseline ran, and is checked for exact reproduction.
        let written = {
            let set: Vec<Override> = record.set.iter().map(|s| Override::parse(s)).collect::<Result<_, _>>()?;
            Source::read(scenario)?.resolve(&set, None)?
        };
        let seed = args.seed.unwrap_or(record.seed);
        let sim = SimulationArgs {
            scenario: ScenarioArgs { scenario: scenario.clone(), set: record.set.clone() },
            sweep: record.sweep.clone(),
            reps: (written.design.reps != reps).then_some(reps),
            seed: (written.design.seed != seed).then_some(seed),
            precision: None,
            max_reps: 200_000,
            threads: args.threads,
            out: None,
            quiet: true,
        };
        let loaded = load_study(&Request::of(&sim), None)?;
        let now = provenance_of(&sim, &loaded, None)?;
        let outcomes = study::run(&loaded.study, &loaded.plans, &runner, RepsRule::FromScenario);
        let csv = export::study_csv(&loaded.study, &outcomes, &now.scenario_sha256);
        for line in export::effect_header(&loaded.plans).lines() {
            effects += &format!("{}: {line}\n", scenario.display());
        }
        // The same seed, replicates, version and scenario must give the same bytes.
        let exact = args.seed.is_none_or(|s| s == record.seed)
            && record.version == env!("CARGO_PKG_VERSION")
            && record.scenario_sha256 == now.scenario_sha256;
        let name = scenario.display().to_string();
        if !exact && args.seed.is_none() {
            let why = if record.version != env!("CARGO_PKG_VERSION") {
                format!("the baseline was made by mgtrial {}", record.version)
            } else {
                "the scenario differs from the baseline's".to_string()
            };
            eprintln!("note: {name}: {why}, so rows are compared within Monte Carlo error, not for exact reproduction");
        }
        if provenance::sha256_hex(text.as_bytes()) != record.output_sha256 {
            return Err(unreadable(
                "the CSV is not the file its provenance describes (edited since it was written)".into(),
            ));
        }
        rows.extend(check::compare(&name, &text, &csv, exact, &options).map_err(unreadable)?);
        if args.update {
            updates.push((baseline, csv, now));
        }
    }
    check::adjust(&mut rows, &options);
    print(&(effects + &check::table(&rows, &options)))?;
    if let Some(dest) = &junit {
        write_file(dest, check::junit(&rows))?;
    }
    if args.update {
        for (path, csv, record) in updates {
            let file = destination(&path)?;
            let sidecar = Some(destination(&provenance::sidecar_path(&path))?);
            let lock = output::WriteLock::take(&file).map_err(|e| Failure::Runtime(e.to_string()))?;
            let out = Output { file, sidecar, _lock: lock };
            finish("", &[(&out, csv.as_bytes(), Some(&reproducing(&record, "--out", &path, "")))])?;
        }
        return Ok(());
    }
    if rows.iter().any(|r| r.failed()) { Err(Failure::Drift) } else { Ok(()) }
}

/// `mgtrial validate`: runs the installation checks of `validation.rs` and prints their
/// table; exit 0 only if every check passes (1 otherwise).
fn validate_cmd(args: ValidateArgs) -> Result<(), Failure> {
    use mgtrial::validation::{self, Settings};
    if args.threads > MAX_THREADS {
        return Err(Failure::BadInput(format!(
            "--threads {}: allowed values are 0 (one per core) to {MAX_THREADS}",
            args.threads
        )));
    }
    if !(0.0..0.5).contains(&args.inject_bias) {
        return Err(Failure::BadInput(format!(
            "--inject-bias {}: allowed values are 0 to below 0.5",
            args.inject_bias
        )));
    }
    let _ = rayon::ThreadPoolBuilder::new().num_threads(args.threads).build_global();
    let settings =
        Settings { reps: if args.thorough { 20_000 } else { 2_000 }, threads: args.threads, bias: args.inject_bias };
    let start = std::time::Instant::now();
    let checks = validation::run(&settings);
    print(&validation::table(&checks))?;
    print(&format!(
        "mgtrial {} validated with {} replicates per check in {:.1} s\n",
        env!("CARGO_PKG_VERSION"),
        settings.reps,
        start.elapsed().as_secs_f64()
    ))?;
    if checks.iter().all(|c| c.passes()) { Ok(()) } else { Err(Failure::Drift) }
}

/// `mgtrial run --shard I/N --out FILE`: simulates this shard's units of work and writes their
/// totals (see `shard.rs`).
fn run_shard(args: &RunArgs, spec: &str) -> Result<(), Failure> {
    use mgtrial::shard::{ShardFile, ShardPoint, ShardSpec};
    let sim = &args.sim;
    let shard = ShardSpec::parse(spec, |k| std::env::var(k).ok()).map_err(Failure::BadInput)?;
    if args.plot.is_some() || sim.precision.is_some() {
        return Err(Failure::BadInput(
            "--shard runs a fixed part of the replicates and writes their totals: --plot and --precision belong to \
             the merged run (plot the CSV that `mgtrial merge` writes)"
                .into(),
        ));
    }
    let Some(path) = &sim.out else {
        return Err(Failure::BadInput("--shard needs --out FILE for the shard's totals".into()));
    };
    let out = prepare_outputs(&sim.scenario.scenario, &[("--out", path)])?.remove(0);
    let loaded = load_study(&Request::of(sim), None)?;
    let record = provenance_of(sim, &loaded, None)?;
    let reps: Vec<u32> = loaded.plans.iter().map(|p| p.scenario.design.reps).collect();
    if reps.iter().any(|&r| r != reps[0]) {
        return Err(Failure::BadInput("--shard needs the same replicates at every design point".into()));
    }
    let runner = Runner::new(sim.threads, false);
    let points = shard
        .assignment(&reps)
        .into_iter()
        .enumerate()
        .filter(|(_, range)| !range.is_empty())
        .map(|(point, range)| ShardPoint {
            point,
            chunks: runner.chunk_totals(&loaded.plans[point], range, reps[point]),
        })
        .collect();
    let file = ShardFile {
        tool: env!("CARGO_PKG_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_file: record.scenario_file.clone(),
        scenario_sha256: record.scenario_sha256.clone(),
        set: sim.scenario.set.clone(),
        sweep: sim.sweep.clone(),
        seed: record.seed,
        reps: reps[0],
        cli_reps: sim.reps,
        cli_seed: sim.seed,
        index: shard.index,
        count: shard.count,
        points,
    };
    write_file(&out.file, file.to_text())
}

/// `mgtrial merge SCENARIO SHARD... --out FILE.csv`: checks that the shards are all the
/// shards of one run of this scenario, folds their totals in chunk order and writes the CSV
/// (and its provenance) a single run would have written.
fn merge_cmd(args: MergeArgs) -> Result<(), Failure> {
    use mgtrial::engine::PointResults;
    use mgtrial::shard::{self, ShardFile};
    if let Some(target) = file_identity(&args.out)
        && let Some(shard) = args.shards.iter().find(|s| file_identity(s).is_some_and(|id| id == target))
    {
        return Err(Failure::BadInput(format!(
            "--out {} would overwrite the shard {}: give the merged CSV its own name",
            args.out.display(),
            shard.display()
        )));
    }
    let out = prepare_outputs(&args.scenario, &[("--out", &args.out)])?.remove(0);
    let mut shards = Vec::new();
    let names: Vec<String> = args.shards.iter().map(|p| p.display().to_string()).collect();
    for (path, name) in args.shards.iter().zip(&names) {
        let text = std::fs::read_to_string(path).map_err(|e| Failure::BadInput(format!("shard {name}: {e}")))?;
        let file = ShardFile::from_text(&text).map_err(|e| {
            Failure::BadInput(format!("{name} is not an intact shard file written by `mgtrial run --shard`: {e}"))
        })?;
        shards.push(file);
    }
    let first = shards[0].clone();
    if first.version != env!("CARGO_PKG_VERSION") {
        return Err(Failure::BadInput(format!(
            "the shards were written by mgtrial {}, this is {}: merge with the version that ran them",
            first.version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let sim = SimulationArgs {
        scenario: ScenarioArgs { scenario: args.scenario.clone(), set: first.set.clone() },
        sweep: first.sweep.clone(),
        reps: first.cli_reps,
        seed: first.cli_seed,
        precision: None,
        max_reps: 200_000,
        threads: 0,
        out: Some(args.out.clone()),
        quiet: true,
    };
    let loaded = load_study(&Request::of(&sim), None)?;
    let record = provenance_of(&sim, &loaded, None)?;
    if record.scenario_sha256 != first.scenario_sha256 {
        return Err(Failure::BadInput(format!(
            "{} is not the scenario the shards ran (its SHA-256 with their --set differs): merge with that file",
            args.scenario.display()
        )));
    }
    let reps: Vec<u32> = loaded.plans.iter().map(|p| p.scenario.design.reps).collect();
    let chunks = shard::merge(&shards, &names, &reps).map_err(Failure::BadInput)?;
    if !chunks.iter().zip(&loaded.plans).all(|(cs, plan)| cs.iter().all(|c| c.fits(plan))) {
        return Err(Failure::BadInput("the shards' totals do not fit the scenario's arms and rows".into()));
    }
    let results = loaded.plans.iter().zip(chunks).map(|(plan, chunks)| {
        let mut r = PointResults::new(plan);
        for c in &chunks {
            r.absorb(c);
        }
        r
    });
    let outcomes = study::assemble(&loaded.study, &loaded.plans, results);
    let csv = export::study_csv(&loaded.study, &outcomes, &record.scenario_sha256);
    let table = export::effect_header(&loaded.plans) + &export::study_table(&loaded.study, &outcomes);
    finish(&table, &[(&out, csv.as_bytes(), Some(&reproducing(&record, "--out", out.file.path(), "")))])
}

/// The saved results of a checkpoint at `path`, checked to belong to the run `identity`
/// describes.
fn resume_from(
    path: &Path,
    identity: &Checkpoint,
    plans: &[Plan],
) -> Result<Vec<mgtrial::engine::PointResults>, Failure> {
    let bad = |m: String| Failure::BadInput(format!("--resume: {}: {m}", path.display()));
    if !path.exists() {
        // Nothing was kept (the run was stopped before any work, or has finished): start.
        eprintln!("note: no checkpoint {}: the run starts from the beginning", path.display());
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let saved = Checkpoint::from_text(&text).map_err(bad)?;
    if !saved.same_run(identity) {
        return Err(bad(
            "it is the checkpoint of another run (scenario, --set, --sweep, --reps, --seed, --precision or version \
             differ): run with the same options, or without --resume to start again"
                .into(),
        ));
    }
    if saved.points.len() > plans.len() {
        return Err(bad("it holds more design points than the run has".into()));
    }
    saved
        .points
        .iter()
        .zip(plans)
        .enumerate()
        .map(|(i, (p, plan))| {
            p.restore(plan).ok_or_else(|| {
                bad(format!("saved point {i} does not fit the run's rows, or its counts do not agree with each other"))
            })
        })
        .collect()
}
