//! Turning `--control`, `--resource` and `--finding` into the targets of a run: which
//! resource, under which control's runbook, with which finding (if any).

use crate::cli::Selectors;
use crate::engine::Target;
use crate::error::{Error, Result};
use crate::findings::{Finding, SecurityHub, resource_name};
use crate::runbook::Catalog;

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
    }
}

fn same_resource(finding: &Finding, given: &str) -> bool {
    finding.resource_id == given || resource_name(&finding.resource_id) == given
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
                let finding = failed
                    .iter()
                    .find(|f| &f.control == control && same_resource(f, resource));
                targets.push(match finding {
                    Some(f) => target_of(f),
                    None => Target {
                        control: control.clone(),
                        resource: resource.clone(),
                        region: None,
                        finding: None,
                    },
                });
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
    Ok(targets)
}
