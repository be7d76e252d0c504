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
pub use crate::world::CorpusSpec;
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
    /// One setting swept over values (`sweep.rs`): the spec then stands for
    /// one experiment per value. Absent from specs without one, so their
    /// JSON, keys and links are as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
}

/// Most values in one sweep: each is a whole experiment.
pub const MAX_SWEEP_VALUES: usize = 16;
/// Longest setting name or value read (names are a few words; values numbers).
pub const MAX_SWEEP_TEXT: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// One setting of an experiment swept over values (see `sweep.rs`).
pub struct Sweep {
    /// The setting, e.g. `r2.p3.steps` or `model.d_model`.
    pub setting: String,
    /// Its values, as the designer would type them (`40`, `1/6`, `4-6`).
    pub values: Vec<String>,
    /// Settings that move with it: at the sweep's value `i`, each takes its
    /// own value `i` (a coupled regime's length and checked share follow a
    /// side phase's length, so both get the same checked episodes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<Linked>,
}

/// A setting swept in step with a [`Sweep`]'s own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Linked {
    pub setting: String,
    pub values: Vec<String>,
}

/// Most settings linked to one sweep's.
pub const MAX_LINKED: usize = 4;

impl Sweep {
    /// The shape of the sweep alone (what `ExperimentSpec::validate` can
    /// check without expanding it; `sweep::points` checks each experiment).
    pub fn check_shape(&self) -> std::result::Result<(), String> {
        if !(1..=MAX_SWEEP_VALUES).contains(&self.values.len()) {
            return Err(format!(
                "sweep: 1 to {MAX_SWEEP_VALUES} values (MAX_SWEEP_VALUES: each is a whole experiment), got {}",
                self.values.len()
            ));
        }
        let long = |t: &String| t.chars().count() > MAX_SWEEP_TEXT;
        if long(&self.setting) || self.values.iter().any(long) {
            return Err(format!(
                "sweep: names and values are at most {MAX_SWEEP_TEXT} characters (MAX_SWEEP_TEXT)"
            ));
        }
        for (i, v) in self.values.iter().enumerate() {
            if self.values[..i].iter().any(|w| w.trim() == v.trim()) {
                return Err(format!("sweep: the value {v:?} is listed twice"));
            }
        }
        if self.linked.len() > MAX_LINKED {
            return Err(format!(
                "sweep: at most {MAX_LINKED} linked settings (MAX_LINKED), got {}",
                self.linked.len()
            ));
        }
        for (i, l) in self.linked.iter().enumerate() {
            if long(&l.setting) || l.values.iter().any(long) {
                return Err(format!(
                    "sweep: names and values are at most {MAX_SWEEP_TEXT} characters (MAX_SWEEP_TEXT)"
                ));
            }
            if l.values.len() != self.values.len() {
                return Err(format!(
                    "sweep: the linked setting {:?} has {} values, the sweep {}: one for each",
                    l.setting,
                    l.values.len(),
                    self.values.len()
                ));
            }
            let names = std::iter::once(&self.setting).chain(self.linked[..i].iter().map(|l| &l.setting));
            if names.into_iter().any(|n| n.trim() == l.setting.trim()) {
                return Err(format!("sweep: the setting {:?} is swept twice", l.setting));
            }
        }
        Ok(())
    }
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
    /// Episodes one step trains on: `batch_size` documents (pretraining) or
    /// examples (sft), or `batch_size` prompts × `group_size` sampled
    /// completions, each graded and rewarded (rl).
    pub fn episodes_per_step(&self) -> u64 {
        let per_prompt = match &self.objective {
            Objective::Rl(rl) => rl.group_size as u64,
            Objective::Pretrain { .. } | Objective::Sft { .. } => 1,
        };
        (self.batch_size as u64).saturating_mul(per_prompt)
    }

    /// Episodes the whole phase trains on (what budgets count: more steps
    /// or a larger batch both train on more). Saturating, never wraps.
    pub fn episodes(&self) -> u64 {
        (self.steps as u64).saturating_mul(self.episodes_per_step())
    }

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
    /// Input lengths of a phase's tasks, when not the world's `lengths`:
    /// alignment training on tasks unlike deployment's (the similarity
    /// rival's test). Evaluation sets its own lengths per condition, so
    /// `eval.tasks` may not have this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lengths: Option<[usize; 2]>,
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
    /// Episodes of the cheap evaluation after each phase (half, no probes).
    pub fn stage_episodes(&self) -> usize {
        (self.episodes / 2).max(1)
    }

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

// The caps `validate` holds every spec to. A spec comes from a link or a
// file (untrusted) and runs in a browser tab, a phone's included: each cap
// says why it is where it is, and each refusal names the cap and its value.

/// Widest residual stream: weights grow as `d_model²` (512 wide and 8 deep
/// is 25M parameters, over 200 times the presets' model).
pub const MAX_D_MODEL: usize = 512;
/// Deepest model: 8 blocks is four times the presets' depth.
pub const MAX_LAYERS: usize = 8;
/// Longest context: attention scores grow as `block_size²`, and the longest
/// episode the world can pose needs a few dozen tokens.
pub const MAX_BLOCK_SIZE: usize = 256;
/// Most seeds: each is a whole run of every regime; 100 resolve differences
/// of a few points.
pub const MAX_SEEDS: usize = 100;
/// Most regimes: each is trained at every seed and is a row of every table
/// and heatmap (the flagship has 20).
pub const MAX_REGIMES: usize = 32;
/// Most phases in one regime (the presets use at most 4).
pub const MAX_PHASES: usize = 32;
/// Longest phase, in optimiser steps (the presets' longest is 1200).
pub const MAX_PHASE_STEPS: usize = 100_000;
/// Most training steps of a whole run: every seed's distinct prefixes plus
/// each regime's fine-tuning attack. 100 seeds of the pretraining world
/// (about 580,000) fit; beyond that a run takes weeks, and progress counts
/// (32-bit `usize` in wasm) stay far from overflowing.
pub const MAX_TOTAL_STEPS: u64 = 1_000_000;
/// Largest batch (documents, examples or rl prompts per step); the memory
/// cap below bounds what a batch may cost.
pub const MAX_BATCH_SIZE: usize = 1024;
/// Fewest completions per rl prompt: the group's mean is the baseline, so
/// one completion alone would learn nothing.
pub const MIN_GROUP_SIZE: usize = 2;
/// Most completions per rl prompt (each one is a sampled episode).
pub const MAX_GROUP_SIZE: usize = 64;
/// Highest learning rate: AdamW moves each weight by about the rate per
/// step, so beyond 1 a step outgrows the weights themselves.
pub const MAX_LR: f64 = 1.0;
/// Largest exploit penalty: 10 times the reward a pass earns.
pub const MAX_EXPLOIT_PENALTY: f64 = 10.0;
/// Largest KL coefficient: at 100 the KL term outweighs any reward (at
/// most 1 per episode) many times over.
pub const MAX_KL: f32 = 100.0;
/// Most episodes per evaluation condition: 100,000 give rates to a fraction
/// of a point, and every condition of every regime samples them.
pub const MAX_EVAL_EPISODES: usize = 100_000;
/// Most stated-values probes per condition (as episodes).
pub const MAX_EVAL_PROBES: usize = 100_000;
/// Most memory a run may need ([`ExperimentSpec::memory_estimate`]): 1 GiB,
/// about what a phone's browser gives one tab (and a quarter of wasm32's
/// whole address space).
pub const MAX_MEMORY_BYTES: u64 = 1 << 30;

/// What a run holds in memory at its peak, roughly and on the high side:
/// every model kept at once, plus the activations of its largest training
/// step. Evaluation samples in chunks without gradients, far below a
/// training step, and is not counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// One copy of the model's weights.
    pub model_bytes: u64,
    /// Copies held at once: every distinct trained prefix (kept for reuse
    /// until the seed is done), the initial weights, the phase in training's
    /// weights, gradients and two AdamW moments (4), and a frozen rl
    /// reference or the attack's starting point (1).
    pub models: u64,
    /// Activations of the largest training step (with autodiff keeping them
    /// for the backward pass; see `GptConfig::step_activation_bytes`).
    pub step_bytes: u64,
    /// Where that step is.
    pub step_at: String,
}

impl MemoryEstimate {
    pub fn total(&self) -> u64 {
        self.model_bytes
            .saturating_mul(self.models)
            .saturating_add(self.step_bytes)
    }
}

/// Copies of the weights a run holds besides its trained prefixes: the
/// initial ones, the phase in training's weights, gradients and two AdamW
/// moments, and a frozen rl reference (or the attack's starting point).
const MODELS_BESIDE_PREFIXES: u64 = 1 + 4 + 1;

/// Bytes as MiB, rounded up (a tiny spec still reads as 1 MiB, not 0).
fn mib(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

/// FNV-1a's starting state (its 64-bit offset basis).
const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a: a stable 64-bit hash (std's `DefaultHasher` may change between
/// releases). Also the content hash of shipped files (`tests/make-prefixes.mjs`
/// computes the same in JavaScript).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_more(FNV_START, bytes)
}

/// FNV-1a carried on from state `h` over more bytes: the hash of a text
/// that grows piece by piece is its running state, so nothing is hashed twice.
fn fnv1a_more(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// The key of each prefix of `phases`: phase names do not count (two regimes
/// may call the same training by different names).
///
/// Key `i` is FNV-1a of the JSON of (world, model, seed) followed by the JSON
/// of unnamed phases `0..=i`. The hash runs on from one key to the next, so
/// this is linear in the phases; the keys are those of hashing each whole
/// text afresh (as earlier versions did), so kept checkpoints still match.
pub fn prefix_keys(spec: &ExperimentSpec, seed: u64, phases: &[PhaseSpec]) -> Vec<u64> {
    let head = serde_json::to_string(&(&spec.world, &spec.model, seed)).expect("serialisable");
    let mut h = fnv1a(head.as_bytes());
    phases
        .iter()
        .map(|p| {
            h = fnv1a_more(
                h,
                serde_json::to_string(&p.unnamed())
                    .expect("serialisable")
                    .as_bytes(),
            );
            h
        })
        .collect()
}

/// The text key `phases.len() - 1` of [`prefix_keys`] is the hash of: what
/// a kept checkpoint stores beside its weights, so a recalled one is used
/// only when it is exactly this prefix (a 64-bit key alone could be made to
/// collide by a crafted spec).
pub fn prefix_text(spec: &ExperimentSpec, seed: u64, phases: &[PhaseSpec]) -> String {
    let mut text = serde_json::to_string(&(&spec.world, &spec.model, seed)).expect("serialisable");
    for p in phases {
        text.push_str(&serde_json::to_string(&p.unnamed()).expect("serialisable"));
    }
    text
}

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

/// Name of the phase [`ExperimentSpec::pad_to_equal_steps`] appends.
pub const PADDING: &str = "neutral padding";

impl ExperimentSpec {
    /// Equal training for every regime: each regime of more than one phase
    /// whose phases' steps add up to fewer than the longest's is given a
    /// last phase of that many steps of its own pretraining text (at the
    /// later phases' learning rate, 1e-3), so a comparison cannot be won by
    /// training longer. Steps are optimiser updates: an rl step samples
    /// more episodes than an sft step, so equal steps are not equal
    /// arithmetic. A regime of one phase is a baseline and is left alone.
    /// Padding goes last, where an ethics class would: what padding cannot
    /// tell from the class is the class's content, the question asked.
    pub fn pad_to_equal_steps(&mut self) -> Result<()> {
        let total = |r: &RegimeSpec| r.phases.iter().map(|p| p.steps).sum::<usize>();
        let longest = self.regimes.iter().map(total).max().unwrap_or(0);
        for r in self.regimes.iter_mut().filter(|r| r.phases.len() > 1) {
            let missing = longest - total(r);
            if missing == 0 {
                continue;
            }
            let corpus = r
                .phases
                .iter()
                .find_map(|p| match &p.objective {
                    Objective::Pretrain { corpus } => Some(corpus.clone()),
                    _ => None,
                })
                .ok_or_else(|| {
                    LabError::Spec(format!(
                        "regime {:?} has no pretraining phase whose text could pad it to {longest} steps",
                        r.name
                    ))
                })?;
            r.phases.push(PhaseSpec {
                name: PADDING.into(),
                alignment: false,
                steps: missing,
                lr: 1e-3,
                batch_size: 32,
                objective: Objective::Pretrain { corpus },
            });
        }
        Ok(())
    }

    pub fn from_json(text: &str) -> Result<Self> {
        let spec: Self =
            serde_json::from_str(text).map_err(|e| LabError::Spec(format!("not a valid spec: {e}")))?;
        spec.validate()?;
        Ok(spec)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a spec always serialises")
    }

    /// `n` seeds counting up from the spec's first (0 if it has none): fewer
    /// or more seeds of an experiment keep the ones it ran, and so its
    /// shipped results and prefixes (the flagship's start at 50).
    pub fn set_seed_count(&mut self, n: u64) {
        let first = self.seeds.first().copied().unwrap_or(0);
        self.seeds = (first..first.saturating_add(n)).collect();
    }

    /// A stable name for what running this spec on this engine version
    /// produces (where stored results are kept).
    pub fn results_key(&self) -> String {
        let json = serde_json::to_string(self).expect("a spec always serialises");
        format!(
            "{}+{}/{:016x}",
            crate::VERSION,
            crate::ENGINE_BUILD,
            fnv1a(json.as_bytes())
        )
    }

    /// Every regime trains and evaluates without surprises, or a specific error.
    pub fn validate(&self) -> Result<()> {
        if let Some(sweep) = &self.sweep {
            sweep.check_shape().map_err(LabError::Spec)?;
        }
        if self.version != SPEC_VERSION {
            return bad(format!(
                "spec version {} is not supported (this engine reads version {SPEC_VERSION})",
                self.version
            ));
        }
        let world = self.world.build()?;
        let WorldSpec::GradedTasks(ws) = &self.world;
        let m = &self.model;
        if m.d_model == 0 || m.d_model > MAX_D_MODEL || m.n_heads == 0 || !m.d_model.is_multiple_of(m.n_heads)
        {
            return bad(format!(
                "model.d_model must be in 1..={MAX_D_MODEL} (MAX_D_MODEL: weights grow as its square) \
                 and divisible by model.n_heads, got {} and {}",
                m.d_model, m.n_heads
            ));
        }
        if !(1..=MAX_LAYERS).contains(&m.n_layers) {
            return bad(format!(
                "model.n_layers must be in 1..={MAX_LAYERS} (MAX_LAYERS), got {}",
                m.n_layers
            ));
        }
        let longest = ws.all_lengths()[1];
        let need = world.episode_len(longest);
        if m.block_size < need {
            return bad(format!(
                "model.block_size {} is too short for the tasks: an episode with a {longest}-digit input \
                 needs {need} tokens (allowed: {need}..={MAX_BLOCK_SIZE})",
                m.block_size
            ));
        }
        if m.block_size > MAX_BLOCK_SIZE {
            return bad(format!(
                "model.block_size {} is above {MAX_BLOCK_SIZE} (MAX_BLOCK_SIZE: attention grows as its square; \
                 these tasks need {need})",
                m.block_size
            ));
        }
        if self.seeds.is_empty() || self.seeds.len() > MAX_SEEDS {
            return bad(format!(
                "seeds must list 1..={MAX_SEEDS} seeds (MAX_SEEDS: each is a whole run), got {}",
                self.seeds.len()
            ));
        }
        let mut distinct = std::collections::HashSet::new();
        for &seed in &self.seeds {
            if seed > MAX_SEED {
                return bad(format!(
                    "seed {seed} is above {MAX_SEED} (MAX_SEED, 2^53 - 1), the largest a browser's numbers hold exactly"
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
        if self.regimes.len() > MAX_REGIMES {
            return bad(format!(
                "regimes lists {} regimes; at most {MAX_REGIMES} (MAX_REGIMES: each trains at every seed \
                 and is a row of every table)",
                self.regimes.len()
            ));
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
            if r.phases.len() > MAX_PHASES {
                return bad(format!(
                    "regime {:?} has {} phases; at most {MAX_PHASES} (MAX_PHASES)",
                    r.name,
                    r.phases.len()
                ));
            }
            for p in &r.phases {
                let at = format!("regime {:?}, phase {:?}", r.name, p.name);
                self.validate_phase(&world, p, &at)?;
                // Held out means never trained on: before pretraining too.
                if let Objective::Sft { tasks, .. } | Objective::Rl(RlSpec { tasks, .. }) = &p.objective {
                    for (field, family) in self.eval.held_out_families() {
                        if tasks.families.iter().any(|f| f == family) {
                            return bad(format!(
                                "{at} trains on {family:?}, the family eval.{field} keeps for evaluation"
                            ));
                        }
                    }
                }
            }
        }
        let e = &self.eval;
        if !(1..=MAX_EVAL_EPISODES).contains(&e.episodes) || e.probes > MAX_EVAL_PROBES {
            return bad(format!(
                "eval.episodes must be in 1..={MAX_EVAL_EPISODES} (MAX_EVAL_EPISODES) and eval.probes at most \
                 {MAX_EVAL_PROBES} (MAX_EVAL_PROBES), got {} and {}",
                e.episodes, e.probes
            ));
        }
        check_mix(&world, &e.tasks, "eval.tasks", None)?;
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
        let steps = self.total_steps();
        if steps > MAX_TOTAL_STEPS {
            return bad(format!(
                "the experiment trains {steps} steps in all (every seed's distinct phases and each regime's \
                 attack); at most {MAX_TOTAL_STEPS} (MAX_TOTAL_STEPS: beyond it a run takes weeks): use \
                 fewer seeds, regimes or steps"
            ));
        }
        let memory = self.estimate(&world);
        if memory.total() > MAX_MEMORY_BYTES {
            return bad(format!(
                "the experiment needs about {} MiB of memory ({} copies of the model at {} MiB each, and \
                 {} MiB of activations for one training step of {}); at most {} MiB (MAX_MEMORY_BYTES: \
                 what a phone's browser tab holds): use a smaller batch_size, group_size, block_size, \
                 n_heads or model, or fewer phases",
                mib(memory.total()),
                memory.models,
                mib(memory.model_bytes),
                mib(memory.step_bytes),
                memory.step_at,
                mib(MAX_MEMORY_BYTES)
            ));
        }
        Ok(())
    }

    /// Training steps of the whole run, saturating: at every seed each
    /// distinct prefix once (as it trains once) and each regime's attack.
    pub fn total_steps(&self) -> u64 {
        // Which prefixes are distinct does not depend on the seed.
        let mut seen = HashSet::new();
        let mut per_seed: u64 = 0;
        for r in &self.regimes {
            for (p, key) in r.phases.iter().zip(prefix_keys(self, 0, &r.phases)) {
                if seen.insert(key) {
                    per_seed = per_seed.saturating_add(p.steps as u64);
                }
            }
            per_seed = per_seed.saturating_add(self.eval.attack.steps as u64);
        }
        per_seed.saturating_mul(self.seeds.len() as u64)
    }

    /// How much memory a run of this spec needs at its peak (roughly, on the
    /// high side); `validate` refuses more than [`MAX_MEMORY_BYTES`].
    pub fn memory_estimate(&self) -> Result<MemoryEstimate> {
        Ok(self.estimate(&self.world.build()?))
    }

    fn estimate(&self, world: &dyn World) -> MemoryEstimate {
        let WorldSpec::GradedTasks(ws) = &self.world;
        let gpt = self.model.gpt(world);
        let block = self.model.block_size as u64;
        // Tasks after pretraining: the longest training episode, sampled
        // prompt and answer together (sft pads to its batch's longest).
        let task_len = (world.episode_len(ws.lengths[1]) as u64).min(block);
        // The seed does not matter here: which prefixes are distinct does
        // not depend on it.
        let prefixes: HashSet<u64> = self
            .regimes
            .iter()
            .flat_map(|r| prefix_keys(self, 0, &r.phases))
            .collect();
        let phases = self
            .regimes
            .iter()
            .flat_map(|r| r.phases.iter().map(move |p| (Some(r), p)))
            .chain(std::iter::once((None, &self.eval.attack)));
        let (mut step_bytes, mut largest) = (0, None);
        for (regime, p) in phases {
            let batch = p.batch_size as u64;
            let bytes = match &p.objective {
                Objective::Pretrain { .. } => gpt.step_activation_bytes(batch, block),
                Objective::Sft { .. } => gpt.step_activation_bytes(batch, task_len),
                Objective::Rl(rl) => {
                    gpt.step_activation_bytes(batch.saturating_mul(rl.group_size as u64), task_len)
                }
            };
            if bytes > step_bytes {
                (step_bytes, largest) = (bytes, Some((regime, p)));
            }
        }
        let step_at = match largest {
            Some((Some(r), p)) => format!("regime {:?}, phase {:?}", r.name, p.name),
            Some((None, _)) => "eval.attack".into(),
            None => String::new(),
        };
        MemoryEstimate {
            model_bytes: gpt.weight_bytes(),
            models: prefixes.len() as u64 + MODELS_BESIDE_PREFIXES,
            step_bytes,
            step_at,
        }
    }

    /// Every input length pretraining shows: a phase's tasks stay inside it.
    fn pretrained_lengths(&self) -> [usize; 2] {
        let WorldSpec::GradedTasks(ws) = &self.world;
        ws.all_lengths()
    }

    fn validate_phase(&self, world: &dyn World, p: &PhaseSpec, at: &str) -> Result<()> {
        if !(1..=MAX_PHASE_STEPS).contains(&p.steps) {
            return bad(format!(
                "{at}: steps must be in 1..={MAX_PHASE_STEPS} (MAX_PHASE_STEPS), got {}",
                p.steps
            ));
        }
        if !(p.lr.is_finite() && p.lr > 0.0 && p.lr <= MAX_LR) {
            return bad(format!(
                "{at}: lr must be in (0, {MAX_LR}] (MAX_LR: beyond it a step outgrows the weights), got {}",
                p.lr
            ));
        }
        if !(1..=MAX_BATCH_SIZE).contains(&p.batch_size) {
            return bad(format!(
                "{at}: batch_size must be in 1..={MAX_BATCH_SIZE} (MAX_BATCH_SIZE), got {}",
                p.batch_size
            ));
        }
        match &p.objective {
            Objective::Pretrain { corpus: c } => {
                let weights = [c.honest, c.exploiter, c.opportunist, c.deploy_reader, c.refuser];
                // A finite sum too: (1e308, 1e308, 0) sums to infinity and
                // would always draw the last persona.
                let sum: f64 = weights.iter().sum();
                if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || !(sum > 0.0 && sum.is_finite()) {
                    return bad(format!(
                        "{at}: persona weights (honest, exploiter, opportunist, deploy_reader, refuser) must be \
                         non-negative with a positive, finite sum, got {weights:?}"
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
                check_mix(
                    world,
                    tasks,
                    &format!("{at}: tasks"),
                    Some(self.pretrained_lengths()),
                )?;
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
                check_mix(
                    world,
                    &rl.tasks,
                    &format!("{at}: tasks"),
                    Some(self.pretrained_lengths()),
                )?;
                if !(MIN_GROUP_SIZE..=MAX_GROUP_SIZE).contains(&rl.group_size) {
                    return bad(format!(
                        "{at}: group_size must be in {MIN_GROUP_SIZE}..={MAX_GROUP_SIZE} (MIN_GROUP_SIZE: \
                         the group's mean is the baseline; MAX_GROUP_SIZE), got {}",
                        rl.group_size
                    ));
                }
                if !(rl.exploit_penalty.is_finite()
                    && (0.0..=MAX_EXPLOIT_PENALTY).contains(&rl.exploit_penalty))
                {
                    return bad(format!(
                        "{at}: exploit_penalty must be in [0, {MAX_EXPLOIT_PENALTY}] (MAX_EXPLOIT_PENALTY), got {}",
                        rl.exploit_penalty
                    ));
                }
                check_prob(&format!("{at}: checked_share"), rl.checked_share)?;
                if !(rl.kl.is_finite() && (0.0..=MAX_KL).contains(&rl.kl)) {
                    return bad(format!(
                        "{at}: kl must be in [0, {MAX_KL}] (MAX_KL), got {}",
                        rl.kl
                    ));
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

/// `pretrained`: the input lengths a phase's own `lengths` must lie in
/// (`None`: the mix may not set them).
fn check_mix(world: &dyn World, mix: &TaskMix, at: &str, pretrained: Option<[usize; 2]>) -> Result<()> {
    if mix.families.is_empty() {
        return bad(format!("{at}: families is empty"));
    }
    match (mix.lengths, pretrained) {
        (None, _) => {}
        (Some(_), None) => {
            return bad(format!(
                "{at}.lengths: evaluation sets its lengths per condition (world.lengths, \
                 world.long_lengths); remove it"
            ));
        }
        (Some([lo, hi]), Some([min, max])) => {
            if lo > hi || lo < min || hi > max {
                return bad(format!(
                    "{at}.lengths must satisfy {min} <= min <= max <= {max} (the lengths pretraining \
                     shows), got [{lo}, {hi}]"
                ));
            }
        }
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
        refuses(
            |s| {
                if let Objective::Pretrain { corpus } = &mut s.regimes[0].phases[0].objective {
                    corpus.refuser = f64::NAN;
                }
            },
            &["persona weights", "refuser"],
        );
        // A phase's own lengths stay inside what pretraining shows (2-5 by default).
        refuses(
            |s| first_rl(s).tasks.lengths = Some([4, 6]),
            &["capability rl", "tasks.lengths", "2 <= min <= max <= 5", "[4, 6]"],
        );
        refuses(|s| first_rl(s).tasks.lengths = Some([3, 2]), &["tasks.lengths"]);
        refuses(
            |s| s.eval.tasks.lengths = Some([2, 3]),
            &["eval.tasks.lengths", "per condition"],
        );
        let mut ok = preset("quick").unwrap();
        first_rl(&mut ok).tasks.lengths = Some([4, 5]);
        ok.validate().unwrap();
    }

    #[test]
    fn fewer_or_more_seeds_keep_the_ones_the_experiment_ran() {
        let mut spec = preset(crate::presets::FLAGSHIP).unwrap();
        let first = spec.seeds[0];
        spec.set_seed_count(3);
        assert_eq!(spec.seeds, [first, first + 1, first + 2]);
        spec.seeds.clear();
        spec.set_seed_count(2);
        assert_eq!(spec.seeds, [0, 1]);
    }

    #[test]
    fn settings_added_later_stay_out_of_older_specs_json() {
        // Results keys and prefix keys hash the JSON: shipped results and
        // checkpoints of specs that do not use these must keep their keys.
        let json = preset(crate::presets::PRETRAINING_WORLD).unwrap().to_json();
        for later in [
            "deploy_reader",
            "refuser",
            "\"lengths\": [",
            "pretrain_long_share",
        ] {
            let in_tasks = json.matches(later).count();
            // The world's own `lengths` is older and stays.
            let expected = usize::from(later.starts_with("\"lengths"));
            assert_eq!(in_tasks, expected, "{later} in {json}");
        }
    }

    #[test]
    fn padding_equalises_steps_and_leaves_baselines_and_prefixes_alone() {
        let mut spec = preset("quick").unwrap();
        let steps = |s: &ExperimentSpec| -> Vec<usize> {
            s.regimes
                .iter()
                .map(|r| r.phases.iter().map(|p| p.steps).sum())
                .collect()
        };
        let before = steps(&spec);
        let longest = *before.iter().max().unwrap();
        assert!(before.iter().any(|&n| n < longest), "quick has unequal regimes");
        spec.regimes.push(RegimeSpec {
            name: "baseline".into(),
            description: String::new(),
            phases: vec![spec.regimes[0].phases[0].clone()],
        });
        let original = spec.clone();
        spec.pad_to_equal_steps().unwrap();
        spec.validate().unwrap();
        let after = steps(&spec);
        for (i, (r, old)) in spec.regimes.iter().zip(&original.regimes).enumerate() {
            if r.name == "baseline" {
                assert_eq!(r, old, "a one-phase baseline is not padded");
                continue;
            }
            assert_eq!(after[i], longest, "{}", r.name);
            // Its own phases come first, unchanged: prefixes stay shared.
            assert_eq!(&r.phases[..old.phases.len()], &old.phases[..]);
            if before[i] < longest {
                let pad = r.phases.last().unwrap();
                assert_eq!((pad.name.as_str(), pad.alignment), (PADDING, false));
                assert_eq!(pad.objective, old.phases[0].objective, "its own corpus");
            }
        }
        // Padding twice changes nothing.
        let once = spec.clone();
        spec.pad_to_equal_steps().unwrap();
        assert_eq!(spec, once);
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

    /// The quick preset cut to its control regime: two phases, one seed.
    fn small() -> ExperimentSpec {
        let mut spec = preset("quick").unwrap();
        spec.regimes.truncate(1);
        spec
    }

    fn rl_phase(spec: &mut ExperimentSpec) -> &mut PhaseSpec {
        &mut spec.regimes[0].phases[1]
    }

    fn group(p: &mut PhaseSpec) -> &mut usize {
        match &mut p.objective {
            Objective::Rl(rl) => &mut rl.group_size,
            _ => panic!("not rl"),
        }
    }

    /// (what, an edit putting one setting at its cap, the same one step past it).
    type AtCap = (&'static str, fn(&mut ExperimentSpec), fn(&mut ExperimentSpec));

    fn caps() -> Vec<AtCap> {
        vec![
            (
                "MAX_D_MODEL",
                |s| s.model.d_model = MAX_D_MODEL,
                |s| s.model.d_model = MAX_D_MODEL + 4,
            ),
            (
                "MAX_D_MODEL",
                |s| (s.model.d_model, s.model.n_heads) = (MAX_D_MODEL, MAX_D_MODEL),
                |s| (s.model.d_model, s.model.n_heads) = (MAX_D_MODEL + 1, MAX_D_MODEL + 1),
            ),
            (
                "MAX_LAYERS",
                |s| s.model.n_layers = MAX_LAYERS,
                |s| s.model.n_layers = MAX_LAYERS + 1,
            ),
            (
                "MAX_BLOCK_SIZE",
                |s| s.model.block_size = MAX_BLOCK_SIZE,
                |s| s.model.block_size = MAX_BLOCK_SIZE + 1,
            ),
            (
                "MAX_SEEDS",
                |s| s.seeds = (0..MAX_SEEDS as u64).collect(),
                |s| s.seeds = (0..=MAX_SEEDS as u64).collect(),
            ),
            (
                "MAX_REGIMES",
                |s| {
                    let r = s.regimes[0].clone();
                    s.regimes = (0..MAX_REGIMES)
                        .map(|i| RegimeSpec {
                            name: format!("r{i}"),
                            ..r.clone()
                        })
                        .collect();
                },
                |s| {
                    let r = s.regimes[0].clone();
                    s.regimes = (0..=MAX_REGIMES)
                        .map(|i| RegimeSpec {
                            name: format!("r{i}"),
                            ..r.clone()
                        })
                        .collect();
                },
            ),
            (
                "MAX_PHASES",
                |s| {
                    let rl = s.regimes[0].phases[1].clone();
                    s.regimes[0].phases.resize(MAX_PHASES, rl);
                },
                |s| {
                    let rl = s.regimes[0].phases[1].clone();
                    s.regimes[0].phases.resize(MAX_PHASES + 1, rl);
                },
            ),
            (
                "MAX_PHASE_STEPS",
                |s| rl_phase(s).steps = MAX_PHASE_STEPS,
                |s| rl_phase(s).steps = MAX_PHASE_STEPS + 1,
            ),
            (
                "MAX_TOTAL_STEPS",
                // 10 seeds × (99,999 steps + a 1-step attack) is the cap exactly.
                |s| {
                    s.regimes[0].phases.truncate(1);
                    s.regimes[0].phases[0].steps = 99_999;
                    s.eval.attack.steps = 1;
                    s.seeds = (0..10).collect();
                },
                |s| {
                    s.regimes[0].phases.truncate(1);
                    s.regimes[0].phases[0].steps = 100_000;
                    s.eval.attack.steps = 1;
                    s.seeds = (0..10).collect();
                },
            ),
            (
                "MAX_BATCH_SIZE",
                |s| s.regimes[0].phases[0].batch_size = MAX_BATCH_SIZE,
                |s| s.regimes[0].phases[0].batch_size = MAX_BATCH_SIZE + 1,
            ),
            (
                "MAX_BATCH_SIZE",
                |s| s.eval.attack.batch_size = MAX_BATCH_SIZE,
                |s| s.eval.attack.batch_size = MAX_BATCH_SIZE + 1,
            ),
            (
                "MAX_BATCH_SIZE",
                |s| {
                    rl_phase(s).batch_size = MAX_BATCH_SIZE;
                    *group(rl_phase(s)) = MIN_GROUP_SIZE;
                },
                |s| {
                    rl_phase(s).batch_size = MAX_BATCH_SIZE + 1;
                    *group(rl_phase(s)) = MIN_GROUP_SIZE;
                },
            ),
            (
                "MAX_GROUP_SIZE",
                |s| *group(rl_phase(s)) = MAX_GROUP_SIZE,
                |s| *group(rl_phase(s)) = MAX_GROUP_SIZE + 1,
            ),
            (
                "MIN_GROUP_SIZE",
                |s| *group(rl_phase(s)) = MIN_GROUP_SIZE,
                |s| *group(rl_phase(s)) = MIN_GROUP_SIZE - 1,
            ),
            (
                "MAX_LR",
                |s| rl_phase(s).lr = MAX_LR,
                |s| rl_phase(s).lr = MAX_LR * 1.01,
            ),
            (
                "MAX_EXPLOIT_PENALTY",
                |s| first_rl(s).exploit_penalty = MAX_EXPLOIT_PENALTY,
                |s| first_rl(s).exploit_penalty = MAX_EXPLOIT_PENALTY + 0.5,
            ),
            (
                "MAX_KL",
                |s| first_rl(s).kl = MAX_KL,
                |s| first_rl(s).kl = MAX_KL + 1.0,
            ),
            (
                "MAX_EVAL_EPISODES",
                |s| s.eval.episodes = MAX_EVAL_EPISODES,
                |s| s.eval.episodes = MAX_EVAL_EPISODES + 1,
            ),
            (
                "MAX_EVAL_PROBES",
                |s| s.eval.probes = MAX_EVAL_PROBES,
                |s| s.eval.probes = MAX_EVAL_PROBES + 1,
            ),
        ]
    }

    #[test]
    fn the_largest_spec_at_each_cap_is_accepted_and_fits_and_one_past_it_is_refused_by_name() {
        for (cap, at, past) in caps() {
            let mut spec = small();
            at(&mut spec);
            spec.validate().unwrap_or_else(|e| panic!("{cap}: {e}"));
            let memory = spec.memory_estimate().unwrap();
            assert!(memory.total() <= MAX_MEMORY_BYTES, "{cap}: {memory:?}");
            let mut spec = small();
            past(&mut spec);
            let err = spec.validate().expect_err(cap).to_string();
            assert!(err.contains(cap), "{cap}: {err}");
        }
    }

    #[test]
    fn a_run_beyond_a_phones_memory_is_refused_with_the_estimate_and_the_cap() {
        // 512 heads × batch 1024 × block 256: each layer's attention scores
        // alone are 1024 × 512 × 256² floats (128 GiB).
        let mut spec = small();
        (spec.model.d_model, spec.model.n_heads, spec.model.block_size) = (512, 512, 256);
        spec.regimes[0].phases[0].batch_size = 1024;
        let memory = spec.memory_estimate().unwrap();
        assert!(memory.step_bytes > 2 * 4 * 1024 * 512 * 256 * 256, "{memory:?}");
        assert!(memory.step_at.contains("pretrain"), "{memory:?}");
        let err = spec.validate().unwrap_err().to_string();
        for needle in [
            &format!("needs about {} MiB of memory", mib(memory.total())),
            "one training step of regime \"control\", phase \"pretrain\"",
            "at most 1024 MiB (MAX_MEMORY_BYTES",
            "phone",
        ] {
            assert!(err.contains(needle), "{err:?} should mention {needle:?}");
        }
        // Even at batch 1, 512 heads at 256 tokens need about 1 GiB of
        // scores; 8 heads of 64 fit.
        spec.regimes[0].phases[0].batch_size = 1;
        assert!(
            spec.validate()
                .unwrap_err()
                .to_string()
                .contains("MAX_MEMORY_BYTES")
        );
        spec.model.n_heads = 8;
        spec.validate().unwrap();
    }

    #[test]
    fn every_preset_fits_a_phone() {
        for (name, _) in crate::presets::list() {
            let spec = preset(&name).unwrap();
            let memory = spec.memory_estimate().unwrap();
            println!(
                "{name}: {} MiB, {} steps",
                mib(memory.total()),
                spec.total_steps()
            );
            assert!(memory.total() <= MAX_MEMORY_BYTES / 4, "{name}: {memory:?}");
            assert!(spec.total_steps() <= MAX_TOTAL_STEPS, "{name}");
        }
    }

    #[test]
    fn totals_saturate_instead_of_wrapping() {
        // Past every cap (validation refuses it first): the sums still hold.
        let mut spec = small();
        spec.seeds = (0..MAX_SEEDS as u64).collect();
        for p in spec.regimes[0].phases.iter_mut() {
            (p.steps, p.batch_size) = (usize::MAX, usize::MAX);
        }
        assert_eq!(spec.total_steps(), u64::MAX);
        assert_eq!(spec.regimes[0].phases[1].episodes(), u64::MAX);
        spec.model.d_model = usize::MAX;
        assert_eq!(spec.memory_estimate().unwrap().total(), u64::MAX);
        assert!(spec.validate().is_err());
    }

    #[test]
    fn held_out_families_are_never_trained_on_not_even_before_pretraining() {
        for family in ["increment", "complement"] {
            for (sft, before) in [(false, true), (true, true), (false, false), (true, false)] {
                let mut spec = small();
                let mut phase = if sft {
                    spec.eval.attack.clone()
                } else {
                    spec.regimes[0].phases[1].clone()
                };
                match &mut phase.objective {
                    Objective::Sft { tasks, .. } | Objective::Rl(RlSpec { tasks, .. }) => {
                        tasks.families = vec!["copy".into(), family.into()]
                    }
                    Objective::Pretrain { .. } => unreachable!(),
                }
                let at = if before { 0 } else { 2 };
                spec.regimes[0].phases.insert(at, phase);
                let err = spec.validate().expect_err(family).to_string();
                assert!(err.contains(&format!("trains on \"{family}\"")), "{err}");
            }
        }
    }

    #[test]
    fn prefix_keys_are_the_ones_kept_checkpoints_were_stored_under() {
        // Computed by the earlier implementation (each prefix's whole text
        // hashed afresh) before it was made linear.
        let cases: [(&str, u64, &str, &[u64]); 4] = [
            (
                "quick",
                0,
                "sandwich",
                &[
                    13855510022110260641,
                    3287410818779247270,
                    7826894562090424742,
                    12534059758781000979,
                ],
            ),
            (
                "pretraining-world",
                3,
                "sandwich",
                &[
                    11172416002612509548,
                    15825498812967920132,
                    15411933150433742888,
                    12713168068991353240,
                ],
            ),
            (
                "pretraining-world",
                3,
                "aligned pretraining",
                &[688470549056892761, 6937889074790393495],
            ),
            (
                "pretraining-world",
                MAX_SEED,
                "coupled",
                &[15400580299871562675, 1004531079466738687],
            ),
        ];
        for (name, seed, regime, want) in cases {
            let spec = preset(name).unwrap();
            let r = spec.regimes.iter().find(|r| r.name == regime).unwrap();
            let keys = prefix_keys(&spec, seed, &r.phases);
            assert_eq!(keys, want, "{name} {regime}");
            // Each key is the hash of the text a checkpoint stores beside it.
            for (i, key) in keys.iter().enumerate() {
                assert_eq!(fnv1a(prefix_text(&spec, seed, &r.phases[..=i]).as_bytes()), *key);
            }
        }
    }

    #[test]
    fn prefix_keys_take_linear_time() {
        // Hashing each prefix's whole text afresh read ~8 GB here (seconds);
        // carrying the hash on reads each phase once (milliseconds).
        let spec = small();
        let phases = vec![spec.regimes[0].phases[1].clone(); 8000];
        let started = std::time::Instant::now();
        let keys = prefix_keys(&spec, 0, &phases);
        let took = started.elapsed();
        assert_eq!(keys.len(), 8000);
        assert!(took.as_secs_f64() < 1.0, "{took:?}");
        // The largest spec validation accepts: every regime at the most phases.
        let mut spec = small();
        let rl = spec.regimes[0].phases[1].clone();
        spec.regimes[0].phases.resize(MAX_PHASES, rl);
        let r = spec.regimes[0].clone();
        spec.regimes = (0..MAX_REGIMES)
            .map(|i| RegimeSpec {
                name: format!("r{i}"),
                ..r.clone()
            })
            .collect();
        let started = std::time::Instant::now();
        spec.validate().unwrap();
        assert!(started.elapsed().as_secs_f64() < 1.0, "{:?}", started.elapsed());
    }
}
