//! EC2 reads that check a network before a change relies on it: the DNS attributes of a
//! VPC, and for each subnet whether its route table reaches Amazon S3. Enhanced VPC routing
//! sends a Redshift cluster's COPY and UNLOAD traffic through these routes, so a runbook
//! reads them instead of asking the operator whether they are there.
//!
//! The route check does its evaluation here and answers a small verdict per subnet, so the
//! runbook's conditions and texts stay readable.

use super::{ActionSpec, Params, Reconcile, Sharing, handler};
use crate::aws::ApiError;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Filter, RouteState, RouteTable, RouteTableAssociation, RouteTableAssociationStateCode,
    VpcAttributeName, VpcEndpoint,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;

pub const DESCRIBE_VPC_DNS: ActionSpec = ActionSpec {
    name: "ec2.describe_vpc_dns",
    operation: "ec2:DescribeVpcAttribute",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("VpcId", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Ec2, describe_vpc_dns),
    // hubfix never changes a VPC: the runs of a fleet in one VPC read it once.
    shared: Some(Sharing::SameRequest),
};

pub const CHECK_S3_ROUTES: ActionSpec = ActionSpec {
    name: "ec2.check_s3_routes",
    operation: "ec2:DescribeRouteTables",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[
        ("VpcId", true),
        ("SubnetIds", true),
        ("PubliclyAccessible", false),
    ],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Ec2, check_s3_routes),
    shared: Some(Sharing::SameRequest),
};

/// The second operation `ec2.check_s3_routes` sends (its IAM action too).
pub const DESCRIBE_VPC_ENDPOINTS: &str = "ec2:DescribeVpcEndpoints";

/// The destination of a default route.
const ANYWHERE: &str = "0.0.0.0/0";

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// DNS resolution (`enableDnsSupport`) and DNS hostnames (`enableDnsHostnames`) of a VPC:
/// one DescribeVpcAttribute per attribute. An attribute AWS does not report reads as off.
pub async fn describe_vpc_dns(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let vpc = p.string("VpcId")?;
    let support = client
        .describe_vpc_attribute()
        .vpc_id(&vpc)
        .attribute(VpcAttributeName::EnableDnsSupport)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(DESCRIBE_VPC_DNS.operation, e))?;
    let hostnames = client
        .describe_vpc_attribute()
        .vpc_id(&vpc)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .map_err(|e| ApiError::from_sdk(DESCRIBE_VPC_DNS.operation, e))?;
    Ok(vpc_dns_json(
        &vpc,
        support.enable_dns_support().and_then(|v| v.value()),
        hostnames.enable_dns_hostnames().and_then(|v| v.value()),
    ))
}

/// What `describe_vpc_dns` answers.
pub fn vpc_dns_json(vpc: &str, support: Option<bool>, hostnames: Option<bool>) -> Value {
    json!({
        "VpcId": vpc,
        "EnableDnsSupport": support.unwrap_or(false),
        "EnableDnsHostnames": hostnames.unwrap_or(false),
    })
}

/// The service name of the S3 gateway endpoint in a region (China regions have their own
/// prefix).
pub fn s3_service_name(region: &str) -> String {
    if region.starts_with("cn-") {
        format!("cn.com.amazonaws.{region}.s3")
    } else {
        format!("com.amazonaws.{region}.s3")
    }
}

/// Whether each subnet's route table reaches S3: the VPC's route tables and its S3 gateway
/// endpoints in the client's region (the resource's), one DescribeRouteTables and one
/// DescribeVpcEndpoints (every page of each).
pub async fn check_s3_routes(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let vpc = p.string("VpcId")?;
    let subnets = p.strings("SubnetIds")?;
    if subnets.is_empty() {
        return Err(ApiError::invalid(
            CHECK_S3_ROUTES.operation,
            format!(
                "parameter `SubnetIds` of `{}` must list at least one subnet",
                CHECK_S3_ROUTES.name
            ),
        ));
    }
    let public = p.opt_bool("PubliclyAccessible")?.unwrap_or(false);
    let Some(region) = client.config().region().map(|r| r.to_string()) else {
        return Err(ApiError::new(
            crate::aws::ApiErrorKind::NoRegion,
            CHECK_S3_ROUTES.operation,
            "NoRegion",
            "no AWS region is configured",
        ));
    };
    let service = s3_service_name(&region);

    let mut tables = Vec::new();
    let mut pages = client
        .describe_route_tables()
        .filters(filter("vpc-id", &vpc))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ApiError::from_sdk(CHECK_S3_ROUTES.operation, e))?;
        tables.extend_from_slice(page.route_tables());
    }

    let mut endpoints = Vec::new();
    let mut pages = client
        .describe_vpc_endpoints()
        .filters(filter("vpc-id", &vpc))
        .filters(filter("service-name", &service))
        .filters(filter("vpc-endpoint-type", "Gateway"))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ApiError::from_sdk(DESCRIBE_VPC_ENDPOINTS, e))?;
        endpoints.extend_from_slice(page.vpc_endpoints());
    }

    Ok(s3_routes_json(
        &vpc, &service, &subnets, public, &tables, &endpoints,
    ))
}

fn associated(a: &RouteTableAssociation) -> bool {
    a.association_state()
        .and_then(|s| s.state())
        .is_none_or(|s| *s == RouteTableAssociationStateCode::Associated)
}

/// The route table a subnet uses: the one explicitly associated with it, else the VPC's
/// main table (`true` in the answer).
fn table_of<'a>(tables: &'a [RouteTable], subnet: &str) -> Option<(&'a RouteTable, bool)> {
    let explicit = tables.iter().find(|t| {
        t.associations()
            .iter()
            .any(|a| a.subnet_id() == Some(subnet) && associated(a))
    });
    if let Some(t) = explicit {
        return Some((t, false));
    }
    tables
        .iter()
        .find(|t| {
            t.associations()
                .iter()
                .any(|a| a.main() == Some(true) && associated(a))
        })
        .map(|t| (t, true))
}

/// The S3 gateway endpoint (available, in this region) that serves a route table: one that
/// lists the table, or one a route of the table leads to (the S3 prefix list via `vpce-…`).
fn s3_endpoint<'a>(
    table: &RouteTable,
    service: &str,
    endpoints: &'a [VpcEndpoint],
) -> Option<&'a str> {
    let table_id = table.route_table_id()?;
    endpoints
        .iter()
        .filter(|e| {
            e.service_name() == Some(service)
                && e.vpc_endpoint_type()
                    .is_none_or(|t| t.as_str().eq_ignore_ascii_case("gateway"))
                && e.state()
                    .is_some_and(|s| s.as_str().eq_ignore_ascii_case("available"))
        })
        .find(|e| {
            e.route_table_ids().iter().any(|t| t == table_id)
                || table.routes().iter().any(|r| {
                    active(r)
                        && r.destination_prefix_list_id().is_some()
                        && r.gateway_id().is_some()
                        && r.gateway_id() == e.vpc_endpoint_id()
                })
        })
        .and_then(|e| e.vpc_endpoint_id())
}

fn active(route: &aws_sdk_ec2::types::Route) -> bool {
    route.state().is_none_or(|s| *s != RouteState::Blackhole)
}

/// Where a table's default route (0.0.0.0/0) leads: the id of its target, if it has one.
fn default_route(table: &RouteTable) -> Option<&str> {
    let route = table
        .routes()
        .iter()
        .find(|r| active(r) && r.destination_cidr_block() == Some(ANYWHERE))?;
    route
        .nat_gateway_id()
        .or(route.gateway_id())
        .or(route.transit_gateway_id())
        .or(route.vpc_peering_connection_id())
        .or(route.network_interface_id())
        .or(route.instance_id())
        .or(route.egress_only_internet_gateway_id())
        .or(route.local_gateway_id())
        .or(route.carrier_gateway_id())
        .or(route.core_network_arn())
}

/// The verdict of `check_s3_routes`: per subnet its route table, the S3 gateway endpoint
/// serving it, its default route, and whether it reaches S3: through the endpoint, or a
/// default route through a NAT gateway (a private resource) or an internet gateway (a
/// publicly accessible one). `Summary` has one line per subnet, `✓` or `✗` first.
pub fn s3_routes_json(
    vpc: &str,
    service: &str,
    subnets: &[String],
    public: bool,
    tables: &[RouteTable],
    endpoints: &[VpcEndpoint],
) -> Value {
    let wanted_gateway = if public { "igw-" } else { "nat-" };
    let mut rows = Vec::new();
    let mut summary = Vec::new();
    let mut unrouted = Vec::new();
    let mut unrouted_tables = BTreeSet::new();
    for subnet in subnets {
        let found = table_of(tables, subnet);
        let table_id = found.and_then(|(t, _)| t.route_table_id());
        let endpoint = found.and_then(|(t, _)| s3_endpoint(t, service, endpoints));
        let default = found.and_then(|(t, _)| default_route(t));
        let routed = endpoint.is_some() || default.is_some_and(|d| d.starts_with(wanted_gateway));
        let mut line = format!("{} {subnet}", if routed { "✓" } else { "✗" });
        if let Some((_, main)) = found {
            line.push_str(&format!(" → {}", table_id.unwrap_or("?")));
            if main {
                line.push_str(" (main)");
            }
        }
        match (endpoint, default) {
            (Some(e), _) => line.push_str(&format!(" → {e} (S3)")),
            (None, Some(d)) => line.push_str(&format!(" → {ANYWHERE} → {d}")),
            (None, None) => {}
        }
        summary.push(line);
        if !routed {
            unrouted.push(subnet.clone());
            if let Some(t) = table_id {
                unrouted_tables.insert(t.to_owned());
            }
        }
        rows.push(json!({
            "SubnetId": subnet,
            "RouteTableId": table_id,
            "MainTable": found.is_some_and(|(_, main)| main),
            "S3Endpoint": endpoint,
            "DefaultRoute": default,
            "Routed": routed,
        }));
    }
    json!({
        "VpcId": vpc,
        "S3ServiceName": service,
        "PubliclyAccessible": public,
        "Subnets": rows,
        "AllRouted": unrouted.is_empty(),
        "Unrouted": unrouted,
        "UnroutedTables": unrouted_tables.into_iter().collect::<Vec<_>>(),
        "Summary": summary.join("\n"),
    })
}
