//! What a trial costs (issue 25, point 1): `[costs]` prices the people screened, the
//! confirmatory and vitamin D tests, enrolment and follow-up; every row reports the expected cost
//! per trial with its Monte Carlo SE. Checked against the closed forms of the negative binomial
//! number screened, with the SE itself checked against the exact variance; the prices change no
//! other number; shards merge to the single run; bad prices are refused by name.

mod common;

use common::{run_in, shipped};
use mgtrial::engine::summary::ComparisonSummary;

/// The shipped enriched depression trial (60 randomized, 8 weeks) with `costs` as its
/// `[costs]` lines.
fn enriched(costs: &str) -> String {
    format!("{}\n[costs]\n{costs}\n", shipped("depression_mgo_enriched.toml"))
}

const PRICES: &str = "per_screened = { serum_total = 15.0 }\nper_enrolled = 400.0\nper_participant_week = 25.0";

/// The exact enrolment probability of the plan's selection, by quadrature.
fn enrolment_probability(text: &str) -> f64 {
    let plan = common::plan(text);
    let mg = plan.mg.as_ref().unwrap();
    mg.integrate(&plan.selection_filters(), f64::INFINITY, |_| 1.0)
}

/// To enrol N, a trial screens N + a negative binomial number turned away: mean N / p, variance
/// N (1 - p) / p^2. The mean cost per trial matches `15 N / p + 60 (400 + 8 x 25)` within 3.5 SE,
/// and the reported SE matches the exact `15 sqrt(N (1 - p) / p^2 / reps)` within 2% (the relative
/// SE of a sample SD at 20,000 trials is about sqrt((kurtosis - 1) / (4 reps)) = 0.5%, kurtosis near 3).
#[test]
fn the_expected_cost_and_its_se_match_the_negative_binomial() {
    let text = enriched(PRICES);
    let p = enrolment_probability(&text);
    let reps = 20_000.0;
    let r = common::simulate(&text, &["design.reps=20000"]);
    let n = 60.0;
    let expected = 15.0 * n / p + n * (400.0 + 8.0 * 25.0);
    let se_exact = 15.0 * (n * (1.0 - p) / (p * p) / reps).sqrt();
    let (cost, se) = (r.expected_cost.unwrap(), r.expected_cost_mc_se.unwrap());
    assert!((cost - expected).abs() <= 3.5 * se_exact, "{cost} vs {expected} (SE {se_exact})");
    assert!((se / se_exact - 1.0).abs() < 0.02, "reported SE {se} vs exact {se_exact}");
}

/// Two stages: serum < 0.80 mmol/L, then red cell < 1.99 mmol/L. Everyone who passes the first
/// stage takes the confirmatory test, so the tests per trial are N P(pass first) / P(enrolled);
/// the cost matches `10 N / p + 60 x N q / p + fixed` within 3.5 SE (the SE bounded by that of
/// the screened and the tests priced together at their larger price, 60, times the number
/// screened's SD).
#[test]
fn confirmatory_tests_are_priced() {
    let text = common::edit_toml(
        &enriched(
            "per_screened = { serum_total = 10.0 }\nper_confirmatory_test = { red_cell = 60.0 }\nper_enrolled = 400.0\nper_participant_week = 25.0",
        ),
        |t| {
            let s = t["selection"].as_table_mut().unwrap();
            s.insert("mode".into(), "two_stage".into());
            s.insert("threshold".into(), 0.80.into());
            s.insert("confirm_threshold".into(), 1.99.into());
        },
    );
    let plan = common::plan(&text);
    let mg = plan.mg.as_ref().unwrap();
    let p = mg.integrate(&plan.selection_filters(), f64::INFINITY, |_| 1.0);
    let q = mg.prob_reading_below(&plan.assay, plan.threshold);
    let n = 60.0;
    let reps = 4000.0;
    let expected = 10.0 * n / p + 60.0 * n * q / p + n * (400.0 + 8.0 * 25.0);
    let r = common::simulate(&text, &["design.reps=4000"]);
    let se_bound = 70.0 * (n * (1.0 - p) / (p * p) / reps).sqrt();
    let cost = r.expected_cost.unwrap();
    assert!((cost - expected).abs() <= 3.5 * se_bound, "{cost} vs {expected} (SE at most {se_bound})");
    let tests = r.mean_confirmatory_tests.unwrap();
    assert!((tests - n * q / p).abs() <= 3.5 * (n * (1.0 - p) / (p * p) / reps).sqrt(), "{tests} vs {}", n * q / p);
}

/// All comers: nobody is tested to enter, so a trial costs exactly its enrolment and weeks, with
/// an SE of 0; a screening price is refused as doing nothing.
#[test]
fn all_comers_cost_their_enrolment_and_weeks_exactly() {
    let text = format!(
        "{}\n[costs]\nper_enrolled = 400.0\nper_participant_week = 25.0\n",
        shipped("depression_mgo_all_comers.toml")
    );
    let r = common::simulate(&text, &["design.reps=500"]);
    assert_eq!(r.expected_cost, Some(60.0 * (400.0 + 8.0 * 25.0)));
    assert_eq!(r.expected_cost_mc_se, Some(0.0));
    let priced = text.replace("per_enrolled = 400.0", "per_enrolled = 400.0\nper_screened = { serum_total = 15.0 }");
    common::assert_refused(&priced, &["costs.per_screened.serum_total", "does nothing", "all_comers"]);
}

fn without_costs(rows: &[ComparisonSummary]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            let mut r = r.clone();
            (r.expected_cost, r.expected_cost_mc_se) = (None, None);
            format!("{r:?}")
        })
        .collect()
}

/// Prices change no other number.
#[test]
fn prices_change_nothing_else() {
    let reps = ["design.reps=300"];
    let today = common::simulate_all(&shipped("depression_mgo_enriched.toml"), &reps);
    let priced = common::simulate_all(&enriched(PRICES), &reps);
    assert_eq!(without_costs(&today), without_costs(&priced));
}

/// Shards of a priced run merge to its single-run CSV byte for byte.
#[test]
fn shards_of_a_priced_run_merge_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("c.toml"), enriched(PRICES)).unwrap();
    run_in(d, &["run", "c.toml", "-q", "--reps", "300", "--out", "single.csv"], 0);
    for i in 0..3 {
        let (spec, file) = (format!("{i}/3"), format!("shard{i}.toml"));
        run_in(d, &["run", "c.toml", "-q", "--reps", "300", "--shard", &spec, "--out", &file], 0);
    }
    run_in(d, &["merge", "c.toml", "shard0.toml", "shard1.toml", "shard2.toml", "--out", "merged.csv"], 0);
    let (single, merged) = (std::fs::read(d.join("single.csv")).unwrap(), std::fs::read(d.join("merged.csv")).unwrap());
    assert!(String::from_utf8_lossy(&single).lines().next().unwrap().ends_with("expected_cost,expected_cost_mc_se"));
    assert_eq!(single, merged);
}

#[test]
fn wrong_prices_are_refused_by_name() {
    let refused = common::assert_refused;
    refused(
        &enriched("per_screened = { serum_total = -1.0 }\nper_enrolled = 400.0\nper_participant_week = 25.0"),
        &["costs.per_screened.serum_total", "0 to 1000000000"],
    );
    refused(
        &enriched("per_enrolled = 400.0\nper_participant_week = 25.0"),
        &["costs.per_screened.serum_total", "required"],
    );
    refused(
        &enriched("per_screened = { serum_total = 15.0 }\nper_enrolled = 400.0"),
        &["costs.per_participant_week", "required"],
    );
    refused(&enriched("per_screened = { serum_total = 15.0 }\nper_participant_week = 25.0"), &["per_enrolled"]);
    refused(&enriched(&format!("{PRICES}\nper_screened_twice = 3")), &["per_screened_twice"]);
    refused(
        &enriched(
            "per_screened = { serum_total = 15.0, red_cell = 40.0 }\nper_enrolled = 400.0\nper_participant_week = 25.0",
        ),
        &["costs.per_screened.red_cell", "does nothing", "serum_total"],
    );
    refused(
        &enriched(&format!("{PRICES}\nper_confirmatory_test = {{ red_cell = 60.0 }}")),
        &["costs.per_confirmatory_test.red_cell", "does nothing", "two_stage"],
    );
    refused(&enriched(&format!("{PRICES}\nper_vitamin_d_test = 20.0")), &["costs.per_vitamin_d_test", "does nothing"]);
    refused(
        &format!(
            "{}\n[costs]\nper_enrolled = 1.0\nper_participant_week = 1.0\n",
            shipped("depression_tarleton2017_crossover.toml")
        ),
        &["costs", "crossover"],
    );
}

/// Enrolment on a vitamin D test among all comers: everyone screened takes it, N / p of them
/// to enrol N (p the chance a test reads replete, by quadrature), so the cost is `20 N / p +
/// fixed` within 3.5 SE of the negative binomial, and the reported SE the exact one within 5%
/// (3.5 times the 1.1% relative SE of a sample SD at 4,000 trials).
#[test]
fn vitamin_d_tests_are_priced() {
    let text = format!(
        "{}\n[vitamin_d]\ndeficiency_prevalence = 0.4\ncorrelation_with_mg = 0.3\n\
         benefit_multiplier_if_deficient = 0.5\nenrol = \"replete\"\nassay_sensitivity = 0.85\n\
         assay_specificity = 0.85\n[costs]\nper_vitamin_d_test = 20.0\nper_enrolled = 400.0\n\
         per_participant_week = 25.0\n",
        shipped("depression_mgo_all_comers.toml")
    );
    let p = enrolment_probability(&text);
    let (n, reps) = (60.0, 4000.0);
    let expected = 20.0 * n / p + n * (400.0 + 8.0 * 25.0);
    let se = 20.0 * (n * (1.0 - p) / (p * p) / reps).sqrt();
    let r = common::simulate(&text, &["design.reps=4000"]);
    let cost = r.expected_cost.unwrap();
    assert!((cost - expected).abs() <= 3.5 * se, "{cost} vs {expected} (SE {se})");
    assert!((r.expected_cost_mc_se.unwrap() / se - 1.0).abs() < 0.05, "{:?} vs {se}", r.expected_cost_mc_se);
}

/// Review fixes: without Mg status a weekly price makes the duration count (and the duration
/// is then accepted); all comers analysed by strata read the assay at entry, so it is priced;
/// a sweep that replaces the file's assay at every point needs no price for the file's own.
#[test]
fn prices_follow_what_each_design_point_uses() {
    let textbook =
        format!("{}\n[costs]\nper_enrolled = 100.0\nper_participant_week = 10.0\n", shipped("textbook.toml"));
    let at = |weeks: &str| common::simulate(&textbook, &["design.reps=100", weeks]).expected_cost.unwrap();
    assert_eq!(at("design.duration_weeks=8"), 128.0 * (100.0 + 10.0 * 8.0));
    assert_eq!(at("design.duration_weeks=12"), 128.0 * (100.0 + 10.0 * 12.0));
    let strata = format!(
        "{}\n[costs]\nper_screened = {{ serum_total = 15.0 }}\nper_enrolled = 400.0\nper_participant_week = 25.0\n",
        shipped("depression_mgo_all_comers.toml")
    );
    let r = common::simulate(&strata, &["design.reps=100", "analysis.by_stratum=true", "selection.threshold=0.75"]);
    assert_eq!(r.expected_cost, Some(60.0 * (15.0 + 400.0 + 25.0 * 8.0)));
    let dir = tempfile::tempdir().unwrap();
    let ionized_only = enriched("per_screened = { ionized = 40.0 }\nper_enrolled = 400.0\nper_participant_week = 25.0")
        + "\n[sweep]\n\n[[sweep.series]]\nlabel = \"a\"\nset = { \"biomarker.type\" = \"ionized\", \"selection.threshold\" = 0.45 }\n\n\
           [[sweep.series]]\nlabel = \"b\"\nset = { \"biomarker.type\" = \"ionized\", \"selection.threshold\" = 0.42 }\n";
    std::fs::write(dir.path().join("i.toml"), ionized_only).unwrap();
    run_in(dir.path(), &["run", "i.toml", "-q", "--reps", "100", "--out", "i.csv"], 0);
}
