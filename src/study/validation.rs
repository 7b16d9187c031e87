//! `mgtrial validate`: an installation qualification that users run on their own build, in
//! the manner of rpact's. Each check simulates through the whole engine (or, for the NB Wald
//! test with the dispersion known, through the library's fit) and compares the result with a
//! closed form: the type I error of every analysis, power against the noncentral t (Welch),
//! the exact conditional ANCOVA power, the two-proportion approximation and Zhu & Lakkis'
//! NB formula, selection probabilities and PPV of each assay against the bivariate normal, and
//! byte-identical results across thread counts. A check passes when `|z| <= Z_LIMIT` (or, for
//! the conservative and the documented anti-conservative tests, when it lies on its side).

use crate::analysis::power::{ancova_power, negbin_wald_power, t_test_power};
use crate::engine::summary::{ComparisonSummary, summarize};
use crate::engine::{self, RunOptions};
use crate::scenario;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// Largest |z| of a passing check: with some 30 checks, a correct build fails one with
/// probability about 0.002.
pub(crate) const Z_LIMIT: f64 = 4.0;

/// How an observed value is judged against its expectation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// Within `Z_LIMIT` SE of the expectation.
    Equal,
    /// At most the expectation plus `Z_LIMIT` SE (conservative tests: Fisher, Yates).
    AtMost,
    /// Above the expectation by more than `Z_LIMIT` SE (the documented trap: Poisson under
    /// overdispersion).
    Above,
    /// Exactly equal (determinism).
    Identical,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub group: &'static str,
    pub name: String,
    pub observed: f64,
    pub expected: f64,
    /// Monte Carlo SE of `observed`.
    pub se: f64,
    pub rule: Rule,
}

impl Check {
    pub fn z(&self) -> f64 {
        if self.se > 0.0 { (self.observed - self.expected) / self.se } else { 0.0 }
    }

    pub fn passes(&self) -> bool {
        let z = self.z();
        match self.rule {
            Rule::Equal => z.abs() <= Z_LIMIT,
            Rule::AtMost => z <= Z_LIMIT,
            Rule::Above => z > Z_LIMIT,
            Rule::Identical => self.observed == self.expected,
        }
    }
}

/// Settings of a validation run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Replicates per simulated check.
    pub reps: u32,
    pub threads: usize,
    /// Test-only: every simulated test decides at `alpha / (1 - bias)` instead of `alpha`, as
    /// if its p-values were multiplied by `1 - bias` (0 for a real validation). A validation
    /// must fail under it.
    pub bias: f64,
}

const ALPHA: f64 = 0.05;

fn binomial_se(p: f64, n: f64) -> f64 {
    (p * (1.0 - p) / n).sqrt()
}

/// Simulates scenario `text` with `overrides`; all rows.
fn simulate(text: &str, overrides: &[String], settings: &Settings) -> Vec<ComparisonSummary> {
    let mut all = overrides.to_vec();
    all.push(format!("design.reps={}", settings.reps));
    all.push(format!("analysis.alpha={}", ALPHA / (1.0 - settings.bias)));
    let s = scenario::from_str(text, "validation.toml", "validation", &all).expect("a valid validation scenario");
    let plan = crate::engine::calibration::plan(&s, "validation.toml", None).expect("a valid validation plan");
    let results = engine::run(&plan, RunOptions { reps: settings.reps, threads: settings.threads, progress: false });
    summarize(&plan, s.design.seed, &results)
}

/// A normal outcome without Mg status: `delta` for the treated, baseline and change SD 1.
pub(crate) fn normal_trial(n: u32, delta: f64, test: &str, secondary: &str, seed: u64) -> String {
    format!(
        r#"
[population]
model = "none"
[[arms]]
name = "placebo"
kind = "placebo"
[[arms]]
name = "active"
kind = "active"
[response]
model = "fixed"
delta = {delta}
[outcome]
direction = "higher_is_better"
baseline_mean = 10.0
baseline_sd = 1.0
placebo_improvement = 0.0
change_sd = 1.0
reliability = 1.0
min = -inf
max = inf
integer = false
[dropout]
placebo = 0.0
active = 0.0
[analysis]
test = "{test}"
secondary = {secondary}
[analysis.responder]
rule = "remission"
cutoff = 10.5
[design]
n_per_arm = {n}
seed = {seed}
[assumptions]
harmful_effect = {harm}
"#,
        harm = delta < 0.0
    )
}

/// Attack counts as in Peikert 1996 without Mg status, rate ratio `exp(-delta)`.
pub fn count_trial(n: u32, delta: f64, secondary: &str, seed: u64) -> String {
    let rate_ratio = (-delta).exp();
    format!(
        r#"
[population]
model = "none"
[[arms]]
name = "placebo"
kind = "placebo"
[[arms]]
name = "active"
kind = "active"
[response]
model = "fixed"
rate_ratio = {rate_ratio:?}
[outcome]
count = "attacks"
baseline_mean = 3.6
theta = 2.5
baseline_weeks = 4
followup_weeks = 4
placebo_reduction_percent = 15.8
[dropout]
placebo = 0.0
active = 0.0
[analysis]
test = "negbin_wald"
secondary = {secondary}
[design]
n_per_arm = {n}
seed = {seed}
"#
    )
}

fn type_one(rows: &[ComparisonSummary], group: &'static str, what: &str, out: &mut Vec<Check>) {
    for r in rows {
        let rule = match r.analysis.as_str() {
            "fisher" | "chi_square_yates" => Rule::AtMost,
            "poisson" => Rule::Above,
            _ => Rule::Equal,
        };
        out.push(Check {
            group,
            name: format!("{} ({what})", r.analysis),
            observed: r.power,
            expected: ALPHA,
            se: binomial_se(ALPHA, f64::from(r.reps)),
            rule,
        });
    }
}

fn power_check(group: &'static str, name: String, r: &ComparisonSummary, expected: f64) -> Check {
    Check { group, name, observed: r.power, expected, se: binomial_se(expected, f64::from(r.reps)), rule: Rule::Equal }
}

/// P(Z1 < a, Z2 < b) for a standard bivariate normal with correlation `rho` in [0, 1), by the
/// trapezoid rule over z1 (200,000 steps from -12).
fn bivariate_normal_cdf(a: f64, b: f64, rho: f64) -> f64 {
    let n = Normal::standard();
    let steps = 200_000;
    let lo = -12.0;
    let h = (a - lo) / f64::from(steps);
    let f = |z: f64| n.pdf(z) * n.cdf((b - rho * z) / (1.0 - rho * rho).sqrt());
    let mut sum = 0.5 * (f(lo) + f(a));
    for i in 1..steps {
        sum += f(lo + h * f64::from(i));
    }
    sum * h
}

/// Every check, in report order.
pub fn run(settings: &Settings) -> Vec<Check> {
    let mut out = Vec::new();
    // Type I error of every analysis.
    let scale_tests = r#"["ancova", "chi_square", "chi_square_yates", "fisher"]"#;
    type_one(
        &simulate(&normal_trial(100, 0.0, "welch", scale_tests, 11), &[], settings),
        "type I error",
        "scale, 100 per arm",
        &mut out,
    );
    let count_tests =
        r#"["negbin_lr", "poisson", "quasi_poisson", "welch", "ancova", "wilcoxon", "chi_square", "fisher"]"#;
    type_one(
        &simulate(&count_trial(250, 0.0, count_tests, 12), &[], settings),
        "type I error",
        "attacks, 250 per arm",
        &mut out,
    );
    // Power against closed forms.
    let welch = simulate(&normal_trial(64, 0.5, "welch", "[]", 13), &[], settings);
    // Reliability 1: the change is the change noise alone, SD 1.
    out.push(power_check(
        "power",
        "Welch, d 0.5, 64 per arm: noncentral t".into(),
        &welch[0],
        t_test_power(64.0, 64.0, 0.5, 1.0, ALPHA, true),
    ));
    // ANCOVA on follow-up = baseline + change + effect: residual SD = change SD = 1, exactly.
    let ancova = simulate(&normal_trial(20, 0.6, "ancova", "[]", 14), &[], settings);
    let exact = ancova_power(20.0, 20.0, 0.6, 1.0, ALPHA, true);
    let shortcut = t_test_power(20.0, 20.0, 0.6, 1.0, ALPHA, true);
    let name = format!("ANCOVA, 0.6 SD, 20 per arm: exact conditional (shortcut {shortcut:.4})");
    out.push(power_check("power", name, &ancova[0], exact));
    // Remission (follow-up at least 10.5) on N(10, sqrt 2) vs N(9.4, sqrt 2) is a test of two
    // proportions, Phi(-0.5 / sqrt 2) vs Phi(-1.1 / sqrt 2) (by symmetry the values below).
    let responders = simulate(&normal_trial(150, -0.6, "chi_square", "[]", 15), &[], settings);
    let normal = Normal::standard();
    let (p0, p1) = (normal.cdf(0.5 / 2f64.sqrt()), normal.cdf(1.1 / 2f64.sqrt()));
    let (pooled, z) = ((p0 + p1) / 2.0, normal.inverse_cdf(1.0 - ALPHA / 2.0));
    let (null_sd, alt_sd) =
        ((pooled * (1.0 - pooled) * 2.0 / 150.0).sqrt(), (binomial_se(p0, 150.0)).hypot(binomial_se(p1, 150.0)));
    let two_prop =
        normal.cdf(((p1 - p0).abs() - z * null_sd) / alt_sd) + normal.cdf((-(p1 - p0).abs() - z * null_sd) / alt_sd);
    out.push(power_check(
        "power",
        "chi-square responders, 150 per arm: two proportions (Fleiss)".into(),
        &responders[0],
        two_prop,
    ));
    out.push(negbin_known_dispersion(settings));
    out.extend(multiplicity_checks(settings));
    out.extend(comparator_checks(settings));
    out.extend(crossover_checks(settings));
    // Selection probabilities and PPV of each assay.
    out.extend(selection_checks(settings));
    // Determinism across threads.
    let text = normal_trial(30, 0.4, "ancova", r#"["chi_square"]"#, 16);
    let one = simulate(&text, &[], &Settings { threads: 1, ..*settings });
    let two = simulate(&text, &[], &Settings { threads: 2, ..*settings });
    out.push(Check {
        group: "determinism",
        name: "1 vs 2 threads: identical rows".into(),
        observed: f64::from(u8::from(one == two)),
        expected: 1.0,
        se: 0.0,
        rule: Rule::Identical,
    });
    out
}

/// [`normal_trial`] with three active arms at 150, 300 and 600 mg/day (the dose trend's
/// scores), `analysis.multiplicity = procedure` and a dose trend.
fn three_arm_trial(n: u32, delta: f64, procedure: &str, seed: u64) -> String {
    let mut arms = String::new();
    for (name, dose) in [("low", 150), ("middle", 300), ("high", 600)] {
        arms += &format!("[[arms]]\nname = \"{name}\"\nkind = \"active\"\ndose_mg_per_day = {dose}\n");
    }
    normal_trial(n, delta, "ancova", "[]", seed)
        .replace("[[arms]]\nname = \"active\"\nkind = \"active\"\n", &arms)
        .replace("[analysis]\n", &format!("[analysis]\nmultiplicity = \"{procedure}\"\ndose_trend = \"dose\"\n"))
}

/// Three arms against placebo under the global null: the family-wise error rate of each
/// procedure (at most alpha; Dunnett's exactly alpha), the inflated rate without adjustment
/// against the multivariate-t quadrature, and the dose trend's type I error.
fn multiplicity_checks(settings: &Settings) -> Vec<Check> {
    use crate::analysis::dunnett::DunnettCritical;
    let mut out = Vec::new();
    let reps = f64::from(settings.reps);
    let any = |rows: &[ComparisonSummary], name: &str| {
        rows.iter().find(|r| r.comparison == name).expect("a family row").power
    };
    for (k, procedure) in ["none", "bonferroni", "holm", "hochberg", "dunnett"].into_iter().enumerate() {
        let rows = simulate(&three_arm_trial(64, 0.0, procedure, 40 + k as u64), &[], settings);
        let observed = any(&rows, "any_comparison");
        let (expected, rule) = match procedure {
            // Three pairwise ANCOVAs (125 df each) sharing a placebo: correlation 1/2.
            "none" => {
                let t = crate::analysis::critical::critical_value(ALPHA / 2.0, 125.0);
                (1.0 - DunnettCritical::new(&[64.0; 3], 64.0, ALPHA, true, 200).coverage(t, 125.0), Rule::Equal)
            }
            "dunnett" => (ALPHA, Rule::Equal),
            _ => (ALPHA, Rule::AtMost),
        };
        let name = format!("{procedure}: family-wise error, 3 arms of 64 vs placebo");
        out.push(Check { group: "multiplicity", name, observed, expected, se: binomial_se(expected, reps), rule });
        if procedure == "dunnett" {
            let observed = any(&rows, "dose_trend");
            let name = "dose trend (ANCOVA contrast), 4 arms: type I error".to_string();
            out.push(Check {
                group: "multiplicity",
                name,
                observed,
                expected: ALPHA,
                se: binomial_se(ALPHA, reps),
                rule: Rule::Equal,
            });
        }
    }
    // Power against closed forms, 150 per arm, 0.3 SD: Bonferroni's comparison is the pairwise
    // ANCOVA at alpha / 3 (exact conditional formula); Dunnett's chance of rejecting at least one
    // comes from the multivariate t with shifts 0.3 / sqrt(2 / 150), shrunk by the covariate's
    // mean variance inflation 1 + 1 / (N - K - 2).
    let (n, delta) = (150.0, 0.3);
    let bonferroni = simulate(&three_arm_trial(150, delta, "bonferroni", 46), &[], settings);
    let expected = ancova_power(n, n, delta, 1.0, ALPHA / 3.0, true);
    out.push(power_check(
        "multiplicity",
        "Bonferroni, 0.3 SD, 150 per arm: ANCOVA at alpha/3".into(),
        &bonferroni[0],
        expected,
    ));
    let dunnett_rows = simulate(&three_arm_trial(150, delta, "dunnett", 47), &[], settings);
    let df = 4.0 * n - 5.0;
    let dunnett = DunnettCritical::new(&[n; 3], n, ALPHA, true, 1000);
    let shift = delta / (2.0 / n).sqrt() / (1.0 + 1.0 / (4.0 * n - 6.0)).sqrt();
    let (any_power, _) = dunnett.rejection_chances(dunnett.value(df), df, &[shift; 3]);
    let row = dunnett_rows.iter().find(|r| r.comparison == "any_comparison").expect("the family's row");
    out.push(power_check(
        "multiplicity",
        "Dunnett, any of 3 rejected, 150 per arm: multivariate t".into(),
        row,
        any_power,
    ));
    out
}

/// Mg against a comparator of equal effect (0.5 SD, full adherence), 64 per arm, Welch at
/// alpha 0.05 two-sided: non-inferiority at margin 0.3 against the one-sided t test at 0.025
/// of a shift of 0.3, its type I error in the twin at the margin, and equivalence at margin 0.5
/// against the exact TOST power.
fn comparator_checks(settings: &Settings) -> Vec<Check> {
    use crate::analysis::power::{t_test_power, tost_power};
    let reps = f64::from(settings.reps);
    let trial = |hypothesis: &str, margin: f64, seed: u64| {
        normal_trial(64, 0.5, "welch", "[]", seed)
            .replace(
                "[[arms]]\nname = \"placebo\"\nkind = \"placebo\"\n",
                "[[arms]]\nname = \"drug\"\nkind = \"comparator\"\neffect = 0.5\nadherence_mean = 1.0\ndropout = 0.0\n",
            )
            .replace("[dropout]\nplacebo = 0.0\n", "[dropout]\n")
            .replace(
                "[analysis]\n",
                &format!(
                    "[[analysis.comparisons]]\narm = \"active\"\nagainst = \"drug\"\nhypothesis = \"{hypothesis}\"\n\
                     margin = {margin}\n[analysis]\n"
                ),
            )
    };
    let row = |rows: &[ComparisonSummary], h: &str| {
        rows.iter().find(|r| r.hypothesis.as_deref() == Some(h)).expect("a comparison's row").clone()
    };
    let mut out = Vec::new();
    let ni = simulate(&trial("non_inferiority", 0.3, 61), &[], settings);
    out.push(power_check(
        "comparators",
        "non-inferiority, margin 0.3 SD, 64 per arm: one-sided t test at 0.025".into(),
        &row(&ni, "non_inferiority"),
        t_test_power(64.0, 64.0, 0.3, 1.0, ALPHA / 2.0, false),
    ));
    out.push(Check {
        group: "comparators",
        name: "non-inferiority: type I error at the margin (twin)".into(),
        observed: row(&ni, "non_inferiority_at_margin").power,
        expected: ALPHA / 2.0,
        se: binomial_se(ALPHA / 2.0, reps),
        rule: Rule::Equal,
    });
    let equivalence = simulate(&trial("equivalence", 0.5, 62), &[], settings);
    out.push(power_check(
        "comparators",
        "equivalence, margin 0.5 SD, 64 per arm: exact TOST".into(),
        &row(&equivalence, "equivalence"),
        tost_power(64.0, 64.0, 0.0, 0.5, 1.0, ALPHA / 2.0),
    ));
    out
}

/// An AB/BA crossover without carry-over against the paired t test of its within-person
/// differences (one df to the period term), and its type I error.
fn crossover_checks(settings: &Settings) -> Vec<Check> {
    use crate::analysis::power::paired_t_power;
    let trial = |delta: f64, seed: u64| {
        format!("{}\n[crossover]\ncarryover_fraction = 0.0\n", normal_trial(20, delta, "welch", "[]", seed))
    };
    let first = |rows: Vec<ComparisonSummary>| rows.into_iter().next().expect("the crossover's row");
    let reps = f64::from(settings.reps);
    let power = first(simulate(&trial(0.5, 71), &[], settings));
    let null = first(simulate(&trial(0.0, 72), &[], settings));
    vec![
        power_check(
            "crossover",
            "AB/BA crossover, 20 per sequence, d 0.5: paired t of 40 differences, 38 df".into(),
            &power,
            paired_t_power(40.0, 0.5, std::f64::consts::SQRT_2, 38.0, ALPHA, true),
        ),
        Check {
            group: "crossover",
            name: "AB/BA crossover, no effect: type I error".into(),
            observed: null.power,
            expected: ALPHA,
            se: binomial_se(ALPHA, reps),
            rule: Rule::Equal,
        },
    ]
}

/// NB Wald power with the dispersion known (treatment-only NB2 fit at the true theta) against
/// Zhu & Lakkis (2014), through the library's count model and fit: 150 per arm, RR 0.75.
fn negbin_known_dispersion(settings: &Settings) -> Check {
    use crate::analysis::loglinear::{CountRows, MAX_COLUMNS, fit};
    use crate::model::outcome::count::CountModel;
    let mut model = CountModel::peikert_attacks();
    model.placebo_rate_ratio = 1.0;
    let sampler = model.sampler();
    let (n, rr) = (150u32, 0.75);
    let alpha = ALPHA / (1.0 - settings.bias);
    let z = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
    let mut rows = CountRows::default();
    let mut rejected = 0u32;
    for rep in 0..settings.reps {
        let mut rng = crate::rng::stream_rng(17, u64::from(rep), 0);
        rows.clear();
        for arm in 0..2 {
            for _ in 0..n {
                let p = sampler.draw(&mut rng, if arm == 1 { rr } else { 1.0 });
                let mut row = [0.0; MAX_COLUMNS];
                row[..2].copy_from_slice(&[1.0, f64::from(arm)]);
                rows.push(p.followup, row);
            }
        }
        if let Some(f) = fit(&mut rows, &[0, 1], 1.0 / model.theta, None) {
            rejected += u32::from((f.beta[1] / f.variance(1).sqrt()).abs() > z);
        }
    }
    let expected = negbin_wald_power(
        150.0,
        150.0,
        model.expected_count(4.0, 1.0),
        model.expected_count(4.0, rr),
        model.theta,
        ALPHA,
        true,
    );
    let observed = f64::from(rejected) / f64::from(settings.reps);
    Check {
        group: "power",
        name: "NB Wald, theta known, RR 0.75, 150 per arm: Zhu & Lakkis".into(),
        observed,
        expected,
        se: binomial_se(expected, f64::from(settings.reps)),
        rule: Rule::Equal,
    }
}

/// Enrichment below each assay's default normal limit, in a single normal population: the
/// enrolment probability `Phi((t - a mu - b) / sqrt(a^2 s^2 + e^2))` and the PPV
/// `P(m < c, reading < t) / P(reading < t)` (bivariate normal), against the simulated
/// enrolled per screened and share of the truly deficient.
fn selection_checks(settings: &Settings) -> Vec<Check> {
    let mut out = Vec::new();
    let normal = Normal::standard();
    for kind in ["serum_total", "ionized", "red_cell", "loading_test"] {
        let base = crate::scenario::schema::Biomarker { kind: serde_plain(kind), ..Default::default() };
        let assay = crate::model::biomarker::Assay::from_scenario(&base);
        let (a, b, e, t) = (assay.params.scale, assay.params.bias, assay.total_error_sd(), assay.params.normal_low);
        let (mu, sigma, cutoff) = (0.80, 0.08, 0.75);
        let spread = (a * a * sigma * sigma + e * e).sqrt();
        let p_enrol = normal.cdf((t - a * mu - b) / spread);
        let rho = a * sigma / spread;
        let ppv = bivariate_normal_cdf((cutoff - mu) / sigma, (t - a * mu - b) / spread, rho) / p_enrol;
        let text = normal_trial(50, 0.0, "welch", "[]", 18);
        let set = [
            "population.model=\"normal\"".to_string(),
            // With Mg status the active arm takes Mg (it sets the status at the end).
            "arms.active.formulation=\"citrate\"".to_string(),
            "arms.active.dose_mg_per_day=300".to_string(),
            format!("population.mean_mmol_per_l={mu}"),
            format!("population.sd_mmol_per_l={sigma}"),
            format!("population.deficiency_cutoff_mmol_per_l={cutoff}"),
            "selection.mode=\"enrich\"".to_string(),
            format!("biomarker.type=\"{kind}\""),
        ];
        let rows = simulate(&text, &set, settings);
        let r = &rows[0];
        let screened = r.mean_screened * f64::from(r.reps);
        let enrolled = r.mean_enrolled * f64::from(r.reps);
        out.push(Check {
            group: "selection",
            name: format!("{kind}: enrolment probability"),
            observed: 1.0 / r.screened_per_enrolled,
            expected: p_enrol,
            se: binomial_se(p_enrol, screened),
            rule: Rule::Equal,
        });
        out.push(Check {
            group: "selection",
            name: format!("{kind}: PPV"),
            observed: r.ppv_deficient.unwrap_or(f64::NAN),
            expected: ppv,
            se: binomial_se(ppv, enrolled),
            rule: Rule::Equal,
        });
    }
    out
}

/// A biomarker type from its name in scenario files.
fn serde_plain(kind: &str) -> crate::model::biomarker::BiomarkerType {
    toml::Value::String(kind.to_string()).try_into().expect("a biomarker type")
}

/// The report: one line per check, then the verdict.
pub fn table(checks: &[Check]) -> String {
    let mut out = format!("{:<13} {:<62} {:>9} {:>9} {:>7}  result\n", "group", "check", "observed", "expected", "z");
    for c in checks {
        out += &format!(
            "{:<13} {:<62} {:>9.4} {:>9.4} {:>7.2}  {}\n",
            c.group,
            c.name,
            c.observed,
            c.expected,
            c.z(),
            if c.passes() { "PASS" } else { "FAIL" }
        );
    }
    let failed = checks.iter().filter(|c| !c.passes()).count();
    out += &format!(
        "{} checks: {} passed, {failed} failed (pass: |z| <= {Z_LIMIT}; Fisher and Yates at most alpha; Poisson above it)\n",
        checks.len(),
        checks.len() - failed
    );
    out
}
