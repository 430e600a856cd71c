//! Security Hub: which findings are failing, and marking them SUPPRESSED (after sign-off),
//! NOTIFIED or RESOLVED (after a verified fix) with a note. The batch update never drops a
//! finding silently: unprocessed ones are retried when AWS says it may work, and reported.
//! Updates alike from the runs of a session share requests ([`batched_writes`]).
//! A suppression carries its review date in the finding's user-defined fields
//! ([`review`]), so the exceptions whose time has come can be found again.

mod batched_reads;
mod batched_writes;
mod note;
pub mod review;
mod securityhub;

pub use note::{
    APPROVER_LIMIT, NOTE_LIMIT, REASON_LIMIT, check_approver, check_reason, compose_note,
    compose_suppression_note, note_body,
};
pub use review::UserFields;
pub use securityhub::SdkSecurityHub;

use crate::aws::ApiError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// A failed control finding, as much of it as hubfix needs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    pub id: String,
    pub product_arn: String,
    /// The control id, e.g. `Redshift.7`.
    pub control: String,
    pub title: String,
    pub severity: String,
    pub resource_type: String,
    /// The resource ARN (`Resources[0].Id`).
    pub resource_id: String,
    /// The name people know the resource by, when its ARN ends in an internal id (a DMS
    /// instance's or endpoint's identifier, from the resource's details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    pub region: String,
    pub account: String,
    pub workflow_status: String,
    /// `Compliance.Status` (`FAILED`, `PASSED`, ...) and `RecordState` (`ACTIVE`,
    /// `ARCHIVED`), when Security Hub gives them: a saved plan is applied only to a finding
    /// still failed and active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_state: Option<String>,
    /// The note's text (a hubfix lock names its run there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// `UserDefinedFields`: hubfix's review date of a suppression, and other tools' fields.
    #[serde(default, skip_serializing_if = "UserFields::is_empty")]
    pub user_defined_fields: UserFields,
}

impl Finding {
    /// The finding id as a table shows it: the part after its last `/` (a UUID for Security
    /// Hub's own findings), its first 8 characters; `--output json` has the whole id.
    pub fn short_id(&self) -> String {
        let last = self.id.rsplit('/').next().unwrap_or(&self.id);
        last.chars().take(8).collect()
    }

    /// Why a remediation no longer applies to this finding (it passed, was archived, or was
    /// resolved or suppressed meanwhile), if it does not.
    pub fn no_longer_open(&self) -> Option<String> {
        let compliance = self.compliance_status.as_deref().unwrap_or("unknown");
        let record = self.record_state.as_deref().unwrap_or("unknown");
        if compliance != "FAILED" {
            Some(format!(
                "its compliance status is {compliance} now, not FAILED"
            ))
        } else if record != "ACTIVE" {
            Some(format!("its record state is {record} now, not ACTIVE"))
        } else if !matches!(self.workflow_status.as_str(), "NEW" | "NOTIFIED") {
            Some(format!(
                "its workflow status is {} now, not NEW or NOTIFIED",
                self.workflow_status
            ))
        } else {
            None
        }
    }

    /// The resource as people know it: its identifier, else the last part of its ARN.
    pub fn name(&self) -> &str {
        self.resource_name
            .as_deref()
            .unwrap_or_else(|| resource_name(&self.resource_id))
    }

    /// The account the resource is in: its ARN's, else the finding's `AwsAccountId`.
    pub fn resource_account(&self) -> String {
        arn_account(&self.resource_id).unwrap_or_else(|| self.account.clone())
    }
}

/// Identifies a finding to BatchUpdateFindings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FindingRef {
    pub id: String,
    pub product_arn: String,
}

impl From<&Finding> for FindingRef {
    fn from(f: &Finding) -> Self {
        FindingRef {
            id: f.id.clone(),
            product_arn: f.product_arn.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WorkflowStatus {
    New,
    Notified,
    Resolved,
    Suppressed,
}

impl WorkflowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowStatus::New => "NEW",
            WorkflowStatus::Notified => "NOTIFIED",
            WorkflowStatus::Resolved => "RESOLVED",
            WorkflowStatus::Suppressed => "SUPPRESSED",
        }
    }
}

/// A finding BatchUpdateFindings did not process, with AWS's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unprocessed {
    pub finding: FindingRef,
    pub error_code: String,
    pub error_message: String,
}

impl Unprocessed {
    /// Whether trying again may succeed.
    pub fn retryable(&self) -> bool {
        matches!(
            self.error_code.as_str(),
            "ConcurrentUpdateError"
                | "DuplicatedFindingIdentifier"
                | "LimitExceededException"
                | "InternalException"
        ) || self.error_code.contains("Throttl")
    }
}

/// The Security Hub operations hubfix uses.
#[async_trait]
pub trait SecurityHub: Send + Sync {
    /// Failed, active, NEW or NOTIFIED findings of these controls, every page.
    async fn failed_findings(&self, controls: &[String]) -> Result<Vec<Finding>, ApiError>;
    /// The findings with these ids.
    async fn findings_by_id(&self, ids: &[String]) -> Result<Vec<Finding>, ApiError>;
    /// Active, SUPPRESSED findings whose user-defined field `field` contains `contains`
    /// (a `UserDefinedFields` map filter), every page.
    async fn suppressed_findings(
        &self,
        field: &str,
        contains: &str,
    ) -> Result<Vec<Finding>, ApiError>;
    /// One update of at most 100 findings: the unprocessed ones. It may share its
    /// BatchUpdateFindings request with updates alike (same status, note, signer and fields)
    /// made meanwhile by other runs of the session. `fields`,
    /// when given, is the whole `UserDefinedFields` map the findings get (Security Hub
    /// replaces the map: it holds the fields to keep too).
    async fn batch_update(
        &self,
        findings: &[FindingRef],
        status: WorkflowStatus,
        note: &str,
        updated_by: &str,
        fields: Option<&UserFields>,
    ) -> Result<Vec<Unprocessed>, ApiError>;
}

/// The largest batch BatchUpdateFindings takes.
pub const BATCH_LIMIT: usize = 100;
const RETRIES: u32 = 4;

/// Updates any number of findings: batches of 100, retryable failures retried with backoff,
/// and every finding that still failed returned, never dropped.
pub async fn update_findings(
    hub: &dyn SecurityHub,
    findings: &[FindingRef],
    status: WorkflowStatus,
    note: &str,
    updated_by: &str,
    fields: Option<&UserFields>,
) -> Result<Vec<Unprocessed>, ApiError> {
    let mut failed = Vec::new();
    for chunk in findings.chunks(BATCH_LIMIT) {
        let mut pending: Vec<FindingRef> = chunk.to_vec();
        let mut attempt = 0;
        loop {
            let unprocessed = hub
                .batch_update(&pending, status, note, updated_by, fields)
                .await?;
            let (retry, fatal): (Vec<_>, Vec<_>) =
                unprocessed.into_iter().partition(Unprocessed::retryable);
            failed.extend(fatal);
            if retry.is_empty() {
                break;
            }
            attempt += 1;
            if attempt > RETRIES {
                failed.extend(retry);
                break;
            }
            tracing::debug!(
                count = retry.len(),
                attempt,
                "retrying unprocessed findings"
            );
            tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
            pending = retry.into_iter().map(|u| u.finding).collect();
        }
    }
    Ok(failed)
}

/// The BatchUpdateFindings request as it is shown, journaled and sent: the findings, the
/// status, the note and who signed it, and `UserDefinedFields` when the update sets them.
pub fn update_request(
    findings: &[FindingRef],
    status: &str,
    note: &str,
    updated_by: &str,
    fields: Option<Value>,
) -> serde_json::Map<String, Value> {
    let ids: Vec<Value> = findings
        .iter()
        .map(|r| json!({"Id": r.id, "ProductArn": r.product_arn}))
        .collect();
    let mut params = serde_json::Map::new();
    params.insert("FindingIdentifiers".into(), Value::Array(ids));
    params.insert("Workflow".into(), json!({ "Status": status }));
    params.insert(
        "Note".into(),
        json!({"Text": note, "UpdatedBy": updated_by}),
    );
    if let Some(fields) = fields {
        params.insert("UserDefinedFields".into(), fields);
    }
    params
}

/// The `UserDefinedFields` of a request built by [`update_request`], to send: every value a
/// text (a value not known yet, in a preview, is left out).
pub fn request_fields(params: &serde_json::Map<String, Value>) -> Option<UserFields> {
    let fields = params.get("UserDefinedFields")?.as_object()?;
    Some(
        fields
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
            .collect(),
    )
}

/// The control id of a finding: the consolidated `Compliance.SecurityControlId`, else the
/// `security-control/<ID>` generator, else the last part of the legacy `ProductFields`
/// `StandardsControlArn` or `ControlId` (hubs without consolidated control findings).
pub fn control_of(
    security_control_id: Option<&str>,
    generator_id: &str,
    legacy_control: Option<&str>,
) -> String {
    if let Some(id) = security_control_id.filter(|s| !s.is_empty()) {
        return id.to_owned();
    }
    if let Some(id) = generator_id.strip_prefix("security-control/") {
        return id.to_owned();
    }
    legacy_control
        .and_then(|arn| arn.rsplit('/').next())
        .unwrap_or(generator_id)
        .to_owned()
}

/// The region and account of an ARN (`arn:partition:service:region:account:...`).
fn arn_field(arn: &str, index: usize) -> Option<String> {
    arn.strip_prefix("arn:")?
        .split(':')
        .nth(index)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
}

/// The partition of an ARN (`aws`, `aws-cn`, ...), `aws` for what is not an ARN.
pub fn arn_partition(arn: &str) -> String {
    arn_field(arn, 0).unwrap_or_else(|| "aws".into())
}

pub fn arn_region(arn: &str) -> Option<String> {
    arn_field(arn, 2)
}

pub fn arn_account(arn: &str) -> Option<String> {
    arn_field(arn, 3)
}

/// The last part of an ARN (`...:cluster:name` → `name`), or the text itself.
pub fn resource_name(arn_or_id: &str) -> &str {
    if arn_or_id.starts_with("arn:") {
        arn_or_id.rsplit([':', '/']).next().unwrap_or(arn_or_id)
    } else {
        arn_or_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids_from_consolidated_and_legacy_findings() {
        assert_eq!(control_of(Some("Redshift.7"), "x", None), "Redshift.7");
        assert_eq!(control_of(None, "security-control/DMS.1", None), "DMS.1");
        assert_eq!(
            control_of(
                None,
                "aws-foundational-security-best-practices/v/1.0.0/Redshift.7",
                Some(
                    "arn:aws:securityhub:ap-northeast-1:1:control/aws-foundational-security-best-practices/v/1.0.0/Redshift.7"
                )
            ),
            "Redshift.7"
        );
    }

    #[test]
    fn resource_names_from_arns() {
        assert_eq!(
            resource_name("arn:aws:redshift:ap-northeast-1:1:cluster:c1"),
            "c1"
        );
        assert_eq!(resource_name("c1"), "c1");
        let arn = "arn:aws:redshift:us-west-2:111122223333:cluster:c1";
        assert_eq!(arn_region(arn).as_deref(), Some("us-west-2"));
        assert_eq!(arn_account(arn).as_deref(), Some("111122223333"));
        assert_eq!(arn_account("c1"), None);
    }
}
