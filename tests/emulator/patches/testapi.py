"""The /hubfix-test/ control API, plus request logging and denial of actions.

Why: end-to-end tests must assert which AWS calls hubfix made (and did not
make, e.g. in dry-run), and must provoke AccessDenied without real IAM. moto
has neither, so this WSGI middleware wraps the app moto's server builds:

  GET  /hubfix-test/requests      every AWS request since the last reset:
                                  [{"service","action","method","path","params"}]
                                  params: the JSON body, or the query protocol's
                                  form fields (Action and Version left out); an
                                  AuthToken only as "sha256:<hex>"
  POST /hubfix-test/reset         clear the log, denials, fault hooks, config
  GET  /hubfix-test/id            {"id": $HUBFIX_EMULATOR_ID}, to recognise one's own server
  GET  /hubfix-test/config        current config
  POST /hubfix-test/config        {"redshift_modify_polls": N, "elasticache_modify_polls": N}
  POST /hubfix-test/deny          {"action": "ModifyCluster"} (optional
                                  "service", "code", "status", "params_contain"):
                                  that action answers an AccessDenied error until
                                  reset (with params_contain, only a request whose
                                  parameters contain that text, e.g. one account's
                                  role ARN in AssumeRole); {"service": "ec2",
                                  "action": "*"} denies every action of a service.
                                  EC2 answers as EC2 does: UnauthorizedOperation
                                  under Response/Errors
  POST /hubfix-test/fail-updates  {"finding_id": ID, "times": N}: the next N
                                  BatchUpdateFindings of ID are unprocessed
                                  with ConcurrentUpdateError
  GET  /hubfix-test/elasticache-auth  per replication group: accepted AUTH token
                                  changes and current tokens, as sha256 hashes
  GET  /hubfix-test/elasticache-changes  per replication group: accepted engine
                                  upgrades and in-transit encryption modes, in order
  POST /hubfix-test/after-apply   {"action": "DeleteReplicationInstance", "fault":
                                  "hang" | "drop"} (optional "skip": N requests
                                  of that action let through first, "times": N,
                                  "seconds": S): the request is applied, then its
                                  answer is held for S seconds (hang: a client
                                  killed meanwhile never learns the outcome) or the
                                  connection is closed without an answer (drop: a
                                  lost response after AWS accepted the request)
  POST /hubfix-test/dms-connection-fails  {"endpoint_arn": ARN, "message": M}
                                  (optional "times": N): until reset (or for the
                                  next N), DMS TestConnection of ARN ends `failed`

POST /moto-api/reset still resets moto and also does /hubfix-test/reset.
"""

import hashlib
import io
import json
import os
import re
import socket
import time
import uuid
from urllib.parse import parse_qs

from moto.core.responses import _get_method_urls
from werkzeug.wrappers import Request, Response

from . import dms, elasticache, state

ACCOUNT = "123456789012"


def _service_region(environ):
    # Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...
    try:
        scope = environ["HTTP_AUTHORIZATION"].split("Credential=", 1)[1].split(",")[0]
        _, _, region, service, _ = scope.split("/")
        return service, region
    except (KeyError, IndexError, ValueError):
        return None, None


def _query_action(environ):
    """Action= of a query-protocol request (form body or query string), else None."""
    params = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        params.update(parse_qs(body.decode("utf-8", "replace")))
    return (params.get("Action") or [None])[0]


def _rest_action(service, region, method, path):
    try:
        patterns = _get_method_urls(service, region or "us-east-1")[method].items()
        for pattern, name in sorted(patterns, key=lambda p: -len(p[0])):
            if re.match(pattern, path):
                return name
    except Exception:
        pass
    return None


def describe(environ):
    """(service, action, protocol) of an AWS request; protocol: 'query', 'json' or 'rest-json'."""
    service, region = _service_region(environ)
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return service, target.split(".")[-1], "json"
    action = _query_action(environ)
    if action:
        return service, action, "query"
    return service, _rest_action(service, region, method, path) or f"{method} {path}", "rest-json"


def _params(environ, protocol):
    """The request's parameters, so tests can compare what was sent with what was planned."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
    if protocol == "query":
        fields = parse_qs(environ.get("QUERY_STRING", ""))
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            fields.update(parse_qs(body.decode("utf-8", "replace")))
        params = {k: v[0] for k, v in fields.items() if k not in ("Action", "Version")}
    else:
        try:
            params = json.loads(body) if body.strip() else {}
        except ValueError:
            params = {}
    if isinstance(params, dict) and isinstance(params.get("AuthToken"), str):
        params["AuthToken"] = "sha256:" + hashlib.sha256(params["AuthToken"].encode()).hexdigest()
    return params


def _denial(service, action, protocol, code, status):
    message = f"User: arn:aws:iam::{ACCOUNT}:user/test is not authorized to perform: {service}:{action}"
    if service == "ec2":
        # EC2's own query protocol: errors under Response/Errors, AccessDenied is
        # UnauthorizedOperation (HTTP 403 on AWS).
        body = (
            f"<Response><Errors><Error><Code>{code or 'UnauthorizedOperation'}</Code>"
            f"<Message>You are not authorized to perform this operation. {message}</Message></Error></Errors>"
            f"<RequestID>{uuid.uuid4()}</RequestID></Response>"
        )
        return Response(body, status or 403, content_type="text/xml")
    status = status or 400
    if protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code or 'AccessDenied'}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )
        return Response(body, status, content_type="text/xml")
    code = code or "AccessDeniedException"
    return Response(
        json.dumps({"__type": code, "message": message}),
        status,
        content_type="application/json" if protocol == "rest-json" else "application/x-amz-json-1.1",
        headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": str(uuid.uuid4())},
    )


def _ok(value=None):
    return Response(json.dumps({"status": "ok"} if value is None else value), 200, content_type="application/json")


def _bad(message, status=400):
    return Response(json.dumps({"error": message}), status, content_type="application/json")


def control(request):
    route = (request.method, request.path.rstrip("/"))
    body = (request.get_json(force=True, silent=True) or {}) if request.method == "POST" else {}
    with state.lock:
        if route == ("GET", "/hubfix-test/requests"):
            return _ok(list(state.requests))
        if route == ("POST", "/hubfix-test/reset"):
            state.reset()
            return _ok()
        if route == ("GET", "/hubfix-test/id"):
            # Lets a harness tell its own emulator from another one that took the port.
            return _ok({"id": os.environ.get("HUBFIX_EMULATOR_ID", "")})
        if route == ("GET", "/hubfix-test/config"):
            return _ok(dict(state.config))
        if route == ("POST", "/hubfix-test/config"):
            unknown = set(body) - set(state.DEFAULTS)
            if unknown:
                return _bad(f"unknown config keys: {sorted(unknown)}")
            state.config.update(body)
            return _ok(dict(state.config))
        if route == ("POST", "/hubfix-test/deny"):
            if not isinstance(body.get("action"), str):
                return _bad('expected {"action": "ModifyCluster"}')
            if body["action"] == "*" and not isinstance(body.get("service"), str):
                return _bad('"action": "*" denies every action of one service: add "service", e.g. "ec2"')
            key = body["action"] if body["action"] != "*" else f"*{body['service']}"
            status = int(body["status"]) if body.get("status") is not None else None
            state.denied[key] = (body.get("service"), body.get("code"), status, body.get("params_contain"))
            return _ok()
        if route == ("GET", "/hubfix-test/redshift-changes"):
            return _ok(list(state.redshift_changes))
        if route == ("GET", "/hubfix-test/elasticache-auth"):
            return _ok(elasticache.auth_report())
        if route == ("GET", "/hubfix-test/elasticache-changes"):
            return _ok(elasticache.changes_report())
        if route == ("POST", "/hubfix-test/fail-updates"):
            if not isinstance(body.get("finding_id"), str) or not isinstance(body.get("times"), int):
                return _bad('expected {"finding_id": "...", "times": N}')
            state.fail_updates[body["finding_id"]] = body["times"]
            return _ok()
        if route == ("POST", "/hubfix-test/after-apply"):
            fault = body.get("fault")
            if not isinstance(body.get("action"), str) or fault not in ("hang", "drop"):
                return _bad('expected {"action": "...", "fault": "hang" | "drop", "skip": N, "times": N, "seconds": S}')
            state.faults[body["action"]] = {
                "fault": fault,
                "skip": int(body.get("skip", 0)),
                "times": int(body.get("times", 1)),
                "seconds": float(body.get("seconds", 30)),
            }
            return _ok()
        if route == ("POST", "/hubfix-test/dms-connection-fails"):
            arn, times = body.get("endpoint_arn"), body.get("times")
            from_private, instance = body.get("from_private", False), body.get("replication_instance")
            unknown = set(body) - {"endpoint_arn", "message", "times", "from_private", "replication_instance"}
            if (unknown or not isinstance(arn, str) or not (times is None or isinstance(times, int) and times > 0)
                    or not isinstance(from_private, bool) or not (instance is None or isinstance(instance, str))):
                return _bad('expected {"endpoint_arn": ARN, "message": "...", "times": N, "from_private": true|false, '
                            '"replication_instance": ARN or identifier} (all but endpoint_arn optional)')
            state.dms_connection_fails[arn] = {"message": str(body.get("message") or dms.DEFAULT_CONNECTION_FAILURE),
                                               "times": times, "from_private": from_private, "instance": instance}
            return _ok()
    return _bad(f"no such test API route: {request.method} {request.path}", 404)


class Middleware:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/hubfix-test/"):
            return control(Request(environ))(environ, start_response)
        if path.startswith("/moto-api/"):
            if path.rstrip("/") == "/moto-api/reset" and environ["REQUEST_METHOD"] == "POST":
                state.reset()
            return self.app(environ, start_response)
        service, action, protocol = describe(environ)
        params = _params(environ, protocol)
        with state.lock:
            state.requests.append(
                {"service": service, "action": action, "method": environ["REQUEST_METHOD"], "path": path, "params": params}
            )
            rule = state.denied.get(action) or state.denied.get(f"*{service}")
        if rule and rule[0] in (None, service) and (rule[3] is None or rule[3] in json.dumps(params)):
            return _denial(service, action, protocol, rule[1], rule[2])(environ, start_response)
        fault = state.take_fault(action)
        if fault is None:
            return self.app(environ, start_response)
        return _after_apply(self.app, environ, start_response, fault)


def _after_apply(app, environ, start_response, fault):
    """Applies the request, then holds its answer or drops the connection without one."""
    answer = {}

    def keep(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers
        return lambda _data: None

    body = b"".join(app(environ, keep))
    if fault["fault"] == "hang":
        time.sleep(fault["seconds"])
    else:
        conn = environ.get("werkzeug.socket")
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        return []
    start_response(answer["status"], answer["headers"])
    return [body]
