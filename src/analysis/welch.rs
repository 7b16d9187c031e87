//! Welch's t-test on the change from baseline (Welch 1947; Satterthwaite 1946 degrees of freedom).

use super::{Cell, Estimate};

/// Mean and sample variance of the change `y - x` in a cell.
fn change_moments(c: &Cell) -> (f64, f64) {
    let mean = (c.sum_y - c.sum_x) / c.n;
    let sum_sq = c.sum_yy - 2.0 * c.sum_xy + c.sum_xx;
    let var = ((sum_sq - c.n * mean * mean) / (c.n - 1.0)).max(0.0);
    (mean, var)
}

/// Welch comparison of the mean change in `active` with `placebo`; `benefit_sign` is +1 when
/// higher scores are better and -1 when lower are. `None` with fewer than 2 completers per arm
/// or zero variance.
pub fn welch(active: &Cell, placebo: &Cell, benefit_sign: f64) -> Option<Estimate> {
    if active.n < 2.0 || placebo.n < 2.0 {
        return None;
    }
    let (mean_a, var_a) = change_moments(active);
    let (mean_p, var_p) = change_moments(placebo);
    let (qa, qp) = (var_a / active.n, var_p / placebo.n);
    let se2 = qa + qp;
    let df = se2 * se2 / (qa * qa / (active.n - 1.0) + qp * qp / (placebo.n - 1.0));
    Estimate::checked(benefit_sign * (mean_a - mean_p), se2.sqrt(), df)
}
