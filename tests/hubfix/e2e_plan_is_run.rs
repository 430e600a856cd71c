//! The preview is the run: for every control's fix and suppress paths, the mutating requests
//! `hubfix plan --answers A --output json` lists are, in order and with equal parameters, the
//! mutating requests `hubfix run --answers A` then sends — as the emulator received them.
//! A value the plan can only know from an earlier call (`{"from": "create.…"}`) matches any
//! value; a secret (`<redacted>`) matches any value the emulator saw, which it keeps hashed.

use crate::emulator::{Emulator, Hubfix, seeded};
use serde_json::{Map, Value};

/// Operations that change something: every mutating call of the catalog, plus finding updates.
fn mutating_operations() -> Vec<&'static str> {
    let mut ops: Vec<&'static str> = hubfix::actions::ALL
        .iter()
        .filter(|a| a.mutating)
        .map(|a| a.operation_name())
        .collect();
    ops.push("BatchUpdateFindings");
    ops
}

/// The NOTIFIED lock and its release: listed by the plan or not, as the issue allows.
fn is_lock(action: &str, params: &Value) -> bool {
    action == "BatchUpdateFindings"
        && matches!(
            params["Workflow"]["Status"].as_str(),
            Some("NOTIFIED" | "NEW")
        )
}

fn planned(plan: &Value) -> Vec<(String, Value)> {
    let targets = plan["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 1, "one target: {plan:#}");
    targets[0]["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter(|c| c["mutating"] == Value::Bool(true))
        .map(|c| {
            (
                c["operation"].as_str().unwrap().to_owned(),
                c["params"].clone(),
            )
        })
        .filter(|(op, params)| !is_lock(op, params))
        .collect()
}

pub fn sent(emu: &Emulator) -> Vec<(String, String, Value)> {
    let ops = mutating_operations();
    emu.test_api("GET", "/hubfix-test/requests", Value::Null)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["service"].as_str().unwrap_or_default().to_owned(),
                r["action"].as_str().unwrap_or_default().to_owned(),
                r["params"].clone(),
            )
        })
        .filter(|(_, action, params)| ops.contains(&action.as_str()) && !is_lock(action, params))
        .collect()
}

/// A scalar as the query protocol sends it.
fn query_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether a planned value is what was sent: a deferred value or a secret matches any value.
fn same(plan: &Value, sent: &Value) -> bool {
    if plan.get("from").is_some_and(Value::is_string)
        && plan.as_object().is_some_and(|o| o.len() == 1)
    {
        return !sent.is_null();
    }
    if plan.as_str() == Some("<redacted>") {
        return sent.as_str().is_some_and(|s| s.starts_with("sha256:"));
    }
    match (plan, sent) {
        // A text with a value only the run knows (`<from create.Arn>`, the run id) in it.
        (Value::String(p), Value::String(s)) if p.contains("<from ") => text_matches(p, s),
        (Value::Object(p), Value::Object(s)) => {
            p.len() == s.len()
                && p.iter()
                    .all(|(k, v)| s.get(k).is_some_and(|sv| same(v, sv)))
        }
        (Value::Array(p), Value::Array(s)) => {
            p.len() == s.len() && p.iter().zip(s).all(|(a, b)| same(a, b))
        }
        _ => plan == sent,
    }
}

/// Whether a text with `<from …>` holes is the sent text, each hole standing for a non-empty part.
fn text_matches(plan: &str, sent: &str) -> bool {
    let mut parts = Vec::new();
    let mut rest = plan;
    while let Some(start) = rest.find("<from ") {
        parts.push(&rest[..start]);
        rest = rest[start..].split_once('>').map_or("", |(_, after)| after);
    }
    parts.push(rest);
    let Some(mut left) = sent.strip_prefix(parts[0]) else {
        return false;
    };
    for part in &parts[1..] {
        // The hole takes at least one character, then the next literal part follows.
        let found = if part.is_empty() && std::ptr::eq(*part, *parts.last().unwrap()) {
            Some(left.len())
        } else {
            left.get(1..).and_then(|l| l.find(part)).map(|i| i + 1)
        };
        let Some(at) = found else {
            return false;
        };
        if at == 0 {
            return false;
        }
        left = &left[at + part.len()..];
    }
    left.is_empty()
}

/// The query protocol's form fields against planned scalar parameters.
fn same_query(plan: &Value, sent: &Value) -> bool {
    let (Some(p), Some(s)) = (plan.as_object(), sent.as_object()) else {
        return false;
    };
    let flat: Map<String, Value> = p
        .iter()
        .map(|(k, v)| {
            let text = if v.as_str() == Some("<redacted>") || v.get("from").is_some() {
                v.clone()
            } else {
                Value::String(query_text(v).expect("scalar query parameters"))
            };
            (k.clone(), text)
        })
        .collect();
    same(&Value::Object(flat), &Value::Object(s.clone()))
}

/// Plans with the answers, runs with them, and checks the run sent exactly the plan.
fn plan_then_run(
    emu: &Emulator,
    hubfix: &Hubfix,
    env: &[(&str, &str)],
    selectors: &[&str],
    answers: &str,
) -> Vec<(String, Value)> {
    let answers = hubfix.answers(answers);
    // The same selectors, answers and approver for both.
    let args = |verb: &[&'static str]| -> Vec<String> {
        let mut args: Vec<String> = verb.iter().map(|a| a.to_string()).collect();
        args.extend(selectors.iter().map(|a| a.to_string()));
        args.extend(["--answers", &answers, "--approver", "Taro Yamada"].map(String::from));
        args
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        hubfix.run_with(env, &args)
    };
    let plan = run(args(&["--output", "json", "plan"]));
    plan.expect_code(0);
    let plan: Value = serde_json::from_str(&plan.stdout()).expect("plan --output json");
    emu.forget_requests();
    run(args(&["run"])).expect_code(0);
    assert_sent_as_planned(emu, &plan)
}

/// The mutating requests the emulator received since it last forgot them are, in order and
/// with equal parameters, the planned ones of the plan's one target (`plan --output json`,
/// or a saved plan file); gives them.
pub fn assert_sent_as_planned(emu: &Emulator, plan: &Value) -> Vec<(String, Value)> {
    let planned = planned(plan);
    assert!(!planned.is_empty(), "the plan changes something: {plan:#}");
    let sent = sent(emu);
    let shown = |l: &[(String, Value)]| {
        l.iter()
            .map(|(op, p)| format!("{op} {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let sent_pairs: Vec<(String, Value)> = sent
        .iter()
        .map(|(_, a, p)| (a.clone(), p.clone()))
        .collect();
    assert_eq!(
        planned.len(),
        sent.len(),
        "planned:\n{}\nsent:\n{}",
        shown(&planned),
        shown(&sent_pairs)
    );
    for ((op, params), (service, action, got)) in planned.iter().zip(&sent) {
        assert_eq!(
            op,
            action,
            "planned:\n{}\nsent:\n{}",
            shown(&planned),
            shown(&sent_pairs)
        );
        let query = matches!(service.as_str(), "redshift" | "elasticache");
        let equal = if query {
            same_query(params, got)
        } else {
            same(params, got)
        };
        assert!(equal, "{op}: planned {params}\nsent {got}");
    }
    planned
}

fn operations(calls: &[(String, Value)]) -> Vec<&str> {
    calls.iter().map(|(o, _)| o.as_str()).collect()
}

const REDSHIFT: &[&str] = &["--control", "Redshift.7"];

#[test]
fn redshift_7_fix_and_suppress() {
    let (emu, hubfix) = seeded("redshift");
    let calls = plan_then_run(
        &emu,
        &hubfix,
        &[],
        REDSHIFT,
        "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n",
    );
    let ops = operations(&calls);
    assert_eq!(ops, ["ModifyCluster", "BatchUpdateFindings"]);
    let (emu, hubfix) = seeded("redshift");
    let calls = plan_then_run(
        &emu,
        &hubfix,
        &[],
        REDSHIFT,
        "controls:\n  Redshift.7: { intended: true, reason: \"Legacy ETL until 2027-03\" }\n",
    );
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].1["Workflow"]["Status"], "SUPPRESSED");
}

const DMS1: &[&str] = &["--control", "DMS.1"];

#[test]
fn dms_1_recreate_replace_and_suppress() {
    let (emu, hubfix) = seeded("dms");
    let calls = plan_then_run(
        &emu,
        &hubfix,
        &[],
        DMS1,
        "controls:\n  DMS.1: { intended: false, strategy: recreate, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n",
    );
    let ops = operations(&calls);
    assert!(
        ops.contains(&"CreateReplicationTask") && ops.contains(&"StartReplicationTask"),
        "{ops:?}"
    );
    assert!(
        calls.iter().all(|(_, p)| !p.to_string().contains("null")),
        "no nulls: {calls:?}"
    );
    let (emu, hubfix) = seeded("dms");
    let calls = plan_then_run(
        &emu,
        &hubfix,
        &[],
        DMS1,
        "controls:\n  DMS.1: { intended: false, strategy: replace, new_identifier: demo-private-copy, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n",
    );
    let ops = operations(&calls);
    assert!(ops.contains(&"MoveReplicationTask"), "{ops:?}");
    let (emu, hubfix) = seeded("dms");
    plan_then_run(
        &emu,
        &hubfix,
        &[],
        DMS1,
        "controls:\n  DMS.1: { intended: true, reason: \"Vendor VPN not ready\" }\n",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dms_9_import_test_and_suppress() {
    let (emu, hubfix) = seeded("dms");
    let (arn, _, _) = crate::e2e_dms9::endpoint(&emu, "demo-source-mysql").await;
    let instance = crate::e2e_dms9::instance_arn(&emu, "demo-private-dms").await;
    let pem = crate::e2e_dms9::ca_pem();
    let selectors = ["--control", "DMS.9", "--resource", arn.as_str()];
    let calls = plan_then_run(
        &emu,
        &hubfix,
        &[],
        &selectors,
        &format!(
            "controls:\n  DMS.9: {{ intended: false, ssl_mode: verify-full, ca_certificate: import, ca_pem_file: \"{pem}\", test_instance: \"{instance}\", apply_now: true }}\n"
        ),
    );
    let ops = operations(&calls);
    assert_eq!(
        ops,
        [
            "ImportCertificate",
            "ModifyEndpoint",
            "TestConnection",
            "BatchUpdateFindings"
        ]
    );
    assert_eq!(
        calls[1].1["CertificateArn"],
        serde_json::json!({"from": "import_ca.CertificateArn"}),
        "the imported certificate's ARN, shown as what it is"
    );
    let (emu, hubfix) = seeded("dms");
    let (arn, _, _) = crate::e2e_dms9::endpoint(&emu, "demo-source-mysql").await;
    let selectors = ["--control", "DMS.9", "--resource", arn.as_str()];
    plan_then_run(
        &emu,
        &hubfix,
        &[],
        &selectors,
        "controls:\n  DMS.9: { intended: true, reason: \"Internal network only\" }\n",
    );
}

#[test]
fn elasticache_6_rotate_set_and_suppress() {
    let (emu, hubfix) = seeded("elasticache");
    let selectors = [
        "--control",
        "ElastiCache.6",
        "--resource",
        "arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:demo-redis-tls",
    ];
    let calls = plan_then_run(
        &emu,
        &hubfix,
        &[("REDIS_TOKEN", "Tz9-Kq7!xW#m2$Lp^a<b>Vr8-plan")],
        &selectors,
        "controls:\n  ElastiCache.6: { intended: false, auth_token: { env: REDIS_TOKEN }, apply_now: true, clients_updated: true }\n",
    );
    let ops = operations(&calls);
    assert_eq!(
        ops,
        [
            "ModifyReplicationGroup",
            "ModifyReplicationGroup",
            "BatchUpdateFindings"
        ]
    );
    assert!(!calls.iter().any(|(_, p)| p.to_string().contains("Tz9-Kq7")));
    let (emu, hubfix) = seeded("elasticache");
    plan_then_run(
        &emu,
        &hubfix,
        &[],
        &selectors,
        "controls:\n  ElastiCache.6: { intended: true, reason: \"Clients cannot send AUTH yet\" }\n",
    );
}

/// The longest path: with every answer given, the plan names the version and each phase's
/// request, and the run sends exactly those (the plan's reads are of the group as it was).
#[test]
fn elasticache_6_upgrade_tls_and_auth() {
    let (emu, hubfix) = seeded("elasticache");
    let selectors = [
        "--control",
        "ElastiCache.6",
        "--resource",
        "arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:demo-redis-plain",
    ];
    let calls = plan_then_run(
        &emu,
        &hubfix,
        &[("REDIS_TOKEN", "Tz9-Kq7!xW#m2$Lp^a<b>Vr8-plan")],
        &selectors,
        "controls:\n  ElastiCache.6: { intended: false, target_version: \"7.1\", upgrade_now: true, continue_after_upgrade: true, clients_on_tls: true, auth_token: { env: REDIS_TOKEN }, apply_now: true, clients_updated: true }\n",
    );
    assert_eq!(
        operations(&calls),
        [
            "ModifyReplicationGroup",
            "ModifyReplicationGroup",
            "ModifyReplicationGroup",
            "ModifyReplicationGroup",
            "ModifyReplicationGroup",
            "BatchUpdateFindings"
        ]
    );
    assert_eq!(calls[0].1["EngineVersion"], "7.1");
    assert_eq!(calls[1].1["TransitEncryptionMode"], "preferred");
    assert_eq!(calls[2].1["TransitEncryptionMode"], "required");
    assert!(!calls.iter().any(|(_, p)| p.to_string().contains("Tz9-Kq7")));
}
