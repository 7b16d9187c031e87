//! `mgtrial merge`: the shards of one run folded into the CSV a single run would write.

use crate::cli::MergeArgs;
use mgtrial::error::Failure;
use mgtrial::report::export;
use mgtrial::report::files::{file_identity, finish, prepare_outputs};
use mgtrial::report::provenance::Provenance;
use mgtrial::study;
use mgtrial::study::request::{self, Request};

/// `mgtrial merge SCENARIO SHARD... --out FILE.csv`: checks that the shards are all the
/// shards of one run of this scenario, folds their totals in chunk order and writes the CSV
/// (and its provenance) a single run would have written.
pub fn execute(args: MergeArgs) -> Result<(), Failure> {
    use mgtrial::engine::PointResults;
    use mgtrial::study::shard::{self, ShardFile};
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
    let request = Request {
        scenario: &args.scenario,
        set: &first.set,
        reps: first.cli_reps,
        seed: first.cli_seed,
        sweep: &first.sweep,
    };
    let loaded = request::load(&request, None)?;
    let record = Provenance::of_fixed_run(&loaded, &request)?;
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
    finish(&table, &[(&out, csv.as_bytes(), Some(&record.reproducing("--out", out.file.path(), "")))])
}
