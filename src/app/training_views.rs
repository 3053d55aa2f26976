//! What the training panel shows of a run: progress bars, throughput and ETA, the latest
//! held-out figures, and the live curves (egui_plot). The recognizer's curves are training and
//! held-out loss, held-out accuracy and balanced accuracy, and the learning rate; the
//! generator's are training loss and held-out −ELBO, and the learning rate.

use crate::training::events::{RunPhase, RunProgress};
use crate::training::ModelKind;
use egui_plot::{Legend, Line, Plot};
use std::time::Duration;

/// Progress bars, images/s, ETA and the latest held-out figures.
pub fn progress_ui(ui: &mut egui::Ui, p: &RunProgress, model: ModelKind) {
    match p.phase {
        RunPhase::Preparing if p.events == 0 => return,
        RunPhase::Preparing => {
            ui.label("Opening data…");
            return;
        }
        _ => {}
    }
    ui.add(egui::ProgressBar::new(p.epoch_fraction()).text(format!("epoch {}/{}: step {}/{}", p.epoch + 1, p.total_epochs, p.step, p.steps_per_epoch)));
    ui.add(egui::ProgressBar::new(p.run_fraction()).text(format!("run {:.0}%", 100.0 * p.run_fraction())));
    ui.horizontal(|ui| {
        ui.label(format!("{:.0} images/s", p.images_per_sec));
        if let Some(eta) = p.eta() {
            ui.label(format!("ETA {}", format_duration(eta)));
        }
    });
    for (set, m) in &p.last_held_out {
        let get = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
        match model {
            ModelKind::Recognizer => ui.weak(format!("{set}: top-1 {:.2}%  balanced {:.2}%", 100.0 * get("top1"), 100.0 * get("balanced_accuracy"))),
            ModelKind::Generator => ui.weak(format!("{set}: −ELBO {:.1} nats (reconstruction {:.1}, KL {:.2})", get("neg_elbo"), get("reconstruction"), get("kl"))),
        };
    }
}

/// `1m05s`, or `1h02m` past an hour.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// The live curves of a run.
pub fn curves_ui(ui: &mut egui::Ui, p: &RunProgress, model: ModelKind) {
    let plot = |id: &str| {
        Plot::new(id.to_string())
            .height(110.0)
            .legend(Legend::default())
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .x_axis_label("epoch")
    };
    let held_out = match model {
        ModelKind::Recognizer => "held out",
        ModelKind::Generator => "held-out −ELBO",
    };
    ui.label(if model == ModelKind::Generator { "Loss (nats per image)" } else { "Loss" });
    plot("train-loss").show(ui, |plot| {
        plot.line(Line::new("training", p.train_loss.clone()));
        plot.line(Line::new(held_out, p.held_out_loss.clone()));
    });
    if model == ModelKind::Recognizer {
        ui.label("Held-out accuracy");
        plot("train-accuracy").show(ui, |plot| {
            plot.line(Line::new("top-1", p.accuracy.clone()));
            plot.line(Line::new("balanced", p.balanced_accuracy.clone()));
        });
    }
    ui.label("Learning rate");
    plot("train-lr").show(ui, |plot| plot.line(Line::new("lr", p.lr.clone())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_minutes_or_hours() {
        assert_eq!(format_duration(Duration::from_secs(65)), "1m05s");
        assert_eq!(format_duration(Duration::from_secs(3720)), "1h02m");
    }
}
