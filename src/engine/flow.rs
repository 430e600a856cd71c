//! How a step hands over to the walk: go on, end the run, or fail — and how a failure is
//! handled (the step's `on_failure`, or a stop whatever it says).

use super::prompt::PromptError;
use crate::runbook::Outcome;

/// What a step that went through asks of the walk.
pub(super) enum Flow {
    Next,
    /// The outcome, the final message, and the step a failed end lets `hubfix resume` go on
    /// from.
    End(Outcome, String, Option<String>),
}

/// Why a step did not go through.
pub(super) enum Failure {
    /// The step failed; the step's `on_failure` decides what follows.
    Step(String),
    /// Ctrl-C, SIGTERM or Esc: the run stops, and so does the session.
    Interrupted(String),
    /// The run must end now, whatever `on_failure` says.
    Stop(Outcome, String),
}

impl Failure {
    pub(super) fn message(&self) -> &str {
        match self {
            Failure::Step(m) | Failure::Stop(_, m) | Failure::Interrupted(m) => m,
        }
    }

    /// A journal that cannot be written stops the run before anything more changes.
    pub(super) fn journal(e: std::io::Error) -> Failure {
        Failure::Stop(
            Outcome::Failed,
            format!("cannot write the journal ({e}); stopped before changing anything more"),
        )
    }

    /// An answer the run cannot go on with.
    pub(super) fn needs_input(message: String) -> Failure {
        Failure::Stop(Outcome::NeedsInput, message)
    }
}

impl From<PromptError> for Failure {
    fn from(e: PromptError) -> Self {
        match e {
            PromptError::Interrupted => Failure::Interrupted(e.to_string()),
            PromptError::Missing(m) | PromptError::Invalid(m) => Failure::needs_input(m),
            PromptError::Io { .. } => Failure::needs_input(e.to_string()),
        }
    }
}
