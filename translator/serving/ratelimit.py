"""A per-client sliding-window request limit for public deployments (share links, Spaces)."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    """Allows ``per_minute`` requests per client in any 60-second window; 0 allows everything."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = self._clock()
        with self._lock:
            times = self._seen.setdefault(client, deque())
            while times and now - times[0] >= 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return False
            times.append(now)
            if len(self._seen) > 10_000:  # forget idle clients so the table stays small
                self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] < 60}
            return True
