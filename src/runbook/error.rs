//! Errors in a runbook, each naming `file:line:column`, what is wrong and what is allowed.

use std::fmt;
use std::path::PathBuf;

/// Where in which runbook file something was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: u64,
    pub column: u64,
}

impl Location {
    pub fn new(file: impl Into<PathBuf>, loc: &serde_saphyr::Location) -> Location {
        Location {
            file: file.into(),
            line: loc.line(),
            column: loc.column(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One problem found while reading or checking a runbook.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{location}: {message}")]
pub struct RunbookError {
    pub location: Location,
    pub message: String,
}

impl RunbookError {
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        RunbookError {
            location,
            message: message.into(),
        }
    }
}
