"""The comparison of two snapshots (GET .../compare/?from=&to=): its query and its documented
shape. The view returns routing.figures.compare's dict as built; these describe it."""

from rest_framework import serializers

from routing.api.serializers import MAX_INT
from routing.api.shapes import DiffSerializer, _keyword_fields
from routing.api.traffic_serializers import FlowMapVolumesSerializer

_EITHER = "null when either side has none"


class CompareQuerySerializer(serializers.Serializer):
    """`from` is required, `to` defaults to the newest snapshot; they must differ."""

    def validate(self, attrs):
        if attrs.get("to") is not None and attrs["from"] == attrs["to"]:
            raise serializers.ValidationError(
                {"to": [f"Both sides are snapshot {attrs['to']}: name two different snapshots."]}
            )
        return attrs


_keyword_fields(
    CompareQuerySerializer,
    **{
        "from": serializers.IntegerField(
            min_value=1, max_value=MAX_INT, help_text="Seq of the snapshot before."
        ),
        "to": serializers.IntegerField(
            min_value=1,
            max_value=MAX_INT,
            required=False,
            help_text="Seq of the snapshot after; default: the newest.",
        ),
    },
)


class CompareRefSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The snapshot's seq.")
    takenAt = serializers.DateTimeField(help_text="When it was taken.")


class HeadlineSerializer(serializers.Serializer):
    """One snapshot's headline, as the topology page shows it (the flow map's figures)."""

    seq = serializers.IntegerField(help_text="The snapshot's seq.")
    services = serializers.IntegerField(help_text="Services in the snapshot.")
    servicesWithVolume = serializers.IntegerField(help_text="Of those, how many have a volume.")
    weighting = serializers.CharField(
        help_text="How the shares and the mean cost weigh Services: volume, equal or mixed "
        "(as the flow map)."
    )
    crossZoneFraction = serializers.FloatField(
        help_text="Share of forwarded traffic crossing zones (the flow map's)."
    )
    costPerGbMean = serializers.FloatField(
        allow_null=True, help_text="Weighted mean USD per GB; null without Services."
    )
    dropped = serializers.FloatField(help_text="Weighted share of client traffic dropped.")
    monthlyCost = serializers.FloatField(
        allow_null=True,
        help_text="USD a month crossing zones over the Services with a volume; null: no "
        "traffic measured.",
    )
    monthlyGb = serializers.FloatField(
        allow_null=True, help_text="Sum of the known monthly volumes; null when none."
    )
    volumes = FlowMapVolumesSerializer(help_text="Where the volumes came from.")
    overloadedServices = serializers.IntegerField(
        help_text="Services whose busiest endpoint is above the overload limit."
    )
    droppingServices = serializers.IntegerField(help_text="Services dropping some traffic.")


class HeadlineDeltaSerializer(serializers.Serializer):
    services = serializers.IntegerField(help_text="Change in the number of Services.")
    crossZoneFraction = serializers.FloatField(help_text="Change of the cross-zone share.")
    costPerGbMean = serializers.FloatField(
        allow_null=True, help_text=f"Change of the mean USD per GB; {_EITHER}."
    )
    dropped = serializers.FloatField(help_text="Change of the dropped share.")
    monthlyCost = serializers.FloatField(
        allow_null=True, help_text=f"Change of the monthly cost; {_EITHER}."
    )
    monthlyGb = serializers.FloatField(
        allow_null=True, help_text=f"Change of the monthly volume; {_EITHER}."
    )
    overloadedServices = serializers.IntegerField(help_text="Change of overloaded Services.")
    droppingServices = serializers.IntegerField(help_text="Change of Services dropping traffic.")


class CompareFiguresSerializer(serializers.Serializer):
    delta = HeadlineDeltaSerializer(help_text="to - from, figure by figure.")


_keyword_fields(
    CompareFiguresSerializer,
    **{
        "from": HeadlineSerializer(help_text="The snapshot before."),
        "to": HeadlineSerializer(help_text="The snapshot after."),
    },
)


class VolumeSideSerializer(serializers.Serializer):
    fetchId = serializers.IntegerField(
        allow_null=True, help_text="The volume fetch in force for the snapshot; null: none."
    )
    fetchedAt = serializers.DateTimeField(allow_null=True, help_text="When it was fetched.")
    kind = serializers.CharField(
        allow_null=True, help_text="measured, or simulated (the demo's model); null: no fetch."
    )
    # Named like Field.source, as in VolumeInputSerializer (djangorestframework-stubs#158).
    source = serializers.CharField(  # type: ignore[assignment]
        allow_null=True, help_text="What it was fetched from (Prometheus URL, preset, window)."
    )
    manual = serializers.IntegerField(help_text="Services with a volume set by hand.")


class CompareVolumesSerializer(serializers.Serializer):
    same = serializers.BooleanField(
        help_text="Whether both snapshots were costed with the same volume fetch; if not, "
        "monthly figures (and volume-weighted shares) change with the traffic too."
    )


_keyword_fields(
    CompareVolumesSerializer,
    **{
        "from": VolumeSideSerializer(help_text="The volumes of the snapshot before."),
        "to": VolumeSideSerializer(help_text="The volumes of the snapshot after."),
    },
)


class ServiceSideSerializer(serializers.Serializer):
    policy = serializers.CharField(help_text="Declared policy (as the Services list shows it).")
    crossZoneFraction = serializers.FloatField(help_text="Share of its traffic crossing zones.")
    costPerGb = serializers.FloatField(help_text="Estimated USD per GB.")
    dropped = serializers.FloatField(help_text="Share of its traffic dropped.")
    maxOverload = serializers.FloatField(help_text="Busiest endpoint's load / fair share.")
    monthlyGb = serializers.FloatField(allow_null=True, help_text="Its monthly volume, if any.")
    monthlyCost = serializers.FloatField(
        allow_null=True, help_text="costPerGb x monthlyGb; null: no traffic measured."
    )
    volumeSource = serializers.CharField(
        allow_null=True, help_text="manual, measured or simulated; null: no volume."
    )


class ServiceComparisonSerializer(serializers.Serializer):
    namespace = serializers.CharField(help_text="Namespace of the Service.")
    name = serializers.CharField(help_text="Name of the Service.")
    change = serializers.ChoiceField(
        ["added", "removed", "changed"],
        help_text="added: only after; removed: only before; changed: its policy or figures differ.",
    )


_keyword_fields(
    ServiceComparisonSerializer,
    **{
        "from": ServiceSideSerializer(allow_null=True, help_text="Before; null: added."),
        "to": ServiceSideSerializer(allow_null=True, help_text="After; null: removed."),
    },
)


class ComparisonSerializer(serializers.Serializer):
    """Two snapshots of a cluster side by side."""

    overloadLimit = serializers.FloatField(help_text="The overload limit the counts use.")
    figures = CompareFiguresSerializer(help_text="The headline before, after and the change.")
    volumes = CompareVolumesSerializer(help_text="Which volumes cost each snapshot.")
    services = ServiceComparisonSerializer(
        many=True,
        help_text="Services added, removed, or whose policy or figures changed: largest "
        "monthly change first (where both sides have a volume), then per GB, then by name.",
    )
    diff = DiffSerializer(help_text="What changed for routing, as GET .../diff/ answers.")


_keyword_fields(
    ComparisonSerializer,
    **{
        "from": CompareRefSerializer(help_text="The snapshot before (`from`)."),
        "to": CompareRefSerializer(help_text="The snapshot after (`to`, default the newest)."),
    },
)
