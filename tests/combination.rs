//! A combination product's effect that does not go through Mg (issue 24, point 2): riboflavin
//! and CoQ10 beside Mg in Gaul 2015 act whatever a person's Mg status. The arm's benefit is the
//! Mg-mediated part plus that part times the person's adherence; both are reported, and the
//! closed form matches the simulation; enrichment by Mg status buys only the Mg part.

mod common;

use common::binomial_se;
use mgtrial::engine::calibration::expected_effect;
use mgtrial::engine::summary::ComparisonSummary;

/// The shipped enriched depression trial (MgO 300 mg/day, adherence Beta(0.83, c = 20)) with a
/// stated Mg effect (max_effect 15) and `extra` lines in the Mg arm.
fn combination(extra: &str) -> String {
    let text = common::edit_toml(&common::shipped("depression_mgo_enriched.toml"), |t| {
        let r = t["response"].as_table_mut().unwrap();
        r.remove("calibration");
        r.insert("max_effect".into(), 15.0.into());
    });
    text.replace("adherence_mean = 0.83", &format!("adherence_mean = 0.83\n{extra}"))
}

fn numbers(r: &ComparisonSummary) -> String {
    let mut r = r.clone();
    r.true_effect_independent = None;
    format!("{r:?}")
}

/// An effect beside Mg's of 0 gives today's trials.
#[test]
fn no_effect_beside_mgs_gives_todays_trials() {
    let reps = ["design.reps=400"];
    let base: Vec<String> = common::simulate_all(&combination(""), &reps).iter().map(numbers).collect();
    let zero: Vec<String> =
        common::simulate_all(&combination("independent_effect = 0.0"), &reps).iter().map(numbers).collect();
    assert_eq!(base, zero);
}

/// 3 BDI-II points beside Mg's: each participant's is 3 x adherence, so its mean is 3 x 0.83 =
/// 2.49, simulated within 3.5 SE (adherence SD sqrt(0.83 x 0.17 / 21)); the closed-form total is
/// the Mg part plus 2.49, and the simulated total matches it within 3.5 SE.
#[test]
fn both_parts_are_reported_and_match_the_closed_form() {
    let text = combination("independent_effect = 3.0");
    let r = common::simulate(&text, &["design.reps=4000"]);
    let enrolled = f64::from(r.n_active) * 4000.0;
    let independent = r.true_effect_independent.unwrap();
    let adherence_sd = (0.83 * 0.17 / 21.0f64).sqrt();
    assert!((independent - 2.49).abs() <= 3.5 * 3.0 * adherence_sd / enrolled.sqrt(), "{independent}");
    let plan = common::plan(&text);
    let mg_only = expected_effect(&common::plan(&combination("")), 1);
    let closed = expected_effect(&plan, 1);
    assert!((closed - (mg_only + 2.49)).abs() < 1e-9, "{closed} vs {mg_only} + 2.49");
    // A benefit is at most k d + 3 in size (k the benefit per mmol/L repleted, d the deficit).
    let k = plan.response.max_effect / plan.response.ref_deficit_mmol_per_l;
    let se = common::true_effect_se(&plan, enrolled, |d| k * d + 3.0);
    let simulated = r.true_effect.unwrap();
    assert!((simulated - closed).abs() <= 3.5 * se, "{simulated} vs {closed} (SE {se})");
}

/// Enrolling by low serum Mg raises the Mg part and leaves the other one as it is: among all
/// comers the Mg part is smaller, the independent part the same 2.49.
#[test]
fn selection_by_mg_status_buys_only_the_mg_part() {
    let all_comers = || {
        common::edit_toml(&combination("independent_effect = 3.0"), |t| {
            let s = t["selection"].as_table_mut().unwrap();
            s.insert("mode".into(), "all_comers".into());
            s.remove("threshold");
        })
    };
    let enriched = common::plan(&combination("independent_effect = 3.0"));
    let all = common::plan(&all_comers());
    let mg_part = |p: &mgtrial::engine::plan::Plan| expected_effect(p, 1) - 2.49;
    assert!(mg_part(&enriched) > 2.0 * mg_part(&all), "{} vs {}", mg_part(&enriched), mg_part(&all));
    let r = common::simulate(&all_comers(), &["design.reps=2000"]);
    let se = 3.0 * (0.83 * 0.17 / 21.0f64).sqrt() / (f64::from(r.n_active) * 2000.0).sqrt();
    assert!((r.true_effect_independent.unwrap() - 2.49).abs() <= 3.5 * se);
}

/// On counts, a rate ratio beside Mg's: with no Mg effect (max_rate_ratio 1) and everyone taking
/// every dose, every treated participant's rate ratio is 0.7, and the NB power is that of the
/// fixed response with rate ratio 0.7 within 3.5 SE of either.
#[test]
fn on_counts_the_rate_ratio_beside_mgs_acts_as_stated() {
    let peikert = common::edit_toml(&common::shipped("migraine_peikert1996.toml"), |t| {
        let r = t["response"].as_table_mut().unwrap();
        r.remove("calibration");
        r.insert("max_rate_ratio".into(), 1.0.into());
        let arm = t["arms"].as_array_mut().unwrap()[1].as_table_mut().unwrap();
        arm.insert("adherence_mean".into(), 1.0.into());
        arm.insert("independent_rate_ratio".into(), 0.7.into());
    });
    let r = common::simulate(&peikert, &["design.reps=4000"]);
    assert!((r.true_effect_independent.unwrap() + 0.7f64.ln()).abs() < 1e-12);
    let fixed = common::fixed_response(&common::shipped("migraine_peikert1996.toml"), "rate_ratio", 0.7);
    let f = common::simulate(&fixed, &["design.reps=4000"]);
    let se = binomial_se(f.power, 4000.0) * 2f64.sqrt();
    assert!((r.power - f.power).abs() <= 3.5 * se, "{} vs {}", r.power, f.power);
}

#[test]
fn wrong_inputs_are_refused_by_name() {
    let refused = common::assert_refused;
    refused(&combination("independent_rate_ratio = 0.7"), &["arms[1].independent_rate_ratio", "independent_effect"]);
    refused(&combination("independent_effect = -2.0"), &["arms[1].independent_effect", "harmful_effect"]);
    let placebo = combination("").replace("kind = \"placebo\"", "kind = \"placebo\"\nindependent_effect = 1.0");
    refused(&placebo, &["arms[0].independent_effect", "not an Mg arm"]);
    let fixed = common::fixed_response(&combination("independent_effect = 3.0"), "delta", 3.0);
    refused(&fixed, &["arms[1].independent_effect", "repletion"]);
    let calibrated = common::shipped("depression_mgo_enriched.toml")
        .replace("adherence_mean = 0.83", "adherence_mean = 0.83\nindependent_effect = 1.0");
    refused(&calibrated, &["response.calibration", "among"]);
}
