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
            // The run id already says when, which control and which resource (JSON has
            // each field); what is left fits 120 columns, every value whole.
            let mut t = Table::new(&["RUN ID", "ACCOUNT", "REGION", "STATE", "RESUME AT"])
                .keep_whole("RUN ID")
                .keep_whole("STATE")
                .keep_whole("RESUME AT");
            for r in &runs {
                t.row(vec![
                    r.run_id.clone(),
                    r.account.clone().unwrap_or_else(|| "-".into()),
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
