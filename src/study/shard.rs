//! Scale-out: a run cut into shards that run anywhere (a Slurm job array, GNU parallel,
//! Kubernetes indexed jobs) and merge into exactly the CSV of a single run.
//!
//! The work of a run is a sequence of units, (design point, chunk of [`CHUNK`] replicates), in
//! study order. Shard `i` of `n` takes the contiguous units `i U / n .. (i + 1) U / n`, so
//! design points may be split between shards. A shard writes each unit's totals
//! ([`ChunkTotals`]); merging folds them in chunk order, exactly as a single run does, so the
//! merged results are bit for bit those of a single run (the random streams depend only on
//! the seed, the replicate and the arm; see `rng.rs`).

use crate::engine::{CHUNK, ChunkTotals};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Shard `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

/// Most shards of one run.
pub(crate) const MAX_SHARDS: u32 = 100_000;

impl ShardSpec {
    /// `I/N` (0 <= I < N), or `auto`: from Slurm's job array (`SLURM_ARRAY_TASK_ID` less
    /// `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`), else from a Kubernetes indexed job
    /// (`JOB_COMPLETION_INDEX`, of `MGTRIAL_SHARDS`). `env` reads a variable.
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<ShardSpec, String> {
        let number =
            |what: &str, v: &str| v.trim().parse::<u32>().map_err(|_| format!("{what} = `{v}` is not a whole number"));
        let (index, count) = if text == "auto" {
            if let (Some(id), Some(n)) = (env("SLURM_ARRAY_TASK_ID"), env("SLURM_ARRAY_TASK_COUNT")) {
                let min = env("SLURM_ARRAY_TASK_MIN").map_or(Ok(0), |m| number("SLURM_ARRAY_TASK_MIN", &m))?;
                let id = number("SLURM_ARRAY_TASK_ID", &id)?;
                let index = id
                    .checked_sub(min)
                    .ok_or_else(|| format!("SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}"))?;
                (index, number("SLURM_ARRAY_TASK_COUNT", &n)?)
            } else if let Some(i) = env("JOB_COMPLETION_INDEX") {
                let n = env("MGTRIAL_SHARDS").ok_or(
                    "JOB_COMPLETION_INDEX is set but MGTRIAL_SHARDS (the number of shards, the job's completions) is not",
                )?;
                (number("JOB_COMPLETION_INDEX", &i)?, number("MGTRIAL_SHARDS", &n)?)
            } else {
                return Err(
                    "--shard auto: neither SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job array) \
                            nor JOB_COMPLETION_INDEX and MGTRIAL_SHARDS (a Kubernetes indexed job) are set"
                        .into(),
                );
            }
        } else {
            let (i, n) =
                text.split_once('/').ok_or_else(|| format!("--shard {text}: expected I/N, e.g. 0/4, or auto"))?;
            (number("the shard index", i)?, number("the shard count", n)?)
        };
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(format!(
                "shard {index} of {count}: allowed are 1 to {MAX_SHARDS} shards, numbered from 0 to the count less one"
            ));
        }
        Ok(ShardSpec { index, count })
    }

    /// The chunks of each design point this shard runs, given each point's replicates.
    pub fn assignment(&self, reps: &[u32]) -> Vec<Range<u64>> {
        let chunks: Vec<u64> = reps.iter().map(|&r| u64::from(r).div_ceil(CHUNK)).collect();
        let total: u64 = chunks.iter().sum();
        let (n, i) = (u64::from(self.count), u64::from(self.index));
        let (from, to) = (total * i / n, total * (i + 1) / n);
        let mut start = 0;
        chunks
            .iter()
            .map(|&c| {
                let range = from.clamp(start, start + c) - start..to.clamp(start, start + c) - start;
                start += c;
                range
            })
            .collect()
    }
}

/// The chunks a shard ran at one design point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardPoint {
    /// Index of the design point in study order.
    pub point: usize,
    pub chunks: Vec<ChunkTotals>,
}

/// A shard's output file (TOML): what it ran, to refuse a merge of shards of different runs,
/// and its units' totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    pub tool: String,
    pub version: String,
    pub scenario_file: String,
    /// As the CSV's `scenario_sha256`.
    pub scenario_sha256: String,
    pub set: Vec<String>,
    pub sweep: Vec<String>,
    pub seed: u64,
    /// Replicates per design point (fixed: shards cannot run under precision control).
    pub reps: u32,
    /// `--reps` and `--seed` as given on the shard's command line (the merge gives them too,
    /// so that it resolves the same scenario).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli_reps: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli_seed: Option<u64>,
    pub index: u32,
    pub count: u32,
    pub points: Vec<ShardPoint>,
}

impl ShardFile {
    /// The file's text: the shard as TOML, sealed ([`crate::output::seal`]).
    pub fn to_text(&self) -> String {
        crate::output::seal(toml::to_string(self).expect("a shard serializes"))
    }

    /// Reads a shard's text, refusing one that was edited or damaged: by its seal, and by each
    /// chunk's own redundant fields ([`ChunkTotals::check_consistent`]).
    ///
    /// # Errors
    /// What is wrong, naming the design point and chunk where one is at fault.
    pub fn from_text(text: &str) -> Result<ShardFile, String> {
        let file: ShardFile = toml::from_str(crate::output::unseal(text)?).map_err(|e| e.message().to_string())?;
        for p in &file.points {
            for c in &p.chunks {
                c.check_consistent().map_err(|e| format!("design point {}: {e}", p.point))?;
            }
        }
        Ok(file)
    }

    /// Whether `other` is a shard of the same run: every field but the index and the points.
    fn same_run(&self, other: &ShardFile) -> bool {
        ShardFile { index: other.index, points: Vec::new(), ..self.clone() }
            == ShardFile { points: Vec::new(), ..other.clone() }
    }
}

/// Checks that `shards` (named by `names` in messages) are the complete shards of one run, and
/// returns each design point's chunks in chunk order, given each point's replicates. Errors
/// name what differs, and the missing or duplicate shards and chunks.
pub fn merge(shards: &[ShardFile], names: &[String], reps: &[u32]) -> Result<Vec<Vec<ChunkTotals>>, String> {
    let first = shards.first().ok_or("no shard files given")?;
    if first.count == 0 || first.count > MAX_SHARDS {
        return Err(format!("{}: a shard count of {} is not allowed (1 to {MAX_SHARDS})", names[0], first.count));
    }
    for (s, name) in shards.iter().zip(names).skip(1) {
        if !s.same_run(first) {
            // The most specific difference first (a seed is part of the scenario's text too).
            let what = if s.seed != first.seed {
                "seed"
            } else if s.version != first.version {
                "mgtrial version"
            } else if s.count != first.count {
                "shard count"
            } else if (s.reps, &s.set, &s.sweep) != (first.reps, &first.set, &first.sweep) {
                "--set, --sweep or replicates"
            } else {
                "scenario"
            };
            return Err(format!("{name} is a shard of another run than {}: its {what} differs", names[0]));
        }
    }
    let mut holders: Vec<Vec<&str>> = vec![Vec::new(); first.count as usize];
    for (s, name) in shards.iter().zip(names) {
        if s.index >= s.count {
            return Err(format!("{name}: shard {} of {} does not exist", s.index, s.count));
        }
        holders[s.index as usize].push(name);
    }
    let missing: Vec<String> =
        (0..first.count).filter(|&i| holders[i as usize].is_empty()).map(|i| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(format!("shards {} of {} are missing", missing.join(", "), first.count));
    }
    if let Some((i, files)) = holders.iter().enumerate().find(|(_, h)| h.len() > 1) {
        return Err(format!("shard {i} is given twice: {}", files.join(", ")));
    }
    let mut points: Vec<Vec<ChunkTotals>> = vec![Vec::new(); reps.len()];
    for s in shards {
        for p in &s.points {
            let slot = points.get_mut(p.point).ok_or_else(|| {
                format!("shard {} has a design point {} beyond the run's {}", s.index, p.point, reps.len())
            })?;
            slot.extend(p.chunks.iter().cloned());
        }
    }
    for (k, (chunks, &r)) in points.iter_mut().zip(reps).enumerate() {
        chunks.sort_by_key(|c| c.chunk);
        let expected = u64::from(r).div_ceil(CHUNK);
        // Each chunk holds exactly its replicates: 64, the last what remains.
        let size = |i: u64| (u64::from(r) - i * CHUNK).min(CHUNK);
        let complete = chunks.len() as u64 == expected
            && chunks.iter().enumerate().all(|(i, c)| c.chunk == i as u64 && u64::from(c.reps()) == size(i as u64));
        if !complete {
            return Err(format!(
                "design point {k}: the shards hold {} chunks of replicates where the run has {expected}, each exactly \
                 once",
                chunks.len()
            ));
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every unit goes to exactly one shard, in order, for any shard count.
    #[test]
    fn shards_partition_the_units() {
        let reps = [2000, 100, 64, 1];
        let chunks: Vec<u64> = reps.iter().map(|&r: &u32| u64::from(r).div_ceil(CHUNK)).collect();
        for n in 1..=7 {
            let mut covered: Vec<Vec<u32>> = chunks.iter().map(|&c| vec![0; c as usize]).collect();
            for i in 0..n {
                let shard = ShardSpec { index: i, count: n };
                for (p, range) in shard.assignment(&reps).into_iter().enumerate() {
                    for c in range {
                        covered[p][c as usize] += 1;
                    }
                }
            }
            assert!(covered.iter().flatten().all(|&k| k == 1), "{n} shards: {covered:?}");
        }
    }

    #[test]
    fn shard_specs_from_text_and_environment() {
        let none = |_: &str| None;
        assert_eq!(ShardSpec::parse("2/5", none), Ok(ShardSpec { index: 2, count: 5 }));
        assert!(ShardSpec::parse("5/5", none).is_err());
        assert!(ShardSpec::parse("0/0", none).is_err());
        assert!(ShardSpec::parse("auto", none).unwrap_err().contains("SLURM_ARRAY_TASK_ID"));
        let slurm = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("4".to_string()),
            "SLURM_ARRAY_TASK_MIN" => Some("1".to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
            _ => None,
        };
        assert_eq!(ShardSpec::parse("auto", slurm), Ok(ShardSpec { index: 3, count: 4 }));
        let k8s = |k: &str| match k {
            "JOB_COMPLETION_INDEX" => Some("0".to_string()),
            "MGTRIAL_SHARDS" => Some("3".to_string()),
            _ => None,
        };
        assert_eq!(ShardSpec::parse("auto", k8s), Ok(ShardSpec { index: 0, count: 3 }));
    }
}
