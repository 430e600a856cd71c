//! Review dates of suppressions. A suppression is an exception someone signed off, and an
//! exception should not outlive its reason: every suppression hubfix makes carries the date
//! by which it must be looked at again, in its note and, machine-readable, in the finding's
//! `UserDefinedFields` (`hubfix:review_by`, `hubfix:approver`, `hubfix:run`), so that
//! `hubfix review` finds the ones whose date has come and can put them back to NEW.
//!
//! BatchUpdateFindings replaces the whole map: hubfix merges its fields into the finding's
//! current ones, so another tool's fields are kept.

use super::{Finding, note_body};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// A finding's `UserDefinedFields`.
pub type UserFields = BTreeMap<String, String>;

/// The date by which a suppression must be reviewed (`YYYY-MM-DD`).
pub const REVIEW_BY: &str = "hubfix:review_by";
/// Who signed the suppression off.
pub const APPROVER: &str = "hubfix:approver";
/// The run that suppressed the finding (for `hubfix suppress`, its invocation id).
pub const RUN: &str = "hubfix:run";
/// The day `hubfix review --reopen` set the finding back to NEW.
pub const REOPENED_ON: &str = "hubfix:reopened_on";

/// Every field hubfix writes; the others belong to other tools and are kept.
const OURS: [&str; 4] = [REVIEW_BY, APPROVER, RUN, REOPENED_ON];

/// The most fields Security Hub keeps on a finding.
pub const MAX_FIELDS: usize = 50;

/// The latest review date, in days from today: an exception reviewed less often than every
/// three years is a permanent one, which is what review dates are there to prevent.
pub const MAX_REVIEW_DAYS: i64 = 3 * 365;

/// Today's date in UTC, the calendar of run dates and review dates.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A date written `YYYY-MM-DD`, and only so.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    let shaped = text.len() == 10
        && text.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| {
            format!(
                "`{}` is not a date: write it as YYYY-MM-DD, e.g. 2027-06-01",
                crate::text::escape_controls(text)
            )
        })
}

/// A review date as of `today`: a real date, not in the past, at most three years ahead.
pub fn check_review_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let date = parse_date(text)?;
    let latest = today + chrono::Duration::days(MAX_REVIEW_DAYS);
    if date < today {
        return Err(format!(
            "the review date {date} is in the past (today is {today}, UTC): give a date from today on"
        ));
    }
    if date > latest {
        return Err(format!(
            "the review date {date} is more than {MAX_REVIEW_DAYS} days ahead (the latest is {latest}): an exception must be reviewed at least every three years"
        ));
    }
    Ok(date)
}

/// The default review date: `days` after `today`.
pub fn review_date_after(today: NaiveDate, days: u32) -> NaiveDate {
    today + chrono::Duration::days(i64::from(days))
}

/// The finding's fields without hubfix's own (those of an earlier suppression or reopening).
pub fn others(current: &UserFields) -> UserFields {
    current
        .iter()
        .filter(|(k, _)| !OURS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The fields of a suppression: the finding's own fields, and hubfix's set anew.
pub fn suppression_fields(
    current: &UserFields,
    review_by: &str,
    approver: &str,
    run: &str,
) -> UserFields {
    let mut fields = others(current);
    fields.insert(REVIEW_BY.into(), review_by.into());
    fields.insert(APPROVER.into(), approver.into());
    fields.insert(RUN.into(), run.into());
    fields
}

/// The fields of a finding set back to NEW: the suppression's fields go, the day it was
/// reopened is kept (so the map is never empty and says what happened).
pub fn reopened_fields(current: &UserFields, on: NaiveDate) -> UserFields {
    let mut fields = others(current);
    fields.insert(REOPENED_ON.into(), on.to_string());
    fields
}

/// Why Security Hub would refuse a map of `count` fields, if it would: at most 50.
pub fn check_field_count(count: usize) -> Result<(), String> {
    if count > MAX_FIELDS {
        return Err(format!(
            "the finding would have {count} user-defined fields with hubfix's, and Security Hub keeps at most {MAX_FIELDS}: remove some of the finding's other fields first"
        ));
    }
    Ok(())
}

/// A suppression hubfix made, as `hubfix review` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Exception {
    #[serde(flatten)]
    pub finding: Finding,
    /// `hubfix:review_by` as written.
    pub review_by: String,
    pub approver: Option<String>,
    pub run: Option<String>,
    /// The note without hubfix's tail: what was decided, and why.
    pub reason: String,
    /// Days since the review date, 0 on the day; `None` when the field is not a date.
    pub overdue_days: Option<i64>,
}

impl Exception {
    pub fn of(finding: Finding, as_of: NaiveDate) -> Option<Exception> {
        let fields = &finding.user_defined_fields;
        let review_by = fields.get(REVIEW_BY)?.clone();
        let overdue_days = parse_date(&review_by).ok().map(|d| (as_of - d).num_days());
        Some(Exception {
            approver: fields.get(APPROVER).cloned(),
            run: fields.get(RUN).cloned(),
            reason: note_body(finding.note.as_deref().unwrap_or_default()).to_owned(),
            review_by,
            overdue_days,
            finding,
        })
    }

    /// Whether its review date has come by `as_of` (the day itself counts). A field that is
    /// not a date counts as due: an exception whose date cannot be read is reviewed now.
    pub fn is_due(&self) -> bool {
        self.overdue_days.is_none_or(|d| d >= 0)
    }

    /// The note that reopens it: the exception expired, by whom it was approved.
    pub fn reopen_note_body(&self) -> String {
        match &self.approver {
            Some(a) => format!(
                "Exception expired (review by {}, approved by {a}): reopened by hubfix review",
                self.review_by
            ),
            None => format!(
                "Exception expired (review by {}): reopened by hubfix review",
                self.review_by
            ),
        }
    }
}

/// The exceptions among `findings` whose review date has come by `as_of`, oldest first.
pub fn due(findings: Vec<Finding>, as_of: NaiveDate) -> Vec<Exception> {
    let mut due: Vec<Exception> = findings
        .into_iter()
        .filter_map(|f| Exception::of(f, as_of))
        .filter(Exception::is_due)
        .collect();
    due.sort_by(|a, b| {
        b.overdue_days
            .unwrap_or(i64::MAX)
            .cmp(&a.overdue_days.unwrap_or(i64::MAX))
            .then_with(|| a.finding.id.cmp(&b.finding.id))
    });
    due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    #[test]
    fn review_dates_are_iso_dates_from_today_to_three_years_ahead() {
        let today = day("2026-12-06");
        assert_eq!(check_review_date("2026-12-06", today), Ok(today));
        assert!(check_review_date(" 2027-06-01 ", today).is_ok());
        assert!(
            check_review_date("2026-12-05", today)
                .unwrap_err()
                .contains("in the past")
        );
        assert!(check_review_date("2029-12-05", today).is_ok());
        assert!(
            check_review_date("2029-12-06", today)
                .unwrap_err()
                .contains("1095 days")
        );
        for bad in [
            "2027-6-1",
            "2027/06/01",
            "2027-02-30",
            "tomorrow",
            "",
            "20270601",
        ] {
            assert!(
                check_review_date(bad, today)
                    .unwrap_err()
                    .contains("YYYY-MM-DD"),
                "{bad}"
            );
        }
        assert_eq!(review_date_after(today, 180), day("2027-06-04"));
    }

    fn suppressed(id: &str, review_by: &str) -> Finding {
        Finding {
            id: id.into(),
            product_arn: "p".into(),
            control: "Redshift.7".into(),
            title: String::new(),
            severity: String::new(),
            resource_type: String::new(),
            resource_id: format!("arn:aws:redshift:ap-northeast-1:1:cluster:{id}"),
            resource_name: None,
            region: "ap-northeast-1".into(),
            account: "1".into(),
            workflow_status: "SUPPRESSED".into(),
            compliance_status: Some("FAILED".into()),
            record_state: Some("ACTIVE".into()),
            note: Some(super::super::compose_suppression_note(
                "Reason: legacy",
                "Taro",
                "2026-01-01",
                review_by,
                None,
            )),
            created_at: None,
            updated_at: None,
            user_defined_fields: [
                (REVIEW_BY.to_owned(), review_by.to_owned()),
                (APPROVER.to_owned(), "Taro".to_owned()),
            ]
            .into(),
        }
    }

    #[test]
    fn due_are_the_exceptions_whose_date_has_come_most_overdue_first() {
        let as_of = day("2027-06-01");
        let mut no_date = suppressed("no-date", "x");
        no_date.user_defined_fields.remove(REVIEW_BY);
        let listed = due(
            vec![
                suppressed("later", "2027-06-02"),
                suppressed("today", "2027-06-01"),
                suppressed("garbled", "soon"),
                suppressed("overdue", "2027-01-01"),
                no_date,
            ],
            as_of,
        );
        let ids: Vec<&str> = listed.iter().map(|e| e.finding.id.as_str()).collect();
        assert_eq!(ids, ["garbled", "overdue", "today"]);
        assert_eq!(listed[0].overdue_days, None);
        assert_eq!(listed[1].overdue_days, Some(151));
        assert_eq!(listed[2].overdue_days, Some(0));
        assert_eq!(listed[2].reason, "Reason: legacy");
        assert_eq!(listed[2].approver.as_deref(), Some("Taro"));
        assert_eq!(
            listed[2].reopen_note_body(),
            "Exception expired (review by 2027-06-01, approved by Taro): reopened by hubfix review"
        );
    }

    #[test]
    fn hubfix_fields_are_merged_into_the_findings_own() {
        let current: UserFields = [
            ("ticket".to_owned(), "SEC-42".to_owned()),
            (REOPENED_ON.to_owned(), "2026-01-01".to_owned()),
            (REVIEW_BY.to_owned(), "2026-01-01".to_owned()),
        ]
        .into();
        let fields = suppression_fields(&current, "2027-06-01", "Taro", "run-1");
        assert_eq!(
            fields.keys().map(String::as_str).collect::<Vec<_>>(),
            [APPROVER, REVIEW_BY, RUN, "ticket"]
        );
        assert_eq!(fields[REVIEW_BY], "2027-06-01");
        let reopened = reopened_fields(&fields, day("2027-06-02"));
        assert_eq!(
            reopened,
            [
                (REOPENED_ON.to_owned(), "2027-06-02".to_owned()),
                ("ticket".to_owned(), "SEC-42".to_owned())
            ]
            .into()
        );
        let full: UserFields = (0..48).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(check_field_count(suppression_fields(&full, "d", "a", "r").len()).is_err());
        let room: UserFields = (0..47).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(check_field_count(suppression_fields(&room, "d", "a", "r").len()).is_ok());
    }
}
