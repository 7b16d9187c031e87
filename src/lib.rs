//! `mgtrial`: Monte Carlo power for randomized trials of magnesium supplementation.
//!
//! A scenario ([`scenario::Scenario`]) is resolved into a [`plan::Plan`]; [`engine::run`]
//! simulates its replicates in parallel ([`trial::simulate_trial`]) and summarizes power and
//! the operating characteristics of each active-vs-placebo comparison ([`summary`]).

pub mod analysis;
pub mod biomarker;
pub mod calibration;
pub mod check;
pub mod checkpoint;
pub mod comparison;
pub mod engine;
pub mod error;
pub mod explain;
pub mod export;
pub mod inert;
pub mod intervention;
pub mod numeric;
pub mod outcome;
pub mod output;
pub mod plan;
pub mod plot;
pub mod population;
pub mod power;
pub mod provenance;
pub mod response;
pub mod rng;
pub mod scales;
pub mod scenario;
pub mod search;
pub mod selection;
pub mod shard;
pub mod study;
pub mod summary;
pub mod sweep;
pub mod trial;
pub mod validate;
pub mod validation;
