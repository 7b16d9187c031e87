//! `mgtrial run --shard I/N`: one shard's units of work, written as totals for `merge`.

use crate::cli::RunArgs;
use mgtrial::engine::Runner;
use mgtrial::error::Failure;
use mgtrial::report::files::{prepare_outputs, write_file};
use mgtrial::study::request;

/// `mgtrial run --shard I/N --out FILE`: simulates this shard's units of work and writes their
/// totals (see `shard.rs`).
pub fn execute(args: &RunArgs, spec: &str) -> Result<(), Failure> {
    use mgtrial::study::shard::{ShardFile, ShardPoint, ShardSpec};
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
    let loaded = request::load(&sim.request(), None)?;
    let record = sim.provenance(&loaded, None)?;
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
    if let Some(why) = runner.failure() {
        return Err(Failure::BadInput(why));
    }
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
