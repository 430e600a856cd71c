//! Talking to AWS: SDK clients built once from aws-config (profile, region, endpoint URL),
//! the [`Api`] seam the engine calls through, and errors sorted into what an operator can act on.

mod clients;
mod error;
mod rate_limit;
mod shared_reads;

pub use clients::{AwsSettings, Clients};
pub use error::{ApiError, ApiErrorKind};
pub use rate_limit::RateLimiter;
pub use shared_reads::SharedReads;

use crate::actions::ActionSpec;
use async_trait::async_trait;
use serde_json::{Map, Value};

/// The engine's view of AWS: run one call of the catalog with rendered parameters.
#[async_trait]
pub trait Api: Send + Sync {
    async fn call(
        &self,
        action: &'static ActionSpec,
        region: Option<&str>,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError>;
}

/// The real AWS, through the SDK.
pub struct AwsApi {
    clients: std::sync::Arc<Clients>,
    /// Set for a fleet of runs: describes that one list call can answer are shared.
    shared: Option<SharedReads>,
}

impl AwsApi {
    pub fn new(clients: std::sync::Arc<Clients>) -> Self {
        AwsApi {
            clients,
            shared: None,
        }
    }

    /// Shares describes between runs (see [`SharedReads`]) for `max_age`.
    pub fn sharing_reads(clients: std::sync::Arc<Clients>, max_age: std::time::Duration) -> Self {
        AwsApi {
            clients,
            shared: Some(SharedReads::new(max_age)),
        }
    }
}

#[async_trait]
impl Api for AwsApi {
    async fn call(
        &self,
        action: &'static ActionSpec,
        region: Option<&str>,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        if let Some(shared) = &self.shared {
            let service = action.name.split('.').next().unwrap_or_default();
            if action.mutating {
                // Before and after: a list taken while the change was in flight is not fresh.
                shared.invalidate(service).await;
                let result = crate::actions::execute(&self.clients, action, region, params).await;
                shared.invalidate(service).await;
                return result;
            } else if let Some(answer) =
                crate::actions::execute_shared(&self.clients, shared, action, region, params).await
            {
                return answer;
            }
        }
        crate::actions::execute(&self.clients, action, region, params).await
    }
}
