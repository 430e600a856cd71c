"""Redshift: make ModifyCluster(EnhancedVpcRouting) take time, as on AWS.

Why: moto applies EnhancedVpcRouting at once and the cluster stays
`available`, so hubfix's wait-until-applied path is never exercised. AWS shows
the cluster `modifying` with PendingModifiedValues for a while and refuses a
second ModifyCluster meanwhile (InvalidClusterState).

Here a ModifyCluster that changes EnhancedVpcRouting leaves the value as it was,
sets ClusterStatus `modifying` and PendingModifiedValues.EnhancedVpcRouting;
the next N DescribeClusters that show the cluster (N = config
`redshift_modify_polls`, default 2, set by POST /hubfix-test/config) still show
that; the describe after them applies the change and shows `available`.
Until then a ModifyCluster is refused, as the client last saw `modifying`.

With config `redshift_modify_seconds` S > 0 the change takes S seconds of wall time
instead (whatever the describes), as on AWS; GET /hubfix-test/redshift-changes then says
when each change was requested and became ready, so a benchmark can measure how long a
client takes to notice.
"""

import time

from moto.redshift.exceptions import RedshiftClientError
from moto.redshift.models import Cluster
from moto.redshift.responses import RedshiftResponse

from . import state

_original_modify = RedshiftResponse.modify_cluster
_original_describe = RedshiftResponse.describe_clusters


def _settle(cluster):
    """Apply the pending change once its describes (or its seconds) are used up."""
    pending = getattr(cluster, "hubfix_pending", None)
    ready_at = getattr(cluster, "hubfix_ready_at", None)
    due = time.time() >= ready_at if ready_at else cluster.hubfix_polls_left <= 0 if pending else False
    if pending and due:
        cluster.enhanced_vpc_routing = pending["EnhancedVpcRouting"]
        cluster.hubfix_pending = None
        cluster.status = "available"


def modify_cluster(self):
    cluster = self.redshift_backend.describe_clusters(self._get_param("ClusterIdentifier"))[0]
    with state.lock:
        if cluster.status != "available":  # until a describe has shown it available
            raise RedshiftClientError(
                "InvalidClusterState",
                f"There is an operation running on the Cluster {cluster.cluster_identifier}. Please try to modify it later.",
            )
        wanted = self._get_param("EnhancedVpcRouting")
        polls = int(state.config["redshift_modify_polls"])
        if wanted is None or bool(wanted) == bool(cluster.enhanced_vpc_routing) or polls <= 0:
            return _original_modify(self)
        self.params.pop("EnhancedVpcRouting")
        result = _original_modify(self)
        cluster.hubfix_pending = {"EnhancedVpcRouting": bool(wanted)}
        cluster.hubfix_polls_left = polls
        seconds = float(state.config["redshift_modify_seconds"])
        cluster.hubfix_ready_at = time.time() + seconds if seconds > 0 else None
        if seconds > 0:
            state.redshift_changes.append(
                {"cluster": cluster.cluster_identifier, "requested_at": time.time(), "ready_at": cluster.hubfix_ready_at})
        cluster.status = "modifying"
        return result


def describe_clusters(self):
    result = _original_describe(self)
    with state.lock:
        for cluster in result.result["Clusters"]:
            # AWS reports the VPC of a cluster in a subnet group; moto leaves VpcId out.
            group = self.redshift_backend.subnet_groups.get(getattr(cluster, "cluster_subnet_group_name", None))
            cluster.hubfix_vpc_id = group.vpc_id if group is not None else None
            _settle(cluster)
            if getattr(cluster, "hubfix_pending", None):
                cluster.hubfix_polls_left -= 1
    return result


def apply():
    RedshiftResponse.modify_cluster = modify_cluster
    RedshiftResponse.describe_clusters = describe_clusters
    Cluster.pending_modified_values = property(lambda self: getattr(self, "hubfix_pending", None) or {})
    Cluster.vpc_id = property(lambda self: getattr(self, "hubfix_vpc_id", None))
