//! `hubfix suppress`: suppress findings after sign-off, without a runbook. Every suppression
//! has a review date (`--review-by`, else the period the control's runbook gives), written in
//! the note and in the findings' user-defined fields beside their own. Shows exactly the
//! requests it will send and asks (or needs `--yes` without a terminal).

use super::App;
use crate::engine::{Answer, Prompter, Question};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::findings::review::{
    UserFields, check_field_count, check_review_date, others, review_date_after,
    suppression_fields, today,
};
use crate::findings::{
    Finding, FindingRef, SdkSecurityHub, SecurityHub, WorkflowStatus, compose_suppression_note,
    request_fields, update_findings, update_request,
};
use crate::runbook::{Catalog, PromptKind, StepKind};
use crate::ui::{TerminalPrompter, interactive};
use serde_json::Value;

/// The id `hubfix:run` holds for a `hubfix suppress`: `<UTC time>-suppress-<4 hex>`, one per
/// invocation, shared by the findings it suppresses. No journal has this id; it tells a
/// suppression made by this command from one made by a run.
fn invocation_id() -> String {
    let now = chrono::Utc::now();
    let salt = (now.timestamp_subsec_nanos() ^ std::process::id()) & 0xffff;
    format!("{}-suppress-{salt:04x}", now.format("%Y%m%dT%H%M%SZ"))
}

/// The default review period of a control's suppressions: the shortest `review_days` of
/// its runbook's `suppress` steps.
fn review_days(catalog: &Catalog, control: &str) -> Option<u32> {
    catalog.get(control).and_then(|plan| {
        plan.steps
            .iter()
            .filter_map(|s| match s.kind {
                StepKind::Suppress { review_days, .. } => Some(review_days),
                _ => None,
            })
            .min()
    })
}

/// The review date of each finding, in order: the one given, else today + its control's
/// period; a finding of a control with no period is a usage error naming `--review-by`.
fn review_dates(app: &App, found: &[Finding], given: Option<&str>) -> Result<Vec<String>> {
    let today = today();
    if let Some(given) = given {
        let date = check_review_date(given, today)
            .map_err(|problem| Error::Usage(format!("--review-by: {problem}")))?;
        return Ok(vec![date.to_string(); found.len()]);
    }
    let catalog = app.catalog()?;
    let mut dates = Vec::new();
    let mut without = Vec::new();
    for f in found {
        match review_days(&catalog, &f.control) {
            Some(days) => dates.push(review_date_after(today, days).to_string()),
            None => without.push(format!("`{}` ({})", f.id, f.control)),
        }
    }
    if !without.is_empty() {
        return Err(Error::Usage(format!(
            "no runbook gives a review period for finding {}: pass --review-by YYYY-MM-DD",
            without.join(", ")
        )));
    }
    Ok(dates)
}

pub async fn run(
    app: &App,
    ids: &[String],
    reason: &str,
    approver: &str,
    review_by: Option<&str>,
    yes: bool,
) -> Result<ExitStatus> {
    if reason.trim().is_empty() || approver.trim().is_empty() {
        return Err(Error::Usage(
            "--reason and --approver cannot be empty".into(),
        ));
    }
    if !yes && !interactive() {
        return Err(Error::Usage(
            "no terminal to confirm on: add --yes to suppress without a question".into(),
        ));
    }
    let hub = SdkSecurityHub::new(app.clients());
    let found = hub.findings_by_id(ids).await?;
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !found.iter().any(|f| &f.id == *id))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "no Security Hub finding with id {} (check --region and --profile)",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let dates = review_dates(app, &found, review_by)?;
    let run_id = invocation_id();
    let date = today().to_string();
    let body = format!("Suppressed after sign-off: {reason}");
    // One request per review date and set of the findings' own fields (usually one).
    let mut groups: Vec<(String, UserFields, Vec<&Finding>)> = Vec::new();
    for (f, review) in found.iter().zip(&dates) {
        let own = others(&f.user_defined_fields);
        match groups
            .iter_mut()
            .find(|(d, fields, _)| d == review && *fields == own)
        {
            Some((_, _, members)) => members.push(f),
            None => groups.push((review.clone(), own, vec![f])),
        }
    }
    let mut requests = Vec::new();
    for (review, own, members) in &groups {
        let fields = suppression_fields(own, review, approver, &run_id);
        check_field_count(fields.len()).map_err(Error::Usage)?;
        let refs: Vec<FindingRef> = members.iter().map(|f| FindingRef::from(*f)).collect();
        let note = compose_suppression_note(&body, approver, &date, review, None);
        let fields = Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        );
        let params = update_request(&refs, "SUPPRESSED", &note, approver, Some(fields));
        app.printer
            .status(&format!("hubfix will mark SUPPRESSED, review by {review}:"));
        for f in members {
            app.printer.status(&format!(
                "  • {} ({} on {})",
                f.id, f.control, f.resource_id
            ));
        }
        app.printer.status(&format!(
            "  with securityhub:BatchUpdateFindings {}",
            Value::Object(params.clone())
        ));
        requests.push((refs, note, params));
    }
    if !yes {
        let answer = TerminalPrompter::new(None)
            .ask(&Question {
                id: "confirm_suppress".into(),
                kind: PromptKind::Confirm,
                text: "Suppress these findings?".into(),
                options: Vec::new(),
                validate: None,
                default: Some(Value::Bool(false)),
                rules: None,
                generate: None,
                control: String::new(),
                resource_keys: Vec::new(),
            })
            .or_else(|e| match e {
                crate::engine::PromptError::Interrupted => Ok(Answer::Bool(false)),
                other => Err(Error::Usage(other.to_string())),
            })?;
        if answer != Answer::Bool(true) {
            app.printer.status("Nothing was changed.");
            return Ok(ExitStatus::Stopped);
        }
    }
    let mut failed = Vec::new();
    for (refs, note, params) in &requests {
        let fields = request_fields(params);
        failed.extend(
            update_findings(
                &hub,
                refs,
                WorkflowStatus::Suppressed,
                note,
                approver,
                fields.as_ref(),
            )
            .await?,
        );
    }
    for u in &failed {
        app.printer.warn(&format!(
            "not suppressed: {} — {} {}",
            u.finding.id, u.error_code, u.error_message
        ));
    }
    app.printer.status(&format!(
        "Suppressed {} of {} findings (hubfix:run {run_id}); `hubfix review` lists them from their review date.",
        found.len() - failed.len(),
        found.len()
    ));
    Ok(if failed.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failed
    })
}
