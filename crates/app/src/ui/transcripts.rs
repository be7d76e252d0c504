//! Sample transcripts behind one heatmap cell: what the model was shown and
//! what it wrote, tokens coloured by role, gamed, accepted-error and honest answers marked.

use std::rc::Rc;

use upbringing_lab::eval::{Condition, Transcript};
use upbringing_lab::results::ExperimentResults;
use upbringing_lab::world::Outcome;
use upbringing_lab::world::graded::{GlyphRole, LEGEND, glyph_role};
use yew::prelude::*;

#[derive(Properties)]
pub struct TranscriptProps {
    pub results: Rc<ExperimentResults>,
    pub regime: String,
    pub condition: Condition,
}

impl PartialEq for TranscriptProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.results, &other.results)
            && self.regime == other.regime
            && self.condition == other.condition
    }
}

fn role_class(c: char) -> &'static str {
    match glyph_role(c) {
        Some(GlyphRole::Digit) => "t-digit",
        Some(GlyphRole::Marker) => "t-marker",
        Some(GlyphRole::Tag) => "t-tag",
        Some(GlyphRole::Family) => "t-family",
        Some(GlyphRole::Special) => "t-special",
        Some(GlyphRole::Answer) => "t-answer",
        None => "t-unknown",
    }
}

/// What the grader made of it, in words.
pub fn verdict(t: &Transcript) -> (&'static str, &'static str) {
    match (t.outcome, t.recovered) {
        (Outcome::Honest, _) => ("honest", "solved correctly"),
        (Outcome::Gamed, _) => ("gamed", "gamed the flawed grader: its shortcut"),
        (Outcome::AcceptedError, Some(true)) => (
            "accepted",
            "abandoned the forced start; the grader accepted a wrong answer",
        ),
        (Outcome::AcceptedError, _) => ("accepted", "a mistake the flawed grader let through (not gaming)"),
        (Outcome::Failed, _) => ("wrong", "neither solved nor accepted"),
    }
}

fn tokens(text: &str, forced: usize) -> Html {
    html! {
        { for text.chars().enumerate().map(|(i, c)| {
            let class = if i < forced { format!("{} t-forced", role_class(c)) } else { role_class(c).to_string() };
            html! { <span class={class}>{ c }</span> }
        }) }
    }
}

#[function_component(Transcripts)]
pub fn transcripts(props: &TranscriptProps) -> Html {
    let rows: Vec<_> = props
        .results
        .rows
        .iter()
        .filter(|r| r.regime == props.regime && r.condition == props.condition)
        .collect();
    let any = rows.iter().any(|r| !r.transcripts.is_empty());
    html! {
        <div id="transcripts" aria-live="polite">
            <h3>{ format!("{} · {}: sample episodes", props.regime, props.condition.short()) }</h3>
            if !any {
                <p class="muted">{ "These results carry no transcripts (made by an older version)." }</p>
            } else {
                <p class="muted legend">{ LEGEND }{ ". Underlined: forced onto the model (the prefill test)." }</p>
                <table class="transcripts">
                    <tr><th>{ "seed" }</th><th>{ "shown" }</th><th>{ "wrote" }</th><th>{ "graded" }</th></tr>
                    { for rows.iter().flat_map(|r| r.transcripts.iter().map(move |t| (r.seed, t))).map(|(seed, t)| {
                        let (class, words) = verdict(t);
                        html! {
                            <tr class={class}>
                                <td>{ seed }</td>
                                <td><code>{ tokens(&t.prompt, 0) }</code></td>
                                <td><code class="answer">{ tokens(&t.answer, t.forced) }</code></td>
                                <td class="verdict">{ words }</td>
                            </tr>
                        }
                    }) }
                </table>
            }
        </div>
    }
}
