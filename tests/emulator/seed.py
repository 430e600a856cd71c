#!/usr/bin/env python3
"""Seed the emulator with a demo account for hubfix.

    python3 tests/emulator/seed.py --endpoint-url http://127.0.0.1:PORT [--region ap-northeast-1]

Enables Security Hub, creates the resources of each seeder in SEEDERS and
imports their findings. To seed another control (DMS, ElastiCache, ...) write
one `seed_<service>(aws) -> list of findings` function and add it to SEEDERS.
"""

import argparse
import os
import uuid
from datetime import datetime, timezone

import boto3

ACCOUNT = "123456789012"


class Aws:
    """boto3 clients for one endpoint and region, and finding construction."""

    def __init__(self, endpoint_url, region):
        self.endpoint_url, self.region = endpoint_url, region

    def client(self, service):
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region)

    def finding(self, control, title, resource_type, resource_id, status="FAILED", workflow="NEW"):
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "SchemaVersion": "2018-10-08",
            "Id": f"arn:aws:securityhub:{self.region}:{ACCOUNT}:security-control/{control}/finding/{uuid.uuid4()}",
            "ProductArn": f"arn:aws:securityhub:{self.region}::product/aws/securityhub",
            "GeneratorId": f"security-control/{control}",
            "AwsAccountId": ACCOUNT,
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
            "Resources": [{"Type": resource_type, "Id": resource_id, "Region": self.region, "Partition": "aws"}],
        }


def seed_redshift(aws):
    """Redshift.7: enhanced VPC routing. One fixable cluster, one compliant, one suppressed."""
    ec2, redshift = aws.client("ec2"), aws.client("redshift")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{aws.region}a")["Subnet"]["SubnetId"]
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
        )
        arn = f"arn:aws:redshift:{aws.region}:{ACCOUNT}:cluster:{name}"
        findings.append(aws.finding("Redshift.7", title, "AwsRedshiftCluster", arn, status, workflow))
        print(f"redshift cluster {name} (EnhancedVpcRouting={evr}) in {vpc}")
    return findings


SEEDERS = [seed_redshift]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--region", default="ap-northeast-1")
    args = parser.parse_args()
    for key, value in [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")]:
        os.environ.setdefault(key, value)

    aws = Aws(args.endpoint_url, args.region)
    hub = aws.client("securityhub")
    hub.enable_security_hub(EnableDefaultStandards=False)
    findings = [f for seed in SEEDERS for f in seed(aws)]
    result = hub.batch_import_findings(Findings=findings)
    if result["FailedCount"]:
        raise SystemExit(f"BatchImportFindings failed: {result['FailedFindings']}")
    for f in findings:
        print(f"finding {f['Compliance']['Status']:6} {f['Workflow']['Status']:10} {f['Resources'][0]['Id']}\n  {f['Id']}")


if __name__ == "__main__":
    main()
