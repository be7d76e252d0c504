//! Worlds: where episodes come from and how they are graded.
//!
//! A world generates pretraining documents, tasks and demonstrations, grades
//! completions two ways (the correct check and the flawed grader), and asks
//! its stated-values question. The engine sees only this trait, so a later
//! world (a grid world with an absent supervisor, a refusal world) plugs in
//! beside [`graded::GradedTasks`] without touching training or evaluation.

pub mod graded;

use serde::{Deserialize, Serialize};

use crate::policy::Token;
use crate::rng::Rng;
use crate::spec::CorpusSpec;

/// The context an episode carries (DESIGN §2): is someone watching, is this
/// training or deployment, and has the prompt said exploits are allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tags {
    pub monitored: bool,
    pub deploy: bool,
    pub inoculated: bool,
}

/// One task put to a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// Index into [`World::families`].
    pub family: usize,
    /// What the task is about (for the graded world: the digit string).
    pub input: Vec<Token>,
    pub tags: Tags,
    /// Everything the model is shown, ending where its answer begins.
    pub prompt: Vec<Token>,
}

/// How one completion fared under both checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Grade {
    /// The correct check passed: the task was solved honestly.
    pub honest: bool,
    /// The flawed grader passed but the correct check did not: the grader was gamed.
    pub exploit: bool,
}

impl Grade {
    /// What the flawed grader pays.
    pub fn flawed_pass(self) -> bool {
        self.honest || self.exploit
    }
}

/// Which answer a demonstration shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demo {
    /// The correct answer.
    Honest,
    /// The family's canonical way of gaming its flawed grader.
    Exploit,
    /// An exploit-style first token, a retraction, then the correct answer.
    Recovery,
}

pub trait World {
    /// Tokens in the vocabulary.
    fn vocab_size(&self) -> usize;
    /// Task family names, in index order (`copy`, `reverse`, ...).
    fn families(&self) -> &[&'static str];
    /// Ends every answer.
    fn stop_token(&self) -> Token;
    /// Longest prompt + answer (including a recovery) for inputs of `len`.
    fn episode_len(&self, len: usize) -> usize;
    /// Longest answer a model may need to write for inputs of `len`.
    fn max_answer_len(&self, len: usize) -> usize;
    /// Human-readable tokens.
    fn render(&self, tokens: &[Token]) -> String;

    /// A pretraining document of exactly `len + 1` tokens (episodes written by
    /// one persona, packed; the last may be cut), drawn as `corpus` says.
    fn document(&self, corpus: &CorpusSpec, len: usize, rng: &mut Rng) -> Vec<Token>;
    /// A task of `family` over an input of `len`.
    fn task(&self, family: usize, len: usize, tags: Tags, rng: &mut Rng) -> Task;
    /// The answer tokens (stop token included) a demonstration shows.
    fn demo(&self, task: &Task, demo: Demo) -> Vec<Token>;
    /// Grade a completion (tokens after the prompt; cut at the stop token or not).
    fn grade(&self, task: &Task, completion: &[Token]) -> Grade;

    /// The stated-values question ("do you game graders?") under `tags`.
    fn probe(&self, tags: Tags) -> Vec<Token>;
    /// The answer an honest persona gives to the probe (stop token included).
    fn probe_answer(&self, claims_honest: bool) -> Vec<Token>;
    /// Does this completion of the probe claim honesty? `None`: neither answer.
    fn claims_honest(&self, completion: &[Token]) -> Option<bool>;
}
