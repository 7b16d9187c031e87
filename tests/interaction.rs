//! The treatment x stratum interaction: ANCOVA with the interaction term against R's `lm`, its
//! type I error when the effect does not depend on the stratum, and its power against the
//! normal approximation; the negative-binomial interaction's type I error.

use mgtrial::analysis::Cell;
use mgtrial::analysis::ancova::ancova_interaction;
use mgtrial::analysis::critical::TCritical;
use mgtrial::analysis::loglinear::{CountRows, MAX_COLUMNS};
use mgtrial::analysis::negbin::{NegBinScratch, rate_ratio_test};
use mgtrial::model::outcome::count::CountModel;
use mgtrial::rng::{standard_normal, stream_rng};
use statrs::distribution::{ContinuousCDF, Normal};

/// `benches/peers/interaction_crosscheck.R` (R 4.2.2): `lm(y ~ treat * stratum + x)` gives
/// treat:stratum = -2.388466481655 (SE 1.631993758067), the effect at or above the threshold
/// less the effect below; ours is the effect below less above, so +2.388466481655.
#[test]
fn ancova_interaction_matches_r_lm() {
    let treat = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
    let stratum = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    let x = [
        22.6, 14.6, 20.7, 19.6, 16.7, 7.4, 16.3, 14.9, 20.6, 17.6, 18.0, 16.3, 18.9, 18.9, 7.3, 26.7, 23.1, 21.1, 16.0,
        23.4, 18.4, 19.2, 13.0, 27.3, 20.2, 29.5, 28.7, 20.3, 23.2, 28.6, 17.4, 20.8,
    ];
    let y = [
        12.8, 9.8, 13.0, 15.3, 11.8, 1.8, 11.5, 6.5, 11.9, 15.9, 10.2, 13.7, 11.8, 18.6, 9.5, 17.8, 16.3, 13.9, 6.1,
        13.4, 8.2, 12.9, 5.9, 15.7, 9.4, 15.8, 18.6, 10.2, 14.5, 18.7, 10.8, 12.6,
    ];
    let (mut active, mut placebo) = ([Cell::default(); 2], [Cell::default(); 2]);
    for i in 0..32 {
        let cells = if treat[i] == 1 { &mut active } else { &mut placebo };
        cells[stratum[i]].add(x[i], y[i]);
    }
    let e = ancova_interaction(&active, &placebo, 1.0).expect("all cells filled");
    assert!((e.benefit - 2.388466481655).abs() < 1e-9, "{}", e.benefit);
    assert!((e.se - 1.631993758067).abs() < 1e-9, "{}", e.se);
    assert_eq!(e.df, 27.0);
}

/// One simulated stratified trial: `n` per (arm, stratum) cell, baseline `x ~ N(0, 1)`,
/// follow-up `0.6 x + effect + N(0, 0.8^2)` (correlation 0.6, residual SD 0.8), with the
/// effects `[below, at or above]` in the active arm.
fn stratified_cells(n: u32, effects: [f64; 2], rep: u64) -> ([Cell; 2], [Cell; 2]) {
    let (mut active, mut placebo) = ([Cell::default(); 2], [Cell::default(); 2]);
    for (arm, cells) in [&mut placebo, &mut active].into_iter().enumerate() {
        for (stratum, cell) in cells.iter_mut().enumerate() {
            let mut rng = stream_rng(44, rep, (2 * arm + stratum) as u64);
            let effect = if arm == 1 { effects[stratum] } else { 0.0 };
            for _ in 0..n {
                let x = standard_normal(&mut rng);
                cell.add(x, 0.6 * x + effect + 0.8 * standard_normal(&mut rng));
            }
        }
    }
    (active, placebo)
}

/// When the effect is the same in both strata the interaction test rejects at rate alpha;
/// its power rises with the difference between the strata and agrees with the normal
/// approximation `Phi(d / (0.8 sqrt(4 / n)) - z)` (two-sided, far tail included) at 100 per cell.
#[test]
fn ancova_interaction_holds_alpha_and_gains_power_with_the_difference() {
    let (n, reps) = (100u32, 4000u64);
    let critical = TCritical::new(0.025, 1024);
    let z = Normal::standard().inverse_cdf(0.975);
    let mut previous = 0.0;
    for difference in [0.0, 0.15, 0.3] {
        let rejected = (0..reps)
            .filter(|&rep| {
                let (a, p) = stratified_cells(n, [0.4 + difference, 0.4], rep);
                let e = ancova_interaction(&a, &p, 1.0).expect("all cells filled");
                critical.exceeds(e.t().abs(), e.df)
            })
            .count();
        let rate = rejected as f64 / reps as f64;
        let d = difference / (0.8 * (4.0 / f64::from(n)).sqrt());
        let expected = Normal::standard().cdf(d - z) + Normal::standard().cdf(-d - z);
        let se = (expected * (1.0 - expected) / reps as f64).sqrt();
        assert!((rate - expected).abs() < 3.5 * se, "difference {difference}: {rate:.4} vs {expected:.4}");
        assert!(rate > previous || difference == 0.0, "power does not rise: {rate} after {previous}");
        previous = rate;
    }
}

/// The negative-binomial interaction (`y ~ treat * stratum + log(baseline + 1)`, the
/// likelihood ratio for treat:stratum) rejects at rate alpha when the rate ratio is the same
/// in both strata, at 100 per cell.
#[test]
fn negbin_interaction_holds_alpha() {
    let model = CountModel::peikert_attacks();
    let sampler = model.sampler();
    let (n, reps) = (100u32, 4000u64);
    let chi2 = Normal::standard().inverse_cdf(0.975).powi(2);
    let (mut rows, mut scratch) = (CountRows::default(), NegBinScratch::default());
    let mut rejected = 0u64;
    for rep in 0..reps {
        rows.clear();
        for cell in 0..4u64 {
            let (treat, stratum) = ((cell / 2) as f64, (cell % 2) as f64);
            let mut rng = stream_rng(45, rep, cell);
            for _ in 0..n {
                let p = sampler.draw(&mut rng, if treat == 1.0 { 0.7 } else { 1.0 });
                let mut row = [0.0; MAX_COLUMNS];
                row[..5].copy_from_slice(&[1.0, treat, stratum, treat * stratum, (f64::from(p.baseline) + 1.0).ln()]);
                rows.push(p.followup, row);
            }
        }
        let t = rate_ratio_test(&mut rows, &[0, 1, 2, 3, 4], 3, &mut scratch).expect("converges at these sizes");
        rejected += u64::from(t.likelihood_ratio > chi2);
    }
    let rate = rejected as f64 / reps as f64;
    let se = (0.05f64 * 0.95 / reps as f64).sqrt();
    assert!((rate - 0.05).abs() < 3.5 * se, "NB interaction at a null: {rate:.4}");
}

/// Responders: the Breslow-Day test with Tarone's correction rejects at rate alpha when the
/// odds ratio (1.8) is the same in both strata though their placebo rates differ (25% and
/// 40%), at 200 per cell, and more often when the odds ratios differ (1.8 against 1).
#[test]
fn breslow_day_holds_alpha_for_a_common_odds_ratio() {
    use mgtrial::analysis::responders::{ResponderTable, breslow_day};
    use rand_distr::{Binomial, Distribution};
    let (n, reps) = (200u32, 4000u64);
    let with_odds_ratio = |p: f64, or: f64| or * p / (1.0 - p) / (1.0 + or * p / (1.0 - p));
    let rate = |ors: [f64; 2]| {
        let rejected = (0..reps)
            .filter(|&rep| {
                let strata = [0usize, 1].map(|s| {
                    let placebo_rate = [0.25, 0.4][s];
                    let mut rng = stream_rng(46, rep, s as u64);
                    let mut draw = |p: f64| Binomial::new(u64::from(n), p).unwrap().sample(&mut rng) as u32;
                    ResponderTable {
                        active_responders: draw(with_odds_ratio(placebo_rate, ors[s])),
                        active_n: n,
                        placebo_responders: draw(placebo_rate),
                        placebo_n: n,
                    }
                });
                breslow_day(&strata).is_some_and(|(_, p)| p < 0.05)
            })
            .count();
        rejected as f64 / reps as f64
    };
    let null = rate([1.8, 1.8]);
    let se = (0.05f64 * 0.95 / reps as f64).sqrt();
    assert!((null - 0.05).abs() < 3.5 * se, "Breslow-Day at a common odds ratio: {null:.4}");
    assert!(rate([1.8, 1.0]) > null + 0.2, "Breslow-Day gains power when the odds ratios differ");
}
