"""The preset queries and window durations (routing.volumes.presets)."""

import pytest

from routing.volumes.presets import PRESETS, custom, duration, parse_duration, promql
from routing.volumes.refresh import BYTES_PER_GB, monthly_gb


@pytest.mark.parametrize(
    ("seconds", "text"), [(604_800, "7d"), (3_600, "1h"), (5_400, "90m"), (90, "90s")]
)
def test_durations_use_the_largest_unit_that_divides(seconds, text):
    assert duration(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "7w", "-1d", "0", "1.5h", "d"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_preset_is_one_aggregated_query_over_the_window(name):
    query = promql(PRESETS[name], 604_800)
    assert "sum by (" in query and "[7d]" in query and "{window}" not in query


def test_a_custom_query_is_sent_as_written():
    assert (
        promql(custom("sum by (namespace, service) (x)"), 60) == "sum by (namespace, service) (x)"
    )


def test_monthly_gb_is_bytes_per_second_over_thirty_days():
    assert monthly_gb(BYTES_PER_GB / (30 * 86_400)) == pytest.approx(1.0)
    assert monthly_gb(1_000_000) == pytest.approx(1e6 * 2_592_000 / 2**30)
