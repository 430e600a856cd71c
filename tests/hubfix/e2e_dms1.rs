//! DMS.1 end to end: the real binary against the emulator, checked as the article checks
//! (`describe-replication-instances` shows PubliclyAccessible false), plus every captured
//! setting, tag and task definition on the private instance.

use crate::emulator::{Emulator, Hubfix, dms_filter, seeded};
use serde_json::{Value, json};

const PUBLIC: &str = "demo-public-dms";
const RECREATE: &str = "controls:\n  DMS.1: { intended: false, strategy: recreate, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n";
const REPLACE: &str = "controls:\n  DMS.1: { intended: false, strategy: replace, new_identifier: demo-private-copy, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n";
/// Replace, and after a failed connection test from the new instance: keep it (`false`) or
/// delete it (`true`).
fn replace_then_delete_private(delete: bool) -> String {
    format!(
        "controls:\n  DMS.1: {{ intended: false, strategy: replace, new_identifier: demo-private-copy, stop_tasks: true, restart_tasks: true, confirm_delete: true, delete_private: {delete} }}\n"
    )
}
/// What DMS says when the private instance cannot reach the database.
const NO_ROUTE: &str = "Test connection failed for endpoint 'demo-target-postgres': Connection timed out (no route from the replication instance's subnets)";
/// The seeded tasks' endpoints: demo-full-load uses the first two, demo-cdc the others.
const ENDPOINTS: usize = 4;

/// The seeded DMS account with demo-target-postgres unreachable from any private instance
/// (the public one still reaches it).
async fn postgres_unreachable_from_private() -> (Emulator, Hubfix) {
    let (emu, hubfix) = seeded("dms");
    let postgres = emu.dms_endpoint_arn("demo-target-postgres").await;
    emu.unreachable_from_private(&postgres, NO_ROUTE);
    (emu, hubfix)
}

/// Everything DMS.1 must carry over, read with the SDK: settings, tags, and each task's
/// definition (by identifier). `None` when the instance does not exist.
async fn snapshot(emu: &Emulator, identifier: &str) -> Option<(String, Value)> {
    let dms = emu.dms().await;
    let out = dms
        .describe_replication_instances()
        .filters(dms_filter("replication-instance-id", identifier))
        .send()
        .await
        .ok()?;
    let i = out.replication_instances().first()?.clone();
    let arn = i.replication_instance_arn().unwrap().to_owned();
    let tags = dms
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = tags
        .tag_list()
        .iter()
        .map(|t| {
            (
                t.key().unwrap().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    tags.sort();
    let tasks = dms
        .describe_replication_tasks()
        .filters(dms_filter("replication-instance-arn", &arn))
        .send()
        .await
        .map(|o| o.replication_tasks().to_vec())
        .unwrap_or_default();
    let mut tasks: Vec<Value> = tasks
        .iter()
        .map(|t| {
            json!({
                "id": t.replication_task_identifier(),
                "source": t.source_endpoint_arn(),
                "target": t.target_endpoint_arn(),
                "type": t.migration_type().map(|m| m.as_str()),
                "mappings": t.table_mappings(),
                // Compared as JSON: hubfix may send it re-serialized.
                "settings": t.replication_task_settings().and_then(|s| serde_json::from_str::<Value>(s).ok()),
            })
        })
        .collect();
    tasks.sort_by_key(|t| t["id"].as_str().unwrap().to_owned());
    let mut groups: Vec<&str> = i
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    groups.sort();
    let settings = json!({
        "class": i.replication_instance_class(),
        "storage": i.allocated_storage(),
        "engine": i.engine_version(),
        "auto_minor": i.auto_minor_version_upgrade(),
        "multi_az": i.multi_az(),
        "zone": i.availability_zone(),
        "subnet_group": i.replication_subnet_group().and_then(|g| g.replication_subnet_group_identifier()),
        "security_groups": groups,
        "kms": i.kms_key_id(),
        "window": i.preferred_maintenance_window(),
        "dns": i.dns_name_servers(),
        "network": i.network_type(),
        "tags": tags,
        "tasks": tasks,
    });
    Some((
        arn,
        json!({"public": i.publicly_accessible(), "status": i.replication_instance_status(), "carried": settings}),
    ))
}

async fn task_statuses(emu: &Emulator, instance_arn: &str) -> Vec<(String, String)> {
    let out = emu
        .dms()
        .await
        .describe_replication_tasks()
        .filters(dms_filter("replication-instance-arn", instance_arn))
        .send()
        .await
        .unwrap();
    let mut s: Vec<(String, String)> = out
        .replication_tasks()
        .iter()
        .map(|t| {
            (
                t.replication_task_identifier().unwrap().to_owned(),
                t.status().unwrap().to_owned(),
            )
        })
        .collect();
    s.sort();
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn recreate_makes_it_private_with_every_setting_tag_and_task() {
    let (emu, hubfix) = seeded("dms");
    let (old_arn, before) = snapshot(&emu, PUBLIC).await.unwrap();
    assert_eq!(before["public"], json!(true));
    let answers = hubfix.answers(RECREATE);
    let run = hubfix.run(&[
        "run",
        "--control",
        "DMS.1",
        "--answers",
        &answers,
        "--approver",
        "Taro Yamada",
    ]);
    run.expect_code(0);
    assert!(
        run.stderr().contains("deleting"),
        "live status shown:\n{}",
        run.stderr()
    );
    let (new_arn, after) = snapshot(&emu, PUBLIC).await.expect("recreated");
    assert_ne!(new_arn, old_arn, "a new ARN");
    assert_eq!(after["public"], json!(false));
    assert_eq!(after["status"], json!("available"));
    assert_eq!(
        after["carried"], before["carried"],
        "every setting, tag and task carried"
    );
    // The task that was running runs again (from scratch); the other is ready.
    assert_eq!(
        task_statuses(&emu, &new_arn).await,
        [
            ("demo-cdc".into(), "running".into()),
            ("demo-full-load".into(), "ready".into())
        ]
    );
    let (_, status, note, _) = emu.finding_on(&old_arn).await;
    assert_eq!(status, "RESOLVED");
    assert!(note.contains(&new_arn), "{note}");
    let actions = emu.actions();
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("DeleteReplicationInstance"), 1);
    assert_eq!(count("CreateReplicationInstance"), 1);
    assert_eq!(count("StopReplicationTask"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn replace_moves_the_tasks_to_a_new_private_instance_then_deletes_the_old_one() {
    let (emu, hubfix) = seeded("dms");
    let (old_arn, before) = snapshot(&emu, PUBLIC).await.unwrap();
    let answers = hubfix.answers(REPLACE);
    let run = hubfix.run(&[
        "run",
        "--control",
        "DMS.1",
        "--answers",
        &answers,
        "--approver",
        "Taro Yamada",
    ]);
    run.expect_code(0);
    assert!(
        snapshot(&emu, PUBLIC).await.is_none(),
        "the public instance is gone"
    );
    let (new_arn, after) = snapshot(&emu, "demo-private-copy").await.expect("created");
    assert_eq!(after["public"], json!(false));
    assert_eq!(after["carried"], before["carried"]);
    assert_eq!(
        task_statuses(&emu, &new_arn).await,
        [
            ("demo-cdc".into(), "running".into()),
            ("demo-full-load".into(), "stopped".into())
        ]
    );
    let actions = emu.actions();
    assert!(
        actions.contains(&"MoveReplicationTask".to_owned()),
        "{actions:?}"
    );
    assert!(
        !actions.contains(&"DeleteReplicationTask".to_owned()),
        "{actions:?}"
    );
    // One connection test per endpoint of the tasks, all before a task is stopped or moved
    // and before the public instance is deleted.
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("TestConnection"), ENDPOINTS, "{actions:?}");
    let first = |a: &str| actions.iter().position(|x| x == a).unwrap();
    let last_test = actions.iter().rposition(|x| x == "TestConnection").unwrap();
    assert!(first("CreateReplicationInstance") < first("TestConnection"));
    for change in [
        "StopReplicationTask",
        "MoveReplicationTask",
        "DeleteReplicationInstance",
    ] {
        assert!(
            last_test < first(change),
            "{change} after the tests: {actions:?}"
        );
    }
    let out = format!("{}\n{}", run.stdout(), run.stderr());
    assert!(
        out.contains("demo-private-copy reaches every endpoint of the tasks"),
        "{out}"
    );
    assert_eq!(emu.finding_on(&old_arn).await.1, "RESOLVED");
}

/// The public instance reached demo-target-postgres; the private one cannot. Nothing moves
/// and nothing is deleted; the new instance is kept on request, and once the network is
/// fixed `hubfix resume` tests again and finishes the replacement.
#[tokio::test(flavor = "multi_thread")]
async fn replace_stops_when_the_private_instance_cannot_reach_an_endpoint_and_resume_tests_again() {
    let (emu, hubfix) = postgres_unreachable_from_private().await;
    let (old_arn, before) = snapshot(&emu, PUBLIC).await.unwrap();
    let answers = hubfix.answers(&replace_then_delete_private(false));
    let run = hubfix.run(&[
        "run",
        "--control",
        "DMS.1",
        "--answers",
        &answers,
        "--approver",
        "Taro Yamada",
    ]);
    run.expect_code(1);
    let out = format!("{}\n{}", run.stdout(), run.stderr());
    assert!(
        out.contains(&format!(
            "✗ demo-target-postgres (demo-full-load): failed — {NO_ROUTE}"
        )),
        "the failing endpoint with DMS's message:\n{out}"
    );
    assert!(
        !out.contains("✗ demo-source-mysql"),
        "only the endpoint that failed: {out}"
    );
    assert!(
        out.contains("The new private instance demo-private-copy is kept"),
        "{out}"
    );
    assert!(out.contains("then `hubfix resume"), "{out}");
    // The public instance is still there, public, with its tasks as they were (the CDC
    // task still running: it is stopped only to be moved).
    let (arn, still) = snapshot(&emu, PUBLIC)
        .await
        .expect("the public instance stays");
    assert_eq!(arn, old_arn);
    assert_eq!(still, before);
    assert_eq!(
        task_statuses(&emu, &old_arn).await,
        [
            ("demo-cdc".into(), "running".into()),
            ("demo-full-load".into(), "ready".into())
        ]
    );
    let actions = emu.actions();
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("TestConnection"), ENDPOINTS, "{actions:?}");
    for untouched in [
        "DeleteReplicationInstance",
        "MoveReplicationTask",
        "StopReplicationTask",
        "StartReplicationTask",
    ] {
        assert_eq!(count(untouched), 0, "{untouched}: {actions:?}");
    }
    // "No" to deleting it: the private instance is kept for the next try.
    let (new_arn, kept) = snapshot(&emu, "demo-private-copy").await.expect("kept");
    assert_eq!(kept["public"], json!(false));
    // Not resolved: held for this run until the resume finishes.
    assert_eq!(emu.finding_on(&old_arn).await.1, "NOTIFIED");

    // The network is fixed (the failure rule and the request log are cleared).
    emu.forget_requests();
    let run_id = hubfix.last_run_id();
    let resumed = hubfix.run(&["resume", &run_id, "--answers", &answers]);
    resumed.expect_code(0);
    let actions = emu.actions();
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(
        count("TestConnection"),
        ENDPOINTS,
        "tested again: {actions:?}"
    );
    assert_eq!(count("CreateReplicationInstance"), 0, "{actions:?}");
    assert_eq!(count("MoveReplicationTask"), 2, "{actions:?}");
    assert!(
        snapshot(&emu, PUBLIC).await.is_none(),
        "the public instance is gone"
    );
    let (arn, after) = snapshot(&emu, "demo-private-copy").await.unwrap();
    assert_eq!(arn, new_arn);
    assert_eq!(after["carried"], before["carried"]);
    assert_eq!(
        task_statuses(&emu, &new_arn).await,
        [
            ("demo-cdc".into(), "running".into()),
            ("demo-full-load".into(), "stopped".into())
        ]
    );
    assert_eq!(emu.finding_on(&old_arn).await.1, "RESOLVED");
}

/// A yes to deleting the new instance after a failed test: it goes, the public one stays.
#[tokio::test(flavor = "multi_thread")]
async fn replace_deletes_the_new_instance_on_request_after_a_failed_test() {
    let (emu, hubfix) = postgres_unreachable_from_private().await;
    let (old_arn, before) = snapshot(&emu, PUBLIC).await.unwrap();
    let answers = hubfix.answers(&replace_then_delete_private(true));
    let run = hubfix.run(&["run", "--control", "DMS.1", "--answers", &answers]);
    run.expect_code(1);
    let out = format!("{}\n{}", run.stdout(), run.stderr());
    assert!(out.contains("demo-private-copy is deleted"), "{out}");
    assert!(
        snapshot(&emu, "demo-private-copy").await.is_none(),
        "deleted"
    );
    let (arn, still) = snapshot(&emu, PUBLIC)
        .await
        .expect("the public instance stays");
    assert_eq!((arn.as_str(), &still), (old_arn.as_str(), &before));
    let actions = emu.actions();
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(
        count("DeleteReplicationInstance"),
        1,
        "only the new one: {actions:?}"
    );
    assert_eq!(count("MoveReplicationTask"), 0, "{actions:?}");
    assert_eq!(emu.finding_on(&old_arn).await.1, "NEW", "put back");
    // Nothing to resume: the run ended for good.
    let again = hubfix.run(&["resume", &hubfix.last_run_id()]);
    assert_ne!(again.code(), 0);
    assert!(
        again.stderr().contains("nothing to resume"),
        "{}",
        again.stderr()
    );
}

/// recreate can only test once the public instance is gone: a failure says which tasks will
/// not run, starts none, and `hubfix resume` tests again and finishes.
#[tokio::test(flavor = "multi_thread")]
async fn recreate_names_the_tasks_that_will_not_run_when_an_endpoint_is_unreachable() {
    let (emu, hubfix) = postgres_unreachable_from_private().await;
    let (old_arn, before) = snapshot(&emu, PUBLIC).await.unwrap();
    let answers = hubfix.answers(RECREATE);
    let plan = hubfix.run(&["plan", "--control", "DMS.1"]);
    assert!(
        plan.stdout()
            .contains("`replace` tests them from the new instance before anything is"),
        "the deletion text says replace can test first:\n{}",
        plan.stdout()
    );
    let run = hubfix.run(&["run", "--control", "DMS.1", "--answers", &answers]);
    run.expect_code(1);
    let out = format!("{}\n{}", run.stdout(), run.stderr());
    assert!(
        out.contains(&format!(
            "✗ demo-target-postgres (demo-full-load): failed — {NO_ROUTE}"
        )),
        "{out}"
    );
    assert!(
        out.contains(
            "these tasks will not run until their endpoints can be reached from it: demo-full-load."
        ),
        "{out}"
    );
    let (new_arn, after) = snapshot(&emu, PUBLIC).await.expect("recreated");
    assert_ne!(new_arn, old_arn);
    assert_eq!(after["public"], json!(false));
    assert_eq!(after["carried"], before["carried"]);
    // Recreated, and none started.
    assert_eq!(
        task_statuses(&emu, &new_arn).await,
        [
            ("demo-cdc".into(), "ready".into()),
            ("demo-full-load".into(), "ready".into())
        ]
    );
    assert!(!emu.actions().contains(&"StartReplicationTask".to_owned()));
    assert_eq!(emu.finding_on(&old_arn).await.1, "NOTIFIED");

    emu.forget_requests();
    let resumed = hubfix.run(&["resume", &hubfix.last_run_id(), "--answers", &answers]);
    resumed.expect_code(0);
    let actions = emu.actions();
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(
        count("TestConnection"),
        ENDPOINTS,
        "tested again: {actions:?}"
    );
    assert_eq!(count("CreateReplicationTask"), 0, "{actions:?}");
    // (The describe shows a started task `running`, as DMS does a moment later.)
    let (arn, _) = snapshot(&emu, PUBLIC).await.unwrap();
    assert_eq!(arn, new_arn);
    assert_eq!(
        task_statuses(&emu, &new_arn).await,
        [
            ("demo-cdc".into(), "running".into()),
            ("demo-full-load".into(), "ready".into())
        ]
    );
    assert_eq!(emu.finding_on(&old_arn).await.1, "RESOLVED");
}

#[test]
fn a_dry_run_shows_the_captured_configuration_and_the_exact_create_call() {
    let (emu, hubfix) = seeded("dms");
    let run = hubfix.run(&["plan", "--control", "DMS.1"]);
    run.expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains("class dms.t3.medium, 50 GB, engine 3.5.3"),
        "{out}"
    );
    assert!(
        out.contains("demo-cdc: full-load-and-cdc, running"),
        "{out}"
    );
    let create = out
        .lines()
        .find(|l| l.contains("dms:CreateReplicationInstance {"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        !create.contains("null"),
        "no parameter that is not sent: {create}"
    );
    // Every branch is listed, each request on its own: the recreated task is started by the
    // ARN its create gives.
    assert!(
        out.contains(r#"dms:StartReplicationTask {"ReplicationTaskArn":"<from recreate_tasks[0].ReplicationTaskArn>","StartReplicationTaskType":"start-replication"}"#),
        "{out}"
    );
    for part in [
        r#""PubliclyAccessible":false"#,
        r#""ReplicationInstanceClass":"dms.t3.medium""#,
        r#""ReplicationSubnetGroupIdentifier":"hubfix-demo-dms""#,
        r#""PreferredMaintenanceWindow":"sat:17:00-sat:17:30""#,
        r#""Key":"owner","Value":"data-team""#,
        r#""AllocatedStorage":50"#,
    ] {
        assert!(create.contains(part), "{part} in {create}");
    }
    let changes = [
        "Stop",
        "Delete",
        "Create",
        "Move",
        "Start",
        "BatchUpdateFindings",
    ];
    let actions = emu.actions();
    assert!(
        !actions
            .iter()
            .any(|a| changes.iter().any(|c| a.starts_with(c))),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_right_after_the_delete_it_resumes_and_creates_from_the_journal() {
    let (emu, hubfix) = seeded("dms");
    let (old_arn, before) = snapshot(&emu, PUBLIC).await.unwrap();
    // The deletion takes a while, so the run is surely killed before the create.
    emu.test_api(
        "POST",
        "/hubfix-test/config",
        json!({"dms_delete_polls": 20}),
    );
    let answers = hubfix.answers(RECREATE);
    let mut child = hubfix
        .command(&["run", "--control", "DMS.1", "--answers", &answers])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once AWS has the delete: the journal's `call_start` comes before the request is
    // sent, and a kill between the two (a slow disk sync) would leave nothing deleted.
    emu.wait_for_request("DeleteReplicationInstance", 1, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    let journal = std::fs::read_dir(hubfix.state_dir().join("runs"))
        .unwrap()
        .next()
        .expect("a journal")
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains("dms:DeleteReplicationInstance"), "{text}");
    assert!(
        !text.contains("dms:CreateReplicationInstance"),
        "killed before the create"
    );
    // Let DMS finish the deletion: the old instance can no longer be described.
    let dms = emu.dms().await;
    for _ in 0..100 {
        if snapshot(&emu, PUBLIC).await.is_none() {
            break;
        }
        let _ = dms.describe_replication_instances().send().await;
    }
    assert!(snapshot(&emu, PUBLIC).await.is_none(), "deleted");

    let run_id = journal.file_stem().unwrap().to_str().unwrap().to_owned();
    let resumed = hubfix.run(&["resume", &run_id, "--answers", &answers]);
    resumed.expect_code(0);
    let (new_arn, after) = snapshot(&emu, PUBLIC)
        .await
        .expect("created from the journal");
    assert_ne!(new_arn, old_arn);
    assert_eq!(after["public"], json!(false));
    assert_eq!(after["carried"], before["carried"]);
    assert_eq!(emu.finding_on(&old_arn).await.1, "RESOLVED");
}

/// A DMS finding's ARN ends in an internal id: every table says the identifier people know
/// (from the finding's details), and `--resource` takes it.
#[test]
fn dms_resources_go_by_their_identifiers() {
    let (emu, hubfix) = seeded("dms");
    let listing = hubfix.run(&["findings", "--control", "DMS.1"]);
    listing.expect_code(0);
    let out = listing.stdout();
    assert!(out.contains("demo-public-dms"), "{out}");
    let json = hubfix.run(&["findings", "--control", "DMS.9", "--output", "json"]);
    json.expect_code(0);
    let found: Value = serde_json::from_str(&json.stdout()).unwrap();
    let mut names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource_name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "demo-source-mysql",
            "demo-target-postgres",
            "demo-target-redshift"
        ]
    );

    let plan = hubfix.run(&[
        "plan",
        "--control",
        "DMS.1",
        "--resource",
        "demo-public-dms",
    ]);
    plan.expect_code(0);
    let (out, err) = (plan.stdout(), plan.stderr());
    // The identifier matched the finding: the plan is for the instance's ARN, with the finding.
    assert!(
        out.contains(":rep:") && out.contains("BatchUpdateFindings"),
        "{out}\n{err}"
    );
    assert!(
        !out.contains("no finding"),
        "the identifier matched the finding: {out}"
    );
    assert!(emu.actions().iter().all(|a| !a.starts_with("Delete")));
}
