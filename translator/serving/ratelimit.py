"""A per-client sliding-window request limit for public deployments (share links, Spaces), and who a client is."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

WINDOW_SECONDS = 60


class RateLimiter:
    """Allows ``per_minute`` events per client in any 60-second window; 0 allows everything.

    ``allow`` counts a request and says whether it may go on; ``wait_seconds`` and ``record`` serve limits on
    events known only afterwards (a failed login)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        with self._lock:
            if self._wait(client, self._clock()) > 0:
                return False
            self._record(client, self._clock())
            return True

    def wait_seconds(self, client: str) -> int:
        """Whole seconds until ``client`` may go on (0: now)."""
        with self._lock:
            return math.ceil(self._wait(client, self._clock()))

    def record(self, client: str) -> None:
        with self._lock:
            self._record(client, self._clock())

    def _wait(self, client: str, now: float) -> float:
        if self.per_minute <= 0:
            return 0.0
        times = self._seen.get(client)
        if not times:
            return 0.0
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        return WINDOW_SECONDS - (now - times[0]) if len(times) >= self.per_minute else 0.0

    def _record(self, client: str, now: float) -> None:
        if self.per_minute <= 0:
            return
        self._seen.setdefault(client, deque()).append(now)
        if len(self._seen) > 10_000:  # forget idle clients so the table stays small
            self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] < WINDOW_SECONDS}


def client_address(peer: str, forwarded_for: Sequence[str], trusted_proxy_hops: int) -> str:
    """The address to count a request against.

    ``forwarded_for``: the request's X-Forwarded-For header values, in order. Each proxy appends the address
    it received the request from, so with N trusted proxies in front of the app the N-th entry from the right
    is the one the outermost of them appended: the client as that proxy saw it. Entries left of it were sent
    by the client and can say anything, so they are never used. With no trusted proxy, or a header shorter
    than the proxies (a request that did not come through them), the peer address counts.
    """
    if trusted_proxy_hops <= 0:
        return peer
    entries = [entry.strip() for value in forwarded_for for entry in value.split(",")]
    if len(entries) < trusted_proxy_hops or not entries[-trusted_proxy_hops]:
        return peer
    return entries[-trusted_proxy_hops]
