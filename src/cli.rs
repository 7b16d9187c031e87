//! The command-line interface: its definition (clap), and the checks and conversions of its
//! options that need no scenario. `main.rs` dispatches on it; `commands/` acts on it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use mgtrial::engine::check_precision;
use mgtrial::error::Failure;
use mgtrial::report::provenance::Provenance;
use mgtrial::study::RepsRule;
use mgtrial::study::request::{Loaded, Request};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "mgtrial", version, about = "Monte Carlo power for randomized trials of magnesium supplementation")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario (or every point of its sweep) and report power with its Monte Carlo uncertainty.
    Run(RunArgs),
    /// Find the smallest n per arm (or the value of another field) whose power reaches a target.
    SampleSize(SampleSizeArgs),
    /// Find the cheapest design among the scenario's design points (its [sweep]: strategies,
    /// assays, thresholds, durations), each at the smallest n per arm whose power's lower 95%
    /// limit reaches the target; needs [costs].
    Optimize(OptimizeArgs),
    /// Draw power curves from a CSV written by `run` as SVG or PNG (by the --out file's extension).
    Plot(PlotArgs),
    /// Print the resolved scenario (every default filled in) and derived quantities, or with
    /// --from the scenario and command that produced a result file.
    Explain(ExplainArgs),
    /// Re-run scenarios with the seed and replicates of their baseline CSVs and report every
    /// design point whose power drifted (exit 1), for CI regression checks.
    Check(CheckArgs),
    /// Validate this installation: type I error of every analysis, power against closed forms,
    /// selection probabilities and PPV, determinism across threads; exit 0 only if all pass.
    Validate(ValidateArgs),
    /// Merge the shard files of a run into exactly the CSV of a single-machine run.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// 20,000 replicates per check instead of 2,000 (about ten times as long).
    #[arg(long)]
    pub thorough: bool,
    /// Worker threads, at most 1024 (default 0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Test-only: decide every simulated test as if its p-values were multiplied by 1 - B
    /// (a known bias the validation must catch).
    #[arg(long, hide = true, default_value_t = 0.0)]
    pub inject_bias: f64,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// The baseline: a CSV written by `mgtrial run --out` (with its provenance sidecar) for one
    /// scenario, or a directory holding SCENARIO_STEM.csv for each.
    #[arg(long, value_name = "FILE.csv|DIR")]
    pub baseline: PathBuf,
    /// Family-wise significance level of the drift tests (Holm-adjusted over all rows).
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Smallest change of power that counts as drift (0 to below 1; default 0: any change).
    #[arg(long, default_value_t = 0.0)]
    pub min_change: f64,
    /// Re-run with this master seed instead of the baseline's (fresh replicates: no exact
    /// reproduction is expected, only agreement within Monte Carlo error).
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Also write a JUnit XML report.
    #[arg(long, value_name = "FILE.xml")]
    pub junit: Option<PathBuf>,
    /// Rewrite the baselines with the new runs (and their provenance), and exit 0.
    #[arg(long)]
    pub update: bool,
    /// Worker threads, at most 1024 (default 0: one per core). Output does not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
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
pub struct ExplainArgs {
    /// Scenario file (TOML).
    #[arg(required_unless_present = "from", conflicts_with = "from")]
    pub scenario: Option<PathBuf>,
    /// Override a field by its dotted path, e.g. design.n_per_arm=80.
    #[arg(long = "set", value_name = "PATH=VALUE", conflicts_with = "from")]
    pub set: Vec<String>,
    /// A result (CSV or plot) written by mgtrial: print what produced it, from its
    /// FILE.provenance.toml sidecar.
    #[arg(long, value_name = "RESULT")]
    pub from: Option<PathBuf>,
}

/// Options shared by `run` and `sample-size`.
#[derive(Debug, Args)]
pub struct SimulationArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Vary a field: PATH=V1,V2,... or PATH=START:STOP:STEP (repeat for a cartesian product).
    #[arg(long = "sweep", value_name = "PATH=SPEC")]
    pub sweep: Vec<String>,
    /// Simulated trials per design point (overrides design.reps).
    #[arg(long)]
    pub reps: Option<u32>,
    /// Master seed, 0 to 2^63-1 (overrides design.seed).
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Add replicates in batches until the 95% CI half-width of power is at most H (1e-4 to below 0.5).
    #[arg(long, value_name = "H")]
    pub precision: Option<f64>,
    /// Most replicates per design point under --precision (1 to 10,000,000).
    #[arg(long, default_value_t = 200_000)]
    pub max_reps: u32,
    /// The power --precision and sample-size judge, of the primary analysis over everyone:
    /// each (every comparison with placebo must reach it; the default), any_comparison or
    /// every_comparison (with several active arms: disjunctive or conjunctive power), or an
    /// active arm's name.
    #[arg(long, value_name = "ROW")]
    pub power_of: Option<String>,
    /// Worker threads, at most 1024 (default 0: one per core). Output does not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Write the result rows as CSV to this file ("-" for stdout).
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub sim: SimulationArgs,
    /// Also draw the power curves, as SVG or PNG by the file's extension: x = the last swept
    /// field, one line per series; titled by the scenario's description; with a second panel of
    /// screened per enrolled when that differs between the points (selection studies).
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub plot: Option<PathBuf>,
    /// Target power drawn as a dashed line in --plot.
    #[arg(long, default_value_t = 0.8)]
    pub target: f64,
    /// Title of the --plot figure (default: the scenario's description, else its name).
    #[arg(long, requires = "plot")]
    pub title: Option<String>,
    /// Run only shard I of N (0-based) of the work, and write its totals to --out for
    /// `mgtrial merge`; `auto` reads it from a Slurm job array (SLURM_ARRAY_TASK_ID,
    /// SLURM_ARRAY_TASK_COUNT) or a Kubernetes indexed job (JOB_COMPLETION_INDEX, MGTRIAL_SHARDS).
    #[arg(long, value_name = "I/N|auto")]
    pub shard: Option<String>,
    /// Continue an interrupted run from the checkpoint beside --out (FILE.csv.checkpoint.toml),
    /// without redoing its completed design points and batches.
    #[arg(long, requires = "out")]
    pub resume: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The scenario file the shards ran (TOML).
    pub scenario: PathBuf,
    /// Shard files written by `mgtrial run --shard I/N --out FILE`, all N of them.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// The merged CSV: exactly the CSV of the same run on one machine.
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Criterion {
    /// The power estimate reaches the target.
    Estimate,
    /// The lower end of its 95% CI reaches the target.
    Lower,
}

#[derive(Debug, Args)]
pub struct SampleSizeArgs {
    #[command(flatten)]
    pub sim: SimulationArgs,
    /// Power to reach.
    #[arg(long, default_value_t = 0.8)]
    pub target: f64,
    #[arg(long, value_enum, default_value_t = Criterion::Estimate)]
    pub criterion: Criterion,
    /// Field to solve for instead of design.n_per_arm (e.g. selection.threshold); needs --min and --max.
    #[arg(long, value_name = "PATH")]
    pub solve_for: Option<String>,
    /// Lower end of the search range (default 2 for n per arm).
    #[arg(long)]
    pub min: Option<f64>,
    /// Upper end of the search range (default 5000 for n per arm).
    #[arg(long)]
    pub max: Option<f64>,
    /// Stop a continuous search when the bracket is this narrow (default: range / 200).
    #[arg(long)]
    pub tolerance: Option<f64>,
}

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    #[command(flatten)]
    pub sim: SimulationArgs,
    /// Power every candidate must reach, by the lower end of its 95% CI.
    #[arg(long, default_value_t = 0.8)]
    pub target: f64,
    /// Smallest n per arm searched (default 2).
    #[arg(long)]
    pub min: Option<f64>,
    /// Largest n per arm searched (default 5000).
    #[arg(long)]
    pub max: Option<f64>,
}

/// When `plot` draws the screening panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScreeningPanel {
    /// When y is power and screened_per_enrolled differs between the plotted points.
    Auto,
    /// Always (the CSV must have screened_per_enrolled).
    Always,
    /// Never: power only.
    Never,
}

/// Parses WIDTHxHEIGHT.
fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let err = || format!("`{s}`: expected WIDTHxHEIGHT in pixels, e.g. 1200x800");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(err)?;
    Ok((w.trim().parse().map_err(|_| err())?, h.trim().parse().map_err(|_| err())?))
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// CSV written by `mgtrial run`.
    pub csv: PathBuf,
    /// Column on the x axis (e.g. design.n_per_arm).
    #[arg(long)]
    pub x: String,
    /// Column(s), comma-separated, whose values make separate lines (default: series, if present).
    #[arg(long)]
    pub series: Option<String>,
    /// Column on the y axis; power gets its 95% CI band.
    #[arg(long, default_value = "power")]
    pub y: String,
    /// Target drawn as a dashed horizontal line (power only).
    #[arg(long, default_value_t = 0.8)]
    pub target: f64,
    /// Output file: SVG or PNG by its extension.
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub out: PathBuf,
    /// Plot title (default: the scenario name in the CSV).
    #[arg(long)]
    pub title: Option<String>,
    /// x-axis title (default: the column's name with its unit, e.g. "n per arm").
    #[arg(long)]
    pub x_label: Option<String>,
    /// y-axis title (default: the column's name, e.g. "power").
    #[arg(long)]
    pub y_label: Option<String>,
    /// Caption under the figure (default: analysis, alpha, replicates and seed from the CSV; "" for none).
    #[arg(long)]
    pub caption: Option<String>,
    /// Second panel of screened per enrolled under the power panel.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ScreeningPanel::Auto)]
    pub screening_panel: ScreeningPanel,
    /// Figure size in pixels, WIDTHxHEIGHT, each 400 to 8000 (default 1200 wide, height to fit).
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// PNG pixels per figure pixel (PNG only; 0.1 to 10).
    #[arg(long, default_value_t = 2.0)]
    pub scale: f32,
    /// Points only, not joined by lines: a scatter, e.g. of `optimize`'s candidates
    /// (`--x mean_screened --y expected_cost --series role --points`).
    #[arg(long)]
    pub points: bool,
}

/// Most worker threads `--threads` accepts.
pub const MAX_THREADS: usize = 1024;

/// Refuses a `--threads` above [`MAX_THREADS`], then sizes rayon's global pool to it: work
/// done outside the engine's runner (solving `max_effect` while the plans are built) gets the
/// same number of threads, so that `--threads 1` never uses a second core. Built once per
/// process; a second call finds it built.
pub fn use_threads(threads: usize) -> Result<(), Failure> {
    if threads > MAX_THREADS {
        return Err(Failure::BadInput(format!(
            "--threads {threads}: allowed values are 0 (one per core) to {MAX_THREADS}"
        )));
    }
    let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
    Ok(())
}

impl SimulationArgs {
    /// The options of `run` and `sample-size` that need no scenario, checked first.
    pub fn check(&self) -> Result<(), Failure> {
        if let Some(h) = self.precision {
            if let Some(r) = self.reps {
                return Err(Failure::BadInput(format!(
                    "--reps {r} and --precision {h}: under --precision each design point adds replicates until its \
                     CI half-width is {h} (at most --max-reps {}), so --reps would be ignored; give one of them",
                    self.max_reps
                )));
            }
            check_precision(h, self.max_reps).map_err(Failure::BadInput)?;
        }
        use_threads(self.threads)
    }

    /// The values that feed the scenario.
    pub fn request(&self) -> Request<'_> {
        Request {
            scenario: &self.scenario.scenario,
            set: &self.scenario.set,
            reps: self.reps,
            seed: self.seed,
            sweep: &self.sweep,
        }
    }

    /// The provenance record of a run (`search`: `None`) or a search (its options).
    pub fn provenance(&self, loaded: &Loaded, search: Option<&str>) -> Result<Provenance, Failure> {
        Ok(Provenance::of_run(
            loaded,
            &self.request(),
            self.precision,
            self.max_reps,
            search,
            self.power_of.as_deref(),
        )?)
    }

    /// Every plan of `loaded` judging `--power-of` (see [`mgtrial::engine::plan::Plan::judging`]).
    pub fn judge(&self, loaded: &mut Loaded) -> Result<(), Failure> {
        if let Some(row) = &self.power_of {
            for plan in &mut loaded.plans {
                plan.judging(row).map_err(Failure::BadInput)?;
            }
        }
        Ok(())
    }

    /// Replicates from the scenario, or until `--precision` is reached.
    pub fn reps_rule(&self) -> RepsRule {
        match self.precision {
            Some(half_width) => RepsRule::Precision { half_width, cap: self.max_reps },
            None => RepsRule::FromScenario,
        }
    }

    /// A progress bar on a terminal, unless `--quiet`.
    pub fn show_progress(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}
