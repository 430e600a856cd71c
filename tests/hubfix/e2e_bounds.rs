//! Nothing endless and nothing done twice at once, through the real binary against the
//! emulator: a change retried through a prompt stops after its last try, a loop through a
//! prompt ends at the step cap, SIGTERM ends a run like Ctrl-C, two runs never change the
//! same resource (one machine: a lock file; across machines: the finding's note), and
//! `plan` goes on past a target it cannot read.

use crate::emulator::{Emulator, Hubfix, seeded};
use std::process::Stdio;
use std::time::{Duration, Instant};

const CLUSTER: &str = "test-redshift-cluster";
const FIX: &str =
    "controls:\n  Redshift.7: { intended: false, prerequisites_met: true, apply_now: true }\n";

/// A Redshift.7 runbook that goes back to its question whenever the change fails.
const RETRYING: &str = "control: Redshift.7\ntitle: {en: t, ja: t}\nseverity: LOW\nresource_type: AwsRedshiftCluster\nsteps:
  - prompt:
      id: apply_now
      kind: confirm
      text: {en: Enable it now?, ja: 今すぐ有効化しますか?}
  - action:
      id: enable
      call: redshift.modify_cluster
      approved_by: apply_now
      on_failure: {goto: apply_now}
      params:
        ClusterIdentifier: \"{{ resource.name }}\"
        EnhancedVpcRouting: true
  - end: {id: fixed, outcome: fixed, text: {en: done, ja: done}}
";

/// A Redshift.7 runbook whose question comes back for ever when answered yes.
const ASKING: &str = "control: Redshift.7\ntitle: {en: t, ja: t}\nseverity: LOW\nresource_type: AwsRedshiftCluster\nsteps:
  - prompt:
      id: again
      kind: confirm
      text: {en: Once more?, ja: もう一度?}
      branches:
        - {when: answers.again, next: again}
  - end: {id: done, outcome: stopped, text: {en: done, ja: done}}
";

/// Runs Redshift.7 with `runbook` in place of the built-in one, answered by `answers`.
fn run_with_runbook(hubfix: &Hubfix, runbook: &str, answers: &str) -> crate::emulator::Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("redshift-7.yaml"), runbook).unwrap();
    let answers = hubfix.answers(answers);
    hubfix.run(&[
        "--runbooks",
        dir.path().to_str().unwrap(),
        "run",
        "--control",
        "Redshift.7",
        "--answers",
        &answers,
    ])
}

fn count(emu: &Emulator, action: &str) -> usize {
    emu.actions().iter().filter(|a| *a == action).count()
}

#[test]
fn a_change_retried_through_a_prompt_stops_after_its_last_try() {
    let (emu, hubfix) = seeded("redshift");
    emu.test_api(
        "POST",
        "/hubfix-test/deny",
        serde_json::json!({"action": "ModifyCluster"}),
    );
    let run = run_with_runbook(
        &hubfix,
        RETRYING,
        "controls:\n  Redshift.7: { apply_now: true }\n",
    );
    run.expect_code(1);
    assert!(
        run.stderr().contains("step `enable` was tried 3 times"),
        "{}",
        run.stderr()
    );
    assert_eq!(count(&emu, "ModifyCluster"), 3);
}

#[test]
fn a_question_that_loops_for_ever_ends_at_the_step_cap() {
    let (_emu, hubfix) = seeded("redshift");
    let started = Instant::now();
    let run = run_with_runbook(
        &hubfix,
        ASKING,
        "controls:\n  Redshift.7: { again: true }\n",
    );
    run.expect_code(1);
    assert!(
        run.stderr().contains("stopped after 1000 steps") && run.stderr().contains("`again`"),
        "{}",
        run.stderr()
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// Starts a run that waits on a modifying cluster for long, and returns once it waits.
/// `polls`: how many describes the cluster stays `modifying` for.
pub fn run_until_waiting(emu: &Emulator, hubfix: &Hubfix, polls: u64) -> std::process::Child {
    emu.test_api(
        "POST",
        "/hubfix-test/config",
        serde_json::json!({"redshift_modify_polls": polls}),
    );
    let answers = hubfix.answers(FIX);
    let mut child = hubfix
        .command(&["run", "--control", "Redshift.7", "--answers", &answers])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let runs = hubfix.state_dir().join("runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let waiting = std::fs::read_dir(&runs)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                std::fs::read_to_string(e.path())
                    .unwrap_or_default()
                    .contains(r#""status":"modifying""#)
            });
        if waiting {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended ({status}) before waiting");
        }
        assert!(Instant::now() < deadline, "the run never reached the wait");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_ends_a_run_like_ctrl_c() {
    let (emu, hubfix) = seeded("redshift");
    let child = run_until_waiting(&emu, &hubfix, 100000);
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run_id = hubfix.last_run_id();
    let journal = std::fs::read_to_string(
        hubfix
            .state_dir()
            .join("runs")
            .join(format!("{run_id}.jsonl")),
    )
    .unwrap();
    let end = journal.lines().last().unwrap();
    assert!(
        end.contains(r#""event":"run_end""#) && end.contains(r#""outcome":"stopped""#),
        "{end}"
    );
    assert!(
        end.contains("wait_available"),
        "resumable at the wait: {end}"
    );
}

#[test]
fn a_second_run_on_this_machine_leaves_the_resource_alone() {
    let (emu, hubfix) = seeded("redshift");
    let mut first = run_until_waiting(&emu, &hubfix, 100000);
    let first_id = hubfix.last_run_id();
    let answers = hubfix.answers(FIX);
    let second = hubfix.run(&["run", "--control", "Redshift.7", "--answers", &answers]);
    first.kill().unwrap();
    first.wait().unwrap();
    second.expect_code(3);
    assert!(
        second
            .stderr()
            .contains(&format!("hubfix run {first_id} on this machine")),
        "{}",
        second.stderr()
    );
    assert_eq!(
        count(&emu, "ModifyCluster"),
        1,
        "only the first run changed it"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_runs_on_two_machines_change_the_resource_once() {
    let (emu, first) = seeded("redshift");
    // Another operator's machine: its own state directory, the same AWS.
    let second = Hubfix::new(&emu);
    emu.test_api(
        "POST",
        "/hubfix-test/config",
        serde_json::json!({"redshift_modify_polls": 3}),
    );
    let start = |hubfix: &Hubfix| {
        let answers = hubfix.answers(FIX);
        hubfix
            .command(&["run", "--control", "Redshift.7", "--answers", &answers])
            // Long enough a settle that both runs write their notes before either reads.
            .env("HUBFIX_POLL_MS", "400")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(&first), start(&second));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code(), b.status.code()];
    let said = format!(
        "{}\n----\n{}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(3)),
        "one fixes, the other backs off: {codes:?}\n{said}"
    );
    assert!(said.contains("backs off before any change"), "{said}");
    // The loser names the winner's session (the lock note names it) and how to find its runs.
    assert!(said.contains("hubfix session s-"), "{said}");
    assert!(said.contains("hubfix runs --session s-"), "{said}");
    assert_eq!(count(&emu, "ModifyCluster"), 1, "{said}");
    assert!(emu.enhanced_vpc_routing(CLUSTER).await);
    let (_, status, _, _) = emu.finding_of(CLUSTER).await;
    assert_eq!(status, "RESOLVED", "the loser did not put it back: {said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_reports_a_target_it_cannot_read_and_goes_on() {
    let (emu, hubfix) = seeded("redshift");
    // A finding for a cluster that does not exist, beside the demo's.
    emu.import_findings(1).await;
    let plan = hubfix.run(&["plan", "--control", "Redshift.7"]);
    plan.expect_code(1);
    assert!(
        plan.stderr().contains("bulk-00000"),
        "the unreadable target is named: {}",
        plan.stderr()
    );
    assert!(
        plan.stdout()
            .contains(&format!("\"ClusterIdentifier\":\"{CLUSTER}\"")),
        "the other target is planned: {}",
        plan.stdout()
    );
}
