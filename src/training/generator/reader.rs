//! The frozen recognizer that reads what the generator writes during training, differentiably
//! (the reader's term of [`super::GeneratorConfig::read_weight`]).

use crate::error::Result;
use crate::ink::preprocess::INPUT_SIDE;
use crate::models::recognizer::Recognizer;
use candle_core::Tensor;

/// A frozen recognizer that reads what the generator writes, differentiably: the decoded image
/// is area-averaged to the recognizer's 28x28 (as [`crate::ink::preprocess::boxed_input`] boxes
/// a square image) and scaled so its brightest pixel is 1.
pub struct Reader {
    model: Recognizer,
    /// Area-averaging matrix `(28, side)`.
    shrink: Tensor,
}

impl Reader {
    /// Wraps `model` (its weights are never updated) for images of `side` pixels.
    pub fn new(model: Recognizer, side: usize) -> Result<Self> {
        let shrink = Tensor::from_vec(area_matrix(side, INPUT_SIDE), (INPUT_SIDE, side), model.device())?;
        Ok(Reader { model, shrink })
    }

    /// Mean cross-entropy of the recognizer on images given as pixel logits `(M, side²)`, for
    /// the asked `classes`, the pictures decoded at `sharpness` (`sigmoid(k · logit)`, as a
    /// sidecar's sharpness decodes them).
    pub fn cross_entropy(&self, logits: &Tensor, classes: &[usize], sharpness: f32) -> Result<Tensor> {
        let m = logits.dim(0)?;
        let sharp = if sharpness == 1.0 { logits.clone() } else { logits.affine(f64::from(sharpness), 0.0)? };
        let out = self.model.forward(&self.input(&sharp)?, false)?;
        let labels: Vec<u32> = classes.iter().map(|&c| c as u32).collect();
        let labels = Tensor::from_vec(labels, m, self.model.device())?;
        Ok(candle_nn::loss::cross_entropy(&out, &labels)?)
    }

    /// The recognizer's input `(M, 784)` for pictures given as pixel logits `(M, side²)`.
    pub fn input(&self, logits: &Tensor) -> Result<Tensor> {
        let m = logits.dim(0)?;
        let side = self.shrink.dim(1)?;
        let img = candle_nn::ops::sigmoid(logits)?.reshape((m * side, side))?;
        // Rows, then columns: (M·side, side)·(side, 28) → (M, side, 28) → transposed → · (side, 28).
        let st = self.shrink.t()?;
        let cols = img.matmul(&st)?.reshape((m, side, INPUT_SIDE))?.transpose(1, 2)?.contiguous()?;
        let small = cols.reshape((m * INPUT_SIDE, side))?.matmul(&st)?.reshape((m, INPUT_SIDE, INPUT_SIDE))?.transpose(1, 2)?;
        let small = small.contiguous()?.reshape((m, INPUT_SIDE * INPUT_SIDE))?;
        let peak = (small.max_keepdim(1)? + 1e-3)?;
        Ok(small.broadcast_div(&peak)?)
    }
}

/// The `(out, inp)` matrix that area-averages `inp` pixels to `out`, row-major.
pub fn area_matrix(inp: usize, out: usize) -> Vec<f32> {
    let mut m = vec![0f32; out * inp];
    let scale = inp as f32 / out as f32;
    for o in 0..out {
        let (a, b) = (o as f32 * scale, (o + 1) as f32 * scale);
        for i in (a.floor() as usize)..(b.ceil() as usize).min(inp) {
            let overlap = (b.min(i as f32 + 1.0) - a.max(i as f32)).max(0.0);
            if let Some(v) = m.get_mut(o * inp + i) {
                *v = overlap / scale;
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::classes::NUM_CLASSES;
    use crate::data::{FontSource, Source, Split};
    use crate::ink::InkImage;
    use crate::training::generator::GENERATOR_EVAL_AUGMENT;
    use candle_core::Device;

    #[test]
    fn the_reader_sees_what_predict_sees_and_reads_it() {
        // A clean font render at 64x64, given as logits: the reader's input is the recognizer's
        // own preprocessing of it (up to the level and speck rules), and it is read right.
        let src = FontSource::new(Split::Test);
        let (img, class) = src.eval_ink(64, GENERATOR_EVAL_AUGMENT).into_iter().nth(40).unwrap();
        let boxed = crate::ink::preprocess::boxed_input(&img, 64);
        let logits: Vec<f32> = boxed.iter().map(|&p| { let p = p.clamp(1e-4, 1.0 - 1e-4); (p / (1.0 - p)).ln() }).collect();
        let ck = crate::models::Checkpoint::bundled(&Device::Cpu).unwrap();
        let reader = Reader::new(ck.model, 64).unwrap();
        let t = Tensor::from_vec(logits, (1, 64 * 64), &Device::Cpu).unwrap();
        let got = reader.input(&t).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let want = crate::ink::model_input(&InkImage { width: 64, height: 64, data: boxed });
        let worst = got.iter().zip(want.iter()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 0.15, "largest pixel difference {worst}");
        let right = reader.cross_entropy(&t, &[class], 1.0).unwrap().to_scalar::<f32>().unwrap();
        let wrong = reader.cross_entropy(&t, &[(class + 1) % NUM_CLASSES], 1.0).unwrap().to_scalar::<f32>().unwrap();
        assert!(right < 0.5 && wrong > 3.0, "{right} {wrong}");
        let m = area_matrix(64, 28);
        for row in m.chunks(64) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "each output pixel averages its area");
        }
    }
}
