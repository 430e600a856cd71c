//! `{{ path }}` templates in runbook texts and API parameters.
//!
//! A path is dotted (`steps.cluster.VpcId`, `answers.reason`); its first segment must be one
//! of the context roots, which validation checks so an unknown variable is a load error and
//! never an empty string in front of an operator. `{{ a.b or c.d }}` takes the first of the
//! paths that has a value (an answer given only on one branch, else a captured value); an
//! empty list has no value, so `{{ steps.tasks.RunningIdentifiers or 'no task is running' }}`
//! reads as a sentence.
//!
//! Texts are for people: a list renders as `a, b`, never as JSON. A value known only after an
//! earlier call (a step that has not run, or was only previewed) is a *deferred* value, the
//! object `{"$from": "create.ReplicationInstanceArn"}`; texts show it as
//! `<from create.ReplicationInstanceArn>` and parameters keep the object, which
//! [`shown_value`] turns into `{"from": ...}` for listings.

use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The key of a deferred value's object.
pub const DEFERRED: &str = "$from";

/// A deferred value: known only once the call named by `from` (`step.Field`) has run.
pub fn deferred(from: &str) -> Value {
    json!({ DEFERRED: from })
}

/// Where a deferred value comes from, or `None` for a known value.
pub fn deferred_from(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(DEFERRED)?.as_str(),
        _ => None,
    }
}

/// Whether a value is or holds a deferred value anywhere.
pub fn has_deferred(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().any(has_deferred),
        Value::Object(map) => deferred_from(value).is_some() || map.values().any(has_deferred),
        _ => false,
    }
}

/// A value as listings show it: deferred values as `{"from": "step.Field"}`.
pub fn shown_value(value: &Value) -> Value {
    if let Some(from) = deferred_from(value) {
        return json!({ "from": from });
    }
    match value {
        Value::Array(items) => Value::Array(items.iter().map(shown_value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), shown_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A value as a text for people: a list as `a, b`, a deferred value as `<from step.Field>`.
pub fn prose(value: &Value) -> String {
    if let Some(from) = deferred_from(value) {
        return format!("<from {from}>");
    }
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(prose).collect::<Vec<_>>().join(", "),
        // Tags read as `key=value`.
        Value::Object(map)
            if map.len() == 2 && map.contains_key("Key") && map.contains_key("Value") =>
        {
            format!("{}={}", prose(&map["Key"]), prose(&map["Value"]))
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", prose(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// A dotted path into the run context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(pub Vec<String>);

impl Path {
    pub fn parse(text: &str) -> Result<Path, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("an empty variable name".into());
        }
        let segments: Vec<String> = text.split('.').map(str::to_owned).collect();
        for s in &segments {
            if s.is_empty()
                || !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "`{text}` is not a variable path: use dotted names of letters, digits, `_` and `-`"
                ));
            }
        }
        Ok(Path(segments))
    }

    pub fn root(&self) -> &str {
        &self.0[0]
    }

    /// Whether the context has a non-null value at this path.
    pub fn is_defined(&self, context: &Value) -> bool {
        self.lookup(context).is_some_and(|v| !v.is_null())
    }

    /// Looks the path up like [`Path::lookup`], but a deferred value met on the way stands
    /// for everything below it: `steps.create.Arn` in `{steps: {create: {"$from": "create"}}}`
    /// is the deferred value `create.Arn`.
    pub fn resolve<'a>(&self, mut value: &'a Value) -> Option<Cow<'a, Value>> {
        for (n, segment) in self.0.iter().enumerate() {
            if let Some(from) = deferred_from(value) {
                let rest = self.0[n..].join(".");
                return Some(Cow::Owned(deferred(&format!("{from}.{rest}"))));
            }
            value = match value {
                Value::Object(map) => map.get(segment)?,
                Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(Cow::Borrowed(value))
    }

    /// Looks the path up in a JSON value; arrays are indexed by number segments.
    pub fn lookup<'a>(&self, mut value: &'a Value) -> Option<&'a Value> {
        for segment in &self.0 {
            value = match value {
                Value::Object(map) => map.get(segment)?,
                Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(value)
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(String),
    /// Alternatives: the first one with a value is used.
    Var(Vec<Alternative>),
}

/// One alternative of `{{ a or b or 'text' }}`: a path, or a quoted text that always has a
/// value (so it can only come last usefully).
#[derive(Debug, Clone, PartialEq)]
enum Alternative {
    Path(Path),
    Text(Value),
}

impl Alternative {
    fn parse(text: &str) -> Result<Alternative, String> {
        let t = text.trim();
        let quoted = t
            .strip_prefix('\'')
            .and_then(|r| r.strip_suffix('\''))
            .or_else(|| t.strip_prefix('"').and_then(|r| r.strip_suffix('"')));
        match quoted {
            Some(inner) if t.len() >= 2 => Ok(Alternative::Text(Value::String(inner.to_owned()))),
            _ => Path::parse(t).map(Alternative::Path),
        }
    }
}

/// The first alternative with a value: not missing, not null, not an empty list.
fn first_defined<'a>(
    alternatives: &'a [Alternative],
    context: &'a Value,
) -> Option<Cow<'a, Value>> {
    alternatives
        .iter()
        .filter_map(|a| match a {
            Alternative::Path(p) => p.resolve(context),
            Alternative::Text(v) => Some(Cow::Borrowed(v)),
        })
        .find(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
}

fn names(alternatives: &[Alternative]) -> String {
    alternatives
        .iter()
        .map(|a| match a {
            Alternative::Path(p) => p.to_string(),
            Alternative::Text(v) => v.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A text with `{{ path }}` holes.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                pieces.push(Piece::Literal(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("`{{{{` without a closing `}}}}` in `{text}`"))?;
            let alternatives = after[..end]
                .split(" or ")
                .map(Alternative::parse)
                .collect::<Result<Vec<_>, _>>()?;
            pieces.push(Piece::Var(alternatives));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest.to_owned()));
        }
        Ok(Template { pieces })
    }

    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.pieces
            .iter()
            .flat_map(|p| match p {
                Piece::Var(alternatives) => alternatives.as_slice(),
                Piece::Literal(_) => &[],
            })
            .filter_map(|a| match a {
                Alternative::Path(p) => Some(p),
                Alternative::Text(_) => None,
            })
    }

    /// Renders the text for a person: lists as `a, b`, a deferred value as
    /// `<from step.Field>`, a variable the context does not have as `<path>`.
    pub fn render(&self, context: &Value) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Var(paths) => match first_defined(paths, context) {
                    Some(value) => out.push_str(&prose(&value)),
                    None => {
                        out.push('<');
                        out.push_str(&names(paths));
                        out.push('>');
                    }
                },
            }
        }
        out
    }

    /// A template that is one variable (with alternatives) none of which has a value.
    fn is_unresolved_variable(&self, context: &Value) -> bool {
        matches!(self.pieces.as_slice(), [Piece::Var(paths)] if first_defined(paths, context).is_none())
    }

    /// Renders to a JSON value: a template that is one variable keeps the variable's type.
    pub fn render_value(&self, context: &Value) -> Value {
        if let [Piece::Var(paths)] = self.pieces.as_slice() {
            if let Some(value) = first_defined(paths, context) {
                return value.into_owned();
            }
            // A lone variable that is set but empty stays null (an unset optional setting).
            if paths
                .iter()
                .any(|a| matches!(a, Alternative::Path(p) if p.lookup(context).is_some()))
            {
                return Value::Null;
            }
        }
        Value::String(self.render(context))
    }
}

/// API parameters of a step: JSON values whose strings may hold templates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params(BTreeMap<String, ParamValue>);

#[derive(Debug, Clone, PartialEq)]
enum ParamValue {
    Plain(Value),
    Text(Template),
    List(Vec<ParamValue>),
    Map(BTreeMap<String, ParamValue>),
}

impl ParamValue {
    fn compile(value: &Value) -> Result<ParamValue, String> {
        Ok(match value {
            Value::String(s) if s.contains("{{") => ParamValue::Text(Template::parse(s)?),
            Value::Array(items) => {
                ParamValue::List(items.iter().map(Self::compile).collect::<Result<_, _>>()?)
            }
            Value::Object(map) => ParamValue::Map(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), Self::compile(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => ParamValue::Plain(other.clone()),
        })
    }

    /// A lone variable with no value becomes null (the parameter is left out of the request).
    fn render(&self, context: &Value) -> Value {
        match self {
            ParamValue::Plain(v) => v.clone(),
            ParamValue::Text(t) => match t.render_value(context) {
                Value::String(_) if t.is_unresolved_variable(context) => Value::Null,
                v => v,
            },
            ParamValue::List(items) => {
                Value::Array(items.iter().map(|i| i.render(context)).collect())
            }
            ParamValue::Map(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), v.render(context)))
                    .collect(),
            ),
        }
    }

    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a Path>) {
        match self {
            ParamValue::Plain(_) => {}
            ParamValue::Text(t) => out.extend(t.paths()),
            ParamValue::List(items) => items.iter().for_each(|i| i.collect_paths(out)),
            ParamValue::Map(map) => map.values().for_each(|v| v.collect_paths(out)),
        }
    }
}

/// A value with every null member of its objects left out.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_nulls(v)))
                .filter(|(_, v)| !v.is_null())
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

impl Params {
    pub fn compile(raw: &BTreeMap<String, Value>) -> Result<Params, String> {
        raw.iter()
            .map(|(k, v)| Ok((k.clone(), ParamValue::compile(v)?)))
            .collect::<Result<_, String>>()
            .map(Params)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        self.0.values().for_each(|v| v.collect_paths(&mut out));
        out
    }

    /// The parameters as sent: a parameter with no value (null, a lone variable with no
    /// value) is left out, in nested objects too, so what is shown is what is sent.
    pub fn render_to_send(&self, context: &Value) -> serde_json::Map<String, Value> {
        self.0
            .iter()
            .map(|(k, v)| (k.clone(), without_nulls(v.render(context))))
            .filter(|(_, v)| !v.is_null())
            .collect()
    }

    /// True when every variable the parameters use is defined in the context.
    pub fn is_resolved(&self, context: &Value) -> bool {
        self.paths().iter().all(|p| p.is_defined(context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_known_and_marks_unknown_variables() {
        let t = Template::parse("cluster {{ resource.name }} in {{steps.c.VpcId}}").unwrap();
        let ctx = json!({"resource": {"name": "c1"}, "steps": {}});
        assert_eq!(t.render(&ctx), "cluster c1 in <steps.c.VpcId>");
        assert!(!t.paths().all(|p| p.is_defined(&ctx)));
    }

    #[test]
    fn a_lone_variable_keeps_its_type() {
        let t = Template::parse("{{ answers.ok }}").unwrap();
        assert_eq!(
            t.render_value(&json!({"answers": {"ok": true}})),
            json!(true)
        );
    }

    #[test]
    fn takes_the_first_alternative_with_a_value() {
        let t = Template::parse("{{ answers.name or steps.i.Id }}").unwrap();
        let ctx = json!({"answers": {}, "steps": {"i": {"Id": "old"}}});
        assert_eq!(t.render_value(&ctx), json!("old"));
        let ctx = json!({"answers": {"name": "new"}, "steps": {"i": {"Id": "old"}}});
        assert_eq!(t.render(&ctx), "new");
        assert_eq!(t.paths().count(), 2);
        let t = Template::parse("CA {{ answers.ca or 'none' }}").unwrap();
        assert_eq!(t.render(&json!({"answers": {}})), "CA none");
        assert_eq!(t.paths().count(), 1);
    }

    #[test]
    fn rejects_unclosed_and_malformed_variables() {
        assert!(Template::parse("{{ a.b").is_err());
        assert!(Template::parse("{{ a b }}").is_err());
    }
}
