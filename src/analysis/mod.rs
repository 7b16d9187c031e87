//! Analyses of one simulated trial: the treatment comparison of an active arm with placebo.
//!
//! Participants are reduced on the fly to sufficient statistics per (arm, stratum) cell
//! ([`Cell`]), so no per-participant data is stored. Each test returns an estimate on the
//! benefit scale (positive = the active arm did better), its standard error and degrees of
//! freedom; decisions against critical values are made by [`critical::TCritical`].

pub mod ancova;
pub mod critical;
pub mod dunnett;
pub(crate) mod linalg;
pub mod loglinear;
pub mod multiplicity;
pub mod negbin;
pub mod poisson;
pub mod power;
pub mod responders;
pub mod welch;
pub mod wilcoxon;

/// Sums over the completers of one (arm, stratum) cell. `x` is the observed baseline and `y`
/// the observed follow-up, both centred on the outcome's baseline mean for numerical accuracy.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    pub n: f64,
    pub sum_x: f64,
    pub sum_y: f64,
    pub sum_xx: f64,
    pub sum_xy: f64,
    pub sum_yy: f64,
}

impl Cell {
    #[inline]
    pub fn add(&mut self, x: f64, y: f64) {
        self.n += 1.0;
        self.sum_x += x;
        self.sum_y += y;
        self.sum_xx += x * x;
        self.sum_xy += x * y;
        self.sum_yy += y * y;
    }

    pub fn merged(self, o: Cell) -> Cell {
        Cell {
            n: self.n + o.n,
            sum_x: self.sum_x + o.sum_x,
            sum_y: self.sum_y + o.sum_y,
            sum_xx: self.sum_xx + o.sum_xx,
            sum_xy: self.sum_xy + o.sum_xy,
            sum_yy: self.sum_yy + o.sum_yy,
        }
    }
}

/// Result of one test in one trial: estimate of benefit, its SE and degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub benefit: f64,
    pub se: f64,
    pub df: f64,
}

impl Estimate {
    /// `Some` only for a usable result: finite, positive SE and df >= 1.
    pub fn checked(benefit: f64, se: f64, df: f64) -> Option<Estimate> {
        (benefit.is_finite() && se.is_finite() && se > 0.0 && df >= 1.0).then_some(Estimate { benefit, se, df })
    }

    pub fn t(&self) -> f64 {
        self.benefit / self.se
    }
}
