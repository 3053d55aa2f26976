//! The `--data` spec: `SPEC[,SPEC...]` where a SPEC is `k49=DIR`, `npz=IMGS,LABELS,CLASSMAP`,
//! `fonts`, `fonts=FONT+FONT...`, `drawings`, `drawings=shrunkF` (held-out full-size kana shrunk to F of their size), `pens` (drawings with real writers' habits), `mine[=DIR]` (the user's kept handwriting) or `scans[=box]` (thin-pen scans of form cells), each optionally followed by `@WEIGHT` (default 1), e.g.
//! `fonts@2,drawings,npz=imgs.npz,labels.npz,map.csv@0.5`.
//!
//! `fonts` trains on every bundled training font; `fonts=KleeOne-Regular.ttf+/home/me/my.otf`
//! on the chosen ones only: a bundled training font by its file name, anything else a path to a
//! font file (so a path cannot contain `+` or `,`). Held-out evaluation always uses the bundled
//! validation fonts.

use super::augment::Augment;
use super::fonts::{self, FontPick};
use super::k49;
use super::labeled::LabeledImages;
use super::sources::{DrawingSource, FontSource, ImageSetSource, Mixture, Source, Split};
use crate::error::{Error, Result};
use std::path::PathBuf;

/// What kind of source a spec names.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// Kuzushiji-49 in its official layout.
    K49(PathBuf),
    /// Any npz images/labels pair with a class-map CSV.
    Npz {
        /// Images (N, H, W) uint8.
        images: PathBuf,
        /// Labels (N,) uint8.
        labels: PathBuf,
        /// Class-map CSV.
        classmap: PathBuf,
    },
    /// Kana generated from the bundled fonts.
    Fonts,
    /// Kana generated from chosen fonts: bundled training fonts and font files.
    ChosenFonts(Vec<FontPick>),
    /// Synthetic pen drawings.
    Drawings,
    /// The held-out drawings of the full-size kana shrunk about their centres to `factor` of
    /// their size (`drawings=shrunk0.6`): they must still read as full-size.
    ShrunkDrawings {
        /// The size, as a fraction (0.2–1).
        factor: f32,
    },
    /// Synthetic drawings with real writers' habits, thin pens, specks and JPEG; see
    /// [`super::pens`].
    Pens,
    /// The user's kept handwriting (`mine`: the app's folder; `mine=DIR`: another).
    Mine(Option<PathBuf>),
    /// Thin-pen scans of form cells, read as pictures (`scans`) or as writing boxes
    /// (`scans=box`); see [`super::scans`].
    Scans {
        /// Read each scan as a writing box instead of cropping it.
        as_box: bool,
    },
}

/// One source with its mixing weight.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSpec {
    /// The source.
    pub kind: SourceKind,
    /// Relative weight in the mixture.
    pub weight: f64,
}

impl std::fmt::Display for DataSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            SourceKind::K49(d) => write!(f, "k49={}", d.display())?,
            SourceKind::Npz { images, labels, classmap } => {
                write!(f, "npz={},{},{}", images.display(), labels.display(), classmap.display())?
            }
            SourceKind::Fonts => write!(f, "fonts")?,
            SourceKind::ChosenFonts(picks) => {
                let list: Vec<String> = picks.iter().map(ToString::to_string).collect();
                write!(f, "fonts={}", list.join("+"))?
            }
            SourceKind::Drawings => write!(f, "drawings")?,
            SourceKind::ShrunkDrawings { factor } => write!(f, "drawings=shrunk{factor}")?,
            SourceKind::Pens => write!(f, "pens")?,
            SourceKind::Mine(None) => write!(f, "mine")?,
            SourceKind::Mine(Some(d)) => write!(f, "mine={}", d.display())?,
            SourceKind::Scans { as_box: false } => write!(f, "scans")?,
            SourceKind::Scans { as_box: true } => write!(f, "scans=box")?,
        }
        if (self.weight - 1.0).abs() > f64::EPSILON {
            write!(f, "@{}", self.weight)?;
        }
        Ok(())
    }
}

impl SourceKind {
    /// The source's name in `--data` specs (`fonts` for chosen fonts too).
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::K49(_) => "k49",
            SourceKind::Npz { .. } => "npz",
            SourceKind::Fonts | SourceKind::ChosenFonts(_) => "fonts",
            SourceKind::Drawings | SourceKind::ShrunkDrawings { .. } => "drawings",
            SourceKind::Pens => "pens",
            SourceKind::Mine(_) => "mine",
            SourceKind::Scans { .. } => "scans",
        }
    }

    /// This kind of source with `arg` as its argument, as a form takes it: a folder for
    /// Kuzushiji-49, `IMAGES,LABELS,CLASSMAP` for npz, a `+`-separated list of fonts for
    /// generated kana (empty: the bundled fonts). Other kinds take none and stay as they are.
    pub fn with_argument(&self, arg: &str) -> Result<SourceKind> {
        let arg = arg.trim();
        let text = format!("{}={arg}", self.name());
        Ok(match self {
            SourceKind::Fonts | SourceKind::ChosenFonts(_) if arg.is_empty() => SourceKind::Fonts,
            SourceKind::Fonts | SourceKind::ChosenFonts(_) => SourceKind::ChosenFonts(parse_fonts(&text, arg)?),
            SourceKind::K49(_) if arg.is_empty() => return Err(Error::Invalid(format!("data spec {text:?}: use k49=DIR"))),
            SourceKind::K49(_) => SourceKind::K49(PathBuf::from(arg)),
            SourceKind::Npz { .. } => match arg.split(',').map(str::trim).collect::<Vec<_>>().as_slice() {
                [i, l, c] if [i, l, c].iter().all(|p| !p.is_empty()) => SourceKind::Npz { images: i.into(), labels: l.into(), classmap: c.into() },
                _ => return Err(Error::Invalid(format!("data spec {text:?}: use npz=IMAGES.npz,LABELS.npz,CLASSMAP.csv"))),
            },
            other => other.clone(),
        })
    }
}

/// Settings for opening sources.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenOptions {
    /// Check Kuzushiji-49 files against the official sizes and md5 sums.
    pub verify_md5: bool,
    /// Images per class held out of npz sources for evaluation (the first ones in file order).
    pub holdout_per_class: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { verify_md5: true, holdout_per_class: 200 }
    }
}

fn starts_spec(token: &str) -> bool {
    let head = token.split(['=', '@']).next().unwrap_or("");
    matches!(head, "k49" | "npz" | "fonts" | "drawings" | "pens" | "mine" | "scans")
}

/// Parses one or more `--data` values.
pub fn parse(values: &[String]) -> Result<Vec<DataSpec>> {
    // Group comma-separated tokens: a token naming a source starts a new spec; others are further
    // arguments of the previous one (npz takes three paths).
    let mut groups: Vec<String> = Vec::new();
    for token in values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|t| !t.is_empty()) {
        match groups.last_mut() {
            Some(g) if !starts_spec(token) => {
                g.push(',');
                g.push_str(token);
            }
            _ if starts_spec(token) => groups.push(token.to_string()),
            _ => return Err(Error::Invalid(format!("data spec {token:?}: expected k49=DIR, npz=IMGS,LABELS,CLASSMAP, fonts, drawings, pens, mine[=DIR] or scans[=box]"))),
        }
    }
    if groups.is_empty() {
        return Err(Error::Invalid("no data given: e.g. --data fonts,drawings".into()));
    }
    if groups.len() > MAX_SPECS {
        return Err(Error::Invalid(format!("{} data sources given: the limit is {MAX_SPECS}", groups.len())));
    }
    let mut specs: Vec<DataSpec> = Vec::new();
    for g in &groups {
        let spec = parse_one(g)?;
        // The same source named twice is opened once, with the weights added.
        match specs.iter_mut().find(|s| s.kind == spec.kind) {
            Some(same) => same.weight += spec.weight,
            None => specs.push(spec),
        }
    }
    Ok(specs)
}

/// Most sources one `--data` list may name.
pub const MAX_SPECS: usize = 64;

/// Largest weight of one source (weights are relative; this keeps their sum finite).
pub const MAX_WEIGHT: f64 = 1e6;

/// Most fonts one `fonts=...` spec may name.
pub const MAX_CHOSEN_FONTS: usize = 64;

fn parse_one(text: &str) -> Result<DataSpec> {
    let (body, weight) = match text.rsplit_once('@') {
        Some((b, w)) => {
            let w: f64 = w.parse().map_err(|_| Error::Invalid(format!("data spec {text:?}: weight {w:?} is not a number")))?;
            if !(w.is_finite() && w > 0.0) {
                return Err(Error::Invalid(format!("data spec {text:?}: weight must be positive")));
            }
            if w > MAX_WEIGHT {
                return Err(Error::Invalid(format!("data spec {text:?}: weight {w:e} is too large (weights are relative; the limit is {MAX_WEIGHT})")));
            }
            (b, w)
        }
        None => (text, 1.0),
    };
    let (name, args) = body.split_once('=').unwrap_or((body, ""));
    let args: Vec<&str> = if args.is_empty() { Vec::new() } else { args.split(',').collect() };
    let kind = match (name, args.as_slice()) {
        ("fonts", []) => SourceKind::Fonts,
        ("fonts", [list]) => SourceKind::ChosenFonts(parse_fonts(text, list)?),
        ("drawings", []) => SourceKind::Drawings,
        ("drawings", [arg]) => SourceKind::ShrunkDrawings { factor: parse_shrink(text, arg)? },
        ("pens", []) => SourceKind::Pens,
        ("mine", []) => SourceKind::Mine(None),
        ("scans", []) => SourceKind::Scans { as_box: false },
        ("scans", ["box"]) => SourceKind::Scans { as_box: true },
        ("mine", [dir]) => SourceKind::Mine(Some(PathBuf::from(dir))),
        ("k49", [dir]) => SourceKind::K49(PathBuf::from(dir)),
        ("npz", [i, l, c]) => SourceKind::Npz { images: i.into(), labels: l.into(), classmap: c.into() },
        ("k49", _) => return Err(Error::Invalid(format!("data spec {text:?}: use k49=DIR"))),
        ("npz", _) => return Err(Error::Invalid(format!("data spec {text:?}: use npz=IMAGES.npz,LABELS.npz,CLASSMAP.csv"))),
        _ => return Err(Error::Invalid(format!("data spec {text:?}: {name} takes no arguments"))),
    };
    Ok(DataSpec { kind, weight })
}

/// The factor of `drawings=shrunkF`.
fn parse_shrink(text: &str, arg: &str) -> Result<f32> {
    arg.strip_prefix("shrunk")
        .and_then(|f| f.parse::<f32>().ok())
        .filter(|f| (0.2..=1.0).contains(f))
        .ok_or_else(|| Error::Invalid(format!("data spec {text:?}: use drawings or drawings=shrunkF with F from 0.2 to 1 (e.g. drawings=shrunk0.6)")))
}

/// The `+`-separated fonts of `fonts=...`.
fn parse_fonts(text: &str, list: &str) -> Result<Vec<FontPick>> {
    let held_out = fonts::validation_font_names();
    let mut picks: Vec<FontPick> = Vec::new();
    for item in list.split('+').map(str::trim) {
        let pick = match item {
            "" => return Err(Error::Invalid(format!("data spec {text:?}: an empty font name (use fonts=FONT+FONT...)"))),
            v if held_out.contains(&v) => return Err(Error::Invalid(format!("data spec {text:?}: {v} is held out for validation"))),
            v => FontPick::from_text(v),
        };
        // A font named twice is read once.
        if !picks.contains(&pick) {
            picks.push(pick);
        }
        if picks.len() > MAX_CHOSEN_FONTS {
            return Err(Error::Invalid(format!("data spec {text:?}: more than {MAX_CHOSEN_FONTS} fonts")));
        }
    }
    Ok(picks)
}

impl DataSpec {
    /// Opens the source for a split. Training splits augment; test splits are the held-out parts.
    pub fn open(&self, split: Split, opts: OpenOptions) -> Result<Box<dyn Source>> {
        let aug = if split == Split::Train { Augment::TRAIN } else { Augment::NONE };
        Ok(match &self.kind {
            SourceKind::Fonts => Box::new(FontSource::new(split)),
            SourceKind::ChosenFonts(picks) => Box::new(FontSource::chosen(picks, split)?),
            SourceKind::Drawings => Box::new(DrawingSource::new(split)),
            SourceKind::ShrunkDrawings { factor } => Box::new(DrawingSource::shrunk(split, *factor)),
            SourceKind::Pens => Box::new(DrawingSource::with_habits(split)),
            SourceKind::Scans { as_box } => Box::new(super::scans::ScanSource::new(split, *as_box)),
            SourceKind::Mine(dir) => {
                let dir = dir.clone().unwrap_or_else(super::mine::handwriting_dir);
                Box::new(super::mine::MineSource::open(&dir, split)?)
            }
            SourceKind::K49(dir) => {
                let data = k49::load(dir, opts.verify_md5)?;
                Box::new(ImageSetSource::new(if split == Split::Train { data.train } else { data.test }, aug))
            }
            SourceKind::Npz { images, labels, classmap } => {
                let name = images.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "npz".into());
                let set = LabeledImages::from_npz(&name, images, labels, classmap)?;
                let (train, test) = set.into_split_holdout(opts.holdout_per_class);
                let part = if split == Split::Train { train } else { test };
                if part.is_empty() {
                    return Err(Error::file(images, format!("the {split:?} split is empty (holdout {} per class)", opts.holdout_per_class)));
                }
                Box::new(ImageSetSource::new(part, aug))
            }
        })
    }
}

/// Opens every spec for a split and mixes them by weight.
/// A source without samples in the split (a `mine` folder holding nothing out yet) is refused
/// with the reason rather than drawn from as blank pictures.
pub fn open_mixture(specs: &[DataSpec], split: Split, opts: OpenOptions) -> Result<Mixture> {
    let mut parts = Vec::with_capacity(specs.len());
    for s in specs {
        let src = s.open(split, opts)?;
        if !src.classes().iter().any(|&c| c) {
            return Err(Error::Invalid(format!("{s}: no samples in the {} split ({} holds none yet)", split_name(split), src.name())));
        }
        parts.push((src, s.weight));
    }
    Ok(Mixture::new(parts))
}

/// How a split is called in messages.
fn split_name(split: Split) -> &'static str {
    if split == Split::Train {
        "training"
    } else {
        "held-out"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Vec<DataSpec>> {
        parse(&[s.to_string()])
    }

    #[test]
    fn parses_mixed_specs_with_weights() {
        let v = p("fonts@2,npz=a.npz,b.npz,c.csv@0.5,drawings,k49=/data/k49").unwrap();
        assert_eq!(v.len(), 4);
        assert_eq!(v[0], DataSpec { kind: SourceKind::Fonts, weight: 2.0 });
        assert_eq!(v[1].weight, 0.5);
        assert!(matches!(&v[1].kind, SourceKind::Npz { classmap, .. } if classmap == &PathBuf::from("c.csv")));
        assert_eq!(v[3].kind, SourceKind::K49("/data/k49".into()));
        assert_eq!(v[1].to_string(), "npz=a.npz,b.npz,c.csv@0.5");
        assert_eq!(parse(&["fonts".into(), "drawings@3".into()]).unwrap().len(), 2);
        assert_eq!(p("pens@0.5").unwrap()[0], DataSpec { kind: SourceKind::Pens, weight: 0.5 });
        assert_eq!(p("pens@0.5").unwrap()[0].to_string(), "pens@0.5");
        let mine = p("mine@4,mine=/h").unwrap();
        assert_eq!(mine[0], DataSpec { kind: SourceKind::Mine(None), weight: 4.0 });
        assert_eq!(mine[1].to_string(), "mine=/h");
    }

    #[test]
    fn bad_specs_say_what_is_expected() {
        assert!(p("").unwrap_err().to_string().contains("no data"));
        assert!(p("mnist").unwrap_err().to_string().contains("expected k49"));
        assert!(p("npz=a.npz,b.npz").unwrap_err().to_string().contains("CLASSMAP"));
        assert!(p("fonts@x").unwrap_err().to_string().contains("not a number"));
        assert!(p("fonts@-1").unwrap_err().to_string().contains("positive"));
        assert!(p("pens=abc").unwrap_err().to_string().contains("no arguments"));
        assert!(p("drawings=abc").unwrap_err().to_string().contains("drawings=shrunkF"));
        assert!(p("drawings=shrunk0.1").unwrap_err().to_string().contains("from 0.2 to 1"));
        assert!(p("drawings=shrunkNaN").is_err());
        let v = p("drawings=shrunk0.6@2").unwrap();
        assert_eq!(v[0].kind, SourceKind::ShrunkDrawings { factor: 0.6 });
        assert_eq!(v[0].to_string(), "drawings=shrunk0.6@2");
        assert!(p("fonts=a.ttf+").unwrap_err().to_string().contains("empty font name"));
        assert!(p("k49").unwrap_err().to_string().contains("k49=DIR"));
    }

    #[test]
    fn repeated_sources_are_capped_and_shared() {
        // Regression (issue 20, item 9): `fonts` repeated 20,000 times opened 20,000 sources and
        // aborted at 11 GB.
        let many = vec!["fonts"; 20_000].join(",");
        let e = p(&many).unwrap_err().to_string();
        assert!(e.contains("20000 data sources") && e.contains("limit is 64"), "{e}");
        // The same source twice is one source with the weights added.
        let v = p("fonts,drawings@2,fonts@3").unwrap();
        assert_eq!(v, vec![DataSpec { kind: SourceKind::Fonts, weight: 4.0 }, DataSpec { kind: SourceKind::Drawings, weight: 2.0 }]);
        let names = fonts::training_font_names();
        let v = p(&format!("fonts={}+{}+{}", names[0], names[1], names[0])).unwrap();
        assert!(matches!(&v[0].kind, SourceKind::ChosenFonts(f) if f.len() == 2), "{v:?}");
        let e = p(&format!("fonts={}", (0..70).map(|i| format!("/f{i}.ttf")).collect::<Vec<_>>().join("+"))).unwrap_err().to_string();
        assert!(e.contains("more than 64 fonts"), "{e}");
    }

    #[test]
    fn huge_weights_are_refused_not_overflowed() {
        // Regression (issue 20, item 14): fonts@1e308,drawings@1e308 summed to infinity and
        // trained on drawings only.
        let e = p("fonts@1e308,drawings@1e308").unwrap_err().to_string();
        assert!(e.contains("weight 1e308 is too large") && e.contains("limit is 1000000"), "{e}");
        let v = p("fonts@1e6,drawings@1e-6").unwrap();
        assert!(v.iter().map(|s| s.weight).sum::<f64>().is_finite());
    }

    #[test]
    fn chosen_fonts_parse_and_round_trip() {
        let names = fonts::training_font_names();
        let (a, b) = (names[0], names[1]);
        let text = format!("fonts={a}+/home/me/My Font.otf+{b}@2");
        let v = p(&format!("{text},drawings")).unwrap();
        assert_eq!(v.len(), 2);
        let want = vec![FontPick::Bundled(a.into()), FontPick::File("/home/me/My Font.otf".into()), FontPick::Bundled(b.into())];
        assert_eq!(v[0], DataSpec { kind: SourceKind::ChosenFonts(want), weight: 2.0 });
        assert_eq!(v[0].to_string(), text);
        assert_eq!(p(&v[0].to_string()).unwrap()[0], v[0]);
        let held_out = fonts::validation_font_names()[0];
        let e = p(&format!("fonts={a}+{held_out}")).unwrap_err().to_string();
        assert!(e.contains(held_out) && e.contains("held out"), "{e}");
    }

    #[test]
    fn chosen_fonts_open_bundled_and_user_files() {
        let dir = tempfile::tempdir().unwrap();
        let info = fonts::EMBEDDED_FONTS.iter().find(|f| !f.validation).unwrap();
        let mine = dir.path().join("mine.ttf");
        std::fs::write(&mine, info.bytes).unwrap();
        let first = fonts::training_font_names()[0];
        let spec = &p(&format!("fonts={first}+{}", mine.display())).unwrap()[0];
        let src = spec.open(Split::Train, OpenOptions::default()).unwrap();
        assert!(src.classes().iter().filter(|&&c| c).count() > 100);
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(3);
        assert!(src.sample(&mut rng).input.iter().any(|&v| v > 0.5));
        assert_eq!(src.eval_parts().len(), 2, "one part per chosen font");
        let test = spec.open(Split::Test, OpenOptions::default()).unwrap();
        assert_eq!(test.eval_parts().len(), fonts::validation_font_names().len(), "held out: the validation fonts");

        // Not a font, and a font without kana: refused with the path and the reason.
        let junk = dir.path().join("junk.ttf");
        std::fs::write(&junk, b"not a font at all").unwrap();
        let e = p(&format!("fonts={}", junk.display())).unwrap()[0].open(Split::Train, OpenOptions::default()).err().unwrap().to_string();
        assert!(e.contains("junk.ttf") && e.contains("not a font"), "{e}");
        let latin = dir.path().join("latin.ttf");
        std::fs::write(&latin, latin_only_font()).unwrap();
        let e = p(&format!("fonts={}", latin.display())).unwrap()[0].open(Split::Train, OpenOptions::default()).err().unwrap().to_string();
        assert!(e.contains("latin.ttf") && e.contains("no kana"), "{e}");
        let missing = dir.path().join("missing.ttf");
        let e = p(&format!("fonts={}", missing.display())).unwrap()[0].open(Split::Train, OpenOptions::default()).err().unwrap().to_string();
        assert!(e.contains("missing.ttf"), "{e}");
    }

    /// A font with Latin letters and no kana: egui's bundled monospace font.
    pub(crate) fn latin_only_font() -> Vec<u8> {
        let defs = egui::FontDefinitions::default();
        defs.font_data.get("Hack").map(|d| (*d.font).as_ref().to_vec()).unwrap()
    }
}
