//! An upsample-and-convolve stage of the generator's CPU decoder, computed directly on planar
//! feature maps ([`Planes`]). A 2x nearest upsampling followed by a 3x3 convolution is, for each
//! output parity `(py, px)`, a 2x2 convolution of the low-resolution input ("sub-pixel" form).
//! For each low-resolution row and block of `L` neighbouring pixels (a vector register: 16 with
//! AVX-512, 8 with AVX2; detected at run time, plain code elsewhere), both column parities of 8
//! output channels are summed in registers over the `4·cin` taps (one load of pixels and 8
//! broadcast weights a tap, fused multiply-adds), then interleaved into the output row with the
//! stage's constant part added and the ReLU applied. The output is the next stage's input as it
//! is: a general matrix product handles such narrow outputs poorly (its smallest register block is
//! 16 outputs wide and it packs its operands for every call), and NHWC outputs would need a
//! transposing scatter and a planar copy per stage.

/// Output channels computed together (one register each).
pub const BLOCK: usize = 8;

/// The widest vector, in pixels; rows of [`Planes`] are padded to a multiple of it.
const MAX_LANES: usize = 16;

/// The layout of planar feature maps: `channels` planes, each a `side × side` picture inside a
/// zero border one pixel wide, rows [`Planes::stride`] values apart (the columns right of the
/// border are zeros too, so a block of pixels may read past the picture).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planes {
    /// Number of planes.
    pub channels: usize,
    /// Side of each picture, without its border.
    pub side: usize,
}

impl Planes {
    /// Values from one row to the next.
    pub fn stride(&self) -> usize {
        self.side.div_ceil(MAX_LANES) * MAX_LANES + 2
    }

    /// Values in one plane.
    pub fn plane(&self) -> usize {
        (self.side + 2) * self.stride()
    }

    /// Values in all planes.
    pub fn len(&self) -> usize {
        self.channels * self.plane()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where pixel `(y, x)` of plane `c` is.
    pub fn at(&self, c: usize, y: usize, x: usize) -> usize {
        c * self.plane() + (y + 1) * self.stride() + x + 1
    }

    /// An NHWC picture (`side² × channels`), plus `add` per channel when given, as planes.
    pub fn from_nhwc(&self, x: &[f32], add: Option<&[f32]>) -> Vec<f32> {
        let mut planes = vec![0f32; self.len()];
        let side = self.side.max(1);
        for (p, px) in x.chunks_exact(self.channels.max(1)).take(side * side).enumerate() {
            for (c, &v) in px.iter().enumerate() {
                if let Some(d) = planes.get_mut(self.at(c, p / side, p % side)) {
                    *d = v + add.and_then(|a| a.get(c)).copied().unwrap_or(0.0);
                }
            }
        }
        planes
    }

    /// The planes' pictures as NHWC (`side² × channels`).
    pub fn to_nhwc(&self, planes: &[f32]) -> Vec<f32> {
        let (side, ch) = (self.side, self.channels);
        (0..side * side * ch).map(|i| planes.get(self.at(i % ch.max(1), i / ch.max(1) / side, i / ch.max(1) % side)).copied().unwrap_or(0.0)).collect()
    }
}

/// One stage's weights arranged for the kernel: input `cin` channels of `low × low`, output
/// `cout` channels of `2·low × 2·low`.
#[derive(Debug, Clone)]
pub struct ParityStage {
    cin: usize,
    cout: usize,
    low: usize,
    /// Per parity `2·py + px` and block of [`BLOCK`] output channels (`parity · blocks + block`),
    /// the weights of each tap `(a, b, channel)` (zeros past `cout`).
    blocks: Vec<Vec<[f32; BLOCK]>>,
    /// Where each tap reads, from the block's first pixel.
    offsets: Vec<usize>,
    /// The largest of them.
    farthest: usize,
}

impl ParityStage {
    /// The stage whose parity `2·py + px` has the 2x2 weights `parity[2·py + px]`: rows
    /// `(a, b, channel)` (`4·cin` rows of `cout` values). `None` when the sizes disagree.
    pub fn new(parity: &[Vec<f32>], cin: usize, cout: usize, low: usize) -> Option<Self> {
        if parity.len() != 4 || parity.iter().any(|w| w.len() != 4 * cin * cout) || cin == 0 || cout == 0 || low == 0 {
            return None;
        }
        let nb = cout.div_ceil(BLOCK);
        let mut blocks = Vec::with_capacity(4 * nb);
        for w in parity {
            for ob in 0..nb {
                let taps = w.chunks_exact(cout).map(|row| std::array::from_fn(|o| row.get(ob * BLOCK + o).copied().unwrap_or(0.0))).collect();
                blocks.push(taps);
            }
        }
        let input = Planes { channels: cin, side: low };
        let offsets: Vec<usize> = (0..4 * cin).map(|t| (t % cin) * input.plane() + (t / (2 * cin)) * input.stride() + t / cin % 2).collect();
        let farthest = offsets.iter().max().copied().unwrap_or(0);
        Some(ParityStage { cin, cout, low, blocks, offsets, farthest })
    }

    /// The layout of its input.
    pub fn input(&self) -> Planes {
        Planes { channels: self.cin, side: self.low }
    }

    /// The layout of its output.
    pub fn output(&self) -> Planes {
        Planes { channels: self.cout, side: 2 * self.low }
    }

    /// Writes `base` plus the upsample-and-convolve of `input` (layout [`Self::input`]) into
    /// every picture pixel of `out` (layout [`Self::output`], like `base`), through a ReLU when
    /// `relu` is set; the border of `out` is left as it is. Returns false (and does nothing) for
    /// buffers of the wrong sizes.
    pub fn run(&self, input: &[f32], base: &[f32], relu: bool, out: &mut [f32]) -> bool {
        let n = self.output().len();
        if input.len() != self.input().len() || base.len() != n || out.len() != n {
            return false;
        }
        let job = Job { stage: self, input, base, relu };
        #[cfg(target_arch = "x86_64")]
        {
            if self.low >= 16 && std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has the feature the function is compiled for (checked above).
                return unsafe { simd::kernel_avx512(job, out) };
            }
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: as above.
                return unsafe { simd::kernel_avx2(job, out) };
            }
        }
        kernel::<8>(job, out, block_plain::<8>)
    }
}

/// The 3x3 "same" convolution of planes `x` (laid out as `planes`) to one channel, `side²`
/// values row by row: `bias` plus, for each plane and tap `(ky, kx)`, the tap's weight times the
/// plane shifted (`taps`: rows `(ky, kx)` of `channels` weights). Runs of 4 vectors of
/// neighbouring outputs are summed over every tap in registers. `None` for buffers of the
/// wrong sizes.
pub fn conv3x3_to_one(planes: Planes, x: &[f32], taps: &[f32], bias: f32) -> Option<Vec<f32>> {
    let (c, stride, plane) = (planes.channels, planes.stride(), planes.plane());
    if x.len() != planes.len() || taps.len() != 9 * c || c == 0 {
        return None;
    }
    // Tap (ky, kx) of plane ch, from output (y, x): (y + ky − 1, x + kx − 1), in the padded plane
    // (y + ky, x + kx). Its weight beside it.
    let (offsets, weights): (Vec<usize>, Vec<f32>) =
        (0..c).flat_map(|ch| (0..9).map(move |t| (ch, t))).map(|(ch, t)| (ch * plane + t / 3 * stride + t % 3, taps.get(t * c + ch).copied().unwrap_or(0.0))).unzip();
    let job = ToOne { planes, x, offsets: &offsets, weights: &weights, bias };
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature the function is compiled for (checked above).
            return Some(unsafe { simd::to_one_avx512(job) });
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            return Some(unsafe { simd::to_one_avx2(job) });
        }
    }
    Some(to_one::<8>(job, sum_plain::<8>))
}

/// What [`to_one`] reads.
#[derive(Clone, Copy)]
struct ToOne<'a> {
    planes: Planes,
    x: &'a [f32],
    offsets: &'a [usize],
    weights: &'a [f32],
    bias: f32,
}

/// Four vectors of `L` neighbouring outputs in plain code: `acc[k][l] = Σ_t w_t · x[off_t + k·L + l]`.
fn sum_plain<const L: usize>(x: &[f32], offsets: &[usize], w: &[f32], acc: &mut [[f32; L]; 4]) {
    *acc = [[0.0; L]; 4];
    for (&off, &w) in offsets.iter().zip(w) {
        for (k, a) in acc.iter_mut().enumerate() {
            let Some(xv) = x.get(off + k * L..off + (k + 1) * L) else { continue };
            a.iter_mut().zip(xv).for_each(|(a, &v)| *a += w * v);
        }
    }
}

/// [`conv3x3_to_one`] with runs of 4 vectors of `L` outputs summed by `sum`; a run that would
/// read past the planes (the last of a picture whose side is not a multiple of 4·L) is summed
/// from the planes a value at a time. Inlined into each instruction set's wrapper.
#[inline(always)]
fn to_one<const L: usize>(job: ToOne<'_>, sum: impl Fn(&[f32], &[usize], &[f32], &mut [[f32; L]; 4])) -> Vec<f32> {
    let ToOne { planes, x, offsets, weights, bias } = job;
    let (s, stride) = (planes.side, planes.stride());
    let farthest = offsets.iter().max().copied().unwrap_or(0);
    let mut out = vec![bias; s * s];
    for (y, row) in out.chunks_exact_mut(s.max(1)).enumerate() {
        for (x0, dst) in (0..s).step_by(4 * L).zip(row.chunks_mut(4 * L)) {
            let from = y * stride + x0;
            match x.get(from..).filter(|v| v.len() >= farthest + 4 * L) {
                Some(v) => {
                    let mut acc = [[0f32; L]; 4];
                    sum(v, offsets, weights, &mut acc);
                    dst.iter_mut().zip(acc.iter().flatten()).for_each(|(d, a)| *d += a);
                }
                None => {
                    for (l, d) in dst.iter_mut().enumerate() {
                        *d += offsets.iter().zip(weights).map(|(&off, &w)| w * x.get(from + off + l).copied().unwrap_or(0.0)).sum::<f32>();
                    }
                }
            }
        }
    }
    out
}

/// What [`kernel`] reads.
#[derive(Clone, Copy)]
struct Job<'a> {
    stage: &'a ParityStage,
    input: &'a [f32],
    base: &'a [f32],
    relu: bool,
}

/// One block in plain code: `acc[o][l] += Σ_t x[offset_t + l] · w_t[o]` over the taps.
fn block_plain<const L: usize>(x: &[f32], offsets: &[usize], w: &[[f32; BLOCK]], acc: &mut [[f32; L]; BLOCK]) {
    for (&off, w) in offsets.iter().zip(w) {
        let Some(xv) = x.get(off..off + L) else { continue };
        for (a, &w) in acc.iter_mut().zip(w.iter()) {
            for (a, &x) in a.iter_mut().zip(xv) {
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
            ///
            /// # Safety
            /// The CPU has the feature, and every offset plus the lanes lies inside `x`.
            #[target_feature(enable = $feature)]
            pub(super) unsafe fn $name(x: &[f32], offsets: &[usize], w: &[[f32; BLOCK]], acc: &mut [[f32; $lanes]; BLOCK]) {
                let mut sum = [$zero(); BLOCK];
                let p = x.as_ptr();
                for (&off, w) in offsets.iter().zip(w) {
                    // SAFETY: `off + $lanes <= x.len()` (the caller's promise).
                    let xv = unsafe { $load(p.add(off)) };
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

    /// [`super::kernel`] with 16 pixels a register, compiled for AVX-512 (its interleaving too).
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn kernel_avx512(job: super::Job<'_>, out: &mut [f32]) -> bool {
        // SAFETY: the feature is there (the caller's promise), and `kernel` hands the block only
        // slices that reach 16 values past every offset.
        super::kernel::<16>(job, out, |x, off, w, acc| unsafe { block_avx512(x, off, w, acc) })
    }

    /// [`super::sum_plain`] for `$lanes` pixels a vector with `$feature`, the sums in registers.
    macro_rules! sum4 {
        ($name:ident, $feature:literal, $lanes:literal, $zero:ident, $load:ident, $fma:ident, $set1:ident, $store:ident) => {
            #[doc = concat!("[`super::sum_plain`] for ", stringify!($lanes), " pixels a vector with ", $feature, ".")]
            ///
            /// # Safety
            #[doc = concat!("The CPU has the feature, and every offset plus 4·", stringify!($lanes), " lies inside `x`.")]
            #[target_feature(enable = $feature)]
            unsafe fn $name(x: &[f32], offsets: &[usize], w: &[f32], acc: &mut [[f32; $lanes]; 4]) {
                let mut sum = [$zero(); 4];
                let p = x.as_ptr();
                for (&off, &w) in offsets.iter().zip(w) {
                    let wv = $set1(w);
                    for (k, s) in sum.iter_mut().enumerate() {
                        // SAFETY: `off + 4·$lanes <= x.len()` (the caller's promise).
                        *s = $fma(unsafe { $load(p.add(off + k * $lanes)) }, wv, *s);
                    }
                }
                for (a, s) in acc.iter_mut().zip(sum) {
                    // SAFETY: `a` is `$lanes` floats.
                    unsafe { $store(a.as_mut_ptr(), s) };
                }
            }
        };
    }

    sum4!(sum_avx512, "avx512f", 16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_storeu_ps);
    sum4!(sum_avx2, "avx2,fma", 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_storeu_ps);

    /// [`super::conv3x3_to_one`] with 16 pixels a vector, compiled for AVX-512.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn to_one_avx512(job: super::ToOne<'_>) -> Vec<f32> {
        // SAFETY: the feature is there, and `to_one` hands `sum` only slices that reach 4·16
        // values past every offset.
        super::to_one::<16>(job, |x, off, w, acc| unsafe { sum_avx512(x, off, w, acc) })
    }

    /// [`super::conv3x3_to_one`] with 8 pixels a vector, compiled for AVX2 and FMA.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn to_one_avx2(job: super::ToOne<'_>) -> Vec<f32> {
        // SAFETY: as above, 4·8 values.
        super::to_one::<8>(job, |x, off, w, acc| unsafe { sum_avx2(x, off, w, acc) })
    }

    /// [`super::kernel`] with 8 pixels a register, compiled for AVX2 and FMA.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn kernel_avx2(job: super::Job<'_>, out: &mut [f32]) -> bool {
        // SAFETY: as above, 8 values.
        super::kernel::<8>(job, out, |x, off, w, acc| unsafe { block_avx2(x, off, w, acc) })
    }
}

/// The stage for `L` pixels a register: each block of `L` low-resolution pixels × [`BLOCK`]
/// output channels summed by `block` for both column parities, then written interleaved. Every
/// slice `block` gets reaches `L` values past its farthest offset (else it stops, returning false;
/// [`Planes`] makes that impossible). Inlined into each instruction set's wrapper, so that its
/// code is compiled for that set too.
#[inline(always)]
fn kernel<const L: usize>(job: Job<'_>, out: &mut [f32], block: impl Fn(&[f32], &[usize], &[[f32; BLOCK]], &mut [[f32; L]; BLOCK])) -> bool {
    let Job { stage, input, base, relu } = job;
    let (low, cout) = (stage.low, stage.cout);
    let (si, po) = (stage.input().stride(), stage.output());
    let nb = cout.div_ceil(BLOCK);
    let floor = if relu { 0.0 } else { f32::NEG_INFINITY };
    for py in 0..2 {
        for i in 0..low {
            for jb in (0..low).step_by(L) {
                let n = L.min(low - jb);
                for ob in 0..nb {
                    let mut acc = [[[0f32; L]; BLOCK]; 2];
                    for (px, acc) in acc.iter_mut().enumerate() {
                        let (Some(x), Some(w)) = (input.get((i + py) * si + jb + px..), stage.blocks.get((2 * py + px) * nb + ob)) else { return false };
                        if x.len() < stage.farthest + L || w.len() != stage.offsets.len() {
                            return false;
                        }
                        block(x, &stage.offsets, w, acc);
                    }
                    let [even, odd] = &acc;
                    for (o, (even, odd)) in even.iter().zip(odd).enumerate().take(cout - ob * BLOCK) {
                        let at = po.at(ob * BLOCK + o, 2 * i + py, 2 * jb);
                        let (Some(d), Some(b)) = (out.get_mut(at..at + 2 * n), base.get(at..at + 2 * n)) else { continue };
                        for (((d, b), &e), &od) in d.chunks_exact_mut(2).zip(b.chunks_exact(2)).zip(even).zip(odd) {
                            if let ([d0, d1], [b0, b1]) = (d, b) {
                                *d0 = (b0 + e).max(floor);
                                *d1 = (b1 + od).max(floor);
                            }
                        }
                    }
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stage against a plain sum over NHWC pictures, for vector-sized and odd sides, output
    /// widths that fill whole blocks and ones that do not, with and without the ReLU.
    #[test]
    fn matches_the_plain_sum() {
        let val = |i: usize| ((i * 37 % 101) as f32 - 50.0) / 50.0;
        for (low, cin, cout) in [(16, 3, 8), (16, 2, 16), (32, 2, 8), (8, 3, 32), (7, 2, 4), (14, 3, 12)] {
            let x: Vec<f32> = (0..low * low * cin).map(|i| val(i + 11)).collect();
            let parity: Vec<Vec<f32>> = (0..4).map(|p| (0..4 * cin * cout).map(|i| val(i * 3 + p)).collect()).collect();
            let stage = ParityStage::new(&parity, cin, cout, low).unwrap();
            let r = 2 * low;
            let base_nhwc: Vec<f32> = (0..r * r * cout).map(|i| val(i + 5) * 0.5).collect();
            let out_planes = stage.output();
            let base = out_planes.from_nhwc(&base_nhwc, None);
            let input = stage.input().from_nhwc(&x, None);
            for relu in [false, true] {
                let mut out = vec![7f32; out_planes.len()];
                assert!(stage.run(&input, &base, relu, &mut out));
                let got = out_planes.to_nhwc(&out);
                for y in 0..r {
                    for xx in 0..r {
                        let (py, px, li, lj) = (y % 2, xx % 2, y / 2, xx / 2);
                        for o in 0..cout {
                            let mut s = base_nhwc[(y * r + xx) * cout + o];
                            for a in 0..2 {
                                for b in 0..2 {
                                    // Low-resolution pixel (li + py + a − 1, lj + px + b − 1).
                                    let (sy, sx) = ((li + py + a) as isize - 1, (lj + px + b) as isize - 1);
                                    if sy < 0 || sx < 0 || sy >= low as isize || sx >= low as isize {
                                        continue;
                                    }
                                    for c in 0..cin {
                                        s += x[((sy as usize) * low + sx as usize) * cin + c] * parity[2 * py + px][((a * 2 + b) * cin + c) * cout + o];
                                    }
                                }
                            }
                            let want = if relu { s.max(0.0) } else { s };
                            let g = got[(y * r + xx) * cout + o];
                            assert!((g - want).abs() < 1e-4, "low {low} cout {cout} pixel ({y}, {xx}) channel {o}: {g} vs {want}");
                        }
                    }
                }
                // The border is left alone.
                assert_eq!(out[0], 7.0);
            }
            let mut short = vec![0f32; 10];
            assert!(!stage.run(&input, &base, true, &mut short));
        }
        assert!(ParityStage::new(&[vec![0.0; 4]], 1, 1, 4).is_none());
    }

    /// The plain code (what a CPU without AVX2 runs) gives what this CPU's path gives, for the
    /// stage and for the last convolution.
    #[test]
    fn plain_code_agrees() {
        let val = |i: usize| ((i * 53 % 97) as f32 - 48.0) / 48.0;
        for (low, cin, cout) in [(16, 3, 8), (7, 2, 12)] {
            let parity: Vec<Vec<f32>> = (0..4).map(|p| (0..4 * cin * cout).map(|i| val(i + p)).collect()).collect();
            let stage = ParityStage::new(&parity, cin, cout, low).unwrap();
            let input = stage.input().from_nhwc(&(0..low * low * cin).map(val).collect::<Vec<_>>(), None);
            let base = vec![0.25f32; stage.output().len()];
            let mut fast = vec![0f32; base.len()];
            let mut plain = fast.clone();
            assert!(stage.run(&input, &base, true, &mut fast));
            assert!(kernel::<8>(Job { stage: &stage, input: &input, base: &base, relu: true }, &mut plain, block_plain::<8>));
            assert!(fast.iter().zip(&plain).all(|(a, b)| (a - b).abs() < 1e-4));
            let planes = stage.output();
            let taps: Vec<f32> = (0..9 * cout).map(|i| val(i + 7)).collect();
            let fast = conv3x3_to_one(planes, &plain, &taps, 0.5).unwrap();
            let (offsets, weights): (Vec<usize>, Vec<f32>) =
                (0..cout).flat_map(|ch| (0..9).map(move |t| (ch, t))).map(|(ch, t)| (ch * planes.plane() + t / 3 * planes.stride() + t % 3, taps[t * cout + ch])).unzip();
            let slow = to_one::<8>(ToOne { planes, x: &plain, offsets: &offsets, weights: &weights, bias: 0.5 }, sum_plain::<8>);
            assert_eq!(fast.len(), 4 * low * low);
            assert!(fast.iter().zip(&slow).all(|(a, b)| (a - b).abs() < 1e-4));
        }
        assert!(conv3x3_to_one(Planes { channels: 2, side: 4 }, &[0.0; 3], &[0.0; 18], 0.0).is_none());
    }

    #[test]
    fn planes_round_trip() {
        let p = Planes { channels: 3, side: 5 };
        assert_eq!(p.stride(), 18);
        let x: Vec<f32> = (0..75).map(|i| i as f32).collect();
        let planes = p.from_nhwc(&x, None);
        assert_eq!(planes[p.at(2, 4, 4)], 74.0);
        assert_eq!(planes.iter().filter(|&&v| v != 0.0).count(), 74, "everything else is zero");
        assert_eq!(p.to_nhwc(&planes), x);
        let added = p.from_nhwc(&x, Some(&[100.0, 0.0, 0.5]));
        assert_eq!((added[p.at(0, 0, 0)], added[p.at(1, 0, 0)], added[p.at(2, 0, 0)]), (100.0, 1.0, 2.5));
    }
}
