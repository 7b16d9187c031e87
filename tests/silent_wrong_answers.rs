//! Regression tests for the slips that once gave a confident, wrong power with exit 0
//! (issue 7), each named after its trap: outcome scales borrowed from BDI-II, thresholds in
//! the wrong unit, `--set` lost to a sweep, effects that could not be entered as published,
//! sizes that could not be unequal, results that did not say what produced them, and
//! messages in Rust's words.

mod common;
use common::{TEXTBOOK, binomial_se, first_row, run_in, scenario_path, shipped, simulate};
use mgtrial::engine::calibration::{expected_effect, expected_effect_below};
use mgtrial::engine::plan::Plan;
use mgtrial::scenario::{self, Override, Source};

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn path(name: &str) -> String {
    scenario_path(name).display().to_string()
}

/// The textbook design with its `[outcome]` section replaced.
fn with_outcome(outcome: &str) -> String {
    let start = TEXTBOOK.find("[outcome]").unwrap();
    let end = TEXTBOOK.find("[dropout]").unwrap();
    format!("{}{outcome}\n{}", &TEXTBOOK[..start], &TEXTBOOK[end..])
}

// 1. Outcome scales are explicit.

#[test]
fn outcome_without_a_preset_or_its_bounds_is_refused_not_clipped_to_bdi_ii() {
    let dir = tempfile::tempdir().unwrap();
    // The cognitive z-score of the original report: no min, max or integer.
    let text = with_outcome(
        "[outcome]\nname = \"composite z\"\ndirection = \"higher_is_better\"\nbaseline_mean = 0.0\n\
         baseline_sd = 1.0\nplacebo_improvement = 0.0\nchange_sd = 1.0\nreliability = 1.0\n",
    );
    let file = write(dir.path(), "z.toml", &text);
    let out = dir.path().join("out.csv");
    let (_, e) = run_in(dir.path(), &["run", &file, "--out", out.to_str().unwrap()], 2);
    for needle in ["outcome.min", "`min`", "`max`", "`integer`", "bdi_ii", "cognitive_composite_z", "moca"] {
        assert!(e.contains(needle), "missing `{needle}` in: {e}");
    }
    assert!(!out.exists());
}

#[test]
fn missing_outcome_section_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "none.toml", &with_outcome(""));
    let (_, e) = run_in(dir.path(), &["run", &file], 2);
    assert!(e.contains("no preset") && e.contains("outcome.scale"), "{e}");
}

/// Under the null, the cognitive composite preset keeps the type I error at alpha: the
/// original trap (0..63 bounds and rounding borrowed from BDI-II) gave 0.037.
#[test]
fn cognitive_z_preset_is_unbounded_and_keeps_type_one_error_at_alpha() {
    let text = with_outcome("[outcome]\nscale = \"cognitive_composite_z\"\nplacebo_improvement = 0.0\n");
    let r = simulate(&text, &["response.delta=0.0", "design.reps=20000"]);
    let se = binomial_se(0.05, f64::from(r.reps));
    assert!((r.power - 0.05).abs() < 3.5 * se, "type I error {} (SE {se})", r.power);
    let s = scenario::from_str(&text, "t.toml", "t", &[]).unwrap();
    let plan = mgtrial::engine::calibration::plan(&s, "t.toml", None).unwrap();
    assert!(plan.scale.min.is_infinite() && plan.scale.max.is_infinite() && !plan.scale.integer);
    assert_eq!(plan.scale.unit, "SD units");
}

#[test]
fn preset_fields_can_be_overridden_and_explain_names_preset_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "moca.toml",
        &with_outcome("[outcome]\nscale = \"moca\"\nreliability = 0.9\nplacebo_improvement = 0.4\n"),
    );
    let (out, _) = run_in(dir.path(), &["explain", &file], 0);
    assert!(out.contains("preset `moca`") && out.contains("overridden: reliability"), "{out}");
    // Written out in full: the preset's bounds and the overridden reliability.
    assert!(out.contains("reliability = 0.9") && out.contains("max = 30.0") && out.contains("integer = true"), "{out}");
    let (out, _) = run_in(dir.path(), &["explain", &path("depression_mgo_enriched.toml")], 0);
    assert!(out.contains("preset `bdi_ii`") && out.contains("overridden: baseline_mean, baseline_sd"), "{out}");
}

#[test]
fn baseline_mean_outside_the_scale_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "b.toml",
        &with_outcome("[outcome]\nscale = \"bdi_ii\"\nbaseline_mean = 0.0\nplacebo_improvement = 5.0\n"),
    );
    let (_, e) = run_in(dir.path(), &["run", &file], 2);
    assert!(e.contains("outcome.baseline_mean") && e.contains("bounds"), "{e}");
}

// 2. Thresholds must be plausible for their assay.

#[test]
fn threshold_in_the_wrong_unit_is_refused_with_the_assay_and_its_range() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("depression_mgo_enriched.toml");
    let (_, e) = run_in(dir.path(), &["run", &file, "--set", "selection.threshold=75"], 2);
    for needle in ["selection.threshold", "serum_total", "mmol/L", "100.00%", "1st to 99th percentile", "another unit"]
    {
        assert!(e.contains(needle), "missing `{needle}` in: {e}");
    }
    // The loading test reads in % of the load excreted: 0.8 (for 80%) enrols nobody.
    let (_, e) = run_in(
        dir.path(),
        &["run", &file, "--set", "biomarker.type=\"loading_test\"", "--set", "selection.threshold=0.8"],
        2,
    );
    assert!(e.contains("loading_test") && e.contains("% of load excreted") && e.contains("enrols only"), "{e}");
}

#[test]
fn confirmatory_threshold_in_the_wrong_unit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("depression_mgo_enriched.toml");
    let args = [
        "run",
        &file,
        "--set",
        "selection.mode=\"two_stage\"",
        "--set",
        "selection.threshold=0.80",
        "--set",
        "selection.confirm_threshold=199",
    ];
    let (_, e) = run_in(dir.path(), &args, 2);
    assert!(e.contains("selection.confirm_threshold") && e.contains("red_cell") && e.contains("confirms"), "{e}");
}

#[test]
fn stratify_threshold_that_leaves_a_stratum_empty_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("depression_mgo_enriched.toml");
    let (_, e) = run_in(
        dir.path(),
        &["run", &file, "--set", "selection.mode=\"stratify\"", "--set", "selection.threshold=75"],
        2,
    );
    assert!(e.contains("low stratum") && e.contains("1.00%"), "{e}");
}

// 3. A `--set` is never silently lost.

#[test]
fn set_on_a_field_the_sweep_grid_sets_is_an_error_naming_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("study_depression_selection.toml");
    let (_, e) = run_in(dir.path(), &["run", &file, "--set", "design.n_per_arm=60"], 2);
    assert!(e.contains("--set design.n_per_arm=60") && e.contains("grid") && e.contains("--sweep"), "{e}");
    // The same for a field a series sets, spelled by arm index or name.
    let (_, e) = run_in(dir.path(), &["run", &file, "--set", "selection.threshold=0.7"], 2);
    assert!(e.contains("series \"serum < 0.80 mmol/L\""), "{e}");
    let (_, e) = run_in(
        dir.path(),
        &["run", &path("sweep_formulation_dose.toml"), "--set", "arms.1.formulation=\"citrate\""],
        2,
    );
    assert!(e.contains("arms.mg.formulation"), "{e}");
    // And for --reps or --seed against a series that sets them.
    let text = shipped("sweep_duration.toml").replace(
        "set = { \"selection.mode\" = \"all_comers\" }",
        "set = { \"selection.mode\" = \"all_comers\", \"design.seed\" = 5 }",
    );
    let f = write(dir.path(), "seeded.toml", &text);
    let (_, e) = run_in(dir.path(), &["run", &f, "--seed", "9"], 2);
    assert!(e.contains("--seed 9") && e.contains("series \"all comers\""), "{e}");
    // sample-size solves for n per arm: a --set of it would be lost too.
    let (_, e) = run_in(dir.path(), &["sample-size", &path("textbook.toml"), "--set", "design.n_per_arm=10"], 2);
    assert!(e.contains("the search"), "{e}");
}

#[test]
fn explain_on_a_sweep_says_it_shows_the_base_design_and_counts_the_points() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = run_in(dir.path(), &["explain", &path("study_depression_selection.toml")], 0);
    assert!(out.contains("sweep of 160 design points") && out.contains("base design"), "{out}");
    assert!(out.contains("8 series x design.n_per_arm (20 values)"), "{out}");
}

// 4. Effects can be entered as published.

fn plan_of(name: &str, sets: &[&str]) -> Plan {
    let overrides: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let s = scenario::load(&scenario_path(name), &overrides).unwrap();
    mgtrial::engine::calibration::plan(&s, name, None).unwrap()
}

/// Rajizadeh 2017: BDI-II fell 15.65 vs 10.40 points. The shipped scenario enters the
/// difference, 5.25, as published (`observed_change`): max_effect is solved by a seeded
/// simulation so that the difference in mean observed change, floor at 0 and rounding
/// included, is 5.25; a run of the scenario, on other random numbers, reproduces it within the
/// Monte Carlo error of both.
#[test]
fn calibration_reproduces_the_published_rajizadeh_difference() {
    let plan = plan_of("depression_mgo_enriched.toml", &[]);
    let c = plan.calibration.clone().expect("the shipped scenario calibrates");
    let published = mgtrial::engine::calibration::Target::Benefit {
        benefit: 5.25,
        among: mgtrial::scenario::TargetPopulation::ObservedChange,
    };
    assert_eq!(c.target, published);
    // The difference in mean change is the Welch estimate, whatever the scenario's analysis.
    let r = simulate(&shipped("depression_mgo_enriched.toml"), &["analysis.test=\"welch\"", "design.reps=20000"]);
    let analysable = f64::from(r.reps - r.reps_not_analysable);
    let se_run = r.sd_estimate.unwrap() / analysable.sqrt();
    let se_calibration =
        r.sd_estimate.unwrap() / (mgtrial::engine::calibration::OBSERVED_CALIBRATION_REPS as f64).sqrt();
    let se = se_run.hypot(se_calibration);
    let mean = r.mean_estimate.unwrap();
    assert!((mean - 5.25).abs() < 4.0 * se, "mean difference {mean} vs 5.25 (SE {se})");
    // The BDI-II floor shrinks the observed difference: the true effect is larger.
    let true_effect = r.true_effect.expect("a scale's true effect");
    assert!(true_effect > 5.6, "{true_effect}");
}

/// Entered as the expected benefit among the enrolled, the target is met exactly by
/// quadrature, and the simulated true effect among the enrolled reproduces it within its
/// Monte Carlo error.
#[test]
fn calibration_among_the_enrolled_is_exact_by_quadrature() {
    let set = ["response.calibration.among=\"enrolled\""];
    let plan = plan_of("depression_mgo_enriched.toml", &set);
    assert_eq!(plan.calibration.as_ref().unwrap().method, "quadrature");
    assert!((expected_effect(&plan, 1) - 5.25).abs() < 1e-9, "{}", expected_effect(&plan, 1));
    let r = simulate(&shipped("depression_mgo_enriched.toml"), &set);
    // SE of the pooled mean benefit over the enrolled of the active arm: a benefit is at most
    // max_effect / ref * deficit (the repleted share is at most 1), so its variance is at most
    // (max_effect / ref)^2 E[deficit^2 | enrolled], by quadrature.
    let mg = plan.mg.as_ref().unwrap();
    let filters = plan.selection_filters();
    let p = mg.integrate(&filters, f64::INFINITY, |_| 1.0);
    let second = mg.integrate(&filters, f64::INFINITY, |m| mg.deficit(m).powi(2)) / p;
    let k = plan.response.max_effect / plan.response.ref_deficit_mmol_per_l;
    let enrolled = r.mean_enrolled / 2.0 * f64::from(r.reps);
    let se = (k * k * second / enrolled).sqrt();
    let true_effect = r.true_effect.expect("a scale's true effect");
    assert!((true_effect - 5.25).abs() < 4.0 * se, "true effect {true_effect} vs 5.25 (SE {se})");
}

/// On an unbounded, unrounded scale an observed difference needs no simulation.
#[test]
fn observed_change_on_an_unbounded_scale_is_solved_by_quadrature() {
    let plan =
        plan_of("depression_mgo_enriched.toml", &["outcome.min=-inf", "outcome.max=inf", "outcome.integer=false"]);
    let c = plan.calibration.as_ref().unwrap();
    assert_eq!(c.method, "quadrature");
    assert!((expected_effect(&plan, 1) - 5.25).abs() < 1e-9);
}

#[test]
fn calibration_among_the_deficient_matches_quadrature() {
    let plan = plan_of(
        "depression_mgo_enriched.toml",
        &["response.calibration.among=\"deficient\"", "response.calibration.benefit=6"],
    );
    let cutoff = plan.mg.as_ref().unwrap().deficiency_cutoff_mmol_per_l;
    assert!((expected_effect_below(&plan, 1, cutoff) - 6.0).abs() < 1e-9);
    // Among all enrolled the effect is smaller: 38% of them are not deficient.
    assert!(expected_effect(&plan, 1) < 6.0);
}

/// A sweep solves the calibration on the published design, so the biology is the same at
/// every point: otherwise each selection strategy would get its own max_effect and the
/// headline comparison would be void. A sweep of the published effect itself re-solves it.
#[test]
fn a_sweep_keeps_the_base_designs_calibrated_max_effect_at_every_point() {
    let source = Source::read(&scenario_path("study_depression_selection.toml")).unwrap();
    let scenario = source.resolve(&[], None).unwrap();
    let study = mgtrial::scenario::sweep::Study::new(scenario.sweep.as_ref(), Vec::new()).unwrap();
    let plans = mgtrial::study::plans(&source, &[], &study).unwrap();
    let base = mgtrial::study::base_calibration(&source, &[]).unwrap().unwrap().max_effect;
    assert!(plans.iter().all(|p| p.response.max_effect == base));
    // All comers enrol fewer deficient people, so their expected effect is smaller.
    assert!(expected_effect(&plans[0], 1) < 2.0, "{}", expected_effect(&plans[0], 1));
    let _dir = tempfile::tempdir().unwrap();
    let file = path("study_depression_selection.toml");
    let along = |benefit: &str| {
        let set = [
            Override::parse("response.calibration.among=\"enrolled\"").unwrap(),
            Override::parse(&format!("response.calibration.benefit={benefit}")).unwrap(),
        ];
        mgtrial::study::plans(&source, &set, &mgtrial::scenario::sweep::Study::new(None, Vec::new()).unwrap()).unwrap()
    };
    let axis = mgtrial::scenario::sweep::parse_cli_axis("response.calibration.benefit=4,5").unwrap();
    let set = [Override::parse("response.calibration.among=\"enrolled\"").unwrap()];
    let swept =
        mgtrial::study::plans(&source, &set, &mgtrial::scenario::sweep::Study::new(None, vec![axis]).unwrap()).unwrap();
    for (plan, benefit) in swept.iter().zip(["4", "5"]) {
        assert_eq!(plan.response.max_effect, along(benefit)[0].response.max_effect);
    }
    assert!(swept[0].response.max_effect < swept[1].response.max_effect);
    let _ = file;
}

#[test]
fn calibration_conflicts_and_impossible_targets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("depression_mgo_enriched.toml");
    let (_, e) = run_in(dir.path(), &["run", &file, "--set", "response.max_effect=10"], 2);
    assert!(e.contains("both response.max_effect and [response.calibration]"), "{e}");
    let no_dose = write(
        dir.path(),
        "no_dose.toml",
        &shipped("depression_mgo_enriched.toml").replace("dose_mg_per_day = 300", "dose_mg_per_day = 0"),
    );
    let (_, e) = run_in(dir.path(), &["run", &no_dose], 2);
    assert!(e.contains("repletes no deficit"), "{e}");
    let (_, e) = run_in(dir.path(), &["run", &path("textbook.toml"), "--set", "response.calibration.benefit=0.5"], 2);
    assert!(e.contains("response.delta"), "{e}");
}

#[test]
fn explain_and_provenance_report_the_solved_max_effect() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("depression_mgo_enriched.toml");
    let (out, _) = run_in(dir.path(), &["explain", &file], 0);
    let solved = out.split("calibration: response.max_effect = ").nth(1).unwrap().split(' ').next().unwrap();
    let solved: f64 = solved.parse().unwrap();
    assert!((solved - 17.98).abs() < 0.05, "{out}");
    let written = out.lines().find(|l| l.starts_with("max_effect = ")).unwrap();
    assert!((written[13..].parse::<f64>().unwrap() - solved).abs() < 1e-6, "{out}");
    assert!(out.contains("published design: enrolled if serum Mg < 0.75 mmol/L"), "{out}");
    run_in(dir.path(), &["run", &file, "--reps", "200", "--out", "r.csv"], 0);
    let sidecar = std::fs::read_to_string(dir.path().join("r.csv.provenance.toml")).unwrap();
    // The sidecar records the solved value in full, as the written-out scenario has it.
    assert!(sidecar.contains("[calibration]") && sidecar.contains(written), "{sidecar}");
}

// 5. Unequal arms and odd totals.

/// Peikert 1996 randomized 81 people, 43:38.
#[test]
fn unequal_arms_43_to_38_as_randomized_by_peikert() {
    let dir = tempfile::tempdir().unwrap();
    let text = TEXTBOOK
        .replace("n_per_arm = 64\n", "")
        .replace("name = \"active\"\nkind = \"active\"", "name = \"active\"\nkind = \"active\"\nn = 43");
    let text = text.replace("name = \"placebo\"\nkind = \"placebo\"", "name = \"placebo\"\nkind = \"placebo\"\nn = 38");
    let file = write(dir.path(), "peikert.toml", &text);
    let (out, _) = run_in(dir.path(), &["run", &file, "--reps", "300", "--out", "r.csv"], 0);
    assert!(out.contains("n 43 + 38"), "{out}");
    let csv = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
    let cell = first_row(&csv);
    assert_eq!((cell("n_active"), cell("n_placebo"), cell("n_per_arm")), ("43".into(), "38".into(), String::new()));
    assert_eq!(cell("mean_enrolled"), "81.000000");
    // Sizes on some arms only, or with n_per_arm as well, are refused.
    let partial = write(dir.path(), "partial.toml", &text.replace("n = 38\n", ""));
    let (_, e) = run_in(dir.path(), &["run", &partial], 2);
    assert!(e.contains("not for placebo"), "{e}");
    let (_, e) = run_in(dir.path(), &["run", &file, "--set", "design.n_per_arm=10"], 2);
    assert!(e.contains("remove design.n_per_arm"), "{e}");
    // sample-size has no n per arm to search here, and says what to do instead.
    let (_, e) = run_in(dir.path(), &["sample-size", &file], 2);
    assert!(e.contains("allocation"), "{e}");
}

/// With 2:1 allocation and d = 0.5, the t-test needs the harmonic size 2 n1 n2 / (n1 + n2)
/// of a 1:1 trial's 64 per arm: 4n/3 = 64, n = 48 per allocation unit (96 + 48).
#[test]
fn sample_size_keeps_working_with_allocation_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let text = TEXTBOOK
        .replace("name = \"active\"\nkind = \"active\"", "name = \"active\"\nkind = \"active\"\nallocation = 2");
    let file = write(dir.path(), "two_to_one.toml", &text);
    let (_, _) =
        run_in(dir.path(), &["sample-size", &file, "--target", "0.8", "--precision", "0.01", "--out", "s.csv"], 0);
    let csv = std::fs::read_to_string(dir.path().join("s.csv")).unwrap();
    let n: f64 = first_row(&csv)("value").parse().unwrap();
    assert!((n - 48.0).abs() <= 3.0, "n per allocation unit {n}");
}

// 7. Results say what produced them.

#[test]
fn csv_stays_a_plain_table_and_its_sidecar_records_what_produced_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("depression_mgo_enriched.toml");
    run_in(dir.path(), &["run", &file, "--reps", "200", "--set", "design.n_per_arm=40", "--out", "a.csv"], 0);
    run_in(dir.path(), &["run", &file, "--reps", "200", "--set", "design.n_per_arm=41", "--out", "b.csv"], 0);
    let a = std::fs::read_to_string(dir.path().join("a.csv")).unwrap();
    // A rectangular table with its header first: no comment lines for a reader to skip.
    let mut reader = csv::Reader::from_reader(a.as_bytes());
    let width = reader.headers().unwrap().len();
    assert!(reader.headers().unwrap().iter().next() == Some("scenario"));
    assert!(reader.records().all(|r| r.unwrap().len() == width));
    let b = std::fs::read_to_string(dir.path().join("b.csv")).unwrap();
    assert_ne!(first_row(&a)("scenario_sha256"), first_row(&b)("scenario_sha256"), "two --set runs look alike");
    let sidecar = std::fs::read_to_string(dir.path().join("a.csv.provenance.toml")).unwrap();
    for needle in ["version = \"", "command = [", "set = [\"design.n_per_arm=40\"]", "seed = 2017", "reps = 200"] {
        assert!(sidecar.contains(needle), "missing `{needle}` in {sidecar}");
    }
    let (out, _) = run_in(dir.path(), &["explain", "--from", "a.csv"], 0);
    assert!(out.contains("--set design.n_per_arm=40") && out.contains("is unchanged"), "{out}");
    // The recorded scenario reproduces the result byte for byte.
    let record: toml::Table = toml::from_str(&sidecar).unwrap();
    let again = write(dir.path(), "again.toml", record["scenario"].as_str().unwrap());
    run_in(dir.path(), &["run", &again, "--out", "c.csv"], 0);
    let c = std::fs::read_to_string(dir.path().join("c.csv")).unwrap();
    assert_eq!(a.replace("depression_mgo_enriched", "x"), c.replace("depression_mgo_enriched", "x"));
    // A changed result is refused: its sidecar no longer describes it.
    std::fs::write(dir.path().join("a.csv"), a.replace("2017", "2018")).unwrap();
    let (_, e) = run_in(dir.path(), &["explain", "--from", "a.csv"], 2);
    assert!(e.contains("is not the output its provenance") && e.contains("edited or replaced"), "{e}");
    let (_, e) = run_in(dir.path(), &["explain", "--from", "nothing.csv"], 2);
    assert!(e.contains("no provenance"), "{e}");
}

/// A sweep's sidecar scenario includes the `--sweep` axes, so it reproduces the study.
#[test]
fn sweep_provenance_reproduces_the_study_with_command_line_axes() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("sweep_duration.toml");
    run_in(dir.path(), &["run", &file, "--reps", "100", "--sweep", "design.duration_weeks=4,8", "--out", "a.csv"], 0);
    let sidecar = std::fs::read_to_string(dir.path().join("a.csv.provenance.toml")).unwrap();
    let record: toml::Table = toml::from_str(&sidecar).unwrap();
    let again = write(dir.path(), "again.toml", record["scenario"].as_str().unwrap());
    run_in(dir.path(), &["run", &again, "--out", "b.csv"], 0);
    let (a, b) = (
        std::fs::read_to_string(dir.path().join("a.csv")).unwrap(),
        std::fs::read_to_string(dir.path().join("b.csv")).unwrap(),
    );
    assert_eq!(a.replace("sweep_duration", "x"), b.replace("sweep_duration", "x"));
    assert_eq!(a.lines().count(), 5);
}

// 8. Messages in the user's words.

#[test]
fn set_errors_name_the_command_line_not_lines_of_merged_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("textbook.toml");
    let (_, e) = run_in(dir.path(), &["run", &file, "--set", "design.n_per_arm=many"], 2);
    assert!(e.contains("--set design.n_per_arm=many") && e.contains("came from the command line"), "{e}");
    assert!(e.contains("a whole number") && !e.contains("u32") && !e.contains("line "), "{e}");
    let (_, e) = run_in(dir.path(), &["run", &file, "--set", "response.delta=\"big\""], 2);
    assert!(e.contains("expected a number") && !e.contains("f64"), "{e}");
    let (_, e) = run_in(dir.path(), &["run", &file, "--set", "arms.magnesium.dose_mg_per_day=3"], 2);
    assert!(e.contains("placebo, active") && !e.contains("0..2"), "{e}");
    // Errors in the file itself keep the file's own line numbers.
    let bad = write(dir.path(), "bad.toml", &shipped("textbook.toml").replace("n_per_arm = 64", "n_per_arm = 6.5"));
    let (_, e) = run_in(dir.path(), &["run", &bad, "--set", "design.reps=10"], 2);
    assert!(e.contains("line 46") && e.contains("a whole number"), "{e}");
}

#[test]
fn sensitivity_is_never_above_100_percent() {
    let r = simulate(&shipped("depression_mgo_all_comers.toml"), &["design.reps=300"]);
    assert_eq!(r.selection_sensitivity, Some(1.0));
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = run_in(dir.path(), &["run", &path("depression_mgo_all_comers.toml"), "--reps", "100"], 0);
    assert!(out.contains("sensitivity 100.0%"), "{out}");
}

#[test]
fn units_are_the_scales_own_not_points_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = run_in(dir.path(), &["explain", &path("cognition_mg_threonate.toml")], 0);
    assert!(out.contains("SD units") && !out.contains("points"), "{out}");
    let (out, _) = run_in(dir.path(), &["run", &path("cognition_mg_threonate.toml"), "--reps", "100"], 0);
    assert!(out.contains("SD units") && !out.contains("points"), "{out}");
}

/// `--set` changes the design, not the biology: the calibrated max_effect is solved on the
/// scenario as written, so a better assay raises the effect among the enrolled instead of
/// being calibrated away.
#[test]
fn set_changes_the_design_not_the_calibrated_max_effect() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("depression_mgo_enriched.toml");
    let (plain, _) = run_in(dir.path(), &["explain", &file], 0);
    let (better, _) = run_in(dir.path(), &["explain", &file, "--set", "biomarker.repeat_sd=0.02"], 0);
    let solved = |text: &str| text.lines().find(|l| l.starts_with("max_effect = ")).unwrap().to_string();
    assert_eq!(solved(&plain), solved(&better));
    // A --set of the calibration's own fields does re-solve it.
    let (other, _) = run_in(dir.path(), &["explain", &file, "--set", "response.calibration.benefit=4"], 0);
    assert_ne!(solved(&plain), solved(&other));
}

/// A file that is completed by `--set` (here the outcome's preset) runs: only a calibration
/// needs the file to be valid as written.
#[test]
fn set_can_complete_a_file_that_does_not_calibrate() {
    let dir = tempfile::tempdir().unwrap();
    let text = with_outcome("[outcome]\nreliability = 0.9\nplacebo_improvement = 0.0\n");
    let file = write(dir.path(), "partial.toml", &text);
    run_in(dir.path(), &["run", &file, "--reps", "50"], 2);
    run_in(dir.path(), &["run", &file, "--reps", "50", "--set", "outcome.scale=\"cognitive_composite_z\""], 0);
}

// Found in review.

#[test]
fn solving_for_a_calibration_field_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("depression_mgo_enriched.toml");
    let args = ["sample-size", &file, "--solve-for", "response.calibration.benefit", "--min", "1", "--max", "20"];
    let (_, e) = run_in(dir.path(), &args, 2);
    assert!(e.contains("solve for a design field"), "{e}");
}

#[test]
fn two_spellings_of_one_swept_field_are_one_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("sweep_formulation_dose.toml");
    // --sweep by arm index replaces the file's axis named by the arm's name.
    run_in(
        dir.path(),
        &["run", &file, "--sweep", "arms.1.dose_mg_per_day=50,1000", "--reps", "50", "--out", "a.csv"],
        0,
    );
    let csv = std::fs::read_to_string(dir.path().join("a.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "2 formulations x 2 doses: {csv}");
    assert!(csv.lines().next().unwrap().contains("arms.mg.dose_mg_per_day"));
    // A swept field that a series also sets is refused: one would replace the other.
    let (_, e) = run_in(
        dir.path(),
        &["run", &path("study_depression_selection.toml"), "--sweep", "selection.threshold=0.7,0.8"],
        2,
    );
    assert!(e.contains("also set by series"), "{e}");
}

/// With per-arm sizes and stratified randomization, every trial has exactly the sizes it
/// reports (an arm that has its size gets no more participants).
#[test]
fn stratified_per_arm_sizes_are_exact() {
    let text = shipped("depression_mgo_all_comers.toml")
        .replace("mode = \"all_comers\"", "mode = \"stratify\"")
        .replace("n_per_arm = 30                  # [Rajizadeh17]\n", "")
        .replace("name = \"placebo\"\nkind = \"placebo\"", "name = \"placebo\"\nkind = \"placebo\"\nn = 38")
        .replace("name = \"mgo_500\"\nkind = \"active\"", "name = \"mgo_500\"\nkind = \"active\"\nn = 43");
    let s = scenario::from_str(&text, "t.toml", "t", &[]).unwrap();
    let plan = mgtrial::engine::calibration::plan(&s, "t.toml", None).unwrap();
    for rep in 0..300 {
        let t = mgtrial::engine::trial::simulate_trial(&plan, 11, rep);
        assert_eq!((t.arms[0].enrolled, t.arms[1].enrolled), (38, 43), "replicate {rep}");
    }
}

#[test]
fn outputs_that_would_overwrite_the_scenario_or_each_other_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.toml", &shipped("sweep_duration.toml"));
    let (_, e) = run_in(dir.path(), &["run", &file, "--out", "s.toml"], 2);
    assert!(e.contains("would overwrite the scenario file"), "{e}");
    let (_, e) = run_in(dir.path(), &["run", &file, "--out", "x.svg", "--plot", "x.svg"], 2);
    assert!(e.contains("would overwrite --out x.svg"), "{e}");
    assert_eq!(std::fs::read_to_string(dir.path().join("s.toml")).unwrap(), shipped("sweep_duration.toml"));
}

#[test]
fn a_non_utf8_output_name_does_not_panic() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"r\xff.csv");
    let out = common::mgtrial()
        .current_dir(dir.path())
        .arg("run")
        .arg(path("textbook.toml"))
        .args(["--reps", "20", "--out"])
        .arg(name)
        .assert()
        .code(0);
    assert!(!String::from_utf8_lossy(&out.get_output().stderr).contains("panicked"));
}

#[test]
fn observed_calibration_that_cannot_be_pinned_down_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // (A published design where nearly everyone drops out is no longer refused: the observed
    // change of the completers is solved by quadrature, which dropout at random leaves alone.)
    // A target at the scale's ceiling: MoCA ends at 30.
    let moca = shipped("cognition_mg_threonate.toml")
        .replace("scale = \"cognitive_composite_z\"", "scale = \"moca\"")
        .replace("max_effect = 0.9 ", "#")
        .replace("[outcome]", "[response.calibration]\nbenefit = 5.3\namong = \"observed_change\"\n[outcome]");
    let (_, e) = run_in(dir.path(), &["explain", &write(dir.path(), "moca.toml", &moca)], 2);
    assert!(e.contains("nearly constant") || e.contains("hold the expected figure near"), "{e}");
}

#[test]
/// A calibrated max_effect is never read in another scale's points: the published BDI-II
/// design's solution carries to a PHQ-9 design at equal standardized effect, and says so.
fn a_calibrated_max_effect_is_not_reused_on_another_scale() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "run",
        &path("depression_mgo_enriched.toml"),
        "--set",
        "outcome.scale=\"phq_9\"",
        "--set",
        "outcome.baseline_mean=12",
        "--set",
        "outcome.baseline_sd=4.5",
        "--set",
        "outcome.placebo_improvement=3",
    ];
    let (out, _) = run_in(dir.path(), &[&args[..], &["--reps", "50"]].concat(), 0);
    assert!(out.contains("BDI-II points") && out.contains("transferred at equal standardized effect"), "{out}");
    assert!(out.contains("PHQ-9 points per 0.15 mmol/L"), "{out}");
}

#[test]
fn a_figure_of_a_changed_csv_does_not_inherit_its_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("sweep_duration.toml");
    run_in(dir.path(), &["run", &file, "--reps", "50", "--out", "d.csv"], 0);
    run_in(dir.path(), &["plot", "d.csv", "--x", "design.duration_weeks", "--out", "d.svg"], 0);
    assert!(dir.path().join("d.svg.provenance.toml").exists());
    let csv = std::fs::read_to_string(dir.path().join("d.csv")).unwrap();
    std::fs::write(dir.path().join("d.csv"), csv.replacen("0.", "1.", 1)).unwrap();
    let (_, e) = run_in(dir.path(), &["plot", "d.csv", "--x", "design.duration_weeks", "--out", "e.svg"], 0);
    assert!(e.contains("has changed") && !dir.path().join("e.svg.provenance.toml").exists(), "{e}");
}

/// Unequal arms keep the simulator exact: 43 + 38 with d = 0.5 has the two-sample t-test power
/// with those sizes (0.6020 by R: 1 - pt(qt(0.975, 79), 79, ncp) + pt(-qt(0.975, 79), 79, ncp),
/// ncp = 0.5 / sqrt(1/43 + 1/38)), within 3.5 Monte Carlo SE.
#[test]
fn unequal_arms_have_the_t_test_power_of_their_sizes() {
    let text = TEXTBOOK
        .replace("n_per_arm = 64\n", "")
        .replace("name = \"active\"\nkind = \"active\"", "name = \"active\"\nkind = \"active\"\nn = 43");
    let text = text.replace("name = \"placebo\"\nkind = \"placebo\"", "name = \"placebo\"\nkind = \"placebo\"\nn = 38");
    let r = simulate(&text, &[]);
    // The noncentral t power by quadrature, checked against R's value.
    let expected = mgtrial::analysis::power::t_test_power(43.0, 38.0, 0.5, 1.0, 0.05, true);
    assert!((expected - 0.601_960_4).abs() < 1e-4, "closed form {expected}");
    let se = binomial_se(expected, f64::from(r.reps));
    assert!((r.power - expected).abs() < 3.5 * se, "power {} vs {expected} (SE {se})", r.power);
    assert_eq!((r.n_active, r.n_placebo, r.n_per_arm), (43, 38, None));
}

// Review regressions: slips found after the first round of fixes.

/// A `--set` renaming an arm keeps the file's grid (written with the old name) on that arm, and a
/// `--set` by position on the renamed arm is caught as a lost value under its new name.
#[test]
fn a_renamed_arm_keeps_its_grid_and_its_lost_sets_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("sweep_formulation_dose.toml");
    let rename = "arms.1.name=\"mgx\"";
    run_in(dir.path(), &["run", &file, "--reps", "40", "--set", rename, "--out", "r.csv", "--quiet"], 0);
    let csv = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("arms.mgx.formulation,arms.mgx.dose_mg_per_day,"), "{header}");
    assert_eq!(csv.lines().count(), 13, "{csv}");
    let (_, e) = run_in(dir.path(), &["run", &file, "--set", rename, "--set", "arms.1.formulation=\"citrate\""], 2);
    assert!(e.contains("is also set by grid field arms.mgx.formulation"), "{e}");
}

/// A sweep value that cannot be applied is reported as the sweep's, not as a `--set`.
#[test]
fn a_bad_sweep_value_is_named_as_the_sweeps() {
    let dir = tempfile::tempdir().unwrap();
    let (_, e) = run_in(dir.path(), &["run", &path("sweep_duration.toml"), "--sweep", "arms.9.dose_mg_per_day=1,2"], 2);
    assert!(!e.contains("--set") && e.contains("sweep"), "{e}");
}

/// The two-stage range is of the confirmatory readings among those who pass the first stage.
#[test]
fn a_confirmatory_threshold_message_gives_the_range_among_those_screened_in() {
    let dir = tempfile::tempdir().unwrap();
    let text = shipped("study_depression_selection.toml")
        .replace("\"selection.confirm_threshold\" = 1.99", "\"selection.confirm_threshold\" = 199");
    let (_, e) = run_in(dir.path(), &["run", &write(dir.path(), "s.toml", &text)], 2);
    assert!(e.contains("199 mmol/L on the confirmatory red_cell assay"), "{e}");
    assert!(e.contains("among those whose serum_total reading passes the first stage (< 0.8 mmol/L)"), "{e}");
}

#[test]
fn reps_with_precision_is_refused_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (_, e) = run_in(dir.path(), &["run", &path("textbook.toml"), "--reps", "100", "--precision", "0.01"], 2);
    assert!(e.contains("--reps would be ignored"), "{e}");
}

/// sample-size sets n per arm itself, so it must not suggest a `--sweep` of it.
#[test]
fn sample_size_hint_for_a_lost_set_points_at_the_search_range() {
    let dir = tempfile::tempdir().unwrap();
    let (_, e) = run_in(dir.path(), &["sample-size", &path("textbook.toml"), "--set", "design.n_per_arm=10"], 2);
    assert!(e.contains("--min and --max") && !e.contains("--sweep"), "{e}");
}

/// explain refuses what run refuses, so it never describes a design that run would not simulate.
#[test]
fn explain_refuses_a_set_that_run_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["explain", &path("study_depression_selection.toml"), "--set", "design.n_per_arm=60"];
    let (_, e) = run_in(dir.path(), &args, 2);
    assert!(e.contains("would be lost"), "{e}");
}

/// A target of no effect gives exactly no effect, not a simulated value near zero.
#[test]
fn a_target_of_no_effect_solves_to_exactly_zero() {
    let dir = tempfile::tempdir().unwrap();
    let text = shipped("depression_mgo_enriched.toml").replace("benefit = 5.25 ", "benefit = 0 ");
    let (out, _) = run_in(dir.path(), &["explain", &write(dir.path(), "null.toml", &text)], 0);
    assert!(out.contains("max_effect = 0.0\n"), "{out}");
}

/// Unequal arms are shown as their sizes in the sweep and search tables too.
#[test]
fn tables_show_each_arms_size() {
    let dir = tempfile::tempdir().unwrap();
    let text = TEXTBOOK
        .replace("name = \"active\"\nkind = \"active\"", "name = \"active\"\nkind = \"active\"\nallocation = 2");
    let file = write(dir.path(), "two_to_one.toml", &text);
    let (out, _) = run_in(dir.path(), &["run", &file, "--reps", "100", "--sweep", "design.n_per_arm=10,20"], 0);
    assert!(out.contains("20 + 10") && out.contains("40 + 20"), "{out}");
    let (out, _) = run_in(dir.path(), &["sample-size", &file, "--precision", "0.05", "--min", "20", "--max", "60"], 0);
    assert!(out.contains(" + ") && !out.contains("n/arm"), "{out}");
}

/// The sidecar records the fully resolved design and a command that rewrites the same outputs.
#[test]
fn provenance_records_the_resolved_design_and_the_outputs_in_its_command() {
    let dir = tempfile::tempdir().unwrap();
    let file = path("sweep_duration.toml");
    let args = ["run", &file, "--reps", "30", "--out", "d.csv", "--plot", "d.svg", "--quiet"];
    run_in(dir.path(), &args, 0);
    let record: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.path().join("d.csv.provenance.toml")).unwrap()).unwrap();
    let resolved = record["resolved_scenario"].as_str().unwrap();
    // Every default is written out: the resolved design states fields the file leaves out.
    assert!(resolved.contains("reliability = ") && resolved.contains("persistent_sd = "), "{resolved}");
    use sha2::Digest;
    let sha = format!("{:x}", sha2::Sha256::digest(resolved.as_bytes()));
    assert_eq!(record["resolved_scenario_sha256"].as_str().unwrap(), sha);
    // Each sidecar's command writes its own output under the same name.
    assert_eq!(record["reproduce"].as_str().unwrap(), "mgtrial run SCENARIO.toml --out d.csv");
    let figure: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.path().join("d.svg.provenance.toml")).unwrap()).unwrap();
    assert_eq!(figure["reproduce"].as_str().unwrap(), "mgtrial run SCENARIO.toml --plot d.svg --target 0.8");
    // A figure drawn by `plot` is the CSV's command, then the plot's, naming both files as written.
    let csv = dir.path().join("d.csv").display().to_string();
    let replot = dir.path().join("p.svg").display().to_string();
    run_in(dir.path(), &["plot", &csv, "--x", "design.duration_weeks", "--out", &replot], 0);
    let drawn: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.path().join("p.svg.provenance.toml")).unwrap()).unwrap();
    assert_eq!(
        drawn["reproduce"].as_str().unwrap(),
        "mgtrial run SCENARIO.toml --out d.csv, then: mgtrial plot d.csv --x design.duration_weeks --out p.svg"
    );
}

/// An output that is a symlink to a missing file is checked by where it points.
#[test]
fn dangling_symlinks_are_checked_by_their_targets() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("missing.csv", dir.path().join("a.csv")).unwrap();
    std::os::unix::fs::symlink("missing.csv", dir.path().join("b.svg")).unwrap();
    let args = ["run", &path("sweep_duration.toml"), "--reps", "20", "--out", "a.csv", "--plot", "b.svg"];
    let (_, e) = run_in(dir.path(), &args, 2);
    assert!(e.contains("would overwrite --out a.csv"), "{e}");
    assert!(!dir.path().join("missing.csv").exists());
}
