//! An in-memory ElastiCache for engine tests, at the level of hubfix's calls: one replication
//! group whose changes (AUTH, engine upgrade, in-transit encryption mode) go through
//! `modifying` for a set number of describes, with ElastiCache's rules (a token needs
//! in-transit encryption; SET only after a ROTATE; upgrades only; TLS in place from 7.0,
//! `preferred` first; no change while one is applying). Tokens are kept only to compare them.
//!
//! Every answer is the group or its clusters as the SDK would return them, passed through the
//! conversion hubfix's own adapters use: the double never writes the JSON the runbook reads.

use crate::double::{CallLog, Recorded};
use async_trait::async_trait;
use aws_sdk_elasticache::types::{
    AuthTokenUpdateStatus, CacheCluster, CacheEngineVersion, ReplicationGroup,
    ReplicationGroupPendingModifiedValues, TransitEncryptionMode,
};
use hubfix::actions::{ActionSpec, Api, Params, elasticache};
use hubfix::aws::{ApiError, ApiErrorKind};
use serde_json::{Map, Value, json};
use std::sync::Mutex;

const MEMBERS: [&str; 2] = ["r1-001", "r1-002"];

/// A change applying: an AUTH strategy and token, an engine version, or a TLS mode.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Auth(String, String),
    Engine(String),
    Tls(String),
}

#[derive(Debug, Clone)]
pub struct Group {
    pub version: String,
    pub tls: bool,
    /// `preferred` or `required` while TLS is on.
    pub tls_mode: Option<String>,
    pub status: String,
    /// Tokens accepted now; `accepts_anyone` while no SET has followed a ROTATE.
    pub tokens: Vec<String>,
    pub accepts_anyone: bool,
    pub pending: Option<Change>,
    pub polls_left: usize,
    /// Every AUTH change applied: (strategy, token).
    pub history: Vec<(String, String)>,
    /// Every engine and TLS change applied, in order.
    pub upgrades: Vec<Change>,
}

pub struct FakeElastiCache {
    pub group: Mutex<Group>,
    pub calls: CallLog,
    pub polls: usize,
    /// What DescribeCacheEngineVersions lists for redis.
    pub engine_versions: Mutex<Vec<&'static str>>,
}

impl Recorded for FakeElastiCache {
    fn calls(&self) -> &CallLog {
        &self.calls
    }
}

/// `7.1.0` → (7, 1, 0).
fn version(text: &str) -> (u32, u32, u32) {
    let mut parts = text.split('.').map(|p| p.parse().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

impl FakeElastiCache {
    /// The group, for a change: refused while another one applies.
    fn busy_or_group(
        &self,
        op: &'static str,
    ) -> Result<std::sync::MutexGuard<'_, Group>, ApiError> {
        let g = self.group.lock().unwrap();
        if g.status != "available" {
            return Err(ApiError::new(
                ApiErrorKind::InvalidState,
                op,
                "InvalidReplicationGroupState",
                "modifying",
            ));
        }
        Ok(g)
    }

    pub fn new(version: &str, tls: bool) -> Self {
        FakeElastiCache {
            group: Mutex::new(Group {
                version: version.into(),
                tls,
                tls_mode: tls.then(|| "required".to_owned()),
                status: "available".into(),
                tokens: Vec::new(),
                accepts_anyone: true,
                pending: None,
                polls_left: 0,
                history: Vec::new(),
                upgrades: Vec::new(),
            }),
            calls: CallLog::default(),
            polls: 2,
            engine_versions: Mutex::new(vec!["5.0.6", "6.0", "6.2", "7.0", "7.1"]),
        }
    }

    pub fn group(&self) -> Group {
        self.group.lock().unwrap().clone()
    }

    fn describe(&self) -> Value {
        let mut g = self.group.lock().unwrap();
        if let Some(change) = g.pending.clone() {
            if g.polls_left == 0 {
                match change {
                    Change::Auth(strategy, token) => {
                        if strategy == "SET" {
                            g.tokens = vec![token.clone()];
                            g.accepts_anyone = false;
                        } else {
                            g.tokens.push(token.clone());
                        }
                        g.history.push((strategy, token));
                    }
                    Change::Engine(ref v) => {
                        g.version.clone_from(v);
                        g.upgrades.push(change.clone());
                    }
                    Change::Tls(ref mode) => {
                        g.tls = true;
                        g.tls_mode = Some(mode.clone());
                        g.upgrades.push(change.clone());
                    }
                }
                g.pending = None;
                g.status = "available".into();
            } else {
                g.polls_left -= 1;
            }
        }
        let pending = g.pending.as_ref().and_then(|change| match change {
            Change::Auth(strategy, _) => Some(
                ReplicationGroupPendingModifiedValues::builder()
                    .auth_token_status(if strategy == "SET" {
                        AuthTokenUpdateStatus::Setting
                    } else {
                        AuthTokenUpdateStatus::Rotating
                    })
                    .build(),
            ),
            Change::Tls(mode) => Some(
                ReplicationGroupPendingModifiedValues::builder()
                    .transit_encryption_enabled(true)
                    .transit_encryption_mode(TransitEncryptionMode::from(mode.as_str()))
                    .build(),
            ),
            Change::Engine(_) => None,
        });
        let described = ReplicationGroup::builder()
            .replication_group_id("r1")
            .arn("arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:r1")
            .status(&g.status)
            .engine("redis")
            .set_member_clusters(Some(MEMBERS.map(str::to_owned).to_vec()))
            .auth_token_enabled(!g.tokens.is_empty())
            .transit_encryption_enabled(g.tls)
            .set_transit_encryption_mode(g.tls_mode.as_deref().map(TransitEncryptionMode::from))
            .at_rest_encryption_enabled(true)
            .set_pending_modified_values(pending)
            .build();
        elasticache::group_json(&described)
    }
}

#[async_trait]
impl Api for FakeElastiCache {
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
        let op = action.operation;
        let mut logged = params.clone();
        if logged.contains_key("AuthToken") {
            logged.insert("AuthToken".into(), json!("<seen>"));
        }
        self.calls.record(op, Value::Object(logged));
        let invalid =
            |m: &str| ApiError::new(ApiErrorKind::Invalid, op, "InvalidParameterValue", m);
        match action.name {
            "elasticache.describe_replication_group" => Ok(self.describe()),
            // The double's group carries no tags.
            "elasticache.list_tags" => Ok(elasticache::tags_json(&[])),
            "elasticache.describe_member_versions" => {
                let version = self.group().version;
                let mut clusters = Vec::new();
                for id in Params::new(action, params).strings("CacheClusterIds")? {
                    if !MEMBERS.contains(&id.as_str()) {
                        return Err(ApiError::new(
                            ApiErrorKind::NotFound,
                            op,
                            "CacheClusterNotFound",
                            format!("CacheCluster not found: {id}"),
                        ));
                    }
                    clusters.push(
                        CacheCluster::builder()
                            .cache_cluster_id(id)
                            .engine("redis")
                            .engine_version(&version)
                            .build(),
                    );
                }
                elasticache::member_versions_json(&clusters)
            }
            "elasticache.describe_cache_engine_versions" => {
                let listed: Vec<CacheEngineVersion> = self
                    .engine_versions
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|v| {
                        CacheEngineVersion::builder()
                            .engine("redis")
                            .engine_version(*v)
                            .cache_parameter_group_family(format!(
                                "redis{}",
                                v.split('.').next().unwrap_or_default()
                            ))
                            .build()
                    })
                    .collect();
                let major = Params::new(action, params).opt_int("MajorVersion")?;
                Ok(elasticache::engine_versions_json(
                    &listed,
                    major.unwrap_or_default(),
                ))
            }
            "elasticache.modify_engine_version" => {
                let mut g = self.busy_or_group(op)?;
                let asked = params["EngineVersion"].as_str().unwrap().to_owned();
                let runs = format!("{asked}.0");
                if version(&runs) < version(&g.version) {
                    return Err(ApiError::new(
                        ApiErrorKind::Invalid,
                        op,
                        "InvalidParameterCombination",
                        "no downgrade",
                    ));
                }
                g.pending = Some(Change::Engine(runs));
                g.polls_left = self.polls;
                g.status = "modifying".into();
                drop(g);
                Ok(self.describe())
            }
            "elasticache.modify_transit_encryption" => {
                let mut g = self.busy_or_group(op)?;
                let mode = params["TransitEncryptionMode"].as_str().unwrap().to_owned();
                let combination = |m: &str| {
                    ApiError::new(ApiErrorKind::Invalid, op, "InvalidParameterCombination", m)
                };
                if version(&g.version) < (7, 0, 0) {
                    return Err(combination("TLS in place needs Redis OSS 7.0 or later"));
                }
                let allowed = match (g.tls_mode.as_deref(), mode.as_str()) {
                    (None, "preferred") => params["TransitEncryptionEnabled"] == json!(true),
                    (Some("preferred"), "required") => true,
                    _ => false,
                };
                if !allowed {
                    return Err(combination("preferred first, then required"));
                }
                g.pending = Some(Change::Tls(mode));
                g.polls_left = self.polls;
                g.status = "modifying".into();
                drop(g);
                Ok(self.describe())
            }
            "elasticache.modify_auth_token" => {
                let mut g = self.busy_or_group(op)?;
                if !g.tls {
                    return Err(invalid(
                        "The AUTH token is only supported when encryption-in-transit is enabled",
                    ));
                }
                let token = params["AuthToken"].as_str().unwrap().to_owned();
                let strategy = params["AuthTokenUpdateStrategy"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                if strategy == "SET" && g.history.last().is_none_or(|(s, _)| s != "ROTATE") {
                    return Err(invalid("SET is only allowed after a ROTATE"));
                }
                g.pending = Some(Change::Auth(strategy, token));
                g.polls_left = self.polls;
                g.status = "modifying".into();
                drop(g);
                Ok(self.describe())
            }
            other => panic!("the ElastiCache double has no {other}"),
        }
    }
}
