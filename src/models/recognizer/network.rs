//! The recognizer: a small CNN over the 28x28 model input, 180 classes, in one of two families.
//!
//! - [`CNN4`]: conv3x3(c1) → ReLU → pool → conv3x3(c2) → ReLU → conv3x3(c3) → ReLU → pool →
//!   conv3x3(c4) → ReLU → flatten (NHWC order) → fc(hidden) → ReLU → dropout → fc(180).
//! - [`RES`]: the same with residual blocks (x + conv3x3(ReLU(conv3x3(x))), then ReLU) in place
//!   of the plain convolutions at a constant width: conv3x3(c1) → ReLU → pool → one block of c1 →
//!   conv3x3(c3) → ReLU → pool → two blocks of c3 → the same head (so c2 = c1 and c4 = c3). Each
//!   block's second convolution starts at zero, so a fresh block passes its input on.
//!
//! On the CPU the layers run as
//! fused custom ops with their own backward ([`crate::models::kernels::conv_op`], [`crate::models::kernels::linear_op`],
//! [`crate::models::kernels::res_block_op`], [`crate::models::kernels::fast_conv`]); on GPUs through candle's conv2d and matmul.

use crate::models::kernels::conv_op::conv_bias_relu;
use crate::models::kernels::linear_op::linear_bias_relu;
use crate::models::kernels::res_block_op::res_block;
use crate::data::classes::{self, NUM_CLASSES};
use crate::error::{Error, Result};
use crate::ink::{ModelInput, INPUT_SIDE};
use candle_core::{Device, Tensor, D};
use crate::models::parameters::{Layout, Network, Parameters};
use serde::{Deserialize, Serialize};

/// The network's shape; stored in checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Architecture {
    /// Architecture family name.
    pub name: String,
    /// Output channels of the four convolutions.
    pub channels: [usize; 4],
    /// Width of the hidden fully connected layer.
    pub hidden: usize,
}

/// The plain four-convolution family's name.
pub const CNN4: &str = "fude-cnn4";
/// The residual family's name.
pub const RES: &str = "fude-res";

impl Default for Architecture {
    fn default() -> Self {
        Architecture {
            name: CNN4.into(),
            channels: [32, 32, 64, 64],
            hidden: 256,
        }
    }
}

impl Architecture {
    /// Every parameter tensor's name and shape, in a fixed order.
    pub fn parameter_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let [_, _, _, c4] = self.channels;
        let flat = (INPUT_SIDE / 4) * (INPUT_SIDE / 4) * c4;
        let mut shapes = Vec::new();
        for (name, o, c) in self.convolutions() {
            shapes.push((format!("{name}.weight"), vec![o, c, 3, 3]));
            shapes.push((format!("{name}.bias"), vec![o]));
        }
        shapes.extend([
            ("fc1.weight".into(), vec![self.hidden, flat]),
            ("fc1.bias".into(), vec![self.hidden]),
            ("fc2.weight".into(), vec![NUM_CLASSES, self.hidden]),
            ("fc2.bias".into(), vec![NUM_CLASSES]),
        ]);
        shapes
    }

    /// Whether this is the residual family ([`RES`]).
    pub fn is_residual(&self) -> bool {
        self.name == RES
    }

    /// The 3x3 convolutions in order: name, output and input channels. [`CNN4`]: conv1–conv4;
    /// [`RES`]: conv1, the block res1 (res1a, res1b), conv3, the blocks res2 and res3.
    pub fn convolutions(&self) -> Vec<(&'static str, usize, usize)> {
        let [c1, c2, c3, c4] = self.channels;
        if self.is_residual() {
            vec![("conv1", c1, 1), ("res1a", c1, c1), ("res1b", c1, c1), ("conv3", c3, c1), ("res2a", c3, c3), ("res2b", c3, c3), ("res3a", c3, c3), ("res3b", c3, c3)]
        } else {
            vec![("conv1", c1, 1), ("conv2", c2, c1), ("conv3", c3, c2), ("conv4", c4, c3)]
        }
    }

    /// Checks the architecture is one this build can run.
    pub fn validate(&self) -> Result<()> {
        if self.name != CNN4 && self.name != RES {
            return Err(Error::ModelMismatch(format!("unknown architecture {:?} (this build runs {CNN4} and {RES})", self.name)));
        }
        if self.channels.iter().chain([&self.hidden]).any(|&c| c == 0 || c > 4096) {
            return Err(Error::ModelMismatch(format!("bad layer sizes {:?}/{}", self.channels, self.hidden)));
        }
        let [c1, c2, c3, c4] = self.channels;
        if self.is_residual() && (c2 != c1 || c4 != c3) {
            return Err(Error::ModelMismatch(format!("{RES} keeps each stage's width: channels {:?} need the second equal to the first and the fourth to the third", self.channels)));
        }
        Ok(())
    }
}

/// One candidate: class and probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Class-table index.
    pub class: usize,
    /// The character.
    pub ch: char,
    /// Probability (softmax).
    pub prob: f32,
}

/// The recognizer network and its parameters.
pub type Recognizer = Network<Architecture>;

impl Layout for Architecture {
    fn parameter_shapes(&self) -> Vec<(String, Vec<usize>)> {
        Architecture::parameter_shapes(self)
    }
}

impl Recognizer {
    /// A freshly initialised network (Kaiming-normal weights, zero biases), the same as
    /// [`Self::new_seeded`] with seed 0.
    pub fn new(arch: Architecture, device: &Device) -> Result<Self> {
        Self::new_seeded(arch, device, 0)
    }

    /// A network initialised deterministically from `seed` (Kaiming-normal weights drawn from a
    /// seeded generator, zero biases), so a training run is reproducible.
    pub fn new_seeded(arch: Architecture, device: &Device, seed: u64) -> Result<Self> {
        arch.validate()?;
        // A residual block's second convolution starts at zero: the block passes its input on.
        let gain = |name: &str| Some(if name.ends_with("bias") || (name.starts_with("res") && name.ends_with("b.weight")) { 0.0 } else { 1.0 });
        let params = Parameters::seeded(&arch.parameter_shapes(), device, seed, gain)?;
        Ok(Recognizer { arch, params })
    }

    /// The weight and bias of layer `name`.
    fn layer(&self, name: &str) -> Result<(Tensor, Tensor)> {
        Ok((self.parameter(&format!("{name}.weight"))?, self.parameter(&format!("{name}.bias"))?))
    }

    /// Logits `(B, 180)` for inputs `(B, 784)` or `(B, 28, 28)`; `train` enables dropout. The
    /// fused CPU ops on the CPU, candle's own ops elsewhere.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.forward_with(x, train, self.params.device().is_cpu())
    }

    /// [`Self::forward`] choosing the path: `fast` uses the fused CPU ops (CPU only), otherwise
    /// candle's own conv2d, max-pool, matmul and ReLU (the reference the fast ops are tested
    /// against; it runs on every device).
    pub fn forward_with(&self, x: &Tensor, train: bool, fast: bool) -> Result<Tensor> {
        let b = x.dim(0)?;
        let conv = |x: &Tensor, name: &str, relu: bool, pooled: bool| -> Result<Tensor> {
            let (w, bias) = self.layer(name)?;
            Ok(if fast {
                conv_bias_relu(x, &w, &bias, relu, pooled)?
            } else {
                let o = w.dim(0)?;
                let y = x.conv2d(&w, 1, 1, 1, 1)?.broadcast_add(&bias.reshape((1, o, 1, 1))?)?;
                let y = if pooled { y.max_pool2d(2)? } else { y };
                if relu { y.relu()? } else { y }
            })
        };
        // x + conv(ReLU(conv(x))), then ReLU.
        let block = |x: &Tensor, name: &str| -> Result<Tensor> {
            if fast {
                let (wa, ba) = self.layer(&format!("{name}a"))?;
                let (wb, bb) = self.layer(&format!("{name}b"))?;
                return Ok(res_block(x, (&wa, &ba), (&wb, &bb))?);
            }
            let h = conv(x, &format!("{name}a"), true, false)?;
            let h = conv(&h, &format!("{name}b"), false, false)?;
            Ok((x + h)?.relu()?)
        };
        let x = if fast {
            x.reshape((b, INPUT_SIDE, INPUT_SIDE, 1))?
        } else {
            x.reshape((b, 1, INPUT_SIDE, INPUT_SIDE))?
        };
        let x = conv(&x, "conv1", true, true)?;
        let x = if self.arch.is_residual() {
            let x = block(&x, "res1")?;
            let x = conv(&x, "conv3", true, true)?;
            block(&block(&x, "res2")?, "res3")?
        } else {
            let x = conv(&x, "conv2", true, false)?;
            let x = conv(&x, "conv3", true, true)?;
            conv(&x, "conv4", true, false)?
        };
        // Flatten in NHWC order on every device so checkpoints are interchangeable.
        let x = if fast { x } else { x.permute((0, 2, 3, 1))? };
        let x = x.flatten_from(1)?;
        let (w1, b1) = self.layer("fc1")?;
        let (w2, b2) = self.layer("fc2")?;
        let mut h = if fast { linear_bias_relu(&x, &w1, &b1, true)? } else { x.matmul(&w1.t()?)?.broadcast_add(&b1)?.relu()? };
        if train {
            h = candle_nn::ops::dropout(&h, 0.3)?;
        }
        Ok(if fast { linear_bias_relu(&h, &w2, &b2, false)? } else { h.matmul(&w2.t()?)?.broadcast_add(&b2)? })
    }

    /// Stacks model inputs into a `(B, 784)` tensor on the model's device.
    pub fn batch_tensor(&self, inputs: &[&ModelInput]) -> Result<Tensor> {
        let flat: Vec<f32> = inputs.iter().flat_map(|i| i.iter().copied()).collect();
        Ok(Tensor::from_vec(flat, (inputs.len(), INPUT_SIDE * INPUT_SIDE), self.params.device())?)
    }

    /// Class probabilities for each input.
    pub fn probabilities(&self, inputs: &[&ModelInput]) -> Result<Vec<Vec<f32>>> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let logits = self.forward(&self.batch_tensor(inputs)?, false)?;
        let probs = candle_nn::ops::softmax(&logits, D::Minus1)?;
        Ok(probs.to_device(&Device::Cpu)?.to_vec2::<f32>()?)
    }

    /// The `k` most likely classes for one input, best first.
    pub fn top_k(&self, input: &ModelInput, k: usize) -> Result<Vec<Prediction>> {
        let probs = self.probabilities(&[input])?;
        Ok(probs.first().map(|p| rank(p, k)).unwrap_or_default())
    }
}

/// The `k` largest probabilities as predictions, best first.
pub fn rank(probs: &[f32], k: usize) -> Vec<Prediction> {
    let mut idx: Vec<usize> = (0..probs.len()).collect();
    idx.sort_by(|&a, &b| probs.get(b).unwrap_or(&0.0).total_cmp(probs.get(a).unwrap_or(&0.0)));
    idx.into_iter()
        .take(k)
        .filter_map(|c| {
            Some(Prediction {
                class: c,
                ch: classes::get(c)?.ch,
                prob: *probs.get(c)?,
            })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use candle_core::DType;

    #[test]
    fn shapes_and_probabilities() {
        let m = Recognizer::new(Architecture::default(), &Device::Cpu).unwrap();
        assert!(m.parameter_count() > 100_000);
        let x = Tensor::zeros((3, 784), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(m.forward(&x, true).unwrap().dims(), &[3, NUM_CLASSES]);
        let input = [0.5f32; 784];
        let top = m.top_k(&input, 5).unwrap();
        assert_eq!(top.len(), 5);
        assert!(top.windows(2).all(|w| w[0].prob >= w[1].prob));
        let p = m.probabilities(&[&input]).unwrap();
        assert!((p[0].iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }

    /// A small fixed task: ten classes of random binary prototypes, seen through noise.
    fn task(n: usize, seed: u64) -> (Tensor, Vec<u32>) {
        use rand::{Rng, SeedableRng};
        let mut proto_rng = rand_chacha::ChaCha8Rng::seed_from_u64(99);
        let protos: Vec<Vec<f32>> = (0..10).map(|_| (0..784).map(|_| if proto_rng.random::<f32>() < 0.3 { 1.0 } else { 0.0 }).collect()).collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let labels: Vec<u32> = (0..n).map(|i| (i % 10) as u32).collect();
        let data: Vec<f32> = labels.iter().flat_map(|&l| protos[l as usize].iter().map(|&p| 0.6 * p + rng.random::<f32>() * 0.8).collect::<Vec<_>>()).collect();
        (Tensor::from_vec(data, (n, 784), &Device::Cpu).unwrap(), labels)
    }

    fn accuracy(m: &Recognizer, x: &Tensor, labels: &[u32], fast: bool) -> f32 {
        let pred = m.forward_with(x, false, fast).unwrap().argmax(D::Minus1).unwrap().to_vec1::<u32>().unwrap();
        pred.iter().zip(labels).filter(|(a, b)| a == b).count() as f32 / labels.len() as f32
    }

    #[test]
    fn training_with_fast_ops_matches_reference_ops() {
        fast_training_matches_reference(Architecture { name: CNN4.into(), channels: [4, 4, 8, 8], hidden: 32 });
    }

    #[test]
    fn residual_training_with_fast_ops_matches_reference_ops() {
        fast_training_matches_reference(Architecture { name: RES.into(), channels: [4, 4, 8, 8], hidden: 32 });
    }

    fn fast_training_matches_reference(arch: Architecture) {
        use crate::models::kernels::adamw::FastAdamW;
        use candle_nn::{AdamW, Optimizer, ParamsAdamW};
        let (test_x, test_y) = task(200, 7);
        let params = ParamsAdamW { lr: 3e-3, weight_decay: 1e-4, ..Default::default() };
        let mut results = Vec::new();
        for fast in [true, false] {
            let m = Recognizer::new_seeded(arch.clone(), &Device::Cpu, 3).unwrap();
            let vars = m.varmap().all_vars();
            let mut fast_opt = FastAdamW::new(vars.clone(), params.clone()).unwrap();
            let mut slow_opt = AdamW::new(vars, params.clone()).unwrap();
            let before = accuracy(&m, &test_x, &test_y, fast);
            // Without dropout (its masks are not seeded), so both runs are the same computation.
            for step in 0..100 {
                let (x, y) = task(32, 1000 + step);
                let y = Tensor::new(y.as_slice(), &Device::Cpu).unwrap();
                let logits = m.forward_with(&x, false, fast).unwrap();
                let loss = candle_nn::loss::cross_entropy(&logits, &y).unwrap();
                if fast { fast_opt.backward_step(&loss).unwrap() } else { slow_opt.backward_step(&loss).unwrap() }
            }
            results.push((before, accuracy(&m, &test_x, &test_y, fast)));
        }
        let ((b_fast, a_fast), (b_ref, a_ref)) = (results[0], results[1]);
        println!("accuracy before {b_fast} / {b_ref}, after: fast ops {a_fast}, reference ops {a_ref}");
        assert!((b_fast - b_ref).abs() < 1e-6, "same network, same start: {b_fast} vs {b_ref}");
        assert!(b_ref < 0.5, "the task is not trivial at start: {b_ref}");
        assert!(a_ref >= 0.9 && a_fast >= 0.9, "both learn the task: fast {a_fast}, reference {a_ref}");
        assert!((a_fast - a_ref).abs() <= 0.03, "fast {a_fast} vs reference {a_ref}");
    }

    #[test]
    fn fast_and_reference_forward_agree() {
        let residual = Architecture { name: RES.into(), ..Architecture::default() };
        for arch in [Architecture::default(), residual] {
            let m = Recognizer::new_seeded(arch, &Device::Cpu, 11).unwrap();
            randomize_zero_weights(&m);
            let (x, _) = task(5, 1);
            let a = m.forward_with(&x, false, true).unwrap();
            let b = m.forward_with(&x, false, false).unwrap();
            let d = (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
            assert!(d < 1e-4, "{}: {d}", m.arch.name);
        }
    }

    /// Gives every parameter that starts at zero (biases, each block's second convolution) small
    /// random values, so that a check of the forward pass covers them.
    pub(crate) fn randomize_zero_weights(m: &Recognizer) {
        for (name, v) in m.varmap().data().lock().unwrap().iter() {
            let t = v.as_tensor();
            if t.abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap() == 0.0 {
                let std = if name.ends_with("bias") { 0.1 } else { 0.05 };
                v.set(&Tensor::randn(0f32, std, t.shape(), &Device::Cpu).unwrap()).unwrap();
            }
        }
    }

    #[test]
    fn a_fresh_residual_block_passes_its_input_on() {
        let arch = Architecture { name: RES.into(), ..Architecture::default() };
        let m = Recognizer::new_seeded(arch.clone(), &Device::Cpu, 2).unwrap();
        for (name, _, _) in arch.convolutions() {
            let w = m.parameter(&format!("{name}.weight")).unwrap().abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
            assert_eq!(w == 0.0, name.starts_with("res") && name.ends_with('b'), "{name}");
        }
        let names: Vec<String> = arch.parameter_shapes().into_iter().map(|(n, _)| n).collect();
        assert!(names.contains(&"res3b.weight".to_string()) && !names.iter().any(|n| n.starts_with("conv2") || n.starts_with("conv4")));
    }

    #[test]
    fn unknown_architectures_are_refused() {
        let a = Architecture { name: "resnet".into(), ..Default::default() };
        assert!(Recognizer::new(a, &Device::Cpu).is_err());
        // A residual block keeps its stage's width.
        let a = Architecture { name: RES.into(), channels: [32, 48, 64, 64], hidden: 256 };
        let err = Recognizer::new(a, &Device::Cpu).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("keeps each stage's width"), "{err}");
        assert!(Recognizer::new(Architecture { name: RES.into(), ..Default::default() }, &Device::Cpu).is_ok());
    }
}
