//! Throughput benchmark: simulated participants per second, next to the random-number floor,
//! for 1 and 2 threads; for count outcomes, negative-binomial-analysed trials per second.
//!
//! `cargo bench --bench throughput` (release profile). It first prints the machine's load, so
//! that a run on a busy machine shows itself, and at the end the floor measured again, with a
//! warning when it moved by more than 10% (a host that slowed this guest during the run). For each workload it times the median of 5 runs
//! after a warm-up, at 1 and then at 2 threads, and prints one line: enrolled participants per
//! second, ns per participant and thread, CPU time over wall time (2.0 means both cores were
//! busy the whole run; less on a machine another job shares), and the speed-up of 2 threads
//! over 1. The floor is the cost of
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

/// One timed run of a workload at a thread count: participants enrolled, simulated trials,
/// wall and CPU seconds.
struct Timing {
    participants: f64,
    trials: f64,
    wall: f64,
    cpu: f64,
}

/// Times `reps` replicates of one shipped design point.
fn time_point(file: &str, overrides: &[&str], reps: u32, threads: usize) -> Timing {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let s = scenario::load(&scenario_file(file), &overrides).expect("shipped scenario");
    let plan = mgtrial::engine::calibration::plan(&s, file, None).expect("valid plan");
    let opts = engine::RunOptions { reps, threads, progress: false };
    let mut participants = 0.0;
    let (wall, cpu) = timed(|| participants = engine::run(&plan, opts).arms.iter().map(|a| a.enrolled).sum());
    Timing { participants, trials: f64::from(reps), wall, cpu }
}

/// Times every design point of a shipped study (its plans built once, outside the timing).
fn time_study(file: &str, threads: usize) -> Timing {
    let source = Source::read(&scenario_file(file)).expect("shipped scenario");
    let scenario = source.resolve(&[], None).expect("valid scenario");
    let study =
        Study::with_paths(scenario.sweep.as_ref(), Vec::new(), |p| source.canonical_path(&[], p)).expect("valid sweep");
    let plans = study::plans(&source, &[], &study).expect("valid plans");
    let runner = Runner::new(threads, false);
    let (mut participants, mut trials) = (0.0, 0.0);
    let (wall, cpu) = timed(|| {
        let points = study::run(&study, &plans, &runner, RepsRule::FromScenario);
        participants = points.iter().map(|p| p.rows[0].mean_enrolled * f64::from(p.rows[0].reps)).sum();
        trials = points.iter().map(|p| f64::from(p.rows[0].reps)).sum();
    });
    Timing { participants, trials, wall, cpu }
}

/// ns per participant and thread, and CPU over wall time, at one thread count.
fn per_thread(t: &Timing, threads: usize) -> String {
    format!("{:7.2} ns, CPU/wall {:.2}", t.wall * threads as f64 / t.participants * 1e9, t.cpu / t.wall)
}

/// One workload at 1 and 2 threads, one line: ns per participant and thread (and its ratio to
/// the floor), per-trial time for count outcomes, CPU/wall, and the speed-up of 2 threads over
/// 1 (wall time at 1 over wall time at 2, for the same work).
fn bench(label: &str, counts: bool, floor_ns: f64, time: impl Fn(usize) -> Timing) {
    let (one, two) = (time(1), time(2));
    let ns = one.wall / one.participants * 1e9;
    let trial = if counts { format!(", {:.1} us per trial", one.wall / one.trials * 1e6) } else { String::new() };
    println!(
        "{label:<40} 1 thread: {:.3e} participants/s, {} ({:.2}x the floor{trial}) | 2 threads: {} | speed-up {:.2}x",
        one.participants / one.wall,
        per_thread(&one, 1),
        ns / floor_ns,
        per_thread(&two, 2),
        one.wall / two.wall
    );
}

/// The load average before the bench starts, from /proc, with a warning when another process
/// is already using a core: then the figures, the 2-thread ones above all, are not those of a
/// quiet machine (CPU/wall below 1 and 2 shows the same during the run).
fn machine_note() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = text.split_whitespace().take(3).collect();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut note = format!("load average {} (1, 5, 15 min), {cores} cores available", load.join(" "));
    if load.first().and_then(|l| l.parse::<f64>().ok()).is_some_and(|l| l >= 0.5) {
        note += "\nwarning: another process is using a core: not a quiet machine, so the scaling figures are not the \
                 machine's";
    }
    note
}

fn main() {
    // `cargo bench --bench throughput -- WORD` runs only the workloads whose label has WORD.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_default();
    let wanted = |label: &str| label.contains(&filter);
    println!("{}", machine_note());
    let floor_ns = floor_ns_per_normal();
    println!("floor: {floor_ns:.2} ns per standard normal (the Xoshiro256++ lanes and the ziggurat, one thread)");
    for n in [20, 100, 400] {
        let reps = 8_000_000 / (2 * n);
        let set = format!("design.n_per_arm={n}");
        let label = format!("textbook, {n} per arm");
        if wanted(&label) {
            bench(&label, false, floor_ns, |threads| time_point("textbook.toml", &[&set], reps, threads));
        }
    }
    let label = "enriched depression (Rajizadeh)";
    if wanted(label) {
        bench(label, false, floor_ns, |threads| time_point("depression_mgo_enriched.toml", &[], 40_000, threads));
    }
    let label = "enriched depression, 100 per arm";
    if wanted(label) {
        bench(label, false, floor_ns, |threads| {
            time_point("depression_mgo_enriched.toml", &["design.n_per_arm=100"], 20_000, threads)
        });
    }
    let label = "migraine (Peikert 43:38), NB Wald only";
    if wanted(label) {
        bench(label, true, floor_ns, |threads| {
            time_point("migraine_peikert1996.toml", &["analysis.secondary=[]"], 20_000, threads)
        });
    }
    let label = "migraine (Peikert), 6 analyses shipped";
    if wanted(label) {
        bench(label, true, floor_ns, |threads| time_point("migraine_peikert1996.toml", &[], 20_000, threads));
    }
    let label = "sweep: formulation x dose (12 points)";
    if wanted(label) {
        bench(label, false, floor_ns, |threads| time_study("sweep_formulation_dose.toml", threads));
    }
    let label = "study: selection x n (160 points)";
    if wanted(label) {
        bench(label, false, floor_ns, |threads| time_study("study_depression_selection.toml", threads));
    }
    // The floor again: a host that gives this guest less CPU during the run (time stolen by
    // other guests is invisible to the load average) shows as a floor that moved.
    let floor_after = floor_ns_per_normal();
    let drift = floor_after / floor_ns - 1.0;
    println!("floor after the run: {floor_after:.2} ns ({:+.0}%)", 100.0 * drift);
    if drift.abs() > 0.10 {
        println!(
            "warning: the floor moved by more than 10% during the run: the host's speed changed, so these figures \
             are not a quiet machine's"
        );
    }
}
