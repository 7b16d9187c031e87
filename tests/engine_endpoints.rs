//! Count outcomes, responders and strata through the whole engine (scenario -> plan -> trial
//! loop -> analyses -> rows): type I error at a null effect, coverage and bias where the
//! estimand is exact, responder power against the two-proportion normal approximation, and the
//! interaction test's size and power. The analyses themselves are checked against R and
//! statsmodels in `count_regression.rs`, `responder_power.rs` and `interaction.rs`.

mod common;
use common::{binomial_se, shipped, simulate_all};
use mgtrial::engine::summary::ComparisonSummary;
use statrs::distribution::{ContinuousCDF, Normal};

/// Attack counts as in Peikert 1996 without Mg status (the validation's trial): every treated
/// person has rate ratio `exp(-delta)`; `n` per arm, no dropout.
fn attacks(n: u32, delta: f64, tests: &str, reps: u32) -> String {
    mgtrial::study::validation::count_trial(n, delta, tests, 77)
        .replace("seed = 77", &format!("seed = 77\nreps = {reps}"))
}

fn row<'a>(rows: &'a [ComparisonSummary], analysis: &str, subgroup: &str) -> &'a ComparisonSummary {
    rows.iter().find(|r| r.analysis == analysis && r.subgroup == subgroup).expect("the row")
}

fn within_alpha(r: &ComparisonSummary, what: &str) {
    let se = binomial_se(0.05, f64::from(r.reps));
    assert!(
        (r.power - 0.05).abs() < 3.5 * se,
        "{what} {}: type I {:.4} (3.5 SE = {:.4})",
        r.analysis,
        r.power,
        3.5 * se
    );
}

/// At a null effect every count and responder analysis rejects at rate alpha within 3.5
/// Monte Carlo SE, at 120 per arm. Poisson regression, whose SE ignores the overdispersion,
/// rejects far more often: the documented trap, asserted. Fisher's exact test is conservative.
#[test]
fn every_count_analysis_holds_alpha_through_the_engine() {
    let tests = r#"["negbin_lr", "poisson", "quasi_poisson", "welch", "ancova", "wilcoxon", "chi_square", "chi_square_yates", "fisher"]"#;
    let rows = simulate_all(&attacks(120, 0.0, tests, 4000), &[]);
    for r in &rows {
        assert_eq!(r.reps_not_analysable, 0, "{}", r.analysis);
        match r.analysis.as_str() {
            "poisson" => assert!(r.power > 0.05 + 5.0 * binomial_se(0.05, 4000.0), "Poisson: {}", r.power),
            // Conservative: both corrections keep the rejection rate below alpha.
            "fisher" | "chi_square_yates" => {
                assert!(r.power < 0.05 - 3.0 * binomial_se(0.05, 4000.0), "{}: {}", r.analysis, r.power)
            }
            _ => within_alpha(r, "null, 120 per arm"),
        }
    }
    // The rate ratio's estimand is exact here (1), and each row reports its own scale.
    let nb = row(&rows, "negbin_wald", "all");
    assert_eq!(nb.estimate_unit, "-ln rate ratio");
    assert_eq!(nb.true_rate_ratio, Some(1.0));
    assert_eq!(nb.share_not_converged, Some(0.0));
    assert!(row(&rows, "fisher", "all").responders_active.is_some());
}

/// With a constant treatment rate ratio of 0.75 the negative-binomial estimate is unbiased
/// for `-ln 0.75`, its Wald interval covers it at 95%, and its power (adjusted for the
/// baseline count) is at least the unadjusted Zhu & Lakkis (2014) power; Welch and ANCOVA on
/// the counts estimate the expected difference in follow-up attacks.
#[test]
fn negbin_estimate_interval_and_power_at_a_constant_rate_ratio() {
    let delta = -(0.75f64.ln());
    let reps = 3000;
    let rows = simulate_all(&attacks(150, delta, r#"["welch", "ancova"]"#, reps), &[]);
    let nb = row(&rows, "negbin_wald", "all");
    assert!((nb.true_effect.unwrap() - delta).abs() < 1e-12);
    let se_mean = nb.sd_estimate.unwrap() / f64::from(reps).sqrt();
    assert!((nb.mean_estimate.unwrap() - delta).abs() < 4.0 * se_mean, "{:?} vs {delta}", nb.mean_estimate);
    let coverage = nb.ci_coverage.unwrap();
    assert!((coverage - 0.95).abs() < 3.5 * binomial_se(0.95, f64::from(reps)), "coverage {coverage}");
    // Peikert's defaults: 3.6 attacks per 4 weeks, theta 2.5, placebo rate ratio 0.842.
    let m0 = 3.6 * 0.842;
    let zhu_lakkis = mgtrial::analysis::power::negbin_wald_power(150.0, 150.0, m0, m0 * 0.75, 2.5, 0.05, true);
    assert!(nb.power > zhu_lakkis - 3.5 * binomial_se(zhu_lakkis, f64::from(reps)), "{} vs {zhu_lakkis}", nb.power);
    for analysis in ["welch", "ancova"] {
        let r = row(&rows, analysis, "all");
        let expected = m0 * 0.25;
        assert!((r.true_effect.unwrap() - expected).abs() < 1e-9);
        let se_mean = r.sd_estimate.unwrap() / f64::from(reps).sqrt();
        assert!((r.mean_estimate.unwrap() - expected).abs() < 4.0 * se_mean, "{analysis}: {:?}", r.mean_estimate);
    }
}

/// Remission on an unbounded, unrounded scale (follow-up at or below a cut-off) has exact
/// responder probabilities `Phi((c - mu) / sd_y)`; at 400 per arm the chi-square test's power
/// agrees with the two-proportion normal approximation (pooled variance under the null;
/// Fleiss 1981, sec. 3.2) within Monte Carlo error, and so do the responder rates.
#[test]
fn responder_power_matches_the_two_proportion_approximation() {
    let text = r#"
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
delta = 1.5
[outcome]
name = "score"
direction = "lower_is_better"
baseline_mean = 20.0
baseline_sd = 5.0
natural_improvement = 0.0
placebo_improvement = 2.0
change_sd = 4.0
reliability = 1.0
min = -inf
max = inf
integer = false
[dropout]
placebo = 0.0
active = 0.0
[analysis]
test = "chi_square"
secondary = ["fisher"]
[analysis.responder]
rule = "remission"
cutoff = 15.0
[design]
n_per_arm = 400
reps = 3000
seed = 5
"#;
    let rows = simulate_all(text, &[]);
    let normal = Normal::standard();
    // Follow-up = baseline + change: N(18, sqrt(25 + 16)) on placebo, mean 16.5 on Mg.
    let sd_y = 41f64.sqrt();
    let (p0, p1) = (normal.cdf((15.0 - 18.0) / sd_y), normal.cdf((15.0 - 16.5) / sd_y));
    let n = 400.0;
    let pooled = (p0 + p1) / 2.0;
    let z = normal.inverse_cdf(0.975);
    let null_sd = (pooled * (1.0 - pooled) * 2.0 / n).sqrt();
    let alt_sd = (p0 * (1.0 - p0) / n + p1 * (1.0 - p1) / n).sqrt();
    let d = p1 - p0;
    let expected = normal.cdf((d - z * null_sd) / alt_sd) + normal.cdf((-d - z * null_sd) / alt_sd);
    let chi = row(&rows, "chi_square", "all");
    assert!((chi.power - expected).abs() < 3.5 * binomial_se(expected, 3000.0), "{} vs {expected}", chi.power);
    let rate_se = |p: f64| binomial_se(p, n * 3000.0);
    assert!((chi.responders_active.unwrap() - p1).abs() < 4.0 * rate_se(p1));
    assert!((chi.responders_placebo.unwrap() - p0).abs() < 4.0 * rate_se(p0));
    // Fisher's test, conditional on both margins, has less power than the chi-square.
    assert!(row(&rows, "fisher", "all").power < chi.power);
}

/// Scenario `text` without its responder settings (for runs without a responder analysis).
fn without_responders(text: &str) -> String {
    common::edit_toml(text, |t| {
        if let Some(a) = t.get_mut("analysis").and_then(|a| a.as_table_mut()) {
            a.remove("responder");
        }
    })
}

/// A stratified trial (serum Mg strata) whose effect does not depend on Mg status (fixed
/// response): the interaction rejects at rate alpha for ANCOVA (scale) and for the
/// negative-binomial interaction (counts), and the Breslow-Day test on responders.
#[test]
fn interaction_tests_hold_alpha_when_the_effect_does_not_depend_on_status() {
    let reps = 4000;
    let scale = simulate_all(
        &common::fixed_response(&shipped("study_depression_interaction.toml"), "delta", 3.0),
        &["analysis.secondary=[\"chi_square\"]", "design.n_per_arm=150", &format!("design.reps={reps}")],
    );
    within_alpha(row(&scale, "ancova", "interaction"), "scale interaction");
    within_alpha(row(&scale, "chi_square", "interaction"), "Breslow-Day");
    assert!(row(&scale, "ancova", "interaction").true_effect.unwrap().abs() < 1e-9);
    let counts = simulate_all(
        &without_responders(&common::fixed_response(
            &shipped("migraine_peikert1996.toml"),
            "rate_ratio",
            (-0.3f64).exp(),
        )),
        &[
            "selection.mode=\"stratify\"",
            "selection.threshold=0.8",
            "analysis.secondary=[]",
            "arms.placebo.n=100",
            "arms.mg_dicitrate_600.n=100",
            &format!("design.reps={reps}"),
        ],
    );
    within_alpha(row(&counts, "negbin_wald", "interaction"), "count interaction");
}

/// When only the deficient benefit (repletion response), the interaction's power rises with
/// the difference between the strata (max_effect), each step by more than Monte Carlo noise;
/// the within-stratum rows carry each stratum's true effect.
#[test]
fn interaction_power_rises_with_the_difference_between_strata() {
    let mut previous: Option<f64> = None;
    for max_effect in ["0.0", "10.0", "20.0"] {
        let rows = simulate_all(
            &shipped("study_depression_interaction.toml"),
            &[&format!("response.max_effect={max_effect}"), "design.n_per_arm=200", "design.reps=1500"],
        );
        let inter = row(&rows, "ancova", "interaction");
        let (low, other) = (row(&rows, "ancova", "low_stratum"), row(&rows, "ancova", "other_stratum"));
        let difference = low.true_effect.unwrap() - other.true_effect.unwrap();
        assert!((inter.true_effect.unwrap() - difference).abs() < 1e-9);
        if let Some(p) = previous {
            let se = binomial_se(p, 1500.0).hypot(binomial_se(inter.power, 1500.0));
            assert!(inter.power > p + 3.0 * se, "max_effect {max_effect}: {} after {p}", inter.power);
        } else {
            within_alpha(inter, "no effect anywhere");
        }
        previous = Some(inter.power);
    }
}

/// Randomized within strata, the count regressions over everyone adjust for the stratum
/// whether or not the strata are reported: the same trials give the same estimate. At a size
/// where a stratum is often empty in an arm, the interaction is not analysable (not "not
/// converged"): an undefined design is not counted as a failure to converge.
#[test]
fn stratified_count_regressions_adjust_and_count_undefined_designs_apart() {
    let base = without_responders(&shipped("migraine_peikert1996.toml"));
    let set = [
        "selection.mode=\"stratify\"",
        "selection.threshold=0.8",
        "design.reps=300",
        "analysis.secondary=[\"poisson\"]",
    ];
    let with = simulate_all(&base, &[&set[..], &["analysis.by_stratum=true"]].concat());
    let without = simulate_all(&base, &[&set[..], &["analysis.by_stratum=false"]].concat());
    for analysis in ["negbin_wald", "poisson"] {
        let (a, b) = (row(&with, analysis, "all"), row(&without, analysis, "all"));
        assert_eq!(a.mean_estimate, b.mean_estimate, "{analysis}");
        assert_eq!(a.power, b.power, "{analysis}");
    }
    let tiny = simulate_all(
        &base,
        &[&set[..], &["arms.placebo.n=3", "arms.mg_dicitrate_600.n=3", "design.reps=400"]].concat(),
    );
    // What remains "not converged" at 3 per arm is separation (a stratum or arm with no
    // attack at all: no finite estimate), not an empty cell; empty cells made 37-60% before.
    for r in &tiny {
        assert!(r.share_not_converged.unwrap() < 0.1, "{} {}: {:?}", r.analysis, r.subgroup, r.share_not_converged);
    }
    let inter = row(&tiny, "negbin_wald", "interaction");
    assert!(inter.reps_not_analysable > 100, "{}", inter.reps_not_analysable);
    assert!(inter.share_not_converged.unwrap() < 0.05, "{:?}", inter.share_not_converged);
}
