//! Convolution for the CPU as im2col + matrix multiply, in NHWC layout.
//!
//! candle's own CPU `conv2d` backward is slow (a naive transposed convolution). Here a 3x3 "same"
//! convolution is `im2col(x) · Wᵀ`: [`Im2Col`] and [`Col2Im`] are custom ops that are each other's
//! adjoint (so each is the other's backward), and the matrix multiply and its gradients are
//! candle's, which use the multi-threaded `gemm` crate. GPU back ends use candle's own conv2d.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// Unfolds `(B, H, W, C)` into `(B·H·W, k·k·C)` rows, one per output pixel, columns ordered
/// `(ky, kx, c)`, zero padding `k/2` (stride 1, "same" size).
#[derive(Debug, Clone, Copy)]
pub struct Im2Col {
    /// Kernel side (odd).
    pub k: usize,
}

/// The adjoint of [`Im2Col`]: folds `(B·H·W, k·k·C)` back into `(B, H, W, C)`, summing overlaps.
#[derive(Debug, Clone, Copy)]
pub struct Col2Im {
    /// Kernel side (odd).
    pub k: usize,
    /// Output batch, height, width, channels.
    pub dims: (usize, usize, usize, usize),
}

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

/// im2col of one `(h, w, c)` image into `out` (`h·w` rows of `k·k·c`, zero padded). `out` must be
/// zeroed; short buffers leave the missing part untouched. In NHWC the taps `kx0..kx1` of one
/// kernel row are contiguous in both the image and the row, so each is one copy.
pub fn im2col_image(img: &[f32], (h, w, c): (usize, usize, usize), k: usize, out: &mut [f32]) {
    let (row, pad) = (k * k * c, k / 2);
    if row == 0 || w == 0 {
        return;
    }
    for (p, o) in out.chunks_exact_mut(row).take(h * w).enumerate() {
        let (y, x) = (p / w, p % w);
        let (kx0, kx1, sx0) = tap_run(x, k, pad, w);
        let run = kx1.saturating_sub(kx0) * c;
        for ky in 0..k {
            let Some(sy) = (y + ky).checked_sub(pad).filter(|&s| s < h) else { continue };
            let (src, dst) = ((sy * w + sx0) * c, (ky * k + kx0) * c);
            if let (Some(d), Some(s)) = (o.get_mut(dst..dst + run), img.get(src..src + run)) {
                d.copy_from_slice(s);
            }
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
        let [a, b, cc, d] = window(p / w2, p % w2, w, c);
        let (Some(a), Some(b), Some(cc), Some(d)) = (img.get(a..a + c), img.get(b..b + c), img.get(cc..cc + c), img.get(d..d + c)) else {
            continue;
        };
        for ((o, (a, b)), (cc, d)) in o.iter_mut().zip(a.iter().zip(b)).zip(cc.iter().zip(d)) {
            *o = a.max(*b).max(cc.max(*d));
        }
    }
}

/// Backward of [`max_pool2_image`] for one image: each output gradient goes to the first maximum
/// of its window in `out` `(h, w, c)` (zeroed by the caller).
pub fn max_pool2_backward_image(img: &[f32], grad: &[f32], (h, w, c): (usize, usize, usize), out: &mut [f32]) {
    let w2 = w / 2;
    if c == 0 || w2 == 0 {
        return;
    }
    for (p, go) in grad.chunks_exact(c).take((h / 2) * w2).enumerate() {
        let taps = window(p / w2, p % w2, w, c);
        let [a, b, cc, d] = taps;
        let (Some(va), Some(vb), Some(vc), Some(vd)) = (img.get(a..a + c), img.get(b..b + c), img.get(cc..cc + c), img.get(d..d + c)) else {
            continue;
        };
        for (ch, &g) in go.iter().enumerate() {
            let (Some(&xa), Some(&xb), Some(&xc), Some(&xd)) = (va.get(ch), vb.get(ch), vc.get(ch), vd.get(ch)) else { continue };
            let at = if xa >= xb && xa >= xc && xa >= xd {
                a
            } else if xb >= xc && xb >= xd {
                b
            } else if xc >= xd {
                cc
            } else {
                d
            };
            if let Some(v) = out.get_mut(at + ch) {
                *v += g;
            }
        }
    }
}

impl CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "fude-im2col"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h, w, c) = l.shape().dims4()?;
        let src = f32_slice(s, l, self.name())?;
        let k = self.k;
        let row = k * k * c;
        let mut dst = vec![0f32; b * h * w * row];
        if row > 0 && h * w > 0 {
            dst.par_chunks_mut(h * w * row)
                .zip(src.par_chunks(h * w * c))
                .for_each(|(out, img)| im2col_image(img, (h, w, c), k, out));
        }
        Ok((CpuStorage::F32(dst), Shape::from((b * h * w, row))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let dims = arg.dims4()?;
        Ok(Some(grad.contiguous()?.apply_op1(Col2Im { k: self.k, dims })?))
    }
}

impl CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "fude-col2im"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h, w, c) = self.dims;
        let k = self.k;
        let row = k * k * c;
        let (n, r) = l.shape().dims2()?;
        if n != b * h * w || r != row {
            candle_core::bail!("col2im: got ({n}, {r}), expected ({}, {row})", b * h * w);
        }
        let src = f32_slice(s, l, self.name())?;
        let mut dst = vec![0f32; b * h * w * c];
        if row > 0 && h * w > 0 {
            dst.par_chunks_mut(h * w * c)
                .zip(src.par_chunks(h * w * row))
                .for_each(|(img, cols)| col2im_image(cols, (h, w, c), k, img));
        }
        Ok((CpuStorage::F32(dst), Shape::from((b, h, w, c))))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op1(Im2Col { k: self.k })?))
    }
}

/// 3x3-style "same" convolution on NHWC input: `x` `(B, H, W, C)`, `weight` `(O, C, k, k)` (candle's
/// layout), `bias` `(O)`; returns `(B, H, W, O)`.
pub fn conv2d_nhwc(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let (b, h, w, c) = x.dims4()?;
    let (o, wc, k, k2) = weight.dims4()?;
    if wc != c || k != k2 || k % 2 == 0 {
        candle_core::bail!("conv2d_nhwc: weight {:?} does not fit input {:?}", weight.dims(), x.dims());
    }
    let cols = x.contiguous()?.apply_op1(Im2Col { k })?;
    let wm = weight.permute((0, 2, 3, 1))?.reshape((o, k * k * c))?;
    cols.matmul(&wm.t()?)?.broadcast_add(bias)?.reshape((b, h, w, o))
}

/// 2x2 max pooling with stride 2 on NHWC `(B, H, W, C)` input (odd sizes drop the last
/// row/column). The gradient goes to the first maximum of each window.
#[derive(Debug, Clone, Copy)]
pub struct MaxPool2;

/// The backward of [`MaxPool2`]: `(input, grad_out)` → grad_input.
#[derive(Debug, Clone, Copy)]
struct MaxPool2Bwd;

/// Offsets (in elements) of the four taps of the window at output (y, x), channel-major stride `c`.
#[inline]
fn window(y: usize, x: usize, w: usize, c: usize) -> [usize; 4] {
    let base = (2 * y * w + 2 * x) * c;
    [base, base + c, base + w * c, base + w * c + c]
}

impl CustomOp1 for MaxPool2 {
    fn name(&self) -> &'static str {
        "fude-maxpool2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h, w, c) = l.shape().dims4()?;
        let src = f32_slice(s, l, self.name())?;
        let (h2, w2) = (h / 2, w / 2);
        let mut dst = vec![0f32; b * h2 * w2 * c];
        if h2 * w2 * c > 0 {
            dst.par_chunks_mut(h2 * w2 * c)
                .zip(src.par_chunks(h * w * c))
                .for_each(|(out, img)| max_pool2_image(img, (h, w, c), out));
        }
        Ok((CpuStorage::F32(dst), Shape::from((b, h2, w2, c))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(arg.contiguous()?.apply_op2_no_bwd(&grad.contiguous()?, &MaxPool2Bwd)?))
    }
}

impl candle_core::CustomOp2 for MaxPool2Bwd {
    fn name(&self) -> &'static str {
        "fude-maxpool2-bwd"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h, w, c) = l1.shape().dims4()?;
        let (h2, w2) = (h / 2, w / 2);
        if l2.shape().dims4()? != (b, h2, w2, c) {
            candle_core::bail!("maxpool2 backward: gradient shape {:?}", l2.shape());
        }
        let src = f32_slice(s1, l1, self.name())?;
        let g = f32_slice(s2, l2, self.name())?;
        let mut dst = vec![0f32; b * h * w * c];
        if h2 * w2 * c > 0 {
            dst.par_chunks_mut(h * w * c)
                .zip(src.par_chunks(h * w * c).zip(g.par_chunks(h2 * w2 * c)))
                .for_each(|(out, (img, gi))| max_pool2_backward_image(img, gi, (h, w, c), out));
        }
        Ok((CpuStorage::F32(dst), Shape::from((b, h, w, c))))
    }
}

/// 2x2 max pooling with stride 2 on NHWC input (see [`MaxPool2`]).
pub fn max_pool2_nhwc(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(MaxPool2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var, D};

    fn reference(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
        let o = w.dim(0).unwrap();
        let k = w.dim(2).unwrap();
        let nchw = x.permute((0, 3, 1, 2)).unwrap().contiguous().unwrap();
        nchw.conv2d(w, k / 2, 1, 1, 1)
            .unwrap()
            .broadcast_add(&b.reshape((1, o, 1, 1)).unwrap())
            .unwrap()
            .permute((0, 2, 3, 1))
            .unwrap()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    #[test]
    fn forward_and_gradients_match_candle_conv2d() {
        let dev = Device::Cpu;
        for &(b, h, w, c, o, k) in &[(1, 5, 7, 1, 3, 3), (3, 8, 6, 4, 5, 3), (2, 9, 9, 3, 2, 5), (2, 4, 4, 2, 3, 1)] {
            let x = Var::randn(0f32, 1.0, (b, h, w, c), &dev).unwrap();
            let wt = Var::randn(0f32, 0.5, (o, c, k, k), &dev).unwrap();
            let bias = Var::randn(0f32, 0.5, o, &dev).unwrap();
            let probe = Tensor::randn(0f32, 1.0, (b, h, w, o), &dev).unwrap();
            let fast = conv2d_nhwc(&x, &wt, &bias).unwrap();
            let slow = reference(&x, &wt, &bias);
            assert!(max_diff(&fast, &slow) < 1e-4, "forward {:?}", (b, h, w, c, o, k));
            let gf = (fast * &probe).unwrap().sum_all().unwrap().backward().unwrap();
            let gs = (slow * &probe).unwrap().sum_all().unwrap().backward().unwrap();
            for v in [&x, &wt, &bias] {
                let (a, r) = (gf.get(v).unwrap(), gs.get(v).unwrap());
                assert!(max_diff(a, r) < 1e-3, "gradient {:?} {:?}", v.dims(), (b, h, w, c, o, k));
            }
        }
    }

    #[test]
    fn max_pool_matches_candle() {
        let dev = Device::Cpu;
        let x = Var::randn(0f32, 1.0, (2, 6, 7, 3), &dev).unwrap();
        let fast = max_pool2_nhwc(&x).unwrap();
        let slow = x.permute((0, 3, 1, 2)).unwrap().max_pool2d(2).unwrap().permute((0, 2, 3, 1)).unwrap();
        assert_eq!(fast.dims(), &[2, 3, 3, 3]);
        assert!(max_diff(&fast, &slow) < 1e-6);
        let g = fast.sum_all().unwrap().backward().unwrap();
        let gx = g.get(&x).unwrap();
        assert_eq!(gx.sum_all().unwrap().to_scalar::<f32>().unwrap(), 2.0 * 9.0 * 3.0);
        // Same gradient as pooling written with candle's reshape + max reduction (random input: no
        // ties). candle's own max_pool2d backward scales the gradient by 1/4, so it is no reference.
        let x = Var::randn(0f32, 1.0, (2, 6, 8, 3), &dev).unwrap();
        let probe = Tensor::randn(0f32, 1.0, (2, 3, 4, 3), &dev).unwrap();
        let gf = (max_pool2_nhwc(&x).unwrap() * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let slow = x.reshape((2, 3, 2, 4, 2, 3)).unwrap().max(4).unwrap().max(2).unwrap();
        let gs = (slow * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        assert!(max_diff(gf.get(&x).unwrap(), gs.get(&x).unwrap()) < 1e-6);
        assert!(gx.max(D::Minus1).is_ok());
    }
}
