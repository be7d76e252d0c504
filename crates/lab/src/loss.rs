//! Next-token cross-entropy with an optional per-token weight (SFT = weight 1
//! on answer tokens only, 0 on the prompt and padding).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

/// Mean negative log-likelihood of `targets` under `logits`.
///
/// # Shapes
/// - logits: `[B, T, V]`
/// - targets: `[B, T]` (the token that should follow each position)
/// - weights: `[B, T]`, non-negative; `None` weighs every position 1
/// - output: `[1]`, the weighted mean over positions
pub fn next_token_loss(logits: Tensor<3>, targets: Tensor<2, Int>, weights: Option<Tensor<2>>) -> Tensor<1> {
    let [b, t, _] = logits.dims();
    let nll = -log_softmax(logits, 2)
        .gather(2, targets.reshape([b, t, 1])) // [B, T, 1]
        .reshape([b, t]); // -> [B, T]
    match weights {
        None => nll.mean(),
        // Guard the all-masked batch: 0/0 would be NaN, not "nothing to learn".
        Some(w) => (nll * w.clone()).sum() / w.sum().clamp_min(1e-9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Tolerance};

    #[test]
    fn uniform_logits_give_log_vocab() {
        let device = Device::flex();
        let logits = Tensor::<3>::zeros([2, 3, 8], &device);
        let targets = Tensor::<2, Int>::from_ints([[1, 2, 3], [4, 5, 6]], &device);
        let loss = next_token_loss(logits, targets, None).into_scalar::<f32>();
        assert!((loss - 8f32.ln()).abs() < 1e-5);
    }

    #[test]
    fn masked_positions_contribute_nothing() {
        // Same logits and weights; targets differ only where the weight is 0.
        let device = Device::flex();
        device.seed(1);
        let logits = Tensor::<3>::random([2, 4, 6], burn::tensor::Distribution::Normal(0.0, 2.0), &device);
        let w = Tensor::<2>::from_floats([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]], &device);
        let a = Tensor::<2, Int>::from_ints([[0, 1, 2, 3], [4, 5, 0, 1]], &device);
        let b = Tensor::<2, Int>::from_ints([[5, 1, 2, 0], [4, 2, 3, 5]], &device);
        let la = next_token_loss(logits.clone(), a, Some(w.clone()));
        let lb = next_token_loss(logits.clone(), b.clone(), Some(w.clone()));
        la.into_data()
            .assert_approx_eq::<f32>(&lb.into_data(), Tolerance::default());
        // ...and an unmasked target does change it.
        let c = Tensor::<2, Int>::from_ints([[5, 2, 2, 0], [4, 2, 3, 5]], &device);
        let lc = next_token_loss(logits.clone(), c, Some(w.clone())).into_scalar::<f32>();
        let lb = next_token_loss(logits, b, Some(w)).into_scalar::<f32>();
        assert!((lc - lb).abs() > 1e-4);
    }
}
