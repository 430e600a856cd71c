//! Waiting for a change to finish. The wait first looks for the change to start (the status
//! leaves the ready set, or pending changes appear) so that it never mistakes the moment
//! right after a modify call for the end of it, then polls until ready. Polling starts fast
//! and backs off to a short ceiling, so a finished change is noticed within seconds.

use crate::actions::ActionSpec;
use crate::actions::Api;
use crate::aws::ApiErrorKind;
use crate::engine::reporter::WaitDisplay;
use crate::runbook::WaitSpec;
use serde_json::{Map, Value};
use std::time::Duration;
use tokio::time::Instant;

/// How often a wait polls.
#[derive(Debug, Clone, Copy)]
pub struct PollPolicy {
    /// The first interval; each later one is 1.5 times longer, up to `max`.
    pub first: Duration,
    pub max: Duration,
    /// Without an `until` condition, how long to look for the change to start before
    /// taking a steady ready status as a change that finished before the first poll.
    pub settle: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            first: Duration::from_secs(2),
            max: Duration::from_secs(8),
            settle: Duration::from_secs(30),
        }
    }
}

impl PollPolicy {
    /// A policy starting at `first` and keeping its proportions.
    pub fn starting_at(first: Duration) -> Self {
        PollPolicy {
            first,
            max: first * 4,
            settle: first * 15,
        }
    }
}

/// One poll's reading.
pub struct Reading<'a> {
    pub status: &'a str,
    pub pending: bool,
    pub elapsed: Duration,
}

pub enum WaitEnd {
    Ready(Value),
    /// The resource reached a failed status (its last output, to show why) or the call failed.
    Failed(String, Option<Value>),
    TimedOut(String),
    /// What was seen could not be journaled: the run must stop.
    Journal(String),
}

/// Polls until ready, failed or out of time. `until` is checked on each output;
/// `on_reading` records what was seen (the journal) and may stop the wait with an error.
#[allow(clippy::too_many_arguments)]
pub async fn wait_until_ready(
    api: &dyn Api,
    action: &'static ActionSpec,
    region: Option<&str>,
    params: &Map<String, Value>,
    spec: &WaitSpec,
    until: &(dyn Fn(&Value) -> bool + Sync),
    timeout: Duration,
    poll: PollPolicy,
    display: &mut dyn WaitDisplay,
    on_reading: &mut (dyn FnMut(Reading<'_>) -> std::io::Result<()> + Send),
) -> WaitEnd {
    let start = Instant::now();
    let mut interval = poll.first;
    let mut started = false;
    let mut last: Option<(String, bool)> = None;
    loop {
        let elapsed = start.elapsed();
        // One stalled call must not hold the wait past its own limit.
        let remaining = timeout.saturating_sub(elapsed).max(Duration::from_secs(1));
        let answer = tokio::time::timeout(remaining, api.call(action, region, params))
            .await
            .unwrap_or_else(|_| {
                Err(crate::aws::ApiError::new(
                    ApiErrorKind::Network,
                    action.operation,
                    "Timeout",
                    "no answer in time",
                ))
            });
        match answer {
            Ok(output) => {
                let status = spec
                    .status
                    .lookup(&output)
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .to_owned();
                let pending = spec
                    .pending
                    .as_ref()
                    .is_some_and(|p| match p.lookup(&output) {
                        None | Some(Value::Null) => false,
                        Some(Value::Object(m)) => !m.is_empty(),
                        Some(Value::Array(a)) => !a.is_empty(),
                        Some(Value::String(s)) => !s.is_empty(),
                        Some(_) => true,
                    });
                display.update(&status, elapsed);
                if last.as_ref() != Some(&(status.clone(), pending)) {
                    if let Err(e) = on_reading(Reading {
                        status: &status,
                        pending,
                        elapsed,
                    }) {
                        return WaitEnd::Journal(format!("cannot write the journal: {e}"));
                    }
                    last = Some((status.clone(), pending));
                }
                if spec.failed.iter().any(|f| f == &status) {
                    return WaitEnd::Failed(
                        format!("the resource went to `{status}`"),
                        Some(output),
                    );
                }
                // Waiting for a deletion, a resource still there is never ready.
                let ready =
                    !spec.gone_is_ready && spec.ready.iter().any(|r| r == &status) && !pending;
                let target_reached = until(&output);
                // The change has started once the resource leaves the ready state or the
                // target is seen not reached yet; a ready status before that may be the
                // moment right after the change call, so it only counts after `settle`.
                if !ready || !target_reached {
                    started = true;
                }
                let done = ready && target_reached && (started || elapsed >= poll.settle);
                if done {
                    return WaitEnd::Ready(output);
                }
            }
            Err(e) if e.kind == ApiErrorKind::NotFound && spec.gone_is_ready => {
                display.update("gone", elapsed);
                if let Err(e) = on_reading(Reading {
                    status: "gone",
                    pending: false,
                    elapsed,
                }) {
                    return WaitEnd::Journal(format!("cannot write the journal: {e}"));
                }
                return WaitEnd::Ready(serde_json::json!({ "gone": true }));
            }
            Err(e) if matches!(e.kind, ApiErrorKind::Throttled | ApiErrorKind::Network) => {
                tracing::warn!(operation = action.operation, code = %e.code, "poll failed, will retry");
            }
            Err(e) => return WaitEnd::Failed(e.to_string(), None),
        }
        if start.elapsed() + interval > timeout {
            let status = last.map(|(s, _)| s).unwrap_or_else(|| "unknown".into());
            return WaitEnd::TimedOut(format!(
                "still `{status}` after {}s",
                start.elapsed().as_secs()
            ));
        }
        tokio::time::sleep(interval).await;
        interval = (interval.mul_f64(1.5)).min(poll.max);
    }
}
