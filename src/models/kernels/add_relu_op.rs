//! The end of a residual block, ReLU(x + y), as one CPU op with its own backward.
//!
//! candle's own `(x + y).relu()` makes two passes and two tensors forward and, backward, builds
//! ReLU's mask from four more tensor operations (zeros, compare, cast, multiply) and adds it into a
//! fresh zeroed gradient of the sum. [`AddRelu`] adds and clamps in one parallel pass; its backward
//! masks the output gradient in one more, and the same masked gradient goes to both inputs. Where
//! a sum is exactly zero no gradient passes, as in PyTorch and fude's convolution op (candle's own
//! ReLU passes it).

use super::fast_conv::f32_slice;
use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// Elements per parallel chunk: large enough that the split costs nothing, small enough that a
/// batch of block outputs gives both cores several chunks.
const CHUNK: usize = 1 << 15;

/// ReLU(a + b) of two tensors of the same shape.
#[derive(Debug, Clone, Copy)]
pub struct AddRelu;

/// The backward of [`AddRelu`]: `(output, grad_output)` → the gradient where the output is
/// positive, zero elsewhere.
struct ReluMask;

/// The contiguous f32 elements of both operands, refused unless their shapes are equal.
fn operands<'a>(op: &str, s1: &'a CpuStorage, l1: &Layout, s2: &'a CpuStorage, l2: &Layout) -> Result<(&'a [f32], &'a [f32])> {
    if l1.shape() != l2.shape() {
        bail!("{op}: shapes {:?} and {:?} differ", l1.shape(), l2.shape());
    }
    Ok((f32_slice(s1, l1, op)?, f32_slice(s2, l2, op)?))
}

/// `f` of each pair of elements, in parallel chunks, written straight into the result (no
/// zero-filled buffer first).
fn elementwise(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) -> Vec<f32> {
    let mut out = Vec::with_capacity(a.len());
    a.par_iter().zip(b).with_min_len(CHUNK).map(|(&a, &b)| f(a, b)).collect_into_vec(&mut out);
    out
}

impl CustomOp2 for AddRelu {
    fn name(&self) -> &'static str {
        "fude-add-relu"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (a, b) = operands(self.name(), s1, l1, s2, l2)?;
        Ok((CpuStorage::F32(elementwise(a, b, |a, b| (a + b).max(0.0))), l1.shape().clone()))
    }

    fn bwd(&self, a: &Tensor, b: &Tensor, res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let masked = res.contiguous()?.apply_op2_no_bwd(&grad.contiguous()?, &ReluMask)?;
        // An operand that needs no gradient gets none (candle would otherwise store one for it).
        Ok((a.track_op().then(|| masked.clone()), b.track_op().then_some(masked)))
    }
}

impl CustomOp2 for ReluMask {
    fn name(&self) -> &'static str {
        "fude-relu-mask"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (res, g) = operands(self.name(), s1, l1, s2, l2)?;
        Ok((CpuStorage::F32(elementwise(res, g, |r, g| super::relu_grad(g, r))), l1.shape().clone()))
    }
}

/// ReLU(a + b) through [`AddRelu`] (CPU only); `a` and `b` must have the same shape.
pub fn add_relu(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    a.contiguous()?.apply_op2(&b.contiguous()?, AddRelu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::kernels::op_check::assert_matches_reference;
    use candle_core::{Device, Var};

    #[test]
    fn forward_and_gradients_match_candle() {
        let dev = Device::Cpu;
        // One shape below a chunk, one spanning several with a ragged last chunk.
        for (i, shape) in [vec![2, 3, 5], vec![3, 14, 14, 33]].into_iter().enumerate() {
            let n: usize = shape.iter().product();
            // Values on a grid away from zero, so no sum lands on ReLU's kink.
            let grid = |k: usize, seed: usize| ((k * seed + i) % 97) as f32 / 16.0 - 3.03;
            let a = Var::from_tensor(&Tensor::from_vec((0..n).map(|k| grid(k, 31)).collect::<Vec<_>>(), shape.as_slice(), &dev).unwrap()).unwrap();
            let b = Var::from_tensor(&Tensor::from_vec((0..n).map(|k| grid(k, 17)).collect::<Vec<_>>(), shape.as_slice(), &dev).unwrap()).unwrap();
            let fast = add_relu(&a, &b).unwrap();
            let slow = (a.as_tensor() + b.as_tensor()).unwrap().relu().unwrap();
            assert_matches_reference(&fast, &slow, &[(&a, "a"), (&b, "b")], &format!("{shape:?}"));
        }
    }

    #[test]
    fn a_constant_operand_gets_no_gradient_and_the_other_its_own() {
        let dev = Device::Cpu;
        let a = Var::from_tensor(&Tensor::new(&[1f32, -2.0, 0.5, -0.25], &dev).unwrap()).unwrap();
        let b = Tensor::new(&[-3f32, 1.0, 0.25, 0.5], &dev).unwrap();
        let y = add_relu(&a, &b).unwrap();
        assert_eq!(y.to_vec1::<f32>().unwrap(), vec![0.0, 0.0, 0.75, 0.25]);
        let g = (y * 2.0).unwrap().sum_all().unwrap().backward().unwrap();
        assert_eq!(g.get(&a).unwrap().to_vec1::<f32>().unwrap(), vec![0.0, 0.0, 2.0, 2.0]);
        assert!(g.get(&b).is_none());
    }

    #[test]
    fn different_shapes_are_refused() {
        let dev = Device::Cpu;
        let a = Tensor::zeros((2, 3), candle_core::DType::F32, &dev).unwrap();
        let b = Tensor::zeros((3, 2), candle_core::DType::F32, &dev).unwrap();
        let err = add_relu(&a, &b).unwrap_err().to_string();
        assert!(err.contains("differ"), "{err}");
        let b = Tensor::zeros((2, 3), candle_core::DType::F64, &dev).unwrap();
        assert!(add_relu(&a, &b).is_err());
    }
}
