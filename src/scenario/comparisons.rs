//! The comparisons a trial makes: every Mg arm against placebo for superiority (the default),
//! or those `[[analysis.comparisons]]` lists, against placebo, a comparator or another Mg arm,
//! for superiority, non-inferiority or equivalence; and the arms of kind `comparator`.
//!
//! Non-inferiority and equivalence follow ICH E9/E10 and the CPMP points to consider on
//! switching between superiority and non-inferiority (2000): a one-sided test at `alpha`
//! (`sided = "one"`) or `alpha / 2` (`sided = "two"`, so that it is the lower limit of the
//! two-sided interval), of `estimate + margin > 0`; equivalence by Schuirmann's (1987) two
//! one-sided tests, each at that level.

use crate::scenario::schema::{ArmKind, Hypothesis, Scenario, TestKind};

/// One comparison, by arm index.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The arm tested.
    pub arm: usize,
    /// The arm it is compared with.
    pub against: usize,
    pub hypothesis: Hypothesis,
    /// The margins as given (`None` for superiority).
    pub margin: Option<f64>,
    pub margin_rate_ratio: Option<f64>,
    pub margin_responder_points: Option<f64>,
}

/// The unit in which an analysis reads a margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginUnit {
    /// Outcome units: Welch and ANCOVA.
    Outcome,
    /// A rate ratio: the count regressions with a Wald or t test.
    RateRatio,
    /// Percentage points of the responder share: chi-square (Wald test of the risk difference).
    ResponderPoints,
}

impl MarginUnit {
    /// The unit `test` reads a margin in; `None` for tests that cannot test against one.
    pub fn of(test: TestKind) -> Option<MarginUnit> {
        match test {
            TestKind::Welch | TestKind::Ancova => Some(MarginUnit::Outcome),
            TestKind::NegbinWald | TestKind::Poisson | TestKind::QuasiPoisson => Some(MarginUnit::RateRatio),
            TestKind::ChiSquare | TestKind::ChiSquareYates => Some(MarginUnit::ResponderPoints),
            _ => None,
        }
    }

    pub fn field(self) -> &'static str {
        match self {
            MarginUnit::Outcome => "margin",
            MarginUnit::RateRatio => "margin_rate_ratio",
            MarginUnit::ResponderPoints => "margin_responder_points",
        }
    }
}

impl Comparison {
    /// The margin `test` reads, as given (outcome units, rate ratio, responder points); `None`
    /// for superiority and for a test that reads none.
    pub fn margin_as_given(&self, test: TestKind) -> Option<f64> {
        if self.hypothesis == Hypothesis::Superiority {
            return None;
        }
        match MarginUnit::of(test)? {
            MarginUnit::Outcome => self.margin,
            MarginUnit::RateRatio => self.margin_rate_ratio,
            MarginUnit::ResponderPoints => self.margin_responder_points,
        }
    }

    /// The margin of `test`, on the scale of its estimate of benefit: outcome units, `ln` of
    /// the rate ratio (the estimate is `-ln` rate ratio), or a share; 0 for superiority.
    pub fn margin_for(&self, test: TestKind) -> f64 {
        let Some(v) = self.margin_as_given(test) else { return 0.0 };
        match MarginUnit::of(test) {
            Some(MarginUnit::RateRatio) => v.ln(),
            Some(MarginUnit::ResponderPoints) => v / 100.0,
            _ => v,
        }
    }
}

/// Whether the scenario lists its comparisons.
pub fn listed(s: &Scenario) -> bool {
    !s.analysis.comparisons.is_empty()
}

/// The number of comparisons (for scenarios not yet validated too).
pub fn count(s: &Scenario) -> usize {
    if listed(s) { s.analysis.comparisons.len() } else { s.arms.iter().filter(|a| a.kind == ArmKind::Active).count() }
}

/// The comparisons of a validated scenario, in order: as listed, or every Mg arm against the
/// placebo arm in file order.
pub fn resolved(s: &Scenario) -> Vec<Comparison> {
    let index = |name: &str| s.arms.iter().position(|a| a.name == name).expect("validated: an arm's name");
    if listed(s) {
        return s
            .analysis
            .comparisons
            .iter()
            .map(|c| Comparison {
                arm: index(&c.arm),
                against: index(&c.against),
                hypothesis: c.hypothesis,
                margin: c.margin,
                margin_rate_ratio: c.margin_rate_ratio,
                margin_responder_points: c.margin_responder_points,
            })
            .collect();
    }
    let placebo = s.arms.iter().position(|a| a.kind == ArmKind::Placebo).expect("validated: a placebo arm");
    s.arms
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == ArmKind::Active)
        .map(|(arm, _)| Comparison {
            arm,
            against: placebo,
            hypothesis: Hypothesis::Superiority,
            margin: None,
            margin_rate_ratio: None,
            margin_responder_points: None,
        })
        .collect()
}
