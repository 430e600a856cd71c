//! PEM certificate chains, checked before DMS is asked to import one: every block must be a
//! `CERTIFICATE` whose base64 decodes to an X.509 structure (a DER SEQUENCE of the
//! to-be-signed certificate, the signature algorithm and the signature bit string, lengths
//! consistent). A file that fails is reported by what is wrong, never imported.

/// What is wrong with a file given as a CA chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("it holds no `-----BEGIN CERTIFICATE-----` block")]
    NoCertificate,
    #[error("a BEGIN line is not closed")]
    UnclosedBegin,
    #[error("a CERTIFICATE block has no END line")]
    NoEnd,
    #[error(
        "it holds a `{0}` block; only CERTIFICATE blocks belong in a CA chain (never a private key)"
    )]
    NotACertificate(String),
    #[error("certificate {0} is not valid base64")]
    Base64(usize),
    #[error("certificate {number}: {problem}")]
    Der { number: usize, problem: DerError },
}

/// What is wrong with a certificate's DER outline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    #[error("the DER data ends early")]
    EndsEarly,
    #[error("a DER length is malformed")]
    BadLength,
    #[error("a DER element is longer than the data")]
    TooLong,
    #[error("it is not a single DER SEQUENCE")]
    NotOneSequence,
    #[error("it is not an X.509 certificate (certificate, algorithm, signature)")]
    NotX509,
}

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";

/// One DER element: (tag, content, rest).
fn element(der: &[u8]) -> Result<(u8, &[u8], &[u8]), DerError> {
    let (&tag, rest) = der.split_first().ok_or(DerError::EndsEarly)?;
    let (&first, rest) = rest.split_first().ok_or(DerError::EndsEarly)?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(DerError::BadLength);
        }
        let length = rest[..n]
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        (length, &rest[n..])
    };
    if rest.len() < length {
        return Err(DerError::TooLong);
    }
    Ok((tag, &rest[..length], &rest[length..]))
}

/// Checks the outline of an X.509 certificate in DER.
fn check_x509(der: &[u8]) -> Result<(), DerError> {
    const SEQUENCE: u8 = 0x30;
    const BIT_STRING: u8 = 0x03;
    let (tag, body, rest) = element(der)?;
    if tag != SEQUENCE || !rest.is_empty() {
        return Err(DerError::NotOneSequence);
    }
    let (tbs, _, body) = element(body)?;
    let (algorithm, _, body) = element(body)?;
    let (signature, _, body) = element(body)?;
    if tbs != SEQUENCE || algorithm != SEQUENCE || signature != BIT_STRING || !body.is_empty() {
        return Err(DerError::NotX509);
    }
    Ok(())
}

/// The number of certificates in a PEM chain, or what is wrong with it.
pub fn check_pem_chain(text: &str) -> Result<usize, ChainError> {
    let mut count = 0;
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let label_end = after.find("-----").ok_or(ChainError::UnclosedBegin)?;
        let label = &after[..label_end];
        if label != "CERTIFICATE" {
            return Err(ChainError::NotACertificate(label.to_owned()));
        }
        let body_start = &after[label_end + 5..];
        let end = body_start.find(END).ok_or(ChainError::NoEnd)?;
        let base64: String = body_start[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der =
            aws_smithy_types::base64::decode(&base64).map_err(|_| ChainError::Base64(count + 1))?;
        check_x509(&der).map_err(|problem| ChainError::Der {
            number: count + 1,
            problem,
        })?;
        count += 1;
        let closing = &body_start[end + END.len()..];
        rest = closing.find("-----").map_or("", |i| &closing[i + 5..]);
    }
    if count == 0 {
        return Err(ChainError::NoCertificate);
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A minimal structure: SEQUENCE { SEQUENCE {}, SEQUENCE {}, BIT STRING {0} }.
    const TINY: &str = "-----BEGIN CERTIFICATE-----\nMAcwADAAAwEA\n-----END CERTIFICATE-----\n";

    #[test]
    fn accepts_chains_and_counts_them() {
        assert_eq!(check_pem_chain(TINY), Ok(1));
        assert_eq!(check_pem_chain(&format!("{TINY}{TINY}")), Ok(2));
    }

    #[test]
    fn refuses_what_is_not_a_certificate_chain() {
        assert_eq!(check_pem_chain("hello"), Err(ChainError::NoCertificate));
        let key = "-----BEGIN PRIVATE KEY-----\nMAcwADAAAwEA\n-----END PRIVATE KEY-----\n";
        assert!(
            check_pem_chain(key)
                .unwrap_err()
                .to_string()
                .contains("private key")
        );
        let junk = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            check_pem_chain(junk),
            Err(ChainError::Der { number: 1, .. })
        ));
        let broken = "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n";
        assert_eq!(check_pem_chain(broken), Err(ChainError::Base64(1)));
        let open = "-----BEGIN CERTIFICATE-----\nMAcwADAAAwEA\n";
        assert_eq!(check_pem_chain(open), Err(ChainError::NoEnd));
    }
}
