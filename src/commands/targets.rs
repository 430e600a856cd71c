//! Turning `--control`, `--resource` and `--finding` into the targets of a run: which
//! resource, under which control's runbook, with which finding (if any).

use crate::cli::Selectors;
use crate::engine::Target;
use crate::error::{Error, Result};
use crate::findings::{Finding, SecurityHub, arn_region, resource_name};
use crate::runbook::Catalog;

/// Refuses targets in another account than the credentials': a resource of the same name
/// in the credentials' account must never be changed for another account's finding (as seen
/// from a Security Hub administrator account, for instance). Checked before any call to the
/// resources.
/// Why a target cannot be worked on with credentials of `caller`'s account, if it cannot.
pub fn account_problem(t: &Target, caller: Option<&str>) -> Option<String> {
    if let Some(problem) = t.account_disagreement() {
        return Some(problem);
    }
    let (account, caller) = (t.account()?, caller?);
    (account != caller).then(|| {
        format!(
            "{} {} is in account {account}, but the credentials are for account {caller}; run hubfix with a profile for that account (--profile)",
            t.control,
            t.name()
        )
    })
}

/// The credentials' account, when some target says which account it is in.
pub async fn caller_account(
    clients: &crate::aws::Clients,
    targets: &[Target],
) -> Result<Option<String>> {
    if targets.iter().any(|t| t.account().is_some()) {
        Ok(Some(clients.account().await?))
    } else {
        Ok(None)
    }
}

pub async fn check_account(clients: &crate::aws::Clients, targets: &[Target]) -> Result<()> {
    let mut accounts: Vec<(String, &Target)> = Vec::new();
    let mut disagreeing = Vec::new();
    for t in targets {
        match (t.account_disagreement(), t.account()) {
            (Some(problem), _) => disagreeing.push(problem),
            (None, Some(account)) => accounts.push((account, t)),
            (None, None) => {}
        }
    }
    if !disagreeing.is_empty() {
        return Err(Error::Usage(disagreeing.join("\n")));
    }
    if accounts.is_empty() {
        return Ok(());
    }
    let caller = clients.account().await?;
    let foreign: Vec<String> = accounts
        .iter()
        .filter(|(a, _)| *a != caller)
        .map(|(a, t)| format!("{} {} (account {a})", t.control, t.name()))
        .collect();
    if foreign.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "the credentials are for account {caller}, but these resources are in another account: {}; run hubfix with a profile for that account (--profile), or select findings of this account",
            foreign.join(", ")
        )))
    }
}

/// The canonical ids of the given controls; an unknown one is a usage error naming the known.
pub fn resolve_controls(catalog: &Catalog, given: &[String]) -> Result<Vec<String>> {
    if given.is_empty() {
        return Ok(catalog.control_ids());
    }
    given
        .iter()
        .map(|c| {
            catalog.get(c).map(|p| p.control.clone()).ok_or_else(|| {
                Error::Usage(format!(
                    "unknown control `{c}`; hubfix has runbooks for: {}",
                    catalog.control_ids().join(", ")
                ))
            })
        })
        .collect()
}

fn target_of(f: &Finding) -> Target {
    Target {
        control: f.control.clone(),
        resource: f.resource_id.clone(),
        region: (!f.region.is_empty()).then(|| f.region.clone()),
        finding: Some(f.clone()),
        also: Vec::new(),
    }
}

/// One target per control and resource: further findings of the pair ride along in `also`.
fn merge(targets: Vec<Target>) -> Vec<Target> {
    let mut merged: Vec<Target> = Vec::new();
    for t in targets {
        let same = merged
            .iter_mut()
            .find(|m| m.control == t.control && m.resource == t.resource);
        match (same, t.finding) {
            (Some(m), Some(f)) if m.finding.as_ref().is_some_and(|mf| mf.id != f.id) => {
                m.also.push((&f).into());
            }
            (Some(_), _) => {}
            (None, finding) => merged.push(Target { finding, ..t }),
        }
    }
    merged
}

/// An ARN matches only itself; a bare identifier matches by name.
fn same_resource(finding: &Finding, given: &str) -> bool {
    if given.starts_with("arn:") {
        finding.resource_id == given
    } else {
        resource_name(&finding.resource_id) == given
    }
}

/// The targets the selectors name, in a stable order.
pub async fn select(
    catalog: &Catalog,
    hub: &dyn SecurityHub,
    selectors: &Selectors,
) -> Result<Vec<Target>> {
    let controls = resolve_controls(catalog, &selectors.controls)?;
    if !selectors.resources.is_empty() && selectors.controls.is_empty() {
        return Err(Error::Usage(
            "--resource needs --control to say which runbook to use, e.g. --control Redshift.7 --resource my-cluster".into(),
        ));
    }
    let mut targets = Vec::new();
    if !selectors.findings.is_empty() {
        let found = hub.findings_by_id(&selectors.findings).await?;
        for id in &selectors.findings {
            let f = found.iter().find(|f| &f.id == id).ok_or_else(|| {
                Error::Usage(format!(
                    "no Security Hub finding with id `{id}` (check --region and --profile)"
                ))
            })?;
            if catalog.get(&f.control).is_none() {
                return Err(Error::Usage(format!(
                    "finding `{id}` is for control {}, which hubfix has no runbook for; it has: {}",
                    f.control,
                    catalog.control_ids().join(", ")
                )));
            }
            targets.push(target_of(f));
        }
    }
    if !selectors.resources.is_empty() {
        let failed = hub.failed_findings(&controls).await?;
        for resource in &selectors.resources {
            for control in &controls {
                let mut findings = failed
                    .iter()
                    .filter(|f| &f.control == control && same_resource(f, resource))
                    .peekable();
                if findings.peek().is_none() {
                    targets.push(Target {
                        control: control.clone(),
                        resource: resource.clone(),
                        region: arn_region(resource),
                        finding: None,
                        also: Vec::new(),
                    });
                }
                targets.extend(findings.map(target_of));
            }
        }
    }
    if selectors.findings.is_empty() && selectors.resources.is_empty() {
        let failed = hub.failed_findings(&controls).await?;
        targets.extend(
            failed
                .iter()
                .filter(|f| controls.contains(&f.control))
                .map(target_of),
        );
    }
    Ok(merge(targets))
}
