//! The engine at scale (issue 8): peak memory per design point does not grow with replicates,
//! beyond one bit per replicate and comparison, and a long run says so before it starts.

mod common;
use common::scenario_path;

/// The tests of this file run one at a time: a child's peak RSS from `wait4` can include the
/// pages it shared with this process until it exec'd, so a sibling test holding 20,000 plans
/// at that moment would inflate another's measurement.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Peak resident set (kB) of `mgtrial run textbook.toml --reps REPS`, from the child's own
/// resource usage (`wait4`), not from other children of this test process.
// The child is reaped by `wait4` below, which std does not see.
#[allow(clippy::zombie_processes)]
fn peak_rss_kb(reps: u32) -> i64 {
    peak_rss_kb_of(&scenario_path("textbook.toml"), reps)
}

/// Peak resident set (kB) of `mgtrial run SCENARIO --reps REPS --out FILE`.
#[allow(clippy::zombie_processes)]
fn peak_rss_kb_of(scenario: &std::path::Path, reps: u32) -> i64 {
    let dir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_mgtrial"))
        .arg("run")
        .arg(scenario)
        .args(["--reps", &reps.to_string(), "--quiet", "--out"])
        .arg(dir.path().join("r.csv"))
        .env_remove("RUST_BACKTRACE")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, which wait4 overwrites.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, with valid pointers to `status` and `usage`.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "status {status}");
    usage.ru_maxrss
}

#[test]
fn peak_memory_does_not_grow_with_replicates() {
    let _serial = one_at_a_time();
    let (small, large) = (peak_rss_kb(200_000), peak_rss_kb(2_000_000));
    // Ten times the replicates add 1.8 million bits (225 kB) of rejections; before the fold,
    // 1.8 million trials added about 650 MB.
    assert!(large <= small + 4 * 1024, "peak RSS {small} kB at 2e5 replicates, {large} kB at 2e6");
}

/// 1e7 trials of 5000 per arm take minutes even at 1 ns per participant: the estimate is on
/// stderr before any simulating.
#[test]
fn a_long_run_announces_its_participants_time_and_memory_first() {
    let _serial = one_at_a_time();
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mgtrial"))
        .arg("run")
        .arg(scenario_path("textbook.toml"))
        .args(["--reps", "10000000", "--set", "design.n_per_arm=5000", "--quiet", "--out"])
        .arg(dir.path().join("r.csv"))
        .env_remove("RUST_BACKTRACE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let mut line = String::new();
    std::io::BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let waited = start.elapsed();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(waited < std::time::Duration::from_secs(10), "the note came after {waited:?}");
    assert!(
        line.starts_with("note: this run simulates 1.000e11 participants over 1 design point(s); expected time "),
        "{line}"
    );
    assert!(line.contains("timed pilot of") && line.contains("peak memory about"), "{line}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no output from a killed run");
}

/// Issue 20, defect 5: the memory note said 6 MB for a 100,000-point study that peaked at
/// 503 MB; it counted only rejection bits. The estimate now counts each point's and each
/// row's state: for a study of 20,000 points it is within 30% of the measured peak.
#[test]
fn the_memory_estimate_counts_every_points_state() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let deltas: Vec<String> = (1..=50).map(|i| format!("{}", f64::from(i) * 0.01)).collect();
    let sizes: Vec<String> = (2..402).map(|n: u32| n.to_string()).collect();
    let text = format!(
        "{}\n[sweep.grid]\n\"response.delta\" = [{}]\n\"design.n_per_arm\" = [{}]\n",
        common::shipped("textbook.toml"),
        deltas.join(", "),
        sizes.join(", ")
    );
    let file = dir.path().join("study.toml");
    std::fs::write(&file, &text).unwrap();
    let source = mgtrial::scenario::Source::read(&file).unwrap();
    let base = [mgtrial::scenario::Override { path: "design.reps".into(), value: toml::Value::Integer(64) }];
    let spec = source.resolve(&base, None).unwrap().sweep;
    let study = mgtrial::scenario::sweep::Study::with_paths(spec.as_ref(), vec![], |p| source.canonical_path(&base, p))
        .unwrap();
    let plans = mgtrial::study::plans(&source, &base, &study).unwrap();
    assert_eq!(plans.len(), 20_000);
    let reps = vec![64; plans.len()];
    let estimate = mgtrial::engine::Runner::new(1, false).memory_bytes(&plans, &reps, true) as f64 / 1e3;
    drop(plans);
    let measured = peak_rss_kb_of(&file, 64) as f64;
    assert!((estimate / measured - 1.0).abs() < 0.3, "estimated {estimate:.0} kB, measured {measured:.0} kB");
}
