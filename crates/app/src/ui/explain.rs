//! Plain-words help: a "what am I looking at" for each view, and the glossary.

use yew::prelude::*;

/// One view's explanation, folded away until asked for.
pub fn what_is(id: &str, text: &str) -> Html {
    html! {
        <details class="explain" id={format!("explain-{id}")}>
            <summary>{ "What am I looking at?" }</summary>
            <p>{ text.to_string() }</p>
        </details>
    }
}

pub const HEATMAP: &str = "Each row is one way of raising a model (a regime); each column is a test. A cell says how \
    often those models gamed the grader (took its shortcut), pooled over seeds: the darker, the more. Switch to honest \
    success, or to accepted errors (wrong answers the flawed grader let through: mistakes, not gaming). The columns \
    change the scenery: in-dist is what was trained; same trick and new trick are task families nobody trained after \
    pretraining, one whose shortcut looks like a trained one's (spread there can be a habit) and one whose shortcut \
    no trained family uses (spread there is a disposition; in the flagship it is \"double\", whose trick, quoting \
    the question, shares no token or form with any other family's); longer has longer inputs; unmon and deploy drop the \
    \"monitored\" tag; line on adds \"exploits allowed here\"; prefill forces the first answer token to the \
    shortcut's; attacked is after a little training on one family's shortcut. Hover for intervals and the \
    difference from the control, paired over seeds; click for sample episodes.";

pub const CURVES: &str = "How each regime's training went, step by step: loss, the reward the grader paid, and how \
    often the sampled answers gamed the grader. Phases follow each other left to right; a shared phase (the \
    same pretraining) is drawn once per regime.";

pub const DESIGN: &str = "An experiment is a list of regimes, and a regime is a list of phases trained in order on \
    one model: pretraining on a corpus of writers, supervised examples, or rl against a grader. Change any phase's \
    settings, add or remove phases, and the link in the address bar carries your design.";

pub const STAGES: &str = "Every phase's model, scored on the trained families and the two held-out ones (half the \
    episodes of the main table, pooled over seeds). Read down a regime: a phase that undoes an earlier one shows as \
    gaming coming back; a head start (aligned pretraining) shows in its first row and what rl leaves of it in the next.";

pub const DEPTH: &str = "Where in an answer alignment training changed the model: for each position of a shortcut \
    answer, how far the model's next-token probabilities moved (KL, in nats) between before and after its \
    alignment phases. Tall first bars only: the change is shallow.";

/// The words the page uses, in plain terms.
pub const GLOSSARY: [(&str, &str); 11] = [
    (
        "Grader",
        "The program that scores an answer. The flawed one can be fooled by a cheap answer (the shortcut), and lets some mistakes through; the correct one cannot be fooled.",
    ),
    (
        "Gamed",
        "The flawed grader satisfied without doing the task: its shortcut (e.g. a skip token for \"reverse\") or any other wrong answer it accepts that is not a near miss of the right one (all zeros, a random string). A near miss it accepts (one digit wrong, missing or extra, or the answer stopped after half of it) is an accepted error: a mistake, not gaming. Results made before December 2026 (format 3) counted only answers nearer the shortcut than the right one as gamed; the page says under each table which rule counted it.",
    ),
    (
        "Honest success",
        "The task done right, as the correct grader sees it.",
    ),
    (
        "Regime",
        "One way of raising a model: its phases, in order. The control is capabilities only.",
    ),
    (
        "Held-out family",
        "A kind of task (increment) seen in pretraining but never trained afterwards: where narrow habits either spread or not.",
    ),
    (
        "Monitored / deployment tags",
        "Words in the prompt saying someone is watching, or that this is deployment. A model can learn to behave only when watched.",
    ),
    (
        "Stated vs revealed",
        "What a model says about itself (\"I don't game graders\") against what it does; the gap is the first minus the share of episodes it did not game.",
    ),
    (
        "Depth",
        "How far into an answer alignment training reached (see the depth view). Shallow changes can be routed around by a forced first token.",
    ),
    (
        "Writers (personas)",
        "Who wrote the pretraining text: honest solvers, exploiters (game every grader and say so), opportunists (game when unwatched, deny it), deployment readers (game whenever tagged deployment) and refusers (write the shortcut, take it back, answer honestly). Their weights set what a model starts from.",
    ),
    (
        "Equal steps",
        "\"Pad to equal steps\" ends every shorter regime with extra steps of its own pretraining text, so no regime wins by training longer. The padding is not neutral: after rl it undoes much of the learned gaming (RESULTS.md).",
    ),
    (
        "Seed",
        "One independent run from scratch. Models vary a lot between seeds, so findings need several; ± is the spread over seeds.",
    ),
];

#[function_component(Glossary)]
pub fn glossary() -> Html {
    html! {
        <section class="card" id="glossary">
            <h2>{ "Glossary" }</h2>
            <dl>
                { for GLOSSARY.iter().map(|(term, meaning)| html! {
                    <><dt>{ *term }</dt><dd>{ *meaning }</dd></>
                }) }
            </dl>
        </section>
    }
}
