//! The command line: CSV columns and rows, `--set`, `--out -`, `explain`, several active arms.

mod common;
use common::{mgtrial, scenario_path, shipped};

const REQUIRED: [&str; 17] = [
    "scenario",
    "n_per_arm",
    "reps",
    "power",
    "power_ci_low",
    "power_ci_high",
    "mean_estimate",
    "sd_estimate",
    "true_effect",
    "bias",
    "ci_coverage",
    "mean_screened",
    "screened_per_enrolled",
    "ppv_deficient",
    "dropout_rate",
    "normal_at_end_placebo",
    "normal_at_end_active",
];

fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

fn col(header: &[String], row: &[String], name: &str) -> f64 {
    let i = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    row[i].parse().unwrap_or_else(|_| panic!("{name} = {:?} is not a number", row[i]))
}

#[test]
fn run_writes_the_documented_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("power.csv");
    let assert = mgtrial()
        .arg("run")
        .arg(scenario_path("depression_mgo_enriched.toml"))
        .args(["--reps", "300", "--set", "design.n_per_arm=40", "--out"])
        .arg(&out)
        .assert()
        .success();
    // Not a terminal: no progress bar, nothing on stderr.
    assert!(assert.get_output().stderr.is_empty());
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("power") && stdout.contains("PPV"), "{stdout}");
    let (header, rows) = read_csv(&std::fs::read_to_string(&out).unwrap());
    for c in REQUIRED {
        assert!(header.iter().any(|h| h == c), "missing column {c}");
    }
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(col(&header, row, "n_per_arm"), 40.0);
    assert_eq!(col(&header, row, "reps"), 300.0);
    let (p, lo, hi) =
        (col(&header, row, "power"), col(&header, row, "power_ci_low"), col(&header, row, "power_ci_high"));
    assert!(lo <= p && p <= hi && 0.0 <= lo && hi <= 1.0);
    assert!(col(&header, row, "screened_per_enrolled") > 1.0);
    assert!(!row.iter().any(|c| c.contains("NaN") || c.contains("inf")));
}

#[test]
fn out_dash_writes_csv_to_stdout_and_the_table_to_stderr() {
    let assert = mgtrial()
        .arg("run")
        .arg(scenario_path("textbook.toml"))
        .args(["--reps", "100", "--out", "-"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.starts_with("scenario,comparison,"));
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("power"));
}

#[test]
fn several_active_arms_give_one_row_each() {
    let text = shipped("depression_mgo_enriched.toml").replace(
        "[response]",
        "[[arms]]\nname = \"citrate_300\"\nkind = \"active\"\nformulation = \"citrate\"\ndose_mg_per_day = 300\n\n[response]",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("three_arms.toml");
    std::fs::write(&path, text).unwrap();
    // Two comparisons with placebo: how they are adjusted must be stated.
    let refused = mgtrial().arg("run").arg(&path).args(["--reps", "200"]).assert().code(2);
    let message = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(message.contains("analysis.multiplicity") && message.contains("\"hochberg\""), "{message}");
    let assert = mgtrial()
        .arg("run")
        .arg(&path)
        .args(["--reps", "2000", "--set", "analysis.multiplicity=none", "--out", "-"])
        .assert()
        .success();
    let (header, rows) = read_csv(&String::from_utf8_lossy(&assert.get_output().stdout));
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0][1], "mgo_500");
    assert_eq!(rows[1][1], "citrate_300");
    // The family's rows: at least one, every one, and at least one under the global null.
    let family: Vec<&str> = rows[2..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(family, ["any_comparison", "every_comparison", "any_under_global_null"]);
    assert_eq!(header[header.len() - 2..], ["multiplicity", "power_unadjusted"]);
    // Unadjusted, each comparison's power is its own test's.
    assert_eq!(col(&header, &rows[0], "power"), col(&header, &rows[0], "power_unadjusted"));
    // Citrate is absorbed better than oxide (lit. file s.1), so its true effect is larger.
    assert!(col(&header, &rows[1], "true_effect") > col(&header, &rows[0], "true_effect"));
    // Three arms of 30 are enrolled.
    assert!((col(&header, &rows[0], "mean_enrolled") - 90.0).abs() < 1e-9);
}

#[test]
fn explain_prints_the_resolved_scenario_and_derived_quantities() {
    let assert = mgtrial().arg("explain").arg(scenario_path("depression_mgo_enriched.toml")).assert().success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    for needle in [
        "persistent_sd = 0.03",
        "normal_low = 0.75",
        "F 0.140 x 300 mg/day",
        "enrolment probability",
        "expected screened per enrolled",
        "PPV",
        "mg/day absorbed",
        "expected effect",
        "approximate power",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
    }
}

#[test]
fn set_overrides_arm_fields_by_name_and_index() {
    for path in ["arms.mgo_500.dose_mg_per_day=600", "arms.1.dose_mg_per_day=600"] {
        let assert = mgtrial()
            .arg("explain")
            .arg(scenario_path("depression_mgo_enriched.toml"))
            .args(["--set", path])
            .assert()
            .success();
        let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
        assert!(out.contains("dose_mg_per_day = 600"), "{path}");
    }
}

#[test]
fn help_and_version_exit_zero() {
    mgtrial().arg("--help").assert().success();
    mgtrial().arg("--version").assert().success();
    mgtrial().arg("frobnicate").assert().code(2);
}

/// The resolved scenario that `explain` prints is itself a valid scenario, for every biomarker
/// type's defaults (once, the loading test's default scale of 127 was refused when written out).
#[test]
fn explain_output_is_a_valid_scenario_for_every_biomarker_type() {
    let dir = tempfile::tempdir().unwrap();
    for kind in ["serum_total", "ionized", "red_cell", "loading_test"] {
        let out = mgtrial()
            .arg("explain")
            .arg(scenario_path("depression_mgo_all_comers.toml"))
            .args(["--set", &format!("biomarker.type=\"{kind}\"")])
            .assert()
            .success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        let resolved = text.split("\n# Derived quantities").next().unwrap();
        let path = dir.path().join(format!("{kind}.toml"));
        std::fs::write(&path, resolved).unwrap();
        mgtrial().arg("run").arg(&path).args(["--reps", "20", "-q"]).assert().success();
    }
}
