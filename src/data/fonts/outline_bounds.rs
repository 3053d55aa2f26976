//! Outline extraction in bounded work, for font files fude did not ship: a glyph's outline is
//! refused past [`MAX_GLYPH_SEGMENTS`] segments (memory), and a TrueType glyph whose composite
//! components expand to more than [`MAX_GLYPH_COMPONENTS`] glyph records, or nest deeper than
//! [`MAX_COMPONENT_DEPTH`] (or in a cycle), is refused from its `glyf` table before it is
//! outlined (time: components that draw nothing still cost work). Both budgets are counts, so a
//! font is accepted or refused the same way on every machine.
//!
//! The outline is built as `ab_glyph` builds it (same curves, same bounds), so the bundled fonts
//! render exactly as before.

use super::{MAX_COMPONENT_DEPTH, MAX_GLYPH_COMPONENTS, MAX_GLYPH_SEGMENTS};
use ab_glyph::{point, Outline, OutlineCurve, Point, Rect};
use std::collections::HashMap;

/// A glyph's outline within the segment budget: `Ok(None)` when the glyph has none, `Err` says
/// why it was refused.
pub(super) fn outline(face: &ttf_parser::Face<'_>, id: u16) -> Result<Option<Outline>, String> {
    let mut builder = Budgeted::default();
    // The builder stops the outlining by unwinding (without the panic hook: nothing is printed)
    // when the budget is spent; the parser holds no state that outlives the call.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| face.outline_glyph(ttf_parser::GlyphId(id), &mut builder)));
    let rect = match result {
        Ok(rect) => rect,
        Err(payload) if payload.is::<OverBudget>() => {
            return Err(format!("has more than {MAX_GLYPH_SEGMENTS} outline segments"));
        }
        Err(payload) => std::panic::resume_unwind(payload),
    };
    // As ab_glyph: invalid bounds are treated as having no outline.
    let Some(r) = rect.filter(|b| b.x_min < b.x_max && b.y_min < b.y_max) else {
        return Ok(None);
    };
    let curves = builder.finish();
    let bounds = Rect { min: point(r.x_min.into(), r.y_max.into()), max: point(r.x_max.into(), r.y_min.into()) };
    Ok(Some(Outline { bounds, curves }))
}

/// The unwinding payload of a spent budget.
struct OverBudget;

/// `ab_glyph`'s outline builder with a cap on the segments it keeps.
#[derive(Default)]
struct Budgeted {
    last: Point,
    last_move: Option<Point>,
    curves: Vec<OutlineCurve>,
}

impl Budgeted {
    fn push(&mut self, c: OutlineCurve) {
        if self.curves.len() >= MAX_GLYPH_SEGMENTS {
            std::panic::resume_unwind(Box::new(OverBudget));
        }
        self.curves.push(c);
    }

    fn finish(mut self) -> Vec<OutlineCurve> {
        // Some glyphs close implicitly (as ab_glyph does).
        if let Some(m) = self.last_move.take() {
            self.curves.push(OutlineCurve::Line(self.last, m));
        }
        self.curves
    }
}

impl ttf_parser::OutlineBuilder for Budgeted {
    fn move_to(&mut self, x: f32, y: f32) {
        self.last = point(x, y);
        self.last_move = Some(self.last);
    }

    fn line_to(&mut self, x: f32, y: f32) {
        let p = point(x, y);
        self.push(OutlineCurve::Line(self.last, p));
        self.last = p;
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (p1, p) = (point(x1, y1), point(x, y));
        self.push(OutlineCurve::Quad(self.last, p1, p));
        self.last = p;
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (p1, p2, p) = (point(x1, y1), point(x2, y2), point(x, y));
        self.push(OutlineCurve::Cubic(self.last, p1, p2, p));
        self.last = p;
    }

    fn close(&mut self) {
        if let Some(m) = self.last_move.take() {
            self.push(OutlineCurve::Line(self.last, m));
        }
    }
}

/// A TrueType font's `glyf` and `loca` tables, read for the composite structure of glyphs.
pub(super) struct Glyf<'a> {
    glyf: &'a [u8],
    loca: &'a [u8],
    long: bool,
    glyphs: u16,
}

/// Composite component flags (OpenType `glyf`).
const ARGS_ARE_WORDS: u16 = 0x0001;
const HAVE_SCALE: u16 = 0x0008;
const MORE_COMPONENTS: u16 = 0x0020;
const HAVE_XY_SCALE: u16 = 0x0040;
const HAVE_TWO_BY_TWO: u16 = 0x0080;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

impl<'a> Glyf<'a> {
    /// The tables of a TrueType-outline font; `None` for CFF fonts (or a font without them).
    pub(super) fn of(face: &ttf_parser::Face<'a>) -> Option<Self> {
        let raw = face.raw_face();
        let glyf = raw.table(ttf_parser::Tag::from_bytes(b"glyf"))?;
        let loca = raw.table(ttf_parser::Tag::from_bytes(b"loca"))?;
        let head = raw.table(ttf_parser::Tag::from_bytes(b"head"))?;
        let long = u16_at(head, 50)? != 0;
        Some(Glyf { glyf, loca, long, glyphs: face.number_of_glyphs() })
    }

    /// The bytes of glyph `id` (empty for a glyph without outline).
    fn data(&self, id: u16) -> &'a [u8] {
        if id >= self.glyphs {
            return &[];
        }
        let i = usize::from(id);
        let range = if self.long {
            u32_at(self.loca, i * 4).zip(u32_at(self.loca, i * 4 + 4)).map(|(a, b)| (a as usize, b as usize))
        } else {
            u16_at(self.loca, i * 2).zip(u16_at(self.loca, i * 2 + 2)).map(|(a, b)| (usize::from(a) * 2, usize::from(b) * 2))
        };
        range.filter(|(a, b)| a < b).and_then(|(a, b)| self.glyf.get(a..b)).unwrap_or(&[])
    }

    /// The glyph ids a composite glyph's components name (none for a simple glyph).
    fn components(&self, id: u16) -> Vec<u16> {
        let data = self.data(id);
        let mut out = Vec::new();
        if data.len() < 10 || u16_at(data, 0).is_none_or(|n| (n as i16) >= 0) {
            return out;
        }
        let mut at = 10;
        while let (Some(flags), Some(glyph)) = (u16_at(data, at), u16_at(data, at + 2)) {
            out.push(glyph);
            at += 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
            at += if flags & HAVE_SCALE != 0 {
                2
            } else if flags & HAVE_XY_SCALE != 0 {
                4
            } else if flags & HAVE_TWO_BY_TWO != 0 {
                8
            } else {
                0
            };
            if flags & MORE_COMPONENTS == 0 {
                break;
            }
        }
        out
    }

    /// Refuses glyph `id` when its components expand to more than [`MAX_GLYPH_COMPONENTS`] glyph
    /// records, nest deeper than [`MAX_COMPONENT_DEPTH`] or in a cycle. The work is bounded: each
    /// glyph is looked at once (memoised), at most [`MAX_GLYPH_COMPONENTS`] glyphs in all.
    pub(super) fn check(&self, id: u16) -> Result<(), String> {
        let mut memo = HashMap::new();
        self.expansion(id, 0, &mut memo).map(|_| ())
    }

    /// How many glyph records `id` expands to, itself included.
    fn expansion(&self, id: u16, depth: usize, memo: &mut HashMap<u16, Option<u64>>) -> Result<u64, String> {
        match memo.get(&id) {
            Some(Some(n)) => return Ok(*n),
            Some(None) => return Err("has composite components that include themselves".into()),
            None => {}
        }
        if depth > MAX_COMPONENT_DEPTH {
            return Err(format!("nests composite components more than {MAX_COMPONENT_DEPTH} deep"));
        }
        if memo.len() as u64 > MAX_GLYPH_COMPONENTS {
            return Err(format!("is made of more than {MAX_GLYPH_COMPONENTS} component glyphs"));
        }
        memo.insert(id, None);
        let mut total = 1u64;
        for c in self.components(id) {
            total = total.saturating_add(self.expansion(c, depth + 1, memo)?);
            if total > MAX_GLYPH_COMPONENTS {
                return Err(format!("is made of more than {MAX_GLYPH_COMPONENTS} component glyphs"));
            }
        }
        memo.insert(id, Some(total));
        Ok(total)
    }
}
