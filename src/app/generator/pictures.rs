//! The generator panel's pictures: ink textures that follow the theme (dark ink on paper in the
//! light theme, light ink on dark paper in the dark one), the interpolation animation with its
//! scrubber, and the style sheet (every kana with one latent, laid out as the two gojūon tables
//! side by side), which can be clicked and exported.

use crate::app::generator::kana_picker::{sheet_layout, SHEET_COLUMNS};
use crate::data::classes;
use crate::ink::InkImage;
use egui::{Sense, TextureHandle, TextureOptions, Vec2};
use std::time::{Duration, Instant};

/// Time each interpolation frame is shown while playing.
pub const FRAME_TIME: Duration = Duration::from_millis(70);

/// A texture of an ink picture (ink bright, 0..=1), rebuilt when the picture or theme changes.
#[derive(Default)]
pub struct InkTexture {
    handle: Option<TextureHandle>,
    /// The theme the texture was drawn for; `None` when the picture changed since.
    drawn_dark: Option<bool>,
}

impl InkTexture {
    /// Marks the picture as changed.
    pub fn invalidate(&mut self) {
        self.drawn_dark = None;
    }

    /// The texture of `picture` for the current theme.
    pub fn texture_id(&mut self, ctx: &egui::Context, name: &str, picture: &InkImage, dark: bool) -> egui::TextureId {
        let image = || ink_color_image(picture, dark);
        match &mut self.handle {
            Some(h) if self.drawn_dark == Some(dark) => return h.id(),
            Some(h) => h.set(image(), TextureOptions::LINEAR),
            None => self.handle = Some(ctx.load_texture(name, image(), TextureOptions::LINEAR)),
        }
        self.drawn_dark = Some(dark);
        self.handle.as_ref().map(TextureHandle::id).unwrap_or_default()
    }
}

/// An ink picture as screen colours: dark ink on light paper, or the reverse when `dark`.
pub fn ink_color_image(picture: &InkImage, dark: bool) -> egui::ColorImage {
    let n = picture.width * picture.height;
    let gray = picture.data.iter().copied().chain(std::iter::repeat(0.0)).take(n).map(|v| {
        let v = if v.is_finite() { v.clamp(0.0, 1.0) } else { 0.0 };
        (if dark { 28.0 + 212.0 * v } else { 250.0 - 228.0 * v }) as u8
    });
    egui::ColorImage::from_gray_iter([picture.width, picture.height], gray)
}

/// An ink picture as paper: dark ink on white (for PNG export).
pub fn on_paper(picture: &InkImage) -> InkImage {
    InkImage { data: picture.data.iter().map(|v| 1.0 - v.clamp(0.0, 1.0)).collect(), ..picture.clone() }
}

/// A square picture of `side²` values.
pub fn square(side: usize, data: Vec<f32>) -> InkImage {
    InkImage { width: side, height: side, data }
}

/// An interpolation: frames decoded as one batch, played once (or in a loop) or scrubbed by hand.
pub struct Animation {
    frames: Vec<InkImage>,
    index: usize,
    playing: bool,
    /// Start again after the last frame instead of stopping there.
    pub looping: bool,
    shown_at: Instant,
    texture: InkTexture,
    /// What is interpolated, for the caption ("あ → い").
    caption: String,
}

impl Animation {
    /// An animation of `frames` (ink bright, `side²` values each), playing from the first.
    pub fn new(side: usize, frames: Vec<Vec<f32>>, caption: String) -> Self {
        let frames = frames.into_iter().map(|f| square(side, f)).collect();
        Animation { frames, index: 0, playing: true, looping: false, shown_at: Instant::now(), texture: InkTexture::default(), caption }
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether there are no frames.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The frame shown.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Whether it is playing.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// The picture of the frame shown.
    pub fn frame(&self) -> Option<&InkImage> {
        self.frames.get(self.index)
    }

    /// Advances to the next frame when its time has come; after the last one it stops, or
    /// starts again when looping.
    fn advance(&mut self) {
        if self.playing && self.shown_at.elapsed() >= FRAME_TIME && !self.frames.is_empty() {
            if self.index + 1 < self.frames.len() {
                self.index += 1;
            } else if self.looping {
                self.index = 0;
            } else {
                self.playing = false;
                return;
            }
            self.shown_at = Instant::now();
            self.texture.invalidate();
        }
    }

    /// Shows play/pause, Loop, the scrubber and the frame. Returns true when "Close" was clicked.
    pub fn animation_ui(&mut self, ui: &mut egui::Ui) -> bool {
        self.advance();
        if self.playing {
            ui.ctx().request_repaint_after(FRAME_TIME.saturating_sub(self.shown_at.elapsed()));
        }
        let mut close = false;
        ui.weak(&self.caption);
        ui.horizontal_wrapped(|ui| {
            if ui.button(if self.playing { "Pause" } else { "Play" }).clicked() {
                self.playing = !self.playing;
                // Play at the end starts from the first frame.
                if self.playing && self.index + 1 >= self.frames.len() {
                    self.index = 0;
                    self.texture.invalidate();
                }
                self.shown_at = Instant::now();
            }
            ui.checkbox(&mut self.looping, "Loop");
            if ui.small_button("Close").clicked() {
                close = true;
            }
        });
        ui.scope(|ui| {
            // Room for the value box and the label in a narrow panel.
            ui.spacing_mut().slider_width = (ui.available_width() - 110.0).clamp(60.0, 200.0);
            let last = self.frames.len().saturating_sub(1);
            if ui.add(egui::Slider::new(&mut self.index, 0..=last).text("frame")).changed() {
                self.playing = false;
                self.texture.invalidate();
            }
        });
        // Below the controls, so they stay in view in a short panel.
        let dark = ui.visuals().dark_mode;
        if let Some(frame) = self.frames.get(self.index) {
            let id = self.texture.texture_id(ui.ctx(), "generator-animation", frame, dark);
            let side = ui.available_width().min(150.0);
            let response = ui.add(egui::Image::new((id, Vec2::splat(side))));
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "interpolation frame"));
        }
        close
    }
}

/// Every kana written with one latent.
pub struct StyleSheet {
    /// The class the source was read as.
    pub class: usize,
    /// The latent every cell was decoded from.
    pub z: Vec<f32>,
    /// The composed sheet, ink bright.
    pub picture: InkImage,
    rows: usize,
    texture: InkTexture,
}

impl StyleSheet {
    /// Composes the sheet from one picture per class (class-table order) of `side²` values.
    pub fn new(side: usize, class: usize, z: Vec<f32>, images: &[Vec<f32>]) -> Self {
        let layout = sheet_layout();
        let gap = (side / 8).max(2);
        let cell = side + gap;
        let (width, height) = (SHEET_COLUMNS * cell, layout.len() * cell);
        let mut picture = InkImage::new(width, height);
        for (r, row) in layout.iter().enumerate() {
            for (c, class) in row.iter().enumerate() {
                let Some(image) = class.and_then(|k| images.get(k)) else { continue };
                for (y, line) in image.chunks(side).take(side).enumerate() {
                    let start = (r * cell + gap / 2 + y) * width + c * cell + gap / 2;
                    if let Some(dst) = picture.data.get_mut(start..start + line.len()) {
                        dst.copy_from_slice(line);
                    }
                }
            }
        }
        StyleSheet { class, z, picture, rows: layout.len(), texture: InkTexture::default() }
    }

    /// The class in the cell at `pos`, a fraction (0..1, 0..1) of the sheet.
    pub fn class_at(&self, x: f32, y: f32) -> Option<usize> {
        if !(0.0..1.0).contains(&x) || !(0.0..1.0).contains(&y) {
            return None;
        }
        let (col, row) = ((x * SHEET_COLUMNS as f32) as usize, (y * self.rows as f32) as usize);
        sheet_layout().get(row).and_then(|r| r.get(col)).copied().flatten()
    }

    /// Shows the sheet; returns the class clicked, if any.
    pub fn sheet_ui(&mut self, ui: &mut egui::Ui) -> Option<usize> {
        let dark = ui.visuals().dark_mode;
        let id = self.texture.texture_id(ui.ctx(), "generator-sheet", &self.picture, dark);
        let width = ui.available_width().max(100.0);
        let size = Vec2::new(width, width * self.picture.height as f32 / self.picture.width.max(1) as f32);
        let response = ui.add(egui::Image::new((id, size)).sense(Sense::click()));
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "style sheet"));
        let at = |p: egui::Pos2| {
            let rel = p - response.rect.min;
            self.class_at(rel.x / response.rect.width(), rel.y / response.rect.height())
        };
        if let Some(k) = response.hover_pos().and_then(at).and_then(classes::get) {
            response.clone().on_hover_text(format!("{} {} — click to open it in the picker", k.ch, k.romaji()));
        }
        if response.clicked() {
            return response.interact_pointer_pos().and_then(at);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sheet_puts_each_kana_in_its_cell() {
        let side = 8;
        // Class k's picture is filled with k / 180, so the cell shows which class it is.
        let images: Vec<Vec<f32>> = (0..classes::NUM_CLASSES).map(|k| vec![k as f32 / 180.0; side * side]).collect();
        let sheet = StyleSheet::new(side, 0, vec![0.0; 4], &images);
        let rows = sheet_layout().len();
        assert_eq!((sheet.picture.width, sheet.picture.height), (SHEET_COLUMNS * 10, rows * 10));
        for (r, row) in sheet_layout().iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (x, y) = ((c as f32 + 0.5) / SHEET_COLUMNS as f32, (r as f32 + 0.5) / rows as f32);
                assert_eq!(sheet.class_at(x, y), *cell);
                let centre = sheet.picture.get(c * 10 + 5, r * 10 + 5);
                assert_eq!(centre, cell.map(|k| k as f32 / 180.0).unwrap_or(0.0));
                assert_eq!(sheet.picture.get(c * 10, r * 10), 0.0, "gutter");
            }
        }
        assert_eq!(sheet.class_at(1.0, 0.5), None);
        let ka = classes::index_of('カ');
        assert!(ka.is_some() && sheet_layout().iter().flatten().any(|c| *c == ka));
    }

    #[test]
    fn ink_follows_the_theme() {
        let p = square(2, vec![0.0, 1.0, 0.5, 2.0]);
        let light = ink_color_image(&p, false);
        let dark = ink_color_image(&p, true);
        assert!(light.pixels[0].r() > 240 && light.pixels[1].r() < 30, "dark ink on paper");
        assert!(dark.pixels[0].r() < 30 && dark.pixels[1].r() > 230, "light ink on dark paper");
        assert_eq!(on_paper(&p).data, vec![1.0, 0.0, 0.5, 0.0]);
    }
}
