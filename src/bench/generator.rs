//! The generator's speed figures: training throughput beside the PyTorch reference on the same
//! network (`gen-train` in `tools/bench/torch_reference.py`), and decode time on one core.

use super::{compare_training, time_steps};
use crate::error::Result;
use crate::models::generator::{Generator, GeneratorArchitecture, GeneratorCheckpoint};
use crate::models::kernels::adamw::FastAdamW;
use crate::training::generator::quality::{decode_times, decode_times_candle};
use candle_core::{Device, Tensor};
use candle_nn::{Optimizer, ParamsAdamW};

/// Generator training throughput (64x64, batch 64, AdamW, random data prepared beforehand),
/// candle then PyTorch, in rounds: the first generator's shape (decoder channels 64, 32, 16),
/// then the thin decoder the bundled generator was distilled into (32, 16, 8).
pub fn train(rounds: usize) -> Result<()> {
    let (batch, steps) = (64, 10);
    for (what, mode, decoder) in [("generator", "gen-train", vec![64, 32, 16]), ("thin generator", "gen-train-thin", vec![32, 16, 8])] {
        compare_training(what, mode, &[], (batch, steps, rounds), || {
            let dev = Device::Cpu;
            let arch = GeneratorArchitecture { decoder_channels: decoder.clone(), ..GeneratorArchitecture::default() };
            let g = Generator::new_seeded(arch, &dev, 0)?;
            let n = g.arch.side * g.arch.side;
            let x = Tensor::rand(0f32, 1.0, (batch, n), &dev)?;
            let classes: Vec<usize> = (0..batch).map(|i| i % 180).collect();
            let one_hot = g.one_hot(&classes)?;
            let eps = Tensor::randn(0f32, 1.0, (batch, g.arch.latent), &dev)?;
            let opt = FastAdamW::new(g.varmap().all_vars(), ParamsAdamW { lr: 1e-3, weight_decay: 0.0, ..Default::default() })?;
            time_steps(&dev, batch, steps, opt, || Ok(g.loss(&x, &one_hot, &eps, 1.0, 0.0)?.objective))
        })?;
    }
    Ok(())
}

/// Decode time on one core of the bundled generator, and of the one at `other` when given (one
/// sample and a 180-kana sheet), as the app decodes and through candle's ops, alternately, three
/// rounds each.
pub fn decode(other: Option<&std::path::Path>) -> Result<()> {
    let mut models = Vec::new();
    match GeneratorCheckpoint::bundled(&Device::Cpu) {
        Ok(g) => models.push((crate::models::BUNDLED_NAME.to_string(), g)),
        Err(e) => println!("generator decode: {e}"),
    }
    if let Some(p) = other {
        models.push((p.display().to_string(), GeneratorCheckpoint::load(p, &Device::Cpu)?));
    }
    let mut best = vec![(f64::INFINITY, f64::INFINITY, f64::INFINITY, f64::INFINITY); models.len()];
    for round in 1..=3 {
        for ((name, g), b) in models.iter().zip(best.iter_mut()) {
            let (one, sheet) = decode_times(g)?;
            let (c_one, c_sheet) = decode_times_candle(g)?;
            let channels = &g.model.arch.decoder_channels;
            println!("round {round}, {name} (decoder channels {channels:?}): generator decode on one core: one 64x64 sample median {one:.3} ms, 180-kana sheet median {sheet:.1} ms; through candle's ops: {c_one:.3} ms, {c_sheet:.1} ms");
            *b = (b.0.min(one), b.1.min(sheet), b.2.min(c_one), b.3.min(c_sheet));
        }
    }
    for ((name, _), b) in models.iter().zip(&best) {
        println!("{name}: generator decode on one core, best of 3: one 64x64 sample {:.3} ms, 180-kana sheet {:.1} ms", b.0, b.1);
        println!("{name}: generator decode ratio fude/candle ops: one sample {:.2}, sheet {:.2}", b.0 / b.2, b.1 / b.3);
    }
    if let ([(a, _), (b, _)], [x, y]) = (models.as_slice(), best.as_slice()) {
        println!("generator decode ratio {b} / {a}: one sample {:.2}, sheet {:.2}", y.0 / x.0, y.1 / x.1);
    }
    Ok(())
}
