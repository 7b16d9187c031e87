//! Checkpoint and resume: a run with `--out FILE.csv` that is interrupted (SIGINT, SIGTERM,
//! SIGHUP) stops after the trial it is on, keeps the chunks completed before the first
//! unfinished one, and writes `FILE.csv.checkpoint.toml`: its completed design points and,
//! under a fixed number of replicates, the replicates done so far at the point it was on.
//! `--resume` reads it and continues; folding the remaining chunks in order gives bit for bit
//! the results of an uninterrupted run. Under precision control the point in progress is run again from its
//! start (its batches depend on where it stopped).
//!
//! The file is the run's identity as TOML, then each saved point as a TOML document of its
//! own after a [`POINT_LINE`], so that writing and reading take time linear in the points and
//! memory for one point's text at a time; its last line seals the content
//! ([`crate::output::seal`]). An edited or damaged checkpoint is refused: by its seal, and by
//! each point's own redundant fields ([`PointResults::check_consistent`]).

use crate::engine::plan::Plan;
use crate::engine::{ArmTotals, ComparisonTotals, PointResults, RejectionBits};
use crate::error::Failure;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the first line of a checkpoint file says.
pub const MARK: &str = "mgtrial checkpoint of an interrupted run: continue it with `mgtrial run ... --resume`";

/// The checkpoint of `out`.
pub fn path_of(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_os_string();
    name.push(".checkpoint.toml");
    PathBuf::from(name)
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// One design point's results so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPoint {
    pub reps: u32,
    screened: f64,
    confirmed: f64,
    /// Under `[costs]`: the sums of the trials' costs and of their squares (absent without).
    #[serde(default, skip_serializing_if = "is_zero")]
    cost_sum: f64,
    #[serde(default, skip_serializing_if = "is_zero")]
    cost_sq_sum: f64,
    /// Under `[uncertainty]` and `[costs]`: each draw's sum of costs (absent otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    draw_costs: Vec<f64>,
    arms: Vec<ArmTotals>,
    comparisons: Vec<ComparisonTotals>,
    /// Rejection words per row, as the same bits in signed integers (TOML).
    rejections: Vec<Vec<i64>>,
}

impl SavedPoint {
    pub fn of(r: &PointResults) -> SavedPoint {
        SavedPoint {
            reps: r.reps,
            screened: r.screened,
            confirmed: r.confirmed,
            cost_sum: r.cost_sum,
            cost_sq_sum: r.cost_sq_sum,
            draw_costs: r.draw_costs.clone(),
            arms: r.arms.clone(),
            comparisons: r.comparisons.clone(),
            rejections: r.rejections.iter().map(|b| b.words().iter().map(|&w| w as i64).collect()).collect(),
        }
    }

    /// The results of `plan` this point had saved; `None` if they do not fit its rows or do
    /// not agree with themselves. `precision_cap`: under precision control, the cap of
    /// replicates (its saved points are complete, at any count up to the cap).
    pub fn restore(&self, plan: &Plan, precision_cap: Option<u32>) -> Option<PointResults> {
        let mut r = PointResults::new(plan);
        // A checkpoint is written at a batch's end: whole chunks, at most the point's
        // replicates, one rejection word per 64 replicates and row.
        let reps = u64::from(self.reps);
        let fits = self.arms.len() == r.arms.len()
            && self.comparisons.len() == r.comparisons.len()
            && self.rejections.len() == r.rejections.len()
            && self.reps <= precision_cap.unwrap_or(plan.scenario.design.reps)
            && (reps.is_multiple_of(crate::engine::CHUNK)
                || self.reps == plan.scenario.design.reps
                || precision_cap.is_some())
            && self.rejections.iter().all(|w| w.len() as u64 <= reps.div_ceil(crate::engine::CHUNK))
            && self.comparisons.iter().all(|c| c.analysable + c.not_converged <= self.reps);
        if !fits {
            return None;
        }
        r.reps = self.reps;
        r.screened = self.screened;
        r.confirmed = self.confirmed;
        (r.cost_sum, r.cost_sq_sum) = (self.cost_sum, self.cost_sq_sum);
        r.draw_costs = self.draw_costs.clone();
        r.arms = self.arms.clone();
        r.comparisons = self.comparisons.clone();
        r.rejections =
            self.rejections.iter().map(|w| RejectionBits::from_words(w.iter().map(|&x| x as u64).collect())).collect();
        r.check_consistent().ok().map(|()| r)
    }
}

/// A checkpoint file: what run it belongs to, and its points in study order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub mark: String,
    pub version: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub set: Vec<String>,
    pub sweep: Vec<String>,
    pub cli_reps: Option<u32>,
    pub cli_seed: Option<u64>,
    pub precision: Option<f64>,
    pub max_reps: u32,
    /// `--power-of`, the rows precision control judges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_of: Option<String>,
    /// Written each as a document of its own (see the module documentation).
    #[serde(skip)]
    pub points: Vec<SavedPoint>,
}

/// The line before each saved point.
pub(crate) const POINT_LINE: &str = "# --- saved design point ---";

impl Checkpoint {
    /// Whether `other` describes the same run (everything but the points).
    pub(crate) fn same_run(&self, other: &Checkpoint) -> bool {
        Checkpoint { points: Vec::new(), ..self.clone() } == Checkpoint { points: Vec::new(), ..other.clone() }
    }

    /// The file's text: [`MARK`] as a comment, the identity, each point after a
    /// [`POINT_LINE`], and the seal.
    pub fn to_text(&self) -> String {
        let mut text = format!("# {MARK}\n");
        text += &toml::to_string(self).expect("a checkpoint serializes");
        for p in &self.points {
            text.push_str(POINT_LINE);
            text.push('\n');
            text += &toml::to_string(p).expect("a saved point serializes");
        }
        crate::output::seal(text)
    }

    /// Reads a checkpoint's text.
    ///
    /// # Errors
    /// Why it is not an intact checkpoint: its seal is missing or does not match, or a part
    /// of it does not parse (naming the point).
    pub fn from_text(text: &str) -> Result<Checkpoint, String> {
        let body = crate::output::unseal(text)?;
        let separator = format!("{POINT_LINE}\n");
        let mut parts = body.split(separator.as_str());
        let head = parts.next().unwrap_or_default();
        let mut file: Checkpoint = toml::from_str(head).map_err(|e| format!("not a checkpoint: {}", e.message()))?;
        for (i, part) in parts.enumerate() {
            let point = toml::from_str(part).map_err(|e| format!("saved point {i}: {}", e.message()))?;
            file.points.push(point);
        }
        Ok(file)
    }
}

/// The saved results of a checkpoint at `path`, checked to belong to the run `identity`
/// describes.
pub fn resume_from(path: &Path, identity: &Checkpoint, plans: &[Plan]) -> Result<Vec<PointResults>, Failure> {
    let bad = |m: String| Failure::BadInput(format!("--resume: {}: {m}", path.display()));
    if !path.exists() {
        // Nothing was kept (the run was stopped before any work, or has finished): start.
        crate::output::note(&format!("note: no checkpoint {}: the run starts from the beginning", path.display()));
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let saved = Checkpoint::from_text(&text).map_err(bad)?;
    if !saved.same_run(identity) {
        return Err(bad(
            "it is the checkpoint of another run (scenario, --set, --sweep, --reps, --seed, --precision or version \
             differ): run with the same options, or without --resume to start again"
                .into(),
        ));
    }
    if saved.points.len() > plans.len() {
        return Err(bad("it holds more design points than the run has".into()));
    }
    saved
        .points
        .iter()
        .zip(plans)
        .enumerate()
        .map(|(i, (p, plan))| {
            p.restore(plan, identity.precision.map(|_| identity.max_reps)).ok_or_else(|| {
                bad(format!("saved point {i} does not fit the run's rows, or its counts do not agree with each other"))
            })
        })
        .collect()
}
