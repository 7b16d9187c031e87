//! Same scenario and seed give byte-identical CSV for any thread count; another seed differs.

mod common;
use common::{mgtrial, scenario_path};

fn csv(scenario: &str, threads: usize, seed: u64, extra: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let mut cmd = mgtrial();
    cmd.arg("run")
        .arg(scenario_path(scenario))
        .args(["--reps", "600", "--quiet", "--threads", &threads.to_string(), "--seed", &seed.to_string(), "--out"])
        .arg(&out)
        .args(extra);
    cmd.assert().success();
    std::fs::read(&out).unwrap()
}

#[test]
fn byte_identical_across_thread_counts() {
    for (scenario, extra) in [
        ("depression_mgo_enriched.toml", vec![]),
        ("depression_mgo_all_comers.toml", vec!["--set", "selection.mode=stratify"]),
        ("textbook.toml", vec![]),
        ("migraine_peikert1996.toml", vec![]),
        ("migraine_gaul2015.toml", vec!["--set", "analysis.by_stratum=true"]),
        ("migraine_peikert1996.toml", vec!["--set", "selection.mode=stratify", "--set", "selection.threshold=0.8"]),
    ] {
        let one = csv(scenario, 1, 11, &extra);
        let two = csv(scenario, 2, 11, &extra);
        let four = csv(scenario, 4, 11, &extra);
        assert_eq!(one, two, "{scenario}: 1 vs 2 threads");
        assert_eq!(one, four, "{scenario}: 1 vs 4 threads");
        let other = csv(scenario, 2, 12, &extra);
        assert_ne!(one, other, "{scenario}: another seed must give other numbers");
    }
}
