//! Every branch of the ElastiCache.6 runbook, walked by the engine against the in-memory
//! ElastiCache with scripted answers; the token must come out nowhere.

use crate::double::Recorded;
use crate::double_elasticache::FakeElastiCache;
use crate::fixture::{Fixture, finding_on};
use hubfix::engine::{Answer, Event, ScriptedPrompter, Secret};
use hubfix::findings::WorkflowStatus;
use hubfix::runbook::Outcome;

const GROUP_ARN: &str = "arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:r1";
const TOKEN: &str = "Kq7-Tz!9xW#m2$Lp^a<b>Vr8";
const MODIFY: &str = "elasticache:ModifyReplicationGroup";

fn fixture(version: &str, tls: bool) -> Fixture<FakeElastiCache> {
    Fixture::new(
        FakeElastiCache::new(version, tls),
        "ElastiCache.6",
        finding_on("ElastiCache.6", "AwsElastiCacheReplicationGroup", GROUP_ARN),
    )
}

fn token(value: &str) -> Answer {
    Answer::Secret(Secret::new(value))
}

fn fix(clients_updated: bool) -> ScriptedPrompter {
    let p = ScriptedPrompter::new()
        .no("intended")
        .answer("auth_token", token(TOKEN))
        .yes("apply_now");
    if clients_updated {
        p.yes("clients_updated")
    } else {
        p.no("clients_updated")
    }
}

/// The token appears in nothing a person or a file sees.
fn assert_token_nowhere(fx: &Fixture<FakeElastiCache>, run_id: &str) {
    assert!(!fx.said().contains(TOKEN), "on screen: {}", fx.said());
    assert!(!fx.journal_text(run_id).contains(TOKEN), "in the journal");
    for update in fx.hub.updates.lock().unwrap().iter() {
        assert!(!update.note.contains(TOKEN));
    }
}

#[tokio::test(start_paused = true)]
async fn redis_6_and_later_is_out_of_scope() {
    let fx = fixture("6.2.6", true);
    let mut prompter = ScriptedPrompter::new();
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Compliant);
    assert!(report.message.contains("RBAC"), "{}", report.message);
    assert!(prompter.asked.is_empty());
    assert_eq!(fx.aws.count(MODIFY), 0);
}

#[tokio::test(start_paused = true)]
async fn a_group_with_auth_is_already_compliant() {
    let fx = fixture("5.0.6", true);
    fx.aws.group.lock().unwrap().tokens.push("x".repeat(16));
    let report = fx.run(&mut ScriptedPrompter::new()).await;
    assert_eq!(report.outcome, Outcome::Compliant);
    assert!(report.message.contains("already enabled"));
}

#[tokio::test(start_paused = true)]
async fn without_tls_a_no_to_the_upgrade_changes_nothing_and_stops_with_exit_3() {
    let fx = fixture("5.0.6", false);
    let mut prompter = ScriptedPrompter::new()
        .no("intended")
        .text("target_version", "7.1")
        .no("upgrade_now");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(report.exit_status().code(), 3);
    assert_eq!(
        prompter.asked_ids(),
        ["intended", "target_version", "upgrade_now"],
        "no token is asked for"
    );
    assert!(
        report.message.contains("nothing was changed"),
        "{}",
        report.message
    );
    for way in [
        "a Redis AUTH token needs it",
        "from a backup",
        "You may stop after phase 1",
    ] {
        assert!(fx.said().contains(way), "{way}: {}", fx.said());
    }
    // The versions offered: the 7.x ones, newest first and by default.
    let versions = &prompter.asked[1];
    let offered: Vec<&str> = versions.options.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(offered, ["7.1", "7.0"]);
    assert_eq!(versions.default, Some(serde_json::json!("7.1")));
    assert_eq!(fx.aws.count(MODIFY), 0);
    assert!(fx.hub.updates.lock().unwrap().is_empty());
}

/// Upgrade, TLS preferred, (clients on TLS), TLS required, ROTATE, SET: each waited for.
/// The run paused between phases: stopped, exit 3, and its message names `hubfix resume`.
#[track_caller]
fn assert_paused_for_resume(report: &hubfix::engine::RunReport) {
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(report.exit_status().code(), 3);
    assert!(
        report
            .message
            .contains(&format!("hubfix resume {}", report.run_id)),
        "{}",
        report.message
    );
}

fn full_path(clients_on_tls: bool) -> ScriptedPrompter {
    let p = ScriptedPrompter::new()
        .no("intended")
        .text("target_version", "7.1")
        .yes("upgrade_now")
        .yes("continue_after_upgrade");
    if clients_on_tls {
        p.yes("clients_on_tls")
            .answer("auth_token", token(TOKEN))
            .yes("apply_now")
            .yes("clients_updated")
    } else {
        p.no("clients_on_tls")
    }
}

fn statuses(fx: &Fixture<FakeElastiCache>, run_id: &str) -> Vec<String> {
    fx.journal(run_id)
        .iter()
        .filter_map(|e| match e {
            Event::Status { status, .. } => Some(status.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn without_tls_it_upgrades_then_turns_tls_on_then_sets_the_token() {
    use crate::double_elasticache::Change;
    let fx = fixture("5.0.6", false);
    let mut prompter = full_path(true);
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(
        prompter.asked_ids(),
        [
            "intended",
            "target_version",
            "upgrade_now",
            "continue_after_upgrade",
            "clients_on_tls",
            "auth_token",
            "apply_now",
            "clients_updated"
        ]
    );
    let group = fx.aws.group();
    assert_eq!(
        group.upgrades,
        [
            Change::Engine("7.1.0".into()),
            Change::Tls("preferred".into()),
            Change::Tls("required".into())
        ]
    );
    assert_eq!(group.history.len(), 2);
    assert!(!group.accepts_anyone);
    assert_eq!(
        statuses(&fx, &report.run_id),
        ["modifying", "available"].repeat(5),
        "each of the five phases waited for"
    );
    assert!(fx.said().contains("Clients must now connect with TLS"));
    let updates = fx.hub.updates.lock().unwrap();
    let resolved = updates.last().unwrap();
    assert_eq!(resolved.status, WorkflowStatus::Resolved);
    assert!(
        resolved
            .note
            .contains("upgraded to Redis 7.1, TLS required, Redis AUTH enabled"),
        "{}",
        resolved.note
    );
    drop(updates);
    assert_token_nowhere(&fx, &report.run_id);
}

#[tokio::test(start_paused = true)]
async fn stopping_after_the_upgrade_resolves_the_finding_as_out_of_scope() {
    use crate::double_elasticache::Change;
    let fx = fixture("5.0.6", false);
    let mut prompter = ScriptedPrompter::new()
        .no("intended")
        .text("target_version", "7.0")
        .yes("upgrade_now")
        .no("continue_after_upgrade");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert!(
        report.message.contains("out of ElastiCache.6's scope"),
        "{}",
        report.message
    );
    assert_eq!(fx.aws.group().upgrades, [Change::Engine("7.0.0".into())]);
    assert_eq!(fx.aws.count(MODIFY), 1, "only the upgrade");
    let updates = fx.hub.updates.lock().unwrap();
    let resolved = updates.last().unwrap();
    assert_eq!(resolved.status, WorkflowStatus::Resolved);
    assert!(
        resolved.note.contains("upgraded to Redis 7.0")
            && resolved.note.contains("out of the control's scope"),
        "{}",
        resolved.note
    );
}

#[tokio::test(start_paused = true)]
async fn clients_not_on_tls_pause_and_resume_asks_again_then_requires_tls() {
    use crate::double_elasticache::Change;
    let fx = fixture("5.0.6", false);
    let report = fx.run(&mut full_path(false)).await;
    assert_paused_for_resume(&report);
    assert_eq!(
        fx.aws.group().upgrades,
        [
            Change::Engine("7.1.0".into()),
            Change::Tls("preferred".into())
        ]
    );
    assert!(
        fx.hub
            .updates
            .lock()
            .unwrap()
            .iter()
            .all(|u| u.status != WorkflowStatus::Resolved)
    );

    let mut resumed_answers = ScriptedPrompter::new()
        .yes("clients_on_tls")
        .answer("auth_token", token(TOKEN))
        .yes("apply_now")
        .yes("clients_updated");
    let resumed = fx.resume(&report.run_id, &mut resumed_answers).await;
    assert_eq!(resumed.outcome, Outcome::Fixed, "{}", resumed.message);
    assert_eq!(
        resumed_answers.asked_ids(),
        [
            "clients_on_tls",
            "auth_token",
            "apply_now",
            "clients_updated"
        ]
    );
    assert_eq!(
        fx.aws.group().upgrades,
        [
            Change::Engine("7.1.0".into()),
            Change::Tls("preferred".into()),
            Change::Tls("required".into())
        ]
    );
    assert_eq!(fx.aws.group().tokens, [TOKEN]);
    assert_token_nowhere(&fx, &report.run_id);
}

#[tokio::test(start_paused = true)]
async fn no_7x_version_offered_stops_before_any_change() {
    let fx = fixture("5.0.6", false);
    *fx.aws.engine_versions.lock().unwrap() = vec!["5.0.6", "6.2"];
    let mut prompter = ScriptedPrompter::new().no("intended");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert!(
        report.message.contains("no Redis 7.x"),
        "{}",
        report.message
    );
    assert_eq!(prompter.asked_ids(), ["intended"]);
    assert_eq!(fx.aws.count(MODIFY), 0);
}

#[tokio::test(start_paused = true)]
async fn without_tls_the_stakeholder_can_still_sign_off_a_suppression() {
    let fx = fixture("5.0.6", false);
    let mut prompter = ScriptedPrompter::new()
        .yes("intended")
        .text("reason", "cache of public data, replaced in Q3");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Suppressed);
    let updates = fx.hub.updates.lock().unwrap();
    assert_eq!(updates[0].status, WorkflowStatus::Suppressed);
    assert!(updates[0].note.contains("cache of public data"));
    assert_eq!(fx.aws.count(MODIFY), 0);
}

/// Below 5.0.6 a token cannot be set in place even with TLS: the same upgrade comes first,
/// then AUTH; TLS is already on, so its phases are skipped.
#[tokio::test(start_paused = true)]
async fn below_5_0_6_with_tls_it_upgrades_first_then_sets_the_token() {
    use crate::double_elasticache::Change;
    let fx = fixture("4.0.10", true);
    let mut prompter = ScriptedPrompter::new()
        .no("intended")
        .text("target_version", "7.1")
        .yes("upgrade_now")
        .yes("continue_after_upgrade")
        .answer("auth_token", token(TOKEN))
        .yes("apply_now")
        .yes("clients_updated");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert!(fx.said().contains("5.0.6"), "{}", fx.said());
    assert!(!prompter.asked_ids().contains(&"clients_on_tls"));
    assert_eq!(fx.aws.group().upgrades, [Change::Engine("7.1.0".into())]);
    assert_eq!(fx.aws.count(MODIFY), 3, "upgrade, ROTATE, SET");
    let updates = fx.hub.updates.lock().unwrap();
    assert!(
        updates
            .last()
            .unwrap()
            .note
            .contains("upgraded to Redis 7.1 and Redis AUTH enabled"),
        "{}",
        updates.last().unwrap().note
    );
}

#[tokio::test(start_paused = true)]
async fn the_fix_rotates_then_sets_the_same_token_and_resolves() {
    let fx = fixture("5.0.6", true);
    let mut prompter = fix(true);
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Fixed, "{}", report.message);
    assert_eq!(
        prompter.asked_ids(),
        ["intended", "auth_token", "apply_now", "clients_updated"]
    );
    let group = fx.aws.group();
    let applied: Vec<(&str, &str)> = group
        .history
        .iter()
        .map(|(s, t)| (s.as_str(), t.as_str()))
        .collect();
    assert_eq!(applied, [("ROTATE", TOKEN), ("SET", TOKEN)]);
    assert!(!group.accepts_anyone);
    assert_eq!(group.tokens, [TOKEN]);
    // Each phase waited for `available` before the next call.
    let events = fx.journal(&report.run_id);
    let statuses: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Status { status, .. } => Some(status.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        ["modifying", "available", "modifying", "available"]
    );
    assert_eq!(
        fx.hub.statuses(),
        [WorkflowStatus::Notified, WorkflowStatus::Resolved]
    );
    assert!(
        fx.said().contains("WITH OR WITHOUT the token"),
        "{}",
        fx.said()
    );
    assert_token_nowhere(&fx, &report.run_id);
}

#[tokio::test(start_paused = true)]
async fn the_journal_keeps_a_salted_hash_of_the_token_never_the_token() {
    let fx = fixture("5.0.6", true);
    let report = fx.run(&mut fix(true)).await;
    let fingerprint = fx
        .journal(&report.run_id)
        .into_iter()
        .find_map(|e| match e {
            Event::Answer {
                step, fingerprint, ..
            } if step == "auth_token" => fingerprint,
            _ => None,
        })
        .expect("a fingerprint");
    assert!(fingerprint.starts_with("sha256:"), "{fingerprint}");
    assert!(hubfix::engine::secrets::same_secret(
        &fingerprint,
        &Secret::new(TOKEN)
    ));
    assert_token_nowhere(&fx, &report.run_id);
}

#[tokio::test(start_paused = true)]
async fn a_token_aws_would_refuse_is_refused_before_any_call() {
    for bad in [
        "short-Token1",
        "has-an-@-sign-inside",
        "has a space in it ok",
    ] {
        let fx = fixture("5.0.6", true);
        let mut prompter = ScriptedPrompter::new()
            .no("intended")
            .answer("auth_token", token(bad))
            .yes("apply_now");
        let report = fx.run(&mut prompter).await;
        assert_eq!(report.outcome, Outcome::NeedsInput, "{bad}");
        assert_eq!(report.exit_status().code(), 2);
        assert!(report.message.contains("auth_token"), "{}", report.message);
        assert!(!report.message.contains(bad), "{}", report.message);
        assert_eq!(fx.aws.count(MODIFY), 0, "{bad}");
    }
}

#[tokio::test(start_paused = true)]
async fn no_between_the_phases_pauses_and_resume_sets_the_same_token() {
    let fx = fixture("5.0.6", true);
    let report = fx.run(&mut fix(false)).await;
    assert_paused_for_resume(&report);
    assert!(report.message.contains("WITHOUT the token"));
    assert_eq!(fx.aws.count(MODIFY), 1, "only ROTATE");
    assert!(fx.aws.group().accepts_anyone);

    // A different token is refused: SET must use the one ROTATE set.
    let mut other = ScriptedPrompter::new()
        .answer("auth_token", token("Another-Token-123456"))
        .yes("clients_updated");
    let refused = fx.resume(&report.run_id, &mut other).await;
    assert_eq!(refused.outcome, Outcome::NeedsInput, "{}", refused.message);
    assert!(refused.message.contains("not the one given earlier"));
    assert_eq!(fx.aws.count(MODIFY), 1);

    let mut same = ScriptedPrompter::new()
        .answer("auth_token", token(TOKEN))
        .yes("clients_updated");
    let resumed = fx.resume(&report.run_id, &mut same).await;
    assert_eq!(resumed.outcome, Outcome::Fixed, "{}", resumed.message);
    assert_eq!(same.asked_ids(), ["auth_token", "clients_updated"]);
    assert_eq!(
        same.asked[0].generate, None,
        "no new token offered on resume"
    );
    let history: Vec<String> = fx
        .aws
        .group()
        .history
        .iter()
        .map(|(s, _)| s.clone())
        .collect();
    assert_eq!(history, ["ROTATE", "SET"]);
    assert_eq!(fx.aws.group().tokens, [TOKEN]);
    assert_token_nowhere(&fx, &report.run_id);
}

/// A secret typed (not given by reference) cannot be saved in a plan: the plan stops, says to
/// use `{env: NAME}` or `{file: PATH}`, and sends nothing.
#[tokio::test(start_paused = true)]
async fn a_typed_secret_cannot_be_saved_in_a_plan() {
    let fx = fixture("5.0.6", true);
    let report = fx.save_plan(&mut fix(true)).await;
    assert_eq!(report.outcome, Outcome::NeedsInput);
    assert!(
        report
            .message
            .contains("`auth_token` is a secret typed at the terminal")
            && report.message.contains("`{env: NAME}` or `{file: PATH}`"),
        "{}",
        report.message
    );
    assert_eq!(fx.aws.count(MODIFY), 0);
    assert!(!format!("{:?}", report.answers).contains(TOKEN));
}
