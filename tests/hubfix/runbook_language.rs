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
    assert!(msg.contains("unknown call `redshift.delete_cluster`; the calls are: redshift.describe_cluster, redshift.modify_cluster"), "{msg}");
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
