//! Random streams and the seed contract.
//!
//! Each stream is a Xoshiro256++ generator (Blackman & Vigna 2018, via `rand_xoshiro`) whose
//! 256-bit state is four consecutive SplitMix64 outputs (Steele, Lea & Flood 2014) started at
//! `key = mix(mix(mix(seed) ^ rep) ^ stream)`, where `mix` is the SplitMix64 finalizer. A
//! stream therefore depends only on `(seed, rep, stream)`, never on which thread runs it or
//! on what ran before, which makes output byte-identical for any thread count.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

pub type TrialRng = Xoshiro256PlusPlus;

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A standard normal draw (rand_distr's ziggurat), forced inline: as a call, each draw
/// cost about a fifth of the textbook loop.
#[inline(always)]
pub fn standard_normal<R: Rng>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// A uniform draw on [0, 1) (rand's 53-bit conversion), forced inline like [`standard_normal`].
#[inline(always)]
pub fn uniform<R: Rng>(rng: &mut R) -> f64 {
    rand::distr::StandardUniform.sample(rng)
}

/// A standard exponential draw (rand_distr's ziggurat), forced inline like [`standard_normal`].
#[inline(always)]
pub fn standard_exponential<R: Rng>(rng: &mut R) -> f64 {
    Exp1.sample(rng)
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
