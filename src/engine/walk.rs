//! One walk of a plan for one resource: ask, act, wait, verify, and journal every move. The
//! same walk runs a plan and previews it; in a preview the recorder keeps the requests a
//! change would send instead of sending them.
//!
//! Safety lives here, not in the runbooks: a mutating step runs only after the confirm prompt
//! that approves it was answered yes, and that prompt is preceded by the exact calls a yes
//! allows. Every event is journaled and synced before the run goes on; a run that cannot
//! journal does not change anything.

use super::asker::{Asker, dynamic_options};
use super::calls::{self, Request, Signature};
use super::context::{Context, Target};
use super::flow::{Failure, Flow};
use super::guard::PlanCheck;
use super::interrupt::Interrupts;
use super::journal::Event;
use super::lock::FindingLock;
use super::prompt::Question;
use super::recorder::Recorder;
use super::reporter::Reporter;
use super::session::{Engine, RunReport};
use super::wait::{WaitEnd, wait_until_ready};
use crate::findings::{WorkflowStatus, update_findings};
use crate::runbook::{Lang, OnFailure, Outcome, Plan, PromptKind, Step, StepKind};
use serde_json::Value;

/// How a walk stopped: at an end, or paused before a change.
pub(super) enum WalkEnd {
    Ended(RunReport),
    Paused(usize),
}

pub(super) struct Walk<'r, 'e> {
    pub engine: &'r Engine<'e>,
    pub plan: &'r Plan,
    pub target: Target,
    pub ctx: Context,
    pub run_id: String,
    pub asker: Asker<'r>,
    pub recorder: Recorder,
    pub lock: FindingLock,
    pub interrupts: Interrupts,
    /// The operator stopped the run (Ctrl-C, SIGTERM, Esc): a batch stops here too.
    pub interrupted: bool,
    /// Stop right before the first change, questions answered (a fleet asks all first).
    pub pause_before_change: bool,
    /// A mutating call went through in this session of the run.
    pub changed: bool,
    /// On resume: the requests of the resume step that went through before the
    /// interruption, by item, with their outputs (not sent again).
    pub done_items: std::collections::BTreeMap<usize, Value>,
    /// On resume: the changes journaled as started with no answer, by step and item: each
    /// is settled by reading the resource before it could be sent again.
    pub uncertain: std::collections::BTreeSet<(String, Option<usize>)>,
    /// A saved plan this walk records (`plan --out`) or applies (`apply`).
    pub check: Option<PlanCheck>,
    /// Steps walked in this session of the run.
    steps_taken: usize,
    /// How many times each change step was tried in this session, by index.
    change_tries: std::collections::BTreeMap<usize, usize>,
}

/// The most steps one session of a run may walk: far more than any runbook's longest path,
/// few enough that a loop ends in seconds.
pub(super) const MAX_STEPS: usize = 1000;

/// The most times one change step may be tried in one session of a run (a retry after a
/// failure goes back to it).
pub(super) const MAX_CHANGE_TRIES: usize = 3;

impl<'r, 'e> Walk<'r, 'e> {
    /// A walk of a plan from a context, its questions asked through `asker`.
    pub fn new(
        engine: &'r Engine<'e>,
        plan: &'r Plan,
        target: Target,
        ctx: Context,
        run_id: String,
        asker: Asker<'r>,
        recorder: Recorder,
    ) -> Walk<'r, 'e> {
        let interrupts = if recorder.is_preview() {
            Interrupts::default()
        } else {
            Interrupts::listen()
        };
        Walk {
            engine,
            plan,
            target,
            ctx,
            run_id,
            asker,
            recorder,
            lock: FindingLock::default(),
            interrupts,
            interrupted: false,
            pause_before_change: false,
            changed: false,
            done_items: Default::default(),
            uncertain: Default::default(),
            check: None,
            steps_taken: 0,
            change_tries: Default::default(),
        }
    }

    fn lang(&self) -> Lang {
        self.engine.options.lang
    }

    /// Where to go after a step: the first branch that holds, else its `next`.
    pub(super) fn next_of(&self, step: &Step) -> Option<usize> {
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

    pub(super) fn record(&mut self, event: Event) -> Result<(), Failure> {
        self.recorder.record(event)
    }

    /// Marks the finding NOTIFIED before the first change, so other operators and runs see
    /// the run at work. A lock held by another run, or a finding moved on meanwhile, stops
    /// the run before any change; so does a lock that cannot be taken at all: hubfix does not
    /// change a resource it cannot lock.
    async fn take_lock(&mut self) -> Result<(), Failure> {
        let signed = Signature::of(&self.ctx);
        let settle = super::lock::settle(self.engine.options.poll.first);
        let session = self.ctx.session().unwrap_or(&self.run_id).to_owned();
        let reporter = self.engine.reporter;
        // The pause lets another session's note land; the run's place is free meanwhile.
        let pause = || super::reporter::away(reporter, tokio::time::sleep(settle));
        let taken = self
            .lock
            .take(self.engine.hub, &self.target, &session, &signed, pause)
            .await;
        match taken {
            // Held before it is journaled: if the journal fails, the run still puts it back.
            Ok(Some((request, previous))) => self.recorder.answered(
                &self.ctx,
                &request,
                true,
                serde_json::json!({"previous": previous.as_str()}),
                None,
            ),
            Ok(None) => Ok(()),
            Err(e) if e.is_contention() => Err(Failure::Stop(
                Outcome::Stopped,
                format!(
                    "{e}; nothing was changed. `hubfix resume {}` tries again once the other run has ended",
                    self.run_id
                ),
            )),
            Err(e) => Err(Failure::Stop(
                Outcome::Failed,
                format!(
                    "could not mark the finding NOTIFIED ({e}); hubfix does not change a resource it cannot lock, nothing was changed. `hubfix resume {}` tries again",
                    self.run_id
                ),
            )),
        }
    }

    /// Puts a locked finding back as it was when the run ends without fixing or suppressing
    /// it (a resolve or suppress step has already moved it on and dropped the lock).
    async fn release_lock(&mut self, outcome: Outcome, resumable: bool) {
        // Stopped half-way through a change (between ElastiCache's phases, a Ctrl-C after a
        // change): the finding stays NOTIFIED until `hubfix resume` finishes or gives up.
        if resumable && self.changed {
            return;
        }
        let signed = Signature::of(&self.ctx);
        let run_id = self.run_id.clone();
        let why = |previous: WorkflowStatus| {
            format!(
                "hubfix run {run_id} ended {} without a fix; finding back to {}",
                outcome.name(),
                previous.as_str()
            )
        };
        let Some((request, released)) = self
            .lock
            .release(self.engine.hub, &self.target, why, &signed)
            .await
        else {
            return;
        };
        if let Err(e) = &released {
            self.reporter().warn(&format!(
                "could not put the finding back ({e}); it stays NOTIFIED with this run's note: set its workflow status by hand"
            ));
        }
        let outcome = released
            .as_ref()
            .err()
            .map_or_else(|| "processed".into(), ToString::to_string);
        // The run ends anyway: a journal that fails here is reported by `end`.
        let _ = self.recorder.answered(
            &self.ctx,
            &request,
            released.is_ok(),
            Value::String(outcome),
            None,
        );
    }

    pub(super) async fn end(
        &mut self,
        outcome: Outcome,
        message: String,
        resume_at: Option<String>,
    ) -> RunReport {
        self.release_lock(outcome, resume_at.is_some()).await;
        self.lock.free_local();
        let message = self.ctx.redact_text(&message);
        let ended = self.recorder.record_last(Event::RunEnd {
            outcome: outcome.name().into(),
            exit_code: outcome.exit_status().code(),
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
            journal: self.recorder.path().to_path_buf(),
            resume_at,
        }
    }

    pub(super) async fn finish_with_failure(&mut self, step: &Step, failure: Failure) -> RunReport {
        if self.interrupts.pending() {
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
        // A plan refused before any change leaves nothing to resume: it is planned again.
        let resume_at = (outcome != Outcome::Refused || self.changed).then(|| step.id.clone());
        self.end(outcome, message, resume_at).await
    }

    pub(super) async fn walk(&mut self, index: usize) -> RunReport {
        match self.walk_until(index).await {
            WalkEnd::Ended(report) => report,
            WalkEnd::Paused(index) => {
                let id = self.plan.steps[index].id.clone();
                self.end(Outcome::Stopped, format!("paused before `{id}`"), Some(id))
                    .await
            }
        }
    }

    pub(super) async fn walk_until(&mut self, mut index: usize) -> WalkEnd {
        let plan = self.plan;
        loop {
            if self.pause_before_change
                && let Some(step) = plan.steps.get(index)
                && step.kind.approved_by().is_some()
                && step.when.as_ref().is_none_or(|w| w.eval(&self.ctx.value))
            {
                // A suppression's review date is one of the questions asked before any
                // change, with the reason it goes with.
                if let StepKind::Suppress { review_days, .. } = step.kind
                    && self.target.finding.is_some()
                    && self.check_approval(step).is_ok()
                    && let Err(f) = self.review_date(review_days)
                {
                    return WalkEnd::Ended(self.finish_with_failure(step, f).await);
                }
                return WalkEnd::Paused(index);
            }
            if let Some(end) = self.bounds(index).await {
                return WalkEnd::Ended(end);
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
                let skipped = self.record(Event::StepEnd {
                    step: step.id.clone(),
                    result: "skipped".into(),
                    output: None,
                    next,
                    error: None,
                });
                if let Err(f) = skipped {
                    return WalkEnd::Ended(self.finish_with_failure(step, f).await);
                }
                index += 1;
                continue;
            }
            let result = self.run_step(step).await;
            match result {
                Ok(Flow::Next) => {
                    let next = self.next_of(step);
                    let next_id = next.and_then(|n| plan.steps.get(n)).map(|s| s.id.clone());
                    let ended = self
                        .recorder
                        .step_end(&self.ctx, &step.id, "ok", next_id, None);
                    if let Err(f) = ended {
                        return WalkEnd::Ended(self.finish_with_failure(step, f).await);
                    }
                    if self.interrupts.pending() {
                        self.interrupted = true;
                        let message = format!(
                            "interrupted after `{}`; `hubfix resume {}` continues from there",
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
                Ok(Flow::End(outcome, message, resume_from)) => {
                    let _ = self
                        .recorder
                        .step_end(&self.ctx, &step.id, "ok", None, None);
                    let resume_at = (outcome == Outcome::Stopped)
                        .then(|| self.asker.last_prompt().cloned())
                        .flatten()
                        .or(resume_from);
                    return WalkEnd::Ended(self.end(outcome, message, resume_at).await);
                }
                Err(failure) => {
                    let text = self.ctx.redact_text(failure.message());
                    let _ =
                        self.recorder
                            .step_end(&self.ctx, &step.id, "failed", None, Some(&text));
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

    /// Ends the run before the step at `index` when the operator stopped it, or when the run
    /// has gone on too long: a runbook that loops must not send requests without end.
    async fn bounds(&mut self, index: usize) -> Option<RunReport> {
        let step = self.plan.steps.get(index)?;
        if self.interrupts.pending() {
            self.interrupted = true;
            let message = format!(
                "interrupted before `{}`; `hubfix resume {}` continues from there",
                step.id, self.run_id
            );
            return Some(
                self.end(Outcome::Stopped, message, Some(step.id.clone()))
                    .await,
            );
        }
        self.steps_taken += 1;
        if self.steps_taken > MAX_STEPS {
            let message = format!(
                "stopped after {MAX_STEPS} steps without reaching an end (the most a run may take): the runbook of {} loops at `{}`; fix the runbook",
                self.plan.control, step.id
            );
            return Some(self.end(Outcome::Failed, message, None).await);
        }
        if step.kind.approved_by().is_some() {
            let tries = self.change_tries.entry(index).or_default();
            *tries += 1;
            if *tries > MAX_CHANGE_TRIES {
                let message = format!(
                    "step `{}` was tried {MAX_CHANGE_TRIES} times in this run (the most a change may be tried); hubfix stops rather than send it again. `hubfix resume {}` tries once more",
                    step.id, self.run_id
                );
                return Some(
                    self.end(Outcome::Failed, message, Some(step.id.clone()))
                        .await,
                );
            }
        }
        None
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
            "interrupted during `{}`; `hubfix resume {}` continues from there",
            step.id, self.run_id
        );
        let id = step.id.clone();
        // During a change the stop is noticed after it, not in its middle.
        let mut interrupts = if changes {
            Interrupts::default()
        } else {
            std::mem::take(&mut self.interrupts)
        };
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
        let result = tokio::select! {
            result = execute => result,
            _ = interrupts.stopped() => Err(Failure::Interrupted(interrupted)),
        };
        if !changes {
            self.interrupts = interrupts;
        }
        result
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
            StepKind::End {
                outcome,
                text,
                resume_at,
            } => {
                if let Some(check) = &self.check {
                    check.at_end(*outcome, self.changed)?;
                }
                let message = text.render(lang, &self.ctx.value);
                let resume_at = resume_at.map(|i| self.plan.steps[i].id.clone());
                Ok(Flow::End(*outcome, message, resume_at))
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
                if *mutating && self.check.is_some() {
                    // Compared with the plan before the finding is locked: nothing changes
                    // when the requests are not the planned ones.
                    let requests: Vec<calls::ShownCall> = calls::action_requests(
                        step,
                        call,
                        params,
                        for_each.as_ref(),
                        &self.ctx.value,
                    )
                    .unwrap_or_default()
                    .iter()
                    .map(|r| r.shown(&self.ctx))
                    .collect();
                    self.before_change(&step.id, &requests)?;
                }
                if *mutating && !self.recorder.is_preview() {
                    self.take_lock().await?;
                }
                if let Some(text) = text {
                    self.reporter().say(&text.render(lang, &self.ctx.value));
                }
                let output = self.act(step, call, params, for_each.as_ref()).await?;
                self.changed |= *mutating && !self.recorder.is_preview();
                self.ctx.set_output(&step.id, output);
                if !*mutating && let Some(check) = self.check.as_mut() {
                    check.after_read(&step.id, &self.ctx)?;
                }
                Ok(Flow::Next)
            }
            StepKind::Wait(spec) if self.recorder.is_preview() => {
                let label = spec.text.render(lang, &self.ctx.value);
                self.not_in_preview(step, lang.pick("would wait:", "待機予定:"), label)
            }
            StepKind::Wait(spec) => self.wait(step, spec).await,
            StepKind::Assert { text, .. } if self.recorder.is_preview() => {
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
            StepKind::Suppress {
                note, review_days, ..
            } => {
                self.update_finding(step, WorkflowStatus::Suppressed, note, Some(*review_days))
                    .await
            }
            StepKind::Resolve { note, .. } => {
                self.update_finding(step, WorkflowStatus::Resolved, note, None)
                    .await
            }
        }
    }

    /// A change step is about to make its requests: a saved plan records the state no
    /// further, or checks they are the planned ones.
    fn before_change(&mut self, step: &str, requests: &[calls::ShownCall]) -> Result<(), Failure> {
        let changed = self.changed;
        match self.check.as_mut() {
            Some(check) => check.before_change(step, requests, &self.ctx, changed),
            None => Ok(()),
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
        self.recorder.would_send(&self.ctx, &requests);
        let output = calls::virtual_output(step, &self.ctx.value);
        self.ctx.set_output(&step.id, output);
        Ok(Flow::Next)
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
        if self.recorder.is_preview() && (mutating || unknown) {
            self.recorder.would_send(&self.ctx, &shown);
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

    /// Sends one request and journals it as shown, secrets redacted. A change is journaled
    /// as started before it is sent; a change whose outcome is unknown (started on an earlier
    /// try that left no answer, or refused now perhaps because a lost first try went
    /// through) is settled by reading the resource before it is sent again.
    async fn send(&mut self, shown: &Request, sent: &Request) -> Result<Value, Failure> {
        let action = sent.action.expect("an API request");
        let region = self.target.region.as_deref();
        let key = (shown.step.clone(), shown.item);
        if action.mutating && self.uncertain.remove(&key) {
            match self.engine.api.settle(action, region, &sent.params).await {
                Ok(Some(seen)) => return self.settled(shown, seen, "seen done on resume"),
                Ok(None) => {}
                Err(e) => {
                    return Err(Failure::Step(self.ctx.redact_text(&format!(
                        "cannot tell whether {} went through before the interruption ({e}); nothing was sent again, and `hubfix resume {}` looks again",
                        action.operation, self.run_id
                    ))));
                }
            }
        }
        tracing::info!(
            operation = action.operation,
            params = %shown.shown_params(&self.ctx),
            "calling"
        );
        if action.mutating {
            self.recorder.call_start(&self.ctx, shown)?;
        }
        let result = self.engine.api.call(action, region, &sent.params).await;
        if let Err(e) = &result
            && action.mutating
            && let Ok(Some(seen)) = self.engine.api.settle(action, region, &sent.params).await
        {
            let why = format!("answered `{e}`, yet seen done (a lost answer retried)");
            return self.settled(shown, seen, &why);
        }
        self.recorder.sent(&self.ctx, shown, &result, None)?;
        result
            .map(|v| self.ctx.redact(v))
            .map_err(|e| Failure::Step(self.ctx.redact_text(&e.to_string())))
    }

    /// A change seen done by reading the resource: journaled with what was seen, its output
    /// the resource as the change would have answered.
    fn settled(&mut self, shown: &Request, seen: Value, why: &str) -> Result<Value, Failure> {
        let why = self.ctx.redact_text(why);
        self.reporter()
            .say(&format!("✓ {} {why}: not sent again", shown.iam_action()));
        self.recorder
            .sent(&self.ctx, shown, &Ok(seen.clone()), Some(why))?;
        Ok(self.ctx.redact(seen))
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
                "If the answer is yes, hubfix will:",
                "答えが「はい」なら hubfix は次を実行します:",
            ));
            for change in &approved {
                self.reporter().say(&format!("  • {change}"));
            }
        }
        let mut choices = options_from
            .as_ref()
            .map(|path| dynamic_options(path.lookup(&self.ctx.value)))
            .unwrap_or_default();
        // Not a resource another run of this session will delete.
        choices.retain(
            |(value, label)| match self.engine.options.deleting.by(value) {
                Some(by) => {
                    self.reporter().say(lang.pick(
                        &format!("{label} is not offered: {by} deletes it in this session."),
                        &format!(
                            "{label} は選択肢にありません: このセッションの {by} が削除します。"
                        ),
                    ));
                    false
                }
                None => true,
            },
        );
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
            generate: generate.filter(|_| !self.asker.gave_secret(&step.id)),
            control: self.plan.control.clone(),
            resource_keys: self.resource_keys(),
        };
        let given = self.asker.ask(&question)?;
        if let Some(check @ PlanCheck::Saving(_)) = self.check.as_mut() {
            let kept = match &given.secret {
                None => given.value.clone(),
                Some(_) => self.asker.reference(&question).ok_or_else(|| {
                    Failure::needs_input(format!(
                        "`{}` is a secret typed at the terminal, and a saved plan keeps a secret only as a reference: answer it from an answers file (--answers) with `{{env: NAME}}` or `{{file: PATH}}`, then plan again",
                        step.id
                    ))
                })?,
            };
            check.keep_answer(&step.id, kept);
        }
        if let Some(secret) = given.secret {
            self.ctx.set_secret(&step.id, secret);
        }
        // For a secret this is `<redacted>`, as set_secret already left it.
        self.ctx.set_answer(&step.id, given.value.clone());
        self.record_answer(&step.id, given.value, given.fingerprint)
    }

    /// Journals an answer with where it came from and who gave it.
    fn record_answer(
        &mut self,
        step: &str,
        value: Value,
        fingerprint: Option<String>,
    ) -> Result<(), Failure> {
        let source = self.asker.source();
        let by = self.asker.who();
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
        let journal = self.recorder.journal_mut();
        let step_id = step.id.clone();
        let mut on_reading = |r: super::wait::Reading<'_>| {
            tracing::info!(step = %step_id, status = r.status, pending = r.pending, "status");
            journal.record(Event::Status {
                step: step_id.clone(),
                status: r.status.to_owned(),
                pending: r.pending,
                elapsed_ms: r.elapsed.as_millis() as u64,
            })
        };
        // The change is AWS's now: the run's place goes to another run meanwhile.
        let end = super::reporter::away(
            self.engine.reporter,
            wait_until_ready(
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
            ),
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
            // The credentials' identity, taken with Enter.
            default: self.engine.options.caller.clone().map(Value::String),
            rules: None,
            generate: None,
            control: self.plan.control.clone(),
            resource_keys: self.resource_keys(),
        };
        // Named meanwhile by another run of this session: one sign-off for the session.
        let approver = match self.asker.approver() {
            Some(named) => named,
            None => self.asker.ask_approver(&question)?,
        };
        self.ctx.set_approver(&approver);
        self.record_answer("approver", Value::String(approver.clone()), None)?;
        Ok(approver)
    }

    /// The review date of the run's suppression: the one given before in this run while it
    /// is still ahead, else asked (on a terminal with today + `days` offered; from an answers
    /// file `review_by`, or that default when the file has none), checked and journaled.
    fn review_date(&mut self, days: u32) -> Result<String, Failure> {
        use crate::findings::review::{check_review_date, review_date_after, today};
        let today = today();
        if let Some(given) = self.ctx.review_by()
            && check_review_date(&given, today).is_ok()
        {
            return Ok(given);
        }
        let default = review_date_after(today, days).to_string();
        let lang = self.lang();
        let question = Question {
            id: "review_by".into(),
            kind: PromptKind::Input,
            text: lang
                .pick(
                    "Review this exception by (YYYY-MM-DD; `hubfix review` lists the finding from that day)",
                    "この例外の見直し期限 (YYYY-MM-DD。その日から `hubfix review` に表示されます)",
                )
                .into(),
            options: Vec::new(),
            validate: Some(crate::runbook::validators::REVIEW_DATE.into()),
            default: Some(Value::String(default.clone())),
            rules: None,
            generate: None,
            control: self.plan.control.clone(),
            resource_keys: self.resource_keys(),
        };
        let (date, defaulted) = self.asker.ask_review_date(&question, &default)?;
        self.ctx.set_review_by(&date);
        // A saved plan keeps the date itself, the default too: applied later, the
        // suppression is reviewed when the plan says.
        if let Some(check) = self.check.as_mut() {
            check.keep_answer("review_by", Value::String(date.clone()));
        }
        let source = if defaulted {
            format!("runbook default (review_days: {days})")
        } else {
            self.asker.source()
        };
        let by = self.asker.who();
        self.record(Event::Answer {
            step: "review_by".into(),
            value: Value::String(date.clone()),
            source,
            by,
            fingerprint: None,
        })?;
        Ok(date)
    }

    /// Suppresses or resolves the run's finding. A suppression (`review_days`: its default
    /// review period) reads the findings again first, so their current user-defined fields
    /// are kept beside hubfix's (Security Hub replaces the map).
    async fn update_finding(
        &mut self,
        step: &Step,
        status: WorkflowStatus,
        note: &crate::runbook::Message,
        review_days: Option<u32>,
    ) -> Result<Flow, Failure> {
        self.check_approval(step)?;
        let lang = self.lang();
        let Some(finding) = self.target.finding.clone() else {
            self.before_change(&step.id, &[])?;
            self.reporter().say(lang.pick(
                "No Security Hub finding was given for this resource, so there is nothing to mark; nothing was changed in Security Hub.",
                "このリソースには Security Hub の Finding が指定されていないため、Security Hub は変更しません。",
            ));
            self.ctx
                .set_output(&step.id, serde_json::json!({"skipped": "no finding"}));
            return Ok(Flow::Next);
        };
        let body = self.ctx.redact_text(&note.render(lang, &self.ctx.value));
        let (updated_by, requests) = match review_days {
            Some(days) => {
                let mut signed = Signature::of(&self.ctx);
                signed.by = self.approver().await?;
                let review_by = self.review_date(days)?;
                let current = current_fields(self.engine.hub, &self.target.finding_refs()).await?;
                let run = self.ctx.value["run"]["id"].clone();
                let review = calls::Review {
                    by: &review_by,
                    run: &run,
                };
                let requests = calls::suppression_requests(
                    &step.id,
                    &self.target,
                    &body,
                    &signed,
                    &review,
                    &|r| current.get(&r.id).cloned().unwrap_or_default(),
                );
                (signed.by, requests)
            }
            None => {
                let signed = Signature::of(&self.ctx);
                let request =
                    calls::finding_request(&step.id, &self.target, status.as_str(), &body, &signed)
                        .expect("the target has a finding");
                (signed.by, vec![request])
            }
        };
        let shown: Vec<calls::ShownCall> = requests.iter().map(|r| r.shown(&self.ctx)).collect();
        self.before_change(&step.id, &shown)?;
        let text = requests[0].note().to_owned();
        for request in &requests {
            let fields = request
                .params
                .get("UserDefinedFields")
                .and_then(Value::as_object);
            if let Some(Err(problem)) =
                fields.map(|f| crate::findings::review::check_field_count(f.len()))
            {
                return Err(Failure::Step(format!("{problem}; nothing was changed")));
            }
        }
        for request in &requests {
            let count = request.findings().len();
            let fields = request
                .shown_params(&self.ctx)
                .get("UserDefinedFields")
                .map(|f| format!(", user-defined fields: {}", calls::inline_deferred(f)))
                .unwrap_or_default();
            // Updates alike share a request (`findings::batched_writes`): said here, so the
            // preview does not promise one request per run.
            self.reporter().say(&format!(
                "→ securityhub:BatchUpdateFindings {} on {count} finding(s), note: \"{text}\"{fields} (sent together with this session's updates alike, up to 100 findings a request)",
                status.as_str(),
            ));
        }
        if self.recorder.is_preview() {
            self.recorder.would_send(&self.ctx, &requests);
            self.ctx.set_output(
                &step.id,
                serde_json::json!({"status": status.as_str(), "note": text}),
            );
            return Ok(Flow::Next);
        }
        let total = self.target.finding_refs().len();
        let mut failed = Vec::new();
        for request in &requests {
            let refs = request.findings();
            let fields = crate::findings::request_fields(&request.params);
            let result = update_findings(
                self.engine.hub,
                &refs,
                status,
                &text,
                &updated_by,
                fields.as_ref(),
            )
            .await;
            if matches!(&result, Ok(f) if f.len() < refs.len()) {
                // Some findings moved on: putting "them" back to NEW would undo that.
                self.lock.let_go();
            }
            let (ok, logged) = match &result {
                Ok(f) if f.is_empty() => (true, Value::String("processed".into())),
                Ok(f) => (false, serde_json::to_value(f).unwrap_or_default()),
                Err(e) => (false, Value::String(e.to_string())),
            };
            self.recorder
                .answered(&self.ctx, request, ok, logged, None)?;
            match result {
                Ok(f) => failed.extend(f),
                Err(e) => return Err(Failure::Step(e.to_string())),
            }
        }
        if let Some(first) = failed.first() {
            return Err(Failure::Step(format!(
                "Security Hub did not update {} of {total} findings, e.g. {}: {} ({})",
                failed.len(),
                first.finding.id,
                first.error_code,
                first.error_message
            )));
        }
        // The finding has moved on: nothing to put back.
        self.lock.let_go();
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
}

/// The user-defined fields of these findings as they are now, by finding id (read in runs
/// and previews alike: what a plan shows is what the run sends).
async fn current_fields(
    hub: &dyn crate::findings::SecurityHub,
    findings: &[crate::findings::FindingRef],
) -> Result<std::collections::BTreeMap<String, crate::findings::UserFields>, Failure> {
    let ids: Vec<String> = findings.iter().map(|r| r.id.clone()).collect();
    let mut current = std::collections::BTreeMap::new();
    // GetFindings takes at most 20 ids in one filter.
    for chunk in ids.chunks(20) {
        let found = hub.findings_by_id(chunk).await.map_err(|e| {
            Failure::Step(format!(
                "cannot read the finding's user-defined fields to keep them ({e}); nothing was changed"
            ))
        })?;
        for f in found {
            current.insert(f.id.clone(), f.user_defined_fields);
        }
    }
    Ok(current)
}
