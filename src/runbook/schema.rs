//! The JSON schema (draft-07) of the runbook format, for editors and for `hubfix schema`.

use super::model::RawRunbook;

/// The schema as pretty JSON; `docs/runbook.schema.json` is this text.
pub fn schema_json() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<RawRunbook>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}
