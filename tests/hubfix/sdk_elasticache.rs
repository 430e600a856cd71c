//! The ElastiCache adapters against aws-smithy-mocks: what the SDK returns becomes the JSON
//! the ElastiCache.6 runbook reads, the JSON parameters become exactly the request sent, and
//! ElastiCache's errors (query protocol, XML) are sorted.

use crate::sdk_adapters::{Seen, params, xml_error};
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::operation::describe_cache_clusters::{
    DescribeCacheClustersInput, DescribeCacheClustersOutput,
};
use aws_sdk_elasticache::operation::describe_replication_groups::{
    DescribeReplicationGroupsInput, DescribeReplicationGroupsOutput,
};
use aws_sdk_elasticache::operation::list_tags_for_resource::{
    ListTagsForResourceInput, ListTagsForResourceOutput,
};
use aws_sdk_elasticache::operation::modify_replication_group::{
    ModifyReplicationGroupInput, ModifyReplicationGroupOutput,
};
use aws_sdk_elasticache::types::{
    AuthTokenUpdateStatus, AuthTokenUpdateStrategyType, CacheCluster, ReplicationGroup,
    ReplicationGroupPendingModifiedValues, Tag,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use hubfix::actions::{ActionSpec, Handler, Params, elasticache};
use hubfix::aws::{ApiError, ApiErrorKind};
use serde_json::{Value, json};

const ARN: &str = "arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:r1";
const TOKEN: &str = "Kq7-Tz!9xW#m2$Lp^a<b>Vr8";

/// Runs a call through its catalog handler, as the engine does.
async fn call(client: &Client, spec: &'static ActionSpec, p: Value) -> Result<Value, ApiError> {
    let p = params(p);
    match &spec.handler {
        Handler::ElastiCache(f) => f(client, Params::new(spec, &p)).await,
        other => panic!("{} is not an ElastiCache call: {other:?}", spec.name),
    }
}

fn group(status: &str, pending: Option<AuthTokenUpdateStatus>) -> ReplicationGroup {
    ReplicationGroup::builder()
        .replication_group_id("r1")
        .arn(ARN)
        .status(status)
        .engine("redis")
        .member_clusters("r1-001")
        .member_clusters("r1-002")
        .auth_token_enabled(true)
        .transit_encryption_enabled(true)
        .transit_encryption_mode(aws_sdk_elasticache::types::TransitEncryptionMode::Required)
        .at_rest_encryption_enabled(false)
        .set_pending_modified_values(pending.map(|s| {
            ReplicationGroupPendingModifiedValues::builder()
                .auth_token_status(s)
                .build()
        }))
        .build()
}

#[tokio::test]
async fn describe_replication_group_gives_what_the_runbook_decides_and_waits_on() {
    let seen = Seen::new();
    let rule = mock!(Client::describe_replication_groups)
        .match_requests(seen.keep())
        .then_output(|| {
            DescribeReplicationGroupsOutput::builder()
                .replication_groups(group("modifying", Some(AuthTokenUpdateStatus::Rotating)))
                .build()
        });
    let client = mock_client!(aws_sdk_elasticache, [&rule]);
    let out = call(
        &client,
        &elasticache::DESCRIBE_REPLICATION_GROUP,
        json!({"ReplicationGroupId": "r1"}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "ReplicationGroupId": "r1",
            "ARN": ARN,
            "Status": "modifying",
            "Engine": "redis",
            "MemberClusters": ["r1-001", "r1-002"],
            "AuthTokenEnabled": true,
            "TransitEncryptionEnabled": true,
            "TransitEncryptionMode": "required",
            "AtRestEncryptionEnabled": false,
            "PendingModifiedValues": {"AuthTokenStatus": "ROTATING"},
        })
    );
    assert_eq!(
        seen.all(),
        [DescribeReplicationGroupsInput::builder()
            .replication_group_id("r1")
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn unset_flags_are_false_and_only_pending_values_set_are_shown() {
    let rule = mock!(Client::describe_replication_groups).then_output(|| {
        DescribeReplicationGroupsOutput::builder()
            .replication_groups(
                ReplicationGroup::builder()
                    .replication_group_id("r2")
                    .status("available")
                    .pending_modified_values(
                        ReplicationGroupPendingModifiedValues::builder()
                            .transit_encryption_enabled(true)
                            .transit_encryption_mode(
                                aws_sdk_elasticache::types::TransitEncryptionMode::Preferred,
                            )
                            .primary_cluster_id("r2-002")
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_elasticache, [&rule]);
    let out = call(
        &client,
        &elasticache::DESCRIBE_REPLICATION_GROUP,
        json!({"ReplicationGroupId": "r2"}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "ReplicationGroupId": "r2",
            "ARN": null,
            "Status": "available",
            "Engine": null,
            "MemberClusters": [],
            "AuthTokenEnabled": false,
            "TransitEncryptionEnabled": false,
            "TransitEncryptionMode": null,
            "AtRestEncryptionEnabled": false,
            "PendingModifiedValues": {"TransitEncryptionEnabled": true, "TransitEncryptionMode": "preferred"},
        })
    );
}

#[tokio::test]
async fn a_missing_group_is_not_found() {
    let rule = mock!(Client::describe_replication_groups)
        .then_output(|| DescribeReplicationGroupsOutput::builder().build());
    let client = mock_client!(aws_sdk_elasticache, [&rule]);
    let p = json!({"ReplicationGroupId": "r9"});
    let err = call(&client, &elasticache::DESCRIBE_REPLICATION_GROUP, p.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::NotFound);
    assert_eq!(err.message, "no ElastiCache replication group `r9`");

    let rule = mock!(Client::describe_replication_groups).then_http_response(|| {
        xml_error(
            404,
            "ReplicationGroupNotFoundFault",
            "Replication group r9 not found.",
        )
    });
    let client = mock_client!(aws_sdk_elasticache, [&rule]);
    let err = call(&client, &elasticache::DESCRIBE_REPLICATION_GROUP, p)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::NotFound);
    assert_eq!(err.code, "ReplicationGroupNotFoundFault");
    assert_eq!(
        err.to_string(),
        "elasticache:DescribeReplicationGroups: Replication group r9 not found. \
         (check the identifier, --region and --profile)"
    );
}

fn cluster(id: &str, version: Option<&str>) -> CacheCluster {
    CacheCluster::builder()
        .cache_cluster_id(id)
        .engine("redis")
        .set_engine_version(version.map(str::to_owned))
        .build()
}

/// A client whose DescribeCacheClusters answers each cluster id with its version.
fn clusters(versions: &[(&str, Option<&str>)]) -> (Client, Seen<DescribeCacheClustersInput>) {
    let versions: Vec<(String, Option<String>)> = versions
        .iter()
        .map(|(c, v)| (c.to_string(), v.map(str::to_owned)))
        .collect();
    let seen = Seen::new();
    let rule = mock!(Client::describe_cache_clusters)
        .match_requests(seen.keep())
        .then_compute_output(move |r| {
            let id = r.cache_cluster_id().unwrap_or_default();
            let (_, version) = versions.iter().find(|(c, _)| c == id).unwrap();
            DescribeCacheClustersOutput::builder()
                .cache_clusters(cluster(id, version.as_deref()))
                .build()
        });
    (
        mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, [&rule]),
        seen,
    )
}

#[tokio::test]
async fn member_versions_are_read_one_cluster_at_a_time_and_the_lowest_decides() {
    let (client, seen) = clusters(&[("r1-001", Some("5.0.10")), ("r1-002", Some("5.0.6"))]);
    let out = call(
        &client,
        &elasticache::DESCRIBE_MEMBER_VERSIONS,
        json!({"CacheClusterIds": ["r1-001", "r1-002"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "Clusters": [
                {"CacheClusterId": "r1-001", "Engine": "redis", "EngineVersion": "5.0.10"},
                {"CacheClusterId": "r1-002", "Engine": "redis", "EngineVersion": "5.0.6"},
            ],
            // Compared as numbers: 5.0.6 is below 5.0.10.
            "LowestVersion": "5.0.6",
            "Below6": true,
            "TokenChangeInPlace": true,
        })
    );
    let request = |id: &str| {
        DescribeCacheClustersInput::builder()
            .cache_cluster_id(id)
            .build()
            .unwrap()
    };
    assert_eq!(seen.all(), [request("r1-001"), request("r1-002")]);
}

#[tokio::test]
async fn the_lowest_version_says_whether_the_control_applies_and_a_token_can_be_set() {
    for (version, below6, in_place) in [
        ("4.0.10", true, false),
        ("5.0.5", true, false),
        ("5.0.6", true, true),
        ("6.0", false, true),
        ("7.1.0", false, true),
    ] {
        let (client, _) = clusters(&[("c1", Some(version)), ("c2", Some("7.1.0"))]);
        let out = call(
            &client,
            &elasticache::DESCRIBE_MEMBER_VERSIONS,
            json!({"CacheClusterIds": ["c1", "c2"]}),
        )
        .await
        .unwrap();
        assert_eq!(
            (
                &out["LowestVersion"],
                &out["Below6"],
                &out["TokenChangeInPlace"]
            ),
            (&json!(version), &json!(below6), &json!(in_place)),
            "{version}"
        );
    }
}

#[tokio::test]
async fn members_without_a_version_are_not_found() {
    let (client, _) = clusters(&[("r1-001", None)]);
    let err = call(
        &client,
        &elasticache::DESCRIBE_MEMBER_VERSIONS,
        json!({"CacheClusterIds": ["r1-001"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::NotFound);
    assert_eq!(
        err.message,
        "the replication group has no member clusters with an engine version"
    );
    let err = call(
        &client,
        &elasticache::DESCRIBE_MEMBER_VERSIONS,
        json!({"CacheClusterIds": []}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::NotFound);
}

#[tokio::test]
async fn modify_auth_token_sends_the_token_with_its_strategy() {
    let seen = Seen::new();
    let rule = mock!(Client::modify_replication_group)
        .match_requests(seen.keep())
        .then_output(|| {
            ModifyReplicationGroupOutput::builder()
                .replication_group(group("modifying", Some(AuthTokenUpdateStatus::Setting)))
                .build()
        });
    let client = mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, [&rule]);
    let out = call(
        &client,
        &elasticache::MODIFY_AUTH_TOKEN,
        json!({"ReplicationGroupId": "r1", "AuthToken": TOKEN,
               "AuthTokenUpdateStrategy": "SET", "ApplyImmediately": true}),
    )
    .await
    .unwrap();
    assert_eq!(out["Status"], "modifying");
    assert_eq!(
        out["PendingModifiedValues"],
        json!({"AuthTokenStatus": "SETTING"})
    );
    // ApplyImmediately left out is left unset (ElastiCache's default), not false.
    call(
        &client,
        &elasticache::MODIFY_AUTH_TOKEN,
        json!({"ReplicationGroupId": "r1", "AuthToken": TOKEN, "AuthTokenUpdateStrategy": "ROTATE"}),
    )
    .await
    .unwrap();
    assert_eq!(
        seen.all(),
        [
            ModifyReplicationGroupInput::builder()
                .replication_group_id("r1")
                .auth_token(TOKEN)
                .auth_token_update_strategy(AuthTokenUpdateStrategyType::Set)
                .apply_immediately(true)
                .build()
                .unwrap(),
            ModifyReplicationGroupInput::builder()
                .replication_group_id("r1")
                .auth_token(TOKEN)
                .auth_token_update_strategy(AuthTokenUpdateStrategyType::Rotate)
                .build()
                .unwrap(),
        ]
    );
}

#[tokio::test]
async fn no_group_in_the_modify_answer_is_an_empty_object() {
    let rule = mock!(Client::modify_replication_group)
        .then_output(|| ModifyReplicationGroupOutput::builder().build());
    let client = mock_client!(aws_sdk_elasticache, [&rule]);
    let out = call(
        &client,
        &elasticache::MODIFY_AUTH_TOKEN,
        json!({"ReplicationGroupId": "r1", "AuthToken": TOKEN,
               "AuthTokenUpdateStrategy": "ROTATE", "ApplyImmediately": true}),
    )
    .await
    .unwrap();
    assert_eq!(out, json!({}));
}

#[tokio::test]
async fn list_tags_names_the_cloudformation_stack_of_the_group() {
    let seen = Seen::new();
    let rule = mock!(Client::list_tags_for_resource)
        .match_requests(seen.keep())
        .then_output(|| {
            ListTagsForResourceOutput::builder()
                .tag_list(Tag::builder().key("team").value("cache").build())
                .tag_list(
                    Tag::builder()
                        .key("aws:cloudformation:stack-name")
                        .value("cache-prod")
                        .build(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_elasticache, [&rule]);
    let out = call(
        &client,
        &elasticache::LIST_TAGS,
        json!({"ResourceName": ARN}),
    )
    .await
    .unwrap();
    assert_eq!(
        seen.all(),
        [ListTagsForResourceInput::builder()
            .resource_name(ARN)
            .build()
            .unwrap()]
    );
    assert_eq!(
        out,
        json!({
            "Tags": [
                {"Key": "aws:cloudformation:stack-name", "Value": "cache-prod"},
                {"Key": "team", "Value": "cache"},
            ],
            "CloudFormationStack": "cache-prod",
        })
    );
    let untagged = mock!(Client::list_tags_for_resource)
        .then_output(|| ListTagsForResourceOutput::builder().build());
    let client = mock_client!(aws_sdk_elasticache, [&untagged]);
    let out = call(
        &client,
        &elasticache::LIST_TAGS,
        json!({"ResourceName": ARN}),
    )
    .await
    .unwrap();
    assert_eq!(out, json!({"Tags": [], "CloudFormationStack": null}));
}

/// Every ElastiCache call of the catalog, with parameters it accepts.
fn every_elasticache_call() -> Vec<(&'static ActionSpec, Value)> {
    vec![
        (
            &elasticache::DESCRIBE_REPLICATION_GROUP,
            json!({"ReplicationGroupId": "r1"}),
        ),
        (
            &elasticache::DESCRIBE_MEMBER_VERSIONS,
            json!({"CacheClusterIds": ["r1-001"]}),
        ),
        (&elasticache::LIST_TAGS, json!({"ResourceName": ARN})),
        (
            &elasticache::MODIFY_AUTH_TOKEN,
            json!({"ReplicationGroupId": "r1", "AuthToken": TOKEN,
                   "AuthTokenUpdateStrategy": "ROTATE", "ApplyImmediately": true}),
        ),
        (
            &elasticache::DESCRIBE_CACHE_ENGINE_VERSIONS,
            json!({"Engine": "redis", "MajorVersion": 7}),
        ),
        (
            &elasticache::MODIFY_ENGINE_VERSION,
            json!({"ReplicationGroupId": "r1", "EngineVersion": "7.1", "ApplyImmediately": true}),
        ),
        (
            &elasticache::MODIFY_TRANSIT_ENCRYPTION,
            json!({"ReplicationGroupId": "r1", "TransitEncryptionEnabled": true,
                   "TransitEncryptionMode": "preferred", "ApplyImmediately": true}),
        ),
    ]
}

#[test]
fn the_error_table_covers_every_elasticache_call() {
    let mut tested: Vec<&str> = every_elasticache_call()
        .iter()
        .map(|(s, _)| s.name)
        .collect();
    let mut catalog: Vec<&str> = hubfix::actions::ALL
        .iter()
        .filter(|a| matches!(a.handler, Handler::ElastiCache(_)))
        .map(|a| a.name)
        .collect();
    tested.sort_unstable();
    catalog.sort_unstable();
    assert_eq!(tested, catalog);
}

#[tokio::test]
async fn every_elasticache_call_sorts_its_errors_by_code() {
    for (status, code, kind) in [
        (404, "ReplicationGroupNotFoundFault", ApiErrorKind::NotFound),
        (404, "CacheClusterNotFound", ApiErrorKind::NotFound),
        (403, "AccessDenied", ApiErrorKind::AccessDenied),
        (
            400,
            "InvalidReplicationGroupState",
            ApiErrorKind::InvalidState,
        ),
        (400, "InvalidParameterValue", ApiErrorKind::Invalid),
    ] {
        let answer = move || xml_error(status, code, "refused");
        let rules = [
            mock!(Client::describe_replication_groups).then_http_response(answer),
            mock!(Client::describe_cache_clusters).then_http_response(answer),
            mock!(Client::modify_replication_group).then_http_response(answer),
            mock!(Client::list_tags_for_resource).then_http_response(answer),
            mock!(Client::describe_cache_engine_versions).then_http_response(answer),
        ];
        let client = mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, &rules);
        for (spec, p) in every_elasticache_call() {
            let err = call(&client, spec, p).await.unwrap_err();
            assert_eq!(
                (err.kind, err.code.as_str(), err.operation.as_str()),
                (kind, code, spec.operation),
                "{}",
                spec.name
            );
            assert_eq!(err.message, "refused", "{}", spec.name);
            assert!(!format!("{err:?}").contains(TOKEN), "{}", spec.name);
        }
    }
}

fn engine(version: &str, family: &str) -> aws_sdk_elasticache::types::CacheEngineVersion {
    aws_sdk_elasticache::types::CacheEngineVersion::builder()
        .engine("redis")
        .engine_version(version)
        .cache_parameter_group_family(family)
        .build()
}

#[tokio::test]
async fn describe_cache_engine_versions_reads_every_page_and_offers_the_major_newest_first() {
    use aws_sdk_elasticache::operation::describe_cache_engine_versions::DescribeCacheEngineVersionsOutput;
    let first = mock!(Client::describe_cache_engine_versions)
        .match_requests(|r| r.marker().is_none() && r.engine() == Some("redis"))
        .then_output(|| {
            DescribeCacheEngineVersionsOutput::builder()
                .cache_engine_versions(engine("5.0.6", "redis5.0"))
                .cache_engine_versions(engine("7.0", "redis7"))
                .marker("page-2")
                .build()
        });
    let second = mock!(Client::describe_cache_engine_versions)
        .match_requests(|r| r.marker() == Some("page-2"))
        .then_output(|| {
            DescribeCacheEngineVersionsOutput::builder()
                .cache_engine_versions(engine("6.2", "redis6.x"))
                .cache_engine_versions(engine("7.1", "redis7"))
                .build()
        });
    let client = mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, [&first, &second]);
    let out = call(
        &client,
        &elasticache::DESCRIBE_CACHE_ENGINE_VERSIONS,
        json!({"Engine": "redis", "MajorVersion": 7}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "Versions": [
                {"EngineVersion": "7.1", "CacheParameterGroupFamily": "redis7"},
                {"EngineVersion": "7.0", "CacheParameterGroupFamily": "redis7"},
            ],
            "Default": "7.1",
            "Options": [
                {"value": "7.1", "label": "7.1 (parameter group family redis7, the newest)"},
                {"value": "7.0", "label": "7.0 (parameter group family redis7)"},
            ],
            "Count": 2,
        })
    );
    assert_eq!(first.num_calls() + second.num_calls(), 2);
    let none = elasticache::engine_versions_json(&[engine("5.0.6", "redis5.0")], 7);
    assert_eq!(none["Default"], Value::Null);
    assert_eq!(none["Options"], json!([]));
}

#[tokio::test]
async fn the_upgrade_and_the_tls_modes_send_exactly_their_parameters() {
    use aws_sdk_elasticache::types::TransitEncryptionMode;
    let seen = Seen::new();
    let rule = mock!(Client::modify_replication_group)
        .match_requests(seen.keep())
        .then_output(|| {
            ModifyReplicationGroupOutput::builder()
                .replication_group(group("modifying", None))
                .build()
        });
    let client = mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, [&rule]);
    call(
        &client,
        &elasticache::MODIFY_ENGINE_VERSION,
        json!({"ReplicationGroupId": "r1", "EngineVersion": "7.1", "ApplyImmediately": true}),
    )
    .await
    .unwrap();
    let out = call(
        &client,
        &elasticache::MODIFY_TRANSIT_ENCRYPTION,
        json!({"ReplicationGroupId": "r1", "TransitEncryptionEnabled": true,
               "TransitEncryptionMode": "preferred", "ApplyImmediately": true}),
    )
    .await
    .unwrap();
    assert_eq!(out["Status"], "modifying");
    assert_eq!(
        seen.all(),
        [
            ModifyReplicationGroupInput::builder()
                .replication_group_id("r1")
                .engine_version("7.1")
                .apply_immediately(true)
                .build()
                .unwrap(),
            ModifyReplicationGroupInput::builder()
                .replication_group_id("r1")
                .transit_encryption_enabled(true)
                .transit_encryption_mode(TransitEncryptionMode::Preferred)
                .apply_immediately(true)
                .build()
                .unwrap(),
        ]
    );
}

/// The reconcile checks: a change whose answer was lost is seen (so not sent again) only when
/// the group shows it.
#[tokio::test]
async fn a_lost_upgrade_or_tls_change_is_seen_only_when_the_group_shows_it() {
    use aws_sdk_elasticache::types::TransitEncryptionMode;
    let tls_group = |status: &str, on: bool, mode: Option<&str>, pending: Option<&str>| {
        ReplicationGroup::builder()
            .replication_group_id("r1")
            .status(status)
            .member_clusters("r1-001")
            .transit_encryption_enabled(on)
            .set_transit_encryption_mode(mode.map(TransitEncryptionMode::from))
            .set_pending_modified_values(pending.map(|m| {
                ReplicationGroupPendingModifiedValues::builder()
                    .transit_encryption_enabled(true)
                    .transit_encryption_mode(TransitEncryptionMode::from(m))
                    .build()
            }))
            .build()
    };
    let cases = [
        (
            tls_group("modifying", false, None, Some("preferred")),
            "preferred",
            true,
        ),
        (
            tls_group("available", true, Some("preferred"), None),
            "preferred",
            true,
        ),
        (
            tls_group("available", true, Some("preferred"), None),
            "required",
            false,
        ),
        (
            tls_group("available", false, None, None),
            "preferred",
            false,
        ),
        (
            tls_group("modifying", true, Some("preferred"), Some("required")),
            "required",
            true,
        ),
    ];
    for (g, mode, seen) in cases {
        let shown = g.clone();
        let rule = mock!(Client::describe_replication_groups).then_output(move || {
            DescribeReplicationGroupsOutput::builder()
                .replication_groups(shown.clone())
                .build()
        });
        let client = mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, [&rule]);
        let p = params(
            json!({"ReplicationGroupId": "r1", "TransitEncryptionEnabled": true,
                              "TransitEncryptionMode": mode, "ApplyImmediately": true}),
        );
        let out = elasticache::modify_transit_encryption_seen(
            &client,
            &Params::new(&elasticache::MODIFY_TRANSIT_ENCRYPTION, &p),
        )
        .await
        .unwrap();
        assert_eq!(!out.is_null(), seen, "{mode} on {g:?}");
    }
    for (status, member_version, seen) in [
        ("modifying", "5.0.6", true),
        ("available", "7.1.0", true),
        ("available", "5.0.6", false),
    ] {
        let describe = mock!(Client::describe_replication_groups).then_output(move || {
            DescribeReplicationGroupsOutput::builder()
                .replication_groups(tls_group(status, false, None, None))
                .build()
        });
        let members = mock!(Client::describe_cache_clusters).then_output(move || {
            DescribeCacheClustersOutput::builder()
                .cache_clusters(
                    CacheCluster::builder()
                        .cache_cluster_id("r1-001")
                        .engine_version(member_version)
                        .build(),
                )
                .build()
        });
        let client = mock_client!(
            aws_sdk_elasticache,
            RuleMode::MatchAny,
            [&describe, &members]
        );
        let p = params(
            json!({"ReplicationGroupId": "r1", "EngineVersion": "7.1", "ApplyImmediately": true}),
        );
        let out = elasticache::modify_engine_version_seen(
            &client,
            &Params::new(&elasticache::MODIFY_ENGINE_VERSION, &p),
        )
        .await
        .unwrap();
        assert_eq!(
            !out.is_null(),
            seen,
            "{status}, members at {member_version}"
        );
    }
}
