//! Dry run: every step of the plan with the exact call it would send, both sides of every
//! branch, and no mutating call made. Read-only calls do run, so the preview shows the
//! resource as it is now and parameters filled in from it.

use super::context::{Context, Target};
use super::describe::{describe_call, describe_change};
use super::session::Engine;
use crate::actions;
use crate::runbook::{OnFailure, Plan, StepKind};

/// Prints the plan for one target; an error when a read call fails (the resource is missing,
/// access is denied, ...), since a preview of a resource that cannot be read would mislead.
pub async fn preview(
    engine: &Engine<'_>,
    plan: &Plan,
    target: &Target,
) -> Result<(), crate::aws::ApiError> {
    let lang = engine.options.lang;
    let say = |t: &str| engine.reporter.say(t);
    let mut ctx = Context::new(target, "dry-run", engine.options.approver.as_deref());
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
                let described = describe_call(call, params, &ctx);
                if params.is_resolved(&ctx.value) {
                    let action = actions::find(call).expect("validated call");
                    let output = engine
                        .api
                        .call(
                            action,
                            target.region.as_deref(),
                            &params.render_to_send(&ctx.value),
                        )
                        .await?;
                    ctx.set_output(&step.id, output.clone());
                    format!("reads: {described}\n      → {output}")
                } else {
                    format!("would read: {described}")
                }
            }
            StepKind::Action { .. } | StepKind::Suppress { .. } | StepKind::Resolve { .. } => {
                let change = describe_change(step, &ctx, target, lang).unwrap_or_default();
                let approver = step
                    .kind
                    .approved_by()
                    .map_or("?", |i| plan.steps[i].id.as_str());
                format!("WOULD CHANGE (after a yes to `{approver}`): {change}")
            }
            StepKind::Wait(spec) if spec.gone_is_ready => format!(
                "would poll {} until the resource is gone",
                describe_call(&spec.call, &spec.params, &ctx)
            ),
            StepKind::Wait(spec) => format!(
                "would poll {} until {} is one of [{}]{}{}",
                describe_call(&spec.call, &spec.params, &ctx),
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
            StepKind::Assert {
                call,
                params,
                that,
                text,
            } => {
                let read = call
                    .as_ref()
                    .map(|c| format!(" after {}", describe_call(c, params, &ctx)))
                    .unwrap_or_default();
                format!(
                    "verifies `{}`{read}: {}",
                    that.source(),
                    text.render(lang, &ctx.value)
                )
            }
            StepKind::Note { text } => format!("shows: {}", text.render(lang, &ctx.value)),
            StepKind::End { outcome, text } => format!(
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
    Ok(())
}
