//! The statistics every figure carries: Wilson intervals over episodes,
//! and mean ± sd over seeds.

use serde::{Deserialize, Serialize};

/// A rate with its Wilson 95% score interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub successes: u64,
    pub trials: u64,
    pub rate: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Rate {
    /// Wilson (1927) score interval at 95%: sensible at 0 and 1 and for
    /// small counts, where the normal approximation is not.
    pub fn wilson(successes: u64, trials: u64) -> Self {
        assert!(successes <= trials, "{successes} successes in {trials} trials");
        if trials == 0 {
            return Self {
                successes,
                trials,
                rate: f64::NAN,
                lo: 0.0,
                hi: 1.0,
            };
        }
        const Z: f64 = 1.959_963_984_540_054;
        let n = trials as f64;
        let p = successes as f64 / n;
        let denom = 1.0 + Z * Z / n;
        let centre = (p + Z * Z / (2.0 * n)) / denom;
        let half = Z * (p * (1.0 - p) / n + Z * Z / (4.0 * n * n)).sqrt() / denom;
        Self {
            successes,
            trials,
            rate: p,
            // Exact at the edges (the formula gives 1 - 1e-16 there).
            lo: if successes == 0 {
                0.0
            } else {
                (centre - half).max(0.0)
            },
            hi: if successes == trials {
                1.0
            } else {
                (centre + half).min(1.0)
            },
        }
    }
}

/// Mean and sample standard deviation (0 for a single value).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    pub sd: f64,
    pub n: usize,
}

impl Spread {
    pub fn of(values: &[f64]) -> Self {
        let n = values.len();
        if n == 0 {
            return Self {
                mean: f64::NAN,
                sd: f64::NAN,
                n,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n < 2 {
            0.0
        } else {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        };
        Self { mean, sd, n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662.
        let r = Rate::wilson(81, 263);
        assert!(
            (r.lo - 0.2553).abs() < 1e-3 && (r.hi - 0.3662).abs() < 1e-3,
            "{r:?}"
        );
        // 0 of 10: [0, 0.2775]; 10 of 10: [0.7225, 1].
        let z = Rate::wilson(0, 10);
        assert!(z.lo == 0.0 && (z.hi - 0.2775).abs() < 1e-3, "{z:?}");
        let a = Rate::wilson(10, 10);
        assert!((a.lo - 0.7225).abs() < 1e-3 && a.hi == 1.0, "{a:?}");
        assert!(Rate::wilson(0, 0).rate.is_nan());
    }

    #[test]
    fn spread_is_mean_and_sample_sd() {
        let s = Spread::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        assert!((s.sd - 1.290_994).abs() < 1e-5);
        assert_eq!(Spread::of(&[7.0]).sd, 0.0);
    }
}
