//! The display of many runs at once: one indicatif line per resource (its step or live
//! status, and elapsed time) in a shared multi-progress area, texts printed above it with the
//! resource's name, and one prompter shared by the runs, asking one question at a time with
//! the lines suspended so the question is not drawn over. Without a terminal (or with
//! --no-progress) each line of output is prefixed with the resource instead.

use super::Printer;
use super::printer::safe;
use crate::engine::{Answer, PromptError, Prompter, Question, Reporter, WaitDisplay};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The shared display.
#[derive(Clone)]
pub struct Fleet {
    multi: Option<MultiProgress>,
    printer: Printer,
    /// The last line: how many runs are done, and the questions waiting for the operator.
    summary: Option<ProgressBar>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    done: AtomicUsize,
    questions: AtomicUsize,
}

impl Fleet {
    /// The display of `total` runs.
    pub fn new(printer: Printer, total: usize) -> Self {
        let multi = printer.progress().then(MultiProgress::new);
        let summary = multi.as_ref().map(|m| {
            let line = m.add(ProgressBar::new_spinner());
            line.set_style(ProgressStyle::with_template("{msg}").expect("a valid template"));
            line
        });
        Fleet {
            multi,
            printer,
            summary,
            counts: Arc::new(Counts {
                total,
                ..Counts::default()
            }),
        }
    }

    /// Every run is over: the summary line goes (the summary table follows).
    pub fn finish(&self) {
        if let Some(line) = &self.summary {
            line.finish_and_clear();
        }
    }

    /// The summary line says how many runs are done and how many questions wait.
    fn show_counts(&self) {
        let Some(line) = &self.summary else {
            return;
        };
        let done = self.counts.done.load(Ordering::SeqCst);
        let mut text = format!("{done} of {} done", self.counts.total);
        if let Some(waiting) = self.waiting() {
            text.push_str(&format!(" · {}", console::style(waiting).yellow().bold()));
        }
        line.set_message(text);
    }

    /// "1 question waiting" (the one being asked counts), or nothing.
    fn waiting(&self) -> Option<String> {
        match self.counts.questions.load(Ordering::SeqCst) {
            0 => None,
            1 => Some("1 question waiting".to_owned()),
            n => Some(format!("{n} questions waiting")),
        }
    }

    /// A question is pending (`true`) or answered (`false`).
    fn question(&self, pending: bool) {
        if pending {
            self.counts.questions.fetch_add(1, Ordering::SeqCst);
        } else {
            self.counts.questions.fetch_sub(1, Ordering::SeqCst);
        }
        self.show_counts();
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
        self.show_counts();
        let bar = self.multi.as_ref().map(|m| {
            // Above the summary line.
            let bar = m.insert_from_back(1, ProgressBar::new_spinner());
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
    /// `asking`: the resource whose question it is, said on a line of its own first with the
    /// summary line's count (the summary line itself is hidden with the others meanwhile, and
    /// may not have been drawn since the question came: drawing is rate-limited).
    fn suspend<R>(&self, asking: Option<&str>, f: impl FnOnce() -> R) -> R {
        let Some(m) = &self.multi else {
            return f();
        };
        let _ = m.clear();
        m.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        if let Some(name) = asking {
            let waiting = self
                .waiting()
                .map(|w| format!(" · {w}"))
                .unwrap_or_default();
            eprintln!(
                "\n{}",
                console::style(format!("── a question from {} ──{waiting}", safe(name)))
                    .yellow()
                    .bold()
            );
        }
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
        self.fleet.counts.done.fetch_add(1, Ordering::SeqCst);
        self.fleet.show_counts();
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
        // The question waits its turn while the summary line counts it; it is then asked
        // with the lines hidden, under a line naming the resource.
        let asking = question.resource_keys.last().cloned();
        let ask = || {
            self.with(|p| match p.approver() {
                Some(named) if question.id == "approver" => Ok(Answer::Text(named)),
                _ => self.fleet.suspend(asking.as_deref(), || p.ask(question)),
            })
        };
        self.fleet.question(true);
        let answer = match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(ask)
            }
            _ => ask(),
        };
        self.fleet.question(false);
        answer
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

    fn reference(&self, question: &Question) -> Option<serde_json::Value> {
        self.with(|p| p.reference(question))
    }

    fn changes_start(&mut self) {
        self.with(|p| p.changes_start());
    }
}
