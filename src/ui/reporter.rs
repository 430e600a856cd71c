//! The engine's lines and waits on a terminal: spinners with live status and elapsed time
//! when stderr is a terminal and progress is on, plain timestamped status lines otherwise.

use super::Printer;
use super::printer::safe;
use crate::engine::{Reporter, WaitDisplay};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

pub struct TerminalReporter {
    printer: Printer,
}

impl TerminalReporter {
    pub fn new(printer: Printer) -> Self {
        TerminalReporter { printer }
    }
}

impl Reporter for TerminalReporter {
    fn say(&self, text: &str) {
        self.printer.status(text);
    }

    fn warn(&self, text: &str) {
        self.printer.warn(text);
    }

    fn wait(&self, label: &str) -> Box<dyn WaitDisplay> {
        if self.printer.progress() {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix} — {msg} [{elapsed}]")
                    .expect("a valid template"),
            );
            bar.set_prefix(safe(label).into_owned());
            bar.set_message("checking…");
            bar.enable_steady_tick(Duration::from_millis(120));
            Box::new(SpinnerWait { bar })
        } else {
            Box::new(LineWait {
                label: safe(label).into_owned(),
                last: String::new(),
                printer: self.printer,
            })
        }
    }
}

struct SpinnerWait {
    bar: ProgressBar,
}

impl WaitDisplay for SpinnerWait {
    fn update(&mut self, status: &str, _elapsed: Duration) {
        self.bar.set_message(safe(status).into_owned());
    }

    fn finish(&mut self, message: &str) {
        self.bar.finish_and_clear();
        eprintln!("{} [{}s]", safe(message), self.bar.elapsed().as_secs());
    }
}

struct LineWait {
    label: String,
    last: String,
    printer: Printer,
}

impl WaitDisplay for LineWait {
    fn update(&mut self, status: &str, elapsed: Duration) {
        if status != self.last {
            self.printer.status(&format!(
                "{}: {status} ({}s)",
                self.label,
                elapsed.as_secs()
            ));
        }
        self.last = status.to_owned();
    }

    fn finish(&mut self, message: &str) {
        self.printer.status(message);
    }
}
