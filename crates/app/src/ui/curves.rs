//! Training curves, one line per regime: live while a run trains (the seed
//! in training), else the mean over the shown results' seeds. Hover reads
//! every regime's value at a step; the legend hides and shows regimes.

use std::collections::HashSet;
use std::rc::Rc;

use yew::prelude::*;

use crate::chart::LineChart;
use crate::curves::{self, Curve, Series, value_at};
use crate::playground::{Playground, RunStatus};

/// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
/// Past eight regimes the colours repeat with a dashed line.
const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000", "#F0E442",
];

pub(crate) fn style(i: usize) -> (String, &'static str) {
    (
        PALETTE[i % PALETTE.len()].into(),
        if i < PALETTE.len() { "" } else { "5 3" },
    )
}

#[derive(Properties)]
pub struct CurvesProps {
    pub pg: Rc<Playground>,
}

impl PartialEq for CurvesProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.pg, &other.pg)
    }
}

/// The curves to draw and what they are.
fn choose(p: &Playground, series: Series) -> Option<(Vec<Curve>, String)> {
    if let RunStatus::Running(progress) = &p.status {
        let seed = progress.as_ref().map_or(p.spec.seeds[0], |g| g.seed);
        if p.live.iter().any(|l| l.seed == seed) {
            let spec = p.run_spec();
            let live = curves::from_live(&spec, &p.live, seed, series);
            return Some((live, format!("live, seed {seed}")));
        }
    }
    let (results, _) = p.results.as_ref()?;
    let curves = curves::from_results(results, series);
    let n = results.spec.seeds.len();
    Some((
        curves,
        format!("mean over {n} seed{}", if n == 1 { "" } else { "s" }),
    ))
}

#[function_component(Curves)]
pub fn curves_view(props: &CurvesProps) -> Html {
    let series = use_state(|| Series::Gamed);
    let hidden = use_state(HashSet::<String>::new);
    let hover = use_state(|| None::<usize>);
    let Some((all, what)) = choose(&props.pg, *series) else {
        return html! {};
    };
    let shown: Vec<(usize, &Curve)> = all
        .iter()
        .enumerate()
        .filter(|(_, c)| !hidden.contains(&c.regime) && !c.points.is_empty())
        .collect();
    let x_max = curves::last_step(&all).max(1);
    let y_top = match *series {
        Series::Loss => curves::top(&all, 0.1) * 1.05,
        _ => 1.0,
    };
    let chart = LineChart {
        width: 640.0,
        height: 220.0,
        pad: 36.0,
        y_min: 0.0,
        y_max: y_top,
        x_max: x_max + 1,
    };
    let (w, h, pad) = (chart.width, chart.height, chart.pad);
    let buttons = Series::ALL.map(|s| {
        let (state, on) = (series.clone(), s == *series);
        html! {
            <button class={if on { "metric on" } else { "metric" }} data-series={s.name()} aria-pressed={on.to_string()}
                onclick={Callback::from(move |_| state.set(s))}>{ s.label() }</button>
        }
    });
    let onmove = {
        let hover = hover.clone();
        Callback::from(move |e: MouseEvent| {
            let Some(target) = e.current_target() else { return };
            let rect = js_sys::Reflect::get(&target, &"getBoundingClientRect".into())
                .ok()
                .and_then(|f| js_sys::Function::from(f).call0(&target).ok());
            let Some(rect) = rect else { return };
            let num = |k: &str| {
                js_sys::Reflect::get(&rect, &k.into())
                    .ok()
                    .and_then(|v| v.as_f64())
            };
            let (Some(left), Some(width)) = (num("left"), num("width")) else {
                return;
            };
            let x = (e.client_x() as f64 - left) / width.max(1.0) * w as f64;
            let t = ((x - pad as f64) / (w - 2.0 * pad) as f64).clamp(0.0, 1.0);
            hover.set(Some((t * x_max as f64).round() as usize));
        })
    };
    let onleave = {
        let hover = hover.clone();
        Callback::from(move |_: MouseEvent| hover.set(None))
    };
    let lines = shown.iter().map(|(i, c)| {
        let (colour, dash) = style(*i);
        let points: Vec<String> = c
            .points
            .iter()
            .filter(|p| p.1.is_finite())
            .map(|&(s, v)| format!("{:.1},{:.1}", chart.x(s), chart.y(v)))
            .collect();
        html! {
            <polyline class="series" points={points.join(" ")} stroke={colour} stroke-dasharray={dash}>
                <title>{ &c.regime }</title>
            </polyline>
        }
    });
    let readout = hover.map(|step| {
        let rows = shown.iter().filter_map(|(i, c)| {
            let v = value_at(c, step)?;
            let phase = c.phases.iter().take_while(|p| p.0 <= step).last().map(|p| p.1.clone()).unwrap_or_default();
            let text = match *series {
                Series::Loss => format!("{v:.3}"),
                _ => format!("{:.0}%", 100.0 * v),
            };
            Some(html! { <li><span class="swatch" style={format!("background:{}", style(*i).0)}></span>{ format!("{} ({phase}): {text}", c.regime) }</li> })
        });
        html! {
            <div class="readout" id="curve-readout"><strong>{ format!("step {step}") }</strong><ul>{ for rows }</ul></div>
        }
    });
    let legend = all.iter().enumerate().map(|(i, c)| {
        let (colour, _) = style(i);
        let off = hidden.contains(&c.regime);
        let toggle = {
            let (hidden, name) = (hidden.clone(), c.regime.clone());
            Callback::from(move |_: MouseEvent| {
                let mut h = (*hidden).clone();
                if !h.remove(&name) {
                    h.insert(name.clone());
                }
                hidden.set(h);
            })
        };
        html! {
            <button class={if off { "legend off" } else { "legend" }} aria-pressed={(!off).to_string()} onclick={toggle}
                title={if off { "show" } else { "hide" }}>
                <span class="swatch" style={format!("background:{colour}")}></span>{ &c.regime }
            </button>
        }
    });
    let y_label = |v: f32| match *series {
        Series::Loss => format!("{v:.1}"),
        _ => format!("{:.0}%", 100.0 * v),
    };
    html! {
        <div id="curves">
            <h3>{ "Training curves " }<span class="muted">{ format!("({what})") }</span></h3>
            <div class="controls">{ for buttons }</div>
            <svg id="curve-chart" viewBox={format!("0 0 {w} {h}")} role="img" data-series={series.name()}
                aria-label={format!("{} by training step, one line per regime", series.label())}
                onmousemove={onmove} onmouseleave={onleave}>
                <line class="axis" x1={pad.to_string()} y1={(h - pad).to_string()} x2={(w - pad).to_string()} y2={(h - pad).to_string()} />
                <line class="axis" x1={pad.to_string()} y1={pad.to_string()} x2={pad.to_string()} y2={(h - pad).to_string()} />
                { for chart.y_ticks(4).into_iter().map(|(v, y)| html! {
                    <text class="tick" x={(pad - 4.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ y_label(v) }</text>
                }) }
                <text class="tick" x={(w - pad).to_string()} y={(h - pad + 16.0).to_string()} text-anchor="end">{ format!("step {x_max}") }</text>
                <text class="label" x={pad.to_string()} y={(pad - 10.0).to_string()}>{ series.label() }</text>
                { for lines }
                { hover.map(|s| html! { <line class="cursor" x1={chart.x(s).to_string()} x2={chart.x(s).to_string()} y1={pad.to_string()} y2={(h - pad).to_string()} /> }).unwrap_or_default() }
            </svg>
            { readout.unwrap_or_default() }
            <div class="legend-row">{ for legend }</div>
        </div>
    }
}
