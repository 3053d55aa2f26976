//! Nearest-neighbour 2x upsampling of NHWC tensors for the CPU as one custom op, with its backward
//! (each output pixel's gradient summed back over its 2x2 block) as another: candle's generic
//! broadcast-and-copy does the same, but its backward, a reduction over two strided axes of a 6-D
//! tensor, was the slowest part of the generator's training step.

use super::fast_conv::f32_slice;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// `(B, H, W, C)` → `(B, 2H, 2W, C)`, every pixel repeated over a 2x2 block.
struct Upsample2;

/// `(B, 2H, 2W, C)` → `(B, H, W, C)`, each 2x2 block summed (the backward of [`Upsample2`]).
struct BlockSum2;

impl CustomOp1 for Upsample2 {
    fn name(&self) -> &'static str {
        "fude-upsample2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h, w, c) = l.shape().dims4()?;
        let x = f32_slice(s, l, self.name())?;
        let mut out = vec![0f32; b * 4 * h * w * c];
        if c > 0 && w > 0 {
            // One output row pair per input row: copy each pixel twice into the first row, then the row.
            out.par_chunks_mut(4 * w * c).zip(x.par_chunks(w * c)).for_each(|(o, row)| {
                let (top, bottom) = o.split_at_mut(2 * w * c);
                for (pair, px) in top.chunks_exact_mut(2 * c).zip(row.chunks_exact(c)) {
                    let (a, bb) = pair.split_at_mut(c);
                    a.copy_from_slice(px);
                    bb.copy_from_slice(px);
                }
                bottom.copy_from_slice(top);
            });
        }
        Ok((CpuStorage::F32(out), Shape::from((b, 2 * h, 2 * w, c))))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(&BlockSum2)?))
    }
}

impl CustomOp1 for BlockSum2 {
    fn name(&self) -> &'static str {
        "fude-block-sum2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h2, w2, c) = l.shape().dims4()?;
        let (h, w) = (h2 / 2, w2 / 2);
        if h2 % 2 != 0 || w2 % 2 != 0 {
            candle_core::bail!("block sum: odd size {h2}x{w2}");
        }
        let g = f32_slice(s, l, self.name())?;
        let mut out = vec![0f32; b * h * w * c];
        if c > 0 && w > 0 {
            out.par_chunks_mut(w * c).zip(g.par_chunks(4 * w * c)).for_each(|(o, rows)| {
                let (top, bottom) = rows.split_at(2 * w * c);
                // Each output pixel sums the two pixels below it in each of the two rows.
                let pairs = top.chunks_exact(2 * c).zip(bottom.chunks_exact(2 * c));
                for (px, (t, bt)) in o.chunks_exact_mut(c).zip(pairs) {
                    let (ta, tb) = t.split_at(c);
                    let (ba, bb) = bt.split_at(c);
                    for ((d, (a, b2)), (c2, d2)) in px.iter_mut().zip(ta.iter().zip(tb)).zip(ba.iter().zip(bb)) {
                        *d = a + b2 + c2 + d2;
                    }
                }
            });
        }
        Ok((CpuStorage::F32(out), Shape::from((b, h, w, c))))
    }
}

/// Nearest-neighbour 2x upsampling of `(B, H, W, C)` on the CPU, with its backward.
pub fn upsample2(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Upsample2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::kernels::op_check::assert_matches_reference;
    use candle_core::{Device, Var};

    fn reference(x: &Tensor) -> Tensor {
        let (b, h, w, c) = x.dims4().unwrap();
        x.reshape((b, h, 1, w, 1, c)).unwrap().broadcast_as((b, h, 2, w, 2, c)).unwrap().contiguous().unwrap().reshape((b, 2 * h, 2 * w, c)).unwrap()
    }

    #[test]
    fn forward_and_gradient_match_broadcasting() {
        for (b, h, w, c) in [(1, 1, 1, 1), (2, 3, 5, 4), (3, 8, 8, 16)] {
            let x = Var::randn(0f32, 1.0, (b, h, w, c), &Device::Cpu).unwrap();
            let fast = upsample2(&x).unwrap();
            assert_matches_reference(&fast, &reference(&x), &[(&x, "input")], &format!("{:?}", (b, h, w, c)));
        }
    }
}
