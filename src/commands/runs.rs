//! `hubfix runs`: the run journals, newest first, with what can be resumed.

use super::App;
use crate::cli::Output;
use crate::engine::list_runs;
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::ui::Table;

pub fn run(app: &App) -> Result<ExitStatus> {
    let runs = list_runs(&app.state_dir);
    match app.output {
        Output::Json => app.printer.json(&runs),
        Output::Table => {
            if runs.is_empty() {
                app.printer
                    .status(&format!("No runs in {}.", app.state_dir.display()));
                return Ok(ExitStatus::Success);
            }
            let mut t = Table::new(&[
                "RUN ID",
                "STARTED",
                "CONTROL",
                "ACCOUNT",
                "RESOURCE",
                "REGION",
                "STATE",
                "RESUME AT",
            ]);
            for r in &runs {
                t.row(vec![
                    r.run_id.clone(),
                    r.started.clone(),
                    r.control.clone(),
                    r.account.clone().unwrap_or_else(|| "-".into()),
                    r.resource.clone(),
                    r.region.clone().unwrap_or_else(|| "-".into()),
                    r.state.clone(),
                    r.resume_at.clone().unwrap_or_else(|| "-".into()),
                ]);
            }
            app.printer.data_block(&t.render());
        }
    }
    Ok(ExitStatus::Success)
}
