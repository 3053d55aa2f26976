//! Seed inputs for each fuzz target, made in code (nothing large is committed): real drawings,
//! small pictures in every supported format, `.npz` archives, class maps, and a tiny checkpoint.

use super::Target;
use candle_core::{DType, Device};
use candle_nn::VarMap;
use std::io::Cursor;

/// The seed inputs of `target`.
pub fn seeds(target: Target) -> Vec<Vec<u8>> {
    match target {
        Target::Drawing => drawings(),
        Target::Picture => pictures(),
        Target::Npz => npz(),
        Target::ClassMap => vec![
            crate::data::k49::CLASSMAP_CSV.as_bytes().to_vec(),
            b"codepoint\nU+3042\nU+30A2\n".to_vec(),
            "\u{feff}index,codepoint,char\r\n1,U+304B,\u{304b}\r\n0,u+3093,\u{3093}\r\n".as_bytes().to_vec(),
        ],
        Target::Checkpoint => checkpoints(),
        Target::RecognizerSidecar => {
            let mut v = vec![include_str!("../../models/recognizer.json").as_bytes().to_vec()];
            v.extend(crate::models::recognizer::checkpoint::bundled_bytes().map(|(_, j)| j.as_bytes().to_vec()));
            v.push(include_bytes!("../../tests/fixtures/hostile/rec_huge_arch.json").to_vec());
            v.push(include_bytes!("../../tests/fixtures/hostile/r_esc.json").to_vec());
            v
        }
        Target::GeneratorSidecar => vec![
            include_str!("../../models/generator.json").as_bytes().to_vec(),
            include_bytes!("../../tests/fixtures/hostile/gen_huge_arch.json").to_vec(),
            include_bytes!("../../tests/fixtures/hostile/gen_latent_3e38.json").to_vec(),
        ],
        Target::Font => fonts(),
        Target::Spec => [
            "fonts@2,npz=a.npz,b.npz,c.csv@0.5,drawings,k49=/data/k49",
            "fonts=KleeOne-Regular.ttf+/home/me/My Font.otf@2,pens@0.5",
            "mine,mine=/h@4,scans,scans=box@1e-3",
            "fonts@1e308,drawings@1e308",
            "fonts,fonts,fonts,drawings,fonts=a.ttf+a.ttf",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect(),
    }
}

/// The bundled fonts small enough to mutate whole, and the two font bombs of issue 20.
fn fonts() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = crate::data::fonts::EMBEDDED_FONTS.iter().filter(|f| f.bytes.len() <= super::MAX_INPUT_BYTES).map(|f| f.bytes.to_vec()).collect();
    v.push(include_bytes!("../../tests/fixtures/hostile/font_composite_bomb.ttf").to_vec());
    v.push(include_bytes!("../../tests/fixtures/hostile/font_cff_subr_bomb.otf").to_vec());
    v
}

fn drawings() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        include_str!("../../assets/examples/a.json"),
        include_str!("../../assets/examples/ka.json"),
        include_str!("../../assets/examples/small-ya.json"),
        r#"{"version":1,"width":300,"height":200,"strokes":[[[150,100]],[[10,10],[290,190]]]}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    // A long zigzag (many self-crossings).
    let zig: Vec<String> = (0..400).map(|i| format!("[{},{}]", if i % 2 == 0 { 1 } else { 99 }, i / 4)).collect();
    v.push(format!(r#"{{"version":1,"width":100,"height":100,"strokes":[[{}]]}}"#, zig.join(",")).into_bytes());
    v
}

fn pictures() -> Vec<Vec<u8>> {
    let mut gray = image::GrayImage::from_pixel(24, 20, image::Luma([255]));
    for i in 3..20 {
        gray.put_pixel(i, i - 2, image::Luma([0]));
        gray.put_pixel(i, 10, image::Luma([30]));
    }
    let mut rgba = image::RgbaImage::new(16, 16);
    for i in 2..14 {
        rgba.put_pixel(i, 8, image::Rgba([0, 0, 0, 255]));
    }
    let imgs = [
        image::DynamicImage::ImageLuma8(gray.clone()),
        image::DynamicImage::ImageRgba8(rgba),
        image::DynamicImage::ImageRgb8(image::DynamicImage::ImageLuma8(gray).to_rgb8()),
    ];
    let mut out = Vec::new();
    for (i, img) in imgs.iter().enumerate() {
        let formats: &[image::ImageFormat] = match i {
            0 => &[image::ImageFormat::Png, image::ImageFormat::Bmp, image::ImageFormat::Gif, image::ImageFormat::Tiff, image::ImageFormat::WebP],
            1 => &[image::ImageFormat::Png, image::ImageFormat::WebP],
            _ => &[image::ImageFormat::Jpeg, image::ImageFormat::Png, image::ImageFormat::Bmp],
        };
        for &f in formats {
            let mut bytes = Cursor::new(Vec::new());
            if img.write_to(&mut bytes, f).is_ok() {
                out.push(bytes.into_inner());
            }
        }
    }
    out
}

fn npz() -> Vec<Vec<u8>> {
    let imgs: Vec<u8> = (0..3 * 28 * 28).map(|i| (i * 7 % 256) as u8).collect();
    [
        crate::data::npz::npz_bytes("|u1", &[3, 28, 28], &imgs),
        crate::data::npz::npz_bytes("|u1", &[5], &[0, 1, 2, 3, 48]),
        crate::data::npz::npz_bytes("<i8", &[2], &[1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The parameters the checkpoint target loads: two small tensors.
pub fn tiny_parameters() -> (Vec<(String, Vec<usize>)>, VarMap) {
    let varmap = VarMap::new();
    let expected = vec![("conv.weight".to_string(), vec![2, 1, 3, 3]), ("fc.bias".to_string(), vec![4])];
    for (name, shape) in &expected {
        let _ = varmap.get(shape.as_slice(), name, candle_nn::Init::Const(0.5), DType::F32, &Device::Cpu);
    }
    (expected, varmap)
}

/// Splits a checkpoint input into sidecar and weights: a little-endian `u32` sidecar length,
/// the sidecar, then the weights.
pub fn split_checkpoint(input: &[u8]) -> (&[u8], &[u8]) {
    let n = input.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map_or(0, |b| u32::from_le_bytes(b) as usize);
    let rest = input.get(4..).unwrap_or(&[]);
    rest.split_at(n.min(rest.len()))
}

fn checkpoints() -> Vec<Vec<u8>> {
    let (_, varmap) = tiny_parameters();
    let Ok(dir) = std::env::temp_dir().canonicalize() else {
        return Vec::new();
    };
    let path = dir.join(format!("fude-fuzz-seed-{}.safetensors", std::process::id()));
    let tensors: std::collections::HashMap<String, candle_core::Tensor> = match varmap.data().lock() {
        Ok(d) => d.iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect(),
        Err(_) => return Vec::new(),
    };
    let weights = candle_core::safetensors::save(&tensors, &path).ok().and_then(|()| std::fs::read(&path).ok()).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    let sidecar = include_str!("../../models/recognizer.json");
    let recorded = match serde_json::from_str::<serde_json::Value>(sidecar) {
        Ok(serde_json::Value::Object(mut m)) => {
            let record = serde_json::json!({"bytes": weights.len(), "sha256": crate::models::checkpoint_io::sha256_hex(&weights)});
            m.insert(crate::models::checkpoint_io::WEIGHTS_FIELD.into(), record);
            serde_json::Value::Object(m).to_string()
        }
        _ => sidecar.to_string(),
    };
    [sidecar.to_string(), recorded, r#"{"kind":"generator"}"#.to_string()]
        .iter()
        .map(|s| {
            let mut v = (s.len() as u32).to_le_bytes().to_vec();
            v.extend_from_slice(s.as_bytes());
            v.extend_from_slice(&weights);
            v
        })
        .collect()
}
