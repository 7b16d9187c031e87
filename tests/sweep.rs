//! Sweeps, series, common random numbers, precision control and sample size (figures: plot.rs).

mod common;
use common::{mgtrial, scenario_path, shipped};
use mgtrial::engine::Runner;
use mgtrial::scenario::Source;
use mgtrial::scenario::sweep::{Study, parse_cli_axis};
use mgtrial::study::{self, RepsRule};
use std::collections::BTreeMap;

/// Flattens a resolved scenario to `path -> value`, arms addressed by name.
fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, toml::Value>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&p, x, out);
            }
        }
        toml::Value::Array(items) if prefix == "arms" => {
            for it in items {
                let name = it.get("name").and_then(|n| n.as_str()).unwrap().to_string();
                flatten(&format!("arms.{name}"), it, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

fn resolved_map(s: &mgtrial::scenario::Scenario) -> BTreeMap<String, toml::Value> {
    let mut out = BTreeMap::new();
    flatten("", &toml::Value::try_from(s).unwrap(), &mut out);
    out
}

#[test]
fn a_sweep_varies_exactly_the_named_fields() {
    let text = shipped("depression_mgo_enriched.toml");
    let source = Source::parse(text, "t.toml", "t").unwrap();
    let base = source.resolve(&[], None).unwrap();
    let base_map = resolved_map(&base);
    let axes = vec![
        parse_cli_axis("design.n_per_arm=20,45").unwrap(),
        parse_cli_axis("arms.mgo_500.dose_mg_per_day=150:450:150").unwrap(),
        parse_cli_axis("selection.threshold=0.70,0.78").unwrap(),
    ];
    let study = Study::new(None, axes).unwrap();
    assert_eq!(study.points.len(), 2 * 3 * 2);
    let plans = study::plans(&source, &[], &study).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for (point, plan) in study.points.iter().zip(&plans) {
        let map = resolved_map(&plan.scenario);
        let changed: Vec<&String> = map.keys().filter(|k| map.get(*k) != base_map.get(*k)).collect();
        for k in &changed {
            assert!(
                ["design.n_per_arm", "arms.mgo_500.dose_mg_per_day", "selection.threshold"].contains(&k.as_str()),
                "point {} changed `{k}`",
                study.describe(point)
            );
        }
        // Exactly the point's values are set.
        for (axis, &i) in study.axes.iter().zip(&point.grid) {
            let v = map[&axis.path].clone();
            let want = &axis.values[i];
            assert!(
                v == *want || v.as_float() == want.as_integer().map(|x| x as f64),
                "{} = {v} not {want}",
                axis.path
            );
        }
        assert_eq!(map.len(), base_map.len(), "no field appears or disappears");
        seen.insert(format!("{:?}", point.grid));
    }
    assert_eq!(seen.len(), 12, "every grid point is distinct");
}

#[test]
fn series_labels_and_swept_fields_reach_the_csv_and_threads_do_not_matter() {
    let run = |threads: &str| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("study.csv");
        mgtrial()
            .arg("run")
            .arg(scenario_path("study_depression_selection.toml"))
            .args(["--reps", "300", "--sweep", "design.n_per_arm=20,40", "--threads", threads, "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
        std::fs::read_to_string(out).unwrap()
    };
    let one = run("1");
    assert_eq!(one, run("2"), "byte-identical across thread counts");
    let mut reader = csv::Reader::from_reader(one.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[0], "series");
    assert_eq!(header[1], "design.n_per_arm");
    assert!(header.contains(&"power_change_vs_previous".to_string()));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let text = shipped("study_depression_selection.toml");
    let labels: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("label = \"")).map(|l| l.trim_end_matches('"')).collect();
    assert_eq!(labels.len(), 8);
    for label in &labels {
        assert_eq!(rows.iter().filter(|r| &r[0] == *label).count(), 2, "series `{label}`");
    }
    // The command-line sweep replaced the file's grid of n.
    assert!(rows.iter().all(|r| &r[1] == "20" || &r[1] == "40"));
}

#[test]
fn the_headline_power_curves_rise_with_n_or_the_paired_test_calls_the_dip_noise() {
    let source = Source::read(&scenario_path("study_depression_selection.toml")).unwrap();
    let scenario = source.resolve(&[], None).unwrap();
    let study = Study::new(scenario.sweep.as_ref(), Vec::new()).unwrap();
    let plans = study::plans(&source, &[], &study).unwrap();
    let runner = Runner::new(0, false);
    let outcomes = study::run(&study, &plans, &runner, RepsRule::FromScenario);
    let mut dips = 0;
    for (i, o) in outcomes.iter().enumerate() {
        if let Some(prev) = study.previous_along_last_axis(i) {
            let (p, q) = (outcomes[prev].rows[0].power, o.rows[0].power);
            if q < p {
                dips += 1;
                let paired = o.vs_previous[0].unwrap();
                assert!(
                    paired.p_value >= 0.05,
                    "{}: power falls {p} -> {q}, and the paired test says it is real (p {})",
                    study.describe(&study.points[i]),
                    paired.p_value
                );
            }
        }
    }
    // Common random numbers keep dips rare: a handful at most among 152 steps.
    assert!(dips <= 5, "{dips} dips");
}

#[test]
fn precision_control_meets_the_half_width_everywhere_and_is_thread_independent() {
    let run = |threads: &str| {
        let assert = mgtrial()
            .arg("run")
            .arg(scenario_path("depression_mgo_enriched.toml"))
            .args(["--sweep", "design.n_per_arm=10,30,60", "--precision", "0.012", "--threads", threads, "--out", "-"])
            .assert()
            .success();
        String::from_utf8(assert.get_output().stdout.clone()).unwrap()
    };
    let csv_text = run("1");
    assert_eq!(csv_text, run("2"));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let mut reps_seen = Vec::new();
    for r in reader.records() {
        let r = r.unwrap();
        let (lo, hi): (f64, f64) = (r[col("power_ci_low")].parse().unwrap(), r[col("power_ci_high")].parse().unwrap());
        assert!((hi - lo) / 2.0 <= 0.012, "half-width {} at n {}", (hi - lo) / 2.0, &r[0]);
        let reps: u32 = r[col("reps")].parse().unwrap();
        assert_eq!(reps % 1000, 0, "whole batches");
        reps_seen.push(reps);
    }
    // Points near power 0.5 need more replicates than points near 0 or 1.
    assert!(reps_seen.iter().max() > reps_seen.iter().min(), "{reps_seen:?}");
}

fn sample_size(target: &str) -> (u32, f64) {
    let assert = mgtrial()
        .arg("sample-size")
        .arg(scenario_path("textbook.toml"))
        .args(["--target", target, "--precision", "0.005", "--out", "-"])
        .assert()
        .success();
    let text = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let r = reader.records().next().unwrap().unwrap();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    assert_eq!(&r[col("reached")], "true");
    let spent: f64 = r[col("reps_spent")].parse().unwrap();
    let grid: f64 = r[col("grid_reps_estimate")].parse().unwrap();
    (r[col("value")].parse().unwrap(), spent / grid)
}

#[test]
fn sample_size_finds_the_textbook_answers() {
    // d = 0.5, alpha 0.05 two-sided: 64 per arm for 80% and 86 for 90% (noncentral t).
    let (n80, ratio80) = sample_size("0.8");
    assert!((62..=66).contains(&n80), "80%: {n80}");
    let (n90, ratio90) = sample_size("0.9");
    assert!((84..=88).contains(&n90), "90%: {n90}");
    // The search spends a small fraction of what a grid over every n would.
    assert!(ratio80 < 0.2 && ratio90 < 0.2, "{ratio80} {ratio90}");
}

#[test]
fn solve_for_a_threshold() {
    // The highest serum threshold at which 40 per arm reaches 80% power: enrichment at lower
    // thresholds raises power, so the answer is a maximum ("at_most").
    let assert = mgtrial()
        .arg("sample-size")
        .arg(scenario_path("depression_mgo_enriched.toml"))
        .args(["--set", "design.n_per_arm=40", "--solve-for", "selection.threshold", "--min", "0.6", "--max", "0.9"])
        .args(["--tolerance", "0.005", "--precision", "0.015", "--out", "-"])
        .assert()
        .success();
    let text = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let r = reader.records().next().unwrap().unwrap();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    assert_eq!(&r[col("direction")], "at_most");
    let t: f64 = r[col("value")].parse().unwrap();
    // From the sweep in the README: 40 per arm gives 0.86 at 0.70 and 0.68 at 0.75.
    assert!(t > 0.70 && t < 0.75, "threshold {t}");
}

#[test]
fn bad_sweeps_are_bad_input() {
    let path = scenario_path("textbook.toml");
    for (args, needle) in [
        (vec!["--sweep", "design.n_per_arm=60:20:20"], "START:STOP:STEP"),
        (vec!["--sweep", "design.n_per_armz=20,40"], "unknown field `n_per_armz`"),
        (vec!["--sweep", "design.n_per_arm=1,20"], "design.n_per_arm"),
        (vec!["--sweep", "design.n_per_arm"], "PATH="),
    ] {
        let assert = mgtrial().arg("run").arg(&path).args(&args).assert().code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let never = dir.path().join("never.svg");
    mgtrial().arg("plot").arg(&path).args(["--x", "nope", "--out"]).arg(&never).assert().code(2);
    assert!(!never.exists());
}

/// An error at a sweep point names the point once, whether it is found in the point's own
/// fields (a dropout above 1) or as its model is built (a count model's moments out of reach).
#[test]
fn an_error_at_a_sweep_point_names_it_once() {
    for (file, sweep, point) in [
        ("depression_mgo_enriched.toml", "dropout.active=0.1,1.5", "at sweep point dropout.active=1.5"),
        ("migraine_gaul2015.toml", "outcome.period_cv=0.1,9", "at sweep point outcome.period_cv=9"),
    ] {
        let path = scenario_path(file);
        let (_, stderr) = common::run(&["run", path.to_str().unwrap(), "--sweep", sweep, "--quiet"], 2);
        assert_eq!(stderr.matches(point).count(), 1, "{stderr}");
    }
}
