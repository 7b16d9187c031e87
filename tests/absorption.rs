//! Saturable absorption (issue 24, point 4): [Fine91]'s hyperbola plus a passive line, per
//! intake. It enters the model only as the absorbed dose, so the closed-form effect equals the
//! linear model's at the equivalent bioavailability; the simulated mean benefit matches the
//! closed form; splitting a dose absorbs more and doubling it less than doubles what is
//! absorbed; a calibration under it still hits its target; wrong inputs are refused by name.

mod common;

use mgtrial::engine::calibration::{expected_effect, mean_repleted_fraction};

/// The shipped enriched depression trial (MgO 300 mg/day) with a stated effect, under
/// saturable absorption with the dose in `intakes` intakes.
fn saturable(intakes: u32) -> String {
    common::edit_toml(&common::shipped("depression_mgo_enriched.toml"), |t| {
        let r = t["response"].as_table_mut().unwrap();
        r.remove("calibration");
        r.insert("max_effect".into(), 15.0.into());
        let mut a = toml::Table::new();
        a.insert("model".into(), "saturable".into());
        t.insert("absorption".into(), a.into());
        let arm = t["arms"].as_array_mut().unwrap()[1].as_table_mut().unwrap();
        arm.insert("intakes_per_day".into(), i64::from(intakes).into());
    })
}

fn absorbed(text: &str) -> f64 {
    common::plan(text).arms[1].exposure.unwrap().mean_absorbed_mg_per_day()
}

/// MgO at 300 mg/day in 2 intakes: 2 x (0.14 / 0.35) x A(150 mg) at adherence 0.83, by hand
/// from the curve's defaults (Km 72.0, Vmax 41.8 mg, passive 7%). The same plan with the arm's
/// own bioavailability set to that absorbed share, under linear absorption, has the same
/// expected effect (to rounding): saturation enters only through the dose absorbed.
#[test]
fn the_absorbed_dose_is_fine91s_curve_and_nothing_else_changes() {
    let text = saturable(2);
    let km = 972.24 * 0.04 / 0.54;
    let vmax = 0.58 * km;
    let by_hand = 0.83 * 2.0 * (0.14 / 0.35) * (vmax * 150.0 / (km + 150.0) + 0.07 * 150.0);
    let got = absorbed(&text);
    assert!((got - by_hand).abs() < 1e-9, "{got} vs {by_hand}");
    let share = got / 0.83 / 300.0;
    let linear = common::edit_toml(&text, |t| {
        t.remove("absorption");
        let arm = t["arms"].as_array_mut().unwrap()[1].as_table_mut().unwrap();
        arm.remove("intakes_per_day");
        arm.remove("formulation");
        arm.insert("bioavailability".into(), share.into());
    });
    let (a, b) = (common::plan(&text), common::plan(&linear));
    assert!((mean_repleted_fraction(&a, 1) - mean_repleted_fraction(&b, 1)).abs() < 1e-12);
    assert!((expected_effect(&a, 1) - expected_effect(&b, 1)).abs() < 1e-9);
    // The linear model would have absorbed 0.14 x 300 x 0.83 = 34.9 mg/day; the curve gives less.
    assert!(got < 0.14 * 300.0 * 0.83, "{got}");
}

/// The simulated mean benefit among the enrolled matches the closed form within 3.5 SE (the
/// SE bounds a benefit's variance by (max_effect / ref)^2 E[deficit^2 | enrolled]).
#[test]
fn the_simulated_effect_matches_the_closed_form_under_saturation() {
    let text = saturable(1);
    let plan = common::plan(&text);
    let r = common::simulate(&text, &["design.reps=3000"]);
    let k = plan.response.max_effect / plan.response.ref_deficit_mmol_per_l;
    let enrolled = r.mean_enrolled / 2.0 * f64::from(r.reps);
    let se = common::true_effect_se(&plan, enrolled, |d| k * d);
    let closed = expected_effect(&plan, 1);
    let simulated = r.true_effect.unwrap();
    assert!((simulated - closed).abs() <= 3.5 * se, "{simulated} vs {closed} (SE {se})");
}

/// Splitting the same daily dose absorbs more (each intake sits lower on the hyperbola), and
/// doubling the dose less than doubles what is absorbed, where the linear model doubles it.
#[test]
fn splitting_absorbs_more_and_doubling_less_than_doubles() {
    let (one, two, three) = (absorbed(&saturable(1)), absorbed(&saturable(2)), absorbed(&saturable(3)));
    assert!(one < two && two < three, "{one} {two} {three}");
    let doubled = absorbed(&saturable(1).replace("dose_mg_per_day = 300", "dose_mg_per_day = 600"));
    assert!(doubled > one && doubled < 1.8 * one, "{one} -> {doubled}");
    let effect = |t: &str| expected_effect(&common::plan(t), 1);
    assert!(effect(&saturable(3)) > effect(&saturable(1)));
}

/// The shipped calibration, solved under saturable absorption among the enrolled, meets its
/// target by quadrature; the published design's intakes can be pinned, and changing them moves
/// the solved effect.
#[test]
fn a_calibration_under_saturation_meets_its_target() {
    let text = common::edit_toml(&common::shipped("depression_mgo_enriched.toml"), |t| {
        let mut a = toml::Table::new();
        a.insert("model".into(), "saturable".into());
        t.insert("absorption".into(), a.into());
        let arm = t["arms"].as_array_mut().unwrap()[1].as_table_mut().unwrap();
        arm.insert("intakes_per_day".into(), 2.into());
        let c = t["response"]["calibration"].as_table_mut().unwrap();
        c.insert("among".into(), "enrolled".into());
    });
    let plan = common::plan(&text);
    assert!((expected_effect(&plan, 1) - 5.25).abs() < 1e-9, "{}", expected_effect(&plan, 1));
    let pinned = common::edit_toml(&text, |t| {
        let c = t["response"]["calibration"]["published_design"].as_table_mut().unwrap();
        c.insert("intakes_per_day".into(), 1.into());
    });
    let max = |t: &str| common::plan(t).response.max_effect;
    assert!(max(&pinned) > max(&text), "{} vs {}", max(&pinned), max(&text));
}

#[test]
fn wrong_absorption_inputs_are_refused_by_name() {
    let without = saturable(2).replace("intakes_per_day = 2\n", "");
    common::assert_refused(&without, &["arms[1].intakes_per_day", "saturable", "1 to 12"]);
    common::assert_refused(&saturable(0), &["arms[1].intakes_per_day", "1 to 12"]);
    common::assert_refused(&saturable(13), &["arms[1].intakes_per_day", "1 to 12"]);
    let with = |field: &str, v: &str| {
        saturable(2).replace("model = \"saturable\"", &format!("model = \"saturable\"\n{field} = {v}"))
    };
    common::assert_refused(&with("passive_fraction", "1.5"), &["absorption.passive_fraction", "0 to 1"]);
    common::assert_refused(
        &with("max_active_mg_per_intake", "-1"),
        &["absorption.max_active_mg_per_intake", "above 0"],
    );
    common::assert_refused(&with("half_saturation_mg_per_intake", "0"), &["absorption.half_saturation_mg_per_intake"]);
    let unknown = saturable(2).replace("model = \"saturable\"", "model = \"hyperbolic\"");
    common::assert_refused(&unknown, &["hyperbolic", "expected `linear` or `saturable`"]);
    // Under linear absorption the split and the curve do nothing.
    let linear = saturable(2).replace("model = \"saturable\"", "model = \"linear\"");
    common::assert_refused(&linear, &["arms.mgo_500.intakes_per_day", "does nothing", "linear"]);
}
