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
/// candle then PyTorch, in rounds.
pub fn train() -> Result<()> {
    let (batch, steps) = (64, 10);
    compare_training("generator", "gen-train", batch, steps, || {
        let dev = Device::Cpu;
        let g = Generator::new_seeded(GeneratorArchitecture::default(), &dev, 0)?;
        let n = g.arch.side * g.arch.side;
        let x = Tensor::rand(0f32, 1.0, (batch, n), &dev)?;
        let classes: Vec<usize> = (0..batch).map(|i| i % 180).collect();
        let one_hot = g.one_hot(&classes)?;
        let eps = Tensor::randn(0f32, 1.0, (batch, g.arch.latent), &dev)?;
        let opt = FastAdamW::new(g.varmap().all_vars(), ParamsAdamW { lr: 1e-3, weight_decay: 0.0, ..Default::default() })?;
        time_steps(batch, steps, opt, || Ok(g.loss(&x, &one_hot, &eps, 1.0, 0.0)?.objective))
    })
}

/// Decode time on one core of the bundled generator (one sample and a 180-kana sheet), as the app
/// decodes and through candle's ops, alternately, three rounds each.
pub fn decode() -> Result<()> {
    match GeneratorCheckpoint::bundled(&Device::Cpu) {
        Ok(g) => {
            let (mut best, mut peer) = ((f64::INFINITY, f64::INFINITY), (f64::INFINITY, f64::INFINITY));
            for round in 1..=3 {
                let (one, sheet) = decode_times(&g)?;
                let (c_one, c_sheet) = decode_times_candle(&g)?;
                println!("round {round}: generator decode on one core: one 64x64 sample median {one:.3} ms, 180-kana sheet median {sheet:.1} ms; through candle's ops: {c_one:.3} ms, {c_sheet:.1} ms");
                best = (best.0.min(one), best.1.min(sheet));
                peer = (peer.0.min(c_one), peer.1.min(c_sheet));
            }
            println!("generator decode on one core, best of 3: one 64x64 sample {:.3} ms, 180-kana sheet {:.1} ms", best.0, best.1);
            println!("generator decode ratio fude/candle ops: one sample {:.2}, sheet {:.2}", best.0 / peer.0, best.1 / peer.1);
        }
        Err(e) => println!("generator decode: {e}"),
    }
    Ok(())
}
