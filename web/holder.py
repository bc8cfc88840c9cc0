"""The dataset being served, with everything derived from it, and its replacement after a rebuild.

A request never waits for a reload: it is served from the data at hand while a new build is
opened (and each level's latest geometry prepared) in a background thread, and swapped in
whole when ready. A new build that cannot be
opened (broken, damaged, wrong format) is tried once; the old data keeps serving and /health
says why.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache, partial

from analysis.results import HotspotResults
from analysis.workers import AnalysisWorkers
from children import release_free_memory
from geodata.selection import MAP_PARAMS, Selection, parse_selection
from settings import Settings
from store import Store, open_store
from styles.request import ThematicRequest
from styles.thematic import ThematicMap, thematic_map
from tiles.cache import CachedTile, TileCache
from tiles.region_tiles import RegionTiles
from tiles.workers import StaleVersion, Submit, TileWorkers
from web.heavy import HeavyWork

log = logging.getLogger("wijkmonitor")


@dataclass
class Served:
    """One opened dataset with everything derived from it; replaced whole on reload."""

    store: Store
    tiles: RegionTiles
    cache: TileCache
    analysis: HotspotResults  # permutation tests take a while: computed by the workers, a few kept
    # (path, query string) of a tile request answered before -> its cache key (web.cached)
    request_keys: dict[tuple[str, bytes], str] = field(init=False, default_factory=dict)
    making: dict[str, asyncio.Future[CachedTile]] = field(init=False, default_factory=dict)  # cache key -> tile being made
    thematic: Callable[[ThematicRequest], ThematicMap] = field(init=False)
    map_selection: Callable[..., Selection] = field(init=False)

    def __post_init__(self) -> None:
        # Classification (Fisher-Jenks over national buurten) is worth keeping per request. A partial, not
        # a lambda over self: a replaced Served must not keep itself alive through its own cache.
        self.thematic = lru_cache(maxsize=256)(partial(thematic_map, self.store))
        # A map's tiles all ask the same figures: parse them once, so that a cached tile costs a dict
        # lookup rather than a walk over every indicator (and its canonical query is made once too).
        self.map_selection = lru_cache(maxsize=1024)(partial(_map_selection, self.store))

    def tile_selection(self, level_name: str, params: Mapping[str, str]) -> Selection:
        """The figures a tile request asks for (geodata.selection.parse_selection), remembered per query."""
        return self.map_selection(level_name, *(params.get(name) for name in MAP_PARAMS))


def _map_selection(store: Store, level_name: str, *values: str | None) -> Selection:
    params = {name: value for name, value in zip(MAP_PARAMS, values) if value is not None}
    return parse_selection(store.availability, store.catalog, level_name, params)


class DatasetHolder:
    def __init__(self, settings: Settings, workers: AnalysisWorkers, store: Store | None = None) -> None:
        self.settings = settings
        self.workers = workers
        self.render = ThreadPoolExecutor(settings.tile_threads, thread_name_prefix="tiles")
        self.tile_workers = TileWorkers(
            settings.tile_workers, settings.tile_extent, settings.tile_buffer, settings.max_zoom, settings.tile_worker_spin_ms / 1000,
        )
        self.tile_workers_ready = False
        self.heavy = HeavyWork(settings.heavy_requests, settings.heavy_queue)
        self._served = self._prepare(store or open_store(settings.dataset))
        release_free_memory()  # what reading the file took and freed: 67 MB on national buurten
        self._checked = time.monotonic()
        self._check_lock = threading.Lock()
        self._loading: threading.Thread | None = None
        self._failed_version: str | None = None
        self.last_reload_error: str | None = None
        # (served, new, the new tile workers' submit): makes tiles of a rebuild before it is swapped in (web.tiles)
        self.carry_over: Callable[[Served, Served, Submit], None] | None = None
        # (served, route path, query string): the tile of a /tiles/ GET, made when not cached; None when the
        # route is to answer it (web.tiles, web.cached)
        self.tile_of_request: Callable[[Served, str, bytes], Awaitable[CachedTile | None]] | None = None

    def _prepare(self, store: Store) -> Served:
        s = self.settings
        return Served(
            store,
            RegionTiles(store, s.tile_extent, s.tile_buffer),
            TileCache(s.tile_cache_mb * 1024 * 1024),
            HotspotResults(store, self.workers, s.analysis_cache_entries, s.analysis_max_draws),
        )

    def current(self) -> Served:
        """The data to answer with; at most every `reload_check_seconds` also a look (one stat) for a new build."""
        now = time.monotonic()
        interval = self.settings.reload_check_seconds
        if interval >= 0 and now - self._checked >= interval and self._check_lock.acquire(blocking=False):
            try:
                self._checked = now
                self._look_for_new_build()
            finally:
                self._check_lock.release()
        return self._served

    def reloading(self) -> threading.Thread | None:
        """The thread opening a new build, if one was started: a hook for tests to wait on."""
        return self._loading

    def _look_for_new_build(self) -> None:
        store = self._served.store
        version = store.version_now()
        if version is None or version in (store.version, self._failed_version):
            return  # unchanged, being replaced right now, or known to be broken
        if self._loading is not None and self._loading.is_alive():
            return
        # The dataset's own address: `store.location` is for showing (a database's without its password).
        self._loading = threading.Thread(target=self._reload, args=(self.settings.dataset, version), name="reload", daemon=True)
        self._loading.start()

    def prepare_tiles(self, served: Served, previous: Served | None = None) -> None:
        """Each level's latest geometry made before the first tiles ask for it: by the tile workers,
        else (or should they fail) here, for the tile threads. For a rebuild (`previous` served) the new
        tile workers also make the tiles `carry_over` picks before they take over."""
        if self.tile_workers:
            carry = self.carry_over
            before_swap = partial(carry, previous, served) if previous is not None and carry is not None else None
            try:
                self.tile_workers.prepare(self.settings.dataset, served.store.version, before_swap)
                self.tile_workers_ready = True
                return
            except StaleVersion:
                raise  # the file changed again while it was opened: the next look serves the newer build
            except Exception as exc:  # noqa: BLE001 - the tile threads take over; the reason goes to the log
                if self.tile_workers.stopped:
                    return  # the server stops while they prepare
                log.error("tile workers could not open %s, tiles are made by threads: %s", served.store.location, exc)
                self.tile_workers.replace_broken()
        for level, year in served.store.availability.latest:
            served.tiles.geometry(level, year)

    def start_tile_workers(self) -> None:
        """At startup: the tile workers open the served dataset (tiles asked meanwhile wait for them)."""
        try:
            self.prepare_tiles(self._served)
        except StaleVersion as exc:  # replaced since the server opened it: the reload that follows prepares them
            log.info("tile workers wait for the reload: %s", exc)

    def _reload(self, location: str, version: str) -> None:
        try:
            began = time.monotonic()
            served = self._prepare(open_store(location))
            opened = time.monotonic()
            self.prepare_tiles(served, previous=self._served)
            self._served = served
            release_free_memory()
            self._failed_version = None
            self.last_reload_error = None
            log.info(
                "reloaded dataset %s in %.1f s: opened in %.1f s, the tiles prepared in %.1f s",
                served.store.location, time.monotonic() - began, opened - began, time.monotonic() - opened,
            )
        except StaleVersion as exc:  # not a broken file: a newer one, which the next look opens
            log.info("not serving a build that was replaced while it was opened: %s", exc)
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with the new file, the old data keeps serving
            self._failed_version = version  # tried once, not on every check
            self.last_reload_error = f"{type(exc).__name__}: {exc}"
            log.error("keeping the previous dataset: %s", self.last_reload_error)
