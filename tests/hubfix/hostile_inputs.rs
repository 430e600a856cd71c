//! Hostile and broken input (issue 13, "nothing lost, nothing doubled, nothing endless"):
//! runbooks that would loop forever or never end, numbers without bounds, a journal line that
//! is not UTF-8, secret files that are devices, FIFOs or too large, control characters from
//! AWS or files, approvers and reasons that do not fit a finding note, and the messages an
//! operator reads when the input is wrong or AWS cannot be reached.

use crate::emulator::{Hubfix, Run, seeded};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

const CLUSTER: &str = "test-redshift-cluster";
const FIX: &str =
    "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n";

/// Runs the binary, failing the test (and killing it) if it takes longer than `limit`: a
/// read that blocks or never ends must show up as a failure, not as a hung test suite.
fn run_within(hubfix: &Hubfix, env: &[(&str, &str)], args: &[&str], limit: Duration) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = hubfix
        .command(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "hubfix {args:?} did not finish within {limit:?}; stderr so far:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run(Output {
        status,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read(&err_path).unwrap(),
    })
}

fn runbook_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

const HEAD: &str = "control: X.1\ntitle: {en: t, ja: t}\nseverity: LOW\nresource_type: AwsRedshiftCluster\nsteps:\n";

mod unbounded_runbooks {
    use super::*;

    #[test]
    fn validate_refuses_a_loop_without_a_prompt_or_wait_and_a_runbook_without_an_end() {
        let looping = format!(
            "{HEAD}  - note: {{id: a, text: {{en: x, ja: x}}}}\n  - assert:\n      id: b\n      that: run.id\n      text: {{en: x, ja: x}}\n      branches:\n        - {{when: run.id, next: a}}\n  - end: {{id: done, outcome: fixed, text: {{en: e, ja: e}}}}\n"
        );
        let endless = format!(
            "{HEAD}  - prompt:\n      id: q\n      kind: confirm\n      text: {{en: q, ja: q}}\n      next: q\n"
        );
        let dir = runbook_dir(&[("looping.yaml", &looping), ("endless.yaml", &endless)]);
        let hubfix = Hubfix::offline();
        let run = hubfix.run(&["validate", dir.path().to_str().unwrap()]);
        run.expect_code(2);
        let err = run.stderr();
        assert!(
            err.contains("looping.yaml:6:")
                && err.contains("`a`, `b`")
                && err.contains("no prompt and no wait"),
            "{err}"
        );
        assert!(
            err.contains("endless.yaml:6:") && err.contains("never reaches an `end` step"),
            "{err}"
        );
        assert!(run.stdout().is_empty(), "{}", run.stdout());
    }

    #[test]
    fn the_built_in_runbooks_still_validate() {
        let run = Hubfix::offline().run(&["validate"]);
        run.expect_code(0);
        assert_eq!(run.stdout().lines().count(), 4, "{}", run.stdout());
    }

    #[test]
    fn a_generate_length_that_panicked_a_run_is_refused_by_validate() {
        let text = format!(
            "{HEAD}  - prompt:\n      id: token\n      kind: secret\n      text: {{en: t, ja: t}}\n      rules: {{min_length: 16, max_length: 18446744073709551615, characters: a-z}}\n      generate: 18446744073709551615\n  - end: {{id: done, outcome: fixed, text: {{en: e, ja: e}}}}\n"
        );
        let dir = runbook_dir(&[("big.yaml", &text)]);
        let run = Hubfix::offline().run(&["validate", dir.path().to_str().unwrap()]);
        run.expect_code(2);
        let err = run.stderr();
        assert!(err.contains("big.yaml:6:"), "{err}");
        assert!(err.contains("`generate: 18446744073709551615`"), "{err}");
        assert!(err.contains("`max_length`"), "{err}");
    }

    #[test]
    fn a_zero_poll_interval_is_refused() {
        let hubfix = Hubfix::offline();
        let run = hubfix.run(&["--poll-ms", "0", "controls"]);
        run.expect_code(2);
        assert!(run.stderr().contains("1..=60000"), "{}", run.stderr());
        let run = hubfix.run_with(&[("HUBFIX_POLL_MS", "0")], &["controls"]);
        run.expect_code(2);
        assert!(run.stderr().contains("1..=60000"), "{}", run.stderr());
        hubfix
            .run_with(&[("HUBFIX_POLL_MS", "60000")], &["controls"])
            .expect_code(0);
    }
}

mod journals {
    use super::*;

    #[test]
    fn a_journal_line_that_is_not_utf8_is_skipped_and_the_run_still_listed_and_resumed() {
        let (emu, hubfix) = seeded("redshift");
        let later = hubfix.answers(
            "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: false }\n",
        );
        hubfix
            .run(&["run", "--control", "Redshift.7", "--answers", &later])
            .expect_code(3);
        let run_id = hubfix.last_run_id();
        let path = hubfix
            .state_dir()
            .join("runs")
            .join(format!("{run_id}.jsonl"));
        let bytes = std::fs::read(&path).unwrap();
        let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
        assert!(lines.len() > 4);
        lines[1].insert(1, 0xFF);
        std::fs::write(&path, lines.join(&b'\n')).unwrap();

        let runs = hubfix.run(&["runs"]);
        runs.expect_code(0);
        assert!(runs.stdout().contains(&run_id), "{}", runs.stdout());
        assert!(runs.stdout().contains("stopped"), "{}", runs.stdout());
        assert!(
            runs.stderr().contains(&path.display().to_string()) && runs.stderr().contains("line 2"),
            "{}",
            runs.stderr()
        );

        let fix = hubfix.answers(FIX);
        let resumed = hubfix.run(&["resume", &run_id, "--answers", &fix]);
        resumed.expect_code(0);
        let on = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(emu.enhanced_vpc_routing(CLUSTER));
        assert!(on);
    }
}

mod secret_files {
    use super::*;

    const GROUP: &str =
        "arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:demo-redis-tls";

    fn answers_with_token_file(hubfix: &Hubfix, file: &Path) -> String {
        hubfix.answers(&format!(
            "resources:\n  demo-redis-tls: {{ intended: false, auth_token: {{ file: \"{}\" }}, apply_now: true, clients_updated: true }}\n",
            file.display()
        ))
    }

    #[test]
    fn a_device_a_fifo_and_a_large_file_are_refused_quickly_naming_the_key_and_file() {
        let (emu, hubfix) = seeded("elasticache");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("token.fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let large = dir.path().join("token.txt");
        std::fs::write(&large, "a".repeat(5 * 1024)).unwrap();

        for (file, why) in [
            (Path::new("/dev/zero"), "not a regular file"),
            (fifo.as_path(), "not a regular file"),
            (large.as_path(), "larger than 4 KiB"),
        ] {
            let answers = answers_with_token_file(&hubfix, file);
            let run = run_within(
                &hubfix,
                &[],
                &[
                    "run",
                    "--resource",
                    GROUP,
                    "--control",
                    "ElastiCache.6",
                    "--answers",
                    &answers,
                    "--approver",
                    "Taro Yamada",
                ],
                Duration::from_secs(60),
            );
            run.expect_code(2);
            let err = run.stderr();
            assert!(
                err.contains("`auth_token`")
                    && err.contains(&file.display().to_string())
                    && err.contains(why),
                "{err}"
            );
            assert!(
                !emu.actions().contains(&"ModifyReplicationGroup".to_owned()),
                "{:?}",
                emu.actions()
            );
        }
    }

    #[test]
    fn the_pem_file_check_refuses_devices_fifos_and_huge_files() {
        let check = |path: &Path| {
            let path = path.to_str().unwrap().to_owned();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(hubfix::runbook::validators::check(
                    "pem_certificate_file",
                    &path,
                ));
            });
            rx.recv_timeout(Duration::from_secs(10))
                .expect("the check answers at once")
                .expect_err("the file is refused")
        };
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("ca.fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let huge = dir.path().join("ca.pem");
        std::fs::write(&huge, "x".repeat(2 << 20)).unwrap();
        assert!(check(&fifo).contains("not a regular file"));
        assert!(check(Path::new("/dev/zero")).contains("not a regular file"));
        assert!(check(&huge).contains("larger than 1 MiB"));
    }
}

mod control_characters {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn an_escape_sequence_in_a_reason_is_shown_escaped_and_kept_out_of_the_note() {
        let (emu, hubfix) = seeded("redshift");
        let answers = hubfix.answers(
            "approver: Hanako Sato\nresources:\n  test-redshift-cluster: { intended: true, reason: \"Legacy \\e[31mETL\\u009b until 2027\" }\n",
        );
        let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
        run.expect_code(0);
        let err = run.stderr();
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{9b}'),
            "{err:?}"
        );
        assert!(err.contains("Legacy \\x1b[31mETL"), "{err}");
        let (_, status, note, _) = emu.finding_of(CLUSTER).await;
        assert_eq!(status, "SUPPRESSED");
        assert!(
            !note.contains('\u{1b}') && !note.contains('\u{9b}'),
            "{note:?}"
        );
        assert!(note.contains("Legacy \\x1b[31mETL"), "{note}");
    }

    #[test]
    fn an_unknown_control_with_an_escape_sequence_is_named_escaped() {
        let hubfix = Hubfix::offline();
        let answers = hubfix.answers(FIX);
        let run = hubfix.run(&[
            "run",
            "--control",
            "Redshift\u{1b}[2J.7",
            "--answers",
            &answers,
        ]);
        run.expect_code(2);
        assert!(!run.stderr().contains('\u{1b}'), "{:?}", run.stderr());
        assert!(
            run.stderr().contains("Redshift\\x1b[2J.7"),
            "{}",
            run.stderr()
        );
    }
}

mod approvers_and_reasons {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn a_huge_approver_is_refused_before_any_call() {
        let (emu, hubfix) = seeded("redshift");
        let name = "A".repeat(10 * 1024 * 1024);
        let answers = hubfix.answers(&format!(
            "approver: {name}\nresources:\n  test-redshift-cluster: {{ intended: true, reason: \"Legacy ETL\" }}\n"
        ));
        let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
        run.expect_code(2);
        assert!(run.stderr().contains("approver"), "{}", run.stderr());
        assert!(run.stderr().len() < 2000, "the name is not echoed");
        assert!(emu.actions().is_empty(), "{:?}", emu.actions());

        let long = "B".repeat(100 * 1024);
        for args in [
            vec![
                "run",
                "--control",
                "Redshift.7",
                "--answers",
                &answers,
                "--approver",
                &long,
            ],
            vec![
                "run",
                "--control",
                "Redshift.7",
                "--answers",
                &answers,
                "--approver",
                "  ",
            ],
        ] {
            let run = hubfix.run(&args);
            run.expect_code(2);
            assert!(run.stderr().contains("--approver"), "{}", run.stderr());
            assert!(run.stderr().len() < 2000, "the name is not echoed");
        }
        assert!(emu.actions().is_empty(), "{:?}", emu.actions());
        assert_eq!(emu.finding_of(CLUSTER).await.1, "NEW");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_empty_or_too_long_reason_is_refused_at_the_question() {
        let (emu, hubfix) = seeded("redshift");
        for reason in ["\"  \"", &"r".repeat(1000)] {
            let answers = hubfix.answers(&format!(
                "approver: Hanako Sato\nresources:\n  test-redshift-cluster: {{ intended: true, reason: {reason} }}\n"
            ));
            let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
            run.expect_code(2);
            assert!(
                run.stderr()
                    .contains("the answer to `reason` cannot be used"),
                "{}",
                run.stderr()
            );
            assert!(
                !emu.actions().contains(&"BatchUpdateFindings".to_owned()),
                "{:?}",
                emu.actions()
            );
        }
        assert_eq!(emu.finding_of(CLUSTER).await.1, "NEW");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn suppress_refuses_a_reason_that_does_not_fit_the_note_before_any_call() {
        let (emu, hubfix) = seeded("redshift");
        let (id, ..) = emu.finding_of(CLUSTER).await;
        emu.forget_requests();
        let reason = "r".repeat(1000);
        let run = hubfix.run(&[
            "suppress",
            "--finding",
            &id,
            "--reason",
            &reason,
            "--approver",
            "Taro Yamada",
            "--yes",
        ]);
        run.expect_code(2);
        assert!(run.stderr().contains("--reason"), "{}", run.stderr());
        assert!(emu.actions().is_empty(), "{:?}", emu.actions());
    }
}

mod messages {
    use super::*;

    #[test]
    fn yaml_problems_are_told_in_hubfix_words_with_the_location_once() {
        let hubfix = Hubfix::offline();
        let cases = [
            (
                "controls:\n  Redshift.7: { intended: false, intended: true }\n".to_owned(),
                "duplicate key `intended`",
            ),
            (
                format!("controls:\n{}", {
                    let mut deep = String::new();
                    for depth in 1..80 {
                        deep.push_str(&format!("{}k{depth}:\n", "  ".repeat(depth)));
                    }
                    deep
                }),
                "too large or too deeply nested",
            ),
            (
                "controls:\n  Redshift.7: { intended: maybe-not\n".to_owned(),
                "unclosed bracket",
            ),
        ];
        for (yaml, words) in cases {
            let answers = hubfix.answers(&yaml);
            let run = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
            run.expect_code(2);
            let err = run.stderr();
            assert!(err.contains(&format!("{answers}:")), "{err}");
            assert!(err.contains(words), "{err}");
            for jargon in ["DuplicateKeyPolicy", "budget breached", "at line"] {
                assert!(!err.contains(jargon), "{err}");
            }
        }

        let text = format!(
            "{HEAD}  - end: {{id: done, outcome: fixed, text: {{en: e, ja: e}}, outcome: failed}}\n"
        );
        let dir = runbook_dir(&[("dup.yaml", &text)]);
        let run = hubfix.run(&["validate", dir.path().to_str().unwrap()]);
        run.expect_code(2);
        assert!(
            run.stderr().contains("dup.yaml:6:")
                && run.stderr().contains("duplicate key `outcome`"),
            "{}",
            run.stderr()
        );
        assert!(!run.stderr().contains("at line"), "{}", run.stderr());
    }

    #[test]
    fn an_unreachable_endpoint_is_named_without_a_debug_dump() {
        let hubfix = Hubfix::offline();
        let run = run_within(
            &hubfix,
            &[],
            &["--endpoint-url", "http://127.0.0.1:9", "findings"],
            Duration::from_secs(120),
        );
        run.expect_code(1);
        let err = run.stderr();
        assert!(
            err.contains("cannot reach securityhub at http://127.0.0.1:9: connection refused; check --endpoint-url, the network or proxy settings"),
            "{err}"
        );
        for dump in ["DispatchFailure", "ConnectorError", "Os {", "hyper"] {
            assert!(!err.contains(dump), "{err}");
        }
    }
}
