//! Errors of the library. Every variant is a problem with the user's input (exit code 2)
//! except `Io` on output, which the binary reports as a runtime failure.

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
    /// Like `Parse`, after `--set` overrides were applied (line numbers refer to the merged text).
    #[error("in scenario {file} with --set {overrides}: {message}")]
    Override { file: String, overrides: String, message: String },
    /// A `--set PATH=VALUE` that cannot be applied.
    #[error("--set {assignment}: {message}")]
    SetPath { assignment: String, message: String },
    /// A value that parses but is out of range or inconsistent.
    #[error("in scenario {file}, field `{field}`: {message}")]
    Invalid { file: String, field: String, message: String },
}
