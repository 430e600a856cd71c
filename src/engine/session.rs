//! The entry points of a run on one resource: start, preview, prepare and finish (a fleet
//! asks every question before changing anything), set aside, and resume from a journal.
//! Each builds a [`Walk`] with its collaborators; the walk itself is in `walk.rs`.

use super::asker::{Asked, Asker};
use super::calls::ShownCall;
use super::context::{Context, Target, os_user};
use super::guard::{Capture, Guard, PlanCheck};
use super::journal::{Event, Journal, PlanRef};
use super::lock::{FindingLock, LocalLock};
use super::prompt::Prompter;
use super::recorder::Recorder;
use super::reporter::Reporter;
use super::resume::ResumePoint;
use super::saved_plan::PlanFile;
use super::wait::PollPolicy;
use super::walk::{Walk, WalkEnd};
use crate::actions::Api;
use crate::findings::SecurityHub;
use crate::runbook::{Lang, Outcome, Plan, StepKind};
use serde_json::Value;
use std::collections::BTreeMap;
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
    /// The credentials' identity (STS ARN): who signs the session's notes off when no
    /// approver is named, and the default answer when one is asked.
    pub caller: Option<String>,
    /// The saved plan the session applies (`hubfix apply`): each run is checked against its
    /// planned target, and its journal and finding notes carry the plan's SHA-256.
    pub applying: Option<std::sync::Arc<PlanFile>>,
    /// The resources other runs of this session will delete: never offered as a choice.
    pub deleting: super::Deleting,
    /// The session these runs belong to ([`new_session_id`]): their finding locks name it,
    /// so the notes of one session are alike and share BatchUpdateFindings requests.
    pub session: String,
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
    pub fn exit_status(&self) -> crate::exit::ExitStatus {
        self.outcome.exit_status()
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
    #[error("cannot read the journal {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    NotResumable(#[from] super::resume::NotResumable),
    /// Another run on this machine works on the resource.
    #[error(transparent)]
    Busy(#[from] super::lock::LocalLockError),
    #[error(
        "the runbook of {control} has no step `{step}` any more; the journal {} shows where the run stopped",
        path.display()
    )]
    StepGone {
        control: String,
        step: String,
        path: PathBuf,
    },
    #[error("{control} on {resource} is not in the plan being applied; nothing was changed")]
    NotPlanned { control: String, resource: String },
}

impl StartError {
    /// Whether the operator must change what they asked for (not a failure of the machine).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            StartError::NotResumable(_)
                | StartError::StepGone { .. }
                | StartError::Unreadable { .. }
                | StartError::NotPlanned { .. }
        )
    }
}

/// A new session's id, e.g. `s-20261207T0150Z-3f2a`: made once by each `run` and `apply`,
/// named by the finding locks of every run of it.
pub fn new_session_id() -> String {
    let now = chrono::Utc::now();
    let salt = (now.timestamp_subsec_nanos() ^ std::process::id()) & 0xffff;
    format!("s-{}-{salt:04x}", now.format("%Y%m%dT%H%MZ"))
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

/// What walking a plan without changing anything gives: how the run would end, and every
/// request it would send on the way, in order.
#[derive(Debug, Clone)]
pub struct PreviewReport {
    pub outcome: Outcome,
    pub message: String,
    pub calls: Vec<ShownCall>,
    /// When the plan is saved: every answer on the path (a secret as its reference)...
    pub answers: BTreeMap<String, Value>,
    /// ...and the fields of the resource state read before the first change.
    pub fingerprint: BTreeMap<String, Value>,
    /// Who signed the decisions off, if anyone was named.
    pub approver: Option<String>,
    /// What the run would delete or touch besides its resource, from what the walk read and
    /// was answered: a later target's questions do not offer what this one deletes.
    pub footprint: super::Footprint,
}

/// A run whose questions up to its first change are answered, paused right before that
/// change; [`Engine::finish`] makes the changes. Its journal says so far. It keeps its
/// resource's lock on this machine until it ends, and holds no open file for it or for its
/// journal, so a fleet of hundreds of prepared runs keeps as many files open as it has runs
/// at work.
pub struct Prepared {
    target: Target,
    local: Option<LocalLock>,
    journal: PathBuf,
    ctx: Context,
    run_id: String,
    asked: Asked,
    index: usize,
    check: Option<PlanCheck>,
}

impl Prepared {
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// What this run may delete and touch, from what it has read and been answered.
    pub fn footprint(&self, plan: &Plan) -> super::Footprint {
        super::Footprint::of(plan, &self.target, &self.ctx.value)
    }
}

/// What preparing a run gave: it ended before any change (already compliant, stopped by an
/// answer, failed), or it is ready to make its changes.
pub enum Preparation {
    Ended(RunReport),
    Ready(Box<Prepared>),
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
    /// (an answers file, or a terminal), making the read calls and recording every request
    /// instead of sending the mutating ones. Nothing is journaled and nothing is changed.
    /// `saving`: the plan is saved (`plan --out`): the answers as the plan keeps them and
    /// the resource state read are recorded, and what only the run applying it will know
    /// (its id and session, date, plan SHA-256, and its signer when nobody is named) stays `<from run.…>`.
    pub async fn preview_walk(
        &self,
        plan: &Plan,
        target: &Target,
        prompter: &mut dyn Prompter,
        saving: bool,
    ) -> PreviewReport {
        let approver = self
            .options
            .approver
            .clone()
            .or_else(|| prompter.approver());
        let mut ctx = self.preview_context(target, approver.as_deref());
        if saving {
            ctx.defer_run_value("date");
            ctx.defer_run_value("plan");
            if approver.is_none() {
                ctx.defer_run_value("signer");
            }
        }
        let asker = Asker::new(prompter, Asked::default());
        let mut walk = Walk::new(
            self,
            plan,
            target.clone(),
            ctx,
            "plan".into(),
            asker,
            Recorder::preview(),
        );
        if saving {
            walk.check = Some(PlanCheck::Saving(Capture::new(plan.state_paths())));
        }
        let report = walk.walk(0).await;
        let (answers, fingerprint) = match walk.check.take() {
            Some(PlanCheck::Saving(capture)) => (capture.answers, capture.fingerprint),
            _ => Default::default(),
        };
        PreviewReport {
            outcome: report.outcome,
            message: report.message,
            calls: walk.recorder.take_calls(),
            answers,
            fingerprint,
            approver: walk.ctx.approver(),
            footprint: super::Footprint::of(plan, target, &walk.ctx.value),
        }
    }

    /// The context of a preview: the run id is given only when a run starts.
    fn preview_context(&self, target: &Target, approver: Option<&str>) -> Context {
        let mut ctx = Context::new(target, "plan", approver);
        ctx.set_signer(self.options.caller.as_deref());
        ctx.value["run"]["id"] = crate::runbook::deferred("run.id");
        ctx.value["run"]["session"] = crate::runbook::deferred("run.session");
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
                local: walk.lock.keep_local(),
                journal: walk.recorder.path().to_path_buf(),
                target: walk.target,
                ctx: walk.ctx,
                run_id: walk.run_id,
                asked: walk.asker.asked(),
                index,
                check: walk.check,
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
        match self.continue_prepared(plan, prepared, prompter, true).await {
            Ok(mut walk) => walk.walk(index).await,
            Err(report) => report,
        }
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
        match self
            .continue_prepared(plan, prepared, &mut nobody, false)
            .await
        {
            Ok(mut walk) => {
                walk.interrupted = true;
                walk.end(Outcome::Stopped, message, Some(step)).await
            }
            Err(report) => report,
        }
    }

    /// Reopens a prepared run's journal and, to make its changes (`lock`), keeps its
    /// resource's lock (taken again if it was not kept: a run that started meanwhile on this
    /// machine keeps it, and this one stops, nothing changed, resumable at its first change).
    async fn continue_prepared<'r>(
        &'r self,
        plan: &'r Plan,
        prepared: Box<Prepared>,
        prompter: &'r mut dyn Prompter,
        lock: bool,
    ) -> Result<Walk<'r, 'e>, RunReport> {
        let mut prepared = *prepared;
        let kept = prepared.local.take();
        let step = plan.steps[prepared.index].id.clone();
        let journal = match Journal::append_to(&prepared.journal) {
            Ok(journal) => journal,
            Err(e) => {
                return Err(RunReport {
                    run_id: prepared.run_id.clone(),
                    interrupted: false,
                    outcome: Outcome::Failed,
                    message: format!(
                        "cannot write the journal {} again: {e}; nothing was changed",
                        prepared.journal.display()
                    ),
                    journal: prepared.journal,
                    resume_at: Some(step),
                });
            }
        };
        let local = lock.then(|| match kept {
            Some(local) => Ok(local),
            None => LocalLock::acquire(
                &self.options.state_dir,
                &prepared.target.resource,
                &prepared.run_id,
            ),
        });
        let mut walk = Walk::new(
            self,
            plan,
            prepared.target,
            prepared.ctx,
            prepared.run_id,
            Asker::new(prompter, prepared.asked),
            Recorder::journal(journal),
        );
        walk.check = prepared.check;
        match local {
            None => {}
            Some(Ok(local)) => walk.lock = FindingLock::local(local),
            Some(Err(e)) => {
                let message = format!(
                    "{e}; nothing was changed. `hubfix resume {}` makes the changes",
                    walk.run_id
                );
                return Err(walk.end(Outcome::Stopped, message, Some(step)).await);
            }
        }
        Ok(walk)
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
        let mut ctx = Context::new(target, &run_id, approver.as_deref());
        ctx.set_session(&self.options.session);
        ctx.set_signer(self.options.caller.as_deref());
        let applying = match &self.options.applying {
            None => None,
            Some(file) => {
                let planned = file.target(target).ok_or_else(|| StartError::NotPlanned {
                    control: target.control.clone(),
                    resource: target.resource.clone(),
                })?;
                ctx.set_plan(Value::String(file.sha256.clone()));
                let guard =
                    Guard::new(planned.fingerprint.clone(), &planned.calls, planned.outcome);
                Some((guard, PlanRef::of(file)))
            }
        };
        let (check, plan_ref) = match applying {
            Some((guard, plan_ref)) => (Some(PlanCheck::Applying(guard)), Some(plan_ref)),
            None => (None, None),
        };
        let local = LocalLock::acquire(&self.options.state_dir, &target.resource, &run_id)?;
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
                session: Some(self.options.session.clone()),
                who: os_user(),
                control: plan.control.clone(),
                resource: target.resource.clone(),
                region: target.region.clone(),
                finding_id: target.finding.as_ref().map(|f| f.id.clone()),
                also: target.also.clone(),
                account: target.account(),
                role: target.role.clone(),
                runbook: plan.source.display().to_string(),
                hubfix_version: env!("CARGO_PKG_VERSION").into(),
                answers_from: prompter.source(),
                plan: plan_ref,
                context: ctx.value.clone(),
            })
            .map_err(|source| StartError::Journal { path, source })?;
        let mut walk = Walk::new(
            self,
            plan,
            target.clone(),
            ctx,
            run_id,
            Asker::new(prompter, Asked::default()),
            Recorder::journal(journal),
        );
        walk.lock = FindingLock::local(local);
        walk.check = check;
        Ok(walk)
    }

    /// Continues an interrupted or stopped run from its journal.
    pub async fn resume(
        &self,
        plan: &Plan,
        journal_path: &Path,
        prompter: &mut dyn Prompter,
    ) -> Result<RunReport, StartError> {
        let records = Journal::read(journal_path).map_err(|source| StartError::Unreadable {
            path: journal_path.to_path_buf(),
            source,
        })?;
        let resumable = ResumePoint::find(&records)?;
        let local = LocalLock::acquire(
            &self.options.state_dir,
            &resumable.target.resource,
            &resumable.run_id,
        )?;
        let mut start = plan
            .index_of(&resumable.step)
            .ok_or_else(|| StartError::StepGone {
                control: plan.control.clone(),
                step: resumable.step.clone(),
                path: journal_path.to_path_buf(),
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
        let mut walk = Walk::new(
            self,
            plan,
            resumable.target,
            resumable.context,
            resumable.run_id,
            Asker::new(prompter, resumable.asked),
            Recorder::journal(journal),
        );
        walk.lock = FindingLock::local(local);
        walk.lock.taken_before(resumable.lock_taken_from);
        if walk.ctx.value["run"]["signer"].is_null() {
            walk.ctx.set_signer(self.options.caller.as_deref());
        }
        walk.uncertain = resumable
            .uncertain
            .iter()
            .map(|item| (resumable.step.clone(), *item))
            .collect();
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
                .or_else(|| walk.asker.approver())
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
