//! Walking a plan for one resource: ask, act, wait, verify, and journal every move.
//!
//! Safety lives here, not in the runbooks: a mutating step runs only after the confirm prompt
//! that approves it was answered yes, and that prompt is preceded by the exact calls a yes
//! allows. Every event is journaled and synced before the run goes on; a run that cannot
//! journal does not change anything.

use super::calls::{self, Request, ShownCall};
use super::context::{Context, Target, os_user};
use super::journal::{Event, Journal, Record, last_started_step};
use super::prompt::{Answer, PromptError, Prompter, Question};
use super::reporter::Reporter;
use super::wait::{PollPolicy, WaitEnd, wait_until_ready};
use crate::actions::Api;
use crate::findings::{FindingRef, SecurityHub, WorkflowStatus, update_findings};
use crate::runbook::{Lang, OnFailure, Outcome, Plan, PromptKind, Step, StepKind};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Settings every run of a session shares.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub lang: Lang,
    pub approver: Option<String>,
    pub poll: PollPolicy,
    pub state_dir: PathBuf,
    /// Longest wait when a wait step names no timeout.
    pub default_wait_timeout: Duration,
}

/// The services and displays a run uses.
pub struct Engine<'a> {
    pub api: &'a dyn Api,
    pub hub: &'a dyn SecurityHub,
    pub reporter: &'a dyn Reporter,
    pub options: &'a RunOptions,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run_id: String,
    /// The operator pressed Ctrl-C (or Esc at a prompt): a batch stops here too.
    pub interrupted: bool,
    pub outcome: Outcome,
    pub message: String,
    pub journal: PathBuf,
    pub resume_at: Option<String>,
}

impl RunReport {
    pub fn exit_code(&self) -> i32 {
        self.outcome.exit_code()
    }
}

/// A run that could not start or be resumed at all.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot write the journal {path}: {source}; nothing was changed")]
    Journal {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Resume(String),
}

enum Flow {
    Next,
    End(Outcome, String),
}

enum Failure {
    /// The step failed; the step's `on_failure` decides what follows.
    Step(String),
    /// Ctrl-C or Esc: the run stops, and so does the session.
    Interrupted(String),
    /// The run must end now, whatever `on_failure` says.
    Stop(Outcome, String),
}

impl From<PromptError> for Failure {
    fn from(e: PromptError) -> Self {
        match e {
            PromptError::Interrupted => Failure::Interrupted(e.to_string()),
            PromptError::Missing(m) | PromptError::Invalid(m) => {
                Failure::Stop(Outcome::NeedsInput, m)
            }
            PromptError::Io { .. } => Failure::Stop(Outcome::NeedsInput, e.to_string()),
        }
    }
}

fn journal_failure(e: std::io::Error) -> Failure {
    Failure::Stop(
        Outcome::Failed,
        format!("cannot write the journal ({e}); stopped before changing anything more"),
    )
}

/// Choices read from the context: a list of texts, or of `{value, label}` objects.
fn dynamic_options(found: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Array(items)) = found else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item {
            Value::String(s) => Some((s.clone(), s.clone())),
            Value::Object(o) => {
                let value = o.get("value")?.as_str()?.to_owned();
                let label = o
                    .get("label")
                    .and_then(Value::as_str)
                    .map_or_else(|| value.clone(), str::to_owned);
                Some((value, label))
            }
            _ => None,
        })
        .collect()
}

pub fn new_run_id(target: &Target) -> String {
    let now = chrono::Utc::now();
    let control: String = target
        .control
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let name: String = target
        .name()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let salt = (now.timestamp_subsec_nanos() ^ std::process::id()) & 0xffff;
    format!(
        "{}-{control}-{name}-{salt:04x}",
        now.format("%Y%m%dT%H%M%SZ")
    )
}

struct Walk<'r, 'e> {
    engine: &'r Engine<'e>,
    plan: &'r Plan,
    target: Target,
    prompter: &'r mut dyn Prompter,
    journal: Journal,
    ctx: Context,
    run_id: String,
    last_prompt: Option<String>,
    /// SIGINT, listened to for the whole run so that a Ctrl-C during a change is not lost.
    interrupt: Option<tokio::signal::unix::Signal>,
    interrupted: bool,
    /// Salted hashes of the secrets given so far in this run, by prompt id.
    fingerprints: std::collections::BTreeMap<String, String>,
    /// Stop right before the first change, questions answered (a fleet asks all first).
    pause_before_change: bool,
    /// The finding lock this run holds (NOTIFIED while changing).
    lock: Option<super::lock::Held>,
    /// A mutating call went through in this session of the run.
    changed: bool,
    /// A preview: the requests that would be sent, none of the mutating ones sent.
    preview: Option<Vec<ShownCall>>,
    /// On resume: the requests of the resume step that went through before the
    /// interruption, by item, with their outputs (not sent again).
    done_items: std::collections::BTreeMap<usize, Value>,
}

/// What walking a plan without changing anything gives: how the run would end, and every
/// request it would send on the way, in order.
#[derive(Debug, Clone)]
pub struct PreviewReport {
    pub outcome: Outcome,
    pub message: String,
    pub calls: Vec<ShownCall>,
}

/// How a walk stopped: at an end, or paused before a change.
enum WalkEnd {
    Ended(RunReport),
    Paused(usize),
}

/// A run whose questions up to its first change are answered, paused right before that
/// change; [`Engine::finish`] makes the changes. Its journal is open and says so far.
pub struct Prepared {
    target: Target,
    journal: Journal,
    ctx: Context,
    run_id: String,
    last_prompt: Option<String>,
    fingerprints: std::collections::BTreeMap<String, String>,
    index: usize,
}

impl Prepared {
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    pub fn target(&self) -> &Target {
        &self.target
    }
}

/// What preparing a run gave: it ended before any change (already compliant, stopped by an
/// answer, failed), or it is ready to make its changes.
pub enum Preparation {
    Ended(RunReport),
    Ready(Box<Prepared>),
}

fn listen_for_interrupt() -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok()
}

impl<'e> Engine<'e> {
    /// Runs a plan on a target from its first step.
    pub async fn run(
        &self,
        plan: &Plan,
        target: &Target,
        prompter: &mut dyn Prompter,
    ) -> Result<RunReport, StartError> {
        let mut walk = self.start(plan, target, prompter)?;
        Ok(walk.walk(0).await)
    }

    /// Walks a plan on a target as `run` would, with the same code, asking the prompter
    /// (an answers file), making the read calls and recording every request instead of
    /// sending the mutating ones. Nothing is journaled and nothing is changed.
    pub async fn preview_walk(
        &self,
        plan: &Plan,
        target: &Target,
        prompter: &mut dyn Prompter,
    ) -> PreviewReport {
        let approver = self
            .options
            .approver
            .clone()
            .or_else(|| prompter.approver());
        let mut walk = Walk {
            engine: self,
            plan,
            target: target.clone(),
            prompter,
            journal: Journal::none(),
            ctx: Self::preview_context(target, approver.as_deref()),
            run_id: "plan".into(),
            last_prompt: None,
            interrupt: None,
            interrupted: false,
            fingerprints: Default::default(),
            pause_before_change: false,
            lock: None,
            changed: false,
            preview: Some(Vec::new()),
            done_items: Default::default(),
        };
        let report = walk.walk(0).await;
        PreviewReport {
            outcome: report.outcome,
            message: report.message,
            calls: walk.preview.take().unwrap_or_default(),
        }
    }

    /// The context of a preview: the run id is given only when a run starts.
    fn preview_context(target: &Target, approver: Option<&str>) -> Context {
        let mut ctx = Context::new(target, "plan", approver);
        ctx.value["run"]["id"] = crate::runbook::deferred("run.id");
        ctx
    }

    /// Runs a plan on a target up to its first change, asking every question on the way,
    /// and pauses there (or ends, when no change is needed).
    pub async fn prepare(
        &self,
        plan: &Plan,
        target: &Target,
        prompter: &mut dyn Prompter,
    ) -> Result<Preparation, StartError> {
        let mut walk = self.start(plan, target, prompter)?;
        walk.pause_before_change = true;
        Ok(match walk.walk_until(0).await {
            WalkEnd::Ended(report) => Preparation::Ended(report),
            WalkEnd::Paused(index) => Preparation::Ready(Box::new(Prepared {
                target: walk.target,
                journal: walk.journal,
                ctx: walk.ctx,
                run_id: walk.run_id,
                last_prompt: walk.last_prompt,
                fingerprints: walk.fingerprints,
                index,
            })),
        })
    }

    /// Makes the changes of a prepared run: the yes given while preparing, moments ago in
    /// this session, stands. Later questions (between phases, after a failure) are asked.
    pub async fn finish(
        &self,
        plan: &Plan,
        prepared: Box<Prepared>,
        prompter: &mut dyn Prompter,
    ) -> RunReport {
        let index = prepared.index;
        self.continue_prepared(plan, prepared, prompter)
            .walk(index)
            .await
    }

    /// Ends a prepared run without its changes (the session was interrupted before its
    /// turn): the journal says where it stopped, and `hubfix resume` goes on from there.
    pub async fn set_aside(
        &self,
        plan: &Plan,
        prepared: Box<Prepared>,
        message: String,
    ) -> RunReport {
        let step = plan.steps[prepared.index].id.clone();
        let mut nobody = super::ScriptedPrompter::new();
        let mut walk = self.continue_prepared(plan, prepared, &mut nobody);
        walk.interrupted = true;
        walk.end(Outcome::Stopped, message, Some(step)).await
    }

    fn continue_prepared<'r>(
        &'r self,
        plan: &'r Plan,
        prepared: Box<Prepared>,
        prompter: &'r mut dyn Prompter,
    ) -> Walk<'r, 'e> {
        let prepared = *prepared;
        Walk {
            engine: self,
            plan,
            target: prepared.target,
            prompter,
            journal: prepared.journal,
            ctx: prepared.ctx,
            run_id: prepared.run_id,
            last_prompt: prepared.last_prompt,
            interrupt: listen_for_interrupt(),
            interrupted: false,
            fingerprints: prepared.fingerprints,
            pause_before_change: false,
            lock: None,
            changed: false,
            preview: None,
            done_items: Default::default(),
        }
    }

    /// Opens the journal of a new run and the walk that will write it.
    fn start<'r>(
        &'r self,
        plan: &'r Plan,
        target: &Target,
        prompter: &'r mut dyn Prompter,
    ) -> Result<Walk<'r, 'e>, StartError> {
        let run_id = new_run_id(target);
        let approver = self
            .options
            .approver
            .clone()
            .or_else(|| prompter.approver());
        let ctx = Context::new(target, &run_id, approver.as_deref());
        let path = Journal::path_for(&self.options.state_dir, &run_id);
        let mut journal = Journal::create(&self.options.state_dir, &run_id).map_err(|source| {
            StartError::Journal {
                path: path.clone(),
                source,
            }
        })?;
        journal
            .record(Event::RunStart {
                run_id: run_id.clone(),
                who: os_user(),
                control: plan.control.clone(),
                resource: target.resource.clone(),
                region: target.region.clone(),
                finding_id: target.finding.as_ref().map(|f| f.id.clone()),
                also: target.also.clone(),
                runbook: plan.source.display().to_string(),
                hubfix_version: env!("CARGO_PKG_VERSION").into(),
                answers_from: prompter.source(),
                context: ctx.value.clone(),
            })
            .map_err(|source| StartError::Journal { path, source })?;
        Ok(Walk {
            engine: self,
            plan,
            target: target.clone(),
            prompter,
            journal,
            ctx,
            run_id,
            last_prompt: None,
            interrupt: listen_for_interrupt(),
            interrupted: false,
            fingerprints: Default::default(),
            pause_before_change: false,
            lock: None,
            changed: false,
            preview: None,
            done_items: Default::default(),
        })
    }

    /// Continues an interrupted or stopped run from its journal.
    pub async fn resume(
        &self,
        plan: &Plan,
        journal_path: &Path,
        prompter: &mut dyn Prompter,
    ) -> Result<RunReport, StartError> {
        let records = Journal::read(journal_path).map_err(|e| {
            StartError::Resume(format!(
                "cannot read the journal {}: {e}",
                journal_path.display()
            ))
        })?;
        let resumable = ResumePoint::find(&records).map_err(StartError::Resume)?;
        let mut start = plan.index_of(&resumable.step).ok_or_else(|| {
            StartError::Resume(format!(
                "the runbook of {} has no step `{}` any more; the journal {} shows where the run stopped",
                plan.control,
                resumable.step,
                journal_path.display()
            ))
        })?;
        let mut journal =
            Journal::append_to(journal_path).map_err(|source| StartError::Journal {
                path: journal_path.to_path_buf(),
                source,
            })?;
        journal
            .record(Event::Resumed {
                who: os_user(),
                from_step: resumable.step.clone(),
            })
            .map_err(|source| StartError::Journal {
                path: journal_path.to_path_buf(),
                source,
            })?;
        let mut walk = Walk {
            engine: self,
            plan,
            target: resumable.target,
            prompter,
            journal,
            ctx: resumable.context,
            run_id: resumable.run_id,
            last_prompt: resumable.last_prompt,
            interrupt: listen_for_interrupt(),
            interrupted: false,
            fingerprints: resumable.fingerprints,
            pause_before_change: false,
            lock: None,
            changed: false,
            preview: None,
            done_items: Default::default(),
        };
        let step = &plan.steps[start];
        let is_for_each = matches!(
            step.kind,
            StepKind::Action {
                for_each: Some(_),
                ..
            }
        );
        if is_for_each {
            // The requests that went through are not sent again; the others are.
            walk.done_items = resumable.completed_items;
        }
        let completed = resumable.completed_call.filter(|_| {
            !is_for_each
                && matches!(
                    step.kind,
                    StepKind::Action { .. } | StepKind::Suppress { .. } | StepKind::Resolve { .. }
                )
        });
        if let Some(output) = completed {
            walk.ctx.set_output(&step.id, output.clone());
            let Some(next) = walk.next_of(step) else {
                return Ok(walk
                    .end(Outcome::Failed, "the runbook has no next step".into(), None)
                    .await);
            };
            if let Err(f) = walk.record(Event::StepEnd {
                step: step.id.clone(),
                result: "ok (the call went through before the interruption)".into(),
                output: Some(output),
                next: Some(plan.steps[next].id.clone()),
                error: None,
            }) {
                return Ok(walk.finish_with_failure(step, f).await);
            }
            start = next;
        }
        if walk.ctx.approver().is_none()
            && let Some(approver) = self
                .options
                .approver
                .clone()
                .or_else(|| walk.prompter.approver())
        {
            walk.ctx.set_approver(&approver);
        }
        // Secrets were never journaled: ask for them again before going on.
        for id in resumable.secrets_to_ask {
            if let Some(index) = plan.index_of(&id)
                && let Err(f) = walk.prompt(&plan.steps[index]).await
            {
                // The run still resumes where it stopped, once the right secret is given.
                let resume_at = &plan.steps[start];
                return Ok(walk.finish_with_failure(resume_at, f).await);
            }
        }
        // A yes given in an earlier session does not carry over to a change not made yet:
        // the operator sees the exact change again and answers again.
        let step = &plan.steps[start];
        if let Some(approving) = step.kind.approved_by() {
            let prompt = &plan.steps[approving];
            walk.ctx.remove_answer(&prompt.id);
            if let Err(f) = walk.prompt(prompt).await {
                return Ok(walk.finish_with_failure(prompt, f).await);
            }
            if walk.ctx.answer(&prompt.id) != Some(&Value::Bool(true)) {
                let message = format!(
                    "`{}` was not approved again: nothing was changed; `hubfix resume {}` asks again",
                    step.id, walk.run_id
                );
                return Ok(walk
                    .end(Outcome::Stopped, message, Some(step.id.clone()))
                    .await);
            }
        }
        Ok(walk.walk(start).await)
    }
}

/// What replaying a journal gives back: the context at the step to resume from.
struct ResumePoint {
    run_id: String,
    step: String,
    target: Target,
    context: Context,
    last_prompt: Option<String>,
    secrets_to_ask: Vec<String>,
    /// Salted hashes of the secrets given before, to check the ones given again.
    fingerprints: std::collections::BTreeMap<String, String>,
    /// The output of the resume step's call when it went through before the run died
    /// (its end was never journaled): the call is not sent a second time.
    completed_call: Option<Value>,
    /// For a `for_each` step: the outputs of the requests that went through, by item.
    completed_items: std::collections::BTreeMap<usize, Value>,
}

impl ResumePoint {
    fn find(records: &[Record]) -> Result<ResumePoint, String> {
        let Some(Record {
            event:
                Event::RunStart {
                    run_id,
                    control,
                    resource,
                    region,
                    context,
                    also,
                    ..
                },
            ..
        }) = records.first()
        else {
            return Err("this is not a hubfix run journal (no run start)".into());
        };
        let ended = match records.last().map(|r| &r.event) {
            Some(Event::RunEnd {
                resume_at, outcome, ..
            }) => Some((resume_at.clone(), outcome.clone())),
            _ => None,
        };
        let step = match ended {
            Some((Some(step), _)) => step,
            Some((None, outcome)) => {
                return Err(format!(
                    "run {run_id} ended ({outcome}); there is nothing to resume"
                ));
            }
            None => last_started_step(records).ok_or_else(|| {
                format!("run {run_id} never started a step; start a new run instead")
            })?,
        };
        // Replay up to the last time that step started: the state it started with.
        let cut = records
            .iter()
            .rposition(|r| matches!(&r.event, Event::StepStart { step: s, .. } if *s == step))
            .unwrap_or(records.len());
        let completed_call = records[cut..].iter().find_map(|r| match &r.event {
            Event::ApiCall {
                step: s,
                ok: true,
                result,
                ..
            } if *s == step => Some(result.clone()),
            _ => None,
        });
        let completed_items = records[cut..]
            .iter()
            .filter_map(|r| match &r.event {
                Event::ApiCall {
                    step: s,
                    item: Some(i),
                    ok: true,
                    result,
                    ..
                } if *s == step => Some((*i, result.clone())),
                _ => None,
            })
            .collect();
        let finding = context
            .get("finding")
            .cloned()
            .and_then(|f| serde_json::from_value(f).ok());
        let mut ctx = Context::from_value(context.clone());
        let mut last_prompt = None;
        let mut secrets = Vec::new();
        let mut fingerprints = std::collections::BTreeMap::new();
        for record in &records[..cut] {
            match &record.event {
                Event::Answer { step, value, .. } if step == "approver" => {
                    if let Some(a) = value.as_str() {
                        ctx.set_approver(a);
                    }
                }
                Event::Answer {
                    step,
                    value,
                    fingerprint,
                    ..
                } => {
                    if value.as_str() == Some(super::context::REDACTED) {
                        secrets.retain(|s| s != step);
                        secrets.push(step.clone());
                    }
                    if let Some(fp) = fingerprint {
                        fingerprints.insert(step.clone(), fp.clone());
                    }
                    ctx.set_answer(step, value.clone());
                    last_prompt = Some(step.clone());
                }
                Event::StepEnd {
                    step,
                    output: Some(output),
                    ..
                } => ctx.set_output(step, output.clone()),
                _ => {}
            }
        }
        Ok(ResumePoint {
            run_id: run_id.clone(),
            step,
            target: Target {
                control: control.clone(),
                resource: resource.clone(),
                region: region.clone(),
                finding,
                also: also.clone(),
            },
            context: ctx,
            last_prompt,
            secrets_to_ask: secrets,
            fingerprints,
            completed_call,
            completed_items,
        })
    }
}

impl Walk<'_, '_> {
    fn lang(&self) -> Lang {
        self.engine.options.lang
    }

    /// Where to go after a step: the first branch that holds, else its `next`.
    fn next_of(&self, step: &Step) -> Option<usize> {
        step.branches
            .iter()
            .find(|b| b.when.eval(&self.ctx.value))
            .map(|b| b.next)
            .or(step.next)
    }

    fn reporter(&self) -> &dyn Reporter {
        self.engine.reporter
    }

    /// The names an answers file may key this resource by: its ARN or id, and the name the
    /// runbook reads from the resource once described.
    fn resource_keys(&self) -> Vec<String> {
        let mut keys = self.target.keys();
        let described = self
            .plan
            .resource_name
            .as_ref()
            .and_then(|p| p.lookup(&self.ctx.value))
            .and_then(Value::as_str);
        if let Some(name) = described
            && !keys.iter().any(|k| k == name)
        {
            keys.push(name.to_owned());
        }
        keys
    }

    fn record(&mut self, event: Event) -> Result<(), Failure> {
        self.journal.record(event).map_err(journal_failure)
    }

    fn today(&self) -> String {
        self.ctx.value["run"]["date"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Marks the finding NOTIFIED before the first change, so other operators see the run
    /// at work. A lock that cannot be taken is a warning, not a reason to leave a fix undone.
    async fn take_lock(&mut self) -> Result<(), Failure> {
        if self.lock.is_some() {
            return Ok(());
        }
        let who = self.ctx.approver().unwrap_or_else(os_user);
        let date = self.today();
        let taken =
            super::lock::take(self.engine.hub, &self.target, &self.run_id, &who, &date).await;
        match taken {
            Ok(Some(held)) => {
                // Held before it is journaled: if the journal fails, the run still puts it back.
                self.lock = Some(held);
                self.record(Event::ApiCall {
                    step: "lock".into(),
                    item: None,
                    operation: "securityhub:BatchUpdateFindings".into(),
                    params: serde_json::json!({"Workflow": {"Status": "NOTIFIED"}}),
                    ok: true,
                    result: Value::String("processed".into()),
                })?;
            }
            Ok(None) => {}
            Err(e) => self.reporter().warn(&format!(
                "could not mark the finding NOTIFIED ({e}); going on without the lock"
            )),
        }
        Ok(())
    }

    /// Puts a locked finding back as it was when the run ends without fixing or suppressing
    /// it (a resolve or suppress step has already moved it on and dropped the lock).
    async fn release_lock(&mut self, outcome: Outcome, resumable: bool) {
        // Stopped half-way through a change (between ElastiCache's phases, a Ctrl-C after a
        // change): the finding stays NOTIFIED until `hubfix resume` finishes or gives up.
        if resumable && self.changed {
            return;
        }
        let Some(held) = self.lock.take() else {
            return;
        };
        let who = self.ctx.approver().unwrap_or_else(os_user);
        let why = format!(
            "hubfix run {} ended {} without a fix; finding back to {}",
            self.run_id,
            outcome.name(),
            held.previous.as_str()
        );
        let date = self.today();
        // Bounded: the run's end must be journaled even if Security Hub does not answer.
        let released = tokio::time::timeout(
            Duration::from_secs(20),
            super::lock::release(self.engine.hub, &self.target, &held, &why, &who, &date),
        )
        .await
        .unwrap_or_else(|_| Err("Security Hub did not answer within 20 s".into()));
        let event = Event::ApiCall {
            step: "unlock".into(),
            item: None,
            operation: "securityhub:BatchUpdateFindings".into(),
            params: serde_json::json!({"Workflow": {"Status": held.previous.as_str()}}),
            ok: released.is_ok(),
            result: Value::String(released.clone().err().unwrap_or_else(|| "processed".into())),
        };
        if let Err(e) = released {
            self.reporter().warn(&format!(
                "could not put the finding back to {} ({e}); it stays NOTIFIED",
                held.previous.as_str()
            ));
        }
        let _ = self.journal.record(event);
    }

    async fn end(
        &mut self,
        outcome: Outcome,
        message: String,
        resume_at: Option<String>,
    ) -> RunReport {
        self.release_lock(outcome, resume_at.is_some()).await;
        let message = self.ctx.redact_text(&message);
        let ended = self.journal.record(Event::RunEnd {
            outcome: outcome.name().into(),
            exit_code: outcome.exit_code(),
            message: message.clone(),
            resume_at: resume_at.clone(),
        });
        if let Err(e) = ended {
            self.reporter()
                .warn(&format!("cannot write the end of the journal: {e}"));
        }
        RunReport {
            run_id: self.run_id.clone(),
            interrupted: self.interrupted,
            outcome,
            message,
            journal: self.journal.path().to_path_buf(),
            resume_at,
        }
    }

    async fn finish_with_failure(&mut self, step: &Step, failure: Failure) -> RunReport {
        if self.interrupt_pending() {
            self.interrupted = true;
        }
        let (outcome, message) = match failure {
            Failure::Step(m) => (Outcome::Failed, m),
            Failure::Stop(o, m) => (o, m),
            Failure::Interrupted(m) => {
                self.interrupted = true;
                (Outcome::Stopped, m)
            }
        };
        self.end(outcome, message, Some(step.id.clone())).await
    }

    async fn walk(&mut self, index: usize) -> RunReport {
        match self.walk_until(index).await {
            WalkEnd::Ended(report) => report,
            WalkEnd::Paused(index) => {
                let id = self.plan.steps[index].id.clone();
                self.end(Outcome::Stopped, format!("paused before `{id}`"), Some(id))
                    .await
            }
        }
    }

    async fn walk_until(&mut self, mut index: usize) -> WalkEnd {
        let plan = self.plan;
        loop {
            if self.pause_before_change
                && let Some(step) = plan.steps.get(index)
                && step.kind.approved_by().is_some()
                && step.when.as_ref().is_none_or(|w| w.eval(&self.ctx.value))
            {
                return WalkEnd::Paused(index);
            }
            let Some(step) = plan.steps.get(index) else {
                return WalkEnd::Ended(
                    self.end(
                        Outcome::Failed,
                        "the runbook ran past its last step".into(),
                        None,
                    )
                    .await,
                );
            };
            if let Err(f) = self.record(Event::StepStart {
                step: step.id.clone(),
                kind: step.kind.name().into(),
            }) {
                return WalkEnd::Ended(self.finish_with_failure(step, f).await);
            }
            if step.when.as_ref().is_some_and(|w| !w.eval(&self.ctx.value)) {
                let next = plan.steps.get(index + 1).map(|s| s.id.clone());
                if let Err(f) = self.record(Event::StepEnd {
                    step: step.id.clone(),
                    result: "skipped".into(),
                    output: None,
                    next,
                    error: None,
                }) {
                    return WalkEnd::Ended(self.finish_with_failure(step, f).await);
                }
                index += 1;
                continue;
            }
            let result = self.run_step(step).await;
            let output = self.ctx.value["steps"].get(&step.id).cloned();
            match result {
                Ok(Flow::Next) => {
                    let next = self.next_of(step);
                    let next_id = next.and_then(|n| plan.steps.get(n)).map(|s| s.id.clone());
                    if let Err(f) = self.record(Event::StepEnd {
                        step: step.id.clone(),
                        result: "ok".into(),
                        output,
                        next: next_id,
                        error: None,
                    }) {
                        return WalkEnd::Ended(self.finish_with_failure(step, f).await);
                    }
                    if self.interrupt_pending() {
                        self.interrupted = true;
                        let message = format!(
                            "interrupted (Ctrl-C) after `{}`; `hubfix resume {}` continues from there",
                            step.id, self.run_id
                        );
                        let resume_at = next.map(|n| plan.steps[n].id.clone());
                        return WalkEnd::Ended(
                            self.end(Outcome::Stopped, message, resume_at).await,
                        );
                    }
                    match next {
                        Some(n) => index = n,
                        None => {
                            return WalkEnd::Ended(
                                self.end(
                                    Outcome::Failed,
                                    "the runbook has no next step".into(),
                                    None,
                                )
                                .await,
                            );
                        }
                    }
                }
                Ok(Flow::End(outcome, message)) => {
                    let _ = self.record(Event::StepEnd {
                        step: step.id.clone(),
                        result: "ok".into(),
                        output,
                        next: None,
                        error: None,
                    });
                    let resume_at = (outcome == Outcome::Stopped)
                        .then(|| self.last_prompt.clone())
                        .flatten();
                    return WalkEnd::Ended(self.end(outcome, message, resume_at).await);
                }
                Err(failure) => {
                    let text = match &failure {
                        Failure::Step(m) | Failure::Stop(_, m) | Failure::Interrupted(m) => {
                            self.ctx.redact_text(m)
                        }
                    };
                    let _ = self.record(Event::StepEnd {
                        step: step.id.clone(),
                        result: "failed".into(),
                        output,
                        next: None,
                        error: Some(text.clone()),
                    });
                    match (failure, step.on_failure) {
                        (Failure::Step(_), OnFailure::Continue) if step.next.is_some() => {
                            self.reporter()
                                .warn(&format!("step `{}` failed, continuing: {text}", step.id));
                            index = step.next.expect("checked above");
                        }
                        (Failure::Step(_), OnFailure::Goto(target)) => {
                            self.reporter()
                                .warn(&format!("step `{}` failed: {text}", step.id));
                            index = target;
                        }
                        (failure, _) => {
                            return WalkEnd::Ended(self.finish_with_failure(step, failure).await);
                        }
                    }
                }
            }
        }
    }

    /// Executes a step within its timeout. Ctrl-C stops the run between polls and reads
    /// (the journal then says where it stopped), never in the middle of a change.
    async fn run_step(&mut self, step: &Step) -> Result<Flow, Failure> {
        let limit = match step.kind {
            StepKind::Wait(_) | StepKind::Prompt { .. } => None,
            _ => step.timeout,
        };
        let changes = step.kind.approved_by().is_some();
        let interrupted = format!(
            "interrupted (Ctrl-C) during `{}`; `hubfix resume {}` continues from there",
            step.id, self.run_id
        );
        let id = step.id.clone();
        let signal = if changes { None } else { self.interrupt.take() };
        let execute = async {
            match limit {
                Some(limit) => tokio::time::timeout(limit, self.execute(step))
                    .await
                    .unwrap_or_else(|_| {
                        Err(Failure::Stop(
                            Outcome::TimedOut,
                            format!("step `{id}` took longer than {}s", limit.as_secs()),
                        ))
                    }),
                None => self.execute(step).await,
            }
        };
        let Some(mut signal) = signal else {
            return execute.await;
        };
        let result = tokio::select! {
            result = execute => result,
            _ = signal.recv() => Err(Failure::Interrupted(interrupted)),
        };
        self.interrupt = Some(signal);
        result
    }

    /// Whether Ctrl-C was pressed since the last look (during a change, for instance).
    fn interrupt_pending(&mut self) -> bool {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        self.interrupt
            .as_mut()
            .is_some_and(|s| s.poll_recv(&mut cx).is_ready())
    }

    async fn execute(&mut self, step: &Step) -> Result<Flow, Failure> {
        let lang = self.lang();
        match &step.kind {
            StepKind::Prompt { .. } => {
                self.prompt(step).await?;
                Ok(Flow::Next)
            }
            StepKind::Note { text } => {
                self.reporter().say(&text.render(lang, &self.ctx.value));
                Ok(Flow::Next)
            }
            StepKind::End { outcome, text } => {
                let message = text.render(lang, &self.ctx.value);
                Ok(Flow::End(*outcome, message))
            }
            StepKind::Action {
                call,
                params,
                text,
                mutating,
                for_each,
                ..
            } => {
                self.check_approval(step)?;
                if *mutating && self.preview.is_none() {
                    self.take_lock().await?;
                }
                if let Some(text) = text {
                    self.reporter().say(&text.render(lang, &self.ctx.value));
                }
                let output = self.act(step, call, params, for_each.as_ref()).await?;
                self.changed |= *mutating && self.preview.is_none();
                self.ctx.set_output(&step.id, output);
                Ok(Flow::Next)
            }
            StepKind::Wait(spec) if self.preview.is_some() => {
                let label = spec.text.render(lang, &self.ctx.value);
                self.not_in_preview(step, lang.pick("would wait:", "待機予定:"), label)
            }
            StepKind::Wait(spec) => self.wait(step, spec).await,
            StepKind::Assert { text, .. } if self.preview.is_some() => {
                let what = text.render(lang, &self.ctx.value);
                self.not_in_preview(step, lang.pick("would verify:", "確認予定:"), what)
            }
            StepKind::Assert {
                call,
                params,
                that,
                text,
            } => {
                let what = text.render(lang, &self.ctx.value);
                let mut view = self.ctx.value.clone();
                if let Some(call) = call {
                    let output = self.act(step, call, params, None).await?;
                    self.ctx.set_output(&step.id, output.clone());
                    view["output"] = output;
                }
                if that.eval(&view) {
                    self.reporter().say(&format!("✓ {what}"));
                    Ok(Flow::Next)
                } else {
                    Err(Failure::Step(format!(
                        "verification failed: {what}: {}",
                        that.explain(&view)
                    )))
                }
            }
            StepKind::Suppress { note, .. } => {
                self.update_finding(step, WorkflowStatus::Suppressed, note)
                    .await
            }
            StepKind::Resolve { note, .. } => {
                self.update_finding(step, WorkflowStatus::Resolved, note)
                    .await
            }
        }
    }

    fn check_approval(&self, step: &Step) -> Result<(), Failure> {
        let Some(approver) = step.kind.approved_by() else {
            return Ok(());
        };
        let prompt = &self.plan.steps[approver].id;
        match self.ctx.answer(prompt) {
            Some(Value::Bool(true)) => Ok(()),
            _ => Err(Failure::Stop(
                Outcome::Failed,
                format!(
                    "refusing to run `{}`: it needs a yes to `{prompt}` first (the runbook reached it without one)",
                    step.id
                ),
            )),
        }
    }

    /// A wait or an assert in a preview: nothing was changed, so the state it waits for or
    /// checks cannot be seen. It is said, its request recorded and its output deferred.
    fn not_in_preview(&mut self, step: &Step, verb: &str, what: String) -> Result<Flow, Failure> {
        self.reporter().say(&format!("{verb} {what}"));
        let lang = self.lang();
        let requests = calls::step_requests(step, &self.ctx, &self.ctx.value, &self.target, lang);
        self.record_preview(requests);
        let output = calls::virtual_output(step, &self.ctx.value);
        self.ctx.set_output(&step.id, output);
        Ok(Flow::Next)
    }

    /// Keeps the requests a preview would send.
    fn record_preview(&mut self, requests: Vec<Request>) {
        let shown: Vec<ShownCall> = requests.iter().map(|r| r.shown(&self.ctx)).collect();
        if let Some(calls) = self.preview.as_mut() {
            calls.extend(shown);
        }
    }

    /// Makes an action's requests, one per item with `for_each`: sent, or in a preview
    /// recorded (read calls are made, unless they need a value no earlier call has given).
    /// The output is the call's, or for `for_each` a list of `{input, output}`.
    async fn act(
        &mut self,
        step: &Step,
        call: &str,
        params: &crate::runbook::Params,
        for_each: Option<&crate::runbook::ForEach>,
    ) -> Result<Value, Failure> {
        let failed = |e: crate::aws::ApiError| Failure::Step(self.ctx.redact_text(&e.to_string()));
        let shown = calls::action_requests(step, call, params, for_each, &self.ctx.value)
            .map_err(failed)?;
        let mutating = shown.iter().any(|r| r.mutating);
        let unknown = shown.iter().any(|r| {
            r.for_each_of.is_some()
                || crate::runbook::has_deferred(&Value::Object(r.params.clone()))
        });
        if self.preview.is_some() && (mutating || unknown) {
            self.record_preview(shown);
            return Ok(calls::virtual_output(step, &self.ctx.value));
        }
        let sending =
            calls::action_requests(step, call, params, for_each, &self.ctx.with_secrets())
                .map_err(failed)?;
        if for_each.is_none() {
            let (Some(shown), Some(sent)) = (shown.first(), sending.first()) else {
                return Ok(Value::Null);
            };
            return self.send(shown, sent).await;
        }
        let mut outputs = Vec::new();
        for (shown, sent) in shown.iter().zip(&sending) {
            let input = shown.input.clone().unwrap_or(Value::Null);
            let done = shown.item.and_then(|i| self.done_items.get(&i).cloned());
            let output = match done {
                Some(output) => output,
                None => match self.send(shown, sent).await {
                    Ok(output) => output,
                    Err(failure) => {
                        // What went through so far is there for the steps that follow.
                        let so_far = Value::Array(std::mem::take(&mut outputs));
                        self.ctx.set_output(&step.id, so_far);
                        return Err(failure);
                    }
                },
            };
            outputs.push(serde_json::json!({"input": input, "output": output}));
        }
        self.done_items.clear();
        Ok(Value::Array(outputs))
    }

    /// Sends one request and journals it as shown, secrets redacted.
    async fn send(&mut self, shown: &Request, sent: &Request) -> Result<Value, Failure> {
        let action = sent.action.expect("an API request");
        let params = shown.shown_params(&self.ctx);
        tracing::info!(operation = action.operation, params = %params, "calling");
        if let Some(calls) = self.preview.as_mut() {
            calls.push(shown.shown(&self.ctx));
        }
        let result = self
            .engine
            .api
            .call(action, self.target.region.as_deref(), &sent.params)
            .await;
        let (ok, logged) = match &result {
            Ok(v) => (true, self.ctx.redact(v.clone())),
            Err(e) => (false, Value::String(self.ctx.redact_text(&e.to_string()))),
        };
        self.record(Event::ApiCall {
            step: shown.step.clone(),
            item: shown.item,
            operation: action.operation.into(),
            params,
            ok,
            result: logged,
        })?;
        result
            .map(|v| self.ctx.redact(v))
            .map_err(|e| Failure::Step(self.ctx.redact_text(&e.to_string())))
    }

    pub(super) async fn prompt(&mut self, step: &Step) -> Result<(), Failure> {
        let StepKind::Prompt {
            kind,
            text,
            options,
            options_from,
            validate,
            default,
            rules,
            generate,
        } = &step.kind
        else {
            return Ok(());
        };
        let lang = self.lang();
        let index = self.plan.index_of(&step.id).expect("a plan step");
        // Only the changes this run will make if the answer is yes: a step another branch
        // skips is not shown.
        let mut if_yes = self.ctx.value.clone();
        if_yes["answers"][&step.id] = Value::Bool(true);
        let if_yes = calls::projected(self.plan, &if_yes, false);
        let approved: Vec<String> = self
            .plan
            .steps
            .iter()
            .filter(|s| s.kind.approved_by() == Some(index))
            .filter(|s| s.when.as_ref().is_none_or(|w| w.eval(&if_yes)))
            .flat_map(|s| calls::step_requests(s, &self.ctx, &if_yes, &self.target, lang))
            .filter(|r| r.mutating)
            .map(|r| r.line(&self.ctx))
            .collect();
        if !approved.is_empty() {
            self.reporter().say(lang.pick(
                "If you answer yes, hubfix will:",
                "「はい」と答えると hubfix は次を実行します:",
            ));
            for change in &approved {
                self.reporter().say(&format!("  • {change}"));
            }
        }
        let mut choices = options_from
            .as_ref()
            .map(|path| dynamic_options(path.lookup(&self.ctx.value)))
            .unwrap_or_default();
        choices.extend(
            options
                .iter()
                .map(|o| (o.value.clone(), o.label.get(lang).to_owned())),
        );
        let question = Question {
            id: step.id.clone(),
            kind: *kind,
            text: text.render(lang, &self.ctx.value),
            options: choices.clone(),
            validate: validate.clone(),
            default: default.as_ref().map(|d| match d {
                Value::String(s) => crate::runbook::Template::parse(s)
                    .map_or_else(|_| d.clone(), |t| Value::String(t.render(&self.ctx.value))),
                other => other.clone(),
            }),
            rules: rules.clone(),
            // A secret given before must be given again, not generated anew.
            generate: generate.filter(|_| !self.fingerprints.contains_key(&step.id)),
            control: self.plan.control.clone(),
            resource_keys: self.resource_keys(),
        };
        let answer = self.prompter.ask(&question)?;
        let mut fingerprint = None;
        let value = match answer {
            Answer::Bool(b) => Value::Bool(b),
            Answer::Text(t) => {
                if *kind == PromptKind::Select && !choices.iter().any(|(v, _)| *v == t) {
                    let allowed: Vec<&str> = choices.iter().map(|(v, _)| v.as_str()).collect();
                    return Err(Failure::Stop(
                        Outcome::NeedsInput,
                        format!(
                            "`{t}` is not an option of `{}`; the options are: {}",
                            step.id,
                            allowed.join(", ")
                        ),
                    ));
                }
                if let Some(Err(problem)) = validate
                    .as_deref()
                    .map(|v| crate::runbook::validators::check(v, &t))
                {
                    return Err(Failure::Stop(
                        Outcome::NeedsInput,
                        format!(
                            "the answer to `{}` cannot be used: {problem}; nothing was changed",
                            step.id
                        ),
                    ));
                }
                Value::String(t)
            }
            Answer::Secret(s) => {
                if let Some(Err(problem)) = rules.as_ref().map(|r| r.check(s.expose())) {
                    return Err(Failure::Stop(
                        Outcome::NeedsInput,
                        format!(
                            "the value given for `{}` cannot be used: {problem}; nothing was changed",
                            step.id
                        ),
                    ));
                }
                if let Some(earlier) = self.fingerprints.get(&step.id)
                    && !super::secrets::same_secret(earlier, &s)
                {
                    return Err(Failure::Stop(
                        Outcome::NeedsInput,
                        format!(
                            "the value given for `{}` is not the one given earlier in this run (the journal keeps its salted hash); give the same one, or start a new run",
                            step.id
                        ),
                    ));
                }
                fingerprint = Some(super::secrets::fingerprint(&s).map_err(journal_failure)?);
                self.ctx.set_secret(&step.id, s);
                Value::String(super::context::REDACTED.into())
            }
        };
        // For a secret this is `<redacted>`, as set_secret already left it.
        self.ctx.set_answer(&step.id, value.clone());
        self.last_prompt = Some(step.id.clone());
        if let Some(fp) = &fingerprint {
            self.fingerprints.insert(step.id.clone(), fp.clone());
        }
        self.record_answer(&step.id, value, fingerprint)
    }

    /// Journals an answer with where it came from and who gave it.
    fn record_answer(
        &mut self,
        step: &str,
        value: Value,
        fingerprint: Option<String>,
    ) -> Result<(), Failure> {
        let source = self.prompter.source();
        let by = self.prompter.who();
        self.record(Event::Answer {
            step: step.to_owned(),
            value,
            source,
            by,
            fingerprint,
        })
    }

    async fn wait(
        &mut self,
        step: &Step,
        spec: &crate::runbook::WaitSpec,
    ) -> Result<Flow, Failure> {
        let lang = self.lang();
        let action = crate::actions::find(&spec.call).expect("validated call");
        let params = spec.params.render_to_send(&self.ctx.with_secrets());
        let label = spec.text.render(lang, &self.ctx.value);
        let timeout = step
            .timeout
            .unwrap_or(self.engine.options.default_wait_timeout);
        let mut display = self.engine.reporter.wait(&label);
        let base = self.ctx.value.clone();
        let until = |output: &Value| {
            spec.until.as_ref().is_none_or(|c| {
                let mut view = base.clone();
                view["output"] = output.clone();
                c.eval(&view)
            })
        };
        let journal = &mut self.journal;
        let step_id = step.id.clone();
        let mut on_reading = |r: super::wait::Reading<'_>| {
            tracing::info!(step = %step_id, status = r.status, pending = r.pending, "status");
            journal
                .record(Event::Status {
                    step: step_id.clone(),
                    status: r.status.to_owned(),
                    pending: r.pending,
                    elapsed_ms: r.elapsed.as_millis() as u64,
                })
                .map_err(|e| format!("cannot write the journal: {e}"))
        };
        let end = wait_until_ready(
            self.engine.api,
            action,
            self.target.region.as_deref(),
            &params,
            spec,
            &until,
            timeout,
            self.engine.options.poll,
            display.as_mut(),
            &mut on_reading,
        )
        .await;
        match end {
            WaitEnd::Ready(output) => {
                display.finish(&format!("✓ {label}"));
                self.ctx.set_output(&step.id, self.ctx.redact(output));
                Ok(Flow::Next)
            }
            WaitEnd::Failed(message, output) => {
                // What the resource said when it failed is there for the steps that follow.
                if let Some(output) = output {
                    self.ctx.set_output(&step.id, self.ctx.redact(output));
                }
                let message = self.ctx.redact_text(&message);
                display.finish(&format!("✗ {label}: {message}"));
                Err(Failure::Step(format!("{label}: {message}")))
            }
            WaitEnd::Journal(message) => {
                display.finish(&format!("✗ {label}: {message}"));
                Err(Failure::Stop(
                    Outcome::Failed,
                    format!("{message}; stopped before changing anything more"),
                ))
            }
            WaitEnd::TimedOut(message) => {
                display.finish(&format!("✗ {label}: {message}"));
                Err(Failure::Stop(
                    Outcome::TimedOut,
                    format!(
                        "{label}: timed out, {message}; `hubfix resume {}` waits again",
                        self.run_id
                    ),
                ))
            }
        }
    }

    async fn approver(&mut self) -> Result<String, Failure> {
        if let Some(a) = self.ctx.approver() {
            return Ok(a);
        }
        let lang = self.lang();
        let question = Question {
            id: "approver".into(),
            kind: PromptKind::Input,
            text: lang
                .pick(
                    "Who signed this off? (name recorded in the finding note)",
                    "承認者は誰ですか?(Finding のメモに記録されます)",
                )
                .into(),
            options: Vec::new(),
            validate: None,
            default: None,
            rules: None,
            generate: None,
            control: self.plan.control.clone(),
            resource_keys: self.resource_keys(),
        };
        let approver = match self.prompter.ask(&question) {
            Ok(Answer::Text(t)) if !t.trim().is_empty() => t.trim().to_owned(),
            Ok(_) => {
                return Err(Failure::Stop(
                    Outcome::NeedsInput,
                    "the approver's name cannot be empty".into(),
                ));
            }
            Err(PromptError::Missing(_)) => {
                return Err(Failure::Stop(
                    Outcome::NeedsInput,
                    "a suppression needs the approver's name: pass --approver NAME or set `approver:` in the answers file".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        self.ctx.set_approver(&approver);
        self.record_answer("approver", Value::String(approver.clone()), None)?;
        Ok(approver)
    }

    async fn update_finding(
        &mut self,
        step: &Step,
        status: WorkflowStatus,
        note: &crate::runbook::Message,
    ) -> Result<Flow, Failure> {
        self.check_approval(step)?;
        let lang = self.lang();
        let Some(finding) = self.target.finding.clone() else {
            self.reporter().say(lang.pick(
                "No Security Hub finding was given for this resource, so there is nothing to mark; nothing was changed in Security Hub.",
                "このリソースには Security Hub の Finding が指定されていないため、Security Hub は変更しません。",
            ));
            self.ctx
                .set_output(&step.id, serde_json::json!({"skipped": "no finding"}));
            return Ok(Flow::Next);
        };
        let updated_by = match status {
            WorkflowStatus::Suppressed => self.approver().await?,
            _ => self.ctx.approver().unwrap_or_else(os_user),
        };
        let date = self.today();
        let body = self.ctx.redact_text(&note.render(lang, &self.ctx.value));
        let request = calls::finding_request(
            &step.id,
            &self.target,
            status.as_str(),
            &body,
            &updated_by,
            &date,
        )
        .expect("the target has a finding");
        let text = request.params["Note"]["Text"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut refs = vec![FindingRef::from(&finding)];
        refs.extend(self.target.also.iter().cloned());
        self.reporter().say(&format!(
            "→ securityhub:BatchUpdateFindings {} on {} finding(s), note: \"{text}\"",
            status.as_str(),
            refs.len()
        ));
        if self.preview.is_some() {
            self.record_preview(vec![request]);
            self.ctx.set_output(
                &step.id,
                serde_json::json!({"status": status.as_str(), "note": text}),
            );
            return Ok(Flow::Next);
        }
        let result = update_findings(self.engine.hub, &refs, status, &text, &updated_by).await;
        if matches!(&result, Ok(failed) if failed.len() < refs.len()) {
            // Some findings moved on: putting "them" back to NEW would undo that.
            self.lock = None;
        }
        let (ok, logged) = match &result {
            Ok(failed) if failed.is_empty() => (true, Value::String("processed".into())),
            Ok(failed) => (false, serde_json::to_value(failed).unwrap_or_default()),
            Err(e) => (false, Value::String(e.to_string())),
        };
        self.record(Event::ApiCall {
            step: step.id.clone(),
            item: None,
            operation: request.iam_action(),
            params: request.shown_params(&self.ctx),
            ok,
            result: logged,
        })?;
        match result {
            Ok(failed) if failed.is_empty() => {
                // The finding has moved on: nothing to put back.
                self.lock = None;
                self.reporter().say(&format!(
                    "✓ {} {} → {}",
                    lang.pick("finding", "Finding"),
                    finding.id,
                    status.as_str()
                ));
                self.ctx.set_output(
                    &step.id,
                    serde_json::json!({"status": status.as_str(), "note": text}),
                );
                Ok(Flow::Next)
            }
            Ok(failed) => Err(Failure::Step(format!(
                "Security Hub did not update {} of {} findings, e.g. {}: {} ({})",
                failed.len(),
                refs.len(),
                failed[0].finding.id,
                failed[0].error_code,
                failed[0].error_message
            ))),
            Err(e) => Err(Failure::Step(e.to_string())),
        }
    }
}
