//! Throughput benchmark: simulated participants per second, next to the random-number floor,
//! at 1 and 2 threads, with the speed-up that the machine itself allows.
//!
//! `cargo bench --bench throughput` (release profile); `-- WORD` runs only the workloads whose
//! label has WORD. On a machine shared with other guests, a run is slowed but never sped up by
//! them, so every figure is the fastest of several runs, and the runs at 1 and at 2 threads
//! alternate (1, 2, 1, 2, ...) so that a slow spell of the host hits both alike:
//! - Before anything, the CPU the other processes of this guest use over one second, from
//!   `/proc/stat`, with a warning when they hold more than a tenth of a core. (The load average
//!   is no guide here: an idle kernel thread keeps it near 1 on this machine.)
//! - The floor: one standard normal drawn with the trials' own generator and sampler in a tight
//!   loop. The textbook trial draws one normal per participant, so its ns per participant over
//!   the floor is its loop's overhead.
//! - The ceiling: the same loop run on one thread alone and then on two threads at once, each
//!   its own work, nothing shared. Two over one is the most any workload can gain from a second
//!   thread on this machine at this moment: a host whose other guests share the cores gives
//!   less than 2.
//! - Each workload is sized so that one run at 1 thread takes about 0.4 s, then timed in 5
//!   alternating pairs after a warm-up. One line each: enrolled participants per second, ns per
//!   participant and thread, CPU time over wall time (2.0: both threads busy the whole run), the
//!   speed-up (fastest 1-thread run over fastest 2-thread run, for the same work), the speed-up
//!   as a share of the ceiling, and the spread (median over fastest of the 1-thread runs: how
//!   noisy the machine was).
//! - Several arms: the textbook design by ANCOVA with 2, 3 and 5 arms of 100, per participant
//!   enrolled in the trials (with several arms each trial has a twin under the global null,
//!   for the family-wise error rows, which draws the active arms again).
//! - The acute ED trial (three arms, strata of the ionized reading, Holm) and the crossover (per
//!   participant enrolled; each crossover trial also simulates its parallel twin with the same
//!   people).
//! - What modifies the effect: the enriched trial with side effects and saturable absorption,
//!   by complete cases (the usual loop with side effects) and with the baseline carried forward
//!   (the loop that measures everyone before dropout), the cognition trial's U-shape, and the
//!   enriched trial with 42% low in vitamin D, without and with a vitamin D test.
//! - At the end, the floor again, with a warning when it moved by more than 10%.

use mgtrial::engine::{self, Runner};
use mgtrial::rng::{standard_normal, stream_rng};
use mgtrial::scenario::sweep::Study;
use mgtrial::scenario::{self, Override, Source};
use mgtrial::study::{self, RepsRule};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Alternating pairs of timed runs (1 thread, 2 threads) per workload, after a warm-up pair.
const PAIRS: usize = 5;
/// Wall time of one 1-thread run a workload is sized to, in seconds.
const RUN_SECONDS: f64 = 0.4;

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

/// One timed run: participants enrolled, simulated trials, wall and CPU seconds.
#[derive(Clone, Copy)]
struct Timing {
    participants: f64,
    trials: f64,
    wall: f64,
    cpu: f64,
}

/// Times `work` (which returns its participants and trials) as one run.
fn timing(work: impl FnOnce() -> (f64, f64)) -> Timing {
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let (participants, trials) = work();
    Timing { participants, trials, wall: t0.elapsed().as_secs_f64(), cpu: cpu_seconds() - c0 }
}

/// A workload: one run at a thread count, `size` times its base amount of work.
type Workload = Box<dyn Fn(usize, u32) -> Timing + Sync>;

/// Runs of one workload: the fastest at 1 thread and at 2 threads, the fastest wall time of two
/// independent 1-thread copies run at once, and the spread of the 1-thread runs (median over
/// fastest).
struct Runs {
    one: Timing,
    two: Timing,
    copies_wall: f64,
    spread: f64,
}

/// The fastest of `runs` by wall time, and the median over it.
fn fastest(mut runs: Vec<Timing>) -> (Timing, f64) {
    runs.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    (runs[0], runs[runs.len() / 2].wall / runs[0].wall)
}

/// Wall time of two independent 1-thread runs of `run` at once, each on its own thread.
fn two_copies(run: &(dyn Fn(usize, u32) -> Timing + Sync), size: u32) -> f64 {
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| run(1, size));
        }
    });
    t0.elapsed().as_secs_f64()
}

/// Sizes `run` to about [`RUN_SECONDS`] at 1 thread, then times it in alternating triples:
/// 1 thread, 2 threads, two 1-thread copies at once.
fn alternated(run: &(dyn Fn(usize, u32) -> Timing + Sync)) -> Runs {
    let probe = run(1, 1);
    let size = (RUN_SECONDS / probe.wall).ceil().max(1.0) as u32;
    run(1, size);
    run(2, size);
    let (mut one, mut two, mut copies_wall) = (Vec::new(), Vec::new(), f64::INFINITY);
    for _ in 0..PAIRS {
        one.push(run(1, size));
        two.push(run(2, size));
        copies_wall = copies_wall.min(two_copies(run, size));
    }
    let ((one, spread), (two, _)) = (fastest(one), fastest(two));
    Runs { one, two, copies_wall, spread }
}

/// ns per standard normal in one run of `draws` from stream `key` (summed, so that the draws
/// are used).
fn normals_ns(draws: u64, key: u64) -> f64 {
    let t0 = Instant::now();
    let mut rng = stream_rng(1, key, 0);
    let mut sum = 0.0;
    for _ in 0..draws {
        sum += standard_normal(&mut rng);
    }
    black_box(sum);
    t0.elapsed().as_secs_f64() / draws as f64 * 1e9
}

const FLOOR_DRAWS: u64 = 20_000_000;

/// The floor: ns per standard normal, the fastest of 5 runs after a warm-up.
fn floor_ns_per_normal() -> f64 {
    normals_ns(FLOOR_DRAWS, 0);
    (0..5).map(|_| normals_ns(FLOOR_DRAWS, 0)).fold(f64::INFINITY, f64::min)
}

/// The ceiling: the floor's loop on one thread alone, then on two threads at once (each its own
/// stream and the same number of draws), alternated; the speed-up that perfectly independent
/// work gets from a second thread on this machine now, `2 t1 / t2` from the fastest runs.
fn ceiling_speedup() -> f64 {
    let pair = || {
        let t0 = Instant::now();
        std::thread::scope(|s| {
            for key in 0..2 {
                s.spawn(move || normals_ns(FLOOR_DRAWS, key));
            }
        });
        t0.elapsed().as_secs_f64()
    };
    let alone = || {
        let t0 = Instant::now();
        normals_ns(FLOOR_DRAWS, 0);
        t0.elapsed().as_secs_f64()
    };
    alone();
    pair();
    let (mut one, mut two) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..PAIRS {
        one = one.min(alone());
        two = two.min(pair());
    }
    2.0 * one / two
}

/// The shipped crossover without its `[crossover]` section: the parallel design with the same
/// people, alone (a crossover trial simulates it too, as its twin).
fn tarleton_in_parallel(reps: u32) -> Workload {
    let file = scenario_file("depression_tarleton2017_crossover.toml");
    let mut table: toml::Table = std::fs::read_to_string(&file).expect("shipped scenario").parse().expect("TOML");
    table.remove("crossover");
    let text = toml::to_string(&table).expect("TOML");
    let s = scenario::from_str(&text, "parallel.toml", "parallel", &[]).expect("valid scenario");
    let plan = mgtrial::engine::calibration::plan(&s, "parallel.toml", None).expect("valid plan");
    Box::new(move |threads, size| {
        let opts = engine::RunOptions { reps: reps * size, threads, progress: false };
        timing(|| (engine::run(&plan, opts).arms.iter().map(|a| a.enrolled).sum(), f64::from(reps * size)))
    })
}

/// A shipped design point, `reps` replicates per size unit (its plan built once, outside the
/// timing).
fn point(file: &str, overrides: &[&str], reps: u32) -> Workload {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let s = scenario::load(&scenario_file(file), &overrides).expect("shipped scenario");
    let plan = mgtrial::engine::calibration::plan(&s, file, None).expect("valid plan");
    Box::new(move |threads, size| {
        let opts = engine::RunOptions { reps: reps * size, threads, progress: false };
        timing(|| (engine::run(&plan, opts).arms.iter().map(|a| a.enrolled).sum(), f64::from(reps * size)))
    })
}

/// The shipped textbook design analysed by ANCOVA with `actives` active arms of 100 (`a1`,
/// ...) under `procedure`, `reps` replicates per size unit. Participants are those enrolled in
/// the trials: with several arms each trial also has a twin under the global null (for the
/// family-wise error rows), which draws its active arms again and takes the placebo arm's.
fn arms(actives: usize, procedure: &str, error_rate: bool, reps: u32) -> Workload {
    let text = std::fs::read_to_string(scenario_file("textbook.toml")).expect("shipped scenario");
    let arms: String = (1..=actives).map(|i| format!("[[arms]]\nname = \"a{i}\"\nkind = \"active\"\n\n")).collect();
    let mut text = text.replace("[[arms]]\nname = \"active\"\nkind = \"active\"\n", &arms);
    if actives > 1 {
        text = text.replace(
            "[analysis]\n",
            &format!("[analysis]\nmultiplicity = \"{procedure}\"\nreport_family_wise_error = {error_rate}\n"),
        );
    }
    let overrides: Vec<String> =
        ["analysis.test=\"ancova\"", "outcome.baseline_mean=0", "outcome.baseline_sd=1", "design.n_per_arm=100"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let s = scenario::from_str(&text, "arms.toml", "arms", &overrides).expect("valid scenario");
    let plan = mgtrial::engine::calibration::plan(&s, "arms.toml", None).expect("valid plan");
    Box::new(move |threads, size| {
        let opts = engine::RunOptions { reps: reps * size, threads, progress: false };
        timing(|| (engine::run(&plan, opts).arms.iter().map(|a| a.enrolled).sum(), f64::from(reps * size)))
    })
}

/// Every design point of a shipped study, its replicates per point times the size (its plans
/// built outside the timing).
fn study_points(file: &str) -> Workload {
    let file = file.to_string();
    Box::new(move |threads, size| {
        let source = Source::read(&scenario_file(&file)).expect("shipped scenario");
        let reps = source.resolve(&[], None).expect("valid scenario").design.reps;
        let overrides = vec![Override::parse(&format!("design.reps={}", reps * size)).expect("valid override")];
        let scenario = source.resolve(&overrides, None).expect("valid scenario");
        let study = Study::with_paths(scenario.sweep.as_ref(), Vec::new(), |p| source.canonical_path(&overrides, p))
            .expect("valid sweep");
        let plans = study::plans(&source, &overrides, &study).expect("valid plans");
        let runner = Runner::new(threads, false);
        timing(|| {
            let points = study::run(&study, &plans, &runner, RepsRule::FromScenario);
            let participants = points.iter().map(|p| p.rows[0].mean_enrolled * f64::from(p.rows[0].reps)).sum();
            (participants, points.iter().map(|p| f64::from(p.rows[0].reps)).sum())
        })
    })
}

/// One workload's line: ns per participant at 1 thread (and its ratio to the floor), per-trial
/// time for count outcomes, ns per participant and thread at 2 threads, CPU/wall, the speed-up,
/// the workload's own ceiling (two independent 1-thread copies at once: what the machine gives
/// this work, whatever the engine does) and the speed-up's share of it, and the spread.
fn report(label: &str, counts: bool, floor_ns: f64, runs: &Runs) {
    let Runs { one, two, copies_wall, spread } = runs;
    let ns = one.wall / one.participants * 1e9;
    let ns_two = two.wall * 2.0 / two.participants * 1e9;
    let trial = if counts { format!(", {:.1} us per trial", one.wall / one.trials * 1e6) } else { String::new() };
    let (speedup, ceiling) = (one.wall / two.wall, 2.0 * one.wall / copies_wall);
    println!(
        "{label:<38} 1 thread: {:.3e} participants/s, {ns:7.2} ns ({:.2}x the floor{trial}), CPU/wall {:.2} | 2 threads: \
         {ns_two:7.2} ns, CPU/wall {:.2} | speed-up {speedup:.2}x; two copies {ceiling:.2}x, so {:.0}% of it | spread \
         {spread:.2}",
        one.participants / one.wall,
        ns / floor_ns,
        one.cpu / one.wall,
        two.cpu / two.wall,
        100.0 * speedup / ceiling,
    );
}

/// Busy and stolen CPU of this guest over one second, in cores, from two readings of
/// `/proc/stat`'s total line (`None` where it cannot be read).
fn busy_cores() -> Option<(f64, f64)> {
    let read = || -> Option<Vec<f64>> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        let line = text.lines().next()?.strip_prefix("cpu ")?;
        line.split_whitespace().map(|v| v.parse().ok()).collect()
    };
    let before = read()?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    let after = read()?;
    let d: Vec<f64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    // user nice system idle iowait irq softirq steal ...; ticks per second from sysconf.
    // SAFETY: sysconf reads a constant of the system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let busy = d.iter().take(8).enumerate().filter(|(i, _)| ![3, 4, 7].contains(i)).map(|(_, v)| v).sum::<f64>();
    Some((busy / hz, d.get(7).copied().unwrap_or(0.0) / hz))
}

/// What the machine was doing before the bench: busy cores over one second, with a warning
/// when other processes hold more than a tenth of a core.
fn machine_note() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    match busy_cores() {
        Some((busy, steal)) => {
            let mut note = format!(
                "{cores} cores; before the run, other processes used {busy:.2} cores and the host stole {steal:.2} \
                 (one second of /proc/stat)"
            );
            if busy > 0.1 || steal > 0.1 {
                note += "\nwarning: the machine is not quiet, so the scaling figures are not the machine's";
            }
            note
        }
        None => format!("{cores} cores; /proc/stat unreadable, so whether the machine is quiet is unknown"),
    }
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_default();
    let wanted = |label: &str| label.contains(&filter);
    println!("{}", machine_note());
    let floor_ns = floor_ns_per_normal();
    println!("floor: {floor_ns:.2} ns per standard normal (the Xoshiro256++ lanes and the ziggurat, one thread)");
    let ceiling = ceiling_speedup();
    println!("ceiling: {ceiling:.2}x (the floor's loop on 2 threads at once over 1 thread alone)");
    // (label, count outcome, how to make the workload)
    type Entry = (String, bool, Box<dyn Fn() -> Workload>);
    let mut workloads: Vec<Entry> = Vec::new();
    for n in [20u32, 100, 400] {
        let label = format!("textbook, {n} per arm");
        let set = format!("design.n_per_arm={n}");
        let reps = 8_000_000 / (2 * n);
        workloads.push((label, false, Box::new(move || point("textbook.toml", &[&set], reps))));
    }
    workloads.push((
        "enriched depression (Rajizadeh)".into(),
        false,
        Box::new(|| point("depression_mgo_enriched.toml", &[], 40_000)),
    ));
    workloads.push((
        "enriched depression, 100 per arm".into(),
        false,
        Box::new(|| point("depression_mgo_enriched.toml", &["design.n_per_arm=100"], 20_000)),
    ));
    workloads.push((
        "migraine (Peikert 43:38), NB Wald only".into(),
        true,
        Box::new(|| point("migraine_peikert1996.toml", &["analysis.secondary=[]"], 2_000)),
    ));
    workloads.push((
        "migraine (Peikert), 6 analyses shipped".into(),
        true,
        Box::new(|| point("migraine_peikert1996.toml", &[], 2_000)),
    ));
    for (actives, procedure, error_rate) in
        [(1, "none", false), (2, "holm", true), (4, "holm", true), (4, "dunnett", true), (4, "holm", false)]
    {
        let label = match (actives, error_rate) {
            (1, _) => "ANCOVA, 2 arms of 100".to_string(),
            (_, true) => format!("ANCOVA, {} arms of 100, {procedure}", actives + 1),
            (_, false) => format!("ANCOVA, {} arms of 100, {procedure}, no FWER", actives + 1),
        };
        workloads.push((label, false, Box::new(move || arms(actives, procedure, error_rate, 2_000))));
    }
    workloads.push((
        "acute ED (Cete), 3 arms, strata, Holm".into(),
        false,
        Box::new(|| point("migraine_ed_cete2005.toml", &[], 20_000)),
    ));
    workloads.push((
        "crossover (Tarleton), PHQ-9".into(),
        false,
        Box::new(|| point("depression_tarleton2017_crossover.toml", &[], 20_000)),
    ));
    workloads.push(("the same trial in parallel (Tarleton)".into(), false, Box::new(|| tarleton_in_parallel(20_000))));
    workloads.push((
        "enriched + side effects, saturable, complete cases".into(),
        false,
        Box::new(|| point("sweep_dose_side_effects.toml", &["arms.mgo_500.dose_mg_per_day=600"], 20_000)),
    ));
    workloads.push((
        "enriched + side effects, saturable, ITT (BOCF)".into(),
        false,
        Box::new(|| {
            point(
                "sweep_dose_side_effects.toml",
                &["arms.mgo_500.dose_mg_per_day=600", "analysis.missing_data=\"baseline_carried_forward\""],
                20_000,
            )
        }),
    ));
    workloads.push((
        "enriched + vitamin D, Mg alone (42% low)".into(),
        false,
        Box::new(|| point("sweep_depression_vitamin_d.toml", &["design.n_per_arm=100"], 20_000)),
    ));
    workloads.push((
        "enriched + vitamin D test (read replete)".into(),
        false,
        Box::new(|| {
            point(
                "sweep_depression_vitamin_d.toml",
                &[
                    "design.n_per_arm=100",
                    "vitamin_d.enrol=\"replete\"",
                    "vitamin_d.assay_sensitivity=0.85",
                    "vitamin_d.assay_specificity=0.85",
                ],
                20_000,
            )
        }),
    ));
    workloads.push((
        "cognition U-shape, strata (Liu)".into(),
        false,
        Box::new(|| point("sweep_cognition_overshoot.toml", &["arms.mgt_140.dose_mg_per_day=560"], 20_000)),
    ));
    workloads.push((
        "sweep: formulation x dose (12 points)".into(),
        false,
        Box::new(|| study_points("sweep_formulation_dose.toml")),
    ));
    workloads.push((
        "study: selection x n (160 points)".into(),
        false,
        Box::new(|| study_points("study_depression_selection.toml")),
    ));
    // Each draw's plan is made inside the timing: what assurance costs over power.
    workloads.push((
        "assurance: selection x n (80 points, 4 priors)".into(),
        false,
        Box::new(|| study_points("assurance_depression_selection.toml")),
    ));
    for (label, counts, make) in &workloads {
        if wanted(label) {
            report(label, *counts, floor_ns, &alternated(&*make()));
        }
    }
    // The floor again: a host that gives this guest less CPU during the run (time stolen by
    // other guests need not show in this guest's counters) shows as a floor that moved.
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
