//! What the engine tells the operator goes through [`Reporter`], so the engine stays free of
//! terminal details: `ui` shows it with colours and indicatif spinners, tests record it.

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
