//! Summaries of many trials: one row per active-vs-placebo comparison of a design point.

use crate::engine::plan::{Plan, Slot, SlotRole, Subgroup};
use crate::engine::{ArmTotals, PointResults};
use crate::model::outcome::count::CountKind;
use crate::scenario::schema::{SelectionMode, TestKind};
use serde::Serialize;

/// One result row. Rates with no meaning for the design (e.g. PPV when Mg status is not
/// modelled) are `None` and written as empty CSV cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonSummary {
    /// Scenario name.
    pub scenario: String,
    /// The arm tested (against placebo unless `reference` says otherwise), or a family's row.
    pub comparison: String,
    /// The analysis (`welch`, `ancova`, `negbin_wald`, ...: see `docs/analyses.md`).
    pub analysis: String,
    /// Who the row describes: `all`, `low_stratum`, `other_stratum`, or `interaction` (the
    /// benefit in the low stratum minus the other's).
    pub subgroup: String,
    /// Unit of the estimates: the outcome's, `-ln rate ratio`, `P(active better) - 1/2` or
    /// `risk difference`.
    pub estimate_unit: String,
    /// `two` or `one`.
    pub sided: String,
    pub alpha: f64,
    /// `design.n_per_arm`; `None` when every arm gives its own size.
    pub n_per_arm: Option<u32>,
    /// Participants enrolled per trial in the active and in the placebo arm.
    pub n_active: u32,
    pub n_placebo: u32,
    /// Unit of the estimates and effects (from the outcome scale).
    pub unit: String,
    pub reps: u32,
    pub seed: u64,
    /// Share of trials whose test rejected.
    pub power: f64,
    /// 95% Wilson score interval of `power`.
    pub power_ci_low: f64,
    pub power_ci_high: f64,
    /// Monte Carlo standard error of `power`, `sqrt(p (1 - p) / reps)`.
    pub power_mc_se: f64,
    /// Mean and empirical SD of the estimated benefit (outcome units, positive = active
    /// better) over the analysable trials; `None` without any (the SD: without two).
    pub mean_estimate: Option<f64>,
    pub sd_estimate: Option<f64>,
    /// The estimand, from the simulated participants: the average individual benefit among the
    /// enrolled of the active arm (scales), its `-ln` mean rate ratio, or the expected
    /// difference in follow-up attacks (attack counts); `None` where the analysis's estimand
    /// has no such form (responders, Wilcoxon, migraine days).
    pub true_effect: Option<f64>,
    /// `mean_estimate - true_effect`.
    pub bias: Option<f64>,
    /// Share of the analysable trials whose two-sided 95% t interval contains the expected
    /// benefit among the enrolled of the active arm, exact by quadrature (the estimand that
    /// `true_effect` estimates by simulation).
    pub ci_coverage: Option<f64>,
    /// People screened per trial (all arms).
    pub mean_screened: f64,
    /// Two-stage screening: confirmatory tests per trial.
    pub mean_confirmatory_tests: Option<f64>,
    /// People enrolled per trial (all arms).
    pub mean_enrolled: f64,
    pub screened_per_enrolled: f64,
    /// Share of the enrolled who are truly deficient (true status below the cut-off).
    pub ppv_deficient: Option<f64>,
    /// Under `[vitamin_d]`: share of the enrolled (all arms) who are vitamin D deficient.
    pub ppv_vitamin_d_deficient: Option<f64>,
    /// Under `[costs]`: the mean cost of a trial (screening, confirmatory and vitamin D tests,
    /// enrolment and follow-up), and its Monte Carlo SE (the number screened is random).
    pub expected_cost: Option<f64>,
    pub expected_cost_mc_se: Option<f64>,
    /// Share of the truly deficient screened who were enrolled: (enrolled deficient per
    /// screened, simulated) / P(deficient among the screened, exact from the population model).
    /// Exactly 1 for all comers and stratification; for enrichment a Monte Carlo estimate,
    /// capped at 1.
    pub selection_sensitivity: Option<f64>,
    /// Share of the enrolled in the two compared arms who dropped out.
    pub dropout_rate: f64,
    /// Share of placebo / active completers whose end-of-trial reading is normal.
    pub normal_at_end_placebo: Option<f64>,
    pub normal_at_end_active: Option<f64>,
    /// Trials whose test could not be computed (counted as not rejecting).
    pub reps_not_analysable: u32,
    /// Regression rows of counts (negative binomial, Poisson, quasi-Poisson): the share of
    /// trials whose fit did not converge (part of `reps_not_analysable`).
    pub share_not_converged: Option<f64>,
    /// Rate-ratio rows: `exp(-mean_estimate)`, the geometric mean of the estimated rate ratio
    /// (for the interaction, of the low stratum's over the other's).
    pub rate_ratio: Option<f64>,
    /// Count rows: the mean rate ratio of treatment on the person's underlying rate among the
    /// enrolled (for the interaction, the low stratum's over the other's).
    pub true_rate_ratio: Option<f64>,
    /// Mean over the analysable trials of the bounds of the 95% interval of the estimate, for
    /// rows whose interval is not Student's t: Wald on the `-ln` rate-ratio scale, Newcombe's
    /// for a risk difference.
    pub mean_ci_low: Option<f64>,
    pub mean_ci_high: Option<f64>,
    /// Responder rows: the responder rates of the active and the placebo completers over all
    /// trials, and their ratio.
    pub responders_active: Option<f64>,
    pub responders_placebo: Option<f64>,
    pub risk_ratio: Option<f64>,
    /// `response.max_effect` (outcome units; counts: `-ln` rate ratio), given or solved by a
    /// calibration; `None` under `response.model = "fixed"`.
    pub max_effect: Option<f64>,
    /// Stratum rows: the mean number enrolled in the row's stratum, active and placebo arm.
    pub stratum_enrolled: Option<(f64, f64)>,
    /// The screening assay (`biomarker.type`: `serum_total`, `ionized`, `red_cell`,
    /// `loading_test`).
    pub assay: String,
    /// With several comparisons: the multiplicity procedure (`analysis.multiplicity`).
    pub multiplicity: Option<String>,
    /// With several comparisons, a comparison's row: the share of trials whose test rejected
    /// at alpha on its own (`power` is after the adjustment).
    pub power_unadjusted: Option<f64>,
    /// With listed comparisons (`[[analysis.comparisons]]`): the arm compared with, the
    /// hypothesis (`superiority`, `non_inferiority`, `equivalence`, or with `_at_margin` the
    /// row of the twin at the margin, whose power is the type I error there), and the margin
    /// in the unit the analysis reads it (outcome units, rate ratio, responder points).
    pub reference: Option<String>,
    pub hypothesis: Option<String>,
    pub margin: Option<f64>,
    /// A crossover's rows: `crossover`, or `parallel` for the parallel design with the same number of people
    /// (whose power only is reported).
    pub layout: Option<String>,
    /// Designs with side effects, informative dropout or the baseline carried forward: how the
    /// follow-ups are missing and analysed, and each compared arm's losses.
    pub missing_data: Option<MissingDataSummary>,
    /// A combination product (an arm with an effect independent of Mg): the mean of that part
    /// among the row's arm's randomized, less the reference's, in the engine's units (the
    /// scale's, or `-ln` rate ratio); `true_effect` less it is what Mg status explains (scales).
    pub true_effect_independent: Option<f64>,
    /// Under `[uncertainty]`: how power varies over the priors (`power` is then assurance).
    pub assurance: Option<AssuranceSummary>,
}

/// A row's power across the priors of `[uncertainty]` (see `scenario::prior`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssuranceSummary {
    /// Draws of the uncertain values, and trials per draw (the last draw may have fewer).
    pub draws: u32,
    pub trials_per_draw: u32,
    /// The 10%, 50% and 90% quantiles over the complete draws of each draw's power, estimated
    /// from its own trials (type 7 of Hyndman & Fan 1996): their spread includes that
    /// estimate's binomial noise, at most `0.5 / sqrt(trials_per_draw)` in SD.
    pub power_quantiles: [f64; 3],
    /// The SD of power across the priors, net of that noise: `sqrt(max(0, var_d(p_d) -
    /// mean_d(p_d (1 - p_d)) / (M - 1)))` over the complete draws (`E[p(1-p)] (M-1)/M` is the
    /// mean of `p_d (1 - p_d)` for a draw of `M` trials at power `p`).
    pub power_sd_across_prior: f64,
    /// Per prior, most influential first: assurance within each decile of its draws (the
    /// sensitivity this tool reports; `docs/scenarios.md`).
    pub sensitivity: Vec<PriorSensitivity>,
}

/// Assurance within groups of one prior's draws: its point mass of no effect (if it has one),
/// then the deciles of its distribution (a point mass: one group).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriorSensitivity {
    pub field: String,
    /// (group, trials, assurance among them): "no effect", "decile 1" .. "decile 10", or "drawn".
    pub groups: Vec<(String, u32, Option<f64>)>,
    /// The largest assurance of a group less the smallest: how much this unknown moves the
    /// chance of success.
    pub spread: f64,
}

/// The assurance summary of row `k` (`None` without `[uncertainty]`).
fn assurance_of(plan: &Plan, results: &PointResults, k: usize) -> Option<AssuranceSummary> {
    let u = plan.scenario.uncertainty.as_ref()?;
    let per = results.trials_per_draw?;
    let seed = plan.scenario.design.seed;
    let draws: Vec<(u32, u32)> = results.draws_of_row(k).collect();
    let full: Vec<f64> =
        draws.iter().filter(|(m, _)| u64::from(*m) == per).map(|&(m, y)| f64::from(y) / f64::from(m)).collect();
    let mut sorted = full.clone();
    sorted.sort_by(f64::total_cmp);
    let quantile = |q: f64| -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let h = (sorted.len() - 1) as f64 * q;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        sorted[lo] + (h - h.floor()) * (sorted[hi] - sorted[lo])
    };
    let n = full.len() as f64;
    let mean = full.iter().sum::<f64>() / n;
    let var = full.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let noise = full.iter().map(|p| p * (1.0 - p)).sum::<f64>() / n / (per as f64 - 1.0);
    let mut sensitivity: Vec<PriorSensitivity> = u
        .prior
        .iter()
        .enumerate()
        .map(|(j, p)| {
            // (trials, rejections) per group: no effect, then deciles 1-10.
            let mut groups = [(0u32, 0u32); 11];
            for (d, &(m, y)) in draws.iter().enumerate() {
                let g = crate::scenario::prior::draw(p, j, seed, d as u64).decile.map_or(0, |x| x + 1);
                groups[g].0 += m;
                groups[g].1 += y;
            }
            let point = p.distribution == crate::scenario::schema::PriorDistribution::PointMass;
            let mut out: Vec<(String, u32, Option<f64>)> = Vec::new();
            if p.probability_of_no_effect.is_some() {
                out.push(("no effect".into(), groups[0].0, ratio(f64::from(groups[0].1), f64::from(groups[0].0))));
            }
            if point {
                let (m, y) = groups[1..].iter().fold((0, 0), |(a, b), &(m, y)| (a + m, b + y));
                out.push(("drawn".into(), m, ratio(f64::from(y), f64::from(m))));
            } else {
                for (i, &(m, y)) in groups[1..].iter().enumerate() {
                    out.push((format!("decile {}", i + 1), m, ratio(f64::from(y), f64::from(m))));
                }
            }
            let shares = out.iter().filter_map(|g| g.2);
            let (lo, hi) = shares.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
            PriorSensitivity { field: p.field.clone(), groups: out, spread: if hi >= lo { hi - lo } else { 0.0 } }
        })
        .collect();
    // Most influential first; ties keep the file's order.
    sensitivity.sort_by(|a, b| b.spread.total_cmp(&a.spread));
    Some(AssuranceSummary {
        draws: draws.len() as u32,
        trials_per_draw: per as u32,
        power_quantiles: [quantile(0.1), quantile(0.5), quantile(0.9)],
        power_sd_across_prior: if n >= 2.0 { (var - noise).max(0.0).sqrt() } else { f64::NAN },
        sensitivity,
    })
}

/// A row's account of missing follow-ups (see [`ComparisonSummary::missing_data`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingDataSummary {
    /// `complete_cases` or `baseline_carried_forward`.
    pub analysis: String,
    /// `completely_at_random`, `baseline_severity` or `no_improvement`.
    pub mechanism: String,
    /// Share of the enrolled of the row's arm, and of its reference arm, who dropped out.
    pub dropout_active: Option<f64>,
    pub dropout_reference: f64,
    /// Share of the enrolled of the row's arm with GI side effects.
    pub side_effects_active: Option<f64>,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

/// The unit of a row's estimates.
fn estimate_unit(plan: &Plan, test: TestKind) -> String {
    match test {
        TestKind::Welch | TestKind::Ancova => plan.scale.unit.clone(),
        TestKind::NegbinWald | TestKind::NegbinLr | TestKind::Poisson | TestKind::QuasiPoisson => {
            "-ln rate ratio".into()
        }
        TestKind::Wilcoxon => "P(active better) - 1/2".into(),
        TestKind::ChiSquare | TestKind::ChiSquareYates | TestKind::Fisher => "risk difference".into(),
    }
}

/// The mean treatment rate ratio among the active arm's enrolled in `subgroup`; for the
/// interaction, the low stratum's over the other's.
fn mean_rate_ratio(arm: &ArmTotals, subgroup: Subgroup) -> Option<f64> {
    let within = |g: Subgroup| arm.in_subgroup(g).and_then(|(n, _, rr)| ratio(rr, n));
    match subgroup {
        Subgroup::Interaction => ratio(within(Subgroup::LowStratum)?, within(Subgroup::OtherStratum)?),
        g => within(g),
    }
}

/// The row's estimand from the simulated participants (see [`ComparisonSummary::true_effect`]).
fn true_effect(plan: &Plan, slot: &Slot, arm: &ArmTotals) -> Option<f64> {
    if slot.subgroup == Subgroup::Interaction {
        let low = Slot { subgroup: Subgroup::LowStratum, ..*slot };
        let other = Slot { subgroup: Subgroup::OtherStratum, ..*slot };
        return Some(true_effect(plan, &low, arm)? - true_effect(plan, &other, arm)?);
    }
    let (n, benefit, _) = arm.in_subgroup(slot.subgroup)?;
    match (&plan.count, slot.test) {
        (None, TestKind::Welch | TestKind::Ancova) => ratio(benefit, n),
        (Some((m, _)), test) if m.kind == CountKind::Attacks => {
            let rr = mean_rate_ratio(arm, slot.subgroup)?;
            match test {
                TestKind::NegbinWald | TestKind::NegbinLr | TestKind::Poisson | TestKind::QuasiPoisson => {
                    Some(-rr.ln())
                }
                TestKind::Welch | TestKind::Ancova => {
                    Some(m.expected_count(m.followup_weeks, 1.0) * m.placebo_rate_ratio * (1.0 - rr))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Summarizes the replicates of one design point into one row per comparison.
pub fn summarize(plan: &Plan, seed: u64, results: &PointResults) -> Vec<ComparisonSummary> {
    let s = &plan.scenario;
    let reps = f64::from(results.reps);
    let screened = results.screened;
    let enrolled_all: f64 = results.arms.iter().map(|a| a.enrolled).sum();
    let deficient_all: f64 = results.arms.iter().map(|a| a.deficient).sum();
    let mg = plan.mg.is_some();
    let listed = crate::scenario::comparisons::listed(s);
    let end_reading_modelled = mg && s.end_reading_unreported().is_none();
    let normal_at_end =
        |a: &ArmTotals| ratio(a.normal_at_end, a.enrolled - a.dropouts).filter(|_| end_reading_modelled);
    plan.slots
        .iter()
        .enumerate()
        .map(|(k, slot)| {
            let a = slot.arm;
            let arm = &results.arms[a];
            // The arm compared with (the placebo arm).
            let placebo = &results.arms[slot.reference];
            // A family's row has no estimate of its own; it and the dose trend stand for every
            // active arm.
            let all_arms = !matches!(slot.role, SlotRole::Comparison | SlotRole::AtMargin | SlotRole::ParallelSameN);
            let at_margin = slot.role == SlotRole::AtMargin;
            let parallel = slot.role == SlotRole::ParallelSameN;
            // Rows of decisions only: a family's, and the type I error at a margin.
            let family_row = (all_arms && slot.role != SlotRole::DoseTrend) || at_margin || parallel;
            let trend = plan.dose_trend.as_ref().filter(|_| slot.role == SlotRole::DoseTrend);
            let true_effect = match trend {
                // The contrast of the arms' mean individual benefits (scales).
                Some(t) if plan.count.is_none() => results
                    .arms
                    .iter()
                    .zip(&t.contrast)
                    .map(|(a, c)| ratio(a.benefit_sum, a.enrolled).map(|b| c * b))
                    .sum(),
                Some(_) => None,
                // The tested arm's over its reference's (against placebo, minus an exact 0).
                None => true_effect(plan, slot, arm)
                    .zip(true_effect(plan, slot, placebo))
                    .map(|(a, r)| a - r)
                    .filter(|_| !all_arms),
            }
            .filter(|_| !at_margin && !parallel);
            let totals = &results.comparisons[k];
            let rate_ratio_row = matches!(
                slot.test,
                TestKind::NegbinWald | TestKind::NegbinLr | TestKind::Poisson | TestKind::QuasiPoisson
            );
            let analysable = f64::from(totals.analysable);
            let mean_estimate = totals.mean_estimate().filter(|_| !family_row);
            let sd_estimate = totals.sd_estimate().filter(|_| !family_row);
            let actives = plan.active_arms().map(|i| &results.arms[i]);
            let (active_dropouts, active_enrolled) =
                actives.fold((0.0, 0.0), |(d, e), arm| (d + arm.dropouts, e + arm.enrolled));
            // A family's rows: every arm that is not Mg (placebo, comparators).
            let (other_dropouts, other_enrolled) = results
                .arms
                .iter()
                .zip(&plan.arms)
                .filter(|(_, p)| !p.is_active)
                .fold((0.0, 0.0), |(d, e), (arm, _)| (d + arm.dropouts, e + arm.enrolled));
            let covered = f64::from(totals.covered);
            let interval = results.power_interval(k);
            let (power, lo, hi) = (interval.power, interval.low, interval.high);
            ComparisonSummary {
                scenario: s.name.clone(),
                comparison: slot.role.label().map_or_else(|| plan.arms[a].name.clone(), str::to_string),
                analysis: slot.test.label().to_string(),
                subgroup: slot.subgroup.label().to_string(),
                estimate_unit: match trend {
                    Some(t) => format!("{} per {}", estimate_unit(plan, slot.test), t.per),
                    None => estimate_unit(plan, slot.test),
                },
                // Breslow-Day tests heterogeneity: two-sided whatever the analysis's sidedness.
                sided: if slot.test.is_responder() && slot.subgroup == Subgroup::Interaction {
                    "two".to_string()
                } else {
                    format!("{:?}", s.analysis.sided).to_lowercase()
                },
                alpha: s.analysis.alpha,
                n_per_arm: s.design.n_per_arm,
                n_active: if all_arms {
                    plan.active_arms().map(|i| plan.arms[i].n_target).sum()
                } else {
                    plan.arms[a].n_target
                },
                n_placebo: plan.arms[slot.reference].n_target,
                unit: plan.scale.unit.clone(),
                reps: results.reps,
                seed,
                power,
                power_ci_low: lo,
                power_ci_high: hi,
                power_mc_se: interval.se,
                mean_estimate,
                sd_estimate,
                true_effect,
                bias: mean_estimate.zip(true_effect).map(|(m, t)| m - t),
                ci_coverage: results.estimands[k].and(ratio(covered, analysable)).filter(|_| !family_row),
                mean_screened: screened / reps,
                mean_confirmatory_tests: plan.confirmation.as_ref().map(|_| results.confirmed / reps),
                mean_enrolled: enrolled_all / reps,
                screened_per_enrolled: screened / enrolled_all,
                ppv_deficient: ratio(deficient_all, enrolled_all).filter(|_| mg),
                expected_cost: plan.costs.map(|c| c.fixed_per_trial(plan.total_enrolled()) + results.cost_sum / reps),
                expected_cost_mc_se: plan.costs.map(|_| results.cost_se()),
                ppv_vitamin_d_deficient: plan
                    .vitamin_d
                    .as_ref()
                    .and_then(|_| ratio(results.arms.iter().map(|a| a.vitamin_d_low).sum(), enrolled_all)),
                selection_sensitivity: match plan.mode {
                    // Everyone screened is enrolled (without a vitamin D test that turns some
                    // away): every deficient person is, exactly.
                    SelectionMode::AllComers | SelectionMode::Stratify
                        if plan.vitamin_d.as_ref().is_none_or(|v| v.selection.is_none()) =>
                    {
                        Some(1.0)
                    }
                    // A share of all the deficient screened: at most 1 even where Monte Carlo
                    // noise in the enrolled count would put the ratio above it.
                    _ => ratio(deficient_all / screened, plan.prob_deficient).map(|v| v.min(1.0)),
                }
                .filter(|_| mg),
                dropout_rate: if all_arms {
                    (active_dropouts + other_dropouts) / (active_enrolled + other_enrolled)
                } else {
                    (arm.dropouts + placebo.dropouts) / (arm.enrolled + placebo.enrolled)
                },
                normal_at_end_placebo: normal_at_end(placebo),
                normal_at_end_active: normal_at_end(arm).filter(|_| !all_arms),
                reps_not_analysable: (reps - analysable) as u32,
                share_not_converged: (rate_ratio_row && !family_row).then(|| f64::from(totals.not_converged) / reps),
                rate_ratio: mean_estimate.filter(|_| rate_ratio_row).map(|m| (-m).exp()),
                true_rate_ratio: plan
                    .count
                    .as_ref()
                    .and_then(|_| mean_rate_ratio(arm, slot.subgroup))
                    .filter(|_| !all_arms),
                mean_ci_low: ratio(totals.interval_low_sum, f64::from(totals.intervals)),
                mean_ci_high: ratio(totals.interval_high_sum, f64::from(totals.intervals)),
                responders_active: ratio(totals.responders_active, totals.analysed_active),
                responders_placebo: ratio(totals.responders_placebo, totals.analysed_placebo),
                risk_ratio: ratio(totals.responders_active, totals.analysed_active)
                    .zip(ratio(totals.responders_placebo, totals.analysed_placebo))
                    .and_then(|(a, p)| ratio(a, p)),
                stratum_enrolled: match slot.subgroup {
                    Subgroup::LowStratum | Subgroup::OtherStratum => arm
                        .in_subgroup(slot.subgroup)
                        .zip(placebo.in_subgroup(slot.subgroup))
                        .map(|((a, _, _), (p, _, _))| (a / reps, p / reps)),
                    _ => None,
                },
                max_effect: (s.response.model == crate::scenario::schema::ResponseModel::Repletion)
                    .then_some(plan.response.max_effect),
                assay: plan.assay.kind.label().to_string(),
                multiplicity: plan.multiplicity.as_ref().map(|m| m.procedure.label().to_string()),
                power_unadjusted: plan
                    .multiplicity
                    .as_ref()
                    .filter(|_| !all_arms && !at_margin)
                    .map(|_| f64::from(totals.rejected_unadjusted) / reps),
                reference: listed.then(|| plan.arms[slot.reference].name.clone()).filter(|_| !all_arms),
                hypothesis: listed.then(|| {
                    let h = slot.hypothesis.label();
                    if at_margin { format!("{h}_at_margin") } else { h.to_string() }
                }),
                margin: listed
                    .then(|| &plan.comparisons[slot.comparison])
                    .filter(|_| !all_arms && slot.subgroup != Subgroup::Interaction)
                    .and_then(|c| c.margin_as_given(slot.test)),
                layout: plan.crossover.map(|_| if parallel { "parallel" } else { "crossover" }.to_string()),
                assurance: assurance_of(plan, results, k),
                true_effect_independent: s
                    .arms
                    .iter()
                    .any(|a| a.independent_effect.is_some() || a.independent_rate_ratio.is_some())
                    .then(|| {
                        ratio(arm.independent_sum, arm.enrolled).unwrap_or(0.0)
                            - ratio(placebo.independent_sum, placebo.enrolled).unwrap_or(0.0)
                    })
                    .filter(|_| !all_arms),
                missing_data: (plan.missing.is_some() || s.side_effects.is_some()).then(|| MissingDataSummary {
                    analysis: s.analysis.missing_data.label().to_string(),
                    mechanism: s.dropout.mechanism.label().to_string(),
                    dropout_active: ratio(arm.dropouts, arm.enrolled).filter(|_| !all_arms),
                    dropout_reference: ratio(placebo.dropouts, placebo.enrolled).unwrap_or(0.0),
                    side_effects_active: ratio(arm.affected, arm.enrolled).filter(|_| !all_arms),
                }),
            }
        })
        .collect()
}
