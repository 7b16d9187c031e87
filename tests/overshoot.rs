//! The U-shape in cognition (issue 24, point 5): status after supplementation above an upper
//! level costs benefit. Neutral values change nothing; the closed-form effect, with the harm by
//! quadrature, matches the simulated mean benefit; a dose too high for the replete turns the
//! effect negative among them and, with few deficient, overall; a calibration still meets its
//! target; wrong inputs are refused by name.

mod common;

use mgtrial::engine::calibration::expected_effect;

/// The shipped cognition trial (Mg L-threonate, older adults, all comers) at `dose` mg/day with
/// `[response.overshoot]` of (rise, upper, harm).
fn overshoot(dose: u32, rise: f64, upper: f64, harm: f64) -> String {
    let text = common::edit_toml(&common::shipped("cognition_mg_threonate.toml"), |t| {
        let arm = t["arms"].as_array_mut().unwrap()[1].as_table_mut().unwrap();
        arm.insert("dose_mg_per_day".into(), i64::from(dose).into());
    });
    format!(
        "{text}\n[response.overshoot]\nrise_mmol_per_l = {rise:?}\nupper_mmol_per_l = {upper:?}\nharm_per_mmol_per_l = {harm:?}\n"
    )
}

/// No rise and no harm: the same trials as without the section.
#[test]
fn no_rise_and_no_harm_give_todays_trials() {
    let without = common::shipped("cognition_mg_threonate.toml");
    let neutral = overshoot(140, 0.0, 0.9, 0.0);
    let reps = ["design.reps=500"];
    assert_eq!(common::simulate_all(&without, &reps), common::simulate_all(&neutral, &reps));
}

/// At 560 mg/day with a rise of 0.08 above 0.90 costing 6 per mmol/L: the simulated mean benefit
/// among the randomized matches the closed form within 3.5 SE. A benefit is at most `k d + h (d +
/// rise)` in size (`k` the benefit per mmol/L repleted, `d` the deficit), which bounds its
/// variance by quadrature.
#[test]
fn the_simulated_effect_matches_the_closed_form_with_harm() {
    let text = overshoot(560, 0.08, 0.9, 6.0);
    let reps = 4000.0;
    let r = common::simulate(&text, &["design.reps=4000"]);
    let plan = common::plan(&text);
    let k = plan.response.max_effect / plan.response.ref_deficit_mmol_per_l;
    let replete = plan.response.effect_replete.abs();
    let se = common::true_effect_se(&plan, f64::from(r.n_active) * reps, |d| k * d + 6.0 * (d + 0.08) + replete);
    let closed = expected_effect(&plan, 1);
    let simulated = r.true_effect.unwrap();
    assert!((simulated - closed).abs() <= 3.5 * se, "{simulated} vs {closed} (SE {se})");
    let without = common::edit_toml(&text, |t| {
        t["response"].as_table_mut().unwrap().remove("overshoot");
    });
    assert!(closed < expected_effect(&common::plan(&without), 1) - 0.02, "the harm lowers the effect");
}

/// In a population with no deficiency, supplementation only raises status, and above 0.90 it
/// harms: the expected effect is negative and falls as the dose rises. With 10% deficient it
/// falls with dose too; with 40% deficient the benefit of the deficient still wins.
#[test]
fn a_dose_too_high_for_the_replete_cancels_the_benefit() {
    let effect = |dose: u32, prevalence: f64| {
        let text = overshoot(dose, 0.08, 0.9, 6.0);
        let text = common::edit_toml(&text, |t| {
            let p = t["population"].as_table_mut().unwrap();
            p.insert("deficiency_prevalence".into(), prevalence.into());
            t["response"].as_table_mut().unwrap().remove("effect_replete");
        });
        expected_effect(&common::plan(&text), 1)
    };
    let replete: Vec<f64> = [70, 280, 1120].iter().map(|&d| effect(d, 0.0)).collect();
    assert!(replete[0] < 0.0 && replete[1] < replete[0] && replete[2] < replete[1], "{replete:?}");
    let few = [70, 280, 1120].map(|d| effect(d, 0.10));
    assert!(few[2] < few[1] && few[1] < few[0], "{few:?}");
    let many = [70, 280, 1120].map(|d| effect(d, 0.40));
    assert!(many[2] > many[0] && many[0] > 0.0, "{many:?}");
}

/// A calibration of the true benefit among the enrolled meets its target with the harm in it.
#[test]
fn a_calibration_with_the_harm_meets_its_target() {
    let text = common::edit_toml(&overshoot(140, 0.08, 0.9, 6.0), |t| {
        let r = t["response"].as_table_mut().unwrap();
        r.remove("max_effect");
        let calibration: toml::Table = "benefit = 0.3\namong = \"enrolled\"".parse().unwrap();
        r.insert("calibration".into(), calibration.into());
    });
    let plan = common::plan(&text);
    assert!((expected_effect(&plan, 1) - 0.3).abs() < 1e-9, "{}", expected_effect(&plan, 1));
}

#[test]
fn wrong_overshoot_inputs_are_refused_by_name() {
    let refused = common::assert_refused;
    refused(&overshoot(140, 0.08, 0.80, 6.0), &["response.overshoot.upper_mmol_per_l", "replete target"]);
    refused(&overshoot(140, -0.1, 0.9, 6.0), &["response.overshoot.rise_mmol_per_l", "0 to 1"]);
    refused(&overshoot(140, 0.08, 0.9, -1.0), &["response.overshoot.harm_per_mmol_per_l", "0 to"]);
    let fixed = common::fixed_response(&overshoot(140, 0.08, 0.9, 6.0), "delta", 0.4);
    refused(&fixed, &["response.overshoot", "repletion"]);
    let missing = overshoot(140, 0.08, 0.9, 6.0).replace("harm_per_mmol_per_l = 6.0\n", "");
    refused(&missing, &["harm_per_mmol_per_l"]);
}
