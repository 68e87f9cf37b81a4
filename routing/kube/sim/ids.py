"""Identifiers and timestamps for simulated objects, drawn from one seeded random source."""

import time
import uuid
from collections.abc import Callable
from random import Random

from .objects import stamp

NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' generateName alphabet


class Ids:
    """uids, name suffixes, creation times and Pod IPs; the same seed gives the same sequence."""

    def __init__(self, seed: int, now: Callable[[], float] = time.time) -> None:
        self.rng = Random(seed)
        self.now = now
        self.pod_network = (100 << 24) | (64 << 16)  # 100.64.0.0/10, EKS custom networking
        self._ips = 0

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def suffix(self, n: int) -> str:
        return "".join(self.rng.choices(NAME_CHARS, k=n))

    def ago(self, oldest: float, newest: float = 0.0) -> str:
        return stamp(self.now() - self.rng.uniform(newest, oldest))

    def pod_ip(self) -> str:
        net, host = divmod(self._ips, 254)  # skip .0 and .255, like real address leases
        self._ips += 1
        n = self.pod_network + net * 256 + host + 1
        return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
