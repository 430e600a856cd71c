//! The runbook language: broken runbooks are refused with `file:line:column`, what is wrong
//! and what is allowed; the committed JSON schema matches the model.

use hubfix::runbook::{RunbookError, load_str};
use std::path::Path;

fn errors(yaml: &str) -> Vec<RunbookError> {
    load_str(yaml, Path::new("rb.yaml"), &hubfix::actions::Catalog)
        .expect_err("the runbook must be refused")
}

fn one_error(yaml: &str) -> String {
    let e = errors(yaml);
    e.iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

const HEAD: &str = "control: X.1\ntitle: {en: t, ja: t}\nseverity: LOW\nresource_type: AwsRedshiftCluster\nsteps:\n";

fn with_steps(steps: &str) -> String {
    format!("{HEAD}{steps}")
}

const END: &str = "  - end: {id: done, outcome: fixed, text: {en: e, ja: e}}\n";

#[test]
fn the_shipped_runbooks_are_valid() {
    let catalog = hubfix::runbook::Catalog::load(None, &hubfix::actions::Catalog).unwrap();
    assert_eq!(
        catalog.control_ids(),
        ["DMS.1", "DMS.9", "ElastiCache.6", "Redshift.7"]
    );
}

#[test]
fn broken_yaml_names_the_line_and_column() {
    let msg = one_error(&with_steps("  - note: {id: a, text: {en: x, ja: y}\n"));
    assert!(msg.starts_with("rb.yaml:"), "{msg}");
    let loc: Vec<&str> = msg.splitn(4, ':').collect();
    assert!(loc[1].parse::<u32>().unwrap() >= 6, "{msg}");
}

#[test]
fn an_unknown_field_names_the_allowed_ones() {
    let msg = one_error(&with_steps(&format!(
        "  - note: {{id: a, txt: {{en: x, ja: y}}}}\n{END}"
    )));
    assert!(msg.starts_with("rb.yaml:6:"), "{msg}");
    assert!(msg.contains("txt") && msg.contains("text"), "{msg}");
}

#[test]
fn an_unknown_step_kind_is_refused_with_its_location() {
    let msg = one_error(&with_steps(&format!("  - notify: {{id: a}}\n{END}")));
    assert!(msg.starts_with("rb.yaml:6:"), "{msg}");
    assert!(msg.contains("notify") && msg.contains("prompt"), "{msg}");
}

#[test]
fn a_prompt_without_an_id_is_refused() {
    let msg = one_error(&with_steps(&format!(
        "  - prompt: {{kind: confirm, text: {{en: q, ja: q}}}}\n{END}"
    )));
    assert!(msg.starts_with("rb.yaml:6:"), "{msg}");
    assert!(msg.contains("id"), "{msg}");
}

#[test]
fn duplicate_ids_name_both_places() {
    let msg = one_error(&with_steps(&format!(
        "  - note: {{id: a, text: {{en: x, ja: y}}}}\n  - note: {{id: a, text: {{en: x, ja: y}}}}\n{END}"
    )));
    assert!(msg.contains("rb.yaml:7:"), "{msg}");
    assert!(
        msg.contains("duplicate step id `a` (first used at rb.yaml:6:"),
        "{msg}"
    );
}

#[test]
fn next_and_branches_must_name_steps() {
    let msg = one_error(&with_steps(&format!(
        "  - prompt:\n      id: q\n      kind: confirm\n      text: {{en: q, ja: q}}\n      branches:\n        - when: answers.q\n          next: nowhere\n{END}"
    )));
    assert!(
        msg.contains(
            "rb.yaml:12:17: a branch's `next` names no step: `nowhere`; the steps are: q, done"
        ),
        "{msg}"
    );
}

#[test]
fn unreachable_steps_are_refused() {
    let msg = one_error(&with_steps(&format!(
        "{END}  - note: {{id: orphan, text: {{en: x, ja: y}}}}\n  - end: {{id: done2, outcome: fixed, text: {{en: e, ja: e}}}}\n"
    )));
    assert!(
        msg.contains("rb.yaml:7:") && msg.contains("step `orphan` is unreachable"),
        "{msg}"
    );
}

#[test]
fn unknown_template_variables_are_refused() {
    let msg = one_error(&with_steps(&format!(
        "  - note: {{id: a, text: {{en: \"{{{{ answers.nope }}}}\", ja: \"{{{{ cluster.x }}}}\"}}}}\n{END}"
    )));
    assert!(
        msg.contains("rb.yaml:6:") && msg.contains("unknown variable `answers.nope`"),
        "{msg}"
    );
    assert!(msg.contains("unknown variable `cluster.x`"), "{msg}");
    assert!(
        msg.contains("finding.*, resource.*, run.*, steps.<step id>.*, answers.<prompt id>"),
        "{msg}"
    );
}

#[test]
fn calls_and_their_parameters_are_checked() {
    let msg = one_error(&with_steps(&format!(
        "  - action: {{id: a, call: redshift.delete_cluster}}\n  - action: {{id: b, call: redshift.describe_cluster, params: {{Cluster: x}}}}\n{END}"
    )));
    assert!(msg.contains("unknown call `redshift.delete_cluster`; the calls are: redshift.describe_cluster, redshift.describe_cluster_subnet_group, redshift.modify_cluster"), "{msg}");
    assert!(
        msg.contains("takes no parameter `Cluster`; it takes: ClusterIdentifier"),
        "{msg}"
    );
    assert!(
        msg.contains("needs the parameter `ClusterIdentifier`"),
        "{msg}"
    );
}

#[test]
fn a_mutating_call_needs_an_approving_confirm_prompt() {
    let msg = one_error(&with_steps(&format!(
        "  - action: {{id: m, call: redshift.modify_cluster, params: {{ClusterIdentifier: x}}}}\n{END}"
    )));
    assert!(
        msg.contains("needs `approved_by: <confirm prompt id>`"),
        "{msg}"
    );
    let msg = one_error(&with_steps(&format!(
        "  - prompt: {{id: q, kind: input, text: {{en: q, ja: q}}}}\n  - action: {{id: m, call: redshift.modify_cluster, approved_by: q, params: {{ClusterIdentifier: x}}}}\n{END}"
    )));
    assert!(
        msg.contains("`approved_by` must name a confirm prompt; `q` is not one"),
        "{msg}"
    );
}

#[test]
fn a_last_step_that_is_not_an_end_is_refused() {
    let msg = one_error(&with_steps("  - note: {id: a, text: {en: x, ja: y}}\n"));
    assert!(
        msg.contains("is the last one but is not an `end` step"),
        "{msg}"
    );
}

#[test]
fn bad_durations_are_refused() {
    let msg = one_error(&with_steps(&format!(
        "  - note: {{id: a, timeout: soon, text: {{en: x, ja: y}}}}\n{END}"
    )));
    assert!(msg.contains("`soon` is not a duration"), "{msg}");
}

#[test]
fn hostile_yaml_is_refused_not_expanded() {
    let mut yaml = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("l{}", i - 1)
        };
        yaml.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    assert!(!errors(&yaml).is_empty());
}

#[test]
fn the_committed_schema_matches_the_model() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/runbook.schema.json"
    ))
    .expect("docs/runbook.schema.json is committed");
    assert!(
        committed == hubfix::runbook::schema_json(),
        "docs/runbook.schema.json is out of date: run `cargo run -- schema > docs/runbook.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
}

#[test]
fn the_approver_step_id_is_reserved() {
    let msg = one_error(&with_steps(&format!(
        "  - prompt: {{id: approver, kind: input, text: {{en: q, ja: q}}}}\n{END}"
    )));
    assert!(msg.contains("`approver` is reserved"), "{msg}");
}

#[test]
fn the_review_date_step_id_is_reserved() {
    let msg = one_error(&with_steps(&format!(
        "  - prompt: {{id: review_by, kind: input, text: {{en: q, ja: q}}}}\n{END}"
    )));
    assert!(msg.contains("`review_by` is reserved"), "{msg}");
}

/// A suppression's default review period is required, and from 1 day to 3 years.
#[test]
fn a_suppression_needs_a_review_period_in_range() {
    let suppress = |days: &str| {
        with_steps(&format!(
            "  - prompt: {{id: ok, kind: confirm, text: {{en: q, ja: q}}}}\n  - suppress: {{id: s, approved_by: ok, {days}note: {{en: n, ja: n}}}}\n{END}"
        ))
    };
    assert!(
        load_str(
            &suppress("review_days: 180, "),
            Path::new("rb.yaml"),
            &hubfix::actions::Catalog
        )
        .is_ok()
    );
    let missing = one_error(&suppress(""));
    assert!(missing.contains("review_days"), "{missing}");
    for days in ["0", "-5", "1096", "99999999999"] {
        let msg = one_error(&suppress(&format!("review_days: {days}, ")));
        assert!(msg.starts_with("rb.yaml:7:"), "{msg}");
        assert!(
            msg.contains(&format!("`review_days: {days}` is out of range"))
                && msg.contains("1 to 1095 days"),
            "{msg}"
        );
    }
}

#[test]
fn a_huge_timeout_is_refused_not_a_panic() {
    let msg = one_error(&with_steps(&format!(
        "  - note: {{id: a, timeout: 999999999999999999h, text: {{en: x, ja: y}}}}\n{END}"
    )));
    assert!(msg.contains("is not a duration"), "{msg}");
}

#[test]
fn two_runbooks_for_one_control_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = with_steps(END);
    std::fs::write(dir.path().join("a.yaml"), &text).unwrap();
    std::fs::write(dir.path().join("b.yaml"), &text).unwrap();
    let err = hubfix::runbook::Catalog::load(Some(dir.path()), &hubfix::actions::Catalog)
        .expect_err("two runbooks for X.1");
    assert!(
        err[0]
            .to_string()
            .contains("control X.1 already has a runbook"),
        "{}",
        err[0]
    );
}

#[test]
fn every_call_is_in_the_documented_catalog() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/runbook-language.md"
    ))
    .unwrap();
    for action in hubfix::actions::ALL {
        let row = format!("| `{}` | `{}`", action.name, action.operation);
        assert!(
            doc.contains(&row),
            "docs/runbook-language.md lacks the row for {}",
            action.name
        );
    }
}

fn loads(yaml: &str) {
    if let Err(e) = load_str(yaml, Path::new("rb.yaml"), &hubfix::actions::Catalog) {
        panic!(
            "{}",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn a_loop_through_branches_without_a_prompt_or_wait_is_refused() {
    let msg = one_error(&with_steps(&format!(
        "  - note: {{id: a, text: {{en: x, ja: y}}}}\n  - assert:\n      id: b\n      that: run.id\n      text: {{en: x, ja: y}}\n      branches:\n        - {{when: run.id, next: a}}\n{END}"
    )));
    assert!(
        msg.starts_with("rb.yaml:6:") && msg.contains("steps `a`, `b` can repeat forever"),
        "{msg}"
    );
    assert!(msg.contains("no prompt and no wait"), "{msg}");
}

#[test]
fn a_goto_to_itself_is_refused() {
    let msg = one_error(&with_steps(&format!(
        "  - note: {{id: a, text: {{en: x, ja: y}}}}\n  - action:\n      id: read\n      call: redshift.describe_cluster\n      params: {{ClusterIdentifier: x}}\n      on_failure: {{goto: read}}\n{END}"
    )));
    assert!(
        msg.starts_with("rb.yaml:7:") && msg.contains("step `read` can repeat forever"),
        "{msg}"
    );
}

#[test]
fn a_loop_through_a_prompt_that_may_be_skipped_is_refused() {
    let msg = one_error(&with_steps(&format!(
        "  - note: {{id: a, text: {{en: x, ja: y}}}}\n  - prompt:\n      id: q\n      when: finding.id == x\n      kind: confirm\n      text: {{en: q, ja: q}}\n      branches:\n        - {{when: answers.q, next: done}}\n  - note: {{id: b, next: a, text: {{en: x, ja: y}}}}\n{END}"
    )));
    assert!(
        msg.contains("steps `a`, `q`, `b` can repeat forever"),
        "{msg}"
    );
}

#[test]
fn a_loop_through_a_prompt_or_a_wait_is_allowed() {
    loads(&with_steps(&format!(
        "  - note: {{id: a, text: {{en: x, ja: y}}}}\n  - prompt:\n      id: again\n      kind: confirm\n      text: {{en: q, ja: q}}\n      branches:\n        - {{when: answers.again, next: a}}\n{END}"
    )));
    loads(&with_steps(&format!(
        "  - wait:\n      id: w\n      call: redshift.describe_cluster\n      params: {{ClusterIdentifier: x}}\n      status: ClusterStatus\n      ready: [available]\n      on_failure: {{goto: n}}\n      text: {{en: w, ja: w}}\n      next: done\n  - note: {{id: n, next: w, text: {{en: x, ja: y}}}}\n{END}"
    )));
}

#[test]
fn a_runbook_whose_steps_never_reach_an_end_is_refused() {
    let msg = one_error(&with_steps(
        "  - prompt:\n      id: q\n      kind: confirm\n      text: {en: q, ja: q}\n      branches:\n        - {when: answers.q, next: n}\n  - note: {id: n, next: q, text: {en: x, ja: y}}\n",
    ));
    assert!(
        msg.starts_with("rb.yaml:6:") && msg.contains("never reaches an `end` step"),
        "{msg}"
    );
    let msg = one_error(&with_steps(
        "  - note: {id: a, next: a, text: {en: x, ja: y}}\n",
    ));
    assert!(msg.contains("never reaches an `end` step"), "{msg}");
}

fn secret(rules: &str, generate: &str) -> String {
    with_steps(&format!(
        "  - prompt:\n      id: token\n      kind: secret\n      text: {{en: t, ja: t}}\n      rules: {rules}\n      generate: {generate}\n{END}"
    ))
}

#[test]
fn generate_lengths_and_secret_rules_are_bounded() {
    let msg = one_error(&secret(
        "{min_length: 1, max_length: 18446744073709551615, characters: a-z}",
        "18446744073709551615",
    ));
    assert!(msg.contains("`generate: 18446744073709551615`"), "{msg}");
    assert!(msg.contains("`max_length`"), "{msg}");
    let msg = one_error(&secret(
        "{min_length: 1, max_length: 64, characters: a-z}",
        "8",
    ));
    assert!(
        msg.contains("`generate: 8`") && msg.contains("16 to 128"),
        "{msg}"
    );
    let msg = one_error(&secret(
        "{min_length: 1, max_length: 512, characters: a-z}",
        "200",
    ));
    assert!(msg.contains("`generate: 200`"), "{msg}");
    loads(&secret(
        "{min_length: 16, max_length: 128, characters: a-z}",
        "128",
    ));
}

#[test]
fn timeouts_must_be_above_zero_and_at_most_a_day() {
    for timeout in ["0s", "0ms", "25h", "86401s"] {
        let msg = one_error(&with_steps(&format!(
            "  - note: {{id: a, timeout: {timeout}, text: {{en: x, ja: y}}}}\n{END}"
        )));
        assert!(
            msg.starts_with("rb.yaml:6:") && msg.contains(&format!("`timeout: {timeout}`")),
            "{msg}"
        );
    }
    loads(&with_steps(&format!(
        "  - note: {{id: a, timeout: 24h, text: {{en: x, ja: y}}}}\n{END}"
    )));
}

#[test]
fn note_text_is_a_known_check() {
    loads(&with_steps(&format!(
        "  - prompt: {{id: reason, kind: input, validate: note_text, text: {{en: q, ja: q}}}}\n{END}"
    )));
    assert!(hubfix::runbook::validators::check("note_text", "  ").is_err());
    assert!(hubfix::runbook::validators::check("note_text", &"r".repeat(1000)).is_err());
    assert!(hubfix::runbook::validators::check("note_text", "Legacy ETL until 2027").is_ok());
}

/// docs/organization.md tells operators which IAM actions each control needs: every call of
/// every built-in runbook must be in its row.
#[test]
fn organization_page_lists_every_call_of_every_runbook() {
    use hubfix::runbook::StepKind;
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/organization.md"))
            .unwrap();
    let catalog = hubfix::runbook::Catalog::load(None, &hubfix::actions::Catalog).unwrap();
    for plan in catalog.plans() {
        let row = page
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", plan.control)))
            .unwrap_or_else(|| panic!("no row for {}", plan.control));
        for step in &plan.steps {
            let call = match &step.kind {
                StepKind::Action { call, .. } => Some(call.as_str()),
                StepKind::Wait(w) => Some(w.call.as_str()),
                StepKind::Assert { call, .. } => call.as_deref(),
                _ => None,
            };
            let Some(call) = call else { continue };
            let operation = hubfix::actions::find(call).unwrap().operation;
            assert!(
                row.contains(&format!("`{operation}`")),
                "{}: {operation} (step `{}`) is missing from docs/organization.md",
                plan.control,
                step.id
            );
        }
    }
}

/// The fields a saved plan fingerprints are those the conditions and calls read: a
/// `for_each` list only by the fields of its items the step sends, so a running task's
/// progress, which nothing reads, is no part of it.
#[test]
fn the_state_a_saved_plan_rests_on_is_what_conditions_and_calls_read() {
    let keys = |control: &str| -> Vec<String> {
        crate::fixture::plan(control)
            .state_paths()
            .iter()
            .map(|f| f.key())
            .collect()
    };
    let redshift = keys("Redshift.7");
    for expected in [
        "steps.cluster.EnhancedVpcRouting",
        "steps.vpc_dns.EnableDnsHostnames",
        "steps.routes.AllRouted",
    ] {
        assert!(
            redshift.iter().any(|k| k == expected),
            "{expected} in {redshift:?}"
        );
    }
    let dms = keys("DMS.1");
    for expected in [
        "steps.instance.ReplicationInstanceClass",
        "steps.instance.PubliclyAccessible",
        "steps.tags.Tags",
        "steps.tasks.RunningArns",
        "steps.tasks.Tasks[*].MigrationType",
        "steps.tasks.Tasks[*].TableMappings",
    ] {
        assert!(dms.iter().any(|k| k == expected), "{expected} in {dms:?}");
    }
    assert!(!dms.iter().any(|k| k == "steps.tasks.Tasks"), "{dms:?}");
    assert!(
        !dms.iter().any(|k| k.contains("FullLoadProgressPercent")),
        "{dms:?}"
    );
    for key in &dms {
        let field = hubfix::runbook::StateField::parse(key).expect("a key parses back");
        assert_eq!(&field.key(), key);
    }
}

/// A failed end may name the step `hubfix resume` goes on from; the step must exist, and no
/// other outcome takes it (a stopped run resumes at its last question).
#[test]
fn resume_at_names_a_step_and_only_on_a_failed_end() {
    let steps = |outcome: &str, target: &str| {
        with_steps(&format!(
            "  - prompt:\n      id: q\n      kind: confirm\n      text: {{en: q, ja: q}}\n      branches:\n        - when: answers.q\n          next: done\n  - end: {{id: again, outcome: {outcome}, resume_at: {target}, text: {{en: e, ja: e}}}}\n{END}"
        ))
    };
    loads(&steps("failed", "q"));
    let msg = one_error(&steps("failed", "nowhere"));
    assert!(
        msg.contains("`resume_at` names no step: `nowhere`"),
        "{msg}"
    );
    let msg = one_error(&steps("stopped", "q"));
    assert!(
        msg.contains("`resume_at` is for `outcome: failed` only"),
        "{msg}"
    );
}
