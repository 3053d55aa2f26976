//! Single-image inference on the CPU without candle's per-op overhead: the same network as
//! [`Recognizer`] with its weights copied into plain buffers, run on one thread with the `gemm`
//! crate. For interactive use (one drawing at a time) and for many files in parallel, one per
//! thread. Checked against candle's forward in the tests.

use crate::models::kernels::fast_conv::{add_conv3x3_one_channel, im2col_image, max_pool2_image};
use super::network::{rank, Prediction, Recognizer};
use crate::models::kernels::sgemm::{fill_rows, sgemm, Mat};
use crate::error::{Error, Result};
use crate::ink::{ModelInput, INPUT_SIDE};
use candle_core::{Device, Tensor};

/// A weight matrix `rows × cols`, row-major, with one bias per column.
struct Dense {
    rows: usize,
    cols: usize,
    w: Vec<f32>,
    b: Vec<f32>,
}

impl Dense {
    /// From a tensor already laid out `rows × cols` and a bias of `cols`.
    fn new(w: &Tensor, b: &Tensor) -> Result<Self> {
        let (rows, cols) = w.dims2()?;
        let w = w.to_device(&Device::Cpu)?.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let b = b.to_device(&Device::Cpu)?.to_vec1::<f32>()?;
        if b.len() != cols {
            return Err(Error::ModelMismatch(format!("bias of {} for {cols} outputs", b.len())));
        }
        Ok(Dense { rows, cols, w, b })
    }

    /// `out (m × cols) = x (m × rows) · W + b`. One row (the fully connected layers) is a
    /// vector-matrix product that skips the zeros ReLU left in `x`; larger products go to gemm on
    /// this thread (splitting one image's layers over two threads measured slower: the hand-off
    /// costs more than the ~0.1 ms products save).
    fn apply(&self, x: &[f32], m: usize, out: &mut Vec<f32>) -> Result<()> {
        if x.len() < m * self.rows || self.w.len() < self.rows * self.cols {
            return Err(Error::Invalid(format!("dense: input of {} for {m}×{}", x.len(), self.rows)));
        }
        self.fill_bias(m, out);
        if m == 1 {
            for (&xi, row) in x.iter().zip(self.w.chunks_exact(self.cols.max(1))) {
                if xi != 0.0 {
                    out.iter_mut().zip(row).for_each(|(o, &w)| *o += xi * w);
                }
            }
            return Ok(());
        }
        if !sgemm(out, true, Mat::rows(x, m, self.rows), Mat::rows(&self.w, self.rows, self.cols), 1) {
            return Err(Error::Invalid("dense: matrix shapes".into()));
        }
        Ok(())
    }
}

impl Dense {
    /// `out` = `m` rows of the bias (row copies: a flattened-iterator extend was 7% of a prediction).
    fn fill_bias(&self, m: usize, out: &mut Vec<f32>) {
        out.clear();
        out.resize(m * self.cols, 0.0);
        fill_rows(out, &self.b);
    }

    /// A 3x3 "same" convolution of a one-channel `(h, w)` image (this layer's rows are the nine
    /// taps), computed directly ([`add_conv3x3_one_channel`]).
    fn conv_one_channel(&self, x: &[f32], (h, w): (usize, usize), out: &mut Vec<f32>) {
        self.fill_bias(h * w, out);
        add_conv3x3_one_channel(x, (h, w), &self.w, out);
    }
}

/// ReLU in place.
fn relu(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = x.max(0.0));
}

/// The recognizer's network, ready for fast single-image CPU inference.
pub struct CpuRecognizer {
    /// The 3x3 convolutions in the architecture's order ([`crate::models::Architecture::convolutions`]).
    convs: Vec<Dense>,
    fc: Vec<Dense>,
    /// The residual family ([`crate::models::recognizer::network::RES`]).
    residual: bool,
}

impl CpuRecognizer {
    /// Copies the weights out of a recognizer.
    pub fn new(model: &Recognizer) -> Result<Self> {
        let get = |n: &str| model.parameter(n);
        let mut convs = Vec::new();
        for (name, _, _) in model.arch.convolutions() {
            // (O, C, ky, kx) → rows ordered (ky, kx, c) like im2col, one column per output channel.
            let w = get(&format!("{name}.weight"))?;
            let (o, c, k, _) = w.dims4()?;
            let w = w.permute((2, 3, 1, 0))?.reshape((k * k * c, o))?;
            convs.push(Dense::new(&w, &get(&format!("{name}.bias"))?)?);
        }
        let fc = vec![
            Dense::new(&get("fc1.weight")?.t()?, &get("fc1.bias")?)?,
            Dense::new(&get("fc2.weight")?.t()?, &get("fc2.bias")?)?,
        ];
        Ok(CpuRecognizer { convs, fc, residual: model.arch.is_residual() })
    }

    fn conv(&self, i: usize, x: &[f32], (h, w): (usize, usize), cols: &mut Vec<f32>, out: &mut Vec<f32>) -> Result<usize> {
        let layer = self.convs.get(i).ok_or_else(|| Error::Invalid("conv layer".into()))?;
        let c = layer.rows / 9;
        if c == 1 {
            layer.conv_one_channel(x, (h, w), out);
            return Ok(layer.cols);
        }
        // im2col writes every element: what the buffer held before does not matter.
        cols.resize(h * w * layer.rows, 0.0);
        im2col_image(x, (h, w, c), 3, cols);
        layer.apply(cols, h * w, out)?;
        Ok(layer.cols)
    }

    /// The residual block whose convolutions are `first` and `first + 1` on `x` (`side` square):
    /// `out` = ReLU(x + conv(ReLU(conv(x)))); `scratch` holds im2col columns and the block's inside.
    fn block(&self, first: usize, x: &[f32], side: usize, scratch: (&mut Vec<f32>, &mut Vec<f32>), out: &mut Vec<f32>) -> Result<()> {
        let (cols, h) = scratch;
        let _ = self.conv(first, x, (side, side), cols, h)?;
        relu(h);
        let _ = self.conv(first + 1, h, (side, side), cols, out)?;
        if out.len() != x.len() {
            return Err(Error::Invalid("residual block: widths differ".into()));
        }
        out.iter_mut().zip(x).for_each(|(o, v)| *o = (*o + v).max(0.0));
        Ok(())
    }

    /// Class probabilities for one input.
    pub fn probabilities(&self, input: &ModelInput) -> Result<Vec<f32>> {
        Ok(self.features_and_probabilities(input)?.1)
    }

    /// The penultimate features (the hidden layer after ReLU) and the class probabilities for one
    /// input; the features measure how different two characters look to the recognizer.
    pub fn features_and_probabilities(&self, input: &ModelInput) -> Result<(Vec<f32>, Vec<f32>)> {
        let (mut a, mut b, mut cols) = (Vec::new(), Vec::new(), Vec::new());
        let s = INPUT_SIDE;
        let pool = |x: &[f32], (h, w, c): (usize, usize, usize), out: &mut Vec<f32>| {
            out.clear();
            out.resize((h / 2) * (w / 2) * c, 0.0);
            max_pool2_image(x, (h, w, c), out);
        };
        let c1 = self.conv(0, input, (s, s), &mut cols, &mut a)?;
        pool(&a, (s, s, c1), &mut b);
        relu(&mut b);
        let s = s / 2;
        if self.residual {
            let mut h = Vec::new();
            self.block(1, &b, s, (&mut cols, &mut h), &mut a)?;
            let c3 = self.conv(3, &a, (s, s), &mut cols, &mut b)?;
            pool(&b, (s, s, c3), &mut a);
            relu(&mut a);
            let s = s / 2;
            self.block(4, &a, s, (&mut cols, &mut h), &mut b)?;
            self.block(6, &b, s, (&mut cols, &mut h), &mut a)?;
            std::mem::swap(&mut a, &mut b);
        } else {
            let _ = self.conv(1, &b, (s, s), &mut cols, &mut a)?;
            relu(&mut a);
            let c3 = self.conv(2, &a, (s, s), &mut cols, &mut b)?;
            pool(&b, (s, s, c3), &mut a);
            relu(&mut a);
            let s = s / 2;
            let _ = self.conv(3, &a, (s, s), &mut cols, &mut b)?;
            relu(&mut b);
        }
        let (f1, f2) = (self.fc.first(), self.fc.get(1));
        let (Some(f1), Some(f2)) = (f1, f2) else {
            return Err(Error::Invalid("fc layers".into()));
        };
        f1.apply(&b, 1, &mut a)?;
        relu(&mut a);
        f2.apply(&a, 1, &mut b)?;
        let max = b.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for v in b.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        b.iter_mut().for_each(|v| *v /= sum);
        Ok((a, b))
    }

    /// The `k` most likely classes, best first.
    pub fn top_k(&self, input: &ModelInput, k: usize) -> Result<Vec<Prediction>> {
        Ok(rank(&self.probabilities(input)?, k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Architecture;

    #[test]
    fn matches_candle_forward() {
        matches_candle_forward_for(Architecture::default());
    }

    #[test]
    fn residual_matches_candle_forward() {
        matches_candle_forward_for(Architecture { name: crate::models::recognizer::network::RES.into(), ..Architecture::default() });
    }

    fn matches_candle_forward_for(arch: Architecture) {
        let m = Recognizer::new_seeded(arch, &Device::Cpu, 5).unwrap();
        // Non-zero biases and residual branches too.
        crate::models::recognizer::network::tests::randomize_zero_weights(&m);
        let fast = CpuRecognizer::new(&m).unwrap();
        // Dense input, and input that is mostly background (zeros) as drawings are.
        for sparse in [false, true] {
            let mut input = [0f32; 784];
            for (i, v) in input.iter_mut().enumerate() {
                let x = ((i * 37 % 101) as f32 / 100.0).powi(3);
                *v = if sparse && x < 0.5 { 0.0 } else { x };
            }
            let a = fast.probabilities(&input).unwrap();
            let b = m.probabilities(&[&input]).unwrap().remove(0);
            let diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
            assert!(diff < 1e-5, "{diff}");
            let reference = m.forward_with(&m.batch_tensor(&[&input]).unwrap(), false, false).unwrap();
            let reference = candle_nn::ops::softmax(&reference, 1).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let diff = a.iter().zip(&reference).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
            assert!(diff < 1e-5, "against candle's own ops: {diff}");
            assert_eq!(fast.top_k(&input, 3).unwrap()[0].class, m.top_k(&input, 3).unwrap()[0].class);
        }
    }
}
