//! Errors of the library: [`ScenarioError`], a problem with the user's input (exit code 2),
//! and [`Failure`], how a command that did not succeed ends.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ScenarioError {
    /// The scenario file could not be read.
    #[error("cannot read scenario {file}: {message}")]
    Io { file: String, message: String },
    /// Malformed TOML, a wrong type, an unknown field or an unknown name; `message` carries
    /// the line, column and allowed values from the TOML reader.
    #[error("in scenario {file}: {message}")]
    Parse { file: String, message: String },
    /// Like `Parse`, after overrides (`--set`, a sweep point) were applied; line numbers refer
    /// to the merged text, which the message shows.
    #[error("in scenario {file} {context}: {message}")]
    Override { file: String, context: String, message: String },
    /// A `PATH=VALUE` override that cannot be applied.
    #[error("--set {assignment}: {message}")]
    SetPath { assignment: String, message: String },
    /// A malformed `[sweep]` section or `--sweep` argument.
    #[error("sweep {what}: {message}")]
    Sweep { what: String, message: String },
    /// Bad options of `sample-size` (target, range, precision, field to solve for).
    #[error("sample-size: {0}")]
    Search(String),
    /// A calibration that cannot be solved on the scenario as written.
    #[error("in scenario {file}: {message}")]
    Calibration { file: String, message: String },
    /// A value that parses but is out of range or inconsistent.
    /// `context` is empty or says which overrides or sweep point produced the value.
    #[error("in scenario {file}{context}, field `{field}`: {message}")]
    Invalid { file: String, context: String, field: String, message: String },
}

/// How a command that did not succeed ends, which fixes its exit code (the binary maps it:
/// 2 for bad input, 128 + the signal for an interrupt, 1 otherwise).
#[derive(Debug)]
pub enum Failure {
    /// A problem with the input: the scenario, an option, a baseline or shard file (exit 2).
    BadInput(String),
    /// A failure of the run itself, such as an unwritable output (exit 1).
    Runtime(String),
    /// A search that did not reach its target at some design point: its output is written and
    /// states the power at the end of the range; exit 1, like grep when nothing matches.
    NotReached,
    /// A check found drift, a mismatch or a missing row: its report is printed; exit 1.
    Drift,
    /// A run stopped by a signal after writing its checkpoint: exit 128 + the signal.
    Interrupted(i32),
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Failure {
        Failure::BadInput(e.to_string())
    }
}
