//! SDK clients, one configuration loaded once, one client per service and region on demand
//! (a finding's resource may live in another region than the default one).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::collections::HashMap;
use tokio::sync::{Mutex, OnceCell};

/// Where and as whom to talk to AWS; each falls back to the usual AWS environment.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

pub struct Clients {
    settings: AwsSettings,
    base: OnceCell<SdkConfig>,
    regional: Mutex<HashMap<String, SdkConfig>>,
}

impl Clients {
    pub fn new(settings: AwsSettings) -> Self {
        Clients {
            settings,
            base: OnceCell::new(),
            regional: Mutex::new(HashMap::new()),
        }
    }

    async fn base(&self) -> &SdkConfig {
        self.base
            .get_or_init(|| async {
                // Adaptive retry: on throttling the client slows its own request rate, so a
                // fleet of runs backs off together instead of retrying in lockstep.
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .retry_config(aws_config::retry::RetryConfig::adaptive().with_max_attempts(5));
                if let Some(p) = &self.settings.profile {
                    loader = loader.profile_name(p);
                }
                if let Some(r) = &self.settings.region {
                    loader = loader.region(Region::new(r.clone()));
                }
                if let Some(u) = &self.settings.endpoint_url {
                    loader = loader.endpoint_url(u);
                }
                let config = loader.load().await;
                super::error::note_destination(
                    config.endpoint_url(),
                    config.region().map(|r| r.as_ref()),
                );
                config
            })
            .await
    }

    /// The configuration for a region (the default one when `None`).
    pub async fn config(&self, region: Option<&str>) -> SdkConfig {
        let base = self.base().await;
        let Some(region) = region.filter(|r| Some(*r) != base.region().map(|r| r.as_ref())) else {
            return base.clone();
        };
        let mut cache = self.regional.lock().await;
        cache
            .entry(region.to_owned())
            .or_insert_with(|| {
                base.to_builder()
                    .region(Region::new(region.to_owned()))
                    .build()
            })
            .clone()
    }

    pub async fn redshift(&self, region: Option<&str>) -> aws_sdk_redshift::Client {
        aws_sdk_redshift::Client::new(&self.config(region).await)
    }

    pub async fn dms(&self, region: Option<&str>) -> aws_sdk_databasemigration::Client {
        aws_sdk_databasemigration::Client::new(&self.config(region).await)
    }

    pub async fn elasticache(&self, region: Option<&str>) -> aws_sdk_elasticache::Client {
        aws_sdk_elasticache::Client::new(&self.config(region).await)
    }

    pub async fn ec2(&self, region: Option<&str>) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.config(region).await)
    }

    pub async fn securityhub(&self, region: Option<&str>) -> aws_sdk_securityhub::Client {
        aws_sdk_securityhub::Client::new(&self.config(region).await)
    }

    /// Clients that act in another account through `role_arn`: credentials assumed from
    /// these clients' own, cached and refreshed before they expire (a change may outlast a
    /// one-hour session), shared by every service and region.
    pub async fn assuming(&self, role_arn: &str, external_id: Option<&str>) -> Clients {
        let base = self.base().await.clone();
        let mut role = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name("hubfix")
            .configure(&base);
        if let Some(id) = external_id {
            role = role.external_id(id);
        }
        let provider = role.build().await;
        let config = base
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build();
        Clients {
            settings: self.settings.clone(),
            base: OnceCell::new_with(Some(config)),
            regional: Mutex::new(HashMap::new()),
        }
    }

    /// The account the credentials belong to (STS GetCallerIdentity).
    pub async fn account(&self) -> Result<String, super::ApiError> {
        Ok(self.identity().await?.0)
    }

    /// The account and the ARN of the credentials (STS GetCallerIdentity).
    pub async fn identity(&self) -> Result<(String, String), super::ApiError> {
        let out = aws_sdk_sts::Client::new(&self.config(None).await)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| super::ApiError::from_sdk("sts:GetCallerIdentity", e))?;
        Ok((
            out.account().unwrap_or_default().to_owned(),
            out.arn().unwrap_or_default().to_owned(),
        ))
    }
}
