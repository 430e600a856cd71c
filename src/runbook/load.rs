//! Reading runbooks: from the copies embedded in the binary, from a `--runbooks` directory,
//! or from files given to `hubfix validate`, into a [`Catalog`] of checked plans.

use super::error::{Location, RunbookError};
use super::model::RawRunbook;
use super::plan::{CallCatalog, Plan, build};
use std::path::{Path, PathBuf};

/// The runbooks shipped with hubfix, as (file name, text): every `runbooks/*.yaml`, listed by
/// `build.rs`.
pub fn embedded_runbooks() -> &'static [(&'static str, &'static str)] {
    include!(concat!(env!("OUT_DIR"), "/runbooks.rs"))
}

/// Parses and checks one runbook text; `file` names it in errors.
pub fn load_str(
    text: &str,
    file: &Path,
    calls: &dyn CallCatalog,
) -> Result<Plan, Vec<RunbookError>> {
    let raw: RawRunbook = serde_saphyr::from_str(text).map_err(|e| {
        let (at, message) = super::yaml_error::describe(&e);
        let (line, column) = at.unwrap_or((1, 1));
        vec![RunbookError::new(
            Location {
                file: file.to_path_buf(),
                line,
                column,
            },
            message,
        )]
    })?;
    build(raw, file, calls)
}

/// The largest runbook file read (the built-in ones are under 30 KiB).
const MAX_RUNBOOK: u64 = 1 << 20;

/// Reads and checks one runbook file: a regular file of at most 1 MiB.
pub fn load_file(path: &Path, calls: &dyn CallCatalog) -> Result<Plan, Vec<RunbookError>> {
    let text = crate::files::read_regular_text(path, MAX_RUNBOOK).map_err(|e| {
        vec![RunbookError::new(
            Location {
                file: path.to_path_buf(),
                line: 0,
                column: 0,
            },
            format!("cannot read the file: {e}"),
        )]
    })?;
    load_str(&text, path, calls)
}

/// The `*.yaml` / `*.yml` files of a directory, sorted.
fn yaml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads and checks every runbook of a directory (or one file).
pub fn load_dir(dir: &Path, calls: &dyn CallCatalog) -> Result<Vec<Plan>, Vec<RunbookError>> {
    let files = if dir.is_file() {
        vec![dir.to_path_buf()]
    } else {
        yaml_files(dir).map_err(|e| {
            vec![RunbookError::new(
                Location {
                    file: dir.to_path_buf(),
                    line: 0,
                    column: 0,
                },
                format!("cannot read the runbook directory: {e}"),
            )]
        })?
    };
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match load_file(&file, calls) {
            Ok(plan) => plans.push(plan),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(plans)
    } else {
        Err(errors)
    }
}

/// The controls hubfix can fix: one checked plan per control.
#[derive(Debug, Clone)]
pub struct Catalog {
    plans: Vec<Plan>,
}

impl Catalog {
    /// The embedded runbooks, or those of `dir` when given.
    pub fn load(dir: Option<&Path>, calls: &dyn CallCatalog) -> Result<Catalog, Vec<RunbookError>> {
        let plans = match dir {
            Some(dir) => load_dir(dir, calls)?,
            None => {
                let mut plans = Vec::new();
                let mut errors = Vec::new();
                for (name, text) in embedded_runbooks() {
                    let file = Path::new("runbooks").join(name);
                    match load_str(text, &file, calls) {
                        Ok(p) => plans.push(p),
                        Err(mut e) => errors.append(&mut e),
                    }
                }
                if !errors.is_empty() {
                    return Err(errors);
                }
                plans
            }
        };
        let mut errors = Vec::new();
        for (i, plan) in plans.iter().enumerate() {
            if let Some(first) = plans[..i]
                .iter()
                .find(|p| p.control.eq_ignore_ascii_case(&plan.control))
            {
                errors.push(RunbookError::new(
                    Location {
                        file: plan.source.clone(),
                        line: 1,
                        column: 1,
                    },
                    format!(
                        "control {} already has a runbook ({}); one runbook per control",
                        plan.control,
                        first.source.display()
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(Catalog { plans })
        } else {
            Err(errors)
        }
    }

    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    /// The plan for a control id, compared without regard to case.
    pub fn get(&self, control: &str) -> Option<&Plan> {
        self.plans
            .iter()
            .find(|p| p.control.eq_ignore_ascii_case(control))
    }

    pub fn control_ids(&self) -> Vec<String> {
        self.plans.iter().map(|p| p.control.clone()).collect()
    }
}
