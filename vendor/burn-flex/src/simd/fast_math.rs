//! Branch-free f32 `exp`, `erf` and GELU that the compiler can vectorise.
//!
//! Upbringing patch (see `PATCHES.md`). Upstream computes these one element at
//! a time through libm / glibc calls, which no loop around them can vectorise,
//! and glibc's `expf` takes a slow errno-setting path on every underflow (each
//! masked score of a causal softmax). On a tiny GPT that was ~30% of a
//! training step. These are plain polynomials: inlined into the loops of
//! [`super::vectorize`] they run 4–8 lanes at a time (SSE2/AVX2 natively,
//! simd128 in wasm).
//!
//! Accuracy: `exp_f32` is within 2 ulp of the true value for normal results
//! (Cephes' `expf` reduction and polynomial). `erf_f32` is Abramowitz &
//! Stegun 7.1.26, absolute error below 1.5e-7 plus f32 rounding (5.6e-7 at
//! worst, near 0, where GELU adds 1 to it) — the same formula PyTorch's
//! vectorised CPU `erf` (and so its CPU GELU) uses. Only GELU uses it; the
//! `erf` tensor op keeps libm's.

use core::f32::consts::{FRAC_1_SQRT_2, LOG2_E};

/// ln(f32::MAX): above it `exp` overflows to infinity.
const EXP_HI: f32 = 88.722_83;
/// ln(f32::MIN_POSITIVE): below it the result would be subnormal and is
/// returned as zero (libm would give a subnormal down to -103.97). Subnormal
/// arithmetic is slow, and a softmax or GELU cannot tell the difference.
const EXP_LO: f32 = -87.336_54;

/// `e^x` for f32; `0` below `EXP_LO`, `inf` above `EXP_HI`, NaN stays NaN.
/// Just above `EXP_LO` rounding can still give a subnormal result.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    let xc = x.max(EXP_LO).min(EXP_HI);
    // n = round(x / ln 2) by the 1.5·2^23 trick (no libm call, exact for
    // |n| < 2^22), then r = x - n ln 2 in two parts (Cody–Waite).
    const ROUND: f32 = 12_582_912.0;
    let n = (xc * LOG2_E + ROUND) - ROUND;
    let r = xc - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 0.166_666_65)
        * r
        + 0.5;
    let y = p * r * r + r + 1.0;
    // Scale by 2^n in two halves so that neither factor leaves the normal
    // range (n runs from -126 to 128).
    let n = n as i32;
    let n1 = n >> 1;
    let n2 = n - n1;
    let y = y * pow2i(n1) * pow2i(n2);
    if x.is_nan() {
        x
    } else if x < EXP_LO {
        0.0
    } else if x > EXP_HI {
        f32::INFINITY
    } else {
        y
    }
}

/// 2^n for n in the normal exponent range, from its bits.
#[inline(always)]
fn pow2i(n: i32) -> f32 {
    f32::from_bits(((n + 127) << 23) as u32)
}

/// erf(z) and e^(-z²), which it computes on the way (GELU's backward pass
/// needs the latter as its Gaussian density).
#[inline(always)]
fn erf_and_gauss(z: f32) -> (f32, f32) {
    let a = z.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = ((((1.061_405_4 * t - 1.453_152) * t + 1.421_413_7) * t - 0.284_496_74) * t
        + 0.254_829_6)
        * t;
    let gauss = exp_f32(-a * a);
    ((1.0 - poly * gauss).copysign(z), gauss)
}

/// erf(x) for f32 (A&S 7.1.26; absolute error below 1.5e-7 plus rounding).
#[inline(always)]
pub fn erf_f32(x: f32) -> f32 {
    erf_and_gauss(x).0
}

/// GELU(x) = x Φ(x) = x/2 (1 + erf(x/√2)).
#[inline(always)]
pub fn gelu_f32(x: f32) -> f32 {
    0.5 * x * (1.0 + erf_f32(x * FRAC_1_SQRT_2))
}

/// `grad · GELU'(x)`, with GELU'(x) = Φ(x) + x φ(x).
#[inline(always)]
pub fn gelu_backward_f32(x: f32, grad: f32) -> f32 {
    // 1/√(2π)
    const INV_SQRT_2PI: f32 = 0.398_942_3;
    let (erf, gauss) = erf_and_gauss(x * FRAC_1_SQRT_2); // gauss = e^(-x²/2)
    grad * (0.5 * (1.0 + erf) + x * INV_SQRT_2PI * gauss)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn exp_is_within_two_ulp_over_the_normal_range() {
        let mut worst = 0;
        let mut x = -87.3f32;
        while x < 88.7 {
            let want = (x as f64).exp() as f32;
            worst = worst.max(ulps(exp_f32(x), want));
            x += 0.000_731;
        }
        assert!(worst <= 2, "worst error {worst} ulp");
    }

    #[test]
    fn exp_edges() {
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-1.0e4), 0.0);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(89.0), f32::INFINITY);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert!(exp_f32(f32::NAN).is_nan());
    }

    #[test]
    fn erf_and_gelu_match_libm() {
        let mut worst_erf = 0.0f64;
        let mut worst_grad = 0.0f64;
        let mut x = -8.0f32;
        while x < 8.0 {
            let want = libm::erf(x as f64);
            worst_erf = worst_erf.max((erf_f32(x) as f64 - want).abs());
            let xd = x as f64;
            let cdf = 0.5 * (1.0 + libm::erf(xd / core::f64::consts::SQRT_2));
            let pdf = (-0.5 * xd * xd).exp() / (2.0 * core::f64::consts::PI).sqrt();
            worst_grad =
                worst_grad.max((gelu_backward_f32(x, 1.0) as f64 - (cdf + xd * pdf)).abs());
            let gelu = xd * cdf;
            assert!(
                (gelu_f32(x) as f64 - gelu).abs() <= 1.0e-6 * (1.0 + gelu.abs()),
                "gelu({x})"
            );
            x += 0.000_37;
        }
        // A&S's 1.5e-7, plus f32 cancellation in 1 - poly·e^(-x²) near 0
        // (measured 5.6e-7 at x ≈ 0.03; GELU adds 1 to it, so it stays
        // within f32 rounding there).
        assert!(worst_erf < 6.0e-7, "erf worst error {worst_erf:e}");
        assert!(worst_grad < 5.0e-7, "gelu' worst error {worst_grad:e}");
        assert!(erf_f32(f32::NAN).is_nan());
        assert_eq!(erf_f32(f32::INFINITY), 1.0);
        assert_eq!(erf_f32(f32::NEG_INFINITY), -1.0);
    }
}
