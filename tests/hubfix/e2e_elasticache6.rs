//! ElastiCache.6 end to end: the real binary against the emulator. The emulator keeps only
//! sha256 hashes of the tokens it was sent, so the tests check the order ROTATE then SET with
//! the same token without the token ever being printed; and the token must appear nowhere
//! hubfix writes, even at the highest verbosity.

use crate::emulator::{ACCOUNT, Emulator, Hubfix, REGION, seeded};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

const TOKEN: &str = "Tz9-Kq7!xW#m2$Lp^a<b>Vr8-e2e";
const TLS: &str = "demo-redis-tls";

fn arn(group: &str) -> String {
    format!("arn:aws:elasticache:{REGION}:{ACCOUNT}:replicationgroup:{group}")
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The AUTH changes the emulator applied to a group: [(strategy, token sha256)].
fn auth_history(emu: &Emulator, group: &str) -> (Vec<(String, String)>, Value) {
    let all = emu.test_api("GET", "/hubfix-test/elasticache-auth", Value::Null);
    let g = all[group].clone();
    let history = g["history"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|h| {
            (
                h["strategy"].as_str().unwrap().to_owned(),
                h["token_sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (history, g)
}

async fn auth_enabled(emu: &Emulator, group: &str) -> bool {
    let out = emu
        .elasticache()
        .await
        .describe_replication_groups()
        .replication_group_id(group)
        .send()
        .await
        .unwrap();
    out.replication_groups()[0].auth_token_enabled() == Some(true)
}

fn answers(hubfix: &Hubfix, clients_updated: bool) -> String {
    hubfix.answers(&format!(
        "resources:\n  {TLS}: {{ intended: false, auth_token: {{ env: REDIS_TOKEN }}, apply_now: true, clients_updated: {clients_updated} }}\n"
    ))
}

fn everything_written(hubfix: &Hubfix) -> String {
    let mut all = String::new();
    for entry in walk(&hubfix.state_dir()) {
        all.push_str(&std::fs::read_to_string(entry).unwrap_or_default());
    }
    all
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn rotate_then_set_with_the_same_token_and_the_token_is_nowhere_at_full_verbosity() {
    let (emu, hubfix) = seeded("elasticache");
    let answers = answers(&hubfix, true);
    let run = hubfix.run_with(
        &[("REDIS_TOKEN", TOKEN), ("HUBFIX_LOG", "trace,aws_smithy_runtime=trace,aws_smithy_runtime::client::orchestrator=trace,aws_sdk_elasticache=trace")],
        &[
            "-vvv",
            "run",
            "--resource",
            &arn(TLS),
            "--control",
            "ElastiCache.6",
            "--answers",
            &answers,
            "--approver",
            "Taro Yamada",
        ],
    );
    run.expect_code(0);
    let (history, state) = auth_history(&emu, TLS);
    let hash = sha256(TOKEN);
    assert_eq!(
        history,
        [
            ("ROTATE".to_owned(), hash.clone()),
            ("SET".to_owned(), hash.clone())
        ]
    );
    assert_eq!(state["accepts_unauthenticated"], json!(false));
    assert!(auth_enabled(&emu, TLS).await);
    assert!(run.stderr().contains("modifying"), "{}", run.stderr());
    let (_, status, note, _) = emu.finding_on(&arn(TLS)).await;
    assert_eq!(status, "RESOLVED");
    for (what, text) in [
        ("stdout", run.stdout()),
        ("stderr (logs at trace)", run.stderr()),
        ("state dir (journal)", everything_written(&hubfix)),
        ("finding note", note),
    ] {
        assert!(!text.contains(TOKEN), "the token is in {what}");
        assert!(
            !text.contains(&TOKEN[..12]),
            "part of the token is in {what}"
        );
    }
    assert!(
        run.stderr().contains("INFO") && run.stderr().contains("calling"),
        "logs were on: {}",
        run.stderr()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_between_the_phases_pauses_and_resume_finishes_with_the_same_token() {
    let (emu, hubfix) = seeded("elasticache");
    let paused = hubfix.run_with(
        &[("REDIS_TOKEN", TOKEN)],
        &[
            "run",
            "--resource",
            TLS,
            "--control",
            "ElastiCache.6",
            "--answers",
            &answers(&hubfix, false),
        ],
    );
    paused.expect_code(3);
    assert!(
        paused.stderr().contains("hubfix resume"),
        "{}",
        paused.stderr()
    );
    let (history, state) = auth_history(&emu, TLS);
    assert_eq!(history.len(), 1);
    assert_eq!(
        state["accepts_unauthenticated"],
        json!(true),
        "open until phase 2"
    );
    let run_id = hubfix.last_run_id();

    let wrong = hubfix.run_with(
        &[("REDIS_TOKEN", "Another-token-1234567")],
        &["resume", &run_id, "--answers", &answers(&hubfix, true)],
    );
    wrong.expect_code(2);
    assert!(
        wrong.stderr().contains("not the one given earlier"),
        "{}",
        wrong.stderr()
    );
    assert_eq!(
        auth_history(&emu, TLS).0.len(),
        1,
        "no SET with another token"
    );

    let resumed = hubfix.run_with(
        &[("REDIS_TOKEN", TOKEN)],
        &["resume", &run_id, "--answers", &answers(&hubfix, true)],
    );
    resumed.expect_code(0);
    let hash = sha256(TOKEN);
    assert_eq!(
        auth_history(&emu, TLS).0,
        [
            ("ROTATE".to_owned(), hash.clone()),
            ("SET".to_owned(), hash)
        ]
    );
    assert!(!everything_written(&hubfix).contains(TOKEN));
}

const PLAIN: &str = "demo-redis-plain";

/// The engine and in-transit encryption changes the emulator accepted for a group, in order:
/// [(change, value)].
fn changes(emu: &Emulator, group: &str) -> Vec<(String, String)> {
    let all = emu.test_api("GET", "/hubfix-test/elasticache-changes", Value::Null);
    all[group]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap().to_owned(),
                c["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The group's (TLS on, mode, AUTH on) and its members' engine versions.
async fn plain_state(emu: &Emulator) -> ((bool, Option<String>, bool), Vec<String>) {
    let client = emu.elasticache().await;
    let out = client
        .describe_replication_groups()
        .replication_group_id(PLAIN)
        .send()
        .await
        .unwrap();
    let g = &out.replication_groups()[0];
    let clusters = client.describe_cache_clusters().send().await.unwrap();
    let versions = clusters
        .cache_clusters()
        .iter()
        .filter(|c| c.replication_group_id() == Some(PLAIN))
        .map(|c| c.engine_version().unwrap_or_default().to_owned())
        .collect();
    (
        (
            g.transit_encryption_enabled() == Some(true),
            g.transit_encryption_mode().map(|m| m.as_str().to_owned()),
            g.auth_token_enabled() == Some(true),
        ),
        versions,
    )
}

fn plain_answers(hubfix: &Hubfix, more: &str) -> String {
    hubfix.answers(&format!(
        "resources:\n  {PLAIN}: {{ intended: false, target_version: \"7.1\", upgrade_now: true, {more} }}\n"
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn from_5_0_6_without_tls_upgrade_then_tls_then_auth_with_a_pause_for_the_clients_and_resume()
{
    let (emu, hubfix) = seeded("elasticache");
    let paused = hubfix.run_with(
        &[("REDIS_TOKEN", TOKEN)],
        &[
            "run",
            "--resource",
            &arn(PLAIN),
            "--control",
            "ElastiCache.6",
            "--answers",
            &plain_answers(
                &hubfix,
                "continue_after_upgrade: true, clients_on_tls: false",
            ),
            "--approver",
            "Taro Yamada",
        ],
    );
    paused.expect_code(3);
    let out = format!("{}{}", paused.stdout(), paused.stderr());
    assert!(out.contains("Clients must now connect with TLS"), "{out}");
    assert!(out.contains("hubfix resume"), "{out}");
    // The exact call of each phase was shown before its question.
    for call in [
        r#"elasticache:ModifyReplicationGroup {"ApplyImmediately":true,"EngineVersion":"7.1","ReplicationGroupId":"demo-redis-plain"}"#,
        r#""TransitEncryptionEnabled":true,"TransitEncryptionMode":"preferred""#,
        r#""TransitEncryptionEnabled":true,"TransitEncryptionMode":"required""#,
    ] {
        assert!(out.contains(call), "{call} not shown: {out}");
    }
    assert_eq!(
        changes(&emu, PLAIN),
        [
            ("EngineVersion".to_owned(), "7.1.0".to_owned()),
            ("TransitEncryptionMode".to_owned(), "preferred".to_owned())
        ]
    );
    assert_eq!(
        plain_state(&emu).await,
        (
            (true, Some("preferred".to_owned()), false),
            vec!["7.1.0".to_owned(), "7.1.0".to_owned()]
        )
    );
    assert!(
        auth_history(&emu, PLAIN).0.is_empty(),
        "no AUTH before TLS is required"
    );
    let (_, status, _, _) = emu.finding_on(&arn(PLAIN)).await;
    assert_ne!(status, "RESOLVED");
    let run_id = hubfix.last_run_id();

    let resumed = hubfix.run_with(
        &[("REDIS_TOKEN", TOKEN)],
        &[
            "resume",
            &run_id,
            "--answers",
            &plain_answers(
                &hubfix,
                "clients_on_tls: true, auth_token: { env: REDIS_TOKEN }, apply_now: true, clients_updated: true",
            ),
        ],
    );
    resumed.expect_code(0);
    assert_eq!(
        changes(&emu, PLAIN),
        [
            ("EngineVersion".to_owned(), "7.1.0".to_owned()),
            ("TransitEncryptionMode".to_owned(), "preferred".to_owned()),
            ("TransitEncryptionMode".to_owned(), "required".to_owned())
        ],
        "resume went on from the question: no second upgrade or preferred"
    );
    let hash = sha256(TOKEN);
    assert_eq!(
        auth_history(&emu, PLAIN).0,
        [
            ("ROTATE".to_owned(), hash.clone()),
            ("SET".to_owned(), hash)
        ]
    );
    assert_eq!(
        plain_state(&emu).await,
        (
            (true, Some("required".to_owned()), true),
            vec!["7.1.0".to_owned(), "7.1.0".to_owned()]
        )
    );
    let (_, status, note, _) = emu.finding_on(&arn(PLAIN)).await;
    assert_eq!(status, "RESOLVED");
    assert!(
        note.contains("upgraded to Redis 7.1, TLS required, Redis AUTH enabled"),
        "{note}"
    );
    assert!(!everything_written(&hubfix).contains(TOKEN));
    assert!(!note.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_may_stop_after_the_upgrade_and_the_finding_is_resolved_as_out_of_scope() {
    let (emu, hubfix) = seeded("elasticache");
    let run = hubfix.run(&[
        "run",
        "--resource",
        &arn(PLAIN),
        "--control",
        "ElastiCache.6",
        "--answers",
        &plain_answers(&hubfix, "continue_after_upgrade: false"),
        "--approver",
        "Taro Yamada",
    ]);
    run.expect_code(0);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert!(out.contains("out of ElastiCache.6's scope"), "{out}");
    assert_eq!(
        changes(&emu, PLAIN),
        [("EngineVersion".to_owned(), "7.1.0".to_owned())]
    );
    assert_eq!(
        plain_state(&emu).await,
        (
            (false, None, false),
            vec!["7.1.0".to_owned(), "7.1.0".to_owned()]
        )
    );
    let (_, status, note, _) = emu.finding_on(&arn(PLAIN)).await;
    assert_eq!(status, "RESOLVED");
    assert!(
        note.contains("upgraded to Redis 7.1") && note.contains("out of the control's scope"),
        "{note}"
    );
}

#[test]
fn no_to_the_upgrade_changes_nothing() {
    let (emu, hubfix) = seeded("elasticache");
    let answers = hubfix.answers(&format!(
        "resources:\n  {PLAIN}: {{ intended: false, target_version: \"7.1\", upgrade_now: false }}\n"
    ));
    let run = hubfix.run(&[
        "run",
        "--resource",
        PLAIN,
        "--control",
        "ElastiCache.6",
        "--answers",
        &answers,
    ]);
    run.expect_code(3);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert!(out.contains("a Redis AUTH token needs it"), "{out}");
    assert!(out.contains("from a backup"), "{out}");
    assert!(out.contains("Stopped: nothing was changed"), "{out}");
    assert!(!emu.actions().contains(&"ModifyReplicationGroup".to_owned()));
    assert!(
        emu.actions()
            .contains(&"DescribeCacheEngineVersions".to_owned())
    );
}

#[test]
fn a_bad_token_is_refused_before_any_call_without_being_shown() {
    let (emu, hubfix) = seeded("elasticache");
    let bad = "bad@token-but-long-enough";
    let answers = answers(&hubfix, true);
    let run = hubfix.run_with(
        &[("REDIS_TOKEN", bad)],
        &[
            "run",
            "--resource",
            TLS,
            "--control",
            "ElastiCache.6",
            "--answers",
            &answers,
        ],
    );
    run.expect_code(2);
    assert!(run.stderr().contains("auth_token"), "{}", run.stderr());
    assert!(!run.stderr().contains(bad) && !run.stdout().contains(bad));
    assert!(!emu.actions().contains(&"ModifyReplicationGroup".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_generates_the_token_into_a_private_file_in_a_terminal() {
    use expectrl::Expect;
    let (emu, hubfix) = seeded("elasticache");
    let file = hubfix.state_dir().join("redis-token.txt");
    let mut cmd = hubfix.command(&[
        "run",
        "--resource",
        TLS,
        "--control",
        "ElastiCache.6",
        "--approver",
        "Hanako Sato",
    ]);
    cmd.env("TERM", "xterm-256color");
    let mut p = expectrl::Session::spawn(cmd).expect("a pseudo-terminal");
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    p.expect("has no Redis AUTH?").unwrap();
    p.send("n").unwrap();
    p.expect("Generate a random 64-character value").unwrap();
    p.send("\x1b[B").unwrap(); // arrow down to "Generate"
    p.send("\r").unwrap();
    p.expect("Save it to").unwrap();
    // Replace the default path with ours.
    p.send("\x15").unwrap();
    p.send(format!("{}\r", file.display())).unwrap();
    p.expect("mode 0600").unwrap();
    p.expect("Start phase 1 (ROTATE)").unwrap();
    p.send("y").unwrap();
    p.expect("send the token now?").unwrap();
    p.send("y").unwrap();
    p.expect("fixed").unwrap();
    let status = p.get_process().wait().unwrap();
    assert!(format!("{status:?}").ends_with(", 0)"), "{status:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let token = std::fs::read_to_string(&file)
        .unwrap()
        .trim_end()
        .to_owned();
    assert_eq!(token.len(), 64);
    let (history, _) = auth_history(&emu, TLS);
    assert_eq!(history.last().unwrap(), &("SET".to_owned(), sha256(&token)));
    assert!(auth_enabled(&emu, TLS).await);
}
