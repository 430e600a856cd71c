//! `hubfix run` and `hubfix plan`: select the targets, show the triage table, ask every
//! question of every target first, then make the changes (several resources at once with
//! `--parallel`), and end with a summary and the resume commands. `plan` previews instead.

use super::App;
use super::targets::{AccountApis, acting, select};
use crate::actions::AwsApi;
use crate::aws::Accounts;
use crate::cli::{Output, RunArgs, Selectors};
use crate::engine::Reporter as _;
use crate::engine::{
    self, AnswersFile, AnswersPrompter, Engine, Footprint, Preparation, Prepared, Prompter,
    RunOptions, RunReport, StartError, Target, preview,
};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::findings::SdkSecurityHub;
use crate::runbook::{Catalog, Plan};
use crate::ui::{
    Fleet, Printer, SharedPrompter, Table, TerminalPrompter, TerminalReporter, interactive,
};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::task::JoinSet;

/// The prompter for a run: the answers file if given, else the terminal if there is one.
pub fn prompter_for(answers: Option<&Path>, approver: Option<String>) -> Result<Box<dyn Prompter>> {
    match answers {
        Some(path) => {
            let file = AnswersFile::load(path)?;
            Ok(Box::new(AnswersPrompter::new(file, path.to_path_buf())))
        }
        None if interactive() => Ok(Box::new(TerminalPrompter::new(approver))),
        None => Err(Error::Usage(
            "no terminal to ask questions on: pass --answers FILE (see the README), or preview with --dry-run / `hubfix plan`".into(),
        )),
    }
}

fn triage(targets: &[Target]) -> String {
    let mut t = Table::new(&["CONTROL", "ACCOUNT", "RESOURCE", "REGION", "FINDING"]);
    for target in targets {
        t.row(vec![
            target.control.clone(),
            target.account().unwrap_or_else(|| "-".into()),
            target.name().to_owned(),
            target.region.clone().unwrap_or_else(|| "-".into()),
            target
                .finding
                .as_ref()
                .map_or_else(|| "(none)".into(), |f| f.workflow_status.clone()),
        ]);
    }
    t.render()
}

fn summary(reports: &[(Target, RunReport)]) -> String {
    // Run ids are long (they name the resource): the ones to resume follow the table, every
    // journal is in `hubfix runs`.
    let mut t = Table::new(&["CONTROL", "ACCOUNT", "RESOURCE", "REGION", "OUTCOME"]);
    let mut next = Vec::new();
    for (target, r) in reports {
        t.row(vec![
            target.control.clone(),
            target.account().unwrap_or_else(|| "-".into()),
            target.name().to_owned(),
            target.region.clone().unwrap_or_else(|| "-".into()),
            r.outcome.name().to_owned(),
        ]);
        if r.resume_at.is_some() {
            next.push(format!("  hubfix resume {}", r.run_id));
        }
    }
    let mut text = t.render();
    if !next.is_empty() {
        text.push_str("To continue:\n");
        for line in next {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

pub async fn run(app: &App, args: RunArgs) -> Result<ExitStatus> {
    if args.dry_run {
        return plan(
            app,
            args.selectors,
            args.answers.as_deref(),
            args.approver,
            None,
        )
        .await;
    }
    crate::engine::listen_for_stop();
    // Refuse before any AWS call when nobody could answer.
    let prompter = prompter_for(args.answers.as_deref(), args.approver.clone())?;
    let catalog = app.catalog()?;
    let accounts = app.accounts();
    // Findings are read and marked with the credentials' own account, where they are.
    let hub = Arc::new(SdkSecurityHub::new(accounts.caller_clients()));
    let mut targets = select(&catalog, hub.as_ref(), &args.selectors).await?;
    deleting_first(&catalog, &mut targets);
    if targets.is_empty() {
        app.printer
            .status("No failed findings to work on: nothing to do.");
        return Ok(ExitStatus::Success);
    }
    let session = Session {
        catalog: &catalog,
        accounts: &accounts,
        hub,
        parallel: usize::from(args.parallel),
        approver: args.approver.clone(),
        applying: None,
    };
    Ok(work_on(app, &session, targets, prompter).await?.1)
}

/// What `run` and `apply` share once the targets are chosen: the catalog, the accounts to
/// act in, Security Hub, how many resources to change at once, who signs, and the saved
/// plan applied (if any).
pub(super) struct Session<'s> {
    pub catalog: &'s Catalog,
    pub accounts: &'s Arc<Accounts>,
    pub hub: Arc<SdkSecurityHub>,
    pub parallel: usize,
    pub approver: Option<String>,
    pub applying: Option<Arc<crate::engine::PlanFile>>,
}

/// Works on the targets: the triage table, every question of every target first (no change
/// yet), then the changes (`parallel` runs at work at a time), then the summary. Gives each target's
/// report and the session's exit status.
/// The runs that may delete resources are asked first: the others' questions then do not
/// offer what they will delete.
fn deleting_first(catalog: &Catalog, targets: &mut [Target]) {
    targets.sort_by_key(|t| {
        catalog
            .get(&t.control)
            .is_none_or(|p| p.footprint.deletes.is_empty())
    });
}

pub(super) async fn work_on(
    app: &App,
    session: &Session<'_>,
    targets: Vec<Target>,
    mut prompter: Box<dyn Prompter>,
) -> Result<(Vec<(Target, RunReport)>, ExitStatus)> {
    let (catalog, accounts, hub, parallel) = (
        session.catalog,
        session.accounts,
        session.hub.clone(),
        session.parallel,
    );
    app.printer.status_block(&triage(&targets));
    // The summary lists the runs as the triage did, whatever order they ran in.
    let triaged: Vec<(String, String)> = targets
        .iter()
        .map(|t| (t.control.clone(), t.resource.clone()))
        .collect();
    for t in &targets {
        let holder = t
            .finding
            .as_ref()
            .filter(|f| f.workflow_status == "NOTIFIED")
            .and_then(|f| f.note.as_deref())
            .and_then(crate::engine::lock_holder);
        if let Some(holder) = holder {
            app.printer.warn(&format!(
                "the finding on {} is locked by hubfix session {holder}: this run stops before changing it unless that session's run has ended (`hubfix runs --session {holder}` lists its runs)",
                t.name()
            ));
        }
    }
    let sharing = parallel > 1 && targets.len() > 1;
    let (targets, unreachable) = acting(accounts, targets, sharing).await?;
    let mut options = app.run_options(session.approver.clone(), accounts.caller_arn().await.ok());
    options.applying = session.applying.clone();
    let options = Arc::new(options);
    let reporter = TerminalReporter::new(app.printer);
    let services = Services {
        hub: hub.as_ref(),
        reporter: &reporter,
        options: &options,
    };

    // A member account hubfix cannot act in: its targets fail alone, before any change.
    let mut reports: Vec<(Target, RunReport)> = Vec::new();
    for (target, why) in unreachable {
        app.printer.error(&why);
        reports.push((target, not_started(&options, why)));
    }
    // Answers from a file or a plan and nothing deleted: each run goes on to its changes as
    // soon as it is prepared.
    if super::streamed::can_stream(catalog, &targets, prompter.as_ref(), parallel) {
        app.printer.status(&format!(
            "\nEvery answer comes from the {}: each resource's changes start once its questions are answered, {} at work at a time; a run waiting on AWS gives its place to the next, so every change may be under way at once…",
            prompter.source(),
            parallel.min(targets.len())
        ));
        let fleet = Fleet::new(app.printer, targets.len(), parallel);
        let shared = SharedPrompter::new(prompter, fleet.clone());
        let streamed = super::streamed::run_streamed(
            targets,
            catalog,
            &fleet,
            shared,
            hub.clone(),
            options.clone(),
        )
        .await;
        fleet.finish();
        reports.extend(streamed.reports);
        return Ok(end_session(
            app,
            &triaged,
            reports,
            streamed.start_failed,
            streamed.busy,
        ));
    }
    // Every question first, one resource after another; no change yet. On a terminal, the
    // answers for the first resource of a control may be reused for the others.
    let mut groups: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (target, _) in &targets {
        groups
            .entry(target.control.clone())
            .or_default()
            .push((target.resource.clone(), target.name().to_owned()));
    }
    prompter.offer_same_answers(groups);
    let mut ready: Vec<(Plan, Box<Prepared>, Arc<AwsApi>)> = Vec::new();
    let mut interrupted = false;
    let mut start_failed = false;
    // A resource another run on this machine holds was left alone.
    let mut busy = false;
    for (target, api) in targets {
        let plan = catalog
            .get(&target.control)
            .expect("selected targets have runbooks");
        header(app, plan, &target);
        match services
            .engine(&api)
            .prepare(plan, &target, prompter.as_mut())
            .await
        {
            Ok(Preparation::Ended(report)) => {
                tell(app, &report);
                interrupted = report.interrupted;
                reports.push((target, report));
            }
            Ok(Preparation::Ready(prepared)) => {
                let by = format!("{} {}", plan.control, prepared.target().name());
                options.deleting.add(&prepared.footprint(plan), &by);
                ready.push((plan.clone(), prepared, api));
            }
            Err(StartError::Busy(e)) => {
                // Another run here works on it: leave it to that run, go on with the others.
                app.printer.warn(&e.to_string());
                busy = true;
            }
            Err(e) => {
                // Nothing can be journaled: touch nothing more.
                app.printer.error(&e.to_string());
                start_failed = true;
                interrupted = true;
            }
        }
        if interrupted {
            break;
        }
    }

    prompter.changes_start();
    // Runs that share a resource go one after another, the ones that delete last.
    let footprints: Vec<Footprint> = ready
        .iter()
        .map(|(plan, prepared, _)| prepared.footprint(plan))
        .collect();
    let (order, waits) = engine::order(&footprints);
    let mut slots: Vec<Option<_>> = ready.into_iter().map(Some).collect();
    let ready: Vec<(Plan, Box<Prepared>, Arc<AwsApi>)> =
        order.iter().filter_map(|&i| slots[i].take()).collect();
    let name = |i: usize| {
        let (plan, prepared, _) = &ready[i];
        format!("{} {}", plan.control, prepared.target().name())
    };
    for (position, earlier) in waits.iter().enumerate() {
        for &before in earlier {
            let shared = footprints[order[position]].shared_with(&footprints[order[before]]);
            app.printer.status(&format!(
                "{} goes after {}: both touch {}.",
                name(position),
                name(before),
                shared.join(", ")
            ));
        }
    }
    if interrupted {
        if !ready.is_empty() {
            app.printer
                .important("Stopped: no change was made to the resources still waiting.");
        }
        let why = if start_failed {
            "not started: another run could not write its journal; nothing was changed; `hubfix resume` makes the changes".to_owned()
        } else {
            set_aside_message()
        };
        for (plan, prepared, api) in ready {
            let target = prepared.target().clone();
            let report = services
                .engine(&api)
                .set_aside(&plan, prepared, why.clone())
                .await;
            reports.push((target, report));
        }
    } else if parallel == 1 || ready.len() <= 1 {
        let many = ready.len() > 1;
        let mut queue = ready.into_iter();
        while let Some((plan, prepared, api)) = queue.next() {
            let target = prepared.target().clone();
            if many {
                header(app, &plan, &target);
            }
            let report = services
                .engine(&api)
                .finish(&plan, prepared, prompter.as_mut())
                .await;
            tell(app, &report);
            let stop = report.interrupted;
            reports.push((target, report));
            if stop {
                for (plan, prepared, api) in queue.by_ref() {
                    let target = prepared.target().clone();
                    let report = services
                        .engine(&api)
                        .set_aside(&plan, prepared, set_aside_message())
                        .await;
                    reports.push((target, report));
                }
            }
        }
    } else {
        let at_work = parallel.min(ready.len());
        let mut making = format!(
            "\nEvery question is answered. Making the changes on {} resources, {at_work} at a time",
            ready.len(),
        );
        if at_work < ready.len() {
            // True of the changes, not only of the runs: say it before they go.
            making.push_str(
                "; a run waiting on AWS gives its place to the next, so every change may be under way at once",
            );
        }
        app.printer.status(&format!("{making}…"));
        let fleet = Fleet::new(app.printer, ready.len(), parallel);
        let shared = SharedPrompter::new(prompter, fleet.clone());
        reports.extend(run_fleet(ready, waits, &fleet, shared, hub.clone(), options.clone()).await);
        fleet.finish();
    }
    Ok(end_session(app, &triaged, reports, start_failed, busy))
}

/// The summary, in the triage's order whatever order the runs ended in, and the session's
/// exit status.
fn end_session(
    app: &App,
    triaged: &[(String, String)],
    mut reports: Vec<(Target, RunReport)>,
    start_failed: bool,
    busy: bool,
) -> (Vec<(Target, RunReport)>, ExitStatus) {
    reports.sort_by_key(|(t, _)| {
        triaged
            .iter()
            .position(|(control, resource)| *control == t.control && *resource == t.resource)
    });
    app.printer.status("");
    app.printer.status_block(&summary(&reports));
    let worst = reports
        .iter()
        .map(|(_, r)| r.exit_status())
        .max()
        .unwrap_or_default();
    let exit = match (start_failed, busy) {
        (true, _) => worst.max(ExitStatus::Failed),
        (false, true) => worst.max(ExitStatus::Stopped),
        (false, false) => worst,
    };
    (reports, exit)
}

fn header(app: &App, plan: &Plan, target: &Target) {
    app.printer.status("");
    app.printer.status(&format!(
        "━━ {} {} — {}",
        plan.control,
        target.name(),
        plan.title.get(app.lang)
    ));
}

/// How a run ended: shown even with `-q` when it did not succeed.
pub(super) fn tell(app: &App, report: &RunReport) {
    if report.exit_status().is_success() {
        app.printer.status(&report.message);
    } else {
        app.printer
            .important(&format!("{}: {}", report.outcome.name(), report.message));
    }
}

/// What every target's engine shares; each target brings the API of its account.
struct Services<'a> {
    hub: &'a SdkSecurityHub,
    reporter: &'a TerminalReporter,
    options: &'a RunOptions,
}

impl Services<'_> {
    fn engine<'b>(&'b self, api: &'b AwsApi) -> Engine<'b> {
        Engine {
            api,
            hub: self.hub,
            reporter: self.reporter,
            options: self.options,
        }
    }
}

/// The report of a target whose run never started (nothing journaled, nothing changed).
fn not_started(options: &RunOptions, why: String) -> RunReport {
    RunReport {
        run_id: "-".into(),
        interrupted: false,
        outcome: crate::runbook::Outcome::Failed,
        message: format!("not started: {why}"),
        journal: options.state_dir.clone(),
        resume_at: None,
    }
}

pub(super) fn set_aside_message() -> String {
    "interrupted (Ctrl-C) before its changes started: nothing was changed; `hubfix resume` makes them".into()
}

/// Makes the changes of the prepared runs, each in its own task with its own journal, at
/// most `--parallel` of them at work (reading, asking, sending, journaling) at a time, each
/// of those with a line; a run waiting on AWS gives its place to the next meanwhile. A run that fails does not stop the others; Ctrl-C stops every
/// run at its next safe point and leaves the ones not started untouched.
async fn run_fleet(
    ready: Vec<(Plan, Box<Prepared>, Arc<AwsApi>)>,
    waits: Vec<Vec<usize>>,
    fleet: &Fleet,
    prompter: SharedPrompter,
    hub: Arc<SdkSecurityHub>,
    options: Arc<RunOptions>,
) -> Vec<(Target, RunReport)> {
    let (stop, watcher) = stop_flag();
    let mut tasks = RunTasks::new();
    let mut started = Started::new();
    // Each run says when it is over; a run waits for the earlier runs it shares a resource
    // with (a run that ends in a panic says so by dropping its sender).
    // `waits` names earlier runs only, whose ends are known by then.
    let mut ended: Vec<tokio::sync::watch::Receiver<bool>> = Vec::new();
    for (order, (plan, prepared, api)) in ready.into_iter().enumerate() {
        let (end, this_ended) = tokio::sync::watch::channel(false);
        let after: Vec<_> = waits[order].iter().map(|&i| ended[i].clone()).collect();
        ended.push(this_ended);
        let identity = (
            order,
            prepared.target().clone(),
            Some(prepared.run_id().to_owned()),
        );
        let (stop, hub, options) = (stop.clone(), hub.clone(), options.clone());
        let mut prompter = prompter.clone();
        let fleet = fleet.clone();
        let handle = tasks.spawn(async move {
            for mut earlier in after {
                let _ = earlier.wait_for(|over| *over).await;
            }
            // A place, and a line (and its ticker thread), only for a run at work: threads and
            // open files grow with --parallel, not with the number of targets waiting their
            // turn or waiting on AWS.
            let reporter = fleet
                .seat(&format!("{} {}", plan.control, prepared.target().name()))
                .await;
            let target = prepared.target().clone();
            let engine = Engine {
                api: api.as_ref(),
                hub: hub.as_ref(),
                reporter: &reporter,
                options: &options,
            };
            let report = if stop.load(Ordering::SeqCst) {
                engine.set_aside(&plan, prepared, set_aside_message()).await
            } else {
                engine.finish(&plan, prepared, &mut prompter).await
            };
            if report.interrupted {
                stop.store(true, Ordering::SeqCst);
            }
            reporter.ended(&report);
            let _ = end.send(true);
            Some((order, target, report))
        });
        started.insert(handle.id(), identity);
    }
    let done = gather(tasks, started, fleet, &options).await;
    watcher.abort();
    done
}

/// The fleet's stop flag, set once the operator asks to stop (Ctrl-C, SIGTERM), and the
/// task that sets it (to abort when the fleet is over).
pub(super) fn stop_flag() -> (Arc<AtomicBool>, tokio::task::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(crate::engine::stop_requested()));
    let watcher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            crate::engine::stop_asked().await;
            stop.store(true, Ordering::SeqCst);
        })
    };
    (stop, watcher)
}

/// A fleet's tasks: each gives its order, target and report (none for a target left alone).
pub(super) type RunTasks = JoinSet<Option<(usize, Target, RunReport)>>;

/// Who each task works on: its order, target and run id (when known), to report a task that
/// ends in a panic.
pub(super) type Started = HashMap<tokio::task::Id, (usize, Target, Option<String>)>;

/// Waits for every task of a fleet; the reports in the fleet's order.
pub(super) async fn gather(
    mut tasks: RunTasks,
    mut started: Started,
    fleet: &Fleet,
    options: &RunOptions,
) -> Vec<(Target, RunReport)> {
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next_with_id().await {
        match joined {
            Ok((_, result)) => done.extend(result),
            Err(e) => {
                // A bug in one run: the others go on, and this one is in the summary. Its
                // message is not printed: it could quote anything the run held.
                let Some((order, target, run_id)) = started.remove(&e.id()) else {
                    continue;
                };
                let run_id = run_id.unwrap_or_else(|| "-".into());
                fleet.error(&format!(
                    "run {run_id} of {} {} stopped on an internal error; its journal shows how far it got",
                    target.control,
                    target.name()
                ));
                let report = RunReport {
                    journal: crate::engine::Journal::path_for(&options.state_dir, &run_id),
                    run_id,
                    interrupted: false,
                    outcome: crate::runbook::Outcome::Failed,
                    message: "stopped on an internal error".into(),
                    resume_at: None,
                };
                done.push((order, target, report));
            }
        }
    }
    done.sort_by_key(|(order, _, _)| *order);
    done.into_iter().map(|(_, t, r)| (t, r)).collect()
}

/// `hubfix plan`: without answers every step and branch with its requests; with answers the
/// path they choose, walked by the same code as `run`, with every request it would send.
/// `save`: `plan --out`, every question asked (terminal or answers file) and the plan
/// written to a file instead of shown only.
pub async fn plan(
    app: &App,
    selectors: Selectors,
    answers: Option<&Path>,
    approver: Option<String>,
    save: Option<super::apply::SaveTo>,
) -> Result<ExitStatus> {
    if let Some(to) = &save {
        to.check()?;
    }
    let mut prompter: Option<Box<dyn Prompter>> = match (answers, &save) {
        (None, Some(_)) => Some(super::apply::planning_prompter(approver.clone())?),
        (Some(path), _) => {
            let file = AnswersFile::load(path)?;
            Some(Box::new(AnswersPrompter::new(file, path.to_path_buf())))
        }
        (None, None) => None,
    };
    let catalog = app.catalog()?;
    let accounts = app.accounts();
    let hub = SdkSecurityHub::new(accounts.caller_clients());
    let mut targets = select(&catalog, &hub, &selectors).await?;
    // In the order `run` asks them, so a saved plan is applied in that order too.
    deleting_first(&catalog, &mut targets);
    if targets.is_empty() {
        app.printer
            .status("No failed findings to work on: nothing to do.");
        if app.output == Output::Json {
            app.printer.json(&serde_json::json!({"targets": []}));
        }
        return Ok(ExitStatus::Success);
    }
    let json = app.output == Output::Json;
    // JSON is the data on stdout: the walk's texts then go to stderr.
    let reporter = PlainReporter {
        printer: app.printer,
        as_data: !json,
    };
    let options = app.run_options(approver, accounts.caller_arn().await.ok());
    let mut apis = AccountApis::new(false);
    let mut shown = Vec::new();
    let mut saved = super::apply::Saving::default();
    let mut code = ExitStatus::Success;
    for target in &targets {
        let plan = catalog
            .get(&target.control)
            .expect("selected targets have runbooks");
        // A target that cannot be planned is named, and the others are planned still.
        if let Some(problem) = target.account_disagreement() {
            app.printer.error(&problem);
            code = code.max(ExitStatus::Usage);
            continue;
        }
        let what = format!("{} {}", target.control, target.name());
        let acting = accounts
            .clients_for(target.account().as_deref(), &target.partition(), &what)
            .await;
        let (clients, role) = match acting {
            Ok(acting) => acting,
            Err(e) => {
                app.printer.error(&e.to_string());
                code = code.max(if e.is_usage() {
                    ExitStatus::Usage
                } else {
                    ExitStatus::Failed
                });
                continue;
            }
        };
        let api = apis.api(clients, &role);
        let engine = Engine {
            api: api.as_ref(),
            hub: &hub,
            reporter: &reporter,
            options: &options,
        };
        let (calls, outcome) = match prompter.as_mut() {
            Some(prompter) => {
                let whose = answers.map_or_else(
                    || "your answers".to_owned(),
                    |p| format!("the answers in {}", p.display()),
                );
                reporter.say(&format!(
                    "Plan of {} — {} ({}), as {whose} choose; nothing is changed:",
                    plan.control,
                    target.name(),
                    plan.title.get(options.lang),
                ));
                let report = engine
                    .preview_walk(plan, target, prompter.as_mut(), save.is_some())
                    .await;
                reporter.say(&format!(
                    "→ the run would end {}: {}",
                    report.outcome.name(),
                    report.message
                ));
                // A run the answers stop is a plan like any other; one that would fail is not.
                use crate::runbook::Outcome::{Failed, NeedsInput, TimedOut};
                if matches!(report.outcome, Failed | NeedsInput | TimedOut) {
                    code = code.max(report.outcome.exit_status());
                }
                if save.is_some() {
                    saved.add(target, &report);
                }
                // As in `run`: a later target's questions do not offer what this one deletes.
                options.deleting.add(&report.footprint, &what);
                (report.calls, Some((report.outcome, report.message)))
            }
            None => match preview(&engine, plan, target).await {
                Ok(calls) => (calls, None),
                Err(e) => {
                    app.printer.error(&format!(
                        "cannot plan {} {}: {e}",
                        plan.control,
                        target.name()
                    ));
                    code = code.max(ExitStatus::Failed);
                    continue;
                }
            },
        };
        if !json {
            reporter.say(&format!("Requests ({}):", calls.len()));
            for call in &calls {
                let kind = if call.mutating { "CHANGE" } else { "read  " };
                reporter.say(&format!("  {kind} {}", call.line()));
            }
            reporter.say("");
        }
        let mut entry = serde_json::json!({
            "control": target.control,
            "resource": target.resource,
            "name": target.name(),
            "account": target.account(),
            "region": target.region,
            "finding": target.finding.as_ref().map(|f| f.id.clone()),
            "walked": prompter.is_some(),
            "calls": calls,
        });
        if let Some((outcome, message)) = outcome {
            entry["outcome"] = outcome.name().into();
            entry["message"] = message.into();
        }
        shown.push(entry);
    }
    if json {
        app.printer.json(&serde_json::json!({ "targets": shown }));
    }
    match save {
        Some(to) => saved.write(app, &to, &options, code),
        None => Ok(code),
    }
}

/// A plan's text is the command's data: it goes to stdout (to stderr, for people, when the
/// data is JSON).
struct PlainReporter {
    printer: Printer,
    as_data: bool,
}

impl crate::engine::Reporter for PlainReporter {
    fn say(&self, text: &str) {
        if self.as_data {
            self.printer.data(text);
        } else {
            self.printer.status(text);
        }
    }

    fn warn(&self, text: &str) {
        self.printer.warn(text);
    }

    fn wait(&self, label: &str) -> Box<dyn crate::engine::WaitDisplay> {
        TerminalReporter::new(Printer::plain(self.printer.is_quiet())).wait(label)
    }
}
