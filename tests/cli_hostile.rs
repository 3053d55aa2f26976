//! The hostile inputs of issue 12 through the `fude` command line: each is refused with a message
//! naming the file (once), a batch goes on past bad files and says some failed, and `train`
//! refuses a missing output folder before it trains. Inputs are generated here, small.

mod support;

use std::path::{Path, PathBuf};
use support::{example, fude};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().to_string()
}

/// A PNG chunk: length, type, data, CRC.
fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    let mut crc = 0xFFFF_FFFFu32;
    for &b in &body {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { 0xEDB8_8320 ^ (crc >> 1) } else { crc >> 1 };
        }
    }
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out.extend_from_slice(&(!crc).to_be_bytes());
    out
}

/// A 100-byte PNG claiming `w` x `h` gray pixels: header, the start of its data, end.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&chunk(b"IHDR", &ihdr));
    png.extend_from_slice(&chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x00, 0x00]));
    png.extend_from_slice(&chunk(b"IEND", &[]));
    png
}

#[test]
fn a_batch_reports_each_bad_file_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // Regression (issue 12): this 100-byte drawing aborted the process (exit 134) and the good
    // files before it printed nothing.
    let far = write(dir.path(), "far.json", br#"{"version":1,"width":300,"height":300,"strokes":[[[10,10],[-1e12,20],[30,30]]]}"#);
    let huge = write(dir.path(), "huge.png", &png_header(20_000, 20_000));
    let zigzag: Vec<String> = (0..30_000).map(|i| format!("[{},{}]", if i % 2 == 0 { 1 } else { 299 }, i / 100)).collect();
    let long = write(dir.path(), "long.json", format!(r#"{{"version":1,"width":300,"height":300,"strokes":[[{}]]}}"#, zigzag.join(",")).as_bytes());
    let good = example("a.json");
    let o = fude(&["predict", &good, &far, &huge, &long, &example("ka.json")]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "some files failed: {err}");
    assert_eq!(out.lines().count(), 2, "both good files are read: {out}");
    assert!(out.lines().next().unwrap().starts_with(&good) && out.contains("ka.json"), "{out}");
    let line = |name: &str| err.lines().find(|l| l.contains(name)).unwrap_or_default().to_string();
    assert!(line("far.json").contains("too far outside"), "{err}");
    assert!(line("huge.png").contains("20000x20000") && line("huge.png").contains("limit is 100000000 pixels"), "{err}");
    assert!(line("long.json").contains("30000 points") && line("long.json").contains("limit is 20000"), "{err}");
    for name in ["far.json", "huge.png", "long.json"] {
        assert_eq!(line(name).matches(name).count(), 1, "the path is named once: {}", line(name));
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn hostile_npz_data_is_refused_by_eval_and_samples() {
    // Regression (issue 12): a 1 KB .npz claiming 10^12 elements aborted `eval` and `samples`.
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().to_string();
    let npz = |shape: &str, body: &[u8]| {
        let dict = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': {shape}, }}");
        let mut npy = b"\x93NUMPY\x01\x00".to_vec();
        npy.extend_from_slice(&u16::try_from(dict.len() + 1).unwrap().to_le_bytes());
        npy.extend_from_slice(dict.as_bytes());
        npy.push(b'\n');
        npy.extend_from_slice(body);
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("arr_0.npy", zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut zip, &npy).unwrap();
        zip.finish().unwrap().into_inner()
    };
    std::fs::write(p("imgs.npz"), npz("(1000000, 1000000)", &[0; 64])).unwrap();
    std::fs::write(p("labels.npz"), npz("(1000000,)", &[0; 64])).unwrap();
    std::fs::write(p("map.csv"), "index,codepoint,char\n0,U+3042,あ\n").unwrap();
    let spec = format!("npz={},{},{}", p("imgs.npz"), p("labels.npz"), p("map.csv"));
    for args in [vec!["eval", "--data", &spec], vec!["samples", "--data", &spec, "--out", &p("s.png")]] {
        let o = fude(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("imgs.npz") && err.contains("is too large (the limit is 1073741824 bytes)"), "{err}");
    }
    // A class map with one letter twice.
    std::fs::write(p("imgs.npz"), npz("(2, 2, 2)", &[0; 8])).unwrap();
    std::fs::write(p("labels.npz"), npz("(2,)", &[0, 1])).unwrap();
    std::fs::write(p("map.csv"), "index,codepoint,char\n0,U+3042,あ\n1,U+3042,あ\n").unwrap();
    let o = fude(&["samples", "--data", &spec, "--out", &p("s.png")]);
    let err = text(&o.stderr);
    assert!(err.contains("map.csv") && err.contains("already on line 2"), "{err}");
}

#[test]
fn train_refuses_a_missing_output_folder_before_training() {
    // Regression (issue 12): this failed only after the first epoch, naming a temporary file.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missing/dir/x");
    let o = fude(&["train", "--data", "fonts", "--epochs", "1", "--epoch-size", "256", "--out", &out.to_string_lossy()]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("missing/dir") && err.contains("output folder does not exist"), "{err}");
    assert!(!text(&o.stdout).contains("epoch"), "nothing was trained: {}", text(&o.stdout));
}

/// Writes large but valid inputs for the memory figures in the README into `$FUDE_BIG_DIR`:
/// `FUDE_BIG_DIR=/tmp/big cargo test --release --test cli_hostile -- --ignored big_inputs`, then
/// `/usr/bin/time -v fude predict /tmp/big/big.png` and
/// `/usr/bin/time -v fude samples --data npz=/tmp/big/imgs.npz,/tmp/big/labels.npz,/tmp/big/map.csv --out /tmp/big/s.png`.
#[test]
#[ignore = "writes large files for a manual measurement"]
fn big_inputs() {
    let Ok(dir) = std::env::var("FUDE_BIG_DIR") else { return };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A 9000x9000 gray scan (81 MB decoded) with a thick diagonal stroke.
    let side = 9000u32;
    let img = image::GrayImage::from_fn(side, side, |x, y| image::Luma([if (x as i64 - y as i64).abs() < 400 && x > 1000 && x < 8000 { 20 } else { 235 }]));
    img.save(dir.join("big.png")).unwrap();
    // 200,000 images of 28x28 (157 MB decoded), pseudo-random so they do not compress away.
    let n = 200_000usize;
    let mut state = 0x1234_5678u32;
    let imgs: Vec<u8> = (0..n * 784)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    fude::data::npz::write_u8(&dir.join("imgs.npz"), &[n, 28, 28], &imgs).unwrap();
    let labels: Vec<u8> = (0..n).map(|i| (i % 2) as u8).collect();
    fude::data::npz::write_u8(&dir.join("labels.npz"), &[n], &labels).unwrap();
    std::fs::write(dir.join("map.csv"), "index,codepoint,char\n0,U+3042,あ\n1,U+3044,い\n").unwrap();
}
