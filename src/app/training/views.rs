//! What the training panel shows of a run: its state in words, progress bars, throughput and
//! ETA, a note while the learning rate warms up, the starting model's figures (the baseline)
//! and, at the end, whether the new model is better than it; and the live curves (egui_plot).
//! The recognizer's curves are training and held-out loss (log scale, so both lines read),
//! held-out accuracy and balanced accuracy in % (zoomed to the data), and the learning rate; the
//! generator's are training loss and held-out −ELBO, and the learning rate. Each plot has a
//! labelled y axis, points for every epoch (so a single epoch shows), a legend row above the
//! plot (never over the data), the starting model as a dashed line, and hover read-outs.

use crate::training::events::{mean_metric, HeldOut, RunPhase, RunProgress};
use crate::training::ModelKind;
use egui::Color32;
use egui_plot::{GridMark, HLine, HoverPosition, Line, LineStyle, Plot, PlotPoints, Points};
use std::ops::RangeInclusive;
use std::time::Duration;

/// Height of each plot, in points.
const PLOT_HEIGHT: f32 = 130.0;

/// Series colours (the legend rows use the same).
const TRAINING: Color32 = Color32::from_rgb(70, 130, 230);
const HELD_OUT: Color32 = Color32::from_rgb(235, 130, 30);
const BALANCED: Color32 = Color32::from_rgb(60, 170, 90);
const BASELINE: Color32 = Color32::from_rgb(150, 150, 150);
const LEARNING_RATE: Color32 = Color32::from_rgb(160, 100, 210);

/// What is shown beside the figures: how the run started and whether it is paused.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunView {
    /// The run continues a model (so a baseline is measured and the loss may rise at first).
    pub continuing: bool,
    /// The run is paused.
    pub paused: bool,
    /// A run is going (it may not have reported anything yet).
    pub running: bool,
}

/// The run's state in words, progress bars, images/s, ETA, the warm-up note, the latest
/// held-out figures with the starting model's beside them, and the end verdict.
pub fn progress_ui(ui: &mut egui::Ui, p: &RunProgress, model: ModelKind, view: RunView) {
    if p.events == 0 && !view.running {
        return;
    }
    ui.label(egui::RichText::new(p.state_words(view.paused)).strong());
    if p.phase == RunPhase::Preparing {
        ui.spinner();
        baseline_ui(ui, p, model);
        return;
    }
    ui.add(egui::ProgressBar::new(p.epoch_fraction()).text(format!("epoch {}/{}: step {}/{}", p.epoch + 1, p.total_epochs, p.step, p.steps_per_epoch)));
    ui.add(egui::ProgressBar::new(p.run_fraction()).text(format!("run {:.0}%", 100.0 * p.run_fraction())));
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{:.0} images/s", p.images_per_sec));
        match p.eta() {
            Some(eta) if view.paused => ui.label(format!("ETA {} once resumed", format_duration(eta))),
            Some(eta) => ui.label(format!("ETA {}", format_duration(eta))),
            None if p.phase == RunPhase::Running => ui.weak("ETA after the first steps…"),
            None => ui.weak(""),
        };
    });
    if p.phase == RunPhase::Running {
        if let Some(note) = warm_up_note(p, view.continuing) {
            ui.add(egui::Label::new(egui::RichText::new(note).weak()).wrap());
        }
    }
    for (set, m) in &p.last_held_out {
        ui.weak(format!("after epoch {}: {}", p.accuracy.len().max(p.held_out_loss.len()), figures_text(model, set, m)));
    }
    baseline_ui(ui, p, model);
    if p.is_over() && !p.best_held_out.is_empty() {
        let (text, better) = verdict(model, &p.baseline, &p.best_held_out);
        let color = match better {
            Some(true) => Color32::from_rgb(40, 160, 70),
            Some(false) => ui.visuals().warn_fg_color,
            None => ui.visuals().text_color(),
        };
        ui.add(egui::Label::new(egui::RichText::new(text).color(color)).wrap());
        if let Some(best) = p.best_epoch {
            ui.weak(format!("Judged on the best epoch ({} of {}), the one Use this model takes.", best + 1, p.total_epochs));
        }
    }
}

/// The starting model's held-out figures, one line per set.
fn baseline_ui(ui: &mut egui::Ui, p: &RunProgress, model: ModelKind) {
    for (set, m) in &p.baseline {
        ui.weak(format!("starting model: {}", figures_text(model, set, m)));
    }
}

/// One held-out set's figures, e.g. "fonts:test top-1 97.10%, balanced 96.80%".
pub fn figures_text(model: ModelKind, set: &str, m: &std::collections::BTreeMap<String, f64>) -> String {
    let get = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
    match model {
        ModelKind::Recognizer => format!("{set} top-1 {:.2}%, balanced {:.2}%", 100.0 * get("top1"), 100.0 * get("balanced_accuracy")),
        ModelKind::Generator => format!("{set} −ELBO {:.1} nats (reconstruction {:.1}, KL {:.2})", get("neg_elbo"), get("reconstruction"), get("kl")),
    }
}

/// The line shown while the learning rate warms up (and, for a continued model, for the rest of
/// the first epoch, while its loss may still be above where it started).
pub fn warm_up_note(p: &RunProgress, continuing: bool) -> Option<&'static str> {
    if p.warming_up {
        Some(if continuing {
            "Warm-up: the learning rate rises over the first steps, so a continued model's training loss may rise for a while before it falls."
        } else {
            "Warm-up: the learning rate rises over the first steps."
        })
    } else if continuing && p.epoch == p.start_epoch && p.accuracy.is_empty() && p.held_out_loss.is_empty() {
        Some("After the warm-up a continued model's training loss can stay above its start for a while: the held-out figures at the epoch's end are what count.")
    } else {
        None
    }
}

/// Whether the new model (its best epoch's held-out figures) is better than the starting model,
/// on which data and by how much, in words; and `Some(better)` when there was a starting model.
/// The recognizer is judged by mean top-1 over the held-out sets, the generator by mean −ELBO
/// (lower is better).
pub fn verdict(model: ModelKind, baseline: &[HeldOut], best: &[HeldOut]) -> (String, Option<bool>) {
    if baseline.is_empty() {
        return (
            "Trained from scratch: there is no starting model to compare with. Compare weighs it against the model in use.".into(),
            None,
        );
    }
    let (metric, higher_better) = match model {
        ModelKind::Recognizer => ("top1", true),
        ModelKind::Generator => ("neg_elbo", false),
    };
    // Only the sets both were measured on.
    let shared: Vec<&str> = baseline.iter().map(|(n, _)| n.as_str()).filter(|n| best.iter().any(|(b, _)| b == n)).collect();
    let pick = |v: &[HeldOut]| -> Vec<HeldOut> { v.iter().filter(|(n, _)| shared.contains(&n.as_str())).cloned().collect() };
    let (before, after) = (mean_metric(&pick(baseline), metric), mean_metric(&pick(best), metric));
    if !before.is_finite() || !after.is_finite() {
        return ("The new model and the starting model were not measured on the same held-out data.".into(), None);
    }
    let on = shared.join(", ");
    let (text, better) = match model {
        ModelKind::Recognizer => {
            let diff = 100.0 * (after - before);
            let figures = format!("mean held-out top-1 {:.2}% against {:.2}% ({diff:+.2} points) on {on}", 100.0 * after, 100.0 * before);
            if diff.abs() < 0.005 {
                (format!("The new model is as good as the starting model: {figures}."), None)
            } else if (diff > 0.0) == higher_better {
                (format!("The new model is better than the starting model: {figures}."), Some(true))
            } else {
                (format!("The new model is worse than the starting model: {figures}. Keep the model in use (or train longer)."), Some(false))
            }
        }
        ModelKind::Generator => {
            let diff = after - before;
            let figures = format!("held-out −ELBO {after:.1} against {before:.1} nats ({diff:+.1}; lower is better) on {on}");
            if diff.abs() < 0.05 {
                (format!("The new generator is as good as the starting one: {figures}."), None)
            } else if (diff > 0.0) == higher_better {
                (format!("The new generator is better than the starting one: {figures}."), Some(true))
            } else {
                (format!("The new generator is worse than the starting one: {figures}. Keep the generator in use (or train longer)."), Some(false))
            }
        }
    };
    (text, better)
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

/// A loss for an axis tick or a read-out: three significant digits.
pub fn format_loss(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The y range (in %) that shows accuracy curves and the baseline: the data with a margin of a
/// quarter of its spread (at least one point), never above 100%.
pub fn accuracy_range(values: &[f64]) -> Option<RangeInclusive<f64>> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return None;
    }
    let pad = ((hi - lo) * 0.25).max(1.0);
    Some((lo - pad).max(0.0)..=(hi + pad).min(100.0))
}

/// Grid marks for a log10 axis spanning `bounds` (in log10 units): 1-2-5 in each decade when
/// the span is short, 1-3 when longer, powers of ten beyond, each mark's step the log distance
/// between them (so egui_plot labels every one).
pub fn log_marks(bounds: (f64, f64)) -> Vec<GridMark> {
    let (lo, hi) = (bounds.0.min(bounds.1), bounds.0.max(bounds.1));
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let (series, step): (&[f64], f64) = match hi - lo {
        s if s <= 0.9 => (&[1.0, 2.0, 5.0], 0.3),
        s if s <= 1.8 => (&[1.0, 3.0], 0.5),
        _ => (&[1.0], 1.0),
    };
    let mut marks = Vec::new();
    for decade in (lo.floor() as i32 - 1)..=(hi.ceil() as i32 + 1) {
        for m in series {
            let value = (m * 10f64.powi(decade)).log10();
            if (lo..=hi).contains(&value) {
                marks.push(GridMark { value, step_size: step });
            }
        }
    }
    marks
}

/// A learning-rate tick: "2.0e-3", and "0" for zero.
fn format_rate(v: f64) -> String {
    if v.abs() < 1e-12 {
        "0".into()
    } else {
        format!("{v:.1e}")
    }
}

/// A legend as a row of coloured names above a plot (outside the data). A dashed series is
/// drawn with a dashed mark.
fn legend_ui(ui: &mut egui::Ui, entries: &[(&str, Color32, bool)]) {
    ui.horizontal_wrapped(|ui| {
        for &(name, color, dashed) in entries {
            // The mark and its name wrap together.
            ui.horizontal(|ui| legend_entry_ui(ui, name, color, dashed));
        }
    });
}

/// One legend entry: a solid or dashed mark in the series' colour, and its name.
fn legend_entry_ui(ui: &mut egui::Ui, name: &str, color: Color32, dashed: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(20.0, 12.0), egui::Sense::hover());
    let (y, stroke) = (rect.center().y, egui::Stroke::new(2.5, color));
    if dashed {
        for k in 0..3 {
            let x = rect.left() + 7.0 * k as f32;
            ui.painter().line_segment([egui::pos2(x, y), egui::pos2(x + 4.0, y)], stroke);
        }
    } else {
        ui.painter().line_segment([egui::pos2(rect.left(), y), egui::pos2(rect.right(), y)], stroke);
    }
    ui.label(name);
    ui.add_space(6.0);
}

/// A plot with the panel's common settings: fixed view (the panel scrolls), x in epochs over the
/// whole run, a labelled y axis.
fn plot<'a>(id: &str, total_epochs: usize, y_label: &str) -> Plot<'a> {
    Plot::new(id.to_string())
        .height(PLOT_HEIGHT)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .x_axis_label("epoch")
        .y_axis_label(y_label.to_string())
        .include_x(0.0)
        .include_x(total_epochs.max(1) as f64)
        .y_axis_min_width(36.0)
}

/// `[x, y]` points with `y` mapped.
fn mapped(points: &[[f64; 2]], f: impl Fn(f64) -> f64) -> Vec<[f64; 2]> {
    points.iter().map(|&[x, y]| [x, f(y)]).filter(|p| p[1].is_finite()).collect()
}

/// The live curves of a run.
pub fn curves_ui(ui: &mut egui::Ui, p: &RunProgress, model: ModelKind) {
    let epochs = p.total_epochs;
    let held_out = match model {
        ModelKind::Recognizer => "held-out loss",
        ModelKind::Generator => "held-out −ELBO",
    };
    let baseline_loss = mean_metric(&p.baseline, "loss");
    // Loss on a log scale: the training loss (several nats at first) and the held-out loss
    // (often a tenth of it) both read.
    ui.strong(if model == ModelKind::Generator { "Loss (nats per image, log scale)" } else { "Loss (log scale)" });
    let mut entries = vec![("training", TRAINING, false), (held_out, HELD_OUT, false)];
    if baseline_loss.is_finite() {
        entries.push(("starting model", BASELINE, true));
    }
    legend_ui(ui, &entries);
    if model == ModelKind::Recognizer {
        ui.add(egui::Label::new(egui::RichText::new("The training loss is on augmented data with label smoothing, so it stays above the held-out loss.").weak()).wrap());
    }
    let held_out_name = held_out.to_string();
    let logs: Vec<f64> = p.train_loss.iter().chain(&p.held_out_loss).map(|q| q[1]).chain(std::iter::once(baseline_loss)).filter(|v| *v > 0.0 && v.is_finite()).map(f64::log10).collect();
    let mut loss_plot = plot("train-loss", epochs, "loss");
    if let (Some(lo), Some(hi)) = (logs.iter().copied().reduce(f64::min), logs.iter().copied().reduce(f64::max)) {
        // A little room above and below, so no point sits on the frame.
        loss_plot = loss_plot.include_y(lo - 0.08).include_y(hi + 0.08);
    }
    loss_plot
        .y_grid_spacer(|input| log_marks(input.bounds))
        .y_axis_formatter(|mark: GridMark, _| format_loss(10f64.powf(mark.value)))
        .label_formatter(|pos| match pos {
            HoverPosition::NearDataPoint { plot_name, position, .. } if !plot_name.is_empty() => {
                Some(format!("{plot_name}\nepoch {:.2}\nloss {}", position.x, format_loss(10f64.powf(position.y))))
            }
            _ => None,
        })
        .show(ui, |plot| {
            let log = |v: f64| if v > 0.0 { v.log10() } else { f64::NAN };
            plot.line(Line::new("training", PlotPoints::from(mapped(&p.train_loss, log))).color(TRAINING));
            let held = mapped(&p.held_out_loss, log);
            plot.line(Line::new(held_out_name.clone(), PlotPoints::from(held.clone())).color(HELD_OUT));
            plot.points(Points::new(held_out_name.clone(), PlotPoints::from(held)).color(HELD_OUT).radius(3.5));
            if baseline_loss.is_finite() && baseline_loss > 0.0 {
                plot.hline(HLine::new("starting model", baseline_loss.log10()).color(BASELINE).style(LineStyle::dashed_loose()));
            }
        });
    if model == ModelKind::Recognizer {
        ui.strong("Held-out accuracy (%)");
        let base_top1 = 100.0 * mean_metric(&p.baseline, "top1");
        let mut entries = vec![("top-1", HELD_OUT, false), ("balanced", BALANCED, false)];
        if base_top1.is_finite() {
            entries.push(("starting model top-1", BASELINE, true));
        }
        legend_ui(ui, &entries);
        let pct = |v: f64| 100.0 * v;
        let (top1, balanced) = (mapped(&p.accuracy, pct), mapped(&p.balanced_accuracy, pct));
        let all: Vec<f64> = top1.iter().chain(&balanced).map(|q| q[1]).chain(std::iter::once(base_top1)).collect();
        let mut accuracy = plot("train-accuracy", epochs, "%")
            .y_axis_formatter(|mark: GridMark, _| format!("{:.1}%", mark.value))
            .label_formatter(|pos| match pos {
                HoverPosition::NearDataPoint { plot_name, position, .. } if !plot_name.is_empty() => {
                    Some(format!("{plot_name}\nepoch {:.0}\n{:.2}%", position.x, position.y))
                }
                _ => None,
            });
        if let Some(range) = accuracy_range(&all) {
            accuracy = accuracy.include_y(*range.start()).include_y(*range.end());
        }
        accuracy.show(ui, |plot| {
            // Wider than balanced accuracy, so the two still show where they are equal.
            plot.line(Line::new("top-1", PlotPoints::from(top1.clone())).color(HELD_OUT).width(4.0));
            plot.points(Points::new("top-1", PlotPoints::from(top1)).color(HELD_OUT).radius(5.0));
            plot.line(Line::new("balanced", PlotPoints::from(balanced.clone())).color(BALANCED));
            plot.points(Points::new("balanced", PlotPoints::from(balanced)).color(BALANCED).radius(3.5));
            if base_top1.is_finite() {
                plot.hline(HLine::new("starting model top-1", base_top1).color(BASELINE).style(LineStyle::dashed_loose()));
            }
        });
    }
    ui.strong("Learning rate");
    legend_ui(ui, &[("learning rate (warm-up, then cosine)", LEARNING_RATE, false)]);
    plot("train-lr", epochs, "rate")
        .y_axis_formatter(|mark: GridMark, _| format_rate(mark.value))
        .include_y(0.0)
        .label_formatter(|pos| match pos {
            HoverPosition::NearDataPoint { position, .. } => Some(format!("epoch {:.2}\nlearning rate {:.2e}", position.x, position.y)),
            _ => None,
        })
        .show(ui, |plot| plot.line(Line::new("learning rate", PlotPoints::from(p.lr.clone())).color(LEARNING_RATE)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, pairs: &[(&str, f64)]) -> HeldOut {
        (name.into(), pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect())
    }

    #[test]
    fn durations_read_as_minutes_or_hours() {
        assert_eq!(format_duration(Duration::from_secs(65)), "1m05s");
        assert_eq!(format_duration(Duration::from_secs(3720)), "1h02m");
    }

    #[test]
    fn accuracy_is_zoomed_to_the_data_and_a_single_point_has_a_range() {
        assert_eq!(accuracy_range(&[97.0]), Some(96.0..=98.0));
        assert_eq!(accuracy_range(&[99.5, 99.8, f64::NAN]), Some(98.5..=100.0));
        let r = accuracy_range(&[60.0, 90.0]).unwrap_or(0.0..=0.0);
        assert!(*r.start() > 50.0 && *r.end() <= 100.0, "{r:?}");
        assert_eq!(accuracy_range(&[f64::NAN]), None);
        assert_eq!(format_loss(0.0344), "0.034");
        assert_eq!(format_loss(4.5), "4.50");
        // A loss axis from 0.08 to 1.2: ticks 0.1, 0.3 and 1 (1-3 in each decade), every one labelled.
        let ticks: Vec<String> = log_marks((0.08f64.log10(), 1.2f64.log10())).iter().map(|m| format_loss(10f64.powf(m.value))).collect();
        assert_eq!(ticks, ["0.100", "0.300", "1.00"]);
        assert_eq!(log_marks((0.0, 0.5)).len(), 2, "1 and 2 within one half decade");
        assert_eq!(format_rate(0.0), "0");
    }

    #[test]
    fn the_verdict_says_better_or_worse_on_which_data_by_how_much() {
        let base = vec![set("fonts:test", &[("top1", 0.90)])];
        let (text, better) = verdict(ModelKind::Recognizer, &base, &[set("fonts:test", &[("top1", 0.92)])]);
        assert_eq!(better, Some(true));
        assert!(text.contains("better") && text.contains("+2.00 points") && text.contains("fonts:test"), "{text}");
        let (text, better) = verdict(ModelKind::Recognizer, &base, &[set("fonts:test", &[("top1", 0.85)])]);
        assert_eq!(better, Some(false));
        assert!(text.contains("worse") && text.contains("-5.00"), "{text}");
        // The generator: −ELBO 502 against 487 is worse.
        let g0 = vec![set("fonts:test", &[("neg_elbo", 487.0)])];
        let (text, better) = verdict(ModelKind::Generator, &g0, &[set("fonts:test", &[("neg_elbo", 502.0)])]);
        assert_eq!(better, Some(false));
        assert!(text.contains("worse") && text.contains("+15.0"), "{text}");
        let (text, better) = verdict(ModelKind::Recognizer, &[], &base);
        assert_eq!(better, None);
        assert!(text.contains("scratch"), "{text}");
    }
}
