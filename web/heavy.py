"""Room for the heavy requests (static maps, figure tables): a few run at once in the thread pool and a
few wait; one more is refused (503 + Retry-After) instead of queueing behind them. Each holds the
GIL for most of its 0.1-4 s, time the event loop needs to answer cached tiles."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from geodata.errors import Busy

T = TypeVar("T")
RETRY_AFTER_SECONDS = 2


class HeavyWork:
    def __init__(self, running: int, waiting: int) -> None:
        self._limit = running + waiting
        self._admitted = 0
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(running)

    async def run(self, parameter: str, fn: Callable[..., T], *args: object) -> T:
        """fn(*args) in the thread pool once a slot is free; Busy (naming `parameter`) when too many wait."""
        with self._lock:
            if self._admitted >= self._limit:
                raise Busy(parameter, "too many maps and tables are being made right now; ask again shortly", RETRY_AFTER_SECONDS)
            self._admitted += 1
        try:
            return await run_in_threadpool(self._in_slot, fn, *args)
        finally:
            with self._lock:
                self._admitted -= 1

    def _in_slot(self, fn: Callable[..., T], *args: object) -> T:
        with self._slots:
            return fn(*args)
