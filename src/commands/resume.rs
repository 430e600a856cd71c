//! `hubfix resume`: continue an interrupted or stopped run from its journal.

use super::App;
use super::run::prompter_for;
use crate::actions::AwsApi;
use crate::engine::{Engine, Event, Journal, PlanFile, list_runs};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::findings::SdkSecurityHub;
use crate::ui::TerminalReporter;
use std::path::PathBuf;

pub async fn run(
    app: &App,
    run_id: Option<String>,
    answers: Option<PathBuf>,
    approver: Option<String>,
) -> Result<ExitStatus> {
    crate::engine::listen_for_stop();
    let runs = list_runs(&app.state_dir);
    let run = match &run_id {
        Some(id) => runs.iter().find(|r| &r.run_id == id).ok_or_else(|| {
            Error::Usage(format!(
                "no run `{id}` in {}; `hubfix runs` lists them",
                app.state_dir.display()
            ))
        })?,
        None => runs.iter().find(|r| r.resumable()).ok_or_else(|| {
            Error::Usage(format!("no resumable run in {}", app.state_dir.display()))
        })?,
    };
    if !run.resumable() {
        return Err(Error::Usage(format!(
            "run {} ended ({}); there is nothing to resume",
            run.run_id, run.state
        )));
    }
    // A run of a saved plan goes on with the plan's answers, if the file is still the one.
    let mut prompter = match (applied_plan(&run.path)?, &answers) {
        (Some(file), None) => {
            app.printer.status(&format!(
                "Run {} applies the plan {} (sha256 {}): its answers answer again.",
                run.run_id,
                file.path.display(),
                file.sha256
            ));
            Box::new(file.prompter())
        }
        _ => prompter_for(answers.as_deref(), approver.clone())?,
    };
    let catalog = app.catalog()?;
    let plan = catalog.get(&run.control).ok_or_else(|| {
        Error::Usage(format!(
            "run {} is for {}, which has no runbook now",
            run.run_id, run.control
        ))
    })?;
    // The resource's account, through the role the run assumed there (assumed again), or
    // through `--role-name`; findings with the credentials' own account.
    let accounts = app.accounts();
    let what = format!("run {}", run.run_id);
    let clients = match (&run.role, &run.account) {
        (Some(role), Some(account)) => accounts
            .clients_with_role(role, account)
            .await
            .map_err(|e| Error::Failed(e.to_string()))?,
        _ => {
            let partition = crate::findings::arn_partition(&run.resource);
            accounts
                .clients_for(run.account.as_deref(), &partition, &what)
                .await
                .map_err(|e| match e {
                    e if e.is_usage() => Error::Usage(e.to_string()),
                    e => Error::Failed(e.to_string()),
                })?
                .0
        }
    };
    let api = AwsApi::new(clients);
    let hub = SdkSecurityHub::new(accounts.caller_clients());
    let reporter = TerminalReporter::new(app.printer);
    let options = app.run_options(approver, accounts.caller_arn().await.ok());
    let engine = Engine {
        api: &api,
        hub: &hub,
        reporter: &reporter,
        options: &options,
    };
    app.printer.status(&format!(
        "Resuming {} ({} on {}) at `{}`",
        run.run_id,
        run.control,
        run.resource,
        run.resume_at.as_deref().unwrap_or("?")
    ));
    let report = engine
        .resume(plan, &run.path, prompter.as_mut())
        .await
        .map_err(|e| match e {
            e if e.is_usage() => Error::Usage(e.to_string()),
            e => Error::Failed(e.to_string()),
        })?;
    super::run::tell(app, &report);
    if report.resume_at.is_some() && !report.exit_status().is_success() {
        app.printer
            .status(&format!("To continue: hubfix resume {}", report.run_id));
    }
    Ok(report.exit_status())
}

/// The saved plan a run applies, as its journal names it, read again and checked: the same
/// file (SHA-256), valid when the run started.
fn applied_plan(journal: &std::path::Path) -> Result<Option<PlanFile>> {
    let records = Journal::read(journal).unwrap_or_default();
    let Some((at, plan)) = records.iter().find_map(|r| match &r.event {
        Event::RunStart {
            plan: Some(plan), ..
        } => Some((r.at.clone(), plan.clone())),
        _ => None,
    }) else {
        return Ok(None);
    };
    let started = chrono::DateTime::parse_from_rfc3339(&at)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|_| chrono::Utc::now());
    let file = PlanFile::load(std::path::Path::new(&plan.path), started).map_err(|e| {
        Error::Usage(format!(
            "{e}; the run applies that plan: restore the file, or resume with --answers FILE"
        ))
    })?;
    if file.sha256 != plan.sha256 {
        return Err(Error::Usage(format!(
            "the plan {} is not the file the run applies any more (sha256 {}, the journal has {}); restore it, or resume with --answers FILE",
            plan.path, file.sha256, plan.sha256
        )));
    }
    Ok(Some(file))
}
