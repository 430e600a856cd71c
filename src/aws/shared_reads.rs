//! Describes shared between runs: when many runs wait on resources of one kind in one region,
//! one call that lists them all (DescribeClusters without an identifier, every page) answers
//! each run's describe for a short while, instead of one call per resource per poll. A change
//! to a resource makes every list taken before it stale for that resource (not for the
//! others), so no run reads a state from before its own change as current, and a fleet of
//! changes does not cost a list per change.
//!
//! Reads of what hubfix never changes (a VPC's settings, its route tables) are shared by
//! request instead: the same request from many runs is sent once, and its answer serves the
//! runs that ask within [`SAME_REQUEST_AGE`].

use super::ApiError;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// When a list was taken, and each resource in it by identifier.
type Snapshot = (Instant, HashMap<String, Value>);

/// How long an answer to a read of what hubfix never changes serves other runs: long enough
/// for a fleet's runs in one network, prepared one after another, to share it; short next to
/// the time an operator takes to read a check's result.
pub const SAME_REQUEST_AGE: Duration = Duration::from_secs(5);

/// One request's latest answer, and when it came.
type Answer = Arc<Mutex<Option<(Instant, Value)>>>;

/// Snapshots by (list call, region).
pub struct SharedReads {
    max_age: Duration,
    snapshots: Mutex<HashMap<(String, String), Snapshot>>,
    /// Answers by request (call, region and parameters).
    answers: std::sync::Mutex<HashMap<String, Answer>>,
    /// When a change to a resource (by region and identifier) was last sent or answered.
    changed: std::sync::Mutex<HashMap<(String, String), Instant>>,
}

impl SharedReads {
    pub fn new(max_age: Duration) -> Self {
        SharedReads {
            max_age,
            snapshots: Mutex::new(HashMap::new()),
            answers: std::sync::Mutex::new(HashMap::new()),
            changed: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The answer to `request` (call, region and parameters, as one key): one that came less
    /// than [`SAME_REQUEST_AGE`] ago, or the answer `send` gets now. Runs asking while it is
    /// sent wait for it rather than send it too. Errors are not kept.
    pub async fn same_request<F, Fut>(&self, request: String, send: F) -> Result<Value, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Value, ApiError>>,
    {
        let answer = self
            .answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(request)
            .or_default()
            .clone();
        let mut answer = answer.lock().await;
        if let Some((at, value)) = answer.as_ref()
            && at.elapsed() < SAME_REQUEST_AGE
        {
            return Ok(value.clone());
        }
        let value = send().await?;
        *answer = Some((Instant::now(), value.clone()));
        Ok(value)
    }

    /// A change to the resources these names identify in `region` is under way or done:
    /// a list taken before now is stale for them.
    pub fn changing<'a>(&self, region: &str, names: impl IntoIterator<Item = &'a str>) {
        let now = Instant::now();
        let mut changed = self.changed.lock().unwrap_or_else(|p| p.into_inner());
        for name in names {
            changed.insert((region.to_owned(), name.to_owned()), now);
        }
    }

    fn changed_since(&self, region: &str, id: &str, taken: Instant) -> bool {
        self.changed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(region.to_owned(), id.to_owned()))
            .is_some_and(|at| *at >= taken)
    }

    /// The resource `id` from a snapshot no older than `max_age`, taking a new snapshot with
    /// `list` when needed. `None`: the resource is not in a fresh list (not found).
    pub async fn get<F, Fut>(
        &self,
        call: &str,
        region: &str,
        id: &str,
        list: F,
    ) -> Result<Option<Value>, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<HashMap<String, Value>, ApiError>>,
    {
        // Held across the list call: runs polling together wait for one list, not send many.
        let mut snapshots = self.snapshots.lock().await;
        let key = (call.to_owned(), region.to_owned());
        if let Some((taken, all)) = snapshots.get(&key)
            && taken.elapsed() < self.max_age
            && !self.changed_since(region, id, *taken)
        {
            return Ok(all.get(id).cloned());
        }
        let all = list().await?;
        let found = all.get(id).cloned();
        snapshots.insert(key, (Instant::now(), all));
        Ok(found)
    }

    /// Forgets every snapshot of a service after a change to it.
    pub async fn invalidate(&self, service: &str) {
        self.snapshots
            .lock()
            .await
            .retain(|(call, _), _| !call.starts_with(service));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn the_same_request_is_sent_once_while_its_answer_is_young() {
        let shared = SharedReads::new(Duration::from_secs(1));
        let sent = AtomicUsize::new(0);
        let sent = &sent;
        let ask = |key: &'static str| {
            shared.same_request(key.to_owned(), move || async move {
                sent.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok(json!({"for": key}))
            })
        };
        // Asked together: one request answers both.
        let (a, b) = tokio::join!(ask("vpc-1"), ask("vpc-1"));
        assert_eq!(
            (a.unwrap(), b.unwrap()),
            (json!({"for": "vpc-1"}), json!({"for": "vpc-1"}))
        );
        assert_eq!(sent.load(Ordering::SeqCst), 1);
        ask("vpc-2").await.unwrap();
        assert_eq!(sent.load(Ordering::SeqCst), 2, "another request is sent");
        tokio::time::advance(SAME_REQUEST_AGE - Duration::from_millis(200)).await;
        ask("vpc-1").await.unwrap();
        assert_eq!(sent.load(Ordering::SeqCst), 2, "still young");
        tokio::time::advance(Duration::from_millis(200)).await;
        ask("vpc-1").await.unwrap();
        assert_eq!(sent.load(Ordering::SeqCst), 3, "too old: sent again");
        // An error is not kept.
        let failing = shared.same_request("vpc-3".into(), || async {
            Err(ApiError::not_found("ec2:DescribeVpcAttribute", "no vpc"))
        });
        assert!(failing.await.is_err());
        ask("vpc-3").await.unwrap();
        assert_eq!(sent.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn one_list_answers_every_resource_until_it_is_old_or_cleared() {
        let shared = SharedReads::new(Duration::from_secs(1));
        let lists = AtomicUsize::new(0);
        let list = || async {
            lists.fetch_add(1, Ordering::SeqCst);
            Ok(HashMap::from([
                ("a".to_owned(), json!({"id": "a"})),
                ("b".to_owned(), json!({"id": "b"})),
            ]))
        };
        let get = |id: &'static str| shared.get("redshift.describe_clusters", "r", id, list);
        assert_eq!(get("a").await.unwrap(), Some(json!({"id": "a"})));
        assert_eq!(get("b").await.unwrap(), Some(json!({"id": "b"})));
        assert_eq!(get("gone").await.unwrap(), None);
        assert_eq!(
            lists.load(Ordering::SeqCst),
            1,
            "one list for three describes"
        );
        tokio::time::advance(Duration::from_millis(1100)).await;
        get("a").await.unwrap();
        assert_eq!(
            lists.load(Ordering::SeqCst),
            2,
            "an old list is taken again"
        );
        shared.invalidate("redshift").await;
        get("a").await.unwrap();
        assert_eq!(lists.load(Ordering::SeqCst), 3, "a change clears it");
        // A change to one resource: the list is stale for it alone.
        shared.changing("r", ["b"]);
        tokio::time::advance(Duration::from_millis(1)).await;
        get("a").await.unwrap();
        assert_eq!(lists.load(Ordering::SeqCst), 3, "a is still fresh");
        get("b").await.unwrap();
        assert_eq!(lists.load(Ordering::SeqCst), 4, "b changed after the list");
        get("b").await.unwrap();
        assert_eq!(
            lists.load(Ordering::SeqCst),
            4,
            "the new list is after b's change"
        );
    }
}
