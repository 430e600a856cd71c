//! The display of many runs at once, and their places: `--parallel` runs at work at a time,
//! each with an indicatif line (its step or live status, and elapsed time) in a shared
//! multi-progress area, texts printed above it with the resource's name, and one prompter
//! shared by the runs, asking one question at a time with the lines suspended so the question
//! is not drawn over. A run waiting on AWS gives its place to a run waiting for one (the
//! summary line counts it) and takes a place again when its wait ends; it keeps its line
//! until a run at work needs one, so there are never more than `--parallel` live lines (each
//! has a ticker thread). A run that ends prints its outcome above the lines and its line
//! goes. Without a terminal (or with --no-progress) each line of output is prefixed with the
//! resource instead.

use super::Printer;
use super::printer::safe;
use crate::engine::{Answer, Place, PromptError, Prompter, Question, Reporter, WaitDisplay};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The shared display.
#[derive(Clone)]
pub struct Fleet {
    multi: Option<MultiProgress>,
    printer: Printer,
    /// The last line: how many runs are done, and the questions waiting for the operator.
    summary: Option<ProgressBar>,
    counts: Arc<Counts>,
    /// The places of runs at work: `--parallel` of them.
    places: Arc<Semaphore>,
    lines: Arc<Mutex<Lines>>,
}

/// A run's line, while it has one.
type LineSlot = Arc<Mutex<Option<ProgressBar>>>;

/// The live lines: at most `cap`; the lines of runs away, oldest first, go when a line is
/// needed and there are `cap` already.
struct Lines {
    live: usize,
    cap: usize,
    away: std::collections::VecDeque<LineSlot>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    done: AtomicUsize,
    questions: AtomicUsize,
    /// Runs waiting on AWS away from a place.
    away: AtomicUsize,
}

impl Fleet {
    /// The display of `total` runs, `parallel` at work at a time.
    pub fn new(printer: Printer, total: usize, parallel: usize) -> Self {
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
            places: Arc::new(Semaphore::new(parallel.max(1))),
            lines: Arc::new(Mutex::new(Lines {
                live: 0,
                cap: parallel.max(1),
                away: Default::default(),
            })),
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
        match self.counts.away.load(Ordering::SeqCst) {
            0 => {}
            away => text.push_str(&format!(" · {away} waiting on AWS")),
        }
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

    /// Waits for a place for one resource's run, then gives it its reporter and line.
    pub async fn seat(&self, name: &str) -> FleetReporter {
        let place = self.take_place().await;
        let name = safe(name).into_owned();
        self.show_counts();
        let bar = Arc::new(Mutex::new(None));
        self.give_line(&bar, &name, Duration::ZERO);
        FleetReporter {
            bar,
            name,
            fleet: self.clone(),
            place: Mutex::new(Some(place)),
            started: Instant::now(),
        }
    }

    async fn take_place(&self) -> OwnedSemaphorePermit {
        let place = self.places.clone().acquire_owned().await;
        place.expect("the places are never closed")
    }

    fn lines(&self) -> std::sync::MutexGuard<'_, Lines> {
        self.lines.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Gives a run a line, above the summary line, taking the oldest line of a run away if
    /// there are as many as places; `elapsed`: how long the run has been at work.
    fn give_line(&self, slot: &LineSlot, name: &str, elapsed: Duration) {
        let Some(m) = &self.multi else {
            return;
        };
        let mut lines = self.lines();
        while lines.live >= lines.cap {
            let Some(oldest) = lines.away.pop_front() else {
                break;
            };
            if let Some(bar) = lock(&oldest).take() {
                bar.finish_and_clear();
                m.remove(&bar);
                lines.live = lines.live.saturating_sub(1);
            }
        }
        let bar = m.insert_from_back(1, ProgressBar::new_spinner().with_elapsed(elapsed));
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg} [{elapsed}]")
                .expect("a valid template"),
        );
        bar.set_prefix(name.to_owned());
        bar.set_message("starting…");
        bar.enable_steady_tick(Duration::from_millis(150));
        lines.live += 1;
        *lock(slot) = Some(bar);
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

/// One resource's run: its place and its line (none while it waits away from its place).
pub struct FleetReporter {
    name: String,
    fleet: Fleet,
    bar: LineSlot,
    place: Mutex<Option<OwnedSemaphorePermit>>,
    started: Instant,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn bar_of(slot: &Mutex<Option<ProgressBar>>) -> Option<ProgressBar> {
    lock(slot).clone()
}

impl FleetReporter {
    /// The run ended with `report`: its outcome and the first line of its message.
    pub fn ended(&self, report: &crate::engine::RunReport) {
        let first = report.message.lines().next().unwrap_or_default();
        self.done(&format!("{}: {first}", report.outcome.name()));
    }

    /// The run is over: the line shows its outcome and stops.
    pub fn done(&self, outcome: &str) {
        self.fleet.counts.done.fetch_add(1, Ordering::SeqCst);
        self.fleet.show_counts();
        match bar_of(&self.bar) {
            Some(bar) => {
                // The outcome goes above the live lines for good, and the line goes: the live
                // area keeps at most a line a place, however many runs end.
                let took = bar.elapsed().as_secs();
                bar.finish_and_clear();
                if let Some(m) = &self.fleet.multi {
                    m.remove(&bar);
                }
                let mut lines = self.fleet.lines();
                lines.live = lines.live.saturating_sub(1);
                drop(lines);
                self.fleet.print(&format!(
                    "{} {} [{took}s]",
                    console::style(&self.name).bold(),
                    safe(outcome)
                ));
            }
            None if self.fleet.multi.is_none() && !self.fleet.printer.is_quiet() => {
                eprintln!("[{}] {}", self.name, safe(outcome));
            }
            None => {}
        }
    }
}

impl Place for FleetReporter {
    /// Gives the place to a run waiting for one; the line stays until a run at work needs it.
    fn step_away(&self) {
        let Some(place) = lock(&self.place).take() else {
            return;
        };
        self.fleet.counts.away.fetch_add(1, Ordering::SeqCst);
        if lock(&self.bar).is_some() {
            self.fleet.lines().away.push_back(self.bar.clone());
        }
        drop(place);
        self.fleet.show_counts();
    }

    fn come_back(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if lock(&self.place).is_some() {
                return;
            }
            let place = self.fleet.take_place().await;
            *lock(&self.place) = Some(place);
            self.fleet.counts.away.fetch_sub(1, Ordering::SeqCst);
            let kept = {
                let mut lines = self.fleet.lines();
                lines.away.retain(|slot| !Arc::ptr_eq(slot, &self.bar));
                lock(&self.bar).is_some()
            };
            if !kept {
                self.fleet
                    .give_line(&self.bar, &self.name, self.started.elapsed());
            }
            self.fleet.show_counts();
        })
    }
}

impl Reporter for FleetReporter {
    fn place(&self) -> Option<&dyn Place> {
        Some(self)
    }

    fn say(&self, text: &str) {
        if let Some(bar) = bar_of(&self.bar) {
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
    /// The run's line, when it has one.
    bar: LineSlot,
    fleet: Fleet,
    last: String,
}

impl WaitDisplay for FleetWait {
    fn update(&mut self, status: &str, elapsed: Duration) {
        match bar_of(&self.bar) {
            Some(bar) => bar.set_message(format!("{}: {}", self.label, safe(status))),
            // Away from its place on a terminal, the run has no line: the summary counts it.
            None if self.fleet.multi.is_none()
                && status != self.last
                && !self.fleet.printer.is_quiet() =>
            {
                eprintln!(
                    "[{}] {}: {} ({}s)",
                    self.name,
                    self.label,
                    safe(status),
                    elapsed.as_secs()
                );
            }
            None => {}
        }
        self.last = status.to_owned();
    }

    fn finish(&mut self, message: &str) {
        let message = safe(message);
        if let Some(bar) = bar_of(&self.bar) {
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
                // A file or a plan answers at once: nothing to show, nobody to wait for.
                _ if !p.asks_people() => p.ask(question),
                _ => self.fleet.suspend(asking.as_deref(), || p.ask(question)),
            })
        };
        if !self.asks_people() {
            return ask();
        }
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

    fn asks_people(&self) -> bool {
        self.with(|p| p.asks_people())
    }

    fn reference(&self, question: &Question) -> Option<serde_json::Value> {
        self.with(|p| p.reference(question))
    }

    fn changes_start(&mut self) {
        self.with(|p| p.changes_start());
    }
}
