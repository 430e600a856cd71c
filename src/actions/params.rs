//! Typed access to a call's rendered parameters, with errors that name the parameter.

use super::ActionSpec;
use crate::aws::ApiError;
use serde_json::{Map, Value};

pub struct Params<'a> {
    spec: &'a ActionSpec,
    values: &'a Map<String, Value>,
}

impl<'a> Params<'a> {
    pub fn new(spec: &'a ActionSpec, values: &'a Map<String, Value>) -> Self {
        Params { spec, values }
    }

    fn bad(&self, name: &str, want: &str) -> ApiError {
        ApiError::invalid(
            self.spec.operation,
            format!("parameter `{name}` of `{}` must be {want}", self.spec.name),
        )
    }

    /// A parameter as given (`None` when absent or null).
    pub fn value(&self, name: &str) -> Option<&'a Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    pub fn string(&self, name: &str) -> Result<String, ApiError> {
        self.opt_string(name)?
            .ok_or_else(|| self.bad(name, "a non-empty text"))
    }

    pub fn opt_string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.bad(name, "a non-empty text")),
        }
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(_) => Err(self.bad(name, "true or false")),
        }
    }
}

impl Params<'_> {
    pub fn opt_int(&self, name: &str) -> Result<Option<i32>, ApiError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.bad(name, "a whole number")),
            Some(Value::String(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| self.bad(name, "a whole number")),
            Some(_) => Err(self.bad(name, "a whole number")),
        }
    }

    /// A list of texts; absent or null is an empty list.
    pub fn strings(&self, name: &str) -> Result<Vec<String>, ApiError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.bad(name, "a list of texts"))
                })
                .collect(),
            Some(_) => Err(self.bad(name, "a list of texts")),
        }
    }

    /// A list of objects; absent or null is an empty list.
    pub fn objects(&self, name: &str) -> Result<Vec<Map<String, Value>>, ApiError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_object()
                        .cloned()
                        .ok_or_else(|| self.bad(name, "a list of objects"))
                })
                .collect(),
            Some(_) => Err(self.bad(name, "a list of objects")),
        }
    }

    /// An object; absent or null is `None`.
    pub fn opt_object(&self, name: &str) -> Result<Option<Map<String, Value>>, ApiError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m.clone())),
            Some(_) => Err(self.bad(name, "an object")),
        }
    }
}
