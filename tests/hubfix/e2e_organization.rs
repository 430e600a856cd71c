//! A security team in the delegated administrator account: findings of member accounts in
//! two regions, each resource fixed in its own account through `--role-name`, the findings
//! marked where they were read. moto keeps accounts apart by the credentials AssumeRole
//! gives, so a change made with the wrong credentials would land in the wrong account.

use crate::emulator::{ACCOUNT, Emulator, Hubfix, seeded};

const MEMBERS: [&str; 2] = ["111111111111", "222222222222"];
const REGIONS: [&str; 2] = ["ap-northeast-1", "us-east-1"];
const NAME: &str = "etl-cluster";
const FIX: &str =
    "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n";

/// Two member accounts × two regions with a failing cluster of one name and its finding in
/// the administrator account, and a cluster of that name in the administrator account
/// itself, without a finding. Returns the findings: (account, region, id).
async fn organization() -> (Emulator, Hubfix, Vec<(String, String, String)>) {
    let (emu, hubfix) = seeded("redshift");
    let mut findings = Vec::new();
    for account in MEMBERS {
        for region in REGIONS {
            let id = emu.member_cluster(Some(account), region, NAME, true).await;
            findings.push((account.to_owned(), region.to_owned(), id));
        }
    }
    emu.member_cluster(None, REGIONS[0], NAME, false).await;
    emu.forget_requests();
    (emu, hubfix, findings)
}

fn count(emu: &Emulator, action: &str) -> usize {
    emu.actions().iter().filter(|a| *a == action).count()
}

fn run_members(hubfix: &Hubfix, extra: &[&str]) -> crate::emulator::Run {
    let answers = hubfix.answers(FIX);
    let mut args = vec![
        "run",
        "--control",
        "Redshift.7",
        "--account",
        MEMBERS[0],
        "--account",
        MEMBERS[1],
        "--answers",
        &answers,
        "--approver",
        "Security Team",
    ];
    args.extend_from_slice(extra);
    hubfix.run(&args)
}

#[tokio::test(flavor = "multi_thread")]
async fn member_findings_are_fixed_in_their_own_account_and_region() {
    let (emu, hubfix, findings) = Box::pin(organization()).await;
    let run = run_members(
        &hubfix,
        &["--role-name", "hubfix-member", "--parallel", "4"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // One AssumeRole per member account (each then checked with GetCallerIdentity).
    assert_eq!(count(&emu, "AssumeRole"), 2, "{:?}", emu.actions());
    assert_eq!(count(&emu, "ModifyCluster"), 4);
    // The prerequisites were read through EC2 in each cluster's own account and region:
    // elsewhere its VPC does not exist and the run would have fallen back to the question.
    assert_eq!(count(&emu, "DescribeRouteTables"), 4);
    assert!(
        !run.stderr().contains("could not be read through EC2"),
        "{}",
        run.stderr()
    );
    for (account, region, id) in &findings {
        assert!(
            emu.member_routing(Some(account), region, NAME).await,
            "{account} {region}"
        );
        assert_eq!(emu.workflow_of(id).await, "RESOLVED", "{account} {region}");
    }
    assert!(
        !emu.member_routing(None, REGIONS[0], NAME).await,
        "the administrator account's cluster of the same name is untouched"
    );
    assert!(
        run.stderr().contains(MEMBERS[0]) && run.stderr().contains("us-east-1"),
        "the tables show account and region:\n{}",
        run.stderr()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_role_member_findings_are_refused_naming_role_name() {
    let (emu, hubfix, findings) = Box::pin(organization()).await;
    let run = run_members(&hubfix, &[]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("--role-name")
            && run
                .stderr()
                .contains(&format!("credentials are for account {ACCOUNT}")),
        "{}",
        run.stderr()
    );
    assert_eq!(count(&emu, "ModifyCluster"), 0);
    for (account, region, id) in &findings {
        assert!(!emu.member_routing(Some(account), region, NAME).await);
        assert_eq!(emu.workflow_of(id).await, "NEW");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_that_cannot_be_assumed_fails_its_account_alone() {
    let (emu, hubfix, findings) = Box::pin(organization()).await;
    emu.test_api(
        "POST",
        "/hubfix-test/deny",
        serde_json::json!({"action": "AssumeRole", "params_contain": MEMBERS[1]}),
    );
    let run = run_members(&hubfix, &["--role-name", "hubfix-member"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains(&format!(
            "cannot assume arn:aws:iam::{}:role/hubfix-member",
            MEMBERS[1]
        )),
        "{}",
        run.stderr()
    );
    emu.forget_requests(); // lifts the denial, so the checks below may assume the role
    for (account, region, id) in &findings {
        let fixed = account == MEMBERS[0];
        assert_eq!(
            emu.member_routing(Some(account), region, NAME).await,
            fixed,
            "{account} {region}"
        );
        let status = if fixed { "RESOLVED" } else { "NEW" };
        assert_eq!(emu.workflow_of(id).await, status, "{account} {region}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_finding_is_suppressed_from_the_administrator_account() {
    let (emu, hubfix, findings) = Box::pin(organization()).await;
    let (_, _, id) = &findings[3];
    let run = hubfix.run(&[
        "suppress",
        "--finding",
        id,
        "--reason",
        "Decommissioned in March",
        "--approver",
        "Security Team",
        "--yes",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(emu.workflow_of(id).await, "SUPPRESSED");
    assert_eq!(count(&emu, "AssumeRole"), 0, "findings need no member role");
}

/// DMS.1 `replace` in a member account, killed right after AWS accepted the delete of the
/// public instance, resumed: the role is assumed again from the journal, the delete is not
/// sent twice, and the member account ends with the private copy carrying the tasks.
#[tokio::test(flavor = "multi_thread")]
async fn a_member_dms_replace_killed_after_the_delete_resumes_in_its_account() {
    let emu = Emulator::start();
    emu.seed_in(Some(MEMBERS[0]), "dms");
    let hubfix = Hubfix::new(&emu);
    emu.test_api(
        "POST",
        "/hubfix-test/after-apply",
        serde_json::json!({"action": "DeleteReplicationInstance", "fault": "hang", "seconds": 120}),
    );
    let answers = hubfix.answers(
        "controls:\n  DMS.1: { intended: false, strategy: replace, new_identifier: demo-private-copy, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n",
    );
    let mut child = hubfix.spawn_quiet(
        &[],
        &[
            "--role-name",
            "hubfix-member",
            "run",
            "--control",
            "DMS.1",
            "--answers",
            &answers,
        ],
    );
    emu.wait_for_request("DeleteReplicationInstance", 1, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    let run_id = hubfix.last_run_id();
    let listed = hubfix.run(&["runs"]);
    assert!(
        listed.stdout().contains(MEMBERS[0]),
        "runs shows the account:\n{}",
        listed.stdout()
    );
    // No --role-name: the role comes from the journal.
    let resumed = hubfix.run(&["resume", &run_id, "--answers", &answers]);
    assert_eq!(resumed.code(), 0, "{}", resumed.stderr());
    assert_eq!(count(&emu, "DeleteReplicationInstance"), 1);

    let dms =
        aws_sdk_databasemigration::Client::new(&emu.member_config(MEMBERS[0], REGIONS[0]).await);
    let instances = dms
        .describe_replication_instances()
        .send()
        .await
        .unwrap()
        .replication_instances()
        .to_vec();
    let names: Vec<(&str, bool)> = instances
        .iter()
        .map(|i| {
            (
                i.replication_instance_identifier().unwrap_or_default(),
                i.publicly_accessible(),
            )
        })
        .collect();
    assert!(
        names.contains(&("demo-private-copy", false))
            && !names.iter().any(|(n, _)| *n == "demo-public-dms"),
        "{names:?}"
    );
    let copy = instances
        .iter()
        .find(|i| i.replication_instance_identifier() == Some("demo-private-copy"))
        .unwrap();
    let tasks = dms
        .describe_replication_tasks()
        .send()
        .await
        .unwrap()
        .replication_tasks()
        .to_vec();
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t.replication_instance_arn() == copy.replication_instance_arn())
            .count(),
        2,
        "both tasks moved to the copy"
    );
    let admin = emu.dms().await;
    assert!(
        admin
            .describe_replication_instances()
            .send()
            .await
            .map(|o| o.replication_instances().is_empty())
            .unwrap_or(true),
        "nothing was created in the administrator account"
    );
}

/// Every control at once across the organization: Redshift clusters, DMS instances and
/// ElastiCache groups in two member accounts, each in its own region, fixed by one
/// `hubfix run --role-name` in parallel, each in its account and region, with one AssumeRole
/// per member account; the findings in the administrator account are RESOLVED.
#[tokio::test(flavor = "multi_thread")]
async fn clusters_dms_instances_and_cache_groups_of_two_members_are_fixed_in_one_run() {
    let (emu, hubfix) = seeded("redshift");
    let places = [(MEMBERS[0], REGIONS[0]), (MEMBERS[1], REGIONS[1])];
    let mut clusters = Vec::new();
    for (account, region) in places {
        emu.seed_at(Some(account), region, "dms,elasticache");
        clusters.push(emu.member_cluster(Some(account), region, NAME, true).await);
    }
    emu.forget_requests();
    let answers = hubfix.answers(
        "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n  DMS.1: { intended: false, strategy: recreate, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n  ElastiCache.6: { intended: false, auth_token: { env: REDIS_TOKEN }, apply_now: true, clients_updated: true }\nresources:\n  demo-redis-plain: { target_version: \"7.1\", upgrade_now: false }\n",
    );
    let mut args = vec![
        "--role-name",
        "hubfix-member",
        "run",
        "--control",
        "Redshift.7",
        "--control",
        "DMS.1",
        "--control",
        "ElastiCache.6",
        "--parallel",
        "8",
        "--approver",
        "Security Team",
        "--answers",
        &answers,
    ];
    for account in MEMBERS {
        args.extend(["--account", account]);
    }
    let out = hubfix
        .command(&args)
        .env("REDIS_TOKEN", "Member-token-1234567")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // demo-redis-plain has no in-transit encryption and its upgrade is declined: it stops
    // (exit 3) with nothing changed.
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(count(&emu, "AssumeRole"), 2, "{:?}", emu.actions());
    for (i, (account, region)) in places.into_iter().enumerate() {
        assert!(emu.member_routing(Some(account), region, NAME).await);
        assert_eq!(emu.workflow_of(&clusters[i]).await, "RESOLVED");
        let config = emu.member_config(account, region).await;
        let dms = aws_sdk_databasemigration::Client::new(&config);
        let instances = dms.describe_replication_instances().send().await.unwrap();
        let public = instances
            .replication_instances()
            .iter()
            .find(|r| r.replication_instance_identifier() == Some("demo-public-dms"))
            .expect("recreated under its identifier");
        assert!(!public.publicly_accessible(), "{account}");
        let cache = aws_sdk_elasticache::Client::new(&config);
        let groups = cache
            .describe_replication_groups()
            .replication_group_id("demo-redis-tls")
            .send()
            .await
            .unwrap();
        assert_eq!(
            groups.replication_groups()[0].auth_token_enabled(),
            Some(true),
            "{account} {region}"
        );
    }
    // Every finding of the fixed resources is RESOLVED in the administrator account.
    let hub = aws_sdk_securityhub::Client::new(&emu.sdk_config().await);
    let found = hub.get_findings().send().await.unwrap();
    for f in found.findings() {
        let resource = f.resources()[0].id().unwrap_or_default();
        let status = f
            .workflow()
            .and_then(|w| w.status())
            .map(|s| s.as_str().to_owned());
        let failed = f.compliance().and_then(|c| c.status()).map(|s| s.as_str()) == Some("FAILED");
        let member = MEMBERS.iter().any(|m| resource.contains(m));
        if !member || !failed {
            continue;
        }
        if resource.ends_with("demo-redis-plain") || f.title().unwrap_or_default().contains("SSL") {
            assert_eq!(status.as_deref(), Some("NEW"), "{resource}");
        } else {
            assert_eq!(status.as_deref(), Some("RESOLVED"), "{resource}");
        }
    }
}
