//! Crossover (issue 23, point 4): without carry-over the AB/BA crossover has the power of the
//! paired design; type I error holds with a period effect on a bounded scale; carry-over
//! biases the estimate by half of it; dropout in either period loses the person; the parallel
//! row is the parallel design with the same number of people, trial for trial; counts are Koch's rank
//! test of the period differences; bad inputs are refused.

mod common;

use common::{TEXTBOOK, binomial_se, simulate_all};
use mgtrial::analysis::power::{paired_t_power, t_test_power};
use mgtrial::engine::summary::ComparisonSummary;

/// The textbook design (population none, fixed delta, unbounded scale, change SD 1,
/// reliability 1) as a crossover with `carryover`, `n` per sequence.
fn crossover(carryover: f64, n: u32) -> String {
    TEXTBOOK
        // The change every arm sees cancels from the period differences of an unbounded scale.
        .replace("placebo_improvement = 0.0\n", "")
        .replace("[design]", &format!("[crossover]\ncarryover_fraction = {carryover}\n[design]"))
        .replace("n_per_arm = 64", &format!("n_per_arm = {n}"))
}

fn layout<'a>(rows: &'a [ComparisonSummary], l: &str) -> &'a ComparisonSummary {
    rows.iter().find(|r| r.layout.as_deref() == Some(l)).unwrap_or_else(|| panic!("no {l} row"))
}

/// 20 per sequence, d = 0.5, change SD 1: the paired t test of 40 within-person differences
/// of SD sqrt(2), on 38 df (one to the period term), within 3.5 SE; and at d = 0.4 with a
/// between-person SD 3 (which cancels) and reliability 0.8 (whose error does not).
#[test]
fn without_carryover_the_crossover_has_the_paired_power() {
    let reps: f64 = 20_000.0;
    for (delta, reliability) in [(0.5, 1.0), (0.4, 0.8)] {
        let mut sets = vec!["design.reps=20000".to_string(), format!("response.delta={delta}")];
        if reliability < 1.0 {
            // The person's level cancels; its SD sets the measurement error.
            sets.extend([format!("outcome.reliability={reliability}"), "outcome.baseline_sd=3".to_string()]);
        }
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let rows = simulate_all(&crossover(0.0, 20), &sets);
        let r = layout(&rows, "crossover");
        // Each period's score carries its own change (SD 1) and measurement error.
        let error_var: f64 = 9.0 * (1.0 - reliability) / reliability;
        let sd_difference = (2.0 * (1.0 + error_var)).sqrt();
        let expected = paired_t_power(40.0, delta, sd_difference, 38.0, 0.05, true);
        eprintln!("crossover d = {delta}, reliability {reliability}: {} vs paired t {expected}", r.power);
        assert!((r.power - expected).abs() <= 3.5 * binomial_se(expected, reps), "{delta}: {} vs {expected}", r.power);
        let se = r.sd_estimate.unwrap() / reps.sqrt();
        assert!((r.mean_estimate.unwrap() - delta).abs() <= 3.5 * se, "{:?}", r.mean_estimate);
    }
}

/// No effect, a period effect of 2 points on the bounded, rounded PHQ-9 and dropout: the
/// rejection rate is alpha within 3.5 SE (the period term removes the period effect).
#[test]
fn type_i_error_holds_with_a_period_effect() {
    let text = common::shipped("depression_tarleton2017_crossover.toml")
        .replace("carryover_fraction = 0.0", "carryover_fraction = 0.0\nperiod_effect = 2.0");
    let rows = simulate_all(&text, &["response.delta=0", "design.reps=20000"]);
    let r = layout(&rows, "crossover");
    assert!((r.power - 0.05).abs() <= 3.5 * binomial_se(0.05, 20_000.0), "type I {}", r.power);
}

/// Carry-over of half the period-1 benefit: the estimate is the effect less a quarter of it,
/// within 3.5 SE, and the power is the t test's of that smaller effect.
#[test]
fn carryover_biases_by_half_of_it() {
    let reps: f64 = 20_000.0;
    let rows = simulate_all(&crossover(0.5, 30), &["design.reps=20000"]);
    let r = layout(&rows, "crossover");
    let carried = 0.5 * (1.0 - 0.5 / 2.0);
    let se = r.sd_estimate.unwrap() / reps.sqrt();
    assert!((r.mean_estimate.unwrap() - carried).abs() <= 3.5 * se, "{:?} vs {carried}", r.mean_estimate);
    assert!((r.true_effect.unwrap() - 0.5).abs() < 1e-12);
    let expected = t_test_power(30.0, 30.0, carried, 0.5f64.sqrt(), 0.05, true);
    assert!((r.power - expected).abs() <= 3.5 * binomial_se(expected, reps), "{} vs {expected}", r.power);
}

/// The parallel row is the scenario without [crossover], trial for trial (the same streams),
/// and the crossover loses everyone who drops out in either period: 1 - (1 - 0.1)(1 - 0.2).
#[test]
fn the_parallel_row_is_the_parallel_design_and_dropout_counts_both_periods() {
    let text = crossover(0.0, 40).replace("placebo = 0.0\nactive = 0.0", "placebo = 0.1\nactive = 0.2");
    let rows = simulate_all(&text, &["design.reps=4000"]);
    let parallel_text = common::edit_toml(&text, |t| {
        t.remove("crossover");
        t["outcome"].as_table_mut().unwrap().insert("placebo_improvement".into(), 0.0.into());
    });
    let parallel = &simulate_all(&parallel_text, &["design.reps=4000"])[0];
    assert_eq!(layout(&rows, "parallel").power, parallel.power);
    let lost = 1.0 - 0.9 * 0.8;
    let r = layout(&rows, "crossover");
    assert!((r.dropout_rate - lost).abs() <= 3.5 * binomial_se(lost, 4000.0 * 80.0), "{}", r.dropout_rate);
}

/// Under the repletion response the carry-over follows from the model: the estimate is the
/// expected benefit times 1 - exp(-(washout + duration) / tau) / 2, within 3.5 SE.
#[test]
fn repletion_gives_its_own_carryover() {
    let reps: f64 = 20_000.0;
    let text = common::shipped("depression_mgo_all_comers.toml");
    // Unbounded and unrounded, so that nothing but the carry-over moves the estimate.
    let text = common::edit_toml(&text, |t| {
        let mut c = toml::Table::new();
        c.insert("washout_weeks".into(), 2.into());
        t.insert("crossover".into(), c.into());
        let o = t["outcome"].as_table_mut().unwrap();
        for key in ["baseline_mean", "placebo_improvement", "natural_improvement"] {
            o.remove(key);
        }
        o.insert("min".into(), f64::NEG_INFINITY.into());
        o.insert("max".into(), f64::INFINITY.into());
        o.insert("integer".into(), false.into());
        t["analysis"].as_table_mut().unwrap().insert("test".into(), "welch".into());
        // All comers: no assay is read.
        t.remove("biomarker");
    });
    let rows = simulate_all(&text, &["design.reps=20000"]);
    let r = layout(&rows, "crossover");
    let plan = common::plan(&text);
    let s = &plan.scenario;
    let carryover = (-(2.0 + s.design.duration_weeks) / s.response.tau_weeks).exp();
    assert!((plan.crossover.unwrap().carryover - carryover).abs() < 1e-15);
    let expected = r.true_effect.unwrap() * (1.0 - carryover / 2.0);
    let se = r.sd_estimate.unwrap() / reps.sqrt();
    assert!((r.mean_estimate.unwrap() - expected).abs() <= 3.5 * se, "{:?} vs {expected}", r.mean_estimate);
}

/// Wrong crossover inputs exit 2 naming the field and what is allowed.
#[test]
fn crossover_inputs_are_checked() {
    let check = common::assert_refused;
    let plain = crossover(0.0, 20);
    check(&plain.replace("carryover_fraction = 0\n", ""), &["crossover.carryover_fraction", "0 to 1"]);
    check(&plain.replace("carryover_fraction = 0", "carryover_fraction = 1.5"), &["carryover_fraction", "1.5"]);
    check(
        &plain.replace("carryover_fraction = 0", "carryover_fraction = 0\nwashout_weeks = 2"),
        &["crossover.washout_weeks", "does nothing"],
    );
    check(
        &plain.replace("carryover_fraction = 0", "carryover_fraction = 0\nperiod_effect = 1"),
        &["crossover.period_effect", "cancels"],
    );
    let tarleton = common::shipped("depression_tarleton2017_crossover.toml");
    check(&tarleton.replace("test = \"welch\" ", "test = \"ancova\" "), &["analysis.test", "period differences"]);
    check(&tarleton.replace("[analysis]", "[analysis]\nsecondary = [\"chi_square\"]"), &["analysis.secondary"]);
    check(
        &tarleton.replace("model = \"fixed\"", "model = \"acute\"\nacute_effect = 3").replace("delta = 6.0", ""),
        &["crossover", "acute"],
    );
    check(
        &plain.replace("[response]", "[[arms]]\nname = \"second\"\nkind = \"active\"\n[response]"),
        &["arms", "two arms"],
    );
    check(&plain.replace("[crossover]", "[crossover]\nlength = 3"), &["length"]);
    let repletion = common::edit_toml(&common::shipped("depression_mgo_all_comers.toml"), |t| {
        let mut c = toml::Table::new();
        c.insert("carryover_fraction".into(), 0.2.into());
        t.insert("crossover".into(), c.into());
        t["analysis"].as_table_mut().unwrap().insert("test".into(), "welch".into());
    });
    check(&repletion, &["crossover.washout_weeks", "0 for none"]);
    let repletion = repletion.replace("[crossover]", "[crossover]\nwashout_weeks = 2");
    check(&repletion, &["crossover.carryover_fraction", "tau_weeks"]);
    check(&ATTACKS.replace("test = \"wilcoxon\"", "test = \"negbin_wald\""), &["analysis.test", "Koch"]);
    check(
        &ATTACKS.replace("carryover_fraction = 0.0", "carryover_fraction = 0.0\nperiod_effect = 1"),
        &["crossover.period_effect", "counts"],
    );
}

/// A migraine crossover: attacks, NB people (gamma shape 2.5), 3.6 attacks per 4 weeks
/// before the trial, 15.8% fewer on placebo, no dropout, analysed by Koch's rank-sum test.
const ATTACKS: &str = r#"
[population]
model = "none"
[[arms]]
name = "placebo"
kind = "placebo"
[[arms]]
name = "mg"
kind = "active"
[response]
model = "fixed"
rate_ratio = 0.7
[crossover]
carryover_fraction = 0.0
[outcome]
count = "attacks"
baseline_mean = 3.6
theta = 2.5
baseline_weeks = 4
followup_weeks = 4
placebo_reduction_percent = 15.8
[dropout]
placebo = 0.0
active = 0.0
[analysis]
test = "wilcoxon"
[design]
n_per_arm = 30
reps = 4000
seed = 11
duration_weeks = 12
"#;

/// Koch's test simulated independently: each person's rate from the gamma, a Poisson count in
/// each period's window, the period differences compared between the sequences by the
/// Mann-Whitney U of all pairs, normal approximation with the tie correction.
fn independent_koch_power(n: usize, rate_ratio: f64, reps: usize) -> f64 {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Gamma, Poisson};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(2026);
    let mean = 3.6 * (1.0 - 0.158);
    let rate = Gamma::new(2.5, mean / 2.5).unwrap();
    let count = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus, m: f64| -> f64 {
        if m <= 0.0 { 0.0 } else { Poisson::new(m).unwrap().sample(rng) }
    };
    let mut rejected = 0;
    for _ in 0..reps {
        let difference = |mg_first: bool, rng: &mut rand_xoshiro::Xoshiro256PlusPlus| {
            let r = rate.sample(rng);
            let (rr1, rr2) = if mg_first { (rate_ratio, 1.0) } else { (1.0, rate_ratio) };
            count(rng, r * rr1) - count(rng, r * rr2)
        };
        let ab: Vec<f64> = (0..n).map(|_| difference(true, &mut rng)).collect();
        let ba: Vec<f64> = (0..n).map(|_| difference(false, &mut rng)).collect();
        let u: f64 = ab
            .iter()
            .map(|a| {
                ba.iter()
                    .map(|b| {
                        if a < b {
                            1.0
                        } else if a == b {
                            0.5
                        } else {
                            0.0
                        }
                    })
                    .sum::<f64>()
            })
            .sum();
        let mut all: Vec<f64> = ab.iter().chain(&ba).copied().collect();
        all.sort_by(f64::total_cmp);
        let mut ties = 0.0;
        let mut i = 0;
        while i < all.len() {
            let j = all[i..].iter().take_while(|v| **v == all[i]).count();
            ties += (j * j * j - j) as f64;
            i += j;
        }
        let (m, total) = (n as f64, 2.0 * n as f64);
        let variance = m * m / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)));
        let z = (u - m * m / 2.0) / variance.sqrt();
        rejected += usize::from(z.abs() > 1.959_963_984_540_054);
    }
    rejected as f64 / reps as f64
}

/// A crossover of attack counts: Koch's rank test of the period differences has the power of
/// an independent simulation of the same design (within 3.5 combined SE), and the type I
/// error alpha with a rate ratio of 1 (within 3.5 SE).
#[test]
fn a_crossover_of_counts_is_kochs_rank_test() {
    let rows = simulate_all(ATTACKS, &[]);
    let mgtrial = layout(&rows, "crossover").power;
    let independent = independent_koch_power(30, 0.7, 4000);
    let se = (binomial_se(mgtrial, 4000.0).powi(2) + binomial_se(independent, 4000.0).powi(2)).sqrt();
    eprintln!("crossover of counts: mgtrial {mgtrial}, independent {independent}");
    assert!((mgtrial - independent).abs() <= 3.5 * se, "{mgtrial} vs {independent}");
    let null = simulate_all(ATTACKS, &["response.rate_ratio=1", "design.reps=20000"]);
    let type_i = layout(&null, "crossover").power;
    eprintln!("crossover of counts: type I {type_i}");
    assert!((type_i - 0.05).abs() <= 3.5 * binomial_se(0.05, 20_000.0), "type I {type_i}");
}

/// The period effect's direction: on the PHQ-9 near its floor (baseline 5), scores lower in
/// period 2 (an improvement, `period_effect` +3) push the Mg-second sequence's Mg period
/// further into the floor, where the effect is clipped, so the estimate falls; scores higher in
/// period 2 (-3) lift it. Each step by more than 3.5 SE of the difference, taken as if the
/// runs were independent (they share their random numbers, so it is smaller).
#[test]
fn a_period_effect_acts_in_its_stated_direction() {
    let text = common::shipped("depression_tarleton2017_crossover.toml")
        .replace("placebo_improvement = 0.0", "placebo_improvement = 0.0\nbaseline_mean = 5.0");
    let estimate = |period_effect: f64| {
        let text = text
            .replace("carryover_fraction = 0.0", &format!("carryover_fraction = 0.0\nperiod_effect = {period_effect}"));
        let r = layout(&simulate_all(&text, &["response.delta=3", "design.reps=4000"]), "crossover").clone();
        (r.mean_estimate.unwrap(), r.sd_estimate.unwrap() / 4000f64.sqrt())
    };
    let (better, se_better) = estimate(3.0);
    let (none, se_none) = estimate(0.0);
    let (worse, se_worse) = estimate(-3.0);
    eprintln!("period effect +3, 0, -3: estimates {better}, {none}, {worse}");
    assert!(none - better > 3.5 * se_better.hypot(se_none), "{better} vs {none}");
    assert!(worse - none > 3.5 * se_worse.hypot(se_none), "{none} vs {worse}");
}
