//! The analyses of one simulated trial, once its participants are in: for each result row of
//! the plan ([`Slot`]: a comparison, an analysis, a subgroup) the analysis of that comparison
//! in that subgroup, from the trial's cells and responder counts (scales) or from its
//! completers' counts (count outcomes). It runs once per trial, after the participant loops,
//! so the family and the analysis are chosen per row, never per participant.
//!
//! Every estimate is on its analysis's benefit scale, positive when the active arm did better:
//! outcome units (Welch, ANCOVA), `-ln` rate ratio (negative-binomial, Poisson, quasi-Poisson),
//! `P(active better) - 1/2` (Wilcoxon), or the difference in responder rates. The interaction
//! row is the benefit in the low stratum minus the benefit in the other: ANCOVA with the
//! treatment x stratum term, the same term in the count regressions, the Breslow-Day test
//! (with Tarone's correction) for responders, and for Welch and Wilcoxon the difference of the
//! two strata's independent estimates.

use crate::analysis::ancova::{ancova_contrast, ancova_many_to_one};
use crate::analysis::loglinear::{CountRows, MAX_COLUMNS};
use crate::analysis::multiplicity::{MAX_COMPARISONS, decide_by_levels};
use crate::analysis::negbin::{NegBinScratch, WaldTest, likelihood_ratio, wald_test};
use crate::analysis::poisson::poisson_test;
use crate::analysis::power::Z_975;
use crate::analysis::responders::{ResponderTable, breslow_day};
use crate::analysis::wilcoxon::{RankScratch, wilcoxon};
use crate::analysis::{Cell, Estimate, ancova, welch::welch};
use crate::engine::plan::{MultiplicityPlan, Plan, Slot, SlotRole, Subgroup};
use crate::scenario::schema::Hypothesis;
use crate::scenario::schema::Multiplicity;
use crate::scenario::schema::TestKind;
use statrs::function::erf::erfc;

/// One completer of a count outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountRecord {
    pub baseline: u32,
    pub followup: u32,
    /// 0 below the threshold, 1 at or above it (0 when strata are not reported).
    pub stratum: u8,
}

/// What one row of one trial gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SlotOutcome {
    Analysed(SlotResult),
    /// Too few completers, or no variation, for the analysis to be defined; a responder row
    /// keeps its table, so that the responder rates pool every trial.
    NotAnalysable {
        table: Option<ResponderTable>,
    },
    /// An iterative fit (negative binomial, Poisson) that did not converge.
    NotConverged,
    /// A family's row ([`SlotRole`]): whether it rejected.
    Decided(bool),
}

impl SlotOutcome {
    pub(crate) const NOT_ANALYSABLE: SlotOutcome = SlotOutcome::NotAnalysable { table: None };

    pub fn estimate(&self) -> Option<Estimate> {
        match self {
            SlotOutcome::Analysed(r) => Some(r.estimate),
            _ => None,
        }
    }
}

/// An analysed row of one trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotResult {
    /// Estimate of benefit on the analysis's scale, with its SE and reference df.
    pub estimate: Estimate,
    /// The test's own p-value, in the plan's sidedness, for tests not decided by
    /// `estimate / se` against a t or normal critical value (likelihood ratio, chi-square,
    /// Fisher, Breslow-Day).
    pub p_value: Option<f64>,
    /// The 95% interval of the estimate, where it is not the t interval: Wald on the log
    /// rate-ratio scale, Newcombe's for a risk difference.
    pub interval: Option<(f64, f64)>,
    /// The responder table of a responder row (summed over the strata for `all`).
    pub table: Option<ResponderTable>,
    /// With several comparisons, the decision after the multiplicity adjustment.
    pub adjusted: Option<bool>,
}

impl SlotResult {
    /// Whether this row of a trial rejects under `plan`: after the multiplicity adjustment
    /// where there is one, else as [`SlotResult::rejected_unadjusted`].
    pub(crate) fn rejected_in(&self, plan: &Plan, slot: &Slot) -> bool {
        self.adjusted.unwrap_or_else(|| self.rejected_unadjusted(plan, slot))
    }

    /// Whether the row's test rejects at alpha on its own: by its own p-value where it has one
    /// (superiority only), else by [`Plan::rejects`].
    pub(crate) fn rejected_unadjusted(&self, plan: &Plan, slot: &Slot) -> bool {
        match self.p_value {
            Some(p) => p < plan.scenario.analysis.alpha,
            None => plan.rejects(slot, &self.estimate),
        }
    }
}

impl SlotResult {
    fn from(estimate: Estimate) -> SlotResult {
        SlotResult { estimate, p_value: None, interval: None, table: None, adjusted: None }
    }
}

/// Working memory of the analyses, reused from trial to trial.
#[derive(Debug, Clone, Default)]
pub struct ComparisonScratch {
    /// Count regression rows of one comparison: everyone, the low stratum, the other.
    rows: [CountRows; 3],
    negbin: NegBinScratch,
    ranks: RankScratch,
    /// Changes in counts of the active and the placebo completers.
    change: [Vec<f64>; 2],
    /// Count outcomes: cells and responders per (arm, stratum), from the records.
    count_cells: Vec<Cell>,
    count_responders: Vec<u32>,
    /// Dunnett: each arm's estimate against placebo from the many-to-one ANCOVA.
    many_to_one: Vec<Option<Estimate>>,
}

/// Two-sided or one-sided (benefit) p-value of a standard normal statistic `z`.
fn normal_p(z: f64, two_sided: bool) -> f64 {
    if two_sided { erfc(z.abs() / std::f64::consts::SQRT_2) } else { 0.5 * erfc(z / std::f64::consts::SQRT_2) }
}

/// The difference of two independent estimates, with the Welch-Satterthwaite df.
fn difference(a: Option<Estimate>, b: Option<Estimate>) -> Option<Estimate> {
    let (a, b) = (a?, b?);
    let (va, vb) = (a.se * a.se, b.se * b.se);
    let df = (va + vb).powi(2) / (va * va / a.df + vb * vb / b.df);
    Estimate::checked(a.benefit - b.benefit, (va + vb).sqrt(), df.max(1.0))
}

fn analysed(e: Option<Estimate>) -> SlotOutcome {
    e.map_or(SlotOutcome::NOT_ANALYSABLE, |e| SlotOutcome::Analysed(SlotResult::from(e)))
}

/// Welch or ANCOVA of `act` vs `pla` (cells by stratum) in `subgroup`.
fn scale_row(test: TestKind, subgroup: Subgroup, act: &[Cell], pla: &[Cell], sign: f64) -> SlotOutcome {
    let merge = |cs: &[Cell]| cs.iter().fold(Cell::default(), |acc, c| acc.merged(*c));
    let within = |s: usize| match test {
        TestKind::Welch => welch(&act[s], &pla[s], sign),
        _ => ancova::ancova(&act[s..=s], &pla[s..=s], false, sign),
    };
    analysed(match (test, subgroup) {
        (TestKind::Welch, Subgroup::All) => welch(&merge(act), &merge(pla), sign),
        (_, Subgroup::All) => ancova::ancova(act, pla, act.len() > 1, sign),
        (_, Subgroup::LowStratum) => within(0),
        (_, Subgroup::OtherStratum) => within(1),
        (TestKind::Welch, Subgroup::Interaction) => difference(within(0), within(1)),
        (_, Subgroup::Interaction) => ancova::ancova_interaction(act, pla, sign),
    })
}

/// A responder row: chi-square (with or without Yates), Fisher, or Breslow-Day for the
/// interaction. `tables` by stratum.
fn responder_row(test: TestKind, subgroup: Subgroup, tables: &[ResponderTable], two_sided: bool) -> SlotOutcome {
    let merged = tables.iter().fold(
        ResponderTable { active_responders: 0, active_n: 0, placebo_responders: 0, placebo_n: 0 },
        |acc, t| ResponderTable {
            active_responders: acc.active_responders + t.active_responders,
            active_n: acc.active_n + t.active_n,
            placebo_responders: acc.placebo_responders + t.placebo_responders,
            placebo_n: acc.placebo_n + t.placebo_n,
        },
    );
    let rd = |t: &ResponderTable| {
        let (pa, pp) = t.rates();
        let se = (pa * (1.0 - pa) / f64::from(t.active_n) + pp * (1.0 - pp) / f64::from(t.placebo_n)).sqrt();
        Estimate { benefit: pa - pp, se, df: f64::INFINITY }
    };
    if subgroup == Subgroup::Interaction {
        let strata = [tables[0], tables[1]];
        let Some((_, p)) = breslow_day(&strata) else { return SlotOutcome::NOT_ANALYSABLE };
        let (low, other) = (rd(&strata[0]), rd(&strata[1]));
        let estimate = Estimate { benefit: low.benefit - other.benefit, se: low.se.hypot(other.se), df: f64::INFINITY };
        return SlotOutcome::Analysed(SlotResult { p_value: Some(p), ..SlotResult::from(estimate) });
    }
    let table = match subgroup {
        Subgroup::LowStratum => tables[0],
        Subgroup::OtherStratum => tables[1],
        _ => merged,
    };
    let p = match test {
        TestKind::Fisher => table.fisher().map(|f| if two_sided { f.p_two_sided } else { f.p_greater }),
        _ => table
            .chi_square(test == TestKind::ChiSquareYates)
            .map(|c| if two_sided { c.p_two_sided } else { normal_p(c.signed_root, false) }),
    };
    let Some(p) = p else { return SlotOutcome::NotAnalysable { table: table.is_valid().then_some(table) } };
    SlotOutcome::Analysed(SlotResult {
        p_value: Some(p),
        interval: table.newcombe_interval(Z_975),
        table: Some(table),
        ..SlotResult::from(rd(&table))
    })
}

/// Count regression rows `[1, treated, ln(baseline + 1), other stratum, treated x other]` of
/// the active arm's and the placebo's completers, into `rows` (everyone, low, other).
fn fill_rows(rows: &mut [CountRows; 3], active: &[CountRecord], placebo: &[CountRecord]) {
    for r in rows.iter_mut() {
        r.clear();
    }
    for (treated, records) in [(1.0, active), (0.0, placebo)] {
        for c in records {
            let other = f64::from(c.stratum);
            let mut row = [0.0; MAX_COLUMNS];
            row[..5].copy_from_slice(&[1.0, treated, (f64::from(c.baseline) + 1.0).ln(), other, treated * other]);
            rows[0].push(c.followup, row);
            rows[1 + usize::from(c.stratum)].push(c.followup, row);
        }
    }
}

/// Rows per (arm, stratum) of `rows`: `[placebo, active][low, other]`.
fn cell_sizes(rows: &CountRows) -> [[usize; 2]; 2] {
    let mut n = [[0; 2]; 2];
    for x in &rows.x {
        n[usize::from(x[1] == 1.0)][usize::from(x[3] == 1.0)] += 1;
    }
    n
}

/// This comparison's negative-binomial fits by subgroup, shared by its Wald and
/// likelihood-ratio rows and computed when first needed (the likelihood ratio's reduced model
/// only for a likelihood-ratio row).
type NegBinCache = [Option<Option<WaldTest>>; 4];

/// A count-regression row: negative binomial (Wald or likelihood ratio), Poisson or
/// quasi-Poisson. `stratified`: the trial has strata (randomized within them, or reported by
/// them), so the regression over everyone adjusts for the stratum, as ANCOVA does.
fn regression_row(
    test: TestKind,
    subgroup: Subgroup,
    stratified: bool,
    two_sided: bool,
    rows: &mut [CountRows; 3],
    negbin: &mut NegBinScratch,
    cache: &mut NegBinCache,
) -> SlotOutcome {
    // Columns, the treatment's (or interaction's) index among them, and the sign that turns
    // the coefficient into benefit (-ln rate ratio; the interaction's coefficient already is
    // the low stratum's benefit minus the other's).
    // A stratum term needs both strata; the interaction needs every (arm, stratum) cell.
    let n = cell_sizes(&rows[0]);
    // The stratum term is estimable when both strata are present and the stratum is not the
    // arm itself (every active participant in one stratum and every placebo one in the other).
    let both_strata =
        (0..2).all(|s| n[0][s] + n[1][s] > 0) && !(n[1][0] == 0 && n[0][1] == 0) && !(n[1][1] == 0 && n[0][0] == 0);
    if subgroup == Subgroup::Interaction && n.iter().flatten().any(|&c| c == 0) {
        return SlotOutcome::NOT_ANALYSABLE;
    }
    let (set, columns, index, sign): (usize, &[usize], usize, f64) = match subgroup {
        Subgroup::All if stratified && both_strata => (0, &[0, 1, 2, 3], 1, -1.0),
        Subgroup::All => (0, &[0, 1, 2], 1, -1.0),
        Subgroup::LowStratum => (1, &[0, 1, 2], 1, -1.0),
        Subgroup::OtherStratum => (2, &[0, 1, 2], 1, -1.0),
        Subgroup::Interaction => (0, &[0, 1, 3, 4, 2], 3, 1.0),
    };
    let rows = &mut rows[set];
    // With two completers in each arm the model is estimable, so a failed fit is a failure to
    // converge, not an undefined analysis.
    let failed = |rows: &CountRows| {
        let n = cell_sizes(rows);
        if n[0][0] + n[0][1] >= 2 && n[1][0] + n[1][1] >= 2 && rows.len() > columns.len() + 1 {
            SlotOutcome::NotConverged
        } else {
            SlotOutcome::NOT_ANALYSABLE
        }
    };
    let wald = |b: f64, se: f64| {
        let estimate = Estimate { benefit: sign * b, se, df: f64::INFINITY };
        let interval = (estimate.benefit - Z_975 * se, estimate.benefit + Z_975 * se);
        (estimate, interval)
    };
    match test {
        TestKind::NegbinWald | TestKind::NegbinLr => {
            let slot = subgroup as usize;
            let fitted = *cache[slot].get_or_insert_with(|| wald_test(rows, columns, index, negbin));
            let Some(f) = fitted else { return failed(rows) };
            let (estimate, interval) = wald(f.log_rate_ratio, f.se);
            if test == TestKind::NegbinWald {
                return SlotOutcome::Analysed(SlotResult { interval: Some(interval), ..SlotResult::from(estimate) });
            }
            let Some(lr) = likelihood_ratio(rows, columns, index, &f, negbin) else { return failed(rows) };
            let z = estimate.benefit.signum() * lr.sqrt();
            SlotOutcome::Analysed(SlotResult { p_value: Some(normal_p(z, two_sided)), ..SlotResult::from(estimate) })
        }
        _ => {
            let quasi = test == TestKind::QuasiPoisson;
            let Some(f) = poisson_test(rows, columns, index, quasi) else { return failed(rows) };
            if quasi {
                let e = Estimate { benefit: sign * f.log_rate_ratio, se: f.se, df: f.df };
                return SlotOutcome::Analysed(SlotResult::from(e));
            }
            let (estimate, interval) = wald(f.log_rate_ratio, f.se);
            SlotOutcome::Analysed(SlotResult { interval: Some(interval), ..SlotResult::from(estimate) })
        }
    }
}

/// Wilcoxon-Mann-Whitney on the change in counts, in `subgroup` (the interaction: the
/// difference of the strata's estimates).
fn wilcoxon_row(
    subgroup: Subgroup,
    active: &[CountRecord],
    placebo: &[CountRecord],
    change: &mut [Vec<f64>; 2],
    ranks: &mut RankScratch,
) -> SlotOutcome {
    let mut within = |stratum: Option<u8>| {
        for (values, records) in change.iter_mut().zip([active, placebo]) {
            values.clear();
            values.extend(
                records
                    .iter()
                    .filter(|c| stratum.is_none_or(|s| c.stratum == s))
                    .map(|c| f64::from(c.followup) - f64::from(c.baseline)),
            );
        }
        // Fewer than two completers in an arm leave a trial unanalysed, as for every analysis.
        if change.iter().any(|v| v.len() < 2) {
            return None;
        }
        wilcoxon(&change[0], &change[1], -1.0, ranks)
    };
    analysed(match subgroup {
        Subgroup::All => within(None),
        Subgroup::LowStratum => within(Some(0)),
        Subgroup::OtherStratum => within(Some(1)),
        Subgroup::Interaction => {
            let low = within(Some(0));
            difference(low, within(Some(1)))
        }
    })
}

/// Cells (baseline and follow-up counts) and responders per (arm, stratum) of a count
/// outcome's records, so that Welch, ANCOVA and the responder tests run on them as on a scale.
fn count_cells(plan: &Plan, records: &[Vec<CountRecord>], cells: &mut Vec<Cell>, responders: &mut Vec<u32>) {
    let ns = plan.n_strata;
    cells.clear();
    cells.resize(records.len() * ns, Cell::default());
    responders.clear();
    responders.resize(records.len() * ns, 0);
    let (model, _) = plan.count.as_ref().expect("a count outcome");
    // A responder's follow-up rate is compared with the baseline rate: the baseline count
    // scaled to the follow-up window.
    let to_followup = model.followup_weeks / model.baseline_weeks;
    for (a, arm) in records.iter().enumerate() {
        for c in arm {
            let k = a * ns + usize::from(c.stratum).min(ns - 1);
            let (x, y) = (f64::from(c.baseline), f64::from(c.followup));
            cells[k].add(x, y);
            if let Some(r) = &plan.responder {
                responders[k] += u32::from(r.responds(x * to_followup, y));
            }
        }
    }
}

/// Analyses every slot of `plan` for one trial into `results`. `cells` and `responders` are
/// per (arm, stratum) of a scale; `records` per arm of a count outcome.
pub fn analyse(
    plan: &Plan,
    cells: &[Cell],
    responders: &[u32],
    records: &[Vec<CountRecord>],
    scratch: &mut ComparisonScratch,
    results: &mut [SlotOutcome],
) {
    let ComparisonScratch { rows, negbin, ranks, change, count_cells: own_cells, count_responders, many_to_one } =
        scratch;
    let (cells, responders) = if plan.count.is_some() {
        count_cells(plan, records, own_cells, count_responders);
        (own_cells.as_slice(), count_responders.as_slice())
    } else {
        (cells, responders)
    };
    let (ns, sign, two_sided) = (plan.n_strata, plan.outcome.benefit_sign, plan.two_sided());
    let mut current: Option<(usize, usize)> = None;
    let mut cache: NegBinCache = [None; 4];
    let dunnett = plan.multiplicity.as_ref().is_some_and(|m| m.procedure == Multiplicity::Dunnett);
    if dunnett {
        // Every arm against placebo in one model (validated: ANCOVA over everyone only).
        many_to_one.clear();
        many_to_one.resize(plan.arms.len(), None);
        let placebo = plan.placebo.expect("validated: Dunnett's test has a placebo arm");
        ancova_many_to_one(cells, ns, placebo, ns > 1, sign, many_to_one);
    }
    for (slot, out) in plan.slots.iter().zip(results.iter_mut()) {
        if let (SlotRole::DoseTrend, Some(trend)) = (slot.role, &plan.dose_trend) {
            let placebo = plan.placebo.expect("validated: a dose trend has a placebo arm");
            *out = analysed(ancova_contrast(cells, ns, placebo, ns > 1, sign, &trend.contrast));
            continue;
        }
        if slot.role != SlotRole::Comparison {
            continue;
        }
        let (a, r) = (slot.arm, slot.reference);
        if dunnett {
            *out = analysed(many_to_one[a]);
            continue;
        }
        if current != Some((a, r)) {
            current = Some((a, r));
            cache = [None; 4];
            if plan.analyses.iter().any(|t| {
                matches!(t, TestKind::NegbinWald | TestKind::NegbinLr | TestKind::Poisson | TestKind::QuasiPoisson)
            }) {
                fill_rows(rows, &records[a], &records[r]);
            }
        }
        let (act, pla) = (&cells[a * ns..(a + 1) * ns], &cells[r * ns..(r + 1) * ns]);
        *out = match slot.test {
            TestKind::Welch | TestKind::Ancova => scale_row(slot.test, slot.subgroup, act, pla, sign),
            TestKind::ChiSquare | TestKind::ChiSquareYates | TestKind::Fisher => {
                let table = |s: usize| ResponderTable {
                    active_responders: responders[a * ns + s],
                    active_n: act[s].n as u32,
                    placebo_responders: responders[r * ns + s],
                    placebo_n: pla[s].n as u32,
                };
                let tables = [table(0), table(ns - 1)];
                responder_row(slot.test, slot.subgroup, &tables[..ns], two_sided)
            }
            TestKind::Wilcoxon => wilcoxon_row(slot.subgroup, &records[a], &records[r], change, ranks),
            _ => regression_row(slot.test, slot.subgroup, ns > 1, two_sided, rows, negbin, &mut cache),
        };
        // A margin is tested by the Wald statistic of the estimate (validated: analyses with
        // one), not by the test's own p-value of no difference.
        if let (Hypothesis::NonInferiority | Hypothesis::Equivalence, SlotOutcome::Analysed(r)) =
            (slot.hypothesis, &mut *out)
        {
            r.p_value = None;
        }
    }
}

/// Applies the multiplicity procedure to one trial's analysed `results`: each family's
/// comparisons get their adjusted decision, and the family's rows whether any and whether
/// every comparison was rejected. `null_results` are the results of the trial's twin under the
/// global null (already adjusted), for the rows of the family-wise error rate.
pub(crate) fn adjust(
    plan: &Plan,
    m: &MultiplicityPlan,
    results: &mut [SlotOutcome],
    null_results: Option<&[SlotOutcome]>,
) {
    let alpha = plan.scenario.analysis.alpha;
    let two_sided = plan.two_sided();
    for family in &m.families {
        let size = family.members.len();
        let mut rejected = [false; MAX_COMPARISONS];
        match &m.dunnett {
            Some(dunnett) => {
                for (r, &k) in rejected.iter_mut().zip(&family.members) {
                    if let SlotOutcome::Analysed(res) = &results[k] {
                        let t = res.estimate.t();
                        *r = (if two_sided { t.abs() } else { t }) > dunnett.value(res.estimate.df);
                    }
                }
            }
            None => {
                // Whether member j's p-value is below alpha / k: its own p-value, or its
                // statistic against the tabulated critical value of that level (exact).
                let below = |j: usize, k: usize| match &results[family.members[j]] {
                    SlotOutcome::Analysed(res) => match res.p_value {
                        Some(p) => p < alpha / k as f64,
                        None => {
                            let slot = &plan.slots[family.members[j]];
                            m.levels[k - 1].exceeds(plan.statistic(slot, &res.estimate), res.estimate.df)
                        }
                    },
                    _ => false,
                };
                decide_by_levels(m.procedure, size, below, &mut rejected[..size]);
            }
        }
        for (&r, &k) in rejected.iter().zip(&family.members) {
            if let SlotOutcome::Analysed(res) = &mut results[k] {
                res.adjusted = Some(r);
            }
        }
        let decided = &rejected[..size];
        if let Some(k) = family.any {
            results[k] = SlotOutcome::Decided(decided.iter().any(|&r| r));
        }
        if let Some(k) = family.every {
            results[k] = SlotOutcome::Decided(decided.iter().all(|&r| r));
        }
        if let (Some((k, members)), Some(null)) = (&family.under_global_null, null_results) {
            let error =
                members.iter().any(|&j| matches!(&null[j], SlotOutcome::Analysed(r) if r.adjusted == Some(true)));
            results[*k] = SlotOutcome::Decided(error);
        }
    }
}
