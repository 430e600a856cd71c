//! Every branch of the Redshift.7 runbook, walked by the engine against the in-memory double
//! with scripted answers; waits run in virtual time.

use crate::double::Recorded;
use crate::double::{FakeAws, FakeHub, finding};
use crate::fixture::{options, plan};
use hubfix::engine::{
    Engine, Event, Journal, RecordingReporter, RunOptions, RunReport, ScriptedPrompter, Target,
};
use hubfix::findings::review::{review_date_after, today};
use hubfix::findings::{Unprocessed, WorkflowStatus};
use hubfix::runbook::{Lang, Outcome};
use std::path::Path;
use std::time::Duration;

fn target(with_finding: bool) -> Target {
    let f = finding("Redshift.7", "c1");
    Target {
        control: "Redshift.7".into(),
        resource: if with_finding {
            f.resource_id.clone()
        } else {
            "c1".into()
        },
        region: Some("ap-northeast-1".into()),
        finding: with_finding.then_some(f),
        also: Vec::new(),
        role: None,
    }
}

struct Fixture {
    aws: FakeAws,
    hub: FakeHub,
    reporter: RecordingReporter,
    state: tempfile::TempDir,
    options: RunOptions,
}

impl Fixture {
    fn new(evr: bool) -> Self {
        let state = tempfile::tempdir().unwrap();
        let options = options(state.path());
        Fixture {
            aws: FakeAws::with_cluster("c1", evr),
            hub: FakeHub {
                findings: vec![finding("Redshift.7", "c1")],
                ..Default::default()
            },
            reporter: RecordingReporter::default(),
            state,
            options,
        }
    }

    fn engine(&self) -> Engine<'_> {
        Engine {
            api: &self.aws,
            hub: &self.hub,
            reporter: &self.reporter,
            options: &self.options,
        }
    }

    /// Runs Redshift.7 on cluster c1 with its finding.
    async fn run(&self, prompter: &mut ScriptedPrompter) -> RunReport {
        self.run_on(&target(true), prompter).await
    }

    /// Runs Redshift.7 on cluster c1 given by name, without a finding.
    async fn run_without_finding(&self, prompter: &mut ScriptedPrompter) -> RunReport {
        self.run_on(&target(false), prompter).await
    }

    async fn run_on(&self, target: &Target, prompter: &mut ScriptedPrompter) -> RunReport {
        self.engine()
            .run(&plan("Redshift.7"), target, prompter)
            .await
            .unwrap()
    }

    async fn resume(&self, journal: &Path, prompter: &mut ScriptedPrompter) -> RunReport {
        self.engine()
            .resume(&plan("Redshift.7"), journal, prompter)
            .await
            .unwrap()
    }

    fn journal(&self, run_id: &str) -> Vec<Event> {
        Journal::read(&Journal::path_for(self.state.path(), run_id))
            .unwrap()
            .into_iter()
            .map(|r| r.event)
            .collect()
    }
}

/// The fix: the double's network meets every prerequisite, so none is asked.
fn fix_answers() -> ScriptedPrompter {
    ScriptedPrompter::new().no("intended").yes("apply_now")
}

#[tokio::test(start_paused = true)]
async fn already_compliant_ends_without_questions_or_changes() {
    let fx = Fixture::new(true);
    let mut prompter = ScriptedPrompter::new();
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Compliant);
    assert_eq!(report.exit_status().code(), 0);
    assert!(prompter.asked.is_empty());
    assert_eq!(fx.aws.operations(), ["redshift:DescribeClusters"]);
    assert!(fx.hub.updates.lock().unwrap().is_empty());
    assert!(report.message.contains("already enabled"));
}

#[tokio::test(start_paused = true)]
async fn intended_suppresses_with_reason_and_approver_and_changes_nothing() {
    let fx = Fixture::new(false);
    let mut prompter = ScriptedPrompter::new()
        .yes("intended")
        .text("reason", "Legacy ETL until 2027-03");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Suppressed);
    assert_eq!(prompter.asked_ids(), ["intended", "reason", "review_by"]);
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 0);
    let updates = fx.hub.updates.lock().unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].status, WorkflowStatus::Suppressed);
    assert_eq!(updates[0].findings[0].id, finding("Redshift.7", "c1").id);
    assert_eq!(updates[0].updated_by, "Taro Yamada");
    // No `review_by` answer: the runbook's 180 days, in the note and in the fields.
    let review_by = review_date_after(today(), 180).to_string();
    assert!(
        updates[0]
            .note
            .ends_with(&format!("; review by {review_by}]")),
        "{}",
        updates[0].note
    );
    let fields = updates[0].fields.clone().expect("user-defined fields");
    assert_eq!(fields["hubfix:review_by"], review_by);
    assert_eq!(fields["hubfix:approver"], "Taro Yamada");
    assert_eq!(fields["hubfix:run"], report.run_id);
    assert!(report.message.contains(&review_by), "{}", report.message);
    assert!(
        updates[0].note.contains("Legacy ETL until 2027-03"),
        "{}",
        updates[0].note
    );
    assert!(
        updates[0].note.contains("approved by Taro Yamada"),
        "{}",
        updates[0].note
    );
    assert!(
        report
            .message
            .contains("plan the move to enhanced VPC routing soon")
    );
}

/// A review date given is checked and used; the finding's own user-defined fields, read
/// again right before, are kept beside hubfix's (Security Hub replaces the whole map).
#[tokio::test(start_paused = true)]
async fn a_given_review_date_is_used_and_the_findings_own_fields_are_kept() {
    let mut fx = Fixture::new(false);
    fx.hub.findings[0].user_defined_fields = [
        ("ticket".to_owned(), "SEC-42".to_owned()),
        ("hubfix:reopened_on".to_owned(), "2026-01-05".to_owned()),
    ]
    .into();
    let review_by = review_date_after(today(), 30).to_string();
    let mut prompter = ScriptedPrompter::new()
        .yes("intended")
        .text("reason", "Legacy ETL until 2027-03")
        .text("review_by", &review_by);
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Suppressed, "{}", report.message);
    let update = fx.hub.last_update();
    let fields = update.fields.expect("user-defined fields");
    assert_eq!(
        fields.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "hubfix:approver",
            "hubfix:review_by",
            "hubfix:run",
            "ticket"
        ]
    );
    assert_eq!(fields["hubfix:review_by"], review_by);
    assert_eq!(fields["ticket"], "SEC-42");
    let answer = fx
        .journal(&report.run_id)
        .into_iter()
        .find_map(|e| match e {
            Event::Answer {
                step,
                value,
                source,
                ..
            } if step == "review_by" => Some((value, source)),
            _ => None,
        })
        .expect("the review date is journaled");
    assert_eq!(answer, (serde_json::json!(review_by), "script".to_owned()));
}

/// A review date in the past, or not a date, stops the run before anything is changed
/// (exit 2), resumable at the suppression.
#[tokio::test(start_paused = true)]
async fn a_past_or_malformed_review_date_stops_before_the_suppression() {
    for bad in ["2020-01-01", "next spring", "2027-02-30"] {
        let fx = Fixture::new(false);
        let mut prompter = ScriptedPrompter::new()
            .yes("intended")
            .text("reason", "Legacy ETL until 2027-03")
            .text("review_by", bad);
        let report = fx.run(&mut prompter).await;
        assert_eq!(report.outcome, Outcome::NeedsInput, "{bad}");
        assert_eq!(report.exit_status().code(), 2);
        assert!(report.message.contains("review_by"), "{}", report.message);
        assert_eq!(report.resume_at.as_deref(), Some("suppress_intended"));
        assert!(fx.hub.updates.lock().unwrap().is_empty(), "{bad}");
    }
}

#[tokio::test(start_paused = true)]
async fn intended_without_a_finding_offers_no_suppression_and_changes_nothing() {
    let fx = Fixture::new(false);
    let mut prompter = ScriptedPrompter::new().yes("intended");
    let report = fx.run_without_finding(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(prompter.asked_ids(), ["intended"]);
    assert!(
        report.message.contains("nothing to suppress"),
        "{}",
        report.message
    );
    assert!(fx.hub.updates.lock().unwrap().is_empty());
    assert_eq!(fx.aws.operations(), ["redshift:DescribeClusters"]);
}

#[tokio::test(start_paused = true)]
async fn prerequisites_read_through_ec2_are_not_asked_when_met() {
    let fx = Fixture::new(false);
    let mut prompter = fix_answers();
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(prompter.asked_ids(), ["intended", "apply_now"]);
    assert_eq!(
        fx.aws.operations()[..5],
        [
            "redshift:DescribeClusters",
            "redshift:DescribeClusterSubnetGroups",
            "ec2:DescribeVpcAttribute",
            "ec2:DescribeRouteTables",
            "redshift:ModifyCluster",
        ]
    );
    let said = fx.reporter.text();
    assert!(
        said.contains("✓ subnet-0a1 → rtb-0main (main) → vpce-0s3 (S3)"),
        "{said}"
    );
    assert!(
        said.contains("Every prerequisite of enhanced VPC routing is met"),
        "{said}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unmet_prerequisite_stops_before_any_change_naming_the_check_and_the_fix() {
    let fx = Fixture::new(false);
    fx.aws.set_network(|n| n.dns_hostnames = false);
    let mut prompter = ScriptedPrompter::new()
        .no("intended")
        .no("prerequisites_override")
        .yes("apply_now");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(report.exit_status().code(), 3);
    assert_eq!(prompter.asked_ids(), ["intended", "prerequisites_override"]);
    assert!(
        report.message.contains("DNS hostnames enabled: false"),
        "{}",
        report.message
    );
    let said = fx.reporter.text();
    assert!(
        said.contains("✗ DNS hostnames are disabled on VPC vpc-0abc"),
        "{said}"
    );
    assert!(said.contains("--enable-dns-hostnames"), "{said}");
    assert!(!said.contains("DNS resolution is disabled"), "{said}");
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 0);
    assert!(fx.hub.updates.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_subnet_without_a_route_to_s3_is_named_with_its_route_table() {
    let fx = Fixture::new(false);
    // A private cluster: an internet gateway does not take it to S3.
    fx.aws.set_network(|n| {
        n.s3_endpoint = false;
        n.default_route = Some("igw-0pub".into());
    });
    let mut prompter = ScriptedPrompter::new()
        .no("intended")
        .no("prerequisites_override");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    let said = fx.reporter.text();
    assert!(
        said.contains("✗ subnet-0a1 → rtb-0main (main) → 0.0.0.0/0 → igw-0pub"),
        "{said}"
    );
    assert!(
        said.contains("✗ No route to S3 from subnet(s) subnet-0a1 (route table rtb-0main)"),
        "{said}"
    );
    assert!(
        report.message.contains("without a route to S3: subnet-0a1"),
        "{}",
        report.message
    );
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 0);

    // Through a NAT gateway, the private cluster reaches S3: nothing is asked.
    let fx = Fixture::new(false);
    fx.aws.set_network(|n| {
        n.s3_endpoint = false;
        n.default_route = Some("nat-0priv".into());
    });
    let mut prompter = fix_answers();
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(prompter.asked_ids(), ["intended", "apply_now"]);
}

#[tokio::test(start_paused = true)]
async fn an_override_goes_on_and_is_recorded_in_the_journal_and_the_note() {
    let fx = Fixture::new(false);
    fx.aws.set_network(|n| n.dns_support = false);
    let mut prompter = ScriptedPrompter::new()
        .no("intended")
        .yes("prerequisites_override")
        .yes("apply_now");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert!(fx.aws.cluster("c1").evr);
    let events = fx.journal(&report.run_id);
    assert!(events.iter().any(|e| matches!(e,
        Event::Answer { step, value, .. } if step == "prerequisites_override" && *value == serde_json::json!(true))));
    let updates = fx.hub.updates.lock().unwrap();
    let resolved = updates.last().unwrap();
    assert_eq!(resolved.status, WorkflowStatus::Resolved);
    assert!(
        resolved
            .note
            .contains("overridden by the operator: DNS resolution false"),
        "{}",
        resolved.note
    );
}

#[tokio::test(start_paused = true)]
async fn ec2_denied_falls_back_to_the_question_saying_why() {
    let fx = Fixture::new(false);
    fx.aws
        .deny
        .lock()
        .unwrap()
        .push("ec2:DescribeVpcAttribute".into());
    let mut prompter = fix_answers().yes("prerequisites_met");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(
        prompter.asked_ids(),
        ["intended", "prerequisites_met", "apply_now"]
    );
    let said = fx.reporter.text();
    assert!(said.contains("ec2:DescribeVpcAttribute"), "{said}");
    assert!(said.contains("grant the IAM permission"), "{said}");
    assert!(said.contains("could not be read through EC2"), "{said}");
    // The resolution does not claim an override that never happened.
    let updates = fx.hub.updates.lock().unwrap();
    assert!(!updates.last().unwrap().note.contains("overridden"));
}

#[tokio::test(start_paused = true)]
async fn a_cloudformation_managed_cluster_is_named_and_stops_on_no() {
    let fx = Fixture::new(false);
    fx.aws.set_network(|n| n.stack = Some("etl-prod".into()));
    let mut prompter = fix_answers().no("iac_managed_ok");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(report.exit_status().code(), 3);
    assert_eq!(prompter.asked_ids(), ["intended", "iac_managed_ok"]);
    let said = fx.reporter.text();
    assert!(
        said.contains("managed by CloudFormation stack etl-prod")
            && said.contains("AWS::Redshift::Cluster, EnhancedVpcRouting: true"),
        "{said}"
    );
    assert!(prompter.asked[1].text.contains("outside stack etl-prod"));
    assert!(report.message.contains("etl-prod"), "{}", report.message);
    assert_eq!(report.resume_at.as_deref(), Some("iac_managed_ok"));
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 0);

    let fx = Fixture::new(false);
    fx.aws.set_network(|n| n.stack = Some("etl-prod".into()));
    let report = fx.run(&mut fix_answers().yes("iac_managed_ok")).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
}

#[tokio::test(start_paused = true)]
async fn no_to_prerequisites_stops_with_exit_3_and_next_steps() {
    let fx = Fixture::new(false);
    // EC2 cannot be read: the operator is asked.
    fx.aws
        .deny
        .lock()
        .unwrap()
        .push("ec2:DescribeRouteTables".into());
    let mut prompter = ScriptedPrompter::new()
        .no("intended")
        .no("prerequisites_met");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(report.exit_status().code(), 3);
    assert!(
        report.message.contains("DNS resolution and DNS hostnames"),
        "{}",
        report.message
    );
    assert!(
        report
            .message
            .contains(&format!("hubfix resume {}", report.run_id))
    );
    assert_eq!(report.resume_at.as_deref(), Some("prerequisites_met"));
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 0);
    assert!(fx.hub.updates.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn no_to_apply_now_stops_and_resume_applies_later() {
    let fx = Fixture::new(false);
    let p = plan("Redshift.7");
    let mut prompter = ScriptedPrompter::new()
        .no("intended")
        .yes("prerequisites_met")
        .no("apply_now");
    let report = fx
        .engine()
        .run(&p, &target(true), &mut prompter)
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(report.resume_at.as_deref(), Some("apply_now"));
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 0);

    // Later, at the agreed time: only the stopping question is asked again.
    let mut later = ScriptedPrompter::new().yes("apply_now");
    let resumed = fx.resume(&report.journal, &mut later).await;
    assert_eq!(resumed.outcome, Outcome::Fixed, "{}", resumed.message);
    assert_eq!(later.asked_ids(), ["apply_now"]);
    assert!(fx.aws.cluster("c1").evr);
}

#[tokio::test(start_paused = true)]
async fn fix_enables_waits_through_modifying_verifies_and_resolves() {
    let fx = Fixture::new(false);
    let mut prompter = fix_answers();
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(prompter.asked_ids(), ["intended", "apply_now"]);
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 1);
    assert!(fx.aws.cluster("c1").evr);
    // The change was seen in progress before it was seen finished.
    let statuses: Vec<String> = fx
        .journal(&report.run_id)
        .into_iter()
        .filter_map(|e| match e {
            Event::Status {
                status, pending, ..
            } => Some(format!("{status}/{pending}")),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, ["modifying/true", "available/false"]);
    let updates = fx.hub.updates.lock().unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0].status, WorkflowStatus::Notified);
    assert!(
        updates[0].note.contains("fix in progress"),
        "{}",
        updates[0].note
    );
    let updates = &updates[1..];
    assert_eq!(updates[0].status, WorkflowStatus::Resolved);
    assert!(
        updates[0].note.contains("enhanced VPC routing enabled"),
        "{}",
        updates[0].note
    );
    // The operator saw the exact call before approving it.
    assert!(fx.reporter.text().contains(
        r#"redshift:ModifyCluster {"ClusterIdentifier":"c1","EnhancedVpcRouting":true}"#
    ));
}

#[tokio::test(start_paused = true)]
async fn a_finished_change_is_noticed_within_seconds() {
    let fx = Fixture::new(false);
    let start = tokio::time::Instant::now();
    let report = fx.run(&mut fix_answers()).await;
    assert_eq!(report.outcome, Outcome::Fixed);
    // Three describes in `modifying`, polled at 2 s, 3 s, 4.5 s: ready on the fourth.
    let waited = start.elapsed();
    assert!(waited < Duration::from_secs(15), "took {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_stuck_cluster_times_out_with_exit_4_and_resumes() {
    let mut fx = Fixture::new(false);
    fx.aws.modify_polls = usize::MAX;
    let p = plan("Redshift.7");
    let mut wait_short = p.clone();
    let i = wait_short.index_of("wait_available").unwrap();
    wait_short.steps[i].timeout = Some(Duration::from_secs(60));
    let report = fx
        .engine()
        .run(&wait_short, &target(true), &mut fix_answers())
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::TimedOut);
    assert_eq!(report.exit_status().code(), 4);
    assert_eq!(report.resume_at.as_deref(), Some("wait_available"));
    assert!(report.message.contains("hubfix resume"));

    // The modification completes; resume waits again without modifying twice or re-asking.
    fx.aws
        .clusters
        .lock()
        .unwrap()
        .get_mut("c1")
        .unwrap()
        .polls_left = 0;
    let mut nobody = ScriptedPrompter::new();
    let resumed = fx.resume(&report.journal, &mut nobody).await;
    assert_eq!(resumed.outcome, Outcome::Fixed, "{}", resumed.message);
    assert!(nobody.asked.is_empty());
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 1);
}

#[tokio::test(start_paused = true)]
async fn access_denied_fails_naming_the_permission() {
    let fx = Fixture::new(false);
    fx.aws
        .deny
        .lock()
        .unwrap()
        .push("redshift:ModifyCluster".into());
    let report = fx.run(&mut fix_answers()).await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!(report.exit_status().code(), 1);
    assert!(
        report.message.contains("redshift:ModifyCluster"),
        "{}",
        report.message
    );
    assert!(
        report.message.contains("grant the IAM permission"),
        "{}",
        report.message
    );
    // Locked for the change, then back as it was: the change never happened.
    assert_eq!(
        fx.hub.statuses(),
        [WorkflowStatus::Notified, WorkflowStatus::New]
    );
}

#[tokio::test(start_paused = true)]
async fn a_missing_answer_stops_with_exit_2_before_any_change() {
    let fx = Fixture::new(false);
    let mut prompter = ScriptedPrompter::new().no("intended");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.exit_status().code(), 2);
    assert!(report.message.contains("apply_now"), "{}", report.message);
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 0);
}

#[tokio::test(start_paused = true)]
async fn an_unwritable_journal_prevents_the_run() {
    let fx = Fixture::new(false);
    let file = fx.state.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let mut options = fx.options.clone();
    options.state_dir = file;
    let engine = Engine {
        options: &options,
        ..fx.engine()
    };
    let err = engine
        .run(&plan("Redshift.7"), &target(true), &mut fix_answers())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    assert!(fx.aws.operations().is_empty());
}

#[tokio::test(start_paused = true)]
async fn retryable_unprocessed_findings_are_retried_and_others_reported() {
    let fx = Fixture::new(false);
    let concurrent = Unprocessed {
        finding: (&finding("Redshift.7", "c1")).into(),
        error_code: "ConcurrentUpdateError".into(),
        error_message: "busy".into(),
    };
    // The first update is the NOTIFIED lock; the resolution meets the unprocessed answers.
    fx.hub
        .unprocessed
        .lock()
        .unwrap()
        .extend([vec![], vec![concurrent.clone()]]);
    let report = fx.run(&mut fix_answers()).await;
    assert_eq!(report.outcome, Outcome::Fixed);
    assert_eq!(
        fx.hub.statuses(),
        [
            WorkflowStatus::Notified,
            WorkflowStatus::Resolved,
            WorkflowStatus::Resolved
        ]
    );

    let fx = Fixture::new(false);
    let not_found = Unprocessed {
        error_code: "FindingNotFound".into(),
        ..concurrent
    };
    fx.hub
        .unprocessed
        .lock()
        .unwrap()
        .extend([vec![], vec![not_found]]);
    let report = fx.run(&mut fix_answers()).await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert!(
        report.message.contains("FindingNotFound"),
        "{}",
        report.message
    );
    // The cluster was changed and the run can be resumed to resolve: the finding stays
    // NOTIFIED meanwhile.
    assert_eq!(
        fx.hub.statuses(),
        [WorkflowStatus::Notified, WorkflowStatus::Resolved]
    );
}

#[tokio::test(start_paused = true)]
async fn the_journal_records_answers_calls_and_the_end() {
    let fx = Fixture::new(false);
    let report = fx.run(&mut fix_answers()).await;
    let events = fx.journal(&report.run_id);
    assert!(matches!(&events[0], Event::RunStart { control, .. } if control == "Redshift.7"));
    assert!(events.iter().any(
        |e| matches!(e, Event::Answer { step, by, .. } if step == "apply_now" && by == "script")
    ));
    assert!(events.iter().any(|e| matches!(e, Event::ApiCall { operation, ok: true, .. } if operation == "redshift:ModifyCluster")));
    assert!(events.iter().any(|e| matches!(e, Event::ApiCall { operation, .. } if operation == "securityhub:BatchUpdateFindings")));
    assert!(
        matches!(events.last(), Some(Event::RunEnd { outcome, exit_code: 0, resume_at: None, .. }) if outcome == "fixed")
    );
}

#[test]
fn japanese_texts_render() {
    let p = plan("Redshift.7");
    let step = &p.steps[p.index_of("apply_now").unwrap()];
    let hubfix::runbook::StepKind::Prompt { text, .. } = &step.kind else {
        panic!()
    };
    let ctx = serde_json::json!({"resource": {"name": "c1"}});
    assert!(
        text.render(Lang::Ja, &ctx)
            .contains("一時的に利用できなくなります")
    );
}

#[tokio::test(start_paused = true)]
async fn a_run_killed_right_after_the_modify_call_does_not_send_it_again() {
    let fx = Fixture::new(false);
    let p = plan("Redshift.7");
    let report = fx
        .engine()
        .run(&p, &target(true), &mut fix_answers())
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Fixed);
    // Cut the journal right after the ModifyCluster answer was recorded, as a kill would.
    let text = std::fs::read_to_string(&report.journal).unwrap();
    let answered = |l: &&str| {
        l.contains(r#""event":"api_call""#) && l.contains(r#""operation":"redshift:ModifyCluster""#)
    };
    let cut: Vec<&str> = text.lines().take_while(|l| !answered(l)).collect();
    assert!(
        cut.last().unwrap().contains(r#""event":"call_start""#),
        "the change was journaled as started before it was sent"
    );
    let call = text.lines().find(answered).unwrap();
    std::fs::write(&report.journal, format!("{}\n{call}\n", cut.join("\n"))).unwrap();
    {
        let mut clusters = fx.aws.clusters.lock().unwrap();
        let c = clusters.get_mut("c1").unwrap();
        (c.status, c.evr, c.pending_evr, c.polls_left) = ("modifying".into(), false, Some(true), 2);
    }
    fx.hub.updates.lock().unwrap().clear();

    let mut nobody = ScriptedPrompter::new();
    let resumed = fx.resume(&report.journal, &mut nobody).await;
    assert_eq!(resumed.outcome, Outcome::Fixed, "{}", resumed.message);
    assert!(nobody.asked.is_empty());
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 1);
    assert_eq!(
        fx.hub.updates.lock().unwrap()[0].status,
        WorkflowStatus::Resolved
    );
}

#[tokio::test(start_paused = true)]
async fn resuming_at_a_change_asks_for_the_approval_again() {
    let fx = Fixture::new(false);
    fx.aws
        .deny
        .lock()
        .unwrap()
        .push("redshift:ModifyCluster".into());
    let p = plan("Redshift.7");
    let report = fx
        .engine()
        .run(&p, &target(true), &mut fix_answers())
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!(report.resume_at.as_deref(), Some("enable"));
    fx.aws.deny.lock().unwrap().clear();

    // An old yes is not enough: the change is shown again and a no changes nothing.
    let mut declines = ScriptedPrompter::new().no("apply_now");
    let stopped = fx.resume(&report.journal, &mut declines).await;
    assert_eq!(stopped.outcome, Outcome::Stopped);
    assert_eq!(declines.asked_ids(), ["apply_now"]);
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 1);

    let mut approves = ScriptedPrompter::new().yes("apply_now");
    let fixed = fx.resume(&report.journal, &mut approves).await;
    assert_eq!(fixed.outcome, Outcome::Fixed, "{}", fixed.message);
    assert_eq!(fx.aws.count("redshift:ModifyCluster"), 2);
    assert!(fx.aws.cluster("c1").evr);
}

/// A finding NOTIFIED with another session's lock note (or, from a version before sessions,
/// another run's) is left alone: the run stops before any change and names the holder.
#[tokio::test(start_paused = true)]
async fn a_finding_locked_by_another_session_is_backed_off_from() {
    for (note, holder) in [
        (
            "hubfix session s-20261206T2300Z-9c1d: Redshift.7 fix in progress [hubfix; approved by Hanako Sato on 2026-12-06]",
            "s-20261206T2300Z-9c1d",
        ),
        (
            "hubfix run 20261122T213000Z-redshift7-c1-3f2a: Redshift.7 fix in progress [hubfix; approved by Hanako Sato on 2026-11-22]",
            "20261122T213000Z-redshift7-c1-3f2a",
        ),
    ] {
        let mut fx = Fixture::new(false);
        fx.hub.findings[0].workflow_status = "NOTIFIED".into();
        fx.hub.findings[0].note = Some(note.into());
        let report = fx.run(&mut fix_answers()).await;
        assert_eq!(report.outcome, Outcome::Stopped, "{}", report.message);
        assert!(
            report.message.contains(&format!(
                "hubfix session {holder} is changing this resource"
            )),
            "{}",
            report.message
        );
        assert!(
            report
                .message
                .contains(&format!("hubfix runs --session {holder}")),
            "{}",
            report.message
        );
        assert_eq!(fx.aws.count("redshift:ModifyCluster"), 0);
        assert!(fx.hub.updates.lock().unwrap().is_empty(), "left as it was");
    }
}

/// A run stopped after its change, resumed by a later invocation (another session): the
/// resumed run keeps its own session, finds its own lock, and does not lock again.
#[tokio::test(start_paused = true)]
async fn a_resumed_run_keeps_its_session_and_recognises_its_lock() {
    let (mut fx, report) = timed_out_after_the_change().await;
    let session = fx.options.session.clone();
    let lock = fx.hub.updates.lock().unwrap()[0].note.clone();
    assert!(
        lock.starts_with(&format!(
            "hubfix session {session}: Redshift.7 fix in progress"
        )),
        "{lock}"
    );
    assert!(matches!(
        &fx.journal(&report.run_id)[0],
        Event::RunStart { session: Some(s), .. } if *s == session
    ));
    fx.options.session = "s-20261208T0900Z-0b0e".into();
    let resumed = fx
        .resume(&report.journal, &mut ScriptedPrompter::new())
        .await;
    assert_eq!(resumed.outcome, Outcome::Fixed, "{}", resumed.message);
    assert_eq!(
        fx.hub.statuses(),
        [WorkflowStatus::Notified, WorkflowStatus::Resolved]
    );
    let resolved = fx.hub.last_update().note;
    assert!(
        resolved.starts_with(&format!(
            "Redshift.7: enhanced VPC routing enabled by hubfix session {session} and verified"
        )),
        "{resolved}"
    );
}

/// A journal from before sessions (no session at its start) and its run's lock note
/// (`hubfix run <id>: …`): the resumed run takes its run id for its session and recognises
/// the old lock as its own.
#[tokio::test(start_paused = true)]
async fn a_journal_from_before_sessions_resumes_with_its_run_lock() {
    let (fx, report) = timed_out_after_the_change().await;
    let path = &report.journal;
    let old: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
            if record["event"] == "run_start" {
                record.as_object_mut().unwrap().remove("session");
                record["context"]["run"]
                    .as_object_mut()
                    .unwrap()
                    .remove("session");
            }
            record.to_string()
        })
        .collect();
    std::fs::write(path, old.join("\n") + "\n").unwrap();
    assert!(
        !std::fs::read_to_string(path)
            .unwrap()
            .contains("\"session\"")
    );
    fx.hub.updates.lock().unwrap()[0].note = format!(
        "hubfix run {}: Redshift.7 fix in progress [hubfix; approved by Taro Yamada on 2026-11-22]",
        report.run_id
    );
    let resumed = fx.resume(path, &mut ScriptedPrompter::new()).await;
    assert_eq!(resumed.outcome, Outcome::Fixed, "{}", resumed.message);
    assert_eq!(
        fx.hub.statuses(),
        [WorkflowStatus::Notified, WorkflowStatus::Resolved]
    );
}

/// A fix that timed out waiting for the cluster after its change (the finding locked), the
/// cluster then ready: what a resume finishes.
async fn timed_out_after_the_change() -> (Fixture, RunReport) {
    let mut fx = Fixture::new(false);
    fx.aws.modify_polls = usize::MAX;
    let mut wait_short = plan("Redshift.7");
    let i = wait_short.index_of("wait_available").unwrap();
    wait_short.steps[i].timeout = Some(Duration::from_secs(60));
    let report = fx
        .engine()
        .run(&wait_short, &target(true), &mut fix_answers())
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::TimedOut, "{}", report.message);
    assert_eq!(fx.hub.statuses(), [WorkflowStatus::Notified]);
    fx.aws
        .clusters
        .lock()
        .unwrap()
        .get_mut("c1")
        .unwrap()
        .polls_left = 0;
    (fx, report)
}
