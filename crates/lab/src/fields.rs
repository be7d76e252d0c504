//! The settings of a spec as the page (and a link) names them: each phase
//! setting and experiment-wide setting read and written as text, so the
//! designer, exercises' fixed parts and hand-written links share one list.

use crate::spec::{ExperimentSpec, Grader, MAX_SEEDS, Objective, PhaseSpec, RlSpec, WorldSpec};

/// A setting of one phase, edited as text in the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseField {
    Name,
    Steps,
    Lr,
    BatchSize,
    /// Counts as alignment training (the depth view's "before" point).
    Alignment,
    /// Task families, comma-separated.
    Families,
    Monitored,
    Deploy,
    Inoculated,
    /// Input lengths of the phase's tasks ("min-max"; empty: the world's).
    TaskLengths,
    Grader,
    ExploitPenalty,
    CheckedShare,
    Kl,
    /// Corpus persona weights.
    Honest,
    Exploiter,
    Opportunist,
    /// Writers who game whenever tagged deployment.
    DeployReader,
    /// Writers who name the shortcut and refuse it.
    Refuser,
    Coherence,
    ConditionalTags,
    /// Sft example weights.
    SftHonest,
    SftStated,
    SftRecovery,
    SftExploit,
}

impl PhaseField {
    pub const ALL: [Self; 25] = [
        Self::Name,
        Self::Steps,
        Self::Lr,
        Self::BatchSize,
        Self::Alignment,
        Self::Families,
        Self::Monitored,
        Self::Deploy,
        Self::Inoculated,
        Self::TaskLengths,
        Self::Grader,
        Self::ExploitPenalty,
        Self::CheckedShare,
        Self::Kl,
        Self::Honest,
        Self::Exploiter,
        Self::Opportunist,
        Self::DeployReader,
        Self::Refuser,
        Self::Coherence,
        Self::ConditionalTags,
        Self::SftHonest,
        Self::SftStated,
        Self::SftRecovery,
        Self::SftExploit,
    ];

    /// Its name in a link (`lock=r2.p3.steps`): short, stable, lower case.
    pub fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Steps => "steps",
            Self::Lr => "lr",
            Self::BatchSize => "batch",
            Self::Alignment => "alignment",
            Self::Families => "families",
            Self::Monitored => "monitored",
            Self::Deploy => "deploy",
            Self::Inoculated => "allowed",
            Self::TaskLengths => "lengths",
            Self::Grader => "grader",
            Self::ExploitPenalty => "penalty",
            Self::CheckedShare => "caught",
            Self::Kl => "kl",
            Self::Honest => "honest",
            Self::Exploiter => "exploiter",
            Self::Opportunist => "opportunist",
            Self::DeployReader => "readers",
            Self::Refuser => "refusers",
            Self::Coherence => "coherence",
            Self::ConditionalTags => "tags",
            Self::SftHonest => "sft-honest",
            Self::SftStated => "sft-stated",
            Self::SftRecovery => "sft-recovery",
            Self::SftExploit => "sft-exploit",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    /// What the page calls it (plain words first).
    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Steps => "steps",
            Self::Lr => "learning rate",
            Self::BatchSize => "batch size",
            Self::Alignment => "alignment phase (0/1)",
            Self::Families => "task families",
            Self::Monitored => "P(monitored tag)",
            Self::Deploy => "P(deployment tag)",
            Self::Inoculated => "P(\"exploits allowed\" tag)",
            Self::TaskLengths => "task lengths (empty: the world's)",
            Self::Grader => "reward (flawed/correct)",
            Self::ExploitPenalty => "exploit penalty",
            Self::CheckedShare => "share of exploits caught",
            Self::Kl => "KL to phase start",
            Self::Honest => "honest writers (weight)",
            Self::Exploiter => "exploiters (weight)",
            Self::Opportunist => "opportunists (weight)",
            Self::DeployReader => "deployment readers (weight)",
            Self::Refuser => "refusers (weight)",
            Self::Coherence => "coherence",
            Self::ConditionalTags => "tag exploit text (0/1)",
            Self::SftHonest => "honest answers (weight)",
            Self::SftStated => "\"I don't game\" lines (weight)",
            Self::SftRecovery => "recoveries (weight)",
            Self::SftExploit => "exploits (weight)",
        }
    }

    /// The field's value in `p`, or `None` where the phase's kind has no such setting.
    pub fn get(self, p: &PhaseSpec) -> Option<String> {
        let num = |x: f64| Some(x.to_string());
        let flag = |b: bool| Some(u8::from(b).to_string());
        match (self, &p.objective) {
            (Self::Name, _) => Some(p.name.clone()),
            (Self::Steps, _) => Some(p.steps.to_string()),
            (Self::Lr, _) => num(p.lr),
            (Self::BatchSize, _) => Some(p.batch_size.to_string()),
            (Self::Alignment, _) => flag(p.alignment),
            (Self::Families, Objective::Sft { tasks, .. } | Objective::Rl(RlSpec { tasks, .. })) => {
                Some(tasks.families.join(", "))
            }
            (Self::Monitored, Objective::Sft { tasks, .. }) => num(tasks.monitored),
            (Self::Deploy, Objective::Sft { tasks, .. }) => num(tasks.deploy),
            (Self::Inoculated, Objective::Sft { tasks, .. }) => num(tasks.inoculated),
            (Self::Monitored, Objective::Rl(rl)) => num(rl.tasks.monitored),
            (Self::Deploy, Objective::Rl(rl)) => num(rl.tasks.deploy),
            (Self::Inoculated, Objective::Rl(rl)) => num(rl.tasks.inoculated),
            (Self::TaskLengths, Objective::Sft { tasks, .. } | Objective::Rl(RlSpec { tasks, .. })) => Some(
                tasks
                    .lengths
                    .map_or(String::new(), |[lo, hi]| format!("{lo}-{hi}")),
            ),
            (Self::Grader, Objective::Rl(rl)) => Some(grader_name(rl.grader).into()),
            (Self::ExploitPenalty, Objective::Rl(rl)) => num(rl.exploit_penalty),
            (Self::CheckedShare, Objective::Rl(rl)) => num(rl.checked_share),
            (Self::Kl, Objective::Rl(rl)) => num(rl.kl as f64),
            (Self::Honest, Objective::Pretrain { corpus }) => num(corpus.honest),
            (Self::Exploiter, Objective::Pretrain { corpus }) => num(corpus.exploiter),
            (Self::Opportunist, Objective::Pretrain { corpus }) => num(corpus.opportunist),
            (Self::DeployReader, Objective::Pretrain { corpus }) => num(corpus.deploy_reader),
            (Self::Refuser, Objective::Pretrain { corpus }) => num(corpus.refuser),
            (Self::Coherence, Objective::Pretrain { corpus }) => num(corpus.coherence),
            (Self::ConditionalTags, Objective::Pretrain { corpus }) => flag(corpus.conditional_tags),
            (Self::SftHonest, Objective::Sft { data, .. }) => num(data.honest),
            (Self::SftStated, Objective::Sft { data, .. }) => num(data.stated),
            (Self::SftRecovery, Objective::Sft { data, .. }) => num(data.recovery),
            (Self::SftExploit, Objective::Sft { data, .. }) => num(data.exploit),
            _ => None,
        }
    }

    /// Set the field in `p` from text; range checks are `ExperimentSpec::validate`'s.
    pub fn set(self, p: &mut PhaseSpec, text: &str) -> Result<(), String> {
        let text = text.trim();
        let label = self.label();
        let float = || -> Result<f64, String> {
            number(text).ok_or_else(|| format!("{label}: {text:?} is not a number"))
        };
        let whole = || -> Result<usize, String> {
            text.parse::<usize>()
                .map_err(|_| format!("{label}: {text:?} is not a whole number"))
        };
        let flag = || -> Result<bool, String> {
            match text {
                "1" | "true" | "yes" => Ok(true),
                "0" | "false" | "no" => Ok(false),
                _ => Err(format!("{label}: expected 0 or 1, got {text:?}")),
            }
        };
        let missing = || format!("{label} does not apply to this kind of phase");
        match self {
            Self::Name => p.name = text.to_string(),
            Self::Steps => p.steps = whole()?,
            Self::Lr => p.lr = float()?,
            Self::BatchSize => p.batch_size = whole()?,
            Self::Alignment => p.alignment = flag()?,
            Self::Families | Self::Monitored | Self::Deploy | Self::Inoculated | Self::TaskLengths => {
                let tasks = match &mut p.objective {
                    Objective::Sft { tasks, .. } => tasks,
                    Objective::Rl(rl) => &mut rl.tasks,
                    Objective::Pretrain { .. } => return Err(missing()),
                };
                match self {
                    Self::Families => {
                        tasks.families = text
                            .split(',')
                            .map(|f| f.trim().to_string())
                            .filter(|f| !f.is_empty())
                            .collect()
                    }
                    Self::Monitored => tasks.monitored = float()?,
                    Self::Deploy => tasks.deploy = float()?,
                    Self::TaskLengths => {
                        tasks.lengths = lengths(text).map_err(|e| format!("{label}: {e}"))?
                    }
                    _ => tasks.inoculated = float()?,
                }
            }
            Self::Grader | Self::ExploitPenalty | Self::CheckedShare | Self::Kl => {
                let Objective::Rl(rl) = &mut p.objective else {
                    return Err(missing());
                };
                match self {
                    Self::Grader => {
                        rl.grader = match text {
                            "flawed" => Grader::Flawed,
                            "correct" => Grader::Correct,
                            _ => return Err(format!("{label}: expected flawed or correct, got {text:?}")),
                        }
                    }
                    Self::ExploitPenalty => {
                        // A phase that starts or stops penalising exploits
                        // becomes or stops being alignment training, as in
                        // the presets (the flag is part of a phase's key).
                        let was = rl.exploit_penalty > 0.0;
                        rl.exploit_penalty = float()?;
                        if was != (rl.exploit_penalty > 0.0) {
                            p.alignment = rl.exploit_penalty > 0.0;
                        }
                    }
                    Self::CheckedShare => rl.checked_share = float()?,
                    _ => rl.kl = float()? as f32,
                }
            }
            Self::Honest
            | Self::Exploiter
            | Self::Opportunist
            | Self::DeployReader
            | Self::Refuser
            | Self::Coherence
            | Self::ConditionalTags => {
                let Objective::Pretrain { corpus } = &mut p.objective else {
                    return Err(missing());
                };
                match self {
                    Self::Honest => corpus.honest = float()?,
                    Self::Exploiter => corpus.exploiter = float()?,
                    Self::Opportunist => corpus.opportunist = float()?,
                    Self::DeployReader => corpus.deploy_reader = float()?,
                    Self::Refuser => corpus.refuser = float()?,
                    Self::Coherence => corpus.coherence = float()?,
                    _ => corpus.conditional_tags = flag()?,
                }
            }
            Self::SftHonest | Self::SftStated | Self::SftRecovery | Self::SftExploit => {
                let Objective::Sft { data, .. } = &mut p.objective else {
                    return Err(missing());
                };
                match self {
                    Self::SftHonest => data.honest = float()?,
                    Self::SftStated => data.stated = float()?,
                    Self::SftRecovery => data.recovery = float()?,
                    _ => data.exploit = float()?,
                }
            }
        }
        Ok(())
    }
}

/// An experiment-wide setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecField {
    /// How many seeds (0..n).
    Seeds,
    /// Episodes per condition in evaluation.
    Episodes,
    /// Input lengths of training and in-distribution tasks: "min-max".
    Lengths,
    /// Input lengths of the "longer" condition.
    LongLengths,
}

impl SpecField {
    pub const ALL: [Self; 4] = [Self::Seeds, Self::Episodes, Self::Lengths, Self::LongLengths];

    /// Its name in a link.
    pub fn key(self) -> &'static str {
        match self {
            Self::Seeds => "seeds",
            Self::Episodes => "episodes",
            Self::Lengths => "lengths",
            Self::LongLengths => "longer-lengths",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Seeds => "seeds",
            Self::Episodes => "episodes per test",
            Self::Lengths => "task lengths",
            Self::LongLengths => "longer-task lengths",
        }
    }

    pub fn get(self, spec: &ExperimentSpec) -> String {
        let WorldSpec::GradedTasks(w) = &spec.world;
        match self {
            Self::Seeds => spec.seeds.len().to_string(),
            Self::Episodes => spec.eval.episodes.to_string(),
            Self::Lengths => format!("{}-{}", w.lengths[0], w.lengths[1]),
            Self::LongLengths => format!("{}-{}", w.long_lengths[0], w.long_lengths[1]),
        }
    }

    pub fn set(self, spec: &mut ExperimentSpec, text: &str) -> Result<(), String> {
        let text = text.trim();
        let label = self.label();
        let whole = |t: &str| -> Result<usize, String> {
            t.trim()
                .parse::<usize>()
                .map_err(|_| format!("{label}: {t:?} is not a whole number"))
        };
        let range = || -> Result<[usize; 2], String> {
            lengths(text)
                .map_err(|e| format!("{label}: {e}"))?
                .ok_or_else(|| format!("{label}: expected lengths like 2-3"))
        };
        let WorldSpec::GradedTasks(w) = &mut spec.world;
        match self {
            Self::Seeds => {
                let n = whole(text)?;
                // Checked here, not by validation: a huge n would be built first.
                if !(1..=MAX_SEEDS).contains(&n) {
                    return Err(format!("{label}: expected 1 to {MAX_SEEDS}, got {n}"));
                }
                spec.set_seed_count(n as u64);
            }
            Self::Episodes => {
                spec.eval.episodes = whole(text)?;
                spec.eval.probes = spec.eval.episodes / 2;
            }
            Self::Lengths => w.lengths = range()?,
            Self::LongLengths => w.long_lengths = range()?,
        }
        Ok(())
    }
}

/// Input lengths written "min-max" (or one length); empty is `None`.
fn lengths(text: &str) -> Result<Option<[usize; 2]>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let whole = |t: &str| {
        t.trim()
            .parse::<usize>()
            .map_err(|_| format!("{t:?} is not a whole number"))
    };
    let (lo, hi) = text.split_once('-').unwrap_or((text, text));
    Ok(Some([whole(lo)?, whole(hi)?]))
}

/// A finite number, or a fraction `a/b` computed as the presets compute
/// theirs (`40/240` is exactly the coupled preset's share).
fn number(text: &str) -> Option<f64> {
    let value = match text.split_once('/') {
        Some((a, b)) => a.trim().parse::<f64>().ok()? / b.trim().parse::<f64>().ok()?,
        None => text.parse::<f64>().ok()?,
    };
    value.is_finite().then_some(value)
}

fn grader_name(g: Grader) -> &'static str {
    match g {
        Grader::Flawed => "flawed",
        Grader::Correct => "correct",
    }
}
