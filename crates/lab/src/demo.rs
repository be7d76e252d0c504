//! The walking skeleton's task: reverse a digit string. Small enough to learn
//! in a few hundred steps in a browser tab, hard enough that the loss curve
//! and the samples show whether training works.
//!
//! A sequence reads `^ 3 1 4 = 4 1 3 $`; the loss is on the answer only.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, read_ints};
use crate::error::{LabError, Result};
use crate::loss::next_token_loss;
use crate::model::{Gpt, GptConfig};
use crate::policy::{Token, floats, ints};
use crate::rng::Rng;
use crate::sample::sample;
use crate::schedule::Schedule;
use crate::spec::{MAX_BATCH_SIZE, MAX_D_MODEL, MAX_LAYERS, MAX_MEMORY_BYTES, MAX_PHASE_STEPS};
use crate::train::{OptimConfig, StepStats, Trainer};

const BOS: Token = 10;
const SEP: Token = 11;
const EOS: Token = 12;
const PAD: Token = 13;
const VOCAB: usize = 14;

/// Render tokens as text: digits, `^` start, `=` separator, `$` end, `.` pad.
pub fn render(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|&t| match t {
            0..=9 => char::from(b'0' + t as u8),
            BOS => '^',
            SEP => '=',
            EOS => '$',
            _ => '.',
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemoConfig {
    pub seed: u64,
    pub steps: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// Digit strings are `min_len..=max_len` long.
    pub min_len: usize,
    pub max_len: usize,
    pub d_model: usize,
    pub n_layers: usize,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            steps: 300,
            batch_size: 32,
            lr: 3e-3,
            min_len: 2,
            max_len: 6,
            d_model: 64,
            n_layers: 2,
        }
    }
}

/// Longest digit string: the block is `2 * max_len + 3` tokens.
const MAX_DEMO_LEN: usize = 16;
/// Learning rates from here up only diverge.
const DEMO_LR_LIMIT: f64 = 10.0;

impl DemoConfig {
    /// The experiment's caps apply here too (steps, batch, model shape and
    /// memory: the demo runs in the same tab).
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(LabError::Invalid(m));
        if self.min_len == 0 || self.min_len > self.max_len || self.max_len > MAX_DEMO_LEN {
            return bad(format!(
                "lengths must satisfy 1 <= min_len <= max_len <= {MAX_DEMO_LEN}, got {}..={}",
                self.min_len, self.max_len
            ));
        }
        if self.steps == 0 || self.steps > MAX_PHASE_STEPS {
            return bad(format!(
                "steps must be in 1..={MAX_PHASE_STEPS} (MAX_PHASE_STEPS), got {}",
                self.steps
            ));
        }
        if self.batch_size == 0 || self.batch_size > MAX_BATCH_SIZE {
            return bad(format!(
                "batch_size must be in 1..={MAX_BATCH_SIZE} (MAX_BATCH_SIZE), got {}",
                self.batch_size
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr < DEMO_LR_LIMIT) {
            return bad(format!("lr must be in (0, {DEMO_LR_LIMIT}), got {}", self.lr));
        }
        if self.d_model == 0
            || !self.d_model.is_multiple_of(4)
            || self.d_model > MAX_D_MODEL
            || self.n_layers == 0
            || self.n_layers > MAX_LAYERS
        {
            return bad(format!(
                "model must have d_model a multiple of 4 up to {MAX_D_MODEL} (MAX_D_MODEL) and \
                 1..={MAX_LAYERS} layers (MAX_LAYERS), got {} x {}",
                self.d_model, self.n_layers
            ));
        }
        // One model in training: weights, gradients, two AdamW moments, and
        // the activations of a step.
        let model = self.model();
        let need = model
            .weight_bytes()
            .saturating_mul(4)
            .saturating_add(model.step_activation_bytes(self.batch_size as u64, model.block_size as u64));
        if need > MAX_MEMORY_BYTES {
            return bad(format!(
                "this demo needs about {} MiB of memory; at most {} MiB (MAX_MEMORY_BYTES: what a phone's \
                 browser tab holds): use a smaller batch_size or model",
                need.div_ceil(1 << 20),
                MAX_MEMORY_BYTES >> 20
            ));
        }
        Ok(())
    }

    pub fn model(&self) -> GptConfig {
        GptConfig::new(VOCAB)
            .with_block_size(2 * self.max_len + 3)
            .with_d_model(self.d_model)
            .with_n_layers(self.n_layers)
    }
}

/// One generated answer, for display.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemoSample {
    pub prompt: String,
    pub expected: String,
    pub got: String,
    pub correct: bool,
}

/// A demo training run that advances a few steps at a time, so that a page
/// can report progress (and yield) in between.
pub struct DemoRun {
    pub config: DemoConfig,
    pub backend: Backend,
    trainer: Trainer,
    rng: Rng,
}

impl DemoRun {
    pub fn new(config: DemoConfig, backend: Backend) -> Result<Self> {
        config.validate()?;
        let device = backend.device.clone().autodiff();
        let model = config.model().init_seeded(&device, config.seed);
        let schedule = Schedule::for_run(config.lr, config.steps);
        let trainer = Trainer::new(model, OptimConfig::new(schedule));
        Ok(Self {
            rng: Rng::new(config.seed).fork(1),
            config,
            backend,
            trainer,
        })
    }

    pub fn steps_done(&self) -> usize {
        self.trainer.steps()
    }

    pub fn finished(&self) -> bool {
        self.steps_done() >= self.config.steps
    }

    /// Train up to `n` more steps and read their losses (one read).
    pub async fn advance(&mut self, n: usize) -> Result<Vec<StepStats>> {
        let device = self.trainer.model().device();
        for _ in 0..n.min(self.config.steps - self.steps_done()) {
            let (inputs, targets, weights) = self.batch(&device);
            let loss = next_token_loss(self.trainer.model().forward(inputs), targets, Some(weights));
            self.trainer.step(loss);
        }
        self.trainer.flush().await
    }

    /// A random training batch: `[B, T]` inputs, targets and answer weights.
    fn batch(
        &mut self,
        device: &Device,
    ) -> (
        Tensor<2, burn::tensor::Int>,
        Tensor<2, burn::tensor::Int>,
        Tensor<2>,
    ) {
        let (b, t) = (self.config.batch_size, 2 * self.config.max_len + 2);
        let (mut inputs, mut targets, mut weights) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..b {
            let n = self.rng.range_inclusive(self.config.min_len, self.config.max_len);
            let digits: Vec<Token> = (0..n).map(|_| self.rng.below(10) as Token).collect();
            let mut seq = vec![BOS];
            seq.extend(&digits);
            seq.push(SEP);
            seq.extend(digits.iter().rev());
            seq.push(EOS);
            seq.resize(t + 1, PAD);
            inputs.extend(&seq[..t]);
            targets.extend(&seq[1..]);
            // Target index i predicts seq[i+1]; the answer starts after SEP (index n+1).
            weights.extend((0..t).map(|i| if i > n && i <= 2 * n + 1 { 1.0 } else { 0.0 }));
        }
        (
            ints(&inputs, [b, t], device),
            ints(&targets, [b, t], device),
            floats(&weights, [b, t], device),
        )
    }

    /// Greedy answers for fresh random strings of each length `min..=max`.
    /// Returns `per_len` samples per length, then exact-match accuracy.
    pub async fn evaluate(&self, per_len: usize, seed: u64) -> Result<(Vec<DemoSample>, f32)> {
        let model: Gpt = self.trainer.model().valid();
        let device = model.device();
        let mut rng = Rng::new(seed);
        let mut samples = Vec::new();
        for n in self.config.min_len..=self.config.max_len {
            let strings: Vec<Vec<Token>> = (0..per_len)
                .map(|_| (0..n).map(|_| rng.below(10) as Token).collect())
                .collect();
            let prompts: Vec<Token> = strings
                .iter()
                .flat_map(|d| std::iter::once(BOS).chain(d.iter().copied()).chain([SEP]))
                .collect();
            let out = sample(&model, ints(&prompts, [per_len, n + 2], &device), n + 1, 0.0);
            let got = read_ints(out.narrow(1, n + 2, n + 1)).await?;
            for (d, g) in strings.iter().zip(got.chunks(n + 1)) {
                let expected: Vec<Token> = d.iter().rev().copied().chain([EOS]).collect();
                let g: Vec<Token> = g.iter().map(|&x| x as Token).collect();
                samples.push(DemoSample {
                    prompt: render(&[&[BOS][..], d, &[SEP]].concat()),
                    expected: render(&expected),
                    got: render(&g),
                    correct: g == expected,
                });
            }
        }
        let acc = samples.iter().filter(|s| s.correct).count() as f32 / samples.len() as f32;
        Ok((samples, acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_settings_are_refused_with_the_reason() {
        for (cfg, needle) in [
            (
                DemoConfig {
                    min_len: 5,
                    max_len: 3,
                    ..Default::default()
                },
                "min_len",
            ),
            (
                DemoConfig {
                    lr: f64::NAN,
                    ..Default::default()
                },
                "lr",
            ),
            (
                DemoConfig {
                    steps: 0,
                    ..Default::default()
                },
                "steps",
            ),
            (
                DemoConfig {
                    d_model: 30,
                    ..Default::default()
                },
                "d_model",
            ),
            // Every cap at once is far beyond a phone's tab (12 GiB).
            (
                DemoConfig {
                    batch_size: 1024,
                    d_model: 512,
                    n_layers: 8,
                    max_len: 16,
                    ..Default::default()
                },
                "MiB of memory; at most 1024 MiB",
            ),
        ] {
            let err = DemoRun::new(cfg, Backend::flex())
                .err()
                .expect("must refuse")
                .to_string();
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn render_is_readable() {
        assert_eq!(render(&[BOS, 3, 1, SEP, 1, 3, EOS, PAD]), "^31=13$.");
    }
}
