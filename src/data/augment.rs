//! Augmentation: random geometry (size, shift, rotation, shear), stroke thickness, elastic
//! distortion, blur and speckle noise, all seeded so a sample is reproducible.

use crate::ink::InkImage;
use rand::Rng;
use tiny_skia::Transform;

/// How strong the augmentation is: 1.0 for training, smaller for evaluation sets, 0 for none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Augment {
    /// Scales every random range.
    pub strength: f32,
    /// Whether the raster effects (thickness, blur, speckles, pixel noise) apply; the generator
    /// learns from clean ink and turns them off.
    pub effects: bool,
    /// Whether a full-size kana is sometimes written small, anywhere but low in its box (see
    /// [`super::placement`]); only training samples of canvas-like sources get it.
    pub placement: bool,
}

impl Augment {
    /// Full training augmentation.
    pub const TRAIN: Augment = Augment { strength: 1.0, effects: true, placement: true };
    /// Full shape variation (geometry, elastic distortion, pen width, jitter) without raster
    /// effects: clean ink, as the generator is trained on.
    pub const SHAPE: Augment = Augment { strength: 1.0, effects: false, placement: false };
    /// Milder augmentation used for held-out evaluation sets.
    pub const EVAL: Augment = Augment { strength: 0.5, effects: true, placement: false };
    /// No augmentation.
    pub const NONE: Augment = Augment { strength: 0.0, effects: true, placement: false };

    /// A uniform draw in `±range·strength` around `centre`.
    fn around(&self, rng: &mut impl Rng, centre: f32, range: f32) -> f32 {
        let r = range * self.strength;
        if r <= 0.0 {
            centre
        } else {
            centre + rng.random_range(-r..=r)
        }
    }

    /// Whether an optional effect with base probability `p` applies.
    fn chance(&self, rng: &mut impl Rng, p: f32) -> bool {
        let p = (p * self.strength).clamp(0.0, 1.0);
        p > 0.0 && rng.random::<f32>() < p
    }

    /// A random similarity + shear in box units (0..1), around the box centre, then scaled to a
    /// raster of `side` pixels: size ×0.78–1.08, aspect ±8%, rotation ±8°, shear ±0.15, shift ±6%.
    pub fn geometry(&self, rng: &mut impl Rng, side: f32) -> Transform {
        self.geometry_around(rng, side, 0.93, 1.0)
    }

    /// Geometry for pictures mined from scans, which already fill their box: size 0.9–1.1, and
    /// every other range halved; maps pixels of a `side` image to pixels.
    pub fn image_geometry(&self, rng: &mut impl Rng, side: f32) -> Transform {
        Transform::from_scale(1.0 / side, 1.0 / side).post_concat(self.geometry_around(rng, side, 1.0, 0.5))
    }

    /// Geometry for dataset cells (Kuzushiji-49 and other published arrays), which fill their
    /// box: size 0.85–1.15 and a drawing's full ranges of aspect, rotation, shear and shift around
    /// the cell's own centre; maps pixels of a `side` image to pixels. A few hundred cells a class
    /// are all a dataset gives, and the wider ranges read held-out cells better (models/README.md,
    /// "Session 28" and "Session 29").
    pub fn cell_geometry(&self, rng: &mut impl Rng, side: f32) -> Transform {
        Transform::from_scale(1.0 / side, 1.0 / side).post_concat(self.geometry_around(rng, side, 1.0, 1.0))
    }

    fn geometry_around(&self, rng: &mut impl Rng, side: f32, base: f32, k: f32) -> Transform {
        let scale = self.around(rng, base, 0.15 * k.max(0.67));
        let k = Augment { strength: self.strength * k, ..*self };
        let aspect = k.around(rng, 1.0, 0.08);
        let rot = k.around(rng, 0.0, 8.0f32.to_radians());
        let shear = k.around(rng, 0.0, 0.15);
        let dx = k.around(rng, 0.0, 0.06);
        let dy = k.around(rng, 0.0, 0.06);
        let (sin, cos) = rot.sin_cos();
        let (sx, sy) = (scale * aspect, scale / aspect);
        // Linear part: rotation · shear · scale.
        let a = cos * sx;
        let b = sin * sx;
        let c = (cos * shear - sin) * sy;
        let d = (sin * shear + cos) * sy;
        let tx = 0.5 + dx - (a * 0.5 + c * 0.5);
        let ty = 0.5 + dy - (b * 0.5 + d * 0.5);
        Transform::from_row(a, b, c, d, tx, ty).post_scale(side, side)
    }

    /// A random smooth displacement field for [`distort_path`] (amplitude 0.009–0.036 of the
    /// box), or `None` when this sample gets none.
    pub fn elastic_field(&self, rng: &mut impl Rng) -> Option<ElasticField> {
        if !self.chance(rng, 0.6) {
            return None;
        }
        let amp = rng.random_range(0.5f32..2.0) / 56.0;
        Some(ElasticField::random(rng, amp))
    }

    /// Raster elastic distortion (for images that have no vector form), then [`Self::effects`].
    pub fn raster_effects(&self, rng: &mut impl Rng, img: &mut InkImage) {
        self.raster_effects_with(rng, img, Resample::Bilinear);
    }

    /// [`Self::raster_effects`], the elastic distortion resampled with `resample`.
    pub fn raster_effects_with(&self, rng: &mut impl Rng, img: &mut InkImage, resample: Resample) {
        if self.chance(rng, 0.6) {
            let amp = rng.random_range(0.5..2.0) * img.width as f32 / 56.0;
            *img = elastic(img, rng, amp, resample);
        }
        self.effects(rng, img);
    }

    /// Applies the raster effects (thickness, blur, noise) to a rendered image.
    pub fn effects(&self, rng: &mut impl Rng, img: &mut InkImage) {
        if !self.effects {
            return;
        }
        if self.chance(rng, 0.2) {
            // Thinning must not break hairline fonts apart: keep it only if most ink survives.
            let thinner = erode(img, 1);
            let mass = |i: &InkImage| i.data.iter().sum::<f32>();
            if mass(&thinner) >= 0.6 * mass(img) {
                *img = thinner;
            }
        } else if self.chance(rng, 0.2) {
            *img = crate::ink::preprocess::dilate_image(img, 1);
        }
        if self.chance(rng, 0.5) {
            let sigma = rng.random_range(0.3..1.3) * img.width as f32 / 56.0;
            *img = img.blurred(sigma);
        }
        if self.chance(rng, 0.3) {
            let count = rng.random_range(1..25);
            speckle(img, rng, count);
        }
        if self.chance(rng, 0.3) {
            let sigma = rng.random_range(0.02..0.12);
            let table = normal_table();
            let start = rng.random_range(0..table.len());
            let stride = 1 + 2 * rng.random_range(0..table.len() / 2);
            for (i, v) in img.data.iter_mut().enumerate() {
                let n = table.get((start + i * stride) % table.len()).copied().unwrap_or(0.0);
                *v = (*v + sigma * n).clamp(0.0, 1.0);
            }
        }
    }
}

/// 4096 standard normal values drawn once from a fixed seed: pixel noise reads them at a random
/// offset and odd stride, which is far cheaper than a Box-Muller draw per pixel.
fn normal_table() -> &'static [f32] {
    static TABLE: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5EED);
        (0..4096).map(|_| gauss(&mut rng)).collect()
    })
}

/// A smooth random displacement field over the box: a 4x4 grid of offsets, bilinearly
/// interpolated.
#[derive(Debug, Clone)]
pub struct ElasticField {
    grid: [(f32, f32); 16],
}

impl ElasticField {
    /// Offsets of standard deviation `amp` (in the units the field is applied in).
    pub fn random(rng: &mut impl Rng, amp: f32) -> Self {
        let mut grid = [(0.0, 0.0); 16];
        for g in grid.iter_mut() {
            *g = (amp * gauss(rng), amp * gauss(rng));
        }
        ElasticField { grid }
    }

    /// The displacement at (u, v), both in 0..1 across the field.
    pub fn at(&self, u: f32, v: f32) -> (f32, f32) {
        const G: usize = 4;
        let gx = (u * (G - 1) as f32).clamp(0.0, (G - 1) as f32 - 1e-3);
        let gy = (v * (G - 1) as f32).clamp(0.0, (G - 1) as f32 - 1e-3);
        let (ix, iy) = (gx as usize, gy as usize);
        let (fx, fy) = (gx - ix as f32, gy - iy as f32);
        let g = |i: usize, j: usize| self.grid.get(j * G + i).copied().unwrap_or((0.0, 0.0));
        let lerp = |a: (f32, f32), b: (f32, f32), t: f32| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        let top = lerp(g(ix, iy), g(ix + 1, iy), fx);
        let bot = lerp(g(ix, iy + 1), g(ix + 1, iy + 1), fx);
        lerp(top, bot, fy)
    }
}

/// Moves every point of a path (in box units) by the field: elastic distortion of a glyph before
/// it is rasterized, at the cost of its few control points instead of every pixel.
pub fn distort_path(path: &tiny_skia::Path, field: &ElasticField) -> Option<tiny_skia::Path> {
    use tiny_skia::PathSegment;
    let d = |p: tiny_skia::Point| {
        let (dx, dy) = field.at(p.x, p.y);
        (p.x + dx, p.y + dy)
    };
    let mut pb = tiny_skia::PathBuilder::new();
    for seg in path.segments() {
        match seg {
            PathSegment::MoveTo(p) => {
                let (x, y) = d(p);
                pb.move_to(x, y);
            }
            PathSegment::LineTo(p) => {
                let (x, y) = d(p);
                pb.line_to(x, y);
            }
            PathSegment::QuadTo(c, p) => {
                let ((cx, cy), (x, y)) = (d(c), d(p));
                pb.quad_to(cx, cy, x, y);
            }
            PathSegment::CubicTo(c1, c2, p) => {
                let ((ax, ay), (bx, by), (x, y)) = (d(c1), d(c2), d(p));
                pb.cubic_to(ax, ay, bx, by, x, y);
            }
            PathSegment::Close => pb.close(),
        }
    }
    pb.finish()
}

/// `x.floor()` without a libm call on baseline x86-64 (exact for |x| < 2³¹).
#[inline]
fn floor_fast(x: f32) -> f32 {
    let t = x as i32 as f32;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// A standard normal draw (Box-Muller).
pub fn gauss(rng: &mut impl Rng) -> f32 {
    let u1: f32 = rng.random_range(1e-7..1.0);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// How a warp reads its source between pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resample {
    /// Bilinear: smooth, and it softens every edge by about half a pixel.
    Bilinear,
    /// Catmull-Rom bicubic: a picture's edges stay about as sharp as they were, which matters
    /// for pictures at the model's own resolution (dataset cells), read later as they are.
    Sharp,
}

impl Resample {
    /// The source's value at (x, y) in pixel coordinates (pixel centres at +0.5), 0 outside.
    fn at(self, img: &InkImage, x: f32, y: f32) -> f32 {
        match self {
            Resample::Bilinear => bilinear(img, x, y),
            Resample::Sharp => catmull_rom(img, x, y),
        }
    }
}

/// Catmull-Rom sample at (x, y) in pixel coordinates (pixel centres at +0.5), 0 outside,
/// clamped to 0..=1.
fn catmull_rom(img: &InkImage, x: f32, y: f32) -> f32 {
    let (x, y) = (x - 0.5, y - 0.5);
    let (x0, y0) = (floor_fast(x), floor_fast(y));
    let weights = |t: f32| {
        let (t2, t3) = (t * t, t * t * t);
        [(-t3 + 2.0 * t2 - t) * 0.5, (3.0 * t3 - 5.0 * t2 + 2.0) * 0.5, (-3.0 * t3 + 4.0 * t2 + t) * 0.5, (t3 - t2) * 0.5]
    };
    let (wx, wy) = (weights(x - x0), weights(y - y0));
    let px = |xx: f32, yy: f32| {
        if xx < 0.0 || yy < 0.0 {
            0.0
        } else {
            img.get(xx as usize, yy as usize)
        }
    };
    let mut v = 0.0;
    for (j, wy) in wy.iter().enumerate() {
        let yy = y0 + j as f32 - 1.0;
        let row: f32 = wx.iter().enumerate().map(|(i, wx)| wx * px(x0 + i as f32 - 1.0, yy)).sum();
        v += wy * row;
    }
    v.clamp(0.0, 1.0)
}

/// Bilinear sample at (x, y) in pixel coordinates (pixel centres at +0.5), 0 outside.
fn bilinear(img: &InkImage, x: f32, y: f32) -> f32 {
    let (x, y) = (x - 0.5, y - 0.5);
    let (x0, y0) = (floor_fast(x), floor_fast(y));
    let (fx, fy) = (x - x0, y - y0);
    let px = |xx: f32, yy: f32| {
        if xx < 0.0 || yy < 0.0 {
            0.0
        } else {
            img.get(xx as usize, yy as usize)
        }
    };
    let top = px(x0, y0) * (1.0 - fx) + px(x0 + 1.0, y0) * fx;
    let bot = px(x0, y0 + 1.0) * (1.0 - fx) + px(x0 + 1.0, y0 + 1.0) * fx;
    top * (1.0 - fy) + bot * fy
}

/// Resamples `img` through `inverse` (output pixel → source pixel coordinates).
pub fn warp(img: &InkImage, resample: Resample, inverse: impl Fn(f32, f32) -> (f32, f32)) -> InkImage {
    let mut out = InkImage::new(img.width, img.height);
    for y in 0..img.height {
        for x in 0..img.width {
            let (sx, sy) = inverse(x as f32 + 0.5, y as f32 + 0.5);
            if let Some(o) = out.data.get_mut(y * img.width + x) {
                *o = resample.at(img, sx, sy);
            }
        }
    }
    out
}

/// Applies a forward affine transform (in pixels) to an image, bilinearly.
pub fn warp_affine(img: &InkImage, t: Transform) -> InkImage {
    warp_affine_with(img, t, Resample::Bilinear)
}

/// Applies a forward affine transform (in pixels) to an image, resampled with `resample`.
pub fn warp_affine_with(img: &InkImage, t: Transform, resample: Resample) -> InkImage {
    match t.invert() {
        Some(inv) => warp(img, resample, |x, y| {
            let mut p = tiny_skia::Point::from_xy(x, y);
            inv.map_point(&mut p);
            (p.x, p.y)
        }),
        None => img.clone(),
    }
}

/// Elastic distortion: a smooth random displacement field (a 4x4 grid of offsets, bilinearly
/// interpolated) of amplitude `amp` pixels.
pub fn elastic(img: &InkImage, rng: &mut impl Rng, amp: f32, resample: Resample) -> InkImage {
    let field = ElasticField::random(rng, amp);
    let (w, h) = (img.width as f32, img.height as f32);
    warp(img, resample, |x, y| {
        let d = field.at(x / w, y / h);
        (x + d.0, y + d.1)
    })
}

/// Grayscale erosion (min filter) of radius `r`.
pub fn erode(img: &InkImage, r: usize) -> InkImage {
    let inv: Vec<f32> = img.data.iter().map(|v| 1.0 - v).collect();
    let d = crate::ink::preprocess::dilate(&inv, img.width, img.height, r);
    InkImage {
        width: img.width,
        height: img.height,
        data: d.into_iter().map(|v| 1.0 - v).collect(),
    }
}

/// Salt-and-pepper speckles: `count` specks of 1–2 pixels, bright or dark.
pub fn speckle(img: &mut InkImage, rng: &mut impl Rng, count: usize) {
    if img.width < 2 || img.height < 2 {
        return;
    }
    for _ in 0..count {
        let x = rng.random_range(0..img.width - 1);
        let y = rng.random_range(0..img.height - 1);
        let v = if rng.random::<f32>() < 0.7 { 1.0 } else { 0.0 };
        let size = rng.random_range(1..=2);
        for dy in 0..size {
            for dx in 0..size {
                if let Some(p) = img.data.get_mut((y + dy) * img.width + x + dx) {
                    *p = v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn blob() -> InkImage {
        let mut img = InkImage::new(56, 56);
        for y in 20..36 {
            for x in 20..36 {
                img.data[y * 56 + x] = 1.0;
            }
        }
        img
    }

    #[test]
    fn effects_are_deterministic_for_a_seed() {
        let run = |seed| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let mut img = blob();
            Augment::TRAIN.effects(&mut rng, &mut img);
            img
        };
        assert_eq!(run(3), run(3));
        assert!((0..20).any(|s| run(s) != run(s + 1)));
    }

    #[test]
    fn no_augmentation_is_identity_geometry() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let t = Augment::NONE.geometry(&mut rng, 1.0);
        let mut p = tiny_skia::Point::from_xy(0.5, 0.5);
        t.map_point(&mut p);
        assert!((p.x - 0.5).abs() < 1e-6 && (p.y - 0.5).abs() < 1e-6);
        let mut q = tiny_skia::Point::from_xy(1.0, 0.5);
        t.map_point(&mut q);
        assert!((q.x - (0.5 + 0.5 * 0.93)).abs() < 1e-5);
    }

    /// The largest distance (in pixels of a 28-pixel cell) that a random transform moves any
    /// corner of the cell, over `n` draws.
    fn widest_corner_move(n: u64, draw: impl Fn(&mut rand_chacha::ChaCha8Rng) -> Transform) -> f32 {
        let mut widest = 0.0f32;
        for seed in 0..n {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let t = draw(&mut rng);
            for (x, y) in [(0.0f32, 0.0f32), (28.0, 0.0), (0.0, 28.0), (28.0, 28.0)] {
                let mut p = [tiny_skia::Point::from_xy(x, y)];
                t.map_points(&mut p);
                widest = widest.max((p[0].x - x).hypot(p[0].y - y));
            }
        }
        widest
    }

    #[test]
    fn dataset_cells_vary_more_than_mined_pictures_and_keep_their_centre() {
        let cells = widest_corner_move(400, |rng| Augment::TRAIN.cell_geometry(rng, 28.0));
        let mined = widest_corner_move(400, |rng| Augment::TRAIN.image_geometry(rng, 28.0));
        eprintln!("widest corner move over 400 draws: dataset cells {cells:.1} px, mined pictures {mined:.1} px");
        // Full ranges move a corner up to 8.3 pixels in these draws, halved ones 4.2.
        assert!(cells > mined + 2.5, "cells {cells} against mined pictures {mined}");
        assert!(cells < 11.0, "a cell stays a cell: {cells}");
        // No augmentation leaves a cell where it is.
        let none = widest_corner_move(3, |rng| Augment::NONE.cell_geometry(rng, 28.0));
        assert!(none < 1e-4, "{none}");
    }

    #[test]
    fn blur_keeps_mass_and_erode_shrinks() {
        let img = blob();
        let m: f32 = img.data.iter().sum();
        let b: f32 = img.blurred(1.0).data.iter().sum();
        assert!((m - b).abs() / m < 0.01);
        let e: f32 = erode(&img, 1).data.iter().sum();
        assert_eq!(e, 14.0 * 14.0);
    }

    #[test]
    fn path_distortion_moves_points_smoothly() {
        let square = tiny_skia::PathBuilder::from_rect(tiny_skia::Rect::from_ltrb(0.2, 0.2, 0.8, 0.8).unwrap());
        let still = ElasticField { grid: [(0.0, 0.0); 16] };
        assert_eq!(distort_path(&square, &still).unwrap().bounds(), square.bounds());
        let shift = ElasticField { grid: [(0.05, -0.02); 16] };
        let b = distort_path(&square, &shift).unwrap().bounds();
        assert!((b.left() - 0.25).abs() < 1e-5 && (b.top() - 0.18).abs() < 1e-5);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let f = ElasticField::random(&mut rng, 0.02);
        let (a, c) = (f.at(0.5, 0.5), f.at(0.51, 0.5));
        assert!((a.0 - c.0).abs() < 0.01, "smooth");
    }

    #[test]
    fn pixel_noise_table_is_standard_normal() {
        let t = normal_table();
        let mean = t.iter().sum::<f32>() / t.len() as f32;
        let var = t.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / t.len() as f32;
        assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.1, "{mean} {var}");
    }

    #[test]
    fn warp_affine_translates() {
        let img = blob();
        let moved = warp_affine(&img, Transform::from_translate(5.0, 0.0));
        assert_eq!(moved.get(40, 28), 1.0);
        assert_eq!(moved.get(21, 28), 0.0);
    }
}
