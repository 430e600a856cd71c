//! Locks, so that one resource is changed by one run at a time.
//!
//! On one machine: a lock file per resource in the state directory names the run holding it
//! and its process, for as long as the run is open; it is free again when the run ends or
//! the process dies (each process holds an OS file lock on a file of its own, and a lock
//! file naming a process that no longer holds its file is free). No file stays open per
//! resource, so hundreds of runs waiting on AWS keep no files open.
//!
//! Across machines: the finding, as a lock other operators (and other hubfix runs) can see.
//! Before its first change a run marks the finding NOTIFIED with a note naming its session
//! (`hubfix session <S>: <control> fix in progress`), waits a moment, reads it again, and
//! goes on only if the note still names that session; a run that finds another session's
//! note backs off before any change and leaves the finding as the other run set it. A run
//! that ends without fixing or suppressing the finding puts it back as it was; a resumed run
//! keeps its session and recognises its own note.
//!
//! The note names the session, not the run, so that the locks of a session's runs are alike
//! and share BatchUpdateFindings requests (`findings::batched_writes`). Within a session
//! each finding is the target of one run only, so the session is holder enough. Notes of
//! versions before sessions name the run (`hubfix run <id>: …`): a run's id stands for its
//! session there.

use super::calls::{self, Request, Signature};
use super::context::Target;
use crate::aws::ApiError;
use crate::findings::{SecurityHub, Unprocessed, WorkflowStatus, update_findings};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the finding could not be locked or put back.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LockError {
    #[error(
        "hubfix session {0} is changing this resource (the finding's note names it); this run backs off before any change. If its run died, resume it where it ran (`hubfix runs --session {0}` lists the session's runs there, `hubfix resume RUN_ID` continues one), or set the finding's workflow status back to NEW"
    )]
    HeldBy(String),
    #[error("the finding is {0} now: another operator or run has moved it on; this run leaves it")]
    MovedOn(String),
    #[error("the finding was not found in Security Hub any more")]
    Gone,
    #[error("Security Hub did not update it: {code}: {message}")]
    Unprocessed { code: String, message: String },
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("Security Hub did not answer within 20 s")]
    NoAnswer,
}

impl LockError {
    /// Another run or operator holds the resource: backing off is the right end, not a failure.
    pub fn is_contention(&self) -> bool {
        matches!(self, LockError::HeldBy(_) | LockError::MovedOn(_))
    }
}

impl From<&Unprocessed> for LockError {
    fn from(u: &Unprocessed) -> Self {
        LockError::Unprocessed {
            code: u.error_code.clone(),
            message: u.error_message.clone(),
        }
    }
}

/// Another run on this machine holds the resource's lock file.
#[derive(Debug, thiserror::Error)]
pub enum LocalLockError {
    #[error(
        "hubfix run {holder} on this machine is working on {resource}; wait for it to end (`hubfix runs` lists it) — one run at a time per resource"
    )]
    Busy { holder: String, resource: String },
    #[error("cannot use the lock file {}: {source}; nothing was changed", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A resource's lock on this machine, held by one run. Dropping it frees the resource.
///
/// A run holds no file open for it: a session with hundreds of changes under way would
/// otherwise hold hundreds of files. Instead each hubfix process holds one file of its own
/// (`locks/holders/<process>.lock`, an OS lock the system frees when the process dies),
/// and a resource's lock file names the process and the run holding it. A lock file whose
/// process is gone is free. Taking or freeing a lock happens under `locks/.guard`, so two
/// processes never take the same resource together.
#[derive(Debug)]
pub struct LocalLock {
    path: PathBuf,
    guard: PathBuf,
    /// What this run wrote in the lock file: freed only if still there.
    body: String,
}

/// This process's holder file in a state directory, open and locked until the process ends.
struct Holder {
    id: String,
    _file: File,
}

/// The holder files of this process, one per state directory used.
static HOLDERS: std::sync::Mutex<Vec<(PathBuf, std::sync::Arc<Holder>)>> =
    std::sync::Mutex::new(Vec::new());

impl LocalLock {
    /// The folder of lock files under a state directory.
    pub fn dir(state_dir: &Path) -> PathBuf {
        state_dir.join("locks")
    }

    /// The lock file of a resource: its name, readable, and a hash of its full id.
    fn path_for(state_dir: &Path, resource: &str) -> PathBuf {
        use sha2::Digest;
        let name: String = crate::findings::resource_name(resource)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect();
        let hash = hex::encode(&sha2::Sha256::digest(resource.as_bytes())[..6]);
        Self::dir(state_dir).join(format!("{name}-{hash}.lock"))
    }

    /// Takes the resource's lock for `run_id`, or says which run holds it.
    pub fn acquire(
        state_dir: &Path,
        resource: &str,
        run_id: &str,
    ) -> Result<LocalLock, LocalLockError> {
        let path = Self::path_for(state_dir, resource);
        let io = |source| LocalLockError::Io {
            path: path.clone(),
            source,
        };
        let dir = Self::dir(state_dir);
        std::fs::create_dir_all(dir.join("holders")).map_err(io)?;
        let guard_path = dir.join(".guard");
        let _guard = Guard::take(&guard_path).map_err(io)?;
        let holder = holder(state_dir, &dir).map_err(io)?;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let mut before = String::new();
        let _ = Read::by_ref(&mut file)
            .take(400)
            .read_to_string(&mut before);
        let busy = |run: &str| LocalLockError::Busy {
            holder: run.trim().to_owned(),
            resource: resource.to_owned(),
        };
        // A hubfix before holder files kept the lock file itself locked while its run was open.
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(busy(&before)),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        if let Some((run, by)) = parse_body(&before)
            && holder_alive(&dir, by, &holder.id)
        {
            return Err(busy(run));
        }
        let body = format!("{run_id}\nheld by {}\n", holder.id);
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(body.as_bytes()))
            .and_then(|()| file.sync_data())
            .map_err(io)?;
        Ok(LocalLock {
            path,
            guard: guard_path,
            body,
        })
    }
}

impl Drop for LocalLock {
    /// Frees the resource: the lock file is emptied if it still names this run.
    fn drop(&mut self) {
        let Ok(_guard) = Guard::take(&self.guard) else {
            return;
        };
        if std::fs::read_to_string(&self.path).is_ok_and(|now| now == self.body) {
            let _ = std::fs::write(&self.path, "");
        }
    }
}

/// The run and the holder a lock file names: `<run id>\nheld by <holder>\n`. An empty
/// file, or one a hubfix before holder files wrote (the run id alone), names no live holder.
fn parse_body(body: &str) -> Option<(&str, &str)> {
    let (run, rest) = body.split_once('\n')?;
    let by = rest.strip_prefix("held by ")?.trim();
    (!run.trim().is_empty() && !by.is_empty()).then_some((run, by))
}

/// Whether the holder named is a live process: this one, or another whose holder file is
/// still locked.
fn holder_alive(dir: &Path, by: &str, own: &str) -> bool {
    if by == own {
        return true;
    }
    if by.contains(['/', '\\']) || by.starts_with('.') {
        return false;
    }
    let Ok(file) = File::open(dir.join("holders").join(format!("{by}.lock"))) else {
        return false;
    };
    matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

/// This process's holder in the state directory whose lock folder is `dir`, made (and the
/// files of processes gone removed) on first use. Called under the guard.
fn holder(state_dir: &Path, dir: &Path) -> std::io::Result<std::sync::Arc<Holder>> {
    let mut holders = HOLDERS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, h)) = holders.iter().find(|(d, _)| d == state_dir) {
        return Ok(h.clone());
    }
    let folder = dir.join("holders");
    if let Ok(entries) = std::fs::read_dir(&folder) {
        for entry in entries.flatten() {
            let gone = File::open(entry.path()).is_ok_and(|f| f.try_lock().is_ok());
            if gone {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let id = format!("{}-{nanos:08x}", std::process::id());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(folder.join(format!("{id}.lock")))?;
    file.lock()?;
    file.write_all(format!("hubfix process {}\n", std::process::id()).as_bytes())?;
    let holder = std::sync::Arc::new(Holder { id, _file: file });
    holders.push((state_dir.to_path_buf(), holder.clone()));
    Ok(holder)
}

/// The state directory's guard, held while a lock is taken or freed.
struct Guard {
    _file: File,
}

impl Guard {
    fn take(path: &Path) -> std::io::Result<Guard> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        file.lock()?;
        Ok(Guard { _file: file })
    }
}

/// A finding lock this run holds: the status to put back.
#[derive(Debug, Clone)]
pub struct Held {
    pub previous: WorkflowStatus,
}

/// The locks of one run: the resource's lock file and, from its first change, the finding.
#[derive(Debug, Default)]
pub(super) struct FindingLock {
    local: Option<LocalLock>,
    held: Option<Held>,
    /// On resume: the status the run found before it took the finding, from the journal.
    taken_before: Option<WorkflowStatus>,
}

/// How long a run waits after marking the finding before reading it again: a run that read
/// the finding before this one wrote it has written its own note by then.
pub(super) fn settle(poll_first: Duration) -> Duration {
    poll_first.min(Duration::from_secs(2))
}

/// The session a hubfix lock note names: `hubfix session <S>: … fix in progress`; in a note
/// of a version before sessions, `hubfix run <id>: … fix in progress`, the run (whose id
/// stands for its session).
pub fn lock_holder(note: &str) -> Option<&str> {
    let rest = note
        .strip_prefix("hubfix session ")
        .or_else(|| note.strip_prefix("hubfix run "))?;
    let (id, rest) = rest.split_once(':')?;
    rest.contains("fix in progress").then_some(id)
}

fn lock_body(session: &str, control: &str) -> String {
    format!("hubfix session {session}: {control} fix in progress")
}

impl FindingLock {
    pub(super) fn local(local: LocalLock) -> FindingLock {
        FindingLock {
            local: Some(local),
            ..FindingLock::default()
        }
    }

    /// On resume: the finding was taken before, from `previous`, if the note still says so.
    pub(super) fn taken_before(&mut self, previous: Option<WorkflowStatus>) {
        self.taken_before = previous;
    }

    /// Takes the finding for `session` unless held. `Ok(Some(request))`: this call marked
    /// it, with that request; `Ok(None)`: nothing to mark (no finding, held already, or this
    /// run's own lock found again on resume).
    pub(super) async fn take<F>(
        &mut self,
        hub: &dyn SecurityHub,
        target: &Target,
        session: &str,
        signed: &Signature,
        settle: impl FnOnce() -> F,
    ) -> Result<Option<(Request, WorkflowStatus)>, LockError>
    where
        F: std::future::Future<Output = ()>,
    {
        if self.held.is_some() {
            return Ok(None);
        }
        let Some(finding) = &target.finding else {
            return Ok(None);
        };
        let current = read(hub, &finding.id).await?;
        let holder = current.note.as_deref().and_then(lock_holder);
        let previous = match current.workflow_status.as_str() {
            "NOTIFIED" if holder == Some(session) => {
                self.held = Some(Held {
                    previous: self.taken_before.unwrap_or(WorkflowStatus::New),
                });
                return Ok(None);
            }
            "NOTIFIED" if holder.is_some() => {
                return Err(LockError::HeldBy(holder.unwrap_or_default().to_owned()));
            }
            "NOTIFIED" => WorkflowStatus::Notified,
            "NEW" => WorkflowStatus::New,
            other => return Err(LockError::MovedOn(other.to_owned())),
        };
        let request = calls::finding_request(
            "lock",
            target,
            WorkflowStatus::Notified.as_str(),
            &lock_body(session, &target.control),
            signed,
        )
        .expect("the target has a finding");
        // The note sent is the one in the request the journal and listings show.
        let refs = target.finding_refs();
        let who = signed.by.as_str();
        let failed = update_findings(
            hub,
            &refs,
            WorkflowStatus::Notified,
            request.note(),
            who,
            None,
        )
        .await?;
        if let Some(u) = failed.first() {
            return Err(u.into());
        }
        // Another run that read the finding before this one wrote it writes its note now:
        // whichever note is there after the wait wins, and the other run backs off.
        settle().await;
        let after = read(hub, &finding.id).await?;
        match after.note.as_deref().and_then(lock_holder) {
            Some(id) if id == session && after.workflow_status == "NOTIFIED" => {
                self.held = Some(Held { previous });
                Ok(Some((request, previous)))
            }
            Some(other) => Err(LockError::HeldBy(other.to_owned())),
            None => Err(LockError::MovedOn(after.workflow_status)),
        }
    }

    /// The finding has moved on (resolved, suppressed): there is nothing to put back.
    pub(super) fn let_go(&mut self) {
        self.held = None;
    }

    /// Puts the finding back as it was; `None` when no lock was held, else the request
    /// and whether it went through.
    pub(super) async fn release(
        &mut self,
        hub: &dyn SecurityHub,
        target: &Target,
        why: impl FnOnce(WorkflowStatus) -> String,
        signed: &Signature,
    ) -> Option<(Request, Result<(), LockError>)> {
        let held = self.held.take()?;
        let why = why(held.previous);
        let request =
            calls::finding_request("unlock", target, held.previous.as_str(), &why, signed)?;
        let note = request.note();
        let who = signed.by.as_str();
        // Bounded: the run's end must be journaled even if Security Hub does not answer.
        let released = tokio::time::timeout(Duration::from_secs(20), async {
            let failed =
                update_findings(hub, &target.finding_refs(), held.previous, note, who, None)
                    .await?;
            match failed.first() {
                None => Ok(()),
                Some(u) => Err(LockError::from(u)),
            }
        })
        .await
        .unwrap_or(Err(LockError::NoAnswer));
        Some((request, released))
    }

    /// The resource's lock, for a prepared run to keep until it goes on.
    pub(super) fn keep_local(&mut self) -> Option<LocalLock> {
        self.local.take()
    }

    /// Frees the resource's lock (the run is over).
    pub(super) fn free_local(&mut self) {
        self.local = None;
    }
}

async fn read(hub: &dyn SecurityHub, id: &str) -> Result<crate::findings::Finding, LockError> {
    hub.findings_by_id(&[id.to_owned()])
        .await?
        .into_iter()
        .next()
        .ok_or(LockError::Gone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::compose_note;

    #[test]
    fn a_lock_note_names_its_session() {
        let note = compose_note(
            &lock_body("s-20261207T0150Z-3f2a", "Redshift.7"),
            "Taro",
            "2026-12-06",
            None,
        );
        assert!(note.starts_with("hubfix session s-20261207T0150Z-3f2a: Redshift.7 fix"));
        assert_eq!(lock_holder(&note), Some("s-20261207T0150Z-3f2a"));
        // A lock of a version before sessions names its run.
        let old = "hubfix run 20261122T213000Z-redshift7-c1-3f2a: Redshift.7 fix in progress [hubfix; approved by Taro on 2026-11-22]";
        assert_eq!(lock_holder(old), Some("20261122T213000Z-redshift7-c1-3f2a"));
        assert_eq!(lock_holder("Suppressed after sign-off: x"), None);
        assert_eq!(
            lock_holder("hubfix run r-1: ended stopped without a fix"),
            None
        );
    }

    #[test]
    fn one_run_holds_a_resource_lock_file_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let arn = "arn:aws:redshift:ap-northeast-1:123456789012:cluster:c1";
        let held = LocalLock::acquire(dir.path(), arn, "run-a").unwrap();
        match LocalLock::acquire(dir.path(), arn, "run-b") {
            Err(LocalLockError::Busy { holder, .. }) => assert_eq!(holder, "run-a"),
            other => panic!("{other:?}"),
        }
        drop(held);
        LocalLock::acquire(dir.path(), arn, "run-b").unwrap();
    }

    #[test]
    fn a_lock_file_left_by_a_process_gone_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let arn = "arn:aws:redshift:ap-northeast-1:123456789012:cluster:c2";
        let held = LocalLock::acquire(dir.path(), arn, "run-a").unwrap();
        // As a process killed mid-run leaves it: the file names a holder no process holds.
        std::mem::forget(held);
        let path = LocalLock::path_for(dir.path(), arn);
        std::fs::write(&path, "run-a\nheld by 999999-dead\n").unwrap();
        LocalLock::acquire(dir.path(), arn, "run-b").unwrap();
        // One of a version before holder files names the run alone: free when unlocked.
        std::fs::write(&path, "run-old").unwrap();
        LocalLock::acquire(dir.path(), arn, "run-c").unwrap();
    }

    #[test]
    fn a_held_lock_keeps_no_file_open() {
        let dir = tempfile::tempdir().unwrap();
        let count = || std::fs::read_dir("/proc/self/fd").unwrap().count();
        let first = LocalLock::acquire(dir.path(), "arn:aws:redshift:r:1:cluster:x0", "r0");
        let before = count();
        let held: Vec<_> = (1..50)
            .map(|i| {
                let arn = format!("arn:aws:redshift:r:1:cluster:x{i}");
                LocalLock::acquire(dir.path(), &arn, &format!("r{i}")).unwrap()
            })
            .collect();
        // Other tests of this process open files meanwhile: far fewer than one a lock.
        assert!(count() < before + 10, "{} files open for 50 locks", count());
        drop((first, held));
    }
}
