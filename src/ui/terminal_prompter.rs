//! Questions on a terminal with dialoguer. Esc or Ctrl-C stops the run (exit 3, journal
//! saved); a secret is typed twice and never echoed. Question texts and choices may hold
//! words from AWS, so their control characters are shown as visible escapes.

use super::printer::safe;
use super::same_answers::{Reply, SameAnswers};
use crate::engine::{Answer, PromptError, Prompter, Question, Secret};
use crate::runbook::PromptKind;
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, MultiSelect, Password, Select};
use std::collections::HashMap;
use std::path::Path;

pub struct TerminalPrompter {
    theme: ColorfulTheme,
    approver: Option<String>,
    same: SameAnswers,
    /// The files secrets were generated into, by prompt id: a saved plan reads them there.
    generated: std::collections::BTreeMap<String, String>,
}

impl TerminalPrompter {
    pub fn new(approver: Option<String>) -> Self {
        TerminalPrompter {
            theme: ColorfulTheme::default(),
            approver,
            same: SameAnswers::default(),
            generated: Default::default(),
        }
    }

    /// Offers the first resource's answers for the others of its control: each answer
    /// ticked, untick what must be asked per resource. The ticked question ids.
    fn offer(
        &self,
        control: &str,
        model: &str,
        others: &[String],
        answers: &[(String, String)],
    ) -> Result<Vec<String>, PromptError> {
        const LISTED: usize = 6;
        let mut names = others
            .iter()
            .take(LISTED)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if others.len() > LISTED {
            names.push_str(&format!(" and {} more", others.len() - LISTED));
        }
        let items: Vec<String> = answers
            .iter()
            .map(|(id, answer)| safe(&format!("{id}: {answer}")).into_owned())
            .collect();
        let ticks = vec![true; items.len()];
        let text = format!(
            "Use the answers given for {model} for the other {} {control} resources ({names})? Space unticks one to ask it for each resource, Enter confirms",
            others.len()
        );
        let chosen = MultiSelect::with_theme(&self.theme)
            .with_prompt(safe(&text))
            .items(&items)
            .defaults(&ticks)
            .interact_opt()
            .map_err(|e| io_error("same_answers", e))?
            .ok_or(PromptError::Interrupted)?;
        Ok(chosen.into_iter().map(|i| answers[i].0.clone()).collect())
    }
}

fn io_error(id: &str, e: dialoguer::Error) -> PromptError {
    let dialoguer::Error::IO(io) = e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        return PromptError::Interrupted;
    }
    PromptError::Io {
        id: id.to_owned(),
        message: io.to_string(),
    }
}

impl TerminalPrompter {
    fn ask_once(&mut self, q: &Question) -> Result<Answer, PromptError> {
        let id = q.id.as_str();
        match q.kind {
            PromptKind::Confirm => {
                let mut c = Confirm::with_theme(&self.theme).with_prompt(safe(&q.text));
                if let Some(d) = q.default.as_ref().and_then(|d| d.as_bool()) {
                    c = c.default(d);
                }
                c.interact_opt()
                    .map_err(|e| io_error(id, e))?
                    .map(Answer::Bool)
                    .ok_or(PromptError::Interrupted)
            }
            PromptKind::Select => {
                let labels: Vec<String> = q
                    .options
                    .iter()
                    .map(|(_, l)| safe(l).into_owned())
                    .collect();
                let default = q
                    .default
                    .as_ref()
                    .and_then(|d| d.as_str())
                    .and_then(|d| q.options.iter().position(|(v, _)| v == d))
                    .unwrap_or(0);
                let chosen = Select::with_theme(&self.theme)
                    .with_prompt(safe(&q.text))
                    .items(&labels)
                    .default(default)
                    .interact_opt()
                    .map_err(|e| io_error(id, e))?
                    .ok_or(PromptError::Interrupted)?;
                Ok(Answer::Text(q.options[chosen].0.clone()))
            }
            PromptKind::Input => {
                let mut input = Input::<String>::with_theme(&self.theme).with_prompt(safe(&q.text));
                // A default is both shown and taken as the answer: one holding a control
                // character (read from AWS) is not offered rather than shown altered.
                if let Some(d) = q
                    .default
                    .as_ref()
                    .and_then(|d| d.as_str())
                    .filter(|d| !d.chars().any(crate::text::is_unsafe))
                {
                    input = input.default(d.to_owned());
                }
                let check = q.validate.clone();
                input
                    .validate_with(move |s: &String| {
                        if s.trim().is_empty() {
                            return Err("an answer is needed".to_owned());
                        }
                        match &check {
                            Some(name) => crate::runbook::validators::check(name, s.trim())
                                .map_err(|problem| safe(&problem).into_owned()),
                            None => Ok(()),
                        }
                    })
                    .interact_text()
                    .map(|s| Answer::Text(s.trim().to_owned()))
                    .map_err(|e| io_error(id, e))
            }
            PromptKind::Secret => self.secret(q),
        }
    }

    /// Typed twice (checked against the runbook's rules as it is typed), or generated into
    /// a new file when the runbook allows it; the value is never shown.
    fn secret(&mut self, q: &Question) -> Result<Answer, PromptError> {
        let id = q.id.as_str();
        if let (Some(rules), Some(length)) = (&q.rules, q.generate) {
            let how = Select::with_theme(&self.theme)
                .with_prompt(safe(&q.text))
                .items([
                    "Type it".to_owned(),
                    format!("Generate a random {length}-character value and save it to a new file readable only by you"),
                ])
                .default(0)
                .interact_opt()
                .map_err(|e| io_error(id, e))?
                .ok_or(PromptError::Interrupted)?;
            if how == 1 {
                let name = q.resource_keys.last().map_or("secret", String::as_str);
                let path: String = Input::with_theme(&self.theme)
                    .with_prompt("Save it to")
                    .default(format!("./{name}-{id}.txt"))
                    .interact_text()
                    .map_err(|e| io_error(id, e))?;
                let secret =
                    crate::engine::secrets::generate_to_file(rules, length, Path::new(&path))
                        .map_err(|e| PromptError::Io {
                            id: id.to_owned(),
                            message: e.to_string(),
                        })?;
                eprintln!(
                    "Saved to {} (mode 0600); give it to the clients from there. hubfix never shows it.",
                    safe(&path)
                );
                let absolute = std::path::absolute(&path).map_or(path, |p| p.display().to_string());
                self.generated.insert(q.id.clone(), absolute);
                return Ok(Answer::Secret(secret));
            }
        }
        let rules = q.rules.clone();
        Password::with_theme(&self.theme)
            .with_prompt(safe(&q.text))
            .with_confirmation("Repeat", "The two entries differ; try again")
            .validate_with(move |s: &String| match &rules {
                Some(r) => r.check(s),
                None => Ok(()),
            })
            .interact()
            .map(|s| Answer::Secret(Secret::new(s)))
            .map_err(|e| io_error(id, e))
    }
}

impl Prompter for TerminalPrompter {
    fn ask(&mut self, q: &Question) -> Result<Answer, PromptError> {
        loop {
            match self.same.reply(q) {
                Reply::Ask => break,
                Reply::Copied(answer, shown) => {
                    let name = q.resource_keys.last().map_or("", String::as_str);
                    eprintln!(
                        "  {} {}: {}",
                        console::style("↳").dim(),
                        safe(name),
                        safe(&shown)
                    );
                    return Ok(answer);
                }
                Reply::Offer {
                    control,
                    model,
                    others,
                    answers,
                } => {
                    let reuse = self.offer(&control, &model, &others, &answers)?;
                    self.same.chosen(&control, reuse);
                }
            }
        }
        let answer = self.ask_once(q);
        if let Ok(given) = &answer {
            self.same.answered(q, given);
        }
        // One sign-off per session: the approver, once named, signs every later run too.
        if q.id == "approver"
            && let Ok(Answer::Text(name)) = &answer
        {
            self.approver = Some(name.clone());
        }
        answer
    }

    fn source(&self) -> String {
        "terminal".into()
    }

    fn who(&self) -> String {
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    }

    fn reference(&self, q: &Question) -> Option<serde_json::Value> {
        let path = self.generated.get(&q.id)?;
        Some(serde_json::json!({ "file": path }))
    }

    fn offer_same_answers(&mut self, groups: HashMap<String, Vec<(String, String)>>) {
        self.same.start(groups);
    }

    fn changes_start(&mut self) {
        self.same.stop();
    }

    fn approver(&self) -> Option<String> {
        // Given with --approver, or answered once in this session: the sign-off of every run.
        self.approver
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
    }
}
