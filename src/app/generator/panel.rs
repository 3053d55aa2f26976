//! The generator side panel ([`generator_ui`]). On top, always in view: the preview beside the
//! latent map ([`crate::app::generator::latent_map`]), what the recognizer reads, Random, Reset and export. Below,
//! tabs with a scrolling body each: the sliders (one per latent dimension the model uses, named
//! by what they do, [`crate::app::generator::style_names`]), the kana picker, the interpolation player, the style
//! sheet (in the sliders' style, following them, or in that of the drawing on the canvas), and "Write my text" ([`crate::app::generator::write_text`]). A result
//! opens its own tab, so a change is always visible. All decoding runs on the
//! [`crate::app::generator::worker`] worker. This file holds the panel's state and what it asks the worker
//! for; `views` draws it.

mod views;

pub use views::generator_ui;

use crate::app::command::AppCommand;
use crate::app::files::tasks::FileAction;
use crate::app::generator::worker::{GenJob, GenResult, Generation, LoadedGenerator, StyleSource, TextStyle};
use crate::app::generator::pictures::{on_paper, square, Animation, InkTexture, StyleSheet};
use crate::app::generator::kana_picker::{romaji_jump, KanaPicker};
use crate::app::generator::latent_map::{map_latents, Axis, LatentMap, MapKey};
use crate::models::generator::lettering::{export_scale, text_cells, EXPORT_CELL, EXPORT_PREVIEW, MAX_TEXT_CHARS};
use crate::app::generator::style_names::Direction;
use crate::app::generator::write_text::{WriteText, PER_ROW};
use crate::app::FudeApp;
use crate::data::classes;
use crate::ink::InkImage;
use crate::models::generator::Prior;
use crate::models::{CpuRecognizer, Prediction};
use std::sync::Arc;

/// Frames of an interpolation.
pub const INTERPOLATION_FRAMES: usize = 16;

/// The tabs below the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Temperature, prior, the map's axes and the sliders.
    Sliders,
    /// The kana picker.
    Kana,
    /// The interpolation player.
    Interpolation,
    /// The style sheet.
    Sheet,
    /// "Write my text".
    Text,
}

impl Tab {
    const ALL: [(Tab, &'static str); 5] =
        [(Tab::Sliders, "Sliders"), (Tab::Kana, "Kana"), (Tab::Interpolation, "Interpolation"), (Tab::Sheet, "Sheet"), (Tab::Text, "Write text")];
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
    tab: Tab,
    map: LatentMap,
    /// The sliders' measured names (empty until measured).
    names: Vec<Direction>,
    target: Target,
    target_text: String,
    animation: Option<Animation>,
    /// The caption of the interpolation being decoded.
    animation_caption: String,
    sheet: Option<StyleSheet>,
    /// Whether the sheet follows the sliders (else it shows the style of a drawing).
    sheet_follows: bool,
    /// The (class, latent) of the newest sheet that follows the sliders.
    sheet_posted: Option<(usize, Vec<f32>)>,
    /// How long the last sheet took to decode.
    sheet_compute: std::time::Duration,
    text: WriteText,
    /// The id of the newest text request (its failure shows in the text tab).
    text_id: u64,
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
            tab: Tab::Sliders,
            map: LatentMap::default(),
            names: Vec::new(),
            target: Target::Sample,
            target_text: "i".into(),
            animation: None,
            animation_caption: String::new(),
            sheet: None,
            sheet_follows: false,
            sheet_posted: None,
            sheet_compute: std::time::Duration::ZERO,
            text: WriteText::default(),
            text_id: 0,
            error: None,
        };
        if let Some(m) = model {
            panel.set_model(m);
        }
        panel
    }

    /// Uses another generator from now on (the latent is reset to its centre; the sliders are
    /// named again).
    pub fn set_model(&mut self, model: LoadedGenerator) {
        self.z = model.model.stats().centre(self.prior, self.class);
        self.worker.set_model(model.clone());
        self.worker.post(GenJob::Directions { dims: model.model.stats().active_dims() });
        self.model = Some(model);
        self.missing = None;
        self.animation = None;
        self.sheet = None;
        self.sheet_posted = None;
        self.names.clear();
        self.map.clear();
        self.text.clear();
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

    /// The tab shown.
    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// The latent map (ink bright) and the dimensions across and up, once decoded.
    pub fn map(&self) -> Option<(&InkImage, (usize, usize))> {
        let axes = self.map_axes()?;
        self.map.picture().map(|p| (p, (axes.0.dim, axes.1.dim)))
    }

    /// Whether the latent map shows the current kana and latent.
    pub fn map_ready(&self) -> bool {
        self.map.is_current() && self.map_axes().is_some_and(|a| self.map.posted == Some(MapKey::new(self.class, &self.z, a)))
    }

    /// The written text (ink bright), once written.
    pub fn text_picture(&self) -> Option<&InkImage> {
        self.text.picture()
    }

    /// The sliders' labels, in order (measured names once known, else "style N").
    pub fn slider_labels(&self) -> Vec<String> {
        self.slider_names().into_iter().map(|(_, n)| n).collect()
    }

    /// Whether the sliders have their measured names.
    pub fn names_measured(&self) -> bool {
        !self.names.is_empty()
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

    /// Asks for every kana in the style of `source`, read as `class` (the sheet stops following
    /// the sliders).
    pub fn post_style(&mut self, source: StyleSource, class: usize) {
        self.tab = Tab::Sheet;
        self.sheet_follows = false;
        self.worker.post(GenJob::Style { source, class });
    }

    /// Shows every kana in the sliders' style, and keeps the sheet following them.
    pub fn follow_sliders(&mut self) {
        self.tab = Tab::Sheet;
        self.sheet_follows = true;
        self.sheet_posted = None;
    }

    /// Whether the sheet follows the sliders.
    pub fn sheet_follows_sliders(&self) -> bool {
        self.sheet_follows
    }

    /// Puts `text` into the text field (lines joined by spaces, cut to the longest text written
    /// at once) and shows the text tab.
    pub fn set_text(&mut self, text: &str) {
        self.text.text = text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(MAX_TEXT_CHARS).collect();
        self.tab = Tab::Text;
    }

    /// Asks for the text in the field written in `style`; a text that cannot be written is
    /// refused in the tab, naming the character.
    pub fn post_text(&mut self, style: TextStyle) {
        self.tab = Tab::Text;
        match text_cells(&self.text.text) {
            Ok(cells) => {
                self.text.error = None;
                let text = self.text.text.trim().to_string();
                self.text_id = self.worker.post(GenJob::Text { text, cells, style, per_row: PER_ROW });
            }
            Err(e) => self.text.error = Some(e.to_string()),
        }
    }

    /// The picture a file action exports, dark ink on white, with the whole factor to enlarge it
    /// by on export; or why there is none.
    pub fn export_image(&self, action: FileAction) -> Result<(InkImage, usize), String> {
        let side = self.model.as_ref().map_or(64, |m| m.model.side());
        match action {
            FileAction::ExportGenerated => self.preview().map(|p| (on_paper(p), export_scale(side, EXPORT_PREVIEW))).ok_or_else(|| "Nothing to export: no generated kana yet".into()),
            FileAction::ExportSheet => self.sheet.as_ref().map(|s| (on_paper(&s.picture), export_scale(side, EXPORT_CELL))).ok_or_else(|| "Nothing to export: make a style sheet first".into()),
            FileAction::ExportText => self.text.picture().map(|p| (on_paper(p), export_scale(side, EXPORT_CELL))).ok_or_else(|| "Nothing to export: write a text first".into()),
            _ => Err("not an export of the generator".into()),
        }
    }

    /// Takes in the worker's finished work (once a frame, shown or not: at the start of the
    /// frame, so it shows in the same frame).
    pub fn receive(&mut self) {
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
                    self.tab = Tab::Interpolation;
                }
                Ok(GenResult::Sheet { class, z, images }) => {
                    let n = images.first().map_or(0, |f| side(f));
                    self.sheet = Some(StyleSheet::new(n, class, z, &images));
                    self.sheet_compute = outcome.compute;
                    self.tab = Tab::Sheet;
                }
                Ok(GenResult::Map { key, images }) => {
                    let n = images.first().map_or(0, |f| side(f));
                    self.map.receive(key, n, images, outcome.compute);
                }
                Ok(GenResult::Line { text, picture }) => self.text.receive(text, picture),
                Ok(GenResult::Directions(names)) => self.names = names,
                Err(e) => {
                    if outcome.id == self.posted_id {
                        self.shown_id = outcome.id;
                    }
                    if outcome.id == self.text_id {
                        self.text.error = Some(format!("Could not write the text: {e}"));
                    } else {
                        self.error = Some(format!("Generation failed: {e}"));
                    }
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

    /// The map's two axes for the current kana: the chosen ones, else the two most used.
    fn map_axes(&self) -> Option<(Axis, Axis)> {
        let stats = self.model.as_ref()?.model.stats();
        let dims = stats.active_dims();
        let (a, b) = self.map.chosen.filter(|(a, b)| dims.contains(a) && dims.contains(b)).or_else(|| Some((*dims.first()?, *dims.get(1)?)))?;
        Some((Axis::new(stats, a, self.prior, self.class), Axis::new(stats, b, self.prior, self.class)))
    }

    /// Posts the latent map when the kana, the axes or the latent off the axes changed.
    /// While `dragging`, a map that decodes slowly waits for the release, so it never holds up
    /// the preview.
    fn post_map(&mut self, dragging: bool) {
        let Some(axes) = self.map_axes() else { return };
        let key = MapKey::new(self.class, &self.z, axes);
        if self.map.posted.as_ref() == Some(&key) || (dragging && self.map.is_slow()) {
            return;
        }
        let latents = map_latents(&self.z, axes.0, axes.1);
        self.worker.post(GenJob::Map { key: key.clone(), class: self.class, latents });
        self.map.posted = Some(key);
    }

    /// Posts the sheet of the sliders' style when it follows them, is in view, and the kana or
    /// latent changed. While `dragging`, a sheet that decodes slowly waits for the release, as the
    /// map does.
    fn post_sheet(&mut self, dragging: bool) {
        let wanted = (self.class, self.z.clone());
        let slow = self.sheet.is_some() && self.sheet_compute > crate::app::generator::latent_map::LIVE_MAP_BUDGET;
        if !self.sheet_follows || self.tab != Tab::Sheet || self.model.is_none() || self.sheet_posted.as_ref() == Some(&wanted) || (dragging && slow) {
            return;
        }
        self.worker.post(GenJob::Style { source: StyleSource::Latent(wanted.1.clone()), class: wanted.0 });
        self.sheet_posted = Some(wanted);
    }

    /// (dimension, label) of each slider, in order.
    fn slider_names(&self) -> Vec<(usize, String)> {
        let Some(model) = &self.model else { return Vec::new() };
        let dims = model.model.stats().active_dims();
        dims.iter()
            .enumerate()
            .map(|(rank, &d)| (d, self.names.iter().find(|n| n.dim == d).map_or_else(|| format!("style {}", rank + 1), |n| n.name.clone())))
            .collect()
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
    /// The generator panel; returns what it asks the app to do.
    pub(in crate::app) fn generator_panel_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        let recognition = &self.recognition.worker;
        generator_ui(ui, &mut self.generator, || recognition.model().map(|m| m.net))
    }

    /// The drawing on the canvas as a style, read as the recognizer's top candidate (or, before
    /// it has read anything, as the picker's kana); says what is written (`what`) in its style.
    /// `None`, with a message, when the canvas is empty.
    pub(in crate::app) fn canvas_style(&mut self, what: &str) -> Option<(StyleSource, usize)> {
        if self.writing.canvas.is_empty() {
            self.say("Nothing to take a style from: write a kana on the canvas first", true);
            return None;
        }
        let class = self.recognition.candidates.first().map(|p| p.class).unwrap_or(self.generator.class());
        let source = match self.writing.canvas.picture() {
            Some(p) => StyleSource::Picture(Arc::clone(p)),
            None => StyleSource::Drawing(self.writing.canvas.to_drawing()),
        };
        let ch = classes::get(class).map(|k| k.ch).unwrap_or('?');
        self.say(format!("Writing {what} in the style of your {ch}…"), false);
        Some((source, class))
    }
}
