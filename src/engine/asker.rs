//! Asking the operator, through whichever [`Prompter`] the run has: it checks an answer
//! against its question (options, validators, secret rules), and remembers the salted
//! fingerprints of the secrets given so that a resumed run gets the same secret again.

use super::flow::Failure;
use super::prompt::{Answer, PromptError, Prompter, Question, Secret};
use crate::runbook::PromptKind;
use serde_json::Value;
use std::collections::BTreeMap;

/// An answer that fits its question.
pub(super) struct Given {
    /// What the context and the journal keep: `<redacted>` for a secret.
    pub value: Value,
    pub secret: Option<Secret>,
    /// For a secret: its salted hash, journaled with the answer.
    pub fingerprint: Option<String>,
}

pub(super) struct Asker<'r> {
    prompter: &'r mut dyn Prompter,
    /// The last question answered: a run stopped by an answer resumes there.
    last_prompt: Option<String>,
    /// Salted hashes of the secrets given so far in this run, by prompt id.
    fingerprints: BTreeMap<String, String>,
}

/// What an asker knows of a run, kept while the run is paused or read back from its journal.
#[derive(Default)]
pub(super) struct Asked {
    pub last_prompt: Option<String>,
    pub fingerprints: BTreeMap<String, String>,
}

impl<'r> Asker<'r> {
    pub(super) fn new(prompter: &'r mut dyn Prompter, asked: Asked) -> Asker<'r> {
        Asker {
            prompter,
            last_prompt: asked.last_prompt,
            fingerprints: asked.fingerprints,
        }
    }

    pub(super) fn asked(self) -> Asked {
        Asked {
            last_prompt: self.last_prompt,
            fingerprints: self.fingerprints,
        }
    }

    pub(super) fn last_prompt(&self) -> Option<&String> {
        self.last_prompt.as_ref()
    }

    /// A secret given before in this run: it must be given again, not generated anew.
    pub(super) fn gave_secret(&self, id: &str) -> bool {
        self.fingerprints.contains_key(id)
    }

    /// The approver the prompter knows (an answers file's `approver:`).
    pub(super) fn approver(&self) -> Option<String> {
        self.prompter.approver()
    }

    /// How the secret just given for a question can be given again: its reference.
    pub(super) fn reference(&self, question: &Question) -> Option<Value> {
        self.prompter.reference(question)
    }

    /// Where answers come from, and who gives them, for the journal.
    pub(super) fn source(&self) -> String {
        self.prompter.source()
    }

    pub(super) fn who(&self) -> String {
        self.prompter.who()
    }

    /// Asks a question of a prompt step and checks the answer.
    pub(super) fn ask(&mut self, question: &Question) -> Result<Given, Failure> {
        let answer = self.prompter.ask(question)?;
        let id = &question.id;
        let given = match answer {
            Answer::Bool(b) => Given {
                value: Value::Bool(b),
                secret: None,
                fingerprint: None,
            },
            Answer::Text(t) => {
                if question.kind == PromptKind::Select
                    && !question.options.iter().any(|(v, _)| *v == t)
                {
                    let allowed: Vec<&str> =
                        question.options.iter().map(|(v, _)| v.as_str()).collect();
                    return Err(Failure::needs_input(format!(
                        "`{t}` is not an option of `{id}`; the options are: {}",
                        allowed.join(", ")
                    )));
                }
                if let Some(Err(problem)) = question
                    .validate
                    .as_deref()
                    .map(|v| crate::runbook::validators::check(v, &t))
                {
                    return Err(Failure::needs_input(format!(
                        "the answer to `{id}` cannot be used: {problem}; nothing was changed"
                    )));
                }
                Given {
                    value: Value::String(t),
                    secret: None,
                    fingerprint: None,
                }
            }
            Answer::Secret(s) => {
                if let Some(Err(problem)) = question.rules.as_ref().map(|r| r.check(s.expose())) {
                    return Err(Failure::needs_input(format!(
                        "the value given for `{id}` cannot be used: {problem}; nothing was changed"
                    )));
                }
                if let Some(earlier) = self.fingerprints.get(id)
                    && !super::secrets::same_secret(earlier, &s)
                {
                    return Err(Failure::needs_input(format!(
                        "the value given for `{id}` is not the one given earlier in this run (the journal keeps its salted hash); give the same one, or start a new run"
                    )));
                }
                let fingerprint = super::secrets::fingerprint(&s).map_err(Failure::journal)?;
                self.fingerprints.insert(id.clone(), fingerprint.clone());
                Given {
                    value: Value::String(super::context::REDACTED.into()),
                    secret: Some(s),
                    fingerprint: Some(fingerprint),
                }
            }
        };
        self.last_prompt = Some(id.clone());
        Ok(given)
    }

    /// Asks by when a suppression is reviewed: a date that passes the review-date check
    /// (a terminal asks again until one does). Without an answer (an answers file with no
    /// `review_by`) it is `default`, the runbook's period; the flag says so.
    pub(super) fn ask_review_date(
        &mut self,
        question: &Question,
        default: &str,
    ) -> Result<(String, bool), Failure> {
        let today = crate::findings::review::today();
        match self.prompter.ask(question) {
            Ok(Answer::Text(t)) => crate::findings::review::check_review_date(&t, today)
                .map(|d| (d.to_string(), false))
                .map_err(|problem| {
                    Failure::needs_input(format!(
                        "{}: `review_by` for {} on {} cannot be used: {problem}; nothing was changed",
                        self.prompter.source(),
                        question.control,
                        question.resource_keys.first().map_or("", String::as_str)
                    ))
                }),
            Ok(_) => Err(Failure::needs_input(format!(
                "{}: `review_by` must be a date, YYYY-MM-DD",
                self.prompter.source()
            ))),
            Err(PromptError::Missing(_)) => Ok((default.to_owned(), true)),
            Err(e) => Err(e.into()),
        }
    }

    /// Asks who signs a suppression off: a name that fits the finding note (a terminal asks
    /// again until one does).
    pub(super) fn ask_approver(&mut self, question: &Question) -> Result<String, Failure> {
        let question = Question {
            validate: Some(crate::runbook::validators::APPROVER.into()),
            ..question.clone()
        };
        match self.prompter.ask(&question) {
            Ok(Answer::Text(t)) => match crate::findings::check_approver(&t) {
                Ok(()) => Ok(t.trim().to_owned()),
                Err(problem) => Err(Failure::needs_input(format!(
                    "{problem}; nothing was changed"
                ))),
            },
            Ok(_) => Err(Failure::needs_input(
                "the approver's name cannot be empty".into(),
            )),
            Err(PromptError::Missing(_)) => Err(Failure::needs_input(
                "a suppression needs the approver's name: pass --approver NAME or set `approver:` in the answers file".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }
}

/// Choices read from the context: a list of texts, or of `{value, label}` objects.
pub(super) fn dynamic_options(found: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Array(items)) = found else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item {
            Value::String(s) => Some((s.clone(), s.clone())),
            Value::Object(o) => {
                let value = o.get("value")?.as_str()?.to_owned();
                let label = o
                    .get("label")
                    .and_then(Value::as_str)
                    .map_or_else(|| value.clone(), str::to_owned);
                Some((value, label))
            }
            _ => None,
        })
        .collect()
}
