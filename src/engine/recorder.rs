//! What a walk leaves behind: a run's journal, or a preview's list of requests. Every event
//! of a walk passes through the recorder, and whatever came from AWS or from an error is
//! redacted through the run's context before it is written: no caller has to remember to.

use super::calls::{Request, ShownCall};
use super::context::Context;
use super::flow::Failure;
use super::journal::{Event, Journal};
use crate::aws::ApiError;
use serde_json::Value;
use std::path::Path;

pub(super) struct Recorder {
    journal: Journal,
    /// A preview: the requests the run would send, in order (nothing is journaled).
    preview: Option<Vec<ShownCall>>,
}

impl Recorder {
    /// Records a run into its journal.
    pub(super) fn journal(journal: Journal) -> Recorder {
        Recorder {
            journal,
            preview: None,
        }
    }

    /// Records a preview: the requests only.
    pub(super) fn preview() -> Recorder {
        Recorder {
            journal: Journal::none(),
            preview: Some(Vec::new()),
        }
    }

    pub(super) fn is_preview(&self) -> bool {
        self.preview.is_some()
    }

    pub(super) fn path(&self) -> &Path {
        self.journal.path()
    }

    /// Journals an event; a journal that cannot be written stops the run.
    pub(super) fn record(&mut self, event: Event) -> Result<(), Failure> {
        self.journal.record(event).map_err(Failure::journal)
    }

    /// Journals an event the run ends with anyway (its failure is only reported).
    pub(super) fn record_last(&mut self, event: Event) -> std::io::Result<()> {
        self.journal.record(event)
    }

    /// Journals how a step ended; its error text redacted.
    pub(super) fn step_end(
        &mut self,
        ctx: &Context,
        step: &str,
        result: &str,
        next: Option<String>,
        error: Option<&str>,
    ) -> Result<(), Failure> {
        self.record(Event::StepEnd {
            step: step.to_owned(),
            result: result.to_owned(),
            output: ctx.value["steps"].get(step).cloned(),
            next,
            error: error.map(|e| ctx.redact_text(e)),
        })
    }

    /// In a preview, keeps the requests the run would send.
    pub(super) fn would_send(&mut self, ctx: &Context, requests: &[Request]) {
        if let Some(calls) = self.preview.as_mut() {
            calls.extend(requests.iter().map(|r| r.shown(ctx)));
        }
    }

    /// Journals a change about to be sent (synced before it is).
    pub(super) fn call_start(&mut self, ctx: &Context, request: &Request) -> Result<(), Failure> {
        self.record(Event::CallStart {
            step: request.step.clone(),
            item: request.item,
            operation: request.iam_action(),
            params: request.shown_params(ctx),
        })
    }

    /// Journals a request that was sent, as shown (secrets redacted), with its result;
    /// `settled` when the answer was lost and the resource was read instead.
    pub(super) fn sent(
        &mut self,
        ctx: &Context,
        request: &Request,
        result: &Result<Value, ApiError>,
        settled: Option<String>,
    ) -> Result<(), Failure> {
        self.would_send(ctx, std::slice::from_ref(request));
        let (ok, logged) = match result {
            Ok(v) => (true, v.clone()),
            Err(e) => (false, Value::String(ctx.redact_text(&e.to_string()))),
        };
        self.answered(ctx, request, ok, logged, settled)
    }

    /// Journals a request with what came of it (redacted): an AWS answer, or a finding
    /// update's outcome.
    pub(super) fn answered(
        &mut self,
        ctx: &Context,
        request: &Request,
        ok: bool,
        result: Value,
        settled: Option<String>,
    ) -> Result<(), Failure> {
        self.record(Event::ApiCall {
            step: request.step.clone(),
            item: request.item,
            operation: request.iam_action(),
            params: request.shown_params(ctx),
            ok,
            result: ctx.redact(result),
            settled,
        })
    }

    /// The requests a preview recorded.
    pub(super) fn take_calls(&mut self) -> Vec<ShownCall> {
        self.preview.take().unwrap_or_default()
    }

    /// The journal itself, for a wait that journals each reading.
    pub(super) fn journal_mut(&mut self) -> &mut Journal {
        &mut self.journal
    }
}
