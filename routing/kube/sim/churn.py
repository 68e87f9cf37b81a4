"""Random but reproducible change: scale-ups and -downs, rollouts, node failures, policy switches.

Actions happen at `rate` per second on average (exponential gaps) and some unfold in steps (a new
Pod turns ready a few seconds after it starts; a terminating one goes away later). Every step
sits on one virtual timeline run by a single thread, so a seed gives the same sequence of
changes whatever the machine's speed.
"""

import heapq
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from random import Random

from .actions import TRAFFIC_DISTRIBUTIONS, live_pods, pick_node, set_traffic_distribution
from .objects import TOPOLOGY_MODE, Workload
from .world import World

logger = logging.getLogger(__name__)
ACTIONS = (("scale_up", 3), ("scale_down", 3), ("rollout", 2), ("node", 1), ("policy", 1))


class Churn:
    """Drives a world's changes from a background thread until `stop()`."""

    def __init__(self, world: World, rate: float, seed: int = 1) -> None:
        self.world, self.rate = world, rate
        self.rng = Random(seed * 7919 + 17)
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rolling: set[tuple[str, str]] = set()
        self._down: set[str] = set()
        self._initial = {k: len(live_pods(w)) for k, w in world.workloads.items()}
        self.actions: Counter[str] = Counter()  # actions run so far, by name
        self._now = 0.0  # the virtual time of the step being run

        if rate > 0:
            self._at(self.rng.expovariate(rate), self._act)

    def start(self) -> None:
        """Run the timeline in real time on a background thread."""
        if self.rate <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="simcluster-churn", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _at(self, t: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (t, next(self._seq), fn))

    def _run(self) -> None:
        started = time.monotonic() - self._now  # virtual time already advanced counts as past
        while self._queue:
            t, _, fn = heapq.heappop(self._queue)
            self._now = t
            if self._stop.wait(max(0.0, started + t - time.monotonic())):
                return
            try:
                fn()
            except Exception:  # one failed step must not end the simulation's churn
                logger.exception("churn step failed")

    def advance(self, seconds: float) -> int:
        """Run at once every step due in the next `seconds` of virtual time; returns how many.

        For tests and benchmarks that want churn without waiting; not while `start()`ed.
        """
        if self._thread is not None:
            raise RuntimeError("churn is running on its own thread")
        end, steps = self._now + seconds, 0
        while self._queue and self._queue[0][0] <= end:
            t, _, fn = heapq.heappop(self._queue)
            self._now = t
            fn()
            steps += 1
        self._now = end
        return steps

    def _after(self, delay: float, fn: Callable[[], None]) -> None:
        self._at(self._now + delay, fn)

    def _act(self) -> None:
        self._after(self.rng.expovariate(self.rate), self._act)
        names = [a for a, _ in ACTIONS]
        action = self.rng.choices(names, [w for _, w in ACTIONS])[0]
        if getattr(self, f"_{action}")():  # False when nothing qualified for the action
            self.actions[action] += 1

    def _workloads(self, test: Callable[[Workload], bool]) -> list[Workload]:
        return [
            w
            for k, w in sorted(self.world.workloads.items())
            if w.churn and k not in self._rolling and test(w)
        ]

    def _scale_up(self) -> bool:
        world = self.world
        with world.lock:
            choices = self._workloads(
                lambda w: len(live_pods(w)) < 2 * self._initial.get((w.namespace, w.name), 1) + 1
            )
            if not choices:
                return False
            workload = self.rng.choice(choices)
            zones = sorted({world.zone_of(p) for p in live_pods(workload)} - {""}) or world.zones()
            node = pick_node(world, workload, self.rng.choice(zones)) if zones else None
            if node is None:
                return False
            pod = world.add_pod(workload, node, ready=False)
        self._after(self.rng.uniform(2, 5), lambda: world.set_pod_ready(pod, True))
        return True

    def _scale_down(self) -> bool:
        world = self.world
        with world.lock:
            choices = self._workloads(
                lambda w: (
                    len(live_pods(w)) > max(1, self._initial.get((w.namespace, w.name), 1) // 2)
                )
            )
            if not choices:
                return False
            pod = self.rng.choice(live_pods(self.rng.choice(choices)))
            world.terminate_pod(pod)
        self._after(self.rng.uniform(3, 6), lambda: world.delete_pod(pod))
        return True

    def _rollout(self) -> bool:
        world = self.world
        with world.lock:
            choices = self._workloads(lambda w: bool(live_pods(w)))
            if not choices:
                return False
            workload = self.rng.choice(choices)
            key = (workload.namespace, workload.name)
            self._rolling.add(key)
            with world.batch():
                old = live_pods(workload)
                world.new_revision(workload)
                fresh = [world.add_pod(workload, p.node, ready=False) for p in old]

        def switch() -> None:
            with world.batch():
                for pod in fresh:
                    world.set_pod_ready(pod, True)
                for pod in old:
                    world.terminate_pod(pod)
            self._after(self.rng.uniform(3, 6), finish)

        def finish() -> None:
            with world.batch():
                for pod in old:
                    world.delete_pod(pod)
            self._rolling.discard(key)

        self._after(self.rng.uniform(2, 5), switch)
        return True

    def _node(self) -> bool:
        world = self.world
        if self._down:
            return False  # one failure at a time keeps the demo readable
        workers = world.ready_workers()
        if len(workers) < 2:
            return False
        name = self.rng.choice(workers).name
        self._down.add(name)
        world.set_node_ready(name, False)

        def back() -> None:
            world.set_node_ready(name, True)
            self._down.discard(name)

        self._after(self.rng.uniform(15, 30), back)
        return True

    def _policy(self) -> bool:
        world = self.world
        with world.lock:
            choices = [
                s
                for _, s in sorted(world.services.items())
                if s.managed and TOPOLOGY_MODE not in (s.obj["metadata"].get("annotations") or {})
            ]
            if not choices:
                return False
            svc = self.rng.choice(choices)
            current = svc.obj["spec"].get("trafficDistribution")
            value = self.rng.choice([v for v in TRAFFIC_DISTRIBUTIONS if v != current])
            set_traffic_distribution(world, svc.namespace, svc.name, value)
        return True
