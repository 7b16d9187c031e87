//! Selection alone: with m ~ N(mu, sigma) and a reading b = a m + bias + e, e ~ N(0, s^2) with
//! s^2 = persistent^2 + repeat^2 / k, the enrolment probability is
//! Phi((t - a mu - bias) / sqrt(a^2 sigma^2 + s^2)) and the PPV is the bivariate-normal
//! probability P(m < c, b < t) / P(b < t), correlation a sigma / sqrt(a^2 sigma^2 + s^2). The
//! reference values are computed here, in the standardized form, independently of the
//! library's own quadrature. Every assay type is checked with its default scale and bias (stated
//! here, not read from the library), at enrolment and as the confirmatory assay of two-stage
//! screening: selection by serum alone (scale 1, bias 0) could not tell a model that drops them.

mod common;
use common::{TEXTBOOK, binomial_se, simulate};
use mgtrial::model::population::Filters;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// P(Z1 < a, Z2 < b) for standard bivariate normal with correlation rho (0 <= rho <= 1):
/// integral over z of phi(z) Phi((b - rho z) / sqrt(1 - rho^2)) for z < a, by the trapezoid
/// rule with 200,000 steps from -12 to a; Phi(min(a, b)) when rho = 1.
fn bivariate_normal_cdf(a: f64, b: f64, rho: f64) -> f64 {
    let n = Normal::standard();
    if rho >= 1.0 {
        return n.cdf(a.min(b));
    }
    let steps = 200_000;
    let lo = -12.0;
    let h = (a - lo) / steps as f64;
    let f = |z: f64| n.pdf(z) * n.cdf((b - rho * z) / (1.0 - rho * rho).sqrt());
    let mut sum = 0.5 * (f(lo) + f(a));
    for i in 1..steps {
        sum += f(lo + h * i as f64);
    }
    sum * h
}

/// An assay as this file models it: the type, its default scale and bias (biomarker units per
/// mmol/L and biomarker units, from biomarker.rs / docs/scenarios.md; not overridden, so the
/// library's defaults are what is exercised), and the error SDs and repeats the test sets.
#[derive(Debug, Clone, Copy)]
struct TestAssay {
    kind: &'static str,
    scale: f64,
    bias: f64,
    persistent: f64,
    repeat: f64,
    repeats: u32,
}

impl TestAssay {
    /// SD of one occasion's total error: sqrt(persistent^2 + repeat^2 / k).
    fn error_sd(&self) -> f64 {
        (self.persistent * self.persistent + self.repeat * self.repeat / f64::from(self.repeats)).sqrt()
    }

    fn expected_reading(&self, m: f64) -> f64 {
        self.scale * m + self.bias
    }

    /// `--set` overrides of `section` (`biomarker` or `confirmation`): type, SDs and repeats;
    /// scale and bias are left to the type's defaults.
    fn overrides(&self, section: &str) -> Vec<String> {
        vec![
            format!("{section}.type=\"{}\"", self.kind),
            format!("{section}.persistent_sd={}", self.persistent),
            format!("{section}.repeat_sd={}", self.repeat),
            format!("{section}.repeats={}", self.repeats),
        ]
    }
}

/// Serum total Mg with the given error SDs: scale 1 and bias 0 by definition of the
/// serum-equivalent status.
fn serum(persistent: f64, repeat: f64, repeats: u32) -> TestAssay {
    TestAssay { kind: "serum_total", scale: 1.0, bias: 0.0, persistent, repeat, repeats }
}

/// One of each type, with default scale and bias and error SDs near each type's defaults, in
/// its own unit: serum and ionized mmol/L (iMg/tMg 0.60), red-cell mmol/L (scale 2.65),
/// loading test % of the load excreted (127 m - 14).
const SERUM: TestAssay =
    TestAssay { kind: "serum_total", scale: 1.0, bias: 0.0, persistent: 0.03, repeat: 0.06, repeats: 1 };
const IONIZED: TestAssay =
    TestAssay { kind: "ionized", scale: 0.60, bias: 0.0, persistent: 0.027, repeat: 0.024, repeats: 1 };
const RED_CELL: TestAssay =
    TestAssay { kind: "red_cell", scale: 2.65, bias: 0.0, persistent: 0.08, repeat: 0.10, repeats: 2 };
const LOADING_TEST: TestAssay =
    TestAssay { kind: "loading_test", scale: 127.0, bias: -14.0, persistent: 2.0, repeat: 5.7, repeats: 1 };

/// The population overrides: one normal component N(mu, sigma) and the deficiency cut-off.
fn population(mu: f64, sigma: f64, cutoff: f64) -> Vec<String> {
    vec![
        "population.model=\"normal\"".to_string(),
        common::TEXTBOOK_EXPOSURE[0].to_string(),
        common::TEXTBOOK_EXPOSURE[1].to_string(),
        format!("population.mean_mmol_per_l={mu}"),
        format!("population.sd_mmol_per_l={sigma}"),
        format!("population.deficiency_cutoff_mmol_per_l={cutoff}"),
    ]
}

fn run(overrides: &[String]) -> mgtrial::engine::summary::ComparisonSummary {
    let o: Vec<&str> = overrides.iter().map(String::as_str).collect();
    simulate(TEXTBOOK, &o)
}

/// Enrichment below `threshold` (in the assay's unit): enrolment probability, PPV and
/// sensitivity against the closed forms, each within 3.5 Monte Carlo SE. Returns the
/// closed-form enrolment probability.
fn check(mu: f64, sigma: f64, cutoff: f64, assay: &TestAssay, threshold: f64) -> f64 {
    let (a, s) = (assay.scale, assay.error_sd());
    let sd_b = (a * a * sigma * sigma + s * s).sqrt();
    let n = Normal::standard();
    let z_t = (threshold - assay.expected_reading(mu)) / sd_b;
    let p_enrol = n.cdf(z_t);
    let rho = a * sigma / sd_b;
    let ppv = bivariate_normal_cdf((cutoff - mu) / sigma, z_t, rho) / p_enrol;
    let mut o = population(mu, sigma, cutoff);
    o.extend(assay.overrides("biomarker"));
    o.extend([
        "selection.mode=\"enrich\"".to_string(),
        format!("selection.threshold={threshold}"),
        "design.reps=2000".into(),
    ]);
    let r = run(&o);
    let what = assay.kind;
    let enrolled = r.mean_enrolled * f64::from(r.reps);
    // Enrolment: enrolled / screened, with screened negative binomial; delta-method SE.
    let p_hat = 1.0 / r.screened_per_enrolled;
    let se_p = p_enrol * ((1.0 - p_enrol) / enrolled).sqrt();
    assert!((p_hat - p_enrol).abs() <= 3.5 * se_p, "{what}: enrolment {p_hat:.5} vs {p_enrol:.5} (SE {se_p:.5})");
    let ppv_hat = r.ppv_deficient.expect("Mg modelled");
    let se_ppv = binomial_se(ppv, enrolled);
    assert!((ppv_hat - ppv).abs() <= 3.5 * se_ppv, "{what}: PPV {ppv_hat:.5} vs {ppv:.5} (SE {se_ppv:.5})");
    // Sensitivity: P(b < t | m < c) = P(m < c, b < t) / P(m < c); the simulator estimates the
    // numerator as a share of all screened and divides by the exact P(m < c).
    let p_def = n.cdf((cutoff - mu) / sigma);
    let joint = ppv * p_enrol;
    let sens = joint / p_def;
    let screened = r.mean_screened * f64::from(r.reps);
    let se_sens = binomial_se(joint, screened) / p_def;
    let sens_hat = r.selection_sensitivity.expect("Mg modelled");
    assert!((sens_hat - sens).abs() <= 3.5 * se_sens, "{what}: sensitivity {sens_hat:.5} vs {sens:.5}");
    p_enrol
}

#[test]
fn enrolment_probability_and_ppv_match_closed_forms() {
    check(0.85, 0.05, 0.80, &serum(0.04, 0.0, 1), 0.80);
    check(0.85, 0.06, 0.78, &serum(0.02, 0.05, 1), 0.75);
    // Averaging four measurements shrinks only the repeat part of the error.
    check(0.85, 0.06, 0.78, &serum(0.02, 0.05, 4), 0.75);
    // A perfect assay: PPV is 1 when the cut-off equals the threshold.
    check(0.80, 0.05, 0.78, &serum(0.0, 0.0, 1), 0.78);
}

/// Each assay type at enrolment, with its default scale and bias and a threshold in its own unit
/// that enrols about 30%: a model that dropped the scale or bias from the reading, or from the
/// status given the reading, would move enrolment or PPV by many SE.
#[test]
fn enrolment_and_ppv_match_closed_forms_for_each_assay_type() {
    for (assay, threshold) in [(SERUM, 0.80), (IONIZED, 0.49), (RED_CELL, 2.15), (LOADING_TEST, 88.0)] {
        let p = check(0.85, 0.06, 0.78, &assay, threshold);
        assert!((0.1..=0.6).contains(&p), "{}: choose a threshold enrolling 10-60%, not {p}", assay.kind);
    }
}

#[test]
fn all_comers_ppv_is_the_prevalence() {
    let r = simulate(
        TEXTBOOK,
        &[
            "population.model=\"normal\"",
            common::TEXTBOOK_EXPOSURE[0],
            common::TEXTBOOK_EXPOSURE[1],
            "population.mean_mmol_per_l=0.82",
            "population.sd_mmol_per_l=0.06",
            "design.reps=2000",
        ],
    );
    let p = Normal::standard().cdf((0.75 - 0.82) / 0.06);
    let enrolled = r.mean_enrolled * f64::from(r.reps);
    assert!((r.ppv_deficient.unwrap() - p).abs() <= 3.5 * binomial_se(p, enrolled));
    assert_eq!(r.screened_per_enrolled, 1.0);
}

#[test]
fn library_quadrature_agrees_with_the_closed_form() {
    // The numbers `explain` prints come from MgStatus::integrate; check them too.
    use mgtrial::model::{biomarker::Assay, population::MgStatus};
    use mgtrial::scenario;
    let s = scenario::from_str(
        TEXTBOOK,
        "t.toml",
        "t",
        &[
            "population.model=\"normal\"".into(),
            common::TEXTBOOK_EXPOSURE[0].into(),
            common::TEXTBOOK_EXPOSURE[1].into(),
            "biomarker.persistent_sd=0.04".into(),
            "biomarker.repeat_sd=0".into(),
        ],
    )
    .unwrap();
    let mg = MgStatus::from_scenario(&s.population).unwrap();
    let assay = Assay::from_scenario(&s.biomarker);
    let (mu, sigma, sd_b) = (0.85, 0.05, (0.05f64 * 0.05 + 0.04 * 0.04).sqrt());
    let n = Normal::standard();
    let p = mg.prob_reading_below(&assay, 0.8);
    assert!((p - n.cdf((0.8 - mu) / sd_b)).abs() < 1e-12);
    let joint = mg.integrate(&Filters::of_assays(vec![(&assay, 0.8)]), 0.75, |_| 1.0);
    let reference = bivariate_normal_cdf((0.75 - mu) / sigma, (0.8 - mu) / sd_b, sigma / sd_b);
    assert!((joint - reference).abs() < 1e-7, "{joint} vs {reference}");
}

/// Two-stage screening: stage 1 `first` below `t1`, then `second` below `t2`, the assays'
/// errors independent given m. P(enrol) = E[Phi((t1 - a1 m - bias1)/s1) Phi((t2 - a2 m - bias2)/s2)]
/// by the trapezoid rule over m here; PPV restricts the integral to m < cutoff; confirmatory
/// tests per enrolled are P(pass stage 1) / P(enrol). Each within 3.5 Monte Carlo SE. Returns
/// the closed-form enrolment probability.
fn check_two_stage(mu: f64, sigma: f64, cutoff: f64, first: &TestAssay, t1: f64, second: &TestAssay, t2: f64) -> f64 {
    let n = Normal::standard();
    let (s1, s2) = (first.error_sd(), second.error_sd());
    let integral = |upper: f64| {
        let steps = 200_000;
        let lo = mu - 12.0 * sigma;
        let h = (upper - lo) / steps as f64;
        let f = |m: f64| {
            n.pdf((m - mu) / sigma) / sigma
                * n.cdf((t1 - first.expected_reading(m)) / s1)
                * n.cdf((t2 - second.expected_reading(m)) / s2)
        };
        let mut sum = 0.5 * (f(lo) + f(upper));
        for i in 1..steps {
            sum += f(lo + h * i as f64);
        }
        sum * h
    };
    let p_enrol = integral(mu + 12.0 * sigma);
    let what = format!("{} then {}", first.kind, second.kind);
    let ppv = integral(cutoff) / p_enrol;
    let p_stage1 = n.cdf((t1 - first.expected_reading(mu)) / (first.scale * sigma).hypot(s1));
    let mut o = population(mu, sigma, cutoff);
    o.extend(first.overrides("biomarker"));
    o.extend(second.overrides("confirmation"));
    o.extend([
        "selection.mode=\"two_stage\"".to_string(),
        format!("selection.threshold={t1}"),
        format!("selection.confirm_threshold={t2}"),
        "design.reps=2000".into(),
    ]);
    let r = run(&o);
    let enrolled = r.mean_enrolled * f64::from(r.reps);
    let p_hat = 1.0 / r.screened_per_enrolled;
    let se_p = p_enrol * ((1.0 - p_enrol) / enrolled).sqrt();
    assert!((p_hat - p_enrol).abs() <= 3.5 * se_p, "{what}: enrolment {p_hat:.5} vs {p_enrol:.5} (SE {se_p:.5})");
    let ppv_hat = r.ppv_deficient.unwrap();
    let se_ppv = binomial_se(ppv, enrolled);
    assert!((ppv_hat - ppv).abs() <= 3.5 * se_ppv, "{what}: PPV {ppv_hat:.5} vs {ppv:.5} (SE {se_ppv:.5})");
    // Confirmatory tests per enrolled: P(stage 1) / P(enrol), again negative-binomial counts.
    let tests_per_enrolled = r.mean_confirmatory_tests.unwrap() / r.mean_enrolled;
    let expected = p_stage1 / p_enrol;
    let q = p_enrol / p_stage1; // P(confirm | passed stage 1)
    let se = expected * ((1.0 - q) / enrolled).sqrt();
    assert!(
        (tests_per_enrolled - expected).abs() <= 3.5 * se,
        "{what}: confirmatory tests per enrolled {tests_per_enrolled:.5} vs {expected:.5} (SE {se:.5})"
    );
    p_enrol
}

#[test]
fn two_stage_enrolment_and_ppv_match_closed_forms() {
    // Serum without repeat error, then red cell at its default scale 2.65.
    let red_cell = TestAssay { persistent: 0.08, repeat: 0.0, repeats: 1, ..RED_CELL };
    check_two_stage(0.85, 0.06, 0.78, &serum(0.05, 0.0, 1), 0.80, &red_cell, 2.0);
}

/// Each assay type as the confirmatory assay, with its default scale and bias: after a serum
/// first stage, ionized, red cell and the loading test; serum itself after an ionized first
/// stage (the two stages must differ in type). Thresholds in each assay's unit enrol 20-25%.
#[test]
fn two_stage_confirmation_matches_closed_forms_for_each_confirmatory_assay() {
    for (first, t1, second, t2) in [
        (SERUM, 0.83, IONIZED, 0.50),
        (SERUM, 0.83, RED_CELL, 2.20),
        (SERUM, 0.83, LOADING_TEST, 90.0),
        (IONIZED, 0.50, SERUM, 0.83),
    ] {
        let p = check_two_stage(0.85, 0.06, 0.78, &first, t1, &second, t2);
        assert!(
            (0.1..=0.6).contains(&p),
            "{} then {}: choose thresholds enrolling 10-60%, not {p}",
            first.kind,
            second.kind
        );
    }
}
