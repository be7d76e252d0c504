//! Learning-rate schedule: linear warm-up, then cosine decay to a floor.

use serde::{Deserialize, Serialize};

/// Warm-up lasts `steps / WARMUP_DIVISOR` steps (5%).
const WARMUP_DIVISOR: usize = 20;
/// The cosine's floor as a fraction of the peak (nanoGPT's).
const MIN_LR_RATIO: f64 = 0.1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Peak learning rate.
    pub lr: f64,
    /// Steps of linear warm-up from ~0 to `lr`.
    pub warmup_steps: usize,
    /// Total steps; the cosine reaches `lr * min_lr_ratio` here.
    pub total_steps: usize,
    /// Floor as a fraction of `lr` (nanoGPT uses 0.1).
    pub min_lr_ratio: f64,
}

impl Schedule {
    /// A constant learning rate (the bench, to match the PyTorch peer).
    pub fn constant(lr: f64) -> Self {
        Self {
            lr,
            warmup_steps: 0,
            total_steps: 0,
            min_lr_ratio: 1.0,
        }
    }

    /// The schedule every training run uses (phases and the warm-up demo):
    /// warm up over the first 5% of `steps` (nanoGPT's ratio, scaled to
    /// our short runs), then cosine down to a tenth of `lr` at the end.
    pub fn for_run(lr: f64, steps: usize) -> Self {
        Self {
            lr,
            warmup_steps: steps / WARMUP_DIVISOR,
            total_steps: steps,
            min_lr_ratio: MIN_LR_RATIO,
        }
    }

    /// Learning rate for 0-based `step`.
    pub fn lr_at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let decay_steps = self.total_steps.saturating_sub(self.warmup_steps);
        if decay_steps == 0 {
            return self.lr;
        }
        let progress = ((step - self.warmup_steps) as f64 / decay_steps as f64).min(1.0);
        let floor = self.lr * self.min_lr_ratio;
        floor + 0.5 * (self.lr - floor) * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_cosine_to_the_floor() {
        let s = Schedule {
            lr: 1e-3,
            warmup_steps: 10,
            total_steps: 110,
            min_lr_ratio: 0.1,
        };
        assert!((s.lr_at(0) - 1e-4).abs() < 1e-12);
        assert!((s.lr_at(9) - 1e-3).abs() < 1e-12);
        assert!((s.lr_at(10) - 1e-3).abs() < 1e-12);
        assert!((s.lr_at(60) - 5.5e-4).abs() < 1e-9); // half way: mean of peak and floor
        assert_eq!(
            Schedule::for_run(1e-3, 200),
            Schedule {
                total_steps: 200,
                ..s
            }
        );
        assert!((s.lr_at(110) - 1e-4).abs() < 1e-12);
        assert!((s.lr_at(500) - 1e-4).abs() < 1e-12);
        assert!((Schedule::constant(3e-4).lr_at(1000) - 3e-4).abs() < 1e-15);
    }
}
