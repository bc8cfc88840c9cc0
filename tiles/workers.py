"""Tile worker processes: tiles that are not in the cache are made off the server's GIL.

Making a tile is Python and numpy holding the GIL most of the time. In a thread of the server it
takes the GIL from the event loop that answers cached tiles, which then waits up to a switch
interval per turn of the loop: under cold-tile load a cached tile's p99 went from tens to hundreds
of milliseconds. A worker process has its own GIL, and runs niced below the server, so a cached
tile is answered as soon as the server has the CPU.

Each worker opens the dataset itself (the server's dataset setting) and prepares each level's latest
geometry, then every zoom and figure of it, a zoom per task sent one at a time, so that tiles asked
meanwhile are made in between. A rebuilt dataset gets new workers (`prepare`, before the server
swaps): they open it, make what the current workers were asked for (RegionTiles.usage), prepare
the rest and then what the current workers were asked meanwhile, while the current ones go on making
tiles of the served version; then they take over, and the old ones take tasks of their version for
RETIRE_SECONDS more (the server swaps its dataset just after them), finish what they have and stop.
Once every figure with data has its columns, a worker frees the figure table. A task names the
version it is for: a worker never answers with other data than the server serves. Workers are
spawned, not forked (the server has threads); each is a pool of one process, so that every one of
them gets the dataset.

Tiles go to a worker by a pipe of their own (_TileChannel), not the pool's queue: a thread of the
worker makes them as they come, in between the pool's tasks (one runs at a time: _working), and the
server's event loop reads the answers (a thread of the server, where it has no loop). The pool's
queue has a feeder and a result thread in the server and wakes them with a write each time: 0.34-0.49
ms a round trip, against 0.16 ms for the pipe, and cold tiles from z10 on take 0.3-2 ms to make. A
hotspot tile (its columns go with it) and the first task to a worker go by the pool.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import multiprocessing
import os
import pickle
import select
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as all_done
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial, wraps
from multiprocessing.connection import Connection
from typing import Any, Protocol

import pandas as pd

from children import exit_with_parent, release_free_memory
from geodata.regions import Level
from geodata.selection import Selection
from store import open_store, shown_location
from tiles import loops
from tiles.encode import gzip_bytes
from tiles.generalise import PREPARE_THREADS
from tiles.region_tiles import RegionTiles, Usage, center_zoom
from tiles.tilemath import PYRAMID_BY_ID

WORKER_NICENESS = 5  # below the server (cached tiles), above the analysis workers (10)
RETIRE_SECONDS = 30.0  # how long workers replaced by a rebuild take tasks of the version they had
VERSIONS_KEPT = 2  # the version served and the one before it, for tasks sent just before a swap
PIPE_BYTES = 1 << 20  # the tile pipe's buffer (Linux; 64 KiB elsewhere): tasks queued without blocking
LARGEST_SENT = 64 << 10  # a larger task (a hotspot tile's columns) goes by the pool
READ_BYTES = 1 << 20  # read from the answer pipe at a time, in the event loop
_FRAME = struct.Struct("!i")  # multiprocessing.Connection's frame: the length, then the bytes

# One worker process's datasets, by version (module state: one per process).
_datasets: dict[str, RegionTiles] = {}
_settings: dict[str, int] = {}
_stale: dict[str, str] = {}  # a version asked for -> the version the location held instead
# Held by each task of the pool and each tile of the pipe: one runs at a time. Side by side, a tile and a
# zoom being prepared took turns at the GIL, each turn up to a switch interval: under the load bench's
# first 30 s (while the workers prepared) cold p99 went from 0.6-0.75 s to 2.7 s.
_working = threading.RLock()


# submit(location, version, selection, pyramid id, z, x, y): a tile, raw and gzipped, from a worker
Submit = Callable[..., Future[tuple[bytes, bytes]]]
LevelYear = tuple[Level, int]


class StaleVersion(RuntimeError):
    """The dataset at the location is no longer (or not yet) the version a task is for."""


def _one_at_a_time(task: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(task)
    def under_lock(*arguments: Any) -> Any:
        with _working:
            return task(*arguments)

    return under_lock


def _start_worker(
    extent: int, buffer: int, max_zoom: int, spin_seconds: float, tasks: Connection, answers: Connection,
) -> None:
    exit_with_parent()
    os.nice(WORKER_NICENESS)  # before the tile thread starts: it inherits the niceness
    _settings.update(extent=extent, buffer=buffer, max_zoom=max_zoom)
    # A daemon: the process ends when its pool tells it to, also when the server exits without stopping
    # its workers. A server that stops them first waits for the tiles it sent (_Worker.shutdown).
    threading.Thread(target=_make_sent_tiles, args=(tasks, answers, spin_seconds), name="tile-channel", daemon=True).start()


def _make_sent_tiles(tasks: Connection, answers: Connection, spin_seconds: float = 0.0) -> None:
    """The worker's end of a _TileChannel: each task made in turn, until the server closes the pipe.

    After a tile it looks for the next task for up to `spin_seconds` before it sleeps on the pipe: woken
    from sleep, a process runs cold on our 2-core VM (national z12-z14 tiles sent one at a time took 0.56-0.65
    ms to make in the worker against 0.33-0.39 ms in a loop), and a map's or a client's next tile comes
    within a millisecond or two. Cold z12-z14 tiles over HTTP, one at a time, 2 ms against none: 1.22-1.37
    against 1.42-1.60 ms. Only after a tile: an idle server does not spin."""
    waiting = select.poll()
    waiting.register(tasks.fileno(), select.POLLIN)
    spin_until = 0.0
    while True:
        while time.perf_counter() < spin_until and not waiting.poll(0):
            pass
        try:
            ident, arguments = pickle.loads(tasks.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            answer = pickle.dumps((ident, True, _make(*arguments)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - the server's caller raises it (or makes the tile itself)
            try:
                answer = pickle.dumps((ident, False, exc), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an exception that does not pickle: its text
                answer = pickle.dumps((ident, False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        answers.send_bytes(answer)
        spin_until = time.perf_counter() + spin_seconds


def _open(location: str, version: str, usage: Usage | None = None) -> RegionTiles:
    tiles = _datasets.get(version)
    if tiles is not None:
        return tiles
    if version in _stale:  # said once per task, not found out again by opening the whole dataset
        raise StaleVersion(f"{shown_location(location)} holds version {_stale[version]}, not {version}")
    store = open_store(location)
    tiles = RegionTiles(store, _settings["extent"], _settings["buffer"])
    # The first tiles of each level ask for its latest year, and a rebuild's tiles for what the version
    # before it was asked: prepared here, before the server swaps, not by them. Other zooms: _prepare_zooms.
    for level, year in store.availability.latest:
        tiles.geometry(level, year)
    if usage is not None:
        tiles.prepare(usage)
    # Kept even when it is not the version asked for: the server is about to ask for this one. A version
    # this worker has prepared stays: opened again here, it would be prepared again tile by tile.
    tiles = _datasets.setdefault(store.version, tiles)
    while len(_datasets) > VERSIONS_KEPT:
        del _datasets[next(iter(_datasets))]
    if store.version != version:
        _stale[version] = store.version
        raise StaleVersion(f"{store.location} holds version {store.version}, not {version}")
    return tiles


@_one_at_a_time
def _prepare(location: str, version: str, usage: Usage | None) -> tuple[list[LevelYear], list[LevelYear]]:
    """Open the version (see _open); its levels with their latest year, and every other level and year
    with boundaries, for _prepare_rest."""
    availability = _open(location, version, usage).store.availability
    others = [(level, year) for level, years in availability.years.items() for year in years]
    return availability.latest, [pair for pair in others if pair not in availability.latest]


@_one_at_a_time
def _prepare_zooms(location: str, version: str, level: Level, year: int, zooms: tuple[int, ...]) -> None:
    _open(location, version).geometry(level, year).prepare(zooms)


@_one_at_a_time
def _prepare_figures(location: str, version: str, level: Level, year: int) -> None:
    """Every figure with data at the level and year: a map of every group asks for all of them at once."""
    tiles = _open(location, version)
    available = tiles.store.availability.indicators_with_data(level, year)
    tiles.prepare(Usage((), tuple((level, year, group, indicator) for indicator, groups in available.items() for group in groups)))


def _pairs(zooms: Sequence[int]) -> list[tuple[int, ...]]:
    return [tuple(zooms[i:i + PREPARE_THREADS]) for i in range(0, len(zooms), PREPARE_THREADS)]


@_one_at_a_time
def _warm_up(location: str, version: str) -> None:
    """numba loads each compiled tile loop from its cache on its first call (about 25 ms for a tile's
    three), which would otherwise fall on the first tile a map asks for: each is called once here, as
    the process that compiled them did (tiles.loops). The dataset (every preparing task's arguments) is
    not needed for it."""
    loops.call_each_loop()


@_one_at_a_time
def _release_figure_rows(location: str, version: str) -> None:
    """Every figure with data has its columns (_prepare_figures of each level and year): the long table
    is not needed any more: on national buurten a worker goes from 557 to 389 MB."""
    _open(location, version).store.release_figure_rows()
    release_free_memory()


@_one_at_a_time
def _prepare_usage(location: str, version: str, usage: Usage) -> None:
    _open(location, version).prepare(usage)


def _usage() -> Usage | None:
    return list(_datasets.values())[-1].usage() if _datasets else None


def merged_usage(usages: Sequence[Usage]) -> Usage:
    """One Usage holding what each of `usages` names (each worker prepares what it was asked)."""
    zooms: dict[tuple[str, Level, int], set[int]] = {}
    for usage in usages:
        for key, made in usage.geometry:
            zooms.setdefault(key, set()).update(made)
    figures = dict.fromkeys(figure for usage in usages for figure in usage.figures)
    return Usage(tuple((key, tuple(sorted(made))) for key, made in zooms.items()), tuple(figures))


@_one_at_a_time
def _make(
    location: str, version: str, selection: Selection, pyramid_id: str, z: int, x: int, y: int,
    extra: Mapping[str, pd.Series] | None,
) -> tuple[bytes, bytes]:
    body = _open(location, version).tile(selection, z, x, y, extra, PYRAMID_BY_ID[pyramid_id])
    return body, gzip_bytes(body)  # browsers ask for gzip: compressed here rather than by the server


class Submits(Protocol):
    def submit(self, fn: Callable[..., Any], /, *arguments: Any) -> Future[Any]: ...


def send_one_at_a_time(
    pool: Submits, tasks: Sequence[tuple[Callable[..., Any], ...]], first: tuple[Any, ...], stop: threading.Event,
    errors: list[BaseException] | None = None,
) -> None:
    """task(*first, *arguments) for each (task, *arguments) in turn, the next sent when the one before is
    done, until `stop` is set: a tile asked meanwhile waits behind one of them at most, not behind all
    (a pool's queue is first come, first served). A task that fails (or a pool that was shut down) ends
    the sending and goes to `errors`: the tiles make what was not prepared when they ask for it."""
    for task, *arguments in tasks:
        if stop.is_set():
            return
        try:
            pool.submit(task, *first, *arguments).result()
        except BaseException as exc:  # noqa: BLE001 - for the caller to raise or let go
            if errors is not None:
                errors.append(exc)
            return


class _TileChannel:
    """The server's end of a worker's tile pipe: tasks written straight from the caller's thread, answers
    read into the callers' futures by the server's event loop, or by a thread of their own where there is
    none. A worker that dies (or is stopped) closes its end: the futures still waiting fail with
    BrokenProcessPool, and the channel takes no more tasks."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self.worker_tasks, self._tasks = context.Pipe(duplex=False)
        self._answers, self.worker_answers = context.Pipe(duplex=False)
        try:
            fcntl.fcntl(self._tasks.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except (AttributeError, OSError):  # not Linux, or above fs/pipe-max-size: the default buffer
            pass
        os.set_blocking(self._tasks.fileno(), False)
        self._waiting: dict[int, Future[Any]] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self.loop = loop  # reads the answers once the channel opens; None: a thread does
        self._unread = bytearray()  # what the loop has read of answers not whole yet
        self.open = False
        self.ended = False  # the worker's end closed without the server asking

    def opened(self) -> None:
        """The worker process has been spawned with its ends: the server closes its copies of them (so that
        the worker's death reads as the end of the pipe) and starts reading answers. In the event loop, an
        answer wakes the loop once; read by a thread, it woke the thread and then the loop (cold national
        tiles over HTTP, 3 alternating rounds: 0.15-0.3 ms more at z10-z14)."""
        self.worker_tasks.close()
        self.worker_answers.close()
        self.open = True
        if self.loop is not None:
            os.set_blocking(self._answers.fileno(), False)
            try:
                self.loop.call_soon_threadsafe(self.loop.add_reader, self._answers.fileno(), self._readable)
                return
            except RuntimeError:  # the loop has closed: the app is stopping
                os.set_blocking(self._answers.fileno(), True)
        threading.Thread(target=self._read, name="tile-answers", daemon=True).start()

    def send(self, arguments: tuple[Any, ...]) -> Future[Any] | None:
        """A future of _make(*arguments), or None when the task goes by the pool: larger than LARGEST_SENT,
        the pipe full (the worker is far behind) or closed."""
        future: Future[Any] = Future()
        with self._lock:
            if not self.open:
                return None
            ident = next(self._ids)
            payload = pickle.dumps((ident, arguments), protocol=pickle.HIGHEST_PROTOCOL)
            if len(payload) > LARGEST_SENT:
                return None
            frame = _FRAME.pack(len(payload)) + payload
            self._waiting[ident] = future
            try:
                written = os.write(self._tasks.fileno(), frame)
            except OSError:  # full (BlockingIOError) or the worker gone (BrokenPipeError)
                del self._waiting[ident]
                return None
            if written < len(frame):  # the pipe filled up in the middle of the frame: the rest must follow
                self._write_rest(frame[written:])
        return future

    def _write_rest(self, rest: bytes) -> None:
        """Waits while the worker reads (once it is done with the tile it makes). Seldom: only with about
        a megabyte of tasks waiting; an answer for a task that cannot be sent whole would never come."""
        os.set_blocking(self._tasks.fileno(), True)
        try:
            while rest:
                rest = rest[os.write(self._tasks.fileno(), rest):]
        except OSError:  # the worker died: its tasks fail in _read
            pass
        finally:
            os.set_blocking(self._tasks.fileno(), False)

    def _read(self) -> None:
        while True:
            try:
                answer = self._answers.recv_bytes()
            except (EOFError, OSError):
                break
            self._answered(answer)
        self._end()

    def _readable(self) -> None:
        """In the event loop: the answers the pipe holds (Connection's frames: the length, then the bytes)."""
        try:
            read = os.read(self._answers.fileno(), READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            read = b""
        if not read:
            self.loop.remove_reader(self._answers.fileno())
            self._end()
            return
        unread = self._unread
        unread += read
        while len(unread) >= _FRAME.size:
            end = _FRAME.size + _FRAME.unpack_from(unread)[0]
            if len(unread) < end:
                break
            answer = bytes(unread[_FRAME.size:end])
            del unread[:end]
            self._answered(answer)

    def _answered(self, answer: bytes) -> None:
        ident, made, result = pickle.loads(answer)
        with self._lock:
            future = self._waiting.pop(ident)
        if not future.set_running_or_notify_cancel():  # cancelled meanwhile: nobody waits for it
            return
        if made:
            future.set_result(result)
        else:
            future.set_exception(result)

    def _end(self) -> None:
        """The worker's end closed: the tiles still waiting fail."""
        with self._lock:
            self.ended = not self._tasks.closed
            self.open = False
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if future.set_running_or_notify_cancel():
                future.set_exception(BrokenProcessPool("the tile worker ended while making this tile"))
        self._answers.close()

    def close(self) -> None:
        """No more tasks: the worker makes those it was sent, then its tile thread ends."""
        with self._lock:
            self.open = False
            if not self._tasks.closed:
                self._tasks.close()

    def wait_answered(self) -> None:
        """Until every task sent has its answer (or failed with the worker)."""
        with self._lock:
            waiting = list(self._waiting.values())
        all_done(waiting)


@dataclass
class _Worker:
    pool: ProcessPoolExecutor
    channel: _TileChannel
    outstanding: int = field(default=0)
    stop_preparing: threading.Event = field(default_factory=threading.Event)  # set: _prepare_rest sends no more
    _spawned: bool = field(default=False)
    _spawning: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, fn: Callable[..., Any], /, *arguments: Any) -> Future[Any]:
        """fn(*arguments) by the pool. Its first task spawns the process (in this call): the channel opens."""
        if self._spawned:
            return self.pool.submit(fn, *arguments)
        with self._spawning:
            future = self.pool.submit(fn, *arguments)
            if not self._spawned:
                self._spawned = True
                self.channel.opened()
        return future

    def make(self, *arguments: Any) -> Future[tuple[bytes, bytes]]:
        """_make(*arguments): by the channel once it is open (the process spawned), else by the pool."""
        return self.channel.send(arguments) or self.submit(_make, *arguments)

    @property
    def broken(self) -> bool:
        """The process died: its pool says so, or its channel ended before the server closed it."""
        return bool(getattr(self.pool, "_broken", False)) or self.channel.ended

    def shutdown(self, wait: bool, cancel_futures: bool = False) -> None:
        """Stop the process; with `wait`, once the tiles sent by the channel are made."""
        self.channel.close()
        if wait:
            self.channel.wait_answered()
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


class TileWorkers:
    """The tile worker processes of one app; replaced by new ones for each rebuilt dataset."""

    def __init__(self, workers: int, extent: int, buffer: int, max_zoom: int, spin_seconds: float = 0.0) -> None:
        self._start = (extent, buffer, max_zoom, spin_seconds)
        self._loop: asyncio.AbstractEventLoop | None = None  # where answers are read (read_answers_in)
        self._workers = [self._new_worker() for _ in range(workers)]
        self._prepared = False
        self._version: str | None = None  # the version the current workers were prepared for
        # version -> workers a rebuild replaced, for tasks of that version sent after the swap (see prepare)
        self._retiring: dict[str, list[_Worker]] = {}
        self._lock = threading.Lock()
        self.stopped = False  # shut down with the app: preparing that fails now is no fault of the dataset

    def __len__(self) -> int:
        return len(self._workers)

    def read_answers_in(self, loop: asyncio.AbstractEventLoop) -> None:
        """The server's event loop reads the tiles' answers, from the workers not spawned yet on (before the
        first, in the app's startup: all of them)."""
        with self._lock:
            self._loop = loop
            for worker in self._workers:
                if not worker.channel.open:
                    worker.channel.loop = loop

    def _new_worker(self) -> _Worker:
        channel = _TileChannel(self._loop)
        return _Worker(ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
            initargs=(*self._start, channel.worker_tasks, channel.worker_answers),
        ), channel)

    def pids(self) -> set[int]:
        return {pid for worker in self._workers for pid in (worker.pool._processes or {})}

    def prepare(self, location: str, version: str, before_swap: Callable[[Submit], None] | None = None) -> None:
        """Workers that have this version of the dataset open and every zoom and figure of each level's
        latest year prepared (blocking): the current ones at start (the server is ready after it); new
        ones for a rebuild, which also make what the current ones were asked for (RegionTiles.usage),
        before and while they prepared, then take over. Preparing a national zoom takes a second, and many
        under load: done after the swap, it held up the first tiles of the new version, which every map
        then asks for. Raises what a worker could not open or prepare. `before_swap` gets a rebuild's new
        workers' `submit` when they are prepared, before they take over. At start numba's tile loops are
        compiled (or found in its cache) meanwhile by a process of their own (tiles.loops)."""
        rebuild = self._prepared
        if rebuild:
            for worker in self._workers:  # zooms not prepared yet are of no use to the next version
                worker.stop_preparing.set()
            usage, workers = self.usage(), [self._new_worker() for _ in self._workers]
        else:
            usage, workers = None, self._workers
        # While the workers open the dataset, which calls no numba loop: afterwards they load them.
        compiling = None if rebuild else loops.start_compiling()
        try:
            opened = [w.submit(_prepare, location, version, usage) for w in workers]
            latest, others = [future.result() for future in opened][-1]  # the same from every worker
            if compiling is not None:
                loops.compiled(compiling)
            errors: list[BaseException] = []
            for thread in self._prepare_rest(workers, location, version, latest, others, errors):
                thread.join()
            if errors:
                raise errors[0]
            if rebuild:
                # Under load preparing takes minutes, and maps go on asking the current workers meanwhile:
                # a zoom of another year first asked now would otherwise be prepared after the swap, with
                # every cold tile of it waiting behind (up to 29 s in the load bench).
                asked = self.usage()
                if asked is not None:
                    for future in [w.submit(_prepare_usage, location, version, asked) for w in workers]:
                        future.result()
                if before_swap is not None:
                    before_swap(partial(self._submit_to, workers))
        except BaseException:
            if rebuild:
                for worker in workers:
                    worker.shutdown(wait=False, cancel_futures=True)
            raise
        self._prepared = True
        if rebuild:
            with self._lock:
                old, self._workers = self._workers, workers
                old_version, self._version = self._version, version
                if old_version is not None:
                    self._retiring[old_version] = old
            # The server swaps its dataset after this returns, and a request that read the old one just
            # before may send its tile after it: the old workers take such tasks for a while, rather than
            # the new ones opening the whole dataset again to find that version gone.
            retire = threading.Timer(RETIRE_SECONDS, self._retire, args=(old_version, old))
            retire.daemon = True
            retire.start()
        else:
            self._version = version

    def _retire(self, version: str | None, workers: list[_Worker]) -> None:
        with self._lock:
            if self._retiring.get(version) is workers:
                del self._retiring[version]
        for worker in workers:  # tiles they were given are still made; then they stop
            worker.shutdown(wait=True)

    def usage(self) -> Usage | None:
        """What the workers have made of the served version; None when none of them answers."""
        usages = []
        for worker in self._workers:
            try:
                usage = worker.submit(_usage).result()
            except Exception:  # noqa: BLE001 - a dead worker: new ones start from each level's latest geometry
                continue
            if usage is not None:
                usages.append(usage)
        return merged_usage(usages) if usages else None

    def _prepare_rest(
        self, workers: list[_Worker], location: str, version: str, latest: Sequence[LevelYear],
        others: Sequence[LevelYear] = (), errors: list[BaseException] | None = None,
    ) -> list[threading.Thread]:
        """One task per level and two zooms (made side by side; a national zoom takes up to a second), and one
        for the figure columns of each level and year, sent to each worker one at a time by a thread of its own
        (send_one_at_a_time). Each level's latest year goes first, zooms nearest where a map of the level
        opens first, then each tile loop called once (_warm_up); then the figures of the other years, after which the
        worker frees the figure table."""
        zooms = range(self._start[2] + 1)
        tasks = [
            *[(_prepare_figures, level, year) for level, year in latest],
            *[(_prepare_zooms, level, year, pair) for level, year in latest for pair in _pairs(sorted(zooms, key=lambda z: abs(z - center_zoom(level))))],
            (_warm_up,),
            *[(_prepare_figures, level, year) for level, year in others],
            (_release_figure_rows,),
        ]

        threads = [
            threading.Thread(target=send_one_at_a_time, args=(w, tasks, (location, version), w.stop_preparing, errors),
                             name="tile-prepare", daemon=True)
            for w in workers
        ]
        for thread in threads:
            thread.start()
        return threads

    def submit(
        self, location: str, version: str, selection: Selection, pyramid_id: str, z: int, x: int, y: int,
        extra: Mapping[str, pd.Series] | None = None,
    ) -> Future[tuple[bytes, bytes]]:
        """The tile, raw and gzipped, from the least busy worker that has this version."""
        workers = self._retiring.get(version) or self._workers
        return self._submit_to(workers, location, version, selection, pyramid_id, z, x, y, extra)

    def _submit_to(
        self, workers: list[_Worker], location: str, version: str, selection: Selection, pyramid_id: str,
        z: int, x: int, y: int, extra: Mapping[str, pd.Series] | None = None,
    ) -> Future[tuple[bytes, bytes]]:
        with self._lock:
            worker = min(workers, key=lambda w: w.outstanding)
            worker.outstanding += 1
        arguments = (location, version, selection, pyramid_id, z, x, y, extra)
        # A hotspot tile's columns do not fit into the pipe's one write: not pickled twice to find out.
        future = worker.make(*arguments) if extra is None else worker.submit(_make, *arguments)
        future.add_done_callback(lambda _: self._done(worker))
        return future

    def _done(self, worker: _Worker) -> None:
        with self._lock:
            worker.outstanding -= 1

    def replace_broken(self) -> None:
        """A worker that died (killed, out of memory) is replaced; its version is opened again on demand."""
        with self._lock:
            broken = [w for w in self._workers if w.broken]
            self._workers = [self._new_worker() if w in broken else w for w in self._workers]
        for worker in broken:
            worker.channel.close()

    def shutdown(self) -> None:
        """Stop every worker (blocking: a tile being made is finished, the rest cancelled)."""
        self.stopped = True
        with self._lock:
            retiring, self._retiring = [w for ws in self._retiring.values() for w in ws], {}
        for worker in [*self._workers, *retiring]:
            worker.shutdown(wait=True, cancel_futures=True)
