//! `hubfix controls`: the controls the loaded runbooks fix.

use super::App;
use crate::cli::Output;
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::ui::Table;

pub fn run(app: &App) -> Result<ExitStatus> {
    let catalog = app.catalog()?;
    match app.output {
        Output::Json => {
            let rows: Vec<_> = catalog
                .plans()
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "control": p.control,
                        "title": p.title.get(app.lang),
                        "severity": p.severity,
                        "resource_type": p.resource_type,
                    })
                })
                .collect();
            app.printer.json(&rows);
        }
        Output::Table => {
            let mut t = Table::new(&["CONTROL", "SEVERITY", "RESOURCE TYPE", "TITLE"]);
            for p in catalog.plans() {
                t.row(vec![
                    p.control.clone(),
                    p.severity.clone(),
                    p.resource_type.clone(),
                    p.title.get(app.lang).to_owned(),
                ]);
            }
            app.printer.data_block(&t.render());
        }
    }
    Ok(ExitStatus::Success)
}
