//! What a command asks to simulate, loaded in one place: the scenario file, its `--set`,
//! `--reps` and `--seed` overrides, the study of its `[sweep]` and of `--sweep`, and every
//! design point's plan. `run`, `sample-size`, `check`, `merge` and `run --shard` all load
//! through [`load`], so they accept the same studies and refuse the same conflicts.

use crate::engine::plan::Plan;
use crate::error::Failure;
use crate::scenario::schema::Override;
use crate::scenario::source::Source;
use crate::scenario::sweep::{self, Study};
use crate::study::{self as studies, CALIBRATION_FIELDS};
use std::path::Path;

/// The values of a command line that feed the scenario.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub scenario: &'a Path,
    /// `--set PATH=VALUE`, in order.
    pub set: &'a [String],
    pub reps: Option<u32>,
    pub seed: Option<u64>,
    /// `--sweep PATH=VALUES`, in order.
    pub sweep: &'a [String],
}

/// A request resolved before anything is simulated: the scenario, its overrides, the study
/// and every point's plan.
pub struct Loaded {
    pub source: Source,
    pub base: Vec<Override>,
    pub study: Study,
    pub plans: Vec<Plan>,
}

/// `--set`, then `--reps` and `--seed`, as overrides.
fn base_overrides(request: &Request) -> Result<Vec<Override>, Failure> {
    let mut o: Vec<Override> = request.set.iter().map(|s| Override::parse(s)).collect::<Result<_, _>>()?;
    if let Some(r) = request.reps {
        o.push(Override { path: "design.reps".into(), value: toml::Value::Integer(i64::from(r)) });
    }
    if let Some(s) = request.seed {
        o.push(Override { path: "design.seed".into(), value: toml::Value::Integer(s as i64) });
    }
    Ok(o)
}

/// Loads the study `request` describes, refusing values that it would silently lose. A swept
/// field named `solved` is left out of the study (`sample-size` solves for it).
pub fn load(request: &Request, solved: Option<&str>) -> Result<Loaded, Failure> {
    let source = Source::read(request.scenario)?;
    let base = base_overrides(request)?;
    let scenario = source.resolve(&base, None)?;
    let cli_axes = request.sweep.iter().map(|a| sweep::parse_cli_axis(a)).collect::<Result<Vec<_>, _>>()?;
    let canonical = |p: &str| source.canonical_path(&base, p);
    let mut study = Study::with_paths(scenario.sweep.as_ref(), cli_axes, canonical)?;
    refuse_lost_overrides(&source, &base, request, &study, solved)?;
    if let (Some(path), Some(u)) = (solved, source.priors())
        && let Some(i) = u.prior.iter().position(|p| sweep::same_field(&canonical(path), &canonical(&p.field)))
    {
        return Err(Failure::BadInput(format!(
            "--solve-for {path}: it has a prior (uncertainty.prior[{i}]), whose draws would replace every value the \
             search tries; solve for a design field"
        )));
    }
    if let Some(path) = solved {
        study = study.without_axis(&canonical(path));
    }
    let plans = studies::plans(&source, &base, &study)?;
    Ok(Loaded { source, base, study, plans })
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
    for s in request.set {
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
        if CALIBRATION_FIELDS.iter().any(|f| sweep::same_field(f, &here)) {
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
