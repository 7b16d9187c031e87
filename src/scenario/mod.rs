//! The scenario file: its schema ([`schema`]), how a file is read, overridden and validated
//! ([`source`], [`crate::scenario::validate`]).
//!
//! The schema's types and the reading functions are re-exported here, for users of the
//! library; the crate's own modules import them from the module that defines them, so that its
//! import graph shows who depends on what (`tests/architecture.rs`).

pub mod inert;
pub mod scales;
pub mod schema;
pub mod source;
pub mod sweep;
pub mod validate;

pub use schema::*;
pub use source::{Source, from_str, load};
