//! The answer of `mgtrial optimize`: each design point (candidate) at the smallest n per arm
//! whose power's lower 95% limit reaches the target, costed; the cheapest confirmed candidate
//! wins, candidates whose cost is within the Monte Carlo uncertainty of the winner's are its
//! runners-up, and the rest are on the Pareto front of (cost, number screened, duration) or
//! dominated.

use crate::engine::plan::Plan;
use crate::report::export::fixed;
use crate::report::search::{point_cells, point_header};
use crate::scenario::sweep::Study;
use crate::study::search::SearchResult;

/// A candidate's place in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The cheapest confirmed candidate (the first in study order among equal costs).
    Winner,
    /// Confirmed, and its cost minus the winner's within 1.96 SE of the difference.
    RunnerUp,
    /// Confirmed, not dominated: no other confirmed candidate is at least as good in cost,
    /// number screened and duration and better in one (all have reached the target power).
    Pareto,
    /// Confirmed and dominated.
    Dominated,
    /// Not confirmed, because its coarse search already showed it dominated: even at the
    /// smallest n its coarse evaluations could not rule out, it costs more than a confirmed
    /// candidate (beyond 1.96 SE of the difference) and screens more, over at least as many
    /// weeks (`commands::optimize`). Its numbers are the coarse search's.
    Pruned,
    /// The search's answer did not keep the lower 95% limit of power at the target once
    /// simulated to full precision.
    NotConfirmed,
    /// The target is not reached at any n per arm in the range.
    NotReached,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Winner => "winner",
            Role::RunnerUp => "runner_up",
            Role::Pareto => "pareto",
            Role::Dominated => "dominated",
            Role::Pruned => "pruned",
            Role::NotConfirmed => "not_confirmed",
            Role::NotReached => "not_reached",
        }
    }
}

/// One design point at its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Index of the design point in the study.
    pub point: usize,
    pub n_per_arm: Option<f64>,
    /// Smallest power over the judged comparisons, and that comparison's 95% CI.
    pub power: f64,
    pub power_ci: (f64, f64),
    pub cost: f64,
    pub cost_se: f64,
    pub mean_screened: f64,
    pub mean_enrolled: f64,
    pub duration_weeks: f64,
    pub reps: u32,
    pub role: Role,
}

/// The candidates in study order, with their roles; `pruned[i]`: candidate `i` was not
/// confirmed (its result is the coarse search's, see [`Role::Pruned`]).
pub fn rank(study: &Study, plans: &[Plan], results: &[SearchResult], pruned: &[bool]) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = study
        .points
        .iter()
        .enumerate()
        .zip(plans.iter().zip(results))
        .map(|((i, _), (plan, r))| {
            let worst = r.rows.iter().min_by(|a, b| a.power.total_cmp(&b.power)).expect("a judged row");
            let confirmed = r.value.is_some_and(|v| r.evaluations.iter().any(|e| e.value == v && e.passes));
            Candidate {
                point: i,
                n_per_arm: r.value,
                power: worst.power,
                power_ci: (worst.power_ci_low, worst.power_ci_high),
                cost: worst.expected_cost.unwrap_or(f64::NAN),
                cost_se: worst.expected_cost_mc_se.unwrap_or(f64::NAN),
                mean_screened: worst.mean_screened,
                mean_enrolled: worst.mean_enrolled,
                duration_weeks: plan.scenario.design.duration_weeks,
                reps: worst.reps,
                role: match (r.value, confirmed) {
                    _ if pruned.get(i).copied().unwrap_or(false) => Role::Pruned,
                    (None, _) => Role::NotReached,
                    (Some(_), false) => Role::NotConfirmed,
                    (Some(_), true) => Role::Dominated,
                },
            }
        })
        .collect();
    let confirmed: Vec<usize> = (0..out.len()).filter(|&i| out[i].role == Role::Dominated).collect();
    let Some(&winner) = confirmed.iter().min_by(|&&a, &&b| out[a].cost.total_cmp(&out[b].cost).then(a.cmp(&b))) else {
        return out;
    };
    let (w_cost, w_se) = (out[winner].cost, out[winner].cost_se);
    // Every confirmed candidate has reached the target; their powers differ by Monte Carlo
    // noise and whole n, so power is not an axis of the front.
    let dominates = |a: &Candidate, b: &Candidate| {
        let at_least = a.cost <= b.cost && a.mean_screened <= b.mean_screened && a.duration_weeks <= b.duration_weeks;
        let better = a.cost < b.cost || a.mean_screened < b.mean_screened || a.duration_weeks < b.duration_weeks;
        at_least && better
    };
    let roles: Vec<Role> = confirmed
        .iter()
        .map(|&i| {
            let c = &out[i];
            if i == winner {
                Role::Winner
            } else if c.cost - w_cost <= 1.96 * (c.cost_se.powi(2) + w_se.powi(2)).sqrt() {
                Role::RunnerUp
            } else if confirmed.iter().any(|&j| j != i && dominates(&out[j], c)) {
                Role::Dominated
            } else {
                Role::Pareto
            }
        })
        .collect();
    for (&i, role) in confirmed.iter().zip(roles) {
        out[i].role = role;
    }
    out
}

/// CSV: one row per candidate, in study order.
pub fn csv(study: &Study, candidates: &[Candidate], target: f64, scenario_sha256: &str) -> String {
    let mut header = point_header(study);
    header.extend(
        [
            "target",
            "role",
            "n_per_arm",
            "power",
            "power_ci_low",
            "power_ci_high",
            "expected_cost",
            "expected_cost_mc_se",
            "mean_screened",
            "mean_enrolled",
            "duration_weeks",
            "reps",
            "scenario_sha256",
        ]
        .map(String::from),
    );
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("writing to memory");
    for c in candidates {
        let mut cells = point_cells(study, &study.points[c.point]);
        let reached = c.role != Role::NotReached;
        cells.extend([
            fixed(target),
            c.role.label().to_string(),
            c.n_per_arm.map(|n| format!("{n}")).unwrap_or_default(),
            fixed(c.power),
            fixed(c.power_ci.0),
            fixed(c.power_ci.1),
            if reached { fixed(c.cost) } else { String::new() },
            if reached { fixed(c.cost_se) } else { String::new() },
            fixed(c.mean_screened),
            fixed(c.mean_enrolled),
            fixed(c.duration_weeks),
            c.reps.to_string(),
            scenario_sha256.to_string(),
        ]);
        w.write_record(&cells).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("UTF-8")
}

/// Readable answer: the winner, then every candidate by cost.
pub fn table(study: &Study, candidates: &[Candidate], target: f64) -> String {
    let name = |c: &Candidate| {
        if study.is_single() { "the design".to_string() } else { study.describe(&study.points[c.point]) }
    };
    let mut out = match candidates.iter().find(|c| c.role == Role::Winner) {
        Some(w) => format!(
            "cheapest design whose power's lower 95% limit reaches {target}: {} at n {} per arm, cost {:.1} per trial \
             (MC SE {:.2}), power {:.3} (95% CI {:.3}-{:.3})\n",
            name(w),
            w.n_per_arm.map_or(String::new(), |n| n.to_string()),
            w.cost,
            w.cost_se,
            w.power,
            w.power_ci.0,
            w.power_ci.1
        ),
        None => format!(
            "no candidate is confirmed: none's power reaches {target} by its lower 95% limit in the searched range\n"
        ),
    };
    let mut order: Vec<&Candidate> = candidates.iter().collect();
    order.sort_by(|a, b| {
        let unconfirmed = |c: &Candidate| c.role == Role::NotReached || c.role == Role::NotConfirmed;
        unconfirmed(a).cmp(&unconfirmed(b)).then(a.cost.total_cmp(&b.cost)).then(a.point.cmp(&b.point))
    });
    for c in order {
        out += &match c.role {
            Role::NotReached => format!("  {:<13} {}: not reached in the range\n", c.role.label(), name(c)),
            _ => format!(
                "  {:<13} {}: n {} per arm, cost {:.1} (SE {:.2}), power {:.3} ({:.3}-{:.3}), {:.1} screened, {} weeks\n",
                c.role.label(),
                name(c),
                c.n_per_arm.map_or(String::new(), |n| n.to_string()),
                c.cost,
                c.cost_se,
                c.power,
                c.power_ci.0,
                c.power_ci.1,
                c.mean_screened,
                c.duration_weeks
            ),
        };
    }
    out
}
