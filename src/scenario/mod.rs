//! The scenario file, the lowest layer above the foundations (ARCHITECTURE.md): its schema as
//! plain data ([`schema`]), how a file is read and overridden ([`source`]), the checks that need
//! no model ([`validate`]), the rating-scale presets ([`scales`]), which fields do nothing in a
//! scenario ([`inert`]) and the design points of a sweep ([`sweep`]). Nothing here knows how a
//! trial is drawn.
//!
//! The schema's types and the reading functions are re-exported here, for users of the
//! library; the crate's own modules import them from the module that defines them, so that its
//! import graph shows who depends on what (`tests/architecture.rs`).

pub mod comparisons;
pub mod inert;
pub mod prior;
pub mod scales;
pub mod schema;
pub mod source;
pub mod sweep;
pub mod validate;

pub use schema::*;
pub use source::{Source, from_str, load};
