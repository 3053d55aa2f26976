//! Names for the sliders, measured on what they do: each latent direction is decoded at −2 and +2
//! spreads around the centre for a few kana, and four simple statistics of the pictures are
//! compared: stroke width ("boldness"), lean ("slant"), spread of the ink ("size") and its width
//! against its height ("aspect"). A direction is named after a statistic when that one clearly
//! dominates; otherwise it stays "style N".

use crate::data::classes;
use crate::error::Result;
use crate::models::generator::{GeneratorCheckpoint, Prior};

/// The kana each direction is measured on.
const PROBES: [char; 8] = ['あ', 'か', 'さ', 'な', 'ア', 'カ', 'サ', 'ナ'];

/// How far each side of the centre a direction is measured, in spreads.
const REACH: f32 = 2.0;

/// The statistics, with the change that counts as clear for each, and what more of it looks like.
const MEASURES: [(&str, f32, &str, &str); 4] = [
    ("boldness", 0.5, "bolder", "thinner"),
    ("slant", 0.08, "leans right", "leans left"),
    ("size", 0.015, "larger", "smaller"),
    ("aspect", 0.1, "wider", "taller"),
];

/// A named slider direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Direction {
    /// The latent dimension.
    pub dim: usize,
    /// "slant", "boldness", …, or "style N".
    pub name: String,
    /// What moving it to the right does, measured.
    pub effect: String,
}

/// Statistics of one ink picture (ink bright).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InkStats {
    /// Stroke width in pixels: twice the inked area over its boundary.
    pub boldness: f32,
    /// Horizontal shift per pixel down the ink's main axis, leaning right positive.
    pub slant: f32,
    /// Radius of gyration of the ink, as a fraction of the side.
    pub size: f32,
    /// ½ ln(horizontal variance / vertical variance): wider positive.
    pub aspect: f32,
}

impl InkStats {
    fn values(&self) -> [f32; 4] {
        [self.boldness, self.slant, self.size, self.aspect]
    }
}

/// The statistics of a `side`×`side` picture, or `None` when it has (almost) no ink.
pub fn ink_stats(image: &[f32], side: usize) -> Option<InkStats> {
    let at = |x: usize, y: usize| image.get(y * side + x).map_or(0.0, |v| v.clamp(0.0, 1.0));
    let (mut m, mut sx, mut sy) = (0f64, 0f64, 0f64);
    let (mut area, mut edge) = (0usize, 0usize);
    for y in 0..side {
        for x in 0..side {
            let v = f64::from(at(x, y));
            m += v;
            sx += v * x as f64;
            sy += v * y as f64;
            if at(x, y) > 0.5 {
                area += 1;
                let border = x == 0 || y == 0 || x + 1 == side || y + 1 == side;
                if border || [at(x - 1, y), at(x + 1, y), at(x, y - 1), at(x, y + 1)].iter().any(|&n| n <= 0.5) {
                    edge += 1;
                }
            }
        }
    }
    if m < 1.0 || edge == 0 {
        return None;
    }
    let (mx, my) = (sx / m, sy / m);
    let (mut vx, mut vy, mut cxy) = (0f64, 0f64, 0f64);
    for y in 0..side {
        for x in 0..side {
            let v = f64::from(at(x, y));
            let (dx, dy) = (x as f64 - mx, y as f64 - my);
            vx += v * dx * dx / m;
            vy += v * dy * dy / m;
            cxy += v * dx * dy / m;
        }
    }
    let (vx, vy) = (vx.max(1e-6), vy.max(1e-6));
    Some(InkStats {
        boldness: (2.0 * area as f64 / edge as f64) as f32,
        // y grows downwards: ink leaning right has its top to the right, a negative covariance.
        slant: (-cxy / vy) as f32,
        size: ((vx + vy).sqrt() / side.max(1) as f64) as f32,
        aspect: (0.5 * (vx / vy).ln()) as f32,
    })
}

/// The measure that clearly dominates `deltas` (each in units of its clear change): at least
/// one clear change and 1.5 times the next. Returns its index.
pub fn dominant(deltas: &[f32; 4]) -> Option<usize> {
    let mut order: Vec<usize> = (0..4).collect();
    order.sort_by(|&a, &b| deltas.get(b).map(|v| v.abs()).unwrap_or(0.0).total_cmp(&deltas.get(a).map(|v| v.abs()).unwrap_or(0.0)));
    let (&top, &next) = (order.first()?, order.get(1)?);
    let (t, n) = (deltas.get(top)?.abs(), deltas.get(next)?.abs());
    (t >= 1.0 && t >= 1.5 * n).then_some(top)
}

/// Names the directions `dims` (in slider order) of `g` by measuring them. Slow: run it on the
/// generation worker.
pub fn name_directions(g: &GeneratorCheckpoint, dims: &[usize]) -> Result<Vec<Direction>> {
    let stats = g.stats();
    let probes: Vec<usize> = PROBES.iter().filter_map(|&c| classes::index_of(c)).collect();
    let mut jobs = Vec::with_capacity(dims.len() * probes.len() * 2);
    for &d in dims {
        for &class in &probes {
            for sign in [-1.0, 1.0] {
                let mut z = stats.centre(Prior::Fitted, class);
                if let Some(v) = z.get_mut(d) {
                    *v += sign * REACH * stats.spread(d, Prior::Fitted, class);
                }
                jobs.push((class, z));
            }
        }
    }
    let refs: Vec<(usize, &[f32])> = jobs.iter().map(|(c, z)| (*c, z.as_slice())).collect();
    let images = g.decode(&refs)?;
    let side = g.side();
    let per_dim = probes.len() * 2;
    let mut used: Vec<String> = Vec::new();
    let mut named = Vec::with_capacity(dims.len());
    for (rank, (&d, pictures)) in dims.iter().zip(images.chunks(per_dim.max(1))).enumerate() {
        let mut sum = [0f32; 4];
        let mut n = 0usize;
        for pair in pictures.chunks(2) {
            if let (Some(lo), Some(hi)) = (pair.first().and_then(|p| ink_stats(p, side)), pair.get(1).and_then(|p| ink_stats(p, side))) {
                for (s, (h, l)) in sum.iter_mut().zip(hi.values().iter().zip(lo.values())) {
                    *s += h - l;
                }
                n += 1;
            }
        }
        let mean = sum.map(|s| s / n.max(1) as f32);
        let scaled: [f32; 4] = std::array::from_fn(|i| mean.get(i).zip(MEASURES.get(i)).map_or(0.0, |(m, (_, clear, _, _))| m / clear));
        let base = match dominant(&scaled).and_then(|i| MEASURES.get(i)) {
            Some((name, ..)) => (*name).to_string(),
            None => format!("style {}", rank + 1),
        };
        let copies = used.iter().filter(|u| **u == base).count();
        used.push(base.clone());
        let name = if copies == 0 { base } else { format!("{base} {}", copies + 1) };
        named.push(Direction { dim: d, name, effect: describe(&mean, &scaled) });
    }
    Ok(named)
}

/// "to the right: bolder (stroke +0.9 px), leans right (+0.10), …", largest change first.
fn describe(mean: &[f32; 4], scaled: &[f32; 4]) -> String {
    let mut parts: Vec<(f32, String)> = MEASURES
        .iter()
        .zip(mean.iter().zip(scaled))
        .map(|((name, _, more, less), (m, s))| {
            let word = if *m >= 0.0 { more } else { less };
            (s.abs(), format!("{word} ({name} {m:+.3})"))
        })
        .collect();
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let list: Vec<String> = parts.into_iter().map(|(_, p)| p).collect();
    format!("Measured from −{REACH} to +{REACH} spreads on {} kana: {}", PROBES.len(), list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line through the centre of a `side` picture, `width` pixels wide, shifted `lean`
    /// pixels right per pixel up.
    fn line(side: usize, width: usize, lean: f32, half_length: usize) -> Vec<f32> {
        let mut p = vec![0f32; side * side];
        let c = side / 2;
        for y in (c - half_length)..(c + half_length) {
            let x0 = (c as f32 + lean * (c as f32 - y as f32)).round() as usize;
            for x in x0..x0 + width {
                p[y * side + x] = 1.0;
            }
        }
        p
    }

    #[test]
    fn statistics_see_width_slant_size_and_aspect() {
        let thin = ink_stats(&line(64, 2, 0.0, 20), 64).unwrap();
        let bold = ink_stats(&line(64, 6, 0.0, 20), 64).unwrap();
        assert!(bold.boldness > thin.boldness + 2.0, "{thin:?} {bold:?}");
        assert!(thin.slant.abs() < 0.02 && thin.aspect < -1.0, "upright and tall: {thin:?}");
        let leaning = ink_stats(&line(64, 2, 0.3, 20), 64).unwrap();
        assert!((leaning.slant - 0.3).abs() < 0.05, "{leaning:?}");
        let short = ink_stats(&line(64, 2, 0.0, 10), 64).unwrap();
        assert!(short.size < thin.size * 0.6, "{short:?}");
        assert_eq!(ink_stats(&[0.0; 64 * 64], 64), None);
    }

    #[test]
    fn a_name_needs_a_clear_winner() {
        assert_eq!(dominant(&[0.2, -3.0, 0.5, 1.0]), Some(1));
        assert_eq!(dominant(&[0.2, 0.9, 0.5, 0.1]), None, "no clear change");
        assert_eq!(dominant(&[2.0, 1.6, 0.0, 0.0]), None, "two changes of a size");
    }
}
