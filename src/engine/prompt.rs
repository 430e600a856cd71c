//! The one seam every question goes through. Three prompters answer it: the terminal
//! (`ui::TerminalPrompter`), an answers file ([`super::AnswersPrompter`]) and a script for
//! tests ([`super::ScriptedPrompter`]). The engine never knows which one it talks to.

use crate::runbook::{PromptKind, SecretRules};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

/// A secret answer: shown, logged and journaled as `<redacted>`, whatever formats it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        super::secrets::remember(&value);
        Secret(value)
    }

    /// The secret itself, for the one place that sends it to AWS.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One question, rendered for the operator.
#[derive(Debug, Clone)]
pub struct Question {
    /// The prompt step's id, the key in answers files.
    pub id: String,
    pub kind: PromptKind,
    pub text: String,
    /// (value, label) pairs of a select prompt.
    pub options: Vec<(String, String)>,
    /// For an input: the named check its answer must pass.
    pub validate: Option<String>,
    pub default: Option<Value>,
    /// For a secret: the rules its value must meet.
    pub rules: Option<SecretRules>,
    /// For a secret: offer to generate a value of this length into a file.
    pub generate: Option<usize>,
    /// The control and the names the resource goes by (ARN, identifier), for answers files.
    pub control: String,
    pub resource_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Bool(bool),
    Text(String),
    Secret(Secret),
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PromptError {
    /// No answer in a non-interactive run; says which key to add.
    #[error("{0}")]
    Missing(String),
    /// An answer that does not fit the question.
    #[error("{0}")]
    Invalid(String),
    /// The operator pressed Ctrl-C or Esc.
    #[error("stopped at the operator's request")]
    Interrupted,
    #[error("cannot ask `{id}`: {message}")]
    Io { id: String, message: String },
}

/// Asks questions and says who answered.
pub trait Prompter: Send {
    fn ask(&mut self, question: &Question) -> Result<Answer, PromptError>;
    /// Where answers come from: `terminal`, `answers file PATH`, `script`.
    fn source(&self) -> String;
    /// Who gave the answers, as recorded in the journal.
    fn who(&self) -> String;
    /// The approver the answers source names, if any.
    fn approver(&self) -> Option<String> {
        None
    }
    /// Whether a question may wait on a person (a terminal does; a file or a saved plan
    /// answers at once).
    fn asks_people(&self) -> bool {
        true
    }
    /// The session's resources by control, as (resource key, name): a prompter may offer
    /// to reuse the first resource's answers for the others (the terminal does).
    fn offer_same_answers(&mut self, _groups: HashMap<String, Vec<(String, String)>>) {}
    /// Every question before the changes has been asked: later questions are about their
    /// own moment, never answered from another resource.
    fn changes_start(&mut self) {}
    /// How a secret just given for this question can be given again without a person: its
    /// `{env: NAME}` or `{file: PATH}` reference, which a saved plan keeps. `None`: typed.
    fn reference(&self, _question: &Question) -> Option<Value> {
        None
    }
}
