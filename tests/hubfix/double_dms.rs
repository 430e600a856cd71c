//! An in-memory DMS for engine tests, at the level of hubfix's DMS calls: instances that are
//! `creating` and `deleting` for a set number of describes, tasks that stop, delete, move and
//! start the same way, and AWS's refusals (an instance with tasks cannot be deleted, an
//! identifier cannot be reused before the old instance is gone, a recreated instance gets a
//! new ARN).

use crate::double::{CallLog, Recorded};
use async_trait::async_trait;
use hubfix::actions::ActionSpec;
use hubfix::actions::Api;
use hubfix::aws::{ApiError, ApiErrorKind};
use serde_json::{Map, Value, json};
use std::sync::Mutex;

#[derive(Debug, Clone)]
pub struct Instance {
    /// Everything describe shows, in hubfix's output shape.
    pub config: Map<String, Value>,
    pub tags: Value,
    pub polls_left: usize,
}

impl Instance {
    pub fn arn(&self) -> &str {
        self.config["ReplicationInstanceArn"].as_str().unwrap()
    }
    pub fn status(&self) -> &str {
        self.config["ReplicationInstanceStatus"].as_str().unwrap()
    }
    fn set_status(&mut self, status: &str, polls: usize) {
        self.config
            .insert("ReplicationInstanceStatus".into(), json!(status));
        self.polls_left = polls;
    }
}

#[derive(Debug, Clone)]
pub struct Task {
    pub definition: Map<String, Value>,
    pub polls_left: usize,
    /// The status a transition ends in (`None`: the task is gone).
    pub then: Option<String>,
}

impl Task {
    pub fn id(&self) -> &str {
        self.definition["ReplicationTaskIdentifier"]
            .as_str()
            .unwrap()
    }
    pub fn arn(&self) -> &str {
        self.definition["ReplicationTaskArn"].as_str().unwrap()
    }
    pub fn instance(&self) -> &str {
        self.definition["ReplicationInstanceArn"].as_str().unwrap()
    }
    pub fn status(&self) -> &str {
        self.definition["Status"].as_str().unwrap()
    }
    fn go(&mut self, now: &str, then: Option<&str>, polls: usize) {
        self.definition.insert("Status".into(), json!(now));
        self.then = then.map(str::to_owned);
        self.polls_left = polls;
    }
}

/// A DMS endpoint, with what a connection test from any instance will end in.
#[derive(Debug, Clone)]
pub struct EndpointState {
    pub id: String,
    pub arn: String,
    pub kind: String,
    pub engine: String,
    pub ssl_mode: String,
    pub certificate: Option<String>,
    /// `Some(message)`: connection tests fail with it.
    pub test_fails: Option<String>,
    /// TestConnection itself is refused (the instance cannot reach the endpoint's VPC, say).
    pub refuse_test: bool,
    pub connection: Option<(String, usize)>,
}

pub struct FakeDms {
    pub instances: Mutex<Vec<Instance>>,
    pub tasks: Mutex<Vec<Task>>,
    pub endpoints: Mutex<Vec<EndpointState>>,
    /// Imported certificates: (identifier, ARN, PEM).
    pub certificates: Mutex<Vec<(String, String, String)>>,
    pub calls: CallLog,
    /// Describes a transition (create, delete, stop, move) takes.
    pub polls: usize,
    next_id: Mutex<u32>,
}

pub const ZONE: &str = "ap-northeast-1a";

/// The public instance `dms1` with every setting DMS.1 must carry over.
pub fn public_instance() -> Map<String, Value> {
    json!({
        "ReplicationInstanceIdentifier": "dms1",
        "ReplicationInstanceArn": "arn:aws:dms:ap-northeast-1:123456789012:rep:ORIGINAL",
        "ReplicationInstanceStatus": "available",
        "ReplicationInstanceClass": "dms.t3.medium",
        "AllocatedStorage": 50,
        "EngineVersion": "3.5.3",
        "AutoMinorVersionUpgrade": false,
        "MultiAZ": false,
        "AvailabilityZone": ZONE,
        "ReplicationSubnetGroupIdentifier": "dms-subnets",
        "VpcId": "vpc-0abc",
        "VpcSecurityGroupIds": ["sg-0001", "sg-0002"],
        "KmsKeyId": "arn:aws:kms:ap-northeast-1:123456789012:key/k1",
        "PreferredMaintenanceWindow": "sun:06:00-sun:06:30",
        "DnsNameServers": "10.0.0.2",
        "NetworkType": "IPV4",
        "KerberosAuthenticationSettings": null,
        "PubliclyAccessible": true,
        "PublicIpAddresses": ["203.0.113.10"],
        "PendingModifiedValues": {},
    })
    .as_object()
    .unwrap()
    .clone()
}

pub fn task(id: &str, status: &str, instance_arn: &str) -> Task {
    Task {
        definition: json!({
            "ReplicationTaskIdentifier": id,
            "ReplicationTaskArn": format!("arn:aws:dms:ap-northeast-1:123456789012:task:{}", id.to_uppercase()),
            "ReplicationInstanceArn": instance_arn,
            "SourceEndpointArn": "arn:aws:dms:ap-northeast-1:123456789012:endpoint:SRC",
            "TargetEndpointArn": "arn:aws:dms:ap-northeast-1:123456789012:endpoint:TGT",
            "MigrationType": "full-load-and-cdc",
            "TableMappings": format!("{{\"rules\":[{{\"rule-name\":\"{id}\"}}]}}"),
            "ReplicationTaskSettings": "{\"Logging\":{\"EnableLogging\":true}}",
            "CdcStartPosition": null,
            "TaskData": null,
            "Status": status,
            "FullLoadProgressPercent": 42,
            "Tags": [{"Key": "task", "Value": id}],
        })
        .as_object()
        .unwrap()
        .clone(),
        polls_left: 0,
        then: None,
    }
}

fn err(kind: ApiErrorKind, op: &str, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(kind, op, code, message)
}

impl Recorded for FakeDms {
    fn calls(&self) -> &CallLog {
        &self.calls
    }
}

impl FakeDms {
    /// `dms1`, public, with the given tasks (id, status).
    pub fn with_public_instance(tasks: &[(&str, &str)]) -> Self {
        let config = public_instance();
        let arn = config["ReplicationInstanceArn"]
            .as_str()
            .unwrap()
            .to_owned();
        FakeDms {
            instances: Mutex::new(vec![Instance {
                config,
                tags: json!([{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "data-team"}]),
                polls_left: 0,
            }]),
            tasks: Mutex::new(tasks.iter().map(|(id, s)| task(id, s, &arn)).collect()),
            endpoints: Mutex::new(Vec::new()),
            certificates: Mutex::new(Vec::new()),
            calls: CallLog::default(),
            polls: 2,
            next_id: Mutex::new(0),
        }
    }

    /// The instance `dms1` (private) and one endpoint: the source of both tasks `t1`
    /// (running) and `t2` (stopped).
    pub fn with_endpoint(engine: &str, kind: &str) -> Self {
        let dms = Self::with_public_instance(&[("t1", "running"), ("t2", "stopped")]);
        dms.instances.lock().unwrap()[0]
            .config
            .insert("PubliclyAccessible".into(), json!(false));
        dms.endpoints.lock().unwrap().push(EndpointState {
            id: "ep1".into(),
            arn: "arn:aws:dms:ap-northeast-1:123456789012:endpoint:SRC".into(),
            kind: kind.into(),
            engine: engine.into(),
            ssl_mode: "none".into(),
            certificate: None,
            test_fails: None,
            refuse_test: false,
            connection: None,
        });
        dms.certificates.lock().unwrap().push((
            "rds-ca".into(),
            "arn:aws:dms:ap-northeast-1:123456789012:cert:RDSCA".into(),
            String::new(),
        ));
        dms
    }

    pub fn endpoint(&self) -> EndpointState {
        self.endpoints.lock().unwrap()[0].clone()
    }

    fn endpoint_json(&self) -> Value {
        use hubfix::actions::dms_endpoints::{SslSupport, ssl_support};
        let e = self.endpoint();
        let support = ssl_support(&e.engine, &e.kind);
        let modes: &[&str] = match &support {
            SslSupport::Modes(m) => m,
            _ => &[],
        };
        json!({
            "EndpointIdentifier": e.id, "EndpointArn": e.arn, "EndpointType": e.kind,
            "EngineName": e.engine, "ServerName": "db.internal", "Port": 5432, "DatabaseName": "app",
            "Status": "active", "SslMode": e.ssl_mode, "CertificateArn": e.certificate,
            "SupportedSslModes": modes, "Covered": support != SslSupport::NotCovered,
            "RedshiftTarget": support == SslSupport::RedshiftTarget,
        })
    }

    fn endpoint_call(
        &self,
        op: &str,
        name: &str,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let text = |k: &str| {
            params
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        match name {
            "dms.describe_endpoint" => Ok(self.endpoint_json()),
            "dms.describe_certificates" => {
                let options: Vec<Value> = self
                    .certificates
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(id, arn, _)| json!({"value": arn, "label": id}))
                    .collect();
                Ok(json!({"Options": options, "Count": options.len()}))
            }
            "dms.list_available_instances" => {
                let options: Vec<Value> = self
                    .instances()
                    .iter()
                    .filter(|i| i.status() == "available")
                    .map(|i| json!({"value": i.arn(), "label": i.config["ReplicationInstanceIdentifier"]}))
                    .collect();
                Ok(json!({"Options": options, "Count": options.len()}))
            }
            "dms.describe_endpoint_tasks" => {
                self.tick();
                let arn = text("EndpointArn");
                let instance = self.instances()[0].arn().to_owned();
                let mut view = self.describe_tasks(&instance);
                view["EndpointArn"] = json!(arn);
                Ok(view)
            }
            "dms.import_certificate" => {
                let pem = text("CertificatePem");
                let id = text("CertificateIdentifier");
                let arn = format!(
                    "arn:aws:dms:ap-northeast-1:123456789012:cert:{}",
                    id.to_uppercase()
                );
                self.certificates
                    .lock()
                    .unwrap()
                    .push((id.clone(), arn.clone(), pem));
                Ok(json!({"CertificateArn": arn, "CertificateIdentifier": id}))
            }
            "dms.modify_endpoint_ssl" => {
                let mode = text("SslMode");
                let cert = params
                    .get("CertificateArn")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let mut endpoints = self.endpoints.lock().unwrap();
                let e = &mut endpoints[0];
                if mode.starts_with("verify") && cert.is_none() && e.certificate.is_none() {
                    return Err(err(
                        ApiErrorKind::Invalid,
                        op,
                        "InvalidParameterValueException",
                        "a CA certificate is needed",
                    ));
                }
                e.ssl_mode = mode;
                if cert.is_some() {
                    e.certificate = cert;
                }
                drop(endpoints);
                Ok(self.endpoint_json())
            }
            "dms.test_connection" => {
                if self.endpoint().refuse_test {
                    return Err(err(
                        ApiErrorKind::InvalidState,
                        op,
                        "InvalidResourceStateFault",
                        "the instance is not available",
                    ));
                }
                self.endpoints.lock().unwrap()[0].connection = Some(("testing".into(), self.polls));
                Ok(json!({"Status": "testing"}))
            }
            "dms.describe_connection" => {
                let mut endpoints = self.endpoints.lock().unwrap();
                let e = &mut endpoints[0];
                let Some((status, left)) = e.connection.clone() else {
                    return Err(err(
                        ApiErrorKind::NotFound,
                        op,
                        "ResourceNotFoundFault",
                        "no connection",
                    ));
                };
                let status = if left > 0 {
                    e.connection = Some((status, left - 1));
                    "testing".to_owned()
                } else if e.test_fails.is_some() {
                    "failed".to_owned()
                } else {
                    "successful".to_owned()
                };
                let message = if status == "failed" {
                    e.test_fails.clone()
                } else {
                    None
                };
                Ok(json!({"Status": status, "LastFailureMessage": message}))
            }
            other => panic!("the DMS double has no {other}"),
        }
    }

    pub fn instances(&self) -> Vec<Instance> {
        self.instances.lock().unwrap().clone()
    }

    pub fn tasks(&self) -> Vec<Task> {
        self.tasks.lock().unwrap().clone()
    }

    /// Moves every transition one describe on; finished deletions disappear.
    fn tick(&self) {
        let mut instances = self.instances.lock().unwrap();
        for i in instances.iter_mut() {
            if i.polls_left > 0 {
                i.polls_left -= 1;
            } else if i.status() == "creating" {
                i.set_status("available", 0);
            }
        }
        instances.retain(|i| !(i.status() == "deleting" && i.polls_left == 0));
        let mut tasks = self.tasks.lock().unwrap();
        for t in tasks.iter_mut() {
            if t.polls_left > 0 {
                t.polls_left -= 1;
            } else if let Some(then) = t.then.take() {
                t.definition.insert("Status".into(), json!(then));
                if let Some(target) = t.definition.remove("TargetReplicationInstanceArn") {
                    t.definition.insert("ReplicationInstanceArn".into(), target);
                }
            }
        }
        tasks.retain(|t| !(t.status() == "deleting" && t.polls_left == 0 && t.then.is_none()));
    }

    fn instance(&self, op: &str, which: &str) -> Result<Instance, ApiError> {
        self.instances
            .lock()
            .unwrap()
            .iter()
            .find(|i| i.arn() == which || i.config["ReplicationInstanceIdentifier"] == which)
            .cloned()
            .ok_or_else(|| {
                err(
                    ApiErrorKind::NotFound,
                    op,
                    "ResourceNotFoundFault",
                    format!("No replication instance found: {which}"),
                )
            })
    }

    fn describe_tasks(&self, instance_arn: &str) -> Value {
        let tasks: Vec<Task> = self
            .tasks()
            .into_iter()
            .filter(|t| t.instance() == instance_arn)
            .collect();
        let running: Vec<&Task> = tasks.iter().filter(|t| t.status() == "running").collect();
        let state = if tasks.is_empty() {
            "none"
        } else if tasks.iter().any(|t| {
            ["creating", "deleting", "moving", "starting", "stopping"].contains(&t.status())
        }) {
            "changing"
        } else if !running.is_empty() {
            "running"
        } else {
            "stopped"
        };
        json!({
            "Tasks": tasks.iter().map(|t| Value::Object(t.definition.clone())).collect::<Vec<_>>(),
            "Count": tasks.len(),
            "Arns": tasks.iter().map(Task::arn).collect::<Vec<_>>(),
            "Identifiers": tasks.iter().map(Task::id).collect::<Vec<_>>(),
            "RunningArns": running.iter().map(|t| t.arn()).collect::<Vec<_>>(),
            "RunningIdentifiers": running.iter().map(|t| t.id()).collect::<Vec<_>>(),
            "State": state,
            "Summary": tasks.iter().map(|t| format!("{}: {}", t.id(), t.status())).collect::<Vec<_>>().join("\n"),
        })
    }

    /// Changes one task by ARN; the answer is the task as the change call gives it.
    fn with_task<F: FnOnce(&mut Task) -> Result<(), ApiError>>(
        &self,
        op: &str,
        arn: &str,
        f: F,
    ) -> Result<Value, ApiError> {
        let mut tasks = self.tasks.lock().unwrap();
        let Some(t) = tasks.iter_mut().find(|t| t.arn() == arn) else {
            return Err(err(
                ApiErrorKind::NotFound,
                op,
                "ResourceNotFoundFault",
                format!("no task {arn}"),
            ));
        };
        f(t)?;
        Ok(
            json!({"ReplicationTaskIdentifier": t.id(), "ReplicationTaskArn": t.arn(), "Status": t.status()}),
        )
    }

    fn create_instance(&self, op: &str, p: &Map<String, Value>) -> Result<Value, ApiError> {
        let id = p["ReplicationInstanceIdentifier"].as_str().unwrap();
        if self.instance(op, id).is_ok() {
            return Err(err(
                ApiErrorKind::Invalid,
                op,
                "ResourceAlreadyExistsFault",
                "ReplicationInstance Already Exists",
            ));
        }
        let mut n = self.next_id.lock().unwrap();
        *n += 1;
        let mut config = public_instance();
        for (k, v) in p {
            if k != "Tags" {
                config.insert(k.clone(), v.clone());
            }
        }
        config.insert(
            "ReplicationInstanceArn".into(),
            json!(format!(
                "arn:aws:dms:ap-northeast-1:123456789012:rep:NEW{n}"
            )),
        );
        config.insert("PublicIpAddresses".into(), json!([]));
        let mut instance = Instance {
            config,
            tags: p.get("Tags").cloned().unwrap_or(json!([])),
            polls_left: 0,
        };
        instance.set_status("creating", self.polls);
        let out = Value::Object(instance.config.clone());
        self.instances.lock().unwrap().push(instance);
        Ok(out)
    }
}

#[async_trait]
impl Api for FakeDms {
    async fn call(
        &self,
        action: &'static ActionSpec,
        _region: Option<&str>,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let op = action.operation;
        self.calls.record(op, Value::Object(params.clone()));
        let text = |k: &str| params[k].as_str().unwrap_or_default().to_owned();
        let busy = |m: String| {
            err(
                ApiErrorKind::InvalidState,
                op,
                "InvalidResourceStateFault",
                m,
            )
        };
        match action.name {
            "dms.describe_replication_instance" => {
                self.tick();
                Ok(Value::Object(
                    self.instance(op, &text("ReplicationInstance"))?.config,
                ))
            }
            "dms.list_tags" => Ok(json!({"Tags": self.instance(op, &text("ResourceArn"))?.tags})),
            "dms.describe_instance_tasks" => {
                self.tick();
                Ok(self.describe_tasks(&text("ReplicationInstanceArn")))
            }
            "dms.stop_replication_task" => {
                let polls = self.polls;
                let done = self.with_task(op, &text("ReplicationTaskArn"), |t| {
                    if t.status() != "running" {
                        return Err(busy(format!("task {} is not running", t.id())));
                    }
                    t.go("stopping", Some("stopped"), polls);
                    Ok(())
                })?;
                Ok(done)
            }
            "dms.delete_replication_task" => {
                let polls = self.polls;
                self.with_task(op, &text("ReplicationTaskArn"), |t| {
                    if t.status() == "running" {
                        return Err(busy(format!("task {} is running", t.id())));
                    }
                    t.go("deleting", None, polls);
                    Ok(())
                })
            }
            "dms.delete_replication_instance" => {
                let arn = text("ReplicationInstanceArn");
                if self.tasks().iter().any(|t| t.instance() == arn) {
                    return Err(busy("the instance still has replication tasks".into()));
                }
                let mut instances = self.instances.lock().unwrap();
                let i = instances
                    .iter_mut()
                    .find(|i| i.arn() == arn)
                    .ok_or_else(|| {
                        err(
                            ApiErrorKind::NotFound,
                            op,
                            "ResourceNotFoundFault",
                            "no instance",
                        )
                    })?;
                i.set_status("deleting", self.polls);
                Ok(Value::Object(i.config.clone()))
            }
            "dms.create_replication_instance" => self.create_instance(op, params),
            "dms.create_replication_task" => {
                let instance = text("ReplicationInstanceArn");
                let id = text("ReplicationTaskIdentifier");
                if self.tasks().iter().any(|t| t.id() == id) {
                    return Err(err(
                        ApiErrorKind::Invalid,
                        op,
                        "ResourceAlreadyExistsFault",
                        "the task already exists",
                    ));
                }
                let mut t = task(&id, "creating", &instance);
                for (k, v) in params {
                    t.definition.insert(k.clone(), v.clone());
                }
                t.definition.insert(
                    "ReplicationTaskArn".into(),
                    json!(format!("{}-NEW", t.arn())),
                );
                t.definition
                    .insert("FullLoadProgressPercent".into(), json!(0));
                t.go("creating", Some("ready"), self.polls);
                let out = json!({"ReplicationTaskIdentifier": id, "ReplicationTaskArn": t.arn(), "Status": "creating"});
                self.tasks.lock().unwrap().push(t);
                Ok(out)
            }
            "dms.move_replication_task" => {
                let target = text("TargetReplicationInstanceArn");
                if self.instance(op, &target)?.status() != "available" {
                    return Err(busy("the target instance is not available".into()));
                }
                let polls = self.polls;
                self.with_task(op, &text("ReplicationTaskArn"), |t| {
                    if !["stopped", "ready", "failed"].contains(&t.status()) {
                        return Err(busy(format!("task {} is {}", t.id(), t.status())));
                    }
                    // As on DMS, the task stays on its instance until the move is done.
                    t.definition
                        .insert("TargetReplicationInstanceArn".into(), json!(target));
                    t.go("moving", Some("stopped"), polls);
                    Ok(())
                })
            }
            "dms.start_replication_task" => {
                let kind = text("StartReplicationTaskType");
                self.with_task(op, &text("ReplicationTaskArn"), |t| {
                    if t.status() == "running" {
                        return Err(busy(format!("task {} is running", t.id())));
                    }
                    t.definition.insert("StartedWith".into(), json!(kind));
                    t.go("running", None, 0);
                    Ok(())
                })
            }
            other => self.endpoint_call(op, other, params),
        }
    }
}
