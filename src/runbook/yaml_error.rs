//! YAML parse errors (runbooks and answers files) in hubfix's words: the parser's advice to
//! its own callers ("set DuplicateKeyPolicy in Options", "budget breached: Nodes {..}") is
//! replaced by what the operator can do, and the position is left out of the message because
//! hubfix puts `file:line:column` in front of it.

use serde_saphyr::{DefaultMessageFormatter, Error, Localizer, Location, MessageFormatter};
use std::borrow::Cow;

/// Leaves out the parser's ` at line X, column Y` suffixes.
struct NoPosition;

impl Localizer for NoPosition {
    fn attach_location<'a>(&self, base: Cow<'a, str>, _: Location) -> Cow<'a, str> {
        base
    }

    fn alias_defined_at(&self, _: Location) -> String {
        String::new()
    }

    fn alias_used_at(&self, _: Location) -> String {
        String::new()
    }
}

struct Words;

const TOO_BIG: &str = "the file is too large or too deeply nested (too many values, aliases or levels); hubfix refuses it rather than expand it";

impl MessageFormatter for Words {
    fn localizer(&self) -> &dyn Localizer {
        &NoPosition
    }

    fn format_message<'a>(&self, err: &'a Error) -> Cow<'a, str> {
        match err {
            Error::DuplicateMappingKey { key: Some(key), .. } => {
                Cow::Owned(format!("duplicate key `{key}`: each key may appear once"))
            }
            Error::DuplicateMappingKey { key: None, .. } => {
                Cow::Borrowed("duplicate key: each key may appear once")
            }
            Error::Budget { .. }
            | Error::AliasReplayCounterOverflow { .. }
            | Error::AliasReplayLimitExceeded { .. }
            | Error::AliasExpansionLimitExceeded { .. }
            | Error::AliasReplayStackDepthExceeded { .. } => Cow::Borrowed(TOO_BIG),
            other => DefaultMessageFormatter.format_message(other),
        }
    }
}

/// Where the parser stopped (line, column), when it knows, and what is wrong.
pub fn describe(err: &Error) -> (Option<(u64, u64)>, String) {
    let inner = err.without_snippet();
    let at = inner.location().map(|l| (l.line(), l.column()));
    let mut options = serde_saphyr::RenderOptions::new(&Words);
    options.snippets = serde_saphyr::SnippetMode::Off;
    (at, inner.render_with_options(options))
}
