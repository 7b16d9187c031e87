//! Random streams and the seed contract.
//!
//! Seed contract, version 2 (mgtrial 0.2; version 1 was one Xoshiro256++ per stream). Each
//! stream is [`LANES`] Xoshiro256++ generators (Blackman & Vigna 2018) stepped together. Their
//! `4 * LANES` state words are consecutive SplitMix64 outputs (Steele, Lea & Flood 2014),
//! lane by lane, started at `key = mix(mix(mix(seed) ^ rep) ^ stream)`, where `mix` is the
//! SplitMix64 finalizer; the stream's words are the lanes' outputs interleaved (step 0 of
//! lanes 0..8, then step 1, ...). A stream therefore depends only on `(seed, rep, stream)`,
//! never on which thread runs it or on what ran before, which makes output byte-identical for
//! any thread count. The lanes are stepped by one loop compiled twice, for AVX-512 (chosen at
//! run time where the CPU has it) and for baseline x86-64 or any other target: integer
//! arithmetic only, so both give the same words (tested), and output is the same on every CPU.

use rand::{Rng, TryRng};
use rand_distr::Distribution;
use std::convert::Infallible;
use std::sync::OnceLock;

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A standard normal draw, forced inline: as a call, each draw cost about a fifth of the
/// textbook loop. The 256-layer ziggurat of Marsaglia & Tsang (2000), "The ziggurat method
/// for generating random variables", J. Stat. Softw. 5(8), drawing exactly what rand_distr's
/// `StandardNormal` draws from the same generator (same tables, bits and order; tested), with
/// the rare wedge and tail cases out of line so that the caller's values stay in registers.
#[inline(always)]
pub fn standard_normal<R: Rng>(rng: &mut R) -> f64 {
    let zig = &NORMAL_ZIGGURAT;
    let bits = rng.next_u64();
    let i = (bits & 0xff) as usize;
    // 52 bits as a float in [2, 4), less 3: in [-1, 1).
    let u = f64::from_bits((bits >> 12) | (1024u64 << 52)) - 3.0;
    let x = u * zig.x[i];
    if x.abs() < zig.x[i + 1] {
        return x;
    }
    normal_slow(rng, zig, i, u, x)
}

/// The ziggurat's layers: `x[i]` the layer edges (`x[0] = v / f(r)`, `x[1] = r`, ...,
/// `x[256] = 0`) and `f[i] = exp(-x[i]^2 / 2)`, with `r = 3.6541528853610088` and layer area
/// `v = 0.00492867323399` (Marsaglia & Tsang 2000, the 256-layer normal table).
struct Ziggurat {
    x: [f64; 257],
    f: [f64; 257],
}

const ZIGGURAT_R: f64 = 3.654_152_885_361_009;

/// The ziggurat's rejections: the base layer's tail (Marsaglia 1964) and the wedges, then a
/// fresh draw.
#[cold]
#[inline(never)]
fn normal_slow<R: Rng>(rng: &mut R, zig: &Ziggurat, mut i: usize, mut u: f64, mut x: f64) -> f64 {
    loop {
        if i == 0 {
            let (mut tail, mut y) = (1.0f64, 0.0f64);
            while -2.0 * y < tail * tail {
                tail = open01(rng).ln() / ZIGGURAT_R;
                y = open01(rng).ln();
            }
            return if u < 0.0 { tail - ZIGGURAT_R } else { ZIGGURAT_R - tail };
        }
        if zig.f[i + 1] + (zig.f[i] - zig.f[i + 1]) * uniform(rng) < (-x * x / 2.0).exp() {
            return x;
        }
        let bits = rng.next_u64();
        i = (bits & 0xff) as usize;
        u = f64::from_bits((bits >> 12) | (1024u64 << 52)) - 3.0;
        x = u * zig.x[i];
        if x.abs() < zig.x[i + 1] {
            return x;
        }
    }
}

/// The normal ziggurat's layer edges `x[0..=256]`, for benchmarks of other generators built
/// on the same table (`benches/block_normals.rs`).
pub fn normal_layer_edges() -> &'static [f64; 257] {
    &NORMAL_ZIGGURAT.x
}

/// A uniform draw on (0, 1), as rand's `Open01`: 52 bits as a float in [1, 2), less
/// `1 - 2^-53`.
pub(crate) fn open01<R: Rng>(rng: &mut R) -> f64 {
    f64::from_bits((rng.next_u64() >> 12) | (1023u64 << 52)) - (1.0 - f64::EPSILON / 2.0)
}

/// A uniform draw on [0, 1) (rand's 53-bit conversion), forced inline like [`standard_normal`].
#[inline(always)]
pub(crate) fn uniform<R: Rng>(rng: &mut R) -> f64 {
    rand::distr::StandardUniform.sample(rng)
}

// The layers, as literals computed by build.rs: `NORMAL_ZIGGURAT` (`f(x) = exp(-x^2 / 2)`,
// `r` above, `v = 0.00492867323399`).
include!(concat!(env!("OUT_DIR"), "/ziggurat_tables.rs"));

/// The SplitMix64 output function (a bijective 64-bit mixer).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Generator lanes per stream, stepped together (one AVX-512 register holds a state word of
/// each).
pub const LANES: usize = 8;
/// Words made per refill: `BUFFER / LANES` steps of every lane.
const BUFFER: usize = 32;

type LaneStates = [[u64; LANES]; 4];

/// How the lanes are stepped: the same arithmetic, compiled for two instruction sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanePath {
    /// Baseline x86-64 (SSE2), or the target's own baseline elsewhere.
    Portable,
    /// AVX-512 (F and VL: 64-bit lanes, with a rotate instruction).
    Avx512,
}

impl LanePath {
    /// The fastest path this CPU supports, unless `MGTRIAL_RNG_PATH=portable` asks for the
    /// portable one (output is the same either way; the variable exists to show it).
    pub fn detected() -> LanePath {
        static PATH: OnceLock<LanePath> = OnceLock::new();
        *PATH.get_or_init(|| {
            if std::env::var_os("MGTRIAL_RNG_PATH").is_some_and(|v| v == "portable") {
                return LanePath::Portable;
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl") {
                return LanePath::Avx512;
            }
            LanePath::Portable
        })
    }
}

/// One Xoshiro256++ step of every lane, `BUFFER / LANES` times, into `out` (step-major).
#[inline(always)]
fn step_lanes(s: &mut LaneStates, out: &mut [u64; BUFFER]) {
    for k in 0..BUFFER / LANES {
        for l in 0..LANES {
            out[k * LANES + l] = s[0][l].wrapping_add(s[3][l]).rotate_left(23).wrapping_add(s[0][l]);
            let t = s[1][l] << 17;
            s[2][l] ^= s[0][l];
            s[3][l] ^= s[1][l];
            s[1][l] ^= s[2][l];
            s[0][l] ^= s[3][l];
            s[2][l] ^= t;
            s[3][l] = s[3][l].rotate_left(45);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl")]
fn step_lanes_avx512(s: &mut LaneStates, out: &mut [u64; BUFFER]) {
    step_lanes(s, out)
}

/// The random stream of one arm or trial: [`LANES`] Xoshiro256++ lanes and a buffer of their
/// words, drawn one word at a time (see the module's seed contract).
#[derive(Debug, Clone)]
pub struct TrialRng {
    words: [u64; BUFFER],
    next: usize,
    lanes: LaneStates,
    path: LanePath,
}

impl TrialRng {
    /// Steps every lane into the buffer.
    #[cold]
    #[inline(never)]
    fn refill(&mut self) {
        match self.path {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `LanePath::Avx512` is only chosen after run-time detection of AVX-512 F
            // and VL (LanePath::detected), or by a test that checks for them first.
            LanePath::Avx512 => unsafe { step_lanes_avx512(&mut self.lanes, &mut self.words) },
            _ => step_lanes(&mut self.lanes, &mut self.words),
        }
        self.next = 0;
    }
}

impl TryRng for TrialRng {
    type Error = Infallible;

    #[inline(always)]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        if self.next == BUFFER {
            self.refill();
        }
        // The mask (a no-op: `next < BUFFER` here) spares a bounds check per word.
        let word = self.words[self.next & (BUFFER - 1)];
        self.next += 1;
        Ok(word)
    }

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.next_u64() >> 32) as u32)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

/// The generator of stream `stream` of replicate `rep` under master seed `seed`.
pub fn stream_rng(seed: u64, rep: u64, stream: u64) -> TrialRng {
    stream_rng_on(LanePath::detected(), seed, rep, stream)
}

/// [`stream_rng`] stepped by `path`; panics if this CPU lacks it (for tests and benchmarks).
pub fn stream_rng_on(path: LanePath, seed: u64, rep: u64, stream: u64) -> TrialRng {
    #[cfg(target_arch = "x86_64")]
    assert!(
        path == LanePath::Portable
            || (std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl")),
        "this CPU lacks AVX-512"
    );
    #[cfg(not(target_arch = "x86_64"))]
    let path = LanePath::Portable;
    let mut state = mix(mix(mix(seed) ^ rep) ^ stream);
    let mut lanes = [[0u64; LANES]; 4];
    for lane in 0..LANES {
        for word in &mut lanes {
            state = state.wrapping_add(GOLDEN_GAMMA);
            word[lane] = mix(state);
        }
    }
    TrialRng { words: [0; BUFFER], next: BUFFER, lanes, path }
}

/// Draws of a continuous distribution by its quantile function, tabulated at `K + 1` equally
/// spaced probabilities `i / K` and interpolated linearly, with the first and the last `E`
/// cells tabulated again at `K + 1` probabilities of their own (where a density often runs to
/// 0 or to infinity and a straight line fits the quantile function worst). One 64-bit word per
/// draw: its top [`QuantileTable::INDEX_BITS`] bits pick the cell, and the bits below them the
/// place within it (in an end region, the top 20 bits pick the sub-cell).
///
/// Error bound: the table and the exact quantile function agree at every node, and both are
/// non-decreasing, so a value in a cell has its exact and tabulated CDF both within the
/// cell's probabilities: the Kolmogorov distance between the drawn and the exact distribution
/// is at most `1 / K` (2.4e-4) in the inner cells and `E / K^2` (1e-6) in the end regions,
/// whatever the distribution. Where the density is smooth the error is far smaller;
/// [`QuantileTable::cdf_error`] measures it, and the tests assert it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileTable {
    /// `K + 1` quantiles at `0, 1/K, ..., 1` (the ends the support's limits).
    nodes: Vec<f64>,
    /// `K + 1` quantiles at `0, E/K^2, ..., E/K`: the first `E` cells again.
    low: Vec<f64>,
    /// `K + 1` quantiles at `1 - E/K, ..., 1`: the last `E` cells again.
    high: Vec<f64>,
}

impl QuantileTable {
    /// Bits of a draw that pick the cell: `K = 2^12 = 4096` cells, 32 kB of inner nodes, which
    /// stay in the first-level cache beside the trial's other data.
    pub const INDEX_BITS: u32 = 12;
    /// Cells of the table.
    pub const CELLS: usize = 1 << Self::INDEX_BITS;
    /// Memory of one table: three node arrays of `K + 1` doubles.
    pub const BYTES: u64 = 3 * (Self::CELLS as u64 + 1) * 8;
    /// `E = 2^4 = 16`: the cells at each end tabulated again.
    const END_BITS: u32 = 4;
    const END_CELLS: usize = 1 << Self::END_BITS;
    /// Bits of a draw below those that pick an end region's sub-cell.
    const SUB_SHIFT: u32 = 64 - (2 * Self::INDEX_BITS - Self::END_BITS);

    /// The table of the distribution whose quantile function is `quantile` (non-decreasing,
    /// finite on `[0, 1]`), evaluated at the nodes.
    pub fn new(mut quantile: impl FnMut(f64) -> f64) -> QuantileTable {
        let k = Self::CELLS as f64;
        let mut at = |from: f64, step: f64| -> Vec<f64> {
            (0..=Self::CELLS).map(|i| quantile((from + i as f64 * step).clamp(0.0, 1.0))).collect()
        };
        let (end, sub) = (Self::END_CELLS as f64 / k, Self::END_CELLS as f64 / (k * k));
        let table = QuantileTable { nodes: at(0.0, 1.0 / k), low: at(0.0, sub), high: at(1.0 - end, sub) };
        debug_assert!(
            [&table.nodes, &table.low, &table.high].iter().all(|v| v.windows(2).all(|w| w[0] <= w[1])),
            "a quantile function does not decrease"
        );
        table
    }

    /// This table with `f` (non-decreasing) applied to every node: the table of `f(X)`.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> QuantileTable {
        let map = |v: &[f64]| v.iter().map(|&x| f(x)).collect();
        QuantileTable { nodes: map(&self.nodes), low: map(&self.low), high: map(&self.high) }
    }

    /// One draw: a cell from the top bits of one random word, and the place within it from
    /// the bits below them.
    #[inline(always)]
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        self.at_bits(rng.next_u64())
    }

    /// The draw that the random word `bits` gives ([`QuantileTable::sample`]): tables mapped
    /// from one another ([`QuantileTable::map`]) give the same quantile for the same word.
    #[inline(always)]
    pub fn at_bits(&self, bits: u64) -> f64 {
        let cell = (bits >> (64 - Self::INDEX_BITS)) as usize;
        if !(Self::END_CELLS..Self::CELLS - Self::END_CELLS).contains(&cell) {
            return self.sample_end(cell, bits);
        }
        // 52 bits as a float in [1, 2), less 1: in [0, 1).
        let within = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52)) - 1.0;
        let (lo, hi) = (self.nodes[cell], self.nodes[cell + 1]);
        lo + within * (hi - lo)
    }

    /// A draw in an end region, from the sub-cell its top 20 bits pick.
    #[cold]
    #[inline(never)]
    fn sample_end(&self, cell: usize, bits: u64) -> f64 {
        let (nodes, first) = if cell < Self::END_CELLS {
            (&self.low, 0)
        } else {
            (&self.high, Self::CELLS * (Self::CELLS / Self::END_CELLS - 1))
        };
        let sub = (bits >> Self::SUB_SHIFT) as usize - first;
        // The 44 bits left, as a float in [0, 1).
        let within = (bits & ((1u64 << Self::SUB_SHIFT) - 1)) as f64 / (1u64 << Self::SUB_SHIFT) as f64;
        let (lo, hi) = (nodes[sub], nodes[sub + 1]);
        lo + within * (hi - lo)
    }

    /// The largest distance between the drawn distribution's CDF and `cdf`, the exact one,
    /// checked at `per_cell` evenly spaced points within every cell and end sub-cell: the
    /// table's actual error, below its bound.
    pub fn cdf_error(&self, cdf: impl Fn(f64) -> f64, per_cell: usize) -> f64 {
        let k = Self::CELLS as f64;
        let mut worst: f64 = 0.0;
        let mut check = |nodes: &[f64], from: f64, step: f64, skip_ends: bool| {
            for (i, w) in nodes.windows(2).enumerate() {
                if w[1] <= w[0] || (skip_ends && !(Self::END_CELLS..Self::CELLS - Self::END_CELLS).contains(&i)) {
                    continue; // an atom of the exact distribution, or a cell tabulated again
                }
                for j in 0..=per_cell {
                    let within = j as f64 / per_cell as f64;
                    let x = w[0] + within * (w[1] - w[0]);
                    worst = worst.max((cdf(x) - (from + (i as f64 + within) * step)).abs());
                }
            }
        };
        check(&self.nodes, 0.0, 1.0 / k, true);
        let (end, sub) = (Self::END_CELLS as f64 / k, Self::END_CELLS as f64 / (k * k));
        check(&self.low, 0.0, sub, false);
        check(&self.high, 1.0 - end, sub, false);
        worst
    }
}

/// Draws of Binomial(`n`, `p`) by inversion of its tabulated CDF: one uniform and a binary
/// search, exact up to the rounding of the table (each term `C(n, k) p^k (1 - p)^(n - k)` from
/// log-gamma, relative error about 1e-13, far below Monte Carlo error). Above
/// [`BinomialTable::MAX_TABULATED`] trials, rand_distr's BTPE sampler (Kachitvichyanukul &
/// Schmeiser 1988) draws instead, so that the table stays small.
#[derive(Debug, Clone, PartialEq)]
pub struct BinomialTable {
    /// `P(X <= k)` for `k = 0..n`, the last exactly 1 (empty above the limit).
    cdf: Vec<f64>,
    large: Option<rand_distr::Binomial>,
}

impl BinomialTable {
    /// The largest `n` tabulated (80 kB).
    pub const MAX_TABULATED: u32 = 10_000;

    /// `p` in [0, 1].
    pub fn new(n: u32, p: f64) -> BinomialTable {
        if n > Self::MAX_TABULATED {
            let large = rand_distr::Binomial::new(u64::from(n), p).expect("p in [0, 1]");
            return BinomialTable { cdf: Vec::new(), large: Some(large) };
        }
        use statrs::function::gamma::ln_gamma;
        let nf = f64::from(n);
        let (ln_p, ln_q) = (p.ln(), (-p).ln_1p());
        let ln_n_fact = ln_gamma(nf + 1.0);
        let mut total = 0.0;
        let mut cdf: Vec<f64> = (0..=n)
            .map(|k| {
                let k = f64::from(k);
                let ln_term = |lp: f64, count: f64| if count == 0.0 { 0.0 } else { count * lp };
                let ln_pmf =
                    ln_n_fact - ln_gamma(k + 1.0) - ln_gamma(nf - k + 1.0) + ln_term(ln_p, k) + ln_term(ln_q, nf - k);
                total += ln_pmf.exp();
                total
            })
            .collect();
        for c in &mut cdf {
            *c /= total;
        }
        cdf[n as usize] = 1.0;
        BinomialTable { cdf, large: None }
    }

    #[inline(always)]
    pub fn sample<R: Rng>(&self, rng: &mut R) -> u32 {
        if let Some(large) = &self.large {
            return large.sample(rng) as u32;
        }
        let u = uniform(rng);
        // The smallest k with P(X <= k) > u.
        self.cdf.partition_point(|&c| c <= u) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use rand_distr::StandardNormal;

    /// 2e7 draws of `ours` and of rand_distr's `theirs` from copies of one stream: the same
    /// values bit for bit, and the generators left in the same state.
    fn assert_same_draws(stream: u64, ours: fn(&mut TrialRng) -> f64, theirs: impl Distribution<f64>) {
        let (mut a, mut b) = (stream_rng(3, 1, stream), stream_rng(3, 1, stream));
        for k in 0..20_000_000 {
            let (x, y) = (ours(&mut a), theirs.sample(&mut b));
            assert_eq!(x.to_bits(), y.to_bits(), "draw {k}: {x} vs {y}");
        }
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn normal_draws_are_rand_distr_standard_normal() {
        assert_same_draws(4, standard_normal, StandardNormal);
    }

    /// The generated tables are ziggurats: the base layer at `r`, and every layer (`x[i]` wide,
    /// from `f[i]` to `f[i + 1]`) of the same area `v`, to rounding.
    #[test]
    fn generated_tables_are_ziggurats() {
        for (zig, r, v) in [(&NORMAL_ZIGGURAT, ZIGGURAT_R, 0.00492867323399)] {
            assert_eq!((zig.x[1], zig.x[256], zig.f[256]), (r, 0.0, 1.0));
            for i in 1..256 {
                let area = zig.x[i] * (zig.f[i + 1] - zig.f[i]);
                assert!((area / v - 1.0).abs() < 1e-6, "layer {i}: area {area} vs {v}");
            }
        }
    }

    /// Value stability: a change here changes every simulated number (a value-breaking change,
    /// which needs a new version of the seed contract).
    #[test]
    fn streams_are_pinned() {
        let mut r = stream_rng(1, 0, 0);
        let words: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(words, [16_066_851_110_143_436_097, 7_619_789_614_489_456_255, 17_514_284_438_984_787_548]);
        assert_eq!(words[0], stream_rng(1, 0, 0).next_u64());
        assert_ne!(words[0], stream_rng(1, 1, 0).next_u64());
        assert_ne!(words[0], stream_rng(1, 0, 1).next_u64());
        assert_ne!(words[0], stream_rng(2, 0, 0).next_u64());
    }

    /// Each lane is the reference Xoshiro256++ (rand_xoshiro) seeded with its four SplitMix64
    /// words, and the stream interleaves the lanes step by step: the seed contract, checked
    /// against an independent implementation over 40 refills.
    #[test]
    fn lanes_are_reference_xoshiro_interleaved() {
        use rand::SeedableRng;
        use rand_xoshiro::Xoshiro256PlusPlus;
        let (seed, rep, stream) = (7, 3, 1);
        let mut state = mix(mix(mix(seed) ^ rep) ^ stream);
        let mut lanes: Vec<Xoshiro256PlusPlus> = (0..LANES)
            .map(|_| {
                let mut bytes = [0u8; 32];
                for chunk in bytes.chunks_exact_mut(8) {
                    state = state.wrapping_add(GOLDEN_GAMMA);
                    chunk.copy_from_slice(&mix(state).to_le_bytes());
                }
                Xoshiro256PlusPlus::from_seed(bytes)
            })
            .collect();
        let mut ours = stream_rng(seed, rep, stream);
        for k in 0..40 * BUFFER {
            assert_eq!(ours.next_u64(), lanes[k % LANES].next_u64(), "word {k}");
        }
    }

    /// 1e6 draws of Binomial(n, p), tabulated and (n = 20,000) not: the frequencies against the
    /// exact probabilities by a chi-square test (cells with expected count 5 or more, the rest
    /// pooled), below the 0.1% critical value; and the extremes p = 0 and 1.
    #[test]
    fn binomial_table_draws_the_binomial() {
        use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, Discrete};
        let mut rng = stream_rng(9, 0, 0);
        for (n, p) in [(100u32, 0.15), (7, 0.6), (1000, 0.02), (20_000, 0.1)] {
            let table = BinomialTable::new(n, p);
            let draws = 1_000_000;
            let mut seen = vec![0u64; n as usize + 1];
            for _ in 0..draws {
                seen[table.sample(&mut rng) as usize] += 1;
            }
            let exact = Binomial::new(p, u64::from(n)).unwrap();
            let (mut chi2, mut cells, mut pooled_seen, mut pooled_expected) = (0.0, 0, 0.0, 0.0);
            for (k, &o) in seen.iter().enumerate() {
                let e = exact.pmf(k as u64) * draws as f64;
                if e >= 5.0 {
                    chi2 += (o as f64 - e).powi(2) / e;
                    cells += 1;
                } else {
                    pooled_seen += o as f64;
                    pooled_expected += e;
                }
            }
            if pooled_expected > 0.0 {
                chi2 += (pooled_seen - pooled_expected).powi(2) / pooled_expected;
                cells += 1;
            }
            let critical = ChiSquared::new(f64::from(cells - 1)).unwrap().inverse_cdf(0.999);
            assert!(chi2 < critical, "Binomial({n}, {p}): chi-square {chi2:.1} on {} df", cells - 1);
        }
        assert_eq!(BinomialTable::new(50, 0.0).sample(&mut rng), 0);
        assert_eq!(BinomialTable::new(50, 1.0).sample(&mut rng), 50);
    }

    /// The AVX-512 and the portable paths give the same words (run where the CPU has AVX-512;
    /// this machine does, and the test says so when it cannot run).
    #[test]
    fn simd_and_portable_paths_give_the_same_words() {
        if LanePath::detected() != LanePath::Avx512 {
            println!("this CPU has no AVX-512 (or MGTRIAL_RNG_PATH=portable): only the portable path ran");
            return;
        }
        for stream in 0..50 {
            let mut simd = stream_rng_on(LanePath::Avx512, 11, stream, 2);
            let mut portable = stream_rng_on(LanePath::Portable, 11, stream, 2);
            for k in 0..10_000 {
                assert_eq!(simd.next_u64(), portable.next_u64(), "stream {stream}, word {k}");
            }
        }
    }
}
