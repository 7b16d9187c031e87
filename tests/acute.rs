//! The acute response (issue 23, point 3): an infusion's direct effect, optionally larger when
//! true Mg is low. Without Mg status it is the textbook t test; with it, the expected effect is
//! the two effects weighted by the share with low Mg among the enrolled, in closed form and in
//! the simulated trials; and wrong inputs are refused by name.

mod common;

use common::{TEXTBOOK, binomial_se, simulate, simulate_all};
use mgtrial::analysis::power::t_test_power;
use statrs::distribution::{ContinuousCDF, Normal};

/// The textbook design with the fixed response replaced by an acute one.
fn acute(effect: &str) -> String {
    TEXTBOOK.replace("model = \"fixed\"\ndelta = 0.5", &format!("model = \"acute\"\n{effect}"))
}

/// A mixture population (half deficient).
const MIXTURE: &str = "model = \"mixture\"\ndeficiency_prevalence = 0.5\ndeficient_mean_mmol_per_l = 0.70\n\
     deficient_sd_mmol_per_l = 0.06\nreplete_mean_mmol_per_l = 0.88\nreplete_sd_mmol_per_l = 0.06";

fn with_status(effects: &str, selection: &str) -> String {
    acute(effects).replace("[population]\nmodel = \"none\"", &format!("[population]\n{MIXTURE}\n{selection}"))
}

/// P(true Mg < 0.75) in the mixture above, by hand.
fn share_low() -> f64 {
    let phi = |z: f64| Normal::standard().cdf(z);
    0.5 * phi((0.75 - 0.70) / 0.06) + 0.5 * phi((0.75 - 0.88) / 0.06)
}

/// Without Mg status every treated participant gets `acute_effect`: the same trials, row for
/// row, as the fixed response with that delta, and the noncentral-t power (0.8015 at 64 per
/// arm, d = 0.5) within 3.5 SE.
#[test]
fn without_mg_status_it_is_the_textbook_t_test() {
    let reps = ["design.reps=20000"];
    let rows = simulate_all(&acute("acute_effect = 0.5"), &reps);
    assert_eq!(rows, simulate_all(TEXTBOOK, &reps));
    let expected = t_test_power(64.0, 64.0, 0.5, 1.0, 0.05, true);
    assert!((rows[0].power - expected).abs() <= 3.5 * binomial_se(expected, 20_000.0), "{}", rows[0].power);
}

/// All comers, effect 0.1 SD, 0.6 SD when Mg is low: the expected effect is 0.1 + 0.5 p (p the
/// share below 0.75 mmol/L, by hand), in closed form and as the simulated mean benefit; the
/// mean estimate lies within 3.5 SE of it; the power
/// matches the t test whose Mg arm carries the extra variance 0.25 p (1 - p) of the mixed
/// benefit, within 3.5 SE (n 100 per arm, where the t approximation is close).
#[test]
fn a_larger_effect_with_low_mg_is_weighted_by_its_share() {
    let reps: f64 = 20_000.0;
    let text = with_status("acute_effect = 0.1\nacute_effect_low_mg = 0.6", "[selection]\nmode = \"all_comers\"");
    let r = simulate(&text, &["design.reps=20000", "design.n_per_arm=100"]);
    let p = share_low();
    let truth = 0.1 + 0.5 * p;
    // The closed form (quadrature over the mixture), and the simulated participants' mean
    // benefit (2,000,000 of them, half with the larger effect: SE 0.5 sqrt(p (1 - p) / 2e6)).
    let plan = common::plan(&text);
    let closed = mgtrial::engine::calibration::expected_effect(&plan, 1);
    assert!((closed - truth).abs() < 1e-6, "{closed} vs {truth}");
    let simulated_se = 0.5 * binomial_se(p, 2_000_000.0);
    assert!((r.true_effect.unwrap() - truth).abs() <= 3.5 * simulated_se, "{:?} vs {truth}", r.true_effect);
    let se = r.sd_estimate.unwrap() / reps.sqrt();
    assert!((r.mean_estimate.unwrap() - truth).abs() <= 3.5 * se, "{:?} vs {truth}", r.mean_estimate);
    let sd = ((1.0 + 1.0 + 0.25 * p * (1.0 - p)) / 2.0).sqrt();
    let expected = t_test_power(100.0, 100.0, truth, sd, 0.05, true);
    assert!((r.power - expected).abs() <= 3.5 * binomial_se(expected, reps), "{} vs {expected}", r.power);
}

/// Enrolling low readings raises the share with low Mg, and with it the effect: the closed-form
/// expected effect equals 0.1 + 0.5 x the simulated share truly deficient among the enrolled,
/// within 3.5 SE of that share, and the trials' mean estimate is it, within 3.5 SE.
#[test]
fn enrichment_buys_the_low_mg_effect_through_its_ppv() {
    let text = with_status(
        "acute_effect = 0.1\nacute_effect_low_mg = 0.6",
        "[biomarker]\ntype = \"serum_total\"\n[selection]\nmode = \"enrich\"\nthreshold = 0.75",
    );
    let reps: f64 = 4000.0;
    let r = simulate(&text, &["design.reps=4000"]);
    let ppv = r.ppv_deficient.unwrap();
    let enrolled = reps * 128.0;
    let closed = mgtrial::engine::calibration::expected_effect(&common::plan(&text), 1);
    assert!(closed > 0.1 + 0.5 * share_low() + 0.1, "enrichment should raise the effect: {closed}");
    assert!((closed - (0.1 + 0.5 * ppv)).abs() <= 3.5 * 0.5 * binomial_se(ppv, enrolled), "{closed} vs PPV {ppv}");
    // And the trials estimate it.
    let se = r.sd_estimate.unwrap() / reps.sqrt();
    assert!((r.mean_estimate.unwrap() - closed).abs() <= 3.5 * se, "{:?} vs {closed}", r.mean_estimate);
}

/// Wrong acute inputs exit 2 naming the field and what is allowed.
#[test]
fn acute_inputs_are_checked() {
    let check = common::assert_refused;
    let plain = acute("acute_effect = 0.5");
    check(&acute(""), &["response.acute_effect", "outcome units"]);
    check(&acute("acute_effect = -0.5"), &["response.acute_effect", "harmful_effect"]);
    check(&acute("acute_effect = 0.5\nacute_effect_low_mg = 1.0"), &["response.acute_effect_low_mg", "Mg status"]);
    check(&acute("acute_effect = 0.5\ntau_weeks = 3"), &["response.tau_weeks", "before anything repletes"]);
    check(&plain.replace("[design]", "[design]\nduration_weeks = 8"), &["design.duration_weeks", "does nothing"]);
    check(&acute("acute_effect = 0.5\ndelta = 0.5"), &["response.delta", "\"acute\""]);
    check(&TEXTBOOK.replace("delta = 0.5", "delta = 0.5\nacute_effect = 0.5"), &["response.acute_effect", "\"fixed\""]);
    let with_mg = with_status("acute_effect = 0.5", "[selection]\nmode = \"all_comers\"\n");
    check(
        &with_mg.replace("kind = \"active\"", "kind = \"active\"\ndose_mg_per_day = 300"),
        &["arms.active.dose_mg_per_day", "infusion"],
    );
    check(
        &with_mg.replace("kind = \"active\"", "kind = \"active\"\nadherence_mean = 0.8"),
        &["arms.active.adherence_mean", "given whole"],
    );
    check(
        &plain.replace("[response]", "[[arms]]\nname = \"active_2\"\nkind = \"active\"\n[response]"),
        &["arms", "same effect"],
    );
    let counts = common::edit_toml(&common::shipped("migraine_peikert1996.toml"), |t| {
        let r = t["response"].as_table_mut().unwrap();
        r.retain(|k, _| k == "replete_rate_ratio");
        r.remove("replete_rate_ratio");
        r.insert("model".into(), "acute".into());
        r.insert("acute_effect".into(), 1.0.into());
    });
    check(&counts, &["response.model", "vas_pain"]);
}
