//! Every branch of the DMS.9 runbook and every engine family of the SSL support table,
//! walked by the engine against the in-memory DMS with scripted answers.

use crate::double::Recorded;
use crate::double_dms::FakeDms;
use crate::fixture::{Fixture, finding_on};
use hubfix::engine::ScriptedPrompter;
use hubfix::findings::WorkflowStatus;
use hubfix::runbook::Outcome;

const ENDPOINT: &str = "arn:aws:dms:ap-northeast-1:123456789012:endpoint:SRC";
const RDS_CA: &str = "arn:aws:dms:ap-northeast-1:123456789012:cert:RDSCA";
const INSTANCE: &str = "arn:aws:dms:ap-northeast-1:123456789012:rep:ORIGINAL";
const CHANGES: &[&str] = &[
    "dms:ImportCertificate",
    "dms:ModifyEndpoint",
    "dms:TestConnection",
    "dms:StopReplicationTask",
    "dms:StartReplicationTask",
];

fn fixture(engine: &str, kind: &str) -> Fixture<FakeDms> {
    Fixture::new(
        FakeDms::with_endpoint(engine, kind),
        "DMS.9",
        finding_on("DMS.9", "AwsDmsEndpoint", ENDPOINT),
    )
}

fn changes(fx: &Fixture<FakeDms>) -> Vec<String> {
    fx.aws
        .operations()
        .into_iter()
        .filter(|o| CHANGES.contains(&o.as_str()))
        .collect()
}

fn ca_pem() -> String {
    format!("{}/tests/fixtures/ca-chain.pem", env!("CARGO_MANIFEST_DIR"))
}

fn fix(mode: &str) -> ScriptedPrompter {
    ScriptedPrompter::new()
        .no("intended")
        .text("ssl_mode", mode)
        .text("ca_certificate", RDS_CA)
        .text("test_instance", INSTANCE)
        .no("restart_tasks")
        .yes("apply_now")
}

#[tokio::test(start_paused = true)]
async fn every_engine_family_is_offered_its_modes_strongest_first_and_fixed() {
    let table: &[(&str, &[&str])] = &[
        ("mysql", &["verify-full", "verify-ca"]),
        ("mariadb", &["verify-full", "verify-ca"]),
        ("aurora", &["verify-full", "verify-ca"]),
        ("sqlserver", &["verify-full", "require"]),
        ("postgres", &["verify-full", "verify-ca", "require"]),
        (
            "aurora-postgresql",
            &["verify-full", "verify-ca", "require"],
        ),
        ("oracle", &["verify-ca"]),
        ("sybase", &["verify-full"]),
        ("mongodb", &["verify-full", "require"]),
        ("docdb", &["verify-full", "require"]),
        ("db2", &["verify-ca"]),
        ("db2-zos", &["verify-ca"]),
    ];
    for (engine, modes) in table {
        let fx = fixture(engine, "source");
        let mut prompter = fix(modes[0]);
        let report = fx.run(&mut prompter).await;
        assert_eq!(
            report.outcome,
            Outcome::Fixed,
            "{engine}: {}",
            report.message
        );
        let offered: Vec<&str> = prompter
            .asked
            .iter()
            .find(|q| q.id == "ssl_mode")
            .unwrap()
            .options
            .iter()
            .map(|(v, _)| v.as_str())
            .collect();
        assert_eq!(offered, *modes, "{engine}");
        assert_eq!(fx.aws.endpoint().ssl_mode, modes[0], "{engine}");
        assert_eq!(
            fx.aws.endpoint().certificate.as_deref(),
            Some(RDS_CA),
            "{engine}"
        );
    }
}

/// The line that lists a change of this operation before its approval.
fn listed(fx: &Fixture<FakeDms>, operation: &str) -> String {
    let said = fx.said();
    said.lines()
        .find(|l| l.contains(operation))
        .expect("the change is listed before its approval")
        .to_owned()
}

#[tokio::test(start_paused = true)]
async fn require_needs_no_certificate_and_tests_the_connection() {
    let fx = fixture("postgres", "target");
    let mut prompter = fix("require");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert!(!prompter.asked_ids().contains(&"ca_certificate"));
    assert_eq!(fx.aws.endpoint().ssl_mode, "require");
    assert_eq!(fx.aws.endpoint().certificate, None);
    assert_eq!(changes(&fx), ["dms:ModifyEndpoint", "dms:TestConnection"]);
    let updates = [fx.hub.last_update()];
    assert_eq!(updates[0].status, WorkflowStatus::Resolved);
    assert!(
        updates[0].note.contains("none, not verifying") && !updates[0].note.contains('<'),
        "{}",
        updates[0].note
    );
    assert!(
        updates[0].note.contains("SslMode require"),
        "{}",
        updates[0].note
    );
    // The approval lists the request as sent: no certificate parameter, no placeholder.
    let listed = listed(&fx, "dms:ModifyEndpoint");
    assert!(
        !listed.contains("CertificateArn") && listed.contains(r#""SslMode":"require""#),
        "{listed}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_pem_file_is_checked_imported_and_named_in_the_note() {
    let fx = fixture("mysql", "source");
    let mut prompter = fix("verify-full")
        .text("ca_certificate", "import")
        .text("ca_pem_file", &ca_pem());
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    let imported = "arn:aws:dms:ap-northeast-1:123456789012:cert:EP1-CA";
    assert_eq!(fx.aws.endpoint().certificate.as_deref(), Some(imported));
    assert_eq!(
        changes(&fx)[..2],
        ["dms:ImportCertificate", "dms:ModifyEndpoint"]
    );
    let updates = [fx.hub.last_update()];
    assert!(
        updates[0].note.contains("verify-full") && updates[0].note.contains(imported),
        "{}",
        updates[0].note
    );
    // Listed before the yes as sent: the imported certificate's ARN is what the import gives.
    let listed = listed(&fx, "dms:ModifyEndpoint");
    assert!(
        listed.contains(r#""CertificateArn":"<from import_ca.CertificateArn>""#),
        "{listed}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_file_that_is_not_a_pem_chain_is_refused_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(
        &key,
        "-----BEGIN PRIVATE KEY-----\nMAcwADAAAwEA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    for (file, why) in [(&key, "private key"), (&garbage, "no `-----BEGIN")] {
        let fx = fixture("mysql", "source");
        let mut prompter = fix("verify-full")
            .text("ca_certificate", "import")
            .text("ca_pem_file", file.to_str().unwrap());
        let report = fx.run(&mut prompter).await;
        assert_eq!(report.outcome, Outcome::NeedsInput, "{}", report.message);
        assert!(report.message.contains(why), "{}", report.message);
        assert!(changes(&fx).is_empty(), "{:?}", changes(&fx));
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_connection_test_shows_why_and_rolls_back_on_a_yes() {
    let fx = fixture("postgres", "source");
    fx.aws.endpoints.lock().unwrap()[0].test_fails =
        Some("SSL connection failed: certificate verify failed".into());
    let mut prompter = fix("verify-full").yes("rollback");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!(report.exit_status().code(), 1);
    assert!(
        fx.said().contains("certificate verify failed"),
        "{}",
        fx.said()
    );
    assert_eq!(fx.aws.endpoint().ssl_mode, "none", "rolled back");
    assert_eq!(fx.aws.count("dms:ModifyEndpoint"), 2);
    assert_eq!(
        fx.hub.statuses(),
        [WorkflowStatus::Notified, WorkflowStatus::New],
        "locked while changing, then back as it was"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_connection_test_keeps_the_mode_on_a_no() {
    let fx = fixture("postgres", "source");
    fx.aws.endpoints.lock().unwrap()[0].test_fails = Some("timeout".into());
    let report = fx.run(&mut fix("verify-full").no("rollback")).await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!(fx.aws.endpoint().ssl_mode, "verify-full");
    assert!(
        report
            .message
            .contains("although the connection test failed")
    );
}

#[tokio::test(start_paused = true)]
async fn running_tasks_are_restarted_only_on_a_yes() {
    let fx = fixture("postgres", "source");
    let report = fx.run(&mut fix("require").yes("restart_tasks")).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    let t1 = fx.aws.tasks().into_iter().find(|t| t.id() == "t1").unwrap();
    assert_eq!(t1.status(), "running");
    assert_eq!(t1.started_with.as_deref(), Some("resume-processing"));
    assert_eq!(fx.aws.count("dms:StopReplicationTask"), 1);

    let fx = fixture("postgres", "source");
    let report = fx.run(&mut fix("require")).await;
    assert_eq!(report.outcome, Outcome::Fixed);
    assert_eq!(fx.aws.count("dms:StopReplicationTask"), 0);
    assert_eq!(fx.aws.count("dms:StartReplicationTask"), 0);
    assert!(
        report.message.contains("t1"),
        "named as needing a restart: {}",
        report.message
    );
    assert!(
        fx.said().contains(
            "t1: full-load-and-cdc, running, 42% loaded, ep1 (postgres) → \
             arn:aws:dms:ap-northeast-1:123456789012:endpoint:TGT"
        ),
        "{}",
        fx.said()
    );
}

#[tokio::test(start_paused = true)]
async fn the_test_can_be_skipped() {
    let fx = fixture("sqlserver", "source");
    let report = fx
        .run(&mut fix("require").text("test_instance", "skip"))
        .await;
    assert_eq!(report.outcome, Outcome::Fixed);
    assert_eq!(changes(&fx), ["dms:ModifyEndpoint"]);
}

#[tokio::test(start_paused = true)]
async fn ssl_already_on_or_an_uncovered_engine_needs_nothing() {
    let fx = fixture("postgres", "source");
    fx.aws.endpoints.lock().unwrap()[0].ssl_mode = "require".into();
    let report = fx.run(&mut ScriptedPrompter::new()).await;
    assert_eq!(report.outcome, Outcome::Compliant);
    assert!(report.message.contains("already uses SSL"));

    let fx = fixture("s3", "target");
    let report = fx.run(&mut ScriptedPrompter::new()).await;
    assert_eq!(report.outcome, Outcome::Compliant);
    assert!(
        report.message.contains("outside this control"),
        "{}",
        report.message
    );
    assert!(changes(&fx).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_redshift_target_is_explained_and_can_only_be_suppressed() {
    let fx = fixture("redshift", "target");
    let report = fx.run(&mut ScriptedPrompter::new().no("intended")).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(report.exit_status().code(), 3);
    assert!(
        fx.said()
            .contains("DMS does not support SSL to Amazon Redshift targets")
    );
    assert!(changes(&fx).is_empty());

    let fx = fixture("redshift", "target");
    let report = fx
        .run(
            &mut ScriptedPrompter::new()
                .yes("intended")
                .text("reason", "cluster in the same VPC, not public"),
        )
        .await;
    assert_eq!(report.outcome, Outcome::Suppressed);
    assert_eq!(
        fx.hub.updates.lock().unwrap()[0].status,
        WorkflowStatus::Suppressed
    );
}

#[tokio::test(start_paused = true)]
async fn an_answer_outside_the_supported_modes_is_refused() {
    let fx = fixture("oracle", "source");
    let report = fx.run(&mut fix("require")).await;
    assert_eq!(report.outcome, Outcome::NeedsInput);
    assert!(
        report.message.contains("the options are: verify-ca"),
        "{}",
        report.message
    );
    assert!(changes(&fx).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_test_also_offers_the_rollback() {
    let fx = fixture("postgres", "source");
    fx.aws.endpoints.lock().unwrap()[0].refuse_test = true;
    let report = fx.run(&mut fix("verify-full").yes("rollback")).await;
    assert_eq!(report.outcome, Outcome::Failed, "{}", report.message);
    assert!(
        fx.said().contains("could not be run, nor its result read"),
        "{}",
        fx.said()
    );
    assert_eq!(fx.aws.endpoint().ssl_mode, "none", "rolled back");
}
