//! Sampling on the device: no host read per token, one read per batch.
//!
//! Gumbel-max: `argmax(logits / temperature + Gumbel noise)` draws exactly from
//! `softmax(logits / temperature)` and needs no sort (which WebGPU lacks).
//! Like the PyTorch peer, each new token runs the whole context (no KV cache):
//! the sequences here are a few dozen tokens.

use burn::tensor::{Distribution, Int, Tensor, TensorData};

use crate::model::Gpt;
use crate::rng::Rng;

/// Append `new_tokens` sampled tokens to each prompt (`temperature` 0 is
/// greedy), with Gumbel noise from the device's generator.
///
/// # Shapes
/// - prompts: `[B, P]`, with `P + new_tokens <= block_size`
/// - output: `[B, P + new_tokens]`
pub fn sample(model: &Gpt, prompts: Tensor<2, Int>, new_tokens: usize, temperature: f64) -> Tensor<2, Int> {
    sample_with(model, prompts, new_tokens, temperature, |scaled| {
        gumbel_argmax(scaled)
    })
}

/// As [`sample`], but the Gumbel noise comes from the host's seeded `rng`,
/// not the device's generator: the same draws on every backend, and no
/// shared generator state between runs in parallel threads (flex's is global).
pub fn sample_seeded(
    model: &Gpt,
    prompts: Tensor<2, Int>,
    new_tokens: usize,
    temperature: f64,
    rng: &mut Rng,
) -> Tensor<2, Int> {
    sample_with(model, prompts, new_tokens, temperature, |scaled| {
        let [b, v] = scaled.dims();
        // Gumbel(0, 1) = -ln(-ln u), u kept off 0 and 1.
        let noise: Vec<f32> = (0..b * v)
            .map(|_| -(-(rng.unit().clamp(1e-7, 1.0 - 1e-7)).ln()).ln() as f32)
            .collect();
        let device = scaled.device();
        (scaled + Tensor::from_data(TensorData::new(noise, [b, v]), &device)).argmax(1)
    })
}

/// The sampling loop; `draw` turns `[B, V]` logits / temperature into `[B, 1]` tokens.
fn sample_with(
    model: &Gpt,
    prompts: Tensor<2, Int>,
    new_tokens: usize,
    temperature: f64,
    mut draw: impl FnMut(Tensor<2>) -> Tensor<2, Int>,
) -> Tensor<2, Int> {
    let [b, p] = prompts.dims();
    assert!(
        p + new_tokens <= model.block_size(),
        "prompt {p} + {new_tokens} new tokens exceeds block_size {}",
        model.block_size()
    );
    assert!(
        temperature >= 0.0,
        "temperature must be non-negative, got {temperature}"
    );
    let mut seq = prompts;
    for i in 0..new_tokens {
        let logits = model.forward(seq.clone()); // [B, P+i, V]
        let v = logits.dims()[2];
        let last = logits.narrow(1, p + i - 1, 1).reshape([b, v]); // -> [B, V]
        let next = if temperature == 0.0 {
            last.argmax(1) // greedy
        } else {
            draw(last / temperature)
        }; // [B, 1]
        seq = Tensor::cat(vec![seq, next], 1);
    }
    seq
}

/// One categorical draw per row.
/// # Shapes
/// - logits: `[B, V]`
/// - output: `[B, 1]`
pub fn gumbel_argmax(logits: Tensor<2>) -> Tensor<2, Int> {
    // Keep u off 0 and 1 so the double log stays finite.
    let u = Tensor::<2>::random(
        logits.dims(),
        Distribution::Uniform(1e-7, 1.0 - 1e-7),
        &logits.device(),
    );
    let gumbel = -(-u.log()).log();
    (logits + gumbel).argmax(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn frequencies_match_softmax_probabilities() {
        // 20,000 draws from a fixed distribution; each frequency within 5 sd.
        let device = Device::flex();
        device.seed(11);
        let probs = [0.5f32, 0.25, 0.15, 0.07, 0.03];
        let n = 20_000;
        let logits = Tensor::<1>::from_floats(probs.map(f32::ln), &device)
            .reshape([1, 5])
            .expand([n, 5]);
        let draws = gumbel_argmax(logits).into_data();
        let mut counts = [0usize; 5];
        for d in draws.iter::<i64>() {
            counts[d as usize] += 1;
        }
        for (k, &p) in probs.iter().enumerate() {
            let freq = counts[k] as f64 / n as f64;
            let sd = (p as f64 * (1.0 - p as f64) / n as f64).sqrt();
            assert!((freq - p as f64).abs() < 5.0 * sd, "token {k}: {freq} vs {p}");
        }
    }

    #[test]
    fn appends_the_requested_number_of_tokens() {
        let device = Device::flex();
        let model = crate::model::GptConfig::new(7)
            .with_block_size(8)
            .with_d_model(16)
            .init(&device);
        let prompts = Tensor::<2, Int>::from_ints([[1, 2, 3], [4, 5, 6]], &device);
        let out = sample(&model, prompts, 4, 1.0);
        assert_eq!(out.dims(), [2, 7]);
        let head = out.narrow(1, 0, 3).into_data();
        assert_eq!(head.iter::<i64>().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6]);
    }
}
