//! The command-line interface definition (clap). Parsing only; `main.rs` acts on it.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "mgtrial", version, about = "Monte Carlo power for randomized trials of magnesium supplementation")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and report power with its Monte Carlo uncertainty.
    Run(RunArgs),
    /// Print the resolved scenario (every default filled in) and derived quantities.
    Explain(ScenarioArgs),
}

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Override a field by its dotted path, e.g. design.n_per_arm=80 or arms.magnesium.dose_mg_per_day=400.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Simulated trials (overrides design.reps).
    #[arg(long)]
    pub reps: Option<u32>,
    /// Master seed, 0 to 2^63-1 (overrides design.seed).
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Output does not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Write the result rows as CSV to this file ("-" for stdout).
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}
