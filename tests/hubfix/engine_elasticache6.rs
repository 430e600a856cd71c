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
async fn without_tls_it_explains_the_ways_out_and_stops_with_exit_3() {
    let fx = fixture("5.0.6", false);
    let mut prompter = ScriptedPrompter::new().no("intended");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(report.exit_status().code(), 3);
    assert_eq!(prompter.asked_ids(), ["intended"], "no token is asked for");
    for way in ["from a backup", "6.0 or later", "intended to suppress"] {
        assert!(report.message.contains(way), "{way}: {}", report.message);
    }
    assert!(
        fx.said().contains("a Redis AUTH token needs it"),
        "{}",
        fx.said()
    );
    assert_eq!(fx.aws.count(MODIFY), 0);
    assert!(fx.hub.updates.lock().unwrap().is_empty());
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

#[tokio::test(start_paused = true)]
async fn a_token_older_engines_cannot_take_in_place_stops_before_asking_it() {
    let fx = fixture("4.0.10", true);
    let mut prompter = ScriptedPrompter::new().no("intended");
    let report = fx.run(&mut prompter).await;
    assert_eq!(report.outcome, Outcome::Stopped);
    assert!(report.message.contains("5.0.6"), "{}", report.message);
    assert_eq!(fx.aws.count(MODIFY), 0);
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
    assert_eq!(report.outcome, Outcome::Stopped);
    assert_eq!(report.exit_status().code(), 3);
    assert!(
        report
            .message
            .contains(&format!("hubfix resume {}", report.run_id)),
        "{}",
        report.message
    );
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
