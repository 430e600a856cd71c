//! Finding notes: what was decided or changed, by whom and when, within Security Hub's
//! 512-character limit (the operator's reason is shortened, never the approver or date).

/// Security Hub's limit on `Note.Text`.
pub const NOTE_LIMIT: usize = 512;

/// `body` followed by who approved it and when, cut to fit 512 characters.
pub fn compose_note(body: &str, approver: &str, date: &str) -> String {
    let tail = format!(" [hubfix; approved by {approver} on {date}]");
    let room = NOTE_LIMIT.saturating_sub(tail.chars().count());
    let body = body.trim();
    let body: String = if body.chars().count() > room {
        let mut cut: String = body.chars().take(room.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        body.to_owned()
    };
    let note = format!("{body}{tail}");
    note.chars().take(NOTE_LIMIT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reasons_are_cut_but_approver_and_date_stay() {
        let note = compose_note(&"x".repeat(2000), "Taro Yamada", "2026-11-22");
        assert_eq!(note.chars().count(), NOTE_LIMIT);
        assert!(note.ends_with("[hubfix; approved by Taro Yamada on 2026-11-22]"));
    }

    #[test]
    fn short_notes_are_kept_whole() {
        assert_eq!(
            compose_note("Legacy ETL", "A", "2026-01-01"),
            "Legacy ETL [hubfix; approved by A on 2026-01-01]"
        );
    }
}
