//! Edits the page makes to an experiment spec. Each edit is applied to a
//! copy and kept only if the engine's validation accepts the result, so an
//! invalid edit is refused with the engine's own message and the spec is
//! never left half-changed.

use upbringing_lab::presets;
use upbringing_lab::spec::{ExperimentSpec, Grader, Objective, PhaseSpec, RegimeSpec, RlSpec, WorldSpec};

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
    Grader,
    ExploitPenalty,
    CheckedShare,
    Kl,
    /// Corpus persona weights.
    Honest,
    Exploiter,
    Opportunist,
    Coherence,
    ConditionalTags,
    /// Sft example weights.
    SftHonest,
    SftStated,
    SftRecovery,
    SftExploit,
}

impl PhaseField {
    pub const ALL: [Self; 22] = [
        Self::Name,
        Self::Steps,
        Self::Lr,
        Self::BatchSize,
        Self::Alignment,
        Self::Families,
        Self::Monitored,
        Self::Deploy,
        Self::Inoculated,
        Self::Grader,
        Self::ExploitPenalty,
        Self::CheckedShare,
        Self::Kl,
        Self::Honest,
        Self::Exploiter,
        Self::Opportunist,
        Self::Coherence,
        Self::ConditionalTags,
        Self::SftHonest,
        Self::SftStated,
        Self::SftRecovery,
        Self::SftExploit,
    ];

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
            Self::Grader => "reward (flawed/correct)",
            Self::ExploitPenalty => "exploit penalty",
            Self::CheckedShare => "share of exploits caught",
            Self::Kl => "KL to phase start",
            Self::Honest => "honest writers (weight)",
            Self::Exploiter => "exploiters (weight)",
            Self::Opportunist => "opportunists (weight)",
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
            (Self::Grader, Objective::Rl(rl)) => Some(grader_name(rl.grader).into()),
            (Self::ExploitPenalty, Objective::Rl(rl)) => num(rl.exploit_penalty),
            (Self::CheckedShare, Objective::Rl(rl)) => num(rl.checked_share),
            (Self::Kl, Objective::Rl(rl)) => num(rl.kl as f64),
            (Self::Honest, Objective::Pretrain { corpus }) => num(corpus.honest),
            (Self::Exploiter, Objective::Pretrain { corpus }) => num(corpus.exploiter),
            (Self::Opportunist, Objective::Pretrain { corpus }) => num(corpus.opportunist),
            (Self::Coherence, Objective::Pretrain { corpus }) => num(corpus.coherence),
            (Self::ConditionalTags, Objective::Pretrain { corpus }) => flag(corpus.conditional_tags),
            (Self::SftHonest, Objective::Sft { data, .. }) => num(data.honest),
            (Self::SftStated, Objective::Sft { data, .. }) => num(data.stated),
            (Self::SftRecovery, Objective::Sft { data, .. }) => num(data.recovery),
            (Self::SftExploit, Objective::Sft { data, .. }) => num(data.exploit),
            _ => None,
        }
    }

    /// Set the field in `p` from text; range checks are the engine's (in [`apply`]).
    fn set(self, p: &mut PhaseSpec, text: &str) -> Result<(), String> {
        let text = text.trim();
        let label = self.label();
        let float = || -> Result<f64, String> {
            text.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("{label}: {text:?} is not a number"))
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
            Self::Families | Self::Monitored | Self::Deploy | Self::Inoculated => {
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
                    Self::ExploitPenalty => rl.exploit_penalty = float()?,
                    Self::CheckedShare => rl.checked_share = float()?,
                    _ => rl.kl = float()? as f32,
                }
            }
            Self::Honest | Self::Exploiter | Self::Opportunist | Self::Coherence | Self::ConditionalTags => {
                let Objective::Pretrain { corpus } = &mut p.objective else {
                    return Err(missing());
                };
                match self {
                    Self::Honest => corpus.honest = float()?,
                    Self::Exploiter => corpus.exploiter = float()?,
                    Self::Opportunist => corpus.opportunist = float()?,
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

    fn set(self, spec: &mut ExperimentSpec, text: &str) -> Result<(), String> {
        let text = text.trim();
        let label = self.label();
        let whole = |t: &str| -> Result<usize, String> {
            t.trim()
                .parse::<usize>()
                .map_err(|_| format!("{label}: {t:?} is not a whole number"))
        };
        let range = || -> Result<[usize; 2], String> {
            let (lo, hi) = text.split_once('-').unwrap_or((text, text));
            Ok([whole(lo)?, whole(hi)?])
        };
        let WorldSpec::GradedTasks(w) = &mut spec.world;
        match self {
            Self::Seeds => {
                let n = whole(text)?;
                // Checked here, not by validation: a huge n would be built first.
                if !(1..=100).contains(&n) {
                    return Err(format!("{label}: expected 1 to 100, got {n}"));
                }
                spec.seeds = (0..n as u64).collect();
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

/// One change to an experiment. Indices are regime, then phase.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    DuplicateRegime(usize),
    RemoveRegime(usize),
    /// Move a regime up (-1) or down (+1).
    MoveRegime(usize, isize),
    RenameRegime(usize, String),
    /// Add a copy of `presets::phase_templates()[t]` at the end of a regime.
    AddPhase {
        regime: usize,
        template: usize,
    },
    DuplicatePhase(usize, usize),
    RemovePhase(usize, usize),
    /// Move a phase earlier (-1) or later (+1) within its regime.
    MovePhase(usize, usize, isize),
    SetPhase(usize, usize, PhaseField, String),
    Set(SpecField, String),
    /// The whole spec as JSON (the page's "edit as JSON" box).
    ReplaceJson(String),
}

/// `spec` with `edit` applied and validated, or why it was refused.
pub fn apply(spec: &ExperimentSpec, edit: &Edit) -> Result<ExperimentSpec, String> {
    if let Edit::ReplaceJson(text) = edit {
        return ExperimentSpec::from_json(text).map_err(|e| e.to_string());
    }
    let mut s = spec.clone();
    let phase_at = |reg: &RegimeSpec, p: usize| -> Result<(), String> {
        (p < reg.phases.len())
            .then_some(())
            .ok_or_else(|| format!("regime {:?} has no phase {}", reg.name, p + 1))
    };
    match edit {
        Edit::DuplicateRegime(r) => {
            let mut copy = regime(&mut s, *r)?.clone();
            copy.name = unused_name(&s, &copy.name);
            s.regimes.insert(r + 1, copy);
        }
        Edit::RemoveRegime(r) => {
            regime(&mut s, *r)?;
            s.regimes.remove(*r);
        }
        Edit::MoveRegime(r, by) => {
            regime(&mut s, *r)?;
            let to = r.checked_add_signed(*by).filter(|&t| t < s.regimes.len());
            let Some(to) = to else { return Ok(s) };
            s.regimes.swap(*r, to);
        }
        Edit::RenameRegime(r, name) => regime(&mut s, *r)?.name = name.trim().to_string(),
        Edit::AddPhase { regime: r, template } => {
            let phase = presets::phase_templates()
                .into_iter()
                .nth(*template)
                .ok_or_else(|| format!("there is no phase template {template}"))?;
            regime(&mut s, *r)?.phases.push(phase);
        }
        Edit::DuplicatePhase(r, p) => {
            let reg = regime(&mut s, *r)?;
            phase_at(reg, *p)?;
            let copy = reg.phases[*p].clone();
            reg.phases.insert(p + 1, copy);
        }
        Edit::RemovePhase(r, p) => {
            let reg = regime(&mut s, *r)?;
            phase_at(reg, *p)?;
            reg.phases.remove(*p);
        }
        Edit::MovePhase(r, p, by) => {
            let reg = regime(&mut s, *r)?;
            phase_at(reg, *p)?;
            let to = p.checked_add_signed(*by).filter(|&t| t < reg.phases.len());
            let Some(to) = to else { return Ok(s) };
            reg.phases.swap(*p, to);
        }
        Edit::SetPhase(r, p, field, text) => {
            let reg = regime(&mut s, *r)?;
            phase_at(reg, *p)?;
            field.set(&mut reg.phases[*p], text)?;
        }
        Edit::Set(field, text) => field.set(&mut s, text)?,
        Edit::ReplaceJson(_) => unreachable!("handled above"),
    }
    s.validate().map_err(|e| e.to_string())?;
    Ok(s)
}

fn regime(s: &mut ExperimentSpec, r: usize) -> Result<&mut RegimeSpec, String> {
    s.regimes
        .get_mut(r)
        .ok_or_else(|| format!("there is no regime {}", r + 1))
}

/// `name (2)`, `name (3)`... whichever no regime has yet.
fn unused_name(spec: &ExperimentSpec, name: &str) -> String {
    (2..)
        .map(|k| format!("{name} ({k})"))
        .find(|n| spec.regimes.iter().all(|r| &r.name != n))
        .expect("some suffix is free")
}

fn grader_name(g: Grader) -> &'static str {
    match g {
        Grader::Flawed => "flawed",
        Grader::Correct => "correct",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> ExperimentSpec {
        presets::preset("quick").unwrap()
    }

    #[test]
    fn structural_edits_do_what_they_say() {
        let s = quick();
        let n = s.regimes.len();
        let dup = apply(&s, &Edit::DuplicateRegime(0)).unwrap();
        assert_eq!(dup.regimes.len(), n + 1);
        assert_eq!(dup.regimes[1].name, "control (2)");
        assert_eq!(dup.regimes[1].phases, s.regimes[0].phases);
        let moved = apply(&s, &Edit::MoveRegime(1, -1)).unwrap();
        assert_eq!(moved.regimes[0].name, s.regimes[1].name);
        // Moving past either end changes nothing.
        assert_eq!(apply(&s, &Edit::MoveRegime(0, -1)).unwrap(), s);
        let added = apply(
            &s,
            &Edit::AddPhase {
                regime: 0,
                template: 2,
            },
        )
        .unwrap();
        assert_eq!(added.regimes[0].phases.last().unwrap().name, "ethics class");
        let swapped = apply(&added, &Edit::MovePhase(0, 2, -1)).unwrap();
        assert_eq!(swapped.regimes[0].phases[1].name, "ethics class");
        let removed = apply(&added, &Edit::RemovePhase(0, 2)).unwrap();
        assert_eq!(removed, s);
    }

    #[test]
    fn field_edits_round_trip_through_text() {
        let s = quick();
        // control: pretrain, then capability rl.
        let e = apply(&s, &Edit::SetPhase(0, 1, PhaseField::Grader, "correct".into())).unwrap();
        assert_eq!(
            PhaseField::Grader.get(&e.regimes[0].phases[1]).unwrap(),
            "correct"
        );
        let e = apply(&e, &Edit::SetPhase(0, 0, PhaseField::Coherence, " 0.25 ".into())).unwrap();
        assert_eq!(
            PhaseField::Coherence.get(&e.regimes[0].phases[0]).unwrap(),
            "0.25"
        );
        let e = apply(&e, &Edit::Set(SpecField::Seeds, "3".into())).unwrap();
        assert_eq!(e.seeds, [0, 1, 2]);
        let e = apply(&e, &Edit::Set(SpecField::Lengths, "2-4".into())).unwrap();
        assert_eq!(SpecField::Lengths.get(&e), "2-4");
        // Every field a phase shows can be written back unchanged.
        for p in s.regimes.iter().flat_map(|r| &r.phases) {
            for f in PhaseField::ALL {
                if let Some(v) = f.get(p) {
                    let mut q = p.clone();
                    f.set(&mut q, &v).unwrap();
                    assert_eq!(&q, p, "{f:?}");
                }
            }
        }
    }

    #[test]
    fn invalid_edits_are_refused_with_the_engines_message() {
        let s = quick();
        let cases: Vec<(Edit, &str)> = vec![
            (
                Edit::SetPhase(0, 0, PhaseField::Steps, "0".into()),
                "steps must be in",
            ),
            (
                Edit::SetPhase(0, 0, PhaseField::Steps, "many".into()),
                "not a whole number",
            ),
            (Edit::SetPhase(0, 0, PhaseField::Lr, "NaN".into()), "not a number"),
            (
                Edit::SetPhase(0, 0, PhaseField::Coherence, "1.5".into()),
                "probability",
            ),
            (
                Edit::SetPhase(0, 0, PhaseField::Grader, "correct".into()),
                "does not apply",
            ),
            (
                Edit::SetPhase(0, 1, PhaseField::Families, "copy, juggle".into()),
                "juggle",
            ),
            (
                Edit::SetPhase(0, 1, PhaseField::Families, "increment".into()),
                "held_out",
            ),
            (
                Edit::SetPhase(0, 1, PhaseField::Grader, "lenient".into()),
                "flawed or correct",
            ),
            (Edit::RenameRegime(1, "control".into()), "unique"),
            (Edit::RemovePhase(0, 9), "no phase 10"),
            (Edit::RemoveRegime(99), "no regime 100"),
            (Edit::Set(SpecField::Seeds, "1000000000".into()), "1 to 100"),
            (Edit::Set(SpecField::Lengths, "3-2".into()), "lengths"),
            (Edit::Set(SpecField::Lengths, "2-12".into()), "block_size"),
            (Edit::ReplaceJson("{".into()), "not a valid spec"),
        ];
        for (edit, why) in cases {
            let err = apply(&s, &edit).unwrap_err();
            assert!(err.contains(why), "{edit:?}: {err}");
        }
        // Removing every regime leaves an experiment the engine refuses.
        let mut one = s.clone();
        one.regimes.truncate(1);
        assert!(
            apply(&one, &Edit::RemoveRegime(0))
                .unwrap_err()
                .contains("at least one regime")
        );
    }
}
