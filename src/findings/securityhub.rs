//! The Security Hub operations through the SDK: GetFindings with the control filters and
//! paging of aws-facts.md; reads by id and BatchUpdateFindings coalesced across the runs of
//! a session (`batched_reads`, `batched_writes`).

use super::batched_reads::ReadBatcher;
use super::batched_writes::{UpdateParams, WriteBatcher};
use super::{
    Finding, FindingRef, SecurityHub, Unprocessed, UserFields, WorkflowStatus, control_of,
};
use crate::aws::{ApiError, Clients, RateLimiter};
use async_trait::async_trait;
use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, AwsSecurityFindingIdentifier, MapFilter,
    MapFilterComparison, NoteUpdate, Resource, StringFilter, StringFilterComparison,
    WorkflowUpdate,
};
use std::sync::Arc;
use tokio::sync::OnceCell;

pub struct SdkSecurityHub {
    clients: Option<Arc<Clients>>,
    client: OnceCell<Client>,
    /// Security Hub's published rates: GetFindings 3/s (burst 6), BatchUpdateFindings 10/s
    /// (burst 30); a fleet of runs stays under them instead of being throttled.
    get_findings: RateLimiter,
    batch_update: RateLimiter,
    reads: ReadBatcher,
    writes: WriteBatcher,
}

fn limits() -> (RateLimiter, RateLimiter) {
    (RateLimiter::new(3.0, 6), RateLimiter::new(10.0, 30))
}

impl SdkSecurityHub {
    /// Builds its client from the shared configuration on first use.
    pub fn new(clients: Arc<Clients>) -> Self {
        let (get_findings, batch_update) = limits();
        SdkSecurityHub {
            clients: Some(clients),
            client: OnceCell::new(),
            get_findings,
            batch_update,
            reads: ReadBatcher::default(),
            writes: WriteBatcher::default(),
        }
    }

    /// Uses a ready client (tests pass a mocked one).
    pub fn from_client(client: Client) -> Self {
        let (get_findings, batch_update) = limits();
        SdkSecurityHub {
            clients: None,
            client: OnceCell::new_with(Some(client)),
            get_findings,
            batch_update,
            reads: ReadBatcher::default(),
            writes: WriteBatcher::default(),
        }
    }

    async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| async {
                let clients = self
                    .clients
                    .as_ref()
                    .expect("a client or the clients to build it");
                clients.securityhub(None).await
            })
            .await
    }

    async fn get_all(&self, filters: AwsSecurityFindingFilters) -> Result<Vec<Finding>, ApiError> {
        let client = self.client().await;
        let mut found = Vec::new();
        let mut next_token: Option<String> = None;
        // Page by page, a token from the rate limit for each request sent: the SDK's
        // paginator would need one more turn to say there is no next page.
        loop {
            self.get_findings.acquire().await;
            let sent = next_token.take();
            let page = client
                .get_findings()
                .filters(filters.clone())
                .max_results(100)
                .set_next_token(sent.clone())
                .send()
                .await
                .map_err(|e| ApiError::from_sdk("securityhub:GetFindings", e))?;
            found.extend(page.findings().iter().map(to_finding));
            // A token given twice would never end (the SDK's paginator stops there too).
            match page.next_token() {
                Some(token) if !token.is_empty() && Some(token) != sent.as_deref() => {
                    next_token = Some(token.to_owned());
                }
                _ => return Ok(found),
            }
        }
    }
}

fn eq(value: &str) -> StringFilter {
    StringFilter::builder()
        .value(value)
        .comparison(StringFilterComparison::Equals)
        .build()
}

/// The identifier of a resource whose ARN ends in an internal id (DMS instances, endpoints
/// and tasks), from the details Security Hub keeps with the finding.
fn identifier_in_details(resource: &Resource) -> Option<String> {
    let details = resource.details()?;
    details
        .aws_dms_replication_instance()
        .and_then(|i| i.replication_instance_identifier())
        .or_else(|| {
            details
                .aws_dms_endpoint()
                .and_then(|e| e.endpoint_identifier())
        })
        .or_else(|| {
            details
                .aws_dms_replication_task()
                .and_then(|t| t.replication_task_identifier())
        })
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

fn to_finding(f: &AwsSecurityFinding) -> Finding {
    let resource = f.resources().first();
    let fields = f.product_fields();
    let legacy_control = fields
        .and_then(|m| m.get("StandardsControlArn").or_else(|| m.get("ControlId")))
        .map(String::as_str);
    Finding {
        id: f.id().unwrap_or_default().to_owned(),
        product_arn: f.product_arn().unwrap_or_default().to_owned(),
        control: control_of(
            f.compliance().and_then(|c| c.security_control_id()),
            f.generator_id().unwrap_or_default(),
            legacy_control,
        ),
        title: f.title().unwrap_or_default().to_owned(),
        severity: f
            .severity()
            .and_then(|s| s.label())
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default(),
        resource_type: resource
            .and_then(|r| r.r#type())
            .unwrap_or_default()
            .to_owned(),
        resource_id: resource.and_then(|r| r.id()).unwrap_or_default().to_owned(),
        resource_name: resource.and_then(identifier_in_details),
        region: resource
            .and_then(|r| r.region())
            .or(f.region())
            .unwrap_or_default()
            .to_owned(),
        account: f.aws_account_id().unwrap_or_default().to_owned(),
        workflow_status: f
            .workflow()
            .and_then(|w| w.status())
            .map_or("NEW", |s| s.as_str())
            .to_owned(),
        compliance_status: f
            .compliance()
            .and_then(|c| c.status())
            .map(|s| s.as_str().to_owned()),
        record_state: f.record_state().map(|s| s.as_str().to_owned()),
        note: f.note().and_then(|n| n.text()).map(str::to_owned),
        created_at: f.created_at().map(str::to_owned),
        updated_at: f.updated_at().map(str::to_owned),
        user_defined_fields: f
            .user_defined_fields()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }
}

#[async_trait]
impl SecurityHub for SdkSecurityHub {
    /// Consolidated findings carry the control in `Compliance.SecurityControlId`; hubs
    /// without consolidated control findings put it in `ProductFields.ControlId`, one finding
    /// per standard. Both are asked for and merged.
    async fn failed_findings(&self, controls: &[String]) -> Result<Vec<Finding>, ApiError> {
        let failed = || {
            AwsSecurityFindingFilters::builder()
                .compliance_status(eq("FAILED"))
                .record_state(eq("ACTIVE"))
                .workflow_status(eq("NEW"))
                .workflow_status(eq("NOTIFIED"))
        };
        let consolidated = failed()
            .set_compliance_security_control_id(Some(controls.iter().map(|c| eq(c)).collect()))
            .build();
        let per_standard = failed()
            .set_product_fields(Some(
                controls
                    .iter()
                    .map(|c| {
                        MapFilter::builder()
                            .key("ControlId")
                            .value(c)
                            .comparison(MapFilterComparison::Equals)
                            .build()
                    })
                    .collect(),
            ))
            .build();
        let mut found = self.get_all(consolidated).await?;
        for f in self.get_all(per_standard).await? {
            if !found.iter().any(|known| known.id == f.id) {
                found.push(f);
            }
        }
        Ok(found)
    }

    /// Coalesced with the reads other runs ask for meanwhile, 20 ids a request.
    async fn findings_by_id(&self, ids: &[String]) -> Result<Vec<Finding>, ApiError> {
        self.reads
            .read(ids, |ids| {
                let filters = AwsSecurityFindingFilters::builder()
                    .set_id(Some(ids.iter().map(|i| eq(i)).collect()))
                    .build();
                self.get_all(filters)
            })
            .await
    }

    /// Security Hub's map filters compare one key's value (EQUALS, CONTAINS and their NOT_
    /// forms): there is no "has this key" and no date order, so the caller asks for a text
    /// every value it wants holds, and compares the values itself.
    async fn suppressed_findings(
        &self,
        field: &str,
        contains: &str,
    ) -> Result<Vec<Finding>, ApiError> {
        let filters = AwsSecurityFindingFilters::builder()
            .workflow_status(eq("SUPPRESSED"))
            .record_state(eq("ACTIVE"))
            .user_defined_fields(
                MapFilter::builder()
                    .key(field)
                    .value(contains)
                    .comparison(MapFilterComparison::Contains)
                    .build(),
            )
            .build();
        self.get_all(filters).await
    }

    /// Coalesced with the updates alike (same status, note, signer and fields) other runs
    /// ask for meanwhile, up to 100 findings a request.
    async fn batch_update(
        &self,
        findings: &[FindingRef],
        status: WorkflowStatus,
        note: &str,
        updated_by: &str,
        fields: Option<&UserFields>,
    ) -> Result<Vec<Unprocessed>, ApiError> {
        let params = UpdateParams {
            status,
            note: note.to_owned(),
            updated_by: updated_by.to_owned(),
            fields: fields.cloned(),
        };
        self.writes
            .update(findings, &params, |refs, params| {
                self.send_update(refs, params)
            })
            .await
    }
}

impl SdkSecurityHub {
    /// One BatchUpdateFindings request, when the rate limit allows.
    async fn send_update(
        &self,
        findings: Vec<FindingRef>,
        params: UpdateParams,
    ) -> Result<Vec<Unprocessed>, ApiError> {
        let client = self.client().await;
        let identifiers = findings
            .iter()
            .map(|f| {
                AwsSecurityFindingIdentifier::builder()
                    .id(&f.id)
                    .product_arn(&f.product_arn)
                    .build()
            })
            .collect::<Vec<_>>();
        self.batch_update.acquire().await;
        let out = client
            .batch_update_findings()
            .set_finding_identifiers(Some(identifiers))
            .workflow(
                WorkflowUpdate::builder()
                    .status(params.status.as_str().into())
                    .build(),
            )
            .note(
                NoteUpdate::builder()
                    .text(params.note)
                    .updated_by(params.updated_by)
                    .build(),
            )
            .set_user_defined_fields(params.fields.map(|m| m.into_iter().collect()))
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("securityhub:BatchUpdateFindings", e))?;
        Ok(out
            .unprocessed_findings()
            .iter()
            .map(|u| Unprocessed {
                finding: FindingRef {
                    id: u
                        .finding_identifier()
                        .and_then(|i| i.id())
                        .unwrap_or_default()
                        .to_owned(),
                    product_arn: u
                        .finding_identifier()
                        .and_then(|i| i.product_arn())
                        .unwrap_or_default()
                        .to_owned(),
                },
                error_code: u.error_code().unwrap_or("Unknown").to_owned(),
                error_message: u.error_message().unwrap_or_default().to_owned(),
            })
            .collect())
    }
}
