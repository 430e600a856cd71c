//! PEM certificate chains, checked before DMS is asked to import one: every block must be a
//! `CERTIFICATE` whose base64 decodes to an X.509 structure (a DER SEQUENCE of the
//! to-be-signed certificate, the signature algorithm and the signature bit string, lengths
//! consistent). A file that fails is reported by what is wrong, never imported.

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";

/// One DER element: (tag, content, rest).
fn element(der: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let (&tag, rest) = der.split_first().ok_or("the DER data ends early")?;
    let (&first, rest) = rest.split_first().ok_or("the DER data ends early")?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err("a DER length is malformed".into());
        }
        let length = rest[..n]
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        (length, &rest[n..])
    };
    if rest.len() < length {
        return Err("a DER element is longer than the data".into());
    }
    Ok((tag, &rest[..length], &rest[length..]))
}

/// Checks the outline of an X.509 certificate in DER.
fn check_x509(der: &[u8]) -> Result<(), String> {
    const SEQUENCE: u8 = 0x30;
    const BIT_STRING: u8 = 0x03;
    let (tag, body, rest) = element(der)?;
    if tag != SEQUENCE || !rest.is_empty() {
        return Err("it is not a single DER SEQUENCE".into());
    }
    let (tbs, _, body) = element(body)?;
    let (algorithm, _, body) = element(body)?;
    let (signature, _, body) = element(body)?;
    if tbs != SEQUENCE || algorithm != SEQUENCE || signature != BIT_STRING || !body.is_empty() {
        return Err("it is not an X.509 certificate (certificate, algorithm, signature)".into());
    }
    Ok(())
}

/// The number of certificates in a PEM chain, or what is wrong with it.
pub fn check_pem_chain(text: &str) -> Result<usize, String> {
    let mut count = 0;
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let label_end = after.find("-----").ok_or("a BEGIN line is not closed")?;
        let label = &after[..label_end];
        if label != "CERTIFICATE" {
            return Err(format!(
                "it holds a `{label}` block; only CERTIFICATE blocks belong in a CA chain (never a private key)"
            ));
        }
        let body_start = &after[label_end + 5..];
        let end = body_start
            .find(END)
            .ok_or("a CERTIFICATE block has no END line")?;
        let base64: String = body_start[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = aws_smithy_types::base64::decode(&base64)
            .map_err(|_| format!("certificate {} is not valid base64", count + 1))?;
        check_x509(&der).map_err(|e| format!("certificate {}: {e}", count + 1))?;
        count += 1;
        let closing = &body_start[end + END.len()..];
        rest = closing.find("-----").map_or("", |i| &closing[i + 5..]);
    }
    if count == 0 {
        return Err("it holds no `-----BEGIN CERTIFICATE-----` block".into());
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
        assert!(
            check_pem_chain("hello")
                .unwrap_err()
                .contains("no `-----BEGIN")
        );
        let key = "-----BEGIN PRIVATE KEY-----\nMAcwADAAAwEA\n-----END PRIVATE KEY-----\n";
        assert!(check_pem_chain(key).unwrap_err().contains("private key"));
        let junk = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
        assert!(check_pem_chain(junk).unwrap_err().contains("certificate 1"));
        let broken = "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n";
        assert!(check_pem_chain(broken).unwrap_err().contains("base64"));
        let open = "-----BEGIN CERTIFICATE-----\nMAcwADAAAwEA\n";
        assert!(check_pem_chain(open).unwrap_err().contains("END"));
    }
}
