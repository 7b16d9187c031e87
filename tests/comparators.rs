//! Active comparators and listed comparisons (issue 23, point 2): a comparator's effect adds
//! up, non-inferiority and equivalence reduce to their closed forms, their type I error at
//! the margin is the one-sided alpha, a family with a comparator holds its error rate, and
//! the refusals name their field.

mod common;

use common::{TEXTBOOK, binomial_se, simulate_all};
use mgtrial::analysis::power::{t_test_power, tost_power};
use mgtrial::engine::summary::ComparisonSummary;

/// The textbook design (64 per arm, Welch, SD 1) with the placebo arm replaced by comparator
/// `drug` of effect `effect` (full adherence, no dropout), and `comparisons` appended.
fn against_drug(effect: f64, comparisons: &str) -> String {
    TEXTBOOK
        .replace(
            "[[arms]]\nname = \"placebo\"\nkind = \"placebo\"",
            &format!(
                "[[arms]]\nname = \"drug\"\nkind = \"comparator\"\neffect = {effect}\nadherence_mean = 1.0\ndropout = 0.0"
            ),
        )
        .replace("[dropout]\nplacebo = 0.0\nactive = 0.0", "[dropout]\nactive = 0.0")
        .replace("[design]", &format!("{comparisons}\n[design]"))
}

fn non_inferiority(margin: f64) -> String {
    format!(
        "[[analysis.comparisons]]\narm = \"active\"\nagainst = \"drug\"\nhypothesis = \"non_inferiority\"\nmargin = {margin}"
    )
}

/// The rows of `rows` with hypothesis `h`.
fn with<'a>(rows: &'a [ComparisonSummary], h: &str) -> &'a ComparisonSummary {
    rows.iter().find(|r| r.hypothesis.as_deref() == Some(h)).unwrap_or_else(|| panic!("no {h} row"))
}

/// Mg (delta 0.8) against a comparator of effect 0.3 for superiority: a difference of 0.5 SD,
/// so the textbook power (noncentral t, 0.8015 at 64 per arm) within 3.5 SE, and the true
/// effect is the difference of the two.
#[test]
fn superiority_over_a_comparator_is_the_difference_of_effects() {
    let comparison = "[[analysis.comparisons]]\narm = \"active\"\nagainst = \"drug\"";
    let rows = simulate_all(&against_drug(0.3, comparison), &["response.delta=0.8"]);
    let r = with(&rows, "superiority");
    let expected = t_test_power(64.0, 64.0, 0.5, 1.0, 0.05, true);
    assert!((r.power - expected).abs() <= 3.5 * binomial_se(expected, 20_000.0), "{} vs {expected}", r.power);
    assert!((r.true_effect.unwrap() - 0.5).abs() < 1e-12, "{:?}", r.true_effect);
    assert_eq!(r.reference.as_deref(), Some("drug"));
}

/// Non-inferiority at margin 0.3 when Mg equals the comparator: the power of the one-sided
/// t test at alpha / 2 of a shift of 0.3 (two-sided analysis), and at alpha (one-sided); the
/// twin at the margin rejects alpha / 2 (alpha) of its trials, as does a trial whose Mg arm
/// is truly worse by the margin. All within 3.5 SE.
#[test]
fn non_inferiority_reduces_to_the_shifted_one_sided_t_test() {
    let reps = 20_000.0;
    for (sided, tail) in [("two", 0.025), ("one", 0.05)] {
        let set = format!("analysis.sided=\"{sided}\"");
        let rows = simulate_all(&against_drug(0.5, &non_inferiority(0.3)), &["response.delta=0.5", &set]);
        let power = with(&rows, "non_inferiority").power;
        let expected = t_test_power(64.0, 64.0, 0.3, 1.0, tail, false);
        assert!((power - expected).abs() <= 3.5 * binomial_se(expected, reps), "{sided}: {power} vs {expected}");
        let at_margin = with(&rows, "non_inferiority_at_margin").power;
        assert!((at_margin - tail).abs() <= 3.5 * binomial_se(tail, reps), "{sided}: type I {at_margin} vs {tail}");
        // A trial truly at the margin: its own power is the type I error.
        let rows = simulate_all(&against_drug(0.5, &non_inferiority(0.3)), &["response.delta=0.2", &set]);
        let worse = with(&rows, "non_inferiority").power;
        assert!((worse - tail).abs() <= 3.5 * binomial_se(tail, reps), "{sided}: at the margin {worse} vs {tail}");
    }
}

/// The twin at the margin holds alpha under ANCOVA on a bounded, rounded scale with
/// dropout and a comparator whose adherence varies (within 3.5 SE of the one-sided level,
/// where the scale's clipping leaves the shift exact in expectation).
#[test]
fn type_i_error_at_the_margin_holds_with_adherence_and_dropout() {
    let text = against_drug(0.6, &non_inferiority(0.25)).replace("adherence_mean = 1.0", "adherence_mean = 0.7");
    let rows = simulate_all(
        &text,
        &[
            "response.delta=0.4",
            "analysis.test=\"ancova\"",
            "outcome.baseline_mean=10",
            "outcome.baseline_sd=1",
            "arms.drug.dropout=0.2",
            "dropout.active=0.1",
        ],
    );
    let at_margin = with(&rows, "non_inferiority_at_margin").power;
    assert!((at_margin - 0.025).abs() <= 3.5 * binomial_se(0.025, 20_000.0), "type I {at_margin}");
    // Mg's 0.4 against the comparator's 0.6 x 0.7 = 0.42: the true difference.
    let r = with(&rows, "non_inferiority");
    assert!((r.true_effect.unwrap() - (0.4 - 0.42)).abs() < 0.01, "{:?}", r.true_effect);
    let se = r.sd_estimate.unwrap() / 20_000f64.sqrt();
    assert!((r.mean_estimate.unwrap() - r.true_effect.unwrap()).abs() < 4.0 * se, "biased: {r:?}");
}

/// Equivalence by two one-sided tests: with equal effects and margin 0.5 the exact TOST power
/// (Owen's form by quadrature), and at the lower margin its type I error, within 3.5 SE.
#[test]
fn equivalence_matches_the_exact_tost_power() {
    let reps = 20_000.0;
    let comparison =
        "[[analysis.comparisons]]\narm = \"active\"\nagainst = \"drug\"\nhypothesis = \"equivalence\"\nmargin = 0.5";
    let rows = simulate_all(&against_drug(0.5, comparison), &["response.delta=0.5"]);
    let power = with(&rows, "equivalence").power;
    let expected = tost_power(64.0, 64.0, 0.0, 0.5, 1.0, 0.025);
    assert!((power - expected).abs() <= 3.5 * binomial_se(expected, reps), "{power} vs {expected}");
    let at_margin = with(&rows, "equivalence_at_margin").power;
    let expected = tost_power(64.0, 64.0, -0.5, 0.5, 1.0, 0.025);
    assert!((at_margin - expected).abs() <= 3.5 * binomial_se(expected, reps), "{at_margin} vs {expected}");
    assert!(expected <= 0.025 && expected > 0.02, "{expected}");
}

/// Placebo, Mg and a comparator, Holm over three comparisons (Mg and the comparator against
/// placebo, Mg non-inferior to the comparator): under the global null the family-wise error
/// of the two superiority comparisons is at most alpha within 3.5 SE.
#[test]
fn a_family_with_a_comparator_holds_its_error_rate() {
    let text = TEXTBOOK
        .replace(
            "[[arms]]\nname = \"active\"",
            "[[arms]]\nname = \"drug\"\nkind = \"comparator\"\neffect = 0.5\nadherence_mean = 1.0\ndropout = 0.0\n\
             [[arms]]\nname = \"active\"",
        )
        .replace("[analysis]\n", "[analysis]\nmultiplicity = \"holm\"\n")
        .replace(
            "[design]",
            "[[analysis.comparisons]]\narm = \"active\"\nagainst = \"placebo\"\n\
             [[analysis.comparisons]]\narm = \"drug\"\nagainst = \"placebo\"\n\
             [[analysis.comparisons]]\narm = \"active\"\nagainst = \"drug\"\nhypothesis = \"non_inferiority\"\nmargin = 0.3\n\
             [design]",
        );
    let rows = simulate_all(&text, &[]);
    let fwer = rows.iter().find(|r| r.comparison == "any_under_global_null").unwrap().power;
    assert!(fwer <= 0.05 + 3.5 * binomial_se(0.05, 20_000.0), "family-wise error {fwer}");
    // Five rows of comparisons (one at the margin), then the family's three.
    assert_eq!(rows.len(), 7, "{:?}", rows.iter().map(|r| &r.comparison).collect::<Vec<_>>());
    let at_margin = with(&rows, "non_inferiority_at_margin").power;
    assert!(at_margin <= 0.025 + 3.5 * binomial_se(0.025, 20_000.0), "Holm at the margin: {at_margin}");
}

/// Listing the default comparison (Mg against placebo, superiority) changes no number: the
/// rows match the unlisted design's but for the added columns.
#[test]
fn listing_the_default_comparison_changes_nothing() {
    let listed =
        TEXTBOOK.replace("[design]", "[[analysis.comparisons]]\narm = \"active\"\nagainst = \"placebo\"\n[design]");
    let (a, b) = (simulate_all(TEXTBOOK, &[]), simulate_all(&listed, &[]));
    assert_eq!(a.len(), b.len());
    let cleared =
        |r: &ComparisonSummary| ComparisonSummary { reference: None, hypothesis: None, margin: None, ..r.clone() };
    assert_eq!(a[0], cleared(&b[0]));
    assert_eq!(b[0].hypothesis.as_deref(), Some("superiority"));
}

/// Wrong comparator and comparison inputs exit 2 naming the field and what is allowed.
#[test]
fn comparator_inputs_are_checked() {
    let check = common::assert_refused;
    let ni = against_drug(0.5, &non_inferiority(0.3));
    // Without the comparisons listed.
    check(&against_drug(0.5, ""), &["analysis.comparisons", "comparator `drug`", "non_inferiority"]);
    check(&ni.replace("adherence_mean = 1.0\n", ""), &["arms[0].adherence_mean", "full-dose"]);
    check(&ni.replace("dropout = 0.0\n[[arms]]", "[[arms]]"), &["arms[0].dropout", "side effects"]);
    check(&ni.replace("effect = 0.5\n", ""), &["arms[0].effect", "outcome units"]);
    check(
        &ni.replace("effect = 0.5\n", "effect = 0.5\nresponder_percent = 40\n"),
        &["arms[0].responder_percent", "give one"],
    );
    check(&ni.replace("effect = 0.5\n", "responder_percent = 100\n"), &["arms[0].responder_percent", "below 100"]);
    check(
        &ni.replace("kind = \"active\"", "kind = \"active\"\nresponder_percent = 40"),
        &["arms[1].responder_percent", "only a comparator"],
    );
    check(&ni.replace("effect = 0.5\n", "effect = 0.5\nrate_ratio = 0.7\n"), &["arms[0].rate_ratio"]);
    check(&ni.replace("effect = 0.5\n", "effect = 0.5\ndose_mg_per_day = 300\n"), &["dose_mg_per_day", "no Mg"]);
    check(&ni.replace("effect = 0.5\n", "effect = -0.5\n"), &["arms[0].effect", "negative benefit"]);
    check(&ni.replace("margin = 0.3", ""), &["analysis.comparisons[0].margin", "non_inferiority"]);
    check(&ni.replace("margin = 0.3", "margin = -0.3"), &["analysis.comparisons[0].margin", "above 0"]);
    check(&ni.replace("margin = 0.3", "margin = 0.3\nmargin_rate_ratio = 1.2"), &["margin_rate_ratio", "no analysis"]);
    check(&ni.replace("hypothesis = \"non_inferiority\"\n", ""), &["margin", "superiority comparison has no margin"]);
    check(&ni.replace("against = \"drug\"", "against = \"drugs\""), &["against", "`drugs`", "`drug`, `active`"]);
    check(&ni.replace("against = \"drug\"", "against = \"active\""), &["compared with itself"]);
    let responders = ni.replace("min = -inf", "min = 0\nbaseline_mean = 10\nbaseline_sd = 1");
    check(&responders.replace("test = \"welch\"", "test = \"fisher\""), &["fisher cannot test against a margin"]);
    check(
        &responders.replace("test = \"welch\"", "test = \"ancova\"\nsecondary = [\"chi_square\"]"),
        &["analysis.comparisons[0].margin_responder_points", "percentage points"],
    );
    // A placebo arm compared with nothing.
    let three = ni.replace(
        "[[arms]]\nname = \"active\"",
        "[[arms]]\nname = \"placebo\"\nkind = \"placebo\"\n[[arms]]\nname = \"active\"",
    );
    check(&three.replace("[dropout]\n", "[dropout]\nplacebo = 0.0\n"), &["arm `placebo` is in no comparison"]);
}

/// On counts, non-inferiority by a rate ratio: Peikert's design at 150 per arm, Mg (rate ratio
/// 0.7 under the fixed response) against a comparator of rate ratio 0.7, margin 1.25; the
/// negative-binomial Wald test in the twin at the margin rejects the one-sided 0.025 of its
/// trials within 3.5 SE.
#[test]
fn non_inferiority_on_counts_holds_its_level_at_the_rate_ratio_margin() {
    let text = common::fixed_response(&common::shipped("migraine_peikert1996.toml"), "rate_ratio", 0.7);
    let text = common::edit_toml(&text, |t| {
        let arms = t.get_mut("arms").and_then(|a| a.as_array_mut()).unwrap();
        let placebo = arms[0].as_table_mut().unwrap();
        placebo.insert("name".into(), "topiramate".into());
        placebo.insert("kind".into(), "comparator".into());
        placebo.insert("rate_ratio".into(), 0.7.into());
        placebo.insert("adherence_mean".into(), 1.0.into());
        placebo.insert("dropout".into(), 0.1.into());
        placebo.insert("n".into(), 150.into());
        arms[1].as_table_mut().unwrap().insert("n".into(), 150.into());
        t["dropout"].as_table_mut().unwrap().remove("placebo");
        let analysis = t["analysis"].as_table_mut().unwrap();
        analysis.remove("secondary");
        analysis.remove("responder");
        let comparison: toml::Table = toml::from_str(
            "arm = \"mg_dicitrate_600\"\nagainst = \"topiramate\"\nhypothesis = \"non_inferiority\"\nmargin_rate_ratio = 1.25",
        )
        .unwrap();
        analysis.insert("comparisons".into(), toml::Value::Array(vec![comparison.into()]));
        t["design"].as_table_mut().unwrap().insert("reps".into(), 10_000.into());
    });
    let rows = simulate_all(&text, &[]);
    let at_margin = with(&rows, "non_inferiority_at_margin").power;
    assert!((at_margin - 0.025).abs() <= 3.5 * binomial_se(0.025, 10_000.0), "type I {at_margin}");
    assert_eq!(with(&rows, "non_inferiority").margin, Some(1.25));
}

/// A comparator given by its responder percentage (remission at 0.5 on the textbook scale,
/// baseline N(0, 1), change SD 1, full adherence): the solved effect is the closed form's,
/// `0.5 - sqrt(2) z(0.6)` for 40% responders (P(y >= 0.5) = 0.4, y ~ N(effect, 2)) (within 3.5 SE of the solve's 100,000 completers),
/// and the simulated trials' share of responders on it is 40% (within 3.5 SE).
#[test]
fn a_comparator_given_by_its_responders_reaches_them() {
    use statrs::distribution::{ContinuousCDF, Normal};
    let text = against_drug(0.0, "[[analysis.comparisons]]\narm = \"active\"\nagainst = \"drug\"")
        .replace("effect = 0\n", "responder_percent = 40\n")
        .replace("test = \"welch\"\n", "test = \"welch\"\nsecondary = [\"chi_square\"]\n")
        .replace("[design]", "[analysis.responder]\nrule = \"remission\"\ncutoff = 0.5\n[design]")
        .replace("[outcome]\n", "[outcome]\nbaseline_mean = 0.0\nbaseline_sd = 1.0\n");
    let plan = common::plan(&text);
    let solved = plan.arms.iter().find_map(|a| a.comparator).unwrap().full_dose_benefit;
    let z = Normal::standard().inverse_cdf(0.6);
    let expected = 0.5 - std::f64::consts::SQRT_2 * z;
    // d effect / d share = sd / phi(z): the solve's SE in outcome units.
    let solve_se = std::f64::consts::SQRT_2 * binomial_se(0.4, 100_000.0) / (-0.5 * z * z).exp()
        * (2.0 * std::f64::consts::PI).sqrt();
    assert!((solved - expected).abs() <= 3.5 * solve_se, "{solved} vs {expected}");
    let rows = simulate_all(&text, &["response.delta=0.5", "design.reps=4000"]);
    let r = rows.iter().find(|r| r.analysis == "chi_square").unwrap();
    let share = r.responders_placebo.unwrap();
    let se = (binomial_se(0.4, 4000.0 * 64.0).powi(2) + binomial_se(0.4, 100_000.0).powi(2)).sqrt();
    assert!((share - 0.4).abs() <= 3.5 * se, "{share}");
}

/// The exact size of the Wald non-inferiority test of a risk difference (unpooled SE, normal
/// critical value `z`) with `n` per arm and true shares `p_test`, `p_reference`, at margin `m`:
/// the sum over both binomial counts of their probabilities where the test rejects.
fn wald_non_inferiority_size(n: u64, p_test: f64, p_reference: f64, m: f64, z: f64) -> f64 {
    use statrs::distribution::{Binomial, Discrete};
    let (bt, br) = (Binomial::new(p_test, n).unwrap(), Binomial::new(p_reference, n).unwrap());
    let nf = n as f64;
    let mut size = 0.0;
    for xt in 0..=n {
        let pt = xt as f64 / nf;
        for xr in 0..=n {
            let pr = xr as f64 / nf;
            let se = (pt * (1.0 - pt) / nf + pr * (1.0 - pr) / nf).sqrt();
            if se > 0.0 && (pt - pr + m) / se > z {
                size += bt.pmf(xt) * br.pmf(xr);
            }
        }
    }
    size
}

/// Non-inferiority in responder points (chi-square, margin 10 points, 200 per arm) against a
/// comparator: the twin at the margin lowers the comparator's responder share by the margin
/// (remission at 0.5 on the textbook scale with baseline N(0, 1): 50% on the comparator, so the
/// twin's is 40%, within 3.5 SE of its solve), and its rejection rate is the exact size of the
/// Wald test at the twin's own shares (by enumeration), within 3.5 SE.
#[test]
fn type_i_error_at_a_responder_margin() {
    use statrs::distribution::{ContinuousCDF, Normal};
    let text = against_drug(
        0.5,
        "[[analysis.comparisons]]\narm = \"active\"\nagainst = \"drug\"\nhypothesis = \"non_inferiority\"\nmargin_responder_points = 10",
    )
    .replace("test = \"welch\"\n", "test = \"chi_square\"\n")
    .replace("[design]", "[analysis.responder]\nrule = \"remission\"\ncutoff = 0.5\n[design]")
    .replace("[outcome]\n", "[outcome]\nbaseline_mean = 0.0\nbaseline_sd = 1.0\n")
    .replace("n_per_arm = 64", "n_per_arm = 200");
    let plan = common::plan(&text);
    let twin = &plan.deciding_twins[0].twin.plan;
    let shift = twin.arms[1].benefit_offset;
    // The twin's Mg arm: the comparator's benefit 0.5 plus the shift; y ~ N(benefit, sqrt 2).
    let share = |benefit: f64| Normal::new(benefit, std::f64::consts::SQRT_2).unwrap().sf(0.5);
    let p_twin = share(0.5 + shift);
    assert!((p_twin - 0.4).abs() <= 3.5 * binomial_se(0.4, 100_000.0), "twin's share {p_twin}");
    let rows = simulate_all(&text, &["response.delta=0.5", "design.reps=20000"]);
    let at_margin = with(&rows, "non_inferiority_at_margin").power;
    let exact = wald_non_inferiority_size(200, p_twin, 0.5, 0.1, Normal::standard().inverse_cdf(0.975));
    eprintln!("responder margin: at-margin rejection {at_margin}, exact Wald size {exact}");
    assert!((at_margin - exact).abs() <= 3.5 * binomial_se(exact, 20_000.0), "{at_margin} vs {exact}");
}
