"""A thread-safe LRU cache of encoded tiles, bounded by total bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedTile:
    body: bytes
    etag: str
    gzip_body: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzip_body or b"") + 200  # + rough overhead per entry


class TileCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, CachedTile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> CachedTile | None:
        with self._lock:
            tile = self._items.get(key)
            if tile is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return tile

    def put(self, key: Hashable, tile: CachedTile) -> None:
        if tile.size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old.size
            self._items[key] = tile
            self.bytes += tile.size
            while self.bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self.bytes -= evicted.size

    def __len__(self) -> int:
        return len(self._items)
