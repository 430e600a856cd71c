#!/usr/bin/env python3
"""Check the emulator's patches with boto3 (no cargo needed).

    python3 tests/emulator/selfcheck.py [--endpoint-url URL] [--show-raw]

Without --endpoint-url it starts hubfix_moto.py on a free loopback port and
stops it afterwards. --show-raw prints raw DescribeClusters / GetFindings /
ElastiCache / DMS responses, to compare with what the Rust SDK parses.
"""

import argparse
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import seed  # noqa: E402

REGION = "ap-northeast-1"
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)


def http(url, method="GET", data=None, headers=None):
    body = json.dumps(data).encode() if isinstance(data, (dict, list)) else data
    req = urllib.request.Request(url, body, headers or {}, method=method)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read().decode()


class Check:
    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.aws = seed.Aws(endpoint, REGION)
        loose = Config(parameter_validation=False, retries={"max_attempts": 1})
        self.hub = boto3.client("securityhub", endpoint_url=endpoint, region_name=REGION, config=loose)
        self.rs = boto3.client("redshift", endpoint_url=endpoint, region_name=REGION, config=loose)
        self.ec = boto3.client("elasticache", endpoint_url=endpoint, region_name=REGION, config=loose)
        self.dms = boto3.client("dms", endpoint_url=endpoint, region_name=REGION, config=loose)

    def api(self, path, data=None):
        status, _, body = http(self.endpoint + path, "POST" if data is not None else "GET", data)
        assert status == 200, (path, status, body)
        return json.loads(body)

    def signed(self, service, method, path, body, headers):
        creds = boto3.Session().get_credentials()
        req = AWSRequest(method, self.endpoint + path, data=body, headers=headers)
        SigV4Auth(creds, service, REGION).add_auth(req)
        return http(req.url, method, body.encode(), dict(req.headers))

    def error(self, call, **kw):
        try:
            call(**kw)
        except ClientError as err:
            return err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]
        raise AssertionError(f"{call.__name__} did not fail")

    def ids(self, **filters):
        resp = self.hub.get_findings(Filters={k: v for k, v in filters.items()}, MaxResults=100)
        return {f["Resources"][0]["Id"].split(":")[-1] for f in resp["Findings"]}

    def fresh(self):
        self.api("/moto-api/reset", {})
        self.hub.enable_security_hub()
        self.findings = seed.seed_redshift(self.aws)
        self.hub.batch_import_findings(Findings=self.findings)

    def filters(self):
        self.fresh()
        eq = lambda *vs: [{"Value": v, "Comparison": "EQUALS"} for v in vs]  # noqa: E731
        todo = dict(
            ComplianceSecurityControlId=eq("Redshift.7"),
            ComplianceStatus=eq("FAILED"),
            RecordState=eq("ACTIVE"),
            WorkflowStatus=eq("NEW", "NOTIFIED"),
        )
        assert self.ids(**todo) == {"test-redshift-cluster"}
        assert self.ids(ComplianceStatus=eq("FAILED", "PASSED")) == {
            "test-redshift-cluster", "compliant-redshift-cluster", "legacy-redshift-cluster"}
        assert self.ids(ComplianceStatus=eq("FAILED"), WorkflowStatus=[
            {"Value": "SUPPRESSED", "Comparison": "NOT_EQUALS"}]) == {"test-redshift-cluster"}
        assert self.ids(GeneratorId=[{"Value": "security-control/Redshift.", "Comparison": "PREFIX"}],
                        ResourceId=[{"Value": "arn:aws:redshift:", "Comparison": "PREFIX"},
                                    {"Value": "arn:aws:redshift:ap-northeast-1:123456789012:cluster:legacy",
                                     "Comparison": "NOT_PREFIX"},
                                    {"Value": "arn:aws:redshift:ap-northeast-1:123456789012:cluster:compliant-redshift-cluster",
                                     "Comparison": "NOT_EQUALS"}]) == {"test-redshift-cluster"}
        assert self.ids(ResourceType=eq("AwsRedshiftCluster"), Region=eq(REGION), AwsAccountId=eq("123456789012"),
                        ProductArn=eq(f"arn:aws:securityhub:{REGION}::product/aws/securityhub")) == {
            "test-redshift-cluster", "compliant-redshift-cluster", "legacy-redshift-cluster"}
        assert self.ids(Id=eq(self.findings[1]["Id"])) == {"compliant-redshift-cluster"}
        assert self.ids(ResourceType=eq("AwsDmsEndpoint")) == set()
        assert self.ids(Region=eq("us-east-1")) == set()
        nowf = self.aws.finding("S3.1", "t", "AwsS3Bucket", "arn:aws:s3:::b")
        del nowf["Workflow"]
        self.hub.batch_import_findings(Findings=[nowf])
        assert self.ids(WorkflowStatus=eq("NEW")) == {"test-redshift-cluster", "b"}
        status, headers, body = self.signed("securityhub", "POST", "/findings", json.dumps(
            {"Filters": {"NoSuchKey": eq("x")}}), {"Content-Type": "application/json"})
        assert status == 400 and headers.get("x-amzn-errortype") == "InvalidInputException", (status, headers, body)
        assert self.error(self.hub.get_findings, MaxResults=101)[0] == "InvalidInputException"
        print("ok filters")

    def paging(self):
        self.fresh()
        many = [self.aws.finding("S3.8", "t", "AwsS3Bucket", f"arn:aws:s3:::bucket-{i:03}") for i in range(250)]
        for i in range(0, 250, 100):
            assert self.hub.batch_import_findings(Findings=many[i:i + 100])["SuccessCount"] == len(many[i:i + 100])
        f = {"ComplianceSecurityControlId": [{"Value": "S3.8", "Comparison": "EQUALS"}]}
        pages, token = [], None
        while True:
            resp = self.hub.get_findings(Filters=f, MaxResults=100, **({"NextToken": token} if token else {}))
            pages.append([x["Id"] for x in resp["Findings"]])
            token = resp.get("NextToken")
            if not token:
                break
        assert [len(p) for p in pages] == [100, 100, 50], [len(p) for p in pages]
        assert sum(pages, []) == [x["Id"] for x in many]
        got = [x["Id"] for p in self.hub.get_paginator("get_findings").paginate(
            Filters=f, PaginationConfig={"PageSize": 7}) for x in p["Findings"]]
        assert got == [x["Id"] for x in many]
        assert len(self.hub.get_findings()["Findings"]) == 100  # default MaxResults
        assert self.error(self.hub.get_findings, NextToken="garbage")[0] == "InvalidInputException"
        print("ok paging 250 findings: pages of", [len(p) for p in pages])

    def batch_update(self):
        self.fresh()
        target = {"Id": self.findings[0]["Id"], "ProductArn": self.findings[0]["ProductArn"]}
        unknown = {"Id": target["Id"] + "-nope", "ProductArn": target["ProductArn"]}
        note = {"Text": "hubfix: enabled enhanced VPC routing", "UpdatedBy": "hubfix"}
        resp = self.hub.batch_update_findings(FindingIdentifiers=[target, unknown], Workflow={"Status": "RESOLVED"}, Note=note)
        assert resp["ProcessedFindings"] == [target], resp
        assert resp["UnprocessedFindings"] == [{"FindingIdentifier": unknown, "ErrorCode": "FindingNotFound",
                                                "ErrorMessage": "Finding Not Found"}], resp
        got = self.hub.get_findings(Filters={"Id": [{"Value": target["Id"], "Comparison": "EQUALS"}]})["Findings"][0]
        assert got["Workflow"] == {"Status": "RESOLVED"} and got["WorkflowState"] == "RESOLVED", got
        assert got["Note"]["Text"] == note["Text"] and got["Note"]["UpdatedBy"] == "hubfix", got
        assert got["Note"]["UpdatedAt"].endswith("Z") and got["UpdatedAt"] == got["Note"]["UpdatedAt"]
        bad = [dict(Note={"Text": "   ", "UpdatedBy": "hubfix"}), dict(Note={"Text": "x"}),
               dict(Note={"Text": "x" * 513, "UpdatedBy": "hubfix"}), dict(Workflow={"Status": "DONE"})]
        for kw in bad:
            assert self.error(self.hub.batch_update_findings, FindingIdentifiers=[target], **kw) == (
                "InvalidInputException", 400), kw
        assert self.error(self.hub.batch_update_findings, FindingIdentifiers=[target] * 101, Note=note)[0] == \
            "InvalidInputException"
        self.api("/hubfix-test/fail-updates", {"finding_id": target["Id"], "times": 2})
        codes = []
        for _ in range(3):
            r = self.hub.batch_update_findings(FindingIdentifiers=[target], Workflow={"Status": "NOTIFIED"})
            codes.append([u["ErrorCode"] for u in r["UnprocessedFindings"]] or ["processed"])
        assert codes == [["ConcurrentUpdateError"], ["ConcurrentUpdateError"], ["processed"]], codes
        print("ok BatchUpdateFindings")

    def user_defined_fields(self):
        """UserDefinedFields: validated, stored, replaced whole, filtered with MapFilters."""
        self.fresh()
        one, two = ({"Id": f["Id"], "ProductArn": f["ProductArn"]} for f in self.findings[:2])
        note = {"Text": "suppressed after sign-off", "UpdatedBy": "Taro"}
        self.hub.batch_update_findings(FindingIdentifiers=[one], Workflow={"Status": "SUPPRESSED"}, Note=note,
                                       UserDefinedFields={"hubfix:review_by": "2027-06-01", "ticket": "SEC-1"})
        self.hub.batch_update_findings(FindingIdentifiers=[two], Workflow={"Status": "SUPPRESSED"}, Note=note,
                                       UserDefinedFields={"hubfix:review_by": "2026-01-31"})

        def got(ident):
            return self.hub.get_findings(Filters={"Id": [{"Value": ident["Id"], "Comparison": "EQUALS"}]})[
                "Findings"][0].get("UserDefinedFields")

        assert got(one) == {"hubfix:review_by": "2027-06-01", "ticket": "SEC-1"}, got(one)
        # The map sent replaces the finding's: a field left out is gone.
        self.hub.batch_update_findings(FindingIdentifiers=[one], Note=note, UserDefinedFields={"ticket": "SEC-2"})
        assert got(one) == {"ticket": "SEC-2"}, got(one)
        # An update without UserDefinedFields leaves them alone.
        self.hub.batch_update_findings(FindingIdentifiers=[two], Workflow={"Status": "SUPPRESSED"}, Note=note)
        assert got(two) == {"hubfix:review_by": "2026-01-31"}, got(two)
        m = lambda v, c, k="hubfix:review_by": {"UserDefinedFields": [  # noqa: E731
            {"Key": k, "Value": v, "Comparison": c}]}
        suppressed = {"WorkflowStatus": [{"Value": "SUPPRESSED", "Comparison": "EQUALS"}]}
        assert self.ids(**suppressed, **m("-", "CONTAINS")) == {"compliant-redshift-cluster"}
        assert self.ids(**m("2026-01-31", "EQUALS")) == {"compliant-redshift-cluster"}
        assert self.ids(**m("2026-01-31", "NOT_EQUALS")) == {
            "test-redshift-cluster", "legacy-redshift-cluster"}
        assert self.ids(**m("SEC", "CONTAINS", "ticket")) == {"test-redshift-cluster"}
        assert self.ids(**m("SEC", "NOT_CONTAINS", "ticket")) == {
            "compliant-redshift-cluster", "legacy-redshift-cluster"}
        for bad in ({f"k{i}": "v" for i in range(51)}, {"k": ""}, {"k": "   "}, {"": "v"}, {"k" * 129: "v"},
                    {"k": "v" * 1025}):
            assert self.error(self.hub.batch_update_findings, FindingIdentifiers=[one], Note=note,
                              UserDefinedFields=bad) == ("InvalidInputException", 400), list(bad)[:2]
        assert got(one) == {"ticket": "SEC-2"}, got(one)  # a refused update changed nothing
        assert self.error(self.hub.get_findings, Filters={"UserDefinedFields": [
            {"Key": "k", "Value": "v", "Comparison": "PREFIX"}]})[0] == "InvalidInputException"
        print("ok UserDefinedFields: replaced whole, validated, MapFilters")

    def log_and_deny(self):
        self.fresh()
        self.api("/hubfix-test/reset", {})
        self.rs.describe_clusters()
        self.hub.get_findings()
        log = self.api("/hubfix-test/requests")
        assert log == [
            {"service": "redshift", "action": "DescribeClusters", "method": "POST", "path": "/", "params": {}},
            {"service": "securityhub", "action": "GetFindings", "method": "POST", "path": "/findings", "params": {}},
        ], log
        self.rs.modify_cluster(ClusterIdentifier="test-redshift-cluster", EnhancedVpcRouting=False)
        logged = self.api("/hubfix-test/requests")[-1]
        assert logged["params"] == {"ClusterIdentifier": "test-redshift-cluster", "EnhancedVpcRouting": "false"}, logged
        self.api("/hubfix-test/deny", {"action": "ModifyCluster"})
        self.api("/hubfix-test/deny", {"action": "BatchUpdateFindings"})
        assert self.error(self.rs.modify_cluster, ClusterIdentifier="test-redshift-cluster",
                          EnhancedVpcRouting=True) == ("AccessDenied", 400)
        assert self.error(self.hub.batch_update_findings, FindingIdentifiers=[
            {"Id": "x", "ProductArn": "y"}], Workflow={"Status": "NEW"}) == ("AccessDeniedException", 400)
        assert self.rs.describe_clusters(ClusterIdentifier="test-redshift-cluster")["Clusters"][0][
            "EnhancedVpcRouting"] is False  # the denied call changed nothing
        assert [e["action"] for e in self.api("/hubfix-test/requests")][-3:] == [
            "ModifyCluster", "BatchUpdateFindings", "DescribeClusters"]
        dms = self.aws.client("dms")
        self.api("/hubfix-test/deny", {"action": "DescribeReplicationInstances", "service": "dms"})
        assert self.error(dms.describe_replication_instances) == ("AccessDeniedException", 400)
        assert self.api("/hubfix-test/requests")[-1] == {
            "service": "dms", "action": "DescribeReplicationInstances", "method": "POST", "path": "/", "params": {}}
        self.api("/hubfix-test/reset", {})
        assert self.api("/hubfix-test/requests") == []
        assert self.error(dms.describe_replication_instances) == ("ResourceNotFoundFault", 400)  # not denied: none there
        self.api("/hubfix-test/deny", {"action": "ModifyCluster"})
        self.api("/moto-api/reset", {})  # also clears the test API state
        assert self.api("/hubfix-test/requests") == []
        self.fresh()
        self.rs.modify_cluster(ClusterIdentifier="test-redshift-cluster", EnhancedVpcRouting=True)
        print("ok request log and deny")

    def faults(self):
        """after-apply: the request is applied, then its answer held or the connection dropped."""
        self.fresh()
        self.api("/hubfix-test/config", {"redshift_modify_polls": 0})
        cid = "test-redshift-cluster"
        self.api("/hubfix-test/after-apply", {"action": "ModifyCluster", "fault": "drop"})
        try:
            self.rs.modify_cluster(ClusterIdentifier=cid, EnhancedVpcRouting=True)
            raise AssertionError("a dropped connection answered")
        except ClientError as err:
            raise AssertionError(f"a dropped connection gave an AWS error: {err}")
        except Exception:
            pass  # botocore: connection closed without a response
        assert self.rs.describe_clusters(ClusterIdentifier=cid)["Clusters"][0]["EnhancedVpcRouting"] is True
        # skip 1, then hold the answer of the second one
        self.api("/hubfix-test/after-apply", {"action": "ModifyCluster", "fault": "hang", "skip": 1, "seconds": 1})
        self.rs.modify_cluster(ClusterIdentifier=cid, EnhancedVpcRouting=False)
        started = time.monotonic()
        self.rs.modify_cluster(ClusterIdentifier=cid, EnhancedVpcRouting=True)
        assert time.monotonic() - started >= 1, "the answer was held"
        self.rs.modify_cluster(ClusterIdentifier=cid, EnhancedVpcRouting=True)  # the fault is spent
        self.api("/hubfix-test/reset", {})
        print("ok faults after apply (drop, hang)")

    def redshift(self):
        self.fresh()
        self.api("/hubfix-test/config", {"redshift_modify_polls": 2})
        cid = "test-redshift-cluster"
        resp = self.rs.modify_cluster(ClusterIdentifier=cid, EnhancedVpcRouting=True)["Cluster"]
        assert resp["ClusterStatus"] == "modifying", resp
        seen = []
        for _ in range(3):
            c = self.rs.describe_clusters(ClusterIdentifier=cid)["Clusters"][0]
            seen.append((c["ClusterStatus"], c["EnhancedVpcRouting"], c.get("PendingModifiedValues")))
            if c["ClusterStatus"] == "modifying":
                assert self.error(self.rs.modify_cluster, ClusterIdentifier=cid, EnhancedVpcRouting=True) == (
                    "InvalidClusterState", 400)
        pending = ("modifying", False, {"EnhancedVpcRouting": True})
        assert seen == [pending, pending, ("available", True, {})], seen
        assert self.error(self.rs.describe_clusters, ClusterIdentifier="nope") == ("ClusterNotFound", 404)
        # no change, or polls 0: applied at once
        assert self.rs.modify_cluster(ClusterIdentifier=cid, EnhancedVpcRouting=True)["Cluster"]["ClusterStatus"] == "available"
        self.api("/hubfix-test/config", {"redshift_modify_polls": 0})
        c = self.rs.modify_cluster(ClusterIdentifier="legacy-redshift-cluster", EnhancedVpcRouting=True)["Cluster"]
        assert (c["ClusterStatus"], c["EnhancedVpcRouting"]) == ("available", True), c
        self.api("/hubfix-test/reset", {})
        print("ok redshift modifying transition")

    def redshift_network(self):
        """The demo cluster's VPC meets enhanced VPC routing's prerequisites as EC2 shows them,
        --stack tags the failing resources, and EC2 can be denied (in EC2's own error format)."""
        self.fresh()
        ec2 = self.aws.client("ec2")
        cluster = self.rs.describe_clusters(ClusterIdentifier="test-redshift-cluster")["Clusters"][0]
        vpc = cluster["VpcId"]
        group = self.rs.describe_cluster_subnet_groups(ClusterSubnetGroupName=cluster["ClusterSubnetGroupName"])
        subnets = [s["SubnetIdentifier"] for s in group["ClusterSubnetGroups"][0]["Subnets"]]
        for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
            assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute=attribute)[key]["Value"] is True, attribute
        vpc_filter = {"Name": "vpc-id", "Values": [vpc]}
        explicit = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": subnets}])
        assert explicit["RouteTables"] == [], explicit  # the subnet uses the main table
        main = ec2.describe_route_tables(Filters=[vpc_filter, {"Name": "association.main", "Values": ["true"]}])
        table = main["RouteTables"][0]
        endpoints = ec2.describe_vpc_endpoints(Filters=[
            vpc_filter, {"Name": "service-name", "Values": [f"com.amazonaws.{REGION}.s3"]},
            {"Name": "vpc-endpoint-type", "Values": ["Gateway"]}])["VpcEndpoints"]
        assert [(e["State"], e["RouteTableIds"]) for e in endpoints] == [("available", [table["RouteTableId"]])], endpoints
        to_s3 = [r for r in table["Routes"] if r.get("DestinationPrefixListId")]
        assert [r["GatewayId"] for r in to_s3] == [endpoints[0]["VpcEndpointId"]], table["Routes"]
        assert cluster["Tags"] == [], cluster["Tags"]

        self.api("/hubfix-test/deny", {"service": "ec2", "action": "*"})
        assert self.error(ec2.describe_route_tables) == ("UnauthorizedOperation", 403)
        assert self.error(ec2.describe_vpc_attribute, VpcId=vpc, Attribute="enableDnsSupport") == (
            "UnauthorizedOperation", 403)
        self.rs.describe_clusters()  # another service is not denied
        status, _, body = http(self.endpoint + "/hubfix-test/deny", "POST", {"action": "*"})
        assert status == 400 and "service" in body, (status, body)
        self.api("/hubfix-test/reset", {})
        ec2.describe_route_tables()

        self.api("/moto-api/reset", {})
        self.hub.enable_security_hub()
        stacked = seed.Aws(self.endpoint, REGION, stack="demo-stack")
        seed.seed_redshift(stacked)
        tags = {c["ClusterIdentifier"]: c["Tags"] for c in self.rs.describe_clusters()["Clusters"]}
        stack_tag = [{"Key": "aws:cloudformation:stack-name", "Value": "demo-stack"}]
        assert tags == {"test-redshift-cluster": stack_tag, "legacy-redshift-cluster": stack_tag,
                        "compliant-redshift-cluster": []}, tags
        print("ok redshift network, stack tags and EC2 denial")

    def elasticache_seed(self):
        self.api("/moto-api/reset", {})
        self.hub.enable_security_hub()
        self.hub.batch_import_findings(Findings=seed.seed_elasticache(self.aws))
        eq = lambda *vs: [{"Value": v, "Comparison": "EQUALS"} for v in vs]  # noqa: E731
        assert self.ids(ComplianceSecurityControlId=eq("ElastiCache.6"), ComplianceStatus=eq("FAILED")) == {
            "demo-redis-tls", "demo-redis-plain"}
        assert self.ids(ResourceType=eq("AwsElastiCacheReplicationGroup"), ComplianceStatus=eq("PASSED")) == {
            "demo-redis-6", "demo-redis-auth"}

    def ec_group(self, gid):
        return self.ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]

    def ec_modify_error(self, gid, **kw):
        return self.error(self.ec.modify_replication_group, ReplicationGroupId=gid, ApplyImmediately=True, **kw)

    def elasticache_members(self):
        self.elasticache_seed()
        g = self.ec_group("demo-redis-tls")
        assert g["ARN"] == f"arn:aws:elasticache:{REGION}:123456789012:replicationgroup:demo-redis-tls", g
        assert (g["Status"], g["TransitEncryptionEnabled"], g["AtRestEncryptionEnabled"], g["AuthTokenEnabled"],
                g["PendingModifiedValues"]) == ("available", True, True, False, {}), g
        assert g["MemberClusters"] == ["demo-redis-tls-001", "demo-redis-tls-002"], g
        versions = {}
        for c in self.ec.describe_cache_clusters()["CacheClusters"]:
            versions[c["CacheClusterId"]] = c["EngineVersion"]
            assert (c["Engine"], c["CacheNodeType"], c["CacheClusterStatus"]) == ("redis", "cache.t3.micro", "available"), c
            group = self.ec_group(c["ReplicationGroupId"])
            assert c["CacheClusterId"] in group["MemberClusters"], (c, group)
            for key in ("TransitEncryptionEnabled", "AtRestEncryptionEnabled", "AuthTokenEnabled"):
                assert c[key] == group[key], (key, c, group)
        assert versions == {f"demo-redis-{n}-00{i}": v for n, v in [("tls", "5.0.6"), ("plain", "5.0.6"), (
            "6", "6.2.6"), ("auth", "5.0.6")] for i in (1, 2)}, versions
        assert self.ec_group("demo-redis-auth")["AuthTokenEnabled"] is True
        self.ec.create_replication_group(ReplicationGroupId="three", ReplicationGroupDescription="d",
                                         NumCacheClusters=3, EngineVersion="4.0.10", TransitEncryptionEnabled=True)
        self.ec.create_replication_group(ReplicationGroupId="default", ReplicationGroupDescription="d",
                                         ReplicasPerNodeGroup=1)
        assert self.ec_group("three")["MemberClusters"] == ["three-001", "three-002", "three-003"]
        c = self.ec.describe_cache_clusters(CacheClusterId="three-003")["CacheClusters"][0]
        assert (c["EngineVersion"], c["ReplicationGroupId"]) == ("4.0.10", "three"), c
        assert [c["EngineVersion"] for c in self.ec.describe_cache_clusters()["CacheClusters"]
                if c["ReplicationGroupId"] == "default"] == ["7.1.0", "7.1.0"]
        assert self.error(self.ec.describe_replication_groups, ReplicationGroupId="nope") == (
            "ReplicationGroupNotFoundFault", 404)
        assert self.error(self.ec.describe_cache_clusters, CacheClusterId="nope") == ("CacheClusterNotFound", 404)
        print("ok elasticache member clusters and engine versions")

    def elasticache_refusals(self):
        self.elasticache_seed()
        token = "Hubfix-Check-Token-0001"
        create = dict(ReplicationGroupDescription="d", EngineVersion="5.0.6")
        assert self.error(self.ec.create_replication_group, ReplicationGroupId="x", AuthToken=token, **create) == (
            "InvalidParameterValue", 400)
        for bad in ("short-token", "x" * 129, "has@at-sign-000000", "has/slash-00000000", 'has"quote-0000000',
                    "has space-00000000", "non-ascii-é-000000"):
            assert self.error(self.ec.create_replication_group, ReplicationGroupId="x", AuthToken=bad,
                              TransitEncryptionEnabled=True, **create) == ("InvalidParameterValue", 400), bad
            assert self.ec_modify_error("demo-redis-tls", AuthToken=bad, AuthTokenUpdateStrategy="ROTATE") == (
                "InvalidParameterValue", 400), bad
        assert self.ec_modify_error("demo-redis-plain", AuthToken=token, AuthTokenUpdateStrategy="ROTATE")[0] in (
            "InvalidParameterValue", "InvalidParameterCombination")
        assert self.ec_modify_error("demo-redis-tls", AuthTokenUpdateStrategy="ROTATE") == ("InvalidParameterValue", 400)
        assert self.ec_modify_error("demo-redis-tls", AuthToken=token, AuthTokenUpdateStrategy="SET") == (
            "InvalidParameterValue", 400)  # SET before ROTATE
        assert self.ec_modify_error("demo-redis-auth", AuthToken=token, AuthTokenUpdateStrategy="SET") == (
            "InvalidParameterValue", 400)  # one token: not rotated
        assert self.ec_modify_error("demo-redis-auth", AuthTokenUpdateStrategy="DELETE") == ("InvalidParameterValue", 400)
        assert self.ec_modify_error("demo-redis-tls", CacheNodeType="cache.t3.small") == ("InvalidParameterValue", 400)
        assert self.ec_modify_error("demo-redis-plain", TransitEncryptionEnabled=True) == (
            "InvalidParameterCombination", 400)  # TLS in place needs 7.0+
        self.ec.create_replication_group(ReplicationGroupId="old", ReplicationGroupDescription="d",
                                         EngineVersion="4.0.10", TransitEncryptionEnabled=True)
        assert self.ec_modify_error("old", AuthToken=token, AuthTokenUpdateStrategy="ROTATE") == (
            "InvalidParameterValue", 400)  # token changes in place need 5.0.6+
        assert self.ec_modify_error("nope", AuthToken=token) == ("ReplicationGroupNotFoundFault", 404)
        report = self.api("/hubfix-test/elasticache-auth")
        assert all(r["history"] == [] for r in report.values()), report
        assert all(self.ec_group(g)["Status"] == "available" for g in report)
        print("ok elasticache refusals")

    def elasticache_rotate_set(self):
        self.elasticache_seed()
        self.api("/hubfix-test/config", {"elasticache_modify_polls": 2})
        gid, token = "demo-redis-tls", "Hubfix-Check-Token-0002"
        digest = hashlib.sha256(token.encode()).hexdigest()
        for strategy, status in (("ROTATE", "ROTATING"), ("SET", "SETTING")):
            g = self.ec.modify_replication_group(ReplicationGroupId=gid, AuthToken=token,
                                                 AuthTokenUpdateStrategy=strategy, ApplyImmediately=True)["ReplicationGroup"]
            assert (g["Status"], g["PendingModifiedValues"]) == ("modifying", {"AuthTokenStatus": status}), g
            seen = []
            for _ in range(3):
                g = self.ec_group(gid)
                seen.append((g["Status"], g["PendingModifiedValues"], g["AuthTokenEnabled"]))
                if g["Status"] == "modifying":
                    assert self.ec_modify_error(gid, AuthToken=token, AuthTokenUpdateStrategy="SET") == (
                        "InvalidReplicationGroupState", 400)
            before = strategy == "SET"  # AUTH is on once the ROTATE has applied
            pending = ("modifying", {"AuthTokenStatus": status}, before)
            assert seen == [pending, pending, ("available", {}, True)], seen
            assert g["AuthTokenLastModifiedDate"], g
            members = self.ec.describe_cache_clusters()["CacheClusters"]
            assert all(c["AuthTokenEnabled"] for c in members if c["ReplicationGroupId"] == gid), members
            report = self.api("/hubfix-test/elasticache-auth")[gid]
            assert report["tokens_sha256"] == [digest], report
            assert report["accepts_unauthenticated"] is (strategy == "ROTATE"), report  # open until SET
        assert report["history"] == [{"strategy": "ROTATE", "token_sha256": digest, "apply_immediately": True},
                                     {"strategy": "SET", "token_sha256": digest, "apply_immediately": True}], report
        status, _, body = http(self.endpoint + "/hubfix-test/elasticache-auth")
        assert status == 200 and token not in body, body  # hashes only
        # Without ApplyImmediately the change waits (for a maintenance window that never comes) ...
        other = "Hubfix-Check-Token-0003"
        self.ec.modify_replication_group(ReplicationGroupId="demo-redis-auth", AuthToken=other,
                                         AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=False)
        for _ in range(3):
            g = self.ec_group("demo-redis-auth")
            assert (g["Status"], g["PendingModifiedValues"]) == ("available", {"AuthTokenStatus": "ROTATING"}), g
        assert len(self.api("/hubfix-test/elasticache-auth")["demo-redis-auth"]["tokens_sha256"]) == 1
        # ... until a modify with ApplyImmediately; polls 0 applies at once.
        self.api("/hubfix-test/config", {"elasticache_modify_polls": 0})
        g = self.ec.modify_replication_group(ReplicationGroupId="demo-redis-auth", ApplyImmediately=True)["ReplicationGroup"]
        assert (g["Status"], g["PendingModifiedValues"]) == ("available", {}), g
        report = self.api("/hubfix-test/elasticache-auth")["demo-redis-auth"]
        assert report["tokens_sha256"][1] == hashlib.sha256(other.encode()).hexdigest(), report  # old + new
        assert report["accepts_unauthenticated"] is False and report["history"][0]["apply_immediately"] is False
        self.api("/hubfix-test/reset", {})  # clears the history, not the groups
        assert self.api("/hubfix-test/elasticache-auth")[gid] == {
            "history": [], "tokens_sha256": [digest], "accepts_unauthenticated": False}
        self.api("/moto-api/reset", {})
        assert self.api("/hubfix-test/elasticache-auth") == {}
        print("ok elasticache ROTATE then SET, modifying polls, pending without ApplyImmediately")

    def elasticache_upgrade_then_tls(self):
        self.elasticache_seed()
        self.api("/hubfix-test/config", {"elasticache_modify_polls": 1})
        gid = "demo-redis-plain"  # 5.0.6 without TLS

        def members():
            return [(c["EngineVersion"], c["TransitEncryptionEnabled"]) for c in
                    self.ec.describe_cache_clusters()["CacheClusters"] if c["ReplicationGroupId"] == gid]

        listed = self.ec.describe_cache_engine_versions(Engine="redis")["CacheEngineVersions"]
        assert [v["EngineVersion"] for v in listed] == ["4.0.10", "5.0.6", "6.0", "6.2", "7.0", "7.1"], listed
        assert {v["CacheParameterGroupFamily"] for v in listed if v["EngineVersion"].startswith("7")} == {"redis7"}
        assert self.ec.describe_cache_engine_versions(Engine="memcached")["CacheEngineVersions"] == []
        assert self.error(self.ec.describe_cache_engine_versions, Engine="redis", DefaultOnly=True)[1] == 400
        assert self.ec_modify_error(gid, EngineVersion="9.9") == ("InvalidParameterValue", 400)
        assert self.ec_modify_error(gid, EngineVersion="4.0.10") == (
            "InvalidParameterCombination", 400)  # no downgrade
        assert self.error(self.ec.modify_replication_group, ReplicationGroupId=gid, EngineVersion="7.1") == (
            "InvalidParameterValue", 400)  # window: not emulated
        # TLS before 7.0: refused, as is `required` first or a mode alone.
        assert self.ec_modify_error(gid, TransitEncryptionEnabled=True, TransitEncryptionMode="preferred") == ("InvalidParameterCombination", 400)
        g = self.ec.modify_replication_group(ReplicationGroupId=gid, EngineVersion="7.1",
                                             ApplyImmediately=True)["ReplicationGroup"]
        assert (g["Status"], g["PendingModifiedValues"]) == ("modifying", {}), g
        assert members() == [("5.0.6", False)] * 2, members()
        assert self.ec_modify_error(gid, TransitEncryptionEnabled=True, TransitEncryptionMode="preferred") == ("InvalidReplicationGroupState", 400)
        assert self.ec_group(gid)["Status"] == "modifying"
        assert self.ec_group(gid)["Status"] == "available"
        assert members() == [("7.1.0", False)] * 2, members()
        for bad in ({"TransitEncryptionEnabled": True}, {"TransitEncryptionEnabled": True, "TransitEncryptionMode": "required"},
                    {"TransitEncryptionMode": "preferred"}):
            assert self.ec_modify_error(gid, **bad) == ("InvalidParameterCombination", 400), bad
        g = self.ec.modify_replication_group(ReplicationGroupId=gid, TransitEncryptionEnabled=True,
                                             TransitEncryptionMode="preferred", ApplyImmediately=True)["ReplicationGroup"]
        assert (g["Status"], g["TransitEncryptionEnabled"], g["PendingModifiedValues"]) == (
            "modifying", False, {"TransitEncryptionEnabled": True, "TransitEncryptionMode": "preferred"}), g
        self.ec_group(gid)
        g = self.ec_group(gid)
        assert (g["Status"], g["TransitEncryptionEnabled"], g["TransitEncryptionMode"]) == (
            "available", True, "preferred"), g
        assert members() == [("7.1.0", True)] * 2, members()
        g = self.ec.modify_replication_group(ReplicationGroupId=gid, TransitEncryptionMode="required",
                                             ApplyImmediately=True)["ReplicationGroup"]
        assert g["PendingModifiedValues"] == {"TransitEncryptionEnabled": True, "TransitEncryptionMode": "required"}, g
        self.ec_group(gid)
        assert self.ec_group(gid)["TransitEncryptionMode"] == "required"
        assert self.ec_modify_error(gid, EngineVersion="7.0") == (
            "InvalidParameterCombination", 400)  # 7.0 runs 7.0.7, below 7.1.0
        assert self.api("/hubfix-test/elasticache-changes")[gid] == [
            {"change": "EngineVersion", "value": "7.1.0"}, {"change": "TransitEncryptionMode", "value": "preferred"},
            {"change": "TransitEncryptionMode", "value": "required"}]
        # Then AUTH, as on any group with TLS.
        token = "Hubfix-Check-Token-0004"
        self.ec.modify_replication_group(ReplicationGroupId=gid, AuthToken=token, AuthTokenUpdateStrategy="ROTATE",
                                         ApplyImmediately=True)
        self.ec_group(gid)
        assert self.ec_group(gid)["AuthTokenEnabled"] is True
        assert self.ec_group("demo-redis-tls")["TransitEncryptionMode"] == "required"  # created with TLS
        print("ok elasticache engine upgrade, then in-transit encryption preferred, then required")

    def elasticache_raw(self):
        self.elasticache_seed()
        self.api("/hubfix-test/config", {"elasticache_modify_polls": 1})
        hdr = {"Content-Type": "application/x-www-form-urlencoded"}
        base = "Version=2015-02-02&ReplicationGroupId=demo-redis-tls"
        calls = [
            ("ModifyReplicationGroup", f"Action=ModifyReplicationGroup&{base}&AuthToken=Hubfix-Check-Token-0004"
                                       "&AuthTokenUpdateStrategy=ROTATE&ApplyImmediately=true"),
            ("DescribeReplicationGroups (modifying)", f"Action=DescribeReplicationGroups&{base}"),
            ("DescribeReplicationGroups (applied)", f"Action=DescribeReplicationGroups&{base}"),
            ("DescribeCacheClusters", "Action=DescribeCacheClusters&Version=2015-02-02&CacheClusterId=demo-redis-tls-001"),
            ("DescribeReplicationGroups (unknown)", "Action=DescribeReplicationGroups&Version=2015-02-02&ReplicationGroupId=nope"),
        ]
        bodies = {}
        for label, form in calls:
            status, headers, bodies[label] = self.signed("elasticache", "POST", "/", form, hdr)
            if self.show_raw:
                print(f"--- raw {label}: HTTP {status} {headers.get('content-type')}\n{bodies[label]}")
        group_tags = ["<ReplicationGroup><ReplicationGroupId>demo-redis-tls</ReplicationGroupId>",
                      "<MemberClusters><ClusterId>demo-redis-tls-001</ClusterId><ClusterId>demo-redis-tls-002</ClusterId>",
                      "<TransitEncryptionEnabled>true</TransitEncryptionEnabled>",
                      "<AtRestEncryptionEnabled>true</AtRestEncryptionEnabled>",
                      f"<ARN>arn:aws:elasticache:{REGION}:123456789012:replicationgroup:demo-redis-tls</ARN>"]
        pending = ["<Status>modifying</Status>", "<AuthTokenEnabled>false</AuthTokenEnabled>",
                   "<PendingModifiedValues><AuthTokenStatus>ROTATING</AuthTokenStatus></PendingModifiedValues>"]
        applied = ["<Status>available</Status>", "<AuthTokenEnabled>true</AuthTokenEnabled>", "<AuthTokenLastModifiedDate>"]
        for label, tags in [("ModifyReplicationGroup", group_tags + pending),
                            ("DescribeReplicationGroups (modifying)", group_tags + pending),
                            ("DescribeReplicationGroups (applied)", group_tags + applied)]:
            for tag in tags:
                assert tag in bodies[label], (label, tag, bodies[label])
        assert "Hubfix-Check-Token-0004" not in "".join(bodies.values())
        for tag in ("<CacheClusters><CacheCluster><CacheClusterId>demo-redis-tls-001</CacheClusterId>",
                    "<Engine>redis</Engine>", "<EngineVersion>5.0.6</EngineVersion>",
                    "<CacheClusterStatus>available</CacheClusterStatus>",
                    "<ReplicationGroupId>demo-redis-tls</ReplicationGroupId>",
                    "<TransitEncryptionEnabled>true</TransitEncryptionEnabled>", "<AuthTokenEnabled>true</AuthTokenEnabled>"):
            assert tag in bodies["DescribeCacheClusters"], (tag, bodies["DescribeCacheClusters"])
        created = bodies["DescribeCacheClusters"].split("<CacheClusterCreateTime>")[1].split("<")[0]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", created), created
        assert "<Code>ReplicationGroupNotFoundFault</Code>" in bodies["DescribeReplicationGroups (unknown)"]
        self.api("/hubfix-test/reset", {})
        print("ok elasticache raw XML")

    def raw(self):
        self.fresh()
        self.api("/hubfix-test/config", {"redshift_modify_polls": 1})
        self.rs.modify_cluster(ClusterIdentifier="test-redshift-cluster", EnhancedVpcRouting=True)
        form = "Action=DescribeClusters&Version=2012-12-01&ClusterIdentifier=test-redshift-cluster"
        hdr = {"Content-Type": "application/x-www-form-urlencoded"}
        for label in ("while modifying", "after"):
            status, headers, body = self.signed("redshift", "POST", "/", form, hdr)
            for tag in ("<ClusterStatus>", "<EnhancedVpcRouting>", "<PendingModifiedValues"):
                assert tag in body, (tag, body)
            if self.show_raw:
                print(f"--- raw DescribeClusters ({label}): HTTP {status} {headers.get('content-type')}\n{body}")
        status, headers, body = self.signed("redshift", "POST", "/", form.replace("test-redshift-cluster", "nope"), hdr)
        assert status == 404 and "<Code>ClusterNotFound</Code>" in body, body
        if self.show_raw:
            print(f"--- raw DescribeClusters (unknown): HTTP {status}\n{body}")
        q = {"Filters": {"ResourceId": [{"Value": self.findings[0]["Resources"][0]["Id"], "Comparison": "EQUALS"}]},
             "MaxResults": 1}
        status, headers, body = self.signed("securityhub", "POST", "/findings", json.dumps(q),
                                            {"Content-Type": "application/json"})
        assert status == 200 and json.loads(body)["Findings"][0]["CreatedAt"].endswith("Z")
        if self.show_raw:
            print(f"--- raw GetFindings: HTTP {status} {headers.get('content-type')}\n{body}")
        self.api("/hubfix-test/deny", {"action": "ModifyCluster"})
        status, headers, body = self.signed("redshift", "POST", "/",
                                            "Action=ModifyCluster&Version=2012-12-01&ClusterIdentifier=x", hdr)
        if self.show_raw:
            print(f"--- raw denied ModifyCluster: HTTP {status} {headers.get('content-type')}\n{body}")
        self.api("/hubfix-test/deny", {"action": "BatchUpdateFindings"})
        status, headers, body = self.signed("securityhub", "PATCH", "/findings/batchupdate", json.dumps(
            {"FindingIdentifiers": [{"Id": "x", "ProductArn": "y"}]}), {"Content-Type": "application/json"})
        if self.show_raw:
            print(f"--- raw denied BatchUpdateFindings: HTTP {status} {headers}\n{body}")
        self.api("/hubfix-test/reset", {})
        print("ok raw responses")

    # --- DMS -----------------------------------------------------------------------

    def dms_seed(self):
        """Fresh emulator with seed_dms; returns {name: ARN} of its instances and endpoints."""
        self.api("/moto-api/reset", {})
        self.hub.enable_security_hub()
        findings = seed.seed_dms(self.aws)
        self.hub.batch_import_findings(Findings=findings)
        eq = lambda *vs: [{"Value": v, "Comparison": "EQUALS"} for v in vs]  # noqa: E731
        dms1 = self.hub.get_findings(Filters={"ComplianceSecurityControlId": eq("DMS.1")})["Findings"]
        assert {(f["Resources"][0]["Type"], f["Compliance"]["Status"]) for f in dms1} == {
            ("AwsDmsReplicationInstance", "FAILED"), ("AwsDmsReplicationInstance", "PASSED")}, dms1
        dms9 = self.hub.get_findings(Filters={"ComplianceSecurityControlId": eq("DMS.9")})["Findings"]
        assert len(dms9) == 3 and {f["Resources"][0]["Type"] for f in dms9} == {"AwsDmsEndpoint"}, dms9
        arns = {i["ReplicationInstanceIdentifier"]: i["ReplicationInstanceArn"]
                for i in self.dms.describe_replication_instances()["ReplicationInstances"]}
        arns.update({e["EndpointIdentifier"]: e["EndpointArn"] for e in self.dms.describe_endpoints()["Endpoints"]})
        assert {f["Resources"][0]["Id"] for f in dms9} == {arns["demo-source-mysql"], arns["demo-target-postgres"],
                                                           arns["demo-target-redshift"]}
        return arns

    def dms_instance(self, arn):
        return self.dms.describe_replication_instances(Filters=[
            {"Name": "replication-instance-arn", "Values": [arn]}])["ReplicationInstances"][0]

    def dms_task(self, arn):
        return self.dms.describe_replication_tasks(Filters=[
            {"Name": "replication-task-arn", "Values": [arn]}])["ReplicationTasks"][0]

    def dms_tasks(self):
        return {t["ReplicationTaskIdentifier"]: t for t in self.dms.describe_replication_tasks()["ReplicationTasks"]}

    def dms_create_instance(self, name, **kw):
        return self.dms.create_replication_instance(ReplicationInstanceIdentifier=name,
                                                    ReplicationInstanceClass="dms.t3.small", **kw)["ReplicationInstance"]

    def dms_instances(self):
        arns = self.dms_seed()
        i = self.dms_instance(arns["demo-public-dms"])
        group = i.pop("ReplicationSubnetGroup")
        assert (group["ReplicationSubnetGroupIdentifier"], group["SubnetGroupStatus"]) == ("hubfix-demo-dms", "Complete")
        assert group["VpcId"].startswith("vpc-") and [s["SubnetAvailabilityZone"]["Name"] for s in group["Subnets"]] == [
            f"{REGION}a", f"{REGION}c"], group
        sg = i["VpcSecurityGroups"][0]["VpcSecurityGroupId"]
        assert i["VpcSecurityGroups"] == [{"VpcSecurityGroupId": sg, "Status": "active"}] and sg.startswith("sg-"), i
        expected = dict(ReplicationInstanceIdentifier="demo-public-dms", ReplicationInstanceClass="dms.t3.medium",
                        ReplicationInstanceStatus="available", AllocatedStorage=50, AvailabilityZone=f"{REGION}a",
                        PreferredMaintenanceWindow="sat:17:00-sat:17:30", MultiAZ=False, EngineVersion="3.5.3",
                        AutoMinorVersionUpgrade=True, PubliclyAccessible=True, NetworkType="IPV4")
        assert {k: i[k] for k in expected} == expected, i
        assert i["KmsKeyId"].startswith(f"arn:aws:kms:{REGION}:123456789012:key/"), i
        assert re.fullmatch(rf"arn:aws:dms:{REGION}:123456789012:rep:[A-Z][A-Z0-9]{{25}}", i["ReplicationInstanceArn"]), i
        assert self.dms_instance(arns["demo-private-dms"])["PubliclyAccessible"] is False
        # Tags: from create, AddTagsToResource, RemoveTagsFromResource; unknown ARN.
        tags = lambda arn: {t["Key"]: t["Value"] for t in self.dms.list_tags_for_resource(ResourceArn=arn)["TagList"]}  # noqa: E731
        assert tags(i["ReplicationInstanceArn"]) == {"owner": "data-team", "env": "demo"}
        self.dms.add_tags_to_resource(ResourceArn=i["ReplicationInstanceArn"], Tags=[{"Key": "ticket", "Value": "SEC-1"}])
        self.dms.remove_tags_from_resource(ResourceArn=i["ReplicationInstanceArn"], TagKeys=["env"])
        assert tags(i["ReplicationInstanceArn"]) == {"owner": "data-team", "ticket": "SEC-1"}
        nope = f"arn:aws:dms:{REGION}:123456789012:rep:NOPE"
        assert self.error(self.dms.add_tags_to_resource, ResourceArn=nope, Tags=[]) == ("ResourceNotFoundFault", 400)
        # Defaults AWS applies, settings kept, creating for dms_create_polls describes.
        kerberos = {"KeyCacheSecretId": "s", "KeyCacheSecretIamArn": "arn:aws:iam::123456789012:role/k",
                    "Krb5FileContents": "[libdefaults]"}
        new = self.dms_create_instance("New-Default", ReplicationSubnetGroupIdentifier="hubfix-demo-dms",
                                       DnsNameServers="10.2.0.2", KerberosAuthenticationSettings=kerberos)
        seen = [new["ReplicationInstanceStatus"]] + [self.dms_instance(new["ReplicationInstanceArn"])[
            "ReplicationInstanceStatus"] for _ in range(3)]
        assert seen == ["creating", "creating", "creating", "available"], seen
        got = self.dms_instance(new["ReplicationInstanceArn"])
        assert (got["ReplicationInstanceIdentifier"], got["PubliclyAccessible"], got["PreferredMaintenanceWindow"],
                got["EngineVersion"], got["AllocatedStorage"], got["DnsNameServers"], got["KerberosAuthenticationSettings"],
                got["AutoMinorVersionUpgrade"], got["MultiAZ"]) == (
            "new-default", True, "sun:06:00-sun:06:30", "3.5.3", 50, "10.2.0.2", kerberos, True, False), got
        assert got["VpcSecurityGroups"][0]["VpcSecurityGroupId"] != sg  # the VPC's default group
        multi = self.dms_create_instance("multi", MultiAZ=True, ReplicationSubnetGroupIdentifier="hubfix-demo-dms")
        assert (multi["AvailabilityZone"], multi["SecondaryAvailabilityZone"]) == (f"{REGION}a", f"{REGION}c"), multi
        # Refusals.
        assert self.error(self.dms_create_instance, name="demo-public-dms") == ("ResourceAlreadyExistsFault", 400)
        assert self.error(self.dms_create_instance, name="x", ReplicationSubnetGroupIdentifier="nope") == (
            "ResourceNotFoundFault", 400)
        assert self.error(self.dms_create_instance, name="x", MultiAZ=True, AvailabilityZone=f"{REGION}a") == (
            "InvalidParameterCombinationException", 400)
        assert self.error(self.dms.create_replication_subnet_group, ReplicationSubnetGroupIdentifier="one-az",
                          ReplicationSubnetGroupDescription="d", SubnetIds=[group["Subnets"][0]["SubnetIdentifier"]]) == (
            "ReplicationSubnetGroupDoesNotCoverEnoughAZs", 400)
        assert self.error(self.dms.create_replication_subnet_group, ReplicationSubnetGroupIdentifier="bad",
                          ReplicationSubnetGroupDescription="d", SubnetIds=["subnet-nope"]) == ("InvalidSubnet", 400)
        # Filters: ANDed, values ORed; no match is ResourceNotFoundFault.
        f = lambda name, *values: {"Name": name, "Values": list(values)}  # noqa: E731
        ids = lambda *fs: {x["ReplicationInstanceIdentifier"] for x in self.dms.describe_replication_instances(  # noqa: E731
            Filters=list(fs))["ReplicationInstances"]}
        assert ids(f("replication-instance-id", "demo-public-dms", "demo-private-dms", "nope")) == {
            "demo-public-dms", "demo-private-dms"}
        assert ids(f("replication-instance-id", "demo-public-dms", "demo-private-dms"),
                   f("replication-instance-arn", arns["demo-private-dms"])) == {"demo-private-dms"}
        assert len(ids()) == 4
        assert self.error(self.dms.describe_replication_instances, Filters=[
            f("replication-instance-id", "demo-public-dms"), f("replication-instance-arn", arns["demo-private-dms"])]) == (
            "ResourceNotFoundFault", 400)
        assert self.error(self.dms.describe_replication_instances, Filters=[f("no-such-filter", "x")]) == (
            "InvalidParameterValueException", 400)
        print("ok dms replication instances: settings, defaults, tags, creating polls, filters, refusals")

    def dms_delete(self):
        arns = self.dms_seed()
        assert self.error(self.dms.delete_replication_instance, ReplicationInstanceArn=arns["demo-public-dms"]) == (
            "InvalidResourceStateFault", 400)  # it has tasks
        creating = self.dms_create_instance("young")["ReplicationInstanceArn"]
        assert self.error(self.dms.delete_replication_instance, ReplicationInstanceArn=creating) == (
            "InvalidResourceStateFault", 400)
        old = arns["demo-private-dms"]
        gone = self.dms.delete_replication_instance(ReplicationInstanceArn=old)["ReplicationInstance"]
        assert (gone["ReplicationInstanceStatus"], gone["ReplicationInstanceArn"]) == ("deleting", old), gone
        assert self.error(self.dms_create_instance, name="demo-private-dms") == ("ResourceAlreadyExistsFault", 400)
        assert self.error(self.dms.delete_replication_instance, ReplicationInstanceArn=old) == (
            "InvalidResourceStateFault", 400)
        seen = [self.dms_instance(old)["ReplicationInstanceStatus"] for _ in range(2)]
        assert seen == ["deleting", "deleting"], seen
        assert self.error(self.dms_instance, arn=old) == ("ResourceNotFoundFault", 400)
        assert self.error(self.dms.list_tags_for_resource, ResourceArn=old) == ("ResourceNotFoundFault", 400)
        new = self.dms_create_instance("demo-private-dms", PubliclyAccessible=False)["ReplicationInstanceArn"]
        assert new != old and new.startswith(f"arn:aws:dms:{REGION}:123456789012:rep:"), (new, old)
        # The SDK waiter ends on ResourceNotFoundFault; polls 0 deletes at once.
        self.api("/hubfix-test/config", {"dms_create_polls": 0, "dms_delete_polls": 0})
        quick = self.dms_create_instance("quick")
        assert quick["ReplicationInstanceStatus"] == "creating" and self.dms_instance(quick["ReplicationInstanceArn"])[
            "ReplicationInstanceStatus"] == "available"
        self.dms.delete_replication_instance(ReplicationInstanceArn=quick["ReplicationInstanceArn"])
        self.dms.get_waiter("replication_instance_deleted").wait(
            Filters=[{"Name": "replication-instance-arn", "Values": [quick["ReplicationInstanceArn"]]}],
            WaiterConfig={"Delay": 0, "MaxAttempts": 2})
        self.dms_create_instance("quick")
        self.api("/hubfix-test/reset", {})
        print("ok dms delete: refused with tasks or while not available, deleting polls, then gone; new ARN on recreate")

    def dms_modify(self):
        arns = self.dms_seed()
        arn = arns["demo-private-dms"]
        out = self.dms.modify_replication_instance(ReplicationInstanceArn=arn, ReplicationInstanceClass="dms.c5.large",
                                                   AllocatedStorage=100, ApplyImmediately=True)["ReplicationInstance"]
        assert (out["ReplicationInstanceStatus"], out["ReplicationInstanceClass"], out["AllocatedStorage"]) == (
            "modifying", "dms.c5.large", 100), out
        seen = [self.dms_instance(arn)["ReplicationInstanceStatus"] for _ in range(3)]
        assert seen == ["modifying", "modifying", "available"], seen
        assert self.error(self.dms.modify_replication_instance, ReplicationInstanceArn=arn,
                          ReplicationInstanceClass="dms.t3.small") == ("InvalidParameterValueException", 400)
        assert self.error(self.dms.modify_replication_instance, ReplicationInstanceArn=arn, MultiAZ=True,
                          ApplyImmediately=True) == ("InvalidParameterValueException", 400)
        assert self.error(self.dms.modify_replication_instance, ReplicationInstanceArn=f"{arn}X",
                          ApplyImmediately=True) == ("ResourceNotFoundFault", 400)
        print("ok dms modify instance: class and storage applied, modifying polls, unsupported parameters refused")

    def dms_task_flow(self):
        arns = self.dms_seed()
        tasks = self.dms_tasks()
        full, cdc = tasks["demo-full-load"], tasks["demo-cdc"]
        assert (full["Status"], full["MigrationType"], full["ReplicationInstanceArn"], full["SourceEndpointArn"],
                full["TargetEndpointArn"]) == ("ready", "full-load", arns["demo-public-dms"], arns["demo-source-mysql"],
                                               arns["demo-target-postgres"]), full
        assert json.loads(full["TableMappings"])["rules"][0]["object-locator"]["schema-name"] == "app"
        assert "TargetMetadata" in json.loads(full["ReplicationTaskSettings"])
        assert full["ReplicationTaskStats"]["FullLoadProgressPercent"] == 0, full
        assert (cdc["Status"], cdc["ReplicationTaskStats"]["FullLoadProgressPercent"],
                cdc["ReplicationTaskStats"]["TablesLoaded"]) == ("running", 42, 2), cdc
        assert "ReplicationTaskStartDate" in cdc and "ReplicationTaskCreationDate" in cdc
        f = lambda name, *values: {"Name": name, "Values": list(values)}  # noqa: E731
        ids = lambda *fs: {t["ReplicationTaskIdentifier"] for t in self.dms.describe_replication_tasks(  # noqa: E731
            Filters=list(fs))["ReplicationTasks"]}
        assert ids(f("replication-instance-arn", arns["demo-public-dms"])) == {"demo-full-load", "demo-cdc"}
        assert ids(f("endpoint-arn", arns["demo-target-redshift"])) == {"demo-cdc"}
        assert ids(f("replication-task-id", "demo-cdc", "demo-full-load"), f("endpoint-arn", arns["demo-source-mysql"])) == {
            "demo-full-load"}
        assert ids(f("replication-task-arn", cdc["ReplicationTaskArn"])) == {"demo-cdc"}
        assert self.error(self.dms.describe_replication_tasks, Filters=[
            f("replication-instance-arn", arns["demo-private-dms"])]) == ("ResourceNotFoundFault", 400)
        bare = self.dms.describe_replication_tasks(WithoutSettings=True)["ReplicationTasks"][0]
        assert "TableMappings" not in bare and "ReplicationTaskSettings" not in bare, bare
        # Create: settings, CdcStartPosition and tags kept; creating for one describe; refusals.
        mine = self.dms.create_replication_task(
            ReplicationTaskIdentifier="mine", MigrationType="cdc", ReplicationInstanceArn=arns["demo-private-dms"],
            SourceEndpointArn=arns["demo-source-mysql"], TargetEndpointArn=arns["demo-target-postgres"],
            TableMappings=full["TableMappings"], ReplicationTaskSettings='{"Logging": {"EnableLogging": true}}',
            CdcStartPosition="mysql-bin-changelog.000024:373", Tags=[{"Key": "k", "Value": "v"}])["ReplicationTask"]
        assert re.fullmatch(rf"arn:aws:dms:{REGION}:123456789012:task:[A-Z][A-Z0-9]{{25}}", mine["ReplicationTaskArn"])
        assert [mine["Status"], self.dms_task(mine["ReplicationTaskArn"])["Status"],
                self.dms_task(mine["ReplicationTaskArn"])["Status"]] == ["creating", "creating", "ready"]
        got = self.dms_task(mine["ReplicationTaskArn"])
        assert (got["ReplicationTaskSettings"], got["CdcStartPosition"]) == (
            '{"Logging": {"EnableLogging": true}}', "mysql-bin-changelog.000024:373"), got
        assert self.dms.list_tags_for_resource(ResourceArn=got["ReplicationTaskArn"])["TagList"] == [
            {"Key": "k", "Value": "v", "ResourceArn": got["ReplicationTaskArn"]}]
        create = dict(MigrationType="full-load", SourceEndpointArn=arns["demo-source-mysql"],
                      TargetEndpointArn=arns["demo-target-postgres"], TableMappings=full["TableMappings"])
        assert self.error(self.dms.create_replication_task, ReplicationTaskIdentifier="mine",
                          ReplicationInstanceArn=arns["demo-private-dms"], **create) == ("ResourceAlreadyExistsFault", 400)
        young = self.dms_create_instance("young")["ReplicationInstanceArn"]
        assert self.error(self.dms.create_replication_task, ReplicationTaskIdentifier="t2",
                          ReplicationInstanceArn=young, **create) == ("InvalidResourceStateFault", 400)
        # Stop: only running; stopping for dms_task_polls describes. Delete: not while running.
        assert self.error(self.dms.stop_replication_task, ReplicationTaskArn=full["ReplicationTaskArn"]) == (
            "InvalidResourceStateFault", 400)
        assert self.error(self.dms.delete_replication_task, ReplicationTaskArn=cdc["ReplicationTaskArn"]) == (
            "InvalidResourceStateFault", 400)
        assert self.dms.stop_replication_task(ReplicationTaskArn=cdc["ReplicationTaskArn"])["ReplicationTask"][
            "Status"] == "stopping"
        seen = [self.dms_task(cdc["ReplicationTaskArn"]) for _ in range(3)]
        assert [t["Status"] for t in seen] == ["stopping", "stopping", "stopped"], seen
        assert "StopDate" in seen[-1]["ReplicationTaskStats"] and seen[-1]["ReplicationTaskStats"][
            "FullLoadProgressPercent"] == 42, seen[-1]
        # Start: starting for one describe, then running.
        started = self.dms.start_replication_task(ReplicationTaskArn=full["ReplicationTaskArn"],
                                                  StartReplicationTaskType="start-replication")["ReplicationTask"]
        assert [started["Status"], self.dms_task(full["ReplicationTaskArn"])["Status"],
                self.dms_task(full["ReplicationTaskArn"])["Status"]] == ["starting", "starting", "running"]
        assert self.error(self.dms.start_replication_task, ReplicationTaskArn=full["ReplicationTaskArn"],
                          StartReplicationTaskType="start-replication") == ("InvalidResourceStateFault", 400)
        # Delete: deleting for dms_task_polls describes, then gone.
        assert self.dms.delete_replication_task(ReplicationTaskArn=got["ReplicationTaskArn"])["ReplicationTask"][
            "Status"] == "deleting"
        assert [self.dms_task(got["ReplicationTaskArn"])["Status"] for _ in range(2)] == ["deleting", "deleting"]
        assert self.error(self.dms_task, arn=got["ReplicationTaskArn"]) == ("ResourceNotFoundFault", 400)
        print("ok dms tasks: fields, filters, creating/starting/stopping/deleting polls, refusals")

    def dms_move(self):
        arns = self.dms_seed()
        tasks = self.dms_tasks()
        full, cdc = tasks["demo-full-load"]["ReplicationTaskArn"], tasks["demo-cdc"]["ReplicationTaskArn"]
        young = self.dms_create_instance("young")["ReplicationInstanceArn"]
        target = arns["demo-private-dms"]
        assert self.error(self.dms.move_replication_task, ReplicationTaskArn=full, TargetReplicationInstanceArn=young) == (
            "InvalidResourceStateFault", 400)  # target not available
        assert self.error(self.dms.move_replication_task, ReplicationTaskArn=cdc, TargetReplicationInstanceArn=target) == (
            "InvalidResourceStateFault", 400)  # running
        moving = self.dms.move_replication_task(ReplicationTaskArn=full, TargetReplicationInstanceArn=target)[
            "ReplicationTask"]
        assert (moving["Status"], moving["TargetReplicationInstanceArn"]) == ("moving", target), moving
        seen = [self.dms_task(full) for _ in range(3)]
        assert [(t["Status"], t["ReplicationInstanceArn"]) for t in seen] == [
            ("moving", arns["demo-public-dms"]), ("moving", arns["demo-public-dms"]), ("stopped", target)], seen
        assert "TargetReplicationInstanceArn" not in seen[-1]
        self.api("/hubfix-test/config", {"dms_task_polls": 0})
        self.dms.stop_replication_task(ReplicationTaskArn=cdc)
        assert self.dms.move_replication_task(ReplicationTaskArn=cdc, TargetReplicationInstanceArn=target)[
            "ReplicationTask"]["Status"] == "moving"
        moved = self.dms_task(cdc)
        assert (moved["Status"], moved["ReplicationInstanceArn"], moved["ReplicationTaskStats"][
            "FullLoadProgressPercent"]) == ("stopped", target, 42), moved
        assert self.error(self.dms.delete_replication_instance, ReplicationInstanceArn=target) == (
            "InvalidResourceStateFault", 400)
        self.dms.delete_replication_instance(ReplicationInstanceArn=arns["demo-public-dms"])  # no tasks left on it
        self.api("/hubfix-test/reset", {})
        print("ok dms MoveReplicationTask: moving polls, then stopped on the target; refusals")

    def dms_endpoints(self):
        arns = self.dms_seed()
        eps = {e["EndpointIdentifier"]: e for e in self.dms.describe_endpoints()["Endpoints"]}
        mysql = eps["demo-source-mysql"]
        assert (mysql["EndpointType"], mysql["EngineName"], mysql["ServerName"], mysql["Port"], mysql["DatabaseName"],
                mysql["SslMode"], mysql["Status"]) == ("SOURCE", "mysql", "demo-source-mysql.demo.internal", 3306, "app",
                                                       "none", "active"), mysql
        assert {k: e["SslMode"] for k, e in eps.items()} == {
            "demo-source-mysql": "none", "demo-target-postgres": "none", "demo-target-redshift": "none",
            "demo-source-postgres-ssl": "require"}
        f = lambda name, *values: {"Name": name, "Values": list(values)}  # noqa: E731
        ids = lambda *fs: {e["EndpointIdentifier"] for e in self.dms.describe_endpoints(Filters=list(fs))["Endpoints"]}  # noqa: E731
        assert ids(f("endpoint-type", "source")) == ids(f("endpoint-type", "SOURCE")) == {
            "demo-source-mysql", "demo-source-postgres-ssl"}
        assert ids(f("engine-name", "postgres"), f("endpoint-type", "target")) == {"demo-target-postgres"}
        assert ids(f("endpoint-id", "demo-target-redshift"), f("endpoint-arn", arns["demo-target-redshift"])) == {
            "demo-target-redshift"}
        assert self.error(self.dms.describe_endpoints, Filters=[f("endpoint-id", "nope")]) == ("ResourceNotFoundFault", 400)
        assert self.error(self.dms.create_endpoint, EndpointIdentifier="demo-source-mysql", EndpointType="source",
                          EngineName="mysql") == ("ResourceAlreadyExistsFault", 400)
        # ModifyEndpoint
        arn = arns["demo-source-mysql"]
        e = self.dms.modify_endpoint(EndpointArn=arn, SslMode="require", Port=3307,
                                     MySQLSettings={"ServerTimezone": "UTC"})["Endpoint"]
        assert (e["SslMode"], e["Port"], e["MySQLSettings"], e["Status"]) == ("require", 3307, {"ServerTimezone": "UTC"},
                                                                              "active"), e
        e = self.dms.modify_endpoint(EndpointArn=arn, MySQLSettings={"EventsPollInterval": 5})["Endpoint"]
        assert e["MySQLSettings"] == {"ServerTimezone": "UTC", "EventsPollInterval": 5}, e
        assert self.dms.describe_endpoints(Filters=[f("endpoint-arn", arn)])["Endpoints"][0]["SslMode"] == "require"
        modify_error = lambda **kw: self.error(self.dms.modify_endpoint, EndpointArn=arn, **kw)  # noqa: E731
        assert modify_error(SslMode="verify-full") == ("InvalidParameterValueException", 400)
        assert modify_error(SslMode="sometimes") == ("InvalidParameterValueException", 400)
        assert modify_error(SslMode="verify-ca", CertificateArn=f"arn:aws:dms:{REGION}:123456789012:cert:NOPE") == (
            "ResourceNotFoundFault", 400)
        assert self.error(self.dms.modify_endpoint, EndpointArn=arn + "X", SslMode="require") == (
            "ResourceNotFoundFault", 400)
        # ImportCertificate, DescribeCertificates, then verify-full with it.
        assert self.error(self.dms.describe_certificates) == ("ResourceNotFoundFault", 400)
        assert self.error(self.dms.import_certificate, CertificateIdentifier="bad", CertificatePem="not a PEM") == (
            "InvalidCertificateFault", 400)
        assert self.error(self.dms.import_certificate, CertificateIdentifier="bad", CertificatePem=(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")) == ("InvalidCertificateFault", 400)
        pem = test_certificate_pem()
        cert = self.dms.import_certificate(CertificateIdentifier="demo-ca", CertificatePem=pem)["Certificate"]
        assert (cert["CertificateIdentifier"], cert["CertificatePem"], cert["CertificateOwner"], cert["SigningAlgorithm"],
                cert["KeyLength"]) == ("demo-ca", pem, "123456789012", "SHA256withRSA", 2048), cert
        assert cert["ValidToDate"] - cert["ValidFromDate"] > timedelta(days=300), cert
        assert re.fullmatch(rf"arn:aws:dms:{REGION}:123456789012:cert:[A-Z][A-Z0-9]{{25}}", cert["CertificateArn"])
        assert self.error(self.dms.import_certificate, CertificateIdentifier="demo-ca", CertificatePem=pem) == (
            "ResourceAlreadyExistsFault", 400)
        self.dms.import_certificate(CertificateIdentifier="other-ca", CertificatePem=pem)
        certs = lambda *fs: [c["CertificateIdentifier"] for c in self.dms.describe_certificates(  # noqa: E731
            Filters=list(fs))["Certificates"]]
        assert certs() == ["demo-ca", "other-ca"]
        assert certs(f("certificate-arn", cert["CertificateArn"])) == certs(f("certificate-id", "demo-ca")) == ["demo-ca"]
        assert self.error(self.dms.describe_certificates, Filters=[f("certificate-id", "nope")]) == (
            "ResourceNotFoundFault", 400)
        e = self.dms.modify_endpoint(EndpointArn=arn, SslMode="verify-full", CertificateArn=cert["CertificateArn"])[
            "Endpoint"]
        assert (e["SslMode"], e["CertificateArn"]) == ("verify-full", cert["CertificateArn"]), e
        assert self.dms.modify_endpoint(EndpointArn=arn, SslMode="verify-ca")["Endpoint"]["SslMode"] == "verify-ca"
        assert self.error(self.dms.delete_certificate, CertificateArn=cert["CertificateArn"]) == (
            "InvalidResourceStateFault", 400)  # in use
        other = self.dms.describe_certificates(Filters=[f("certificate-id", "other-ca")])["Certificates"][0]
        self.dms.delete_certificate(CertificateArn=other["CertificateArn"])
        assert certs() == ["demo-ca"]
        print("ok dms endpoints: active, SSL modes, filters, ModifyEndpoint, ImportCertificate, DescribeCertificates")

    def dms_connection(self, instance, endpoint):
        return self.dms.describe_connections(Filters=[{"Name": "endpoint-arn", "Values": [endpoint]}, {
            "Name": "replication-instance-arn", "Values": [instance]}])["Connections"][0]

    def dms_connections(self):
        arns = self.dms_seed()
        inst, mysql, pg = arns["demo-public-dms"], arns["demo-source-mysql"], arns["demo-target-postgres"]
        assert self.error(self.dms.describe_connections) == ("ResourceNotFoundFault", 400)
        for _ in range(2):  # repeatable for the same pair
            c = self.dms.test_connection(ReplicationInstanceArn=inst, EndpointArn=mysql)["Connection"]
            assert (c["Status"], c["EndpointIdentifier"], c["ReplicationInstanceIdentifier"]) == (
                "testing", "demo-source-mysql", "demo-public-dms"), c
            seen = [self.dms_connection(inst, mysql) for _ in range(3)]
            assert [x["Status"] for x in seen] == ["testing", "testing", "successful"], seen
            assert "LastFailureMessage" not in seen[-1]
        self.api("/hubfix-test/dms-connection-fails", {"endpoint_arn": mysql, "message": "timeout", "times": 1})
        self.api("/hubfix-test/dms-connection-fails", {"endpoint_arn": pg, "message": "no pg_hba.conf entry"})
        self.api("/hubfix-test/config", {"dms_connection_polls": 0})
        results = []
        for endpoint in (mysql, mysql, pg, pg):
            self.dms.test_connection(ReplicationInstanceArn=inst, EndpointArn=endpoint)
            c = self.dms_connection(inst, endpoint)
            results.append((c["Status"], c.get("LastFailureMessage")))
        assert results == [("failed", "timeout"), ("successful", None), ("failed", "no pg_hba.conf entry"),
                           ("failed", "no pg_hba.conf entry")], results
        assert len(self.dms.describe_connections()["Connections"]) == 2
        assert self.error(self.dms.describe_connections, Filters=[{"Name": "endpoint-arn", "Values": ["nope"]}]) == (
            "ResourceNotFoundFault", 400)
        self.api("/hubfix-test/reset", {})  # clears the failures
        self.dms.test_connection(ReplicationInstanceArn=inst, EndpointArn=pg)
        self.dms.get_waiter("test_connection_succeeds").wait(
            Filters=[{"Name": "endpoint-arn", "Values": [pg]}, {"Name": "replication-instance-arn", "Values": [inst]}],
            WaiterConfig={"Delay": 0, "MaxAttempts": 4})
        young = self.dms_create_instance("young")["ReplicationInstanceArn"]
        assert self.error(self.dms.test_connection, ReplicationInstanceArn=young, EndpointArn=pg) == (
            "InvalidResourceStateFault", 400)
        assert self.error(self.dms.test_connection, ReplicationInstanceArn=inst, EndpointArn=pg + "X") == (
            "ResourceNotFoundFault", 400)
        # A failure only from private instances, or only from one instance: the public one still gets through.
        self.api("/hubfix-test/config", {"dms_connection_polls": 0, "dms_create_polls": 0})
        private = self.dms_create_instance("private", PubliclyAccessible=False)
        other = self.dms_create_instance("other-private", PubliclyAccessible=False)
        self.api("/hubfix-test/dms-connection-fails", {"endpoint_arn": pg, "message": "no route", "from_private": True})
        self.api("/hubfix-test/dms-connection-fails", {"endpoint_arn": mysql, "replication_instance": "private",
                                                  "message": "filtered"})

        def tested(instance, endpoint):
            self.dms.test_connection(ReplicationInstanceArn=instance, EndpointArn=endpoint)
            c = self.dms_connection(instance, endpoint)
            return c["Status"], c.get("LastFailureMessage")
        results = [tested(i, e) for i in (inst, private["ReplicationInstanceArn"], other["ReplicationInstanceArn"])
                   for e in (pg, mysql)]
        assert results == [("successful", None), ("successful", None),
                           ("failed", "no route"), ("failed", "filtered"),
                           ("failed", "no route"), ("successful", None)], results
        self.api("/hubfix-test/reset", {})
        for bad in ({"message": "x"}, {"endpoint_arn": pg, "times": 0}, {"endpoint_arn": pg, "from_private": "yes"},
                    {"endpoint_arn": pg, "replication_instance": 1}, {"endpoint_arn": pg, "instance": "x"}):
            assert http(self.endpoint + "/hubfix-test/dms-connection-fails", "POST", bad)[0] == 400, bad
        assert http(self.endpoint + "/hubfix-test/config", "POST", {"dms_no_such_polls": 1})[0] == 400
        print("ok dms TestConnection: repeatable, testing polls, connection-fails hook (also only from private "
              "instances or from one instance), refusals")

    def dms_raw_call(self, action, body):
        status, headers, text = self.signed("dms", "POST", "/", json.dumps(body), {
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AmazonDMSv20160101.{action}"})
        if self.show_raw:
            print(f"--- raw {action} {json.dumps(body)}: HTTP {status} {headers.get('content-type')}\n{text}")
        return status, headers, json.loads(text)

    def dms_raw(self):
        arns = self.dms_seed()
        self.dms.import_certificate(CertificateIdentifier="demo-ca", CertificatePem=test_certificate_pem())
        self.dms.test_connection(ReplicationInstanceArn=arns["demo-public-dms"], EndpointArn=arns["demo-source-mysql"])
        self.api("/hubfix-test/config", {"dms_task_polls": 0})
        self.dms.stop_replication_task(ReplicationTaskArn=self.dms_tasks()["demo-cdc"]["ReplicationTaskArn"])
        stamps = []

        def walk(value, key=None):  # every timestamp must be a JSON number, as the Rust SDK parses them
            if isinstance(value, dict):
                for k, v in value.items():
                    assert v is not None, (k, value)
                    walk(v, k)
            elif isinstance(value, list):
                for v in value:
                    walk(v)
            elif key and re.search(r"(Date|Time|Until)$", key):
                assert isinstance(value, (int, float)) and not isinstance(value, bool), (key, value)
                stamps.append(key)

        for action, key in [("DescribeReplicationInstances", "ReplicationInstances"),
                            ("DescribeReplicationTasks", "ReplicationTasks"), ("DescribeEndpoints", "Endpoints"),
                            ("DescribeCertificates", "Certificates"), ("DescribeConnections", "Connections")]:
            status, headers, body = self.dms_raw_call(action, {})
            assert status == 200 and headers["content-type"] == "application/x-amz-json-1.1" and body[key], (status, body)
            walk(body)
        assert {"InstanceCreateTime", "ReplicationTaskCreationDate", "ReplicationTaskStartDate", "StartDate", "StopDate",
                "CertificateCreationDate", "ValidFromDate", "ValidToDate"} <= set(stamps), stamps
        status, _, body = self.dms_raw_call("CreateReplicationInstance", {
            "ReplicationInstanceIdentifier": "raw", "ReplicationInstanceClass": "dms.t3.small"})
        assert status == 200 and isinstance(body["ReplicationInstance"]["InstanceCreateTime"], float), body
        walk(body)
        status, headers, body = self.dms_raw_call("DescribeReplicationInstances", {"Filters": [
            {"Name": "replication-instance-id", "Values": ["nope"]}]})
        assert status == 400 and body["__type"] == "ResourceNotFoundFault" and body["message"], (status, body)
        self.api("/hubfix-test/reset", {})
        print("ok dms raw JSON: timestamps are epoch seconds, no nulls, ResourceNotFoundFault")


def test_certificate_pem():
    """A self-signed RSA 2048 / SHA-256 CA certificate valid for a year, as ImportCertificate wants."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hubfix demo CA")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint-url")
    parser.add_argument("--show-raw", action="store_true")
    args = parser.parse_args()
    server = None
    endpoint = args.endpoint_url
    if not endpoint:
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        server = subprocess.Popen([sys.executable, str(HERE / "hubfix_moto.py"), "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        check = Check(endpoint)
        check.show_raw = args.show_raw
        if server:
            while True:
                try:
                    check.hub.enable_security_hub()
                    break
                except Exception:
                    if server.poll() is not None:
                        raise SystemExit("emulator exited")
                    time.sleep(0.05)
            print(f"emulator answered its first AWS request after {time.monotonic() - started:.2f} s")
        for step in (check.filters, check.paging, check.batch_update, check.user_defined_fields,
                     check.log_and_deny, check.faults,
                     check.redshift, check.redshift_network, check.raw,
                     check.elasticache_members, check.elasticache_refusals, check.elasticache_rotate_set, check.elasticache_upgrade_then_tls,
                     check.elasticache_raw, check.dms_instances, check.dms_modify, check.dms_delete, check.dms_task_flow, check.dms_move,
                     check.dms_endpoints, check.dms_connections, check.dms_raw):
            step()
    finally:
        if server:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
