//! Answer once for many. In a terminal session over several resources of one control, the
//! questions of the first resource are asked as usual; before the second resource's first
//! question the operator is offered to use the same answers for the others (listed), one
//! answer at a time, each ticked unless unticked. Only what is safe to copy is copied:
//! - a secret never (each resource gets its own token or generated file);
//! - an answer whose question offers other choices, or another default, for this resource
//!   (the default comes from the resource) takes this resource's own default, or is asked;
//! - an answer the operator unticked, or a question the first resource was not asked, is
//!   asked for each resource.
//!
//! Copying stops when the changes start: a question asked then is about that moment.

use crate::engine::{Answer, Question};
use crate::runbook::PromptKind;
use serde_json::Value;
use std::collections::HashMap;

/// The resources of one control in a session, as (resource key, name people know).
pub type Group = Vec<(String, String)>;

/// What was answered for the first resource of a control, and what may be reused.
struct Model {
    resource: String,
    name: String,
    asked: Vec<(Question, Answer)>,
    /// `None`: not offered yet; `Some(ids)`: the question ids the operator chose to reuse.
    reuse: Option<Vec<String>>,
}

/// How a question is answered.
pub enum Reply {
    /// Ask the operator.
    Ask,
    /// Offer the reuse first (the listed answers of `model` for `others`), then come back.
    Offer {
        control: String,
        model: String,
        others: Vec<String>,
        answers: Vec<(String, String)>,
    },
    /// Answered from the first resource: (the answer, what to show).
    Copied(Answer, String),
}

#[derive(Default)]
pub struct SameAnswers {
    groups: HashMap<String, Group>,
    models: HashMap<String, Model>,
    copying: bool,
}

fn shown(answer: &Answer) -> String {
    match answer {
        Answer::Bool(true) => "yes".into(),
        Answer::Bool(false) => "no".into(),
        Answer::Text(t) => t.clone(),
        Answer::Secret(_) => crate::engine::REDACTED.into(),
    }
}

impl SameAnswers {
    /// The session's resources, by control; only controls with several resources are offered.
    pub fn start(&mut self, groups: HashMap<String, Group>) {
        self.groups = groups;
        self.copying = true;
    }

    /// The changes start: from now on every question is asked.
    pub fn stop(&mut self) {
        self.copying = false;
    }

    fn resource(q: &Question) -> String {
        q.resource_keys.first().cloned().unwrap_or_default()
    }

    /// How to answer `q`.
    pub fn reply(&mut self, q: &Question) -> Reply {
        if !self.copying || q.id == "approver" {
            return Reply::Ask;
        }
        let Some(group) = self.groups.get(&q.control) else {
            return Reply::Ask;
        };
        if group.len() < 2 {
            return Reply::Ask;
        }
        let resource = Self::resource(q);
        let Some(model) = self.models.get(&q.control) else {
            return Reply::Ask;
        };
        if model.resource == resource {
            return Reply::Ask;
        }
        let Some(reuse) = &model.reuse else {
            let answers: Vec<(String, String)> = model
                .asked
                .iter()
                .filter(|(q, _)| q.kind != PromptKind::Secret)
                .map(|(q, a)| (q.id.clone(), shown(a)))
                .collect();
            if answers.is_empty() {
                return Reply::Ask;
            }
            return Reply::Offer {
                control: q.control.clone(),
                model: model.name.clone(),
                others: group
                    .iter()
                    .filter(|(key, _)| *key != model.resource)
                    .map(|(_, name)| name.clone())
                    .collect(),
                answers,
            };
        };
        if !reuse.contains(&q.id) {
            return Reply::Ask;
        }
        let Some((first, answer)) = model.asked.iter().rev().find(|(m, _)| m.id == q.id) else {
            return Reply::Ask;
        };
        match copy(first, answer, q) {
            Some(answer) => {
                let why = if same_choices(first, q) {
                    format!("same as {}", model.name)
                } else {
                    "its own default".to_owned()
                };
                let text = format!("{} = {} ({why})", q.id, shown(&answer));
                Reply::Copied(answer, text)
            }
            None => Reply::Ask,
        }
    }

    /// The operator's choice after an offer: the question ids to reuse.
    pub fn chosen(&mut self, control: &str, reuse: Vec<String>) {
        if let Some(model) = self.models.get_mut(control) {
            model.reuse = Some(reuse);
        }
    }

    /// An answer the operator gave: the first resource of a control is the model.
    pub fn answered(&mut self, q: &Question, answer: &Answer) {
        if !self.copying {
            return;
        }
        let resource = Self::resource(q);
        let name = q
            .resource_keys
            .last()
            .cloned()
            .unwrap_or_else(|| resource.clone());
        let model = self
            .models
            .entry(q.control.clone())
            .or_insert_with(|| Model {
                resource: resource.clone(),
                name,
                asked: Vec::new(),
                reuse: None,
            });
        if model.resource == resource && model.reuse.is_none() {
            model.asked.push((q.clone(), answer.clone()));
        }
    }
}

/// The question offers the same choices and default as the first resource's did.
fn same_choices(first: &Question, q: &Question) -> bool {
    first.kind == q.kind && first.options == q.options && first.default == q.default
}

/// The answer for `q` from the first resource's `answer` to `first`, if it is safe to copy.
fn copy(first: &Question, answer: &Answer, q: &Question) -> Option<Answer> {
    if q.kind == PromptKind::Secret || first.kind != q.kind {
        return None;
    }
    if same_choices(first, q) {
        return Some(answer.clone());
    }
    // The choices or the default come from the resource: its own default, if it has one.
    match (&q.kind, &q.default) {
        (PromptKind::Confirm, Some(Value::Bool(b))) => Some(Answer::Bool(*b)),
        (PromptKind::Select, Some(Value::String(d)))
            if q.options.iter().any(|(value, _)| value == d) =>
        {
            Some(Answer::Text(d.clone()))
        }
        (PromptKind::Input, Some(Value::String(d))) if !d.trim().is_empty() => {
            Some(Answer::Text(d.clone()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(id: &str, resource: &str, kind: PromptKind, default: Option<Value>) -> Question {
        Question {
            id: id.into(),
            kind,
            text: format!("{id} for {resource}?"),
            options: Vec::new(),
            validate: None,
            default,
            rules: None,
            generate: None,
            control: "Redshift.7".into(),
            resource_keys: vec![format!("arn:{resource}"), resource.into()],
        }
    }

    fn session() -> SameAnswers {
        let mut same = SameAnswers::default();
        let group = ["a", "b", "c"]
            .iter()
            .map(|r| (format!("arn:{r}"), (*r).to_owned()))
            .collect();
        same.start(HashMap::from([("Redshift.7".to_owned(), group)]));
        same
    }

    #[test]
    fn the_second_resource_is_offered_the_first_ones_answers_then_gets_them() {
        let mut same = session();
        let intended = question("intended", "a", PromptKind::Confirm, Some(false.into()));
        assert!(matches!(same.reply(&intended), Reply::Ask));
        same.answered(&intended, &Answer::Bool(false));
        let token = question("token", "a", PromptKind::Secret, None);
        same.answered(&token, &Answer::Text("x".into()));
        let window = question("window", "a", PromptKind::Input, Some("sat:17:00".into()));
        same.answered(&window, &Answer::Text("sun:01:00".into()));

        let b = question("intended", "b", PromptKind::Confirm, Some(false.into()));
        match same.reply(&b) {
            Reply::Offer {
                others, answers, ..
            } => {
                assert_eq!(others, ["b", "c"]);
                // A secret is never offered.
                assert_eq!(
                    answers,
                    [
                        ("intended".to_owned(), "no".to_owned()),
                        ("window".to_owned(), "sun:01:00".to_owned())
                    ]
                );
            }
            _ => panic!("an offer"),
        }
        same.chosen("Redshift.7", vec!["intended".into(), "window".into()]);
        assert!(matches!(
            same.reply(&b),
            Reply::Copied(Answer::Bool(false), _)
        ));
        // A secret is asked for each resource.
        let token_b = question("token", "b", PromptKind::Secret, None);
        assert!(matches!(same.reply(&token_b), Reply::Ask));
        // A default read from the resource: this resource's own.
        let window_b = question("window", "b", PromptKind::Input, Some("mon:03:00".into()));
        match same.reply(&window_b) {
            Reply::Copied(Answer::Text(t), why) => {
                assert_eq!(t, "mon:03:00");
                assert!(why.contains("its own default"), "{why}");
            }
            _ => panic!("its own default"),
        }
        // Once the changes start, everything is asked.
        same.stop();
        assert!(matches!(same.reply(&b), Reply::Ask));
    }

    #[test]
    fn an_unticked_answer_and_other_choices_are_asked() {
        let mut same = session();
        let mut pick = question("instance", "a", PromptKind::Select, None);
        pick.options = vec![("i-1".into(), "i-1".into()), ("i-2".into(), "i-2".into())];
        same.answered(&pick, &Answer::Text("i-2".into()));
        let reason = question("reason", "a", PromptKind::Input, None);
        same.answered(&reason, &Answer::Text("legacy".into()));
        let mut pick_b = question("instance", "b", PromptKind::Select, None);
        pick_b.options = vec![("i-3".into(), "i-3".into())];
        assert!(matches!(same.reply(&pick_b), Reply::Offer { .. }));
        same.chosen("Redshift.7", vec!["instance".into()]);
        // Other choices and no default: asked.
        assert!(matches!(same.reply(&pick_b), Reply::Ask));
        // Unticked: asked.
        let reason_b = question("reason", "b", PromptKind::Input, None);
        assert!(matches!(same.reply(&reason_b), Reply::Ask));
    }
}
