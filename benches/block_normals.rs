//! How far a block (SIMD) normal generator would go, against the trials' scalar one.
//!
//! `cargo bench --bench block_normals` prints ns per draw, in one run, for:
//! - the scalar floor: Xoshiro256++ `next_u64`, and the ziggurat normal on it (what the trials use);
//! - 8 Xoshiro256++ lanes stepped together into a 64-word buffer, compiled three ways (baseline
//!   x86-64, AVX2, AVX-512, chosen at run time), drawn one word at a time;
//! - the ziggurat's fast path applied to a whole buffer of those words at once (vectorized with
//!   gathers under AVX2/AVX-512), the rare rejections redrawn by the scalar sampler, and the
//!   normals popped one at a time: the design a SIMD generator would have;
//! - both at 20 and 100 draws per stream, the cost of a new stream per arm included.
//!
//! Each figure is the median of 5 timed runs of 2e7 draws summed (so none is optimized away).
//! It is a measurement, not a product path: the trials keep the scalar generator (README, Speed).

use mgtrial::rng::{normal_layer_edges, standard_normal, stream_rng};
use rand::{Rng, TryRng};
use std::convert::Infallible;
use std::hint::black_box;
use std::time::Instant;

const LANES: usize = 8;
const WORDS: usize = 64;

type Lanes = [[u64; LANES]; 4];

/// One Xoshiro256++ step of every lane, `WORDS / LANES` times: lane-major output.
#[inline(always)]
fn step_lanes(s: &mut Lanes, out: &mut [u64; WORDS]) {
    for k in 0..WORDS / LANES {
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

#[derive(Clone, Copy, Debug)]
enum Isa {
    Baseline,
    Avx2,
    Avx512,
}

fn step_baseline(s: &mut Lanes, out: &mut [u64; WORDS]) {
    step_lanes(s, out)
}
#[target_feature(enable = "avx2")]
fn step_avx2(s: &mut Lanes, out: &mut [u64; WORDS]) {
    step_lanes(s, out)
}
#[target_feature(enable = "avx512f,avx512vl")]
fn step_avx512(s: &mut Lanes, out: &mut [u64; WORDS]) {
    step_lanes(s, out)
}
fn fast_baseline(e: &[f64; 257], b: &[u64; WORDS], o: &mut [f64; WORDS], r: &mut [u8; WORDS]) {
    fast_path(e, b, o, r)
}
#[target_feature(enable = "avx2")]
fn fast_avx2(e: &[f64; 257], b: &[u64; WORDS], o: &mut [f64; WORDS], r: &mut [u8; WORDS]) {
    fast_path(e, b, o, r)
}
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw")]
fn fast_avx512(e: &[f64; 257], b: &[u64; WORDS], o: &mut [f64; WORDS], r: &mut [u8; WORDS]) {
    fast_path(e, b, o, r)
}

/// 8-lane Xoshiro256++ drawn one word at a time from a 64-word buffer.
struct BlockRng {
    lanes: Lanes,
    words: [u64; WORDS],
    next: usize,
    isa: Isa,
}

impl BlockRng {
    fn new(key: u64, isa: Isa) -> BlockRng {
        // SplitMix64 from the key, as the trials' streams.
        let mut z = key;
        let mut lanes = [[0u64; LANES]; 4];
        for lane in 0..LANES {
            for word in &mut lanes {
                z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut x = z;
                x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                word[lane] = x ^ (x >> 31);
            }
        }
        BlockRng { lanes, words: [0; WORDS], next: WORDS, isa }
    }

    fn fill(&mut self, out: &mut [u64; WORDS]) {
        match self.isa {
            Isa::Baseline => step_baseline(&mut self.lanes, out),
            // SAFETY: `Isa::Avx2` and `Isa::Avx512` are only made after run-time detection.
            Isa::Avx2 => unsafe { step_avx2(&mut self.lanes, out) },
            // SAFETY: as above.
            Isa::Avx512 => unsafe { step_avx512(&mut self.lanes, out) },
        }
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self) {
        let mut words = [0; WORDS];
        self.fill(&mut words);
        self.words = words;
        self.next = 0;
    }
}

impl TryRng for BlockRng {
    type Error = Infallible;
    #[inline(always)]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        if self.next == WORDS {
            self.refill();
        }
        self.next += 1;
        Ok(self.words[self.next - 1])
    }
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.next_u64() >> 32) as u32)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// Normals made a buffer at a time: the fast path over 64 words, rejections redrawn.
struct BlockNormals {
    rng: BlockRng,
    normals: [f64; WORDS],
    next: usize,
}

impl BlockNormals {
    fn new(key: u64, isa: Isa) -> BlockNormals {
        BlockNormals { rng: BlockRng::new(key, isa), normals: [0.0; WORDS], next: WORDS }
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self) {
        let (mut bits, mut rejected) = ([0u64; WORDS], [0u8; WORDS]);
        self.rng.fill(&mut bits);
        let edges = normal_layer_edges();
        match self.rng.isa {
            Isa::Baseline => fast_baseline(edges, &bits, &mut self.normals, &mut rejected),
            // SAFETY: made only after run-time detection.
            Isa::Avx2 => unsafe { fast_avx2(edges, &bits, &mut self.normals, &mut rejected) },
            // SAFETY: as above.
            Isa::Avx512 => unsafe { fast_avx512(edges, &bits, &mut self.normals, &mut rejected) },
        }
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
    let mut isas = vec![Isa::Baseline];
    if std::arch::is_x86_feature_detected!("avx2") {
        isas.push(Isa::Avx2);
    }
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512bw")
    {
        isas.push(Isa::Avx512);
    }
    let scalar_u64 = ns_per_draw(|| {
        let mut rng = stream_rng(1, 0, 0);
        (0..DRAWS).fold(0u64, |s, _| s.wrapping_add(rng.next_u64())) as f64
    });
    let scalar_normal = ns_per_draw(|| {
        let mut rng = stream_rng(1, 0, 0);
        (0..DRAWS).map(|_| standard_normal(&mut rng)).sum()
    });
    println!("scalar (the trials'): {scalar_u64:.2} ns per u64, {scalar_normal:.2} ns per normal");
    for per_stream in [20u64, 100] {
        let t = ns_per_draw(|| {
            (0..DRAWS / per_stream)
                .map(|k| {
                    let mut rng = stream_rng(1, k, 0);
                    (0..per_stream).map(|_| standard_normal(&mut rng)).sum::<f64>()
                })
                .sum()
        });
        println!("scalar, new stream every {per_stream} normals: {t:.2} ns per normal");
    }
    for isa in isas {
        let block_u64 = ns_per_draw(|| {
            let mut rng = BlockRng::new(1, isa);
            (0..DRAWS).fold(0u64, |s, _| s.wrapping_add(rng.next_u64())) as f64
        });
        let scalar_zig = ns_per_draw(|| {
            let mut rng = BlockRng::new(1, isa);
            (0..DRAWS).map(|_| standard_normal(&mut rng)).sum()
        });
        let block = ns_per_draw(|| {
            let mut g = BlockNormals::new(1, isa);
            (0..DRAWS).map(|_| g.normal()).sum()
        });
        print!(
            "8 lanes, {isa:?}: {block_u64:.2} ns per u64; scalar ziggurat on them {scalar_zig:.2}, block ziggurat {block:.2} \
             ns per normal"
        );
        for per_stream in [20u64, 100] {
            let t = ns_per_draw(|| {
                (0..DRAWS / per_stream)
                    .map(|k| {
                        let mut rng = BlockRng::new(k, isa);
                        (0..per_stream).map(|_| standard_normal(&mut rng)).sum::<f64>()
                    })
                    .sum()
            });
            print!("; scalar ziggurat, new stream every {per_stream}: {t:.2}");
        }
        for per_stream in [20u64, 100] {
            let t = ns_per_draw(|| {
                (0..DRAWS / per_stream)
                    .map(|k| {
                        let mut g = BlockNormals::new(k, isa);
                        (0..per_stream).map(|_| g.normal()).sum::<f64>()
                    })
                    .sum()
            });
            print!("; block ziggurat, new stream every {per_stream}: {t:.2}");
        }
        println!();
    }
}
