//! Directions the model must get right, on the shipped enriched depression scenario.

mod common;
use common::{shipped, simulate};

#[test]
fn a_more_reliable_biomarker_raises_ppv_and_power() {
    let text = shipped("depression_mgo_enriched.toml");
    let base = simulate(&text, &["design.reps=6000"]);
    // Same serum assay and threshold, a third of the error.
    let better = simulate(&text, &["design.reps=6000", "biomarker.persistent_sd=0.01", "biomarker.repeat_sd=0.02"]);
    let (pb, pr) = (base.ppv_deficient.unwrap(), better.ppv_deficient.unwrap());
    let enrolled = base.mean_enrolled * f64::from(base.reps);
    let se_ppv = (pb * (1.0 - pb) / enrolled + pr * (1.0 - pr) / enrolled).sqrt();
    assert!(pr - pb > 3.5 * se_ppv, "PPV {pb:.4} -> {pr:.4}");
    // Independent-sample SE of the power difference (conservative: streams are shared in part).
    let se_power = (base.power * (1.0 - base.power) / 6000.0 + better.power * (1.0 - better.power) / 6000.0).sqrt();
    assert!(better.power - base.power > 3.5 * se_power, "power {:.4} -> {:.4}", base.power, better.power);
    assert!(better.true_effect > base.true_effect);
}

#[test]
fn a_lower_threshold_raises_screened_per_enrolled() {
    let text = shipped("depression_mgo_enriched.toml");
    let mut last = 0.0;
    for t in ["0.80", "0.75", "0.70", "0.65"] {
        let r = simulate(&text, &["design.reps=400", &format!("selection.threshold={t}")]);
        assert!(r.screened_per_enrolled > last * 1.05, "threshold {t}: {} after {last}", r.screened_per_enrolled);
        last = r.screened_per_enrolled;
    }
}

#[test]
fn enrichment_raises_ppv_and_power_over_all_comers() {
    let enriched = simulate(&shipped("depression_mgo_enriched.toml"), &["design.reps=3000"]);
    let all = simulate(&shipped("depression_mgo_all_comers.toml"), &["design.reps=3000"]);
    assert!(enriched.ppv_deficient.unwrap() > all.ppv_deficient.unwrap());
    assert!(enriched.power > all.power + 0.1, "{} vs {}", enriched.power, all.power);
    // Regression to the mean: part of a placebo arm selected on a low reading reads normal at the end.
    let normal = enriched.normal_at_end_placebo.unwrap();
    assert!(normal > 0.2 && normal < 0.6, "placebo normal at end {normal}");
    assert!(enriched.normal_at_end_active.unwrap() > normal);
}
