"""Register the cluster a watcher Pod runs in, so that a fresh in-cluster install watches it.

Only a name and the source "incluster" are stored: the connection comes from the Pod's mounted
service account each time (routing.kube.incluster), never from the database.
"""

import logging

from django.conf import settings

from routing.kube.incluster import in_pod
from routing.models import Cluster

logger = logging.getLogger(__name__)


def register_local_cluster() -> Cluster | None:
    """The in-cluster Cluster row, created if missing; None outside a Pod or when switched off.

    A row of that name with another source is someone's choice and is left as it is. Replicas
    starting together are safe: get_or_create falls back to a get when the insert collides.
    """
    if not settings.TRAFFICLENS_INCLUSTER_REGISTER or not in_pod():
        return None
    name = settings.TRAFFICLENS_INCLUSTER_NAME
    cluster, created = Cluster.objects.get_or_create(
        name=name,
        defaults={"source": Cluster.Source.INCLUSTER, "display_name": f"{name} (in-cluster)"},
    )
    if created:
        logger.info("registered the cluster this Pod runs in as %r", name)
    elif cluster.source != Cluster.Source.INCLUSTER:
        logger.warning(
            "cluster %r exists with source %s; the Pod's own cluster is not registered "
            "(set TRAFFICLENS_INCLUSTER_NAME to another name)",
            name,
            cluster.source,
        )
    return cluster
