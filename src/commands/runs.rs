//! `hubfix runs`: the run journals, newest first, with what can be resumed; `--session S`:
//! only the runs of the session a finding lock names.

use super::App;
use crate::cli::Output;
use crate::engine::list_runs;
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::ui::Table;

pub fn run(app: &App, session: Option<&str>) -> Result<ExitStatus> {
    let mut runs = list_runs(&app.state_dir);
    if let Some(session) = session {
        runs.retain(|r| r.session == session);
    }
    match app.output {
        Output::Json => app.printer.json(&runs),
        Output::Table => {
            if runs.is_empty() {
                let of = session
                    .map(|s| format!(" of session {s}"))
                    .unwrap_or_default();
                app.printer
                    .status(&format!("No runs{of} in {}.", app.state_dir.display()));
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
