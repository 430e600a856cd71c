//! Turning `--control`, `--resource` and `--finding` into the targets of a run: which
//! resource, under which control's runbook, with which finding (if any).

use crate::actions::AwsApi;
use crate::aws::{AccountError, Accounts, Clients};
use crate::cli::Selectors;
use crate::engine::Target;
use crate::error::{Error, Result};
use crate::findings::{Finding, SecurityHub, arn_region, resource_name};
use crate::runbook::Catalog;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// One `AwsApi` per account a session acts in, by the role assumed there (`None`: the
/// credentials' own account), shared by that account's targets: clients, rate limits and
/// shared reads are per account.
pub struct AccountApis {
    sharing: bool,
    by_role: HashMap<Option<String>, Arc<AwsApi>>,
}

impl AccountApis {
    /// `sharing`: describes shared between the runs of an account (a fleet).
    pub fn new(sharing: bool) -> AccountApis {
        AccountApis {
            sharing,
            by_role: HashMap::new(),
        }
    }

    /// The API of the account these clients act in.
    pub fn api(&mut self, clients: Arc<Clients>, role: &Option<String>) -> Arc<AwsApi> {
        let sharing = self.sharing;
        self.by_role
            .entry(role.clone())
            .or_insert_with(|| {
                Arc::new(if sharing {
                    AwsApi::sharing_reads(clients, Duration::from_secs(1))
                } else {
                    AwsApi::new(clients)
                })
            })
            .clone()
    }
}

/// Each target with the API its calls go through: its account's clients (the credentials'
/// own, or a member account's through `--role-name`), one `AwsApi` per account shared by its
/// targets (`sharing`: describes shared between runs). A resource of the same name in the
/// credentials' account is never changed for another account's finding. A target of another
/// account without `--role-name`, or whose finding disagrees with itself, refuses the whole
/// session (exit 2) before any change; a role that cannot be assumed fails that account's
/// targets alone, returned apart with why.
pub async fn acting(
    accounts: &Accounts,
    targets: Vec<Target>,
    sharing: bool,
) -> Result<(Vec<(Target, Arc<AwsApi>)>, Vec<(Target, String)>)> {
    let disagreeing: Vec<String> = targets
        .iter()
        .filter_map(Target::account_disagreement)
        .collect();
    if !disagreeing.is_empty() {
        return Err(Error::Usage(disagreeing.join("\n")));
    }
    let mut apis = AccountApis::new(sharing);
    let (mut ready, mut failed, mut refused) = (Vec::new(), Vec::new(), Vec::new());
    for mut target in targets {
        let what = format!("{} {}", target.control, target.name());
        let account = target.account();
        match accounts
            .clients_for(account.as_deref(), &target.partition(), &what)
            .await
        {
            Ok((clients, role)) => {
                let api = apis.api(clients, &role);
                target.role = role;
                ready.push((target, api));
            }
            Err(AccountError::Caller(e)) => return Err(e.into()),
            Err(e) if e.is_usage() => refused.push(e.to_string()),
            Err(e) => failed.push((target, e.to_string())),
        }
    }
    if !refused.is_empty() {
        return Err(Error::Usage(refused.join("\n")));
    }
    Ok((ready, failed))
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
        role: None,
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

/// An ARN matches only itself; a bare identifier matches by name: the last part of the ARN,
/// or the identifier the finding knows the resource by (a DMS instance's ARN ends in an
/// internal id).
fn same_resource(finding: &Finding, given: &str) -> bool {
    if given.starts_with("arn:") {
        finding.resource_id == given
    } else {
        resource_name(&finding.resource_id) == given || finding.name() == given
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
                        role: None,
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
    let mut targets = merge(targets);
    targets.retain(|t| {
        selectors
            .scope
            .admits(t.account().as_deref(), t.region.as_deref())
    });
    Ok(targets)
}
