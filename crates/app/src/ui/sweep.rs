//! A shipped sweep drawn: one measure against the swept setting, one line
//! per regime with the 95% Wilson interval of its pooled episodes (seed to
//! seed spread is in the claims below, which are paired over seeds), and the
//! sweep's pre-registered claims
//! tested on it (the same numbers `upbringing report --plan` prints).

use std::rc::Rc;

use upbringing_lab::analysis::{self, SAME_MARGIN};
use upbringing_lab::sweep::SweepResults;
use yew::prelude::*;

use crate::chart::LineChart;
use crate::ui::curves::style;

#[derive(Properties)]
pub struct SweepProps {
    pub sweep: Rc<SweepResults>,
}

impl PartialEq for SweepProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sweep, &other.sweep)
    }
}

fn percent(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

/// A paired difference in points, signed.
fn points(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.0}", 100.0 * x)
    } else {
        "–".into()
    }
}

#[function_component(SweepView)]
pub fn sweep_view(props: &SweepProps) -> Html {
    let measure = use_state(|| 0usize);
    let s = &props.sweep;
    let (metric, condition) = SweepResults::MEASURES[*measure];
    let setting = s.spec.sweep.as_ref().map_or("value", |w| w.setting.as_str());
    let chart = LineChart {
        width: 640.0,
        height: 240.0,
        pad: 40.0,
        y_min: 0.0,
        y_max: 1.0,
        x_max: s.points.len().max(2),
    };
    let (w, h, pad) = (chart.width, chart.height, chart.pad);
    let label = |m: usize| {
        let (metric, condition) = SweepResults::MEASURES[m];
        format!("{} ({})", metric.label(), condition.short())
    };
    let buttons = (0..SweepResults::MEASURES.len()).map(|m| {
        let (state, on) = (measure.clone(), m == *measure);
        html! {
            <button class={if on { "metric on" } else { "metric" }} aria-pressed={on.to_string()}
                onclick={Callback::from(move |_| state.set(m))}>{ label(m) }</button>
        }
    });
    let regimes = s.regimes();
    let lines = regimes.iter().enumerate().map(|(i, regime)| {
        let (colour, dash) = style(i);
        let curve = s.curve(regime, metric, condition);
        let finite = |f: fn(&upbringing_lab::stats::Rate) -> f64| -> Vec<f32> {
            curve
                .iter()
                .map(|r| if r.trials == 0 { f32::NAN } else { f(r) as f32 })
                .collect()
        };
        let (rate, lo, hi) = (finite(|r| r.rate), finite(|r| r.lo), finite(|r| r.hi));
        let dots = curve.iter().enumerate().filter(|(_, r)| r.trials > 0).map(|(x, r)| {
            html! {
                <circle cx={chart.x(x).to_string()} cy={chart.y(r.rate as f32).to_string()} r="3" fill={colour.clone()}>
                    <title>{ format!("{regime} at {setting} = {}: {} [{}, {}] of {} episodes",
                        s.points[x].value, percent(r.rate), percent(r.lo), percent(r.hi), r.trials) }</title>
                </circle>
            }
        });
        html! {
            <g class="sweep-line" data-regime={regime.to_string()}>
                <polygon class="band" points={chart.band(&lo, &hi)} fill={colour.clone()} />
                <polyline class="series" points={chart.points(&rate)} stroke={colour.clone()} stroke-dasharray={dash} />
                { for dots }
            </g>
        }
    });
    let legend = regimes.iter().enumerate().map(|(i, regime)| {
        html! { <span class="legend"><span class="swatch" style={format!("background:{}", style(i).0)}></span>{ regime.to_string() }</span> }
    });
    let x_labels = s.points.iter().enumerate().map(|(x, p)| {
        html! { <text class="tick" x={chart.x(x).to_string()} y={(h - pad + 16.0).to_string()} text-anchor="middle">{ p.value.clone() }</text> }
    });
    let Some(first) = s.points.first().map(|p| &p.results) else {
        return html! { <p id="sweep-status">{ "This sweep has no values." }</p> };
    };
    let seeds = &s.spec.seeds;
    let seconds: f64 = s.points.iter().map(|p| p.results.seconds).sum();
    html! {
        <div id="sweep" data-sweep={s.spec.name.clone()} data-values={s.points.len().to_string()}>
            <h3>{ s.spec.name.clone() }</h3>
            <p>{ s.spec.description.clone() }</p>
            <p class="muted">{ format!(
                "{} values of {setting}, {} seeds each ({}–{}); trained by {} on {}{}, {:.0} min in all.",
                s.points.len(), seeds.len(), seeds.iter().min().copied().unwrap_or(0), seeds.iter().max().copied().unwrap_or(0),
                first.engine, first.backend,
                first.commit.as_ref().map(|c| format!(" at {c}")).unwrap_or_default(), seconds / 60.0
            ) }</p>
            <div class="controls">{ for buttons }</div>
            <svg id="sweep-chart" viewBox={format!("0 0 {w} {h}")} role="img"
                aria-label={format!("{} against {setting}, one line per regime, with 95% Wilson intervals over the pooled episodes", label(*measure))}>
                <line class="axis" x1={pad.to_string()} y1={(h - pad).to_string()} x2={(w - pad).to_string()} y2={(h - pad).to_string()} />
                <line class="axis" x1={pad.to_string()} y1={pad.to_string()} x2={pad.to_string()} y2={(h - pad).to_string()} />
                { for chart.y_ticks(4).into_iter().map(|(v, y)| html! {
                    <text class="tick" x={(pad - 4.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ percent(v as f64) }</text>
                }) }
                { for x_labels }
                <text class="label" x={pad.to_string()} y={(pad - 10.0).to_string()}>{ label(*measure) }</text>
                <text class="tick" x={(w / 2.0).to_string()} y={(h - 6.0).to_string()} text-anchor="middle">{ setting.to_string() }</text>
                { for lines }
            </svg>
            <div class="legend-row">{ for legend }</div>
            { view_claims(s) }
        </div>
    }
}

/// The sweep's pre-registered claims, tested as `report --plan` tests them.
fn view_claims(s: &SweepResults) -> Html {
    let Some(plan) = analysis::sweep_plan(&s.spec.name) else {
        return html! {};
    };
    let setting = s.spec.sweep.as_ref().map_or("value", |w| w.setting.as_str());
    let tested = analysis::test_sweep(s, &plan);
    let rows = tested.iter().flat_map(|t| {
        t.tested.iter().map(move |x| {
            let c = &x.comparison;
            html! {
                <tr>
                    <td>{ t.value.clone() }</td>
                    <td>{ format!("{} vs {}, {}", c.a, c.b, c.metric.label()) }</td>
                    <td>{ format!("{} [{}, {}]", points(x.all.mean), points(x.all.lo), points(x.all.hi)) }</td>
                    <td>{ format!("{:.3}", x.p_holm) }</td>
                    <td class={format!("verdict {}", x.verdict.word())}>{ x.verdict.word() }</td>
                </tr>
            }
        })
    });
    let reading: Vec<String> = match plan.reading {
        analysis::Reading::CaughtUp => plan
            .claims
            .iter()
            .zip(analysis::caught_up(&tested))
            .map(|(c, at)| {
                format!(
                    "{} came within {:.0} points of {} (and stayed): {}",
                    c.a,
                    100.0 * SAME_MARGIN,
                    c.b,
                    at.map_or("not by the last value".to_string(), |v| format!(
                        "from {setting} = {v}"
                    ))
                )
            })
            .collect(),
        analysis::Reading::Holds => plan
            .claims
            .iter()
            .zip(analysis::holds(&tested))
            .map(|(c, (confirmed, every_seed))| {
                let list = |v: &[String]| {
                    if v.is_empty() {
                        "none".to_string()
                    } else {
                        v.join(", ")
                    }
                };
                format!(
                    "{} vs {} ({}): confirmed at {}; every seed agrees at {}",
                    c.a,
                    c.b,
                    c.predicted.words(),
                    list(&confirmed),
                    list(&every_seed)
                )
            })
            .collect(),
    };
    html! {
        <div id="sweep-claims">
            <h4>{ "Pre-registered claims, tested" }</h4>
            <p class="muted">{ format!(
                "a − b in points, paired over seeds [95% bootstrap interval]; p Holm-adjusted across all {} comparisons (docs/sweep-plan.md).",
                tested.iter().map(|t| t.tested.len()).sum::<usize>()
            ) }</p>
            <table class="claims">
                <thead><tr><th>{ setting.to_string() }</th><th>{ "a vs b" }</th><th>{ "a − b" }</th><th>{ "p (Holm)" }</th><th>{ "verdict" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <ul>{ for reading.into_iter().map(|r| html! { <li>{ r }</li> }) }</ul>
            { view_pooled(s, &plan) }
        </div>
    }
}

/// For a sweep read as "holds": each claim over every value at once, the
/// test its plan relies on when each value has few seeds (a unit is a
/// (value, seed) pair, or a seed where one side is the same model at every
/// value: `analysis::pooled`).
fn view_pooled(s: &SweepResults, plan: &analysis::SweepPlan) -> Html {
    if plan.reading != analysis::Reading::Holds {
        return html! {};
    }
    let rows = plan.claims.iter().zip(analysis::pooled(s, plan)).map(|(c, x)| {
        let p = x.paired;
        html! {
            <tr>
                <td>{ format!("{} vs {}, {}", c.a, c.b, c.metric.label()) }</td>
                <td>{ format!("{} [{}, {}]", points(p.mean), points(p.lo), points(p.hi)) }</td>
                <td>{ x.units() }</td>
                <td>{ format!("{:.4}", x.p_holm) }</td>
                <td class={format!("verdict {}", x.verdict.word())}>{ x.verdict.word() }</td>
            </tr>
        }
    });
    html! {
        <div id="sweep-pooled">
            <h4>{ "Over every value at once" }</h4>
            <table class="claims">
                <thead><tr><th>{ "a vs b" }</th><th>{ "a − b" }</th><th>{ "units" }</th><th>{ "p (Holm)" }</th><th>{ "verdict" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
