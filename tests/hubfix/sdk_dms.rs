//! The DMS adapters against aws-smithy-mocks: what the SDK returns becomes the JSON the DMS.1
//! and DMS.9 runbooks read, the JSON parameters become exactly the request sent (a parameter
//! left out is unset), and DMS's errors (JSON protocol) are sorted.

use crate::sdk_adapters::{Seen, params};
use aws_sdk_databasemigration::Client;
use aws_sdk_databasemigration::operation::create_replication_instance::{
    CreateReplicationInstanceInput, CreateReplicationInstanceOutput,
};
use aws_sdk_databasemigration::operation::create_replication_task::{
    CreateReplicationTaskInput, CreateReplicationTaskOutput,
};
use aws_sdk_databasemigration::operation::delete_replication_instance::{
    DeleteReplicationInstanceInput, DeleteReplicationInstanceOutput,
};
use aws_sdk_databasemigration::operation::delete_replication_task::{
    DeleteReplicationTaskInput, DeleteReplicationTaskOutput,
};
use aws_sdk_databasemigration::operation::describe_certificates::{
    DescribeCertificatesInput, DescribeCertificatesOutput,
};
use aws_sdk_databasemigration::operation::describe_connections::{
    DescribeConnectionsInput, DescribeConnectionsOutput,
};
use aws_sdk_databasemigration::operation::describe_endpoints::{
    DescribeEndpointsInput, DescribeEndpointsOutput,
};
use aws_sdk_databasemigration::operation::describe_replication_instances::{
    DescribeReplicationInstancesInput, DescribeReplicationInstancesOutput,
};
use aws_sdk_databasemigration::operation::describe_replication_tasks::{
    DescribeReplicationTasksInput, DescribeReplicationTasksOutput,
};
use aws_sdk_databasemigration::operation::import_certificate::{
    ImportCertificateInput, ImportCertificateOutput,
};
use aws_sdk_databasemigration::operation::list_tags_for_resource::{
    ListTagsForResourceInput, ListTagsForResourceOutput,
};
use aws_sdk_databasemigration::operation::modify_endpoint::{
    ModifyEndpointInput, ModifyEndpointOutput,
};
use aws_sdk_databasemigration::operation::move_replication_task::{
    MoveReplicationTaskInput, MoveReplicationTaskOutput,
};
use aws_sdk_databasemigration::operation::start_replication_task::{
    StartReplicationTaskInput, StartReplicationTaskOutput,
};
use aws_sdk_databasemigration::operation::stop_replication_task::{
    StopReplicationTaskInput, StopReplicationTaskOutput,
};
use aws_sdk_databasemigration::operation::test_connection::{
    TestConnectionInput, TestConnectionOutput,
};
use aws_sdk_databasemigration::types::{
    Certificate, Connection, DmsSslModeValue, Endpoint, Filter, KerberosAuthenticationSettings,
    MigrationTypeValue, ReplicationEndpointTypeValue, ReplicationInstance,
    ReplicationPendingModifiedValues, ReplicationSubnetGroup, ReplicationTask,
    ReplicationTaskStats, StartReplicationTaskTypeValue, Tag, VpcSecurityGroupMembership,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use hubfix::actions::{ActionSpec, Handler, Params, dms, dms_endpoints};
use hubfix::aws::{ApiError, ApiErrorKind};
use serde_json::{Value, json};

const INSTANCE: &str = "arn:aws:dms:ap-northeast-1:123456789012:rep:ABC";
const SRC: &str = "arn:aws:dms:ap-northeast-1:123456789012:endpoint:SRC";
const TGT: &str = "arn:aws:dms:ap-northeast-1:123456789012:endpoint:TGT";
const T1: &str = "arn:aws:dms:ap-northeast-1:123456789012:task:T1";
const T2: &str = "arn:aws:dms:ap-northeast-1:123456789012:task:T2";
const CERT: &str = "arn:aws:dms:ap-northeast-1:123456789012:cert:CA";
const KMS: &str = "arn:aws:kms:ap-northeast-1:123456789012:key/k1";

/// An error answer as DMS's JSON protocol (awsJson1_1) sends it.
fn json_error(code: &str, message: &str) -> aws_smithy_runtime_api::http::Response {
    aws_smithy_runtime_api::http::Response::new(
        aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
        aws_smithy_types::body::SdkBody::from(
            json!({"__type": code, "message": message}).to_string(),
        ),
    )
}

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
        .unwrap()
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// Runs a call through its catalog handler, as the engine does.
async fn call(client: &Client, spec: &'static ActionSpec, p: Value) -> Result<Value, ApiError> {
    let p = params(p);
    match &spec.handler {
        Handler::Dms(f) => f(client, Params::new(spec, &p)).await,
        other => panic!("{} is not a DMS call: {other:?}", spec.name),
    }
}

/// A public instance with every setting set; security groups not in order.
fn instance() -> ReplicationInstance {
    ReplicationInstance::builder()
        .replication_instance_identifier("dms1")
        .replication_instance_arn(INSTANCE)
        .replication_instance_status("available")
        .replication_instance_class("dms.t3.medium")
        .allocated_storage(50)
        .engine_version("3.5.3")
        .auto_minor_version_upgrade(true)
        .multi_az(false)
        .availability_zone("ap-northeast-1a")
        .replication_subnet_group(
            ReplicationSubnetGroup::builder()
                .replication_subnet_group_identifier("dms-subnets")
                .vpc_id("vpc-0abc")
                .build(),
        )
        .vpc_security_groups(
            VpcSecurityGroupMembership::builder()
                .vpc_security_group_id("sg-0002")
                .status("active")
                .build(),
        )
        .vpc_security_groups(
            VpcSecurityGroupMembership::builder()
                .vpc_security_group_id("sg-0001")
                .status("active")
                .build(),
        )
        .kms_key_id(KMS)
        .preferred_maintenance_window("sun:06:00-sun:06:30")
        .dns_name_servers("10.0.0.2,10.0.0.3")
        .network_type("IPV4")
        .kerberos_authentication_settings(
            KerberosAuthenticationSettings::builder()
                .key_cache_secret_id("kc")
                .key_cache_secret_iam_arn("arn:aws:iam::123456789012:role/kc")
                .krb5_file_contents("[libdefaults]")
                .build(),
        )
        .publicly_accessible(true)
        .replication_instance_public_ip_addresses("203.0.113.10")
        .pending_modified_values(
            ReplicationPendingModifiedValues::builder()
                .replication_instance_class("dms.t3.large")
                .build(),
        )
        .build()
}

/// The JSON of [`instance`]: every setting under CreateReplicationInstance's name.
fn instance_json() -> Value {
    json!({
        "ReplicationInstanceIdentifier": "dms1",
        "ReplicationInstanceArn": INSTANCE,
        "ReplicationInstanceStatus": "available",
        "ReplicationInstanceClass": "dms.t3.medium",
        "AllocatedStorage": 50,
        "EngineVersion": "3.5.3",
        "AutoMinorVersionUpgrade": true,
        "MultiAZ": false,
        "AvailabilityZone": "ap-northeast-1a",
        "ReplicationSubnetGroupIdentifier": "dms-subnets",
        "VpcId": "vpc-0abc",
        "VpcSecurityGroupIds": ["sg-0001", "sg-0002"],
        "KmsKeyId": KMS,
        "PreferredMaintenanceWindow": "sun:06:00-sun:06:30",
        "DnsNameServers": "10.0.0.2,10.0.0.3",
        "NetworkType": "IPV4",
        "KerberosAuthenticationSettings": {
            "KeyCacheSecretId": "kc",
            "KeyCacheSecretIamArn": "arn:aws:iam::123456789012:role/kc",
            "Krb5FileContents": "[libdefaults]",
        },
        "PubliclyAccessible": true,
        "PublicIpAddresses": ["203.0.113.10"],
        "PendingModifiedValues": {"ReplicationInstanceClass": "dms.t3.large"},
    })
}

#[tokio::test]
async fn describe_replication_instance_gives_every_setting_the_runbook_carries() {
    let seen = Seen::new();
    let rule = mock!(Client::describe_replication_instances)
        .match_requests(seen.keep())
        .then_output(|| {
            DescribeReplicationInstancesOutput::builder()
                .replication_instances(instance())
                .build()
        });
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let out = call(
        &client,
        &dms::DESCRIBE_REPLICATION_INSTANCE,
        json!({"ReplicationInstance": INSTANCE}),
    )
    .await
    .unwrap();
    assert_eq!(out, instance_json());
    assert_eq!(
        seen.all(),
        [DescribeReplicationInstancesInput::builder()
            .filters(filter("replication-instance-arn", &[INSTANCE]))
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn an_instance_named_by_identifier_with_nothing_optional_set_gives_nulls() {
    let seen = Seen::new();
    let rule = mock!(Client::describe_replication_instances)
        .match_requests(seen.keep())
        .then_output(|| {
            DescribeReplicationInstancesOutput::builder()
                .replication_instances(
                    ReplicationInstance::builder()
                        .replication_instance_identifier("dms2")
                        .replication_instance_status("creating")
                        .multi_az(true)
                        // A Multi-AZ instance reports its primary's zone; create refuses one.
                        .availability_zone("ap-northeast-1c")
                        .build(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let out = call(
        &client,
        &dms::DESCRIBE_REPLICATION_INSTANCE,
        json!({"ReplicationInstance": "dms2"}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "ReplicationInstanceIdentifier": "dms2",
            "ReplicationInstanceArn": null,
            "ReplicationInstanceStatus": "creating",
            "ReplicationInstanceClass": null,
            "AllocatedStorage": 0,
            "EngineVersion": null,
            "AutoMinorVersionUpgrade": false,
            "MultiAZ": true,
            "AvailabilityZone": null,
            "ReplicationSubnetGroupIdentifier": null,
            "VpcId": null,
            "VpcSecurityGroupIds": [],
            "KmsKeyId": null,
            "PreferredMaintenanceWindow": null,
            "DnsNameServers": null,
            "NetworkType": null,
            "KerberosAuthenticationSettings": null,
            "PubliclyAccessible": false,
            "PublicIpAddresses": [],
            "PendingModifiedValues": {},
        })
    );
    assert_eq!(
        seen.all(),
        [DescribeReplicationInstancesInput::builder()
            .filters(filter("replication-instance-id", &["dms2"]))
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn an_empty_answer_or_resource_not_found_is_not_found() {
    let rule = mock!(Client::describe_replication_instances)
        .then_output(|| DescribeReplicationInstancesOutput::builder().build());
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let err = call(
        &client,
        &dms::DESCRIBE_REPLICATION_INSTANCE,
        json!({"ReplicationInstance": "gone"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::NotFound);
    assert_eq!(err.message, "no DMS replication instance `gone`");

    let rule = mock!(Client::describe_replication_instances).then_http_response(|| {
        json_error(
            "ResourceNotFoundFault",
            "No replication instance found: gone",
        )
    });
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let err = call(
        &client,
        &dms::DESCRIBE_REPLICATION_INSTANCE,
        json!({"ReplicationInstance": "gone"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::NotFound);
    assert_eq!(err.code, "ResourceNotFoundFault");
    assert_eq!(err.operation, "dms:DescribeReplicationInstances");
    assert_eq!(err.message, "No replication instance found: gone");
}

#[tokio::test]
async fn list_tags_gives_the_users_tags_sorted_without_aws_ones_and_the_stack() {
    let seen = Seen::new();
    let rule = mock!(Client::list_tags_for_resource)
        .match_requests(seen.keep())
        .then_output(|| {
            ListTagsForResourceOutput::builder()
                .tag_list(tag("owner", "data-team"))
                .tag_list(tag("aws:cloudformation:stack-name", "dms"))
                .tag_list(tag("env", "prod"))
                .tag_list(Tag::builder().key("empty").build())
                .build()
        });
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let out = call(&client, &dms::LIST_TAGS, json!({"ResourceArn": INSTANCE}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"Tags": [
            {"Key": "empty", "Value": ""},
            {"Key": "env", "Value": "prod"},
            {"Key": "owner", "Value": "data-team"},
        ], "CloudFormationStack": "dms"})
    );
    assert_eq!(
        seen.all(),
        [ListTagsForResourceInput::builder()
            .resource_arn(INSTANCE)
            .build()
            .unwrap()]
    );
}

/// `t1`: running, 42% loaded, with the log group and stream DMS made in its settings.
fn task_t1() -> ReplicationTask {
    ReplicationTask::builder()
        .replication_task_identifier("t1")
        .replication_task_arn(T1)
        .replication_instance_arn(INSTANCE)
        .source_endpoint_arn(SRC)
        .target_endpoint_arn(TGT)
        .migration_type(MigrationTypeValue::FullLoadAndCdc)
        .table_mappings(r#"{"rules":[{"rule-name":"1"}]}"#)
        .replication_task_settings(
            r#"{"Logging":{"CloudWatchLogGroup":"dms-tasks-dms1","CloudWatchLogStream":"dms-task-T1","EnableLogging":true},"TargetMetadata":{"BatchApplyEnabled":true}}"#,
        )
        .status("running")
        .replication_task_stats(
            ReplicationTaskStats::builder()
                .full_load_progress_percent(42)
                .build(),
        )
        .build()
}

/// `t2`: stopped CDC from a checkpoint, never loaded, settings without a log group.
fn task_t2() -> ReplicationTask {
    ReplicationTask::builder()
        .replication_task_identifier("t2")
        .replication_task_arn(T2)
        .replication_instance_arn(INSTANCE)
        .source_endpoint_arn(SRC)
        .target_endpoint_arn(TGT)
        .migration_type(MigrationTypeValue::Cdc)
        .table_mappings(r#"{"rules":[{"rule-name":"2"}]}"#)
        .replication_task_settings(r#"{ "Logging": { "EnableLogging": false } }"#)
        .cdc_start_position("checkpoint:V1#27#mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876#0#0#*#0#24")
        .task_data("{}")
        .status("stopped")
        .build()
}

/// The saved definition of `t1`: its settings as create takes them.
fn task_t1_json() -> Value {
    json!({
        "ReplicationTaskIdentifier": "t1",
        "ReplicationTaskArn": T1,
        "ReplicationInstanceArn": INSTANCE,
        "SourceEndpointArn": SRC,
        "TargetEndpointArn": TGT,
        "MigrationType": "full-load-and-cdc",
        "TableMappings": r#"{"rules":[{"rule-name":"1"}]}"#,
        "ReplicationTaskSettings": r#"{"Logging":{"EnableLogging":true},"TargetMetadata":{"BatchApplyEnabled":true}}"#,
        "CdcStartPosition": null,
        "TaskData": null,
        "Status": "running",
        "FullLoadProgressPercent": 42,
        "Tags": [{"Key": "task", "Value": "t1"}],
    })
}

fn task_t2_json() -> Value {
    json!({
        "ReplicationTaskIdentifier": "t2",
        "ReplicationTaskArn": T2,
        "ReplicationInstanceArn": INSTANCE,
        "SourceEndpointArn": SRC,
        "TargetEndpointArn": TGT,
        "MigrationType": "cdc",
        "TableMappings": r#"{"rules":[{"rule-name":"2"}]}"#,
        // Nothing to take out: sent as read, byte for byte.
        "ReplicationTaskSettings": r#"{ "Logging": { "EnableLogging": false } }"#,
        "CdcStartPosition": "checkpoint:V1#27#mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876#0#0#*#0#24",
        "TaskData": "{}",
        "Status": "stopped",
        "FullLoadProgressPercent": null,
        "Tags": [],
    })
}

#[tokio::test]
async fn instance_tasks_give_every_page_with_definitions_tags_and_one_state() {
    let tasks_seen = Seen::new();
    let tasks = mock!(Client::describe_replication_tasks)
        .match_requests(tasks_seen.keep())
        .sequence()
        .output(|| {
            DescribeReplicationTasksOutput::builder()
                .replication_tasks(task_t2())
                .marker("page-2")
                .build()
        })
        .output(|| {
            DescribeReplicationTasksOutput::builder()
                .replication_tasks(task_t1())
                .build()
        })
        .build();
    let endpoints_seen = Seen::new();
    // Only the source is found: the target is shown by its ARN.
    let endpoints = mock!(Client::describe_endpoints)
        .match_requests(endpoints_seen.keep())
        .then_output(|| {
            DescribeEndpointsOutput::builder()
                .endpoints(
                    Endpoint::builder()
                        .endpoint_arn(SRC)
                        .endpoint_identifier("src")
                        .engine_name("postgres")
                        .build(),
                )
                .build()
        });
    let tags_seen = Seen::new();
    let tags = mock!(Client::list_tags_for_resource)
        .match_requests(tags_seen.keep())
        .then_compute_output(|r| {
            let out = ListTagsForResourceOutput::builder()
                .tag_list(tag("aws:cloudformation:stack-name", "dms"));
            match r.resource_arn() {
                Some(T1) => out.tag_list(tag("task", "t1")),
                _ => out,
            }
            .build()
        });
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::MatchAny,
        [&tasks, &endpoints, &tags]
    );
    let out = call(
        &client,
        &dms::DESCRIBE_INSTANCE_TASKS,
        json!({"ReplicationInstanceArn": INSTANCE}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "Tasks": [task_t1_json(), task_t2_json()],
            "Count": 2,
            // What a new instance must reach before the tasks run there, and who uses each.
            // By identifier; TGT, which DescribeEndpoints did not name, goes by its ARN.
            "EndpointArns": [TGT, SRC],
            "Endpoints": [
                {"EndpointArn": TGT, "EndpointIdentifier": TGT, "Tasks": ["t1", "t2"]},
                {"EndpointArn": SRC, "EndpointIdentifier": "src", "Tasks": ["t1", "t2"]},
            ],
            "Arns": [T1, T2],
            "Identifiers": ["t1", "t2"],
            "RunningArns": [T1],
            "RunningIdentifiers": ["t1"],
            "State": "running",
            "Summary": format!(
                "t1: full-load-and-cdc, running, 42% loaded, src (postgres) → {TGT}\n\
                 t2: cdc, stopped, src (postgres) → {TGT}"
            ),
        })
    );
    let by_instance = filter("replication-instance-arn", &[INSTANCE]);
    assert_eq!(
        tasks_seen.all(),
        [
            DescribeReplicationTasksInput::builder()
                .filters(by_instance.clone())
                .build()
                .unwrap(),
            DescribeReplicationTasksInput::builder()
                .filters(by_instance)
                .marker("page-2")
                .build()
                .unwrap(),
        ]
    );
    assert_eq!(
        endpoints_seen.all(),
        [DescribeEndpointsInput::builder()
            .filters(filter("endpoint-arn", &[SRC, TGT]))
            .build()
            .unwrap()]
    );
    let tagged: Vec<Option<String>> = tags_seen
        .all()
        .iter()
        .map(|r| r.resource_arn().map(str::to_owned))
        .collect();
    assert_eq!(tagged, [Some(T1.to_owned()), Some(T2.to_owned())]);
}

#[tokio::test]
async fn no_tasks_is_state_none_and_no_other_call() {
    // DMS answers ResourceNotFoundFault when no task matches the filter.
    let tasks = mock!(Client::describe_replication_tasks)
        .then_http_response(|| json_error("ResourceNotFoundFault", "No Tasks found"));
    let client = mock_client!(aws_sdk_databasemigration, [&tasks]);
    let out = call(
        &client,
        &dms::DESCRIBE_INSTANCE_TASKS,
        json!({"ReplicationInstanceArn": INSTANCE}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "Tasks": [], "Count": 0, "EndpointArns": [], "Endpoints": [], "Arns": [], "Identifiers": [], "RunningArns": [],
            "RunningIdentifiers": [], "State": "none", "Summary": "(no replication tasks)",
        })
    );
    assert_eq!(tasks.num_calls(), 1);
}

#[tokio::test]
async fn endpoint_tasks_are_the_tasks_using_the_endpoint() {
    let seen = Seen::new();
    let tasks = mock!(Client::describe_replication_tasks)
        .match_requests(seen.keep())
        .then_output(|| {
            DescribeReplicationTasksOutput::builder()
                .replication_tasks(task_t2())
                .build()
        });
    // The endpoints cannot be read: the tasks are still shown, endpoints by ARN.
    let endpoints = mock!(Client::describe_endpoints)
        .then_http_response(|| json_error("AccessDeniedFault", "not allowed"));
    let tags = mock!(Client::list_tags_for_resource)
        .then_output(|| ListTagsForResourceOutput::builder().build());
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::MatchAny,
        [&tasks, &endpoints, &tags]
    );
    let out = call(
        &client,
        &dms_endpoints::DESCRIBE_ENDPOINT_TASKS,
        json!({"EndpointArn": SRC}),
    )
    .await
    .unwrap();
    assert_eq!(out["Tasks"], json!([task_t2_json()]));
    assert_eq!(out["State"], "stopped");
    assert_eq!(out["RunningArns"], json!([]));
    assert_eq!(out["Summary"], format!("t2: cdc, stopped, {SRC} → {TGT}"));
    assert_eq!(
        seen.all(),
        [DescribeReplicationTasksInput::builder()
            .filters(filter("endpoint-arn", &[SRC]))
            .build()
            .unwrap()]
    );
}

#[test]
fn one_state_sums_up_every_task() {
    let with = |statuses: &[&str]| {
        let tasks: Vec<(ReplicationTask, Vec<Tag>)> = statuses
            .iter()
            .enumerate()
            .map(|(n, s)| {
                let t = ReplicationTask::builder()
                    .replication_task_identifier(format!("t{n}"))
                    .replication_task_arn(format!("arn:t{n}"))
                    .status(*s)
                    .build();
                (t, Vec::new())
            })
            .collect();
        dms::tasks_json(&tasks, &[])["State"].clone()
    };
    assert_eq!(with(&[]), "none");
    assert_eq!(with(&["running", "stopped"]), "running");
    assert_eq!(with(&["stopped", "ready", "failed"]), "stopped");
    for changing in [
        "creating",
        "deleting",
        "modifying",
        "moving",
        "starting",
        "stopping",
        "testing",
    ] {
        assert_eq!(with(&["running", changing]), "changing", "{changing}");
    }
}

#[tokio::test]
async fn a_saved_task_definition_is_recreated_as_it_was_saved() {
    // The runbook's recreate_tasks step: the item of describe_instance_tasks, on the new
    // instance. The settings are sent without the log group and stream DMS refuses.
    let item = task_t1_json();
    let seen = Seen::new();
    let rule = mock!(Client::create_replication_task)
        .match_requests(seen.keep())
        .then_output(|| {
            CreateReplicationTaskOutput::builder()
                .replication_task(
                    ReplicationTask::builder()
                        .replication_task_identifier("t1")
                        .replication_task_arn("arn:new-t1")
                        .status("creating")
                        .build(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let mut p = serde_json::Map::new();
    for (name, _) in dms::CREATE_REPLICATION_TASK.params {
        p.insert((*name).to_owned(), item[*name].clone());
    }
    p.insert("ReplicationInstanceArn".into(), json!("arn:new-instance"));
    let out = call(&client, &dms::CREATE_REPLICATION_TASK, Value::Object(p))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"ReplicationTaskIdentifier": "t1", "ReplicationTaskArn": "arn:new-t1", "Status": "creating"})
    );
    assert_eq!(
        seen.all(),
        [CreateReplicationTaskInput::builder()
            .replication_task_identifier("t1")
            .replication_instance_arn("arn:new-instance")
            .source_endpoint_arn(SRC)
            .target_endpoint_arn(TGT)
            .migration_type(MigrationTypeValue::FullLoadAndCdc)
            .table_mappings(r#"{"rules":[{"rule-name":"1"}]}"#)
            .replication_task_settings(
                r#"{"Logging":{"EnableLogging":true},"TargetMetadata":{"BatchApplyEnabled":true}}"#
            )
            .tags(tag("task", "t1"))
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn a_cdc_task_keeps_its_start_position_and_task_data() {
    let seen = Seen::new();
    let rule = mock!(Client::create_replication_task)
        .match_requests(seen.keep())
        .then_output(|| CreateReplicationTaskOutput::builder().build());
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let mut p = task_t2_json();
    p.as_object_mut().unwrap().retain(|k, _| {
        dms::CREATE_REPLICATION_TASK
            .params
            .iter()
            .any(|(n, _)| n == k)
    });
    let out = call(&client, &dms::CREATE_REPLICATION_TASK, p)
        .await
        .unwrap();
    // No task in the answer: every key is still there.
    assert_eq!(
        out,
        json!({"ReplicationTaskIdentifier": null, "ReplicationTaskArn": null, "Status": null})
    );
    let t = task_t2();
    assert_eq!(
        seen.all(),
        [CreateReplicationTaskInput::builder()
            .replication_task_identifier("t2")
            .replication_instance_arn(INSTANCE)
            .source_endpoint_arn(SRC)
            .target_endpoint_arn(TGT)
            .migration_type(MigrationTypeValue::Cdc)
            .table_mappings(t.table_mappings().unwrap())
            .replication_task_settings(t.replication_task_settings().unwrap())
            .cdc_start_position(t.cdc_start_position().unwrap())
            .task_data("{}")
            .build()
            .unwrap()]
    );
}

/// A task as a change call answers it.
fn changed(status: &str) -> ReplicationTask {
    ReplicationTask::builder()
        .replication_task_identifier("t1")
        .replication_task_arn(T1)
        .status(status)
        .replication_instance_arn(INSTANCE)
        .build()
}

fn changed_json(status: &str) -> Value {
    json!({"ReplicationTaskIdentifier": "t1", "ReplicationTaskArn": T1, "Status": status})
}

#[tokio::test]
async fn stop_delete_move_and_start_send_the_task_and_answer_its_status() {
    let stop_seen = Seen::new();
    let stop = mock!(Client::stop_replication_task)
        .match_requests(stop_seen.keep())
        .then_output(|| {
            StopReplicationTaskOutput::builder()
                .replication_task(changed("stopping"))
                .build()
        });
    let delete_seen = Seen::new();
    let delete = mock!(Client::delete_replication_task)
        .match_requests(delete_seen.keep())
        .then_output(|| {
            DeleteReplicationTaskOutput::builder()
                .replication_task(changed("deleting"))
                .build()
        });
    let move_seen = Seen::new();
    let moved = mock!(Client::move_replication_task)
        .match_requests(move_seen.keep())
        .then_output(|| {
            MoveReplicationTaskOutput::builder()
                .replication_task(changed("moving"))
                .build()
        });
    let start_seen = Seen::new();
    let start = mock!(Client::start_replication_task)
        .match_requests(start_seen.keep())
        .then_output(|| {
            StartReplicationTaskOutput::builder()
                .replication_task(changed("starting"))
                .build()
        });
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::MatchAny,
        [&stop, &delete, &moved, &start]
    );
    let task = json!({"ReplicationTaskArn": T1});
    assert_eq!(
        call(&client, &dms::STOP_REPLICATION_TASK, task.clone())
            .await
            .unwrap(),
        changed_json("stopping")
    );
    assert_eq!(
        call(&client, &dms::DELETE_REPLICATION_TASK, task.clone())
            .await
            .unwrap(),
        changed_json("deleting")
    );
    assert_eq!(
        call(
            &client,
            &dms::MOVE_REPLICATION_TASK,
            json!({"ReplicationTaskArn": T1, "TargetReplicationInstanceArn": "arn:private"}),
        )
        .await
        .unwrap(),
        changed_json("moving")
    );
    assert_eq!(
        call(
            &client,
            &dms::START_REPLICATION_TASK,
            json!({"ReplicationTaskArn": T1, "StartReplicationTaskType": "resume-processing"}),
        )
        .await
        .unwrap(),
        changed_json("starting")
    );
    assert_eq!(
        stop_seen.all(),
        [StopReplicationTaskInput::builder()
            .replication_task_arn(T1)
            .build()
            .unwrap()]
    );
    assert_eq!(
        delete_seen.all(),
        [DeleteReplicationTaskInput::builder()
            .replication_task_arn(T1)
            .build()
            .unwrap()]
    );
    assert_eq!(
        move_seen.all(),
        [MoveReplicationTaskInput::builder()
            .replication_task_arn(T1)
            .target_replication_instance_arn("arn:private")
            .build()
            .unwrap()]
    );
    assert_eq!(
        start_seen.all(),
        [StartReplicationTaskInput::builder()
            .replication_task_arn(T1)
            .start_replication_task_type(StartReplicationTaskTypeValue::ResumeProcessing)
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn delete_replication_instance_sends_the_arn_and_answers_the_instance() {
    let seen = Seen::new();
    let rule = mock!(Client::delete_replication_instance)
        .match_requests(seen.keep())
        .then_output(|| {
            let mut deleting = instance();
            deleting.replication_instance_status = Some("deleting".into());
            DeleteReplicationInstanceOutput::builder()
                .replication_instance(deleting)
                .build()
        });
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let out = call(
        &client,
        &dms::DELETE_REPLICATION_INSTANCE,
        json!({"ReplicationInstanceArn": INSTANCE}),
    )
    .await
    .unwrap();
    let mut expected = instance_json();
    expected["ReplicationInstanceStatus"] = json!("deleting");
    assert_eq!(out, expected);
    assert_eq!(
        seen.all(),
        [DeleteReplicationInstanceInput::builder()
            .replication_instance_arn(INSTANCE)
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn create_replication_instance_carries_every_captured_setting_and_tag() {
    // The runbook's create step: every setting of the describe under its own name, private,
    // with the tags of list_tags.
    let captured = instance_json();
    let mut p = serde_json::Map::new();
    for (name, _) in dms::CREATE_REPLICATION_INSTANCE.params {
        p.insert((*name).to_owned(), captured[*name].clone());
    }
    p.insert("PubliclyAccessible".into(), json!(false));
    p.insert(
        "Tags".into(),
        json!([{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "data-team"}]),
    );
    let seen = Seen::new();
    let rule = mock!(Client::create_replication_instance)
        .match_requests(seen.keep())
        .then_output(|| {
            let mut created = instance();
            created.replication_instance_arn = Some("arn:new".into());
            created.replication_instance_status = Some("creating".into());
            created.publicly_accessible = false;
            created.replication_instance_public_ip_addresses = None;
            created.pending_modified_values = None;
            CreateReplicationInstanceOutput::builder()
                .replication_instance(created)
                .build()
        });
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let out = call(&client, &dms::CREATE_REPLICATION_INSTANCE, Value::Object(p))
        .await
        .unwrap();
    assert_eq!(out["ReplicationInstanceArn"], "arn:new");
    assert_eq!(out["ReplicationInstanceStatus"], "creating");
    assert_eq!(out["PubliclyAccessible"], false);
    assert_eq!(out["PublicIpAddresses"], json!([]));
    assert_eq!(out["PendingModifiedValues"], json!({}));
    assert_eq!(
        seen.all(),
        [CreateReplicationInstanceInput::builder()
            .replication_instance_identifier("dms1")
            .replication_instance_class("dms.t3.medium")
            .allocated_storage(50)
            .engine_version("3.5.3")
            .auto_minor_version_upgrade(true)
            .multi_az(false)
            .availability_zone("ap-northeast-1a")
            .replication_subnet_group_identifier("dms-subnets")
            .vpc_security_group_ids("sg-0001")
            .vpc_security_group_ids("sg-0002")
            .kms_key_id(KMS)
            .preferred_maintenance_window("sun:06:00-sun:06:30")
            .dns_name_servers("10.0.0.2,10.0.0.3")
            .network_type("IPV4")
            .kerberos_authentication_settings(
                KerberosAuthenticationSettings::builder()
                    .key_cache_secret_id("kc")
                    .key_cache_secret_iam_arn("arn:aws:iam::123456789012:role/kc")
                    .krb5_file_contents("[libdefaults]")
                    .build(),
            )
            .publicly_accessible(false)
            .tags(tag("env", "prod"))
            .tags(tag("owner", "data-team"))
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn create_replication_instance_leaves_unset_what_was_null_or_empty() {
    let seen = Seen::new();
    let rule = mock!(Client::create_replication_instance)
        .match_requests(seen.keep())
        .then_output(|| CreateReplicationInstanceOutput::builder().build());
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    // As a Multi-AZ instance without extras renders: nulls, empty lists, texts for numbers.
    let out = call(
        &client,
        &dms::CREATE_REPLICATION_INSTANCE,
        json!({
            "ReplicationInstanceIdentifier": "dms2",
            "ReplicationInstanceClass": "dms.c5.large",
            "AllocatedStorage": "100",
            "EngineVersion": null,
            "MultiAZ": "true",
            "AvailabilityZone": null,
            "VpcSecurityGroupIds": [],
            "KmsKeyId": null,
            "KerberosAuthenticationSettings": null,
            "PubliclyAccessible": false,
            "Tags": [],
        }),
    )
    .await
    .unwrap();
    assert_eq!(out, json!({}), "no instance in the answer");
    assert_eq!(
        seen.all(),
        [CreateReplicationInstanceInput::builder()
            .replication_instance_identifier("dms2")
            .replication_instance_class("dms.c5.large")
            .allocated_storage(100)
            .multi_az(true)
            .publicly_accessible(false)
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn a_tag_without_a_key_or_a_wrongly_typed_setting_is_refused_before_sending() {
    let rule = mock!(Client::create_replication_instance)
        .then_output(|| CreateReplicationInstanceOutput::builder().build());
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let base = json!({
        "ReplicationInstanceIdentifier": "dms2",
        "ReplicationInstanceClass": "dms.c5.large",
        "PubliclyAccessible": false,
    });
    let mut no_key = base.clone();
    no_key["Tags"] = json!([{"Value": "prod"}]);
    let err = call(&client, &dms::CREATE_REPLICATION_INSTANCE, no_key)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Invalid);
    assert_eq!(err.message, "each of `Tags` needs a `Key`");
    let mut groups = base.clone();
    groups["VpcSecurityGroupIds"] = json!("sg-0001");
    let err = call(&client, &dms::CREATE_REPLICATION_INSTANCE, groups)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Invalid);
    assert!(err.message.contains("`VpcSecurityGroupIds`"), "{err}");
    assert_eq!(rule.num_calls(), 0);
}

fn endpoint(engine: &str, kind: ReplicationEndpointTypeValue) -> Endpoint {
    Endpoint::builder()
        .endpoint_identifier("ep1")
        .endpoint_arn(SRC)
        .endpoint_type(kind)
        .engine_name(engine)
        .server_name("db.internal")
        .port(5432)
        .database_name("app")
        .status("active")
        .build()
}

#[tokio::test]
async fn describe_endpoint_gives_its_ssl_mode_and_the_modes_its_engine_supports() {
    let seen = Seen::new();
    let rule = mock!(Client::describe_endpoints)
        .match_requests(seen.keep())
        .then_output(|| {
            DescribeEndpointsOutput::builder()
                .endpoints(endpoint("postgres", ReplicationEndpointTypeValue::Source))
                .build()
        });
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let out = call(
        &client,
        &dms_endpoints::DESCRIBE_ENDPOINT,
        json!({"Endpoint": "ep1"}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "EndpointIdentifier": "ep1",
            "EndpointArn": SRC,
            "EndpointType": "source",
            "EngineName": "postgres",
            "ServerName": "db.internal",
            "Port": 5432,
            "DatabaseName": "app",
            "Status": "active",
            "SslMode": "none",
            "CertificateArn": null,
            "SupportedSslModes": ["verify-full", "verify-ca", "require"],
            "Covered": true,
            "RedshiftTarget": false,
        })
    );
    assert_eq!(
        seen.all(),
        [DescribeEndpointsInput::builder()
            .filters(filter("endpoint-id", &["ep1"]))
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn a_redshift_target_or_an_s3_endpoint_is_told_apart() {
    let seen = Seen::new();
    let rule = mock!(Client::describe_endpoints)
        .match_requests(seen.keep())
        .sequence()
        .output(|| {
            DescribeEndpointsOutput::builder()
                .endpoints(endpoint("redshift", ReplicationEndpointTypeValue::Target))
                .build()
        })
        .output(|| {
            let mut s3 = endpoint("s3", ReplicationEndpointTypeValue::Target);
            s3.ssl_mode = Some(DmsSslModeValue::None);
            DescribeEndpointsOutput::builder().endpoints(s3).build()
        })
        .build();
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let by_arn = json!({"Endpoint": SRC});
    let redshift = call(&client, &dms_endpoints::DESCRIBE_ENDPOINT, by_arn.clone())
        .await
        .unwrap();
    assert_eq!(
        (
            &redshift["SupportedSslModes"],
            &redshift["Covered"],
            &redshift["RedshiftTarget"],
            &redshift["EndpointType"]
        ),
        (&json!([]), &json!(true), &json!(true), &json!("target"))
    );
    let s3 = call(&client, &dms_endpoints::DESCRIBE_ENDPOINT, by_arn)
        .await
        .unwrap();
    assert_eq!(
        (
            &s3["SupportedSslModes"],
            &s3["Covered"],
            &s3["RedshiftTarget"],
            &s3["SslMode"]
        ),
        (&json!([]), &json!(false), &json!(false), &json!("none"))
    );
    let by_arn = DescribeEndpointsInput::builder()
        .filters(filter("endpoint-arn", &[SRC]))
        .build()
        .unwrap();
    assert_eq!(seen.all(), [by_arn.clone(), by_arn]);
}

#[tokio::test]
async fn no_endpoint_in_the_answer_is_not_found() {
    let rule = mock!(Client::describe_endpoints)
        .then_output(|| DescribeEndpointsOutput::builder().build());
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let err = call(
        &client,
        &dms_endpoints::DESCRIBE_ENDPOINT,
        json!({"Endpoint": "ep9"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::NotFound);
    assert_eq!(err.message, "no DMS endpoint `ep9`");
}

#[tokio::test]
async fn certificates_of_every_page_become_choices() {
    let seen = Seen::new();
    let rule = mock!(Client::describe_certificates)
        .match_requests(seen.keep())
        .sequence()
        .output(|| {
            DescribeCertificatesOutput::builder()
                .certificates(
                    Certificate::builder()
                        .certificate_identifier("rds-ca")
                        .certificate_arn(CERT)
                        // 2030-01-02T03:04:05Z
                        .valid_to_date(aws_smithy_types::DateTime::from_secs(1_893_553_445))
                        .build(),
                )
                // Without an ARN it cannot be chosen.
                .certificates(Certificate::builder().certificate_identifier("odd").build())
                .marker("next")
                .build()
        })
        .output(|| {
            DescribeCertificatesOutput::builder()
                .certificates(
                    Certificate::builder()
                        .certificate_identifier("mine")
                        .certificate_arn("arn:mine")
                        .build(),
                )
                .build()
        })
        .build();
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let out = call(&client, &dms_endpoints::DESCRIBE_CERTIFICATES, json!({}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({
            "Options": [
                {"value": CERT, "label": "rds-ca, valid to 2030-01-02"},
                {"value": "arn:mine", "label": "mine"},
            ],
            "Count": 2,
        })
    );
    assert_eq!(
        seen.all(),
        [
            DescribeCertificatesInput::builder().build().unwrap(),
            DescribeCertificatesInput::builder()
                .marker("next")
                .build()
                .unwrap(),
        ]
    );
}

#[tokio::test]
async fn only_available_instances_are_offered_for_the_connection_test() {
    let seen = Seen::new();
    let rule = mock!(Client::describe_replication_instances)
        .match_requests(seen.keep())
        .then_output(|| {
            let mut creating = instance();
            creating.replication_instance_identifier = Some("dms-new".into());
            creating.replication_instance_status = Some("creating".into());
            let bare = ReplicationInstance::builder()
                .replication_instance_identifier("dms2")
                .replication_instance_arn("arn:dms2")
                .replication_instance_class("dms.c5.large")
                .replication_instance_status("available")
                .build();
            DescribeReplicationInstancesOutput::builder()
                .replication_instances(instance())
                .replication_instances(creating)
                .replication_instances(bare)
                .build()
        });
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let out = call(&client, &dms_endpoints::LIST_AVAILABLE_INSTANCES, json!({}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({
            "Options": [
                {"value": INSTANCE, "label": "dms1 (dms.t3.medium, vpc-0abc)"},
                {"value": "arn:dms2", "label": "dms2 (dms.c5.large, no VPC)"},
            ],
            "Count": 2,
        })
    );
    assert_eq!(
        seen.all(),
        [DescribeReplicationInstancesInput::builder()
            .build()
            .unwrap()]
    );
}

fn ca_pem() -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/ca-chain.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn import_certificate_checks_then_imports_the_chain() {
    let lookup_seen = Seen::new();
    let lookup = mock!(Client::describe_certificates)
        .match_requests(lookup_seen.keep())
        .then_http_response(|| json_error("ResourceNotFoundFault", "No certificates found"));
    let import_seen = Seen::new();
    let import = mock!(Client::import_certificate)
        .match_requests(import_seen.keep())
        .then_output(|| {
            ImportCertificateOutput::builder()
                .certificate(
                    Certificate::builder()
                        .certificate_identifier("ep1-ca")
                        .certificate_arn(CERT)
                        .build(),
                )
                .build()
        });
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::MatchAny,
        [&lookup, &import]
    );
    let out = call(
        &client,
        &dms_endpoints::IMPORT_CERTIFICATE,
        json!({"CertificateIdentifier": "ep1-ca", "CertificatePem": ca_pem()}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({"CertificateArn": CERT, "CertificateIdentifier": "ep1-ca"})
    );
    assert_eq!(
        lookup_seen.all(),
        [DescribeCertificatesInput::builder()
            .filters(filter("certificate-id", &["ep1-ca"]))
            .build()
            .unwrap()]
    );
    assert_eq!(
        import_seen.all(),
        [ImportCertificateInput::builder()
            .certificate_identifier("ep1-ca")
            .certificate_pem(ca_pem())
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn a_certificate_already_imported_is_reused_and_a_different_one_refused() {
    let pem = ca_pem();
    let stored = pem.replace('\n', "\r\n");
    let existing = move |pem: String| {
        mock!(Client::describe_certificates).then_output(move || {
            DescribeCertificatesOutput::builder()
                .certificates(
                    Certificate::builder()
                        .certificate_identifier("ep1-ca")
                        .certificate_arn(CERT)
                        .certificate_pem(pem.clone())
                        .build(),
                )
                .build()
        })
    };
    let import = mock!(Client::import_certificate)
        .then_output(|| ImportCertificateOutput::builder().build());
    let p = json!({"CertificateIdentifier": "ep1-ca", "CertificatePem": pem});

    // The same chain, whitespace aside (a resumed run): reused.
    let same = existing(stored);
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::MatchAny,
        [&same, &import]
    );
    let out = call(&client, &dms_endpoints::IMPORT_CERTIFICATE, p.clone())
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"CertificateArn": CERT, "CertificateIdentifier": "ep1-ca", "Existed": true})
    );

    let other = existing("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into());
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::MatchAny,
        [&other, &import]
    );
    let err = call(&client, &dms_endpoints::IMPORT_CERTIFICATE, p)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Invalid);
    assert_eq!(err.code, "ResourceAlreadyExistsFault");
    assert_eq!(
        err.message,
        "a different certificate `ep1-ca` already exists"
    );
    assert_eq!(import.num_calls(), 0);
}

#[tokio::test]
async fn a_pem_that_is_not_a_chain_is_refused_before_any_request() {
    let lookup = mock!(Client::describe_certificates)
        .then_output(|| DescribeCertificatesOutput::builder().build());
    let import = mock!(Client::import_certificate)
        .then_output(|| ImportCertificateOutput::builder().build());
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::MatchAny,
        [&lookup, &import]
    );
    let err = call(
        &client,
        &dms_endpoints::IMPORT_CERTIFICATE,
        json!({"CertificateIdentifier": "ep1-ca", "CertificatePem": "not a certificate"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Invalid);
    assert!(
        err.message
            .starts_with("the CA file is not a PEM certificate chain: "),
        "{err}"
    );
    assert_eq!((lookup.num_calls(), import.num_calls()), (0, 0));
}

#[tokio::test]
async fn modify_endpoint_ssl_sends_the_mode_and_a_certificate_only_when_given() {
    let seen = Seen::new();
    let rule = mock!(Client::modify_endpoint)
        .match_requests(seen.keep())
        .then_compute_output(|r: &ModifyEndpointInput| {
            let mut e = endpoint("mysql", ReplicationEndpointTypeValue::Source);
            e.ssl_mode = r.ssl_mode().cloned();
            e.certificate_arn = r.certificate_arn().map(str::to_owned);
            ModifyEndpointOutput::builder().endpoint(e).build()
        });
    let client = mock_client!(aws_sdk_databasemigration, RuleMode::MatchAny, [&rule]);
    let out = call(
        &client,
        &dms_endpoints::MODIFY_ENDPOINT_SSL,
        json!({"EndpointArn": SRC, "SslMode": "verify-full", "CertificateArn": CERT}),
    )
    .await
    .unwrap();
    assert_eq!(
        (&out["SslMode"], &out["CertificateArn"], &out["EngineName"]),
        (&json!("verify-full"), &json!(CERT), &json!("mysql"))
    );
    // The rollback: the old mode, no certificate parameter.
    let out = call(
        &client,
        &dms_endpoints::MODIFY_ENDPOINT_SSL,
        json!({"EndpointArn": SRC, "SslMode": "none"}),
    )
    .await
    .unwrap();
    assert_eq!(out["SslMode"], "none");
    assert_eq!(out["CertificateArn"], Value::Null);
    assert_eq!(
        seen.all(),
        [
            ModifyEndpointInput::builder()
                .endpoint_arn(SRC)
                .ssl_mode(DmsSslModeValue::VerifyFull)
                .certificate_arn(CERT)
                .build()
                .unwrap(),
            ModifyEndpointInput::builder()
                .endpoint_arn(SRC)
                .ssl_mode(DmsSslModeValue::None)
                .build()
                .unwrap(),
        ]
    );
}

#[tokio::test]
async fn a_connection_test_is_started_then_read_back() {
    let test_seen = Seen::new();
    let test = mock!(Client::test_connection)
        .match_requests(test_seen.keep())
        .then_output(|| {
            TestConnectionOutput::builder()
                .connection(
                    Connection::builder()
                        .status("testing")
                        .endpoint_arn(SRC)
                        .build(),
                )
                .build()
        });
    let read_seen = Seen::new();
    let read = mock!(Client::describe_connections)
        .match_requests(read_seen.keep())
        .then_output(|| {
            DescribeConnectionsOutput::builder()
                .connections(
                    Connection::builder()
                        .status("failed")
                        .last_failure_message("SSL connection failed: certificate verify failed")
                        .endpoint_arn(SRC)
                        .replication_instance_arn(INSTANCE)
                        .build(),
                )
                .build()
        });
    let client = mock_client!(
        aws_sdk_databasemigration,
        RuleMode::MatchAny,
        [&test, &read]
    );
    let p = json!({"ReplicationInstanceArn": INSTANCE, "EndpointArn": SRC});
    let out = call(&client, &dms_endpoints::TEST_CONNECTION, p.clone())
        .await
        .unwrap();
    assert_eq!(out, json!({"Status": "testing"}));
    let out = call(&client, &dms_endpoints::DESCRIBE_CONNECTION, p)
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"Status": "failed", "LastFailureMessage": "SSL connection failed: certificate verify failed"})
    );
    assert_eq!(
        test_seen.all(),
        [TestConnectionInput::builder()
            .replication_instance_arn(INSTANCE)
            .endpoint_arn(SRC)
            .build()
            .unwrap()]
    );
    assert_eq!(
        read_seen.all(),
        [DescribeConnectionsInput::builder()
            .filters(filter("endpoint-arn", &[SRC]))
            .filters(filter("replication-instance-arn", &[INSTANCE]))
            .build()
            .unwrap()]
    );
}

/// The tests from one instance to several endpoints, in one request: each endpoint's result
/// with DMS's message and the tasks that use it; `testing` until every one has a result.
#[tokio::test]
async fn the_connection_tests_of_several_endpoints_are_read_at_once() {
    let read_seen = Seen::new();
    let connection = |arn: &str, id: &str, status: &str, message: Option<&str>| {
        Connection::builder()
            .endpoint_arn(arn)
            .endpoint_identifier(id)
            .replication_instance_arn(INSTANCE)
            .status(status)
            .set_last_failure_message(message.map(str::to_owned))
            .build()
    };
    let read = mock!(Client::describe_connections)
        .match_requests(read_seen.keep())
        .sequence()
        .output(move || {
            DescribeConnectionsOutput::builder()
                .connections(connection(SRC, "src", "successful", None))
                .connections(connection(TGT, "tgt", "testing", None))
                .build()
        })
        .output(move || {
            DescribeConnectionsOutput::builder()
                .connections(connection(SRC, "src", "successful", None))
                .connections(connection(TGT, "tgt", "failed", Some("no route to host")))
                .build()
        })
        .build();
    let client = mock_client!(aws_sdk_databasemigration, [&read]);
    let p = json!({
        "ReplicationInstanceArn": INSTANCE,
        "EndpointArns": [SRC, TGT],
        "Endpoints": [
            {"EndpointArn": SRC, "EndpointIdentifier": "src", "Tasks": ["t1"]},
            {"EndpointArn": TGT, "EndpointIdentifier": "tgt", "Tasks": ["t1", "t2"]},
        ],
    });
    let first = call(&client, &dms_endpoints::DESCRIBE_CONNECTIONS, p.clone())
        .await
        .unwrap();
    assert_eq!(first["Status"], "testing");
    let out = call(&client, &dms_endpoints::DESCRIBE_CONNECTIONS, p)
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({
            "Status": "failed",
            "Connections": [
                {"EndpointArn": SRC, "EndpointIdentifier": "src", "Status": "successful", "LastFailureMessage": null, "Tasks": ["t1"]},
                {"EndpointArn": TGT, "EndpointIdentifier": "tgt", "Status": "failed", "LastFailureMessage": "no route to host", "Tasks": ["t1", "t2"]},
            ],
            "FailedArns": [TGT],
            "FailedIdentifiers": ["tgt"],
            "FailedTasks": ["t1", "t2"],
            "Summary": "✓ src (t1): successful\n✗ tgt (t1, t2): failed — no route to host",
            "FailedSummary": "✗ tgt (t1, t2): failed — no route to host",
        })
    );
    assert_eq!(
        read_seen.all()[0],
        DescribeConnectionsInput::builder()
            .filters(filter("endpoint-arn", &[SRC, TGT]))
            .filters(filter("replication-instance-arn", &[INSTANCE]))
            .build()
            .unwrap()
    );
}

/// Before any test has a record DMS answers ResourceNotFoundFault: still testing.
#[tokio::test]
async fn connection_tests_not_recorded_yet_are_still_testing() {
    let rule = mock!(Client::describe_connections)
        .then_http_response(|| json_error("ResourceNotFoundFault", "No connections found"));
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let out = call(
        &client,
        &dms_endpoints::DESCRIBE_CONNECTIONS,
        json!({"ReplicationInstanceArn": INSTANCE, "EndpointArns": [SRC]}),
    )
    .await
    .unwrap();
    assert_eq!(out["Status"], "testing");
    assert_eq!(out["Connections"][0]["Status"], "untested");
    assert_eq!(out["Summary"], format!("… {SRC}: untested"));
}

#[tokio::test]
async fn no_connection_test_is_not_found() {
    let rule = mock!(Client::describe_connections)
        .then_output(|| DescribeConnectionsOutput::builder().build());
    let client = mock_client!(aws_sdk_databasemigration, [&rule]);
    let err = call(
        &client,
        &dms_endpoints::DESCRIBE_CONNECTION,
        json!({"ReplicationInstanceArn": INSTANCE, "EndpointArn": SRC}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::NotFound);
    assert_eq!(
        err.message,
        "no connection test for this endpoint and instance"
    );
}

/// Every DMS call of the catalog, with parameters it accepts.
fn every_dms_call() -> Vec<(&'static ActionSpec, Value)> {
    let task = json!({"ReplicationTaskArn": T1});
    let pair = json!({"ReplicationInstanceArn": INSTANCE, "EndpointArn": SRC});
    vec![
        (
            &dms::DESCRIBE_REPLICATION_INSTANCE,
            json!({"ReplicationInstance": "dms1"}),
        ),
        (&dms::LIST_TAGS, json!({"ResourceArn": INSTANCE})),
        (
            &dms::DESCRIBE_INSTANCE_TASKS,
            json!({"ReplicationInstanceArn": INSTANCE}),
        ),
        (&dms::STOP_REPLICATION_TASK, task.clone()),
        (&dms::DELETE_REPLICATION_TASK, task.clone()),
        (
            &dms::DELETE_REPLICATION_INSTANCE,
            json!({"ReplicationInstanceArn": INSTANCE}),
        ),
        (
            &dms::CREATE_REPLICATION_INSTANCE,
            json!({"ReplicationInstanceIdentifier": "dms1", "ReplicationInstanceClass": "dms.t3.medium", "PubliclyAccessible": false}),
        ),
        (
            &dms::CREATE_REPLICATION_TASK,
            json!({"ReplicationInstanceArn": INSTANCE, "ReplicationTaskIdentifier": "t1", "SourceEndpointArn": SRC,
                   "TargetEndpointArn": TGT, "MigrationType": "cdc", "TableMappings": "{}"}),
        ),
        (
            &dms::MOVE_REPLICATION_TASK,
            json!({"ReplicationTaskArn": T1, "TargetReplicationInstanceArn": "arn:private"}),
        ),
        (
            &dms::START_REPLICATION_TASK,
            json!({"ReplicationTaskArn": T1, "StartReplicationTaskType": "resume-processing"}),
        ),
        (&dms_endpoints::DESCRIBE_ENDPOINT, json!({"Endpoint": SRC})),
        (&dms_endpoints::DESCRIBE_CERTIFICATES, json!({})),
        (&dms_endpoints::LIST_AVAILABLE_INSTANCES, json!({})),
        (
            &dms_endpoints::DESCRIBE_ENDPOINT_TASKS,
            json!({"EndpointArn": SRC}),
        ),
        (
            &dms_endpoints::IMPORT_CERTIFICATE,
            json!({"CertificateIdentifier": "ep1-ca", "CertificatePem": ca_pem()}),
        ),
        (
            &dms_endpoints::MODIFY_ENDPOINT_SSL,
            json!({"EndpointArn": SRC, "SslMode": "require"}),
        ),
        (&dms_endpoints::TEST_CONNECTION, pair.clone()),
        (&dms_endpoints::DESCRIBE_CONNECTION, pair),
        (
            &dms_endpoints::DESCRIBE_CONNECTIONS,
            json!({"ReplicationInstanceArn": INSTANCE, "EndpointArns": [SRC, TGT]}),
        ),
    ]
}

/// A client on which every DMS operation hubfix sends answers this error.
fn failing(code: &'static str) -> Client {
    macro_rules! fail {
        ($($op:ident),*) => {
            [$(mock!(Client::$op).then_http_response(move || json_error(code, "refused"))),*]
        };
    }
    let rules = fail!(
        describe_replication_instances,
        list_tags_for_resource,
        describe_replication_tasks,
        describe_endpoints,
        stop_replication_task,
        delete_replication_task,
        delete_replication_instance,
        create_replication_instance,
        create_replication_task,
        move_replication_task,
        start_replication_task,
        describe_certificates,
        import_certificate,
        modify_endpoint,
        test_connection,
        describe_connections
    );
    mock_client!(aws_sdk_databasemigration, RuleMode::MatchAny, &rules)
}

#[test]
fn the_error_table_covers_every_dms_call() {
    let mut tested: Vec<&str> = every_dms_call().iter().map(|(s, _)| s.name).collect();
    let mut catalog: Vec<&str> = hubfix::actions::ALL
        .iter()
        .filter(|a| matches!(a.handler, Handler::Dms(_)))
        .map(|a| a.name)
        .collect();
    tested.sort_unstable();
    catalog.sort_unstable();
    assert_eq!(tested, catalog);
}

#[tokio::test]
async fn every_dms_call_sorts_access_denied_and_invalid_state() {
    for (code, kind) in [
        ("AccessDeniedFault", ApiErrorKind::AccessDenied),
        ("InvalidResourceStateFault", ApiErrorKind::InvalidState),
    ] {
        let client = failing(code);
        for (spec, p) in every_dms_call() {
            let err = call(&client, spec, p).await.unwrap_err();
            assert_eq!(
                (err.kind, err.code.as_str(), err.operation.as_str()),
                (kind, code, spec.operation),
                "{}",
                spec.name
            );
            assert_eq!(err.message, "refused", "{}", spec.name);
        }
    }
}

#[tokio::test]
async fn not_found_is_an_error_except_for_lists_where_it_means_none() {
    let client = failing("ResourceNotFoundFault");
    let lists = [
        dms::DESCRIBE_INSTANCE_TASKS.name,
        dms_endpoints::DESCRIBE_ENDPOINT_TASKS.name,
        dms_endpoints::DESCRIBE_CERTIFICATES.name,
        dms_endpoints::LIST_AVAILABLE_INSTANCES.name,
    ];
    for (spec, p) in every_dms_call() {
        let result = call(&client, spec, p).await;
        if lists.contains(&spec.name) {
            let out = result.unwrap();
            assert_eq!(out["Count"], 0, "{}", spec.name);
        } else if spec.name == dms_endpoints::DESCRIBE_CONNECTIONS.name {
            // No test recorded yet: every endpoint still waits for its result.
            assert_eq!(result.unwrap()["Status"], "testing");
        } else {
            let err = result.unwrap_err();
            assert_eq!(err.kind, ApiErrorKind::NotFound, "{}", spec.name);
            assert_eq!(err.code, "ResourceNotFoundFault", "{}", spec.name);
        }
    }
}
