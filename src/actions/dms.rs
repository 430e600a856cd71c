//! DMS calls for DMS.1: read a replication instance with everything needed to rebuild it,
//! its tags and its tasks; stop, delete, create and move.
//!
//! Outputs use the parameter names of CreateReplicationInstance / CreateReplicationTask, so
//! a runbook carries a captured setting to the create call by name, and every key is always
//! present (`null` when unset, and then left out of a request) so a template never renders a
//! missing value.
//!
//! Each call is one request on one task; runbooks send one per task with `for_each`.

use super::{ActionSpec, Params, Reconcile, handler};
use crate::aws::{ApiError, ApiErrorKind};
use aws_sdk_databasemigration::Client;
use aws_sdk_databasemigration::types::{
    Endpoint, Filter, KerberosAuthenticationSettings, MigrationTypeValue, ReplicationInstance,
    ReplicationTask, StartReplicationTaskTypeValue, Tag,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub const DESCRIBE_REPLICATION_INSTANCE: ActionSpec = ActionSpec {
    name: "dms.describe_replication_instance",
    operation: "dms:DescribeReplicationInstances",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("ReplicationInstance", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, describe_replication_instance),
    shared: None,
};

pub const LIST_TAGS: ActionSpec = ActionSpec {
    name: "dms.list_tags",
    operation: "dms:ListTagsForResource",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("ResourceArn", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, list_tags),
    shared: None,
};

pub const DESCRIBE_INSTANCE_TASKS: ActionSpec = ActionSpec {
    name: "dms.describe_instance_tasks",
    operation: "dms:DescribeReplicationTasks",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("ReplicationInstanceArn", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, describe_instance_tasks),
    shared: None,
};

pub const STOP_REPLICATION_TASK: ActionSpec = ActionSpec {
    name: "dms.stop_replication_task",
    operation: "dms:StopReplicationTask",
    mutating: true,
    reconcile: Reconcile::Check(handler!(Dms, stop_replication_task_seen)),
    params: &[("ReplicationTaskArn", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, stop_replication_task),
    shared: None,
};

pub const DELETE_REPLICATION_TASK: ActionSpec = ActionSpec {
    name: "dms.delete_replication_task",
    operation: "dms:DeleteReplicationTask",
    mutating: true,
    reconcile: Reconcile::Check(handler!(Dms, delete_replication_task_seen)),
    params: &[("ReplicationTaskArn", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, delete_replication_task),
    shared: None,
};

pub const DELETE_REPLICATION_INSTANCE: ActionSpec = ActionSpec {
    name: "dms.delete_replication_instance",
    operation: "dms:DeleteReplicationInstance",
    mutating: true,
    reconcile: Reconcile::Check(handler!(Dms, delete_replication_instance_seen)),
    params: &[("ReplicationInstanceArn", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, delete_replication_instance),
    shared: None,
};

pub const CREATE_REPLICATION_INSTANCE: ActionSpec = ActionSpec {
    name: "dms.create_replication_instance",
    operation: "dms:CreateReplicationInstance",
    mutating: true,
    reconcile: Reconcile::Check(handler!(Dms, create_replication_instance_seen)),
    params: &[
        ("ReplicationInstanceIdentifier", true),
        ("ReplicationInstanceClass", true),
        ("AllocatedStorage", false),
        ("EngineVersion", false),
        ("AutoMinorVersionUpgrade", false),
        ("MultiAZ", false),
        ("AvailabilityZone", false),
        ("ReplicationSubnetGroupIdentifier", false),
        ("VpcSecurityGroupIds", false),
        ("KmsKeyId", false),
        ("PreferredMaintenanceWindow", false),
        ("DnsNameServers", false),
        ("NetworkType", false),
        ("KerberosAuthenticationSettings", false),
        ("PubliclyAccessible", true),
        ("Tags", false),
    ],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, create_replication_instance),
    shared: None,
};

pub const CREATE_REPLICATION_TASK: ActionSpec = ActionSpec {
    name: "dms.create_replication_task",
    operation: "dms:CreateReplicationTask",
    mutating: true,
    reconcile: Reconcile::Check(handler!(Dms, create_replication_task_seen)),
    params: &[
        ("ReplicationInstanceArn", true),
        ("ReplicationTaskIdentifier", true),
        ("SourceEndpointArn", true),
        ("TargetEndpointArn", true),
        ("MigrationType", true),
        ("TableMappings", true),
        ("ReplicationTaskSettings", false),
        ("CdcStartPosition", false),
        ("TaskData", false),
        ("Tags", false),
    ],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, create_replication_task),
    shared: None,
};

pub const MOVE_REPLICATION_TASK: ActionSpec = ActionSpec {
    name: "dms.move_replication_task",
    operation: "dms:MoveReplicationTask",
    mutating: true,
    reconcile: Reconcile::Check(handler!(Dms, move_replication_task_seen)),
    params: &[
        ("ReplicationTaskArn", true),
        ("TargetReplicationInstanceArn", true),
    ],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, move_replication_task),
    shared: None,
};

pub const START_REPLICATION_TASK: ActionSpec = ActionSpec {
    name: "dms.start_replication_task",
    operation: "dms:StartReplicationTask",
    mutating: true,
    reconcile: Reconcile::Check(handler!(Dms, start_replication_task_seen)),
    params: &[
        ("ReplicationTaskArn", true),
        ("StartReplicationTaskType", true),
    ],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, start_replication_task),
    shared: None,
};

/// Task statuses during which the task is changing on its own; anything else is settled.
const CHANGING: &[&str] = &[
    "creating",
    "deleting",
    "modifying",
    "moving",
    "starting",
    "stopping",
    "testing",
];

/// A filter on one resource given by ARN or by identifier, whichever `which` is.
pub(super) fn by_arn_or_id(which: &str, arn_filter: &str, id_filter: &str) -> Filter {
    let name = if which.starts_with("arn:") {
        arn_filter
    } else {
        id_filter
    };
    filter(name, &[which.to_owned()])
}

pub(super) fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.to_vec()))
        .build()
        .expect("name and values are set")
}

pub(super) fn sdk<E, R>(
    spec: &ActionSpec,
) -> impl FnOnce(aws_smithy_runtime_api::client::result::SdkError<E, R>) -> ApiError + '_
where
    E: aws_sdk_databasemigration::error::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk(spec.operation, e)
}

fn kerberos_json(k: Option<&KerberosAuthenticationSettings>) -> Value {
    k.map_or(Value::Null, |k| {
        json!({
            "KeyCacheSecretId": k.key_cache_secret_id(),
            "KeyCacheSecretIamArn": k.key_cache_secret_iam_arn(),
            "Krb5FileContents": k.krb5_file_contents(),
        })
    })
}

/// The instance as CreateReplicationInstance takes it, plus its identity and status: what
/// `describe_replication_instance`, `create_replication_instance` and
/// `delete_replication_instance` answer.
pub fn instance_json(i: &ReplicationInstance) -> Value {
    let mut groups: Vec<&str> = i
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    groups.sort_unstable();
    let subnet_group = i.replication_subnet_group();
    let pending = i.pending_modified_values().map_or_else(
        || json!({}),
        |p| {
            let mut m = Map::new();
            let mut put = |k: &str, v: Value| {
                if !v.is_null() {
                    m.insert(k.into(), v);
                }
            };
            put(
                "ReplicationInstanceClass",
                json!(p.replication_instance_class()),
            );
            put("AllocatedStorage", json!(p.allocated_storage()));
            put("MultiAZ", json!(p.multi_az()));
            put("EngineVersion", json!(p.engine_version()));
            put("NetworkType", json!(p.network_type()));
            Value::Object(m)
        },
    );
    json!({
        "ReplicationInstanceIdentifier": i.replication_instance_identifier(),
        "ReplicationInstanceArn": i.replication_instance_arn(),
        "ReplicationInstanceStatus": i.replication_instance_status(),
        "ReplicationInstanceClass": i.replication_instance_class(),
        "AllocatedStorage": i.allocated_storage(),
        "EngineVersion": i.engine_version(),
        "AutoMinorVersionUpgrade": i.auto_minor_version_upgrade(),
        "MultiAZ": i.multi_az(),
        // AWS places a Multi-AZ instance itself and refuses a zone for one.
        "AvailabilityZone": if i.multi_az() { None } else { i.availability_zone() },
        "ReplicationSubnetGroupIdentifier": subnet_group.and_then(|g| g.replication_subnet_group_identifier()),
        "VpcId": subnet_group.and_then(|g| g.vpc_id()),
        "VpcSecurityGroupIds": groups,
        "KmsKeyId": i.kms_key_id(),
        "PreferredMaintenanceWindow": i.preferred_maintenance_window(),
        "DnsNameServers": i.dns_name_servers(),
        "NetworkType": i.network_type(),
        "KerberosAuthenticationSettings": kerberos_json(i.kerberos_authentication_settings()),
        "PubliclyAccessible": i.publicly_accessible(),
        "PublicIpAddresses": i.replication_instance_public_ip_addresses(),
        "PendingModifiedValues": pending,
    })
}

/// What `list_tags` answers: the user's tags, and the CloudFormation stack that manages the
/// resource (from its `aws:cloudformation:stack-name` tag), `null` when none does.
pub fn list_tags_json(tags: &[Tag]) -> Value {
    json!({
        "Tags": tags_json(tags),
        "CloudFormationStack": super::tags::cloudformation_stack(
            tags.iter().map(|t| (t.key(), t.value()))
        ),
    })
}

/// The user's tags, sorted. `aws:` tags are AWS's own (CloudFormation, ...): no create call
/// accepts them, so they are neither carried over nor compared.
fn tags_json(tags: &[Tag]) -> Value {
    let sorted: BTreeMap<&str, &str> = tags
        .iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
        .filter(|(k, _)| !k.starts_with("aws:"))
        .collect();
    Value::Array(
        sorted
            .into_iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

pub async fn describe_replication_instance(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let which = p.string("ReplicationInstance")?;
    let out = client
        .describe_replication_instances()
        .filters(by_arn_or_id(
            &which,
            "replication-instance-arn",
            "replication-instance-id",
        ))
        .send()
        .await
        .map_err(sdk(&DESCRIBE_REPLICATION_INSTANCE))?;
    // AWS answers ResourceNotFoundFault; some emulators an empty list: both mean gone.
    match out.replication_instances().first() {
        Some(i) => Ok(instance_json(i)),
        None => Err(ApiError::not_found(
            DESCRIBE_REPLICATION_INSTANCE.operation,
            format!("no DMS replication instance `{which}`"),
        )),
    }
}

pub async fn list_tags(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(p.string("ResourceArn")?)
        .send()
        .await
        .map_err(sdk(&LIST_TAGS))?;
    Ok(list_tags_json(out.tag_list()))
}

/// Every item of a paged DMS describe: `page(marker)` gives one page's items and the next
/// marker. DMS answers ResourceNotFoundFault when nothing matches: that is an empty list here.
pub(super) async fn every_page<T, F, Fut>(mut page: F) -> Result<Vec<T>, ApiError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), ApiError>>,
{
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        match page(marker).await {
            Ok((items, next)) => {
                all.extend(items);
                marker = next;
                if marker.is_none() {
                    return Ok(all);
                }
            }
            Err(e) if e.kind == ApiErrorKind::NotFound => return Ok(all),
            Err(e) => return Err(e),
        }
    }
}

/// Every task matching a filter; none is an empty list, not an error.
pub(super) async fn tasks_where(
    client: &Client,
    spec: &ActionSpec,
    name: &str,
    values: &[String],
) -> Result<Vec<ReplicationTask>, ApiError> {
    every_page(|marker| async move {
        let out = client
            .describe_replication_tasks()
            .filters(filter(name, values))
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk(spec.operation, e))?;
        Ok((
            out.replication_tasks().to_vec(),
            out.marker().map(str::to_owned),
        ))
    })
    .await
}

/// The endpoints of these ARNs, for showing tasks; none when they cannot be read.
async fn endpoints_by_arn(client: &Client, arns: Vec<String>) -> Vec<Endpoint> {
    if arns.is_empty() {
        return Vec::new();
    }
    client
        .describe_endpoints()
        .filters(filter("endpoint-arn", &arns))
        .send()
        .await
        .map(|out| out.endpoints().to_vec())
        .unwrap_or_default()
}

fn task_json(t: &ReplicationTask, tags: Value) -> Value {
    json!({
        "ReplicationTaskIdentifier": t.replication_task_identifier(),
        "ReplicationTaskArn": t.replication_task_arn(),
        "ReplicationInstanceArn": t.replication_instance_arn(),
        "SourceEndpointArn": t.source_endpoint_arn(),
        "TargetEndpointArn": t.target_endpoint_arn(),
        "MigrationType": t.migration_type().map(|m| m.as_str()),
        "TableMappings": t.table_mappings(),
        // As CreateReplicationTask takes them, so the saved definition is what is sent.
        "ReplicationTaskSettings": t.replication_task_settings().map(settings_for_create),
        "CdcStartPosition": t.cdc_start_position(),
        "TaskData": t.task_data(),
        "Status": t.status(),
        "FullLoadProgressPercent": t.replication_task_stats().map(|s| s.full_load_progress_percent()),
        "Tags": tags,
    })
}

/// The tasks of an instance with their full definitions and tags, and what a runbook needs
/// to decide on them: which run, and one `State` for all of them (`none`, `changing`,
/// `running` or `stopped`).
pub async fn describe_instance_tasks(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let instance = p.string("ReplicationInstanceArn")?;
    tasks_view(
        client,
        &DESCRIBE_INSTANCE_TASKS,
        "replication-instance-arn",
        instance,
    )
    .await
}

/// The tasks matching one filter, as `describe_instance_tasks` shows them.
pub(super) async fn tasks_view(
    client: &Client,
    spec: &ActionSpec,
    filter_name: &str,
    value: String,
) -> Result<Value, ApiError> {
    let mut tasks = tasks_where(client, spec, filter_name, &[value]).await?;
    tasks.sort_by(|a, b| {
        a.replication_task_identifier()
            .cmp(&b.replication_task_identifier())
    });
    let mut endpoints: Vec<String> = tasks
        .iter()
        .flat_map(|t| [t.source_endpoint_arn(), t.target_endpoint_arn()])
        .flatten()
        .map(str::to_owned)
        .collect();
    endpoints.sort();
    endpoints.dedup();
    let endpoints = endpoints_by_arn(client, endpoints).await;
    let mut tagged = Vec::new();
    for t in tasks {
        let tags = match t.replication_task_arn() {
            Some(arn) => client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map(|o| o.tag_list().to_vec())
                .map_err(sdk(&LIST_TAGS))?,
            None => Vec::new(),
        };
        tagged.push((t, tags));
    }
    Ok(tasks_json(&tagged, &endpoints))
}

/// What `describe_instance_tasks` and `describe_endpoint_tasks` answer for these tasks
/// (each with its tags), in identifier order; `endpoints` name the tasks' endpoints in the
/// summary (an endpoint not among them is shown by its ARN).
pub fn tasks_json(tasks: &[(ReplicationTask, Vec<Tag>)], endpoints: &[Endpoint]) -> Value {
    let names: BTreeMap<&str, String> = endpoints
        .iter()
        .filter_map(|e| {
            Some((
                e.endpoint_arn()?,
                format!(
                    "{} ({})",
                    e.endpoint_identifier().unwrap_or("?"),
                    e.engine_name().unwrap_or("?")
                ),
            ))
        })
        .collect();
    let mut sorted: Vec<&(ReplicationTask, Vec<Tag>)> = tasks.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| {
        a.replication_task_identifier()
            .cmp(&b.replication_task_identifier())
    });
    let tasks: Vec<&ReplicationTask> = sorted.iter().map(|(t, _)| t).collect();
    let mut list = Vec::new();
    let mut summary = Vec::new();
    for (t, tags) in &sorted {
        let endpoint = |arn: Option<&str>| {
            arn.map(|a| names.get(a).cloned().unwrap_or_else(|| a.to_owned()))
                .unwrap_or_default()
        };
        let progress = t
            .replication_task_stats()
            .map(|s| format!(", {}% loaded", s.full_load_progress_percent()))
            .unwrap_or_default();
        summary.push(format!(
            "{}: {}, {}{progress}, {} → {}",
            t.replication_task_identifier().unwrap_or("?"),
            t.migration_type().map(|m| m.as_str()).unwrap_or("?"),
            t.status().unwrap_or("?"),
            endpoint(t.source_endpoint_arn()),
            endpoint(t.target_endpoint_arn()),
        ));
        list.push(task_json(t, tags_json(tags)));
    }
    let status = |t: &ReplicationTask| t.status().unwrap_or_default().to_owned();
    let running: Vec<&ReplicationTask> = tasks
        .iter()
        .copied()
        .filter(|t| status(t) == "running")
        .collect();
    let state = if tasks.is_empty() {
        "none"
    } else if tasks.iter().any(|t| CHANGING.contains(&status(t).as_str())) {
        "changing"
    } else if !running.is_empty() {
        "running"
    } else {
        "stopped"
    };
    let arns = |ts: &[&ReplicationTask]| -> Vec<String> {
        ts.iter()
            .filter_map(|t| t.replication_task_arn().map(str::to_owned))
            .collect()
    };
    let ids = |ts: &[&ReplicationTask]| -> Vec<String> {
        ts.iter()
            .filter_map(|t| t.replication_task_identifier().map(str::to_owned))
            .collect()
    };
    // The endpoints the tasks use, each with the tasks that use it: what a new instance
    // must reach before the tasks can run there. By identifier (then ARN), so the order does
    // not depend on the ids in the ARNs.
    let mut endpoint_tasks: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in &tasks {
        let mut ends = [t.source_endpoint_arn(), t.target_endpoint_arn()];
        if ends[0] == ends[1] {
            ends[1] = None;
        }
        for arn in ends.into_iter().flatten() {
            endpoint_tasks
                .entry(arn)
                .or_default()
                .push(t.replication_task_identifier().unwrap_or("?"));
        }
    }
    let identifier = |arn: &str| -> String {
        endpoints
            .iter()
            .find(|e| e.endpoint_arn() == Some(arn))
            .and_then(|e| e.endpoint_identifier())
            .unwrap_or(arn)
            .to_owned()
    };
    let mut used: Vec<(String, &str, Vec<&str>)> = endpoint_tasks
        .into_iter()
        .map(|(arn, ts)| (identifier(arn), arn, ts))
        .collect();
    used.sort();
    let used_json: Vec<Value> = used
        .iter()
        .map(|(id, arn, ts)| json!({"EndpointArn": arn, "EndpointIdentifier": id, "Tasks": ts}))
        .collect();
    json!({
        "Tasks": list,
        "Count": tasks.len(),
        "EndpointArns": used.iter().map(|(_, arn, _)| arn).collect::<Vec<_>>(),
        "Endpoints": used_json,
        "Arns": arns(&tasks),
        "Identifiers": ids(&tasks),
        "RunningArns": arns(&running),
        "RunningIdentifiers": ids(&running),
        "State": state,
        "Summary": if summary.is_empty() { "(no replication tasks)".to_owned() } else { summary.join("\n") },
    })
}

pub async fn delete_replication_instance(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let out = client
        .delete_replication_instance()
        .replication_instance_arn(p.string("ReplicationInstanceArn")?)
        .send()
        .await
        .map_err(sdk(&DELETE_REPLICATION_INSTANCE))?;
    Ok(out
        .replication_instance()
        .map_or_else(|| json!({}), instance_json))
}

fn sdk_tags(spec: &ActionSpec, p: &Params<'_>, name: &str) -> Result<Vec<Tag>, ApiError> {
    p.objects(name)?
        .iter()
        .map(
            |t| match (t.get("Key").and_then(Value::as_str), t.get("Value")) {
                (Some(k), v) => Ok(Tag::builder()
                    .key(k)
                    .set_value(v.and_then(Value::as_str).map(str::to_owned))
                    .build()),
                _ => Err(ApiError::invalid(
                    spec.operation,
                    format!("each of `{name}` needs a `Key`"),
                )),
            },
        )
        .collect()
}

pub async fn create_replication_instance(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let spec = &CREATE_REPLICATION_INSTANCE;
    let kerberos = p.opt_object("KerberosAuthenticationSettings")?.map(|k| {
        let text = |key: &str| k.get(key).and_then(Value::as_str).map(str::to_owned);
        KerberosAuthenticationSettings::builder()
            .set_key_cache_secret_id(text("KeyCacheSecretId"))
            .set_key_cache_secret_iam_arn(text("KeyCacheSecretIamArn"))
            .set_krb5_file_contents(text("Krb5FileContents"))
            .build()
    });
    let groups = p.strings("VpcSecurityGroupIds")?;
    let out = client
        .create_replication_instance()
        .replication_instance_identifier(p.string("ReplicationInstanceIdentifier")?)
        .replication_instance_class(p.string("ReplicationInstanceClass")?)
        .set_allocated_storage(p.opt_int("AllocatedStorage")?)
        .set_engine_version(p.opt_string("EngineVersion")?)
        .set_auto_minor_version_upgrade(p.opt_bool("AutoMinorVersionUpgrade")?)
        .set_multi_az(p.opt_bool("MultiAZ")?)
        .set_availability_zone(p.opt_string("AvailabilityZone")?)
        .set_replication_subnet_group_identifier(p.opt_string("ReplicationSubnetGroupIdentifier")?)
        .set_vpc_security_group_ids((!groups.is_empty()).then_some(groups))
        .set_kms_key_id(p.opt_string("KmsKeyId")?)
        .set_preferred_maintenance_window(p.opt_string("PreferredMaintenanceWindow")?)
        .set_dns_name_servers(p.opt_string("DnsNameServers")?)
        .set_network_type(p.opt_string("NetworkType")?)
        .set_kerberos_authentication_settings(kerberos)
        .set_publicly_accessible(p.opt_bool("PubliclyAccessible")?)
        .set_tags(Some(sdk_tags(spec, p, "Tags")?).filter(|t| !t.is_empty()))
        .send()
        .await
        .map_err(sdk(spec))?;
    Ok(out
        .replication_instance()
        .map_or_else(|| json!({}), instance_json))
}

/// Task settings as CreateReplicationTask takes them: DMS reports the CloudWatch log group
/// and stream it made, and refuses them on create (it makes new ones).
fn settings_for_create(settings: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(settings) else {
        return settings.to_owned();
    };
    let Some(logging) = value.get_mut("Logging").and_then(Value::as_object_mut) else {
        return settings.to_owned();
    };
    let group = logging.remove("CloudWatchLogGroup");
    let stream = logging.remove("CloudWatchLogStream");
    if group.is_none() && stream.is_none() {
        return settings.to_owned(); // sent as read, byte for byte
    }
    value.to_string()
}

/// The task as a change call (stop, delete, create, move, start) answers it.
pub fn changed_task(t: Option<&ReplicationTask>) -> Value {
    json!({
        "ReplicationTaskIdentifier": t.and_then(|t| t.replication_task_identifier()),
        "ReplicationTaskArn": t.and_then(|t| t.replication_task_arn()),
        "Status": t.and_then(|t| t.status()),
    })
}

pub async fn stop_replication_task(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let out = client
        .stop_replication_task()
        .replication_task_arn(p.string("ReplicationTaskArn")?)
        .send()
        .await
        .map_err(sdk(&STOP_REPLICATION_TASK))?;
    Ok(changed_task(out.replication_task()))
}

pub async fn delete_replication_task(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let out = client
        .delete_replication_task()
        .replication_task_arn(p.string("ReplicationTaskArn")?)
        .send()
        .await
        .map_err(sdk(&DELETE_REPLICATION_TASK))?;
    Ok(changed_task(out.replication_task()))
}

/// Creates a task from its saved definition (see `describe_instance_tasks`).
pub async fn create_replication_task(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let spec = &CREATE_REPLICATION_TASK;
    let out = client
        .create_replication_task()
        .replication_task_identifier(p.string("ReplicationTaskIdentifier")?)
        .replication_instance_arn(p.string("ReplicationInstanceArn")?)
        .source_endpoint_arn(p.string("SourceEndpointArn")?)
        .target_endpoint_arn(p.string("TargetEndpointArn")?)
        .migration_type(MigrationTypeValue::from(
            p.string("MigrationType")?.as_str(),
        ))
        .table_mappings(p.string("TableMappings")?)
        .set_replication_task_settings(p.opt_string("ReplicationTaskSettings")?)
        .set_cdc_start_position(p.opt_string("CdcStartPosition")?)
        .set_task_data(p.opt_string("TaskData")?)
        .set_tags(Some(sdk_tags(spec, p, "Tags")?).filter(|t| !t.is_empty()))
        .send()
        .await
        .map_err(sdk(spec))?;
    Ok(changed_task(out.replication_task()))
}

pub async fn move_replication_task(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let out = client
        .move_replication_task()
        .replication_task_arn(p.string("ReplicationTaskArn")?)
        .target_replication_instance_arn(p.string("TargetReplicationInstanceArn")?)
        .send()
        .await
        .map_err(sdk(&MOVE_REPLICATION_TASK))?;
    Ok(changed_task(out.replication_task()))
}

pub async fn start_replication_task(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let kind = StartReplicationTaskTypeValue::from(p.string("StartReplicationTaskType")?.as_str());
    let out = client
        .start_replication_task()
        .replication_task_arn(p.string("ReplicationTaskArn")?)
        .start_replication_task_type(kind)
        .send()
        .await
        .map_err(sdk(&START_REPLICATION_TASK))?;
    Ok(changed_task(out.replication_task()))
}

// Settling a change whose answer was lost (see [`Reconcile`]): each reads what the change
// would have left and answers as the change would have, or `null` to send it.

/// The instance of that ARN or identifier, `None` when there is none.
async fn find_instance(
    client: &Client,
    which: &str,
) -> Result<Option<ReplicationInstance>, ApiError> {
    let sent = client
        .describe_replication_instances()
        .filters(by_arn_or_id(
            which,
            "replication-instance-arn",
            "replication-instance-id",
        ))
        .send()
        .await;
    match sent.map_err(sdk(&DESCRIBE_REPLICATION_INSTANCE)) {
        Ok(out) => Ok(out.replication_instances().first().cloned()),
        Err(e) if e.kind == ApiErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The task of that ARN or identifier, `None` when there is none.
async fn find_task(client: &Client, which: &str) -> Result<Option<ReplicationTask>, ApiError> {
    let sent = client
        .describe_replication_tasks()
        .filters(by_arn_or_id(
            which,
            "replication-task-arn",
            "replication-task-id",
        ))
        .without_settings(true)
        .send()
        .await;
    match sent.map_err(sdk(&DESCRIBE_INSTANCE_TASKS)) {
        Ok(out) => Ok(out.replication_tasks().first().cloned()),
        Err(e) if e.kind == ApiErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The task as a change call answers it, when its status is one of `seen`.
async fn task_seen(client: &Client, p: &Params<'_>, seen: &[&str]) -> Result<Value, ApiError> {
    let task = find_task(client, &p.string("ReplicationTaskArn")?).await?;
    Ok(match task {
        Some(t) if t.status().is_some_and(|s| seen.contains(&s)) => changed_task(Some(&t)),
        _ => Value::Null,
    })
}

/// StopReplicationTask went through: the task is stopping or stopped.
pub async fn stop_replication_task_seen(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    task_seen(client, p, &["stopping", "stopped"]).await
}

/// StartReplicationTask went through: the task is starting or running.
pub async fn start_replication_task_seen(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    task_seen(client, p, &["starting", "running"]).await
}

/// DeleteReplicationTask went through: the task is deleting or gone.
pub async fn delete_replication_task_seen(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let arn = p.string("ReplicationTaskArn")?;
    Ok(match find_task(client, &arn).await? {
        None => {
            json!({"ReplicationTaskIdentifier": null, "ReplicationTaskArn": arn, "Status": "deleted"})
        }
        Some(t) if t.status() == Some("deleting") => changed_task(Some(&t)),
        Some(_) => Value::Null,
    })
}

/// MoveReplicationTask went through: the task is moving, or on the target instance.
pub async fn move_replication_task_seen(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let target = p.string("TargetReplicationInstanceArn")?;
    Ok(
        match find_task(client, &p.string("ReplicationTaskArn")?).await? {
            Some(t)
                if t.status() == Some("moving")
                    || t.replication_instance_arn() == Some(target.as_str()) =>
            {
                changed_task(Some(&t))
            }
            _ => Value::Null,
        },
    )
}

/// DeleteReplicationInstance went through: the instance is deleting or gone.
pub async fn delete_replication_instance_seen(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let arn = p.string("ReplicationInstanceArn")?;
    Ok(match find_instance(client, &arn).await? {
        None => json!({"ReplicationInstanceArn": arn, "ReplicationInstanceStatus": "deleted"}),
        Some(i) if i.replication_instance_status() == Some("deleting") => instance_json(&i),
        Some(_) => Value::Null,
    })
}

/// The settings of a create that an instance must show to be the one it made.
const CREATED_AS_ASKED: &[&str] = &[
    "ReplicationInstanceClass",
    "AllocatedStorage",
    "MultiAZ",
    "ReplicationSubnetGroupIdentifier",
    "VpcSecurityGroupIds",
    "PubliclyAccessible",
];

/// CreateReplicationInstance went through: an instance of that identifier exists with the
/// settings asked for (its ARN is taken from it). One with other settings is not taken over.
pub async fn create_replication_instance_seen(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let id = p.string("ReplicationInstanceIdentifier")?;
    let Some(instance) = find_instance(client, &id).await? else {
        return Ok(Value::Null);
    };
    let seen = instance_json(&instance);
    let differ: Vec<String> = CREATED_AS_ASKED
        .iter()
        .filter_map(|key| {
            let asked = p.value(key)?;
            let asked = match (key, asked) {
                (&"VpcSecurityGroupIds", Value::Array(ids)) => {
                    let mut ids = ids.clone();
                    ids.sort_by_key(|v| v.to_string());
                    Value::Array(ids)
                }
                _ => asked.clone(),
            };
            (seen[*key] != asked).then(|| format!("{key} is {} (asked {asked})", seen[*key]))
        })
        .collect();
    if differ.is_empty() {
        Ok(seen)
    } else {
        Err(ApiError::invalid(
            CREATE_REPLICATION_INSTANCE.operation,
            format!(
                "a replication instance `{id}` exists that is not the one hubfix asked for: {}; hubfix does not take it over",
                differ.join(", ")
            ),
        ))
    }
}

/// CreateReplicationTask went through: a task of that identifier exists on the instance and
/// endpoints asked for. One elsewhere is not taken over.
pub async fn create_replication_task_seen(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let id = p.string("ReplicationTaskIdentifier")?;
    let Some(task) = find_task(client, &id).await? else {
        return Ok(Value::Null);
    };
    let asked = [
        ("ReplicationInstanceArn", task.replication_instance_arn()),
        ("SourceEndpointArn", task.source_endpoint_arn()),
        ("TargetEndpointArn", task.target_endpoint_arn()),
    ];
    let differ: Vec<String> = asked
        .iter()
        .filter(|(key, seen)| p.value(key).and_then(Value::as_str) != *seen)
        .map(|(key, seen)| format!("{key} is {}", seen.unwrap_or("unset")))
        .collect();
    if differ.is_empty() {
        Ok(changed_task(Some(&task)))
    } else {
        Err(ApiError::invalid(
            CREATE_REPLICATION_TASK.operation,
            format!(
                "a replication task `{id}` exists that is not the one hubfix asked for: {}; hubfix does not take it over",
                differ.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_lose_only_what_create_refuses() {
        let saved = r#"{"Logging":{"EnableLogging":true,"CloudWatchLogGroup":"dms-tasks-x","CloudWatchLogStream":"dms-task-y"},"TargetMetadata":{"BatchApplyEnabled":true}}"#;
        let sent: Value = serde_json::from_str(&settings_for_create(saved)).unwrap();
        assert_eq!(
            sent,
            json!({"Logging": {"EnableLogging": true}, "TargetMetadata": {"BatchApplyEnabled": true}})
        );
        assert_eq!(settings_for_create("not json"), "not json");
    }
}
