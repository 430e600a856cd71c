//! The audit journal: one JSON line per event, flushed and synced to disk before the run
//! goes on, so that what was asked, answered, called and seen survives any crash, and a run
//! can be resumed from it. Secrets never reach it: callers pass redacted values only.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// What happened, one line per event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStart {
        run_id: String,
        /// The session the run belongs to (its finding lock names it); journals written
        /// before sessions have none: their run id stands for it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        who: String,
        control: String,
        resource: String,
        region: Option<String>,
        finding_id: Option<String>,
        /// Other findings marked along with it.
        #[serde(default)]
        also: Vec<crate::findings::FindingRef>,
        /// The resource's account, and the role assumed to act there (none: the
        /// credentials' own account); `resume` assumes it again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
        runbook: String,
        hubfix_version: String,
        answers_from: String,
        /// The saved plan the run applies: its file and SHA-256.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<PlanRef>,
        /// The context the run started with (finding, resource, run).
        context: Value,
    },
    Resumed {
        who: String,
        from_step: String,
    },
    StepStart {
        step: String,
        kind: String,
    },
    Answer {
        step: String,
        /// The answer; `<redacted>` for secrets.
        value: Value,
        source: String,
        by: String,
        /// For a secret: its salted hash (`sha256:<salt>:<hex>`), so a resumed run can
        /// check that the same secret is given again. Never the secret.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
    },
    /// A change about to be sent, journaled (and synced) before it is: a run that dies
    /// before its answer is journaled knows on resume that the change may have gone through.
    CallStart {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<usize>,
        operation: String,
        params: Value,
    },
    ApiCall {
        step: String,
        /// The item's position, for a request of a `for_each` step.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<usize>,
        operation: String,
        params: Value,
        ok: bool,
        result: Value,
        /// Set when the answer was lost and the resource was read instead: what was seen.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settled: Option<String>,
    },
    Status {
        step: String,
        status: String,
        pending: bool,
        elapsed_ms: u64,
    },
    StepEnd {
        step: String,
        result: String,
        output: Option<Value>,
        next: Option<String>,
        error: Option<String>,
    },
    RunEnd {
        outcome: String,
        exit_code: i32,
        message: String,
        /// The step `hubfix resume` starts from; `None` when nothing is left to do.
        resume_at: Option<String>,
    },
}

/// The saved plan a run applies, as its journal names it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanRef {
    pub path: String,
    pub sha256: String,
}

impl PlanRef {
    pub fn of(file: &super::saved_plan::PlanFile) -> PlanRef {
        PlanRef {
            path: file.path.display().to_string(),
            sha256: file.sha256.clone(),
        }
    }
}

/// One journal line: when, and what.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub at: String,
    #[serde(flatten)]
    pub event: Event,
}

/// A run's journal; a preview's journal keeps nothing ([`Journal::none`]).
///
/// The file is opened for each record and closed after it, not held: a run waiting on AWS
/// for half an hour holds no open file, so the files a session has open grow with the runs
/// at work (`--parallel`), not with the changes under way.
pub struct Journal {
    path: PathBuf,
    /// Records are written (false for a preview's journal).
    kept: bool,
}

impl Journal {
    /// The folder of run journals under a state directory.
    pub fn runs_dir(state_dir: &Path) -> PathBuf {
        state_dir.join("runs")
    }

    pub fn path_for(state_dir: &Path, run_id: &str) -> PathBuf {
        Self::runs_dir(state_dir).join(format!("{run_id}.jsonl"))
    }

    /// Creates a new journal (fails if one exists under that id).
    pub fn create(state_dir: &Path, run_id: &str) -> std::io::Result<Journal> {
        let dir = Self::runs_dir(state_dir);
        std::fs::create_dir_all(&dir)?;
        let path = Self::path_for(state_dir, run_id);
        OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)?;
        Ok(Journal { path, kept: true })
    }

    /// Opens an existing journal to continue it (fails if it cannot be written).
    pub fn append_to(path: &Path) -> std::io::Result<Journal> {
        OpenOptions::new().append(true).open(path)?;
        Ok(Journal {
            path: path.to_path_buf(),
            kept: true,
        })
    }

    /// The journal of a preview: nothing is written.
    pub fn none() -> Journal {
        Journal {
            path: PathBuf::new(),
            kept: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends an event and syncs it to disk before returning.
    pub fn record(&mut self, event: Event) -> std::io::Result<()> {
        if !self.kept {
            return Ok(());
        }
        let record = Record {
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            event,
        };
        let mut line = serde_json::to_string(&record)?;
        line.push('\n');
        // One write of the whole line, in append mode: a line is never interleaved.
        let mut file = OpenOptions::new().append(true).open(&self.path)?;
        file.write_all(line.as_bytes())?;
        file.sync_data()
    }

    /// Reads every record of a journal file. A line that cannot be read (cut off by a crash
    /// mid-write, not UTF-8, not an event) is skipped with a warning naming the file and the
    /// line, and the rest is kept: one bad line must not hide a run from `runs` or `resume`.
    pub fn read(path: &Path) -> std::io::Result<Vec<Record>> {
        let mut reader = BufReader::new(File::open(path)?);
        let mut records = Vec::new();
        let mut bytes = Vec::new();
        let mut number = 0usize;
        loop {
            bytes.clear();
            if reader.read_until(b'\n', &mut bytes)? == 0 {
                break;
            }
            number += 1;
            let problem = match std::str::from_utf8(&bytes) {
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) => match serde_json::from_str(line) {
                    Ok(r) => {
                        records.push(r);
                        continue;
                    }
                    Err(e) => e.to_string(),
                },
                Err(e) => format!("not UTF-8 text ({e})"),
            };
            tracing::warn!(
                "skipping line {number} of the journal {}: {problem}",
                path.display()
            );
        }
        Ok(records)
    }
}

/// A run as `hubfix runs` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    /// The session the run belongs to (its run id, for a run from before sessions).
    pub session: String,
    pub started: String,
    pub control: String,
    pub resource: String,
    /// The resource's account and region, and the role assumed to act there.
    pub account: Option<String>,
    pub region: Option<String>,
    pub role: Option<String>,
    /// The outcome, or `interrupted` when the journal has no end.
    pub state: String,
    pub resume_at: Option<String>,
    pub path: PathBuf,
}

impl RunSummary {
    pub fn resumable(&self) -> bool {
        self.resume_at.is_some()
    }
}

/// Summarizes one journal; `None` if it is not a run journal.
pub fn summarize(path: &Path) -> Option<RunSummary> {
    let records = Journal::read(path).ok()?;
    let first = records.first()?;
    let Event::RunStart {
        run_id,
        session,
        control,
        resource,
        region,
        account,
        role,
        ..
    } = &first.event
    else {
        return None;
    };
    let last_end = records.iter().rev().find_map(|r| match &r.event {
        Event::RunEnd {
            outcome, resume_at, ..
        } => Some((outcome.clone(), resume_at.clone())),
        _ => None,
    });
    // A run resumed after its last end has no end of its own yet.
    let ended_last = matches!(records.last().map(|r| &r.event), Some(Event::RunEnd { .. }));
    let (state, resume_at) = match last_end {
        Some((outcome, resume_at)) if ended_last => (outcome, resume_at),
        _ => ("interrupted".to_owned(), last_started_step(&records)),
    };
    Some(RunSummary {
        run_id: run_id.clone(),
        session: session.clone().unwrap_or_else(|| run_id.clone()),
        started: first.at.clone(),
        control: control.clone(),
        resource: resource.clone(),
        account: account
            .clone()
            .or_else(|| crate::findings::arn_account(resource)),
        region: region.clone(),
        role: role.clone(),
        state,
        resume_at,
        path: path.to_path_buf(),
    })
}

/// The step an interrupted run was in: the last one started, or the next of the last ended.
pub fn last_started_step(records: &[Record]) -> Option<String> {
    records.iter().rev().find_map(|r| match &r.event {
        Event::StepStart { step, .. } => Some(step.clone()),
        Event::StepEnd { next, .. } => next.clone(),
        Event::Resumed { from_step, .. } => Some(from_step.clone()),
        _ => None,
    })
}

/// Every run journal under a state directory, newest first.
pub fn list_runs(state_dir: &Path) -> Vec<RunSummary> {
    let Ok(entries) = std::fs::read_dir(Journal::runs_dir(state_dir)) else {
        return Vec::new();
    };
    let mut runs: Vec<RunSummary> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|p| summarize(&p))
        .collect();
    runs.sort_by(|a, b| b.started.cmp(&a.started).then(b.run_id.cmp(&a.run_id)));
    runs
}
