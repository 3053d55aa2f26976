//! `fude --bench-ui`: replays scripted strokes into the real window as pointer events, one
//! pointer move per frame, and measures frame times while drawing and the time from the end of a
//! stroke to the updated candidates being on screen; then, in line mode, it writes a line of six
//! kana and measures the same while writing it, with the reader's time per stroke. Then it
//! starts a small training run in the
//! training panel (the panel's own worker, one core left for the UI) and measures frame CPU time
//! while it trains. Prints percentiles, then stops the run and closes the window.

use crate::app::writing::canvas::{normalize_drawing, normalize_line_drawing};
use crate::ink::{Drawing, Stroke};
use egui::{Event, Key, Modifiers, PointerButton, Pos2, Rect};
use std::time::Duration;

/// The scripted characters (あ, カ, ゃ), replayed this many times.
const ROUNDS: usize = 3;

/// Idle frames measured before the replay.
const IDLE_FRAMES: usize = 120;

/// Frames measured while the training run steps.
const TRAINING_FRAMES: usize = 300;

/// Frames of the slider phase (the first is not measured: it opens the panel).
const SLIDER_FRAMES: usize = 241;

/// Largest step between replayed pointer positions, as a fraction of the box (a quick mouse
/// stroke at 60 frames per second).
const STEP: f32 = 0.012;

/// Where the replay is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Idle frames first: the peer the drawing frames are compared with.
    Idle { frames: usize },
    /// Pointer down, moving through the points of a stroke.
    Stroke { point: usize },
    /// Stroke released; waiting for the candidates.
    AfterStroke,
    /// Character finished; clear the canvas next.
    Clear,
    /// Waiting for the app to switch to line mode.
    LineStart,
    /// Line mode is on; the line canvas is laid out in this frame, the line starts in the next.
    LineReady,
    /// The generator panel open, its first slider dragged back and forth one step per frame.
    Slider { frame: usize },
    /// Waiting for the app to start a training run.
    TrainStart,
    /// A training run is going; frames are measured once it steps.
    Training,
    /// All done.
    Done,
}

/// The replay state and its measurements.
pub struct UiBench {
    /// The characters, then the line (its points in line-canvas units).
    chars: Vec<Vec<Stroke>>,
    /// Whether the line is being written (the app is in line mode).
    in_line: bool,
    /// The line mode the app was in before the line (put back after it).
    pub(in crate::app) mode_before: Option<bool>,
    line_frame_ui: Vec<Duration>,
    line_frame_cpu: Vec<Duration>,
    line_frame_interval: Vec<Duration>,
    line_stroke_latency: Vec<Duration>,
    line_compute: Vec<Duration>,
    char_index: usize,
    stroke_index: usize,
    phase: Phase,
    frame_idle: Vec<Duration>,
    frame_ui: Vec<Duration>,
    frame_interval: Vec<Duration>,
    idle_interval: Vec<Duration>,
    last_frame: Option<std::time::Instant>,
    frame_cpu: Vec<Duration>,
    stroke_latency: Vec<Duration>,
    worker_latency: Vec<Duration>,
    drawing_frame: bool,
    idle_frame: bool,
    frame_training: Vec<Duration>,
    frame_slider: Vec<Duration>,
    slider_frame: bool,
    training_images_per_sec: f32,
    /// Whether the app's training run is stepping (set by the app each frame).
    training_steps: bool,
}

impl Default for UiBench {
    fn default() -> Self {
        Self::new()
    }
}

/// Splits long segments so consecutive points are at most `step` apart (as pointer moves of a
/// mouse sampled at a fixed rate would be).
pub fn densify(stroke: &Stroke, step: f32) -> Stroke {
    let mut out = Stroke::new();
    for (i, p) in stroke.iter().enumerate() {
        if let Some(q) = i.checked_sub(1).and_then(|j| stroke.get(j)) {
            let d = (p[0] - q[0]).hypot(p[1] - q[1]);
            let n = (d / step).ceil().max(1.0) as usize;
            for k in 1..n {
                let t = k as f32 / n as f32;
                out.push([q[0] + (p[0] - q[0]) * t, q[1] + (p[1] - q[1]) * t]);
            }
        }
        out.push(*p);
    }
    out
}

/// A line drawing's strokes on the line canvas (the drawing's height is the canvas's), as the
/// bench and the tests write them: split into mouse-sized steps.
pub fn line_strokes(d: &Drawing) -> Vec<Stroke> {
    normalize_line_drawing(d).iter().map(|s| densify(s, STEP)).collect()
}

impl UiBench {
    /// The replay of the example characters.
    pub fn new() -> Self {
        let sources = [
            include_str!("../../assets/examples/a.json"),
            include_str!("../../assets/examples/ka.json"),
            include_str!("../../assets/examples/small-ya.json"),
        ];
        let one_round: Vec<Vec<Stroke>> = sources
            .iter()
            .filter_map(|s| Drawing::from_json(s).ok())
            .map(|d| normalize_drawing(&d).iter().map(|s| densify(s, STEP)).collect())
            .collect();
        let mut chars: Vec<Vec<Stroke>> = (0..ROUNDS).flat_map(|_| one_round.clone()).collect();
        // The line comes last (none if its file did not parse: an empty line is skipped).
        let line = Drawing::from_json(include_str!("../../assets/examples/line-hitorihitori.json"));
        chars.push(line.map(|d| line_strokes(&d)).unwrap_or_default());
        UiBench {
            chars,
            in_line: false,
            mode_before: None,
            line_frame_ui: Vec::new(),
            line_frame_cpu: Vec::new(),
            line_frame_interval: Vec::new(),
            line_stroke_latency: Vec::new(),
            line_compute: Vec::new(),
            char_index: 0,
            stroke_index: 0,
            phase: Phase::Idle { frames: 0 },
            frame_idle: Vec::new(),
            frame_ui: Vec::new(),
            frame_interval: Vec::new(),
            idle_interval: Vec::new(),
            last_frame: None,
            frame_cpu: Vec::new(),
            stroke_latency: Vec::new(),
            worker_latency: Vec::new(),
            drawing_frame: false,
            idle_frame: false,
            frame_training: Vec::new(),
            frame_slider: Vec::new(),
            slider_frame: false,
            training_images_per_sec: 0.0,
            training_steps: false,
        }
    }

    /// Whether the replay is over.
    pub fn finished(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The input events for the next frame. `waiting` says the app has not shown the candidates
    /// for the canvas as it is yet.
    pub fn next_events(&mut self, canvas: Rect, waiting: bool) -> Vec<Event> {
        // Canvas units are heights (the writing box is square; a line is wider).
        let at = |p: [f32; 2]| Pos2::new(canvas.left() + p[0] * canvas.height(), canvas.top() + p[1] * canvas.height());
        let button = |pos, pressed| Event::PointerButton {
            pos,
            button: PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        };
        self.drawing_frame = false;
        self.idle_frame = false;
        if matches!(self.phase, Phase::Slider { .. } | Phase::TrainStart | Phase::Training | Phase::Done | Phase::LineStart) {
            return Vec::new();
        }
        let Some(strokes) = self.chars.get(self.char_index) else {
            self.phase = Phase::Slider { frame: 0 };
            return Vec::new();
        };
        match self.phase {
            Phase::Done | Phase::Slider { .. } | Phase::TrainStart | Phase::Training | Phase::LineStart => Vec::new(),
            Phase::LineReady => {
                self.phase = Phase::Stroke { point: 0 };
                Vec::new()
            }
            Phase::Idle { frames } => {
                self.idle_frame = true;
                self.phase = if frames + 1 >= IDLE_FRAMES { Phase::Stroke { point: 0 } } else { Phase::Idle { frames: frames + 1 } };
                Vec::new()
            }
            Phase::Stroke { point } => {
                let Some(stroke) = strokes.get(self.stroke_index) else {
                    self.phase = Phase::Clear;
                    return Vec::new();
                };
                self.drawing_frame = true;
                match (stroke.get(point), point) {
                    (Some(p), 0) => {
                        self.phase = Phase::Stroke { point: 1 };
                        vec![Event::PointerMoved(at(*p)), button(at(*p), true)]
                    }
                    (Some(p), _) => {
                        self.phase = Phase::Stroke { point: point + 1 };
                        vec![Event::PointerMoved(at(*p))]
                    }
                    (None, _) => {
                        self.phase = Phase::AfterStroke;
                        let last = stroke.last().copied().unwrap_or([0.5, 0.5]);
                        vec![button(at(last), false)]
                    }
                }
            }
            Phase::AfterStroke => {
                if !waiting {
                    self.stroke_index += 1;
                    self.phase = if self.stroke_index < strokes.len() { Phase::Stroke { point: 0 } } else { Phase::Clear };
                }
                Vec::new()
            }
            Phase::Clear => {
                if waiting {
                    return Vec::new();
                }
                self.char_index += 1;
                self.stroke_index = 0;
                eprintln!("bench-ui: {}/{} characters (the last is a line)", self.char_index, self.chars.len());
                let line_next = self.char_index + 1 == self.chars.len();
                self.phase = if line_next { Phase::LineStart } else { Phase::Stroke { point: 0 } };
                vec![Event::Key {
                    key: Key::Escape,
                    physical_key: None,
                    pressed: true,
                    repeat: false,
                    modifiers: Modifiers::NONE,
                }]
            }
        }
    }

    /// Whether the app should switch to line mode now (true once, before the line).
    pub fn take_line_start(&mut self) -> bool {
        let start = self.phase == Phase::LineStart;
        if start {
            self.phase = Phase::LineReady;
            self.in_line = true;
        }
        start
    }

    /// Whether the line is written and cleared (true once): the app then switches back.
    pub fn take_line_end(&mut self) -> bool {
        let end = self.in_line && self.char_index >= self.chars.len();
        if end {
            self.in_line = false;
        }
        end
    }

    /// Records the reader's time for the line after a stroke.
    pub fn record_line_compute(&mut self, d: Duration) {
        self.line_compute.push(d);
    }

    /// Where the dragged slider should be this frame (−1..=1), while the slider phase lasts; then
    /// the bench moves on to training.
    pub fn slider_position(&mut self) -> Option<f32> {
        let Phase::Slider { frame } = self.phase else { return None };
        if frame >= SLIDER_FRAMES {
            self.phase = Phase::TrainStart;
            return None;
        }
        self.phase = Phase::Slider { frame: frame + 1 };
        self.slider_frame = frame > 0;
        // A triangle wave: 60 frames from one end to the other, as a steady drag.
        let u = (frame % 120) as f32 / 60.0;
        Some(if u < 1.0 { 2.0 * u - 1.0 } else { 3.0 - 2.0 * u })
    }

    /// The slider phase found no generator: it is skipped (and reported so).
    pub fn skip_slider(&mut self) {
        if matches!(self.phase, Phase::Slider { .. }) {
            self.phase = Phase::TrainStart;
            self.slider_frame = false;
        }
    }

    /// Whether the app should start the training run now (true once).
    pub fn take_training_start(&mut self) -> bool {
        let start = self.phase == Phase::TrainStart;
        if start {
            self.phase = Phase::Training;
        }
        start
    }

    /// Tells the bench whether the app's training run is stepping, and at what speed.
    pub fn set_training(&mut self, stepping: bool, images_per_sec: f32) {
        self.training_steps = stepping;
        if stepping {
            self.training_images_per_sec = images_per_sec;
        }
    }

    /// Whether the training phase has measured enough frames (the app then stops the run).
    pub fn training_done(&self) -> bool {
        self.frame_training.len() >= TRAINING_FRAMES
    }

    /// Ends the training phase once it has measured enough; true when the run should stop now.
    pub fn end_training(&mut self) -> bool {
        let end = self.training_done() && self.phase == Phase::Training;
        if end {
            self.phase = Phase::Done;
        }
        end
    }

    /// Records one frame: time spent in the app's `ui`, eframe's CPU time of the previous frame
    /// (layout, tessellation and painting) and the wall-clock interval since the previous frame.
    pub fn record_frame(&mut self, ui_time: Duration, cpu_seconds: Option<f32>) {
        let now = std::time::Instant::now();
        if let Some(last) = self.last_frame {
            if self.drawing_frame && self.in_line {
                self.line_frame_interval.push(now - last);
            } else if self.drawing_frame {
                self.frame_interval.push(now - last);
            } else if self.idle_frame {
                self.idle_interval.push(now - last);
            }
        }
        self.last_frame = Some(now);
        if self.slider_frame {
            self.slider_frame = false;
            if let Some(s) = cpu_seconds {
                self.frame_slider.push(Duration::from_secs_f32(s.max(0.0)));
            }
        }
        if self.phase == Phase::Training && self.training_steps {
            if let Some(s) = cpu_seconds {
                self.frame_training.push(Duration::from_secs_f32(s.max(0.0)));
            }
        }
        if self.idle_frame {
            if let Some(s) = cpu_seconds {
                self.frame_idle.push(Duration::from_secs_f32(s.max(0.0)));
            }
        }
        if self.drawing_frame && self.in_line {
            self.line_frame_ui.push(ui_time);
            if let Some(s) = cpu_seconds {
                self.line_frame_cpu.push(Duration::from_secs_f32(s.max(0.0)));
            }
        } else if self.drawing_frame {
            self.frame_ui.push(ui_time);
            if let Some(s) = cpu_seconds {
                self.frame_cpu.push(Duration::from_secs_f32(s.max(0.0)));
            }
        }
    }

    /// Records the time from a stroke's end to its candidates being shown.
    pub fn record_stroke_latency(&mut self, d: Duration) {
        if self.in_line {
            self.line_stroke_latency.push(d);
            return;
        }
        self.stroke_latency.push(d);
    }

    /// Records the time from a stroke's end to the worker's result being ready.
    pub fn record_worker_latency(&mut self, d: Duration) {
        if !self.in_line {
            self.worker_latency.push(d);
        }
    }

    /// The figures, as printed.
    pub fn report(&self) -> String {
        let sorted = |d: &[Duration]| {
            let mut v: Vec<f64> = d.iter().map(|x| x.as_secs_f64() * 1e3).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let quantile = |v: &[f64], p: f64| v.get(((v.len().saturating_sub(1)) as f64 * p).round() as usize).copied().unwrap_or(0.0);
        let line = |name: &str, d: &[Duration]| {
            let v = sorted(d);
            let q = |p: f64| quantile(&v, p);
            format!(
                "{name}: n={} p50={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms",
                v.len(),
                q(0.5),
                q(0.9),
                q(0.99),
                v.last().copied().unwrap_or(0.0)
            )
        };
        [
            format!("bench-ui: replayed {} characters (あ, カ, ゃ x {ROUNDS}) and a line of six kana (ひとりひとり)", self.chars.len().saturating_sub(1)),
            line("frame cpu time idle, the peer (eframe: layout + tessellation + paint)", &self.frame_idle),
            line("frame cpu time while drawing (eframe: layout + tessellation + paint)", &self.frame_cpu),
            format!(
                "frame time ratio drawing/idle: p50 {:.2}, p99 {:.2}",
                quantile(&sorted(&self.frame_cpu), 0.5) / quantile(&sorted(&self.frame_idle), 0.5).max(1e-9),
                quantile(&sorted(&self.frame_cpu), 0.99) / quantile(&sorted(&self.frame_idle), 0.99).max(1e-9)
            ),
            line("app ui() time while drawing", &self.frame_ui),
            line("frame interval idle, the peer (wall clock, frame to frame, incl. GL rendering and present)", &self.idle_interval),
            line("frame interval while drawing (wall clock, frame to frame, incl. GL rendering and present)", &self.frame_interval),
            line("stroke end -> result ready (worker: raster + preprocess + CNN)", &self.worker_latency),
            line("stroke end -> candidates shown", &self.stroke_latency),
            line("line mode: frame cpu time while writing the line (eframe: layout + tessellation + paint)", &self.line_frame_cpu),
            line("line mode: app ui() time while writing the line", &self.line_frame_ui),
            line("line mode: frame interval while writing the line (wall clock)", &self.line_frame_interval),
            line("line mode: reading the line after a stroke (worker, one thread)", &self.line_compute),
            format!(
                "line mode: reading the whole line after its last stroke: {:.2} ms",
                self.line_compute.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
            ),
            line("line mode: stroke end -> reading shown", &self.line_stroke_latency),
            line("frame cpu time while a generator slider is dragged (eframe: layout + tessellation + paint)", &self.frame_slider),
            line("frame cpu time while training in the app (eframe: layout + tessellation + paint)", &self.frame_training),
            format!("app training throughput while measured: {:.0} images/s", self.training_images_per_sec),
        ]
        .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_presses_moves_releases_and_clears() {
        let mut b = UiBench::new();
        assert_eq!(b.chars.len(), 3 * ROUNDS + 1);
        assert!(b.chars.last().is_some_and(|l| l.len() > 8), "the line of six kana comes last");
        let rect = Rect::from_min_size(Pos2::ZERO, egui::Vec2::splat(100.0));
        for _ in 0..IDLE_FRAMES {
            assert!(b.next_events(rect, false).is_empty(), "idle frames first");
        }
        let first = b.next_events(rect, false);
        assert!(matches!(first.get(1), Some(Event::PointerButton { pressed: true, .. })));
        let (mut released, mut cleared) = (0, 0);
        for _ in 0..100_000 {
            for e in b.next_events(rect, false) {
                match e {
                    Event::PointerButton { pressed: false, .. } => released += 1,
                    Event::Key { key: Key::Escape, .. } => cleared += 1,
                    Event::PointerMoved(p) => assert!((0.0..=100.0).contains(&p.y) && (0.0..=if b.in_line { 500.0 } else { 100.0 }).contains(&p.x), "{p:?}"),
                    _ => {}
                }
            }
            if b.take_line_start() {
                assert!(b.next_events(rect, false).is_empty(), "a frame for the line canvas to be laid out");
            }
            if b.take_line_end() {
                assert_eq!(cleared, 3 * ROUNDS + 1, "the line is written and cleared");
            }
            if matches!(b.phase, Phase::Slider { .. }) {
                break;
            }
        }
        assert!(!b.take_training_start(), "the slider phase comes before training");
        let mut positions = Vec::new();
        while let Some(t) = b.slider_position() {
            positions.push(t);
            b.record_frame(Duration::from_millis(1), Some(0.001));
        }
        assert_eq!(positions.len(), SLIDER_FRAMES);
        assert!(positions.iter().all(|t| (-1.0..=1.0).contains(t)) && positions.contains(&1.0) && positions.contains(&-1.0));
        assert!(b.report().lines().any(|l| l.contains("slider is dragged") && l.contains(&format!("n={}", SLIDER_FRAMES - 1))), "{}", b.report());
        assert!(!b.finished() && b.take_training_start(), "a training phase follows the drawing");
        assert!(!b.take_training_start(), "started once");
        b.set_training(true, 100.0);
        for _ in 0..TRAINING_FRAMES {
            assert!(b.next_events(rect, false).is_empty());
            b.record_frame(Duration::from_millis(1), Some(0.002));
        }
        assert!(b.training_done());
        assert!(b.report().lines().any(|l| l.contains("while training in the app") && l.contains("n=300")), "{}", b.report());
        assert_eq!(cleared, 3 * ROUNDS + 1);
        assert!(!b.in_line);
        // あ has 3 strokes, カ 2, ゃ 2 (or as scripted): every stroke is released once.
        let strokes: usize = b.chars.iter().map(Vec::len).sum();
        assert_eq!(released, strokes);
        assert!(densify(&vec![[0.0, 0.0], [0.1, 0.0]], STEP).len() >= 9);
    }
}
