//! A saved plan, checked by the walk that applies it, and recorded by the walk that saves it.
//!
//! Saving (`hubfix plan --out`): every read before the first change records the fields of
//! the resource state that the runbook's conditions and calls use (its *fingerprint*,
//! `Plan::state_paths`), and every answer is kept as the plan keeps it (a secret as its
//! `{env: NAME}` / `{file: PATH}` reference).
//!
//! Applying (`hubfix apply`): the same reads are compared with the fingerprint before any
//! change, and each change is compared with the next planned one before it is sent (and
//! before the finding is locked). A difference refuses the run there, naming what differs.
//! A value the plan could not know (`<from run.id>`, `<from create.Arn>`) is filled from the
//! run where the run knows it (`run.*`) and otherwise matches any value.

use super::calls::ShownCall;
use super::context::Context;
use super::flow::Failure;
use crate::runbook::{Outcome, StateField, has_deferred, prose};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

/// What the walk of a saved plan checks or records.
pub(super) enum PlanCheck {
    Saving(Capture),
    Applying(Guard),
}

/// What a walk records while its plan is saved.
pub(super) struct Capture {
    fields: Vec<StateField>,
    pub fingerprint: BTreeMap<String, Value>,
    pub answers: BTreeMap<String, Value>,
    /// A change was reached: what is read from now on is not the state the plan acts on.
    closed: bool,
}

impl Capture {
    pub(super) fn new(fields: Vec<StateField>) -> Capture {
        Capture {
            fields,
            fingerprint: BTreeMap::new(),
            answers: BTreeMap::new(),
            closed: false,
        }
    }
}

/// A planned target being applied.
pub(super) struct Guard {
    /// The planned state: field path → value.
    fingerprint: BTreeMap<String, Value>,
    /// The planned changes not sent yet, in order.
    calls: VecDeque<ShownCall>,
    outcome: Outcome,
    /// A planned change was reached: reads from now on see the run's own doing.
    changing: bool,
}

impl Guard {
    pub(super) fn new(
        fingerprint: BTreeMap<String, Value>,
        calls: &[ShownCall],
        outcome: Outcome,
    ) -> Guard {
        Guard {
            fingerprint,
            calls: calls.iter().filter(|c| c.mutating).cloned().collect(),
            outcome,
            changing: false,
        }
    }
}

/// The longest value a refusal shows of a field or a request.
const SHOWN: usize = 240;

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= SHOWN {
        return text;
    }
    let mut cut: String = text.chars().take(SHOWN - 1).collect();
    cut.push('…');
    cut
}

impl PlanCheck {
    /// After a read step: while saving, its fields are recorded; while applying, they are
    /// compared with the plan's, and any difference refuses the run before any change.
    pub(super) fn after_read(&mut self, step: &str, ctx: &Context) -> Result<(), Failure> {
        match self {
            PlanCheck::Saving(capture) => {
                if capture.closed {
                    return Ok(());
                }
                for field in capture.fields.iter().filter(|f| f.step() == step) {
                    let value = field.value(&ctx.value);
                    if !has_deferred(&value) {
                        capture.fingerprint.insert(field.key(), value);
                    }
                }
                Ok(())
            }
            PlanCheck::Applying(guard) => {
                if guard.changing {
                    return Ok(());
                }
                let differ: Vec<String> = guard
                    .fingerprint
                    .iter()
                    .filter_map(|(field, planned)| {
                        let state = StateField::parse(field)?;
                        if state.step() != step {
                            return None;
                        }
                        let now = state.value(&ctx.value);
                        (now != *planned)
                            .then(|| format!("{field}: {} → {}", short(planned), short(&now)))
                    })
                    .collect();
                if differ.is_empty() {
                    return Ok(());
                }
                Err(Failure::Stop(
                    Outcome::Refused,
                    format!(
                        "refused: the resource changed since the plan was made ({}); nothing was changed. Plan again (`hubfix plan --out`) and have the new plan approved",
                        differ.join("; ")
                    ),
                ))
            }
        }
    }

    /// Before a change step makes its requests (or marks the finding): while saving, the
    /// state is recorded no further; while applying, the requests must be the plan's next.
    pub(super) fn before_change(
        &mut self,
        step: &str,
        requests: &[ShownCall],
        ctx: &Context,
        changed: bool,
    ) -> Result<(), Failure> {
        match self {
            PlanCheck::Saving(capture) => {
                capture.closed = true;
                Ok(())
            }
            PlanCheck::Applying(guard) => {
                guard.changing = true;
                guard
                    .take(step, requests, ctx)
                    .map_err(|why| refusal(&why, changed))
            }
        }
    }

    /// At an `end` step: applying, the run must end as planned, every planned change made.
    pub(super) fn at_end(&self, outcome: Outcome, changed: bool) -> Result<(), Failure> {
        let PlanCheck::Applying(guard) = self else {
            return Ok(());
        };
        if let Some(next) = guard.calls.front() {
            let why = format!(
                "the run would end {} without the planned `{}`: {}",
                outcome.name(),
                next.step,
                next.line()
            );
            return Err(refusal(&why, changed));
        }
        if outcome != guard.outcome {
            let why = format!(
                "the run would end {} where the plan ends {}",
                outcome.name(),
                guard.outcome.name()
            );
            return Err(refusal(&why, changed));
        }
        Ok(())
    }

    /// The answer as a saved plan keeps it.
    pub(super) fn keep_answer(&mut self, step: &str, value: Value) {
        if let PlanCheck::Saving(capture) = self {
            capture.answers.insert(step.to_owned(), value);
        }
    }
}

fn refusal(why: &str, changed: bool) -> Failure {
    let done = if changed {
        "the changes before it were made as planned; the finding stays NOTIFIED and `hubfix resume` goes on, asking again"
    } else {
        "nothing was changed. Plan again (`hubfix plan --out`) and have the new plan approved"
    };
    Failure::Stop(
        Outcome::Refused,
        format!("refused: {why}, not as the plan says; {done}"),
    )
}

impl Guard {
    /// Takes the planned requests of a change step, checking they are the ones it makes.
    fn take(&mut self, step: &str, requests: &[ShownCall], ctx: &Context) -> Result<(), String> {
        let mut planned = Vec::new();
        while self.calls.front().is_some_and(|c| c.step == step) {
            planned.extend(self.calls.pop_front());
        }
        let known = |from: &str| known(from, ctx);
        // A request sent once per item of a list the plan could not know yet stands for
        // every item of that list.
        if let [one] = planned.as_slice()
            && one.for_each_of.is_some()
        {
            return match requests.iter().find(|r| !same_call(one, r, &known)) {
                None => Ok(()),
                Some(r) => Err(format!(
                    "`{step}` would send {}, where the plan has {}",
                    r.line(),
                    one.line()
                )),
            };
        }
        if planned.is_empty() && !requests.is_empty() {
            return Err(format!(
                "`{step}` would send {}, a request the plan does not have",
                requests[0].line()
            ));
        }
        for (n, p) in planned.iter().enumerate() {
            match requests.get(n) {
                Some(r) if same_call(p, r, &known) => {}
                Some(r) => {
                    return Err(format!(
                        "`{step}` would send {}, where the plan has {}",
                        r.line(),
                        p.line()
                    ));
                }
                None => {
                    return Err(format!("`{step}` would not send the planned {}", p.line()));
                }
            }
        }
        if let Some(extra) = requests.get(planned.len()) {
            return Err(format!(
                "`{step}` would send {}, a request the plan does not have",
                extra.line()
            ));
        }
        Ok(())
    }
}

/// A value of the run the plan could only name: `run.id`, `run.session`, `run.date`, `run.plan`, and who
/// signs (`run.signer`). Values of earlier calls are not filled: any value stands for them.
fn known(from: &str, ctx: &Context) -> Option<String> {
    let key = from.strip_prefix("run.")?;
    if key == "signer" {
        return Some(ctx.signer());
    }
    let value = &ctx.value["run"][key];
    (!value.is_null()).then(|| prose(value))
}

/// The tail hubfix puts after every finding note; see `findings::compose_note`.
const NOTE_TAIL: &str = " [hubfix; ";

fn same_call(plan: &ShownCall, now: &ShownCall, known: &dyn Fn(&str) -> Option<String>) -> bool {
    if plan.step != now.step
        || plan.service != now.service
        || plan.operation != now.operation
        || plan.mutating != now.mutating
        || (plan.for_each_of.is_none() && plan.item != now.item)
    {
        return false;
    }
    if plan.service == "securityhub" {
        let note = |v: &Value| v["Note"]["Text"].as_str().map(str::to_owned);
        let (Some(planned_note), Some(now_note)) = (note(&plan.params), note(&now.params)) else {
            return same(&plan.params, &now.params, known);
        };
        let without_note = |v: &Value| {
            let mut v = v.clone();
            v["Note"]["Text"] = Value::Null;
            v
        };
        return same(
            &without_note(&plan.params),
            &without_note(&now.params),
            known,
        ) && same_note(&planned_note, &now_note, known);
    }
    same(&plan.params, &now.params, known)
}

/// Whether a value sent now is the planned one.
fn same(plan: &Value, now: &Value, known: &dyn Fn(&str) -> Option<String>) -> bool {
    if let Some(from) = shown_from(plan) {
        return match known(from) {
            Some(value) => now.as_str() == Some(value.as_str()),
            None => !now.is_null(),
        };
    }
    match (plan, now) {
        (Value::String(p), Value::String(n)) if p.contains("<from ") => {
            fits(&pieces(p, known), n, false, false)
        }
        (Value::Object(p), Value::Object(n)) => {
            p.len() == n.len()
                && p.iter()
                    .all(|(k, v)| n.get(k).is_some_and(|nv| same(v, nv, known)))
        }
        (Value::Array(p), Value::Array(n)) => {
            p.len() == n.len() && p.iter().zip(n).all(|(a, b)| same(a, b, known))
        }
        _ => plan == now,
    }
}

/// A finding note: the tail must be the planned one exactly (its holes filled); the body
/// too, except that either may have been shortened to fit 512 characters, which depends on
/// how long the values filled in are.
fn same_note(plan: &str, now: &str, known: &dyn Fn(&str) -> Option<String>) -> bool {
    let (Some(p), Some(n)) = (plan.rfind(NOTE_TAIL), now.rfind(NOTE_TAIL)) else {
        return fits(&pieces(plan, known), now, false, false);
    };
    let (plan_body, plan_tail) = plan.split_at(p);
    let (now_body, now_tail) = now.split_at(n);
    if !fits(&pieces(plan_tail, known), now_tail, false, false) {
        return false;
    }
    let (plan_body, plan_cut) = match plan_body.strip_suffix('…') {
        Some(b) => (b, true),
        None => (plan_body, false),
    };
    let (now_body, now_cut) = match now_body.strip_suffix('…') {
        Some(b) => (b, true),
        None => (now_body, false),
    };
    fits(&pieces(plan_body, known), now_body, plan_cut, now_cut)
}

/// A shown deferred value: `{"from": "step.Field"}`.
fn shown_from(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get("from")?.as_str(),
        _ => None,
    }
}

enum Piece {
    Text(String),
    /// A value the plan could not know: one character or more.
    Hole,
}

/// A planned text cut at its `<from …>` holes, the ones the run knows filled in.
fn pieces(text: &str, known: &dyn Fn(&str) -> Option<String>) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<from ") {
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        literal.push_str(&rest[..start]);
        let from = &rest[start + "<from ".len()..start + end];
        match known(from) {
            Some(value) => literal.push_str(&value),
            None => {
                out.push(Piece::Text(std::mem::take(&mut literal)));
                out.push(Piece::Hole);
            }
        }
        rest = &rest[start + end + 1..];
    }
    literal.push_str(rest);
    out.push(Piece::Text(literal));
    out
}

/// Whether `text` is the pattern with its holes filled. `pattern_cut`: the pattern was
/// shortened, so it only needs to be a beginning of the text; `text_cut`: the text was, so
/// it only needs to be a beginning of a filled pattern.
fn fits(pieces: &[Piece], text: &str, pattern_cut: bool, text_cut: bool) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return text.is_empty() || pattern_cut;
    };
    match first {
        Piece::Text(literal) => {
            if let Some(after) = text.strip_prefix(literal.as_str()) {
                return fits(rest, after, pattern_cut, text_cut);
            }
            // The shortened text ends inside the literal.
            text_cut && literal.starts_with(text)
        }
        Piece::Hole => {
            if text.is_empty() {
                return text_cut;
            }
            if rest.is_empty() && pattern_cut {
                return true;
            }
            text.char_indices()
                .skip(1)
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .any(|i| fits(rest, &text[i..], pattern_cut, text_cut))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_values(from: &str) -> Option<String> {
        match from {
            "run.id" => Some("20261122T213000Z-redshift7-c1-3f2a".into()),
            "run.plan" => Some("ab12".into()),
            "run.signer" => Some("Taro".into()),
            _ => None,
        }
    }

    #[test]
    fn holes_the_run_knows_are_filled_the_others_match_any_value() {
        let plan = Value::String("by hubfix run <from run.id> on <from create.Arn>".into());
        let now = Value::String("by hubfix run 20261122T213000Z-redshift7-c1-3f2a on arn:x".into());
        assert!(same(&plan, &now, &run_values));
        let other_run = Value::String("by hubfix run another on arn:x".into());
        assert!(!same(&plan, &other_run, &run_values));
        let nothing = Value::String("by hubfix run 20261122T213000Z-redshift7-c1-3f2a on ".into());
        assert!(!same(&plan, &nothing, &run_values));
        let from = serde_json::json!({"Arn": {"from": "create.Arn"}});
        assert!(same(
            &from,
            &serde_json::json!({"Arn": "arn:y"}),
            &run_values
        ));
        assert!(!same(&from, &serde_json::json!({}), &run_values));
    }

    #[test]
    fn a_note_shortened_to_fit_matches_the_planned_one() {
        let plan = "Fixed by <from run.id>, long words here [hubfix; plan sha256:<from run.plan>; approved by <from run.signer> on <from run.date>]";
        let now = "Fixed by 20261122T213000Z-redshift7-c1-3f2a, long w… [hubfix; plan sha256:ab12; approved by Taro on 2026-01-02]";
        assert!(same_note(plan, now, &run_values));
        let wrong_tail = "Fixed by 20261122T213000Z-redshift7-c1-3f2a, long w… [hubfix; plan sha256:ff; approved by Taro on 2026-01-02]";
        assert!(!same_note(plan, wrong_tail, &run_values));
        let wrong_body = "Fixed by 20261122T213000Z-redshift7-c1-3f2a, short… [hubfix; plan sha256:ab12; approved by Taro on 2026-01-02]";
        assert!(!same_note(plan, wrong_body, &run_values));
    }
}
