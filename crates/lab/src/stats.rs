//! The statistics every figure carries: Wilson intervals over episodes,
//! and mean ± sd over seeds; and the paired comparisons between regimes:
//! per-seed differences with a bootstrap interval and an exact sign-flip
//! permutation p-value, Holm's correction across a family of comparisons,
//! two one-sided tests for "no difference larger than a margin", and the
//! smallest effect the exact test detects over a given number of seeds
//! (its power simulated, not read off a t formula: at a strict level and
//! few seeds the exact test's smallest p is the binding limit).
//!
//! Everything here is deterministic: the resampling draws from a fixed-seed
//! SplitMix64, so a report computes the same intervals on every platform.

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

/// A paired comparison of two regimes over seeds: per-seed differences a - b
/// (the regimes share their random numbers at each seed, so seeds pair them).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Seeds with both values.
    pub n: usize,
    /// Mean of the per-seed differences.
    pub mean: f64,
    /// Sample sd of the differences (0 when n < 2).
    pub sd: f64,
    /// 95% interval for the mean difference: percentile bootstrap over seeds,
    /// 10_000 resamples from a fixed-seed generator (so it is reproducible).
    pub lo: f64,
    pub hi: f64,
    /// Two-sided exact sign-flip permutation p-value for mean difference 0:
    /// share of the 2^n sign assignments whose |mean| >= the observed |mean|
    /// (with a small tolerance, 1e-12, for float ties). Exhaustive for n <= 20;
    /// above that, 200_000 random sign assignments from a fixed-seed generator,
    /// with the observed assignment counted (p = (k+1)/(draws+1)).
    pub p: f64,
    /// The smallest p this n can give: 2 / 2^n (1 when n == 0). A test at a
    /// level below this can never reject, whatever the data.
    pub p_floor: f64,
}

/// Bootstrap resamples for `Paired::lo`/`hi`.
const RESAMPLES: usize = 10_000;
/// Largest n whose 2^n sign assignments are all enumerated.
const EXHAUSTIVE_MAX: usize = 20;
/// Random sign assignments above `EXHAUSTIVE_MAX`.
const DRAWS: u64 = 200_000;
/// Tolerance on |mean| for float ties (relative once the differences exceed 1,
/// since rounding in the sums grows with their size).
const TIE: f64 = 1e-12;
/// Fixed generator seeds: reproducible, and different for the two uses.
const BOOTSTRAP_SEED: u64 = 0x5eed_b007_57a9_0001;
const SIGN_FLIP_SEED: u64 = 0x5eed_5167_f119_0002;

impl Paired {
    /// From per-seed differences. n == 0: mean/sd/lo/hi NaN, p = 1, p_floor = 1.
    /// All differences equal (incl. all zero): sd 0, lo = hi = mean; p computed as defined
    /// (all-zero differences give p = 1). A non-finite difference makes everything but
    /// n and p_floor NaN (no test is possible on it).
    pub fn of(diffs: &[f64]) -> Self {
        let n = diffs.len();
        let p_floor = p_floor(n);
        if n == 0 {
            return Self {
                n,
                mean: f64::NAN,
                sd: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
                p: 1.0,
                p_floor,
            };
        }
        if diffs.iter().any(|d| !d.is_finite()) {
            return Self {
                n,
                mean: f64::NAN,
                sd: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
                p: f64::NAN,
                p_floor,
            };
        }
        let p = sign_flip_p(diffs, Tail::Two);
        // Equal values: the mean's rounding (0.1 * 3 / 3 != 0.1) would otherwise
        // give a tiny nonzero sd and an interval that misses the value itself.
        if diffs.iter().all(|&d| d == diffs[0]) {
            let mean = diffs[0];
            return Self {
                n,
                mean,
                sd: 0.0,
                lo: mean,
                hi: mean,
                p,
                p_floor,
            };
        }
        let Spread { mean, sd, .. } = Spread::of(diffs);
        let (lo, hi) = bootstrap_interval(diffs);
        Self {
            n,
            mean,
            sd,
            lo,
            hi,
            p,
            p_floor,
        }
    }
}

/// 2 / 2^n: the observed signs and their mirror image are always counted.
fn p_floor(n: usize) -> f64 {
    if n == 0 {
        1.0
    } else {
        0.5f64.powi(i32::try_from(n - 1).unwrap_or(i32::MAX))
    }
}

/// Percentile bootstrap 95% interval for the mean (linear interpolation between
/// order statistics).
fn bootstrap_interval(diffs: &[f64]) -> (f64, f64) {
    let n = diffs.len();
    let mut rng = SplitMix64(BOOTSTRAP_SEED);
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| (0..n).map(|_| diffs[rng.below(n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_unstable_by(f64::total_cmp);
    let quantile = |q: f64| {
        let h = q * (RESAMPLES - 1) as f64;
        let i = h.floor() as usize;
        let next = means[(i + 1).min(RESAMPLES - 1)];
        means[i] + (h - i as f64) * (next - means[i])
    };
    (quantile(0.025), quantile(0.975))
}

/// Sums of `d` under every sign assignment: entry `m` negates the elements
/// whose bits are set in `m`. Each entry is at most `d.len()` additions from
/// the plain sum, so rounding stays far below the tie tolerance (a running
/// Gray-code sum over 2^20 steps would not).
fn signed_sums(d: &[f64]) -> Vec<f64> {
    let mut t = vec![0.0; 1 << d.len()];
    t[0] = d.iter().sum();
    for m in 1..t.len() {
        t[m] = t[m & (m - 1)] - 2.0 * d[m.trailing_zeros() as usize];
    }
    t
}

/// Which sign assignments count as at least as extreme as the observed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tail {
    /// |S| >= |S_obs|: a difference in either direction.
    Two,
    /// S >= S_obs: a difference upwards only.
    Upper,
}

/// The exact sign-flip permutation p-value (see `Paired::p`), two-sided or upper.
fn sign_flip_p(diffs: &[f64], tail: Tail) -> f64 {
    let n = diffs.len();
    let scale = diffs.iter().map(|d| d.abs()).sum::<f64>().max(n as f64);
    // Compare sums, not means: S >= S_obs - n * tol.
    let tie = TIE * scale;
    let extreme = |sum: f64, observed: f64| match tail {
        Tail::Two => sum.abs() >= observed.abs() - tie,
        Tail::Upper => sum >= observed - tie,
    };
    if n <= EXHAUSTIVE_MAX {
        // Meet in the middle: every sum is one table entry from each half.
        let (a, b) = diffs.split_at(n / 2);
        let (a, b) = (signed_sums(a), signed_sums(b));
        let observed = a[0] + b[0];
        let count: u64 = b
            .iter()
            .map(|&y| {
                a.iter()
                    .map(|&x| u64::from(extreme(x + y, observed)))
                    .sum::<u64>()
            })
            .sum();
        return count as f64 / (1u64 << n) as f64;
    }
    // Tables for bytes of 8 signs: one random u64 sets 64 signs, 8 lookups.
    let tables: Vec<Vec<f64>> = diffs.chunks(8).map(signed_sums).collect();
    let observed = tables.iter().map(|t| t[0]).sum::<f64>();
    let mut rng = SplitMix64(SIGN_FLIP_SEED);
    let mut k = 0u64;
    for _ in 0..DRAWS {
        let mut sum = 0.0;
        let mut bits = 0u64;
        for (c, t) in tables.iter().enumerate() {
            if c % 8 == 0 {
                bits = rng.next_u64();
            }
            // The mask keeps the index inside the table (a short last chunk).
            sum += t[(bits & (t.len() as u64 - 1)) as usize];
            bits >>= 8;
        }
        k += u64::from(extreme(sum, observed));
    }
    (k + 1) as f64 / (DRAWS + 1) as f64
}

/// One-sided exact sign-flip p for "the mean difference is above `bound`"
/// (null: it is at most `bound`): the sign-flip test on `d - bound`, which,
/// like the test against 0, takes the differences to be symmetric about
/// the null's mean. 1 without differences; NaN if any is not finite.
pub fn p_above(diffs: &[f64], bound: f64) -> f64 {
    if diffs.is_empty() {
        return 1.0;
    }
    if diffs.iter().any(|d| !d.is_finite()) || !bound.is_finite() {
        return f64::NAN;
    }
    let shifted: Vec<f64> = diffs.iter().map(|d| d - bound).collect();
    sign_flip_p(&shifted, Tail::Upper)
}

/// One-sided exact sign-flip p for "the mean difference is below `bound`".
pub fn p_below(diffs: &[f64], bound: f64) -> f64 {
    let negated: Vec<f64> = diffs.iter().map(|d| -d).collect();
    p_above(&negated, -bound)
}

/// Two one-sided tests (Schuirmann 1987) of "the mean difference lies inside
/// ± `margin`": the larger of the p for "above −margin" and "below +margin".
/// Small only when both bounds are ruled out: an equivalence test, whose
/// error rate is that of each one-sided test.
pub fn p_within(diffs: &[f64], margin: f64) -> f64 {
    p_above(diffs, -margin).max(p_below(diffs, margin))
}

/// The p for "the mean difference lies outside ± `margin`": the smaller of
/// the one-sided p for "above +margin" and "below −margin", doubled (the
/// side is picked after looking), at most 1.
pub fn p_beyond(diffs: &[f64], margin: f64) -> f64 {
    (2.0 * p_above(diffs, margin).min(p_below(diffs, -margin))).min(1.0)
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and pure u64 arithmetic,
/// so the same seed gives the same stream on every platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) from the top 53 bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal draw (Marsaglia's polar method).
    fn normal(&mut self) -> f64 {
        loop {
            let (u, v) = (2.0 * self.unit() - 1.0, 2.0 * self.unit() - 1.0);
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * s.ln() / s).sqrt();
            }
        }
    }

    /// Uniform in 0..n by multiply-high (Lemire); the bias is below 2^-50 here.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Holm (1979) step-down adjusted p-values, in the order given: sort ascending,
/// adj_(i) = max over j<=i of min(1, (m - j) * p_(j)) (0-based j), returned in the input order.
/// A NaN p stays NaN and is ordered last, so it cannot lift the others.
pub fn holm(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| (ps[i].is_nan().cmp(&ps[j].is_nan())).then(ps[i].total_cmp(&ps[j])));
    let mut adjusted = vec![f64::NAN; m];
    let mut running = 0.0f64;
    for (j, &i) in order.iter().enumerate() {
        if ps[i].is_nan() {
            continue;
        }
        running = running.max(((m - j) as f64 * ps[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// The power at which a detectable difference is quoted.
pub const POWER: f64 = 0.80;
/// Simulated samples of seeds per candidate effect (common to every
/// candidate, so the estimated power rises smoothly with the effect).
const POWER_DRAWS: usize = 2_000;
/// Up to this many seeds power is simulated with the exact test; above it
/// the test's discreteness no longer binds and the t formula is used.
pub const EXACT_POWER_MAX: usize = 14;
const POWER_SEED: u64 = 0x5eed_90e7_e200_0003;

/// The smallest true mean difference the exact sign-flip test at two-sided
/// level `alpha` (rejecting when p < alpha) detects, in the true direction,
/// with [`POWER`] over `n` seeds whose differences are normal with sd `sd`.
/// `sd` times [`detectable_effect`]. Infinity when n < 2, or when the
/// smallest p the test can give (2 / 2^n) is not below alpha: it can never
/// reject. When sd == 0 and the test can reject, 0.
pub fn min_detectable(n: usize, sd: f64, alpha: f64) -> f64 {
    let effect = detectable_effect(n, alpha);
    // 0 * infinity would be NaN: a test that can never reject stays infinite.
    if sd == 0.0 && effect.is_finite() {
        0.0
    } else {
        sd * effect
    }
}

/// [`min_detectable`] in units of the differences' sd (the test is scale
/// free, so one number per (n, alpha)). Up to [`EXACT_POWER_MAX`] seeds:
/// the exact test's power simulated on [`POWER_DRAWS`] normal samples from
/// a fixed-seed generator, the effect found by bisection; above it, the t
/// formula (t_{1-alpha/2, n-1} + t_{0.80, n-1}) / sqrt(n). Remembered per
/// thread: a page redraw asks again.
pub fn detectable_effect(n: usize, alpha: f64) -> f64 {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static KNOWN: RefCell<HashMap<(usize, u64), f64>> = RefCell::new(HashMap::new());
    }
    assert!(alpha > 0.0 && alpha < 1.0, "level {alpha} outside (0, 1)");
    if n < 2 || p_floor(n) >= alpha {
        return f64::INFINITY;
    }
    if n > EXACT_POWER_MAX {
        return (t_quantile(1.0 - alpha / 2.0, n - 1) + t_quantile(POWER, n - 1)) / (n as f64).sqrt();
    }
    let key = (n, alpha.to_bits());
    if let Some(k) = KNOWN.with(|m| m.borrow().get(&key).copied()) {
        return k;
    }
    let k = simulated_effect(n, alpha);
    KNOWN.with(|m| m.borrow_mut().insert(key, k));
    k
}

/// The bisection behind [`detectable_effect`] for small n.
fn simulated_effect(n: usize, alpha: f64) -> f64 {
    let mut rng = SplitMix64(POWER_SEED);
    let draws: Vec<Vec<f64>> = (0..POWER_DRAWS)
        .map(|_| (0..n).map(|_| rng.normal()).collect())
        .collect();
    let power = |k: f64| {
        let hits = draws
            .iter()
            .filter(|z| {
                let d: Vec<f64> = z.iter().map(|z| k + z).collect();
                d.iter().sum::<f64>() > 0.0 && rejects(&d, alpha)
            })
            .count();
        hits as f64 / POWER_DRAWS as f64
    };
    // Every difference positive gives p = 2 / 2^n < alpha, so power -> 1:
    // doubling finds an upper bracket.
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while power(hi) < POWER {
        lo = hi;
        hi *= 2.0;
    }
    // To half a hundredth of an sd: finer than the reports print.
    while hi - lo > 0.005 {
        let mid = 0.5 * (lo + hi);
        if power(mid) >= POWER {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Does the two-sided exact sign-flip test give p < `level`? The count of
/// [`sign_flip_p`] for up to [`EXHAUSTIVE_MAX`] differences, with its
/// tolerance for ties (the observed sum, summed in another order, must
/// still count), found by sorting one half's signed sums and counting the
/// other half's partners by binary search: fast enough to run for
/// thousands of samples.
fn rejects(d: &[f64], level: f64) -> bool {
    debug_assert!(d.len() <= EXHAUSTIVE_MAX, "{} differences", d.len());
    let scale = d.iter().map(|x| x.abs()).sum::<f64>().max(d.len() as f64);
    let threshold = d.iter().sum::<f64>().abs() - TIE * scale;
    let (a, b) = d.split_at(d.len() / 2);
    let mut a = signed_sums(a);
    a.sort_unstable_by(f64::total_cmp);
    let allowed = level * (1u64 << d.len()) as f64;
    let mut count = 0usize;
    for y in signed_sums(b) {
        // x + y >= t or x + y <= -t (both, and so every sum, when t <= 0).
        count += a.len() - a.partition_point(|&x| x < threshold - y);
        count += a.partition_point(|&x| x <= -threshold - y);
        if count as f64 >= allowed {
            return false;
        }
    }
    true
}

/// Student's t quantile: the x with P(T_df <= x) = q, for 0 < q < 1, df >= 1.
pub fn t_quantile(q: f64, df: usize) -> f64 {
    assert!(q > 0.0 && q < 1.0, "quantile {q} outside (0, 1)");
    assert!(df >= 1, "t with {df} degrees of freedom");
    if q == 0.5 {
        return 0.0;
    }
    // Solve on the tail probability (exact: 1 - q has no rounding for q >= 0.5),
    // so quantiles far out are as accurate as central ones.
    let tail = q.min(1.0 - q);
    let nu = df as f64;
    let upper_tail = |t: f64| 0.5 * incomplete_beta(nu / 2.0, 0.5, nu / (nu + t * t));
    // Bracket, then bisect: the tail falls monotonically in t, and each halving
    // is cheap next to the precision it buys.
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..1100 {
        if upper_tail(hi) <= tail {
            break;
        }
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi || hi - lo <= 1e-15 * hi.max(1.0) {
            break;
        }
        if upper_tail(mid) > tail {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    if q < 0.5 { -t } else { t }
}

/// Regularized incomplete beta I_x(a, b) (Numerical Recipes `betai`).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // The continued fraction converges fast only below the mean; above it use
    // the symmetry I_x(a, b) = 1 - I_{1-x}(b, a).
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// Continued fraction for the incomplete beta, by modified Lentz
/// (Numerical Recipes `betacf`).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    // Iterations grow like sqrt(max(a, b)); this covers df in the millions.
    const MAX_ITER: usize = 10_000;
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / nonzero(1.0 + aa * d);
        c = nonzero(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / nonzero(1.0 + aa * d);
        c = nonzero(1.0 + aa / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x >= 0.5 by Lanczos (g = 7, 9 terms; ~1e-15 relative).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let series = COEF[1..]
        .iter()
        .enumerate()
        .fold(COEF[0], |acc, (i, c)| acc + c / (x + (i + 1) as f64));
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
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

    #[test]
    fn t_quantile_matches_published_values() {
        for (q, df, want) in [
            (0.975, 1, 12.706),
            (0.975, 4, 2.776),
            (0.975, 9, 2.262),
            (0.975, 30, 2.042),
            (0.80, 9, 0.883),
            (0.995, 9, 3.250),
        ] {
            let t = t_quantile(q, df);
            assert!((t - want).abs() < 1e-3, "t({q}, {df}) = {t}, want {want}");
        }
        assert!((t_quantile(0.025, 9) + t_quantile(0.975, 9)).abs() < 1e-9);
        assert_eq!(t_quantile(0.5, 7), 0.0);
    }

    #[test]
    fn t_quantile_matches_closed_forms() {
        // df 1 is Cauchy: tan(pi (q - 1/2)); df 2: (2q - 1) / sqrt(2 q (1 - q)).
        for q in [0.001, 0.1, 0.3, 0.6, 0.9, 0.975, 0.999] {
            let cauchy = (std::f64::consts::PI * (q - 0.5)).tan();
            let t1 = t_quantile(q, 1);
            assert!(
                (t1 - cauchy).abs() < 1e-9 * cauchy.abs().max(1.0),
                "q {q}: {t1} vs {cauchy}"
            );
            let two = (2.0 * q - 1.0) / (2.0 * q * (1.0 - q)).sqrt();
            let t2 = t_quantile(q, 2);
            assert!(
                (t2 - two).abs() < 1e-9 * two.abs().max(1.0),
                "q {q}: {t2} vs {two}"
            );
        }
        // Large df approaches the normal: z_0.975 = 1.959964.
        assert!((t_quantile(0.975, 100_000) - 1.959_964).abs() < 1e-4);
    }

    #[test]
    fn paired_all_positive_hits_the_floor() {
        let r = Paired::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(r.n, 5);
        assert_eq!(r.mean, 3.0);
        assert_eq!(r.p, 0.0625);
        assert_eq!(r.p_floor, 0.0625);
        assert!(
            r.lo > 0.0 && r.lo <= r.mean && r.mean <= r.hi && r.hi <= 5.0,
            "{r:?}"
        );
        assert!((r.sd - 2.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn paired_balanced_differences_give_p_one() {
        let r = Paired::of(&[1.0, -1.0, 1.0, -1.0]);
        assert_eq!(r.mean, 0.0);
        assert_eq!(r.p, 1.0);
        assert!(r.lo < 0.0 && r.hi > 0.0, "{r:?}");
    }

    /// Every sign assignment, directly from the definition.
    fn brute_force_p(d: &[f64]) -> f64 {
        let n = d.len();
        let mean = |m: u64| {
            let s: f64 = d
                .iter()
                .enumerate()
                .map(|(i, v)| if m >> i & 1 == 1 { -v } else { *v })
                .sum();
            s / n as f64
        };
        let observed = mean(0).abs();
        let hits = (0..1u64 << n)
            .filter(|&m| mean(m).abs() >= observed - 1e-12)
            .count();
        hits as f64 / (1u64 << n) as f64
    }

    #[test]
    fn paired_p_matches_brute_force() {
        // Decimal values make float ties (0.1 + 0.2 vs 0.3) that the tolerance must catch.
        let cases: [&[f64]; 4] = [
            &[0.3, -0.1, 0.2, 0.4, -0.05, 0.1, 0.15, 0.25],
            &[0.1, 0.2, -0.3, 0.1, 0.2, 0.3, -0.1],
            &[
                0.05, -0.02, 0.11, 0.07, -0.04, 0.09, 0.01, 0.03, 0.06, -0.08, 0.02, 0.05, 0.04,
            ],
            &[0.2, 0.0, -0.7, 0.3],
        ];
        for d in cases {
            let r = Paired::of(d);
            assert_eq!(r.p, brute_force_p(d), "{d:?}");
            assert!(r.p >= r.p_floor && r.p <= 1.0, "{r:?}");
        }
    }

    #[test]
    fn paired_monte_carlo_above_twenty_seeds() {
        // 12 of +1 and 10 of -1: |S| >= 2 unless exactly 11 signs flip, so the
        // exact p is 1 - C(22, 11) / 2^22.
        let mut d = vec![1.0; 12];
        d.extend([-1.0; 10]);
        let exact = 1.0 - 705_432.0 / 4_194_304.0;
        let r = Paired::of(&d);
        assert!((r.p - exact).abs() < 0.005, "{} vs {exact}", r.p);
        // All positive: no random draw matches it, so only the observed one counts.
        let up: Vec<f64> = (1..=30).map(|i| i as f64 * 0.01).collect();
        let r = Paired::of(&up);
        assert_eq!(r.p, 1.0 / 200_001.0);
        assert!(r.p_floor < 1e-8);
    }

    #[test]
    fn paired_edge_cases() {
        let empty = Paired::of(&[]);
        assert!(empty.mean.is_nan() && empty.sd.is_nan() && empty.lo.is_nan() && empty.hi.is_nan());
        assert_eq!((empty.n, empty.p, empty.p_floor), (0, 1.0, 1.0));
        let one = Paired::of(&[0.5]);
        assert_eq!(
            (one.mean, one.sd, one.lo, one.hi, one.p, one.p_floor),
            (0.5, 0.0, 0.5, 0.5, 1.0, 1.0)
        );
        // 0.1 three times: the plain mean would round to 0.10000000000000002.
        let same = Paired::of(&[0.1, 0.1, 0.1]);
        assert_eq!(
            (same.mean, same.sd, same.lo, same.hi, same.p),
            (0.1, 0.0, 0.1, 0.1, 0.25)
        );
        let zero = Paired::of(&[0.0; 6]);
        assert_eq!(
            (zero.mean, zero.sd, zero.lo, zero.hi, zero.p),
            (0.0, 0.0, 0.0, 0.0, 1.0)
        );
        assert!(Paired::of(&[0.1, f64::NAN]).p.is_nan());
    }

    #[test]
    fn bootstrap_is_deterministic_and_brackets_the_mean() {
        let d = [0.12, -0.03, 0.08, 0.2, 0.05, -0.01, 0.15, 0.07, 0.02, 0.11];
        // A copy elsewhere in memory too: nothing but the values may seed the resampling.
        let copy = d.to_vec();
        let (a, b) = (Paired::of(&d), Paired::of(&copy));
        assert_eq!(a, b);
        // Pinned, so a change to the generator or the percentile rule shows up here.
        assert!(
            (a.lo - 0.034).abs() < 1e-12 && (a.hi - 0.119).abs() < 1e-12,
            "{a:?}"
        );
        assert!(a.lo <= a.mean && a.mean <= a.hi && a.lo < a.hi, "{a:?}");
        // Roughly the normal interval: mean ± 1.96 sd / sqrt(n) (bootstrap is a little narrower).
        let half = 1.96 * a.sd / (d.len() as f64).sqrt();
        assert!(((a.hi - a.lo) / (2.0 * half) - 0.95).abs() < 0.1, "{a:?}");
    }

    #[test]
    fn holm_matches_worked_example() {
        let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.03, 0.06, 0.06, 0.02];
        assert_eq!(adj.len(), 4);
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adj:?}");
        }
        assert!(holm(&[]).is_empty());
        assert_eq!(holm(&[0.6, 0.5]), vec![1.0, 1.0]);
        let with_nan = holm(&[f64::NAN, 0.01]);
        assert!(with_nan[0].is_nan() && (with_nan[1] - 0.02).abs() < 1e-15);
    }

    #[test]
    fn min_detectable_respects_the_floor() {
        // 5 seeds: the floor 0.0625 is above 0.05, so nothing is detectable;
        // at a level equal to the floor the strict test cannot reject either.
        assert_eq!(min_detectable(5, 0.1, 0.05), f64::INFINITY);
        assert_eq!(min_detectable(5, 0.1, 0.0625), f64::INFINITY);
        assert_eq!(min_detectable(1, 0.1, 0.5), f64::INFINITY);
        assert_eq!(min_detectable(10, 0.0, 0.05), 0.0);
        assert!(min_detectable(6, 0.1, 0.05).is_finite());
        assert_eq!(min_detectable(10, 0.2, 0.01), 0.2 * detectable_effect(10, 0.01));
    }

    #[test]
    fn detectable_effect_is_the_exact_tests_power() {
        // At level 0.05 / 17 over 10 seeds the exact test rejects only when
        // all ten differences share a sign (p = 2/1024; the next possible
        // p, 4/1024, is above the level), so 80% power needs
        // Phi(k)^10 = 0.8: k = Phi^-1(0.8^0.1) = 2.0125 sd, where the t
        // formula claims 1.56.
        let k = detectable_effect(10, 0.05 / 17.0);
        assert!((k - 2.0125).abs() < 0.04, "{k}");
        let t = (t_quantile(1.0 - 0.05 / 34.0, 9) + t_quantile(0.8, 9)) / 10f64.sqrt();
        assert!(t < 1.6 && k > t + 0.35, "{k} vs the t formula's {t}");
        // Where discreteness no longer binds (a lenient level, more seeds)
        // the exact test's power is close to the t test's.
        let k = detectable_effect(14, 0.05);
        let t = (t_quantile(0.975, 13) + t_quantile(0.8, 13)) / 14f64.sqrt();
        assert!((k / t - 1.0).abs() < 0.1, "{k} vs {t}");
        // Above EXACT_POWER_MAX seeds: the t formula.
        let n = EXACT_POWER_MAX + 1;
        let t = (t_quantile(0.975, n - 1) + t_quantile(0.8, n - 1)) / (n as f64).sqrt();
        assert_eq!(detectable_effect(n, 0.05), t);
        // Stricter levels and fewer seeds need larger effects.
        assert!(detectable_effect(10, 0.01) > detectable_effect(10, 0.05));
        assert!(detectable_effect(8, 0.05) > detectable_effect(12, 0.05));
    }

    #[test]
    fn the_fast_rejection_agrees_with_the_p_value() {
        let mut rng = SplitMix64(7);
        for n in [2, 5, 8, 11, 14] {
            for _ in 0..200 {
                let shift = rng.unit();
                let d: Vec<f64> = (0..n).map(|_| shift + rng.normal()).collect();
                let p = sign_flip_p(&d, Tail::Two);
                for level in [0.01, 0.05, 0.2] {
                    assert_eq!(rejects(&d, level), p < level, "{d:?} at {level}: p {p}");
                }
            }
        }
    }

    #[test]
    fn one_sided_and_equivalence_tests() {
        // Every difference inside (-0.02, 0.02): above -0.1 and below +0.1
        // for every seed, so each one-sided p is at its floor, 1/2^n.
        let d = [0.01, -0.015, 0.0, 0.012, -0.01, 0.005, 0.019, -0.002];
        assert_eq!(p_above(&d, -0.1), 1.0 / 256.0);
        assert_eq!(p_below(&d, 0.1), 1.0 / 256.0);
        assert_eq!(p_within(&d, 0.1), 1.0 / 256.0);
        assert_eq!(p_beyond(&d, 0.1), 1.0);
        // Twenty points up on every seed: beyond the margin.
        let up = [0.2; 8];
        assert_eq!(p_beyond(&up, 0.1), 2.0 / 256.0);
        assert_eq!(p_within(&up, 0.1), 1.0);
        // The one-sided p by brute force over every sign assignment.
        let d = [0.3, -0.1, 0.2, 0.4, -0.05, 0.1, 0.15];
        for bound in [-0.2, 0.0, 0.1] {
            let e: Vec<f64> = d.iter().map(|x| x - bound).collect();
            let observed: f64 = e.iter().sum();
            let hits = (0..1u32 << e.len())
                .filter(|m| {
                    let s: f64 = e
                        .iter()
                        .enumerate()
                        .map(|(i, v)| if m >> i & 1 == 1 { -v } else { *v })
                        .sum();
                    s >= observed - 1e-12
                })
                .count();
            assert_eq!(p_above(&d, bound), hits as f64 / 128.0, "bound {bound}");
        }
        assert_eq!(p_above(&[], 0.0), 1.0);
        assert!(p_within(&[0.1, f64::NAN], 0.1).is_nan());
    }
}
