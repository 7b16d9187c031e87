//! Helpers shared by the integration tests.
#![allow(dead_code)]

use mgtrial::engine::{self, plan::Plan, summary::ComparisonSummary};
use mgtrial::scenario;
use std::path::PathBuf;

/// Simulates a scenario given as TOML text, with `--set`-style overrides; first comparison.
pub fn simulate(toml_text: &str, overrides: &[&str]) -> ComparisonSummary {
    simulate_all(toml_text, overrides).remove(0)
}

pub fn simulate_all(toml_text: &str, overrides: &[&str]) -> Vec<ComparisonSummary> {
    // As `mgtrial run` does: a calibration is solved on the scenario as written.
    let overrides: Vec<scenario::Override> =
        overrides.iter().map(|s| scenario::Override::parse(s).expect("a PATH=VALUE override")).collect();
    let source = scenario::Source::parse(toml_text.to_string(), "test.toml", "test").expect("valid TOML");
    let plan: Plan = mgtrial::study::single_plan(&source, &overrides).expect("valid test scenario");
    let s = &plan.scenario;
    let opts = engine::RunOptions { reps: s.design.reps, threads: 0, progress: false };
    let results = engine::run(&plan, opts);
    mgtrial::engine::summary::summarize(&plan, s.design.seed, &results)
}

/// The plan of a scenario given as TOML text, as `mgtrial run` makes it (calibrated, inert
/// fields refused).
pub fn plan(toml_text: &str) -> Plan {
    let source = scenario::Source::parse(toml_text.to_string(), "test.toml", "test").expect("valid TOML");
    mgtrial::study::single_plan(&source, &[]).expect("valid test scenario")
}

pub fn shipped(name: &str) -> String {
    std::fs::read_to_string(scenario_path(name)).expect("shipped scenario")
}

pub fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name)
}

/// Monte Carlo SE of a proportion `p` estimated from `n` independent trials.
pub fn binomial_se(p: f64, n: f64) -> f64 {
    (p * (1.0 - p) / n).sqrt()
}

/// A textbook design: fixed effect, normal unbounded outcome, reliability 1, all comers,
/// no dropout, Welch; change SD 1 and baseline SD 1. Override fields with `--set` paths.
pub const TEXTBOOK: &str = r#"
[population]
model = "none"
[[arms]]
name = "placebo"
kind = "placebo"
[[arms]]
name = "active"
kind = "active"
[response]
model = "fixed"
delta = 0.5
[outcome]
direction = "higher_is_better"
placebo_improvement = 0.0
change_sd = 1.0
reliability = 1.0
min = -inf
max = inf
integer = false
[dropout]
placebo = 0.0
active = 0.0
[analysis]
test = "welch"
[design]
n_per_arm = 64
reps = 20000
seed = 7
"#;

/// Scenario `text` under the fixed response with `field = value` (`delta` on a scale,
/// `rate_ratio` on counts): the repletion response's fields, which would then do nothing, are
/// removed.
pub fn fixed_response(text: &str, field: &str, value: f64) -> String {
    edit_toml(text, |t| {
        let r = t.get_mut("response").and_then(|r| r.as_table_mut()).expect("a [response] section");
        for k in [
            "max_effect",
            "max_rate_ratio",
            "effect_replete",
            "replete_rate_ratio",
            "ref_deficit_mmol_per_l",
            "calibration",
        ] {
            r.remove(k);
        }
        r.insert("model".into(), "fixed".into());
        r.insert(field.into(), value.into());
    })
}

/// Scenario `text` with its TOML table changed by `change` (comments are lost).
pub fn edit_toml(text: &str, change: impl FnOnce(&mut toml::Table)) -> String {
    let mut t: toml::Table = text.parse().expect("valid TOML");
    change(&mut t);
    toml::to_string(&t).expect("a table serializes")
}

/// The baseline of [`TEXTBOOK`], for the designs where it reaches the output (ANCOVA,
/// responders, bounds, measurement error): mean 10, SD 1.
pub const TEXTBOOK_BASELINE: [&str; 2] = ["outcome.baseline_mean=10", "outcome.baseline_sd=1"];

/// With Mg status modelled, the active arm of [`TEXTBOOK`] needs what it takes (its exposure
/// sets the Mg status at the end of the trial).
pub const TEXTBOOK_EXPOSURE: [&str; 2] = ["arms.active.formulation=\"citrate\"", "arms.active.dose_mg_per_day=300"];

/// The mgtrial binary, with RUST_BACKTRACE removed (this environment sets it).
pub fn mgtrial() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("mgtrial").expect("binary built");
    c.env_remove("RUST_BACKTRACE");
    c
}

/// The first data row of a CSV text, as a lookup of a cell by column name.
pub fn first_row(text: &str) -> impl Fn(&str) -> String {
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().unwrap().clone();
    let row = rows.records().next().expect("a data row").unwrap();
    move |name: &str| row[header.iter().position(|c| c == name).unwrap_or_else(|| panic!("column {name}"))].to_string()
}

/// Runs mgtrial with `args` in `dir`; checks the exit code and that nothing panicked, and
/// returns (stdout, stderr).
pub fn run_in(dir: &std::path::Path, args: &[&str], code: i32) -> (String, String) {
    let out = mgtrial().current_dir(dir).args(args).timeout(std::time::Duration::from_secs(300)).assert().code(code);
    let o = out.get_output();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&o.stdout).to_string(), String::from_utf8_lossy(&o.stderr).to_string());
    assert!(!stderr.contains("panicked") && !stderr.contains("stack backtrace"), "{stderr}");
    (stdout, stderr)
}

/// [`run_in`] in the current directory.
pub fn run(args: &[&str], code: i32) -> (String, String) {
    run_in(std::path::Path::new("."), args, code)
}

/// `text` (a sealed file: a shard, checkpoint or provenance sidecar) with its seal recomputed
/// after an edit, as a forger would: what is left to catch the edit is the file's own
/// redundancy.
pub fn reseal(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let trimmed = text.strip_suffix('\n').unwrap_or(text);
    let body = &text[..trimmed.rfind('\n').map_or(0, |i| i + 1)];
    let sha: String = Sha256::digest(body.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("{body}{}{sha}\n", mgtrial::output::SEAL_PREFIX)
}

/// Writes `text` as a scenario and checks that `mgtrial explain` refuses it with exit code 2
/// and a message holding every one of `expect` (the field, what is allowed).
pub fn assert_refused(text: &str, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    let (_, e) = run(&["explain", path.to_str().unwrap()], 2);
    for x in expect {
        assert!(e.contains(x), "missing {x:?} in {e}");
    }
}

/// Monte Carlo SE of a simulated mean benefit over `enrolled` participants of the plan's
/// enrolled population, from a bound on a benefit's size given a person's deficit (mmol/L):
/// its variance is at most `E[bound(deficit)^2 | enrolled]`, by quadrature.
pub fn true_effect_se(plan: &Plan, enrolled: f64, bound: impl Fn(f64) -> f64) -> f64 {
    let mg = plan.mg.as_ref().expect("Mg status");
    let filters = plan.selection_filters();
    let total = mg.integrate(&filters, f64::INFINITY, |_| 1.0);
    let second = mg.integrate(&filters, f64::INFINITY, |m| bound(mg.deficit(m)).powi(2)) / total;
    (second / enrolled).sqrt()
}
