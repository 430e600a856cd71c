//! ElastiCache calls for ElastiCache.6: read a replication group and the engine version of
//! its member clusters (the version is on the clusters, not the group), list the engine
//! versions a group can be upgraded to, upgrade the engine in place, turn in-transit
//! encryption on in place (mode `preferred`, then `required`), and set the AUTH token with a
//! given update strategy. The token is a secret parameter: never shown, logged or journaled.
//! Its tags tell whether a CloudFormation stack manages the group.

use super::{ActionSpec, Params, Reconcile, handler};
use crate::aws::ApiError;
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::{
    AuthTokenUpdateStrategyType, CacheCluster, CacheEngineVersion, ReplicationGroup, Tag,
    TransitEncryptionMode,
};
use serde_json::{Map, Value, json};

pub const DESCRIBE_REPLICATION_GROUP: ActionSpec = ActionSpec {
    name: "elasticache.describe_replication_group",
    operation: "elasticache:DescribeReplicationGroups",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("ReplicationGroupId", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(ElastiCache, describe_replication_group),
    shared: None,
};

pub const DESCRIBE_MEMBER_VERSIONS: ActionSpec = ActionSpec {
    name: "elasticache.describe_member_versions",
    operation: "elasticache:DescribeCacheClusters",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("CacheClusterIds", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(ElastiCache, describe_member_versions),
    shared: None,
};

pub const LIST_TAGS: ActionSpec = ActionSpec {
    name: "elasticache.list_tags",
    operation: "elasticache:ListTagsForResource",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("ResourceName", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(ElastiCache, list_tags),
    shared: None,
};

pub const MODIFY_AUTH_TOKEN: ActionSpec = ActionSpec {
    name: "elasticache.modify_auth_token",
    operation: "elasticache:ModifyReplicationGroup",
    mutating: true,
    reconcile: Reconcile::Check(handler!(ElastiCache, modify_auth_token_seen)),
    params: &[
        ("ReplicationGroupId", true),
        ("AuthToken", true),
        ("AuthTokenUpdateStrategy", true),
        ("ApplyImmediately", true),
    ],
    secret_params: &["AuthToken"],
    file_params: &[],
    handler: handler!(ElastiCache, modify_auth_token),
    shared: None,
};

pub const DESCRIBE_CACHE_ENGINE_VERSIONS: ActionSpec = ActionSpec {
    name: "elasticache.describe_cache_engine_versions",
    operation: "elasticache:DescribeCacheEngineVersions",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("Engine", true), ("MajorVersion", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(ElastiCache, describe_cache_engine_versions),
    shared: None,
};

pub const MODIFY_ENGINE_VERSION: ActionSpec = ActionSpec {
    name: "elasticache.modify_engine_version",
    operation: "elasticache:ModifyReplicationGroup",
    mutating: true,
    reconcile: Reconcile::Check(handler!(ElastiCache, modify_engine_version_seen)),
    params: &[
        ("ReplicationGroupId", true),
        ("EngineVersion", true),
        ("ApplyImmediately", true),
    ],
    secret_params: &[],
    file_params: &[],
    handler: handler!(ElastiCache, modify_engine_version),
    shared: None,
};

pub const MODIFY_TRANSIT_ENCRYPTION: ActionSpec = ActionSpec {
    name: "elasticache.modify_transit_encryption",
    operation: "elasticache:ModifyReplicationGroup",
    mutating: true,
    reconcile: Reconcile::Check(handler!(ElastiCache, modify_transit_encryption_seen)),
    params: &[
        ("ReplicationGroupId", true),
        ("TransitEncryptionEnabled", true),
        ("TransitEncryptionMode", true),
        ("ApplyImmediately", true),
    ],
    secret_params: &[],
    file_params: &[],
    handler: handler!(ElastiCache, modify_transit_encryption),
    shared: None,
};

/// The replication group: what `describe_replication_group` and the modify calls answer.
pub fn group_json(g: &ReplicationGroup) -> Value {
    let mut pending = Map::new();
    if let Some(p) = g.pending_modified_values() {
        if let Some(s) = p.auth_token_status() {
            pending.insert("AuthTokenStatus".into(), json!(s.as_str()));
        }
        if let Some(t) = p.transit_encryption_enabled() {
            pending.insert("TransitEncryptionEnabled".into(), json!(t));
        }
        if let Some(m) = p.transit_encryption_mode() {
            pending.insert("TransitEncryptionMode".into(), json!(m.as_str()));
        }
    }
    json!({
        "ReplicationGroupId": g.replication_group_id(),
        "ARN": g.arn(),
        "Status": g.status(),
        "Engine": g.engine(),
        "MemberClusters": g.member_clusters(),
        "AuthTokenEnabled": g.auth_token_enabled().unwrap_or(false),
        "TransitEncryptionEnabled": g.transit_encryption_enabled().unwrap_or(false),
        "TransitEncryptionMode": g.transit_encryption_mode().map(|m| m.as_str()),
        "AtRestEncryptionEnabled": g.at_rest_encryption_enabled().unwrap_or(false),
        "PendingModifiedValues": pending,
    })
}

/// The replication group `id`, if AWS lists it.
async fn read_group(client: &Client, id: &str) -> Result<Option<ReplicationGroup>, ApiError> {
    let out = client
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(DESCRIBE_REPLICATION_GROUP.operation, e))?;
    Ok(out.replication_groups().first().cloned())
}

/// The member clusters `ids`, one DescribeCacheClusters each.
async fn read_clusters(
    client: &Client,
    ids: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<Vec<CacheCluster>, ApiError> {
    let mut clusters = Vec::new();
    for id in ids {
        let out = client
            .describe_cache_clusters()
            .cache_cluster_id(id.as_ref())
            .send()
            .await
            .map_err(|e| ApiError::from_sdk(DESCRIBE_MEMBER_VERSIONS.operation, e))?;
        clusters.extend_from_slice(out.cache_clusters());
    }
    Ok(clusters)
}

pub async fn describe_replication_group(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let id = p.string("ReplicationGroupId")?;
    match read_group(client, &id).await? {
        Some(g) => Ok(group_json(&g)),
        None => Err(ApiError::not_found(
            DESCRIBE_REPLICATION_GROUP.operation,
            format!("no ElastiCache replication group `{id}`"),
        )),
    }
}

/// The tags of a resource (by ARN), sorted by key, and the CloudFormation stack that manages
/// it (`null` when none does).
pub async fn list_tags(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let out = client
        .list_tags_for_resource()
        .resource_name(p.string("ResourceName")?)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(LIST_TAGS.operation, e))?;
    Ok(tags_json(out.tag_list()))
}

/// What `list_tags` answers.
pub fn tags_json(tags: &[Tag]) -> Value {
    let sorted: std::collections::BTreeMap<&str, &str> = tags
        .iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
        .collect();
    json!({
        "Tags": sorted
            .into_iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect::<Vec<_>>(),
        "CloudFormationStack": super::tags::cloudformation_stack(
            tags.iter().map(|t| (t.key(), t.value()))
        ),
    })
}

/// `5.0.6` → (5, 0, 6); parts that are not numbers count as 0.
fn version(text: &str) -> (u32, u32, u32) {
    let mut parts = text.split('.').map(|p| p.parse().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// The engine versions of the member clusters, the lowest of them, and what it allows:
/// below 6.0 the control applies (6.0 and later use RBAC), and from 5.0.6 the token can be
/// changed in place.
pub async fn describe_member_versions(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let clusters = read_clusters(client, p.strings("CacheClusterIds")?).await?;
    member_versions_json(&clusters)
}

/// What `describe_member_versions` answers for the member clusters; none with an engine
/// version is not found.
pub fn member_versions_json(clusters: &[CacheCluster]) -> Result<Value, ApiError> {
    let versions: Vec<Value> = clusters
        .iter()
        .map(|c| {
            json!({
                "CacheClusterId": c.cache_cluster_id(),
                "Engine": c.engine(),
                "EngineVersion": c.engine_version(),
            })
        })
        .collect();
    let lowest = versions
        .iter()
        .filter_map(|v| v["EngineVersion"].as_str())
        .min_by_key(|v| version(v))
        .map(str::to_owned);
    let Some(lowest) = lowest else {
        return Err(ApiError::not_found(
            DESCRIBE_MEMBER_VERSIONS.operation,
            "the replication group has no member clusters with an engine version",
        ));
    };
    let v = version(&lowest);
    Ok(json!({
        "Clusters": versions,
        "LowestVersion": lowest,
        "Below6": v < (6, 0, 0),
        "TokenChangeInPlace": v >= (5, 0, 6),
    }))
}

pub async fn modify_auth_token(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let strategy = p.string("AuthTokenUpdateStrategy")?;
    let out = client
        .modify_replication_group()
        .replication_group_id(p.string("ReplicationGroupId")?)
        .auth_token(p.string("AuthToken")?)
        .auth_token_update_strategy(AuthTokenUpdateStrategyType::from(strategy.as_str()))
        .set_apply_immediately(p.opt_bool("ApplyImmediately")?)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(MODIFY_AUTH_TOKEN.operation, e))?;
    Ok(out
        .replication_group()
        .map_or_else(|| json!({}), group_json))
}

/// ModifyReplicationGroup went through (see [`Reconcile`]): the group is modifying with an
/// AUTH change pending. A group at rest cannot tell whether this token was set (AWS never
/// shows it): the change is then sent again, which ROTATE and SET with the same token allow.
pub async fn modify_auth_token_seen(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let id = p.string("ReplicationGroupId")?;
    Ok(match read_group(client, &id).await? {
        Some(g)
            if g.status() == Some("modifying")
                && g.pending_modified_values()
                    .and_then(|v| v.auth_token_status())
                    .is_some() =>
        {
            group_json(&g)
        }
        _ => Value::Null,
    })
}

/// The engine versions of `Engine` with major version `MajorVersion`, newest first, the
/// newest as `Default` (`null` when there is none), and the same as select `Options`.
pub async fn describe_cache_engine_versions(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let engine = p.string("Engine")?;
    let major = p.opt_int("MajorVersion")?.unwrap_or_default();
    let mut listed = Vec::new();
    let mut marker = None;
    loop {
        let out = client
            .describe_cache_engine_versions()
            .engine(&engine)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk(DESCRIBE_CACHE_ENGINE_VERSIONS.operation, e))?;
        listed.extend_from_slice(out.cache_engine_versions());
        marker = out.marker().filter(|m| !m.is_empty()).map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok(engine_versions_json(&listed, major))
}

/// What `describe_cache_engine_versions` answers for the versions listed.
pub fn engine_versions_json(listed: &[CacheEngineVersion], major: i32) -> Value {
    let mut versions: Vec<&CacheEngineVersion> = listed
        .iter()
        .filter(|v| {
            v.engine_version()
                .is_some_and(|t| i64::from(version(t).0) == i64::from(major))
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(version(v.engine_version().unwrap_or_default())));
    versions.dedup_by_key(|v| v.engine_version());
    let options: Vec<Value> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let text = v.engine_version().unwrap_or_default();
            let family = v.cache_parameter_group_family().unwrap_or_default();
            let newest = if i == 0 { ", the newest" } else { "" };
            json!({"value": text, "label": format!("{text} (parameter group family {family}{newest})")})
        })
        .collect();
    json!({
        "Versions": versions
            .iter()
            .map(|v| json!({
                "EngineVersion": v.engine_version(),
                "CacheParameterGroupFamily": v.cache_parameter_group_family(),
            }))
            .collect::<Vec<_>>(),
        "Default": versions.first().and_then(|v| v.engine_version()),
        "Options": options,
        "Count": versions.len(),
    })
}

/// Upgrades the engine of the group (and its members) in place.
pub async fn modify_engine_version(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let out = client
        .modify_replication_group()
        .replication_group_id(p.string("ReplicationGroupId")?)
        .engine_version(p.string("EngineVersion")?)
        .set_apply_immediately(p.opt_bool("ApplyImmediately")?)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(MODIFY_ENGINE_VERSION.operation, e))?;
    Ok(out
        .replication_group()
        .map_or_else(|| json!({}), group_json))
}

/// Whether `running` (a member's version, `7.1.0`) is the version asked for (`7.1`, or a
/// full `7.1.0`): from 6.0 AWS names a version by major.minor and runs its latest patch.
fn runs_version(running: &str, asked: &str) -> bool {
    running == asked || running.starts_with(&format!("{asked}."))
}

/// The upgrade went through (see [`Reconcile`]): every member runs the version asked for, or
/// the group is modifying with nothing else pending (the structure of pending values has no
/// engine version, so an upgrade shows as a bare `modifying`).
pub async fn modify_engine_version_seen(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let id = p.string("ReplicationGroupId")?;
    let asked = p.string("EngineVersion")?;
    let Some(g) = read_group(client, &id).await? else {
        return Ok(Value::Null);
    };
    let described = group_json(&g);
    let nothing_else_pending = described["PendingModifiedValues"]
        .as_object()
        .is_none_or(Map::is_empty);
    if g.status() == Some("modifying") && nothing_else_pending {
        return Ok(described);
    }
    let clusters = read_clusters(client, g.member_clusters()).await?;
    let upgraded = !clusters.is_empty()
        && clusters
            .iter()
            .all(|c| c.engine_version().is_some_and(|v| runs_version(v, &asked)));
    Ok(if upgraded { described } else { Value::Null })
}

/// Turns in-transit encryption on, or changes its mode.
pub async fn modify_transit_encryption(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let mode = p.string("TransitEncryptionMode")?;
    let out = client
        .modify_replication_group()
        .replication_group_id(p.string("ReplicationGroupId")?)
        .set_transit_encryption_enabled(p.opt_bool("TransitEncryptionEnabled")?)
        .transit_encryption_mode(TransitEncryptionMode::from(mode.as_str()))
        .set_apply_immediately(p.opt_bool("ApplyImmediately")?)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(MODIFY_TRANSIT_ENCRYPTION.operation, e))?;
    Ok(out
        .replication_group()
        .map_or_else(|| json!({}), group_json))
}

/// The change went through (see [`Reconcile`]): the group is modifying toward the mode asked
/// for, or already has in-transit encryption on in that mode.
pub async fn modify_transit_encryption_seen(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let id = p.string("ReplicationGroupId")?;
    let mode = p.string("TransitEncryptionMode")?;
    let Some(g) = read_group(client, &id).await? else {
        return Ok(Value::Null);
    };
    let described = group_json(&g);
    let pending =
        described["PendingModifiedValues"]["TransitEncryptionMode"].as_str() == Some(&mode);
    let applied = described["TransitEncryptionEnabled"] == json!(true)
        && described["TransitEncryptionMode"].as_str() == Some(&mode);
    Ok(if (g.status() == Some("modifying") && pending) || applied {
        described
    } else {
        Value::Null
    })
}
