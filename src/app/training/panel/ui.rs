//! The training panel's contents: the settings form, the run's controls, progress and curves,
//! the models in use, and the past runs and kept handwriting. Each function draws and returns
//! what the app should do as an [`AppCommand`].

use super::{PanelMessage, StartFrom, TrainingPanel};
use crate::app::command::AppCommand;
use crate::app::training::evaluation::evaluation_window_ui;
use crate::app::training::font_picker::font_picker_ui;
use crate::app::training::k49_download::k49_download_ui;
use crate::app::training::kept_view::kept_window_ui;
use crate::app::training::source_preview::{preview_toggle_ui, source_preview_ui};
use crate::app::training::views::{curves_ui, progress_ui, RunView};
use crate::data::spec::SourceKind;
use crate::training::events::RunPhase;
use crate::training::ModelKind;
use std::path::Path;
use std::time::Duration;

/// Draws the panel's contents; `current` is the app's model name and `generator` the
/// generator's ("bundled" or a path). Returns what the app should do.
pub fn training_ui(ui: &mut egui::Ui, panel: &mut TrainingPanel, current: Option<&str>, generator_name: Option<&str>) -> Option<AppCommand> {
    if panel.refreshed.is_none() {
        panel.refresh();
    }
    if panel.is_running() {
        // The clock and ETA tick once a second even between epochs' progress events.
        ui.ctx().request_repaint_after(Duration::from_secs(1));
    }
    ui.horizontal(|ui| {
        ui.heading("Training");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.small_button("Close").clicked() {
                panel.open = false;
            }
        });
    });
    // A solid scrollbar beside the contents, not floating over the plots' right edge.
    ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
    let inner = egui::ScrollArea::vertical().show(ui, |ui| {
        let mut action = None;
        // The settings fold away when a run starts, so its progress and curves come first.
        let mut header = egui::CollapsingHeader::new("Settings of the run").default_open(true);
        if std::mem::take(&mut panel.fold_settings) {
            header = header.open(Some(false));
        }
        let running = panel.is_running();
        header.show(ui, |ui| {
            ui.add_enabled_ui(!running, |ui| settings_ui(ui, panel, current));
        });
        ui.separator();
        controls_ui(ui, panel, current);
        let view = RunView { continuing: panel.run_continues, paused: panel.is_paused(), running: panel.is_running() };
        progress_ui(ui, &panel.progress, panel.run_model, view);
        if let (Some(m), Some(text)) = (&panel.message, &panel.message_text) {
            let failed = panel.progress.phase == RunPhase::Failed || matches!(m, PanelMessage::Error(_));
            if failed {
                ui.colored_label(ui.visuals().error_fg_color, text);
            } else {
                ui.label(text);
            }
        }
        let generator = panel.run_model == ModelKind::Generator;
        let result = panel.result_model().filter(|_| !panel.is_running());
        if let Some(model) = &result {
            ui.horizontal(|ui| {
                if ui.button("Use this model").on_hover_text(model.display().to_string()).clicked() {
                    action = Some(if generator { AppCommand::UseGenerator(model.clone()) } else { AppCommand::UseModel(model.clone()) });
                }
                if ui.button("Save as…").clicked() {
                    action = Some(AppCommand::SaveModel(model.clone()));
                }
            });
        }
        if !panel.progress.train_loss.is_empty() {
            curves_ui(ui, &panel.progress, panel.run_model);
            if panel.run_model == ModelKind::Generator {
                crate::app::training::run_samples::run_samples_ui(ui, &mut panel.samples);
            }
        }
        ui.horizontal(|ui| {
            let busy = panel.evaluation.is_busy();
            let ctx = ui.ctx().clone();
            if ui.add_enabled(!busy, egui::Button::new("Evaluate")).on_hover_text("Where the current recognizer errs on the chosen sources' held-out data").clicked() {
                panel.evaluate(&ctx, current, None);
            }
            if let Some(model) = result.filter(|_| !generator) {
                if ui.add_enabled(!busy, egui::Button::new("Compare with the new model")).clicked() {
                    panel.evaluate(&ctx, current, Some(model));
                }
            }
        });
        ui.separator();
        action = models_in_use_ui(ui, current, generator_name).or(action);
        ui.separator();
        runs_ui(ui, panel, current).or(action)
    });
    evaluation_window_ui(ui.ctx(), &mut panel.evaluation);
    let hand = panel.handwriting_dir();
    kept_window_ui(ui.ctx(), &mut panel.kept_view, &hand);
    if panel.kept_view.take_changed() {
        panel.refresh();
    }
    inner.inner.or_else(|| panel.fonts.take_add_request().then_some(AppCommand::AddFont))
}

/// A model's name for a line of text: "bundled", or the last two parts of its path.
pub fn short_model_name(name: &str) -> String {
    let path = Path::new(name);
    match (path.parent().and_then(|p| p.file_name()), path.file_name()) {
        (Some(dir), Some(file)) => format!("{}/{}", dir.to_string_lossy(), file.to_string_lossy()),
        _ => name.to_string(),
    }
}

/// The models in use, each with the way back to the bundled one.
fn models_in_use_ui(ui: &mut egui::Ui, current: Option<&str>, generator: Option<&str>) -> Option<AppCommand> {
    let mut action = None;
    ui.strong("Models in use");
    for (what, name, button, ask) in [
        ("Recognizer", current, "Use the bundled recognizer", AppCommand::UseBundledModel),
        ("Generator", generator, "Use the bundled generator", AppCommand::UseBundledGenerator),
    ] {
        ui.horizontal_wrapped(|ui| {
            let name = name.unwrap_or("none");
            ui.label(format!("{what}: {}", short_model_name(name))).on_hover_text(name);
            if ui.add_enabled(name != crate::models::BUNDLED_NAME, egui::Button::new(button).small()).on_hover_text("Go back to the model that comes with fude").clicked() {
                action = Some(ask);
            }
        });
    }
    action
}

fn settings_ui(ui: &mut egui::Ui, panel: &mut TrainingPanel, current: Option<&str>) {
    ui.horizontal(|ui| {
        ui.label("Train");
        for (kind, title) in [(ModelKind::Recognizer, "Recognizer"), (ModelKind::Generator, "Generator")] {
            if ui.radio(panel.form.model == kind, title).clicked() && panel.form.model != kind {
                panel.form.set_model(kind);
            }
        }
    });
    let continues = match panel.form.model {
        ModelKind::Recognizer => current.unwrap_or("no model loaded"),
        ModelKind::Generator => "the bundled generator",
    };
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(&mut panel.form.start, StartFrom::Scratch, "From scratch");
        ui.radio_value(&mut panel.form.start, StartFrom::Current, "Continue the current model").on_hover_text(continues);
    });
    if panel.form.model == ModelKind::Recognizer && panel.form.start == StartFrom::Current {
        ui.checkbox(&mut panel.form.keep_what_it_knows, "Keep what it knows").on_hover_text(
            "The model also learns how the current model reads each sample, so it forgets less of what the chosen \
             data leaves out (the current model as a teacher, about a third slower). Fine-tuned on pen-like \
             drawings alone, the bundled model lost 47 kuzushiji samples of 2,000 with it, 68 without.",
        );
    }
    ui.label("Data (weight)");
    let kept: usize = panel.kept.iter().map(|(_, n)| n).sum();
    for row in &mut panel.form.sources {
        // Wrapped, so a narrow panel moves Preview to the next line instead of cutting it off.
        ui.horizontal_wrapped(|ui| {
            let (title, explanation) = (row.title(), row.explanation());
            ui.checkbox(&mut row.enabled, title).on_hover_text(explanation);
            ui.add(egui::DragValue::new(&mut row.weight).range(0.05..=100.0).speed(0.05).max_decimals(2));
            if matches!(row.kind, SourceKind::Mine(_)) {
                ui.weak(format!("{kept} kept"));
            }
            preview_toggle_ui(ui, &mut panel.previews, row);
        });
        if matches!(row.kind, SourceKind::Fonts | SourceKind::ChosenFonts(_)) {
            font_picker_ui(ui, &mut panel.fonts, row);
        }
        if matches!(row.kind, SourceKind::K49(_)) {
            k49_download_ui(ui, &mut panel.k49_download);
        }
        if row.takes_arg() && row.enabled {
            let hint = if matches!(row.kind, SourceKind::K49(_)) { "folder with the k49 files" } else { "images.npz,labels.npz,classmap.csv" };
            ui.add(egui::TextEdit::singleline(&mut row.arg).hint_text(hint).desired_width(f32::INFINITY));
        }
        source_preview_ui(ui, &mut panel.previews, row);
    }
    ui.horizontal(|ui| {
        ui.label("Presets");
        if ui.button("Quick").on_hover_text("3 epochs of 25,600: about two minutes on two cores").clicked() {
            panel.form.quick();
        }
        if ui.button("Full").on_hover_text("The CLI's defaults: 10 epochs of 51,200").clicked() {
            panel.form.full();
        }
    });
    let cfg = &mut panel.form.cfg;
    egui::Grid::new("hyper").num_columns(2).show(ui, |ui| {
        ui.label("Epochs");
        ui.add(egui::DragValue::new(&mut cfg.epochs).range(1..=1000));
        ui.end_row();
        ui.label("Epoch size");
        ui.add(egui::DragValue::new(&mut cfg.epoch_size).range(64..=10_000_000).speed(256));
        ui.end_row();
        ui.label("Batch");
        ui.add(egui::DragValue::new(&mut cfg.batch).range(1..=4096));
        ui.end_row();
        ui.label("Learning rate");
        ui.add(egui::Slider::new(&mut cfg.lr, 1e-5..=1e-1).logarithmic(true));
        ui.end_row();
        ui.label("Seed");
        ui.add(egui::DragValue::new(&mut cfg.seed));
        ui.end_row();
        ui.label("Device");
        ui.label(format!("{} · {} training thread(s)", device_label(), panel.threads));
        ui.end_row();
    });
}

fn controls_ui(ui: &mut egui::Ui, panel: &mut TrainingPanel, current: Option<&str>) {
    ui.horizontal(|ui| {
        let running = panel.is_running();
        if ui.add_enabled(!running, egui::Button::new("Start")).clicked() {
            let ctx = ui.ctx().clone();
            panel.start(&ctx, current);
        }
        let paused = panel.is_paused();
        if ui.add_enabled(running, egui::Button::new(if paused { "Resume" } else { "Pause" })).clicked() {
            panel.set_paused(!paused);
        }
        if ui.add_enabled(running, egui::Button::new("Stop")).clicked() {
            panel.stop();
        }
    });
}

/// A run's data source as the list of past runs shows it: the kind and weight, with a file
/// source named by its first file's name, not its whole path (the full spec is on hover).
fn short_source(spec: &str) -> String {
    let (body, weight) = match spec.rsplit_once('@') {
        Some((b, w)) if w.parse::<f64>().is_ok() => (b, Some(w)),
        _ => (spec, None),
    };
    let file_name = |p: &str| Path::new(p).file_stem().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let short = match body.split_once('=') {
        Some(("npz", files)) => format!("npz {}", file_name(files.split(',').next().unwrap_or_default())),
        Some(("k49", dir)) => format!("k49 {}", file_name(dir)),
        Some(("mine", dir)) => format!("mine {}", file_name(dir)),
        Some(("fonts", list)) => format!("fonts ({} chosen)", list.split('+').count()),
        _ => body.to_string(),
    };
    let short = crate::text::escape_controls(&short);
    weight.map_or(short.clone(), |w| format!("{short}@{w}"))
}

fn runs_ui(ui: &mut egui::Ui, panel: &mut TrainingPanel, current: Option<&str>) -> Option<AppCommand> {
    let mut action = None;
    let mut resume = None;
    let mut compare = None;
    egui::CollapsingHeader::new(format!("Past runs ({})", panel.runs.len())).default_open(true).show(ui, |ui| {
        if panel.runs.is_empty() {
            ui.weak(format!("None yet in {}", panel.runs_dir().display()));
        }
        for run in &panel.runs {
            let name = run.dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            ui.horizontal_wrapped(|ui| {
                ui.label(&name);
                match &run.problem {
                    Some(p) => {
                        ui.weak(p);
                    }
                    None => {
                        let best = run.dir.join(crate::training::session::BEST);
                        let figure = match run.model {
                            ModelKind::Recognizer => format!("top-1 {:.2}%", 100.0 * run.best_accuracy()),
                            ModelKind::Generator => format!("generator, −ELBO {:.1}", run.best_metric("neg_elbo")),
                        };
                        let sources: Vec<String> = run.data.iter().map(|d| short_source(d)).collect();
                        ui.weak(format!("{}/{} epochs · {figure} · {}", run.epochs, run.total_epochs, sources.join(", ")))
                            .on_hover_text(crate::text::escape_controls(&run.data.join(",")));
                        if ui.small_button("Use").clicked() {
                            action = Some(match run.model {
                                ModelKind::Recognizer => AppCommand::UseModel(best.clone()),
                                ModelKind::Generator => AppCommand::UseGenerator(best.clone()),
                            });
                        }
                        if run.model == ModelKind::Recognizer && ui.small_button("Compare").on_hover_text("Evaluate beside the current model").clicked() {
                            compare = Some(best);
                        }
                        if run.resumable() && ui.add_enabled(panel.job.is_none(), egui::Button::new("Resume run").small()).clicked() {
                            resume = Some(run.dir.clone());
                        }
                    }
                }
            });
        }
    });
    egui::CollapsingHeader::new("My handwriting").default_open(true).show(ui, |ui| {
        if panel.kept.is_empty() {
            ui.weak("Nothing kept yet: draw a kana, then Keep for training (Ctrl+K).");
        }
        let line: Vec<String> = panel.kept.iter().map(|(c, n)| format!("{c} {n}")).collect();
        ui.label(line.join("  "));
        if ui.button("Review kept handwriting…").on_hover_text("See every kept drawing; delete or relabel them").clicked() {
            let hand = panel.handwriting_dir();
            panel.kept_view.show(ui.ctx(), hand);
        }
    });
    if let Some(dir) = resume {
        let ctx = ui.ctx().clone();
        panel.resume(&ctx, &dir);
    }
    if let Some(best) = compare {
        let ctx = ui.ctx().clone();
        panel.evaluate(&ctx, current, Some(best));
    }
    action
}

/// The device training uses, as compiled.
pub fn device_label() -> &'static str {
    if cfg!(feature = "cuda") {
        "CUDA if it works, else CPU"
    } else if cfg!(feature = "metal") {
        "Metal if it works, else CPU"
    } else {
        "CPU"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_runs_name_their_sources_shortly() {
        let npz = "npz=../shared/data/kuzushiji-sample/kuzushiji-sample-imgs.npz,../shared/data/kuzushiji-sample/kuzushiji-sample-labels.npz,../shared/data/kuzushiji-sample/kuzushiji-sample_classmap.csv@1.6";
        assert_eq!(short_source(npz), "npz kuzushiji-sample-imgs@1.6");
        assert_eq!(short_source("fonts@2"), "fonts@2");
        assert_eq!(short_source("drawings=shrunk0.6"), "drawings=shrunk0.6");
        assert_eq!(short_source("k49=/home/me/k49@0.5"), "k49 k49@0.5");
        assert_eq!(short_source("fonts=A.ttf+/x/B.otf"), "fonts (2 chosen)");
        assert_eq!(short_source("mine=/a@b/hand"), "mine hand", "an @ in a path is no weight");
    }
}
