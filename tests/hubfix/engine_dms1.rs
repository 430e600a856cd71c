//! Every branch of the DMS.1 runbook and both strategies, walked by the engine against the
//! in-memory DMS with scripted answers; waits run in virtual time.

use crate::double::Recorded;
use crate::double_dms::{FakeDms, TARGET, public_instance};
use crate::fixture::{Fixture, finding_on};
use aws_sdk_databasemigration::types::Tag;
use hubfix::actions::dms;
use hubfix::engine::{Event, ScriptedPrompter};
use hubfix::findings::WorkflowStatus;
use hubfix::runbook::Outcome;
use serde_json::{Value, json};

const ARN: &str = "arn:aws:dms:ap-northeast-1:123456789012:rep:ORIGINAL";

/// Settings that must come back identical on the private instance.
const CARRIED: &[&str] = &[
    "ReplicationInstanceClass",
    "AllocatedStorage",
    "EngineVersion",
    "AutoMinorVersionUpgrade",
    "MultiAZ",
    "AvailabilityZone",
    "ReplicationSubnetGroupIdentifier",
    "VpcSecurityGroupIds",
    "KmsKeyId",
    "PreferredMaintenanceWindow",
    "DnsNameServers",
    "NetworkType",
    "KerberosAuthenticationSettings",
];

fn fixture(tasks: &[(&str, &str)]) -> Fixture<FakeDms> {
    Fixture::new(
        FakeDms::with_public_instance(tasks),
        "DMS.1",
        finding_on("DMS.1", "AwsDmsReplicationInstance", ARN),
    )
}

fn recreate() -> ScriptedPrompter {
    ScriptedPrompter::new()
        .no("intended")
        .text("strategy", "recreate")
        .yes("stop_tasks")
        .yes("restart_tasks")
        .yes("confirm_delete")
}

fn replace() -> ScriptedPrompter {
    ScriptedPrompter::new()
        .no("intended")
        .text("strategy", "replace")
        .text("new_identifier", "dms1-private")
        .yes("stop_tasks")
        .yes("restart_tasks")
        .yes("confirm_delete")
}

const CHANGES: &[&str] = &[
    "dms:StopReplicationTask",
    "dms:DeleteReplicationTask",
    "dms:DeleteReplicationInstance",
    "dms:CreateReplicationInstance",
    "dms:CreateReplicationTask",
    "dms:TestConnection",
    "dms:MoveReplicationTask",
    "dms:StartReplicationTask",
];

fn changes(fx: &Fixture<FakeDms>) -> Vec<String> {
    fx.aws
        .operations()
        .into_iter()
        .filter(|o| CHANGES.contains(&o.as_str()))
        .collect()
}

/// The tags as (key, value), in their order.
fn pairs(tags: &[Tag]) -> Vec<(&str, &str)> {
    tags.iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect()
}

fn assert_private_copy(fx: &Fixture<FakeDms>, identifier: &str) -> String {
    let instances = fx.aws.instances();
    let new = instances
        .iter()
        .find(|i| i.id() == identifier)
        .expect("the private instance exists");
    assert!(!new.described.publicly_accessible());
    assert_eq!(new.status(), "available");
    assert_ne!(new.arn(), ARN, "a new instance has a new ARN");
    let (new_shown, old) = (new.shown(), dms::instance_json(&public_instance()));
    for key in CARRIED {
        assert_eq!(new_shown[*key], old[*key], "{key} carried over");
    }
    // The user's tags, not CloudFormation's.
    assert_eq!(pairs(&new.tags), [("env", "prod"), ("owner", "data-team")]);
    new.arn().to_owned()
}

#[tokio::test(start_paused = true)]
async fn a_private_instance_is_already_compliant() {
    let fx = fixture(&[]);
    fx.aws.instances.lock().unwrap()[0]
        .described
        .publicly_accessible = false;
    let mut prompter = ScriptedPrompter::new();
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Compliant);
    assert!(prompter.asked.is_empty());
    assert_eq!(fx.aws.operations(), ["dms:DescribeReplicationInstances"]);
    assert!(report.message.contains("not publicly accessible"));
}

#[tokio::test(start_paused = true)]
async fn intended_suppresses_with_the_articles_advice_and_changes_nothing() {
    let fx = fixture(&[("t1", "running")]);
    let mut prompter = ScriptedPrompter::new()
        .yes("intended")
        .text("reason", "vendor replicates over the internet until March");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Suppressed);
    assert_eq!(prompter.asked_ids(), ["intended", "reason", "review_by"]);
    assert!(changes(&fx).is_empty());
    let updates = fx.hub.updates.lock().unwrap();
    assert_eq!(updates[0].status, WorkflowStatus::Suppressed);
    // DMS.1 is CRITICAL: its runbook offers a review in 90 days.
    let review_by =
        hubfix::findings::review::review_date_after(hubfix::findings::review::today(), 90);
    assert_eq!(
        updates[0].fields.as_ref().unwrap()["hubfix:review_by"],
        review_by.to_string()
    );
    assert!(updates[0].note.contains("vendor replicates"));
    assert!(report.message.contains("SSL mode"), "{}", report.message);
    assert!(report.message.contains("VPN"), "{}", report.message);
}

#[tokio::test(start_paused = true)]
async fn recreate_stops_deletes_recreates_restarts_and_resolves() {
    let fx = fixture(&[("t1", "running"), ("t2", "stopped")]);
    let mut prompter = recreate();
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(
        prompter.asked_ids(),
        [
            "intended",
            "strategy",
            "stop_tasks",
            "restart_tasks",
            "confirm_delete"
        ]
    );
    assert_eq!(
        changes(&fx),
        [
            "dms:StopReplicationTask",
            // One request per task: t1 (running) and t2.
            "dms:DeleteReplicationTask",
            "dms:DeleteReplicationTask",
            "dms:DeleteReplicationInstance",
            "dms:CreateReplicationInstance",
            "dms:CreateReplicationTask",
            "dms:CreateReplicationTask",
            // The tasks' two endpoints, from the new instance, before any task starts.
            "dms:TestConnection",
            "dms:TestConnection",
            "dms:StartReplicationTask",
        ]
    );
    let new_arn = assert_private_copy(&fx, "dms1");
    assert!(fx.aws.instances().iter().all(|i| i.arn() != ARN));
    // Both tasks recreated from their definitions on the new instance; only t1 restarted.
    let tasks = fx.aws.tasks();
    assert_eq!(tasks.len(), 2);
    for t in &tasks {
        assert_eq!(t.instance(), new_arn);
        assert_eq!(
            t.described.table_mappings(),
            Some(format!("{{\"rules\":[{{\"rule-name\":\"{}\"}}]}}", t.id()).as_str())
        );
        // Without the log group and stream the old task had: DMS refuses them on create.
        assert_eq!(
            t.described.replication_task_settings(),
            Some(r#"{"Logging":{"EnableLogging":true}}"#)
        );
        assert_eq!(pairs(&t.tags), [("task", t.id())]);
    }
    let t1 = tasks.iter().find(|t| t.id() == "t1").unwrap();
    assert_eq!(t1.status(), "running");
    assert_eq!(t1.started_with.as_deref(), Some("start-replication"));
    assert_eq!(
        tasks.iter().find(|t| t.id() == "t2").unwrap().status(),
        "ready"
    );
    // NOTIFIED while the fix ran, then RESOLVED with a note naming the new ARN.
    assert_eq!(
        fx.hub.statuses(),
        [WorkflowStatus::Notified, WorkflowStatus::Resolved]
    );
    let resolved = fx.hub.last_update();
    assert!(resolved.note.contains(&new_arn), "{}", resolved.note);
}

#[tokio::test(start_paused = true)]
async fn the_approval_lists_exactly_what_a_yes_deletes_and_creates() {
    let fx = fixture(&[("t1", "stopped")]);
    let mut prompter = recreate();
    fx.run(&mut prompter).await;
    let said = fx.said();
    let before = &said[..said.find("Deleting the tasks").expect("deletion reported")];
    let approval = &before[before.rfind("If the answer is yes").unwrap()..];
    assert!(approval.contains("dms:DeleteReplicationTask"), "{approval}");
    assert!(
        approval.contains("dms:DeleteReplicationInstance"),
        "{approval}"
    );
    assert!(
        approval.contains("\"PubliclyAccessible\":false"),
        "{approval}"
    );
    assert!(
        approval.contains("\"KmsKeyId\":\"arn:aws:kms"),
        "{approval}"
    );
    assert!(
        !approval.contains("dms:MoveReplicationTask"),
        "the other strategy's changes are not listed: {approval}"
    );
    assert!(said.contains("t1"), "{said}");
}

#[tokio::test(start_paused = true)]
async fn restarting_tasks_is_shown_before_it_is_asked() {
    let fx = fixture(&[("t1", "running")]);
    fx.run(&mut recreate()).await;
    let said = fx.said();
    let before_changes = &said[..said.find("Stopping").expect("stopped")];
    assert!(
        before_changes.contains(
            r#"dms:StartReplicationTask {"ReplicationTaskArn":"<from recreate_tasks[0].ReplicationTaskArn>""#
        )
            && before_changes.contains(r#""StartReplicationTaskType":"start-replication""#),
        "{before_changes}"
    );
    assert!(
        !before_changes.contains("resume-processing"),
        "{before_changes}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_journal_holds_every_setting_and_task_before_the_first_delete() {
    let fx = fixture(&[("t1", "running"), ("t2", "stopped")]);
    let report = fx.run(&mut recreate()).await;
    let events = fx.journal(&report.run_id);
    let first_delete = events
        .iter()
        .position(|e| matches!(e, Event::ApiCall { operation, .. } if operation.starts_with("dms:Delete")))
        .expect("a delete was made");
    let outputs: Vec<(&str, &Value)> = events[..first_delete]
        .iter()
        .filter_map(|e| match e {
            Event::StepEnd {
                step,
                output: Some(o),
                ..
            } => Some((step.as_str(), o)),
            _ => None,
        })
        .collect();
    let saved = |id: &str| outputs.iter().find(|(s, _)| *s == id).unwrap().1;
    let instance = saved("instance");
    for key in CARRIED {
        assert_eq!(
            instance[*key],
            dms::instance_json(&public_instance())[*key],
            "{key} journaled"
        );
    }
    assert_eq!(saved("tags")["Tags"][1]["Value"], json!("data-team"));
    let tasks = saved("tasks")["Tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    for t in tasks {
        for key in [
            "TableMappings",
            "ReplicationTaskSettings",
            "MigrationType",
            "SourceEndpointArn",
            "TargetEndpointArn",
        ] {
            assert!(t[key].is_string(), "{key} of a task journaled");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn replace_creates_moves_then_deletes_and_tasks_keep_their_progress() {
    let fx = fixture(&[("t1", "running"), ("t2", "stopped")]);
    let mut prompter = replace();
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(
        prompter.asked_ids(),
        [
            "intended",
            "strategy",
            "new_identifier",
            "stop_tasks",
            "restart_tasks",
            "confirm_delete"
        ]
    );
    assert_eq!(
        prompter.asked[2].default,
        Some(json!("dms1-private")),
        "a sensible default identifier"
    );
    assert_eq!(
        changes(&fx),
        [
            "dms:CreateReplicationInstance",
            // Both endpoints reached from the new instance before t1 stops.
            "dms:TestConnection",
            "dms:TestConnection",
            "dms:StopReplicationTask",
            "dms:MoveReplicationTask",
            "dms:MoveReplicationTask",
            "dms:DeleteReplicationInstance",
            "dms:StartReplicationTask",
        ]
    );
    let new_arn = assert_private_copy(&fx, "dms1-private");
    assert_eq!(fx.aws.instances().len(), 1, "the public instance is gone");
    let tasks = fx.aws.tasks();
    for t in &tasks {
        assert_eq!(t.instance(), new_arn);
        assert_eq!(
            t.described
                .replication_task_stats()
                .map(|s| s.full_load_progress_percent()),
            Some(42),
            "progress kept"
        );
        assert!(
            t.arn().ends_with(&t.id().to_uppercase()),
            "the same task, moved"
        );
    }
    let t1 = tasks.iter().find(|t| t.id() == "t1").unwrap();
    assert_eq!(t1.started_with.as_deref(), Some("resume-processing"));
}

#[tokio::test(start_paused = true)]
async fn no_to_stopping_tasks_changes_nothing() {
    let fx = fixture(&[("t1", "running")]);
    let mut prompter = ScriptedPrompter::new()
        .no("intended")
        .text("strategy", "recreate")
        .no("stop_tasks");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(report.exit_status().code(), 3);
    assert!(changes(&fx).is_empty());
    assert!(
        report
            .message
            .contains(&format!("hubfix resume {}", report.run_id))
    );
}

#[tokio::test(start_paused = true)]
async fn no_to_the_deletion_changes_nothing_and_tasks_are_not_asked_when_none_run() {
    let fx = fixture(&[("t1", "stopped")]);
    let mut prompter = ScriptedPrompter::new()
        .no("intended")
        .text("strategy", "recreate")
        .no("confirm_delete");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(
        prompter.asked_ids(),
        ["intended", "strategy", "confirm_delete"]
    );
    assert!(changes(&fx).is_empty());
    assert!(fx.hub.updates.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_instance_without_tasks_is_recreated_without_task_calls() {
    let fx = fixture(&[]);
    let report = fx
        .run(
            &mut ScriptedPrompter::new()
                .no("intended")
                .text("strategy", "recreate")
                .yes("confirm_delete"),
        )
        .await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(
        changes(&fx),
        [
            "dms:DeleteReplicationInstance",
            "dms:CreateReplicationInstance"
        ]
    );
    assert_private_copy(&fx, "dms1");
}

#[tokio::test(start_paused = true)]
async fn resumed_after_the_delete_it_creates_the_instance_from_the_journal() {
    let mut fx = fixture(&[]);
    // The deletion does not finish in time: the run stops (exit 4) right after the delete.
    fx.aws.polls = 10_000;
    let report = fx.run(&mut recreate()).await;
    assert_eq!(report.outcome, Outcome::TimedOut, "{}", report.message);
    assert_eq!(report.resume_at.as_deref(), Some("public_deleted"));
    assert_eq!(fx.aws.count("dms:DeleteReplicationInstance"), 1);
    // DMS finishes the deletion while nobody watches: the old instance cannot be described.
    fx.aws.polls = 2;
    fx.aws.instances.lock().unwrap().clear();
    let report = fx
        .resume(&report.run_id, &mut ScriptedPrompter::new())
        .await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(
        fx.aws.count("dms:DeleteReplicationInstance"),
        1,
        "not sent again"
    );
    assert_eq!(fx.aws.count("dms:CreateReplicationInstance"), 1);
    assert_private_copy(&fx, "dms1");
}

const NO_ROUTE: &str = "Connection timed out: no route to host";

fn unreachable_target(tasks: &[(&str, &str)]) -> Fixture<FakeDms> {
    Fixture::new(
        FakeDms::with_public_instance(tasks).unreachable(TARGET, NO_ROUTE),
        "DMS.1",
        finding_on("DMS.1", "AwsDmsReplicationInstance", ARN),
    )
}

#[tokio::test(start_paused = true)]
async fn replace_with_an_unreachable_endpoint_moves_nothing_and_keeps_the_new_instance() {
    let fx = unreachable_target(&[("t1", "running"), ("t2", "stopped")]);
    let mut prompter = replace().no("delete_private");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Failed, "{}", report.message);
    assert_eq!(report.exit_status().code(), 1);
    assert_eq!(report.resume_at.as_deref(), Some("test_private"));
    assert_eq!(
        changes(&fx),
        [
            "dms:CreateReplicationInstance",
            "dms:TestConnection",
            "dms:TestConnection"
        ],
        "nothing stopped, moved or deleted"
    );
    let said = fx.said();
    assert!(
        said.contains(&format!("✗ tgt (t1, t2): failed — {NO_ROUTE}")),
        "{said}"
    );
    assert!(!said.contains("✗ src"), "{said}");
    let question = prompter.asked.last().unwrap();
    assert_eq!(question.id, "delete_private");
    assert_eq!(question.default, Some(json!(false)));
    assert!(report.message.contains("is kept"), "{}", report.message);
    assert!(
        report
            .message
            .contains(&format!("hubfix resume {}", report.run_id)),
        "{}",
        report.message
    );
    // Both instances; the tasks on the public one as they were.
    assert_eq!(fx.aws.instances().len(), 2);
    for t in fx.aws.tasks() {
        assert_eq!(t.instance(), ARN);
    }
    let t1 = fx.aws.tasks().into_iter().find(|t| t.id() == "t1").unwrap();
    assert_eq!(t1.status(), "running");
    assert!(
        !fx.hub.statuses().contains(&WorkflowStatus::Resolved),
        "the finding is not resolved"
    );

    // The network is fixed: resume tests again (not the recorded failure) and finishes.
    fx.aws.unreachable.lock().unwrap().clear();
    let report = fx
        .resume(
            &report.run_id,
            &mut ScriptedPrompter::new().yes("confirm_delete"),
        )
        .await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(fx.aws.count("dms:TestConnection"), 4, "tested again");
    assert_eq!(fx.aws.count("dms:CreateReplicationInstance"), 1);
    assert_private_copy(&fx, "dms1-private");
    assert_eq!(fx.aws.instances().len(), 1, "the public instance is gone");
}

#[tokio::test(start_paused = true)]
async fn a_yes_deletes_the_new_instance_after_a_failed_test_and_ends_for_good() {
    let fx = unreachable_target(&[("t1", "stopped")]);
    let report = fx.run(&mut replace().yes("delete_private")).await;
    assert_eq!(report.outcome, Outcome::Failed, "{}", report.message);
    assert_eq!(report.resume_at, None);
    assert_eq!(
        changes(&fx),
        [
            "dms:CreateReplicationInstance",
            "dms:TestConnection",
            "dms:TestConnection",
            "dms:DeleteReplicationInstance",
        ]
    );
    let instances = fx.aws.instances();
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0].arn(), ARN, "only the new instance is deleted");
}

#[tokio::test(start_paused = true)]
async fn recreate_with_an_unreachable_endpoint_names_the_tasks_that_will_not_run() {
    let fx = unreachable_target(&[("t1", "running"), ("t2", "stopped")]);
    let report = fx.run(&mut recreate()).await;
    assert_eq!(report.outcome, Outcome::Failed, "{}", report.message);
    assert_eq!(report.resume_at.as_deref(), Some("test_private"));
    assert!(
        report.message.contains("can be reached from it: t1, t2."),
        "{}",
        report.message
    );
    assert_eq!(fx.aws.count("dms:StartReplicationTask"), 0);
    assert!(!fx.hub.statuses().contains(&WorkflowStatus::Resolved));
    let said = fx.said();
    assert!(
        said.contains("`replace` tests them"),
        "told before the delete: {said}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_instance_without_tasks_has_no_connection_to_test() {
    let fx = fixture(&[]);
    let mut prompter = replace();
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(fx.aws.count("dms:TestConnection"), 0);
    assert!(
        fx.said()
            .contains("no replication tasks: there is no endpoint connection to test"),
        "{}",
        fx.said()
    );
}
