"""Security Hub: real GetFindings filtering and a BatchUpdateFindings route.

Why: moto 5.2 stores BatchImportFindings findings as sent (a list of
`Finding` objects whose `.data` is the finding dict) but GetFindings ignores
every filter, and BatchUpdateFindings has no route at all (HTTP 404). hubfix
selects failed findings with filters and records its fixes with
BatchUpdateFindings, so both must behave as AWS does.

GetFindings: StringFilters (EQUALS, PREFIX, CONTAINS, NOT_EQUALS, NOT_PREFIX,
NOT_CONTAINS) on the keys in FIELDS. Keys are ANDed; within a key the positive
comparisons are ORed and the negative ones ANDed, as AWS documents. A filter on
an unsupported key is a 400, so a test never passes because of an ignored filter.
Paging is over the backend's insertion order (stable), NextToken is an offset.

BatchUpdateFindings: validates like AWS, updates the stored finding in place
(so GetFindings shows the change) and can be told to fail a finding with the
retryable ConcurrentUpdateError (POST /hubfix-test/fail-updates).
UserDefinedFields (at most 50; keys 1..128 and values 1..1024 characters, not
blank) replace the finding's whole map, as aws-facts.md says AWS does: a client
that wants to keep fields must read and send them. GetFindings filters them with
MapFilters (EQUALS, CONTAINS and the NOT_ forms), like ProductFields.
"""

import base64
import json
from datetime import datetime, timezone

import moto.securityhub.urls as urls
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.responses import SecurityHubResponse

from . import state


def _field(*keys, default=None):
    def get(finding):
        value = finding
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        value = default if value is None else value
        return [] if value is None else [value]

    return get


def _resources(key):
    return lambda f: [r[key] for r in f.get("Resources") or [] if key in r]


FIELDS = {
    "Id": _field("Id"),
    "ProductArn": _field("ProductArn"),
    "ProductName": _field("ProductName"),
    "CompanyName": _field("CompanyName"),
    "GeneratorId": _field("GeneratorId"),
    "Region": _field("Region"),
    "AwsAccountId": _field("AwsAccountId"),
    "Title": _field("Title"),
    "RecordState": _field("RecordState"),
    "SeverityLabel": _field("Severity", "Label"),
    "ComplianceStatus": _field("Compliance", "Status"),
    "ComplianceSecurityControlId": _field("Compliance", "SecurityControlId"),
    "WorkflowStatus": _field("Workflow", "Status", default="NEW"),
    "WorkflowState": _field("WorkflowState", default="NEW"),
    "Type": lambda f: list(f.get("Types") or []),
    "ResourceType": _resources("Type"),
    "ResourceId": _resources("Id"),
    "ResourceRegion": _resources("Region"),
    "ResourcePartition": _resources("Partition"),
}

COMPARE = {
    "EQUALS": lambda v, x: v == x,
    "PREFIX": lambda v, x: v.startswith(x),
    "CONTAINS": lambda v, x: x in v,
}

JSON = {"Content-Type": "application/json"}
WORKFLOW_STATE = {"NEW": "NEW", "NOTIFIED": "ASSIGNED", "SUPPRESSED": "DEFERRED", "RESOLVED": "RESOLVED"}


def _invalid(message):
    return SecurityHubClientError("InvalidInputException", message)


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _key_matches(values, conditions):
    positive, negative = [], []
    for cond in conditions:
        comparison = cond.get("Comparison")
        value = cond.get("Value")
        if not isinstance(value, str) or not isinstance(comparison, str):
            raise _invalid("Each StringFilter needs a string Value and Comparison")
        base = comparison[4:] if comparison.startswith("NOT_") else comparison
        if base not in COMPARE:
            raise _invalid(f"Unsupported Comparison {comparison}")
        hit = any(isinstance(v, str) and COMPARE[base](v, value) for v in values)
        (negative if base != comparison else positive).append(hit)
    return (not positive or any(positive)) and not any(negative)


# MapFilters: {Key, Value, Comparison} on a string map of the finding.
MAP_FIELDS = {
    "ProductFields": lambda f: f.get("ProductFields") or {},
    "UserDefinedFields": lambda f: f.get("UserDefinedFields") or {},
}


def _map_matches(mapping, conditions):
    positive, negative = [], []
    for cond in conditions:
        key, value, comparison = cond.get("Key"), cond.get("Value"), cond.get("Comparison")
        if not all(isinstance(x, str) for x in (key, value, comparison)):
            raise _invalid("Each MapFilter needs a string Key, Value and Comparison")
        base = comparison[4:] if comparison.startswith("NOT_") else comparison
        if base not in ("EQUALS", "CONTAINS"):
            raise _invalid(f"Unsupported MapFilter Comparison {comparison}")
        actual = mapping.get(key)
        hit = isinstance(actual, str) and COMPARE[base](actual, value)
        (negative if base != comparison else positive).append(hit)
    return (not positive or any(positive)) and not any(negative)


def filter_findings(findings, filters):
    for key, conditions in (filters or {}).items():
        if key in MAP_FIELDS and isinstance(conditions, list):
            findings = [f for f in findings if _map_matches(MAP_FIELDS[key](f), conditions)]
            continue
        if key not in FIELDS:
            raise _invalid(f"hubfix emulator: filter {key} is not supported")
        if not isinstance(conditions, list):
            raise _invalid(f"Filter {key} must be a list of StringFilters")
        findings = [f for f in findings if _key_matches(FIELDS[key](f), conditions)]
    return findings


def get_findings(self):
    body = json.loads(self.body or "{}")
    max_results = body.get("MaxResults", 100)
    if not isinstance(max_results, int) or not 1 <= max_results <= 100:
        raise _invalid("MaxResults must be a number between 1 and 100")
    try:
        token = body.get("NextToken")
        offset = json.loads(base64.b64decode(token))["offset"] if token else 0
    except (ValueError, KeyError, TypeError):
        raise _invalid("Invalid NextToken")
    with state.lock:
        matches = filter_findings([f.data for f in self.securityhub_backend.findings], body.get("Filters"))
        page = matches[offset : offset + max_results]
        result = {"Findings": json.loads(json.dumps(page))}
    if offset + max_results < len(matches):
        result["NextToken"] = base64.b64encode(json.dumps({"offset": offset + max_results}).encode()).decode()
    return json.dumps(result), JSON


def _validate_update(body):
    identifiers = body.get("FindingIdentifiers")
    if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= 100:
        raise _invalid("FindingIdentifiers must hold between 1 and 100 identifiers")
    for ident in identifiers:
        if not (isinstance(ident, dict) and isinstance(ident.get("Id"), str) and isinstance(ident.get("ProductArn"), str)):
            raise _invalid("Each FindingIdentifier needs Id and ProductArn")
    note = body.get("Note")
    if note is not None:
        for key in ("Text", "UpdatedBy"):
            value = note.get(key) if isinstance(note, dict) else None
            if not isinstance(value, str) or not 1 <= len(value) <= 512 or not value.strip():
                raise _invalid(f"Note.{key} is required: 1 to 512 characters, not only whitespace")
    status = (body.get("Workflow") or {}).get("Status")
    if status is not None and status not in WORKFLOW_STATE:
        raise _invalid(f"Invalid Workflow.Status {status}")
    fields = body.get("UserDefinedFields")
    if fields is not None:
        if not isinstance(fields, dict) or len(fields) > 50:
            raise _invalid("UserDefinedFields must be a map of at most 50 fields")
        for key, value in fields.items():
            if not (isinstance(value, str) and 1 <= len(key) <= 128 and key.strip()):
                raise _invalid("UserDefinedFields keys must be 1 to 128 characters, not only whitespace")
            if not (1 <= len(value) <= 1024 and value.strip()):
                raise _invalid(f"UserDefinedFields.{key} must be 1 to 1024 characters, not only whitespace")
    return identifiers


def _apply_update(finding, body, now):
    if "Workflow" in body and "Status" in body["Workflow"]:
        finding["Workflow"] = {"Status": body["Workflow"]["Status"]}
        finding["WorkflowState"] = WORKFLOW_STATE[body["Workflow"]["Status"]]
    if "Note" in body:
        finding["Note"] = {"Text": body["Note"]["Text"], "UpdatedBy": body["Note"]["UpdatedBy"], "UpdatedAt": now}
    for key in ("VerificationState", "Confidence", "Criticality", "Types"):
        if key in body:
            finding[key] = body[key]
    if "Severity" in body:
        finding["Severity"] = {**(finding.get("Severity") or {}), **body["Severity"]}
    if "UserDefinedFields" in body:
        finding["UserDefinedFields"] = dict(body["UserDefinedFields"])
    finding["UpdatedAt"] = now


def batch_update_findings(self):
    body = json.loads(self.body or "{}")
    identifiers = _validate_update(body)
    now = _now()
    processed, unprocessed, seen = [], [], set()

    def fail(ident, code, message):
        unprocessed.append({"FindingIdentifier": ident, "ErrorCode": code, "ErrorMessage": message})

    with state.lock:
        for raw in identifiers:
            ident = {"Id": raw["Id"], "ProductArn": raw["ProductArn"]}
            key = (ident["Id"], ident["ProductArn"])
            finding = next(
                (f.data for f in self.securityhub_backend.findings if (f.data.get("Id"), f.data.get("ProductArn")) == key),
                None,
            )
            if key in seen:
                fail(ident, "DuplicatedFindingIdentifier", "Duplicated finding identifier in the request")
            elif finding is None:
                fail(ident, "FindingNotFound", "Finding Not Found")
            elif state.take_fail_update(ident["Id"]):
                fail(ident, "ConcurrentUpdateError", "Finding was updated concurrently; retry the update")
            else:
                _apply_update(finding, body, now)
                processed.append(ident)
            seen.add(key)
    return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}), JSON


def apply():
    # moto finds the action by its snake_case name on the class at request time;
    # the route must exist before moto builds the Flask app on the first request.
    SecurityHubResponse.get_findings = get_findings
    SecurityHubResponse.batch_update_findings = batch_update_findings
    urls.url_paths["{0}/findings/batchupdate$"] = SecurityHubResponse.dispatch
