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

/// Most charstring operations (operands and operators, through every subroutine call) one CFF
/// glyph may take; a kana takes a few hundred to a few thousand.
pub(super) const MAX_CHARSTRING_OPS: u64 = 200_000;

/// Deepest subroutine nesting the CFF outliner follows (as `ttf-parser`).
const MAX_SUBR_DEPTH: usize = 10;

/// One CFF INDEX: `count` items whose `off_size`-byte offsets start at `offsets` (1-based,
/// relative to the byte before `data_start`), all within the table.
#[derive(Clone, Copy, Default)]
struct CffIndex {
    count: usize,
    off_size: usize,
    offsets: usize,
    data_start: usize,
}

impl CffIndex {
    /// The INDEX at `at` of `table` and the position after it.
    fn parse(table: &[u8], at: usize) -> Option<(Self, usize)> {
        let count = usize::from(u16_at(table, at)?);
        if count == 0 {
            return Some((CffIndex::default(), at + 2));
        }
        let off_size = usize::from(*table.get(at + 2)?);
        if !(1..=4).contains(&off_size) {
            return None;
        }
        let offsets = at + 3;
        let data_start = offsets + (count + 1) * off_size - 1;
        let index = CffIndex { count, off_size, offsets, data_start };
        let end = data_start.checked_add(index.offset(table, count)?)?;
        Some((index, end))
    }

    fn offset(&self, table: &[u8], i: usize) -> Option<usize> {
        let at = self.offsets + i * self.off_size;
        let bytes = table.get(at..at + self.off_size)?;
        Some(bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)))
    }

    /// Item `i`'s bytes.
    fn get<'a>(&self, table: &'a [u8], i: usize) -> Option<&'a [u8]> {
        if i >= self.count {
            return None;
        }
        let (a, b) = (self.offset(table, i)?, self.offset(table, i + 1)?);
        table.get(self.data_start.checked_add(a)?..self.data_start.checked_add(b)?)
    }

    /// The subroutine number bias of an INDEX of this many subroutines.
    fn bias(&self) -> i64 {
        if self.count < 1240 {
            107
        } else if self.count < 33900 {
            1131
        } else {
            32768
        }
    }
}

/// The operands and operators of a DICT, as `(operator, operands)`; real numbers read as 0.
fn dict_entries(dict: &[u8]) -> Vec<(u16, Vec<i64>)> {
    let mut out = Vec::new();
    let mut operands = Vec::new();
    let mut i = 0;
    while let Some(&b) = dict.get(i) {
        match b {
            0..=21 => {
                let op = if b == 12 {
                    i += 1;
                    1200 + u16::from(dict.get(i).copied().unwrap_or(0))
                } else {
                    u16::from(b)
                };
                out.push((op, std::mem::take(&mut operands)));
                i += 1;
            }
            28 => {
                operands.push(i64::from(u16_at(dict, i + 1).map_or(0, |v| v as i16)));
                i += 3;
            }
            29 => {
                operands.push(i64::from(u32_at(dict, i + 1).map_or(0, |v| v as i32)));
                i += 5;
            }
            30 => {
                // A real number: nibbles up to an 0xf nibble.
                i += 1;
                while let Some(&n) = dict.get(i) {
                    i += 1;
                    if n & 0x0f == 0x0f || n >> 4 == 0x0f {
                        break;
                    }
                }
                operands.push(0);
            }
            32..=246 => {
                operands.push(i64::from(b) - 139);
                i += 1;
            }
            247..=250 => {
                operands.push((i64::from(b) - 247) * 256 + i64::from(dict.get(i + 1).copied().unwrap_or(0)) + 108);
                i += 2;
            }
            251..=254 => {
                operands.push(-(i64::from(b) - 251) * 256 - i64::from(dict.get(i + 1).copied().unwrap_or(0)) - 108);
                i += 2;
            }
            _ => i += 1,
        }
        if out.len() > 256 {
            break;
        }
    }
    out
}

fn dict_operand(entries: &[(u16, Vec<i64>)], op: u16, n: usize) -> Option<usize> {
    entries.iter().find(|(o, _)| *o == op).and_then(|(_, v)| v.get(n)).and_then(|&v| usize::try_from(v).ok())
}

/// A CFF font's charstrings and subroutines, read to count the work of outlining a glyph.
pub(super) struct Cff<'a> {
    table: &'a [u8],
    global: CffIndex,
    charstrings: CffIndex,
    /// The local subroutines: one set, or (CID-keyed fonts) one per font dict with the FDSelect.
    locals: Vec<Option<CffIndex>>,
    fd_select: Option<usize>,
}

impl<'a> Cff<'a> {
    /// The `CFF ` table of a font, if it has one that can be read.
    pub(super) fn of(face: &ttf_parser::Face<'a>) -> Option<Self> {
        let table = face.raw_face().table(ttf_parser::Tag::from_bytes(b"CFF "))?;
        let header = usize::from(*table.get(2)?);
        let (_, after_names) = CffIndex::parse(table, header)?;
        let (top, after_top) = CffIndex::parse(table, after_names)?;
        let (_, after_strings) = CffIndex::parse(table, after_top)?;
        let (global, _) = CffIndex::parse(table, after_strings)?;
        let top = dict_entries(top.get(table, 0)?);
        let (charstrings, _) = CffIndex::parse(table, dict_operand(&top, 17, 0)?)?;
        let private_locals = |dict: &[(u16, Vec<i64>)]| -> Option<CffIndex> {
            let (size, offset) = (dict_operand(dict, 18, 0)?, dict_operand(dict, 18, 1)?);
            let private = dict_entries(table.get(offset..offset.checked_add(size)?)?);
            CffIndex::parse(table, offset.checked_add(dict_operand(&private, 19, 0)?)?).map(|(i, _)| i)
        };
        let (locals, fd_select) = match (dict_operand(&top, 1236, 0), dict_operand(&top, 1237, 0)) {
            (Some(fd_array), Some(fd_select)) => {
                let (fds, _) = CffIndex::parse(table, fd_array)?;
                let locals = (0..fds.count.min(256)).map(|i| fds.get(table, i).and_then(|d| private_locals(&dict_entries(d)))).collect();
                (locals, Some(fd_select))
            }
            _ => (vec![private_locals(&top)], None),
        };
        Some(Cff { table, global, charstrings, locals, fd_select })
    }

    /// The font dict of glyph `id` in a CID-keyed font (FDSelect formats 0 and 3).
    fn font_dict(&self, id: u16) -> Option<usize> {
        let Some(at) = self.fd_select else { return Some(0) };
        match *self.table.get(at)? {
            0 => self.table.get(at + 1 + usize::from(id)).map(|&fd| usize::from(fd)),
            3 => {
                let ranges = usize::from(u16_at(self.table, at + 1)?);
                (0..ranges.min(65_535)).find_map(|r| {
                    let first = u16_at(self.table, at + 3 + r * 3)?;
                    let next = u16_at(self.table, at + 6 + r * 3)?;
                    (first <= id && id < next).then(|| self.table.get(at + 5 + r * 3).map(|&fd| usize::from(fd)))?
                })
            }
            _ => None,
        }
    }

    /// Refuses glyph `id` when outlining it would take more than [`MAX_CHARSTRING_OPS`]
    /// operations through its subroutine calls (nested calls that draw nothing still cost time),
    /// or when it builds itself from two other glyphs (`seac`, never used by kana).
    pub(super) fn check(&self, id: u16) -> Result<(), String> {
        let Some(cs) = self.charstrings.get(self.table, usize::from(id)) else { return Ok(()) };
        let local = self.font_dict(id).and_then(|fd| self.locals.get(fd).copied().flatten());
        let mut run = Run { ops: 0, stack: Vec::with_capacity(48), stems: 0 };
        run.charstring(self, cs, local.as_ref(), 0).map(|_| ())
    }
}

/// The state of one glyph's charstring scan.
struct Run {
    ops: u64,
    stack: Vec<i64>,
    stems: usize,
}

impl Run {
    /// Scans `cs`; `Ok(true)` when the glyph ended (endchar), `Ok(false)` on return (or an
    /// error the outliner itself would stop at).
    fn charstring(&mut self, cff: &Cff<'_>, cs: &[u8], local: Option<&CffIndex>, depth: usize) -> Result<bool, String> {
        let mut i = 0;
        while let Some(&b) = cs.get(i) {
            self.ops += 1;
            if self.ops > MAX_CHARSTRING_OPS {
                return Err(format!("takes more than {MAX_CHARSTRING_OPS} charstring operations (subroutines calling each other)"));
            }
            match b {
                32..=246 => {
                    self.push(i64::from(b) - 139);
                    i += 1;
                }
                247..=250 => {
                    self.push((i64::from(b) - 247) * 256 + i64::from(cs.get(i + 1).copied().unwrap_or(0)) + 108);
                    i += 2;
                }
                251..=254 => {
                    self.push(-(i64::from(b) - 251) * 256 - i64::from(cs.get(i + 1).copied().unwrap_or(0)) - 108);
                    i += 2;
                }
                28 => {
                    self.push(i64::from(u16_at(cs, i + 1).map_or(0, |v| v as i16)));
                    i += 3;
                }
                255 => {
                    self.push(i64::from(u32_at(cs, i + 1).map_or(0, |v| v as i32)) >> 16);
                    i += 5;
                }
                // hstem, vstem, hstemhm, vstemhm: stem hints (their count sizes hint masks).
                1 | 3 | 18 | 23 => {
                    self.stems += self.stack.len() / 2;
                    self.stack.clear();
                    i += 1;
                }
                // hintmask, cntrmask: an implicit vstem, then one mask bit per stem.
                19 | 20 => {
                    self.stems += self.stack.len() / 2;
                    self.stack.clear();
                    i += 1 + self.stems.div_ceil(8);
                }
                10 | 29 => {
                    let subrs = if b == 10 { local.copied() } else { Some(cff.global) };
                    let Some(subrs) = subrs else { return Ok(false) };
                    let Some(n) = self.stack.pop() else { return Ok(false) };
                    let sub = usize::try_from(n + subrs.bias()).ok().and_then(|n| subrs.get(cff.table, n));
                    let Some(sub) = sub else { return Ok(false) };
                    if depth >= MAX_SUBR_DEPTH {
                        return Ok(false);
                    }
                    if self.charstring(cff, sub, local, depth + 1)? {
                        return Ok(true);
                    }
                    i += 1;
                }
                11 => return Ok(false),
                14 => {
                    if self.stack.len() >= 4 {
                        return Err("is built from two other glyphs (seac), which fude does not read".into());
                    }
                    return Ok(true);
                }
                12 => {
                    self.stack.clear();
                    i += 2;
                }
                _ => {
                    self.stack.clear();
                    i += 1;
                }
            }
        }
        Ok(false)
    }

    fn push(&mut self, v: i64) {
        // The outliner stops at 48 operands; so does the count (it keeps the last ones).
        if self.stack.len() >= 48 {
            self.stack.remove(0);
        }
        self.stack.push(v);
    }
}
