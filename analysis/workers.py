"""Analysis worker processes: hotspot statistics off the server's event loop and off its GIL.

esda's numba kernels hold the GIL, so an analysis in a thread of the server stalls every tile
request. Analyses run in a process pool instead (`analysis_workers`, default 1 for a 2-core
machine), and at most `analysis_queue` wait or run at once: one more gets `AnalysisBusy` (HTTP
503 with Retry-After) rather than a place in an unbounded queue.

A worker gets plain values per analysis (region codes, published values and boundaries as WKB:
about 1.5 MB for 10,000 buurten) instead of loading the dataset itself. It then holds PySAL and
nothing else (about 300 MB, not a second copy of the dataset), and it cannot disagree with the
server about which dataset version is served when the file is replaced. Workers are spawned, not
forked: the server has threads, and a forked child would share and slowly copy its memory.
PySAL is imported in the workers only: the server never loads it.

The workers start at the first analysis, not with the server (unless `analysis_at_start`), and stop
after `analysis_idle_seconds` without one: a server that nobody asks for analyses does without their
300 MB. A worker loads esda's compiled kernels from disk (`analysis.kernels`; `make install` compiles
them) as it starts, so an analysis that starts the workers waits about 4 s more than the next ones.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from analysis.messages import HotspotInput, LocalStatistics
from children import exit_with_parent
from geodata.errors import AnalysisBusy

log = logging.getLogger("wijkmonitor")
WORKER_NICENESS = 10
RETRY_AFTER_SECONDS = 5  # an analysis of a gemeente's buurten takes about a second, national buurten several
A = TypeVar("A")
R = TypeVar("R")
T = TypeVar("T")


def _prepare_worker(kernel_cache: Path) -> None:
    from analysis import kernels  # PySAL: in the worker, never in the server

    exit_with_parent()
    # Below the server in the CPU queue: an analysis takes the time tiles leave, not theirs.
    os.nice(WORKER_NICENESS)
    kernels.use_disk_cache(kernel_cache)
    kernels.warm_up()


def local_statistics(inputs: HotspotInput) -> LocalStatistics:
    """What a worker runs for a hotspot analysis (`analysis.statistics`, which imports PySAL)."""
    from analysis import statistics

    return statistics.local_statistics(inputs)


class AnalysisWorkers:
    """The worker processes of one app, shared by every dataset version it serves."""

    def __init__(self, workers: int, queue: int, kernel_cache: Path, idle_seconds: float = 0) -> None:
        self.workers = workers
        self.queue = queue
        self.idle_seconds = idle_seconds  # 0: the workers stay
        self._kernel_cache = kernel_cache
        self._executor = self._new_executor()
        self._lock = threading.Lock()
        self._outstanding = 0
        self._submitted = 0  # analyses so far: an idle timer stops the workers only if none came after it
        self._started: list[Future[int]] = []
        self._idle: threading.Timer | None = None  # the one timer that stops idle workers
        self._stopped = False

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_prepare_worker,
            initargs=(self._kernel_cache,),
        )

    def start(self) -> None:
        """Start every worker now (if not started yet), each loading its kernels before the first analysis."""
        if not self._started:
            self._started = [self._executor.submit(os.getpid) for _ in range(self.workers)]

    def status(self) -> dict[str, Any]:
        ready = bool(self._started) and all(f.done() and not f.cancelled() and not f.exception() for f in self._started)
        return {
            "workers": self.workers, "started": bool(self._started), "ready": ready,
            "running_or_waiting": self._outstanding, "queue": self.queue,
        }  # fmt: skip

    def submit(self, compute: Callable[[A], R], argument: A, finish: Callable[[R], T]) -> Future[T]:
        """`compute(argument)` in a worker, then `finish(its result)` here; the returned future is done after
        the analysis has left the queue. AnalysisBusy when `queue` analyses already wait or run."""
        with self._lock:
            if self._outstanding >= self.queue:
                raise AnalysisBusy(
                    "analysis",
                    f"{self._outstanding} analyses are running or waiting; try again shortly",
                    RETRY_AFTER_SECONDS,
                )
            self.start()
            try:
                running = self._executor.submit(compute, argument)
            except BrokenProcessPool:  # a worker died (killed for its memory, say): start new ones
                log.error("analysis workers stopped unexpectedly; starting new ones")
                self._executor.shutdown(wait=False)
                self._executor = self._new_executor()
                running = self._executor.submit(compute, argument)
            self._outstanding += 1
            self._submitted += 1
        result: Future[T] = Future()
        running.add_done_callback(partial(self._finish, result, finish))
        return result

    def _finish(self, result: Future[T], finish: Callable[[Any], T], running: Future[Any]) -> None:
        with self._lock:
            self._outstanding -= 1
            if self._outstanding == 0 and self.idle_seconds > 0:
                if self._idle is not None:
                    self._idle.cancel()
                self._idle = threading.Timer(self.idle_seconds, self._stop_if_idle, args=(self._submitted,))
                self._idle.daemon = True
                self._idle.start()
        if running.cancelled():
            result.cancel()
            return
        try:
            result.set_result(finish(running.result()))
        except BrokenProcessPool:  # the worker died (killed for its memory, say): ask again, new ones start
            result.set_exception(AnalysisBusy("analysis", "the analysis worker stopped; try again shortly", RETRY_AFTER_SECONDS))
        except Exception as exc:  # noqa: BLE001 (the worker's error, a RequestError say, goes to whoever waits)
            result.set_exception(exc)

    def _stop_if_idle(self, submitted: int) -> None:
        """No analysis since the `submitted`th: the workers stop, and the next analysis starts new ones."""
        with self._lock:
            if self._stopped or self._outstanding or self._submitted != submitted or not self._started:
                return
            idle, self._executor, self._started = self._executor, self._new_executor(), []
        log.info("analysis workers stopped after %.0f s without an analysis", self.idle_seconds)
        idle.shutdown(wait=True)

    def shutdown(self) -> None:
        """Stop the workers: a running analysis is stopped (a server that is stopping has no use for it, and
        a national one can take a minute under load), those waiting are cancelled."""
        with self._lock:
            executor = self._executor
            self._stopped = True
            if self._idle is not None:
                self._idle.cancel()
        # ProcessPoolExecutor can terminate its workers only from Python 3.14 on.
        for process in list((executor._processes or {}).values()):
            process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)
