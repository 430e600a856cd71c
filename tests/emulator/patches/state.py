"""Test-controlled state shared by the patches and the /hubfix-test/ API.

Kept apart from moto's backends on purpose: `/moto-api/reset` wipes moto's
resources, `/hubfix-test/reset` (and `/moto-api/reset`) wipes this.
"""

import threading

DEFAULTS = {"redshift_modify_polls": 2, "redshift_modify_seconds": 0, "elasticache_modify_polls": 2,
            "dms_create_polls": 2, "dms_delete_polls": 2, "dms_task_polls": 2, "dms_connection_polls": 2}

lock = threading.RLock()
config = dict(DEFAULTS)
requests = []  # every AWS request seen: {"service", "action", "method", "path"}
denied = {}  # action, or "*<service>" -> (service or None, error code or None, HTTP status or None, params_contain or None)
fail_updates = {}  # finding id -> remaining ConcurrentUpdateError answers
elasticache_auth = {}  # replication group id -> accepted AUTH changes: {"strategy", "token_sha256", "apply_immediately"}
elasticache_changes = {}  # replication group id -> accepted engine / TLS changes: {"change", "value"}
dms_connection_fails = {}  # endpoint ARN -> {"message", "times" (tests left, None: every test), "from_private", "instance"}
redshift_changes = []  # timed modifications: {"cluster", "requested_at", "ready_at"} (epoch seconds)
faults = {}  # action -> {"fault": "hang"|"drop", "skip": N, "times": N, "seconds": S}


def reset():
    with lock:
        config.clear()
        config.update(DEFAULTS)
        requests.clear()
        denied.clear()
        fail_updates.clear()
        elasticache_auth.clear()
        elasticache_changes.clear()
        dms_connection_fails.clear()
        redshift_changes.clear()
        faults.clear()


def take_fault(action):
    """The fault to inflict on this request of `action` (after applying it), or None."""
    with lock:
        rule = faults.get(action)
        if rule is None:
            return None
        if rule["skip"] > 0:
            rule["skip"] -= 1
            return None
        rule["times"] -= 1
        if rule["times"] <= 0:
            del faults[action]
        return dict(rule)


def take_fail_update(finding_id):
    """True (and count one down) if this finding's next update must fail."""
    with lock:
        left = fail_updates.get(finding_id, 0)
        if left > 0:
            fail_updates[finding_id] = left - 1
            return True
        return False


def take_dms_connection_failure(endpoint_arn, instance_arn, instance_id, public):
    """The failure message for this test of the endpoint from this instance (counting one down), or None.

    A rule with `from_private` fails only tests from an instance that is not publicly
    accessible; one with `instance` only tests from that instance (ARN or identifier).
    """
    with lock:
        rule = dms_connection_fails.get(endpoint_arn)
        if rule is None:
            return None
        if rule["from_private"] and public:
            return None
        if rule["instance"] is not None and rule["instance"] not in (instance_arn, instance_id):
            return None
        left = rule["times"]
        if left is not None:
            if left <= 1:
                del dms_connection_fails[endpoint_arn]
            else:
                rule["times"] = left - 1
        return rule["message"]
