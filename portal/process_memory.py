"""A bounded memory of one process, shared by its threads: what a request found out that the
next requests may reuse (a resolved scope, a list known to be above the count cap).

Least recently used entries go first beyond `size`; an entry older than the `seconds` a
reader allows is not returned. Nothing here is shared between processes: whoever keeps
something must also say when it stops being true (portal/scope_cache.py checks the committed
scope generation, portal/paginator.py keeps a count for a minute at most).
"""

import threading
import time

_MISSING = object()


class ProcessMemory:
    def __init__(self, size: int):
        self.size = size
        self._entries: dict = {}  # key → (stored at, value); insertion order is recency
        self._lock = threading.Lock()

    def get(self, key, seconds: float, default=None):
        """The value kept under `key` if it is less than `seconds` old, else `default`."""
        with self._lock:
            entry = self._entries.pop(key, _MISSING)
            if entry is _MISSING or time.monotonic() - entry[0] >= seconds:
                return default
            self._entries[key] = entry  # back at the end: the most recently used
            return entry[1]

    def put(self, key, value) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (time.monotonic(), value)
            while len(self._entries) > self.size:
                del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
