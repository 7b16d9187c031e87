//! What a run gives back: the CSV and terminal tables ([`export`], [`search`], [`optimize`]), the provenance
//! sidecar that reproduces an output ([`provenance`]), the resolved model in words
//! ([`explain`]), the regression check of two outputs ([`check`]), the figures ([`plot`]), the
//! notes a run prints before it starts ([`notes`]), and the writing of a command's outputs
//! with their sidecars as one unit ([`files`]).

pub mod check;
pub mod explain;
pub mod export;
pub mod files;
pub mod notes;
pub mod optimize;
pub mod plot;
pub mod provenance;
pub mod search;
