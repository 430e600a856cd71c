//! Where an interrupted or stopped run goes on: replaying its journal gives back the
//! context at the step to resume from, the answers and secret fingerprints given so far,
//! and the requests of that step that already went through (not sent again).

use super::asker::Asked;
use super::context::{Context, Target};
use super::journal::{Event, Record, last_started_step};
use crate::findings::WorkflowStatus;
use serde_json::Value;

/// Why a journal cannot be resumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotResumable {
    #[error("this is not a hubfix run journal (no run start)")]
    NotAJournal,
    #[error("run {run_id} ended ({outcome}); there is nothing to resume")]
    Ended { run_id: String, outcome: String },
    #[error("run {0} never started a step; start a new run instead")]
    NeverStarted(String),
}

/// What replaying a journal gives back: the context at the step to resume from.
pub(super) struct ResumePoint {
    pub run_id: String,
    pub step: String,
    pub target: Target,
    pub context: Context,
    /// The last answer and the salted hashes of the secrets given before (to check the
    /// ones given again).
    pub asked: Asked,
    /// Secrets are never journaled: they are asked again before the run goes on.
    pub secrets_to_ask: Vec<String>,
    /// The output of the resume step's call when it went through before the run died
    /// (its end was never journaled): the call is not sent a second time.
    pub completed_call: Option<Value>,
    /// The status the run found before it marked the finding NOTIFIED, when its lock was
    /// taken and not put back: the resumed run recognises its own lock.
    pub lock_taken_from: Option<WorkflowStatus>,
    /// The changes of the resume step journaled as started with no answer after, by item:
    /// they may have gone through, and are settled before being sent again.
    pub uncertain: Vec<Option<usize>>,
    /// For a `for_each` step: the outputs of the requests that went through, by item.
    pub completed_items: std::collections::BTreeMap<usize, Value>,
}

impl ResumePoint {
    pub(super) fn find(records: &[Record]) -> Result<ResumePoint, NotResumable> {
        let Some(Record {
            event:
                Event::RunStart {
                    run_id,
                    session,
                    control,
                    resource,
                    region,
                    context,
                    also,
                    role,
                    ..
                },
            ..
        }) = records.first()
        else {
            return Err(NotResumable::NotAJournal);
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
                return Err(NotResumable::Ended {
                    run_id: run_id.clone(),
                    outcome,
                });
            }
            None => last_started_step(records)
                .ok_or_else(|| NotResumable::NeverStarted(run_id.clone()))?,
        };
        // Replay up to the last time that step started: the state it started with.
        let cut = records
            .iter()
            .rposition(|r| matches!(&r.event, Event::StepStart { step: s, .. } if *s == step))
            .unwrap_or(records.len());
        // A step that ended well and is resumed at all the same (a failed `end` with
        // `resume_at`) runs again whole: what it sent before is not its answer now.
        let ran_whole = records[cut..].iter().any(|r| {
            matches!(&r.event, Event::StepEnd { step: s, result, .. } if *s == step && result == "ok")
        });
        let after = if ran_whole { &[][..] } else { &records[cut..] };
        let completed_call = after.iter().find_map(|r| match &r.event {
            Event::ApiCall {
                step: s,
                ok: true,
                result,
                ..
            } if *s == step => Some(result.clone()),
            _ => None,
        });
        let completed_items = after
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
        // The run's own session, so that it recognises its lock: a journal written before
        // sessions has none, and its lock note names the run.
        if ctx.session().is_none() {
            ctx.set_session(session.as_deref().unwrap_or(run_id));
        }
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
                // Asked by the engine, not a prompt step: the walk never resumes there.
                Event::Answer { step, value, .. } if step == "review_by" => {
                    if let Some(d) = value.as_str() {
                        ctx.set_review_by(d);
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
        let mut uncertain: Vec<Option<usize>> = Vec::new();
        for record in after {
            match &record.event {
                Event::CallStart { step: s, item, .. } if *s == step => uncertain.push(*item),
                Event::ApiCall { step: s, item, .. } if *s == step => {
                    uncertain.retain(|i| i != item);
                }
                _ => {}
            }
        }
        let lock_taken_from = records.iter().fold(None, |taken, r| match &r.event {
            Event::ApiCall {
                step,
                ok: true,
                result,
                ..
            } if step == "lock" => result["previous"]
                .as_str()
                .and_then(|s| serde_json::from_value(Value::String(s.to_owned())).ok())
                .or(Some(WorkflowStatus::New)),
            Event::ApiCall { step, .. } if step == "unlock" => None,
            _ => taken,
        });
        Ok(ResumePoint {
            lock_taken_from,
            uncertain,
            run_id: run_id.clone(),
            step,
            target: Target {
                control: control.clone(),
                resource: resource.clone(),
                region: region.clone(),
                finding,
                also: also.clone(),
                role: role.clone(),
            },
            context: ctx,
            asked: Asked {
                last_prompt,
                fingerprints,
            },
            secrets_to_ask: secrets,
            completed_call,
            completed_items,
        })
    }
}
