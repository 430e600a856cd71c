//! Saved plans: `hubfix plan --out PLAN.json` (every question asked, the plan written to a
//! file, nothing changed) and `hubfix apply PLAN.json` (the plan applied later, in parallel
//! like `run`, without a question; a resource whose state changed since the plan, or a run
//! that would send other requests than planned, is refused before its change).

use super::App;
use super::run::{Session, work_on};
use crate::engine::{
    PlanFile, PlannedTarget, PreviewReport, Prompter, RunOptions, RunReport, SavedPlan, Target,
    timestamp,
};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::findings::{SdkSecurityHub, SecurityHub};
use crate::runbook::Outcome;
use crate::ui::{TerminalPrompter, interactive};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where `plan --out` writes, and how long the plan stays valid.
#[derive(Debug, Clone)]
pub struct SaveTo {
    pub path: PathBuf,
    pub expires_in: Duration,
}

impl SaveTo {
    /// Refuses, before any question, a place the plan cannot be written to.
    pub fn check(&self) -> Result<()> {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if self.path.is_dir() {
            return Err(Error::Usage(format!(
                "--out {} is a directory: name the plan file, e.g. {}/plan.json",
                self.path.display(),
                self.path.display()
            )));
        }
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "--out {}: the directory {} does not exist",
                self.path.display(),
                dir.display()
            )));
        }
        Ok(())
    }
}

/// The prompter of `plan --out` without an answers file: the terminal, or a refusal.
pub fn planning_prompter(approver: Option<String>) -> Result<Box<dyn Prompter>> {
    if interactive() {
        return Ok(Box::new(TerminalPrompter::new(approver)));
    }
    Err(Error::Usage(
        "`plan --out` asks every question: pass --answers FILE (see the README), or run it on a terminal".into(),
    ))
}

/// The targets of a plan being saved, as their walks recorded them.
#[derive(Default)]
pub struct Saving {
    targets: Vec<PlannedTarget>,
    approver: Option<String>,
}

impl Saving {
    pub fn add(&mut self, target: &Target, report: &PreviewReport) {
        if self.approver.is_none() {
            self.approver = report.approver.clone();
        }
        self.targets.push(PlannedTarget {
            control: target.control.clone(),
            finding: target.finding.as_ref().map(|f| f.id.clone()),
            also: target.also.clone(),
            account: target.account(),
            region: target.region.clone(),
            resource: target.resource.clone(),
            outcome: report.outcome,
            answers: report.answers.clone(),
            calls: report.calls.clone(),
            fingerprint: report.fingerprint.clone(),
        });
    }

    /// Writes the plan, unless a target could not be planned (`code`): a plan that leaves a
    /// target out would be approved for less than was asked.
    pub fn write(
        self,
        app: &App,
        to: &SaveTo,
        options: &RunOptions,
        code: ExitStatus,
    ) -> Result<ExitStatus> {
        if !code.is_success() {
            app.printer.important(&format!(
                "No plan was written to {}: a target above could not be planned. Fix what it says and plan again.",
                to.path.display()
            ));
            return Ok(code);
        }
        if self.targets.is_empty() {
            app.printer.status(&format!(
                "Nothing to plan: no plan was written to {}.",
                to.path.display()
            ));
            return Ok(code);
        }
        let now = chrono::Utc::now();
        let validity = chrono::TimeDelta::from_std(to.expires_in).expect("at most 30 days");
        let plan = SavedPlan {
            version: crate::engine::PLAN_VERSION,
            prepared_by: options
                .caller
                .clone()
                .unwrap_or_else(crate::engine::os_user),
            prepared_at: timestamp(now),
            expires_at: timestamp(now + validity),
            hubfix_version: env!("CARGO_PKG_VERSION").into(),
            approver: self.approver.or_else(|| options.approver.clone()),
            targets: self.targets,
        };
        let sha256 = plan
            .write(&to.path)
            .map_err(|e| Error::Failed(e.to_string()))?;
        app.printer.status(&format!(
            "Plan written to {}: {} target(s), sha256 {sha256}, valid until {}. Nothing was changed; `hubfix apply {}` makes the changes.",
            to.path.display(),
            plan.targets.len(),
            plan.expires_at,
            to.path.display()
        ));
        Ok(code)
    }
}

/// `hubfix apply PLAN.json`.
pub async fn run(
    app: &App,
    path: &Path,
    approver: Option<String>,
    parallel: u16,
) -> Result<ExitStatus> {
    crate::engine::listen_for_stop();
    let file = PlanFile::load(path, chrono::Utc::now()).map_err(|e| Error::Usage(e.to_string()))?;
    let approver = match (approver, &file.plan.approver) {
        (Some(given), Some(planned)) if given != *planned => {
            return Err(Error::Usage(format!(
                "the plan is signed off by {planned}, and its finding notes name them: apply it without --approver (or as --approver \"{planned}\"), or plan again with --approver \"{given}\""
            )));
        }
        (given, planned) => given.or_else(|| planned.clone()),
    };
    app.printer.status(&format!(
        "Applying the plan {} (sha256 {}), prepared by {} at {}, valid until {}: {} target(s).",
        file.path.display(),
        file.sha256,
        file.plan.prepared_by,
        file.plan.prepared_at,
        file.plan.expires_at,
        file.plan.targets.len()
    ));
    let catalog = app.catalog()?;
    let accounts = app.accounts();
    let hub = Arc::new(SdkSecurityHub::new(accounts.caller_clients()));
    let targets = planned_targets(app, &file, &catalog, hub.as_ref()).await?;
    if targets.is_empty() {
        app.printer
            .status("No target of the plan is still failed: nothing to apply.");
        return Ok(ExitStatus::Success);
    }
    let prompter: Box<dyn Prompter> = Box::new(file.prompter());
    let session = Session {
        catalog: &catalog,
        accounts: &accounts,
        hub,
        parallel: usize::from(parallel),
        approver,
        applying: Some(Arc::new(file)),
    };
    let (reports, exit) = work_on(app, &session, targets, prompter).await?;
    Ok(apply_status(&reports, exit))
}

/// A plan refused everywhere, nothing applied, is a plan to make again (exit 2).
fn apply_status(reports: &[(Target, RunReport)], exit: ExitStatus) -> ExitStatus {
    let refused = reports.iter().any(|(_, r)| r.outcome == Outcome::Refused);
    let applied = reports
        .iter()
        .any(|(_, r)| matches!(r.outcome, Outcome::Fixed | Outcome::Suppressed));
    if refused && !applied {
        exit.max(ExitStatus::Usage)
    } else {
        exit
    }
}

/// The plan's targets, their findings read again: a finding no longer failed and active (or
/// resolved, suppressed or gone meanwhile) is skipped with a word.
async fn planned_targets(
    app: &App,
    file: &PlanFile,
    catalog: &crate::runbook::Catalog,
    hub: &dyn SecurityHub,
) -> Result<Vec<Target>> {
    let ids: Vec<String> = file
        .plan
        .targets
        .iter()
        .filter_map(|t| t.finding.clone())
        .collect();
    let found = if ids.is_empty() {
        Vec::new()
    } else {
        hub.findings_by_id(&ids).await?
    };
    let mut targets = Vec::new();
    for planned in &file.plan.targets {
        if catalog.get(&planned.control).is_none() {
            return Err(Error::Usage(format!(
                "the plan has {} on {}, and hubfix has no runbook for {} now",
                planned.control, planned.resource, planned.control
            )));
        }
        let finding = match &planned.finding {
            None => None,
            Some(id) => match found.iter().find(|f| &f.id == id) {
                None => {
                    app.printer.warn(&format!(
                        "skipped {} on {}: its finding {id} is not in Security Hub any more",
                        planned.control, planned.resource
                    ));
                    continue;
                }
                Some(f) => {
                    if let Some(why) = f.no_longer_open() {
                        app.printer.warn(&format!(
                            "skipped {} on {}: {why}; nothing to apply",
                            planned.control, planned.resource
                        ));
                        continue;
                    }
                    if f.resource_id != planned.resource {
                        return Err(Error::Usage(format!(
                            "finding {id} is about {} now, not the planned {}; plan again",
                            f.resource_id, planned.resource
                        )));
                    }
                    Some(f.clone())
                }
            },
        };
        let target = Target {
            control: planned.control.clone(),
            resource: planned.resource.clone(),
            region: planned.region.clone(),
            finding,
            also: planned.also.clone(),
            role: None,
        };
        if target.account() != planned.account {
            return Err(Error::Usage(format!(
                "{} on {} is in account {} now, not the planned {}; plan again",
                planned.control,
                planned.resource,
                target.account().unwrap_or_else(|| "-".into()),
                planned.account.as_deref().unwrap_or("-")
            )));
        }
        targets.push(target);
    }
    Ok(targets)
}
