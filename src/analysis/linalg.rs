//! Small dense symmetric systems of the regressions: Cholesky factor and solve, on fixed-size
//! arrays of which the leading `p` rows and columns are used.

/// Lower-triangular `L` with `L L' = A` for the leading `p` x `p` block of `a`; `None` if `A` is not numerically positive definite.
pub(crate) fn cholesky<const N: usize>(a: &[[f64; N]; N], p: usize) -> Option<[[f64; N]; N]> {
    let mut l = [[0.0; N]; N];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                // Relative to the diagonal only, so the test does not depend on the outcome's units.
                if s <= 1e-12 * a[i][i].abs() {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

/// Solves `L L' v = b` by forward and back substitution.
pub fn solve<const N: usize>(l: &[[f64; N]; N], b: &[f64; N], p: usize) -> [f64; N] {
    let mut z = [0.0; N];
    for i in 0..p {
        z[i] = (b[i] - (0..i).map(|k| l[i][k] * z[k]).sum::<f64>()) / l[i][i];
    }
    let mut v = [0.0; N];
    for i in (0..p).rev() {
        v[i] = (z[i] - (i + 1..p).map(|k| l[k][i] * v[k]).sum::<f64>()) / l[i][i];
    }
    v
}
