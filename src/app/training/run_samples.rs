//! What a generator run writes, refreshed after every epoch: on a short-lived thread the run's
//! newest checkpoint decodes a fixed row of kana at their class centres (samples), and encodes and
//! decodes the same kana from a held-out font (originals above their reconstructions); the
//! training panel shows the three rows as one picture beside the curves.

use crate::data::classes;
use crate::ink::InkImage;
use crate::models::generator::{GeneratorCheckpoint, Prior};
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver};

/// The kana shown (one of each kind: plain, dakuten, small, katakana).
pub const SAMPLE_KANA: &str = "あかがさぱゃアカガパ";

/// The newest samples of a generator run.
#[derive(Default)]
pub struct RunSamples {
    pending: Option<Receiver<Result<(usize, InkImage), String>>>,
    texture: Option<egui::TextureHandle>,
    epoch: Option<usize>,
    error: Option<String>,
}

impl RunSamples {
    /// Decodes the samples of the checkpoint at `path` (written after `epoch`, 0-based) off the
    /// UI thread; a newer request replaces one whose result has not been taken.
    pub fn request(&mut self, ctx: &egui::Context, path: PathBuf, epoch: usize) {
        let (tx, rx) = channel();
        let wake = ctx.clone();
        let spawned = std::thread::Builder::new().name("fude-run-samples".into()).spawn(move || {
            let _ = tx.send(decode_row(&path).map(|img| (epoch, img)));
            wake.request_repaint();
        });
        match spawned {
            Ok(_) => self.pending = Some(rx),
            Err(e) => self.error = Some(format!("cannot decode samples: {e}")),
        }
    }

    /// Takes in a finished decode (call once a frame).
    pub fn poll(&mut self, ctx: &egui::Context) {
        let Some(rx) = &self.pending else { return };
        let Ok(result) = rx.try_recv() else { return };
        self.pending = None;
        match result {
            Ok((epoch, img)) => {
                let pixels = img.to_u8();
                let color = egui::ColorImage::from_gray([img.width, img.height], &pixels);
                match &mut self.texture {
                    Some(t) => t.set(color, egui::TextureOptions::LINEAR),
                    None => self.texture = Some(ctx.load_texture("run-samples", color, egui::TextureOptions::LINEAR)),
                }
                self.epoch = Some(epoch);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// The epoch (0-based) whose samples are shown, if any.
    pub fn epoch(&self) -> Option<usize> {
        self.epoch
    }

    /// Forgets the samples (a new run starts).
    pub fn clear(&mut self) {
        *self = RunSamples::default();
    }
}

/// The rows of the generator at `path` (samples, held-out originals, their reconstructions),
/// dark ink on white.
fn decode_row(path: &std::path::Path) -> Result<InkImage, String> {
    use crate::data::{FontSource, Source, Split};
    let g = GeneratorCheckpoint::load(path, &candle_core::Device::Cpu).map_err(|e| e.to_string())?;
    let wanted: Vec<usize> = SAMPLE_KANA.chars().filter_map(classes::index_of).collect();
    let centres: Vec<(usize, Vec<f32>)> = wanted.iter().map(|&c| (c, g.stats().centre(Prior::Fitted, c))).collect();
    let jobs: Vec<(usize, &[f32])> = centres.iter().map(|(c, z)| (*c, z.as_slice())).collect();
    let mut rows = g.decode(&jobs).map_err(|e| e.to_string())?;
    // The first held-out render of each sample kana, and its reconstruction from the posterior mean.
    let held_out = FontSource::new(Split::Test).eval_ink(g.side() as u32, crate::training::generator::GENERATOR_EVAL_AUGMENT);
    let originals: Vec<(InkImage, usize)> =
        wanted.iter().filter_map(|c| held_out.iter().find(|(_, k)| k == c).cloned()).collect();
    if originals.len() == wanted.len() {
        let inks: Vec<&InkImage> = originals.iter().map(|(i, _)| i).collect();
        let own: Vec<usize> = originals.iter().map(|(_, c)| *c).collect();
        let zs = g.encode(&inks, &own).map_err(|e| e.to_string())?;
        let jobs: Vec<(usize, &[f32])> = own.iter().zip(&zs).map(|(c, z)| (*c, z.as_slice())).collect();
        let recon = g.decode(&jobs).map_err(|e| e.to_string())?;
        rows.extend(originals.iter().map(|(i, _)| crate::ink::preprocess::boxed_input(i, g.side())));
        rows.extend(recon);
    }
    let cells: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
    Ok(InkImage::sheet(&cells, g.side(), wanted.len(), 2))
}

/// The samples, or where they stand, under the curves of a generator run.
pub fn run_samples_ui(ui: &mut egui::Ui, samples: &mut RunSamples) {
    if let (Some(t), Some(epoch)) = (&samples.texture, samples.epoch) {
        ui.label(format!("After epoch {}: samples at each class centre; a held-out font; its reconstructions", epoch + 1));
        let w = ui.available_width().min(t.size_vec2().x * 1.5);
        let h = w * t.size_vec2().y / t.size_vec2().x.max(1.0);
        ui.add(egui::Image::new(t).fit_to_exact_size(egui::vec2(w, h)));
    } else if samples.pending.is_some() {
        ui.weak("Decoding samples…");
    }
    if let Some(e) = &samples.error {
        ui.colored_label(ui.visuals().error_fg_color, format!("Samples: {e}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::generator::{Generator, GeneratorArchitecture, GeneratorSidecar, LatentStats};
    use crate::models::recognizer::TrainingRecord;
    use candle_core::Device;

    #[test]
    fn a_checkpoint_becomes_a_row_of_samples_and_errors_are_shown() {
        let dir = tempfile::tempdir().unwrap();
        let arch = GeneratorArchitecture { side: 16, latent: 4, encoder_channels: vec![4, 8], decoder_channels: vec![8, 4], hidden: 16, ..GeneratorArchitecture::default() };
        let g = Generator::new_seeded(arch.clone(), &Device::Cpu, 1).unwrap();
        let path = dir.path().join("last");
        GeneratorCheckpoint::save(&g, &GeneratorSidecar::new(arch, LatentStats::standard(4), TrainingRecord::default()), &path).unwrap();
        let ctx = egui::Context::default();
        let mut s = RunSamples::default();
        s.request(&ctx, path, 2);
        for _ in 0..500 {
            s.poll(&ctx);
            if s.epoch().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(s.epoch(), Some(2));
        let size = s.texture.as_ref().map(|t| t.size()).unwrap_or_default();
        assert_eq!(size, [10 * 18 + 2, 3 * 18 + 2], "three rows (samples, originals, reconstructions) of ten 16x16 cells with 2 px gaps");
        s.request(&ctx, dir.path().join("missing"), 3);
        for _ in 0..500 {
            s.poll(&ctx);
            if s.error.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(s.error.as_deref().is_some_and(|e| e.contains("missing")), "{:?}", s.error);
        assert_eq!(s.epoch(), Some(2), "the last good samples stay");
    }
}
