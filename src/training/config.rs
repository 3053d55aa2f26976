//! The schedule every training run shares, whatever the model: epochs, batch, AdamW's learning
//! rate and weight decay, a linear warm-up then cosine decay, the epoch size and the seed. Each
//! model adds its own settings ([`super::recognizer::RecognizerConfig`],
//! [`super::generator::GeneratorConfig`]).

/// Training settings every model shares, with the defaults used for the bundled recognizer.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Number of epochs to run (in total, including any resumed ones).
    pub epochs: usize,
    /// Samples per optimiser step.
    pub batch: usize,
    /// Peak learning rate (AdamW).
    pub lr: f64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// Fraction of all steps spent warming the learning rate up linearly; cosine decay after.
    pub warmup_fraction: f64,
    /// Samples per epoch (generated sources are unbounded, so an epoch is a fixed count).
    pub epoch_size: usize,
    /// Seed for data order and augmentation.
    pub seed: u64,
    /// First epoch to run (0 for a fresh run; the resumed epoch count otherwise).
    pub start_epoch: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { epochs: 10, batch: 128, lr: 2e-3, weight_decay: 1e-4, warmup_fraction: 0.03, epoch_size: 51_200, seed: 0, start_epoch: 0 }
    }
}

impl TrainConfig {
    /// Optimiser steps per epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.epoch_size.div_ceil(self.batch.max(1)).max(1)
    }

    /// Optimiser steps of the whole run (at least 1).
    pub fn total_steps(&self) -> usize {
        (self.epochs * self.steps_per_epoch()).max(1)
    }

    /// Whether global step `step` is in the warm-up, where the learning rate still rises.
    pub fn warming_up(&self, step: usize) -> bool {
        (step as f64 + 1.0) < (self.warmup_fraction * self.total_steps() as f64).max(1.0)
    }

    /// Learning rate at global step `step` (warm-up, then cosine to zero).
    pub fn lr_at(&self, step: usize) -> f64 {
        let total = self.total_steps() as f64;
        let warm = (self.warmup_fraction * total).max(1.0);
        let s = step as f64;
        if s < warm {
            self.lr * (s + 1.0) / warm
        } else {
            let t = ((s - warm) / (total - warm).max(1.0)).clamp(0.0, 1.0);
            self.lr * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
        }
    }

    /// The seed of epoch `epoch`'s data (and of the generator's noise).
    pub fn epoch_seed(&self, epoch: usize) -> u64 {
        self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(epoch as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_then_decays() {
        let cfg = TrainConfig { epochs: 2, epoch_size: 1000, batch: 10, ..Default::default() };
        let total = 200;
        assert!(cfg.lr_at(0) < cfg.lr * 0.5);
        let peak = (0..total).map(|s| cfg.lr_at(s)).fold(0.0, f64::max);
        assert!((peak - cfg.lr).abs() < 1e-6 * cfg.lr + 1e-4);
        assert!(cfg.lr_at(total - 1) < 0.01 * cfg.lr);
    }
}
