//! One frame of the app: every worker's news first (each polled once a frame, its panel shown
//! or not), the keys, then the panels outermost first (menu bar, status line, text bar, the
//! recognition panel on the right, the tool panels on the left, the canvas in the centre, the
//! windows); what each returns is applied at once through [`FudeApp::apply`].

use crate::app::bench_app::FrameReport;
use crate::app::command::AppCommand;
use crate::app::shell::{help, settings};
use crate::app::writing::canvas::{CanvasResponse, CanvasStyle};
use crate::app::writing::text_buffer;
use crate::app::{training, FudeApp, MENU_BOTTOM};
use std::time::Instant;

/// The generator panel's narrowest width (points).
const GENERATOR_MIN_WIDTH: f32 = 260.0;
/// The training panel's narrowest width (points).
const TRAINING_MIN_WIDTH: f32 = 300.0;
/// The least width the canvas keeps beside the left panels (points).
const CANVAS_MIN_WIDTH: f32 = 160.0;

impl FudeApp {
    /// Takes in what every background worker finished, once a frame whether its panel is shown
    /// or not; returns what the UI bench measures.
    fn poll_workers(&mut self, ctx: &egui::Context) -> FrameReport {
        self.handle_file_events();
        let read = self.receive_recognition(ctx);
        let line_read = self.receive_line_reading();
        self.generator.receive();
        self.training.poll(ctx);
        FrameReport { read, line_read, ..FrameReport::default() }
    }

    /// Draws one frame: the workers' news, the keys, then the panels outermost first, each
    /// returning what it asks for, applied at once; returns what the UI bench measures.
    pub(in crate::app) fn frame_ui(&mut self, ui: &mut egui::Ui) -> FrameReport {
        let ctx = ui.ctx().clone();
        self.shell.frame_start = Instant::now();
        let mut report = self.poll_workers(&ctx);
        self.handle_dropped_files(&ctx);
        for command in self.shortcuts(&ctx) {
            self.apply(command);
        }
        self.take_pending_top();

        let menu = egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        let menu_bottom = menu.response.rect.bottom();
        ctx.data_mut(|d| d.insert_temp(egui::Id::unique(MENU_BOTTOM), menu_bottom));
        self.apply_some(menu.inner);
        let status = egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui)).inner;
        self.apply_some(status);
        let text = egui::Panel::bottom("text")
            .resizable(false)
            .exact_size(text_buffer::BAR_HEIGHT)
            .show(ui, |ui| {
                ui.add_space(4.0);
                self.settings.text.text_buffer_ui(ui)
            })
            .inner;
        self.apply_some(text.map(AppCommand::from));
        let recognition = egui::Panel::right("recognition")
            .resizable(true)
            .default_size(280.0)
            .min_size(220.0)
            .show(ui, |ui| self.recognition_ui(ui))
            .inner;
        self.apply_some(recognition);
        self.left_panels_ui(ui);

        let mut canvas_out = CanvasResponse::default();
        egui::CentralPanel::default().show(ui, |ui| {
            let tools = self.canvas_tools_ui(ui);
            self.apply_some(tools);
            ui.add_space(6.0);
            let style = CanvasStyle {
                pen_width: self.settings.pen_width,
                dark: ui.visuals().dark_mode,
            };
            if self.settings.line_mode {
                let (out, taken) = self.line_canvas_area_ui(ui, style);
                canvas_out = out;
                self.apply_some(taken);
            } else {
                ui.vertical_centered(|ui| canvas_out = self.writing.canvas.canvas_ui(ui, style));
            }
        });
        self.writing.canvas_rect = canvas_out.rect;
        report.stroke_posted = if self.settings.line_mode {
            self.post_line_reading(canvas_out.stroke_finished)
        } else {
            self.post_recognition(&ctx, canvas_out.drawing, canvas_out.stroke_finished)
        };

        let prompted = self.windows.prompt.as_mut().and_then(|prompt| prompt.path_prompt_ui(&ctx));
        self.apply_some(prompted);
        help::help_ui(&ctx, &mut self.windows.help);
        let model = self.model_name().unwrap_or_else(|| "none".into());
        let generator = self.generator.model_name().unwrap_or("none").to_string();
        help::about_ui(&ctx, &mut self.windows.about, &model, &generator);
        self.take_pending_top();
        self.record_history();
        self.focus_ring(&ctx);
        report
    }

    /// The tool panels on the left: the generator, and the training panel when it is open.
    fn left_panels_ui(&mut self, ui: &mut egui::Ui) {
        // A left panel takes at most 45% of the width the right panel leaves, so the canvas keeps
        // room in a small window.
        let left_max = |ui: &egui::Ui| (ui.available_width() * 0.45).max(GENERATOR_MIN_WIDTH);
        // Both left panels at their narrowest, and a usable canvas, or the generator steps aside
        // while the training panel is open (it comes back when there is room or training closes).
        let both_fit = ui.available_width() >= GENERATOR_MIN_WIDTH + TRAINING_MIN_WIDTH + CANVAS_MIN_WIDTH;
        let generator_aside = self.settings.show_generator && self.training.open && !both_fit;
        if self.settings.show_generator && !generator_aside {
            let asked = egui::Panel::left("generator")
                .resizable(true)
                .default_size(320.0)
                .min_size(GENERATOR_MIN_WIDTH)
                .max_size(left_max(ui))
                .show(ui, |ui| self.generator_panel_ui(ui))
                .inner;
            self.apply_some(asked);
        }
        if self.training.open {
            let current = self.model_name();
            let generator = self.generator.model_name().map(str::to_string);
            // In the smallest windows the panel gives up part of its usual minimum rather than
            // push the canvas under the candidates.
            let beside_canvas = (ui.available_width() - CANVAS_MIN_WIDTH).max(CANVAS_MIN_WIDTH);
            let asked = egui::Panel::left("training")
                .resizable(true)
                .default_size(380.0)
                .min_size(TRAINING_MIN_WIDTH.min(beside_canvas))
                .max_size(left_max(ui).max(TRAINING_MIN_WIDTH).min(beside_canvas))
                .show(ui, |ui| {
                    if generator_aside {
                        ui.weak("The generator panel is hidden while the window is this narrow.");
                    }
                    training::panel::training_ui(ui, &mut self.training, current.as_deref(), generator.as_deref())
                })
                .inner;
            self.apply_some(asked);
        }
    }

    /// Applies what a panel asked for, if anything.
    fn apply_some(&mut self, command: Option<AppCommand>) {
        if let Some(command) = command {
            self.apply(command);
        }
    }
}

impl eframe::App for FudeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, settings::STORAGE_KEY, &self.settings);
    }
}
