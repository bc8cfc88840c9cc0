"""The hotspot results of one dataset version, for the API, tiles, styles and legends alike.

One computation per distinct request, however many clients ask for it at once: they share its
future. The latest `maxsize` requests are kept (a national buurt result is about 2 MB), and an
analysis larger than `max_draws` (regions x permutations) is refused before it starts: local
Moran keeps every simulated statistic, 8 bytes a draw, twice over while summarising them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future
from functools import partial
from typing import NamedTuple

from analysis.hotspots import HotspotResult, hotspot_input, hotspot_result
from analysis.request import PERMUTATIONS, AnalysisRequest
from analysis.workers import AnalysisWorkers, local_statistics
from geodata.errors import RequestError
from store import Store


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int
    currsize: int


class HotspotResults:
    def __init__(self, store: Store, workers: AnalysisWorkers, maxsize: int, max_draws: int) -> None:
        self.store = store
        self.maxsize = maxsize
        self.max_draws = max_draws
        self._workers = workers
        self._results: OrderedDict[AnalysisRequest, Future[HotspotResult]] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = 0

    def submit(self, request: AnalysisRequest) -> Future[HotspotResult]:
        """The result, computed, being computed, or now handed to a worker (RequestError, AnalysisBusy)."""
        with self._lock:
            future = self._results.get(request)
            if future is not None:
                self._hits += 1
                self._results.move_to_end(request)
                return future
            inputs, no_value = hotspot_input(self.store, request)
            draws = len(inputs.codes) * request.permutations
            if draws > self.max_draws:
                raise RequestError(
                    "permutations",
                    f"{len(inputs.codes)} regions x {request.permutations} permutations is more than this server computes "
                    f"({self.max_draws}): " + (
                        f"ask for at most {self.max_draws // len(inputs.codes)} permutations or fewer regions"
                        if self.max_draws // len(inputs.codes) >= PERMUTATIONS[0]
                        else "ask for fewer regions (within=<gemeentecode>)"
                    ),
                )
            future = self._workers.submit(local_statistics, inputs, partial(hotspot_result, request, no_value))
            self._misses += 1
            self._results[request] = future
            while len(self._results) > self.maxsize:
                self._results.popitem(last=False)  # a running analysis still reaches those already waiting for it
        future.add_done_callback(partial(self._forget_failure, request))
        return future

    def _forget_failure(self, request: AnalysisRequest, future: Future[HotspotResult]) -> None:
        """A failed or cancelled analysis is not kept: the next request tries again."""
        if future.cancelled() or future.exception() is not None:
            with self._lock:
                if self._results.get(request) is future:
                    del self._results[request]

    def cache_info(self) -> CacheInfo:
        return CacheInfo(self._hits, self._misses, self.maxsize, len(self._results))
