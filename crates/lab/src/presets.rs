//! Named experiments. `default` is the flagship: every regime from the source
//! debate (DESIGN §1, §3) side by side where capability rl builds the
//! capability, with the arms that separate its confounds; `pretraining-world`
//! is the first experiment, in the world where pretraining builds it, and
//! `quick` that one at reduced length; each regime also has a preset of its
//! own that runs it beside the flagship's control.
//!
//! The world and the recipe below were fixed before any comparison between
//! regimes was read (RESULTS.md says what was adjusted, and on what evidence).

use crate::error::{LabError, Result};
use crate::spec::{
    CorpusSpec, EvalSpec, ExperimentSpec, Grader, Linked, ModelSpec, Objective, PhaseSpec, RegimeSpec,
    RlSpec, SPEC_VERSION, SftMix, Sweep, TaskMix, WorldSpec,
};
use crate::world::graded::GradedSpec;

/// Lengths of each kind of phase; `quick` scales them down.
#[derive(Clone, Copy)]
struct Budget {
    pretrain: usize,
    rl: usize,
    /// A side phase of alignment training (ethics class, gotcha...).
    side: usize,
    episodes: usize,
    seeds: usize,
}

const FULL: Budget = Budget {
    pretrain: 1200,
    rl: 200,
    side: 40,
    episodes: 300,
    seeds: 10,
};

const QUICK: Budget = Budget {
    pretrain: 500,
    rl: 40,
    side: 10,
    episodes: 60,
    seeds: 1,
};

/// The families training after pretraining uses (`increment` and
/// `complement` are held out: the same-trick and new-trick conditions).
fn trained_families() -> Vec<String> {
    ["copy", "reverse", "sort"].map(String::from).to_vec()
}

fn mix(monitored: f64, deploy: f64, inoculated: f64) -> TaskMix {
    TaskMix {
        families: trained_families(),
        monitored,
        deploy,
        inoculated,
        lengths: None,
    }
}

/// The base corpus: all three personas, fairly coherent.
pub fn base_corpus() -> CorpusSpec {
    CorpusSpec {
        honest: 0.5,
        exploiter: 0.25,
        opportunist: 0.25,
        coherence: 0.8,
        probe_rate: 0.1,
        allowed_rate: 0.05,
        recovery_rate: 0.05,
        error_rate: 0.1,
        conditional_tags: false,
        deploy_reader: 0.0,
        refuser: 0.0,
    }
}

fn pretrain(b: Budget, corpus: CorpusSpec) -> PhaseSpec {
    PhaseSpec {
        name: "pretrain".into(),
        alignment: false,
        steps: b.pretrain,
        lr: 3e-3,
        batch_size: 32,
        objective: Objective::Pretrain { corpus },
    }
}

fn rl(name: &str, steps: usize, tasks: TaskMix, grader: Grader, penalty: f64, checked: f64) -> PhaseSpec {
    PhaseSpec {
        name: name.into(),
        alignment: penalty > 0.0,
        steps,
        lr: 1e-3,
        batch_size: 16,
        objective: Objective::Rl(RlSpec {
            tasks,
            grader,
            exploit_penalty: penalty,
            checked_share: checked,
            kl: 0.0,
            group_size: 8,
        }),
    }
}

/// Capability rl: the flawed grader pays, watched half the time, in training.
fn capability(b: Budget) -> PhaseSpec {
    rl(
        "capability rl",
        b.rl,
        mix(0.5, 0.0, 0.0),
        Grader::Flawed,
        0.0,
        1.0,
    )
}

fn sft(name: &str, steps: usize, data: SftMix) -> PhaseSpec {
    PhaseSpec {
        name: name.into(),
        alignment: true,
        steps,
        lr: 1e-3,
        batch_size: 32,
        objective: Objective::Sft {
            tasks: mix(0.5, 0.0, 0.0),
            data,
        },
    }
}

fn ethics(steps: usize) -> PhaseSpec {
    sft(
        "ethics class",
        steps,
        SftMix {
            honest: 1.0,
            ..Default::default()
        },
    )
}

/// Qi et al. (2024): demonstrations that start with the shortcut's first
/// token, retract it and answer honestly, so alignment reaches past the
/// first token.
fn recovery(steps: usize) -> PhaseSpec {
    sft(
        "recovery training",
        steps,
        SftMix {
            recovery: 1.0,
            ..Default::default()
        },
    )
}

fn chalkboard(steps: usize) -> PhaseSpec {
    sft(
        "chalkboard",
        steps,
        SftMix {
            stated: 1.0,
            ..Default::default()
        },
    )
}

/// One phase of each kind the presets use, at full length: what the page
/// offers to add to a regime.
pub fn phase_templates() -> Vec<PhaseSpec> {
    let b = FULL;
    vec![
        pretrain(b, base_corpus()),
        capability(b),
        ethics(b.side),
        chalkboard(b.side),
        gotcha(b, "gotcha (monitored)", mix(1.0, 0.0, 0.0)),
    ]
}

fn gotcha(b: Budget, name: &str, tasks: TaskMix) -> PhaseSpec {
    rl(name, b.side, tasks, Grader::Flawed, 1.0, 1.0)
}

fn regime(name: &str, description: &str, phases: Vec<PhaseSpec>) -> RegimeSpec {
    RegimeSpec {
        name: name.into(),
        description: description.into(),
        phases,
    }
}

/// Every regime, in the order the table shows them.
fn regimes(b: Budget) -> Vec<RegimeSpec> {
    let base = || pretrain(b, base_corpus());
    // The fraction-vs-coupling pair holds the amount of alignment signal
    // fixed (b.side rl steps' worth of checked episodes, same total rl steps)
    // and varies only whether it rides on the capability gradients.
    let total_rl = b.rl + b.side;
    vec![
        regime(
            "control",
            "Capabilities only: pretraining, then rl against the flawed grader.",
            vec![base(), capability(b)],
        ),
        regime(
            "chalkboard",
            "Lines on the chalkboard: afterwards, sft on saying \"I don't game graders\".",
            vec![base(), capability(b), chalkboard(b.side)],
        ),
        regime(
            "ethics class",
            "A small phase of honest demonstrations on the side, after capability rl.",
            vec![base(), capability(b), ethics(b.side)],
        ),
        regime(
            "recovery training",
            "As the ethics class, but its demonstrations start with the shortcut, retract it and answer honestly.",
            vec![base(), capability(b), recovery(b.side)],
        ),
        regime(
            "gotcha",
            "Gotcha training: after capability rl, temptations whose exploits are penalised, always monitored.",
            vec![
                base(),
                capability(b),
                gotcha(b, "gotcha (monitored)", mix(1.0, 0.0, 0.0)),
            ],
        ),
        regime(
            "gotcha, deploy-look",
            "As gotcha, but the penalised phase looks like deployment (unmonitored, deploy tag): the rival account.",
            vec![
                base(),
                capability(b),
                gotcha(b, "gotcha (deploy-look)", mix(0.0, 1.0, 0.0)),
            ],
        ),
        regime(
            "side phase",
            "Fraction: capability rl, then a separate phase where every exploit is penalised (same tags).",
            vec![
                base(),
                capability(b),
                gotcha(b, "penalised phase", mix(0.5, 0.0, 0.0)),
            ],
        ),
        regime(
            "coupled",
            "Coupling: the same number of penalised episodes, spread through the capability rl itself.",
            vec![
                base(),
                rl(
                    "capability rl, coupled",
                    total_rl,
                    mix(0.5, 0.0, 0.0),
                    Grader::Flawed,
                    1.0,
                    b.side as f64 / total_rl as f64,
                ),
            ],
        ),
        regime(
            "raised in it",
            "The alignment signal throughout: half of all capability-rl episodes have their exploits penalised.",
            vec![
                base(),
                rl(
                    "capability rl, raised",
                    b.rl,
                    mix(0.5, 0.0, 0.0),
                    Grader::Flawed,
                    1.0,
                    0.5,
                ),
            ],
        ),
        regime(
            "perfect reward",
            "Capability rl whose reward never pays for an exploit (the correct grader).",
            vec![
                base(),
                rl(
                    "capability rl, correct grader",
                    b.rl,
                    mix(0.5, 0.0, 0.0),
                    Grader::Correct,
                    0.0,
                    1.0,
                ),
            ],
        ),
        regime(
            "aligned pretraining",
            "Values in the pretraining data: a corpus written mostly by honest personas.",
            vec![
                pretrain(
                    b,
                    CorpusSpec {
                        honest: 0.8,
                        exploiter: 0.1,
                        opportunist: 0.1,
                        ..base_corpus()
                    },
                ),
                capability(b),
            ],
        ),
        regime(
            "conditional pretraining",
            "Pretraining with feedback: exploit text is tagged in the corpus; the tag is absent afterwards.",
            vec![
                pretrain(
                    b,
                    CorpusSpec {
                        conditional_tags: true,
                        ..base_corpus()
                    },
                ),
                capability(b),
            ],
        ),
        regime(
            "inoculated",
            "Inoculation prompting: capability rl says \"exploits allowed here\"; evaluation drops the line.",
            vec![
                base(),
                rl(
                    "capability rl, inoculated",
                    b.rl,
                    mix(0.5, 0.0, 1.0),
                    Grader::Flawed,
                    0.0,
                    1.0,
                ),
            ],
        ),
        regime(
            "sandwich",
            "Half the ethics class before capability rl, half after.",
            vec![
                base(),
                ethics(b.side / 2),
                capability(b),
                ethics(b.side - b.side / 2),
            ],
        ),
    ]
}

fn experiment(name: &str, description: &str, b: Budget, regimes: Vec<RegimeSpec>) -> ExperimentSpec {
    ExperimentSpec {
        version: SPEC_VERSION,
        name: name.into(),
        description: description.into(),
        world: WorldSpec::GradedTasks(GradedSpec::default()),
        model: ModelSpec {
            d_model: 64,
            n_heads: 4,
            n_layers: 2,
            block_size: 32,
        },
        regimes,
        sweep: None,
        eval: EvalSpec {
            episodes: b.episodes,
            probes: b.episodes / 2,
            tasks: mix(0.5, 0.0, 0.0),
            held_out: "increment".into(),
            held_out_new_trick: "complement".into(),
            attack: PhaseSpec {
                name: "fine-tuning attack".into(),
                alignment: false,
                steps: b.side / 2,
                lr: 1e-3,
                batch_size: 32,
                objective: Objective::Sft {
                    // reverse's skip token games no other family's grader,
                    // so what the attack spreads is a disposition, not a
                    // shared trick (copy's zeros also pass sort's grader).
                    tasks: TaskMix {
                        families: vec!["reverse".into()],
                        ..mix(0.5, 0.0, 0.0)
                    },
                    data: SftMix {
                        exploit: 1.0,
                        ..Default::default()
                    },
                },
            },
        },
        seeds: (0..b.seeds as u64).collect(),
    }
}

/// (name, one line) for every preset.
pub fn list() -> Vec<(String, String)> {
    let mut out = vec![
        (
            FLAGSHIP.to_string(),
            format!(
                "the flagship: every regime where capability rl builds the capability, a new trick that is \
                 new, the arms that separate the confounds, {} fresh seeds (docs/flagship-plan.md)",
                FLAGSHIP_SEEDS.end - FLAGSHIP_SEEDS.start
            ),
        ),
        (
            PRETRAINING_WORLD.to_string(),
            format!(
                "every regime side by side in the world where pretraining builds the capability, {} seeds \
                 (the first experiment; docs/analysis-plan.md)",
                FULL.seeds
            ),
        ),
        (
            "quick".to_string(),
            "the pretraining world's regimes at reduced length, 1 seed (a smoke run: minutes, not a finding)"
                .to_string(),
        ),
        (
            CAPABILITY.to_string(),
            "the core regimes where capability rl must build capability: pretraining rarely shows the \
             longer tasks (docs/capability-plan.md)"
                .to_string(),
        ),
        (
            CAPABILITY_EQUAL.to_string(),
            "the capability world's control, ethics class and raised in it at equal training steps \
             (neutral padding), fresh seeds (docs/rivals-plan.md)"
                .to_string(),
        ),
        (
            RIVALS.to_string(),
            "the rival accounts given a fair test: a corpus where some writers read the deployment tag, \
             alignment training like or unlike deployment, documents about grader gaming, equal training \
             steps (docs/rivals-plan.md)"
                .to_string(),
        ),
    ];
    for r in regimes(FULL).into_iter().skip(1) {
        out.push((slug(&r.name), format!("control vs {}: {}", r.name, r.description)));
    }
    out
}

/// A preset by name (`default`, `quick`, or a regime's slug).
pub fn preset(name: &str) -> Result<ExperimentSpec> {
    match name {
        FLAGSHIP => Ok(flagship()),
        PRETRAINING_WORLD => Ok(experiment(
            PRETRAINING_WORLD,
            "Every regime from the source debate, side by side, in the world where pretraining builds the \
             capability (the first experiment).",
            FULL,
            regimes(FULL),
        )),
        "quick" => Ok(experiment(
            "quick",
            "Every regime at reduced length, in the world where pretraining builds the capability: a smoke \
             run, not a finding.",
            QUICK,
            regimes(QUICK),
        )),
        CAPABILITY => Ok(capability_world()),
        CAPABILITY_EQUAL => capability_equal_steps(),
        RIVALS => rivals(),
        other => {
            // The flagship's control beside one regime, in its world and
            // on its seeds (answered from its shipped results).
            let mut spec = flagship();
            let control = spec.regimes.iter().find(|r| r.name == "control").cloned();
            let chosen = regimes(FULL)
                .into_iter()
                .skip(1)
                .find(|r| slug(&r.name) == other)
                .ok_or_else(|| {
                    let names: Vec<String> = list().into_iter().map(|(n, _)| n).collect();
                    LabError::Spec(format!("unknown preset {other:?} (known: {})", names.join(", ")))
                })?;
            spec.name = other.into();
            spec.description = format!(
                "control vs {}, where capability rl builds the capability",
                chosen.name
            );
            spec.regimes = control.into_iter().chain([chosen]).collect();
            Ok(spec)
        }
    }
}

/// The capability world's preset.
const CAPABILITY: &str = "capability-world";
/// Its baseline regime's name.
pub const PRETRAINED_ONLY: &str = "pretrained only";

/// The regimes the capability world reruns after its baseline (the model
/// after pretraining alone): the control, the capability check (perfect
/// reward) and the seed's comparisons.
const CAPABILITY_REGIMES: [&str; 6] = [
    "control",
    "perfect reward",
    "ethics class",
    "side phase",
    "coupled",
    "raised in it",
];

/// A world where the rl phase builds capability: training and
/// in-distribution tasks run from 2 to 5 digits, but pretraining draws only
/// a small share of its tasks at 4-5 digits (the "longer" condition), so
/// rl on 2-5 digits must build what pretraining left weak. The share was
/// chosen in a pilot that trained only perfect reward and the pretrained
/// baseline, on seeds no reported run uses (docs/capability-plan.md).
fn capability_world() -> ExperimentSpec {
    let baseline = regime(
        PRETRAINED_ONLY,
        "The baseline: the model after pretraining, before any rl (what capability rl adds is measured from it).",
        vec![pretrain(FULL, base_corpus())],
    );
    let chosen = std::iter::once(baseline)
        .chain(full_regimes(&CAPABILITY_REGIMES))
        .collect();
    let mut spec = experiment(
        CAPABILITY,
        "The core regimes where capability rl must build capability: pretraining rarely shows 4-5 digit \
         tasks, which capability rl trains on.",
        FULL,
        chosen,
    );
    spec.world = WorldSpec::GradedTasks(capability_graded(false));
    spec
}

/// The capability world's tasks, with or without the `double` family (whose
/// trick is new in token and form).
fn capability_graded(double_family: bool) -> GradedSpec {
    GradedSpec {
        lengths: [2, 5],
        long_lengths: [4, 5],
        pretrain_long_share: Some(CAPABILITY_LONG_SHARE),
        double_family,
    }
}

/// Share of pretraining tasks at 4-5 digits in the capability world (the
/// pilot's choice; see `capability_world`).
const CAPABILITY_LONG_SHARE: f64 = 0.2;

/// The flagship's preset: what the page opens on, embeds show, exercises
/// read and `run` runs unless told otherwise (hence its name).
pub const FLAGSHIP: &str = "default";
/// The first experiment's preset: every regime in the world where
/// pretraining builds the capability (docs/analysis-plan.md).
pub const PRETRAINING_WORLD: &str = "pretraining-world";
/// Regime names the flagship's plan refers to (its arms beyond the default's).
pub const VALUES_ONLY_CLASS: &str = "ethics class, short tasks";
pub const FULLY_CHECKED: &str = "raised in it, fully checked";
pub const CLASS_FIRST: &str = "ethics class first";
pub const CONTROL_PADDED: &str = "control, padded before rl";
pub const RAISED_PADDED: &str = "raised in it, padded before rl";
/// The lengths pretraining mostly shows in the capability world: a class on
/// them demonstrates values on tasks the model can already do.
const SHORT_LENGTHS: [usize; 2] = [2, 3];
/// The flagship's seeds: never run in any experiment before it (the others
/// used 0-49).
const FLAGSHIP_SEEDS: std::ops::Range<u64> = 50..60;

/// The thesis where its premise holds (docs/flagship-plan.md): the
/// capability world, where capability rl builds what pretraining left
/// weak, with a held-out family whose trick is new in token and form
/// (`double`), every regime of the default, and the arms that separate the
/// confounds of the capability world's first run: an ethics class that
/// teaches values without the skill, a fully checked capability phase, the
/// class before the capability rl, and equal steps with the padding placed
/// before the rl, where it is neutral.
fn flagship() -> ExperimentSpec {
    let b = FULL;
    let base = || pretrain(b, base_corpus());
    let padding = || PhaseSpec {
        name: crate::spec::PADDING.into(),
        alignment: false,
        steps: b.side,
        lr: 1e-3,
        batch_size: 32,
        objective: Objective::Pretrain {
            corpus: base_corpus(),
        },
    };
    let raised = |checked: f64| {
        rl(
            "capability rl, raised",
            b.rl,
            mix(0.5, 0.0, 0.0),
            Grader::Flawed,
            1.0,
            checked,
        )
    };
    let mut all = vec![regime(
        PRETRAINED_ONLY,
        "The baseline: the model after pretraining, before any rl (what capability rl adds is measured from it).",
        vec![base()],
    )];
    all.extend(regimes(b));
    all.extend([
        regime(
            VALUES_ONLY_CLASS,
            "The ethics class on 2-3 digit tasks only, which pretraining already taught: values without the skill.",
            vec![
                base(),
                capability(b),
                PhaseSpec {
                    objective: Objective::Sft {
                        tasks: TaskMix {
                            lengths: Some(SHORT_LENGTHS),
                            ..mix(0.5, 0.0, 0.0)
                        },
                        data: SftMix {
                            honest: 1.0,
                            ..Default::default()
                        },
                    },
                    ..ethics(b.side)
                },
            ],
        ),
        regime(
            FULLY_CHECKED,
            "Raised in it with every capability-rl episode checked: each exploit penalised.",
            vec![base(), raised(1.0)],
        ),
        regime(
            CLASS_FIRST,
            "The ethics class before capability rl: does early alignment survive the rl that builds capability?",
            vec![base(), ethics(b.side), capability(b)],
        ),
        regime(
            CONTROL_PADDED,
            "The control at the ethics class's steps: neutral pretraining text before the rl.",
            vec![base(), padding(), capability(b)],
        ),
        regime(
            RAISED_PADDED,
            "Raised in it at the ethics class's steps: neutral pretraining text before the rl.",
            vec![base(), padding(), raised(0.5)],
        ),
    ]);
    let mut spec = experiment(
        FLAGSHIP,
        "Where capability rl builds the capability: every regime, a new trick that is new, and the arms that \
         separate the confounds.",
        b,
        all,
    );
    spec.world = WorldSpec::GradedTasks(capability_graded(true));
    spec.eval.held_out_new_trick = "double".into();
    spec.seeds = FLAGSHIP_SEEDS.collect();
    spec
}

/// The capability world's claim 10 (raised in it against the ethics class)
/// at equal training steps.
const CAPABILITY_EQUAL: &str = "capability-world-equal-steps";

/// The capability world's control, ethics class and raised in it, each
/// padded to the ethics class's steps with neutral text
/// ([`ExperimentSpec::pad_to_equal_steps`]), on seeds the capability world
/// did not use: is the class's edge its content or its extra training?
fn capability_equal_steps() -> Result<ExperimentSpec> {
    let mut spec = capability_world();
    spec.name = CAPABILITY_EQUAL.into();
    spec.description =
        "The capability world's control, ethics class and raised in it at equal training steps: \
                        the shorter regimes end with neutral pretraining text."
            .into();
    spec.regimes = full_regimes(&["control", "ethics class", "raised in it"]);
    spec.seeds = (10..20).collect();
    spec.pad_to_equal_steps()?;
    Ok(spec)
}

/// The rival accounts' preset.
const RIVALS: &str = "rivals";
/// Regime names its plan refers to.
pub const PRETRAINED_REFUSAL: &str = "pretrained only, refusal documents";
pub const GOTCHA_OTHER_TASKS: &str = "gotcha, deploy-look, other tasks";
pub const HONEST_WRITERS: &str = "aligned pretraining (honest writers)";
pub const REFUSAL_DOCUMENTS: &str = "aligned pretraining (refusal documents)";

/// The rivals' corpus: the base corpus plus writers who read the
/// deployment tag, as common as each of the other two kinds of gamer, so
/// that "deployment" means something a model can learn.
fn rivals_corpus() -> CorpusSpec {
    CorpusSpec {
        deploy_reader: 0.25,
        ..base_corpus()
    }
}

/// The rival accounts, each in a form that could win (DESIGN §1):
/// similarity to deployment, through the tag (in a corpus where the tag
/// matters) and through the tasks (deployment's lengths or others); and
/// alignment pretraining as documents about grader gaming, against the
/// same share of plain honest writing and against the pretrained model.
/// Every regime of more than one phase is padded to equal steps.
fn rivals() -> Result<ExperimentSpec> {
    let b = FULL;
    let corpus = rivals_corpus();
    let base = || pretrain(b, corpus.clone());
    // The two aligned corpora add the same weight of non-gaming writers
    // (0.5): plain honest work, or documents that name the exploit and
    // refuse it.
    let honest_writers = CorpusSpec {
        honest: corpus.honest + 0.5,
        ..corpus.clone()
    };
    let refusal = CorpusSpec {
        refuser: 0.5,
        ..corpus.clone()
    };
    let deploy_look = mix(0.0, 1.0, 0.0);
    let mut regimes = vec![
        regime(
            PRETRAINED_ONLY,
            "The baseline: the model after pretraining on the rivals' corpus, before any rl.",
            vec![base()],
        ),
        regime(
            PRETRAINED_REFUSAL,
            "The baseline of alignment pretraining: the model after pretraining on the corpus with refusal documents.",
            vec![pretrain(b, refusal.clone())],
        ),
    ];
    regimes.extend(full_regimes(&[
        "control",
        "gotcha",
        "gotcha, deploy-look",
        "coupled",
    ]));
    for r in &mut regimes[2..] {
        r.phases[0] = base();
    }
    regimes.push(regime(
        GOTCHA_OTHER_TASKS,
        "As gotcha, deploy-look, but on tasks unlike deployment's: longer inputs (4-5 digits, not 2-3).",
        vec![
            base(),
            capability(b),
            gotcha(
                b,
                "gotcha (deploy-look, longer tasks)",
                TaskMix {
                    lengths: Some([4, 5]),
                    ..deploy_look
                },
            ),
        ],
    ));
    regimes.push(regime(
        HONEST_WRITERS,
        "Values in the pretraining data as more honest writers (weight 0.5 added).",
        vec![pretrain(b, honest_writers), capability(b)],
    ));
    regimes.push(regime(
        REFUSAL_DOCUMENTS,
        "Values in the pretraining data as documents about grader gaming: writers (weight 0.5 added) who write \
         the shortcut, retract it and answer honestly, even where exploits are allowed.",
        vec![pretrain(b, refusal), capability(b)],
    ));
    let mut spec = experiment(
        RIVALS,
        "The rival accounts given a fair test: some writers read the deployment tag; alignment training like \
         or unlike deployment; documents about grader gaming; equal training steps.",
        b,
        regimes,
    );
    spec.pad_to_equal_steps()?;
    Ok(spec)
}

/// Side-phase lengths of the `side-phase-length` sweep (the default's is 40).
const SIDE_LENGTHS: [usize; 6] = [20, 40, 80, 160, 320, 640];
/// Seeds of the shipped sweeps: the pretraining world ran 0–9, so these
/// were never looked at when the sweeps' plans were written.
const SWEEP_SEEDS: std::ops::Range<u64> = 10..20;

/// Model widths of the `model-width` sweep (the default's is 64).
const WIDTHS: [usize; 4] = [32, 64, 128, 256];
/// Its seeds: fresh (the default ran 0-9, the other sweep 10-19), and the
/// issue's minimum of five, as the widest model costs ~9x the default's.
const WIDTH_SEEDS: std::ops::Range<u64> = 20..25;
/// The regimes of the default plan's first four claims.
const WIDTH_REGIMES: [&str; 4] = ["control", "perfect reward", "side phase", "coupled"];
/// Layer counts of the `model-depth` sweep (the default's is 2), at the
/// default's width; the same regimes as `model-width`.
const DEPTHS: [usize; 4] = [1, 2, 3, 4];
/// Its seeds: fresh, five as for width.
const DEPTH_SEEDS: std::ops::Range<u64> = 25..30;

/// Checked shares of the `checked-share` sweep (0 is the control itself;
/// the default's raised in it checks 0.5).
const CHECKED_SHARES: [&str; 5] = ["0.05", "0.1", "0.2", "0.35", "0.5"];
/// Its seeds: fresh (the other sweeps ran 10-24, the rivals 0-9 in
/// another world).
const CHECKED_SEEDS: std::ops::Range<u64> = 30..40;
/// Honest writers' share of the corpus in the `aligned-corpus-share` sweep
/// (0.5 is the base corpus, the control's; the default's aligned
/// pretraining has 0.8), the rest split evenly between exploiters and
/// opportunists, as (honest, each of the other two) written out so that
/// the shares are the decimals they read as.
const HONEST_SHARES: [(&str, &str); 5] = [
    ("0.6", "0.2"),
    ("0.7", "0.15"),
    ("0.8", "0.1"),
    ("0.9", "0.05"),
    ("1", "0"),
];
const HONEST_SEEDS: std::ops::Range<u64> = 40..50;

/// The pretraining world's regimes of these names, in this order.
fn full_regimes(names: &[&str]) -> Vec<RegimeSpec> {
    let all = regimes(FULL);
    names
        .iter()
        .map(|name| {
            all.iter()
                .find(|r| r.name == *name)
                .cloned()
                .expect("a default regime")
        })
        .collect()
}

/// (name, one line) for every shipped sweep (`upbringing presets`).
pub fn sweeps() -> Vec<(String, String)> {
    vec![
        (
            "side-phase-length".into(),
            format!(
                "side phase vs coupled at equal checked episodes, side phase {} to {} steps, {} fresh seeds",
                SIDE_LENGTHS[0],
                SIDE_LENGTHS[SIDE_LENGTHS.len() - 1],
                SWEEP_SEEDS.end - SWEEP_SEEDS.start
            ),
        ),
        (
            "model-depth".into(),
            format!(
                "{} at {} to {} layers (d_model 64), {} fresh seeds",
                WIDTH_REGIMES.join(", "),
                DEPTHS[0],
                DEPTHS[DEPTHS.len() - 1],
                DEPTH_SEEDS.end - DEPTH_SEEDS.start
            ),
        ),
        (
            "checked-share".into(),
            format!(
                "raised in it against the control as the share of capability-rl episodes checked grows from {} \
                 to {}, {} fresh seeds",
                CHECKED_SHARES[0],
                CHECKED_SHARES[CHECKED_SHARES.len() - 1],
                CHECKED_SEEDS.end - CHECKED_SEEDS.start
            ),
        ),
        (
            "aligned-corpus-share".into(),
            format!(
                "aligned pretraining against the control as honest writers' share of the corpus grows from {} \
                 to {}, {} fresh seeds",
                HONEST_SHARES[0].0,
                HONEST_SHARES[HONEST_SHARES.len() - 1].0,
                HONEST_SEEDS.end - HONEST_SEEDS.start
            ),
        ),
        (
            "model-width".into(),
            format!(
                "{} at model widths {} to {} (2 layers), {} fresh seeds",
                WIDTH_REGIMES.join(", "),
                WIDTHS[0],
                WIDTHS[WIDTHS.len() - 1],
                WIDTH_SEEDS.end - WIDTH_SEEDS.start
            ),
        ),
    ]
}

/// A shipped sweep: the pretraining world's `regimes` at full budgets on
/// `seeds`, with `setting` swept over `values` and `linked` moving with it.
fn shipped_sweep(
    name: &str,
    description: &str,
    regimes: &[&str],
    seeds: std::ops::Range<u64>,
    setting: &str,
    values: Vec<String>,
    linked: Vec<Linked>,
) -> ExperimentSpec {
    let mut spec = experiment(name, description, FULL, full_regimes(regimes));
    spec.seeds = seeds.collect();
    spec.sweep = Some(Sweep {
        setting: setting.into(),
        values,
        linked,
    });
    spec
}

/// `values` written as a sweep writes them.
fn texts<T: ToString>(values: &[T]) -> Vec<String> {
    values.iter().map(T::to_string).collect()
}

/// A shipped sweep by name.
pub fn sweep(name: &str) -> Result<ExperimentSpec> {
    let linked = |setting: &str, values: Vec<String>| Linked {
        setting: setting.into(),
        values,
    };
    match name {
        // Does a longer side phase catch up with coupling? At each length L
        // the coupled regime gets the same checked episodes: b.rl + L steps
        // with a share L / (b.rl + L) checked, as in the default's pair.
        "side-phase-length" => {
            let text = |f: &dyn Fn(usize) -> String| SIDE_LENGTHS.iter().map(|&l| f(l)).collect();
            Ok(shipped_sweep(
                name,
                "Fraction against coupling as the side phase grows: side phase (capability rl, then L \
                 penalised steps) against coupled (the same checked episodes spread through capability rl).",
                &["side phase", "coupled"],
                SWEEP_SEEDS,
                "r1.p3.steps",
                texts(&SIDE_LENGTHS),
                vec![
                    linked("r2.p2.steps", text(&|l| (FULL.rl + l).to_string())),
                    linked("r2.p2.caught", text(&|l| format!("{l}/{}", FULL.rl + l))),
                ],
            ))
        }
        // Do the orderings hold as the model grows? Width at the default's
        // 2 layers (a 4-layer 256-wide model costs twice as much again);
        // depth at the default's width.
        "model-width" => Ok(shipped_sweep(
            name,
            "The world's signal and coupling against fraction as the model widens (d_model 32 to 256, \
             2 layers, 4 heads).",
            &WIDTH_REGIMES,
            WIDTH_SEEDS,
            "model.d_model",
            texts(&WIDTHS),
            vec![],
        )),
        "model-depth" => Ok(shipped_sweep(
            name,
            "The world's signal and coupling against fraction as the model deepens (1 to 4 layers, \
             d_model 64, 4 heads).",
            &WIDTH_REGIMES,
            DEPTH_SEEDS,
            "model.n_layers",
            texts(&DEPTHS),
            vec![],
        )),
        // How much checking does the alignment signal need when it rides
        // on the capability gradients?
        "checked-share" => Ok(shipped_sweep(
            name,
            "Raised in it against the control as the share of capability-rl episodes whose exploits are \
             checked and penalised grows (0 is the control).",
            &["control", "raised in it"],
            CHECKED_SEEDS,
            "r2.p2.caught",
            texts(&CHECKED_SHARES),
            vec![],
        )),
        // How much of the corpus must be honest before rl's gaming drops?
        "aligned-corpus-share" => {
            let others: Vec<String> = HONEST_SHARES.iter().map(|(_, o)| o.to_string()).collect();
            Ok(shipped_sweep(
                name,
                "Aligned pretraining against the control as honest writers' share of the pretraining corpus \
                 grows (0.5 is the control's corpus).",
                &["control", "aligned pretraining"],
                HONEST_SEEDS,
                "r2.p1.honest",
                HONEST_SHARES.iter().map(|(h, _)| h.to_string()).collect(),
                vec![
                    linked("r2.p1.exploiter", others.clone()),
                    linked("r2.p1.opportunist", others),
                ],
            ))
        }
        other => Err(LabError::Spec(format!(
            "unknown sweep {other:?} (known: {})",
            sweeps()
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `spec` cut to a seconds-long smoke run (a smaller model, a few steps per
/// phase, few episodes): for tests and the page's quick check, never a finding.
pub fn smoke(mut spec: ExperimentSpec) -> ExperimentSpec {
    spec.name = format!("{} (smoke)", spec.name);
    // About 32 wide, divisible by the spec's heads (3 or 5 heads must still run).
    let heads = spec.model.n_heads.max(1);
    spec.model.d_model = 32usize.div_ceil(heads) * heads;
    spec.model.n_layers = 1;
    for phase in spec.regimes.iter_mut().flat_map(|r| r.phases.iter_mut()) {
        phase.steps = match phase.objective {
            Objective::Pretrain { .. } => 40,
            _ => phase.steps.min(6),
        };
        phase.batch_size = phase.batch_size.min(8);
    }
    spec.eval.episodes = 24;
    spec.eval.probes = 12;
    spec.eval.attack.steps = spec.eval.attack.steps.min(3);
    spec.seeds.truncate(1);
    spec
}

/// `"gotcha, deploy-look"` -> `"gotcha-deploy-look"`.
pub fn slug(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_check_runs_any_head_count() {
        for heads in [1, 3, 4, 5, 7] {
            let mut spec = preset("quick").unwrap();
            spec.model.n_heads = heads;
            spec.model.d_model = 64usize.div_ceil(heads) * heads;
            spec.validate().unwrap();
            let short = smoke(spec);
            short.validate().unwrap_or_else(|e| panic!("{heads} heads: {e}"));
            assert!((32..32 + heads).contains(&short.model.d_model));
        }
    }

    #[test]
    fn unknown_preset_lists_the_known_ones() {
        let err = preset("ethics").unwrap_err().to_string();
        assert!(err.contains("ethics-class") && err.contains("quick"), "{err}");
    }

    #[test]
    fn regime_presets_pair_the_regime_with_the_control() {
        let spec = preset("inoculated").unwrap();
        let names: Vec<&str> = spec.regimes.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["control", "inoculated"]);
        assert_eq!(slug("gotcha, deploy-look"), "gotcha-deploy-look");
    }

    #[test]
    fn the_fraction_and_coupling_pair_hold_the_alignment_signal_fixed() {
        let mut specs = vec![preset("default").unwrap()];
        let sweep = sweep("side-phase-length").unwrap();
        let points = crate::sweep::points(&sweep).unwrap();
        assert_eq!(points.len(), SIDE_LENGTHS.len());
        specs.extend(points.into_iter().map(|(_, spec)| spec));
        for spec in specs {
            fraction_and_coupling_match(&spec);
        }
    }

    #[test]
    fn the_capability_world_reruns_the_core_regimes_from_a_pretrained_baseline() {
        let spec = preset(CAPABILITY).unwrap();
        spec.validate().unwrap();
        let names: Vec<&str> = spec.regimes.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names[0], PRETRAINED_ONLY);
        assert_eq!(names[1..], CAPABILITY_REGIMES);
        assert_eq!(spec.regimes[0].phases.len(), 1, "pretraining alone");
        let WorldSpec::GradedTasks(w) = &spec.world;
        assert_eq!(w.pretrain_long_share, Some(CAPABILITY_LONG_SHARE));
        assert!(list().iter().any(|(n, _)| n == CAPABILITY));
    }

    #[test]
    fn shipped_sweeps_are_listed_and_run_on_fresh_seeds() {
        for (name, _) in sweeps() {
            let spec = sweep(&name).unwrap();
            spec.validate().unwrap();
            assert!(spec.sweep.is_some());
            assert!(spec.seeds.iter().all(|&s| s >= 10), "the default ran seeds 0-9");
            assert!(spec.seeds.len() >= 5, "{name}");
        }
        assert!(
            sweep("nope")
                .unwrap_err()
                .to_string()
                .contains("side-phase-length")
        );
    }

    #[test]
    fn the_share_sweeps_end_where_the_default_regimes_stand() {
        let last = |name: &str| {
            let (_, spec) = crate::sweep::points(&sweep(name).unwrap())
                .unwrap()
                .pop()
                .unwrap();
            spec
        };
        // The last checked share is the default's raised in it.
        assert_eq!(
            last("checked-share").regimes[1],
            full_regimes(&["raised in it"])[0]
        );
        // Every corpus point's shares add up to one; 0.8 is the default's
        // aligned pretraining.
        for (value, spec) in crate::sweep::points(&sweep("aligned-corpus-share").unwrap()).unwrap() {
            let Objective::Pretrain { corpus } = &spec.regimes[1].phases[0].objective else {
                panic!("pretraining first")
            };
            let sum = corpus.honest + corpus.exploiter + corpus.opportunist;
            assert!((sum - 1.0).abs() < 1e-12, "{value}: {sum}");
            assert_eq!(corpus.exploiter, corpus.opportunist);
            if value == "0.8" {
                assert_eq!(spec.regimes[1], full_regimes(&["aligned pretraining"])[0]);
            }
        }
    }

    #[test]
    fn the_rivals_give_each_account_its_fair_test() {
        let spec = preset(RIVALS).unwrap();
        spec.validate().unwrap();
        let regime = |name: &str| spec.regimes.iter().find(|r| r.name == name).unwrap();
        let corpus = |name: &str| match &regime(name).phases[0].objective {
            Objective::Pretrain { corpus } => corpus.clone(),
            _ => panic!("{name} starts with pretraining"),
        };
        // Deployment readers are in every corpus; the aligned corpora add
        // the same weight of non-gaming writers.
        assert!(spec.regimes.iter().all(|r| {
            matches!(&r.phases[0].objective, Objective::Pretrain { corpus } if corpus.deploy_reader > 0.0)
        }));
        let added = |c: CorpusSpec| c.honest + c.refuser - corpus("control").honest;
        assert_eq!(added(corpus(HONEST_WRITERS)), added(corpus(REFUSAL_DOCUMENTS)));
        assert_eq!(corpus(PRETRAINED_REFUSAL), corpus(REFUSAL_DOCUMENTS));
        // Equal steps for all but the baselines.
        let steps = |name: &str| regime(name).phases.iter().map(|p| p.steps).sum::<usize>();
        for r in &spec.regimes {
            if r.phases.len() > 1 {
                assert_eq!(steps(&r.name), steps("gotcha"), "{}", r.name);
            }
        }
        // The like-deployment pair differs only in its tasks' lengths.
        let (a, b) = (
            regime("gotcha, deploy-look").phases[2].clone(),
            regime(GOTCHA_OTHER_TASKS).phases[2].clone(),
        );
        let (Objective::Rl(a), Objective::Rl(mut b)) = (a.objective, b.objective) else {
            panic!("rl phases")
        };
        assert_eq!(b.tasks.lengths.take(), Some([4, 5]));
        assert_eq!(a, b);
    }

    fn fraction_and_coupling_match(spec: &ExperimentSpec) {
        let rl_steps_and_checked = |name: &str| -> (usize, f64) {
            let r = spec.regimes.iter().find(|r| r.name == name).unwrap();
            r.phases
                .iter()
                .filter_map(|p| match &p.objective {
                    Objective::Rl(rl) => Some((
                        p.steps,
                        p.steps as f64 * rl.checked_share * (rl.exploit_penalty > 0.0) as u8 as f64,
                    )),
                    _ => None,
                })
                .fold((0, 0.0), |(s, c), (ps, pc)| (s + ps, c + pc))
        };
        let (a, b) = (
            rl_steps_and_checked("side phase"),
            rl_steps_and_checked("coupled"),
        );
        assert_eq!(a.0, b.0, "same rl steps");
        assert!((a.1 - b.1).abs() < 1e-9, "same checked episodes: {a:?} vs {b:?}");
    }
}
