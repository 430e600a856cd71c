//! A prompter answering from a script, for engine tests: every question asked is recorded
//! so a test can check what the operator would have been asked, and in which order.

use super::prompt::{Answer, PromptError, Prompter, Question};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct ScriptedPrompter {
    answers: HashMap<String, Answer>,
    pub asked: Vec<Question>,
}

impl ScriptedPrompter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn answer(mut self, id: &str, answer: Answer) -> Self {
        self.answers.insert(id.to_owned(), answer);
        self
    }

    pub fn yes(self, id: &str) -> Self {
        self.answer(id, Answer::Bool(true))
    }

    pub fn no(self, id: &str) -> Self {
        self.answer(id, Answer::Bool(false))
    }

    pub fn text(self, id: &str, text: &str) -> Self {
        self.answer(id, Answer::Text(text.to_owned()))
    }

    pub fn asked_ids(&self) -> Vec<&str> {
        self.asked.iter().map(|q| q.id.as_str()).collect()
    }
}

impl Prompter for ScriptedPrompter {
    fn ask(&mut self, question: &Question) -> Result<Answer, PromptError> {
        self.asked.push(question.clone());
        self.answers.get(&question.id).cloned().ok_or_else(|| {
            PromptError::Missing(format!("the script has no answer for `{}`", question.id))
        })
    }

    fn source(&self) -> String {
        "script".into()
    }

    fn who(&self) -> String {
        "script".into()
    }
}
