//! Saved plans: `hubfix plan --out PLAN.json` writes one after every question is answered,
//! `hubfix apply PLAN.json` applies it later without a question. The file is a plain JSON
//! document, pretty-printed with its keys in a stable order, that people can read, diff and
//! approve; its SHA-256 (as `sha256sum` prints it) names it in the journal and in every
//! finding note of the runs that apply it, so an auditor can match a change to the file.
//! A secret is kept only as its `{env: NAME}` / `{file: PATH}` reference.

use super::answers::{AnswerSource, answer_from};
use super::calls::ShownCall;
use super::context::Target;
use super::prompt::{Answer, PromptError, Prompter, Question};
use crate::findings::FindingRef;
use crate::runbook::Outcome;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The format version this hubfix writes and reads.
pub const PLAN_VERSION: u32 = 1;

/// How long a plan stays valid unless `--expires-in` says otherwise.
pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// The longest a plan may stay valid: a sign-off older than a month no longer speaks for the
/// resources it read.
pub const MAX_EXPIRY: Duration = Duration::from_secs(30 * 24 * 3600);

/// The shortest: time to apply it at all.
pub const MIN_EXPIRY: Duration = Duration::from_secs(60);

/// The largest plan file read: far more than a plan of thousands of resources.
pub const MAX_PLAN_FILE: u64 = 16 << 20;

/// A saved plan, as written to and read from its file (field order is the file's key order).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub version: u32,
    /// Who prepared it: the credentials' identity (STS ARN), else the OS user.
    pub prepared_by: String,
    /// RFC 3339, UTC.
    pub prepared_at: String,
    pub expires_at: String,
    pub hubfix_version: String,
    /// Who signed the decisions off: the name in every finding note. `None`: whoever
    /// applies it signs (`apply --approver`, else the credentials' identity).
    pub approver: Option<String>,
    pub targets: Vec<PlannedTarget>,
}

/// One resource of a saved plan: what the run decided, what it read, what it will send.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlannedTarget {
    pub control: String,
    /// The finding id (none for a resource named without a finding).
    pub finding: Option<String>,
    /// Further findings of the pair (one per standard), marked along with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<FindingRef>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub resource: String,
    /// How the planned run ends.
    pub outcome: Outcome,
    /// Every answer on the path, by prompt id; a secret as its reference.
    pub answers: BTreeMap<String, Value>,
    /// Every request on the path, as `hubfix plan --output json` shows it.
    pub calls: Vec<ShownCall>,
    /// The fields of the resource state the runbook read before its first change and its
    /// conditions and calls use (`steps.<step>.<field>`), with their values.
    pub fingerprint: BTreeMap<String, Value>,
}

impl PlannedTarget {
    /// The target the plan names (its finding as the plan has it, to be read again).
    pub fn matches(&self, target: &Target) -> bool {
        self.control == target.control && self.resource == target.resource
    }
}

/// A plan file that cannot be used, named with what to do.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read the plan {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: crate::files::FileError,
    },
    #[error("{}:{line}:{column}: not a hubfix plan: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error(
        "the plan {} expired at {expires_at} ({ago} ago); it is not applied: plan again (`hubfix plan --out`) and have the new plan approved",
        path.display()
    )]
    Expired {
        path: PathBuf,
        expires_at: String,
        ago: String,
    },
    #[error("cannot write the plan {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A plan file read and checked: its contents, where it is and its SHA-256.
#[derive(Debug, Clone)]
pub struct PlanFile {
    pub plan: SavedPlan,
    pub path: PathBuf,
    pub sha256: String,
}

/// `7d`, `48h`, `90m`: how long a plan stays valid, within [`MIN_EXPIRY`]..=[`MAX_EXPIRY`].
pub fn parse_expiry(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let refuse = || {
        format!(
            "`{}` is not a validity: give minutes, hours or days, like 90m, 48h or 7d (at most 30d)",
            crate::text::escape_controls(text)
        )
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(refuse)?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| refuse())?;
    let seconds = match unit {
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(24 * 3600),
        _ => None,
    }
    .ok_or_else(refuse)?;
    let validity = Duration::from_secs(seconds);
    if validity < MIN_EXPIRY || validity > MAX_EXPIRY {
        return Err(format!(
            "a plan is valid from 1 minute to 30 days; `{}` is not (approve a plan close to its change window)",
            crate::text::escape_controls(text)
        ));
    }
    Ok(validity)
}

/// A time as plans write it: RFC 3339, UTC, seconds.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn ago(d: chrono::TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..3600 => format!("{} min", s / 60),
        3600..86400 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86400),
    }
}

impl SavedPlan {
    /// The file's text: pretty-printed JSON with a final newline.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a plan is JSON");
        text.push('\n');
        text
    }

    /// Writes the plan to `path` (a new file, or one replaced whole) and gives its SHA-256.
    pub fn write(&self, path: &Path) -> Result<String, PlanFileError> {
        let text = self.to_text();
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            // Written beside the target and renamed over it: a reader never sees half a plan.
            let mut name = path.file_name().unwrap_or_default().to_os_string();
            name.push(format!(".{}.tmp", std::process::id()));
            let temporary = path.with_file_name(name);
            let written = std::fs::File::create(&temporary).and_then(|mut file| {
                file.write_all(text.as_bytes())?;
                file.sync_all()
            });
            match written.and_then(|()| std::fs::rename(&temporary, path)) {
                Ok(()) => Ok(()),
                Err(e) => {
                    let _ = std::fs::remove_file(&temporary);
                    Err(e)
                }
            }
        };
        write().map_err(|source| PlanFileError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(sha256(text.as_bytes()))
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

impl PlanFile {
    /// Reads a plan file and checks it: format, version, times (not expired at `now`, valid
    /// at most 30 days), and every target's answers and calls.
    pub fn load(path: &Path, now: DateTime<Utc>) -> Result<PlanFile, PlanFileError> {
        let bytes = crate::files::read_regular(path, MAX_PLAN_FILE).map_err(|source| {
            PlanFileError::Read {
                path: path.to_path_buf(),
                source,
            }
        })?;
        let sha256 = sha256(&bytes);
        let invalid = |message: String| PlanFileError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let version = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v.get("version").and_then(Value::as_u64));
        if let Some(version) = version
            && version != u64::from(PLAN_VERSION)
        {
            return Err(invalid(format!(
                "plan format version {version}; this hubfix reads version {PLAN_VERSION}: apply it with the hubfix that wrote it, or plan again"
            )));
        }
        let plan: SavedPlan = serde_json::from_slice(&bytes).map_err(|e| PlanFileError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: crate::text::escape_controls(&e.to_string()).into_owned(),
        })?;
        let time = |name: &str, text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| invalid(format!("`{name}` is not an RFC 3339 time")))
        };
        let prepared = time("prepared_at", &plan.prepared_at)?;
        let expires = time("expires_at", &plan.expires_at)?;
        let validity = expires - prepared;
        if validity > chrono::TimeDelta::from_std(MAX_EXPIRY).expect("30 days")
            || validity <= chrono::TimeDelta::zero()
        {
            return Err(invalid(
                "`expires_at` must come after `prepared_at`, at most 30 days later; plan again"
                    .into(),
            ));
        }
        if now >= expires {
            return Err(PlanFileError::Expired {
                path: path.to_path_buf(),
                expires_at: plan.expires_at.clone(),
                ago: ago(now - expires),
            });
        }
        if let Some(Err(problem)) = plan
            .approver
            .as_deref()
            .map(crate::findings::check_approver)
        {
            return Err(invalid(format!("`approver` cannot be used: {problem}")));
        }
        if plan.targets.is_empty() {
            return Err(invalid("the plan has no target".into()));
        }
        for (n, t) in plan.targets.iter().enumerate() {
            let bad_field = t.fingerprint.keys().find(|k| {
                crate::runbook::StateField::parse(k).is_none_or(|f| f.path.root() != "steps")
            });
            if let Some(field) = bad_field {
                return Err(invalid(format!(
                    "{} on {}: `{}` is not a field of the resource state (`steps.<step>.<field>`)",
                    t.control,
                    t.resource,
                    crate::text::escape_controls(field)
                )));
            }
            let twice = plan.targets[..n]
                .iter()
                .any(|o| o.control == t.control && o.resource == t.resource);
            if twice {
                return Err(invalid(format!(
                    "{} on {} is planned twice",
                    t.control, t.resource
                )));
            }
        }
        Ok(PlanFile {
            plan,
            // Absolute: the journal names it, and `hubfix resume` may run elsewhere.
            path: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
            sha256,
        })
    }

    /// The planned target of a run's target.
    pub fn target(&self, target: &Target) -> Option<&PlannedTarget> {
        self.plan.targets.iter().find(|t| t.matches(target))
    }

    /// A prompter that answers every question from the plan, never a person.
    pub fn prompter(&self) -> PlanPrompter {
        PlanPrompter {
            label: format!("saved plan {}", self.path.display()),
            approver: self.plan.approver.clone(),
            answers: self
                .plan
                .targets
                .iter()
                .map(|t| ((t.control.clone(), t.resource.clone()), t.answers.clone()))
                .collect(),
        }
    }
}

/// The answers of a saved plan, by control and resource: a question the plan has no answer
/// for is a path the plan did not take, and stops the run (exit 2), never asks a person.
pub struct PlanPrompter {
    label: String,
    approver: Option<String>,
    answers: BTreeMap<(String, String), BTreeMap<String, Value>>,
}

impl Prompter for PlanPrompter {
    fn asks_people(&self) -> bool {
        false
    }

    fn ask(&mut self, q: &Question) -> Result<Answer, PromptError> {
        let resource = q.resource_keys.first().cloned().unwrap_or_default();
        let key = (q.control.clone(), resource.clone());
        let Some(value) = self.answers.get(&key).and_then(|a| a.get(&q.id)) else {
            if q.id == "approver" {
                return Err(PromptError::Missing(format!(
                    "{} names no approver: pass --approver NAME",
                    self.label
                )));
            }
            return Err(PromptError::Missing(format!(
                "refused: the run asks `{}` ({} on {resource}), which the plan did not: it takes another path than planned; nothing is asked or guessed. Plan again (`hubfix plan --out`)",
                q.id, q.control
            )));
        };
        let from = AnswerSource {
            label: &self.label,
            generate: false,
        };
        answer_from(&from, q, value)
    }

    fn source(&self) -> String {
        self.label.clone()
    }

    fn who(&self) -> String {
        self.approver.clone().unwrap_or_else(|| self.label.clone())
    }

    fn approver(&self) -> Option<String> {
        self.approver.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validities_are_minutes_hours_or_days_within_bounds() {
        assert_eq!(parse_expiry("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert_eq!(parse_expiry("48h"), Ok(Duration::from_secs(48 * 3600)));
        assert_eq!(parse_expiry("90m"), Ok(Duration::from_secs(90 * 60)));
        for bad in [
            "",
            "7",
            "d",
            "7w",
            "31d",
            "0m",
            "30s",
            "99999999999999999999d",
        ] {
            assert!(parse_expiry(bad).is_err(), "{bad}");
        }
    }
}
