"""The orjson renderer gives the JSON DRF's own renderer gives, for the values the API returns."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from routing.api.renderers import ORJSONRenderer

VALUES = [
    {"a": 1, "b": [1.5, None, True], "c": {"nested": "ü ✓"}},
    {"when": dt.datetime(2026, 11, 26, 7, 0, 1, 123456, tzinfo=dt.UTC)},
    {"day": dt.date(2026, 11, 26), "price": Decimal("0.010000")},
    {"error": [ErrorDetail("bad value", code="invalid")], "lazy": gettext_lazy("Not found.")},
    {"separators": "a\u2028b\u2029c"},
    [],
    {"tiny": 1e-7, "big": 123456789012345678, "neg": -0.25},
]


@pytest.mark.parametrize("value", VALUES)
def test_same_json_as_drf(value):
    ours, theirs = ORJSONRenderer().render(value), JSONRenderer().render(value)
    assert json.loads(ours) == json.loads(theirs)
    assert (b"\xe2\x80\xa8" in ours) == (b"\xe2\x80\xa8" in theirs)


def test_none_is_an_empty_body():
    assert ORJSONRenderer().render(None) == b""
