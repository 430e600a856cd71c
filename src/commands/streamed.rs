//! A fleet whose answers all come from a file or a saved plan, and none of whose runbooks
//! deletes anything: nobody waits on the questions, and the collision rule (a later run's
//! questions do not offer what an earlier run deletes) has nothing to order. Each target's
//! run is then prepared in its place, `--parallel` at a time, and goes straight on to its
//! changes, instead of every target being prepared, one after another, before the first
//! change: with hundreds of targets the preparation no longer comes on top of the changes.
//!
//! A run that shares a resource with a run prepared before it waits for that run to end, as
//! in a fleet prepared first.

use super::run::{RunTasks, Started, gather, set_aside_message, stop_flag};
use crate::actions::AwsApi;
use crate::engine::{
    Engine, Footprint, Preparation, Prompter, Reporter, RunOptions, StartError, Target, away,
};
use crate::findings::SdkSecurityHub;
use crate::runbook::{Catalog, Plan};
use crate::ui::{Fleet, SharedPrompter};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Whether a session's targets can go as they are prepared: answers that wait on nobody,
/// more than one target and place, and no runbook that deletes.
pub(super) fn can_stream(
    catalog: &Catalog,
    targets: &[(Target, Arc<AwsApi>)],
    prompter: &dyn Prompter,
    parallel: usize,
) -> bool {
    parallel > 1
        && targets.len() > 1
        && !prompter.asks_people()
        && targets.iter().all(|(t, _)| {
            catalog
                .get(&t.control)
                .is_some_and(|p| p.footprint.deletes.is_empty())
        })
}

/// What a streamed fleet ends with: each target's report (none for one left alone), and
/// whether a run was left to another on this machine or could not start its journal.
pub(super) struct Streamed {
    pub reports: Vec<(Target, crate::engine::RunReport)>,
    pub busy: bool,
    pub start_failed: bool,
}

/// The runs prepared so far, in the order they were: their names, what each touches and
/// when it is over.
type Prepared = Arc<Mutex<Vec<(String, Footprint, watch::Receiver<bool>)>>>;

/// Prepares each target and makes its changes once it is prepared, `--parallel` runs at work
/// at a time.
pub(super) async fn run_streamed(
    targets: Vec<(Target, Arc<AwsApi>)>,
    catalog: &Catalog,
    fleet: &Fleet,
    prompter: SharedPrompter,
    hub: Arc<SdkSecurityHub>,
    options: Arc<RunOptions>,
) -> Streamed {
    let (stop, watcher) = stop_flag();
    let busy = Arc::new(AtomicBool::new(false));
    let start_failed = Arc::new(AtomicBool::new(false));
    let prepared: Prepared = Arc::default();
    let mut tasks = RunTasks::new();
    let mut started = Started::new();
    for (order, (target, api)) in targets.into_iter().enumerate() {
        let plan = catalog
            .get(&target.control)
            .expect("selected targets have runbooks")
            .clone();
        let job = Job {
            order,
            plan,
            target: target.clone(),
            api,
            fleet: fleet.clone(),
            prompter: prompter.clone(),
            hub: hub.clone(),
            options: options.clone(),
            stop: stop.clone(),
            busy: busy.clone(),
            start_failed: start_failed.clone(),
            prepared: prepared.clone(),
        };
        let handle = tasks.spawn(job.run());
        started.insert(handle.id(), (order, target, None));
    }
    let reports = gather(tasks, started, fleet, &options).await;
    watcher.abort();
    Streamed {
        reports,
        busy: busy.load(Ordering::SeqCst),
        start_failed: start_failed.load(Ordering::SeqCst),
    }
}

/// One target's run in a streamed fleet.
struct Job {
    order: usize,
    plan: Plan,
    target: Target,
    api: Arc<AwsApi>,
    fleet: Fleet,
    prompter: SharedPrompter,
    hub: Arc<SdkSecurityHub>,
    options: Arc<RunOptions>,
    stop: Arc<AtomicBool>,
    busy: Arc<AtomicBool>,
    start_failed: Arc<AtomicBool>,
    prepared: Prepared,
}

impl Job {
    async fn run(mut self) -> Option<(usize, Target, crate::engine::RunReport)> {
        let name = format!("{} {}", self.plan.control, self.target.name());
        let reporter = self.fleet.seat(&name).await;
        if self.stop.load(Ordering::SeqCst) {
            // Interrupted before its questions: nothing was journaled or changed.
            return None;
        }
        let engine = Engine {
            api: self.api.as_ref(),
            hub: self.hub.as_ref(),
            reporter: &reporter,
            options: &self.options,
        };
        let preparation = engine
            .prepare(&self.plan, &self.target, &mut self.prompter)
            .await;
        let (prepared, after, end) = match preparation {
            Ok(Preparation::Ready(prepared)) => {
                let footprint = prepared.footprint(&self.plan);
                self.options.deleting.add(&footprint, &name);
                let (end, ended) = watch::channel(false);
                let after = {
                    let mut earlier = self.prepared.lock().unwrap_or_else(|p| p.into_inner());
                    let after: Vec<_> = earlier
                        .iter()
                        .filter_map(|(them, theirs, ended)| {
                            let shared = footprint.shared_with(theirs);
                            (!shared.is_empty()).then(|| (them.clone(), shared, ended.clone()))
                        })
                        .collect();
                    earlier.push((name.clone(), footprint, ended));
                    after
                };
                (prepared, after, end)
            }
            Ok(Preparation::Ended(report)) => {
                if report.interrupted {
                    self.stop.store(true, Ordering::SeqCst);
                }
                reporter.ended(&report);
                return Some((self.order, self.target, report));
            }
            Err(StartError::Busy(e)) => {
                // Another run here works on it: leave it to that run.
                reporter.warn(&e.to_string());
                reporter.done("left alone: another run on this machine works on it");
                self.busy.store(true, Ordering::SeqCst);
                return None;
            }
            Err(e) => {
                // The run could not start (no journal, a target the plan does not have): no
                // run starts after this one, as when every target is prepared first.
                self.stop.store(true, Ordering::SeqCst);
                self.start_failed.store(true, Ordering::SeqCst);
                self.fleet.error(&e.to_string());
                reporter.done("not started: nothing was changed");
                return None;
            }
        };
        for (them, shared, ended) in &after {
            reporter.say(&format!(
                "goes after {them}: both touch {}",
                shared.join(", ")
            ));
            let mut ended = ended.clone();
            // Away from its place meanwhile: the other run may be waiting on AWS too.
            away(&reporter, async {
                let _ = ended.wait_for(|over| *over).await;
            })
            .await;
        }
        let report = if self.stop.load(Ordering::SeqCst) {
            engine
                .set_aside(&self.plan, prepared, set_aside_message())
                .await
        } else {
            engine
                .finish(&self.plan, prepared, &mut self.prompter)
                .await
        };
        if report.interrupted {
            self.stop.store(true, Ordering::SeqCst);
        }
        reporter.ended(&report);
        let _ = end.send(true);
        Some((self.order, self.target, report))
    }
}
