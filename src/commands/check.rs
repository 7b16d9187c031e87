//! `mgtrial check`: the regression check of a scenario against a baseline CSV.

use crate::cli::{CheckArgs, use_threads};
use mgtrial::engine::Runner;
use mgtrial::error::Failure;
use mgtrial::report::export;
use mgtrial::report::files::{Output, destination, finish, print, write_file};
use mgtrial::report::provenance::{self, Provenance};
use mgtrial::scenario::{Override, Source};
use mgtrial::study::request::{self, Request};
use mgtrial::study::{self, RepsRule};

/// `mgtrial check`: re-runs each scenario with its baseline's `--set`, `--sweep`, seed and
/// replicates (from the baseline's provenance sidecar), compares every row (see `check.rs`),
/// prints the rows that failed, and exits 1 if any did (0 with `--update`, which rewrites the
/// baselines).
pub fn execute(args: CheckArgs) -> Result<(), Failure> {
    use mgtrial::report::check::{self, CheckOptions};
    if !(args.alpha > 0.0 && args.alpha <= 0.5) {
        return Err(Failure::BadInput(format!("--alpha {}: allowed values are above 0 and at most 0.5", args.alpha)));
    }
    if !(0.0..1.0).contains(&args.min_change) {
        return Err(Failure::BadInput(format!("--min-change {}: allowed values are 0 to below 1", args.min_change)));
    }
    use_threads(args.threads)?;
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
        let request = Request {
            scenario,
            set: &record.set,
            reps: (written.design.reps != reps).then_some(reps),
            seed: (written.design.seed != seed).then_some(seed),
            sweep: &record.sweep,
        };
        let loaded = request::load(&request, None)?;
        let now = Provenance::of_fixed_run(&loaded, &request)?;
        let outcomes = study::run(&loaded.study, &loaded.plans, &runner, RepsRule::FromScenario);
        if let Some(why) = runner.failure() {
            return Err(Failure::BadInput(why));
        }
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
            let out = Output::at(&path)?;
            finish("", &[(&out, csv.as_bytes(), Some(&record.reproducing("--out", &path, "")))])?;
        }
        return Ok(());
    }
    if rows.iter().any(|r| r.failed()) { Err(Failure::Drift) } else { Ok(()) }
}
