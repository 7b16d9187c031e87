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

/// The coarse search's 95% CI half-width of power: three times the default precision, about a
/// ninth of its replicates.
const COARSE_PRECISION: f64 = 0.03;

/// Every candidate's search, pruned: first a coarse search of each (its n where the power
/// estimate reaches the target, at [`COARSE_PRECISION`]), then the full search (the lower 95%
/// limit at the precision asked) of each in order of coarse cost, skipping a candidate that a
/// confirmed one surely dominates. Costs are per person (screened, tested, randomized,
/// followed), so a candidate's cost and number screened grow in proportion to n: at the smallest
/// n its coarse search could not rule out (one above its largest n whose CI lay below the
/// target), they are at least `n / n_coarse` times its coarse figures. A candidate is pruned when
/// a confirmed candidate costs less by more than 1.96 SE of the difference (so it could be
/// neither the winner nor a runner-up), screens fewer and takes no more weeks (so it is not on
/// the Pareto front either). Returns the results in study order, and which were pruned.
fn prune_and_confirm(
    loaded: &Loaded,
    spec: &SearchSpec,
    runner: &Runner,
) -> Result<(Vec<search::SearchResult>, Vec<bool>), Failure> {
    let Loaded { source, base, study, plans } = loaded;
    let mut coarse_spec = spec.clone();
    coarse_spec.criterion = Criterion::Estimate;
    coarse_spec.precision = spec.precision.max(COARSE_PRECISION);
    let coarse = search::search_points(source, base, study, plans, &coarse_spec, runner, "coarse search of candidate")?;
    // (cost, its SE, screened, weeks) of a result's worst judged row, scaled to n / its n.
    let figures = |r: &search::SearchResult, n: f64| {
        let worst = r.rows.iter().min_by(|a, b| a.power.total_cmp(&b.power))?;
        let scale = n / r.value?;
        Some((worst.expected_cost? * scale, worst.expected_cost_mc_se? * scale, worst.mean_screened * scale))
    };
    let mut order: Vec<usize> = (0..coarse.len()).collect();
    let coarse_cost =
        |i: usize| figures(&coarse[i], coarse[i].value.unwrap_or(f64::NAN)).map_or(f64::INFINITY, |f| f.0);
    order.sort_by(|&a, &b| coarse_cost(a).total_cmp(&coarse_cost(b)).then(a.cmp(&b)));
    let mut results: Vec<Option<search::SearchResult>> = vec![None; coarse.len()];
    let mut pruned = vec![false; coarse.len()];
    // (cost, SE, screened, weeks) of the confirmed candidates.
    let mut confirmed: Vec<(f64, f64, f64, f64)> = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        let weeks = plans[i].scenario.design.duration_weeks;
        let c = &coarse[i];
        // The smallest n not ruled out: one above the largest evaluation whose CI lies below.
        let floor =
            c.evaluations.iter().filter(|e| e.ci.1 < spec.target).map(|e| e.value + 1.0).fold(spec.min, f64::max);
        if let Some((cost, se, screened)) = c.value.and_then(|_| figures(c, floor)) {
            let dominated = confirmed.iter().any(|&(d_cost, d_se, d_screened, d_weeks)| {
                cost - d_cost > 1.96 * (se * se + d_se * d_se).sqrt() && screened > d_screened && weeks >= d_weeks
            });
            if dominated {
                pruned[i] = true;
                results[i] = Some(c.clone());
                continue;
            }
        }
        let point = &study.points[i];
        runner.bar.set_message(format!("confirming candidate {}/{}: {}", k + 1, plans.len(), study.describe(point)));
        let mut overrides = base.to_vec();
        overrides.extend(study.overrides(point));
        let r = search::search(source, &overrides, &plans[i], spec, runner)?;
        let passes = r.value.is_some_and(|v| r.evaluations.iter().any(|e| e.value == v && e.passes));
        if let (true, Some(n)) = (passes, r.value)
            && let Some((cost, se, screened)) = figures(&r, n)
        {
            confirmed.push((cost, se, screened, weeks));
        }
        results[i] = Some(r);
    }
    runner.bar.finish_and_clear();
    Ok((results.into_iter().map(|r| r.expect("every candidate searched")).collect(), pruned))
}

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
    let Loaded { study, plans, .. } = &loaded;
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
    let (results, pruned) = prune_and_confirm(&loaded, &spec, &runner)?;
    if let Some(why) = runner.failure() {
        return Err(Failure::BadInput(why));
    }
    let ranking = optimize_report::rank(study, plans, &results, &pruned);
    let csv = optimize_report::csv(study, &ranking, args.target, &record.scenario_sha256);
    let table = export::effect_header(plans) + &optimize_report::table(study, &ranking, args.target);
    let csv_record = out.as_ref().map(|o| record.reproducing("--out", o.file.path(), ""));
    match &out {
        Some(o) => finish(&table, &[(o, csv.as_bytes(), csv_record.as_ref())])?,
        None => print(&table)?,
    }
    if ranking.iter().any(|c| c.role == optimize_report::Role::Winner) { Ok(()) } else { Err(Failure::NotReached) }
}
