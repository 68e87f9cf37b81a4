"""The EndpointSlice controller's Events about Services, as its event recorder writes them.

The engine says which events a reconcile emits (`controller.simulate(...).events`: a Warning
TopologyAwareHintsDisabled naming why Auto is off, or Normal TopologyAwareHintsEnabled); the
controller's memory decides which of them reach the API, as upstream's does: "enabled" only when
the Service had no hints populated before, "disabled" on every reconcile that fails, and a
Warning "Topology Aware Hints has been disabled" when the annotation goes away from a Service
whose hints were populated. A repeat of an event raises the `count` of the Event object it
was written to (client-go's correlator patches it), and an Event not written for an hour is
deleted (the API server's --event-ttl), after which a repeat creates a new one.

Core v1 Events are stored; events.k8s.io/v1 serves the same objects under its own field names.
"""

from typing import Any

from routing.engine.topology import HINTS_DISABLED_REASON, HINTS_ENABLED_REASON

from .ids import Ids
from .objects import stamp
from .state import Store

Obj = dict[str, Any]
CONTROLLER = "endpoint-slice-controller"  # the controller's EventSource component
HINTS_DISABLED = "Topology Aware Hints has been disabled"
EVENT_TTL = 3600.0
FAMILY = "IPv4"  # the simulated slices' only address type


class ControllerEvents:
    """Writes the controller's Events to the store (or keeps them until the store is loaded)."""

    def __init__(self, store: Store, ids: Ids) -> None:
        self.store, self.ids = store, ids
        self.populated: set[tuple[str, str]] = set()  # Services whose hints Auto populated
        # The live Event object of each (namespace, Service, type, reason, message), and when
        # it was last written.
        self._latest: dict[tuple[str, ...], tuple[Obj, float]] = {}
        self._names: set[str] = set()
        self._pending: list[tuple[Obj, Obj]] | None = []  # (event, Service) while loading
        self._expired_at = 0.0

    def reconciled(self, service: Obj, policy: str, emitted: list[dict[str, str]]) -> None:
        """One reconcile of `service` under its declared `policy`, which emitted `emitted`."""
        meta = service["metadata"]
        key = (meta["namespace"], meta["name"])
        recorded = []
        if policy == "Auto":
            for event in emitted:
                if event["reason"] == HINTS_ENABLED_REASON:
                    if key in self.populated:
                        continue
                    self.populated.add(key)
                else:
                    self.populated.discard(key)
                recorded.append(event)
        elif key in self.populated:
            self.populated.discard(key)
            message = f"{HINTS_DISABLED}, addressType: {FAMILY}"
            recorded.append(
                {"type": "Warning", "reason": HINTS_DISABLED_REASON, "message": message}
            )
        for event in recorded:
            self._record(service, event)

    def loaded(self) -> list[Obj]:
        """The events of the initial reconcile, to load with the rest; later ones are put."""
        pending, self._pending = self._pending or [], None
        for event, service in pending:
            version = service["metadata"].get("resourceVersion")
            if version:
                event["involvedObject"]["resourceVersion"] = version
        return [event for event, _ in pending]

    def _record(self, service: Obj, event: dict[str, str]) -> None:
        now = self.ids.now()
        self._expire(now)
        meta = service["metadata"]
        ident = (meta["namespace"], meta["name"], event["type"], event["reason"], event["message"])
        found = self._latest.get(ident)
        if found is not None:
            obj = found[0]
            obj["count"] += 1
            obj["lastTimestamp"] = stamp(now)
        else:
            obj = self._new(service, event, now)
        involved = obj["involvedObject"]
        if meta.get("resourceVersion"):
            involved["resourceVersion"] = meta["resourceVersion"]
        self._latest[ident] = (obj, now)
        if self._pending is not None:
            if found is None:
                self._pending.append((obj, service))
        else:
            self.store.put("events", obj)

    def _new(self, service: Obj, event: dict[str, str], now: float) -> Obj:
        meta = service["metadata"]
        nanos = int(now * 1e9)  # the recorder names an event <object>.<unix nanoseconds, hex>
        while f"{meta['name']}.{nanos:x}" in self._names:
            nanos += 1
        name = f"{meta['name']}.{nanos:x}"
        self._names.add(name)
        return {
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "uid": self.ids.uid(),
                "creationTimestamp": stamp(now),
            },
            "involvedObject": {
                "kind": "Service",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
                "apiVersion": "v1",
            },
            "reason": event["reason"],
            "message": event["message"],
            "source": {"component": CONTROLLER},
            "firstTimestamp": stamp(now),
            "lastTimestamp": stamp(now),
            "count": 1,
            "type": event["type"],
            "eventTime": None,
            "reportingComponent": CONTROLLER,
            "reportingInstance": "",
        }

    def _expire(self, now: float) -> None:
        if now - self._expired_at < 1.0:
            return
        self._expired_at = now
        for ident, (obj, seen) in list(self._latest.items()):
            if now - seen >= EVENT_TTL:
                del self._latest[ident]
                self._names.discard(obj["metadata"]["name"])
                if self._pending is None:
                    meta = obj["metadata"]
                    self.store.delete("events", meta["namespace"], meta["name"])


def as_events_v1(event: Obj) -> Obj:
    """A stored core v1 Event as events.k8s.io/v1 shows it (the API server's conversion)."""
    out: Obj = {"metadata": event["metadata"], "eventTime": event.get("eventTime")}
    renamed = (
        ("series", "series"),
        ("reportingComponent", "reportingController"),
        ("reportingInstance", "reportingInstance"),
        ("action", "action"),
        ("reason", "reason"),
        ("involvedObject", "regarding"),
        ("related", "related"),
        ("message", "note"),
        ("type", "type"),
        ("source", "deprecatedSource"),
        ("firstTimestamp", "deprecatedFirstTimestamp"),
        ("lastTimestamp", "deprecatedLastTimestamp"),
        ("count", "deprecatedCount"),
    )
    for core, v1 in renamed:
        if event.get(core):
            out[v1] = event[core]
    return out
