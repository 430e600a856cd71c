//! The SDK adapters against aws-smithy-mocks: what the SDK returns becomes the JSON the
//! runbooks read, errors are sorted, and a wait over mocked responses runs in virtual time.

use aws_sdk_redshift::operation::describe_cluster_subnet_groups::{
    DescribeClusterSubnetGroupsInput, DescribeClusterSubnetGroupsOutput,
};
use aws_sdk_redshift::operation::describe_clusters::DescribeClustersOutput;
use aws_sdk_redshift::operation::modify_cluster::ModifyClusterOutput;
use aws_sdk_redshift::types::{Cluster, ClusterSubnetGroup, PendingModifiedValues, Subnet, Tag};
use aws_sdk_securityhub::operation::batch_update_findings::BatchUpdateFindingsOutput;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use hubfix::actions::{Params, redshift};
use hubfix::aws::ApiErrorKind;
use serde_json::{Map, Value, json};

pub fn params(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// Every request a rule matched, kept whole so a test compares it with the request expected
/// (a parameter left out must be unset, not merely different).
pub struct Seen<I>(std::sync::Arc<std::sync::Mutex<Vec<I>>>);

impl<I: Clone + Send + 'static> Seen<I> {
    pub fn new() -> Self {
        Seen(Default::default())
    }

    /// A `match_requests` filter that keeps each request and matches it.
    pub fn keep(&self) -> impl Fn(&I) -> bool + Send + Sync + 'static {
        let seen = self.0.clone();
        move |request| {
            seen.lock().unwrap().push(request.clone());
            true
        }
    }

    pub fn all(&self) -> Vec<I> {
        self.0.lock().unwrap().clone()
    }
}

/// An error answer as a query-protocol service (Redshift, ElastiCache) sends it.
pub fn xml_error(status: u16, code: &str, message: &str) -> aws_smithy_runtime_api::http::Response {
    aws_smithy_runtime_api::http::Response::new(
        aws_smithy_runtime_api::http::StatusCode::try_from(status).unwrap(),
        aws_smithy_types::body::SdkBody::from(format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
        )),
    )
}

fn cluster(status: &str, evr: bool, pending: bool) -> Cluster {
    let mut c = Cluster::builder()
        .cluster_identifier("c1")
        .cluster_status(status)
        .enhanced_vpc_routing(evr)
        .vpc_id("vpc-1");
    if pending {
        c = c.pending_modified_values(
            PendingModifiedValues::builder()
                .enhanced_vpc_routing(true)
                .build(),
        );
    }
    c.build()
}

#[tokio::test]
async fn describe_cluster_becomes_the_json_runbooks_read() {
    let rule = mock!(aws_sdk_redshift::Client::describe_clusters)
        .match_requests(|r| r.cluster_identifier() == Some("c1"))
        .then_output(|| {
            DescribeClustersOutput::builder()
                .clusters(cluster("modifying", false, true))
                .build()
        });
    let client = mock_client!(aws_sdk_redshift, [&rule]);
    let p = params(json!({"ClusterIdentifier": "c1"}));
    let out = redshift::describe_cluster(&client, &Params::new(&redshift::DESCRIBE_CLUSTER, &p))
        .await
        .unwrap();
    assert_eq!(out["ClusterStatus"], "modifying");
    assert_eq!(out["EnhancedVpcRouting"], false);
    assert_eq!(out["VpcId"], "vpc-1");
    assert_eq!(
        out["PendingModifiedValues"],
        json!({"EnhancedVpcRouting": true})
    );
    assert_eq!(out["CloudFormationStack"], Value::Null);
}

#[test]
fn a_cluster_a_stack_created_names_its_stack_and_subnet_group() {
    let c = Cluster::builder()
        .cluster_identifier("c1")
        .cluster_subnet_group_name("etl-subnets")
        .tags(Tag::builder().key("team").value("etl").build())
        .tags(
            Tag::builder()
                .key("aws:cloudformation:stack-name")
                .value("etl-prod")
                .build(),
        )
        .build();
    let out = redshift::cluster_json(&c);
    assert_eq!(out["CloudFormationStack"], "etl-prod");
    assert_eq!(out["ClusterSubnetGroupName"], "etl-subnets");
}

#[tokio::test]
async fn describe_cluster_subnet_group_gives_its_vpc_and_subnets() {
    let seen = Seen::new();
    let rule = mock!(aws_sdk_redshift::Client::describe_cluster_subnet_groups)
        .match_requests(seen.keep())
        .then_output(|| {
            DescribeClusterSubnetGroupsOutput::builder()
                .cluster_subnet_groups(
                    ClusterSubnetGroup::builder()
                        .cluster_subnet_group_name("etl-subnets")
                        .vpc_id("vpc-1")
                        .subnet_group_status("Complete")
                        .subnets(Subnet::builder().subnet_identifier("subnet-a").build())
                        .subnets(Subnet::builder().subnet_identifier("subnet-b").build())
                        .build(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_redshift, [&rule]);
    let spec = &redshift::DESCRIBE_CLUSTER_SUBNET_GROUP;
    let p = params(json!({"ClusterSubnetGroupName": "etl-subnets"}));
    let out = redshift::describe_cluster_subnet_group(&client, &Params::new(spec, &p))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"ClusterSubnetGroupName": "etl-subnets", "VpcId": "vpc-1",
               "SubnetGroupStatus": "Complete", "SubnetIds": ["subnet-a", "subnet-b"]})
    );
    assert_eq!(
        seen.all(),
        [DescribeClusterSubnetGroupsInput::builder()
            .cluster_subnet_group_name("etl-subnets")
            .build()
            .unwrap()]
    );

    for (status, code, kind) in [
        (
            400,
            "ClusterSubnetGroupNotFoundFault",
            ApiErrorKind::NotFound,
        ),
        (403, "AccessDenied", ApiErrorKind::AccessDenied),
    ] {
        let rule = mock!(aws_sdk_redshift::Client::describe_cluster_subnet_groups)
            .then_http_response(move || xml_error(status, code, "refused"));
        let client = mock_client!(aws_sdk_redshift, [&rule]);
        let err = redshift::describe_cluster_subnet_group(&client, &Params::new(spec, &p))
            .await
            .unwrap_err();
        assert_eq!(
            (err.kind, err.code.as_str(), err.operation.as_str()),
            (kind, code, spec.operation)
        );
    }
}

#[tokio::test]
async fn a_missing_cluster_is_not_found() {
    let rule = mock!(aws_sdk_redshift::Client::describe_clusters)
        .then_http_response(|| xml_error(404, "ClusterNotFound", "Cluster nope not found."));
    let client = mock_client!(aws_sdk_redshift, [&rule]);
    let p = params(json!({"ClusterIdentifier": "nope"}));
    let err = redshift::describe_cluster(&client, &Params::new(&redshift::DESCRIBE_CLUSTER, &p))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::NotFound);
    assert!(
        err.to_string()
            .contains("redshift:DescribeClusters: Cluster nope not found."),
        "{err}"
    );
}

#[tokio::test]
async fn modify_cluster_sends_enhanced_vpc_routing() {
    let rule = mock!(aws_sdk_redshift::Client::modify_cluster)
        .match_requests(|r| {
            r.cluster_identifier() == Some("c1") && r.enhanced_vpc_routing() == Some(true)
        })
        .then_output(|| {
            ModifyClusterOutput::builder()
                .cluster(cluster("modifying", false, true))
                .build()
        });
    let client = mock_client!(aws_sdk_redshift, [&rule]);
    let p = params(json!({"ClusterIdentifier": "c1", "EnhancedVpcRouting": true}));
    let out = redshift::modify_cluster(&client, &Params::new(&redshift::MODIFY_CLUSTER, &p))
        .await
        .unwrap();
    assert_eq!(out["ClusterStatus"], "modifying");
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_wrongly_typed_parameter_is_refused_before_sending() {
    let rule = mock!(aws_sdk_redshift::Client::modify_cluster)
        .then_output(|| ModifyClusterOutput::builder().build());
    let client = mock_client!(aws_sdk_redshift, [&rule]);
    let p = params(json!({"ClusterIdentifier": "c1", "EnhancedVpcRouting": "yes"}));
    let err = redshift::modify_cluster(&client, &Params::new(&redshift::MODIFY_CLUSTER, &p))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`EnhancedVpcRouting`"), "{err}");
    assert_eq!(rule.num_calls(), 0);
}

#[tokio::test]
async fn service_errors_are_sorted_by_code() {
    let rule = mock!(aws_sdk_redshift::Client::modify_cluster)
        .then_http_response(|| xml_error(400, "InvalidClusterState", "busy"));
    let client = mock_client!(aws_sdk_redshift, [&rule]);
    let p = params(json!({"ClusterIdentifier": "c1"}));
    let err = redshift::modify_cluster(&client, &Params::new(&redshift::MODIFY_CLUSTER, &p))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::InvalidState);
    assert_eq!(err.code, "InvalidClusterState");
}

/// An `Api` over one mocked Redshift client, to run the engine's wait on SDK responses.
struct MockedRedshift(aws_sdk_redshift::Client);

#[async_trait::async_trait]
impl hubfix::actions::Api for MockedRedshift {
    async fn settle(
        &self,
        _action: &'static hubfix::actions::ActionSpec,
        _region: Option<&str>,
        _params: &Map<String, Value>,
    ) -> Result<Option<Value>, hubfix::aws::ApiError> {
        Ok(None)
    }

    async fn call(
        &self,
        action: &'static hubfix::actions::ActionSpec,
        _: Option<&str>,
        p: &Map<String, Value>,
    ) -> Result<Value, hubfix::aws::ApiError> {
        redshift::describe_cluster(&self.0, &Params::new(action, p)).await
    }
}

#[tokio::test(start_paused = true)]
async fn the_wait_sees_the_change_start_then_finish_in_virtual_time() {
    // Right after the modify the status still reads `available` (the race in aws-facts.md):
    // the wait must not stop there.
    let rule = mock!(aws_sdk_redshift::Client::describe_clusters)
        .sequence()
        .output(|| {
            DescribeClustersOutput::builder()
                .clusters(cluster("available", false, false))
                .build()
        })
        .output(|| {
            DescribeClustersOutput::builder()
                .clusters(cluster("modifying", false, true))
                .build()
        })
        .times(20)
        .output(|| {
            DescribeClustersOutput::builder()
                .clusters(cluster("available", true, false))
                .build()
        })
        .build();
    let client = mock_client!(aws_sdk_redshift, RuleMode::Sequential, [&rule]);
    let api = MockedRedshift(client);
    let plan = crate::fixture::plan("Redshift.7");
    let hubfix::runbook::StepKind::Wait(spec) =
        &plan.steps[plan.index_of("wait_available").unwrap()].kind
    else {
        panic!("wait_available is a wait")
    };
    let until = |o: &Value| o["EnhancedVpcRouting"] == json!(true);
    let mut statuses = Vec::new();
    use hubfix::engine::Reporter;
    let display = hubfix::engine::RecordingReporter::default();
    let mut wait_display = display.wait("w");
    let start = tokio::time::Instant::now();
    let end = hubfix::engine::wait_until_ready(
        &api,
        &redshift::DESCRIBE_CLUSTER,
        None,
        &params(json!({"ClusterIdentifier": "c1"})),
        spec,
        &until,
        std::time::Duration::from_secs(3600),
        hubfix::engine::PollPolicy::default(),
        wait_display.as_mut(),
        &mut |r| {
            statuses.push(r.status.to_owned());
            Ok(())
        },
    )
    .await;
    assert!(
        matches!(end, hubfix::engine::WaitEnd::Ready(ref o) if o["EnhancedVpcRouting"] == json!(true))
    );
    assert_eq!(statuses, ["available", "modifying", "available"]);
    // 22 polls backing off to 8 s: well under the SDK waiter's 60 s minimum delay each.
    let waited = start.elapsed().as_secs();
    assert!(waited < 22 * 8, "waited {waited}s");
    assert_eq!(rule.num_calls(), 22);
}

#[tokio::test]
async fn batch_update_reports_unprocessed_findings() {
    use aws_sdk_securityhub::types::{
        AwsSecurityFindingIdentifier, BatchUpdateFindingsUnprocessedFinding,
    };
    let rule = mock!(aws_sdk_securityhub::Client::batch_update_findings)
        .match_requests(|r| {
            r.note().and_then(|n| n.updated_by()) == Some("Taro")
                && r.finding_identifiers().len() == 2
        })
        .then_output(|| {
            BatchUpdateFindingsOutput::builder()
                .processed_findings(
                    AwsSecurityFindingIdentifier::builder()
                        .id("a")
                        .product_arn("p")
                        .build(),
                )
                .unprocessed_findings(
                    BatchUpdateFindingsUnprocessedFinding::builder()
                        .finding_identifier(
                            AwsSecurityFindingIdentifier::builder()
                                .id("b")
                                .product_arn("p")
                                .build(),
                        )
                        .error_code("FindingNotFound")
                        .error_message("not found")
                        .build(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_securityhub, [&rule]);
    let hub = hubfix::findings::SdkSecurityHub::from_client(client);
    let refs = vec![
        hubfix::findings::FindingRef {
            id: "a".into(),
            product_arn: "p".into(),
        },
        hubfix::findings::FindingRef {
            id: "b".into(),
            product_arn: "p".into(),
        },
    ];
    let failed = hubfix::findings::update_findings(
        &hub,
        &refs,
        hubfix::findings::WorkflowStatus::Suppressed,
        "note",
        "Taro",
        None,
    )
    .await
    .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].finding.id, "b");
    assert_eq!(failed[0].error_code, "FindingNotFound");
}

/// The review listing asks for active SUPPRESSED findings with the `UserDefinedFields` map
/// filter, and reads every finding's fields; an update sends the whole map given, and none
/// when it is not given (the lock leaves the fields alone).
#[tokio::test]
async fn review_queries_with_the_map_filter_and_updates_send_the_whole_map() {
    use aws_sdk_securityhub::operation::get_findings::GetFindingsOutput;
    use aws_sdk_securityhub::types::{
        AwsSecurityFinding, MapFilterComparison, StringFilterComparison,
    };
    let query = Seen::new();
    let get = mock!(aws_sdk_securityhub::Client::get_findings)
        .match_requests(query.keep())
        .then_output(|| {
            GetFindingsOutput::builder()
                .findings(
                    AwsSecurityFinding::builder()
                        .id("f1")
                        .product_arn("p")
                        .user_defined_fields("hubfix:review_by", "2027-06-01")
                        .user_defined_fields("ticket", "SEC-1")
                        .build(),
                )
                .build()
        });
    let sent = Seen::new();
    let update = mock!(aws_sdk_securityhub::Client::batch_update_findings)
        .match_requests(sent.keep())
        .then_output(|| BatchUpdateFindingsOutput::builder().build());
    let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&get, &update]);
    let hub = hubfix::findings::SdkSecurityHub::from_client(client);
    use hubfix::findings::SecurityHub;
    let found = hub
        .suppressed_findings("hubfix:review_by", "-")
        .await
        .unwrap();
    assert_eq!(found[0].user_defined_fields["ticket"], "SEC-1");
    assert_eq!(
        found[0].user_defined_fields["hubfix:review_by"],
        "2027-06-01"
    );
    let filters = query.all()[0].filters().cloned().unwrap();
    let map = &filters.user_defined_fields()[0];
    assert_eq!(
        (map.key(), map.value(), map.comparison()),
        (
            Some("hubfix:review_by"),
            Some("-"),
            Some(&MapFilterComparison::Contains)
        )
    );
    let status = &filters.workflow_status()[0];
    assert_eq!(status.value(), Some("SUPPRESSED"));
    assert_eq!(status.comparison(), Some(&StringFilterComparison::Equals));
    assert_eq!(filters.record_state()[0].value(), Some("ACTIVE"));

    let refs = [hubfix::findings::FindingRef {
        id: "f1".into(),
        product_arn: "p".into(),
    }];
    let fields = found[0].user_defined_fields.clone();
    for given in [Some(&fields), None] {
        hub.batch_update(
            &refs,
            hubfix::findings::WorkflowStatus::New,
            "note",
            "Taro",
            given,
        )
        .await
        .unwrap();
    }
    let sent = sent.all();
    let map = sent[0].user_defined_fields().unwrap();
    assert_eq!(map.len(), 2);
    assert_eq!(map["ticket"], "SEC-1");
    assert_eq!(sent[1].user_defined_fields(), None);
}
