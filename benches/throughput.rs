//! Throughput benchmark: simulated participants per second, 1 and 2 threads.
//!
//! `cargo bench --bench throughput` (release profile). Prints, for the textbook scenario at
//! 100 per arm and the enriched depression scenario, enrolled participants per second (and
//! screened per second where screening is involved), median of 5 timed runs after a warm-up.

use mgtrial::{engine, plan::Plan, scenario};
use std::path::Path;
use std::time::Instant;

fn bench(file: &str, overrides: &[&str], reps: u32, threads: usize) {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(file);
    let s = scenario::load(&path, &overrides).expect("shipped scenario");
    let plan = Plan::new(&s, file).expect("valid plan");
    let opts = engine::RunOptions { reps, threads, progress: false };
    let _warm = engine::run(&plan, engine::RunOptions { reps: reps / 10 + 1, ..opts });
    let mut times = Vec::new();
    let mut enrolled = 0u64;
    let mut screened = 0u64;
    for _ in 0..5 {
        let t0 = Instant::now();
        let results = engine::run(&plan, opts);
        times.push(t0.elapsed().as_secs_f64());
        enrolled = results.arms.iter().map(|a| a.enrolled as u64).sum();
        screened = results.screened as u64;
    }
    times.sort_by(f64::total_cmp);
    let t = times[2];
    println!(
        "{file:<34} {threads} thread(s): {reps:>6} trials in {t:.3} s; {:.3e} enrolled participants/s ({:.3e} per thread); {:.3e} screened/s",
        enrolled as f64 / t,
        enrolled as f64 / t / threads as f64,
        screened as f64 / t
    );
}

fn main() {
    for threads in [1, 2] {
        bench("textbook.toml", &["design.n_per_arm=100"], 200_000, threads);
        bench("depression_mgo_enriched.toml", &[], 40_000, threads);
    }
}
