//! "My handwriting": drawings the user kept for training in the app, one drawing JSON file per
//! character at `<data dir>/handwriting/<codepoint>/<time>.json` (e.g. `3042/1795000000123.json`
//! for あ). The app's data directory is `FUDE_DATA_DIR` when set, else the platform's app data
//! folder (e.g. `~/.local/share/fude`). [`MineSource`] serves them as a data source (`mine` or
//! `mine=DIR` in `--data`): every fifth drawing of each character is held out for evaluation.

use super::augment::{warp_affine, Augment};
use super::classes::{self, NUM_CLASSES};
use super::sources::{Source, Split};
use crate::error::{Error, Result};
use crate::ink::raster::{rasterize, MODEL_PEN_WIDTH};
use crate::ink::{Drawing, InkImage};
use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

/// Of each character's drawings (in file-name order), every `HOLDOUT_EVERY`-th is held out.
pub const HOLDOUT_EVERY: usize = 5;

/// The app's data directory: `FUDE_DATA_DIR`, else the platform's data folder for fude.
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FUDE_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    eframe::storage_dir("fude").unwrap_or_else(|| PathBuf::from("fude-data"))
}

/// Where kept handwriting lives by default.
pub fn handwriting_dir() -> PathBuf {
    handwriting_in(&data_dir())
}

/// Where training runs live by default.
pub fn runs_dir() -> PathBuf {
    runs_in(&data_dir())
}

/// Where kept handwriting lives in the data folder `data`.
pub fn handwriting_in(data: &Path) -> PathBuf {
    data.join("handwriting")
}

/// Where training runs live in the data folder `data`.
pub fn runs_in(data: &Path) -> PathBuf {
    data.join("runs")
}

/// Saves `drawing` as an example of `ch` under `dir` (atomically); returns the file written.
pub fn keep(dir: &Path, ch: char, drawing: &Drawing) -> Result<PathBuf> {
    if classes::index_of(ch).is_none() {
        return Err(Error::Invalid(format!("{ch:?} is not one of the kana fude reads")));
    }
    if drawing.is_empty() {
        return Err(Error::Invalid("the drawing has no strokes".into()));
    }
    let class_dir = class_dir(dir, ch);
    std::fs::create_dir_all(&class_dir).map_err(|e| Error::file(&class_dir, format!("cannot create: {e}")))?;
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let mut path = class_dir.join(format!("{millis}.json"));
    let mut n = 1;
    while path.exists() {
        path = class_dir.join(format!("{millis}-{n}.json"));
        n += 1;
    }
    drawing.save(&path)?;
    Ok(path)
}

/// What [`keep_new`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    /// The drawing was saved to this file.
    Saved(PathBuf),
    /// This exact drawing was already kept as the same character, in this file: not kept twice.
    AlreadyKept(PathBuf),
}

/// The folder of `ch`'s drawings under `dir`.
fn class_dir(dir: &Path, ch: char) -> PathBuf {
    dir.join(format!("{:04X}", u32::from(ch)))
}

/// Like [`keep`], but a drawing identical to one already kept as `ch` is not kept again.
///
/// Keeps in one process run one at a time: a second keep of the same drawing, started while the
/// first is still writing (its file is a temporary one until the rename), waits for it and finds
/// it, instead of saving the drawing twice.
pub fn keep_new(dir: &Path, ch: char, drawing: &Drawing) -> Result<Kept> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let same = std::fs::read_dir(class_dir(dir, ch)).ok().and_then(|entries| {
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .find(|p| Drawing::load(p).is_ok_and(|d| &d == drawing))
    });
    match same {
        Some(path) => Ok(Kept::AlreadyKept(path)),
        None => keep(dir, ch, drawing).map(Kept::Saved),
    }
}

/// Deletes the kept drawing `path`.
pub fn forget(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|e| Error::file(path, format!("cannot delete: {e}")))
}

/// Moves the kept drawing `path` to `ch`'s folder under `dir` (one rename); returns its new path.
pub fn relabel(dir: &Path, path: &Path, ch: char) -> Result<PathBuf> {
    if classes::index_of(ch).is_none() {
        return Err(Error::Invalid(format!("{ch:?} is not one of the kana fude reads")));
    }
    let to_dir = class_dir(dir, ch);
    std::fs::create_dir_all(&to_dir).map_err(|e| Error::file(&to_dir, format!("cannot create: {e}")))?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "kept".into());
    let mut to = to_dir.join(format!("{stem}.json"));
    let mut n = 1;
    while to.exists() {
        to = to_dir.join(format!("{stem}-{n}.json"));
        n += 1;
    }
    std::fs::rename(path, &to).map_err(|e| Error::file(path, format!("cannot move: {e}")))?;
    Ok(to)
}

/// The kept drawing files under `dir`, by class index, each class's files in name order.
/// Folders that are not a known kana's codepoint are skipped.
pub fn files(dir: &Path) -> Vec<(usize, Vec<PathBuf>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<(usize, Vec<PathBuf>)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let class = u32::from_str_radix(&name, 16).ok().and_then(char::from_u32).and_then(classes::index_of)?;
            let mut files: Vec<PathBuf> = std::fs::read_dir(e.path())
                .ok()?
                .filter_map(|f| f.ok().map(|f| f.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            (!files.is_empty()).then_some((class, files))
        })
        .collect();
    out.sort_by_key(|(c, _)| *c);
    out
}

/// How many drawings were kept per character, in class order.
pub fn counts(dir: &Path) -> Vec<(char, usize)> {
    files(dir)
        .into_iter()
        .filter_map(|(c, f)| classes::get(c).map(|k| (k.ch, f.len())))
        .collect()
}

/// The user's kept drawings of one split, as a data source.
pub struct MineSource {
    name: String,
    drawings: Vec<(Drawing, usize)>,
    by_class: Vec<Vec<usize>>,
    present: Vec<usize>,
}

impl MineSource {
    /// Reads the drawings under `dir` for `split` (the training split must not be empty; a
    /// file that cannot be read is an error naming it).
    pub fn open(dir: &Path, split: Split) -> Result<Self> {
        let mut drawings = Vec::new();
        for (class, paths) in files(dir) {
            for (i, path) in paths.iter().enumerate() {
                let held_out = i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1;
                if held_out == (split == Split::Test) {
                    drawings.push((Drawing::load(path)?, class));
                }
            }
        }
        if drawings.is_empty() && split == Split::Train {
            return Err(Error::file(dir, "no kept handwriting here (keep drawings with Keep for training in the app)"));
        }
        let mut by_class = vec![Vec::new(); NUM_CLASSES];
        for (i, (_, c)) in drawings.iter().enumerate() {
            if let Some(v) = by_class.get_mut(*c) {
                v.push(i);
            }
        }
        let present = (0..NUM_CLASSES).filter(|&c| by_class.get(c).is_some_and(|v| !v.is_empty())).collect();
        let name = format!("mine:{}", if split == Split::Train { "train" } else { "test" });
        Ok(MineSource { name, drawings, by_class, present })
    }

    /// Number of drawings in this split.
    pub fn len(&self) -> usize {
        self.drawings.len()
    }

    /// Whether this split has no drawings.
    pub fn is_empty(&self) -> bool {
        self.drawings.is_empty()
    }

    fn render(&self, i: usize, side: u32, aug: Augment, rng: &mut ChaCha8Rng) -> (InkImage, usize) {
        let Some((d, label)) = self.drawings.get(i) else { return (InkImage::new(side as usize, side as usize), 0) };
        let pen = MODEL_PEN_WIDTH * (1.0 + aug.strength * rng.random_range(-0.3f32..0.4));
        let mut img = rasterize(d, side, pen);
        if aug.strength > 0.0 {
            img = warp_affine(&img, aug.image_geometry(rng, side as f32));
            aug.raster_effects(rng, &mut img);
        }
        (img, *label)
    }
}

impl Source for MineSource {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn sample_ink(&self, rng: &mut ChaCha8Rng, side: u32, aug: Augment) -> (InkImage, usize) {
        let class = self.present.choose(rng).copied().unwrap_or(0);
        let i = self.by_class.get(class).and_then(|v| v.choose(rng)).copied().unwrap_or(0);
        self.render(i, side, aug, rng)
    }

    fn eval_ink(&self, side: u32, _aug: Augment) -> Vec<(InkImage, usize)> {
        // The user's own strokes as drawn: no augmentation.
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
        (0..self.drawings.len()).map(|i| self.render(i, side, Augment::NONE, &mut rng)).collect()
    }

    fn classes(&self) -> Vec<bool> {
        self.by_class.iter().map(|v| !v.is_empty()).collect()
    }

    fn class_counts(&self) -> Option<Vec<usize>> {
        Some(self.by_class.iter().map(Vec::len).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stroke() -> Drawing {
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes.push(vec![[10.0, 50.0], [90.0, 50.0]]);
        d
    }

    #[test]
    fn kept_drawings_are_filed_by_codepoint_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let a = keep(dir.path(), 'あ', &stroke()).unwrap();
        let b = keep(dir.path(), 'あ', &stroke()).unwrap();
        keep(dir.path(), 'カ', &stroke()).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(dir.path().join("3042")), "{}", a.display());
        assert_eq!(Drawing::load(&a).unwrap(), stroke());
        assert_eq!(counts(dir.path()), vec![('あ', 2), ('カ', 1)]);
        std::fs::create_dir_all(dir.path().join("not-a-kana")).unwrap();
        assert_eq!(counts(dir.path()).len(), 2);
        assert!(keep(dir.path(), 'x', &stroke()).unwrap_err().to_string().contains("not one of the kana"));
        assert!(keep(dir.path(), 'い', &Drawing::new(10.0, 10.0)).is_err());
        assert!(counts(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn training_ux_duplicates_are_refused_and_kept_drawings_move_or_go() {
        let dir = tempfile::tempdir().unwrap();
        let Kept::Saved(first) = keep_new(dir.path(), 'あ', &stroke()).unwrap() else { panic!("kept") };
        assert_eq!(keep_new(dir.path(), 'あ', &stroke()).unwrap(), Kept::AlreadyKept(first.clone()));
        assert!(matches!(keep_new(dir.path(), 'い', &stroke()).unwrap(), Kept::Saved(_)), "another character is another example");
        let moved = relabel(dir.path(), &first, 'お').unwrap();
        assert!(moved.starts_with(dir.path().join("304A")) && !first.exists());
        assert_eq!(counts(dir.path()), vec![('い', 1), ('お', 1)]);
        forget(&moved).unwrap();
        assert_eq!(counts(dir.path()), vec![('い', 1)]);
        assert!(relabel(dir.path(), &moved, 'x').is_err());
    }

    #[test]
    fn training_ux_two_keeps_at_once_save_one_file() {
        // Pressed twice in quick succession, the second keep starts while the first may still be
        // writing its temporary file: one of them saves, the other finds it.
        let dir = tempfile::tempdir().unwrap();
        let keeps: Vec<_> = (0..4).map(|_| dir.path().to_path_buf()).map(|d| std::thread::spawn(move || keep_new(&d, 'あ', &stroke()).unwrap())).collect();
        let kept: Vec<Kept> = keeps.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(kept.iter().filter(|k| matches!(k, Kept::Saved(_))).count(), 1, "{kept:?}");
        assert_eq!(counts(dir.path()), vec![('あ', 1)]);
    }

    #[test]
    fn every_fifth_drawing_is_held_out_and_samples_carry_their_label() {
        let dir = tempfile::tempdir().unwrap();
        let e = MineSource::open(dir.path(), Split::Train).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("no kept handwriting"), "{e}");
        for _ in 0..6 {
            keep(dir.path(), 'て', &stroke()).unwrap();
        }
        let train = MineSource::open(dir.path(), Split::Train).unwrap();
        let test = MineSource::open(dir.path(), Split::Test).unwrap();
        assert_eq!((train.len(), test.len()), (5, 1));
        let te = classes::index_of('て').unwrap();
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let s = train.sample(&mut rng);
        assert_eq!(s.label, te);
        assert!(s.input.iter().any(|&v| v > 0.5), "the stroke is drawn");
        let eval = test.eval_samples();
        assert_eq!(eval.len(), 1);
        assert_eq!(eval[0].label, te);
        assert!(train.classes()[te] && train.classes().iter().filter(|&&c| c).count() == 1);
        std::fs::write(dir.path().join("3066").join("0.json"), "{").unwrap();
        let e = MineSource::open(dir.path(), Split::Train).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("0.json"), "{e}");
    }
}

/// The "my handwriting" promise: drawings of one unusual style (kana squashed flat and
/// strongly sheared) are read poorly by the bundled model; a short fine-tune from it with `mine`
/// at a high weight (plus generated kana at a low one) reads that style's held-out drawings
/// better.
#[cfg(test)]
mod style_tests {
    use super::*;
    use crate::data::fonts;
    use crate::data::skeleton::glyph_strokes;
    use crate::data::spec::{DataSpec, SourceKind};
    use crate::models::Checkpoint;
    use crate::training::{evaluate, Init, RunControl, RunPlan, TrainConfig};
    use candle_core::Device;
    use rand::SeedableRng;

    /// One drawing of `strokes` (box units) in the style: squashed to 45% of the height, sheared
    /// by 0.8, with a little variation of its own.
    fn styled(strokes: &[crate::ink::Stroke], rng: &mut ChaCha8Rng) -> Drawing {
        let side = 256.0;
        let mut d = Drawing::new(side, side);
        let (dx, dy, s) = (rng.random_range(-0.03f32..0.03), rng.random_range(-0.03f32..0.03), rng.random_range(0.95f32..1.05));
        for stroke in strokes {
            let pts = stroke
                .iter()
                .map(|&[x, y]| {
                    let (x, y) = (x - 0.5, (y - 0.5) * 0.45);
                    let x = (x + 0.8 * y) * 0.85 * s + 0.5 + dx + rng.random_range(-0.006f32..0.006);
                    let y = y * s + 0.5 + dy + rng.random_range(-0.006f32..0.006);
                    [x * side, y * side]
                })
                .collect();
            d.strokes.push(pts);
        }
        d
    }

    #[test]
    fn fine_tuning_on_my_handwriting_reads_my_style_better() {
        let dir = tempfile::tempdir().unwrap();
        let hand = dir.path().join("handwriting");
        let all = fonts::load_all();
        let font = all.first().expect("a bundled font");
        let kana = "あいうえおかきくけこつやゆよわ";
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for ch in kana.chars() {
            let class = classes::index_of(ch).unwrap();
            let strokes = glyph_strokes(font.glyph(class).expect("the font has the kana"));
            for _ in 0..10 {
                keep(&hand, ch, &styled(&strokes, &mut rng)).unwrap();
            }
        }
        let held_out = MineSource::open(&hand, Split::Test).unwrap().eval_samples();
        assert_eq!(held_out.len(), 2 * kana.chars().count());
        let accuracy = |path: Option<&Path>| {
            let ck = Checkpoint::load_or_bundled(path, &Device::Cpu).unwrap();
            evaluate(&ck.model, "mine:test", &held_out, None, &[], |_| {}).unwrap().accuracy
        };
        let before = accuracy(None);
        let data = vec![
            DataSpec { kind: SourceKind::Mine(Some(hand.clone())), weight: 8.0 },
            DataSpec { kind: SourceKind::Fonts, weight: 1.0 },
        ];
        let cfg = TrainConfig { epochs: 2, epoch_size: 2048, batch: 64, lr: 5e-4, seed: 1, ..TrainConfig::default() };
        let plan = RunPlan::in_folder(data, cfg, Init::FineTune(None), &dir.path().join("run"));
        let out = plan.run(&RunControl::default(), |_| {}).unwrap();
        let after = accuracy(out.last.as_deref());
        println!("my style's held-out drawings: bundled {:.1}% -> fine-tuned {:.1}%", 100.0 * before, 100.0 * after);
        assert!(before < 0.8, "the style is unusual for the bundled model: {before}");
        assert!(after >= before + 0.2 && after >= 0.8, "{before} -> {after}");
    }
}
