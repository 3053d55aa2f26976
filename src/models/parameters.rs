//! A network's named parameters: a candle `VarMap` on a device, made from a list of shapes and
//! initialised deterministically from a seed (Kaiming-normal, scaled per tensor); and
//! [`Network`], an architecture with its parameters, whose accessors both models share.

use crate::error::{Error, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::{Init, VarBuilder, VarMap};

/// Named parameter tensors on one device.
pub struct Parameters {
    varmap: VarMap,
    device: Device,
}

impl Parameters {
    /// Parameters of `shapes`, in order: each tensor for which `gain(name)` is `Some(g)` is drawn
    /// from N(0, (g·√(2/fan_in))²) with a generator seeded by `seed` (g = 0 draws and stays zero,
    /// so the draws of later tensors do not depend on it); `None` leaves it at zero without a draw.
    pub fn seeded(shapes: &[(String, Vec<usize>)], device: &Device, seed: u64, gain: impl Fn(&str) -> Option<f32>) -> Result<Self> {
        use rand::SeedableRng;
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let params = Parameters { varmap, device: device.clone() };
        for (name, shape) in shapes {
            vb.get_with_hints(shape.clone(), name, Init::Const(0.0))?;
            let Some(g) = gain(name) else { continue };
            let n: usize = shape.iter().product();
            let fan_in: usize = shape.iter().skip(1).product::<usize>().max(1);
            let std = g * (2.0 / fan_in as f32).sqrt();
            let values: Vec<f32> = (0..n).map(|_| std * crate::data::augment::gauss(&mut rng)).collect();
            params.set(name, &Tensor::from_vec(values, shape.clone(), device)?)?;
        }
        Ok(params)
    }

    /// The device the parameters live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The trainable variables.
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// The tensor called `name`.
    pub fn get(&self, name: &str) -> Result<Tensor> {
        let data = self.varmap.data().lock().map_err(|_| Error::Invalid("parameter lock poisoned".into()))?;
        data.get(name)
            .map(|v| v.as_tensor().clone())
            .ok_or_else(|| Error::ModelMismatch(format!("missing parameter {name}")))
    }

    /// Replaces the values of the tensor called `name`.
    pub fn set(&self, name: &str, values: &Tensor) -> Result<()> {
        let data = self.varmap.data().lock().map_err(|_| Error::Invalid("parameter lock poisoned".into()))?;
        let var = data.get(name).ok_or_else(|| Error::ModelMismatch(format!("missing parameter {name}")))?;
        Ok(var.set(values)?)
    }
}

/// What an architecture says about its parameters: their names and shapes, in order.
pub trait Layout {
    /// Every parameter's name and shape.
    fn parameter_shapes(&self) -> Vec<(String, Vec<usize>)>;
}

/// A network: its architecture and its parameters. The recognizer and the generator are both
/// one ([`crate::models::Recognizer`], [`crate::models::generator::Generator`]), with the
/// accessors below in common and their own layers on top.
pub struct Network<A> {
    /// Shape of the network.
    pub arch: A,
    /// Its parameters.
    pub(crate) params: Parameters,
}

impl<A: Layout> Network<A> {
    /// The device the parameters live on.
    pub fn device(&self) -> &Device {
        self.params.device()
    }

    /// The trainable parameters.
    pub fn varmap(&self) -> &VarMap {
        self.params.varmap()
    }

    /// Number of scalar parameters.
    pub fn parameter_count(&self) -> usize {
        self.arch.parameter_shapes().iter().map(|(_, s)| s.iter().product::<usize>()).sum()
    }

    /// The parameter tensor called `name` (e.g. `conv1.weight`).
    pub fn parameter(&self, name: &str) -> Result<Tensor> {
        self.params.get(name)
    }

    /// Whether every weight is finite (a diverged run's are not).
    pub fn weights_finite(&self) -> Result<bool> {
        for v in self.varmap().all_vars() {
            let s = v.as_tensor().abs()?.sum_all()?.to_dtype(DType::F32)?.to_scalar::<f32>()?;
            if !s.is_finite() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_draws_are_repeatable_and_scaled() {
        let shapes = vec![("a.weight".to_string(), vec![64, 32]), ("a.bias".to_string(), vec![64]), ("b".to_string(), vec![4])];
        let gain = |n: &str| if n == "b" { None } else if n.ends_with("bias") { Some(0.0) } else { Some(1.0) };
        let p = Parameters::seeded(&shapes, &Device::Cpu, 5, gain).unwrap();
        let q = Parameters::seeded(&shapes, &Device::Cpu, 5, gain).unwrap();
        let w = |p: &Parameters, n: &str| p.get(n).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(w(&p, "a.weight"), w(&q, "a.weight"));
        let v = w(&p, "a.weight");
        let std = (v.iter().map(|x| x * x).sum::<f32>() / v.len() as f32).sqrt();
        assert!((std - (2.0f32 / 32.0).sqrt()).abs() < 0.02, "{std}");
        assert!(w(&p, "a.bias").iter().all(|&x| x == 0.0) && w(&p, "b").iter().all(|&x| x == 0.0));
        assert!(p.get("missing").is_err() && p.set("missing", &Tensor::zeros(1, DType::F32, &Device::Cpu).unwrap()).is_err());
    }
}
