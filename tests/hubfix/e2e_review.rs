//! Suppressions with a review date, end to end: the real binary against the emulator. A
//! suppression (a runbook's `suppress` step or `hubfix suppress`) carries its review date in
//! the note and in the finding's `UserDefinedFields`, beside the fields other tools set;
//! `hubfix review` lists it from that day (GetFindings with the map filter) and `--reopen`
//! sets it back to NEW with a note, so `findings` and `run` see it again. A review date in the
//! past or not a date is refused before anything is sent (exit 2).

use crate::emulator::{Emulator, Hubfix, seeded};
use hubfix::findings::review::{review_date_after, today};
use serde_json::Value;
use std::collections::BTreeMap;

const CLUSTER: &str = "test-redshift-cluster";
const ARN: &str = "arn:aws:redshift:ap-northeast-1:123456789012:cluster:test-redshift-cluster";

/// A date `days` from today (UTC), as hubfix writes it.
fn in_days(days: u32) -> String {
    review_date_after(today(), days).to_string()
}

fn day_before(date: &str) -> String {
    (chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap() - chrono::Duration::days(1))
        .to_string()
}

/// A finding as Security Hub holds it now: (workflow status, note, user-defined fields).
async fn finding(emu: &Emulator, resource: &str) -> (String, String, BTreeMap<String, String>) {
    // Boxed: SDK futures are large in debug builds, and a test awaits many of them.
    Box::pin(read_finding(emu, resource)).await
}

async fn read_finding(
    emu: &Emulator,
    resource: &str,
) -> (String, String, BTreeMap<String, String>) {
    let f = emu.finding_record(resource).await;
    (
        f.workflow()
            .and_then(|w| w.status())
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        f.note()
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_owned(),
        f.user_defined_fields()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    )
}

/// Another tool's field on the demo finding, set before hubfix touches it.
async fn tag_with_ticket(emu: &Emulator, id: &str) {
    emu.securityhub()
        .await
        .batch_update_findings()
        .finding_identifiers(
            aws_sdk_securityhub::types::AwsSecurityFindingIdentifier::builder()
                .id(id)
                .product_arn("arn:aws:securityhub:ap-northeast-1::product/aws/securityhub")
                .build(),
        )
        .user_defined_fields("ticket", "SEC-7")
        .send()
        .await
        .unwrap();
}

fn listed(hubfix: &Hubfix, as_of: &str) -> Vec<Value> {
    let run = hubfix.run(&["review", "--as-of", as_of, "--output", "json"]);
    run.expect_code(0);
    serde_json::from_str(&run.stdout()).unwrap()
}

/// The BatchUpdateFindings requests hubfix showed before sending, parsed.
fn shown(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter_map(|l| l.split_once("securityhub:BatchUpdateFindings "))
        .filter_map(|(_, json)| serde_json::from_str(json).ok())
        .collect()
}

fn batch_updates(emu: &Emulator) -> Vec<Value> {
    emu.test_api("GET", "/hubfix-test/requests", Value::Null)
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "BatchUpdateFindings")
        .map(|r| r["params"].clone())
        .collect()
}

/// The whole way: a runbook's suppression with `review_by` sets the fields beside the
/// finding's own; review lists it from that day, not the day before; `--reopen` from an
/// answers file makes it NEW with a note, and it is back in `hubfix findings`.
#[tokio::test(flavor = "multi_thread")]
async fn a_suppression_is_listed_from_its_review_date_and_reopened_with_a_note() {
    let (emu, hubfix) = seeded("redshift");
    let (id, ..) = emu.finding_of(CLUSTER).await;
    tag_with_ticket(&emu, &id).await;
    let review_by = in_days(30);
    let answers = hubfix.answers(&format!(
        "approver: Taro Yamada\ncontrols:\n  Redshift.7: {{ intended: true, reason: \"Legacy ETL needs public S3 until 2027-03\", review_by: {review_by} }}\n"
    ));
    let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
    run.expect_code(0);
    let run_id = hubfix.last_run_id();
    let (status, note, fields) = finding(&emu, ARN).await;
    assert_eq!(status, "SUPPRESSED");
    assert!(
        note.ends_with(&format!("; review by {review_by}]")),
        "{note}"
    );
    assert_eq!(
        fields,
        BTreeMap::from([
            ("hubfix:approver".to_owned(), "Taro Yamada".to_owned()),
            ("hubfix:review_by".to_owned(), review_by.clone()),
            ("hubfix:run".to_owned(), run_id.clone()),
            ("ticket".to_owned(), "SEC-7".to_owned()),
        ])
    );
    assert!(run.stderr().contains(&review_by), "{}", run.stderr());

    // The day before: nothing due. The day itself: listed, with every field.
    assert_eq!(
        listed(&hubfix, &day_before(&review_by)),
        Vec::<Value>::new()
    );
    let quiet = hubfix.run(&["review", "--as-of", &day_before(&review_by)]);
    quiet.expect_code(0);
    assert!(
        quiet
            .stderr()
            .contains("No suppression made by hubfix is due")
    );
    emu.forget_requests();
    let due = listed(&hubfix, &review_by);
    assert_eq!(due.len(), 1, "{due:#?}");
    assert_eq!(due[0]["id"], id);
    assert_eq!(due[0]["control"], "Redshift.7");
    assert_eq!(due[0]["review_by"], review_by);
    assert_eq!(due[0]["approver"], "Taro Yamada");
    assert_eq!(due[0]["run"], run_id);
    assert_eq!(due[0]["overdue_days"], 0);
    assert_eq!(
        due[0]["reason"],
        "Redshift.7 on test-redshift-cluster: enhanced VPC routing disabled on purpose. Reason: Legacy ETL needs public S3 until 2027-03"
    );
    assert_eq!(due[0]["user_defined_fields"]["ticket"], "SEC-7");
    // One GetFindings, with the map filter (the seeded suppression without a date is not listed).
    let asked = emu.test_api("GET", "/hubfix-test/requests", Value::Null);
    let asked = asked.as_array().unwrap();
    assert_eq!(asked.len(), 1, "{asked:#?}");
    assert_eq!(
        asked[0]["params"]["Filters"]["UserDefinedFields"],
        serde_json::json!([{"Key": "hubfix:review_by", "Value": "-", "Comparison": "CONTAINS"}])
    );
    assert_eq!(
        asked[0]["params"]["Filters"]["WorkflowStatus"],
        serde_json::json!([{"Value": "SUPPRESSED", "Comparison": "EQUALS"}])
    );
    let table = hubfix.run(&["review", "--as-of", &in_days(40)]);
    table.expect_code(0);
    let out = table.stdout();
    assert!(out.starts_with("FINDING ID"), "{out}");
    assert!(
        out.contains(&review_by) && out.contains("Taro Yamada"),
        "{out}"
    );
    assert!(out.lines().all(|l| l.chars().count() <= 120), "{out}");

    // Without a terminal, --reopen needs --yes or answers: refused before any call.
    emu.forget_requests();
    let refused = hubfix.run(&["review", "--as-of", &review_by, "--reopen"]);
    refused.expect_code(2);
    assert!(refused.stderr().contains("--yes"), "{}", refused.stderr());
    assert!(emu.actions().is_empty(), "{:?}", emu.actions());
    // An answers file without `reopen`: exit 2, nothing changed.
    let silent = hubfix.answers("approver: Hanako Sato\n");
    let missing = hubfix.run(&[
        "review",
        "--as-of",
        &review_by,
        "--reopen",
        "--answers",
        &silent,
    ]);
    missing.expect_code(2);
    assert!(
        missing.stderr().contains("`reopen`")
            && missing.stderr().contains("no finding was reopened"),
        "{}",
        missing.stderr()
    );
    assert!(batch_updates(&emu).is_empty());

    let yes = hubfix.answers("approver: Hanako Sato\ncontrols:\n  redshift.7: { reopen: true }\n");
    let reopen = hubfix.run(&[
        "review",
        "--as-of",
        &review_by,
        "--reopen",
        "--answers",
        &yes,
    ]);
    reopen.expect_code(0);
    assert!(
        reopen.stderr().contains("Reopened 1 of 1 findings"),
        "{}",
        reopen.stderr()
    );
    let (status, note, fields) = finding(&emu, ARN).await;
    assert_eq!(status, "NEW");
    assert_eq!(
        note,
        format!(
            "Exception expired (review by {review_by}, approved by Taro Yamada): reopened by hubfix review [hubfix; approved by Hanako Sato on {}]",
            today()
        )
    );
    // The suppression's fields are gone, the other tool's stay.
    assert_eq!(
        fields,
        BTreeMap::from([
            ("hubfix:reopened_on".to_owned(), today().to_string()),
            ("ticket".to_owned(), "SEC-7".to_owned()),
        ])
    );
    // What was sent is what was shown before the question.
    let sent = batch_updates(&emu);
    assert_eq!(sent.len(), 1);
    assert_eq!(shown(&reopen.stderr()), sent, "{}", reopen.stderr());
    // Back in `findings` (and so in `run`), out of `review`.
    let findings = hubfix.run(&["findings", "--output", "json"]);
    findings.expect_code(0);
    let findings: Vec<Value> = serde_json::from_str(&findings.stdout()).unwrap();
    assert!(findings.iter().any(|f| f["id"] == id), "{findings:#?}");
    assert_eq!(listed(&hubfix, &in_days(40)), Vec::<Value>::new());
}

/// A review date in the past, or not a date, is refused before anything is sent: from
/// `hubfix suppress --review-by` and from an answers file's `review_by` (exit 2).
#[tokio::test(flavor = "multi_thread")]
async fn a_past_or_malformed_review_date_is_refused_with_exit_2() {
    let (emu, hubfix) = seeded("redshift");
    let (id, ..) = emu.finding_of(CLUSTER).await;
    for (bad, why) in [("2020-01-01", "in the past"), ("2027-13-01", "YYYY-MM-DD")] {
        let run = hubfix.run(&[
            "suppress",
            "--finding",
            &id,
            "--reason",
            "Legacy ETL",
            "--approver",
            "Taro Yamada",
            "--review-by",
            bad,
            "--yes",
        ]);
        run.expect_code(2);
        assert!(
            run.stderr().contains("--review-by") && run.stderr().contains(why),
            "{}",
            run.stderr()
        );
        let answers = hubfix.answers(&format!(
            "approver: Taro Yamada\ncontrols:\n  Redshift.7: {{ intended: true, reason: Legacy ETL, review_by: \"{bad}\" }}\n"
        ));
        let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
        run.expect_code(2);
        assert!(
            run.stderr().contains("`review_by`") && run.stderr().contains(why),
            "{}",
            run.stderr()
        );
        assert!(run.stderr().contains("needs_input"), "{}", run.stderr());
    }
    assert!(batch_updates(&emu).is_empty(), "nothing was sent");
    let (status, _, fields) = finding(&emu, ARN).await;
    assert_eq!(status, "NEW");
    assert!(fields.is_empty());
}

/// `hubfix suppress`: the review date defaults to the control's runbook period, `hubfix:run`
/// names the invocation; one request per review date. `review --reopen` follows the answers
/// per resource: one reopened, one kept.
#[tokio::test(flavor = "multi_thread")]
async fn hubfix_suppress_writes_the_fields_and_reopen_follows_the_answers_per_resource() {
    let (emu, hubfix) = seeded("redshift");
    emu.add_failing_clusters(&["second-cluster".to_owned()])
        .await;
    let (first, ..) = emu.finding_of(CLUSTER).await;
    let (second, ..) = emu.finding_of("second-cluster").await;
    let run = hubfix.run(&[
        "suppress",
        "--finding",
        &first,
        "--finding",
        &second,
        "--reason",
        "Decommissioned in Q3",
        "--approver",
        "Taro Yamada",
        "--yes",
    ]);
    run.expect_code(0);
    let sent = batch_updates(&emu);
    assert_eq!(sent.len(), 1, "both findings in one request: {sent:#?}");
    assert_eq!(
        shown(&run.stderr()),
        sent,
        "shown as sent:\n{}",
        run.stderr()
    );
    // Redshift.7's runbook: 180 days.
    let review_by = in_days(180);
    for cluster in [CLUSTER, "second-cluster"] {
        let (status, note, fields) = finding(
            &emu,
            &format!("arn:aws:redshift:ap-northeast-1:123456789012:cluster:{cluster}"),
        )
        .await;
        assert_eq!(status, "SUPPRESSED");
        assert!(note.contains(&format!("review by {review_by}")), "{note}");
        assert_eq!(fields["hubfix:review_by"], review_by);
        assert_eq!(fields["hubfix:approver"], "Taro Yamada");
        // `<UTC time>-suppress-<4 hex>`, named in the command's last line.
        let invocation = &fields["hubfix:run"];
        let (time, salt) = invocation.split_once("-suppress-").unwrap();
        assert!(
            time.len() == 16 && time.ends_with('Z') && salt.len() == 4,
            "{invocation}"
        );
        assert!(
            run.stderr().contains(invocation.as_str()),
            "{}",
            run.stderr()
        );
    }

    assert_eq!(listed(&hubfix, &day_before(&review_by)).len(), 0);
    let answers = hubfix.answers(
        "controls:\n  Redshift.7: { reopen: true }\nresources:\n  second-cluster: { reopen: false }\n",
    );
    let reopen = hubfix.run(&[
        "review",
        "--as-of",
        &review_by,
        "--reopen",
        "--answers",
        &answers,
        "--output",
        "json",
    ]);
    reopen.expect_code(0);
    let out: Vec<Value> = serde_json::from_str(&reopen.stdout()).unwrap();
    let by_id = |id: &str| out.iter().find(|e| e["id"] == id).cloned().unwrap();
    assert_eq!(by_id(&first)["reopened"], true);
    assert_eq!(by_id(&second)["reopened"], false);
    assert_eq!(finding(&emu, ARN).await.0, "NEW");
    let (status, _, fields) = finding(
        &emu,
        "arn:aws:redshift:ap-northeast-1:123456789012:cluster:second-cluster",
    )
    .await;
    assert_eq!(status, "SUPPRESSED");
    assert_eq!(fields["hubfix:review_by"], review_by);
    // Without an approver, the reopening note is signed by the credentials' identity.
    let (_, note, _) = finding(&emu, ARN).await;
    assert!(
        note.contains("[hubfix; approved by arn:aws:") && note.contains("123456789012"),
        "{note}"
    );
    // --yes reopens what is still due.
    let yes = hubfix.run(&["review", "--as-of", &review_by, "--reopen", "--yes"]);
    yes.expect_code(0);
    assert!(yes.stderr().contains("Reopened 1 of 1"), "{}", yes.stderr());
    assert!(listed(&hubfix, &review_by).is_empty());
}

/// On a terminal `--reopen` shows each request and asks for each finding: a yes reopens
/// that one, a no keeps the other suppressed.
#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_reopen_asks_for_each_finding() {
    let (emu, hubfix) = seeded("redshift");
    emu.add_failing_clusters(&["second-cluster".to_owned()])
        .await;
    let (first, ..) = emu.finding_of(CLUSTER).await;
    let (second, ..) = emu.finding_of("second-cluster").await;
    let today = today().to_string();
    hubfix
        .run(&[
            "suppress",
            "--finding",
            &first,
            "--finding",
            &second,
            "--reason",
            "Until the move",
            "--approver",
            "Taro Yamada",
            "--review-by",
            &today,
            "--yes",
        ])
        .expect_code(0);
    let mut cmd = hubfix.command(&["review", "--reopen"]);
    cmd.env("TERM", "xterm-256color");
    use expectrl::Expect;
    let mut p = expectrl::Session::spawn(cmd).expect("a pseudo-terminal");
    p.set_expect_timeout(Some(std::time::Duration::from_secs(30)));
    for answer in ["y", "n"] {
        p.expect("If the answer is yes, hubfix will:").unwrap();
        p.expect("\"Workflow\":{\"Status\":\"NEW\"}").unwrap();
        p.expect("Reopen finding").unwrap();
        p.send(answer).unwrap();
    }
    p.expect("Reopened 1 of 2 findings").unwrap();
    p.expect(expectrl::Eof).unwrap();
    let status = p.get_process().wait().unwrap();
    assert!(format!("{status:?}").ends_with(", 0)"), "{status:?}");
    let mut statuses = Vec::new();
    for cluster in [CLUSTER, "second-cluster"] {
        let arn = format!("arn:aws:redshift:ap-northeast-1:123456789012:cluster:{cluster}");
        statuses.push(finding(&emu, &arn).await.0);
    }
    statuses.sort();
    assert_eq!(statuses, ["NEW", "SUPPRESSED"]);
    assert_eq!(listed(&hubfix, &today).len(), 1);
}
