//! End to end: the real binary against the emulator over HTTP, checked the way the article
//! checks (the cluster's setting, the finding's workflow status and note).

use crate::emulator::{Emulator, Hubfix, seeded};
use std::time::Duration;

const CLUSTER: &str = "test-redshift-cluster";
const FIX: &str =
    "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n";
const MUTATING: &[&str] = &[
    "ModifyCluster",
    "BatchUpdateFindings",
    "BatchImportFindings",
    "CreateCluster",
];

/// A fresh emulator seeded with the demo, and the binary pointed at it.
fn demo() -> (Emulator, Hubfix) {
    seeded("redshift")
}

fn mutating(actions: &[String]) -> Vec<&String> {
    actions
        .iter()
        .filter(|a| MUTATING.contains(&a.as_str()))
        .collect()
}

#[test]
fn findings_lists_only_failed_active_unsuppressed_findings_across_pages() {
    let (emu, hubfix) = demo();
    let run = hubfix.run(&["findings", "--output", "json"]);
    run.expect_code(0);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(listed.len(), 1, "{}", run.stdout());
    assert!(
        listed[0]["resource_id"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":cluster:{CLUSTER}"))
    );
    assert_eq!(listed[0]["control"], "Redshift.7");
    assert_eq!(listed[0]["workflow_status"], "NEW");

    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(emu.import_findings(230));
    emu.forget_requests();
    let run = hubfix.run(&["findings", "--control", "redshift.7", "--output", "json"]);
    run.expect_code(0);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(listed.len(), 231);
    // Three pages of consolidated findings, one (empty) page of per-standard ones.
    assert_eq!(emu.actions(), ["GetFindings"; 4]);

    let table = hubfix.run(&["findings"]);
    table.expect_code(0);
    assert!(
        table.stdout().starts_with("FINDING ID"),
        "{}",
        table.stdout()
    );
    assert!(table.stdout().contains(CLUSTER));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fix_branch_enables_routing_and_resolves_the_finding() {
    let (emu, hubfix) = demo();
    let answers = hubfix.answers(FIX);
    let run = hubfix.run(&[
        "run",
        "--control",
        "Redshift.7",
        "--answers",
        &answers,
        "--approver",
        "Taro Yamada",
    ]);
    run.expect_code(0);
    assert!(
        run.stderr().contains("modifying"),
        "the wait showed the live status:\n{}",
        run.stderr()
    );
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
    let (_, status, note, by) = emu.finding_of(CLUSTER).await;
    assert_eq!(status, "RESOLVED");
    assert!(
        note.contains("enhanced VPC routing enabled") && note.contains("EnhancedVpcRouting = true"),
        "{note}"
    );
    assert_eq!(by, "Taro Yamada");
    let actions = emu.actions();
    assert_eq!(
        actions.iter().filter(|a| *a == "ModifyCluster").count(),
        1,
        "{actions:?}"
    );
    let runs = hubfix.run(&["runs"]);
    assert!(runs.stdout().contains("fixed"), "{}", runs.stdout());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_suppress_branch_suppresses_with_a_note_naming_the_approver() {
    let (emu, hubfix) = demo();
    let answers = hubfix.answers(
        "approver: Hanako Sato\nresources:\n  test-redshift-cluster: { intended: true, reason: \"Legacy ETL needs public S3 until 2027-03\" }\n",
    );
    let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
    run.expect_code(0);
    let (_, status, note, by) = emu.finding_of(CLUSTER).await;
    assert_eq!(status, "SUPPRESSED");
    assert!(
        note.contains("Legacy ETL needs public S3 until 2027-03"),
        "{note}"
    );
    assert!(note.contains("approved by Hanako Sato"), "{note}");
    assert_eq!(by, "Hanako Sato");
    assert!(!emu.enhanced_vpc_routing(CLUSTER).await);
    assert!(!emu.actions().contains(&"ModifyCluster".to_owned()));
}

#[test]
fn a_dry_run_shows_every_step_and_sends_nothing_that_changes() {
    let (emu, hubfix) = demo();
    for args in [
        &["plan", "--control", "Redshift.7"][..],
        &["run", "--dry-run", "--control", "Redshift.7"][..],
    ] {
        let run = hubfix.run(args);
        run.expect_code(0);
        let out = run.stdout();
        assert!(out.contains(r#"redshift:ModifyCluster {"ClusterIdentifier":"test-redshift-cluster","EnhancedVpcRouting":true}"#), "{out}");
        assert!(
            out.contains("→ if `answers.intended`: go to reason"),
            "{out}"
        );
        assert!(
            out.contains("check in VPC vpc-"),
            "the read call filled in the VPC: {out}"
        );
        assert!(out.contains("→ otherwise: subnet_group"), "{out}");
        assert!(
            out.contains("reads: ec2:DescribeRouteTables") && out.contains("✓ subnet-"),
            "the prerequisites were read: {out}"
        );
        assert!(
            out.contains("\"Status\":\"SUPPRESSED\"") && out.contains("\"Status\":\"RESOLVED\""),
            "{out}"
        );
    }
    let actions = emu.actions();
    assert!(
        actions.contains(&"DescribeClusters".to_owned()),
        "{actions:?}"
    );
    assert!(mutating(&actions).is_empty(), "{actions:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_answers_the_real_prompts_in_a_terminal() {
    let (emu, hubfix) = demo();
    let mut cmd = hubfix.command(&[
        "run",
        "--control",
        "Redshift.7",
        "--approver",
        "Hanako Sato",
    ]);
    cmd.env("TERM", "xterm-256color");
    use expectrl::Expect;
    let mut p = expectrl::Session::spawn(cmd).expect("a pseudo-terminal");
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    p.expect("is it intended that enhanced VPC routing is disabled on test-redshift-cluster?")
        .unwrap();
    p.send("n").unwrap();
    // The prerequisites are read, not asked.
    p.expect("Every prerequisite of enhanced VPC routing is met")
        .unwrap();
    p.expect(r#"redshift:ModifyCluster {"ClusterIdentifier":"test-redshift-cluster","EnhancedVpcRouting":true}"#).unwrap();
    p.expect("Apply the change now?").unwrap();
    p.send("y").unwrap();
    p.expect("is enabled on test-redshift-cluster and verified")
        .unwrap();
    p.expect("fixed").unwrap();
    let status = p.get_process().wait().unwrap();
    assert!(format!("{status:?}").ends_with(", 0)"), "{status:?}");
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
    assert_eq!(emu.finding_of(CLUSTER).await.1, "RESOLVED");
}

#[tokio::test(flavor = "multi_thread")]
async fn escape_at_a_prompt_stops_with_exit_3_and_a_resumable_journal() {
    use expectrl::Expect;
    let (emu, hubfix) = demo();
    let mut cmd = hubfix.command(&["run", "--control", "Redshift.7"]);
    cmd.env("TERM", "xterm-256color");
    let mut p = expectrl::Session::spawn(cmd).expect("a pseudo-terminal");
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    p.expect("is it intended").unwrap();
    p.send("n").unwrap();
    p.expect("Apply the change now?").unwrap();
    p.send("\x1b").unwrap();
    p.expect("stopped").unwrap();
    let status = p.get_process().wait().unwrap();
    assert!(format!("{status:?}").ends_with(", 3)"), "{status:?}");
    assert!(mutating(&emu.actions()).is_empty());
    let runs = hubfix.run(&["runs"]);
    assert!(
        runs.stdout().contains("stopped") && runs.stdout().contains("apply_now"),
        "{}",
        runs.stdout()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_while_waiting_resumes_to_the_end() {
    let emu = Emulator::start();
    emu.seed_demo();
    let hubfix = Hubfix::new(&emu);
    let answers = hubfix.answers(FIX);
    // Killed once the journal shows the wait polling a modifying cluster.
    let mut child = crate::e2e_bounds::run_until_waiting(&emu, &hubfix, 400);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!emu.enhanced_vpc_routing(CLUSTER).await);

    let listed = hubfix.run(&["runs"]);
    assert!(
        listed.stdout().contains("interrupted") && listed.stdout().contains("wait_available"),
        "{}",
        listed.stdout()
    );
    let run_id = listed
        .stdout()
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    emu.test_api(
        "POST",
        "/hubfix-test/config",
        serde_json::json!({"redshift_modify_polls": 2}),
    );
    hubfix
        .run(&["resume", &run_id, "--answers", &answers])
        .expect_code(0);
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
    assert_eq!(emu.finding_of(CLUSTER).await.1, "RESOLVED");
    assert_eq!(
        emu.actions()
            .iter()
            .filter(|a| *a == "ModifyCluster")
            .count(),
        1
    );
    hubfix
        .run(&["resume", &run_id, "--answers", &answers])
        .expect_code(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn suppress_marks_findings_after_sign_off_retrying_concurrent_updates() {
    let (emu, hubfix) = demo();
    let (id, ..) = emu.finding_of(CLUSTER).await;
    let args = [
        "suppress",
        "--finding",
        id.as_str(),
        "--reason",
        "Legacy ETL until 2027-03",
        "--approver",
        "Taro Yamada",
    ];
    // Without a terminal it needs --yes, and changes nothing.
    hubfix.run(&args).expect_code(2);
    assert_eq!(emu.finding_of(CLUSTER).await.1, "NEW");

    // Security Hub answers ConcurrentUpdateError twice: hubfix retries and succeeds.
    emu.test_api(
        "POST",
        "/hubfix-test/fail-updates",
        serde_json::json!({"finding_id": id, "times": 2}),
    );
    let mut with_yes = args.to_vec();
    with_yes.push("--yes");
    let run = hubfix.run(&with_yes);
    run.expect_code(0);
    assert!(
        run.stderr().contains("Suppressed 1 of 1 findings"),
        "{}",
        run.stderr()
    );
    let (_, status, note, by) = emu.finding_of(CLUSTER).await;
    assert_eq!(status, "SUPPRESSED");
    assert!(
        note.contains("Legacy ETL until 2027-03") && note.contains("approved by Taro Yamada"),
        "{note}"
    );
    assert_eq!(by, "Taro Yamada");
    let updates = emu
        .actions()
        .iter()
        .filter(|a| *a == "BatchUpdateFindings")
        .count();
    assert_eq!(updates, 3);

    // An unknown finding id is named, and nothing is sent.
    emu.forget_requests();
    let run = hubfix.run(&[
        "suppress",
        "--finding",
        "no-such-finding",
        "--reason",
        "r",
        "--approver",
        "a",
        "--yes",
    ]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("`no-such-finding`"),
        "{}",
        run.stderr()
    );
    assert!(!emu.actions().contains(&"BatchUpdateFindings".to_owned()));
}

mod bad_input {
    use super::*;

    #[test]
    fn a_broken_runbook_names_file_line_and_column() {
        let hubfix = Hubfix::offline();
        let dir = hubfix.state.path().join("runbooks");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("broken.yaml");
        std::fs::write(&file, "control: X.1\ntitle: {en: t, ja: t}\nseverity: LOW\nresource_type: T\nsteps:\n  - note: {id: a, text: {en: x}}\n").unwrap();
        let run = hubfix.run(&["validate", file.to_str().unwrap()]);
        run.expect_code(2);
        assert!(
            run.stderr().contains(&format!("{}:6:", file.display())),
            "{}",
            run.stderr()
        );
        assert!(run.stderr().contains("ja"), "{}", run.stderr());
        let run = hubfix.run(&["--runbooks", dir.to_str().unwrap(), "controls"]);
        run.expect_code(2);
        assert!(run.stderr().contains("broken.yaml:6:"), "{}", run.stderr());
    }

    #[test]
    fn an_unknown_control_is_refused_naming_the_known_ones() {
        let emu = Emulator::start();
        let hubfix = Hubfix::new(&emu);
        let answers = hubfix.answers(FIX);
        let run = hubfix.run(&["run", "--control", "S3.1", "--answers", &answers]);
        run.expect_code(2);
        assert!(
            run.stderr()
                .contains("unknown control `S3.1`; hubfix has runbooks for: DMS.1, DMS.9, ElastiCache.6, Redshift.7"),
            "{}",
            run.stderr()
        );
        assert!(emu.actions().is_empty());
    }

    #[test]
    fn a_missing_resource_fails_and_changes_nothing() {
        let (emu, hubfix) = demo();
        let answers = hubfix.answers(FIX);
        let run = hubfix.run(&[
            "run",
            "--control",
            "Redshift.7",
            "--resource",
            "no-such-cluster",
            "--answers",
            &answers,
        ]);
        run.expect_code(1);
        assert!(
            run.stderr().contains("redshift:DescribeClusters")
                && run.stderr().contains("no-such-cluster"),
            "{}",
            run.stderr()
        );
        assert!(mutating(&emu.actions()).is_empty());
    }

    #[test]
    fn no_credentials_is_a_clear_setup_error() {
        let emu = Emulator::start();
        let hubfix = Hubfix::new(&emu);
        let run = hubfix.run_without(
            &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
            &["findings"],
        );
        run.expect_code(2);
        assert!(
            run.stderr().contains("no AWS credentials were found"),
            "{}",
            run.stderr()
        );
        assert!(run.stderr().contains("--profile"), "{}", run.stderr());
    }

    #[test]
    fn no_region_is_a_clear_setup_error() {
        let emu = Emulator::start();
        let hubfix = Hubfix::new(&emu);
        let run = hubfix.run_without(&["AWS_REGION"], &["findings"]);
        run.expect_code(2);
        assert!(
            run.stderr()
                .contains("no AWS region is configured (pass --region"),
            "{}",
            run.stderr()
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn access_denied_names_the_permission_and_changes_nothing() {
        let emu = Emulator::start();
        emu.seed_demo();
        emu.test_api(
            "POST",
            "/hubfix-test/deny",
            serde_json::json!({"action": "ModifyCluster"}),
        );
        let hubfix = Hubfix::new(&emu);
        let answers = hubfix.answers(FIX);
        let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
        run.expect_code(1);
        assert!(
            run.stderr()
                .contains("grant the IAM permission `redshift:ModifyCluster`"),
            "{}",
            run.stderr()
        );
        assert!(!emu.enhanced_vpc_routing(CLUSTER).await);
        assert_eq!(emu.finding_of(CLUSTER).await.1, "NEW");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_resource_of_another_account_is_refused() {
        let (emu, hubfix) = demo();
        let answers = hubfix.answers(FIX);
        let other = "arn:aws:redshift:ap-northeast-1:999999999999:cluster:test-redshift-cluster";
        let run = hubfix.run(&[
            "run",
            "--control",
            "Redshift.7",
            "--resource",
            other,
            "--answers",
            &answers,
        ]);
        run.expect_code(2);
        assert!(
            run.stderr()
                .contains("the credentials are for account 123456789012")
                && run.stderr().contains("is in account 999999999999")
                && run.stderr().contains("--role-name"),
            "{}",
            run.stderr()
        );
        assert!(!emu.actions().contains(&"DescribeClusters".to_owned()));
        assert!(!emu.enhanced_vpc_routing(CLUSTER).await);
    }

    /// A finding of the credentials' account whose resource ARN is in another account is
    /// refused before any call: the same-named cluster here is not touched.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_finding_whose_account_and_resource_disagree_is_refused() {
        let (emu, hubfix) = demo();
        emu.import_finding_in_account(CLUSTER, "999999999999").await;
        emu.forget_requests();
        let answers = hubfix.answers(FIX);
        let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
        run.expect_code(2);
        assert!(
            run.stderr().contains("says account 123456789012")
                && run.stderr().contains("is in account 999999999999"),
            "{}",
            run.stderr()
        );
        let actions = emu.actions();
        assert!(
            actions.iter().all(|a| a == "GetFindings"),
            "no call but the finding search: {actions:?}"
        );
        assert!(!emu.enhanced_vpc_routing(CLUSTER).await);
        assert_eq!(emu.finding_of(CLUSTER).await.1, "NEW");
    }

    #[test]
    fn run_without_a_terminal_or_answers_refuses_before_calling_aws() {
        let (emu, hubfix) = demo();
        let run = hubfix.run(&["run", "--control", "Redshift.7"]);
        run.expect_code(2);
        assert!(run.stderr().contains("--answers FILE"), "{}", run.stderr());
        assert!(emu.actions().is_empty(), "{:?}", emu.actions());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_answers_file_missing_an_answer_names_the_key_and_changes_nothing() {
        let (emu, hubfix) = demo();
        let answers = hubfix
            .answers("controls:\n  Redshift.7: { intended: false, prerequisites_met: true }\n");
        let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
        run.expect_code(2);
        assert!(
            run.stderr().contains("no answer for prompt `apply_now`"),
            "{}",
            run.stderr()
        );
        assert!(
            run.stderr()
                .contains("add `apply_now: ...` under `controls: { Redshift.7: ... }`"),
            "{}",
            run.stderr()
        );
        assert!(mutating(&emu.actions()).is_empty());
        assert!(!emu.enhanced_vpc_routing(CLUSTER).await);
    }

    #[test]
    fn a_malformed_answers_file_is_refused_with_its_location() {
        let hubfix = Hubfix::offline();
        let answers = hubfix.answers("controls:\n  Redshift.7: { intended: maybe-not\n");
        let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
        run.expect_code(2);
        assert!(
            run.stderr().contains(&format!("{answers}:")),
            "{}",
            run.stderr()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn findings_of_hubs_without_consolidated_controls_are_found_and_all_marked() {
    let emu = Emulator::start();
    emu.seed_demo();
    emu.redshift()
        .await
        .create_cluster()
        .cluster_identifier("old-hub-cluster")
        .node_type("ra3.xlplus")
        .master_username("admin")
        .master_user_password("Password1")
        .send()
        .await
        .unwrap();
    emu.import_legacy_findings("old-hub-cluster").await;
    let hubfix = Hubfix::new(&emu);
    let run = hubfix.run(&["findings", "--output", "json"]);
    run.expect_code(0);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&run.stdout()).unwrap();
    let old: Vec<_> = listed
        .iter()
        .filter(|f| {
            f["resource_id"]
                .as_str()
                .unwrap()
                .ends_with(":cluster:old-hub-cluster")
        })
        .collect();
    assert_eq!(old.len(), 2, "{}", run.stdout());
    assert!(old.iter().all(|f| f["control"] == "Redshift.7"));

    // One run for the resource marks both of its findings.
    let answers = hubfix.answers("approver: A. Auditor\nresources:\n  old-hub-cluster: { intended: true, reason: \"Decommissioned in March\" }\n");
    let run = hubfix.run(&[
        "run",
        "--control",
        "Redshift.7",
        "--resource",
        "old-hub-cluster",
        "--answers",
        &answers,
    ]);
    run.expect_code(0);
    assert_eq!(
        run.stderr()
            .matches("━━ Redshift.7 old-hub-cluster")
            .count(),
        1,
        "{}",
        run.stderr()
    );
    let still_failed = hubfix.run(&["findings", "--output", "json"]);
    assert!(
        !still_failed.stdout().contains("old-hub-cluster"),
        "{}",
        still_failed.stdout()
    );
}

/// `-q`: only errors and data. A run that succeeds prints nothing; one that cannot go on
/// still says why; a plan is data and is printed whatever `-q` says.
#[tokio::test(flavor = "multi_thread")]
async fn quiet_prints_only_errors_and_data() {
    let (emu, hubfix) = demo();
    let plan = hubfix.run(&["-q", "plan", "--control", "Redshift.7"]);
    plan.expect_code(0);
    assert!(
        plan.stdout().contains("redshift:ModifyCluster"),
        "{}",
        plan.stdout()
    );
    assert_eq!(plan.stderr(), "", "a quiet plan says nothing on stderr");

    let missing =
        hubfix.answers("controls:\n  Redshift.7: { intended: false, prerequisites_met: true }\n");
    let stopped = hubfix.run(&[
        "-q",
        "run",
        "--control",
        "Redshift.7",
        "--answers",
        &missing,
    ]);
    stopped.expect_code(2);
    assert!(
        stopped.stderr().contains("apply_now"),
        "why the run stopped is shown with -q:\n{}",
        stopped.stderr()
    );
    assert!(!stopped.stderr().contains("━━"), "{}", stopped.stderr());

    let answers = hubfix.answers(FIX);
    let run = hubfix.run(&[
        "-q",
        "run",
        "--control",
        "Redshift.7",
        "--answers",
        &answers,
    ]);
    run.expect_code(0);
    assert_eq!(run.stderr(), "", "a quiet run that succeeds says nothing");
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
}

/// Never "approved by unknown": without an approver, a resolution is signed by the
/// credentials' identity (STS), even with no OS user name to fall back on.
#[tokio::test(flavor = "multi_thread")]
async fn a_resolution_without_an_approver_is_signed_by_the_caller_identity() {
    let (emu, hubfix) = demo();
    let answers = hubfix.answers(FIX);
    let run = hubfix.run_without(
        &["USER", "LOGNAME", "USERNAME"],
        &["run", "--control", "Redshift.7", "--answers", &answers],
    );
    run.expect_code(0);
    let (_, status, note, by) = emu.finding_of(CLUSTER).await;
    assert_eq!(status, "RESOLVED");
    assert!(
        by.starts_with("arn:aws:") && by.contains("123456789012"),
        "{by}"
    );
    assert!(note.contains(&format!("approved by {by}")), "{note}");
    assert!(!note.contains("unknown"), "{note}");
}

/// One sign-off per session: two suppressions in one terminal session (the second with the
/// first one's answers, but for its review date) ask "Who signed this off?" once (Enter would
/// take the credentials' identity), and both notes name the answer. The review date is asked
/// with the reason: a date in the past is refused and asked again, Enter takes the runbook's
/// 180 days; unticked in the offer, it is asked for the second cluster, and the date typed is
/// used.
#[tokio::test(flavor = "multi_thread")]
async fn the_approver_is_asked_once_per_session() {
    use hubfix::findings::review::{review_date_after, today};
    let (emu, hubfix) = demo();
    emu.add_failing_clusters(&["second-cluster".to_owned()])
        .await;
    let mut cmd = hubfix.command(&["run", "--control", "Redshift.7"]);
    cmd.env("TERM", "xterm-256color");
    use expectrl::Expect;
    let mut p = expectrl::Session::spawn(cmd).expect("a pseudo-terminal");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    let typed = review_date_after(today(), 45).to_string();
    p.expect("is it intended that enhanced VPC routing is disabled on")
        .unwrap();
    p.send("y").unwrap();
    p.expect("Why must enhanced VPC routing stay disabled?")
        .unwrap();
    p.send("Legacy ETL until 2027-03\r").unwrap();
    p.expect("Review this exception by").unwrap();
    p.send("2020-01-01\r").unwrap();
    p.expect("is in the past").unwrap();
    p.send("\r").unwrap();
    // The second cluster: the first one's answers, as offered, but the review date (the
    // third answer) unticked: asked again.
    p.expect("Use the answers given for").unwrap();
    p.send("\x1b[B\x1b[B \r").unwrap();
    p.expect("Review this exception by").unwrap();
    p.send(format!("{typed}\r")).unwrap();
    p.expect("Who signed this off?").unwrap();
    p.send("Hanako Sato\r").unwrap();
    // A second question would keep the session open past the timeout.
    p.expect(expectrl::Eof)
        .expect("the session ended without asking for the approver again");
    let status = p.get_process().wait().unwrap();
    assert!(format!("{status:?}").ends_with(", 0)"), "{status:?}");
    let offered = review_date_after(today(), 180).to_string();
    for (cluster, review_by) in [(CLUSTER, &offered), ("second-cluster", &typed)] {
        let (_, status, note, by) = emu.finding_of(cluster).await;
        assert_eq!(status, "SUPPRESSED", "{cluster}");
        assert_eq!(by, "Hanako Sato", "{cluster}");
        assert!(note.contains("approved by Hanako Sato"), "{note}");
        assert!(
            note.ends_with(&format!("; review by {review_by}]")),
            "{note}"
        );
    }
}
