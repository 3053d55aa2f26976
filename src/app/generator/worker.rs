//! Generation off the UI thread, on the app's one [`Worker`] type, as [`crate::app::recognition::worker`]: the
//! UI posts requests into a mailbox with one slot per kind of work (the live preview, an interpolation, a
//! style sheet, the latent map, a line of text, the sliders' names); a newer request replaces one
//! of its kind that has not started, so dragging a slider never builds a queue. A worker thread decodes (and reads the preview back with the
//! recognizer) and sends each outcome through a channel, waking the UI with `request_repaint`.

use crate::app::generator::latent_map::MapKey;
use crate::app::worker::{Posted, Worker};
use crate::models::generator::lettering::write_line;
use crate::app::generator::style_names::{name_directions, Direction};
use crate::data::classes::NUM_CLASSES;
use crate::ink::raster::{rasterize, MODEL_PEN_WIDTH};
use crate::ink::{model_input, Drawing, InkImage};
use crate::models::generator::GeneratorCheckpoint;
use crate::models::{CpuRecognizer, Prediction};
use candle_core::{Device, Tensor};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A loaded generator with a name to show.
#[derive(Clone)]
pub struct LoadedGenerator {
    /// The checkpoint (network and latent statistics), on the CPU.
    pub model: Arc<GeneratorCheckpoint>,
    /// Where it came from ("bundled" or a path).
    pub name: String,
}

impl LoadedGenerator {
    /// Loads a generator checkpoint; `None` loads the one bundled in the binary (an error when
    /// this build has none). A checkpoint of another kind is refused with the reason.
    pub fn load(path: Option<&Path>) -> crate::Result<Self> {
        let device = Device::Cpu;
        let model = GeneratorCheckpoint::load_or_bundled(path, &device)?;
        let name = path.map_or_else(|| crate::models::BUNDLED_NAME.to_string(), |p| p.display().to_string());
        Ok(LoadedGenerator { model: Arc::new(model), name })
    }
}

/// Where a style comes from: the canvas's strokes, its imported picture, or a latent (the
/// sliders' style).
#[derive(Clone)]
pub enum StyleSource {
    /// Strokes, in drawing coordinates.
    Drawing(Drawing),
    /// An imported picture.
    Picture(Arc<InkImage>),
    /// A latent of the class the style is read as, used as it is.
    Latent(Vec<f32>),
}

/// Work for the generator.
#[derive(Clone)]
pub enum GenJob {
    /// One picture of `class` from latent `z`, read back by `reader` when there is one.
    Preview {
        /// Class-table index.
        class: usize,
        /// The latent.
        z: Vec<f32>,
        /// The recognizer that reads the picture.
        reader: Option<Arc<CpuRecognizer>>,
    },
    /// `frames` pictures from `from` to `to` (class, latent), decoded as one batch: the latent
    /// moves in a straight line and the class condition blends from one kana to the other.
    Interpolate {
        /// Start: class and latent.
        from: (usize, Vec<f32>),
        /// End: class and latent.
        to: (usize, Vec<f32>),
        /// Number of frames (at least 2).
        frames: usize,
    },
    /// Encodes `source` read as `class`, then decodes every kana with that latent.
    Style {
        /// What was written.
        source: StyleSource,
        /// What it is read as.
        class: usize,
    },
    /// The latent map: `class` decoded from each of `latents` (row by row), for `key`.
    Map {
        /// What the map is for (given back with the pictures).
        key: MapKey,
        /// Class-table index.
        class: usize,
        /// One latent per cell.
        latents: Vec<Vec<f32>>,
    },
    /// A line of text (`cells`: classes, `None` a gap) in one style, `per_row` letters a row.
    Text {
        /// The text as typed (given back with the picture).
        text: String,
        /// Its letters.
        cells: Vec<Option<usize>>,
        /// Its style.
        style: TextStyle,
        /// Letters per row.
        per_row: usize,
    },
    /// Names the directions `dims` (the sliders, in order) by measuring what they do.
    Directions {
        /// Latent dimensions.
        dims: Vec<usize>,
    },
}

/// The style a text is written in.
#[derive(Clone)]
pub enum TextStyle {
    /// The latent `z` as letter `class` has it (the sliders).
    Latent {
        /// The letter the latent belongs to.
        class: usize,
        /// The latent.
        z: Vec<f32>,
    },
    /// The style of a drawing read as `class`.
    Source {
        /// What was written.
        source: StyleSource,
        /// What it is read as.
        class: usize,
    },
}

impl GenJob {
    /// How many kinds of job there are.
    const KINDS: usize = 6;

    /// The worker slot of this kind of job (also the order the worker serves them in).
    fn slot(&self) -> usize {
        match self {
            GenJob::Preview { .. } => 0,
            GenJob::Interpolate { .. } => 1,
            GenJob::Style { .. } => 2,
            GenJob::Map { .. } => 3,
            GenJob::Text { .. } => 4,
            GenJob::Directions { .. } => 5,
        }
    }
}

/// What a job produced. Images are `side²` values, ink bright, 0..=1.
#[derive(Clone, Debug)]
pub enum GenResult {
    /// The preview and what the recognizer reads in it.
    Preview {
        /// Class asked for.
        class: usize,
        /// The latent it was decoded from.
        z: Vec<f32>,
        /// The picture.
        image: Vec<f32>,
        /// The recognizer's top reading, when a recognizer is loaded.
        reading: Option<Prediction>,
    },
    /// The frames of an interpolation.
    Frames(Vec<Vec<f32>>),
    /// Every kana written with one latent, in class-table order.
    Sheet {
        /// The class the source was read as.
        class: usize,
        /// The latent of the source.
        z: Vec<f32>,
        /// One picture per class.
        images: Vec<Vec<f32>>,
    },
    /// The latent map's cells, row by row.
    Map {
        /// What the map is for.
        key: MapKey,
        /// One picture per cell.
        images: Vec<Vec<f32>>,
    },
    /// A written line of text (composed, ink bright).
    Line {
        /// The text as typed.
        text: String,
        /// The picture.
        picture: InkImage,
    },
    /// The sliders' names, in order.
    Directions(Vec<Direction>),
}

/// The answer to one request.
pub struct GenOutcome {
    /// The request this answers.
    pub id: u64,
    /// The result, or why it failed.
    pub result: Result<GenResult, String>,
    /// Decoding time.
    pub compute: Duration,
}

/// The UI's handle on the generation worker: one [`Worker`] slot per kind of job, so a new
/// preview replaces a waiting preview but not a waiting sheet.
pub struct Generation {
    worker: Worker<GenJob, Option<LoadedGenerator>, GenOutcome>,
}

impl Generation {
    /// Starts the worker thread; `wake` is called after each outcome.
    pub fn start(model: Option<LoadedGenerator>, wake: impl Fn() + Send + 'static) -> Self {
        let worker = Worker::with_kinds("fude-generation", GenJob::KINDS, GenJob::slot, model, answer, wake);
        Generation { worker }
    }

    /// Posts a job, replacing one of its kind that has not started. Returns its id.
    pub fn post(&mut self, job: GenJob) -> u64 {
        self.worker.post(job)
    }

    /// Whether a request is waiting or running.
    pub fn is_busy(&self) -> bool {
        self.worker.is_busy()
    }

    /// Replaces the generator (used from the next request on).
    pub fn set_model(&mut self, model: LoadedGenerator) {
        self.worker.update_config(|m| *m = Some(model));
    }

    /// The outcomes the UI still wants that arrived since the last call (at most one per kind).
    pub fn poll(&mut self) -> Vec<GenOutcome> {
        self.worker.poll_each()
    }
}

/// Does one job on the worker thread with the generator of its time.
fn answer(req: Posted<GenJob>, model: Option<LoadedGenerator>) -> GenOutcome {
    let t0 = Instant::now();
    let result = match &model {
        Some(m) => run(&m.model, req.job).map_err(|e| e.to_string()),
        None => Err("no generator loaded: open one with File → Open generator…".to_string()),
    };
    GenOutcome { id: req.id, result, compute: t0.elapsed() }
}

/// Runs one job on the calling thread.
pub fn run(g: &GeneratorCheckpoint, job: GenJob) -> crate::Result<GenResult> {
    match job {
        GenJob::Preview { class, z, reader } => {
            let image = g.decode(&[(class, &z)])?.into_iter().next().unwrap_or_default();
            let reading = match reader {
                Some(r) => {
                    let picture = InkImage { width: g.side(), height: g.side(), data: image.clone() };
                    r.top_k(&model_input(&picture), 1)?.first().copied()
                }
                None => None,
            };
            Ok(GenResult::Preview { class, z, image, reading })
        }
        GenJob::Interpolate { from, to, frames } => {
            let n = frames.max(2);
            let steps: Vec<(usize, usize, f32, Vec<f32>)> = (0..n)
                .map(|i| {
                    let t = i as f32 / (n - 1) as f32;
                    let z = from.1.iter().zip(&to.1).map(|(a, b)| a + t * (b - a)).collect();
                    (from.0, to.0, t, z)
                })
                .collect();
            Ok(GenResult::Frames(decode_blended(g, &steps)?))
        }
        GenJob::Style { source, class } => {
            let z = encode_source(g, source, class)?;
            // Each letter gets the drawing's offset from its own class centre.
            let moved: Vec<Vec<f32>> = (0..NUM_CLASSES).map(|c| g.stats().transfer(&z, class, c)).collect();
            let jobs: Vec<(usize, &[f32])> = moved.iter().enumerate().map(|(c, z)| (c, z.as_slice())).collect();
            let images = g.decode(&jobs)?;
            Ok(GenResult::Sheet { class, z, images })
        }
        GenJob::Map { key, class, latents } => {
            let jobs: Vec<(usize, &[f32])> = latents.iter().map(|z| (class, z.as_slice())).collect();
            Ok(GenResult::Map { key, images: g.decode(&jobs)? })
        }
        GenJob::Text { text, cells, style, per_row } => {
            let (class, z) = match style {
                TextStyle::Latent { class, z } => (class, z),
                TextStyle::Source { source, class } => (class, encode_source(g, source, class)?),
            };
            Ok(GenResult::Line { text, picture: write_line(g, &z, class, &cells, per_row)? })
        }
        GenJob::Directions { dims } => Ok(GenResult::Directions(name_directions(g, &dims)?)),
    }
}

/// The latent of what was written in `source`, read as `class`.
fn encode_source(g: &GeneratorCheckpoint, source: StyleSource, class: usize) -> crate::Result<Vec<f32>> {
    let image = match source {
        StyleSource::Drawing(d) => rasterize(&d, g.side().max(1) as u32, MODEL_PEN_WIDTH),
        StyleSource::Picture(p) => (*p).clone(),
        StyleSource::Latent(z) => return Ok(z),
    };
    Ok(g.encode(&[&image], &[class])?.into_iter().next().unwrap_or_default())
}

/// Decodes latents whose class condition is a blend of two classes: `(a, b, t, z)` conditions
/// on (1 − t)·one-hot(a) + t·one-hot(b).
pub fn decode_blended(g: &GeneratorCheckpoint, steps: &[(usize, usize, f32, Vec<f32>)]) -> crate::Result<Vec<Vec<f32>>> {
    let latent = g.latent();
    let mut condition = vec![0f32; steps.len() * NUM_CLASSES];
    let mut zs = Vec::with_capacity(steps.len() * latent);
    for (row, (a, b, t, z)) in steps.iter().enumerate() {
        if *a >= NUM_CLASSES || *b >= NUM_CLASSES || z.len() != latent {
            return Err(crate::Error::Invalid(format!("a blend needs classes below {NUM_CLASSES} and {latent} latent values")));
        }
        for (class, w) in [(*a, 1.0 - t), (*b, *t)] {
            if let Some(v) = condition.get_mut(row * NUM_CLASSES + class) {
                *v += w;
            }
        }
        zs.extend_from_slice(z);
    }
    let device = g.model.device();
    let condition = Tensor::from_vec(condition, (steps.len(), NUM_CLASSES), device)?;
    let zs = Tensor::from_vec(zs, (steps.len(), latent), device)?;
    Ok(g.model.decode(&zs, &condition)?.to_device(&Device::Cpu)?.to_vec2::<f32>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::generator::{Generator, GeneratorArchitecture, GeneratorSidecar, LatentStats};

    fn tiny() -> LoadedGenerator {
        let arch = GeneratorArchitecture { side: 16, latent: 4, encoder_channels: vec![4, 8], decoder_channels: vec![8, 4], hidden: 16, ..Default::default() };
        let model = Generator::new_seeded(arch.clone(), &Device::Cpu, 11).unwrap();
        let sidecar = GeneratorSidecar::new(arch, LatentStats::standard(4), Default::default());
        LoadedGenerator { model: Arc::new(GeneratorCheckpoint::new(model, sidecar)), name: "tiny".into() }
    }

    /// Equal up to the rounding of batched products.
    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
    }

    fn wait(g: &mut Generation, n: usize) -> Vec<GenOutcome> {
        let t = Instant::now();
        let mut got = Vec::new();
        while got.len() < n {
            got.extend(g.poll());
            assert!(t.elapsed() < Duration::from_secs(20), "no result");
            std::thread::sleep(Duration::from_millis(2));
        }
        got
    }

    #[test]
    fn newest_request_of_each_kind_wins() {
        let mut g = Generation::start(None, || {});
        let z = vec![0.0; 4];
        // Without a model every job fails, with the reason.
        g.post(GenJob::Preview { class: 1, z: z.clone(), reader: None });
        let last = g.post(GenJob::Preview { class: 2, z: z.clone(), reader: None });
        let got = wait(&mut g, 1);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, last, "only the newest preview is delivered");
        assert!(got[0].result.as_ref().err().is_some_and(|e| e.contains("no generator")));

        g.set_model(tiny());
        let frames = g.post(GenJob::Interpolate { from: (1, z.clone()), to: (5, vec![1.0; 4]), frames: 6 });
        let preview = g.post(GenJob::Preview { class: 3, z: z.clone(), reader: None });
        let mut got = wait(&mut g, 2);
        got.sort_by_key(|o| o.id);
        assert_eq!((got[0].id, got[1].id), (frames, preview), "a preview does not replace an interpolation");
        match &got[0].result {
            Ok(GenResult::Frames(f)) => assert!(f.len() == 6 && f.iter().all(|i| i.len() == 256)),
            _ => panic!("frames expected"),
        }
        match &got[1].result {
            Ok(GenResult::Preview { class, image, reading, .. }) => assert!(*class == 3 && image.len() == 256 && reading.is_none()),
            _ => panic!("a preview expected"),
        }
        assert!(!g.is_busy());
    }

    #[test]
    fn maps_lines_and_names() {
        use crate::app::generator::latent_map::{map_latents, Axis};
        let m = tiny();
        let g = &m.model;
        let z = vec![0.5f32, -0.5, 1.0, 0.0];
        let axes = (Axis { dim: 0, centre: 0.0, spread: 1.0 }, Axis { dim: 2, centre: 0.0, spread: 1.0 });
        let key = MapKey::new(3, &z, axes);
        let latents = map_latents(&z, axes.0, axes.1);
        match run(g, GenJob::Map { key: key.clone(), class: 3, latents: latents.clone() }).unwrap() {
            GenResult::Map { key: k, images } => {
                assert_eq!((k, images.len()), (key, 49));
                assert!(close(&images[10], &g.decode(&[(3, &latents[10])]).unwrap()[0]), "each cell is its latent");
            }
            _ => panic!("a map expected"),
        }
        let cells = crate::models::generator::lettering::text_cells("あい う").unwrap();
        let style = TextStyle::Latent { class: 3, z: z.clone() };
        match run(g, GenJob::Text { text: "あい う".into(), cells, style, per_row: 10 }).unwrap() {
            GenResult::Line { text, picture } => assert_eq!((text.as_str(), picture.width, picture.height), ("あい う", 4 * 16 + 4, 16 + 4)),
            _ => panic!("a line expected"),
        }
        match run(g, GenJob::Directions { dims: vec![2, 0] }).unwrap() {
            GenResult::Directions(d) => {
                assert_eq!(d.iter().map(|d| d.dim).collect::<Vec<_>>(), vec![2, 0]);
                assert!(d.iter().all(|d| !d.name.is_empty() && d.effect.starts_with("Measured")), "{d:?}");
                assert_ne!(d[0].name, d[1].name, "names are told apart");
            }
            _ => panic!("names expected"),
        }
    }

    #[test]
    fn blends_and_sheets() {
        let m = tiny();
        let g = &m.model;
        let z = vec![0.5f32, -0.5, 1.0, 0.0];
        let ends = decode_blended(g, &[(4, 9, 0.0, z.clone()), (4, 9, 1.0, z.clone())]).unwrap();
        assert!(close(&ends[0], &g.decode(&[(4, &z)]).unwrap()[0]), "t = 0 is the first class");
        assert!(close(&ends[1], &g.decode(&[(9, &z)]).unwrap()[0]), "t = 1 is the second class");
        assert!(!close(&ends[0], &ends[1]), "the classes differ");
        assert!(decode_blended(g, &[(4, 180, 0.5, z.clone())]).is_err());
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes.push(vec![[20.0, 50.0], [80.0, 50.0]]);
        match run(g, GenJob::Style { source: StyleSource::Drawing(d), class: 7 }).unwrap() {
            GenResult::Sheet { class, z, images } => {
                assert_eq!((class, z.len(), images.len()), (7, 4, NUM_CLASSES));
                let moved = g.stats().transfer(&z, 7, 12);
                assert!(close(&images[12], &g.decode(&[(12, &moved)]).unwrap()[0]), "each cell is its class with the style's latent");
            }
            _ => panic!("a sheet expected"),
        }
    }
}
