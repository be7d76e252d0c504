//! A run split into parts, for many processes or machines (a scheduler's
//! array job), and the parts merged back.
//!
//! The unit of work is one regime at one seed. A regime's numbers depend only
//! on its phases and the seed (each phase's randomness comes from its prefix
//! key), so a part may train a shared prefix that another part also trains:
//! the counts are the same wherever a unit runs. [`merge`] puts the parts'
//! rows back in one-process order and keeps each shared prefix's training
//! curve once, under the first regime that has it, exactly as
//! [`crate::experiment::run`] logs it; so the merged file equals a
//! one-process run's, timing and provenance aside (tested).

use std::collections::HashSet;

use crate::error::{LabError, Result};
use crate::experiment::units_per_seed;
use crate::results::{ExperimentResults, SeedOutcome, Shard, Unit};
use crate::spec::{ExperimentSpec, prefix_keys};

/// The units of `spec`, in one-process order (seed by seed, regimes in order).
pub fn units(spec: &ExperimentSpec) -> Vec<Unit> {
    spec.seeds
        .iter()
        .flat_map(|&seed| {
            spec.regimes.iter().map(move |r| Unit {
                regime: r.name.clone(),
                seed,
            })
        })
        .collect()
}

/// Rough cost of a unit run alone: its steps (a shared prefix included, as a
/// part may have to train it) plus its evaluation.
fn cost(spec: &ExperimentSpec, unit: &Unit) -> usize {
    let alone = ExperimentSpec {
        regimes: spec
            .regimes
            .iter()
            .filter(|r| r.name == unit.regime)
            .cloned()
            .collect(),
        ..spec.clone()
    };
    units_per_seed(&alone, unit.seed)
}

/// Part `index` (1-based) of `count` balanced parts of `spec`: units dealt,
/// largest first, to the part with the least work so far (ties to the lower
/// part), then listed in one-process order. The same on every machine.
pub fn part(spec: &ExperimentSpec, index: usize, count: usize) -> Result<Shard> {
    let all = units(spec);
    if count == 0 || index == 0 || index > count {
        return Err(LabError::Spec(format!(
            "shard {index}/{count}: the part must be 1..={count} of at least one"
        )));
    }
    if count > all.len() {
        return Err(LabError::Spec(format!(
            "shard {index}/{count}: this experiment has only {} units (regime × seed) to share out",
            all.len()
        )));
    }
    let mut order: Vec<(usize, usize)> = all.iter().enumerate().map(|(i, u)| (cost(spec, u), i)).collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut load = vec![0usize; count];
    let mut owner = vec![0usize; all.len()];
    for (c, i) in order {
        let least = (0..count).min_by_key(|&p| (load[p], p)).expect("count > 0");
        load[least] += c;
        owner[i] = least;
    }
    Ok(Shard {
        index,
        count,
        units: all
            .into_iter()
            .zip(owner)
            .filter(|(_, o)| *o == index - 1)
            .map(|(u, _)| u)
            .collect(),
    })
}

/// What one seed of `shard` runs: `spec` cut to the part's regimes at that
/// seed (`None`: nothing at this seed).
pub fn seed_spec(spec: &ExperimentSpec, shard: &Shard, seed: u64) -> Option<ExperimentSpec> {
    let mine: HashSet<&str> = shard
        .units
        .iter()
        .filter(|u| u.seed == seed)
        .map(|u| u.regime.as_str())
        .collect();
    (!mine.is_empty()).then(|| ExperimentSpec {
        regimes: spec
            .regimes
            .iter()
            .filter(|r| mine.contains(r.name.as_str()))
            .cloned()
            .collect(),
        seeds: vec![seed],
        ..spec.clone()
    })
}

/// Merge parts into the file one process would have written: refuses parts
/// of another spec, engine or results format, parts of another split,
/// repeated parts and missing ones.
pub fn merge(parts: Vec<ExperimentResults>) -> Result<ExperimentResults> {
    let bad = |what: String| Err(LabError::Invalid(format!("merge: {what}")));
    let Some(first) = parts.first() else {
        return bad("no parts given".into());
    };
    let spec = first.spec.clone();
    let count = match &first.shard {
        Some(s) => s.count,
        None => {
            return bad("the first file is a whole run, not a part (`run --shard K/N` writes parts)".into());
        }
    };
    let mut seen = vec![false; count];
    for p in &parts {
        let Some(shard) = &p.shard else {
            return bad("a file is a whole run, not a part".into());
        };
        if p.spec != spec {
            return bad(format!(
                "part {}/{} is of another experiment",
                shard.index, shard.count
            ));
        }
        if p.engine != first.engine || p.format != first.format {
            return bad(format!(
                "part {}/{} was made by engine {} (format {}), part {}/{} by {} (format {})",
                shard.index, shard.count, p.engine, p.format, 1, count, first.engine, first.format
            ));
        }
        if shard.count != count || *shard != part(&spec, shard.index, count)? {
            return bad(format!(
                "part {}/{} is not the part this engine makes of {count}: another split",
                shard.index, shard.count
            ));
        }
        if std::mem::replace(&mut seen[shard.index - 1], true) {
            return bad(format!("part {}/{count} is given twice", shard.index));
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return bad(format!("part {}/{count} is missing", missing + 1));
    }
    // One outcome per seed, regimes in spec order: the one-process layout.
    let regime_index = |name: &str| spec.regimes.iter().position(|r| r.name == name);
    let mut outcomes = vec![];
    for &seed in &spec.seeds {
        let mut o = SeedOutcome::default();
        for r in &spec.regimes {
            let p = parts
                .iter()
                .find(|p| {
                    p.shard
                        .as_ref()
                        .is_some_and(|s| s.units.iter().any(|u| u.seed == seed && u.regime == r.name))
                })
                .expect("every unit is in exactly one part");
            let mine = |regime: &str, s: u64| regime == r.name && s == seed;
            o.rows
                .extend(p.rows.iter().filter(|x| mine(&x.regime, x.seed)).cloned());
            o.stages
                .extend(p.stages.iter().filter(|x| mine(&x.regime, x.seed)).cloned());
            o.depth
                .extend(p.depth.iter().filter(|x| mine(&x.regime, x.seed)).cloned());
            o.failures
                .extend(p.failures.iter().filter(|x| mine(&x.regime, x.seed)).cloned());
            // A part logged every phase it trained for this regime; one
            // process logs a shared prefix once, under the first regime
            // that trained it, so keep only the phases no earlier regime has.
            // A regime that failed leaves nothing trained behind (its new
            // prefixes leave the cache with it), so only finished ones count.
            let keys = prefix_keys(&spec, seed, &r.phases);
            let failed = |name: &str| {
                parts
                    .iter()
                    .flat_map(|p| &p.failures)
                    .any(|f| f.regime == name && f.seed == seed)
            };
            let earlier: HashSet<u64> = spec.regimes[..regime_index(&r.name).expect("a regime")]
                .iter()
                .filter(|e| !failed(&e.name))
                .flat_map(|e| prefix_keys(&spec, seed, &e.phases))
                .collect();
            let fresh: Vec<&str> = r
                .phases
                .iter()
                .zip(&keys)
                .filter(|(_, k)| !earlier.contains(k))
                .map(|(ph, _)| ph.name.as_str())
                .collect();
            let mut logs: Vec<_> = p
                .logs
                .iter()
                .filter(|x| mine(&x.regime, x.seed))
                .cloned()
                .collect();
            logs = logs.split_off(logs.len() - fresh.len().min(logs.len()));
            o.logs.extend(logs);
        }
        outcomes.push(o);
    }
    let joined = |f: fn(&ExperimentResults) -> String| {
        let mut all: Vec<String> = vec![];
        for v in parts.iter().map(f) {
            if !all.contains(&v) {
                all.push(v);
            }
        }
        all.join(" + ")
    };
    let mut out = ExperimentResults {
        engine: first.engine.clone(),
        backend: joined(|r| r.backend.clone()),
        commit: Some(joined(|r| r.commit.clone().unwrap_or_else(|| "?".into()))).filter(|c| c != "?"),
        // Compute time, summed over the parts (they may have run at once).
        seconds: parts.iter().map(|p| p.seconds).sum(),
        ..ExperimentResults::empty(&spec)
    };
    out.add(outcomes);
    Ok(out)
}
