//! The engine's seam to AWS ([`Api`]) and its real implementation through the SDK
//! ([`AwsApi`]): the handler a call declares, with its service's client for the region, and
//! reads shared between runs where the call declares how ([`super::Sharing`]).

use super::{ActionSpec, Handler, Params, Reconcile, Sharing};
use crate::aws::{ApiError, Clients, SharedReads};
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The engine's view of AWS: run one call of the catalog with the parameters to send.
#[async_trait]
pub trait Api: Send + Sync {
    async fn call(
        &self,
        action: &'static ActionSpec,
        region: Option<&str>,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError>;

    /// Settles a change whose outcome is unknown, as the call declares ([`Reconcile`]):
    /// `Some(output)` when the change is seen done, `None` when it must be sent.
    async fn settle(
        &self,
        action: &'static ActionSpec,
        region: Option<&str>,
        params: &Map<String, Value>,
    ) -> Result<Option<Value>, ApiError>;
}

/// The real AWS, through the SDK.
pub struct AwsApi {
    clients: Arc<Clients>,
    /// Set for a fleet of runs: describes that one list call can answer are shared.
    shared: Option<SharedReads>,
}

impl AwsApi {
    pub fn new(clients: Arc<Clients>) -> Self {
        AwsApi {
            clients,
            shared: None,
        }
    }

    /// Shares describes between runs (see [`SharedReads`]) for `max_age`.
    pub fn sharing_reads(clients: Arc<Clients>, max_age: std::time::Duration) -> Self {
        AwsApi {
            clients,
            shared: Some(SharedReads::new(max_age)),
        }
    }

    async fn send(
        &self,
        handler: &Handler,
        region: Option<&str>,
        p: Params<'_>,
    ) -> Result<Value, ApiError> {
        match handler {
            Handler::Redshift(f) => f(&self.clients.redshift(region).await, p).await,
            Handler::Dms(f) => f(&self.clients.dms(region).await, p).await,
            Handler::ElastiCache(f) => f(&self.clients.elasticache(region).await, p).await,
            Handler::Ec2(f) => f(&self.clients.ec2(region).await, p).await,
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
        let p = Params::new(action, params);
        let Some(shared) = &self.shared else {
            return self.send(&action.handler, region, p).await;
        };
        let region_name = self
            .clients
            .config(region)
            .await
            .region()
            .map(|r| r.to_string())
            .unwrap_or_default();
        if action.mutating {
            // Before and after: a list taken while the change was in flight is not fresh for
            // the resources it names (every string it sends: identifiers among them).
            let names = || params.values().filter_map(Value::as_str);
            shared.changing(&region_name, names());
            let result = self.send(&action.handler, region, p).await;
            shared.changing(&region_name, names());
            return result;
        }
        let list = match &action.shared {
            None => return self.send(&action.handler, region, p).await,
            Some(Sharing::SameRequest) => {
                let request = serde_json::json!([action.name, region_name, params]).to_string();
                return shared
                    .same_request(request, || self.send(&action.handler, region, p))
                    .await;
            }
            Some(Sharing::List(list)) => list,
        };
        let id = p.string(list.id_param)?;
        let empty = Map::new();
        let found = shared
            .get(action.name, &region_name, &id, || async {
                let all = self
                    .send(&list.list, region, Params::new(action, &empty))
                    .await?;
                Ok(match all {
                    Value::Object(map) => map.into_iter().collect(),
                    _ => Default::default(),
                })
            })
            .await?;
        found.ok_or_else(|| {
            ApiError::not_found(action.operation, format!("no {} `{id}`", list.noun))
        })
    }

    async fn settle(
        &self,
        action: &'static ActionSpec,
        region: Option<&str>,
        params: &Map<String, Value>,
    ) -> Result<Option<Value>, ApiError> {
        let Reconcile::Check(check) = &action.reconcile else {
            return Ok(None);
        };
        if let Some(shared) = &self.shared {
            shared.invalidate(action.service()).await;
        }
        let seen = self
            .send(check, region, Params::new(action, params))
            .await?;
        Ok((!seen.is_null()).then_some(seen))
    }
}
