//! The "Kept handwriting" window: every drawing kept with "Keep for training", as a grid per
//! character, each with Delete and Relabel (move it to another character). Files are read,
//! drawn, deleted and moved on a worker thread; the window shows the result when it reports.

use crate::data::classes;
use crate::data::mine;
use crate::ink::raster::{rasterize, MODEL_PEN_WIDTH};
use crate::ink::Drawing;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};

/// Side of a thumbnail, in pixels and points.
const THUMB: usize = 48;

/// One kept drawing: its file and its picture (`THUMB`² gray values, ink bright).
#[derive(Debug, Clone)]
pub struct KeptSample {
    /// The drawing file.
    pub path: PathBuf,
    /// The drawing rendered as the model's pen draws it.
    pub pixels: Vec<u8>,
}

/// The kept drawings of one character.
#[derive(Debug, Clone)]
pub struct KeptClass {
    /// The character.
    pub ch: char,
    /// Its drawings, in file-name order.
    pub samples: Vec<KeptSample>,
}

/// What a worker reports: the listing after its work, and a message about what it did.
type Report = (Vec<KeptClass>, Option<String>);

/// The window's state.
#[derive(Default)]
pub struct KeptView {
    /// Whether the window is shown.
    pub open: bool,
    classes: Vec<KeptClass>,
    job: Option<Receiver<Report>>,
    textures: Vec<(PathBuf, egui::TextureHandle)>,
    /// The drawing being relabelled and the label typed for it.
    relabel: Option<(PathBuf, String)>,
    message: Option<String>,
    /// Whether kept files changed since [`Self::take_changed`] was last called.
    changed: bool,
}

/// Reads and draws every kept drawing under `dir`.
pub fn list(dir: &Path) -> Vec<KeptClass> {
    mine::files(dir)
        .into_iter()
        .filter_map(|(class, paths)| {
            let ch = classes::get(class)?.ch;
            let samples = paths
                .into_iter()
                .map(|path| {
                    let pixels = Drawing::load(&path).map(|d| rasterize(&d, THUMB as u32, MODEL_PEN_WIDTH).to_u8()).unwrap_or_else(|_| vec![0; THUMB * THUMB]);
                    KeptSample { path, pixels }
                })
                .collect();
            Some(KeptClass { ch, samples })
        })
        .collect()
}

impl KeptView {
    /// Opens the window and (re)reads the kept drawings under `dir`.
    pub fn show(&mut self, ctx: &egui::Context, dir: PathBuf) {
        self.open = true;
        self.work(ctx, dir, |_| None);
    }

    /// Re-reads the kept drawings if the window is open (e.g. after one was kept).
    pub fn reload(&mut self, ctx: &egui::Context, dir: PathBuf) {
        if self.open {
            self.work(ctx, dir, |_| None);
        }
    }

    /// The kept drawings as last read.
    pub fn classes(&self) -> &[KeptClass] {
        &self.classes
    }

    /// Whether a worker is reading or changing files.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// The last message (what a Delete or Relabel did, or why it failed).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Whether files changed since the last call (the panel's counts then need a refresh).
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// Runs `change` on a worker, then lists the drawings again.
    fn work(&mut self, ctx: &egui::Context, dir: PathBuf, change: impl FnOnce(&Path) -> Option<String> + Send + 'static) {
        let (tx, rx) = channel();
        let wake = ctx.clone();
        let spawned = std::thread::Builder::new().name("fude-kept".into()).spawn(move || {
            let message = change(&dir);
            let _ = tx.send((list(&dir), message));
            wake.request_repaint();
        });
        match spawned {
            Ok(_) => self.job = Some(rx),
            Err(e) => self.message = Some(format!("Cannot read the kept handwriting: {e}")),
        }
    }

    /// Takes in what the worker read, deleted or moved (call once a frame).
    pub fn poll(&mut self) {
        let Some(rx) = &self.job else { return };
        match rx.try_recv() {
            Ok((classes, message)) => {
                self.changed |= message.is_some();
                self.classes = classes;
                if message.is_some() {
                    self.message = message;
                }
                self.job = None;
                self.textures.clear();
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
            Err(std::sync::mpsc::TryRecvError::Disconnected) => self.job = None,
        }
    }

    fn texture(&mut self, ctx: &egui::Context, sample: &KeptSample) -> egui::TextureId {
        if let Some((_, t)) = self.textures.iter().find(|(p, _)| *p == sample.path) {
            return t.id();
        }
        let img = egui::ColorImage::from_gray([THUMB, THUMB], &sample.pixels);
        let t = ctx.load_texture(format!("kept-{}", sample.path.display()), img, egui::TextureOptions::LINEAR);
        let id = t.id();
        self.textures.push((sample.path.clone(), t));
        id
    }
}

/// What a click in the window asks for.
enum Ask {
    Delete(PathBuf),
    StartRelabel(PathBuf),
    CancelRelabel,
    Relabel(PathBuf, char),
}

/// Shows the window while it is open; `dir` is where the kept handwriting lives.
pub fn kept_window_ui(ctx: &egui::Context, view: &mut KeptView, dir: &Path) {
    if !view.open {
        return;
    }
    let area = crate::app::window_area(ctx);
    let mut open = view.open;
    let mut ask = None;
    egui::Window::new("Kept handwriting")
        .open(&mut open)
        .constrain_to(area)
        .default_pos(area.min + egui::vec2(120.0, 16.0))
        .default_width(460.0)
        .max_height(area.height() - 16.0)
        .vscroll(true)
        .show(ctx, |ui| ask = kept_ui(ui, view));
    view.open = open;
    match ask {
        Some(Ask::Delete(path)) => {
            let name = file_label(&path);
            view.work(ctx, dir.to_path_buf(), move |_| {
                Some(match mine::forget(&path) {
                    Ok(()) => format!("Deleted {name}"),
                    Err(e) => format!("Not deleted: {e}"),
                })
            });
        }
        Some(Ask::StartRelabel(path)) => view.relabel = Some((path, String::new())),
        Some(Ask::CancelRelabel) => view.relabel = None,
        Some(Ask::Relabel(path, ch)) => {
            view.relabel = None;
            view.work(ctx, dir.to_path_buf(), move |dir| {
                Some(match mine::relabel(dir, &path, ch) {
                    Ok(_) => format!("Moved to {ch}"),
                    Err(e) => format!("Not moved: {e}"),
                })
            });
        }
        None => {}
    }
}

/// A kept file's short name: its character folder and file name.
fn file_label(path: &Path) -> String {
    let folder = path.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let file = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    format!("{folder}/{file}")
}

fn kept_ui(ui: &mut egui::Ui, view: &mut KeptView) -> Option<Ask> {
    let mut ask = None;
    if view.is_busy() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Reading the kept handwriting…");
        });
    }
    if let Some(m) = &view.message {
        ui.label(m);
    }
    if let Some((path, typed)) = &mut view.relabel {
        ui.horizontal(|ui| {
            let label = ui.label("New label");
            ui.add(egui::TextEdit::singleline(typed).desired_width(32.0).char_limit(1)).labelled_by(label.id);
            let ch = typed.trim().chars().next().filter(|c| classes::index_of(*c).is_some());
            if ui.add_enabled(ch.is_some(), egui::Button::new("Move")).clicked() {
                if let Some(ch) = ch {
                    ask = Some(Ask::Relabel(path.clone(), ch));
                }
            }
            if ui.button("Cancel").clicked() {
                ask = Some(Ask::CancelRelabel);
            }
        });
    }
    if view.classes.is_empty() && !view.is_busy() {
        ui.weak("Nothing kept yet: draw a kana, then Keep for training (Ctrl+K).");
    }
    let ctx = ui.ctx().clone();
    let classes = view.classes.clone();
    for class in &classes {
        ui.separator();
        ui.label(egui::RichText::new(format!("{} ({})", class.ch, class.samples.len())).size(18.0));
        ui.horizontal_wrapped(|ui| {
            for sample in &class.samples {
                let tex = view.texture(&ctx, sample);
                ui.vertical(|ui| {
                    ui.image((tex, egui::vec2(THUMB as f32, THUMB as f32))).on_hover_text(file_label(&sample.path));
                    if ui.small_button("Delete").on_hover_text("Delete this kept drawing").clicked() {
                        ask = Some(Ask::Delete(sample.path.clone()));
                    }
                    if ui.small_button("Relabel").on_hover_text("File it under another character").clicked() {
                        ask = Some(Ask::StartRelabel(sample.path.clone()));
                    }
                });
            }
        });
    }
    ask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_drawings_are_listed_per_character_with_pictures() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes.push(vec![[10.0, 50.0], [90.0, 50.0]]);
        mine::keep(dir.path(), 'い', &d).unwrap();
        mine::keep(dir.path(), 'あ', &d).unwrap();
        let l = list(dir.path());
        assert_eq!(l.iter().map(|c| c.ch).collect::<String>(), "あい");
        assert_eq!(l[0].samples[0].pixels.len(), THUMB * THUMB);
        assert!(l[0].samples[0].pixels.iter().any(|&v| v > 128), "the stroke is drawn");
    }
}
