//! The patched burn-flex (`vendor/burn-flex/PATCHES.md`) computes `exp`, GELU
//! and GELU's gradient with its own polynomials. Checked here against f64
//! references, through the same burn calls the model makes, so the README's
//! test command covers the patch (the vendored crate's own tests are not
//! part of the workspace).

use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Device, Tensor};

fn grid(lo: f32, hi: f32, step: f32) -> Vec<f32> {
    (0..)
        .map(|i| lo + i as f32 * step)
        .take_while(|&x| x <= hi)
        .collect()
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// erf in f64: its Maclaurin series (accurate to ~1e-9 for |x| ≤ 4, where
/// the largest term is ~1e7) and ±1 beyond (erfc(4) ≈ 1.5e-8).
fn erf(x: f64) -> f64 {
    if x.abs() > 4.0 {
        return x.signum();
    }
    let (mut term, mut sum) = (x, x);
    for n in 1..200 {
        term *= -x * x / n as f64;
        sum += term / (2 * n + 1) as f64;
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

fn cdf(x: f64) -> f64 {
    0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

#[test]
fn gelu_and_its_gradient_match_f64() {
    let xs = grid(-10.0, 10.0, 0.000_7);
    let device = Device::flex().autodiff();
    let x = Tensor::<1>::from_floats(xs.as_slice(), &device).require_grad();
    let y = gelu(x.clone());
    let grads = y.clone().sum().backward();
    let dy = values(x.grad(&grads).unwrap());
    let y = values(y);
    for ((&x, &y), &dy) in xs.iter().zip(&y).zip(&dy) {
        let xd = x as f64;
        let want = xd * cdf(xd);
        assert!(
            (y as f64 - want).abs() <= 1e-6 * (1.0 + want.abs()),
            "gelu({x}) = {y}, want {want}"
        );
        let want = cdf(xd) + xd * pdf(xd);
        assert!((dy as f64 - want).abs() <= 1e-6, "gelu'({x}) = {dy}, want {want}");
    }
}

#[test]
fn exp_matches_f64_and_underflows_to_zero() {
    let xs = grid(-87.0, 88.0, 0.003_1);
    let device = Device::flex();
    let got = values(Tensor::<1>::from_floats(xs.as_slice(), &device).exp());
    for (&x, &e) in xs.iter().zip(&got) {
        let want = (x as f64).exp();
        assert!(
            ((e as f64 - want) / want).abs() <= 3e-7,
            "exp({x}) = {e}, want {want}"
        );
    }
    let edges = values(Tensor::<1>::from_floats([-1.0e4, f32::NAN, 100.0], &device).exp());
    assert_eq!(edges[0], 0.0);
    assert!(
        edges[1].is_nan(),
        "NaN must survive exp (the divergence check relies on it)"
    );
    assert_eq!(edges[2], f32::INFINITY);
}

#[test]
fn masked_softmax_gives_masked_scores_nothing() {
    // The model's causal mask: -1e4 scores, as `CausalSelfAttention` writes
    // them; flex's fused softmax (sampling) and the autodiff one (training).
    for device in [Device::flex(), Device::flex().autodiff()] {
        let scores = [[0.5, -1.0e4, 2.0, -1.0e4], [-1.0e4, 3.0, -1.0e4, -1.0e4]];
        let p = values(softmax(Tensor::<2>::from_floats(scores, &device), 1));
        assert_eq!([p[1], p[3], p[4], p[6], p[7]], [0.0; 5]);
        assert!(
            (p[0] + p[2] - 1.0).abs() < 1e-6 && (p[5] - 1.0).abs() < 1e-6,
            "{p:?}"
        );
    }
}
