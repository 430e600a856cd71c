//! Rules a secret answer must meet (length and allowed characters), declared in the runbook
//! and checked before any call, so a token AWS would refuse never reaches AWS and a bad one
//! is reported without being shown.

use schemars::JsonSchema;
use serde::Deserialize;

/// The longest secret a rule may allow, in characters: secrets given as files are read up
/// to 4 KiB, and a character takes up to 4 bytes.
pub const MAX_LENGTH: usize = 1024;

/// As written in a runbook.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawSecretRules {
    /// At least 1.
    pub min_length: usize,
    /// At least `min_length`, at most 1024.
    pub max_length: usize,
    /// Allowed characters: single characters and ranges such as `A-Z`; a `-` that ends the
    /// list is itself allowed. E.g. `A-Za-z0-9!&#$^<>-`.
    pub characters: String,
}

/// Checked rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRules {
    pub min_length: usize,
    pub max_length: usize,
    /// As written, for messages.
    pub characters_spec: String,
    /// Every allowed character, in order.
    pub characters: Vec<char>,
}

impl SecretRules {
    pub fn parse(raw: &RawSecretRules) -> Result<SecretRules, String> {
        if raw.max_length > MAX_LENGTH {
            return Err(format!(
                "`max_length` ({}) must be at most {MAX_LENGTH}: a secret is read from a file of at most 4 KiB",
                raw.max_length
            ));
        }
        if raw.min_length == 0 || raw.min_length > raw.max_length {
            return Err(format!(
                "`min_length` ({}) must be at least 1 and at most `max_length` ({})",
                raw.min_length, raw.max_length
            ));
        }
        let spec: Vec<char> = raw.characters.chars().collect();
        let mut characters = Vec::new();
        let mut i = 0;
        while i < spec.len() {
            if i + 2 < spec.len() && spec[i + 1] == '-' {
                let (from, to) = (spec[i], spec[i + 2]);
                if from > to {
                    return Err(format!(
                        "the range `{from}-{to}` in `characters` is backwards"
                    ));
                }
                characters.extend(from..=to);
                i += 3;
            } else {
                characters.push(spec[i]);
                i += 1;
            }
        }
        characters.sort_unstable();
        characters.dedup();
        if characters.is_empty() || characters.len() > 256 {
            return Err(format!(
                "`characters` must allow 1 to 256 characters, not {}",
                characters.len()
            ));
        }
        Ok(SecretRules {
            min_length: raw.min_length,
            max_length: raw.max_length,
            characters_spec: raw.characters.clone(),
            characters,
        })
    }

    /// What is wrong with a value, never quoting it.
    pub fn check(&self, value: &str) -> Result<(), String> {
        let length = value.chars().count();
        if length < self.min_length || length > self.max_length {
            return Err(format!(
                "it is {length} characters long; it must be {} to {}",
                self.min_length, self.max_length
            ));
        }
        if let Some(position) = value.chars().position(|c| !self.characters.contains(&c)) {
            return Err(format!(
                "character {} is not allowed; use only {}",
                position + 1,
                self.characters_spec
            ));
        }
        Ok(())
    }

    /// A value of `length` characters drawn from `random` bytes (rejection sampling, so
    /// every allowed character is equally likely).
    pub fn generate(&self, length: usize, mut random: impl FnMut() -> u8) -> String {
        let n = self.characters.len();
        let limit = 256 - 256 % n; // bytes at or above this would favour the first characters
        let mut out = String::with_capacity(length);
        while out.chars().count() < length {
            let b = usize::from(random());
            if b < limit {
                out.push(self.characters[b % n]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redis() -> SecretRules {
        SecretRules::parse(&RawSecretRules {
            min_length: 16,
            max_length: 128,
            characters: "A-Za-z0-9!&#$^<>-".into(),
        })
        .unwrap()
    }

    #[test]
    fn checks_length_and_characters_without_quoting_the_value() {
        let r = redis();
        assert!(r.check("Abcdefgh-12345678!").is_ok());
        let short = r.check("short-TOKEN").unwrap_err();
        assert!(short.contains("11 characters"), "{short}");
        assert!(!short.contains("short-TOKEN"));
        let bad = r.check("abcdefghijklmnop@q").unwrap_err();
        assert!(bad.contains("character 17"), "{bad}");
        assert!(r.check(&"a".repeat(129)).is_err());
        assert!(r.check("abcdefghijklmno/").is_err());
        assert!(r.check("abcdefghijklmno ").is_err());
    }

    #[test]
    fn generated_values_meet_the_rules() {
        let r = redis();
        let mut seed = 7u8;
        let token = r.generate(64, || {
            seed = seed.wrapping_mul(31).wrapping_add(17);
            seed
        });
        assert_eq!(token.chars().count(), 64);
        assert!(r.check(&token).is_ok());
    }

    #[test]
    fn a_trailing_dash_is_literal_and_bad_ranges_are_refused() {
        assert!(redis().characters.contains(&'-'));
        let backwards = RawSecretRules {
            min_length: 1,
            max_length: 2,
            characters: "z-a".into(),
        };
        assert!(SecretRules::parse(&backwards).is_err());
    }
}
