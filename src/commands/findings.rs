//! `hubfix findings`: failed, active, NEW or NOTIFIED findings of the supported controls.

use super::App;
use super::targets::resolve_controls;
use crate::cli::{Output, Scope};
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::findings::{SdkSecurityHub, SecurityHub};
use crate::ui::Table;

/// How long ago an RFC 3339 time was, as `3d`, `5h` or `12m`.
pub fn age(created_at: Option<&str>) -> String {
    let Some(t) = created_at.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
        return "-".into();
    };
    let d = chrono::Utc::now().signed_duration_since(t);
    if d.num_days() > 0 {
        format!("{}d", d.num_days())
    } else if d.num_hours() > 0 {
        format!("{}h", d.num_hours())
    } else {
        format!("{}m", d.num_minutes().max(0))
    }
}

pub async fn run(app: &App, controls: &[String], scope: &Scope) -> Result<ExitStatus> {
    let catalog = app.catalog()?;
    let controls = resolve_controls(&catalog, controls)?;
    let hub = SdkSecurityHub::new(app.clients());
    let mut findings = hub.failed_findings(&controls).await?;
    findings.retain(|f| {
        let region = (!f.region.is_empty()).then_some(f.region.as_str());
        scope.admits(Some(&f.resource_account()), region)
    });
    match app.output {
        Output::Json => app.printer.json(&findings),
        Output::Table => {
            if findings.is_empty() {
                app.printer
                    .status(&format!("No failed findings for {}.", controls.join(", ")));
                return Ok(ExitStatus::Success);
            }
            let mut t = Table::new(&[
                "FINDING ID",
                "CONTROL",
                "ACCOUNT",
                "RESOURCE",
                "REGION",
                "WORKFLOW",
                "AGE",
            ]);
            for f in &findings {
                t.row(vec![
                    f.short_id(),
                    f.control.clone(),
                    f.resource_account(),
                    f.name().to_owned(),
                    f.region.clone(),
                    f.workflow_status.clone(),
                    age(f.created_at.as_deref()),
                ]);
            }
            app.printer.data_block(&t.render());
        }
    }
    Ok(ExitStatus::Success)
}
