//! The simulator reduces exactly to textbook cases: t-test power, type I error = alpha, and
//! ANCOVA power with the residual SD `sd_y sqrt(1 - rho^2)`. Tolerances are 3.5 Monte Carlo SE.

mod common;
use common::{TEXTBOOK, binomial_se, shipped, simulate};
use mgtrial::analysis::power::t_test_power;

fn assert_within(simulated: f64, expected: f64, reps: f64, what: &str) {
    let se = binomial_se(expected, reps);
    assert!(
        (simulated - expected).abs() <= 3.5 * se,
        "{what}: simulated {simulated:.4}, expected {expected:.4}, |diff| {:.4} > 3.5 SE = {:.4}",
        (simulated - expected).abs(),
        3.5 * se
    );
}

#[test]
fn welch_power_matches_noncentral_t() {
    // (n per arm, delta, change SD); d = 0.5 with 64 per arm is the classic 0.80.
    for (n, delta, sd) in [(64, 0.5, 1.0), (20, 3.0, 4.0), (100, 0.3, 1.0), (30, 10.0, 12.0), (12, 1.2, 1.0)] {
        let r = simulate(
            TEXTBOOK,
            &[&format!("design.n_per_arm={n}"), &format!("response.delta={delta}"), &format!("outcome.change_sd={sd}")],
        );
        let expected = t_test_power(n as f64, n as f64, delta, sd, 0.05, true);
        assert_within(r.power, expected, f64::from(r.reps), &format!("n {n}, delta {delta}, sd {sd}"));
        // The estimate is unbiased and the 95% interval covers.
        let (bias, sd) = (r.bias.expect("analysable trials"), r.sd_estimate.expect("analysable trials"));
        assert!(bias.abs() < 4.0 * sd / f64::from(r.reps).sqrt(), "bias {bias}");
        assert_within(r.ci_coverage.expect("analysable trials"), 0.95, f64::from(r.reps), "coverage");
    }
    let d05 = t_test_power(64.0, 64.0, 0.5, 1.0, 0.05, true);
    assert!((d05 - 0.80).abs() < 0.005, "d = 0.5, 64 per arm: {d05}");
}

#[test]
fn one_sided_power_matches_noncentral_t() {
    let r = simulate(TEXTBOOK, &["analysis.sided=\"one\"", "analysis.alpha=0.025", "design.n_per_arm=50"]);
    let expected = t_test_power(50.0, 50.0, 0.5, 1.0, 0.025, false);
    assert_within(r.power, expected, f64::from(r.reps), "one-sided");
}

/// Mg status and selection on, but the treatment does nothing.
const NULL_WITH_MG: &[&str] = &[
    "population.model=\"mixture\"",
    common::TEXTBOOK_BASELINE[1],
    common::TEXTBOOK_EXPOSURE[0],
    common::TEXTBOOK_EXPOSURE[1],
    "response.delta=0",
    "outcome.reliability=0.7",
    "dropout.placebo=0.1",
    "dropout.active=0.1",
    "design.n_per_arm=40",
];

#[test]
fn type_one_error_is_alpha_for_both_tests_and_all_selection_modes() {
    for test in ["welch", "ancova"] {
        for mode in ["all_comers", "enrich", "stratify"] {
            for sided in ["two", "one"] {
                let mut o: Vec<&str> = NULL_WITH_MG.to_vec();
                let (t, m, s) = (
                    format!("analysis.test=\"{test}\""),
                    format!("selection.mode=\"{mode}\""),
                    format!("analysis.sided=\"{sided}\""),
                );
                o.extend([t.as_str(), m.as_str(), s.as_str()]);
                // The baseline level reaches ANCOVA only (Welch's change cancels it).
                if test == "ancova" {
                    o.push(common::TEXTBOOK_BASELINE[0]);
                }
                let r = simulate(TEXTBOOK, &o);
                assert_eq!(r.reps_not_analysable, 0);
                assert_within(
                    r.power,
                    0.05,
                    f64::from(r.reps),
                    &format!("type I error, {test}, {mode}, {sided}-sided"),
                );
            }
        }
    }
}

#[test]
fn type_one_error_with_the_repletion_model_switched_off() {
    // Repletion model with max_effect 0 on the shipped enriched scenario's population.
    let r = simulate(
        &TEXTBOOK.replace("delta = 0.5\n", ""),
        &[
            "population.model=\"mixture\"",
            common::TEXTBOOK_EXPOSURE[0],
            common::TEXTBOOK_EXPOSURE[1],
            common::TEXTBOOK_BASELINE[0],
            common::TEXTBOOK_BASELINE[1],
            "response.model=\"repletion\"",
            "response.max_effect=0",
            "selection.mode=\"enrich\"",
            "analysis.test=\"ancova\"",
        ],
    );
    assert_within(r.power, 0.05, f64::from(r.reps), "type I error, repletion with no effect");
}

#[test]
fn ancova_power_matches_t_test_with_residual_sd() {
    // Observed baseline x = b + e1, follow-up y = b + change + e2, error variance
    // sd0^2 (1 - r) / r. Then sd_y^2 = sd0^2 + sdc^2 + err^2 and rho = sd0^2 / (sd_x sd_y).
    for (reliability, change_sd, delta) in [(1.0, 0.8, 0.3), (0.6, 0.5, 0.35), (0.8, 1.5, 0.45)] {
        let (sd0, n) = (1.0f64, 100.0);
        let err2 = sd0 * sd0 * (1.0 - reliability) / reliability;
        let (var_x, var_y) = (sd0 * sd0 + err2, sd0 * sd0 + change_sd * change_sd + err2);
        let rho = sd0 * sd0 / (var_x * var_y).sqrt();
        let residual_sd = var_y.sqrt() * (1.0 - rho * rho).sqrt();
        let r = simulate(
            TEXTBOOK,
            &[
                "analysis.test=\"ancova\"",
                common::TEXTBOOK_BASELINE[0],
                common::TEXTBOOK_BASELINE[1],
                "design.n_per_arm=100",
                &format!("outcome.reliability={reliability}"),
                &format!("outcome.change_sd={change_sd}"),
                &format!("response.delta={delta}"),
            ],
        );
        let expected = t_test_power(n, n, delta, residual_sd, 0.05, true);
        assert_within(
            r.power,
            expected,
            f64::from(r.reps),
            &format!("ANCOVA r {reliability}, sdc {change_sd}, delta {delta}"),
        );
        // ANCOVA beats the change score whenever rho < 1 (here: reliability < 1).
        if reliability < 1.0 {
            let welch = t_test_power(n, n, delta, change_sd.hypot((2.0 * err2).sqrt()), 0.05, true);
            assert!(expected > welch);
        }
    }
}

/// Coverage is judged against the exact estimand, the expected benefit among the enrolled (by
/// quadrature), so it is 95% also where benefits differ between people: the enriched Rajizadeh
/// design (ANCOVA; benefit by deficit and adherence) on an unbounded, unrounded scale.
#[test]
fn ci_coverage_is_95_percent_with_heterogeneous_benefits() {
    let r = simulate(
        &shipped("depression_mgo_enriched.toml"),
        &["outcome.min=-inf", "outcome.integer=false", "design.reps=20000"],
    );
    assert_within(r.ci_coverage.expect("analysable trials"), 0.95, f64::from(r.reps), "coverage");
    // The simulated average benefit agrees with the estimand: no bias on an unbounded scale.
    let (bias, sd) = (r.bias.expect("analysable trials"), r.sd_estimate.expect("analysable trials"));
    assert!(bias.abs() < 4.0 * sd / f64::from(r.reps).sqrt(), "bias {bias}");
}
