//! The JSON schema (draft-07) of the runbook format, for editors and for `hubfix schema`.

use super::model::RawRunbook;
use serde_json::Value;

/// Keys in sorted order whatever map serde_json was built with, so the text is stable.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The schema as pretty JSON; `docs/runbook.schema.json` is this text.
pub fn schema_json() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<RawRunbook>();
    let value = sorted(serde_json::to_value(&schema).expect("a schema serializes"));
    let mut text = serde_json::to_string_pretty(&value).expect("a schema serializes");
    text.push('\n');
    text
}
