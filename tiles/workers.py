"""Tile worker processes: tiles that are not in the cache are made off the server's GIL.

Making a tile is Python and numpy holding the GIL most of the time. In a thread of the server it
takes the GIL from the event loop that answers cached tiles, which then waits up to a switch
interval per turn of the loop: under cold-tile load a cached tile's p99 went from tens to hundreds
of milliseconds. A worker process has its own GIL, and runs niced below the server, so a cached
tile is answered as soon as the server has the CPU.

Each worker opens the dataset itself (the store's location) and prepares each level's latest
geometry when told to (`prepare`: at start and before a rebuilt dataset is swapped in), and keeps
the version being served and the one before it. A task names the version it is for: a worker
never answers with other data than the server serves. Workers are spawned, not forked (the server
has threads); each is a pool of one process, so that `prepare` reaches every one of them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor

import pandas as pd

from geodata.selection import Selection
from store import open_store
from tiles.encode import gzip_bytes
from tiles.region_tiles import RegionTiles
from tiles.tilemath import PYRAMIDS

WORKER_NICENESS = 5  # below the server (cached tiles), above the analysis workers (10)
VERSIONS_KEPT = 2  # the version served and the one before it, for tasks sent just before a swap

# One worker process's datasets, by version (module state: one per process).
_datasets: dict[str, RegionTiles] = {}
_settings: dict[str, int] = {}
_stale: dict[str, str] = {}  # a version asked for -> the version the location held instead


class StaleVersion(RuntimeError):
    """The dataset at the location is no longer (or not yet) the version a task is for."""


def _start_worker(extent: int, buffer: int) -> None:
    os.nice(WORKER_NICENESS)
    _settings.update(extent=extent, buffer=buffer)


def _open(location: str, version: str) -> RegionTiles:
    tiles = _datasets.get(version)
    if tiles is not None:
        return tiles
    if version in _stale:  # said once per task, not found out again by opening the whole dataset
        raise StaleVersion(f"{location} holds version {_stale[version]}, not {version}")
    store = open_store(location)
    tiles = RegionTiles(store, _settings["extent"], _settings["buffer"])
    # The first tiles of each level ask for its latest year, and a rebuild's tiles for what the version
    # before it was asked: prepared here, before the server swaps, not by them.
    for level, years in store.availability.years.items():
        tiles.geometry(level, years[-1])
    if _datasets:
        tiles.prepare_like(list(_datasets.values())[-1])
    # Kept even when it is not the version asked for: the server is about to ask for this one.
    _datasets[store.version] = tiles
    while len(_datasets) > VERSIONS_KEPT:
        del _datasets[next(iter(_datasets))]
    if store.version != version:
        _stale[version] = store.version
        raise StaleVersion(f"{location} holds version {store.version}, not {version}")
    return tiles


def _prepare(location: str, version: str) -> int:
    _open(location, version)
    return os.getpid()


def _make(
    location: str, version: str, selection: Selection, pyramid_id: str, z: int, x: int, y: int,
    extra: Mapping[str, pd.Series] | None,
) -> tuple[bytes, bytes]:
    pyramid = next(p for p in PYRAMIDS if p.id == pyramid_id)
    body = _open(location, version).tile(selection, z, x, y, extra, pyramid)
    return body, gzip_bytes(body)  # browsers ask for gzip: compressed here rather than by the server


class TileWorkers:
    """The tile worker processes of one app, shared by every dataset version it serves."""

    def __init__(self, workers: int, extent: int, buffer: int) -> None:
        self._start = (extent, buffer)
        self._pools = [self._new_pool() for _ in range(workers)]
        self._outstanding = [0] * workers
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pools)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker, initargs=self._start
        )

    def prepare(self, location: str, version: str) -> None:
        """Every worker opens this version of the dataset (blocking). Raises what a worker could not open."""
        for future in [pool.submit(_prepare, location, version) for pool in self._pools]:
            future.result()

    def submit(
        self, location: str, version: str, selection: Selection, pyramid_id: str, z: int, x: int, y: int,
        extra: Mapping[str, pd.Series] | None = None,
    ) -> Future[tuple[bytes, bytes]]:
        """The tile, raw and gzipped, from the least busy worker."""
        with self._lock:
            index = min(range(len(self._pools)), key=self._outstanding.__getitem__)
            self._outstanding[index] += 1
        future = self._pools[index].submit(_make, location, version, selection, pyramid_id, z, x, y, extra)
        future.add_done_callback(lambda _: self._done(index))
        return future

    def _done(self, index: int) -> None:
        with self._lock:
            self._outstanding[index] -= 1

    def replace_broken(self) -> None:
        """A worker that died (killed, out of memory) is replaced; its version is opened again on demand."""
        for index, pool in enumerate(self._pools):
            if getattr(pool, "_broken", False):
                self._pools[index] = self._new_pool()

    def shutdown(self) -> None:
        for pool in self._pools:
            pool.shutdown(wait=False, cancel_futures=True)
