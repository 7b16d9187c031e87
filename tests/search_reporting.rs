//! How `sample-size` reports its answer: the exit code and statement of a search that does not
//! reach its target, the evaluated values whose power CI straddles the target, solved values
//! rounded to the search's tolerance, and p-values on the terminal.

mod common;
use common::{binomial_se, run, scenario_path, shipped, simulate};
use mgtrial::analysis::power::t_test_power;
use mgtrial::engine::Runner;
use mgtrial::scenario::{Override, Source};
use mgtrial::study::search::{self, Criterion, Evaluation, SearchResult, SearchSpec};
use std::collections::HashMap;
use std::path::Path;

/// The data rows of the CSV file at `path`, each as a lookup by column name.
fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("the CSV was written");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(String::from)).collect()).collect()
}

fn path_of(name: &str) -> String {
    scenario_path(name).display().to_string()
}

/// The same search `sample-size` runs for `scenario` with `--set sets` (no sweep), through the
/// library, so a test can see every evaluation the search made.
fn library_search(scenario: &str, sets: &[&str], spec: &SearchSpec) -> SearchResult {
    let source = Source::read(&scenario_path(scenario)).unwrap();
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let plan = mgtrial::study::plan_with(&source, &overrides, None, None).unwrap();
    search::search(&source, &overrides, &plan, spec, &Runner::new(0, false)).unwrap()
}

fn straddles(e: &Evaluation, target: f64) -> bool {
    e.ci.0 <= target && target <= e.ci.1
}

#[test]
fn search_that_does_not_reach_the_target_exits_1_and_states_the_power_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("n.csv");
    // d = 0.05 needs thousands per arm: 50 per arm is far short of 80% power.
    let (stdout, stderr) = run(
        &[
            "sample-size",
            &path_of("textbook.toml"),
            "--set",
            "response.delta=0.05",
            "--max",
            "50",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
        1,
    );
    assert!(!stderr.contains("error"), "not reaching the target is an answer, not an error: {stderr}");
    let rows = csv_rows(&out);
    let row = &rows[0];
    assert_eq!(row["reached"], "false");
    assert_eq!(row["value"], "");
    assert_eq!(row["n_per_arm"], "50", "the reported point is the high-power end of the range");
    assert_eq!((row["value_uncertain_low"].as_str(), row["value_uncertain_high"].as_str()), ("", ""));
    let (power, lo, hi): (f64, f64, f64) =
        (row["power"].parse().unwrap(), row["power_ci_low"].parse().unwrap(), row["power_ci_high"].parse().unwrap());
    let statement = format!(
        "design.n_per_arm: target power 0.8 not reached in 2..50: power at 50 is {power:.3} (95% CI {lo:.3}-{hi:.3})"
    );
    assert!(stdout.contains(&statement), "expected `{statement}` in:\n{stdout}");
    // The stated power is the power at 50 per arm: the noncentral t value within 3.5 MC SE.
    let expected = t_test_power(50.0, 50.0, 0.05, 1.0, 0.05, true);
    let se = binomial_se(expected, row["reps"].parse().unwrap());
    assert!((power - expected).abs() <= 3.5 * se, "power at 50: {power} vs {expected} (SE {se})");

    // Several design points: one that misses makes the exit 1, and every point is still written.
    let out = dir.path().join("series.csv");
    let (stdout, _) = run(
        &[
            "sample-size",
            &path_of("textbook.toml"),
            "--sweep",
            "response.delta=0.05,0.5",
            "--max",
            "200",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
        1,
    );
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0]["response.delta"].as_str(), rows[0]["reached"].as_str()), ("0.05", "false"));
    assert_eq!((rows[1]["response.delta"].as_str(), rows[1]["reached"].as_str()), ("0.5", "true"));
    let n: u32 = rows[1]["value"].parse().unwrap();
    assert!((62..=66).contains(&n), "d = 0.5 needs 64 per arm: {n}");
    assert!(
        stdout.contains(
            "response.delta=0.05: design.n_per_arm: target power 0.8 not reached in 2..200: power at 200 is "
        ),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("response.delta=0.5: design.n_per_arm >= {n}")), "{stdout}");

    // A continuous --solve-for search states it likewise, at the end where power is highest.
    let out = dir.path().join("delta.csv");
    let (stdout, _) = run(
        &[
            "sample-size",
            &path_of("textbook.toml"),
            "--solve-for",
            "response.delta",
            "--min",
            "0.01",
            "--max",
            "0.05",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
        1,
    );
    assert!(
        stdout.contains("response.delta: target power 0.8 not reached in 0.01..0.05: power at 0.05 is "),
        "{stdout}"
    );
    assert_eq!(csv_rows(&out)[0]["reached"], "false");
}

#[test]
fn search_reports_the_range_whose_ci_straddles_the_target() {
    let spec = SearchSpec::new(None, true, None, None, None, 0.8, Criterion::Estimate, 0.01, 200_000, None).unwrap();
    let r = library_search("textbook.toml", &[], &spec);
    let answer = r.value.expect("64 per arm reaches 80% at d = 0.5");
    let straddling: Vec<&Evaluation> = r.evaluations.iter().filter(|e| straddles(e, 0.8)).collect();
    let lo = straddling.iter().map(|e| e.value).fold(f64::INFINITY, f64::min);
    let hi = straddling.iter().map(|e| e.value).fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(r.uncertain, Some((lo, hi)), "the span of the evaluated values whose CI contains 0.8");
    // The final bracket: the answer and the largest failing value below it, adjacent whole
    // numbers. With half-widths of ~0.01 (about 2 n of power slope at 0.8), both ends' CIs
    // contain the target at this seed, so the span holds the boundary between them.
    let below = r.evaluations.iter().filter(|e| !e.passes && e.value < answer).map(|e| e.value).fold(0.0, f64::max);
    assert_eq!(below, answer - 1.0);
    assert!(lo <= below && answer <= hi, "span {lo}-{hi}, bracket {below}-{answer}");
    // Each straddling evaluation is what simulating that n with as many replicates gives (the
    // search uses replicates 0, 1, 2, ... at every value), and its power is near 0.8 in truth:
    // its CI contains 0.8, and the noncentral t power lies within 3.5 MC SE of its estimate.
    let textbook = shipped("textbook.toml");
    for e in &straddling {
        let again =
            simulate(&textbook, &[&format!("design.n_per_arm={}", e.value), &format!("design.reps={}", e.reps)]);
        assert_eq!(again.power, e.power, "n {}", e.value);
        let truth = t_test_power(e.value, e.value, 0.5, 1.0, 0.05, true);
        let se = binomial_se(truth, f64::from(e.reps));
        let reach = (e.power - e.ci.0).max(e.ci.1 - e.power);
        assert!((truth - 0.8).abs() <= 3.5 * se + reach, "n {}: true power {truth}, estimate {}", e.value, e.power);
    }
    // The command reports the same span in its table and CSV.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("n.csv");
    let (stdout, _) = run(&["sample-size", &path_of("textbook.toml"), "-q", "--out", out.to_str().unwrap()], 0);
    let row = &csv_rows(&out)[0];
    assert_eq!(row["value"], answer.to_string());
    assert_eq!(
        (row["value_uncertain_low"].clone(), row["value_uncertain_high"].clone()),
        (lo.to_string(), hi.to_string())
    );
    let line = format!("design.n_per_arm >= {answer} (power CI straddles 0.8 for {lo}-{hi})");
    assert!(stdout.contains(&line), "expected `{line}` in:\n{stdout}");
}

#[test]
fn solved_threshold_is_rounded_to_the_tolerance() {
    let sets = ["design.n_per_arm=40"];
    let args = |tolerance: Option<&str>, out: &str| {
        let mut a: Vec<String> = ["sample-size", &path_of("depression_mgo_enriched.toml"), "--set", sets[0]]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(
            ["--solve-for", "selection.threshold", "--min", "0.6", "--max", "0.9", "--precision", "0.015", "-q"]
                .map(String::from),
        );
        if let Some(t) = tolerance {
            a.extend(["--tolerance".to_string(), t.to_string()]);
        }
        a.extend(["--out".to_string(), out.to_string()]);
        a
    };
    let decimals = |cell: &str| cell.split('.').nth(1).map_or(0, str::len);
    let dir = tempfile::tempdir().unwrap();
    // Tolerance 0.0005: four decimals.
    let out = dir.path().join("t.csv");
    let a = args(Some("0.0005"), out.to_str().unwrap());
    let (stdout, _) = run(&a.iter().map(String::as_str).collect::<Vec<_>>(), 0);
    let row = &csv_rows(&out)[0];
    let value = row["value"].clone();
    assert_eq!(decimals(&value), 4, "{value}");
    for cell in ["value_uncertain_low", "value_uncertain_high"] {
        assert_eq!(decimals(&row[cell]), 4, "{cell} {}", row[cell]);
    }
    assert!(stdout.contains(&format!("selection.threshold <= {value} (")), "{stdout}");
    // The printed value is the passing bracket end the search evaluated, rounded: bisection
    // midpoints of 0.6..0.9 have many more digits than the tolerance supports.
    let spec = SearchSpec::new(
        Some("selection.threshold"),
        false,
        Some(0.6),
        Some(0.9),
        Some(0.0005),
        0.8,
        Criterion::Estimate,
        0.015,
        200_000,
        None,
    )
    .unwrap();
    let r = library_search("depression_mgo_enriched.toml", &sets, &spec);
    let evaluated = r.value.expect("reached");
    assert!(
        r.evaluations.iter().any(|e| e.value == evaluated && e.passes),
        "the answer is an evaluated, passing value"
    );
    assert_eq!(value, format!("{evaluated:.4}"));
    assert!(evaluated.to_string().len() > "0.0000".len(), "raw {evaluated} already round: the test shows nothing");
    // Default tolerance, (0.9 - 0.6) / 200 = 0.0015: three decimals.
    let out = dir.path().join("default.csv");
    let a = args(None, out.to_str().unwrap());
    run(&a.iter().map(String::as_str).collect::<Vec<_>>(), 0);
    let value = csv_rows(&out)[0]["value"].clone();
    assert_eq!(decimals(&value), 3, "{value}");
}

#[test]
fn paired_p_below_0_001_is_printed_as_p_lt_0_001() {
    // 10 and 100 per arm at d = 0.5: power 0.18 and 0.94, so McNemar's p on 10,000 shared
    // replicates is far below 0.001.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep.csv");
    let (stdout, _) = run(
        &["run", &path_of("textbook.toml"), "--sweep", "design.n_per_arm=10,100", "-q", "--out", out.to_str().unwrap()],
        0,
    );
    assert!(stdout.contains("(p < 0.001)"), "{stdout}");
    assert!(!stdout.contains("p 0.000"), "{stdout}");
    // The CSV keeps the number itself.
    let rows = csv_rows(&out);
    let p: f64 = rows[1]["paired_p_vs_previous"].parse().expect("a number, not text");
    assert!(p < 0.001, "{p}");
}
