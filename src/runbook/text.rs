//! Operator-facing text in English and Japanese, and the choice between them.

use schemars::JsonSchema;
use serde::Deserialize;

/// The language operator-facing text is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

impl Lang {
    /// The language a `LANG`-style locale asks for: Japanese for `ja*`, English otherwise.
    pub fn from_locale(locale: Option<&str>) -> Lang {
        match locale {
            Some(l) if l.to_ascii_lowercase().starts_with("ja") => Lang::Ja,
            _ => Lang::En,
        }
    }

    /// Picks the English or the Japanese of a pair of literals (the engine's own few texts).
    pub fn pick<'a>(self, en: &'a str, ja: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }
}

/// A text a runbook shows the operator, in both languages.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// English text; may contain `{{ templates }}`.
    pub en: String,
    /// Japanese text; may contain `{{ templates }}`.
    pub ja: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ja => &self.ja,
        }
    }
}
