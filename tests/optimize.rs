//! `mgtrial optimize` (issue 25, point 2): the cheapest of the scenario's design points whose
//! power's lower 95% limit reaches the target, each at its smallest n per arm, candidates that
//! a coarse search shows dominated pruned. Checked against an exhaustive run over n (the winner,
//! each confirmed candidate's n, and that every pruned candidate costs more than the winner);
//! refused without prices; deterministic.

mod common;

use common::{run_in, shipped};
use std::collections::HashMap;

/// The enriched depression trial with prices, and three candidate selections.
fn candidates() -> String {
    format!(
        "{}\n[costs]\nper_screened = {{ serum_total = 15.0, ionized = 40.0 }}\nper_enrolled = 400.0\n\
         per_participant_week = 25.0\n\n[sweep]\n\n[[sweep.series]]\nlabel = \"serum < 0.75\"\nset = {{}}\n\n\
         [[sweep.series]]\nlabel = \"serum < 0.80\"\nset = {{ \"selection.threshold\" = 0.80 }}\n\n\
         [[sweep.series]]\nlabel = \"ionized < 0.45\"\nset = {{ \"biomarker.type\" = \"ionized\", \
         \"selection.threshold\" = 0.45 }}\n",
        shipped("depression_mgo_enriched.toml")
    )
}

/// Rows of a CSV as maps from column to cell.
fn rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records().map(|rec| header.iter().cloned().zip(rec.unwrap().iter().map(String::from)).collect()).collect()
}

/// An exhaustive run over n per arm (every 2 from 20 to 120, 8,000 trials each) finds, for each
/// candidate, the smallest n whose power's lower 95% limit reaches 0.8, and its cost there. The
/// cheapest of those is the candidate `optimize` names the winner, at an n within 4 of the
/// exhaustive one (both are Monte Carlo answers; a step of 2 in n moves power by about 0.01,
/// the search's precision), and optimize's n for every candidate reaches the target.
#[test]
fn optimize_finds_the_cheapest_design_an_exhaustive_run_confirms() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("c.toml"), candidates()).unwrap();
    run_in(d, &["optimize", "c.toml", "-q", "--out", "opt.csv"], 0);
    let optimized = rows(&d.join("opt.csv"));
    run_in(
        d,
        &["run", "c.toml", "-q", "--reps", "8000", "--sweep", "design.n_per_arm=20:120:2", "--out", "grid.csv"],
        0,
    );
    let grid = rows(&d.join("grid.csv"));
    let mut best: Vec<(f64, String, f64)> = Vec::new();
    for candidate in optimized.iter() {
        let series = &candidate["series"];
        let smallest = grid
            .iter()
            .filter(|r| &r["series"] == series && r["analysis"] == "ancova" && r["subgroup"] == "all")
            .filter(|r| r["power_ci_low"].parse::<f64>().unwrap() >= 0.8)
            .map(|r| (r["design.n_per_arm"].parse::<f64>().unwrap(), r["expected_cost"].parse::<f64>().unwrap()))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("reached in the grid");
        best.push((smallest.1, series.clone(), smallest.0));
        // A pruned candidate is not confirmed: its figures are its coarse search's.
        if candidate["role"] == "pruned" {
            continue;
        }
        let n: f64 = candidate["n_per_arm"].parse().unwrap();
        assert!((n - smallest.0).abs() <= 4.0, "{series}: optimize n {n}, exhaustive {}", smallest.0);
        assert!(candidate["power_ci_low"].parse::<f64>().unwrap() >= 0.8, "{series}");
    }
    best.sort_by(|a, b| a.0.total_cmp(&b.0));
    let winner = optimized.iter().find(|r| r["role"] == "winner").expect("a winner");
    assert_eq!(winner["series"], best[0].1, "exhaustive ranking {best:?}");
    // Every pruned candidate costs more than the winner in the exhaustive run too.
    for c in optimized.iter().filter(|c| c["role"] == "pruned") {
        let cost = best.iter().find(|b| b.1 == c["series"]).unwrap().0;
        assert!(cost > best[0].0, "pruned {} costs {cost}, the winner {}", c["series"], best[0].0);
    }
    // The exhaustive ranking separates the winner clearly from the next (so the check can fail).
    assert!(best[1].0 > 1.05 * best[0].0, "{best:?}");
}

/// Deterministic for a seed, whatever the threads.
#[test]
fn optimize_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("c.toml"), candidates()).unwrap();
    run_in(d, &["optimize", "c.toml", "-q", "--threads", "1", "--out", "one.csv"], 0);
    run_in(d, &["optimize", "c.toml", "-q", "--threads", "2", "--out", "two.csv"], 0);
    assert_eq!(std::fs::read(d.join("one.csv")).unwrap(), std::fs::read(d.join("two.csv")).unwrap());
}

/// Without prices there is nothing to rank (exit 2, naming [costs]); a range too small for the
/// target is an answer, not an error: exit 1, every candidate not reached.
#[test]
fn optimize_needs_prices_and_says_when_nothing_reaches() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("plain.toml"), shipped("depression_mgo_enriched.toml")).unwrap();
    let (_, e) = run_in(d, &["optimize", "plain.toml", "-q"], 2);
    assert!(e.contains("[costs]"), "{e}");
    std::fs::write(d.join("c.toml"), candidates()).unwrap();
    let (out, _) = run_in(d, &["optimize", "c.toml", "-q", "--max", "6", "--out", "none.csv"], 1);
    assert!(out.contains("no candidate"), "{out}");
    assert!(rows(&d.join("none.csv")).iter().all(|r| r["role"] == "not_reached"));
}

/// The Pareto figure: `plot --points` draws optimize's candidates as markers by role, with no
/// line joining them (a series path would imply an order the candidates do not have).
#[test]
fn the_candidates_plot_as_points_by_role() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("c.toml"), candidates()).unwrap();
    run_in(d, &["optimize", "c.toml", "-q", "--out", "opt.csv"], 0);
    let plot = |points: bool, out: &str| {
        let mut args =
            vec!["plot", "opt.csv", "--x", "mean_screened", "--y", "expected_cost", "--series", "role", "--out", out];
        if points {
            args.push("--points");
        }
        run_in(d, &args, 0);
        std::fs::read_to_string(d.join(out)).unwrap()
    };
    let (scatter, lines) = (plot(true, "scatter.svg"), plot(false, "lines.svg"));
    assert!(!scatter.contains("class=\"series\""), "no lines joining the candidates");
    assert!(lines.contains("class=\"series\""));
    assert!(scatter.contains("role winner"), "the legend names the roles");
}

/// With y = power a scatter has no CI band either: a band joins the points as a line does.
#[test]
fn a_scatter_of_power_has_no_band() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("c.toml"), candidates()).unwrap();
    run_in(d, &["optimize", "c.toml", "-q", "--out", "opt.csv"], 0);
    run_in(d, &["plot", "opt.csv", "--x", "expected_cost", "--series", "role", "--points", "--out", "p.svg"], 0);
    let svg = std::fs::read_to_string(d.join("p.svg")).unwrap();
    assert!(!svg.contains("class=\"band\"") && !svg.contains("class=\"series\""));
}

/// Optimize targets assurance under `[uncertainty]`: with a lognormal prior on the serum time
/// constant (median 4 weeks, log SD 0.25), each candidate's assurance interval (over draws)
/// lies above the target at its n, and the winner is the cheapest of an exhaustive run over n
/// (every 4 from 24 to 100, 6,400 trials = 100 draws each), at an n within 8 of its smallest
/// passing n.
#[test]
fn optimize_targets_assurance() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let prior = "\n[[uncertainty.prior]]\nfield = \"response.tau_weeks\"\ndistribution = \"lognormal\"\nmedian = 4.0\nlog_sd = 0.25\n";
    let text = candidates().replacen("tau_weeks = 4.0", "# tau_weeks has a prior", 1).replacen(
        "\n[sweep]",
        &format!("{prior}\n[sweep]"),
        1,
    );
    std::fs::write(d.join("c.toml"), text).unwrap();
    let (out, _) = run_in(d, &["optimize", "c.toml", "--target", "0.75", "--out", "opt.csv"], 0);
    assert!(out.contains("power is assurance"), "{out}");
    let optimized = rows(&d.join("opt.csv"));
    run_in(
        d,
        &["run", "c.toml", "-q", "--reps", "6400", "--sweep", "design.n_per_arm=24:100:4", "--out", "grid.csv"],
        0,
    );
    let grid = rows(&d.join("grid.csv"));
    let mut best: Vec<(f64, String, f64)> = Vec::new();
    for candidate in &optimized {
        let series = &candidate["series"];
        let pruned = candidate["role"] == "pruned";
        assert!(pruned || candidate["power_ci_low"].parse::<f64>().unwrap() >= 0.75, "{series}");
        let smallest = grid
            .iter()
            .filter(|r| &r["series"] == series && r["analysis"] == "ancova" && r["subgroup"] == "all")
            .filter(|r| r["power_ci_low"].parse::<f64>().unwrap() >= 0.75)
            .map(|r| (r["design.n_per_arm"].parse::<f64>().unwrap(), r["expected_cost"].parse::<f64>().unwrap()))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("reached in the grid");
        let n: f64 = candidate["n_per_arm"].parse().unwrap();
        assert!(pruned || (n - smallest.0).abs() <= 8.0, "{series}: optimize n {n}, exhaustive {}", smallest.0);
        best.push((smallest.1, series.clone(), smallest.0));
    }
    best.sort_by(|a, b| a.0.total_cmp(&b.0));
    let winner = optimized.iter().find(|r| r["role"] == "winner").expect("a winner");
    assert_eq!(winner["series"], best[0].1, "exhaustive ranking {best:?}");
}

/// The shipped optimize scenario prunes: candidates that a coarse search shows dominated by a
/// confirmed candidate (more cost, more people screened, no fewer weeks) are not confirmed, and
/// the winner is the one the search without pruning found (24 per arm, as in the README).
#[test]
fn optimize_prunes_what_a_confirmed_candidate_dominates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = common::scenario_path("optimize_depression_selection.toml");
    run_in(d, &["optimize", path.to_str().unwrap(), "-q", "--out", "opt.csv"], 0);
    let rows = rows(&d.join("opt.csv"));
    let num = |r: &HashMap<String, String>, c: &str| r[c].parse::<f64>().unwrap();
    let pruned: Vec<_> = rows.iter().filter(|r| r["role"] == "pruned").collect();
    assert!(!pruned.is_empty(), "nothing pruned");
    for p in pruned {
        assert!(
            rows.iter().filter(|r| r["role"] != "pruned" && r["role"] != "not_reached").any(|r| num(
                r,
                "expected_cost"
            ) < num(
                p,
                "expected_cost"
            ) && num(
                r,
                "mean_screened"
            ) < num(
                p,
                "mean_screened"
            ) && num(
                r,
                "design.duration_weeks"
            ) <= num(
                p,
                "design.duration_weeks"
            )),
            "{} is pruned but no confirmed candidate dominates it",
            p["series"]
        );
    }
    let winner = rows.iter().find(|r| r["role"] == "winner").unwrap();
    assert_eq!(winner["n_per_arm"], "24");
}
