//! Handling secret answers beyond keeping them out of the context: a salted fingerprint the
//! journal can keep (so a resumed run can check the same secret is given again without the
//! journal ever holding it), generated values saved to a file only the owner can read, and a
//! registry the panic hook uses so a secret cannot leak through a panic message either.

use super::prompt::Secret;
use crate::runbook::SecretRules;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Mutex;

static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers a secret so [`scrub`] can take it out of any text (panic messages).
pub(super) fn remember(secret: &str) {
    if !secret.is_empty() {
        KNOWN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(secret.to_owned());
    }
}

/// The text with every secret given in this process replaced by `<redacted>`.
pub fn scrub(text: &str) -> String {
    let mut out = text.to_owned();
    let known = KNOWN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for secret in known.iter() {
        out = out.replace(secret.as_str(), super::context::REDACTED);
    }
    out
}

/// Random bytes from the operating system.
pub fn random_bytes(n: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn digest(salt: &str, secret: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(salt.as_bytes());
    hash.update([0]);
    hash.update(secret.as_bytes());
    hex::encode(hash.finalize())
}

/// `sha256:<salt>:<hex>` of the secret under a fresh random salt.
pub fn fingerprint(secret: &Secret) -> std::io::Result<String> {
    let salt = hex::encode(random_bytes(16)?);
    Ok(format!("sha256:{salt}:{}", digest(&salt, secret.expose())))
}

/// Whether the secret is the one the fingerprint was taken of.
pub fn same_secret(fingerprint: &str, secret: &Secret) -> bool {
    match fingerprint.split(':').collect::<Vec<_>>().as_slice() {
        ["sha256", salt, hex] => digest(salt, secret.expose()) == *hex,
        _ => false,
    }
}

/// Why a secret could not be generated into its file.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("cannot read random bytes: {0}")]
    Random(std::io::Error),
    #[error("cannot create {}: {source} (hubfix never overwrites a file)", path.display())]
    Create {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Generates a value meeting the rules and writes it to a new file created with mode 0600
/// (an existing file is never overwritten). The value itself is never shown.
pub fn generate_to_file(
    rules: &SecretRules,
    length: usize,
    path: &Path,
) -> Result<Secret, GenerateError> {
    let mut random = std::fs::File::open("/dev/urandom").map_err(GenerateError::Random)?;
    let mut failed = None;
    let value = rules.generate(length, || {
        let mut byte = [0u8];
        if let Err(e) = random.read_exact(&mut byte) {
            failed.get_or_insert(e);
        }
        byte[0]
    });
    if let Some(e) = failed {
        return Err(GenerateError::Random(e));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|source| GenerateError::Create {
        path: path.to_path_buf(),
        source,
    })?;
    file.write_all(value.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(|source| GenerateError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_only_the_same_secret_and_do_not_contain_it() {
        let s = Secret::new("Abcdefgh-12345678!");
        let fp = fingerprint(&s).unwrap();
        assert!(!fp.contains("Abcdefgh"));
        assert!(same_secret(&fp, &s));
        assert!(!same_secret(&fp, &Secret::new("Abcdefgh-12345678?")));
        assert_ne!(fp, fingerprint(&s).unwrap(), "salted");
    }
}
