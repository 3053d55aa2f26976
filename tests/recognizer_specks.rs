//! The bundled recognizer (or `$FUDE_MODEL`, a candidate) and scanner specks: a small speck where a dakuten would sit (at the top
//! right of the letter, smaller than the pen's width) must not turn か into が. Measured on the held-out synthetic drawings of
//! the letters that have a voiced form, with and without a speck.

mod support;

use fude::data::augment::Augment;
use fude::data::classes;
use fude::data::{DrawingSource, Source, Split};
use fude::ink::{model_input, InkImage};
use fude::models::CpuRecognizer;

/// Letters with a voiced (and for the は row, a semi-voiced) form one (and two) codepoints on.
const PLAIN: &str = "かきくけこさしすせそたちつてとはひふへほカキクケコサシスセソタチツテトハヒフヘホ";

/// The speck's radius in pixels of the 56-pixel raster, where the pen is 4.2 pixels wide: with its
/// anti-aliased rim, a speck a little over half the pen's width. (Smaller ones are erased by the
/// preprocessing's speck removal; larger ones are as big as a dot written with the pen.)
const SPECK_RADIUS: f32 = 1.2;

/// A round speck of radius `r` pixels just off the top right of the ink's bounding box.
fn speck_top_right(img: &mut InkImage, r: f32) {
    let (w, h) = (img.width, img.height);
    let inked: Vec<usize> = (0..w * h).filter(|&i| img.data[i] > 0.5).collect();
    let x1 = inked.iter().map(|i| i % w).max().unwrap() as f32;
    let y0 = inked.iter().map(|i| i / w).min().unwrap() as f32;
    let x0 = inked.iter().map(|i| i % w).min().unwrap() as f32;
    let (cx, cy) = (x1 - 0.02 * (x1 - x0), y0 + 1.0);
    for y in 0..h {
        for x in 0..w {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let v = &mut img.data[y * w + x];
            *v = v.max((r + 0.5 - d).clamp(0.0, 1.0));
        }
    }
}

#[test]
fn a_speck_at_the_top_right_is_not_a_dakuten() {
    let rec = CpuRecognizer::new(&support::recognizer_under_test().model).unwrap();
    let plain: Vec<usize> = PLAIN.chars().map(|c| classes::index_of(c).unwrap()).collect();
    let voiced: Vec<usize> = PLAIN
        .chars()
        .flat_map(|c| [char::from_u32(c as u32 + 1), char::from_u32(c as u32 + 2)])
        .flatten()
        .filter_map(classes::index_of)
        // Only the marked forms: the codepoint two on from つ, と, ツ and ト is て, な, テ and ナ.
        .filter(|&c| classes::get(c).is_some_and(|k| k.has_voicing_mark()))
        .collect();
    let drawings = DrawingSource::new(Split::Test);
    let set: Vec<(InkImage, usize)> = drawings.eval_ink(56, Augment::EVAL).into_iter().filter(|(_, c)| plain.contains(c)).collect();
    let (mut clean_right, mut speck_right, mut speck_voiced) = (0, 0, 0);
    for (img, class) in &set {
        let top = |img: &InkImage| rec.top_k(&model_input(img), 1).unwrap()[0].class;
        clean_right += usize::from(top(img) == *class);
        let mut specked = img.clone();
        speck_top_right(&mut specked, SPECK_RADIUS);
        let read = top(&specked);
        speck_right += usize::from(read == *class);
        speck_voiced += usize::from(voiced.contains(&read) && read != *class);
    }
    let n = set.len();
    println!("{n} held-out drawings of letters with a voiced form: clean {clean_right}, with a speck {speck_right} read right, {speck_voiced} read as a voiced form");
    assert!(n >= 400, "{n}");
    // Measured with the stage-12b recognizer (bundled since session 18): 480 drawings, clean 472,
    // with a speck 470 right and 2 voiced (0.4%). Stage 9 (bundled before): 470 / 456 / 12 (2.5%),
    // within the limits then (3% each). Stage 6, trained from the start with fewer and smaller
    // training specks, read 21 voiced (counting て and な, which are not voiced forms, as this test did then) and
    // was not shipped; stage 4 read 468 / 461 / 8 (1.7%; 11 counted the old way); the model before
    // training on `pens` read 467 / 450 / 20 the old way and fails both checks.
    assert!(speck_voiced * 100 <= n, "at most 1% of letters become voiced by a speck: {speck_voiced}/{n}");
    assert!(speck_right * 100 >= clean_right * 99, "a speck costs at most 1% of the letters read right: {speck_right}/{clean_right}");
}
