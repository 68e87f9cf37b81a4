"""The snapshot views' query serializers copy their declared fields shallowly
(SnapshotQuerySerializer.get_fields): the same answers and errors as DRF's deep copies, each
serializer with fields of its own, and a nested field refused where it is declared."""

import pytest
from rest_framework import serializers

from routing.api.report_serializers import (
    ServiceDetailQuerySerializer,
    ServiceQuerySerializer,
    SnapshotQuerySerializer,
)
from routing.api.traffic_serializers import FlowMapQuerySerializer

QUERIES = [
    {},
    {"ordering": "-dropped", "min_cross_zone": "0.25", "has_diagnostics": "true"},
    {"namespace": "shop", "policy": "PreferClose", "mechanism": "none", "overloaded": "false"},
    {"snapshot": "3", "search": "shop/check", "zone": "us-east-1a", "format": "csv"},
    {"ordering": "sideways", "min_cross_zone": "2", "snapshot": "0", "mechanism": "x"},
    {"namespace": "n" * 254, "has_diagnostics": "maybe", "search": "\x00"},
    {"proxy": "nodes"},
    {"proxy": "everything", "policy": "Auto"},
]


def deep(cls):
    """The same serializer with DRF's own get_fields (a deep copy of each declared field)."""
    return type(f"Deep{cls.__name__}", (cls,), {"get_fields": serializers.Serializer.get_fields})


@pytest.mark.parametrize(
    "cls", [ServiceQuerySerializer, ServiceDetailQuerySerializer, FlowMapQuerySerializer]
)
@pytest.mark.parametrize("query", QUERIES)
def test_the_same_answers_and_errors_as_deep_copies(cls, query):
    shallow, reference = cls(data=query), deep(cls)(data=query)
    assert shallow.is_valid() == reference.is_valid()
    assert shallow.errors == reference.errors
    if not shallow.errors:
        assert shallow.validated_data == reference.validated_data


def test_each_serializer_has_fields_of_its_own():
    first, second = ServiceQuerySerializer(data={}), ServiceQuerySerializer(data={})
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other
        assert field.parent is first and other.parent is second
        assert field.field_name == other.field_name == name
        declared = ServiceQuerySerializer._declared_fields[name]
        assert declared is not field and declared.field_name is None  # never bound itself


def test_a_nested_field_is_refused_where_it_is_declared():
    with pytest.raises(AssertionError, match="not flat"):

        class Nested(SnapshotQuerySerializer):
            zones = serializers.ListField(child=serializers.CharField())
