//! Decoding picture files into an [`InkImage`] in bounded memory: the size is read from the
//! header and refused before anything is decoded, the decoded pixels go straight to one 8-bit
//! ink value each, and very large pictures are area-averaged down before they become floats.

use super::InkImage;
use crate::error::{Error, Result};
use image::{DynamicImage, ImageReader, Limits};
use std::io::{BufRead, Cursor, Seek};
use std::path::Path;

/// Most pixels in a picture, read from its header before decoding: a 600 dpi scan of an A4
/// page is 35 million.
pub const MAX_IMAGE_PIXELS: u64 = 100_000_000;

/// Most bytes a decoder may allocate (a backstop behind [`MAX_IMAGE_PIXELS`]; 16-bit RGBA
/// pictures need 8 bytes a pixel).
pub const MAX_DECODER_BYTES: u64 = 1 << 30;

/// Pictures whose longer side exceeds this are area-averaged down (by a whole factor) before
/// preprocessing, which works in floats; the model sees 28x28 pixels, so nothing it uses is lost.
pub const WORK_SIDE: usize = 2048;

/// Decodes a picture file (PNG, JPEG, BMP, GIF, WebP, TIFF) into ink values.
pub(super) fn load(path: &Path) -> Result<InkImage> {
    // As `ImageReader::open`, the extension gives the format the content does not tell.
    let open = || {
        let file = crate::error::open_regular(path, "picture").map_err(|e| e.without_path(path))?;
        let mut reader = ImageReader::new(std::io::BufReader::new(file));
        if let Ok(format) = image::ImageFormat::from_path(path) {
            reader.set_format(format);
        }
        Ok(reader)
    };
    decode_with(open).map_err(|reason| Error::file(path, reason))
}

/// Decodes a picture held in memory, as [`InkImage::load`] does a file; the error is the reason.
pub fn from_bytes(bytes: &[u8]) -> std::result::Result<InkImage, String> {
    decode_with(|| Ok(ImageReader::new(Cursor::new(bytes))))
}

/// Reads the size from the header (opening the source once), refuses it over the limit, then
/// opens it again and decodes it.
fn decode_with<R: BufRead + Seek>(open: impl Fn() -> std::result::Result<ImageReader<R>, String>) -> std::result::Result<InkImage, String> {
    let reader = || -> std::result::Result<ImageReader<R>, String> {
        let mut r = open()?.with_guessed_format().map_err(|e| e.to_string())?;
        let mut limits = Limits::default();
        limits.max_alloc = Some(MAX_DECODER_BYTES);
        r.limits(limits);
        Ok(r)
    };
    let (w, h) = reader()?.into_dimensions().map_err(|e| decode_error(&e))?;
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_IMAGE_PIXELS {
        return Err(format!("the picture is {w}x{h}, {pixels} pixels: too large (the limit is {MAX_IMAGE_PIXELS} pixels)"));
    }
    if pixels == 0 {
        return Err("image is empty".into());
    }
    let img = reader()?.decode().map_err(|e| decode_error(&e))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let gray = ink_u8(img);
    let (w, h, gray) = shrink(w, h, gray, WORK_SIDE);
    InkImage::from_u8(w, h, &gray).ok_or_else(|| "image is empty".to_string())
}

/// The reason a decode failed, saying "truncated" when the decoder ran out of data.
fn decode_error(e: &image::ImageError) -> String {
    let text = e.to_string();
    let lower = text.to_lowercase();
    let truncated = ["eof", "end of file", "unexpected end", "truncated", "not enough data", "no more data"];
    if truncated.iter().any(|t| lower.contains(t)) {
        format!("cannot decode image: the file is truncated ({text})")
    } else if matches!(e, image::ImageError::Limits(_)) {
        format!("cannot decode image: too large ({text})")
    } else {
        format!("cannot decode image: {text}")
    }
}

/// One byte of ink per pixel, consuming the decoded image: alpha when the picture has real
/// transparency (transparent background, opaque ink), otherwise luminance (as
/// [`InkImage::from_dynamic`]). Gray pictures are used as decoded, without a copy.
fn ink_u8(img: DynamicImage) -> Vec<u8> {
    let luma = |r: u8, g: u8, b: u8| (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)).round() as u8;
    let uses_alpha = |alphas: &mut dyn Iterator<Item = u8>| {
        let (lo, hi) = alphas.fold((255u8, 0u8), |(lo, hi), a| (lo.min(a), hi.max(a)));
        lo < 128 && hi > 128
    };
    match img {
        DynamicImage::ImageLuma8(g) => g.into_raw(),
        DynamicImage::ImageRgb8(rgb) => rgb.as_raw().chunks_exact(3).map(|p| match p {
            [r, g, b] => luma(*r, *g, *b),
            _ => 0,
        }).collect(),
        DynamicImage::ImageLumaA8(la) => {
            let raw = la.as_raw();
            let alpha = uses_alpha(&mut raw.iter().skip(1).step_by(2).copied());
            raw.iter().skip(usize::from(alpha)).step_by(2).copied().collect()
        }
        other => {
            let rgba = match other {
                DynamicImage::ImageRgba8(rgba) => rgba,
                more => more.to_rgba8(),
            };
            let raw = rgba.as_raw();
            let alpha = uses_alpha(&mut raw.iter().skip(3).step_by(4).copied());
            raw.chunks_exact(4).map(|p| match p {
                [_, _, _, a] if alpha => *a,
                [r, g, b, _] => luma(*r, *g, *b),
                _ => 0,
            }).collect()
        }
    }
}

/// Area-averages `w` x `h` values down by the smallest whole factor that brings the longer side
/// to at most `side`; smaller images are returned as they are.
fn shrink(w: usize, h: usize, data: Vec<u8>, side: usize) -> (usize, usize, Vec<u8>) {
    let f = w.max(h).div_ceil(side.max(1));
    if f <= 1 {
        return (w, h, data);
    }
    let (sw, sh) = (w.div_ceil(f), h.div_ceil(f));
    let mut sums = vec![0u32; sw * sh];
    let mut counts = vec![0u32; sw * sh];
    for (y, row) in data.chunks_exact(w.max(1)).enumerate() {
        let base = (y / f) * sw;
        for (x, &v) in row.iter().enumerate() {
            let i = base + x / f;
            if let (Some(s), Some(c)) = (sums.get_mut(i), counts.get_mut(i)) {
                *s += u32::from(v);
                *c += 1;
            }
        }
    }
    let out = sums.iter().zip(&counts).map(|(&s, &c)| ((s + c / 2) / c.max(1)) as u8).collect();
    (sw, sh, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG chunk: length, type, data, CRC.
    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    }

    /// A PNG that is only its signature and header chunk: enough for nothing.
    fn png_header_only(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&chunk(b"IHDR", &ihdr));
        png
    }

    /// A small PNG claiming `w` x `h` gray pixels: header, the start of its data, end.
    fn png_claiming(w: u32, h: u32) -> Vec<u8> {
        let mut png = png_header_only(w, h);
        png.extend_from_slice(&chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x00, 0x00]));
        png.extend_from_slice(&chunk(b"IEND", &[]));
        png
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }

    #[test]
    fn huge_pictures_are_refused_from_their_header() {
        // Regression (issue 12): a 439 KB 20000x20000 PNG took 3.45 GB. Refused before decoding:
        // the file here holds the header and a few bytes of data.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("huge.png");
        std::fs::write(&p, png_claiming(20_000, 20_000)).unwrap();
        let e = InkImage::load(&p).unwrap_err().to_string();
        assert!(e.contains("huge.png") && e.contains("20000x20000") && e.contains("limit is 100000000 pixels"), "{e}");
    }

    #[test]
    fn truncated_pictures_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cut.png");
        std::fs::write(&p, png_header_only(64, 64)).unwrap();
        let e = InkImage::load(&p).unwrap_err().to_string();
        assert!(e.contains("cut.png") && e.contains("truncated"), "{e}");
        let mut img = image::GrayImage::new(64, 64);
        img.put_pixel(3, 3, image::Luma([255]));
        img.save(&p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let e = InkImage::load(&p).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn decoding_matches_the_float_path() {
        // Colour, gray+alpha and RGBA pictures give the ink of `from_dynamic`, within rounding.
        let mut rgba = image::RgbaImage::new(5, 4);
        rgba.put_pixel(1, 1, image::Rgba([0, 0, 0, 255]));
        let mut rgb = image::RgbImage::from_pixel(5, 4, image::Rgb([250, 240, 230]));
        rgb.put_pixel(2, 2, image::Rgb([10, 200, 30]));
        let mut la = image::GrayAlphaImage::new(5, 4);
        la.put_pixel(4, 3, image::LumaA([0, 255]));
        for img in [DynamicImage::ImageRgba8(rgba), DynamicImage::ImageRgb8(rgb), DynamicImage::ImageLumaA8(la)] {
            let want = InkImage::from_dynamic(&img);
            let got = InkImage::from_u8(5, 4, &ink_u8(img)).unwrap();
            let worst = want.data.iter().zip(&got.data).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst <= 0.5 / 255.0 + 1e-6, "{worst}");
        }
    }

    #[test]
    fn large_pictures_are_shrunk_by_area() {
        assert_eq!(shrink(3, 2, vec![1, 2, 3, 4, 5, 6], 4), (3, 2, vec![1, 2, 3, 4, 5, 6]));
        let (w, h, v) = shrink(5, 3, vec![10, 20, 30, 40, 50, 0, 0, 0, 0, 0, 90, 90, 90, 90, 90], 2);
        assert_eq!((w, h), (2, 1));
        // (10+20+30 + 0+0+0 + 90+90+90) / 9 and (40+50 + 0+0 + 90+90) / 6, rounded.
        assert_eq!(v, vec![37, 45]);
        // A 5000x3000 scan of one bar reads like its 28x28 input at full size.
        let (w, h) = (5000, 3000);
        let mut data = vec![255u8; w * h];
        for y in 1200..1500 {
            for x in 1000..4000 {
                data[y * w + x] = 0;
            }
        }
        let full = crate::ink::model_input(&InkImage::from_u8(w, h, &data).unwrap());
        let (sw, sh, small) = shrink(w, h, data, WORK_SIDE);
        assert_eq!((sw, sh), (1667, 1000));
        let reduced = crate::ink::model_input(&InkImage::from_u8(sw, sh, &small).unwrap());
        let worst = full.iter().zip(&reduced).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 0.1, "{worst}");
    }
}
