//! The evaluation view: where a recognizer errs on the held-out data of the chosen sources.
//! One or two models (the current one, and a run's best beside it) are evaluated on the same
//! held-out samples on a worker thread; the view shows accuracy and balanced accuracy side by
//! side, the samples only one of the two reads right with the exact McNemar test
//! ([`Evaluation::paired`]), per-class recall worst first, a confusion heatmap (hover: "truth → read as: count")
//! and a gallery of misreads (the model's input, the truth, what it read).

use crate::data::classes::{self, NUM_CLASSES};
use crate::data::spec::{DataSpec, OpenOptions};
use crate::data::Split;
use crate::ink::INPUT_SIDE;
use crate::models::Checkpoint;
use crate::training::metrics::{ClassRecall, Confusion, EvalReport};
use crate::models::recognizer::Reading;
use crate::training::recognizer::paired::Paired;
use crate::training::{evaluate_detailed, DetailedEval};
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver};

/// Misreads kept per model for the gallery.
pub const MAX_MISREADS: usize = 60;

/// A recognizer to evaluate: its label in the view and its checkpoint (`None`: the bundled one).
#[derive(Debug, Clone, PartialEq)]
pub struct EvalModel {
    /// Shown above its column, e.g. "current" or "new".
    pub label: String,
    /// The checkpoint (without or with extension); `None` is the bundled model.
    pub path: Option<PathBuf>,
}

/// One model's figures on every held-out set, and on all of them together.
#[derive(Debug, Clone)]
pub struct ModelEvaluation {
    /// The model's label.
    pub label: String,
    /// One report per held-out set.
    pub sets: Vec<EvalReport>,
    /// All sets together, with the confusion counts, misreads and which samples were read right
    /// (the sets one after another).
    pub whole: DetailedEval,
}

/// The result of one evaluation: every model on the same held-out data.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The held-out sets (name, samples).
    pub sets: Vec<(String, usize)>,
    /// The models, in the order asked.
    pub models: Vec<ModelEvaluation>,
}

impl Evaluation {
    /// The second model (A, "new") against the first (B, "current"), sample by sample: all held
    /// out together, then each set. Empty with fewer than two models.
    pub fn paired(&self) -> Vec<Paired> {
        let [b, a, ..] = self.models.as_slice() else { return Vec::new() };
        let mut out = vec![Paired::from_right("All held out", &a.whole.right, &b.whole.right)];
        let mut start = 0;
        for (name, len) in &self.sets {
            let range = start..start + len;
            let (x, y) = (a.whole.right.get(range.clone()).unwrap_or_default(), b.whole.right.get(range).unwrap_or_default());
            out.push(Paired::from_right(name, x, y));
            start += len;
        }
        out
    }
}

/// Evaluates `models` on the held-out split of `data` (on the calling thread, on the CPU).
pub fn run_evaluation(models: &[EvalModel], data: &[DataSpec], open: OpenOptions) -> crate::Result<Evaluation> {
    let mut sets = Vec::new();
    for spec in data {
        let src = spec.open(Split::Test, open)?;
        let samples = src.eval_samples();
        if !samples.is_empty() {
            sets.push((src.name(), samples, src.reads_pictures()));
        }
    }
    if sets.is_empty() {
        return Err(crate::Error::Invalid("the chosen sources hold nothing out to evaluate on".into()));
    }
    let device = candle_core::Device::Cpu;
    let mut out = Vec::new();
    for m in models {
        let ck = Checkpoint::load_or_bundled(m.path.as_deref(), &device)?;
        let mut confusion = Confusion::default();
        let (mut reports, mut misreads, mut right) = (Vec::new(), Vec::new(), Vec::new());
        for (name, samples, pictures) in &sets {
            // Pictures are ranked as the app reads an opened picture (and `fude eval` does).
            let reading = Reading { picture: *pictures, ..Reading::default() };
            let reading = pictures.then_some(&reading);
            let d = evaluate_detailed(&ck.model, name, samples, reading, &[], MAX_MISREADS.saturating_sub(misreads.len()))?;
            confusion.merge(&d.confusion);
            misreads.extend(d.misreads);
            reports.push(d.report);
            right.extend(d.right);
        }
        let whole = DetailedEval { report: confusion.report("all held out", 10), confusion, misreads, right };
        out.push(ModelEvaluation { label: m.label.clone(), sets: reports, whole });
    }
    Ok(Evaluation { sets: sets.iter().map(|(n, s, _)| (n.clone(), s.len())).collect(), models: out })
}

/// Per-class recall, worst first (ties: more samples first, then table order).
pub fn worst_first(per_class: &[ClassRecall]) -> Vec<ClassRecall> {
    let mut v = per_class.to_vec();
    v.sort_by(|a, b| a.recall.total_cmp(&b.recall).then(b.support.cmp(&a.support)));
    v
}

/// The classes with held-out samples, in table order (the heatmap's rows and columns).
pub fn heat_classes(c: &Confusion) -> Vec<usize> {
    (0..NUM_CLASSES).filter(|&t| (0..NUM_CLASSES).any(|p| c.count(t, p) > 0)).collect()
}

/// The colour of a heatmap cell: `count` of a class's `support` samples; the diagonal (read
/// right) in blue, confusions in red, both stronger with the share.
pub fn heat_color(count: u64, support: u64, diagonal: bool) -> egui::Color32 {
    if count == 0 || support == 0 {
        return egui::Color32::from_gray(24);
    }
    let share = (count as f32 / support as f32).clamp(0.0, 1.0);
    // Confusions are rare: a square root makes a single one visible.
    let v = (40.0 + 215.0 * share.sqrt()) as u8;
    if diagonal {
        egui::Color32::from_rgb(20, v / 2, v)
    } else {
        egui::Color32::from_rgb(v, 30, 20)
    }
}

/// The text shown when hovering a heatmap cell.
pub fn cell_text(truth: usize, read_as: usize, count: u64) -> String {
    let ch = |c: usize| classes::get(c).map(|k| k.ch).unwrap_or('?');
    format!("{} → read as {}: {count}", ch(truth), ch(read_as))
}

/// The most frequent confusions (truth, read as, count), most first, at most `n`.
pub fn top_confusions(c: &Confusion, n: usize) -> Vec<(usize, usize, u64)> {
    let mut v: Vec<(usize, usize, u64)> = (0..NUM_CLASSES)
        .flat_map(|t| (0..NUM_CLASSES).filter(move |&p| p != t).map(move |p| (t, p)))
        .map(|(t, p)| (t, p, c.count(t, p)))
        .filter(|&(_, _, n)| n > 0)
        .collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    v.truncate(n);
    v
}

/// The heatmap's script groups: (script name, first and last position in `cls`).
pub fn script_groups(cls: &[usize]) -> Vec<(&'static str, usize, usize)> {
    let mut groups: Vec<(&'static str, usize, usize)> = Vec::new();
    for (i, &c) in cls.iter().enumerate() {
        let name = match classes::get(c).map(|k| k.script()) {
            Some(classes::Script::Hiragana) => "hiragana",
            Some(classes::Script::Katakana) => "katakana",
            None => "other",
        };
        match groups.last_mut() {
            Some(g) if g.0 == name => g.2 = i,
            _ => groups.push((name, i, i)),
        }
    }
    groups
}

/// Whether two checkpoint paths name the same model (with or without the extension).
pub fn same_checkpoint(a: &std::path::Path, b: &std::path::Path) -> bool {
    let base = |p: &std::path::Path| {
        let p = match p.extension().and_then(|e| e.to_str()) {
            Some("safetensors" | "json") => p.with_extension(""),
            _ => p.to_path_buf(),
        };
        let full = p.with_extension("safetensors");
        std::fs::canonicalize(&full).map(|c| c.with_extension("")).unwrap_or(p)
    };
    base(a) == base(b)
}

/// The view's state: the evaluation under way or done, and its textures.
#[derive(Default)]
pub struct EvaluationView {
    /// Whether the view's window is shown.
    pub open: bool,
    /// A note shown above the figures (e.g. that a model was compared with itself).
    pub note: Option<String>,
    job: Option<Receiver<Result<Evaluation, String>>>,
    result: Option<Evaluation>,
    error: Option<String>,
    /// Which model's details are shown.
    selected: usize,
    /// Gallery textures of the selected model.
    textures: Option<(usize, Vec<egui::TextureHandle>)>,
}

impl EvaluationView {
    /// Starts evaluating `models` on `data` on a worker thread (a running one is abandoned).
    pub fn start(&mut self, ctx: &egui::Context, models: Vec<EvalModel>, data: Vec<DataSpec>, open: OpenOptions) {
        let (tx, rx) = channel();
        let wake = ctx.clone();
        let spawned = std::thread::Builder::new().name("fude-evaluation".into()).spawn(move || {
            let r = run_evaluation(&models, &data, open).map_err(|e| e.to_string());
            let _ = tx.send(r);
            wake.request_repaint();
        });
        self.open = true;
        self.note = None;
        self.result = None;
        self.textures = None;
        self.selected = 0;
        match spawned {
            Ok(_) => {
                self.job = Some(rx);
                self.error = None;
            }
            Err(e) => self.error = Some(format!("Cannot start the evaluation: {e}")),
        }
    }

    /// Takes in a finished evaluation (call every frame).
    pub fn poll(&mut self) {
        let Some(rx) = &self.job else { return };
        match rx.try_recv() {
            Ok(Ok(r)) => {
                self.result = Some(r);
                self.job = None;
            }
            Ok(Err(e)) => {
                self.error = Some(e);
                self.job = None;
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.error = Some("the evaluation stopped unexpectedly".into());
                self.job = None;
            }
        }
    }

    /// Whether an evaluation is running.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// The last finished evaluation.
    pub fn result(&self) -> Option<&Evaluation> {
        self.result.as_ref()
    }

    /// Why the last evaluation failed.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// Shows the view as a window while it is open.
pub fn evaluation_window_ui(ctx: &egui::Context, view: &mut EvaluationView) {
    let mut open = view.open;
    let area = crate::app::window_area(ctx);
    egui::Window::new("Evaluation")
        .open(&mut open)
        .constrain_to(area)
        .default_pos(area.min + egui::vec2(40.0, 8.0))
        .max_height(area.height() - 16.0)
        .default_width(620.0)
        .vscroll(true)
        .show(ctx, |ui| evaluation_ui(ui, view));
    view.open = open && view.open;
}

/// Draws the view's contents.
pub fn evaluation_ui(ui: &mut egui::Ui, view: &mut EvaluationView) {
    if view.is_busy() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Evaluating on the held-out data…");
        });
    }
    if let Some(e) = &view.error {
        ui.colored_label(ui.visuals().error_fg_color, format!("Evaluation failed: {e}"));
    }
    if let Some(note) = &view.note {
        ui.add(egui::Label::new(egui::RichText::new(note).color(ui.visuals().warn_fg_color)).wrap());
    }
    let Some(result) = &view.result else { return };
    let sets: Vec<String> = result.sets.iter().map(|(n, s)| format!("{n} ({s})")).collect();
    ui.weak(format!("Held out: {}", sets.join(", ")));
    figures_ui(ui, result);
    paired_ui(ui, result);
    if result.models.len() > 1 {
        ui.horizontal(|ui| {
            ui.label("Details of");
            for (i, m) in result.models.iter().enumerate() {
                ui.radio_value(&mut view.selected, i, &m.label);
            }
        });
    }
    let Some(m) = result.models.get(view.selected).or(result.models.first()) else { return };
    let selected = view.selected.min(result.models.len().saturating_sub(1));
    ui.separator();
    ui.columns(2, |cols| {
        if let [left, right] = cols {
            recall_ui(left, &m.whole.report.per_class);
            heatmap_ui(right, &m.whole.confusion);
            right.add_space(6.0);
            top_confusions_ui(right, &m.whole.confusion);
        }
    });
    ui.separator();
    if view.textures.as_ref().is_none_or(|(i, _)| *i != selected) {
        let handles = m.whole.misreads.iter().enumerate().map(|(k, r)| {
            let img = egui::ColorImage::from_gray_iter([INPUT_SIDE, INPUT_SIDE], r.input.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0) as u8));
            ui.ctx().load_texture(format!("misread-{selected}-{k}"), img, egui::TextureOptions::NEAREST)
        });
        view.textures = Some((selected, handles.collect()));
    }
    let textures = view.textures.as_ref().map(|(_, t)| t.as_slice()).unwrap_or_default();
    gallery_ui(ui, m, textures);
}

fn pct(v: f64) -> String {
    format!("{:.2}%", 100.0 * v)
}

/// Accuracy and balanced accuracy, one column per model, all sets together and each set.
fn figures_ui(ui: &mut egui::Ui, result: &Evaluation) {
    egui::Grid::new("eval-figures").striped(true).num_columns(1 + 2 * result.models.len()).show(ui, |ui| {
        ui.label("");
        for m in &result.models {
            ui.strong(format!("{}: accuracy", m.label));
            ui.strong("balanced accuracy");
        }
        ui.end_row();
        ui.label("All held out");
        for m in &result.models {
            ui.label(pct(m.whole.report.accuracy));
            ui.label(pct(m.whole.report.balanced_accuracy));
        }
        ui.end_row();
        for (i, (name, _)) in result.sets.iter().enumerate() {
            ui.label(name);
            for m in &result.models {
                let r = m.sets.get(i);
                ui.label(r.map(|r| pct(r.accuracy)).unwrap_or_default());
                ui.label(r.map(|r| pct(r.balanced_accuracy)).unwrap_or_default());
            }
            ui.end_row();
        }
    });
}

/// Below this p-value a difference between two models is called more than chance.
pub const SIGNIFICANT_P: f64 = 0.05;

/// What the paired test says of the second model against the first, in words.
pub fn paired_verdict(p: &Paired, a: &str, b: &str) -> String {
    if p.p_value() >= SIGNIFICANT_P {
        "within chance".into()
    } else if p.only_a > p.only_b {
        format!("{a} reads better")
    } else {
        format!("{b} reads better")
    }
}

/// The second model against the first, sample by sample: the samples only one of them reads
/// right, and whether that difference is more than chance (exact McNemar test).
fn paired_ui(ui: &mut egui::Ui, result: &Evaluation) {
    let pairs = result.paired();
    let ([b, a, ..], false) = (result.models.as_slice(), pairs.is_empty()) else { return };
    ui.add_space(6.0);
    ui.strong(format!("{} against {}, sample by sample", a.label, b.label)).on_hover_text(
        "The samples only one of the two models reads right. p is the chance, were the two equally good,          of a split at least this uneven (exact McNemar test); below 0.05 the difference is more than chance.",
    );
    egui::Grid::new("eval-paired").striped(true).num_columns(5).show(ui, |ui| {
        ui.label("");
        ui.strong(format!("only {} right", a.label));
        ui.strong(format!("only {} right", b.label));
        ui.strong("p");
        ui.strong("");
        ui.end_row();
        for p in &pairs {
            ui.label(&p.name);
            ui.label(p.only_a.to_string());
            ui.label(p.only_b.to_string());
            ui.label(format!("{:.3}", p.p_value()));
            let verdict = paired_verdict(p, &a.label, &b.label);
            if p.p_value() < SIGNIFICANT_P {
                ui.strong(verdict);
            } else {
                ui.weak(verdict);
            }
            ui.end_row();
        }
    });
}

fn recall_ui(ui: &mut egui::Ui, per_class: &[ClassRecall]) {
    ui.strong("Recall per class, worst first");
    egui::ScrollArea::vertical().id_salt("eval-recall").max_height(300.0).show(ui, |ui| {
        for r in worst_first(per_class) {
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new(&r.ch).size(18.0));
                ui.add(egui::ProgressBar::new(r.recall as f32).desired_width(110.0).text(format!("{} of {}", pct(r.recall), r.support)));
            });
        }
    });
}

fn heatmap_ui(ui: &mut egui::Ui, c: &Confusion) {
    ui.strong("Confusion (rows: truth, columns: read as)");
    let cls = heat_classes(c);
    let n = cls.len().max(1);
    // Room for the script-group labels on the top and the left.
    let label_room = 16.0;
    let side = (ui.available_width() - label_room).clamp(40.0, 360.0);
    let cell = (side / n as f32).max(1.0);
    let (outer, response) = ui.allocate_exact_size(egui::vec2(cell * n as f32 + label_room, cell * n as f32 + label_room), egui::Sense::hover());
    let rect = egui::Rect::from_min_size(outer.min + egui::vec2(label_room, label_room), egui::vec2(cell * n as f32, cell * n as f32));
    let supports: Vec<u64> = cls.iter().map(|&t| (0..NUM_CLASSES).map(|p| c.count(t, p)).sum()).collect();
    let painter = ui.painter_at(outer);
    painter.rect_filled(rect, 0.0, heat_color(0, 0, false));
    for (i, (&t, &support)) in cls.iter().zip(&supports).enumerate() {
        for (j, &p) in cls.iter().enumerate() {
            let count = c.count(t, p);
            if count == 0 {
                continue;
            }
            let min = rect.min + egui::vec2(j as f32 * cell, i as f32 * cell);
            painter.rect_filled(egui::Rect::from_min_size(min, egui::vec2(cell, cell)), 0.0, heat_color(count, support, t == p));
        }
    }
    // Script groups: a line between them, their names along the top, their first kana on the left.
    let text = ui.visuals().text_color();
    let font = egui::FontId::proportional(11.0);
    for (name, first, last) in script_groups(&cls) {
        let (a, b) = (first as f32 * cell, (last + 1) as f32 * cell);
        if first > 0 {
            let line = egui::Stroke::new(1.0, ui.visuals().weak_text_color());
            painter.line_segment([egui::pos2(rect.left() + a, rect.top()), egui::pos2(rect.left() + a, rect.bottom())], line);
            painter.line_segment([egui::pos2(rect.left(), rect.top() + a), egui::pos2(rect.right(), rect.top() + a)], line);
        }
        let short = if name == "katakana" { "カ" } else { "ひ" };
        let top_label = if b - a > 60.0 { name } else { short };
        painter.text(egui::pos2(rect.left() + (a + b) / 2.0, outer.top() + 1.0), egui::Align2::CENTER_TOP, top_label, font.clone(), text);
        painter.text(egui::pos2(outer.left() + label_room / 2.0, rect.top() + (a + b) / 2.0), egui::Align2::CENTER_CENTER, short, font.clone(), text);
    }
    if let Some(pos) = response.hover_pos() {
        let (x, y) = (pos.x - rect.left(), pos.y - rect.top());
        if x >= 0.0 && y >= 0.0 {
            let (j, i) = ((x / cell) as usize, (y / cell) as usize);
            if let (Some(&t), Some(&p)) = (cls.get(i), cls.get(j)) {
                response.on_hover_text_at_pointer(cell_text(t, p, c.count(t, p)));
            }
        }
    }
}

/// The most frequent confusions as a table: truth, read as, how often, share of the truth's samples.
fn top_confusions_ui(ui: &mut egui::Ui, c: &Confusion) {
    let top = top_confusions(c, 10);
    ui.strong("Most frequent confusions");
    if top.is_empty() {
        ui.weak("None.");
        return;
    }
    let ch = |k: usize| classes::get(k).map(|x| x.ch).unwrap_or('?');
    egui::Grid::new("eval-top-confusions").striped(true).num_columns(4).show(ui, |ui| {
        ui.strong("truth");
        ui.strong("read as");
        ui.strong("times");
        ui.strong("of its samples");
        ui.end_row();
        for (t, p, n) in top {
            let support: u64 = (0..NUM_CLASSES).map(|q| c.count(t, q)).sum();
            ui.label(egui::RichText::new(ch(t).to_string()).size(16.0));
            ui.label(egui::RichText::new(ch(p).to_string()).size(16.0));
            ui.label(n.to_string());
            ui.label(format!("{:.1}%", 100.0 * n as f64 / support.max(1) as f64));
            ui.end_row();
        }
    });
}

fn gallery_ui(ui: &mut egui::Ui, m: &ModelEvaluation, textures: &[egui::TextureHandle]) {
    let shown = m.whole.misreads.len();
    let wrong = m.whole.report.samples.saturating_sub((m.whole.report.accuracy * m.whole.report.samples as f64).round() as u64);
    ui.strong(format!("Misreads of {} ({shown} of {wrong} shown)", m.label));
    if shown == 0 {
        ui.weak("None: every held-out sample was read right.");
        return;
    }
    let ch = |c: usize| classes::get(c).map(|k| k.ch).unwrap_or('?');
    ui.horizontal_wrapped(|ui| {
        for (r, tex) in m.whole.misreads.iter().zip(textures) {
            ui.vertical(|ui| {
                ui.image((tex.id(), egui::vec2(56.0, 56.0)));
                ui.label(format!("{} read as {}", ch(r.truth), ch(r.read_as)))
                    .on_hover_text(format!("truth {}, read as {} ({:.0}%)", ch(r.truth), ch(r.read_as), 100.0 * r.confidence));
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::spec::SourceKind;

    fn recall(ch: &str, support: u64, recall: f64) -> ClassRecall {
        ClassRecall { ch: ch.into(), support, recall }
    }

    #[test]
    fn recall_is_sorted_worst_first() {
        let v = worst_first(&[recall("あ", 10, 0.9), recall("い", 5, 0.5), recall("う", 20, 0.5), recall("え", 4, 1.0)]);
        let order: Vec<&str> = v.iter().map(|r| r.ch.as_str()).collect();
        assert_eq!(order, ["う", "い", "あ", "え"]);
    }

    #[test]
    fn heatmap_rows_colours_and_hover_text() {
        let mut c = Confusion::default();
        c.add(3, &[3]);
        c.add(3, &[7]);
        c.add(7, &[7]);
        assert_eq!(heat_classes(&c), vec![3, 7]);
        assert_eq!(heat_color(0, 10, false), heat_color(0, 0, true), "empty cells share one colour");
        assert!(heat_color(9, 10, false).r() > heat_color(1, 10, false).r(), "more confusions are redder");
        assert!(heat_color(5, 10, true).b() > heat_color(5, 10, true).r(), "the diagonal is blue");
        let a = classes::index_of('あ').unwrap_or(0);
        let o = classes::index_of('お').unwrap_or(0);
        assert_eq!(cell_text(a, o, 4), "あ → read as お: 4");
        c.add(3, &[7]);
        assert_eq!(top_confusions(&c, 5), vec![(3, 7, 2)]);
        let ka = classes::index_of('カ').unwrap_or(0);
        let groups = script_groups(&[a, o, ka]);
        assert_eq!(groups, vec![("hiragana", 0, 1), ("katakana", 2, 2)]);
        assert!(same_checkpoint(std::path::Path::new("/r/best"), std::path::Path::new("/r/best.safetensors")));
        assert!(!same_checkpoint(std::path::Path::new("/r/best"), std::path::Path::new("/r/last")));
    }

    /// The bundled model on the validation fonts: the figures agree with the confusion, every
    /// misread is a real one, and a model compared with itself gets the same figures.
    #[test]
    fn evaluation_of_the_bundled_model_has_misreads() {
        let models = vec![EvalModel { label: "current".into(), path: None }, EvalModel { label: "again".into(), path: None }];
        let data = vec![DataSpec { kind: SourceKind::Fonts, weight: 1.0 }];
        let e = run_evaluation(&models, &data, OpenOptions::default()).unwrap();
        assert_eq!(e.models.len(), 2);
        let m = &e.models[0];
        assert_eq!(m.whole.report.samples, e.sets[0].1 as u64);
        assert!(m.whole.report.accuracy > 0.9 && m.whole.report.accuracy < 1.0, "{}", m.whole.report.accuracy);
        assert!(!m.whole.misreads.is_empty() && m.whole.misreads.len() <= MAX_MISREADS);
        assert!(m.whole.misreads.iter().all(|r| r.truth != r.read_as && m.whole.confusion.count(r.truth, r.read_as) > 0));
        assert_eq!(m.whole.report.accuracy, e.models[1].whole.report.accuracy);
        // The same model twice never disagrees with itself: every set is within chance.
        let pairs = e.paired();
        assert_eq!(pairs.len(), 1 + e.sets.len());
        assert_eq!(pairs[0].samples() as u64, m.whole.report.samples);
        assert!(pairs.iter().all(|p| p.only_a == 0 && p.only_b == 0 && paired_verdict(p, "new", "current") == "within chance"));
        let lopsided = Paired { name: "x".into(), both: 10, only_a: 12, only_b: 1, neither: 0 };
        assert_eq!(paired_verdict(&lopsided, "new", "current"), "new reads better");
        let other = Paired { only_a: 1, only_b: 12, ..lopsided };
        assert_eq!(paired_verdict(&other, "new", "current"), "current reads better");
        let e = run_evaluation(&[EvalModel { label: "x".into(), path: Some("/no/such/model".into()) }], &data, OpenOptions::default());
        assert!(e.is_err());
    }
}
