//! The generator side panel ([`generator_ui`]): pick a kana, drag one slider per latent dimension
//! the model uses (most informative first) and watch the preview change; Random, Reset,
//! temperature and prior; what the recognizer reads in the preview; an interpolation between two
//! samples or two kana; export; and "Style from my drawing", which encodes the canvas and shows
//! every kana in that style. All decoding runs on the [`super::generation`] worker.

use super::candidates::format_percent;
use super::files::FileAction;
use super::generation::{GenJob, GenResult, Generation, LoadedGenerator, StyleSource};
use super::generator_views::{on_paper, square, Animation, InkTexture, StyleSheet};
use super::kana_picker::{romaji_jump, KanaPicker};
use super::FudeApp;
use crate::data::classes;
use crate::ink::InkImage;
use crate::models::generator::Prior;
use crate::models::{CpuRecognizer, Prediction};
use std::sync::Arc;

/// Frames of an interpolation.
pub const INTERPOLATION_FRAMES: usize = 16;

/// Something the panel asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelAction {
    /// Run a file action (open a generator, export the preview or the sheet).
    File(FileAction),
    /// Encode the canvas and show every kana in its style.
    StyleFromDrawing,
}

/// Where an interpolation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A new random latent, same kana.
    Sample,
    /// Another kana, same latent.
    Kana,
}

/// The preview as decoded.
struct Shown {
    picture: InkImage,
    reading: Option<Prediction>,
}

/// Everything the generator panel holds.
pub struct GeneratorPanel {
    worker: Generation,
    model: Option<LoadedGenerator>,
    /// Why no generator is loaded.
    missing: Option<String>,
    picker: KanaPicker,
    class: usize,
    z: Vec<f32>,
    prior: Prior,
    temperature: f32,
    /// The (class, latent) of the newest preview request, and its id.
    posted: Option<(usize, Vec<f32>)>,
    posted_id: u64,
    shown_id: u64,
    shown: Option<Shown>,
    texture: InkTexture,
    target: Target,
    target_text: String,
    animation: Option<Animation>,
    /// The caption of the interpolation being decoded.
    animation_caption: String,
    sheet: Option<StyleSheet>,
    error: Option<String>,
}

impl GeneratorPanel {
    /// A panel for `model` (or, with the reason, for none); `wake` repaints the UI.
    pub fn new(model: Result<LoadedGenerator, String>, wake: impl Fn() + Send + 'static) -> Self {
        let (model, missing) = match model {
            Ok(m) => (Some(m), None),
            Err(e) => (None, Some(e)),
        };
        let mut panel = GeneratorPanel {
            worker: Generation::start(model.clone(), wake),
            model: None,
            missing,
            picker: KanaPicker::default(),
            class: classes::index_of('あ').unwrap_or(0),
            z: Vec::new(),
            prior: Prior::Fitted,
            temperature: 1.0,
            posted: None,
            posted_id: 0,
            shown_id: 0,
            shown: None,
            texture: InkTexture::default(),
            target: Target::Sample,
            target_text: "i".into(),
            animation: None,
            animation_caption: String::new(),
            sheet: None,
            error: None,
        };
        if let Some(m) = model {
            panel.set_model(m);
        }
        panel
    }

    /// Uses another generator from now on (the latent is reset to its centre).
    pub fn set_model(&mut self, model: LoadedGenerator) {
        self.z = model.model.stats().centre(self.prior, self.class);
        self.worker.set_model(model.clone());
        self.model = Some(model);
        self.missing = None;
        self.animation = None;
        self.sheet = None;
        self.refresh();
    }

    /// Decodes the preview again (e.g. another recognizer reads it now).
    pub fn refresh(&mut self) {
        self.posted = None;
    }

    /// The generator's name ("bundled" or its path), if one is loaded.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_ref().map(|m| m.name.as_str())
    }

    /// The class in the picker.
    pub fn class(&self) -> usize {
        self.class
    }

    /// The current latent.
    pub fn latent(&self) -> &[f32] {
        &self.z
    }

    /// The preview shown (`side²` values, ink bright), once decoded.
    pub fn preview(&self) -> Option<&InkImage> {
        self.shown.as_ref().map(|s| &s.picture)
    }

    /// What the recognizer reads in the preview.
    pub fn reading(&self) -> Option<Prediction> {
        self.shown.as_ref().and_then(|s| s.reading)
    }

    /// The interpolation shown, if any.
    pub fn animation(&self) -> Option<&Animation> {
        self.animation.as_ref()
    }

    /// The style sheet shown, if any.
    pub fn sheet(&self) -> Option<&StyleSheet> {
        self.sheet.as_ref()
    }

    /// Whether the preview shows the current kana and latent and nothing is being decoded.
    pub fn is_idle(&self) -> bool {
        self.posted.as_ref().is_some_and(|(c, z)| *c == self.class && *z == self.z) && self.shown_id == self.posted_id && !self.worker.is_busy()
    }

    /// Moves latent dimension `rank` (in the sliders' order) to `t` of its range (−1..=1 is ±3
    /// spreads around the centre), as dragging that slider does. False without a generator.
    pub fn drag_slider(&mut self, rank: usize, t: f32) -> bool {
        let Some(model) = &self.model else { return false };
        let stats = model.model.stats();
        let Some(&d) = stats.active_dims().get(rank) else { return false };
        let c = stats.centre(self.prior, self.class).get(d).copied().unwrap_or(0.0);
        let s = stats.spread(d, self.prior, self.class);
        if let Some(v) = self.z.get_mut(d) {
            *v = c + 3.0 * s * t.clamp(-1.0, 1.0);
        }
        true
    }

    /// Puts `class` in the picker (with `z`, when given).
    pub fn select(&mut self, class: usize, z: Option<Vec<f32>>) {
        self.class = class;
        if let Some(z) = z {
            self.z = z;
        }
        self.picker.reveal(class);
    }

    /// Asks for every kana in the style of `source`, read as `class`.
    pub fn post_style(&mut self, source: StyleSource, class: usize) {
        self.worker.post(GenJob::Style { source, class });
    }

    /// The picture a file action exports, dark ink on white, or why there is none.
    pub fn export_image(&self, action: FileAction) -> Result<InkImage, String> {
        match action {
            FileAction::ExportGenerated => self.preview().map(on_paper).ok_or_else(|| "Nothing to export: no generated kana yet".into()),
            FileAction::ExportSheet => self.sheet.as_ref().map(|s| on_paper(&s.picture)).ok_or_else(|| "Nothing to export: make a style sheet first".into()),
            _ => Err("not an export of the generator".into()),
        }
    }

    /// Takes in finished work (at the start of the panel, so it shows in the same frame).
    fn receive(&mut self) {
        // Square pictures; the side comes from the picture, which a replaced model may still send.
        let side = |image: &[f32]| (image.len() as f64).sqrt().round() as usize;
        for outcome in self.worker.poll() {
            match outcome.result {
                Ok(GenResult::Preview { image, reading, .. }) => {
                    self.shown_id = outcome.id;
                    self.shown = Some(Shown { picture: square(side(&image), image), reading });
                    self.texture.invalidate();
                    self.error = None;
                }
                Ok(GenResult::Frames(frames)) => {
                    let n = frames.first().map_or(0, |f| side(f));
                    self.animation = Some(Animation::new(n, frames, std::mem::take(&mut self.animation_caption)));
                }
                Ok(GenResult::Sheet { class, z, images }) => {
                    let n = images.first().map_or(0, |f| side(f));
                    self.sheet = Some(StyleSheet::new(n, class, z, &images));
                }
                Err(e) => {
                    if outcome.id == self.posted_id {
                        self.shown_id = outcome.id;
                    }
                    self.error = Some(format!("Generation failed: {e}"));
                }
            }
        }
    }

    /// Posts a preview when the kana or latent changed since the last one.
    fn post_preview(&mut self, reader: impl FnOnce() -> Option<Arc<CpuRecognizer>>) {
        let wanted = (self.class, self.z.clone());
        if self.model.is_none() || self.posted.as_ref() == Some(&wanted) {
            return;
        }
        self.posted_id = self.worker.post(GenJob::Preview { class: wanted.0, z: wanted.1.clone(), reader: reader() });
        self.posted = Some(wanted);
    }

    fn post_interpolation(&mut self, model: &LoadedGenerator) {
        let to = match self.target {
            Target::Sample => (self.class, model.model.sample_z(&mut rand::rng(), self.prior, self.class, self.temperature)),
            Target::Kana => match romaji_jump(&self.target_text, self.picker.script) {
                Some(c) => (c, model.model.stats().transfer(&self.z, self.class, c)),
                None => {
                    self.error = Some(format!("No kana reads {:?}", self.target_text));
                    return;
                }
            },
        };
        let ch = |c: usize| classes::get(c).map(|k| k.ch).unwrap_or('?');
        self.animation_caption = match self.target {
            Target::Kana => format!("{} → {} (same style)", ch(self.class), ch(to.0)),
            Target::Sample => format!("{}: this style → a new sample", ch(self.class)),
        };
        self.worker.post(GenJob::Interpolate { from: (self.class, self.z.clone()), to, frames: INTERPOLATION_FRAMES });
    }

    fn preview_ui(&mut self, ui: &mut egui::Ui) {
        let side = ui.available_width().clamp(120.0, 240.0);
        let size = egui::Vec2::splat(side);
        let dark = ui.visuals().dark_mode;
        let response = match &self.shown {
            Some(s) => {
                let id = self.texture.texture_id(ui.ctx(), "generator-preview", &s.picture, dark);
                ui.add(egui::Image::new((id, size)))
            }
            None => {
                let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
                ui.painter().rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
                response
            }
        };
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "generated kana"));
        let reading = self.shown.as_ref().and_then(|s| s.reading);
        match reading.zip(classes::get(self.class)) {
            Some((r, asked)) => {
                let romaji = classes::get(r.class).map(|k| k.romaji()).unwrap_or_default();
                let text = format!("Recognizer reads {} {romaji} · {}", r.ch, format_percent(r.prob));
                if r.class == asked.index {
                    ui.label(text);
                } else {
                    ui.colored_label(ui.visuals().warn_fg_color, text);
                }
            }
            None => {
                ui.weak(if self.shown.is_some() { "No recognizer loaded to read it" } else { "Decoding…" });
            }
        }
    }

    fn sliders_ui(&mut self, ui: &mut egui::Ui, model: &LoadedGenerator) {
        let stats = model.model.stats();
        let centre = stats.centre(self.prior, self.class);
        let dims = stats.active_dims();
        ui.label(format!("Style: {} of {} latent dimensions in use", dims.len(), stats.len()))
            .on_hover_text("Ordered by how much each changes the picture (its KL in nats); unused dimensions are hidden.");
        ui.spacing_mut().slider_width = (ui.available_width() - 170.0).clamp(100.0, 320.0);
        for (rank, &d) in dims.iter().enumerate() {
            let (c, s) = (centre.get(d).copied().unwrap_or(0.0), stats.spread(d, self.prior, self.class));
            let kl = stats.kl_per_dim.get(d).copied().unwrap_or(0.0);
            if let Some(v) = self.z.get_mut(d) {
                let label = format!("style {} ({kl:.1} nats)", rank + 1);
                ui.add(egui::Slider::new(v, (c - 3.0 * s)..=(c + 3.0 * s)).clamping(egui::SliderClamping::Edits).text(label));
            }
        }
    }

    fn interpolation_ui(&mut self, ui: &mut egui::Ui, model: &LoadedGenerator) {
        ui.horizontal(|ui| {
            ui.label("to");
            ui.radio_value(&mut self.target, Target::Sample, "a new sample");
            ui.radio_value(&mut self.target, Target::Kana, "kana");
            let label = ui.label("target");
            ui.add_enabled(self.target == Target::Kana, egui::TextEdit::singleline(&mut self.target_text).desired_width(44.0)).labelled_by(label.id);
            if self.target == Target::Kana {
                let ch = romaji_jump(&self.target_text, self.picker.script).and_then(classes::get).map(|k| k.ch).unwrap_or('?');
                ui.strong(ch.to_string());
            }
        });
        if ui.button("Interpolate").on_hover_text(format!("{INTERPOLATION_FRAMES} frames, decoded as one batch")).clicked() {
            self.post_interpolation(model);
        }
        if let Some(a) = &mut self.animation {
            if a.animation_ui(ui) {
                self.animation = None;
            }
        }
    }
}

/// The generator panel. `reader` gives the recognizer that reads the preview (asked only when a
/// preview is posted). Returns what the app must do, if anything.
pub fn generator_ui(ui: &mut egui::Ui, panel: &mut GeneratorPanel, reader: impl FnOnce() -> Option<Arc<CpuRecognizer>>) -> Option<PanelAction> {
    let mut action = None;
    ui.heading("Generator");
    let Some(model) = panel.model.clone() else {
        ui.label(panel.missing.as_deref().unwrap_or("No generator loaded."));
        if ui.button("Open generator…").clicked() {
            action = Some(PanelAction::File(FileAction::OpenGenerator));
        }
        return action;
    };
    panel.receive();
    ui.weak(format!("{} · {}×{}", model.name, model.model.side(), model.model.side()));
    egui::ScrollArea::vertical().id_salt("generator-scroll").auto_shrink([false, false]).show(ui, |ui| {
        if let Some(c) = panel.picker.kana_picker_ui(ui, panel.class) {
            // The same style, moved to the new letter.
            panel.z = model.model.stats().transfer(&panel.z, panel.class, c);
            panel.class = c;
        }
        ui.separator();
        panel.preview_ui(ui);
        ui.horizontal(|ui| {
            if ui.button("Random").on_hover_text("A new latent from the prior").clicked() {
                panel.z = model.model.sample_z(&mut rand::rng(), panel.prior, panel.class, panel.temperature);
            }
            if ui.button("Reset").on_hover_text("The centre of the latent space").clicked() {
                panel.z = model.model.stats().centre(panel.prior, panel.class);
            }
            if ui.button("Export preview PNG…").clicked() {
                action = Some(PanelAction::File(FileAction::ExportGenerated));
            }
        });
        ui.scope(|ui| {
            ui.spacing_mut().slider_width = (ui.available_width() - 170.0).clamp(100.0, 320.0);
            ui.add(egui::Slider::new(&mut panel.temperature, 0.0..=2.0).text("temperature")).on_hover_text("Spread of Random and of new samples");
        });
        ui.horizontal(|ui| {
            ui.label("prior");
            ui.radio_value(&mut panel.prior, Prior::Fitted, "fitted").on_hover_text("A Gaussian fitted to the encodings of real kana");
            ui.radio_value(&mut panel.prior, Prior::Standard, "standard").on_hover_text("N(0, I), what the VAE was trained towards");
        });
        if let Some(e) = &panel.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        ui.separator();
        ui.scope(|ui| panel.sliders_ui(ui, &model));
        ui.separator();
        ui.strong("Interpolation");
        panel.interpolation_ui(ui, &model);
        ui.separator();
        ui.horizontal(|ui| {
            if ui.button("Style from my drawing").on_hover_text("Encode what is on the canvas and write every kana in that style").clicked() {
                action = Some(PanelAction::StyleFromDrawing);
            }
            if ui.add_enabled(panel.sheet.is_some(), egui::Button::new("Export sheet PNG…")).clicked() {
                action = Some(PanelAction::File(FileAction::ExportSheet));
            }
        });
        let mut picked = None;
        if let Some(sheet) = &mut panel.sheet {
            let ch = classes::get(sheet.class).map(|k| k.ch).unwrap_or('?');
            ui.weak(format!("Every kana in the style of your {ch} · click one to open it"));
            picked = sheet.sheet_ui(ui).map(|c| (c, model.model.stats().transfer(&sheet.z, sheet.class, c)));
        }
        if let Some((class, z)) = picked {
            panel.select(class, Some(z));
        }
    });
    panel.post_preview(reader);
    action
}

/// Loads the generator the app starts with (`path`, or the bundled one); the error is the
/// message the panel shows.
pub fn load_generator(path: Option<&std::path::Path>) -> Result<LoadedGenerator, String> {
    if path.is_none() && crate::models::generator::checkpoint::bundled_bytes().is_none() {
        return Err("This build has no bundled generator. Open one (File → Open generator…) or start fude with --generator PATH.".into());
    }
    LoadedGenerator::load(path).map_err(|e| format!("No generator loaded: {e}"))
}

impl FudeApp {
    /// The generator panel (for tests and tools).
    pub fn generator(&self) -> &GeneratorPanel {
        &self.generator
    }

    /// Shows the generator panel and carries out what it asks for.
    pub(super) fn generator_panel_ui(&mut self, ui: &mut egui::Ui) {
        let recognition = &self.recognition;
        match generator_ui(ui, &mut self.generator, || recognition.model().map(|m| m.net)) {
            Some(PanelAction::File(action)) => self.start_file_action(action),
            Some(PanelAction::StyleFromDrawing) => self.style_from_drawing(),
            None => {}
        }
    }

    /// Encodes the canvas, read as the recognizer's top candidate (or, before it has read
    /// anything, as the picker's kana), and asks for the style sheet.
    fn style_from_drawing(&mut self) {
        if self.canvas.is_empty() {
            self.say("Nothing to take a style from: write a kana on the canvas first", true);
            return;
        }
        let class = self.candidates.first().map(|p| p.class).unwrap_or(self.generator.class());
        let source = match self.canvas.picture() {
            Some(p) => StyleSource::Picture(Arc::clone(p)),
            None => StyleSource::Drawing(self.canvas.to_drawing()),
        };
        self.generator.post_style(source, class);
        let ch = classes::get(class).map(|k| k.ch).unwrap_or('?');
        self.say(format!("Writing every kana in the style of your {ch}…"), false);
    }
}
