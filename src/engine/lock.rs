//! The finding as a lock other operators can see: while hubfix changes a resource its finding
//! is NOTIFIED, with a note saying which run is at work; a run that ends without fixing or
//! suppressing it puts the finding back as it was. Only NEW findings are taken: one already
//! NOTIFIED may be another operator's lock, and hubfix does not take it over.

use super::context::Target;
use crate::aws::ApiError;
use crate::findings::{
    FindingRef, SecurityHub, Unprocessed, WorkflowStatus, compose_note, update_findings,
};

/// Why the finding could not be locked or put back.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LockError {
    #[error("the finding is {0} now, perhaps another operator's lock; it was left as it is")]
    TakenMeanwhile(String),
    #[error("Security Hub did not update it: {code}: {message}")]
    Unprocessed { code: String, message: String },
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("Security Hub did not answer within 20 s")]
    NoAnswer,
}

impl From<&Unprocessed> for LockError {
    fn from(u: &Unprocessed) -> Self {
        LockError::Unprocessed {
            code: u.error_code.clone(),
            message: u.error_message.clone(),
        }
    }
}

/// A lock this run holds: the status to put back.
#[derive(Debug, Clone)]
pub struct Held {
    pub previous: WorkflowStatus,
}

/// The finding lock of one run: taken before its first change, put back when the run ends
/// without fixing or suppressing the finding, let go once a step has moved the finding on.
#[derive(Debug, Default)]
pub(super) struct FindingLock {
    held: Option<Held>,
}

impl FindingLock {
    /// Takes the lock unless held; `Ok(true)` when this call took it.
    pub(super) async fn take(
        &mut self,
        hub: &dyn SecurityHub,
        target: &Target,
        run_id: &str,
        who: &str,
        date: &str,
    ) -> Result<bool, LockError> {
        if self.held.is_some() {
            return Ok(false);
        }
        self.held = take(hub, target, run_id, who, date).await?;
        Ok(self.held.is_some())
    }

    /// The finding has moved on (resolved, suppressed): there is nothing to put back.
    pub(super) fn let_go(&mut self) {
        self.held = None;
    }

    /// Puts the finding back as it was; `None` when no lock was held, else the status put
    /// back and whether it went through.
    pub(super) async fn release(
        &mut self,
        hub: &dyn SecurityHub,
        target: &Target,
        why: impl FnOnce(WorkflowStatus) -> String,
        who: &str,
        date: &str,
    ) -> Option<(WorkflowStatus, Result<(), LockError>)> {
        let held = self.held.take()?;
        let why = why(held.previous);
        // Bounded: the run's end must be journaled even if Security Hub does not answer.
        let released = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            release(hub, target, &held, &why, who, date),
        )
        .await
        .unwrap_or(Err(LockError::NoAnswer));
        Some((held.previous, released))
    }
}

fn refs(target: &Target) -> Vec<FindingRef> {
    let mut refs: Vec<FindingRef> = target.finding.iter().map(FindingRef::from).collect();
    refs.extend(target.also.iter().cloned());
    refs
}

/// Marks the target's finding NOTIFIED if it is NEW. `Ok(None)`: nothing to lock.
async fn take(
    hub: &dyn SecurityHub,
    target: &Target,
    run_id: &str,
    who: &str,
    date: &str,
) -> Result<Option<Held>, LockError> {
    let Some(finding) = &target.finding else {
        return Ok(None);
    };
    if finding.workflow_status != "NEW" {
        return Ok(None);
    }
    // The questions may have taken a while: look again, so another operator's lock taken
    // meanwhile is not overwritten.
    let now = hub
        .findings_by_id(std::slice::from_ref(&finding.id))
        .await?;
    if let Some(current) = now.first()
        && current.workflow_status != "NEW"
    {
        return Err(LockError::TakenMeanwhile(current.workflow_status.clone()));
    }
    let note = compose_note(
        &format!("hubfix run {run_id}: {} fix in progress", target.control),
        who,
        date,
    );
    let failed = update_findings(hub, &refs(target), WorkflowStatus::Notified, &note, who).await?;
    match failed.first() {
        None => Ok(Some(Held {
            previous: WorkflowStatus::New,
        })),
        Some(u) => Err(u.into()),
    }
}

/// Puts the finding back as it was before the run took it.
async fn release(
    hub: &dyn SecurityHub,
    target: &Target,
    held: &Held,
    why: &str,
    who: &str,
    date: &str,
) -> Result<(), LockError> {
    let note = compose_note(why, who, date);
    let failed = update_findings(hub, &refs(target), held.previous, &note, who).await?;
    match failed.first() {
        None => Ok(()),
        Some(u) => Err(u.into()),
    }
}
