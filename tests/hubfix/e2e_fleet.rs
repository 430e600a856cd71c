//! Fleet sessions end to end: several findings in one `hubfix run`, every question first,
//! then the changes in parallel, each resource with its own journal; one failure does not
//! stop the others, and Ctrl-C leaves every journal saying where it stopped.

use crate::emulator::{Emulator, Hubfix};
use std::time::Duration;

const FIX: &str =
    "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n";

async fn fleet(extra: usize) -> (Emulator, Hubfix, Vec<String>) {
    let emu = Emulator::start();
    emu.seed_demo();
    let names: Vec<String> = (1..=extra).map(|i| format!("fleet-{i:02}")).collect();
    emu.add_failing_clusters(&names).await;
    emu.forget_requests();
    let mut all = vec!["test-redshift-cluster".to_owned()];
    all.extend(names);
    let hubfix = Hubfix::new(&emu);
    (emu, hubfix, all)
}

fn journals(hubfix: &Hubfix) -> Vec<String> {
    std::fs::read_dir(hubfix.state_dir().join("runs"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn many_findings_are_fixed_in_parallel_and_one_failure_stops_no_other() {
    let (emu, hubfix, clusters) = fleet(4).await;
    // A finding whose cluster is gone: its run fails, the others go on.
    emu.import_findings(1).await;
    let answers = hubfix.answers(FIX);
    let run = hubfix.run(&[
        "run",
        "--control",
        "Redshift.7",
        "--parallel",
        "5",
        "--answers",
        &answers,
    ]);
    run.expect_code(1);
    let err = run.stderr();
    // Answers from a file and nothing deleted: each run goes on once prepared.
    assert!(
        err.contains("Every answer comes from the answers file"),
        "{err}"
    );
    for cluster in &clusters {
        assert!(emu.enhanced_vpc_routing(cluster).await, "{cluster}");
        let (_, status, note, _) = emu.finding_of(cluster).await;
        assert_eq!(status, "RESOLVED", "{cluster}");
        assert!(note.contains("enhanced VPC routing enabled"), "{note}");
    }
    assert_eq!(emu.finding_of("bulk-00000").await.1, "NEW");
    // The summary names every resource and its outcome; each run has its own journal.
    for name in clusters.iter().chain(["bulk-00000".to_owned()].iter()) {
        assert!(err.contains(name.as_str()), "{name} in the summary:\n{err}");
    }
    let fixed = err
        .lines()
        .filter(|l| l.trim_end().ends_with(" fixed"))
        .count();
    assert_eq!(fixed, 5, "{err}");
    assert_eq!(journals(&hubfix).len(), 6);
    // Each fix took the NOTIFIED lock, then resolved: two updates per fixed finding, the
    // alike ones of the session sent together.
    let actions = emu.actions();
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("ModifyCluster"), 5);
    let updates = count("BatchUpdateFindings");
    assert!((2..=10).contains(&updates), "{updates} BatchUpdateFindings");
}

/// 20 findings fixed with `--parallel 20`: the locks of the session are alike, and so are
/// the resolutions, so the 40 finding updates share far fewer BatchUpdateFindings requests
/// (Security Hub's 10 a second would otherwise hold the fleet up); every finding is still
/// RESOLVED with the session's note, and `hubfix runs --session` lists the session's runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_fleets_finding_updates_are_sent_together() {
    let (emu, hubfix, clusters) = fleet(19).await;
    assert_eq!(clusters.len(), 20);
    let answers = hubfix.answers(FIX);
    let run = hubfix.run(&[
        "run",
        "--control",
        "Redshift.7",
        "--parallel",
        "20",
        "--answers",
        &answers,
    ]);
    run.expect_code(0);
    let mut sessions = Vec::new();
    for cluster in &clusters {
        assert!(emu.enhanced_vpc_routing(cluster).await, "{cluster}");
        let (_, status, note, _) = emu.finding_of(cluster).await;
        assert_eq!(status, "RESOLVED", "{cluster}");
        let session = note
            .strip_prefix("Redshift.7: enhanced VPC routing enabled by hubfix session ")
            .and_then(|rest| rest.split_once(' '))
            .map(|(session, _)| session.to_owned())
            .unwrap_or_else(|| panic!("the session's note on {cluster}: {note}"));
        sessions.push(session);
    }
    sessions.dedup();
    assert_eq!(sessions.len(), 1, "one session: {sessions:?}");
    assert!(sessions[0].starts_with("s-"), "{sessions:?}");
    let actions = emu.actions();
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("ModifyCluster"), 20);
    let updates = count("BatchUpdateFindings");
    eprintln!("20 fixes, --parallel 20: {updates} BatchUpdateFindings");
    assert!(
        updates <= 20,
        "{updates} BatchUpdateFindings for 40 finding updates"
    );
    let listed = hubfix.run(&["--output", "json", "runs", "--session", &sessions[0]]);
    listed.expect_code(0);
    let runs: serde_json::Value = serde_json::from_str(&listed.stdout()).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 20, "{runs}");
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .all(|r| r["session"] == sessions[0].as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_every_run_and_each_journal_says_where() {
    let (emu, hubfix, clusters) = fleet(2).await;
    emu.test_api(
        "POST",
        "/hubfix-test/config",
        serde_json::json!({"redshift_modify_polls": 10000}),
    );
    let answers = hubfix.answers(FIX);
    let child = hubfix
        .command(&[
            "run",
            "--control",
            "Redshift.7",
            "--parallel",
            "3",
            "--answers",
            &answers,
        ])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until every run is waiting on a modifying cluster, then press Ctrl-C.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while journals(&hubfix)
        .iter()
        .filter(|j| j.contains("\"status\":\"modifying\""))
        .count()
        < clusters.len()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the runs never waited"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for journal in journals(&hubfix) {
        let last = journal.lines().last().unwrap();
        assert!(
            last.contains("\"event\":\"run_end\"")
                && last.contains("\"resume_at\":\"wait_available\""),
            "{last}"
        );
    }
    // The changes were made and the runs will be resumed: the findings stay NOTIFIED, a lock
    // other operators can see, until `hubfix resume` resolves them.
    for cluster in &clusters {
        assert_eq!(emu.finding_of(cluster).await.1, "NOTIFIED", "{cluster}");
    }
}

/// Open files grow with `--parallel`, not with the number of targets or of changes under
/// way: a run holds neither its journal nor its resource's lock as an open file, and a run
/// waiting on AWS gives its place to the next, so more changes than `--parallel` are under
/// way at once.
#[tokio::test(flavor = "multi_thread")]
async fn open_files_are_bounded_by_parallel_while_more_changes_are_under_way() {
    let (emu, hubfix, clusters) = fleet(11).await;
    emu.test_api(
        "POST",
        "/hubfix-test/config",
        serde_json::json!({"redshift_modify_seconds": 3}),
    );
    let answers = hubfix.answers(FIX);
    let mut child = hubfix.spawn_quiet(
        &[],
        &[
            "run",
            "--control",
            "Redshift.7",
            "--parallel",
            "2",
            "--answers",
            &answers,
        ],
    );
    let state = hubfix.state_dir();
    let fds = std::path::PathBuf::from(format!("/proc/{}/fd", child.id()));
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        let open = std::fs::read_dir(&fds)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .filter(|target| target.starts_with(&state))
            .count();
        peak = peak.max(open);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(child.wait().unwrap().success());
    assert!(peak > 0, "the run's files were seen");
    // The process's own lock holder, and at most 2 runs at work each writing a record or
    // taking a lock.
    assert!(peak <= 5, "{peak} files of the state dir open at once");
    for cluster in &clusters {
        assert!(emu.enhanced_vpc_routing(cluster).await, "{cluster}");
    }
    // Each change, from its ModifyCluster to the end of its wait, from the journals.
    let at = |line: &str| {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        chrono::DateTime::parse_from_rfc3339(record["at"].as_str().unwrap()).unwrap()
    };
    let mut spans = Vec::new();
    for journal in journals(&hubfix) {
        let sent = journal
            .lines()
            .find(|l| {
                l.contains(r#""operation":"redshift:ModifyCluster""#) && l.contains("api_call")
            })
            .map(at);
        let done = journal
            .lines()
            .find(|l| {
                l.contains(r#""event":"step_end""#) && l.contains(r#""step":"wait_available""#)
            })
            .map(at);
        spans.push((sent.expect("a change"), done.expect("its wait")));
    }
    let most = spans
        .iter()
        .map(|(start, _)| {
            spans
                .iter()
                .filter(|(s, e)| s <= start && start < e)
                .count()
        })
        .max()
        .unwrap();
    assert!(
        most > 2,
        "{most} changes under way at once with --parallel 2"
    );
}

/// Answer once for many: 20 Redshift.7 findings on a terminal. The first cluster's questions
/// are asked, then one offer to use its answers for the 19 others (listed); taken as it is,
/// no other question comes before the changes, and every cluster is fixed.
#[tokio::test(flavor = "multi_thread")]
async fn twenty_findings_on_a_terminal_take_at_most_six_answers() {
    use expectrl::Expect;
    let (emu, hubfix, clusters) = fleet(19).await;
    let mut cmd = hubfix.command(&["run", "--control", "Redshift.7", "--parallel", "20"]);
    cmd.env("TERM", "xterm-256color");
    let mut p = expectrl::Session::spawn(cmd).expect("a pseudo-terminal");
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    let prompt = r"Use the answers given for [^\n]*|[^\n]*\(y/n\)";
    let mut answers = 0;
    loop {
        let found = p.expect(expectrl::Regex(prompt)).expect("a question");
        let text = String::from_utf8_lossy(found.get(0).unwrap()).into_owned();
        answers += 1;
        assert!(answers <= 6, "more than 6 answers: {text}");
        if text.contains("Use the answers given for") {
            assert!(text.contains("the other 19 Redshift.7 resources"), "{text}");
            assert!(text.contains("fleet-01"), "the others are listed: {text}");
            p.send("\r").unwrap();
            break;
        }
        // Not intended; prerequisites met; apply now.
        p.send(if text.contains("intended") { "n" } else { "y" })
            .unwrap();
    }
    let end = p.expect(expectrl::Eof).expect("the session ends");
    let rest = String::from_utf8_lossy(end.get(0).unwrap_or_default()).into_owned();
    assert!(
        !rest.contains("(y/n)"),
        "no question after the offer:\n{rest}"
    );
    let status = p.get_process().wait().unwrap();
    assert!(format!("{status:?}").ends_with(", 0)"), "{status:?}");
    assert!(rest.contains("same as test-redshift-cluster"), "{rest}");
    for cluster in &clusters {
        assert!(emu.enhanced_vpc_routing(cluster).await, "{cluster}");
        assert_eq!(emu.finding_of(cluster).await.1, "RESOLVED", "{cluster}");
    }
}

/// Types a secret once its prompt reads it: the password prompt turns echo off with
/// TCSAFLUSH, which throws away whatever was typed before, so the test waits for echo to be
/// off (the terminal's own state, not a delay) and only then types.
fn type_secret(p: &mut expectrl::session::OsSession, text: &str) {
    use expectrl::Expect;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while p
        .get_process()
        .get_echo()
        .expect("the terminal's echo flag")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the secret prompt never turned echo off"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    p.send(format!("{text}\r")).unwrap();
}

/// A question during the changes (ElastiCache.6's "does every client send the token now?",
/// asked after ROTATE while a Redshift fix runs beside it) is asked on its own, under a line
/// naming the resource that asks, not inside a progress line; the summary line counts it.
#[tokio::test(flavor = "multi_thread")]
async fn a_question_during_the_changes_stands_out_and_names_its_resource() {
    use expectrl::Expect;
    let emu = Emulator::start();
    emu.seed("redshift,elasticache");
    let hubfix = Hubfix::new(&emu);
    let token = "Valid-token-1234567";
    let mut cmd = hubfix.command(&[
        "run",
        "--control",
        "Redshift.7",
        "--control",
        "ElastiCache.6",
        "--parallel",
        "3",
        "--approver",
        "Hanako Sato",
    ]);
    cmd.env("TERM", "xterm-256color");
    let mut p = expectrl::Session::spawn(cmd).expect("a pseudo-terminal");
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    // A question being asked starts with dialoguer's "?" (an answered one with "✔").
    let prompt = r"\?\x1b\[0m \x1b\[1m(Use the answers given for|AUTH token for|Redis 7.x version to upgrade)[^\n]*|[^\n]*\(y/n\)";
    let during = loop {
        let found = p.expect(expectrl::Regex(prompt)).expect("a question");
        let text = String::from_utf8_lossy(found.get(0).unwrap()).into_owned();
        if text.contains("send the token now?") {
            break String::from_utf8_lossy(found.before()).into_owned();
        }
        if text.contains("AUTH token for") {
            // Type it (not generate), twice.
            p.expect("Type it").unwrap();
            p.send("\r").unwrap();
            // The password prompt being asked (not the select's answered line).
            p.expect(expectrl::Regex(r"\?\x1b\[0m \x1b\[1mAUTH token for"))
                .unwrap();
            type_secret(&mut p, token);
            p.expect("Repeat").unwrap();
            type_secret(&mut p, token);
        } else if text.contains("Use the answers given for")
            || text.contains("Redis 7.x version to upgrade")
        {
            p.send("\r").unwrap();
        } else {
            // The group without TLS is not upgraded in this session.
            let no = text.contains("intended") || text.contains("Upgrade demo-redis-plain");
            p.send(if no { "n" } else { "y" }).unwrap();
        }
    };
    // Asked after the changes started, on its own under the resource's name.
    assert!(
        during.contains("Making the changes"),
        "asked during the changes:\n{during}"
    );
    assert!(
        during.contains("── a question from demo-redis-tls ──"),
        "{during}"
    );
    assert!(during.contains("question waiting"), "{during}");
    p.send("y").unwrap();
    let end = p.expect(expectrl::Eof).expect("the session ends");
    let rest = String::from_utf8_lossy(end.get(0).unwrap_or_default()).into_owned();
    assert!(!rest.contains("(y/n)"), "no other question:\n{rest}");
    assert!(!rest.contains(token), "the token is never shown");
    assert!(emu.enhanced_vpc_routing("test-redshift-cluster").await);
    assert_eq!(emu.finding_of("test-redshift-cluster").await.1, "RESOLVED");
}
