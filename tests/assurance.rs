//! Assurance (issue 25, point 3): `[uncertainty]` puts priors on numeric fields; each draw of
//! the uncertain values is simulated for `trials_per_draw` trials, so assurance is a share of
//! trials as power is. Checked: a point-mass prior gives the power of the fixed value byte for
//! byte; a normal prior on the textbook's fixed effect gives the integral of the noncentral-t
//! power over the prior (quadrature) within 3.5 SE at two points; the SE over draws is honest;
//! output is the same for any thread count; bad priors are refused with exit 2, naming the field.

mod common;

use common::{assert_refused, first_row, run_in};
use mgtrial::analysis::power::t_test_power;

/// The textbook design (Welch, alpha 0.05 two-sided, change SD 1) with `n` per arm, `reps`
/// trials and `uncertainty` as its last lines; the effect `response.delta` comes from there
/// or from `delta`. A normal prior on the effect reaches harm and effects beyond 1.5 SD in its
/// tails (8.2 SD out): the assumptions say so, as the support check requires.
fn textbook(n: u32, reps: u32, delta: Option<f64>, uncertainty: &str) -> String {
    let delta = delta.map_or(String::new(), |d| format!("delta = {d}\n"));
    let design = common::TEXTBOOK
        .replace("delta = 0.5\n", &delta)
        .replace("n_per_arm = 64\nreps = 20000\nseed = 7\n", &format!("n_per_arm = {n}\nreps = {reps}\nseed = 11\n"));
    format!(
        "{design}[assumptions]\nharmful_effect = true\nbeyond_literature = [\"response.expected_effect\"]\n{uncertainty}\n"
    )
}

fn normal_prior(mean: f64, sd: f64) -> String {
    format!("[[uncertainty.prior]]\nfield = \"response.delta\"\ndistribution = \"normal\"\nmean = {mean}\nsd = {sd}\n")
}

/// Runs `text` and returns the CSV.
fn run_csv(text: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    let mut args = vec!["run", "s.toml", "--out", "out.csv"];
    args.extend_from_slice(extra);
    run_in(dir.path(), &args, 0);
    std::fs::read_to_string(dir.path().join("out.csv")).unwrap()
}

/// The closed form: the integral of the two-sample t power at `n` per arm over N(mean, sd^2),
/// by Simpson's rule over mean +- 9 SD.
fn closed_form_assurance(n: f64, mean: f64, sd: f64) -> f64 {
    let intervals = 2000;
    let (lo, hi) = (mean - 9.0 * sd, mean + 9.0 * sd);
    let h = (hi - lo) / f64::from(intervals);
    let f = |d: f64| {
        let density = (-(d - mean).powi(2) / (2.0 * sd * sd)).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt());
        t_test_power(n, n, d, 1.0, 0.05, true) * density
    };
    let mut sum = f(lo) + f(hi);
    for i in 1..intervals {
        sum += f(lo + f64::from(i) * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0
}

/// Assurance under a normal prior on the fixed effect equals the closed form within 3.5 SE (the
/// SE over draws the run reports), at two points: d ~ N(0.5, 0.2^2) at 64 per arm (closed form
/// about 0.70, against a power of 0.80 at the prior mean), and d ~ N(0.3, 0.3^2) at 40 per arm.
#[test]
fn assurance_under_a_normal_prior_is_the_integral_of_the_power() {
    for (n, mean, sd) in [(64u32, 0.5, 0.2), (40, 0.3, 0.3)] {
        let csv = run_csv(&textbook(n, 64_000, None, &normal_prior(mean, sd)), &[]);
        let row = first_row(&csv);
        let (assurance, se) = (row("power").parse::<f64>().unwrap(), row("power_mc_se").parse::<f64>().unwrap());
        let exact = closed_form_assurance(f64::from(n), mean, sd);
        assert_eq!(row("draws"), "1000");
        assert!(
            (assurance - exact).abs() < 3.5 * se,
            "n {n}, N({mean}, {sd}^2): assurance {assurance} vs closed form {exact} (SE {se})"
        );
        // The power at the prior's mean is not the answer.
        assert!((t_test_power(f64::from(n), f64::from(n), mean, 1.0, 0.05, true) - exact).abs() > 0.05);
    }
}

/// The SE over draws is honest: 20 runs of different seeds scatter about their mean with the SD
/// the runs report (the ratio of the observed SD to the mean reported SE within the 99% range
/// of a chi-square with 19 df, 0.57 to 1.43), and their mean is the closed form within 3.5 of
/// its own SE.
#[test]
fn the_se_over_draws_matches_the_scatter_of_repeated_runs() {
    let base = textbook(30, 6400, None, &normal_prior(0.4, 0.3));
    let exact = closed_form_assurance(30.0, 0.4, 0.3);
    let (mut values, mut ses) = (Vec::new(), Vec::new());
    for seed in 0..20 {
        let set = format!("design.seed={seed}");
        let r = common::simulate(&base, &[set.as_str()]);
        values.push(r.power);
        ses.push(r.power_mc_se);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let reported = ses.iter().sum::<f64>() / n;
    assert!((0.57..1.43).contains(&(sd / reported)), "observed SD {sd} vs reported SE {reported}");
    assert!((mean - exact).abs() < 3.5 * reported / n.sqrt(), "mean {mean} vs closed form {exact}");
}

/// A point-mass prior simulates the fixed value's trials: every column of the run equals the
/// run without `[uncertainty]` byte for byte, but the scenario's hash and the assurance columns;
/// assurance is the power, its quantiles over the prior are the power's of each draw.
#[test]
fn a_point_mass_prior_gives_the_power_byte_for_byte() {
    let plain = run_csv(&textbook(64, 6400, Some(0.5), ""), &[]);
    let point = "[[uncertainty.prior]]\nfield = \"response.delta\"\ndistribution = \"point_mass\"\nvalue = 0.5\n";
    let drawn = run_csv(&textbook(64, 6400, None, point), &[]);
    let (mut a, mut b) = (csv::Reader::from_reader(plain.as_bytes()), csv::Reader::from_reader(drawn.as_bytes()));
    let (ha, hb) = (a.headers().unwrap().clone(), b.headers().unwrap().clone());
    let (ra, rb) = (a.records().next().unwrap().unwrap(), b.records().next().unwrap().unwrap());
    for (i, name) in ha.iter().enumerate() {
        if name != "scenario_sha256" {
            let j = hb.iter().position(|c| c == name).unwrap();
            assert_eq!(ra[i], rb[j], "column {name}");
        }
    }
    let row = first_row(&drawn);
    assert_eq!(row("draws"), "100");
    assert_eq!(row("most_influential_spread"), "0.000000");
}

/// The same scenario and seed give the same CSV on 1 and 2 threads, and shards merge to it.
#[test]
fn assurance_is_the_same_for_any_thread_count_and_in_shards() {
    let text = textbook(20, 3200, None, &normal_prior(0.5, 0.3));
    let one = run_csv(&text, &["--threads", "1"]);
    let two = run_csv(&text, &["--threads", "2"]);
    assert_eq!(one, two);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), &text).unwrap();
    run_in(dir.path(), &["run", "s.toml", "--shard", "0/2", "--out", "a.shard"], 0);
    run_in(dir.path(), &["run", "s.toml", "--shard", "1/2", "--out", "b.shard"], 0);
    run_in(dir.path(), &["merge", "s.toml", "a.shard", "b.shard", "--out", "m.csv"], 0);
    assert_eq!(std::fs::read_to_string(dir.path().join("m.csv")).unwrap(), one);
}

/// The sensitivity table groups trials by the decile of each prior's draw: a prior on the
/// effect moves assurance from its lowest decile to its highest; a prior on the placebo
/// response (which a comparison with placebo cancels) moves it by noise only, and ranks second.
#[test]
fn the_sensitivity_ranks_the_effect_above_an_unknown_that_does_not_matter() {
    let priors = format!(
        "{}[[uncertainty.prior]]\nfield = \"outcome.placebo_improvement\"\ndistribution = \"uniform\"\nlower = 0.0\nupper = 1.5\n",
        normal_prior(0.4, 0.25)
    );
    let text = textbook(40, 12_800, None, &priors).replace("placebo_improvement = 0.0\n", "");
    let r = common::simulate(&text, &[]);
    let a = r.assurance.expect("an assurance summary");
    assert_eq!(a.sensitivity[0].field, "response.delta");
    let groups = a.sensitivity[0].groups.clone();
    let (first, last) = (groups[0].2.unwrap(), groups[9].2.unwrap());
    // Deciles of N(0.4, 0.25^2) at 40 per arm: power about 0.04 at d = 0.08 and 0.96 at 0.72.
    assert!(first < 0.2 && last > 0.85, "decile 1 {first}, decile 10 {last}");
    assert_eq!(a.sensitivity[1].field, "outcome.placebo_improvement");
    assert!(a.sensitivity[1].spread < 0.5 * a.sensitivity[0].spread);
}

/// Bad priors are refused with exit 2, naming the prior or its field and what is allowed.
#[test]
fn bad_priors_are_refused_by_name() {
    let with = |prior: &str| textbook(64, 6400, Some(0.5), prior);
    // A negative SD.
    assert_refused(
        &textbook(
            64,
            6400,
            None,
            "[[uncertainty.prior]]\nfield = \"response.delta\"\ndistribution = \"normal\"\nmean = 0.5\nsd = -0.2\n",
        ),
        &["uncertainty.prior[0].sd", "above 0"],
    );
    // A support outside the field's range: a dropout probability drawn up to 1.2.
    assert_refused(
        &with(
            "[[uncertainty.prior]]\nfield = \"dropout.active\"\ndistribution = \"uniform\"\nlower = 0.0\nupper = 1.2\n",
        )
        .replace("active = 0.0\n[analysis]", "[analysis]"),
        &["uncertainty.prior[0]", "dropout.active", "can draw 1.19"],
    );
    // A normal on the effect without harm allowed reaches negative effects.
    assert_refused(
        &textbook(64, 6400, None, &normal_prior(0.5, 0.2)).replace("harmful_effect = true\n", ""),
        &["uncertainty.prior[0]", "response.delta", "harm"],
    );
    // Fields that are not real numbers: text, a whole number, a switch.
    for field in ["outcome.name", "outcome.integer", "biomarker.repeats"] {
        assert_refused(
            &with(&format!(
                "[[uncertainty.prior]]\nfield = \"{field}\"\ndistribution = \"uniform\"\nlower = 1.0\nupper = 2.0\n"
            )),
            &["uncertainty.prior[0].field", field, "real number"],
        );
    }
    // A design choice.
    assert_refused(
        &with(
            "[[uncertainty.prior]]\nfield = \"analysis.alpha\"\ndistribution = \"uniform\"\nlower = 0.01\nupper = 0.05\n",
        ),
        &["uncertainty.prior[0].field", "choice of the design"],
    );
    // A parameter of another distribution, and no effect on a field that is not an effect.
    assert_refused(
        &textbook(
            64,
            6400,
            None,
            "[[uncertainty.prior]]\nfield = \"response.delta\"\ndistribution = \"normal\"\nmean = 0.5\nsd = 0.2\nalpha = 2.0\n",
        ),
        &["uncertainty.prior[0].alpha", "does nothing"],
    );
    assert_refused(
        &with("[[uncertainty.prior]]\nfield = \"outcome.change_sd\"\ndistribution = \"lognormal\"\nmedian = 1.0\nlog_sd = 0.1\nprobability_of_no_effect = 0.2\n")
            .replace("change_sd = 1.0\n", ""),
        &["uncertainty.prior[0].probability_of_no_effect", "not an effect"],
    );
    // A field that does nothing in this design (no Mg status, so no repletion).
    assert_refused(
        &with(
            "[[uncertainty.prior]]\nfield = \"response.tau_weeks\"\ndistribution = \"lognormal\"\nmedian = 4.0\nlog_sd = 0.2\n",
        ),
        &["response.tau_weeks", "has a prior (uncertainty.prior[0]) but does nothing"],
    );
    // A field the file also gives.
    assert_refused(&with(&normal_prior(0.5, 0.2)), &["response.delta", "has a prior", "remove one"]);
    // Trials per draw not a multiple of 64, and too few replicates for four draws.
    assert_refused(
        &textbook(64, 6400, None, &format!("[uncertainty]\ntrials_per_draw = 100\n{}", normal_prior(0.5, 0.2))),
        &["uncertainty.trials_per_draw", "multiples of 64"],
    );
    assert_refused(&textbook(64, 200, None, &normal_prior(0.5, 0.2)), &["design.reps", "at least 4 draws"]);
}

/// `sample-size` targets assurance: the n it finds has assurance at least the target by its
/// CI, and the closed form agrees there within 3.5 SE.
#[test]
fn sample_size_targets_assurance() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), textbook(64, 6400, None, &normal_prior(0.5, 0.2))).unwrap();
    run_in(
        dir.path(),
        &[
            "sample-size",
            "s.toml",
            "--target",
            "0.6",
            "--min",
            "10",
            "--max",
            "200",
            "--out",
            "n.csv",
            "--precision",
            "0.02",
        ],
        0,
    );
    let text = std::fs::read_to_string(dir.path().join("n.csv")).unwrap();
    let row = first_row(&text);
    let n: f64 = row("value").parse().unwrap();
    let num = |c: &str| row(c).parse::<f64>().unwrap();
    // The interval is assurance +- 1.96 SE over draws.
    let (assurance, se) = (num("power"), (num("power_ci_high") - num("power_ci_low")) / (2.0 * 1.959_964));
    let exact = closed_form_assurance(n, 0.5, 0.2);
    assert!((assurance - exact).abs() < 3.5 * se, "n {n}: assurance {assurance} vs closed form {exact} (SE {se})");
    assert!(exact > 0.6 - 3.5 * se, "n {n} short of the target: closed form {exact}");
}

/// Precision control waits for enough draws: with 4,096 trials per draw, the first batch of
/// 1,000 trials is one draw, whose interval is [0, 1]; the run goes on to at least 4 draws and
/// its assurance agrees with the closed form within 3.5 SE.
#[test]
fn precision_control_waits_for_enough_draws() {
    let text =
        textbook(40, 40_960, None, &format!("[uncertainty]\ntrials_per_draw = 4096\n{}", normal_prior(0.4, 0.3)));
    let csv = run_csv(&text, &["--precision", "0.05", "--max-reps", "40960"]);
    let row = first_row(&csv);
    let reps: u32 = row("reps").parse().unwrap();
    assert!(reps >= 4 * 4096, "stopped at {reps} trials");
    let (assurance, se) = (row("power").parse::<f64>().unwrap(), row("power_mc_se").parse::<f64>().unwrap());
    let exact = closed_form_assurance(40.0, 0.4, 0.3);
    assert!((assurance - exact).abs() < 3.5 * se, "assurance {assurance} vs {exact} (SE {se})");
}

/// What would silently replace the draws is refused: solving for a field with a prior, a
/// `--set` of `[uncertainty]`, a second prior on one field spelled another way; and a target
/// that a probability of no effect puts out of reach.
#[test]
fn what_would_replace_the_draws_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), textbook(64, 6400, None, &normal_prior(0.5, 0.2))).unwrap();
    let (_, e) = run_in(
        dir.path(),
        &["sample-size", "s.toml", "--solve-for", "response.delta", "--min", "0.1", "--max", "1", "--target", "0.5"],
        2,
    );
    assert!(e.contains("has a prior (uncertainty.prior[0])"), "{e}");
    let (_, e) = run_in(dir.path(), &["run", "s.toml", "--set", "uncertainty.trials_per_draw=128"], 2);
    assert!(e.contains("uncertainty.trials_per_draw") && e.contains("edit [uncertainty]"), "{e}");
    let twice = format!(
        "{}[[uncertainty.prior]]\nfield = \"arms.1.adherence_mean\"\ndistribution = \"point_mass\"\nvalue = 0.2\n\
         [[uncertainty.prior]]\nfield = \"arms.mgo_500.adherence_mean\"\ndistribution = \"beta\"\nalpha = 83.0\nbeta = 17.0\n",
        common::shipped("depression_mgo_enriched.toml").replace("adherence_mean = 0.83", "")
    );
    assert_refused(&twice, &["uncertainty.prior[1].field", "spelled another way"]);
    let null = format!("{}probability_of_no_effect = 0.3\n", normal_prior(0.5, 0.2));
    std::fs::write(dir.path().join("null.toml"), textbook(64, 6400, None, &null)).unwrap();
    let (_, e) = run_in(dir.path(), &["sample-size", "null.toml", "--target", "0.8"], 2);
    assert!(e.contains("cannot reach") && e.contains("0.7150"), "{e}");
}

/// `check` of an assurance baseline with fresh seeds tests drift with the rows' SEs over draws,
/// not a binomial SE of as many independent trials: of 10 fresh seeds none is flagged (each
/// row's chance of a false alarm is 5%; a binomial test, 4 times too narrow here, flagged
/// about half).
#[test]
fn check_tests_assurance_with_the_se_over_draws() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), textbook(40, 3200, None, &normal_prior(0.4, 0.3))).unwrap();
    run_in(dir.path(), &["run", "s.toml", "-q", "--out", "base.csv"], 0);
    let mut flagged = 0;
    for seed in 100..110 {
        let out = common::mgtrial()
            .current_dir(dir.path())
            .args(["check", "s.toml", "--baseline", "base.csv", "--seed", &seed.to_string()])
            .output()
            .unwrap();
        flagged += usize::from(out.status.code() == Some(1));
    }
    assert!(flagged <= 2, "{flagged} of 10 fresh seeds flagged as drift");
}

/// The SE of the expected cost is over draws too: with a prior on the prevalence of low Mg,
/// the number screened per trial moves with each draw, and 12 seeds' costs scatter with the SD
/// the runs report (ratio within the 99% range of a chi-square with 11 df, 0.52 to 1.48).
#[test]
fn the_cost_se_is_over_draws() {
    let text = format!(
        "{}\n[costs]\nper_screened = {{ serum_total = 15.0 }}\nper_enrolled = 400.0\nper_participant_week = 25.0\n\n\
         [[uncertainty.prior]]\nfield = \"population.deficiency_prevalence\"\ndistribution = \"beta\"\nalpha = 15.0\nbeta = 85.0\n",
        common::shipped("depression_mgo_enriched.toml").replace("deficiency_prevalence = 0.15", "")
    );
    let (mut costs, mut ses) = (Vec::new(), Vec::new());
    for seed in 0..12 {
        let set = [format!("design.seed={seed}"), "design.reps=1280".to_string()];
        let r = common::simulate(&text, &[set[0].as_str(), set[1].as_str()]);
        costs.push(r.expected_cost.unwrap());
        ses.push(r.expected_cost_mc_se.unwrap());
    }
    let n = costs.len() as f64;
    let mean = costs.iter().sum::<f64>() / n;
    let sd = (costs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let reported = ses.iter().sum::<f64>() / n;
    assert!((0.52..1.48).contains(&(sd / reported)), "observed SD {sd} vs reported SE {reported}");
}
