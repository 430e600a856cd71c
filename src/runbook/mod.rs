//! The runbook language: what a control's YAML file may say, how it is read with located
//! errors, and how it is checked into a [`Plan`] the engine can walk without surprises.
//!
//! Nothing here talks to AWS or to a person: the language is pure data, so a broken runbook
//! is caught by `hubfix validate` before anyone runs it against production.

mod condition;
mod error;
mod load;
mod model;
mod plan;
mod schema;
mod secret_rules;
mod template;
mod text;
pub mod validators;
pub mod yaml_error;

pub use condition::Condition;
pub use error::{Location, RunbookError};
pub use load::{Catalog, embedded_runbooks, load_dir, load_file, load_str};
pub use model::RawRunbook;
pub use plan::{
    Branch, CallCatalog, CallSignature, ForEach, Message, OnFailure, Outcome, Plan, PromptKind,
    SelectOption, StateField, Step, StepKind, WaitSpec, parse_duration,
};
pub use schema::schema_json;
pub use secret_rules::SecretRules;
pub use template::{
    Params, Path, Template, deferred, deferred_from, has_deferred, prose, shown_value,
};
pub use text::{Lang, Text};
