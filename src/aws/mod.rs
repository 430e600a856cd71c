//! Talking to AWS: SDK clients built once from aws-config (profile, region, endpoint URL),
//! the [`Api`] seam the engine calls through, and errors sorted into what an operator can act on.

mod clients;
mod error;

pub use clients::{AwsSettings, Clients};
pub use error::{ApiError, ApiErrorKind};

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
}

impl AwsApi {
    pub fn new(clients: std::sync::Arc<Clients>) -> Self {
        AwsApi { clients }
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
        crate::actions::execute(&self.clients, action, region, params).await
    }
}
