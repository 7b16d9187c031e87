//! `mgtrial run`: simulates every design point of a scenario's study and writes the CSV,
//! the figure and their provenance; `--resume` continues an interrupted run from its
//! checkpoint, `--shard` hands over to [`super::shard`].

use crate::cli::RunArgs;
use mgtrial::engine::Runner;
use mgtrial::error::Failure;
use mgtrial::output;
use mgtrial::report::files::{Output, destination, file_identity, finish, prepare_outputs};
use mgtrial::report::provenance::{Provenance, shell_word};
use mgtrial::report::{export, notes, plot};
use mgtrial::study::checkpoint::{self, Checkpoint, SavedPoint};
use mgtrial::study::{self, RepsRule, request};
use std::path::Path;

pub fn execute(args: RunArgs) -> Result<(), Failure> {
    let sim = &args.sim;
    sim.check()?;
    if let Some(spec) = &args.shard {
        return super::shard::execute(&args, spec);
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
    if let (Some(row), None) = (&sim.power_of, sim.precision) {
        return Err(Failure::BadInput(format!(
            "--power-of {row} chooses the power that --precision judges, and this run has a fixed number of \
             replicates: add --precision H, or remove --power-of"
        )));
    }
    let mut loaded = request::load(&sim.request(), None)?;
    sim.judge(&mut loaded)?;
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
    let record = sim.provenance(&loaded, None)?;
    let rule = sim.reps_rule();
    let runner = Runner::new(sim.threads, sim.show_progress());
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
        power_of: sim.power_of.clone(),
        points: Vec::new(),
    };
    let saved = match (&checkpoint_path, args.resume) {
        (Some(path), true) => checkpoint::resume_from(path, &identity, plans)?,
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
        eprintln!("{}", notes::resumed(path, study, plans, &saved));
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
    if let Some(note) = notes::long_run(&runner, plans, &left, rule, !saved.is_empty(), checkpoint_path.is_some()) {
        eprintln!("{note}");
    }
    output::set_graceful(checkpoint_path.is_some());
    // Without a checkpoint to write, the run keeps only the previous point's results.
    let progress = if checkpoint_path.is_some() {
        study::run_resumable(study, plans, &runner, rule, saved)
    } else {
        study::Progress::Done(study::run(study, plans, &runner, rule))
    };
    if let Some(why) = runner.failure() {
        runner.bar.finish_and_clear();
        return Err(Failure::BadInput(why));
    }
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
            destination(&path)?.write(file.to_text().as_bytes()).map_err(Failure::from)?;
            eprintln!(
                "interrupted: {complete} of {} design points complete; the work so far is in {}; continue with the same \
                 command and --resume",
                plans.len(),
                path.display()
            );
            return Err(Failure::Interrupted(signal));
        }
    };
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
    let csv_record = out.as_ref().map(|o| record.reproducing("--out", o.file.path(), ""));
    let plot_record = plot_out.as_ref().map(|o| {
        let mut more = format!(" --target {}", args.target);
        if let Some(title) = &args.title {
            more += &format!(" --title {}", shell_word(title));
        }
        record.reproducing("--plot", o.file.path(), &more)
    });
    let mut files: Vec<(&Output, &[u8], Option<&Provenance>)> = Vec::new();
    if let Some(o) = &out {
        files.push((o, csv.as_bytes(), csv_record.as_ref()));
    }
    if let (Some(o), Some(figure)) = (&plot_out, &figure) {
        files.push((o, figure, plot_record.as_ref()));
    }
    // A stop asked for once the simulation was done is honoured before anything is written; one
    // asked for during the writing lets it end (a second signal still exits at once), so that an
    // exit by a signal never leaves a finished CSV behind it.
    if let Some(signal) = output::stop_requested() {
        return Err(Failure::Interrupted(signal));
    }
    finish(&table, &files)?;
    output::set_graceful(false);
    // The run is complete: a checkpoint of an earlier interrupted run is spent (only a file
    // marked as one is removed).
    if let Some(path) = &checkpoint_path
        && std::fs::read_to_string(path).is_ok_and(|t| t.starts_with(&format!("# {}", checkpoint::MARK)))
    {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}
