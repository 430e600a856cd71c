//! What a step sends: the exact AWS requests, one per request, built by one function for the
//! walker (which sends them or, in a preview, records them), for the approval listings and
//! for `hubfix plan`. What is shown is what is sent, with secrets redacted and a value known
//! only after an earlier call shown as `{"from": "create.ReplicationInstanceArn"}`.

use super::context::{Context, Target};
use crate::actions::{self, ActionSpec};
use crate::findings::review::{UserFields, others, suppression_fields};
use crate::findings::{FindingRef, compose_note, compose_suppression_note, update_request};
use crate::runbook::{
    ForEach, Lang, Params, Plan, Step, StepKind, deferred, deferred_from, shown_value,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// One AWS request a step makes.
#[derive(Debug, Clone)]
pub struct Request {
    pub step: String,
    /// The item's position, for a `for_each` step.
    pub item: Option<usize>,
    /// The item itself, for a `for_each` step.
    pub input: Option<Value>,
    /// The catalog call; `None` for a Security Hub finding update.
    pub action: Option<&'static ActionSpec>,
    pub mutating: bool,
    /// The parameters as sent (secrets in place only when rendered for sending).
    pub params: Map<String, Value>,
    /// Sent once per item of a list that is not known yet: `<from step.Field>`.
    pub for_each_of: Option<String>,
}

/// A request as `plan --output json`, the journal, listings and saved plans show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShownCall {
    pub step: String,
    pub service: String,
    pub operation: String,
    pub mutating: bool,
    pub params: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_each_of: Option<String>,
}

impl Request {
    pub fn service(&self) -> &'static str {
        self.action.map_or("securityhub", ActionSpec::service)
    }

    pub fn operation(&self) -> &'static str {
        self.action
            .map_or("BatchUpdateFindings", ActionSpec::operation_name)
    }

    /// The note of a finding update, as sent.
    pub fn note(&self) -> &str {
        self.params["Note"]["Text"].as_str().unwrap_or_default()
    }

    /// The findings a finding update marks.
    pub fn findings(&self) -> Vec<FindingRef> {
        self.params
            .get("FindingIdentifiers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|i| FindingRef {
                id: i["Id"].as_str().unwrap_or_default().to_owned(),
                product_arn: i["ProductArn"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// `service:Operation`, the IAM action.
    pub fn iam_action(&self) -> String {
        format!("{}:{}", self.service(), self.operation())
    }

    /// The parameters as they may be shown: secrets redacted, deferred values as `{"from"}`.
    pub fn shown_params(&self, ctx: &Context) -> Value {
        let params = match self.action {
            Some(action) => actions::redact(action, &self.params),
            None => self.params.clone(),
        };
        shown_value(&ctx.redact(Value::Object(params)))
    }

    pub fn shown(&self, ctx: &Context) -> ShownCall {
        ShownCall {
            step: self.step.clone(),
            service: self.service().into(),
            operation: self.operation().into(),
            mutating: self.mutating,
            params: self.shown_params(ctx),
            item: self.item,
            for_each_of: self.for_each_of.clone(),
        }
    }

    /// `dms:StopReplicationTask {"ReplicationTaskArn": "..."}`, for people.
    pub fn line(&self, ctx: &Context) -> String {
        self.shown(ctx).line()
    }
}

impl ShownCall {
    /// `dms:StopReplicationTask {"ReplicationTaskArn": "..."}`, a deferred value as
    /// `<from step.Field>`.
    pub fn line(&self) -> String {
        let each = self
            .for_each_of
            .as_ref()
            .map(|of| format!(" (for each of <from {of}>)"))
            .unwrap_or_default();
        format!(
            "{}:{} {}{each}",
            self.service,
            self.operation,
            inline_deferred(&self.params)
        )
    }
}

/// Parameters on one line, deferred values as `<from step.Field>`.
pub(super) fn inline_deferred(params: &Value) -> String {
    fn inline(v: &Value) -> Value {
        match v {
            Value::Object(m) if m.len() == 1 && m.get("from").is_some_and(Value::is_string) => {
                Value::String(format!("<from {}>", m["from"].as_str().unwrap_or_default()))
            }
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), inline(v))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(inline).collect()),
            other => other.clone(),
        }
    }
    inline(params).to_string()
}

/// The items a `for_each` step goes over: `Ok` with the items that pass its filter, or `Err`
/// with where a list not known yet comes from.
pub fn items_of(each: &ForEach, context: &Value) -> Result<Vec<(usize, Value)>, String> {
    let list = each.items.resolve(context);
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    if let Some(from) = deferred_from(&list) {
        return Err(from.to_owned());
    }
    let items = match list.as_ref() {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    Ok(items
        .into_iter()
        .enumerate()
        .filter(|(_, item)| {
            each.only
                .as_ref()
                .is_none_or(|c| c.eval(&with_item(context, item)))
        })
        .collect())
}

/// The context with `item` set.
pub fn with_item(context: &Value, item: &Value) -> Value {
    let mut view = context.clone();
    view["item"] = item.clone();
    view
}

/// The requests of an action step rendered from `context` (with secrets in place when
/// sending, without for people). Files named by `file_params` are read here, so the
/// request shown is the request sent; a file that cannot be read is an error.
pub fn action_requests(
    step: &Step,
    call: &str,
    params: &Params,
    for_each: Option<&ForEach>,
    context: &Value,
) -> Result<Vec<Request>, crate::aws::ApiError> {
    let action = actions::find(call).expect("validated call");
    let one = |item: Option<(usize, &Value)>, context: &Value| {
        let sent = params.render_to_send(context);
        let sent = if crate::runbook::has_deferred(&Value::Object(sent.clone())) {
            sent // a file named by a value not known yet is read when it is known
        } else {
            actions::request_params(action, sent)?
        };
        Ok(Request {
            step: step.id.clone(),
            item: item.map(|(i, _)| i),
            input: item.map(|(_, v)| v.clone()),
            action: Some(action),
            mutating: action.mutating,
            params: sent,
            for_each_of: None,
        })
    };
    let Some(each) = for_each else {
        return Ok(vec![one(None, context)?]);
    };
    match items_of(each, context) {
        Ok(items) => items
            .iter()
            .map(|(i, item)| one(Some((*i, item)), &with_item(context, item)))
            .collect(),
        Err(from) => {
            let item = deferred(&format!("{from}[*]"));
            let mut request = one(None, &with_item(context, &item))?;
            request.for_each_of = Some(from);
            Ok(vec![request])
        }
    }
}

/// Who signs a finding note off, on which date, and the saved plan the run applies (its
/// SHA-256), for the note's tail.
#[derive(Debug, Clone)]
pub struct Signature {
    pub by: String,
    pub date: String,
    pub plan: Option<String>,
}

impl Signature {
    /// The signature a run's context gives: its signer, its date, its plan.
    pub fn of(ctx: &Context) -> Signature {
        Signature {
            by: ctx.signer(),
            date: ctx.date(),
            plan: ctx.plan(),
        }
    }
}

/// The BatchUpdateFindings request that marks the target's findings, with the note as it
/// will be sent (its tail included: the plan applied, the approver and the date).
pub fn finding_request(
    step: &str,
    target: &Target,
    status: &str,
    note: &str,
    signed: &Signature,
) -> Option<Request> {
    target.finding.as_ref()?;
    let approver = signed.by.as_str();
    let text = compose_note(note, approver, &signed.date, signed.plan.as_deref());
    Some(update(
        step,
        update_request(&target.finding_refs(), status, &text, approver, None),
    ))
}

fn update(step: &str, params: Map<String, Value>) -> Request {
    Request {
        step: step.to_owned(),
        item: None,
        input: None,
        action: None,
        mutating: true,
        params,
        for_each_of: None,
    }
}

/// What a suppression writes besides its note: the review date and the run.
pub struct Review<'a> {
    /// `YYYY-MM-DD`, or `<review_by>` while it is not known.
    pub by: &'a str,
    /// The run id (`{"from": "run.id"}` in a plan, where it is not known yet).
    pub run: &'a Value,
}

/// The BatchUpdateFindings requests that suppress the target's findings: the note with the
/// review date in its tail, and each finding's `UserDefinedFields` (`current`, as last read)
/// with hubfix's merged in. Findings whose own fields are alike share a request, so there
/// is one request unless the findings of a pair (one per standard) carry different fields.
pub fn suppression_requests(
    step: &str,
    target: &Target,
    body: &str,
    signed: &Signature,
    review: &Review<'_>,
    current: &dyn Fn(&FindingRef) -> UserFields,
) -> Vec<Request> {
    let approver = signed.by.as_str();
    let text = compose_suppression_note(
        body,
        approver,
        &signed.date,
        review.by,
        signed.plan.as_deref(),
    );
    let mut groups: Vec<(UserFields, Vec<FindingRef>)> = Vec::new();
    for finding in target.finding_refs() {
        let own = others(&current(&finding));
        match groups.iter_mut().find(|(fields, _)| *fields == own) {
            Some((_, refs)) => refs.push(finding),
            None => groups.push((own, vec![finding])),
        }
    }
    groups
        .into_iter()
        .map(|(own, refs)| {
            let mut fields: Map<String, Value> = suppression_fields(&own, review.by, approver, "")
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            // The run id as the context has it: a plan shows `<from run.id>`.
            fields.insert(crate::findings::review::RUN.into(), review.run.clone());
            update(
                step,
                update_request(
                    &refs,
                    "SUPPRESSED",
                    &text,
                    approver,
                    Some(Value::Object(fields)),
                ),
            )
        })
        .collect()
}

/// Every request a step would make, rendered from `context` for people: for listings
/// (approvals, `hubfix plan` without answers). Reads (waits, asserts) are included.
pub fn step_requests(
    step: &Step,
    ctx: &Context,
    context: &Value,
    target: &Target,
    lang: Lang,
) -> Vec<Request> {
    match &step.kind {
        StepKind::Action {
            call,
            params,
            for_each,
            ..
        } => action_requests(step, call, params, for_each.as_ref(), context).unwrap_or_default(),
        StepKind::Wait(spec) => {
            action_requests(step, &spec.call, &spec.params, None, context).unwrap_or_default()
        }
        StepKind::Assert {
            call: Some(call),
            params,
            ..
        } => action_requests(step, call, params, None, context).unwrap_or_default(),
        StepKind::Suppress { note, .. } => {
            if target.finding.is_none() {
                return Vec::new();
            }
            let body = ctx.redact_text(&note.render(lang, context));
            // A suppression asks for the approver and the review date if they are not known.
            let mut signed = Signature::of(ctx);
            signed.by = ctx.approver().unwrap_or_else(|| "<approver>".into());
            let by = ctx.review_by().unwrap_or_else(|| "<review_by>".into());
            let run = &ctx.value["run"]["id"];
            // The fields as the finding was read; the walk reads them again right before.
            let read = target
                .finding
                .as_ref()
                .map(|f| f.user_defined_fields.clone())
                .unwrap_or_default();
            let review = Review { by: &by, run };
            suppression_requests(&step.id, target, &body, &signed, &review, &|_| read.clone())
        }
        StepKind::Resolve { note, .. } => {
            let body = ctx.redact_text(&note.render(lang, context));
            // A resolution without an approver is signed by the caller.
            finding_request(&step.id, target, "RESOLVED", &body, &Signature::of(ctx))
                .into_iter()
                .collect()
        }
        _ => Vec::new(),
    }
}

/// What a step's output will be, for a step that has not run (or only in a preview): its
/// values are deferred to the call that gives them; a `for_each` step over a known list has
/// one `{input, output}` per item.
pub fn virtual_output(step: &Step, context: &Value) -> Value {
    if let StepKind::Action {
        for_each: Some(each),
        ..
    } = &step.kind
        && let Ok(items) = items_of(each, context)
    {
        return Value::Array(
            items
                .into_iter()
                .map(|(i, item)| {
                    json!({"input": item, "output": deferred(&format!("{}[{i}]", step.id))})
                })
                .collect(),
        );
    }
    deferred(&step.id)
}

/// The context with every step that has not run yet standing in with its [`virtual_output`],
/// so a listing shows `<from create.ReplicationInstanceArn>` for what a later call gives.
/// With `every_branch` false, only the steps whose `when` holds stand in (an approval lists
/// the path the answers take: `{{ a or b }}` then takes `b` when the step giving `a` is
/// skipped); with it true, every step does (`hubfix plan` without answers shows every branch).
pub fn projected(plan: &Plan, context: &Value, every_branch: bool) -> Value {
    let mut view = context.clone();
    for step in &plan.steps {
        let gives_output = matches!(
            step.kind,
            StepKind::Action { .. } | StepKind::Wait(_) | StepKind::Assert { .. }
        );
        let runs = every_branch || step.when.as_ref().is_none_or(|w| w.eval(&view));
        if gives_output && runs && view["steps"].get(&step.id).is_none() {
            let output = virtual_output(step, &view);
            view["steps"][&step.id] = output;
        }
    }
    view
}
