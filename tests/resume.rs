//! Checkpoint and resume: a run interrupted by a signal at any moment keeps its completed
//! design points and batches in FILE.csv.checkpoint.toml (exit 130 for SIGINT), `--resume`
//! finishes it, and the CSV is byte-identical to an uninterrupted run; a SIGKILL never leaves a
//! partial file under the final name.

mod common;
use common::{mgtrial, run_in, shipped};
use std::path::Path;
use std::time::Duration;

/// Starts `mgtrial args...` in `dir`, sends `signal` after `after`, and returns the exit code.
fn interrupted(dir: &Path, args: &[&str], signal: libc::c_int, after: Duration) -> Option<i32> {
    let bin = assert_cmd::cargo::cargo_bin("mgtrial");
    let mut child = std::process::Command::new(bin)
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    child.wait().unwrap().code()
}

/// Resumes until the run completes (a resume may itself be interrupted in a test; here it is
/// not), at most a few times.
fn resume(dir: &Path, args: &[&str]) {
    let mut a = args.to_vec();
    a.push("--resume");
    let out = mgtrial().current_dir(dir).args(&a).timeout(Duration::from_secs(300)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn interrupted_runs_resume_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), shipped("study_depression_selection.toml")).unwrap();
    let args = ["run", "s.toml", "-q", "--reps", "2000", "--out"];
    let full: Vec<&str> = args.iter().copied().chain(["full.csv"]).collect();
    run_in(d, &full, 0);
    let expected = std::fs::read(d.join("full.csv")).unwrap();
    let part: Vec<&str> = args.iter().copied().chain(["part.csv"]).collect();
    let mut checkpoints = 0;
    for (signal, ms) in [(libc::SIGINT, 150), (libc::SIGINT, 500), (libc::SIGTERM, 900), (libc::SIGINT, 1400)] {
        for f in ["part.csv", "part.csv.checkpoint.toml", "part.csv.provenance.toml"] {
            let _ = std::fs::remove_file(d.join(f));
        }
        let code = interrupted(d, &part, signal, Duration::from_millis(ms));
        match code {
            Some(0) => {}
            Some(c) => {
                assert_eq!(c, 128 + signal, "exit code after signal {signal} at {ms} ms");
                assert!(!d.join("part.csv").exists(), "no CSV under the final name after an interrupt");
                checkpoints += usize::from(d.join("part.csv.checkpoint.toml").exists());
            }
            None => panic!("killed by the signal instead of stopping cleanly"),
        }
        resume(d, &part);
        assert_eq!(std::fs::read(d.join("part.csv")).unwrap(), expected, "signal {signal} at {ms} ms");
        assert!(!d.join("part.csv.checkpoint.toml").exists(), "the spent checkpoint is removed");
    }
    assert!(checkpoints >= 2, "only {checkpoints} interrupts left a checkpoint: the run is too fast for the test");
}

/// Within one design point the completed chunks (of 64 replicates) are kept.
#[test]
fn a_point_interrupted_midway_keeps_its_batches() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("t.toml"), shipped("textbook.toml")).unwrap();
    let args = ["run", "t.toml", "-q", "--reps", "2000000", "--threads", "1", "--out"];
    run_in(d, &args.iter().copied().chain(["full.csv"]).collect::<Vec<_>>(), 0);
    let part: Vec<&str> = args.iter().copied().chain(["part.csv"]).collect();
    let code = interrupted(d, &part, libc::SIGINT, Duration::from_millis(400));
    if code == Some(130) {
        let text = std::fs::read_to_string(d.join("part.csv.checkpoint.toml")).unwrap();
        assert!(text.starts_with("# mgtrial checkpoint of an interrupted run"), "{}", &text[..80]);
        let reps: u32 = text.lines().find_map(|l| l.strip_prefix("reps = ")).unwrap().parse().unwrap();
        assert!(reps > 0 && reps < 2_000_000 && reps.is_multiple_of(64), "{reps} replicates kept");
    }
    resume(d, &part);
    assert_eq!(std::fs::read(d.join("part.csv")).unwrap(), std::fs::read(d.join("full.csv")).unwrap());
    // A checkpoint of another run is refused.
    std::fs::write(d.join("part.csv.checkpoint.toml"), std::fs::read(d.join("full.csv.provenance.toml")).unwrap())
        .unwrap();
    let (_, e) = run_in(d, &part.iter().copied().chain(["--resume"]).collect::<Vec<_>>(), 2);
    assert!(e.contains("not a checkpoint"), "{e}");
}

/// SIGKILL cannot be caught: whatever the moment, the final name holds either nothing or the
/// complete CSV.
#[test]
fn sigkill_never_leaves_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), shipped("sweep_duration.toml")).unwrap();
    let args = ["run", "s.toml", "-q", "--reps", "3000", "--out"];
    run_in(d, &args.iter().copied().chain(["full.csv"]).collect::<Vec<_>>(), 0);
    let expected = std::fs::read(d.join("full.csv")).unwrap();
    for ms in [20, 100, 300, 600] {
        let _ = std::fs::remove_file(d.join("part.csv"));
        let part: Vec<&str> = args.iter().copied().chain(["part.csv"]).collect();
        interrupted(d, &part, libc::SIGKILL, Duration::from_millis(ms));
        if let Ok(bytes) = std::fs::read(d.join("part.csv")) {
            assert_eq!(bytes, expected, "a partial CSV after SIGKILL at {ms} ms");
        }
    }
}

/// The first `n` lines of a child's stderr.
fn first_lines(child: &mut std::process::Child, n: usize) -> Vec<String> {
    use std::io::BufRead;
    let reader = std::io::BufReader::new(child.stderr.as_mut().unwrap());
    reader.lines().take(n).map(Result::unwrap).collect()
}

/// `--resume` says that it resumed, from which checkpoint and where, and its long-run note
/// counts only the participants left (1e11 in all: minutes even at 1 ns per participant).
#[test]
fn a_resumed_run_says_from_where_and_estimates_only_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("t.toml"), shipped("textbook.toml")).unwrap();
    let args = ["run", "t.toml", "-q", "--reps", "10000000", "--set", "design.n_per_arm=5000", "--out", "part.csv"];
    let spawn = |extra: &[&str]| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("mgtrial"))
            .current_dir(d)
            .args(args)
            .args(extra)
            .env_remove("RUST_BACKTRACE")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = spawn(&[]);
    let note = first_lines(&mut first, 1).remove(0);
    assert!(note.starts_with("note: this run simulates 1.000e11 participants over 1 design point(s)"), "{note}");
    // The note comes before the first batch; an interrupt during it keeps that batch.
    std::thread::sleep(Duration::from_millis(1000));
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(first.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(first.wait().unwrap().code(), Some(130));
    let checkpoint = std::fs::read_to_string(d.join("part.csv.checkpoint.toml")).unwrap();
    let done: u64 = checkpoint.lines().find_map(|l| l.strip_prefix("reps = ")).unwrap().parse().unwrap();
    assert!(done > 0 && done < 10_000_000, "{done} replicates kept");

    let mut second = spawn(&["--resume"]);
    let lines = first_lines(&mut second, 2);
    let (resumed, note) = (&lines[0], &lines[1]);
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(
        *resumed,
        format!(
            "resumed from part.csv.checkpoint.toml: 0 of 1 design point(s) already complete; point 1 continues \
             after {done} of 10000000 replicates"
        )
    );
    let left = format!("{:.3e}", (10_000_000 - done) as f64 * 10_000.0);
    assert_ne!(left, "1.000e11", "the kept work shows in the estimate");
    assert!(
        note.starts_with(&format!("note: the rest of this run simulates {left} participants over 1 design point(s)")),
        "{note}"
    );
}

/// An edited checkpoint is refused on `--resume` (exit 2, naming the file): by its checksum,
/// and, with the checksum recomputed, by a saved point's own redundancy. Before, 14 of 28
/// edited checkpoints resumed to a different CSV with exit 0.
#[test]
fn a_tampered_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("t.toml"), shipped("textbook.toml")).unwrap();
    let part = ["run", "t.toml", "-q", "--reps", "4000000", "--threads", "1", "--out", "part.csv"];
    let mut code = None;
    for ms in [600, 1500, 3000] {
        code = interrupted(d, &part, libc::SIGINT, Duration::from_millis(ms));
        if code == Some(130) && d.join("part.csv.checkpoint.toml").exists() {
            break;
        }
    }
    assert_eq!(code, Some(130), "the run was not interrupted");
    let path = d.join("part.csv.checkpoint.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().find(|l| l.starts_with("rejected = ")).unwrap();
    let count: u64 = line["rejected = ".len()..].parse().unwrap();
    let edited = text.replacen(&format!("\n{line}\n"), &format!("\nrejected = {}\n", count + 9), 1);
    let resume: Vec<&str> = part.iter().copied().chain(["--resume"]).collect();
    for (what, file) in [("checksum", edited.clone()), ("counts", common::reseal(&edited))] {
        std::fs::write(&path, &file).unwrap();
        let (_, e) = run_in(d, &resume, 2);
        assert!(e.contains("part.csv.checkpoint.toml"), "{what}: {e}");
        let reason = if what == "checksum" { "does not match its checksum" } else { "do not agree" };
        assert!(e.contains(reason), "{what}: {e}");
        assert!(!d.join("part.csv").exists());
    }
}

/// Issue 20, defect 4: a stop waited for a whole batch of 65,536 replicates (163 s on Peikert
/// with 100,000 attacks per window); it now waits for one trial. The checkpoint it writes keeps
/// the replicates done, in whole chunks of 64.
#[test]
fn a_stop_is_prompt_whatever_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("p.toml"), shipped("migraine_peikert1996.toml")).unwrap();
    let part =
        ["run", "p.toml", "-q", "--reps", "640", "--threads", "1", "--set", "outcome.baseline_mean=100000", "--out"];
    let part: Vec<&str> = part.iter().copied().chain(["part.csv"]).collect();
    let bin = assert_cmd::cargo::cargo_bin("mgtrial");
    let mut child = std::process::Command::new(bin)
        .current_dir(d)
        .args(&part)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let signalled = std::time::Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if signalled.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("still running 30 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let waited = signalled.elapsed();
    assert_eq!(code, Some(143));
    assert!(waited < Duration::from_secs(3), "stopped {waited:?} after the signal");
    let text = std::fs::read_to_string(d.join("part.csv.checkpoint.toml")).unwrap();
    let reps: u32 = text.lines().find_map(|l| l.strip_prefix("reps = ")).unwrap().parse().unwrap();
    assert!(reps < 640 && reps.is_multiple_of(64), "{reps} replicates kept");
}

/// Under precision control too: a saved point is complete at whatever count its batches reached
/// (not a multiple of 64, possibly above `design.reps`), and resuming gives the same bytes.
#[test]
fn runs_under_precision_control_resume_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), shipped("study_depression_selection.toml")).unwrap();
    let args = ["run", "s.toml", "-q", "--precision", "0.02", "--max-reps", "6000", "--out"];
    let full: Vec<&str> = args.iter().copied().chain(["full.csv"]).collect();
    run_in(d, &full, 0);
    let expected = std::fs::read(d.join("full.csv")).unwrap();
    let part: Vec<&str> = args.iter().copied().chain(["part.csv"]).collect();
    let mut checkpoints = 0;
    for ms in [400, 1200] {
        for f in ["part.csv", "part.csv.checkpoint.toml", "part.csv.provenance.toml"] {
            let _ = std::fs::remove_file(d.join(f));
        }
        let code = interrupted(d, &part, libc::SIGINT, Duration::from_millis(ms));
        if code == Some(128 + libc::SIGINT) {
            checkpoints += usize::from(d.join("part.csv.checkpoint.toml").exists());
        }
        resume(d, &part);
        assert_eq!(std::fs::read(d.join("part.csv")).unwrap(), expected, "SIGINT at {ms} ms");
    }
    assert!(checkpoints >= 1, "no interrupt left a checkpoint: the run is too fast for the test");
}
