//! Everything the page shows, and how each worker report or click changes
//! it. Plain Rust, tested without a browser; the view only reads it.

use upbringing_lab::demo::DemoSample;

use crate::protocol::{BackendInfo, Report, Request};
use crate::query::Settings;

#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Waiting for the worker to bring up a device.
    Detecting,
    Ready,
    Training,
    Done,
    Cancelled,
    Failed(String),
}

impl Phase {
    /// A stable word for tests and styling (`data-phase`).
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Detecting => "detecting",
            Phase::Ready => "ready",
            Phase::Training => "training",
            Phase::Done => "done",
            Phase::Cancelled => "cancelled",
            Phase::Failed(_) => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub settings: Settings,
    /// Problems with the URL, shown once above the page.
    pub notices: Vec<String>,
    pub backend: Option<BackendInfo>,
    pub phase: Phase,
    pub losses: Vec<f32>,
    pub steps_done: usize,
    pub steps_per_s: f64,
    pub ms_to_first_step: Option<f64>,
    pub samples: Vec<DemoSample>,
    pub accuracy: Option<f32>,
    pub seconds: Option<f64>,
}

impl AppState {
    pub fn new(settings: Settings, notices: Vec<String>) -> Self {
        Self {
            settings,
            notices,
            backend: None,
            phase: Phase::Detecting,
            losses: Vec::new(),
            steps_done: 0,
            steps_per_s: 0.0,
            ms_to_first_step: None,
            samples: Vec::new(),
            accuracy: None,
            seconds: None,
        }
    }

    pub fn total_steps(&self) -> usize {
        self.settings.demo.steps
    }

    pub fn can_train(&self) -> bool {
        matches!(
            self.phase,
            Phase::Ready | Phase::Done | Phase::Cancelled | Phase::Failed(_)
        ) && self.backend.is_some()
    }

    /// The Train click: clears the last run and returns the request to send.
    pub fn start(&mut self) -> Option<Request> {
        if !self.can_train() {
            return None;
        }
        *self = Self {
            phase: Phase::Training,
            backend: self.backend.take(),
            ..Self::new(self.settings.clone(), Vec::new())
        };
        Some(Request::Train(self.settings.demo.clone()))
    }

    pub fn cancel(&mut self) -> Option<Request> {
        (self.phase == Phase::Training).then_some(Request::Cancel)
    }

    pub fn apply(&mut self, report: Report) {
        match report {
            Report::Ready(info) => {
                self.backend = Some(info);
                if self.phase == Phase::Detecting {
                    self.phase = Phase::Ready;
                }
            }
            Report::Progress {
                steps_done,
                losses,
                steps_per_s,
                ms_to_first_step,
                ..
            } => {
                self.losses.extend(losses);
                self.steps_done = steps_done;
                self.steps_per_s = steps_per_s;
                self.ms_to_first_step = Some(ms_to_first_step);
            }
            Report::Finished {
                samples,
                accuracy,
                seconds,
            } => {
                self.samples = samples;
                self.accuracy = Some(accuracy);
                self.seconds = Some(seconds);
                self.phase = Phase::Done;
            }
            Report::Cancelled => self.phase = Phase::Cancelled,
            Report::Failed(message) => self.phase = Phase::Failed(message),
            // Experiment runs belong to the playground's state.
            Report::RunProgress(_)
            | Report::RunResults { .. }
            | Report::RunCurve { .. }
            | Report::Trained(_)
            | Report::Recalled(_)
            | Report::Memory(_) => {}
            Report::Notice(n) => {
                if !self.notices.contains(&n) {
                    self.notices.push(n);
                }
            }
        }
    }

    /// Mean loss of the first and last tenth of the run (a noisy batch loss
    /// needs smoothing before "it fell" means anything).
    pub fn loss_drop(&self) -> Option<(f32, f32)> {
        let k = (self.losses.len() / 10).max(1);
        if self.losses.len() < 2 * k {
            return None;
        }
        let mean = |s: &[f32]| s.iter().sum::<f32>() / s.len() as f32;
        Some((
            mean(&self.losses[..k]),
            mean(&self.losses[self.losses.len() - k..]),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use upbringing_lab::BackendKind;

    fn info() -> BackendInfo {
        BackendInfo {
            kind: BackendKind::Flex,
            label: "CPU".into(),
            fallback_reason: None,
        }
    }

    fn ready() -> AppState {
        let mut s = AppState::new(Settings::default(), vec![]);
        s.apply(Report::Ready(info()));
        s
    }

    #[test]
    fn a_run_goes_ready_training_done() {
        let mut s = AppState::new(Settings::default(), vec![]);
        assert_eq!(s.start(), None, "cannot train before a device is up");
        s = ready();
        assert_eq!(s.phase, Phase::Ready);
        assert!(matches!(s.start(), Some(Request::Train(_))));
        assert_eq!(s.start(), None, "no second run while one trains");
        s.apply(Report::Progress {
            steps_done: 2,
            total: 300,
            losses: vec![2.0, 1.8],
            steps_per_s: 5.0,
            ms_to_first_step: 40.0,
        });
        s.apply(Report::Progress {
            steps_done: 4,
            total: 300,
            losses: vec![1.0, 0.8],
            steps_per_s: 5.0,
            ms_to_first_step: 40.0,
        });
        assert_eq!(s.losses, vec![2.0, 1.8, 1.0, 0.8]);
        assert_eq!(s.loss_drop(), Some((2.0, 0.8)));
        s.apply(Report::Finished {
            samples: vec![],
            accuracy: 0.5,
            seconds: 3.0,
        });
        assert_eq!(s.phase, Phase::Done);
        assert!(matches!(s.start(), Some(Request::Train(_))));
        assert!(
            s.losses.is_empty() && s.backend.is_some(),
            "a new run starts clean, same device"
        );
    }

    #[test]
    fn failure_and_cancel_end_the_run_and_allow_another() {
        let mut s = ready();
        s.start();
        assert_eq!(s.cancel(), Some(Request::Cancel));
        s.apply(Report::Failed("training diverged at step 7".into()));
        assert_eq!(s.phase.name(), "failed");
        assert_eq!(s.cancel(), None);
        assert!(s.can_train());
    }
}
