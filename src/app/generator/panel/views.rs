//! The generator panel's views ([`generator_ui`]): the part that stays in view (preview beside
//! the latent map, the reading, Random, Reset, export) and the tabs below it, each with its own
//! scrolling body. The state they show and change is [`GeneratorPanel`]'s.

use super::{GeneratorPanel, Tab, Target, INTERPOLATION_FRAMES};
use crate::app::command::AppCommand;
use crate::app::recognition::candidates::format_percent;
use crate::app::files::tasks::FileAction;
use crate::app::generator::worker::{LoadedGenerator, TextStyle};
use crate::app::generator::kana_picker::romaji_jump;
use crate::app::generator::latent_map::{axes_ui, MAP_CELLS};
use crate::models::generator::lettering::text_cells;
use crate::app::generator::write_text::TextAction;
use crate::data::classes;
use crate::models::generator::Prior;
use crate::models::CpuRecognizer;
use std::sync::Arc;

impl GeneratorPanel {
    fn preview_ui(&mut self, ui: &mut egui::Ui, side: f32) {
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
    }

    fn map_ui(&mut self, ui: &mut egui::Ui, side: f32) {
        let Some(axes) = self.map_axes() else { return };
        let current = (axes.0.position(&self.z), axes.1.position(&self.z));
        let names = self.slider_names();
        let name = |d: usize| names.iter().find(|(n, _)| *n == d).map_or("?", |(_, s)| s.as_str());
        if let Some((col, row)) = self.map.latent_map_ui(ui, side, current, (name(axes.0.dim), name(axes.1.dim))) {
            for (axis, i) in [(axes.0, col), (axes.1, MAP_CELLS - 1 - row)] {
                if let Some(v) = self.z.get_mut(axis.dim) {
                    *v = axis.value(i);
                }
            }
        }
    }

    fn reading_ui(&self, ui: &mut egui::Ui) {
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
        let names = self.slider_names();
        // Room for the value box and the longest label, so no label is cut off.
        let font = egui::TextStyle::Body.resolve(ui.style());
        let label = names.iter().map(|(_, n)| n.as_str()).chain(["temperature"]).map(|n| ui.painter().layout_no_wrap(n.to_string(), font.clone(), egui::Color32::WHITE).size().x).fold(0.0, f32::max);
        ui.spacing_mut().slider_width = (ui.available_width() - label - 90.0).clamp(60.0, 320.0);
        ui.add(egui::Slider::new(&mut self.temperature, 0.0..=2.0).text("temperature")).on_hover_text("Spread of Random and of new samples");
        ui.horizontal_wrapped(|ui| {
            ui.label("prior");
            ui.radio_value(&mut self.prior, Prior::Fitted, "fitted").on_hover_text("Around styles checked to write every kana right (or a Gaussian fitted to the encodings of real kana)");
            ui.radio_value(&mut self.prior, Prior::Standard, "standard").on_hover_text("N(0, I), what the VAE was trained towards");
        });
        if let Some(axes) = self.map_axes() {
            if let Some(chosen) = axes_ui(ui, (axes.0.dim, axes.1.dim), &names) {
                self.map.chosen = Some(chosen);
            }
        }
        ui.separator();
        let stats = model.model.stats();
        let centre = stats.centre(self.prior, self.class);
        ui.label(format!("Style: {} of {} latent dimensions in use", names.len(), stats.len()))
            .on_hover_text("Ordered by how much each changes the picture (its KL in nats); unused dimensions are hidden. Named by what they do where one measure clearly changes most.");
        for (d, name) in names {
            let (c, s) = (centre.get(d).copied().unwrap_or(0.0), stats.spread(d, self.prior, self.class));
            let kl = stats.kl_per_dim.get(d).copied().unwrap_or(0.0);
            let effect = self.names.iter().find(|n| n.dim == d).map(|n| format!("\n{}", n.effect)).unwrap_or_default();
            if let Some(v) = self.z.get_mut(d) {
                ui.add(egui::Slider::new(v, (c - 3.0 * s)..=(c + 3.0 * s)).clamping(egui::SliderClamping::Edits).text(name))
                    .on_hover_text(format!("Latent dimension {d}: {kl:.1} nats.{effect}"));
            }
        }
    }

    fn interpolation_ui(&mut self, ui: &mut egui::Ui, model: &LoadedGenerator) {
        ui.horizontal_wrapped(|ui| {
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

    fn sheet_ui(&mut self, ui: &mut egui::Ui, model: &LoadedGenerator) -> Option<AppCommand> {
        let mut action = None;
        ui.horizontal_wrapped(|ui| {
            if ui.add(egui::Button::new("The sliders' style").selected(self.sheet_follows)).on_hover_text("Every kana in the style of the sliders; the sheet follows them as they move").clicked() {
                self.follow_sliders();
            }
            if ui.button("Style from my drawing").on_hover_text("Encode what is on the canvas and write every kana in that style").clicked() {
                action = Some(AppCommand::StyleFromDrawing);
            }
            if ui.add_enabled(self.sheet.is_some(), egui::Button::new("Export sheet PNG…")).clicked() {
                action = Some(AppCommand::StartFile(FileAction::ExportSheet));
            }
        });
        let mut picked = None;
        match &mut self.sheet {
            Some(sheet) => {
                let ch = classes::get(sheet.class).map(|k| k.ch).unwrap_or('?');
                if self.sheet_follows {
                    ui.weak("Every kana in the sliders' style, as they move · click one to open it");
                } else {
                    ui.weak(format!("Every kana in the style of your {ch} · click one to open it"));
                }
                picked = sheet.sheet_ui(ui).map(|c| (c, model.model.stats().transfer(&sheet.z, sheet.class, c)));
            }
            None if self.sheet_follows => {
                ui.weak("Writing every kana in the sliders' style…");
            }
            None => {
                ui.weak("Every kana in one style: the sliders' style (it follows them), or write a kana on the canvas and take its style.");
            }
        }
        if let Some((class, z)) = picked {
            self.select(class, Some(z));
        }
        action
    }

    fn text_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        match self.text.write_text_ui(ui)? {
            TextAction::Write if self.text.from_drawing => {
                // Checked here first, so a text that cannot be written is refused before the canvas is read.
                match text_cells(&self.text.text) {
                    Ok(_) => return Some(AppCommand::WriteTextFromDrawing),
                    Err(e) => self.text.error = Some(e.to_string()),
                }
            }
            TextAction::Write => self.post_text(TextStyle::Latent { class: self.class, z: self.z.clone() }),
            TextAction::UseWrittenText => return Some(AppCommand::UseWrittenText),
            TextAction::Export => return Some(AppCommand::StartFile(FileAction::ExportText)),
        }
        None
    }

    /// The preview and map, the reading and the buttons: the part that stays in view.
    fn top_ui(&mut self, ui: &mut egui::Ui, model: &LoadedGenerator) -> Option<AppCommand> {
        let mut action = None;
        let side = ((ui.available_width() - ui.spacing().item_spacing.x) / 2.0).clamp(80.0, 240.0);
        ui.horizontal(|ui| {
            self.preview_ui(ui, side);
            self.map_ui(ui, side);
        });
        self.reading_ui(ui);
        ui.horizontal_wrapped(|ui| {
            if ui.button("Random").on_hover_text("A new latent from the prior").clicked() {
                self.z = model.model.sample_z(&mut rand::rng(), self.prior, self.class, self.temperature);
            }
            if ui.button("Reset").on_hover_text("The centre of the latent space").clicked() {
                self.z = model.model.stats().centre(self.prior, self.class);
            }
            if ui.button("Export preview PNG…").clicked() {
                action = Some(AppCommand::StartFile(FileAction::ExportGenerated));
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        action
    }
}

/// The generator panel. `reader` gives the recognizer that reads the preview (asked only when a
/// preview is posted). Returns what the app must do, if anything.
pub fn generator_ui(ui: &mut egui::Ui, panel: &mut GeneratorPanel, reader: impl FnOnce() -> Option<Arc<CpuRecognizer>>) -> Option<AppCommand> {
    ui.heading("Generator");
    let Some(model) = panel.model.clone() else {
        ui.label(panel.missing.as_deref().unwrap_or("No generator loaded."));
        return ui.button("Open generator…").clicked().then_some(AppCommand::StartFile(FileAction::OpenGenerator));
    };
    ui.weak(format!("{} · {}×{}", model.name, model.model.side(), model.model.side()));
    let mut action = panel.top_ui(ui, &model);
    ui.horizontal_wrapped(|ui| {
        for (tab, title) in Tab::ALL {
            ui.selectable_value(&mut panel.tab, tab, title);
        }
    });
    ui.separator();
    egui::ScrollArea::vertical().id_salt("generator-scroll").auto_shrink([false, false]).show(ui, |ui| {
        let asked = match panel.tab {
            Tab::Sliders => {
                panel.sliders_ui(ui, &model);
                None
            }
            Tab::Kana => {
                if let Some(c) = panel.picker.kana_picker_ui(ui, panel.class) {
                    // The same style, moved to the new letter.
                    panel.z = model.model.stats().transfer(&panel.z, panel.class, c);
                    panel.class = c;
                }
                None
            }
            Tab::Interpolation => {
                panel.interpolation_ui(ui, &model);
                None
            }
            Tab::Sheet => panel.sheet_ui(ui, &model),
            Tab::Text => panel.text_ui(ui),
        };
        action = action.take().or(asked);
    });
    panel.post_preview(reader);
    let dragging = ui.input(|i| i.pointer.any_down());
    panel.post_map(dragging);
    panel.post_sheet(dragging);
    action
}
