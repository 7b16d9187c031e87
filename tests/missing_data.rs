//! Side effects, informative dropout and the baseline carried forward (issue 24, point 3).
//!
//! Each against what it must reduce to: neutral values give the same trials as today; the
//! share with side effects, the arms' dropout and the true effect among the randomized match
//! their closed forms; under dropout completely at random the complete-case and
//! baseline-carried-forward estimates are unbiased for their estimands; under dropout by lack of
//! improvement the complete-case estimate is biased toward no effect, as the quadrature of the
//! selection says; and wrong inputs are refused by name.

mod common;

use common::{TEXTBOOK, binomial_se, simulate, simulate_all};
use mgtrial::engine::calibration::expected_effect;
use mgtrial::engine::summary::ComparisonSummary;

/// A row's numbers, without its account of missing data (which designs without it lack).
fn numbers(r: &ComparisonSummary) -> String {
    let mut r = r.clone();
    r.missing_data = None;
    format!("{r:?}")
}

/// The shipped enriched depression trial with a stated effect (max_effect 15), at `dose` mg/day
/// of MgO, with `[side_effects]` of `extra` (TOML lines).
fn enriched_with_side_effects(dose: u32, extra: &str) -> String {
    let text = common::edit_toml(&common::shipped("depression_mgo_enriched.toml"), |t| {
        let r = t["response"].as_table_mut().unwrap();
        r.remove("calibration");
        r.insert("max_effect".into(), 15.0.into());
        let arm = t["arms"].as_array_mut().unwrap()[1].as_table_mut().unwrap();
        arm.insert("dose_mg_per_day".into(), i64::from(dose).into());
    });
    format!("{text}\n[side_effects]\n{extra}\n")
}

/// The standard normal density.
fn phi(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// `E[g(Z)]`, `Z ~ N(mean, 1)`, by the trapezoid rule on a fine grid.
fn expect(mean: f64, g: impl Fn(f64) -> f64) -> f64 {
    let (lo, hi, n) = (-12.0, 12.0, 48_000);
    let h = (hi - lo) / f64::from(n);
    (0..=n)
        .map(|i| {
            let z = lo + h * f64::from(i);
            let w = if i == 0 || i == n { 0.5 } else { 1.0 };
            w * g(mean + z) * phi(z)
        })
        .sum::<f64>()
        * h
}

/// Neutral values change nothing: no side effects at any dose (a percentage of 0), and an odds
/// ratio of 1 under either informative mechanism, give the same trials as dropout completely at
/// random without side effects.
#[test]
fn neutral_values_give_todays_trials() {
    let reps = ["design.reps=400"];
    let without = common::edit_toml(&enriched_with_side_effects(300, ""), |t| {
        t.remove("side_effects");
    });
    let none = enriched_with_side_effects(
        300,
        "dropout_if_affected = 0.3\nadherence_factor_if_affected = 0.5\n[side_effects.percent_at_600_mg]\noxide = 0",
    );
    let base: Vec<String> = simulate_all(&without, &reps).iter().map(numbers).collect();
    let neutral: Vec<String> = simulate_all(&none, &reps).iter().map(numbers).collect();
    assert_eq!(base, neutral);
    let textbook = [&reps[..], &["dropout.placebo=0.2", "dropout.active=0.2"]].concat();
    let at_random: Vec<String> = simulate_all(TEXTBOOK, &textbook).iter().map(numbers).collect();
    for mechanism in ["baseline_severity", "no_improvement"] {
        let mut set = textbook.clone();
        let m = format!("dropout.mechanism=\"{mechanism}\"");
        set.extend([m.as_str(), "dropout.odds_ratio_per_sd=1"]);
        let text = if mechanism == "no_improvement" {
            set.retain(|s| !s.starts_with("dropout.active"));
            TEXTBOOK.replace("active = 0.0\n", "")
        } else {
            TEXTBOOK.to_string()
        };
        let rows: Vec<String> = simulate_all(&text, &set).iter().map(numbers).collect();
        assert_eq!(rows, at_random, "{mechanism}");
    }
}

/// MgO 600 mg/day: side effects in 1 - (1 - 0.186)^(600 / 600) = 18.6% of the Mg arm; the
/// affected drop out with 0.4 on top of the arm's 11%, so the arm loses 1 - 0.89 (1 - 0.186 x
/// 0.4); both within 3.5 SE. The simulated mean benefit among the randomized matches the closed
/// form, which mixes the affected (who take half their doses) with the rest, within 3.5 SE; and
/// it is below the closed form without side effects.
#[test]
fn side_effects_match_their_closed_forms() {
    let text = enriched_with_side_effects(600, "dropout_if_affected = 0.4\nadherence_factor_if_affected = 0.5");
    let reps: f64 = 3000.0;
    let r = simulate(&text, &["design.reps=3000"]);
    let m = r.missing_data.as_ref().expect("missing-data columns");
    let enrolled = f64::from(r.n_active) * reps;
    let p = 0.186;
    let affected = m.side_effects_active.unwrap();
    assert!((affected - p).abs() <= 3.5 * binomial_se(p, enrolled), "{affected} vs {p}");
    let dropout = 1.0 - 0.89 * (1.0 - p * 0.4);
    let got = m.dropout_active.unwrap();
    assert!((got - dropout).abs() <= 3.5 * binomial_se(dropout, enrolled), "{got} vs {dropout}");
    assert!((m.dropout_reference - 0.11).abs() <= 3.5 * binomial_se(0.11, enrolled));

    let plan = common::plan(&text);
    let closed = expected_effect(&plan, 1);
    let k = plan.response.max_effect / plan.response.ref_deficit_mmol_per_l;
    let se = common::true_effect_se(&plan, enrolled, |d| k * d);
    let simulated = r.true_effect.unwrap();
    assert!((simulated - closed).abs() <= 3.5 * se, "{simulated} vs {closed} (SE {se})");
    let without = common::edit_toml(&text, |t| {
        t.remove("side_effects");
    });
    assert!(closed < expected_effect(&common::plan(&without), 1) - 0.05);
}

/// Dropout completely at random, 20% on placebo and 10% on the active arm, a common change of
/// 1 and an effect of 0.5: the complete cases estimate 0.5, and the baseline carried forward its
/// own estimand, 0.9 x 1.5 - 0.8 x 1 = 0.55; both within 3.5 SE, from the same trials.
#[test]
fn at_random_both_analyses_are_unbiased_for_their_estimands() {
    let set = ["dropout.placebo=0.2", "dropout.active=0.1", "outcome.placebo_improvement=1", "design.reps=20000"];
    for (missing, estimand) in [("complete_cases", 0.5), ("baseline_carried_forward", 0.9 * 1.5 - 0.8)] {
        let m = format!("analysis.missing_data=\"{missing}\"");
        let r = simulate(TEXTBOOK, &[&set[..], &[m.as_str()]].concat());
        let se = r.sd_estimate.unwrap() / 20_000f64.sqrt();
        let mean = r.mean_estimate.unwrap();
        assert!((mean - estimand).abs() <= 3.5 * se, "{missing}: {mean} vs {estimand} (SE {se})");
        assert!((r.true_effect.unwrap() - 0.5).abs() < 1e-12);
    }
}

/// Dropout at random given the baseline (odds ratio 3 per SD of severity), analysed by ANCOVA:
/// each arm keeps its rate (20% and 10%, within 3.5 SE) and the complete cases stay unbiased
/// (MAR given a covariate the analysis adjusts for), within 3.5 SE.
#[test]
fn at_random_given_the_baseline_ancova_stays_unbiased() {
    let r = simulate(
        TEXTBOOK,
        &[
            "dropout.placebo=0.2",
            "dropout.active=0.1",
            "dropout.mechanism=\"baseline_severity\"",
            "dropout.odds_ratio_per_sd=3",
            "analysis.test=\"ancova\"",
            "outcome.reliability=0.8",
            "outcome.baseline_mean=10",
            "outcome.baseline_sd=1",
            "design.reps=20000",
        ],
    );
    let m = r.missing_data.as_ref().unwrap();
    let enrolled = 64.0 * 20_000.0;
    for (got, rate) in [(m.dropout_reference, 0.2), (m.dropout_active.unwrap(), 0.1)] {
        assert!((got - rate).abs() <= 3.5 * binomial_se(rate, enrolled), "{got} vs {rate}");
    }
    let se = r.sd_estimate.unwrap() / 20_000f64.sqrt();
    assert!((r.mean_estimate.unwrap() - 0.5).abs() <= 3.5 * se, "{:?}", r.mean_estimate);
}

/// Dropout not at random, by lack of improvement (odds ratio 3 per SD), 20% on placebo: the
/// same chance at the same improvement in both arms, so the active arm, which improves by 0.5
/// SD more, loses fewer. Complete cases over-state both arms' improvement, placebo's more: the
/// estimate is biased toward no effect. By quadrature over each arm's normal improvement
/// (SD 1, reliability 1): each arm's dropout and the complete-case and baseline-carried-forward
/// estimands, which the simulated trials match within 3.5 SE.
#[test]
fn not_at_random_complete_cases_are_biased_toward_no_effect() {
    let b = 3f64.ln();
    let a = {
        // logit_for_rate(0.2, b), by bisection here too.
        let (mut lo, mut hi) = (-30.0, 30.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if expect(0.0, |i| 1.0 / (1.0 + (-(mid - b * i)).exp())) < 0.2 { lo = mid } else { hi = mid }
        }
        0.5 * (lo + hi)
    };
    let p = |i: f64| 1.0 / (1.0 + (-(a - b * i)).exp());
    let rate = |mean: f64| expect(mean, p);
    let kept_mean = |mean: f64| expect(mean, |i| i * (1.0 - p(i))) / (1.0 - rate(mean));
    let carried = |mean: f64| expect(mean, |i| i * (1.0 - p(i)));
    let complete_cases = kept_mean(0.5) - kept_mean(0.0);
    let carried_forward = carried(0.5) - carried(0.0);
    assert!(complete_cases < 0.5 - 0.02 && rate(0.5) < 0.2 - 0.02, "{complete_cases} {}", rate(0.5));

    let set = ["dropout.placebo=0.2", "dropout.mechanism=\"no_improvement\"", "dropout.odds_ratio_per_sd=3"];
    let reps = 20_000.0;
    for (missing, estimand) in [("complete_cases", complete_cases), ("baseline_carried_forward", carried_forward)] {
        let m = format!("analysis.missing_data=\"{missing}\"");
        let r = simulate(&TEXTBOOK.replace("active = 0.0\n", ""), &[&set[..], &[m.as_str()]].concat());
        let se = r.sd_estimate.unwrap() / f64::sqrt(reps);
        let mean = r.mean_estimate.unwrap();
        assert!((mean - estimand).abs() <= 3.5 * se, "{missing}: {mean} vs {estimand} (SE {se})");
        assert!(r.bias.unwrap() < 0.0, "{missing}: {:?}", r.bias);
        let md = r.missing_data.as_ref().unwrap();
        let enrolled = 64.0 * reps;
        for (got, want) in [(md.dropout_reference, 0.2), (md.dropout_active.unwrap(), rate(0.5))] {
            assert!((got - want).abs() <= 3.5 * binomial_se(want, enrolled), "{got} vs {want}");
        }
    }
}

#[test]
fn wrong_inputs_are_refused_by_name() {
    let se = |extra: &str| enriched_with_side_effects(300, extra);
    let refused = common::assert_refused;
    refused(
        &se("dropout_if_affected = 1.5\nadherence_factor_if_affected = 0.5"),
        &["side_effects.dropout_if_affected", "0 to 1"],
    );
    refused(
        &se("dropout_if_affected = 0.2\nadherence_factor_if_affected = -0.1"),
        &["side_effects.adherence_factor_if_affected", "0 to 1"],
    );
    refused(
        &se(
            "dropout_if_affected = 0.2\nadherence_factor_if_affected = 0.5\n[side_effects.percent_at_600_mg]\noxide = 120",
        ),
        &["side_effects.percent_at_600_mg.oxide", "0 to 100"],
    );
    refused(&se("dropout_if_affected = 0.2"), &["adherence_factor_if_affected"]);
    // A salt no arm takes, and an arm's percentage without the section, do nothing.
    refused(
        &se(
            "dropout_if_affected = 0.2\nadherence_factor_if_affected = 0.5\n[side_effects.percent_at_600_mg]\ncitrate = 10",
        ),
        &["side_effects.percent_at_600_mg.citrate", "does nothing"],
    );
    let textbook = |lines: &str| {
        TEXTBOOK.replace("active = 0.0\n", "").replace("[dropout]\n", &format!("[dropout]\nactive = 0.0\n{lines}\n"))
    };
    refused(&textbook("mechanism = \"no_improvement\""), &["dropout.odds_ratio_per_sd", "0.01 to 100"]);
    refused(
        &textbook("mechanism = \"baseline_severity\"\nodds_ratio_per_sd = 0"),
        &["dropout.odds_ratio_per_sd", "0.01 to 100"],
    );
    refused(&textbook("odds_ratio_per_sd = 2"), &["dropout.odds_ratio_per_sd", "does nothing", "completely_at_random"]);
    refused(&textbook("mechanism = \"sometimes\""), &["sometimes", "baseline_severity"]);
    refused(
        &TEXTBOOK.replace("[analysis]\n", "[analysis]\nmissing_data = \"last_value\"\n"),
        &["last_value", "baseline_carried_forward"],
    );
    // Under dropout by lack of improvement only placebo's rate is stated.
    let mnar = textbook("mechanism = \"no_improvement\"\nodds_ratio_per_sd = 2");
    refused(&mnar, &["dropout.active", "does nothing", "no_improvement"]);
    // Counts, and a calibration among completers, are refused with it.
    let peikert = common::shipped("migraine_peikert1996.toml");
    refused(
        &peikert.replace("[analysis]\n", "[analysis]\nmissing_data = \"baseline_carried_forward\"\n"),
        &["analysis.missing_data", "rating scales"],
    );
    let calibrated = format!(
        "{}\n[side_effects]\ndropout_if_affected = 0.2\nadherence_factor_if_affected = 0.5\n",
        common::shipped("depression_mgo_enriched.toml")
    );
    refused(&calibrated, &["response.calibration", "calibrate a benefit among"]);
}
