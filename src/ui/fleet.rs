//! The display of many runs at once: one indicatif line per resource (its step or live
//! status, and elapsed time) in a shared multi-progress area, texts printed above it with the
//! resource's name, and one prompter shared by the runs, asking one question at a time with
//! the lines suspended so the question is not drawn over. Without a terminal (or with
//! --no-progress) each line of output is prefixed with the resource instead.

use super::Printer;
use super::printer::safe;
use crate::engine::{Answer, PromptError, Prompter, Question, Reporter, WaitDisplay};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The shared display.
#[derive(Clone)]
pub struct Fleet {
    multi: Option<MultiProgress>,
    printer: Printer,
}

impl Fleet {
    pub fn new(printer: Printer) -> Self {
        Fleet {
            multi: printer.progress().then(MultiProgress::new),
            printer,
        }
    }

    /// An error about one run, above the lines.
    pub fn error(&self, text: &str) {
        self.print(&format!(
            "{} {}",
            console::style("error:").red().bold(),
            safe(text)
        ));
    }

    /// The reporter of one resource's run.
    pub fn reporter(&self, name: &str) -> FleetReporter {
        let name = safe(name).into_owned();
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg} [{elapsed}]")
                    .expect("a valid template"),
            );
            bar.set_prefix(name.clone());
            bar.set_message("starting…");
            bar.enable_steady_tick(Duration::from_millis(150));
            bar
        });
        FleetReporter {
            name,
            fleet: self.clone(),
            bar,
        }
    }

    /// Prints a line whose outside words are already made [`safe`].
    fn print(&self, line: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    /// Runs `f` with the lines hidden (for a question). Hidden, not suspended: a suspended
    /// display holds its lock, and every other run updating its line would wait for the answer.
    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(m) = &self.multi else {
            return f();
        };
        let _ = m.clear();
        m.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        let result = f();
        m.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        result
    }
}

/// One resource's line.
pub struct FleetReporter {
    name: String,
    fleet: Fleet,
    bar: Option<ProgressBar>,
}

impl FleetReporter {
    /// The run is over: the line shows its outcome and stops.
    pub fn done(&self, outcome: &str) {
        match &self.bar {
            Some(bar) => bar.finish_with_message(safe(outcome).into_owned()),
            None if !self.fleet.printer.is_quiet() => {
                eprintln!("[{}] {}", self.name, safe(outcome));
            }
            None => {}
        }
    }
}

impl Reporter for FleetReporter {
    fn say(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(safe(text.lines().next().unwrap_or_default()).into_owned());
        }
        if !self.fleet.printer.is_quiet() {
            for line in safe(text).lines() {
                self.fleet.print(&format!("[{}] {line}", self.name));
            }
        }
    }

    fn warn(&self, text: &str) {
        self.fleet.print(&format!(
            "[{}] {} {}",
            self.name,
            console::style("warning:").yellow().bold(),
            safe(text)
        ));
    }

    fn wait(&self, label: &str) -> Box<dyn WaitDisplay> {
        Box::new(FleetWait {
            name: self.name.clone(),
            label: safe(label).into_owned(),
            bar: self.bar.clone(),
            fleet: self.fleet.clone(),
            last: String::new(),
        })
    }
}

struct FleetWait {
    name: String,
    label: String,
    bar: Option<ProgressBar>,
    fleet: Fleet,
    last: String,
}

impl WaitDisplay for FleetWait {
    fn update(&mut self, status: &str, elapsed: Duration) {
        match &self.bar {
            Some(bar) => bar.set_message(format!("{}: {}", self.label, safe(status))),
            None if status != self.last && !self.fleet.printer.is_quiet() => eprintln!(
                "[{}] {}: {} ({}s)",
                self.name,
                self.label,
                safe(status),
                elapsed.as_secs()
            ),
            None => {}
        }
        self.last = status.to_owned();
    }

    fn finish(&mut self, message: &str) {
        let message = safe(message);
        if let Some(bar) = &self.bar {
            bar.set_message(message.clone().into_owned());
        }
        if !self.fleet.printer.is_quiet() {
            self.fleet.print(&format!("[{}] {message}", self.name));
        }
    }
}

/// One prompter for every run of a fleet: one question at a time, lines hidden meanwhile.
#[derive(Clone)]
pub struct SharedPrompter {
    inner: Arc<Mutex<Box<dyn Prompter>>>,
    fleet: Fleet,
}

impl SharedPrompter {
    pub fn new(inner: Box<dyn Prompter>, fleet: Fleet) -> Self {
        SharedPrompter {
            inner: Arc::new(Mutex::new(inner)),
            fleet,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut dyn Prompter) -> R) -> R {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(inner.as_mut())
    }
}

impl Prompter for SharedPrompter {
    fn ask(&mut self, question: &Question) -> Result<Answer, PromptError> {
        // The operator may take a while: let the runtime move other runs off this thread.
        // The approver, named by another run while this one waited its turn, is not asked
        // again: one sign-off for the session.
        let ask = || {
            self.fleet.suspend(|| {
                self.with(|p| match p.approver() {
                    Some(named) if question.id == "approver" => Ok(Answer::Text(named)),
                    _ => p.ask(question),
                })
            })
        };
        match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(ask)
            }
            _ => ask(),
        }
    }

    fn source(&self) -> String {
        self.with(|p| p.source())
    }

    fn who(&self) -> String {
        self.with(|p| p.who())
    }

    fn approver(&self) -> Option<String> {
        self.with(|p| p.approver())
    }

    fn changes_start(&mut self) {
        self.with(|p| p.changes_start());
    }
}
