//! The engine at scale (issue 8): peak memory per design point does not grow with replicates,
//! beyond one bit per replicate and comparison, and a long run says so before it starts.

mod common;
use common::scenario_path;

/// Peak resident set (kB) of `mgtrial run textbook.toml --reps REPS`, from the child's own
/// resource usage (`wait4`), not from other children of this test process.
// The child is reaped by `wait4` below, which std does not see.
#[allow(clippy::zombie_processes)]
fn peak_rss_kb(reps: u32) -> i64 {
    let dir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_mgtrial"))
        .arg("run")
        .arg(scenario_path("textbook.toml"))
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
    let (small, large) = (peak_rss_kb(200_000), peak_rss_kb(2_000_000));
    // Ten times the replicates add 1.8 million bits (225 kB) of rejections; before the fold,
    // 1.8 million trials added about 650 MB.
    assert!(large <= small + 4 * 1024, "peak RSS {small} kB at 2e5 replicates, {large} kB at 2e6");
}

/// 1e7 trials of 5000 per arm take minutes even at 1 ns per participant: the estimate is on
/// stderr before any simulating.
#[test]
fn a_long_run_announces_its_participants_time_and_memory_first() {
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
