//! The catalog of API calls runbooks may make, and the seam the engine calls AWS through.
//!
//! Each call is declared once, with its handler: which AWS operation it sends (also the IAM
//! action it needs), whether it changes anything, which parameters it takes and which are
//! secret. A call is one AWS request; a runbook sends one per item with `for_each`. A new
//! control needs a new call here only when it uses an API operation no runbook used before;
//! the engine never changes for it.

pub mod dms;
pub mod dms_endpoints;
pub mod ec2;
pub mod elasticache;
mod live;
mod params;
pub mod redshift;
pub mod tags;

pub use live::{Api, AwsApi};
pub use params::Params;

use crate::aws::ApiError;
use crate::runbook::{CallCatalog, CallSignature};
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;

/// What a handler gives back: the call's output as runbooks read it.
pub type Reply<'a> = Pin<Box<dyn Future<Output = Result<Value, ApiError>> + Send + 'a>>;

/// The code that sends a call, with the client of its service.
pub enum Handler {
    Redshift(for<'a> fn(&'a aws_sdk_redshift::Client, Params<'a>) -> Reply<'a>),
    Dms(for<'a> fn(&'a aws_sdk_databasemigration::Client, Params<'a>) -> Reply<'a>),
    ElastiCache(for<'a> fn(&'a aws_sdk_elasticache::Client, Params<'a>) -> Reply<'a>),
    Ec2(for<'a> fn(&'a aws_sdk_ec2::Client, Params<'a>) -> Reply<'a>),
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Handler::Redshift(_) => "Handler::Redshift",
            Handler::Dms(_) => "Handler::Dms",
            Handler::ElastiCache(_) => "Handler::ElastiCache",
            Handler::Ec2(_) => "Handler::Ec2",
        })
    }
}

/// `handler!(Dms, describe_replication_instance)`: an `async fn(&Client, &Params)` as a
/// [`Handler`].
macro_rules! handler {
    ($service:ident, $f:path) => {
        $crate::actions::Handler::$service(|client, p| {
            Box::pin(async move { $f(client, &p).await })
        })
    };
}
pub(crate) use handler;

/// How the runs of a fleet share a read.
#[derive(Debug)]
pub enum Sharing {
    /// One list call answers every run's describe.
    List(SharedList),
    /// The answer to the same request (same call, region and parameters), a few seconds old
    /// at most, answers another run: for reads of what hubfix never changes (a VPC's
    /// settings and route tables, a cluster subnet group), which the runs of a fleet in one
    /// network would each read alike.
    SameRequest,
}

/// A describe that one list call can answer for many runs at once (see
/// [`crate::aws::SharedReads`]): the list gives every resource of a region by identifier.
#[derive(Debug)]
pub struct SharedList {
    /// The parameter that names the resource.
    pub id_param: &'static str,
    /// What the resource is called in a not-found message.
    pub noun: &'static str,
    /// Lists every resource of the region: an object from identifier to resource.
    pub list: Handler,
}

/// How a change whose outcome is unknown is settled before it could be sent a second time:
/// hubfix died after sending it and before journaling the answer, or the answer was lost
/// (a dropped connection, and the SDK's retry refused because the first try went through).
#[derive(Debug)]
pub enum Reconcile {
    /// A read: nothing to settle.
    Read,
    /// Sending it again leaves the same state (the same setting again, or a handler that
    /// reuses what the first try made).
    Resend,
    /// Reads the resource: `null` when the change is not seen (then it is sent), else the
    /// call's output as if it had answered. A resource that exists but is not what the
    /// change asked for is an error, never taken over.
    Check(Handler),
}

/// One call a runbook can make: one AWS request.
#[derive(Debug)]
pub struct ActionSpec {
    /// The name runbooks use, `service.operation`.
    pub name: &'static str,
    /// The AWS operation sent, as `service:Operation` (the IAM action it needs).
    pub operation: &'static str,
    /// Whether the call changes anything (dry runs never make such calls).
    pub mutating: bool,
    /// How a change is settled when its outcome is unknown; `Read` for a read.
    pub reconcile: Reconcile,
    /// Parameter names, each with whether it is required.
    pub params: &'static [(&'static str, bool)],
    /// Parameters never shown, logged or journaled.
    pub secret_params: &'static [&'static str],
    /// Parameters that name a file whose contents are sent under another name:
    /// `(runbook parameter, request parameter)`.
    pub file_params: &'static [(&'static str, &'static str)],
    /// Sends the call.
    pub handler: Handler,
    /// Set for a read that many runs may share.
    pub shared: Option<Sharing>,
}

impl ActionSpec {
    /// The SDK service name: `redshift`, `dms`, `elasticache`, `ec2`.
    pub fn service(&self) -> &'static str {
        self.name.split_once('.').map_or("", |(s, _)| s)
    }

    /// The AWS operation name: `ModifyCluster`.
    pub fn operation_name(&self) -> &'static str {
        self.operation
            .split_once(':')
            .map_or(self.operation, |(_, o)| o)
    }
}

/// Every call, in the order `hubfix schema` and errors list them.
pub const ALL: &[&ActionSpec] = &[
    &redshift::DESCRIBE_CLUSTER,
    &redshift::DESCRIBE_CLUSTER_SUBNET_GROUP,
    &redshift::MODIFY_CLUSTER,
    &ec2::DESCRIBE_VPC_DNS,
    &ec2::CHECK_S3_ROUTES,
    &dms::DESCRIBE_REPLICATION_INSTANCE,
    &dms::LIST_TAGS,
    &dms::DESCRIBE_INSTANCE_TASKS,
    &dms::STOP_REPLICATION_TASK,
    &dms::DELETE_REPLICATION_TASK,
    &dms::DELETE_REPLICATION_INSTANCE,
    &dms::CREATE_REPLICATION_INSTANCE,
    &dms::CREATE_REPLICATION_TASK,
    &dms::MOVE_REPLICATION_TASK,
    &dms::START_REPLICATION_TASK,
    &dms_endpoints::DESCRIBE_ENDPOINT,
    &dms_endpoints::DESCRIBE_CERTIFICATES,
    &dms_endpoints::LIST_AVAILABLE_INSTANCES,
    &dms_endpoints::DESCRIBE_ENDPOINT_TASKS,
    &dms_endpoints::IMPORT_CERTIFICATE,
    &dms_endpoints::MODIFY_ENDPOINT_SSL,
    &dms_endpoints::TEST_CONNECTION,
    &dms_endpoints::DESCRIBE_CONNECTION,
    &dms_endpoints::DESCRIBE_CONNECTIONS,
    &elasticache::DESCRIBE_REPLICATION_GROUP,
    &elasticache::DESCRIBE_MEMBER_VERSIONS,
    &elasticache::LIST_TAGS,
    &elasticache::DESCRIBE_CACHE_ENGINE_VERSIONS,
    &elasticache::MODIFY_ENGINE_VERSION,
    &elasticache::MODIFY_TRANSIT_ENCRYPTION,
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

/// The largest file a `file_params` parameter may name.
const MAX_FILE: u64 = 1 << 20;

/// The request as it is sent: a file parameter replaced by the file's contents under the
/// request's parameter name. A file that cannot be read is an error naming it.
pub fn request_params(
    spec: &ActionSpec,
    mut params: Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    for (given, sent) in spec.file_params {
        let Some(Value::String(path)) = params.remove(*given) else {
            continue;
        };
        let read = crate::files::read_regular_text(std::path::Path::new(&path), MAX_FILE)
            .map_err(|e| ApiError::invalid(spec.operation, format!("cannot read {path}: {e}")))?;
        params.insert((*sent).to_owned(), Value::String(read));
    }
    Ok(params)
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
