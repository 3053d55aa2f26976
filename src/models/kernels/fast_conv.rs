//! Image kernels for the CPU ops, NHWC (one image `(h, w, c)`, channels innermost): im2col and
//! its adjoint col2im for "same" convolutions (stride 1, zero padding `k/2`), and 2x2 max pooling
//! with its backward. The custom ops built on them are in [`super::conv_op`]; single-image
//! inference ([`crate::models::recognizer::cpu_infer`]) uses them directly.

use candle_core::{CpuStorage, Layout, Result};

/// The contiguous f32 elements of a CPU storage under `l`, or an error naming `op`.
pub(crate) fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(v) = s else {
        candle_core::bail!("{op}: only f32 is supported")
    };
    match l.contiguous_offsets() {
        Some((a, b)) => v.get(a..b).ok_or_else(|| candle_core::Error::Msg(format!("{op}: bad layout"))),
        None => candle_core::bail!("{op}: input must be contiguous"),
    }
}

/// For output column `x`, the valid kernel columns `kx0..kx1` and the source column of `kx0`.
#[inline]
fn tap_run(x: usize, k: usize, pad: usize, w: usize) -> (usize, usize, usize) {
    let kx0 = pad.saturating_sub(x);
    let kx1 = k.min((w + pad).saturating_sub(x));
    (kx0, kx1, (x + kx0).saturating_sub(pad))
}

/// Adds a 3x3 "same" convolution of a one-channel `(h, w)` image `x` into `out` (`h·w` rows of
/// `o` channels, already holding the bias or anything else), computed directly: `taps` holds the
/// nine taps as rows `(ky, kx)` of `o` weights, and each non-zero input pixel adds its weighted
/// taps, so a dark background (a drawing) costs nothing (a dense image is faster through
/// [`im2col_image`] and one matrix product).
pub fn add_conv3x3_one_channel(x: &[f32], (h, w): (usize, usize), taps: &[f32], out: &mut [f32]) {
    let o = taps.len() / 9;
    if o == 0 {
        return;
    }
    for (p, orow) in out.chunks_exact_mut(o).take(h * w).enumerate() {
        let (y, xx) = (p / w, p % w);
        for (t, wrow) in taps.chunks_exact(o).enumerate().take(9) {
            let (ky, kx) = (t / 3, t % 3);
            let (Some(sy), Some(sx)) = ((y + ky).checked_sub(1), (xx + kx).checked_sub(1)) else { continue };
            if sy >= h || sx >= w {
                continue;
            }
            let v = x.get(sy * w + sx).copied().unwrap_or(0.0);
            if v != 0.0 {
                orow.iter_mut().zip(wrow).for_each(|(d, &wv)| *d += v * wv);
            }
        }
    }
}

/// im2col of one `(h, w, c)` image into `out` (`h·w` rows of `k·k·c`, zero padded). Every
/// element of the rows is written (the padding as zeros), so `out` may hold anything; short
/// buffers leave the missing part untouched. In NHWC the taps `kx0..kx1` of one kernel row are
/// contiguous in both the image and the row, so each is one copy.
pub fn im2col_image(img: &[f32], (h, w, c): (usize, usize, usize), k: usize, out: &mut [f32]) {
    let (row, pad) = (k * k * c, k / 2);
    if row == 0 || w == 0 {
        return;
    }
    for (p, o) in out.chunks_exact_mut(row).take(h * w).enumerate() {
        let (y, x) = (p / w, p % w);
        let (kx0, kx1, sx0) = tap_run(x, k, pad, w);
        let run = kx1.saturating_sub(kx0) * c;
        for (ky, taps) in o.chunks_exact_mut(k * c).enumerate() {
            let source = (y + ky).checked_sub(pad).filter(|&s| s < h).and_then(|sy| img.get((sy * w + sx0) * c..(sy * w + sx0) * c + run));
            let Some(source) = source else {
                taps.fill(0.0);
                continue;
            };
            let (left, rest) = taps.split_at_mut((kx0 * c).min(taps.len()));
            let (middle, right) = rest.split_at_mut(run.min(rest.len()));
            left.fill(0.0);
            if let Some(source) = source.get(..middle.len()) {
                middle.copy_from_slice(source);
            }
            right.fill(0.0);
        }
    }
}

/// The adjoint of [`im2col_image`]: adds each row's taps of `cols` (`h·w` rows of `k·k·c`) back
/// into their source pixels of `img` `(h, w, c)`.
pub fn col2im_image(cols: &[f32], (h, w, c): (usize, usize, usize), k: usize, img: &mut [f32]) {
    let (row, pad) = (k * k * c, k / 2);
    if row == 0 || w == 0 {
        return;
    }
    for (p, o) in cols.chunks_exact(row).take(h * w).enumerate() {
        let (y, x) = (p / w, p % w);
        let (kx0, kx1, sx0) = tap_run(x, k, pad, w);
        let run = kx1.saturating_sub(kx0) * c;
        for ky in 0..k {
            let Some(sy) = (y + ky).checked_sub(pad).filter(|&s| s < h) else { continue };
            let (dst, src) = ((sy * w + sx0) * c, (ky * k + kx0) * c);
            if let (Some(d), Some(s)) = (img.get_mut(dst..dst + run), o.get(src..src + run)) {
                d.iter_mut().zip(s).for_each(|(d, v)| *d += v);
            }
        }
    }
}

/// 2x2 max pooling (stride 2) of one `(h, w, c)` image into `out` `(h/2, w/2, c)`.
pub fn max_pool2_image(img: &[f32], (h, w, c): (usize, usize, usize), out: &mut [f32]) {
    let w2 = w / 2;
    if c == 0 || w2 == 0 {
        return;
    }
    for (p, o) in out.chunks_exact_mut(c).take((h / 2) * w2).enumerate() {
        let Some((_, [a, b, cc, d])) = window_taps(img, p, w2, w, c) else { continue };
        for ((o, (a, b)), (cc, d)) in o.iter_mut().zip(a.iter().zip(b)).zip(cc.iter().zip(d)) {
            *o = a.max(*b).max(cc.max(*d));
        }
    }
}

/// Backward of [`max_pool2_image`] for one image: each output gradient goes to the first maximum
/// of its window in `out` `(h, w, c)` (zeroed by the caller). Branch-free per channel, so it
/// vectorizes (which tap wins is random: branches would mispredict).
pub fn max_pool2_backward_image(img: &[f32], grad: &[f32], (h, w, c): (usize, usize, usize), out: &mut [f32]) {
    let w2 = w / 2;
    if c == 0 || w2 == 0 {
        return;
    }
    for (p, go) in grad.chunks_exact(c).take((h / 2) * w2).enumerate() {
        let Some(([a, _, cc, _], [va, vb, vc, vd])) = window_taps(img, p, w2, w, c) else { continue };
        // The window's two rows of two pixels are disjoint ranges of `out`: [a, a+2c) and [cc, cc+2c).
        if out.len() < cc + 2 * c {
            continue;
        }
        let (top, bottom) = out.split_at_mut(cc);
        let (Some(top), Some(bottom)) = (top.get_mut(a..a + 2 * c), bottom.get_mut(..2 * c)) else { continue };
        let (oa, ob) = top.split_at_mut(c);
        let (oc, od) = bottom.split_at_mut(c);
        let taps = va.iter().zip(vb).zip(vc.iter().zip(vd));
        let outs = oa.iter_mut().zip(ob.iter_mut()).zip(oc.iter_mut().zip(od.iter_mut()));
        // First maximum in the order a, b, c, d: ties go to the earlier tap. Windows do not
        // overlap, so each output element is written once (the caller zeroed `out`).
        for ((((&xa, &xb), (&xc, &xd)), ((ga, gb), (gc, gd))), &g) in taps.zip(outs).zip(go) {
            let b_wins_top = xb > xa;
            let d_wins_bottom = xd > xc;
            let top = if b_wins_top { xb } else { xa };
            let bottom = if d_wins_bottom { xd } else { xc };
            let bottom_wins = bottom > top;
            *ga = if !bottom_wins & !b_wins_top { g } else { 0.0 };
            *gb = if !bottom_wins & b_wins_top { g } else { 0.0 };
            *gc = if bottom_wins & !d_wins_bottom { g } else { 0.0 };
            *gd = if bottom_wins & d_wins_bottom { g } else { 0.0 };
        }
    }
}

/// The four `c`-channel taps of the 2x2 pooling window of output pixel `p` (`w2` outputs per row)
/// in a `(h, w, c)` image, with their offsets in elements; `None` if the image is too short.
fn window_taps(img: &[f32], p: usize, w2: usize, w: usize, c: usize) -> Option<([usize; 4], [&[f32]; 4])> {
    let base = (2 * (p / w2) * w + 2 * (p % w2)) * c;
    let offsets = [base, base + c, base + w * c, base + w * c + c];
    let [a, b, cc, d] = offsets.map(|o| img.get(o..o + c));
    Some((offsets, [a?, b?, cc?, d?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: f32) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * seed).sin()).collect()
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        for &(h, w, c, k) in &[(5, 7, 3, 3), (4, 4, 1, 5), (1, 1, 2, 3), (6, 3, 2, 1)] {
            let x = values(h * w * c, 0.37);
            let y = values(h * w * k * k * c, 0.11);
            let mut cols = vec![0f32; y.len()];
            im2col_image(&x, (h, w, c), k, &mut cols);
            let mut back = vec![0f32; x.len()];
            col2im_image(&y, (h, w, c), k, &mut back);
            let lhs: f32 = cols.iter().zip(&y).map(|(a, b)| a * b).sum();
            let rhs: f32 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
            assert!((lhs - rhs).abs() < 1e-4 * lhs.abs().max(1.0), "{:?}", (h, w, c, k));
            // Every element is written: a buffer full of garbage ends the same as a zeroed one.
            let mut dirty = vec![f32::NAN; cols.len()];
            im2col_image(&x, (h, w, c), k, &mut dirty);
            assert_eq!(dirty, cols, "{:?}", (h, w, c, k));
            // The centre tap of each row is the pixel itself.
            let centre = (k * k / 2) * c;
            for p in 0..h * w {
                assert_eq!(&cols[p * k * k * c + centre..][..c], &x[p * c..][..c]);
            }
        }
    }

    #[test]
    fn pooling_and_its_backward_match_a_naive_version() {
        let (h, w, c) = (5, 6, 3);
        let x = values(h * w * c, 0.73);
        let mut out = vec![0f32; (h / 2) * (w / 2) * c];
        max_pool2_image(&x, (h, w, c), &mut out);
        let g = values(out.len(), 0.5);
        let mut gx = vec![0f32; x.len()];
        max_pool2_backward_image(&x, &g, (h, w, c), &mut gx);
        let mut want = vec![0f32; x.len()];
        for y in 0..h / 2 {
            for xx in 0..w / 2 {
                for ch in 0..c {
                    let taps = [(2 * y, 2 * xx), (2 * y, 2 * xx + 1), (2 * y + 1, 2 * xx), (2 * y + 1, 2 * xx + 1)];
                    let idx = |(a, b): (usize, usize)| (a * w + b) * c + ch;
                    let best = taps.iter().copied().fold(taps[0], |b, t| if x[idx(t)] > x[idx(b)] { t } else { b });
                    let o = (y * (w / 2) + xx) * c + ch;
                    assert_eq!(out[o], x[idx(best)]);
                    want[idx(best)] += g[o];
                }
            }
        }
        assert_eq!(gx, want);
    }
}
