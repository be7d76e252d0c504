//! A run split into parts (`run --shard K/N`) and merged gives the file one
//! process writes, whatever the split and the order of the parts; merging
//! refuses repeated, missing and foreign parts. So do the plan's units run
//! one by one (as the page's workers run them), merged in any order.

use upbringing_lab::Backend;
use upbringing_lab::experiment::{run, run_seed};
use upbringing_lab::plan;
use upbringing_lab::presets::{preset, smoke};
use upbringing_lab::results::ExperimentResults;
use upbringing_lab::results::{SeedOutcome, Unit};
use upbringing_lab::shard::{merge, part, seed_spec};
use upbringing_lab::spec::ExperimentSpec;

fn spec() -> ExperimentSpec {
    let mut spec = smoke(preset("quick").unwrap());
    // Shared prefixes (pretrain, capability rl) across parts, and a regime
    // with its own pretraining.
    spec.regimes.retain(|r| {
        ["control", "ethics class", "sandwich", "aligned pretraining"].contains(&r.name.as_str())
    });
    spec.seeds = vec![4, 7];
    spec
}

fn run_part(spec: &ExperimentSpec, k: usize, n: usize) -> ExperimentResults {
    let shard = part(spec, k, n).unwrap();
    let outcomes = spec
        .seeds
        .iter()
        .filter_map(|&s| seed_spec(spec, &shard, s))
        .map(|sub| {
            pollster::block_on(run_seed(
                &sub,
                &Backend::flex(),
                sub.seeds[0],
                &mut |_: usize, _: &str, _: &str| {},
            ))
            .unwrap()
        })
        .collect();
    let mut r = ExperimentResults::assemble(spec, &Backend::flex(), outcomes);
    r.shard = Some(shard);
    // Through a file and back, as between machines.
    ExperimentResults::from_json(&serde_json::to_string(&r).unwrap()).unwrap()
}

fn same_numbers(a: &ExperimentResults, b: &ExperimentResults) {
    assert_eq!(a.rows, b.rows);
    assert_eq!(a.stages, b.stages);
    assert_eq!(a.depth, b.depth);
    assert_eq!(a.logs, b.logs);
    assert_eq!(a.failures, b.failures);
    assert_eq!(a.spec, b.spec);
    assert_eq!(b.shard, None);
}

#[test]
fn merged_parts_equal_one_process_whatever_the_split_and_order() {
    let spec = spec();
    let whole = pollster::block_on(run(&spec, &Backend::flex(), &mut |_| true)).unwrap();
    let units = spec.regimes.len() * spec.seeds.len();
    for n in [2, 3] {
        let parts: Vec<ExperimentResults> = (1..=n).map(|k| run_part(&spec, k, n)).collect();
        let sizes: Vec<usize> = parts
            .iter()
            .map(|p| p.shard.as_ref().unwrap().units.len())
            .collect();
        assert_eq!(
            sizes.iter().sum::<usize>(),
            units,
            "every unit in one part: {sizes:?}"
        );
        same_numbers(&whole, &merge(parts.clone()).unwrap());
        let mut reversed = parts.clone();
        reversed.reverse();
        same_numbers(&whole, &merge(reversed).unwrap());
        if n == 3 {
            let err = |parts: Vec<ExperimentResults>| merge(parts).unwrap_err().to_string();
            assert!(err(vec![parts[0].clone(), parts[0].clone(), parts[2].clone()]).contains("twice"));
            assert!(err(parts[..2].to_vec()).contains("part 3/3 is missing"));
            assert!(err(vec![whole.clone()]).contains("whole run"));
            let other_split = run_part(&spec, 1, 2);
            assert!(err(vec![other_split, parts[1].clone(), parts[2].clone()]).contains("another split"));
            let mut foreign = parts[0].clone();
            foreign.spec.eval.episodes += 1;
            assert!(err(vec![foreign, parts[1].clone(), parts[2].clone()]).contains("another experiment"));
            // A part from another kind of CPU, or one that does not say,
            // against the first part and against each other.
            let mut elsewhere = parts[1].clone();
            elsewhere.kernels = Some("SSE2".into());
            assert_eq!(
                parts[0].kernels.as_deref(),
                Some(upbringing_lab::backend::cpu_kernels())
            );
            assert!(err(vec![parts[0].clone(), elsewhere, parts[2].clone()]).contains("one kind of CPU"));
            let mut unsaid = parts[0].clone();
            unsaid.kernels = None;
            let mut sse2 = parts[1].clone();
            sse2.kernels = Some("sse2".into());
            assert!(err(vec![unsaid, sse2, parts[2].clone()]).contains("with unnamed"));
            // A part relabelled as another backend; other thread counts are one backend.
            let mut gpu = parts[1].clone();
            gpu.backend = "WebGPU (wgpu)".into();
            assert!(err(vec![parts[0].clone(), gpu, parts[2].clone()]).contains("one run is on one backend"));
            let mut wider = parts[1].clone();
            wider.backend = format!("{} (16 threads)", wider.backend);
            same_numbers(
                &whole,
                &merge(vec![parts[0].clone(), wider, parts[2].clone()]).unwrap(),
            );
            // A part with one of its units' rows removed and no failure for it.
            let mut short = parts[1].clone();
            let gone = short.shard.as_ref().unwrap().units[0].clone();
            short
                .rows
                .retain(|r| !(r.regime == gone.regime && r.seed == gone.seed));
            assert!(err(vec![parts[0].clone(), short, parts[2].clone()]).contains("a unit is missing"));
        }
    }
    assert!(part(&spec, 3, 2).is_err() && part(&spec, 1, units + 1).is_err());
}

#[test]
fn units_run_alone_and_merged_in_any_order_equal_one_process() {
    let spec = spec();
    let whole = pollster::block_on(run(&spec, &Backend::flex(), &mut |_| true)).unwrap();
    let pieces: Vec<(Unit, SeedOutcome)> = plan::plan(&spec)
        .into_iter()
        .map(|p| {
            let alone = plan::unit_spec(&spec, &p.unit);
            let outcome = pollster::block_on(run_seed(
                &alone,
                &Backend::flex(),
                p.unit.seed,
                &mut |_: usize, _: &str, _: &str| {},
            ))
            .unwrap();
            (p.unit, outcome)
        })
        .collect();
    let merged = |order: &[usize]| {
        let given: Vec<(Unit, &SeedOutcome)> = order
            .iter()
            .map(|&i| (pieces[i].0.clone(), &pieces[i].1))
            .collect();
        let mut r = ExperimentResults::empty(&spec);
        r.add(plan::merge(&spec, &given));
        r
    };
    let n = pieces.len();
    let forward: Vec<usize> = (0..n).collect();
    let backward: Vec<usize> = (0..n).rev().collect();
    let interleaved: Vec<usize> = (0..n).step_by(2).chain((1..n).step_by(2)).collect();
    for order in [forward, backward, interleaved] {
        same_numbers(&whole, &merged(&order));
    }
    // Results so far: the units finished are shown exactly as in the whole run.
    let so_far = merged(&[n - 1, 1]);
    let shown: Vec<&Unit> = vec![&pieces[1].0, &pieces[n - 1].0];
    let of = |regime: &str, seed: u64| shown.iter().any(|u| u.regime == regime && u.seed == seed);
    let expected: Vec<_> = whole
        .rows
        .iter()
        .filter(|r| of(&r.regime, r.seed))
        .cloned()
        .collect();
    assert_eq!(so_far.rows, expected);
    assert!(!so_far.logs.is_empty());
}
