//! Validation of a raw runbook into a [`Plan`]: every `next`, branch and approval names a
//! real step, every step is reachable, every variable is defined, every call exists with
//! the parameters it takes. The engine walks plans and never re-checks any of this.

use super::condition::Condition;
use super::error::{Location, RunbookError};
use super::model::*;
use super::secret_rules::SecretRules;
use super::template::{Params, Path, Template};
use super::text::{Lang, Text};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path as FsPath, PathBuf};
use std::time::Duration;

/// What validation needs to know of an API call; the `actions` catalog provides it.
#[derive(Debug, Clone, Copy)]
pub struct CallSignature {
    pub mutating: bool,
    /// Parameter names and whether each is required.
    pub params: &'static [(&'static str, bool)],
}

/// The calls a runbook may make, by name.
pub trait CallCatalog {
    fn signature(&self, call: &str) -> Option<CallSignature>;
    fn names(&self) -> Vec<&'static str>;
}

/// A text in both languages, with templates.
#[derive(Debug, Clone)]
pub struct Message {
    en: Template,
    ja: Template,
}

impl Message {
    pub fn render(&self, lang: Lang, context: &Value) -> String {
        // Both languages were checked at load time; either renders.
        match lang {
            Lang::En => self.en.render(context),
            Lang::Ja => self.ja.render(context),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Confirm,
    Select,
    Input,
    Secret,
}

impl PromptKind {
    pub fn name(self) -> &'static str {
        match self {
            PromptKind::Confirm => "confirm",
            PromptKind::Select => "select",
            PromptKind::Input => "input",
            PromptKind::Secret => "secret",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SelectOption {
    pub value: String,
    pub label: Text,
}

/// How a run ends; each maps to an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Compliant,
    Suppressed,
    Fixed,
    Stopped,
    Failed,
    /// A needed answer was missing or invalid (exit 2).
    NeedsInput,
    TimedOut,
    /// A saved plan no longer fits the resource (its state changed, or the run would send
    /// other requests than planned): refused before the change (exit 1; `apply` ends with 2
    /// when nothing at all was applied). Never a runbook's own outcome.
    Refused,
}

impl Outcome {
    pub fn exit_status(self) -> crate::exit::ExitStatus {
        use crate::exit::ExitStatus;
        match self {
            Outcome::Compliant | Outcome::Suppressed | Outcome::Fixed => ExitStatus::Success,
            Outcome::Failed | Outcome::Refused => ExitStatus::Failed,
            Outcome::NeedsInput => ExitStatus::Usage,
            Outcome::Stopped => ExitStatus::Stopped,
            Outcome::TimedOut => ExitStatus::TimedOut,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Compliant => "compliant",
            Outcome::Suppressed => "suppressed",
            Outcome::Fixed => "fixed",
            Outcome::Stopped => "stopped",
            Outcome::Failed => "failed",
            Outcome::NeedsInput => "needs_input",
            Outcome::TimedOut => "timed_out",
            Outcome::Refused => "refused",
        }
    }
}

#[derive(Debug, Clone)]
pub struct WaitSpec {
    pub call: String,
    pub params: Params,
    pub status: Path,
    pub ready: Vec<String>,
    pub failed: Vec<String>,
    pub pending: Option<Path>,
    pub until: Option<Condition>,
    pub gone_is_ready: bool,
    pub text: Message,
}

/// An action sent once per item: `items` is the list, `only` filters it (`item.*`).
#[derive(Debug, Clone)]
pub struct ForEach {
    pub items: Path,
    pub only: Option<Condition>,
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Prompt {
        kind: PromptKind,
        text: Message,
        options: Vec<SelectOption>,
        /// Choices read from the context when asked, before `options`.
        options_from: Option<Path>,
        /// Input only: a named check of the answer.
        validate: Option<String>,
        default: Option<Value>,
        /// Secrets only.
        rules: Option<SecretRules>,
        generate: Option<usize>,
    },
    Action {
        call: String,
        mutating: bool,
        params: Params,
        approved_by: Option<usize>,
        text: Option<Message>,
        /// One request per item of a list.
        for_each: Option<ForEach>,
    },
    Wait(WaitSpec),
    Assert {
        call: Option<String>,
        params: Params,
        that: Condition,
        text: Message,
    },
    Note {
        text: Message,
    },
    Suppress {
        approved_by: usize,
        note: Message,
        /// The default review date, in days from the suppression.
        review_days: u32,
    },
    Resolve {
        approved_by: usize,
        note: Message,
    },
    End {
        outcome: Outcome,
        text: Message,
        /// A failed end that `hubfix resume` goes on from this step (by index).
        resume_at: Option<usize>,
    },
}

impl StepKind {
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Prompt { .. } => "prompt",
            StepKind::Action { .. } => "action",
            StepKind::Wait(_) => "wait",
            StepKind::Assert { .. } => "assert",
            StepKind::Note { .. } => "note",
            StepKind::Suppress { .. } => "suppress",
            StepKind::Resolve { .. } => "resolve",
            StepKind::End { .. } => "end",
        }
    }

    /// The confirm prompt that approves this step, when the step changes something.
    pub fn approved_by(&self) -> Option<usize> {
        match self {
            StepKind::Action {
                approved_by,
                mutating: true,
                ..
            } => *approved_by,
            StepKind::Suppress { approved_by, .. } | StepKind::Resolve { approved_by, .. } => {
                Some(*approved_by)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub when: Condition,
    pub next: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    Abort,
    Continue,
    Goto(usize),
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub location: Location,
    pub kind: StepKind,
    pub when: Option<Condition>,
    /// Where to go after the step; `None` only for `end` steps.
    pub next: Option<usize>,
    pub branches: Vec<Branch>,
    pub on_failure: OnFailure,
    pub timeout: Option<Duration>,
}

/// A checked runbook, ready to walk.
#[derive(Debug, Clone)]
pub struct Plan {
    pub control: String,
    pub title: Text,
    pub severity: String,
    pub resource_type: String,
    /// Where the resource's own name is, once described.
    pub resource_name: Option<Path>,
    pub footprint: Footprint,
    pub source: PathBuf,
    pub steps: Vec<Step>,
}

/// Where a run's footprint is in its context: the ARNs it may delete and change.
#[derive(Debug, Clone, Default)]
pub struct Footprint {
    pub deletes: Vec<Path>,
    pub changes: Vec<Path>,
}

impl Plan {
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    /// The fields of the resource state that the runbook's conditions and calls use: every
    /// `steps.<id>...` path read by a `when`, a branch, a `for_each` (its list and filter),
    /// an assertion, or the parameters of an action, a wait or an assertion's call; sorted,
    /// each once. A `for_each` list is narrowed to the fields of its items that the step
    /// reads (`steps.tasks.Tasks[*].MigrationType`), so a field nothing uses (a running
    /// task's progress) is not part of it. A saved plan records their values.
    pub fn state_paths(&self) -> Vec<StateField> {
        fn whole(paths: &mut dyn Iterator<Item = &Path>, fields: &mut Vec<StateField>) {
            fields.extend(paths.filter(|p| p.root() != "item").map(|p| StateField {
                path: p.clone(),
                each: None,
            }));
        }
        let mut fields: Vec<StateField> = Vec::new();
        for step in &self.steps {
            whole(
                &mut step.when.iter().flat_map(Condition::paths),
                &mut fields,
            );
            whole(
                &mut step.branches.iter().flat_map(|b| b.when.paths()),
                &mut fields,
            );
            match &step.kind {
                StepKind::Action {
                    params, for_each, ..
                } => {
                    whole(&mut params.paths().into_iter(), &mut fields);
                    if let Some(each) = for_each {
                        let only = each.only.iter().flat_map(Condition::paths);
                        let read: Vec<&Path> = params
                            .paths()
                            .into_iter()
                            .chain(only)
                            .filter(|p| p.root() == "item")
                            .collect();
                        whole(
                            &mut each.only.iter().flat_map(Condition::paths),
                            &mut fields,
                        );
                        for item in read {
                            let field = (item.0.len() > 1).then(|| Path(item.0[1..].to_vec()));
                            fields.push(StateField {
                                path: each.items.clone(),
                                each: field,
                            });
                        }
                    }
                }
                StepKind::Wait(spec) => whole(&mut spec.params.paths().into_iter(), &mut fields),
                StepKind::Assert { params, that, .. } => {
                    whole(&mut params.paths().into_iter(), &mut fields);
                    whole(&mut that.paths(), &mut fields);
                }
                _ => {}
            }
        }
        let mut state: Vec<StateField> = fields
            .into_iter()
            .filter(|f| f.path.root() == "steps" && f.path.0.len() > 1)
            .collect();
        state.sort_by_key(StateField::key);
        state.dedup_by_key(|f| f.key());
        state
    }
}

/// A field of the resource state a runbook reads: a context path, or one field of every
/// item of a list (`each`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateField {
    pub path: Path,
    pub each: Option<Path>,
}

impl StateField {
    /// Its name: `steps.cluster.VpcId`, `steps.tasks.Tasks[*].MigrationType`.
    pub fn key(&self) -> String {
        let path = self.path.0.join(".");
        match &self.each {
            None => path,
            Some(each) => format!("{path}[*].{}", each.0.join(".")),
        }
    }

    /// The field named by [`StateField::key`].
    pub fn parse(key: &str) -> Option<StateField> {
        match key.split_once("[*].") {
            None => Some(StateField {
                path: Path::parse(key).ok()?,
                each: None,
            }),
            Some((path, each)) => Some(StateField {
                path: Path::parse(path).ok()?,
                each: Some(Path::parse(each).ok()?),
            }),
        }
    }

    /// The step whose output holds it.
    pub fn step(&self) -> &str {
        self.path.0.get(1).map_or("", String::as_str)
    }

    /// Its value in a context: `null` when absent; for `each`, the list of that field of
    /// every item, as a `for_each` goes over them (a single value is one item).
    pub fn value(&self, context: &Value) -> Value {
        let found = self.path.lookup(context).cloned().unwrap_or(Value::Null);
        let Some(each) = &self.each else {
            return found;
        };
        let field = |item: &Value| each.lookup(item).cloned().unwrap_or(Value::Null);
        match found {
            Value::Null => Value::Null,
            Value::Array(items) => Value::Array(items.iter().map(field).collect()),
            other => Value::Array(vec![field(&other)]),
        }
    }
}

/// Parses `90s`, `30m`, `2h`, `500ms`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs),
        "h" => n.checked_mul(3600).map(Duration::from_secs),
        _ => None,
    }
}

/// The longest `timeout` a step may have: a run is watched by a person, and a wait that
/// should take longer is better resumed (`hubfix resume`) than left running for days.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest default review period of a suppression (`review_days`): three years.
pub const MAX_REVIEW_DAYS: u32 = crate::findings::review::MAX_REVIEW_DAYS as u32;

/// Step ids the engine asks under itself: the approver of a suppression and its review date.
const RESERVED_IDS: [&str; 2] = ["approver", "review_by"];

/// The lengths `generate` may ask for: at least 16 characters, so a generated secret is never
/// weak, and at most 128, the longest AWS takes for the tokens and passwords hubfix sets
/// (an ElastiCache AUTH token is 16 to 128 printable characters).
pub const GENERATE_LENGTHS: std::ops::RangeInclusive<usize> = 16..=128;

const ROOTS: &str = "finding.*, resource.*, run.*, steps.<step id>.*, answers.<prompt id>";
const ITEM_ROOT: &str = ", item.* (in a `for_each` step)";

struct Checker<'a> {
    file: &'a FsPath,
    ids: HashMap<String, usize>,
    raw: &'a [serde_saphyr::Spanned<RawStep>],
    catalog: &'a dyn CallCatalog,
    errors: Vec<RunbookError>,
    /// Checking a `for_each` step, where `item.*` is a variable.
    item_allowed: bool,
}

fn common(step: &RawStep) -> Common<'_> {
    macro_rules! pick {
        ($s:expr) => {
            Common {
                id: &$s.id,
                when: $s.when.as_ref(),
                next: $s.next.as_ref(),
                branches: &$s.branches,
                on_failure: $s.on_failure.as_ref(),
                timeout: $s.timeout.as_ref(),
            }
        };
    }
    match step {
        RawStep::Prompt(s) => pick!(s),
        RawStep::Action(s) => pick!(s),
        RawStep::Wait(s) => pick!(s),
        RawStep::Assert(s) => pick!(s),
        RawStep::Note(s) => pick!(s),
        RawStep::Suppress(s) => pick!(s),
        RawStep::Resolve(s) => pick!(s),
        RawStep::End(s) => pick!(s),
    }
}

type Sp<T> = serde_saphyr::Spanned<T>;

struct Common<'a> {
    id: &'a Sp<String>,
    when: Option<&'a Sp<String>>,
    next: Option<&'a Sp<String>>,
    branches: &'a [RawBranch],
    on_failure: Option<&'a RawOnFailure>,
    timeout: Option<&'a Sp<String>>,
}

impl Checker<'_> {
    fn loc(&self, spanned_loc: &serde_saphyr::Location) -> Location {
        Location::new(self.file, spanned_loc)
    }

    fn err(&mut self, at: &serde_saphyr::Location, message: impl Into<String>) {
        let location = self.loc(at);
        self.errors.push(RunbookError::new(location, message));
    }

    fn target(&mut self, name: &Sp<String>, what: &str) -> Option<usize> {
        match self.ids.get(name.value.as_str()) {
            Some(&i) => Some(i),
            None => {
                let known: Vec<&str> = self
                    .raw
                    .iter()
                    .map(|s| common(&s.value).id.value.as_str())
                    .collect();
                self.err(
                    &name.referenced,
                    format!(
                        "{what} names no step: `{}`; the steps are: {}",
                        name.value,
                        known.join(", ")
                    ),
                );
                None
            }
        }
    }

    /// Checks that a variable path starts at a context root and names real steps.
    fn check_path(&mut self, path: &Path, at: &serde_saphyr::Location, output_allowed: bool) {
        let ok = match path.root() {
            "finding" | "resource" | "run" => true,
            "output" => output_allowed,
            "item" => self.item_allowed,
            "steps" => match path.0.get(1).and_then(|id| self.ids.get(id)) {
                Some(&i) => matches!(
                    self.raw[i].value,
                    RawStep::Action(_) | RawStep::Wait(_) | RawStep::Assert(_)
                ),
                None => false,
            },
            "answers" => match path.0.get(1).and_then(|id| self.ids.get(id)) {
                Some(&i) => matches!(self.raw[i].value, RawStep::Prompt(_)),
                None => false,
            },
            _ => false,
        };
        if !ok {
            let extra = if output_allowed { ", output.*" } else { "" };
            let item = if self.item_allowed { ITEM_ROOT } else { "" };
            self.err(
                at,
                format!("unknown variable `{path}`: a variable is one of {ROOTS}{extra}{item}"),
            );
        }
    }

    fn template(&mut self, text: &str, at: &serde_saphyr::Location, output: bool) -> Template {
        match Template::parse(text) {
            Ok(t) => {
                let paths: Vec<Path> = t.paths().cloned().collect();
                for p in &paths {
                    self.check_path(p, at, output);
                }
                t
            }
            Err(e) => {
                self.err(at, e);
                Template::parse("").expect("empty template")
            }
        }
    }

    fn message(&mut self, text: &Text, at: &serde_saphyr::Location, output: bool) -> Message {
        Message {
            en: self.template(&text.en, at, output),
            ja: self.template(&text.ja, at, output),
        }
    }

    fn condition(&mut self, text: &Sp<String>, output: bool) -> Condition {
        match Condition::parse(&text.value) {
            Ok(c) => {
                let paths: Vec<Path> = c.paths().cloned().collect();
                for p in &paths {
                    self.check_path(p, &text.referenced, output);
                }
                c
            }
            Err(e) => {
                self.err(&text.referenced, e);
                Condition::parse("false").expect("literal condition")
            }
        }
    }

    fn params(
        &mut self,
        call: &Sp<String>,
        raw: &BTreeMap<String, Value>,
        at: &serde_saphyr::Location,
    ) -> (Params, Option<CallSignature>) {
        let params = match Params::compile(raw) {
            Ok(p) => p,
            Err(e) => {
                self.err(at, e);
                Params::default()
            }
        };
        for p in params.paths() {
            self.check_path(p, at, false);
        }
        let Some(sig) = self.catalog.signature(&call.value) else {
            let names = self.catalog.names().join(", ");
            self.err(
                &call.referenced,
                format!("unknown call `{}`; the calls are: {names}", call.value),
            );
            return (params, None);
        };
        let allowed: Vec<&str> = sig.params.iter().map(|(n, _)| *n).collect();
        for name in params.names() {
            if !allowed.contains(&name) {
                self.err(
                    at,
                    format!(
                        "`{}` takes no parameter `{name}`; it takes: {}",
                        call.value,
                        allowed.join(", ")
                    ),
                );
            }
        }
        for (name, required) in sig.params {
            if *required && !params.names().any(|n| n == *name) {
                self.err(at, format!("`{}` needs the parameter `{name}`", call.value));
            }
        }
        (params, Some(sig))
    }

    fn approval(&mut self, name: &Sp<String>) -> usize {
        let index = self.target(name, "`approved_by`").unwrap_or(0);
        let is_confirm = matches!(
            &self.raw.get(index).map(|s| &s.value),
            Some(RawStep::Prompt(p)) if p.kind == RawPromptKind::Confirm
        );
        if self.ids.contains_key(&name.value) && !is_confirm {
            self.err(
                &name.referenced,
                format!(
                    "`approved_by` must name a confirm prompt; `{}` is not one",
                    name.value
                ),
            );
        }
        index
    }

    fn step(&mut self, index: usize) -> Step {
        let spanned = &self.raw[index];
        let at = spanned.referenced;
        let c = common(&spanned.value);
        let id = c.id.value.clone();
        let when = c.when.map(|w| self.condition(w, false));
        let branches = c
            .branches
            .iter()
            .filter_map(|b| {
                let when = self.condition(&b.when, false);
                self.target(&b.next, "a branch's `next`")
                    .map(|next| Branch { when, next })
            })
            .collect();
        let is_end = matches!(spanned.value, RawStep::End(_));
        let next = match c.next {
            Some(n) => self.target(n, "`next`"),
            None if is_end => None,
            None if index + 1 < self.raw.len() => Some(index + 1),
            None => {
                self.err(
                    &at,
                    format!("step `{id}` is the last one but is not an `end` step: add an `end` step or a `next`"),
                );
                None
            }
        };
        if c.when.is_some() && index + 1 == self.raw.len() {
            self.err(
                &at,
                format!("step `{id}` is the last one, so it cannot have `when`: a skipped last step would leave the run with nowhere to go"),
            );
        }
        if is_end && c.next.is_some() {
            self.err(&at, format!("`end` step `{id}` cannot have a `next`"));
        }
        let on_failure = match c.on_failure {
            None | Some(RawOnFailure::Abort) => OnFailure::Abort,
            Some(RawOnFailure::Continue) => OnFailure::Continue,
            Some(RawOnFailure::Goto(target)) => self
                .target(target, "`on_failure: goto`")
                .map_or(OnFailure::Abort, OnFailure::Goto),
        };
        let timeout = c.timeout.and_then(|t| match parse_duration(&t.value) {
            None => {
                self.err(
                    &t.referenced,
                    format!(
                        "`{}` is not a duration: write e.g. `90s`, `30m` or `2h`",
                        t.value
                    ),
                );
                None
            }
            Some(d) if d.is_zero() || d > MAX_TIMEOUT => {
                self.err(
                    &t.referenced,
                    format!(
                        "`timeout: {}` is out of range: a timeout must be more than 0 and at most 24h",
                        t.value
                    ),
                );
                None
            }
            Some(d) => Some(d),
        });
        let kind = self.kind(&spanned.value, &at);
        Step {
            id,
            location: self.loc(&at),
            kind,
            when,
            next,
            branches,
            on_failure,
            timeout,
        }
    }

    fn kind(&mut self, raw: &RawStep, at: &serde_saphyr::Location) -> StepKind {
        match raw {
            RawStep::Prompt(p) => {
                let kind = match p.kind {
                    RawPromptKind::Confirm => PromptKind::Confirm,
                    RawPromptKind::Select => PromptKind::Select,
                    RawPromptKind::Input => PromptKind::Input,
                    RawPromptKind::Secret => PromptKind::Secret,
                };
                if kind == PromptKind::Select && p.options.is_empty() && p.options_from.is_none() {
                    self.err(
                        at,
                        format!(
                            "select prompt `{}` needs `options` or `options_from`",
                            p.id.value
                        ),
                    );
                }
                let options_from =
                    p.options_from
                        .as_deref()
                        .and_then(|text| match Path::parse(text) {
                            Ok(path) => {
                                self.check_path(&path, at, false);
                                Some(path)
                            }
                            Err(e) => {
                                self.err(at, e);
                                None
                            }
                        });
                if let Some(name) = &p.validate {
                    if kind != PromptKind::Input {
                        self.err(
                            at,
                            format!(
                                "only input prompts take `validate`; `{}` is a {} prompt",
                                p.id.value,
                                kind.name()
                            ),
                        );
                    }
                    if !super::validators::NAMES.contains(&name.as_str()) {
                        self.err(
                            at,
                            format!(
                                "unknown check `{name}`; the checks are: {}",
                                super::validators::NAMES.join(", ")
                            ),
                        );
                    }
                }
                if kind != PromptKind::Select && (!p.options.is_empty() || p.options_from.is_some())
                {
                    self.err(
                        at,
                        format!(
                            "only select prompts take `options`; `{}` is a {} prompt",
                            p.id.value,
                            kind.name()
                        ),
                    );
                }
                if let Some(Value::String(d)) = &p.default {
                    match Template::parse(d) {
                        Ok(t) => t.paths().for_each(|path| self.check_path(path, at, false)),
                        Err(e) => self.err(at, e),
                    }
                }
                let rules = p.rules.as_ref().and_then(|r| match SecretRules::parse(r) {
                    Ok(rules) => Some(rules),
                    Err(e) => {
                        self.err(at, format!("`rules` of `{}`: {e}", p.id.value));
                        None
                    }
                });
                if kind != PromptKind::Secret && (p.rules.is_some() || p.generate.is_some()) {
                    self.err(
                        at,
                        format!(
                            "only secret prompts take `rules` and `generate`; `{}` is a {} prompt",
                            p.id.value,
                            kind.name()
                        ),
                    );
                }
                if let Some(length) = p.generate {
                    match &rules {
                        _ if !GENERATE_LENGTHS.contains(&length) => self.err(
                            at,
                            format!(
                                "`generate: {length}` is out of range: hubfix generates {} to {} characters",
                                GENERATE_LENGTHS.start(),
                                GENERATE_LENGTHS.end()
                            ),
                        ),
                        Some(r) if (r.min_length..=r.max_length).contains(&length) => {}
                        Some(r) => self.err(
                            at,
                            format!(
                                "`generate: {length}` is outside the rules' {}..{} characters",
                                r.min_length, r.max_length
                            ),
                        ),
                        None if p.rules.is_some() => {}
                        None => self.err(
                            at,
                            "`generate` needs `rules` to know which characters to use",
                        ),
                    }
                }
                if kind == PromptKind::Secret && p.default.is_some() {
                    self.err(
                        at,
                        format!("secret prompt `{}` cannot have a default", p.id.value),
                    );
                }
                StepKind::Prompt {
                    kind,
                    text: self.message(&p.text, at, false),
                    options: p
                        .options
                        .iter()
                        .map(|o| SelectOption {
                            value: o.value.clone(),
                            label: o.label.clone(),
                        })
                        .collect(),
                    options_from,
                    validate: p.validate.clone(),
                    default: p.default.clone(),
                    rules,
                    generate: p.generate,
                }
            }
            RawStep::Action(a) => {
                let for_each =
                    a.for_each
                        .as_ref()
                        .and_then(|list| match Path::parse(&list.value) {
                            Ok(items) => {
                                self.check_path(&items, &list.referenced, false);
                                Some(items)
                            }
                            Err(e) => {
                                self.err(&list.referenced, e);
                                None
                            }
                        });
                if a.where_.is_some() && a.for_each.is_none() {
                    self.err(
                        at,
                        format!(
                            "`where` filters the items of `for_each`; step `{}` has none",
                            a.id.value
                        ),
                    );
                }
                self.item_allowed = a.for_each.is_some();
                let only = a.where_.as_ref().map(|w| self.condition(w, false));
                let (params, sig) = self.params(&a.call, &a.params, at);
                let text = a.text.as_ref().map(|t| self.message(t, at, false));
                self.item_allowed = false;
                let mutating = sig.is_some_and(|s| s.mutating);
                let approved_by = a.approved_by.as_ref().map(|n| self.approval(n));
                if mutating && approved_by.is_none() {
                    self.err(
                        at,
                        format!(
                            "`{}` changes the resource: step `{}` needs `approved_by: <confirm prompt id>`",
                            a.call.value, a.id.value
                        ),
                    );
                }
                StepKind::Action {
                    call: a.call.value.clone(),
                    mutating,
                    params,
                    approved_by,
                    text,
                    for_each: for_each.map(|items| ForEach { items, only }),
                }
            }
            RawStep::Wait(w) => {
                let (params, sig) = self.params(&w.call, &w.params, at);
                if sig.is_some_and(|s| s.mutating) {
                    self.err(&w.call.referenced, "a wait must poll a read-only call");
                }
                let path = |s: &str, this: &mut Self| {
                    Path::parse(s).unwrap_or_else(|e| {
                        this.err(at, e);
                        Path(vec!["_".into()])
                    })
                };
                if w.ready.is_empty() && !w.gone_is_ready {
                    self.err(at, "a wait needs at least one `ready` status");
                }
                StepKind::Wait(WaitSpec {
                    call: w.call.value.clone(),
                    params,
                    status: path(&w.status, self),
                    ready: w.ready.clone(),
                    failed: w.failed.clone(),
                    pending: w.pending.as_deref().map(|p| path(p, self)),
                    until: w.until.as_ref().map(|u| self.condition(u, true)),
                    gone_is_ready: w.gone_is_ready,
                    text: self.message(&w.text, at, false),
                })
            }
            RawStep::Assert(a) => {
                let params = match &a.call {
                    Some(call) => {
                        let (params, sig) = self.params(call, &a.params, at);
                        if sig.is_some_and(|s| s.mutating) {
                            self.err(&call.referenced, "an assert must use a read-only call");
                        }
                        params
                    }
                    None => Params::default(),
                };
                StepKind::Assert {
                    call: a.call.as_ref().map(|c| c.value.clone()),
                    params,
                    that: self.condition(&a.that, a.call.is_some()),
                    text: self.message(&a.text, at, false),
                }
            }
            RawStep::Note(n) => StepKind::Note {
                text: self.message(&n.text, at, false),
            },
            RawStep::Suppress(s) => {
                let days = &s.review_days;
                let review_days = match u32::try_from(days.value) {
                    Ok(d) if (1..=MAX_REVIEW_DAYS).contains(&d) => d,
                    _ => {
                        self.err(
                            &days.referenced,
                            format!(
                                "`review_days: {}` is out of range: a suppression is reviewed 1 to {MAX_REVIEW_DAYS} days after it is made",
                                days.value
                            ),
                        );
                        1
                    }
                };
                StepKind::Suppress {
                    approved_by: self.approval(&s.approved_by),
                    note: self.message(&s.note, at, false),
                    review_days,
                }
            }
            RawStep::Resolve(s) => StepKind::Resolve {
                approved_by: self.approval(&s.approved_by),
                note: self.message(&s.note, at, false),
            },
            RawStep::End(e) => StepKind::End {
                outcome: match e.outcome {
                    RawOutcome::Compliant => Outcome::Compliant,
                    RawOutcome::Suppressed => Outcome::Suppressed,
                    RawOutcome::Fixed => Outcome::Fixed,
                    RawOutcome::Stopped => Outcome::Stopped,
                    RawOutcome::Failed => Outcome::Failed,
                },
                text: self.message(&e.text, at, false),
                resume_at: e.resume_at.as_ref().and_then(|r| {
                    if !matches!(e.outcome, RawOutcome::Failed) {
                        self.err(
                            &r.referenced,
                            "`resume_at` is for `outcome: failed` only: a stopped run resumes at its last question".to_owned(),
                        );
                    }
                    self.target(r, "`resume_at`")
                }),
            },
        }
    }
}

/// The ways a walk can go on from step `i`: to the step below when its `when` is false,
/// and after it ran to its branches, its `next` and its `on_failure: goto`. With
/// `stops_at_pauses`, a prompt or wait that ran leads nowhere: a loop through it waits for a
/// person or for AWS each time round.
fn ways_on(steps: &[Step], i: usize, stops_at_pauses: bool) -> Vec<usize> {
    let step = &steps[i];
    let mut out = Vec::new();
    if step.when.is_some() && i + 1 < steps.len() {
        out.push(i + 1);
    }
    let pause = matches!(step.kind, StepKind::Prompt { .. } | StepKind::Wait(_));
    if matches!(step.kind, StepKind::End { .. }) || (stops_at_pauses && pause) {
        return out;
    }
    out.extend(step.next);
    out.extend(step.branches.iter().map(|b| b.next));
    if let OnFailure::Goto(target) = step.on_failure {
        out.push(target);
    }
    out
}

/// The strongly connected components of a graph of successor lists, each sorted (Tarjan's
/// algorithm, without recursion, so a runbook of many steps cannot exhaust the stack).
fn components(next: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = next.len();
    let (mut order, mut low) = (vec![UNSEEN; n], vec![0; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut out, mut counter) = (Vec::new(), Vec::new(), 0);
    for root in 0..n {
        if order[root] != UNSEEN {
            continue;
        }
        order[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        let mut calls = vec![(root, 0usize)];
        while let Some(frame) = calls.last_mut() {
            let v = frame.0;
            if let Some(&w) = next[v].get(frame.1) {
                frame.1 += 1;
                if order[w] == UNSEEN {
                    order[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(u, _)) = calls.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == order[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort_unstable();
                out.push(component);
            }
        }
    }
    out
}

/// A way a walk could go on without end.
enum Endless {
    /// Steps (indexes, in file order) a walk can go round forever without stopping at a
    /// prompt or a wait.
    Loop(Vec<usize>),
    /// Steps from which no way leads to an `end` step.
    NoEnd(Vec<usize>),
}

/// Every loop without a prompt or a wait, and the steps that never reach an `end`.
fn endless(steps: &[Step]) -> Vec<Endless> {
    let unpaused: Vec<Vec<usize>> = (0..steps.len()).map(|i| ways_on(steps, i, true)).collect();
    let mut problems: Vec<Endless> = components(&unpaused)
        .into_iter()
        .filter(|c| c.len() > 1 || unpaused[c[0]].contains(&c[0]))
        .map(Endless::Loop)
        .collect();
    problems.sort_by_key(|p| match p {
        Endless::Loop(ids) | Endless::NoEnd(ids) => ids[0],
    });
    let mut before: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for i in 0..steps.len() {
        for j in ways_on(steps, i, false) {
            before[j].push(i);
        }
    }
    let mut ends = vec![false; steps.len()];
    let mut todo: Vec<usize> = (0..steps.len())
        .filter(|&i| matches!(steps[i].kind, StepKind::End { .. }))
        .collect();
    while let Some(i) = todo.pop() {
        if !std::mem::replace(&mut ends[i], true) {
            todo.extend(&before[i]);
        }
    }
    let never: Vec<usize> = (0..steps.len()).filter(|&i| !ends[i]).collect();
    if !never.is_empty() {
        problems.push(Endless::NoEnd(never));
    }
    problems
}

fn ids(steps: &[Step], indexes: &[usize]) -> String {
    indexes
        .iter()
        .map(|&i| format!("`{}`", steps[i].id))
        .collect::<Vec<_>>()
        .join(", ")
}

fn loop_message(steps: &[Step], indexes: &[usize]) -> String {
    let what = if indexes.len() == 1 {
        format!(
            "step {} can repeat forever: it leads back to itself",
            ids(steps, indexes)
        )
    } else {
        format!(
            "steps {} can repeat forever: they lead back to each other",
            ids(steps, indexes)
        )
    };
    format!(
        "{what} (through `next`, branches, `on_failure: goto` or a skipped `when`) with no prompt and no wait that always runs on the way; a run could go round without end: put a prompt or a wait without `when` in the loop, or lead it to an `end` step"
    )
}

fn no_end_message(steps: &[Step], indexes: &[usize]) -> String {
    let first = &steps[indexes[0]].id;
    let rest = if indexes.len() > 1 {
        format!(" (nor do {})", ids(steps, &indexes[1..]))
    } else {
        String::new()
    };
    format!(
        "step `{first}` never reaches an `end` step{rest}: every way on from it goes round without end; add a branch or a `next` that leads to an `end` step"
    )
}

/// Checks a raw runbook and builds its plan, or returns every problem found.
pub fn build(
    raw: RawRunbook,
    file: &FsPath,
    catalog: &dyn CallCatalog,
) -> Result<Plan, Vec<RunbookError>> {
    let mut checker = Checker {
        file,
        ids: HashMap::new(),
        raw: &raw.steps,
        catalog,
        errors: Vec::new(),
        item_allowed: false,
    };
    if raw.steps.is_empty() {
        checker.err(&raw.control.referenced, "a runbook needs at least one step");
    }
    for (i, step) in raw.steps.iter().enumerate() {
        let id = common(&step.value).id;
        if id.value.trim().is_empty() {
            checker.err(&id.referenced, "a step id cannot be empty");
        }
        if RESERVED_IDS.contains(&id.value.as_str()) {
            checker.err(
                &id.referenced,
                format!(
                    "`{}` is reserved (the engine asks for the approver and the review date of a suppression under the ids {}); choose another step id",
                    id.value,
                    RESERVED_IDS.map(|r| format!("`{r}`")).join(" and ")
                ),
            );
        }
        if let Some(&first) = checker.ids.get(&id.value) {
            let first_at = checker.loc(&raw.steps[first].referenced);
            checker.err(
                &id.referenced,
                format!(
                    "duplicate step id `{}` (first used at {first_at}); ids must be unique",
                    id.value
                ),
            );
        } else {
            checker.ids.insert(id.value.clone(), i);
        }
    }
    let steps: Vec<Step> = (0..raw.steps.len()).map(|i| checker.step(i)).collect();
    if checker.errors.is_empty() {
        // Reachability from the first step, over fall-through, `next`, branches and goto.
        let mut seen = vec![false; steps.len()];
        let mut todo = vec![0usize];
        while let Some(i) = todo.pop() {
            if i >= steps.len() || std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let s = &steps[i];
            todo.extend(s.next);
            todo.extend(s.branches.iter().map(|b| b.next));
            if let OnFailure::Goto(t) = s.on_failure {
                todo.push(t);
            }
            if s.when.is_some() {
                todo.push(i + 1);
            }
        }
        for (i, s) in steps.iter().enumerate() {
            if !seen[i] {
                checker.err(
                    &raw.steps[i].referenced,
                    format!("step `{}` is unreachable: no step leads to it (add a `next` or a branch naming it, or remove it)", s.id),
                );
            }
        }
        for problem in endless(&steps) {
            let (first, message) = match problem {
                Endless::Loop(ids) => (ids[0], loop_message(&steps, &ids)),
                Endless::NoEnd(ids) => (ids[0], no_end_message(&steps, &ids)),
            };
            checker.err(&raw.steps[first].referenced, message);
        }
    }
    let resource_name = raw
        .resource_name
        .as_deref()
        .and_then(|text| match Path::parse(text) {
            Ok(path) if path.root() == "steps" => Some(path),
            Ok(_) => {
                checker.err(
                    &raw.control.referenced,
                    "`resource_name` must be a `steps.<id>.<field>` path",
                );
                None
            }
            Err(e) => {
                checker.err(&raw.control.referenced, format!("`resource_name`: {e}"));
                None
            }
        });
    let mut footprint = Footprint::default();
    if let Some(raw_footprint) = &raw.footprint {
        for (key, texts, into) in [
            ("deletes", &raw_footprint.deletes, &mut footprint.deletes),
            ("changes", &raw_footprint.changes, &mut footprint.changes),
        ] {
            for text in texts {
                match Path::parse(text) {
                    Ok(path)
                        if path.root() == "steps"
                            && path.0.get(1).is_some_and(|id| steps.iter().any(|s| &s.id == id)) =>
                    {
                        into.push(path)
                    }
                    Ok(_) => checker.err(
                        &raw.control.referenced,
                        format!(
                            "`footprint.{key}`: `{text}` must be a `steps.<id>.<field>` path to a step of this runbook"
                        ),
                    ),
                    Err(e) => checker.err(
                        &raw.control.referenced,
                        format!("`footprint.{key}`: {e}"),
                    ),
                }
            }
        }
    }
    if !checker.errors.is_empty() {
        return Err(checker.errors);
    }
    Ok(Plan {
        control: raw.control.value,
        title: raw.title,
        severity: raw.severity,
        resource_type: raw.resource_type,
        resource_name,
        footprint,
        source: file.to_path_buf(),
        steps,
    })
}
