//! Numerical integration shared by the closed forms, and a memo for what design points share.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, OnceLock};

/// The storage of a [`memoized`] table.
pub(crate) type Memo<K, V> = OnceLock<Mutex<HashMap<K, V>>>;

/// A process-wide memo: `make(&key)`, computed once per key and then cloned out of `cache`.
/// For tables that every design point of a sweep would otherwise rebuild (critical values,
/// quantiles), keyed by the exact bits of their parameters.
pub(crate) fn memoized<K: Eq + Hash, V: Clone>(cache: &'static Memo<K, V>, key: K, make: impl FnOnce(&K) -> V) -> V {
    let mut map = cache.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(v) = map.get(&key) {
        return v.clone();
    }
    let v = make(&key);
    map.insert(key, v.clone());
    v
}

/// Composite Simpson's rule for `f` over `[lo, hi]` with `intervals` (even) subintervals
/// (e.g. Press et al., Numerical Recipes, 3rd ed., sec. 4.2).
pub(crate) fn simpson<F: Fn(f64) -> f64>(f: F, lo: f64, hi: f64, intervals: usize) -> f64 {
    simpson_each(|x| [f(x)], lo, hi, intervals)[0]
}

/// [`simpson`] of `N` functions evaluated together at each node.
pub(crate) fn simpson_each<const N: usize, F: Fn(f64) -> [f64; N]>(
    f: F,
    lo: f64,
    hi: f64,
    intervals: usize,
) -> [f64; N] {
    debug_assert!(intervals >= 2 && intervals.is_multiple_of(2), "Simpson's rule needs an even number of intervals");
    let h = (hi - lo) / intervals as f64;
    let (a, b) = (f(lo), f(hi));
    let mut sum: [f64; N] = std::array::from_fn(|k| a[k] + b[k]);
    for i in 1..intervals {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        for (s, v) in sum.iter_mut().zip(f(lo + h * i as f64)) {
            *s += weight * v;
        }
    }
    sum.map(|s| s * h / 3.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_for_cubics_and_accurate_for_smooth_functions() {
        assert!((simpson(|x| x * x * x - 2.0 * x, 0.0, 2.0, 2) - 0.0).abs() < 1e-12);
        assert!((simpson(f64::sin, 0.0, std::f64::consts::PI, 100) - 2.0).abs() < 1e-7);
    }
}
