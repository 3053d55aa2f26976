//! [`InkImage`]: a grayscale float image of any size and either polarity, the common currency
//! between decoders, rasterizers and the preprocessing.

use crate::error::{Error, Result};
use std::path::Path;

/// A grayscale image with values in 0..=1, row-major. Polarity is not fixed: preprocessing
/// detects it.
#[derive(Debug, Clone, PartialEq)]
pub struct InkImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` values in 0..=1.
    pub data: Vec<f32>,
}

impl InkImage {
    /// A black image.
    pub fn new(width: usize, height: usize) -> Self {
        InkImage {
            width,
            height,
            data: vec![0.0; width * height],
        }
    }

    /// From 8-bit gray values (0 = black). Returns `None` if the length does not match.
    pub fn from_u8(width: usize, height: usize, pixels: &[u8]) -> Option<Self> {
        (pixels.len() == width * height && width > 0 && height > 0).then(|| InkImage {
            width,
            height,
            data: pixels.iter().map(|&p| f32::from(p) / 255.0).collect(),
        })
    }

    /// From a decoded image. If the image has real transparency (transparent background, opaque
    /// ink), alpha is the ink; otherwise luminance is used and polarity is left to preprocessing.
    pub fn from_dynamic(img: &image::DynamicImage) -> Self {
        let rgba = img.to_rgba8();
        let (w, h) = (rgba.width() as usize, rgba.height() as usize);
        let alphas = rgba.pixels().map(|p| p.0[3]);
        let (lo, hi) = alphas.fold((255u8, 0u8), |(lo, hi), a| (lo.min(a), hi.max(a)));
        let use_alpha = lo < 128 && hi > 128;
        let data = rgba
            .pixels()
            .map(|p| {
                let [r, g, b, a] = p.0;
                if use_alpha {
                    f32::from(a) / 255.0
                } else {
                    (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)) / 255.0
                }
            })
            .collect();
        InkImage {
            width: w,
            height: h,
            data,
        }
    }

    /// Decodes an image file (PNG, JPEG, BMP, GIF, WebP, TIFF) in bounded memory: see
    /// [`super::decode`] for the limits.
    pub fn load(path: &Path) -> Result<Self> {
        super::decode::load(path)
    }

    /// The value at (x, y), or 0 outside the image.
    pub fn get(&self, x: usize, y: usize) -> f32 {
        if x < self.width {
            self.data.get(y * self.width + x).copied().unwrap_or(0.0)
        } else {
            0.0
        }
    }

    /// As 8-bit gray (0..=255).
    pub fn to_u8(&self) -> Vec<u8> {
        self.data
            .iter()
            .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect()
    }

    /// A sheet of square `side` x `side` cells (values 0..=1, ink bright), `cols` per row with a
    /// `gap`-pixel margin, as dark ink on white paper (as people look at writing).
    pub fn sheet(cells: &[&[f32]], side: usize, cols: usize, gap: usize) -> InkImage {
        let cols = cols.clamp(1, cells.len().max(1));
        let rows = cells.len().div_ceil(cols).max(1);
        let pitch = side + gap;
        let mut img = InkImage::new(cols * pitch + gap, rows * pitch + gap);
        img.data.iter_mut().for_each(|v| *v = 1.0);
        let width = img.width;
        for (i, cell) in cells.iter().enumerate() {
            let (x0, y0) = ((i % cols) * pitch + gap, (i / cols) * pitch + gap);
            for (p, v) in cell.iter().enumerate().take(side * side) {
                if let Some(d) = img.data.get_mut((y0 + p / side) * width + x0 + p % side) {
                    *d = 1.0 - v.clamp(0.0, 1.0);
                }
            }
        }
        img
    }

    /// This image blurred by a separable Gaussian of `sigma` pixels (taps outside the image are
    /// skipped; `sigma` at most 0.05 returns a copy).
    pub fn blurred(&self, sigma: f32) -> InkImage {
        if sigma <= 0.05 || self.width == 0 || self.height == 0 {
            return self.clone();
        }
        let r = (sigma * 2.5).ceil() as usize;
        let kernel: Vec<f32> = (0..=2 * r)
            .map(|i| {
                let d = i as f32 - r as f32;
                (-(d * d) / (2.0 * sigma * sigma)).exp()
            })
            .collect();
        let norm: f32 = kernel.iter().sum();
        let (w, h) = (self.width, self.height);
        // Horizontal: each output sums the taps that fall inside its row, in kernel order.
        let mut tmp = vec![0.0f32; w * h];
        for (src, dst) in self.data.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
            for (x, d) in dst.iter_mut().enumerate() {
                let k0 = r.saturating_sub(x);
                let k1 = (2 * r + 1).min(w + r - x);
                let taps = kernel.get(k0..k1).unwrap_or(&[]);
                let from = src.get(x + k0 - r..).unwrap_or(&[]);
                *d = taps.iter().zip(from).fold(0.0, |acc, (k, v)| acc + k * v) / norm;
            }
        }
        // Vertical: accumulate whole rows, tap by tap, in kernel order.
        let mut out = vec![0.0f32; w * h];
        for (y, dst) in out.chunks_exact_mut(w).enumerate() {
            let k0 = r.saturating_sub(y);
            let k1 = (2 * r + 1).min(h + r - y);
            for k in k0..k1 {
                let kv = kernel.get(k).copied().unwrap_or(0.0);
                let row = tmp.get((y + k - r) * w..(y + k - r + 1) * w).unwrap_or(&[]);
                dst.iter_mut().zip(row).for_each(|(d, v)| *d += kv * v);
            }
            dst.iter_mut().for_each(|d| *d /= norm);
        }
        InkImage { width: w, height: h, data: out }
    }

    /// Saves as an 8-bit grayscale PNG, atomically.
    pub fn save_png(&self, path: &Path) -> Result<()> {
        let img = image::GrayImage::from_raw(self.width as u32, self.height as u32, self.to_u8())
            .ok_or_else(|| Error::file(path, "image buffer size mismatch"))?;
        // Encoded in memory, then written, flushed and synced to a temporary file renamed into
        // place: a write error (a full disk) is reported, never lost in a buffered writer's drop,
        // and an existing file is only replaced by a complete one.
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).map_err(|e| Error::file(path, e))?;
        crate::error::write_atomic(path, &png)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_is_ink_for_transparent_images() {
        let mut img = image::RgbaImage::new(4, 4);
        img.put_pixel(1, 1, image::Rgba([0, 0, 0, 255]));
        let ink = InkImage::from_dynamic(&image::DynamicImage::ImageRgba8(img));
        assert_eq!(ink.get(1, 1), 1.0);
        assert_eq!(ink.get(0, 0), 0.0);
    }

    #[test]
    fn opaque_images_use_luminance() {
        let mut img = image::RgbImage::from_pixel(3, 3, image::Rgb([255, 255, 255]));
        img.put_pixel(0, 0, image::Rgb([0, 0, 0]));
        let ink = InkImage::from_dynamic(&image::DynamicImage::ImageRgb8(img));
        assert!(ink.get(0, 0) < 0.01);
        assert!(ink.get(2, 2) > 0.99);
    }

    #[test]
    fn sheets_place_cells_dark_on_white() {
        let a = [1.0f32; 4];
        let b = [0.0f32, 1.0, 0.0, 0.0];
        let s = InkImage::sheet(&[&a, &b, &a], 2, 2, 1);
        assert_eq!((s.width, s.height), (7, 7));
        assert_eq!(s.get(0, 0), 1.0, "margin is paper");
        assert_eq!(s.get(1, 1), 0.0, "cell 0 is ink");
        assert_eq!(s.get(5, 1), 0.0, "cell 1's second pixel is ink");
        assert_eq!(s.get(4, 1), 1.0);
        assert_eq!(s.get(1, 4), 0.0, "cell 2 starts the second row");
    }

    #[test]
    fn png_round_trip_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.png");
        let img = InkImage::from_u8(2, 2, &[0, 255, 128, 0]).unwrap();
        img.save_png(&p).unwrap();
        assert_eq!(InkImage::load(&p).unwrap().to_u8(), vec![0, 255, 128, 0]);
        let bad = dir.path().join("bad.png");
        std::fs::write(&bad, b"not a png at all").unwrap();
        let e = InkImage::load(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.png"), "{e}");
        assert!(InkImage::from_u8(2, 2, &[0]).is_none());
    }

    #[test]
    fn blur_matches_a_direct_convolution() {
        let mut img = InkImage::new(56, 56);
        for y in 20..36 {
            for x in 20..36 {
                img.data[y * 56 + x] = 1.0;
            }
        }
        img.data[3] = 1.0;
        img.data[56 * 55 + 54] = 1.0;
        assert_eq!(img.blurred(0.05), img, "no blur at all below 0.05 px");
        for sigma in [0.4f32, 1.0, 2.2] {
            let fast = img.blurred(sigma);
            let r = (sigma * 2.5).ceil() as isize;
            let k = |d: isize| (-((d * d) as f32) / (2.0 * sigma * sigma)).exp();
            let norm: f32 = (-r..=r).map(k).sum();
            for y in 0..56isize {
                for x in 0..56isize {
                    let mut acc = 0.0;
                    for dy in -r..=r {
                        for dx in -r..=r {
                            let (sx, sy) = (x + dx, y + dy);
                            if (0..56).contains(&sx) && (0..56).contains(&sy) {
                                acc += k(dx) * k(dy) * img.data[(sy * 56 + sx) as usize];
                            }
                        }
                    }
                    let got = fast.data[(y * 56 + x) as usize];
                    assert!((got - acc / (norm * norm)).abs() < 1e-5, "sigma {sigma} at {x},{y}");
                }
            }
        }
    }
}
