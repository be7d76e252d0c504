//! On-policy policy gradient with a group baseline (GRPO-style, no ratio
//! clipping: one update per rollout), plus an optional KL penalty to a frozen
//! reference model.
//!
//! Per prompt, sample `group_size` completions on the device (one host read
//! for the whole batch), score each with the caller's reward, and push up the
//! log-probability of completions that beat their group's mean.

use burn::module::Module;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::backend::read_ints;
use crate::error::{LabError, Result};
use crate::model::Gpt;
use crate::rng::Rng;
use crate::sample::sample_seeded;

/// A token id on the host.
pub type Token = u32;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyConfig {
    /// Completions sampled per prompt; the group's mean reward is the baseline.
    pub group_size: usize,
    /// Tokens sampled per completion (the stop token ends a completion early).
    pub max_new_tokens: usize,
    pub temperature: f64,
    /// Weight of `KL(policy || reference)` per completion token; 0 disables it.
    pub kl_coef: f32,
}

/// What a rollout produced, on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Rollout {
    /// `prompts.len() * group_size` completions, grouped by prompt, each cut
    /// after the stop token.
    pub completions: Vec<Vec<Token>>,
    pub rewards: Vec<f32>,
    pub advantages: Vec<f32>,
}

impl Rollout {
    pub fn mean_reward(&self) -> f32 {
        self.rewards.iter().sum::<f32>() / self.rewards.len().max(1) as f32
    }
}

/// The differentiable loss for one batch of prompts, and the rollout behind it.
pub struct PolicyBatch {
    /// `[1]`, on the model's (autodiff) device: pass to `Trainer::step`.
    pub loss: Tensor<1>,
    pub rollout: Rollout,
}

/// Group-normalised advantages: `(r - mean) / (sd + 1e-6)` within each group;
/// a group whose rewards are all equal teaches nothing (all zeros).
pub fn group_advantages(rewards: &[f32], group_size: usize) -> Vec<f32> {
    rewards
        .chunks(group_size)
        .flat_map(|g| {
            let n = g.len() as f32;
            let mean = g.iter().sum::<f32>() / n;
            let sd = (g.iter().map(|r| (r - mean).powi(2)).sum::<f32>() / n).sqrt();
            g.iter()
                .map(move |r| if sd < 1e-6 { 0.0 } else { (r - mean) / (sd + 1e-6) })
        })
        .collect()
}

/// Sample, score and build the policy-gradient loss for `prompts` (all the
/// same length). `reward(prompt_index, completion)` scores one completion;
/// `rng` draws the samples.
pub async fn policy_gradient_loss(
    model: &Gpt,
    reference: Option<&Gpt>,
    prompts: &[Vec<Token>],
    config: &PolicyConfig,
    stop_token: Option<Token>,
    rng: &mut Rng,
    mut reward: impl FnMut(usize, &[Token]) -> f32,
) -> Result<PolicyBatch> {
    let (g, n) = (config.group_size, config.max_new_tokens);
    let p = prompts.first().map_or(0, Vec::len);
    if prompts.is_empty() || p == 0 || g == 0 || n == 0 {
        return Err(LabError::Invalid(
            "policy gradient needs prompts, a group and new tokens".into(),
        ));
    }
    if prompts.iter().any(|q| q.len() != p) {
        return Err(LabError::Invalid(
            "policy-gradient prompts in one batch must share a length".into(),
        ));
    }
    let rows = prompts.len() * g;
    let device = model.device();
    let policy = model.valid(); // same weights, no graph: sampling needs no gradients
    let repeated: Vec<Token> = prompts
        .iter()
        .flat_map(|q| std::iter::repeat_n(q, g))
        .flatten()
        .copied()
        .collect();
    let sampled = sample_seeded(
        &policy,
        ints(&repeated, [rows, p], &policy.device()),
        n,
        config.temperature,
        rng,
    );
    let drawn = read_ints(sampled.narrow(1, p, n)).await?; // the one host read

    // Cut each completion after its stop token; positions past it carry no loss.
    let mut completions = Vec::with_capacity(rows);
    let mut mask = vec![0f32; rows * n];
    for (row, chunk) in drawn.chunks(n).enumerate() {
        let mut c: Vec<Token> = chunk.iter().map(|&t| t as Token).collect();
        if let Some(end) = stop_token.and_then(|s| c.iter().position(|&t| t == s)) {
            c.truncate(end + 1);
        }
        mask[row * n..row * n + c.len()].fill(1.0);
        completions.push(c);
    }
    let rewards: Vec<f32> = completions
        .iter()
        .enumerate()
        .map(|(row, c)| reward(row / g, c))
        .collect();
    let advantages = group_advantages(&rewards, g);

    // Re-run the sequences with gradients: position p-1+i predicts token i.
    let full: Vec<Token> = repeated
        .chunks(p)
        .zip(drawn.chunks(n))
        .flat_map(|(q, c)| q.iter().copied().chain(c.iter().map(|&t| t as Token)))
        .collect();
    let sequences = ints(&full, [rows, p + n], &device); // one upload, two views
    let inputs = sequences.clone().narrow(1, 0, p + n - 1);
    let targets = sequences.narrow(1, p, n).reshape([rows, n, 1]);
    let logp_all = log_softmax(model.forward(inputs.clone()).narrow(1, p - 1, n), 2); // [R, N, V]
    let logp = logp_all.clone().gather(2, targets).reshape([rows, n]); // -> [R, N]

    let tokens = mask.iter().sum::<f32>().max(1.0);
    let weights: Vec<f32> = mask
        .iter()
        .enumerate()
        .map(|(i, m)| m * advantages[i / n] / tokens)
        .collect();
    let mut loss = -(logp * floats(&weights, [rows, n], &device)).sum();
    if let (Some(reference), true) = (reference, config.kl_coef > 0.0) {
        // Exact KL over the vocabulary at each completion position.
        let logq = log_softmax(reference.forward(inputs.inner()).narrow(1, p - 1, n), 2); // [R, N, V]
        let kl = (logp_all.clone().exp() * (logp_all - logq))
            .sum_dim(2)
            .reshape([rows, n]);
        let kl_weights: Vec<f32> = mask.iter().map(|m| m * config.kl_coef / tokens).collect();
        loss = loss + (kl * floats(&kl_weights, [rows, n], &device)).sum();
    }
    Ok(PolicyBatch {
        loss,
        rollout: Rollout {
            completions,
            rewards,
            advantages,
        },
    })
}

/// Host tokens to an int tensor.
pub fn ints(tokens: &[Token], shape: [usize; 2], device: &burn::tensor::Device) -> Tensor<2, Int> {
    let data: Vec<i32> = tokens.iter().map(|&t| t as i32).collect();
    Tensor::from_data(TensorData::new(data, shape), device)
}

/// Host floats to a float tensor.
pub fn floats(values: &[f32], shape: [usize; 2], device: &burn::tensor::Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advantages_are_normalised_within_groups() {
        let a = group_advantages(&[1.0, 0.0, 1.0, 0.0, 5.0, 5.0, 5.0, 5.0], 4);
        assert!((a[0] - 1.0).abs() < 1e-4 && (a[1] + 1.0).abs() < 1e-4);
        assert_eq!(&a[4..], &[0.0; 4]); // equal rewards: no signal
    }
}

#[cfg(test)]
mod training_tests {
    use super::*;
    use crate::model::GptConfig;
    use crate::schedule::Schedule;
    use crate::train::{OptimConfig, Trainer};
    use burn::tensor::Device;

    /// Reward: the share of sampled tokens equal to 3 (chance: 1 in 6).
    fn run(kl_coef: f32) -> (f32, f32) {
        let device = Device::flex().autodiff();
        let model = GptConfig::new(6)
            .with_block_size(8)
            .with_d_model(16)
            .with_n_layers(1)
            .init_seeded(&device, 5);
        let reference = model.valid();
        let mut trainer = Trainer::new(model, OptimConfig::new(Schedule::constant(1e-2)));
        let config = PolicyConfig {
            group_size: 16,
            max_new_tokens: 4,
            temperature: 1.0,
            kl_coef,
        };
        let prompts = vec![vec![0, 1], vec![2, 4]];
        let reward = |_: usize, c: &[Token]| c.iter().filter(|&&t| t == 3).count() as f32 / 4.0;
        let mut means = Vec::new();
        let mut rng = crate::rng::Rng::new(5);
        for _ in 0..40 {
            let batch = pollster::block_on(policy_gradient_loss(
                trainer.model(),
                Some(&reference),
                &prompts,
                &config,
                None,
                &mut rng,
                reward,
            ))
            .unwrap();
            means.push(batch.rollout.mean_reward());
            trainer.step(batch.loss);
        }
        pollster::block_on(trainer.flush()).unwrap();
        eprintln!("kl {kl_coef}: mean rewards {means:?}");
        let first = means[..5].iter().sum::<f32>() / 5.0;
        let last = means[means.len() - 5..].iter().sum::<f32>() / 5.0;
        (first, last)
    }

    #[test]
    fn policy_gradient_raises_the_mean_reward() {
        let (first, last) = run(0.0);
        assert!(first < 0.45, "starts near chance (1/6): {first}");
        assert!(last > first + 0.3 && last > 0.75, "mean reward {first} -> {last}");
    }

    #[test]
    fn a_strong_kl_penalty_holds_the_policy_near_its_reference() {
        let (_, free) = run(0.0);
        let (_, held) = run(5.0);
        assert!(held < free - 0.1, "KL-held {held} vs free {free}");
    }

    #[test]
    fn stop_token_cuts_completions_and_bad_prompts_are_refused() {
        let device = Device::flex().autodiff();
        let model = GptConfig::new(6).with_block_size(8).with_d_model(8).init(&device);
        let config = PolicyConfig {
            group_size: 4,
            max_new_tokens: 5,
            temperature: 1.0,
            kl_coef: 0.0,
        };
        let batch = pollster::block_on(policy_gradient_loss(
            &model,
            None,
            &[vec![1, 2]],
            &config,
            Some(0),
            &mut crate::rng::Rng::new(1),
            |_, c| c.len() as f32,
        ))
        .unwrap();
        for c in &batch.rollout.completions {
            assert!(!c.is_empty() && c.len() <= 5);
            assert!(
                c[..c.len() - 1].iter().all(|&t| t != 0),
                "{c:?} continues past the stop token"
            );
        }
        let ragged = pollster::block_on(policy_gradient_loss(
            &model,
            None,
            &[vec![1], vec![1, 2]],
            &config,
            None,
            &mut crate::rng::Rng::new(1),
            |_, _| 0.0,
        ));
        assert!(ragged.err().unwrap().to_string().contains("share a length"));
    }
}
