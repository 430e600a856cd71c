//! `hubfix plan` without answers: every step of the plan, both sides of every branch, with the
//! exact requests each step would send (built by [`super::calls`], as the walker builds
//! them), and no mutating call made. Read-only calls do run, so the preview shows the
//! resource as it is now and parameters filled in from it; a value only a later call gives
//! reads `<from step.Field>`. With answers, `hubfix plan` walks instead
//! ([`Engine::preview_walk`]).

use super::calls::{self, ShownCall};
use super::context::{Context, Target};
use super::session::Engine;
use crate::actions;
use crate::runbook::{OnFailure, Plan, StepKind, has_deferred};
use serde_json::Value;

/// Prints the plan for one target and returns every request listed; an error when a read
/// call fails (the resource is missing, access is denied, ...), since a preview of a
/// resource that cannot be read would mislead, unless the step says what a run does then
/// (`on_failure` other than abort): the failure is shown and the preview goes on.
pub async fn preview(
    engine: &Engine<'_>,
    plan: &Plan,
    target: &Target,
) -> Result<Vec<ShownCall>, crate::aws::ApiError> {
    let mut listed = Vec::new();
    let lang = engine.options.lang;
    let say = |t: &str| engine.reporter.say(t);
    let mut ctx = Context::new(target, "dry-run", engine.options.approver.as_deref());
    ctx.set_session("dry-run");
    ctx.set_signer(engine.options.caller.as_deref());
    say(&format!(
        "{} {} — {} ({})",
        lang.pick("Dry run of", "ドライラン:"),
        plan.control,
        target.resource,
        plan.title.get(lang)
    ));
    say(lang.pick(
        "Nothing will be changed: only read calls are made.",
        "読み取り呼び出しのみを行い、何も変更しません。",
    ));
    for (n, step) in plan.steps.iter().enumerate() {
        let view = calls::projected(plan, &ctx.value, true);
        let requests = calls::step_requests(step, &ctx, &view, target, lang);
        listed.extend(requests.iter().map(|r| r.shown(&ctx)));
        let described = requests
            .iter()
            .map(|r| r.line(&ctx))
            .collect::<Vec<_>>()
            .join("\n    ");
        let mut line = format!("[{}] {} ({})", n + 1, step.id, step.kind.name());
        if let Some(when) = &step.when {
            let now = when.eval(&ctx.value);
            line.push_str(&format!("  when `{}` (now {now})", when.source()));
        }
        say(&line);
        let detail = match &step.kind {
            StepKind::Prompt {
                kind,
                text,
                options,
                ..
            } => {
                let mut d = format!("asks ({}): {}", kind.name(), text.render(lang, &ctx.value));
                if !options.is_empty() {
                    let values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
                    d.push_str(&format!(" [options: {}]", values.join(", ")));
                }
                d
            }
            StepKind::Action {
                call,
                params,
                mutating: false,
                ..
            } => {
                let known = params.is_resolved(&ctx.value)
                    && requests
                        .iter()
                        .all(|r| !has_deferred(&Value::Object(r.params.clone())));
                match requests.first() {
                    Some(request) if known => {
                        let action = actions::find(call).expect("validated call");
                        let read = engine
                            .api
                            .call(action, target.region.as_deref(), &request.params)
                            .await;
                        match read {
                            Ok(output) => {
                                ctx.set_output(&step.id, output.clone());
                                format!("reads: {described}\n      → {output}")
                            }
                            // The runbook handles this failure: the plan shows it and goes on.
                            Err(e) if step.on_failure != OnFailure::Abort => {
                                format!("reads: {described}\n      → failed: {e}")
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    _ => format!("would read: {described}"),
                }
            }
            StepKind::Action { .. } | StepKind::Suppress { .. } | StepKind::Resolve { .. } => {
                let approver = step
                    .kind
                    .approved_by()
                    .map_or("?", |i| plan.steps[i].id.as_str());
                let change = if requests.is_empty() {
                    "(nothing: no request for this resource)".to_owned()
                } else {
                    described
                };
                let mut d = format!("WOULD CHANGE (after a yes to `{approver}`): {change}");
                if let StepKind::Suppress { review_days, .. } = step.kind {
                    d.push_str(&format!(
                        "\n    review date: asked before the suppression, {review_days} days ahead by default (answers files: `review_by`)"
                    ));
                }
                d
            }
            StepKind::Wait(spec) if spec.gone_is_ready => {
                format!("would poll {described} until the resource is gone")
            }
            StepKind::Wait(spec) => format!(
                "would poll {described} until {} is one of [{}]{}{}",
                spec.status,
                spec.ready.join(", "),
                spec.pending
                    .as_ref()
                    .map(|p| format!(" with no {p}"))
                    .unwrap_or_default(),
                spec.until
                    .as_ref()
                    .map(|u| format!(" and `{}`", u.source()))
                    .unwrap_or_default(),
            ),
            StepKind::Assert { that, text, .. } => {
                let read = if requests.is_empty() {
                    String::new()
                } else {
                    format!(" after {described}")
                };
                format!(
                    "verifies `{}`{read}: {}",
                    that.source(),
                    text.render(lang, &ctx.value)
                )
            }
            StepKind::Note { text } => format!("shows: {}", text.render(lang, &ctx.value)),
            StepKind::End { outcome, text, .. } => format!(
                "ends ({}): {}",
                outcome.name(),
                text.render(lang, &ctx.value)
            ),
        };
        for (i, l) in detail.lines().enumerate() {
            say(&if i == 0 {
                format!("    {l}")
            } else {
                format!("  {l}")
            });
        }
        for b in &step.branches {
            say(&format!(
                "    → if `{}`: go to {}",
                b.when.source(),
                plan.steps[b.next].id
            ));
        }
        if let Some(next) = step.next {
            let prefix = if step.branches.is_empty() {
                "→ then"
            } else {
                "→ otherwise"
            };
            say(&format!("    {prefix}: {}", plan.steps[next].id));
        }
        if let OnFailure::Goto(t) = step.on_failure {
            say(&format!("    → on failure: {}", plan.steps[t].id));
        }
    }
    Ok(listed)
}
