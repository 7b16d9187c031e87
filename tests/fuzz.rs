//! Property tests of robustness, run in CI for a bounded number of cases: random mutations of
//! the shipped scenario files and random `--set` and `--sweep` values either give a clean
//! error or a valid run — never a panic, a hang, a NaN or an infinity in the output, or (through
//! the command line) an output file left behind after an error.

mod common;
use common::{mgtrial, shipped};
use mgtrial::{engine, plan::Plan, scenario, study, summary};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// The shipped scenarios the mutations start from.
const FILES: [&str; 6] = [
    "textbook.toml",
    "depression_mgo_enriched.toml",
    "migraine_peikert1996.toml",
    "migraine_gaul2015.toml",
    "study_depression_interaction.toml",
    "sweep_duration.toml",
];

/// Values a mutation writes: edge cases of every type the schema has.
const VALUES: [&str; 26] = [
    "0",
    "-1",
    "1",
    "2",
    "0.5",
    "1e-9",
    "1e9",
    "1e300",
    "-1e300",
    "nan",
    "inf",
    "-inf",
    "0.0",
    "3.6",
    "100",
    "4294967296",
    "\"\"",
    "\"x\"",
    "\"stratify\"",
    "\"attacks\"",
    "\"migraine_days\"",
    "true",
    "false",
    "[]",
    "[1, 2]",
    "{ a = 1 }",
];

/// Fields the `--set` strategy picks from, each with values of its own type (in range and at
/// or beyond the edges), so that many combinations are valid designs; the other values reach
/// every field through [`VALUES`] too.
const PATHS: [(&str, &[&str]); 37] = [
    ("design.n_per_arm", &["2", "3", "10", "40", "0", "1"]),
    ("design.reps", &["1", "20", "0"]),
    ("design.duration_weeks", &["0.1", "8", "52", "0", "1e5"]),
    ("selection.mode", &["\"all_comers\"", "\"stratify\"", "\"enrich\"", "\"two_stage\""]),
    ("selection.threshold", &["0.7", "0.75", "0.8", "0.9", "-1", "75"]),
    ("analysis.test", &["\"welch\"", "\"ancova\"", "\"negbin_wald\"", "\"fisher\"", "\"wilcoxon\""]),
    ("analysis.secondary", &["[]", "[\"chi_square\"]", "[\"poisson\", \"negbin_lr\"]", "[\"ancova\"]"]),
    ("analysis.by_stratum", &["true", "false"]),
    ("analysis.alpha", &["0.05", "0.5", "1e-6", "0.01"]),
    ("analysis.responder.rule", &["\"remission\"", "\"relative_improvement\""]),
    ("analysis.responder.fraction", &["0.5", "1", "0.01", "1.5"]),
    ("analysis.responder.cutoff", &["0", "5", "12", "-3"]),
    ("outcome.count", &["\"attacks\"", "\"migraine_days\""]),
    ("outcome.baseline_mean", &["0.1", "3.6", "27", "1e5"]),
    ("outcome.baseline_sd", &["0.5", "2.5", "8", "30"]),
    ("outcome.theta", &["0.05", "2.5", "1e6"]),
    ("outcome.followup_weeks", &["0.14", "4", "52"]),
    ("outcome.period_cv", &["0", "0.3", "10"]),
    ("outcome.placebo_reduction_percent", &["-50", "0", "15.8", "60", "99"]),
    ("outcome.placebo_improvement", &["-10", "0", "10.4", "30"]),
    ("outcome.natural_improvement", &["-3", "0", "2"]),
    ("response.max_effect", &["-2", "0", "0.5", "20"]),
    ("response.max_rate_ratio", &["0.1", "0.6", "1", "1.5"]),
    ("response.rate_ratio", &["0.5", "1", "2"]),
    ("response.calibration.benefit", &["-3", "0", "5.25", "100"]),
    ("response.calibration.among", &["\"enrolled\"", "\"deficient\"", "\"observed_change\""]),
    ("response.calibration.active_reduction_percent", &["0", "41.6", "90"]),
    ("response.calibration.placebo_reduction_percent", &["0", "15.8", "50"]),
    ("response.calibration.published_design.threshold", &["0.6", "0.75", "2.0"]),
    ("response.calibration.published_design.selection_mode", &["\"all_comers\"", "\"enrich\"", "\"stratify\""]),
    ("response.calibration.published_design.dose_mg_per_day", &["0", "300", "600"]),
    ("assumptions.harmful_effect", &["true", "false"]),
    ("assumptions.beyond_literature", &["[\"outcome.placebo_improvement\"]", "[\"x\"]"]),
    ("response.delta", &["-5", "0", "0.3", "5"]),
    ("response.model", &["\"fixed\"", "\"repletion\""]),
    ("dropout.active", &["0", "0.5", "0.99"]),
    ("population.deficiency_prevalence", &["0", "0.15", "1"]),
];

/// Whether `path` belongs to the outcome family and effect form of `file` (the migraine files
/// count; the depression ones calibrate; the others state their effect).
fn fits(path: &str, file: &str) -> bool {
    let counts = file.starts_with("migraine");
    let calibrates =
        ["depression_mgo_enriched.toml", "sweep_duration.toml", "migraine_peikert1996.toml", "migraine_gaul2015.toml"]
            .contains(&file);
    let count_only = [
        "outcome.theta",
        "outcome.followup_weeks",
        "outcome.period_cv",
        "outcome.placebo_reduction_percent",
        "response.max_rate_ratio",
        "response.rate_ratio",
        "response.calibration.active_reduction_percent",
        "response.calibration.placebo_reduction_percent",
    ];
    let scale_only = [
        "outcome.placebo_improvement",
        "outcome.natural_improvement",
        "response.max_effect",
        "response.delta",
        "response.calibration.benefit",
        "response.calibration.among",
    ];
    let stated_only = ["response.max_effect", "response.max_rate_ratio"];
    if count_only.contains(&path) && !counts || scale_only.contains(&path) && counts {
        return false;
    }
    if stated_only.contains(&path) && calibrates || path.starts_with("response.calibration") && !calibrates {
        return false;
    }
    file != "textbook.toml"
        || !(path.starts_with("population.") && path != "population.model" || path.starts_with("selection."))
}

/// Largest trial (participants x replicates) the property simulates: bigger valid designs are
/// only resolved, since their run time (linear in size) is not what is tested here.
const MAX_WORK: u64 = 400_000;

/// A mutated scenario: one `key = value` line given another value, or removed.
fn mutate(text: &str, line: usize, value: &str, remove: bool) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let assignments: Vec<usize> =
        (0..lines.len()).filter(|&i| lines[i].contains(" = ") && !lines[i].trim_start().starts_with('#')).collect();
    let target = assignments[line % assignments.len()];
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    if remove {
        out.remove(target);
    } else {
        let key = lines[target].split(" = ").next().expect("a key");
        out[target] = format!("{key} = {value}");
    }
    out.join("\n")
}

/// Resolves and (when small enough) simulates `text` with `overrides` through the library;
/// panics on a NaN or infinity in any row. Returns whether it simulated.
fn exercise(text: &str, overrides: &[String]) -> bool {
    let parsed: Result<Vec<scenario::Override>, _> = overrides.iter().map(|o| scenario::Override::parse(o)).collect();
    let Ok(parsed) = parsed else { return false };
    let Ok(source) = scenario::Source::parse(text.to_string(), "fuzz.toml", "fuzz") else { return false };
    let mut overrides = parsed;
    overrides.push(scenario::Override { path: "design.reps".into(), value: toml::Value::Integer(20) });
    let Ok(plan) = study::single_plan(&source, &overrides) else { return false };
    check_plan(&plan)
}

fn check_plan(plan: &Plan) -> bool {
    let reps = plan.scenario.design.reps;
    if u64::from(plan.total_enrolled()) * u64::from(reps) > MAX_WORK {
        return false;
    }
    let results = engine::run(plan, engine::RunOptions { reps, threads: 1, progress: false });
    for row in summary::summarize(plan, plan.scenario.design.seed, &results) {
        let cells = mgtrial::export::record(&row);
        for (name, cell) in mgtrial::export::COLUMNS.iter().zip(&cells) {
            let lower = cell.to_lowercase();
            assert!(!lower.contains("nan") && !lower.contains("inf"), "{name} = {cell} in {row:?}");
        }
    }
    true
}

/// Counts the cases that reached a simulation, so that a property satisfied only by errors
/// fails: at least a quarter of the cases must run.
struct Ran(std::sync::atomic::AtomicU32);

impl Ran {
    fn note(&self, ran: bool) {
        self.0.fetch_add(u32::from(ran), std::sync::atomic::Ordering::Relaxed);
    }

    fn at_least(&self, cases: u32) {
        let ran = self.0.load(std::sync::atomic::Ordering::Relaxed);
        assert!(ran * 4 >= cases, "only {ran} of {cases} cases reached a simulation");
    }
}

fn runner(cases: u32) -> TestRunner {
    // A fixed seed: CI sees the same cases on every run; a failure is reproducible.
    TestRunner::new_with_rng(
        Config { cases, failure_persistence: None, ..Config::default() },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    )
}

#[test]
fn mutated_scenario_files_give_an_error_or_a_valid_run() {
    let strategy = (0..FILES.len(), 0usize..200, 0..VALUES.len(), any::<bool>());
    let ran = Ran(0.into());
    runner(300)
        .run(&strategy, |(file, line, value, remove)| {
            let text = mutate(&shipped(FILES[file]), line, VALUES[value], remove);
            ran.note(exercise(&text, &[]));
            Ok(())
        })
        .unwrap();
    ran.at_least(300);
}

#[test]
fn random_overrides_give_an_error_or_a_valid_run() {
    // Each override takes one of its field's own values, or (one time in four) any value.
    let strategy = (0..FILES.len(), proptest::collection::vec((0..PATHS.len(), 0usize..64, 0..VALUES.len()), 1..3));
    let ran = Ran(0.into());
    runner(300)
        .run(&strategy, |(file, sets)| {
            let overrides: Vec<String> = sets
                .iter()
                .map(|&(p, pick, v)| {
                    // Three times in four a field of the file's own outcome family and effect
                    // form, with one of its own values; else any field, any value.
                    let own_family = pick % 4 != 3;
                    let p = if own_family {
                        (p..p + PATHS.len())
                            .map(|k| k % PATHS.len())
                            .find(|&k| fits(PATHS[k].0, FILES[file]))
                            .unwrap_or(p)
                    } else {
                        p
                    };
                    let (path, own) = PATHS[p];
                    let value = if own_family { own[pick % own.len()] } else { VALUES[v] };
                    format!("{path}={value}")
                })
                .collect();
            ran.note(exercise(&shipped(FILES[file]), &overrides));
            Ok(())
        })
        .unwrap();
    ran.at_least(300);
}

/// Through the command line, with a sweep: exit 0 with a CSV, or exit 2 with a message and no
/// file left; never a panic or another code.
#[test]
fn the_command_line_leaves_no_file_after_an_error() {
    let strategy = (0..FILES.len(), 0..PATHS.len(), 0..VALUES.len(), 0..VALUES.len(), 0usize..200, 0..VALUES.len());
    let dir = tempfile::tempdir().unwrap();
    runner(40)
        .run(&strategy, |(file, path, a, b, line, value)| {
            let scenario = dir.path().join("s.toml");
            std::fs::write(&scenario, mutate(&shipped(FILES[file]), line, VALUES[value], false)).unwrap();
            let out = dir.path().join("out.csv");
            let _ = std::fs::remove_file(&out);
            let sweep = format!("{}={},{}", PATHS[path].0, VALUES[a], VALUES[b]);
            let o = mgtrial()
                .arg("run")
                .arg(&scenario)
                .args(["--reps", "20", "-q", "--sweep", &sweep, "--out"])
                .arg(&out)
                .timeout(std::time::Duration::from_secs(120))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            prop_assert!(!stderr.contains("panicked"), "{sweep}: {stderr}");
            match o.status.code() {
                Some(0) => {
                    let csv = std::fs::read_to_string(&out).unwrap();
                    prop_assert!(!csv.to_lowercase().contains("nan"), "{sweep}: NaN in the CSV");
                }
                Some(2) => prop_assert!(!out.exists(), "{sweep}: a file left after an error: {stderr}"),
                other => prop_assert!(false, "{sweep}: exit {other:?}: {stderr}"),
            }
            Ok(())
        })
        .unwrap();
}
