//! An in-memory AWS double for engine tests: Redshift clusters that go through `modifying`
//! for a set number of describes, and a Security Hub that records every update.

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

#[derive(Default)]
pub struct FakeAws {
    pub clusters: Mutex<HashMap<String, Cluster>>,
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
            .vpc_id("vpc-0abc")
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
        let name = params["ClusterIdentifier"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match action.name {
            "redshift.describe_cluster" => self.describe(&name),
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
