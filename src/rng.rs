//! Random streams and the seed contract.
//!
//! Each stream is a Xoshiro256++ generator (Blackman & Vigna 2018, via `rand_xoshiro`) whose
//! 256-bit state is four consecutive SplitMix64 outputs (Steele, Lea & Flood 2014) started at
//! `key = mix(mix(mix(seed) ^ rep) ^ stream)`, where `mix` is the SplitMix64 finalizer. A
//! stream therefore depends only on `(seed, rep, stream)`, never on which thread runs it or
//! on what ran before, which makes output byte-identical for any thread count.

use rand::{Rng, SeedableRng};
use rand_distr::Distribution;
use rand_xoshiro::Xoshiro256PlusPlus;

pub(crate) type TrialRng = Xoshiro256PlusPlus;

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
fn open01<R: Rng>(rng: &mut R) -> f64 {
    f64::from_bits((rng.next_u64() >> 12) | (1023u64 << 52)) - (1.0 - f64::EPSILON / 2.0)
}

/// A uniform draw on [0, 1) (rand's 53-bit conversion), forced inline like [`standard_normal`].
#[inline(always)]
pub(crate) fn uniform<R: Rng>(rng: &mut R) -> f64 {
    rand::distr::StandardUniform.sample(rng)
}

/// A standard exponential draw, forced inline like [`standard_normal`]: the 256-layer
/// exponential ziggurat (Marsaglia & Tsang 2000), drawing exactly what rand_distr's `Exp1`
/// draws (tested), with the wedge and tail out of line.
#[inline(always)]
pub(crate) fn standard_exponential<R: Rng>(rng: &mut R) -> f64 {
    let zig = &EXPONENTIAL_ZIGGURAT;
    let bits = rng.next_u64();
    let i = (bits & 0xff) as usize;
    // 52 bits as a float in [1, 2), less 1 - 2^-53: in (0, 1).
    let u = f64::from_bits((bits >> 12) | (1023u64 << 52)) - (1.0 - f64::EPSILON / 2.0);
    let x = u * zig.x[i];
    if x < zig.x[i + 1] {
        return x;
    }
    exponential_slow(rng, zig, i, x)
}

const EXPONENTIAL_R: f64 = 7.697_117_470_131_05;

// The layers, as literals computed by build.rs: `NORMAL_ZIGGURAT` (`f(x) = exp(-x^2 / 2)`,
// `r` above, `v = 0.00492867323399`) and `EXPONENTIAL_ZIGGURAT` (`f(x) = exp(-x)`,
// `r = 7.69711747013105`, `v = 0.0039496598225815572`).
include!(concat!(env!("OUT_DIR"), "/ziggurat_tables.rs"));

/// The exponential ziggurat's rejections: the tail beyond `r` by memorylessness, the wedges,
/// then a fresh draw.
#[cold]
#[inline(never)]
fn exponential_slow<R: Rng>(rng: &mut R, zig: &Ziggurat, mut i: usize, mut x: f64) -> f64 {
    loop {
        if i == 0 {
            return EXPONENTIAL_R - uniform(rng).ln();
        }
        if zig.f[i + 1] + (zig.f[i] - zig.f[i + 1]) * uniform(rng) < (-x).exp() {
            return x;
        }
        let bits = rng.next_u64();
        i = (bits & 0xff) as usize;
        x = (f64::from_bits((bits >> 12) | (1023u64 << 52)) - (1.0 - f64::EPSILON / 2.0)) * zig.x[i];
        if x < zig.x[i + 1] {
            return x;
        }
    }
}

/// The SplitMix64 output function (a bijective 64-bit mixer).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of stream `stream` of replicate `rep` under master seed `seed`.
pub fn stream_rng(seed: u64, rep: u64, stream: u64) -> TrialRng {
    let mut state = mix(mix(mix(seed) ^ rep) ^ stream);
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        state = state.wrapping_add(GOLDEN_GAMMA);
        chunk.copy_from_slice(&mix(state).to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use rand_distr::{Exp1, StandardNormal};

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

    #[test]
    fn exponential_draws_are_rand_distr_exp1() {
        assert_same_draws(5, standard_exponential, Exp1);
    }

    /// The generated tables are ziggurats: the base layer at `r`, and every layer (`x[i]` wide,
    /// from `f[i]` to `f[i + 1]`) of the same area `v`, to rounding.
    #[test]
    fn generated_tables_are_ziggurats() {
        for (zig, r, v) in [
            (&NORMAL_ZIGGURAT, ZIGGURAT_R, 0.00492867323399),
            (&EXPONENTIAL_ZIGGURAT, EXPONENTIAL_R, 0.003_949_659_822_581_557),
        ] {
            assert_eq!((zig.x[1], zig.x[256], zig.f[256]), (r, 0.0, 1.0));
            for i in 1..256 {
                let area = zig.x[i] * (zig.f[i + 1] - zig.f[i]);
                assert!((area / v - 1.0).abs() < 1e-6, "layer {i}: area {area} vs {v}");
            }
        }
    }

    /// Value stability: a change here changes every simulated number (a value-breaking change).
    #[test]
    fn streams_are_pinned() {
        let mut r = stream_rng(1, 0, 0);
        let first = r.next_u64();
        assert_eq!(first, 16_066_851_110_143_436_097);
        let mut again = stream_rng(1, 0, 0);
        assert_eq!(first, again.next_u64());
        assert_ne!(first, stream_rng(1, 1, 0).next_u64());
        assert_ne!(first, stream_rng(1, 0, 1).next_u64());
        assert_ne!(first, stream_rng(2, 0, 0).next_u64());
    }
}
