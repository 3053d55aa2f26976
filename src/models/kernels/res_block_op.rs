//! A whole residual block, ReLU(x + conv_b(ReLU(conv_a(x)))), as one CPU op with its own backward.
//!
//! Built from two [`super::conv_op`] convolutions and a sum, a block is three graph nodes: candle
//! keeps the inner activation and the second convolution's output as tensors, gives each a zeroed
//! gradient in the backward pass and adds into it, and adds the block input's two gradients (the
//! shortcut's and the convolution's). [`ResBlock`] instead takes a chunk of a few images through
//! both convolutions and the sum while they are in cache, keeps only the inner activation for the
//! backward pass, and its backward walks each chunk back the same way, returning the input
//! gradient whole. Both convolutions keep the block's width `C`, stride 1, "same" zero padding.

use super::conv_op::{conv_rows, conv_rows_backward, images_per_chunk, weight_from_matrix, weight_matrix};
use super::fast_conv::f32_slice;
use super::{add_column_sums, relu_grad};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

/// The block on `(x, weights, biases)`: `x` `(B, H, W, C)`, the two convolutions' weights stacked
/// `(2, C, C, k, k)` (candle's layout each), their biases `(2, C)` → `(B, H, W, C)`.
#[derive(Debug, Default)]
pub struct ResBlock {
    /// The inner activation ReLU(conv_a(x)) of the last forward pass.
    saved: Mutex<Option<Arc<Vec<f32>>>>,
}

/// The backward of [`ResBlock`]: `(x, output, grad_output)` → `[gx | gw | gb]` flattened (`gx`
/// empty when `x` needs no gradient; `gw`, `gb` in the layouts of the weights and biases).
struct ResBlockBwd {
    /// The two weights as `(k·k·C) × C` matrices.
    matrices: [Vec<f32>; 2],
    k: usize,
    need_gx: bool,
    /// The forward pass's inner activation.
    inner: Arc<Vec<f32>>,
}

/// One chunk's weight and bias gradients: `[first convolution, second]` each.
type Partial = ([Vec<f32>; 2], [Vec<f32>; 2]);

/// The shapes `(B, H, W, C)` and `k` of a block's operands, refused unless they fit each other.
fn block_shape(x: &Shape, w: &Shape, b: &Shape) -> Result<((usize, usize, usize, usize), usize)> {
    let (bs, h, wd, c) = x.dims4()?;
    let (two, o, wc, k, k2) = w.dims5()?;
    if two != 2 || o != c || wc != c || k != k2 || k % 2 == 0 || b.dims2()? != (2, c) {
        bail!("residual block: weights {w:?} / biases {b:?} do not fit input {x:?}");
    }
    Ok(((bs, h, wd, c), k))
}

impl CustomOp3 for ResBlock {
    fn name(&self) -> &'static str {
        "fude-res-block"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let ((b, h, w, c), k) = block_shape(l1.shape(), l2.shape(), l3.shape())?;
        let (x, wt, bias) = (f32_slice(s1, l1, self.name())?, f32_slice(s2, l2, self.name())?, f32_slice(s3, l3, self.name())?);
        let (row, image, n) = (k * k * c, h * w * c, c * c * k * k);
        let (Some(wa), Some(wb), Some(ba), Some(bb)) = (wt.get(..n), wt.get(n..2 * n), bias.get(..c), bias.get(c..2 * c)) else {
            bail!("residual block: short weights or biases");
        };
        let (ma, mb) = (weight_matrix(wa, c, c, k), weight_matrix(wb, c, c, k));
        let mut out = vec![0f32; b * image];
        let mut inner = vec![0f32; b * image];
        if out.is_empty() {
            return Ok((CpuStorage::F32(out), Shape::from((b, h, w, c))));
        }
        let per = images_per_chunk(b, h * w * row) * image;
        out.par_chunks_mut(per).zip(inner.par_chunks_mut(per)).zip(x.par_chunks(per)).try_for_each(|((yc, hc), xc)| {
            if !conv_rows(hc, xc, (h, w, c), k, &ma, ba, true) || !conv_rows(yc, hc, (h, w, c), k, &mb, bb, false) {
                bail!("residual block: matrix shapes");
            }
            yc.iter_mut().zip(xc).for_each(|(y, &x)| *y = (*y + x).max(0.0));
            Ok(())
        })?;
        let mut saved = self.saved.lock().map_err(|_| candle_core::Error::Msg("residual block: lock poisoned".into()))?;
        *saved = Some(Arc::new(inner));
        Ok((CpuStorage::F32(out), Shape::from((b, h, w, c))))
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, b: &Tensor, res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let ((bs, h, wd, c), k) = block_shape(x.shape(), w.shape(), b.shape())?;
        let wv = w.flatten_all()?.to_vec1::<f32>()?;
        let n = c * c * k * k;
        let (Some(wa), Some(wb)) = (wv.get(..n), wv.get(n..2 * n)) else {
            bail!("residual block: short weights");
        };
        let inner = {
            let saved = self.saved.lock().map_err(|_| candle_core::Error::Msg("residual block: lock poisoned".into()))?;
            saved.clone().ok_or_else(|| candle_core::Error::Msg("residual block: backward before forward".into()))?
        };
        let need_gx = x.track_op();
        let op = ResBlockBwd { matrices: [weight_matrix(wa, c, c, k), weight_matrix(wb, c, c, k)], k, need_gx, inner };
        let packed = x.contiguous()?.apply_op3_no_bwd(&res.contiguous()?, &grad.contiguous()?, &op)?;
        let nx = if need_gx { bs * h * wd * c } else { 0 };
        let gx = if need_gx { Some(packed.narrow(0, 0, nx)?.reshape((bs, h, wd, c))?) } else { None };
        let gw = packed.narrow(0, nx, 2 * n)?.reshape((2, c, c, k, k))?;
        let gb = packed.narrow(0, nx + 2 * n, 2 * c)?.reshape((2, c))?;
        Ok((gx, Some(gw), Some(gb)))
    }
}

impl CustomOp3 for ResBlockBwd {
    fn name(&self) -> &'static str {
        "fude-res-block-bwd"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h, w, c) = l1.shape().dims4()?;
        let (k, image) = (self.k, h * w * c);
        let row = k * k * c;
        let fits = l2.shape().dims4()? == (b, h, w, c) && l3.shape().dims4()? == (b, h, w, c) && self.inner.len() == b * image;
        if !fits || self.matrices.iter().any(|m| m.len() != row * c) {
            bail!("residual block backward: shapes {:?} {:?} {:?}", l1.shape(), l2.shape(), l3.shape());
        }
        let (x, y, g) = (f32_slice(s1, l1, self.name())?, f32_slice(s2, l2, self.name())?, f32_slice(s3, l3, self.name())?);
        // The input gradient, with room for the weight and bias gradients packed after it.
        let mut gx = Vec::with_capacity(b * image + 2 * row * c + 2 * c);
        gx.resize(b * image, 0f32);
        let (mut gw, mut gb) = ([vec![0f32; row * c], vec![0f32; row * c]], [vec![0f32; c], vec![0f32; c]]);
        if !gx.is_empty() {
            let per = images_per_chunk(b, h * w * row) * image;
            let partial = gx
                .par_chunks_mut(per)
                .zip(x.par_chunks(per))
                .zip(y.par_chunks(per).zip(g.par_chunks(per)).zip(self.inner.par_chunks(per)))
                .map(|((gxc, xc), ((yc, gc), hc))| self.chunk(gxc, xc, yc, gc, hc, (h, w, c)))
                .collect::<Result<Vec<_>>>()?;
            for (pw, pb) in partial {
                for (total, part) in gw.iter_mut().zip(&pw).chain(gb.iter_mut().zip(&pb)) {
                    total.iter_mut().zip(part).for_each(|(a, v)| *a += v);
                }
            }
        }
        let mut packed = gx;
        if !self.need_gx {
            packed.clear();
        }
        for m in &gw {
            packed.extend(weight_from_matrix(m, c, c, k));
        }
        packed.extend(gb.iter().flatten());
        let n = packed.len();
        Ok((CpuStorage::F32(packed), Shape::from(n)))
    }
}

impl ResBlockBwd {
    /// One chunk of images: writes its input gradient (when needed), returns its weight and bias
    /// gradients. `yc` is the block's output, `gc` its gradient, `hc` the inner activation.
    fn chunk(&self, gxc: &mut [f32], xc: &[f32], yc: &[f32], gc: &[f32], hc: &[f32], (h, w, c): (usize, usize, usize)) -> Result<Partial> {
        let (k, [ma, mb]) = (self.k, &self.matrices);
        let row = k * k * c;
        // Through the block's ReLU: the gradient of the sum, which the shortcut passes on as is.
        let gz: Vec<f32> = gc.iter().zip(yc).map(|(&g, &y)| relu_grad(g, y)).collect();
        // Back through the second convolution to the inner activation, then its ReLU.
        let (mut gwb, mut gh) = (vec![0f32; row * c], vec![0f32; hc.len()]);
        let second = conv_rows_backward(hc, (h, w, c), k, mb, &gz, &mut gwb, Some(&mut gh));
        gh.iter_mut().zip(hc).for_each(|(g, &a)| *g = relu_grad(*g, a));
        // Back through the first convolution to the block's input, which also takes the shortcut's part.
        let mut gwa = vec![0f32; row * c];
        let first = conv_rows_backward(xc, (h, w, c), k, ma, &gh, &mut gwa, self.need_gx.then_some(&mut *gxc));
        if let Err(what) = second.and(first) {
            bail!("residual block backward: {what} shapes");
        }
        if self.need_gx {
            gxc.iter_mut().zip(&gz).for_each(|(g, v)| *g += v);
        }
        let (mut gba, mut gbb) = (vec![0f32; c], vec![0f32; c]);
        add_column_sums(&mut gba, &gh);
        add_column_sums(&mut gbb, &gz);
        Ok(([gwa, gwb], [gba, gbb]))
    }
}

/// The residual block ReLU(x + conv_b(ReLU(conv_a(x)))) through [`ResBlock`] (CPU only): `x`
/// `(B, H, W, C)`, each weight `(C, C, k, k)`, each bias `(C)`.
pub fn res_block(x: &Tensor, (wa, ba): (&Tensor, &Tensor), (wb, bb): (&Tensor, &Tensor)) -> Result<Tensor> {
    let w = Tensor::stack(&[wa, wb], 0)?;
    let b = Tensor::stack(&[ba, bb], 0)?;
    x.contiguous()?.apply_op3(&w, &b, ResBlock::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::kernels::op_check::assert_matches_reference;
    use candle_core::{Device, Var};

    /// The block from candle's own ops: NCHW conv2d, broadcast bias, ReLU, sum.
    fn reference(x: &Tensor, (wa, ba): (&Tensor, &Tensor), (wb, bb): (&Tensor, &Tensor)) -> Tensor {
        let conv = |x: &Tensor, w: &Tensor, b: &Tensor| {
            let (o, k) = (w.dim(0).unwrap(), w.dim(2).unwrap());
            x.conv2d(w, k / 2, 1, 1, 1).unwrap().broadcast_add(&b.reshape((1, o, 1, 1)).unwrap()).unwrap()
        };
        let nchw = x.permute((0, 3, 1, 2)).unwrap().contiguous().unwrap();
        let inner = conv(&nchw, wa, ba).relu().unwrap();
        (nchw + conv(&inner, wb, bb)).unwrap().relu().unwrap().permute((0, 2, 3, 1)).unwrap()
    }

    fn seeded(std: f32, shape: &[usize], seed: u64) -> Var {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|_| std * crate::data::augment::gauss(&mut rng)).collect();
        Var::from_tensor(&Tensor::from_vec(v, shape, &Device::Cpu).unwrap()).unwrap()
    }

    #[test]
    fn forward_and_gradients_match_candle() {
        // One image, a ragged last chunk, the network's two block shapes, a 1x1 and a 5x5 kernel.
        for (i, &(b, h, w, c, k)) in [(1, 5, 7, 3, 3), (17, 7, 5, 4, 3), (33, 14, 14, 8, 3), (9, 7, 7, 16, 3), (3, 6, 4, 2, 1), (2, 9, 8, 3, 5)].iter().enumerate() {
            let seed = 100 * i as u64;
            let x = seeded(1.0, &[b, h, w, c], seed);
            let (wa, ba) = (seeded(0.4, &[c, c, k, k], seed + 1), seeded(0.3, &[c], seed + 2));
            let (wb, bb) = (seeded(0.4, &[c, c, k, k], seed + 3), seeded(0.3, &[c], seed + 4));
            let fast = res_block(&x, (&wa, &ba), (&wb, &bb)).unwrap();
            let slow = reference(&x, (&wa, &ba), (&wb, &bb));
            let vars = [(&x, "input"), (&wa, "first weight"), (&ba, "first bias"), (&wb, "second weight"), (&bb, "second bias")];
            assert_matches_reference(&fast, &slow, &vars, &format!("{:?}", (b, h, w, c, k)));
        }
    }

    #[test]
    fn a_constant_input_gets_no_gradient_and_the_weights_theirs() {
        let x = Tensor::randn(0f32, 1.0, (2, 5, 5, 3), &Device::Cpu).unwrap();
        let (wa, ba) = (seeded(0.4, &[3, 3, 3, 3], 1), seeded(0.3, &[3], 2));
        let (wb, bb) = (seeded(0.4, &[3, 3, 3, 3], 3), seeded(0.3, &[3], 4));
        let g = res_block(&x, (&wa, &ba), (&wb, &bb)).unwrap().sum_all().unwrap().backward().unwrap();
        assert!(g.get(&x).is_none());
        let gs = reference(&x, (&wa, &ba), (&wb, &bb)).sum_all().unwrap().backward().unwrap();
        for v in [&wa, &ba, &wb, &bb] {
            assert!(crate::models::kernels::op_check::max_rel_diff(g.get(v).unwrap(), gs.get(v).unwrap()) < 1e-5);
        }
    }

    #[test]
    fn a_zero_second_convolution_passes_the_input_on() {
        let x = seeded(1.0, &[2, 4, 4, 3], 5).as_tensor().relu().unwrap();
        let (wa, ba) = (seeded(0.4, &[3, 3, 3, 3], 6), seeded(0.3, &[3], 7));
        let zeros = (Tensor::zeros((3, 3, 3, 3), candle_core::DType::F32, &Device::Cpu).unwrap(), Tensor::zeros(3, candle_core::DType::F32, &Device::Cpu).unwrap());
        let y = res_block(&x, (&wa, &ba), (&zeros.0, &zeros.1)).unwrap();
        assert_eq!(y.flatten_all().unwrap().to_vec1::<f32>().unwrap(), x.flatten_all().unwrap().to_vec1::<f32>().unwrap());
    }

    #[test]
    fn mismatched_shapes_are_refused() {
        let zeros = |shape: &[usize]| Tensor::zeros(shape, candle_core::DType::F32, &Device::Cpu).unwrap();
        let x = zeros(&[1, 4, 4, 2]);
        // A width change, an even kernel, a bias of the wrong width.
        for (w, b) in [(zeros(&[3, 2, 3, 3]), zeros(&[3])), (zeros(&[2, 2, 2, 2]), zeros(&[2])), (zeros(&[2, 2, 3, 3]), zeros(&[3]))] {
            let err = res_block(&x, (&w, &b), (&w, &b)).unwrap_err().to_string();
            assert!(err.contains("do not fit") || err.contains("shape mismatch"), "{err}");
        }
        // An empty batch gives an empty output.
        let (w, b) = (zeros(&[2, 2, 3, 3]), zeros(&[2]));
        assert_eq!(res_block(&zeros(&[0, 4, 4, 2]), (&w, &b), (&w, &b)).unwrap().dims(), &[0, 4, 4, 2]);
    }
}

