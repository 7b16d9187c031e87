//! The trial model: who is screened and enrolled, what the supplement does to
//! them, and what the outcome measure records. Each module draws one part of a simulated
//! participant from the plan's fixed parameters.
//!
//! - [`population`]: latent Mg status, a mixture of deficient and replete people.
//! - [`biomarker`]: the assays that read Mg status with error.
//! - [`selection`]: screening and enrolment by a biomarker reading.
//! - [`intervention`]: dose, formulation, bioavailability, and the mean and spread of adherence.
//! - [`response`]: repletion and the benefit it brings.
//! - [`tolerability`]: GI side effects by dose and formulation.
//! - [`vitamin_d`]: a vitamin D co-deficiency related to Mg status.
//! - [`outcome`]: the outcome measure: rating scales and counts.

pub mod biomarker;
pub(crate) mod intervention;
pub mod outcome;
pub mod population;
pub mod response;
pub mod selection;
pub mod tolerability;
pub mod vitamin_d;
