"""DMS: the answers, states and refusals of AWS DMS, for DMS.1 and DMS.9.

Why: with moto 5.2 the Rust SDK cannot parse a single DMS answer with a
timestamp (moto writes ISO strings, the JSON protocol wants epoch seconds); a
describe with no match is an empty list where AWS answers ResourceNotFoundFault
(so the `replication_instance_deleted` waiter never ends); an instance with
tasks can be deleted; a recreated instance keeps its ARN; instances and tasks
change state at once or never; endpoints stay `creating`; ModifyEndpoint,
ImportCertificate, DescribeCertificates, AddTagsToResource, MoveReplicationTask
are missing (HTTP 500) and a second TestConnection of a pair is a 500. hubfix's
DMS.1 fix (delete + recreate, or create + move + delete) and DMS.9 fix
(ModifyEndpoint SslMode, ImportCertificate, TestConnection) go through all of it.

Here every DMS answer has epoch-second timestamps and no nulls; each action
below is reimplemented on moto's backend and models and checked as AWS does.
Transitions: the action's answer shows the transitional status, so do the
next N describes that show the resource (N from POST /hubfix-test/config;
0 = done at once), the describe after them shows the end state:
  instance  creating -> available          dms_create_polls (2)
            deleting -> gone               dms_delete_polls (2)
  task      creating -> ready, starting -> running     1 describe (0 if dms_task_polls is 0)
            stopping -> stopped, deleting -> gone, moving -> stopped on the target  dms_task_polls (2)
  connection testing -> successful | failed  dms_connection_polls (2); failed while
            POST /hubfix-test/dms-connection-fails says so for the endpoint (and, with
            `from_private` or `replication_instance`, for the instance tested from)
Every DMS request runs under state.lock. moto's state manager no longer drives
DMS instance and connection states.
"""

import json
import uuid
from datetime import datetime, timezone

import botocore.session
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from moto.core.utils import utcnow
from moto.dms.exceptions import (
    DmsClientError,
    InvalidResourceStateFault,
    ResourceAlreadyExistsFault,
    ResourceNotFoundFault,
)
from moto.dms.models import (
    Endpoint,
    FakeConnection,
    FakeReplicationInstance,
    FakeReplicationSubnetGroup,
    FakeReplicationTask,
)
from moto.dms.responses import DatabaseMigrationServiceResponse as DmsResponse
from moto.dms.utils import random_id
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models import ec2_backends

from . import state

DEFAULT_ENGINE_VERSION = "3.5.3"
DEFAULT_MAINTENANCE_WINDOW = "sun:06:00-sun:06:30"
SSL_MODES = ("none", "require", "verify-ca", "verify-full")
DEFAULT_TASK_SETTINGS = json.dumps({
    "TargetMetadata": {"TargetSchema": "", "SupportLobs": True, "LimitedSizeLobMode": True, "LobMaxSize": 32},
    "FullLoadSettings": {"TargetTablePrepMode": "DO_NOTHING", "MaxFullLoadSubTasks": 8},
    "Logging": {"EnableLogging": False},
})
NEW_TASK_STATS = {"FullLoadProgressPercent": 0, "ElapsedTimeMillis": 0, "TablesLoaded": 0, "TablesLoading": 0,
                  "TablesQueued": 0, "TablesErrored": 0, "FullLoadFinishDate": None}
RUNNING_TASK_STATS = {"FullLoadProgressPercent": 42, "ElapsedTimeMillis": 61000, "TablesLoaded": 2,
                      "TablesLoading": 1, "TablesQueued": 2, "TablesErrored": 0, "FullLoadFinishDate": None}
DEFAULT_CONNECTION_FAILURE = "Cannot connect to ODBC provider: network error has occurred, timeout expired"
# ModifyEndpoint parameter -> Endpoint attribute (moto's names).
ENDPOINT_FIELDS = {
    "EndpointType": "endpoint_type", "EngineName": "engine_name", "Username": "username", "Password": "password",
    "ServerName": "server_name", "Port": "port", "DatabaseName": "database_name",
    "ExtraConnectionAttributes": "extra_connection_attributes", "CertificateArn": "certificate_arn",
    "SslMode": "ssl_mode", "ServiceAccessRoleArn": "service_access_role_arn",
    "ExternalTableDefinition": "external_table_definition",
}
ENDPOINT_SETTINGS = {
    "DynamoDbSettings": "dynamo_db_settings", "S3Settings": "s3_settings",
    "DmsTransferSettings": "dms_transfer_settings", "MongoDbSettings": "mongo_db_settings",
    "KinesisSettings": "kinesis_settings", "KafkaSettings": "kafka_settings",
    "ElasticsearchSettings": "elasticsearch_settings", "NeptuneSettings": "neptune_settings",
    "RedshiftSettings": "redshift_settings", "PostgreSQLSettings": "postgre_sql_settings",
    "MySQLSettings": "my_sql_settings", "OracleSettings": "oracle_settings", "SybaseSettings": "sybase_settings",
    "MicrosoftSQLServerSettings": "microsoft_sql_server_settings", "IBMDb2Settings": "ibm_db2_settings",
    "DocDbSettings": "doc_db_settings", "RedisSettings": "redis_settings",
    "GcpMySQLSettings": "gcp_my_sql_settings", "TimestreamSettings": "timestream_settings",
}
# Describe filters: name -> the values of a resource that the filter's values are matched against.
INSTANCE_FILTERS = {
    "replication-instance-id": lambda i: [i.id],
    "replication-instance-arn": lambda i: [i.arn],
    "replication-instance-class": lambda i: [i.replication_instance_class],
    "engine-version": lambda i: [i.engine_version],
}
TASK_FILTERS = {
    "replication-task-arn": lambda t: [t.arn],
    "replication-task-id": lambda t: [t.id],
    "migration-type": lambda t: [t.migration_type],
    "replication-instance-arn": lambda t: [t.replication_instance_arn],
    "endpoint-arn": lambda t: [t.source_endpoint_arn, t.target_endpoint_arn],
}
ENDPOINT_FILTERS = {
    "endpoint-arn": lambda e: [e.endpoint_arn],
    "endpoint-id": lambda e: [e.endpoint_identifier],
    "endpoint-type": lambda e: [e.endpoint_type, e.endpoint_type.upper()],
    "engine-name": lambda e: [e.engine_name],
}
CERTIFICATE_FILTERS = {
    "certificate-id": lambda c: [c["CertificateIdentifier"]],
    "certificate-arn": lambda c: [c["CertificateArn"]],
}
CONNECTION_FILTERS = {
    "endpoint-arn": lambda c: [c.endpoint_arn],
    "replication-instance-arn": lambda c: [c.replication_instance_arn],
}

_original_call_action = DmsResponse.call_action
_original_create_endpoint = DmsResponse.create_endpoint
_original_delete_endpoint = DmsResponse.delete_endpoint
_original_list_tags = DmsResponse.list_tags_for_resource
_original_instance_dict = FakeReplicationInstance.to_dict
_original_task_dict = FakeReplicationTask.to_dict
_original_endpoint_dict = Endpoint.to_dict
_original_subnet_group_dict = FakeReplicationSubnetGroup.to_dict
_original_connection_dict = FakeConnection.to_dict


# --- wire format -------------------------------------------------------------

def _timestamp_keys():
    """Every member name that is a timestamp in the DMS API model."""
    model = botocore.session.get_session().get_service_model("dms")
    shapes = (model.shape_for(name) for name in model.shape_names)
    return frozenset(member_name for shape in shapes if shape.type_name == "structure"
                     for member_name, member in shape.members.items() if member.type_name == "timestamp")


TIMESTAMP_KEYS = _timestamp_keys()


def _epoch(text):
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _to_wire(value, key=None):
    """Epoch seconds for ISO timestamps, nulls left out, as AWS sends them."""
    if isinstance(value, dict):
        return {k: _to_wire(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_to_wire(v) for v in value]
    if key in TIMESTAMP_KEYS and isinstance(value, str):
        return _epoch(value)
    return value


def call_action(self):
    with state.lock:
        status, headers, body = _original_call_action(self)
    try:
        body = json.dumps(_to_wire(json.loads(body)))
    except (TypeError, ValueError):
        return status, headers, body
    headers["Content-Type"] = "application/x-amz-json-1.1"
    return status, headers, body


# --- transitions and describes -----------------------------------------------

def _polls(key):
    return int(state.config[key])


def _begin(resource, status, polls, then):
    """Show `status` now and for the next `polls` describes, then run then(resource)."""
    resource.status = status
    resource.hubfix_then, resource.hubfix_polls_left = then, polls


def _settle(resource):
    """Run the resource's pending `then` once its describes are used up."""
    then = getattr(resource, "hubfix_then", None)
    if then is not None and resource.hubfix_polls_left <= 0:
        resource.hubfix_then = None
        then(resource)


def _become(status):
    def then(resource):
        resource.status = status
    return then


def _respond(key, resource):
    """The answer of an action that began a transition; with 0 polls it is done at once."""
    body = json.dumps({key: resource.to_dict()})
    _settle(resource)
    return body


def _matches(resource, filters, table):
    for f in filters:
        if f.get("Name") not in table:
            raise DmsClientError("InvalidParameterValueException", f"Invalid filter name: {f.get('Name')}")
        if not set(table[f["Name"]](resource)) & set(f.get("Values") or []):
            return False
    return True


def _describe(self, resources, table, noun):
    """Resources matching the request's Filters (ANDed, values ORed), one describe counted for each."""
    for resource in resources():
        _settle(resource)
    shown = [r for r in resources() if _matches(r, self._get_param("Filters") or [], table)]
    if not shown:
        raise ResourceNotFoundFault(f"No {noun} found matching provided filters")
    for resource in shown:
        if getattr(resource, "hubfix_then", None) is not None:
            resource.hubfix_polls_left -= 1
    return shown


# --- lookups -------------------------------------------------------------------

def _arn(self, kind):
    return f"arn:aws:dms:{self.region}:{self.current_account}:{kind}:{random_id(True, 26)}"


def _instance(backend, arn):
    if arn not in backend.replication_instances:
        raise ResourceNotFoundFault(f"Replication instance {arn} not found")
    return backend.replication_instances[arn]


def _available(instance):
    if instance.status != "available":
        raise InvalidResourceStateFault(
            f"Replication instance {instance.id} is not in available state (status: {instance.status})")
    return instance


def _task(backend, arn):
    if arn not in backend.replication_tasks:
        raise ResourceNotFoundFault(f"Replication task {arn} not found")
    return backend.replication_tasks[arn]


def _endpoint(backend, arn):
    for endpoint in backend.endpoints.values():
        if endpoint.endpoint_arn == arn:
            return endpoint
    raise ResourceNotFoundFault(f"Endpoint {arn} not found")


def _certificates(backend):
    """Certificates by identifier; kept on the backend so moto's reset drops them."""
    return backend.__dict__.setdefault("hubfix_certificates", {})


def _certificate(backend, arn):
    for certificate in _certificates(backend).values():
        if certificate["CertificateArn"] == arn:
            return certificate
    raise ResourceNotFoundFault(f"Certificate {arn} not found")


def _require_resource(backend, arn):
    known = {*backend.replication_instances, *backend.replication_tasks,
             *(e.endpoint_arn for e in backend.endpoints.values()),
             *(c["CertificateArn"] for c in _certificates(backend).values())}
    if arn not in known:
        raise ResourceNotFoundFault(f"Resource {arn} not found")


def _tasks_on(backend, instance_arn):
    return [t for t in backend.replication_tasks.values()
            if instance_arn in (t.replication_instance_arn, t.hubfix_move_target)]


# --- subnet groups -------------------------------------------------------------

def _subnet(ec2, subnet_id):
    try:
        return ec2.get_subnet(subnet_id)
    except InvalidSubnetIdError:
        raise DmsClientError("InvalidSubnet", f"Subnet {subnet_id} does not exist") from None


def create_replication_subnet_group(self):
    ec2 = ec2_backends[self.current_account][self.region]
    subnets = [_subnet(ec2, subnet_id) for subnet_id in self._get_param("SubnetIds") or []]
    if len({s.vpc_id for s in subnets}) > 1:
        raise DmsClientError("InvalidSubnet", "The subnets of a replication subnet group must be in one VPC")
    if len({s.availability_zone for s in subnets}) < 2:
        raise DmsClientError("ReplicationSubnetGroupDoesNotCoverEnoughAZs",
                             "The replication subnet group does not cover enough Availability Zones (at least 2)")
    group = self.dms_backend.create_replication_subnet_group(
        replication_subnet_group_identifier=self._get_param("ReplicationSubnetGroupIdentifier"),
        replication_subnet_group_description=self._get_param("ReplicationSubnetGroupDescription"),
        subnet_ids=[s.id for s in subnets],
        tags=self._get_param("Tags"),
    )
    group.hubfix_vpc_id = subnets[0].vpc_id
    group.hubfix_subnets = [{"SubnetIdentifier": s.id, "SubnetAvailabilityZone": {"Name": s.availability_zone},
                             "SubnetStatus": "Active"} for s in subnets]
    return json.dumps({"ReplicationSubnetGroup": group.to_dict()})


def _subnet_group_dict(self):
    result = _original_subnet_group_dict(self)
    result.update(VpcId=self.hubfix_vpc_id, Subnets=self.hubfix_subnets)
    return result


# --- replication instances -----------------------------------------------------

def _zones(self, group):
    if group is None:
        return [f"{self.region}a", f"{self.region}c"]
    return sorted({s["SubnetAvailabilityZone"]["Name"] for s in group.hubfix_subnets})


def _default_kms_key(self):
    """The account's aws/dms key, the same ARN on every call as on AWS."""
    key_id = uuid.uuid5(uuid.NAMESPACE_URL, f"aws/dms:{self.current_account}:{self.region}")
    return f"arn:aws:kms:{self.region}:{self.current_account}:key/{key_id}"


def _security_groups(self, group):
    """The ids given, else (in a subnet group) its VPC's default security group, as AWS does."""
    given = self._get_param("VpcSecurityGroupIds")
    if given or group is None:
        return given
    default = ec2_backends[self.current_account][self.region].get_default_security_group(group.hubfix_vpc_id)
    return [default.id] if default else None


def create_replication_instance(self):
    backend, param = self.dms_backend, self._get_param
    identifier = param("ReplicationInstanceIdentifier").lower()  # AWS stores it lower-case
    if any(i.id == identifier for i in backend.replication_instances.values()):
        raise ResourceAlreadyExistsFault(f"Replication instance {identifier} already exists")
    group_id = param("ReplicationSubnetGroupIdentifier")
    if group_id is not None and group_id not in backend.replication_subnet_groups:
        raise ResourceNotFoundFault(f"Replication subnet group {group_id} not found")
    group = backend.replication_subnet_groups.get(group_id)
    multi_az = bool(param("MultiAZ", False))
    if multi_az and param("AvailabilityZone"):
        raise DmsClientError("InvalidParameterCombinationException",
                             "You can't set the AvailabilityZone parameter if the MultiAZ parameter is set to true")
    zones = _zones(self, group)
    zone = param("AvailabilityZone") or zones[0]
    instance = FakeReplicationInstance(
        replication_instance_identifier=identifier,
        replication_instance_class=param("ReplicationInstanceClass"),
        account_id=self.current_account,
        region_name=self.region,
        allocated_storage=param("AllocatedStorage"),
        vpc_security_group_ids=_security_groups(self, group),
        availability_zone=zone,
        replication_subnet_group_identifier=group_id,
        preferred_maintenance_window=param("PreferredMaintenanceWindow") or DEFAULT_MAINTENANCE_WINDOW,
        multi_az=multi_az,
        engine_version=param("EngineVersion") or DEFAULT_ENGINE_VERSION,
        auto_minor_version_upgrade=param("AutoMinorVersionUpgrade", True),
        kms_key_id=param("KmsKeyId") or _default_kms_key(self),
        publicly_accessible=param("PubliclyAccessible", True),
        dns_name_servers=param("DnsNameServers"),
        network_type=param("NetworkType") or "IPV4",
        kerberos_authentication_settings=param("KerberosAuthenticationSettings"),
    )
    instance.arn = _arn(self, "rep")  # a new ARN each time, even for a reused identifier
    instance.hubfix_subnet_group = group
    instance.hubfix_secondary_zone = next((z for z in zones if z != zone), None) if multi_az else None
    backend.replication_instances[instance.arn] = instance
    backend.tagger.tag_resource(instance.arn, param("Tags"))
    _begin(instance, "creating", _polls("dms_create_polls"), _become("available"))
    return _respond("ReplicationInstance", instance)


def _instance_dict(self):
    result = _original_instance_dict(self)
    result["ReplicationSubnetGroup"] = self.hubfix_subnet_group.to_dict() if self.hubfix_subnet_group else None
    result["SecondaryAvailabilityZone"] = self.hubfix_secondary_zone
    return result


def describe_replication_instances(self):
    backend = self.dms_backend
    shown = _describe(self, lambda: list(backend.replication_instances.values()), INSTANCE_FILTERS,
                      "replication instance")
    return json.dumps({"ReplicationInstances": [i.to_dict() for i in shown]})


# ModifyReplicationInstance parameters the emulator applies, by attribute; any other is refused.
INSTANCE_CHANGES = {"ReplicationInstanceClass": "replication_instance_class",
                    "AllocatedStorage": "allocated_storage",
                    "PreferredMaintenanceWindow": "preferred_maintenance_window",
                    "AutoMinorVersionUpgrade": "auto_minor_version_upgrade"}


def modify_replication_instance(self):
    """Applies a class, storage, window or minor-upgrade change at once (ApplyImmediately must be
    true: changes held for the maintenance window are not emulated, never silently dropped); the
    instance shows `modifying` for the next `dms_create_polls` describes."""
    backend, param = self.dms_backend, self._get_param
    instance = _available(_instance(backend, param("ReplicationInstanceArn")))
    given = {k for k in json.loads(self.body or "{}") if k != "ReplicationInstanceArn"}
    unsupported = given - set(INSTANCE_CHANGES) - {"ApplyImmediately"}
    if unsupported:
        raise DmsClientError("InvalidParameterValueException",
                             f"the emulator does not apply {', '.join(sorted(unsupported))}")
    if not param("ApplyImmediately"):
        raise DmsClientError("InvalidParameterValueException",
                             "the emulator applies modifications only with ApplyImmediately=true")
    for name, attr in INSTANCE_CHANGES.items():
        if param(name) is not None:
            setattr(instance, attr, param(name))
    _begin(instance, "modifying", _polls("dms_create_polls"), _become("available"))
    return _respond("ReplicationInstance", instance)


def _remove_instance(backend):
    def then(instance):
        del backend.replication_instances[instance.arn]
        backend.tagger.delete_all_tags_for_resource(instance.arn)
        backend.connections[:] = [c for c in backend.connections if c.replication_instance_arn != instance.arn]
    return then


def delete_replication_instance(self):
    backend = self.dms_backend
    instance = _instance(backend, self._get_param("ReplicationInstanceArn"))
    if _tasks_on(backend, instance.arn):
        raise InvalidResourceStateFault(
            f"Replication instance {instance.id} has replication tasks; delete or move them first")
    _available(instance)
    _begin(instance, "deleting", _polls("dms_delete_polls"), _remove_instance(backend))
    return _respond("ReplicationInstance", instance)


# --- replication tasks ---------------------------------------------------------

def _task_polls(first=False):
    """Polls of a task transition; creating and starting show for one describe at most."""
    polls = _polls("dms_task_polls")
    return min(polls, 1) if first else polls


def create_replication_task(self):
    backend, param = self.dms_backend, self._get_param
    identifier = param("ReplicationTaskIdentifier")
    if any(t.id == identifier for t in backend.replication_tasks.values()):
        raise ResourceAlreadyExistsFault(f"Replication task {identifier} already exists")
    instance = _available(_instance(backend, param("ReplicationInstanceArn")))
    for arn in (param("SourceEndpointArn"), param("TargetEndpointArn")):
        _endpoint(backend, arn)
    task = FakeReplicationTask(
        replication_task_identifier=identifier,
        migration_type=param("MigrationType"),
        replication_instance_arn=instance.arn,
        source_endpoint_arn=param("SourceEndpointArn"),
        target_endpoint_arn=param("TargetEndpointArn"),
        table_mappings=param("TableMappings"),
        replication_task_settings=param("ReplicationTaskSettings") or DEFAULT_TASK_SETTINGS,
        account_id=self.current_account,
        region_name=self.region,
    )
    task.arn = _arn(self, "task")
    task.hubfix_cdc_start_position = param("CdcStartPosition")
    task.hubfix_move_target = None
    task.hubfix_stats = dict(NEW_TASK_STATS)
    backend.replication_tasks[task.arn] = task
    backend.tagger.tag_resource(task.arn, param("Tags"))
    _begin(task, "creating", _task_polls(first=True), _become("ready"))
    return _respond("ReplicationTask", task)


def _task_dict(self):
    result = _original_task_dict(self)
    result.update(CdcStartPosition=self.hubfix_cdc_start_position, TargetReplicationInstanceArn=self.hubfix_move_target)
    result["ReplicationTaskStats"].update(self.hubfix_stats)
    return result


def describe_replication_tasks(self):
    backend = self.dms_backend
    shown = _describe(self, lambda: list(backend.replication_tasks.values()), TASK_FILTERS, "replication task")
    tasks = [t.to_dict() for t in shown]
    if self._get_param("WithoutSettings"):
        for task in tasks:
            del task["TableMappings"], task["ReplicationTaskSettings"]
    return json.dumps({"ReplicationTasks": tasks})


def _task_in(task, *statuses):
    if task.status not in statuses:
        raise InvalidResourceStateFault(
            f"Replication task {task.id} is {task.status}; expected one of {list(statuses)}")


def _run(task):
    task.status = "running"
    if task.hubfix_stats == NEW_TASK_STATS:
        task.hubfix_stats = dict(RUNNING_TASK_STATS)


def start_replication_task(self):
    backend = self.dms_backend
    task = _task(backend, self._get_param("ReplicationTaskArn"))
    _task_in(task, "ready", "stopped", "failed")
    _available(_instance(backend, task.replication_instance_arn))
    task.start_date = utcnow()
    _begin(task, "starting", _task_polls(first=True), _run)
    return _respond("ReplicationTask", task)


def _stopped(task):
    task.status = "stopped"
    task.stop_date = utcnow()


def stop_replication_task(self):
    task = _task(self.dms_backend, self._get_param("ReplicationTaskArn"))
    _task_in(task, "running")
    _begin(task, "stopping", _task_polls(), _stopped)
    return _respond("ReplicationTask", task)


def _remove_task(backend):
    def then(task):
        del backend.replication_tasks[task.arn]
        backend.tagger.delete_all_tags_for_resource(task.arn)
    return then


def delete_replication_task(self):
    backend = self.dms_backend
    task = _task(backend, self._get_param("ReplicationTaskArn"))
    _task_in(task, "ready", "stopped", "failed")
    _begin(task, "deleting", _task_polls(), _remove_task(backend))
    return _respond("ReplicationTask", task)


def _moved(task):
    task.replication_instance_arn, task.hubfix_move_target = task.hubfix_move_target, None
    task.status = "stopped"


def move_replication_task(self):
    backend = self.dms_backend
    task = _task(backend, self._get_param("ReplicationTaskArn"))
    target = _instance(backend, self._get_param("TargetReplicationInstanceArn"))
    _task_in(task, "ready", "stopped", "failed")
    _available(target)
    task.hubfix_move_target = target.arn
    _begin(task, "moving", _task_polls(), _moved)
    return _respond("ReplicationTask", task)


# --- endpoints and certificates ------------------------------------------------

def _check_ssl(backend, mode, certificate_arn):
    if mode not in SSL_MODES:
        raise DmsClientError("InvalidParameterValueException", f"Invalid SslMode {mode}; valid: {list(SSL_MODES)}")
    if certificate_arn is not None:
        _certificate(backend, certificate_arn)
    if mode in ("verify-ca", "verify-full") and certificate_arn is None:
        raise DmsClientError("InvalidParameterValueException", f"SslMode {mode} requires a CertificateArn")


def create_endpoint(self):
    backend, identifier = self.dms_backend, self._get_param("EndpointIdentifier")
    if identifier in backend.endpoints:
        raise ResourceAlreadyExistsFault(f"Endpoint {identifier} already exists")
    _check_ssl(backend, self._get_param("SslMode") or "none", self._get_param("CertificateArn"))
    _original_create_endpoint(self)
    endpoint = backend.endpoints[identifier]
    endpoint.status, endpoint.ssl_mode = "active", endpoint.ssl_mode or "none"
    return json.dumps({"Endpoint": endpoint.to_dict()})


def _endpoint_dict(self):
    result = _original_endpoint_dict(self)
    result["EndpointType"] = self.endpoint_type.upper()
    return result


def describe_endpoints(self):
    backend = self.dms_backend
    shown = _describe(self, lambda: list(backend.endpoints.values()), ENDPOINT_FILTERS, "endpoint")
    return json.dumps({"Endpoints": [e.to_dict() for e in shown]})


def _endpoint_changes(self, endpoint):
    """Attribute -> new value; *Settings merge into the current ones unless ExactSettings."""
    changes = {attr: self._get_param(name) for name, attr in ENDPOINT_FIELDS.items()
               if self._get_param(name) is not None}
    for name, attr in ENDPOINT_SETTINGS.items():
        value = self._get_param(name)
        if value is not None:
            changes[attr] = value if self._get_param("ExactSettings") else {**(getattr(endpoint, attr) or {}), **value}
    return changes


def modify_endpoint(self):
    backend = self.dms_backend
    endpoint = _endpoint(backend, self._get_param("EndpointArn"))
    changes = _endpoint_changes(self, endpoint)
    _check_ssl(backend, changes.get("ssl_mode", endpoint.ssl_mode),
               changes.get("certificate_arn", endpoint.certificate_arn))
    identifier = self._get_param("EndpointIdentifier") or endpoint.endpoint_identifier
    if identifier != endpoint.endpoint_identifier:
        if identifier in backend.endpoints:
            raise ResourceAlreadyExistsFault(f"Endpoint {identifier} already exists")
        backend.endpoints[identifier] = backend.endpoints.pop(endpoint.endpoint_identifier)
        endpoint.endpoint_identifier = identifier
    for attr, value in changes.items():
        setattr(endpoint, attr, value)
    return json.dumps({"Endpoint": endpoint.to_dict()})


def delete_endpoint(self):
    backend = self.dms_backend
    endpoint = _endpoint(backend, self._get_param("EndpointArn"))
    tasks = backend.replication_tasks.values()
    if any(endpoint.endpoint_arn in (t.source_endpoint_arn, t.target_endpoint_arn) for t in tasks):
        raise InvalidResourceStateFault(f"Endpoint {endpoint.endpoint_identifier} is used by replication tasks")
    return _original_delete_endpoint(self)


def _certificate_details(pem):
    """ValidFromDate, ValidToDate, SigningAlgorithm, KeyLength of the first certificate of a PEM chain."""
    invalid = DmsClientError("InvalidCertificateFault", "The certificate is not a valid PEM encoded X.509 certificate")
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise invalid
    try:
        certificate = x509.load_pem_x509_certificates(pem.encode())[0]
    except ValueError:
        raise invalid from None
    key = certificate.public_key()
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise invalid
    kind = "RSA" if isinstance(key, rsa.RSAPublicKey) else "ECDSA"
    return {
        "ValidFromDate": certificate.not_valid_before_utc.isoformat(),
        "ValidToDate": certificate.not_valid_after_utc.isoformat(),
        "SigningAlgorithm": f"{certificate.signature_hash_algorithm.name.upper()}with{kind}",
        "KeyLength": key.key_size,
    }


def import_certificate(self):
    backend, identifier = self.dms_backend, self._get_param("CertificateIdentifier")
    certificates = _certificates(backend)
    if identifier in certificates:
        raise ResourceAlreadyExistsFault(f"Certificate {identifier} already exists")
    pem = self._get_param("CertificatePem") or ""
    certificate = {
        "CertificateIdentifier": identifier,
        "CertificateCreationDate": utcnow().isoformat(),
        "CertificatePem": pem,
        "CertificateArn": _arn(self, "cert"),
        "CertificateOwner": self.current_account,
        **_certificate_details(pem),
    }
    certificates[identifier] = certificate
    backend.tagger.tag_resource(certificate["CertificateArn"], self._get_param("Tags"))
    return json.dumps({"Certificate": certificate})


def describe_certificates(self):
    certificates = _certificates(self.dms_backend)
    shown = _describe(self, lambda: list(certificates.values()), CERTIFICATE_FILTERS, "certificate")
    return json.dumps({"Certificates": shown})


def delete_certificate(self):
    backend = self.dms_backend
    certificate = _certificate(backend, self._get_param("CertificateArn"))
    if any(e.certificate_arn == certificate["CertificateArn"] for e in backend.endpoints.values()):
        raise InvalidResourceStateFault(f"Certificate {certificate['CertificateIdentifier']} is used by an endpoint")
    del _certificates(backend)[certificate["CertificateIdentifier"]]
    backend.tagger.delete_all_tags_for_resource(certificate["CertificateArn"])
    return json.dumps({"Certificate": certificate})


# --- connections ---------------------------------------------------------------

def _tested(failure):
    def then(connection):
        connection.status = "failed" if failure else "successful"
        connection.hubfix_failure = failure
    return then


def test_connection(self):
    backend = self.dms_backend
    instance = _available(_instance(backend, self._get_param("ReplicationInstanceArn")))
    endpoint = _endpoint(backend, self._get_param("EndpointArn"))
    pair = (instance.arn, endpoint.endpoint_arn)
    backend.connections[:] = [c for c in backend.connections if (c.replication_instance_arn, c.endpoint_arn) != pair]
    connection = FakeConnection(instance.arn, endpoint.endpoint_arn, instance.id, endpoint.endpoint_identifier)
    connection.hubfix_failure = None
    backend.connections.append(connection)
    _begin(connection, "testing", _polls("dms_connection_polls"), _tested(state.take_dms_connection_failure(
        pair[1], instance.arn, instance.id, instance.publicly_accessible)))
    return _respond("Connection", connection)


def _connection_dict(self):
    result = _original_connection_dict(self)
    result["LastFailureMessage"] = self.hubfix_failure
    return result


def describe_connections(self):
    backend = self.dms_backend
    shown = _describe(self, lambda: list(backend.connections), CONNECTION_FILTERS, "connection")
    return json.dumps({"Connections": [c.to_dict() for c in shown]})


# --- tags ------------------------------------------------------------------------

def add_tags_to_resource(self):
    _require_resource(self.dms_backend, self._get_param("ResourceArn"))
    self.dms_backend.tagger.tag_resource(self._get_param("ResourceArn"), self._get_param("Tags") or [])
    return "{}"


def remove_tags_from_resource(self):
    _require_resource(self.dms_backend, self._get_param("ResourceArn"))
    self.dms_backend.tagger.untag_resource_using_names(self._get_param("ResourceArn"), self._get_param("TagKeys") or [])
    return "{}"


def list_tags_for_resource(self):
    if self._get_param("ResourceArn"):
        _require_resource(self.dms_backend, self._get_param("ResourceArn"))
    return _original_list_tags(self)


def _plain_status():
    """A status that is what was last set: moto's state manager would move it on by itself."""
    return property(lambda self: self._status, lambda self, value: setattr(self, "_status", value))


def apply():
    DmsResponse.call_action = call_action
    for action in (create_replication_subnet_group, create_replication_instance, describe_replication_instances,
                   delete_replication_instance, modify_replication_instance, create_replication_task, describe_replication_tasks,
                   start_replication_task, stop_replication_task, delete_replication_task, move_replication_task,
                   create_endpoint, describe_endpoints, modify_endpoint, delete_endpoint, import_certificate,
                   describe_certificates, delete_certificate, test_connection, describe_connections,
                   add_tags_to_resource, remove_tags_from_resource, list_tags_for_resource):
        setattr(DmsResponse, action.__name__, action)
    FakeReplicationInstance.to_dict = _instance_dict
    FakeReplicationTask.to_dict = _task_dict
    Endpoint.to_dict = _endpoint_dict
    FakeReplicationSubnetGroup.to_dict = _subnet_group_dict
    FakeConnection.to_dict = _connection_dict
    FakeReplicationInstance.status = _plain_status()
    FakeConnection.status = _plain_status()
