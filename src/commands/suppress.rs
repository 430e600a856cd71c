//! `hubfix suppress`: suppress findings after sign-off, without a runbook. Shows exactly
//! what will be marked and asks (or needs `--yes` without a terminal).

use super::App;
use crate::engine::{Answer, Prompter, Question};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::findings::{
    FindingRef, SdkSecurityHub, SecurityHub, WorkflowStatus, compose_note, update_findings,
};
use crate::runbook::PromptKind;
use crate::ui::{TerminalPrompter, interactive};

pub async fn run(
    app: &App,
    ids: &[String],
    reason: &str,
    approver: &str,
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
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let note = compose_note(
        &format!("Suppressed after sign-off: {reason}"),
        approver,
        &date,
        None,
    );
    app.printer.status(&format!(
        "hubfix will mark SUPPRESSED, with the note \"{note}\":"
    ));
    for f in &found {
        app.printer.status(&format!(
            "  • {} ({} on {})",
            f.id, f.control, f.resource_id
        ));
    }
    if !yes {
        let answer = TerminalPrompter::new(None)
            .ask(&Question {
                id: "confirm_suppress".into(),
                kind: PromptKind::Confirm,
                text: "Suppress these findings?".into(),
                options: Vec::new(),
                validate: None,
                default: Some(serde_json::Value::Bool(false)),
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
    let refs: Vec<FindingRef> = found.iter().map(FindingRef::from).collect();
    let failed = update_findings(&hub, &refs, WorkflowStatus::Suppressed, &note, approver).await?;
    for u in &failed {
        app.printer.warn(&format!(
            "not suppressed: {} — {} {}",
            u.finding.id, u.error_code, u.error_message
        ));
    }
    app.printer.status(&format!(
        "Suppressed {} of {} findings.",
        refs.len() - failed.len(),
        refs.len()
    ));
    Ok(if failed.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failed
    })
}
