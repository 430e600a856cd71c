//! One-line descriptions of what a step would change: shown before the prompt that approves
//! it, and in dry runs. Parameters are rendered from the context as it is now (a value not
//! known yet shows as `<path>`), and secrets are redacted.

use super::context::{Context, Target};
use crate::actions;
use crate::findings::{FindingRef, compose_note};
use crate::runbook::{Lang, Step, StepKind};
use serde_json::{Value, json};

/// The exact call a mutating step makes, or `None` for steps that change nothing.
pub fn describe_change(step: &Step, ctx: &Context, target: &Target, lang: Lang) -> Option<String> {
    let (status, note) = match &step.kind {
        StepKind::Action {
            call,
            params,
            mutating: true,
            ..
        } => return Some(describe_call(call, params, ctx)),
        StepKind::Suppress { note, .. } => ("SUPPRESSED", note),
        StepKind::Resolve { note, .. } => ("RESOLVED", note),
        _ => return None,
    };
    Some(describe_update(
        target,
        status,
        &note.render(lang, &ctx.value),
        ctx,
    ))
}

/// `service:Operation {params}` with secrets redacted.
pub fn describe_call(call: &str, params: &crate::runbook::Params, ctx: &Context) -> String {
    let action = actions::find(call).expect("validated call");
    let rendered = params.render(&ctx.value);
    let shown = actions::redact(action, &rendered);
    let shown = ctx.redact(Value::Object(shown));
    format!("{} {}", action.operation, shown)
}

/// The BatchUpdateFindings request as it will be sent: every finding of the target and the
/// note with its approver-and-date tail.
fn describe_update(target: &Target, status: &str, note: &str, ctx: &Context) -> String {
    let Some(finding) = &target.finding else {
        return format!("(no finding given: Security Hub would not be marked {status})");
    };
    let mut refs = vec![FindingRef::from(finding)];
    refs.extend(target.also.iter().cloned());
    // A suppression asks for the approver if none is known; a resolution records the user.
    let approver = ctx.approver().unwrap_or_else(|| match status {
        "SUPPRESSED" => "<approver>".into(),
        _ => super::context::os_user(),
    });
    let date = ctx.value["run"]["date"].as_str().unwrap_or_default();
    let text = compose_note(&ctx.redact_text(note), &approver, date);
    let ids: Vec<Value> = refs.iter().map(|r| json!({ "Id": r.id })).collect();
    format!(
        "securityhub:BatchUpdateFindings {}",
        json!({
            "FindingIdentifiers": ids,
            "Workflow": { "Status": status },
            "Note": { "Text": text, "UpdatedBy": approver },
        })
    )
}
