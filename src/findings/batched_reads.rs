//! Reads of findings by id, coalesced. Every run of a fleet reads its finding again before
//! it locks it and after (the lock protocol in `engine::lock`); one GetFindings each, at
//! Security Hub's 3 requests a second, made a fleet of 20 wait seconds for its own reads.
//! Here the ids asked for while a read is under way (or waiting for the rate limit, or for
//! [`GATHER`]) queue up, and the next read takes up to 20 of them in one GetFindings: a
//! fleet's reads cost about one request per 20 runs.

use super::Finding;
use crate::aws::ApiError;
use std::future::Future;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// GetFindings takes at most 20 values in one filter.
pub const IDS_PER_READ: usize = 20;

type Reply = Result<Option<Finding>, ApiError>;

struct Waiting {
    id: String,
    reply: oneshot::Sender<Reply>,
}

/// How long the caller whose turn it is to read waits for the ids of other runs before it
/// reads: the runs of a fleet reach their lock a little apart, and a read that left at once
/// would carry one id of Security Hub's 3 requests a second.
pub const GATHER: std::time::Duration = std::time::Duration::from_millis(100);

/// The queue of ids waiting to be read, and the turn to read them.
pub struct ReadBatcher {
    queue: Mutex<Vec<Waiting>>,
    turn: tokio::sync::Mutex<()>,
    gather: std::time::Duration,
}

impl Default for ReadBatcher {
    fn default() -> Self {
        ReadBatcher {
            queue: Mutex::default(),
            turn: tokio::sync::Mutex::default(),
            gather: GATHER,
        }
    }
}

impl ReadBatcher {
    fn enqueue(&self, id: &str) -> oneshot::Receiver<Reply> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Waiting {
                id: id.to_owned(),
                reply,
            });
        answer
    }

    /// The first `IDS_PER_READ` distinct ids waiting (and every waiter for them).
    fn next_batch(&self) -> Vec<Waiting> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let mut ids: Vec<String> = Vec::new();
        let mut batch = Vec::new();
        let mut rest = Vec::new();
        for w in queue.drain(..) {
            if ids.contains(&w.id) {
                batch.push(w);
            } else if ids.len() < IDS_PER_READ {
                ids.push(w.id.clone());
                batch.push(w);
            } else {
                rest.push(w);
            }
        }
        *queue = rest;
        batch
    }

    /// The findings with these ids (those that exist), read with `fetch` together with the
    /// ids other callers wait for. `fetch` gets at most [`IDS_PER_READ`] distinct ids.
    pub async fn read<F, Fut>(&self, ids: &[String], fetch: F) -> Result<Vec<Finding>, ApiError>
    where
        F: Fn(Vec<String>) -> Fut,
        Fut: Future<Output = Result<Vec<Finding>, ApiError>>,
    {
        let mut found = Vec::new();
        for id in ids {
            if let Some(f) = self.read_one(id, &fetch).await? {
                found.push(f);
            }
        }
        Ok(found)
    }

    async fn read_one<F, Fut>(&self, id: &str, fetch: &F) -> Reply
    where
        F: Fn(Vec<String>) -> Fut,
        Fut: Future<Output = Result<Vec<Finding>, ApiError>>,
    {
        let mut answer = self.enqueue(id);
        loop {
            match answer.try_recv() {
                Ok(reply) => return reply,
                Err(oneshot::error::TryRecvError::Closed) => {
                    // The caller reading our batch was cancelled: ask again.
                    answer = self.enqueue(id);
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let _turn = self.turn.lock().await;
            // Answered while this caller waited for its turn?
            match answer.try_recv() {
                Ok(reply) => return reply,
                Err(oneshot::error::TryRecvError::Closed) => {
                    answer = self.enqueue(id);
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            // The ids of other runs join this read meanwhile.
            tokio::time::sleep(self.gather).await;
            let batch = self.next_batch();
            if batch.is_empty() {
                continue;
            }
            let mut ids: Vec<String> = Vec::new();
            for w in &batch {
                if !ids.contains(&w.id) {
                    ids.push(w.id.clone());
                }
            }
            let result = fetch(ids).await;
            for w in batch {
                let reply = match &result {
                    Ok(found) => Ok(found.iter().find(|f| f.id == w.id).cloned()),
                    Err(e) => Err(e.clone()),
                };
                let _ = w.reply.send(reply);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn finding(id: &str) -> Finding {
        Finding {
            id: id.to_owned(),
            product_arn: String::new(),
            control: "Redshift.7".into(),
            title: String::new(),
            severity: String::new(),
            resource_type: String::new(),
            resource_id: String::new(),
            resource_name: None,
            region: String::new(),
            account: String::new(),
            workflow_status: "NEW".into(),
            compliance_status: None,
            record_state: None,
            note: None,
            created_at: None,
            updated_at: None,
            user_defined_fields: Default::default(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_asked_for_together_share_a_request_of_at_most_20_ids() {
        let batcher = Arc::new(ReadBatcher::default());
        let requests = Arc::new(AtomicUsize::new(0));
        let largest = Arc::new(AtomicUsize::new(0));
        let mut runs = tokio::task::JoinSet::new();
        for i in 0..45 {
            let (batcher, requests, largest) = (batcher.clone(), requests.clone(), largest.clone());
            runs.spawn(async move {
                let id = format!("f-{i}");
                let found = batcher
                    .read(&[id.clone(), "gone".into()], |ids| {
                        let (requests, largest) = (requests.clone(), largest.clone());
                        async move {
                            requests.fetch_add(1, Ordering::SeqCst);
                            largest.fetch_max(ids.len(), Ordering::SeqCst);
                            // A request takes a while (the rate limit): others queue up.
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            Ok(ids
                                .iter()
                                .filter(|i| *i != "gone")
                                .map(|i| finding(i))
                                .collect())
                        }
                    })
                    .await
                    .unwrap();
                assert_eq!(found, vec![finding(&id)]);
            });
        }
        while let Some(r) = runs.join_next().await {
            r.unwrap();
        }
        let requests = requests.load(Ordering::SeqCst);
        assert!(
            requests <= 8,
            "45 runs each reading 2 ids took {requests} requests"
        );
        assert!(largest.load(Ordering::SeqCst) <= IDS_PER_READ);
    }

    #[tokio::test]
    async fn an_error_reaches_every_caller_of_the_batch() {
        let batcher = ReadBatcher::default();
        let err = batcher
            .read(&["a".into()], |_| async {
                Err(ApiError::new(
                    crate::aws::ApiErrorKind::Throttled,
                    "securityhub:GetFindings",
                    "TooManyRequestsException",
                    "slow down",
                ))
            })
            .await
            .unwrap_err();
        assert_eq!(err.code, "TooManyRequestsException");
    }
}
