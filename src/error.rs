//! The errors a command ends with, each with its exit code (design.md): 1 a step or
//! verification failed, 2 bad usage or input, 3 stopped by the operator, 4 timed out.

use crate::aws::{ApiError, ApiErrorKind};
use crate::exit::ExitStatus;
use crate::runbook::RunbookError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad usage or bad input.
    #[error("{0}")]
    Usage(String),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Runbook(Vec<RunbookError>),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Answers(#[from] crate::engine::AnswersError),
    /// Something failed; the message says what.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Usage(_) | Error::Runbook(_) | Error::Answers(_) => ExitStatus::Usage,
            Error::Api(e)
                if matches!(e.kind, ApiErrorKind::NoCredentials | ApiErrorKind::NoRegion) =>
            {
                ExitStatus::Usage
            }
            Error::Api(_) | Error::Failed(_) => ExitStatus::Failed,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
