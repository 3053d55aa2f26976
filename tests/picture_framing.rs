//! Issue 21: how pictures framed in different ways read, each way of reading them side by side.
//! A printed measurement, not a check:
//! `cargo test --release --test picture_framing -- --ignored --nocapture` (`FUDE_MODEL=PATH` for
//! another recognizer than the bundled one).
//!
//! Every picture is read as a writing box (`--as-box`), cropped to its ink (or to its frame's
//! inside), as `fude predict` reads
//! it, by session 14's rule (a dataset cell only when square, at most 96 pixels and filled at least
//! 80%), and with the mean and geometric mean of the box and crop readings; and, for pictures no
//! larger than the model input, blurred first (σ 0.6 px, as resampling softens the training draws
//! of a dataset cell, and as `predict --script kuzushiji` reads them), alone and averaged with the
//! picture as it is. A reading is right when
//! its best class, with each small kana counted as its full-size form, is the picture's.

mod support;

use fude::data::augment::Augment;
use fude::data::classes;
use fude::data::scans::ScanSource;
use fude::data::{DrawingSource, FontSource, Source, Split};
use fude::ink::picture::{crop_character, picture_input, PictureOptions};
use fude::ink::{model_input, InkImage, INPUT_SIDE};
use fude::models::recognizer::reading::{full_size_of, KUZUSHIJI_THUMBNAIL_BLUR};
use fude::models::CpuRecognizer;

/// The class, a small kana counted as its full-size form.
fn size_blind(c: usize) -> usize {
    classes::get(c).and_then(|k| full_size_of(k.ch)).and_then(classes::index_of).unwrap_or(c)
}

fn best_size_blind(p: &[f32]) -> usize {
    let mut q = vec![0.0f32; p.len()];
    for (c, v) in p.iter().enumerate() {
        q[size_blind(c)] += v;
    }
    q.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0
}

/// A dataset-like cell of a rendered box: the ink's bounding box with `margin` of its longer side
/// around it, made square and resampled to the model's input side.
fn as_cell(img: &InkImage, margin: f32) -> Option<InkImage> {
    let input = model_input(img);
    let n = INPUT_SIDE;
    let inked: Vec<(usize, usize)> = (0..n * n).filter(|&i| input[i] > 0.2).map(|i| (i % n, i / n)).collect();
    let (x0, x1) = (inked.iter().map(|p| p.0).min()?, inked.iter().map(|p| p.0).max()?);
    let (y0, y1) = (inked.iter().map(|p| p.1).min()?, inked.iter().map(|p| p.1).max()?);
    let side = ((x1 - x0 + 1).max(y1 - y0 + 1)) as f32 * (1.0 + 2.0 * margin);
    let (cx, cy) = ((x0 + x1 + 1) as f32 / 2.0, (y0 + y1 + 1) as f32 / 2.0);
    let mut out = InkImage::new(n, n);
    for oy in 0..n {
        for ox in 0..n {
            let sx = cx - side / 2.0 + (ox as f32 + 0.5) * side / n as f32 - 0.5;
            let sy = cy - side / 2.0 + (oy as f32 + 0.5) * side / n as f32 - 0.5;
            let mut v = 0.0;
            for (dx, dy) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
                let (px, py) = (sx.floor() + dx, sy.floor() + dy);
                if px >= 0.0 && py >= 0.0 && px < n as f32 && py < n as f32 {
                    v += (1.0 - (sx - px).abs()) * (1.0 - (sy - py).abs()) * input[py as usize * n + px as usize];
                }
            }
            out.data[oy * n + ox] = v;
        }
    }
    Some(out)
}

fn report(name: &str, rec: &CpuRecognizer, set: &[(InkImage, usize)]) {
    let mut right = [0usize; 8];
    for (img, class) in set {
        let want = size_blind(*class);
        let as_box = rec.probabilities(&model_input(img)).unwrap();
        let c = crop_character(img).unwrap();
        let cropped = rec.probabilities(&model_input(&c.image)).unwrap();
        // A picture `predict` finds no ink in (an error there) counts as a miss.
        let read = |o: PictureOptions| picture_input(img, o).map_or_else(|_| vec![0.0; as_box.len()], |p| rec.probabilities(&p.input).unwrap());
        let predict = read(PictureOptions::default());
        // A thumbnail blurred as resampling softens every augmented training draw of a dataset
        // cell, as `predict --script kuzushiji` reads it (larger pictures are read as before),
        // alone and averaged with the picture as it is.
        let softened = read(PictureOptions { thumbnail_blur: KUZUSHIJI_THUMBNAIL_BLUR, ..PictureOptions::default() });
        let with_softened: Vec<f32> = predict.iter().zip(&softened).map(|(a, b)| a + b).collect();
        let (long, short) = (img.width.max(img.height), img.width.min(img.height));
        // (A frame's inside is what `crop_character` returns, read as the writing box.)
        let old_cell = !c.framed && long <= 96 && long * 4 <= short * 5 && c.fill >= 0.8;
        let old = if old_cell { as_box.clone() } else { cropped.clone() };
        let mean: Vec<f32> = as_box.iter().zip(&cropped).map(|(a, b)| a + b).collect();
        let geo: Vec<f32> = as_box.iter().zip(&cropped).map(|(a, b)| (a.max(1e-9) * b.max(1e-9)).sqrt()).collect();
        for (r, p) in right.iter_mut().zip([&as_box, &cropped, &predict, &old, &mean, &geo, &softened, &with_softened]) {
            *r += usize::from(best_size_blind(p) == want);
        }
    }
    let pct = |r: usize| 100.0 * r as f64 / set.len().max(1) as f64;
    println!(
        "| {name} | {} | {:.2}% | {:.2}% | **{:.2}%** | {:.2}% | {:.2}% | {:.2}% | {:.2}% | {:.2}% |",
        set.len(),
        pct(right[0]),
        pct(right[1]),
        pct(right[2]),
        pct(right[3]),
        pct(right[4]),
        pct(right[5]),
        pct(right[6]),
        pct(right[7])
    );
}

#[test]
#[ignore = "a printed measurement, not a check"]
fn framings() {
    let ck = support::recognizer_under_test();
    let rec = CpuRecognizer::new(&ck.model).unwrap();
    println!("| pictures (held out) | n | as a box | cropped | as `predict` reads | session 14's rule | mean | geometric mean | thumbnails softened | mean with softened |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    report("kuzushiji sample, 28x28 as published", &rec, &support::held_out_pictures(&support::kuzushiji_sample_spec()));
    report("thin-pen scans, 64x63", &rec, &ScanSource::new(Split::Test, false).eval_ink(0, Augment::NONE));
    let full_size = |v: Vec<(InkImage, usize)>| v.into_iter().filter(|(_, c)| !classes::get(*c).unwrap().is_small()).collect::<Vec<_>>();
    let fonts = || full_size(FontSource::new(Split::Test).eval_ink(64, Augment::EVAL));
    let drawings = || full_size(DrawingSource::new(Split::Test).eval_ink(64, Augment::EVAL));
    report("fonts in 28-pixel boxes", &rec, &full_size(FontSource::new(Split::Test).eval_ink(28, Augment::EVAL)));
    report("drawings in 28-pixel boxes", &rec, &full_size(DrawingSource::new(Split::Test).eval_ink(28, Augment::EVAL)));
    report("drawings shrunk to 0.6 in 28-pixel boxes", &rec, &full_size(DrawingSource::shrunk(Split::Test, 0.6).eval_ink(28, Augment::EVAL)));
    report("drawings shrunk to 0.6 in 32-pixel boxes", &rec, &full_size(DrawingSource::shrunk(Split::Test, 0.6).eval_ink(32, Augment::EVAL)));
    for margin in [0.0f32, 0.05] {
        let cells = |v: Vec<(InkImage, usize)>| v.into_iter().filter_map(|(i, c)| as_cell(&i, margin).map(|x| (x, c))).collect::<Vec<_>>();
        report(&format!("fonts as 28x28 cells, margin {margin}"), &rec, &cells(fonts()));
        report(&format!("drawings as 28x28 cells, margin {margin}"), &rec, &cells(drawings()));
    }
}

