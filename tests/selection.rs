//! Selection alone: with m ~ N(mu, sigma) and a reading b = m + N(0, s^2), the enrolment
//! probability is Phi((t - mu) / sqrt(sigma^2 + s^2)) and the PPV is the bivariate-normal
//! probability P(m < c, b < t) / P(b < t). The reference values are computed here, in the
//! standardized form, independently of the library's own quadrature.

mod common;
use common::{TEXTBOOK, binomial_se, simulate};
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

fn check(mu: f64, sigma: f64, persistent: f64, repeat: f64, repeats: u32, threshold: f64, cutoff: f64) {
    let s2 = persistent * persistent + repeat * repeat / f64::from(repeats);
    let sd_b = (sigma * sigma + s2).sqrt();
    let n = Normal::standard();
    let p_enrol = n.cdf((threshold - mu) / sd_b);
    let rho = sigma / sd_b;
    let ppv = bivariate_normal_cdf((cutoff - mu) / sigma, (threshold - mu) / sd_b, rho) / p_enrol;
    let r = simulate(
        TEXTBOOK,
        &[
            "population.model=\"normal\"",
            &format!("population.mean_mmol_per_l={mu}"),
            &format!("population.sd_mmol_per_l={sigma}"),
            &format!("population.deficiency_cutoff_mmol_per_l={cutoff}"),
            "biomarker.type=\"serum_total\"",
            &format!("biomarker.persistent_sd={persistent}"),
            &format!("biomarker.repeat_sd={repeat}"),
            &format!("biomarker.repeats={repeats}"),
            "selection.mode=\"enrich\"",
            &format!("selection.threshold={threshold}"),
            "design.reps=2000",
        ],
    );
    let enrolled = r.mean_enrolled * f64::from(r.reps);
    // Enrolment: enrolled / screened, with screened negative binomial; delta-method SE.
    let p_hat = 1.0 / r.screened_per_enrolled;
    let se_p = p_enrol * ((1.0 - p_enrol) / enrolled).sqrt();
    assert!((p_hat - p_enrol).abs() <= 3.5 * se_p, "enrolment {p_hat:.5} vs {p_enrol:.5} (SE {se_p:.5})");
    let ppv_hat = r.ppv_deficient.expect("Mg modelled");
    let se_ppv = binomial_se(ppv, enrolled);
    assert!((ppv_hat - ppv).abs() <= 3.5 * se_ppv, "PPV {ppv_hat:.5} vs {ppv:.5} (SE {se_ppv:.5})");
    // Sensitivity: P(b < t | m < c) = P(m < c, b < t) / P(m < c); the simulator estimates the
    // numerator as a share of all screened and divides by the exact P(m < c).
    let p_def = n.cdf((cutoff - mu) / sigma);
    let joint = ppv * p_enrol;
    let sens = joint / p_def;
    let screened = r.mean_screened * f64::from(r.reps);
    let se_sens = binomial_se(joint, screened) / p_def;
    let sens_hat = r.selection_sensitivity.expect("Mg modelled");
    assert!((sens_hat - sens).abs() <= 3.5 * se_sens, "sensitivity {sens_hat:.5} vs {sens:.5}");
}

#[test]
fn enrolment_probability_and_ppv_match_closed_forms() {
    check(0.85, 0.05, 0.04, 0.0, 1, 0.80, 0.80);
    check(0.85, 0.06, 0.02, 0.05, 1, 0.75, 0.78);
    // Averaging four measurements shrinks only the repeat part of the error.
    check(0.85, 0.06, 0.02, 0.05, 4, 0.75, 0.78);
    // A perfect assay: PPV is 1 when the cut-off equals the threshold.
    check(0.80, 0.05, 0.0, 0.0, 1, 0.78, 0.78);
}

#[test]
fn all_comers_ppv_is_the_prevalence() {
    let r = simulate(
        TEXTBOOK,
        &[
            "population.model=\"normal\"",
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
    use mgtrial::{biomarker::Assay, population::MgStatus, scenario};
    let s = scenario::from_str(
        TEXTBOOK,
        "t.toml",
        "t",
        &["population.model=\"normal\"".into(), "biomarker.persistent_sd=0.04".into(), "biomarker.repeat_sd=0".into()],
    )
    .unwrap();
    let mg = MgStatus::from_scenario(&s.population).unwrap();
    let assay = Assay::from_scenario(&s.biomarker);
    let (mu, sigma, sd_b) = (0.85, 0.05, (0.05f64 * 0.05 + 0.04 * 0.04).sqrt());
    let n = Normal::standard();
    let p = mg.prob_reading_below(&assay, 0.8);
    assert!((p - n.cdf((0.8 - mu) / sd_b)).abs() < 1e-12);
    let joint = mg.integrate(&[(&assay, 0.8)], 0.75, |_| 1.0);
    let reference = bivariate_normal_cdf((0.75 - mu) / sigma, (0.8 - mu) / sd_b, sigma / sd_b);
    assert!((joint - reference).abs() < 1e-7, "{joint} vs {reference}");
}

#[test]
fn two_stage_enrolment_and_ppv_match_closed_forms() {
    // m ~ N(mu, sigma); stage 1 b1 = m + e1, stage 2 b2 = a m + e2 (red-cell scale a), errors
    // independent given m. P(enrol) = E[Phi((t1 - m)/s1) Phi((t2 - a m)/s2)], by the trapezoid
    // rule over m here; PPV restricts the integral to m < cutoff.
    let (mu, sigma, s1, a, s2, t1, t2, cutoff) = (0.85, 0.06, 0.05, 2.65, 0.08, 0.80, 2.0, 0.78);
    let n = Normal::standard();
    let integral = |upper: f64| {
        let steps = 200_000;
        let lo = mu - 12.0 * sigma;
        let h = (upper - lo) / steps as f64;
        let f = |m: f64| n.pdf((m - mu) / sigma) / sigma * n.cdf((t1 - m) / s1) * n.cdf((t2 - a * m) / s2);
        let mut sum = 0.5 * (f(lo) + f(upper));
        for i in 1..steps {
            sum += f(lo + h * i as f64);
        }
        sum * h
    };
    let p_enrol = integral(mu + 12.0 * sigma);
    let ppv = integral(cutoff) / p_enrol;
    let p_stage1 = n.cdf((t1 - mu) / (sigma * sigma + s1 * s1).sqrt());
    let r = simulate(
        TEXTBOOK,
        &[
            "population.model=\"normal\"",
            &format!("population.mean_mmol_per_l={mu}"),
            &format!("population.sd_mmol_per_l={sigma}"),
            &format!("population.deficiency_cutoff_mmol_per_l={cutoff}"),
            &format!("biomarker.persistent_sd={s1}"),
            "biomarker.repeat_sd=0",
            "confirmation.type=\"red_cell\"",
            &format!("confirmation.persistent_sd={s2}"),
            "confirmation.repeat_sd=0",
            "selection.mode=\"two_stage\"",
            &format!("selection.threshold={t1}"),
            &format!("selection.confirm_threshold={t2}"),
            "design.reps=2000",
        ],
    );
    let enrolled = r.mean_enrolled * f64::from(r.reps);
    let p_hat = 1.0 / r.screened_per_enrolled;
    let se_p = p_enrol * ((1.0 - p_enrol) / enrolled).sqrt();
    assert!((p_hat - p_enrol).abs() <= 3.5 * se_p, "enrolment {p_hat:.5} vs {p_enrol:.5}");
    let ppv_hat = r.ppv_deficient.unwrap();
    assert!((ppv_hat - ppv).abs() <= 3.5 * binomial_se(ppv, enrolled), "PPV {ppv_hat:.5} vs {ppv:.5}");
    // Confirmatory tests per enrolled: P(stage 1) / P(enrol), again negative-binomial counts.
    let tests_per_enrolled = r.mean_confirmatory_tests.unwrap() / r.mean_enrolled;
    let expected = p_stage1 / p_enrol;
    let q = p_enrol / p_stage1; // P(confirm | passed stage 1)
    let se = expected * ((1.0 - q) / enrolled).sqrt();
    assert!((tests_per_enrolled - expected).abs() <= 3.5 * se, "{tests_per_enrolled} vs {expected}");
}
