//! Responder analyses against closed forms: chi-square power against the two-proportion
//! normal approximation at large n, the type I error of the uncorrected chi-square, and the
//! conservatism of Fisher's exact test and of Yates' correction at small n.

use mgtrial::analysis::responders::ResponderTable;
use mgtrial::rng::stream_rng;
use rand_distr::{Binomial, Distribution};
use statrs::distribution::{ContinuousCDF, Normal};

/// Rejection rates (chi-square, Yates, Fisher; two-sided at 0.05) over `reps` trials of
/// `n` per arm with responder rates `p_active`, `p_placebo`.
fn rejection_rates(n: u32, p_active: f64, p_placebo: f64, reps: u64) -> [f64; 3] {
    let mut rejected = [0u64; 3];
    for rep in 0..reps {
        let draw = |arm: u64, p: f64| {
            let mut rng = stream_rng(1998, rep, arm);
            Binomial::new(u64::from(n), p).unwrap().sample(&mut rng) as u32
        };
        let t = ResponderTable {
            active_responders: draw(1, p_active),
            active_n: n,
            placebo_responders: draw(0, p_placebo),
            placebo_n: n,
        };
        let below = |p: Option<f64>| u64::from(p.is_some_and(|p| p < 0.05));
        rejected[0] += below(t.chi_square(false).map(|c| c.p_two_sided));
        rejected[1] += below(t.chi_square(true).map(|c| c.p_two_sided));
        rejected[2] += below(t.fisher().map(|f| f.p_two_sided));
    }
    rejected.map(|r| r as f64 / reps as f64)
}

fn se(p: f64, reps: u64) -> f64 {
    (p * (1.0 - p) / reps as f64).sqrt()
}

/// Fleiss (1981) for the pooled chi-square test: power
/// `Phi((|d| sqrt(n) - z sqrt(2 pbar qbar)) / sqrt(p1 q1 + p0 q0))` plus the far tail,
/// accurate at large n. Pfaffenrath 1996's placebo responder rate, 29.4%, against 38%.
#[test]
fn chi_square_power_matches_the_normal_approximation() {
    let (n, p1, p0, reps) = (400u32, 0.38f64, 0.294f64, 4000u64);
    let z = Normal::standard().inverse_cdf(0.975);
    let pbar = (p1 + p0) / 2.0;
    let (s0, s1) = ((2.0 * pbar * (1.0 - pbar)).sqrt(), (p1 * (1.0 - p1) + p0 * (1.0 - p0)).sqrt());
    let d = (p1 - p0) * f64::from(n).sqrt();
    let power = Normal::standard().cdf((d - z * s0) / s1) + Normal::standard().cdf((-d - z * s0) / s1);
    let rate = rejection_rates(n, p1, p0, reps)[0];
    assert!((rate - power).abs() < 3.5 * se(power, reps), "chi-square power {rate:.4} vs {power:.4}");
}

/// At a null effect the uncorrected chi-square holds alpha at 200 per arm; at 30 per arm
/// Fisher's exact test and Yates' correction reject significantly less often than alpha
/// (both are conservative).
#[test]
fn chi_square_holds_alpha_and_fisher_is_conservative() {
    let reps = 20_000u64;
    let large = rejection_rates(200, 0.3, 0.3, reps);
    assert!((large[0] - 0.05).abs() < 3.5 * se(0.05, reps), "chi-square at 200 per arm: {:.4}", large[0]);
    let small = rejection_rates(30, 0.3, 0.3, reps);
    for (k, name) in [(1, "Yates"), (2, "Fisher")] {
        assert!(small[k] < 0.05 - 3.5 * se(0.05, reps), "{name} at 30 per arm: {:.4} is not conservative", small[k]);
    }
    eprintln!(
        "null rejection rates at 30 per arm: chi-square {:.4}, Yates {:.4}, Fisher {:.4}",
        small[0], small[1], small[2]
    );
}
