//! The generator network: a class-conditional VAE over square ink images.
//!
//! Encoder q(z | image, class): `stages` × [conv3x3 → ReLU → 2x2 max-pool] → flatten (NHWC) ⊕
//! one-hot class → fc(hidden) → ReLU → fc(2·latent) = (μ, log σ²).
//! Decoder p(image | z, class): z ⊕ one-hot class → fc(hidden) → ReLU → fc(base²·C) → ReLU →
//! `stages` × [nearest-neighbour 2x upsampling → + class embedding (one learned bias per channel
//! and class) ⊕ the class's template at that resolution (one extra channel) → conv3x3 → ReLU] →
//! conv3x3 → one logit per pixel (a Bernoulli likelihood on the ink intensity). The templates
//! are learned too, starting from a plain font rendering of each letter
//! ([`crate::data::fonts::class_templates`]). The class enters every stage, so the decoder takes
//! the letter's identity from the label and the latent is left with the style: with the label
//! only at the input, a first training run put the letter itself into z and ignored the label
//! (180 one-hot columns each learn from 1/180 of the images; the templates give every image the
//! same job, redrawing a picture of the letter in a style). Upsampling plus the fused convolution replaces
//! a transposed convolution. On the CPU the layers run through the shared fast kernels
//! ([`crate::models::kernels`]); elsewhere through candle's own ops (also the tests' reference).

use crate::data::classes::NUM_CLASSES;
use crate::error::{Error, Result};
use crate::models::kernels::conv_op::conv_bias_relu;
use crate::models::kernels::linear_op::linear_bias_relu;
use candle_core::{Device, Tensor, D};
use crate::models::parameters::{Layout, Network, Parameters};
use serde::{Deserialize, Serialize};

/// Architecture family name written in checkpoints.
pub const GENERATOR_ARCH: &str = "fude-cvae1";

/// The generator's shape; stored in checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratorArchitecture {
    /// Architecture family name ([`GENERATOR_ARCH`]).
    pub name: String,
    /// Side of the square images it reads and writes (64, or 28 for Kuzushiji-49-sized data).
    pub side: usize,
    /// Latent dimensions.
    pub latent: usize,
    /// Encoder convolution channels, one per stage (each stage halves the side).
    pub encoder_channels: Vec<usize>,
    /// Decoder convolution channels, one per stage (each stage doubles the side).
    pub decoder_channels: Vec<usize>,
    /// Width of the hidden fully connected layers.
    pub hidden: usize,
}

impl Default for GeneratorArchitecture {
    fn default() -> Self {
        Self::for_side(64)
    }
}

impl GeneratorArchitecture {
    /// The default shape for images of `side` pixels: three stages at 64 (8x8 at the bottom),
    /// two at 28 (7x7).
    pub fn for_side(side: usize) -> Self {
        let (enc, dec) = if side >= 48 { (vec![16, 32, 64], vec![64, 32, 16]) } else { (vec![16, 32], vec![64, 32]) };
        GeneratorArchitecture {
            name: GENERATOR_ARCH.into(),
            side,
            latent: 16,
            encoder_channels: enc,
            decoder_channels: dec,
            hidden: 256,
        }
    }

    /// Number of halvings / doublings.
    pub fn stages(&self) -> usize {
        self.encoder_channels.len()
    }

    /// Side of the smallest feature map.
    pub fn base(&self) -> usize {
        self.side >> self.stages()
    }

    /// Checks the shape is one this build can run.
    pub fn validate(&self) -> Result<()> {
        if self.name != GENERATOR_ARCH {
            return Err(Error::ModelMismatch(format!("unknown generator architecture {:?} (this build runs {GENERATOR_ARCH})", self.name)));
        }
        let stages = self.stages();
        if stages == 0 || stages > 4 || self.decoder_channels.len() != stages {
            return Err(Error::ModelMismatch(format!(
                "{} encoder and {} decoder stages (1 to 4 each, the same number)",
                stages,
                self.decoder_channels.len()
            )));
        }
        if !(8..=128).contains(&self.side) || self.base() == 0 || self.base() << stages != self.side {
            return Err(Error::ModelMismatch(format!("side {} is not 8..=128 and divisible by 2^{stages}", self.side)));
        }
        let sizes = self.encoder_channels.iter().chain(&self.decoder_channels).chain([&self.hidden]);
        if sizes.into_iter().any(|&c| c == 0 || c > 1024) || !(1..=64).contains(&self.latent) {
            return Err(Error::ModelMismatch(format!(
                "bad layer sizes {:?}/{:?}/{} or latent {}",
                self.encoder_channels, self.decoder_channels, self.hidden, self.latent
            )));
        }
        Ok(())
    }

    fn flat(&self) -> usize {
        let c = self.encoder_channels.last().copied().unwrap_or(1);
        self.base() * self.base() * c
    }

    fn decoder_in(&self) -> usize {
        // The decoder starts with as many channels as the encoder ends with.
        self.encoder_channels.last().copied().unwrap_or(1)
    }

    /// Every parameter tensor's name and shape, in a fixed order.
    pub fn parameter_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let mut v: Vec<(String, Vec<usize>)> = Vec::new();
        let mut c_in = 1;
        for (i, &c) in self.encoder_channels.iter().enumerate() {
            v.push((format!("enc.conv{i}.weight"), vec![c, c_in, 3, 3]));
            v.push((format!("enc.conv{i}.bias"), vec![c]));
            c_in = c;
        }
        v.push(("enc.fc.weight".into(), vec![self.hidden, self.flat() + NUM_CLASSES]));
        v.push(("enc.fc.bias".into(), vec![self.hidden]));
        v.push(("enc.out.weight".into(), vec![2 * self.latent, self.hidden]));
        v.push(("enc.out.bias".into(), vec![2 * self.latent]));
        v.push(("dec.fc1.weight".into(), vec![self.hidden, self.latent + NUM_CLASSES]));
        v.push(("dec.fc1.bias".into(), vec![self.hidden]));
        v.push(("dec.fc2.weight".into(), vec![self.base() * self.base() * self.decoder_in(), self.hidden]));
        v.push(("dec.fc2.bias".into(), vec![self.base() * self.base() * self.decoder_in()]));
        let mut c_in = self.decoder_in();
        for (i, &c) in self.decoder_channels.iter().enumerate() {
            let r = self.base() << (i + 1);
            v.push((format!("dec.embed{i}"), vec![NUM_CLASSES, c_in]));
            v.push((format!("dec.template{i}"), vec![NUM_CLASSES, r * r]));
            v.push((format!("dec.conv{i}.weight"), vec![c, c_in + 1, 3, 3]));
            v.push((format!("dec.conv{i}.bias"), vec![c]));
            c_in = c;
        }
        v.push(("dec.out.weight".into(), vec![1, c_in, 3, 3]));
        v.push(("dec.out.bias".into(), vec![1]));
        v
    }
}

/// The loss of one batch, every part a scalar tensor except `kl_per_dim`.
pub struct VaeLoss {
    /// What the optimiser minimises: reconstruction + β · KL (with free bits).
    pub objective: Tensor,
    /// Reconstruction: Bernoulli negative log-likelihood summed over pixels, mean per image (nats).
    pub reconstruction: Tensor,
    /// KL(q(z|x,c) ‖ N(0, I)) per image, mean (nats).
    pub kl: Tensor,
    /// Mean KL of each latent dimension over the batch, `(latent)`.
    pub kl_per_dim: Tensor,
}

/// The class-conditional VAE and its parameters.
pub type Generator = Network<GeneratorArchitecture>;

impl Layout for GeneratorArchitecture {
    fn parameter_shapes(&self) -> Vec<(String, Vec<usize>)> {
        GeneratorArchitecture::parameter_shapes(self)
    }
}

impl Generator {
    /// A network initialised deterministically from `seed` (Kaiming-normal weights, zero biases,
    /// the templates rendered from the bundled fonts).
    pub fn new_seeded(arch: GeneratorArchitecture, device: &Device, seed: u64) -> Result<Self> {
        let g = Self::build(arch, device, seed)?;
        for i in 0..g.arch.stages() {
            let r = g.arch.base() << (i + 1);
            let t: Vec<f32> = crate::data::fonts::class_templates(r).into_iter().flatten().collect();
            g.params.set(&format!("dec.template{i}"), &Tensor::from_vec(t, (NUM_CLASSES, r * r), device)?)?;
        }
        Ok(g)
    }

    /// A network of `arch` whose weights are about to be loaded (templates left blank).
    pub(crate) fn for_loading(arch: GeneratorArchitecture, device: &Device) -> Result<Self> {
        Self::build(arch, device, 0)
    }

    fn build(arch: GeneratorArchitecture, device: &Device, seed: u64) -> Result<Self> {
        arch.validate()?;
        // The output layers start small, so training starts near the mean image and N(0, I);
        // biases and templates are not drawn.
        let gain = |name: &str| match name {
            n if n.ends_with("bias") || n.contains("template") => None,
            n if n.starts_with("dec.out") || n.starts_with("enc.out") => Some(0.1),
            _ => Some(1.0),
        };
        let params = Parameters::seeded(&arch.parameter_shapes(), device, seed, gain)?;
        Ok(Generator { arch, params })
    }

    fn pair(&self, prefix: &str) -> Result<(Tensor, Tensor)> {
        Ok((self.parameter(&format!("{prefix}.weight"))?, self.parameter(&format!("{prefix}.bias"))?))
    }

    fn fast(&self) -> bool {
        self.params.device().is_cpu()
    }

    /// One-hot rows `(B, 180)` for class indices.
    pub fn one_hot(&self, classes: &[usize]) -> Result<Tensor> {
        let mut v = vec![0f32; classes.len() * NUM_CLASSES];
        for (row, &c) in classes.iter().enumerate() {
            if c >= NUM_CLASSES {
                return Err(Error::Invalid(format!("class index {c} is outside the class table")));
            }
            if let Some(x) = v.get_mut(row * NUM_CLASSES + c) {
                *x = 1.0;
            }
        }
        Ok(Tensor::from_vec(v, (classes.len(), NUM_CLASSES), self.params.device())?)
    }

    /// Stacks images of `side²` values into `(B, side²)` on the model's device.
    pub fn batch_tensor(&self, images: &[&[f32]]) -> Result<Tensor> {
        let n = self.arch.side * self.arch.side;
        if let Some(bad) = images.iter().find(|i| i.len() != n) {
            return Err(Error::Invalid(format!("image of {} values, the generator works on {n}", bad.len())));
        }
        let flat: Vec<f32> = images.iter().flat_map(|i| i.iter().copied()).collect();
        Ok(Tensor::from_vec(flat, (images.len(), n), self.params.device())?)
    }

    fn linear(&self, x: &Tensor, prefix: &str, relu: bool, fast: bool) -> Result<Tensor> {
        let (w, b) = self.pair(prefix)?;
        Ok(if fast {
            linear_bias_relu(x, &w, &b, relu)?
        } else {
            let y = x.matmul(&w.t()?)?.broadcast_add(&b)?;
            if relu { y.relu()? } else { y }
        })
    }

    /// 3x3 "same" convolution + bias (+ ReLU) (+ 2x2 max-pool) on NHWC tensors.
    fn conv(&self, x: &Tensor, prefix: &str, relu: bool, pool: bool, fast: bool) -> Result<Tensor> {
        let (w, b) = self.pair(prefix)?;
        if fast {
            return Ok(conv_bias_relu(x, &w, &b, relu, pool)?);
        }
        let o = w.dim(0)?;
        let mut y = x.permute((0, 3, 1, 2))?.conv2d(&w, 1, 1, 1, 1)?.broadcast_add(&b.reshape((1, o, 1, 1))?)?;
        if relu {
            y = y.relu()?;
        }
        let y = y.permute((0, 2, 3, 1))?;
        if !pool {
            return Ok(y.contiguous()?);
        }
        // 2x2 max-pool as reshape + max: candle's max_pool2d backward scales gradients by 1/4.
        let (bs, h, wd, o) = y.dims4()?;
        let (h2, w2) = (h / 2, wd / 2);
        let y = y.narrow(1, 0, 2 * h2)?.narrow(2, 0, 2 * w2)?.contiguous()?;
        Ok(y.reshape((bs, h2, 2, w2, 2, o))?.max(4)?.max(2)?)
    }

    /// (μ, log σ²), each `(B, latent)`, for images `(B, side²)` of classes `one_hot` `(B, 180)`.
    pub fn encode(&self, x: &Tensor, one_hot: &Tensor) -> Result<(Tensor, Tensor)> {
        self.encode_with(x, one_hot, self.fast())
    }

    fn encode_with(&self, x: &Tensor, one_hot: &Tensor, fast: bool) -> Result<(Tensor, Tensor)> {
        let b = x.dim(0)?;
        let side = self.arch.side;
        let mut h = x.reshape((b, side, side, 1))?;
        for i in 0..self.arch.stages() {
            h = self.conv(&h, &format!("enc.conv{i}"), true, true, fast)?;
        }
        let h = Tensor::cat(&[&h.flatten_from(1)?, one_hot], 1)?;
        let h = self.linear(&h, "enc.fc", true, fast)?;
        let out = self.linear(&h, "enc.out", false, fast)?;
        let l = self.arch.latent;
        let mu = out.narrow(1, 0, l)?;
        let logvar = out.narrow(1, l, l)?.clamp(-12f32, 8f32)?;
        Ok((mu, logvar))
    }

    /// Pixel logits `(B, side²)` for latents `(B, latent)` of classes `one_hot` `(B, 180)`.
    pub fn decode_logits(&self, z: &Tensor, one_hot: &Tensor) -> Result<Tensor> {
        self.decode_with(z, one_hot, self.fast())
    }

    fn decode_with(&self, z: &Tensor, one_hot: &Tensor, fast: bool) -> Result<Tensor> {
        let b = z.dim(0)?;
        let h = Tensor::cat(&[z, one_hot], 1)?;
        let h = self.linear(&h, "dec.fc1", true, fast)?;
        let h = self.linear(&h, "dec.fc2", true, fast)?;
        let base = self.arch.base();
        let mut h = h.reshape((b, base, base, self.arch.decoder_in()))?;
        for i in 0..self.arch.stages() {
            let embed = one_hot.matmul(&self.parameter(&format!("dec.embed{i}"))?)?;
            let c = embed.dim(1)?;
            let r = 2 * h.dim(1)?;
            let template = one_hot.matmul(&self.parameter(&format!("dec.template{i}"))?)?.reshape((b, r, r, 1))?;
            h = if fast {
                // Upsampling, the embedding's add and the template's channel in one pass.
                crate::models::kernels::upsample_op::stage_input(&h, &embed, &template)?
            } else {
                Tensor::cat(&[&upsample2_nhwc(&h)?.broadcast_add(&embed.reshape((b, 1, 1, c))?)?, &template], 3)?
            };
            h = self.conv(&h, &format!("dec.conv{i}"), true, false, fast)?;
        }
        let out = self.conv(&h, "dec.out", false, false, fast)?;
        Ok(out.reshape((b, self.arch.side * self.arch.side))?)
    }

    /// Mean images (ink intensity 0..=1, `(B, side²)`) for latents and classes.
    pub fn decode(&self, z: &Tensor, one_hot: &Tensor) -> Result<Tensor> {
        Ok(candle_nn::ops::sigmoid(&self.decode_logits(z, one_hot)?)?)
    }

    /// The training loss for images `x` `(B, side²)` of classes `one_hot`, with standard normal
    /// noise `eps` `(B, latent)` for the reparameterisation, KL weight `beta` and `free_bits`
    /// nats per latent dimension below which the KL is not penalised.
    pub fn loss(&self, x: &Tensor, one_hot: &Tensor, eps: &Tensor, beta: f64, free_bits: f32) -> Result<VaeLoss> {
        self.loss_with(x, one_hot, eps, beta, free_bits, self.fast())
    }

    fn loss_with(&self, x: &Tensor, one_hot: &Tensor, eps: &Tensor, beta: f64, free_bits: f32, fast: bool) -> Result<VaeLoss> {
        let (mu, logvar) = self.encode_with(x, one_hot, fast)?;
        let z = (&mu + (logvar.affine(0.5, 0.0)?.exp()? * eps)?)?;
        let logits = self.decode_with(&z, one_hot, fast)?;
        vae_loss(&logits, x, &mu, &logvar, beta, free_bits)
    }
}

/// The VAE's loss for pixel `logits` of images `x` `(N, side²)` decoded from posteriors
/// (`mu`, `logvar`) — one row per image, or one per style group, whose KL is then spread over
/// the group's images: reconstruction per image plus β · the KL per image (with free bits).
fn vae_loss(logits: &Tensor, x: &Tensor, mu: &Tensor, logvar: &Tensor, beta: f64, free_bits: f32) -> Result<VaeLoss> {
    let reconstruction = bce_with_logits(logits, x)?.sum(D::Minus1)?.mean_all()?;
    // KL of N(μ, σ²) from N(0, 1), per element: ½(μ² + σ² − 1 − log σ²).
    let kl_el = ((mu.sqr()? + logvar.exp()?)? - logvar)?.affine(0.5, -0.5)?;
    let images = x.dim(0)?.max(1) as f64;
    let kl_per_dim = kl_el.sum(0)?.affine(1.0 / images, 0.0)?;
    let kl = kl_per_dim.sum_all()?;
    let penalised = kl_per_dim.maximum(free_bits)?.sum_all()?;
    let objective = (&reconstruction + penalised.affine(beta, 0.0)?)?;
    Ok(VaeLoss { objective, reconstruction, kl, kl_per_dim })
}

/// The loss of a batch of style groups ([`Generator::group_loss`]).
pub struct GroupLoss {
    /// The VAE's loss per image, its KL that of each group's shared style spread over the
    /// group's images.
    pub vae: VaeLoss,
    /// The reconstructions' pixel logits `(N, side²)`, for terms that judge them.
    pub logits: Tensor,
    /// The style latent drawn for each group `(G, latent)`, for terms that decode other letters
    /// in the group's style.
    pub styles: Tensor,
}

impl Generator {
    /// The style posterior of each group: the product of the Gaussians each of its images gives
    /// (precisions add, means are precision-weighted), so several letters of one style pin the
    /// style down more than one does. `members` `(G, N)` has a 1 where image `n` belongs to
    /// group `g`. Returns (μ, log σ²), each `(G, latent)`.
    pub fn style_posterior(&self, x: &Tensor, one_hot: &Tensor, members: &Tensor) -> Result<(Tensor, Tensor)> {
        let (mu, logvar) = self.encode(x, one_hot)?;
        let precision = logvar.neg()?.exp()?;
        let total = members.matmul(&precision)?;
        let mean = members.matmul(&(mu * &precision)?)?.div(&total)?;
        Ok((mean, total.log()?.neg()?))
    }

    /// The style-group loss: images `x` `(N, side²)` of classes `one_hot`, grouped by `members`
    /// `(G, N)`; one style latent per group is drawn from [`Self::style_posterior`] with noise
    /// `eps` `(G, latent)` and every image of the group is decoded from it with its own class.
    /// Reconstruction is per image; the KL of each group is spread over its images, so groups
    /// of one give [`Self::loss`].
    pub fn group_loss(&self, x: &Tensor, one_hot: &Tensor, members: &Tensor, eps: &Tensor, beta: f64, free_bits: f32) -> Result<GroupLoss> {
        let (mu, logvar) = self.style_posterior(x, one_hot, members)?;
        let z_group = (&mu + (logvar.affine(0.5, 0.0)?.exp()? * eps)?)?;
        let z = members.t()?.matmul(&z_group)?;
        let logits = self.decode_logits(&z, one_hot)?;
        Ok(GroupLoss { vae: vae_loss(&logits, x, &mu, &logvar, beta, free_bits)?, logits, styles: z_group })
    }
}

/// The membership matrix `(G, N)` of groups of the given sizes, images in order.
pub fn group_members(sizes: &[usize], device: &Device) -> Result<Tensor> {
    let n: usize = sizes.iter().sum();
    let mut m = vec![0f32; sizes.len() * n];
    let mut at = 0;
    for (g, &k) in sizes.iter().enumerate() {
        for i in at..at + k {
            if let Some(v) = m.get_mut(g * n + i) {
                *v = 1.0;
            }
        }
        at += k;
    }
    Ok(Tensor::from_vec(m, (sizes.len(), n), device)?)
}

/// Nearest-neighbour 2x upsampling of an NHWC tensor (any device; candle derives the backward,
/// a sum over each 2x2 block).
pub fn upsample2_nhwc(x: &Tensor) -> Result<Tensor> {
    let (b, h, w, c) = x.dims4()?;
    Ok(x.reshape((b, h, 1, w, 1, c))?
        .broadcast_as((b, h, 2, w, 2, c))?
        .contiguous()?
        .reshape((b, 2 * h, 2 * w, c))?)
}

/// Bernoulli negative log-likelihood of targets `t` in 0..=1 under logits `l`, per element:
/// `softplus(l) − t·l`, computed stably as `max(l, 0) − t·l + log(1 + e^−|l|)`.
pub fn bce_with_logits(l: &Tensor, t: &Tensor) -> Result<Tensor> {
    let soft = (l.abs()?.neg()?.exp()? + 1.0)?.log()?;
    Ok(((l.relu()? - (t * l)?)? + soft)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::DType;

    fn tiny() -> GeneratorArchitecture {
        GeneratorArchitecture {
            name: GENERATOR_ARCH.into(),
            side: 16,
            latent: 4,
            encoder_channels: vec![4, 8],
            decoder_channels: vec![8, 4],
            hidden: 16,
        }
    }

    #[test]
    fn shapes() {
        for arch in [GeneratorArchitecture::default(), GeneratorArchitecture::for_side(28), tiny()] {
            let g = Generator::new_seeded(arch.clone(), &Device::Cpu, 1).unwrap();
            let n = arch.side * arch.side;
            let x = Tensor::zeros((3, n), DType::F32, &Device::Cpu).unwrap();
            let c = g.one_hot(&[0, 5, 179]).unwrap();
            let (mu, logvar) = g.encode(&x, &c).unwrap();
            assert_eq!(mu.dims(), &[3, arch.latent]);
            assert_eq!(logvar.dims(), &[3, arch.latent]);
            let img = g.decode(&mu, &c).unwrap();
            assert_eq!(img.dims(), &[3, n]);
            let v = img.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert!(v.iter().all(|p| (0.0..=1.0).contains(p)));
        }
        assert!(g_count() > 1_000_000, "the 64x64 generator has capacity: {}", g_count());
    }

    fn g_count() -> usize {
        Generator::new_seeded(GeneratorArchitecture::default(), &Device::Cpu, 0).unwrap().parameter_count()
    }

    #[test]
    fn bad_shapes_and_classes_are_refused() {
        let mut a = tiny();
        a.side = 18;
        assert!(a.validate().is_err());
        let mut a = tiny();
        a.decoder_channels.pop();
        assert!(a.validate().is_err());
        let mut a = tiny();
        a.name = "gan".into();
        assert!(Generator::new_seeded(a, &Device::Cpu, 0).is_err());
        let g = Generator::new_seeded(tiny(), &Device::Cpu, 0).unwrap();
        assert!(g.one_hot(&[180]).is_err());
        assert!(g.batch_tensor(&[&[0.0; 10]]).is_err());
    }

    #[test]
    fn same_seed_same_network() {
        let a = Generator::new_seeded(tiny(), &Device::Cpu, 7).unwrap();
        let b = Generator::new_seeded(tiny(), &Device::Cpu, 7).unwrap();
        let c = Generator::new_seeded(tiny(), &Device::Cpu, 8).unwrap();
        let w = |g: &Generator| g.parameter("dec.fc1.weight").unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(w(&a), w(&b));
        assert_ne!(w(&a), w(&c));
    }

    #[test]
    fn bce_matches_the_formula() {
        let l = Tensor::new(&[-30f32, -1.0, 0.0, 2.0, 30.0], &Device::Cpu).unwrap();
        let t = Tensor::new(&[0f32, 1.0, 0.5, 0.25, 1.0], &Device::Cpu).unwrap();
        let got = bce_with_logits(&l, &t).unwrap().to_vec1::<f32>().unwrap();
        for ((l, t), g) in [-30f32, -1.0, 0.0, 2.0, 30.0].into_iter().zip([0f32, 1.0, 0.5, 0.25, 1.0]).zip(got) {
            let p = 1.0 / (1.0 + (-l as f64).exp());
            let want = -(t as f64 * p.max(1e-300).ln() + (1.0 - t as f64) * (1.0 - p).max(1e-300).ln());
            assert!((g as f64 - want).abs() < 1e-4, "l={l} t={t}: {g} vs {want}");
        }
    }

    #[test]
    fn groups_of_one_give_the_plain_loss_and_groups_pool_precision() {
        let g = Generator::new_seeded(tiny(), &Device::Cpu, 3).unwrap();
        let x = Tensor::rand(0f32, 1.0, (4, 256), &Device::Cpu).unwrap();
        let c = g.one_hot(&[1, 2, 3, 4]).unwrap();
        let eps = Tensor::randn(0f32, 1.0, (4, 4), &Device::Cpu).unwrap();
        let plain = g.loss(&x, &c, &eps, 2.0, 0.05).unwrap().objective.to_scalar::<f32>().unwrap();
        let ones = group_members(&[1, 1, 1, 1], &Device::Cpu).unwrap();
        let grouped = g.group_loss(&x, &c, &ones, &eps, 2.0, 0.05).unwrap().vae.objective.to_scalar::<f32>().unwrap();
        assert!((plain - grouped).abs() < 1e-3 * plain.abs(), "{plain} vs {grouped}");
        // Two groups of two: each group's precision is the sum of its images' precisions.
        let m = group_members(&[2, 2], &Device::Cpu).unwrap();
        assert_eq!(m.to_vec2::<f32>().unwrap(), vec![vec![1., 1., 0., 0.], vec![0., 0., 1., 1.]]);
        let (_, lv) = g.encode(&x, &c).unwrap();
        let (mu_g, lv_g) = g.style_posterior(&x, &c, &m).unwrap();
        assert_eq!(mu_g.dims(), &[2, 4]);
        let lv = lv.to_vec2::<f32>().unwrap();
        let lv_g = lv_g.to_vec2::<f32>().unwrap();
        for d in 0..4 {
            let want = -((-lv[0][d]).exp() + (-lv[1][d]).exp()).ln();
            assert!((lv_g[0][d] - want).abs() < 1e-4, "{} vs {want}", lv_g[0][d]);
        }
        // Gradients reach the encoder through the pooled posterior.
        let l = g.group_loss(&x, &c, &m, &eps.narrow(0, 0, 2).unwrap(), 2.0, 0.05).unwrap();
        let grads = l.vae.objective.backward().unwrap();
        let data = g.varmap().data().lock().unwrap();
        let var = data.get("enc.out.weight").unwrap();
        let gw = grads.get(var).unwrap().abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(gw > 0.0);
    }

    #[test]
    fn upsampling_repeats_each_pixel() {
        let x = Tensor::new(&[1f32, 2.0, 3.0, 4.0], &Device::Cpu).unwrap().reshape((1, 2, 2, 1)).unwrap();
        let y = upsample2_nhwc(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(y, vec![1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.]);
    }

    #[test]
    fn fast_and_reference_paths_agree_in_loss_and_gradients() {
        let g = Generator::new_seeded(tiny(), &Device::Cpu, 3).unwrap();
        let x = Tensor::rand(0f32, 1.0, (5, 256), &Device::Cpu).unwrap();
        let c = g.one_hot(&[1, 2, 3, 4, 5]).unwrap();
        let eps = Tensor::randn(0f32, 1.0, (5, 4), &Device::Cpu).unwrap();
        let names: Vec<String> = tiny().parameter_shapes().into_iter().map(|(n, _)| n).collect();
        let run = |fast: bool| {
            let l = g.loss_with(&x, &c, &eps, 0.7, 0.05, fast).unwrap();
            let grads = l.objective.backward().unwrap();
            let data = g.varmap().data().lock().unwrap();
            let gs: Vec<Vec<f32>> = names
                .iter()
                .map(|n| grads.get(data.get(n).unwrap()).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap())
                .collect();
            (l.objective.to_scalar::<f32>().unwrap(), gs)
        };
        let (a, ga) = run(true);
        let (b, gb) = run(false);
        assert!((a - b).abs() < 1e-3 * a.abs().max(1.0), "{a} vs {b}");
        let mut bad = Vec::new();
        for ((n, ga), gb) in names.iter().zip(&ga).zip(&gb) {
            let scale = gb.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
            let diff = ga.iter().zip(gb).fold(0f32, |m, (p, q)| m.max((p - q).abs()));
            println!("{n}: max |fast - reference| {diff:.3e}, reference scale {scale:.3e}");
            if diff / scale >= 2e-3 {
                bad.push(n.clone());
            }
        }
        assert!(bad.is_empty(), "gradients differ: {bad:?}");
    }
}
