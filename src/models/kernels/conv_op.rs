//! Fused convolution + bias (+ ReLU) (+ 2x2 max pooling) for the CPU, NHWC, with its own backward.
//!
//! [`ConvBiasRelu`] is one candle custom op taking `(x, weight, bias)`: stride 1, "same" zero
//! padding, odd kernel side. With pooling, the full-size activation is kept inside the op for the
//! backward pass, so candle's graph only ever holds the pooled (four times smaller) tensor.
//! Forward and backward work on chunks of a few images at a time, in parallel with rayon: im2col
//! of the chunk (small enough to stay in cache, in a buffer each thread keeps), one
//! single-threaded gemm against the weight matrix with the bias already in the output, ReLU in
//! place. The backward pass, also a single op, masks the output gradient by the ReLU, then per
//! chunk computes the bias gradient (column sums), the weight gradient (`colsᵀ·g`, summed over
//! chunks) and the input gradient (`g·Wᵀ` folded back by col2im). candle's own CPU conv2d backward
//! is a naive transposed convolution, which made training ten times slower than this.

use super::fast_conv::{col2im_image, f32_slice, im2col_image, max_pool2_backward_image, max_pool2_image};
use super::sgemm::{fill_rows, sgemm, Mat};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::{Arc, Mutex};

/// Convolution `(B, H, W, C)` × weight `(O, C, k, k)` (candle's layout) + bias `(O)` →
/// `(B, H, W, O)`, then ReLU when `relu` is set, then 2x2 max pooling (stride 2, odd sizes drop
/// the last row/column, gradient to the first maximum) to `(B, H/2, W/2, O)` when `pool` is set.
#[derive(Debug)]
pub struct ConvBiasRelu {
    relu: bool,
    pool: bool,
    /// The full-size activation of the last forward pass, when pooling.
    saved: Mutex<Option<Arc<Vec<f32>>>>,
}

impl ConvBiasRelu {
    /// The op, with ReLU and pooling as asked.
    pub fn new(relu: bool, pool: bool) -> Self {
        ConvBiasRelu { relu, pool, saved: Mutex::new(None) }
    }
}

/// The backward of [`ConvBiasRelu`]: `(x, output, grad_output)` → `[gx | gw | gb]` flattened.
struct ConvBwd {
    /// Weight as a `(k·k·C) × O` matrix.
    wm: Vec<f32>,
    o: usize,
    k: usize,
    relu: bool,
    need_gx: bool,
    /// The full-size activation, when the forward pooled.
    pre: Option<Arc<Vec<f32>>>,
}

/// Weight `(O, C, k, k)` → the `(k·k·C) × O` matrix that multiplies im2col rows (`(ky, kx, c)`).
pub fn weight_matrix(w: &[f32], o: usize, c: usize, k: usize) -> Vec<f32> {
    let kk = k * k;
    let mut m = vec![0f32; kk * c * o];
    for (i, &v) in w.iter().enumerate().take(o * c * kk) {
        let (oi, ci, t) = (i / (c * kk), (i / kk) % c, i % kk);
        if let Some(d) = m.get_mut((t * c + ci) * o + oi) {
            *d = v;
        }
    }
    m
}

/// The inverse of [`weight_matrix`]: `(k·k·C) × O` → `(O, C, k, k)`.
pub(super) fn weight_from_matrix(m: &[f32], o: usize, c: usize, k: usize) -> Vec<f32> {
    let kk = k * k;
    let mut w = vec![0f32; o * c * kk];
    for (i, d) in w.iter_mut().enumerate() {
        let (oi, ci, t) = (i / (c * kk), (i / kk) % c, i % kk);
        if let Some(&v) = m.get((t * c + ci) * o + oi) {
            *d = v;
        }
    }
    w
}

/// Images per parallel chunk: the chunk's im2col buffer near 1 MB, and at least four chunks per
/// thread so both cores stay busy.
pub(super) fn images_per_chunk(b: usize, image_cols: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let by_cache = (256 * 1024 / image_cols.max(1)).max(1);
    by_cache.min(b.div_ceil(4 * threads)).max(1)
}

thread_local! {
    /// This thread's im2col buffer, kept between chunks and calls: it grows to the largest chunk
    /// the thread has seen (a few images, see [`images_per_chunk`]) and is never cleared, since
    /// [`im2col_image`] writes every element.
    static COLUMNS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on the im2col columns of the consecutive images in `x` (`(n·h·w) × (k·k·c)`), held in
/// this thread's reusable buffer (a fresh one if that is already in use).
fn with_columns<T>(x: &[f32], (h, w, c): (usize, usize, usize), k: usize, f: impl FnOnce(&mut [f32]) -> T) -> T {
    let (image, row) = (h * w * c, h * w * k * k * c);
    let len = (x.len() / image.max(1)) * row;
    let fill = |buffer: &mut Vec<f32>| {
        if buffer.len() < len {
            buffer.resize(len, 0.0);
        }
        let cols = buffer.get_mut(..len).unwrap_or_default();
        for (img, dst) in x.chunks_exact(image.max(1)).zip(cols.chunks_exact_mut(row.max(1))) {
            im2col_image(img, (h, w, c), k, dst);
        }
        f(cols)
    };
    COLUMNS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => fill(&mut buffer),
        Err(_) => fill(&mut Vec::new()),
    })
}

/// One chunk of a convolution: `out` (the chunk's output pixels, rows of `O` = `bias.len()`) =
/// `bias` + im2col(`x`) · `wm` (the `(k·k·C) × O` [`weight_matrix`]), then ReLU when `relu` is
/// set. False (with `out` unspecified) when the matrix shapes disagree.
pub(super) fn conv_rows(out: &mut [f32], x: &[f32], (h, w, c): (usize, usize, usize), k: usize, wm: &[f32], bias: &[f32], relu: bool) -> bool {
    let (o, row) = (bias.len(), k * k * c);
    let m = out.len() / o.max(1);
    fill_rows(out, bias);
    let ok = with_columns(x, (h, w, c), k, |cols| sgemm(out, true, Mat::rows(cols, m, row), Mat::rows(wm, row, o), 1));
    if relu {
        out.iter_mut().for_each(|v| *v = v.max(0.0));
    }
    ok
}

/// The backward of [`conv_rows`] for one chunk, given the gradient `g` at its output rows (already
/// through any ReLU and pooling): sets `gw` (`(k·k·C) × O`) to im2col(`x`)ᵀ · `g` and, when `gx` is
/// given, adds `g` · `wm`ᵀ folded back onto the input pixels (col2im) into it. Names the product
/// whose shapes disagree, if one does.
pub(super) fn conv_rows_backward(x: &[f32], (h, w, c): (usize, usize, usize), k: usize, wm: &[f32], g: &[f32], gw: &mut [f32], gx: Option<&mut [f32]>) -> std::result::Result<(), &'static str> {
    let row = k * k * c;
    let (m, o) = (x.len() / c.max(1), wm.len() / row.max(1));
    with_columns(x, (h, w, c), k, |cols| {
        if !sgemm(gw, false, Mat::transposed(cols, m, row), Mat::rows(g, m, o), 1) {
            return Err("weight-gradient");
        }
        if let Some(gx) = gx {
            if !sgemm(cols, false, Mat::rows(g, m, o), Mat::transposed(wm, row, o), 1) {
                return Err("input-gradient");
            }
            for (img, dc) in gx.chunks_exact_mut(h * w * c).zip(cols.chunks_exact(h * w * row)) {
                col2im_image(dc, (h, w, c), k, img);
            }
        }
        Ok(())
    })
}

impl CustomOp3 for ConvBiasRelu {
    fn name(&self) -> &'static str {
        "fude-conv-bias-relu"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h, w, c) = l1.shape().dims4()?;
        let (o, wc, k, k2) = l2.shape().dims4()?;
        if wc != c || k != k2 || k % 2 == 0 || l3.shape().dims1()? != o {
            bail!("conv: weight {:?} / bias {:?} do not fit input {:?}", l2.shape(), l3.shape(), l1.shape());
        }
        let (x, wt, bias) = (f32_slice(s1, l1, self.name())?, f32_slice(s2, l2, self.name())?, f32_slice(s3, l3, self.name())?);
        let row = k * k * c;
        let wm = weight_matrix(wt, o, c, k);
        let (h2, w2) = if self.pool { (h / 2, w / 2) } else { (h, w) };
        let mut full = vec![0f32; b * h * w * o];
        let mut pooled = vec![0f32; if self.pool { b * h2 * w2 * o } else { 0 }];
        if full.is_empty() || x.is_empty() {
            return Ok((CpuStorage::F32(if self.pool { pooled } else { full }), Shape::from((b, h2, w2, o))));
        }
        let per = images_per_chunk(b, h * w * row);
        // Pooled output chunks (an empty buffer gives none: then the zip below would be empty).
        let pool_chunk = (per * h2 * w2 * o).max(1);
        let conv_chunk = |(oc, xc): (&mut [f32], &[f32])| -> Result<()> {
            if !conv_rows(oc, xc, (h, w, c), k, &wm, bias, self.relu) {
                bail!("conv: matrix shapes");
            }
            Ok(())
        };
        if self.pool {
            full.par_chunks_mut(per * h * w * o).zip(x.par_chunks(per * h * w * c)).zip(pooled.par_chunks_mut(pool_chunk)).try_for_each(|((oc, xc), pc)| {
                conv_chunk((&mut *oc, xc))?;
                for (img, out) in oc.chunks_exact(h * w * o).zip(pc.chunks_exact_mut(h2 * w2 * o)) {
                    max_pool2_image(img, (h, w, o), out);
                }
                Ok::<(), candle_core::Error>(())
            })?;
            let mut saved = self.saved.lock().map_err(|_| candle_core::Error::Msg("conv: lock poisoned".into()))?;
            *saved = Some(Arc::new(full));
                        Ok((CpuStorage::F32(pooled), Shape::from((b, h2, w2, o))))
        } else {
            full.par_chunks_mut(per * h * w * o).zip(x.par_chunks(per * h * w * c)).try_for_each(conv_chunk)?;
            Ok((CpuStorage::F32(full), Shape::from((b, h, w, o))))
        }
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, _b: &Tensor, res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (bs, h, wd, c) = x.dims4()?;
        let (o, _, k, _) = w.dims4()?;
        let wv = w.flatten_all()?.to_vec1::<f32>()?;
        let need_gx = x.track_op();
        let pre = if self.pool {
            let saved = self.saved.lock().map_err(|_| candle_core::Error::Msg("conv: lock poisoned".into()))?;
            Some(saved.clone().ok_or_else(|| candle_core::Error::Msg("conv backward before forward".into()))?)
        } else {
            None
        };
        let op = ConvBwd { wm: weight_matrix(&wv, o, c, k), o, k, relu: self.relu, need_gx, pre };
        let packed = x.contiguous()?.apply_op3_no_bwd(&res.contiguous()?, &grad.contiguous()?, &op)?;
        let (nx, nw) = (bs * h * wd * c, o * c * k * k);
        let gx = if need_gx { Some(packed.narrow(0, 0, nx)?.reshape((bs, h, wd, c))?) } else { None };
        let gw = packed.narrow(0, nx, nw)?.reshape((o, c, k, k))?;
        let gb = packed.narrow(0, nx + nw, o)?;
        Ok((gx, Some(gw), Some(gb)))
    }
}

impl CustomOp3 for ConvBwd {
    fn name(&self) -> &'static str {
        "fude-conv-bwd"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h, w, c) = l1.shape().dims4()?;
        let (o, k) = (self.o, self.k);
        let row = k * k * c;
        let (h2, w2) = if self.pre.is_some() { (h / 2, w / 2) } else { (h, w) };
        let pre_ok = self.pre.as_ref().is_none_or(|p| p.len() == b * h * w * o);
        if l2.shape().dims4()? != (b, h2, w2, o) || l3.shape().dims4()? != (b, h2, w2, o) || self.wm.len() != row * o || !pre_ok {
            bail!("conv backward: shapes {:?} {:?} {:?}", l1.shape(), l2.shape(), l3.shape());
        }
        let (x, res, g) = (f32_slice(s1, l1, self.name())?, f32_slice(s2, l2, self.name())?, f32_slice(s3, l3, self.name())?);
        // The input gradient, with room for the weight and bias gradients packed after it.
        let mut gx = Vec::with_capacity(b * h * w * c + row * o + o);
        gx.resize(b * h * w * c, 0f32);
        let (mut gw, mut gb) = (vec![0f32; row * o], vec![0f32; o]);
        if !gx.is_empty() && o > 0 {
            let per = images_per_chunk(b, h * w * row);
            let partial = gx
                .par_chunks_mut(per * h * w * c)
                .zip(x.par_chunks(per * h * w * c))
                .zip(res.par_chunks((per * h2 * w2 * o).max(1)).zip(g.par_chunks((per * h2 * w2 * o).max(1))))
                .enumerate()
                .map(|(i, ((gxc, xc), (rc, gc)))| {
                    let pre = self.pre.as_ref().and_then(|p| p.get(i * per * h * w * o..((i + 1) * per * h * w * o).min(p.len())));
                    self.chunk(gxc, xc, pre.unwrap_or(rc), gc, (h, w, c))
                })
                .collect::<Result<Vec<_>>>()?;
            for (pw, pb) in partial {
                gw.iter_mut().zip(&pw).for_each(|(a, v)| *a += v);
                gb.iter_mut().zip(&pb).for_each(|(a, v)| *a += v);
            }
        }
        let mut packed = gx;
        packed.extend(weight_from_matrix(&gw, o, c, k));
        packed.extend(gb);
        let n = packed.len();
        Ok((CpuStorage::F32(packed), Shape::from(n)))
    }
}

impl ConvBwd {
    /// One chunk of images: writes its input gradient, returns its weight and bias gradients.
    /// `act` is the chunk's full-size activation, `gc` the gradient of the op's output (pooled
    /// when the forward pooled).
    fn chunk(&self, gxc: &mut [f32], xc: &[f32], act: &[f32], gc: &[f32], (h, w, c): (usize, usize, usize)) -> Result<(Vec<f32>, Vec<f32>)> {
        let (o, k) = (self.o, self.k);
        let row = k * k * c;
        let m = xc.len() / c.max(1);
        // The gradient at the convolution's output: through the pooling, then masked by the ReLU.
        let gm: Cow<[f32]> = if self.pre.is_some() {
            let mut full = vec![0f32; m * o];
            let (h2, w2) = (h / 2, w / 2);
            for ((img, g), out) in act.chunks_exact(h * w * o).zip(gc.chunks_exact((h2 * w2 * o).max(1))).zip(full.chunks_exact_mut(h * w * o)) {
                max_pool2_backward_image(img, g, (h, w, o), out);
            }
            if self.relu {
                full.iter_mut().zip(act).for_each(|(g, &a)| *g = super::relu_grad(*g, a));
            }
            Cow::Owned(full)
        } else if self.relu {
            Cow::Owned(gc.iter().zip(act).map(|(&g, &a)| super::relu_grad(g, a)).collect())
        } else {
            Cow::Borrowed(gc)
        };
        let mut gb = vec![0f32; o];
        super::add_column_sums(&mut gb, &gm);
        let mut gw = vec![0f32; row * o];
        if let Err(what) = conv_rows_backward(xc, (h, w, c), k, &self.wm, &gm, &mut gw, self.need_gx.then_some(gxc)) {
            bail!("conv backward: {what} shapes");
        }
        Ok((gw, gb))
    }
}

/// Convolution + bias (+ ReLU) (+ 2x2 max pooling) on NHWC input through [`ConvBiasRelu`]: `x`
/// `(B, H, W, C)`, `weight` `(O, C, k, k)`, `bias` `(O)` → `(B, H, W, O)`, or `(B, H/2, W/2, O)`
/// pooled. CPU only.
pub fn conv_bias_relu(x: &Tensor, weight: &Tensor, bias: &Tensor, relu: bool, pool: bool) -> Result<Tensor> {
    x.contiguous()?.apply_op3(&weight.contiguous()?, &bias.contiguous()?, ConvBiasRelu::new(relu, pool))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::kernels::op_check::{assert_matches_reference, max_rel_diff};
    use candle_core::{Device, Var};

    /// candle's own ops: NCHW conv2d, broadcast bias, relu, and 2x2 max pooling written as
    /// reshape + max (candle's max_pool2d backward scales gradients by 1/4, so it is no reference).
    fn reference(x: &Tensor, w: &Tensor, b: &Tensor, relu: bool, pool: bool) -> Tensor {
        let (o, k) = (w.dim(0).unwrap(), w.dim(2).unwrap());
        let nchw = x.permute((0, 3, 1, 2)).unwrap().contiguous().unwrap();
        let y = nchw.conv2d(w, k / 2, 1, 1, 1).unwrap().broadcast_add(&b.reshape((1, o, 1, 1)).unwrap()).unwrap();
        let y = if relu { y.relu().unwrap() } else { y };
        let y = y.permute((0, 2, 3, 1)).unwrap();
        if !pool {
            return y;
        }
        let (bs, h, wd, o) = y.dims4().unwrap();
        let (h2, w2) = (h / 2, wd / 2);
        let y = y.narrow(1, 0, 2 * h2).unwrap().narrow(2, 0, 2 * w2).unwrap().contiguous().unwrap();
        y.reshape((bs, h2, 2, w2, 2, o)).unwrap().max(4).unwrap().max(2).unwrap()
    }

    #[test]
    fn forward_and_gradients_match_candle() {
        let dev = Device::Cpu;
        let shapes = [(1, 5, 7, 1, 3, 3), (3, 8, 6, 4, 5, 3), (2, 9, 9, 3, 2, 5), (2, 4, 4, 2, 3, 1), (1, 1, 1, 3, 2, 3), (17, 7, 5, 6, 7, 3), (33, 14, 14, 8, 16, 3), (5, 28, 28, 1, 8, 3)];
        for &(b, h, w, c, o, k) in &shapes {
            for (relu, pool) in [(false, false), (true, false), (true, true), (false, true)] {
                if pool && (h < 2 || w < 2) {
                    continue;
                }
                // Seeded: with unseeded draws about 1 run in 150 met two pooled values closer than
                // the two convolutions' rounding, so each took a different maximum's gradient.
                let seeded = |std: f32, shape: &[usize], seed: u64| {
                    use rand::SeedableRng;
                    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                    let n: usize = shape.iter().product();
                    let v: Vec<f32> = (0..n).map(|_| std * crate::data::augment::gauss(&mut rng)).collect();
                    Var::from_tensor(&Tensor::from_vec(v, shape, &dev).unwrap()).unwrap()
                };
                let case_seed = (b * 131 + h * 31 + w * 7 + c * 3 + o + k) as u64 * 4 + u64::from(relu) * 2 + u64::from(pool);
                let x = seeded(1.0, &[b, h, w, c], case_seed);
                let wt = seeded(0.5, &[o, c, k, k], case_seed + 1_000);
                let bias = seeded(0.5, &[o], case_seed + 2_000);
                let fast = conv_bias_relu(&x, &wt, &bias, relu, pool).unwrap();
                let slow = reference(&x, &wt, &bias, relu, pool);
                let case = format!("{:?}", (b, h, w, c, o, k, relu, pool));
                assert_matches_reference(&fast, &slow, &[(&x, "input"), (&wt, "weight"), (&bias, "bias")], &case);
            }
        }
    }

    #[test]
    fn input_gradient_is_skipped_for_constant_inputs() {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 1.0, (2, 5, 5, 2), &dev).unwrap();
        let wt = Var::randn(0f32, 0.5, (3, 2, 3, 3), &dev).unwrap();
        let bias = Var::randn(0f32, 0.5, 3, &dev).unwrap();
        let g = conv_bias_relu(&x, &wt, &bias, true, true).unwrap().sum_all().unwrap().backward().unwrap();
        assert!(g.get(&x).is_none());
        let gs = reference(&x, &wt, &bias, true, true).sum_all().unwrap().backward().unwrap();
        assert!(max_rel_diff(g.get(&wt).unwrap(), gs.get(&wt).unwrap()) < 1e-5);
    }

    #[test]
    fn weight_matrix_round_trips() {
        let w: Vec<f32> = (0..5 * 3 * 9).map(|i| i as f32).collect();
        assert_eq!(weight_from_matrix(&weight_matrix(&w, 5, 3, 3), 5, 3, 3), w);
    }

    #[test]
    fn mismatched_shapes_are_refused() {
        let dev = Device::Cpu;
        let x = Tensor::zeros((1, 4, 4, 2), candle_core::DType::F32, &dev).unwrap();
        let w = Tensor::zeros((3, 5, 3, 3), candle_core::DType::F32, &dev).unwrap();
        let b = Tensor::zeros(3, candle_core::DType::F32, &dev).unwrap();
        assert!(conv_bias_relu(&x, &w, &b, false, false).is_err());
        let w = Tensor::zeros((3, 2, 2, 2), candle_core::DType::F32, &dev).unwrap();
        assert!(conv_bias_relu(&x, &w, &b, false, false).is_err());
    }
}
