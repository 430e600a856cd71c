#!/usr/bin/env python3
"""Check the emulator's patches with boto3 (no cargo needed).

    python3 tests/emulator/selfcheck.py [--endpoint-url URL] [--show-raw]

Without --endpoint-url it starts hubfix_moto.py on a free loopback port and
stops it afterwards. --show-raw prints raw DescribeClusters / GetFindings
responses, to compare with what the Rust SDK parses.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import ClientError

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

    def log_and_deny(self):
        self.fresh()
        self.api("/hubfix-test/reset", {})
        self.rs.describe_clusters()
        self.hub.get_findings()
        log = self.api("/hubfix-test/requests")
        assert log == [
            {"service": "redshift", "action": "DescribeClusters", "method": "POST", "path": "/"},
            {"service": "securityhub", "action": "GetFindings", "method": "POST", "path": "/findings"},
        ], log
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
            "service": "dms", "action": "DescribeReplicationInstances", "method": "POST", "path": "/"}
        self.api("/hubfix-test/reset", {})
        assert self.api("/hubfix-test/requests") == []
        dms.describe_replication_instances()
        self.api("/hubfix-test/deny", {"action": "ModifyCluster"})
        self.api("/moto-api/reset", {})  # also clears the test API state
        assert self.api("/hubfix-test/requests") == []
        self.fresh()
        self.rs.modify_cluster(ClusterIdentifier="test-redshift-cluster", EnhancedVpcRouting=True)
        print("ok request log and deny")

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
        for step in (check.filters, check.paging, check.batch_update, check.log_and_deny, check.redshift, check.raw):
            step()
    finally:
        if server:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
