//! A generator decoder stage's input for the CPU as one custom op, with its backward: nearest
//! 2x upsampling, the class embedding's add and the class template as one more channel.
//! candle's generic broadcast-and-copy does the upsampling too, but its backward, a reduction over
//! two strided axes of a 6-D tensor, was the slowest part of the generator's training step, and
//! its broadcast add and concatenation each made another full pass.

use super::fast_conv::f32_slice;
use candle_core::{CpuStorage, CustomOp1, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// A generator decoder stage's input in one pass: `x` `(B, H, W, C)` upsampled 2x, plus each
/// image's class embedding `(B, C)` on every pixel, with its class template `(B, 2H, 2W, 1)` as
/// channel C: `(B, 2H, 2W, C + 1)`. Candle's broadcast add and concatenation each made a full
/// pass over the feature maps, forward and backward.
struct StageInput;

/// The backward of [`StageInput`] for `x`: each 2x2 block's gradient summed over the first C of
/// C + 1 channels.
struct StageBlockSum;

impl CustomOp3 for StageInput {
    fn name(&self) -> &'static str {
        "fude-stage-input"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h, w, c) = l1.shape().dims4()?;
        let (eb, ec) = l2.shape().dims2()?;
        let (tb, th, tw, t1) = l3.shape().dims4()?;
        if (eb, ec) != (b, c) || (tb, th, tw, t1) != (b, 2 * h, 2 * w, 1) {
            candle_core::bail!("stage input: embedding {:?} or template {:?} does not fit {:?}", l2.shape(), l3.shape(), l1.shape());
        }
        let (x, e, t) = (f32_slice(s1, l1, self.name())?, f32_slice(s2, l2, self.name())?, f32_slice(s3, l3, self.name())?);
        let c1 = c + 1;
        let mut out = vec![0f32; b * 4 * h * w * c1];
        if c > 0 && w > 0 && h > 0 {
            // One output row pair per input row; the image of row r is r / h.
            out.par_chunks_mut(4 * w * c1).zip(x.par_chunks(w * c)).enumerate().for_each(|(r, (o, row))| {
                let img = r / h;
                let (y0, emb) = (2 * (r % h), e.get(img * c..(img + 1) * c).unwrap_or(&[]));
                let plane = t.get(img * 4 * h * w..(img + 1) * 4 * h * w).unwrap_or(&[]);
                for (dy, orow) in o.chunks_exact_mut(2 * w * c1).enumerate() {
                    let trow = plane.get((y0 + dy) * 2 * w..(y0 + dy + 1) * 2 * w).unwrap_or(&[]);
                    for (xo, (px, &tv)) in orow.chunks_exact_mut(c1).zip(trow).enumerate() {
                        let src = row.get((xo / 2) * c..(xo / 2 + 1) * c).unwrap_or(&[]);
                        let (head, tail) = px.split_at_mut(c);
                        head.iter_mut().zip(src.iter().zip(emb)).for_each(|(d, (s, e))| *d = s + e);
                        if let Some(d) = tail.first_mut() {
                            *d = tv;
                        }
                    }
                }
            });
        }
        Ok((CpuStorage::F32(out), Shape::from((b, 2 * h, 2 * w, c1))))
    }

    fn bwd(&self, _x: &Tensor, _e: &Tensor, _t: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let c1 = grad.dim(3)?;
        let gx = grad.apply_op1_no_bwd(&StageBlockSum)?;
        let ge = gx.sum((1, 2))?;
        let gt = grad.narrow(3, c1 - 1, 1)?.contiguous()?;
        Ok((Some(gx), Some(ge), Some(gt)))
    }
}

impl CustomOp1 for StageBlockSum {
    fn name(&self) -> &'static str {
        "fude-stage-block-sum"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, h2, w2, c1) = l.shape().dims4()?;
        if h2 % 2 != 0 || w2 % 2 != 0 || c1 == 0 {
            candle_core::bail!("stage block sum: shape {:?}", l.shape());
        }
        let (h, w, c) = (h2 / 2, w2 / 2, c1 - 1);
        let g = f32_slice(s, l, self.name())?;
        Ok((CpuStorage::F32(block_sum(g, (b, h, w), c1, c)), Shape::from((b, h, w, c))))
    }
}

/// Each 2x2 block of `g` (`(B, 2H, 2W, stride)`, `(b, h, w)` = `(B, H, W)`) summed over its
/// first `c` channels: `(B, H, W, c)`.
fn block_sum(g: &[f32], (b, h, w): (usize, usize, usize), stride: usize, c: usize) -> Vec<f32> {
    let mut out = vec![0f32; b * h * w * c];
    if c > 0 && w > 0 && stride >= c {
        out.par_chunks_mut(w * c).zip(g.par_chunks(4 * w * stride)).for_each(|(o, rows)| {
            let (top, bottom) = rows.split_at(2 * w * stride);
            // Each output pixel sums the two pixels below it in each of the two rows.
            let pairs = top.chunks_exact(2 * stride).zip(bottom.chunks_exact(2 * stride));
            for (px, (t, bt)) in o.chunks_exact_mut(c).zip(pairs) {
                let (ta, tb) = t.split_at(stride);
                let (ba, bb) = bt.split_at(stride);
                for ((d, (a, b2)), (c2, d2)) in px.iter_mut().zip(ta.iter().zip(tb)).zip(ba.iter().zip(bb)) {
                    *d = a + b2 + c2 + d2;
                }
            }
        });
    }
    out
}

/// A decoder stage's input on the CPU (`StageInput`), with its backward: `x` `(B, H, W, C)`
/// upsampled 2x plus `embed` `(B, C)`, then `template` `(B, 2H, 2W, 1)` as one more channel.
pub fn stage_input(x: &Tensor, embed: &Tensor, template: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op3(&embed.contiguous()?, &template.contiguous()?, StageInput)
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
    fn a_stage_input_matches_upsample_add_and_concatenate() {
        for (b, h, w, c) in [(1, 1, 1, 1), (2, 3, 5, 4), (3, 8, 8, 16)] {
            let x = Var::randn(0f32, 1.0, (b, h, w, c), &Device::Cpu).unwrap();
            let e = Var::randn(0f32, 1.0, (b, c), &Device::Cpu).unwrap();
            let t = Var::randn(0f32, 1.0, (b, 2 * h, 2 * w, 1), &Device::Cpu).unwrap();
            let fast = stage_input(&x, &e, &t).unwrap();
            let slow = Tensor::cat(&[&reference(&x).broadcast_add(&e.reshape((b, 1, 1, c)).unwrap()).unwrap(), t.as_tensor()], 3).unwrap();
            assert_matches_reference(&fast, &slow, &[(&x, "input"), (&e, "embedding"), (&t, "template")], &format!("{:?}", (b, h, w, c)));
        }
    }
}
