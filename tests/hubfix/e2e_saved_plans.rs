//! Saved plans end to end, the real binary against the emulator: `plan --out` changes
//! nothing and writes a plan file; `apply` sends exactly the plan's requests, its finding
//! notes and journal carrying the file's SHA-256; a resource changed between plan and apply
//! (enhanced VPC routing enabled by hand, a DMS instance class changed) is refused with no
//! mutating request; an expired plan is refused; a secret is planned as its reference.

use crate::e2e_plan_is_run::{assert_sent_as_planned, sent};
use crate::emulator::{Emulator, Hubfix, seeded};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

const CLUSTER: &str = "test-redshift-cluster";
const FIX: &str =
    "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n";

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `plan --out` with these answers: the plan file's path, its text parsed, and its SHA-256.
fn save_plan(
    hubfix: &Hubfix,
    env: &[(&str, &str)],
    selectors: &[&str],
    answers: &str,
    extra: &[&str],
) -> (PathBuf, Value, String) {
    let answers = hubfix.answers(answers);
    let path = hubfix.state.path().join("plan.json");
    let file = path.display().to_string();
    let mut args = vec!["plan"];
    args.extend(selectors);
    args.extend(["--answers", &answers, "--out", &file]);
    args.extend(extra);
    let out = hubfix.run_with(env, &args);
    out.expect_code(0);
    let bytes = std::fs::read(&path).expect("a plan file");
    let sha = sha256(&bytes);
    assert!(
        out.stderr().contains(&sha),
        "the plan's SHA-256 is shown: {}",
        out.stderr()
    );
    let plan: Value = serde_json::from_slice(&bytes).expect("the plan is JSON");
    (path, plan, sha)
}

/// Every request that changes something, finding updates (the lock too) included.
fn changes(emu: &Emulator) -> Vec<String> {
    let reads = ["Describe", "List", "Get"];
    emu.actions()
        .into_iter()
        .filter(|a| !reads.iter().any(|r| a.starts_with(r)))
        .collect()
}

/// The BatchUpdateFindings notes the emulator received, in order.
fn notes(emu: &Emulator) -> Vec<String> {
    emu.test_api("GET", "/hubfix-test/requests", Value::Null)
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "BatchUpdateFindings")
        .map(|r| {
            r["params"]["Note"]["Text"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn apply(
    hubfix: &Hubfix,
    env: &[(&str, &str)],
    path: &std::path::Path,
    extra: &[&str],
) -> crate::emulator::Run {
    let file = path.display().to_string();
    let mut args = vec!["apply", file.as_str()];
    args.extend(extra);
    hubfix.run_with(env, &args)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_is_applied_exactly_and_signed_with_its_sha256() {
    let (emu, hubfix) = seeded("redshift");
    let (finding, ..) = emu.finding_of(CLUSTER).await;
    emu.forget_requests();
    let (path, plan, sha) = save_plan(&hubfix, &[], &["--control", "Redshift.7"], FIX, &[]);
    assert!(
        changes(&emu).is_empty(),
        "planning changes nothing: {:?}",
        emu.actions()
    );
    assert!(!emu.enhanced_vpc_routing(CLUSTER).await);

    // A plain, stable document people can read and diff.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("{\n  \"version\": 1,\n  \"prepared_by\": "),
        "{text}"
    );
    assert_eq!(plan["prepared_by"], "arn:aws:sts::123456789012:user/moto");
    let at = |k: &str| chrono::DateTime::parse_from_rfc3339(plan[k].as_str().unwrap()).unwrap();
    assert_eq!(
        at("expires_at") - at("prepared_at"),
        chrono::TimeDelta::days(7)
    );
    let target = &plan["targets"][0];
    assert_eq!(target["control"], "Redshift.7");
    assert_eq!(target["finding"], finding.as_str());
    assert_eq!(target["account"], "123456789012");
    assert_eq!(target["region"], "ap-northeast-1");
    // The prerequisites were read and met: their question was not asked.
    assert_eq!(
        target["answers"],
        json!({"intended": false, "apply_now": true})
    );
    // What the conditions and calls read: the setting, and the prerequisites read by EC2.
    let fingerprint = &target["fingerprint"];
    assert_eq!(fingerprint["steps.cluster.EnhancedVpcRouting"], false);
    assert_eq!(fingerprint["steps.vpc_dns.EnableDnsHostnames"], true);
    assert_eq!(fingerprint["steps.routes.AllRouted"], true);
    assert_eq!(target["outcome"], "fixed");

    emu.forget_requests();
    let out = apply(&hubfix, &[], &path, &["--approver", "Hanako Sato"]);
    out.expect_code(0);
    assert!(
        out.stderr().contains(&format!("sha256 {sha}")),
        "{}",
        out.stderr()
    );
    // The requests equal the plan's calls, in order.
    let calls = assert_sent_as_planned(&emu, &plan);
    let ops: Vec<&str> = calls.iter().map(|(o, _)| o.as_str()).collect();
    assert_eq!(ops, ["ModifyCluster", "BatchUpdateFindings"]);
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
    // Every note (lock, resolution) carries the plan's SHA-256 and the approver.
    let sent_notes = notes(&emu);
    assert_eq!(sent_notes.len(), 2, "{sent_notes:?}");
    for note in &sent_notes {
        assert!(
            note.ends_with(&format!(
                "[hubfix; plan sha256:{sha}; approved by Hanako Sato on {}]",
                chrono::Utc::now().format("%Y-%m-%d")
            )),
            "{note}"
        );
    }
    let (_, status, note, by) = emu.finding_of(CLUSTER).await;
    assert_eq!((status.as_str(), by.as_str()), ("RESOLVED", "Hanako Sato"));
    assert!(note.contains(&sha), "{note}");
    // The journal names the plan.
    let run_id = hubfix.last_run_id();
    let journal =
        std::fs::read_to_string(hubfix.state_dir().join(format!("runs/{run_id}.jsonl"))).unwrap();
    let start: Value = serde_json::from_str(journal.lines().next().unwrap()).unwrap();
    assert_eq!(start["plan"]["sha256"], sha.as_str());
    assert_eq!(start["plan"]["path"], path.display().to_string());
    assert_eq!(
        start["answers_from"],
        format!("saved plan {}", path.display())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn enhanced_vpc_routing_enabled_by_hand_after_the_plan_is_refused() {
    let (emu, hubfix) = seeded("redshift");
    let (path, _, _) = save_plan(&hubfix, &[], &["--control", "Redshift.7"], FIX, &[]);
    // Someone enables it by hand meanwhile (applied at once).
    emu.test_api(
        "POST",
        "/hubfix-test/config",
        json!({"redshift_modify_polls": 0}),
    );
    emu.redshift()
        .await
        .modify_cluster()
        .cluster_identifier(CLUSTER)
        .enhanced_vpc_routing(true)
        .send()
        .await
        .unwrap();
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
    emu.forget_requests();
    let out = apply(&hubfix, &[], &path, &[]);
    out.expect_code(2);
    assert!(
        out.stderr()
            .contains("refused: the resource changed since the plan was made (steps.cluster.EnhancedVpcRouting: false → true); nothing was changed"),
        "{}",
        out.stderr()
    );
    assert!(
        changes(&emu).is_empty(),
        "no mutating request: {:?}",
        emu.actions()
    );
    let (_, status, ..) = emu.finding_of(CLUSTER).await;
    assert_eq!(status, "NEW");
    // Nothing to resume: a refused plan is planned again.
    let runs = hubfix.run(&["runs"]);
    assert!(runs.stdout().contains("refused"), "{}", runs.stdout());
}

const DMS1_RECREATE: &str = "controls:\n  DMS.1: { intended: false, strategy: recreate, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n";

/// The longest path: tasks stopped, deleted, the instance recreated, tasks recreated and
/// started (a list the plan could only know as `<from recreate_tasks>`), the finding resolved.
#[test]
fn a_dms_1_recreate_plan_is_applied_as_planned() {
    let (emu, hubfix) = seeded("dms");
    let (path, plan, sha) = save_plan(&hubfix, &[], &["--control", "DMS.1"], DMS1_RECREATE, &[]);
    emu.forget_requests();
    apply(&hubfix, &[], &path, &["--approver", "Hanako Sato"]).expect_code(0);
    let calls = assert_sent_as_planned(&emu, &plan);
    let ops: Vec<&str> = calls.iter().map(|(o, _)| o.as_str()).collect();
    assert!(
        ops.contains(&"CreateReplicationInstance") && ops.contains(&"StartReplicationTask"),
        "{ops:?}"
    );
    let resolved = notes(&emu).pop().unwrap_or_default();
    assert!(
        resolved.contains("replaced by the private instance arn:aws:dms:"),
        "{resolved}"
    );
    assert!(
        resolved.contains(&format!("plan sha256:{sha}; approved by Hanako Sato")),
        "{resolved}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dms_instance_class_changed_after_the_plan_is_refused() {
    let (emu, hubfix) = seeded("dms");
    let (path, plan, _) = save_plan(&hubfix, &[], &["--control", "DMS.1"], DMS1_RECREATE, &[]);
    let fingerprint = plan["targets"][0]["fingerprint"].as_object().unwrap();
    let class = fingerprint
        .iter()
        .find(|(k, _)| k.ends_with(".ReplicationInstanceClass"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("the class is a field the runbook's calls use");
    assert_eq!(class.1, "dms.t3.medium");
    let arn = crate::e2e_dms9::instance_arn(&emu, "demo-public-dms").await;
    emu.test_api(
        "POST",
        "/hubfix-test/config",
        json!({"dms_create_polls": 0}),
    );
    emu.dms()
        .await
        .modify_replication_instance()
        .replication_instance_arn(&arn)
        .replication_instance_class("dms.c5.large")
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    emu.forget_requests();
    let out = apply(&hubfix, &[], &path, &[]);
    out.expect_code(2);
    assert!(
        out.stderr().contains(&format!(
            "{}: \"dms.t3.medium\" → \"dms.c5.large\"",
            class.0
        )),
        "{}",
        out.stderr()
    );
    assert!(
        changes(&emu).is_empty(),
        "no mutating request: {:?}",
        emu.actions()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_plan_and_bad_plan_options_are_refused() {
    let (emu, hubfix) = seeded("redshift");
    let (path, mut plan, _) = save_plan(
        &hubfix,
        &[],
        &["--control", "Redshift.7"],
        FIX,
        &["--expires-in", "48h"],
    );
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(
        at(&plan["expires_at"]) - at(&plan["prepared_at"]),
        chrono::TimeDelta::hours(48)
    );
    // Approved two days ago for one hour.
    let now = chrono::Utc::now();
    let stamp =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    plan["prepared_at"] = stamp(now - chrono::TimeDelta::days(2)).into();
    plan["expires_at"] =
        stamp(now - chrono::TimeDelta::days(2) + chrono::TimeDelta::hours(1)).into();
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    emu.forget_requests();
    let out = apply(&hubfix, &[], &path, &[]);
    out.expect_code(2);
    assert!(out.stderr().contains("expired at"), "{}", out.stderr());
    assert!(
        emu.actions().is_empty(),
        "refused before any request: {:?}",
        emu.actions()
    );
    assert!(!emu.enhanced_vpc_routing(CLUSTER).await);

    // A plan signed off by one approver is not applied in another's name.
    let (path, ..) = save_plan(
        &hubfix,
        &[],
        &["--control", "Redshift.7"],
        FIX,
        &["--approver", "Taro Yamada"],
    );
    let out = apply(&hubfix, &[], &path, &["--approver", "Someone Else"]);
    out.expect_code(2);
    assert!(
        out.stderr().contains("signed off by Taro Yamada"),
        "{}",
        out.stderr()
    );
    // Validity out of bounds; no terminal and no answers to plan with; not a plan.
    let file = path.display().to_string();
    let out = hubfix.run(&["plan", "--out", &file, "--expires-in", "31d"]);
    out.expect_code(2);
    assert!(
        out.stderr().contains("from 1 minute to 30 days"),
        "{}",
        out.stderr()
    );
    let out = hubfix.run(&["plan", "--control", "Redshift.7", "--out", &file]);
    out.expect_code(2);
    assert!(
        out.stderr().contains("pass --answers FILE"),
        "{}",
        out.stderr()
    );
    let answers = hubfix.answers(FIX);
    let out = apply(&hubfix, &[], std::path::Path::new(&answers), &[]);
    out.expect_code(2);
    assert!(
        out.stderr().contains("not a hubfix plan"),
        "{}",
        out.stderr()
    );
    assert!(!emu.enhanced_vpc_routing(CLUSTER).await);

    // A run that would send another request than the plan lists (here a plan edited by
    // hand; as well a runbook changed since) is refused before the change and the lock.
    let (path, mut plan, _) = save_plan(&hubfix, &[], &["--control", "Redshift.7"], FIX, &[]);
    let calls = plan["targets"][0]["calls"].as_array_mut().unwrap();
    let modify = calls
        .iter_mut()
        .find(|c| c["operation"] == "ModifyCluster")
        .unwrap();
    modify["params"]["ClusterIdentifier"] = "another-cluster".into();
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    emu.forget_requests();
    let out = apply(&hubfix, &[], &path, &[]);
    out.expect_code(2);
    assert!(
        out.stderr().contains(
            "refused: `enable` would send redshift:ModifyCluster {\"ClusterIdentifier\":\"test-redshift-cluster\",\"EnhancedVpcRouting\":true}, where the plan has redshift:ModifyCluster {\"ClusterIdentifier\":\"another-cluster\",\"EnhancedVpcRouting\":true}"
        ),
        "{}",
        out.stderr()
    );
    assert!(changes(&emu).is_empty(), "{:?}", emu.actions());
    assert!(!emu.enhanced_vpc_routing(CLUSTER).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_is_planned_as_its_reference_and_applied_from_it() {
    const TOKEN: &str = "Tz9-Kq7!xW#m2$Lp^a<b>Vr8-saved";
    let (emu, hubfix) = seeded("elasticache");
    let group = "demo-redis-tls";
    let answers = format!(
        "resources:\n  {group}: {{ intended: false, auth_token: {{ env: REDIS_TOKEN }}, apply_now: true, clients_updated: true }}\n"
    );
    let env = [("REDIS_TOKEN", TOKEN)];
    let selectors = [
        "--control",
        "ElastiCache.6",
        "--resource",
        "arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:demo-redis-tls",
    ];
    let (path, plan, _) = save_plan(&hubfix, &env, &selectors, &answers, &[]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(TOKEN) && !text.contains("Tz9-Kq7"), "{text}");
    assert_eq!(
        plan["targets"][0]["answers"]["auth_token"],
        json!({"env": "REDIS_TOKEN"})
    );
    // Without the variable, apply stops before any change, naming it.
    emu.forget_requests();
    let out = apply(&hubfix, &[], &path, &[]);
    out.expect_code(2);
    assert!(out.stderr().contains("REDIS_TOKEN"), "{}", out.stderr());
    assert!(changes(&emu).is_empty(), "{:?}", emu.actions());
    // With it, ROTATE then SET with the very token.
    emu.forget_requests();
    apply(&hubfix, &env, &path, &[]).expect_code(0);
    assert_sent_as_planned(&emu, &plan);
    let auth = emu.test_api("GET", "/hubfix-test/elasticache-auth", Value::Null);
    let history: Vec<(String, String)> = auth[group]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["strategy"].as_str().unwrap().to_owned(),
                h["token_sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let token = sha256(TOKEN.as_bytes());
    assert_eq!(
        history,
        [("ROTATE".into(), token.clone()), ("SET".into(), token)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finding_resolved_since_the_plan_is_skipped() {
    let (emu, hubfix) = seeded("redshift");
    let (path, ..) = save_plan(&hubfix, &[], &["--control", "Redshift.7"], FIX, &[]);
    let (finding, ..) = emu.finding_of(CLUSTER).await;
    emu.securityhub()
        .await
        .batch_update_findings()
        .finding_identifiers(
            aws_sdk_securityhub::types::AwsSecurityFindingIdentifier::builder()
                .id(&finding)
                .product_arn("arn:aws:securityhub:ap-northeast-1::product/aws/securityhub")
                .build(),
        )
        .workflow(
            aws_sdk_securityhub::types::WorkflowUpdate::builder()
                .status(aws_sdk_securityhub::types::WorkflowStatus::Resolved)
                .build(),
        )
        .send()
        .await
        .unwrap();
    emu.forget_requests();
    let out = apply(&hubfix, &[], &path, &[]);
    out.expect_code(0);
    assert!(
        out.stderr()
            .contains("skipped Redshift.7 on arn:aws:redshift:ap-northeast-1:123456789012:cluster:test-redshift-cluster: its workflow status is RESOLVED now"),
        "{}",
        out.stderr()
    );
    assert!(changes(&emu).is_empty(), "{:?}", emu.actions());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_killed_mid_change_is_resumed_with_the_plans_answers() {
    let (emu, hubfix) = seeded("redshift");
    let (path, _, sha) = save_plan(&hubfix, &[], &["--control", "Redshift.7"], FIX, &[]);
    emu.forget_requests();
    emu.test_api(
        "POST",
        "/hubfix-test/after-apply",
        json!({"action": "ModifyCluster", "fault": "hang", "seconds": 30}),
    );
    let file = path.display().to_string();
    let mut child = hubfix.spawn_quiet(&[], &["apply", &file]);
    emu.wait_for_request("ModifyCluster", 1, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    // No terminal, no answers file: the journal names the plan, whose answers go on.
    let out = hubfix.run(&["resume"]);
    out.expect_code(0);
    assert!(out.stderr().contains(&sha), "{}", out.stderr());
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
    let (_, status, note, _) = emu.finding_of(CLUSTER).await;
    assert_eq!(status, "RESOLVED");
    assert!(note.contains(&format!("plan sha256:{sha}")), "{note}");
    let modifies = sent(&emu)
        .iter()
        .filter(|(_, a, _)| a == "ModifyCluster")
        .count();
    assert_eq!(
        modifies, 1,
        "the change that went through is not sent again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_of_several_clusters_is_applied_in_parallel_and_a_changed_one_alone_is_refused() {
    // On the heap: the test's future is too large for a test thread's stack in debug builds.
    Box::pin(async {
        let emu = Emulator::start();
        emu.seed_demo();
        let extra = ["fleet-01".to_owned(), "fleet-02".to_owned()];
        emu.add_failing_clusters(&extra).await;
        let hubfix = Hubfix::new(&emu);
        let (path, plan, sha) = save_plan(&hubfix, &[], &["--control", "Redshift.7"], FIX, &[]);
        assert_eq!(plan["targets"].as_array().unwrap().len(), 3, "{plan:#}");
        emu.test_api(
            "POST",
            "/hubfix-test/config",
            json!({"redshift_modify_polls": 0}),
        );
        emu.redshift()
            .await
            .modify_cluster()
            .cluster_identifier("fleet-02")
            .enhanced_vpc_routing(true)
            .send()
            .await
            .unwrap();
        assert!(emu.enhanced_vpc_routing("fleet-02").await);
        emu.forget_requests();
        let out = apply(&hubfix, &[], &path, &["--parallel", "3"]);
        // One refused, the others applied: the worst of the runs, not "nothing applied".
        out.expect_code(1);
        let err = out.stderr();
        assert!(
            err.contains("Every answer comes from the saved plan"),
            "{err}"
        );
        assert!(err.contains("EnhancedVpcRouting: false → true"), "{err}");
        for cluster in [CLUSTER, "fleet-01"] {
            let (_, status, note, _) = emu.finding_of(cluster).await;
            assert_eq!(status, "RESOLVED", "{cluster}");
            assert!(note.contains(&format!("plan sha256:{sha}")), "{note}");
        }
        assert_eq!(emu.finding_of("fleet-02").await.1, "NEW");
        let modified: Vec<String> = sent(&emu)
            .iter()
            .filter(|(_, a, _)| a == "ModifyCluster")
            .map(|(_, _, p)| {
                p["ClusterIdentifier"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert_eq!(modified.len(), 2, "{modified:?}");
        assert!(!modified.contains(&"fleet-02".to_owned()), "{modified:?}");
    })
    .await;
}

/// A suppression is planned with its review date (the runbook's default, kept as the date):
/// applied later, the note, the review date and the run in the finding's fields are the
/// planned ones, signed by the plan's approver.
#[test]
fn a_suppression_is_applied_with_the_planned_review_date() {
    let (emu, hubfix) = seeded("redshift");
    let suppress =
        "controls:\n  Redshift.7: { intended: true, reason: \"Legacy ETL until 2027-03\" }\n";
    let (path, plan, sha) = save_plan(
        &hubfix,
        &[],
        &["--control", "Redshift.7"],
        suppress,
        &["--approver", "Taro Yamada"],
    );
    assert_eq!(plan["approver"], "Taro Yamada");
    let review_by = plan["targets"][0]["answers"]["review_by"]
        .as_str()
        .expect("the review date is planned")
        .to_owned();
    emu.forget_requests();
    apply(&hubfix, &[], &path, &[]).expect_code(0);
    let calls = assert_sent_as_planned(&emu, &plan);
    assert_eq!(calls.len(), 1);
    let note = notes(&emu).pop().unwrap_or_default();
    assert!(
        note.ends_with(&format!(
            "[hubfix; plan sha256:{sha}; approved by Taro Yamada on {}; review by {review_by}]",
            chrono::Utc::now().format("%Y-%m-%d")
        )),
        "{note}"
    );
    let run_id = hubfix.last_run_id();
    assert_eq!(
        calls[0].1["UserDefinedFields"]["hubfix:run"],
        json!({"from": "run.id"})
    );
    let sent = emu.test_api("GET", "/hubfix-test/requests", Value::Null);
    let update = sent
        .as_array()
        .unwrap()
        .iter()
        .rfind(|r| r["action"] == "BatchUpdateFindings")
        .unwrap();
    assert_eq!(
        update["params"]["UserDefinedFields"]["hubfix:run"],
        run_id.as_str()
    );
    assert_eq!(
        update["params"]["UserDefinedFields"]["hubfix:review_by"],
        review_by.as_str()
    );
}
