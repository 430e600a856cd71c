//! Named checks an input prompt's answer must pass (`validate: <name>`), run before the
//! answer is used, so bad input stops the run at the question, before any call.

/// Every check, by the name runbooks use.
pub const NAMES: &[&str] = &["pem_certificate_file"];

/// Runs the check `name` on an answer; the error says what is wrong.
pub fn check(name: &str, answer: &str) -> Result<(), String> {
    match name {
        "pem_certificate_file" => {
            let text = std::fs::read_to_string(answer)
                .map_err(|e| format!("cannot read {answer}: {e}"))?;
            crate::certificates::check_pem_chain(&text)
                .map(|_| ())
                .map_err(|e| format!("{answer} is not a PEM certificate chain: {e}"))
        }
        other => Err(format!("unknown check `{other}`")),
    }
}
