//! `hubfix run` and `hubfix plan`: select the targets, show the triage table, then walk each
//! target's runbook (or preview it), and end with a summary and the resume commands.

use super::App;
use super::targets::{check_account, select};
use crate::aws::AwsApi;
use crate::cli::{RunArgs, Selectors};
use crate::engine::{AnswersFile, AnswersPrompter, Engine, Prompter, RunReport, Target, preview};
use crate::error::{Error, Result};
use crate::findings::{SdkSecurityHub, resource_name};
use crate::ui::{Table, TerminalPrompter, TerminalReporter, interactive};
use std::path::Path;

/// The prompter for a run: the answers file if given, else the terminal if there is one.
pub fn prompter_for(answers: Option<&Path>, approver: Option<String>) -> Result<Box<dyn Prompter>> {
    match answers {
        Some(path) => {
            let file = AnswersFile::load(path).map_err(Error::Usage)?;
            Ok(Box::new(AnswersPrompter::new(file, path.to_path_buf())))
        }
        None if interactive() => Ok(Box::new(TerminalPrompter::new(approver))),
        None => Err(Error::Usage(
            "no terminal to ask questions on: pass --answers FILE (see the README), or preview with --dry-run / `hubfix plan`".into(),
        )),
    }
}

fn triage(targets: &[Target]) -> String {
    let mut t = Table::new(&["CONTROL", "RESOURCE", "REGION", "FINDING"]);
    for target in targets {
        t.row(vec![
            target.control.clone(),
            target.name().to_owned(),
            target.region.clone().unwrap_or_else(|| "-".into()),
            target
                .finding
                .as_ref()
                .map_or_else(|| "(none)".into(), |f| f.workflow_status.clone()),
        ]);
    }
    t.render()
}

fn summary(reports: &[(Target, RunReport)]) -> String {
    let mut t = Table::new(&["CONTROL", "RESOURCE", "OUTCOME", "RUN ID", "NEXT"]);
    for (target, r) in reports {
        t.row(vec![
            target.control.clone(),
            resource_name(&target.resource).to_owned(),
            r.outcome.name().to_owned(),
            r.run_id.clone(),
            match &r.resume_at {
                Some(_) => format!("hubfix resume {}", r.run_id),
                None => "-".into(),
            },
        ]);
    }
    t.render()
}

pub async fn run(app: &App, args: RunArgs) -> Result<i32> {
    if args.dry_run {
        return plan(app, args.selectors).await;
    }
    if args.parallel != 1 {
        return Err(Error::Usage(
            "--parallel: this version fixes one resource at a time; leave it at 1".into(),
        ));
    }
    // Refuse before any AWS call when nobody could answer.
    let mut prompter = prompter_for(args.answers.as_deref(), args.approver.clone())?;
    let catalog = app.catalog()?;
    let clients = app.clients();
    let hub = SdkSecurityHub::new(clients.clone());
    let targets = select(&catalog, &hub, &args.selectors).await?;
    if targets.is_empty() {
        eprintln!("No failed findings to work on: nothing to do.");
        return Ok(0);
    }
    eprint!("{}", triage(&targets));
    check_account(&clients, &targets).await?;
    let api = AwsApi::new(clients);
    let reporter = TerminalReporter::new(app.progress, app.quiet);
    let options = app.run_options(args.approver.clone());
    let engine = Engine {
        api: &api,
        hub: &hub,
        reporter: &reporter,
        options: &options,
    };
    let mut reports = Vec::new();
    for target in targets {
        let plan = catalog
            .get(&target.control)
            .expect("selected targets have runbooks");
        eprintln!();
        eprintln!(
            "━━ {} {} — {}",
            plan.control,
            target.name(),
            plan.title.get(app.lang)
        );
        let report = match engine.run(plan, &target, prompter.as_mut()).await {
            Ok(report) => report,
            Err(e) => {
                // Nothing can be journaled: stop before touching the next resource.
                eprintln!("{} {e}", console::style("error:").red().bold());
                if !reports.is_empty() {
                    eprint!("{}", summary(&reports));
                }
                return Ok(1);
            }
        };
        if report.exit_code() != 0 {
            eprintln!("{}: {}", report.outcome.name(), report.message);
        } else {
            eprintln!("{}", report.message);
        }
        let interrupted = report.interrupted;
        reports.push((target, report));
        if interrupted {
            eprintln!("Interrupted: the remaining resources were not touched.");
            break;
        }
    }
    eprintln!();
    eprint!("{}", summary(&reports));
    Ok(reports
        .iter()
        .map(|(_, r)| r.exit_code())
        .max()
        .unwrap_or(0))
}

pub async fn plan(app: &App, selectors: Selectors) -> Result<i32> {
    let catalog = app.catalog()?;
    let clients = app.clients();
    let hub = SdkSecurityHub::new(clients.clone());
    let targets = select(&catalog, &hub, &selectors).await?;
    if targets.is_empty() {
        eprintln!("No failed findings to work on: nothing to do.");
        return Ok(0);
    }
    let api = AwsApi::new(clients);
    let reporter = PlainReporter;
    let options = app.run_options(None);
    let engine = Engine {
        api: &api,
        hub: &hub,
        reporter: &reporter,
        options: &options,
    };
    for target in &targets {
        let plan = catalog
            .get(&target.control)
            .expect("selected targets have runbooks");
        preview(&engine, plan, target).await?;
        println!();
    }
    Ok(0)
}

/// Dry-run output is the command's data: it goes to stdout.
struct PlainReporter;

impl crate::engine::Reporter for PlainReporter {
    fn say(&self, text: &str) {
        println!("{text}");
    }

    fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    fn wait(&self, label: &str) -> Box<dyn crate::engine::WaitDisplay> {
        TerminalReporter::new(false, false).wait(label)
    }
}
