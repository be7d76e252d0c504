//! Exercise mode: the question, the budget and the goals, and whether the
//! design on screen meets them; and the list of exercises for the full page.

use std::rc::Rc;

use upbringing_lab::exercise;
use yew::prelude::*;

use crate::playground::{Playground, Source};

#[derive(Properties)]
pub struct ExerciseProps {
    pub pg: Rc<Playground>,
}

impl PartialEq for ExerciseProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.pg, &other.pg)
    }
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

#[function_component(ExercisePanel)]
pub fn exercise_panel(props: &ExerciseProps) -> Html {
    let p = &*props.pg;
    let (Some(ex), Some(verdict)) = (&p.rules.exercise, p.verdict()) else {
        return html! {};
    };
    let limits = verdict.limits.iter().map(|(ok, text)| {
        html! { <li class={if *ok { "ok" } else { "bad" }}><span aria-hidden="true">{ mark(*ok) }</span>{ " " }{ text }</li> }
    });
    let goals: Html = if verdict.goals.is_empty() {
        let (why, text) = match &p.results {
            Some((_, source)) if !source.judged() => (
                "imported",
                format!(
                    "Imported: goals not judged. Results opened from a file are shown, but a file can be edited \
                     to say anything whose counts add up: goals are judged on the precomputed results and on \
                     runs in this browser (a teacher checks a file with \"upbringing exercise {} --check FILE\").",
                    ex.slug
                ),
            ),
            Some((r, _)) if r.spec != p.spec => (
                "short",
                "These results are from a short check, not a full run of this design: the goal is judged on full runs."
                    .to_string(),
            ),
            _ => (
                "none",
                "No results for this design yet. Designs that match a precomputed regime show theirs at once; \
                 any other needs a full run in your browser (minutes per seed)."
                    .to_string(),
            ),
        };
        html! {
            <>
                <ul>{ for ex.goals.iter().map(|g| html! { <li>{ g.describe() }</li> }) }</ul>
                <p id="verdict" data-met="unknown" data-why={why}>{ text }</p>
            </>
        }
    } else {
        let met = verdict.met();
        let source = match &p.results {
            Some((_, Source::Precomputed)) => " (read off the precomputed results)",
            _ => "",
        };
        html! {
            <>
                <ul>{ for verdict.goals.iter().map(|g| html! {
                    <li class={if g.met { "ok" } else { "bad" }}><span aria-hidden="true">{ mark(g.met) }</span>{ " " }{ &g.text }</li>
                }) }</ul>
                <p id="verdict" data-met={met.to_string()} role="status" class={if met { "ok" } else { "bad" }}>
                    { if met { "Goal met" } else { "Not yet" } }{ source }
                    { if met { ". Now say why: what did this design change that the start did not?" } else { "." } }
                </p>
            </>
        }
    };
    html! {
        <section id="exercise" class="exercise" aria-label="exercise">
            <h2>{ format!("Exercise: {}", ex.title) }</h2>
            <p class="muted">{ ex.topic }</p>
            <p id="question">{ ex.question }</p>
            <h3>{ "Budget" }</h3>
            <ul class="limits">{ for limits }</ul>
            <h3>{ "Goal" }</h3>
            { goals }
            <p class="muted">{ "Greyed settings are fixed by the exercise. " }
                <a href="?">{ "Leave the exercise" }</a></p>
        </section>
    }
}

/// Links to every exercise (the full page's classroom section).
#[function_component(ExerciseList)]
pub fn exercise_list() -> Html {
    html! {
        <section class="card" id="exercises">
            <h2>{ "Exercises for a class" }</h2>
            <p class="muted">{ "Each starts from an experiment, fixes most of it, and asks for a goal the results \
                                can check. Teacher's notes: docs/exercises.md in the repository." }</p>
            <ol>
                { for exercise::all().into_iter().map(|e| html! {
                    <li><a href={format!("?exercise={}", e.slug)}>{ e.title }</a>{ format!(" — {}", e.topic) }</li>
                }) }
            </ol>
        </section>
    }
}
