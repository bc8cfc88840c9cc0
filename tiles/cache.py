"""A thread-safe LRU cache of encoded tiles, bounded by the bytes its entries really take.

An entry costs its key string, the CachedTile object, its byte strings and the ordered
dict's slot for it; `sys.getsizeof` gives the first three, ENTRY_OVERHEAD the last
(measured with tracemalloc in tests/tiles/test_cache.py).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from itertools import islice

ENTRY_OVERHEAD = 80  # OrderedDict slot and linked-list node per key: 66 B measured on CPython 3.11 (64-bit), rounded up


@dataclass(frozen=True, slots=True)
class CachedTile:
    body: bytes
    etag: str
    gzip_body: bytes | None = None

    @property
    def size(self) -> int:
        size = sys.getsizeof(self) + sys.getsizeof(self.body) + sys.getsizeof(self.etag)
        return size + (sys.getsizeof(self.gzip_body) if self.gzip_body is not None else 0)


def entry_size(key: str, tile: CachedTile) -> int:
    return ENTRY_OVERHEAD + sys.getsizeof(key) + tile.size


class TileCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[str, CachedTile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, count_miss: bool = True) -> CachedTile | None:
        with self._lock:
            tile = self._items.get(key)
            if tile is None:
                self.misses += count_miss
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return tile

    def put(self, key: str, tile: CachedTile) -> None:
        size = entry_size(key, tile)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= entry_size(key, old)
            self._items[key] = tile
            self.bytes += size
            while self.bytes > self.max_bytes:
                evicted_key, evicted = self._items.popitem(last=False)
                self.bytes -= entry_size(evicted_key, evicted)

    def recent(self, count: int) -> list[str]:
        """The keys of the `count` entries asked or made last, the last first."""
        with self._lock:
            return list(islice(reversed(self._items), count))

    def __len__(self) -> int:
        return len(self._items)
