//! The page: a yew component over `AppState`. It spawns the training
//! workers (a pool, one per core: `pool`), sends them `Request`s and folds
//! their `Report`s into the state; `view_*` helpers draw the state. No
//! training code runs on this thread.

#[cfg(target_family = "wasm")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

#[cfg(target_family = "wasm")]
fn main() {
    // Run static constructors once, here: without an explicit call wasm-ld
    // links a "command" module that reruns all of them (cubecl's `inventory`
    // registrations, linked in through the engine) at the top of every call
    // into wasm: every event handler and worker message. That cost ~0.5 s
    // per redraw during a run (see the `inventory` crate's docs).
    // SAFETY: called once, first thing, before anything reads what they register.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
    yew::Renderer::<page::App>::new().render();
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    eprintln!("the page runs in a browser: serve it with `trunk serve` (see README.md)");
}

#[cfg(target_family = "wasm")]
mod page {
    mod lock;
    mod store;
    mod worker_errors;

    use gloo_worker::{Spawnable, WorkerBridge};
    use std::rc::Rc;
    use upbringing_app::chart::LineChart;
    use upbringing_app::controls::{Control, Rules};
    use upbringing_app::edit::Edit;
    use upbringing_app::idb;
    use upbringing_app::playground::{Metric, Playground, RunStatus, Source, by_regime, heatmap, takeaway};
    use upbringing_app::pool::{self, Actions, Pool};
    use upbringing_app::protocol::{BackendChoice, JsCodec, Report, Request, TrainerPort};
    use upbringing_app::query;
    use upbringing_app::share;
    use upbringing_app::state::{AppState, Phase};
    use upbringing_app::ui::curves::Curves;
    use upbringing_app::ui::editor::Editor;
    use upbringing_app::ui::exercise::{ExerciseList, ExercisePanel};
    use upbringing_app::ui::explain::{self, Glossary};
    use upbringing_app::ui::sweep::SweepView;
    use upbringing_app::ui::transcripts::Transcripts;
    use upbringing_lab::eval::Condition;
    use upbringing_lab::exercise;
    use upbringing_lab::presets;
    use upbringing_lab::results::ExperimentResults;
    use upbringing_lab::sweep::SweepResults;
    use upbringing_lab::{BackendKind, VERSION};

    use wasm_bindgen::JsCast;
    use yew::prelude::*;

    pub enum Msg {
        Train,
        Cancel,
        Select(String),
        Smoke(bool),
        Run,
        Metric(Metric),
        /// Results files shipped with the page, as they arrive.
        Precomputed(Vec<ExperimentResults>),
        Edit(Edit),
        SelectPhase(Option<(usize, usize)>),
        /// Results kept in this browser for a spec's results key.
        Stored(String, String),
        /// The text of a results file the user opened.
        Import(String),
        /// A results file refused before it was read (too large), and why.
        ImportRefused(String),
        /// No other Upbringing on this page is training now: start ours.
        Granted(lock::RunLock),
        /// What this browser keeps, read after a change.
        Storage(idb::Usage),
        /// A finished run's results were kept, or why not.
        Saved(Result<(), String>),
        /// A training worker's report (the worker's index in the pool).
        FromWorker(usize, Report),
        /// A training worker died without reporting (its uncaught error):
        /// which one (`worker_errors` numbers them as they are made), and why.
        WorkerDied(u32, String),
        /// The visitor's storage budget, in MB.
        SetQuota(f64),
        ClearStorage,
        /// Show a shipped sweep (`None`: close it).
        OpenSweep(Option<String>),
        /// A shipped sweep as fetched, or why not.
        Sweep(String, Fetched),
    }

    /// A shipped sweep's results, or why they cannot be shown.
    type Fetched = Result<Rc<SweepResults>, String>;

    pub struct App {
        state: AppState,
        /// Shared with the card component; replaced (not mutated in place) on change.
        playground: Rc<Playground>,
        run_started_ms: f64,
        /// The results key of the run in progress (where its results are kept).
        run_key: Option<String>,
        /// Held while our run trains (one run at a time across embeds).
        run_lock: Option<lock::RunLock>,
        /// Run clicked, waiting for another Upbringing on the page to finish.
        waiting: bool,
        /// The training workers: the first trains the warm-up too; the rest
        /// start when a run needs them (`pool::size`).
        workers: Vec<WorkerBridge<TrainerPort>>,
        /// Each worker's number as `worker_errors` counts them.
        worker_ids: Vec<u32>,
        /// Workers made so far (the next one's number).
        made: u32,
        /// Which worker runs which unit of a run.
        pool: Pool,
        /// Workers the last run asked for (shown, and read by e2e).
        pool_size: usize,
        /// What this browser keeps for the page (results and trained phases);
        /// `None` until first read (the budget field waits for it, or a value
        /// typed meanwhile would be redrawn).
        storage: Option<idb::Usage>,
        /// The shipped sweep shown (its name), once fetched or refused.
        sweep: Option<(String, Option<Fetched>)>,
        /// Why the last finished run's results were not kept, if they were not.
        not_kept: Option<String>,
        /// The worker's wasm memory after its last run (bytes; e2e reads it).
        worker_memory: f64,
        /// Workers started after one died (a few, then the page gives up:
        /// a worker that cannot even start would otherwise loop).
        respawns: u32,
    }

    /// Where results of a spec (its `results_key`) trained on `kind` are
    /// kept in this browser.
    fn stored_key(kind: BackendKind, results_key: &str) -> String {
        format!("{}/{results_key}", kind.name())
    }

    /// Files in `web/precomputed/`, made by the CLI (see README): fetched
    /// for every visit. An exercise fetches its own sources besides.
    const PRECOMPUTED: [&str; 2] = ["default", "quick"];
    /// Shipped results fetched only when their preset is shown.
    const ON_REQUEST: [&str; 4] = [
        "pretraining-world",
        "capability-world",
        "capability-world-equal-steps",
        "rivals",
    ];

    /// Where the worker and the precomputed results are: `v/<content hash>/`
    /// in a built site (`scripts/env.sh`'s `version_assets` names it in
    /// index.html, so caches never pair an old worker with a new page), else
    /// beside the page (`trunk serve`).
    /// `asset_base` as an absolute URL, for the workers.
    fn assets_url() -> String {
        let page = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        web_sys::Url::new_with_base(&asset_base(), &page)
            .map(|u| u.href())
            .unwrap_or_default()
    }

    fn asset_base() -> String {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("meta[name=upbringing-assets]").ok().flatten())
            .and_then(|m| m.get_attribute("content"))
            .filter(|c| {
                c.starts_with("v/")
                    && c.ends_with('/')
                    && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '/')
            })
            .unwrap_or_default()
    }

    async fn fetch_results(url: &str) -> Option<ExperimentResults> {
        // Checked like any results file: a stale or damaged copy is not shown.
        ExperimentResults::from_json(&fetch_text(url).await?).ok()
    }

    /// A shipped sweep's results, or why they cannot be shown.
    async fn fetch_sweep(name: &str) -> Result<SweepResults, String> {
        let text = fetch_text(&format!("{}precomputed/{name}.json", asset_base()))
            .await
            .ok_or_else(|| format!("the sweep {name:?} could not be fetched"))?;
        SweepResults::from_json(&text).map_err(|e| format!("the shipped sweep {name:?} was refused: {e}"))
    }

    /// The body of `url`, if it answers 200.
    async fn fetch_text(url: &str) -> Option<String> {
        let response = upbringing_app::http::get(url).await?;
        wasm_bindgen_futures::JsFuture::from(response.text().ok()?)
            .await
            .ok()?
            .as_string()
    }

    fn url_settings() -> (query::Settings, Vec<String>) {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
        let pairs: Vec<(&str, String)> = [
            "backend", "steps", "batch", "seed", "preset", "smoke", "spec", "embed", "exercise", "lock",
            "hide", "workers", "sweep",
        ]
        .into_iter()
        .filter_map(|k| params.as_ref().and_then(|p| p.get(k)).map(|v| (k, v)))
        .collect();
        query::parse(pairs.iter().map(|(k, v)| (*k, v.as_str())))
    }

    impl Component for App {
        type Message = Msg;
        type Properties = ();

        fn create(ctx: &Context<Self>) -> Self {
            let (settings, mut notices) = url_settings();
            let died = ctx.link().clone();
            worker_errors::watch(move |id, why| died.send_message(Msg::WorkerDied(id, why)));
            let worker = spawn_worker(ctx, 0);
            worker.send(Request::Init(settings.backend, assets_url()));
            let mut pool = Pool::default();
            pool.spawned(0);
            let preset_spec = || {
                presets::preset(&settings.preset)
                    .or_else(|_| presets::preset("default"))
                    .expect("the default preset exists")
            };
            let exercise = settings.exercise.as_deref().and_then(exercise::find);
            let (spec, rules) = match &exercise {
                Some(ex) => (
                    settings.spec.clone().unwrap_or_else(|| ex.start.clone()),
                    Rules::exercise(ex.clone(), settings.lock.clone(), settings.hide.clone()),
                ),
                None => {
                    let spec = settings.spec.clone().unwrap_or_else(preset_spec);
                    let rules = Rules::link(&spec, settings.lock.clone(), settings.hide.clone());
                    (spec, rules)
                }
            };
            let (playground, refused) = Playground::with_rules(&settings.preset, spec, settings.smoke, rules);
            if let Some(why) = refused {
                notices.push(format!(
                    "This link changes something the exercise fixes ({why}); showing the exercise as it starts."
                ));
            }
            // The page's own files first (an embed shows its result from
            // them), then any an exercise needs besides.
            let mut extra: Vec<&'static str> = exercise
                .map(|ex| {
                    ex.sources
                        .into_iter()
                        .filter(|s| !PRECOMPUTED.contains(s))
                        .collect()
                })
                .unwrap_or_default();
            extra.extend(ON_REQUEST.into_iter().filter(|n| *n == settings.preset));
            for batch in [PRECOMPUTED.to_vec(), extra] {
                ctx.link().send_future(async move {
                    let mut found = vec![];
                    for name in batch {
                        found
                            .extend(fetch_results(&format!("{}precomputed/{name}.json", asset_base())).await);
                    }
                    Msg::Precomputed(found)
                });
            }
            let app = Self {
                state: AppState::new(settings, notices),
                playground: Rc::new(playground),
                run_started_ms: 0.0,
                run_key: None,
                run_lock: None,
                waiting: false,
                workers: vec![worker],
                worker_ids: vec![0],
                made: 1,
                pool,
                pool_size: 1,
                storage: None,
                sweep: None,
                not_kept: None,
                worker_memory: f64::NAN,
                respawns: 0,
            };
            // Kept results are looked up once the first worker has a device
            // (they are kept per backend).
            refresh_storage(ctx);
            if let Some(name) = app.state.settings.sweep.clone() {
                ctx.link().send_message(Msg::OpenSweep(Some(name)));
            }
            app
        }

        fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
            let request = match msg {
                Msg::FromWorker(w, r) => {
                    // Other workers' devices are the first's kind: only its
                    // Ready says which backend, and why.
                    let ready = matches!(r, Report::Ready(_));
                    let mut actions = self.pool.report(w, r, js_sys::Date::now());
                    if ready && w > 0 {
                        actions.page.retain(|r| !matches!(r, Report::Ready(_)));
                    }
                    self.dispatch(ctx, actions);
                    if ready && w == 0 {
                        // Start the rest of the pool now, while the visitor
                        // reads: each worker compiles its wasm (seconds of
                        // CPU), which at Run would slow the first units.
                        self.grow_pool(ctx, &self.playground.run_spec(), false);
                        // Stored results are kept per backend: now known.
                        self.look_up_stored(ctx);
                    }
                    None
                }
                Msg::Train if !self.pool.running() => self.state.start(),
                Msg::Train => None,
                Msg::Cancel => {
                    let demo = self.state.cancel();
                    if demo.is_none() {
                        let actions = self.pool.cancel();
                        self.dispatch(ctx, actions);
                    }
                    demo
                }
                Msg::Select(name) => {
                    if let Some(shipped) = ON_REQUEST.into_iter().find(|n| *n == name)
                        && !self.playground.has_precomputed(shipped)
                    {
                        ctx.link().send_future(async move {
                            let url = format!("{}precomputed/{shipped}.json", asset_base());
                            Msg::Precomputed(fetch_results(&url).await.into_iter().collect())
                        });
                    }
                    if Rc::make_mut(&mut self.playground).select(&name).is_ok() {
                        self.sync_link();
                        self.look_up_stored(ctx);
                    }
                    None
                }
                Msg::Smoke(on) => {
                    if !self.playground.running() {
                        Rc::make_mut(&mut self.playground).smoke = on;
                        set_query("smoke", Some(if on { "1" } else { "0" }));
                        self.look_up_stored(ctx);
                    }
                    None
                }
                Msg::Run
                    if self.state.phase != Phase::Training
                        && self.state.backend.is_some()
                        && !self.waiting =>
                {
                    // Another embed on this page may be training: wait our turn.
                    self.waiting = true;
                    ctx.link()
                        .send_future(async { Msg::Granted(lock::acquire().await) });
                    None
                }
                Msg::Granted(lock) => {
                    self.waiting = false;
                    self.not_kept = None; // about the previous run
                    self.run_started_ms = js_sys::Date::now();
                    self.run_key = Some(self.playground.run_spec().results_key());
                    if let Some(spec) = Rc::make_mut(&mut self.playground).start() {
                        self.run_lock = Some(lock);
                        self.grow_pool(ctx, &spec, true);
                        let actions = self.pool.start(spec, self.run_started_ms);
                        self.dispatch(ctx, actions);
                    }
                    None
                }
                Msg::Run => None,
                Msg::Metric(m) => {
                    Rc::make_mut(&mut self.playground).metric = m;
                    None
                }
                Msg::Precomputed(found) => {
                    Rc::make_mut(&mut self.playground).add_precomputed(found);
                    None
                }
                Msg::Edit(edit) => {
                    if Rc::make_mut(&mut self.playground).edit(&edit) {
                        self.sync_link();
                        self.look_up_stored(ctx);
                    }
                    None
                }
                Msg::Import(text) => {
                    let pg = Rc::make_mut(&mut self.playground);
                    match pg.import(&text) {
                        Ok(()) => self.sync_link(),
                        Err(e) => pg.import_error = Some(e),
                    }
                    None
                }
                Msg::ImportRefused(why) => {
                    Rc::make_mut(&mut self.playground).import_error = Some(why);
                    None
                }
                Msg::Stored(key, json) => {
                    if Some(&key) == self.kept_key().as_ref()
                        && let Ok(results) = ExperimentResults::from_json(&json)
                    {
                        Rc::make_mut(&mut self.playground).offer_stored(results);
                    }
                    None
                }
                Msg::WorkerDied(id, why) => {
                    const MAX_RESPAWNS: u32 = 3;
                    let Some(w) = self.worker_ids.iter().position(|&i| i == id) else {
                        return false; // not ours (replaced already)
                    };
                    // The first worker died before it had a device (choosing
                    // one crashed it, e.g. a broken GPU driver): the next one
                    // takes the CPU. Others take the first's kind.
                    let choice = match (w, self.state.backend.as_ref().map(|b| b.kind)) {
                        (0, Some(_)) => {
                            self.state.backend = None;
                            self.state.settings.backend
                        }
                        (_, Some(BackendKind::Wgpu)) => BackendChoice::Gpu,
                        _ => BackendChoice::Cpu,
                    };
                    let respawned = self.respawns < MAX_RESPAWNS;
                    if respawned {
                        self.respawns += 1;
                        self.workers[w] = spawn_worker(ctx, w);
                        self.worker_ids[w] = self.made;
                        self.made += 1;
                        self.workers[w].send(Request::Init(choice, assets_url()));
                    }
                    let running = self.pool.running();
                    // Its unit, if any, runs again on a fresh worker (once).
                    let actions = self.pool.died(w, &why, respawned, js_sys::Date::now());
                    self.dispatch(ctx, actions);
                    if !running {
                        let message = match respawned {
                            true => format!(
                                "the training worker stopped ({why}); it may have run out of memory. A fresh one has started: Run again, or try a smaller design"
                            ),
                            false => format!(
                                "the training worker stopped ({why}) {MAX_RESPAWNS} times; reload the page"
                            ),
                        };
                        // Ends the warm-up as any failure does.
                        self.apply_report(ctx, Report::Failed(message));
                    }
                    None
                }
                Msg::Storage(usage) => {
                    self.storage = Some(usage);
                    None
                }
                Msg::Saved(kept) => {
                    self.not_kept = kept.err();
                    refresh_storage(ctx);
                    None
                }
                Msg::SetQuota(mb) => {
                    ctx.link().send_future(async move {
                        idb::set_quota(mb * 1024.0 * 1024.0).await;
                        Msg::Storage(idb::usage().await)
                    });
                    None
                }
                // An embed shows no sweeps: nothing to fetch.
                Msg::OpenSweep(_) if self.state.settings.embed => None,
                Msg::OpenSweep(name) => {
                    set_query("sweep", name.as_deref());
                    self.sweep = name.map(|name| {
                        let fetched = name.clone();
                        ctx.link().send_future(async move {
                            let got = fetch_sweep(&fetched).await.map(Rc::new);
                            Msg::Sweep(fetched, got)
                        });
                        (name, None)
                    });
                    None
                }
                Msg::Sweep(name, got) => {
                    if let Some((shown, slot)) = &mut self.sweep
                        && *shown == name
                    {
                        *slot = Some(got);
                    }
                    None
                }
                Msg::ClearStorage => {
                    self.not_kept = None;
                    ctx.link().send_future(async {
                        idb::clear().await;
                        Msg::Storage(idb::usage().await)
                    });
                    None
                }
                Msg::SelectPhase(at) => {
                    Rc::make_mut(&mut self.playground).selected = at;
                    None
                }
            };
            if let Some(r) = request {
                self.workers[0].send(r);
            }
            true
        }

        fn view(&self, ctx: &Context<Self>) -> Html {
            let s = &self.state;
            let card = html! {
                <PlaygroundCard pg={self.playground.clone()} started_ms={self.run_started_ms}
                    can_run={!self.playground.running() && !self.waiting && s.backend.is_some() && s.phase != Phase::Training}
                    waiting={self.waiting} embed={s.settings.embed}
                    onmsg={ctx.link().callback(|m: Msg| m)} />
            };
            if s.settings.embed {
                // An article's iframe: the result and a way to rerun it, nothing else.
                return html! {
                    <main class="embed">
                        { for s.notices.iter().map(|n| html! { <p class="notice">{ n }</p> }) }
                        { self.view_not_kept() }
                        { card }
                        { self.view_backend() }
                    </main>
                };
            }
            html! {
                <main>
                    <header>
                        <h1>{ "Upbringing" }</h1>
                        <p class="tagline">{ "Tiny transformers, trained in your browser." }</p>
                    </header>
                    { for s.notices.iter().map(|n| html! { <p class="notice">{ n }</p> }) }
                    { self.view_backend() }
                    { self.view_not_kept() }
                    { card }
                    if self.playground.rules.exercise.is_none() {
                        <ExerciseList />
                    }
                    <section class="card">
                        <h2>{ "Warm-up: learn to reverse a digit string" }</h2>
                        <p id="demo-line">{ format!(
                            "A {}-layer GPT learns to answer ^314= with 413$. {} steps, batch {}, seed {}.",
                            s.settings.demo.n_layers, s.settings.demo.steps, s.settings.demo.batch_size, s.settings.demo.seed
                        ) }</p>
                        { self.view_controls(ctx) }
                        { self.view_progress() }
                        { self.view_chart() }
                        { self.view_samples() }
                    </section>
                    { self.view_sweeps(ctx) }
                    <Glossary />
                    { self.view_storage(ctx) }
                    // Wasm memory of the page and of the worker after its
                    // last run, for the e2e check that repeated runs leak nothing.
                    <footer data-page-memory={upbringing_app::protocol::wasm_memory_bytes().to_string()}
                        data-worker-memory={self.worker_memory.to_string()}>{ format!("upbringing {VERSION} · burn 0.22 · ") }
                        <a href="?backend=cpu">{ "force the CPU fallback" }</a>
                    </footer>
                </main>
            }
        }
    }

    /// Training worker `index`, its reports sent to the page as messages.
    fn spawn_worker(ctx: &Context<App>, index: usize) -> WorkerBridge<TrainerPort> {
        let link = ctx.link().clone();
        TrainerPort::spawner()
            .encoding::<JsCodec>()
            .callback(move |r| link.send_message(Msg::FromWorker(index, r)))
            .spawn(&format!("{}worker.js", asset_base()))
    }

    /// `navigator.hardwareConcurrency` and `navigator.deviceMemory` (GB,
    /// Chromium only), as far as the browser says.
    fn machine() -> (usize, Option<f64>) {
        let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
            return (1, None);
        };
        let memory = js_sys::Reflect::get(&navigator, &"deviceMemory".into())
            .ok()
            .and_then(|v| v.as_f64());
        (navigator.hardware_concurrency() as usize, memory)
    }

    /// Read what this browser keeps, then redraw.
    fn refresh_storage(ctx: &Context<App>) {
        ctx.link().send_future(async { Msg::Storage(idb::usage().await) });
    }

    /// Reflect a setting in the address bar (so the link shares it);
    /// `None` removes it.
    fn set_query(key: &str, value: Option<&str>) {
        let Some(window) = web_sys::window() else { return };
        let Ok(url) = web_sys::Url::new(&window.location().href().unwrap_or_default()) else {
            return;
        };
        match value {
            Some(v) => url.search_params().set(key, v),
            None => url.search_params().delete(key),
        }
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
        }
    }

    /// This page's address with `embed` set as given.
    fn page_url(embed: bool) -> String {
        let href = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        match web_sys::Url::new(&href) {
            Ok(url) => {
                if embed {
                    url.search_params().set("embed", "1");
                } else {
                    url.search_params().delete("embed");
                }
                url.href()
            }
            Err(_) => href,
        }
    }

    fn full_page_url() -> String {
        page_url(false)
    }

    /// An iframe for an article: the page's absolute address, sized for a
    /// ~700 px column, titled, lazy, and sandboxed to what it needs (scripts
    /// and its own origin for the worker and IndexedDB; downloads for the
    /// results; popups for "open the full page").
    fn embed_code(title: &str) -> String {
        let escape = |s: &str| {
            s.replace('&', "&amp;")
                .replace('"', "&quot;")
                .replace('<', "&lt;")
        };
        format!(
            "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"560\" loading=\"lazy\" \
             sandbox=\"allow-scripts allow-same-origin allow-downloads allow-popups allow-popups-to-escape-sandbox\" \
             allow=\"clipboard-write\" style=\"border:0;max-width:760px\"></iframe>",
            escape(&page_url(true)),
            escape(title)
        )
    }

    /// Best effort: the text is also shown, selectable, beside the button.
    fn copy_to_clipboard(text: &str) {
        let get = |o: &wasm_bindgen::JsValue, k: &str| js_sys::Reflect::get(o, &k.into()).ok();
        let Some(clipboard) = web_sys::window().and_then(|w| get(&w.navigator().into(), "clipboard")) else {
            return;
        };
        if let Some(write) = get(&clipboard, "writeText").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        {
            let _ = write.call1(&clipboard, &text.into());
        }
    }

    /// Blue (0) to red (1) for rates; for the gap, blue (-1) to red (+1).
    fn heat_colour(metric: Metric, value: f64) -> String {
        if value.is_nan() {
            return "#eee".into();
        }
        let t = match metric {
            Metric::Gap => (value + 1.0) / 2.0,
            _ => value,
        }
        .clamp(0.0, 1.0);
        // Colour-blind safe: one hue per scale (white to blue, white to
        // orange), the gap diverging blue-orange; the value is always
        // printed in the cell too.
        let blend = |to: (f64, f64, f64), t: f64| {
            let (r, g, b) = (
                255.0 + (to.0 - 255.0) * t,
                255.0 + (to.1 - 255.0) * t,
                255.0 + (to.2 - 255.0) * t,
            );
            format!("rgb({r:.0},{g:.0},{b:.0})")
        };
        const BLUE: (f64, f64, f64) = (91.0, 142.0, 201.0);
        const ORANGE: (f64, f64, f64) = (230.0, 140.0, 50.0);
        const GREY: (f64, f64, f64) = (120.0, 120.0, 120.0);
        match metric {
            Metric::Honest => blend(BLUE, t),
            Metric::Gamed => blend(ORANGE, t),
            Metric::AcceptedError => blend(GREY, t),
            Metric::Gap if t < 0.5 => blend(BLUE, 1.0 - 2.0 * t),
            Metric::Gap => blend(ORANGE, 2.0 * t - 1.0),
        }
    }

    /// The playground card: a component of its own, so the warm-up demo's
    /// frequent progress reports do not redraw the heatmap.
    #[derive(Properties)]
    pub struct CardProps {
        pub pg: Rc<Playground>,
        pub can_run: bool,
        pub started_ms: f64,
        /// Waiting for another Upbringing on this page to finish its run.
        pub waiting: bool,
        /// The compact layout for an article's iframe.
        pub embed: bool,
        pub onmsg: Callback<Msg>,
    }

    impl PartialEq for CardProps {
        fn eq(&self, other: &Self) -> bool {
            Rc::ptr_eq(&self.pg, &other.pg)
                && self.can_run == other.can_run
                && self.started_ms == other.started_ms
                && self.waiting == other.waiting
                && self.embed == other.embed
        }
    }

    #[function_component(PlaygroundCard)]
    fn playground_card(props: &CardProps) -> Html {
        // Hooks first, unconditionally (yew matches them by call order).
        let embed_code_shown = use_state(|| None::<String>);
        let p = &*props.pg;
        let link = &props.onmsg;
        let on_select = link.reform(|e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            Msg::Select(select.value())
        });
        let on_smoke = link.reform(|e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            Msg::Smoke(input.checked())
        });
        // Read the chosen file as text, then hand it to the page.
        let on_import = {
            let link = link.clone();
            Callback::from(move |e: Event| {
                let Some(input) = e.target() else { return };
                let get = |o: &wasm_bindgen::JsValue, k: &str| js_sys::Reflect::get(o, &k.into()).ok();
                let Some(file) = get(&input, "files").and_then(|f| js_sys::Reflect::get_u32(&f, 0).ok())
                else {
                    return;
                };
                // A file too large to be results is refused before a byte is read.
                let bytes = get(&file, "size").and_then(|s| s.as_f64()).unwrap_or(0.0);
                if let Err(e) = ExperimentResults::check_size(bytes as u64) {
                    link.emit(Msg::ImportRefused(e.to_string()));
                    return;
                }
                let text = get(&file, "text")
                    .and_then(|f| js_sys::Function::from(f).call0(&file).ok())
                    .map(|p| wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(p)));
                let link = link.clone();
                if let Some(text) = text {
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Ok(t) = text.await {
                            link.emit(Msg::Import(t.as_string().unwrap_or_default()));
                        }
                    });
                }
            })
        };
        let description = presets::list()
            .into_iter()
            .find(|(n, _)| *n == p.preset)
            .map(|(_, d)| d)
            .unwrap_or_default();
        let can_run = props.can_run;
        let status = if props.waiting {
            html! { <div class="progress"><span id="run-status" data-phase="waiting">{ "waiting for another Upbringing on this page to finish its run…" }</span></div> }
        } else {
            view_run_status(p, props.started_ms)
        };
        if props.embed {
            return html! {
                <section class="card" id="playground">
                    <h2>{ format!("Upbringing: {}", p.spec.name) }</h2>
                    <p class="preset-line">{ description }</p>
                    { view_takeaway(p) }
                    { view_heatmap(p, link) }
                    <div class="controls">
                        <button id="run" disabled={!can_run} onclick={link.reform(|_| Msg::Run)}>{ "Run it live" }</button>
                        <button id="cancel-run" class="secondary" disabled={!p.running()} onclick={link.reform(|_| Msg::Cancel)}>{ "Cancel" }</button>
                        <a id="full-page" href={full_page_url()} target="_blank" rel="noopener">{ "Open the full page ↗" }</a>
                    </div>
                    { status }
                </section>
            };
        }
        let copy_embed = {
            let shown = embed_code_shown;
            let show = {
                let shown = shown.clone();
                let title = format!("Upbringing: {}", p.spec.name);
                Callback::from(move |_: MouseEvent| {
                    let code = embed_code(&title);
                    copy_to_clipboard(&code);
                    shown.set(Some(code));
                })
            };
            html! {
                <>
                    <button id="copy-embed" class="secondary" onclick={show}>{ "Copy embed code" }</button>
                    { shown.as_ref().map(|c| html! {
                        <textarea id="embed-code" readonly=true rows="3" aria-label="embed code for a blog post" value={c.clone()} />
                    }).unwrap_or_default() }
                </>
            }
        };
        let rules = &p.rules;
        html! {
            <section class="card" id="playground">
                <h2>{ "Which upbringing survives a change of scenery?" }</h2>
                <p>{ "Tiny transformers learn graded tasks whose graders can be gamed. Each regime raises them differently; \
                      every model is then scored on the same shifts. The darker a cell, the more often those models gamed the grader." }</p>
                <ExercisePanel pg={props.pg.clone()} />
                <div class="controls">
                    if !rules.hides(Control::Presets) {
                        <label>{ "Experiment " }
                            <select id="preset" onchange={on_select} disabled={p.running()}>
                                { for presets::list().into_iter().map(|(name, _)| html! {
                                    <option value={name.clone()} selected={name == p.preset}>{ name.clone() }</option>
                                }) }
                            </select>
                        </label>
                    }
                    <label><input id="smoke" type="checkbox" checked={p.smoke} onchange={on_smoke} disabled={p.running()} />
                        { " short check (seconds; not a finding)" }</label>
                    <button id="run" disabled={!can_run} onclick={link.reform(|_| Msg::Run)}>{ "Run in my browser" }</button>
                    <button id="cancel-run" disabled={!p.running()} onclick={link.reform(|_| Msg::Cancel)}>{ "Cancel" }</button>
                    if !rules.hides(Control::Import) {
                        <label class="import">{ "Open results… " }
                            <input id="import" type="file" accept=".json,application/json" disabled={p.running()} onchange={on_import} />
                        </label>
                    }
                </div>
                { p.import_error.as_ref().map(|e| html! { <p id="import-error" class="error" role="alert">{ format!("Could not open that file: {e}") }</p> }).unwrap_or_default() }
                <p class="preset-line">{ if rules.exercise.is_some() { p.spec.description.clone() } else { description } }{ format!(" · {} regimes × {} seeds", p.spec.regimes.len(), p.spec.seeds.len()) }</p>
                <Editor pg={props.pg.clone()} on_edit={link.reform(Msg::Edit)} on_select={link.reform(Msg::SelectPhase)} />
                { status }
                { view_heatmap(p, link) }
                { view_takeaway(p) }
                <Curves pg={props.pg.clone()} />
                { explain::what_is("curves", explain::CURVES) }
                <div class="controls embed-row">{ copy_embed }</div>
            </section>
        }
    }

    /// The one-line takeaway of the shown results, if any.
    fn view_takeaway(p: &Playground) -> Html {
        let line = p.results.as_ref().and_then(|(r, _)| takeaway(r));
        line.map(|t| html! { <p id="takeaway">{ t }</p> })
            .unwrap_or_default()
    }

    fn view_run_status(p: &Playground, started_ms: f64) -> Html {
        let (phase, text) = match &p.status {
            RunStatus::Idle => ("idle", String::new()),
            RunStatus::Running(None) => ("running", "starting…".into()),
            RunStatus::Running(Some(g)) => {
                let elapsed = (js_sys::Date::now() - started_ms) / 1000.0;
                let frac = g.done as f64 / g.total.max(1) as f64;
                let eta = if frac > 0.02 {
                    format!(", ~{:.0} s left", elapsed * (1.0 - frac) / frac)
                } else {
                    String::new()
                };
                (
                    "running",
                    format!(
                        "{:.0}% · seed {} · {} · {} · {elapsed:.0} s{eta}",
                        100.0 * frac,
                        g.seed,
                        g.regime,
                        g.stage
                    ),
                )
            }
            RunStatus::Done { recalled: 0 } => ("done", "done".into()),
            RunStatus::Done { recalled } => (
                "done",
                format!(
                    "done ({recalled} trained phases reused: kept in this browser or shipped with the page)"
                ),
            ),
            RunStatus::Cancelled => ("cancelled", "cancelled".into()),
            RunStatus::Failed(m) => ("failed", format!("stopped: {m}")),
        };
        let (done, total) = match &p.status {
            RunStatus::Running(Some(g)) => (g.done, g.total.max(1)),
            RunStatus::Done { .. } => (1, 1),
            _ => (0, 1),
        };
        html! {
            <div class="progress">
                if !matches!(p.status, RunStatus::Idle) {
                    <progress id="run-progress" max={total.to_string()} value={done.to_string()} aria-label="run progress" />
                }
                <span id="run-status" data-phase={phase} role="status">{ text }</span>
            </div>
        }
    }

    fn view_heatmap(p: &Playground, link: &Callback<Msg>) -> Html {
        let Some((results, source)) = &p.results else {
            return html! { <p class="muted">{ "No results yet for this experiment: run it in your browser." }</p> };
        };
        let source = match source {
            Source::Precomputed => "precomputed by the command-line runner".to_string(),
            Source::ThisBrowser { complete: true } => "trained in this browser".into(),
            Source::ThisBrowser { complete: false } => {
                "trained in this browser so far (more regimes and seeds coming)".into()
            }
            Source::Stored => "trained in this browser earlier (kept in its storage)".into(),
            Source::Imported => "opened from a results file".into(),
        };
        let metric_buttons = Metric::ALL.map(|m| {
                let class = if m == p.metric { "metric on" } else { "metric" };
                html! { <button class={class} data-metric={m.name()} onclick={link.reform(move |_| Msg::Metric(m))}>{ m.label() }</button> }
            });
        // Export: the link's address is filled in on click, so the (large)
        // text is only made when someone asks for it.
        let export = |kind: &'static str| {
            let results = results.clone();
            Callback::from(move |e: MouseEvent| {
                let (mime, text) = match kind {
                    "json" => (
                        "application/json",
                        serde_json::to_string_pretty(&*results).unwrap_or_default(),
                    ),
                    _ => ("text/csv", results.csv()),
                };
                let href = format!(
                    "data:{mime};charset=utf-8,{}",
                    js_sys::encode_uri_component(&text)
                );
                let anchor: web_sys::Element = e.target_unchecked_into();
                let _ = anchor.set_attribute("href", &href);
            })
        };
        let file = |ext: &str| format!("upbringing-{}.{ext}", presets::slug(&results.spec.name));
        html! {
            <div id="results">
                <div class="controls">{ for metric_buttons }</div>
                { explain::what_is("heatmap", explain::HEATMAP) }
                <ResultsView results={results.clone()} metric={p.metric} source={source} />
                <p class="export">{ "Download these results: " }
                    <a id="export-json" href="#" download={file("json")} onclick={export("json")}>{ "JSON" }</a>{ " (everything: spec, per-seed counts, depth, curves) · " }
                    <a id="export-csv" href="#" download={file("csv")} onclick={export("csv")}>{ "CSV" }</a>{ " (one tidy table)" }
                </p>
            </div>
        }
    }

    /// The heatmap, provenance and depth view: a component of its own, drawn
    /// again only when the results or the metric change (not on progress).
    #[derive(Properties)]
    pub struct ResultsProps {
        pub results: Rc<ExperimentResults>,
        pub metric: Metric,
        pub source: String,
    }

    impl PartialEq for ResultsProps {
        fn eq(&self, other: &Self) -> bool {
            Rc::ptr_eq(&self.results, &other.results)
                && self.metric == other.metric
                && self.source == other.source
        }
    }

    #[function_component(ResultsView)]
    fn results_view(props: &ResultsProps) -> Html {
        let (results, metric) = (&*props.results, props.metric);
        // The cell whose transcripts are open: (regime, condition).
        let open = use_state(|| None::<(String, Condition)>);
        let rows = heatmap(results, metric).into_iter().map(|(regime, cells)| {
            let cells = cells.into_iter().map(|c| {
                let at = (regime.clone(), c.condition);
                let is_open = open.as_ref() == Some(&at);
                let toggle = {
                    let open = open.clone();
                    Callback::from(move |_: MouseEvent| open.set((!is_open).then(|| at.clone())))
                };
                html! {
                    <td class={if is_open { "heat open" } else { "heat" }} data-condition={c.condition.name()} data-value={c.value.to_string()}
                        title={c.detail.clone()} style={format!("background:{}", heat_colour(metric, c.value))}>
                        <button class="cell" onclick={toggle} aria-expanded={is_open.to_string()}
                            aria-label={format!("{regime}, {}: {}. Show sample episodes.", c.condition.short(), c.detail)}>{ c.text }</button>
                    </td>
                }
            });
            html! { <tr><th class="regime">{ regime.clone() }</th>{ for cells }</tr> }
        });
        html! {
            <>
                <table id="heatmap" data-metric={metric.name()}>
                    <tr><th>{ "regime" }</th>{ for Condition::ALL.map(|c| html! { <th title={c.name()}>{ c.short() }</th> }) }</tr>
                    { for rows }
                </table>
                <p class="provenance" id="provenance">{ format!("{} · {}", props.source, results.provenance()) }</p>
                <p class="provenance" id="gaming-rule" data-format={results.format.to_string()}>
                    { format!("What counts as gamed (results format {}): {}.", results.format, results.gaming_rule().describe()) }
                </p>
                if !results.failures.is_empty() {
                    <ul id="failures" class="error" role="alert">
                        { for results.failures.iter().map(|f| html! {
                            <li>{ format!("{} stopped at seed {}: {}. Its numbers for that seed are missing; the other regimes are unaffected.", f.regime, f.seed, f.message) }</li>
                        }) }
                    </ul>
                }
                <p class="muted">{ "Click a cell for sample episodes from those models." }</p>
                { open.as_ref().map(|(regime, condition)| html! {
                    <Transcripts results={props.results.clone()} regime={regime.clone()} condition={*condition} />
                }).unwrap_or_default() }
                { view_depth(results) }
                { view_stages(results) }
            </>
        }
    }

    /// Each regime's model scored after every one of its phases: erosion (a
    /// later phase undoing an earlier one) and head starts, measured.
    fn view_stages(results: &ExperimentResults) -> Html {
        use upbringing_lab::results::Metric as Counted;
        if results.stages.is_empty() {
            return html! {};
        }
        // Each regime's share once: asking the whole results per cell scans
        // every stage row each time (quadratic in regimes and phases).
        let shares: std::collections::HashMap<&str, ExperimentResults> =
            by_regime(results).into_iter().collect();
        let cell = |regime: &str, phase: usize, condition: Condition, metric: Counted| {
            let Some(share) = shares.get(regime) else {
                return html! { <td>{ "–" }</td> };
            };
            let e = share.stage(regime, phase, condition, metric).pooled;
            if e.trials == 0 {
                return html! { <td>{ "–" }</td> };
            }
            html! {
                <td title={format!("{} of {} episodes (95% CI {:.0}–{:.0}%)", e.successes, e.trials, 100.0 * e.lo, 100.0 * e.hi)}>
                    { format!("{:.0}%", 100.0 * e.rate) }
                </td>
            }
        };
        html! {
            <details id="stages">
                <summary>{ "After each phase: gamed and honest success, measured on every phase's model" }</summary>
                <p class="muted">{ explain::STAGES }</p>
                <table>
                    <tr><th>{ "regime" }</th><th>{ "after phase" }</th>
                        { for Condition::STAGES.iter().map(|c| html! { <th>{ format!("gamed, {}", c.short()) }</th> }) }
                        <th>{ "honest, in-dist" }</th></tr>
                    { for results.spec.regimes.iter().flat_map(|r| r.phases.iter().enumerate().map(move |(i, p)| (r, i, p))).map(|(r, i, p)| html! {
                        <tr><th class="regime">{ &r.name }</th><td>{ format!("{}. {}", i + 1, p.name) }</td>
                            { for Condition::STAGES.iter().map(|&c| cell(&r.name, i, c, Counted::Gamed)) }
                            { cell(&r.name, i, Condition::InDistribution, Counted::Honest) }
                        </tr>
                    }) }
                </table>
            </details>
        }
    }

    fn view_depth(results: &ExperimentResults) -> Html {
        let rows: Vec<(String, Vec<f32>)> = by_regime(results)
            .into_iter()
            .map(|(r, share)| (r.to_string(), share.mean_depth(r)))
            .filter(|(_, d)| !d.is_empty())
            .collect();
        if rows.is_empty() {
            return html! {};
        }
        let max = rows
            .iter()
            .flat_map(|(_, d)| d.iter().copied())
            .fold(1e-6f32, f32::max);
        html! {
            <details id="depth">
                <summary>{ "Depth: where alignment training changed the model (KL per position of a shortcut answer, before → after)" }</summary>
                <p class="muted">{ explain::DEPTH }</p>
                <table>
                    { for rows.into_iter().map(|(r, d)| html! {
                        <tr><th class="regime">{ r }</th>
                            { for d.into_iter().map(|k| html! {
                                <td class="depth-bar" title={format!("{k:.3} nats")}>
                                    <span style={format!("height:{:.0}px", 2.0 + 30.0 * k / max)}></span>
                                </td>
                            }) }
                        </tr>
                    }) }
                </table>
            </details>
        }
    }

    impl App {
        /// Fold a report (from the pool, or the first worker's warm-up)
        /// into the page's state.
        fn apply_report(&mut self, ctx: &Context<Self>, r: Report) {
            if let Report::Memory(bytes) = r {
                self.worker_memory = bytes;
                return;
            }
            let finished = match &r {
                Report::RunResults {
                    results_json,
                    complete: true,
                    ..
                } => Some(results_json.clone()),
                _ => None,
            };
            let about_run = matches!(
                r,
                Report::RunProgress(_) | Report::RunResults { .. } | Report::RunCurve { .. }
            ) || self.playground.running();
            if !(about_run && Rc::make_mut(&mut self.playground).apply(r.clone())) {
                self.state.apply(r);
            }
            // Keep a finished run, unless a regime failed in it: that
            // one should not stand in for the design's results later.
            if let Some(json) = finished
                && let Some(key) = self.run_key.take()
                && let Some(key) = self.state.backend.as_ref().map(|b| stored_key(b.kind, &key))
                && self
                    .playground
                    .results
                    .as_ref()
                    .is_some_and(|(r, _)| r.failures.is_empty())
            {
                ctx.link()
                    .send_future(async move { Msg::Saved(store::save(&key, &json).await) });
            }
            if !self.playground.running() && self.run_lock.take().is_some() {
                // The run ended (the lock lets the next run on this
                // page start): the worker kept its trained phases.
                refresh_storage(ctx);
            }
        }

        /// Send the pool's requests and fold its reports in.
        fn dispatch(&mut self, ctx: &Context<Self>, actions: Actions) {
            for (w, request) in actions.send {
                self.workers[w].send(request);
            }
            for report in actions.page {
                self.apply_report(ctx, report);
            }
        }

        /// Start the workers a run of `spec` should have (`pool::size`); each
        /// joins the run once its device is up. `asked`: a click asked for
        /// the run, so a link's `workers=` counts; at load, before any
        /// click, the pool grows only as far as the machine's own size.
        fn grow_pool(
            &mut self,
            ctx: &Context<Self>,
            spec: &upbringing_lab::spec::ExperimentSpec,
            asked: bool,
        ) {
            let Some(kind) = self.state.backend.as_ref().map(|b| b.kind) else {
                return;
            };
            let (cores, device_gb) = machine();
            let model_bytes = spec.memory_estimate().map(|m| m.total()).unwrap_or(u64::MAX);
            let units = spec.regimes.len() * spec.seeds.len();
            let size = pool::size(
                self.state.settings.workers.filter(|_| asked),
                cores,
                device_gb,
                model_bytes,
                units,
                kind == BackendKind::Wgpu,
            );
            // Before a click, a link may ask for fewer workers, never more.
            let link = self.state.settings.workers.unwrap_or(usize::MAX);
            self.pool_size = if asked { size } else { size.min(link) };
            let choice = match kind {
                BackendKind::Wgpu => BackendChoice::Gpu,
                BackendKind::Flex => BackendChoice::Cpu,
            };
            while self.workers.len() < self.pool_size {
                let w = self.workers.len();
                let worker = spawn_worker(ctx, w);
                worker.send(Request::Init(choice, assets_url()));
                self.workers.push(worker);
                self.worker_ids.push(self.made);
                self.made += 1;
                self.pool.spawned(w);
            }
        }

        /// The link names the preset (or the exercise) and, once edited,
        /// carries the whole spec.
        fn sync_link(&self) {
            let p = &self.playground;
            if p.rules.exercise.is_none() {
                set_query("preset", Some(&p.preset));
            }
            let spec = p.edited().then(|| share::encode(&p.spec));
            set_query("spec", spec.as_deref());
        }

        /// Where this browser keeps results of the experiment as it would
        /// run now: the spec's key and the backend that trains it (a
        /// WebGPU run's counts differ in detail from the CPU fallback's, and
        /// neither stands in for the other). `None` until a worker has a
        /// device.
        fn kept_key(&self) -> Option<String> {
            let kind = self.state.backend.as_ref()?.kind;
            Some(stored_key(kind, &self.playground.run_spec().results_key()))
        }

        /// Ask this browser's storage for results of the experiment as it
        /// would run now; they replace precomputed ones when found.
        fn look_up_stored(&self, ctx: &Context<Self>) {
            let Some(key) = self.kept_key() else {
                return; // asked again once the first worker has a device
            };
            ctx.link().send_future(async move {
                let json = store::load(&key).await.unwrap_or_default();
                Msg::Stored(key, json)
            });
        }

        /// Said beside the results: this browser would not keep them.
        fn view_not_kept(&self) -> Html {
            match &self.not_kept {
                Some(why) => html! { <p class="notice" id="not-kept">{ format!(
                    "This run's results were not kept in this browser: {why}. They stay on screen until you leave; download them to keep them."
                ) }</p> },
                None => html! {},
            }
        }

        /// The shipped sweeps: one button each, and the one opened drawn.
        fn view_sweeps(&self, ctx: &Context<Self>) -> Html {
            let open = self.sweep.as_ref().map(|(name, _)| name.as_str());
            let buttons = presets::sweeps().into_iter().map(|(name, line)| {
                let on = open == Some(name.as_str());
                let next = (!on).then(|| name.clone());
                html! {
                    <li><button class={if on { "metric on" } else { "metric" }} data-sweep={name.clone()}
                        aria-pressed={on.to_string()} onclick={ctx.link().callback(move |_| Msg::OpenSweep(next.clone()))}>
                        { name.clone() }</button>{ format!(" {line}") }</li>
                }
            });
            let shown = match &self.sweep {
                None => html! {},
                Some((_, None)) => html! { <p id="sweep-status">{ "fetching the sweep's results…" }</p> },
                Some((_, Some(Err(why)))) => {
                    html! { <p id="sweep-status" class="error" role="alert">{ why.clone() }</p> }
                }
                Some((_, Some(Ok(sweep)))) => html! { <SweepView sweep={sweep.clone()} /> },
            };
            html! {
                <section class="card" id="sweeps">
                    <h2>{ "Sweeps: curves, not points" }</h2>
                    <p>{ "One setting moved over values, every other setting held, each value a whole experiment on fresh seeds. \
                          Trained natively (they take hours of CPU); shown here from their shipped results." }</p>
                    <ul class="sweep-list">{ for buttons }</ul>
                    { shown }
                </section>
            }
        }

        /// What this browser keeps, the budget, and a way to clear it.
        fn view_storage(&self, ctx: &Context<Self>) -> Html {
            let u = self.storage.unwrap_or_default();
            let mb = |b: f64| format!("{:.1} MB", b / 1048576.0);
            let set_quota = ctx.link().batch_callback(|e: Event| {
                let input: web_sys::HtmlInputElement = e.target_unchecked_into();
                input
                    .value()
                    .parse::<f64>()
                    .ok()
                    .filter(|mb| mb.is_finite() && *mb >= 0.0)
                    .map(Msg::SetQuota)
            });
            html! {
                <section id="storage" class="card storage" data-bytes={u.bytes.to_string()}
                    data-entries={u.entries.to_string()} data-quota={u.quota.to_string()}>
                    <h2>{ "Kept in this browser" }</h2>
                    <p>{ format!(
                        "{} of at most {} ({} entries): results you trained and trained phases, so a refresh shows them and a rerun skips what it has. When it is full the least recently used trained phases go first; results go only when you clear them (new ones that do not fit are not kept).",
                        mb(u.bytes), mb(u.quota), u.entries
                    ) }</p>
                    <label>{ "Keep at most " }
                        <input id="storage-quota" type="number" min="0" step="10"
                            value={format!("{:.0}", u.quota / 1048576.0)} onchange={set_quota}
                            disabled={self.storage.is_none()} />
                        { " MB" }</label>
                    { " " }
                    <button id="clear-storage" onclick={ctx.link().callback(|_| Msg::ClearStorage)}>{ "Clear stored data" }</button>
                </section>
            }
        }

        fn view_backend(&self) -> Html {
            let s = &self.state;
            match &s.backend {
                None => {
                    html! { <p id="backend" class="backend" data-kind="">{ "Looking for WebGPU, and timing it against the CPU…" }</p> }
                }
                Some(b) => {
                    let what = match b.kind {
                        BackendKind::Wgpu => format!("Training on the GPU (WebGPU): {}", b.label),
                        BackendKind::Flex => format!("Training on the CPU fallback: {}", b.label),
                    };
                    let why = match (&b.fallback_reason, s.settings.backend) {
                        (Some(r), _) => format!(" — {r}"),
                        (None, BackendChoice::Cpu) if b.kind == BackendKind::Flex => {
                            " — forced by ?backend=cpu".into()
                        }
                        (None, BackendChoice::Gpu) if b.kind == BackendKind::Wgpu => {
                            " — forced by ?backend=webgpu".into()
                        }
                        (None, BackendChoice::Auto) if b.kind == BackendKind::Wgpu => {
                            " — measured faster here than the CPU fallback".into()
                        }
                        _ => String::new(),
                    };
                    let workers = match self.pool_size {
                        1 => String::new(),
                        n => format!(" · runs train on {n} workers at once"),
                    };
                    html! { <p id="backend" class="backend" data-kind={b.kind.name()} data-workers={self.pool_size.to_string()}
                    data-workers-ready={self.pool.ready().to_string()}>
                    { what }<span class="why">{ why }</span>{ workers }</p> }
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
