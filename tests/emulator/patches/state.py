"""Test-controlled state shared by the patches and the /hubfix-test/ API.

Kept apart from moto's backends on purpose: `/moto-api/reset` wipes moto's
resources, `/hubfix-test/reset` (and `/moto-api/reset`) wipes this.
"""

import threading

DEFAULTS = {"redshift_modify_polls": 2}

lock = threading.RLock()
config = dict(DEFAULTS)
requests = []  # every AWS request seen: {"service", "action", "method", "path"}
denied = {}  # action -> (service or None, error code or None)
fail_updates = {}  # finding id -> remaining ConcurrentUpdateError answers


def reset():
    with lock:
        config.clear()
        config.update(DEFAULTS)
        requests.clear()
        denied.clear()
        fail_updates.clear()


def take_fail_update(finding_id):
    """True (and count one down) if this finding's next update must fail."""
    with lock:
        left = fail_updates.get(finding_id, 0)
        if left > 0:
            fail_updates[finding_id] = left - 1
            return True
        return False
