//! What the engine tells the operator goes through [`Reporter`], so the engine stays free of
//! terminal details: `ui` shows it with colours and indicatif spinners, tests record it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A live display of one wait: current status and elapsed time.
pub trait WaitDisplay: Send {
    fn update(&mut self, status: &str, elapsed: Duration);
    fn finish(&mut self, message: &str);
}

pub trait Reporter: Send + Sync {
    /// A line for the operator.
    fn say(&self, text: &str);
    /// A warning or error line.
    fn warn(&self, text: &str);
    /// Starts a live wait display.
    fn wait(&self, label: &str) -> Box<dyn WaitDisplay>;
    /// The run's place among a session's runs at work, if it has one to give up while it
    /// waits on AWS (a fleet's run); a run alone has none.
    fn place(&self) -> Option<&dyn Place> {
        None
    }
}

/// A run's place among the runs of a session at work (`--parallel` of them at once). While
/// the run waits on AWS it steps away, and its place goes to a run waiting for one; it comes
/// back, waiting for a place if none is free, before it goes on.
pub trait Place: Send + Sync {
    fn step_away(&self);
    fn come_back(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Awaits `wait` (on AWS, or a timer) away from the run's place, if it has one.
pub async fn away<F: Future>(reporter: &dyn Reporter, wait: F) -> F::Output {
    let Some(place) = reporter.place() else {
        return wait.await;
    };
    place.step_away();
    let output = wait.await;
    place.come_back().await;
    output
}

/// Keeps every line, for tests.
#[derive(Debug, Default, Clone)]
pub struct RecordingReporter {
    lines: Arc<Mutex<Vec<String>>>,
}

impl RecordingReporter {
    pub fn text(&self) -> String {
        self.lines.lock().expect("reporter lock").join("\n")
    }

    fn push(&self, line: String) {
        self.lines.lock().expect("reporter lock").push(line);
    }
}

struct RecordingWait {
    reporter: RecordingReporter,
    label: String,
    last: String,
}

impl WaitDisplay for RecordingWait {
    fn update(&mut self, status: &str, _elapsed: Duration) {
        if status != self.last {
            self.last = status.to_owned();
            self.reporter
                .push(format!("[wait] {}: {status}", self.label));
        }
    }

    fn finish(&mut self, message: &str) {
        self.reporter.push(format!("[wait] {message}"));
    }
}

impl Reporter for RecordingReporter {
    fn say(&self, text: &str) {
        self.push(text.to_owned());
    }

    fn warn(&self, text: &str) {
        self.push(format!("warning: {text}"));
    }

    fn wait(&self, label: &str) -> Box<dyn WaitDisplay> {
        Box::new(RecordingWait {
            reporter: self.clone(),
            label: label.to_owned(),
            last: String::new(),
        })
    }
}
