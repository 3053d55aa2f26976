//! Decoding one picture on the CPU without candle's per-op overhead and with 4/9 of the
//! multiply-adds: the same decoder as [`Generator::decode_logits`], its weights copied into plain
//! buffers, run on one thread (a batch runs its pictures in parallel, one per thread).
//!
//! Each decoder stage upsamples its input 2x (nearest) and convolves it 3x3. An output pixel of
//! parity (py, px) reads only a 2x2 block of the low-resolution input through those nine taps,
//! so the two together are four 2x2 convolutions of the low-resolution input, one per parity,
//! whose weights are sums of the 3x3 taps that read the same low-resolution pixel ("sub-pixel"
//! form). Every stage runs them through a direct vector kernel on planar feature maps
//! ([`crate::models::kernels::parity_conv`]) whose output is the next stage's input as it is.
//! What a stage adds for a class whatever the latent (its bias, the class template's
//! convolution, the class embedding's) is computed once per class and kept. The last 3x3
//! convolution to one channel sums each tap times a shifted row of its plane. Checked against
//! candle's decoder
//! in the tests.

use super::network::Generator;
use crate::data::classes::NUM_CLASSES;
use crate::error::{Error, Result};
use crate::models::kernels::fast_conv::im2col_image;
use crate::models::kernels::parity_conv::{self, ParityStage};
use crate::models::kernels::sgemm::{fill_rows, sgemm, Mat};
use candle_core::{Device, Tensor};

/// The 3x3 rows (or columns) whose taps read low-resolution offset `a` (0 or 1) for an output of
/// parity `p`: offset `p + a − 1` from the output's low-resolution pixel.
fn taps_of(p: usize, a: usize) -> &'static [usize] {
    match (p, a) {
        (0, 0) => &[0],
        (0, _) => &[1, 2],
        (_, 0) => &[0, 1],
        _ => &[2],
    }
}

/// A tensor's values, on the CPU, flattened.
fn values(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.to_device(&Device::Cpu)?.flatten_all()?.to_vec1::<f32>()?)
}

/// One upsample-and-convolve stage.
struct Stage {
    /// The convolution of its input, one 2x2 convolution per output parity; its input and
    /// output layouts give the stage's channels and sides.
    kernel: ParityStage,
    /// Per class, a value added to each input channel (`NUM_CLASSES × cin`).
    embed: Vec<f32>,
    /// Per class, the full-resolution template channel (`NUM_CLASSES × (2·low)²`).
    template: Vec<f32>,
    /// The template channel's 3x3 taps: rows `(ky, kx)`, a column per output.
    template_taps: Vec<f32>,
    /// One per output channel.
    bias: Vec<f32>,
    /// Per class, once first needed: [`Stage::class_part`].
    class_parts: Vec<std::sync::OnceLock<Vec<f32>>>,
}

impl Stage {
    fn new(model: &Generator, i: usize, cin: usize, low: usize) -> Result<Self> {
        let w = model.parameter(&format!("dec.conv{i}.weight"))?;
        let (cout, c1, k, k2) = w.dims4()?;
        if c1 != cin + 1 || k != 3 || k2 != 3 {
            return Err(Error::ModelMismatch(format!("dec.conv{i}: {c1} input channels of {k}x{k2}, expected {} of 3x3", cin + 1)));
        }
        let w = values(&w)?;
        let at = |o: usize, c: usize, ky: usize, kx: usize| w.get(((o * c1 + c) * 3 + ky) * 3 + kx).copied().unwrap_or(0.0);
        // Per parity (py, px), the 2x2 weights: rows (a, b, channel), a column per output.
        let mut parity = Vec::with_capacity(4);
        for (py, px) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let mut m = vec![0f32; 4 * cin * cout];
            for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                for c in 0..cin {
                    let row = ((a * 2 + b) * cin + c) * cout;
                    for (o, v) in m.iter_mut().skip(row).take(cout).enumerate() {
                        *v = taps_of(py, a).iter().flat_map(|&ky| taps_of(px, b).iter().map(move |&kx| (ky, kx))).map(|(ky, kx)| at(o, c, ky, kx)).sum();
                    }
                }
            }
            parity.push(m);
        }
        let kernel = ParityStage::new(&parity, cin, cout, low).ok_or_else(|| Error::ModelMismatch(format!("dec.conv{i}: an empty stage")))?;
        let template_taps = (0..9).flat_map(|t| (0..cout).map(move |o| (t, o))).map(|(t, o)| at(o, cin, t / 3, t % 3)).collect();
        let embed = values(&model.parameter(&format!("dec.embed{i}"))?)?;
        let template = values(&model.parameter(&format!("dec.template{i}"))?)?;
        let bias = values(&model.parameter(&format!("dec.conv{i}.bias"))?)?;
        let r = 2 * low;
        if embed.len() != NUM_CLASSES * cin || template.len() != NUM_CLASSES * r * r || bias.len() != cout {
            return Err(Error::ModelMismatch(format!("dec stage {i}: embedding, template or bias of the wrong size")));
        }
        Ok(Stage { kernel, embed, template, template_taps, bias, class_parts: (0..NUM_CLASSES).map(|_| std::sync::OnceLock::new()).collect() })
    }

    /// The stage's output (after ReLU, planes laid out as [`ParityStage::output`]) for input `x`
    /// (planes laid out as [`ParityStage::input`]) of `class`: the class's constant part
    /// ([`Stage::class_part`]) plus the convolution of `x`.
    fn run(&self, x: &[f32], class: usize) -> Result<Vec<f32>> {
        let part = self.class_part(class)?;
        let mut out = vec![0f32; part.len()];
        if !self.kernel.run(x, part, true, &mut out) {
            return Err(Error::Invalid(format!("decoder stage: an input of {} values, expected {}", x.len(), self.kernel.input().len())));
        }
        Ok(out)
    }

    /// What the stage adds for `class` whatever its input, before the ReLU (computed once per
    /// class and kept, laid out as the stage's output): the bias, the template channel's
    /// convolution and the convolution of the class embedding (added to every input pixel, not
    /// to the zero border). The convolution is linear, so the stage's output is this plus the
    /// convolution of the input alone.
    fn class_part(&self, class: usize) -> Result<&[f32]> {
        let slot = self.class_parts.get(class).ok_or_else(|| Error::Invalid(format!("decoder stage: class {class} is not one of {NUM_CLASSES}")))?;
        if let Some(part) = slot.get() {
            return Ok(part);
        }
        let (input, output) = (self.kernel.input(), self.kernel.output());
        let (low, cin, cout, r) = (input.side, input.channels, output.channels, output.side);
        let bad = || Error::Invalid(format!("decoder stage: no embedding or template for class {class}"));
        let embed = self.embed.get(class * cin..(class + 1) * cin).ok_or_else(bad)?;
        let template = self.template.get(class * r * r..(class + 1) * r * r).ok_or_else(bad)?;
        let mut fixed = vec![0f32; r * r * cout];
        fill_rows(&mut fixed, &self.bias);
        // A class template is dense (learned), so its 3x3 taps go through one matrix product.
        let mut template_cols = vec![0f32; r * r * 9];
        im2col_image(template, (r, r, 1), 3, &mut template_cols);
        if !sgemm(&mut fixed, true, Mat::rows(&template_cols, r * r, 9), Mat::rows(&self.template_taps, 9, cout), 1) {
            return Err(Error::Invalid("decoder stage: template shapes".into()));
        }
        let fixed = output.from_nhwc(&fixed, None);
        let embedded = input.from_nhwc(&vec![0f32; low * low * cin], Some(embed));
        let mut part = vec![0f32; fixed.len()];
        if !self.kernel.run(&embedded, &fixed, false, &mut part) {
            return Err(Error::Invalid("decoder stage: buffer sizes".into()));
        }
        // Another thread may have filled the slot meanwhile, with the same values.
        let _ = slot.set(part);
        slot.get().map(Vec::as_slice).ok_or_else(bad)
    }
}

/// The generator's decoder, ready for fast single-picture CPU decoding.
pub struct CpuDecoder {
    latent: usize,
    hidden: usize,
    side: usize,
    /// `(latent + NUM_CLASSES) × hidden`: a row per latent value, then one per class.
    fc1: Vec<f32>,
    fc1_bias: Vec<f32>,
    /// `hidden × base²·c`.
    fc2: Vec<f32>,
    fc2_bias: Vec<f32>,
    stages: Vec<Stage>,
    /// The last 3x3 convolution to one channel: rows `(ky, kx, channel)`.
    out_taps: Vec<f32>,
    out_bias: f32,
}

impl CpuDecoder {
    /// Copies the decoder's weights out of a generator.
    pub fn new(model: &Generator) -> Result<Self> {
        let a = &model.arch;
        let get = |n: &str| model.parameter(n);
        let fc1 = values(&get("dec.fc1.weight")?.t()?.contiguous()?)?;
        let fc2 = values(&get("dec.fc2.weight")?.t()?.contiguous()?)?;
        let (fc1_bias, fc2_bias) = (values(&get("dec.fc1.bias")?)?, values(&get("dec.fc2.bias")?)?);
        let base = a.base();
        let mut cin = a.encoder_channels.last().copied().unwrap_or(1);
        if fc1.len() != (a.latent + NUM_CLASSES) * a.hidden || fc2.len() != a.hidden * base * base * cin || fc2_bias.len() != base * base * cin {
            return Err(Error::ModelMismatch("decoder fully connected layers of the wrong size".into()));
        }
        let mut stages = Vec::new();
        for (i, &c) in a.decoder_channels.iter().enumerate() {
            stages.push(Stage::new(model, i, cin, base << i)?);
            cin = c;
        }
        let w = values(&get("dec.out.weight")?)?;
        if w.len() != 9 * cin {
            return Err(Error::ModelMismatch("dec.out: wrong size".into()));
        }
        // (1, C, ky, kx) → rows (ky, kx, c).
        let out_taps = (0..9).flat_map(|t| (0..cin).map(move |c| (t, c))).map(|(t, c)| w.get(c * 9 + t).copied().unwrap_or(0.0)).collect();
        let out_bias = values(&get("dec.out.bias")?)?.first().copied().unwrap_or(0.0);
        Ok(CpuDecoder { latent: a.latent, hidden: a.hidden, side: a.side, fc1, fc1_bias, fc2, fc2_bias, stages, out_taps, out_bias })
    }

    /// Pictures (`side²` values each, ink bright, 0..=1) decoded as `sigmoid(sharpness · logit)`
    /// for (class, latent) pairs: the fully connected layers of all of them as one matrix product
    /// (their weights are read once, not once a picture), then one picture per thread.
    pub fn decode(&self, jobs: &[(usize, &[f32])], sharpness: f32) -> Result<Vec<Vec<f32>>> {
        use rayon::prelude::*;
        let sharp = |logits: Vec<f32>| logits.into_iter().map(|l| 1.0 / (1.0 + (-sharpness * l).exp())).collect();
        let starts = self.fully_connected(jobs, rayon::current_num_threads())?;
        let width = self.fc2_bias.len().max(1);
        starts.par_chunks(width).zip(jobs).map(|(x, (c, _))| Ok(sharp(self.convolve(x, *c)?))).collect()
    }

    /// Side of the pictures it writes.
    pub fn side(&self) -> usize {
        self.side
    }

    /// Pixel logits (`side²`) of `class` written in latent `z`.
    pub fn decode_logits(&self, class: usize, z: &[f32]) -> Result<Vec<f32>> {
        let start = self.fully_connected(&[(class, z)], 1)?;
        self.convolve(&start, class)
    }

    /// The decoder's first feature maps (`base²·c` values a job, after ReLU) for each
    /// (class, latent), row by row: the latent and the class's one-hot through the two fully
    /// connected layers, the second one product for all jobs on up to `threads` threads.
    fn fully_connected(&self, jobs: &[(usize, &[f32])], threads: usize) -> Result<Vec<f32>> {
        let h = self.hidden;
        let mut hidden = Vec::with_capacity(jobs.len() * h);
        for (class, z) in jobs {
            if z.len() != self.latent || *class >= NUM_CLASSES {
                return Err(Error::Invalid(format!("a latent of {} values and a class below {NUM_CLASSES}, got {} and {class}", self.latent, z.len())));
            }
            // The input is z and the class's one-hot: its row is added once.
            let mut h1 = self.fc1_bias.clone();
            for (&v, row) in z.iter().zip(self.fc1.chunks_exact(h)) {
                h1.iter_mut().zip(row).for_each(|(d, &w)| *d += v * w);
            }
            let class_row = self.fc1.get((self.latent + class) * h..(self.latent + class + 1) * h).unwrap_or(&[]);
            h1.iter_mut().zip(class_row).for_each(|(d, &w)| *d = (*d + w).max(0.0));
            hidden.extend(h1);
        }
        let width = self.fc2_bias.len();
        let mut x = vec![0f32; jobs.len() * width];
        fill_rows(&mut x, &self.fc2_bias);
        if !sgemm(&mut x, true, Mat::rows(&hidden, jobs.len(), h), Mat::rows(&self.fc2, h, width), threads.max(1)) {
            return Err(Error::Invalid("decoder fully connected layer: matrix shapes".into()));
        }
        x.iter_mut().for_each(|v| *v = v.max(0.0));
        Ok(x)
    }

    /// Pixel logits (`side²`) of `class` from its first feature maps `start` (NHWC): the
    /// upsampling stages on planes, then the last convolution.
    fn convolve(&self, start: &[f32], class: usize) -> Result<Vec<f32>> {
        let (Some(first), Some(last)) = (self.stages.first(), self.stages.last()) else {
            return Err(Error::ModelMismatch("a decoder without stages".into()));
        };
        let mut x = first.kernel.input().from_nhwc(start, None);
        for stage in &self.stages {
            x = stage.run(&x, class)?;
        }
        parity_conv::conv3x3_to_one(last.kernel.output(), &x, &self.out_taps, self.out_bias)
            .filter(|out| out.len() == self.side * self.side)
            .ok_or_else(|| Error::Invalid("decoder output: sizes".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::generator::GeneratorArchitecture;

    #[test]
    fn matches_candle_decoder() {
        // The default shapes (stages of 64, 32 and 16 outputs) at 32 and 64 pixels, the bundled
        // thin decoder; sides of 7 and 14 pixels (not whole vectors) and outputs that do not
        // fill whole blocks of 8 channels.
        let thin = GeneratorArchitecture { decoder_channels: vec![32, 16, 8], ..GeneratorArchitecture::for_side(64) };
        let odd = GeneratorArchitecture { decoder_channels: vec![12, 6], ..GeneratorArchitecture::for_side(28) };
        for arch in [GeneratorArchitecture::for_side(32), GeneratorArchitecture::for_side(64), thin, GeneratorArchitecture::for_side(28), odd] {
            let side = arch.side;
            let g = Generator::new_seeded(arch, &Device::Cpu, 3).unwrap();
            // Non-zero biases and embeddings too.
            for (name, v) in g.varmap().data().lock().unwrap().iter() {
                if name.ends_with("bias") || name.contains("embed") {
                    let t = v.as_tensor();
                    v.set(&Tensor::randn(0f32, 0.1, t.shape(), &Device::Cpu).unwrap()).unwrap();
                }
            }
            let fast = CpuDecoder::new(&g).unwrap();
            for class in [0usize, 57, 179] {
                let z = Tensor::randn(0f32, 1.0, (1, 16), &Device::Cpu).unwrap();
                let zv = z.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let want = g.decode_logits(&z, &g.one_hot(&[class]).unwrap()).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let got = fast.decode_logits(class, &zv).unwrap();
                assert_eq!(got.len(), side * side);
                let worst = want.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
                let scale = want.iter().map(|v| v.abs()).fold(0f32, f32::max);
                assert!(worst <= 1e-4 * scale.max(1.0), "side {side} class {class}: max difference {worst} (largest logit {scale})");
            }
            // A batch (its fully connected layers as one product) decodes each picture as alone.
            let z = vec![0.4f32; 16];
            let jobs: Vec<(usize, &[f32])> = [3usize, 90, 170].iter().map(|&c| (c, z.as_slice())).collect();
            let batch = fast.decode(&jobs, 2.0).unwrap();
            for ((c, z), got) in jobs.iter().zip(&batch) {
                let alone: Vec<f32> = fast.decode_logits(*c, z).unwrap().iter().map(|l| 1.0 / (1.0 + (-2.0 * l).exp())).collect();
                assert!(alone.iter().zip(got).all(|(a, b)| (a - b).abs() < 1e-5), "class {c}");
            }
            assert!(fast.decode(&[(3, &z), (180, &z)], 1.0).is_err());
            assert!(fast.decode_logits(180, &[0.0; 16]).is_err());
            assert!(fast.decode_logits(0, &[0.0; 15]).is_err());
        }
    }
}
