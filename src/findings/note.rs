//! Finding notes: what was decided or changed, by whom and when (and for a suppression, by
//! when it must be reviewed), within Security Hub's 512-character limit (the operator's
//! reason is shortened, never the approver or the dates).
//! The approver and the reason are checked against that budget before any call, so a note
//! is never cut where it matters, and control characters are written as visible escapes.

use crate::text::{escape_controls, is_unsafe};

/// Security Hub's limit on `Note.Text`.
pub const NOTE_LIMIT: usize = 512;

/// The longest approver's name, in characters. Security Hub takes 512 in `Note.UpdatedBy`,
/// but the name is also in the note's tail, and the note must keep room for the reason.
pub const APPROVER_LIMIT: usize = 100;

/// The longest reason, in characters (control characters counted as their escapes). With the
/// longest approver, the date and a suppression's review date in the tail, the note keeps
/// room for 153 more characters of the runbook's own words and resource names, so a reason
/// is not cut.
pub const REASON_LIMIT: usize = 200;

/// Where hubfix's tail starts in a note it wrote.
const TAIL_START: &str = " [hubfix; ";

/// The tail of every note: the saved plan applied (its SHA-256), who approved it and when,
/// and by when a suppression is reviewed.
fn tail(approver: &str, date: &str, review_by: Option<&str>, plan: Option<&str>) -> String {
    let plan = plan
        .map(|p| format!("plan sha256:{p}; "))
        .unwrap_or_default();
    match review_by {
        Some(review) => {
            format!("{TAIL_START}{plan}approved by {approver} on {date}; review by {review}]")
        }
        None => format!("{TAIL_START}{plan}approved by {approver} on {date}]"),
    }
}

/// A note without the tail hubfix added: what was decided, and why.
pub fn note_body(note: &str) -> &str {
    note.rfind(TAIL_START).map_or(note, |at| &note[..at])
}

/// Why a name cannot be the approver of a finding update, if it cannot.
pub fn check_approver(name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the approver's name cannot be empty".into());
    }
    let length = name.chars().count();
    if length > APPROVER_LIMIT {
        return Err(format!(
            "the approver's name is {length} characters long; at most {APPROVER_LIMIT} fit in the finding note"
        ));
    }
    if let Some(position) = name.chars().position(is_unsafe) {
        return Err(format!(
            "the approver's name holds a control character (character {}); give the name as plain text",
            position + 1
        ));
    }
    Ok(())
}

/// Why a text cannot be the reason recorded in a finding note, if it cannot.
pub fn check_reason(reason: &str) -> Result<(), String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("a reason is needed: it is recorded in the finding note".into());
    }
    let length = escape_controls(reason).chars().count();
    if length > REASON_LIMIT {
        return Err(format!(
            "the reason is {length} characters long; at most {REASON_LIMIT} fit in the finding note (Security Hub keeps {NOTE_LIMIT} characters, with the approver and the date): shorten it, or point to a ticket"
        ));
    }
    Ok(())
}

/// `body` followed by who approved it and when (and, for a run of a saved plan, the plan
/// file's SHA-256), cut to fit 512 characters: the body is shortened, never the tail.
/// Control characters in either are written as visible escapes (`\x1b`).
pub fn compose_note(body: &str, approver: &str, date: &str, plan: Option<&str>) -> String {
    compose(body, approver, date, None, plan)
}

/// A suppression's note: as [`compose_note`], with the review date in the tail
/// (`review by 2027-06-01`), which is never cut either.
pub fn compose_suppression_note(
    body: &str,
    approver: &str,
    date: &str,
    review_by: &str,
    plan: Option<&str>,
) -> String {
    compose(body, approver, date, Some(review_by), plan)
}

fn compose(
    body: &str,
    approver: &str,
    date: &str,
    review_by: Option<&str>,
    plan: Option<&str>,
) -> String {
    let tail = tail(&escape_controls(approver), date, review_by, plan);
    let room = NOTE_LIMIT.saturating_sub(tail.chars().count());
    let body = escape_controls(body.trim());
    let body: String = if body.chars().count() > room {
        let mut cut: String = body.chars().take(room.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        body.into_owned()
    };
    let note = format!("{body}{tail}");
    note.chars().take(NOTE_LIMIT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reasons_are_cut_but_approver_and_date_stay() {
        let note = compose_note(&"x".repeat(2000), "Taro Yamada", "2026-11-22", None);
        assert_eq!(note.chars().count(), NOTE_LIMIT);
        assert!(note.ends_with("[hubfix; approved by Taro Yamada on 2026-11-22]"));
    }

    #[test]
    fn short_notes_are_kept_whole() {
        assert_eq!(
            compose_note("Legacy ETL", "A", "2026-01-01", None),
            "Legacy ETL [hubfix; approved by A on 2026-01-01]"
        );
    }

    #[test]
    fn a_suppression_note_keeps_its_review_date_and_gives_its_body_back() {
        let note =
            compose_suppression_note(&"x".repeat(2000), "A", "2026-11-22", "2027-05-21", None);
        assert_eq!(note.chars().count(), NOTE_LIMIT);
        assert!(note.ends_with("[hubfix; approved by A on 2026-11-22; review by 2027-05-21]"));
        let note = compose_suppression_note("Reason: [x]", "A", "2026-11-22", "2027-05-21", None);
        assert_eq!(note_body(&note), "Reason: [x]");
        assert_eq!(note_body("written by hand"), "written by hand");
    }

    #[test]
    fn control_characters_are_escaped_in_the_note() {
        let note = compose_note("Reason: a\u{1b}[31mb\u{9b}", "A", "2026-01-01", None);
        assert_eq!(
            note,
            "Reason: a\\x1b[31mb\\u{9b} [hubfix; approved by A on 2026-01-01]"
        );
    }

    #[test]
    fn the_longest_approver_and_reason_fit_whole() {
        let approver = "a".repeat(APPROVER_LIMIT);
        let reason = "r".repeat(REASON_LIMIT);
        assert!(check_approver(&approver).is_ok() && check_reason(&reason).is_ok());
        let body = format!("{} Reason: {reason}", "w".repeat(144));
        let note = compose_suppression_note(&body, &approver, "2026-01-01", "2026-07-01", None);
        assert!(note.contains(&body), "{note}");
        assert!(
            note.ends_with("on 2026-01-01; review by 2026-07-01]"),
            "{note}"
        );
        assert!(note.chars().count() <= NOTE_LIMIT);
        assert!(check_approver(&"a".repeat(APPROVER_LIMIT + 1)).is_err());
        assert!(check_approver("  ").is_err());
        assert!(check_approver("Taro\u{1b}[2J").is_err());
        assert!(check_reason(&"r".repeat(REASON_LIMIT + 1)).is_err());
        assert!(check_reason(" ").is_err());
    }

    #[test]
    fn a_saved_plan_is_named_in_the_tail_and_never_cut() {
        let sha = "a".repeat(64);
        let note = compose_note(&"x".repeat(2000), "Taro", "2026-01-01", Some(&sha));
        assert_eq!(note.chars().count(), NOTE_LIMIT);
        assert!(note.ends_with(&format!(
            "[hubfix; plan sha256:{sha}; approved by Taro on 2026-01-01]"
        )));
        let note =
            compose_suppression_note("Reason: [x]", "A", "2026-11-22", "2027-05-21", Some(&sha));
        assert!(note.ends_with(&format!(
            "[hubfix; plan sha256:{sha}; approved by A on 2026-11-22; review by 2027-05-21]"
        )));
        assert_eq!(note_body(&note), "Reason: [x]");
    }
}
