//! Notes a run prints on stderr before it starts: its expected time and memory when they are
//! large, and where a resumed run continues from.

use crate::engine::plan::Plan;
use crate::engine::{PointResults, Runner};
use crate::scenario::sweep::Study;
use crate::study::RepsRule;
use std::path::Path;

/// A run expected to take over [`LONG_RUN_SECONDS`] says so before it starts (the note, `None` for a quick run), with
/// the participants it simulates and its memory: `left[i]` replicates of `plans[i]`, the rest
/// of the run when it `resumed`. Under precision control the replicates are not known ahead:
/// `left` holds the cap of every point still to run, so the estimate is an upper bound.
pub fn long_run(
    runner: &Runner,
    plans: &[Plan],
    left: &[u32],
    rule: RepsRule,
    resumed: bool,
    keep_all: bool,
) -> Option<String> {
    let bound = if matches!(rule, RepsRule::Precision { .. }) { "at most " } else { "" };
    let e = runner.estimate(plans, left, LONG_RUN_SECONDS, keep_all);
    (e.seconds > LONG_RUN_SECONDS || e.memory_bytes > LARGE_MEMORY_BYTES).then(|| {
        let time = if e.pilot_trials > 0 {
            format!("{bound}{} (from a timed pilot of {} trials)", format_duration(e.seconds), e.pilot_trials)
        } else {
            "under a minute".to_string()
        };
        format!(
            "note: {} simulates {bound}{:.3e} participants over {} design point(s); expected time {time}, peak memory \
             about {:.0} MB",
            if resumed { "the rest of this run" } else { "this run" },
            e.participants as f64,
            left.iter().filter(|&&r| r > 0).count(),
            e.memory_bytes as f64 / 1e6
        )
    })
}

/// What a resumed run continues from: the checkpoint, the design points it had completed and
/// where the point it was on had got to.
pub fn resumed(path: &Path, study: &Study, plans: &[Plan], saved: &[PointResults]) -> String {
    let complete = saved.iter().zip(plans).take_while(|(r, p)| r.reps >= p.scenario.design.reps).count();
    let mut note =
        format!("resumed from {}: {complete} of {} design point(s) already complete", path.display(), plans.len());
    if let Some(r) = saved.get(complete).filter(|r| r.reps > 0) {
        let point = study.describe(&study.points[complete]);
        note += &format!(
            "; point {}{} continues after {} of {} replicates",
            complete + 1,
            if point.is_empty() { String::new() } else { format!(" ({point})") },
            r.reps,
            plans[complete].scenario.design.reps
        );
    }
    note
}

/// Runs expected to take longer than this many seconds are announced.
pub(crate) const LONG_RUN_SECONDS: f64 = 60.0;

/// Runs expected to use more memory than this are announced, however quick.
pub(crate) const LARGE_MEMORY_BYTES: u64 = 1_000_000_000;

/// `95 s` as "1 min 35 s".
pub(crate) fn format_duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}
