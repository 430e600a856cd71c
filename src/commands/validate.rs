//! `hubfix validate`: check runbook files; every problem is printed as `file:line:column`.

use super::App;
use crate::error::{Error, Result};
use crate::runbook::{Catalog, load_dir};
use std::path::PathBuf;

pub fn run(app: &App, paths: &[PathBuf]) -> Result<i32> {
    if paths.is_empty() {
        let catalog = Catalog::load(app.cli_runbooks.as_deref(), &crate::actions::Catalog)
            .map_err(Error::Runbook)?;
        for p in catalog.plans() {
            println!(
                "ok  {} ({}, {} steps)",
                p.source.display(),
                p.control,
                p.steps.len()
            );
        }
        return Ok(0);
    }
    let mut errors = Vec::new();
    for path in paths {
        match load_dir(path, &crate::actions::Catalog) {
            Ok(plans) => {
                for p in plans {
                    println!(
                        "ok  {} ({}, {} steps)",
                        p.source.display(),
                        p.control,
                        p.steps.len()
                    );
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(0)
    } else {
        Err(Error::Runbook(errors))
    }
}
