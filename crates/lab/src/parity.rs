//! Does a backend compute what flex computes? A WGSL shader that fails
//! validation in a browser is skipped silently (cubecl#1641), leaving stale
//! numbers; this check catches that by running the same weights and data on
//! flex and on the other backend: forward logits and a few training steps.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, read_floats};
use crate::error::Result;
use crate::loss::next_token_loss;
use crate::model::{Gpt, GptConfig};
use crate::policy::ints;
use crate::schedule::Schedule;
use crate::train::{OptimConfig, Trainer};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParityReport {
    pub backend: String,
    /// Largest |difference| between the two backends' logits.
    pub max_logit_diff: f32,
    /// Training losses over the steps, flex then the other backend.
    pub flex_losses: Vec<f32>,
    pub other_losses: Vec<f32>,
}

impl ParityReport {
    /// Within float32 tolerance for this tiny model (GPU reductions differ in order).
    pub fn agrees(&self) -> bool {
        self.max_logit_diff < 1e-3
            && self.flex_losses.len() == self.other_losses.len()
            && self
                .flex_losses
                .iter()
                .zip(&self.other_losses)
                .all(|(a, b)| (a - b).abs() < 2e-3 * a.abs().max(1.0))
    }
}

const STEPS: usize = 3;

pub async fn parity_check(other: &Backend) -> Result<ParityReport> {
    let flex = Device::flex();
    let config = GptConfig::new(16)
        .with_block_size(12)
        .with_d_model(32)
        .with_n_layers(2);
    let weights = config.init_seeded(&flex, 17);
    let tokens: Vec<u32> = (0..4 * 12).map(|i| (i * 7 + i / 5) % 16).collect();

    let logits = |model: &Gpt, device: &Device| model.forward(ints(&tokens, [4, 12], device));
    let a = read_floats(logits(&weights, &flex)).await?;
    let b = read_floats(logits(
        &copy_weights(&weights, &config, &other.device),
        &other.device,
    ))
    .await?;
    let max_logit_diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);

    let mut losses = Vec::new();
    for device in [flex.clone(), other.device.clone()] {
        let device = device.autodiff();
        let mut trainer = Trainer::new(
            weights.clone().to_device(&device),
            OptimConfig::new(Schedule::constant(1e-2)),
        );
        let data = ints(&tokens, [4, 12], &device);
        let (x, y) = (data.clone().narrow(1, 0, 11), data.narrow(1, 1, 11));
        for _ in 0..STEPS {
            let loss: Tensor<1> = next_token_loss(trainer.model().forward(x.clone()), y.clone(), None);
            trainer.step(loss);
        }
        losses.push(trainer.flush().await?.iter().map(|s| s.loss).collect::<Vec<_>>());
    }
    let other_losses = losses.pop().unwrap_or_default();
    let flex_losses = losses.pop().unwrap_or_default();
    Ok(ParityReport {
        backend: other.label.clone(),
        max_logit_diff,
        flex_losses,
        other_losses,
    })
}

/// `from` (on flex) rebuilt on `device` through host memory. Cross-backend
/// `to_device` did not complete on WebGPU in a browser worker; reading flex
/// synchronously is always safe, and uploading needs no read.
fn copy_weights(from: &Gpt, config: &GptConfig, device: &Device) -> Gpt {
    struct Collect(Vec<TensorData>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().into_data());
        }
    }
    struct Load(std::vec::IntoIter<TensorData>, Device);
    impl ModuleMapper for Load {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let data = self.0.next().expect("same architecture, same parameters");
            Param::initialized(param.id, Tensor::from_data(data, &self.1))
        }
    }
    let mut host = Collect(Vec::new());
    from.visit(&mut host);
    config
        .init(device)
        .map(&mut Load(host.0.into_iter(), device.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flex_agrees_with_itself() {
        let report = pollster::block_on(parity_check(&Backend::flex())).unwrap();
        assert_eq!(report.max_logit_diff, 0.0);
        assert_eq!(report.flex_losses, report.other_losses);
        assert!(report.agrees() && report.flex_losses.len() == STEPS);
    }
}
