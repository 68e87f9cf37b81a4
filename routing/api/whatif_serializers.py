"""The what-if endpoint's request and response.

Input is strict: unknown fields, strings for numbers and booleans for anything are refused, so a
typo ("replicas") or a wrong type is a 400 rather than a silently different question.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from routing.api.serializers import MAX_INT, StrictSerializerMixin
from routing.api.shapes import ServiceReportSerializer
from routing.engine.controller import TRAFFIC_DISTRIBUTIONS
from routing.whatif import MAX_REPLICAS, WhatIfError, cpu_millis

CHANGES = (
    "trafficDistribution",
    "topologyMode",
    "internalTrafficPolicy",
    "replicasPerZone",
    "cpuPerZone",
)
MAX_ZONES = 32  # zones named in one map: clusters have a handful; bounds the work
MAX_ZONE_LENGTH = 63  # a label value's limit
MAX_QUANTITY_LENGTH = 64


class StrictIntegerField(serializers.IntegerField):
    """An integer written as a JSON integer: not a string, a float or a boolean."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "maxLength": MAX_QUANTITY_LENGTH, "example": "64"},
            {"type": "number", "minimum": 0},
        ]
    }
)
class CpuQuantityField(serializers.Field):
    """A CPU quantity as Kubernetes writes it ("64", "64000m", "1.5") or a number of cores."""

    default_error_messages = {
        "invalid": 'Give a CPU quantity: a string such as "64" or "64000m", or a number.'
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        if isinstance(data, str) and len(data) > MAX_QUANTITY_LENGTH:
            self.fail("invalid")
        try:
            cpu_millis(data)
        except WhatIfError as exc:
            raise serializers.ValidationError(exc.message) from None
        return data  # routing.whatif parses it again where it applies it

    def to_representation(self, value):
        return value


def _per_zone(child, help_text: str) -> serializers.DictField:
    return serializers.DictField(
        child=child, required=False, allow_empty=False, help_text=help_text
    )


class WhatIfRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    """A hypothetical change: at least one of the change fields, from `snapshot` (or the newest)."""

    snapshot = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INT,
        help_text="Seq of the snapshot to start from; default: the newest.",
    )
    trafficDistribution = serializers.ChoiceField(
        choices=list(TRAFFIC_DISTRIBUTIONS),
        allow_null=True,
        required=False,
        help_text="Set spec.trafficDistribution; null removes it.",
    )
    topologyMode = serializers.ChoiceField(
        choices=["Auto"],
        allow_null=True,
        required=False,
        help_text="Set the service.kubernetes.io/topology-mode annotation to Auto, or remove it "
        "(null). Either way the deprecated topology-aware-hints annotation is removed, since it "
        "would otherwise decide. Auto takes precedence over trafficDistribution.",
    )
    internalTrafficPolicy = serializers.ChoiceField(
        choices=["Cluster", "Local"],
        required=False,
        help_text="Set spec.internalTrafficPolicy.",
    )
    replicasPerZone = _per_zone(
        StrictIntegerField(min_value=0, max_value=MAX_REPLICAS),
        f"Zone -> ready endpoints the Service should have there (0 to {MAX_REPLICAS}); zones "
        "not named keep theirs. New endpoints are clones on the zone's ready worker nodes "
        "(round-robin by name) with addresses from 198.18.0.0/15.",
    )
    cpuPerZone = _per_zone(
        CpuQuantityField(),
        'Zone -> total allocatable CPU of its worker nodes ("64", "64000m" or a number of '
        "cores), spread over them in proportion to what they have now. Changes Auto's zone "
        "ratios.",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not any(name in attrs for name in CHANGES):
            raise serializers.ValidationError(f"Give at least one change: {', '.join(CHANGES)}.")
        for name in ("replicasPerZone", "cpuPerZone"):
            zones = attrs.get(name) or {}
            if len(zones) > MAX_ZONES:
                raise serializers.ValidationError({name: [f"At most {MAX_ZONES} zones."]})
            if any(not zone or len(zone) > MAX_ZONE_LENGTH for zone in zones):
                raise serializers.ValidationError(
                    {name: [f"Zone names have 1 to {MAX_ZONE_LENGTH} characters."]}
                )
        return attrs


class WhatIfFiguresSerializer(serializers.Serializer):
    crossZoneFraction = serializers.FloatField(help_text="Forwarded traffic crossing zones (0-1).")
    crossRegionFraction = serializers.FloatField(help_text="Traffic crossing regions (0-1).")
    dropped = serializers.FloatField(help_text="Share of client traffic dropped (0-1).")
    maxOverload = serializers.FloatField(help_text="Largest endpoint load / fair share.")
    costPerGb = serializers.FloatField(help_text="Estimated USD per GB of the Service's traffic.")
    monthlyCost = serializers.FloatField(
        allow_null=True, help_text="USD per month, when the Service has a monthly volume set."
    )


class WhatIfResponseSerializer(serializers.Serializer):
    snapshot = serializers.IntegerField(help_text="Seq of the snapshot the change was applied to.")
    changes = serializers.ListField(
        child=serializers.CharField(),
        help_text="What was applied, one line each, including the hints the EndpointSlice "
        "controller would rewrite in response.",
    )
    before = WhatIfFiguresSerializer(help_text="The Service as the snapshot shows it.")
    after = WhatIfFiguresSerializer(help_text="The Service after the change.")
    report = ServiceReportSerializer(
        help_text="The Service's full report after the change (as the Service detail gives it)."
    )
