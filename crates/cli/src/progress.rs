//! A one-line progress bar with an ETA, redrawn on stderr.

use std::io::Write;
use std::time::Instant;

use upbringing_lab::host::Progress;

pub struct Bar {
    start: Instant,
    last_draw: f64,
}

impl Bar {
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            last_draw: -1.0,
        }
    }

    pub fn show(&mut self, p: &Progress) {
        let elapsed = self.start.elapsed().as_secs_f64();
        if elapsed - self.last_draw < 0.25 && p.done < p.total {
            return; // redraw at most 4 times a second
        }
        self.last_draw = elapsed;
        let frac = p.done as f64 / p.total.max(1) as f64;
        let eta = if frac > 0.0 {
            elapsed * (1.0 - frac) / frac
        } else {
            f64::NAN
        };
        let filled = (frac * 30.0) as usize;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K[{}{}] {:>3.0}%  {:>4.0}s elapsed, ~{:>4.0}s left  seed {} · {} · {}",
            "#".repeat(filled),
            " ".repeat(30 - filled),
            100.0 * frac,
            elapsed,
            eta,
            p.seed,
            p.regime,
            p.stage
        );
        let _ = err.flush();
    }

    pub fn finish(&self) {
        eprintln!();
    }
}
