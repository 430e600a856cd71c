//! Snapshots of what a person reads, from the real binary against the emulator: `hubfix plan`
//! for every control (every branch, and the path an answers file chooses), the approval
//! listings a run prints before each change, the findings, triage and summary tables, and
//! the error messages an operator most likely meets.
//!
//! The snapshots are in `tests/hubfix/snapshots/`. After a deliberate change of wording,
//! rewrite them with `INSTA_UPDATE=always cargo test --test hubfix snapshots` and review the
//! diff (or rename the `.snap.new` files insta leaves next to them). Under CI (`CI` set) a
//! snapshot that differs, or is missing, fails the test and nothing is written.
//!
//! What changes from run to run is replaced before comparing (`redact`): temporary
//! directories, run ids (time and random suffix), dates and times, finding UUIDs, DMS's random
//! resource ids, VPC and security group ids, elapsed seconds, the emulator's port and a
//! finding's age. Every replacement keeps the width of what it replaces, so the tables
//! stay aligned as hubfix printed them.
//!
//! JSON objects in the listings are in the order the test build prints them: the
//! dev-dependencies turn on serde_json's `preserve_order` (through aws-smithy-http-client's
//! `test-util`), so keys keep their insertion order here, where a `cargo build` binary sorts them.

use crate::emulator::{Emulator, Hubfix, Run, seeded};

/// Regex filters for what differs between runs, each replacement as wide as the original.
const FILTERS: &[(&str, &str)] = &[
    // Session ids: `s-<UTC time to the minute>-<4 hex>`.
    (r"\bs-\d{8}T\d{4}Z-[0-9a-f]{4}\b", "s-YYYYMMDDTHHMMZ-hhhh"),
    // Run ids: `<UTC time>-<control>-<resource name>-<4 hex>`; DMS names are random ids.
    (r"\b\d{8}T\d{6}Z-", "YYYYMMDDTHHMMSSZ-"),
    (
        r"(YYYYMMDDTHHMMSSZ-dms[19]-)[a-z0-9]{27}\b",
        "${1}dmsidxxxxxxxxxxxxxxxxxxxxxx",
    ),
    (
        r"(YYYYMMDDTHHMMSSZ-dms[19]-)[a-z0-9]{26}\b",
        "${1}dmsidxxxxxxxxxxxxxxxxxxxxx",
    ),
    (r"(YYYYMMDDTHHMMSSZ-[a-z0-9.-]+)-[0-9a-f]{4}\b", "${1}-hhhh"),
    // Times and dates (journal times, note dates).
    (
        r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z",
        "YYYY-MM-DDTHH:MM:SSZ",
    ),
    (r"\b20\d\d-\d\d-\d\d\b", "YYYY-MM-DD"),
    // Finding ids end in a random UUID.
    (
        r"(finding/)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "${1}xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    ),
    // DMS endpoints (27 characters), instances, tasks and certificates (26) have random ids.
    (r"\b[A-Z][A-Z0-9]{26}\b", "DMSIDXXXXXXXXXXXXXXXXXXXXXX"),
    (r"\b[A-Z][A-Z0-9]{25}\b", "DMSIDXXXXXXXXXXXXXXXXXXXXX"),
    // EC2 ids the emulator makes up.
    (r"\bvpc-[0-9a-f]{17}\b", "vpc-xxxxxxxxxxxxxxxxx"),
    (r"\bsg-[0-9a-f]{17}\b", "sg-xxxxxxxxxxxxxxxxx"),
    (r"\bsubnet-[0-9a-f]{17}\b", "subnet-xxxxxxxxxxxxxxxxx"),
    (r"\brtb-[0-9a-f]{17}\b", "rtb-xxxxxxxxxxxxxxxxx"),
    (r"\bvpce-[0-9a-f]{17}\b", "vpce-xxxxxxxxxxxxxxxxx"),
    // Elapsed time of waits: `(0s)`, `[3s]`.
    (r"\((\d+)s\)", "(Ns)"),
    (r"\[(\d+)s\]", "[Ns]"),
    // The emulator's port.
    (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
    // Tables show finding ids by the first 8 characters of their random UUID.
    (r"(?m)^[0-9a-f]{8}(\s)", "xxxxxxxx${1}"),
    // A saved plan's SHA-256 hashes its times and ids.
    (
        r"\b[0-9a-f]{64}\b",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ),
    // Answers files are named by their length, which may hold random ids.
    (r"answers-\d+\.yaml", "answers-NNN.yaml"),
];

/// The run as a person sees it: exit code, stdout and stderr, with the temporary directory
/// and the repository's path replaced. Fails on terminal control sequences: without a
/// terminal, hubfix prints plain text.
fn transcript(hubfix: &Hubfix, run: &Run) -> String {
    let mut out = format!("exit code: {}\n", run.code());
    for (name, text) in [("stdout", run.stdout()), ("stderr", run.stderr())] {
        if !text.is_empty() {
            out.push_str(&format!("--- {name}\n{text}"));
            if !text.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    assert!(
        !out.contains('\x1b'),
        "terminal control sequences without a terminal:\n{out}"
    );
    out.replace(&hubfix.state.path().display().to_string(), "[TMP]")
        .replace(env!("CARGO_MANIFEST_DIR"), "[REPO]")
}

/// Compares `text` with the snapshot `name`, after the filters.
#[track_caller]
fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (regex, replacement) in FILTERS {
        settings.add_filter(regex, *replacement);
    }
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// Runs hubfix and snapshots what it printed, after checking the exit code.
#[track_caller]
fn snap_run(hubfix: &Hubfix, name: &str, code: i32, env: &[(&str, &str)], args: &[&str]) -> Run {
    let run = hubfix.run_with(env, args);
    run.expect_code(code);
    snapshot(name, &transcript(hubfix, &run));
    run
}

/// The arguments of several parts, in order.
fn cat<'a>(parts: &[&[&'a str]]) -> Vec<&'a str> {
    parts.concat()
}

/// The table that ends a run's output (the summary): the lines after the last blank line.
fn last_table(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.is_empty())
        .map_or(0, |i| i + 1);
    lines[start..].join("\n") + "\n"
}

/// The table that starts a run's output (the triage): the lines before the first blank line.
fn first_table(text: &str) -> String {
    text.lines()
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

const REDSHIFT_FIX: &str =
    "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n";
const REDSHIFT_SUPPRESS: &str = "controls:\n  Redshift.7: { intended: true, reason: \"Legacy ETL needs public S3 until 2027-03\" }\n";

#[test]
fn redshift_7_plan_listings_and_summary() {
    let (_emu, hubfix) = seeded("redshift");
    let r7 = ["--control", "Redshift.7"];
    snap_run(&hubfix, "plan_redshift_7", 0, &[], &cat(&[&["plan"], &r7]));
    let fix = hubfix.answers(REDSHIFT_FIX);
    let suppress = hubfix.answers(REDSHIFT_SUPPRESS);
    for (name, answers) in [
        ("plan_answers_redshift_7_fix", &fix),
        ("plan_answers_redshift_7_suppress", &suppress),
    ] {
        let args = ["plan", r7[0], r7[1], "--answers", answers];
        snap_run(
            &hubfix,
            name,
            0,
            &[],
            &cat(&[&args, &["--approver", "Taro Yamada"]]),
        );
    }
    // The run: triage table, the approval listings before the change, the wait, the summary.
    snap_run(
        &hubfix,
        "run_redshift_7_fix",
        0,
        &[],
        &[
            "run",
            r7[0],
            r7[1],
            "--answers",
            &fix,
            "--approver",
            "Taro Yamada",
        ],
    );
    // Resuming a run that ended: nothing to resume.
    let run_id = hubfix.last_run_id();
    snap_run(
        &hubfix,
        "error_resume_a_finished_run",
        2,
        &[],
        &["resume", &run_id, "--answers", &fix],
    );
}

/// A saved plan as people read and diff it, and `plan --out` and `apply` as they print.
#[test]
fn redshift_7_saved_plan_and_apply() {
    let (_emu, hubfix) = seeded("redshift");
    let fix = hubfix.answers(REDSHIFT_FIX);
    let path = hubfix.state.path().join("change.json");
    let file = path.display().to_string();
    let r7 = ["--control", "Redshift.7"];
    let plan = ["plan", r7[0], r7[1], "--answers", &fix, "--out", &file];
    snap_run(&hubfix, "plan_out_redshift_7", 0, &[], &plan);
    let text = std::fs::read_to_string(&path).unwrap();
    snapshot("plan_file_redshift_7", &text);
    let apply = ["apply", &file, "--approver", "Hanako Sato"];
    snap_run(&hubfix, "apply_redshift_7", 0, &[], &apply);
}

const DMS1_RECREATE: &str = "controls:\n  DMS.1: { intended: false, strategy: recreate, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n";
const DMS1_REPLACE: &str = "controls:\n  DMS.1: { intended: false, strategy: replace, new_identifier: demo-private-copy, stop_tasks: true, restart_tasks: true, confirm_delete: true }\n";
const DMS1_SUPPRESS: &str =
    "controls:\n  DMS.1: { intended: true, reason: \"Vendor VPN not ready\" }\n";

#[test]
fn dms_1_plan_listings_and_summary() {
    let (_emu, hubfix) = seeded("dms");
    snap_run(
        &hubfix,
        "plan_dms_1",
        0,
        &[],
        &["plan", "--control", "DMS.1"],
    );
    let recreate = hubfix.answers(DMS1_RECREATE);
    for (name, yaml) in [
        ("plan_answers_dms_1_recreate", DMS1_RECREATE),
        ("plan_answers_dms_1_replace", DMS1_REPLACE),
        ("plan_answers_dms_1_suppress", DMS1_SUPPRESS),
    ] {
        let answers = hubfix.answers(yaml);
        snap_run(
            &hubfix,
            name,
            0,
            &[],
            &[
                "plan",
                "--control",
                "DMS.1",
                "--answers",
                &answers,
                "--approver",
                "Taro Yamada",
            ],
        );
    }
    snap_run(
        &hubfix,
        "run_dms_1_recreate",
        0,
        &[],
        &[
            "run",
            "--control",
            "DMS.1",
            "--answers",
            &recreate,
            "--approver",
            "Taro Yamada",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dms_9_plan_listings_and_summary() {
    let (emu, hubfix) = seeded("dms");
    // Every branch for each of the three failing endpoints (MySQL, PostgreSQL, a Redshift target).
    snap_run(
        &hubfix,
        "plan_dms_9",
        0,
        &[],
        &["plan", "--control", "DMS.9"],
    );
    let (arn, _, _) = crate::e2e_dms9::endpoint(&emu, "demo-source-mysql").await;
    let instance = crate::e2e_dms9::instance_arn(&emu, "demo-private-dms").await;
    let pem = crate::e2e_dms9::ca_pem();
    let import = hubfix.answers(&format!(
        "controls:\n  DMS.9: {{ intended: false, ssl_mode: verify-full, ca_certificate: import, ca_pem_file: \"{pem}\", test_instance: \"{instance}\", apply_now: true, rollback: true }}\n"
    ));
    let suppress = hubfix
        .answers("controls:\n  DMS.9: { intended: true, reason: \"Internal network only\" }\n");
    let mysql = ["--control", "DMS.9", "--resource", arn.as_str()];
    for (name, answers) in [
        ("plan_answers_dms_9_import", &import),
        ("plan_answers_dms_9_suppress", &suppress),
    ] {
        let args = cat(&[
            &["plan"],
            &mysql,
            &["--answers", answers, "--approver", "Taro Yamada"],
        ]);
        snap_run(&hubfix, name, 0, &[], &args);
    }
    let args = cat(&[
        &["run"],
        &mysql,
        &["--answers", &import, "--approver", "Taro Yamada"],
    ]);
    snap_run(&hubfix, "run_dms_9_import", 0, &[], &args);
}

const TOKEN: (&str, &str) = ("REDIS_TOKEN", "Tz9-Kq7!xW#m2$Lp^a<b>Vr8-snap");

#[test]
fn elasticache_6_plan_listings_and_summary() {
    let (_emu, hubfix) = seeded("elasticache");
    // Every branch for both groups: one with in-transit encryption, one without.
    snap_run(
        &hubfix,
        "plan_elasticache_6",
        0,
        &[],
        &["plan", "--control", "ElastiCache.6"],
    );
    let tls = [
        "--control",
        "ElastiCache.6",
        "--resource",
        "arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:demo-redis-tls",
    ];
    let fix = hubfix.answers(
        "controls:\n  ElastiCache.6: { intended: false, auth_token: { env: REDIS_TOKEN }, apply_now: true, clients_updated: true }\n",
    );
    let suppress = hubfix.answers(
        "controls:\n  ElastiCache.6: { intended: true, reason: \"Clients cannot send AUTH yet\" }\n",
    );
    for (name, answers) in [
        ("plan_answers_elasticache_6_fix", &fix),
        ("plan_answers_elasticache_6_suppress", &suppress),
    ] {
        let args = cat(&[
            &["plan"],
            &tls,
            &["--answers", answers, "--approver", "Taro Yamada"],
        ]);
        snap_run(&hubfix, name, 0, &[TOKEN], &args);
    }
    let args = cat(&[
        &["run"],
        &tls,
        &["--answers", &fix, "--approver", "Taro Yamada"],
    ]);
    let run = snap_run(&hubfix, "run_elasticache_6_fix", 0, &[TOKEN], &args);
    assert!(!run.stderr().contains(TOKEN.1), "the token is never shown");
}

/// The findings table and, for a run over every control, the triage table and the summary.
/// The changes themselves run in parallel and their lines interleave in any order: only the
/// tables before and after them are compared (the summary lists the runs in a fixed order:
/// those that ended while questions were asked, then the others in triage order).
#[test]
fn findings_triage_and_summary_tables_of_every_control() {
    let (_emu, hubfix) = seeded("redshift,dms,elasticache");
    let findings = hubfix.run(&["findings"]);
    findings.expect_code(0);
    // The AGE column (the last) counts minutes since the demo was seeded.
    let table = transcript(&hubfix, &findings)
        .lines()
        .map(|l| match l.rsplit_once("  ") {
            Some((rest, age))
                if age.ends_with('m') && age[..age.len() - 1].parse::<u32>().is_ok() =>
            {
                format!("{rest}  Nm")
            }
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    snapshot("findings_table", &(table + "\n"));

    let answers = hubfix.answers(
        "approver: Hanako Sato\ncontrols:\n  Redshift.7: { intended: true, reason: \"Legacy ETL until 2027-03\" }\n  DMS.1: { intended: true, reason: \"Vendor VPN not ready\" }\n  DMS.9: { intended: true, reason: \"Internal network only\" }\n  ElastiCache.6: { intended: true, reason: \"Clients cannot send AUTH yet\" }\n",
    );
    let run = hubfix.run(&["run", "--answers", &answers, "--parallel", "4"]);
    run.expect_code(0);
    let err = transcript(&hubfix, &run);
    let err = err.split_once("--- stderr\n").expect("stderr").1;
    snapshot(
        "triage_and_summary_every_control",
        &format!(
            "{}\n[…the changes, in parallel…]\n\n{}",
            first_table(err),
            last_table(err)
        ),
    );
}

/// A fleet of Redshift clusters with every outcome: fixed, suppressed (by a per-resource
/// answer), and failed (a finding whose cluster is gone), with the resume command.
#[tokio::test(flavor = "multi_thread")]
async fn summary_table_of_a_fleet_with_mixed_outcomes() {
    let emu = Emulator::start();
    emu.seed_demo();
    emu.add_failing_clusters(&["fleet-01".to_owned(), "fleet-02".to_owned()])
        .await;
    emu.import_findings(1).await;
    let hubfix = Hubfix::new(&emu);
    let answers = hubfix.answers(&format!(
        "{REDSHIFT_FIX}resources:\n  fleet-02: {{ intended: true, reason: \"Decommissioned in March\" }}\n"
    ));
    let run = hubfix.run(&[
        "run",
        "--control",
        "Redshift.7",
        "--answers",
        &answers,
        "--approver",
        "Taro Yamada",
        "--parallel",
        "3",
    ]);
    run.expect_code(1);
    let err = transcript(&hubfix, &run);
    let err = err.split_once("--- stderr\n").expect("stderr").1;
    // The answers come from a file and nothing is deleted: each run goes on to its changes
    // once prepared, and the runs' lines (each prefixed with its resource) interleave. Each
    // run's own lines are in order: shown run by run, between the triage and the summary.
    let mut runs: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    let mut between = Vec::new();
    for line in err.lines() {
        match line.strip_prefix('[').and_then(|l| l.split_once("] ")) {
            Some((name, text)) => runs.entry(name).or_default().push(text),
            None => between.push(line),
        }
    }
    let mut text = first_table(err);
    for line in between.iter().filter(|l| l.starts_with("Every answer")) {
        text.push_str(&format!("\n{line}\n"));
    }
    for (name, lines) in runs {
        text.push_str(&format!("\n── [{name}] ──\n{}\n", lines.join("\n")));
    }
    text.push_str(&format!("\n{}", last_table(err)));
    snapshot("fleet_questions_and_summary", &text);
}

/// Errors refused before any AWS call: no emulator needed.
#[test]
fn errors_before_any_aws_call() {
    let hubfix = Hubfix::offline();
    let fix = hubfix.answers(REDSHIFT_FIX);
    snap_run(
        &hubfix,
        "error_unknown_control",
        2,
        &[],
        &["run", "--control", "S3.1", "--answers", &fix],
    );
    snap_run(
        &hubfix,
        "error_resource_without_control",
        2,
        &[],
        &["plan", "--resource", "my-cluster"],
    );
    snap_run(
        &hubfix,
        "error_no_terminal_no_answers",
        2,
        &[],
        &["run", "--control", "Redshift.7"],
    );
    let malformed = hubfix.answers("controls:\n  Redshift.7: { intended: maybe-not\n");
    snap_run(
        &hubfix,
        "error_answers_file_malformed",
        2,
        &[],
        &["run", "--control", "Redshift.7", "--answers", &malformed],
    );
    let misspelt =
        hubfix.answers("approver: Taro Yamada\ncontrol:\n  Redshift.7: { intended: false }\n");
    snap_run(
        &hubfix,
        "error_answers_file_unknown_key",
        2,
        &[],
        &["run", "--control", "Redshift.7", "--answers", &misspelt],
    );
    let dir = hubfix.state.path().join("runbooks");
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.yaml");
    std::fs::write(
        &broken,
        "control: X.1\ntitle: {en: t, ja: t}\nseverity: LOW\nresource_type: T\nsteps:\n  - note: {id: a, text: {en: x}}\n",
    )
    .unwrap();
    snap_run(
        &hubfix,
        "error_validate_broken_runbook",
        2,
        &[],
        &["validate", broken.to_str().unwrap()],
    );
    snap_run(
        &hubfix,
        "error_resume_unknown_run",
        2,
        &[],
        &[
            "resume",
            "20261122T213000Z-redshift7-test-redshift-cluster-3f2a",
        ],
    );
    let no_credentials = hubfix.run_without(
        &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        &["findings"],
    );
    no_credentials.expect_code(2);
    snapshot(
        "error_no_credentials",
        &transcript(&hubfix, &no_credentials),
    );
}

/// Errors of a run against resources: a missing and a wrongly typed answer (the run ends
/// `needs_input`, nothing changed), an unknown finding id, a resource of another account.
#[test]
fn errors_of_a_run() {
    let (_emu, hubfix) = seeded("redshift");
    let missing =
        hubfix.answers("controls:\n  Redshift.7: { intended: false, prerequisites_met: true }\n");
    snap_run(
        &hubfix,
        "error_answers_file_missing_answer",
        2,
        &[],
        &["run", "--control", "Redshift.7", "--answers", &missing],
    );
    let wrong = hubfix.answers(
        "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: \"yes\" }\n",
    );
    snap_run(
        &hubfix,
        "error_answers_file_wrong_type",
        2,
        &[],
        &["run", "--control", "Redshift.7", "--answers", &wrong],
    );
    let fix = hubfix.answers(REDSHIFT_FIX);
    snap_run(
        &hubfix,
        "error_unknown_finding",
        2,
        &[],
        &["run", "--finding", "no-such-finding", "--answers", &fix],
    );
    snap_run(
        &hubfix,
        "error_resource_of_another_account",
        2,
        &[],
        &[
            "run",
            "--control",
            "Redshift.7",
            "--resource",
            "arn:aws:redshift:ap-northeast-1:999999999999:cluster:test-redshift-cluster",
            "--answers",
            &fix,
        ],
    );
}
