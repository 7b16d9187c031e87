//! Files at the edges of a run: where results go and how a scenario is read.
//!
//! An output path is checked with [`Destination::prepare`] before any simulation, so an
//! unwritable `--out` fails in a moment rather than after the run, with a message that names
//! the path as the user wrote it. [`Destination::write`] then:
//!
//! - writes `-` to stdout (a closed pipe is not an error);
//! - replaces a regular file atomically (a temporary file in the target's own directory,
//!   written, synced, then renamed over it), so a failed or interrupted run never leaves a
//!   partial file. A symlink is followed: its final target is replaced, the link stays. An
//!   existing file keeps its permission bits (and, where the process may, its owner and
//!   group); a new file gets `0666 & !umask`, as from any other program;
//! - writes straight through to anything that is not a regular file (a character or block
//!   device such as `/dev/null`, a FIFO), which is never replaced.
//!
//! Temporary files are named `.mgtrial-tmp-PID-RANDOM` (see [`TEMP_PREFIX`]) and are listed
//! in a process-wide registry while they exist. [`install_interrupt_handler`] removes every
//! listed file on SIGINT, SIGTERM or SIGHUP and exits with 128 + the signal number (130, 143,
//! 129). A SIGKILL cannot be caught: the temporary file it may leave behind is recognisable by
//! its prefix and safe to delete.
//!
//! [`read_scenario_text`] reads a scenario only from a regular file of at most
//! [`MAX_SCENARIO_BYTES`], so `/dev/zero` or a huge file is refused instead of filling memory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use thiserror::Error;

/// How every temporary file this module creates is named: the prefix, the process id and a
/// random number. Such a file left in a directory (only after a SIGKILL or a crash) can be
/// deleted.
pub const TEMP_PREFIX: &str = ".mgtrial-tmp-";

/// Largest scenario file read, in bytes (1 MiB; the shipped scenarios are a few KiB).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// Why an output path cannot be written. Each message names the path as given by the user,
/// never a temporary file.
#[derive(Debug, Error)]
pub enum OutputError {
    /// The directory the file would go in does not exist.
    #[error("cannot write {}: no such directory", path.display())]
    NoSuchDirectory { path: PathBuf },
    /// A component of the path that should be a directory is a file.
    #[error("cannot write {}: a component of the path is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    /// The path (after following symlinks) is a directory.
    #[error("cannot write {}: is a directory", path.display())]
    IsADirectory { path: PathBuf },
    /// The file is not writable.
    #[error("cannot write {}: permission denied", path.display())]
    PermissionDenied { path: PathBuf },
    /// The directory exists, but no file can be made in it.
    #[error("cannot write {}: the directory {} exists but cannot be written to ({reason})", path.display(), dir.display())]
    DirectoryNotWritable { path: PathBuf, dir: PathBuf, reason: String },
    /// The path is a Unix socket, which cannot be opened as a file.
    #[error("cannot write {}: is a socket", path.display())]
    Socket { path: PathBuf },
    /// Another run is writing the same output now.
    #[error("cannot write {}: another mgtrial process is writing it now; wait for it to finish, or give this run another output name", path.display())]
    Busy { path: PathBuf },
    /// Any other failure of the operating system (a read-only file system, a full disk...).
    #[error("cannot write {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
}

impl OutputError {
    /// The error for `e`, met while writing `path` (the user's path).
    fn from_io(path: &Path, e: &io::Error) -> OutputError {
        let path = path.to_path_buf();
        match e.kind() {
            ErrorKind::NotFound => OutputError::NoSuchDirectory { path },
            ErrorKind::NotADirectory => OutputError::NotADirectory { path },
            ErrorKind::IsADirectory => OutputError::IsADirectory { path },
            ErrorKind::PermissionDenied => OutputError::PermissionDenied { path },
            _ => OutputError::Io { path, message: e.to_string() },
        }
    }
}

/// Where an output goes, checked before the run that produces it.
#[derive(Debug)]
pub struct Destination {
    /// The path as the user gave it, for messages.
    user: PathBuf,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// `-`.
    Stdout,
    /// A regular file, existing or new, at this resolved (symlink-free, absolute) path.
    Regular(PathBuf),
    /// A device or FIFO at this resolved path: opened and written, never replaced.
    Stream(PathBuf),
}

impl Destination {
    /// Resolves `path` ("-" is stdout) and checks that it can be written now.
    ///
    /// # Errors
    /// [`OutputError`] when the directory does not exist, the path is a directory or a socket,
    /// or the file or its directory is not writable (then saying why: permission, a read-only
    /// file system, or a kernel file system such as /proc).
    pub(crate) fn prepare(path: &Path) -> Result<Destination, OutputError> {
        let user = path.to_path_buf();
        if path.as_os_str() == "-" {
            return Ok(Destination { user, kind: Kind::Stdout });
        }
        let err = |e: io::Error| OutputError::from_io(path, &e);
        let target = final_target(path).map_err(err)?;
        let kind = match fs::metadata(&target) {
            Ok(m) if m.is_dir() => return Err(OutputError::IsADirectory { path: user }),
            Ok(m) if m.file_type().is_socket() => return Err(OutputError::Socket { path: user }),
            Ok(m) if m.is_file() => {
                // Writable in place, and a replacement can be made beside it.
                OpenOptions::new().write(true).open(&target).map_err(err)?;
                probe_directory(&target).map_err(|e| directory_error(path, &target, &e))?;
                Kind::Regular(target)
            }
            // A device or a FIFO. Opening a FIFO for writing waits for a reader (and closing
            // it would end that reader's input), so only the permission is checked.
            Ok(_) => {
                writable(&target).map_err(err)?;
                Kind::Stream(target)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                probe_directory(&target).map_err(|e| directory_error(path, &target, &e))?;
                Kind::Regular(target)
            }
            Err(e) => return Err(err(e)),
        };
        Ok(Destination { user, kind })
    }

    /// The path as the user gave it.
    pub fn path(&self) -> &Path {
        &self.user
    }

    /// Whether this is `-`.
    pub(crate) fn is_stdout(&self) -> bool {
        matches!(self.kind, Kind::Stdout)
    }

    /// Whether this is a regular file (existing or new), which is replaced atomically.
    pub fn is_file(&self) -> bool {
        matches!(self.kind, Kind::Regular(_))
    }

    /// Writes `bytes`: to stdout, straight through to a device or FIFO, or as an atomic
    /// replacement of a regular file (see the module documentation).
    ///
    /// # Errors
    /// [`OutputError`] naming the user's path; a failed replacement leaves the old file as it
    /// was and no temporary file behind.
    pub fn write(&self, bytes: &[u8]) -> Result<(), OutputError> {
        let err = |e: io::Error| OutputError::from_io(&self.user, &e);
        match &self.kind {
            Kind::Stdout => {
                let mut out = io::stdout().lock();
                not_broken_pipe(out.write_all(bytes).and_then(|()| out.flush())).map_err(err)
            }
            Kind::Stream(target) => {
                let mut f = OpenOptions::new().write(true).open(target).map_err(err)?;
                not_broken_pipe(f.write_all(bytes)).map_err(err)
            }
            Kind::Regular(target) => replace(target, bytes).map_err(err),
        }
    }
}

/// A closed pipe means the reader wanted no more: not an error.
fn not_broken_pipe(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// Most symlinks followed before giving up (Linux's own limit).
const MAX_SYMLINKS: usize = 40;

/// The absolute, symlink-free path that writing to `path` would reach: the final target of a
/// chain of symlinks (also a dangling one), in its directory's canonical form.
pub(crate) fn final_target(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&p)?;
                p = if link.is_absolute() { link } else { parent(&p).join(link) };
            }
            Ok(_) => return fs::canonicalize(&p),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let name = p.file_name().ok_or_else(|| io::Error::from(ErrorKind::NotFound))?;
                return Ok(fs::canonicalize(parent(&p))?.join(name));
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// The directory `p` is in ("." for a bare file name).
fn parent(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Checks that a temporary file can be made (and removed) beside `target`.
fn probe_directory(target: &Path) -> io::Result<()> {
    Temp::create(parent(target)).map(drop)
}

/// The error for `e`, met making a file beside `target` (`path` as the user gave it): when the
/// directory exists, why nothing can be written in it.
fn directory_error(path: &Path, target: &Path, e: &io::Error) -> OutputError {
    let dir = parent(target);
    if !dir.is_dir() {
        return OutputError::from_io(path, e);
    }
    let reason = match (virtual_file_system(dir), read_only(dir)) {
        (Some(name), _) => format!("it is on the {name} file system, which holds no ordinary files"),
        (None, true) => "read-only file system".into(),
        _ if e.kind() == ErrorKind::PermissionDenied => "permission denied".into(),
        _ if e.kind() == ErrorKind::ReadOnlyFilesystem => "read-only file system".into(),
        _ => e.to_string(),
    };
    OutputError::DirectoryNotWritable { path: path.to_path_buf(), dir: dir.to_path_buf(), reason }
}

/// Whether the file system holding `dir` is mounted read-only.
fn read_only(dir: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return false };
    // SAFETY: `c` is NUL-terminated and outlives the call; a zeroed `statvfs` is a valid
    // out-parameter.
    unsafe {
        let mut buf: libc::statvfs = std::mem::zeroed();
        libc::statvfs(c.as_ptr(), &mut buf) == 0 && buf.f_flag & libc::ST_RDONLY != 0
    }
}

/// The name of the kernel's virtual file system holding `dir` (`proc`, `sysfs`), where no
/// ordinary file can be made whatever the permissions.
#[cfg(target_os = "linux")]
#[allow(clippy::unnecessary_cast)] // `f_type` and the magic numbers differ in type between targets
fn virtual_file_system(dir: &Path) -> Option<&'static str> {
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: as in `read_only`, with `statfs`.
    let kind = unsafe {
        let mut buf: libc::statfs = std::mem::zeroed();
        if libc::statfs(c.as_ptr(), &mut buf) != 0 {
            return None;
        }
        buf.f_type as i64
    };
    match kind {
        k if k == libc::PROC_SUPER_MAGIC as i64 => Some("proc"),
        k if k == libc::SYSFS_MAGIC as i64 => Some("sysfs"),
        _ => None,
    }
}

#[cfg(not(target_os = "linux"))]
fn virtual_file_system(_: &Path) -> Option<&'static str> {
    None
}

/// Checks write permission on an existing non-regular file without opening it.
fn writable(target: &Path) -> io::Result<()> {
    let c = std::ffi::CString::new(target.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: `c` is a NUL-terminated string that outlives the call.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Writes `bytes` to a temporary file beside `target`, syncs it, gives it the mode (and,
/// where possible, the owner) of the file it replaces, and renames it over `target`.
fn replace(target: &Path, bytes: &[u8]) -> io::Result<()> {
    stage(target, bytes)?.commit(target)
}

/// Writes several regular files as one unit: every file to a temporary file beside its
/// target, each synced, and only then all renamed into place, in the order given. Give a
/// result's sidecar before the result: a crash between two renames then leaves a new sidecar
/// beside the old result, which its `output_sha256` shows, never an old sidecar that seems
/// to describe a new result. A failure before the renames (a full disk) leaves every old file
/// as it was.
///
/// # Errors
/// [`OutputError`] naming the user's path of the file that failed.
pub(crate) fn write_together(files: &[(&Destination, &[u8])]) -> Result<(), OutputError> {
    let mut staged = Vec::new();
    for &(dest, bytes) in files {
        match &dest.kind {
            Kind::Regular(target) => {
                let temp = stage(target, bytes).map_err(|e| OutputError::from_io(&dest.user, &e))?;
                staged.push((dest, target, Some(temp)));
            }
            _ => staged.push((dest, &dest.user, None)),
        }
    }
    for ((dest, target, temp), &(_, bytes)) in staged.into_iter().zip(files) {
        match temp {
            Some(temp) => temp.commit(target).map_err(|e| OutputError::from_io(&dest.user, &e))?,
            None => dest.write(bytes)?,
        }
    }
    Ok(())
}

/// The temporary file that will replace `target`, written and synced (see [`replace`]).
fn stage(target: &Path, bytes: &[u8]) -> io::Result<Temp> {
    let existing = fs::metadata(target).ok().filter(|m| m.is_file());
    let mut temp = Temp::create(parent(target))?;
    temp.file.write_all(bytes)?;
    if let Some(m) = &existing {
        // Owner first: changing it may clear set-user-ID bits that the mode then restores.
        // Only root (or the owner, for the group) may do this; failure is fine.
        let _ = std::os::unix::fs::fchown(&temp.file, Some(m.uid()), Some(m.gid()));
        temp.file.set_permissions(fs::Permissions::from_mode(m.mode() & 0o7777))?;
    }
    temp.file.sync_all()?;
    Ok(temp)
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The last line of a sealed file: this prefix, then the SHA-256 (hex) of every byte before
/// the line. Shards, checkpoints and provenance sidecars are sealed, so that an edit or a
/// damaged copy is refused rather than merged, resumed or trusted.
pub const SEAL_PREFIX: &str = "# content_sha256 = ";

/// `body` with its seal appended (see [`SEAL_PREFIX`]); `body` ends with a newline.
pub fn seal(mut body: String) -> String {
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let digest = sha256_hex(body.as_bytes());
    body + SEAL_PREFIX + &digest + "\n"
}

/// The body of a sealed `text`, checked against its seal.
///
/// # Errors
/// Says whether the seal is missing (a file of an earlier version, or cut short) or does not
/// match (the file was edited or damaged after it was written).
pub(crate) fn unseal(text: &str) -> Result<&str, String> {
    let trimmed = text.strip_suffix('\n').unwrap_or(text);
    let start = trimmed.rfind('\n').map_or(0, |i| i + 1);
    let Some(digest) = trimmed[start..].strip_prefix(SEAL_PREFIX) else {
        return Err("it has no content checksum (its last line should be `# content_sha256 = ...`): it was cut \
                    short, or written by an earlier version"
            .into());
    };
    let body = &text[..start];
    if sha256_hex(body.as_bytes()) != digest.trim() {
        return Err("its content does not match its checksum: it was edited or damaged after mgtrial wrote it".into());
    }
    Ok(body)
}

/// An exclusive hold on writing one output path, taken before a run and kept until its
/// outputs are written, so that two runs given the same `--out` cannot interleave their
/// files: the second is refused at once. The hold is a Unix socket bound to an abstract name
/// made from the output's resolved path (Linux): it leaves no file behind, and the kernel
/// releases it when the process ends, however it ends (SIGKILL included). It covers the
/// processes of one machine (one network namespace); elsewhere no hold is taken.
#[derive(Debug)]
pub(crate) struct WriteLock {
    #[cfg(target_os = "linux")]
    _socket: std::os::unix::net::UnixListener,
}

impl WriteLock {
    /// Takes the hold on `dest` (nothing to hold for stdout, a device or a FIFO).
    ///
    /// # Errors
    /// [`OutputError::Busy`] when another process holds it.
    pub fn take(dest: &Destination) -> Result<Option<WriteLock>, OutputError> {
        let Kind::Regular(target) = &dest.kind else { return Ok(None) };
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            let digest = sha256_hex(target.as_os_str().as_bytes());
            let name = format!("mgtrial-output-{}", &digest[..48]);
            let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .map_err(|e| OutputError::from_io(&dest.user, &e))?;
            match std::os::unix::net::UnixListener::bind_addr(&address) {
                Ok(socket) => Ok(Some(WriteLock { _socket: socket })),
                Err(e) if e.kind() == ErrorKind::AddrInUse => Err(OutputError::Busy { path: dest.user.clone() }),
                // A system without the means to hold (no sockets allowed): write unheld.
                Err(_) => Ok(None),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = target;
            Ok(None)
        }
    }
}

/// Whether [`note`] writes: the binary turns notes on; the library is silent by default.
static NOTES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Set-up work expected to take longer than this many seconds (a large study, a calibration
/// by simulation) is announced with its estimate before it runs.
pub(crate) const NOTE_SECONDS: f64 = 10.0;

/// Turns [`note`] on or off.
pub fn set_notes(on: bool) {
    NOTES.store(on, std::sync::atomic::Ordering::SeqCst);
}

/// Writes a note about the work ahead (an estimate of a long set-up) to stderr, when notes
/// are on.
pub fn note(text: &str) {
    if NOTES.load(std::sync::atomic::Ordering::SeqCst) {
        eprintln!("{text}");
    }
}

/// Temporary files that exist now, removed by the interrupt handler.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A run that can keep its completed work ([`set_graceful`]): the first signal only asks it to
/// stop ([`stop_requested`]), and it exits by itself after writing a checkpoint; a second
/// signal exits at once.
static GRACEFUL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// The signal that asked a graceful run to stop (0: none).
static STOP_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Makes the first SIGINT, SIGTERM or SIGHUP a request to stop (see [`stop_requested`]).
pub fn set_graceful(on: bool) {
    GRACEFUL.store(on, std::sync::atomic::Ordering::SeqCst);
}

/// The signal that asked the run to stop, if one did.
pub fn stop_requested() -> Option<i32> {
    match STOP_SIGNAL.load(std::sync::atomic::Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

fn temps() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// A registered temporary file; dropping it without [`Temp::rename_to`] removes it.
struct Temp {
    path: PathBuf,
    file: File,
    /// Renamed into place: nothing to remove.
    done: bool,
}

impl Temp {
    /// Creates a new file `.mgtrial-tmp-PID-RANDOM` in `dir` with mode `0666 & !umask`.
    /// Creation and registration happen under the registry's lock, so an interrupt either
    /// sees the file listed or finds it not yet made.
    fn create(dir: &Path) -> io::Result<Temp> {
        use std::hash::{BuildHasher, RandomState};
        let mut list = temps();
        let mut last = None;
        for attempt in 0u64..16 {
            let random = RandomState::new().hash_one(attempt);
            let path = dir.join(format!("{TEMP_PREFIX}{}-{random:016x}", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).mode(0o666).open(&path) {
                Ok(file) => {
                    list.push(path.clone());
                    return Ok(Temp { path, file, done: false });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::from(ErrorKind::AlreadyExists)))
    }

    /// Renames the file over `target` and makes the rename durable (not every file system can
    /// sync a directory).
    fn commit(self, target: &Path) -> io::Result<()> {
        self.rename_to(target)?;
        if let Ok(d) = File::open(parent(target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Renames the file over `target` and takes it off the registry.
    fn rename_to(mut self, target: &Path) -> io::Result<()> {
        let mut list = temps();
        fs::rename(&self.path, target)?;
        list.retain(|p| p != &self.path);
        self.done = true;
        Ok(())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut list = temps();
        let _ = fs::remove_file(&self.path);
        list.retain(|p| p != &self.path);
    }
}

/// Installs a handler for SIGINT, SIGTERM and SIGHUP that removes every temporary file being
/// written and exits with 128 + the signal number: 130 for SIGINT, 143 for SIGTERM, 129 for
/// SIGHUP. It runs on a thread of its own, so it works while a simulation keeps the other
/// threads busy. A signal that the process inherited as ignored stays ignored. If the handler cannot be installed the default action (exit by the signal)
/// stays, and a temporary file may be left behind.
pub fn install_interrupt_handler() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    // A signal ignored from the start stays ignored: `nohup` ignores SIGHUP, and a shell
    // script's background job ignores SIGINT, and both mean "do not stop for this".
    let caught: Vec<libc::c_int> = [SIGINT, SIGTERM, SIGHUP].into_iter().filter(|&s| !ignored(s)).collect();
    let Ok(mut signals) = signal_hook::iterator::Signals::new(caught) else {
        return;
    };
    let _ = std::thread::Builder::new().name("mgtrial-signals".into()).spawn(move || {
        for signal in signals.forever() {
            // A graceful run stops at its next boundary and exits by itself; a second signal,
            // or any signal to another run, exits now.
            if GRACEFUL.load(std::sync::atomic::Ordering::SeqCst) && stop_requested().is_none() {
                STOP_SIGNAL.store(signal, std::sync::atomic::Ordering::SeqCst);
                continue;
            }
            // The lock is held until exit, so no new temporary file appears after the sweep.
            let list = temps();
            for path in list.iter() {
                let _ = fs::remove_file(path);
            }
            std::process::exit(128 + signal);
        }
    });
}

/// Whether `signal` is ignored (`SIG_IGN`), as inherited from the parent process.
fn ignored(signal: libc::c_int) -> bool {
    // SAFETY: a zeroed `sigaction` is a valid out-parameter; a null new action only queries.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

/// Why a scenario file cannot be read.
#[derive(Debug, Error)]
#[error("cannot read {}: {reason}", path.display())]
pub struct ReadError {
    /// The path as given.
    pub path: PathBuf,
    /// What is wrong, without the path.
    pub reason: String,
}

/// The text of the scenario at `path` (symlinks followed).
///
/// # Errors
/// [`ReadError`] when the path does not exist or cannot be opened, is a directory or not a
/// regular file (a device, FIFO or socket), is larger than [`MAX_SCENARIO_BYTES`] (checked on
/// the size and again while reading, so a growing file cannot pass), or is not UTF-8.
pub(crate) fn read_scenario_text(path: &Path) -> Result<String, ReadError> {
    read_text(path, MAX_SCENARIO_BYTES, "a scenario file")
}

/// Largest result file (a CSV to plot, a provenance sidecar) that mgtrial reads.
pub(crate) const MAX_RESULT_BYTES: u64 = 1 << 30;

/// Like [`read_scenario_text`], for a result file written by mgtrial (at most
/// [`MAX_RESULT_BYTES`]).
pub fn read_result_text(path: &Path) -> Result<String, ReadError> {
    read_text(path, MAX_RESULT_BYTES, "a result file")
}

/// The UTF-8 text of the regular file at `path`, at most `limit` bytes; `what` names the kind
/// of file in the message.
fn read_text(path: &Path, limit: u64, what: &str) -> Result<String, ReadError> {
    let fail = |reason: String| ReadError { path: path.to_path_buf(), reason };
    let too_large = || fail(format!("larger than the limit of {} MiB ({limit} bytes) for {what}", limit >> 20));
    let meta = fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.is_dir() {
        return Err(fail("is a directory".into()));
    }
    if !meta.is_file() {
        return Err(fail("is not a regular file (a device, FIFO or socket)".into()));
    }
    if meta.len() > limit {
        return Err(too_large());
    }
    let file = File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    String::from_utf8(bytes)
        .map_err(|e| fail(format!("is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to())))
}

impl From<OutputError> for crate::error::Failure {
    /// An output that cannot be written fails the run (exit 1), not its input.
    fn from(e: OutputError) -> crate::error::Failure {
        crate::error::Failure::Runtime(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_written_and_no_temp_file_remains() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.csv");
        let d = Destination::prepare(&out).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "the probe file is removed");
        d.write(b"x,y\n").unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"x,y\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(!temps().iter().any(|p| p.starts_with(dir.path())), "taken off the registry");
    }

    #[test]
    fn a_temp_file_is_registered_from_creation_until_it_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let listed = || temps().iter().filter(|p| p.starts_with(dir.path())).count();
        let temp = Temp::create(dir.path()).unwrap();
        assert!(temp.path.file_name().unwrap().to_string_lossy().starts_with(TEMP_PREFIX));
        assert_eq!(listed(), 1);
        drop(temp);
        assert_eq!((listed(), fs::read_dir(dir.path()).unwrap().count()), (0, 0));
    }

    #[test]
    fn a_missing_directory_is_named_by_the_users_path() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nope").join("a.csv");
        let e = Destination::prepare(&out).unwrap_err();
        assert!(matches!(e, OutputError::NoSuchDirectory { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains(&out.display().to_string()) && !msg.contains(TEMP_PREFIX), "{msg}");
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = Destination::prepare(dir.path()).unwrap_err();
        assert!(matches!(e, OutputError::IsADirectory { .. }), "{e:?}");
    }

    #[test]
    fn a_dangling_symlink_gets_its_target_created() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink("real.csv", &link).unwrap();
        Destination::prepare(&link).unwrap().write(b"1\n").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(dir.path().join("real.csv")).unwrap(), b"1\n");
    }

    /// Issue 20, defect 7: a result and its sidecar are replaced together or not at all. Here
    /// the sidecar cannot be replaced (its path became a directory after the run was
    /// prepared): the old result stays, and no temporary file is left. Before, the new CSV
    /// was already in place beside the old sidecar.
    #[test]
    fn a_result_and_its_sidecar_are_replaced_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (csv, sidecar) = (dir.path().join("r.csv"), dir.path().join("r.csv.provenance.toml"));
        fs::write(&csv, b"old csv").unwrap();
        fs::write(&sidecar, b"old sidecar").unwrap();
        let (c, s) = (Destination::prepare(&csv).unwrap(), Destination::prepare(&sidecar).unwrap());
        write_together(&[(&s, b"new sidecar"), (&c, b"new csv")]).unwrap();
        assert_eq!(
            (fs::read(&csv).unwrap(), fs::read(&sidecar).unwrap()),
            (b"new csv".to_vec(), b"new sidecar".to_vec())
        );
        let (c, s) = (Destination::prepare(&csv).unwrap(), Destination::prepare(&sidecar).unwrap());
        fs::remove_file(&sidecar).unwrap();
        fs::create_dir(&sidecar).unwrap();
        fs::write(sidecar.join("keep"), b"x").unwrap();
        assert!(write_together(&[(&s, b"newer sidecar"), (&c, b"newer csv")]).is_err());
        assert_eq!(fs::read(&csv).unwrap(), b"new csv", "the result is not replaced without its sidecar");
        let names: Vec<String> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(!names.iter().any(|n| n.starts_with(TEMP_PREFIX)), "{names:?}");
    }

    /// Issue 20, defect 7: two writers of one output cannot both hold it; the hold ends with
    /// its holder and leaves no file.
    #[test]
    fn one_writer_at_a_time_holds_an_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.csv");
        let d = Destination::prepare(&out).unwrap();
        let held = WriteLock::take(&d).unwrap();
        assert!(held.is_some());
        assert!(matches!(WriteLock::take(&d), Err(OutputError::Busy { .. })));
        drop(held);
        assert!(WriteLock::take(&d).unwrap().is_some());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// A sealed text reads back; any change to it, or a missing seal, is refused.
    #[test]
    fn a_sealed_text_refuses_any_edit() {
        let text = seal("a = 1\nb = [2, 3]\n".to_string());
        assert_eq!(unseal(&text).unwrap(), "a = 1\nb = [2, 3]\n");
        for (i, _) in text.char_indices().filter(|(_, c)| c.is_ascii_digit()).take(40) {
            let mut edited = text.clone().into_bytes();
            edited[i] = if edited[i] == b'9' { b'0' } else { edited[i] + 1 };
            assert!(unseal(std::str::from_utf8(&edited).unwrap()).is_err(), "edit at {i}");
        }
        assert!(unseal("a = 1\n").unwrap_err().contains("no content checksum"));
    }

    #[test]
    fn scenario_limits() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.toml");
        fs::write(&big, vec![b'#'; MAX_SCENARIO_BYTES as usize + 1]).unwrap();
        assert!(read_scenario_text(&big).unwrap_err().reason.contains("1 MiB"));
        let exact = dir.path().join("exact.toml");
        fs::write(&exact, vec![b'#'; MAX_SCENARIO_BYTES as usize]).unwrap();
        assert_eq!(read_scenario_text(&exact).unwrap().len(), MAX_SCENARIO_BYTES as usize);
        let latin1 = dir.path().join("latin1.toml");
        fs::write(&latin1, b"name = \"caf\xe9\"\n").unwrap();
        assert!(read_scenario_text(&latin1).unwrap_err().reason.contains("offset 11"));
        assert!(read_scenario_text(dir.path()).unwrap_err().reason.contains("is a directory"));
    }
}
