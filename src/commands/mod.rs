//! One file per command: each turns its parsed arguments into calls of the library and
//! returns how it ended ([`mgtrial::error::Failure`]), which `main.rs` maps to an exit code.

pub mod check;
pub mod explain;
pub mod merge;
pub mod optimize;
pub mod plot;
pub mod run;
pub mod sample_size;
pub mod shard;
pub mod validate;
