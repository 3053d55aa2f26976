//! Bundled fonts and glyph outlines for generated kana.
//!
//! Fonts are embedded in the binary by `build.rs` from `assets/fonts/fonts.json`. Each font's glyph
//! outlines are turned into tiny-skia paths in **box units** (the writing box is 0..1 on both axes,
//! y down), normalised per font so that its full-size kana have a median extent of
//! [`FULL_SIZE`] of the box, centred. Small kana keep the size and position the font gives them
//! relative to the full-size ones.

use super::classes::{self, NUM_CLASSES};
use crate::error::{Error, Result};
use ab_glyph::{Font, FontRef, OutlineCurve};

mod outline_bounds;
use tiny_skia::{Path, PathBuilder};

/// One font embedded in the binary.
#[derive(Debug)]
pub struct FontInfo {
    /// File name under `assets/fonts/`.
    pub file: &'static str,
    /// Family name.
    pub family: &'static str,
    /// Style tag (brush, handwriting, mincho, gothic, ...).
    pub style: &'static str,
    /// Held out from training (used for validation only).
    pub validation: bool,
    /// The font file.
    pub bytes: &'static [u8],
}

/// All bundled fonts, from `assets/fonts/fonts.json`.
pub static EMBEDDED_FONTS: &[FontInfo] = include!(concat!(env!("OUT_DIR"), "/fonts.rs"));

/// Median extent of a full-size kana, as a fraction of the box side.
pub const FULL_SIZE: f32 = 0.82;

/// A font's kana as paths in box units, one slot per class (`None` where the font lacks it).
pub struct KanaFont {
    /// Its name: the bundled file name, or the user file's path.
    pub name: String,
    /// The bundled font it came from; `None` for a user's font file.
    pub info: Option<&'static FontInfo>,
    glyphs: Vec<Option<Path>>,
}

/// A font chosen for generated kana: a bundled training font (by file name) or a font file the
/// user owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FontPick {
    /// A bundled training font, e.g. `KleeOne-Regular.ttf`.
    Bundled(String),
    /// A font file on disk (TrueType/OpenType).
    File(std::path::PathBuf),
}

impl FontPick {
    /// A bundled training font's file name names it; anything else is a path.
    pub fn from_text(text: &str) -> Self {
        if training_font_names().contains(&text) {
            FontPick::Bundled(text.to_string())
        } else {
            FontPick::File(text.into())
        }
    }
}

impl std::fmt::Display for FontPick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FontPick::Bundled(name) => write!(f, "{name}"),
            FontPick::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The file names of the bundled training fonts (the validation fonts are held out).
pub fn training_font_names() -> Vec<&'static str> {
    EMBEDDED_FONTS.iter().filter(|f| !f.validation).map(|f| f.file).collect()
}

/// The file names of the bundled validation fonts.
pub fn validation_font_names() -> Vec<&'static str> {
    EMBEDDED_FONTS.iter().filter(|f| f.validation).map(|f| f.file).collect()
}

impl KanaFont {
    /// Parses a bundled font and extracts and normalises the outlines of every class it covers.
    /// Returns `None` if the font cannot be parsed or covers no full-size kana.
    pub fn load(info: &'static FontInfo) -> Option<Self> {
        let glyphs = kana_glyphs(info.bytes).ok()?;
        Some(KanaFont { name: info.file.to_string(), info: Some(info), glyphs })
    }

    /// Reads a font file the user owns. Refused (the error names the file and why) when it cannot
    /// be read, is not a font, or has no kana of the class table.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let bytes = crate::error::read_limited(path, MAX_FONT_BYTES, "font file")?;
        Self::from_bytes(&path.display().to_string(), &bytes).map_err(|why| Error::file(path, why))
    }

    /// Parses font bytes (owned by the caller) under `name`; `Err` says why they were refused.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> std::result::Result<Self, String> {
        let glyphs = kana_glyphs(bytes)?;
        Ok(KanaFont { name: name.to_string(), info: None, glyphs })
    }

    /// Whether this is a bundled font held out for validation.
    pub fn is_validation(&self) -> bool {
        self.info.is_some_and(|i| i.validation)
    }

    /// The glyph of class `class` in box units, if the font has it.
    pub fn glyph(&self, class: usize) -> Option<&Path> {
        self.glyphs.get(class).and_then(Option::as_ref)
    }

    /// Which classes the font covers.
    pub fn coverage(&self) -> Vec<bool> {
        self.glyphs.iter().map(Option::is_some).collect()
    }

    /// Number of classes covered.
    pub fn covered(&self) -> usize {
        self.glyphs.iter().filter(|g| g.is_some()).count()
    }
}

/// Largest font file read (big CJK fonts are 10 to 30 MB).
pub const MAX_FONT_BYTES: u64 = 64 << 20;

/// Most outline segments (lines and curves) one glyph may have; a kana has a few hundred.
pub const MAX_GLYPH_SEGMENTS: usize = 20_000;

/// Most glyph records one TrueType glyph may expand to through its composite components (itself
/// included); a kana with a voicing mark has a handful.
pub const MAX_GLYPH_COMPONENTS: u64 = 256;

/// Deepest nesting of TrueType composite glyphs accepted (real fonts nest two or three deep).
pub const MAX_COMPONENT_DEPTH: usize = 8;

/// The kana outlines of a font in box units, one slot per class; `Err` says why the bytes were
/// refused (not a font, no kana, no full-size kana, a glyph over the limits on outline work).
fn kana_glyphs(bytes: &[u8]) -> std::result::Result<Vec<Option<Path>>, String> {
    let font = FontRef::try_from_slice(bytes).map_err(|e| format!("not a font file that can be read ({e})"))?;
    let face = ttf_parser::Face::parse(bytes, 0).map_err(|e| format!("not a font file that can be read ({e})"))?;
    let composites = outline_bounds::Glyf::of(&face);
    let charstrings = outline_bounds::Cff::of(&face);
    let outlines: Vec<Option<ab_glyph::Outline>> = classes::all()
        .iter()
        .map(|c| {
            let id = font.glyph_id(c.ch);
            if id.0 == 0 {
                return Ok(None);
            }
            let refuse = |why: String| format!("the glyph of {} (glyph {}) {why}: the font is refused", c.ch, id.0);
            if let Some(glyf) = &composites {
                glyf.check(id.0).map_err(refuse)?;
            }
            if let Some(cff) = &charstrings {
                cff.check(id.0).map_err(refuse)?;
            }
            outline_bounds::outline(&face, id.0)
                .map(|o| o.filter(|o| !o.curves.is_empty()))
                .map_err(refuse)
        })
        .collect::<std::result::Result<_, String>>()?;
    // Per-font normalisation from the full-size letters' bounding boxes.
    let mut cxs = Vec::new();
    let mut cys = Vec::new();
    let mut sizes = Vec::new();
    for (c, o) in classes::all().iter().zip(&outlines) {
        let Some(o) = o else { continue };
        if c.is_small() || matches!(c.ch, 'ゝ' | 'ゞ' | 'ヽ' | 'ヾ') {
            continue;
        }
        let b = o.bounds;
        cxs.push((b.min.x + b.max.x) * 0.5);
        cys.push((b.min.y + b.max.y) * 0.5);
        sizes.push((b.max.x - b.min.x).max(b.max.y - b.min.y));
    }
    if outlines.iter().all(Option::is_none) {
        return Err(format!("the font has no kana (none of the {NUM_CLASSES} hiragana and katakana classes)"));
    }
    let no_full = || "the font has no full-size kana (only small ones or marks)".to_string();
    let (cx, cy, size) = (median(&mut cxs).ok_or_else(no_full)?, median(&mut cys).ok_or_else(no_full)?, median(&mut sizes).ok_or_else(no_full)?);
    if size <= 0.0 {
        return Err("the font's kana outlines are empty".into());
    }
    let s = FULL_SIZE / size;
    // Font units are y-up; box units are y-down with the centre at 0.5.
    let map = |p: ab_glyph::Point| ((p.x - cx) * s + 0.5, (cy - p.y) * s + 0.5);
    Ok(outlines
        .into_iter()
        .map(|o| o.and_then(|o| outline_to_path(&o.curves, map)))
        .collect())
}

/// Loads every bundled font; those that fail to parse are skipped.
pub fn load_all() -> Vec<KanaFont> {
    EMBEDDED_FONTS.iter().filter_map(KanaFont::load).collect()
}

/// One plain rendering of every class, `side` x `side` values (ink bright, 0..=1) each: the
/// glyph of the first training font that has it, gothic fonts first (plain strokes), in box
/// units like every other source. The generator's decoder starts from these as its picture of
/// each letter. A class no training font has gives a blank image.
pub fn class_templates(side: usize) -> Vec<Vec<f32>> {
    let mut fonts: Vec<KanaFont> = load_all().into_iter().filter(|f| !f.is_validation()).collect();
    fonts.sort_by_key(|f| u8::from(f.info.is_none_or(|i| i.style != "gothic")));
    (0..NUM_CLASSES)
        .map(|c| {
            let glyph = fonts.iter().find_map(|f| f.glyph(c));
            let mask = glyph.and_then(|g| {
                let mut m = tiny_skia::Mask::new(side as u32, side as u32)?;
                m.fill_path(g, tiny_skia::FillRule::Winding, true, tiny_skia::Transform::from_scale(side as f32, side as f32));
                Some(m)
            });
            match mask {
                Some(m) => m.data().iter().map(|&v| f32::from(v) / 255.0).collect(),
                None => vec![0.0; side * side],
            }
        })
        .collect()
}

/// Classes covered by at least one of the fonts.
pub fn union_coverage(fonts: &[&KanaFont]) -> Vec<bool> {
    let mut cov = vec![false; NUM_CLASSES];
    for f in fonts {
        for (c, has) in cov.iter_mut().zip(f.coverage()) {
            *c |= has;
        }
    }
    cov
}

fn median(v: &mut [f32]) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Builds a path from outline curves; a curve that does not start where the last ended opens a
/// new contour.
fn outline_to_path(curves: &[OutlineCurve], map: impl Fn(ab_glyph::Point) -> (f32, f32)) -> Option<Path> {
    let mut pb = PathBuilder::new();
    let mut last: Option<ab_glyph::Point> = None;
    for c in curves {
        let start = match c {
            OutlineCurve::Line(a, _) | OutlineCurve::Quad(a, _, _) | OutlineCurve::Cubic(a, _, _, _) => *a,
        };
        if last.is_none_or(|l| (l.x - start.x).abs() > 1e-3 || (l.y - start.y).abs() > 1e-3) {
            if last.is_some() {
                pb.close();
            }
            let (x, y) = map(start);
            pb.move_to(x, y);
        }
        match c {
            OutlineCurve::Line(_, b) => {
                let (x, y) = map(*b);
                pb.line_to(x, y);
                last = Some(*b);
            }
            OutlineCurve::Quad(_, c1, b) => {
                let ((x1, y1), (x, y)) = (map(*c1), map(*b));
                pb.quad_to(x1, y1, x, y);
                last = Some(*b);
            }
            OutlineCurve::Cubic(_, c1, c2, b) => {
                let ((x1, y1), (x2, y2), (x, y)) = (map(*c1), map(*c2), map(*b));
                pb.cubic_to(x1, y1, x2, y2, x, y);
                last = Some(*b);
            }
        }
    }
    pb.close();
    pb.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_a_template_with_ink() {
        let t = class_templates(32);
        assert_eq!(t.len(), NUM_CLASSES);
        for (c, img) in t.iter().enumerate() {
            assert_eq!(img.len(), 32 * 32);
            let ink: f32 = img.iter().sum();
            assert!(ink > 10.0, "class {c} has ink {ink}");
        }
        assert_ne!(t[0], t[1]);
    }

    #[test]
    fn bundled_fonts_cover_every_class_and_parse() {
        let fonts = load_all();
        assert_eq!(fonts.len(), EMBEDDED_FONTS.len(), "every bundled font parses");
        assert!(fonts.len() >= 12, "at least 12 fonts, found {}", fonts.len());
        let train: Vec<&KanaFont> = fonts.iter().filter(|f| !f.is_validation()).collect();
        let val: Vec<&KanaFont> = fonts.iter().filter(|f| f.is_validation()).collect();
        assert!(!val.is_empty());
        let missing: Vec<char> = union_coverage(&train)
            .iter()
            .zip(classes::chars())
            .filter(|(c, _)| !**c)
            .map(|(_, ch)| ch)
            .collect();
        assert!(missing.is_empty(), "training fonts miss {missing:?}");
    }

    fn hostile(name: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile").join(name)).unwrap()
    }

    #[test]
    fn font_bombs_are_refused_in_bounded_work() {
        // Regression (issue 20, item 2): nested composite glyphs aborted at 7.6 GB, nested CFF
        // subroutines at 4.7 GB.
        let t = std::time::Instant::now();
        let e = KanaFont::from_bytes("bomb.ttf", &hostile("font_composite_bomb.ttf")).err().unwrap_or_default();
        assert!(e.contains("composite components") && e.contains("the font is refused"), "{e}");
        let cff = hostile("font_cff_subr_bomb.otf");
        let e = KanaFont::from_bytes("bomb.otf", &cff).err().unwrap_or_default();
        assert!(e.contains("charstring operations") && e.contains("the font is refused"), "{e}");
        // Past the work budget, the segment budget holds what is kept.
        let face = ttf_parser::Face::parse(&cff, 0).unwrap();
        let e = outline_bounds::outline(&face, 1).err().unwrap_or_default();
        assert!(e.contains(&format!("more than {MAX_GLYPH_SEGMENTS} outline segments")), "{e}");
        // The same bomb whose innermost subroutine draws nothing (stem hints instead of lines):
        // no memory, but 40^9 calls, forever. Refused by the count of operations, at once.
        let draws = [0x95, 0x8b, 0x05, 0x81, 0x8b, 0x05, 0x0b];
        let at = cff.windows(draws.len()).position(|w| w == draws).unwrap();
        let mut quiet = cff.clone();
        quiet[at..at + draws.len()].copy_from_slice(&[0x95, 0x8b, 0x01, 0x81, 0x8b, 0x01, 0x0b]);
        let e = KanaFont::from_bytes("quiet.otf", &quiet).err().unwrap_or_default();
        assert!(e.contains("charstring operations"), "{e}");
        assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
    }

    #[test]
    fn bounded_outlines_are_those_ab_glyph_makes() {
        // The budgeted outliner must not change the bundled fonts' glyphs (nor the data made of them).
        for info in EMBEDDED_FONTS.iter().take(4) {
            let font = FontRef::try_from_slice(info.bytes).unwrap();
            let face = ttf_parser::Face::parse(info.bytes, 0).unwrap();
            for c in classes::all().iter().step_by(7) {
                let id = font.glyph_id(c.ch);
                let ours = outline_bounds::outline(&face, id.0).unwrap();
                let theirs = font.outline(id);
                assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "{} {}", info.file, c.ch);
            }
        }
    }

    #[test]
    fn glyphs_are_normalised_into_the_box() {
        for f in load_all() {
            let a = f.glyph(classes::index_of('あ').unwrap_or(0));
            let Some(a) = a else { continue };
            let b = a.bounds();
            assert!(b.left() > -0.1 && b.right() < 1.1 && b.top() > -0.1 && b.bottom() < 1.1, "{}: {b:?}", f.name);
            let small = f.glyph(classes::index_of('ゃ').unwrap_or(0));
            let big = f.glyph(classes::index_of('や').unwrap_or(0));
            if let (Some(s), Some(bg)) = (small, big) {
                let (sb, bb) = (s.bounds(), bg.bounds());
                assert!(sb.height() < 0.9 * bb.height(), "{}: small ゃ is smaller than や", f.name);
            }
        }
    }
}
