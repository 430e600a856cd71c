//! Redshift calls: describe a cluster and its subnet group, modify it (enhanced VPC
//! routing).

use super::{ActionSpec, Params, Reconcile, SharedList, Sharing, handler};
use crate::aws::ApiError;
use aws_sdk_redshift::Client;
use aws_sdk_redshift::types::{Cluster, ClusterSubnetGroup, PendingModifiedValues};
use serde_json::{Map, Value, json};

pub const DESCRIBE_CLUSTER: ActionSpec = ActionSpec {
    name: "redshift.describe_cluster",
    operation: "redshift:DescribeClusters",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("ClusterIdentifier", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Redshift, describe_cluster),
    // A fleet's waits share one DescribeClusters listing per region.
    shared: Some(Sharing::List(SharedList {
        id_param: "ClusterIdentifier",
        noun: "Redshift cluster",
        list: handler!(Redshift, describe_all_clusters),
    })),
};

pub const DESCRIBE_CLUSTER_SUBNET_GROUP: ActionSpec = ActionSpec {
    name: "redshift.describe_cluster_subnet_group",
    operation: "redshift:DescribeClusterSubnetGroups",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("ClusterSubnetGroupName", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Redshift, describe_cluster_subnet_group),
    // hubfix never changes a subnet group: the runs of a fleet in one group read it once.
    shared: Some(Sharing::SameRequest),
};

pub const MODIFY_CLUSTER: ActionSpec = ActionSpec {
    name: "redshift.modify_cluster",
    operation: "redshift:ModifyCluster",
    mutating: true,
    reconcile: Reconcile::Check(handler!(Redshift, modify_cluster_seen)),
    params: &[("ClusterIdentifier", true), ("EnhancedVpcRouting", false)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Redshift, modify_cluster),
    shared: None,
};

fn insert<T: Into<Value>>(map: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v.into());
    }
}

/// Only the pending values that are set: an empty object means nothing is pending.
fn pending_json(p: Option<&PendingModifiedValues>) -> Value {
    let mut m = Map::new();
    if let Some(p) = p {
        insert(&mut m, "EnhancedVpcRouting", p.enhanced_vpc_routing());
        insert(&mut m, "NodeType", p.node_type());
        insert(&mut m, "NumberOfNodes", p.number_of_nodes());
        insert(&mut m, "ClusterType", p.cluster_type());
        insert(&mut m, "ClusterVersion", p.cluster_version());
        insert(&mut m, "PubliclyAccessible", p.publicly_accessible());
        insert(&mut m, "ClusterIdentifier", p.cluster_identifier());
        insert(&mut m, "MaintenanceTrackName", p.maintenance_track_name());
        insert(&mut m, "EncryptionType", p.encryption_type());
        if p.master_user_password().is_some() {
            m.insert(
                "MasterUserPassword".into(),
                Value::String("<redacted>".into()),
            );
        }
    }
    Value::Object(m)
}

/// What `describe_cluster` and `modify_cluster` answer for a cluster.
pub fn cluster_json(c: &Cluster) -> Value {
    let mut m = Map::new();
    insert(&mut m, "ClusterIdentifier", c.cluster_identifier());
    insert(&mut m, "ClusterStatus", c.cluster_status());
    insert(
        &mut m,
        "ClusterAvailabilityStatus",
        c.cluster_availability_status(),
    );
    insert(&mut m, "NodeType", c.node_type());
    insert(&mut m, "NumberOfNodes", c.number_of_nodes());
    insert(&mut m, "VpcId", c.vpc_id());
    insert(
        &mut m,
        "ClusterSubnetGroupName",
        c.cluster_subnet_group_name(),
    );
    insert(&mut m, "AvailabilityZone", c.availability_zone());
    insert(&mut m, "PubliclyAccessible", c.publicly_accessible());
    insert(&mut m, "ClusterNamespaceArn", c.cluster_namespace_arn());
    m.insert(
        "EnhancedVpcRouting".into(),
        Value::Bool(c.enhanced_vpc_routing().unwrap_or(false)),
    );
    m.insert(
        "PendingModifiedValues".into(),
        pending_json(c.pending_modified_values()),
    );
    m.insert(
        "CloudFormationStack".into(),
        super::tags::cloudformation_stack(c.tags().iter().map(|t| (t.key(), t.value()))),
    );
    Value::Object(m)
}

/// What `describe_cluster_subnet_group` answers: the group's VPC and its subnets.
pub fn subnet_group_json(g: &ClusterSubnetGroup) -> Value {
    json!({
        "ClusterSubnetGroupName": g.cluster_subnet_group_name(),
        "VpcId": g.vpc_id(),
        "SubnetGroupStatus": g.subnet_group_status(),
        "SubnetIds": g
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier())
            .collect::<Vec<_>>(),
    })
}

pub async fn describe_cluster_subnet_group(
    client: &Client,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let name = p.string("ClusterSubnetGroupName")?;
    let out = client
        .describe_cluster_subnet_groups()
        .cluster_subnet_group_name(&name)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(DESCRIBE_CLUSTER_SUBNET_GROUP.operation, e))?;
    match out.cluster_subnet_groups().first() {
        Some(g) => Ok(subnet_group_json(g)),
        None => Err(ApiError::not_found(
            DESCRIBE_CLUSTER_SUBNET_GROUP.operation,
            format!("no Redshift cluster subnet group `{name}`"),
        )),
    }
}

pub async fn describe_cluster(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let id = p.string("ClusterIdentifier")?;
    let out = client
        .describe_clusters()
        .cluster_identifier(&id)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(DESCRIBE_CLUSTER.operation, e))?;
    match out.clusters().first() {
        Some(c) => Ok(cluster_json(c)),
        None => Err(ApiError::not_found(
            DESCRIBE_CLUSTER.operation,
            format!("no Redshift cluster `{id}`"),
        )),
    }
}

/// Every cluster of the region, by identifier (DescribeClusters without one, every page).
pub async fn describe_all_clusters(client: &Client, _p: &Params<'_>) -> Result<Value, ApiError> {
    let mut pages = client.describe_clusters().into_paginator().send();
    let mut all = Map::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ApiError::from_sdk(DESCRIBE_CLUSTER.operation, e))?;
        for c in page.clusters() {
            if let Some(id) = c.cluster_identifier() {
                all.insert(id.to_owned(), cluster_json(c));
            }
        }
    }
    Ok(Value::Object(all))
}

pub async fn modify_cluster(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let out = client
        .modify_cluster()
        .cluster_identifier(p.string("ClusterIdentifier")?)
        .set_enhanced_vpc_routing(p.opt_bool("EnhancedVpcRouting")?)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(MODIFY_CLUSTER.operation, e))?;
    Ok(out.cluster().map_or_else(|| json!({}), cluster_json))
}

/// ModifyCluster went through (see [`Reconcile`]): the cluster shows the setting asked
/// for, applied or pending.
pub async fn modify_cluster_seen(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let Some(wanted) = p.opt_bool("EnhancedVpcRouting")? else {
        return Ok(Value::Null);
    };
    let id = p.string("ClusterIdentifier")?;
    let out = client
        .describe_clusters()
        .cluster_identifier(&id)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(DESCRIBE_CLUSTER.operation, e))?;
    let Some(cluster) = out.clusters().first() else {
        return Ok(Value::Null);
    };
    let seen = cluster_json(cluster);
    let wanted = Value::Bool(wanted);
    let applied = seen["EnhancedVpcRouting"] == wanted
        || seen["PendingModifiedValues"]["EnhancedVpcRouting"] == wanted;
    Ok(if applied { seen } else { Value::Null })
}
