//! `mgtrial optimize`: the cheapest of the scenario's design points that reaches the target
//! power, each at its smallest n per arm (see `report::optimize`).

use crate::cli::OptimizeArgs;
use mgtrial::engine::Runner;
use mgtrial::error::Failure;
use mgtrial::report::export;
use mgtrial::report::files::{finish, prepare_outputs, print};
use mgtrial::report::optimize as optimize_report;
use mgtrial::study::request::{self, Loaded};
use mgtrial::study::search::{self, Criterion, SearchSpec};
use std::path::Path;

pub fn execute(args: OptimizeArgs) -> Result<(), Failure> {
    let sim = &args.sim;
    if sim.reps.is_some() {
        return Err(Failure::BadInput(
            "optimize chooses the replicates of each evaluation itself: use --precision and --max-reps, not --reps"
                .into(),
        ));
    }
    sim.check()?;
    let outputs: Vec<(&str, &Path)> = sim.out.as_deref().map(|p| ("--out", p)).into_iter().collect();
    let out = prepare_outputs(&sim.scenario.scenario, &outputs)?.into_iter().next();
    let mut loaded = request::load(&sim.request(), Some("design.n_per_arm"))?;
    mgtrial::study::assurance::check_reachable(&loaded.plans, args.target).map_err(Failure::BadInput)?;
    sim.judge(&mut loaded)?;
    let Loaded { source, base, study, plans } = &loaded;
    if plans.iter().any(|p| p.costs.is_none()) {
        return Err(Failure::BadInput(format!(
            "{}: optimize ranks designs by their cost: add a [costs] section (the prices of screening, \
             enrolment and follow-up; docs/scenarios.md#costs)",
            sim.scenario.scenario.display()
        )));
    }
    let mut options = format!("--target {}", args.target);
    for (flag, v) in [("--min", args.min), ("--max", args.max)] {
        if let Some(v) = v {
            options += &format!(" {flag} {v}");
        }
    }
    let record = sim.provenance(&loaded, Some(&options))?;
    // Each candidate is confirmed, not estimated: the lower end of its power's 95% CI must reach
    // the target at the n it is costed at.
    let spec = SearchSpec::new(
        None,
        true,
        args.min,
        args.max,
        None,
        args.target,
        Criterion::Lower,
        sim.precision.unwrap_or(0.01),
        sim.max_reps,
        sim.power_of.clone(),
    )?;
    let runner = Runner::new(sim.threads, sim.show_progress());
    let results = search::search_points(source, base, study, plans, &spec, &runner, "candidate")?;
    if let Some(why) = runner.failure() {
        return Err(Failure::BadInput(why));
    }
    let ranking = optimize_report::rank(study, plans, &results);
    let csv = optimize_report::csv(study, &ranking, args.target, &record.scenario_sha256);
    let table = export::effect_header(plans) + &optimize_report::table(study, &ranking, args.target);
    let csv_record = out.as_ref().map(|o| record.reproducing("--out", o.file.path(), ""));
    match &out {
        Some(o) => finish(&table, &[(o, csv.as_bytes(), csv_record.as_ref())])?,
        None => print(&table)?,
    }
    if ranking.iter().any(|c| c.role == optimize_report::Role::Winner) { Ok(()) } else { Err(Failure::NotReached) }
}
