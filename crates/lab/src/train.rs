//! The optimiser loop every phase shares: AdamW, global-norm gradient
//! clipping, the learning-rate schedule, and a divergence check that names
//! the step. Reads are batched: `step` queues `[loss, grad_norm]` on the
//! device, `flush` reads everything queued in one transfer.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::backend::read_floats;
use crate::error::{LabError, Result};
use crate::model::Gpt;
use crate::schedule::Schedule;

/// Optimiser settings (AdamW as in PyTorch: decoupled weight decay).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimConfig {
    pub schedule: Schedule,
    #[serde(default = "defaults::weight_decay")]
    pub weight_decay: f32,
    #[serde(default = "defaults::beta1")]
    pub beta1: f32,
    #[serde(default = "defaults::beta2")]
    pub beta2: f32,
    #[serde(default = "defaults::eps")]
    pub eps: f32,
    /// Clip the global gradient norm to this; `None` disables clipping.
    #[serde(default = "defaults::grad_clip")]
    pub grad_clip: Option<f32>,
}

mod defaults {
    pub fn weight_decay() -> f32 {
        0.01
    }
    pub fn beta1() -> f32 {
        0.9
    }
    pub fn beta2() -> f32 {
        0.999
    }
    pub fn eps() -> f32 {
        1e-8
    }
    pub fn grad_clip() -> Option<f32> {
        Some(1.0)
    }
}

impl OptimConfig {
    /// PyTorch's AdamW defaults (weight decay 0.01) with the given schedule.
    pub fn new(schedule: Schedule) -> Self {
        Self {
            schedule,
            weight_decay: defaults::weight_decay(),
            beta1: defaults::beta1(),
            beta2: defaults::beta2(),
            eps: defaults::eps(),
            grad_clip: defaults::grad_clip(),
        }
    }

    pub fn with_grad_clip(mut self, clip: Option<f32>) -> Self {
        self.grad_clip = clip;
        self
    }
}

/// What one optimiser step did, once read back.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepStats {
    pub step: usize,
    pub loss: f32,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
    pub lr: f64,
}

/// Owns a model on an autodiff device and trains it.
pub struct Trainer {
    model: Gpt,
    optim: ModuleOptimizer,
    config: OptimConfig,
    step: usize,
    /// Steps taken but not yet read: (step, lr, `[2]` = loss and grad norm).
    pending: Vec<(usize, f64, Tensor<1>)>,
}

impl Trainer {
    /// Takes `model` into training mode (autodiff on its device), wherever it was made.
    pub fn new(model: Gpt, config: OptimConfig) -> Self {
        let model = model.train();
        let optim = AdamWConfig::new()
            .with_beta_1(config.beta1)
            .with_beta_2(config.beta2)
            .with_epsilon(config.eps)
            .with_weight_decay(config.weight_decay)
            .init();
        Self {
            model,
            optim,
            config,
            step: 0,
            pending: Vec::new(),
        }
    }

    pub fn model(&self) -> &Gpt {
        &self.model
    }

    pub fn into_model(self) -> Gpt {
        self.model
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.step
    }

    /// Backpropagate `loss` (a `[1]` tensor computed from [`Trainer::model`])
    /// and update the weights. Nothing is read back here.
    pub fn step(&mut self, loss: Tensor<1>) {
        let mut grads = GradientsParams::from_grads(loss.backward(), &self.model);
        let mut norm = GradNorm {
            grads: &grads,
            sum_sq: None,
        };
        self.model.visit(&mut norm);
        let grad_norm = norm.sum_sq.expect("model has parameters").sqrt();
        if let Some(max) = self.config.grad_clip {
            // scale = min(1, max / norm), computed on the device.
            let scale = (grad_norm.clone() + 1e-6).recip().mul_scalar(max).clamp_max(1.0);
            self.model.visit(&mut GradScale {
                grads: &mut grads,
                scale,
            });
        }
        let lr = self.config.schedule.lr_at(self.step);
        self.model = self.optim.step(lr, self.model.clone(), grads);
        let stats = Tensor::cat(vec![loss.detach().inner(), grad_norm], 0);
        self.pending.push((self.step, lr, stats));
        self.step += 1;
    }

    /// Read every queued step's loss and gradient norm (one transfer), and
    /// stop with the first step whose loss or gradient is NaN or infinite.
    pub async fn flush(&mut self) -> Result<Vec<StepStats>> {
        if self.pending.is_empty() {
            return Ok(Vec::new());
        }
        let pending = std::mem::take(&mut self.pending);
        let values = read_floats(Tensor::cat(pending.iter().map(|p| p.2.clone()).collect(), 0)).await?;
        let mut out = Vec::with_capacity(pending.len());
        for ((step, lr, _), v) in pending.into_iter().zip(values.chunks(2)) {
            let (loss, grad_norm) = (v[0], v[1]);
            if !loss.is_finite() {
                return Err(LabError::NonFinite {
                    step,
                    what: "the loss",
                    value: loss,
                });
            }
            if !grad_norm.is_finite() {
                return Err(LabError::NonFinite {
                    step,
                    what: "the gradient norm",
                    value: grad_norm,
                });
            }
            out.push(StepStats {
                step,
                loss,
                grad_norm,
                lr,
            });
        }
        Ok(out)
    }
}

/// Sums the squares of every parameter's gradient.
struct GradNorm<'a> {
    grads: &'a GradientsParams,
    sum_sq: Option<Tensor<1>>,
}

impl ModuleVisitor for GradNorm<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            let s = g.square().sum();
            self.sum_sq = Some(match self.sum_sq.take() {
                Some(acc) => acc + s,
                None => s,
            });
        }
    }
}

/// Multiplies every gradient by a `[1]` device scalar.
struct GradScale<'a> {
    grads: &'a mut GradientsParams,
    scale: Tensor<1>,
}

impl ModuleVisitor for GradScale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.remove::<D>(param.id) {
            let scale = self.scale.clone().reshape([1; D]); // [1] -> [1, .., 1], broadcasts
            self.grads.register(param.id, g * scale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::next_token_loss;
    use crate::model::GptConfig;
    use burn::tensor::{Device, Int};

    fn tiny_run(seed: u64, steps: usize, lr: f64) -> Vec<f32> {
        let device = Device::flex().autodiff();
        let model = GptConfig::new(12)
            .with_block_size(8)
            .with_d_model(32)
            .with_n_layers(1)
            .init_seeded(&device, seed);
        let schedule = Schedule {
            lr,
            warmup_steps: 5,
            total_steps: steps,
            min_lr_ratio: 0.1,
        };
        let mut trainer = Trainer::new(model, OptimConfig::new(schedule));
        let data = Tensor::<2, Int>::from_ints(
            [
                [1, 5, 2, 9, 3, 3, 7, 0, 4],
                [8, 8, 1, 0, 2, 6, 5, 11, 10],
                [4, 3, 2, 1, 0, 9, 8, 7, 6],
                [7, 1, 7, 1, 7, 2, 7, 3, 7],
            ],
            &device,
        );
        let (x, y) = (data.clone().narrow(1, 0, 8), data.narrow(1, 1, 8));
        let mut losses = Vec::new();
        for _ in 0..steps {
            trainer.step(next_token_loss(
                trainer.model().forward(x.clone()),
                y.clone(),
                None,
            ));
            if trainer.pending.len() == 10 {
                losses.extend(
                    pollster::block_on(trainer.flush())
                        .unwrap()
                        .iter()
                        .map(|s| s.loss),
                );
            }
        }
        losses.extend(
            pollster::block_on(trainer.flush())
                .unwrap()
                .iter()
                .map(|s| s.loss),
        );
        losses
    }

    #[test]
    fn overfits_a_fixed_batch() {
        let losses = tiny_run(1, 200, 1e-2);
        assert_eq!(losses.len(), 200);
        assert!(losses[0] > 2.0, "starts near ln(12) = 2.48, got {}", losses[0]);
        assert!(
            *losses.last().unwrap() < 0.05,
            "final loss {}",
            losses.last().unwrap()
        );
    }

    #[test]
    fn same_seed_gives_identical_losses() {
        let (a, b, c) = (
            tiny_run(7, 20, 1e-2),
            tiny_run(7, 20, 1e-2),
            tiny_run(8, 20, 1e-2),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn divergence_is_caught_and_names_the_step() {
        let device = Device::flex().autodiff();
        let model = GptConfig::new(5).with_block_size(4).with_d_model(8).init(&device);
        let mut trainer = Trainer::new(model, OptimConfig::new(Schedule::constant(1e-3)));
        let x = Tensor::<2, Int>::from_ints([[1, 2, 3, 4]], &device);
        for step in 0..6 {
            let mut loss = next_token_loss(trainer.model().forward(x.clone()), x.clone(), None);
            if step == 3 {
                loss = loss * f32::NAN; // stands in for an overflow mid-run
            }
            trainer.step(loss);
        }
        match pollster::block_on(trainer.flush()) {
            Err(LabError::NonFinite { step: 3, .. }) => {}
            other => panic!("expected divergence at step 3, got {other:?}"),
        }
    }

    #[test]
    fn clipping_bounds_the_update_but_reports_the_raw_norm() {
        let device = Device::flex().autodiff();
        let model = GptConfig::new(5)
            .with_block_size(4)
            .with_d_model(8)
            .init_seeded(&device, 2);
        let cfg = OptimConfig::new(Schedule::constant(1e-3)).with_grad_clip(Some(1e-3));
        let mut trainer = Trainer::new(model, cfg);
        let x = Tensor::<2, Int>::from_ints([[1, 2, 3, 4]], &device);
        trainer.step(next_token_loss(trainer.model().forward(x.clone()), x, None) * 100.0);
        let stats = pollster::block_on(trainer.flush()).unwrap();
        assert!(stats[0].grad_norm > 1e-3, "raw norm {}", stats[0].grad_norm);
    }
}
