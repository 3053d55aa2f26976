//! A preview of one data source in the training panel: a grid of training samples (the model's
//! 28x28 inputs, augmented as in training) and the class counts as a bar chart, so an
//! imbalanced set shows as such. Opening a source can take seconds (tracing fonts, reading a
//! large npz), so a short-lived worker does it and reports through a channel; the UI thread
//! never waits on it. An error (missing folder, bad npz) is shown on the row with its reason.

use crate::app::training::panel::SourceRow;
use crate::data::classes::{self, NUM_CLASSES};
use crate::data::spec::{self, DataSpec, OpenOptions};
use crate::data::Split;
use crate::ink::preprocess::INPUT_SIDE;
use crate::ink::ModelInput;
use egui_plot::{Bar, BarChart, Plot};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver};

/// Samples in a preview grid.
pub const PREVIEW_SAMPLES: usize = 32;
/// Columns of the preview grid.
const COLUMNS: usize = 8;
/// Pixels between grid cells.
const GAP: usize = 2;

/// What a preview shows of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewData {
    /// The source's name.
    pub name: String,
    /// Training samples (model inputs) with their labels.
    pub samples: Vec<(ModelInput, usize)>,
    /// Per class: images of a finite set, or 1 for each class a generated source covers.
    pub counts: Vec<usize>,
    /// Whether `counts` are real image counts (finite sets) rather than coverage.
    pub counted: bool,
}

impl PreviewData {
    /// Opens the source of `spec_text` (one `--data` spec) for training and draws its samples
    /// and class counts. Kuzushiji-49 files are not md5-checked here (training checks them).
    pub fn build(spec_text: &str, samples: usize) -> crate::Result<Self> {
        let specs = spec::parse(&[spec_text.to_string()])?;
        let spec = specs.first().ok_or_else(|| crate::Error::Invalid("no data spec".into()))?;
        Self::from_spec(spec, samples)
    }

    /// `samples` training samples of the source `spec` and its class counts.
    pub fn from_spec(spec: &DataSpec, samples: usize) -> crate::Result<Self> {
        let src = spec.open(Split::Train, OpenOptions { verify_md5: false, ..OpenOptions::default() })?;
        let mut rng = ChaCha8Rng::seed_from_u64(0x5EED);
        let samples = (0..samples).map(|_| src.sample(&mut rng)).map(|s| (s.input, s.label)).collect();
        let (counts, counted) = match src.class_counts() {
            Some(c) => (c, true),
            None => (src.classes().into_iter().map(usize::from).collect(), false),
        };
        Ok(PreviewData { name: src.name(), samples, counts, counted })
    }

    /// One line about the counts: total and extremes for a finite set, coverage for a
    /// generated one.
    pub fn summary(&self) -> String {
        let present: Vec<usize> = self.counts.iter().copied().filter(|&n| n > 0).collect();
        if self.counted {
            let (min, max) = (present.iter().min().copied().unwrap_or(0), present.iter().max().copied().unwrap_or(0));
            let total: usize = present.iter().sum();
            format!("Training images per class: {total} in {} classes, fewest {min}, most {max}", present.len())
        } else {
            format!("Classes covered: {} of {NUM_CLASSES} (generated: each drawn equally often)", present.len())
        }
    }

    /// The samples as one grid image, dark ink on white.
    pub fn grid_image(&self) -> egui::ColorImage {
        let rows = self.samples.len().div_ceil(COLUMNS).max(1);
        let cell = INPUT_SIDE + GAP;
        let (w, h) = (COLUMNS * cell - GAP, rows * cell - GAP);
        let mut px = vec![200u8; w * h];
        for (k, (input, _)) in self.samples.iter().enumerate() {
            let (ox, oy) = ((k % COLUMNS) * cell, (k / COLUMNS) * cell);
            for (i, v) in input.iter().enumerate() {
                if let Some(p) = px.get_mut((oy + i / INPUT_SIDE) * w + ox + i % INPUT_SIDE) {
                    *p = ((1.0 - v.clamp(0.0, 1.0)) * 255.0) as u8;
                }
            }
        }
        egui::ColorImage::from_gray([w, h], &px)
    }
}

enum State {
    Loading(Receiver<Result<PreviewData, String>>),
    Ready(PreviewData, Option<egui::TextureHandle>),
    Failed(String),
}

struct Preview {
    /// The row (weight 1, ticked) the preview shows.
    row: SourceRow,
    state: State,
}

/// The previews of the panel's source rows, by row name; a row's preview is shown while open.
#[derive(Default)]
pub struct SourcePreviews {
    open: HashMap<&'static str, Preview>,
}

impl Preview {
    /// Takes in the source once its worker has opened it.
    fn poll(&mut self) {
        if let State::Loading(rx) = &self.state {
            match rx.try_recv() {
                Ok(Ok(data)) => self.state = State::Ready(data, None),
                Ok(Err(e)) => self.state = State::Failed(e),
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Err(std::sync::mpsc::TryRecvError::Disconnected) => self.state = State::Failed("the preview stopped".into()),
            }
        }
    }
}

impl SourcePreviews {
    /// Takes in every open preview whose source has been opened (call once a frame).
    pub fn poll(&mut self) {
        self.open.values_mut().for_each(Preview::poll);
    }

    /// Whether the preview of row `name` is open.
    pub fn is_open(&self, name: &str) -> bool {
        self.open.contains_key(name)
    }

    /// The preview of row `name`, once ready.
    pub fn data(&self, name: &str) -> Option<&PreviewData> {
        match self.open.get(name).map(|p| &p.state) {
            Some(State::Ready(d, _)) => Some(d),
            _ => None,
        }
    }

    /// Why the preview of row `name` failed, if it did.
    pub fn error(&self, name: &str) -> Option<&str> {
        match self.open.get(name).map(|p| &p.state) {
            Some(State::Failed(e)) => Some(e),
            _ => None,
        }
    }

    fn launch(ctx: &egui::Context, row: SourceRow) -> Preview {
        let spec = match row.spec() {
            Ok(s) => s,
            Err(e) => return Preview { row, state: State::Failed(e.to_string()) },
        };
        let (tx, rx) = channel();
        let wake = ctx.clone();
        let spawned = std::thread::Builder::new().name("fude-source-preview".into()).spawn(move || {
            let _ = tx.send(PreviewData::from_spec(&spec, PREVIEW_SAMPLES).map_err(|e| e.to_string()));
            wake.request_repaint();
        });
        let state = match spawned {
            Ok(_) => State::Loading(rx),
            Err(e) => State::Failed(format!("cannot start the preview thread: {e}")),
        };
        Preview { row, state }
    }
}

/// The row as its preview depends on it: its source and argument, not its weight or tick.
fn preview_row(row: &SourceRow) -> SourceRow {
    SourceRow { weight: 1.0, enabled: true, ..row.clone() }
}

/// The "Preview" toggle, for the row's line.
pub fn preview_toggle_ui(ui: &mut egui::Ui, previews: &mut SourcePreviews, row: &SourceRow) {
    let mut open = previews.is_open(row.name());
    if ui.toggle_value(&mut open, "Preview").on_hover_text("Training samples and class counts of this source").changed() {
        if open {
            let p = SourcePreviews::launch(ui.ctx(), preview_row(row));
            previews.open.insert(row.name(), p);
        } else {
            previews.open.remove(row.name());
        }
    }
}

/// The row's preview below its line, while open: a spinner, the reason it failed, or the
/// sample grid and the class-count chart. Re-opens the source when the row's spec changes.
pub fn source_preview_ui(ui: &mut egui::Ui, previews: &mut SourcePreviews, row: &SourceRow) {
    let Some(preview) = previews.open.get_mut(row.name()) else { return };
    let key = preview_row(row);
    if preview.row != key {
        *preview = SourcePreviews::launch(ui.ctx(), key);
    }
    ui.indent(("preview", row.name()), |ui| match &mut preview.state {
        State::Loading(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Opening the source…");
            });
        }
        State::Failed(e) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("Preview failed: {e}"));
        }
        State::Ready(data, texture) => {
            let tex = texture.get_or_insert_with(|| ui.ctx().load_texture(format!("preview-{}", row.name()), data.grid_image(), egui::TextureOptions::NEAREST));
            ui.label(format!("{} training samples of {}", data.samples.len(), data.name));
            let size = tex.size_vec2() * 1.5;
            ui.add(egui::Image::new((tex.id(), size)).max_width(ui.available_width()));
            class_chart_ui(ui, data, row.name());
        }
    });
}

/// The class counts as a bar chart over the class table; hover a bar for its kana.
fn class_chart_ui(ui: &mut egui::Ui, data: &PreviewData, id: &str) {
    ui.label(data.summary());
    let bars: Vec<Bar> = data
        .counts
        .iter()
        .enumerate()
        .map(|(c, &n)| {
            let ch = classes::get(c).map(|k| k.ch.to_string()).unwrap_or_default();
            Bar::new(c as f64, n as f64).width(0.9).name(ch)
        })
        .collect();
    let title = if data.counted { "images" } else { "covered" };
    Plot::new(format!("class-counts-{id}"))
        .height(110.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .show_axes([true, data.counted])
        .x_axis_label("class (あ … ヶ)")
        .show(ui, |plot| plot.bar_chart(BarChart::new(title, bars)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_kana_preview_has_samples_and_coverage() {
        let d = PreviewData::build("fonts", 8).unwrap();
        assert_eq!(d.samples.len(), 8);
        assert!(!d.counted);
        assert_eq!(d.counts.len(), NUM_CLASSES);
        assert!(d.counts.iter().all(|&n| n == 1), "the training fonts cover every class");
        assert!(d.summary().contains("180 of 180"), "{}", d.summary());
        let img = d.grid_image();
        assert_eq!(img.size, [COLUMNS * (INPUT_SIDE + GAP) - GAP, INPUT_SIDE]);
        assert!(img.pixels.iter().any(|p| p.r() < 60), "dark ink");
    }

    #[test]
    fn finite_sets_count_their_images_and_errors_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let hand = dir.path().join("hand");
        let mut drawing = crate::ink::Drawing::new(100.0, 100.0);
        drawing.strokes.push(vec![[10.0, 50.0], [90.0, 50.0]]);
        for _ in 0..3 {
            crate::data::mine::keep(&hand, 'あ', &drawing).unwrap();
        }
        crate::data::mine::keep(&hand, 'い', &drawing).unwrap();
        let d = PreviewData::build(&format!("mine={}", hand.display()), 4).unwrap();
        assert!(d.counted);
        let a = classes::index_of('あ').unwrap();
        assert_eq!(d.counts[a], 3, "{:?}", &d.counts[..4]);
        assert!(d.summary().contains("Training images per class"), "{}", d.summary());

        let e = PreviewData::build(&format!("k49={}", dir.path().join("nope").display()), 4).unwrap_err().to_string();
        assert!(e.contains("nope"), "{e}");
        let e = PreviewData::build("k49=", 4).unwrap_err().to_string();
        assert!(e.contains("k49=DIR"), "{e}");
    }
}
