//! A run as a plan of independent units, a schedule for running them on many
//! executors at once, and their outcomes merged back into one run's.
//!
//! The unit is one regime at one seed. A regime's numbers depend only on its
//! phases and the seed (each phase's randomness comes from its prefix key,
//! `spec::prefix_keys`), so a unit gives the same counts wherever, and in
//! whatever order, it runs. Most regimes share a prefix (pretraining, the
//! capability rl): a unit's [`Planned::after`] names the deepest prefix an
//! earlier unit trains. An executor that shares checkpoints (the page's
//! workers, through IndexedDB) waits for it and recalls it ([`Schedule`]);
//! one that does not (a scheduler's array job, `shard`) trains it again.
//! [`merge`] puts any set of finished units back in one-process order.

use std::collections::{HashMap, HashSet};

use crate::experiment::units_per_seed;
use crate::results::{SeedOutcome, Unit};
use crate::spec::{ExperimentSpec, prefix_keys};

/// One unit of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub unit: Unit,
    /// Its work run alone, in progress units (`experiment::units_per_seed`):
    /// every phase of the regime, and the evaluation.
    pub cost: usize,
    /// The deepest prefix an earlier unit (in one-process order) also
    /// trains: that unit's index in the plan, and the prefix key.
    pub after: Option<(usize, u64)>,
    /// Its cost less the steps of that shared prefix (recalled, not
    /// trained): what a unit still has to do once it can start.
    pub work: usize,
}

/// The units of `spec`, in one-process order (seed by seed, regimes in order).
pub fn plan(spec: &ExperimentSpec) -> Vec<Planned> {
    let mut first_trained_by: HashMap<u64, usize> = HashMap::new();
    let mut out = vec![];
    for &seed in &spec.seeds {
        for regime in &spec.regimes {
            let index = out.len();
            let keys = prefix_keys(spec, seed, &regime.phases);
            let after = keys
                .iter()
                .rev()
                .find_map(|k| first_trained_by.get(k).map(|&u| (u, *k)));
            let shared_steps: usize = match after {
                Some((_, key)) => {
                    let depth = keys.iter().position(|k| *k == key).expect("one of its keys");
                    regime.phases[..=depth].iter().map(|p| p.steps).sum()
                }
                None => 0,
            };
            for k in keys {
                first_trained_by.entry(k).or_insert(index);
            }
            let unit = Unit {
                regime: regime.name.clone(),
                seed,
            };
            let cost = units_per_seed(&unit_spec(spec, &unit), seed);
            out.push(Planned {
                cost,
                work: cost.saturating_sub(shared_steps),
                unit,
                after,
            });
        }
    }
    out
}

/// `spec` cut to one unit: its regime alone, at its seed.
pub fn unit_spec(spec: &ExperimentSpec, unit: &Unit) -> ExperimentSpec {
    ExperimentSpec {
        regimes: spec
            .regimes
            .iter()
            .filter(|r| r.name == unit.regime)
            .cloned()
            .collect(),
        seeds: vec![unit.seed],
        ..spec.clone()
    }
}

/// What finished units produced, laid out as one process would have: one
/// outcome per seed of `spec`, regimes in order. Each piece may hold more
/// than its unit (a part of a split run holds several); only the unit's
/// rows are taken. Missing units are left out (results so far).
///
/// One process logs a shared prefix's training once, under the first regime
/// that trained it; a unit run alone logs every phase it trained or
/// recalled. So only the phases no earlier finished regime has are kept. A
/// regime that failed leaves nothing trained behind (one process drops its
/// new prefixes), so it does not count as earlier.
pub fn merge(spec: &ExperimentSpec, pieces: &[(Unit, &SeedOutcome)]) -> Vec<SeedOutcome> {
    let find = |regime: &str, seed: u64| {
        pieces
            .iter()
            .find(|(u, _)| u.regime == regime && u.seed == seed)
            .map(|(_, o)| *o)
    };
    let mut outcomes = vec![];
    for &seed in &spec.seeds {
        let mut o = SeedOutcome::default();
        let mut earlier: HashSet<u64> = HashSet::new();
        for r in &spec.regimes {
            let Some(p) = find(&r.name, seed) else {
                continue;
            };
            let mine = |regime: &str, s: u64| regime == r.name && s == seed;
            o.rows
                .extend(p.rows.iter().filter(|x| mine(&x.regime, x.seed)).cloned());
            o.stages
                .extend(p.stages.iter().filter(|x| mine(&x.regime, x.seed)).cloned());
            o.depth
                .extend(p.depth.iter().filter(|x| mine(&x.regime, x.seed)).cloned());
            let failures: Vec<_> = p
                .failures
                .iter()
                .filter(|x| mine(&x.regime, x.seed))
                .cloned()
                .collect();
            let keys = prefix_keys(spec, seed, &r.phases);
            // Shared prefixes come first, so the fresh phases are the last ones logged.
            let fresh = keys.iter().filter(|k| !earlier.contains(k)).count();
            let mut logs: Vec<_> = p
                .logs
                .iter()
                .filter(|x| mine(&x.regime, x.seed))
                .cloned()
                .collect();
            o.logs.extend(logs.split_off(logs.len() - fresh.min(logs.len())));
            if failures.is_empty() {
                earlier.extend(keys);
            }
            o.failures.extend(failures);
            o.phases_trained += p.phases_trained;
            o.phases_recalled += p.phases_recalled;
        }
        outcomes.push(o);
    }
    outcomes
}

/// Where a unit of a [`Schedule`] stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not started, or given back by an executor that died (`retried`).
    Waiting {
        retried: bool,
    },
    Running {
        executor: usize,
        retried: bool,
    },
    Done,
    /// Its executor died twice while running it.
    Failed,
}

/// Units handed to executors as they become free: a unit starts once the
/// prefix it shares with an earlier unit is trained (then it recalls it
/// rather than training it twice), units others wait on first, then the
/// ones with the most work left (so the last to finish are short: a regime
/// with its own pretraining goes before one that recalls the shared one). An executor that dies gives
/// its unit back once; the second time the unit fails.
pub struct Schedule {
    plan: Vec<Planned>,
    status: Vec<Status>,
    /// Prefix keys trained so far in this run.
    trained: HashSet<u64>,
    /// How many units wait on each unit's prefixes.
    waiters: Vec<usize>,
}

impl Schedule {
    pub fn new(plan: Vec<Planned>) -> Self {
        let mut waiters = vec![0; plan.len()];
        for p in &plan {
            if let Some((u, _)) = p.after {
                waiters[u] += 1;
            }
        }
        Self {
            status: vec![Status::Waiting { retried: false }; plan.len()],
            plan,
            trained: HashSet::new(),
            waiters,
        }
    }

    pub fn plan(&self) -> &[Planned] {
        &self.plan
    }

    pub fn status(&self, unit: usize) -> Status {
        self.status[unit]
    }

    fn ready(&self, unit: usize) -> bool {
        match self.plan[unit].after {
            None => true,
            Some((u, key)) => {
                self.trained.contains(&key) || matches!(self.status[u], Status::Done | Status::Failed)
            }
        }
    }

    /// The unit `executor` should run next, marked running (`None`: nothing
    /// is ready now; ask again when a prefix is trained or a unit ends).
    pub fn next(&mut self, executor: usize) -> Option<usize> {
        let pick = (0..self.plan.len())
            .filter(|&u| matches!(self.status[u], Status::Waiting { .. }) && self.ready(u))
            .max_by_key(|&u| (self.waiters[u], self.plan[u].work, std::cmp::Reverse(u)))?;
        let Status::Waiting { retried } = self.status[pick] else {
            unreachable!("filtered to waiting units")
        };
        self.status[pick] = Status::Running { executor, retried };
        Some(pick)
    }

    /// A prefix was trained (and kept, where the executor could keep it).
    pub fn trained(&mut self, key: u64) {
        self.trained.insert(key);
    }

    pub fn done(&mut self, unit: usize) {
        self.status[unit] = Status::Done;
    }

    /// `executor` died: its unit goes back to wait once, then fails. Returns
    /// the unit and whether it will run again.
    pub fn lost(&mut self, executor: usize) -> Option<(usize, bool)> {
        let unit = self
            .status
            .iter()
            .position(|s| matches!(s, Status::Running { executor: e, .. } if *e == executor))?;
        let Status::Running { retried, .. } = self.status[unit] else {
            unreachable!("found running")
        };
        self.status[unit] = match retried {
            false => Status::Waiting { retried: true },
            true => Status::Failed,
        };
        Some((unit, !retried))
    }

    /// The unit `executor` is running, if any.
    pub fn running_on(&self, executor: usize) -> Option<usize> {
        self.status
            .iter()
            .position(|s| matches!(s, Status::Running { executor: e, .. } if *e == executor))
    }

    /// Every unit done or failed.
    pub fn finished(&self) -> bool {
        self.status
            .iter()
            .all(|s| matches!(s, Status::Done | Status::Failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    fn quick() -> ExperimentSpec {
        let mut spec = preset("quick").unwrap();
        spec.seeds = vec![1, 2];
        spec
    }

    #[test]
    fn units_wait_on_the_deepest_prefix_an_earlier_unit_trains() {
        let spec = quick();
        let plan = plan(&spec);
        assert_eq!(plan.len(), spec.regimes.len() * 2);
        let at = |name: &str, seed: u64| {
            plan.iter()
                .position(|p| p.unit.regime == name && p.unit.seed == seed)
                .unwrap()
        };
        let keys = |name: &str, seed: u64| {
            let r = spec.regimes.iter().find(|r| r.name == name).unwrap();
            prefix_keys(&spec, seed, &r.phases)
        };
        assert_eq!(plan[at("control", 1)].after, None);
        // Another seed shares nothing.
        assert_eq!(plan[at("control", 2)].after, None);
        // Pretraining and the capability rl come from control.
        assert_eq!(
            plan[at("ethics class", 1)].after,
            Some((at("control", 1), keys("control", 1)[1]))
        );
        // Only pretraining is shared with the coupled regime.
        assert_eq!(
            plan[at("coupled", 2)].after,
            Some((at("control", 2), keys("control", 2)[0]))
        );
        // Its own corpus: nothing shared with control, but a later regime
        // with the same pretraining corpus would wait on it.
        assert_eq!(plan[at("aligned pretraining", 1)].after, None);
        assert!(plan.iter().all(|p| p.cost > 0));
        // Work left: the shared prefix is recalled, not trained.
        let ethics = &plan[at("ethics class", 1)];
        let steps = |name: &str| {
            spec.regimes
                .iter()
                .find(|r| r.name == name)
                .unwrap()
                .phases
                .iter()
                .map(|p| p.steps)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ethics.cost - ethics.work,
            steps("control")[..2].iter().sum::<usize>()
        );
        assert_eq!(plan[at("control", 1)].work, plan[at("control", 1)].cost);
    }

    #[test]
    fn every_preset_s_units_are_valid_experiments() {
        // The page's workers validate each unit's spec as any run's.
        for (name, _) in crate::presets::list() {
            let spec = preset(&name).unwrap();
            for p in plan(&spec) {
                let alone = unit_spec(&spec, &p.unit);
                alone
                    .validate()
                    .unwrap_or_else(|e| panic!("{name}, {:?}: {e}", p.unit));
                assert_eq!(alone.regimes.len(), 1);
            }
        }
    }

    #[test]
    fn a_schedule_runs_units_once_their_prefix_is_trained_and_retries_a_lost_one_once() {
        let spec = quick();
        let mut s = Schedule::new(plan(&spec));
        let n = s.plan().len();
        // Two executors: each gets a unit that needs nothing (control of
        // each seed has the most waiters).
        let a = s.next(0).unwrap();
        let b = s.next(1).unwrap();
        assert!(s.plan()[a].after.is_none() && s.plan()[b].after.is_none());
        assert_eq!(s.plan()[a].unit.regime, "control");
        assert_eq!(s.plan()[b].unit.regime, "control");
        // A third executor gets what needs nothing shared (its own pretraining).
        let c = s.next(2).unwrap();
        assert!(s.plan()[c].after.is_none());
        assert_eq!(s.running_on(2), Some(c));
        // Executor 2 dies: its unit waits again, once.
        assert_eq!(s.lost(2), Some((c, true)));
        assert_eq!(s.next(2), Some(c));
        assert_eq!(s.lost(2), Some((c, false)));
        assert_eq!(s.status(c), Status::Failed);
        // Pretraining and capability rl of `a` are trained: its dependants start.
        let keys = prefix_keys(&spec, s.plan()[a].unit.seed, &spec.regimes[0].phases);
        for k in keys {
            s.trained(k);
        }
        // Its dependants start, after what has more work left (a regime
        // training its own pretraining).
        let mut ran = HashSet::from([a, b, c]);
        loop {
            let d = s.next(2).unwrap();
            assert!(ran.insert(d));
            if s.plan()[d].after.is_some() {
                assert_eq!(s.plan()[d].after.map(|x| x.0), Some(a));
                break;
            }
            s.done(d);
        }
        // Everything runs to the end, each unit once.
        s.done(a);
        s.done(b);
        for &u in &ran {
            if u != c {
                s.done(u);
            }
        }
        while let Some(u) = s.next(0) {
            assert!(ran.insert(u), "unit {u} handed out twice");
            s.done(u);
        }
        assert_eq!(ran.len(), n);
        assert!(s.finished());
    }
}
