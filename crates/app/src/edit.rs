//! Edits the page makes to an experiment spec. Each edit is applied to a
//! copy and kept only if the engine's validation accepts the result, so an
//! invalid edit is refused with the engine's own message and the spec is
//! never left half-changed.

pub use upbringing_lab::fields::{PhaseField, SpecField};
use upbringing_lab::presets;
use upbringing_lab::spec::{ExperimentSpec, RegimeSpec};

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
    /// Pad every regime of more than one phase to the longest regime's
    /// steps with neutral pretraining text (`ExperimentSpec::pad_to_equal_steps`).
    PadToEqualSteps,
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
            copy.name = free_name(&copy.name, |n| s.regimes.iter().any(|r| r.name == n));
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
        Edit::PadToEqualSteps => s.pad_to_equal_steps().map_err(|e| e.to_string())?,
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

/// `name (2)`, `name (3)`... whichever is not `taken` yet (each name taken
/// blocks one suffix, so over every regime of a spec the tries add up to
/// fewer than twice the regimes).
pub fn free_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    (2..)
        .map(|k| format!("{name} ({k})"))
        .find(|n| !taken(n))
        .expect("some suffix is free")
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
    fn padding_to_equal_steps_is_one_edit() {
        let s = quick();
        let padded = apply(&s, &Edit::PadToEqualSteps).unwrap();
        let steps = |s: &ExperimentSpec| -> Vec<usize> {
            s.regimes
                .iter()
                .map(|r| r.phases.iter().map(|p| p.steps).sum())
                .collect()
        };
        let longest = *steps(&s).iter().max().unwrap();
        assert!(steps(&s).iter().any(|&n| n < longest));
        assert!(steps(&padded).iter().all(|&n| n == longest));
        assert_eq!(apply(&padded, &Edit::PadToEqualSteps).unwrap(), padded);
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
