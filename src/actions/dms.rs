//! DMS calls for DMS.1: read a replication instance with everything needed to rebuild it,
//! its tags and its tasks; stop, delete, create and move.
//!
//! Outputs use the parameter names of CreateReplicationInstance / CreateReplicationTask, so
//! a runbook carries a captured setting to the create call by name, and every key is always
//! present (`null` when unset) so a template never renders a missing value.
//!
//! The task calls take lists and are idempotent (a task already stopped, deleted, created
//! or moved is skipped), so a resumed run can send them again safely.

use super::{ActionSpec, Params};
use crate::aws::{ApiError, ApiErrorKind};
use aws_sdk_databasemigration::Client;
use aws_sdk_databasemigration::types::{
    Filter, KerberosAuthenticationSettings, MigrationTypeValue, ReplicationInstance,
    ReplicationTask, StartReplicationTaskTypeValue, Tag,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub const DESCRIBE_REPLICATION_INSTANCE: ActionSpec = ActionSpec {
    name: "dms.describe_replication_instance",
    operation: "dms:DescribeReplicationInstances",
    mutating: false,
    params: &[("ReplicationInstance", true)],
    secret_params: &[],
};

pub const LIST_TAGS: ActionSpec = ActionSpec {
    name: "dms.list_tags",
    operation: "dms:ListTagsForResource",
    mutating: false,
    params: &[("ResourceArn", true)],
    secret_params: &[],
};

pub const DESCRIBE_INSTANCE_TASKS: ActionSpec = ActionSpec {
    name: "dms.describe_instance_tasks",
    operation: "dms:DescribeReplicationTasks",
    mutating: false,
    params: &[("ReplicationInstanceArn", true)],
    secret_params: &[],
};

pub const STOP_REPLICATION_TASKS: ActionSpec = ActionSpec {
    name: "dms.stop_replication_tasks",
    operation: "dms:StopReplicationTask",
    mutating: true,
    params: &[("ReplicationTaskArns", true)],
    secret_params: &[],
};

pub const DELETE_REPLICATION_TASKS: ActionSpec = ActionSpec {
    name: "dms.delete_replication_tasks",
    operation: "dms:DeleteReplicationTask",
    mutating: true,
    params: &[("ReplicationTaskArns", true)],
    secret_params: &[],
};

pub const DELETE_REPLICATION_INSTANCE: ActionSpec = ActionSpec {
    name: "dms.delete_replication_instance",
    operation: "dms:DeleteReplicationInstance",
    mutating: true,
    params: &[("ReplicationInstanceArn", true)],
    secret_params: &[],
};

pub const CREATE_REPLICATION_INSTANCE: ActionSpec = ActionSpec {
    name: "dms.create_replication_instance",
    operation: "dms:CreateReplicationInstance",
    mutating: true,
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
};

pub const CREATE_REPLICATION_TASKS: ActionSpec = ActionSpec {
    name: "dms.create_replication_tasks",
    operation: "dms:CreateReplicationTask",
    mutating: true,
    params: &[("ReplicationInstanceArn", true), ("Tasks", true)],
    secret_params: &[],
};

pub const MOVE_REPLICATION_TASKS: ActionSpec = ActionSpec {
    name: "dms.move_replication_tasks",
    operation: "dms:MoveReplicationTask",
    mutating: true,
    params: &[
        ("ReplicationTaskArns", true),
        ("TargetReplicationInstanceArn", true),
    ],
    secret_params: &[],
};

pub const START_REPLICATION_TASKS: ActionSpec = ActionSpec {
    name: "dms.start_replication_tasks",
    operation: "dms:StartReplicationTask",
    mutating: true,
    params: &[
        ("ReplicationInstanceArn", true),
        ("ReplicationTaskIdentifiers", true),
        ("StartReplicationTaskType", true),
    ],
    secret_params: &[],
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

/// The instance as CreateReplicationInstance takes it, plus its identity and status.
fn instance_json(i: &ReplicationInstance) -> Value {
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
    Ok(json!({ "Tags": tags_json(out.tag_list()) }))
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

/// Endpoint ARN → `identifier (engine)`, for showing tasks; unknown ARNs are left out.
async fn endpoint_names(client: &Client, arns: Vec<String>) -> BTreeMap<String, String> {
    if arns.is_empty() {
        return BTreeMap::new();
    }
    let Ok(out) = client
        .describe_endpoints()
        .filters(filter("endpoint-arn", &arns))
        .send()
        .await
    else {
        return BTreeMap::new();
    };
    out.endpoints()
        .iter()
        .filter_map(|e| {
            Some((
                e.endpoint_arn()?.to_owned(),
                format!(
                    "{} ({})",
                    e.endpoint_identifier().unwrap_or("?"),
                    e.engine_name().unwrap_or("?")
                ),
            ))
        })
        .collect()
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
        "ReplicationTaskSettings": t.replication_task_settings(),
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
    let names = endpoint_names(client, endpoints).await;
    let mut list = Vec::new();
    let mut summary = Vec::new();
    for t in &tasks {
        let tags = match t.replication_task_arn() {
            Some(arn) => client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map(|o| tags_json(o.tag_list()))
                .map_err(sdk(&LIST_TAGS))?,
            None => json!([]),
        };
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
        list.push(task_json(t, tags));
    }
    let status = |t: &ReplicationTask| t.status().unwrap_or_default().to_owned();
    let running: Vec<&ReplicationTask> = tasks.iter().filter(|t| status(t) == "running").collect();
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
    let all: Vec<&ReplicationTask> = tasks.iter().collect();
    Ok(json!({
        "Tasks": list,
        "Count": tasks.len(),
        "Arns": arns(&all),
        "Identifiers": ids(&all),
        "RunningArns": arns(&running),
        "RunningIdentifiers": ids(&running),
        "State": state,
        "Summary": if summary.is_empty() { "(no replication tasks)".to_owned() } else { summary.join("\n") },
    }))
}

/// The tasks among `arns` that still exist, with their status.
async fn existing_tasks(
    client: &Client,
    spec: &ActionSpec,
    arns: &[String],
) -> Result<Vec<ReplicationTask>, ApiError> {
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    tasks_where(client, spec, "replication-task-arn", arns).await
}

pub async fn stop_replication_tasks(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let spec = &STOP_REPLICATION_TASKS;
    let mut stopped = Vec::new();
    for t in existing_tasks(client, spec, &p.strings("ReplicationTaskArns")?).await? {
        if t.status() != Some("running") {
            continue;
        }
        let arn = t.replication_task_arn().unwrap_or_default();
        client
            .stop_replication_task()
            .replication_task_arn(arn)
            .send()
            .await
            .map_err(sdk(spec))?;
        stopped.push(arn.to_owned());
    }
    Ok(json!({ "Stopped": stopped }))
}

pub async fn delete_replication_tasks(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let spec = &DELETE_REPLICATION_TASKS;
    let mut deleted = Vec::new();
    for t in existing_tasks(client, spec, &p.strings("ReplicationTaskArns")?).await? {
        if t.status() == Some("deleting") {
            continue;
        }
        let arn = t.replication_task_arn().unwrap_or_default();
        client
            .delete_replication_task()
            .replication_task_arn(arn)
            .send()
            .await
            .map_err(sdk(spec))?;
        deleted.push(arn.to_owned());
    }
    Ok(json!({ "Deleted": deleted }))
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
        .set_tags(Some(sdk_tags(spec, p, "Tags")?))
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

/// Recreates saved task definitions on an instance; a task of that identifier already on
/// the instance (a resumed run) is kept, one elsewhere is an error.
pub async fn create_replication_tasks(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let spec = &CREATE_REPLICATION_TASKS;
    let instance = p.string("ReplicationInstanceArn")?;
    let mut created = Vec::new();
    for task in p.objects("Tasks")? {
        let text = |key: &str| task.get(key).and_then(Value::as_str).map(str::to_owned);
        let Some(id) = text("ReplicationTaskIdentifier") else {
            return Err(ApiError::invalid(
                spec.operation,
                "each task needs its `ReplicationTaskIdentifier`",
            ));
        };
        let existing = tasks_where(
            client,
            spec,
            "replication-task-id",
            std::slice::from_ref(&id),
        )
        .await?;
        if let Some(t) = existing.first() {
            if t.replication_instance_arn() == Some(instance.as_str()) {
                created.push(json!({"ReplicationTaskIdentifier": id, "ReplicationTaskArn": t.replication_task_arn(), "Existed": true}));
                continue;
            }
            return Err(ApiError::new(
                ApiErrorKind::InvalidState,
                spec.operation,
                "ResourceAlreadyExistsFault",
                format!(
                    "task `{id}` still exists on {}; delete it first",
                    t.replication_instance_arn().unwrap_or("another instance")
                ),
            ));
        }
        let tags = Params::new(spec, &task);
        let out = client
            .create_replication_task()
            .replication_task_identifier(&id)
            .replication_instance_arn(&instance)
            .set_source_endpoint_arn(text("SourceEndpointArn"))
            .set_target_endpoint_arn(text("TargetEndpointArn"))
            .set_migration_type(text("MigrationType").map(|m| MigrationTypeValue::from(m.as_str())))
            .set_table_mappings(text("TableMappings"))
            .set_replication_task_settings(
                text("ReplicationTaskSettings").map(|s| settings_for_create(&s)),
            )
            .set_cdc_start_position(text("CdcStartPosition"))
            .set_task_data(text("TaskData"))
            .set_tags(Some(sdk_tags(spec, &tags, "Tags")?))
            .send()
            .await
            .map_err(sdk(spec))?;
        created.push(json!({
            "ReplicationTaskIdentifier": id,
            "ReplicationTaskArn": out.replication_task().and_then(|t| t.replication_task_arn()),
        }));
    }
    Ok(json!({ "Created": created }))
}

pub async fn move_replication_tasks(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let spec = &MOVE_REPLICATION_TASKS;
    let target = p.string("TargetReplicationInstanceArn")?;
    let mut moved = Vec::new();
    for t in existing_tasks(client, spec, &p.strings("ReplicationTaskArns")?).await? {
        let arn = t.replication_task_arn().unwrap_or_default();
        if t.replication_instance_arn() == Some(target.as_str()) || t.status() == Some("moving") {
            continue;
        }
        client
            .move_replication_task()
            .replication_task_arn(arn)
            .target_replication_instance_arn(&target)
            .send()
            .await
            .map_err(sdk(spec))?;
        moved.push(arn.to_owned());
    }
    Ok(json!({ "Moved": moved }))
}

/// Starts the named tasks of an instance (by identifier: recreated tasks have new ARNs);
/// tasks already running are left alone.
pub async fn start_replication_tasks(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let spec = &START_REPLICATION_TASKS;
    let instance = p.string("ReplicationInstanceArn")?;
    let wanted = p.strings("ReplicationTaskIdentifiers")?;
    let kind = StartReplicationTaskTypeValue::from(p.string("StartReplicationTaskType")?.as_str());
    let mut started = Vec::new();
    for t in tasks_where(client, spec, "replication-instance-arn", &[instance]).await? {
        let id = t.replication_task_identifier().unwrap_or_default();
        if !wanted.iter().any(|w| w == id) || matches!(t.status(), Some("running" | "starting")) {
            continue;
        }
        client
            .start_replication_task()
            .replication_task_arn(t.replication_task_arn().unwrap_or_default())
            .start_replication_task_type(kind.clone())
            .send()
            .await
            .map_err(sdk(spec))?;
        started.push(id.to_owned());
    }
    Ok(json!({ "Started": started }))
}

pub async fn execute(
    client: &Client,
    spec: &ActionSpec,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    match spec.name {
        "dms.describe_replication_instance" => describe_replication_instance(client, p).await,
        "dms.list_tags" => list_tags(client, p).await,
        "dms.describe_instance_tasks" => describe_instance_tasks(client, p).await,
        "dms.stop_replication_tasks" => stop_replication_tasks(client, p).await,
        "dms.delete_replication_tasks" => delete_replication_tasks(client, p).await,
        "dms.delete_replication_instance" => delete_replication_instance(client, p).await,
        "dms.create_replication_instance" => create_replication_instance(client, p).await,
        "dms.create_replication_tasks" => create_replication_tasks(client, p).await,
        "dms.move_replication_tasks" => move_replication_tasks(client, p).await,
        "dms.start_replication_tasks" => start_replication_tasks(client, p).await,
        _ => super::dms_endpoints::execute(client, spec, p).await,
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
