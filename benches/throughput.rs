//! Throughput benchmark: simulated participants per second, next to the random-number floor,
//! for 1 and 2 threads; for count outcomes, negative-binomial-analysed trials per second.
//!
//! `cargo bench --bench throughput` (release profile). For each workload it prints the
//! median of 5 timed runs after a warm-up: enrolled participants per second (in all and per
//! thread), ns per participant and thread, and CPU time over wall time (2.0 means both cores
//! were busy the whole run; less on a machine another job shares). The floor is the cost of
//! drawing standard normals with the trial's own generator and normal sampler in a tight loop:
//! the textbook trial draws one normal per participant, so its ns per participant over the
//! floor is the loop's overhead ratio.

use mgtrial::engine::{self, Runner};
use mgtrial::rng::{standard_normal, stream_rng};
use mgtrial::scenario::sweep::Study;
use mgtrial::scenario::{self, Source};
use mgtrial::study::{self, RepsRule};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn scenario_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name)
}

/// CPU time (user + system) of this process so far, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: an all-zero rusage is valid, and getrusage writes only into it.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to `u`.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

/// Median wall time of 5 runs of `f` after one warm-up, with the CPU time of that run.
fn timed(mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut runs: Vec<(f64, f64)> = (0..5)
        .map(|_| {
            let (t0, c0) = (Instant::now(), cpu_seconds());
            f();
            (t0.elapsed().as_secs_f64(), cpu_seconds() - c0)
        })
        .collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs[2]
}

/// ns per standard normal, drawn from one trial stream (summed so the draws are used).
fn floor_ns_per_normal() -> f64 {
    const DRAWS: u64 = 20_000_000;
    let (wall, _) = timed(|| {
        let mut rng = stream_rng(1, 0, 0);
        let mut sum = 0.0;
        for _ in 0..DRAWS {
            sum += standard_normal(&mut rng);
        }
        black_box(sum);
    });
    wall / DRAWS as f64 * 1e9
}

fn report(label: &str, participants: f64, threads: usize, wall: f64, cpu: f64, floor_ns: f64) {
    let per_thread = participants / wall / threads as f64;
    let ns = 1e9 / per_thread;
    println!(
        "{label:<40} {threads} thread(s): {:.3e} participants/s ({per_thread:.3e} per thread, {ns:6.2} ns each = {:.2}x the \
         floor); CPU/wall {:.2}",
        participants / wall,
        ns / floor_ns,
        cpu / wall
    );
}

/// Times `reps` replicates of one shipped design point: (participants enrolled, wall, CPU).
fn time_point(file: &str, overrides: &[&str], reps: u32, threads: usize) -> (f64, f64, f64) {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let s = scenario::load(&scenario_file(file), &overrides).expect("shipped scenario");
    let plan = mgtrial::engine::calibration::plan(&s, file, None).expect("valid plan");
    let opts = engine::RunOptions { reps, threads, progress: false };
    let mut enrolled = 0.0;
    let (wall, cpu) = timed(|| enrolled = engine::run(&plan, opts).arms.iter().map(|a| a.enrolled).sum());
    (enrolled, wall, cpu)
}

fn bench_point(label: &str, file: &str, overrides: &[&str], reps: u32, threads: usize, floor_ns: f64) {
    let (enrolled, wall, cpu) = time_point(file, overrides, reps, threads);
    report(label, enrolled, threads, wall, cpu, floor_ns);
}

/// A count-outcome point: NB-analysed trials per second beside participants per second.
fn bench_trials(label: &str, file: &str, overrides: &[&str], reps: u32, threads: usize) {
    let (enrolled, wall, cpu) = time_point(file, overrides, reps, threads);
    println!(
        "{label:<40} {threads} thread(s): {:.3e} trials/s ({:.1} us per trial and thread), {:.3e} participants/s; \
         CPU/wall {:.2}",
        f64::from(reps) / wall,
        wall * threads as f64 / f64::from(reps) * 1e6,
        enrolled / wall,
        cpu / wall
    );
}

fn bench_sweep(label: &str, file: &str, threads: usize, floor_ns: f64) {
    let source = Source::read(&scenario_file(file)).expect("shipped scenario");
    let scenario = source.resolve(&[], None).expect("valid scenario");
    let study =
        Study::with_paths(scenario.sweep.as_ref(), Vec::new(), |p| source.canonical_path(&[], p)).expect("valid sweep");
    let plans = study::plans(&source, &[], &study).expect("valid plans");
    let runner = Runner::new(threads, false);
    let mut enrolled = 0.0;
    let (wall, cpu) = timed(|| {
        let points = study::run(&study, &plans, &runner, RepsRule::FromScenario);
        enrolled = points.iter().map(|p| p.rows[0].mean_enrolled * f64::from(p.rows[0].reps)).sum();
    });
    report(label, enrolled, threads, wall, cpu, floor_ns);
}

fn main() {
    // `cargo bench --bench throughput -- WORD` runs only the workloads whose label has WORD.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_default();
    let wanted = |label: &str| label.contains(&filter);
    let floor_ns = floor_ns_per_normal();
    println!("floor: {floor_ns:.2} ns per standard normal (Xoshiro256++ and the ziggurat, one thread)");
    for threads in [1, 2] {
        for n in [20, 100, 400] {
            let reps = 8_000_000 / (2 * n);
            let set = format!("design.n_per_arm={n}");
            let label = format!("textbook, {n} per arm");
            if wanted(&label) {
                bench_point(&label, "textbook.toml", &[&set], reps, threads, floor_ns);
            }
        }
        let label = "enriched depression (Rajizadeh)";
        if wanted(label) {
            bench_point(label, "depression_mgo_enriched.toml", &[], 40_000, threads, floor_ns);
        }
        let label = "migraine (Peikert 43:38), NB Wald only";
        if wanted(label) {
            bench_trials(label, "migraine_peikert1996.toml", &["analysis.secondary=[]"], 20_000, threads);
        }
        let label = "migraine (Peikert), 6 analyses shipped";
        if wanted(label) {
            bench_trials(label, "migraine_peikert1996.toml", &[], 20_000, threads);
        }
        let label = "sweep: formulation x dose (12 points)";
        if wanted(label) {
            bench_sweep(label, "sweep_formulation_dose.toml", threads, floor_ns);
        }
    }
}
