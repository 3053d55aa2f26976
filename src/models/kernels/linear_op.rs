//! Fused fully connected layer + bias (+ ReLU) for the CPU, with its own backward.
//!
//! [`LinearBiasRelu`] takes `(x (M, K), weight (N, K), bias (N))` — candle-nn's layout — and
//! returns `x·Wᵀ + b`, ReLU'd when asked. The backward is one op producing the input, weight and
//! bias gradients straight in their own layouts with multi-threaded gemm, instead of candle's
//! matmul + transpose + broadcast-add + ReLU chain (each with its own allocations and copies).

use super::fast_conv::f32_slice;
use super::sgemm::{fill_rows, sgemm, Mat};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

/// `relu?(x·Wᵀ + b)`: `x` `(M, K)`, `weight` `(N, K)`, `bias` `(N)` → `(M, N)`.
#[derive(Debug, Clone, Copy)]
pub struct LinearBiasRelu {
    /// Apply ReLU to the output (and mask the gradient by it).
    pub relu: bool,
}

/// The backward of [`LinearBiasRelu`]: `(x, weight, [output; grad_output])` → `[gx | gw | gb]`.
struct LinearBwd {
    relu: bool,
    need_gx: bool,
}

fn threads() -> usize {
    rayon::current_num_threads().max(1)
}

impl CustomOp3 for LinearBiasRelu {
    fn name(&self) -> &'static str {
        "fude-linear-bias-relu"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let (m, k) = l1.shape().dims2()?;
        let (n, wk) = l2.shape().dims2()?;
        if wk != k || l3.shape().dims1()? != n {
            bail!("linear: weight {:?} / bias {:?} do not fit input {:?}", l2.shape(), l3.shape(), l1.shape());
        }
        let (x, w, b) = (f32_slice(s1, l1, self.name())?, f32_slice(s2, l2, self.name())?, f32_slice(s3, l3, self.name())?);
        let mut out = vec![0f32; m * n];
        fill_rows(&mut out, b);
        if !sgemm(&mut out, true, Mat::rows(x, m, k), Mat::transposed(w, n, k), threads()) {
            bail!("linear: matrix shapes");
        }
        if self.relu {
            out.iter_mut().for_each(|v| *v = v.max(0.0));
        }
        Ok((CpuStorage::F32(out), Shape::from((m, n))))
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, _b: &Tensor, res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (m, k) = x.dims2()?;
        let n = w.dim(0)?;
        let need_gx = x.track_op();
        // The output and its gradient travel as one (2, M, N) tensor (a custom op has three inputs).
        let og = Tensor::stack(&[res, &grad.contiguous()?], 0)?;
        let packed = x.contiguous()?.apply_op3_no_bwd(&w.contiguous()?, &og, &LinearBwd { relu: self.relu, need_gx })?;
        let gx = if need_gx { Some(packed.narrow(0, 0, m * k)?.reshape((m, k))?) } else { None };
        let gw = packed.narrow(0, m * k, n * k)?.reshape((n, k))?;
        let gb = packed.narrow(0, m * k + n * k, n)?;
        Ok((gx, Some(gw), Some(gb)))
    }
}

impl CustomOp3 for LinearBwd {
    fn name(&self) -> &'static str {
        "fude-linear-bwd"
    }

    /// `(x (M, K), weight (N, K), [output; grad] (2, M, N))` → `[gx (M·K) | gw (N·K) | gb (N)]`.
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let (m, k) = l1.shape().dims2()?;
        let (n, _) = l2.shape().dims2()?;
        if l3.shape().dims3()? != (2, m, n) {
            bail!("linear backward: shapes {:?} {:?} {:?}", l1.shape(), l2.shape(), l3.shape());
        }
        let (x, w, og) = (f32_slice(s1, l1, self.name())?, f32_slice(s2, l2, self.name())?, f32_slice(s3, l3, self.name())?);
        let (res, g) = og.split_at(m * n);
        let gm: Vec<f32> = if self.relu {
            g.iter().zip(res).map(|(&g, &r)| super::relu_grad(g, r)).collect()
        } else {
            g.to_vec()
        };
        let mut packed = vec![0f32; m * k + n * k + n];
        let (gx, rest) = packed.split_at_mut(m * k);
        let (gw, gb) = rest.split_at_mut(n * k);
        super::add_column_sums(gb, &gm);
        let ok_w = sgemm(gw, false, Mat::transposed(&gm, m, n), Mat::rows(x, m, k), threads());
        let ok_x = !self.need_gx || sgemm(gx, false, Mat::rows(&gm, m, n), Mat::rows(w, n, k), threads());
        if !ok_w || !ok_x {
            bail!("linear backward: matrix shapes");
        }
        let len = packed.len();
        Ok((CpuStorage::F32(packed), Shape::from(len)))
    }
}

/// `relu?(x·Wᵀ + b)` through [`LinearBiasRelu`] (CPU only): `x` `(M, K)`, `weight` `(N, K)`,
/// `bias` `(N)` → `(M, N)`.
pub fn linear_bias_relu(x: &Tensor, weight: &Tensor, bias: &Tensor, relu: bool) -> Result<Tensor> {
    x.contiguous()?.apply_op3(&weight.contiguous()?, &bias.contiguous()?, LinearBiasRelu { relu })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::kernels::op_check::assert_matches_reference;
    use candle_core::{Device, Var};

    #[test]
    fn forward_and_gradients_match_candle() {
        let dev = Device::Cpu;
        for &(m, k, n) in &[(1, 7, 3), (5, 13, 11), (128, 300, 65), (3, 1, 1), (64, 3136, 17)] {
            for relu in [false, true] {
                let x = Var::randn(0f32, 1.0, (m, k), &dev).unwrap();
                let w = Var::randn(0f32, 0.3, (n, k), &dev).unwrap();
                let b = Var::randn(0f32, 0.3, n, &dev).unwrap();
                let fast = linear_bias_relu(&x, &w, &b, relu).unwrap();
                let slow = x.matmul(&w.t().unwrap()).unwrap().broadcast_add(&b).unwrap();
                let slow = if relu { slow.relu().unwrap() } else { slow };
                let case = format!("{:?}", (m, k, n, relu));
                assert_matches_reference(&fast, &slow, &[(&x, "input"), (&w, "weight"), (&b, "bias")], &case);
            }
        }
    }

    #[test]
    fn constant_inputs_get_no_gradient_and_bad_shapes_are_refused() {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 1.0, (4, 6), &dev).unwrap();
        let w = Var::randn(0f32, 0.3, (5, 6), &dev).unwrap();
        let b = Var::randn(0f32, 0.3, 5, &dev).unwrap();
        let g = linear_bias_relu(&x, &w, &b, true).unwrap().sum_all().unwrap().backward().unwrap();
        assert!(g.get(&x).is_none() && g.get(&w).is_some());
        let bad = Tensor::zeros((5, 7), candle_core::DType::F32, &dev).unwrap();
        assert!(linear_bias_relu(&x, &bad, &b, false).is_err());
    }
}
