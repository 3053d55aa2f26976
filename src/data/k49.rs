//! Kuzushiji-49 in its official layout: four `.npz` arrays and a class map in one folder, as
//! published by CODH (CC BY-SA 4.0; "KMNIST Dataset" created by CODH, adapted from "Kuzushiji
//! Dataset" created by NIJL and others, doi:10.20676/00000341).

use crate::data::classes::ClassMap;
use crate::data::labeled::LabeledImages;
use crate::data::npz::{format_shape, md5_hex, write_u8};
use crate::error::{write_atomic, Error, Result};
use std::path::Path;

/// Where the official files can be downloaded (append a file name).
pub const DOWNLOAD_BASE: &str = "http://codh.rois.ac.jp/kmnist/dataset/k49/";

/// Number of Kuzushiji-49 classes.
pub const NUM_K49_CLASSES: usize = 49;

/// Side of a Kuzushiji-49 image in pixels.
pub const IMAGE_SIZE: usize = 28;

/// File name of the training images.
pub const TRAIN_IMAGES: &str = "k49-train-imgs.npz";
/// File name of the training labels.
pub const TRAIN_LABELS: &str = "k49-train-labels.npz";
/// File name of the test images.
pub const TEST_IMAGES: &str = "k49-test-imgs.npz";
/// File name of the test labels.
pub const TEST_LABELS: &str = "k49-test-labels.npz";
/// File name of the class map.
pub const CLASSMAP: &str = "k49_classmap.csv";

/// One file of the official release: its name, size and checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficialFile {
    /// File name inside the data folder.
    pub name: &'static str,
    /// Size in bytes.
    pub bytes: u64,
    /// MD5 of the contents, lowercase hex.
    pub md5: &'static str,
}

/// The five files a Kuzushiji-49 folder must contain.
pub const OFFICIAL_FILES: [OfficialFile; 5] = [
    OfficialFile { name: TRAIN_IMAGES, bytes: 66_117_696, md5: "7ac088b20481cf51dcd01ceaab89d821" },
    OfficialFile { name: TRAIN_LABELS, bytes: 164_485, md5: "44a8e1b893f81e63ff38d73cad420f7a" },
    OfficialFile { name: TEST_IMAGES, bytes: 10_971_201, md5: "d352e201d846ce6b94f42c990966f374" },
    OfficialFile { name: TEST_LABELS, bytes: 27_450, md5: "4da6f7a62e67a832d5eb1bd85c5ee448" },
    OfficialFile { name: CLASSMAP, bytes: 697, md5: "f7d0d0391f68bdf0fe4cf160ceb85753" },
];

/// The official class map, byte for byte (`k49_classmap.csv`).
pub const CLASSMAP_CSV: &str = "index,codepoint,char
0,U+3042,あ
1,U+3044,い
2,U+3046,う
3,U+3048,え
4,U+304A,お
5,U+304B,か
6,U+304D,き
7,U+304F,く
8,U+3051,け
9,U+3053,こ
10,U+3055,さ
11,U+3057,し
12,U+3059,す
13,U+305B,せ
14,U+305D,そ
15,U+305F,た
16,U+3061,ち
17,U+3064,つ
18,U+3066,て
19,U+3068,と
20,U+306A,な
21,U+306B,に
22,U+306C,ぬ
23,U+306D,ね
24,U+306E,の
25,U+306F,は
26,U+3072,ひ
27,U+3075,ふ
28,U+3078,へ
29,U+307B,ほ
30,U+307E,ま
31,U+307F,み
32,U+3080,む
33,U+3081,め
34,U+3082,も
35,U+3084,や
36,U+3086,ゆ
37,U+3088,よ
38,U+3089,ら
39,U+308A,り
40,U+308B,る
41,U+308C,れ
42,U+308D,ろ
43,U+308F,わ
44,U+3090,ゐ
45,U+3091,ゑ
46,U+3092,を
47,U+3093,ん
48,U+309D,ゝ
";

/// The Kuzushiji-49 training and test sets, labels mapped onto the class table.
#[derive(Debug, Clone)]
pub struct K49 {
    /// The official training split (232,365 images).
    pub train: LabeledImages,
    /// The official test split (38,547 images).
    pub test: LabeledImages,
}

/// Loads Kuzushiji-49 from `dir`, which must hold the five official files under their official
/// names. With `verify_md5`, each file's size and MD5 are checked against the release first.
pub fn load(dir: &Path, verify_md5: bool) -> Result<K49> {
    for file in &OFFICIAL_FILES {
        let path = dir.join(file.name);
        if !path.is_file() {
            let shown = std::path::absolute(&path).unwrap_or(path);
            let names: Vec<&str> = OFFICIAL_FILES.iter().map(|f| f.name).collect();
            return Err(Error::file(
                shown,
                format!(
                    "missing; a Kuzushiji-49 folder must contain {} (official downloads: {DOWNLOAD_BASE})",
                    names.join(", ")
                ),
            ));
        }
    }
    if verify_md5 {
        for file in &OFFICIAL_FILES {
            verify(&dir.join(file.name), file)?;
        }
    }
    let classmap = dir.join(CLASSMAP);
    let classes = ClassMap::load(&classmap)?.len();
    if classes != NUM_K49_CLASSES {
        let reason = format!("expected the {NUM_K49_CLASSES} Kuzushiji-49 classes, found {classes}");
        return Err(Error::file(&classmap, reason));
    }
    let split = |name: &str, images: &str, labels: &str| -> Result<LabeledImages> {
        let images = dir.join(images);
        let set = LabeledImages::from_npz(name, &images, &dir.join(labels), &classmap)?;
        if (set.height, set.width) != (IMAGE_SIZE, IMAGE_SIZE) {
            let dims = format_shape(&[set.len(), set.height, set.width]);
            let reason = format!("expected images of shape (N, {IMAGE_SIZE}, {IMAGE_SIZE}), found {dims}");
            return Err(Error::file(images, reason));
        }
        Ok(set)
    };
    Ok(K49 {
        train: split("k49-train", TRAIN_IMAGES, TRAIN_LABELS)?,
        test: split("k49-test", TEST_IMAGES, TEST_LABELS)?,
    })
}

/// Checks one file against the official size, then the official MD5.
pub fn verify(path: &Path, official: &OfficialFile) -> Result<()> {
    let bytes = std::fs::metadata(path).map_err(|e| Error::file(path, e))?.len();
    if bytes != official.bytes {
        let what = if bytes < official.bytes { "truncated" } else { "wrong size" };
        return Err(Error::file(path, format!("{what}: {bytes} bytes, the official file has {}", official.bytes)));
    }
    let found = md5_hex(path)?;
    if found != official.md5 {
        let reason = format!(
            "md5 mismatch: expected {}, found {found}; the file is corrupt or not the official release",
            official.md5
        );
        return Err(Error::file(path, reason));
    }
    Ok(())
}

/// Writes a small folder in the Kuzushiji-49 format for tests: the official class map and
/// `train_per_class` / `test_per_class` synthetic images per class, shuffled. Each image is a
/// stroke whose angle and a dot whose place depend on the class, jittered by `seed`.
pub fn write_fixture(dir: &Path, train_per_class: usize, test_per_class: usize, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, format!("cannot create folder: {e}")))?;
    write_atomic(&dir.join(CLASSMAP), CLASSMAP_CSV.as_bytes())?;
    let mut rng = SplitMix(seed);
    for (per_class, images, labels) in [
        (train_per_class, TRAIN_IMAGES, TRAIN_LABELS),
        (test_per_class, TEST_IMAGES, TEST_LABELS),
    ] {
        let mut order: Vec<(u64, u8)> = (0..NUM_K49_CLASSES as u8)
            .flat_map(|c| std::iter::repeat_n(c, per_class))
            .map(|c| (rng.next(), c))
            .collect();
        order.sort_unstable();
        let labs: Vec<u8> = order.iter().map(|&(_, c)| c).collect();
        let pixels: Vec<u8> = labs.iter().flat_map(|&c| synthetic_image(c, &mut rng)).collect();
        write_u8(&dir.join(images), &[labs.len(), IMAGE_SIZE, IMAGE_SIZE], &pixels)?;
        write_u8(&dir.join(labels), &[labs.len()], &labs)?;
    }
    Ok(())
}

/// SplitMix64: a tiny deterministic generator for fixtures.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    fn signed(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// A 28x28 image for `class`: a thick stroke through the middle at a class-dependent angle and a
/// dot on a class-dependent 7x7 grid point, both jittered; 255 = ink with a soft edge.
fn synthetic_image(class: u8, rng: &mut SplitMix) -> Vec<u8> {
    let c = f32::from(class);
    let angle = std::f32::consts::PI * c / NUM_K49_CLASSES as f32 + 0.05 * rng.signed();
    let (dx, dy) = (angle.cos(), angle.sin());
    let (cx, cy) = (13.5 + rng.signed(), 13.5 + rng.signed());
    let half = 8.0 + 1.5 * rng.signed();
    let dot_x = 4.0 + 3.3 * f32::from(class % 7) + 0.5 * rng.signed();
    let dot_y = 4.0 + 3.3 * f32::from(class / 7) + 0.5 * rng.signed();
    let ink = |d: f32, r: f32| ((r + 1.0 - d).clamp(0.0, 1.0) * 255.0) as u8;
    (0..IMAGE_SIZE * IMAGE_SIZE)
        .map(|p| {
            let (x, y) = ((p % IMAGE_SIZE) as f32, (p / IMAGE_SIZE) as f32);
            let along = ((x - cx) * dx + (y - cy) * dy).clamp(-half, half);
            let stroke = (x - cx - along * dx).hypot(y - cy - along * dy);
            let dot = (x - dot_x).hypot(y - dot_y);
            ink(stroke, 1.2).max(ink(dot, 1.8))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::classes::index_of;
    use crate::data::npz::{read_u8, write_npz_raw};
    use md5::{Digest, Md5};

    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 3, 2, 7).unwrap();
        dir
    }

    fn err_text<T: std::fmt::Debug>(r: Result<T>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn classmap_const_is_the_official_file() {
        assert_eq!(CLASSMAP_CSV.len(), 697);
        assert_eq!(format!("{:x}", Md5::digest(CLASSMAP_CSV.as_bytes())), OFFICIAL_FILES[4].md5);
        let real = crate::data::test_data::fixture(CLASSMAP);
        assert_eq!(std::fs::read(&real).unwrap(), CLASSMAP_CSV.as_bytes());
        verify(&real, &OFFICIAL_FILES[4]).unwrap();
        if let Some(shared) = crate::data::test_data::shared_or_skip("classmap_const_is_the_official_file", "k49/k49_classmap.csv") {
            assert_eq!(std::fs::read(shared).unwrap(), CLASSMAP_CSV.as_bytes());
        }
    }

    #[test]
    fn fixture_round_trip() {
        let dir = fixture();
        let k = load(dir.path(), false).unwrap();
        assert_eq!((k.train.len(), k.test.len()), (49 * 3, 49 * 2));
        assert_eq!((k.train.height, k.train.width), (28, 28));
        let map = ClassMap::parse(CLASSMAP_CSV).unwrap();
        for (label, &table) in map.to_table.iter().enumerate() {
            assert_eq!(k.train.class_counts()[table], 3, "label {label}");
            assert_eq!(k.test.class_counts()[table], 2, "label {label}");
        }
        assert_eq!(map.to_table[0], index_of('あ').unwrap());
        assert_eq!(map.to_table[48], index_of('ゝ').unwrap());
        let raw = read_u8(&dir.path().join(TRAIN_LABELS)).unwrap();
        assert!(raw.data.windows(2).any(|w| w[0] > w[1]), "labels are shuffled");
        for i in 0..k.train.len() {
            let img = k.train.image(i).unwrap();
            assert!(img.contains(&255) && img.contains(&0), "image {i}");
        }
        assert_ne!(k.train.image(0), k.train.image(1));
        assert_eq!(md5_hex(&dir.path().join(CLASSMAP)).unwrap(), OFFICIAL_FILES[4].md5);
    }

    #[test]
    fn fixture_is_deterministic() {
        let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write_fixture(a.path(), 2, 1, 5).unwrap();
        write_fixture(b.path(), 2, 1, 5).unwrap();
        write_fixture(c.path(), 2, 1, 6).unwrap();
        let img = |d: &tempfile::TempDir| read_u8(&d.path().join(TRAIN_IMAGES)).unwrap();
        assert_eq!(img(&a), img(&b));
        assert_ne!(img(&a), img(&c));
    }

    #[test]
    fn verify_md5_refuses_the_fixture() {
        let dir = fixture();
        let e = err_text(load(dir.path(), true));
        assert!(e.contains(TRAIN_IMAGES) && e.contains("truncated:") && e.contains("the official file has 66117696"), "{e}");
        let own = OfficialFile { name: TRAIN_LABELS, bytes: 0, md5: "" };
        let path = dir.path().join(TRAIN_LABELS);
        let size = std::fs::metadata(&path).unwrap().len();
        let md5 = md5_hex(&path).unwrap();
        let e = err_text(verify(&path, &OfficialFile { bytes: size, md5: "0123", ..own }));
        assert!(e.contains(TRAIN_LABELS) && e.contains(&format!("md5 mismatch: expected 0123, found {md5}")), "{e}");
        assert!(e.contains("corrupt or not the official release"), "{e}");
        let md5: &'static str = Box::leak(md5.into_boxed_str());
        verify(&path, &OfficialFile { bytes: size, md5, ..own }).unwrap();
        let e = err_text(verify(&path, &OfficialFile { bytes: 1, md5, ..own }));
        assert!(e.contains("wrong size"), "{e}");
    }

    #[test]
    fn corrupt_classmap_fails_md5() {
        let dir = fixture();
        let mut bytes = CLASSMAP_CSV.as_bytes().to_vec();
        bytes[30] ^= 1;
        std::fs::write(dir.path().join(CLASSMAP), bytes).unwrap();
        let e = err_text(verify(&dir.path().join(CLASSMAP), &OFFICIAL_FILES[4]));
        assert!(e.contains(CLASSMAP) && e.contains("md5 mismatch: expected f7d0d0391f68bdf0fe4cf160ceb85753"), "{e}");
    }

    #[test]
    fn missing_file_is_named_with_the_folder_contents() {
        let dir = fixture();
        std::fs::remove_file(dir.path().join(TEST_LABELS)).unwrap();
        let e = err_text(load(dir.path(), false));
        let full = std::path::absolute(dir.path().join(TEST_LABELS)).unwrap();
        assert!(e.starts_with(&format!("{}: missing", full.display())), "{e}");
        assert!(OFFICIAL_FILES.iter().all(|f| e.contains(f.name)), "{e}");
    }

    #[test]
    fn truncated_file_is_refused() {
        let dir = fixture();
        let path = dir.path().join(TRAIN_IMAGES);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let e = err_text(load(dir.path(), false));
        assert!(e.contains(TRAIN_IMAGES) && e.contains("truncated or not an .npz archive"), "{e}");
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let dir = fixture();
        let n = 49 * 2;
        write_u8(&dir.path().join(TEST_IMAGES), &[n, 28, 27], &vec![9; n * 28 * 27]).unwrap();
        let e = err_text(load(dir.path(), false));
        assert!(e.contains(TEST_IMAGES) && e.contains("expected images of shape (N, 28, 28), found (98, 28, 27)"), "{e}");
        write_u8(&dir.path().join(TEST_IMAGES), &[n, 784], &vec![9; n * 784]).unwrap();
        let e = err_text(load(dir.path(), false));
        assert!(e.contains(TEST_IMAGES) && e.contains("found (98, 784)"), "{e}");
    }

    #[test]
    fn wrong_dtype_is_refused() {
        let dir = fixture();
        let labels: Vec<u8> = (0..49 * 3).flat_map(|i: i64| (i % 49).to_le_bytes()).collect();
        write_npz_raw(&dir.path().join(TRAIN_LABELS), "<i8", &[49 * 3], &labels).unwrap();
        let e = err_text(load(dir.path(), false));
        assert!(e.contains(TRAIN_LABELS) && e.contains("expected uint8, found int64"), "{e}");
    }

    #[test]
    fn labels_out_of_range_are_refused() {
        let dir = fixture();
        let mut labels = read_u8(&dir.path().join(TRAIN_LABELS)).unwrap().data;
        labels[5] = 49;
        labels[9] = 200;
        write_u8(&dir.path().join(TRAIN_LABELS), &[labels.len()], &labels).unwrap();
        let e = err_text(load(dir.path(), false));
        assert!(e.contains(TRAIN_LABELS) && e.contains("label 49 at position 5") && e.contains("49 classes"), "{e}");
    }

    #[test]
    fn count_mismatch_is_refused() {
        let dir = fixture();
        write_u8(&dir.path().join(TEST_LABELS), &[3], &[0, 1, 2]).unwrap();
        let e = err_text(load(dir.path(), false));
        assert!(e.contains(TEST_LABELS) && e.contains("3 labels") && e.contains("98 images"), "{e}");
    }

    #[test]
    fn foreign_classmap_is_refused() {
        let dir = fixture();
        std::fs::write(dir.path().join(CLASSMAP), "index,codepoint,char\n0,U+3042,あ\n").unwrap();
        let e = err_text(load(dir.path(), false));
        assert!(e.contains(CLASSMAP) && e.contains("expected the 49 Kuzushiji-49 classes, found 1"), "{e}");
    }
}
