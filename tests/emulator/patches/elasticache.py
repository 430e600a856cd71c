"""ElastiCache: member clusters, Redis AUTH rules and AUTH token changes that take time, as on AWS.

Why: moto 5.2 creates no member cache clusters (so DescribeCacheClusters, where
AWS reports the engine version, is empty), gives NumCacheClusters 1 member
anyway, accepts an AuthToken without in-transit encryption or with forbidden
characters, and has no ModifyReplicationGroup at all (HTTP 500). ElastiCache.6
(Redis AUTH below 6.0) is fixed with exactly that call, in two phases.

Here CreateReplicationGroup validates the token as AWS does and creates one
`available` cache cluster per member (`<group>-001`, ...) carrying the group's
engine, version (7.1.0 when none is given), node type and encryption flags.
ModifyReplicationGroup applies AuthToken + AuthTokenUpdateStrategy as AWS
does: ROTATE (the default) adds the token beside the current credential, which
on a group without AUTH is "no password" (so unauthenticated clients still get
in); SET, only allowed after a ROTATE, leaves the token as the only one; at most
two credentials, a ROTATE drops the oldest. With ApplyImmediately the group is
`modifying` with PendingModifiedValues.AuthTokenStatus ROTATING/SETTING for
the next N DescribeReplicationGroups that show it (N = config
`elasticache_modify_polls`, default 2), then the change applies and the group
is `available`; a modify meanwhile is InvalidReplicationGroupState. Without
ApplyImmediately the change stays pending (the maintenance window never comes)
until a modify with ApplyImmediately. Tokens are kept only as sha256 hashes;
GET /hubfix-test/elasticache-auth (auth_report) shows them and each accepted
change, so a test can check ROTATE came before SET without seeing a token.
ModifyReplicationGroup parameters not emulated are a 400, never ignored.

Engine upgrades and in-transit encryption in place, as AWS documents them
(see tests/emulator/README.md): EngineVersion upgrades only (a downgrade is
InvalidParameterCombination), to a version DescribeCacheEngineVersions lists
(moto has no such call: here a fixed list for redis, 4.0.10 to 7.1); from 6.0
AWS names a version by major.minor and runs its latest patch, so "7.1" runs as
7.1.0. TransitEncryptionEnabled only from Redis OSS 7.0, and only together with
TransitEncryptionMode `preferred`; `required` only once `preferred` has applied.
Both take ApplyImmediately=true (a change held for the maintenance window is
not emulated) and go through `modifying` like the AUTH change; the members
follow the group when the change applies. GET /hubfix-test/elasticache-changes
lists them in order.
"""

import hashlib
import inspect
import re

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.elasticache.exceptions import (
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
)
from moto.elasticache.models import CacheCluster, ReplicationGroup, elasticache_backends
from moto.elasticache.responses import ElastiCacheResponse

from . import state

DEFAULT_ENGINE_VERSION = "7.1.0"  # what AWS picks for redis when EngineVersion is absent
# DescribeCacheEngineVersions for redis, oldest first as AWS lists them: (EngineVersion,
# CacheParameterGroupFamily, the version a group then runs).
REDIS_VERSIONS = [
    ("4.0.10", "redis4.0", "4.0.10"),
    ("5.0.6", "redis5.0", "5.0.6"),
    ("6.0", "redis6.x", "6.0.5"),
    ("6.2", "redis6.x", "6.2.6"),
    ("7.0", "redis7", "7.0.7"),
    ("7.1", "redis7", "7.1.0"),
]
TLS_IN_PLACE_FROM = (7, 0)  # "online TLS migration ... Redis OSS version 7.0 or above"
TLS_MODES = ("preferred", "required")
FORBIDDEN_TOKEN_CHARS = set('/"@%')
STRATEGY_STATUS = {"ROTATE": "ROTATING", "SET": "SETTING"}
# ModifyReplicationGroup parameters that just set an attribute, at once.
SIMPLE_PARAMS = {
    "ReplicationGroupDescription": "description",
    "SnapshotRetentionLimit": "snapshot_retention_limit",
    "SnapshotWindow": "snapshot_window",
    "PreferredMaintenanceWindow": "preferred_maintenance_window",
}
HANDLED_PARAMS = {"ReplicationGroupId", "ApplyImmediately", "AuthToken", "AuthTokenUpdateStrategy",
                  "TransitEncryptionEnabled", "TransitEncryptionMode", "EngineVersion", *SIMPLE_PARAMS}
ENGINE_VERSION_PARAMS = {"Engine", "EngineVersion", "CacheParameterGroupFamily", "MaxRecords", "Marker"}
TLS_NEEDED = "The AUTH token is only supported when encryption-in-transit is enabled"

_original_create = ElastiCacheResponse.create_replication_group
_original_describe = ElastiCacheResponse.describe_replication_groups
_original_members_disabled = ReplicationGroup._set_node_members_clusters_disabled


def _sha256(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _version(text):
    return tuple(int(n) for n in re.findall(r"\d+", text or ""))


def _check_token(token):
    if not 16 <= len(token) <= 128 or any(not 33 <= ord(c) <= 126 or c in FORBIDDEN_TOKEN_CHARS for c in token):
        raise InvalidParameterValueException("Invalid AuthToken provided.")


def _members_disabled(self, **kw):
    # moto sizes the group from ReplicasPerNodeGroup only; AWS also from NumCacheClusters.
    kw["replicas_per_node_group"] = kw["replicas_per_node_group"] or kw["num_cache_clusters"] - 1
    _original_members_disabled(self, **kw)


def _create_member(backend, group, member):
    args = dict.fromkeys(inspect.signature(CacheCluster).parameters)
    args.update(
        account_id=backend.account_id,
        region_name=backend.region_name,
        cache_cluster_id=member["cache_cluster_id"],
        cache_node_type=group.cache_node_type,
        engine=group.engine,
        engine_version=group.engine_version,
        preferred_availability_zone=member.get("preferred_availability_zone"),
        cache_subnet_group_name=group.cache_subnet_group_name,
        transit_encryption_enabled=group.transit_encryption_enabled,
        port=group.port,
    )
    cluster = CacheCluster(**args)
    cluster.replication_group_id = group.replication_group_id
    cluster.num_cache_nodes = 1
    cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
    backend.cache_clusters[cluster.cache_cluster_id] = cluster


def _sync_members(backend, group):
    """Mirror the group's status and AUTH flags on its member clusters."""
    for cluster_id in group.member_clusters:
        cluster = backend.cache_clusters.get(cluster_id)
        if cluster is not None:
            cluster.cache_cluster_status = group.status
            cluster.auth_token_enabled = group.auth_token_enabled
            cluster.auth_token_last_modified_date = group.auth_token_last_modified_date
            cluster.engine_version = group.engine_version
            cluster.transit_encryption_enabled = group.transit_encryption_enabled
            cluster.transit_encryption_mode = group.transit_encryption_mode


def create_replication_group(self):
    token = self._get_param("AuthToken")
    if token is not None:
        if not self._get_bool_param("TransitEncryptionEnabled", False):
            raise InvalidParameterValueException(TLS_NEEDED)
        _check_token(token)
    result = _original_create(self)
    group = result.result["ReplicationGroup"]
    with state.lock:
        group.engine_version = _runs_as(group.engine_version or DEFAULT_ENGINE_VERSION)
        # A group created with TLS and no mode only takes TLS, as AWS then reports.
        group.transit_encryption_mode = (
            (group.transit_encryption_mode or "required") if group.transit_encryption_enabled else None)
        # Credentials a client may use, oldest first; None is "no password".
        group.hubfix_credentials = [_sha256(token)] if token is not None else [None]
        group.hubfix_change = None
        for node_group in group.node_groups:
            for member in node_group["node_group_members"]:
                _create_member(self.elasticache_backend, group, member)
        _sync_members(self.elasticache_backend, group)
    return result


def _runs_as(version):
    """The version a group runs when asked for `version` ("7.1" runs as 7.1.0)."""
    for listed, _, runs in REDIS_VERSIONS:
        if version == listed:
            return runs
    return version


def _refuse_unemulated(self):
    unknown = sorted(set(self.params) - HANDLED_PARAMS)
    if unknown:
        raise InvalidParameterValueException(f"hubfix emulator: ModifyReplicationGroup {unknown} not emulated")


def _engine_change(self, group):
    """The validated engine upgrade the request asks for, or None."""
    wanted = self._get_param("EngineVersion")
    if wanted is None:
        return None
    if wanted not in [v for v, _, _ in REDIS_VERSIONS]:
        raise InvalidParameterValueException(f"Specified EngineVersion is not valid: {wanted}")
    runs = _runs_as(wanted)
    if _version(runs) < _version(group.engine_version):
        raise InvalidParameterCombinationException(
            f"Cannot downgrade the engine from {group.engine_version} to {wanted}: only upgrades are supported.")
    if runs == group.engine_version:
        return None
    return {"change": "EngineVersion", "value": runs}


def _tls_change(self, group):
    """The validated in-transit encryption change the request asks for, or None."""
    enabled = self._get_bool_param("TransitEncryptionEnabled")
    mode = self._get_param("TransitEncryptionMode")
    if enabled is None and mode is None:
        return None
    if mode is not None and mode not in TLS_MODES:
        raise InvalidParameterValueException(f"Invalid value for TransitEncryptionMode: {mode}")
    if enabled is False:
        raise InvalidParameterValueException("hubfix emulator: turning in-transit encryption off is not emulated")
    on = bool(group.transit_encryption_enabled)
    if (enabled or mode) and not on and _version(group.engine_version) < TLS_IN_PLACE_FROM:
        raise InvalidParameterCombinationException(
            "Modifying TransitEncryptionEnabled is only supported for Redis OSS engine version 7.0 and later.")
    if not on:
        if not enabled:
            raise InvalidParameterCombinationException(
                "TransitEncryptionMode can be set only with TransitEncryptionEnabled true.")
        if mode != "preferred":
            raise InvalidParameterCombinationException(
                "To enable in-transit encryption on an existing replication group, set TransitEncryptionMode "
                "to preferred in the same request.")
        return {"change": "TransitEncryptionMode", "value": "preferred"}
    if mode is None or mode == group.transit_encryption_mode:
        return None
    if mode == "preferred":
        raise InvalidParameterValueException("hubfix emulator: going back from required to preferred is not emulated")
    return {"change": "TransitEncryptionMode", "value": "required"}


def _auth_change(self, group):
    """The validated AUTH change the request asks for, or None."""
    token, strategy = self._get_param("AuthToken"), self._get_param("AuthTokenUpdateStrategy")
    if token is None and strategy is None:
        return None
    if strategy == "DELETE":  # only to move to RBAC user groups, which moto does not have
        raise InvalidParameterValueException("Auth token update strategy delete is not supported currently")
    if strategy not in (None, *STRATEGY_STATUS):
        raise InvalidParameterValueException(f"Invalid value for AuthTokenUpdateStrategy: {strategy}")
    if token is None:
        raise InvalidParameterValueException(f"AuthToken must be specified with AuthTokenUpdateStrategy {strategy}.")
    if not group.transit_encryption_enabled:
        raise InvalidParameterValueException(TLS_NEEDED)
    _check_token(token)
    if _version(group.engine_version) < (5, 0, 6):
        raise InvalidParameterValueException(
            f"Modifying the AUTH token is not supported for engine version {group.engine_version}; "
            "it requires 5.0.6 or later.")
    strategy = strategy or "ROTATE"
    if strategy == "SET" and len(group.hubfix_credentials) < 2:
        raise InvalidParameterValueException(
            "Auth token update strategy SET is only allowed after ROTATE: "
            f"replication group {group.replication_group_id} has a single credential.")
    return {"strategy": strategy, "token_sha256": _sha256(token)}


def _apply(backend, group):
    """Apply the pending AUTH change now."""
    change, group.hubfix_change = group.hubfix_change, None
    group.status = "available"
    if change.get("change") == "EngineVersion":
        group.engine_version = change["value"]
    elif change.get("change") == "TransitEncryptionMode":
        group.transit_encryption_enabled = True
        group.transit_encryption_mode = change["value"]
    else:
        _apply_auth(group, change)
    _sync_members(backend, group)


def _apply_auth(group, change):
    if change["strategy"] == "SET":
        group.hubfix_credentials = [change["token_sha256"]]
    else:
        kept = [c for c in group.hubfix_credentials if c != change["token_sha256"]]
        group.hubfix_credentials = (kept + [change["token_sha256"]])[-2:]
    group.auth_token_enabled = any(group.hubfix_credentials)
    group.auth_token_last_modified_date = utcnow()


def modify_replication_group(self):
    backend = self.elasticache_backend
    group = backend.describe_replication_groups(self._get_param("ReplicationGroupId"))[0]
    with state.lock:
        if group.status != "available":  # until a describe has shown it available
            raise ElastiCacheException(
                "InvalidReplicationGroupState",
                f"Replication group {group.replication_group_id} is not in available state.")
        _refuse_unemulated(self)
        auth = _auth_change(self, group)
        changes = [c for c in (_engine_change(self, group), _tls_change(self, group)) if c]
        apply_now = self._get_bool_param("ApplyImmediately", False)
        if len(changes) + bool(auth) > 1:
            raise InvalidParameterValueException(
                "hubfix emulator: one of EngineVersion, in-transit encryption or AUTH per request")
        if changes and not apply_now:
            raise InvalidParameterValueException(
                "hubfix emulator: an engine or in-transit encryption change held for the maintenance window "
                "is not emulated (give ApplyImmediately=true)")
        if changes and group.hubfix_change:
            raise InvalidParameterValueException("hubfix emulator: a change beside a pending AUTH change is not emulated")
        for param, attribute in SIMPLE_PARAMS.items():
            if self._get_param(param) is not None:
                setattr(group, attribute, self._get_param(param))
        if auth:
            state.elasticache_auth.setdefault(group.replication_group_id, []).append(
                dict(auth, apply_immediately=apply_now))
            group.hubfix_change = auth  # replaces a change still waiting for the window
        for change in changes:
            state.elasticache_changes.setdefault(group.replication_group_id, []).append(dict(change))
            group.hubfix_change = change
        if apply_now and group.hubfix_change:
            group.hubfix_polls_left = int(state.config["elasticache_modify_polls"])
            group.status = "modifying"
            _sync_members(backend, group)
            if group.hubfix_polls_left <= 0:
                _apply(backend, group)
    return ActionResult({"ReplicationGroup": group})


def describe_cache_engine_versions(self):
    unknown = sorted(set(self.params) - ENGINE_VERSION_PARAMS)
    if unknown:
        raise InvalidParameterValueException(f"hubfix emulator: DescribeCacheEngineVersions {unknown} not emulated")
    engine, version = self._get_param("Engine"), self._get_param("EngineVersion")
    family = self._get_param("CacheParameterGroupFamily")
    listed = [
        {"Engine": "redis", "EngineVersion": v, "CacheParameterGroupFamily": f,
         "CacheEngineDescription": "Redis", "CacheEngineVersionDescription": f"redis version {runs}"}
        for v, f, runs in REDIS_VERSIONS
        if engine in (None, "redis") and version in (None, v) and family in (None, f)
    ]
    return ActionResult({"CacheEngineVersions": listed})


def describe_replication_groups(self):
    result = _original_describe(self)
    with state.lock:
        for group in result.result["ReplicationGroups"]:
            if group.status == "modifying" and group.hubfix_change:
                if group.hubfix_polls_left <= 0:
                    _apply(self.elasticache_backend, group)
                else:
                    group.hubfix_polls_left -= 1
    return result


def auth_report():
    """{group id: {history, tokens_sha256, accepts_unauthenticated}} for the test API."""
    report = {}
    with state.lock:
        for regions in elasticache_backends.values():
            for backend in regions.values():
                for group_id, group in backend.replication_groups.items():
                    report[group_id] = {
                        "history": list(state.elasticache_auth.get(group_id, [])),
                        "tokens_sha256": [c for c in group.hubfix_credentials if c],
                        "accepts_unauthenticated": None in group.hubfix_credentials,
                    }
    return report


def changes_report():
    """{group id: [{"change", "value"}, ...]}: the engine and in-transit encryption changes accepted
    since the last reset, oldest first."""
    with state.lock:
        return {group: list(changes) for group, changes in state.elasticache_changes.items()}


def _pending_modified_values(group):
    change = getattr(group, "hubfix_change", None)
    if not change:
        return {}
    if change.get("change") == "TransitEncryptionMode":
        return {"TransitEncryptionEnabled": True, "TransitEncryptionMode": change["value"]}
    if change.get("change") == "EngineVersion":
        return {}  # ReplicationGroupPendingModifiedValues has no engine version
    return {"AuthTokenStatus": STRATEGY_STATUS[change["strategy"]]}


def apply():
    ElastiCacheResponse.create_replication_group = create_replication_group
    ElastiCacheResponse.modify_replication_group = modify_replication_group
    ElastiCacheResponse.describe_replication_groups = describe_replication_groups
    ElastiCacheResponse.describe_cache_engine_versions = describe_cache_engine_versions
    ReplicationGroup._set_node_members_clusters_disabled = _members_disabled
    ReplicationGroup.pending_modified_values = property(_pending_modified_values)
