"""Documented shapes of the computed answers: a Service's full report and a snapshot diff.

These serializers only describe: the views return the engine's report (docs/analysis-report.md)
and routing.snapshots.diff's dict as they are, so a field the engine adds is never silently dropped.
tests/api check that every documented key is there.
"""

from rest_framework import serializers

from routing.api.report_serializers import DiagnosticSerializer

_SHARE = "Share of all client traffic (0 to 1)."


def _keyword_fields(serializer_class, **fields):
    """Declare fields whose names are Python keywords (`from`)."""
    serializer_class._declared_fields.update(fields)
    return serializer_class


def _map(child, help_text, **kwargs):
    return serializers.DictField(child=child, help_text=help_text, **kwargs)


# --- a Service's report -----------------------------------------------------------------------


class PolicySerializer(serializers.Serializer):
    trafficDistribution = serializers.CharField(
        allow_null=True, help_text="spec.trafficDistribution as written, or null."
    )
    topologyMode = serializers.CharField(
        allow_null=True, help_text="Value of the deciding topology annotation, or null."
    )
    topologyAnnotation = serializers.CharField(
        allow_null=True, help_text="Which annotation key decided (the deprecated one wins)."
    )
    internalTrafficPolicy = serializers.CharField(help_text="Cluster or Local.")
    externalTrafficPolicy = serializers.CharField(
        allow_null=True, help_text="Only for NodePort/LoadBalancer/externalIPs Services."
    )
    mechanism = serializers.CharField(help_text="trafficDistribution, topologyAuto or none.")


class HintsSerializer(serializers.Serializer):
    forZones = serializers.ListField(child=serializers.CharField(), help_text="Zone hints.")
    forNodes = serializers.ListField(child=serializers.CharField(), help_text="Node hints.")


class EndpointSerializer(serializers.Serializer):
    ip = serializers.CharField(help_text="First address of the endpoint.")
    nodeName = serializers.CharField(allow_null=True, help_text="Node it runs on, if known.")
    zone = serializers.CharField(allow_null=True, help_text="Its zone, if known.")
    ready = serializers.BooleanField(help_text="conditions.ready as kube-proxy reads it.")
    serving = serializers.BooleanField(help_text="conditions.serving.")
    terminating = serializers.BooleanField(help_text="conditions.terminating.")
    addressType = serializers.CharField(help_text="IPv4, IPv6 or FQDN.")
    slice = serializers.CharField(help_text="EndpointSlice holding it.")
    hints = HintsSerializer(allow_null=True, help_text="Hints as observed, or null.")


class EventSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Normal or Warning.")
    reason = serializers.CharField(help_text="The controller's event reason.")
    message = serializers.CharField(help_text="The controller's event message.")


class ControllerSerializer(serializers.Serializer):
    policy = serializers.CharField(help_text="The whatIf key the declared policy maps to.")
    hints = _map(
        HintsSerializer(allow_null=True),
        "Per ready endpoint IP: the hints the EndpointSlice controller would write (null: none).",
    )
    events = EventSerializer(many=True, help_text="Events the controller would emit.")


class ProxyEntrySerializer(serializers.Serializer):
    zone = serializers.CharField(allow_null=True, help_text="Zone of the node, if labelled.")
    mode = serializers.CharField(
        allow_null=True, help_text="PreferSameNode, PreferSameZone or null (no filtering)."
    )
    action = serializers.CharField(help_text="forward, drop or reject.")
    endpoints = serializers.ListField(
        child=serializers.CharField(), help_text="Endpoint IPs kube-proxy uses there."
    )


class FlowsSerializer(serializers.Serializer):
    basis = serializers.CharField(help_text="observed (hints as they are).")
    matrix = _map(
        serializers.DictField(child=serializers.FloatField()),
        "Source zone -> destination zone -> " + _SHARE,
    )
    dropped = serializers.FloatField(help_text="Dropped traffic. " + _SHARE)
    crossZoneFraction = serializers.FloatField(help_text="Forwarded traffic crossing zones.")
    crossRegionFraction = serializers.FloatField(help_text="Traffic crossing regions.")
    endpointLoad = _map(serializers.FloatField(), "Endpoint IP -> " + _SHARE)
    maxOverload = serializers.FloatField(help_text="Largest endpoint load / fair share.")
    clientWeights = serializers.CharField(
        required=False,
        help_text="How this Service's clients were weighted: cpu, uniform, pods or measured.",
    )
    clientZoneWeights = serializers.DictField(
        child=serializers.FloatField(),
        allow_null=True,
        required=False,
        help_text="With measured: each source zone's share of the Service's clients.",
    )


class VolumeSourceSerializer(serializers.Serializer):
    source = serializers.ChoiceField(  # type: ignore[assignment]
        ["manual", "measured", "simulated"],
        help_text="manual: set by a person or tool (wins); measured: from Prometheus; "
        "simulated: the demo's traffic model, not a measurement.",
    )
    detail = serializers.CharField(help_text="What it came from (query, window) or the note.")
    at = serializers.DateTimeField(allow_null=True, help_text="When fetched or set.")


class CostSerializer(serializers.Serializer):
    provider = serializers.CharField(allow_null=True, help_text="Price list used.")
    pricePerGbCrossZone = serializers.FloatField(help_text="USD per GB crossing zones.")
    pricePerGbCrossRegion = serializers.FloatField(help_text="USD per GB crossing regions.")
    priceSource = serializers.CharField(help_text="Where the prices come from.")
    costPerGb = serializers.FloatField(help_text="Estimated USD per GB of the Service's traffic.")
    monthlyGb = serializers.FloatField(allow_null=True, help_text="Monthly volume, if known.")
    monthlyCost = serializers.FloatField(allow_null=True, help_text="USD per month, if known.")
    volume = VolumeSourceSerializer(
        allow_null=True,
        required=False,
        help_text="Where monthlyGb came from; null: no traffic measured.",
    )


class WhatIfSerializer(serializers.Serializer):
    events = EventSerializer(many=True, help_text="Controller events under this policy.")
    crossZoneFraction = serializers.FloatField(help_text="Cross-zone share under this policy.")
    crossRegionFraction = serializers.FloatField(help_text="Cross-region share.")
    dropped = serializers.FloatField(help_text="Dropped share.")
    maxOverload = serializers.FloatField(help_text="Largest endpoint load / fair share.")
    costPerGb = serializers.FloatField(help_text="Estimated USD per GB.")
    monthlyCost = serializers.FloatField(allow_null=True, help_text="USD per month, if known.")
    matrix = _map(
        serializers.DictField(child=serializers.FloatField()),
        "Source zone -> destination zone -> " + _SHARE,
    )


class RecommendationSerializer(serializers.Serializer):
    policy = serializers.CharField(help_text="Recommended policy (a whatIf key).")
    costPerGbSaved = serializers.FloatField(help_text="USD per GB saved (negative: costs more).")
    monthlySaved = serializers.FloatField(allow_null=True, help_text="USD per month, if known.")
    crossZoneFraction = serializers.FloatField(help_text="Cross-zone share under it.")
    maxOverload = serializers.FloatField(help_text="Largest endpoint load / fair share under it.")
    overloadLimit = serializers.FloatField(help_text="The overload limit applied.")
    reason = serializers.CharField(help_text="Why, for people.")
    change = serializers.CharField(help_text="A kubectl patch one-liner that applies it.")


class FixAfterSerializer(serializers.Serializer):
    crossZoneFraction = serializers.FloatField(help_text="Cross-zone share after the fix.")
    dropped = serializers.FloatField(help_text="Dropped share after the fix.")
    maxOverload = serializers.FloatField(help_text="Largest endpoint load / fair share after.")
    costPerGb = serializers.FloatField(help_text="Estimated USD per GB after.")


class FixSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="await-controller, label-node, fix-readiness, add-endpoints, "
        "internal-traffic-policy or set-policy (docs/analysis-report.md)."
    )
    summary = serializers.CharField(help_text="What is wrong and what to do, for people.")
    changes = serializers.ListField(
        child=serializers.CharField(), help_text="What the engine changed to verify it."
    )
    after = FixAfterSerializer(help_text="The engine's figures on the changed objects.")
    costPerGbSaved = serializers.FloatField(help_text="USD per GB saved (negative: costs more).")
    monthlySaved = serializers.FloatField(allow_null=True, help_text="USD per month, if known.")
    tradeoff = serializers.CharField(help_text="What it costs besides dollars.")
    commands = serializers.ListField(
        child=serializers.CharField(), help_text="Shell-quoted commands that apply or inspect it."
    )
    yaml = serializers.CharField(allow_null=True, help_text="The merge patch as YAML, if any.")
    whatIf = serializers.DictField(
        allow_null=True, help_text="The what-if API body that reproduces it, if there is one."
    )


class ModelCheckSerializer(serializers.Serializer):
    measuredCrossZoneFraction = serializers.FloatField(help_text="Measured cross-zone share.")
    simulatedCrossZoneFraction = serializers.FloatField(help_text="The engine's simulated share.")
    difference = serializers.FloatField(help_text="measured - simulated.")
    threshold = serializers.FloatField(help_text="TRAFFICLENS_MODEL_MISMATCH.")
    differs = serializers.BooleanField(
        help_text="|difference| > threshold: hints not applied yet, node-local caches, or "
        "traffic that does not go through the ClusterIP."
    )
    # Named like Field.source, as in VolumeInputSerializer (djangorestframework-stubs#158).
    source = serializers.CharField(  # type: ignore[assignment]
        help_text="What measured it (Prometheus URL, preset, window)."
    )
    at = serializers.DateTimeField(help_text="When it was fetched.")


class ServiceReportSerializer(serializers.Serializer):
    """One Service's full analysis (docs/analysis-report.md), plus the cluster section."""

    namespace = serializers.CharField(help_text="Namespace of the Service.")
    name = serializers.CharField(help_text="Name of the Service.")
    type = serializers.CharField(help_text="ClusterIP, NodePort or LoadBalancer.")
    headless = serializers.BooleanField(help_text="Whether clusterIP is None.")
    policy = PolicySerializer(help_text="The declared routing policy.")
    endpoints = EndpointSerializer(many=True, help_text="Endpoints as observed.")
    controller = ControllerSerializer(help_text="What the EndpointSlice controller would write.")
    proxy = _map(ProxyEntrySerializer(), "Node name -> what kube-proxy does there.")
    proxyByZone = _map(
        ProxyEntrySerializer(),
        "Zone -> what kube-proxy does there; only when cluster.proxyDetail is zones.",
        required=False,
    )
    flows = FlowsSerializer(help_text="Where the traffic goes, as observed.")
    cost = CostSerializer(help_text="Estimated cost of the cross-zone traffic.")
    whatIf = _map(
        WhatIfSerializer(),
        "Policy (none, PreferSameZone, PreferSameNode, Auto) -> the outcome under it.",
    )
    diagnostics = DiagnosticSerializer(many=True, help_text="Findings, most important first.")
    recommendation = RecommendationSerializer(
        allow_null=True, help_text="The cheapest policy within the overload limit, or null."
    )
    fixes = FixSerializer(
        many=True,
        required=False,
        help_text="Changes verified by the engine to help, best first (absent in reports stored "
        "before fixes existed).",
    )
    noFixReason = serializers.CharField(
        allow_null=True,
        required=False,
        help_text="Why no fix is listed although a warning or error is reported.",
    )
    modelCheck = ModelCheckSerializer(
        required=False,
        help_text="Only when a source measured the Service's cross-zone share (Beyla's zones): "
        "the measured share beside the simulated one.",
    )
    cluster = serializers.DictField(
        help_text="The report's cluster section for this analysis: zones, provider, "
        "clientWeights, clientNodes, autoZoneRatios, proxyDetail, warnings."
    )


# --- a snapshot diff --------------------------------------------------------------------------


class DiffRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Database id of the snapshot.")
    seq = serializers.IntegerField(help_text="Its seq.")
    takenAt = serializers.DateTimeField(help_text="When it was taken.")


class ChangeCountsSerializer(serializers.Serializer):
    added = serializers.IntegerField(help_text="Objects only in the second snapshot.")
    removed = serializers.IntegerField(help_text="Objects only in the first snapshot.")
    changed = serializers.IntegerField(help_text="Objects in both whose trimmed form differs.")


class ObjectChangesSerializer(serializers.Serializer):
    Node = ChangeCountsSerializer(help_text="Node changes.")
    Service = ChangeCountsSerializer(help_text="Service changes.")
    EndpointSlice = ChangeCountsSerializer(help_text="EndpointSlice changes.")
    Pod = ChangeCountsSerializer(help_text="Pod changes.")
    ReplicaSet = ChangeCountsSerializer(help_text="ReplicaSet changes.")
    Deployment = ChangeCountsSerializer(help_text="Deployment changes.")
    StatefulSet = ChangeCountsSerializer(help_text="StatefulSet changes.")
    DaemonSet = ChangeCountsSerializer(help_text="DaemonSet changes.")


class ServiceNameSerializer(serializers.Serializer):
    namespace = serializers.CharField(help_text="Namespace.")
    name = serializers.CharField(help_text="Name.")


class ServiceChangesSerializer(serializers.Serializer):
    added = ServiceNameSerializer(many=True, help_text="Services that appeared.")
    removed = ServiceNameSerializer(many=True, help_text="Services that went away.")


class PolicyChangeSerializer(ServiceNameSerializer):
    field = serializers.CharField(
        help_text="trafficDistribution, topologyMode, topologyAwareHints or internalTrafficPolicy."
    )


_keyword_fields(
    PolicyChangeSerializer,
    **{
        "from": serializers.CharField(allow_null=True, help_text="Value before."),
        "to": serializers.CharField(allow_null=True, help_text="Value after."),
    },
)


class HintExampleSerializer(serializers.Serializer):
    ip = serializers.CharField(help_text="Endpoint address.")


_keyword_fields(
    HintExampleSerializer,
    **{
        "from": HintsSerializer(allow_null=True, help_text="Hints before (null: none)."),
        "to": HintsSerializer(allow_null=True, help_text="Hints after (null: none)."),
    },
)


class HintChangeSerializer(ServiceNameSerializer):
    appeared = serializers.IntegerField(help_text="Endpoints that gained hints.")
    disappeared = serializers.IntegerField(help_text="Endpoints that lost their hints.")
    changed = serializers.IntegerField(help_text="Endpoints whose hints changed.")
    endpointsAdded = serializers.IntegerField(help_text="Endpoints added to changed slices.")
    endpointsRemoved = serializers.IntegerField(help_text="Endpoints gone from changed slices.")
    examples = HintExampleSerializer(many=True, help_text="Up to five of the changed endpoints.")


class ZoneMoveSerializer(ServiceNameSerializer):
    ip = serializers.CharField(help_text="Endpoint address.")


_keyword_fields(
    ZoneMoveSerializer,
    **{
        "from": serializers.CharField(allow_null=True, help_text="Zone before."),
        "to": serializers.CharField(allow_null=True, help_text="Zone after."),
    },
)


class CostChangeSerializer(ServiceNameSerializer):
    delta = serializers.FloatField(help_text="Change of USD per GB (to - from).")
    crossZoneFrom = serializers.FloatField(allow_null=True, help_text="Cross-zone share before.")
    crossZoneTo = serializers.FloatField(allow_null=True, help_text="Cross-zone share after.")


_keyword_fields(
    CostChangeSerializer,
    **{
        "from": serializers.FloatField(allow_null=True, help_text="USD per GB before (null: new)."),
        "to": serializers.FloatField(allow_null=True, help_text="USD per GB after (null: gone)."),
    },
)


class DiffCostSerializer(serializers.Serializer):
    services = CostChangeSerializer(many=True, help_text="Services whose cost per GB changed.")
    delta = serializers.FloatField(help_text="Sum of the per-Service changes, USD per GB.")
    meanFrom = serializers.FloatField(allow_null=True, help_text="Mean cost per GB before.")
    meanTo = serializers.FloatField(allow_null=True, help_text="Mean cost per GB after.")
    meanDelta = serializers.FloatField(allow_null=True, help_text="meanTo - meanFrom.")


class DiffSerializer(serializers.Serializer):
    """What changed for routing from one snapshot to another."""

    objects = ObjectChangesSerializer(help_text="Object changes per kind.")
    services = ServiceChangesSerializer(help_text="Services added and removed.")
    policyChanges = PolicyChangeSerializer(many=True, help_text="Policy fields that changed.")
    hintChanges = HintChangeSerializer(many=True, help_text="Per Service, hint changes.")
    zoneMoves = ZoneMoveSerializer(many=True, help_text="Endpoints whose zone changed.")
    cost = DiffCostSerializer(help_text="Cost per GB changes.")


_keyword_fields(
    DiffSerializer,
    **{
        "from": DiffRefSerializer(
            help_text="The snapshot compared from: the one named by `against`."
        ),
        "to": DiffRefSerializer(help_text="The snapshot compared to: the one in the URL."),
    },
)
