//! Training one phase of a regime: pretrain, sft or rl (DESIGN §3).
//!
//! A phase starts a fresh optimiser and schedule on the model it is given,
//! and all its randomness (host data and device sampling) comes from the
//! `seed` it is handed, so a phase trains the same whichever regime asks
//! for it first: that is what makes prefix sharing exact.

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};

use crate::error::Result;
use crate::host::{Host, report};
use crate::loss::next_token_loss;
use crate::model::Gpt;
use crate::policy::{PolicyConfig, Token, floats, ints, policy_gradient_loss};
use crate::results::PhaseLog;
use crate::rng::Rng;
use crate::schedule::Schedule;
use crate::spec::{CorpusSpec, Grader, Objective, PhaseSpec, RlSpec, SftMix};
use crate::tasks::TaskSampler;
use crate::train::{OptimConfig, Trainer};
use crate::world::graded::PAD_TOKEN;
use crate::world::{Demo, Outcome, Task, World};

/// Steps between reads of the loss (the divergence check, progress, and
/// one point of a phase's log).
pub const LOG_EVERY: usize = 25;

/// Train `model` through `phase`, telling `host` after each read how many
/// more steps are done (and giving way there).
pub async fn train_phase(
    world: &dyn World,
    lengths: [usize; 2],
    phase: &PhaseSpec,
    model: Gpt,
    seed: u64,
    host: &mut dyn Host,
    regime: &str,
) -> Result<(Gpt, PhaseLog)> {
    let mut rng = Rng::new(seed);
    let mut sample_rng = rng.fork(1);
    let schedule = Schedule::for_run(phase.lr, phase.steps);
    let reference = match &phase.objective {
        Objective::Rl(rl) if rl.kl > 0.0 => Some(model.valid()),
        _ => None,
    };
    let mut trainer = Trainer::new(model, OptimConfig::new(schedule));
    let device = trainer.model().device();
    let mut log = PhaseLog::default();
    let mut tally = [0usize; 4]; // honest, gamed, accepted error, episodes
    let sampler = match &phase.objective {
        Objective::Sft { tasks, .. } | Objective::Rl(RlSpec { tasks, .. }) => {
            Some(TaskSampler::new(world, tasks, tasks.lengths.unwrap_or(lengths))?)
        }
        Objective::Pretrain { .. } => None,
    };
    for step in 0..phase.steps {
        let loss = match &phase.objective {
            Objective::Pretrain { corpus } => {
                let block = trainer.model().block_size();
                pretrain_loss(
                    world,
                    trainer.model(),
                    corpus,
                    phase.batch_size,
                    block,
                    &mut rng,
                    &device,
                )
            }
            Objective::Sft { data, .. } => {
                let sampler = sampler.as_ref().expect("sft has tasks");
                let (inputs, targets, weights) =
                    sft_batch(world, sampler, data, phase.batch_size, &mut rng, &device);
                next_token_loss(trainer.model().forward(inputs), targets, Some(weights))
            }
            Objective::Rl(rl) => {
                let sampler = sampler.as_ref().expect("rl has tasks");
                let len = sampler.length(&mut rng);
                let tasks: Vec<Task> = (0..phase.batch_size)
                    .map(|_| sampler.task(len, &mut rng))
                    .collect();
                let checked: Vec<bool> = tasks.iter().map(|_| rng.chance(rl.checked_share)).collect();
                let prompts: Vec<Vec<Token>> = tasks.iter().map(|t| t.prompt.clone()).collect();
                let config = PolicyConfig {
                    group_size: rl.group_size,
                    max_new_tokens: world.max_answer_len(len),
                    temperature: 1.0,
                    kl_coef: rl.kl,
                };
                let batch = policy_gradient_loss(
                    trainer.model(),
                    reference.as_ref(),
                    &prompts,
                    &config,
                    Some(world.stop_token()),
                    &mut sample_rng,
                    |i, completion| {
                        let outcome = world.grade(&tasks[i], completion);
                        tally[0] += (outcome == Outcome::Honest) as usize;
                        tally[1] += (outcome == Outcome::Gamed) as usize;
                        tally[2] += (outcome == Outcome::AcceptedError) as usize;
                        tally[3] += 1;
                        reward(rl, outcome, checked[i])
                    },
                )
                .await?;
                batch.loss
            }
        };
        trainer.step(loss);
        if (step + 1) % LOG_EVERY == 0 || step + 1 == phase.steps {
            let stats = trainer.flush().await?;
            log.loss
                .push(stats.iter().map(|s| s.loss).sum::<f32>() / stats.len() as f32);
            if let [honest, gamed, accepted, episodes] = tally
                && episodes > 0
            {
                let share = |n: usize| n as f32 / episodes as f32;
                log.honest.push(share(honest));
                log.gamed.push(share(gamed));
                log.accepted_error.push(share(accepted));
                tally = [0; 4];
            }
            host.logged(regime, &phase.name, &log);
            report(host, stats.len(), regime, &phase.name).await?;
        }
    }
    Ok((trainer.into_model().valid(), log))
}

/// The reward an rl phase pays for one graded episode. A checked episode
/// runs the correct check, which catches any wrong answer the flawed grader
/// accepted: it cannot tell gaming from a slip, so both are penalised.
pub fn reward(rl: &RlSpec, outcome: Outcome, checked: bool) -> f32 {
    let paid = match rl.grader {
        Grader::Flawed => outcome.flawed_pass(),
        Grader::Correct => outcome == Outcome::Honest,
    };
    let penalty = if outcome.wrong_but_accepted() && checked {
        rl.exploit_penalty
    } else {
        0.0
    };
    paid as u8 as f32 - penalty as f32
}

fn pretrain_loss(
    world: &dyn World,
    model: &Gpt,
    corpus: &CorpusSpec,
    batch: usize,
    block: usize,
    rng: &mut Rng,
    device: &Device,
) -> Tensor<1> {
    let mut tokens = Vec::with_capacity(batch * (block + 1));
    for _ in 0..batch {
        tokens.extend(world.document(corpus, block, rng));
    }
    let all = ints(&tokens, [batch, block + 1], device);
    let inputs = all.clone().narrow(1, 0, block);
    let targets = all.narrow(1, 1, block);
    next_token_loss(model.forward(inputs), targets, None)
}

/// A supervised batch: prompt + answer, right-padded, loss on answers only.
fn sft_batch(
    world: &dyn World,
    sampler: &TaskSampler,
    data: &SftMix,
    batch: usize,
    rng: &mut Rng,
    device: &Device,
) -> (Tensor<2, Int>, Tensor<2, Int>, Tensor<2>) {
    let kinds = [data.honest, data.stated, data.recovery, data.exploit];
    let total: f64 = kinds.iter().sum();
    let examples: Vec<(Vec<Token>, Vec<Token>)> = (0..batch)
        .map(|_| {
            let mut u = rng.unit() * total;
            let kind = kinds
                .iter()
                .position(|&w| {
                    u -= w;
                    u < 0.0
                })
                .unwrap_or(0);
            if kind == 1 {
                let tags = sampler.tags(rng);
                (world.probe(tags), world.probe_answer(true))
            } else {
                let len = sampler.length(rng);
                let task = sampler.task(len, rng);
                let demo = [Demo::Honest, Demo::Honest, Demo::Recovery, Demo::Exploit][kind];
                let answer = world.demo(&task, demo);
                (task.prompt, answer)
            }
        })
        .collect();
    let t = examples.iter().map(|(p, a)| p.len() + a.len()).max().unwrap_or(2) - 1;
    let (mut inputs, mut targets, mut weights) = (Vec::new(), Vec::new(), Vec::new());
    for (prompt, answer) in &examples {
        let mut seq = prompt.clone();
        seq.extend(answer);
        seq.resize(t + 1, PAD_TOKEN);
        inputs.extend(&seq[..t]);
        targets.extend(&seq[1..]);
        // Target i predicts seq[i+1]; answers start at seq[prompt.len()].
        let (from, to) = (prompt.len() - 1, prompt.len() - 1 + answer.len());
        weights.extend((0..t).map(|i| if (from..to).contains(&i) { 1.0 } else { 0.0 }));
    }
    (
        ints(&inputs, [batch, t], device),
        ints(&targets, [batch, t], device),
        floats(&weights, [batch, t], device),
    )
}
