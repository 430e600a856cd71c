//! What the runbooks check before they change anything, end to end: Redshift.7's
//! prerequisites read through EC2 in the emulator (moto's own VPCs, attributes, route tables
//! and gateway endpoints), and the warning before changing a resource a CloudFormation stack
//! manages, for each control. The real binary, answers files, and the emulator's record of
//! what was sent.

use crate::e2e_dms9::endpoint;
use crate::emulator::{ACCOUNT, Emulator, Hubfix, REGION, seeded};
use serde_json::{Value, json};

const CLUSTER: &str = "test-redshift-cluster";
/// The fix without `prerequisites_met`: the demo network meets every prerequisite.
const FIX: &str = "controls:\n  Redshift.7: { intended: false, apply_now: true }\n";
const STOP_UNMET: &str = "controls:\n  Redshift.7: { intended: false, prerequisites_override: false, apply_now: true }\n";

fn count(emu: &Emulator, action: &str) -> usize {
    emu.actions().iter().filter(|a| *a == action).count()
}

/// Every request the emulator received: `{service, action, params, ...}`.
fn requests(emu: &Emulator) -> Vec<Value> {
    emu.test_api("GET", "/hubfix-test/requests", Value::Null)
        .as_array()
        .unwrap()
        .clone()
}

fn run_redshift(hubfix: &Hubfix, answers: &str) -> crate::emulator::Run {
    let answers = hubfix.answers(answers);
    hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers])
}

/// The journal of the last run, one JSON value per line.
fn journal(hubfix: &Hubfix) -> Vec<Value> {
    let path = hubfix
        .state_dir()
        .join("runs")
        .join(format!("{}.jsonl", hubfix.last_run_id()));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn with_every_prerequisite_met_nothing_is_asked_and_the_cluster_is_fixed() {
    let (emu, hubfix) = seeded("redshift");
    let vpc = emu.vpc_of(CLUSTER).await;
    let run = run_redshift(&hubfix, FIX);
    run.expect_code(0);
    let err = run.stderr();
    assert!(
        err.contains("DNS hostnames (enableDnsHostnames) enabled: true")
            && err.contains("✓ subnet-")
            && err.contains("(main) → vpce-")
            && err.contains("Every prerequisite of enhanced VPC routing is met"),
        "{err}"
    );
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
    let (_, status, note, _) = emu.finding_of(CLUSTER).await;
    assert_eq!(status, "RESOLVED");
    assert!(!note.contains("overridden"), "{note}");
    // The reads, in order, about the cluster's own VPC and region, before the one change.
    let sent = requests(&emu);
    let checks: Vec<(&str, &Value)> = sent
        .iter()
        .filter(|r| r["service"] == "ec2" || r["action"] == "DescribeClusterSubnetGroups")
        .map(|r| (r["action"].as_str().unwrap(), &r["params"]))
        .collect();
    let names: Vec<&str> = checks.iter().map(|(a, _)| *a).collect();
    assert_eq!(
        names,
        [
            "DescribeClusterSubnetGroups",
            "DescribeVpcAttribute",
            "DescribeVpcAttribute",
            "DescribeRouteTables",
            "DescribeVpcEndpoints"
        ]
    );
    assert_eq!(checks[0].1["ClusterSubnetGroupName"], "hubfix-demo");
    assert_eq!(
        (&checks[1].1["Attribute"], &checks[2].1["Attribute"]),
        (&json!("enableDnsSupport"), &json!("enableDnsHostnames"))
    );
    assert!(
        checks[1..]
            .iter()
            .all(|(_, p)| p.to_string().contains(&vpc))
    );
    assert!(
        checks[4]
            .1
            .to_string()
            .contains(&format!("com.amazonaws.{REGION}.s3"))
    );
    let modify = sent
        .iter()
        .position(|r| r["action"] == "ModifyCluster")
        .unwrap();
    let last_read = sent.iter().rposition(|r| r["service"] == "ec2").unwrap();
    assert!(last_read < modify);
    // No question about the prerequisites, and none about a stack.
    let asked: Vec<String> = journal(&hubfix)
        .iter()
        .filter(|e| e["event"] == "answer")
        .map(|e| e["step"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(asked, ["intended", "apply_now"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_hostnames_off_stops_before_any_change_naming_the_check_and_the_fix() {
    let (emu, hubfix) = seeded("redshift");
    let vpc = emu.vpc_of(CLUSTER).await;
    emu.set_dns_hostnames(&vpc, false).await;
    emu.forget_requests();
    let run = run_redshift(&hubfix, STOP_UNMET);
    run.expect_code(3);
    let err = run.stderr();
    assert!(
        err.contains(&format!("✗ DNS hostnames are disabled on VPC {vpc}"))
            && err.contains(&format!(
                "aws ec2 modify-vpc-attribute --vpc-id {vpc} --enable-dns-hostnames"
            )),
        "{err}"
    );
    assert!(!err.contains("DNS resolution is disabled"), "{err}");
    assert!(!err.contains("No route to S3"), "{err}");
    let end = journal(&hubfix).last().unwrap().clone();
    assert_eq!(end["outcome"], "stopped");
    assert!(
        end["message"]
            .as_str()
            .unwrap()
            .contains("DNS hostnames enabled: false"),
        "{end}"
    );
    assert_eq!(count(&emu, "ModifyCluster"), 0);
    assert_eq!(count(&emu, "BatchUpdateFindings"), 0);
    assert!(!emu.enhanced_vpc_routing(CLUSTER).await);
    assert_eq!(emu.finding_of(CLUSTER).await.1, "NEW");

    // An answers file that does not say whether to override stops too, naming the key.
    let run = run_redshift(&hubfix, FIX);
    run.expect_code(2);
    assert!(
        run.stderr().contains("prerequisites_override"),
        "{}",
        run.stderr()
    );
    assert_eq!(count(&emu, "ModifyCluster"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subnet_without_a_route_to_s3_stops_before_any_change() {
    let (emu, hubfix) = seeded("redshift");
    let vpc = emu.vpc_of(CLUSTER).await;
    emu.remove_vpc_endpoints(&vpc).await;
    emu.forget_requests();
    let run = run_redshift(&hubfix, STOP_UNMET);
    run.expect_code(3);
    let err = run.stderr();
    assert!(
        err.contains("✗ No route to S3 from subnet(s) subnet-")
            && err.contains(&format!(
                "gateway VPC endpoint for com.amazonaws.{REGION}.s3"
            )),
        "{err}"
    );
    // The subnet's own line: the main table, and nothing leading to S3.
    let line = err.lines().find(|l| l.starts_with("✗ subnet-")).unwrap();
    assert!(line.ends_with("(main)"), "{line}");
    assert!(!err.contains("DNS hostnames are disabled"), "{err}");
    assert_eq!(count(&emu, "ModifyCluster"), 0);
    assert!(!emu.enhanced_vpc_routing(CLUSTER).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_override_goes_on_and_is_recorded_in_the_journal_and_the_resolved_note() {
    let (emu, hubfix) = seeded("redshift");
    let vpc = emu.vpc_of(CLUSTER).await;
    emu.set_dns_hostnames(&vpc, false).await;
    let run = run_redshift(
        &hubfix,
        "controls:\n  Redshift.7: { intended: false, prerequisites_override: true, apply_now: true }\n",
    );
    run.expect_code(0);
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
    let (_, status, note, _) = emu.finding_of(CLUSTER).await;
    assert_eq!(status, "RESOLVED");
    assert!(
        note.contains("Prerequisites not met, overridden by the operator")
            && note.contains("DNS hostnames false"),
        "{note}"
    );
    let events = journal(&hubfix);
    assert!(
        events.iter().any(|e| e["event"] == "answer"
            && e["step"] == "prerequisites_override"
            && e["value"] == true),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ec2_denied_falls_back_to_the_question_and_says_why() {
    let (emu, hubfix) = seeded("redshift");
    emu.test_api(
        "POST",
        "/hubfix-test/deny",
        json!({"service": "ec2", "action": "*"}),
    );
    // The answers file of before the checks: it answers the question asked instead.
    let run = run_redshift(
        &hubfix,
        "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n",
    );
    run.expect_code(0);
    let err = run.stderr();
    assert!(
        err.contains("step `vpc_dns` failed: ec2:DescribeVpcAttribute: You are not authorized")
            && err.contains("grant the IAM permission `ec2:DescribeVpcAttribute`")
            && err.contains("could not be read through EC2")
            && err.contains("Before enabling enhanced VPC routing, check in VPC vpc-"),
        "{err}"
    );
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
    assert_eq!(count(&emu, "DescribeRouteTables"), 0);
    let answered: Vec<String> = journal(&hubfix)
        .iter()
        .filter(|e| e["event"] == "answer")
        .map(|e| e["step"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(answered, ["intended", "prerequisites_met", "apply_now"]);

    // A plan shows the read that failed and goes on, as the run did.
    let plan = hubfix.run(&["plan", "--control", "Redshift.7", "--resource", CLUSTER]);
    plan.expect_code(0);
    let out = plan.stdout();
    assert!(
        out.contains("→ failed: ec2:DescribeVpcAttribute: You are not authorized")
            && out.contains("→ on failure: checks_unavailable")
            && out.contains("[21] prerequisites_met (prompt)"),
        "{out}"
    );

    // Without that answer the run stops before any change, naming the question.
    let (emu, hubfix) = seeded("redshift");
    emu.test_api(
        "POST",
        "/hubfix-test/deny",
        json!({"service": "ec2", "action": "*"}),
    );
    let run = run_redshift(&hubfix, FIX);
    run.expect_code(2);
    assert!(
        run.stderr().contains("prerequisites_met"),
        "{}",
        run.stderr()
    );
    assert_eq!(count(&emu, "ModifyCluster"), 0);
}

/// The resource's note names the stack and the template property; a no stops with exit 3.
fn assert_stopped_for_the_stack(run: &crate::emulator::Run, stack: &str, property: &str) {
    run.expect_code(3);
    let err = run.stderr();
    assert!(
        err.contains(&format!("managed by CloudFormation stack {stack}"))
            && err.contains("the stack's next update")
            && err.contains(property),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_managed_by_cloudformation_is_not_changed_on_a_no() {
    let (emu, hubfix) = seeded("redshift");
    emu.tag_with_stack(CLUSTER, "etl-prod").await;
    emu.forget_requests();
    let run = run_redshift(
        &hubfix,
        "controls:\n  Redshift.7: { intended: false, iac_managed_ok: false, apply_now: true }\n",
    );
    assert_stopped_for_the_stack(
        &run,
        "etl-prod",
        "AWS::Redshift::Cluster, EnhancedVpcRouting: true",
    );
    assert_eq!(count(&emu, "ModifyCluster"), 0);
    assert_eq!(count(&emu, "BatchUpdateFindings"), 0);
    assert!(!emu.enhanced_vpc_routing(CLUSTER).await);

    // The answers file of before (no `iac_managed_ok`) stops too, naming the key.
    let run = run_redshift(&hubfix, FIX);
    run.expect_code(2);
    assert!(run.stderr().contains("iac_managed_ok"), "{}", run.stderr());
    assert_eq!(count(&emu, "ModifyCluster"), 0);

    // A yes goes on.
    let run = run_redshift(
        &hubfix,
        "controls:\n  Redshift.7: { intended: false, iac_managed_ok: true, apply_now: true }\n",
    );
    run.expect_code(0);
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dms_instance_and_endpoint_managed_by_cloudformation_are_not_changed_on_a_no() {
    let emu = Emulator::start();
    emu.seed_stack("dms", "dms-prod");
    let hubfix = Hubfix::new(&emu);
    let answers = hubfix.answers(
        "resources:\n  demo-public-dms: { intended: false, iac_managed_ok: false, strategy: recreate, confirm_delete: true }\n",
    );
    // The only failing DMS.1 finding is demo-public-dms's.
    let run = hubfix.run(&["run", "--control", "DMS.1", "--answers", &answers]);
    assert_stopped_for_the_stack(
        &run,
        "dms-prod",
        "AWS::DMS::ReplicationInstance, PubliclyAccessible: false",
    );
    for change in [
        "StopReplicationTask",
        "DeleteReplicationTask",
        "DeleteReplicationInstance",
        "CreateReplicationInstance",
        "BatchUpdateFindings",
    ] {
        assert_eq!(count(&emu, change), 0, "{change}");
    }

    let (arn, ssl_mode, _) = endpoint(&emu, "demo-source-mysql").await;
    let answers = hubfix.answers(&format!(
        "resources:\n  \"{arn}\": {{ intended: false, iac_managed_ok: false, ssl_mode: require, test_instance: skip, apply_now: true }}\n"
    ));
    let run = hubfix.run(&[
        "run",
        "--control",
        "DMS.9",
        "--resource",
        &arn,
        "--answers",
        &answers,
    ]);
    assert_stopped_for_the_stack(&run, "dms-prod", "AWS::DMS::Endpoint, SslMode");
    assert_eq!(count(&emu, "ModifyEndpoint"), 0);
    assert_eq!(endpoint(&emu, "demo-source-mysql").await.1, ssl_mode);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_elasticache_group_managed_by_cloudformation_is_not_changed_on_a_no() {
    let emu = Emulator::start();
    emu.seed_stack("elasticache", "cache-prod");
    let hubfix = Hubfix::new(&emu);
    let group = "demo-redis-tls";
    let answers = hubfix.answers(&format!(
        "resources:\n  {group}: {{ intended: false, iac_managed_ok: false, auth_token: {{ env: REDIS_TOKEN }}, apply_now: true }}\n"
    ));
    let arn = format!("arn:aws:elasticache:{REGION}:{ACCOUNT}:replicationgroup:{group}");
    let run = hubfix.run_with(
        &[("REDIS_TOKEN", "Tz9-Kq7!xW#m2$Lp^a<b>Vr8-e2e")],
        &[
            "run",
            "--control",
            "ElastiCache.6",
            "--resource",
            &arn,
            "--answers",
            &answers,
        ],
    );
    assert_stopped_for_the_stack(
        &run,
        "cache-prod",
        "AWS::ElastiCache::ReplicationGroup, EngineVersion, TransitEncryptionEnabled / TransitEncryptionMode, AuthToken",
    );
    assert_eq!(count(&emu, "ModifyReplicationGroup"), 0);
    assert_eq!(count(&emu, "ListTagsForResource"), 1);
}

/// On a terminal the override's default is no: Enter stops before any change.
#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_enter_at_the_override_question_stops() {
    use expectrl::Expect;
    let (emu, hubfix) = seeded("redshift");
    let vpc = emu.vpc_of(CLUSTER).await;
    emu.set_dns_hostnames(&vpc, false).await;
    emu.forget_requests();
    let mut cmd = hubfix.command(&["run", "--control", "Redshift.7"]);
    cmd.env("TERM", "xterm-256color");
    let mut p = expectrl::Session::spawn(cmd).expect("a pseudo-terminal");
    p.set_expect_timeout(Some(std::time::Duration::from_secs(60)));
    p.expect("is it intended").unwrap();
    p.send("n").unwrap();
    p.expect("DNS hostnames are disabled").unwrap();
    p.expect("Go on anyway?").unwrap();
    p.send("\r").unwrap();
    p.expect("DNS hostnames enabled: false").unwrap();
    let status = p.get_process().wait().unwrap();
    assert!(format!("{status:?}").ends_with(", 3)"), "{status:?}");
    assert_eq!(count(&emu, "ModifyCluster"), 0);
    assert!(!emu.enhanced_vpc_routing(CLUSTER).await);
}
