//! Output files and scenario inputs at the edges of a run: devices, FIFOs and symlinks are
//! written through or followed, never replaced; modes follow the umask or the file replaced;
//! an unwritable `--out` fails before the simulation; an interrupt leaves no temporary file;
//! a scenario that is not a small regular file is refused.
//!
//! This runs as root in CI: no test points `--out` at a real device. Device nodes are private
//! ones made with `mknod` in a temp dir (the test is skipped where that is not allowed).

mod common;
use common::{mgtrial, scenario_path};
use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn textbook() -> PathBuf {
    scenario_path("textbook.toml")
}

/// A quick run of the textbook scenario with `--out out`; returns (code, stdout, stderr).
fn quick_run(out: &Path) -> (i32, String, String) {
    let o = mgtrial().arg("run").arg(textbook()).args(["--reps", "200", "--out"]).arg(out).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (o.status.code().unwrap_or(-1), text(&o.stdout), text(&o.stderr))
}

fn c_path(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    v.sort();
    v
}

fn assert_csv(text: &str) {
    assert!(text.starts_with("scenario,comparison,"), "not the CSV: {text:?}");
}

#[test]
fn out_onto_a_device_node_writes_through_and_keeps_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("null");
    // A private node with /dev/null's numbers (1:3): writing to it discards the bytes.
    // SAFETY: a valid NUL-terminated path; mknod has no other preconditions.
    let made = unsafe { libc::mknod(c_path(&node).as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    if made != 0 {
        eprintln!("skipped: mknod not allowed here ({})", std::io::Error::last_os_error());
        return;
    }
    let (code, stdout, stderr) = quick_run(&node);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("wrote {}", node.display())), "{stdout}");
    let m = fs::symlink_metadata(&node).unwrap();
    assert!(m.file_type().is_char_device(), "the node was replaced by a {:?}", m.file_type());
    assert_eq!(m.rdev(), libc::makedev(1, 3));
    assert_eq!(names(dir.path()), ["null"], "no temporary file beside the node");
}

#[test]
fn out_onto_a_symlink_replaces_the_target_not_the_link() {
    let links = tempfile::tempdir().unwrap();
    let targets = tempfile::tempdir().unwrap();
    let real = targets.path().join("real.csv");
    fs::write(&real, "old\n").unwrap();
    let link = links.path().join("link.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (code, _, stderr) = quick_run(&link);
    assert_eq!(code, 0, "{stderr}");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
    assert_eq!(fs::read_link(&link).unwrap(), real);
    assert_csv(&fs::read_to_string(&real).unwrap());
    // The provenance sidecar sits beside the path the user named, where `explain --from` looks.
    assert_eq!(names(links.path()), ["link.csv", "link.csv.provenance.toml"]);
    assert_eq!(names(targets.path()), ["real.csv"], "the replacement is made beside the target");
}

#[test]
fn new_output_respects_the_umask() {
    for (umask, mode) in [("022", 0o644), ("027", 0o640), ("002", 0o664)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("power.csv");
        let status = Command::new("sh")
            .args(["-c", &format!("umask {umask}; exec \"$0\" \"$@\"")])
            .arg(env!("CARGO_BIN_EXE_mgtrial"))
            .arg("run")
            .arg(textbook())
            .args(["--reps", "200", "--quiet", "--out"])
            .arg(&out)
            .env_remove("RUST_BACKTRACE")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let got = fs::metadata(&out).unwrap().permissions().mode() & 0o7777;
        assert_eq!(got, mode, "umask {umask}: mode {got:o}, expected {mode:o}");
    }
}

#[test]
fn overwriting_keeps_the_existing_mode() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shared.csv");
    fs::write(&out, "old\n").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o664)).unwrap();
    let (code, _, stderr) = quick_run(&out);
    assert_eq!(code, 0, "{stderr}");
    assert_csv(&fs::read_to_string(&out).unwrap());
    assert_eq!(fs::metadata(&out).unwrap().permissions().mode() & 0o7777, 0o664);
}

#[test]
fn overwriting_as_root_keeps_the_owner() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: only root may give a file away");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("theirs.csv");
    fs::write(&out, "old\n").unwrap();
    std::os::unix::fs::chown(&out, Some(4321), Some(4322)).unwrap();
    let (code, _, stderr) = quick_run(&out);
    assert_eq!(code, 0, "{stderr}");
    let m = fs::metadata(&out).unwrap();
    assert_csv(&fs::read_to_string(&out).unwrap());
    assert_eq!((m.uid(), m.gid()), (4321, 4322));
}

#[test]
fn out_onto_a_fifo_writes_through() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path(&fifo).as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    let (code, _, stderr) = quick_run(&fifo);
    // Should the run not have opened the FIFO, open it once so the reader sees EOF, not a hang.
    // SAFETY: a valid NUL-terminated path; the descriptor, if any, is closed at once.
    let fd = unsafe { libc::open(c_path(&fifo).as_ptr(), libc::O_WRONLY | libc::O_NONBLOCK) };
    if fd >= 0 {
        // SAFETY: `fd` was just opened by this test.
        unsafe { libc::close(fd) };
    }
    let got = reader.join().unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert_csv(&got);
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced");
    assert_eq!(names(dir.path()), ["pipe"]);
}

/// A run that would simulate for minutes: 10 million trials of 1000 per arm.
fn long_run() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mgtrial"));
    c.arg("run").arg(textbook()).args(["--reps", "10000000", "--set", "design.n_per_arm=1000", "--quiet"]);
    c.env_remove("RUST_BACKTRACE");
    c
}

#[test]
fn unwritable_out_fails_before_simulating() {
    // Not tempfile's default ".tmpXXXX" name, so that the message can be checked for ".tmp".
    let dir = tempfile::Builder::new().prefix("mgtrial-test-").tempdir().unwrap();
    // A directory whose name reads as a figure, so that --plot gets past the format check.
    let figure_dir = dir.path().join("figure.svg");
    fs::create_dir(&figure_dir).unwrap();
    let cases = [
        ("--out", dir.path().join("missing").join("power.csv"), "no such directory"),
        ("--out", dir.path().to_path_buf(), "is a directory"),
        ("--plot", dir.path().join("missing").join("power.svg"), "no such directory"),
        ("--plot", figure_dir.clone(), "is a directory"),
    ];
    for (flag, out, reason) in cases {
        let start = Instant::now();
        let o = long_run().arg(flag).arg(&out).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(start.elapsed() < Duration::from_secs(5), "{flag}: took {:?}: simulated first", start.elapsed());
        assert_eq!(o.status.code(), Some(1), "{flag}: {stderr}");
        assert_eq!(stderr.trim_end(), format!("error: cannot write {}: {reason}", out.display()), "{flag}");
        assert!(!stderr.contains(".tmp") && !stderr.contains("mgtrial-tmp"), "{stderr}");
    }
    assert_eq!(names(&figure_dir), Vec::<String>::new(), "nothing created");
    fs::remove_dir(&figure_dir).unwrap();
    assert_eq!(names(dir.path()), Vec::<String>::new(), "nothing created");
}

/// Regression: `--out /proc/x.csv` said "no such directory" of a directory that exists. The
/// message says that it exists and why it cannot be written to, with the exit of any unwritable
/// output (1), before simulating, and nothing is created.
#[test]
fn an_existing_directory_that_cannot_be_written_to_is_not_called_missing() {
    let mut cases: Vec<(PathBuf, String)> = Vec::new();
    if Path::new("/proc/self").exists() {
        cases.push(("/proc/x.csv".into(), "it is on the proc file system, which holds no ordinary files".into()));
    }
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    // Root writes through a mode of 0555, so that case is only for other users.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        cases.push((locked.join("power.csv"), "permission denied".into()));
    }
    if cases.is_empty() {
        eprintln!("skipped: no /proc, and root ignores directory modes");
        return;
    }
    for (out, reason) in cases {
        let start = Instant::now();
        let o = long_run().arg("--out").arg(&out).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(start.elapsed() < Duration::from_secs(5), "took {:?}: simulated first", start.elapsed());
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        let dir = out.parent().unwrap();
        assert_eq!(
            stderr.trim_end(),
            format!(
                "error: cannot write {}: the directory {} exists but cannot be written to ({reason})",
                out.display(),
                dir.display()
            )
        );
        assert!(!out.exists(), "no file at {}", out.display());
    }
    assert_eq!(names(&locked), Vec::<String>::new(), "nothing created");
}

/// Starts a long run writing into a fresh directory, sends `signal` after half a second and
/// checks the exit code and that the directory is left empty.
fn interrupt(signal: libc::c_int, expected_code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("power.csv");
    let mut command = long_run();
    command.arg("--out").arg(&out).stdout(Stdio::null()).stderr(Stdio::null());
    // mgtrial leaves a signal ignored that it inherited as ignored (as `nohup` or a script's
    // background job arrange); this test may run in such a job, so the child starts afresh.
    // SAFETY: only `signal`, which is async-signal-safe, runs between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::signal(signal, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: signalling our own child, which has not been waited for, so its pid is live.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("signal {signal} did not stop the run");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(expected_code), "{status:?}");
    checkpoint_only(dir.path());
}

/// After an interrupt the directory holds no target and no temporary file: at most the run's
/// checkpoint (see `tests/resume.rs`), clearly marked as one.
fn checkpoint_only(dir: &Path) {
    let left = names(dir);
    assert!(left.is_empty() || left == ["power.csv.checkpoint.toml"], "no target and no temporary file: {left:?}");
    if let Some(name) = left.first() {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(text.starts_with("# mgtrial checkpoint of an interrupted run"), "{text:.80}");
    }
}

#[test]
fn sigterm_during_a_run_removes_temp_files_and_exits_143() {
    interrupt(libc::SIGTERM, 143);
}

#[test]
fn sigint_during_a_run_removes_temp_files_and_exits_130() {
    interrupt(libc::SIGINT, 130);
}

/// `mgtrial run SCENARIO`, expected to be refused (exit 2) at once; returns stderr.
fn refused_scenario(scenario: &Path) -> String {
    let start = Instant::now();
    let o =
        mgtrial().arg("run").arg(scenario).args(["--reps", "200"]).timeout(Duration::from_secs(10)).output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    stderr
}

#[test]
fn scenario_that_is_a_device_is_refused() {
    // Reading /dev/zero is harmless; before, it filled memory until the process was killed.
    let stderr = refused_scenario(Path::new("/dev/zero"));
    assert_eq!(
        stderr.trim_end(),
        "error: cannot read scenario /dev/zero: is not a regular file (a device, FIFO or socket)"
    );
}

#[test]
fn scenario_larger_than_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    let mut text = fs::read_to_string(textbook()).unwrap();
    while text.len() as u64 <= mgtrial::output::MAX_SCENARIO_BYTES {
        text.push_str("# padding padding padding padding padding padding padding padding padding\n");
    }
    fs::write(&big, text).unwrap();
    let stderr = refused_scenario(&big);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: cannot read scenario {}: larger than the limit of 1 MiB (1048576 bytes) for a scenario file",
            big.display()
        )
    );
}

#[test]
fn scenario_that_is_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refused_scenario(dir.path());
    assert_eq!(stderr.trim_end(), format!("error: cannot read scenario {}: is a directory", dir.path().display()));
}

#[test]
fn scenario_that_is_not_utf8_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir.path().join("latin1.toml");
    let mut bytes = fs::read(textbook()).unwrap();
    bytes.extend_from_slice(b"# caf\xe9\n");
    fs::write(&latin1, &bytes).unwrap();
    let stderr = refused_scenario(&latin1);
    assert!(stderr.contains("is not UTF-8 text (invalid byte at offset"), "{stderr}");
}

#[test]
fn a_signal_ignored_from_the_start_stays_ignored() {
    // As under `nohup`: SIGHUP ignored by the parent must not stop the run.
    let dir = tempfile::tempdir().unwrap();
    let mut command = long_run();
    command.arg("--out").arg(dir.path().join("power.csv")).stdout(Stdio::null()).stderr(Stdio::null());
    // SAFETY: only `signal`, which is async-signal-safe, runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: signalling our own child, which has not been waited for.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGHUP) };
    std::thread::sleep(Duration::from_millis(300));
    let still_running = child.try_wait().unwrap().is_none();
    // SAFETY: as above; the child is still ours to signal (reaped only below).
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(still_running, "an ignored SIGHUP stopped the run: {status:?}");
    assert_eq!(status.code(), Some(143));
    checkpoint_only(dir.path());
}

/// Issue 20, defect 7: two runs given the same --out at once could end with one run's CSV
/// beside the other's sidecar (6 of 40). Now the second is refused while the first holds the
/// output, and the first's CSV and sidecar belong together.
#[test]
fn a_second_writer_of_the_same_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = common::scenario_path("textbook.toml");
    let first = std::process::Command::new(env!("CARGO_BIN_EXE_mgtrial"))
        .current_dir(dir.path())
        .arg("run")
        .arg(&scenario)
        .args(["--reps", "3000000", "-q", "--threads", "1", "--out", "same.csv"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let second = common::mgtrial()
        .current_dir(dir.path())
        .arg("run")
        .arg(&scenario)
        .args(["--reps", "100", "-q", "--out", "same.csv"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&second.stderr);
    let finished = first.wait_with_output().unwrap();
    assert_eq!(finished.status.code(), Some(0));
    assert_eq!(second.status.code(), Some(1), "{e}");
    assert!(e.contains("another mgtrial process is writing it now"), "{e}");
    let csv = std::fs::read(dir.path().join("same.csv")).unwrap();
    let (out, _) = common::run_in(dir.path(), &["explain", "--from", "same.csv"], 0);
    assert!(out.contains("--reps 3000000") && out.contains("is unchanged"), "{out}");
    assert!(csv.windows(7).any(|w| w == b"3000000"));
}
