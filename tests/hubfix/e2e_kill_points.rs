//! Nothing lost, nothing doubled: for every change of every control's fix path, the real
//! binary is killed right after the emulator applied that request (its answer held back, so
//! hubfix never learns the outcome), then resumed; the end state must be the one a run that
//! was never killed reaches, and no change that can be read back is sent twice. The same
//! with the answer lost without a kill: the emulator applies the request and drops the
//! connection, the SDK retries, and the run must go on to the same end by itself.

use crate::emulator::{Emulator, Hubfix, seeded};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The AUTH token the ElastiCache.6 scenario sets.
const REDIS_TOKEN: &str = "Tz9-Kq7!xW#m2$Lp^a<b>Vr8-kill";

/// How a scenario runs: its selectors, answers and environment.
struct Setup {
    selectors: Vec<String>,
    answers: String,
    env: Vec<(&'static str, &'static str)>,
}

impl Setup {
    fn args(&self, hubfix: &Hubfix, verb: &str) -> Vec<String> {
        let answers = hubfix.answers(&self.answers);
        let mut args = vec![verb.to_owned()];
        args.extend(self.selectors.iter().cloned());
        args.extend([
            "--answers".into(),
            answers,
            "--approver".into(),
            "Taro".into(),
        ]);
        args
    }
}

/// The changes the catalog can make (finding updates aside), as the emulator names them.
fn change_operations() -> Vec<&'static str> {
    hubfix::actions::ALL
        .iter()
        .filter(|a| a.mutating)
        .map(|a| a.operation_name())
        .collect()
}

/// Changes that are read back before being sent again: each must be sent exactly as often
/// as in a run that was never killed. (ModifyEndpoint is resent: the same request again
/// leaves the same state; TestConnection is a test, run again when none is seen running.)
const SENT_ONCE: &[&str] = &[
    "ImportCertificate",
    "ModifyCluster",
    "StopReplicationTask",
    "DeleteReplicationTask",
    "DeleteReplicationInstance",
    "CreateReplicationInstance",
    "CreateReplicationTask",
    "MoveReplicationTask",
    "StartReplicationTask",
    "ModifyReplicationGroup",
];

fn changes(emu: &Emulator) -> Vec<String> {
    let ops = change_operations();
    emu.actions()
        .into_iter()
        .filter(|a| ops.contains(&a.as_str()))
        .collect()
}

fn counts(changes: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for c in changes {
        *counts.entry(c.clone()).or_default() += 1;
    }
    counts
}

/// What the articles check, for every service at once, by name (ARNs are random): DMS
/// instances with their settings, tags and tasks, endpoints, certificates, Redshift
/// clusters, ElastiCache groups (members' engine versions, in-transit encryption and its
/// mode) and AUTH tokens, and the findings' workflow statuses.
/// Boxed: the SDK futures are large, and a debug build's test thread stack is not.
async fn world(emu: &Emulator) -> Value {
    Box::pin(read_world(emu)).await
}

async fn read_world(emu: &Emulator) -> Value {
    let dms = emu.dms().await;
    let instances = dms
        .describe_replication_instances()
        .send()
        .await
        .map(|o| o.replication_instances().to_vec())
        .unwrap_or_default();
    let names: BTreeMap<String, String> = instances
        .iter()
        .map(|i| {
            (
                i.replication_instance_arn().unwrap_or_default().to_owned(),
                i.replication_instance_identifier()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let endpoints = dms
        .describe_endpoints()
        .send()
        .await
        .map(|o| o.endpoints().to_vec())
        .unwrap_or_default();
    let endpoint_names: BTreeMap<String, String> = endpoints
        .iter()
        .map(|e| {
            (
                e.endpoint_arn().unwrap_or_default().to_owned(),
                e.endpoint_identifier().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let certificates = dms
        .describe_certificates()
        .send()
        .await
        .map(|o| o.certificates().to_vec())
        .unwrap_or_default();
    let certificate_names: BTreeMap<String, String> = certificates
        .iter()
        .map(|c| {
            (
                c.certificate_arn().unwrap_or_default().to_owned(),
                c.certificate_identifier().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut dms_instances = BTreeMap::new();
    for i in &instances {
        let arn = i.replication_instance_arn().unwrap_or_default();
        let mut tags: Vec<(String, String)> = dms
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map(|o| {
                o.tag_list()
                    .iter()
                    .map(|t| {
                        (
                            t.key().unwrap_or_default().to_owned(),
                            t.value().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        // Security group ids are random per seeding: the groups carried, by count.
        let groups = i.vpc_security_groups().len();
        dms_instances.insert(
            i.replication_instance_identifier()
                .unwrap_or_default()
                .to_owned(),
            json!({
                "class": i.replication_instance_class(),
                "public": i.publicly_accessible(),
                "multi_az": i.multi_az(),
                "storage": i.allocated_storage(),
                "subnet_group": i.replication_subnet_group().and_then(|g| g.replication_subnet_group_identifier()),
                "security_groups": groups,
                "tags": tags,
            }),
        );
    }
    let tasks = dms
        .describe_replication_tasks()
        .send()
        .await
        .map(|o| o.replication_tasks().to_vec())
        .unwrap_or_default();
    let name_of = |names: &BTreeMap<String, String>, arn: Option<&str>| {
        arn.and_then(|a| names.get(a)).cloned()
    };
    let dms_tasks: BTreeMap<String, Value> = tasks
        .iter()
        .map(|t| {
            // A task just started reads `starting` or `running` depending on when it is seen.
            let status = match t.status() {
                Some("starting") => Some("running"),
                other => other,
            };
            (
                t.replication_task_identifier().unwrap_or_default().to_owned(),
                json!({
                    "instance": name_of(&names, t.replication_instance_arn()),
                    "source": name_of(&endpoint_names, t.source_endpoint_arn()),
                    "target": name_of(&endpoint_names, t.target_endpoint_arn()),
                    "type": t.migration_type().map(|m| m.as_str()),
                    "mappings": t.table_mappings(),
                    "settings": t.replication_task_settings().and_then(|s| serde_json::from_str::<Value>(s).ok()),
                    "status": status,
                }),
            )
        })
        .collect();
    let dms_endpoints: BTreeMap<String, Value> = endpoints
        .iter()
        .map(|e| {
            (
                e.endpoint_identifier().unwrap_or_default().to_owned(),
                json!({
                    "ssl": e.ssl_mode().map(|m| m.as_str()),
                    "certificate": name_of(&certificate_names, e.certificate_arn()),
                }),
            )
        })
        .collect();
    let redshift = emu.redshift().await;
    let clusters: BTreeMap<String, Value> = redshift
        .describe_clusters()
        .send()
        .await
        .map(|o| o.clusters().to_vec())
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let routing = c.enhanced_vpc_routing().unwrap_or(false)
                || c.pending_modified_values()
                    .and_then(|p| p.enhanced_vpc_routing())
                    .unwrap_or(false);
            (
                c.cluster_identifier().unwrap_or_default().to_owned(),
                json!({ "enhanced_vpc_routing": routing }),
            )
        })
        .collect();
    // The tokens each group accepts: the one hubfix set, or another (seeded at random).
    let ours = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(REDIS_TOKEN.as_bytes()))
    };
    let auth = emu.test_api("GET", "/hubfix-test/elasticache-auth", Value::Null);
    let tokens: BTreeMap<String, Value> = auth
        .as_object()
        .map(|groups| {
            groups
                .iter()
                .map(|(g, report)| {
                    let kinds: Vec<&str> = report["tokens_sha256"]
                        .as_array()
                        .map(|t| {
                            t.iter()
                                .map(|h| {
                                    if h.as_str() == Some(&ours) {
                                        "hubfix's"
                                    } else {
                                        "another"
                                    }
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (g.clone(), json!(kinds))
                })
                .collect()
        })
        .unwrap_or_default();
    let elasticache = emu.elasticache().await;
    let members = elasticache
        .describe_cache_clusters()
        .send()
        .await
        .map(|o| o.cache_clusters().to_vec())
        .unwrap_or_default();
    let groups: BTreeMap<String, Value> = elasticache
        .describe_replication_groups()
        .send()
        .await
        .map(|o| o.replication_groups().to_vec())
        .unwrap_or_default()
        .iter()
        .map(|g| {
            let id = g.replication_group_id().unwrap_or_default();
            let versions: Vec<&str> = members
                .iter()
                .filter(|c| c.replication_group_id() == Some(id))
                .map(|c| c.engine_version().unwrap_or_default())
                .collect();
            (
                id.to_owned(),
                json!({
                    "engine_versions": versions,
                    "tls": g.transit_encryption_enabled(),
                    "tls_mode": g.transit_encryption_mode().map(|m| m.as_str()),
                }),
            )
        })
        .collect();
    let hub = emu.securityhub().await;
    let mut findings: Vec<(String, String)> = hub
        .get_findings()
        .max_results(100)
        .send()
        .await
        .map(|o| o.findings().to_vec())
        .unwrap_or_default()
        .iter()
        .map(|f| {
            (
                f.compliance()
                    .and_then(|c| c.security_control_id())
                    .unwrap_or_default()
                    .to_owned(),
                f.workflow()
                    .and_then(|w| w.status())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    findings.sort();
    json!({
        "dms_instances": dms_instances,
        "dms_tasks": dms_tasks,
        "dms_endpoints": dms_endpoints,
        "dms_certificates": certificate_names.values().collect::<Vec<_>>(),
        "redshift": clusters,
        "elasticache_groups": groups,
        "elasticache_tokens": tokens,
        "findings": findings,
    })
}

/// The scenario's clean run, then one killed run per change it makes, each resumed.
async fn every_kill_point<F>(services: &'static str, setup: F)
where
    F: AsyncFn(&Emulator) -> Setup,
{
    let (emu, hubfix) = seeded(services);
    let s = Box::pin(setup(&emu)).await;
    emu.forget_requests();
    let args = s.args(&hubfix, "run");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let clean = hubfix.run_with(&s.env, &args);
    clean.expect_code(0);
    let end = world(&emu).await;
    let made = changes(&emu);
    let made_counts = counts(&made);
    assert!(!made.is_empty(), "the fix path changes something");
    drop(emu);

    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for change in &made {
        let k = seen.entry(change.as_str()).or_default();
        let skip = *k;
        *k += 1;
        let (emu, hubfix) = seeded(services);
        let s = Box::pin(setup(&emu)).await;
        emu.forget_requests();
        emu.test_api(
            "POST",
            "/hubfix-test/after-apply",
            json!({"action": change, "fault": "hang", "skip": skip, "seconds": 120}),
        );
        let args = s.args(&hubfix, "run");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = hubfix.spawn_quiet(&s.env, &args);
        emu.wait_for_request(change, skip + 1, &mut child);
        child.kill().unwrap();
        child.wait().unwrap();
        let run_id = hubfix.last_run_id();
        let answers = hubfix.answers(&s.answers);
        let resumed = hubfix.run_with(
            &s.env,
            &[
                "resume",
                &run_id,
                "--answers",
                &answers,
                "--approver",
                "Taro",
            ],
        );
        assert_eq!(
            resumed.code(),
            0,
            "killed after {change} #{}, the resume failed:\n{}",
            skip + 1,
            resumed.stderr()
        );
        assert_eq!(
            world(&emu).await,
            end,
            "killed after {change} #{}: the end state differs",
            skip + 1
        );
        let sent = counts(&changes(&emu));
        for op in SENT_ONCE {
            assert_eq!(
                sent.get(*op),
                made_counts.get(*op),
                "killed after {change} #{}: {op} sent {:?} times, a clean run sends it {:?} times",
                skip + 1,
                sent.get(*op),
                made_counts.get(*op)
            );
        }
    }

    // Every change's first answer lost at once: the run settles each and ends the same.
    let (emu, hubfix) = seeded(services);
    let s = Box::pin(setup(&emu)).await;
    emu.forget_requests();
    for change in made_counts.keys() {
        emu.test_api(
            "POST",
            "/hubfix-test/after-apply",
            json!({"action": change, "fault": "drop"}),
        );
    }
    let args = s.args(&hubfix, "run");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = hubfix.run_with(&s.env, &args);
    assert_eq!(
        run.code(),
        0,
        "with every first answer lost the run failed:\n{}",
        run.stderr()
    );
    assert_eq!(world(&emu).await, end, "with every first answer lost");
}

#[tokio::test(flavor = "multi_thread")]
async fn redshift_7_resumes_after_a_kill_at_every_change() {
    Box::pin(every_kill_point("redshift", async |_: &Emulator| Setup {
        selectors: vec!["--control".into(), "Redshift.7".into()],
        answers: "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n".into(),
        env: vec![],
    }))
    .await;
}

const DMS1_RECREATE: &str = "controls:\n  DMS.1: { intended: false, strategy: recreate, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n";
const DMS1_REPLACE: &str = "controls:\n  DMS.1: { intended: false, strategy: replace, new_identifier: demo-private-copy, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n";

#[tokio::test(flavor = "multi_thread")]
async fn dms_1_recreate_resumes_after_a_kill_at_every_change() {
    Box::pin(every_kill_point("dms", async |_: &Emulator| Setup {
        selectors: vec!["--control".into(), "DMS.1".into()],
        answers: DMS1_RECREATE.into(),
        env: vec![],
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dms_1_replace_resumes_after_a_kill_at_every_change() {
    Box::pin(every_kill_point("dms", async |_: &Emulator| Setup {
        selectors: vec!["--control".into(), "DMS.1".into()],
        answers: DMS1_REPLACE.into(),
        env: vec![],
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dms_9_resumes_after_a_kill_at_every_change() {
    Box::pin(every_kill_point("dms", async |emu: &Emulator| {
        let (arn, _, _) = Box::pin(crate::e2e_dms9::endpoint(emu, "demo-source-mysql")).await;
        let instance = Box::pin(crate::e2e_dms9::instance_arn(emu, "demo-private-dms")).await;
        let pem = crate::e2e_dms9::ca_pem();
        let answers = format!(
            "controls:\n  DMS.9: {{ intended: false, ssl_mode: verify-full, ca_certificate: import, ca_pem_file: \"{pem}\", test_instance: \"{instance}\", apply_now: true }}\n"
        );
        Setup {
            selectors: vec!["--control".into(), "DMS.9".into(), "--resource".into(), arn],
            answers,
            env: vec![],
        }
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn elasticache_6_resumes_after_a_kill_at_every_change() {
    Box::pin(every_kill_point("elasticache", async |_: &Emulator| Setup {
        selectors: vec![
            "--control".into(),
            "ElastiCache.6".into(),
            "--resource".into(),
            "arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:demo-redis-tls"
                .into(),
        ],
        answers: "controls:\n  ElastiCache.6: { intended: false, auth_token: { env: REDIS_TOKEN }, apply_now: true, clients_updated: true }\n".into(),
        env: vec![("REDIS_TOKEN", REDIS_TOKEN)],
    }))
    .await;
}

/// The longest path: upgrade, TLS preferred, TLS required, ROTATE, SET, each killed after.
#[tokio::test(flavor = "multi_thread")]
async fn elasticache_6_without_tls_resumes_after_a_kill_at_every_phase() {
    Box::pin(every_kill_point("elasticache", async |_: &Emulator| Setup {
        selectors: vec![
            "--control".into(),
            "ElastiCache.6".into(),
            "--resource".into(),
            "arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:demo-redis-plain"
                .into(),
        ],
        answers: "controls:\n  ElastiCache.6: { intended: false, target_version: \"7.1\", upgrade_now: true, continue_after_upgrade: true, clients_on_tls: true, auth_token: { env: REDIS_TOKEN }, apply_now: true, clients_updated: true }\n".into(),
        env: vec![("REDIS_TOKEN", REDIS_TOKEN)],
    }))
    .await;
}
