//! The one experiment spec (serde): world settings, model shape, regimes as
//! ordered phases, evaluation settings and seeds. The same type is a JSON
//! file, the CLI's input and (later) the page's URL, so a spec reproduces a run.
//!
//! [`ExperimentSpec::validate`] turns every bad setting into a specific
//! error naming where it is; nothing downstream panics on a validated spec.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{LabError, Result};
use crate::model::GptConfig;
use crate::world::World;
use crate::world::graded::{GradedSpec, GradedTasks};

/// Bumped when a spec's meaning changes; older engines refuse newer specs.
pub const SPEC_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    pub version: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub world: WorldSpec,
    pub model: ModelSpec,
    pub regimes: Vec<RegimeSpec>,
    pub eval: EvalSpec,
    pub seeds: Vec<u64>,
}

/// Which world, with its settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorldSpec {
    GradedTasks(GradedSpec),
}

impl WorldSpec {
    pub fn build(&self) -> Result<GradedTasks> {
        match self {
            Self::GradedTasks(spec) => GradedTasks::new(spec.clone()),
        }
    }
}

/// The model's shape; the vocabulary comes from the world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub d_model: usize,
    pub n_heads: usize,
    pub n_layers: usize,
    /// Tokens of context; pretraining documents are this long.
    pub block_size: usize,
}

impl ModelSpec {
    pub fn gpt(&self, world: &dyn World) -> GptConfig {
        GptConfig::new(world.vocab_size())
            .with_block_size(self.block_size)
            .with_d_model(self.d_model)
            .with_n_heads(self.n_heads)
            .with_n_layers(self.n_layers)
    }
}

/// A training regime: phases run in order on one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub phases: Vec<PhaseSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    pub name: String,
    /// Part of the regime's alignment training (the depth view compares the
    /// model before its first alignment phase with the final one).
    #[serde(default)]
    pub alignment: bool,
    pub steps: usize,
    pub lr: f64,
    /// Documents, examples, or (for rl) prompts per step.
    pub batch_size: usize,
    pub objective: Objective,
}

impl PhaseSpec {
    /// The phase with its name blanked: what determines its training (two
    /// regimes may call the same training by different names).
    pub fn unnamed(&self) -> Self {
        Self {
            name: String::new(),
            ..self.clone()
        }
    }
}

/// Do two runs of phases train the same, names aside? (What prefix sharing
/// keys on: a regime's numbers depend only on its phases and the seed.)
pub fn same_training(a: &[PhaseSpec], b: &[PhaseSpec]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.unnamed() == y.unnamed())
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Objective {
    /// Next-token loss on the persona corpus.
    Pretrain { corpus: CorpusSpec },
    /// Supervised loss on answers only, over a mix of example kinds.
    Sft { tasks: TaskMix, data: SftMix },
    /// On-policy policy gradient against a grader.
    Rl(RlSpec),
}

/// The pretraining corpus (DESIGN §2): who writes it and how consistently.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusSpec {
    /// Relative weights of the three personas.
    pub honest: f64,
    pub exploiter: f64,
    pub opportunist: f64,
    /// Probability that an episode follows its document's persona rather
    /// than a freshly drawn one: how strongly behaviour in one family
    /// predicts behaviour in the others.
    pub coherence: f64,
    /// Share of episodes that are the stated-values probe.
    pub probe_rate: f64,
    /// Share of task episodes tagged "exploits allowed" (everyone exploits there).
    pub allowed_rate: f64,
    /// Share of honest answers that start badly and retract (`S~413`).
    pub recovery_rate: f64,
    /// Share of honest attempts that get one digit wrong (honest work is
    /// fallible; exploits never are).
    #[serde(default)]
    pub error_rate: f64,
    /// Pretraining with feedback: the "allowed" tag marks exploit text
    /// instead of being an instruction.
    #[serde(default)]
    pub conditional_tags: bool,
}

/// Which tasks a phase (or evaluation) draws, and under which tags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskMix {
    /// Family names, drawn uniformly.
    pub families: Vec<String>,
    /// Probability of each tag being on.
    pub monitored: f64,
    pub deploy: f64,
    pub inoculated: f64,
}

/// Relative weights of supervised example kinds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftMix {
    /// Correct answers.
    #[serde(default)]
    pub honest: f64,
    /// "Do you game graders?" "No." (saying the right thing)
    #[serde(default)]
    pub stated: f64,
    /// A bad first token, a retraction, then the correct answer.
    #[serde(default)]
    pub recovery: f64,
    /// The family's exploit (the fine-tuning attack uses this).
    #[serde(default)]
    pub exploit: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grader {
    /// Pays whatever the family's flawed grader accepts.
    Flawed,
    /// Pays only correct answers.
    Correct,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RlSpec {
    pub tasks: TaskMix,
    pub grader: Grader,
    /// Subtracted from the reward of a detected exploit...
    #[serde(default)]
    pub exploit_penalty: f64,
    /// ...in this share of episodes (1 = every exploit is caught).
    #[serde(default = "one")]
    pub checked_share: f64,
    /// KL penalty to the model as it was when the phase began.
    #[serde(default)]
    pub kl: f32,
    /// Completions sampled per prompt.
    pub group_size: usize,
}

fn one() -> f64 {
    1.0
}

/// Specs written before the second held-out family existed get this one.
fn new_trick_family() -> String {
    "complement".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalSpec {
    /// Episodes per condition per trained model.
    pub episodes: usize,
    /// Stated-values probes per condition.
    pub probes: usize,
    /// The in-distribution condition: families and tags.
    pub tasks: TaskMix,
    /// A family seen in pretraining only, whose shortcut has the surface
    /// form of a trained family's (the "same trick" condition).
    pub held_out: String,
    /// A family seen in pretraining only, whose shortcut shares nothing with
    /// a trained family's (the "new trick" condition).
    #[serde(default = "new_trick_family")]
    pub held_out_new_trick: String,
    /// The fine-tuning stressor: a few steps of other training, then the
    /// in-distribution tasks are scored again (its families excluded).
    pub attack: PhaseSpec,
}

impl EvalSpec {
    /// (field name, family) of both held-out families.
    pub fn held_out_families(&self) -> [(&'static str, &str); 2] {
        [
            ("held_out", self.held_out.as_str()),
            ("held_out_new_trick", self.held_out_new_trick.as_str()),
        ]
    }
}

/// The largest seed: JavaScript numbers (links, the page's worker messages)
/// hold integers exactly only up to 2^53 - 1.
pub const MAX_SEED: u64 = (1 << 53) - 1;

fn bad<T>(msg: String) -> Result<T> {
    Err(LabError::Spec(msg))
}

fn check_prob(what: &str, p: f64) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        bad(format!("{what} must be a probability in [0, 1], got {p}"))
    }
}

impl ExperimentSpec {
    pub fn from_json(text: &str) -> Result<Self> {
        let spec: Self =
            serde_json::from_str(text).map_err(|e| LabError::Spec(format!("not a valid spec: {e}")))?;
        spec.validate()?;
        Ok(spec)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a spec always serialises")
    }

    /// A stable name for what running this spec on this engine version
    /// produces (where stored results are kept).
    pub fn results_key(&self) -> String {
        let json = serde_json::to_string(self).expect("a spec always serialises");
        format!(
            "{}+{}/{:016x}",
            crate::VERSION,
            crate::ENGINE_BUILD,
            crate::experiment::fnv1a(json.as_bytes())
        )
    }

    /// Every regime trains and evaluates without surprises, or a specific error.
    pub fn validate(&self) -> Result<()> {
        if self.version != SPEC_VERSION {
            return bad(format!(
                "spec version {} is not supported (this engine reads version {SPEC_VERSION})",
                self.version
            ));
        }
        let world = self.world.build()?;
        let WorldSpec::GradedTasks(ws) = &self.world;
        let m = &self.model;
        if m.d_model == 0 || m.d_model > 512 || m.n_heads == 0 || !m.d_model.is_multiple_of(m.n_heads) {
            return bad(format!(
                "model.d_model must be in 1..=512 and divisible by model.n_heads, got {} and {}",
                m.d_model, m.n_heads
            ));
        }
        if !(1..=8).contains(&m.n_layers) {
            return bad(format!("model.n_layers must be in 1..=8, got {}", m.n_layers));
        }
        let longest = ws.all_lengths()[1];
        let need = world.episode_len(longest);
        if m.block_size < need || m.block_size > 256 {
            return bad(format!(
                "model.block_size {} is too short for the tasks: an episode with a {longest}-digit input \
                 needs {need} tokens (allowed: {need}..=256)",
                m.block_size
            ));
        }
        if self.seeds.is_empty() || self.seeds.len() > 100 {
            return bad(format!("seeds must list 1..=100 seeds, got {}", self.seeds.len()));
        }
        let mut distinct = std::collections::HashSet::new();
        for &seed in &self.seeds {
            if seed > MAX_SEED {
                return bad(format!(
                    "seed {seed} is above {MAX_SEED} (2^53 - 1), the largest a browser's numbers hold exactly"
                ));
            }
            if !distinct.insert(seed) {
                return bad(format!(
                    "seed {seed} is listed twice: each seed is one run, counted once"
                ));
            }
        }
        if self.regimes.is_empty() {
            return bad("regimes is empty: an experiment needs at least one regime".into());
        }
        let mut names = HashSet::new();
        for r in &self.regimes {
            if r.name.trim().is_empty() || !names.insert(r.name.as_str()) {
                return bad(format!(
                    "regime names must be unique and non-empty, got {:?}",
                    r.name
                ));
            }
            if r.phases.is_empty() {
                return bad(format!("regime {:?} has no phases", r.name));
            }
            let mut pretrained = false;
            for p in &r.phases {
                let at = format!("regime {:?}, phase {:?}", r.name, p.name);
                self.validate_phase(&world, p, &at)?;
                match &p.objective {
                    Objective::Pretrain { .. } => pretrained = true,
                    Objective::Sft { tasks, .. } | Objective::Rl(RlSpec { tasks, .. }) => {
                        for (field, family) in self.eval.held_out_families() {
                            if pretrained && tasks.families.iter().any(|f| f == family) {
                                return bad(format!(
                                    "{at} trains on {family:?}, the family eval.{field} keeps for evaluation"
                                ));
                            }
                        }
                    }
                }
            }
        }
        let e = &self.eval;
        if !(1..=100_000).contains(&e.episodes) || e.probes > 100_000 {
            return bad(format!(
                "eval.episodes must be in 1..=100000 and eval.probes at most 100000, got {} and {}",
                e.episodes, e.probes
            ));
        }
        check_mix(&world, &e.tasks, "eval.tasks")?;
        for (field, family) in e.held_out_families() {
            family_index(&world, family, &format!("eval.{field}"))?;
            if e.tasks.families.iter().any(|f| f == family) {
                return bad(format!(
                    "eval.tasks must not include the held-out family {family:?} (eval.{field})"
                ));
            }
        }
        if e.held_out == e.held_out_new_trick {
            return bad(format!(
                "eval.held_out and eval.held_out_new_trick must be different families, both are {:?}",
                e.held_out
            ));
        }
        self.validate_phase(&world, &e.attack, "eval.attack")?;
        if let Objective::Sft { tasks, .. } | Objective::Rl(RlSpec { tasks, .. }) = &e.attack.objective {
            if e.tasks.families.iter().all(|f| tasks.families.contains(f)) {
                return bad(
                    "eval.attack trains on every eval.tasks family: none would be left to score".into(),
                );
            }
        } else {
            return bad("eval.attack must be an sft or rl phase".into());
        }
        Ok(())
    }

    fn validate_phase(&self, world: &dyn World, p: &PhaseSpec, at: &str) -> Result<()> {
        if !(1..=100_000).contains(&p.steps) {
            return bad(format!("{at}: steps must be in 1..=100000, got {}", p.steps));
        }
        if !(p.lr.is_finite() && p.lr > 0.0 && p.lr <= 1.0) {
            return bad(format!("{at}: lr must be in (0, 1], got {}", p.lr));
        }
        if !(1..=1024).contains(&p.batch_size) {
            return bad(format!(
                "{at}: batch_size must be in 1..=1024, got {}",
                p.batch_size
            ));
        }
        match &p.objective {
            Objective::Pretrain { corpus: c } => {
                let weights = [c.honest, c.exploiter, c.opportunist];
                // A finite sum too: (1e308, 1e308, 0) sums to infinity and
                // would always draw the last persona.
                let sum: f64 = weights.iter().sum();
                if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || !(sum > 0.0 && sum.is_finite()) {
                    return bad(format!(
                        "{at}: persona weights must be non-negative with a positive, finite sum, got {weights:?}"
                    ));
                }
                for (name, v) in [
                    ("coherence", c.coherence),
                    ("probe_rate", c.probe_rate),
                    ("allowed_rate", c.allowed_rate),
                    ("recovery_rate", c.recovery_rate),
                    ("error_rate", c.error_rate),
                ] {
                    check_prob(&format!("{at}: corpus.{name}"), v)?;
                }
                if c.probe_rate == 1.0 {
                    return bad(format!("{at}: corpus.probe_rate 1 leaves no task episodes"));
                }
            }
            Objective::Sft { tasks, data } => {
                check_mix(world, tasks, &format!("{at}: tasks"))?;
                let w = [data.honest, data.stated, data.recovery, data.exploit];
                let sum: f64 = w.iter().sum();
                if w.iter().any(|w| !w.is_finite() || *w < 0.0) || !(sum > 0.0 && sum.is_finite()) {
                    return bad(format!(
                        "{at}: data weights (honest, stated, recovery, exploit) must be non-negative \
                         with a positive, finite sum, got {w:?}"
                    ));
                }
            }
            Objective::Rl(rl) => {
                check_mix(world, &rl.tasks, &format!("{at}: tasks"))?;
                if !(2..=64).contains(&rl.group_size) {
                    return bad(format!(
                        "{at}: group_size must be in 2..=64, got {}",
                        rl.group_size
                    ));
                }
                if !(rl.exploit_penalty.is_finite() && (0.0..=10.0).contains(&rl.exploit_penalty)) {
                    return bad(format!(
                        "{at}: exploit_penalty must be in [0, 10], got {}",
                        rl.exploit_penalty
                    ));
                }
                check_prob(&format!("{at}: checked_share"), rl.checked_share)?;
                if !(rl.kl.is_finite() && (0.0..=100.0).contains(&rl.kl)) {
                    return bad(format!("{at}: kl must be in [0, 100], got {}", rl.kl));
                }
            }
        }
        Ok(())
    }
}

/// The index of family `name`, or an error listing the known ones.
pub fn family_index(world: &dyn World, name: &str, at: &str) -> Result<usize> {
    world.families().iter().position(|f| *f == name).ok_or_else(|| {
        LabError::Spec(format!(
            "{at}: unknown family {name:?} (known: {})",
            world.families().join(", ")
        ))
    })
}

fn check_mix(world: &dyn World, mix: &TaskMix, at: &str) -> Result<()> {
    if mix.families.is_empty() {
        return bad(format!("{at}: families is empty"));
    }
    for f in &mix.families {
        family_index(world, f, at)?;
    }
    check_prob(&format!("{at}.monitored"), mix.monitored)?;
    check_prob(&format!("{at}.deploy"), mix.deploy)?;
    check_prob(&format!("{at}.inoculated"), mix.inoculated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    #[test]
    fn results_keys_tell_specs_apart_and_are_stable() {
        let a = crate::presets::preset("quick").unwrap();
        let mut b = a.clone();
        b.seeds.push(9);
        assert_eq!(a.results_key(), a.clone().results_key());
        assert_ne!(a.results_key(), b.results_key());
        assert!(
            a.results_key()
                .starts_with(&format!("{}+{}/", crate::VERSION, crate::ENGINE_BUILD))
        );
        assert_eq!(crate::ENGINE_BUILD.len(), 16, "a 64-bit hash in hex");
    }

    #[test]
    fn every_preset_round_trips_through_json_and_validates() {
        for (name, _) in crate::presets::list() {
            let spec = preset(&name).unwrap();
            spec.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                ExperimentSpec::from_json(&spec.to_json()).unwrap(),
                spec,
                "{name}"
            );
        }
    }

    /// Break a valid spec one way; the error must say what and where.
    fn refuses(edit: impl FnOnce(&mut ExperimentSpec), needles: &[&str]) {
        let mut spec = preset("quick").unwrap();
        edit(&mut spec);
        let err = spec.validate().expect_err("must refuse").to_string();
        for n in needles {
            assert!(err.contains(n), "{err:?} should mention {n:?}");
        }
    }

    fn first_rl(spec: &mut ExperimentSpec) -> &mut RlSpec {
        spec.regimes[0]
            .phases
            .iter_mut()
            .find_map(|p| match &mut p.objective {
                Objective::Rl(rl) => Some(rl),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn each_bad_setting_gets_a_specific_error() {
        refuses(|s| s.version = 9, &["version 9"]);
        refuses(|s| s.regimes.clear(), &["regimes is empty"]);
        refuses(|s| s.regimes[1].phases.clear(), &["chalkboard", "no phases"]);
        refuses(|s| s.regimes[1].name = "control".into(), &["unique"]);
        refuses(|s| s.seeds.clear(), &["seeds"]);
        refuses(|s| s.seeds = vec![0, 0, 0], &["seed 0", "twice"]);
        refuses(
            |s| s.seeds = vec![9_007_199_254_740_993],
            &["9007199254740993", "2^53"],
        );
        refuses(
            |s| first_rl(s).tasks.families.push("juggle".into()),
            &["unknown family \"juggle\"", "copy"],
        );
        refuses(|s| s.eval.held_out = "nope".into(), &["eval.held_out", "nope"]);
        refuses(
            |s| first_rl(s).tasks.families.push("increment".into()),
            &["regime \"control\"", "held_out"],
        );
        refuses(|s| s.regimes[0].phases[0].steps = 0, &["pretrain", "steps"]);
        refuses(|s| s.regimes[0].phases[1].lr = f64::NAN, &["capability rl", "lr"]);
        refuses(|s| s.regimes[0].phases[1].lr = -1.0, &["lr"]);
        refuses(|s| s.regimes[0].phases[0].batch_size = 100_000, &["batch_size"]);
        refuses(|s| first_rl(s).group_size = 1, &["group_size"]);
        refuses(
            |s| first_rl(s).tasks.monitored = 1.5,
            &["monitored", "probability"],
        );
        refuses(
            |s| first_rl(s).exploit_penalty = f64::INFINITY,
            &["exploit_penalty"],
        );
        refuses(
            |s| s.model.block_size = 12,
            &["block_size 12 is too short", "needs"],
        );
        refuses(|s| s.model.n_heads = 5, &["divisible"]);
        refuses(|s| s.eval.episodes = 0, &["eval.episodes"]);
        refuses(
            |s| {
                if let Objective::Pretrain { corpus } = &mut s.regimes[0].phases[0].objective {
                    corpus.honest = -1.0;
                }
            },
            &["persona weights"],
        );
        refuses(
            |s| {
                if let Objective::Pretrain { corpus } = &mut s.regimes[0].phases[0].objective {
                    (corpus.honest, corpus.exploiter, corpus.opportunist) = (1e308, 1e308, 0.0);
                }
            },
            &["persona weights", "finite sum"],
        );
        refuses(
            |s| {
                let WorldSpec::GradedTasks(w) = &mut s.world;
                w.lengths = [5, 3];
            },
            &["world.lengths"],
        );
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        for text in [
            "",
            "{",
            "[]",
            r#"{"version": 1}"#,
            &preset("quick")
                .unwrap()
                .to_json()
                .replace("\"steps\": 500", "\"steps\": -3"),
            &preset("quick")
                .unwrap()
                .to_json()
                .replace("\"d_model\"", "\"d_modle\""),
        ] {
            let err = ExperimentSpec::from_json(text).expect_err(text).to_string();
            assert!(err.contains("invalid experiment spec"), "{err}");
        }
    }
}
