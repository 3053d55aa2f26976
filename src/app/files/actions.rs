//! The app's side of file work: starting dialogs, running an action on a chosen path, and taking
//! in what the background file tasks report ([`crate::app::files::tasks`] does the work itself).

use crate::app::files::path_prompt::PathPrompt;
use crate::app::files::tasks::{with_default_extension, FileAction, FileEvent};
use crate::app::FudeApp;
use crate::ink::raster::rasterize;
use crate::ink::InkImage;
use std::path::PathBuf;

impl FudeApp {
    /// Starts a file action: checks there is something to save, then shows the dialog.
    pub(in crate::app) fn start_file_action(&mut self, action: FileAction) {
        if action == FileAction::SaveDrawing && self.writing.canvas.stroke_count() == 0 {
            self.say("Nothing to save: draw something first", true);
            return;
        }
        if action == FileAction::ExportPng && self.writing.canvas.is_empty() {
            self.say("Nothing to export: the canvas is empty", true);
            return;
        }
        if let (FileAction::ExportGenerated | FileAction::ExportSheet | FileAction::ExportText, Err(why)) = (action, self.generator.export_image(action)) {
            self.say(why, true);
            return;
        }
        let name = match action {
            FileAction::SaveDrawing => "drawing.json",
            FileAction::ExportPng => "drawing.png",
            FileAction::ExportGenerated => "generated.png",
            FileAction::ExportSheet => "style-sheet.png",
            FileAction::ExportText => "text.png",
            _ => "",
        };
        self.files.tasks.dialog(action, name);
    }

    /// Runs a file action on a path (from a dialog, the path prompt or a drop).
    pub fn run_file_action(&mut self, action: FileAction, path: PathBuf) {
        // A name without an extension gets the usual one ("sketch" is saved as "sketch.png").
        let path = if action.is_save() { with_default_extension(path, action) } else { path };
        match action {
            FileAction::OpenDrawing => self.files.tasks.open_drawing(path),
            FileAction::OpenImage => self.files.tasks.open_image(path),
            FileAction::OpenModel => self.files.tasks.open_model(path),
            FileAction::OpenGenerator => self.files.tasks.open_generator(path),
            FileAction::AddFont => self.files.tasks.check_font(path),
            FileAction::ExportGenerated | FileAction::ExportSheet | FileAction::ExportText => match self.generator.export_image(action) {
                Ok((image, scale)) => self.files.tasks.save_png_scaled(path, image, scale),
                Err(why) => self.say(why, true),
            },
            FileAction::SaveDrawing => self.files.tasks.save_drawing(path, self.writing.canvas.to_drawing()),
            FileAction::SaveModel => match self.files.model_to_save.clone() {
                Some(from) => self.files.tasks.save_model(from, path),
                None => self.say("No trained model to save", true),
            },
            FileAction::ExportPng => {
                let image = self.export_image();
                self.files.tasks.save_png(path, image);
            }
        }
    }

    /// Opens the typed-path field for `action`, filled with the last path typed.
    pub(in crate::app) fn open_prompt(&mut self, action: FileAction, reason: String) {
        self.windows.prompt = Some(PathPrompt::new(action, &self.settings.last_path, reason));
    }

    /// The canvas as a 256x256 picture, dark ink on white, drawn with the on-screen pen.
    pub(in crate::app) fn export_image(&self) -> InkImage {
        let ink = match self.writing.canvas.picture() {
            Some(p) => (**p).clone(),
            None => rasterize(&self.writing.canvas.to_drawing(), 256, self.settings.pen_width),
        };
        InkImage {
            data: ink.data.iter().map(|v| 1.0 - v).collect(),
            ..ink
        }
    }

    pub(in crate::app) fn handle_file_events(&mut self) {
        for event in self.files.tasks.poll() {
            if !matches!(event, FileEvent::Failed(_) | FileEvent::Cancelled) {
                self.files.prompted = None;
            }
            match event {
                FileEvent::Picked(action, path) => self.run_file_action(action, path),
                FileEvent::Cancelled => {}
                FileEvent::DialogUnavailable(action, why) => {
                    self.say(format!("{why}; type a path instead"), true);
                    self.open_prompt(action, format!("{why}. Type the file's path:"));
                }
                FileEvent::DrawingLoaded(path, d) => {
                    self.writing.canvas.set_drawing(&d);
                    self.say(format!("Opened {}", path.display()), false);
                }
                FileEvent::ImageLoaded(path, img) => {
                    // A picture is read as one character.
                    self.set_line_mode(false);
                    self.writing.canvas.set_picture(img);
                    self.recognition.picture_as_box = false;
                    self.say(format!("Opened {}", path.display()), false);
                }
                FileEvent::ModelLoaded(model) => {
                    self.say(format!("Model loaded: {}", model.name), false);
                    // Remembered for the next start (the bundled one is the default, nothing to remember).
                    self.settings.model_path = (model.name != crate::models::BUNDLED_NAME).then(|| PathBuf::from(&model.name));
                    self.recognition.worker.set_model(model);
                    self.recognition.posted_revision = u64::MAX; // re-recognise with the new model
                    self.generator.refresh();
                }
                FileEvent::GeneratorLoaded(g) => {
                    self.say(format!("Generator loaded: {}", g.name), false);
                    self.generator.set_model(g);
                }
                FileEvent::FontChecked(path, covered) => {
                    self.say(format!("Font added: {} ({covered} kana)", path.display()), false);
                    self.training.fonts.add(path, covered);
                    self.training.open = true;
                }
                FileEvent::FontRefused(why) => {
                    self.say(why.clone(), true);
                    self.training.fonts.refuse(why);
                    self.training.open = true;
                }
                FileEvent::Saved(path) => {
                    self.say(format!("Saved {}", path.display()), false);
                    self.training.refresh_all(&self.ctx);
                }
                FileEvent::AlreadyKept(ch, path) => {
                    self.say(format!("This exact drawing is already kept as {ch} ({}): not kept twice", path.display()), false);
                }
                FileEvent::Failed(msg) => {
                    // A path typed by hand that failed: the field comes back with the path and why.
                    if let Some((action, path)) = self.files.prompted.take() {
                        let mut prompt = PathPrompt::new(action, &path, msg.clone());
                        prompt.error = true;
                        self.windows.prompt = Some(prompt);
                    }
                    self.say(msg, true);
                }
            }
        }
    }

    pub(in crate::app) fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect());
        for path in dropped {
            self.run_file_action(FileAction::for_dropped(&path), path);
        }
    }

}
