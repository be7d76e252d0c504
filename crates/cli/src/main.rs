//! `upbringing`: the native front end over `lab`. Parses arguments, picks the
//! backend, prints results; everything else lives in the engine.

mod alloc;
mod jobs;
mod progress;

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use upbringing_lab::bench::{BenchConfig, run_bench};
use upbringing_lab::demo::{DemoConfig, DemoRun};
use upbringing_lab::host::ProgressHost;
use upbringing_lab::results::{ExperimentResults, Metric};
use upbringing_lab::spec::ExperimentSpec;
use upbringing_lab::sweep::{self, SweepResults};
use upbringing_lab::{Backend, BackendKind, VERSION, analysis, exercise, experiment, presets, shard};

#[derive(Parser)]
#[command(
    name = "upbringing",
    version,
    about = "Raise tiny transformers under different training regimes."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train/sample speed, comparable with shared/bench/torch_ref.py.
    Bench {
        /// tiny or small (shapes as in torch_ref.py).
        #[arg(long, default_value = "tiny")]
        config: String,
        /// flex (CPU) or wgpu (GPU; Vulkan natively).
        #[arg(long, default_value = "flex")]
        backend: String,
        /// CPU threads for flex (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Timed training steps (after 10 warm-up steps).
        #[arg(long, default_value_t = 200)]
        steps: usize,
        /// Print one JSON line (the peer's keys plus `backend`).
        #[arg(long)]
        json: bool,
    },
    /// Train and evaluate an experiment: a preset or a spec file.
    Run {
        /// A preset name (see `upbringing presets`).
        #[arg(long, conflicts_with = "spec", required_unless_present = "spec")]
        preset: Option<String>,
        /// A spec file (JSON; `upbringing spec --preset NAME` prints one to start from).
        #[arg(long)]
        spec: Option<std::path::PathBuf>,
        /// Run N seeds, counting up from the spec's first, instead of its list.
        #[arg(long)]
        seeds: Option<u64>,
        #[arg(long, default_value = "flex")]
        backend: String,
        /// CPU threads for flex (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Units (one regime at one seed) trained at once, each in its own
        /// process (default: all cores; results do not depend on it).
        #[arg(long)]
        jobs: Option<usize>,
        /// Write everything (spec, per-seed counts, depth, curves) as JSON.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Write the tidy table (one row per regime, condition, seed, metric).
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
        /// Run only part K of N balanced parts (regime × seed units) and
        /// write a partial results file; `upbringing merge` joins the parts.
        /// For array jobs (Slurm, Kubernetes Indexed Jobs: see deploy/).
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
    },
    /// Join the partial results files of `run --shard K/N` into the file one
    /// process would have written (refuses repeated, missing or foreign parts).
    Merge {
        /// The parts, in any order.
        #[arg(required = true)]
        parts: Vec<std::path::PathBuf>,
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// List the presets, one line each.
    Presets,
    /// Print a saved results file again (the table, or markdown for RESULTS.md).
    Report {
        #[arg(long)]
        results: std::path::PathBuf,
        #[arg(long)]
        markdown: bool,
        /// Test the results' own pre-registered plan on them (their preset's,
        /// else the pretraining world's; paired over seeds, Holm-corrected;
        /// see docs/flagship-plan.md and docs/analysis-plan.md).
        #[arg(long)]
        plan: bool,
        /// Compare two regimes, paired over seeds, on every condition.
        #[arg(long, num_args = 2, value_names = ["A", "B"])]
        compare: Option<Vec<String>>,
        /// The metric for --compare: gamed, honest, accepted_error or recovered.
        #[arg(long, default_value = "gamed")]
        metric: String,
        /// Also write the tidy CSV.
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// Print a pre-registered analysis plan (Markdown): the flagship's (the
    /// default), another preset's that has one, or a shipped sweep's.
    Plan {
        /// A preset with a plan of its own (default, pretraining-world, capability-world,
        /// capability-world-equal-steps, rivals).
        #[arg(long, conflicts_with = "sweep")]
        preset: Option<String>,
        /// A shipped sweep (see `upbringing presets`).
        #[arg(long)]
        sweep: Option<String>,
    },
    /// Print a preset's spec as JSON.
    Spec {
        #[arg(long)]
        preset: String,
        /// Pad every regime of more than one phase with neutral pretraining
        /// text to the longest regime's steps (run the result with `run --spec`).
        #[arg(long)]
        equal_steps: bool,
    },
    /// A classroom exercise: list them (no name), or check a design against
    /// one: its start (default), its known solution, or a results file a
    /// student exported from the page.
    Exercise {
        /// The exercise's slug (as in the page's `?exercise=`).
        name: Option<String>,
        /// Judge this results file instead: its design must keep what the
        /// exercise fixes, and its counts are what the goal is read from.
        #[arg(long, conflicts_with = "solution")]
        check: Option<std::path::PathBuf>,
        /// Judge the exercise's known solution instead of its start.
        #[arg(long)]
        solution: bool,
        /// Where the shipped results are (start and solution are read off them).
        #[arg(long, default_value = "web/precomputed")]
        precomputed: std::path::PathBuf,
        /// Write the results the verdict was read from (JSON, as the page exports).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// (Internal) one seed of an experiment (a unit's spec), for `run
    /// --jobs`: progress on stderr, the outcome as JSON in `--out`, trained
    /// prefixes shared through `--checkpoints`.
    #[command(hide = true)]
    Seed {
        #[arg(long)]
        spec: std::path::PathBuf,
        #[arg(long)]
        seed: u64,
        #[arg(long)]
        backend: String,
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long)]
        checkpoints: Option<std::path::PathBuf>,
    },
    /// Train the page's demo task (reverse a digit string) and show samples.
    Demo {
        #[arg(long, default_value = "flex")]
        backend: String,
        #[arg(long, default_value_t = 300)]
        steps: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    alloc::tune();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn backend(name: &str) -> Result<Backend, Box<dyn std::error::Error>> {
    Ok(pollster::block_on(Backend::init(BackendKind::from_name(name)?))?)
}

/// Size the pool burn-flex runs on; returns the thread count.
fn set_threads(threads: Option<usize>) -> Result<usize, Box<dyn std::error::Error>> {
    let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // The calling thread is the pool's thread 0: it works on burn-flex's
    // parallel ops instead of waiting for a worker to wake, and the pool never
    // holds more threads than asked (an extra spinning thread on a 2-core
    // machine slows every step).
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .use_current_thread()
        .build_global()?;
    Ok(threads)
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Run {
            preset,
            spec,
            seeds,
            backend: name,
            threads,
            jobs,
            out,
            csv,
            shard,
        } => {
            let mut spec = match (preset, spec) {
                (Some(name), _) => preset_or_sweep(&name)?,
                (None, Some(path)) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read spec {}: {e}", path.display()))?;
                    ExperimentSpec::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
                }
                (None, None) => unreachable!("clap requires --preset or --spec"),
            };
            if let Some(n) = seeds {
                spec.set_seed_count(n);
            }
            spec.validate()?;
            let threads = set_threads(threads)?;
            let backend = backend(&name)?;
            let label = format!("{} ({threads} threads)", backend.label);
            let backend = Backend { label, ..backend };
            if spec.sweep.is_some() {
                if shard.is_some() {
                    return Err(
                        "a sweep runs whole here; --shard splits single experiments (give each value its \
                                own spec to split it)"
                            .into(),
                    );
                }
                return run_sweep(
                    &spec,
                    &backend,
                    jobs.unwrap_or(threads),
                    out.as_deref(),
                    csv.as_deref(),
                );
            }
            let results = match shard {
                Some(k_of_n) => run_shard(&spec, &backend, &k_of_n)?,
                None => run_experiment(&spec, &backend, jobs.unwrap_or(threads), None)?,
            };
            write_results(&results, out.as_deref(), csv.as_deref())?;
        }
        Command::Merge { parts, out, csv } => {
            let parts = parts
                .iter()
                .map(|path| {
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    ExperimentResults::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
                })
                .collect::<Result<Vec<_>, String>>()?;
            let n = parts.len();
            let results = shard::merge(parts)?;
            eprintln!("merged {n} parts");
            write_results(&results, Some(&out), csv.as_deref())?;
        }
        Command::Report {
            results,
            markdown,
            plan,
            compare,
            metric,
            csv,
        } => {
            let text = std::fs::read_to_string(&results)
                .map_err(|e| format!("cannot read {}: {e}", results.display()))?;
            // A sweep's file holds one results per value: its report is the dose-response table.
            if serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v.get("points").is_some()) {
                let sweep =
                    SweepResults::from_json(&text).map_err(|e| format!("{}: {e}", results.display()))?;
                if markdown {
                    print!("{}", analysis::sweep_report_markdown(&sweep, plan));
                } else {
                    print!("{}", sweep.table());
                    if let Some(p) = analysis::sweep_plan(&sweep.spec.name).filter(|_| plan) {
                        print!("\n{}", analysis::sweep_markdown(&sweep, &p));
                    }
                }
                if let Some(path) = csv {
                    std::fs::write(&path, sweep.csv())?;
                }
                return Ok(());
            }
            let results = upbringing_lab::results::ExperimentResults::from_json(&text)
                .map_err(|e| format!("{}: {e}", results.display()))?;
            if let Some([a, b]) = compare.as_deref() {
                let metric = Metric::ALL
                    .into_iter()
                    .find(|m| m.name() == metric)
                    .ok_or_else(|| {
                        format!("unknown metric {metric:?} (gamed, honest, accepted_error, recovered)")
                    })?;
                for name in [a, b] {
                    if !results.regimes().contains(&name.as_str()) {
                        return Err(format!(
                            "no regime {name:?} in these results (have: {})",
                            results.regimes().join(", ")
                        )
                        .into());
                    }
                }
                println!("{a} vs {b}, {}: paired over seeds", metric.label());
                print!(
                    "{}",
                    analysis::tested_text(&analysis::compare_regimes(&results, a, b, metric))
                );
            } else if markdown {
                print!("{}", analysis::report_markdown(&results, plan));
            } else {
                println!("{}", results.table());
                if plan {
                    print!(
                        "{}",
                        analysis::tested_markdown(&analysis::test(&results, &analysis::plan_of(&results)))
                    );
                }
            }
            if let Some(path) = csv {
                std::fs::write(&path, results.csv())?;
            }
        }
        Command::Presets => {
            for (name, line) in presets::list() {
                println!("{name:28} {line}");
            }
            println!("\nsweeps (one experiment per value; `report` prints the dose-response table):");
            for (name, line) in presets::sweeps() {
                println!("{name:28} {line}");
            }
        }
        Command::Seed {
            spec,
            seed,
            backend: name,
            out,
            checkpoints,
        } => {
            set_threads(Some(1))?;
            let spec = ExperimentSpec::from_json(&std::fs::read_to_string(&spec)?)?;
            let backend = backend(&name)?;
            let mut host = jobs::ChildHost { checkpoints };
            let outcome = pollster::block_on(experiment::run_seed(&spec, &backend, seed, &mut host))?;
            std::fs::write(&out, serde_json::to_string(&outcome)?)?;
        }
        Command::Plan { preset, sweep: None } => {
            let name = preset.unwrap_or_else(|| "default".into());
            let plan = analysis::plan_for(&name).ok_or_else(|| {
                format!(
                    "no pre-registered plan for {name:?} (default, pretraining-world, capability-world, \
                         capability-world-equal-steps, rivals)"
                )
            })?;
            print!("{}", analysis::plan_markdown(&plan));
        }
        Command::Plan {
            sweep: Some(name), ..
        } => {
            let spec = presets::sweep(&name)?;
            let plan =
                analysis::sweep_plan(&name).ok_or_else(|| format!("the sweep {name:?} has no plan"))?;
            print!("{}", analysis::sweep_plan_markdown(&spec, &plan)?);
        }
        Command::Spec { preset, equal_steps } => {
            let mut spec = preset_or_sweep(&preset)?;
            if equal_steps {
                spec.pad_to_equal_steps()?;
                spec.validate()?;
            }
            println!("{}", spec.to_json());
        }
        Command::Exercise {
            name,
            check,
            solution,
            precomputed,
            out,
        } => exercise_verdict(name, check, solution, &precomputed, out.as_deref())?,
        Command::Bench {
            config,
            backend: name,
            threads,
            steps,
            json,
        } => {
            let threads = set_threads(threads)?;
            let config = BenchConfig::named(&config)?;
            let backend = backend(&name)?;
            let start = Instant::now();
            let mut report = pollster::block_on(run_bench(&backend, &config, steps, || {
                start.elapsed().as_secs_f64()
            }))?;
            report.backend = format!("{} {} threads, upbringing {VERSION}", report.backend, threads);
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{} on {}", report.config, report.backend);
                println!("  params               {}", report.params);
                println!("  train steps/s        {:.2}", report.train_steps_per_s);
                println!("  train tokens/s       {:.0}", report.train_tokens_per_s);
                println!("  sample tokens/s      {:.0}", report.sample_tokens_per_s);
            }
        }
        Command::Demo {
            backend: name,
            steps,
            seed,
        } => {
            set_threads(None)?;
            let config = DemoConfig {
                steps,
                seed,
                ..Default::default()
            };
            let mut run = DemoRun::new(config, backend(&name)?)?;
            println!(
                "reverse-a-digit-string demo on {} (seed {seed})",
                run.backend.label
            );
            let start = Instant::now();
            while !run.finished() {
                let stats = pollster::block_on(run.advance(25))?;
                let last = stats.last().expect("advanced at least one step");
                println!(
                    "step {:>5}  loss {:.4}  {:.1} steps/s",
                    last.step + 1,
                    last.loss,
                    run.steps_done() as f64 / start.elapsed().as_secs_f64()
                );
            }
            let (samples, accuracy) = pollster::block_on(run.evaluate(20, seed + 1))?;
            for s in samples.iter().step_by(20) {
                println!(
                    "  {} {}  (expected {}){}",
                    s.prompt,
                    s.got,
                    s.expected,
                    if s.correct { "" } else { "  ✗" }
                );
            }
            println!(
                "exact-match accuracy {:.1}% over {} fresh strings",
                100.0 * accuracy,
                samples.len()
            );
        }
    }
    Ok(())
}

/// Part K of N of `spec` (`--shard K/N`), unit by unit in this process.
fn run_shard(
    spec: &ExperimentSpec,
    backend: &Backend,
    k_of_n: &str,
) -> Result<ExperimentResults, Box<dyn std::error::Error>> {
    let (k, n) = k_of_n
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)))
        .ok_or_else(|| format!("--shard takes K/N, like 2/8 (got {k_of_n:?})"))?;
    let part = shard::part(spec, k, n)?;
    eprintln!(
        "running part {k}/{n} of {:?}: {} of {} units (regime x seed) on {}",
        spec.name,
        part.units.len(),
        spec.regimes.len() * spec.seeds.len(),
        backend.label
    );
    let commit = commit();
    let start = Instant::now();
    let subs: Vec<ExperimentSpec> = spec
        .seeds
        .iter()
        .filter_map(|&s| shard::seed_spec(spec, &part, s))
        .collect();
    let total = subs
        .iter()
        .map(|s| experiment::units_per_seed(s, s.seeds[0]))
        .sum();
    let mut bar = progress::Bar::new(start);
    let runs: Vec<(&ExperimentSpec, u64)> = subs.iter().map(|s| (s, s.seeds[0])).collect();
    let outcomes = run_here(&runs, backend, total, &mut bar)?;
    bar.finish();
    let mut results = ExperimentResults::assemble(spec, backend, outcomes);
    results.seconds = start.elapsed().as_secs_f64();
    results.commit = commit;
    results.shard = Some(part);
    Ok(results)
}

/// Seeds run one after another in this process (each `(spec, seed)`: the
/// spec may be cut to the regimes a part runs), reporting to one bar.
fn run_here(
    runs: &[(&ExperimentSpec, u64)],
    backend: &Backend,
    total: usize,
    bar: &mut progress::Bar,
) -> Result<Vec<upbringing_lab::results::SeedOutcome>, Box<dyn std::error::Error>> {
    let mut draw = |p: &upbringing_lab::host::Progress| {
        bar.show(p);
        true
    };
    let mut host = ProgressHost::new(total, &mut draw);
    Ok(pollster::block_on(experiment::run_seeds(
        runs, backend, &mut host,
    ))?)
}

/// A preset or, failing that, a shipped sweep, by name.
fn preset_or_sweep(name: &str) -> Result<ExperimentSpec, Box<dyn std::error::Error>> {
    Ok(presets::preset(name).or_else(|e| presets::sweep(name).map_err(|_| e))?)
}

/// Every value of a sweep, one experiment after another; prints the
/// dose-response table and writes the sweep's results file.
fn run_sweep(
    spec: &ExperimentSpec,
    backend: &Backend,
    jobs: usize,
    out: Option<&std::path::Path>,
    csv: Option<&std::path::Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let points = sweep::points(spec)?;
    // Points share what they train alike (pretraining, and every phase
    // before the swept one): one folder of checkpoints for the whole sweep.
    let shared = jobs::scratch("sweep")?;
    // Every value names the source the sweep started from (the working
    // tree may move on during a sweep of hours).
    let source = commit();
    let mut results = vec![];
    for (i, (value, point)) in points.iter().enumerate() {
        let setting = spec.sweep.as_ref().map_or("", |s| s.setting.as_str());
        eprintln!("sweep {}/{}: {setting} = {value}", i + 1, points.len());
        let run = run_experiment(point, backend, jobs, Some(&shared)).map(|r| ExperimentResults {
            commit: source.clone(),
            ..r
        });
        if run.is_err() {
            let _ = std::fs::remove_dir_all(&shared);
        }
        results.push(run?);
    }
    let _ = std::fs::remove_dir_all(&shared);
    let file = SweepResults::new(spec, results)?;
    print!("{}", file.table());
    write_to(out, || Ok(serde_json::to_string_pretty(&file)?))?;
    write_to(csv, || Ok(file.csv()))
}

/// Write `text()` to `path`, if one was given, and say so.
fn write_to(
    path: Option<&std::path::Path>,
    text: impl FnOnce() -> Result<String, Box<dyn std::error::Error>>,
) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(path) = path {
        std::fs::write(path, text()?).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Print the table; write the JSON and the CSV where asked.
fn write_results(
    results: &ExperimentResults,
    out: Option<&std::path::Path>,
    csv: Option<&std::path::Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", results.table());
    println!("took {:.0} s", results.seconds);
    write_to(out, || Ok(serde_json::to_string_pretty(results)?))?;
    write_to(csv, || Ok(results.csv()))
}

/// `shared`: a folder of checkpoints to share with other runs (see
/// `jobs::run_units`); then units always run as child processes.
fn run_experiment(
    spec: &ExperimentSpec,
    backend: &Backend,
    jobs: usize,
    shared: Option<&std::path::Path>,
) -> Result<ExperimentResults, Box<dyn std::error::Error>> {
    let jobs = jobs.clamp(1, spec.regimes.len() * spec.seeds.len());
    eprintln!(
        "running {:?}: {} regimes x {} seeds on {}, {jobs} at a time",
        spec.name,
        spec.regimes.len(),
        spec.seeds.len(),
        backend.label
    );
    // The commit is read now: the source may move on while this runs.
    let commit = commit();
    let start = Instant::now();
    let total = spec
        .seeds
        .iter()
        .map(|&s| experiment::units_per_seed(spec, s))
        .sum();
    let mut bar = progress::Bar::new(start);
    let outcomes = if jobs == 1 && shared.is_none() {
        let runs: Vec<(&ExperimentSpec, u64)> = spec.seeds.iter().map(|&s| (spec, s)).collect();
        run_here(&runs, backend, total, &mut bar)?
    } else {
        jobs::run_units(spec, backend.kind.name(), jobs, shared, &mut bar)?
    };
    bar.finish();
    let mut results = ExperimentResults::assemble(spec, backend, outcomes);
    results.seconds = start.elapsed().as_secs_f64();
    results.commit = commit;
    Ok(results)
}

fn read_results(path: &std::path::Path) -> Result<ExperimentResults, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(ExperimentResults::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

fn exercise_verdict(
    name: Option<String>,
    check: Option<std::path::PathBuf>,
    solution: bool,
    precomputed: &std::path::Path,
    out: Option<&std::path::Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let Some(name) = name else {
        for e in exercise::all() {
            println!("{:26} {}", e.slug, e.topic);
        }
        return Ok(());
    };
    let slugs = || {
        exercise::all()
            .iter()
            .map(|e| e.slug)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let e = exercise::find(&name).ok_or_else(|| format!("unknown exercise {name:?} (known: {})", slugs()))?;
    let results = match check {
        Some(path) => {
            let r = read_results(&path)?;
            e.allows(&r.spec).map_err(|why| {
                format!(
                    "{}: its design changes what the exercise fixes: {why}",
                    path.display()
                )
            })?;
            r
        }
        None => {
            let spec = if solution { &e.solution } else { &e.start };
            let sources = e
                .sources
                .iter()
                .map(|s| read_results(&precomputed.join(format!("{s}.json"))))
                .collect::<Result<Vec<_>, _>>()?;
            let sources: Vec<&ExperimentResults> = sources.iter().collect();
            ExperimentResults::answer(&sources, spec).ok_or("the shipped results do not cover this design")?
        }
    };
    println!("{}: {}\n{}\n", e.title, e.topic, e.question);
    let verdict = e.verdict(&results.spec, Some(&results));
    for (ok, text) in &verdict.limits {
        println!("{} {text}", if *ok { "ok    " } else { "OVER  " });
    }
    for g in &verdict.goals {
        println!("{} {}", if g.met { "met   " } else { "missed" }, g.text);
    }
    println!(
        "\n{}\n{}",
        if verdict.met() { "Goal met." } else { "Not met." },
        results.provenance()
    );
    if let Some(path) = out {
        std::fs::write(path, serde_json::to_string_pretty(&results)?)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The commit this binary was built from (`build.rs`), stamped on results;
/// `None` when it was built outside a git checkout.
fn commit() -> Option<String> {
    let stamp = env!("UPBRINGING_COMMIT");
    (!stamp.is_empty()).then(|| stamp.to_string())
}
