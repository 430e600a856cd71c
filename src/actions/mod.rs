//! The catalog of API calls runbooks may make. Each call says which AWS operation it sends
//! (which is also the IAM action it needs), whether it changes anything, which parameters it
//! takes and which of them are secret. A new control needs a new call here only when it uses
//! an API operation no runbook used before; the engine never changes for it.

pub mod dms;
pub mod dms_endpoints;
pub mod elasticache;
mod params;
pub mod redshift;

pub use params::Params;

use crate::aws::{ApiError, Clients};
use crate::runbook::{CallCatalog, CallSignature};
use serde_json::{Map, Value};

/// One call a runbook can make.
#[derive(Debug)]
pub struct ActionSpec {
    /// The name runbooks use, `service.operation`.
    pub name: &'static str,
    /// The AWS operation sent, as `service:Operation` (the IAM action it needs).
    pub operation: &'static str,
    /// Whether the call changes anything (dry runs never make such calls).
    pub mutating: bool,
    /// Parameter names, each with whether it is required.
    pub params: &'static [(&'static str, bool)],
    /// Parameters never shown, logged or journaled.
    pub secret_params: &'static [&'static str],
}

/// Every call, in the order `hubfix schema` and errors list them.
pub const ALL: &[&ActionSpec] = &[
    &redshift::DESCRIBE_CLUSTER,
    &redshift::MODIFY_CLUSTER,
    &dms::DESCRIBE_REPLICATION_INSTANCE,
    &dms::LIST_TAGS,
    &dms::DESCRIBE_INSTANCE_TASKS,
    &dms::STOP_REPLICATION_TASKS,
    &dms::DELETE_REPLICATION_TASKS,
    &dms::DELETE_REPLICATION_INSTANCE,
    &dms::CREATE_REPLICATION_INSTANCE,
    &dms::CREATE_REPLICATION_TASKS,
    &dms::MOVE_REPLICATION_TASKS,
    &dms::START_REPLICATION_TASKS,
    &dms_endpoints::DESCRIBE_ENDPOINT,
    &dms_endpoints::DESCRIBE_CERTIFICATES,
    &dms_endpoints::LIST_AVAILABLE_INSTANCES,
    &dms_endpoints::DESCRIBE_ENDPOINT_TASKS,
    &dms_endpoints::IMPORT_CERTIFICATE,
    &dms_endpoints::MODIFY_ENDPOINT_SSL,
    &dms_endpoints::TEST_CONNECTION,
    &dms_endpoints::DESCRIBE_CONNECTION,
    &dms_endpoints::RESUME_REPLICATION_TASKS,
    &elasticache::DESCRIBE_REPLICATION_GROUP,
    &elasticache::DESCRIBE_MEMBER_VERSIONS,
    &elasticache::MODIFY_AUTH_TOKEN,
];

pub fn find(name: &str) -> Option<&'static ActionSpec> {
    ALL.iter().copied().find(|a| a.name == name)
}

/// The parameters as they may be shown: secret values replaced.
pub fn redact(spec: &ActionSpec, params: &Map<String, Value>) -> Map<String, Value> {
    params
        .iter()
        .map(|(k, v)| {
            let shown = if spec.secret_params.contains(&k.as_str()) {
                Value::String("<redacted>".into())
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

/// Runs a call through the real SDK clients.
pub async fn execute(
    clients: &Clients,
    spec: &ActionSpec,
    region: Option<&str>,
    params: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let p = Params::new(spec, params);
    let service = spec.name.split_once('.').map_or("", |(s, _)| s);
    match service {
        "redshift" => redshift::execute(&clients.redshift(region).await, spec, &p).await,
        "dms" => dms::execute(&clients.dms(region).await, spec, &p).await,
        "elasticache" => elasticache::execute(&clients.elasticache(region).await, spec, &p).await,
        _ => Err(no_implementation(spec)),
    }
}

/// A describe answered from a list shared between runs, for the calls that have one
/// (`redshift.describe_cluster`); `None` for the others.
pub async fn execute_shared(
    clients: &Clients,
    shared: &crate::aws::SharedReads,
    spec: &ActionSpec,
    region: Option<&str>,
    params: &Map<String, Value>,
) -> Option<Result<Value, ApiError>> {
    if spec.name != redshift::DESCRIBE_CLUSTER.name {
        return None;
    }
    let p = Params::new(spec, params);
    let id = match p.string("ClusterIdentifier") {
        Ok(id) => id,
        Err(e) => return Some(Err(e)),
    };
    let client = clients.redshift(region).await;
    let region = client
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let found = shared
        .get("redshift.describe_clusters", &region, &id, || {
            redshift::describe_all_clusters(&client)
        })
        .await;
    Some(match found {
        Ok(Some(cluster)) => Ok(cluster),
        Ok(None) => Err(ApiError::not_found(
            spec.operation,
            format!("no Redshift cluster `{id}`"),
        )),
        Err(e) => Err(e),
    })
}

fn no_implementation(spec: &ActionSpec) -> ApiError {
    ApiError::invalid(
        spec.operation,
        format!("no implementation for `{}`", spec.name),
    )
}

/// The catalog as the runbook validator sees it.
pub struct Catalog;

impl CallCatalog for Catalog {
    fn signature(&self, call: &str) -> Option<CallSignature> {
        find(call).map(|a| CallSignature {
            mutating: a.mutating,
            params: a.params,
        })
    }

    fn names(&self) -> Vec<&'static str> {
        ALL.iter().map(|a| a.name).collect()
    }
}
