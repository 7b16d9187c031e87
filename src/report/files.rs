//! The files a command writes: checked before any work (an unwritable path, or one that would
//! overwrite the scenario or another output, fails at once), then written with their
//! provenance sidecars as one unit once the work is done, and the terminal table printed.

use crate::error::Failure;
use crate::output::{self, Destination};
use crate::report::provenance::{self, Provenance};
use std::io::Write;
use std::path::Path;

/// Prints to stdout; a closed pipe (e.g. `| head`) is not an error.
pub fn print(text: &str) -> Result<(), Failure> {
    match std::io::stdout().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Runtime(e.to_string())),
        _ => Ok(()),
    }
}

/// Checks an output path before any work, so an unwritable one fails at once (exit 1).
pub fn destination(path: &Path) -> Result<Destination, Failure> {
    Destination::prepare(path).map_err(Failure::from)
}

/// Writes `text` and, unless it went to stdout, says where.
pub fn write_file(dest: &Destination, data: impl AsRef<[u8]>) -> Result<(), Failure> {
    dest.write(data.as_ref()).map_err(Failure::from)?;
    if dest.is_stdout() { Ok(()) } else { print(&format!("wrote {}\n", dest.path().display())) }
}

/// The file a path names, symlinks followed to their final target (also one that does not
/// exist yet, which writing would create); `None` for stdout, devices and FIFOs, which can
/// take several outputs without harm.
pub fn file_identity(path: &Path) -> Option<std::path::PathBuf> {
    if path.as_os_str() == "-" || std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return None;
    }
    output::final_target(path).ok()
}

/// Refuses outputs that would overwrite the scenario, each other, or each other's provenance
/// sidecars: `outputs` are (option, path) pairs such as ("--out", results.csv).
fn refuse_clobbering(scenario: &Path, outputs: &[(&str, &Path)]) -> Result<(), Failure> {
    let mut taken: Vec<(String, std::path::PathBuf)> = Vec::new();
    if let Some(id) = file_identity(scenario) {
        taken.push(("the scenario file".into(), id));
    }
    for (option, path) in outputs {
        let mine: Vec<(String, std::path::PathBuf)> = [
            (format!("{option} {}", path.display()), file_identity(path)),
            (format!("the provenance of {option} {}", path.display()), file_identity(&provenance::sidecar_path(path))),
        ]
        .into_iter()
        .filter_map(|(what, id)| id.map(|id| (what, id)))
        .collect();
        for (what, id) in &mine {
            if let Some((other, _)) = taken.iter().find(|(_, t)| t == id) {
                return Err(Failure::BadInput(format!(
                    "{what} would overwrite {other}: give each output its own file name"
                )));
            }
        }
        taken.extend(mine);
    }
    Ok(())
}

/// An output and, when it is a regular file, its provenance sidecar: both checked before any
/// work, so an unwritable or clobbering path fails at once.
pub struct Output {
    pub file: Destination,
    pub sidecar: Option<Destination>,
    /// Held from before the run until its files are written, so that two runs given this
    /// output cannot interleave their files.
    _lock: Option<output::WriteLock>,
}

/// Refuses clobbering among `outputs` ((option, path) pairs) and the scenario, then prepares
/// each output and its sidecar.
pub fn prepare_outputs(scenario: &Path, outputs: &[(&str, &Path)]) -> Result<Vec<Output>, Failure> {
    refuse_clobbering(scenario, outputs)?;
    outputs.iter().map(|(_, path)| Output::at(path)).collect()
}

impl Output {
    /// The output at `path` and, for a regular file, its sidecar, checked writable and locked
    /// (without [`refuse_clobbering`]: `check --update` rewrites a baseline in place).
    pub fn at(path: &Path) -> Result<Output, Failure> {
        let file = destination(path)?;
        let sidecar = if file.is_file() { Some(destination(&provenance::sidecar_path(path))?) } else { None };
        let lock = output::WriteLock::take(&file)?;
        Ok(Output { file, sidecar, _lock: lock })
    }
}

/// Writes the results, each file with its provenance sidecar, as one unit (see
/// [`output::write_together`]), and the table: on stdout, or on stderr when a result goes to
/// stdout. `files` holds each output, its bytes and the record that produced it (its
/// `output_sha256` is filled in here).
pub fn finish(table: &str, files: &[(&Output, &[u8], Option<&Provenance>)]) -> Result<(), Failure> {
    let to_stdout = files.iter().any(|(o, ..)| o.file.is_stdout());
    if to_stdout {
        eprint!("{table}");
    }
    let sidecars: Vec<Option<Vec<u8>>> = files
        .iter()
        .map(|(o, bytes, record)| {
            let record = Provenance { output_sha256: provenance::sha256_hex(bytes), ..(*record)?.clone() };
            o.sidecar.as_ref().map(|_| record.to_toml(o.file.path()).into_bytes())
        })
        .collect();
    let mut unit: Vec<(&Destination, &[u8])> = Vec::new();
    for ((o, bytes, _), sidecar) in files.iter().zip(&sidecars) {
        if let (Some(dest), Some(text)) = (&o.sidecar, sidecar) {
            unit.push((dest, text));
        }
        unit.push((&o.file, bytes));
    }
    output::write_together(&unit).map_err(Failure::from)?;
    if !to_stdout {
        print(table)?;
    }
    for ((o, ..), sidecar) in files.iter().zip(&sidecars) {
        if !o.file.is_stdout() {
            print(&format!("wrote {}\n", o.file.path().display()))?;
        }
        if let (Some(dest), Some(_)) = (&o.sidecar, sidecar) {
            print(&format!("wrote {} (what produced {})\n", dest.path().display(), o.file.path().display()))?;
        }
    }
    Ok(())
}
