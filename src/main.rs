//! Thin front end: parse arguments, call the library, map outcomes to exit codes
//! (0 success, 1 runtime failure such as an unwritable output, 2 bad input).

mod cli;

use clap::Parser;
use cli::{Cli, Command, PlotArgs, RunArgs, SampleSizeArgs, ScenarioArgs, SimulationArgs};
use mgtrial::engine::{Runner, check_precision};
use mgtrial::error::ScenarioError;
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
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Failure {
        Failure::BadInput(e.to_string())
    }
}

fn main() -> ExitCode {
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
    }
}

/// Prints to stdout; a closed pipe (e.g. `| head`) is not an error.
fn print(text: &str) -> Result<(), Failure> {
    match std::io::stdout().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Runtime(e.to_string())),
        _ => Ok(()),
    }
}

fn write_file(path: &Path, data: impl AsRef<[u8]>) -> Result<(), Failure> {
    export::write_atomic(path, data).map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", path.display())))
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

/// The scenario, the study of its sweep and the command line's, and every point's plan.
/// A swept field named `solved` is left out of the study (`sample-size` solves for it).
fn load_study(
    sim: &SimulationArgs,
    solved: Option<&str>,
) -> Result<(Source, Vec<Override>, Study, Vec<Plan>), Failure> {
    let source = Source::read(&sim.scenario.scenario)?;
    let base = base_overrides(&sim.scenario, sim.reps, sim.seed)?;
    let scenario = source.resolve(&base, None)?;
    let cli_axes = sim.sweep.iter().map(|a| sweep::parse_cli_axis(a)).collect::<Result<Vec<_>, _>>()?;
    let mut study = Study::new(scenario.sweep.as_ref(), cli_axes)?;
    if let Some(path) = solved {
        study = study.without_axis(path);
    }
    let plans = study::plans(&source, &base, &study)?;
    if let Some(h) = sim.precision {
        check_precision(h, sim.max_reps).map_err(Failure::BadInput)?;
    }
    if sim.threads > MAX_THREADS {
        return Err(Failure::BadInput(format!(
            "--threads {}: allowed values are 0 (one per core) to {MAX_THREADS}",
            sim.threads
        )));
    }
    Ok((source, base, study, plans))
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

/// Writes CSV to `--out` (a file, or "-" for stdout with the table on stderr) and the table.
fn emit(out: Option<&Path>, table: &str, csv: &str) -> Result<(), Failure> {
    match out {
        Some(path) if path.as_os_str() == "-" => {
            eprint!("{table}");
            print(csv)
        }
        Some(path) => {
            write_file(path, csv)?;
            print(table)?;
            print(&format!("wrote {}\n", path.display()))
        }
        None => print(table),
    }
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let sim = &args.sim;
    let (_, _, study, plans) = load_study(sim, None)?;
    let plot_format = match &args.plot {
        Some(path) => Some(plot::Format::from_path(path).map_err(|e| Failure::BadInput(e.to_string()))?),
        None => None,
    };
    let rule = reps_rule(sim);
    let runner = Runner::new(sim.threads, show_progress(sim));
    if rule == RepsRule::FromScenario {
        runner.schedule(plans.iter().map(|p| u64::from(p.scenario.design.reps)).sum());
    }
    let outcomes = study::run(&study, &plans, &runner, rule);
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
    let csv = export::study_csv(&study, &outcomes);
    let table = export::study_table(&study, &outcomes);
    // The plot is made before anything is written, so bad plot input leaves no files.
    let figure = match plot_format {
        Some(format) => {
            let mut spec = plot::study_spec(&study, &plans).ok_or_else(|| {
                Failure::BadInput("--plot needs a swept field for the x axis (a [sweep] grid or --sweep)".into())
            })?;
            spec.target = Some(args.target);
            spec.title = args.title.clone().or(spec.title);
            spec.metadata = Some(plot::provenance(std::env::args_os().skip(1)));
            Some(plot::render_as(&csv, &spec, format).map_err(|e| Failure::BadInput(e.to_string()))?)
        }
        None => None,
    };
    emit(sim.out.as_deref(), &table, &csv)?;
    if let (Some(path), Some(figure)) = (&args.plot, figure) {
        write_file(path, &figure)?;
        print(&format!("wrote {}\n", path.display()))?;
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
    let (source, base, study, plans) = load_study(sim, Some(args.solve_for.as_deref().unwrap_or("design.n_per_arm")))?;
    let integer = match (&args.solve_for, args.min) {
        (Some(path), Some(min)) => source.is_integer_field(&base, path, min),
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
    for (i, (point, plan)) in study.points.iter().zip(&plans).enumerate() {
        runner.bar.set_message(format!("search {}/{}: {}", i + 1, plans.len(), study.describe(point)));
        let mut overrides = base.clone();
        overrides.extend(study.overrides(point));
        results.push(search::search(&source, &overrides, plan, &spec, &runner)?);
    }
    runner.bar.finish_and_clear();
    let csv = search::results_csv(&study, &spec, &results);
    let table = search::results_table(&study, &spec, &results);
    emit(sim.out.as_deref(), &table, &csv)
}

fn plot_cmd(args: PlotArgs) -> Result<(), Failure> {
    let bad = |e: plot::PlotError| Failure::BadInput(e.to_string());
    let format = plot::Format::from_path(&args.out).map_err(bad)?;
    let csv = std::fs::read_to_string(&args.csv)
        .map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", args.csv.display())))?;
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
    let figure =
        plot::render_as(&csv, &spec, format).map_err(|e| Failure::BadInput(format!("{}: {e}", args.csv.display())))?;
    write_file(&args.out, &figure)?;
    print(&format!("wrote {}\n", args.out.display()))
}

fn explain_cmd(args: ScenarioArgs) -> Result<(), Failure> {
    let source = Source::read(&args.scenario)?;
    let base = base_overrides(&args, None, None)?;
    let plan = study::plan_with(&source, &base, None)?;
    print(&explain::explain(&plan))
}
