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
                  "TransitEncryptionEnabled", *SIMPLE_PARAMS}
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


def create_replication_group(self):
    token = self._get_param("AuthToken")
    if token is not None:
        if not self._get_bool_param("TransitEncryptionEnabled", False):
            raise InvalidParameterValueException(TLS_NEEDED)
        _check_token(token)
    result = _original_create(self)
    group = result.result["ReplicationGroup"]
    with state.lock:
        group.engine_version = group.engine_version or DEFAULT_ENGINE_VERSION
        # Credentials a client may use, oldest first; None is "no password".
        group.hubfix_credentials = [_sha256(token)] if token is not None else [None]
        group.hubfix_change = None
        for node_group in group.node_groups:
            for member in node_group["node_group_members"]:
                _create_member(self.elasticache_backend, group, member)
        _sync_members(self.elasticache_backend, group)
    return result


def _refuse_unemulated(self, group):
    unknown = sorted(set(self.params) - HANDLED_PARAMS)
    if unknown:
        raise InvalidParameterValueException(f"hubfix emulator: ModifyReplicationGroup {unknown} not emulated")
    wanted = self._get_bool_param("TransitEncryptionEnabled")
    if wanted is not None and wanted != bool(group.transit_encryption_enabled):
        if _version(group.engine_version) < (7, 0, 5):
            raise InvalidParameterCombinationException(
                "Modifying TransitEncryptionEnabled is only supported for engine version 7.0.5 and later.")
        raise InvalidParameterValueException("hubfix emulator: ModifyReplicationGroup TransitEncryptionEnabled not emulated")


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
    if change["strategy"] == "SET":
        group.hubfix_credentials = [change["token_sha256"]]
    else:
        kept = [c for c in group.hubfix_credentials if c != change["token_sha256"]]
        group.hubfix_credentials = (kept + [change["token_sha256"]])[-2:]
    group.auth_token_enabled = any(group.hubfix_credentials)
    group.auth_token_last_modified_date = utcnow()
    group.status = "available"
    _sync_members(backend, group)


def modify_replication_group(self):
    backend = self.elasticache_backend
    group = backend.describe_replication_groups(self._get_param("ReplicationGroupId"))[0]
    with state.lock:
        if group.status != "available":  # until a describe has shown it available
            raise ElastiCacheException(
                "InvalidReplicationGroupState",
                f"Replication group {group.replication_group_id} is not in available state.")
        _refuse_unemulated(self, group)
        change = _auth_change(self, group)
        apply_now = self._get_bool_param("ApplyImmediately", False)
        for param, attribute in SIMPLE_PARAMS.items():
            if self._get_param(param) is not None:
                setattr(group, attribute, self._get_param(param))
        if change:
            state.elasticache_auth.setdefault(group.replication_group_id, []).append(
                dict(change, apply_immediately=apply_now))
            group.hubfix_change = change  # replaces a change still waiting for the window
        if apply_now and group.hubfix_change:
            group.hubfix_polls_left = int(state.config["elasticache_modify_polls"])
            group.status = "modifying"
            _sync_members(backend, group)
            if group.hubfix_polls_left <= 0:
                _apply(backend, group)
    return ActionResult({"ReplicationGroup": group})


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


def _pending_modified_values(group):
    change = getattr(group, "hubfix_change", None)
    return {"AuthTokenStatus": STRATEGY_STATUS[change["strategy"]]} if change else {}


def apply():
    ElastiCacheResponse.create_replication_group = create_replication_group
    ElastiCacheResponse.modify_replication_group = modify_replication_group
    ElastiCacheResponse.describe_replication_groups = describe_replication_groups
    ReplicationGroup._set_node_members_clusters_disabled = _members_disabled
    ReplicationGroup.pending_modified_values = property(_pending_modified_values)
