//! `when`, `until` and `that` conditions: `path`, `not path`, `path == literal`,
//! `path != literal`, `path == {{ other.path }}` (compare two values of the context),
//! joined with `and` / `or` (`and` binds tighter, no parentheses).
//!
//! Deliberately tiny: a runbook condition should read like the article's sentence, and
//! anything more complex belongs in an action that returns a simple value.

use super::template::Path;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Atom {
    Truthy {
        negated: bool,
        path: Path,
    },
    Compare {
        path: Path,
        equal: bool,
        other: Operand,
    },
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Literal(Value),
    Path(Path),
}

impl Operand {
    fn parse(text: &str) -> Result<Operand, String> {
        let text = text.trim();
        match text.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) {
            Some(inner) => Ok(Operand::Path(Path::parse(inner)?)),
            None => Ok(Operand::Literal(parse_literal(text))),
        }
    }

    fn value<'a>(&'a self, context: &'a Value) -> Value {
        match self {
            Operand::Literal(v) => v.clone(),
            Operand::Path(p) => p.lookup(context).cloned().unwrap_or(Value::Null),
        }
    }
}

/// A parsed condition over the run context.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    source: String,
    /// Disjunction of conjunctions.
    any_of: Vec<Vec<Atom>>,
}

fn parse_literal(text: &str) -> Value {
    let text = text.trim();
    if let Some(inner) = text
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| text.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
    {
        return Value::String(inner.to_owned());
    }
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_owned())),
    }
}

fn parse_atom(text: &str) -> Result<Atom, String> {
    let text = text.trim();
    for (op, equal) in [("==", true), ("!=", false)] {
        if let Some((left, right)) = text.split_once(op) {
            if right.trim().is_empty() {
                return Err(format!("`{text}` compares with nothing after `{op}`"));
            }
            return Ok(Atom::Compare {
                path: Path::parse(left)?,
                equal,
                other: Operand::parse(right)?,
            });
        }
    }
    match text.strip_prefix("not ") {
        Some(rest) => Ok(Atom::Truthy {
            negated: true,
            path: Path::parse(rest)?,
        }),
        None => Ok(Atom::Truthy {
            negated: false,
            path: Path::parse(text)?,
        }),
    }
}

fn holds(atom: &Atom, context: &Value) -> bool {
    match atom {
        Atom::Truthy { negated, path } => truthy(path.lookup(context)) != *negated,
        // Comparing with a value the context does not have proves nothing: it does not hold.
        Atom::Compare {
            other: Operand::Path(p),
            ..
        } if p.lookup(context).is_none() => false,
        Atom::Compare { path, equal, other } => {
            loosely_equal(path.lookup(context), &other.value(context)) == *equal
        }
    }
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

fn loosely_equal(actual: Option<&Value>, literal: &Value) -> bool {
    match (actual, literal) {
        (None, Value::Null) => true,
        (Some(a), l) if a == l => true,
        // API outputs sometimes carry booleans and numbers as strings ("true", "5").
        (Some(Value::String(a)), l) if !l.is_string() => a.as_str() == l.to_string().as_str(),
        _ => false,
    }
}

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, String> {
        let any_of = text
            .split(" or ")
            .map(|conj| conj.split(" and ").map(parse_atom).collect())
            .collect::<Result<Vec<Vec<Atom>>, String>>()?;
        Ok(Condition {
            source: text.trim().to_owned(),
            any_of,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.any_of.iter().flatten().flat_map(|atom| match atom {
            Atom::Truthy { path, .. } => vec![path],
            Atom::Compare {
                path,
                other: Operand::Path(other),
                ..
            } => vec![path, other],
            Atom::Compare { path, .. } => vec![path],
        })
    }

    pub fn eval(&self, context: &Value) -> bool {
        self.any_of
            .iter()
            .any(|conj| conj.iter().all(|atom| holds(atom, context)))
    }

    /// For a condition that does not hold: the parts that do not, with the values seen,
    /// e.g. `output.KmsKeyId is "k2", expected "k1"`.
    pub fn explain(&self, context: &Value) -> String {
        let mut parts = Vec::new();
        for atom in self.any_of.iter().flatten() {
            if holds(atom, context) {
                continue;
            }
            let shown = |p: &Path| {
                p.lookup(context)
                    .map_or_else(|| "missing".to_owned(), Value::to_string)
            };
            parts.push(match atom {
                Atom::Truthy { negated, path } => format!(
                    "{path} is {}, expected it {}",
                    shown(path),
                    if *negated {
                        "unset or false"
                    } else {
                        "set and not false"
                    }
                ),
                Atom::Compare { path, equal, other } => format!(
                    "{path} is {}, expected {}{}",
                    shown(path),
                    if *equal { "" } else { "anything but " },
                    other.value(context)
                ),
            });
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evaluates_comparisons_negation_and_connectives() {
        let ctx = json!({"a": {"on": true, "status": "available", "n": "3"}, "b": false});
        let c = |s: &str| Condition::parse(s).unwrap().eval(&ctx);
        assert!(c("a.on == true"));
        assert!(c("a.status == available"));
        assert!(c("a.status != 'modifying'"));
        assert!(c("not b"));
        assert!(c("a.n == 3"));
        assert!(!c("b and a.on"));
        assert!(c("b or a.on"));
        assert!(c("missing == null"));
        assert!(c("a.n == {{ a.n }}"));
        assert!(!c("a.status == {{ a.n }}"));
        assert!(
            !c("a.typo == {{ a.also_typo }}"),
            "two missing values do not match"
        );
        assert_eq!(
            Condition::parse("a.on == true and a.status == {{ a.n }}")
                .unwrap()
                .explain(&ctx),
            "a.status is \"available\", expected \"3\""
        );
    }

    #[test]
    fn rejects_bad_paths() {
        assert!(Condition::parse("a b").is_err());
        assert!(Condition::parse("a ==").is_err());
    }
}
