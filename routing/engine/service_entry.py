"""One Service's report entry from the objects its analysis reads (no database here).

Shared by the Service detail when it analyses on request (routing.figures.reports) and by what-if
(routing.whatif), so both give the same shape: the Service's entry of the analysis report with
the report's cluster section under "cluster".
"""

from typing import Any

from routing.engine import Options, analyze_cluster, build_cluster


def service_entry(objects: list[dict[str, Any]], options: Options) -> dict[str, Any] | None:
    """The entry of the one Service `options.services` names; None when it is not there."""
    items = [("items", i, obj) for i, obj in enumerate(objects)]
    report = analyze_cluster(build_cluster(items), options)
    if not report["services"]:
        return None
    entry: dict[str, Any] = report["services"][0]
    entry["cluster"] = report["cluster"]
    return entry
