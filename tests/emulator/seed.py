#!/usr/bin/env python3
"""Seed the emulator with a demo account for hubfix.

    python3 tests/emulator/seed.py --endpoint-url http://127.0.0.1:PORT [--region ap-northeast-1]
        [--only redshift,dms] [--account ID] [--stack NAME]

Enables Security Hub, creates the resources of each seeder in SEEDERS and
imports their findings. To seed another control (DMS, ElastiCache, ...) write
one `seed_<service>(aws) -> list of findings` function and add it to SEEDERS.
With --stack every failing resource carries the tag CloudFormation puts on what
a stack creates (aws:cloudformation:stack-name = NAME).
"""

import argparse
import json
import os
import secrets
import uuid
from datetime import datetime, timezone

import boto3

ACCOUNT = "123456789012"
STACK_TAG = "aws:cloudformation:stack-name"


class Aws:
    """boto3 clients for one endpoint and region, and finding construction."""

    def __init__(self, endpoint_url, region, account=None, stack=None):
        self.endpoint_url, self.region = endpoint_url, region
        self.account = account or ACCOUNT
        self.stack = stack
        self.credentials = {}
        if account:
            # A member account: moto keeps accounts apart by the credentials AssumeRole gives.
            sts = boto3.client("sts", endpoint_url=endpoint_url, region_name=region)
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/seeder", RoleSessionName="seeder")["Credentials"]
            self.credentials = {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
                                "aws_session_token": c["SessionToken"]}

    def client(self, service):
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region, **self.credentials)

    def stack_tags(self, failing=True):
        """The CloudFormation tag for a failing resource when seeding with --stack, else none."""
        return [{"Key": STACK_TAG, "Value": self.stack}] if self.stack and failing else []

    def finding(self, control, title, resource_type, resource_id, status="FAILED", workflow="NEW", details=None):
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "SchemaVersion": "2018-10-08",
            "Id": f"arn:aws:securityhub:{self.region}:{self.account}:security-control/{control}/finding/{uuid.uuid4()}",
            "ProductArn": f"arn:aws:securityhub:{self.region}::product/aws/securityhub",
            "GeneratorId": f"security-control/{control}",
            "AwsAccountId": self.account,
            "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
            "CreatedAt": now,
            "UpdatedAt": now,
            "Severity": {"Label": "MEDIUM" if status == "FAILED" else "INFORMATIONAL"},
            "Title": title,
            "Description": f"This control checks: {title}.",
            "Compliance": {"Status": status, "SecurityControlId": control},
            "RecordState": "ACTIVE",
            "Workflow": {"Status": workflow},
            "Region": self.region,
            "Resources": [{"Type": resource_type, "Id": resource_id, "Region": self.region, "Partition": "aws",
                           **({"Details": details} if details else {})}],
        }


def redshift_network(aws, cidr="10.0.0.0/16"):
    """A VPC that meets enhanced VPC routing's prerequisites: DNS resolution and DNS hostnames
    enabled, one subnet whose route table (the VPC's main one) a gateway VPC endpoint for S3 in
    the region serves. Returns (vpc, subnet, route table, endpoint)."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    prefix = cidr.rsplit(".", 2)[0]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{prefix}.1.0/24",
                               AvailabilityZone=f"{aws.region}a")["Subnet"]["SubnetId"]
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{aws.region}.s3",
                                       VpcEndpointType="Gateway",
                                       RouteTableIds=[main["RouteTableId"]])["VpcEndpoint"]["VpcEndpointId"]
    return vpc, subnet, main["RouteTableId"], endpoint


def seed_redshift(aws):
    """Redshift.7: enhanced VPC routing. One fixable cluster, one compliant, one suppressed, in a
    VPC that meets the prerequisites (see redshift_network)."""
    redshift = aws.client("redshift")
    vpc, subnet, table, endpoint = redshift_network(aws)
    print(f"vpc {vpc}: DNS resolution and hostnames on; subnet {subnet} -> route table {table} -> S3 endpoint {endpoint}")
    redshift.create_cluster_subnet_group(
        ClusterSubnetGroupName="hubfix-demo", Description="hubfix demo", SubnetIds=[subnet]
    )
    title = "Amazon Redshift clusters should use enhanced VPC routing"
    clusters = {
        "test-redshift-cluster": (False, "FAILED", "NEW"),
        "compliant-redshift-cluster": (True, "PASSED", "RESOLVED"),
        "legacy-redshift-cluster": (False, "FAILED", "SUPPRESSED"),
    }
    findings = []
    for name, (evr, status, workflow) in clusters.items():
        redshift.create_cluster(
            ClusterIdentifier=name,
            NodeType="ra3.xlplus",
            ClusterType="single-node",
            MasterUsername="admin",
            MasterUserPassword="Password1",
            ClusterSubnetGroupName="hubfix-demo",
            EnhancedVpcRouting=evr,
            Tags=aws.stack_tags(status == "FAILED"),
        )
        arn = f"arn:aws:redshift:{aws.region}:{aws.account}:cluster:{name}"
        findings.append(aws.finding("Redshift.7", title, "AwsRedshiftCluster", arn, status, workflow))
        print(f"redshift cluster {name} (EnhancedVpcRouting={evr}) in {vpc}")
    return findings


def seed_elasticache(aws):
    """ElastiCache.6: Redis AUTH below 6.0. One group with TLS (AUTH only), one without TLS (upgrade to 7.x, TLS, then AUTH),
    one 6.x (out of scope), one with AUTH (compliant)."""
    ec2, elasticache = aws.client("ec2"), aws.client("elasticache")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", AvailabilityZone=f"{aws.region}a")["Subnet"]["SubnetId"]
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="hubfix-demo-cache", CacheSubnetGroupDescription="hubfix demo", SubnetIds=[subnet]
    )
    title = "ElastiCache (Redis OSS) replication groups of earlier versions should have Redis OSS AUTH enabled"
    groups = {  # id: (engine version, TLS, AUTH, compliance)
        "demo-redis-tls": ("5.0.6", True, False, "FAILED"),
        "demo-redis-plain": ("5.0.6", False, False, "FAILED"),
        "demo-redis-6": ("6.2.6", True, False, "PASSED"),
        "demo-redis-auth": ("5.0.6", True, True, "PASSED"),
    }
    findings = []
    for name, (version, tls, auth, status) in groups.items():
        elasticache.create_replication_group(
            ReplicationGroupId=name,
            ReplicationGroupDescription="hubfix demo",
            Engine="redis",
            EngineVersion=version,
            CacheNodeType="cache.t3.micro",
            NumCacheClusters=2,
            CacheSubnetGroupName="hubfix-demo-cache",
            TransitEncryptionEnabled=tls,
            AtRestEncryptionEnabled=tls,
            **({"AuthToken": secrets.token_hex(16)} if auth else {}),
            **({"Tags": aws.stack_tags()} if aws.stack and status == "FAILED" else {}),
        )
        arn = f"arn:aws:elasticache:{aws.region}:{aws.account}:replicationgroup:{name}"
        workflow = "NEW" if status == "FAILED" else "RESOLVED"
        findings.append(aws.finding("ElastiCache.6", title, "AwsElastiCacheReplicationGroup", arn, status, workflow))
        print(f"elasticache replication group {name} (redis {version}, TLS={tls}, AUTH={auth}) in {vpc}")
    return findings


def _dms_wait(describe, status_key, wanted):
    """Describe until the resource shows `wanted` (each describe uses up one of the emulator's polls)."""
    for _ in range(100):
        item = describe()
        if item[status_key] == wanted:
            return item
    raise SystemExit(f"still {item[status_key]}, not {wanted}: {item}")


def seed_dms(aws):
    """DMS.1 (public replication instances) and DMS.9 (endpoints without SSL).

    One public instance with a stopped and a running task (fix: recreate or move the tasks),
    one private instance (compliant); three endpoints without SSL, one with."""
    ec2, dms = aws.client("ec2"), aws.client("dms")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.2.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(zones, 1)]
    sg = ec2.create_security_group(GroupName="hubfix-demo-dms", Description="hubfix demo DMS", VpcId=vpc)["GroupId"]
    dms.create_replication_subnet_group(ReplicationSubnetGroupIdentifier="hubfix-demo-dms",
                                        ReplicationSubnetGroupDescription="hubfix demo", SubnetIds=subnets)
    print(f"dms replication subnet group hubfix-demo-dms in {vpc} ({', '.join(zones)}), security group {sg}")

    endpoints = {  # id: (type, engine, port, SslMode)
        "demo-source-mysql": ("source", "mysql", 3306, "none"),
        "demo-target-postgres": ("target", "postgres", 5432, "none"),
        "demo-target-redshift": ("target", "redshift", 5439, "none"),
        "demo-source-postgres-ssl": ("source", "postgres", 5432, "require"),
    }
    arns = {}
    for name, (kind, engine, port, ssl) in endpoints.items():
        arns[name] = dms.create_endpoint(
            EndpointIdentifier=name, EndpointType=kind, EngineName=engine, ServerName=f"{name}.demo.internal",
            Port=port, DatabaseName="app", Username="dms", Password="Password1", SslMode=ssl,
        )["Endpoint"]["EndpointArn"]
        if aws.stack and ssl == "none":
            dms.add_tags_to_resource(ResourceArn=arns[name], Tags=aws.stack_tags())
        print(f"dms endpoint {name} ({kind} {engine}, SslMode={ssl})")

    instances = {"demo-public-dms": ("dms.t3.medium", True), "demo-private-dms": ("dms.t3.small", False)}
    for name, (klass, public) in instances.items():
        arns[name] = dms.create_replication_instance(
            ReplicationInstanceIdentifier=name, ReplicationInstanceClass=klass, AllocatedStorage=50, MultiAZ=False,
            AvailabilityZone=zones[0], EngineVersion="3.5.3", AutoMinorVersionUpgrade=True,
            ReplicationSubnetGroupIdentifier="hubfix-demo-dms", VpcSecurityGroupIds=[sg],
            KmsKeyId=f"arn:aws:kms:{aws.region}:{aws.account}:key/6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b",
            PreferredMaintenanceWindow="sat:17:00-sat:17:30", PubliclyAccessible=public,
            Tags=[{"Key": "owner", "Value": "data-team"}, {"Key": "env", "Value": "demo"}, *aws.stack_tags(public)],
        )["ReplicationInstance"]["ReplicationInstanceArn"]
        _dms_wait(lambda: dms.describe_replication_instances(Filters=[
            {"Name": "replication-instance-arn", "Values": [arns[name]]}])["ReplicationInstances"][0],
            "ReplicationInstanceStatus", "available")
        print(f"dms replication instance {name} ({klass}, PubliclyAccessible={public}) {arns[name]}")

    mappings = json.dumps({"rules": [{"rule-type": "selection", "rule-id": "1", "rule-name": "app",
                                      "rule-action": "include",
                                      "object-locator": {"schema-name": "app", "table-name": "%"}}]})
    tasks = {  # id: (migration type, source, target, started)
        "demo-full-load": ("full-load", "demo-source-mysql", "demo-target-postgres", False),
        "demo-cdc": ("full-load-and-cdc", "demo-source-postgres-ssl", "demo-target-redshift", True),
    }
    for name, (kind, source, target, started) in tasks.items():
        arn = dms.create_replication_task(
            ReplicationTaskIdentifier=name, MigrationType=kind, ReplicationInstanceArn=arns["demo-public-dms"],
            SourceEndpointArn=arns[source], TargetEndpointArn=arns[target], TableMappings=mappings,
        )["ReplicationTask"]["ReplicationTaskArn"]
        describe = lambda: dms.describe_replication_tasks(Filters=[  # noqa: E731
            {"Name": "replication-task-arn", "Values": [arn]}])["ReplicationTasks"][0]
        _dms_wait(describe, "Status", "ready")
        if started:
            dms.start_replication_task(ReplicationTaskArn=arn, StartReplicationTaskType="start-replication")
            _dms_wait(describe, "Status", "running")
        print(f"dms replication task {name} ({kind}, {source} -> {target}) on demo-public-dms: "
              f"{'running' if started else 'ready'}")

    public_title = "DMS replication instances should not be public"
    ssl_title = "DMS endpoints should use SSL"
    # As Security Hub sends them: DMS ARNs end in an internal id, the identifier people know
    # is in the resource's details.
    def instance(name):
        return {"AwsDmsReplicationInstance": {"ReplicationInstanceIdentifier": name}}

    return [
        aws.finding("DMS.1", public_title, "AwsDmsReplicationInstance", arns["demo-public-dms"],
                    details=instance("demo-public-dms")),
        aws.finding("DMS.1", public_title, "AwsDmsReplicationInstance", arns["demo-private-dms"], "PASSED", "RESOLVED",
                    details=instance("demo-private-dms")),
        *(aws.finding("DMS.9", ssl_title, "AwsDmsEndpoint", arns[name],
                      details={"AwsDmsEndpoint": {"EndpointIdentifier": name}})
          for name in ("demo-source-mysql", "demo-target-postgres", "demo-target-redshift")),
    ]


SEEDERS = [seed_redshift, seed_elasticache, seed_dms]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--region", default="ap-northeast-1")
    parser.add_argument(
        "--account",
        help="seed the resources in this member account (through AssumeRole); the findings go to the credentials' own account",
    )
    parser.add_argument(
        "--findings-region",
        help="import the findings in this region of the credentials' own account (the aggregation region); default: --region",
    )
    parser.add_argument(
        "--stack",
        help="tag every failing resource as CloudFormation does for a stack of this name (aws:cloudformation:stack-name)",
    )
    parser.add_argument(
        "--only",
        help="comma-separated services to seed (redshift, elasticache, dms); default: all",
    )
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    seeders = [s for s in SEEDERS if wanted is None or s.__name__.removeprefix("seed_") in wanted]
    if wanted and len(seeders) != len(wanted):
        raise SystemExit(f"--only: unknown service in {sorted(wanted)}; known: {[s.__name__[5:] for s in SEEDERS]}")
    for key, value in [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")]:
        os.environ.setdefault(key, value)

    aws = Aws(args.endpoint_url, args.region, args.account, args.stack)
    hub = Aws(args.endpoint_url, args.findings_region or args.region).client("securityhub")
    try:
        hub.enable_security_hub(EnableDefaultStandards=False)
    except hub.exceptions.ResourceConflictException:
        pass  # enabled by an earlier seeding
    findings = [f for seed in seeders for f in seed(aws)]
    result = hub.batch_import_findings(Findings=findings)
    if result["FailedCount"]:
        raise SystemExit(f"BatchImportFindings failed: {result['FailedFindings']}")
    for f in findings:
        print(f"finding {f['Compliance']['Status']:6} {f['Workflow']['Status']:10} {f['Resources'][0]['Id']}\n  {f['Id']}")


if __name__ == "__main__":
    main()
