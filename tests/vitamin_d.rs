//! A vitamin D co-deficiency (issue 24, point 1): a latent vitamin D status correlated with Mg
//! status, which scales the benefit of repleting Mg in those low in vitamin D who are not given
//! it; enrolment on a noisy vitamin D test; an Mg + vitamin D arm. Neutral values give today's
//! trials, the simulated true effect and shares match the quadrature within 3.5 SE, and bad input
//! is refused by name.

mod common;

use common::binomial_se;
use mgtrial::engine::calibration::{enrolled_vitamin_d_deficient, expected_effect, expected_rate_ratio};
use mgtrial::engine::summary::ComparisonSummary;

/// The shipped enriched depression trial (MgO 300 mg/day, serum Mg < 0.75 mmol/L) with a stated
/// Mg effect (max_effect 15), `section` as its `[vitamin_d]` (none if empty) and `arm` lines in
/// the Mg arm.
fn enriched(section: &str, arm: &str) -> String {
    let text = common::edit_toml(&common::shipped("depression_mgo_enriched.toml"), |t| {
        let r = t["response"].as_table_mut().unwrap();
        r.remove("calibration");
        r.insert("max_effect".into(), 15.0.into());
    });
    with(&text, section, arm)
}

/// [`enriched`] with a third arm, `mgo_500_d`: the Mg arm with vitamin D (Mg + vitamin D).
fn three_arms(section: &str) -> String {
    let text = common::edit_toml(&enriched("", ""), |t| {
        let arms = t["arms"].as_array_mut().unwrap();
        let mut both = arms[1].as_table().unwrap().clone();
        both.insert("name".into(), "mgo_500_d".into());
        both.insert("vitamin_d".into(), true.into());
        arms.push(both.into());
        t["analysis"].as_table_mut().unwrap().insert("multiplicity".into(), "holm".into());
    });
    with(&text, section, "")
}

fn with(text: &str, section: &str, arm: &str) -> String {
    let text = text.replace("adherence_mean = 0.83", &format!("adherence_mean = 0.83\n{arm}"));
    if section.is_empty() { text } else { format!("{text}\n[vitamin_d]\n{section}\n") }
}

fn numbers(rows: &[ComparisonSummary]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            let mut r = r.clone();
            r.ppv_vitamin_d_deficient = None;
            format!("{r:?}")
        })
        .collect()
}

/// A prevalence of 0, or a multiplier of 1 without a vitamin D test, leaves every number of
/// today's trials as it was: on the enriched scale trial, with strata (one enrolment stream) and
/// on migraine counts. Vitamin D draws come from a stream of their own.
#[test]
fn neutral_values_give_todays_trials() {
    let reps = ["design.reps=300"];
    let stratified = |t: &str| t.replace("mode = \"enrich\"", "mode = \"stratify\"");
    let peikert = common::shipped("migraine_peikert1996.toml");
    for (base, design) in
        [(enriched("", ""), "enriched"), (stratified(&enriched("", "")), "stratified"), (peikert, "counts")]
    {
        let today = common::simulate_all(&base, &reps);
        let none = with(&base, "deficiency_prevalence = 0.0", "");
        let rows = common::simulate_all(&none, &reps);
        assert_eq!(format!("{today:?}"), format!("{rows:?}"), "prevalence 0 ({design})");
        let one = with(
            &base,
            "deficiency_prevalence = 0.4\ncorrelation_with_mg = 0.5\nbenefit_multiplier_if_deficient = 1.0",
            "",
        );
        let rows = common::simulate_all(&one, &reps);
        assert_eq!(numbers(&today), numbers(&rows), "multiplier 1 ({design})");
        assert!(rows[0].ppv_vitamin_d_deficient.is_some());
    }
}

/// The simulated mean benefit among the enrolled matches the quadrature within 3.5 SE, in an Mg
/// arm (a share of the enrolled low in vitamin D keeps 0.3 of the benefit of repletion) and in
/// an Mg + vitamin D arm (all of it); and the multiplier lowers the effect by the quadrature's
/// amount, between the two.
#[test]
fn the_true_effect_matches_the_quadrature() {
    let text =
        three_arms("deficiency_prevalence = 0.4\ncorrelation_with_mg = 0.5\nbenefit_multiplier_if_deficient = 0.3");
    let reps = 3000.0;
    let without = expected_effect(&common::plan(&enriched("", "")), 1);
    let plan = common::plan(&text);
    let rows = common::simulate_all(&text, &["design.reps=3000"]);
    let k = plan.response.max_effect / plan.response.ref_deficit_mmol_per_l;
    let mut effects = Vec::new();
    for (a, name) in [(1, "mgo_500"), (2, "mgo_500_d")] {
        let closed = expected_effect(&plan, a);
        let r = rows.iter().find(|r| r.comparison == name).unwrap();
        let se = common::true_effect_se(&plan, f64::from(r.n_active) * reps, |d| k * d);
        let simulated = r.true_effect.unwrap();
        assert!((simulated - closed).abs() <= 3.5 * se, "{name}: {simulated} vs {closed} (SE {se})");
        effects.push(closed);
    }
    // Giving vitamin D restores the effect without [vitamin_d]; not giving it loses more than
    // 0.7 x 0.4 of it, since the low in vitamin D are the more often low in Mg (correlation 0.5).
    assert!((effects[1] - without).abs() < 1e-9 * without, "{} vs {without}", effects[1]);
    assert!(effects[0] < (1.0 - 0.7 * 0.4) * without, "{} vs {without}", effects[0]);
}

/// On migraine counts (Peikert 1996, calibrated to its fall in attacks) with half the enrolled
/// low in vitamin D and no benefit of repletion for them, the calibration still reproduces the
/// published mean rate ratio, and the simulated mean rate ratio among the enrolled matches the
/// quadrature's within 3.5 SE (a rate ratio lies in (0, 1] here, so its SD is at most 1/2).
#[test]
fn the_rate_ratio_on_counts_matches_the_quadrature() {
    let peikert = common::shipped("migraine_peikert1996.toml");
    let text = with(
        &peikert,
        "deficiency_prevalence = 0.5\ncorrelation_with_mg = -0.3\nbenefit_multiplier_if_deficient = 0.0",
        "",
    );
    let (plan, today) = (common::plan(&text), common::plan(&peikert));
    let a = plan.arms.iter().position(|arm| arm.is_active).unwrap();
    let closed = expected_rate_ratio(&plan, a).unwrap();
    let without = expected_rate_ratio(&today, a).unwrap();
    assert!((closed - without).abs() < 1e-4, "calibrated mean rate ratio {closed} vs {without} without vitamin D");
    assert!(plan.response.max_effect > 2.0 * today.response.max_effect, "half the enrolled gain nothing");
    let r = common::simulate(&text, &["design.reps=3000"]);
    let se = 0.5 / (f64::from(r.n_active) * 3000.0).sqrt();
    let simulated = r.true_rate_ratio.unwrap();
    assert!((simulated - closed).abs() <= 3.5 * se, "{simulated} vs {closed} (SE {se})");
}

/// Enrolment on a vitamin D test (sensitivity 0.85, specificity 0.8) among all comers: the
/// shares of the enrolled low in vitamin D (its PPV) and truly low in Mg, and the screened per
/// enrolled, match the quadrature within 3.5 SE; enrolling those read replete instead lowers the
/// share low in vitamin D below the prevalence.
#[test]
fn the_vitamin_d_test_selects_as_the_quadrature_says() {
    let all_comers =
        enriched("", "").replace("mode = \"enrich\"", "mode = \"all_comers\"").replace("threshold = 0.75", "");
    let mut ppv = Vec::new();
    for enrol in ["deficient", "replete"] {
        let section = format!(
            "deficiency_prevalence = 0.4\ncorrelation_with_mg = 0.5\nbenefit_multiplier_if_deficient = 0.3\n\
             enrol = \"{enrol}\"\nassay_sensitivity = 0.85\nassay_specificity = 0.8"
        );
        let text = with(&all_comers, &section, "");
        let plan = common::plan(&text);
        let r = common::simulate(&text, &["design.reps=2000"]);
        let enrolled = r.mean_enrolled * 2000.0;
        let expected = enrolled_vitamin_d_deficient(&plan).unwrap();
        let simulated = r.ppv_vitamin_d_deficient.unwrap();
        assert!(
            (simulated - expected).abs() <= 3.5 * binomial_se(expected, enrolled),
            "{enrol}: PPV for vitamin D {simulated} vs {expected}"
        );
        let mg = plan.mg.as_ref().unwrap();
        let filters = plan.selection_filters();
        let p_enrol = mg.integrate(&filters, f64::INFINITY, |_| 1.0);
        let ppv_mg = mg.integrate(&filters, mg.deficiency_cutoff_mmol_per_l, |_| 1.0) / p_enrol;
        let simulated_mg = r.ppv_deficient.unwrap();
        assert!(
            (simulated_mg - ppv_mg).abs() <= 3.5 * binomial_se(ppv_mg, enrolled),
            "{enrol}: PPV for Mg {simulated_mg} vs {ppv_mg}"
        );
        // Each enrolled person took a geometric number of screenings, mean 1 / p, variance (1 - p) / p^2.
        let se = ((1.0 - p_enrol) / p_enrol.powi(2) / enrolled).sqrt();
        assert!(
            (r.screened_per_enrolled - 1.0 / p_enrol).abs() <= 3.5 * se,
            "{enrol}: screened per enrolled {} vs {}",
            r.screened_per_enrolled,
            1.0 / p_enrol
        );
        ppv.push(expected);
    }
    assert!(ppv[0] > 0.6 && ppv[1] < 0.2, "{ppv:?}");
}

#[test]
fn wrong_inputs_are_refused_by_name() {
    let refused = common::assert_refused;
    let section_arm = |lines: &str, arm: &str| {
        let base =
            ["deficiency_prevalence = 0.4", "correlation_with_mg = 0.5", "benefit_multiplier_if_deficient = 0.3"];
        let keys: Vec<&str> = lines.lines().filter_map(|l| l.split('=').next()).map(str::trim).collect();
        let kept: Vec<&str> = base.into_iter().filter(|b| !keys.iter().any(|k| b.starts_with(k))).collect();
        enriched(&format!("{}\n{lines}", kept.join("\n")), arm)
    };
    let section = |lines: &str| section_arm(lines, "");
    refused(&section("deficiency_prevalence = 1.5"), &["vitamin_d.deficiency_prevalence", "0 to 1"]);
    refused(&section("deficiency_prevalence = -0.1"), &["vitamin_d.deficiency_prevalence", "0 to 1"]);
    refused(&section("correlation_with_mg = 1.2"), &["vitamin_d.correlation_with_mg", "-1 to 1"]);
    refused(&section("benefit_multiplier_if_deficient = 1.5"), &["vitamin_d.benefit_multiplier_if_deficient", "0"]);
    refused(&section("enrol = \"deficient\""), &["vitamin_d.assay_sensitivity", "required"]);
    refused(
        &section("enrol = \"deficient\"\nassay_sensitivity = 0.5\nassay_specificity = 0.4"),
        &["vitamin_d.assay_specificity", "cannot select"],
    );
    refused(&section("enrol = \"sometimes\""), &["sometimes", "deficient"]);
    // A test that leaves almost nobody to enrol.
    refused(
        &section(
            "deficiency_prevalence = 0.000001\nenrol = \"deficient\"\nassay_sensitivity = 1.0\nassay_specificity = 1.0",
        ),
        &["vitamin_d.enrol", "min_enrolment_probability"],
    );
    // With a prevalence of 0 the rest of the section does nothing; each part is required where it matters.
    refused(&section("deficiency_prevalence = 0.0"), &["vitamin_d.correlation_with_mg", "does nothing"]);
    refused(&section("assay_specificity = 0.9"), &["vitamin_d.assay_specificity", "does nothing", "enrol"]);
    refused(
        &enriched("deficiency_prevalence = 0.3\nbenefit_multiplier_if_deficient = 0.5", ""),
        &["vitamin_d.correlation_with_mg", "required"],
    );
    refused(
        &enriched("deficiency_prevalence = 0.3\ncorrelation_with_mg = 0.5", ""),
        &["vitamin_d.benefit_multiplier_if_deficient", "required"],
    );
    refused(
        &section_arm("", "vitamin_d = true"),
        &["vitamin_d.benefit_multiplier_if_deficient", "does nothing", "every Mg arm"],
    );
    // A co-supplement arm: only an Mg arm, only with [vitamin_d], and only where it changes something.
    refused(&enriched("", "vitamin_d = true"), &["arms.mgo_500.vitamin_d", "[vitamin_d]"]);
    refused(
        &three_arms("deficiency_prevalence = 0.4\ncorrelation_with_mg = 0.5\nbenefit_multiplier_if_deficient = 1.0"),
        &["arms.mgo_500_d.vitamin_d", "does nothing"],
    );
    let placebo = section("").replace("kind = \"placebo\"", "kind = \"placebo\"\nvitamin_d = true");
    refused(&placebo, &["arms[0].vitamin_d", "not an Mg arm"]);
    // Not under the fixed response, nor in a crossover.
    let fixed = common::edit_toml(&section(""), |t| {
        let r = t["response"].as_table_mut().unwrap();
        r.clear();
        r.insert("model".into(), "fixed".into());
        r.insert("delta".into(), 3.0.into());
    });
    refused(&fixed, &["vitamin_d", "repletion"]);
    let crossover = common::shipped("depression_tarleton2017_crossover.toml")
        + "\n[vitamin_d]\ndeficiency_prevalence = 0.4\ncorrelation_with_mg = 0.5\nbenefit_multiplier_if_deficient = 0.3\n";
    refused(&crossover, &["vitamin_d", "crossover"]);
}

/// Mg + vitamin D against Mg alone for non-inferiority (margin 2 BDI-II points): the twin at the
/// margin gives the tested arm everything the reference's benefit depends on, vitamin D
/// included, so the type I error there is the one-sided 0.025 within 3.5 SE.
#[test]
fn the_margin_twin_of_mg_and_vitamin_d_holds_its_error_rate() {
    let text = common::edit_toml(
        &three_arms("deficiency_prevalence = 0.4\ncorrelation_with_mg = 0.5\nbenefit_multiplier_if_deficient = 0.3"),
        |t| {
            t["arms"].as_array_mut().unwrap().remove(0);
            t["analysis"].as_table_mut().unwrap().remove("multiplicity");
            t["dropout"].as_table_mut().unwrap().remove("placebo");
        },
    )
    .replace(
        "[design]",
        "[[analysis.comparisons]]\narm = \"mgo_500_d\"\nagainst = \"mgo_500\"\nhypothesis = \"non_inferiority\"\n\
             margin = 2.0\n\n[design]",
    );
    let rows = common::simulate_all(&text, &["design.reps=4000", "design.n_per_arm=100"]);
    let at_margin = rows.iter().find(|r| r.hypothesis.as_deref() == Some("non_inferiority_at_margin")).unwrap().power;
    assert!((at_margin - 0.025).abs() <= 3.5 * binomial_se(0.025, 4000.0), "type I at the margin {at_margin}");
}

/// A `--set` of the vitamin D biology reaches the calibration's published design, as any
/// biology does: at a multiplier of 1 the calibrated effect is the one without vitamin D.
#[test]
fn the_calibration_follows_a_set_of_the_vitamin_d_biology() {
    let shipped = common::shipped("sweep_depression_vitamin_d.toml");
    let source = mgtrial::scenario::Source::parse(shipped, "v.toml", "v").unwrap();
    let at = |set: &[&str]| {
        let o: Vec<mgtrial::scenario::Override> =
            set.iter().map(|s| mgtrial::scenario::Override::parse(s).unwrap()).collect();
        mgtrial::study::single_plan(&source, &o).unwrap().response.max_effect
    };
    let plain = common::plan(&common::shipped("depression_mgo_enriched.toml")).response.max_effect;
    let neutral = at(&["vitamin_d.benefit_multiplier_if_deficient=1.0"]);
    assert!((neutral / plain - 1.0).abs() < 1e-9, "{neutral} vs {plain}");
    assert!(at(&[]) > 1.2 * plain, "the file's multiplier 0.5 lifts the calibrated effect");
    // Mg + vitamin D against placebo alone: the multiplier still matters, through the published
    // trial of Mg alone, so it is accepted and calibrates as in the file.
    let both = at(&["arms.mgo_500.vitamin_d=true"]);
    assert!((both / at(&[]) - 1.0).abs() < 1e-9, "{both}");
}

/// A vitamin D test among all comers turns people away, so the selection's sensitivity (the
/// share of the truly Mg-deficient screened who are enrolled) is below 1, not the all-comers 1.
#[test]
fn a_vitamin_d_test_lowers_the_selection_sensitivity() {
    let text = with(
        &common::shipped("depression_mgo_all_comers.toml"),
        "deficiency_prevalence = 0.4\ncorrelation_with_mg = 0.5\nbenefit_multiplier_if_deficient = 0.3\n\
         enrol = \"replete\"\nassay_sensitivity = 0.85\nassay_specificity = 0.85",
        "",
    );
    let r = common::simulate(&text, &["design.reps=1000"]);
    assert!(r.selection_sensitivity.unwrap() < 0.6, "{:?}", r.selection_sensitivity);
}
