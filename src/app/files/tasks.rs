//! Opening and saving files without blocking the UI: native file dialogs (rfd) and file reads and
//! writes run on short-lived threads and report back through a channel. When no dialog can be
//! shown (no desktop portal, no zenity), the app says so and offers a path field instead; files
//! dropped on the window are opened too.

use crate::ink::{Drawing, InkImage};
use crate::app::generator::worker::LoadedGenerator;
use crate::app::recognition::worker::LoadedModel;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};


/// A file operation the person can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAction {
    /// Open a drawing `.json`.
    OpenDrawing,
    /// Save the strokes as a drawing `.json`.
    SaveDrawing,
    /// Open an image of a character.
    OpenImage,
    /// Export the canvas as a PNG.
    ExportPng,
    /// Open a recognizer checkpoint.
    OpenModel,
    /// Save a copy of a trained checkpoint (from the training panel; not in the File menu).
    SaveModel,
    /// Open a generator checkpoint.
    OpenGenerator,
    /// Export the generator panel's preview as a PNG (from the panel).
    ExportGenerated,
    /// Export the generator panel's style sheet as a PNG (from the panel).
    ExportSheet,
    /// Export the generator panel's written text as a PNG (from the panel).
    ExportText,
    /// Add a font file the user owns to generated kana (from the training panel).
    AddFont,
}

impl FileAction {
    /// Every action, in menu order.
    pub const ALL: [FileAction; 6] = [
        FileAction::OpenDrawing,
        FileAction::SaveDrawing,
        FileAction::OpenImage,
        FileAction::ExportPng,
        FileAction::OpenModel,
        FileAction::OpenGenerator,
    ];

    /// Menu text.
    pub fn title(self) -> &'static str {
        match self {
            FileAction::OpenDrawing => "Open drawing…",
            FileAction::SaveDrawing => "Save drawing…",
            FileAction::OpenImage => "Open image…",
            FileAction::ExportPng => "Export PNG…",
            FileAction::OpenModel => "Open model…",
            FileAction::SaveModel => "Save model…",
            FileAction::OpenGenerator => "Open generator…",
            FileAction::ExportGenerated => "Export generated kana PNG…",
            FileAction::ExportSheet => "Export style sheet PNG…",
            FileAction::ExportText => "Export written text PNG…",
            FileAction::AddFont => "Add font file…",
        }
    }

    /// Whether the action writes a file.
    pub fn is_save(self) -> bool {
        matches!(
            self,
            FileAction::SaveDrawing
                | FileAction::ExportPng
                | FileAction::SaveModel
                | FileAction::ExportGenerated
                | FileAction::ExportSheet
                | FileAction::ExportText
        )
    }

    fn filter(self) -> (&'static str, &'static [&'static str]) {
        match self {
            FileAction::OpenDrawing | FileAction::SaveDrawing => ("Drawing", &["json"]),
            FileAction::OpenImage => ("Image", &["png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff"]),
            FileAction::ExportPng => ("PNG image", &["png"]),
            FileAction::OpenModel => ("Recognizer checkpoint", &["safetensors", "json"]),
            FileAction::SaveModel => ("Recognizer checkpoint", &["safetensors"]),
            FileAction::OpenGenerator => ("Generator checkpoint", &["safetensors", "json"]),
            FileAction::ExportGenerated | FileAction::ExportSheet | FileAction::ExportText => ("PNG image", &["png"]),
            FileAction::AddFont => ("Font", &["ttf", "otf", "ttc", "otc"]),
        }
    }

    /// The action that opens a file dropped on the window, chosen by its extension.
    pub fn for_dropped(path: &Path) -> FileAction {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "json" => FileAction::OpenDrawing,
            "safetensors" => FileAction::OpenModel,
            "ttf" | "otf" | "ttc" | "otc" => FileAction::AddFont,
            _ => FileAction::OpenImage,
        }
    }
}

/// Something a background file task finished.
pub enum FileEvent {
    /// The dialog returned a path for the action.
    Picked(FileAction, PathBuf),
    /// No dialog could be shown; the message says why.
    DialogUnavailable(FileAction, String),
    /// The dialog was closed without a file.
    Cancelled,
    /// A drawing was read.
    DrawingLoaded(PathBuf, Drawing),
    /// An image was read.
    ImageLoaded(PathBuf, InkImage),
    /// A checkpoint was read and fits this build.
    ModelLoaded(LoadedModel),
    /// A generator checkpoint was read and fits this build.
    GeneratorLoaded(LoadedGenerator),
    /// A font file was read and has kana: its absolute path and how many classes it covers.
    FontChecked(PathBuf, usize),
    /// A font file was refused; the message names it and says why.
    FontRefused(String),
    /// A file was written.
    Saved(PathBuf),
    /// "Keep for training" found this exact drawing already kept as the character, in the file.
    AlreadyKept(char, PathBuf),
    /// An operation failed; the message names the file and the reason.
    Failed(String),
}

/// Background file work and its results.
pub struct FileTasks {
    tx: Sender<FileEvent>,
    rx: Receiver<FileEvent>,
    ctx: egui::Context,
    dialog_open: bool,
}

/// Whether a native file dialog can be shown here, and if not, why. Setting
/// `FUDE_NO_FILE_DIALOG` turns dialogs off (the path prompt is used instead).
pub fn dialog_support() -> Result<(), String> {
    if std::env::var_os("FUDE_NO_FILE_DIALOG").is_some() {
        return Err("file dialogs are turned off (FUDE_NO_FILE_DIALOG is set)".into());
    }
    if cfg!(target_os = "linux") {
        let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
            || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| Path::new(&d).join("bus").exists());
        let zenity = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("zenity").is_file()));
        if !bus && !zenity {
            return Err("no file dialog is available here (it needs xdg-desktop-portal or zenity)".into());
        }
    }
    Ok(())
}

impl FileTasks {
    /// Ready to run file work for the UI behind `ctx`.
    pub fn new(ctx: &egui::Context) -> Self {
        let (tx, rx) = channel();
        FileTasks {
            tx,
            rx,
            ctx: ctx.clone(),
            dialog_open: false,
        }
    }

    /// Whether a file dialog is showing.
    pub fn dialog_open(&self) -> bool {
        self.dialog_open
    }

    fn spawn(&self, what: &str, work: impl FnOnce() -> FileEvent + Send + 'static) {
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new().name(format!("fude-{what}")).spawn(move || {
            let _ = tx.send(work());
            ctx.request_repaint();
        });
        if let Err(e) = spawned {
            let _ = self.tx.send(FileEvent::Failed(format!("cannot start a thread to {what}: {e}")));
        }
    }

    /// Shows the native dialog for `action` on a background thread.
    pub fn dialog(&mut self, action: FileAction, suggested_name: &str) {
        if self.dialog_open {
            return;
        }
        if let Err(why) = dialog_support() {
            let _ = self.tx.send(FileEvent::DialogUnavailable(action, why));
            return;
        }
        self.dialog_open = true;
        let (name, exts) = action.filter();
        let suggested = suggested_name.to_string();
        self.spawn("file-dialog", move || {
            let started = Instant::now();
            let dlg = rfd::FileDialog::new().add_filter(name, exts).set_title(action.title().trim_end_matches('…'));
            let picked = if action.is_save() {
                dlg.set_file_name(suggested).save_file()
            } else {
                dlg.pick_file()
            };
            match picked {
                Some(path) => FileEvent::Picked(action, path),
                // A dialog that "closes" at once never showed: the portal failed.
                None if started.elapsed() < Duration::from_millis(300) => {
                    FileEvent::DialogUnavailable(action, "the file dialog could not be shown".into())
                }
                None => FileEvent::Cancelled,
            }
        });
    }

    /// Reads a drawing file in the background.
    pub fn open_drawing(&self, path: PathBuf) {
        self.spawn("open-drawing", move || match Drawing::load(&path) {
            Ok(d) => FileEvent::DrawingLoaded(path, d),
            Err(e) => FileEvent::Failed(format!("Could not open the drawing: {e}")),
        });
    }

    /// Reads an image in the background.
    pub fn open_image(&self, path: PathBuf) {
        self.spawn("open-image", move || match InkImage::load(&path) {
            Ok(img) => FileEvent::ImageLoaded(path, img),
            Err(e) => FileEvent::Failed(format!("Could not open the image: {e}")),
        });
    }

    /// Loads a checkpoint (`.safetensors` with its `.json` sidecar) in the background.
    pub fn open_model(&self, path: PathBuf) {
        self.spawn("open-model", move || match missing(&path).map_or_else(|| LoadedModel::load(Some(&path)), Err) {
            Ok(model) => FileEvent::ModelLoaded(model),
            Err(e) => FileEvent::Failed(format!("Model not loaded (the current one stays): {e}")),
        });
    }

    /// Loads a generator checkpoint in the background.
    pub fn open_generator(&self, path: PathBuf) {
        self.spawn("open-generator", move || match missing(&path).map_or_else(|| LoadedGenerator::load(Some(&path)), Err) {
            Ok(g) => FileEvent::GeneratorLoaded(g),
            Err(e) => FileEvent::Failed(format!("Generator not loaded (the current one stays): {e}")),
        });
    }

    /// Loads the bundled recognizer in the background (the way back from a trained one).
    pub fn open_bundled_model(&self) {
        self.spawn("open-model", || match LoadedModel::load(None) {
            Ok(model) => FileEvent::ModelLoaded(model),
            Err(e) => FileEvent::Failed(format!("The bundled model did not load (the current one stays): {e}")),
        });
    }

    /// Loads the bundled generator in the background (the way back from a trained one).
    pub fn open_bundled_generator(&self) {
        self.spawn("open-generator", || match LoadedGenerator::load(None) {
            Ok(g) => FileEvent::GeneratorLoaded(g),
            Err(e) => FileEvent::Failed(format!("The bundled generator did not load (the current one stays): {e}")),
        });
    }

    /// Reads a font file in the background and checks that it has kana (for generated kana in
    /// training).
    pub fn check_font(&self, path: PathBuf) {
        self.spawn("check-font", move || match check_font(&path) {
            Ok((path, covered)) => FileEvent::FontChecked(path, covered),
            Err(e) => FileEvent::FontRefused(format!("Font refused: {e}")),
        });
    }

    /// Writes a drawing in the background (atomically).
    pub fn save_drawing(&self, path: PathBuf, drawing: Drawing) {
        self.spawn("save-drawing", move || match drawing.save(&path) {
            Ok(()) => FileEvent::Saved(path),
            Err(e) => FileEvent::Failed(format!("Could not save the drawing: {}", naming(&path, e))),
        });
    }

    /// Writes an image as PNG in the background (atomically).
    pub fn save_png(&self, path: PathBuf, image: InkImage) {
        self.save_png_scaled(path, image, 1);
    }

    /// Writes an image as PNG, enlarged `scale` times (bilinear), in the background (atomically).
    pub fn save_png_scaled(&self, path: PathBuf, image: InkImage, scale: usize) {
        self.spawn("export-png", move || match crate::models::generator::lettering::upscale(&image, scale).save_png(&path) {
            Ok(()) => FileEvent::Saved(path),
            Err(e) => FileEvent::Failed(format!("Could not export: {}", naming(&path, e))),
        });
    }

    /// Copies a checkpoint (`.safetensors` and its `.json` sidecar) to `to` in the background,
    /// each file atomically.
    pub fn save_model(&self, from: PathBuf, to: PathBuf) {
        self.spawn("save-model", move || {
            use crate::models::checkpoint_io::{paths, MAX_SIDECAR_BYTES, MAX_WEIGHTS_BYTES};
            let ((from_w, from_j), (to_w, to_j)) = (paths(&from), paths(&to));
            let copy = |src: &Path, dst: &Path, limit: u64, what: &str| -> crate::Result<()> {
                let bytes = crate::error::read_limited(src, limit, what)?;
                crate::error::write_atomic(dst, &bytes)
            };
            let copied = copy(&from_w, &to_w, MAX_WEIGHTS_BYTES, "weights file").and_then(|()| copy(&from_j, &to_j, MAX_SIDECAR_BYTES, "sidecar"));
            match copied {
                Ok(()) => FileEvent::Saved(to_w),
                Err(e) => FileEvent::Failed(format!("Could not save the model: {e}")),
            }
        });
    }

    /// Keeps a drawing of `ch` for training under `dir` in the background (atomically).
    pub fn keep_drawing(&self, dir: PathBuf, ch: char, drawing: Drawing) {
        self.spawn("keep-drawing", move || match crate::data::mine::keep_new(&dir, ch, &drawing) {
            Ok(crate::data::mine::Kept::Saved(path)) => FileEvent::Saved(path),
            Ok(crate::data::mine::Kept::AlreadyKept(path)) => FileEvent::AlreadyKept(ch, path),
            Err(e) => FileEvent::Failed(format!("Could not keep the drawing: {e}")),
        });
    }

    /// Finished work since the last call.
    pub fn poll(&mut self) -> Vec<FileEvent> {
        let events: Vec<FileEvent> = self.rx.try_iter().collect();
        if events
            .iter()
            .any(|e| matches!(e, FileEvent::Picked(..) | FileEvent::Cancelled | FileEvent::DialogUnavailable(..)))
        {
            self.dialog_open = false;
        }
        events
    }
}

/// Reads a font file and counts the classes it covers; refuses (naming the file and why) a file
/// that is not a font, a font without kana, and a path the data spec cannot carry.
pub fn check_font(path: &Path) -> crate::Result<(PathBuf, usize)> {
    let path = std::fs::canonicalize(path).map_err(|e| crate::Error::file(path, e))?;
    if path.to_string_lossy().contains(['+', ',']) {
        return Err(crate::Error::file(&path, "the path holds '+' or ',', which separate data specs: move or rename the file"));
    }
    let font = crate::data::fonts::KanaFont::from_file(&path)?;
    Ok((path, font.covered()))
}

/// A write error told about the file the person chose: a failure on the temporary file beside it
/// (`.name.1234.tmp`, a name they never typed) names their file instead.
fn naming(path: &Path, e: crate::Error) -> String {
    match e {
        crate::Error::File { path: written, reason } if written != path => format!("{}: {reason}", path.display()),
        e => e.to_string(),
    }
}

/// The error for a checkpoint path that names no file (said before the sidecar is looked for,
/// so a mistyped name is not reported as a missing `.json`).
fn missing<E: From<crate::Error>>(path: &Path) -> Option<E> {
    let weights = crate::models::checkpoint_io::weights_path(path);
    (!path.exists() && !weights.exists()).then(|| crate::Error::file(path, "no such file").into())
}

/// `path` with the action's usual extension when it has none.
pub fn with_default_extension(mut path: PathBuf, action: FileAction) -> PathBuf {
    if path.extension().is_none() {
        if let Some(ext) = action.filter().1.first() {
            path.set_extension(ext);
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::files::path_prompt::expand_home;

    #[test]
    fn dropped_files_pick_their_action() {
        assert_eq!(FileAction::for_dropped(Path::new("a.JSON")), FileAction::OpenDrawing);
        assert_eq!(FileAction::for_dropped(Path::new("m.safetensors")), FileAction::OpenModel);
        assert_eq!(FileAction::for_dropped(Path::new("x.png")), FileAction::OpenImage);
        assert_eq!(FileAction::for_dropped(Path::new("My.OTF")), FileAction::AddFont);
        assert!(FileAction::ExportPng.is_save() && !FileAction::OpenImage.is_save());
        assert_eq!(expand_home("/a/b"), PathBuf::from("/a/b"));
        assert_eq!(with_default_extension("/t/sketch".into(), FileAction::ExportPng), PathBuf::from("/t/sketch.png"));
        assert_eq!(with_default_extension("/t/a.b.json".into(), FileAction::SaveDrawing), PathBuf::from("/t/a.b.json"));
        assert_eq!(with_default_extension("/t/x".into(), FileAction::SaveDrawing), PathBuf::from("/t/x.json"));
        let tmp = crate::Error::file("/t/.x.json.12.tmp", "No such file or directory");
        assert_eq!(naming(Path::new("/t/x.json"), tmp), "/t/x.json: No such file or directory");
    }

    #[test]
    fn background_loads_report_errors_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\"version\": 1, \"width\": 10}").unwrap();
        let ctx = egui::Context::default();
        let mut tasks = FileTasks::new(&ctx);
        tasks.open_drawing(bad);
        tasks.open_model(dir.path().join("missing.safetensors"));
        let t = Instant::now();
        let mut msgs = Vec::new();
        while msgs.len() < 2 && t.elapsed() < Duration::from_secs(20) {
            for e in tasks.poll() {
                if let FileEvent::Failed(m) = e {
                    msgs.push(m);
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        msgs.sort();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs[0].contains("bad.json"), "{msgs:?}");
        assert!(msgs[1].contains("missing"), "{msgs:?}");
    }
}
