//! `mgtrial sample-size`: the smallest n per arm (or boundary value of another design field)
//! at which power reaches the target, at every design point (see `study::search`).

use crate::cli::{self, SampleSizeArgs};
use mgtrial::engine::Runner;
use mgtrial::error::Failure;
use mgtrial::report::export;
use mgtrial::report::files::{finish, prepare_outputs, print};
use mgtrial::report::search as search_report;
use mgtrial::study::request::{self, Loaded};
use mgtrial::study::search::{self, Criterion, SearchSpec};
use std::path::Path;

pub fn execute(args: SampleSizeArgs) -> Result<(), Failure> {
    let sim = &args.sim;
    if sim.reps.is_some() {
        return Err(Failure::BadInput(
            "sample-size chooses the replicates of each evaluation itself: use --precision and --max-reps, not --reps"
                .into(),
        ));
    }
    sim.check()?;
    let outputs: Vec<(&str, &Path)> = sim.out.as_deref().map(|p| ("--out", p)).into_iter().collect();
    let out = prepare_outputs(&sim.scenario.scenario, &outputs)?.into_iter().next();
    let mut loaded = request::load(&sim.request(), Some(args.solve_for.as_deref().unwrap_or("design.n_per_arm")))?;
    mgtrial::study::assurance::check_reachable(&loaded.plans, args.target).map_err(Failure::BadInput)?;
    sim.judge(&mut loaded)?;
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
    let record = sim.provenance(&loaded, Some(&options))?;
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
        sim.power_of.clone(),
    )?;
    let runner = Runner::new(sim.threads, sim.show_progress());
    let results = search::search_points(source, base, study, plans, &spec, &runner, "search")?;
    if let Some(why) = runner.failure() {
        return Err(Failure::BadInput(why));
    }
    let csv = search_report::results_csv(study, &spec, &results, &record.scenario_sha256);
    let table = export::effect_header(plans) + &search_report::results_table(study, &spec, &results);
    let csv_record = out.as_ref().map(|o| record.reproducing("--out", o.file.path(), ""));
    match &out {
        Some(o) => finish(&table, &[(o, csv.as_bytes(), csv_record.as_ref())])?,
        None => print(&table)?,
    }
    // Every point's row is written; a point that did not reach the target makes the exit 1.
    if results.iter().any(|r| r.value.is_none()) { Err(Failure::NotReached) } else { Ok(()) }
}
