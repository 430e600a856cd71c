//! The run context templates and conditions read: the finding, the resource, the run,
//! earlier step outputs and answers. Secrets live beside it, never in it, so anything
//! rendered from the context for a person or the journal cannot carry one.

use super::prompt::Secret;
use crate::findings::{Finding, FindingRef, resource_name};
use crate::runbook::prose;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The resource a run works on, and the finding that named it (if any).
#[derive(Debug, Clone)]
pub struct Target {
    pub control: String,
    /// ARN or identifier, as given or as the finding has it.
    pub resource: String,
    pub region: Option<String>,
    pub finding: Option<Finding>,
    /// Other findings of the same control on the same resource (hubs without consolidated
    /// control findings have one per standard); they are marked along with `finding`.
    pub also: Vec<FindingRef>,
    /// The role assumed to act in the resource's account; `None`: the credentials' own.
    pub role: Option<String>,
}

impl Target {
    /// The findings a finding update marks: the target's finding, then the `also` ones.
    pub fn finding_refs(&self) -> Vec<FindingRef> {
        let mut refs: Vec<FindingRef> = self.finding.iter().map(FindingRef::from).collect();
        refs.extend(self.also.iter().cloned());
        refs
    }

    /// The ARN partition of the resource (`aws`, `aws-cn`, ...), `aws` for a bare name.
    pub fn partition(&self) -> String {
        crate::findings::arn_partition(&self.resource)
    }

    /// The resource as people know it: the finding's identifier for it (a DMS instance's,
    /// not the internal id its ARN ends in), else the last part of the ARN or name given.
    pub fn name(&self) -> &str {
        match &self.finding {
            Some(f) if f.resource_id == self.resource => f.name(),
            _ => resource_name(&self.resource),
        }
    }

    /// The account of the resource: the finding's, else the ARN's.
    pub fn account(&self) -> Option<String> {
        crate::findings::arn_account(&self.resource).or_else(|| self.finding_account())
    }

    fn finding_account(&self) -> Option<String> {
        self.finding
            .as_ref()
            .map(|f| f.account.clone())
            .filter(|a| !a.is_empty())
    }

    /// A finding whose `AwsAccountId` and resource ARN disagree: which account it is about
    /// cannot be told, and a guess could change a same-named resource of the wrong account.
    pub fn account_disagreement(&self) -> Option<String> {
        let arn = crate::findings::arn_account(&self.resource)?;
        let said = self.finding_account()?;
        (arn != said).then(|| {
            format!(
                "finding {} says account {said}, but its resource {} is in account {arn}; hubfix refuses a finding whose account and resource disagree (check the product that sent it)",
                self.finding.as_ref().map_or("", |f| f.id.as_str()),
                self.resource
            )
        })
    }

    /// The keys an answers file may use for this resource.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = vec![self.resource.clone()];
        if self.name() != self.resource {
            keys.push(self.name().to_owned());
        }
        keys
    }
}

pub const REDACTED: &str = "<redacted>";

/// The operating-system user running hubfix, recorded as who acted.
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

pub struct Context {
    pub value: Value,
    secrets: BTreeMap<String, Secret>,
}

impl Context {
    pub fn new(target: &Target, run_id: &str, approver: Option<&str>) -> Context {
        let arn = target
            .resource
            .starts_with("arn:")
            .then(|| target.resource.clone());
        Context {
            value: json!({
                "finding": target.finding,
                "resource": {
                    "id": target.resource,
                    "arn": arn,
                    "name": target.name(),
                    "region": target.region,
                },
                "run": {
                    "id": run_id,
                    "control": target.control,
                    "date": chrono::Utc::now().format("%Y-%m-%d").to_string(),
                    "approver": approver,
                },
                "steps": {},
                "answers": {},
            }),
            secrets: BTreeMap::new(),
        }
    }

    pub fn from_value(value: Value) -> Context {
        Context {
            value,
            secrets: BTreeMap::new(),
        }
    }

    fn section(&mut self, name: &str) -> &mut serde_json::Map<String, Value> {
        if !self.value[name].is_object() {
            self.value[name] = json!({});
        }
        self.value[name].as_object_mut().expect("an object section")
    }

    pub fn set_output(&mut self, step: &str, output: Value) {
        self.section("steps").insert(step.to_owned(), output);
    }

    pub fn set_answer(&mut self, step: &str, value: Value) {
        self.section("answers").insert(step.to_owned(), value);
    }

    pub fn remove_answer(&mut self, step: &str) {
        self.section("answers").remove(step);
    }

    pub fn set_secret(&mut self, step: &str, secret: Secret) {
        self.set_answer(step, Value::String(REDACTED.into()));
        self.secrets.insert(step.to_owned(), secret);
    }

    pub fn answer(&self, step: &str) -> Option<&Value> {
        self.value["answers"].get(step)
    }

    pub fn approver(&self) -> Option<String> {
        self.value["run"]["approver"].as_str().map(str::to_owned)
    }

    /// Who signs a note off when no approver is named: the credentials' identity (STS ARN),
    /// else the OS user. Never "unknown" when the identity is known. In a saved plan that
    /// names no approver it is `<from run.signer>`: whoever applies the plan signs.
    pub fn signer(&self) -> String {
        let signer = &self.value["run"]["signer"];
        self.approver()
            .or_else(|| signer.as_str().map(str::to_owned))
            .or_else(|| crate::runbook::deferred_from(signer).map(|_| prose(signer)))
            .unwrap_or_else(os_user)
    }

    /// The run's date, as notes show it (`<from run.date>` in a saved plan).
    pub fn date(&self) -> String {
        prose(&self.value["run"]["date"])
    }

    /// The SHA-256 of the saved plan the run applies (`<from run.plan>` while the plan is
    /// being saved), for the finding notes.
    pub fn plan(&self) -> Option<String> {
        let plan = &self.value["run"]["plan"];
        (!plan.is_null()).then(|| prose(plan))
    }

    /// Sets the saved plan the run applies.
    pub fn set_plan(&mut self, plan: Value) {
        self.section("run").insert("plan".into(), plan);
    }

    /// Sets a run value known only when the plan is applied (a saved plan's context).
    pub fn defer_run_value(&mut self, key: &str) {
        self.section("run")
            .insert(key.into(), crate::runbook::deferred(&format!("run.{key}")));
    }

    /// Sets the credentials' identity, for [`Context::signer`].
    pub fn set_signer(&mut self, signer: Option<&str>) {
        if let Some(s) = signer {
            self.section("run")
                .insert("signer".into(), Value::String(s.to_owned()));
        }
    }

    /// The session the run belongs to (`run.session`); its finding lock names it.
    pub fn session(&self) -> Option<&str> {
        self.value["run"]["session"].as_str()
    }

    pub fn set_session(&mut self, session: &str) {
        self.section("run")
            .insert("session".into(), Value::String(session.to_owned()));
    }

    pub fn set_approver(&mut self, approver: &str) {
        self.section("run")
            .insert("approver".into(), Value::String(approver.to_owned()));
    }

    /// The review date of the run's suppression (`run.review_by`), once given.
    pub fn review_by(&self) -> Option<String> {
        self.value["run"]["review_by"].as_str().map(str::to_owned)
    }

    pub fn set_review_by(&mut self, date: &str) {
        self.section("run")
            .insert("review_by".into(), Value::String(date.to_owned()));
    }

    /// The context with secrets in place, only for rendering what is sent to AWS.
    pub fn with_secrets(&self) -> Value {
        let mut value = self.value.clone();
        for (step, secret) in &self.secrets {
            value["answers"][step] = Value::String(secret.expose().to_owned());
        }
        value
    }

    /// Replaces every string that contains a secret with `<redacted>`.
    pub fn redact(&self, value: Value) -> Value {
        match value {
            Value::String(s)
                if self
                    .secrets
                    .values()
                    .any(|sec| !sec.expose().is_empty() && s.contains(sec.expose())) =>
            {
                Value::String(REDACTED.into())
            }
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.redact(v)).collect())
            }
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, self.redact(v))).collect())
            }
            other => other,
        }
    }

    /// Redacts secrets out of a free text (error messages from AWS, for instance).
    pub fn redact_text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in self.secrets.values() {
            if !secret.expose().is_empty() {
                out = out.replace(secret.expose(), REDACTED);
            }
        }
        out
    }
}
