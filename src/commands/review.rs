//! `hubfix review`: the suppressions hubfix made whose review date has come, and with
//! `--reopen` the way back: each finding, after a yes, set back to NEW with a note that the
//! exception expired, so `findings` and `run` see it again. Findings are read and updated
//! with the caller's own credentials, like `hubfix findings`.

use super::App;
use crate::cli::Output;
use crate::engine::{Answer, AnswersFile, AnswersPrompter, PromptError, Prompter, Question};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::findings::review::{Exception, REVIEW_BY, due, parse_date, reopened_fields, today};
use crate::findings::{
    FindingRef, SdkSecurityHub, SecurityHub, WorkflowStatus, compose_note, request_fields,
    resource_name, update_findings, update_request,
};
use crate::runbook::PromptKind;
use crate::ui::{Table, TerminalPrompter, interactive};
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::PathBuf;

pub struct Args {
    pub as_of: Option<String>,
    pub reopen: bool,
    pub answers: Option<PathBuf>,
    pub yes: bool,
    pub approver: Option<String>,
}

/// Every ISO date holds a `-`: Security Hub's map filters have no "has this key", so this is
/// how GetFindings is asked for the findings that have a review date at all.
const ANY_DATE: &str = "-";

/// An exception as `--output json` shows it, with whether `--reopen` reopened it.
#[derive(Serialize)]
struct Reviewed<'a> {
    #[serde(flatten)]
    exception: &'a Exception,
    #[serde(skip_serializing_if = "Option::is_none")]
    reopened: Option<bool>,
}

fn table(due: &[Exception]) -> String {
    let mut t = Table::new(&[
        "FINDING ID",
        "CONTROL",
        "ACCOUNT",
        "RESOURCE",
        "REVIEW BY",
        "APPROVER",
        "REASON",
    ]);
    for e in due {
        let f = &e.finding;
        t.row(vec![
            f.short_id(),
            f.control.clone(),
            f.resource_account(),
            resource_name(&f.resource_id).to_owned(),
            e.review_by.clone(),
            e.approver.clone().unwrap_or_else(|| "-".into()),
            e.reason.clone(),
        ]);
    }
    t.render()
}

/// Who may say yes to each reopening: nobody needed with `--yes`; else an answers file or
/// the terminal, refused before any AWS call when there is neither.
fn prompter(args: &Args) -> Result<Option<Box<dyn Prompter>>> {
    if !args.reopen || args.yes {
        return Ok(None);
    }
    match &args.answers {
        Some(path) => {
            let file = AnswersFile::load(path)?;
            Ok(Some(Box::new(AnswersPrompter::new(file, path.clone()))))
        }
        None if interactive() => Ok(Some(Box::new(TerminalPrompter::new(None)))),
        None => Err(Error::Usage(
            "no terminal to confirm on: add --yes to reopen every listed finding, or --answers FILE with `reopen: true` or `false` per control or resource".into(),
        )),
    }
}

/// The request that reopens one exception: the finding back to NEW, the note saying the
/// exception expired, the suppression's fields taken off (the finding's others kept).
fn reopen_request(e: &Exception, signer: &str, date: &str) -> Map<String, Value> {
    let note = compose_note(&e.reopen_note_body(), signer, date, None);
    let fields = reopened_fields(&e.finding.user_defined_fields, today());
    let fields = Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    );
    update_request(
        &[FindingRef::from(&e.finding)],
        WorkflowStatus::New.as_str(),
        &note,
        signer,
        Some(fields),
    )
}

pub async fn run(app: &App, args: Args) -> Result<ExitStatus> {
    let as_of = match &args.as_of {
        Some(text) => parse_date(text).map_err(|p| Error::Usage(format!("--as-of: {p}")))?,
        None => today(),
    };
    let mut prompter = prompter(&args)?;
    let clients = app.clients();
    let hub = SdkSecurityHub::new(clients.clone());
    let due = due(hub.suppressed_findings(REVIEW_BY, ANY_DATE).await?, as_of);
    for e in due.iter().filter(|e| e.overdue_days.is_none()) {
        app.printer.warn(&format!(
            "finding {} has `{REVIEW_BY}: {}`, which is not a date: listed as due",
            e.finding.id, e.review_by
        ));
    }
    let json = |reopened: &[Option<bool>]| {
        let listed: Vec<Reviewed<'_>> = due
            .iter()
            .zip(reopened.iter().copied().chain(std::iter::repeat(None)))
            .map(|(exception, reopened)| Reviewed {
                exception,
                reopened,
            })
            .collect();
        app.printer.json(&listed);
    };
    if due.is_empty() {
        match app.output {
            Output::Json => json(&[]),
            Output::Table => app.printer.status(&format!(
                "No suppression made by hubfix is due for review by {as_of}."
            )),
        }
        return Ok(ExitStatus::Success);
    }
    if app.output == Output::Table {
        app.printer.data_block(&table(&due));
    }
    if !args.reopen {
        if app.output == Output::Json {
            json(&[]);
        }
        return Ok(ExitStatus::Success);
    }
    let signer = signer(&args, prompter.as_deref(), &clients).await;

    // Every answer first: a missing answer or a stop changes nothing.
    let date = today().to_string();
    let requests: Vec<Map<String, Value>> = due
        .iter()
        .map(|e| reopen_request(e, &signer, &date))
        .collect();
    let mut chosen = Vec::new();
    for (e, request) in due.iter().zip(&requests) {
        let line = format!(
            "securityhub:BatchUpdateFindings {}",
            Value::Object(request.clone())
        );
        let Some(prompter) = prompter.as_mut() else {
            app.printer.status(&format!("hubfix will send: {line}"));
            chosen.push(true);
            continue;
        };
        app.printer
            .status(&format!("If the answer is yes, hubfix will:\n  • {line}"));
        let f = &e.finding;
        let question = Question {
            id: "reopen".into(),
            kind: PromptKind::Confirm,
            text: format!(
                "Reopen finding {} ({} on {}), to be reviewed by {}?",
                f.short_id(),
                f.control,
                resource_name(&f.resource_id),
                e.review_by
            ),
            options: Vec::new(),
            validate: None,
            default: Some(Value::Bool(false)),
            rules: None,
            generate: None,
            control: f.control.clone(),
            resource_keys: vec![
                f.resource_id.clone(),
                resource_name(&f.resource_id).to_owned(),
            ],
        };
        match prompter.ask(&question) {
            Ok(Answer::Bool(yes)) => chosen.push(yes),
            Ok(_) => return Err(Error::Usage("`reopen` must be true or false".into())),
            Err(PromptError::Interrupted) => {
                app.printer.important("Stopped: no finding was reopened.");
                return Ok(ExitStatus::Stopped);
            }
            Err(e) => return Err(Error::Usage(format!("{e}; no finding was reopened"))),
        }
    }

    let mut reopened = Vec::new();
    let mut failures = 0;
    for ((e, request), yes) in due.iter().zip(&requests).zip(&chosen) {
        if !yes {
            reopened.push(Some(false));
            continue;
        }
        let refs = [FindingRef::from(&e.finding)];
        let fields = request_fields(request);
        let note = request["Note"]["Text"].as_str().unwrap_or_default();
        let failed = update_findings(
            &hub,
            &refs,
            WorkflowStatus::New,
            note,
            &signer,
            fields.as_ref(),
        )
        .await;
        match failed {
            Ok(failed) if failed.is_empty() => {
                app.printer
                    .status(&format!("✓ finding {} → NEW", e.finding.id));
                reopened.push(Some(true));
            }
            Ok(failed) => {
                app.printer.warn(&format!(
                    "not reopened: {} — {} {}",
                    e.finding.id, failed[0].error_code, failed[0].error_message
                ));
                failures += 1;
                reopened.push(Some(false));
            }
            Err(err) => {
                app.printer
                    .warn(&format!("not reopened: {} — {err}", e.finding.id));
                failures += 1;
                reopened.push(Some(false));
            }
        }
    }
    let count = reopened.iter().filter(|r| **r == Some(true)).count();
    app.printer.status(&format!(
        "Reopened {count} of {} findings; `hubfix findings` lists them and `hubfix run` works on them again.",
        due.len()
    ));
    if app.output == Output::Json {
        json(&reopened);
    }
    Ok(if failures == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Failed
    })
}

/// Who signs the reopening notes: `--approver`, else the answers file's `approver:`, else
/// the credentials' identity (STS), else the OS user; never "unknown" when one is known.
async fn signer(
    args: &Args,
    prompter: Option<&dyn Prompter>,
    clients: &crate::aws::Clients,
) -> String {
    if let Some(name) = args
        .approver
        .clone()
        .or_else(|| prompter.and_then(Prompter::approver))
    {
        return name;
    }
    match clients.identity().await {
        Ok((_, arn)) if !arn.is_empty() => arn,
        _ => crate::engine::os_user(),
    }
}
