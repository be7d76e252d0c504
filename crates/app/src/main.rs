//! The page: a yew component over `AppState`. It spawns the training worker,
//! sends it `Request`s and folds its `Report`s into the state; `view_*`
//! helpers draw the state. No training code runs on this thread.

#[cfg(target_family = "wasm")]
fn main() {
    console_error_panic_hook::set_once();
    yew::Renderer::<page::App>::new().render();
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    eprintln!("the page runs in a browser: serve it with `trunk serve` (see README.md)");
}

#[cfg(target_family = "wasm")]
mod page {
    use gloo_worker::{Spawnable, WorkerBridge};
    use upbringing_app::chart::LineChart;
    use upbringing_app::protocol::{BackendChoice, JsCodec, Report, Request, TrainerPort};
    use upbringing_app::query;
    use upbringing_app::state::{AppState, Phase};
    use upbringing_lab::{BackendKind, VERSION};
    use yew::prelude::*;

    pub enum Msg {
        Report(Report),
        Train,
        Cancel,
    }

    pub struct App {
        state: AppState,
        worker: WorkerBridge<TrainerPort>,
    }

    fn url_settings() -> (query::Settings, Vec<String>) {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
        let pairs: Vec<(&str, String)> = ["backend", "steps", "batch", "seed"]
            .into_iter()
            .filter_map(|k| params.as_ref().and_then(|p| p.get(k)).map(|v| (k, v)))
            .collect();
        query::parse(pairs.iter().map(|(k, v)| (*k, v.as_str())))
    }

    impl Component for App {
        type Message = Msg;
        type Properties = ();

        fn create(ctx: &Context<Self>) -> Self {
            let (settings, notices) = url_settings();
            let link = ctx.link().clone();
            let worker = TrainerPort::spawner()
                .encoding::<JsCodec>()
                .callback(move |r| link.send_message(Msg::Report(r)))
                .spawn("worker.js");
            worker.send(Request::Init(settings.backend));
            Self {
                state: AppState::new(settings, notices),
                worker,
            }
        }

        fn update(&mut self, _ctx: &Context<Self>, msg: Msg) -> bool {
            let request = match msg {
                Msg::Report(r) => {
                    self.state.apply(r);
                    None
                }
                Msg::Train => self.state.start(),
                Msg::Cancel => self.state.cancel(),
            };
            if let Some(r) = request {
                self.worker.send(r);
            }
            true
        }

        fn view(&self, ctx: &Context<Self>) -> Html {
            let s = &self.state;
            html! {
                <main>
                    <header>
                        <h1>{ "Upbringing" }</h1>
                        <p class="tagline">{ "Tiny transformers, trained in your browser." }</p>
                    </header>
                    { for s.notices.iter().map(|n| html! { <p class="notice">{ n }</p> }) }
                    { self.view_backend() }
                    <section class="card">
                        <h2>{ "Walking skeleton: learn to reverse a digit string" }</h2>
                        <p>{ format!(
                            "A {}-layer GPT learns to answer ^314= with 413$. {} steps, batch {}, seed {}.",
                            s.settings.demo.n_layers, s.settings.demo.steps, s.settings.demo.batch_size, s.settings.demo.seed
                        ) }</p>
                        { self.view_controls(ctx) }
                        { self.view_progress() }
                        { self.view_chart() }
                        { self.view_samples() }
                    </section>
                    <footer>{ format!("upbringing {VERSION} · burn 0.22 · ") }
                        <a href="?backend=cpu">{ "force the CPU fallback" }</a>
                    </footer>
                </main>
            }
        }
    }

    impl App {
        fn view_backend(&self) -> Html {
            let s = &self.state;
            match &s.backend {
                None => html! { <p id="backend" class="backend" data-kind="">{ "Looking for WebGPU…" }</p> },
                Some(b) => {
                    let what = match b.kind {
                        BackendKind::Wgpu => format!("Training on the GPU (WebGPU): {}", b.label),
                        BackendKind::Flex => format!("Training on the CPU fallback: {}", b.label),
                    };
                    let why = match (&b.fallback_reason, s.settings.backend) {
                        (Some(r), _) => format!(" — no GPU: {r}"),
                        (None, BackendChoice::Cpu) if b.kind == BackendKind::Flex => {
                            " — forced by ?backend=cpu".into()
                        }
                        _ => String::new(),
                    };
                    html! { <p id="backend" class="backend" data-kind={b.kind.name()}>{ what }<span class="why">{ why }</span></p> }
                }
            }
        }

        fn view_controls(&self, ctx: &Context<Self>) -> Html {
            let s = &self.state;
            let training = s.phase == Phase::Training;
            html! {
                <div class="controls">
                    <button id="train" disabled={!s.can_train()} onclick={ctx.link().callback(|_| Msg::Train)}>
                        { if s.phase == Phase::Ready || s.phase == Phase::Detecting { "Train" } else { "Train again" } }
                    </button>
                    <button id="cancel" disabled={!training} onclick={ctx.link().callback(|_| Msg::Cancel)}>{ "Cancel" }</button>
                    <span id="status" data-phase={s.phase.name()}>{ match &s.phase {
                        Phase::Detecting => "starting…".to_string(),
                        Phase::Ready => "ready".into(),
                        Phase::Training => "training…".into(),
                        Phase::Done => format!("done in {:.1} s", s.seconds.unwrap_or_default()),
                        Phase::Cancelled => "cancelled".into(),
                        Phase::Failed(m) => format!("stopped: {m}"),
                    } }</span>
                </div>
            }
        }

        fn view_progress(&self) -> Html {
            let s = &self.state;
            let (first, last) = s.loss_drop().unwrap_or((f32::NAN, f32::NAN));
            html! {
                <div class="progress">
                    <progress id="progress" max={s.total_steps().to_string()} value={s.steps_done.to_string()} />
                    <span>{ format!("step {} / {}", s.steps_done, s.total_steps()) }</span>
                    <span id="speed">{ if s.steps_per_s > 0.0 { format!("{:.1} steps/s", s.steps_per_s) } else { String::new() } }</span>
                    <span id="loss" data-first-loss={first.to_string()} data-last-loss={last.to_string()}
                        data-ms-first-step={s.ms_to_first_step.map(|m| m.to_string()).unwrap_or_default()}>
                        { s.losses.last().map(|l| format!("loss {l:.3}")).unwrap_or_default() }
                    </span>
                </div>
            }
        }

        fn view_chart(&self) -> Html {
            let s = &self.state;
            let chart = LineChart::fit(&s.losses, s.total_steps(), 640.0, 240.0);
            let (w, h, p) = (chart.width, chart.height, chart.pad);
            html! {
                <svg id="loss-chart" viewBox={format!("0 0 {w} {h}")} role="img" aria-label="training loss by step">
                    <line class="axis" x1={p.to_string()} y1={(h - p).to_string()} x2={(w - p).to_string()} y2={(h - p).to_string()} />
                    <line class="axis" x1={p.to_string()} y1={p.to_string()} x2={p.to_string()} y2={(h - p).to_string()} />
                    { for chart.y_ticks(4).into_iter().map(|(v, y)| html! {
                        <text class="tick" x={(p - 4.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ format!("{v:.1}") }</text>
                    }) }
                    <text class="tick" x={(w - p).to_string()} y={(h - p + 16.0).to_string()} text-anchor="end">{ format!("step {}", s.total_steps()) }</text>
                    <text class="label" x={p.to_string()} y={(p - 10.0).to_string()}>{ "loss (answer tokens)" }</text>
                    <polyline class="line" points={chart.points(&s.losses)} />
                </svg>
            }
        }

        fn view_samples(&self) -> Html {
            let s = &self.state;
            if s.samples.is_empty() {
                return html! {};
            }
            html! {
                <div id="samples">
                    <h3>{ format!("Fresh strings, greedy answers: {:.0}% exactly right", 100.0 * s.accuracy.unwrap_or_default()) }</h3>
                    <table>
                        <tr><th>{ "prompt" }</th><th>{ "model" }</th><th>{ "expected" }</th></tr>
                        { for s.samples.iter().map(|x| html! {
                            <tr class={if x.correct { "ok" } else { "wrong" }}>
                                <td><code>{ &x.prompt }</code></td><td><code>{ &x.got }</code></td><td><code>{ &x.expected }</code></td>
                            </tr>
                        }) }
                    </table>
                </div>
            }
        }
    }
}
