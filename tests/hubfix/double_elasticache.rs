//! An in-memory ElastiCache for engine tests, at the level of hubfix's calls: one replication
//! group whose AUTH changes go through `modifying` for a set number of describes, with
//! ElastiCache's rules (a token needs in-transit encryption; SET only after a ROTATE; no
//! change while one is applying). Tokens are kept only to compare them.
//!
//! Every answer is the group or its clusters as the SDK would return them, passed through the
//! conversion hubfix's own adapters use: the double never writes the JSON the runbook reads.

use crate::double::{CallLog, Recorded};
use async_trait::async_trait;
use aws_sdk_elasticache::types::{
    AuthTokenUpdateStatus, CacheCluster, ReplicationGroup, ReplicationGroupPendingModifiedValues,
};
use hubfix::actions::{ActionSpec, Api, Params, elasticache};
use hubfix::aws::{ApiError, ApiErrorKind};
use serde_json::{Map, Value, json};
use std::sync::Mutex;

const MEMBERS: [&str; 2] = ["r1-001", "r1-002"];

#[derive(Debug, Clone)]
pub struct Group {
    pub version: String,
    pub tls: bool,
    pub status: String,
    /// Tokens accepted now; `accepts_anyone` while no SET has followed a ROTATE.
    pub tokens: Vec<String>,
    pub accepts_anyone: bool,
    pub pending: Option<(String, String)>,
    pub polls_left: usize,
    /// Every change applied: (strategy, token).
    pub history: Vec<(String, String)>,
}

pub struct FakeElastiCache {
    pub group: Mutex<Group>,
    pub calls: CallLog,
    pub polls: usize,
}

impl Recorded for FakeElastiCache {
    fn calls(&self) -> &CallLog {
        &self.calls
    }
}

impl FakeElastiCache {
    pub fn new(version: &str, tls: bool) -> Self {
        FakeElastiCache {
            group: Mutex::new(Group {
                version: version.into(),
                tls,
                status: "available".into(),
                tokens: Vec::new(),
                accepts_anyone: true,
                pending: None,
                polls_left: 0,
                history: Vec::new(),
            }),
            calls: CallLog::default(),
            polls: 2,
        }
    }

    pub fn group(&self) -> Group {
        self.group.lock().unwrap().clone()
    }

    fn describe(&self) -> Value {
        let mut g = self.group.lock().unwrap();
        if let Some((strategy, token)) = g.pending.clone() {
            if g.polls_left == 0 {
                if strategy == "SET" {
                    g.tokens = vec![token.clone()];
                    g.accepts_anyone = false;
                } else {
                    g.tokens.push(token.clone());
                }
                g.history.push((strategy, token));
                g.pending = None;
                g.status = "available".into();
            } else {
                g.polls_left -= 1;
            }
        }
        let pending = g.pending.as_ref().map(|(strategy, _)| {
            ReplicationGroupPendingModifiedValues::builder()
                .auth_token_status(if strategy == "SET" {
                    AuthTokenUpdateStatus::Setting
                } else {
                    AuthTokenUpdateStatus::Rotating
                })
                .build()
        });
        let described = ReplicationGroup::builder()
            .replication_group_id("r1")
            .arn("arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:r1")
            .status(&g.status)
            .engine("redis")
            .set_member_clusters(Some(MEMBERS.map(str::to_owned).to_vec()))
            .auth_token_enabled(!g.tokens.is_empty())
            .transit_encryption_enabled(g.tls)
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
            "elasticache.modify_auth_token" => {
                let mut g = self.group.lock().unwrap();
                if g.status != "available" {
                    return Err(ApiError::new(
                        ApiErrorKind::InvalidState,
                        op,
                        "InvalidReplicationGroupState",
                        "modifying",
                    ));
                }
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
                g.pending = Some((strategy, token));
                g.polls_left = self.polls;
                g.status = "modifying".into();
                drop(g);
                Ok(self.describe())
            }
            other => panic!("the ElastiCache double has no {other}"),
        }
    }
}
