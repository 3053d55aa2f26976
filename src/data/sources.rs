//! Data sources behind one [`Source`] trait: finite labeled image sets (Kuzushiji-49, any npz),
//! kana generated from the bundled fonts, and synthetic pen drawings traced from those fonts.
//! Each is opened for a [`Split`]; training draws random samples, evaluation takes a fixed set.

use super::augment::{Augment, Resample};
use super::classes::NUM_CLASSES;
use super::fonts::{FontPick, KanaFont};
use crate::error::{Error, Result};
use super::labeled::LabeledImages;
use super::skeleton;
use crate::ink::picture::crop_character;
use crate::ink::raster::{draw_strokes, mask_to_image, RASTER_SIDE};
use crate::ink::{model_input, InkImage, ModelInput, Stroke};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::sync::Arc;
use tiny_skia::{FillRule, Mask, Transform};

/// One model input with its class-table label.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Preprocessed 28x28 input.
    pub input: ModelInput,
    /// Class-table index.
    pub label: usize,
}

/// Which part of a source: what training may see, or what is held out for evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Training data.
    Train,
    /// Held-out data (official test files, held-out images per class, validation fonts).
    Test,
}

/// A data source.
pub trait Source: Send + Sync {
    /// Short name for logs and reports, e.g. `fonts:test`.
    fn name(&self) -> String;
    /// A random training sample (class-balanced where the source allows) as ink with its label:
    /// generated sources render at `side` x `side` pixels, image sets keep their own size;
    /// augmented as `aug` asks (image sets scale it by their own strength).
    fn sample_ink(&self, rng: &mut ChaCha8Rng, side: u32, aug: Augment) -> (InkImage, usize);
    /// A random training sample for the recognizer: [`Self::sample_ink`] with the training
    /// augmentation, preprocessed to the model input.
    fn sample(&self, rng: &mut ChaCha8Rng) -> Sample {
        let (img, label) = self.sample_ink(rng, RASTER_SIDE, Augment::TRAIN);
        Sample { input: model_input(&img), label }
    }
    /// The fixed evaluation set of this split as ink (deterministic); generated sources render
    /// at `side` with `aug`, image sets return their images as they are.
    fn eval_ink(&self, side: u32, aug: Augment) -> Vec<(InkImage, usize)>;
    /// The fixed evaluation set of this split, preprocessed (deterministic).
    fn eval_samples(&self) -> Vec<Sample> {
        self.eval_ink(RASTER_SIDE, Augment::EVAL)
            .into_par_iter()
            .map(|(img, label)| Sample { input: model_input(&img), label })
            .collect()
    }
    /// The evaluation set split into named parts (one per font for generated sources), so a
    /// report can show where the errors come from. Empty for sources that are not split.
    fn eval_parts(&self) -> Vec<(String, Vec<Sample>)> {
        Vec::new()
    }
    /// Which classes the source has.
    fn classes(&self) -> Vec<bool>;
    /// How many items of each class a finite source holds (length [`NUM_CLASSES`]); `None` for
    /// generated sources, which draw every class they cover uniformly.
    fn class_counts(&self) -> Option<Vec<usize>> {
        None
    }
    /// Whether its samples are pictures cropped to their character, which `fude predict` reads
    /// with the picture rule (small and full-size kana alike, full-size first).
    fn reads_pictures(&self) -> bool {
        false
    }
    /// `k` samples of different classes in one style (one font or synthetic writer, with one
    /// geometry, pen and distortion), for the generator's style encoder; `None` when the source
    /// knows no styles (image sets), and then each of its samples is a style of its own.
    fn style_group(&self, _rng: &mut ChaCha8Rng, _k: usize, _side: u32, _aug: Augment) -> Option<Vec<(InkImage, usize)>> {
        None
    }
}

/// Chance that a training draw of an image set is cropped to its ink (see
/// [`ImageSetSource`]'s `sample`).
pub const PICTURE_FRAMING_CHANCE: f32 = 0.3;
/// Chance that a recognizer's training draw of an image set is the picture's own pixels, as the
/// set publishes it: every augmented draw is resampled, which softens its edges, so a network
/// that only ever saw those reads a dataset cell opened as it is worse than the same cell blurred
/// (see `models/README.md`, "Session 21").
pub const AS_PUBLISHED_CHANCE: f32 = 0.25;

/// A finite labeled image set, sampled class-balanced.
pub struct ImageSetSource {
    set: LabeledImages,
    by_class: Vec<Vec<usize>>,
    present: Vec<usize>,
    augment: Augment,
}

impl ImageSetSource {
    /// Wraps a labeled image set; `augment` applies to training draws only.
    pub fn new(set: LabeledImages, augment: Augment) -> Self {
        let by_class = set.indices_by_class();
        let present = (0..NUM_CLASSES).filter(|&c| by_class.get(c).is_some_and(|v| !v.is_empty())).collect();
        ImageSetSource { set, by_class, present, augment }
    }

    fn image(&self, i: usize) -> InkImage {
        self.set
            .image(i)
            .and_then(|px| InkImage::from_u8(self.set.width, self.set.height, px))
            .unwrap_or_else(|| InkImage::new(self.set.width.max(1), self.set.height.max(1)))
    }
}

impl Source for ImageSetSource {
    fn name(&self) -> String {
        self.set.name.clone()
    }

    fn sample_ink(&self, rng: &mut ChaCha8Rng, _side: u32, aug: Augment) -> (InkImage, usize) {
        let label = self.present.choose(rng).copied().unwrap_or(0);
        let i = self.by_class.get(label).and_then(|v| v.choose(rng)).copied().unwrap_or(0);
        let mut img = self.image(i);
        let aug = Augment { strength: self.augment.strength * aug.strength, effects: self.augment.effects && aug.effects, placement: false };
        if aug.strength > 0.0 {
            // Resampled sharply: the pictures are read later as they are, as sharp as published.
            let t = aug.cell_geometry(rng, img.width.max(img.height) as f32);
            img = super::augment::warp_affine_with(&img, t, Resample::Sharp);
            aug.raster_effects_with(rng, &mut img, Resample::Sharp);
        }
        (img, label)
    }

    /// A training draw (with chance [`AS_PUBLISHED_CHANCE`] the picture as published, else
    /// augmented), preprocessed as a writing box or, with chance [`PICTURE_FRAMING_CHANCE`]
    /// for a full-size kana, cropped to its ink as `fude predict` reads a picture that is not
    /// framed like a dataset cell: the network learns both framings of the same pictures.
    fn sample(&self, rng: &mut ChaCha8Rng) -> Sample {
        let (img, label) = if rng.random::<f32>() < AS_PUBLISHED_CHANCE {
            self.sample_ink(rng, RASTER_SIDE, Augment::NONE)
        } else {
            self.sample_ink(rng, RASTER_SIDE, Augment::TRAIN)
        };
        let full_size = super::classes::get(label).is_some_and(|c| !c.is_small());
        let cropped = (rng.random::<f32>() < PICTURE_FRAMING_CHANCE && full_size).then(|| crop_character(&img).ok()).flatten();
        Sample { input: cropped.map_or_else(|| model_input(&img), |c| model_input(&c.image)), label }
    }

    fn eval_ink(&self, _side: u32, _aug: Augment) -> Vec<(InkImage, usize)> {
        (0..self.set.len()).map(|i| (self.image(i), self.set.label(i).unwrap_or(0))).collect()
    }

    fn eval_samples(&self) -> Vec<Sample> {
        (0..self.set.len())
            .into_par_iter()
            .map(|i| Sample {
                input: model_input(&self.image(i)),
                label: self.set.label(i).unwrap_or(0),
            })
            .collect()
    }

    fn classes(&self) -> Vec<bool> {
        self.by_class.iter().map(|v| !v.is_empty()).collect()
    }

    fn class_counts(&self) -> Option<Vec<usize>> {
        Some(self.by_class.iter().map(Vec::len).collect())
    }
}

/// Fonts of one split, shared between the font, drawing and scan sources.
pub(super) fn split_fonts(split: Split) -> Vec<Arc<KanaFont>> {
    static ALL: std::sync::OnceLock<Vec<Arc<KanaFont>>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| super::fonts::load_all().into_iter().map(Arc::new).collect())
        .iter()
        .filter(|f| f.is_validation() == (split == Split::Test))
        .cloned()
        .collect()
}

/// For each class, the indices of the fonts (or glyph sets) that have it.
fn owners(coverage: impl Iterator<Item = Vec<bool>>) -> Vec<Vec<usize>> {
    let mut by_class = vec![Vec::new(); NUM_CLASSES];
    for (f, cov) in coverage.enumerate() {
        for (c, has) in cov.into_iter().enumerate() {
            if has {
                if let Some(v) = by_class.get_mut(c) {
                    v.push(f);
                }
            }
        }
    }
    by_class
}

/// A random (class, owner) with the class uniform over covered classes.
fn pick(by_class: &[Vec<usize>], rng: &mut ChaCha8Rng) -> (usize, usize) {
    let covered: Vec<usize> = (0..by_class.len()).filter(|&c| by_class.get(c).is_some_and(|v| !v.is_empty())).collect();
    let class = covered.choose(rng).copied().unwrap_or(0);
    let owner = by_class.get(class).and_then(|v| v.choose(rng)).copied().unwrap_or(0);
    (class, owner)
}

/// Evaluation variants per (font, class) for generated sources.
pub const EVAL_VARIANTS: u64 = 4;

/// The deterministic evaluation set of a generator: `EVAL_VARIANTS` renders per (owner, class).
fn generator_eval<T: Send>(by_class: &[Vec<usize>], salt: u64, render: impl Fn(usize, usize, &mut ChaCha8Rng) -> T + Sync) -> Vec<(T, usize)> {
    let jobs: Vec<(usize, usize, u64)> = by_class
        .iter()
        .enumerate()
        .flat_map(|(c, owners)| owners.iter().flat_map(move |&o| (0..EVAL_VARIANTS).map(move |k| (c, o, k))))
        .collect();
    jobs.into_par_iter()
        .map(|(c, o, k)| {
            let mut rng = ChaCha8Rng::seed_from_u64(salt ^ ((o as u64) << 40) ^ ((c as u64) << 20) ^ k);
            (render(o, c, &mut rng), c)
        })
        .collect()
}

/// Renders (owner, class) pairs into model inputs: the glyphs of one font, or the strokes traced
/// from one font.
pub trait Renderer: Send + Sync {
    /// Source name prefix (`fonts`, `drawings`).
    fn kind(&self) -> &'static str;
    /// For each owner, which classes it can render.
    fn coverage(&self) -> Vec<Vec<bool>>;
    /// For each owner, its name (the font file).
    fn owner_names(&self) -> Vec<String>;
    /// Renders class `class` of owner `owner` with augmentation `aug` at `side` x `side` pixels.
    fn render_ink(&self, owner: usize, class: usize, aug: Augment, rng: &mut ChaCha8Rng, side: u32) -> InkImage;
    /// Renders class `class` of owner `owner` in the style drawn from `style_seed` (the same seed
    /// gives every class the same geometry, pen and distortion); `glyph` draws what may differ
    /// between the letters of one writer (the wobble of each stroke).
    fn render_in_style(&self, owner: usize, class: usize, aug: Augment, style_seed: u64, _glyph: &mut ChaCha8Rng, side: u32) -> InkImage {
        self.render_ink(owner, class, aug, &mut ChaCha8Rng::seed_from_u64(style_seed), side)
    }
}

/// An unbounded generated source: classes drawn uniformly, each from a random owner that has it.
pub struct Generated<R> {
    renderer: R,
    by_class: Vec<Vec<usize>>,
    split: Split,
    salt: u64,
}

impl<R: Renderer> Generated<R> {
    pub(super) fn from_renderer(renderer: R, split: Split, salt: u64) -> Self {
        let by_class = owners(renderer.coverage().into_iter());
        Generated { renderer, by_class, split, salt }
    }

    /// Renders class `class` of owner `owner` (a font) with augmentation `aug`.
    pub fn render(&self, owner: usize, class: usize, aug: Augment, rng: &mut ChaCha8Rng) -> ModelInput {
        model_input(&self.renderer.render_ink(owner, class, aug, rng, RASTER_SIDE))
    }

    fn eval_set(&self, by_class: &[Vec<usize>]) -> Vec<Sample> {
        generator_eval(by_class, self.salt, |o, c, rng| self.render(o, c, Augment::EVAL, rng))
            .into_iter()
            .map(|(input, label)| Sample { input, label })
            .collect()
    }
}

impl<R: Renderer> Source for Generated<R> {
    fn name(&self) -> String {
        format!("{}:{}", self.renderer.kind(), split_name(self.split))
    }

    fn sample_ink(&self, rng: &mut ChaCha8Rng, side: u32, aug: Augment) -> (InkImage, usize) {
        let (label, owner) = pick(&self.by_class, rng);
        (self.renderer.render_ink(owner, label, aug, rng, side), label)
    }

    fn eval_ink(&self, side: u32, aug: Augment) -> Vec<(InkImage, usize)> {
        generator_eval(&self.by_class, self.salt, |o, c, rng| self.renderer.render_ink(o, c, aug, rng, side))
    }

    fn style_group(&self, rng: &mut ChaCha8Rng, k: usize, side: u32, aug: Augment) -> Option<Vec<(InkImage, usize)>> {
        let owners = self.by_class.iter().flatten().copied().max().map_or(0, |m| m + 1);
        let owner = rng.random_range(0..owners.max(1));
        let classes: Vec<usize> = (0..self.by_class.len()).filter(|&c| self.by_class.get(c).is_some_and(|v| v.contains(&owner))).collect();
        let style_seed = rng.random::<u64>();
        let picked: Vec<usize> = classes.choose_multiple(rng, k).copied().collect();
        if picked.is_empty() {
            return None;
        }
        Some(picked.into_iter().map(|c| (self.renderer.render_in_style(owner, c, aug, style_seed, rng, side), c)).collect())
    }

    fn eval_samples(&self) -> Vec<Sample> {
        self.eval_set(&self.by_class)
    }

    fn eval_parts(&self) -> Vec<(String, Vec<Sample>)> {
        self.renderer
            .owner_names()
            .into_iter()
            .enumerate()
            .map(|(owner, name)| {
                let only: Vec<Vec<usize>> =
                    self.by_class.iter().map(|v| v.iter().copied().filter(|&o| o == owner).collect()).collect();
                (name, self.eval_set(&only))
            })
            .collect()
    }

    fn classes(&self) -> Vec<bool> {
        self.by_class.iter().map(|v| !v.is_empty()).collect()
    }
}

/// The glyphs of the bundled fonts of one split.
pub struct FontGlyphs {
    fonts: Vec<Arc<KanaFont>>,
}

impl Renderer for FontGlyphs {
    fn kind(&self) -> &'static str {
        "fonts"
    }

    fn coverage(&self) -> Vec<Vec<bool>> {
        self.fonts.iter().map(|f| f.coverage()).collect()
    }

    fn owner_names(&self) -> Vec<String> {
        self.fonts.iter().map(|f| f.name.clone()).collect()
    }

    fn render_ink(&self, font: usize, class: usize, aug: Augment, rng: &mut ChaCha8Rng, side: u32) -> InkImage {
        let mut img = InkImage::new(side as usize, side as usize);
        if let (Some(glyph), Some(mut mask)) = (self.fonts.get(font).and_then(|f| f.glyph(class)), Mask::new(side, side)) {
            let t = aug.geometry(rng, side as f32);
            let distorted = aug.elastic_field(rng).and_then(|f| super::augment::distort_path(glyph, &f));
            mask.fill_path(distorted.as_ref().unwrap_or(glyph), FillRule::Winding, true, t);
            img = mask_to_image(&mask);
            aug.effects(rng, &mut img);
        }
        img
    }
}

/// Kana rendered from the bundled fonts with random geometry, elastic distortion, thickness, blur
/// and noise. The test split uses the held-out validation fonts.
pub type FontSource = Generated<FontGlyphs>;

impl FontSource {
    /// The bundled fonts of `split`.
    pub fn new(split: Split) -> Self {
        Self::with_fonts(split_fonts(split), split)
    }

    /// Kana rendered from the given fonts; `split` only names the source.
    pub fn with_fonts(fonts: Vec<Arc<KanaFont>>, split: Split) -> Self {
        Self::from_renderer(FontGlyphs { fonts }, split, 0xF0_u64 << 56)
    }

    /// The chosen fonts for training; the test split keeps the bundled validation fonts, so
    /// held-out figures stay comparable whatever was chosen. A user font file is read here
    /// (refused, naming the file and why, when it is not a font or has no kana); a bundled name
    /// must be a training font.
    pub fn chosen(picks: &[FontPick], split: Split) -> Result<Self> {
        if split == Split::Test {
            // Not used for the held-out split, but a font file that cannot be used is still an
            // error rather than passed over in silence.
            for p in picks {
                if let FontPick::File(path) = p {
                    KanaFont::from_file(path)?;
                }
            }
            return Ok(Self::new(split));
        }
        if picks.is_empty() {
            return Err(Error::Invalid("no font chosen for generated kana".into()));
        }
        let bundled = split_fonts(Split::Train);
        let fonts = picks
            .iter()
            .map(|p| match p {
                FontPick::Bundled(name) => bundled
                    .iter()
                    .find(|f| &f.name == name)
                    .cloned()
                    .ok_or_else(|| Error::Invalid(format!("{name} is not a bundled training font"))),
                FontPick::File(path) => KanaFont::from_file(path).map(Arc::new),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::with_fonts(fonts, split))
    }
}

/// Strokes traced from the glyphs of the bundled fonts of one split, drawn as they are
/// (`drawings`) or with real writers' habits (`pens`, see [`super::pens`]).
pub struct TracedStrokes {
    names: Vec<String>,
    glyphs: Arc<TracedGlyphs>,
    habits: bool,
    /// Every drawing shrunk to this fraction of its size about its centre, full-size kana only
    /// (the held-out probe of [`super::placement`]).
    shrink: Option<f32>,
}

impl Renderer for TracedStrokes {
    fn kind(&self) -> &'static str {
        match (self.habits, self.shrink) {
            (true, _) => "pens",
            (false, None) => "drawings",
            (false, Some(_)) => "shrunk drawings",
        }
    }

    fn coverage(&self) -> Vec<Vec<bool>> {
        let wanted = |class: usize| self.shrink.is_none() || super::classes::get(class).is_some_and(|c| !c.is_small());
        self.glyphs.iter().map(|g| g.iter().enumerate().map(|(class, s)| s.is_some() && wanted(class)).collect()).collect()
    }

    fn owner_names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn render_ink(&self, owner: usize, class: usize, aug: Augment, rng: &mut ChaCha8Rng, raster: u32) -> InkImage {
        let side = raster as f32;
        let mut img = InkImage::new(raster as usize, raster as usize);
        if let (Some(strokes), Some(mut mask)) = (
            self.glyphs.get(owner).and_then(|g| g.get(class)).and_then(Option::as_ref),
            Mask::new(raster, raster),
        ) {
            let mut jittered = jitter_strokes(strokes, aug, rng);
            if let Some(factor) = self.shrink {
                jittered = super::placement::shrink_about_centre(&jittered, factor);
            } else if aug.placement {
                jittered = super::placement::place(jittered, class, rng);
            }
            if self.habits {
                return super::pens::write(&jittered, mask, aug, rng);
            }
            let (t, pen) = traced_geometry(aug, rng, side);
            draw_strokes(&mut mask, &jittered, pen * side, t);
            img = mask_to_image(&mask);
        }
        img
    }

    fn render_in_style(&self, owner: usize, class: usize, aug: Augment, style_seed: u64, glyph: &mut ChaCha8Rng, raster: u32) -> InkImage {
        if self.habits {
            return self.render_ink(owner, class, aug, &mut ChaCha8Rng::seed_from_u64(style_seed), raster);
        }
        let mut img = InkImage::new(raster as usize, raster as usize);
        if let (Some(strokes), Some(mut mask)) = (
            self.glyphs.get(owner).and_then(|g| g.get(class)).and_then(Option::as_ref),
            Mask::new(raster, raster),
        ) {
            let jittered = jitter_strokes(strokes, aug, glyph);
            let (t, pen) = traced_geometry(aug, &mut ChaCha8Rng::seed_from_u64(style_seed), raster as f32);
            draw_strokes(&mut mask, &jittered, pen * raster as f32, t);
            img = mask_to_image(&mask);
        }
        img
    }
}

/// The geometry and pen width (in box units) of one synthetic drawing.
fn traced_geometry(aug: Augment, rng: &mut ChaCha8Rng, side: f32) -> (Transform, f32) {
    let t: Transform = aug.geometry(rng, side);
    let base = crate::ink::raster::MODEL_PEN_WIDTH;
    (t, base * (1.0 + aug.strength * rng.random_range(-0.35f32..0.45)))
}

/// Synthetic pen drawings: font glyphs thinned to strokes, then redrawn with a round pen of random
/// width, random geometry and hand-like jitter, through the same rasterizer as the canvas. The
/// same type, built by [`DrawingSource::with_habits`], is the `pens` source.
pub type DrawingSource = Generated<TracedStrokes>;

impl DrawingSource {
    /// The drawings of the fonts of `split` (traced once per process, see `bundled_traces`).
    pub fn new(split: Split) -> Self {
        Self::traced(split, false)
    }

    /// The `pens` source: the same strokes written with real writers' habits, thin pens, specks
    /// and JPEG (see [`super::pens`]); its held-out set has a seed salt of its own.
    pub fn with_habits(split: Split) -> Self {
        Self::traced(split, true)
    }

    /// The full-size kana of the `drawings` source, each shrunk to `factor` of its size about its
    /// centre (the same held-out drawings as `drawings`, smaller): a person who does not fill the
    /// box. They must still read as full-size kana.
    pub fn shrunk(split: Split, factor: f32) -> Self {
        let mut source = Self::traced(split, false);
        source.renderer.shrink = Some(factor);
        source.by_class = owners(source.renderer.coverage().into_iter());
        source
    }

    fn traced(split: Split, habits: bool) -> Self {
        let names = split_fonts(split).iter().map(|f| f.name.clone()).collect();
        let salt = if habits { 0x9E_u64 << 56 } else { 0xD0_u64 << 56 };
        Self::from_renderer(TracedStrokes { names, glyphs: bundled_traces(split), habits, shrink: None }, split, salt)
    }
}

/// Per font, per class: a glyph traced to strokes; `None` where the font lacks the glyph or the
/// trace is empty.
pub type TracedGlyphs = Vec<Vec<Option<Vec<Stroke>>>>;

/// The bundled fonts of `split` ([`split_fonts`]) traced to strokes, every class: traced once per
/// process (in parallel; it takes a moment) and shared by `drawings`, `pens` and `scans`.
pub(super) fn bundled_traces(split: Split) -> Arc<TracedGlyphs> {
    static TRAIN: std::sync::OnceLock<Arc<TracedGlyphs>> = std::sync::OnceLock::new();
    static TEST: std::sync::OnceLock<Arc<TracedGlyphs>> = std::sync::OnceLock::new();
    let cell = if split == Split::Train { &TRAIN } else { &TEST };
    Arc::clone(cell.get_or_init(|| Arc::new(trace_fonts(&split_fonts(split)))))
}

/// Traces every glyph of `fonts` (see [`TracedGlyphs`]).
fn trace_fonts(fonts: &[Arc<KanaFont>]) -> TracedGlyphs {
    fonts
        .par_iter()
        .map(|f| (0..NUM_CLASSES).into_par_iter().map(|c| f.glyph(c).map(skeleton::glyph_strokes).filter(|s| !s.is_empty())).collect())
        .collect()
}

/// Hand-like jitter in box units: each stroke shifted a little, each point wobbled smoothly, end
/// points sometimes overshooting or falling short.
pub(super) fn jitter_strokes(strokes: &[Stroke], aug: Augment, rng: &mut ChaCha8Rng) -> Vec<Stroke> {
    use super::augment::gauss;
    let s = aug.strength;
    strokes
        .iter()
        .map(|stroke| {
            let (ox, oy) = (0.012 * s * gauss(rng), 0.012 * s * gauss(rng));
            let (mut wx, mut wy) = (0.0f32, 0.0f32);
            let mut out: Stroke = stroke
                .iter()
                .map(|p| {
                    wx = 0.6 * wx + 0.006 * s * gauss(rng);
                    wy = 0.6 * wy + 0.006 * s * gauss(rng);
                    [p[0] + ox + wx, p[1] + oy + wy]
                })
                .collect();
            if s > 0.0 && out.len() >= 2 && rng.random::<f32>() < 0.3 {
                let k = rng.random_range(-0.15f32..0.2);
                if let (Some(&a), Some(&b)) = (out.get(out.len() - 2), out.last()) {
                    out.push([b[0] + (b[0] - a[0]) * k, b[1] + (b[1] - a[1]) * k]);
                    out.swap_remove(out.len() - 2);
                }
            }
            out
        })
        .collect()
}

fn split_name(split: Split) -> &'static str {
    match split {
        Split::Train => "train",
        Split::Test => "test",
    }
}

/// Several sources drawn from in proportion to their weights.
pub struct Mixture {
    parts: Vec<(Box<dyn Source>, f64)>,
    total: f64,
}

impl Mixture {
    /// A mixture; weights must be positive.
    pub fn new(parts: Vec<(Box<dyn Source>, f64)>) -> Self {
        let total = parts.iter().map(|p| p.1.max(0.0)).sum();
        Mixture { parts, total }
    }

    /// A source chosen by weight.
    fn choose(&self, rng: &mut ChaCha8Rng) -> Option<&dyn Source> {
        let mut x = rng.random::<f64>() * self.total;
        for (src, w) in &self.parts {
            if x < *w {
                return Some(src.as_ref());
            }
            x -= w;
        }
        self.parts.last().map(|(s, _)| s.as_ref())
    }

    /// A random sample from a source chosen by weight.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> Option<Sample> {
        let src = self.choose(rng)?;
        Some(src.sample(rng))
    }

    /// Deterministic batch `batch` of `size` samples for `seed`, generated in parallel.
    pub fn batch(&self, seed: u64, batch: u64, size: usize) -> Vec<Sample> {
        (0..size)
            .into_par_iter()
            .filter_map(|i| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(batch.wrapping_mul(1 << 20).wrapping_add(i as u64));
                self.sample(&mut rng)
            })
            .collect()
    }

    /// A random sample as ink from a source chosen by weight (see [`Source::sample_ink`]).
    pub fn sample_ink(&self, rng: &mut ChaCha8Rng, side: u32, aug: Augment) -> Option<(InkImage, usize)> {
        let src = self.choose(rng)?;
        Some(src.sample_ink(rng, side, aug))
    }

    /// Deterministic batch `batch` of `size` images for `seed`, rendered at `side` with `aug`
    /// and preprocessed to `side` x `side` ([`crate::ink::preprocess::boxed_input`]), in parallel:
    /// what the generator trains on.
    pub fn image_batch(&self, seed: u64, batch: u64, size: usize, side: usize, aug: Augment) -> Vec<(Vec<f32>, usize)> {
        (0..size)
            .into_par_iter()
            .filter_map(|i| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(batch.wrapping_mul(1 << 20).wrapping_add(i as u64));
                let (img, label) = self.sample_ink(&mut rng, side as u32, aug)?;
                Some((crate::ink::preprocess::boxed_input(&img, side), label))
            })
            .collect()
    }

    /// Deterministic batch `batch` of `groups` style groups for `seed`: each group is 1 to `k`
    /// images (drawn uniformly, so a style is also learnt from one letter alone, as a user's
    /// drawing gives it) of different classes in one style ([`Source::style_group`]; a source
    /// without styles gives groups of one), rendered and preprocessed as [`Self::image_batch`]
    /// does.
    pub fn style_batch(&self, seed: u64, batch: u64, groups: usize, k: usize, side: usize, aug: Augment) -> Vec<Vec<(Vec<f32>, usize)>> {
        (0..groups)
            .into_par_iter()
            .filter_map(|i| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(batch.wrapping_mul(1 << 20).wrapping_add(i as u64));
                let src = self.choose(&mut rng)?;
                let k = rng.random_range(1..=k.max(1));
                let group = match src.style_group(&mut rng, k, side as u32, aug) {
                    Some(g) => g,
                    None => vec![src.sample_ink(&mut rng, side as u32, aug)],
                };
                Some(group.into_iter().map(|(img, c)| (crate::ink::preprocess::boxed_input(&img, side), c)).collect())
            })
            .collect()
    }

    /// The sources and their weights.
    pub fn parts(&self) -> &[(Box<dyn Source>, f64)] {
        &self.parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_samples_are_deterministic_and_varied() {
        let src = FontSource::new(Split::Train);
        let a = src.sample(&mut ChaCha8Rng::seed_from_u64(7));
        let b = src.sample(&mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(a.label, b.label);
        assert_eq!(a.input, b.input);
        let c = src.sample(&mut ChaCha8Rng::seed_from_u64(8));
        assert_ne!(a.input, c.input);
        assert!(a.input.iter().copied().fold(0.0, f32::max) > 0.99);
    }

    #[test]
    fn held_out_fonts_are_not_training_fonts() {
        let train = split_fonts(Split::Train);
        let test = split_fonts(Split::Test);
        assert!(!test.is_empty());
        for t in &test {
            assert!(train.iter().all(|f| f.name != t.name));
        }
    }

    #[test]
    fn drawing_eval_set_covers_every_class() {
        let src = DrawingSource::new(Split::Test);
        let set = src.eval_samples();
        let mut seen = [false; NUM_CLASSES];
        for s in &set {
            seen[s.label] = true;
            assert!(s.input.iter().any(|&v| v > 0.5));
        }
        let covered = src.classes();
        assert_eq!(seen.to_vec(), covered);
        assert_eq!(set, src.eval_samples(), "deterministic");
    }

    #[test]
    fn eval_parts_split_the_eval_set_by_font() {
        let src = FontSource::new(Split::Test);
        let whole = src.eval_samples();
        let parts = src.eval_parts();
        assert_eq!(parts.len(), split_fonts(Split::Test).len());
        assert!(parts.iter().all(|(name, _)| name.ends_with(".ttf")));
        assert_eq!(parts.iter().map(|(_, s)| s.len()).sum::<usize>(), whole.len());
        for (_, part) in &parts {
            assert!(part.iter().all(|s| whole.contains(s)), "a part holds the same renders as the whole set");
        }
    }

    #[test]
    fn a_style_group_shares_its_geometry_across_letters() {
        // Two renders of one class in the same style are the same picture up to the strokes'
        // wobble; in different styles they differ more.
        let src = DrawingSource::new(Split::Train);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let group = src.style_group(&mut rng, 4, 64, Augment::SHAPE).unwrap();
        assert_eq!(group.len(), 4);
        let mut classes: Vec<usize> = group.iter().map(|(_, c)| *c).collect();
        classes.dedup();
        assert_eq!(classes.len(), 4, "different letters");
        let render = |style: u64, glyph: u64| {
            src.renderer.render_in_style(0, 1, Augment::SHAPE, style, &mut ChaCha8Rng::seed_from_u64(glyph), 64).data
        };
        let diff = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| (p - q).abs()).sum::<f32>();
        let same_style = diff(&render(5, 1), &render(5, 2));
        let other_style = diff(&render(5, 1), &render(6, 1));
        assert!(same_style < other_style, "{same_style} vs {other_style}");
        let mix = Mixture::new(vec![(Box::new(FontSource::new(Split::Train)) as Box<dyn Source>, 1.0)]);
        let b = mix.style_batch(1, 0, 3, 4, 32, Augment::SHAPE);
        assert_eq!(b.len(), 3);
        assert!(b.iter().all(|g| (1..=4).contains(&g.len()) && g.iter().all(|(x, _)| x.len() == 32 * 32)));
        assert_eq!(b, mix.style_batch(1, 0, 3, 4, 32, Augment::SHAPE));
    }

    #[test]
    fn mixture_follows_weights() {
        let mix = Mixture::new(vec![
            (Box::new(FontSource::new(Split::Train)) as Box<dyn Source>, 3.0),
            (Box::new(DrawingSource::new(Split::Train)), 1.0),
        ]);
        let batch = mix.batch(1, 0, 64);
        assert_eq!(batch.len(), 64);
        assert_eq!(batch, mix.batch(1, 0, 64));
        assert_ne!(batch, mix.batch(1, 1, 64));
    }

    /// The repository's 300 real kuzushiji cells.
    fn kuzushiji_fixture() -> LabeledImages {
        use crate::data::test_data::fixture;
        let file = |n: &str| fixture(&format!("kuzushiji-fixture{n}"));
        LabeledImages::from_npz("kuzushiji", &file("-imgs.npz"), &file("-labels.npz"), &file("_classmap.csv")).unwrap()
    }

    #[test]
    fn some_training_draws_of_an_image_set_are_its_pictures_as_published() {
        let src = ImageSetSource::new(kuzushiji_fixture(), Augment::TRAIN);
        let published: Vec<(ModelInput, usize)> = (0..src.set.len()).map(|i| (model_input(&src.image(i)), src.set.label(i).unwrap())).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let n = 400;
        let as_published = (0..n)
            .filter(|_| {
                let s = src.sample(&mut rng);
                published.iter().any(|(input, label)| *label == s.label && *input == s.input)
            })
            .count();
        // A quarter are drawn as published; of those, the crop branch reframes three in ten.
        let expected = n as f32 * AS_PUBLISHED_CHANCE * (1.0 - PICTURE_FRAMING_CHANCE);
        assert!((as_published as f32 - expected).abs() < 0.35 * expected, "{as_published} of {n}, expected about {expected}");
    }

    #[test]
    fn generated_sources_always_draw_augmented() {
        // Only image sets draw some pictures as published; fonts and drawings (the trait's own
        // `sample`) are augmented every time.
        for seed in 0..12 {
            for src in [&FontSource::new(Split::Train) as &dyn Source, &DrawingSource::new(Split::Train)] {
                let s = src.sample(&mut ChaCha8Rng::seed_from_u64(seed));
                let (img, label) = src.sample_ink(&mut ChaCha8Rng::seed_from_u64(seed), RASTER_SIDE, Augment::TRAIN);
                assert_eq!((s.input, s.label), (model_input(&img), label), "{} seed {seed}", src.name());
            }
        }
    }

    /// The median share of a model input's inked pixels (above 0.05) that are mid-tones (below
    /// 0.8): resampling softens edges, which raises it.
    fn median_mid_tones(inputs: impl Iterator<Item = ModelInput>) -> f32 {
        let mut shares: Vec<f32> = inputs
            .map(|v| {
                let inked = v.iter().filter(|&&x| x > 0.05).count().max(1);
                v.iter().filter(|&&x| x > 0.05 && x < 0.8).count() as f32 / inked as f32
            })
            .collect();
        shares.sort_by(f32::total_cmp);
        shares.get(shares.len() / 2).copied().unwrap_or(0.0)
    }

    #[test]
    fn augmented_draws_of_an_image_set_are_resampled_sharply() {
        // The geometry alone (the raster effects, a blur among them, are augmentation of their own).
        let shape = Augment { effects: false, ..Augment::TRAIN };
        let src = ImageSetSource::new(kuzushiji_fixture(), shape);
        let published = median_mid_tones((0..src.set.len()).map(|i| model_input(&src.image(i))));
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let drawn = median_mid_tones((0..2000).map(|_| model_input(&src.sample_ink(&mut rng, RASTER_SIDE, shape).0)));
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        // The same draws (the same picks from the same seed) warped as before, bilinearly.
        let bilinear = median_mid_tones((0..2000).map(|_| {
            let label = src.present.choose(&mut rng).copied().unwrap();
            let i = *src.by_class[label].choose(&mut rng).unwrap();
            let mut img = super::super::augment::warp_affine(&src.image(i), shape.cell_geometry(&mut rng, 28.0));
            shape.raster_effects(&mut rng, &mut img);
            model_input(&img)
        }));
        eprintln!("mid-tone share: published {published:.3}, sharp draws {drawn:.3}, bilinear draws {bilinear:.3}");
        // Any resampling of a 28-pixel picture softens it (published 0.53, sharp draws 0.64,
        // bilinear draws 0.69 on this fixture): the sharp kernel keeps draws nearer the pictures,
        // and the draws as published (`AS_PUBLISHED_CHANCE`) show the network the rest.
        assert!(bilinear > published + 0.1, "bilinear warps soften: {bilinear} against {published}");
        assert!(drawn < bilinear - 0.03 && drawn > published, "sharp draws {drawn}, bilinear {bilinear}, the pictures {published}");
    }
}
