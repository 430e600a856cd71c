//! DMS.9 end to end: the real binary against the emulator, checked as the article checks
//! (the endpoint's SslMode, the imported certificate, a successful connection test).

use crate::emulator::{Emulator, Hubfix, dms_filter, seeded};
use serde_json::json;

const MYSQL: &str = "demo-source-mysql";

/// (endpoint ARN, SslMode, CertificateArn).
pub async fn endpoint(emu: &Emulator, id: &str) -> (String, String, Option<String>) {
    let out = emu
        .dms()
        .await
        .describe_endpoints()
        .filters(dms_filter("endpoint-id", id))
        .send()
        .await
        .unwrap();
    let e = &out.endpoints()[0];
    (
        e.endpoint_arn().unwrap().to_owned(),
        e.ssl_mode()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        e.certificate_arn().map(str::to_owned),
    )
}

pub async fn instance_arn(emu: &Emulator, id: &str) -> String {
    let out = emu
        .dms()
        .await
        .describe_replication_instances()
        .filters(dms_filter("replication-instance-id", id))
        .send()
        .await
        .unwrap();
    out.replication_instances()[0]
        .replication_instance_arn()
        .unwrap()
        .to_owned()
}

pub fn ca_pem() -> String {
    format!("{}/tests/fixtures/ca-chain.pem", env!("CARGO_MANIFEST_DIR"))
}

/// DMS.1 under `controls:` of an answers file: recreate the public instance as private.
const DMS1_RECREATE: &str = "controls:\n  DMS.1: { intended: false, strategy: recreate, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n";

/// DMS.9's line under `controls:` of an answers file: verify-full with the test CA imported,
/// tested from `test_instance`, rolled back if the test fails.
fn dms9_fix(test_instance: &str) -> String {
    format!(
        "  DMS.9: {{ intended: false, ssl_mode: verify-full, ca_certificate: import, ca_pem_file: \"{}\", test_instance: \"{test_instance}\", apply_now: true, rollback: true }}\n",
        ca_pem()
    )
}

async fn answers(emu: &Emulator, hubfix: &Hubfix, pem: &str, rollback: bool) -> String {
    let instance = instance_arn(emu, "demo-private-dms").await;
    hubfix.answers(&format!(
        "resources:\n  {MYSQL}: {{ intended: false, ssl_mode: verify-full, ca_certificate: import, ca_pem_file: \"{pem}\", test_instance: \"{instance}\", apply_now: true, rollback: {rollback} }}\n"
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_with_an_imported_ca_chain_tests_the_connection_and_resolves() {
    let (emu, hubfix) = seeded("dms");
    let answers = answers(&emu, &hubfix, &ca_pem(), true).await;
    // By ARN: a DMS ARN does not contain the endpoint's identifier, and the finding names the ARN.
    let (arn, _, _) = endpoint(&emu, MYSQL).await;
    let run = hubfix.run(&[
        "run",
        "--resource",
        &arn,
        "--control",
        "DMS.9",
        "--answers",
        &answers,
        "--approver",
        "Taro Yamada",
    ]);
    run.expect_code(0);
    assert!(
        run.stderr().contains("testing"),
        "live status:\n{}",
        run.stderr()
    );
    let (_, mode, cert) = endpoint(&emu, MYSQL).await;
    assert_eq!(mode, "verify-full");
    let cert = cert.expect("a certificate on the endpoint");
    let certs = emu
        .dms()
        .await
        .describe_certificates()
        .send()
        .await
        .unwrap();
    let imported = &certs.certificates()[0];
    assert_eq!(imported.certificate_arn(), Some(cert.as_str()));
    assert_eq!(
        imported.certificate_pem().map(str::trim),
        Some(std::fs::read_to_string(ca_pem()).unwrap().trim())
    );
    let (_, status, note, _) = emu.finding_on(&arn).await;
    assert_eq!(status, "RESOLVED");
    assert!(
        note.contains("verify-full") && note.contains(&cert),
        "{note}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_connection_test_rolls_back_and_a_second_run_succeeds() {
    let (emu, hubfix) = seeded("dms");
    let (arn, _, _) = endpoint(&emu, MYSQL).await;
    emu.test_api(
        "POST",
        "/hubfix-test/dms-connection-fails",
        json!({"endpoint_arn": arn, "message": "SSL connection error: certificate verify failed", "times": 1}),
    );
    let answers = answers(&emu, &hubfix, &ca_pem(), true).await;
    let run = hubfix.run(&[
        "run",
        "--resource",
        &arn,
        "--control",
        "DMS.9",
        "--answers",
        &answers,
    ]);
    run.expect_code(1);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert!(out.contains("certificate verify failed"), "{out}");
    assert_eq!(endpoint(&emu, MYSQL).await.1, "none", "rolled back");
    assert_eq!(emu.finding_on(&arn).await.1, "NEW");

    // The same endpoint and instance tested again (the import is reused).
    let again = hubfix.run(&[
        "run",
        "--resource",
        &arn,
        "--control",
        "DMS.9",
        "--answers",
        &answers,
    ]);
    again.expect_code(0);
    assert_eq!(endpoint(&emu, MYSQL).await.1, "verify-full");
    assert_eq!(emu.finding_on(&arn).await.1, "RESOLVED");
    let tests = emu
        .actions()
        .iter()
        .filter(|a| *a == "TestConnection")
        .count();
    assert_eq!(tests, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_pem_file_is_refused_before_any_call_that_changes_anything() {
    let (emu, hubfix) = seeded("dms");
    let bad = hubfix.state_dir().join("not-a-cert.pem");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let answers = answers(&emu, &hubfix, bad.to_str().unwrap(), true).await;
    let run = hubfix.run(&[
        "run",
        "--resource",
        MYSQL,
        "--control",
        "DMS.9",
        "--answers",
        &answers,
    ]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("is not a PEM certificate chain"),
        "{}",
        run.stderr()
    );
    let actions = emu.actions();
    for change in ["ImportCertificate", "ModifyEndpoint", "TestConnection"] {
        assert!(
            !actions.contains(&change.to_owned()),
            "{change}: {actions:?}"
        );
    }
    assert_eq!(endpoint(&emu, MYSQL).await.1, "none");
}

/// No collisions in a session: DMS.1 deletes demo-public-dms and recreates its tasks, DMS.9
/// changes demo-source-mysql, which the task demo-full-load on that instance uses. DMS.1 is
/// asked first; DMS.9 does not offer demo-public-dms to test from; the two go one after
/// another (DMS.9 first: DMS.1 changes the tasks' identifiers), said before the changes.
#[tokio::test(flavor = "multi_thread")]
async fn a_dms_1_and_a_dms_9_run_on_the_same_tasks_go_one_after_another() {
    let (emu, hubfix) = seeded("dms");
    let public = instance_arn(&emu, "demo-public-dms").await;
    let private = instance_arn(&emu, "demo-private-dms").await;
    let (mysql, _, _) = endpoint(&emu, MYSQL).await;
    let dms1 = emu.finding_on(&public).await.0;
    let dms9 = emu.finding_on(&mysql).await.0;
    let answers = hubfix.answers(&format!("{DMS1_RECREATE}{}", dms9_fix(&private)));
    let run = hubfix.run(&[
        "run",
        "--finding",
        &dms9,
        "--finding",
        &dms1,
        "--parallel",
        "4",
        "--answers",
        &answers,
    ]);
    let err = run.stderr();
    assert_eq!(run.code(), 0, "{err}");
    assert!(
        err.contains("is not offered: DMS.1 demo-public-dms deletes it in this session"),
        "{err}"
    );
    assert!(
        err.contains("DMS.1 demo-public-dms goes after DMS.9 demo-source-mysql: both touch"),
        "{err}"
    );
    // DMS.1 was asked first, though its finding was given second.
    let asked_dms1 = err.find("━━ DMS.1").unwrap();
    let asked_dms9 = err.find("━━ DMS.9").unwrap();
    assert!(asked_dms1 < asked_dms9, "{err}");
    // Every request of DMS.9 before the first of DMS.1's changes.
    let actions = emu.actions();
    let position = |action: &str| actions.iter().position(|a| a == action);
    // DMS.9 tests its endpoint once; DMS.1 then tests every endpoint of its tasks (4) from
    // the recreated instance.
    let tests: Vec<usize> = (0..actions.len())
        .filter(|&i| actions[i] == "TestConnection")
        .collect();
    assert_eq!(tests.len(), 1 + 4, "{actions:?}");
    let last_modify = actions
        .iter()
        .rposition(|a| a == "ModifyEndpoint")
        .unwrap_or_else(|| panic!("{actions:?}"))
        .max(tests[0]);
    let create = position("CreateReplicationInstance").unwrap_or_else(|| panic!("{actions:?}"));
    assert!(create < tests[1], "{actions:?}");
    let first_stop = position("StopReplicationTask").unwrap_or(usize::MAX);
    let delete = position("DeleteReplicationInstance").unwrap_or_else(|| panic!("{actions:?}"));
    assert!(
        last_modify < delete && last_modify < first_stop,
        "{actions:?}"
    );
    let (_, mode, _) = endpoint(&emu, MYSQL).await;
    assert_eq!(mode, "verify-full");
    assert_eq!(emu.finding_on(&mysql).await.1, "RESOLVED");
}

/// A plan keeps the collision rule of a run: DMS.1 (which deletes demo-public-dms) is planned
/// first though its finding is given second, and DMS.9's plan does not offer that instance
/// to test from; an answers file that picks it is refused, naming the run that deletes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_plan_does_not_offer_what_another_target_of_it_deletes() {
    let (emu, hubfix) = seeded("dms");
    let public = instance_arn(&emu, "demo-public-dms").await;
    let private = instance_arn(&emu, "demo-private-dms").await;
    let (mysql, _, _) = endpoint(&emu, MYSQL).await;
    let dms1 = emu.finding_on(&public).await.0;
    let dms9 = emu.finding_on(&mysql).await.0;
    let answers_with =
        |instance: &str| hubfix.answers(&format!("{DMS1_RECREATE}{}", dms9_fix(instance)));
    let plan = |answers: &str| {
        hubfix.run(&[
            "plan",
            "--finding",
            &dms9,
            "--finding",
            &dms1,
            "--answers",
            answers,
        ])
    };
    let planned = plan(&answers_with(&private));
    let out = format!("{}{}", planned.stdout(), planned.stderr());
    assert_eq!(planned.code(), 0, "{out}");
    assert!(
        out.contains("is not offered: DMS.1 demo-public-dms deletes it in this session"),
        "{out}"
    );
    let planned_dms1 = out.find("Plan of DMS.1").unwrap_or_else(|| panic!("{out}"));
    let planned_dms9 = out.find("Plan of DMS.9").unwrap_or_else(|| panic!("{out}"));
    assert!(planned_dms1 < planned_dms9, "{out}");

    let refused = plan(&answers_with(&public));
    let out = format!("{}{}", refused.stdout(), refused.stderr());
    assert_ne!(refused.code(), 0, "{out}");
    assert!(
        out.contains("is not offered: DMS.1 demo-public-dms deletes it in this session"),
        "{out}"
    );
    // A plan changes nothing.
    let actions = emu.actions();
    for change in [
        "ImportCertificate",
        "ModifyEndpoint",
        "DeleteReplicationInstance",
        "BatchUpdateFindings",
    ] {
        assert!(
            !actions.contains(&change.to_owned()),
            "{change}: {actions:?}"
        );
    }
}

/// Answers from a file and no runbook that deletes: each run goes on to its changes once it
/// is prepared (a streamed fleet). Two DMS.9 runs on the two endpoints of one task both touch
/// that task: the run prepared second waits for the first to end, says so, and sends nothing
/// before then.
#[tokio::test(flavor = "multi_thread")]
async fn two_streamed_dms_9_runs_on_one_task_go_one_after_another() {
    let (emu, hubfix) = seeded("dms");
    let private = instance_arn(&emu, "demo-private-dms").await;
    let (mysql, _, _) = endpoint(&emu, MYSQL).await;
    let (postgres, _, _) = endpoint(&emu, "demo-target-postgres").await;
    let findings = [
        emu.finding_on(&mysql).await.0,
        emu.finding_on(&postgres).await.0,
    ];
    let answers = hubfix.answers(&format!("controls:\n{}", dms9_fix(&private)));
    let run = hubfix.run(&[
        "run",
        "--finding",
        &findings[0],
        "--finding",
        &findings[1],
        "--parallel",
        "2",
        "--answers",
        &answers,
    ]);
    let err = run.stderr();
    assert_eq!(run.code(), 0, "{err}");
    assert!(
        err.contains("Every answer comes from the answers file"),
        "{err}"
    );
    let said = |later: &str, earlier: &str| {
        err.contains(&format!(
            "[DMS.9 {later}] goes after DMS.9 {earlier}: both touch"
        ))
    };
    let (first, second) = if said("demo-target-postgres", MYSQL) {
        (&mysql, &postgres)
    } else if said(MYSQL, "demo-target-postgres") {
        (&postgres, &mysql)
    } else {
        panic!("one run goes after the other:\n{err}")
    };
    // The endpoints the runs change, in the order the emulator saw them.
    let sent = crate::e2e_plan_is_run::sent(&emu);
    let changes: Vec<&str> = sent
        .iter()
        .filter(|(_, action, _)| action == "ModifyEndpoint")
        .map(|(_, _, params)| params["EndpointArn"].as_str().unwrap_or_default())
        .collect();
    let last_of_first = changes.iter().rposition(|arn| arn == first);
    let first_of_second = changes.iter().position(|arn| arn == second);
    assert!(
        last_of_first.unwrap() < first_of_second.unwrap(),
        "{changes:?}"
    );
    for id in [MYSQL, "demo-target-postgres"] {
        assert_eq!(endpoint(&emu, id).await.1, "verify-full", "{id}");
    }
}
