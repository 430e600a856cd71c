//! The engine's lines and waits on a terminal: spinners with live status and elapsed time
//! when stderr is a terminal and progress is on, plain timestamped status lines otherwise.

use crate::engine::{Reporter, WaitDisplay};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

pub struct TerminalReporter {
    progress: bool,
    quiet: bool,
}

impl TerminalReporter {
    pub fn new(progress: bool, quiet: bool) -> Self {
        TerminalReporter {
            progress: progress && std::io::stderr().is_terminal(),
            quiet,
        }
    }
}

impl Reporter for TerminalReporter {
    fn say(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    fn warn(&self, text: &str) {
        eprintln!("{} {text}", console::style("warning:").yellow().bold());
    }

    fn wait(&self, label: &str) -> Box<dyn WaitDisplay> {
        if self.progress {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix} — {msg} [{elapsed}]")
                    .expect("a valid template"),
            );
            bar.set_prefix(label.to_owned());
            bar.set_message("checking…");
            bar.enable_steady_tick(Duration::from_millis(120));
            Box::new(SpinnerWait { bar })
        } else {
            Box::new(LineWait {
                label: label.to_owned(),
                last: String::new(),
                quiet: self.quiet,
            })
        }
    }
}

struct SpinnerWait {
    bar: ProgressBar,
}

impl WaitDisplay for SpinnerWait {
    fn update(&mut self, status: &str, _elapsed: Duration) {
        self.bar.set_message(status.to_owned());
    }

    fn finish(&mut self, message: &str) {
        self.bar.finish_and_clear();
        eprintln!("{message} [{}s]", self.bar.elapsed().as_secs());
    }
}

struct LineWait {
    label: String,
    last: String,
    quiet: bool,
}

impl WaitDisplay for LineWait {
    fn update(&mut self, status: &str, elapsed: Duration) {
        if status != self.last && !self.quiet {
            eprintln!("{}: {status} ({}s)", self.label, elapsed.as_secs());
        }
        self.last = status.to_owned();
    }

    fn finish(&mut self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }
}
