//! Several active arms against one placebo, with multiplicity control (issue 23): the
//! family-wise error rate of every procedure under the global null, Dunnett's exactness and
//! its gain over Bonferroni, the order of the stepwise procedures, and the refusals.

mod common;

use common::{TEXTBOOK, TEXTBOOK_BASELINE, binomial_se, run, simulate_all};
use mgtrial::analysis::dunnett::DunnettCritical;
use mgtrial::engine::summary::ComparisonSummary;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

const ALPHA: f64 = 0.05;

/// The textbook design with three active arms `a1`, `a2`, `a3` and `analysis.multiplicity`.
fn three_arms(procedure: &str) -> String {
    let arms = "[[arms]]\nname = \"a1\"\nkind = \"active\"\n[[arms]]\nname = \"a2\"\nkind = \"active\"\n\
                [[arms]]\nname = \"a3\"\nkind = \"active\"";
    TEXTBOOK
        .replace("[[arms]]\nname = \"active\"\nkind = \"active\"", arms)
        .replace("[analysis]\n", &format!("[analysis]\nmultiplicity = \"{procedure}\"\n"))
}

/// The row of `rows` whose comparison is `name`.
fn row<'a>(rows: &'a [ComparisonSummary], name: &str) -> &'a ComparisonSummary {
    rows.iter().find(|r| r.comparison == name).unwrap_or_else(|| panic!("no row {name}"))
}

/// Simulates `procedure` on the three-arm design with ANCOVA (Dunnett's analysis; the others'
/// pairwise ANCOVA), with `overrides`.
fn simulate(procedure: &str, overrides: &[&str]) -> Vec<ComparisonSummary> {
    let mut all: Vec<&str> = TEXTBOOK_BASELINE.to_vec();
    all.push("analysis.test=\"ancova\"");
    all.extend_from_slice(overrides);
    simulate_all(&three_arms(procedure), &all)
}

/// Under the global null, at least one comparison is rejected in at most alpha of the trials
/// (within 3.5 Monte Carlo SE), for every procedure, two- and one-sided; and the row of the
/// global-null twin, drawn from the same streams, is then the same share.
#[test]
fn family_wise_error_is_at_most_alpha_for_every_procedure() {
    let reps = 20_000.0;
    for procedure in ["bonferroni", "holm", "hochberg", "dunnett"] {
        for sided in ["two", "one"] {
            let rows = simulate(procedure, &["response.delta=0", &format!("analysis.sided=\"{sided}\"")]);
            let any = row(&rows, "any_comparison").power;
            let bound = ALPHA + 3.5 * binomial_se(ALPHA, reps);
            assert!(any <= bound, "{procedure}, {sided}-sided: family-wise error {any} above {bound}");
            assert_eq!(any, row(&rows, "any_under_global_null").power, "{procedure}: the twin is the trial");
        }
    }
}

/// Without adjustment the family-wise error rate is inflated, and the row reports it: three
/// comparisons sharing a placebo (correlation 1/2) reject at least once in
/// `1 - P(max |T_j| <= t_0.975)` of null trials, by the same quadrature as Dunnett's values
/// (at the pairwise ANCOVA's 125 df), within 3.5 SE.
#[test]
fn unadjusted_comparisons_report_the_inflated_error_rate() {
    let rows = simulate("none", &["response.delta=0.5"]);
    let fwer = row(&rows, "any_under_global_null").power;
    let df = 125.0;
    let t = StudentsT::new(0.0, 1.0, df).unwrap().inverse_cdf(1.0 - ALPHA / 2.0);
    let expected = 1.0 - DunnettCritical::new(&[64.0; 3], 64.0, ALPHA, true, 200).coverage(t, df);
    assert!((fwer - expected).abs() <= 3.5 * binomial_se(expected, 20_000.0), "{fwer} against {expected}");
    for name in ["a1", "a2", "a3"] {
        let r = row(&rows, name);
        assert_eq!(Some(r.power), r.power_unadjusted, "{name}: nothing to adjust");
    }
}

/// Dunnett's test is exact: under the global null its family-wise error rate is alpha within
/// 3.5 SE, also with unequal arms and dropout (its correlations from the expected completers),
/// and each comparison's own pooled-ANCOVA t-test rejects alpha of null trials.
#[test]
fn dunnett_holds_alpha_exactly() {
    let reps = 40_000.0;
    for overrides in [
        vec![],
        vec!["arms.a1.allocation=2", "dropout.active=0.15", "dropout.placebo=0.05"],
        vec!["analysis.sided=\"one\"", "design.n_per_arm=20"],
    ] {
        let mut all = vec!["response.delta=0", "design.reps=40000"];
        all.extend(&overrides);
        let rows = simulate("dunnett", &all);
        let any = row(&rows, "any_comparison").power;
        let tolerance = 3.5 * binomial_se(ALPHA, reps);
        assert!((any - ALPHA).abs() <= tolerance, "{overrides:?}: family-wise error {any}");
        for name in ["a1", "a2", "a3"] {
            let unadjusted = row(&rows, name).power_unadjusted.unwrap();
            assert!((unadjusted - ALPHA).abs() <= tolerance, "{overrides:?}, {name}: type I error {unadjusted}");
        }
    }
}

/// Dunnett is less conservative than Bonferroni: a smaller critical value for every number of
/// comparisons and df, and more power on the same trials.
#[test]
fn dunnett_is_less_conservative_than_bonferroni() {
    for m in 2..=5 {
        for df in [20.0, 100.0, f64::INFINITY] {
            let dunnett = DunnettCritical::new(&vec![50.0; m], 50.0, ALPHA, true, 1000).value(df);
            let level = 1.0 - ALPHA / (2.0 * m as f64);
            let bonferroni = if df == f64::INFINITY {
                Normal::standard().inverse_cdf(level)
            } else {
                StudentsT::new(0.0, 1.0, df).unwrap().inverse_cdf(level)
            };
            assert!(dunnett < bonferroni - 0.01, "{m} comparisons, df {df}: {dunnett} against {bonferroni}");
        }
    }
    let reps = 40_000.0;
    let (dunnett, bonferroni) = (
        simulate("dunnett", &["response.delta=0.4", "design.reps=40000"]),
        simulate("bonferroni", &["response.delta=0.4", "design.reps=40000"]),
    );
    for name in ["a1", "any_comparison", "every_comparison"] {
        let (d, b) = (row(&dunnett, name).power, row(&bonferroni, name).power);
        let se = (binomial_se(d, reps).powi(2) + binomial_se(b, reps).powi(2)).sqrt();
        assert!(d - b > 3.5 * se, "{name}: Dunnett {d} against Bonferroni {b} (SE {se})");
    }
}

/// On the same trials Holm rejects every comparison Bonferroni does and Hochberg every one
/// Holm does, so their powers are ordered exactly; all three are equally likely to reject at
/// least once under the global null (Holm's first step is Bonferroni's).
#[test]
fn the_stepwise_procedures_are_ordered() {
    let powers = |procedure: &str| {
        let rows = simulate(procedure, &["response.delta=0.35", "design.reps=5000"]);
        ["a1", "a2", "a3", "any_comparison", "every_comparison"].map(|n| row(&rows, n).power)
    };
    let (b, h, g) = (powers("bonferroni"), powers("holm"), powers("hochberg"));
    for i in 0..5 {
        assert!(b[i] <= h[i] && h[i] <= g[i], "row {i}: {b:?} {h:?} {g:?}");
    }
    assert_eq!(b[3], h[3], "Holm rejects at least once exactly when Bonferroni does");
    assert!(h[4] > b[4], "Holm's later steps reject more often together");
}

/// Several comparisons without a procedure are refused, naming the field and the allowed
/// values; Dunnett with an analysis it does not pool, or by stratum, is refused.
#[test]
fn a_missing_or_unsupported_procedure_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("three.toml");
    std::fs::write(&path, three_arms("none").replace("multiplicity = \"none\"\n", "")).unwrap();
    let p = path.to_str().unwrap();
    let (_, e) = run(&["run", p, "-q"], 2);
    assert!(e.contains("analysis.multiplicity") && e.contains("\"dunnett\""), "{e}");
    let (_, e) = run(&["run", p, "--set", "analysis.multiplicity=dunnett", "-q"], 2);
    assert!(e.contains("ancova") && e.contains("welch"), "{e}");
    let (_, e) = run(&["run", p, "--set", "analysis.multiplicity=sidak", "-q"], 2);
    assert!(e.contains("analysis.multiplicity") && e.contains("hochberg"), "{e}");
    // One comparison: the field does nothing, and is refused as such.
    let (_, e) = run(
        &["run", &common::scenario_path("textbook.toml").to_string_lossy(), "--set", "analysis.multiplicity=holm"],
        2,
    );
    assert!(e.contains("analysis.multiplicity") && e.contains("does nothing"), "{e}");
}

/// `sample-size --power-of` judges the disjunctive, the conjunctive or one comparison's power:
/// at least one of three Holm-adjusted comparisons reaches 80% with fewer participants than
/// each must, and all three together need more.
#[test]
fn sample_size_targets_the_family_or_one_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("three.toml");
    std::fs::write(&path, three_arms("holm")).unwrap();
    let p = path.to_str().unwrap();
    let solved = |row: &str| {
        let (out, _) = run(&["sample-size", p, "--target", "0.8", "--power-of", row, "--out", "-", "-q"], 0);
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let header = reader.headers().unwrap().clone();
        let first = reader.records().next().unwrap().unwrap();
        let at = header.iter().position(|h| h == "value").unwrap_or_else(|| panic!("no value column: {header:?}"));
        first[at].parse::<f64>().unwrap()
    };
    let (any, each, a2, every) = (solved("any_comparison"), solved("each"), solved("a2"), solved("every_comparison"));
    assert!(any < each && each < every, "any {any}, each {each}, every {every}");
    assert!(a2 <= each, "one arm {a2} needs at most what each needs {each}");
    let (_, e) = run(&["sample-size", p, "--power-of", "placebo", "-q"], 2);
    assert!(e.contains("--power-of placebo") && e.contains("any_comparison, every_comparison, a1, a2, a3"), "{e}");
    let (_, e) = run(&["run", p, "--power-of", "a1", "-q"], 2);
    assert!(e.contains("--precision"), "{e}");
}

/// The three-arm textbook design with 150, 300 and 600 mg/day and a dose trend (without Mg
/// status a dose is only the trend's score).
fn dose_ranging(procedure: &str, trend: &str) -> String {
    let mut text = three_arms(procedure).replace("[analysis]\n", &format!("[analysis]\ndose_trend = \"{trend}\"\n"));
    for (arm, dose) in [("a1", 150), ("a2", 300), ("a3", 600)] {
        text = text.replace(
            &format!("name = \"{arm}\"\nkind = \"active\""),
            &format!("name = \"{arm}\"\nkind = \"active\"\ndose_mg_per_day = {dose}"),
        );
    }
    text
}

/// The dose-trend contrast is an exact t-test of the pooled ANCOVA: it rejects alpha of null
/// trials (3.5 SE), and its estimate is unbiased for the size-weighted slope of the arms'
/// true benefits on dose (here 0.5 in each active arm, 0 on placebo).
#[test]
fn the_dose_trend_holds_alpha_and_estimates_the_slope() {
    let reps = 20_000.0;
    for trend in ["dose", "rank"] {
        let mut overrides: Vec<&str> = TEXTBOOK_BASELINE.to_vec();
        overrides.extend(["analysis.test=\"ancova\"", "response.delta=0"]);
        let rows = simulate_all(&dose_ranging("holm", trend), &overrides);
        let null = row(&rows, "dose_trend").power;
        assert!((null - ALPHA).abs() <= 3.5 * binomial_se(ALPHA, reps), "{trend}: type I error {null}");
        overrides.pop();
        let rows = simulate_all(&dose_ranging("holm", trend), &overrides);
        let r = row(&rows, "dose_trend");
        let (mean, sd, truth) = (r.mean_estimate.unwrap(), r.sd_estimate.unwrap(), r.true_effect.unwrap());
        assert!((mean - truth).abs() <= 3.5 * sd / reps.sqrt(), "{trend}: mean {mean} against {truth}");
        assert!(truth > 0.0 && r.power > ALPHA, "{trend}: {truth}, power {}", r.power);
    }
    // Weights n (d - dbar) / sum n (d - dbar)^2 with scores 0, 1.5, 3, 6 (100 mg/day) and equal
    // arms: the slope of (0, 0.5, 0.5, 0.5) on them.
    let (d, mu) = ([0.0, 1.5, 3.0, 6.0], [0.0, 0.5, 0.5, 0.5]);
    let mean = d.iter().sum::<f64>() / 4.0;
    let slope =
        d.iter().zip(mu).map(|(d, m)| (d - mean) * m).sum::<f64>() / d.iter().map(|d| (d - mean).powi(2)).sum::<f64>();
    let mut overrides: Vec<&str> = TEXTBOOK_BASELINE.to_vec();
    overrides.push("analysis.test=\"ancova\"");
    let rows = simulate_all(&dose_ranging("holm", "dose"), &overrides);
    assert!((row(&rows, "dose_trend").true_effect.unwrap() - slope).abs() < 1e-12);
}

/// A dose trend needs ANCOVA and a different dose in each active arm.
#[test]
fn a_dose_trend_without_its_conditions_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doses.toml");
    std::fs::write(&path, dose_ranging("holm", "dose")).unwrap();
    let p = path.to_str().unwrap();
    let (_, e) = run(&["run", p, "-q"], 2);
    assert!(e.contains("analysis.dose_trend") && e.contains("ancova") && e.contains("welch"), "{e}");
    let (_, e) = run(
        &[
            "run",
            p,
            "--set",
            "analysis.test=ancova",
            "--set",
            "outcome.baseline_mean=0",
            "--set",
            "outcome.baseline_sd=1",
            "--set",
            "arms.a3.dose_mg_per_day=300",
            "-q",
        ],
        2,
    );
    assert!(e.contains("doses") && e.contains("repeat"), "{e}");
}

/// `explain` states the procedure and, for Dunnett, the critical value at the expected
/// completers: 2.216 for the shipped two-dose trial (R's mvtnorm, TVPACK: 2.216187 at 770 df).
#[test]
fn explain_states_the_procedure_and_dunnetts_value() {
    let (out, _) = run(&["explain", &common::scenario_path("cognition_threonate_two_doses.toml").to_string_lossy()], 0);
    assert!(
        out.contains("multiplicity: dunnett over 2 comparisons with placebo: critical value 2.216 at 770"),
        "{out}"
    );
    let (out, _) = run(&["explain", &common::scenario_path("depression_oxide_vs_citrate.toml").to_string_lossy()], 0);
    assert!(out.contains("multiplicity: holm over 2 comparisons"), "{out}");
}

/// A multi-arm run split into shards and merged is byte-identical to the run on one machine
/// (the chunks carry the unadjusted rejections and the family's rows).
#[test]
fn shards_of_a_multi_arm_run_merge_to_the_same_csv() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = common::scenario_path("depression_oxide_vs_citrate.toml");
    let s = scenario.to_str().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    run(&["run", s, "--reps", "700", "-q", "--out", &path("single.csv")], 0);
    for i in 0..3 {
        run(&["run", s, "--reps", "700", "-q", "--shard", &format!("{i}/3"), "--out", &path(&format!("s{i}.toml"))], 0);
    }
    run(&["merge", s, &path("s0.toml"), &path("s1.toml"), &path("s2.toml"), "--out", &path("merged.csv")], 0);
    let (single, merged) = (std::fs::read(path("single.csv")).unwrap(), std::fs::read(path("merged.csv")).unwrap());
    assert!(single == merged, "merged shards differ from the single run");
    assert!(String::from_utf8_lossy(&single).contains("any_under_global_null"));
}

/// Dunnett's power reduces to its closed form. On the textbook outcome (reliability 1, so the
/// ANCOVA's residual SD is the change SD, 1), comparison j's statistic is `(Z_j + shift) / S`
/// with `shift = delta / sqrt(2 / n)`, shrunk by the covariate's mean variance inflation
/// `1 + 1 / (N - K - 2)` (K arms), and the chances that at least one and that every comparison
/// exceeds Dunnett's value come from the same quadrature as the value: within 3.5 SE.
#[test]
fn dunnett_power_matches_the_multivariate_t() {
    let (n, delta, reps) = (150.0, 0.3, 20_000.0);
    let rows = simulate("dunnett", &["response.delta=0.3", "design.n_per_arm=150", "design.reps=20000"]);
    // 4 arms of 150: intercept, 3 arm effects and the baseline.
    let df = 4.0 * n - 5.0;
    let dunnett = DunnettCritical::new(&[n; 3], n, ALPHA, true, 1000);
    let shift = delta / (2.0 / n).sqrt() / (1.0 + 1.0 / (4.0 * n - 4.0 - 2.0)).sqrt();
    let (any, every) = dunnett.rejection_chances(dunnett.value(df), df, &[shift; 3]);
    for (name, expected) in [("any_comparison", any), ("every_comparison", every)] {
        let observed = row(&rows, name).power;
        assert!(
            (observed - expected).abs() <= 3.5 * binomial_se(expected, reps),
            "{name}: simulated {observed} against {expected}"
        );
    }
    // Under the global null the same formula gives alpha.
    let (null_any, _) = dunnett.rejection_chances(dunnett.value(df), df, &[0.0; 3]);
    assert!((null_any - ALPHA).abs() < 1e-6, "{null_any}");
}

/// On counts too, the global-null twin is the trial when no arm has an effect (its placebo arm
/// is taken from the trial, its active arms drawn again from the same streams): the error-rate
/// row equals the disjunctive row, and both hold alpha (Holm, NB Wald, 3 arms of Peikert's size).
#[test]
fn the_twin_is_the_trial_under_the_null_on_counts() {
    let text = common::shipped("migraine_peikert1996.toml").replace(
        "[response]",
        "[[arms]]\nname = \"mg_300\"\nkind = \"active\"\nformulation = \"citrate\"\ndose_mg_per_day = 300\nn = 43\n\n[response]",
    );
    let text = common::fixed_response(&text, "rate_ratio", 1.0)
        .replace("[analysis]\n", "[analysis]\nmultiplicity = \"holm\"\n");
    let rows = simulate_all(&text, &["design.reps=4000", "analysis.secondary=[]", "analysis.responder={}"]);
    let (any, null) = (row(&rows, "any_comparison").power, row(&rows, "any_under_global_null").power);
    assert_eq!(any, null);
    assert!(any > 0.01 && any <= ALPHA + 3.5 * binomial_se(ALPHA, 4000.0), "{any}");
}

/// `analysis.report_family_wise_error = false` leaves out the twin and its row, and changes no
/// other row.
#[test]
fn the_error_rate_row_can_be_left_out() {
    let with = simulate("holm", &["design.reps=2000"]);
    let without = simulate("holm", &["design.reps=2000", "analysis.report_family_wise_error=false"]);
    assert_eq!(without.len() + 1, with.len());
    assert!(without.iter().all(|r| r.comparison != "any_under_global_null"));
    for r in &without {
        let same = row(&with, &r.comparison);
        assert_eq!(
            (r.power, r.power_unadjusted, r.mean_estimate),
            (same.power, same.power_unadjusted, same.mean_estimate)
        );
    }
}
