//! An in-memory AWS double for engine tests: Redshift clusters that go through `modifying`
//! for a set number of describes, the network they sit in (VPC DNS, routes to S3) as EC2
//! shows it, and a Security Hub that records every update.

use async_trait::async_trait;
use hubfix::actions::ActionSpec;
use hubfix::actions::Api;
use hubfix::aws::{ApiError, ApiErrorKind};
use hubfix::findings::{Finding, FindingRef, SecurityHub, Unprocessed, UserFields, WorkflowStatus};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone)]
pub struct Cluster {
    pub status: String,
    pub evr: bool,
    pub pending_evr: Option<bool>,
    /// Describes left before a pending change applies; `usize::MAX` never applies it.
    pub polls_left: usize,
}

/// The calls a double received, in order: (operation, parameters).
#[derive(Default)]
pub struct CallLog(Mutex<Vec<(String, Value)>>);

impl CallLog {
    pub fn record(&self, operation: &str, params: Value) {
        self.0.lock().unwrap().push((operation.to_owned(), params));
    }

    pub fn operations(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(o, _)| o.clone())
            .collect()
    }

    pub fn count(&self, operation: &str) -> usize {
        self.operations().iter().filter(|o| *o == operation).count()
    }
}

/// What every double answers about the calls it received.
pub trait Recorded {
    fn calls(&self) -> &CallLog;

    fn operations(&self) -> Vec<String> {
        self.calls().operations()
    }

    fn count(&self, operation: &str) -> usize {
        self.calls().count(operation)
    }
}

impl Recorded for FakeAws {
    fn calls(&self) -> &CallLog {
        &self.calls
    }
}

/// The VPC every cluster of the double is in, as EC2 answers for it: one subnet, using the
/// VPC's main route table.
#[derive(Debug, Clone)]
pub struct Network {
    pub dns_support: bool,
    pub dns_hostnames: bool,
    /// A gateway VPC endpoint for S3 serves the route table.
    pub s3_endpoint: bool,
    /// The target of the table's 0.0.0.0/0 route (`nat-…`, `igw-…`), if it has one.
    pub default_route: Option<String>,
    /// The CloudFormation stack the clusters are tagged with.
    pub stack: Option<String>,
}

impl Default for Network {
    /// Every prerequisite of enhanced VPC routing met.
    fn default() -> Self {
        Network {
            dns_support: true,
            dns_hostnames: true,
            s3_endpoint: true,
            default_route: None,
            stack: None,
        }
    }
}

pub const VPC: &str = "vpc-0abc";
pub const SUBNET: &str = "subnet-0a1";
pub const TABLE: &str = "rtb-0main";
pub const S3_ENDPOINT: &str = "vpce-0s3";

#[derive(Default)]
pub struct FakeAws {
    pub clusters: Mutex<HashMap<String, Cluster>>,
    pub network: Mutex<Network>,
    pub calls: CallLog,
    /// Describes a modification stays `modifying` for.
    pub modify_polls: usize,
    pub deny: Mutex<Vec<String>>,
}

impl FakeAws {
    pub fn with_cluster(name: &str, evr: bool) -> Self {
        let aws = FakeAws {
            modify_polls: 3,
            ..Default::default()
        };
        aws.clusters.lock().unwrap().insert(
            name.into(),
            Cluster {
                status: "available".into(),
                evr,
                pending_evr: None,
                polls_left: 0,
            },
        );
        aws
    }

    pub fn cluster(&self, name: &str) -> Cluster {
        self.clusters.lock().unwrap()[name].clone()
    }

    /// Changes the network the clusters are in.
    pub fn set_network(&self, change: impl FnOnce(&mut Network)) {
        change(&mut self.network.lock().unwrap());
    }

    /// The verdict of `ec2.check_s3_routes`, through the adapter's own evaluation of the
    /// route table and endpoints EC2 would answer.
    fn routes(&self, params: &Map<String, Value>) -> Value {
        use aws_sdk_ec2::types::{Route, RouteTable, RouteTableAssociation, VpcEndpoint};
        let net = self.network.lock().unwrap().clone();
        let service = hubfix::actions::ec2::s3_service_name("ap-northeast-1");
        let mut table = RouteTable::builder()
            .route_table_id(TABLE)
            .vpc_id(VPC)
            .associations(RouteTableAssociation::builder().main(true).build())
            .routes(
                Route::builder()
                    .destination_cidr_block("10.0.0.0/16")
                    .gateway_id("local")
                    .build(),
            );
        if let Some(target) = &net.default_route {
            let route = Route::builder().destination_cidr_block("0.0.0.0/0");
            let route = if target.starts_with("nat-") {
                route.nat_gateway_id(target)
            } else {
                route.gateway_id(target)
            };
            table = table.routes(route.build());
        }
        let endpoints: Vec<VpcEndpoint> = net
            .s3_endpoint
            .then(|| {
                VpcEndpoint::builder()
                    .vpc_endpoint_id(S3_ENDPOINT)
                    .vpc_id(VPC)
                    .service_name(&service)
                    .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::Gateway)
                    .state(aws_sdk_ec2::types::State::from("available"))
                    .route_table_ids(TABLE)
                    .build()
            })
            .into_iter()
            .collect();
        let subnets: Vec<String> = params["SubnetIds"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        hubfix::actions::ec2::s3_routes_json(
            params["VpcId"].as_str().unwrap_or_default(),
            &service,
            &subnets,
            params["PubliclyAccessible"].as_bool().unwrap_or(false),
            &[table.build()],
            &endpoints,
        )
    }

    fn describe(&self, name: &str) -> Result<Value, ApiError> {
        let mut clusters = self.clusters.lock().unwrap();
        let c = clusters.get_mut(name).ok_or_else(|| {
            ApiError::new(
                ApiErrorKind::NotFound,
                "redshift:DescribeClusters",
                "ClusterNotFound",
                format!("Cluster {name} not found."),
            )
        })?;
        if let Some(pending) = c.pending_evr {
            if c.polls_left == 0 {
                c.evr = pending;
                c.pending_evr = None;
                c.status = "available".into();
            } else if c.polls_left != usize::MAX {
                c.polls_left -= 1;
            }
        }
        // The SDK's cluster, answered through the adapter's own conversion.
        let cluster = aws_sdk_redshift::types::Cluster::builder()
            .cluster_identifier(name)
            .cluster_status(&c.status)
            .enhanced_vpc_routing(c.evr)
            .vpc_id(VPC)
            .cluster_subnet_group_name("c-subnets")
            .set_tags(self.network.lock().unwrap().stack.as_ref().map(|stack| {
                vec![
                    aws_sdk_redshift::types::Tag::builder()
                        .key("aws:cloudformation:stack-name")
                        .value(stack)
                        .build(),
                ]
            }))
            .node_type("ra3.xlplus")
            .number_of_nodes(2)
            .publicly_accessible(false)
            .set_pending_modified_values(c.pending_evr.map(|p| {
                aws_sdk_redshift::types::PendingModifiedValues::builder()
                    .enhanced_vpc_routing(p)
                    .build()
            }))
            .build();
        Ok(hubfix::actions::redshift::cluster_json(&cluster))
    }
}

#[async_trait]
impl Api for FakeAws {
    /// A double never sees a change it did not answer: it is sent.
    async fn settle(
        &self,
        _action: &'static hubfix::actions::ActionSpec,
        _region: Option<&str>,
        _params: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Option<serde_json::Value>, hubfix::aws::ApiError> {
        Ok(None)
    }

    async fn call(
        &self,
        action: &'static ActionSpec,
        _region: Option<&str>,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        self.calls
            .record(action.operation, Value::Object(params.clone()));
        if self
            .deny
            .lock()
            .unwrap()
            .iter()
            .any(|d| d == action.operation)
        {
            return Err(ApiError::new(
                ApiErrorKind::AccessDenied,
                action.operation,
                "AccessDenied",
                format!(
                    "User: arn:aws:iam::123456789012:user/test is not authorized to perform: {}",
                    action.operation
                ),
            ));
        }
        let name = params
            .get("ClusterIdentifier")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        match action.name {
            "redshift.describe_cluster" => self.describe(&name),
            "redshift.describe_cluster_subnet_group" => {
                let group = aws_sdk_redshift::types::ClusterSubnetGroup::builder()
                    .cluster_subnet_group_name("c-subnets")
                    .vpc_id(VPC)
                    .subnet_group_status("Complete")
                    .subnets(
                        aws_sdk_redshift::types::Subnet::builder()
                            .subnet_identifier(SUBNET)
                            .build(),
                    )
                    .build();
                Ok(hubfix::actions::redshift::subnet_group_json(&group))
            }
            "ec2.describe_vpc_dns" => {
                let net = self.network.lock().unwrap();
                Ok(hubfix::actions::ec2::vpc_dns_json(
                    params["VpcId"].as_str().unwrap_or_default(),
                    Some(net.dns_support),
                    Some(net.dns_hostnames),
                ))
            }
            "ec2.check_s3_routes" => Ok(self.routes(params)),
            "redshift.modify_cluster" => {
                {
                    let mut clusters = self.clusters.lock().unwrap();
                    let c = clusters
                        .get_mut(&name)
                        .ok_or_else(|| ApiError::not_found(action.operation, "no cluster"))?;
                    if c.status != "available" {
                        return Err(ApiError::new(
                            ApiErrorKind::InvalidState,
                            action.operation,
                            "InvalidClusterState",
                            "busy",
                        ));
                    }
                    c.status = "modifying".into();
                    c.pending_evr = params["EnhancedVpcRouting"].as_bool();
                    c.polls_left = self.modify_polls;
                }
                let mut out = self.describe(&name)?;
                out["ClusterStatus"] = json!("modifying");
                Ok(out)
            }
            other => panic!("the double has no {other}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Update {
    pub findings: Vec<FindingRef>,
    pub status: WorkflowStatus,
    pub note: String,
    pub updated_by: String,
    /// The whole `UserDefinedFields` map sent, if any (it replaces the finding's).
    pub fields: Option<UserFields>,
}

#[derive(Default)]
pub struct FakeHub {
    pub findings: Vec<Finding>,
    pub updates: Mutex<Vec<Update>>,
    /// Unprocessed answers to give, one list per call, before answering normally.
    pub unprocessed: Mutex<Vec<Vec<Unprocessed>>>,
}

pub fn finding(control: &str, resource: &str) -> Finding {
    Finding {
        id: format!(
            "arn:aws:securityhub:ap-northeast-1:123456789012:security-control/{control}/finding/{resource}"
        ),
        product_arn: "arn:aws:securityhub:ap-northeast-1::product/aws/securityhub".into(),
        control: control.into(),
        title: "title".into(),
        severity: "MEDIUM".into(),
        resource_type: "AwsRedshiftCluster".into(),
        resource_id: format!("arn:aws:redshift:ap-northeast-1:123456789012:cluster:{resource}"),
        resource_name: None,
        region: "ap-northeast-1".into(),
        account: "123456789012".into(),
        workflow_status: "NEW".into(),
        compliance_status: Some("FAILED".into()),
        record_state: Some("ACTIVE".into()),
        note: None,
        created_at: Some("2026-11-01T00:00:00Z".into()),
        updated_at: None,
        user_defined_fields: UserFields::new(),
    }
}

impl FakeHub {
    /// The workflow statuses set, in order.
    pub fn statuses(&self) -> Vec<WorkflowStatus> {
        self.updates
            .lock()
            .unwrap()
            .iter()
            .map(|u| u.status)
            .collect()
    }

    /// The last update (the one that says how the run ended for the finding).
    pub fn last_update(&self) -> Update {
        self.updates
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("an update")
    }
}

#[async_trait]
impl SecurityHub for FakeHub {
    async fn failed_findings(&self, controls: &[String]) -> Result<Vec<Finding>, ApiError> {
        Ok(self
            .findings
            .iter()
            .filter(|f| controls.contains(&f.control))
            .cloned()
            .collect())
    }

    /// The findings as the updates so far left them.
    async fn findings_by_id(&self, ids: &[String]) -> Result<Vec<Finding>, ApiError> {
        let updates = self.updates.lock().unwrap();
        Ok(self
            .findings
            .iter()
            .filter(|f| ids.contains(&f.id))
            .map(|f| {
                let mut f = f.clone();
                for u in updates
                    .iter()
                    .filter(|u| u.findings.iter().any(|r| r.id == f.id))
                {
                    f.workflow_status = u.status.as_str().to_owned();
                    f.note = Some(u.note.clone());
                    if let Some(fields) = &u.fields {
                        f.user_defined_fields = fields.clone();
                    }
                }
                f
            })
            .collect())
    }

    /// The findings as the updates left them: SUPPRESSED ones whose field holds the text.
    async fn suppressed_findings(
        &self,
        field: &str,
        contains: &str,
    ) -> Result<Vec<Finding>, ApiError> {
        let ids: Vec<String> = self.findings.iter().map(|f| f.id.clone()).collect();
        Ok(self
            .findings_by_id(&ids)
            .await?
            .into_iter()
            .filter(|f| f.workflow_status == "SUPPRESSED")
            .filter(|f| {
                f.user_defined_fields
                    .get(field)
                    .is_some_and(|v| v.contains(contains))
            })
            .collect())
    }

    async fn batch_update(
        &self,
        findings: &[FindingRef],
        status: WorkflowStatus,
        note: &str,
        updated_by: &str,
        fields: Option<&UserFields>,
    ) -> Result<Vec<Unprocessed>, ApiError> {
        assert!(
            findings.len() <= 100,
            "a batch of {} findings",
            findings.len()
        );
        self.updates.lock().unwrap().push(Update {
            findings: findings.to_vec(),
            status,
            note: note.into(),
            updated_by: updated_by.into(),
            fields: fields.cloned(),
        });
        let mut scripted = self.unprocessed.lock().unwrap();
        Ok(if scripted.is_empty() {
            Vec::new()
        } else {
            scripted.remove(0)
        })
    }
}
