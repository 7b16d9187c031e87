//! Checks of the arms and of `[[analysis.comparisons]]` (see [`crate::scenario::comparisons`]).

use super::{MAX_OUTCOME_MAGNITUDE, MIN_RATE_RATIO, Problem, check};
use crate::scenario::comparisons::{MarginUnit, listed};
use crate::scenario::schema::{ArmKind, ComparisonSpec, Hypothesis, Scenario, TestKind};

/// The arms: at most one placebo, at least one Mg arm; comparators state their own effect,
/// adherence and dropout, and nothing of Mg.
pub(crate) fn arms(s: &Scenario, counts: bool) -> Result<(), Problem> {
    let placebos = s.arms.iter().filter(|a| a.kind == ArmKind::Placebo).count();
    check(placebos <= 1, "arms", format!("{placebos} placebo arms: at most one arm may have kind = \"placebo\""))?;
    check(
        s.arms.iter().any(|a| a.kind == ArmKind::Active),
        "arms",
        "no active arm: at least one arm must have kind = \"active\" (an Mg arm; a drug of known effect is kind = \"comparator\")",
    )?;
    let (own, other) = if counts { ("rate_ratio", "effect") } else { ("effect", "rate_ratio") };
    for (i, arm) in s.arms.iter().enumerate() {
        let f = |name: &str| format!("arms[{i}].{name}");
        if arm.kind != ArmKind::Comparator {
            for (name, given) in [
                ("effect", arm.effect.is_some()),
                ("rate_ratio", arm.rate_ratio.is_some()),
                ("responder_percent", arm.responder_percent.is_some()),
            ] {
                check(
                    !given,
                    f(name),
                    format!(
                        "arm `{}` is of kind \"{}\": only a comparator states its own effect (an Mg arm's comes from \
                         [response], placebo has none)",
                        arm.name,
                        arm.kind.label()
                    ),
                )?;
            }
            continue;
        }
        for (name, given) in [
            ("formulation", arm.formulation.is_some()),
            ("dose_mg_per_day", arm.dose_mg_per_day.is_some()),
            ("bioavailability", arm.bioavailability.is_some()),
        ] {
            check(
                !given,
                f(name),
                format!(
                    "arm `{}` is a comparator, which takes no Mg: its effect is its own (arms.<name>.{own}); remove it, \
                     or make the arm kind = \"active\"",
                    arm.name
                ),
            )?;
        }
        check(
            if counts { arm.effect.is_none() } else { arm.rate_ratio.is_none() },
            f(other),
            format!(
                "is not a field of a comparator on {}, whose effect is given as arms.<name>.{own}",
                if counts { "a count outcome" } else { "a rating scale" }
            ),
        )?;
        if let Some(p) = arm.responder_percent {
            check(
                !counts && arm.effect.is_none(),
                f("responder_percent"),
                if counts {
                    "a comparator on a count outcome gives its effect as arms.<name>.rate_ratio".to_string()
                } else {
                    format!("comparator `{}` gives both effect and responder_percent: give one", arm.name)
                },
            )?;
            check(
                p.is_finite() && p > 0.0 && p < 100.0,
                f("responder_percent"),
                format!(
                    "{p} is not allowed: the percentage of the comparator's completers who respond, above 0 and below 100"
                ),
            )?;
        }
        let effect = if counts { arm.rate_ratio } else { arm.effect.or(arm.responder_percent.map(|_| 0.0)) };
        let effect = effect.ok_or_else(|| {
            (
                f(own),
                format!(
                    "comparator `{}` needs its effect over placebo for a person who takes every dose: {}",
                    arm.name,
                    if counts {
                        "rate_ratio, events on it over events on placebo (below 1 = fewer)"
                    } else {
                        "effect, in outcome units, positive for benefit in the scale's direction, or \
                         responder_percent, the share of its completers who respond by analysis.responder's rule"
                    }
                ),
            )
        })?;
        if counts {
            check(
                effect.is_finite() && (MIN_RATE_RATIO..=1.0 / MIN_RATE_RATIO).contains(&effect),
                f(own),
                format!(
                    "{effect} is not allowed: a comparator's rate ratio lies from {MIN_RATE_RATIO} (the most extreme \
                     published figure in migraine prevention [Chiu16]) to {}",
                    1.0 / MIN_RATE_RATIO
                ),
            )?;
            check(
                effect <= 1.0 || s.assumptions.harmful_effect,
                f(own),
                format!(
                    "a rate ratio of {effect} means more events on the comparator than on placebo; check the \
                     direction, or set assumptions.harmful_effect = true to model harm"
                ),
            )?;
        } else {
            check(
                effect.is_finite() && effect.abs() <= MAX_OUTCOME_MAGNITUDE,
                f(own),
                format!("{effect} is not allowed: at most {MAX_OUTCOME_MAGNITUDE} outcome units either way"),
            )?;
            check(
                effect >= 0.0 || s.assumptions.harmful_effect,
                f(own),
                format!(
                    "{effect} is a negative benefit: a benefit is entered as a benefit (a fall on a lower-is-better \
                     scale is positive); check the sign, or set assumptions.harmful_effect = true to model harm"
                ),
            )?;
        }
        check(
            arm.adherence_mean.is_some(),
            f("adherence_mean"),
            format!(
                "comparator `{}` needs its adherence: each person's effect is the full-dose effect times the share \
                 of doses they take, so say what share that is (1 applies the effect as given to everyone; a \
                 published effect already includes that trial's adherence)",
                arm.name
            ),
        )?;
        // Under dropout by lack of improvement every arm's loss follows from its improvement.
        let improvement_decides = s.dropout.mechanism == crate::scenario::schema::DropoutMechanism::NoImprovement;
        check(
            arm.dropout.is_some() || improvement_decides,
            f("dropout"),
            format!(
                "comparator `{}` needs its own dropout probability: a drug's side effects and burden differ from \
                 Mg's ([dropout] holds placebo's and the Mg arms')",
                arm.name
            ),
        )?;
    }
    Ok(())
}

/// `[[analysis.comparisons]]`: required with a comparator or without placebo; each names two
/// different arms, the first not placebo; every arm is in one; margins exactly where the
/// hypothesis and the analyses read them.
pub(crate) fn comparisons(s: &Scenario, counts: bool) -> Result<(), Problem> {
    let names = || s.arms.iter().map(|a| format!("`{}`", a.name)).collect::<Vec<_>>().join(", ");
    let comparator = s.arms.iter().find(|a| a.kind == ArmKind::Comparator);
    let placebo = s.arms.iter().any(|a| a.kind == ArmKind::Placebo);
    if !listed(s) {
        check(
            comparator.is_none() && placebo,
            "analysis.comparisons",
            match comparator {
                Some(c) => format!(
                    "with comparator `{}` the comparisons are not implied: list them as [[analysis.comparisons]] with \
                     arm, against (one of {}) and hypothesis (superiority, non_inferiority, equivalence)",
                    c.name,
                    names()
                ),
                None => format!(
                    "without a placebo arm the comparisons are not implied: list them as [[analysis.comparisons]] \
                     with arm, against (one of {}) and hypothesis",
                    names()
                ),
            },
        )?;
        return Ok(());
    }
    let analyses = s.analysis.all(counts);
    let mut pairs = Vec::new();
    for (i, c) in s.analysis.comparisons.iter().enumerate() {
        let f = |name: &str| format!("analysis.comparisons[{i}].{name}");
        let arm_named = |field: &str, name: &str| {
            s.arms
                .iter()
                .position(|a| a.name == name)
                .ok_or_else(|| (f(field), format!("no arm is named `{name}`: allowed values are {}", names())))
        };
        let (a, b) = (arm_named("arm", &c.arm)?, arm_named("against", &c.against)?);
        check(a != b, f("against"), format!("`{}` is compared with itself: name another arm", c.arm))?;
        check(
            s.arms[a].kind != ArmKind::Placebo,
            f("arm"),
            format!(
                "`{}` is the placebo arm: the arm tested is an Mg arm or a comparator (placebo goes in against)",
                c.arm
            ),
        )?;
        check(
            !pairs.contains(&(a.min(b), a.max(b))),
            f("against"),
            format!("`{}` and `{}` are compared twice: one comparison per pair of arms", c.arm, c.against),
        )?;
        pairs.push((a.min(b), a.max(b)));
        margins(c, &analyses, &f)?;
    }
    if let Some(unused) = s.arms.iter().enumerate().find(|(k, _)| !pairs.iter().any(|&(a, b)| a == *k || b == *k)) {
        return Err((
            "analysis.comparisons".into(),
            format!(
                "arm `{}` is in no comparison, so it would be simulated and never analysed: compare it, or remove it",
                unused.1.name
            ),
        ));
    }
    Ok(())
}

/// The margins of one comparison: none for superiority; for non-inferiority and equivalence
/// one in the unit of each analysis, and none that no analysis reads.
fn margins(c: &ComparisonSpec, analyses: &[TestKind], f: &dyn Fn(&str) -> String) -> Result<(), Problem> {
    let given = [
        (MarginUnit::Outcome, c.margin),
        (MarginUnit::RateRatio, c.margin_rate_ratio),
        (MarginUnit::ResponderPoints, c.margin_responder_points),
    ];
    if c.hypothesis == Hypothesis::Superiority {
        for (unit, v) in given {
            check(
                v.is_none(),
                f(unit.field()),
                "a superiority comparison has no margin: set hypothesis = \"non_inferiority\" or \"equivalence\", or \
                 remove it",
            )?;
        }
        return Ok(());
    }
    let mut read = Vec::new();
    for &t in analyses {
        let unit = MarginUnit::of(t).ok_or_else(|| {
            (
                f("hypothesis"),
                format!(
                    "{} cannot test against a margin ({}); for {} use welch or ancova (outcome units), negbin_wald, \
                     poisson or quasi_poisson (a rate ratio), or chi_square (responder points)",
                    t.label(),
                    match t {
                        TestKind::Fisher => "its exact test is of no difference",
                        TestKind::Wilcoxon => "a rank test has no shift of its statistic in outcome units",
                        _ => "its likelihood ratio is of no difference",
                    },
                    c.hypothesis.label()
                ),
            )
        })?;
        if !read.contains(&unit) {
            read.push(unit);
        }
    }
    for (unit, v) in given {
        match (read.contains(&unit), v) {
            (true, None) => {
                return Err((
                    f(unit.field()),
                    format!(
                        "a {} comparison needs its margin in the unit of every analysis: {} ({})",
                        c.hypothesis.label(),
                        unit.field(),
                        match unit {
                            MarginUnit::Outcome => "outcome units, how much worse the arm may be",
                            MarginUnit::RateRatio => "a rate ratio above 1, how many times the events it may have",
                            MarginUnit::ResponderPoints => "percentage points of responders it may lack",
                        }
                    ),
                ));
            }
            (false, Some(_)) => {
                return Err((
                    f(unit.field()),
                    format!(
                        "no analysis reads a margin in this unit (analyses: {}): remove it",
                        analyses.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            (true, Some(v)) => {
                let ok = match unit {
                    MarginUnit::Outcome => v > 0.0 && v <= MAX_OUTCOME_MAGNITUDE,
                    MarginUnit::RateRatio => v > 1.0 && v <= 1.0 / MIN_RATE_RATIO,
                    MarginUnit::ResponderPoints => v > 0.0 && v < 100.0,
                };
                check(
                    ok,
                    f(unit.field()),
                    format!(
                        "{v} is not allowed: {}",
                        match unit {
                            MarginUnit::Outcome =>
                                format!("a margin is above 0 outcome units (at most {MAX_OUTCOME_MAGNITUDE})"),
                            MarginUnit::RateRatio =>
                                format!("a margin rate ratio is above 1 (at most {})", 1.0 / MIN_RATE_RATIO),
                            MarginUnit::ResponderPoints => "a margin is above 0 and below 100 percentage points".into(),
                        }
                    ),
                )?;
            }
            (false, None) => {}
        }
    }
    Ok(())
}
