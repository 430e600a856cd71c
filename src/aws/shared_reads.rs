//! Describes shared between runs: when many runs wait on resources of one kind in one region,
//! one call that lists them all (DescribeClusters without an identifier, every page) answers
//! each run's describe for a short while, instead of one call per resource per poll. A change
//! made through the same API clears the snapshot, so no run reads a state from before its own
//! change as current.

use super::ApiError;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// When a list was taken, and each resource in it by identifier.
type Snapshot = (Instant, HashMap<String, Value>);

/// Snapshots by (list call, region).
pub struct SharedReads {
    max_age: Duration,
    snapshots: Mutex<HashMap<(String, String), Snapshot>>,
}

impl SharedReads {
    pub fn new(max_age: Duration) -> Self {
        SharedReads {
            max_age,
            snapshots: Mutex::new(HashMap::new()),
        }
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
