//! Outcome families (model.md section 6), one module each: continuous scales ([`scale`]:
//! depression and cognitive scores) and counts ([`count`]: migraine attacks and migraine
//! days). Each family draws a participant's observed baseline and follow-up; the trial loop
//! is specialised per family, so nothing dispatches on the family per participant.

pub mod count;
pub mod scale;

pub use scale::OutcomeModel;
