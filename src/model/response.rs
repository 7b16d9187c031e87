//! Response: from exposure to the individual treatment effect (model.md section 5).
//!
//! Repletion after `t` weeks: `dm = deficit * (1 - exp(-t / tau)) * a / (a + A50)`, with `a` the
//! absorbed Mg (mg/day). Individual benefit, in outcome units: `max_effect * dm / ref_deficit`,
//! or `effect_replete` for a treated person with no deficit. Under the `fixed` model every treated
//! person benefits by exactly `delta` (the textbook case) while Mg still repletes as above. Under
//! the `acute` model an infusion acts within hours, before anything repletes: every treated person
//! benefits by `acute_effect`, or by `acute_effect_low_mg` if their true Mg is below the deficiency
//! cut-off (Mauskop's sustained relief in 86% with low ionized Mg against 16% [Mauskop95]).

use crate::scenario::schema::{Response, ResponseModel};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponseModelParams {
    pub model: ResponseModel,
    pub delta: f64,
    pub max_effect: f64,
    pub ref_deficit_mmol_per_l: f64,
    pub effect_replete: f64,
    /// The acute response's benefit, and its benefit when true Mg is below the cut-off.
    pub acute_effect: f64,
    pub acute_effect_low_mg: f64,
    pub a50_mg_per_day: f64,
    /// `1 - exp(-duration / tau)`: the share of the reachable repletion achieved by the end.
    pub time_factor: f64,
    /// `1 / ref_deficit_mmol_per_l` (a product per person instead of a division).
    per_ref_deficit: f64,
    /// The U-shape's harm above an upper level of status, when modelled.
    pub overshoot: Option<crate::scenario::schema::Overshoot>,
}

impl ResponseModelParams {
    /// The response in the engine's units (`counts`: `-ln` rate ratios). A calibrated
    /// `max_effect` is 0 until the calibration sets it.
    pub fn new(r: &Response, duration_weeks: f64, counts: bool) -> ResponseModelParams {
        let effect = r.effect_parameters(counts);
        ResponseModelParams {
            model: r.model,
            delta: effect.delta,
            max_effect: effect.max_effect.unwrap_or(0.0),
            ref_deficit_mmol_per_l: r.ref_deficit_mmol_per_l,
            per_ref_deficit: 1.0 / r.ref_deficit_mmol_per_l,
            effect_replete: effect.effect_replete,
            acute_effect: effect.acute_effect,
            acute_effect_low_mg: effect.acute_effect_low_mg,
            a50_mg_per_day: r.a50_mg_per_day,
            time_factor: -(-duration_weeks / r.tau_weeks).exp_m1(),
            overshoot: r.overshoot,
        }
    }

    /// The U-shape's harm to a person whose status goes from `m` to `m_end` (mmol/L): the
    /// benefit lost to the status above the upper level, net of the baseline's.
    #[inline]
    pub fn overshoot_harm(&self, m: f64, m_end: f64) -> f64 {
        self.overshoot.map_or(0.0, |o| {
            o.harm_per_mmol_per_l * ((m_end - o.upper_mmol_per_l).max(0.0) - (m - o.upper_mmol_per_l).max(0.0))
        })
    }

    /// This response with no effect on anyone (the global null), repletion unchanged.
    pub fn null(&self) -> ResponseModelParams {
        ResponseModelParams {
            delta: 0.0,
            max_effect: 0.0,
            effect_replete: 0.0,
            acute_effect: 0.0,
            acute_effect_low_mg: 0.0,
            overshoot: None,
            ..*self
        }
    }

    /// Share of the deficit repleted at absorbed dose `a` (mg/day) by the end of the trial.
    #[inline]
    pub(crate) fn repleted_fraction(&self, absorbed_mg_per_day: f64) -> f64 {
        let saturation = if absorbed_mg_per_day > 0.0 {
            absorbed_mg_per_day / (absorbed_mg_per_day + self.a50_mg_per_day)
        } else {
            0.0
        };
        self.time_factor * saturation
    }

    /// Benefit of a treated person with the given deficit and repletion (both mmol/L), whose
    /// true Mg is below the deficiency cut-off if `low_mg`.
    #[inline]
    pub fn benefit(&self, deficit_mmol_per_l: f64, repleted_mmol_per_l: f64, low_mg: bool) -> f64 {
        match self.model {
            ResponseModel::Fixed => self.delta,
            ResponseModel::Acute if low_mg => self.acute_effect_low_mg,
            ResponseModel::Acute => self.acute_effect,
            ResponseModel::Repletion if deficit_mmol_per_l > 0.0 => {
                self.max_effect * (repleted_mmol_per_l * self.per_ref_deficit)
            }
            ResponseModel::Repletion => self.effect_replete,
        }
    }
}
