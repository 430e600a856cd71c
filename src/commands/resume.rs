//! `hubfix resume`: continue an interrupted or stopped run from its journal.

use super::App;
use super::run::prompter_for;
use crate::actions::AwsApi;
use crate::engine::{Engine, list_runs};
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
    let mut prompter = prompter_for(answers.as_deref(), approver.clone())?;
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
