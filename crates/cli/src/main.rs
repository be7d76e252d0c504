//! `upbringing`: the native front end over `lab`. Parses arguments, picks the
//! backend, prints results; everything else lives in the engine.

mod alloc;

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use upbringing_lab::bench::{BenchConfig, run_bench};
use upbringing_lab::demo::{DemoConfig, DemoRun};
use upbringing_lab::{Backend, BackendKind, VERSION};

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

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Bench {
            config,
            backend: name,
            threads,
            steps,
            json,
        } => {
            let threads =
                threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build_global()?;
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
