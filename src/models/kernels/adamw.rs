//! AdamW with a fused CPU update: one in-place pass per parameter tensor (moments kept in plain
//! buffers), instead of candle-nn's dozen tensor ops and allocations per parameter per step.
//! Same update rule and defaults as `candle_nn::AdamW`, which still serves parameters that live on
//! a GPU.

use candle_core::backprop::GradStore;
use candle_core::{bail, CpuStorage, InplaceOp2, Layout, Result, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rayon::prelude::*;
use std::sync::Mutex;

/// First and second moments of one parameter tensor.
type Moments = Mutex<(Vec<f32>, Vec<f32>)>;

/// AdamW (decoupled weight decay, bias-corrected moments) with a fused CPU update.
pub struct FastAdamW {
    cpu: Vec<(Var, Moments)>,
    other: Option<AdamW>,
    params: ParamsAdamW,
    step_t: usize,
}

/// One step's update of one tensor, applied in place to the parameter.
struct Update<'a> {
    moments: &'a Moments,
    lr: f32,
    decay: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    scale_m: f32,
    scale_v: f32,
}

/// Elements per parallel piece of the update.
const PIECE: usize = 1 << 15;

impl InplaceOp2 for Update<'_> {
    fn name(&self) -> &'static str {
        "fude-adamw"
    }

    fn cpu_fwd(&self, s1: &mut CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<()> {
        let (CpuStorage::F32(theta), CpuStorage::F32(grad)) = (s1, s2) else {
            bail!("adamw: only f32 parameters are supported")
        };
        let (Some((a1, b1)), Some((a2, b2))) = (l1.contiguous_offsets(), l2.contiguous_offsets()) else {
            bail!("adamw: parameter and gradient must be contiguous")
        };
        let (Some(theta), Some(grad)) = (theta.get_mut(a1..b1), grad.get(a2..b2)) else {
            bail!("adamw: bad layout")
        };
        let mut guard = self.moments.lock().map_err(|_| candle_core::Error::Msg("adamw: moments lock poisoned".into()))?;
        let (m, v) = &mut *guard;
        if grad.len() != theta.len() || m.len() != theta.len() || v.len() != theta.len() {
            bail!("adamw: parameter of {}, gradient of {}", theta.len(), grad.len());
        }
        let u = self;
        theta
            .par_chunks_mut(PIECE)
            .zip(m.par_chunks_mut(PIECE))
            .zip(v.par_chunks_mut(PIECE).zip(grad.par_chunks(PIECE)))
            .for_each(|((t, m), (v, g))| {
                for (((t, m), v), &g) in t.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
                    *m = u.beta1 * *m + (1.0 - u.beta1) * g;
                    *v = u.beta2 * *v + (1.0 - u.beta2) * (g * g);
                    let step = (*m * u.scale_m) / ((*v * u.scale_v).sqrt() + u.eps);
                    *t = *t * u.decay - step * u.lr;
                }
            });
        Ok(())
    }
}

impl Optimizer for FastAdamW {
    type Config = ParamsAdamW;

    fn new(vars: Vec<Var>, params: ParamsAdamW) -> Result<Self> {
        let (cpu, other): (Vec<_>, Vec<_>) = vars
            .into_iter()
            .filter(|v| v.dtype().is_float())
            .partition(|v| v.device().is_cpu() && v.dtype() == candle_core::DType::F32);
        let cpu = cpu
            .into_iter()
            .map(|v| {
                let n = v.elem_count();
                (v, Mutex::new((vec![0f32; n], vec![0f32; n])))
            })
            .collect();
        let other = if other.is_empty() { None } else { Some(AdamW::new(other, params.clone())?) };
        Ok(FastAdamW { cpu, other, params, step_t: 0 })
    }

    fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step_t += 1;
        let p = &self.params;
        let t = i32::try_from(self.step_t).unwrap_or(i32::MAX);
        // Scalars rounded to f32 as candle's affine ops round them.
        let (lr, decay) = (p.lr as f32, (1.0 - p.lr * p.weight_decay) as f32);
        let (scale_m, scale_v) = ((1.0 / (1.0 - p.beta1.powi(t))) as f32, (1.0 / (1.0 - p.beta2.powi(t))) as f32);
        for (var, moments) in &self.cpu {
            if let Some(g) = grads.get(var) {
                let u = Update { moments, lr, decay, beta1: p.beta1 as f32, beta2: p.beta2 as f32, eps: p.eps as f32, scale_m, scale_v };
                var.as_tensor().inplace_op2(&g.contiguous()?, &u)?;
            }
        }
        if let Some(o) = &mut self.other {
            o.step(grads)?;
        }
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.params.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.params.lr = lr;
        if let Some(o) = &mut self.other {
            o.set_learning_rate(lr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    #[test]
    fn matches_candle_adamw_over_steps() {
        let dev = Device::Cpu;
        let params = ParamsAdamW { lr: 3e-3, weight_decay: 0.05, ..Default::default() };
        let init = Tensor::randn(0f32, 1.0, (70_001,), &dev).unwrap();
        let init2 = Tensor::randn(0f32, 1.0, (3, 5), &dev).unwrap();
        let (a, a2) = (Var::from_tensor(&init).unwrap(), Var::from_tensor(&init2).unwrap());
        let (b, b2) = (Var::from_tensor(&init).unwrap(), Var::from_tensor(&init2).unwrap());
        let mut fast = FastAdamW::new(vec![a.clone(), a2.clone()], params.clone()).unwrap();
        let mut slow = AdamW::new(vec![b.clone(), b2.clone()], params).unwrap();
        let target = Tensor::randn(0f32, 1.0, (70_001,), &dev).unwrap();
        let loss = |x: &Var, y: &Var| {
            let l1 = (x.as_tensor() - &target).unwrap().sqr().unwrap().sum_all().unwrap();
            let l2 = y.as_tensor().t().unwrap().sqr().unwrap().sum_all().unwrap();
            (l1 + l2).unwrap()
        };
        for step in 0..25 {
            let lr = 3e-3 * (1.0 + step as f64 / 10.0);
            fast.set_learning_rate(lr);
            slow.set_learning_rate(lr);
            fast.backward_step(&loss(&a, &a2)).unwrap();
            slow.backward_step(&loss(&b, &b2)).unwrap();
        }
        for (x, y) in [(&a, &b), (&a2, &b2)] {
            let d = (x.as_tensor() - y.as_tensor()).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap();
            assert!(d.to_scalar::<f32>().unwrap() < 1e-5);
        }
        let moved = (a.as_tensor() - &init).unwrap().abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(moved > 1.0);
        assert_eq!(fast.learning_rate(), 3e-3 * 3.4);
    }
}
