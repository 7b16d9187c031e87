//! Same scenario and seed give byte-identical CSV for any thread count, and on the AVX-512 and
//! portable paths of the random number generator; another seed differs.

mod common;
use common::{mgtrial, scenario_path};

fn csv(scenario: &str, threads: usize, seed: u64, extra: &[&str]) -> Vec<u8> {
    csv_on(scenario, threads, seed, extra, None)
}

/// `csv`, with `MGTRIAL_RNG_PATH` set to `path` (`portable` forces the portable lanes).
fn csv_on(scenario: &str, threads: usize, seed: u64, extra: &[&str], path: Option<&str>) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let mut cmd = mgtrial();
    match path {
        Some(p) => cmd.env("MGTRIAL_RNG_PATH", p),
        None => cmd.env_remove("MGTRIAL_RNG_PATH"),
    };
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

/// The generator's lanes stepped by AVX-512 (where this CPU has it: the development machine
/// does) and by the portable code give the same CSV, byte for byte: a run's output does not
/// depend on the CPU it ran on. (The words themselves are compared in `rng`'s unit tests.)
#[test]
fn byte_identical_on_the_simd_and_portable_paths() {
    #[cfg(target_arch = "x86_64")]
    if !(std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl")) {
        println!("this CPU has no AVX-512: both runs take the portable path");
    }
    for (scenario, extra) in [
        ("depression_mgo_enriched.toml", vec![]),
        ("textbook.toml", vec![]),
        ("migraine_peikert1996.toml", vec!["--set", "selection.mode=stratify", "--set", "selection.threshold=0.8"]),
        ("study_depression_selection.toml", vec![]),
    ] {
        let detected = csv_on(scenario, 2, 11, &extra, None);
        let portable = csv_on(scenario, 2, 11, &extra, Some("portable"));
        assert_eq!(detected, portable, "{scenario}: the detected and the portable path differ");
    }
}
