//! The mutator: a small deterministic random source and the mutations applied to corpus inputs.

/// A xorshift64* random source (deterministic per seed, no dependencies).
pub(super) struct Rng(u64);

impl Rng {
    /// A source seeded with `seed` (any value).
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Tokens that text formats (JSON, CSV) are sensitive to: numbers at the edges of `f32` and of
/// the limits, structure, and encodings.
const TOKENS: &[&str] = &[
    "-1e12", "1e12", "-1e38", "3.4e38", "1e39", "-0", "0", "NaN", "Infinity", "1e-45", "99999999999999999999",
    "[", "]", "{", "}", ",", ":", "\"", "[[", "]]", "[[[0,0]]]", "\u{feff}", "\\u0000", "\"version\":1", "\"width\":",
    "\"strokes\":", "U+3042", "U+0000", "U+FFFF", "U+110000", "\n", "\r\n", "index", "codepoint", "あ", "4294967296",
];

/// Byte values and integers that binary formats are sensitive to (sizes, offsets, lengths).
const INTERESTING: &[u64] = &[0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, u64::MAX, 20_000, 1 << 40];

/// Numbers a drawing's fields are drawn from: ordinary ones and the edges of the limits and of
/// `f32`.
const DRAWING_NUMBERS: &[f64] = &[0.0, 1.0, 50.0, 150.5, 299.0, 300.0, -1.0, -300.0, 1200.0, 1500.0, -1e9, -1e12, 1e12, 3.4e38, -3.4e38, 1e39, 1e-45, 100_000.0, 100_001.0];

/// A drawing as JSON text, with random counts and numbers: mostly ordinary, now and then one
/// hostile number, count or canvas side (one at a time, so the others still pass the checks).
pub(super) fn structured_drawing(rng: &mut Rng) -> Vec<u8> {
    let hostile = |rng: &mut Rng| DRAWING_NUMBERS.get(rng.below(DRAWING_NUMBERS.len())).copied().unwrap_or(0.0);
    let side = |rng: &mut Rng| if rng.below(16) == 0 { hostile(rng) } else { 300.0 };
    let (w, h) = (side(rng), side(rng));
    let strokes = match rng.below(500) {
        0 => rng.below(2_100),
        1..=10 => 0,
        _ => 1 + rng.below(6),
    };
    let long = rng.below(200) == 0;
    let mut out = format!(r#"{{"version":1,"width":{w},"height":{h},"strokes":["#);
    for s in 0..strokes {
        if s > 0 {
            out.push(',');
        }
        let points = match rng.below(20) {
            _ if long && s == 0 => rng.below(25_000),
            0 => 1,
            _ => 2 + rng.below(40),
        };
        let odd = if rng.below(4) == 0 { rng.below(points.max(1)) } else { usize::MAX };
        out.push('[');
        for p in 0..points {
            if p > 0 {
                out.push(',');
            }
            let (x, y) = (rng.below(30_000) as f64 / 100.0, rng.below(30_000) as f64 / 100.0);
            if p == odd {
                out.push_str(&format!("[{},{y}]", hostile(rng)));
            } else {
                out.push_str(&format!("[{x},{y}]"));
            }
        }
        out.push(']');
    }
    out.push_str("]}");
    out.into_bytes()
}

/// The corpus and how inputs are made from it.
pub(super) struct Mutator {
    seeds: Vec<Vec<u8>>,
    kept: Vec<Vec<u8>>,
    text: bool,
    max_len: usize,
}

/// How many accepted inputs are kept as further starting points.
const KEPT: usize = 256;

impl Mutator {
    /// A mutator over `seeds`; `text` adds format tokens to the mutations.
    pub(super) fn new(seeds: Vec<Vec<u8>>, text: bool, max_len: usize) -> Self {
        Mutator { seeds, kept: Vec::new(), text, max_len }
    }

    /// Keeps an accepted input as a starting point (replacing a random one when full).
    pub(super) fn keep(&mut self, input: Vec<u8>, rng: &mut Rng) {
        if self.kept.len() < KEPT {
            self.kept.push(input);
        } else {
            let i = rng.below(KEPT);
            if let Some(slot) = self.kept.get_mut(i) {
                *slot = input;
            }
        }
    }

    fn pick(&self, rng: &mut Rng) -> Vec<u8> {
        let n = self.seeds.len() + self.kept.len();
        let i = rng.below(n);
        self.seeds.get(i).or_else(|| self.kept.get(i - self.seeds.len())).cloned().unwrap_or_default()
    }

    /// The next input: a corpus entry with one to eight mutations (now and then none).
    pub(super) fn next(&mut self, rng: &mut Rng) -> Vec<u8> {
        let mut v = self.pick(rng);
        let rounds = if rng.below(50) == 0 { 0 } else { 1 + rng.below(8) };
        for _ in 0..rounds {
            self.mutate(&mut v, rng);
        }
        v.truncate(self.max_len);
        v
    }

    fn mutate(&self, v: &mut Vec<u8>, rng: &mut Rng) {
        let len = v.len();
        match rng.below(if self.text { 10 } else { 9 }) {
            0 if len > 0 => {
                if let Some(b) = v.get_mut(rng.below(len)) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 if len > 0 => {
                if let Some(b) = v.get_mut(rng.below(len)) {
                    *b = rng.next() as u8;
                }
            }
            2 if len > 0 => {
                let at = rng.below(len);
                let value = INTERESTING.get(rng.below(INTERESTING.len())).copied().unwrap_or(0);
                let width = [1usize, 2, 4, 8].get(rng.below(4)).copied().unwrap_or(1);
                let bytes = if rng.below(2) == 0 { value.to_le_bytes() } else { value.to_be_bytes() };
                let bytes = if rng.below(2) == 0 { bytes.get(..width) } else { bytes.get(8 - width..) }.unwrap_or(&[]);
                for (i, b) in bytes.iter().enumerate() {
                    if let Some(slot) = v.get_mut(at + i) {
                        *slot = *b;
                    }
                }
            }
            3 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below(32.min(len - at));
                v.drain(at..at + n);
            }
            4 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(at..at, bytes);
            }
            5 if len > 0 => {
                // Duplicate a chunk (repetition drives counts and sizes up).
                let at = rng.below(len);
                let n = 1 + rng.below(256.min(len - at));
                let chunk: Vec<u8> = v.get(at..at + n).map(<[u8]>::to_vec).unwrap_or_default();
                let to = rng.below(len + 1);
                for _ in 0..1 + rng.below(8) {
                    v.splice(to..to, chunk.iter().copied());
                }
            }
            6 if len > 0 => v.truncate(rng.below(len)),
            7 => {
                // Splice in a piece of another input.
                let other = self.pick(rng);
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let n = 1 + rng.below(other.len() - from);
                    let at = rng.below(len + 1);
                    let end = (at + n).min(len);
                    v.splice(at..end, other.get(from..from + n).unwrap_or(&[]).iter().copied());
                }
            }
            8 if len > 0 => {
                // Replace a run of ASCII digits with another number.
                let at = rng.below(len);
                if let Some(start) = (at..len).find(|&i| v.get(i).is_some_and(u8::is_ascii_digit)) {
                    let end = (start..len).find(|&i| !v.get(i).is_some_and(u8::is_ascii_digit)).unwrap_or(len);
                    let number = INTERESTING.get(rng.below(INTERESTING.len())).copied().unwrap_or(0).to_string();
                    v.splice(start..end, number.bytes());
                }
            }
            9 => {
                let token = TOKENS.get(rng.below(TOKENS.len())).copied().unwrap_or("");
                let at = rng.below(len + 1);
                if rng.below(2) == 0 {
                    v.splice(at..at, token.bytes());
                } else {
                    // Replace a number-like run with the token.
                    let end = (at..len).find(|&i| !v.get(i).is_some_and(|b| b.is_ascii_digit() || *b == b'.' || *b == b'-')).unwrap_or(len);
                    v.splice(at..end.max(at), token.bytes());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_stay_within_bounds_and_vary() {
        let mut m = Mutator::new(vec![b"{\"a\":[1,2,3]}".to_vec(), Vec::new()], true, 100);
        let mut rng = Rng::new(7);
        let inputs: Vec<Vec<u8>> = (0..2000).map(|_| m.next(&mut rng)).collect();
        assert!(inputs.iter().all(|i| i.len() <= 100));
        let distinct: std::collections::HashSet<&Vec<u8>> = inputs.iter().collect();
        assert!(distinct.len() > 1000, "{}", distinct.len());
        assert_eq!(Rng::new(3).next(), Rng::new(3).next(), "deterministic per seed");
    }
}
