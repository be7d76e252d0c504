//! A run split into parts, for many processes or machines (a scheduler's
//! array job), and the parts merged back.
//!
//! A part is a set of the plan's units (`plan`: one regime at one seed).
//! Parts share no checkpoints, so a part trains a shared prefix another part
//! also trains: the counts are the same wherever a unit runs. [`merge`] lays
//! the parts' rows out as one process would (`plan::merge`), so the merged
//! file equals a one-process run's, timing and provenance aside (tested).

use std::collections::HashSet;

use crate::error::{LabError, Result};
use crate::eval::Condition;
use crate::plan::{self, plan};
use crate::results::{ExperimentResults, SeedOutcome, Shard, Unit};
use crate::spec::ExperimentSpec;

/// Part `index` (1-based) of `count` balanced parts of `spec`: units dealt,
/// largest first, to the part with the least work so far (ties to the lower
/// part), then listed in one-process order. The same on every machine.
pub fn part(spec: &ExperimentSpec, index: usize, count: usize) -> Result<Shard> {
    let planned = plan(spec);
    if count == 0 || index == 0 || index > count {
        return Err(LabError::Spec(format!(
            "shard {index}/{count}: the part must be 1..={count} of at least one"
        )));
    }
    if count > planned.len() {
        return Err(LabError::Spec(format!(
            "shard {index}/{count}: this experiment has only {} units (regime × seed) to share out",
            planned.len()
        )));
    }
    // A part may have to train a shared prefix itself: each unit's cost is its whole regime.
    let mut order: Vec<(usize, usize)> = planned.iter().enumerate().map(|(i, p)| (p.cost, i)).collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut load = vec![0usize; count];
    let mut owner = vec![0usize; planned.len()];
    for (c, i) in order {
        let least = (0..count).min_by_key(|&p| (load[p], p)).expect("count > 0");
        load[least] += c;
        owner[i] = least;
    }
    Ok(Shard {
        index,
        count,
        units: planned
            .into_iter()
            .zip(owner)
            .filter(|(_, o)| *o == index - 1)
            .map(|(p, _)| p.unit)
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
/// of another spec, engine or results format, of another kind of backend
/// or other CPU kernels, parts of another split, repeated parts and missing
/// ones, and parts that lack a unit of theirs (neither its rows nor its
/// failure).
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
    let first_index = first.shard.as_ref().map_or(1, |s| s.index);
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
        // Every part against the first, so every pair agrees.
        if p.kernels != first.kernels {
            let said = |k: &Option<String>| k.clone().unwrap_or_else(|| "unnamed".into());
            return bad(format!(
                "part {}/{} was trained with {} kernels, part {}/{} with {}: kernels of other widths round \
                 differently, so these parts need not add up to one run; run every part on one kind of CPU",
                shard.index,
                shard.count,
                said(&p.kernels),
                first_index,
                count,
                said(&first.kernels)
            ));
        }
        if backend_kind(&p.backend) != backend_kind(&first.backend) {
            return bad(format!(
                "part {}/{} ran on {}, part {}/{} on {}: one run is on one backend",
                shard.index, shard.count, p.backend, first_index, count, first.backend
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
        for u in &shard.units {
            let failed = p
                .failures
                .iter()
                .any(|f| f.regime == u.regime && f.seed == u.seed);
            let rows = p
                .rows
                .iter()
                .filter(|r| r.regime == u.regime && r.seed == u.seed)
                .count();
            if !failed && rows != Condition::ALL.len() {
                return bad(format!(
                    "part {}/{} has {rows} of the {} rows of {} at seed {}, and no failure for it: a unit \
                     is missing from it",
                    shard.index,
                    shard.count,
                    Condition::ALL.len(),
                    u.regime,
                    u.seed
                ));
            }
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return bad(format!("part {}/{count} is missing", missing + 1));
    }
    // Each part as one outcome holding its units' rows.
    let held: Vec<(Vec<Unit>, SeedOutcome)> = parts
        .iter()
        .map(|p| {
            let o = SeedOutcome {
                rows: p.rows.clone(),
                stages: p.stages.clone(),
                depth: p.depth.clone(),
                logs: p.logs.clone(),
                failures: p.failures.clone(),
                ..SeedOutcome::default()
            };
            (p.shard.as_ref().expect("checked above").units.clone(), o)
        })
        .collect();
    let pieces: Vec<(Unit, &SeedOutcome)> = held
        .iter()
        .flat_map(|(units, o)| units.iter().map(move |u| (u.clone(), o)))
        .collect();
    let outcomes = plan::merge(&spec, &pieces);
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
        format: first.format,
        engine: first.engine.clone(),
        kernels: first.kernels.clone(),
        backend: joined(|r| r.backend.clone()),
        commit: Some(joined(|r| r.commit.clone().unwrap_or_else(|| "?".into()))).filter(|c| c != "?"),
        // Compute time, summed over the parts (they may have run at once).
        seconds: parts.iter().map(|p| p.seconds).sum(),
        ..ExperimentResults::empty(&spec)
    };
    out.add(outcomes);
    Ok(out)
}

/// The backend a label names, without the thread count the CLI adds
/// ("CPU (burn flex) (2 threads)" -> "CPU (burn flex)"): parts may run on
/// machines with other core counts, never on another backend.
fn backend_kind(label: &str) -> &str {
    label
        .strip_suffix(" threads)")
        .and_then(|rest| rest.rsplit_once(" ("))
        .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map_or(label, |(kind, _)| kind)
}
