//! The EC2 adapters against aws-smithy-mocks: the prerequisites of enhanced VPC routing as
//! EC2 answers them (VPC DNS attributes, route tables, S3 gateway endpoints) become the
//! verdict the Redshift.7 runbook reads, the requests are exactly the ones expected, and
//! EC2's errors (its own query protocol, `Response/Errors/Error`) are sorted.

use crate::sdk_adapters::{Seen, params};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::Region;
use aws_sdk_ec2::operation::describe_route_tables::{
    DescribeRouteTablesInput, DescribeRouteTablesOutput,
};
use aws_sdk_ec2::operation::describe_vpc_attribute::{
    DescribeVpcAttributeInput, DescribeVpcAttributeOutput,
};
use aws_sdk_ec2::operation::describe_vpc_endpoints::{
    DescribeVpcEndpointsInput, DescribeVpcEndpointsOutput,
};
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, Route, RouteState, RouteTable, RouteTableAssociation,
    RouteTableAssociationState, RouteTableAssociationStateCode, State, VpcAttributeName,
    VpcEndpoint, VpcEndpointType,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use hubfix::actions::{ActionSpec, Handler, Params, ec2};
use hubfix::aws::{ApiError, ApiErrorKind};
use serde_json::{Value, json};

const VPC: &str = "vpc-0abc";
const S3: &str = "com.amazonaws.ap-northeast-1.s3";

/// An error answer as EC2's query protocol sends it.
fn ec2_error(status: u16, code: &str, message: &str) -> aws_smithy_runtime_api::http::Response {
    aws_smithy_runtime_api::http::Response::new(
        aws_smithy_runtime_api::http::StatusCode::try_from(status).unwrap(),
        aws_smithy_types::body::SdkBody::from(format!(
            "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>1</RequestID></Response>"
        )),
    )
}

/// A client in ap-northeast-1 answering with these rules.
macro_rules! client {
    ($mode:expr, $rules:expr) => {
        mock_client!(aws_sdk_ec2, $mode, $rules, |c| c
            .region(Region::new("ap-northeast-1")))
    };
}

/// Runs a call through its catalog handler, as the engine does.
async fn call(client: &Client, spec: &'static ActionSpec, p: Value) -> Result<Value, ApiError> {
    let p = params(p);
    match &spec.handler {
        Handler::Ec2(f) => f(client, Params::new(spec, &p)).await,
        other => panic!("{} is not an EC2 call: {other:?}", spec.name),
    }
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

#[tokio::test]
async fn describe_vpc_dns_asks_for_each_attribute_of_the_vpc() {
    let seen = Seen::new();
    let keep = seen.keep();
    // The first rule is asked about every request: it keeps them all.
    let support = mock!(Client::describe_vpc_attribute)
        .match_requests(move |r| {
            keep(r);
            r.attribute() == Some(&VpcAttributeName::EnableDnsSupport)
        })
        .then_output(|| {
            DescribeVpcAttributeOutput::builder()
                .vpc_id(VPC)
                .enable_dns_support(AttributeBooleanValue::builder().value(true).build())
                .build()
        });
    let hostnames = mock!(Client::describe_vpc_attribute)
        .match_requests(|r| r.attribute() == Some(&VpcAttributeName::EnableDnsHostnames))
        .then_output(|| {
            DescribeVpcAttributeOutput::builder()
                .vpc_id(VPC)
                .enable_dns_hostnames(AttributeBooleanValue::builder().value(false).build())
                .build()
        });
    let client = client!(RuleMode::MatchAny, [&support, &hostnames]);
    let out = call(&client, &ec2::DESCRIBE_VPC_DNS, json!({"VpcId": VPC}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"VpcId": VPC, "EnableDnsSupport": true, "EnableDnsHostnames": false})
    );
    assert_eq!((support.num_calls(), hostnames.num_calls()), (1, 1));
    let wanted = |a: VpcAttributeName| {
        DescribeVpcAttributeInput::builder()
            .vpc_id(VPC)
            .attribute(a)
            .build()
            .unwrap()
    };
    assert_eq!(
        seen.all(),
        [
            wanted(VpcAttributeName::EnableDnsSupport),
            wanted(VpcAttributeName::EnableDnsHostnames)
        ]
    );
}

#[tokio::test]
async fn an_attribute_ec2_does_not_report_reads_as_off() {
    let rule = mock!(Client::describe_vpc_attribute)
        .then_output(|| DescribeVpcAttributeOutput::builder().vpc_id(VPC).build());
    let client = client!(RuleMode::MatchAny, [&rule]);
    let out = call(&client, &ec2::DESCRIBE_VPC_DNS, json!({"VpcId": VPC}))
        .await
        .unwrap();
    assert_eq!(out["EnableDnsSupport"], false);
    assert_eq!(out["EnableDnsHostnames"], false);
}

fn associated(subnet: Option<&str>, main: bool) -> RouteTableAssociation {
    RouteTableAssociation::builder()
        .set_subnet_id(subnet.map(str::to_owned))
        .main(main)
        .association_state(
            RouteTableAssociationState::builder()
                .state(RouteTableAssociationStateCode::Associated)
                .build(),
        )
        .build()
}

fn route(cidr: &str) -> aws_sdk_ec2::types::builders::RouteBuilder {
    Route::builder()
        .destination_cidr_block(cidr)
        .state(RouteState::Active)
}

fn local() -> Route {
    route("10.0.0.0/16").gateway_id("local").build()
}

fn endpoint(id: &str, state: &str, tables: &[&str]) -> VpcEndpoint {
    VpcEndpoint::builder()
        .vpc_endpoint_id(id)
        .vpc_id(VPC)
        .service_name(S3)
        .vpc_endpoint_type(VpcEndpointType::Gateway)
        .state(State::from(state))
        .set_route_table_ids(Some(tables.iter().map(|t| t.to_string()).collect()))
        .build()
}

/// The VPC of the tests below:
/// - `rtb-main` (main): an S3 gateway endpoint lists it;
/// - `rtb-nat`, explicit for `subnet-nat`: 0.0.0.0/0 through a NAT gateway;
/// - `rtb-igw`, explicit for `subnet-igw`: 0.0.0.0/0 through an internet gateway;
/// - `rtb-pl`, explicit for `subnet-pl`: the S3 prefix list through `vpce-route`, an endpoint
///   that does not list the table;
/// - `rtb-dead`, explicit for `subnet-dead`: a NAT route gone blackhole, and an endpoint
///   still pending that lists it;
/// - `rtb-gone`: once explicit for `subnet-main`, now disassociated (the subnet uses the
///   main table).
fn tables() -> Vec<RouteTable> {
    let explicit = |id: &str, subnet: &str, extra: Vec<Route>| {
        let mut t = RouteTable::builder()
            .route_table_id(id)
            .vpc_id(VPC)
            .associations(associated(Some(subnet), false))
            .routes(local());
        for r in extra {
            t = t.routes(r);
        }
        t.build()
    };
    vec![
        RouteTable::builder()
            .route_table_id("rtb-main")
            .vpc_id(VPC)
            .associations(associated(None, true))
            .routes(local())
            .build(),
        explicit(
            "rtb-nat",
            "subnet-nat",
            vec![route("0.0.0.0/0").nat_gateway_id("nat-1").build()],
        ),
        explicit(
            "rtb-igw",
            "subnet-igw",
            vec![route("0.0.0.0/0").gateway_id("igw-1").build()],
        ),
        explicit(
            "rtb-pl",
            "subnet-pl",
            vec![
                Route::builder()
                    .destination_prefix_list_id("pl-61a54008")
                    .gateway_id("vpce-route")
                    .state(RouteState::Active)
                    .build(),
            ],
        ),
        explicit(
            "rtb-dead",
            "subnet-dead",
            vec![
                route("0.0.0.0/0")
                    .nat_gateway_id("nat-gone")
                    .state(RouteState::Blackhole)
                    .build(),
            ],
        ),
        RouteTable::builder()
            .route_table_id("rtb-gone")
            .vpc_id(VPC)
            .associations(
                RouteTableAssociation::builder()
                    .subnet_id("subnet-main")
                    .main(false)
                    .association_state(
                        RouteTableAssociationState::builder()
                            .state(RouteTableAssociationStateCode::Disassociated)
                            .build(),
                    )
                    .build(),
            )
            .routes(route("0.0.0.0/0").nat_gateway_id("nat-1").build())
            .build(),
    ]
}

fn endpoints() -> Vec<VpcEndpoint> {
    vec![
        endpoint("vpce-main", "available", &["rtb-main"]),
        endpoint("vpce-route", "Available", &[]),
        endpoint("vpce-pending", "pending", &["rtb-dead"]),
    ]
}

const SUBNETS: [&str; 5] = [
    "subnet-main",
    "subnet-nat",
    "subnet-igw",
    "subnet-pl",
    "subnet-dead",
];

/// Runs `check_s3_routes` over [`tables`] and [`endpoints`]; the requests sent come back too.
async fn check_routes(
    public: bool,
) -> (
    Value,
    Vec<DescribeRouteTablesInput>,
    Vec<DescribeVpcEndpointsInput>,
) {
    let tables_seen = Seen::new();
    let endpoints_seen = Seen::new();
    let route_tables = mock!(Client::describe_route_tables)
        .match_requests(tables_seen.keep())
        .then_output(|| {
            DescribeRouteTablesOutput::builder()
                .set_route_tables(Some(tables()))
                .build()
        });
    let vpc_endpoints = mock!(Client::describe_vpc_endpoints)
        .match_requests(endpoints_seen.keep())
        .then_output(|| {
            DescribeVpcEndpointsOutput::builder()
                .set_vpc_endpoints(Some(endpoints()))
                .build()
        });
    let client = client!(RuleMode::MatchAny, [&route_tables, &vpc_endpoints]);
    let out = call(
        &client,
        &ec2::CHECK_S3_ROUTES,
        json!({"VpcId": VPC, "SubnetIds": SUBNETS, "PubliclyAccessible": public}),
    )
    .await
    .unwrap();
    (out, tables_seen.all(), endpoints_seen.all())
}

#[tokio::test]
async fn check_s3_routes_reads_the_vpc_once_and_judges_each_subnet() {
    let (out, tables_sent, endpoints_sent) = check_routes(false).await;
    assert_eq!(
        tables_sent,
        [DescribeRouteTablesInput::builder()
            .filters(filter("vpc-id", VPC))
            .build()
            .unwrap()]
    );
    assert_eq!(
        endpoints_sent,
        [DescribeVpcEndpointsInput::builder()
            .filters(filter("vpc-id", VPC))
            .filters(filter("service-name", S3))
            .filters(filter("vpc-endpoint-type", "Gateway"))
            .build()
            .unwrap()]
    );
    assert_eq!(
        out,
        json!({
            "VpcId": VPC,
            "S3ServiceName": S3,
            "PubliclyAccessible": false,
            "Subnets": [
                {"SubnetId": "subnet-main", "RouteTableId": "rtb-main", "MainTable": true,
                 "S3Endpoint": "vpce-main", "DefaultRoute": null, "Routed": true},
                {"SubnetId": "subnet-nat", "RouteTableId": "rtb-nat", "MainTable": false,
                 "S3Endpoint": null, "DefaultRoute": "nat-1", "Routed": true},
                {"SubnetId": "subnet-igw", "RouteTableId": "rtb-igw", "MainTable": false,
                 "S3Endpoint": null, "DefaultRoute": "igw-1", "Routed": false},
                {"SubnetId": "subnet-pl", "RouteTableId": "rtb-pl", "MainTable": false,
                 "S3Endpoint": "vpce-route", "DefaultRoute": null, "Routed": true},
                {"SubnetId": "subnet-dead", "RouteTableId": "rtb-dead", "MainTable": false,
                 "S3Endpoint": null, "DefaultRoute": null, "Routed": false},
            ],
            "AllRouted": false,
            "Unrouted": ["subnet-igw", "subnet-dead"],
            "UnroutedTables": ["rtb-dead", "rtb-igw"],
            "Summary": "✓ subnet-main → rtb-main (main) → vpce-main (S3)\n\
                        ✓ subnet-nat → rtb-nat → 0.0.0.0/0 → nat-1\n\
                        ✗ subnet-igw → rtb-igw → 0.0.0.0/0 → igw-1\n\
                        ✓ subnet-pl → rtb-pl → vpce-route (S3)\n\
                        ✗ subnet-dead → rtb-dead",
        })
    );
}

#[tokio::test]
async fn a_publicly_accessible_cluster_needs_the_internet_gateway_not_a_nat() {
    let (out, _, _) = check_routes(true).await;
    let routed: Vec<(&str, bool)> = out["Subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["SubnetId"].as_str().unwrap(),
                s["Routed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        routed,
        [
            ("subnet-main", true),
            ("subnet-nat", false),
            ("subnet-igw", true),
            ("subnet-pl", true),
            ("subnet-dead", false),
        ]
    );
    assert_eq!(out["Unrouted"], json!(["subnet-nat", "subnet-dead"]));
}

#[test]
fn the_s3_endpoint_is_the_regions_own() {
    assert_eq!(
        ec2::s3_service_name("eu-west-1"),
        "com.amazonaws.eu-west-1.s3"
    );
    assert_eq!(
        ec2::s3_service_name("cn-north-1"),
        "cn.com.amazonaws.cn-north-1.s3"
    );
    // An endpoint of another region's S3 does not serve this one.
    let table = RouteTable::builder()
        .route_table_id("rtb-main")
        .associations(associated(None, true))
        .build();
    let elsewhere = VpcEndpoint::builder()
        .vpc_endpoint_id("vpce-eu")
        .service_name("com.amazonaws.eu-west-1.s3")
        .state(State::from("available"))
        .route_table_ids("rtb-main")
        .build();
    let out = ec2::s3_routes_json(VPC, S3, &["subnet-a".into()], false, &[table], &[elsewhere]);
    assert_eq!(out["AllRouted"], false);
    assert_eq!(out["Summary"], "✗ subnet-a → rtb-main (main)");
    // A subnet with no table at all (no main one either) reaches nothing.
    let out = ec2::s3_routes_json(VPC, S3, &["subnet-a".into()], false, &[], &[]);
    assert_eq!(out["Subnets"][0]["RouteTableId"], Value::Null);
    assert_eq!(out["UnroutedTables"], json!([]));
    assert_eq!(out["Summary"], "✗ subnet-a");
}

#[tokio::test]
async fn no_subnet_is_refused_before_sending() {
    let rule = mock!(Client::describe_route_tables)
        .then_output(|| DescribeRouteTablesOutput::builder().build());
    let client = client!(RuleMode::MatchAny, [&rule]);
    for subnets in [json!([]), Value::Null] {
        let err = call(
            &client,
            &ec2::CHECK_S3_ROUTES,
            json!({"VpcId": VPC, "SubnetIds": subnets}),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::Invalid);
        assert!(err.message.contains("`SubnetIds`"), "{err}");
    }
    assert_eq!(rule.num_calls(), 0);
}

/// Every EC2 call of the catalog, with parameters it accepts.
fn every_ec2_call() -> Vec<(&'static ActionSpec, Value)> {
    vec![
        (&ec2::DESCRIBE_VPC_DNS, json!({"VpcId": VPC})),
        (
            &ec2::CHECK_S3_ROUTES,
            json!({"VpcId": VPC, "SubnetIds": ["subnet-a"]}),
        ),
    ]
}

#[test]
fn the_error_table_covers_every_ec2_call() {
    let mut tested: Vec<&str> = every_ec2_call().iter().map(|(s, _)| s.name).collect();
    let mut catalog: Vec<&str> = hubfix::actions::ALL
        .iter()
        .filter(|a| matches!(a.handler, Handler::Ec2(_)))
        .map(|a| a.name)
        .collect();
    tested.sort_unstable();
    catalog.sort_unstable();
    assert_eq!(tested, catalog);
}

#[tokio::test]
async fn every_ec2_call_sorts_its_errors_by_code() {
    for (status, code, kind) in [
        (403, "UnauthorizedOperation", ApiErrorKind::AccessDenied),
        (400, "InvalidVpcID.NotFound", ApiErrorKind::NotFound),
        (400, "InvalidParameterValue", ApiErrorKind::Invalid),
    ] {
        let answer = move || ec2_error(status, code, "refused");
        let rules = [
            mock!(Client::describe_vpc_attribute).then_http_response(answer),
            mock!(Client::describe_route_tables).then_http_response(answer),
            mock!(Client::describe_vpc_endpoints).then_http_response(answer),
        ];
        let client = client!(RuleMode::MatchAny, &rules);
        for (spec, p) in every_ec2_call() {
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

/// The endpoints are read after the route tables: a refusal there names its own permission.
#[tokio::test]
async fn a_refused_endpoint_read_names_its_own_permission() {
    let route_tables = mock!(Client::describe_route_tables)
        .then_output(|| DescribeRouteTablesOutput::builder().build());
    let vpc_endpoints = mock!(Client::describe_vpc_endpoints)
        .then_http_response(|| ec2_error(403, "UnauthorizedOperation", "refused"));
    let client = client!(RuleMode::MatchAny, [&route_tables, &vpc_endpoints]);
    let err = call(
        &client,
        &ec2::CHECK_S3_ROUTES,
        json!({"VpcId": VPC, "SubnetIds": ["subnet-a"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::AccessDenied);
    assert_eq!(err.operation, ec2::DESCRIBE_VPC_ENDPOINTS);
    assert!(
        err.to_string()
            .contains("grant the IAM permission `ec2:DescribeVpcEndpoints`"),
        "{err}"
    );
}
