//! One parity of an upsample-and-convolve stage for narrow outputs (8 or 16 channels), computed
//! directly from a planar copy of the padded low-resolution input: for each output row, a block of
//! `L` neighbouring pixels (a vector register: 16 with AVX-512, 8 otherwise) times the weights of
//! 8 output channels, accumulated in 8 registers over the `4·cin` taps (each tap one load of
//! pixels and 8 broadcast weights), with the CPU's fused multiply-add when it has one (detected at
//! run time). A general matrix product handles such narrow outputs poorly: its smallest register
//! block is 16 outputs wide and it packs its operands for every call.

/// What one call computes: the parity `(py, px)` of a stage whose input is `low × low` pixels of
/// `cin` channels inside a zero border one pixel wide (`planar`, channel by channel, each
/// `(low + 2)²` values row by row: [`planar_padded`]), with `weights` rows `(a, b, channel)`
/// (`4·cin` rows of `cout` values), added into `out` (`(2·low)² · cout` values, NHWC) at the
/// output pixels of that parity.
#[derive(Debug, Clone, Copy)]
pub struct ParityJob<'a> {
    /// The padded input, planar.
    pub planar: &'a [f32],
    /// The parity's 2x2 weights.
    pub weights: &'a [f32],
    /// Side of the low-resolution input.
    pub low: usize,
    /// Input channels.
    pub cin: usize,
    /// Output row parity (0 or 1).
    pub py: usize,
    /// Output column parity (0 or 1).
    pub px: usize,
}

/// Output channels computed together (one register each).
const BLOCK: usize = 8;

/// Whether [`accumulate`] handles `cout` output channels from `low × low` inputs.
pub fn handles(cout: usize, low: usize) -> bool {
    matches!(cout, 8 | 16) && low.is_multiple_of(16) && low > 0
}

/// `x` (`low² × cin`, NHWC, plus `add` per channel when given) as planes inside a border of
/// zeros one pixel wide, the input of [`accumulate`].
pub fn planar_padded(x: &[f32], low: usize, cin: usize, add: Option<&[f32]>) -> Vec<f32> {
    let wp = low + 2;
    let mut planar = vec![0f32; wp * wp * cin];
    for (p, px) in x.chunks_exact(cin.max(1)).enumerate() {
        let at = (p / low.max(1) + 1) * wp + p % low.max(1) + 1;
        for (c, &v) in px.iter().enumerate() {
            if let Some(d) = planar.get_mut(c * wp * wp + at) {
                *d = v + add.and_then(|a| a.get(c)).copied().unwrap_or(0.0);
            }
        }
    }
    planar
}

/// Adds the parity's products into `out`; returns false (and does nothing) for an output width
/// it does not handle ([`handles`]) or buffers of the wrong sizes.
pub fn accumulate(job: ParityJob<'_>, out: &mut [f32], cout: usize) -> bool {
    let (low, cin) = (job.low, job.cin);
    let wp = low + 2;
    if !handles(cout, low)
        || job.py > 1
        || job.px > 1
        || job.planar.len() != wp * wp * cin
        || job.weights.len() != 4 * cin * cout
        || out.len() != 4 * low * low * cout
    {
        return false;
    }
    dispatch(job, out, cout);
    true
}

/// Runs the kernel for the widest vectors this CPU has: 16 pixels a register with AVX-512, 8
/// with AVX2 (each with fused multiply-adds), else 8 in plain code.
fn dispatch(job: ParityJob<'_>, out: &mut [f32], cout: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature the function is compiled for (checked above).
            kernel::<16>(job, out, cout, |x, w, acc| unsafe { simd::block_avx512(x, w, acc) });
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            kernel::<8>(job, out, cout, |x, w, acc| unsafe { simd::block_avx2(x, w, acc) });
            return;
        }
    }
    kernel::<8>(job, out, cout, block_plain::<8>);
}

/// One block in plain code: `acc[o][l] += Σ_t x_t[l] · w_t[o]` over the taps.
fn block_plain<const L: usize>(x: &[&[f32; L]], w: &[&[f32; BLOCK]], acc: &mut [[f32; L]; BLOCK]) {
    for (x, w) in x.iter().zip(w) {
        for (a, &w) in acc.iter_mut().zip(w.iter()) {
            for (a, &x) in a.iter_mut().zip(x.iter()) {
                *a += x * w;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use super::BLOCK;
    use std::arch::x86_64::*;

    /// [`super::block_plain`] for `$lanes` pixels in registers of one width, the 8 sums kept in
    /// registers: the same code for each instruction set, with its own vector type and intrinsics.
    macro_rules! block {
        ($name:ident, $feature:literal, $lanes:literal, $zero:ident, $load:ident, $fma:ident, $set1:ident, $store:ident) => {
            #[doc = concat!("[`super::block_plain`] for ", stringify!($lanes), " pixels with ", $feature, ".")]
            #[target_feature(enable = $feature)]
            pub(super) fn $name(x: &[&[f32; $lanes]], w: &[&[f32; BLOCK]], acc: &mut [[f32; $lanes]; BLOCK]) {
                let mut sum = [$zero(); BLOCK];
                for (x, w) in x.iter().zip(w) {
                    // SAFETY: `x` is `$lanes` floats.
                    let xv = unsafe { $load(x.as_ptr()) };
                    for (s, &w) in sum.iter_mut().zip(w.iter()) {
                        *s = $fma(xv, $set1(w), *s);
                    }
                }
                for (a, s) in acc.iter_mut().zip(sum) {
                    // SAFETY: `a` is `$lanes` floats.
                    unsafe { $store(a.as_mut_ptr(), s) };
                }
            }
        };
    }

    block!(block_avx512, "avx512f", 16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_storeu_ps);
    block!(block_avx2, "avx2,fma", 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_storeu_ps);
}

/// The kernel for `L` pixels a register, each block of `L` pixels × [`BLOCK`] output channels
/// summed by `block` over the taps it is given.
fn kernel<const L: usize>(job: ParityJob<'_>, out: &mut [f32], cout: usize, block: impl Fn(&[&[f32; L]], &[&[f32; BLOCK]], &mut [[f32; L]; BLOCK])) {
    let ParityJob { planar, weights, low, cin, py, px } = job;
    let (wp, r) = (low + 2, 2 * low);
    // Where tap t = (a, b, channel) reads, from the block's first pixel.
    let offsets: Vec<usize> = (0..4 * cin).map(|t| (t % cin) * wp * wp + (t / (2 * cin)) * wp + t / cin % 2).collect();
    // Each block of output channels' weights, tap by tap.
    let blocks: Vec<Vec<&[f32; BLOCK]>> = (0..cout / BLOCK)
        .map(|ob| weights.chunks_exact(cout).filter_map(|w| w.get(ob * BLOCK..(ob + 1) * BLOCK).and_then(|w| <&[f32; BLOCK]>::try_from(w).ok())).collect())
        .collect();
    let mut x: Vec<&[f32; L]> = Vec::with_capacity(offsets.len());
    for i in 0..low {
        for jb in (0..low).step_by(L) {
            let base = (i + py) * wp + jb + px;
            x.clear();
            x.extend(offsets.iter().filter_map(|&off| planar.get(base + off..base + off + L).and_then(|v| <&[f32; L]>::try_from(v).ok())));
            if x.len() != offsets.len() {
                continue;
            }
            for (ob, w) in blocks.iter().enumerate() {
                let mut acc = [[0f32; L]; BLOCK];
                block(&x, w, &mut acc);
                for l in 0..L {
                    let at = ((2 * i + py) * r + 2 * (jb + l) + px) * cout + ob * BLOCK;
                    if let Some(d) = out.get_mut(at..at + BLOCK) {
                        for (d, a) in d.iter_mut().zip(&acc) {
                            *d += a.get(l).copied().unwrap_or(0.0);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel against the plain sum, for both widths and every parity; bad sizes refused.
    #[test]
    fn matches_the_plain_sum() {
        let (low, cin) = (16, 3);
        let wp = low + 2;
        let val = |i: usize| ((i * 37 % 101) as f32 - 50.0) / 50.0;
        let mut padded = vec![0f32; wp * wp * cin];
        for y in 1..=low {
            for x in 1..=low {
                for c in 0..cin {
                    padded[(y * wp + x) * cin + c] = val(y * 31 + x * 7 + c);
                }
            }
        }
        for cout in [8, 16] {
            let weights: Vec<f32> = (0..4 * cin * cout).map(|i| val(i + 3)).collect();
            for (py, px) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let mut out = vec![1f32; 4 * low * low * cout];
                let x: Vec<f32> = (0..low * low * cin).map(|k| padded[((k / cin / low + 1) * wp + k / cin % low + 1) * cin + k % cin]).collect();
                let planar = planar_padded(&x, low, cin, None);
                assert!(accumulate(ParityJob { planar: &planar, weights: &weights, low, cin, py, px }, &mut out, cout));
                for i in 0..2 * low {
                    for j in 0..2 * low {
                        for o in 0..cout {
                            let got = out[(i * 2 * low + j) * cout + o];
                            let want = if i % 2 == py && j % 2 == px {
                                let (li, lj) = (i / 2, j / 2);
                                let mut s = 1.0;
                                for a in 0..2 {
                                    for b in 0..2 {
                                        for c in 0..cin {
                                            s += padded[((li + py + a) * wp + lj + px + b) * cin + c] * weights[((a * 2 + b) * cin + c) * cout + o];
                                        }
                                    }
                                }
                                s
                            } else {
                                1.0
                            };
                            assert!((got - want).abs() < 1e-5, "cout {cout} parity ({py}, {px}) pixel ({i}, {j}) channel {o}: {got} vs {want}");
                        }
                    }
                }
            }
            let mut short = vec![0f32; 10];
            let planar = vec![0f32; wp * wp * cin];
            assert!(!accumulate(ParityJob { planar: &planar, weights: &weights, low, cin, py: 0, px: 0 }, &mut short, cout));
        }
        let mut out = vec![0f32; 4 * low * low * 12];
        let weights = vec![0f32; 4 * cin * 12];
        let planar = vec![0f32; wp * wp * cin];
        assert!(!handles(12, 16) && !handles(8, 8) && !accumulate(ParityJob { planar: &planar, weights: &weights, low, cin, py: 0, px: 0 }, &mut out, 12));
    }
}
