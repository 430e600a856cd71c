//! The answers file: every prompt answered without a terminal (contract in design.md).
//! A missing answer stops the run naming the key to add; it never guesses, never hangs.
//! Secrets are never literals in the file, only `{env: NAME}` or `{file: PATH}`, or, for a
//! secret the runbook can generate, `{generate: PATH}` (a new file, mode 0600).

use super::prompt::{Answer, PromptError, Prompter, Question, Secret};
use crate::runbook::PromptKind;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AnswersFile {
    /// Recorded as Note.UpdatedBy and in the journal.
    #[serde(default)]
    pub approver: Option<String>,
    /// Answers for every resource of a control.
    #[serde(default)]
    pub controls: BTreeMap<String, BTreeMap<String, Value>>,
    /// Per-resource overrides, by ARN or identifier.
    #[serde(default)]
    pub resources: BTreeMap<String, BTreeMap<String, Value>>,
}

/// An answers file that cannot be used, named with where to fix it.
#[derive(Debug, thiserror::Error)]
pub enum AnswersError {
    #[error("cannot read the answers file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: crate::files::FileError,
    },
    /// `at` is `:line:column` when the parser knows it.
    #[error("{}{at}: {message}", path.display())]
    Parse {
        path: PathBuf,
        at: String,
        message: String,
    },
}

/// The largest answers file read: far more than answers for thousands of resources.
pub const MAX_ANSWERS_FILE: u64 = 16 << 20;

/// The largest file a secret is read from (`{file: PATH}`): a secret is at most 1024
/// characters.
pub const MAX_SECRET_FILE: u64 = 4096;

impl AnswersFile {
    /// Reads and checks an answers file (at most 16 MiB; a regular file or a pipe), and its
    /// `approver:`, before anything else happens.
    pub fn load(path: &Path) -> Result<AnswersFile, AnswersError> {
        let text = crate::files::read_text_up_to(path, MAX_ANSWERS_FILE).map_err(|source| {
            AnswersError::Read {
                path: path.to_path_buf(),
                source,
            }
        })?;
        let file: AnswersFile = serde_saphyr::from_str(&text).map_err(|e| {
            let (at, message) = crate::runbook::yaml_error::describe(&e);
            AnswersError::Parse {
                path: path.to_path_buf(),
                at: at
                    .map(|(line, column)| format!(":{line}:{column}"))
                    .unwrap_or_default(),
                message,
            }
        })?;
        if let Some(Err(problem)) = file
            .approver
            .as_deref()
            .map(crate::findings::check_approver)
        {
            return Err(AnswersError::Parse {
                path: path.to_path_buf(),
                at: String::new(),
                message: format!("`approver:` cannot be used: {problem}"),
            });
        }
        Ok(file)
    }
}

pub struct AnswersPrompter {
    file: AnswersFile,
    path: PathBuf,
}

impl AnswersPrompter {
    pub fn new(file: AnswersFile, path: PathBuf) -> Self {
        AnswersPrompter { file, path }
    }

    fn lookup(&self, q: &Question) -> Option<&Value> {
        q.resource_keys
            .iter()
            .find_map(|k| self.file.resources.get(k).and_then(|m| m.get(&q.id)))
            .or_else(|| {
                self.file
                    .controls
                    .iter()
                    .find(|(c, _)| c.eq_ignore_ascii_case(&q.control))
                    .and_then(|(_, m)| m.get(&q.id))
            })
    }

    fn label(&self) -> String {
        format!("answers file {}", self.path.display())
    }
}

/// Where an answer comes from, for messages: `answers file PATH`, `saved plan PATH`.
/// `generate`: whether `{generate: PATH}` may answer a secret.
pub(super) struct AnswerSource<'a> {
    pub label: &'a str,
    pub generate: bool,
}

/// A secret answered by reference: `{env: NAME}`, `{file: PATH}` or, where allowed and the
/// runbook can generate it, `{generate: PATH}`.
fn secret(from: &AnswerSource<'_>, q: &Question, value: &Value) -> Result<Secret, PromptError> {
    let label = from.label;
    let bad = || {
        PromptError::Invalid(format!(
            "{label}: `{}` is a secret: write `{{env: NAME}}` or `{{file: PATH}}` (or `{{generate: PATH}}` where hubfix can generate it), never the secret itself",
            q.id
        ))
    };
    let Value::Object(map) = value else {
        return Err(bad());
    };
    if map.len() != 1 {
        return Err(bad());
    }
    match (map.get("env"), map.get("file")) {
        (Some(Value::String(name)), _) => std::env::var(name).map(Secret::new).map_err(|_| {
            PromptError::Missing(format!(
                "{label}: `{}` comes from the environment variable {name}, which is not set",
                q.id
            ))
        }),
        (_, Some(Value::String(file))) => {
            crate::files::read_regular_text(Path::new(file), MAX_SECRET_FILE)
                .map(|s| Secret::new(s.trim_end_matches(['\n', '\r'])))
                .map_err(|e| {
                    PromptError::Missing(format!(
                        "{label}: `{}` is read from the file {file}, but {e}; point `{{file: ...}}` at a regular file of at most 4 KiB holding only the secret",
                        q.id,
                    ))
                })
        }
        _ => match (map.get("generate"), &q.rules, q.generate) {
            (Some(Value::String(file)), Some(rules), Some(length)) if from.generate => {
                super::secrets::generate_to_file(rules, length, Path::new(file)).map_err(|e| {
                    PromptError::Invalid(format!(
                        "{label}: `{}`: {e}; to use a value generated before, write `{{file: {file}}}`",
                        q.id
                    ))
                })
            }
            _ => Err(bad()),
        },
    }
}

/// The answer a value gives to a question, checked against its kind.
pub(super) fn answer_from(
    from: &AnswerSource<'_>,
    q: &Question,
    value: &Value,
) -> Result<Answer, PromptError> {
    let wrong =
        |want: &str| PromptError::Invalid(format!("{}: `{}` must be {want}", from.label, q.id));
    match q.kind {
        PromptKind::Confirm => value
            .as_bool()
            .map(Answer::Bool)
            .ok_or_else(|| wrong("true or false")),
        PromptKind::Input => match value {
            Value::String(s) => Ok(Answer::Text(s.clone())),
            Value::Number(n) => Ok(Answer::Text(n.to_string())),
            _ => Err(wrong("a text")),
        },
        PromptKind::Select => {
            let allowed: Vec<&str> = q.options.iter().map(|(v, _)| v.as_str()).collect();
            match value.as_str() {
                Some(v) if allowed.contains(&v) => Ok(Answer::Text(v.to_owned())),
                _ => Err(wrong(&format!("one of: {}", allowed.join(", ")))),
            }
        }
        PromptKind::Secret => secret(from, q, value).map(Answer::Secret),
    }
}

/// A secret's reference as a saved plan keeps it: `{env: NAME}` or `{file: PATH}` (a value
/// generated into a file is then read from that file).
pub(super) fn reference_of(value: &Value) -> Option<Value> {
    let map = value.as_object().filter(|m| m.len() == 1)?;
    let (key, path) = map.iter().next()?;
    let path = path.as_str()?;
    match key.as_str() {
        "env" => Some(serde_json::json!({ "env": path })),
        // Absolute, so the plan can be applied from another directory.
        "file" | "generate" => {
            let path = std::path::absolute(path).ok()?;
            Some(serde_json::json!({ "file": path.display().to_string() }))
        }
        _ => None,
    }
}

impl Prompter for AnswersPrompter {
    fn asks_people(&self) -> bool {
        false
    }

    fn ask(&mut self, q: &Question) -> Result<Answer, PromptError> {
        let Some(value) = self.lookup(q) else {
            // Named as people know it (a DMS identifier, not the id in its ARN); the ARN
            // keys it too, and tells resources of the same name apart.
            let arn = q.resource_keys.first().cloned().unwrap_or_default();
            let name = q.resource_keys.last().cloned().unwrap_or_default();
            let or_arn = if name == arn {
                String::new()
            } else {
                format!(" (or its ARN, {arn})")
            };
            return Err(PromptError::Missing(format!(
                "the answers file {} has no answer for prompt `{id}` ({control} on {name}): add `{id}: ...` under `controls: {{ {control}: ... }}` or under `resources: {{ \"{name}\": ... }}`{or_arn}",
                self.path.display(),
                id = q.id,
                control = q.control,
            )));
        };
        let label = self.label();
        let from = AnswerSource {
            label: &label,
            generate: true,
        };
        answer_from(&from, q, value)
    }

    fn reference(&self, q: &Question) -> Option<Value> {
        self.lookup(q).and_then(reference_of)
    }

    fn source(&self) -> String {
        format!("answers file {}", self.path.display())
    }

    fn who(&self) -> String {
        self.file
            .approver
            .clone()
            .unwrap_or_else(|| format!("answers file {}", self.path.display()))
    }

    fn approver(&self) -> Option<String> {
        self.file
            .approver
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
    }
}
