//! `hubfix validate`: check runbook files; every problem is printed as `file:line:column`.

use super::App;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::runbook::{Catalog, load_dir};
use std::path::PathBuf;

pub fn run(app: &App, paths: &[PathBuf]) -> Result<ExitStatus> {
    if paths.is_empty() {
        let catalog = Catalog::load(app.cli_runbooks.as_deref(), &crate::actions::Catalog)
            .map_err(Error::Runbook)?;
        for p in catalog.plans() {
            app.printer.data(&format!(
                "ok  {} ({}, {} steps)",
                p.source.display(),
                p.control,
                p.steps.len()
            ));
        }
        return Ok(ExitStatus::Success);
    }
    let mut errors = Vec::new();
    for path in paths {
        match load_dir(path, &crate::actions::Catalog) {
            Ok(plans) => {
                for p in plans {
                    app.printer.data(&format!(
                        "ok  {} ({}, {} steps)",
                        p.source.display(),
                        p.control,
                        p.steps.len()
                    ));
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(ExitStatus::Success)
    } else {
        Err(Error::Runbook(errors))
    }
}
