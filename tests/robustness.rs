//! Regression tests for inputs that once hung, panicked or wrote non-finite numbers (found by
//! code review): each must now finish quickly with a clear message or a well-formed result.

mod common;
use common::{TEXTBOOK, first_row, run, scenario_path};
use std::time::{Duration, Instant};

fn textbook_path() -> String {
    scenario_path("textbook.toml").display().to_string()
}

#[test]
fn precision_finer_than_the_limit_is_refused_not_a_hang() {
    let t = textbook_path();
    let (_, e) = run(&["run", &t, "--precision", "1e-10", "-q"], 2);
    assert!(e.contains("--precision") && e.contains("0.0001"), "{e}");
    let (_, e) = run(&["sample-size", &t, "--precision", "1e-5", "-q"], 2);
    assert!(e.contains("--precision"), "{e}");
}

#[test]
fn precision_that_needs_more_than_the_cap_stops_at_the_cap_and_says_so() {
    let start = Instant::now();
    let (out, e) =
        run(&["run", &textbook_path(), "--precision", "0.0001", "--max-reps", "2000", "--out", "-", "-q"], 0);
    assert!(start.elapsed() < Duration::from_secs(60));
    assert_eq!(first_row(&out)("reps"), "2000");
    assert!(e.contains("warning") && e.contains("--max-reps 2000"), "{e}");
}

#[test]
fn max_reps_and_threads_out_of_range_are_refused() {
    let t = textbook_path();
    let (_, e) = run(&["run", &t, "--precision", "0.01", "--max-reps", "0", "-q"], 2);
    assert!(e.contains("--max-reps 0") && e.contains("1 to"), "{e}");
    let (_, e) = run(&["sample-size", &t, "--max-reps", "0", "-q"], 2);
    assert!(e.contains("--max-reps 0"), "{e}");
    let (_, e) = run(&["run", &t, "--threads", "100000", "-q"], 2);
    assert!(e.contains("--threads 100000") && e.contains("1024"), "{e}");
    let (_, e) = run(&["run", &t, "--reps", "4000000000", "-q"], 2);
    assert!(e.contains("design.reps") && e.contains("10000000"), "{e}");
}

/// A continuous bisection with a tolerance below float resolution stops when no float lies
/// between its ends, and still brackets the closed-form answer (delta 0.5 for 80% at n = 64).
#[test]
fn continuous_search_with_a_tolerance_below_float_resolution_terminates() {
    let (out, _) = run(
        &[
            "sample-size",
            &textbook_path(),
            "--solve-for",
            "response.delta",
            "--min",
            "0.2",
            "--max",
            "0.8",
            "--tolerance",
            "1e-300",
            "--precision",
            "0.03",
            "--out",
            "-",
            "-q",
        ],
        0,
    );
    let cell = first_row(&out);
    let value: f64 = cell("value").parse().unwrap();
    assert!((0.4..0.6).contains(&value), "delta for 80% at n = 64: {value}");
    assert_eq!(cell("direction"), "at_least");
}

#[test]
fn solving_for_replicates_or_the_seed_is_refused() {
    let (_, e) = run(&["sample-size", &textbook_path(), "--solve-for", "design.reps", "--min", "1", "--max", "9"], 2);
    assert!(e.contains("not part of the design"), "{e}");
}

/// A grid whose values are whole arm lists changes the number of active arms between
/// neighbouring points: the paired comparison covers only the arms present at both.
#[test]
fn a_sweep_that_changes_the_active_arms_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arms.toml");
    // The procedure for several comparisons, inert at the point with one.
    let text =
        TEXTBOOK.replace("reps = 20000", "reps = 300").replace("[analysis]", "[analysis]\nmultiplicity = \"holm\"")
            + r#"
[sweep]
grid = { arms = [
  [{ name = "placebo", kind = "placebo" }, { name = "a", kind = "active" }],
  [{ name = "placebo", kind = "placebo" }, { name = "a", kind = "active" }, { name = "b", kind = "active" }],
] }
"#;
    std::fs::write(&path, text).unwrap();
    let (out, _) = run(&["run", path.to_str().unwrap(), "--out", "-", "-q"], 0);
    let rows = csv::Reader::from_reader(out.as_bytes()).records().count();
    assert_eq!(rows, 6, "one comparison at the first point, two and their family's three rows at the second:\n{out}");
}

#[test]
fn sizes_that_would_overflow_or_exhaust_memory_are_refused() {
    let t = textbook_path();
    let (_, e) = run(&["run", &t, "--set", "arms.active.allocation=4000000000", "-q"], 2);
    assert!(e.contains("allocation") && e.contains("1 to 100"), "{e}");
    let (_, e) = run(&["run", &t, "--set", "design.n_per_arm=6000000", "-q"], 2);
    assert!(e.contains("design.n_per_arm") && e.contains("10000000"), "{e}");
    let (_, e) = run(&["run", &t, "--set", "selection.blocks_per_ratio=1000000", "-q"], 2);
    assert!(e.contains("selection.blocks_per_ratio"), "{e}");
    let (_, e) = run(&["run", &t, "--sweep", "design.n_per_arm=1:9000000000000000000:1", "-q"], 2);
    assert!(e.contains("at most 100000"), "{e}");
}

#[test]
fn values_that_would_put_inf_or_nan_in_the_output_are_refused() {
    let t = textbook_path();
    for (set, field) in [
        ("response.delta=1e300", "response.delta"),
        ("outcome.baseline_sd=1e300", "outcome.baseline_sd"),
        ("outcome.change_sd=1e300", "outcome.change_sd"),
        ("outcome.reliability=1e-9", "outcome.reliability"),
    ] {
        let (_, e) = run(&["run", &t, "--set", set, "-q"], 2);
        assert!(e.contains(field) && (e.contains("allowed values") || e.contains("must be")), "{set}: {e}");
    }
    let enriched = scenario_path("depression_mgo_enriched.toml").display().to_string();
    let (_, e) = run(&["run", &enriched, "--set", "arms.mgo_500.adherence_concentration=1e-9", "-q"], 2);
    assert!(e.contains("adherence_concentration") && e.contains("Beta shape"), "{e}");
    let (_, e) = run(&["run", &enriched, "--set", "response.max_effect=1e300", "-q"], 2);
    assert!(e.contains("response.max_effect"), "{e}");
}

/// When no trial can be analysed (every score clipped to the ceiling: no variation), the
/// estimate columns are empty, power is 0 and nothing is NaN.
#[test]
fn no_analysable_trials_leave_estimate_cells_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flat.toml");
    // Every score is clipped into 9.6..10.4 and rounded to 10: no variation to analyse.
    let text = TEXTBOOK
        .replace("reps = 20000", "reps = 50")
        .replace("min = -inf\nmax = inf\ninteger = false", "min = 9.6\nmax = 10.4\ninteger = true")
        .replace("[outcome]\n", "[outcome]\nbaseline_mean = 10.0\nbaseline_sd = 1.0\n");
    std::fs::write(&path, text).unwrap();
    let (out, _) = run(&["run", path.to_str().unwrap(), "--out", "-"], 0);
    assert!(!out.to_lowercase().contains("nan") && !out.contains("inf"), "{out}");
    let cell = first_row(&out);
    for name in ["mean_estimate", "sd_estimate", "bias", "ci_coverage"] {
        assert_eq!(cell(name), "", "{name}");
    }
    assert_eq!(cell("power"), "0.000000");
    assert_eq!(cell("reps_not_analysable"), "50");
}

#[test]
fn plot_refuses_unplottable_values_and_targets() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("huge.csv");
    std::fs::write(&csv, "x,power,power_ci_low,power_ci_high\n-1e300,0.5,0.4,0.6\n1e300,0.6,0.5,0.7\n").unwrap();
    let svg = dir.path().join("out.svg");
    let (_, e) = run(&["plot", csv.to_str().unwrap(), "--x", "x", "--out", svg.to_str().unwrap()], 2);
    assert!(e.contains("1e12") && !svg.exists(), "{e}");
    std::fs::write(&csv, "x,power,power_ci_low,power_ci_high\n1,0.5,0.4,0.6\n2,0.6,0.5,0.7\n").unwrap();
    let (_, e) =
        run(&["plot", csv.to_str().unwrap(), "--x", "x", "--target", "1.5", "--out", svg.to_str().unwrap()], 2);
    assert!(e.contains("--target 1.5") && !svg.exists(), "{e}");
    // A single x value still gets a non-empty axis.
    std::fs::write(&csv, "x,power,power_ci_low,power_ci_high\n5e11,0.5,0.4,0.6\n").unwrap();
    run(&["plot", csv.to_str().unwrap(), "--x", "x", "--out", svg.to_str().unwrap()], 0);
    assert!(roxmltree::Document::parse(&std::fs::read_to_string(&svg).unwrap()).is_ok());
}

#[test]
fn two_stage_with_the_same_assay_twice_is_refused() {
    let enriched = scenario_path("depression_mgo_enriched.toml").display().to_string();
    let (_, e) = run(
        &["run", &enriched, "--set", "selection.mode=two_stage", "--set", "confirmation.type=serum_total", "-q"],
        2,
    );
    assert!(e.contains("confirmation.type") && e.contains("biomarker.repeats"), "{e}");
}

/// A whole-number field searched over a range with a fractional end searches the whole numbers
/// inside it (once, the fractional end was looked up unrounded and the search panicked).
#[test]
fn whole_number_search_with_a_fractional_end_answers_a_whole_number() {
    let (out, _) = run(
        &[
            "sample-size",
            &textbook_path(),
            "--set",
            "outcome.reliability=0.5",
            "--set",
            "outcome.baseline_sd=1",
            "--set",
            "design.n_per_arm=100",
            "--solve-for",
            "outcome.assessments",
            "--min",
            "1",
            "--max",
            "4.4",
            "--precision",
            "0.02",
            "--out",
            "-",
            "-q",
        ],
        0,
    );
    let value = first_row(&out)("value");
    assert!(value.parse::<u32>().is_ok_and(|v| (1..=4).contains(&v)), "{value}");
    let (_, e) = run(
        &[
            "sample-size",
            &textbook_path(),
            "--set",
            "outcome.reliability=0.5",
            "--set",
            "outcome.baseline_sd=1",
            "--solve-for",
            "outcome.assessments",
            "--min",
            "1.2",
            "--max",
            "1.8",
        ],
        2,
    );
    assert!(e.contains("whole numbers"), "{e}");
}

/// n per arm beyond the enrolment cap is refused before any closed form is evaluated there
/// (once, statrs' t quantile at 2e7 df never returned).
#[test]
fn sample_size_range_beyond_the_enrolment_cap_is_refused() {
    let start = Instant::now();
    let (_, e) = run(&["sample-size", &textbook_path(), "--max", "10000000", "-q"], 2);
    assert!(e.contains("--max") && e.contains("5000000"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn alpha_above_one_half_is_refused() {
    let (_, e) =
        run(&["run", &textbook_path(), "--set", "analysis.alpha=0.6", "--set", "analysis.sided=\"one\"", "-q"], 2);
    assert!(e.contains("analysis.alpha") && e.contains("to 0.5"), "{e}");
}

/// Issue 20, defect 2: migraine days with a tiny period CV hung in set-up (4,000 gamma
/// inverse CDFs per call, slower as the shape grows). Every documented CV now sets up at once.
#[test]
fn a_tiny_period_cv_on_migraine_days_sets_up_at_once() {
    // A baseline SD the period variation leaves reachable at each CV; at CV 10 almost every
    // window is empty, so the mean is out of reach: refused (exit 2), not a hang.
    for (cv, sd, code) in [("1e-6", "2.5", 0), ("1e-3", "2.5", 0), ("0.1", "2.5", 0), ("3", "10.5", 0), ("10", "11", 2)]
    {
        let started = std::time::Instant::now();
        common::mgtrial()
            .args(["explain", &scenario_path("migraine_gaul2015.toml").display().to_string()])
            .args(["--set", &format!("outcome.period_cv={cv}"), "--set", &format!("outcome.baseline_sd={sd}")])
            .timeout(std::time::Duration::from_secs(30))
            .assert()
            .code(code);
        assert!(started.elapsed().as_secs_f64() < 10.0, "cv {cv}: {:?}", started.elapsed());
    }
}

/// Issue 20, defect 5: a calibration simulates only its arm and placebo. With ten more active
/// arms the solved max_effect is exactly the two-arm file's, and explain stays quick.
#[test]
fn a_calibration_simulates_only_its_arm_and_placebo() {
    let two = common::shipped("sweep_formulation_dose.toml");
    let two = &two[..two.find("[sweep]").unwrap()];
    let extra: String = (1..=10)
        .map(|i| {
            format!(
                "\n[[arms]]\nname = \"x{i}\"\nkind = \"active\"\nformulation = \"citrate\"\ndose_mg_per_day = {}\n",
                100 * i
            )
        })
        .collect();
    let at = two.find("[response]").unwrap();
    let many =
        format!("{}{extra}\n{}", &two[..at], &two[at..]).replace("[analysis]", "[analysis]\nmultiplicity = \"none\"");
    let solved = |text: &str| {
        let started = Instant::now();
        let plan = common::plan(text);
        (plan.calibration.unwrap().max_effect, started.elapsed())
    };
    let ((a, _), (b, took)) = (solved(two), solved(&many));
    assert_eq!(a, b);
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// Issue 20, defect 6: a path of 30,000 keys (by --set, or a quoted key of a [sweep] grid)
/// overflowed the stack (exit 134); now exit 2 naming the limit.
#[test]
fn a_path_of_thousands_of_keys_is_refused_not_a_stack_overflow() {
    let deep = vec!["a"; 30_000].join(".");
    let (_, e) = run(&["explain", &textbook_path(), "--set", &format!("{deep}=1")], 2);
    assert!(e.contains("keys") && e.contains("at most 16"), "{}", &e[e.len().saturating_sub(300)..]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deep.toml");
    let text = format!("{TEXTBOOK}\n[sweep]\ngrid = {{ \"{}\" = [1, 2] }}\n", vec!["a"; 25_000].join("."));
    std::fs::write(&file, text).unwrap();
    let (_, e) = run(&["run", file.to_str().unwrap(), "--reps", "10"], 2);
    assert!(e.contains("at most 16"), "{}", &e[e.len().saturating_sub(300)..]);
}

/// Issue 20, defect 3: explain printed an approximate power of `inf` at about 211-340 df and
/// NaN for a baseline SD that underflows; every printed closed form is finite or "n/a".
#[test]
fn explain_prints_no_infinite_or_nan_closed_form() {
    let all_comers = scenario_path("depression_mgo_all_comers.toml").display().to_string();
    for args in [
        vec![textbook_path(), "--set".into(), "design.n_per_arm=150".into()],
        vec![
            all_comers,
            "--set".into(),
            "outcome.baseline_sd=1e-200".into(),
            "--set".into(),
            "assumptions.beyond_literature=[\"outcome.placebo_improvement\"]".into(),
        ],
    ] {
        let mut all = vec!["explain".to_string()];
        all.extend(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let (out, _) = run(&refs, 0);
        let power = out.lines().find(|l| l.starts_with("approximate power")).unwrap();
        assert!(!power.contains("NaN") && !power.contains("inf"), "{power}");
    }
}

/// Issue 20, defect 8: explain's resolved scenario is the same model. For migraine days with
/// period variation it was not: the written baseline mean was the model's (5.589 for the
/// file's 6.2 at CV 1, since the moments were solved without the period variation), and
/// explaining it again moved it to 5.077. Now the moments include the period variation, the
/// count fields are written as given, and for every outcome family the resolved text,
/// resolved again, is the same text and simulates to the same rows, bit for bit.
#[test]
fn explains_resolved_scenario_is_the_same_model() {
    let gaul = common::shipped("migraine_gaul2015.toml");
    let peikert = common::shipped("migraine_peikert1996.toml");
    let with = |text: &str, sets: &[(&str, f64)]| {
        common::edit_toml(text, |t| {
            for (key, value) in sets {
                t["outcome"].as_table_mut().unwrap().insert(key.to_string(), toml::Value::Float(*value));
            }
        })
    };
    let mut cases: Vec<(String, String)> = [
        "textbook.toml",
        "depression_mgo_all_comers.toml",
        "depression_mgo_enriched.toml",
        "depression_mgcl2_t2d_elderly.toml",
        "cognition_mg_threonate.toml",
        "migraine_peikert1996.toml",
        "migraine_gaul2015.toml",
    ]
    .iter()
    .map(|f| (f.to_string(), common::shipped(f)))
    .collect();
    cases.push(("gaul, period_cv 1".into(), with(&gaul, &[("period_cv", 1.0), ("baseline_sd", 7.0)])));
    cases.push(("gaul, period_cv 0.3".into(), with(&gaul, &[("period_cv", 0.3), ("baseline_sd", 4.0)])));
    cases.push(("peikert, period_cv 1".into(), with(&peikert, &[("period_cv", 1.0)])));
    let rows = |plan: &mgtrial::engine::plan::Plan| -> Vec<Vec<String>> {
        let results =
            mgtrial::engine::run(plan, mgtrial::engine::RunOptions { reps: 200, threads: 1, progress: false });
        mgtrial::engine::summary::summarize(plan, plan.scenario.design.seed, &results)
            .iter()
            .map(mgtrial::report::export::record)
            .collect()
    };
    for (name, text) in cases {
        let plan = common::plan(&text);
        let resolved = mgtrial::report::explain::resolved_text(&plan);
        let again = common::plan(&resolved);
        assert_eq!(mgtrial::report::explain::resolved_text(&again), resolved, "{name}: the resolved text moves");
        if let (Some((a, _)), Some((b, _))) = (&plan.count, &again.count) {
            assert_eq!(a, b, "{name}: another count model");
            let mean: f64 =
                toml::from_str::<toml::Table>(&text).unwrap()["outcome"]["baseline_mean"].as_float().unwrap();
            let model_mean = a.expected_count(a.baseline_weeks, 1.0);
            assert!((model_mean / mean - 1.0).abs() < 1e-9, "{name}: model mean {model_mean} for {mean}");
        }
        assert_eq!(rows(&plan), rows(&again), "{name}: another simulation");
    }
}

/// The implausible-effect message reads as written: the limit in SDs, then what the field
/// means (its arguments were out of order: "beyond the delta is the benefit ... SD").
#[test]
fn an_implausible_effect_names_the_limit_and_the_unit() {
    let (_, e) = run(&["explain", &textbook_path(), "--set", "response.delta=1.6"], 2);
    assert!(e.contains("beyond the 1.5 SD the literature has seen"), "{e}");
    assert!(e.contains("check the unit (delta is the benefit of every treated participant"), "{e}");
}
