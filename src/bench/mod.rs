//! Speed measurements, printed by `fude bench [predict|data|train|all]` and by `cargo bench`.
//! Figures are measured on the machine that runs them; nothing here asserts a time.

pub mod generator;
pub mod line;
pub mod torch;

use crate::data::{DrawingSource, FontSource, Source, Split};
use crate::error::{Error, Result};
use crate::ink::Drawing;
use crate::models::{select_device, Architecture, Checkpoint, CpuRecognizer, DeviceChoice, Recognizer, SelectedDevice};
use crate::training::recognizer::smoothed_cross_entropy;
use candle_core::{Device, Tensor};
use crate::models::kernels::adamw::FastAdamW;
use candle_nn::{Optimizer, ParamsAdamW};
use rand::SeedableRng;
use std::time::{Duration, Instant};

/// The drawing used for latency measurements (a scripted あ).
pub const EXAMPLE_DRAWING: &str = include_str!("../../assets/examples/a.json");

/// CPU time of the calling thread in seconds (wall time where the platform has no such clock).
fn thread_cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec into the valid pointer given.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
        }
    }
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// CPU time of the whole process (all threads) in seconds; 0 where the platform has no such clock.
fn process_cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec into the valid pointer given.
        if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } == 0 {
            return ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
        }
    }
    0.0
}

/// Median and 99th percentile of durations, in milliseconds.
pub fn percentiles_ms(mut d: Vec<Duration>) -> (f64, f64) {
    if d.is_empty() {
        return (0.0, 0.0);
    }
    d.sort();
    let at = |q: f64| d.get(((d.len() - 1) as f64 * q).round() as usize).map(|x| x.as_secs_f64() * 1e3).unwrap_or(0.0);
    (at(0.5), at(0.99))
}

/// Runs the named benchmarks and prints their figures; `line` reads with the recognizer at
/// `model` when given (the bundled one otherwise), `generator` decodes with the generator at
/// `model` beside the bundled one; the other benchmarks refuse it. `train` and `generator` time
/// `rounds` rounds of candle then PyTorch.
pub fn run(what: &str, model: Option<&std::path::Path>, device: DeviceChoice, rounds: usize) -> Result<()> {
    let all = what == "all";
    if device != DeviceChoice::Cpu && what != "train" {
        return Err(Error::Invalid(format!("--device: only `fude bench train` runs off the CPU, not `{what}`")));
    }
    // Chosen first: a device this build lacks is refused before anything is timed.
    let train_device = if all || what == "train" { Some(select_device(device)?) } else { None };
    if what == "line" {
        return line::run(model);
    }
    if let (Some(m), "generator") = (model, what) {
        return generator::decode(Some(m));
    }
    if let (Some(m), "all" | "data") = (model, what) {
        return Err(Error::Invalid(format!("--model {}: only `fude bench predict|train|line` (another recognizer) and `fude bench generator` (another generator) take it", m.display())));
    }
    if !matches!(what, "all" | "predict" | "data" | "train" | "generator") {
        return Err(Error::Invalid(format!("unknown benchmark {what:?}: predict, data, train, generator, line or all")));
    }
    println!("threads: {} (rayon)", rayon::current_num_threads());
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        // Other work on the machine skews every figure below (PyTorch's spinning threads most).
        println!("load average at start: {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    }
    // Loaded only for the benchmarks that time it.
    let timed = if all || matches!(what, "predict" | "train") { Some(recognizer(model)?) } else { None };
    if let (Some(r), true) = (&timed, all || what == "predict") {
        predict(r)?;
    }
    if all || what == "data" {
        data();
    }
    if let (Some(r), Some(d)) = (&timed, train_device) {
        train(&r.arch, d, rounds)?;
    }
    if all || what == "generator" {
        generator::train(rounds)?;
        generator::decode(None)?;
    }
    Ok(())
}

/// The recognizer at `path` (refused when it cannot be read), else the bundled one, else a fresh
/// network of the bundled shape.
fn recognizer(path: Option<&std::path::Path>) -> Result<Recognizer> {
    if let Some(p) = path {
        let c = Checkpoint::load(p, &Device::Cpu)?;
        println!("recognizer: {} ({} {:?}, hidden {})", p.display(), c.model.arch.name, c.model.arch.channels, c.model.arch.hidden);
        return Ok(c.model);
    }
    Ok(match Checkpoint::bundled(&Device::Cpu) {
        Ok(c) => c.model,
        Err(_) => {
            println!("(no bundled model: timing a freshly initialised network of the same shape)");
            Recognizer::new(Architecture::default(), &Device::Cpu)?
        }
    })
}

/// The PyTorch reference's arguments for the network shape `arch`.
fn shape_arguments(arch: &Architecture) -> Vec<String> {
    let channels: Vec<String> = arch.channels.iter().map(ToString::to_string).collect();
    let mut args = vec!["--channels".into(), channels.join(","), "--hidden".into(), arch.hidden.to_string()];
    if arch.is_residual() {
        args.push("--residual".into());
    }
    args
}

/// Predict latency for one drawing (strokes → raster → preprocessing → CNN → top-10), the CNN
/// part alone (compared with PyTorch's one-image latency on the same network), and batch-256
/// inference throughput, with the recognizer `m` (PyTorch times a network of its shape).
pub fn predict(m: &Recognizer) -> Result<()> {
    let fast = CpuRecognizer::new(m)?;
    let drawing = Drawing::from_json(EXAMPLE_DRAWING)?;
    let (mut total, mut prep, mut cnn, mut candle) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..1020 {
        let t0 = Instant::now();
        let input = crate::ink::drawing_input(&drawing);
        let t1 = Instant::now();
        let top = fast.top_k(&input, 10)?;
        let t2 = Instant::now();
        std::hint::black_box(fast.top_k(&input, 10)?);
        let t3 = Instant::now();
        if i % 10 == 0 {
            std::hint::black_box(m.top_k(&input, 10)?);
            candle.push(t3.elapsed());
        }
        if i >= 20 {
            total.push(t2 - t0);
            prep.push(t1 - t0);
            cnn.push(t3 - t2);
        }
        std::hint::black_box(top);
    }
    let (med, p99) = percentiles_ms(total);
    let (pmed, _) = percentiles_ms(prep);
    let (nmed, np99) = percentiles_ms(cnn);
    let (cmed, _) = percentiles_ms(candle);
    println!("predict one drawing (strokes→top-10): median {med:.3} ms, p99 {p99:.3} ms (raster+preprocess median {pmed:.3} ms)");
    println!("candle predict one image (CNN + softmax + top-10, lean CPU path): median {nmed:.3} ms, p99 {np99:.3} ms");
    println!("  same network through candle ops, batch 1: median {cmed:.3} ms");
    let input = crate::ink::drawing_input(&drawing);
    let batch: Vec<_> = (0..256).map(|_| &input).collect();
    m.probabilities(&batch)?;
    let t = Instant::now();
    let reps = 5;
    for _ in 0..reps {
        std::hint::black_box(m.probabilities(&batch)?);
    }
    println!("candle batch-256 inference: {:.0} images/s", (256 * reps) as f64 / t.elapsed().as_secs_f64());
    match torch::run("predict", rayon::current_num_threads(), 256, 0, &shape_arguments(&m.arch)) {
        Ok(f) => {
            let (tm, tp, tb) = (f.predict_median_ms.unwrap_or(f64::NAN), f.predict_p99_ms.unwrap_or(f64::NAN), f.batch256_images_per_sec.unwrap_or(f64::NAN));
            println!("pytorch {} ({} threads) predict one image: median {tm:.3} ms, p99 {tp:.3} ms", f.torch, f.threads);
            println!("pytorch batch-256 inference: {tb:.0} images/s");
            println!("predict latency ratio candle/pytorch: {:.2}", nmed / tm);
        }
        Err(e) => println!("{e}"),
    }
    Ok(())
}

/// Generation throughput of each generator on one core, and of the parallel training feed.
pub fn data() {
    let fonts = FontSource::new(Split::Train);
    let t0 = Instant::now();
    let drawings = DrawingSource::new(Split::Train);
    println!("drawing source set-up (tracing all training glyphs): {:.2} s", t0.elapsed().as_secs_f64());
    // Per core: divided by this thread's CPU time, so other load on the machine does not count.
    let one_core = |name: &str, src: &dyn Source| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let (t, c0) = (Instant::now(), thread_cpu_seconds());
        let mut n = 0u32;
        while t.elapsed() < Duration::from_secs(2) {
            std::hint::black_box(src.sample(&mut rng));
            n += 1;
        }
        let cpu = thread_cpu_seconds() - c0;
        println!("{name}: {:.0} images/s on one core ({n} images in {cpu:.2} s of CPU time)", f64::from(n) / cpu.max(1e-9));
    };
    one_core("generated kana (fonts)", &fonts);
    one_core("synthetic drawings", &drawings);
    let mix = crate::data::Mixture::new(vec![(Box::new(fonts), 1.0), (Box::new(drawings), 1.0)]);
    let t = Instant::now();
    let mut n = 0;
    let mut b = 0;
    while t.elapsed() < Duration::from_secs(2) {
        n += mix.batch(3, b, 128).len();
        b += 1;
    }
    println!("training feed (fonts+drawings, all threads): {:.0} images/s", n as f64 / t.elapsed().as_secs_f64());
}

/// Training figures of one candle run: throughput and where the time went.
pub(crate) struct CandleTrain {
    images_per_sec: f64,
    forward_ms: f64,
    backward_ms: f64,
    optimizer_ms: f64,
    cpu_ms: f64,
}

fn candle_train(arch: &Architecture, dev: &Device, batch: usize, steps: usize) -> Result<CandleTrain> {
    let m = Recognizer::new(arch.clone(), dev)?;
    let x = Tensor::rand(0f32, 1.0, (batch, 784), dev)?;
    let labels: Vec<u32> = (0..batch as u32).map(|i| i % 180).collect();
    let y = Tensor::from_vec(labels, batch, dev)?;
    let opt = FastAdamW::new(m.varmap().all_vars(), ParamsAdamW { lr: 1e-3, ..Default::default() })?;
    time_steps(dev, batch, steps, opt, || Ok(smoothed_cross_entropy(&m.forward(&x, true)?, &y, 0.1)?))
}

/// Times `steps` optimiser steps of `loss` on `dev` (after three untimed ones): forward + loss,
/// backward and the optimiser apart (a GPU finishes each part before its clock stops), and the
/// process's CPU time per step.
pub(crate) fn time_steps(dev: &Device, batch: usize, steps: usize, mut opt: FastAdamW, loss: impl Fn() -> Result<Tensor>) -> Result<CandleTrain> {
    let mut times = [Duration::ZERO; 3];
    let mut step = |times: &mut [Duration; 3]| -> Result<()> {
        let t0 = Instant::now();
        let l = loss()?;
        dev.synchronize()?;
        let t1 = Instant::now();
        let grads = l.backward()?;
        dev.synchronize()?;
        let t2 = Instant::now();
        opt.step(&grads)?;
        dev.synchronize()?;
        let t3 = Instant::now();
        for (acc, d) in times.iter_mut().zip([t1 - t0, t2 - t1, t3 - t2]) {
            *acc += d;
        }
        Ok(())
    };
    for _ in 0..3 {
        step(&mut [Duration::ZERO; 3])?;
    }
    let (t, cpu) = (Instant::now(), process_cpu_seconds());
    for _ in 0..steps {
        step(&mut times)?;
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu_ms = 1e3 * (process_cpu_seconds() - cpu) / steps.max(1) as f64;
    let per = |d: Duration| 1e3 * d.as_secs_f64() / steps.max(1) as f64;
    Ok(CandleTrain {
        images_per_sec: (steps * batch) as f64 / secs,
        forward_ms: per(times[0]),
        backward_ms: per(times[1]),
        optimizer_ms: per(times[2]),
        cpu_ms,
    })
}

/// Recognizer training throughput on `device` (batch 128, AdamW, random data prepared
/// beforehand), candle then the PyTorch reference on the same device, in rounds; the ratio uses
/// each side's best round (the least disturbed by other load on the machine); a fresh network of
/// the shape `arch`. A GPU times 200 steps a round, the CPU 20.
pub fn train(arch: &Architecture, device: SelectedDevice, rounds: usize) -> Result<()> {
    println!("device: {}", device.description);
    let dev = device.device;
    let mut torch_extra = shape_arguments(arch);
    // PyTorch's names for the same device.
    let torch_device = if dev.is_cuda() {
        Some("cuda")
    } else if dev.is_metal() {
        Some("mps")
    } else {
        None
    };
    if let Some(d) = torch_device {
        torch_extra.extend(["--device".to_string(), d.to_string()]);
    }
    let steps = if dev.is_cpu() { 20 } else { 200 };
    let batch = 128;
    compare_training("recognizer", "train", &torch_extra, (batch, steps, rounds), || candle_train(arch, &dev, batch, steps))
}

/// `rounds` rounds (at least one) of `candle` then the PyTorch reference in mode `torch_mode`,
/// `batch` images a step, `steps` steps a round; prints each round, the ratio of the best rounds
/// (`{what} training ratio candle/pytorch: X`) and the median of the rounds' own ratios, each
/// candle round over the PyTorch round right after it (steadier when the machine is shared).
pub(crate) fn compare_training(what: &str, torch_mode: &str, torch_extra: &[String], (batch, steps, rounds): (usize, usize, usize), mut candle: impl FnMut() -> Result<CandleTrain>) -> Result<()> {
    let rounds = rounds.max(1);
    let threads = rayon::current_num_threads();
    let (mut best_c, mut best_t) = (0f64, None::<f64>);
    let mut ratios = Vec::new();
    let mut torch_ok = true;
    for round in 1..=rounds {
        let c = candle()?;
        println!(
            "round {round}: candle {what} training: {:.0} images/s (batch {batch}, {steps} steps; per step: forward+loss {:.1} ms, backward {:.1} ms, AdamW {:.1} ms; CPU time {:.0} ms/step)",
            c.images_per_sec, c.forward_ms, c.backward_ms, c.optimizer_ms, c.cpu_ms
        );
        best_c = best_c.max(c.images_per_sec);
        if !torch_ok {
            continue;
        }
        match torch::run(torch_mode, threads, batch, steps, torch_extra) {
            Ok(f) => {
                let v = f.train_images_per_sec.unwrap_or(f64::NAN);
                let place = f.device.unwrap_or_else(|| "cpu".into());
                println!("round {round}: pytorch {} {what} training: {v:.0} images/s ({place}, {} threads, oneDNN {})", f.torch, f.threads, f.mkldnn);
                best_t = Some(best_t.map_or(v, |b: f64| b.max(v)));
                ratios.push(c.images_per_sec / v);
            }
            Err(e) => {
                println!("{e}");
                torch_ok = false;
            }
        }
    }
    println!("candle {what} training, best of {rounds}: {best_c:.0} images/s");
    if let Some(t) = best_t {
        println!("pytorch {what} training, best of {rounds}: {t:.0} images/s");
        println!("{what} training ratio candle/pytorch: {:.2}", best_c / t);
    }
    if let Some(m) = median(&ratios) {
        println!("{what} training ratio candle/pytorch, median of {} rounds' ratios: {m:.2}", ratios.len());
    }
    Ok(())
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty or
/// when a value is not a number.
fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match (sorted.get(mid.wrapping_sub(1)), sorted.get(mid)) {
        (Some(a), Some(b)) if sorted.len().is_multiple_of(2) => Some((a + b) / 2.0),
        (_, Some(b)) => Some(*b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_round_ratios() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[0.9]), Some(0.9));
        assert_eq!(median(&[1.3, 0.5, 1.0]), Some(1.0), "odd count: the middle value, whatever the order");
        assert_eq!(median(&[1.2, 0.8, 1.0, 0.6]), Some(0.9), "even count: the mean of the middle two");
        assert_eq!(median(&[1.0, f64::NAN]), None, "a failed round is no ratio");
    }
}
