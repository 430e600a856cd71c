//! An in-memory DMS for engine tests, at the level of hubfix's DMS calls: instances that are
//! `creating` and `deleting` for a set number of describes, tasks that stop, delete, move and
//! start the same way, and AWS's refusals (an instance with tasks cannot be deleted, an
//! identifier cannot be reused before the old instance is gone, a recreated instance gets a
//! new ARN, `aws:` tags and the log group DMS made are refused on create).
//!
//! Its state is what the SDK would return (`ReplicationInstance`, `ReplicationTask`, ...), and
//! every answer is that state passed through the conversion hubfix's own adapters use: the
//! double never writes the JSON the runbooks read.

use crate::double::{CallLog, Recorded};
use async_trait::async_trait;
use aws_sdk_databasemigration::types::{
    Certificate, Connection, DmsSslModeValue, Endpoint, KerberosAuthenticationSettings,
    MigrationTypeValue, ReplicationEndpointTypeValue, ReplicationInstance, ReplicationSubnetGroup,
    ReplicationTask, ReplicationTaskStats, Tag, VpcSecurityGroupMembership,
};
use hubfix::actions::{ActionSpec, Api, Params, dms, dms_endpoints};
use hubfix::aws::{ApiError, ApiErrorKind};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Debug, Clone)]
pub struct Instance {
    /// The instance as DescribeReplicationInstances gives it.
    pub described: ReplicationInstance,
    pub tags: Vec<Tag>,
    pub polls_left: usize,
}

impl Instance {
    pub fn arn(&self) -> &str {
        self.described.replication_instance_arn().unwrap()
    }
    pub fn id(&self) -> &str {
        self.described.replication_instance_identifier().unwrap()
    }
    pub fn status(&self) -> &str {
        self.described.replication_instance_status().unwrap()
    }
    /// The instance as hubfix's describe shows it.
    pub fn shown(&self) -> Value {
        dms::instance_json(&self.described)
    }
    fn set_status(&mut self, status: &str, polls: usize) {
        self.described.replication_instance_status = Some(status.into());
        self.polls_left = polls;
    }
}

#[derive(Debug, Clone)]
pub struct Task {
    /// The task as DescribeReplicationTasks gives it.
    pub described: ReplicationTask,
    pub tags: Vec<Tag>,
    pub polls_left: usize,
    /// The status a transition ends in (`None`: the task is gone).
    pub then: Option<String>,
    /// The instance a move in progress takes the task to.
    pub moving_to: Option<String>,
    /// The StartReplicationTaskType it was last started with.
    pub started_with: Option<String>,
}

impl Task {
    pub fn id(&self) -> &str {
        self.described.replication_task_identifier().unwrap()
    }
    pub fn arn(&self) -> &str {
        self.described.replication_task_arn().unwrap()
    }
    pub fn instance(&self) -> &str {
        self.described.replication_instance_arn().unwrap()
    }
    pub fn status(&self) -> &str {
        self.described.status().unwrap()
    }
    fn go(&mut self, now: &str, then: Option<&str>, polls: usize) {
        self.described.status = Some(now.into());
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

impl EndpointState {
    /// The endpoint as DescribeEndpoints gives it.
    fn described(&self) -> Endpoint {
        Endpoint::builder()
            .endpoint_identifier(&self.id)
            .endpoint_arn(&self.arn)
            .endpoint_type(ReplicationEndpointTypeValue::from(self.kind.as_str()))
            .engine_name(&self.engine)
            .server_name("db.internal")
            .port(5432)
            .database_name("app")
            .status("active")
            .ssl_mode(DmsSslModeValue::from(self.ssl_mode.as_str()))
            .set_certificate_arn(self.certificate.clone())
            .build()
    }
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
    /// Connection tests of endpoints the double does not model (DMS.1's): (instance ARN,
    /// endpoint ARN) → describes left before the result.
    pub tests: Mutex<BTreeMap<(String, String), usize>>,
    /// Endpoints the instances being tested cannot reach, with DMS's message.
    pub unreachable: Mutex<BTreeMap<String, String>>,
}

pub const ZONE: &str = "ap-northeast-1a";
const VPC: &str = "vpc-0abc";
pub const SOURCE: &str = "arn:aws:dms:ap-northeast-1:123456789012:endpoint:SRC";
pub const TARGET: &str = "arn:aws:dms:ap-northeast-1:123456789012:endpoint:TGT";

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// The public instance `dms1` with every setting DMS.1 must carry over.
pub fn public_instance() -> ReplicationInstance {
    let group = |id: &str| {
        VpcSecurityGroupMembership::builder()
            .vpc_security_group_id(id)
            .status("active")
            .build()
    };
    ReplicationInstance::builder()
        .replication_instance_identifier("dms1")
        .replication_instance_arn("arn:aws:dms:ap-northeast-1:123456789012:rep:ORIGINAL")
        .replication_instance_status("available")
        .replication_instance_class("dms.t3.medium")
        .allocated_storage(50)
        .engine_version("3.5.3")
        .auto_minor_version_upgrade(false)
        .multi_az(false)
        .availability_zone(ZONE)
        .replication_subnet_group(subnet_group("dms-subnets"))
        .vpc_security_groups(group("sg-0002"))
        .vpc_security_groups(group("sg-0001"))
        .kms_key_id("arn:aws:kms:ap-northeast-1:123456789012:key/k1")
        .preferred_maintenance_window("sun:06:00-sun:06:30")
        .dns_name_servers("10.0.0.2")
        .network_type("IPV4")
        .publicly_accessible(true)
        .replication_instance_public_ip_addresses("203.0.113.10")
        .build()
}

fn subnet_group(id: &str) -> ReplicationSubnetGroup {
    ReplicationSubnetGroup::builder()
        .replication_subnet_group_identifier(id)
        .vpc_id(VPC)
        .build()
}

fn task_arn(id: &str) -> String {
    format!(
        "arn:aws:dms:ap-northeast-1:123456789012:task:{}",
        id.to_uppercase()
    )
}

/// A full-load-and-CDC task 42% loaded, with the log group and stream DMS made for it.
pub fn task(id: &str, status: &str, instance_arn: &str) -> Task {
    let described = ReplicationTask::builder()
        .replication_task_identifier(id)
        .replication_task_arn(task_arn(id))
        .replication_instance_arn(instance_arn)
        .source_endpoint_arn(SOURCE)
        .target_endpoint_arn(TARGET)
        .migration_type(MigrationTypeValue::FullLoadAndCdc)
        .table_mappings(format!("{{\"rules\":[{{\"rule-name\":\"{id}\"}}]}}"))
        .replication_task_settings(format!(
            "{{\"Logging\":{{\"CloudWatchLogGroup\":\"dms-tasks-dms1\",\"CloudWatchLogStream\":\"dms-task-{}\",\"EnableLogging\":true}}}}",
            id.to_uppercase()
        ))
        .status(status)
        .replication_task_stats(
            ReplicationTaskStats::builder()
                .full_load_progress_percent(42)
                .build(),
        )
        .build();
    Task {
        described,
        tags: vec![tag("task", id)],
        polls_left: 0,
        then: None,
        moving_to: None,
        started_with: None,
    }
}

fn err(kind: ApiErrorKind, op: &str, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(kind, op, code, message)
}

fn invalid(op: &str, message: impl Into<String>) -> ApiError {
    err(
        ApiErrorKind::Invalid,
        op,
        "InvalidParameterValueException",
        message,
    )
}

/// The tags of a create request; DMS refuses the `aws:` prefix.
fn requested_tags(op: &str, p: &Params<'_>) -> Result<Vec<Tag>, ApiError> {
    let mut tags = Vec::new();
    for t in p.objects("Tags")? {
        let Some(key) = t.get("Key").and_then(Value::as_str) else {
            return Err(invalid(op, "a tag needs a Key"));
        };
        if key.starts_with("aws:") {
            return Err(invalid(op, format!("the tag key `{key}` is reserved")));
        }
        tags.push(tag(
            key,
            t.get("Value").and_then(Value::as_str).unwrap_or_default(),
        ));
    }
    Ok(tags)
}

impl Recorded for FakeDms {
    fn calls(&self) -> &CallLog {
        &self.calls
    }
}

impl FakeDms {
    /// `dms1`, public, with the given tasks (id, status).
    pub fn with_public_instance(tasks: &[(&str, &str)]) -> Self {
        let described = public_instance();
        let arn = described.replication_instance_arn().unwrap().to_owned();
        FakeDms {
            instances: Mutex::new(vec![Instance {
                described,
                // An `aws:` tag is AWS's own: never carried over. (Not the stack's name: that
                // one makes DMS.1 ask whether to change a stack's resource.)
                tags: vec![
                    tag("owner", "data-team"),
                    tag("aws:cloudformation:logical-id", "ReplicationInstance"),
                    tag("env", "prod"),
                ],
                polls_left: 0,
            }]),
            tasks: Mutex::new(tasks.iter().map(|(id, s)| task(id, s, &arn)).collect()),
            endpoints: Mutex::new(Vec::new()),
            certificates: Mutex::new(Vec::new()),
            calls: CallLog::default(),
            polls: 2,
            next_id: Mutex::new(0),
            tests: Mutex::new(BTreeMap::new()),
            unreachable: Mutex::new(BTreeMap::new()),
        }
    }

    /// The instance `dms1` (private) and one endpoint: the source of both tasks `t1`
    /// (running) and `t2` (stopped).
    pub fn with_endpoint(engine: &str, kind: &str) -> Self {
        let dms = Self::with_public_instance(&[("t1", "running"), ("t2", "stopped")]);
        let mut instances = dms.instances.lock().unwrap();
        instances[0].described.publicly_accessible = false;
        instances[0]
            .described
            .replication_instance_public_ip_addresses = None;
        drop(instances);
        dms.endpoints.lock().unwrap().push(EndpointState {
            id: "ep1".into(),
            arn: SOURCE.into(),
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

    /// Connection tests of the endpoint fail with `message` (for DMS.1: from the new
    /// private instance, the only one it tests from).
    pub fn unreachable(self, endpoint: &str, message: &str) -> Self {
        self.unreachable
            .lock()
            .unwrap()
            .insert(endpoint.to_owned(), message.to_owned());
        self
    }

    /// A test of an endpoint the double does not model, from an available instance.
    fn test_from(&self, op: &str, p: &Params<'_>) -> Result<Value, ApiError> {
        let instance = self.instance(op, &p.string("ReplicationInstanceArn")?)?;
        if instance.status() != "available" {
            return Err(err(
                ApiErrorKind::InvalidState,
                op,
                "InvalidResourceStateFault",
                "the instance is not available",
            ));
        }
        let endpoint = p.string("EndpointArn")?;
        self.tests
            .lock()
            .unwrap()
            .insert((instance.arn().to_owned(), endpoint.clone()), self.polls);
        let started = Connection::builder()
            .status("testing")
            .endpoint_arn(endpoint)
            .replication_instance_arn(instance.arn())
            .build();
        Ok(dms_endpoints::test_connection_json(Some(&started)))
    }

    /// The tests of these endpoints from one instance, each a describe nearer its result.
    fn tests_of(&self, p: &Params<'_>) -> Result<Value, ApiError> {
        let instance = p.string("ReplicationInstanceArn")?;
        let endpoints = p.strings("EndpointArns")?;
        let mut tests = self.tests.lock().unwrap();
        let unreachable = self.unreachable.lock().unwrap();
        let mut found = Vec::new();
        for e in &endpoints {
            let Some(left) = tests.get_mut(&(instance.clone(), e.clone())) else {
                continue;
            };
            let status = if *left > 0 {
                *left -= 1;
                "testing"
            } else if unreachable.contains_key(e) {
                "failed"
            } else {
                "successful"
            };
            found.push(
                Connection::builder()
                    .status(status)
                    .set_last_failure_message(
                        unreachable.get(e).cloned().filter(|_| status == "failed"),
                    )
                    .endpoint_arn(e)
                    .endpoint_identifier(e.rsplit(':').next().unwrap_or_default().to_lowercase())
                    .replication_instance_arn(&instance)
                    .build(),
            );
        }
        let named = p.objects("Endpoints")?;
        Ok(dms_endpoints::connections_json(
            &instance, &endpoints, &found, &named,
        ))
    }

    pub fn endpoint(&self) -> EndpointState {
        self.endpoints.lock().unwrap()[0].clone()
    }

    fn endpoint_call(
        &self,
        action: &'static ActionSpec,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let op = action.operation;
        let p = Params::new(action, params);
        match action.name {
            "dms.describe_endpoint" => {
                Ok(dms_endpoints::endpoint_json(&self.endpoint().described()))
            }
            "dms.describe_certificates" => {
                let certificates: Vec<Certificate> = self
                    .certificates
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(id, arn, pem)| {
                        Certificate::builder()
                            .certificate_identifier(id)
                            .certificate_arn(arn)
                            .certificate_pem(pem)
                            .build()
                    })
                    .collect();
                Ok(dms_endpoints::certificate_options(&certificates))
            }
            "dms.list_available_instances" => {
                let instances: Vec<ReplicationInstance> =
                    self.instances().into_iter().map(|i| i.described).collect();
                Ok(dms_endpoints::instance_options(&instances))
            }
            "dms.describe_endpoint_tasks" => {
                self.tick();
                let arn = p.string("EndpointArn")?;
                Ok(self.describe_tasks(|t| {
                    t.described.source_endpoint_arn() == Some(arn.as_str())
                        || t.described.target_endpoint_arn() == Some(arn.as_str())
                }))
            }
            "dms.import_certificate" => {
                let pem = p.string("CertificatePem")?;
                let id = p.string("CertificateIdentifier")?;
                let arn = format!(
                    "arn:aws:dms:ap-northeast-1:123456789012:cert:{}",
                    id.to_uppercase()
                );
                self.certificates
                    .lock()
                    .unwrap()
                    .push((id.clone(), arn.clone(), pem.clone()));
                let imported = Certificate::builder()
                    .certificate_identifier(&id)
                    .certificate_arn(arn)
                    .certificate_pem(pem)
                    .build();
                Ok(dms_endpoints::imported_json(&id, Some(&imported), false))
            }
            "dms.modify_endpoint_ssl" => {
                let mode = p.string("SslMode")?;
                let cert = p.opt_string("CertificateArn")?;
                let mut endpoints = self.endpoints.lock().unwrap();
                let e = &mut endpoints[0];
                if mode.starts_with("verify") && cert.is_none() && e.certificate.is_none() {
                    return Err(invalid(op, "a CA certificate is needed"));
                }
                e.ssl_mode = mode;
                if cert.is_some() {
                    e.certificate = cert;
                }
                Ok(dms_endpoints::endpoint_json(&e.described()))
            }
            "dms.test_connection"
                if !self.endpoints.lock().unwrap().iter().any(|e| {
                    Some(e.arn.as_str()) == p.value("EndpointArn").and_then(Value::as_str)
                }) =>
            {
                self.test_from(op, &p)
            }
            "dms.describe_connections" => self.tests_of(&p),
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
                let started = Connection::builder()
                    .status("testing")
                    .endpoint_arn(p.string("EndpointArn")?)
                    .replication_instance_arn(p.string("ReplicationInstanceArn")?)
                    .build();
                Ok(dms_endpoints::test_connection_json(Some(&started)))
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
                    "testing"
                } else if e.test_fails.is_some() {
                    "failed"
                } else {
                    "successful"
                };
                let connection = Connection::builder()
                    .status(status)
                    .set_last_failure_message(e.test_fails.clone().filter(|_| status == "failed"))
                    .endpoint_arn(&e.arn)
                    .replication_instance_arn(p.string("ReplicationInstanceArn")?)
                    .build();
                Ok(dms_endpoints::connection_json(&connection))
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
                t.described.status = Some(then);
                if let Some(target) = t.moving_to.take() {
                    t.described.replication_instance_arn = Some(target);
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
            .find(|i| i.arn() == which || i.id() == which)
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

    /// The tasks `which` picks, as hubfix's task describes show them.
    fn describe_tasks(&self, which: impl Fn(&Task) -> bool) -> Value {
        let tasks: Vec<(ReplicationTask, Vec<Tag>)> = self
            .tasks()
            .into_iter()
            .filter(|t| which(t))
            .map(|t| (t.described, t.tags))
            .collect();
        let endpoints: Vec<Endpoint> = self
            .endpoints
            .lock()
            .unwrap()
            .iter()
            .map(EndpointState::described)
            .collect();
        dms::tasks_json(&tasks, &endpoints)
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
        Ok(dms::changed_task(Some(&t.described)))
    }

    fn create_instance(
        &self,
        action: &'static ActionSpec,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let op = action.operation;
        let p = Params::new(action, params);
        let id = p.string("ReplicationInstanceIdentifier")?;
        if self.instance(op, &id).is_ok() {
            return Err(err(
                ApiErrorKind::Invalid,
                op,
                "ResourceAlreadyExistsFault",
                "ReplicationInstance Already Exists",
            ));
        }
        let multi_az = p.opt_bool("MultiAZ")?;
        let zone = p.opt_string("AvailabilityZone")?;
        if multi_az == Some(true) && zone.is_some() {
            return Err(invalid(
                op,
                "AvailabilityZone cannot be set for a Multi-AZ instance",
            ));
        }
        let tags = requested_tags(op, &p)?;
        let kerberos = p.opt_object("KerberosAuthenticationSettings")?.map(|k| {
            let text = |key: &str| k.get(key).and_then(Value::as_str).map(str::to_owned);
            KerberosAuthenticationSettings::builder()
                .set_key_cache_secret_id(text("KeyCacheSecretId"))
                .set_key_cache_secret_iam_arn(text("KeyCacheSecretIamArn"))
                .set_krb5_file_contents(text("Krb5FileContents"))
                .build()
        });
        let groups: Vec<VpcSecurityGroupMembership> = p
            .strings("VpcSecurityGroupIds")?
            .into_iter()
            .map(|g| {
                VpcSecurityGroupMembership::builder()
                    .vpc_security_group_id(g)
                    .status("active")
                    .build()
            })
            .collect();
        // DMS makes an instance public unless told otherwise.
        let public = p.opt_bool("PubliclyAccessible")?.unwrap_or(true);
        let mut n = self.next_id.lock().unwrap();
        *n += 1;
        let described = ReplicationInstance::builder()
            .replication_instance_identifier(id)
            .replication_instance_arn(format!(
                "arn:aws:dms:ap-northeast-1:123456789012:rep:NEW{n}"
            ))
            .replication_instance_class(p.string("ReplicationInstanceClass")?)
            .set_allocated_storage(p.opt_int("AllocatedStorage")?)
            .set_engine_version(p.opt_string("EngineVersion")?)
            .set_auto_minor_version_upgrade(p.opt_bool("AutoMinorVersionUpgrade")?)
            .set_multi_az(multi_az)
            .set_availability_zone(zone)
            .set_replication_subnet_group(
                p.opt_string("ReplicationSubnetGroupIdentifier")?
                    .map(|g| subnet_group(&g)),
            )
            .set_vpc_security_groups(Some(groups))
            .set_kms_key_id(p.opt_string("KmsKeyId")?)
            .set_preferred_maintenance_window(p.opt_string("PreferredMaintenanceWindow")?)
            .set_dns_name_servers(p.opt_string("DnsNameServers")?)
            .set_network_type(p.opt_string("NetworkType")?)
            .set_kerberos_authentication_settings(kerberos)
            .publicly_accessible(public)
            .set_replication_instance_public_ip_addresses(
                public.then(|| vec!["203.0.113.99".to_owned()]),
            )
            .build();
        let mut instance = Instance {
            described,
            tags,
            polls_left: 0,
        };
        instance.set_status("creating", self.polls);
        let out = instance.shown();
        self.instances.lock().unwrap().push(instance);
        Ok(out)
    }

    fn create_task(
        &self,
        action: &'static ActionSpec,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let op = action.operation;
        let p = Params::new(action, params);
        let id = p.string("ReplicationTaskIdentifier")?;
        if self.tasks().iter().any(|t| t.id() == id) {
            return Err(err(
                ApiErrorKind::Invalid,
                op,
                "ResourceAlreadyExistsFault",
                "the task already exists",
            ));
        }
        let settings = p.opt_string("ReplicationTaskSettings")?;
        // DMS names the log group and stream of a new task itself.
        if settings
            .as_deref()
            .is_some_and(|s| s.contains("CloudWatchLogGroup") || s.contains("CloudWatchLogStream"))
        {
            return Err(invalid(
                op,
                "CloudWatchLogGroup and CloudWatchLogStream cannot be set",
            ));
        }
        let tags = requested_tags(op, &p)?;
        let described = ReplicationTask::builder()
            .replication_task_arn(format!("{}-NEW", task_arn(&id)))
            .replication_task_identifier(id)
            .replication_instance_arn(p.string("ReplicationInstanceArn")?)
            .source_endpoint_arn(p.string("SourceEndpointArn")?)
            .target_endpoint_arn(p.string("TargetEndpointArn")?)
            .migration_type(MigrationTypeValue::from(
                p.string("MigrationType")?.as_str(),
            ))
            .table_mappings(p.string("TableMappings")?)
            .set_replication_task_settings(settings)
            .set_cdc_start_position(p.opt_string("CdcStartPosition")?)
            .set_task_data(p.opt_string("TaskData")?)
            .build();
        let mut t = Task {
            described,
            tags,
            polls_left: 0,
            then: None,
            moving_to: None,
            started_with: None,
        };
        t.go("creating", Some("ready"), self.polls);
        let out = dms::changed_task(Some(&t.described));
        self.tasks.lock().unwrap().push(t);
        Ok(out)
    }
}

#[async_trait]
impl Api for FakeDms {
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
        self.calls.record(op, Value::Object(params.clone()));
        let p = Params::new(action, params);
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
                Ok(self
                    .instance(op, &p.string("ReplicationInstance")?)?
                    .shown())
            }
            "dms.list_tags" => {
                let arn = p.string("ResourceArn")?;
                // The double's endpoints carry no tags.
                if self.endpoints.lock().unwrap().iter().any(|e| e.arn == arn) {
                    return Ok(dms::list_tags_json(&[]));
                }
                Ok(dms::list_tags_json(&self.instance(op, &arn)?.tags))
            }
            "dms.describe_instance_tasks" => {
                self.tick();
                let instance = p.string("ReplicationInstanceArn")?;
                Ok(self.describe_tasks(|t| t.instance() == instance))
            }
            "dms.stop_replication_task" => {
                let polls = self.polls;
                self.with_task(op, &p.string("ReplicationTaskArn")?, |t| {
                    if t.status() != "running" {
                        return Err(busy(format!("task {} is not running", t.id())));
                    }
                    t.go("stopping", Some("stopped"), polls);
                    Ok(())
                })
            }
            "dms.delete_replication_task" => {
                let polls = self.polls;
                self.with_task(op, &p.string("ReplicationTaskArn")?, |t| {
                    if t.status() == "running" {
                        return Err(busy(format!("task {} is running", t.id())));
                    }
                    t.go("deleting", None, polls);
                    Ok(())
                })
            }
            "dms.delete_replication_instance" => {
                let arn = p.string("ReplicationInstanceArn")?;
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
                Ok(i.shown())
            }
            "dms.create_replication_instance" => self.create_instance(action, params),
            "dms.create_replication_task" => self.create_task(action, params),
            "dms.move_replication_task" => {
                let target = p.string("TargetReplicationInstanceArn")?;
                if self.instance(op, &target)?.status() != "available" {
                    return Err(busy("the target instance is not available".into()));
                }
                let polls = self.polls;
                self.with_task(op, &p.string("ReplicationTaskArn")?, |t| {
                    if !["stopped", "ready", "failed"].contains(&t.status()) {
                        return Err(busy(format!("task {} is {}", t.id(), t.status())));
                    }
                    // As on DMS, the task stays on its instance until the move is done.
                    t.moving_to = Some(target);
                    t.go("moving", Some("stopped"), polls);
                    Ok(())
                })
            }
            "dms.start_replication_task" => {
                let kind = p.string("StartReplicationTaskType")?;
                self.with_task(op, &p.string("ReplicationTaskArn")?, |t| {
                    if t.status() == "running" {
                        return Err(busy(format!("task {} is running", t.id())));
                    }
                    t.started_with = Some(kind);
                    t.go("running", None, 0);
                    Ok(())
                })
            }
            _ => self.endpoint_call(action, params),
        }
    }
}
