//! Finding updates, coalesced. Every run of a fleet marks its finding NOTIFIED before its
//! first change (the lock of `engine::lock`) and RESOLVED at its end: two BatchUpdateFindings
//! per run, at Security Hub's 10 requests a second, made a fleet of 300 wait a minute for its
//! own notes. A request takes up to 100 findings but one note, status and set of
//! user-defined fields for all of them, so only updates alike in everything but their
//! findings can share it. Here the updates asked for while a request is under way (or waiting
//! for the rate limit, or for [`GATHER`]) queue up, and the next request takes up to 100 findings of the first
//! update waiting together with every update alike; each caller gets back the unprocessed
//! entries of its own findings, and an error reaches every caller of the request.
//! A caller awaits its own update before it sends the next, so the order of the updates of
//! one finding is kept; updates that differ are never merged.

use super::{BATCH_LIMIT, FindingRef, Unprocessed, UserFields, WorkflowStatus};
use crate::aws::ApiError;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;

/// Everything a BatchUpdateFindings request sends besides its findings: only updates whose
/// parameters are equal share a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateParams {
    pub status: WorkflowStatus,
    pub note: String,
    pub updated_by: String,
    /// The whole `UserDefinedFields` map, when the update sets it.
    pub fields: Option<UserFields>,
}

type Reply = Result<Vec<Unprocessed>, ApiError>;

struct Waiting {
    params: UpdateParams,
    findings: Vec<FindingRef>,
    reply: oneshot::Sender<Reply>,
}

/// How long the caller whose turn it is to send waits for updates alike from other runs
/// before it sends: the runs of a fleet reach their lock and their end a little apart (each
/// goes on as soon as it is prepared), and a request that left at once would carry one
/// finding. A tenth of a second, against a change of minutes, and at most one request every
/// tenth of a second at Security Hub's rate anyway.
pub const GATHER: Duration = Duration::from_millis(100);

/// The queue of updates waiting to be sent, and the turn to send them.
pub struct WriteBatcher {
    queue: Mutex<Vec<Waiting>>,
    turn: tokio::sync::Mutex<()>,
    gather: Duration,
}

impl Default for WriteBatcher {
    fn default() -> Self {
        WriteBatcher {
            queue: Mutex::default(),
            turn: tokio::sync::Mutex::default(),
            gather: GATHER,
        }
    }
}

impl WriteBatcher {
    fn enqueue(&self, findings: &[FindingRef], params: &UpdateParams) -> oneshot::Receiver<Reply> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Waiting {
                params: params.clone(),
                findings: findings.to_vec(),
                reply,
            });
        answer
    }

    /// The first update waiting, and every later one alike whose findings still fit in the
    /// request (at most [`BATCH_LIMIT`], none twice: Security Hub refuses a duplicated
    /// identifier); the others wait for a later request, in their order.
    fn next_batch(&self) -> Vec<Waiting> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let mut batch: Vec<Waiting> = Vec::new();
        let mut rest = Vec::new();
        let mut count = 0;
        for w in queue.drain(..) {
            // Its caller gave up (a bounded wait ran out): an update it no longer awaits is
            // not sent behind its back.
            if w.reply.is_closed() {
                continue;
            }
            let fits = match batch.first() {
                None => true,
                Some(first) => {
                    first.params == w.params
                        && count + w.findings.len() <= BATCH_LIMIT
                        && !w
                            .findings
                            .iter()
                            .any(|f| batch.iter().any(|b| b.findings.contains(f)))
                }
            };
            if fits {
                count += w.findings.len();
                batch.push(w);
            } else {
                rest.push(w);
            }
        }
        *queue = rest;
        batch
    }

    /// Updates these findings (at most [`BATCH_LIMIT`]) with `params`, sent by `send` together
    /// with the findings of the updates alike other callers wait for: the unprocessed entries
    /// of these findings. `send` gets at most [`BATCH_LIMIT`] findings, each once.
    pub async fn update<F, Fut>(
        &self,
        findings: &[FindingRef],
        params: &UpdateParams,
        send: F,
    ) -> Result<Vec<Unprocessed>, ApiError>
    where
        F: Fn(Vec<FindingRef>, UpdateParams) -> Fut,
        Fut: Future<Output = Result<Vec<Unprocessed>, ApiError>>,
    {
        let mut answer = self.enqueue(findings, params);
        loop {
            match answer.try_recv() {
                Ok(reply) => return reply,
                Err(oneshot::error::TryRecvError::Closed) => {
                    // The caller sending our request was cancelled: ask again.
                    answer = self.enqueue(findings, params);
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let _turn = self.turn.lock().await;
            // Answered while this caller waited for its turn?
            match answer.try_recv() {
                Ok(reply) => return reply,
                Err(oneshot::error::TryRecvError::Closed) => {
                    answer = self.enqueue(findings, params);
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            // Updates alike from other runs join this request meanwhile.
            tokio::time::sleep(self.gather).await;
            let batch = self.next_batch();
            let Some(first) = batch.first() else {
                continue;
            };
            let params = first.params.clone();
            let refs: Vec<FindingRef> = batch.iter().flat_map(|w| w.findings.clone()).collect();
            let result = send(refs, params).await;
            for w in batch {
                let reply = match &result {
                    Ok(unprocessed) => Ok(unprocessed
                        .iter()
                        .filter(|u| w.findings.iter().any(|f| f.id == u.finding.id))
                        .cloned()
                        .collect()),
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
    use std::time::Duration;

    fn finding(i: usize) -> FindingRef {
        FindingRef {
            id: format!("f-{i}"),
            product_arn: "arn:aws:securityhub:ap-northeast-1::product/aws/securityhub".into(),
        }
    }

    fn params(note: &str) -> UpdateParams {
        UpdateParams {
            status: WorkflowStatus::Resolved,
            note: note.into(),
            updated_by: "Taro Yamada".into(),
            fields: None,
        }
    }

    /// A Security Hub that takes a while per request (the rate limit), so that callers queue
    /// up, and records every request; the findings named in `unprocessed` are not processed.
    #[derive(Default)]
    struct FakeSender {
        requests: Mutex<Vec<(Vec<FindingRef>, UpdateParams)>>,
        unprocessed: Vec<FindingRef>,
        fail: bool,
    }

    impl FakeSender {
        async fn send(&self, refs: Vec<FindingRef>, params: UpdateParams) -> Reply {
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(refs.len() <= BATCH_LIMIT);
            let out = refs
                .iter()
                .filter(|r| self.unprocessed.contains(r))
                .map(|r| Unprocessed {
                    finding: r.clone(),
                    error_code: "FindingNotFound".into(),
                    error_message: format!("{} is gone", r.id),
                })
                .collect();
            self.requests.lock().unwrap().push((refs, params));
            if self.fail {
                return Err(ApiError::new(
                    crate::aws::ApiErrorKind::Throttled,
                    "securityhub:BatchUpdateFindings",
                    "TooManyRequestsException",
                    "slow down",
                ));
            }
            Ok(out)
        }

        fn requests(&self) -> Vec<(Vec<FindingRef>, UpdateParams)> {
            self.requests.lock().unwrap().clone()
        }
    }

    /// `callers` concurrent updates, the i-th of finding i with `note_of(i)`: each caller's
    /// answer, by caller.
    async fn run(
        sender: Arc<FakeSender>,
        callers: usize,
        note_of: fn(usize) -> String,
    ) -> Vec<Reply> {
        let batcher = Arc::new(WriteBatcher::default());
        let mut runs = tokio::task::JoinSet::new();
        for i in 0..callers {
            let (batcher, sender) = (batcher.clone(), sender.clone());
            runs.spawn(async move {
                let answer = batcher
                    .update(&[finding(i)], &params(&note_of(i)), |refs, p| {
                        let sender = sender.clone();
                        async move { sender.send(refs, p).await }
                    })
                    .await;
                (i, answer)
            });
        }
        let mut answers: Vec<(usize, Reply)> = Vec::new();
        while let Some(r) = runs.join_next().await {
            answers.push(r.unwrap());
        }
        answers.sort_by_key(|(i, _)| *i);
        answers.into_iter().map(|(_, a)| a).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn identical_updates_share_a_request() {
        let sender = Arc::new(FakeSender::default());
        let answers = run(sender.clone(), 30, |_| "fixed by session s-1".into()).await;
        assert!(answers.iter().all(|a| a.as_ref().unwrap().is_empty()));
        let requests = sender.requests();
        assert!(
            requests.len() <= 3,
            "30 alike took {} requests",
            requests.len()
        );
        let mut sent: Vec<FindingRef> = requests.iter().flat_map(|(r, _)| r.clone()).collect();
        sent.sort_by(|a, b| a.id.cmp(&b.id));
        sent.dedup();
        assert_eq!(sent.len(), 30, "every finding sent once");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn different_updates_never_share_a_request() {
        let sender = Arc::new(FakeSender::default());
        run(sender.clone(), 12, |i| format!("note {}", i % 3)).await;
        let requests = sender.requests();
        for (refs, p) in &requests {
            for r in refs {
                let i: usize = r.id.trim_start_matches("f-").parse().unwrap();
                assert_eq!(p.note, format!("note {}", i % 3), "{refs:?}");
            }
        }
        // Fewer than one request each: the alike ones merged.
        assert!(requests.len() < 12, "{} requests", requests.len());
        // Other parameters count too: the status and the fields.
        let batcher = WriteBatcher::default();
        let a = params("same");
        let b = UpdateParams {
            status: WorkflowStatus::Notified,
            ..a.clone()
        };
        let c = UpdateParams {
            fields: Some([("k".to_owned(), "v".to_owned())].into()),
            ..a.clone()
        };
        let d = UpdateParams {
            updated_by: "Hanako Sato".into(),
            ..a.clone()
        };
        let _answers = [&a, &b, &c, &d, &a]
            .iter()
            .enumerate()
            .map(|(i, p)| batcher.enqueue(&[finding(i)], p))
            .collect::<Vec<_>>();
        let first = batcher.next_batch();
        assert_eq!(first.len(), 2, "the two alike");
        assert!(first.iter().all(|w| w.params == a));
        for expected in [&b, &c, &d] {
            let next = batcher.next_batch();
            assert_eq!(next.len(), 1);
            assert_eq!(&next[0].params, expected);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn more_than_100_alike_are_split() {
        let sender = Arc::new(FakeSender::default());
        let answers = run(sender.clone(), 250, |_| "alike".into()).await;
        assert!(answers.iter().all(|a| a.as_ref().unwrap().is_empty()));
        let requests = sender.requests();
        assert!(requests.iter().all(|(r, _)| r.len() <= BATCH_LIMIT));
        assert_eq!(requests.iter().map(|(r, _)| r.len()).sum::<usize>(), 250);
        assert!(
            requests.len() >= 3 && requests.len() <= 10,
            "{}",
            requests.len()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_caller_gets_the_unprocessed_entries_of_its_own_findings() {
        let sender = Arc::new(FakeSender {
            unprocessed: vec![finding(3), finding(7)],
            ..FakeSender::default()
        });
        let answers = run(sender.clone(), 10, |_| "alike".into()).await;
        for (i, answer) in answers.iter().enumerate() {
            let unprocessed = answer.as_ref().unwrap();
            if i == 3 || i == 7 {
                assert_eq!(unprocessed.len(), 1, "caller {i}");
                assert_eq!(unprocessed[0].finding, finding(i));
            } else {
                assert!(unprocessed.is_empty(), "caller {i}: {unprocessed:?}");
            }
        }
        assert!(sender.requests().len() < 10);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_error_reaches_every_caller_of_the_request() {
        let sender = Arc::new(FakeSender {
            fail: true,
            ..FakeSender::default()
        });
        let answers = run(sender.clone(), 10, |_| "alike".into()).await;
        for answer in &answers {
            assert_eq!(
                answer.as_ref().unwrap_err().code,
                "TooManyRequestsException"
            );
        }
        assert!(sender.requests().len() < 10, "the callers shared requests");
    }

    #[test]
    fn an_update_whose_caller_gave_up_is_not_sent() {
        let batcher = WriteBatcher::default();
        let p = params("alike");
        drop(batcher.enqueue(&[finding(0)], &p));
        let _waiting = batcher.enqueue(&[finding(1)], &p);
        let batch = batcher.next_batch();
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].findings, [finding(1)]);
        assert!(batcher.next_batch().is_empty());
    }

    #[test]
    fn a_finding_is_never_twice_in_one_request() {
        let batcher = WriteBatcher::default();
        let p = params("alike");
        let _answers = [0, 0, 1]
            .iter()
            .map(|i| batcher.enqueue(&[finding(*i)], &p))
            .collect::<Vec<_>>();
        let first = batcher.next_batch();
        assert_eq!(first.len(), 2);
        assert_eq!(batcher.next_batch().len(), 1);
    }
}
