//! Designing an experiment: regimes as cards of coloured phase blocks, the
//! selected phase's settings, experiment-wide settings, and the whole spec
//! as JSON. Every change is an `Edit` the playground validates; a refused
//! one is shown with the engine's message and changes nothing.

use std::rc::Rc;

use upbringing_lab::presets;
use upbringing_lab::spec::{Objective, PhaseSpec};
use yew::prelude::*;

use super::control_value;
use crate::controls::Control;
use crate::edit::{Edit, PhaseField, SpecField};
use crate::playground::Playground;

#[derive(Properties)]
pub struct EditorProps {
    pub pg: Rc<Playground>,
    pub on_edit: Callback<Edit>,
    pub on_select: Callback<Option<(usize, usize)>>,
}

/// Callbacks only forward to the page, so the state alone decides a redraw.
impl PartialEq for EditorProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.pg, &other.pg)
    }
}

/// The CSS class of a phase block: its kind, and whether it is alignment training.
fn phase_class(p: &PhaseSpec, selected: bool) -> String {
    let kind = match p.objective {
        Objective::Pretrain { .. } => "pretrain",
        Objective::Sft { .. } => "sft",
        Objective::Rl(_) => "rl",
    };
    let mut class = format!("phase {kind}");
    if p.alignment {
        class.push_str(" alignment");
    }
    if selected {
        class.push_str(" selected");
    }
    class
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let p = &*props.pg;
    let show_json = use_state(|| false);
    let json_ref = use_node_ref();
    let locked = p.running();
    let edit = props.on_edit.clone();
    let text_edit = move |make: Rc<dyn Fn(String) -> Edit>| {
        let edit = edit.clone();
        Callback::from(move |e: Event| {
            let value = e.target().map(|t| control_value(&t)).unwrap_or_default();
            edit.emit(make(value));
        })
    };
    let click = |edit: Edit| {
        let cb = props.on_edit.clone();
        Callback::from(move |_: MouseEvent| cb.emit(edit.clone()))
    };
    let rules = &p.rules;
    // A control is off while a run trains, or where the link fixes it; an
    // edit button is off unless its edit would be accepted (every card's
    // buttons judged in one pass, not a whole-spec validation per button).
    let actions = p.card_actions();
    let spec_fields = SpecField::ALL
        .into_iter()
        .filter(|&f| !rules.hides_setting(f))
        .map(|f| {
            let fixed = rules.fixes_setting(f);
            html! {
                <label class="field">{ f.label() }{ fixed_mark(fixed) }
                    <input data-field={f.label()} value={f.get(&p.spec)} disabled={locked || fixed}
                        onchange={text_edit(Rc::new(move |v| Edit::Set(f, v)))} />
                </label>
            }
        });
    let templates = presets::phase_templates();
    let regimes = p.spec.regimes.iter().zip(&actions).enumerate().filter(|(ri, _)| !rules.hides_regime(*ri)).map(|(ri, (r, can))| {
        let add_phase = {
            let cb = props.on_edit.clone();
            Callback::from(move |e: Event| {
                let Some(target) = e.target() else { return };
                if let Ok(t) = control_value(&target).parse::<usize>() {
                    cb.emit(Edit::AddPhase { regime: ri, template: t });
                }
                let _ = js_sys::Reflect::set(&target, &"value".into(), &"".into());
            })
        };
        let blocks = r.phases.iter().enumerate().map(|(pi, phase)| {
            let selected = p.selected == Some((ri, pi));
            let select = {
                let cb = props.on_select.clone();
                Callback::from(move |_: MouseEvent| cb.emit((!selected).then_some((ri, pi))))
            };
            html! {
                <button class={phase_class(phase, selected)} onclick={select} aria-pressed={selected.to_string()}
                    title={format!("{} · {} steps · lr {} · batch {}", phase.name, phase.steps, phase.lr, phase.batch_size)}>
                    { &phase.name }<small>{ format!(" {}", phase.steps) }</small>
                </button>
            }
        });
        let selected_phase = p
            .selected
            .filter(|(sr, _)| *sr == ri)
            .and_then(|(_, pi)| Some((pi, r.phases.get(pi)?)));
        html! {
            <div class="regime-card" data-regime={r.name.clone()}>
                <div class="regime-head">
                    <input class="regime-name" aria-label="regime name" value={r.name.clone()}
                        disabled={!can.rename}
                        onchange={text_edit(Rc::new(move |v| Edit::RenameRegime(ri, v)))} />
                    <button class="icon" title="move up" aria-label={format!("move {} up", r.name)} disabled={!can.up} onclick={click(Edit::MoveRegime(ri, -1))}>{ "↑" }</button>
                    <button class="icon" title="move down" aria-label={format!("move {} down", r.name)} disabled={!can.down} onclick={click(Edit::MoveRegime(ri, 1))}>{ "↓" }</button>
                    <button class="icon" title="duplicate" aria-label={format!("duplicate {}", r.name)} disabled={!can.duplicate} onclick={click(Edit::DuplicateRegime(ri))}>{ "⧉" }</button>
                    <button class="icon remove-regime" title="remove" aria-label={format!("remove {}", r.name)} disabled={!can.remove} onclick={click(Edit::RemoveRegime(ri))}>{ "✕" }</button>
                </div>
                <div class="phases">
                    { for blocks }
                    <select class="add-phase" aria-label={format!("add a phase to {}", r.name)} disabled={!can.add_phase} onchange={add_phase}>
                        <option value="" selected=true>{ "+ phase" }</option>
                        { for templates.iter().enumerate().map(|(t, tp)| html! { <option value={t.to_string()}>{ &tp.name }</option> }) }
                    </select>
                </div>
                { selected_phase.map(|(pi, phase)| view_phase(p, ri, pi, phase, &text_edit, &click)).unwrap_or_default() }
            </div>
        }
    });
    let toggle_json = {
        let show = show_json.clone();
        Callback::from(move |_: MouseEvent| show.set(!*show))
    };
    let apply_json = {
        let (cb, node) = (props.on_edit.clone(), json_ref.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(n) = node.get() {
                cb.emit(Edit::ReplaceJson(control_value(&n)));
            }
        })
    };
    // Off where every regime already trains as long as the longest (or
    // where padding is refused, which the edit would say); not worked out
    // while a run trains (the button is off then, and runs redraw often).
    let unequal = !locked && {
        let mut padded = p.spec.clone();
        padded.pad_to_equal_steps().is_ok_and(|()| padded != p.spec)
    };
    html! {
        <details id="design" open={p.edited() || p.rules.exercise.is_some()}>
            <summary>{ "Design the experiment" }{ if p.edited() { " (edited: the link shares your version)" } else { "" } }</summary>
            <p class="muted">{ "Each regime is a row of phases, trained in order: grey pretraining, blue supervised, orange rl; \
                               a green edge marks alignment training. Click a phase to change it." }</p>
            { super::explain::what_is("design", super::explain::DESIGN) }
            <div class="spec-fields">{ for spec_fields }</div>
            <div class="regimes">{ for regimes }</div>
            <div class="controls">
                <button class="secondary" id="equal-steps" disabled={locked || !unequal} onclick={click(Edit::PadToEqualSteps)}
                    title="End every regime that trains fewer steps than the longest with neutral steps of its own pretraining text, so that no comparison is won by training longer">
                    { "Pad to equal steps" }
                </button>
            </div>
            { p.edit_error.as_ref().map(|e| html! { <p id="edit-error" class="error" role="alert">{ format!("Not changed: {e}") }</p> }).unwrap_or_default() }
            if !rules.hides(Control::Json) {
                <div class="controls">
                    <button class="secondary" id="toggle-json" onclick={toggle_json}>{ if *show_json { "Hide JSON" } else { "Edit as JSON" } }</button>
                </div>
            }
            if *show_json && !rules.hides(Control::Json) {
                <textarea id="spec-json" ref={json_ref} rows="16" spellcheck="false" aria-label="the experiment as JSON"
                    value={p.spec.to_json()} disabled={locked} />
                <button id="apply-json" onclick={apply_json} disabled={locked}>{ "Apply JSON" }</button>
            }
        </details>
    }
}

type TextEdit<'a> = &'a dyn Fn(Rc<dyn Fn(String) -> Edit>) -> Callback<Event>;
type ClickEdit<'a> = &'a dyn Fn(Edit) -> Callback<MouseEvent>;

/// A lock beside a setting the link fixes (the input is disabled too).
fn fixed_mark(fixed: bool) -> Html {
    if fixed {
        html! { <span class="fixed-mark" title="fixed by this link or exercise">{ " · fixed" }</span> }
    } else {
        html! {}
    }
}

/// The selected phase's settings, and moving or removing it.
fn view_phase(
    p: &Playground,
    ri: usize,
    pi: usize,
    phase: &PhaseSpec,
    text_edit: TextEdit,
    click: ClickEdit,
) -> Html {
    let rules = &p.rules;
    let running = p.running();
    let fields = PhaseField::ALL
        .into_iter()
        .filter(|&f| !rules.hides_field(ri, pi, f))
        .filter_map(|f| {
            let value = f.get(phase)?;
            let fixed = rules.fixes_field(ri, pi, f);
            Some(html! {
                <label class="field">{ f.label() }{ fixed_mark(fixed) }
                    <input data-field={f.label()} value={value} disabled={running || fixed}
                        onchange={text_edit(Rc::new(move |v| Edit::SetPhase(ri, pi, f, v)))} />
                </label>
            })
        });
    let can = |e: Edit| p.allows(&e);
    html! {
        <div class="phase-editor" aria-label={format!("settings of phase {}", phase.name)}>
            <div class="spec-fields">{ for fields }</div>
            <div class="controls">
                <button class="secondary" disabled={!can(Edit::MovePhase(ri, pi, -1))} onclick={click(Edit::MovePhase(ri, pi, -1))}>{ "← earlier" }</button>
                <button class="secondary" disabled={!can(Edit::MovePhase(ri, pi, 1))} onclick={click(Edit::MovePhase(ri, pi, 1))}>{ "later →" }</button>
                <button class="secondary" disabled={!can(Edit::DuplicatePhase(ri, pi))} onclick={click(Edit::DuplicatePhase(ri, pi))}>{ "duplicate" }</button>
                <button class="secondary remove-phase" disabled={!can(Edit::RemovePhase(ri, pi))} onclick={click(Edit::RemovePhase(ri, pi))}>{ "remove phase" }</button>
            </div>
        </div>
    }
}
