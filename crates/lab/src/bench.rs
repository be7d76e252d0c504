//! The training benchmark, measured exactly as `shared/bench/torch_ref.py`
//! measures its PyTorch peer: same model, batch, context, optimiser
//! (AdamW lr 1e-3, weight decay 0.01), random-token data, 10 warm-up steps,
//! a loss read every step, and 16-token sampling without a KV cache.
//!
//! The clock is the caller's (`now()` in seconds): `std::time::Instant`
//! does not exist in a browser, and this engine knows nothing of the web.

use burn::module::Module;
use burn::tensor::{Distribution, Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, read_ints};
use crate::error::{LabError, Result};
use crate::loss::next_token_loss;
use crate::model::GptConfig;
use crate::sample::sample;
use crate::schedule::Schedule;
use crate::train::{OptimConfig, Trainer};

/// A benchmark configuration (names and shapes as in torch_ref.py).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchConfig {
    pub name: String,
    pub model: GptConfig,
    pub batch_size: usize,
}

impl BenchConfig {
    pub fn named(name: &str) -> Result<Self> {
        let model = match name {
            "tiny" => GptConfig::new(48)
                .with_block_size(48)
                .with_d_model(64)
                .with_n_heads(4)
                .with_n_layers(2),
            "small" => GptConfig::new(48)
                .with_block_size(64)
                .with_d_model(128)
                .with_n_heads(4)
                .with_n_layers(4),
            other => {
                return Err(LabError::Invalid(format!(
                    "unknown bench config {other:?} (expected tiny or small)"
                )));
            }
        };
        Ok(Self {
            name: name.into(),
            model,
            batch_size: 64,
        })
    }
}

/// The peer's JSON keys, plus the backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub config: String,
    pub backend: String,
    pub params: usize,
    pub train_steps_per_s: f64,
    pub train_tokens_per_s: f64,
    pub sample_tokens_per_s: f64,
}

const WARMUP_STEPS: usize = 10;
const NEW_TOKENS: usize = 16;
const SAMPLE_REPS: usize = 3;

pub async fn run_bench(
    backend: &Backend,
    config: &BenchConfig,
    steps: usize,
    now: impl Fn() -> f64,
) -> Result<BenchReport> {
    let m = &config.model;
    let (b, t, v) = (config.batch_size, m.block_size, m.vocab_size);
    let device = backend.device.clone().autodiff();
    device.seed(0);
    let data = Tensor::<2, Int>::random([b, t + 1], Distribution::Uniform(0.0, v as f64), &device);
    let (inputs, targets) = (data.clone().narrow(1, 0, t), data.narrow(1, 1, t));
    let optim = OptimConfig::new(Schedule::constant(1e-3)).with_grad_clip(None);
    let mut trainer = Trainer::new(m.init(&device), optim);

    let step = |trainer: &mut Trainer| {
        let loss = next_token_loss(trainer.model().forward(inputs.clone()), targets.clone(), None);
        trainer.step(loss);
    };
    for _ in 0..WARMUP_STEPS {
        step(&mut trainer);
        trainer.flush().await?;
    }
    let t0 = now();
    for _ in 0..steps {
        step(&mut trainer);
        trainer.flush().await?; // the peer reads loss.item() every step
    }
    let train_s = now() - t0;

    let model = trainer.model().valid();
    let prompts = Tensor::<2, Int>::random(
        [b, t - NEW_TOKENS],
        Distribution::Uniform(0.0, v as f64),
        &backend.device,
    );
    let g0 = now();
    for _ in 0..SAMPLE_REPS {
        read_ints(sample(&model, prompts.clone(), NEW_TOKENS, 1.0)).await?;
    }
    let sample_s = (now() - g0) / SAMPLE_REPS as f64;

    Ok(BenchReport {
        config: config.name.clone(),
        backend: backend.label.clone(),
        params: model.num_params(),
        train_steps_per_s: steps as f64 / train_s,
        train_tokens_per_s: (steps * b * t) as f64 / train_s,
        sample_tokens_per_s: (b * NEW_TOKENS) as f64 / sample_s,
    })
}
