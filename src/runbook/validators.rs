//! Named checks an input prompt's answer must pass (`validate: <name>`), run before the
//! answer is used, so bad input stops the run at the question, before any call.

/// Every check a runbook may name.
pub const NAMES: &[&str] = &["note_text", "pem_certificate_file"];

/// The check of the approver's name, which the engine asks for itself (the prompt id
/// `approver` is reserved); runbooks cannot name it.
pub const APPROVER: &str = "approver";

/// The check of a suppression's review date, which the engine asks for itself (the prompt
/// id `review_by` is reserved): a `YYYY-MM-DD` date from today to three years ahead.
pub const REVIEW_DATE: &str = "review_date";

/// The largest CA chain file read: real bundles (the RDS global bundle) are under 200 KiB.
pub const MAX_PEM_FILE: u64 = 1 << 20;

/// Runs the check `name` on an answer; the error says what is wrong.
pub fn check(name: &str, answer: &str) -> Result<(), String> {
    match name {
        "note_text" => crate::findings::check_reason(answer),
        APPROVER => crate::findings::check_approver(answer),
        REVIEW_DATE => {
            crate::findings::review::check_review_date(answer, crate::findings::review::today())
                .map(|_| ())
        }
        "pem_certificate_file" => {
            let text = crate::files::read_regular_text(std::path::Path::new(answer), MAX_PEM_FILE)
                .map_err(|e| format!("cannot use {answer}: {e}"))?;
            crate::certificates::check_pem_chain(&text)
                .map(|_| ())
                .map_err(|e| format!("{answer} is not a PEM certificate chain: {e}"))
        }
        other => Err(format!("unknown check `{other}`")),
    }
}
