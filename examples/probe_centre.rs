use fude::data::classes;
use fude::data::sources::{DrawingSource, Source, Split};
fn centre(input: &[f32]) -> Option<(f32, f32)> {
    let (mut y0, mut y1, mut x0, mut x1) = (99usize, 0usize, 99usize, 0usize);
    for (i, v) in input.iter().enumerate() { if *v > 0.3 { let (x, y) = (i % 28, i / 28); y0 = y0.min(y); y1 = y1.max(y); x0 = x0.min(x); x1 = x1.max(x); } }
    (y1 >= y0 && y0 < 99).then(|| ((y0 + y1) as f32 / 2.0 / 27.0, ((y1 - y0).max(x1 - x0) + 1) as f32 / 28.0))
}
fn report(name: &str, v: &mut Vec<f32>) { v.sort_by(f32::total_cmp); let n = v.len() as f32; let q = |p: f32| v[((n - 1.0) * p) as usize];
    println!("{name}: n {n} p1 {:.3} p5 {:.3} p50 {:.3} p95 {:.3} p99 {:.3}", q(0.01), q(0.05), q(0.5), q(0.95), q(0.99)); }
fn main() {
    for (name, src, small_only) in [("small held-out", DrawingSource::new(Split::Test), true), ("pens small", DrawingSource::with_habits(Split::Test), true), ("shrunk0.6", DrawingSource::shrunk(Split::Test, 0.6), false), ("shrunk0.75", DrawingSource::shrunk(Split::Test, 0.75), false), ("full held-out", DrawingSource::new(Split::Test), false)] {
        let mut cy = Vec::new(); let mut sz = Vec::new();
        for s in src.eval_samples() { let small = classes::get(s.label).unwrap().is_small(); if small != small_only { continue; } if let Some((c, z)) = centre(&s.input) { cy.push(c); sz.push(z); } }
        report(&format!("{name} centre y"), &mut cy); report(&format!("{name} size"), &mut sz);
    }
}
