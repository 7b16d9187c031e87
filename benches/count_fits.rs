//! Negative-binomial fits per second at the Peikert size (81 patients, 38:43; attacks in
//! weeks 9-12 against a 4-week baseline), with 1 and 2 threads, and the same data sets for
//! the tools a trialist would otherwise use.
//!
//! `cargo bench --bench count_fits [-- --write DIR]` fits `follow ~ treated + log(baseline +
//! 1)` by NB2 maximum likelihood (`fit_negbin`, one fit per trial, as `MASS::glm.nb`) on
//! 20,000 simulated trials, prints fits per second and microseconds per fit, and with
//! `--write DIR` writes the first 200 data sets to `DIR/trials.csv` (columns trial, y, treated,
//! baseline), which `benches/peers/negbin_timing.R` and `benches/peers/negbin_timing.py` fit
//! with `MASS::glm.nb` and statsmodels' `NegativeBinomial` to give the ratio per fit.
//!
//! It then measures the type I error of every count analysis at the shipped trials' sizes
//! (Peikert 38:43, Gaul 66:64) at a null effect, 20,000 trials each, two-sided alpha 0.05:
//! NB Wald and likelihood ratio with the dispersion estimated, quasi-Poisson, Poisson (which
//! overstates significance under overdispersion), Welch and Wilcoxon on the change.

use mgtrial::analysis::Cell;
use mgtrial::analysis::critical::TCritical;
use mgtrial::analysis::loglinear::{CountRows, MAX_COLUMNS};
use mgtrial::analysis::negbin::{NegBinScratch, fit_negbin, rate_ratio_test};
use mgtrial::analysis::poisson::poisson_test;
use mgtrial::analysis::welch::welch;
use mgtrial::analysis::wilcoxon::{RankScratch, wilcoxon};
use mgtrial::model::outcome::count::{CountModel, CountPair, CountSampler};
use mgtrial::rng::stream_rng;
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};
use std::io::Write;
use std::time::Instant;

const TRIALS: u64 = 20_000;
const ARMS: [u32; 2] = [38, 43];

fn trial(sampler: &CountSampler, arms: [u32; 2], rate_ratio: f64, rep: u64) -> Vec<(usize, CountPair)> {
    let mut people = Vec::new();
    for (arm, &n) in arms.iter().enumerate() {
        let mut rng = stream_rng(1996, rep, arm as u64);
        for _ in 0..n {
            people.push((arm, sampler.draw(&mut rng, if arm == 1 { rate_ratio } else { 1.0 })));
        }
    }
    people
}

/// Null rejection rates of the count analyses at `arms`, over `trials` trials.
fn type_one_errors(sampler: &CountSampler, arms: [u32; 2], trials: u64) -> ([f64; 6], usize) {
    let z = Normal::standard().inverse_cdf(0.975);
    let critical = TCritical::new(0.025, 1024);
    let (mut rows, mut scratch, mut ranks) = (CountRows::default(), NegBinScratch::default(), RankScratch::default());
    let (mut rejected, mut failed) = ([0u64; 6], 0);
    for rep in 0..trials {
        let people = trial(sampler, arms, 1.0, rep);
        fill(&mut rows, &people);
        let Some(nb) = rate_ratio_test(&mut rows, &[0, 1, 2], 1, &mut scratch) else {
            failed += 1;
            continue;
        };
        rejected[0] += u64::from((nb.log_rate_ratio / nb.se).abs() > z);
        rejected[1] += u64::from(nb.likelihood_ratio > z * z);
        if let Some(q) = poisson_test(&mut rows, &[0, 1, 2], 1, true) {
            rejected[2] += u64::from(critical.exceeds((q.log_rate_ratio / q.se).abs(), q.df));
        }
        if let Some(p) = poisson_test(&mut rows, &[0, 1, 2], 1, false) {
            rejected[3] += u64::from((p.log_rate_ratio / p.se).abs() > z);
        }
        let (mut placebo, mut active) = (Cell::default(), Cell::default());
        let mut change = [Vec::new(), Vec::new()];
        for &(arm, p) in &people {
            let (x, y) = (f64::from(p.baseline), f64::from(p.followup));
            if arm == 1 {
                active.add(x, y)
            } else {
                placebo.add(x, y)
            }
            change[arm].push(y - x);
        }
        if let Some(w) = welch(&active, &placebo, -1.0) {
            rejected[4] += u64::from(critical.exceeds(w.t().abs(), w.df));
        }
        if let Some(w) = wilcoxon(&change[1], &change[0], -1.0, &mut ranks) {
            rejected[5] += u64::from(w.t().abs() > z);
        }
    }
    (rejected.map(|r| r as f64 / trials as f64), failed)
}

fn fill(rows: &mut CountRows, people: &[(usize, CountPair)]) {
    rows.clear();
    for &(arm, p) in people {
        let mut row = [0.0; MAX_COLUMNS];
        row[0] = 1.0;
        row[1] = arm as f64;
        row[2] = (f64::from(p.baseline) + 1.0).ln();
        rows.push(p.followup, row);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Peikert 1996: Mg -41.6% against placebo -15.8%, a rate ratio of 0.584 / 0.842 = 0.69.
    let sampler = CountModel::peikert_attacks().sampler();
    let data: Vec<Vec<(usize, CountPair)>> = (0..TRIALS).map(|rep| trial(&sampler, ARMS, 0.69, rep)).collect();
    if let Some(dir) = args.iter().position(|a| a == "--write").and_then(|i| args.get(i + 1)) {
        let path = std::path::Path::new(dir).join("trials.csv");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("writable directory"));
        writeln!(out, "trial,y,treated,baseline").expect("write");
        for (t, people) in data.iter().take(200).enumerate() {
            for (arm, p) in people {
                writeln!(out, "{t},{},{arm},{}", p.followup, p.baseline).expect("write");
            }
        }
        println!("wrote {}", path.display());
    }
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        let mut best = f64::INFINITY;
        let mut failed = 0;
        for _ in 0..3 {
            let t0 = Instant::now();
            failed = pool.install(|| {
                data.par_iter()
                    .map_init(
                        || (CountRows::default(), NegBinScratch::default()),
                        |(rows, scratch), people| {
                            fill(rows, people);
                            usize::from(fit_negbin(rows, &[0, 1, 2], scratch).is_none())
                        },
                    )
                    .sum::<usize>()
            });
            best = best.min(t0.elapsed().as_secs_f64());
        }
        println!(
            "NB2 fits at 38:43, {threads} thread(s): {:.0} fits/s, {:.1} us per fit per thread ({failed} of {TRIALS} did \
             not converge; best of 3)",
            TRIALS as f64 / best,
            best / TRIALS as f64 * 1e6 * threads as f64
        );
    }
    for arms in [ARMS, [66, 64]] {
        let (rates, failed) = type_one_errors(&sampler, arms, TRIALS);
        println!(
            "type I error at {}:{} (MC SE 0.0015): NB Wald {:.4}, NB LR {:.4}, quasi-Poisson {:.4}, Poisson {:.4}, Welch \
             on change {:.4}, Wilcoxon on change {:.4} ({failed} NB fits did not converge)",
            arms[0], arms[1], rates[0], rates[1], rates[2], rates[3], rates[4], rates[5]
        );
    }
}
