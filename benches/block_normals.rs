//! The trials' generator on each of its paths, and how far a block (SIMD) normal sampler on it
//! would go.
//!
//! `cargo bench --bench block_normals` prints ns per draw, in one run, for each path of the
//! trials' generator (`mgtrial::rng`: 8 Xoshiro256++ lanes, portable code and, where the CPU has
//! it, AVX-512):
//! - `next_u64`, and the ziggurat normal drawn one at a time (what the trials use);
//! - the ziggurat's fast path applied to a whole buffer of 64 words at once (vectorized with
//!   gathers where the compiler can), the rare rejections redrawn by the scalar sampler, and the
//!   normals popped one at a time: the design a block normal sampler would have;
//! - both at 20 and 100 draws per stream, the cost of a new stream per arm included.
//!
//! Each figure is the median of 5 timed runs of 2e7 draws summed (so none is optimized away).
//! The block sampler is a measurement, not a product path: the trials draw normals one at a
//! time (README, Speed).

use mgtrial::rng::{LanePath, TrialRng, normal_layer_edges, standard_normal, stream_rng_on};
use rand::Rng;
use std::hint::black_box;
use std::time::Instant;

const WORDS: usize = 64;

/// The ziggurat's fast path on a buffer: candidates, and a flag where the fast path rejects.
#[inline(always)]
fn fast_path(edges: &[f64; 257], bits: &[u64; WORDS], out: &mut [f64; WORDS], rejected: &mut [u8; WORDS]) {
    for j in 0..WORDS {
        let i = (bits[j] & 0xff) as usize;
        let x = (f64::from_bits((bits[j] >> 12) | (1024u64 << 52)) - 3.0) * edges[i];
        out[j] = x;
        rejected[j] = u8::from(x.abs() >= edges[i + 1]);
    }
}

/// Normals made a buffer at a time from the trials' generator: the fast path over 64 words,
/// rejections redrawn.
struct BlockNormals {
    rng: TrialRng,
    normals: [f64; WORDS],
    next: usize,
}

impl BlockNormals {
    fn new(path: LanePath, key: u64) -> BlockNormals {
        BlockNormals { rng: stream_rng_on(path, 1, key, 0), normals: [0.0; WORDS], next: WORDS }
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self) {
        let (mut bits, mut rejected) = ([0u64; WORDS], [0u8; WORDS]);
        for word in &mut bits {
            *word = self.rng.next_u64();
        }
        fast_path(normal_layer_edges(), &bits, &mut self.normals, &mut rejected);
        for (normal, rejected) in self.normals.iter_mut().zip(rejected) {
            if rejected != 0 {
                *normal = standard_normal(&mut self.rng);
            }
        }
        self.next = 0;
    }

    #[inline(always)]
    fn normal(&mut self) -> f64 {
        if self.next == WORDS {
            self.refill();
        }
        self.next += 1;
        self.normals[self.next - 1]
    }
}

const DRAWS: u64 = 20_000_000;

/// Median ns per draw of 5 runs of `f` (which makes `DRAWS` draws) after a warm-up.
fn ns_per_draw(mut f: impl FnMut() -> f64) -> f64 {
    black_box(f());
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64() / DRAWS as f64 * 1e9
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[2]
}

fn main() {
    let mut paths = vec![LanePath::Portable];
    if LanePath::detected() == LanePath::Avx512 {
        paths.push(LanePath::Avx512);
    }
    for path in paths {
        let words = ns_per_draw(|| {
            let mut rng = stream_rng_on(path, 1, 0, 0);
            (0..DRAWS).fold(0u64, |s, _| s.wrapping_add(rng.next_u64())) as f64
        });
        let scalar = ns_per_draw(|| {
            let mut rng = stream_rng_on(path, 1, 0, 0);
            (0..DRAWS).map(|_| standard_normal(&mut rng)).sum()
        });
        let block = ns_per_draw(|| {
            let mut g = BlockNormals::new(path, 0);
            (0..DRAWS).map(|_| g.normal()).sum()
        });
        print!("{path:?}: {words:.2} ns per u64; one at a time {scalar:.2}, block {block:.2} ns per normal");
        for per_stream in [20u64, 100] {
            let one = ns_per_draw(|| {
                (0..DRAWS / per_stream)
                    .map(|k| {
                        let mut rng = stream_rng_on(path, 1, k, 0);
                        (0..per_stream).map(|_| standard_normal(&mut rng)).sum::<f64>()
                    })
                    .sum()
            });
            let block = ns_per_draw(|| {
                (0..DRAWS / per_stream)
                    .map(|k| {
                        let mut g = BlockNormals::new(path, k);
                        (0..per_stream).map(|_| g.normal()).sum::<f64>()
                    })
                    .sum()
            });
            print!("; new stream every {per_stream}: one at a time {one:.2}, block {block:.2}");
        }
        println!();
    }
}
