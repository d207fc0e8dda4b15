"""Per-client rate limits of the relayer, in memory: a sliding window of `limit` requests per `window` seconds."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `limit` requests of one client (a key: the proof's submitter) in any `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"a rate limit needs limit ≥ 1 and window > 0, got {limit} per {window} s")
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """Count a request of `client` and return 0, or, past its limit, how many seconds until it may ask again
        (the request is not counted)."""
        now = self.clock()
        with self._lock:
            self._forget(now)
            seen = self._seen.setdefault(client.lower(), deque())
            if len(seen) >= self.limit:
                return seen[0] + self.window - now
            seen.append(now)
            return 0.0

    def _forget(self, now: float) -> None:
        """Drop requests older than the window, and clients with none left (memory stays bounded)."""
        for client in list(self._seen):
            seen = self._seen[client]
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if not seen:
                del self._seen[client]
