//! Bad input: a clear message naming the file, line or field and the allowed values, exit
//! code 2, no panic or backtrace, and no output file.

mod common;
use common::{mgtrial, shipped};

/// Runs `mgtrial run` on `text` with extra args; checks exit 2, no output file, no panic, and
/// that stderr contains every `needle`.
fn rejects(text: &str, extra: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("bad.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out.csv");
    let assert = mgtrial().arg("run").arg(&scenario).arg("--out").arg(&out).args(extra).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(!out.exists(), "an output file was left behind");
    assert!(!stderr.contains("panicked") && !stderr.contains("stack backtrace"), "{stderr}");
    if extra.is_empty() {
        assert!(stderr.contains("bad.toml"), "file not named: {stderr}");
    }
    for needle in needles {
        assert!(stderr.contains(needle), "missing `{needle}` in: {stderr}");
    }
}

fn textbook() -> String {
    shipped("textbook.toml")
}

#[test]
fn malformed_toml_names_the_line() {
    rejects(&textbook().replace("n_per_arm = 64", "n_per_arm = [64"), &[], &["line 47", "expected"]);
}

#[test]
fn wrong_type_names_the_line_and_the_expected_type() {
    rejects(&textbook().replace("n_per_arm = 64", "n_per_arm = \"many\""), &[], &["line", "invalid type", "n_per_arm"]);
}

#[test]
fn unknown_field_lists_the_allowed_fields() {
    rejects(
        &textbook().replace("n_per_arm = 64", "n_per_arm = 64\nn_per_amr = 3"),
        &[],
        &["unknown field `n_per_amr`", "n_per_arm", "line"],
    );
}

#[test]
fn probability_outside_unit_interval() {
    rejects(&textbook().replace("placebo = 0.0", "placebo = 1.5"), &[], &["dropout.placebo", "0 to"]);
    rejects(&textbook().replace("alpha = 0.05", "alpha = 1.2"), &[], &["analysis.alpha"]);
    rejects(
        &textbook(),
        &["--set", "population.deficiency_prevalence=-0.1"],
        &["population.deficiency_prevalence", "0 to 1"],
    );
}

#[test]
fn negative_or_zero_sd() {
    rejects(&textbook().replace("change_sd = 1.0", "change_sd = 0"), &[], &["outcome.change_sd", "greater than 0"]);
    rejects(&textbook(), &["--set", "outcome.baseline_sd=-2"], &["outcome.baseline_sd", "greater than 0"]);
    rejects(&textbook(), &["--set", "biomarker.repeat_sd=-0.1"], &["biomarker.repeat_sd", "0 or more"]);
}

#[test]
fn unknown_formulation_lists_the_formulations() {
    rejects(
        &shipped("depression_mgo_enriched.toml").replacen("formulation = \"oxide\"", "formulation = \"picolinate\"", 1),
        &[],
        &["picolinate", "oxide", "l_threonate", "iv_sulfate", "line"],
    );
}

#[test]
fn unknown_biomarker_lists_the_biomarkers() {
    rejects(
        &format!("{}\n[biomarker]\ntype = \"hair\"\n", textbook()),
        &[],
        &["hair", "serum_total", "red_cell", "loading_test"],
    );
}

#[test]
fn no_active_arm() {
    let text = textbook();
    let start = text.find("[[arms]]\nname = \"active\"").unwrap();
    let end = text.find("[response]").unwrap();
    let without = format!("{}{}", &text[..start], &text[end..]);
    rejects(&without, &[], &["arms", "no active arm", "kind = \"active\""]);
}

#[test]
fn zero_reps_and_too_few_per_arm() {
    rejects(&textbook().replace("reps = 10000", "reps = 0"), &[], &["design.reps", "allowed values are 1 to"]);
    rejects(&textbook(), &["--reps", "0"], &["design.reps"]);
    rejects(&textbook().replace("n_per_arm = 64", "n_per_arm = 1"), &[], &["design.n_per_arm", "at least 2"]);
}

#[test]
fn set_path_that_does_not_exist() {
    rejects(&textbook(), &["--set", "design.n_per_armz=80"], &["--set", "unknown field `n_per_armz`", "n_per_arm"]);
    rejects(&textbook(), &["--set", "nonsense.field=1"], &["unknown field `nonsense`"]);
    rejects(
        &textbook(),
        &["--set", "arms.placebo_x.dose_mg_per_day=3"],
        &["arms", "no element named `placebo_x`", "placebo, active"],
    );
    rejects(&textbook(), &["--set", "design.n_per_arm"], &["PATH=VALUE"]);
}

#[test]
fn enrichment_that_enrols_almost_nobody_is_refused_not_hung() {
    let text = shipped("depression_mgo_enriched.toml");
    rejects(
        &text,
        &["--set", "selection.threshold=0.40"],
        &["selection.threshold", "enrols only", "raise the threshold"],
    );
}

#[test]
fn missing_file_is_bad_input() {
    mgtrial().args(["run", "does/not/exist.toml"]).assert().code(2);
}

#[test]
fn unwritable_output_is_a_runtime_error_without_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missing_dir").join("out.csv");
    mgtrial()
        .arg("run")
        .arg(common::scenario_path("textbook.toml"))
        .args(["--reps", "10", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(1);
    assert!(!out.exists());
}

fn peikert() -> String {
    shipped("migraine_peikert1996.toml")
}

/// Peikert's design with its effect stated (max_rate_ratio 0.33) instead of calibrated.
fn peikert_stated() -> String {
    let s = peikert();
    let (a, b) = (s.find("[response.calibration]").unwrap(), s.find("[outcome]").unwrap());
    format!("{}max_rate_ratio = 0.33\n\n{}", &s[..a], &s[b..])
}

#[test]
fn count_outcomes_refuse_scale_fields_and_scale_outcomes_count_fields() {
    rejects(
        &peikert().replace("count = \"attacks\"", "count = \"attacks\"\nchange_sd = 3.0"),
        &[],
        &["outcome.change_sd", "count outcome", "baseline_weeks"],
    );
    rejects(&textbook(), &["--set", "outcome.theta=2.0"], &["outcome.theta", "outcome.count"]);
    rejects(&peikert(), &["--set", "outcome.count=\"headaches\""], &["attacks", "migraine_days"]);
    rejects(&peikert(), &["--set", "outcome.baseline_sd=1.0"], &["outcome.theta", "give one"]);
    rejects(&peikert(), &["--set", "outcome.theta=0"], &["outcome.theta", "above 0"]);
    rejects(&peikert(), &["--set", "outcome.followup_weeks=0"], &["outcome.followup_weeks", "1 day"]);
    rejects(
        &peikert(),
        &["--set", "outcome.placebo_reduction_percent=100"],
        &["outcome.placebo_reduction_percent", "below 100"],
    );
}

#[test]
fn migraine_days_out_of_reach_are_refused() {
    let days = peikert()
        .replace("count = \"attacks\"", "count = \"migraine_days\"")
        .replace("theta = 2.5 ", "baseline_sd = 2.5");
    // 27 of 28 days with an SD of 5 is beyond what a 28-day window can hold.
    rejects(
        &days,
        &["--set", "outcome.baseline_mean=27", "--set", "outcome.baseline_sd=5"],
        &["outcome.baseline_sd", "28 days"],
    );
}

#[test]
fn analyses_must_fit_the_outcome_and_the_design() {
    rejects(&textbook(), &["--set", "analysis.test=\"negbin_wald\""], &["analysis.test", "rating scale", "welch"]);
    rejects(&textbook(), &["--set", "analysis.secondary=[\"poisson\"]"], &["analysis.secondary", "poisson"]);
    rejects(
        &textbook(),
        &[
            "--set",
            "analysis.test=\"chi_square\"",
            "--set",
            "analysis.responder.rule=\"remission\"",
            "--set",
            common::TEXTBOOK_BASELINE[0],
            "--set",
            common::TEXTBOOK_BASELINE[1],
        ],
        &["analysis.responder.cutoff", "remission"],
    );
    rejects(&peikert(), &["--set", "analysis.responder.fraction=1.5"], &["analysis.responder.fraction"]);
    rejects(
        &shipped("depression_mgo_enriched.toml"),
        &["--set", "analysis.by_stratum=true"],
        &["analysis.by_stratum", "stratify"],
    );
    rejects(&textbook(), &["--set", "analysis.by_stratum=true"], &["analysis.by_stratum", "Mg status"]);
    rejects(
        &peikert(),
        &["--set", "response.calibration.benefit=0.3"],
        &["response.calibration", "one published effect"],
    );
    rejects(&peikert(), &["--set", "analysis.test=\"poisson\""], &["analysis.test", "10.7%", "negbin_wald"]);
}

#[test]
fn responder_rules_that_cannot_classify_are_refused() {
    let z = shipped("cognition_mg_threonate.toml");
    rejects(
        &z,
        &["--set", "analysis.secondary=[\"chi_square\"]"],
        &["analysis.responder.rule", "floor is 0", "remission"],
    );
    rejects(
        &shipped("depression_mgo_all_comers.toml"),
        &[
            "--set",
            "analysis.secondary=[\"chi_square\"]",
            "--set",
            "analysis.responder.rule=\"remission\"",
            "--set",
            "analysis.responder.cutoff=100",
        ],
        &["analysis.responder.cutoff", "outside the range"],
    );
    // Which way is better is the outcome's: there is no responder direction to contradict it.
    rejects(
        &peikert(),
        &["--set", "analysis.responder.direction=\"higher_is_better\""],
        &["unknown field", "direction"],
    );
}

#[test]
fn count_benefits_that_explode_the_rate_are_refused() {
    let harm = format!("{}\n[assumptions]\nharmful_effect = true\n", peikert_stated());
    rejects(&harm, &["--set", "response.max_rate_ratio=100"], &["response.max_rate_ratio", "expected count", "1e5"]);
    let fixed = harm
        .replace("max_rate_ratio = 0.33\n", "rate_ratio = 100\n")
        .replace("model = \"repletion\"", "model = \"fixed\"");
    let fixed = fixed.replace("ref_deficit_mmol_per_l = 0.15\n", "").replace("replete_rate_ratio = 1.0 ", "#");
    rejects(&fixed, &["--set", "outcome.baseline_mean=5000"], &["response.rate_ratio", "expected count"]);
    rejects(
        &peikert(),
        &[
            "--set",
            "outcome.baseline_mean=100000",
            "--set",
            "outcome.baseline_weeks=1",
            "--set",
            "outcome.followup_weeks=10000",
        ],
        &["outcome.followup_weeks", "expected count"],
    );
}
