//! One-line descriptions of what a step would change: shown before the prompt that approves
//! it, and in dry runs. Parameters are rendered from the context as it is now (a value not
//! known yet shows as `<path>`), and secrets are redacted.

use super::context::Context;
use crate::actions;
use crate::findings::Finding;
use crate::runbook::{Lang, Step, StepKind};
use serde_json::Value;

/// The exact call a mutating step makes, or `None` for steps that change nothing.
pub fn describe_change(
    step: &Step,
    ctx: &Context,
    finding: Option<&Finding>,
    lang: Lang,
) -> Option<String> {
    match &step.kind {
        StepKind::Action {
            call,
            params,
            mutating: true,
            ..
        } => Some(describe_call(call, params, ctx)),
        StepKind::Suppress { note, .. } => Some(describe_update(
            finding,
            "SUPPRESSED",
            &note.render(lang, &ctx.value),
            ctx,
        )),
        StepKind::Resolve { note, .. } => Some(describe_update(
            finding,
            "RESOLVED",
            &note.render(lang, &ctx.value),
            ctx,
        )),
        _ => None,
    }
}

/// `service:Operation {params}` with secrets redacted.
pub fn describe_call(call: &str, params: &crate::runbook::Params, ctx: &Context) -> String {
    let action = actions::find(call).expect("validated call");
    let rendered = params.render(&ctx.value);
    let shown = actions::redact(action, &rendered);
    let shown = ctx.redact(Value::Object(shown));
    format!("{} {}", action.operation, shown)
}

fn describe_update(finding: Option<&Finding>, status: &str, note: &str, ctx: &Context) -> String {
    match finding {
        Some(f) => format!(
            "securityhub:BatchUpdateFindings {{\"FindingIdentifiers\":[{{\"Id\":\"{}\"}}],\"Workflow\":{{\"Status\":\"{status}\"}},\"Note\":{{\"Text\":{}}}}}",
            f.id,
            Value::String(ctx.redact_text(note))
        ),
        None => format!("(no finding given: Security Hub would not be marked {status})"),
    }
}
